// Struct definitions read from C text (a file, or a header the index found):
// which members of a struct are themselves structs, embedded or pointed to.
// Text level, no parse: comments and preprocessor lines blanked, braces
// matched. What fields.ts needs to give one piece of memory one field key
// (`rm->atomic.op_sg` and `ao->op_sg` with `ao` a `struct rm_atomic_op *`).
import type { StructTypes } from './types';

/** A struct's members of struct type: member -> `T` (embedded `struct T m;`), `*T` (a pointer), `T[]` (an array of them). */
export type Members = Record<string, string>;

/** `text` with comments, strings and preprocessor lines blanked (offsets kept). */
function blanked(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|^[ \t]*#(?:[^\n]*\\\n)*[^\n]*/gm, m => m.replace(/[^\n]/g, ' '));
}

/** The offset of the `}` that closes the `{` at `open`, or -1 (also past `limit` characters). */
function closing(t: string, open: number, limit = Infinity): number {
  let depth = 0;
  const stop = Math.min(t.length, open + limit);
  for (let i = open; i < stop; i++) {
    const c = t.charCodeAt(i);
    if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return i;
  }
  return -1;
}

/** Splits at `sep` outside braces, brackets and parentheses. */
function splitTop(t: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0, at = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
    else if (c === sep && depth === 0) { out.push(t.slice(at, i)); at = i + 1; }
  }
  out.push(t.slice(at));
  return out;
}

const QUALIFIERS = /^(?:(?:const|volatile|__randomize_layout|__packed|__aligned\s*\([^)]*\))\s+)*/;

/** The members of a struct body (the text between its braces); an anonymous struct or union member's own members are the struct's. */
function membersOf(body: string, out: Members = {}, depth = 0): Members {
  if (depth > 8) return out;
  for (const decl0 of splitTop(body, ';')) {
    const decl = decl0.trim().replace(QUALIFIERS, '');
    const inline = /^(?:struct|union)\s*(\w*)\s*\{/.exec(decl);
    if (inline) {
      const open = decl.indexOf('{');
      const end = closing(decl, open);
      if (end < 0) continue;
      const rest = decl.slice(end + 1).trim();
      // `struct { … };` / `union { … };`: its members are ours
      if (!rest && !inline[1]) membersOf(decl.slice(open + 1, end), out, depth + 1);
      else if (rest && inline[1]) declarators(inline[1], rest, out);
      continue;
    }
    const typed = /^(?:struct|union)\s+(\w+)\s+([\s\S]+)$/.exec(decl);
    if (typed) declarators(typed[1], typed[2], out);
  }
  return out;
}

function declarators(type: string, list: string, out: Members): void {
  for (const d0 of splitTop(list, ',')) {
    const d = d0.replace(/\s*:\s*\w+\s*$/, '').replace(/\b__\w+(\s*\([^)]*\))?/g, '').trim();
    const m = /^(\*+\s*(?:const\s+)?)?([A-Za-z_]\w*)\s*((?:\[[^\]]*\]\s*)*)$/.exec(d);
    if (!m) continue; // a function pointer, or something else this reader does not know
    out[m[2]] = m[1] ? `*${type}` : m[3] ? `${type}[]` : type;
  }
}

/**
 * Every struct and union definition in `text` (nested ones too), by name:
 * the members of struct type of each. A name defined twice with different
 * members (`#ifdef` variants) is null: not resolved.
 */
export function structDefinitions(text: string): Map<string, Members | null> {
  const t = blanked(text);
  const out = new Map<string, Members | null>();
  const seen = new Map<string, string>();
  // (bounded: bodies are scanned to their closing brace, and a text of unclosed ones would be read again for each)
  let budget = 4 * t.length + 65536;
  for (const m of t.matchAll(/\b(?:struct|union)\s+([A-Za-z_]\w*)\s*\{/g)) {
    const open = m.index! + m[0].length - 1;
    const end = closing(t, open, budget);
    if (end < 0) { if ((budget -= t.length - open) <= 0) break; continue; }
    if ((budget -= end - open) <= 0) break;
    const members = membersOf(t.slice(open + 1, end));
    const json = JSON.stringify(Object.entries(members).sort());
    const before = seen.get(m[1]);
    if (before === undefined) { seen.set(m[1], json); out.set(m[1], members); } else if (before !== json) out.set(m[1], null);
  }
  return out;
}

/** `T` of a member type (`*T`, `T[]`, `T`). */
export const structOfType = (t: string) => t.replace(/^\*/, '').replace(/\[\]$/, '');

/** The entries of `types` for `names` and the structs their members name, as deep as `depth`: what a key through them reads. */
export function closureOf(types: StructTypes, names: Iterable<string>, depth = 4): StructTypes {
  const out: StructTypes = {};
  let level = [...new Set(names)];
  for (let d = 0; d <= depth && level.length; d++) {
    const next: string[] = [];
    for (const n of level) {
      if (n in out || !(n in types)) continue;
      const m = types[n];
      out[n] = m;
      if (m) for (const t of Object.values(m)) next.push(structOfType(t));
    }
    level = next;
  }
  return out;
}
