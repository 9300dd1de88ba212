// Function body -> control-flow graph. Statements are nodes; if/while/for/do
// conditions are branch nodes; switch fans out to its cases; goto jumps to
// its label; return and the end of the body go to the exit node.
// Loops keep what the simulation needs to treat `for (i = 0; i < n; i++)
// put_page(pages[i]);` as one release of pages[0..n): the index variable,
// its bound and whether the index starts at 0.
// With the build's configuration (Settings `config`), `#if`/`#ifdef`/`#elif`
// blocks and C conditions of IS_ENABLED()/IS_BUILTIN()/IS_MODULE() take the
// branch the build compiles; the other is not in the graph.
import type { Node } from './syntax';
import { MAX_DEPTH, nestsDeeperThan, norm, strip } from './syntax';
import type { KernelConfig } from './types';

export interface LoopInfo {
  id: number;
  /** index variable, when the header has one (`i` in `i < n`, `i--`). */
  index?: string;
  /** the bound the index runs to (or down from), normalised text. */
  bound?: string;
  /** the index starts at 0 (`for (i = 0; …)`), so the first test is `bound > 0`. */
  fromZero: boolean;
  /** the loop statement, for what its body touches */
  node: Node;
  /** an iterator macro (for_each_sg, list_for_each_entry, …): it visits the whole collection */
  iterator: boolean;
}

export type CfgNode =
  | { kind: 'stmt'; ast: Node; next: number; loops: LoopInfo[] }
  | { kind: 'branch'; cond: Node; t: number; f: number; loops: LoopInfo[]; head?: LoopInfo; always?: boolean }
  | { kind: 'switch'; value: Node; targets: number[]; loops: LoopInfo[] }
  | { kind: 'return'; ast: Node; value: Node | null; loops: LoopInfo[] }
  /** `iterEnd`: an iteration of that loop ends here (the body's end, or a `continue`). */
  | { kind: 'nop'; next: number; ast?: Node; loops: LoopInfo[]; iterEnd?: LoopInfo }
  | { kind: 'exit' };

/** `incomplete`: why the body was not turned into a graph at all (its nesting is too deep to walk). */
export interface Cfg { nodes: CfgNode[]; entry: number; exit: number; truncated: boolean; incomplete?: string }

/** `loop`: the innermost loop (`continue` ends its iteration); `brkLoop`: the loop `break` leaves (none inside a switch). */
interface Ctx { brk?: number; cont?: number; loops: LoopInfo[]; loop?: LoopInfo; brkLoop?: LoopInfo }

const MAX_NODES = 20000;

/** Three-valued: true, false, or undefined when the configuration does not decide. */
type Truth = boolean | undefined;

const not = (a: Truth): Truth => (a === undefined ? undefined : !a);
const and = (a: Truth, b: () => Truth): Truth => (a === false ? false : ((r: Truth) => (r === false ? false : a && r ? true : undefined))(b()));
const or = (a: Truth, b: () => Truth): Truth => (a === true ? true : ((r: Truth) => (r === true ? true : a === false && r === false ? false : undefined))(b()));

/** Is the macro defined: known for CONFIG_* names (absent: not set) and for the names the configuration defines. */
function isDefined(name: string, config: KernelConfig): Truth {
  if (Object.prototype.hasOwnProperty.call(config, name)) return true;
  return name.startsWith('CONFIG_') ? false : undefined;
}

/** include/linux/kconfig.h: IS_BUILTIN, IS_MODULE, IS_ENABLED, IS_REACHABLE of a CONFIG_ option. */
function kconfigMacro(macro: string, opt: string, config: KernelConfig): Truth {
  if (!opt.startsWith('CONFIG_')) return undefined;
  const builtin = config[opt] === '1', module = config[`${opt}_MODULE`] === '1';
  switch (macro) {
    case 'IS_BUILTIN': return builtin;
    case 'IS_MODULE': return module;
    case 'IS_ENABLED': return builtin || module;
    case 'IS_REACHABLE': return builtin ? true : !module ? false : isDefined('MODULE', config);
    default: return undefined;
  }
}

/** A condition's value under the configuration (preprocessor or C expression), when it decides it. */
export function configValue(n: Node, config: KernelConfig): Truth {
  switch (n.type) {
    case 'parenthesized_expression': {
      const inner = n.namedChildren.find(c => c && c.type !== 'comment');
      return inner ? configValue(inner, config) : undefined;
    }
    case 'unary_expression': {
      const arg = n.childForFieldName('argument');
      return n.children[0]?.type === '!' && arg ? not(configValue(arg, config)) : undefined;
    }
    case 'binary_expression': {
      const op = n.childForFieldName('operator')?.type ?? n.children[1]?.type;
      const l = n.childForFieldName('left'), r = n.childForFieldName('right');
      if (!l || !r) return undefined;
      if (op === '&&') return and(configValue(l, config), () => configValue(r, config));
      if (op === '||') return or(configValue(l, config), () => configValue(r, config));
      return undefined;
    }
    case 'preproc_defined': {
      const id = n.namedChildren.find(c => c?.type === 'identifier');
      return id ? isDefined(id.text, config) : undefined;
    }
    case 'call_expression': {
      const fn = n.childForFieldName('function');
      const args = n.childForFieldName('arguments')?.namedChildren.filter(c => c && c.type !== 'comment') ?? [];
      if (fn?.type !== 'identifier' || args.length !== 1 || args[0]?.type !== 'identifier') return undefined;
      return kconfigMacro(fn.text, args[0].text, config);
    }
    case 'number_literal':
      // (only in #if: a C condition `if (0)` is left to the simulation)
      return n.parent?.type.startsWith('preproc_') || n.parent?.parent?.type.startsWith('preproc_') ? /^0+[uUlL]*$/.test(n.text) ? false : /^[1-9]\d*[uUlL]*$/.test(n.text) ? true : undefined : undefined;
    case 'identifier':
      // in #if an option's value (1 for =y); an option not set is 0
      if (!n.text.startsWith('CONFIG_')) return undefined;
      if (!Object.prototype.hasOwnProperty.call(config, n.text)) return false;
      return /^\d+$/.test(config[n.text]) ? config[n.text] !== '0' : undefined;
    default:
      return undefined;
  }
}

/** The value of a preprocessor block's own condition (#if, #ifdef, #ifndef, #elif), when the configuration decides it. */
export function blockValue(n: Node, config: KernelConfig): Truth {
  if (n.type === 'preproc_ifdef') {
    const name = n.childForFieldName('name');
    const d = name ? isDefined(name.text, config) : undefined;
    return n.children[0]?.type === '#ifndef' ? not(d) : d;
  }
  if (n.type === 'preproc_if' || n.type === 'preproc_elif') {
    const cond = n.childForFieldName('condition');
    return cond ? configValue(cond, config) : undefined;
  }
  return undefined;
}

/**
 * Does the build compile this node, as far as the preprocessor blocks around
 * it say (true when the configuration is unknown or does not decide)?
 */
export function compiledUnder(node: Node, config: KernelConfig | null | undefined): boolean {
  if (!config) return true;
  for (let c: Node | null = node, p = node.parent; c && p; c = p, p = p.parent) {
    if (p.type !== 'preproc_if' && p.type !== 'preproc_ifdef' && p.type !== 'preproc_elif') continue;
    const v = blockValue(p, config);
    const inAlt = p.childForFieldName('alternative')?.id === c.id;
    if (inAlt ? v === true : v === false) return false;
  }
  return true;
}

export function buildCfg(body: Node, config?: KernelConfig | null): Cfg {
  if (nestsDeeperThan(body, MAX_DEPTH)) {
    return { nodes: [{ kind: 'exit' }], entry: 0, exit: 0, truncated: true, incomplete: `its syntax nests more than ${MAX_DEPTH} levels deep (the depth limit)` };
  }
  const nodes: CfgNode[] = [{ kind: 'exit' }];
  const exit = 0;
  const labels = new Map<string, number>();
  let loopIds = 0;
  let truncated = false;
  const add = (n: CfgNode): number => {
    if (nodes.length >= MAX_NODES) { truncated = true; return exit; }
    nodes.push(n); return nodes.length - 1;
  };
  // Labels first, so a goto can jump forward: each label is a nop patched later.
  for (const l of body.descendantsOfType('labeled_statement')) {
    const name = l?.childForFieldName('label')?.text;
    if (l && name && !labels.has(name)) labels.set(name, add({ kind: 'nop', next: exit, ast: l, loops: [] }));
  }

  const seq = (stmts: Node[], next: number, ctx: Ctx): number => {
    let cur = next;
    for (let i = stmts.length - 1; i >= 0; i--) cur = stmt(stmts[i], cur, ctx);
    return cur;
  };

  // where an iteration of the innermost loop ends: its body's end, or a `continue`
  const iterationEnd = (at: Node, next: number, ctx: Ctx): number =>
    ctx.loop ? add({ kind: 'nop', next, ast: at, loops: ctx.loops, iterEnd: ctx.loop }) : next;

  const loopOf = (kind: 'for' | 'while' | 'do', n: Node): LoopInfo => {
    const info: LoopInfo = { id: ++loopIds, fromZero: false, node: n, iterator: false };
    const rawCond = n.childForFieldName('condition');
    if (rawCond && strip(rawCond).type === 'comma_expression') info.iterator = true;
    const cond = n.childForFieldName('condition');
    const c = cond ? strip(cond) : null;
    if (c?.type === 'binary_expression') {
      const op = c.childForFieldName('operator')?.text ?? c.children[1]?.text;
      const l = c.childForFieldName('left'), r = c.childForFieldName('right');
      if (l && r) {
        if ((op === '<' || op === '!=' || op === '<=') && strip(l).type === 'identifier') { info.index = strip(l).text; info.bound = norm(r.text); }
        else if (op === '>' && strip(r).type === 'identifier') { info.index = strip(r).text; info.bound = norm(l.text); }
        else if ((op === '>=' || op === '>') && l.type === 'update_expression') { info.index = l.text.replace(/[-+]/g, '').trim(); info.bound = info.index; }
        else if ((op === '>=' || op === '>') && strip(l).type === 'identifier' && /^0$/.test(r.text)) { info.index = strip(l).text; info.bound = info.index; }
      }
    } else if (c?.type === 'update_expression' && /--/.test(c.text)) {
      // while (i--) / while (--i): unwinding what was taken so far
      info.index = c.text.replace(/-/g, '').trim(); info.bound = info.index;
    }
    if (kind === 'for' && info.index) {
      const init = n.childForFieldName('initializer');
      const t = init ? norm(init.text).replace(/;$/, '') : '';
      if (new RegExp(`(^|[^\\w])${info.index}=0$`).test(t)) info.fromZero = true;
    }
    return info;
  };

  const stmt = (n: Node, next: number, ctx: Ctx): number => {
    if (nodes.length >= MAX_NODES) { truncated = true; return next; }
    const loops = ctx.loops;
    switch (n.type) {
      case 'compound_statement':
        return seq(n.namedChildren.filter(Boolean) as Node[], next, ctx);
      case 'expression_statement':
      case 'declaration':
        return add({ kind: 'stmt', ast: n, next, loops });
      case 'if_statement': {
        const cond = n.childForFieldName('condition');
        const cons = n.childForFieldName('consequence');
        const alt = n.childForFieldName('alternative');
        const altBody = alt ? (alt.type === 'else_clause' ? alt.namedChildren[0] : alt) : null;
        // IS_ENABLED(CONFIG_…) and friends the configuration decides: only the branch the build keeps
        const known = cond && config ? configValue(cond, config) : undefined;
        if (known === true) return cons ? stmt(cons, next, ctx) : next;
        if (known === false) return altBody ? stmt(altBody, next, ctx) : next;
        const t = cons ? stmt(cons, next, ctx) : next;
        const f = altBody ? stmt(altBody, next, ctx) : next;
        if (!cond) return t;
        return add({ kind: 'branch', cond, t, f, loops });
      }
      case 'while_statement':
      case 'for_statement': {
        const info = loopOf(n.type === 'for_statement' ? 'for' : 'while', n);
        const head = add({ kind: 'nop', next: exit, loops });
        const inner: Ctx = { brk: next, cont: head, loops: [info, ...loops], loop: info, brkLoop: info };
        const update = n.type === 'for_statement' ? n.childForFieldName('update') : null;
        const contTarget = update ? add({ kind: 'stmt', ast: update, next: head, loops: inner.loops }) : head;
        inner.cont = contTarget;
        const bodyNode = n.childForFieldName('body');
        const body = bodyNode ? stmt(bodyNode, iterationEnd(bodyNode, contTarget, inner), inner) : contTarget;
        const cond = n.childForFieldName('condition');
        // `for (;;)` leaves only through break/return/goto
        const test = add({ kind: 'branch', cond: cond ?? n, t: body, f: next, loops, head: info, always: !cond });
        const h = nodes[head] as { kind: 'nop'; next: number };
        h.next = test;
        const init = n.type === 'for_statement' ? n.childForFieldName('initializer') : null;
        return init ? add({ kind: 'stmt', ast: init, next: head, loops }) : head;
      }
      case 'do_statement': {
        const info = loopOf('do', n);
        const head = add({ kind: 'nop', next: exit, loops });
        const cond = n.childForFieldName('condition');
        const test = cond ? add({ kind: 'branch', cond, t: head, f: next, loops, head: info }) : next;
        const inner: Ctx = { brk: next, cont: test, loops: [info, ...loops], loop: info, brkLoop: info };
        const bodyNode = n.childForFieldName('body');
        const body = bodyNode ? stmt(bodyNode, iterationEnd(bodyNode, test, inner), inner) : test;
        (nodes[head] as { kind: 'nop'; next: number }).next = body;
        return head;
      }
      case 'switch_statement': {
        const value = n.childForFieldName('condition') ?? n;
        const bodyNode = n.childForFieldName('body');
        const cases = (bodyNode?.namedChildren ?? []).filter(c => c?.type === 'case_statement') as Node[];
        const inner: Ctx = { ...ctx, brk: next, brkLoop: undefined };
        const targets: number[] = [];
        let fall = next;
        let hasDefault = false;
        for (let i = cases.length - 1; i >= 0; i--) {
          const cs = cases[i];
          if (!cs.childForFieldName('value')) hasDefault = true;
          const valueId = cs.childForFieldName('value')?.id;
          const body = cs.namedChildren.filter(c => c && c.id !== valueId) as Node[];
          fall = seq(body, fall, inner);
          targets.unshift(fall);
        }
        if (!hasDefault) targets.push(next);
        return add({ kind: 'switch', value, targets, loops });
      }
      case 'break_statement':
        if (ctx.brk === undefined) return next;
        return ctx.brkLoop ? iterationEnd(n, ctx.brk, { ...ctx, loop: ctx.brkLoop }) : ctx.brk;
      case 'continue_statement':
        return ctx.cont === undefined ? next : iterationEnd(n, ctx.cont, ctx);
      case 'return_statement': {
        const value = n.namedChildren.find(c => c && c.type !== 'comment') ?? null;
        return add({ kind: 'return', ast: n, value, loops });
      }
      case 'goto_statement': {
        const label = n.childForFieldName('label')?.text;
        const target = label !== undefined ? labels.get(label) : undefined;
        return add({ kind: 'nop', next: target ?? exit, ast: n, loops });
      }
      case 'labeled_statement': {
        const name = n.childForFieldName('label')?.text ?? '';
        const inner = n.namedChildren.filter(c => c && c.type !== 'statement_identifier') as Node[];
        const after = seq(inner, next, ctx);
        const id = labels.get(name);
        if (id === undefined) return after;
        const lbl = nodes[id] as { kind: 'nop'; next: number; loops: LoopInfo[] };
        lbl.next = after; lbl.loops = loops;
        return id;
      }
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_elif':
      case 'preproc_else': {
        // configuration blocks inside a body: with the configuration, the
        // branch the build compiles; without it, the #if branch (one
        // configuration) and #else/#elif alternatives are skipped
        const alt = n.childForFieldName('alternative');
        if (config && blockValue(n, config) === false) return alt ? stmt(alt, next, ctx) : next;
        const cond = n.childForFieldName('condition') ?? n.childForFieldName('name');
        // (node wrappers are not unique objects: compare ids)
        const body = n.namedChildren.filter(c => c && c.id !== alt?.id && c.id !== cond?.id && c.type !== 'comment') as Node[];
        return seq(body, next, ctx);
      }
      case 'comment':
      case ';':
        return next;
      case 'ERROR':
        // Keep what the grammar could not place: its statements still run.
        return seq(n.namedChildren.filter(c => c && /statement|declaration/.test(c.type)) as Node[], next, ctx);
      default:
        if (/statement|declaration/.test(n.type)) return add({ kind: 'stmt', ast: n, next, loops });
        return next;
    }
  };

  const entry = stmt(body, exit, { loops: [] });
  return { nodes, entry, exit, truncated };
}
