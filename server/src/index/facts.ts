// One way to analyse a file in its tree. `pinlens check`, patch review (both
// sides of every patch), the editor's open documents, its patch documents and
// Check Workspace all call analyseInTree(), so they see the same cross-file
// facts: the summaries of the helpers the file calls that other files define,
// how the other files of its folder fill the struct fields it releases but
// never fills, and the pages of known mode they pass to its functions that
// take pages and release them (callers, top-down). The kernel era comes from
// the tree's Makefile here too.
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { AnalysisCache, ExternalSummaries, analyseSource } from '../core/analyse';
import type { ArgMode, FieldFill, FileAnalysis, Settings, StructTypes } from '../core/types';
import type { CachedResult } from './cache';
import { withKernelEra } from './era';
import type { Analyse, TreeState } from './patch-compare';
import { definitions } from './definitions';
import { RELEVANT_BODY, RELEVANT_PARAMS } from './text';
import type { ResultLookup, TreeIndex } from './tree';

/** What other files of the tree say about a file. */
export interface TreeFacts {
  /** summaries of the helpers it calls that other files define. */
  external?: ExternalSummaries;
  /** fills, in other files of its folder, of the struct fields it releases but never fills. */
  fills: FieldFill[];
  /** pages of a known mode the other files of its folder pass to its functions (their parameters' modes, top-down). */
  callers: ArgMode[];
  /** definitions, in the headers it includes, of the structs its field keys go through (index/structs.ts). */
  structs?: StructTypes;
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

export const NO_FACTS: TreeFacts = { fills: [], callers: [] };

/** The functions of `text` other files may call that take pages and name a page API: their callers' modes matter. */
export function pageTakers(text: string): string[] {
  const out: string[] = [];
  for (const [name, d] of definitions(text)) {
    const fn = text.slice(d.start, d.end);
    const brace = fn.indexOf('{');
    if (brace < 0 || /^\s*static\b/.test(fn) || !RELEVANT_PARAMS.test(fn.slice(0, brace)) || !RELEVANT_BODY.test(fn.slice(brace))) continue;
    out.push(name);
  }
  return out;
}

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
  // (the runs below differ in a few facts: a function none of them touches is simulated once)
  const cache = opts.cache ?? (index ? new AnalysisCache(false) : undefined);
  const run = (external: ExternalSummaries | undefined, fills: FieldFill[], callers: ArgMode[], structs?: StructTypes): FileAnalysis | CachedResult => {
    const some = structs && Object.keys(structs).length ? structs : undefined;
    const compute = () => analyseSource(parser, text, s, external, cache, fills.length ? fills : undefined, callers.length ? callers : undefined, some);
    return index && opts.resultCache ? index.analysis(text, s, external, fills, compute, callers, some) : compute();
  };
  if (opts.facts) return { analysis: run(opts.facts.external, opts.facts.fills, opts.facts.callers, opts.facts.structs), facts: opts.facts, settings: s };
  const external = index?.summariesFor(text, abs);
  let a = run(external, [], []);
  // field keys through structs the file names but does not define: the headers it includes say what their members are
  const structs = index ? index.structsFor(abs, text, a.structsWanted) : {};
  const found = Object.keys(structs).length > 0;
  if (found) a = run(external, [], [], structs);
  // teardowns of struct fields this file never fills: the other files of its folder say how they are filled
  const open = a.openFieldReleases ?? [];
  const fills = index && open.length ? index.fieldFillsFor(abs, open) : [];
  // functions that take pages from their callers: what the other files of its folder pass them
  const takers = index ? pageTakers(text) : [];
  const callers = index && takers.length ? index.callersFor(abs, takers) : [];
  if (fills.length || callers.length) a = run(external, fills, callers, structs);
  // (a flag the fills named is a field the file now reads too: its struct may be asked for only now)
  const later = index && (fills.length || callers.length) ? (a.structsWanted ?? []).filter(w => !(w in structs)) : [];
  const more = later.length ? index!.structsFor(abs, text, [...Object.keys(structs), ...later]) : structs;
  if (Object.keys(more).length > Object.keys(structs).length) {
    a = run(external, fills, callers, more);
    return { analysis: a, facts: { external, fills, callers, structs: more }, settings: s };
  }
  return { analysis: a, facts: { external, fills, callers, ...(found ? { structs } : {}) }, settings: s };
}

/**
 * What analyseInTree() with these facts and the result cache would answer,
 * when the cache has it (else undefined): no index, no parser.
 */
export function cachedInTree(lookup: ResultLookup, text: string, abs: string, settings: Settings, facts: TreeFacts): CachedResult | undefined {
  return lookup(text, withKernelEra(settings, abs), facts.external, facts.fills, facts.callers, facts.structs);
}

/**
 * The index as each side of a patch has the tree (patch-compare's TreeState,
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

/** patch-compare's Analyse: each version of a file analysed in the tree as its side of the patch has it. */
export function patchAnalyser(parser: Parser, root: string, settings: Settings, index?: TreeIndex): Analyse {
  const view = sideViews(index, root);
  return (p, text, state) => analyseInTree(parser, text, path.resolve(root, p), settings, { index: view(state) }).analysis;
}
