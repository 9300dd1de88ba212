// The reporting settings (disabled codes, severity overrides) applied to
// findings, and the size limit. The core makes every finding with its code's
// default severity and applies these once, when a file's analysis ends; no
// front end applies them again.
import type { Finding, Settings } from './types';

/**
 * Why a text is not analysed, when it is longer than `maxFileSize` (the one
 * size check: the core's, the server's for open documents and for patch
 * documents), or undefined.
 */
export function overSizeLimit(length: number, maxFileSize: number): string | undefined {
  return length > maxFileSize ? `not analysed: ${length} characters is over the limit of ${maxFileSize} (setting maxFileSize, pinlens.maxFileSize in the editor)` : undefined;
}

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
