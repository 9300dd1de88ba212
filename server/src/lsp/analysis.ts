// One analysis of one text with its settings, as the server caches it.
// Guards the core: an oversized text is not analysed, and an exception (a core
// bug) becomes a note instead of taking the server down.
import type { Parser } from 'web-tree-sitter';
import { ALL_API_NAMES, BIO_FLAGS } from '../core/apis';
import { AnalysisCache, ExternalSummaries, analyzeSource } from '../core/analyze';
import type { Code, FieldFill, FileAnalysis, Finding, Settings } from '../core/types';
import { applySettings } from './settings';

export interface Analysed {
  text: string;
  analysis: FileAnalysis;
  /** why the text got no (or only partial) analysis; shown as one diagnostic. */
  note?: { message: string; code: Code };
  ms: number;
  /** in a git work tree: each finding introduced by the uncommitted change or unchanged since HEAD (lsp/baseline.ts). */
  marks?: ReadonlyMap<Finding, 'introduced' | 'unchanged'>;
  /** pinlens.onlyIntroduced: publish only the findings marked introduced (when there are marks). */
  onlyIntroduced?: boolean;
}

const EMPTY: FileAnalysis = { findings: [], callSites: [], summaries: [], functions: 0, notes: [] };

/**
 * `cache` (per document) lets an edit re-simulate only the functions it changed;
 * `external`: summaries of helpers defined in other files (TreeIndex.summariesFor).
 */
export function analyse(parser: Parser, text: string, settings: Required<Settings>, cache?: AnalysisCache, external?: ExternalSummaries, fills?: FieldFill[]): Analysed {
  const t0 = performance.now();
  if (text.length > settings.maxFileSize) {
    return {
      text, analysis: EMPTY, ms: 0,
      note: { code: 'analysis-incomplete', message: `pinlens: not analysed: ${text.length} characters is over pinlens.maxFileSize (${settings.maxFileSize}).` },
    };
  }
  try {
    const a = analyzeSource(parser, text, settings, external, cache, fills);
    return { text, analysis: { ...a, findings: applySettings(a.findings, settings) }, ms: performance.now() - t0 };
  } catch (err) {
    return {
      text, analysis: EMPTY, ms: performance.now() - t0,
      note: { code: 'analysis-incomplete', message: `pinlens: internal error, file not analysed: ${err instanceof Error ? err.message : String(err)}` },
    };
  }
}

const MENTION = new RegExp(`\\b(?:${[...ALL_API_NAMES, ...BIO_FLAGS].join('|')})\\b`);

/** A file that names no catalog API or bio flag cannot have a finding: folder checks skip it. */
export function mentionsPages(text: string): boolean {
  return MENTION.test(text);
}
