// One analysis of one text with its settings, as the server caches it.
// Guards the core: an oversized text is not analysed, and an exception (a core
// bug) becomes a note instead of taking the server down.
import type { Parser } from 'web-tree-sitter';
import { PAGE_API_WORDS } from '../core/apis';
import type { Code, FileAnalysis, Finding, Settings } from '../core/types';
import { InTreeOptions, NO_FACTS, TreeFacts, analyseInTree } from '../index/facts';
import { overSizeLimit } from '../core/settings';

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
  /** what other files of its tree said about it (index/facts.ts). */
  facts: TreeFacts;
}

const EMPTY: FileAnalysis = { findings: [], callSites: [], summaries: [], functions: 0, notes: [] };

/**
 * The text as the file `abs` ('' for a document that is no file) of its tree:
 * index/facts.ts analyseInTree with the options given (the tree's index, the
 * document's function cache, facts looked up before).
 */
export function analyse(parser: Parser, text: string, settings: Required<Settings>, abs = '', opts: InTreeOptions = {}): Analysed {
  const t0 = performance.now();
  const tooBig = overSizeLimit(text.length, settings.maxFileSize);
  if (tooBig) return { text, analysis: EMPTY, ms: 0, facts: opts.facts ?? NO_FACTS, note: { code: 'analysis-incomplete', message: `pinlens: ${tooBig}` } };
  try {
    const { analysis: a, facts } = analyseInTree(parser, text, abs, settings, { ...opts, resultCache: false });
    // (the core applied the disabled codes and severities: core/settings.ts)
    return { text, analysis: a, ms: performance.now() - t0, facts };
  } catch (err) {
    return {
      text, analysis: EMPTY, ms: performance.now() - t0, facts: opts.facts ?? NO_FACTS,
      note: { code: 'analysis-incomplete', message: `pinlens: internal error, file not analysed: ${err instanceof Error ? err.message : String(err)}` },
    };
  }
}

/** The analysis that could not be made (the analysis thread failed or ran out of memory): a note, no findings. */
export function failedAnalysis(text: string, err: unknown): Analysed {
  return {
    text, analysis: EMPTY, ms: 0, facts: NO_FACTS,
    note: { code: 'analysis-incomplete', message: `pinlens: internal error, file not analysed: ${err instanceof Error ? err.message : String(err)}` },
  };
}

const MENTION = PAGE_API_WORDS;

/** A file that names no catalog API or bio flag cannot have a finding: folder checks skip it. */
export function mentionsPages(text: string): boolean {
  return MENTION.test(text);
}
