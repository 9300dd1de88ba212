// One file of `pinlens check`: load, analyse in its tree (index/facts.ts: the
// --tree index's helper summaries and the struct-field fills of its folder,
// from the index's disk cache when the same text was checked with the same
// facts before), and the plain result the formats print. The same function
// runs on the main thread (sequential) and in the worker threads
// (parallel.ts), so both give the same answer.
import type { Parser } from 'web-tree-sitter';
import type { Settings } from '../core/types';
import { analyseInTree } from '../index/facts';
import type { TreeIndex } from '../index/tree';
import type { FileResult } from './format';
import { SourceFile, load } from './files';

export function checkFile(file: SourceFile, parser: Parser, settings: Settings, index?: TreeIndex): FileResult {
  const f = load(file);
  if (f.text === undefined) return { file: f.display, findings: [], callSites: [], functions: 0, notes: [f.note ?? 'not analysed'] };
  const { analysis: a } = analyseInTree(parser, f.text, f.abs, settings, { index, resultCache: true });
  return { file: f.display, findings: a.findings, callSites: a.callSites, functions: a.functions, notes: f.note ? [f.note, ...a.notes] : a.notes };
}
