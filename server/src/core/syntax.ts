// Parsing and the syntax helpers the analysis needs: function definitions
// (including the ones kernel macros hide from the grammar), call names and
// arguments, expression normalisation.
import type { Node, Parser, Tree } from 'web-tree-sitter';
import { preprocess } from './macros';
import type { Range } from './types';

export type { Node };

export interface FunctionDef {
  name: string;
  /** the node whose range is the whole function */
  node: Node;
  body: Node;
  params: { name: string; type: string }[];
}

export function parse(parser: Parser, text: string): Tree | null {
  return parser.parse(preprocess(text));
}

/**
 * Node types, end offsets and field children kept while a tree is analysed.
 * web-tree-sitter answers `node.type`, `node.endIndex` and
 * `childForFieldName()` by copying the node into the wasm memory and calling
 * in, every time, and makes a new Node object for every child it hands out;
 * the simulator asks the same nodes on every path (a fifth of a whole-tree
 * run's CPU went there). None of them changes while the tree is not edited,
 * so during `memoiseNodes(tree)` … `done()` the first answer is kept, by the
 * node's id (unique within a tree, the same for every Node object of that
 * node); a field child is then the same Node object at every ask (the core
 * tells nodes apart by id: no result depends on two asks giving two
 * objects). The accessors are wrapped
 * once, on the class of the first node seen; a tree that is not being
 * analysed is asked as before.
 */
interface NodeMemo { types: Map<number, string>; ends: Map<number, number>; fields: Map<number, Map<string, Node | null>> }
const nodeMemos = new WeakMap<object, NodeMemo>();
let wrapped = false;

export function memoiseNodes(tree: Tree): () => void {
  if (!wrapped) {
    wrapped = true;
    const proto = Object.getPrototypeOf(tree.rootNode) as object;
    const getter = (name: string) => Object.getOwnPropertyDescriptor(proto, name)?.get as ((this: Node) => unknown) | undefined;
    const type = getter('type'), end = getter('endIndex');
    const field = (proto as { childForFieldName?: (this: Node, name: string) => Node | null }).childForFieldName;
    if (type && end && field) {
      Object.defineProperty(proto, 'childForFieldName', {
        configurable: true, enumerable: false, writable: true,
        value(this: Node, name: string): Node | null {
          const m = nodeMemos.get(this.tree);
          if (!m) return field.call(this, name);
          let byName = m.fields.get(this.id);
          if (!byName) { byName = new Map(); m.fields.set(this.id, byName); }
          let c = byName.get(name);
          if (c === undefined) { c = field.call(this, name); byName.set(name, c); }
          return c;
        },
      });
      // a getter answered from the tree's memo while it is analysed
      const memoised = <T>(name: string, get: (this: Node) => unknown, memo: (m: NodeMemo) => Map<number, T>) =>
        Object.defineProperty(proto, name, {
          configurable: true, enumerable: false,
          get(this: Node) {
            const m = nodeMemos.get(this.tree);
            if (!m) return get.call(this);
            const byId = memo(m);
            let v = byId.get(this.id);
            if (v === undefined) { v = get.call(this) as T; byId.set(this.id, v); }
            return v;
          },
        });
      memoised<string>('type', type, m => m.types);
      memoised<number>('endIndex', end, m => m.ends);
    }
  }
  nodeMemos.set(tree, { types: new Map(), ends: new Map(), fields: new Map() });
  return () => { nodeMemos.delete(tree); };
}

/** A document's last parse (of its preprocessed text), kept for the next one. */
export interface LastParse { tree: Tree; pre: string }

/**
 * Parses `text` again after an edit: the old tree is told what changed (the
 * span between the longest common prefix and suffix of the old and new
 * preprocessed texts, so macro rewrites an edit causes are covered) and
 * tree-sitter re-parses only around it. `last.tree` is consumed: the caller
 * deletes it once the new tree exists.
 */
export function parseAgain(parser: Parser, text: string, last?: LastParse): LastParse | null {
  const pre = preprocess(text);
  if (!last) {
    const tree = parser.parse(pre);
    return tree ? { tree, pre } : null;
  }
  const a = last.pre, n = Math.min(a.length, pre.length);
  let s = 0;
  while (s < n && a.charCodeAt(s) === pre.charCodeAt(s)) s++;
  let e = 0;
  while (e < n - s && a.charCodeAt(a.length - 1 - e) === pre.charCodeAt(pre.length - 1 - e)) e++;
  last.tree.edit({
    startIndex: s, oldEndIndex: a.length - e, newEndIndex: pre.length - e,
    startPosition: pointAt(a, s), oldEndPosition: pointAt(a, a.length - e), newEndPosition: pointAt(pre, pre.length - e),
  });
  const tree = parser.parse(pre, last.tree);
  if (!tree) return null;
  // error recovery may differ from a fresh parse's where the edit touches a
  // syntax error: there, parse afresh, so the editor and the CLI always agree
  if (errorNear(tree.rootNode, s, pre.length - e)) {
    tree.delete();
    const again = parser.parse(pre);
    return again ? { tree: again, pre } : null;
  }
  return { tree, pre };
}

/** Does a top-level node overlapping [start, end] hold a syntax error? */
function errorNear(root: Node, start: number, end: number): boolean {
  if (!root.hasError) return false;
  for (let i = 0; i < root.childCount; i++) {
    const c = root.child(i);
    if (!c || c.endIndex < start) continue;
    if (c.startIndex > end) break;
    if (c.hasError || c.isError || c.isMissing) return true;
  }
  return false;
}

/** Row and UTF-16 column of an offset (tree-sitter's web binding counts code units). */
function pointAt(t: string, i: number): { row: number; column: number } {
  let row = 0, lineStart = 0;
  for (let k = t.indexOf('\n'); k >= 0 && k < i; k = t.indexOf('\n', k + 1)) { row++; lineStart = k + 1; }
  return { row, column: i - lineStart };
}

export function rangeOf(n: Node): Range {
  return {
    start: { line: n.startPosition.row, character: n.startPosition.column },
    end: { line: n.endPosition.row, character: n.endPosition.column },
  };
}

export function declaratorName(d: Node | null): string | undefined {
  let cur: Node | null = d;
  for (let guard = 0; cur && guard < 20; guard++) {
    if (cur.type === 'identifier' || cur.type === 'field_identifier') return cur.text;
    const inner = cur.childForFieldName('declarator');
    if (inner) { cur = inner; continue; }
    // parenthesized_declarator and friends
    cur = cur.namedChildren.find(c => c !== null && c.type.endsWith('declarator') || c?.type === 'identifier') ?? null;
  }
  return undefined;
}

function functionDeclarator(d: Node | null): Node | null {
  let cur: Node | null = d;
  for (let guard = 0; cur && guard < 20; guard++) {
    if (cur.type === 'function_declarator') return cur;
    cur = cur.childForFieldName('declarator');
  }
  return null;
}

function paramsOf(fd: Node | null): { name: string; type: string }[] {
  const list = fd?.childForFieldName('parameters');
  if (!list) return [];
  const out: { name: string; type: string }[] = [];
  for (const p of list.namedChildren) {
    if (!p || p.type !== 'parameter_declaration') continue;
    const name = declaratorName(p.childForFieldName('declarator')) ?? '';
    out.push({ name, type: p.text });
  }
  return out;
}

const SYSCALL_RE = /^(COMPAT_)?SYSCALL_DEFINE\d$/;

/** Every function body in the file, with a name even where macros confuse the grammar. */
export function functionsOf(root: Node): FunctionDef[] {
  const out: FunctionDef[] = [];
  const seen = new Set<number>();
  for (const fn of root.descendantsOfType('function_definition')) {
    if (!fn) continue;
    const body = fn.childForFieldName('body');
    if (!body) continue;
    const decl = fn.childForFieldName('declarator');
    const fd = functionDeclarator(decl);
    let name = declaratorName(decl) ?? '<anonymous>';
    let params = paramsOf(fd);
    if (SYSCALL_RE.test(name)) {
      const args = fd?.childForFieldName('parameters')?.namedChildren ?? [];
      name = 'sys_' + (args[0]?.text ?? 'unknown');
      params = [];
    }
    seen.add(body.id);
    out.push({ name, node: fn, body, params });
  }
  // Bodies the grammar did not attach to a function (macro-defined functions,
  // parse errors before the body): name them from the text before the brace.
  // (only top-level blocks and blocks directly in top-level ERROR nodes: a walk
  // of every block in the file costs more than the rest of the analysis)
  const tops: Node[] = [];
  for (const c of root.namedChildren) {
    if (!c) continue;
    if (c.type === 'compound_statement') tops.push(c);
    else if (c.type === 'ERROR') for (const e of c.namedChildren) if (e?.type === 'compound_statement') tops.push(e);
  }
  for (const body of tops) {
    if (seen.has(body.id)) continue;
    const prev = body.previousSibling;
    if (!prev) continue;
    const head = prev.text.slice(-300);
    const sys = /(?:COMPAT_)?SYSCALL_DEFINE\d\s*\(\s*(\w+)/.exec(head);
    const call = /(\w+)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*$/.exec(head);
    const name = sys ? 'sys_' + sys[1] : call?.[1];
    if (!name || /^(if|while|for|switch|return|sizeof)$/.test(name)) continue;
    out.push({ name, node: body, body, params: [] });
  }
  return out;
}

export function hasAncestor(n: Node, type: string): boolean {
  for (let p = n.parent; p; p = p.parent) if (p.type === type) return true;
  return false;
}

/** The called function's name, for plain calls (not through pointers). */
export function calleeName(call: Node): string | undefined {
  const f = call.childForFieldName('function');
  if (!f) return undefined;
  if (f.type === 'identifier') return f.text;
  if (f.type === 'parenthesized_expression') {
    const inner = f.namedChildren[0];
    if (inner?.type === 'identifier') return inner.text;
  }
  return undefined;
}

export function callArgs(call: Node): Node[] {
  const args = call.childForFieldName('arguments');
  return args ? (args.namedChildren.filter(c => c && c.type !== 'comment') as Node[]) : [];
}

/** Strip parentheses and casts. */
export function strip(n: Node): Node {
  let cur = n;
  for (let guard = 0; guard < 20; guard++) {
    if (cur.type === 'parenthesized_expression' && cur.namedChildren[0]) { cur = cur.namedChildren[0]; continue; }
    if (cur.type === 'cast_expression') { const v = cur.childForFieldName('value'); if (v) { cur = v; continue; } }
    break;
  }
  return cur;
}

/** Text to match literally inside a RegExp. */
export function escapeRegExp(t: string): string {
  return t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Normalise an expression's text: no spaces, no outer parens. */
export function norm(text: string): string {
  let t = text.replace(/\s+/g, '');
  while (t.startsWith('(') && t.endsWith(')') && balanced(t.slice(1, -1))) t = t.slice(1, -1);
  return t;
}

function balanced(t: string): boolean {
  let d = 0;
  for (const c of t) { if (c === '(') d++; else if (c === ')') { d--; if (d < 0) return false; } }
  return d === 0;
}

export function isNullLiteral(n: Node): boolean {
  const s = strip(n);
  return s.type === 'null' || s.text === 'NULL' || (s.type === 'number_literal' && s.text === '0');
}

/** Names declared inside a function body. */
export function localsOf(body: Node): Set<string> {
  const out = new Set<string>();
  for (const d of body.descendantsOfType('declaration')) {
    if (!d) continue;
    for (const c of d.namedChildren) {
      if (!c) continue;
      if (c.type === 'init_declarator' || /declarator$/.test(c.type) || c.type === 'identifier') {
        const n = declaratorName(c.type === 'init_declarator' ? c.childForFieldName('declarator') : c);
        if (n) out.add(n);
      }
    }
  }
  return out;
}

/** Every identifier below a node, in order. */
export function identifiersIn(n: Node): string[] {
  const out: string[] = [];
  const walk = (x: Node) => {
    if (x.type === 'identifier') out.push(x.text);
    for (const c of x.namedChildren) if (c) walk(c);
  };
  walk(n);
  return out;
}

/**
 * Syntax nesting deeper than this is not analysed: the CFG builder, the
 * expression evaluator and the checkers recurse over the tree, and a function
 * of a thousand nested blocks would overflow the stack (the real kernel's
 * deepest functions nest about 40 levels of syntax nodes).
 */
export const MAX_DEPTH = 400;

/** Does the tree below n nest more than `limit` levels deep? (a cursor walk, no recursion) */
export function nestsDeeperThan(n: Node, limit: number): boolean {
  const c = n.walk();
  let depth = 0;
  try {
    for (;;) {
      if (c.gotoFirstChild()) {
        if (++depth > limit) return true;
        continue;
      }
      for (;;) {
        if (c.gotoNextSibling()) break;
        if (!c.gotoParent()) return false;
        depth--;
      }
    }
  } finally {
    c.delete();
  }
}

const codeMemo = new WeakMap<object, Map<number, string>>();

/**
 * A node's text with its comments blanked (same length, newlines kept): what a
 * text-level reading of a function (a release call named in it, a call the
 * object goes to) must not find in `/* unpin_user_pages(b->pages, n) went missing *\/`.
 */
export function codeText(n: Node): string {
  let memo = codeMemo.get(n.tree);
  if (!memo) codeMemo.set(n.tree, memo = new Map());
  let t = memo.get(n.id);
  if (t === undefined) {
    const comments = n.descendantsOfType('comment');
    t = n.text;
    if (comments.length) {
      // (found by their own text, in order: no byte or code-unit offsets to convert)
      let from = 0;
      let out = '';
      for (const c of comments) {
        if (!c) continue;
        const at = t.indexOf(c.text, from);
        if (at < 0) continue;
        out += t.slice(from, at) + c.text.replace(/[^\n]/g, ' ');
        from = at + c.text.length;
      }
      t = out + t.slice(from);
    }
    memo.set(n.id, t);
  }
  return t;
}

/** The variable (or field path) an argument gives the address of (`&same_page` -> `same_page`), normalised; undefined for anything else. */
export function addressedName(n: Node): string | undefined {
  const s = strip(n);
  return s.type === 'pointer_expression' && s.text.startsWith('&') ? norm(s.text.slice(1)) : undefined;
}
