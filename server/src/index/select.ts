// Which files of a run can have a finding at all, decided from their text
// (in the definition scan's pass over the bytes, or from a file's text) and,
// for the rest, from the index's call graph. A file that is skipped gives
// the same findings and call sites as its analysis would: none.
//
// Why that holds (analyse.ts, calls.ts): a finding or a call site needs an
// acquire site or a release in a simulated function. Both come from a call of
// an acquire or release API of the catalog (or a bio page flag), or from a
// helper's summary; hand-offs, references and DMA uses act only on pages
// one of those gave the function. A helper's summary reaches a function only
// through TreeIndex.summariesFor(), which looks only at functions that name
// the page words or relevant names (text.ts pageCallees()), and only at
// helpers whose definition can matter for pages (TreeIndex.pageHelper()).
// A teardown judged by another file's field fills is a release call, so
// files that read or free a struct field that holds pages are covered by
// the first rule (the release) or by the second (a helper given the field).
import { PAGE_API_NAMES, PAGE_API_WORDS } from '../core/apis';
import type { FunctionSummary } from '../core/types';
import { RELEVANT_BODY, RELEVANT_NAMES, RELEVANT_PARAMS } from './text';

/** The class of a file's text: bits. */
export const CLASSIFIED = 1;
/** names an acquire or release API of the catalog, or a bio page flag: checked. */
export const NAMES_API = 2;
/** names page types or hand-off/reference APIs: checked when it calls a helper that handles pages. */
export const MAY_TAKE_HELPERS = 4;

/**
 * Byte strings one of which every name that makes a file checked by itself
 * (core/apis.ts PAGE_API_NAMES), every relevant name and every page type
 * (PAGE_TYPE: `struct page`, `struct folio`, `bio_vec`) contains: a file with none of them is of
 * no class, found without decoding it.
 */
const ANCHORS: Buffer[] = (() => {
  const common = ['page', 'folio', 'PAGE', 'bio_vec'];
  const out = new Set(common);
  for (const n of [...PAGE_API_NAMES, ...RELEVANT_NAMES]) out.add(common.find(c => n.includes(c)) ?? n);
  return [...out].map(a => Buffer.from(a, 'latin1'));
})();

/** The class of a text (CLASSIFIED always set). */
export function classifyText(text: string): number {
  if (PAGE_API_WORDS.test(text)) return CLASSIFIED | NAMES_API;
  return CLASSIFIED | (RELEVANT_BODY.test(text) || RELEVANT_PARAMS.test(text) ? MAY_TAKE_HELPERS : 0);
}

/** The class of the first `n` bytes of `b` (identifiers are ASCII: Latin-1 reads them as UTF-8 does). */
export function classifyBytes(b: Buffer, n: number): number {
  const view = n === b.length ? b : b.subarray(0, n);
  if (!ANCHORS.some(a => view.indexOf(a) >= 0)) return CLASSIFIED;
  return classifyText(view.toString('latin1'));
}

/** Does one of these helper summaries acquire or release pages (the only effects that act without pages already held)? */
export function acquiresOrReleases(summaries: Iterable<FunctionSummary> | undefined): boolean {
  for (const s of summaries ?? []) if (s.params.some(e => e.effect === 'acquires' || e.effect === 'releases')) return true;
  return false;
}

/** Why a file was checked or skipped (FileResult.selected). */
export type Selected = 'api' | 'helper' | 'unread' | 'all';
export type Skipped = 'no-page-api' | 'no-page-helper';
