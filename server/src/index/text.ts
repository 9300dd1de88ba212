// Text-level facts the index needs before (or instead of) parsing a file:
// the names it calls, and whether a body can matter for pages at all.
// Regexes only; the functions it defines come from definitions.ts.
import {
  ALL_API_NAMES, BIO_ADD, BIO_ALLOC, BIO_FLAGS, DMA_USES, GET_REF, HARMLESS, KERNEL_ITER_INIT, KERNEL_ITER_PREDICATES,
  OWNER_HANDOFF, PAGE_TYPE, USER_ITER_INIT, WILL_PIN_PREDICATES,
} from '../core/apis';
import { Definition, NOT_NAMES, own } from './definitions';

/** Names the core models itself: never replaced by a summary of their definition in the tree. */
export const CATALOG = new Set<string>([
  ...ALL_API_NAMES, ...GET_REF, ...USER_ITER_INIT, ...KERNEL_ITER_INIT, ...BIO_ADD.keys(), ...BIO_ALLOC,
  ...OWNER_HANDOFF.keys(), ...DMA_USES, ...HARMLESS, ...WILL_PIN_PREDICATES, ...KERNEL_ITER_PREDICATES,
]);

/** The names that make a body matter for pages: the page APIs, references, hand-offs and the bio page flags. */
export const RELEVANT_NAMES: readonly string[] = [...ALL_API_NAMES, ...GET_REF, ...BIO_ADD.keys(), ...OWNER_HANDOFF.keys(), ...BIO_FLAGS];
/** A body that calls the page APIs or names the bio page flags may release, take or acquire its parameters' pages. */
export const RELEVANT_BODY = new RegExp(`\\b(?:${RELEVANT_NAMES.join('|')})\\b`);
/** So may a function that takes pages, folios or bvecs as parameters (it may store them: `takes`). */
export const RELEVANT_PARAMS = PAGE_TYPE;

/** Every identifier followed by `(` (calls, and some declarations), keywords left out. */
export function calledNames(text: string): Set<string> {
  const out = new Set<string>();
  const re = /\b([A-Za-z_]\w*)\s*\(/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) if (!NOT_NAMES.has(m[1]) && !out.has(m[1])) out.add(own(m[1]));
  return out;
}

const PAGE_WORDS = RELEVANT_PARAMS;

/**
 * The names a checked file calls, defined elsewhere, from the functions that
 * can hold pages (they call the page APIs or have page, folio or bvec
 * parameters or variables): only there can a helper's summary change a finding.
 */
export function pageCallees(text: string, defs: Map<string, Definition>): Set<string> {
  const out = new Set<string>();
  for (const d of defs.values()) {
    const body = text.slice(d.start, d.end);
    if (!RELEVANT_BODY.test(body) && !PAGE_WORDS.test(body)) continue;
    for (const c of calledNames(body)) if (!defs.has(c) && !CATALOG.has(c)) out.add(c);
  }
  return out;
}
