// The on-disk summary cache: one JSON file per analysed text, named by its key
// (sha256 of the pinlens build, the settings, the text and the summaries it
// was analysed with). It lives under the XDG cache folder, never in the
// user's tree. A file that does not parse, names another key or another
// format, or holds anything but well-formed summaries is deleted and the text
// analysed again: the cache is never trusted.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { threadId } from 'worker_threads';
import type { FunctionSummary, ParamEffect } from '../core/types';

export const CACHE_FORMAT = 'pinlens-summaries/1';

/** `$XDG_CACHE_HOME/pinlens`, else `~/.cache/pinlens`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'pinlens');
}

/** Is `inner` the folder `outer` or inside it (after resolving links where they exist)? */
export function isInside(inner: string, outer: string): boolean {
  const real = (p: string) => {
    // the cache folder may not exist yet: resolve its nearest existing parent
    let cur = path.resolve(p), rest = '';
    for (;;) {
      try { return path.join(fs.realpathSync(cur), rest); } catch { /* climb */ }
      const up = path.dirname(cur);
      if (up === cur) return path.resolve(p);
      rest = path.join(path.basename(cur), rest);
      cur = up;
    }
  };
  const rel = path.relative(real(outer), real(inner));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const EFFECTS = new Set(['releases', 'takes', 'acquires', 'references']);
const FAMILIES = new Set(['put', 'unpin', 'bio']);
const MODES = new Set(['GET', 'PIN', 'EXTRACT', 'NONE', 'UNKNOWN']);
const RETURNS = new Set(['count', 'status']);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNat = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const optIn = (v: unknown, set: Set<string>) => v === undefined || (typeof v === 'string' && set.has(v));

function isPosition(v: unknown): boolean {
  return isObj(v) && isNat(v.line) && isNat(v.character);
}

function isEffect(v: unknown): v is ParamEffect {
  return isObj(v) && isNat(v.index) && typeof v.name === 'string' && typeof v.effect === 'string' && EFFECTS.has(v.effect)
    && typeof v.always === 'boolean' && optIn(v.family, FAMILIES) && optIn(v.mode, MODES) && optIn(v.returns, RETURNS)
    && (v.api === undefined || typeof v.api === 'string');
}

export function isSummary(v: unknown): v is FunctionSummary {
  return isObj(v) && typeof v.name === 'string' && /^[A-Za-z_]\w*$/.test(v.name) && typeof v.text === 'string'
    && isObj(v.range) && isPosition(v.range.start) && isPosition(v.range.end)
    && Array.isArray(v.params) && v.params.every(isEffect);
}

export class DiskCache {
  discarded = 0;
  private broken = false;
  constructor(readonly dir: string, private readonly note: (msg: string) => void) {}

  private file(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }

  /** The summaries stored under this key, or undefined (missing, or discarded as corrupt or foreign). */
  get(key: string): FunctionSummary[] | undefined {
    const f = this.file(key);
    let raw: string;
    try { raw = fs.readFileSync(f, 'utf8'); } catch { return undefined; }
    let doc: unknown;
    try { doc = JSON.parse(raw); } catch { doc = undefined; }
    if (isObj(doc) && doc.format === CACHE_FORMAT && doc.key === key && Array.isArray(doc.summaries) && doc.summaries.every(isSummary)) {
      return doc.summaries;
    }
    this.discarded++;
    this.note(`discarded a corrupt or foreign cache file ${f}`);
    try { fs.unlinkSync(f); } catch { /* read-only cache: it is ignored all the same */ }
    return undefined;
  }

  put(key: string, summaries: FunctionSummary[]): void {
    if (this.broken) return;
    const f = this.file(key);
    // private to this process and thread (`pinlens check --jobs` runs several
    // indexes in one process); the rename is atomic, so two writers of one key
    // leave one whole entry and a reader never sees a partial file
    const tmp = `${f}.${process.pid}.${threadId}.tmp`;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.writeFileSync(tmp, JSON.stringify({ format: CACHE_FORMAT, key, summaries }));
      fs.renameSync(tmp, f);
    } catch (e) {
      this.broken = true;
      this.note(`summary cache not written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ${this.dir}`);
      try { fs.unlinkSync(tmp); } catch { /* never written */ }
    }
  }
}
