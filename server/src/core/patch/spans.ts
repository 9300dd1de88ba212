// Functions of a C text found by brace matching (a patch's files, before
// and after, need no parse to say which functions a hunk touches), and the
// ones a set of changed line ranges meets. (The index finds definitions its
// own, faster way: index/text.ts says why the two are not one.)
import type { LineSpan } from './types';

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
