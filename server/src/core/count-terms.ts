// Page counts as the simulator reads them from expressions: a count made
// from a requested byte size, whole pages of a byte count, and the marks it
// keeps for them in a path's state (st.copies, st.derived).
import { norm, strip } from './syntax';
import type { Node } from './syntax';
import type { SimContext } from './sim-state';

/** st.derived: the variable holds the page of an sg entry (`page = sg_page(sg)`), the entry as written after this mark. */
export const SG_ENTRY = '<sg>';

/** Marks a copy that counts the pages of a requested size (st.copies). */
export const BYTES = 'bytes:';
/** st.copies: the variable holds `bytes / PAGE_SIZE` of a byte count an acquire returned (rounded down, no offset) */
export const FLOOR = 'floor:';

/** `got / PAGE_SIZE`, `got >> PAGE_SHIFT`: the variable whose bytes are turned into whole pages, rounding down. */
export function wholePagesOf(n: Node): string | undefined {
  const m = /^\(?([A-Za-z_]\w*)\)?(?:\/PAGE_SIZE|>>PAGE_SHIFT)$/.exec(norm(strip(n).text));
  return m?.[1];
}

/**
 * The requested size a page-count expression is computed from —
 * `DIV_ROUND_UP(off + len, PAGE_SIZE)`, `(off + len + PAGE_SIZE - 1) >> PAGE_SHIFT`,
 * `PAGE_ALIGN(off + len) >> PAGE_SHIFT` — when len is the size a byte-count
 * acquire of the function asked for; undefined otherwise.
 */
export function pagesOfRequestedBytes(sim: SimContext, n: Node): string | undefined {
  if (!sim.requestedBytes.size) return undefined;
  return pageCountTerms(n)?.find(term => sim.requestedBytes.has(term));
}

/** The summed terms of a bytes-to-pages count (`DIV_ROUND_UP(off + len, PAGE_SIZE)` -> off, len); undefined for other expressions. */
export function pageCountTerms(n: Node): string[] | undefined {
  const t = norm(strip(n).text);
  const m = /^DIV_ROUND_UP\((.+),PAGE_SIZE\)$/.exec(t) ?? /^\(?(.+)\+PAGE_SIZE-1\)?(?:>>PAGE_SHIFT|\/PAGE_SIZE)$/.exec(t)
    ?? /^PAGE_ALIGN\((.+)\)(?:>>PAGE_SHIFT|\/PAGE_SIZE)$/.exec(t);
  return m ? m[1].replace(/^\((.*)\)$/, '$1').split('+') : undefined;
}
