// Patch reasoning, the pure part: patch text in, post-images and changed line
// ranges out. No fs, no git, no analysis. Three layers, each usable alone:
//
//   1. mail    an input (mbox, git format-patch file, single mail, plain diff)
//              → messages → ParsedPatch (subject, description, diff text).
//              Knows mbox separators, header folding, RFC 2047 words,
//              quoted-printable / base64 bodies, multipart, CRLF transport,
//              cover letters (0/N) and replies that quote a patch with '>'.
//   2. diff    diff text → FilePatch[] (jsdiff's parsePatch, paths normalised
//              like `git apply -p1`, the hunk headers kept as written).
//   3. apply   a series → per patch and file: before/after text, where each
//              hunk landed (offset, fuzz) and the changed line ranges on both
//              sides. jsdiff's applyPatch does the splicing, one hunk at a time
//              so that a failure names the hunk.
//
// Problems are returned as data (PatchProblem), never thrown: the language
// server parses half-written patches, the CLI turns any problem into exit 2.
// All line numbers here are 0-based, like the rest of the core.
import { applyPatch, diffArrays, parsePatch, StructuredPatch } from 'diff';

// ---------------------------------------------------------------- types

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

// ---------------------------------------------------------------- layer 1: mail

/** `From <anything> <date>` — the mbox separator; git format-patch writes `From <sha> Mon Sep 17 00:00:00 2001`. */
const MBOX_FROM = /^From \S+ +.*\d{1,2}:\d{2}(:\d{2})?.*\d{4}\s*$/;
const HEADER_LINE = /^[!-9;-~]+:/;

interface RawMessage {
  headers: Map<string, string>;
  body: string;
  /** 0-based input line where the body starts; undefined once decoded. */
  bodyLine?: number;
}

/** Removes transport CRs when the text was carried with CRLF line ends. */
export function normaliseLineEnds(text: string): { text: string; crlf: boolean } {
  const lf = (text.match(/\n/g) ?? []).length;
  const crlf = (text.match(/\r\n/g) ?? []).length;
  if (lf === 0 || crlf * 2 < lf) return { text, crlf: false };
  return { text: text.replace(/\r\n/g, '\n'), crlf: true };
}

function looksLikeMail(lines: string[]): boolean {
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  if (i >= lines.length) return false;
  if (MBOX_FROM.test(lines[i])) return true;
  let sawKey = false;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const l = lines[i];
    if (/^[ \t]/.test(l)) continue;
    if (!HEADER_LINE.test(l)) return false;
    if (/^(from|subject|date|message-id):/i.test(l)) sawKey = true;
  }
  return sawKey;
}

/** Splits an input into messages; a plain diff is one message with no headers. */
function splitMessages(text: string): { mail: boolean; messages: RawMessage[] } {
  const lines = text.split('\n');
  if (!looksLikeMail(lines)) return { mail: false, messages: [{ headers: new Map(), body: text, bodyLine: 0 }] };
  const starts: number[] = [];
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') first++;
  starts.push(first);
  for (let i = first + 1; i < lines.length; i++) if (MBOX_FROM.test(lines[i])) starts.push(i);
  const messages: RawMessage[] = [];
  for (let m = 0; m < starts.length; m++) {
    const end = m + 1 < starts.length ? starts[m + 1] : lines.length;
    let i = starts[m];
    if (MBOX_FROM.test(lines[i])) i++;
    const headers = new Map<string, string>();
    let last = '';
    for (; i < end && lines[i] !== ''; i++) {
      const l = lines[i];
      if (/^[ \t]/.test(l) && last) {
        headers.set(last, headers.get(last) + ' ' + l.trim());
        continue;
      }
      const c = l.indexOf(':');
      if (c <= 0) break;
      last = l.slice(0, c).trim().toLowerCase();
      const v = l.slice(c + 1).trim();
      // a repeated header keeps its first value (Received: and friends do not matter here)
      if (!headers.has(last)) headers.set(last, v); else last = '';
    }
    const bodyLine = i < end ? i + 1 : end;
    // mboxrd escapes body lines that start with "From " as ">From "
    const body = lines.slice(bodyLine, end).map((l) => l.replace(/^>(>*From )/, '$1')).join('\n');
    messages.push({ headers, body, bodyLine });
  }
  return { mail: true, messages };
}

function bytesOf(s: string): number[] {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c); else out.push(...enc.encode(ch));
  }
  return out;
}

function decodeBytes(bytes: number[], charset: string): string {
  try {
    return new TextDecoder(charset || 'utf-8').decode(new Uint8Array(bytes));
  } catch {
    return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
  }
}

/** RFC 2045 quoted-printable; soft line breaks joined, `=XX` decoded as bytes of `charset`. */
export function decodeQuotedPrintable(text: string, charset = 'utf-8'): string {
  const s = text.replace(/=[ \t]*\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      bytes.push(...bytesOf(String.fromCodePoint(cp)));
    }
  }
  return decodeBytes(bytes, charset);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function decodeBase64(text: string, charset = 'utf-8'): string {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, '');
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of clean) {
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 0xff);
    }
  }
  return decodeBytes(bytes, charset);
}

/** RFC 2047 encoded words in headers (`=?UTF-8?q?…?=`, `=?utf-8?B?…?=`). */
export function decodeHeaderWords(value: string): string {
  const word = /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g;
  // whitespace between two encoded words is not part of the text
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(word, (_m, charset: string, enc: string, data: string) => {
    const cs = charset.replace(/\*.*$/, '');
    if (enc.toUpperCase() === 'B') return decodeBase64(data, cs);
    return decodeQuotedPrintable(data.replace(/_/g, ' '), cs);
  });
}

function headerParam(value: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*("([^"]*)"|[^;\\s]+)`, 'i').exec(value);
  return m ? (m[2] ?? m[1]) : undefined;
}

/** The text of a message body: transfer encoding undone, text parts of a multipart joined. */
function bodyText(headers: Map<string, string>, body: string, depth = 0): { text: string; decoded: boolean } {
  const ctype = headers.get('content-type') ?? 'text/plain';
  const cte = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  const charset = headerParam(ctype, 'charset') ?? 'utf-8';
  if (/^multipart\//i.test(ctype) && depth < 4) {
    const boundary = headerParam(ctype, 'boundary');
    if (boundary) {
      const parts = body.split(new RegExp(`^--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*$`, 'm')).slice(1);
      const texts: string[] = [];
      for (const part of parts) {
        const blank = part.indexOf('\n\n');
        if (blank < 0) continue;
        const ph = new Map<string, string>();
        let last = '';
        for (const l of part.slice(0, blank).replace(/^\n/, '').split('\n')) {
          if (/^[ \t]/.test(l) && last) { ph.set(last, ph.get(last) + ' ' + l.trim()); continue; }
          const c = l.indexOf(':');
          if (c > 0) { last = l.slice(0, c).trim().toLowerCase(); ph.set(last, l.slice(c + 1).trim()); }
        }
        const pt = ph.get('content-type') ?? 'text/plain';
        if (!/^(text\/|multipart\/)/i.test(pt)) continue;
        texts.push(bodyText(ph, part.slice(blank + 2), depth + 1).text);
      }
      return { text: texts.join('\n'), decoded: true };
    }
  }
  if (cte === 'quoted-printable') return { text: decodeQuotedPrintable(body, charset), decoded: true };
  if (cte === 'base64') return { text: decodeBase64(body, charset), decoded: true };
  return { text: body, decoded: false };
}

/** `[RFC PATCH v8 03/10] subject` → the tag's parts. Leading `Re:`/`Fwd:` are ignored. */
export function parseSubject(subject: string): { tag?: SubjectTag; title: string; reply: boolean } {
  let s = subject.trim();
  let reply = false;
  for (;;) {
    const m = /^(re|fwd?|aw)\s*:\s*/i.exec(s);
    if (!m) break;
    reply = true;
    s = s.slice(m[0].length);
  }
  const tags: string[] = [];
  for (;;) {
    const m = /^\[([^\]]*)\]\s*/.exec(s);
    if (!m) break;
    tags.push(m[1]);
    s = s.slice(m[0].length);
  }
  if (tags.length === 0) return { title: s, reply };
  const raw = tags.join('] [');
  const tag: SubjectTag = { raw, rfc: /\bRFC\b/i.test(raw) };
  for (const tok of raw.split(/[\s\]\[]+/)) {
    let m = /^v(\d+)$/i.exec(tok);
    if (m) tag.version = +m[1];
    m = /^(\d+)\/(\d+)$/.exec(tok);
    if (m) { tag.number = +m[1]; tag.total = +m[2]; }
  }
  return { tag, title: s, reply };
}

const DIFF_START = /^(diff --git |diff -|Index: |--- \S)/;
const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const GIT_EXT = /^(old mode|new mode|deleted file mode|new file mode|similarity index|dissimilarity index|rename from|rename to|copy from|copy to|index [0-9a-f]|Binary files|GIT binary patch)/;
const QUOTED_DIFF = /^>[>\s]*(diff --git |@@ -\d+(,\d+)? \+\d+(,\d+)? @@|--- a\/|\+\+\+ b\/)/;

interface LocatedDiff {
  description: string;
  /** the diff lines from the first header to the end of the last hunk; '' when none. */
  diff: string;
  /** 0-based line in the body where `diff` starts. */
  start: number;
  /** each hunk's header line, 0-based in the body, in order. */
  hunkLines: number[];
  quoted: boolean;
}

/** Finds the diff in a message body: from its first header to the end of its last hunk, counted by the hunk headers (so a `-- ` signature or trailing prose is left out). */
function locateDiff(body: string): LocatedDiff {
  const lines = body.split('\n');
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^--- \S/.test(l)) {
      if (i + 1 < lines.length && /^\+\+\+ \S/.test(lines[i + 1])) { start = i; break; }
      continue;
    }
    if (DIFF_START.test(l) || HUNK_HEADER.test(l)) { start = i; break; }
  }
  const quoted = start < 0 && lines.some((l) => QUOTED_DIFF.test(l));
  let descEnd = start < 0 ? lines.length : start;
  const sep = lines.findIndex((l, i) => i < descEnd && l === '---');
  if (sep >= 0) descEnd = sep;
  const description = lines.slice(0, descEnd).join('\n').trim();
  if (start < 0) return { description, diff: '', start: 0, hunkLines: [], quoted };
  let end = start;
  const hunkLines: number[] = [];
  let i = start;
  while (i < lines.length) {
    const l = lines[i];
    const h = HUNK_HEADER.exec(l);
    if (h) {
      hunkLines.push(i);
      let oldLeft = h[2] === undefined ? 1 : +h[2];
      let newLeft = h[4] === undefined ? 1 : +h[4];
      i++;
      while (i < lines.length && (oldLeft > 0 || newLeft > 0)) {
        const c = lines[i][0];
        if (c === '+') newLeft--;
        else if (c === '-') oldLeft--;
        else if (c === ' ' || lines[i] === '') { oldLeft--; newLeft--; }
        else if (c !== '\\') break;
        i++;
      }
      while (i < lines.length && lines[i].startsWith('\\')) i++;
      end = i;
      continue;
    }
    if (DIFF_START.test(l) || /^\+\+\+ \S/.test(l) || GIT_EXT.test(l)) end = i + 1;
    i++;
  }
  return { description, diff: lines.slice(start, end).join('\n') + '\n', start, hunkLines, quoted };
}

/** Strips `a/`, `b/` (or another first component when the two sides differ in it, `patch -p1`). */
function normalisePaths(oldName: string | undefined, newName: string | undefined, git: boolean): { oldPath?: string; newPath?: string } {
  const isNull = (n: string | undefined) => n === undefined || n === '/dev/null';
  const o = isNull(oldName) ? undefined : oldName!;
  const n = isNull(newName) ? undefined : newName!;
  const strip = (p: string) => p.replace(/^[^/]*\//, '');
  const prefixed = (p: string | undefined, pre: string) => p === undefined || p.startsWith(pre);
  let p1: boolean;
  if (git || (prefixed(o, 'a/') && prefixed(n, 'b/'))) p1 = true;
  else if (o && n) p1 = o.includes('/') && n.includes('/') && o.split('/')[0] !== n.split('/')[0];
  else p1 = false;
  return { oldPath: o && (p1 ? strip(o) : o), newPath: n && (p1 ? strip(n) : n) };
}

function unsafePath(p: string | undefined): boolean {
  return p !== undefined && (p.startsWith('/') || p.split('/').some((c) => c === '..') || p === '');
}

/** A hunk header's line numbers past this are refused: no source file has that many lines. */
export const MAX_HUNK_LINE = 100_000_000;

const GIT_BINARY = /^(GIT binary patch|Binary files )/;

/**
 * The shape checks jsdiff leaves to its callers (or reports only as "invalid
 * line"): hunks without file lines before them, with no lines, cut short or
 * longer than their header says, file headers with nothing under them, and
 * line numbers no file has. Returns the first problem as a sentence, and the
 * files a `GIT binary patch` / `Binary files … differ` changes.
 */
function checkDiffShape(diff: string): { error?: string; binary: Set<string> } {
  const lines = diff.split('\n');
  // empty lines at the end: context lines a mailer stripped of their space, or nothing
  let trailing = 0;
  while (lines.length && lines[lines.length - 1] === '') { lines.pop(); trailing++; }
  const binary = new Set<string>();
  let file: string | undefined; // the current file's name as the headers give it
  let files = false; // a ---/+++ pair (or a diff --git line) came before
  let hunks = 0;
  let ext = false; // git extended header lines (mode, rename, binary, …)
  const name = (l: string) => l.replace(/^(---|\+\+\+) /, '').replace(/\t.*$/, '').replace(/^[ab]\//, '');
  const close = (): string | undefined => {
    if (file !== undefined && hunks === 0 && !ext) return `${file}: a file header with no hunk under it (nothing to apply)`;
    return undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const git = /^diff --git (?:"?a\/)?(\S+) (?:"?b\/)?(\S+?)"?$/.exec(l);
    if (git || /^diff -/.test(l) || /^Index: /.test(l)) {
      const e = close(); if (e) return { error: e, binary };
      file = git ? git[2] : l.replace(/^(diff -\S*|Index:)\s+/, '').split(/\s+/).pop(); files = !!git; hunks = 0; ext = false;
      continue;
    }
    if (/^--- /.test(l)) {
      if (!/^\+\+\+ /.test(lines[i + 1] ?? '')) return { error: `'${l}' is not followed by a '+++' line: the new file's name is missing`, binary };
      // a git header's ---/+++ belong to it; elsewhere they start a file
      if (!(files && file !== undefined && hunks === 0 && /^diff --git/.test(lines.slice(0, i).reverse().find(x => /^(diff |--- |@@ )/.test(x)) ?? ''))) {
        const e = close(); if (e) return { error: e, binary };
      }
      const n = name(lines[i + 1]);
      file = n === '/dev/null' ? name(l) : n; files = true; hunks = 0; ext = false;
      i++;
      continue;
    }
    if (/^\+\+\+ /.test(l)) return { error: `'${l}' has no '---' line before it: the old file's name is missing`, binary };
    if (GIT_EXT.test(l) && file !== undefined) {
      ext = true;
      if (GIT_BINARY.test(l)) binary.add(file);
      continue;
    }
    const h = HUNK_HEADER.exec(l);
    if (!h) continue;
    hunks++;
    const where = file === undefined ? `hunk ${hunks} (${l})` : `${file}: hunk ${hunks} (${l})`;
    if (!files) return { error: `${where} has no '---'/'+++' lines before it: which file it changes is missing`, binary };
    const nums = [h[1], h[2] ?? '1', h[3], h[4] ?? '1'].map(Number);
    if (nums.some(n => !Number.isSafeInteger(n) || n > MAX_HUNK_LINE)) {
      return { error: `${where} has line numbers past ${MAX_HUNK_LINE}, which no source file has`, binary };
    }
    let oldLeft = nums[1], newLeft = nums[3];
    const want = `${oldLeft} old and ${newLeft} new line(s)`;
    let j = i + 1, body = 0;
    for (; j < lines.length && (oldLeft > 0 || newLeft > 0); j++) {
      const c = lines[j][0];
      if (lines[j] === '' || c === ' ') { oldLeft--; newLeft--; }
      else if (c === '-' && !/^--- /.test(lines[j]) ) oldLeft--;
      else if (c === '+' && !/^\+\+\+ /.test(lines[j])) newLeft--;
      else if (c !== '\\') break;
      body++;
    }
    if (body === 0 && (nums[1] > 0 || nums[3] > 0)) return { error: `${where} has no lines; its header promises ${want}`, binary };
    if (oldLeft < 0 || newLeft < 0) return { error: `${where} has more lines than its header says (${want})`, binary };
    if (j === lines.length && oldLeft === newLeft && oldLeft < trailing) { oldLeft = newLeft = 0; }
    if (oldLeft > 0 || newLeft > 0) {
      return { error: `${where} ends after ${body} line(s), ${oldLeft} old and ${newLeft} new line(s) short of its header (${want}): the patch is cut short or its counts are wrong`, binary };
    }
    while (j < lines.length && lines[j].startsWith('\\')) j++;
    const next = lines[j];
    if (next !== undefined && /^[-+ ]/.test(next) && !/^(--- |\+\+\+ )/.test(next)) {
      return { error: `${where} has more lines than its header says (${want})`, binary };
    }
    i = j - 1;
  }
  const e = close();
  return e ? { error: e, binary } : { binary };
}

/** Layer 2: diff text → FilePatch[], hunk headers kept as written. */
export function parseDiff(diff: string): { files: FilePatch[]; error?: string } {
  const shape = checkDiffShape(diff);
  if (shape.error !== undefined) return { files: [], error: shape.error };
  let structured: StructuredPatch[];
  try {
    structured = parsePatch(diff);
  } catch (e) {
    return { files: [], error: (e as Error).message };
  }
  const headers = diff.split('\n').filter((l) => HUNK_HEADER.test(l));
  let h = 0;
  const files: FilePatch[] = [];
  for (const sp of structured) {
    if (sp.oldFileName === undefined && sp.newFileName === undefined && sp.hunks.length === 0) continue;
    const { oldPath, newPath } = normalisePaths(sp.oldFileName, sp.newFileName, !!sp.isGit);
    let status: FileStatus;
    if (sp.isBinary || shape.binary.has(newPath ?? '') || shape.binary.has(oldPath ?? '')) status = 'binary';
    else if (sp.isCreate || (oldPath === undefined && newPath !== undefined)) status = 'added';
    else if (sp.isDelete || (newPath === undefined && oldPath !== undefined)) status = 'deleted';
    else if (sp.isRename) status = 'renamed';
    else if (sp.isCopy) status = 'copied';
    else if (sp.hunks.length === 0) status = 'mode';
    else status = 'modified';
    const hunks: Hunk[] = sp.hunks.map((hk) => ({
      header: headers[h++] ?? `@@ -${hk.oldStart},${hk.oldLines} +${hk.newStart},${hk.newLines} @@`,
      oldStart: hk.oldStart, oldLines: hk.oldLines, newStart: hk.newStart, newLines: hk.newLines,
      lines: hk.lines,
    }));
    files.push({ oldPath, newPath: status === 'deleted' ? undefined : newPath ?? oldPath, status, hunks });
  }
  return { files };
}

function describePatch(p: { subject: string; input: string }): string {
  return p.subject === p.input ? `"${p.input}"` : `"${p.subject}" (${p.input})`;
}

/** Plain `git show` output: the subject is the first line of the indented message. */
function gitShowSubject(body: string): string | undefined {
  if (!/^commit [0-9a-f]{7,}/.test(body)) return undefined;
  const m = /\n\n {4}(\S.*)/.exec(body);
  return m ? m[1].trim() : undefined;
}

/** Layer 1 entry: inputs → the patches of the series, in input order. */
export function parseSeries(inputs: PatchInput[]): SeriesParse {
  const patches: ParsedPatch[] = [];
  const notes: string[] = [];
  const problems: PatchProblem[] = [];
  for (const input of inputs) {
    // a byte order mark some editors write is not part of the first line
    const { text, crlf } = normaliseLineEnds(input.text.replace(/^\uFEFF/, ''));
    const { mail, messages } = splitMessages(text);
    const quotedReplies: string[] = [];
    const before = patches.length;
    let lastNumber = 0;
    for (const msg of messages) {
      const subjectRaw = decodeHeaderWords(msg.headers.get('subject') ?? '');
      const { tag, reply } = parseSubject(subjectRaw);
      const subject = subjectRaw || gitShowSubject(msg.body) || input.name;
      const { text: body, decoded } = bodyText(msg.headers, msg.body);
      const loc = locateDiff(body);
      if (tag?.number === 0 && (tag.total ?? 0) > 0) {
        notes.push(`skipped cover letter "${subject}"`);
        continue;
      }
      if (!loc.diff) {
        if (loc.quoted) quotedReplies.push(subject);
        else if (mail) notes.push(`skipped "${subject}": no diff in the message${reply ? ' (a reply)' : ''}`);
        continue;
      }
      const parsed = parseDiff(loc.diff);
      if (parsed.error !== undefined) {
        problems.push({ kind: 'malformed-diff', input: input.name, patch: subject,
          message: `patch ${describePatch({ subject, input: input.name })}: malformed diff: ${parsed.error}` });
        continue;
      }
      const bad = parsed.files.flatMap((f) => [f.oldPath, f.newPath]).find(unsafePath);
      if (bad !== undefined) {
        problems.push({ kind: 'unsafe-path', input: input.name, patch: subject, file: bad,
          message: `patch ${describePatch({ subject, input: input.name })}: refusing path "${bad}" (absolute or outside the tree)` });
        continue;
      }
      if (!decoded && msg.bodyLine !== undefined) {
        const hs = parsed.files.flatMap((f) => f.hunks);
        hs.forEach((hk, k) => { if (k < loc.hunkLines.length) hk.inputLine = msg.bodyLine! + loc.hunkLines[k]; });
      }
      if (tag?.number !== undefined) {
        if (tag.number < lastNumber) notes.push(`"${subject}" comes after patch ${lastNumber} in ${input.name}; applied in input order`);
        lastNumber = tag.number;
      }
      patches.push({
        input: input.name, index: patches.length, subject, tag,
        from: msg.headers.has('from') ? decodeHeaderWords(msg.headers.get('from')!) : undefined,
        date: msg.headers.get('date'), messageId: msg.headers.get('message-id'),
        description: loc.description, files: parsed.files,
      });
    }
    if (crlf) notes.push(`${input.name}: CRLF line ends removed (mail transport)`);
    if (quotedReplies.length > 0) {
      const which = quotedReplies.map((s) => `"${s}"`).join(', ');
      if (patches.length === before) {
        problems.push({ kind: 'quoted-patch', input: input.name, patch: quotedReplies[0],
          message: `${input.name}: ${which} quotes a patch with '>' (a reply, not a patch); quoted diffs are not applied — give the original patch (git format-patch, b4 am) instead` });
      } else {
        notes.push(`skipped ${which}: a reply quoting a patch with '>'`);
      }
    } else if (patches.length === before && !problems.some((p) => p.input === input.name)) {
      problems.push({ kind: 'no-patch', input: input.name, message: `${input.name}: no patch found (no unified diff in it)` });
    }
  }
  return { patches, notes, problems };
}

// ---------------------------------------------------------------- layer 3: apply

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Exact placement, in jsdiff's search order (at, +1, -1, +2, …), not before `minLine`. */
function locateExact(lines: string[], hunk: Hunk, want: number, minLine: number): number | undefined {
  const old = hunk.lines.filter((l) => l[0] === ' ' || l[0] === '-' || l === '').map((l) => (l === '' ? '' : l.slice(1)));
  const strip = (s: string | undefined) => (s === undefined ? undefined : s.replace(/\r$/, ''));
  const fits = (at: number) => {
    if (at < minLine || at + old.length > lines.length) return false;
    for (let k = 0; k < old.length; k++) if (strip(lines[at + k]) !== old[k].replace(/\r$/, '')) return false;
    return true;
  };
  const max = lines.length - old.length;
  // the header's line may lie past the end: search from the end (each offset once)
  want = Math.max(minLine, Math.min(want, max));
  if (fits(want)) return want;
  for (let d = 1; want + d <= max || want - d >= minLine; d++) {
    if (fits(want + d)) return want + d;
    if (fits(want - d)) return want - d;
  }
  return undefined;
}

function oneHunk(h: Hunk, oldStart: number): StructuredPatch {
  return {
    oldFileName: 'a', newFileName: 'b', oldHeader: undefined, newHeader: undefined,
    hunks: [{ oldStart, oldLines: h.oldLines, newStart: oldStart, newLines: h.newLines, lines: h.lines }],
  };
}

/** Applies one file's hunks in order; on failure says which hunk. */
export function applyHunks(text: string, hunks: Hunk[], fuzz = 2): { ok: true; text: string; hunks: AppliedHunk[] } | { ok: false; hunk: Hunk; index: number; why?: string } {
  let cur = text;
  let shift = 0; // lines added minus removed by the hunks applied so far
  let minLine = 0; // later hunks land after the changed lines of earlier ones
  let prevOffset = 0;
  const applied: AppliedHunk[] = [];
  for (let k = 0; k < hunks.length; k++) {
    const h = hunks[k];
    const lines = splitLines(cur);
    const numbers = [h.oldStart, h.oldLines, h.newStart, h.newLines];
    if (numbers.some(n => !Number.isSafeInteger(n) || n < 0 || n > MAX_HUNK_LINE)) {
      return { ok: false, hunk: h, index: k, why: `has line numbers past ${MAX_HUNK_LINE}, which no source file has` };
    }
    // a start past the end of the file is searched for from the end
    const want = Math.max(0, Math.min(h.oldStart - 1 + shift + prevOffset, lines.length));
    let at = locateExact(lines, h, want, minLine);
    let out: string | false = false;
    let used = 0;
    if (at !== undefined) {
      out = applyPatch(cur, oneHunk(h, at + 1));
    } else {
      // like `patch -F`: allow up to `fuzz` context lines that differ, fewest first
      while (out === false && used < fuzz) {
        used++;
        out = applyPatch(cur, oneHunk(h, want + 1), {
          fuzzFactor: used,
          compareLine: (n, line, _op, content) => n - 1 >= minLine && line === content,
        });
      }
    }
    if (out === false) return { ok: false, hunk: h, index: k, ...(h.oldStart - 1 > lines.length ? { why: `starts at line ${h.oldStart}, past the end of the file (${lines.length} lines), and its lines are nowhere in it` } : {}) };
    const after = splitLines(out);
    if (at === undefined) {
      // fuzzy: where the text starts to differ tells where the hunk went
      const lead = h.lines.findIndex((l) => l[0] === '+' || l[0] === '-');
      let p = 0;
      while (p < lines.length && p < after.length && lines[p] === after[p]) p++;
      at = Math.max(0, p - Math.max(0, lead));
    }
    const delta = after.length - lines.length;
    const offset = at - (h.oldStart - 1 + shift);
    applied.push({ hunk: h, preLine: at - shift, postLine: at, offset, fuzz: used });
    // the last changed line of this hunk in the new text
    let trail = 0;
    for (let j = h.lines.length - 1; j >= 0 && (h.lines[j][0] === ' ' || h.lines[j] === '' || h.lines[j][0] === '\\'); j--) if (h.lines[j][0] !== '\\') trail++;
    const newCount = h.lines.filter((l) => l[0] === ' ' || l[0] === '+' || l === '').length;
    minLine = at + newCount - trail;
    shift += delta;
    prevOffset = offset;
    cur = out;
  }
  return { ok: true, text: cur, hunks: applied };
}

/** Changed lines between two texts, on both sides. Pure insertions/deletions give an empty span on one side. */
export function lineChanges(before: string, after: string): LineChange[] {
  const a = splitLines(before);
  const b = splitLines(after);
  // skip the common head and tail: patches change little of a big file
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const parts = diffArrays(a.slice(head, a.length - tail), b.slice(head, b.length - tail));
  const out: LineChange[] = [];
  let i = head;
  let j = head;
  let open: LineChange | undefined;
  for (const part of parts) {
    const n = part.count ?? part.value.length;
    if (!part.added && !part.removed) {
      if (open) { out.push(open); open = undefined; }
      i += n; j += n;
      continue;
    }
    open ??= { pre: { start: i, end: i }, post: { start: j, end: j } };
    if (part.removed) { i += n; open.pre.end = i; } else { j += n; open.post.end = j; }
  }
  if (open) out.push(open);
  return out;
}

/** Files a series needs from the tree: everything it reads before creating it itself. */
export function requiredFiles(patches: ParsedPatch[]): string[] {
  const created = new Set<string>();
  const need = new Set<string>();
  for (const p of patches) {
    for (const f of p.files) {
      if (f.status === 'added') { if (f.newPath) created.add(f.newPath); continue; }
      if (f.oldPath && !created.has(f.oldPath)) need.add(f.oldPath);
      if (f.newPath) created.add(f.newPath);
    }
  }
  return [...need];
}

function hunkProblem(p: ParsedPatch, file: string, h: Hunk, index: number, of: number, why = 'does not match the tree'): PatchProblem {
  return {
    kind: 'hunk-failed', input: p.input, patch: p.subject, file, hunk: h.header,
    message: `patch ${describePatch(p)} does not apply: ${file}: hunk ${index + 1} of ${of} (${h.header}) ${why}`,
  };
}

/**
 * Layer 3 entry: applies the series in order to `files` (tree-relative path →
 * text; must hold requiredFiles()). Stops at the first problem, returning what
 * was applied so far.
 */
export function applySeries(files: ReadonlyMap<string, string>, patches: ParsedPatch[], opts: ApplyOptions = {}): ApplyResult {
  const fuzz = opts.fuzz ?? 2;
  const cur = new Map<string, string | undefined>();
  const base = new Map<string, string>();
  const read = (path: string): string | undefined => (cur.has(path) ? cur.get(path) : files.get(path));
  const note = (path: string) => {
    if (!cur.has(path)) { const t = files.get(path); if (t !== undefined) base.set(path, t); }
  };
  const applied: AppliedPatch[] = [];
  const notes: string[] = [];
  for (const p of patches) {
    const changes: FileChange[] = [];
    for (const f of p.files) {
      const path = f.newPath ?? f.oldPath!;
      if (f.status === 'binary') { notes.push(`${describePatch(p)}: binary change to ${path} not applied`); continue; }
      if (f.status === 'mode') continue;
      const before = f.oldPath === undefined ? undefined : read(f.oldPath);
      if (f.oldPath !== undefined) note(f.oldPath);
      if (f.newPath !== undefined && f.newPath !== f.oldPath) note(f.newPath);
      if (f.oldPath !== undefined && before === undefined) {
        return { ok: false, applied, problem: { kind: 'missing-file', input: p.input, patch: p.subject, file: f.oldPath,
          message: `patch ${describePatch(p)} does not apply: ${f.oldPath} does not exist in the tree` } };
      }
      if ((f.status === 'added' || f.status === 'renamed' || f.status === 'copied') && read(f.newPath!) !== undefined) {
        return { ok: false, applied, problem: { kind: 'file-exists', input: p.input, patch: p.subject, file: f.newPath,
          message: `patch ${describePatch(p)} does not apply: ${f.newPath} already exists in the tree` } };
      }
      const r = applyHunks(before ?? '', f.hunks, fuzz);
      if (!r.ok) return { ok: false, applied, problem: hunkProblem(p, path, r.hunk, r.index, f.hunks.length, r.why) };
      if (f.status === 'deleted' && r.text !== '') {
        return { ok: false, applied, problem: { kind: 'hunk-failed', input: p.input, patch: p.subject, file: path,
          hunk: f.hunks[f.hunks.length - 1]?.header,
          message: `patch ${describePatch(p)} does not apply: ${path} is deleted but the tree's copy has lines the patch does not remove` } };
      }
      const after = f.status === 'deleted' ? undefined : r.text;
      if (f.status === 'renamed' && f.oldPath !== undefined) cur.set(f.oldPath, undefined);
      if (f.status === 'deleted') cur.set(f.oldPath!, undefined); else cur.set(f.newPath!, after);
      changes.push({
        path, oldPath: f.oldPath !== path ? f.oldPath : undefined, status: f.status, before, after, hunks: r.hunks,
        changes: lineChanges(before ?? '', after ?? ''),
      });
    }
    applied.push({ patch: p, files: changes });
  }
  const final = new Map<string, string>();
  for (const [path, text] of files) if (!cur.has(path)) final.set(path, text);
  for (const [path, text] of cur) if (text !== undefined) final.set(path, text);
  return { ok: true, result: { base, final, patches: applied, notes } };
}

/** For the editor: the input line showing post-image line `line` of a file change, if a hunk covers it. */
export function inputLineOf(change: FileChange, line: number): number | undefined {
  for (const a of change.hunks) {
    if (a.hunk.inputLine === undefined) continue;
    let post = a.postLine;
    for (let k = 0; k < a.hunk.lines.length; k++) {
      const l = a.hunk.lines[k];
      if (l[0] === '-' || l[0] === '\\') continue;
      if (post === line) return a.hunk.inputLine + 1 + k;
      post++;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- touched functions

export interface FunctionSpan { name: string; start: number; end: number }

/**
 * Function definitions of a C text by brace matching, kernel style assumed
 * (comments, strings and preprocessor lines skipped; initialisers and
 * struct/enum bodies are not functions). `start` is the first line of the
 * declaration, `end` the line of the closing brace (inclusive).
 */
export function findFunctionSpans(text: string): FunctionSpan[] {
  const spans: FunctionSpan[] = [];
  let depth = 0;
  let line = 0;
  let declStart = -1; // offset where the current top-level declaration began
  let declLine = 0;
  let open: { name: string; start: number } | undefined;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') { line++; lineStart = true; continue; }
    if (lineStart && c === '#') {
      // a preprocessor line (with its continuations); inside a function only the first
      // #if branch is read, since each branch may open its own brace
      const directive = /^#\s*(\w+)/.exec(text.slice(i, i + 32))?.[1] ?? '';
      let nest = depth > 0 && (directive === 'else' || directive === 'elif') ? 1 : 0;
      for (;;) {
        while (i < text.length && !(text[i] === '\n' && text[i - 1] !== '\\')) { if (text[i] === '\n') line++; i++; }
        if (nest === 0 || i >= text.length) break;
        // inside a skipped branch: go on line by line to its #endif
        i++;
        line++;
        const m = /^[ \t]*#\s*(\w+)/.exec(text.slice(i, i + 40));
        if (m && /^if/.test(m[1])) nest++;
        else if (m && m[1] === 'endif') nest--;
      }
      line++;
      continue;
    }
    if (c !== ' ' && c !== '\t') lineStart = false;
    if (c === '/' && text[i + 1] === '/') { while (i < text.length && text[i + 1] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') {
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) { if (text[i] === '\n') line++; i++; }
      i++;
      continue;
    }
    if (c === '"' || c === '\'') {
      for (i++; i < text.length && text[i] !== c && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (depth === 0 && declStart < 0 && !/\s/.test(c)) { declStart = i; declLine = line; }
    if (c === '{') {
      if (depth === 0 && declStart >= 0) {
        const decl = text.slice(declStart, i).replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ');
        const name = functionName(decl);
        if (name) open = { name, start: declLine };
      }
      depth++;
    } else if (c === '}') {
      depth = Math.max(0, depth - 1);
      if (depth === 0) {
        if (open) { spans.push({ name: open.name, start: open.start, end: line }); open = undefined; declStart = -1; }
      }
    } else if (c === ';' && depth === 0) {
      declStart = -1;
    }
  }
  return spans;
}

function functionName(decl: string): string | undefined {
  const d = decl.trim();
  if (/=\s*$|=[^=]/.test(d.replace(/\([^()]*\)/g, '()'))) return undefined;
  if (/^(typedef\s+)?(struct|union|enum)\b[^()]*$/.test(d)) return undefined;
  if (!/\)\s*(__[a-z_]+(\([^()]*\))?\s*)*$/.test(d)) return undefined;
  // the identifier before the first top-level '(' that is followed by the parameter list
  const m = /([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(d.replace(/\b__attribute__\s*\(\([^)]*\)\)/g, ' '));
  if (!m) return undefined;
  if (/^(if|while|for|switch|return|sizeof)$/.test(m[1])) return undefined;
  return m[1];
}

/** Names of the functions whose lines a set of spans meets (an empty span meets the function it sits inside). */
export function touchedFunctions(spans: FunctionSpan[], ranges: LineSpan[]): string[] {
  const out = new Set<string>();
  for (const r of ranges) {
    for (const f of spans) {
      const hit = r.end > r.start ? r.start <= f.end && r.end - 1 >= f.start : r.start > f.start && r.start <= f.end;
      if (hit) out.add(f.name);
    }
  }
  return [...out];
}
