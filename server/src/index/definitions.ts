// C function definitions read from the text, without a parse: the one
// module that reads them (a parse tree's are core/syntax.ts functionsOf()).
// Kernel style is assumed. Three readings, for three needs, with one list of
// the words that are no function names (NOT_NAMES; the brace matching drops
// only the statement words, see functionName()):
//   definitionNames() — raw bytes, one pass, nothing decoded (scan.ts, on
//     every .c file of a tree; it hashes the names): a line that starts
//     with an identifier, the name followed by `(`, its return type before it
//     or alone on the line above; non-static, no one-line prototype. Only
//     candidates: each is confirmed by definitions() on the file's text.
//   definitions() — the text, fast (text.ts, tree.ts, facts.ts: a file's
//     callees, the helper slices, the functions that take pages): the same
//     line as a regex, the body from the `{` after the parameters to the
//     next `}` at column 0.
//   findFunctionSpans() — the text, by brace matching past comments,
//     strings and #if branches, by line (a patch's few files, before and
//     after, where the function a hunk touches must be named even in unusual
//     layout: patch-compare.ts, lsp/features/patch.ts; touchedFunctions()).
// They differ on macro-made definitions and #ifdef'd bodies (the two text
// readings name different functions in 1,358 of the 30,406 .c files that
// define any among those 6.12's scan reads), so one reading for all would
// change which slices the index keeps or which functions a patch touches;
// and the brace matching costs more than the scan of a whole tree can pay.
import type { LineSpan } from '../core/patch/types';

/** Words followed by `(` that name no function (statements, operators, attributes, the common macros): never a definition or a callee. */
export const NOT_NAMES: ReadonlySet<string> = new Set(['if', 'for', 'while', 'switch', 'return', 'sizeof', 'do', 'else', 'case', 'typeof', '__typeof__',
  'defined', 'alignof', '_Alignof', '__alignof__', 'asm', '__asm__', 'volatile', '__attribute__', 'offsetof', 'container_of']);

// ---------------------------------------------------------------- raw bytes: the definition scan

const isIdStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isId = (c: number) => isIdStart(c) || (c >= 48 && c <= 57);
const STATIC = [...'static'].map(c => c.charCodeAt(0));

function startsWithStatic(b: Uint8Array, p: number, end: number): boolean {
  if (p + 6 > end) return false;
  for (let i = 0; i < 6; i++) if (b[p + i] !== STATIC[i]) return false;
  return p + 6 === end || !isId(b[p + 6]);
}

/**
 * Definition lines of the first `n` bytes of `b`: calls name(start, end)
 * with the bytes of each non-static name defined at column 0 (name followed
 * by `(` on a line that starts with an identifier, the return type before it
 * or on the line above). The caller leaves out NOT_NAMES.
 */
export function definitionNames(b: Uint8Array, n: number, name: (start: number, end: number) => void): void {
  let prevStart = -1, p = 0;
  while (p < n) {
    let eol = b.indexOf(10, p);
    if (eol < 0 || eol > n) eol = n;
    if (isIdStart(b[p])) {
      // the first '(' before any ';', '=', '{' on the line
      let q = p;
      while (q < eol) { const c = b[q]; if (c === 40 || c === 59 || c === 61 || c === 123) break; q++; }
      if (q < eol && b[q] === 40) {
        let e = q;
        while (e > p && (b[e - 1] === 32 || b[e - 1] === 9)) e--;
        let s = e;
        while (s > p && isId(b[s - 1])) s--;
        if (s < e && isIdStart(b[s])) {
          // a prototype on one line ends with ';'
          let t = eol - 1;
          while (t > q && (b[t] === 32 || b[t] === 9 || b[t] === 13)) t--;
          const prototype = b[t] === 59;
          let ok = !prototype;
          let isStatic = startsWithStatic(b, p, eol);
          if (ok && s === p) {
            // name at column 0: the return type must be the previous line
            if (prevStart < 0 || !isIdStart(b[prevStart])) ok = false;
            else {
              let pe = p - 1;
              while (pe > prevStart && (b[pe - 1] === 32 || b[pe - 1] === 9 || b[pe - 1] === 13)) pe--;
              const last = b[pe - 1];
              if (last === 59 || last === 125 || last === 41 || last === 44 || last === 92) ok = false; // ; } ) , \ : not a type
              isStatic = startsWithStatic(b, prevStart, p - 1);
            }
          }
          if (ok && !isStatic) name(s, e);
        }
      }
    }
    prevStart = p;
    p = eol + 1;
  }
}

// ---------------------------------------------------------------- the text, fast: column-0 bodies

/** A definition's text: from its first line (the return type's, when it stands alone above the name) to just past its closing brace. */
export interface Definition { start: number; end: number }

const DEF_LINE = /^(?:[A-Za-z_][^;\n=({]*?[^\w\n])?([A-Za-z_]\w*)[ \t]*\(/gm;

/** Copies a name out of its source text (a slice would keep the whole text alive). */
export const own = (s: string) => Buffer.from(s, 'latin1').toString('latin1');

/** Functions defined in the text (static or not): name → [line start, closing brace]. */
export function definitions(text: string): Map<string, Definition> {
  const out = new Map<string, Definition>();
  DEF_LINE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DEF_LINE.exec(text))) {
    const name = m[1];
    if (NOT_NAMES.has(name) || out.has(name)) continue;
    const end = bodyEnd(text, m.index + m[0].length);
    if (end < 0) continue;
    let start = m.index;
    if (m[0].startsWith(name) && start > 0) {
      // `static int\nname(...)`: the return type on the line above belongs to it
      const prev = text.lastIndexOf('\n', start - 2) + 1;
      if (/^[A-Za-z_][^;{}()]*$/.test(text.slice(prev, start - 1).trimEnd())) start = prev;
    }
    out.set(own(name), { start, end });
    DEF_LINE.lastIndex = Math.max(DEF_LINE.lastIndex, end);
  }
  return out;
}

/** From just after a definition's `(`: the offset of its closing `}` at column 0, or -1 for a prototype or a macro use. */
function bodyEnd(text: string, from: number): number {
  // skip the parameter list (balanced parentheses)
  let depth = 1, i = from;
  for (; i < text.length && depth > 0; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) depth--;
    else if (c === 59 || c === 123) return -1;
  }
  // attributes (`__acquires(x)`, `__must_hold(y)`) may stand between `)` and `{`;
  // a ';', an initialiser, a blank line or a long gap mean no body follows
  const open = text.indexOf('{', i);
  if (open < 0 || open - i > 240) return -1;
  const gap = text.slice(i, open);
  if (/[;=]|\n\s*\n/.test(gap)) return -1;
  i = open;
  if (i >= text.length) return -1;
  const close = text.indexOf('\n}', i);
  return close < 0 ? text.length : close + 2;
}

// ---------------------------------------------------------------- the text, by brace matching: lines

/** A function of a text by line: `start` the first line of its declaration, `end` the line of its closing brace (inclusive), 0-based. */
export interface FunctionSpan { name: string; start: number; end: number }

/**
 * Function definitions of a C text by brace matching, kernel style assumed
 * (comments, strings and preprocessor lines skipped; initialisers and
 * struct/enum bodies are not functions). `start` is the first line of the
 * declaration, `end` the line of the closing brace (inclusive).
 */
export function findFunctionSpans(text: string): FunctionSpan[] {
  const spans: FunctionSpan[] = [];
  let depth = 0;
  let line = 0;
  let declStart = -1; // offset where the current top-level declaration began
  let declLine = 0;
  let open: { name: string; start: number } | undefined;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') { line++; lineStart = true; continue; }
    if (lineStart && c === '#') {
      // a preprocessor line (with its continuations); inside a function only the first
      // #if branch is read, since each branch may open its own brace
      const directive = /^#\s*(\w+)/.exec(text.slice(i, i + 32))?.[1] ?? '';
      let nest = depth > 0 && (directive === 'else' || directive === 'elif') ? 1 : 0;
      for (;;) {
        while (i < text.length && !(text[i] === '\n' && text[i - 1] !== '\\')) { if (text[i] === '\n') line++; i++; }
        if (nest === 0 || i >= text.length) break;
        // inside a skipped branch: go on line by line to its #endif
        i++;
        line++;
        const m = /^[ \t]*#\s*(\w+)/.exec(text.slice(i, i + 40));
        if (m && /^if/.test(m[1])) nest++;
        else if (m && m[1] === 'endif') nest--;
      }
      line++;
      continue;
    }
    if (c !== ' ' && c !== '\t') lineStart = false;
    if (c === '/' && text[i + 1] === '/') { while (i < text.length && text[i + 1] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') {
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) { if (text[i] === '\n') line++; i++; }
      i++;
      continue;
    }
    if (c === '"' || c === '\'') {
      for (i++; i < text.length && text[i] !== c && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (depth === 0 && declStart < 0 && !/\s/.test(c)) { declStart = i; declLine = line; }
    if (c === '{') {
      if (depth === 0 && declStart >= 0) {
        const decl = text.slice(declStart, i).replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ');
        const name = functionName(decl);
        if (name) open = { name, start: declLine };
      }
      depth++;
    } else if (c === '}') {
      depth = Math.max(0, depth - 1);
      if (depth === 0) {
        if (open) { spans.push({ name: open.name, start: open.start, end: line }); open = undefined; declStart = -1; }
      }
    } else if (c === ';' && depth === 0) {
      declStart = -1;
    }
  }
  return spans;
}

function functionName(decl: string): string | undefined {
  const d = decl.trim();
  if (/=\s*$|=[^=]/.test(d.replace(/\([^()]*\)/g, '()'))) return undefined;
  if (/^(typedef\s+)?(struct|union|enum)\b[^()]*$/.test(d)) return undefined;
  if (!/\)\s*(__[a-z_]+(\([^()]*\))?\s*)*$/.test(d)) return undefined;
  // the identifier before the first top-level '(' that is followed by the parameter list
  const m = /([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(d.replace(/\b__attribute__\s*\(\([^)]*\)\)/g, ' '));
  if (!m) return undefined;
  // (only the statement words are refused: a definition the text makes with macros may be
  // named `typeof` or `defined` here, and refusing it would lose the functions after it too)
  if (/^(if|while|for|switch|return|sizeof)$/.test(m[1])) return undefined;
  return m[1];
}

/** Names of the functions whose lines a set of spans meets (an empty span meets the function it sits inside). */
export function touchedFunctions(spans: FunctionSpan[], ranges: LineSpan[]): string[] {
  const out = new Set<string>();
  for (const r of ranges) {
    for (const f of spans) {
      const hit = r.end > r.start ? r.start <= f.end && r.end - 1 >= f.start : r.start > f.start && r.start <= f.end;
      if (hit) out.add(f.name);
    }
  }
  return [...out];
}
