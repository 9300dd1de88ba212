// The reporting settings (disabled codes, severity overrides) applied to
// findings. The core makes every finding with its code's default severity and
// applies these once, when a file's analysis ends; the server applies the
// same function to what it publishes (idempotent).
import type { Finding, Settings } from './types';

/** Disabled codes dropped, severity overrides applied; the same array when nothing changes. */
export function applySettings<F extends Finding>(findings: F[], s: Settings): F[] {
  const off = new Set(s.disabledCodes ?? []);
  const sevs = s.severity ?? {};
  if (!off.size && !Object.keys(sevs).length) return findings;
  return findings
    .filter(f => !off.has(f.code))
    .map(f => {
      const sev = sevs[f.code];
      return sev && sev !== f.severity ? { ...f, severity: sev } : f;
    });
}
