// The data of patch reasoning (server/src/core/patch/): inputs, parsed
// patches and hunks, problems, applied series. All line numbers are 0-based,
// like the rest of the core. How the layers fit: mail.ts.
/** One input as given on the command line or opened in the editor. */
export interface PatchInput { name: string; text: string }

/** What the `[...]` prefix of a subject says. */
export interface SubjectTag {
  /** the bracket contents as written, e.g. `PATCH v8 03/10`. */
  raw: string;
  version?: number;
  number?: number;
  total?: number;
  rfc: boolean;
}

export interface Hunk {
  /** the `@@` line as written, function context included. */
  header: string;
  /** 1-based, jsdiff's convention (a zero-length side points at the line after). */
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** the hunk body, each line with its ' ', '+', '-' or '\' marker. */
  lines: string[];
  /** 0-based line of the `@@` header in the input text; absent when the body was transfer-encoded. */
  inputLine?: number;
}

export type FileStatus = 'modified' | 'added' | 'deleted' | 'renamed' | 'copied' | 'binary' | 'mode';

export interface FilePatch {
  /** tree-relative path before the patch; absent for a new file. */
  oldPath?: string;
  /** tree-relative path after the patch; absent for a deletion. */
  newPath?: string;
  status: FileStatus;
  hunks: Hunk[];
}

export interface ParsedPatch {
  /** name of the input this patch came from. */
  input: string;
  /** position in the series, 0-based, in input order. */
  index: number;
  /** the subject as written (decoded), `[PATCH v8 03/10] …` prefix kept. */
  subject: string;
  tag?: SubjectTag;
  from?: string;
  date?: string;
  messageId?: string;
  /** the commit message (up to the `---` line). */
  description: string;
  files: FilePatch[];
}

export type ProblemKind =
  | 'malformed-diff' | 'quoted-patch' | 'no-patch' | 'unsafe-path'
  | 'hunk-failed' | 'missing-file' | 'file-exists';

/** Why an input or a series cannot be used, with enough to find the spot. */
export interface PatchProblem {
  kind: ProblemKind;
  input: string;
  /** the patch's subject. */
  patch?: string;
  file?: string;
  /** the hunk header as written. */
  hunk?: string;
  /** a complete sentence naming all of the above. */
  message: string;
}

export interface SeriesParse {
  patches: ParsedPatch[];
  /** what was skipped and why (cover letters, replies, messages without a diff). */
  notes: string[];
  problems: PatchProblem[];
}

/** A change in line terms: `pre` lines [start, end) became `post` lines [start, end). */
export interface LineSpan { start: number; end: number }
export interface LineChange { pre: LineSpan; post: LineSpan }

export interface AppliedHunk {
  hunk: Hunk;
  /** first line of the hunk (its leading context) in the patch's pre-image. */
  preLine: number;
  /** the same in the post-image. */
  postLine: number;
  /** lines away from where the header said (after earlier hunks' shifts). */
  offset: number;
  /** context lines that had to be ignored (0 = exact). */
  fuzz: number;
}

export interface FileChange {
  /** tree-relative path after the patch (before it, for a deletion). */
  path: string;
  /** the path before the patch when it differs (rename, copy). */
  oldPath?: string;
  status: FileStatus;
  /** text before this patch; absent for a new file. */
  before?: string;
  /** text after this patch; absent for a deletion. */
  after?: string;
  hunks: AppliedHunk[];
  /** changed lines, in the pre-image (`pre`) and the post-image (`post`). */
  changes: LineChange[];
}

export interface AppliedPatch { patch: ParsedPatch; files: FileChange[] }

export interface SeriesApply {
  /** texts before the series of every file it touches (absent: created by it). */
  base: Map<string, string>;
  /** texts after the series (absent: deleted by it). */
  final: Map<string, string>;
  patches: AppliedPatch[];
  notes: string[];
}

export type ApplyResult = { ok: true; result: SeriesApply } | { ok: false; problem: PatchProblem; applied: AppliedPatch[] };

export interface ApplyOptions {
  /** most context lines a hunk may miss, like `patch -F`; 0 = `git apply` strictness. Default 2. */
  fuzz?: number;
}
