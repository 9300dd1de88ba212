// Plain data exchanged between the analysis core and its front ends (CLI, LSP).
// Positions are 0-based lines and UTF-16 code units (what tree-sitter's web
// binding and LSP both use); the CLI adds 1 for its 1-based output.

export type Mode = 'GET' | 'PIN' | 'EXTRACT' | 'NONE' | 'UNKNOWN';

/** The release families of the kernel. `bio` releases by the bio's own flags. */
export type Family = 'put' | 'unpin' | 'bio';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** The finding codes: stable, each with its page under docs/codes/ (docs/contract.md, "The finding codes"). */
export const CODES = [
  'mismatched-release',
  'release-without-reference',
  'release-count-mismatch',
  'double-release',
  'leaked-pages',
  'invalid-gup-flags',
  'bio-flag-mismatch',
  'should-pin',
  'analysis-incomplete',
] as const;
export type Code = (typeof CODES)[number];

export const DEFAULT_SEVERITY: Record<Code, Severity> = {
  'mismatched-release': 'error',
  'release-without-reference': 'error',
  'release-count-mismatch': 'error',
  'double-release': 'error',
  'leaked-pages': 'warning',
  'invalid-gup-flags': 'error',
  'bio-flag-mismatch': 'error',
  'should-pin': 'information',
  'analysis-incomplete': 'information',
};

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }
export interface TextEdit { range: Range; newText: string }

/** A quick fix, computed by the core so that front ends need no state. */
export interface Fix { title: string; edits: TextEdit[]; preferred?: boolean }

/** What one representative page looks like, in the kernel's own counters. */
export interface PageCounters {
  /** folio refcount contribution of this caller (0 = nothing held). */
  refcount: number;
  /** folio->_pincount (large folios only; small folios count pins in refcount). */
  pincount: number;
  /** what folio_maybe_dma_pinned() would answer because of this caller. */
  maybeDmaPinned: boolean;
}

export interface LedgerState {
  /** the holder expression as written, e.g. `pages`, `ctx->pages`. */
  holder: string;
  mode: Mode;
  /** `held`, `released`, `handed-off`, `failed` (acquire obtained nothing). */
  state: string;
  /** how many pages, as an expression of the source (`ret`, `nr_pages`, `1`). */
  count: string;
  small: PageCounters;
  large: PageCounters;
}

export interface PathStep {
  range: Range;
  note: string;
  /** the page set's ledger after this step, when the step changed it. */
  ledger?: LedgerState;
  /** a branch taken: whether it decided something about the pages (an acquire's outcome, the iterator's backing, a bio's flags); absent for other steps. */
  decides?: boolean;
}

export interface AcquireRef { range: Range; api: string; mode: Mode }

/** The lines a message cites, as data (core/cite.ts): `text` with its i-th placeholder replaced by `lines[i] + 1` is the message. */
export interface CitedText { text: string; lines: number[] }

export interface Finding {
  code: Code;
  severity: Severity;
  message: string;
  /** the lines the message cites (0-based, in the finding's file), when it cites any: the message is rendered from them */
  cited?: CitedText;
  /** enclosing function */
  function: string;
  range: Range;
  acquire?: AcquireRef;
  /** the simulated path that fails, in order. */
  path: PathStep[];
  /** ledger state before the offending step and after it, with the consequence. */
  counters?: { before: LedgerState; after: LedgerState; consequence: string };
  /** a helper whose summary this finding relies on. */
  helper?: string;
  fixes: Fix[];
}

export interface ReleaseRef { range: Range; api: string; viaHelper?: string }
export interface HandoffRef { range: Range; kind: string; note: string }

export interface CallSite {
  range: Range;
  function: string;
  api: string;
  mode: Mode;
  /** why this mode: the flags or the iterator that decided it. */
  modeReason: string;
  holder: string;
  releases: ReleaseRef[];
  handoffs: HandoffRef[];
  /** path outcomes for this acquire (each simulated path counted once). */
  paths: { total: number; released: number; handedOff: number; leaked: number; failed: number };
  /** the simulated steps of one representative path, for the simulation view. */
  trace: PathStep[];
  /** releases of the struct field the pages went into, by other functions of the file (teardowns). */
  later?: LaterRelease[];
}

/** A release of a struct field's pages in another function: where the pages go once stored. */
export interface LaterRelease {
  function: string;
  api: string;
  range: Range;
  /** `struct foo.pages` */
  field: string;
  /** how that function runs when nobody calls it by name: `xdev_release() runs as .release of …` */
  via?: string;
}

/** What a function does to the pages its parameters carry. */
export interface ParamEffect {
  index: number;
  name: string;
  effect: 'releases' | 'takes' | 'acquires' | 'references';
  family?: Family;
  mode?: Mode;
  api?: string;
  /** on every path, or only on some. */
  always: boolean;
  /** for `acquires`: what the function returns, the count obtained or 0 / -errno. */
  returns?: 'count' | 'status';
  /** for `releases`: exactly on the paths that return non-zero (an error), never on those that return 0. */
  when?: 'error';
  /** for `releases`: the count released, in the function's parameters: `0->nr_pages` (a field of parameter 0), `2` (parameter 2). */
  count?: string;
  /** for `acquires` (0 / -errno functions): some path that fails still leaves pages there — the caller's error path must release them. */
  keptOnError?: boolean;
  /**
   * for `acquires`: the function also stored the pages (or their pfn: `*pfn = page_to_pfn(pages[0])`)
   * through another parameter, where the caller keeps track of them: this parameter is not their only handle
   */
  alsoStored?: boolean;
}

export interface FunctionSummary {
  name: string;
  range: Range;
  params: ParamEffect[];
  /** the function returns pages it acquired (`return pages;` after pin_user_pages_fast() into them), of one mode on every such path */
  returns?: { mode: Mode; api: string };
  /** the function returns a field of its parameter `index` and nothing else but NULL or an error pointer (`return dio->pages[sdio->head];`, `return (struct page **)(vec->ptrs);`): `path` is the member path after `->`, `element` whether it is one slot of it. Its caller's variable names that field's pages. */
  returnsField?: { index: number; path: string; element: boolean };
  /** one line for code lenses / hovers. */
  text: string;
}

/** Pages put into a struct field (`struct foo.pages`), with the mode they carry. */
export interface FieldFill {
  key: string;
  mode: Mode;
  api: string;
  function: string;
  range: Range;
  /** the file it is in, when it comes from another file */
  file?: string;
  /** for EXTRACT pages: the flag field the filling function set beside them from iov_iter_extract_will_pin() */
  flag?: FieldFlag;
  /** the field is an sg table or entry the pages went into (sg_alloc_table_from_pages(), sg_set_page()) */
  sg?: true;
  /** filled through an outer struct that embeds the key's (`rm->atomic.op_sg`): the key as written there (`struct rds_message.atomic.op_sg`) */
  via?: string;
}

/** A flag field that says whether a field's extracted pages were pinned (`ap->args.is_pinned = iov_iter_extract_will_pin(ii)`). */
export interface FieldFlag {
  /** `struct fuse_args_pages.args.is_pinned` */
  key: string;
  /** as written where it is set: `ap->args.is_pinned` */
  field: string;
  /** the flag's value when the pages were pinned (true: it holds iov_iter_extract_will_pin()'s answer) */
  pinned: boolean;
  /** where it is set, in the file of the fill */
  range: Range;
}

/** A release of a struct field's pages and the fills that put pages there. */
export interface FieldReleaseInfo {
  range: Range;
  function: string;
  api: string;
  /** as written (`r->pages`) and as keyed (`struct xring.pages`) */
  field: string;
  key: string;
  fills: FieldFill[];
}

/**
 * Pages of a known mode passed to a function at a call (`xbuf_unpin(pages, n)`
 * after `pin_user_pages_fast(…, pages)`): the callee's parameter gets its mode
 * from its callers (top-down), so a release there is judged by it.
 */
export interface ArgMode {
  callee: string;
  /** the parameter's position */
  index: number;
  mode: Mode;
  /** the acquire that took the pages (`pin_user_pages_fast`) */
  api: string;
  /** the calling function */
  function: string;
  /** the acquire, in the caller's file */
  range: Range;
  /** the call */
  call: Range;
  /** the caller's file, when it comes from another file */
  file?: string;
}

/**
 * Where the mode of the pages a release call releases came from: an acquire in
 * the same function, a helper whose summary acquires them, the callers that
 * pass them in (top-down), the fills of the struct field it releases (in this
 * file or others), or nowhere the analysis can see.
 */
export type Provenance = 'acquire' | 'helper' | 'callers' | 'field' | 'unknown';

/** A release call (`unpin_user_pages(p, n)`, a helper that releases) and the mode of what it releases, as the analysis knows it. */
export interface ReleaseSite {
  range: Range;
  function: string;
  api: string;
  /** the helper the release goes through, when it is a helper's summary */
  via?: string;
  /** the mode of the pages (several paths may disagree: each mode once); absent when unknown */
  modes: Mode[];
  provenance: Provenance;
  /** the acquire API the pages came from (each once) */
  from: string[];
}

export interface FileAnalysis {
  findings: Finding[];
  callSites: CallSite[];
  summaries: FunctionSummary[];
  functions: number;
  /** notes on what could not be analysed (input too large, binary, parse trouble). */
  notes: string[];
  /** struct fields this file fills with pages, for other files' teardowns */
  fieldFills?: FieldFill[];
  /** struct fields this file releases but never fills: another file may say how they were filled */
  openFieldReleases?: string[];
  /** structs whose members' types a field key needed and neither the file nor the given StructTypes define: a header may (index/structs.ts) */
  structsWanted?: string[];
  /** releases of struct fields, with how the field was filled (in this file, or — given fills — in others): hovers explain them */
  fieldReleases?: FieldReleaseInfo[];
  /** pages of a known mode this file passes to functions it does not define, for their files' top-down judgement */
  argModes?: ArgMode[];
  /** every release call of pages the simulation met, with the mode it judged it by (where known) */
  releaseSites?: ReleaseSite[];
}

export interface Settings {
  /** codes not to report */
  disabledCodes?: Code[];
  severity?: Partial<Record<Code, Severity>>;
  /** which kernel's API rules: '6.1' (BIO_NO_PAGE_REF, iov_iter_get_pages) or '6.12'. */
  kernelVersion?: '6.1' | '6.12' | 'auto';
  /** characters; larger text gets one note and no analysis. */
  maxFileSize?: number;
  /** simulated paths per function before the answer is `analysis-incomplete`. */
  pathBudget?: number;
}

/** Settings of a check that may know the build's configuration (the CLI and kbuild; the editor does not). */
export interface CheckSettings extends Settings {
  /**
   * The build's configuration, when known (include/generated/autoconf.h and
   * the -D's of the command line): `#if`/`#ifdef` blocks and `IS_ENABLED()`
   * conditions over it take the branch the build compiles, and functions
   * the build leaves out are not analysed. Absent or null: unknown (the `#if`
   * branch of a block is analysed, both sides of a C condition).
   */
  config?: KernelConfig | null;
}

/**
 * Defined macros and their values (`CONFIG_FOO: '1'` for =y, `CONFIG_BAR_MODULE: '1'`
 * for =m, `MODULE: '1'` from -DMODULE). A CONFIG_* name that is absent is not set;
 * any other absent name is unknown (the condition is not decided).
 */
export type KernelConfig = Record<string, string>;

export const DEFAULT_SETTINGS: Required<Settings> = {
  disabledCodes: [],
  severity: {},
  kernelVersion: 'auto',
  maxFileSize: 2_000_000,
  pathBudget: 4096,
};

/**
 * What the definitions of structs say of their members of struct type
 * (struct name -> member -> `T` embedded, `*T` a pointer to one, `T[]` an
 * array of them), for the structs a file names that other files (headers)
 * define; null: the tree defines that struct more than once, differently
 * (not resolved). A cross-file fact like the fills: field keys through
 * embedded members and pointer members are made with it (core/fields.ts).
 */
export type StructTypes = Record<string, Record<string, string> | null>;
