// Words shared by lenses, hovers and the simulation view.
import type { Mode } from '../../core/types';

export function modeLabel(mode: Mode | undefined): string {
  switch (mode) {
    case 'GET': return 'FOLL_GET';
    case 'PIN': return 'FOLL_PIN';
    case 'EXTRACT': return 'FOLL_PIN if user-backed';
    case 'NONE': return 'no reference';
    default: return 'mode unknown';
  }
}

/** Distinct values, in first-seen order. */
export function distinct(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** A hand-off as the core words it (`stored in ctx->pages`, `passed to foo()`), ready to follow "pages". */
export function handoffWords(kind: string): string {
  return kind.replace(/^passed to a callee\(\)$/, 'passed to a callee');
}
