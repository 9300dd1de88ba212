// A patch document as the server analyses it: parse the series (core), find a
// folder that holds the files it changes, run the CLI's patch report on it
// (index/patch-check.ts, files read from disk here) and place the result on the
// patch's lines (features/patch.ts). No tree: the hunks alone, said to be
// partial. A patch that cannot be checked: its error on the offending line.
// Never throws.
import { promises as fs } from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import type { Parser } from 'web-tree-sitter';
import { parseSeries } from '../core/patch/mail';
import { requiredFiles } from '../core/patch/apply';
import { overSizeLimit } from '../core/settings';
import type { Settings } from '../core/types';
import { sideViews } from '../index/facts';
import { runPatchCheckDetailed } from '../index/patch-check';
import { PatchCheckError, type TreeState } from '../index/patch-compare';
import type { TreeIndex } from '../index/tree';
import { analyse } from './analysis';
import { PatchView, problemView, treeView } from './features/patch';
import { partialView } from './features/fragments';

export interface PatchAnalysed {
  text: string;
  view: PatchView;
  /** the folder the series was applied to; undefined for a partial analysis or an error. */
  root?: string;
  ms: number;
}

/** .patch, .diff, .mbox, .eml, or the languages the client gives them. */
export function isPatchDocument(uri: string, languageId: string): boolean {
  return languageId === 'diff' || languageId === 'pinlens-patch' || /\.(patch|diff|mbox|eml)$/i.test(uri.replace(/[?#].*$/, ''));
}

function toPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try { return fileURLToPath(uri); } catch { return undefined; }
}

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Folders to try, the ones holding the document first (deepest first), then the others. */
export function candidateRoots(docUri: string, folders: string[]): string[] {
  const doc = toPath(docUri);
  const dirs = [...new Set(folders.map(toPath).filter((d): d is string => !!d))];
  const holding = doc ? dirs.filter(d => inside(d, doc)).sort((a, b) => b.length - a.length) : [];
  return [...holding, ...dirs.filter(d => !holding.includes(d))];
}

async function isFile(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isFile() ?? false;
}

async function holdsAll(root: string, files: string[]): Promise<boolean> {
  for (const f of files) if (!(await isFile(path.join(root, f)))) return false;
  return true;
}

/** The report that could not be made (the analysis thread failed or ran out of memory): one note on the first line. */
export function failedPatch(text: string, err: unknown): PatchAnalysed {
  const start = { line: 0, character: 0 };
  return { text, ms: 0, view: { findings: [], lenses: [], diagnostics: [{
    range: { start, end: start }, severity: 'information', code: 'analysis-incomplete', related: [],
    message: `pinlens: internal error, patch not analysed: ${err instanceof Error ? err.message : String(err)}`,
  }] } };
}

/**
 * `indexOf`: the index of a folder the series applies to (the workspace's,
 * once scanned), for the same cross-file facts an open file of it gets.
 */
export async function analysePatch(parser: Parser, uri: string, text: string, settings: Required<Settings>, folders: string[],
  indexOf: (root: string) => Promise<TreeIndex | undefined> = () => Promise.resolve(undefined)): Promise<PatchAnalysed> {
  const t0 = performance.now();
  const name = toPath(uri) ?? uri;
  const done = (view: PatchView, root?: string): PatchAnalysed => ({ text, view, root, ms: performance.now() - t0 });
  // each side of each patch analysed in the tree as it has it (index/facts.ts), the era from the tree's Makefile
  let root: string | undefined;
  let view: (state: TreeState) => TreeIndex | undefined = () => undefined;
  const analyseSide = (p: string, t: string, state?: TreeState) =>
    analyse(parser, t, settings, root ? path.join(root, p) : '', { index: state && view(state) }).analysis;
  const tooBig = overSizeLimit(text.length, settings.maxFileSize);
  if (tooBig) {
    const start = { line: 0, character: 0 };
    return done({ findings: [], lenses: [], diagnostics: [{
      range: { start, end: start }, severity: 'information', code: 'analysis-incomplete', related: [], message: `pinlens: ${tooBig}`,
    }] });
  }
  let parsed;
  try {
    parsed = parseSeries([{ name, text }]);
  } catch (err) {
    return done(problemView(text, [], [{ kind: 'io', message: `internal error parsing the patch: ${err instanceof Error ? err.message : String(err)}` }]));
  }
  if (parsed.problems.length > 0) return done(problemView(text, parsed.patches, parsed.problems));
  try {
    const need = requiredFiles(parsed.patches);
    const roots = candidateRoots(uri, folders);
    for (const r of roots) if (await holdsAll(r, need)) { root = r; break; }
    // a series that only creates files needs no tree
    if (root === undefined && need.length === 0) root = roots[0] ?? path.dirname(name);
    if (root === undefined) return done(partialView(text, parsed.patches, analyseSide));
    const index = await indexOf(root);
    view = sideViews(index, root);
    const { report, series } = await runPatchCheckDetailed({ patches: [{ name, text }], treeRoot: root, analyse: analyseSide, crossFile: !!index });
    return done(treeView(text, parsed.patches, series, report), root);
  } catch (err) {
    if (err instanceof PatchCheckError) return done(problemView(text, parsed.patches, err.problems));
    return done(problemView(text, parsed.patches, [{ kind: 'io', message: `internal error: ${err instanceof Error ? err.message : String(err)}` }]));
  }
}
