// pinlens.* settings as the client sends them (untrusted JSON) -> core Settings,
// and the part of the settings the server applies to findings itself.
// No LSP imports: the caller fetches the raw object per resource.
import { CODES, Code, DEFAULT_SETTINGS, Settings, Severity } from '../core/types';

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint'];
const KERNELS: readonly NonNullable<Settings['kernelVersion']>[] = ['6.1', '6.12', 'auto'];

function isCode(x: unknown): x is Code {
  return typeof x === 'string' && (CODES as readonly string[]).includes(x);
}

function positive(x: unknown, fallback: number): number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? Math.floor(x) : fallback;
}

/** Every field checked; anything malformed falls back to its default. */
export function normaliseSettings(raw: unknown): Required<Settings> {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const severity: Partial<Record<Code, Severity>> = {};
  if (r.severity && typeof r.severity === 'object') {
    for (const [k, v] of Object.entries(r.severity as Record<string, unknown>)) {
      if (isCode(k) && SEVERITIES.includes(v as Severity)) severity[k] = v as Severity;
    }
  }
  return {
    disabledCodes: Array.isArray(r.disabledCodes) ? r.disabledCodes.filter(isCode) : [],
    severity,
    kernelVersion: KERNELS.includes(r.kernelVersion as never) ? r.kernelVersion as Settings['kernelVersion'] & string : DEFAULT_SETTINGS.kernelVersion,
    maxFileSize: positive(r.maxFileSize, DEFAULT_SETTINGS.maxFileSize),
    pathBudget: positive(r.pathBudget, DEFAULT_SETTINGS.pathBudget),
  };
}

/** The settings the server applies itself, around the core's. */
export interface ServerSettings {
  core: Required<Settings>;
  /** in a git work tree, publish only the findings the uncommitted change introduced. */
  onlyIntroduced: boolean;
}

export function normaliseServerSettings(raw: unknown): ServerSettings {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return { core: normaliseSettings(raw), onlyIntroduced: r.onlyIntroduced === true };
}

// one implementation, in the core
