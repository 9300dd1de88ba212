// The kernel API era of the tree a file belongs to, from the tree's top
// Makefile: 6.1-era rules (BIO_NO_PAGE_REF, vmas, iov_iter_get_pages) for
// trees before 6.5, else 6.12. Shared by the CLI (plain and patch checks) and
// the language server, so that a file gets the same answer from each.
import * as path from 'path';
import { readRegular } from './cache';
import type { Settings } from '../core/types';

const kernelOfDir = new Map<string, '6.1' | '6.12' | undefined>();

/**
 * The API era of the kernel tree a file belongs to, from the top Makefile's
 * VERSION and PATCHLEVEL (trees before 6.5 still pass vmas and use
 * BIO_NO_PAGE_REF-era rules): undefined outside a kernel tree.
 */
export function kernelEraOf(file: string): '6.1' | '6.12' | undefined {
  const dirs: string[] = [];
  let dir = path.dirname(path.resolve(file));
  let era: '6.1' | '6.12' | undefined;
  for (let i = 0; i < 40; i++) {
    if (kernelOfDir.has(dir)) { era = kernelOfDir.get(dir); break; }
    dirs.push(dir);
    try {
      const mk = readRegular(path.join(dir, 'Makefile')).toString('utf8', 0, 2000);
      const v = /^VERSION\s*=\s*(\d+)/m.exec(mk), p = /^PATCHLEVEL\s*=\s*(\d+)/m.exec(mk);
      if (v && p) { era = Number(v[1]) * 100 + Number(p[1]) < 605 ? '6.1' : '6.12'; break; }
    } catch { /* no Makefile here */ }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const d of dirs) kernelOfDir.set(d, era);
  return era;
}

/** `settings` with the file's era when they leave it to detection ('auto' or unset). */
export function withKernelEra<S extends Settings>(settings: S, file: string): S {
  if (settings.kernelVersion && settings.kernelVersion !== 'auto') return settings;
  const era = kernelEraOf(file);
  return era ? { ...settings, kernelVersion: era } : settings;
}
