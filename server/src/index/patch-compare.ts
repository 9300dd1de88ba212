// The pure part of the patch report: each version of a file analysed (through
// the Analyse given), the findings of two versions compared, a series checked
// patch by patch and each patch summarised. No fs, no git (patch-check.ts
// reads the tree and runs git; patch-report.ts renders the report).
//
// Findings are matched between two versions of a file by code + function +
// acquire API + the offending line's text (whitespace and comments dropped),
// never by line number: patches move lines.
//
// Each version of a file is analysed in the tree as that side of the patch has
// it (TreeState): a teardown's verdict follows the fills of its field in the
// other files the patch changes too. And with cross-file facts (an index), the
// other C files of the folders a patch touches are checked before and after
// it when the patch changes how a struct field they name is filled or what a
// helper they call does: a finding that change makes or mends there is
// introduced or fixed like one in the patch's own functions.
import { createHash } from 'crypto';
import * as path from 'path';
import type { AppliedPatch, FileChange, ParsedPatch, PatchProblem, SeriesApply } from '../core/patch/types';
import { applySeries, lineChanges } from '../core/patch/apply';
import { FunctionSpan, findFunctionSpans, touchedFunctions } from './definitions';
import { RELEASE_BY_NAME } from '../core/apis';
import { CallSite, Family, FileAnalysis, Finding, Mode } from '../core/types';
import { plural } from '../words';

export type PatchMark = 'introduced' | 'fixed' | 'unchanged';

/**
 * One side of a patch: the files the series changes, as that side has them
 * (tree-relative path → text; undefined: absent). Every other file is as in
 * the tree.
 */
export type TreeState = ReadonlyMap<string, string | undefined>;

/** The analysis of `text`, the file `path` of the tree as `tree` has it. */
export type Analyse = (path: string, text: string, tree: TreeState) => FileAnalysis;

/** A finding with its place in the series. */
export interface MarkedFinding {
  /** tree-relative path. */
  file: string;
  /** for `fixed`, the range is in the file as it was before the series; otherwise after it. */
  finding: Finding;
  patch: PatchMark;
  /** 0-based index of the patch that introduced or fixed it, when one patch did. */
  by?: number;
}

export interface CallSiteRef { file: string; function: string; api: string; mode: Mode; line: number }

export interface PatchSummary {
  index: number;
  input: string;
  subject: string;
  files: string[];
  functions: { file: string; name: string }[];
  /** acquire call sites whose API or mode the patch changed. */
  conversions: { from: CallSiteRef; to: CallSiteRef }[];
  releaseConversions: { file: string; function: string; from: string[]; to: string[] }[];
  /** releases a call site gained (no release of it went away). */
  releasesAdded: { file: string; function: string; line: number; api: string }[];
  /** releases a call site lost (none came instead). */
  releasesRemoved: { file: string; function: string; apis: string[] }[];
  /** releases that now go (or no longer go) through a helper. */
  helperChanges: { file: string; function: string; now: string[]; before: string[] }[];
  /** releases of the old family still there after a call site changed mode. */
  leftBehind: { file: string; function: string; line: number; api: string; acquire: CallSiteRef }[];
  newHandoffs: { file: string; function: string; line: number; kind: string; note: string }[];
  /** bio_set_flag / bio_clear_flag calls added or removed (BIO_PAGE_PINNED, BIO_PAGE_REFFED, BIO_NO_PAGE_REF). */
  bioFlags: { file: string; function: string; line: number; change: 'sets' | 'clears' | 'no longer sets' | 'no longer clears'; flag: string }[];
  added: CallSiteRef[];
  removed: CallSiteRef[];
  introduced: { file: string; line: number; code: string; function: string }[];
  fixed: { file: string; line: number; code: string; function: string }[];
  /** the above as human sentences, in this order. */
  lines: string[];
}

export interface PatchReport {
  /** the reported findings, in file and line order. */
  findings: MarkedFinding[];
  /** call sites after the series, in the functions it touches. */
  callSites: (CallSite & { file: string })[];
  patches: PatchSummary[];
  /** functions the series touches, per file. */
  touched: { file: string; functions: string[] }[];
  notes: string[];
  stats: { patches: number; files: number; functions: number; callSites: number; ms: number };
}

/** The series cannot be checked (exit 2): a hunk that does not apply, a quoted reply, unreadable input, git failing. */
export class PatchCheckError extends Error {
  readonly problems: (PatchProblem | { kind: 'io' | 'git'; message: string })[];
  constructor(problems: (PatchProblem | { kind: 'io' | 'git'; message: string })[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'PatchCheckError';
    this.problems = problems;
  }
}

/** One version of one file for markFindings: its text and its analysis. */
export interface FileVersion { text: string; analysis: FileAnalysis }

/**
 * The editor's `git diff HEAD` of one file: each finding of `after` marked
 * introduced or unchanged against `before` (undefined: the file is new), with
 * the report's matching (code + function + acquire API + line text, and a
 * finding carried through a call site the change converted is not new).
 */
export function markFindings(before: FileVersion | undefined, after: FileVersion): Map<Finding, 'introduced' | 'unchanged'> {
  const version = (v: FileVersion): Version => ({ path: '', text: v.text, lines: v.text.split('\n'), analysis: v.analysis, spans: [] });
  const pre = before && version(before);
  const post = version(after);
  const { pairs } = pairCallSites(pre?.analysis.callSites ?? [], post.analysis.callSites, pre, post);
  const convs = conversionSet(pairs.filter(([b, a, apiChanged]) => apiChanged || a.mode !== b.mode)
    .map(([b, a]) => ({ function: a.function, from: b.api, to: a.api })));
  const m = compareFindings(pre, post, convs);
  const marks = new Map<Finding, 'introduced' | 'unchanged'>();
  for (const f of m.added) marks.set(f, 'introduced');
  for (const [, f] of m.pairs) marks.set(f, 'unchanged');
  return marks;
}

// ---------------------------------------------------------------- analysis of file versions

interface Version {
  path: string;
  text: string;
  lines: string[];
  analysis: FileAnalysis;
  spans: FunctionSpan[];
}

/** A C source or header, by its name. */
export const isC = (p: string) => /\.[ch]$/.test(p);

class Versions {
  private cache = new Map<string, Version>();
  private stateIds = new Map<TreeState, number>();
  constructor(private analyse: Analyse) {}
  /** `p` with `text`, analysed in the tree as `state` has it. */
  get(p: string, text: string | undefined, state: TreeState): Version | undefined {
    if (text === undefined || !isC(p)) return undefined;
    if (!this.stateIds.has(state)) this.stateIds.set(state, this.stateIds.size);
    const key = p + '\0' + createHash('sha1').update(text).digest('hex') + '\0' + this.stateIds.get(state);
    let v = this.cache.get(key);
    if (!v) {
      const analysis = this.analyse(p, text, state);
      const spans = findFunctionSpans(text);
      for (const s of analysis.summaries) {
        if (!spans.some((f) => f.name === s.name)) spans.push({ name: s.name, start: s.range.start.line, end: s.range.end.line });
      }
      v = { path: p, text, lines: text.split('\n'), analysis, spans };
      this.cache.set(key, v);
    }
    return v;
  }
}

function normLine(lines: string[], line: number): string {
  return (lines[line] ?? '').replace(/\/\*.*?\*\//g, ' ').replace(/\/\/.*$/, '').replace(/\s+/g, ' ').trim();
}

function findingKey(f: Finding, v: Version): string {
  return [f.code, f.function, f.acquire?.api ?? '', normLine(v.lines, f.range.start.line)].join('\u0001');
}

/** The key without the acquire API: a finding carried through a conversion keeps it. */
function looseKey(f: Finding, v: Version): string {
  return [f.code, f.function, normLine(v.lines, f.range.start.line)].join('\u0001');
}

/** Pairs equal keys (as multisets, in order); the rest are only-before / only-after. */
function matchBy<T>(before: T[], after: T[], keyB: (x: T) => string, keyA: (x: T) => string): { pairs: [T, T][]; gone: T[]; added: T[] } {
  const pool = new Map<string, T[]>();
  for (const b of before) {
    const k = keyB(b);
    const list = pool.get(k);
    if (list) list.push(b); else pool.set(k, [b]);
  }
  const pairs: [T, T][] = [];
  const added: T[] = [];
  for (const a of after) {
    const list = pool.get(keyA(a));
    if (list && list.length > 0) pairs.push([list.shift()!, a]); else added.push(a);
  }
  const gone = [...pool.values()].flat();
  return { pairs, gone, added };
}

/**
 * Pairs findings of two versions. First by the full key; then, for a call
 * site the patch converted (`conversions` holds "function\u0001fromApi\u0001toApi"),
 * a finding whose acquire API followed the conversion is the same finding
 * carried over (a leak that was there before the conversion is not new).
 */
function compareFindings(pre: Version | undefined, post: Version | undefined, conversions: Set<string>) {
  const b = pre?.analysis.findings ?? [];
  const a = post?.analysis.findings ?? [];
  const m = rewordedOnEditedLines(matchBy(b, a, (f) => findingKey(f, pre!), (f) => findingKey(f, post!)), pre, post);
  if (conversions.size === 0 || m.gone.length === 0 || m.added.length === 0) return m;
  const added: Finding[] = [];
  for (const f of m.added) {
    const i = m.gone.findIndex((g) => looseKey(g, pre!) === looseKey(f, post!)
      && conversions.has(`${f.function}\u0001${g.acquire?.api ?? ''}\u0001${f.acquire?.api ?? ''}`));
    if (i >= 0) m.pairs.push([m.gone.splice(i, 1)[0], f]); else added.push(f);
  }
  return { pairs: m.pairs, gone: m.gone, added };
}

/**
 * A finding of the same code in the same function, on a line the change
 * edited (one run of replaced lines holds the old line and the new one), is
 * the finding that was there, worded for the new line (`put_page()` now
 * `unpin_user_page()` on an unwind that still leaves a slot out): neither
 * fixed nor introduced.
 */
function rewordedOnEditedLines<T extends { pairs: [Finding, Finding][]; gone: Finding[]; added: Finding[] }>(m: T, pre: Version | undefined, post: Version | undefined): T {
  if (!pre || !post || m.gone.length === 0 || m.added.length === 0) return m;
  const edits = lineChanges(pre.text, post.text).filter((c) => c.pre.end > c.pre.start && c.post.end > c.post.start);
  const region = (line: number, side: 'pre' | 'post') => edits.findIndex((c) => line >= c[side].start && line < c[side].end);
  const added: Finding[] = [];
  for (const f of m.added) {
    const r = region(f.range.start.line, 'post');
    const i = r < 0 ? -1 : m.gone.findIndex((g) => g.code === f.code && g.function === f.function && region(g.range.start.line, 'pre') === r);
    if (i >= 0) m.pairs.push([m.gone.splice(i, 1)[0], f]); else added.push(f);
  }
  m.added = added;
  return m;
}

/** The conversions of a summary as compareFindings wants them, closed under chaining (A → B, B → C gives A → C). */
function conversionSet(pairs: { function: string; from: string; to: string }[]): Set<string> {
  const edges = new Map<string, Set<string>>();
  for (const c of pairs) {
    const k = `${c.function}\u0001${c.from}`;
    if (!edges.has(k)) edges.set(k, new Set());
    edges.get(k)!.add(c.to);
  }
  const out = new Set<string>();
  for (const [k, tos] of edges) {
    const [fn] = k.split('\u0001');
    const from = k.slice(fn.length + 1);
    const seen = new Set<string>();
    const todo = [...tos];
    while (todo.length > 0) {
      const t = todo.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      out.add(`${fn}\u0001${from}\u0001${t}`);
      for (const n of edges.get(`${fn}\u0001${t}`) ?? []) todo.push(n);
    }
  }
  return out;
}

function changedFunctions(fc: FileChange, pre: Version | undefined, post: Version | undefined): string[] {
  const names = new Set<string>();
  const preSpans = pre?.spans ?? (fc.before !== undefined ? findFunctionSpans(fc.before) : []);
  const postSpans = post?.spans ?? (fc.after !== undefined ? findFunctionSpans(fc.after) : []);
  for (const n of touchedFunctions(preSpans, fc.changes.map((c) => c.pre))) names.add(n);
  for (const n of touchedFunctions(postSpans, fc.changes.map((c) => c.post))) names.add(n);
  return [...names];
}

// ---------------------------------------------------------------- the check

/** The tree before the series and after each of its patches (states[k]: before patch k; the last: after the series). */
function treeStates(series: SeriesApply): TreeState[] {
  const base = new Map<string, string | undefined>();
  for (const ap of series.patches) {
    for (const fc of ap.files) for (const p of [fc.oldPath, fc.path]) if (p !== undefined && !base.has(p)) base.set(p, series.base.get(p));
  }
  const states: TreeState[] = [base];
  for (const ap of series.patches) {
    const next = new Map(states[states.length - 1]);
    for (const fc of ap.files) {
      if (fc.oldPath !== undefined && fc.oldPath !== fc.path && fc.status !== 'copied') next.set(fc.oldPath, undefined);
      next.set(fc.path, fc.after);
    }
    states.push(next);
  }
  return states;
}

/** Struct fields (`pages` of `struct foo.pages`) whose fills, and helpers whose summaries, differ between two versions of a file. */
function changedFacts(pre: Version | undefined, post: Version | undefined): { fields: Set<string>; helpers: Set<string> } {
  const fillsOf = (v: Version | undefined) => {
    const m = new Map<string, string[]>();
    for (const f of v?.analysis.fieldFills ?? []) m.set(f.key, [...(m.get(f.key) ?? []), `${f.mode}\u0001${f.api}\u0001${f.flag ? `${f.flag.key}\u0001${f.flag.pinned}` : ''}`]);
    return m;
  };
  const sumsOf = (v: Version | undefined) => {
    const m = new Map((v?.analysis.summaries ?? []).map((x) => [x.name, JSON.stringify(x.params)]));
    // what it passes to functions of other files (their parameters' modes, top-down): keyed by the callee
    for (const c of v?.analysis.argModes ?? []) m.set(`${c.callee}`, `${m.get(c.callee) ?? ''}\u0002${c.index}:${c.mode}:${c.api}`);
    return m;
  };
  const differ = <T>(a: Map<string, T>, b: Map<string, T>) => [...new Set([...a.keys(), ...b.keys()])]
    .filter((k) => JSON.stringify(a.has(k) ? a.get(k) : null) !== JSON.stringify(b.has(k) ? b.get(k) : null));
  const fa = fillsOf(pre), fb = fillsOf(post);
  for (const m of [fa, fb]) for (const v of m.values()) v.sort();
  return {
    fields: new Set(differ(fa, fb).map((k) => k.slice(k.lastIndexOf('.') + 1))),
    helpers: new Set(differ(sumsOf(pre), sumsOf(post))),
  };
}

/** Of the files beside a patch's, those that name a field or call a helper whose facts it changed. */
function affectedFiles(beside: Map<string, string>, dirs: Set<string>, facts: { fields: Set<string>; helpers: Set<string> }): string[] {
  const alts: string[] = [];
  const word = (x: string) => x.replace(/[^A-Za-z0-9_]/g, '');
  if (facts.fields.size) alts.push(`->\\s*(?:${[...facts.fields].map(word).join('|')})\\b`);
  if (facts.helpers.size) alts.push(`\\b(?:${[...facts.helpers].map(word).join('|')})\\s*\\(`);
  if (!alts.length) return [];
  const re = new RegExp(alts.join('|'));
  return [...beside.keys()].filter((p) => dirs.has(path.posix.dirname(p)) && re.test(beside.get(p)!));
}

export function checkParsedDetailed(patches: ParsedPatch[], tree: Map<string, string>, analyse: Analyse, notes: string[], fuzz: number | undefined, t0: number,
  beside: Map<string, string> = new Map()): { report: PatchReport; series: SeriesApply } {
  const r = applySeries(tree, patches, { fuzz });
  if (!r.ok) throw new PatchCheckError([r.problem]);
  const series: SeriesApply = r.result;
  const versions = new Versions(analyse);
  const states = treeStates(series);

  // where each final path came from (renames), and the functions touched per final path
  const origin = new Map<string, string>();
  const touched = new Map<string, Set<string>>();
  /** files the series leaves alone whose findings its changes to other files' facts change. */
  const affected = new Set<string>();
  const summaries: PatchSummary[] = [];
  const perPatch: { introduced: Map<string, Set<string>>; fixed: Map<string, Set<string>> }[] = [];

  series.patches.forEach((ap, k) => {
    const intro = new Map<string, Set<string>>();
    const fixd = new Map<string, Set<string>>();
    const summary = summarisePatch(ap, versions, states[k], states[k + 1], intro, fixd);
    if (beside.size) besidePatch(ap, versions, states[k], states[k + 1], beside, summary, intro, fixd, affected, notes);
    summaries.push(summary);
    perPatch.push({ introduced: intro, fixed: fixd });
    for (const fc of ap.files) {
      const from = fc.oldPath !== undefined ? origin.get(fc.oldPath) ?? fc.oldPath : fc.path;
      if (fc.status !== 'copied' && fc.oldPath !== undefined && fc.oldPath !== fc.path) origin.delete(fc.oldPath);
      origin.set(fc.path, from);
      const set = touched.get(fc.path) ?? new Set<string>();
      if (fc.oldPath !== undefined && fc.oldPath !== fc.path) for (const n of touched.get(fc.oldPath) ?? []) set.add(n);
      for (const f of summary.functions) if (f.file === fc.path) set.add(f.name);
      touched.set(fc.path, set);
    }
  });

  const first = states[0], last = states[states.length - 1];
  const findings: MarkedFinding[] = [];
  const callSites: (CallSite & { file: string })[] = [];
  let files = 0;
  let functions = 0;
  const attribute = (file: string, basePath: string, mark: 'introduced' | 'fixed', key: string): number | undefined => {
    for (let k = perPatch.length - 1; k >= 0; k--) if (perPatch[k][mark].get(file)?.has(key) || perPatch[k][mark].get(basePath)?.has(key)) return k;
    return undefined;
  };
  for (const [file, fns] of touched) {
    const basePath = origin.get(file) ?? file;
    const pre = versions.get(basePath, series.base.get(basePath), first);
    const post = versions.get(file, series.final.get(file), last);
    if (!pre && !post) continue;
    files++;
    functions += fns.size;
    const convs = conversionSet(summaries.flatMap((p) => p.conversions
      .filter((c) => c.to.file === file || c.from.file === basePath)
      .map((c) => ({ function: c.to.function, from: c.from.api, to: c.to.api }))));
    const m = compareFindings(pre, post, convs);
    for (const f of m.added) findings.push({ file, finding: f, patch: 'introduced', by: attribute(file, basePath, 'introduced', looseKey(f, post!)) });
    for (const f of m.gone) findings.push({ file: post ? file : basePath, finding: f, patch: 'fixed', by: attribute(file, basePath, 'fixed', looseKey(f, pre!)) });
    for (const [, f] of m.pairs) if (fns.has(f.function)) findings.push({ file, finding: f, patch: 'unchanged' });
    for (const cs of post?.analysis.callSites ?? []) if (fns.has(cs.function)) callSites.push({ ...cs, file });
  }
  // files beside: only what the series changed there (its text did not change)
  for (const file of [...affected].sort()) {
    const m = compareFindings(versions.get(file, beside.get(file), first), versions.get(file, beside.get(file), last), new Set());
    const post = versions.get(file, beside.get(file), last)!, pre = versions.get(file, beside.get(file), first)!;
    for (const f of m.added) findings.push({ file, finding: f, patch: 'introduced', by: attribute(file, file, 'introduced', looseKey(f, post)) });
    for (const f of m.gone) findings.push({ file, finding: f, patch: 'fixed', by: attribute(file, file, 'fixed', looseKey(f, pre)) });
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.finding.range.start.line - b.finding.range.start.line
    || a.finding.range.start.character - b.finding.range.start.character);

  const report: PatchReport = {
    findings, callSites, patches: summaries,
    touched: [...touched].map(([file, fns]) => ({ file, functions: [...fns].sort() })),
    notes: [...notes, ...series.notes],
    stats: { patches: patches.length, files, functions, callSites: callSites.length, ms: Date.now() - t0 },
  };
  return { report, series };
}

/**
 * The files beside patch `ap`'s (same folders, left alone by the series) that
 * name a struct field whose fills, or call a helper whose summary, the patch
 * changed: their findings before and after it, compared; what differs goes
 * into the patch's summary as introduced or fixed (`affected` collects them).
 */
/** Files beside a patch's checked for what it changes in them, at most (the rest named in a note). */
const MAX_BESIDE = 48;

function besidePatch(ap: AppliedPatch, versions: Versions, before: TreeState, after: TreeState, beside: Map<string, string>,
  s: PatchSummary, intro: Map<string, Set<string>>, fixd: Map<string, Set<string>>, affected: Set<string>, notes: string[]): void {
  const facts = { fields: new Set<string>(), helpers: new Set<string>() };
  const dirs = new Set<string>();
  for (const fc of ap.files) {
    const c = changedFacts(versions.get(fc.oldPath ?? fc.path, fc.before, before), versions.get(fc.path, fc.after, after));
    for (const x of c.fields) facts.fields.add(x);
    for (const x of c.helpers) facts.helpers.add(x);
    for (const p of [fc.oldPath, fc.path]) if (p !== undefined) dirs.add(path.posix.dirname(p));
  }
  let changed = false;
  const files = affectedFiles(beside, dirs, facts);
  if (files.length > MAX_BESIDE) {
    notes.push(`${s.subject}: ${files.length} files beside it name a field or helper it changes; only the first ${MAX_BESIDE} were checked for findings it makes or mends there`);
  }
  for (const file of files.slice(0, MAX_BESIDE)) {
    const pre = versions.get(file, beside.get(file), before)!;
    const post = versions.get(file, beside.get(file), after)!;
    const m = compareFindings(pre, post, new Set());
    if (!m.added.length && !m.gone.length) continue;
    affected.add(file);
    changed = true;
    intro.set(file, new Set(m.added.map((f) => looseKey(f, post))));
    fixd.set(file, new Set(m.gone.map((f) => looseKey(f, pre))));
    for (const f of m.added) s.introduced.push({ file, line: f.range.start.line, code: f.code, function: f.function });
    for (const f of m.gone) s.fixed.push({ file, line: f.range.start.line, code: f.code, function: f.function });
  }
  if (changed) s.lines = summaryLines(s);
}

// ---------------------------------------------------------------- per-patch summary

/** Which family a release API belongs to, from the core's catalog. */
export function releaseFamily(api: string): Family | undefined {
  return RELEASE_BY_NAME.get(api)?.family;
}

/** The family a call site's pages need; undefined when any will do or none. */
function wantedFamily(mode: Mode): Family | undefined {
  if (mode === 'GET') return 'put';
  if (mode === 'PIN' || mode === 'EXTRACT') return 'unpin';
  return undefined;
}

const ref = (file: string, cs: CallSite): CallSiteRef => ({ file, function: cs.function, api: cs.api, mode: cs.mode, line: cs.range.start.line });

function multisetDiff(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const rest = [...b];
  const onlyA: string[] = [];
  for (const x of a) {
    const i = rest.indexOf(x);
    if (i >= 0) rest.splice(i, 1); else onlyA.push(x);
  }
  return { onlyA, onlyB: rest };
}

function summarisePatch(ap: AppliedPatch, versions: Versions, stateBefore: TreeState, stateAfter: TreeState, intro: Map<string, Set<string>>, fixd: Map<string, Set<string>>): PatchSummary {
  const s: PatchSummary = {
    index: ap.patch.index, input: ap.patch.input, subject: ap.patch.subject,
    files: ap.files.map((f) => f.path), functions: [],
    conversions: [], releaseConversions: [], releasesAdded: [], releasesRemoved: [], helperChanges: [],
    leftBehind: [], newHandoffs: [], bioFlags: [], added: [], removed: [],
    introduced: [], fixed: [], lines: [],
  };
  for (const fc of ap.files) {
    const prePath = fc.oldPath ?? fc.path;
    const pre = versions.get(prePath, fc.before, stateBefore);
    const post = versions.get(fc.path, fc.after, stateAfter);
    const fns = new Set(changedFunctions(fc, pre, post));
    for (const name of fns) s.functions.push({ file: fc.path, name });

    // call sites of the touched functions, before and after
    const inFns = (cs: CallSite) => fns.has(cs.function);
    const before = (pre?.analysis.callSites ?? []).filter(inFns);
    const after = (post?.analysis.callSites ?? []).filter(inFns);
    const { pairs, byFn } = pairCallSites(before, after, pre, post);
    for (const c of byFn.gone) s.removed.push(ref(prePath, c));
    for (const c of byFn.added) s.added.push(ref(fc.path, c));

    for (const [b, a, apiChanged] of pairs) {
      const modeChanged = a.mode !== b.mode;
      if (apiChanged || modeChanged) s.conversions.push({ from: ref(prePath, b), to: ref(fc.path, a) });
      const rel = multisetDiff(b.releases.map((x) => x.api), a.releases.map((x) => x.api));
      const uniq = (xs: string[]) => [...new Set(xs)];
      if (rel.onlyA.length > 0 && rel.onlyB.length > 0) {
        s.releaseConversions.push({ file: fc.path, function: a.function, from: uniq(rel.onlyA), to: uniq(rel.onlyB) });
      } else if (rel.onlyB.length > 0) {
        for (const r of a.releases.filter((x) => rel.onlyB.includes(x.api))) {
          s.releasesAdded.push({ file: fc.path, function: a.function, line: r.range.start.line, api: r.api });
        }
      } else if (rel.onlyA.length > 0) {
        s.releasesRemoved.push({ file: prePath, function: b.function, apis: uniq(rel.onlyA) });
      }
      const helpers = multisetDiff(b.releases.flatMap((x) => (x.viaHelper ? [x.viaHelper] : [])), a.releases.flatMap((x) => (x.viaHelper ? [x.viaHelper] : [])));
      if (helpers.onlyB.length > 0 || helpers.onlyA.length > 0) {
        s.helperChanges.push({ file: fc.path, function: a.function, now: uniq(helpers.onlyB), before: uniq(helpers.onlyA) });
      }
      if (modeChanged || apiChanged) leftBehind(s, fc.path, b, a);
      newHandoffs(s, fc.path, b.handoffs, a);
    }
    for (const a of after.filter((c) => byFn.added.includes(c))) newHandoffs(s, fc.path, [], a);
    bioFlagChanges(s, fc, pre, post);

    const convs = conversionSet(s.conversions.filter((c) => c.to.file === fc.path)
      .map((c) => ({ function: c.to.function, from: c.from.api, to: c.to.api })));
    const m = compareFindings(pre, post, convs);
    intro.set(fc.path, new Set(m.added.map((f) => looseKey(f, post!))));
    fixd.set(prePath, new Set(m.gone.map((f) => looseKey(f, pre!))));
    for (const f of m.added) s.introduced.push({ file: fc.path, line: f.range.start.line, code: f.code, function: f.function });
    for (const f of m.gone) s.fixed.push({ file: prePath, line: f.range.start.line, code: f.code, function: f.function });
  }
  s.lines = summaryLines(s);
  return s;
}

/**
 * Pairs the call sites of two versions: same line text, then same API, then
 * what is left in one function in order (the third element: the API changed).
 */
function pairCallSites(before: CallSite[], after: CallSite[], pre: Version | undefined, post: Version | undefined) {
  const text = (v: Version | undefined) => (cs: CallSite) => `${cs.function}\u0001${cs.api}\u0001${v ? normLine(v.lines, cs.range.start.line) : ''}`;
  const exact = matchBy(before, after, text(pre), text(post));
  const sameApi = matchBy(exact.gone, exact.added, (c) => `${c.function}\u0001${c.api}`, (c) => `${c.function}\u0001${c.api}`);
  // what is left in one function on both sides: paired in order, that is a conversion
  const byFn = matchByOrder(sameApi.gone, sameApi.added);
  const pairs: [CallSite, CallSite, boolean][] = [
    ...exact.pairs.map(([b, a]) => [b, a, false] as [CallSite, CallSite, boolean]),
    ...sameApi.pairs.map(([b, a]) => [b, a, false] as [CallSite, CallSite, boolean]),
    ...byFn.pairs.map(([b, a]) => [b, a, true] as [CallSite, CallSite, boolean]),
  ];
  return { pairs, byFn };
}

const BIO_FLAG_CALL = /\bbio_(set|clear)_flag\s*\(\s*([^,]+?)\s*,\s*(BIO_[A-Z_]+)\s*\)/g;

/** bio_set_flag / bio_clear_flag calls the patch adds or removes, by function. */
function bioFlagChanges(s: PatchSummary, fc: FileChange, pre: Version | undefined, post: Version | undefined): void {
  const scan = (v: Version | undefined, text: string | undefined, spans: 'pre' | 'post') => {
    const out: { fn: string; op: string; flag: string; line: number }[] = [];
    if (text === undefined) return out;
    const lines = v?.lines ?? text.split('\n');
    const fspans = v?.spans ?? findFunctionSpans(text);
    for (const c of fc.changes) {
      const r = c[spans];
      for (let l = r.start; l < r.end; l++) {
        for (const m of (lines[l] ?? '').matchAll(BIO_FLAG_CALL)) {
          const fn = fspans.find((f) => f.start <= l && l <= f.end)?.name ?? '';
          out.push({ fn, op: m[1], flag: m[3], line: l });
        }
      }
    }
    return out;
  };
  const gone = scan(pre, fc.before, 'pre');
  const added = scan(post, fc.after, 'post');
  const key = (x: { fn: string; op: string; flag: string }) => `${x.fn}\u0001${x.op}\u0001${x.flag}`;
  const d = multisetDiff(gone.map(key), added.map(key));
  for (const x of added) {
    const i = d.onlyB.indexOf(key(x));
    if (i < 0) continue;
    d.onlyB.splice(i, 1);
    s.bioFlags.push({ file: fc.path, function: x.fn, line: x.line, change: x.op === 'set' ? 'sets' : 'clears', flag: x.flag });
  }
  for (const x of gone) {
    const i = d.onlyA.indexOf(key(x));
    if (i < 0) continue;
    d.onlyA.splice(i, 1);
    s.bioFlags.push({ file: fc.oldPath ?? fc.path, function: x.fn, line: x.line, change: x.op === 'set' ? 'no longer sets' : 'no longer clears', flag: x.flag });
  }
}

/** Pairs what remains in the same function, first with first. */
function matchByOrder(gone: CallSite[], added: CallSite[]): { pairs: [CallSite, CallSite][]; gone: CallSite[]; added: CallSite[] } {
  const left = [...gone];
  const pairs: [CallSite, CallSite][] = [];
  const rest: CallSite[] = [];
  for (const a of added) {
    const i = left.findIndex((b) => b.function === a.function);
    if (i >= 0) pairs.push([left.splice(i, 1)[0], a]); else rest.push(a);
  }
  return { pairs, gone: left, added: rest };
}

function leftBehind(s: PatchSummary, file: string, b: CallSite, a: CallSite): void {
  const oldFam = wantedFamily(b.mode);
  const newFam = wantedFamily(a.mode);
  if (!oldFam || !newFam || oldFam === newFam) return;
  for (const r of a.releases) {
    if (releaseFamily(r.api) === oldFam) {
      s.leftBehind.push({ file, function: a.function, line: r.range.start.line, api: r.api, acquire: ref(file, a) });
    }
  }
}

function newHandoffs(s: PatchSummary, file: string, before: CallSite['handoffs'], a: CallSite): void {
  const key = (h: CallSite['handoffs'][number]) => `${h.kind}\u0001${h.note}`;
  const had = before.map(key);
  for (const h of a.handoffs) {
    const i = had.indexOf(key(h));
    if (i >= 0) { had.splice(i, 1); continue; }
    s.newHandoffs.push({ file, function: a.function, line: h.range.start.line, kind: h.kind, note: h.note });
  }
}

function summaryLines(s: PatchSummary): string[] {
  const out: string[] = [];
  for (const c of s.conversions) {
    const modes = c.from.mode !== c.to.mode ? ` (${c.from.mode} → ${c.to.mode})` : '';
    const api = c.from.api !== c.to.api ? `${c.from.api} → ${c.to.api}` : c.to.api;
    out.push(`${api} in ${c.to.function}()${modes}`);
  }
  for (const r of s.releaseConversions) out.push(`releases ${r.from.join(', ')} → ${r.to.join(', ')} in ${r.function}()`);
  for (const r of s.releasesAdded) out.push(`new release ${r.api} in ${r.function}() at ${r.file}:${r.line + 1}`);
  for (const r of s.releasesRemoved) out.push(`release ${r.apis.join(', ')} removed from ${r.function}()`);
  for (const h of s.helperChanges) {
    const names = (xs: string[]) => xs.map((x) => `${x}()`).join(', ');
    if (h.now.length > 0 && h.before.length > 0) out.push(`releases in ${h.function}() now go through ${names(h.now)} instead of ${names(h.before)}`);
    else if (h.now.length > 0) out.push(`releases in ${h.function}() now go through ${names(h.now)}`);
    else out.push(`releases in ${h.function}() no longer go through ${names(h.before)}`);
  }
  const behind = new Map<string, PatchSummary['leftBehind']>();
  for (const l of s.leftBehind) {
    const k = `${l.api}\u0001${l.function}`;
    behind.set(k, [...(behind.get(k) ?? []), l]);
  }
  for (const ls of behind.values()) {
    const at = ls.map((l) => `${l.file}:${l.line + 1}`).join(', ');
    out.push(`${plural(ls.length, 'release')} still ${ls[0].api} at ${at} (pages now ${ls[0].acquire.mode} from ${ls[0].acquire.api} in ${ls[0].function}())`);
  }
  for (const h of s.newHandoffs) out.push(`new hand-off in ${h.function}(): ${h.kind}${h.note && h.note !== h.kind ? ` (${h.note})` : ''} at ${h.file}:${h.line + 1}`);
  for (const f of s.bioFlags) out.push(`${f.function ? `${f.function}() ` : ''}${f.change} ${f.flag} at ${f.file}:${f.line + 1}`);
  for (const c of s.added) out.push(`new call site ${c.api} (${c.mode}) in ${c.function}() at ${c.file}:${c.line + 1}`);
  for (const c of s.removed) out.push(`removed call site ${c.api} (${c.mode}) in ${c.function}()`);
  const list = (xs: PatchSummary['introduced']) => xs.map((x) => `${x.code} in ${x.function}()`).join(', ');
  if (s.introduced.length > 0) out.push(`introduces ${plural(s.introduced.length, 'finding')}: ${list(s.introduced)}`);
  if (s.fixed.length > 0) out.push(`fixes ${plural(s.fixed.length, 'finding')}: ${list(s.fixed)}`);
  if (out.length === 0) out.push('no change to how pages are taken or released');
  return out;
}
