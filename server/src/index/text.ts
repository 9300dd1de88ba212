// Text-level facts the index needs before (or instead of) parsing a file:
// the names it calls, the functions it defines and their bodies, and whether
// a body can matter for pages at all. Regexes only; kernel style assumed
// (definitions start at column 0, their closing brace too).
//
// The text-level function finders, and why there are three: scan.ts hashes
// definition lines in raw bytes (the whole tree, before decoding); this
// file's definitions() confirms them on the text and cuts slices (fast,
// column-0 braces); core/patch/spans.ts findFunctionSpans() matches braces
// past comments, strings and #if branches (a patch's few files, where a
// hunk's function must be named even in unusual layout). They differ on
// macro-made definitions and #ifdef'd bodies (on 6.12's mm/ and block/, 27
// of 235 files), so merging them would change which functions a patch
// touches or which slices the index keeps.
import {
  ALL_API_NAMES, BIO_ADD, BIO_ALLOC, BIO_FLAGS, DMA_USES, GET_REF, HARMLESS, KERNEL_ITER_INIT, KERNEL_ITER_PREDICATES,
  OWNER_HANDOFF, PAGE_TYPE, USER_ITER_INIT, WILL_PIN_PREDICATES,
} from '../core/apis';

/** Names the core models itself: never replaced by a summary of their definition in the tree. */
export const CATALOG = new Set<string>([
  ...ALL_API_NAMES, ...GET_REF, ...USER_ITER_INIT, ...KERNEL_ITER_INIT, ...BIO_ADD.keys(), ...BIO_ALLOC,
  ...OWNER_HANDOFF.keys(), ...DMA_USES, ...HARMLESS, ...WILL_PIN_PREDICATES, ...KERNEL_ITER_PREDICATES,
]);

const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'return', 'sizeof', 'do', 'else', 'case', 'typeof', '__typeof__',
  'defined', 'alignof', '_Alignof', '__alignof__', 'asm', '__asm__', 'volatile', '__attribute__', 'offsetof', 'container_of']);

/** The names that make a body matter for pages: the page APIs, references, hand-offs and the bio page flags. */
export const RELEVANT_NAMES: readonly string[] = [...ALL_API_NAMES, ...GET_REF, ...BIO_ADD.keys(), ...OWNER_HANDOFF.keys(), ...BIO_FLAGS];
/** A body that calls the page APIs or names the bio page flags may release, take or acquire its parameters' pages. */
export const RELEVANT_BODY = new RegExp(`\\b(?:${RELEVANT_NAMES.join('|')})\\b`);
/** So may a function that takes pages, folios or bvecs as parameters (it may store them: `takes`). */
export const RELEVANT_PARAMS = PAGE_TYPE;

/** Copies a name out of its source text (a slice would keep the whole text alive). */
const own = (s: string) => Buffer.from(s, 'latin1').toString('latin1');

/** Every identifier followed by `(` (calls, and some declarations), keywords left out. */
export function calledNames(text: string): Set<string> {
  const out = new Set<string>();
  const re = /\b([A-Za-z_]\w*)\s*\(/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) if (!KEYWORDS.has(m[1]) && !out.has(m[1])) out.add(own(m[1]));
  return out;
}

export interface Definition { start: number; end: number }

const DEF_LINE = /^(?:[A-Za-z_][^;\n=({]*?[^\w\n])?([A-Za-z_]\w*)[ \t]*\(/gm;

/** Functions defined in the text (static or not): name → [line start, closing brace]. */
export function definitions(text: string): Map<string, Definition> {
  const out = new Map<string, Definition>();
  DEF_LINE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DEF_LINE.exec(text))) {
    const name = m[1];
    if (KEYWORDS.has(name) || out.has(name)) continue;
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

const PAGE_WORDS = RELEVANT_PARAMS;

/**
 * The names a checked file calls, defined elsewhere, from the functions that
 * can hold pages (they call the page APIs or have page, folio or bvec
 * parameters or variables): only there can a helper's summary change a finding.
 */
export function pageCallees(text: string, defs: Map<string, Definition>): Set<string> {
  const out = new Set<string>();
  for (const d of defs.values()) {
    const body = text.slice(d.start, d.end);
    if (!RELEVANT_BODY.test(body) && !PAGE_WORDS.test(body)) continue;
    for (const c of calledNames(body)) if (!defs.has(c) && !CATALOG.has(c)) out.add(c);
  }
  return out;
}
