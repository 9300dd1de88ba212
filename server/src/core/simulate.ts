// Budgeted path exploration of one function's CFG with a page ledger.
//
// Each path carries a State (ledger.ts). Statements are evaluated for their
// page effects: acquires create page sets, releases are matched against them
// by family and count, stores/returns/bios/sg tables take them, unknown
// callees may take them (escape). Branches split the state with what the
// condition tells about an acquire's return value, the iterator's backing,
// bio flags and local booleans; conditions the ledger does not care about fork
// without knowledge, and identical states meeting at one node are explored
// once. A loop body runs at most once per path: a release of pages[i] in a
// loop over i < n releases pages[0..n).
import {
  ACQUIRE_BY_NAME, AcquireApi, BIO_ADD, BIO_ALLOC, BIO_FLAGS, DMA_USES, HARMLESS, KERNEL_ITER_INIT,
  GET_REF, KERNEL_ITER_PREDICATES, OWNER_HANDOFF, RELEASE_BY_NAME, USER_ITER_INIT, WILL_PIN_PREDICATES,
} from './apis';
import { Cfg, CfgNode, LoopInfo } from './cfg';
import { dropPair, ledger, pairFor } from './counters';
import type { CheckContext, Checker, ReleaseEvent } from './checkers/checker';
import {
  ALL_OUTCOMES, AcquireSite, Outcome, PageSet, PendingRelease, State, cloneState, initialState, mayHold, newSet, pushStep, stateKey,
} from './ledger';
import { callArgs, calleeName, isNullLiteral, norm, rangeOf, strip } from './syntax';
import type { FunctionDef, Node } from './syntax';
import type { Family, FunctionSummary, Mode, ParamEffect } from './types';
import { knownZeroField, zeroedAssign, zeroedCall, zeroedStore, zeroedUpdate } from './zeroed';

export interface SimOptions {
  pathBudget: number;
  summaries: Map<string, FunctionSummary>;
  checkers: Checker[];
  cx: CheckContext;
  /** functions defined in this file: one without a summary does nothing to pages */
  local?: Set<string>;
  /**
   * names of flag fields that say whether extracted pages were pinned (set
   * from iov_iter_extract_will_pin() in this file or another): a path
   * remembers how it tested one, so a teardown's release knows its guard
   */
  flagNames?: Set<string>;
}

export interface SiteOutcome { released: number; handedOff: number; leaked: number; failed: number; total: number; releases: Map<string, { node: Node; api: string; viaHelper?: string }>; handoffs: Map<string, { node: Node; kind: string }> }

export interface SimResult {
  sites: AcquireSite[];
  outcomes: Map<number, SiteOutcome>;
  traces: Map<number, State['trail']>;
  effects: ParamEffect[];
  incomplete?: string;
  paths: number;
  /** the function returns an acquire's count (else its acquires return 0 / -errno) */
  returnsCount?: boolean;
  /**
   * pages put into a struct field (`obj->pages = pages`, or acquired into it),
   * with their mode (EXTRACT when paths decided the iterator both ways) and
   * the iterator they were extracted from
   */
  fieldStores: { field: string; mode: Mode; api: string; node: Node; iter?: string }[];
  /** flag fields set from iov_iter_extract_will_pin(iter): `ap->args.is_pinned = iov_iter_extract_will_pin(ii)` */
  flagStores: { field: string; iter: string; node: Node }[];
  /**
   * releases of a struct field's pages that no page set of this function
   * explains; `guards`: for each distinct way paths reach it, the flag fields
   * (SimOptions.flagNames) the path tested, as it decided them
   */
  fieldReleases: { field: string; family: Family; api: string; node: Node; viaHelper?: string; guards: Record<string, boolean>[] }[];
}

/** Functions whose result still identifies the page (pfn, physical or virtual address). */
const CONVERSIONS = new Set(['page_to_pfn', 'page_to_phys', 'page_address', 'page_to_virt', 'folio_pfn', 'folio_address',
  '__pa', 'virt_to_phys', 'page_folio', 'compound_head', 'folio_page', 'kmap', 'kmap_local_page', 'sg_page',
  'virt_to_page', 'pfn_to_page', 'phys_to_page', 'kmap_to_page']);

/** Accessors that read a page or folio and keep nothing. */
const READERS = /^(IS_ERR|IS_ERR_OR_NULL|PTR_ERR|PTR_ERR_OR_ZERO|folio_test_\w+|folio_(nr_pages|size|shift|order|pfn|address|mapping|index|pos|page_idx|mapped|nid|zone|memcg|lock|unlock|trylock|wait_locked)|Page[A-Z]\w*|page_(mapping|index|mapped|zone|to_nid|pgdat|count|mapcount|maybe_dma_pinned)|is_zero_\w+|trylock_page|wait_on_page_\w+|flush_\w*page\w*|clear_user_highpage|copy_(to|from)_user_page|memcpy_(to|from)_folio|kmap_\w+|kunmap_\w+)$/;

/** Marking a page dirty: the caller wrote to it (pin_user_pages.rst case 5). */
const DIRTY = new Set(['set_page_dirty', 'set_page_dirty_lock', 'folio_mark_dirty', 'SetPageDirty']);

const STEP_LIMIT = 60_000;

type Val =
  | { kind: 'count'; set: number }
  | { kind: 'holder'; set: number; element: boolean; index?: string }
  | { kind: 'willpin'; iter: string }
  | { kind: 'neg' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'pagefrom'; site: number }
  | { kind: 'bio' }
  /** a helper's 0-or-errno result that decides whether it released pages (PendingRelease) */
  | { kind: 'status'; pending: PendingRelease }
  | null;

interface Fn {
  def: FunctionDef;
  cfg: Cfg;
  opts: SimOptions;
  sites: AcquireSite[];
  siteByCall: Map<number, AcquireSite>;
  /** call nodes by id, for releases decided after the call (State.pending) */
  callNodes: Map<number, Node>;
  /** variables some `return v;` returns */
  returnedVars: Set<string>;
  /** ended paths that return 0, and that return non-zero (an error) */
  okPaths: number;
  errPaths: number;
  acquireHolders: Set<string>;
  /** holders also filled by plain assignment: the first such assignment's offset (-1: in a loop, anywhere) */
  assignedFrom: Map<string, number>;
  /** variables that hold a page's kernel address (`maddr = page_address(page)`): passing one on does not pass the page */
  addressVars: Set<string>;
  /** holders filled by acquires inside loops (slot by slot) */
  loopHolders: Set<string>;
  /** the requested-count arguments of the function's acquires */
  requested: Set<string>;
  /** the requested-size arguments of its byte-count acquires (iov_iter_extract_pages(i, p, len, …)) */
  requestedBytes: Set<string>;
  params: string[];
  /** the effects on parameters, by key; which ones a path saw is in its State */
  effectDefs: Map<string, ParamEffect>;
  allEffects: Map<string, { eff: ParamEffect; paths: number; ok: number; err: number }>;
  result: SimResult;
  cur: CfgNode | null;
  /** condition texts tested at more than one branch: a path answers them once */
  repeated: Set<string>;
  /** locals copied once from a flag field (`bool pinned = ap->args.is_pinned;`) -> the field: testing one tests the flag */
  flagCopies: Map<string, string>;
}

function rootOf(holder: string): string {
  const m = /^[&*]*([A-Za-z_]\w*)/.exec(holder);
  return m ? m[1] : holder;
}

/** holder text of an argument that names pages: strips &, *, casts, [i], + off */
function holderText(n: Node): { text: string; element: boolean; index?: string } {
  let cur = strip(n);
  let element = false;
  let index: string | undefined;
  for (let guard = 0; guard < 10; guard++) {
    if (cur.type === 'pointer_expression' || (cur.type === 'unary_expression' && /^[&*]/.test(cur.text))) {
      const a = cur.childForFieldName('argument');
      if (!a) break;
      if (cur.text.startsWith('*')) element = true;
      cur = strip(a); continue;
    }
    if (cur.type === 'subscript_expression') {
      const a = cur.childForFieldName('argument');
      index = norm(cur.childForFieldName('index')?.text ?? '').replace(/\+\+|--/g, '');
      if (index === '0') index = '';
      element = true;
      if (!a) break;
      cur = strip(a); continue;
    }
    if (cur.type === 'binary_expression' && /^[+-]$/.test(cur.childForFieldName('operator')?.text ?? cur.children[1]?.text ?? '')) {
      const l = cur.childForFieldName('left');
      if (!l) break;
      element = true; index = norm(cur.childForFieldName('right')?.text ?? '');
      cur = strip(l); continue;
    }
    if (cur.type === 'call_expression') {
      const name = calleeName(cur);
      if (name && CONVERSIONS.has(name)) {
        const a = callArgs(cur)[0];
        if (!a) break;
        cur = strip(a); continue;
      }
    }
    break;
  }
  return { text: norm(cur.text), element, index };
}

export function simulate(def: FunctionDef, cfg: Cfg, opts: SimOptions): SimResult {
  const result: SimResult = { sites: opts.cx.sites, outcomes: new Map(), traces: new Map(), effects: [], paths: 0, fieldStores: [], flagStores: [], fieldReleases: [] };
  const fn: Fn = {
    def, cfg, opts, sites: result.sites, siteByCall: new Map(), callNodes: new Map(), returnedVars: returnedVars(def.body), okPaths: 0, errPaths: 0, acquireHolders: new Set(), assignedFrom: new Map(), addressVars: new Set(), loopHolders: new Set(), requested: new Set(), requestedBytes: new Set(),
    params: def.params.map(p => p.name), effectDefs: new Map(), allEffects: new Map(), result, cur: null,
    repeated: repeatedConditions(cfg), flagCopies: flagCopies(def, opts.flagNames),
  };
  collectAcquireHolders(fn);
  const start = initialState(cfg.entry);
  seedParams(fn, start);
  const seen = new Set<string>();
  const work: State[] = [start];
  let steps = 0;
  let endedPaths = 0;
  while (work.length) {
    const st = work.pop()!;
    if (++steps > STEP_LIMIT || endedPaths > opts.pathBudget) {
      result.incomplete = `the path budget ran out after ${endedPaths} paths and ${steps} steps`;
      break;
    }
    const key = stateKey(st);
    if (seen.has(key)) continue;
    seen.add(key);
    const node = cfg.nodes[st.node];
    fn.cur = node;
    switch (node.kind) {
      case 'exit':
        finishPath(fn, st, null);
        endedPaths++;
        break;
      case 'return': {
        const value = node.value;
        if (value) evalExpr(fn, st, value);
        finishPath(fn, st, node.ast, value);
        endedPaths++;
        break;
      }
      case 'stmt':
        evalStmt(fn, st, node.ast);
        st.node = node.next;
        work.push(st);
        break;
      case 'nop':
        if (node.ast?.type === 'goto_statement') {
          // a backward goto (retry loops: `goto again;`) is taken once per path
          const target = cfg.nodes[node.next];
          const back = target.kind === 'nop' && target.ast && target.ast.startIndex < node.ast.startIndex;
          if (back) {
            const key = -st.node;
            if ((st.visits[key] ?? 0) >= 1) break;
            st.visits[key] = 1;
          }
          pushStep(st, { range: rangeOf(node.ast), note: node.ast.text.replace(/;$/, '') });
        }
        if (node.iterEnd && node.ast) for (const c of fn.opts.checkers) c.onIterationEnd?.(fn.opts.cx, st, node.iterEnd, node.ast);
        st.node = node.next;
        work.push(st);
        break;
      case 'switch': {
        evalExpr(fn, st, node.value);
        for (const t of [...new Set(node.targets)]) {
          const c = cloneState(st); c.node = t; work.push(c);
        }
        break;
      }
      case 'branch': {
        st.temps = {};
        evalExpr(fn, st, node.cond);
        const visits = node.head ? (st.visits[node.head.id] ?? 0) : 0;
        const outs: State[] = [];
        if (node.head && visits >= 1) {
          // the body ran once: that stands for every iteration
          if (!node.always) {
            for (const c of assume(fn, cloneState(st), node.cond, false)) {
              c.node = node.f; c.temps = {}; delete c.visits[node.head.id]; outs.push(c);
            }
          }
        } else {
          for (const truth of node.always ? [true] : [false, true]) {
            const base = cloneState(st);
            if (node.head) base.visits[node.head.id] = visits + 1;
            const ctext = norm(node.cond.text);
            if (fn.repeated.has(ctext)) {
              if (base.conds[ctext] === !truth) continue;
              base.conds[ctext] = truth;
            }
            const states = node.always ? [base]
              : node.head?.bound && visits === 0 && (node.head.fromZero || node.head.bound === node.head.index)
              ? assumeLoopEntry(fn, base, node.head, truth)
              : assume(fn, base, node.cond, truth);
            for (const s of states) {
              s.temps = {};
              if (!truth && node.head) delete s.visits[node.head.id];
              if (!truth && node.head && visits === 0 && !node.always) skipLoop(fn, s, node.head);
              s.node = truth ? node.t : node.f;
              noteBranch(s, node.cond, truth);
              outs.push(s);
            }
          }
        }
        // depth-first: explore the `true` side first
        for (const o of outs) work.push(o);
        break;
      }
    }
  }
  result.paths = endedPaths;
  for (const v of fn.allEffects.values()) {
    const returns = v.eff.effect === 'acquires' ? (result.returnsCount ? 'count' : 'status') : undefined;
    // released on every path that fails and on none that succeeds: the caller can tell by the result
    const onError = v.eff.effect === 'releases' && fn.errPaths > 0 && fn.okPaths > 0 && v.err === fn.errPaths && v.ok === 0 && v.paths === v.err;
    result.effects.push({ ...v.eff, always: v.paths === endedPaths && endedPaths > 0, ...(returns ? { returns } : {}), ...(onError ? { when: 'error' as const } : {}) });
  }
  return result;
}

/**
 * A loop skipped on its first test with a bound the path cannot relate to an
 * acquire (`i < DIV_ROUND_UP(off + len, PAGE_SIZE)`): zero iterations means
 * nothing to release, so pages the body would release or hand on are not
 * claimed as leaked on that path.
 */
function skipLoop(fn: Fn, st: State, loop: LoopInfo): void {
  if (loop.bound && findSetByCount(st, loop.bound) >= 0) return;
  const body = loop.node.childForFieldName('body');
  if (!body) return;
  const touched = new Set<string>();
  for (const c of body.descendantsOfType('call_expression')) {
    if (c) for (const a of callArgs(c)) touched.add(holderText(a).text);
  }
  for (const p of st.sets) if (touched.has(p.holder) || Object.entries(st.aliases).some(([v, i]) => touched.has(v) && st.sets[i] === p)) p.escaped = true;
}

function repeatedConditions(cfg: Cfg): Set<string> {
  const seen = new Set<string>(), twice = new Set<string>();
  for (const n of cfg.nodes) {
    if (n.kind !== 'branch' || n.always) continue;
    const t = norm(n.cond.text);
    if (seen.has(t)) twice.add(t); else seen.add(t);
  }
  return twice;
}

function noteBranch(s: State, cond: Node, truth: boolean): void {
  const t = norm(cond.text);
  pushStep(s, { range: rangeOf(cond), note: truth ? t : `!(${t})` });
}

function collectAcquireHolders(fn: Fn): void {
  for (const call of fn.def.body.descendantsOfType('call_expression')) {
    if (!call) continue;
    const name = calleeName(call);
    const api = name ? ACQUIRE_BY_NAME.get(name) : undefined;
    const sum = name ? fn.opts.summaries.get(name) : undefined;
    if (api && api.pagesArg >= 0) {
      const a = callArgs(call)[api.pagesArg];
      if (a && !isNullLiteral(a)) fn.acquireHolders.add(holderText(a).text);
      if (a && inLoopSyntax(call, fn.def.body)) fn.loopHolders.add(holderText(a).text);
      const n = api.countArg >= 0 ? callArgs(call)[api.countArg] : undefined;
      if (n) fn.requested.add(norm(n.text));
      const size = api.sizeArg !== undefined ? callArgs(call)[api.sizeArg] : undefined;
      if (size) fn.requestedBytes.add(norm(size.text));
    } else if (sum) {
      for (const e of sum.params) if (e.effect === 'acquires') {
        const a = callArgs(call)[e.index];
        if (a) fn.acquireHolders.add(holderText(a).text);
      }
    }
  }
  // a holder the function also fills by plain assignment is not known by name alone
  for (const a of fn.def.body.descendantsOfType(['assignment_expression', 'init_declarator'])) {
    const l = a?.childForFieldName(a.type === 'init_declarator' ? 'declarator' : 'left'), r = a?.childForFieldName(a.type === 'init_declarator' ? 'value' : 'right');
    if (l && r && isAddressOf(r)) fn.addressVars.add(norm(l.text).replace(/^\*+/, ''));
    if (a?.type === 'init_declarator') continue;
    const alloc = r && strip(r).type === 'call_expression' && /alloc|^vzalloc|^kcalloc/.test(calleeName(strip(r)) ?? '');
    if (l && r && !isNullLiteral(r) && !alloc) {
      const h = norm(l.text);
      // before its first plain assignment (outside loops) the holder still holds only what an acquire put there
      if (fn.acquireHolders.has(h) && !inLoopSyntax(a!, fn.def.body)) fn.assignedFrom.set(h, Math.min(fn.assignedFrom.get(h) ?? Infinity, a!.startIndex));
      else fn.assignedFrom.set(h, -1);
    }
  }
}

/** Marks a copy that counts the pages of a requested size (st.copies). */
export const BYTES = 'bytes:';

/**
 * The requested size a page-count expression is computed from —
 * `DIV_ROUND_UP(off + len, PAGE_SIZE)`, `(off + len + PAGE_SIZE - 1) >> PAGE_SHIFT`,
 * `PAGE_ALIGN(off + len) >> PAGE_SHIFT` — when len is the size a byte-count
 * acquire of the function asked for; undefined otherwise.
 */
function pagesOfRequestedBytes(fn: Fn, n: Node): string | undefined {
  if (!fn.requestedBytes.size) return undefined;
  return pageCountTerms(n)?.find(term => fn.requestedBytes.has(term));
}

/** The summed terms of a bytes-to-pages count (`DIV_ROUND_UP(off + len, PAGE_SIZE)` -> off, len); undefined for other expressions. */
function pageCountTerms(n: Node): string[] | undefined {
  const t = norm(strip(n).text);
  const m = /^DIV_ROUND_UP\((.+),PAGE_SIZE\)$/.exec(t) ?? /^\(?(.+)\+PAGE_SIZE-1\)?(?:>>PAGE_SHIFT|\/PAGE_SIZE)$/.exec(t)
    ?? /^PAGE_ALIGN\((.+)\)(?:>>PAGE_SHIFT|\/PAGE_SIZE)$/.exec(t);
  return m ? m[1].replace(/^\((.*)\)$/, '$1').split('+') : undefined;
}

/** `DIV_ROUND_UP(len + off, PAGE_SIZE)` with len what a byte-count acquire returned: that set's page count. */
function pagesRef(st: State, n: Node): number {
  for (const term of pageCountTerms(n) ?? []) {
    const idx = findSetByCount(st, term);
    if (idx >= 0) return idx;
  }
  return -1;
}

/** Conversions to a kernel virtual address: the callee gets bytes to read or write, not the page. */
const ADDRESS_OF = new Set(['page_address', 'page_to_virt', 'folio_address', 'kmap', 'kmap_local_page', 'kmap_local_folio', 'kmap_atomic']);

function isAddressOf(n: Node): boolean {
  let s = strip(n);
  while (s.type === 'binary_expression') s = strip(s.childForFieldName('left') ?? s);
  return s.type === 'call_expression' && ADDRESS_OF.has(calleeName(s) ?? '');
}

/** `ap->args.is_pinned` with is_pinned one of the flag names. */
function isFlagField(names: Set<string> | undefined, t: string): boolean {
  return !!names?.size && t.includes('->') && names.has(t.slice(t.search(/\w+$/)));
}

/** Locals assigned once, from a flag field: `bool pinned = ap->args.is_pinned;`. */
function flagCopies(def: FunctionDef, names: Set<string> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!names?.size) return out;
  const seen = new Set<string>();
  for (const a of def.body.descendantsOfType(['assignment_expression', 'init_declarator'])) {
    const l = a?.childForFieldName(a.type === 'init_declarator' ? 'declarator' : 'left');
    const r = a?.childForFieldName(a.type === 'init_declarator' ? 'value' : 'right');
    if (!l || !r || l.type !== 'identifier') continue;
    const field = norm(strip(r).text);
    if (seen.has(l.text)) out.delete(l.text);
    else if (strip(r).type === 'field_expression' && isFlagField(names, field)) out.set(l.text, field);
    seen.add(l.text);
  }
  return out;
}

function inLoopSyntax(n: Node, body: Node): boolean {
  for (let p = n.parent; p && p.id !== body.id; p = p.parent) {
    if (p.type === 'for_statement' || p.type === 'while_statement' || p.type === 'do_statement') return true;
  }
  return false;
}

const PAGE_TYPE = /struct\s+(page|folio)\b|\bbio_vec\b/;

function seedParams(fn: Fn, st: State): void {
  fn.def.params.forEach((p, i) => {
    if (!p.name || !PAGE_TYPE.test(p.type)) return;
    const site: AcquireSite = {
      id: -1 - i, api: { name: `param ${p.name}`, kind: 'summary', helper: fn.def.name }, call: fn.def.node,
      mode: 'UNKNOWN', modeReason: 'parameter', holder: p.name, requested: '', perElement: false, inLoop: false, offset: '', returns: 'count',
    };
    const set = newSet(site, 'UNKNOWN', ['full']);
    set.param = i;
    st.sets.push(set);
  });
}

// ---------------------------------------------------------------- lookups

/** The set a holder names; with an offset (`&map[y]`), the set that starts there if there is one. */
function findSetByHolder(st: State, text: string, offset?: string): number {
  if (text in st.aliases) return st.aliases[text];
  if (text in st.derived && !st.derived[text].endsWith('+')) text = st.derived[text];
  let any = -1;
  for (let i = st.sets.length - 1; i >= 0; i--) {
    if (st.sets[i].holder !== text) continue;
    if (offset === undefined || st.sets[i].offset === offset) return i;
    if (any < 0) any = i;
  }
  if (any >= 0 && offset !== undefined && st.sets.filter(p => p.holder === text).length > 1) {
    // several sets share the array: pick by offset, else the one at the start
    const start = st.sets.findIndex(p => p.holder === text && p.offset === '');
    if (start >= 0) return start;
  }
  return any;
}

function findSetByCount(st: State, text: string): number {
  for (let i = st.sets.length - 1; i >= 0; i--) if (st.sets[i].countVars.includes(text)) return i;
  return -1;
}

function forgetVar(st: State, v: string): void {
  // a pending release whose result is overwritten untested stays undecided: the pages may be gone (escaped)
  delete st.pending[v];
  st.nonzero = st.nonzero.filter(n => n !== v);
  for (const p of st.sets) p.countVars = p.countVars.filter(c => c !== v);
  delete st.aliases[v];
  delete st.bools[v];
  st.neg = st.neg.filter(n => n !== v);
  st.zero = st.zero.filter(n => n !== v);
  delete st.zeroed[v];
}

function siteOf(fn: Fn, set: PageSet): AcquireSite | undefined {
  return fn.sites.find(s => s.id === set.site);
}

function enclosingLoop(fn: Fn, index?: string): LoopInfo | undefined {
  const loops = fn.cur && fn.cur.kind !== 'exit' ? fn.cur.loops : [];
  if (index) return loops.find(l => l.index === index);
  return loops.find(l => l.bound);
}

function outcome(fn: Fn, set: number): SiteOutcome {
  let o = fn.result.outcomes.get(set);
  if (!o) {
    o = { released: 0, handedOff: 0, leaked: 0, failed: 0, total: 0, releases: new Map(), handoffs: new Map() };
    fn.result.outcomes.set(set, o);
  }
  return o;
}

// ---------------------------------------------------------------- evaluation

function evalStmt(fn: Fn, st: State, n: Node): void {
  if (n.type === 'declaration') {
    for (const d of n.namedChildren) {
      if (d?.type !== 'init_declarator') continue;
      const name = d.childForFieldName('declarator');
      const value = d.childForFieldName('value');
      if (!name || !value) continue;
      const v = evalExpr(fn, st, value);
      zeroedStore(st, null, value);
      const nameText = norm(name.text).replace(/^\*+/, '').replace(/\[.*$/, '');
      assignVar(fn, st, nameText, v, value);
    }
    return;
  }
  evalExpr(fn, st, n);
}

function assignVar(fn: Fn, st: State, v: string, val: Val, rhs: Node): void {
  forgetVar(st, v);
  zeroedAssign(st, v, rhs);
  // the variable that named a page set now names something else
  for (const p of st.sets) {
    if (p.holder !== v || (val?.kind === 'holder' && st.sets[val.set] === p)) continue;
    p.holder = `${v}'`;
    // a window keeps its array: releasing the array still releases it
    if (st.derived[v]) st.derived[p.holder] = st.derived[v];
  }
  if (isNullLiteral(rhs)) { st.zero.push(v); return; }
  delete st.derived[v];
  delete st.copies[v];
  if (!val && fn.requested.has(norm(rhs.text))) st.copies[v] = norm(rhs.text);
  // `npages = DIV_ROUND_UP(off + len, PAGE_SIZE)` with len the requested size: the pages asked for
  const fromBytes = !val ? pagesOfRequestedBytes(fn, rhs) : undefined;
  if (fromBytes) st.copies[v] = `${BYTES}${fromBytes}`;
  if (!val) {
    // `p = obj->pages`: acquires through p fill the object's array
    const r = strip(rhs);
    const w = holderText(rhs);
    if (r.type === 'field_expression') st.derived[v] = norm(r.text);
    else if (w.element && w.text !== v && /^[A-Za-z_][\w>.-]*$/.test(w.text)) st.derived[v] = `${w.text}+`;
    else if (r.type === 'pointer_expression' && r.text.startsWith('&')) {
      const a = r.childForFieldName('argument');
      if (a && (a.type === 'identifier' || a.type === 'field_expression')) st.derived[v] = norm(a.text);
    }
  }
  if (!val) {
    const r = strip(rhs);
    if (r.type === 'true' || r.text === 'true') st.bools[v] = true;
    else if (r.type === 'false' || r.text === 'false') st.bools[v] = false;
    else if (r.type === 'number_literal' && /^0+[uUlL]*$/.test(r.text)) st.zero.push(v);
    return;
  }
  switch (val.kind) {
    case 'count': st.sets[val.set].countVars.push(v); break;
    case 'holder': if (!val.element || true) st.aliases[v] = val.set; break;
    case 'willpin': st.bools[v] = 'pin:' + val.iter; break;
    case 'neg': st.neg.push(v); break;
    case 'bool': st.bools[v] = val.value; break;
    case 'bio': st.bios[v] = { flags: [], sets: [], local: true, addedAt: [] }; break;
    case 'status': st.pending[v] = val.pending; break;
    case 'pagefrom': {
      // get_user_page_vma_remote(): the returned page is the holder
      const idx = st.sets.findIndex(p => p.site === val.site && p.holder === '');
      if (idx >= 0) { st.sets[idx].holder = v; st.aliases[v] = idx; }
      break;
    }
  }
}

function evalExpr(fn: Fn, st: State, n: Node): Val {
  switch (n.type) {
    case 'parenthesized_expression':
    case 'cast_expression': {
      const inner = n.type === 'cast_expression' ? n.childForFieldName('value') : n.namedChildren[0];
      return inner ? evalExpr(fn, st, inner) : null;
    }
    case 'expression_statement':
    case 'comma_expression': {
      let last: Val = null;
      for (const c of n.namedChildren) if (c) last = evalExpr(fn, st, c);
      return last;
    }
    case 'call_expression':
      return evalCall(fn, st, n);
    case 'assignment_expression': {
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (!left || !right) return null;
      const op = n.childForFieldName('operator')?.text ?? '=';
      const val = evalExpr(fn, st, right);
      const lt = norm(left.text);
      for (const k of Object.keys(st.conds)) if (k.includes(lt)) delete st.conds[k];
      zeroedStore(st, left, right);
      const l = strip(left);
      if (l.type === 'identifier') {
        if (op === '=') assignVar(fn, st, l.text, val, right);
        else forgetVar(st, l.text);
        return val;
      }
      // storing pages into a field, an array slot of an object, a global or an out-parameter
      if (val?.kind === 'holder' && op === '=') {
        handOff(fn, st, val.set, n, `stored in ${norm(left.text)}`);
      }
      // a count kept in a field: the obtained count (`sb->nr = pinned`) or the requested one (`sb->nr = nr`)
      if (l.type === 'field_expression') {
        const t = norm(l.text);
        for (const p of st.sets) p.countVars = p.countVars.filter(c => c !== t);
        delete st.copies[t];
        if (op === '=' && val?.kind === 'count') st.sets[val.set].countVars.push(t);
        else if (op === '=' && !val && fn.requested.has(norm(right.text))) st.copies[t] = norm(right.text);
      }
      // a flag field that remembers the mode (`ctx->pinned = iov_iter_extract_will_pin(i)`)
      if (l.type === 'field_expression' && op === '=') {
        const t = norm(l.text);
        delete st.bools[t];
        if (val?.kind === 'willpin') {
          st.bools[t] = 'pin:' + val.iter;
          if (!fn.result.flagStores.some(f => f.node.id === n.id)) fn.result.flagStores.push({ field: t, iter: val.iter, node: n });
        } else if (val?.kind === 'bool') st.bools[t] = val.value;
      }
      if (l.type !== 'identifier') evalExpr(fn, st, l);
      return val;
    }
    case 'identifier': {
      const t = n.text;
      if (t in st.aliases) return { kind: 'holder', set: st.aliases[t], element: false };
      const c = findSetByCount(st, t);
      if (c >= 0) return { kind: 'count', set: c };
      const h = findSetByHolder(st, t);
      if (h >= 0) return { kind: 'holder', set: h, element: false };
      if (st.neg.includes(t)) return { kind: 'neg' };
      const b = st.bools[t];
      if (typeof b === 'string') return { kind: 'willpin', iter: b.slice(4) };
      if (typeof b === 'boolean') return { kind: 'bool', value: b };
      return null;
    }
    case 'field_expression':
    case 'subscript_expression':
    case 'pointer_expression': {
      for (const c of n.namedChildren) if (c && c.type !== 'field_identifier') evalExpr(fn, st, c);
      const h = holderText(n);
      const idx = findSetByHolder(st, h.text);
      if (idx >= 0) return { kind: 'holder', set: idx, element: h.element, index: h.index };
      if (n.type === 'field_expression') {
        const c = findSetByCount(st, norm(n.text));
        if (c >= 0) return { kind: 'count', set: c };
      }
      return null;
    }
    case 'unary_expression': {
      const op = n.children[0]?.text;
      const a = n.childForFieldName('argument');
      const v = a ? evalExpr(fn, st, a) : null;
      if (op === '-' && a && (/^E[A-Z0-9]+$/.test(a.text) || a.type === 'number_literal')) return { kind: 'neg' };
      if (op === '!' && v?.kind === 'bool') return { kind: 'bool', value: !v.value };
      return op === '!' ? null : v;
    }
    case 'conditional_expression': {
      const vals = n.namedChildren.map(c => (c ? evalExpr(fn, st, c) : null));
      // `ret < 0 ? ret : -ENOMEM`: an errno either way
      const a = vals[1], b = vals[2];
      if ((a?.kind === 'neg' || a?.kind === 'count') && (b?.kind === 'neg' || b?.kind === 'count') && (a.kind === 'neg' || b.kind === 'neg')) return { kind: 'neg' };
      // `pinned < 0 ? 0 : pinned`: the obtained count, clamped at 0 (nothing to release on failure)
      const zero = (k: number) => /^0+[uUlL]*$/.test(strip(n.namedChildren[k] ?? n).text);
      if (a?.kind === 'count' && zero(2)) return a;
      if (b?.kind === 'count' && zero(1)) return b;
      return null;
    }
    case 'binary_expression': {
      const l = n.childForFieldName('left');
      const r = n.childForFieldName('right');
      const lv = l ? evalExpr(fn, st, l) : null;
      if (r) evalExpr(fn, st, r);
      const op = n.childForFieldName('operator')?.text ?? n.children[1]?.text;
      if ((op === '+' || op === '-') && lv?.kind === 'holder') return { ...lv, element: true };
      return null;
    }
    case 'true': return { kind: 'bool', value: true };
    case 'false': return { kind: 'bool', value: false };
    case 'update_expression':
      // `req->n++` writes the field
      zeroedUpdate(st, n.childForFieldName('argument'));
      for (const c of n.namedChildren) if (c) evalExpr(fn, st, c);
      return null;
    default:
      for (const c of n.namedChildren) if (c) evalExpr(fn, st, c);
      return null;
  }
}

function evalCall(fn: Fn, st: State, call: Node): Val {
  const name = calleeName(call);
  const args = callArgs(call);
  zeroedCall(st, call);
  if (!name) {
    for (const a of args) escapeArg(fn, st, a, call);
    return null;
  }
  if (name === 'likely' || name === 'unlikely' || name === 'WARN_ON' || name === 'WARN_ON_ONCE' || name === 'READ_ONCE') {
    return args[0] ? evalExpr(fn, st, args[0]) : null;
  }
  const acq = ACQUIRE_BY_NAME.get(name);
  if (acq) return acquire(fn, st, call, acq, args);
  if (name === 'sg_page' && args[0]) {
    // sg_page(sg) inside for_each_sg: a page of the set the sg table was built from
    // (not for acquires in loops: the table then holds pages of every iteration)
    const sgSets = st.sets.map((p, i) => [p, i] as const).filter(([p]) => p.handoff?.kind.includes('sg table') && !siteOf(fn, p)?.inLoop);
    if (sgSets.length === 1) return { kind: 'holder', set: sgSets[0][1], element: true, index: '<sg>' };
  }
  if (CONVERSIONS.has(name) && args[0]) {
    // page_to_pfn(page), page_address(page), …: the value still stands for the page
    const v = evalExpr(fn, st, args[0]);
    if (v?.kind === 'holder') return { ...v, element: true };
    const h = holderText(args[0]);
    const idx = findSetByHolder(st, h.text);
    return idx >= 0 ? { kind: 'holder', set: idx, element: true } : null;
  }
  // evaluate nested calls in the arguments first (C evaluates arguments before the call)
  for (const a of args) if (a.type === 'call_expression' || a.type === 'assignment_expression' || a.type === 'conditional_expression') evalExpr(fn, st, a);
  const rel = RELEASE_BY_NAME.get(name);
  if (rel) {
    const a = args[rel.pagesArg];
    if (!a) return null;
    if (rel.family === 'bio' && rel.pagesArg > 0) {
      // bio_release_page(bio, page): that page, as the bio's flags say
      const h = holderText(a);
      const loop = h.element && h.index ? enclosingLoop(fn, h.index) : undefined;
      const idx = findSetByHolder(st, h.text);
      const whole = !!loop?.bound && (loop.fromZero || loop.bound === loop.index);
      if (idx >= 0) release(fn, st, idx, { node: call, api: name, family: 'bio', whole, count: null, release: rel, argText: a.text, guarded: true });
      return null;
    }
    if (rel.family === 'bio') {
      const bio = norm(args[0]?.text ?? '');
      const b = st.bios[bio];
      if (b) for (const si of b.sets) release(fn, st, si, { node: call, api: name, family: 'bio', whole: true, count: null, release: rel, argText: a.text, guarded: true });
      return null;
    }
    const h = holderText(a);
    const count = rel.countArg >= 0 && args[rel.countArg] ? norm(args[rel.countArg].text) : null;
    let whole = rel.array || rel.countArg >= 0;
    let loopCount: string | null = null;
    const viaSg = strip(a).type === 'call_expression' && calleeName(strip(a)) === 'sg_page';
    if (!whole && viaSg && fn.cur && fn.cur.kind !== 'exit' && fn.cur.loops.some(l => l.iterator)) whole = true;
    if (!whole) {
      // a loop from 0 (or counting down to 0) covers the array; `while (i < n)` from
      // wherever i stands releases only the tail
      const loop = h.element && h.index ? enclosingLoop(fn, h.index) : enclosingLoop(fn);
      if (loop?.bound && (loop.fromZero || loop.bound === loop.index)) {
        whole = true;
        // `while (i--)` releases what i counted: the request, if i was copied from it
        loopCount = loop.bound === loop.index ? (st.copies[loop.index] ?? null) : loop.bound;
      }
    }
    let idx = findSetByHolder(st, h.text, h.element && !(h.index && enclosingLoop(fn, h.index)) ? (h.index ?? '') : '');
    if (viaSg) { const v = evalExpr(fn, st, a); if (v?.kind === 'holder') idx = v.set; }
    // releasing an array whole also releases what was acquired into windows of it
    // (`p = pages + n; pin_user_pages_fast(…, p)`)
    // (each window is checked like the array itself) — only when the array was
    // never filled directly: a release of a slice with its own pages covers that slice
    const windows = whole && !h.element && idx < 0
      ? st.sets.map((p, i) => i).filter(i => st.derived[st.sets[i].holder] === `${h.text}+` && st.sets[i].state !== 'handed-off')
      : [];
    if (idx < 0 && windows.length) idx = windows.pop()!;
    // the count names which acquire into this array is meant (an earlier window)
    const byCount = count ? findSetByCount(st, count) : -1;
    if (byCount >= 0 && idx >= 0 && byCount !== idx && st.sets[byCount].holder === st.sets[idx].holder) idx = byCount;
    if (idx >= 0 && !whole) {
      const set = st.sets[idx];
      const site = siteOf(fn, set);
      if (site && (site.requested === '1' || site.returns === 'page' || site.returns === 'bool')) whole = true;
    }
    const countNode = rel.countArg >= 0 ? args[rel.countArg] : undefined;
    const counted = count ?? loopCount;
    const bytes = counted && st.copies[counted]?.startsWith(BYTES) ? st.copies[counted].slice(BYTES.length) : countNode ? pagesOfRequestedBytes(fn, countNode) : undefined;
    const copied = counted && !st.copies[counted]?.startsWith(BYTES) ? st.copies[counted] : undefined;
    const ev: ReleaseEvent = {
      node: call, api: name, family: rel.family, whole, count: count ?? loopCount, release: rel, argText: a.text,
      guarded: false, ...(bytes ? { countFromBytes: bytes } : {}), ...(copied ? { countIs: copied } : {}),
    };
    if (idx >= 0) for (const w of [idx, ...windows.filter(w => w !== idx)]) release(fn, st, w, ev);
    else untrackedRelease(fn, st, h.text, ev);
    return null;
  }
  if (WILL_PIN_PREDICATES.has(name)) return { kind: 'willpin', iter: norm(args[0]?.text ?? '').replace(/^&/, '') };
  if (name === 'bio_set_flag' || name === 'bio_clear_flag') {
    const bio = norm(args[0]?.text ?? '');
    const flag = args[1]?.text ?? '';
    if (BIO_FLAGS.has(flag)) {
      const b = st.bios[bio] ?? (st.bios[bio] = { flags: [], sets: [], local: false, addedAt: [] });
      if (name === 'bio_set_flag') {
        if (!b.flags.includes(flag)) b.flags.push(flag);
        pushStep(st, { range: rangeOf(call), note: `${bio} marked ${flag}` });
        for (const c of fn.opts.checkers) c.onBioFlag?.(fn.opts.cx, st, bio, flag, call);
      } else b.flags = b.flags.filter(f => f !== flag);
    }
    return null;
  }
  if (GET_REF.has(name)) {
    const a = args[0];
    const idx = a ? findSetByHolder(st, holderText(a).text) : -1;
    if (idx >= 0) takeReference(fn, st, idx, call);
    return null;
  }
  const add = BIO_ADD.get(name);
  if (add) {
    const bio = norm(args[add[0]]?.text ?? '');
    const p = args[add[1]];
    const idx = p ? findSetByHolder(st, holderText(p).text) : -1;
    if (idx >= 0) {
      const b = st.bios[bio] ?? (st.bios[bio] = { flags: [], sets: [], local: false, addedAt: [] });
      if (!b.sets.includes(idx)) b.sets.push(idx);
      b.addedAt.push(call);
      handOff(fn, st, idx, call, `added to bio ${bio}`);
      for (const c of fn.opts.checkers) c.onBioAdd?.(fn.opts.cx, st, bio, st.sets[idx], call);
    }
    return null;
  }
  if (USER_ITER_INIT.has(name) || KERNEL_ITER_INIT.has(name)) {
    const itArg = name.startsWith('iov_iter_') ? args[0] : args[args.length - 1];
    if (itArg) st.iters[norm(itArg.text).replace(/^&/, '')] = USER_ITER_INIT.has(name) ? 'user' : 'kernel';
    return null;
  }
  const owner = OWNER_HANDOFF.get(name);
  if (owner) {
    const p = args[owner.arg];
    const idx = p ? findSetByHolder(st, holderText(p).text) : -1;
    if (idx >= 0) {
      if (DMA_USES.has(name)) for (const c of fn.opts.checkers) c.onDmaUse?.(fn.opts.cx, st, st.sets[idx], call, name);
      handOff(fn, st, idx, call, `given to the ${owner.owner} by ${name}()`);
    }
    return null;
  }
  if (DMA_USES.has(name)) {
    for (const a of args) {
      const idx = findSetByHolder(st, holderText(a).text);
      if (idx >= 0) for (const c of fn.opts.checkers) c.onDmaUse?.(fn.opts.cx, st, st.sets[idx], call, name);
    }
  }
  const sum = fn.opts.summaries.get(name);
  if (sum) return applySummary(fn, st, call, sum, args);
  if (DIRTY.has(name)) {
    const idx = args[0] ? findSetByHolder(st, holderText(args[0]).text) : -1;
    if (idx >= 0) for (const c of fn.opts.checkers) c.onDmaUse?.(fn.opts.cx, st, st.sets[idx], call, name);
    return null;
  }
  // a new bio: the allocators, and the subsystems' own wrappers of them (blk_rq_map_bio_alloc())
  if (BIO_ALLOC.has(name) || /_bio_alloc$/.test(name)) return { kind: 'bio' };
  // a bio on the stack (`bio_init(&bio, …)`) is the function's own too
  if ((name === 'bio_init' || name === 'bio_init_inline') && args[0] && /^&\w+$/.test(norm(args[0].text))) {
    st.bios[norm(args[0].text).slice(1)] = { flags: [], sets: [], local: true, addedAt: [] };
    return null;
  }
  if (fn.opts.local?.has(name)) {
    // a helper of this file we read: it neither releases nor keeps the pages
    for (const a of args) if (strip(a).type === 'call_expression') evalExpr(fn, st, a);
    return null;
  }
  if (HARMLESS.has(name) || READERS.test(name)) {
    for (const a of args) if (a.type === 'call_expression') evalExpr(fn, st, a);
    return null;
  }
  for (const a of args) escapeArg(fn, st, a, call);
  return null;
}

/** get_page() on pages that held nothing (a kernel-backed extraction) gives them a reference. */
function takeReference(fn: Fn, st: State, idx: number, node: Node): void {
  const set = st.sets[idx];
  if (set.mode === 'NONE' || set.mode === 'UNKNOWN') {
    if (set.mode === 'NONE') { set.mode = 'GET'; set.folios = pairFor('GET'); unjudgedFill(fn, set); }
    pushStep(st, { range: rangeOf(node), note: `${set.holder}: a reference taken on each page`, ledger: ledger(set.holder, set.mode, set.state, '', set.folios) });
  }
  if (set.param !== undefined) addEffect(fn, st, `${set.param}:references`, { index: set.param, name: fn.params[set.param] ?? '', effect: 'references', always: false });
}

/**
 * Extracted pages stored in a field before the path took its own reference on
 * them: the field holds pins or references as the iterator is, and no
 * teardown can be judged by one mode (UNKNOWN).
 */
function unjudgedFill(fn: Fn, set: PageSet): void {
  const at = [siteOf(fn, set)?.call.id, set.handoff?.node.id];
  for (const f of fn.result.fieldStores) if (at.includes(f.node.id)) f.mode = 'UNKNOWN';
}

function escapeArg(fn: Fn, st: State, a: Node, call: Node): void {
  const s = strip(a);
  if (s.type === 'call_expression') { evalExpr(fn, st, s); return; }
  const h = holderText(a);
  // `copy(maddr + off, buf, n)` with maddr = page_address(page): a use of the bytes
  if (fn.addressVars.has(rootOf(h.text))) return;
  const idx = findSetByHolder(st, h.text);
  // one page passed to a callee is a use (checksum it, map it); the array, or a
  // page of a one-page set, may be kept
  const single = idx >= 0 && (siteOf(fn, st.sets[idx])?.requested === '1');
  if (idx >= 0 && st.sets[idx].state === 'held' && (!h.element || single)) {
    st.sets[idx].escaped = true;
    outcome(fn, st.sets[idx].site).handoffs.set(`${call.startIndex}`, { node: call, kind: `passed to ${calleeName(call) ?? 'a callee'}()` });
  }
  // an object whose field holds pages, passed whole, may be released by the callee
  const root = h.text;
  st.sets.forEach(p => {
    if (p.state === 'held' && p.holder !== root && (p.holder.startsWith(root + '->') || p.holder.startsWith(root + '.'))) p.escaped = true;
  });
}

function handOff(fn: Fn, st: State, idx: number, node: Node, kind: string): void {
  const set = st.sets[idx];
  if (!set) return;
  if (set.state === 'held') set.state = 'handed-off';
  set.handoff = { node, kind };
  const stored = /^stored in (.*->.*)$/.exec(kind);
  if (stored) recordFieldStore(fn, stored[1], set, node);
  outcome(fn, set.site).handoffs.set(`${node.startIndex}`, { node, kind });
  pushStep(st, { range: rangeOf(node), note: `${set.holder} ${kind}` });
  recordEffect(fn, st, set, { effect: 'takes' });
}

function recordFieldStore(fn: Fn, field: string, set: PageSet, node: Node): void {
  const site = siteOf(fn, set);
  // extracted pages are pinned or bare as the iterator is: a teardown that
  // does not know which must ask the flag kept beside them
  const mode: Mode = set.mode === 'NONE' && site?.mode === 'EXTRACT' ? 'EXTRACT' : set.mode;
  if (!site || (mode !== 'PIN' && mode !== 'GET' && mode !== 'EXTRACT')) return;
  const prev = fn.result.fieldStores.find(f => f.node.id === node.id);
  // one path pinned what another only listed (the iterator decided both ways)
  if (prev && prev.mode !== mode && prev.mode !== 'GET' && prev.mode !== 'UNKNOWN' && mode !== 'GET') prev.mode = 'EXTRACT';
  if (prev) return;
  fn.result.fieldStores.push({ field: field.replace(/\[[^\]]*\]$/, ''), mode, api: site.api.name, node, ...(site.iter ? { iter: site.iter } : {}) });
}

function recordEffect(fn: Fn, st: State, set: PageSet, e: { effect: ParamEffect['effect']; family?: Family; api?: string; mode?: Mode }): void {
  if (set.param === undefined) return;
  addEffect(fn, st, `${set.param}:${e.effect}:${e.family ?? ''}`, { index: set.param, name: fn.params[set.param] ?? '', always: false, ...e });
}

function addEffect(fn: Fn, st: State, key: string, e: ParamEffect): void {
  if (!fn.effectDefs.has(key)) fn.effectDefs.set(key, e);
  if (!st.effects.includes(key)) st.effects.push(key);
}

function acquire(fn: Fn, st: State, call: Node, api: AcquireApi, args: Node[]): Val {
  for (const a of args) if (a.type === 'call_expression') evalExpr(fn, st, a);
  let site = fn.siteByCall.get(call.id);
  const pagesArg = api.pagesArg >= 0 ? args[api.pagesArg] : undefined;
  const pagesNull = api.returns !== 'page' && (!pagesArg || isNullLiteral(pagesArg));
  const iter = api.iterArg >= 0 && args[api.iterArg] ? norm(args[api.iterArg].text).replace(/^&/, '') : undefined;
  const flagNames = api.flagsArg >= 0 && args[api.flagsArg] ? traceFlags(fn, args[api.flagsArg]) : [];
  if (!site) {
    let mode: Mode = api.mode;
    let reason = api.mode === 'GET' ? `${api.name}() takes references (FOLL_GET)` : api.mode === 'PIN' ? `${api.name}() pins (FOLL_PIN)` : `${api.name}() pins user-backed iterators and takes nothing on kernel-backed ones`;
    if (pagesNull && api.mode !== 'EXTRACT') { mode = 'NONE'; reason = `${api.name}() with a NULL pages array only faults the pages in`; }
    if (api.returns === 'into-bio' && fn.opts.cx.kernel === '6.1') { mode = 'GET'; reason = `${api.name}() (6.1) takes references, and marks the bio BIO_NO_PAGE_REF for bvec iterators`; }
    const h0 = pagesArg ? holderText(pagesArg) : { text: '', element: false, index: undefined };
    const d = st.derived[h0.text];
    // a window into another array (`p = pages + n`) keeps its own name, as a window
    const h = d && !d.endsWith('+') ? { ...h0, text: d } : d ? { ...h0, element: true, index: h0.index ?? 'window' } : h0;
    const loop = h.element && h.index ? enclosingLoop(fn, h.index) : undefined;
    const requested = api.countArg >= 0 && args[api.countArg] ? norm(args[api.countArg].text) : (api.returns === 'page' || api.returns === 'bool' ? '1' : '');
    const size = api.sizeArg !== undefined && args[api.sizeArg] ? norm(args[api.sizeArg].text) : undefined;
    site = {
      ...(size ? { requestedBytes: size } : {}),
      id: fn.sites.length, api, call, mode, modeReason: reason, holder: api.returns === 'page' ? '' : h.text,
      requested: loop?.bound ?? requested, iter, perElement: !!loop, unit: loop ? requested : undefined, returns: api.returns,
      inLoop: !!(fn.cur && fn.cur.kind !== 'exit' && fn.cur.loops.length), offset: h.element && !loop ? (h.index ?? '') : '',
    };
    fn.sites.push(site);
    fn.siteByCall.set(call.id, site);
  }
  for (const c of fn.opts.checkers) c.onAcquire?.(fn.opts.cx, st, site, flagNames, pagesNull);
  if (site.mode === 'NONE' && api.mode !== 'EXTRACT') return null;
  let mode = site.mode;
  if (mode === 'EXTRACT' && iter) {
    const known = st.iters[iter];
    if (known) mode = known === 'user' ? 'PIN' : 'NONE';
  }
  let outcomes: Outcome[] = [...ALL_OUTCOMES];
  if (site.requested === '1' || api.returns === 'page') outcomes = outcomes.filter(o => o !== 'partial');
  if (api.returns === 'bool') outcomes = ['zero', 'full'];
  if (api.returns === 'page') outcomes = ['neg', 'full'];
  const set = newSet(site, mode, outcomes);
  // a re-acquire into the same holder replaces the old view of it
  const idx = st.sets.length;
  st.sets.push(set);
  outcome(fn, site.id);
  pushStep(st, {
    range: rangeOf(call),
    note: `${api.name}() ${mode === 'PIN' ? 'pins' : mode === 'GET' ? 'takes a reference on' : mode === 'NONE' ? 'lists without a reference' : 'extracts (pin iff user-backed)'} ${site.requested || 'the'} page(s) into ${site.holder || 'the returned page'}`,
    ledger: ledger(site.holder || 'page', mode, 'held', site.requested || '?', set.folios),
  });
  if (api.returns === 'into-bio') {
    const bio = norm(args[api.pagesArg]?.text ?? '');
    const b = st.bios[bio] ?? (st.bios[bio] = { flags: [], sets: [], local: false, addedAt: [] });
    b.sets.push(idx);
    set.holder = bio;
    set.state = 'handed-off';
    set.handoff = { node: call, kind: `added to bio ${bio}, flagged by ${api.name}() itself` };
    // the API flags the bio itself, as the pages need
    for (const f of ['BIO_PAGE_PINNED?', 'BIO_NO_PAGE_REF?']) if (!b.flags.includes(f)) b.flags.push(f);
    return { kind: 'count', set: idx };
  }
  st.temps[call.id] = idx;
  if (site.holder.includes('->')) recordFieldStore(fn, site.holder, set, call);
  // a window into a field's array (`p = &ap->pages[n]`) fills that field
  else if (st.derived[site.holder]?.endsWith('+') && st.derived[site.holder].includes('->')) recordFieldStore(fn, st.derived[site.holder].slice(0, -1), set, call);
  st.zero = st.zero.filter(z => z !== site.holder);
  // the variable now names the new pages, not what it aliased before
  delete st.aliases[site.holder];
  const root = rootOf(site.holder);
  const pi = fn.params.indexOf(root);
  if (pi >= 0 && site.holder) addEffect(fn, st, `${pi}:acquires:${site.holder}`, { index: pi, name: site.holder, effect: 'acquires', mode, api: api.name, always: false });
  if (api.returns === 'page') return { kind: 'pagefrom', site: site.id };
  return { kind: 'count', set: idx };
}

/**
 * The FOLL_* names a flags argument carries, following local variables: the
 * assignments before the call, in text order (`=` resets, `|=` adds,
 * `&= ~FOLL_X` removes). Flags from parameters or fields stay unknown.
 */
function traceFlags(fn: Fn, arg: Node, depth = 0): string[] {
  const names = new Set<string>();
  const add = (n: Node) => { for (const f of flagsOf(fn, n, arg.startIndex, depth)) names.add(f); };
  add(arg);
  for (const neg of arg.text.matchAll(/~\s*\(?\s*(FOLL_\w+)/g)) names.delete(neg[1]);
  return [...names];
}

function flagsOf(fn: Fn, n: Node, before: number, depth: number): string[] {
  const out = new Set<string>();
  const ids = n.type === 'identifier' ? [n] : n.descendantsOfType('identifier');
  for (const id of ids) {
    if (!id) continue;
    if (/^FOLL_/.test(id.text)) { out.add(id.text); continue; }
    if (depth >= 3) continue;
    let cur = new Set<string>();
    const writes = fn.def.body.descendantsOfType(['assignment_expression', 'init_declarator'])
      .filter((a): a is Node => !!a && a.startIndex < before)
      .sort((a, b) => a.startIndex - b.startIndex);
    for (const a of writes) {
      const lhs = a.type === 'assignment_expression' ? a.childForFieldName('left') : a.childForFieldName('declarator');
      const rhs = a.type === 'assignment_expression' ? a.childForFieldName('right') : a.childForFieldName('value');
      if (!lhs || !rhs || norm(lhs.text) !== id.text) continue;
      const op = a.type === 'assignment_expression' ? (a.childForFieldName('operator')?.text ?? '=') : '=';
      const fl = flagsOf(fn, rhs, a.startIndex, depth + 1);
      if (op === '=') cur = new Set(fl);
      else if (op === '|=') fl.forEach(f => cur.add(f));
      else if (op === '&=') for (const m of rhs.text.matchAll(/~\s*\(?\s*(FOLL_\w+)/g)) cur.delete(m[1]);
    }
    cur.forEach(f => out.add(f));
  }
  return [...out];
}

function release(fn: Fn, st: State, idx: number, ev: ReleaseEvent): void {
  const set = st.sets[idx];
  const bound = set.mode !== 'EXTRACT' || ev.family === 'bio';
  ev.guarded = ev.guarded || bound;
  for (const c of fn.opts.checkers) c.onRelease?.(fn.opts.cx, st, set, ev);
  if (ev.family !== 'bio' && set.mode !== 'NONE' && mayHold(set)) set.folios = dropPair(set.folios, ev.family);
  if (ev.whole) { set.state = 'released'; set.releasedAt = { node: ev.node, api: ev.api, ...(ev.viaHelper ? { via: ev.viaHelper } : {}) }; }
  else set.partial = true;
  if (set.site >= 0) outcome(fn, set.site).releases.set(`${ev.node.startIndex}`, { node: ev.node, api: ev.api, viaHelper: ev.viaHelper });
  pushStep(st, {
    range: rangeOf(ev.node),
    note: `${ev.viaHelper ? `${ev.viaHelper}() → ` : ''}${ev.api}(${ev.argText}${ev.count && ev.release && ev.release.countArg >= 0 ? `, ${ev.count}` : ''})${ev.count && ev.release && ev.release.countArg < 0 ? ` for each of ${ev.count} pages` : ''}${ev.whole ? '' : ' (one page)'}`,
    ledger: ledger(set.holder, set.mode, set.state, ev.count ?? '', set.folios),
  });
  recordEffect(fn, st, set, { effect: 'releases', family: ev.family, api: ev.api });
}

/** The guard key for a path that tested the iterator itself (true: user-backed, pinned). */
export const WILL_PIN_GUARD = 'iov_iter_extract_will_pin()';

/**
 * A release of a field's pages that no page set explains (a teardown's), with
 * the flag fields this path tested: the teardown may release extracted pages
 * only under the flag that says they were pinned.
 */
function recordFieldRelease(fn: Fn, st: State, holder: string, ev: ReleaseEvent): void {
  let r = fn.result.fieldReleases.find(x => x.node.id === ev.node.id);
  if (!r) {
    r = { field: holder, family: ev.family, api: ev.api, node: ev.node, viaHelper: ev.viaHelper, guards: [] };
    fn.result.fieldReleases.push(r);
  }
  const guard: Record<string, boolean> = {};
  for (const k of Object.keys(st.bools).sort()) {
    const v = st.bools[k];
    if (typeof v === 'boolean' && isFlagField(fn.opts.flagNames, k)) guard[k] = v;
  }
  // or the path asked the iterator itself (`if (user_backed_iter(&rq->iter))`)
  const backing = new Set(Object.values(st.iters));
  if (backing.size === 1) guard[WILL_PIN_GUARD] = backing.has('user');
  const g = JSON.stringify(guard);
  if (!r.guards.some(x => JSON.stringify(x) === g)) r.guards.push(guard);
}

function untrackedRelease(fn: Fn, st: State, holder: string, ev: ReleaseEvent): void {
  if (holder.includes('->') && ev.family !== 'bio') recordFieldRelease(fn, st, holder, ev);
  const root = rootOf(holder);
  const pi = fn.params.indexOf(root);
  if (pi >= 0 && holder !== root) {
    const suffix = holder.slice(root.length);
    const count = ev.whole && ev.count ? paramRelative(fn, ev.count) : undefined;
    addEffect(fn, st, `${pi}:releases:${ev.family}:${suffix}`, { index: pi, name: root + suffix, effect: 'releases', family: ev.family, api: ev.api, always: false, ...(count ? { count } : {}) });
  }
  // a holder filled by an acquire elsewhere in the function, released with no
  // count or the count that acquire asks for (loops filling slot by slot keep
  // their own count, which is 0 before the first slot: not judged)
  const sites = fn.sites.filter(s => s.holder === holder);
  const assigned = fn.assignedFrom.get(holder);
  const inLoop = !!(fn.cur && fn.cur.kind !== 'exit' && fn.cur.loops.length);
  ev.acquiredHere = fn.acquireHolders.has(holder) && (assigned === undefined || (assigned >= 0 && ev.node.startIndex < assigned && !inLoop))
    && !ev.viaHelper && !fn.loopHolders.has(holder)
    && (ev.count === null || sites.some(s => s.requested === ev.count) || sites.length === 0);
  for (const c of fn.opts.checkers) c.onRelease?.(fn.opts.cx, st, undefined, ev);
}

/** A count expression of the function in its parameters (`sb->nr_pages` -> `0->nr_pages`, `n` -> `2`), for summaries. */
function paramRelative(fn: Fn, count: string): string | undefined {
  const root = rootOf(count);
  const pi = fn.params.indexOf(root);
  if (pi < 0 || !/^[\w>.-]+$/.test(count)) return undefined;
  return `${pi}${count.slice(root.length)}`;
}

/** A summary's count (`0->nr_pages`) in the caller's arguments: `sb->nr_pages`, or `x.nr_pages` for `&x`. */
function countAtCall(count: string | undefined, args: Node[]): string | null {
  const m = count ? /^(\d+)(.*)$/.exec(count) : null;
  const a = m ? args[Number(m[1])] : undefined;
  if (!m || !a) return null;
  const arg = norm(a.text);
  if (!m[2]) return arg;
  if (arg.startsWith('&') && /^&[\w]+$/.test(arg)) return arg.slice(1) + m[2].replace(/^->/, '.');
  return /^[\w>.-]+$/.test(arg) ? arg + m[2] : null;
}

function applySummary(fn: Fn, st: State, call: Node, sum: FunctionSummary, args: Node[]): Val {
  let ret: Val = null;
  // release effects per argument: one family on every path is a release; several
  // families, or only some paths, mean the helper decides: the pages may be gone
  const releases = new Map<string, ParamEffect[]>();
  for (const e of sum.params) if (e.effect === 'releases') {
    const k = `${e.index}:${e.name}`;
    releases.set(k, [...(releases.get(k) ?? []), e]);
  }
  const resolve = (e: ParamEffect) => {
    const a = args[e.index];
    if (!a) return undefined;
    const h = holderText(a);
    const suffix = e.name.includes('->') || e.name.includes('.') ? e.name.slice(e.name.search(/->|\./)) : '';
    let holder = h.text + suffix;
    if (suffix && a.text.trim().startsWith('&')) holder = h.text + suffix.replace(/^->/, '.');
    const loopIdx = h.element && h.index ? enclosingLoop(fn, h.index) : undefined;
    const element = h.element && !suffix && !loopIdx;
    return { a, holder, element, idx: findSetByHolder(st, holder, element ? (h.index ?? '') : '') };
  };
  for (const effs of releases.values()) {
    const r = resolve(effs[0]);
    if (!r) continue;
    const families = new Set(effs.map(e => e.family));
    const e = effs[0];
    if (families.size === 1 && effs.every(x => x.when === 'error') && e.family && r.idx >= 0 && st.sets[r.idx].state === 'held') {
      // released if the helper fails: decided where its result is tested (assume); until then the pages may be gone
      const set = st.sets[r.idx];
      fn.callNodes.set(call.id, call);
      ret = { kind: 'status', pending: { set: r.idx, family: e.family, api: e.api ?? sum.name, helper: sum.name, call: call.id, argText: r.a.text, escaped: set.escaped } };
      set.escaped = true;
      outcome(fn, set.site).handoffs.set(`${call.startIndex}`, { node: call, kind: `released by ${sum.name}() if it fails` });
    } else if (families.size === 1 && e.always && e.family) {
      const count = effs.every(x => x.count === e.count) ? countAtCall(e.count, args) : null;
      const copied = count ? st.copies[count] : undefined;
      const ev: ReleaseEvent = { node: call, api: e.api ?? sum.name, family: e.family, whole: !r.element, count, viaHelper: sum.name, argText: r.a.text, guarded: false,
        ...(copied && !copied.startsWith(BYTES) ? { countIs: copied } : {}) };
      if (r.idx >= 0) release(fn, st, r.idx, ev);
      else untrackedRelease(fn, st, r.holder, ev);
    } else if (r.idx >= 0) {
      st.sets[r.idx].escaped = true;
      outcome(fn, st.sets[r.idx].site).handoffs.set(`${call.startIndex}`, { node: call, kind: `may be released by ${sum.name}()` });
    }
  }
  for (const e of sum.params) {
    if (e.effect === 'releases') continue;
    const r = resolve(e);
    if (!r) continue;
    if (e.effect === 'takes' && r.idx >= 0) handOff(fn, st, r.idx, call, `taken by ${sum.name}()`);
    else if (e.effect === 'references' && r.idx >= 0) takeReference(fn, st, r.idx, call);
    else if (e.effect === 'acquires') {
      const holder = r.holder;
      const site: AcquireSite = fn.siteByCall.get(call.id) ?? {
        id: fn.sites.length, api: { name: sum.name, kind: 'summary', helper: sum.name }, call, mode: e.mode ?? 'UNKNOWN',
        modeReason: `${sum.name}() ${e.api ? `calls ${e.api}()` : 'acquires'} on its parameter ${e.name}`, holder, requested: '', perElement: false,
        // a helper that fails may still have kept what it pinned before the failure
        inLoop: true, offset: '', returns: 'count',
      };
      if (!fn.siteByCall.has(call.id)) { fn.sites.push(site); fn.siteByCall.set(call.id, site); }
      if (e.returns === 'status') site.returns = 'status';
      const set = newSet(site, site.mode, site.returns === 'status' ? ['neg', 'full'] : [...ALL_OUTCOMES]);
      st.sets.push(set);
      outcome(fn, site.id);
      st.temps[call.id] = st.sets.length - 1;
      pushStep(st, { range: rangeOf(call), note: `${sum.name}() acquires ${holder} (${site.mode})`, ledger: ledger(holder, site.mode, 'held', '?', pairFor(site.mode)) });
      ret = { kind: 'count', set: st.sets.length - 1 };
    }
  }
  if (!ret) for (const a of args) if (strip(a).type === 'call_expression') evalExpr(fn, st, a);
  return ret;
}

// ---------------------------------------------------------------- conditions

function unwrap(n: Node): Node {
  let c = strip(n);
  for (let g = 0; g < 5; g++) {
    if (c.type === 'call_expression') {
      const name = calleeName(c);
      if (name === 'likely' || name === 'unlikely' || name === 'WARN_ON' || name === 'WARN_ON_ONCE' || name === 'WARN' || name === 'WARN_ONCE') {
        const a = callArgs(c)[0];
        if (a) { c = strip(a); continue; }
      }
    }
    break;
  }
  return c;
}

/** The set whose count this expression is, or -1. */
function countRef(st: State, n: Node): number {
  const s = strip(n);
  if (s.type === 'call_expression' && s.id in st.temps) return st.temps[s.id];
  if (s.type === 'assignment_expression') {
    const r = s.childForFieldName('right');
    return r ? countRef(st, r) : -1;
  }
  return findSetByCount(st, norm(s.text));
}

function restrict(st: State, idx: number, allowed: Outcome[]): State[] {
  const set = st.sets[idx];
  const next = set.outcomes.filter(o => allowed.includes(o));
  if (next.length === 0) return [];
  set.outcomes = next;
  return [st];
}

const FLIP: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '==': '==', '!=': '!=' };

function compareOutcomes(op: string, threshold: 'zero' | 'full', truth: boolean): Outcome[] | undefined {
  const all = ALL_OUTCOMES;
  let t: Outcome[] | undefined;
  if (threshold === 'zero') {
    t = ({ '<': ['neg'], '<=': ['neg', 'zero'], '==': ['zero'], '!=': ['neg', 'partial', 'full'], '>': ['partial', 'full'], '>=': ['zero', 'partial', 'full'] } as Record<string, Outcome[]>)[op];
  } else {
    t = ({ '<': ['neg', 'zero', 'partial'], '<=': all, '==': ['full'], '!=': ['neg', 'zero', 'partial'], '>': [], '>=': ['full'] } as Record<string, Outcome[]>)[op];
  }
  if (!t) return undefined;
  return truth ? t : all.filter(o => !t!.includes(o));
}

function assumeLoopEntry(fn: Fn, st: State, loop: LoopInfo, truth: boolean): State[] {
  // for (i = 0; i < bound; …): the first test is `bound > 0`
  // while (i--) over a count: the first test is `i > 0` too
  const bound = loop.bound!;
  const idx = findSetByCount(st, bound);
  if (idx >= 0) return restrict(st, idx, truth ? ['partial', 'full'] : ['neg', 'zero']);
  if (!loop.fromZero) return [st];
  // a requested count, or a count the caller passes in, is taken to be positive
  if ((fn.sites.some(s => s.requested === bound) && st.sets.some(p => siteOf(fn, p)?.requested === bound))
    || fn.params.includes(bound) || fn.params.includes(rootOf(bound))) return truth ? [st] : [];
  return [st];
}

function assume(fn: Fn, st: State, cond: Node, truth: boolean): State[] {
  const c = unwrap(cond);
  if (c.type === 'number_literal' || c.type === 'true' || c.type === 'false') {
    const v = c.type === 'true' || (c.type === 'number_literal' && !/^0+[uUlL]*$/.test(c.text));
    return v === truth ? [st] : [];
  }
  if (c.type === 'unary_expression' && c.children[0]?.text === '!') {
    const a = c.childForFieldName('argument');
    return a ? assume(fn, st, a, !truth) : [st];
  }
  if (c.type === 'binary_expression') {
    const op = c.childForFieldName('operator')?.text ?? c.children[1]?.text ?? '';
    const l = c.childForFieldName('left'), r = c.childForFieldName('right');
    if (!l || !r) return [st];
    if (op === '&&' || op === '||') {
      const and = op === '&&';
      if (and === truth) {
        return assume(fn, st, l, truth).flatMap(s => assume(fn, s, r, truth));
      }
      // short circuit: the right side did not run, nor any acquire in it
      const first = assume(fn, cloneState(st), l, truth).map(s => notEvaluated(s, r));
      const second = assume(fn, st, l, !truth).flatMap(s => assume(fn, s, r, truth));
      return [...first, ...second];
    }
    if (op in FLIP) {
      // `ret < 0`, `ret != 0`, `ret == 0` on a helper's result that decides a release
      const pv = norm(strip(l).text);
      if (st.pending[pv] && norm(r.text) === '0' && ['<', '!=', '=='].includes(op)) return [decide(fn, st, pv, (op === '==') !== truth)];
      // a variable this path set to 0 or to an errno, compared with a constant
      const known = constCompare(st, l, r, op);
      if (known !== undefined) return known === truth ? [st] : [];
      let idx = countRef(st, l);
      let other = r;
      let o = op;
      if (idx < 0) { idx = countRef(st, r); other = l; o = FLIP[op]; }
      // the pages of the bytes obtained against the pages asked for: `DIV_ROUND_UP(len + off, PAGE_SIZE) != num_pages`
      if (idx < 0) {
        const [pl, pr] = [pagesRef(st, l), pagesRef(st, r)];
        const pi = pl >= 0 ? pl : pr;
        const p = pi >= 0 ? siteOf(fn, st.sets[pi]) : undefined;
        const against = norm((pl >= 0 ? r : l).text);
        const allowed = p?.returns === 'bytes' && p.requested === against ? compareOutcomes(pl >= 0 ? op : FLIP[op], 'full', truth) : undefined;
        if (allowed) return restrict(st, pi, allowed);
      }
      if (idx >= 0) {
        const set = st.sets[idx];
        const site = siteOf(fn, set);
        const t = norm(other.text);
        if (site?.returns === 'status') {
          // a helper's 0-or-errno: 0 is success (pages held), anything else failure
          if (!(t === '0')) return [st];
          const success = ({ '==': true, '>=': true, '!=': false, '<': false } as Record<string, boolean>)[o];
          if (success === undefined) return [st];
          return restrict(st, idx, success === truth ? ['full'] : ['neg']);
        }
        if (/^-E[A-Z0-9]+$/.test(t) && (o === '==' || o === '!=')) {
          // ret == -EFAULT: the acquire failed; ret != -EFAULT tells nothing
          return (o === '==') === truth ? restrict(st, idx, ['neg']) : [st];
        }
        let threshold: 'zero' | 'full' | undefined;
        if (t === '0' || t === 'NULL') threshold = 'zero';
        else if (site && site.returns === 'count' && !site.perElement && (t === site.requested || (t === '1' && site.requested === '1'))) threshold = 'full';
        // a byte-count acquire compared with the size it asked for (`n != len`)
        else if (site?.returns === 'bytes' && site.requestedBytes === t) threshold = 'full';
        else if (t === '1' && !set.outcomes.includes('partial')) threshold = 'full';
        else if (site?.perElement && t === site.unit) threshold = 'full';
        if (threshold) {
          const allowed = compareOutcomes(o, threshold, truth);
          if (allowed) return restrict(st, idx, allowed);
        }
      }
      return [st];
    }
    return [st];
  }
  if (c.type === 'call_expression') {
    const name = calleeName(c);
    const args = callArgs(c);
    if (name && WILL_PIN_PREDICATES.has(name)) return refineIter(fn, st, norm(args[0]?.text ?? '').replace(/^&/, ''), truth);
    if (name && KERNEL_ITER_PREDICATES.has(name)) return refineIter(fn, st, norm(args[0]?.text ?? '').replace(/^&/, ''), !truth);
    if (name === 'IS_ERR' || name === 'IS_ERR_OR_NULL') {
      const idx = args[0] ? findSetByHolder(st, holderText(args[0]).text) : -1;
      if (idx >= 0) return restrict(st, idx, truth ? ['neg', 'zero'] : ['full', 'partial']);
      return [st];
    }
    if (name === 'bio_flagged' && args.length >= 2) {
      const b = st.bios[norm(args[0].text)];
      const flag = args[1].text;
      if (b?.flags.includes(flag)) return truth ? [st] : [];
      if (b?.local && !b.flags.includes(flag + '?')) return truth ? [] : [st];
      return [st];
    }
    if (c.id in st.temps) {
      // a bool-returning acquire tested directly
      return restrict(st, st.temps[c.id], truth ? ['full', 'partial', 'neg'] : ['zero']);
    }
    return [st];
  }
  if (c.type === 'identifier' || c.type === 'field_expression') {
    const t = fn.flagCopies.get(c.text) ?? norm(c.text);
    const b = st.bools[t];
    if (typeof b === 'boolean') return b === truth ? [st] : [];
    if (typeof b === 'string') return refineIter(fn, st, b.slice(4), truth);
    // a variable set to 0, or a field of a zero-filled object not written yet
    if (st.zero.includes(t) || knownZeroField(st, t)) return truth ? [] : [st];
    // a flag field that says whether extracted pages were pinned: the path remembers the answer (a teardown's guard)
    if (isFlagField(fn.opts.flagNames, t)) { st.bools[t] = truth; return [st]; }
    if (st.pending[t]) return [decide(fn, st, t, truth)];
    // `if (!pages)` after an allocation: the array is NULL on that side
    if (!truth && fn.acquireHolders.has(t) && !fn.assignedFrom.has(t) && findSetByHolder(st, t) < 0) { st.zero.push(t); return [st]; }
    const idx = findSetByCount(st, t);
    if (idx >= 0 && siteOf(fn, st.sets[idx])?.returns === 'status') return restrict(st, idx, truth ? ['neg'] : ['full']);
    if (idx >= 0) return restrict(st, idx, truth ? ['neg', 'partial', 'full'] : ['zero']);
    const h = st.aliases[t] ?? -1;
    if (h >= 0 && st.sets[h].holder === t && siteOf(fn, st.sets[h])?.returns === 'page') return restrict(st, h, truth ? ['full'] : ['neg', 'zero']);
    // `if (pages)` on an array that holds pages: it is not NULL
    const held = findSetByHolder(st, t);
    if (held >= 0 && st.sets[held].state !== 'handed-off' && siteOf(fn, st.sets[held])?.returns !== 'page') {
      const site = siteOf(fn, st.sets[held]);
      // an array the pages went into was allocated: it is not NULL; a single
      // page pointer is NULL only if nothing was obtained
      if (!truth && site && site.requested !== '1') return [];
      if (!truth && mayHold(st.sets[held])) return restrict(st, held, ['neg', 'zero']);
    }
    if (st.neg.includes(t)) return truth ? [st] : [];
    if (st.nonzero.includes(t)) return truth ? [st] : [];
    // an otherwise unknown variable the function returns: what the test says of it
    // (whether a path fails or succeeds, for the summary's `when`)
    if (c.type === 'identifier' && fn.returnedVars.has(t)) {
      if (truth) st.nonzero.push(t); else st.zero.push(t);
    }
    return [st];
  }
  if (c.type === 'assignment_expression') {
    const l = c.childForFieldName('left');
    return l ? assume(fn, st, l, truth) : [st];
  }
  return [st];
}

function returnedVars(body: Node): Set<string> {
  const out = new Set<string>();
  for (const r of body.descendantsOfType('return_statement')) {
    const v = r?.namedChildren.find(c => c && c.type !== 'comment');
    if (v && strip(v).type === 'identifier') out.add(strip(v).text);
  }
  return out;
}

/** The helper's result `v` tested: non-zero (it failed) means it released the pages; 0 means it did not. */
function decide(fn: Fn, st: State, v: string, failed: boolean): State {
  const p = st.pending[v];
  delete st.pending[v];
  const set = st.sets[p.set];
  if (set) set.escaped = p.escaped;
  if (failed) st.nonzero.push(v); else st.zero.push(v);
  const call = fn.callNodes.get(p.call);
  if (failed && set && set.state === 'held' && call) {
    release(fn, st, p.set, { node: call, api: p.api, family: p.family, whole: true, count: null, viaHelper: p.helper, argText: p.argText, guarded: false });
  }
  return st;
}

function constCompare(st: State, l: Node, r: Node, op: string): boolean | undefined {
  const lv = norm(strip(l).text), rv = norm(strip(r).text);
  const val = (t: string): number | 'neg' | undefined =>
    /^-?\d+$/.test(t) ? Number(t) : t === 'NULL' || st.zero.includes(t) || knownZeroField(st, t) ? 0 : st.neg.includes(t) || /^-E[A-Z0-9]+$/.test(t) ? 'neg' : undefined;
  const a = val(lv), b = val(rv);
  if (a === undefined || b === undefined || (typeof a !== 'number' && typeof b !== 'number')) return undefined;
  if (typeof a === 'number' && typeof b === 'number') {
    return ({ '<': a < b, '>': a > b, '<=': a <= b, '>=': a >= b, '==': a === b, '!=': a !== b } as Record<string, boolean>)[op];
  }
  // an errno against 0 (the only constant we compare it with)
  const negLeft = a === 'neg';
  const c = (negLeft ? b : a) as number;
  if (c !== 0) return undefined;
  const o = negLeft ? op : FLIP[op];
  return ({ '<': true, '<=': true, '!=': true, '>': false, '>=': false, '==': false } as Record<string, boolean>)[o];
}

function notEvaluated(st: State, n: Node): State {
  const calls = n.type === 'call_expression' ? [n] : n.descendantsOfType('call_expression');
  for (const c of calls) if (c && c.id in st.temps) st.sets[st.temps[c.id]].outcomes = ['zero'];
  return st;
}

/** Under `iov_iter_extract_will_pin(iter)` being `truth`, extracted pages are pinned or bare. */
function refineIter(fn: Fn, st: State, iter: string, truth: boolean): State[] {
  const known = st.iters[iter];
  if (known) return (known === 'user') === truth ? [st] : [];
  st.iters[iter] = truth ? 'user' : 'kernel';
  for (const p of st.sets) {
    const site = siteOf(fn, p);
    if (p.mode !== 'EXTRACT') continue;
    if (site?.iter && site.iter !== iter && !site.iter.endsWith(iter) && !iter.endsWith(site.iter)) continue;
    p.mode = truth ? 'PIN' : 'NONE';
    p.folios = pairFor(p.mode);
  }
  return [st];
}

// ---------------------------------------------------------------- path ends

function finishPath(fn: Fn, st: State, node: Node | null, value?: Node | null): void {
  const vtext = value ? norm(value.text) : '';
  let error = false;
  if (value) {
    const v = strip(value);
    if (v.type === 'unary_expression' && v.text.startsWith('-')) error = true;
    else if (st.neg.includes(vtext)) error = true;
    else if (v.type === 'call_expression' && /^(ERR_PTR|PTR_ERR|ERR_CAST)$/.test(calleeName(v) ?? '')) error = true;
    else {
      const idx = findSetByCount(st, vtext);
      if (idx >= 0 && st.sets[idx].outcomes.every(o => o === 'neg')) error = true;
      if (idx >= 0 && !error) {
        st.sets[idx].countVars.push('<returned>');
        if (st.sets[idx].param === undefined && fn.params.includes(rootOf(st.sets[idx].holder))) fn.result.returnsCount = true;
      }
      const h = findSetByHolder(st, holderText(value).text);
      if (h >= 0 && !error && st.sets[h].state === 'held') { st.sets[h].state = 'handed-off'; st.sets[h].handoff = { node: value, kind: 'returned to the caller' }; }
    }
  }
  if (node) pushStep(st, { range: rangeOf(node), note: node.text.replace(/\s+/g, ' ').replace(/;$/, '') });
  for (const c of fn.opts.checkers) c.onExit?.(fn.opts.cx, st, { node, error, value: vtext });
  for (const p of st.sets) {
    if (p.site < 0) continue;
    const o = outcome(fn, p.site);
    o.total++;
    if (!mayHold(p)) o.failed++;
    else if (p.state === 'released') o.released++;
    else if (p.state === 'handed-off' || p.escaped || fn.opts.cx.isCallerOwned(p.holder)) o.handedOff++;
    else if (p.mode !== 'NONE') o.leaked++;
    if (!fn.result.traces.has(p.site) || (p.state === 'released' && mayHold(p))) fn.result.traces.set(p.site, st.trail);
  }
  // a 0-or-errno function: which paths succeed and which fail
  const ok = !error && (vtext === '0' || st.zero.includes(vtext));
  const err = error || st.nonzero.includes(vtext);
  if (ok) fn.okPaths++;
  if (err) fn.errPaths++;
  for (const k of st.effects) {
    const cur = fn.allEffects.get(k) ?? { eff: fn.effectDefs.get(k)!, paths: 0, ok: 0, err: 0 };
    cur.paths++;
    if (ok) cur.ok++;
    if (err) cur.err++;
    fn.allEffects.set(k, cur);
  }
}

export { holderText, rootOf };
