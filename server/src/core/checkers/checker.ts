// The interface between the analysis and the checkers. The simulator calls
// the per-function hooks at each event of a path; a checker looks at the
// ledger and reports. Once every function of the file is simulated,
// analyse.ts calls the file-level hooks with what core/fields.ts knows about
// the file's struct fields; they return their findings. One checker per
// finding code, one file each; findings are made with the code's default
// severity, and the settings are applied once, when the file's analysis ends.
import type { ReleaseApi } from '../apis';
import type { LoopInfo } from '../cfg';
import type { CountReset, FieldFree, KeyedRelease } from '../fields';
import type { AcquireSite, PageSet, State } from '../ledger';
import type { FunctionDef, Node } from '../syntax';
import type { Code, Family, FieldFill, Fix, Finding, LedgerState } from '../types';

export interface ReleaseEvent {
  node: Node;
  /** the API called, or the helper whose summary releases. */
  api: string;
  family: Family;
  /** releases the whole set (array call, or a loop over it), not one element. */
  whole: boolean;
  /** releases the slots from an index on (`unpin_user_pages(&pages[i], pinned - i)`): those below stay held, so the set is not released whole and its folio counters, which stand for one slot, are not moved. */
  tail?: boolean;
  /** the count released, normalised text; null when implied (single page or loop). */
  count: string | null;
  /** what the count holds on this path, when known: the requested count it was copied from (`sb->nr_pages = nr`). */
  countIs?: string;
  /** the count was computed from this requested size of a byte-count acquire (`DIV_ROUND_UP(off + len, PAGE_SIZE)`). */
  countFromBytes?: string;
  viaHelper?: string;
  release?: ReleaseApi;
  /** the argument naming the pages, as written. */
  argText: string;
  /** an unwind of the array's first slots (`while (i--)`, `for (j = 0; j < nr; j++)`, `release_pages(pages, nr)`): the slots below `name` + `shift`, with `name` as it stands at the release (PageSet.cover) */
  upTo?: { name: string; shift: number };
  /** set when the release runs only if a will-pin test said so (the path knows it). */
  guarded: boolean;
  /** for a release that matches no page set: the function acquires into this holder elsewhere. */
  acquiredHere?: boolean;
  /** for a release of a struct field's pages that matches no page set: this path released that field whole before, and did not write it or its count since */
  releasedBefore?: { line: number; api: string; count: string; field: string; at: number };
}

export interface ExitEvent {
  node: Node | null;
  /** the function returns a negative errno on this path. */
  error: boolean;
  /** the returned expression's text */
  value: string;
}

export interface Report {
  code: Code;
  node: Node;
  message: string;
  set?: PageSet;
  step: string;
  counters?: { before: LedgerState; after: LedgerState; consequence: string };
  helper?: string;
  fixes?: Fix[];
}

export interface CheckContext {
  fn: FunctionDef;
  sites: AcquireSite[];
  kernel: '6.1' | '6.12';
  text: string;
  report(st: State, r: Report): void;
  /** params of the function: holders rooted there belong to the caller. */
  isCallerOwned(holder: string): boolean;
  /** the function itself releases this holder on some path (so it owns it on errors) */
  releasesHere(holder: string): boolean;
}

/** What the file-level hooks see: the file and the facts about its struct fields (core/fields.ts), once its functions are simulated. */
export interface FieldContext {
  text: string;
  fns: FunctionDef[];
  /** how this file's functions fill struct fields with pages */
  ownFills: FieldFill[];
  /** this file's fills and, given them, those of the other files of its folder */
  fills: FieldFill[];
  /** keys of the fields a function of the file releases (itself or through a helper's summary) */
  released: Set<string>;
  /** fields' arrays freed on a path before it released their pages */
  frees: FieldFree[];
  /** counts kept in struct fields set to 0 */
  resets: CountReset[];
  /** the count field paired with each field of pages, by field head (fields.ts countsOfPageFields()) */
  counts: Map<string, string>;
  /** fields whose pages the filling function also gave to an owner (an sg table, an skb, a bio): scratch arrays */
  scratch: Set<string>;
  /**
   * fields a function of the file fills for its caller and leaves filled when it succeeds (its summary
   * acquires into a parameter's field, and keeps nothing there when it fails): key -> that function
   */
  keptOnSuccess: Map<string, string>;
}

export interface Checker {
  code: Code;
  onAcquire?(cx: CheckContext, st: State, site: AcquireSite, flagNames: string[], pagesNull: boolean): void;
  onRelease?(cx: CheckContext, st: State, set: PageSet | undefined, ev: ReleaseEvent): void;
  onBioFlag?(cx: CheckContext, st: State, bio: string, flag: string, node: Node): void;
  onBioAdd?(cx: CheckContext, st: State, bio: string, set: PageSet, node: Node): void;
  onDmaUse?(cx: CheckContext, st: State, set: PageSet, node: Node, use: string): void;
  /** the memory that holds the set's pages (`kvfree(pages)`, or the object they were stored in: `kfree(obj)`) is freed by `api`. */
  onFree?(cx: CheckContext, st: State, set: PageSet, node: Node, api: string): void;
  onExit?(cx: CheckContext, st: State, ev: ExitEvent): void;
  /** an iteration of `loop` ends at `at`: its body (at the closing brace), a `continue` or a `break`. */
  onIterationEnd?(cx: CheckContext, st: State, loop: LoopInfo, at: Node): void;
  /**
   * File level: a release of a struct field's pages in a teardown, which no
   * page set of its function explains, judged by how the field was filled:
   * `fills`, all of one mode (fields.ts judgedFills()).
   */
  onFieldRelease?(fx: FieldContext, r: KeyedRelease, fills: FieldFill[]): FindingDraft | undefined;
  /** File level, once: what becomes of the pages the file's fields hold (never released, freed with their array, their count reset). */
  onFileEnd?(fx: FieldContext): FindingDraft[];
}

export type FindingDraft = Omit<Finding, 'severity'>;
