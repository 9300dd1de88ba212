// The --tree index: which file of a kernel tree defines which function, and
// the summaries of the helpers a checked file calls (bottom-up, by the core).
import type { Parser } from 'web-tree-sitter';
import type { ExternalSummaries } from '../core/analyze';
import type { Settings } from '../core/types';

export class TreeIndex {
  constructor(readonly root: string, readonly parser: Parser, readonly settings: Settings) {}

  /** Summaries of functions defined elsewhere in the tree that `text` calls. */
  summariesFor(_text: string, _abs: string): ExternalSummaries | undefined {
    return undefined;
  }
}
