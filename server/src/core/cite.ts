// Lines a finding's message cites ("pinned by pin_user_pages() (line 42)"),
// kept as data. A checker writes `(line ${cite(row)})`; the finding keeps the
// message's template and the lines it cites (Finding.cited) and its message
// is rendered from them. A cached result moved to where its function now
// starts (analyse.ts) moves the lines and renders the message again: no text
// is searched for line numbers.

import type { CitedText } from './types';

/** Marks a cited line (0-based) in a message: the NUL byte never occurs in analysed text (such a file is refused). */
const MARK = '\u0000';
// eslint-disable-next-line no-control-regex -- the mark is the NUL byte, on purpose
const MARKED = /\u0000(\d+)\u0000/g;

/** The 1-based line number `row` (0-based) as a message writes it, kept as data when the finding is made. */
export function cite(row: number): string {
  return `${MARK}${row}${MARK}`;
}

/** A message as a checker wrote it (with cite() marks) → the text to show and, when it cites lines, those lines as data. */
export function citedMessage(marked: string): { message: string; cited?: CitedText } {
  const lines: number[] = [];
  const text = marked.replace(MARKED, (_m, n: string) => { lines.push(Number(n)); return MARK; });
  if (!lines.length) return { message: marked };
  const cited = { text, lines };
  return { message: renderCited(cited), cited };
}

/** The message: the template with each placeholder replaced by its cited line, 1-based. */
export function renderCited(c: CitedText): string {
  let i = 0;
  // eslint-disable-next-line no-control-regex -- the mark is the NUL byte, on purpose
  return c.text.replace(/\u0000/g, () => String((c.lines[i++] ?? 0) + 1));
}
