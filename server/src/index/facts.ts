// One way to analyse a file in its tree. `pinlens check`, patch review (both
// sides of every patch), the editor's open documents, its patch documents and
// Check Workspace all call analyseInTree(), so they see the same cross-file
// facts: the summaries of the helpers the file calls that other files define,
// and how the other files of its folder fill the struct fields it releases but
// never fills. The kernel era comes from the tree's Makefile here too.
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { AnalysisCache, ExternalSummaries, analyzeSource } from '../core/analyze';
import type { FieldFill, FileAnalysis, Settings } from '../core/types';
import type { CachedResult } from './cache';
import { withKernelEra } from './era';
import type { Analyze, TreeState } from './patch-check';
import type { TreeIndex } from './tree';

/** What other files of the tree say about a file. */
export interface TreeFacts {
  /** summaries of the helpers it calls that other files define. */
  external?: ExternalSummaries;
  /** fills, in other files of its folder, of the struct fields it releases but never fills. */
  fills: FieldFill[];
}

export interface InTreeOptions {
  /** the tree's index (or a view of it with a patch's files); none: the file alone. */
  index?: TreeIndex;
  /** an editor document's per-function results and last parse (incremental re-analysis). */
  cache?: AnalysisCache;
  /**
   * facts looked up before for this text's file (the editor looks them up
   * when a document opens or is saved, not on every keystroke).
   */
  facts?: TreeFacts;
  /** keep and reuse the result in the index's disk cache (the CLI's warm runs). */
  resultCache?: boolean;
}

export interface InTree<A = FileAnalysis> {
  analysis: A;
  facts: TreeFacts;
  /** the settings it was analysed with (the era of its tree filled in). */
  settings: Settings;
}

export const NO_FACTS: TreeFacts = { fills: [] };

/**
 * The analysis of `text`, the file `abs` of a tree (abs '': not a file), with
 * every cross-file fact the index has. Without `opts.resultCache` the core's
 * full analysis; with it, what the disk cache keeps (no summaries).
 */
export function analyseInTree(parser: Parser, text: string, abs: string, settings: Settings, opts?: InTreeOptions & { resultCache?: false }): InTree;
export function analyseInTree(parser: Parser, text: string, abs: string, settings: Settings, opts: InTreeOptions): InTree<FileAnalysis | CachedResult>;
export function analyseInTree(parser: Parser, text: string, abs: string, settings: Settings, opts: InTreeOptions = {}): InTree<FileAnalysis | CachedResult> {
  const s = abs ? withKernelEra(settings, abs) : settings;
  const index = abs ? opts.index : undefined;
  const run = (external: ExternalSummaries | undefined, fills: FieldFill[]): FileAnalysis | CachedResult => {
    const compute = () => analyzeSource(parser, text, s, external, opts.cache, fills.length ? fills : undefined);
    return index && opts.resultCache ? index.analysis(text, s, external, fills, compute) : compute();
  };
  if (opts.facts) return { analysis: run(opts.facts.external, opts.facts.fills), facts: opts.facts, settings: s };
  const external = index?.summariesFor(text, abs);
  let a = run(external, []);
  // teardowns of struct fields this file never fills: the other files of its folder say how they are filled
  const open = a.openFieldReleases ?? [];
  const fills = index && open.length ? index.fieldFillsFor(abs, open) : [];
  if (fills.length) a = run(external, fills);
  return { analysis: a, facts: { external, fills }, settings: s };
}

/**
 * The index as each side of a patch has the tree (patch-check's TreeState,
 * tree-relative paths under `root`): one view per side, made when first asked.
 */
export function sideViews(index: TreeIndex | undefined, root: string): (state: TreeState) => TreeIndex | undefined {
  const views = new WeakMap<TreeState, TreeIndex>();
  return state => {
    if (!index) return undefined;
    let v = views.get(state);
    if (!v) {
      v = index.withFiles(new Map([...state].map(([p, t]) => [path.resolve(root, p), t])));
      views.set(state, v);
    }
    return v;
  };
}

/** patch-check's Analyze: each version of a file analysed in the tree as its side of the patch has it. */
export function patchAnalyzer(parser: Parser, root: string, settings: Settings, index?: TreeIndex): Analyze {
  const view = sideViews(index, root);
  return (p, text, state) => analyseInTree(parser, text, path.resolve(root, p), settings, { index: view(state) }).analysis;
}
