// Layer 3 of patch reasoning: a series applied in memory → per patch and
// file: before/after text, where each hunk landed (offset, fuzz) and the
// changed line ranges on both sides. jsdiff's applyPatch does the splicing,
// one hunk at a time so that a failure names the hunk. Overview: mail.ts.
import { applyPatch, diffArrays, StructuredPatch } from 'diff';
import { MAX_HUNK_LINE } from './diff';
import { describePatch } from './mail';
import type { AppliedHunk, AppliedPatch, ApplyOptions, ApplyResult, FileChange, Hunk, LineChange, ParsedPatch, PatchProblem } from './types';

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
