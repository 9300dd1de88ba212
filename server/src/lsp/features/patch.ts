// Patch documents (.patch, .diff, .mbox, .eml): the patch report (or, with no
// tree, the analysis of what the hunks show) put on the patch's own lines.
// Plain data only; lsp/patch.ts does the I/O, convert.ts makes LSP types.
//
// A finding in the final tree is placed on the line of the patch that shows
// it: walking the series backwards, each patch's hunks are asked (inputLineOf)
// for the line, preferring a `+` line of the patch that introduced it; a line
// no hunk shows goes to the nearest line of that patch's hunks, and the
// message says where it really is. Hunk geometry: hunks.ts; a patch whose
// tree is not open: fragments.ts.
import type { FileChange, LineSpan, ParsedPatch, PatchProblem, SeriesApply } from '../../core/patch/types';
import { decodeHeaderWords } from '../../core/patch/mail';
import { FunctionSpan, findFunctionSpans, touchedFunctions } from '../../index/definitions';
import type { Code, FileAnalysis, Finding, Fix, Position, Range, Severity, TextEdit } from '../../core/types';
import type { PatchMark, PatchReport, PatchSummary } from '../../index/patch-compare';
import { findingMarkdown, hoverAt, HoverInfo } from './hover';
import type { Lens } from './lenses';
import { plural } from '../../words';
import { modeLabel } from './labels';
import { contains } from './positions';
import { keySteps } from './steps';
import { changedPost, changedPre, docLines, lineRange, newCount, onPatchLine, placeBase, placeFinal } from './hunks';

/** One diagnostic on the patch document. */
export interface PatchDiag {
  range: Range;
  severity: Severity;
  code?: Code;
  message: string;
  related: { range: Range; message: string }[];
  /** the finding's quick fixes as edits of the patch's `+` lines (and the hunk headers' counts) */
  fixes?: Fix[];
}

/** A finding placed on the patch, kept for hovers. */
export interface PatchFinding {
  range: Range;
  mark: PatchMark | 'partial';
  file: string;
  /** as the core reported it, in the file's own lines. */
  finding: Finding;
}

export interface PatchView {
  diagnostics: PatchDiag[];
  lenses: Lens[];
  findings: PatchFinding[];
}

/** The patch check's errors (kind 'io' / 'git' have no place in the input). */
export type Problem = PatchProblem | { kind: 'io' | 'git'; message: string };

export const EMPTY_ANALYSIS: FileAnalysis = { findings: [], callSites: [], summaries: [], functions: 0, notes: [] };

// ---------------------------------------------------------------- document lines
export const at0: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** The line each patch starts on: its Subject header, else the first diff line of its first hunk. */
export function patchStartLines(text: string, patches: ParsedPatch[]): number[] {
  const lines = docLines(text);
  const subjects: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^Subject:\s?(.*)$/i.exec(lines[i]);
    if (!m) continue;
    let s = m[1];
    for (let j = i + 1; j < lines.length && /^[ \t]\S/.test(lines[j]); j++) s += lines[j];
    subjects.push({ line: i, text: norm(safeDecode(s)) });
  }
  let next = 0;
  return patches.map(p => {
    const k = subjects.findIndex((s, i) => i >= next && s.text === norm(p.subject));
    if (k >= 0) { next = k + 1; return subjects[k].line; }
    const first = p.files.flatMap(f => f.hunks).find(h => h.inputLine !== undefined)?.inputLine;
    if (first === undefined) return 0;
    for (let l = first; l >= 0 && first - l < 64; l--) if (/^diff --git |^--- \S/.test(lines[l])) return l;
    return first;
  });
}

function norm(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function safeDecode(s: string): string {
  try { return decodeHeaderWords(s); } catch { return s; }
}

export function patchLabel(p: ParsedPatch): string {
  if (p.tag?.number !== undefined) return `[${p.tag.raw}]`;
  return p.subject.length > 60 ? p.subject.slice(0, 57) + '…' : p.subject;
}

// ---------------------------------------------------------------- with a tree: the patch report

export function treeView(text: string, patches: ParsedPatch[], series: SeriesApply, report: PatchReport): PatchView {
  const lines = docLines(text);
  const diagnostics: PatchDiag[] = [];
  const findings: PatchFinding[] = [];
  for (const m of report.findings) {
    const f = m.finding;
    if (m.patch === 'fixed') {
      const p = placeBase(series, m.file, f.range.start.line, m.by);
      const range = p ? lineRange(lines, p.line) : at0;
      diagnostics.push({
        range, severity: 'information', code: f.code, related: [],
        message: `fixes: ${f.code} in ${f.function}() — ${f.message}${p?.patch !== undefined && patches.length > 1 ? ` (${patchLabel(patches[p.patch])})` : ''}`,
      });
      continue;
    }
    const p = placeFinal(series, lines, m.file, f.range.start.line, m.by);
    const range = p ? onPatchLine(lines, p.line, f.range, p.exact) : at0;
    const where = `${m.file}:${f.range.start.line + 1}`;
    const related: PatchDiag['related'] = [];
    if (f.acquire) {
      const a = placeFinal(series, lines, m.file, f.acquire.range.start.line);
      if (a?.exact) related.push({ range: onPatchLine(lines, a.line, f.acquire.range, true), message: `${f.acquire.api} acquires the pages (${modeLabel(f.acquire.mode)})` });
    }
    for (const step of keySteps(f)) {
      const s = placeFinal(series, lines, m.file, step.range.start.line);
      if (s?.exact && !related.some(r => r.range.start.line === s.line)) related.push({ range: onPatchLine(lines, s.line, step.range, true), message: step.note });
    }
    const finalText = series.final.get(m.file);
    const fixes = finalText === undefined ? [] : patchFixes(f.fixes, finalText, line => {
      const q = placeFinal(series, lines, m.file, line, m.by);
      return q?.exact ? q.line : undefined;
    }, text);
    diagnostics.push({
      range, severity: f.severity, code: f.code, related,
      message: `(${m.patch}) ${f.message}${p?.exact ? '' : ` [at ${where}, not shown in the patch]`}`,
      ...(fixes.length ? { fixes } : {}),
    });
    findings.push({ range, mark: m.patch, file: m.file, finding: f });
  }
  return { diagnostics, findings, lenses: treeLenses(text, patches, series, report) };
}

function treeLenses(text: string, patches: ParsedPatch[], series: SeriesApply, report: PatchReport): Lens[] {
  const lenses: Lens[] = [];
  const starts = patchStartLines(text, patches);
  const count = (k: number, mark: PatchMark) => report.findings.filter(m => m.patch === mark && m.by === k).length;
  series.patches.forEach((ap, k) => {
    const s = report.patches[k];
    if (!s) return;
    const parts = [patchLabel(ap.patch)];
    const intro = count(k, 'introduced') || s.introduced.length;
    parts.push(`${plural(intro, 'finding')} introduced`);
    const fixed = count(k, 'fixed') || s.fixed.length;
    if (fixed) parts.push(`${fixed} fixed`);
    const rest = s.lines.filter(l => !/^(introduces|fixes) \d/.test(l));
    if (rest.length) parts.push(rest[0] + (rest.length > 1 ? ` (+${rest.length - 1} more)` : ''));
    const at = starts[k] ?? 0;
    lenses.push({ range: { start: { line: at, character: 0 }, end: { line: at, character: 0 } }, title: parts.join(' · '), command: '' });
    for (const l of hunkLenses(ap.files, s)) lenses.push(l);
  });
  return lenses;
}

interface HunkInfo { line: number; file: string; fns: string[]; post: LineSpan; items: string[]; added: string; removed: string }

/** One lens per hunk header: what the patch's summary says about that hunk's function(s). */
function hunkLenses(files: FileChange[], s: PatchSummary): Lens[] {
  const hunks: HunkInfo[] = [];
  for (const fc of files) {
    const postSpans: FunctionSpan[] = fc.after !== undefined ? findFunctionSpans(fc.after) : [];
    const preSpans: FunctionSpan[] = fc.before !== undefined ? findFunctionSpans(fc.before) : [];
    for (const a of fc.hunks) {
      if (a.hunk.inputLine === undefined) continue;
      const fns = new Set([
        ...touchedFunctions(postSpans, [changedPost(a.hunk, a.postLine)]),
        ...touchedFunctions(preSpans, [changedPre(a.hunk, a.preLine)]),
      ]);
      hunks.push({
        line: a.hunk.inputLine, file: fc.path, fns: [...fns], post: { start: a.postLine, end: a.postLine + newCount(a.hunk) }, items: [],
        added: a.hunk.lines.filter(l => l[0] === '+').join('\n'), removed: a.hunk.lines.filter(l => l[0] === '-').join('\n'),
      });
    }
  }
  /** the hunk showing `line` of `file`'s post-image, else the first hunk touching `fn`. */
  const hunkOf = (file: string, fn: string, line?: number): HunkInfo | undefined =>
    (line !== undefined ? hunks.find(h => h.file === file && line >= h.post.start && line < h.post.end) : undefined)
    ?? hunks.find(h => h.file === file && h.fns.includes(fn))
    ?? hunks.find(h => h.fns.includes(fn));
  /** the hunk of `fn` whose added (or removed) lines call one of `apis`, else the first hunk of `fn`. */
  const hunkCalling = (file: string, fn: string, apis: string[], side: 'added' | 'removed'): HunkInfo | undefined =>
    hunks.find(h => h.file === file && h.fns.includes(fn) && apis.some(api => new RegExp(`\\b${api}\\s*\\(`).test(h[side])))
    ?? hunkOf(file, fn);
  const add = (h: HunkInfo | undefined, item: string) => { if (h && !h.items.includes(item)) h.items.push(item); };

  for (const c of s.conversions) {
    const api = c.from.api !== c.to.api ? `${c.from.api} → ${c.to.api}` : c.to.api;
    add(hunkOf(c.to.file, c.to.function, c.to.line), `converts ${api}${c.from.mode !== c.to.mode ? ` (${c.from.mode} → ${c.to.mode})` : ''}`);
  }
  for (const r of s.releaseConversions) add(hunkCalling(r.file, r.function, r.to, 'added'), `releases ${r.from.join(', ')} → ${r.to.join(', ')}`);
  for (const r of s.releasesAdded) add(hunkOf(r.file, r.function, r.line), `new release ${r.api}`);
  for (const r of s.releasesRemoved) add(hunkCalling(r.file, r.function, r.apis, 'removed'), `release ${r.apis.join(', ')} removed`);
  for (const h of s.helperChanges) add(hunkOf(h.file, h.function), `releases now through ${h.now.map(x => `${x}()`).join(', ') || 'no helper'}`);
  const behind = new Map<string, PatchSummary['leftBehind']>();
  for (const l of s.leftBehind) behind.set(`${l.file}\u0001${l.function}\u0001${l.api}`, [...(behind.get(`${l.file}\u0001${l.function}\u0001${l.api}`) ?? []), l]);
  for (const ls of behind.values()) {
    const l = ls[0];
    add(hunkOf(l.file, l.function, l.acquire.line), `${plural(ls.length, 'release')} left behind: ${l.api} at ${ls.map(x => `${x.file.split('/').pop()}:${x.line + 1}`).join(', ')}`);
  }
  for (const h of s.newHandoffs) add(hunkOf(h.file, h.function, h.line), `new hand-off: ${h.kind}`);
  for (const b of s.bioFlags) add(hunkOf(b.file, b.function, b.change === 'sets' || b.change === 'clears' ? b.line : undefined), `${b.change} ${b.flag}`);
  for (const c of s.added) add(hunkOf(c.file, c.function, c.line), `new call site ${c.api} (${c.mode})`);
  for (const c of s.removed) add(hunkCalling(c.file, c.function, [c.api], 'removed'), `removes call site ${c.api} (${c.mode})`);
  for (const f of s.introduced) add(hunkOf(f.file, f.function, f.line), `introduces ${f.code}`);
  for (const f of s.fixed) add(hunkOf(f.file, f.function), `fixes ${f.code}`);

  return hunks.map(h => {
    const where = h.fns.length ? `${h.fns.map(n => `${n}()`).join(', ')}: ` : '';
    const title = where + (h.items.length ? h.items.join(' · ') : 'no change to how pages are taken or released');
    return { range: { start: { line: h.line, character: 0 }, end: { line: h.line, character: 0 } }, title, command: '' };
  });
}

// ---------------------------------------------------------------- quick fixes on the patch

const HUNK_HEADER = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/;

/**
 * A fix of the file, as an edit of the patch: each edit becomes whole `+`
 * lines replaced (or new `+` lines inserted before a line the hunk shows), and
 * each hunk's header gets its new line count. A fix that would change a line
 * the patch does not add (context, or not shown) is not offered: the patch
 * could no longer apply.
 */
export function patchFixes(fixes: Fix[], fileText: string, place: (line: number) => number | undefined, docText: string): Fix[] {
  const out: Fix[] = [];
  for (const fix of fixes) {
    const f = patchFix(fix, fileText, place, docText);
    if (f) out.push(f);
  }
  return out;
}

function patchFix(fix: Fix, fileText: string, place: (line: number) => number | undefined, docText: string): Fix | undefined {
  const file = fileText.split('\n');
  const doc = docText.split(/\r?\n/);
  const eol = /\r\n/.test(docText) ? '\r\n' : '\n';
  const edits: TextEdit[] = [];
  const delta = new Map<number, number>();
  const used = new Set<number>();
  for (const e of fix.edits) {
    const { start, end } = e.range;
    const pure = start.line === end.line && start.character === 0 && end.character === 0 && e.newText.endsWith('\n');
    const first = start.line;
    let count: number, newLines: string[];
    if (pure) {
      count = 0;
      newLines = e.newText.slice(0, -1).split('\n');
    } else {
      const last = end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
      count = last - first + 1;
      const seg = file.slice(first, last + 1).join('\n') + '\n';
      const offEnd = end.line > last ? seg.length : file.slice(first, end.line).join('\n').length + (end.line > first ? 1 : 0) + end.character;
      const changed = seg.slice(0, start.character) + e.newText + seg.slice(offEnd);
      if (!changed.endsWith('\n')) return undefined;
      newLines = changed.slice(0, -1).split('\n');
    }
    const at = place(first);
    if (at === undefined || at >= doc.length) return undefined;
    // the lines replaced must be consecutive `+` lines; an insertion goes before a `+` or context line
    for (let k = 0; k < count; k++) {
      if (place(first + k) !== at + k || doc[at + k]?.[0] !== '+' || used.has(at + k)) return undefined;
      used.add(at + k);
    }
    if (count === 0 && !(doc[at]?.[0] === '+' || doc[at]?.[0] === ' ')) return undefined;
    let header = at - 1;
    while (header >= 0 && !HUNK_HEADER.test(doc[header])) {
      if (!/^[ +\-\\]/.test(doc[header])) return undefined;
      header--;
    }
    if (header < 0) return undefined;
    delta.set(header, (delta.get(header) ?? 0) + newLines.length - count);
    edits.push({
      range: { start: { line: at, character: 0 }, end: { line: at + count, character: 0 } },
      newText: newLines.map(l => `+${l}${eol}`).join(''),
    });
  }
  for (const [line, d] of delta) {
    if (d === 0) continue;
    const m = HUNK_HEADER.exec(doc[line])!;
    const plusAt = doc[line].indexOf(`+${m[1]}`);
    const old = `+${m[1]}${m[2] !== undefined ? `,${m[2]}` : ''}`;
    const n = (m[2] !== undefined ? Number(m[2]) : 1) + d;
    edits.push({ range: { start: { line, character: plusAt }, end: { line, character: plusAt + old.length } }, newText: `+${m[1]},${n}` });
  }
  return edits.length ? { title: fix.title, edits, ...(fix.preferred ? { preferred: true } : {}) } : undefined;
}

// ---------------------------------------------------------------- a patch that cannot be checked

/** One error diagnostic per problem, on the hunk (or line) it names. */
export function problemView(text: string, patches: ParsedPatch[], problems: Problem[]): PatchView {
  const lines = docLines(text);
  const diagnostics = problems.map((p): PatchDiag => {
    const line = problemLine(lines, patches, p);
    return {
      range: lineRange(lines, line), severity: p.kind === 'no-patch' ? 'information' : 'error', related: [],
      message: `pinlens: the patch cannot be checked: ${p.message}`,
    };
  });
  return { diagnostics, findings: [], lenses: [] };
}

function problemLine(lines: string[], patches: ParsedPatch[], problem: Problem): number {
  if (problem.kind === 'io' || problem.kind === 'git') return 0;
  const p = problem as PatchProblem;
  const patch = patches.find(x => x.subject === p.patch && x.input === p.input);
  const file = patch?.files.find(f => f.newPath === p.file || f.oldPath === p.file);
  if (p.hunk !== undefined) {
    const h = file?.hunks.find(x => x.header === p.hunk && x.inputLine !== undefined);
    if (h) return h.inputLine!;
    const i = lines.findIndex(l => l === p.hunk);
    if (i >= 0) return i;
  }
  if (file) {
    const first = file.hunks.find(h => h.inputLine !== undefined)?.inputLine;
    if (first !== undefined) {
      for (let l = first; l >= 0 && first - l < 16; l--) if (/^diff --git |^--- \S/.test(lines[l])) return l;
      return first;
    }
  }
  const find = (re: RegExp) => lines.findIndex(l => re.test(l));
  if (p.kind === 'quoted-patch') { const i = find(/^>[>\s]*(diff --git |@@ -\d|--- a\/)/); if (i >= 0) return i; }
  if (p.kind === 'unsafe-path' && p.file) { const i = lines.findIndex(l => /^(diff --git|---|\+\+\+) /.test(l) && l.includes(p.file!)); if (i >= 0) return i; }
  if (p.patch) {
    const i = lines.findIndex(l => /^Subject:/i.test(l) && norm(p.patch!).startsWith(norm(l.replace(/^Subject:\s?/i, ''))));
    if (i >= 0) return i;
  }
  const i = find(/^(diff --git |--- \S|@@ -\d)/);
  return i >= 0 ? i : 0;
}

// ---------------------------------------------------------------- hover

export function patchHover(view: PatchView, text: string, pos: Position): HoverInfo | undefined {
  const hits = view.findings.filter(f => contains(f.range, pos));
  const onLine = hits.length ? hits : view.findings.filter(f => f.range.start.line === pos.line);
  const parts = onLine.map(f => {
    const where = `\`${f.file}:${f.finding.range.start.line + 1}\``;
    const mark = f.mark === 'partial' ? 'from the hunks only (tree not open)' : f.mark;
    return `*${mark}* — ${where}\n\n${findingMarkdown(f.finding)}`;
  });
  const api = hoverAt(EMPTY_ANALYSIS, text, pos);
  if (api) parts.push(api.markdown);
  if (!parts.length) return undefined;
  return { range: onLine[0]?.range ?? api!.range, markdown: parts.join('\n\n---\n\n') };
}
