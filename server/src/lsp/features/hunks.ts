// Hunk geometry for patch documents: which lines of a file a hunk changes
// (on either side), a line mapped across a file change, and where a line of
// the final tree (or of the base) shows in the patch document, with the line
// primitives of that document.
import type { FileChange, Hunk, LineSpan, SeriesApply } from '../../core/patch/types';
import { inputLineOf } from '../../core/patch/apply';
import type { Range } from '../../core/types';

export function docLines(text: string): string[] {
  return text.split(/\r?\n/);
}

export function lineRange(lines: string[], line: number, from = 0): Range {
  const len = (lines[line] ?? '').length;
  return { start: { line, character: Math.min(from, len) }, end: { line, character: len } };
}

const isOld = (l: string) => l[0] === ' ' || l[0] === '-' || l === '';
export const isNew = (l: string) => l[0] === ' ' || l[0] === '+' || l === '';

export function newCount(h: Hunk): number { return h.lines.filter(isNew).length; }
function oldCount(h: Hunk): number { return h.lines.filter(isOld).length; }

/** The post-image lines [start, end) of a hunk's changed lines (an empty span for a pure deletion). */
export function changedPost(h: Hunk, postLine: number): LineSpan { return changedOn(h, postLine, '+', '-'); }

/** The pre-image lines [start, end) of a hunk's changed lines (an empty span for a pure addition). */
export function changedPre(h: Hunk, preLine: number): LineSpan { return changedOn(h, preLine, '-', '+'); }

/** The lines [start, end) a hunk changes on one side: `mine` marks that side's lines, `theirs` the other's (a point on this side). */
function changedOn(h: Hunk, first: number, mine: string, theirs: string): LineSpan {
  let at = first, start = -1, end = -1;
  for (const l of h.lines) {
    if (l[0] === '\\') continue;
    if (l[0] === mine) { if (start < 0) start = at; end = at + 1; at++; continue; }
    if (l[0] === theirs) { if (start < 0) start = at; end = Math.max(end, at); continue; }
    at++;
  }
  return start < 0 ? { start: first, end: first } : { start, end: Math.max(start, end) };
}

/** A post-image line of a file change → the same line before it, or undefined when the change added it. */
function postToPre(fc: FileChange, line: number): number | undefined {
  let delta = 0;
  for (const c of fc.changes) {
    if (line < c.post.start) break;
    if (line < c.post.end) return undefined;
    delta = c.pre.end - c.post.end;
  }
  return line + delta;
}

function preToPost(fc: FileChange, line: number): number | undefined {
  let delta = 0;
  for (const c of fc.changes) {
    if (line < c.pre.start) break;
    if (line < c.pre.end) return undefined;
    delta = c.post.end - c.pre.end;
  }
  return line + delta;
}

interface Placed { line: number; exact: boolean; patch?: number }

/**
 * Where a line of the final tree shows in the patch: a `+` line (of patch
 * `prefer` first), else a context line, else the nearest hunk line of the
 * last patch that touched the file near it (exact: false).
 */
export function placeFinal(series: SeriesApply, lines: string[], file: string, line: number, prefer?: number): Placed | undefined {
  const hits: { patch: number; input: number }[] = [];
  const lineIn = new Map<number, { fc: FileChange; line: number }>();
  let path = file;
  let l: number | undefined = line;
  for (let k = series.patches.length - 1; k >= 0 && l !== undefined; k--) {
    const fc = series.patches[k].files.find(f => f.path === path && f.after !== undefined);
    if (!fc) continue;
    lineIn.set(k, { fc, line: l });
    const n = inputLineOf(fc, l);
    if (n !== undefined) hits.push({ patch: k, input: n });
    if (fc.status === 'added') break;
    l = postToPre(fc, l);
    path = fc.oldPath ?? path;
  }
  const plus = (h: { input: number }) => lines[h.input]?.[0] === '+';
  const best = hits.find(h => plus(h) && h.patch === prefer) ?? hits.find(plus)
    ?? hits.find(h => h.patch === prefer) ?? hits[0];
  if (best) return { line: best.input, exact: true, patch: best.patch };
  // nearest line of a hunk: in the preferred patch, else the latest one that touched the file
  const order = [...lineIn.keys()].sort((a, b) => (a === prefer ? -1 : b === prefer ? 1 : b - a));
  for (const k of order) {
    const { fc, line: at } = lineIn.get(k)!;
    let bestDist = Infinity, bestInput: number | undefined;
    for (const a of fc.hunks) {
      if (a.hunk.inputLine === undefined) continue;
      let post = a.postLine;
      a.hunk.lines.forEach((hl, j) => {
        if (hl[0] === '-' || hl[0] === '\\') return;
        const d = Math.abs(post - at);
        if (d < bestDist) { bestDist = d; bestInput = a.hunk.inputLine! + 1 + j; }
        post++;
      });
    }
    if (bestInput !== undefined) return { line: bestInput, exact: false, patch: k };
  }
  return undefined;
}

/** The hunk header that removes or changes a line of the file before the series (for `fixed`). */
export function placeBase(series: SeriesApply, file: string, line: number, prefer?: number): Placed | undefined {
  const hits: { patch: number; input: number }[] = [];
  let path = file;
  let l: number | undefined = line;
  for (let k = 0; k < series.patches.length && l !== undefined; k++) {
    const fc = series.patches[k].files.find(f => (f.oldPath ?? f.path) === path || f.path === path);
    if (!fc || fc.before === undefined) continue;
    for (const a of fc.hunks) {
      if (a.hunk.inputLine !== undefined && l >= a.preLine && l < a.preLine + oldCount(a.hunk)) hits.push({ patch: k, input: a.hunk.inputLine });
    }
    l = preToPost(fc, l);
    path = fc.path;
  }
  const best = hits.find(h => h.patch === prefer) ?? hits[0];
  if (best) return { line: best.input, exact: true, patch: best.patch };
  // not in a hunk (a leak fixed elsewhere in the function): the first hunk of the patch that fixed it
  const k = prefer ?? series.patches.findIndex(p => p.files.some(f => (f.oldPath ?? f.path) === file || f.path === file));
  const fc = series.patches[k]?.files.find(f => (f.oldPath ?? f.path) === file || f.path === file);
  const input = fc?.hunks.find(a => a.hunk.inputLine !== undefined)?.hunk.inputLine;
  return input === undefined ? undefined : { line: input, exact: false, patch: k };
}

/** The range on a patch line for a finding's range in its file (the line's marker shifts it by one). */
export function onPatchLine(lines: string[], line: number, r: Range | undefined, exact: boolean): Range {
  if (!exact || !r) return lineRange(lines, line, 1);
  const len = (lines[line] ?? '').length;
  const start = Math.min(r.start.character + 1, len);
  const end = r.end.line === r.start.line ? Math.min(r.end.character + 1, len) : len;
  return { start: { line, character: start }, end: { line, character: Math.max(start, end) } };
}
