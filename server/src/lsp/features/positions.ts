// Position helpers over core ranges (0-based line, UTF-16 character).
import type { Position, Range } from '../../core/types';

export function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** true when pos lies in range, both ends included (a cursor just after a name still hovers it). */
export function contains(r: Range, pos: Position): boolean {
  return !before(pos, r.start) && !before(r.end, pos);
}

/** The smaller of two ranges by extent (for choosing the innermost match). */
export function size(r: Range): number {
  return (r.end.line - r.start.line) * 1e6 + (r.end.character - r.start.character);
}

/** The C identifier under the cursor and its range, if any. */
export function wordAt(text: string, pos: Position): { word: string; range: Range } | undefined {
  let start = 0;
  for (let l = 0; l < pos.line; l++) {
    start = text.indexOf('\n', start) + 1;
    if (start === 0) return undefined;
  }
  const eol = text.indexOf('\n', start);
  const line = text.slice(start, eol < 0 ? text.length : eol);
  const isId = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);
  let a = Math.min(pos.character, line.length), b = a;
  while (a > 0 && isId(line[a - 1])) a--;
  while (isId(line[b])) b++;
  if (a === b || /[0-9]/.test(line[a])) return undefined;
  return { word: line.slice(a, b), range: { start: { line: pos.line, character: a }, end: { line: pos.line, character: b } } };
}

export function lineNo(r: Range): number {
  return r.start.line + 1;
}
