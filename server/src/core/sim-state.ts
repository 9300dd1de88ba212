// What the parts of the path simulator share: its options and result, the
// per-function context (SimContext, named `sim` where it is passed; `fn` is a
// function definition), the value of an expression (Val), holder texts
// (holderText, rootOf), and the lookups of a path's page sets.
import type { Cfg, CfgNode, LoopInfo } from './cfg';
import type { CheckContext, Checker } from './checkers/checker';
import type { AcquireSite, PageSet, PendingRelease, State } from './ledger';
import { callArgs, calleeName, norm, strip } from './syntax';
import type { FunctionDef, Node } from './syntax';
import type { Family, FunctionSummary, Mode, ParamEffect, Provenance } from './types';

export interface SimOptions {
  pathBudget: number;
  /** the simulator's work budget (simulate.ts WORK_BUDGET when not given) */
  workBudget?: number;
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
  /** parameters whose pages have one mode at every call of the function (from its callers, top-down) */
  paramModes?: Map<number, ParamOrigin>;
}

/** The mode a parameter's pages carry at every call, and where the callers took them. */
export interface ParamOrigin { mode: Mode; api: string; text: string }

/** Pages passed to a callee at a call, with their mode on this path. */
export interface ArgCall { callee: string; index: number; mode: Mode; api: string; acquire: Node; call: Node }

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
  /** the modes and APIs of pages it acquired and returns (`return pages;`) */
  returnsPages?: { modes: Set<Mode>; apis: Set<string> };
  /**
   * pages put into a struct field (`obj->pages = pages`, or acquired into it),
   * with their mode (EXTRACT when paths decided the iterator both ways) and
   * the iterator they were extracted from
   */
  fieldStores: { field: string; mode: Mode; api: string; node: Node; iter?: string; sg?: boolean }[];
  /** flag fields set from iov_iter_extract_will_pin(iter): `ap->args.is_pinned = iov_iter_extract_will_pin(ii)` */
  flagStores: { field: string; iter: string; node: Node }[];
  /**
   * releases of a struct field's pages that no page set of this function
   * explains; `guards`: for each distinct way paths reach it, the flag fields
   * (SimOptions.flagNames) the path tested, as it decided them
   */
  fieldReleases: { field: string; family: Family; api: string; node: Node; viaHelper?: string; guards: Record<string, boolean>[] }[];
  /** a struct field's array freed (`kfree(dma->pages)`) on a path that had not released the field's pages: judged by how the field is filled */
  fieldFrees: { field: string; api: string; node: Node; releasedBelow: boolean }[];
  /** a count kept in a struct field set to 0 (`dma->page_count = 0`), by the assignment's offset, with the fields any path had released whole when it got there */
  countResets: Map<number, { count: string; node: Node; released: Set<string> }>;
  /** pages of a known mode given to callees (every path's, each distinct once) */
  argCalls: ArgCall[];
  /** each release call met (by the call's offset): the modes and provenance of what paths released there */
  releaseModes: Map<number, ReleaseMode>;
}

/** What the paths that reach a release call released there. */
export interface ReleaseMode { node: Node; api: string; via?: string; modes: Set<Mode>; how: Set<Provenance>; from: Set<string> }

/** `sg_page(sg)`, `sg_page_iter_page(&it)`: a call that names the page of an sg entry, its node. */
export const isSgPageCall = (n: Node) => n.type === 'call_expression' && /^sg_page(_iter_page)?$/.test(calleeName(n) ?? '');

/** Functions whose result still identifies the page (pfn, physical or virtual address). */
export const CONVERSIONS = new Set(['page_to_pfn', 'page_to_phys', 'page_address', 'page_to_virt', 'folio_pfn', 'folio_address',
  '__pa', 'virt_to_phys', 'page_folio', 'compound_head', 'folio_page', 'kmap', 'kmap_local_page', 'sg_page',
  'virt_to_page', 'pfn_to_page', 'phys_to_page', 'kmap_to_page', 'sg_page_iter_page']);

/** Iterator macros over an sg table or list: `for_each_sg(table->sgl, sg, n, i)` — the table is the first argument, the entry the second. */
const SG_ITERATORS = /^(for_each_sg|for_each_sgtable_sg|for_each_sgtable_dma_sg|for_each_sgtable_page|for_each_sg_page)\b/;

/**
 * The sg table that the iterator variable `v` walks in an enclosing loop
 * (`for_each_sgtable_sg(&umem->sgt_append.sgt, sg, i)` -> `umem->sgt_append`),
 * as the field that holds the table: `&`, and `.sgt` / `.sgl` / `->sgl` inside
 * it, dropped.
 */
export function sgTableWalked(sim: SimContext, v: string): string | undefined {
  const loops = sim.cur && sim.cur.kind !== 'exit' ? sim.cur.loops : [];
  for (const l of loops) {
    if (!l.iterator || !SG_ITERATORS.test(sim.opts.cx.text.slice(l.node.startIndex, l.node.startIndex + 40))) continue;
    const cond = l.node.childForFieldName('condition');
    const parts = cond ? splitCommas(strip(cond)) : [];
    if (parts.length < 2 || norm(parts[1].text).replace(/^&/, '') !== v) continue;
    return sgTablePath(parts[0]);
  }
  return undefined;
}

/** `&obj->sgt`, `obj->sgt.sgl`, `obj->sgt->sgl`, `&obj->append.sgt` -> `obj->sgt` / `obj->append`: the field an sg table lives in. */
export function sgTablePath(n: Node): string {
  return norm(strip(n).text).replace(/^&/, '').replace(/(\.sgl|->sgl|\.sgt)$/, '');
}

function splitCommas(n: Node): Node[] {
  const out: Node[] = [];
  let cur: Node | null = n;
  while (cur && cur.type === 'comma_expression') {
    const l = cur.childForFieldName('left');
    if (l) out.push(l);
    cur = cur.childForFieldName('right');
  }
  if (cur) out.push(cur);
  return out;
}

export type Val =
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

export interface SimContext {
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
  /** the slot indexes of acquires inside loops (`i` in `pages + i`, `obj->nr` in `&obj->pages[obj->nr]`): State.slotOf, PageSet.cover */
  slotIndexes: Set<string>;
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
  /** per loop: the values its body tests before it assigns them (conditions.ts forgetCarried()) */
  carried: Map<number, string[]>;
  /** `acquires` effect keys whose pages a failing path (non-zero return) leaves held */
  keptOnError: Set<string>;
  /** locals copied once from a flag field (`bool pinned = ap->args.is_pinned;`) -> the field: testing one tests the flag */
  flagCopies: Map<string, string>;
}

export function rootOf(holder: string): string {
  const m = /^[&*]*([A-Za-z_]\w*)/.exec(holder);
  return m ? m[1] : holder;
}

/** holder text of an argument that names pages: strips &, *, casts, [i], + off */
export function holderText(n: Node): { text: string; element: boolean; index?: string } {
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
    // a pfn or physical address shifted by the page size (`mem->hpas[i] >> PAGE_SHIFT`) still names the page
    if (cur.type === 'binary_expression' && /^(<<|>>)$/.test(cur.childForFieldName('operator')?.text ?? '') && /^PAGE_SHIFT$/.test(cur.childForFieldName('right')?.text ?? '')) {
      const l = cur.childForFieldName('left');
      if (!l) break;
      cur = strip(l); continue;
    }
    if (cur.type === 'binary_expression' && /^[+-]$/.test(cur.childForFieldName('operator')?.text ?? cur.children[1]?.text ?? '')) {
      const l = cur.childForFieldName('left');
      if (!l) break;
      element = true; index = norm(cur.childForFieldName('right')?.text ?? '');
      cur = strip(l); continue;
    }
    // `*pages++`: the page the walking pointer stood on, an element of that array
    if (cur.type === 'update_expression' && element) {
      const a = cur.childForFieldName('argument');
      if (!a) break;
      cur = strip(a); continue;
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

/** `ap->args.is_pinned` with is_pinned one of the flag names. */
export function isFlagField(names: Set<string> | undefined, t: string): boolean {
  return !!names?.size && t.includes('->') && names.has(t.slice(t.search(/\w+$/)));
}

// ---------------------------------------------------------------- lookups

/** The set a holder names; with an offset (`&map[y]`), the set that starts there if there is one. */
export function findSetByHolder(st: State, text: string, offset?: string): number {
  if (text in st.aliases) return st.aliases[text];
  // `bv[i].bv_page`: a member of an array of structs that holds pages (bvec_set_page())
  if (text.includes('[')) { const t = text.replace(/\[[^\]]*\]/g, '[]'); if (t in st.aliases) return st.aliases[t]; }
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

export function findSetByCount(st: State, text: string): number {
  for (let i = st.sets.length - 1; i >= 0; i--) if (st.sets[i].countVars.includes(text)) return i;
  return -1;
}

export function forgetVar(st: State, v: string): void {
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

/**
 * What the path knew of the value of `v` (a local or a field path whose
 * address a call was given: `bvec_try_merge_page(…, &same_page)` may write
 * it), and of the fields under it; what it holds as pages is kept.
 */
export function forgetValue(st: State, v: string): void {
  const under = (k: string) => k === v || k.startsWith(`${v}.`) || k.startsWith(`${v}->`);
  for (const k of Object.keys(st.bools)) if (under(k)) delete st.bools[k];
  for (const k of Object.keys(st.zeroed)) if (under(k)) delete st.zeroed[k];
  st.nonzero = st.nonzero.filter(n => !under(n));
  st.neg = st.neg.filter(n => !under(n));
  st.zero = st.zero.filter(n => !under(n));
}

export function siteOf(sim: SimContext, set: PageSet): AcquireSite | undefined {
  return sim.sites.find(s => s.id === set.site);
}

export function enclosingLoop(sim: SimContext, index?: string): LoopInfo | undefined {
  const loops = sim.cur && sim.cur.kind !== 'exit' ? sim.cur.loops : [];
  if (index) return loops.find(l => l.index === index);
  return loops.find(l => l.bound);
}

export function outcome(sim: SimContext, set: number): SiteOutcome {
  let o = sim.result.outcomes.get(set);
  if (!o) {
    o = { released: 0, handedOff: 0, leaked: 0, failed: 0, total: 0, releases: new Map(), handoffs: new Map() };
    sim.result.outcomes.set(set, o);
  }
  return o;
}

/** An effect on a parameter's pages, for the function's summary. */
export function recordEffect(sim: SimContext, st: State, set: PageSet, e: { effect: ParamEffect['effect']; family?: Family; api?: string; mode?: Mode }): void {
  if (set.param === undefined) return;
  addEffect(sim, st, `${set.param}:${e.effect}:${e.family ?? ''}`, { index: set.param, name: sim.params[set.param] ?? '', always: false, ...e });
}

export function addEffect(sim: SimContext, st: State, key: string, e: ParamEffect): void {
  if (!sim.effectDefs.has(key)) sim.effectDefs.set(key, e);
  if (!st.effects.includes(key)) st.effects.push(key);
}

/** A name that counts slots (PageSet.cover, State.slotOf) moved by d (`i++`, `obj->nr += n`: 1; `i--`: -1). */
export function slotAdvance(st: State, name: string, d: number): void {
  const clamp = (x: number) => Math.max(-2, Math.min(2, x));
  for (const p of st.sets) if (p.cover && name in p.cover) p.cover[name] = clamp(p.cover[name] + d);
  for (const e of Object.entries(st.slotOf)) {
    if (e[1].of === name) e[1].d = clamp(e[1].d + d);
    else if (e[0] === name) e[1].d = clamp(e[1].d - d);
  }
}

/** `name` written with a value we do not follow: it no longer counts any slot. */
export function slotWrite(st: State, name: string): void {
  for (const p of st.sets) if (p.cover && name in p.cover) delete p.cover[name];
  for (const [k, e] of Object.entries(st.slotOf)) if (k === name || e.of === name) delete st.slotOf[k];
}

/** A fact about the function a simulation runs, computed once per simulation (the body does not change under it). */
export function perFunction<T>(compute: (sim: SimContext) => T): (sim: SimContext) => T {
  const memo = new WeakMap<SimContext, T>();
  return (sim) => {
    if (memo.has(sim)) return memo.get(sim)!;
    const v = compute(sim);
    memo.set(sim, v);
    return v;
  };
}
