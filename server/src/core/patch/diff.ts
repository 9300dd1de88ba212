// Layer 2 of patch reasoning: a message body → the diff in it → FilePatch[]
// (jsdiff's parsePatch, paths normalised like `git apply -p1`, the hunk
// headers kept as written). The shapes jsdiff leaves to its callers are named
// here first. Overview: mail.ts.
import { parsePatch, StructuredPatch } from 'diff';
import type { FilePatch, FileStatus, Hunk } from './types';

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
export function locateDiff(body: string): LocatedDiff {
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

export function unsafePath(p: string | undefined): boolean {
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
