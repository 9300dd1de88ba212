// Branch conditions in words, for the steps of a path: what the path knows
// after taking one side of `if (cond)`. `!((!iov_iter_is_kvec(iter)))` taken
// reads "iov_iter_is_kvec(iter) is true", the false side of
// `unlikely(len <= 0)` reads "len > 0", the false side of `!shm` after
// `shm = kzalloc(…)` reads "shm was allocated". Works on the syntax tree
// (likely/unlikely, parentheses and casts dropped, `!` folded into the truth
// value, comparisons flipped, De Morgan for && and ||); pure.
import type { Node } from './syntax';

/** Comparison operators and the one that holds when they do not. */
const FLIP: Record<string, string> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==' };

/** Calls that only pass their argument through (branch hints, casts). */
const TRANSPARENT = new Set(['likely', 'unlikely', '__builtin_expect', 'data_race']);

/** Callees whose result is a fresh allocation (NULL when it failed). */
const ALLOCATOR = /^(?:k[mvz]?alloc\w*|kv[mz]?alloc\w*|kcalloc\w*|kmalloc_array\w*|kvcalloc|kvmalloc_array|vz?alloc\w*|kmemdup\w*|kstrn?dup\w*|__get_free_pages?|get_zeroed_page|alloc_\w+|\w+_alloc|kmem_cache_z?alloc\w*|mempool_alloc|bio_alloc\w*|bio_kmalloc|dma_alloc_\w+)$/;

type Kind = 'pointer' | 'allocated' | 'bool' | 'integer' | 'unknown';

/** `cond` as a reader would say it when it is `truth`. */
export function describeCondition(cond: Node, truth: boolean): string {
  const cache = cacheFor(cond);
  const key = `${cond.startIndex}:${cond.endIndex}:${truth ? 1 : 0}`;
  let out = cache?.get(key);
  if (out === undefined) {
    out = say(cond, truth, 0);
    cache?.set(key, out);
  }
  return out;
}

// one cache per parse tree: paths pass the same branch many times
const caches = new WeakMap<object, Map<string, string>>();
function cacheFor(n: Node): Map<string, string> | undefined {
  const tree = (n as unknown as { tree?: object }).tree;
  if (!tree) return undefined;
  let c = caches.get(tree);
  if (!c) { c = new Map(); caches.set(tree, c); }
  return c;
}

const text = (n: Node) => n.text.replace(/\s+/g, ' ').trim();

/** Parentheses, casts and branch hints around an expression. */
function unwrap(n: Node): Node {
  let cur = n;
  for (let guard = 0; guard < 64; guard++) {
    if (cur.type === 'parenthesized_expression' || cur.type === 'condition_clause') {
      const inner = cur.namedChildren.find(c => c && c.type !== 'comment');
      if (inner) { cur = inner; continue; }
    }
    if (cur.type === 'cast_expression') { const v = cur.childForFieldName('value'); if (v) { cur = v; continue; } }
    if (cur.type === 'call_expression') {
      const f = cur.childForFieldName('function');
      const args = cur.childForFieldName('arguments')?.namedChildren.filter(c => c && c.type !== 'comment') ?? [];
      if (f && TRANSPARENT.has(f.text) && args[0]) { cur = args[0]; continue; }
    }
    break;
  }
  return cur;
}

function say(n0: Node, truth: boolean, depth: number): string {
  const n = unwrap(n0);
  if (depth > 24) return truth ? text(n) : `not (${text(n)})`;
  if (n.type === 'unary_expression' && n.childForFieldName('operator')?.text === '!') {
    const arg = n.childForFieldName('argument');
    if (arg) return say(arg, !truth, depth + 1);
  }
  if (n.type === 'binary_expression') {
    const op = n.childForFieldName('operator')?.text ?? '';
    const l = n.childForFieldName('left'), r = n.childForFieldName('right');
    if (l && r && (op === '&&' || op === '||')) {
      // De Morgan: the false side of `a && b` is `!a || !b`
      const joined = (op === '&&') === truth ? 'and' : 'or';
      const part = (x: Node) => {
        const u = unwrap(x);
        const inner = u.type === 'binary_expression' ? u.childForFieldName('operator')?.text : '';
        const s = say(u, truth, depth + 1);
        return (inner === '&&' || inner === '||') && inner !== op ? `(${s})` : s;
      };
      return `${part(l)} ${joined} ${part(r)}`;
    }
    if (l && r && FLIP[op]) {
      const o = truth ? op : FLIP[op];
      const lt = text(unwrap(l)), rt = text(unwrap(r));
      if ((o === '==' || o === '!=') && isNull(unwrap(r))) return `${lt} is ${o === '==' ? 'NULL' : 'non-NULL'}`;
      if ((o === '==' || o === '!=') && isNull(unwrap(l))) return `${rt} is ${o === '==' ? 'NULL' : 'non-NULL'}`;
      return `${lt} ${o} ${rt}`;
    }
  }
  if (n.type === 'call_expression') {
    const f = n.childForFieldName('function')?.text;
    const arg = n.childForFieldName('arguments')?.namedChildren.find(c => c && c.type !== 'comment');
    if (arg && (f === 'IS_ERR' || f === 'IS_ERR_OR_NULL')) {
      const what = f === 'IS_ERR' ? 'an error pointer' : 'NULL or an error pointer';
      return `${text(unwrap(arg))} is ${truth ? '' : 'not '}${what}`;
    }
    return `${text(n)} is ${truth ? 'true' : 'false'}`;
  }
  if (n.type === 'identifier' || n.type === 'field_expression' || n.type === 'subscript_expression') {
    const name = text(n);
    switch (n.type === 'identifier' ? kindOf(n) : 'unknown') {
      case 'allocated': return truth ? `${name} was allocated` : `${name} is NULL (the allocation failed)`;
      case 'pointer': return `${name} is ${truth ? 'non-NULL' : 'NULL'}`;
      case 'bool': return `${name} is ${truth ? 'true' : 'false'}`;
      case 'integer': return `${name} is ${truth ? 'non-zero' : 'zero'}`;
      default: return `${name} is ${truth ? 'non-NULL/non-zero' : 'NULL/zero'}`;
    }
  }
  if (n.type === 'number_literal' || n.type === 'true' || n.type === 'false') return text(n);
  return `${text(n)} is ${truth ? 'non-zero' : 'zero'}`;
}

function isNull(n: Node): boolean {
  return n.type === 'null' || n.text === 'NULL' || (n.type === 'number_literal' && /^0[uUlL]*$/.test(n.text));
}

/** What a function's declarations and plain assignments say about each name, in document order (made once per function and tree). */
interface NameFacts { decls: { start: number; kind: Kind }[]; assigns: { start: number; end: number; allocates: boolean }[] }
const facts = new WeakMap<object, Map<number, Map<string, NameFacts>>>();

function factsOf(fn: Node): Map<string, NameFacts> {
  const tree = (fn as unknown as { tree: object }).tree;
  let byFn = facts.get(tree);
  if (!byFn) { byFn = new Map(); facts.set(tree, byFn); }
  let m = byFn.get(fn.id);
  if (m) return m;
  const out = new Map<string, NameFacts>();
  const of = (name: string) => { let f = out.get(name); if (!f) { f = { decls: [], assigns: [] }; out.set(name, f); } return f; };
  for (const d of fn.descendantsOfType(['declaration', 'parameter_declaration'])) {
    if (!d) continue;
    const type = d.childForFieldName('type')?.text ?? '';
    for (const c of d.namedChildren) {
      if (!c || c === d.childForFieldName('type')) continue;
      const decl = c.type === 'init_declarator' ? c.childForFieldName('declarator') : c;
      const name = decl ? declName(decl) : undefined;
      if (!decl || name === undefined) continue;
      let kind: Kind = decl.type === 'pointer_declarator' || decl.type === 'array_declarator' ? 'pointer'
        : /^(?:bool|_Bool)$/.test(type) ? 'bool'
        : /\b(?:int|long|short|char|size_t|ssize_t|loff_t|u8|u16|u32|u64|s8|s16|s32|s64|unsigned|signed|__u\d+|__s\d+|vm_fault_t|gfp_t|blk_status_t)\b/.test(type) ? 'integer'
        : 'unknown';
      if (c.type === 'init_declarator' && kind === 'pointer' && allocates(c.childForFieldName('value'))) kind = 'allocated';
      of(name).decls.push({ start: d.startIndex, kind });
    }
  }
  for (const a of fn.descendantsOfType('assignment_expression')) {
    if (!a || a.childForFieldName('operator')?.text !== '=') continue;
    const left = a.childForFieldName('left')?.text;
    if (left !== undefined) of(left).assigns.push({ start: a.startIndex, end: a.endIndex, allocates: allocates(a.childForFieldName('right')) });
  }
  m = out;
  byFn.set(fn.id, m);
  return m;
}

/**
 * What a plain name tested for truth holds, from the enclosing function: its
 * declaration (pointer, bool, integer) and, for pointers, whether the last
 * assignment before the test was an allocation.
 */
function kindOf(id: Node): Kind {
  let fn: Node | null = id.parent;
  while (fn && fn.type !== 'function_definition') fn = fn.parent;
  if (!fn) return 'unknown';
  const at = id.startIndex;
  const f = factsOf(fn).get(id.text);
  let kind: Kind = 'unknown';
  // the last declaration before the test
  for (const d of f?.decls ?? []) if (d.start <= at) kind = d.kind;
  if (kind !== 'pointer' && kind !== 'allocated' && kind !== 'unknown') return kind;
  // the last assignment before the test decides whether it was an allocation
  let last: NameFacts['assigns'][number] | undefined;
  for (const a of f?.assigns ?? []) if (a.start <= at && a.end <= at) last = a;
  if (last) return last.allocates ? 'allocated' : kind;
  return kind;
}

function declName(d: Node): string | undefined {
  let cur: Node | null = d;
  for (let guard = 0; cur && guard < 16; guard++) {
    if (cur.type === 'identifier') return cur.text;
    cur = cur.childForFieldName('declarator');
  }
  return undefined;
}

function allocates(v: Node | null): boolean {
  if (!v) return false;
  const u = unwrap(v);
  if (u.type !== 'call_expression') return false;
  const f = u.childForFieldName('function')?.text ?? '';
  return ALLOCATOR.test(f);
}
