// One file of `pinlens check`: load, analyse (with the --tree index's helper
// summaries and the struct-field fills of its folder), and the plain result the
// formats print. The same function runs on the main thread (sequential) and in
// the worker threads (parallel.ts), so both give the same answer.
import type { Parser } from 'web-tree-sitter';
import { analyzeSource } from '../core/analyze';
import type { FieldFill, Settings } from '../core/types';
import type { TreeIndex } from '../index/tree';
import type { FileResult } from './format';
import { withKernelEra } from '../index/era';
import { SourceFile, load } from './files';

export function checkFile(file: SourceFile, parser: Parser, settings: Settings, index?: TreeIndex): FileResult {
  const f = load(file);
  if (f.text === undefined) return { file: f.display, findings: [], callSites: [], functions: 0, notes: [f.note ?? 'not analysed'] };
  const external = index?.summariesFor(f.text, f.abs);
  const s = withKernelEra(settings, f.abs);
  const text = f.text;
  // with the index, an unchanged file analysed before with the same helpers comes from its disk cache
  const analyse = (fills: FieldFill[]) => {
    const run = () => analyzeSource(parser, text, s, external, undefined, fills.length ? fills : undefined);
    return index ? index.analysis(text, s, external, fills, run) : run();
  };
  let a = analyse([]);
  // teardowns of struct fields this file never fills: ask the other files of its folder
  const fills = index && a.openFieldReleases?.length ? index.fieldFillsFor(f.abs, a.openFieldReleases) : [];
  if (fills.length) a = analyse(fills);
  return { file: f.display, findings: a.findings, callSites: a.callSites, functions: a.functions, notes: f.note ? [f.note, ...a.notes] : a.notes };
}
