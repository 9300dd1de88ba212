// Kernel macro knowledge, in one table, applied to the text before parsing.
// Every rewrite keeps offsets: characters are replaced one for one, so the
// positions tree-sitter reports are positions in the user's file.
//
// - annotation macros (__user, __init, __must_check, __releases(x), …) become
//   spaces: between a type and a name they would otherwise hide the name;
// - iterator macros with a body (list_for_each_entry(…) {, for_each_sg(…),
//   xa_for_each(…), bio_for_each_*) become `while` over the same comma
//   expression, so the body is a loop body;
// - scoped_guard(…) { becomes `if` over its arguments (the body runs once).

const ANNOTATIONS = [
  '__user', '__iomem', '__kernel', '__force', '__rcu', '__percpu', '__bitwise', '__safe',
  '__init', '__exit', '__initdata', '__initconst', '__exitdata', '__ref', '__refdata', '__meminit',
  '__must_check', '__always_inline', 'noinline', 'noinline_for_stack', '__noinline', '__cold', '__hot',
  '__maybe_unused', '__always_unused', '__used', '__read_mostly', '__ro_after_init', '__sched', '__weak',
  '__pure', '__visible', '__flatten', 'notrace', '__nocfi', '__noreturn', '__printf', '__latent_entropy',
  'asmlinkage', '__cpuidle', '__init_or_module', '__devinit', '__packed', '__aligned', '__cacheline_aligned',
  '__cacheline_aligned_in_smp', '____cacheline_aligned', '____cacheline_aligned_in_smp', '__randomize_layout',
  '__releases', '__acquires', '__must_hold', '__cond_lock', '__no_context_analysis', '__free', '__counted_by',
  '__nonstring', '__attribute_const__', '__malloc', '__alloc_size', '__realloc_size', '__assume_aligned',
  '__no_sanitize_address', '__no_kcsan', '__section', '__nocapture', '__private', '__guarded_by',
];
const ANNOTATION_RE = new RegExp(`\\b(${ANNOTATIONS.join('|')})\\b`, 'g');

/** [from, to) replaced by a same-length text. */
type Edit = [number, number, string];

/** Spaces for [from, to), keeping line breaks so lines stay where they are. */
function blankOf(text: string, from: number, to: number): Edit {
  return [from, to, text.slice(from, to).replace(/[^\r\n]/g, ' ')];
}

/** Index just past the parenthesis group that opens at `open`, or -1. */
export function matchParen(text: string, open: number): number {
  let depth = 0;
  const limit = Math.min(text.length, open + 4000);
  for (let i = open; i < limit; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') { depth--; if (depth === 0) return i + 1; }
    else if (c === '{' || c === '}') return -1;
  }
  return -1;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}

function isPreprocessorLine(text: string, at: number): boolean {
  let ls = text.lastIndexOf('\n', at - 1) + 1;
  while (ls < at && (text[ls] === ' ' || text[ls] === '\t')) ls++;
  if (text[ls] === '#') return true;
  // a continuation line of a #define
  const prevEnd = ls - 1;
  return prevEnd > 0 && text[prevEnd - 1] === '\\';
}

/** Masks comments and strings so that the regexes below do not look inside them. */
function codeMask(text: string): Uint8Array {
  const m = new Uint8Array(text.length);
  let i = 0;
  while (i < text.length) {
    const c = text[i], n = text[i + 1];
    if (c === '/' && n === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      m.fill(1, i, stop); i = stop; continue;
    }
    if (c === '/' && n === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      m.fill(1, i, stop); i = stop; continue;
    }
    if (c === '"' || c === '\'') {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      m.fill(1, i, j + 1); i = j + 1; continue;
    }
    i++;
  }
  return m;
}

const ITER_RE = /\b([A-Za-z_]\w*for_each\w*|for_each\w*)\s*\(/g;
const GUARD_RE = /\b(scoped_guard|scoped_cond_guard)\s*\(/g;

export function preprocess(text: string): string {
  // edits, not a character array: most of the file is copied as it is
  const edits: Edit[] = [];
  const mask = codeMask(text);
  let m: RegExpExecArray | null;
  ANNOTATION_RE.lastIndex = 0;
  while ((m = ANNOTATION_RE.exec(text))) {
    if (mask[m.index] || isPreprocessorLine(text, m.index)) continue;
    let end = m.index + m[0].length;
    const after = skipSpace(text, end);
    if (text[after] === '(') {
      const close = matchParen(text, after);
      if (close > 0) end = close;
    }
    edits.push(blankOf(text, m.index, end));
  }
  for (const [re, kw] of [[ITER_RE, 'while'], [GUARD_RE, 'if']] as const) {
    re.lastIndex = 0;
    while ((m = re.exec(text))) {
      if (mask[m.index] || isPreprocessorLine(text, m.index)) continue;
      const name = m[1];
      if (name.length < kw.length) continue;
      const open = text.indexOf('(', m.index + name.length);
      const close = matchParen(text, open);
      if (close < 0) continue;
      const next = skipSpace(text, close);
      // a statement follows (a body), not `;`, `)` or an operator: it is a loop header
      if (!/[{A-Za-z_]/.test(text[next] ?? '')) continue;
      // the previous token must end a statement, so this is not part of an expression
      let p = m.index - 1;
      while (p >= 0 && (/\s/.test(text[p]) || mask[p])) p--;
      if (p >= 0 && !/[;{}):]/.test(text[p]) && !/\belse$/.test(text.slice(Math.max(0, p - 3), p + 1))) continue;
      edits.push([m.index, m.index + name.length, kw.padEnd(name.length, ' ')]);
    }
  }
  if (!edits.length) return text;
  edits.sort((a, b) => a[0] - b[0]);
  const out: string[] = [];
  let at = 0;
  for (const [from, to, repl] of edits) {
    if (from < at) continue; // overlapping: the first edit wins
    out.push(text.slice(at, from), repl);
    at = to;
  }
  out.push(text.slice(at));
  return out.join('');
}
