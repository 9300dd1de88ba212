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
//
// The parts: sim-state.ts (what they share), eval.ts (statements and
// expressions), calls.ts (calls), conditions.ts (branch conditions).
import { ACQUIRE_BY_NAME, PAGE_TYPE } from './apis';
import { DEFAULT_SETTINGS } from './types';
import type { Cfg } from './cfg';
import { AcquireSite, State, cloneState, initialState, mayHold, newSet, pushStep, stateKey } from './ledger';
import { callArgs, calleeName, isNullLiteral, norm, rangeOf, strip } from './syntax';
import type { FunctionDef, Node } from './syntax';
import { ledger } from './counters';
import { rootOf, holderText, isFlagField, findSetByHolder, findSetByCount, outcome, siteOf } from './sim-state';
import type { SimContext, SimOptions, SimResult } from './sim-state';
import { evalStmt, evalExpr } from './eval';
import { describeCondition } from './describe';
import { assumeLoopEntry, skipLoop, assume, forgetCarried } from './conditions';

const STEP_LIMIT = 60_000;

/**
 * The work budget beside the path budget, clock-free so that every run (CLI
 * thread or worker, editor) gives the same answer: each step costs its
 * state's size (the characters of its key: cloning, hashing and remembering
 * it grow with that) plus STEP_COST. The largest kernel functions seen (mm/,
 * block/, lib/, io_uring/, fs/fuse) need under 16 million; 40 million is one
 * to two seconds of one core here.
 */
export const WORK_BUDGET = 40_000_000;
const STEP_COST = 100;
/**
 * Path steps the findings of one function may carry in all: each finding
 * keeps its whole path, so a function of thousands of releases of the same
 * pages would otherwise hold (and print) a quadratic number of steps.
 */
export const REPORT_BUDGET = 200_000;

export function simulate(def: FunctionDef, cfg: Cfg, opts: SimOptions): SimResult {
  const result: SimResult = { sites: opts.cx.sites, outcomes: new Map(), traces: new Map(), effects: [], paths: 0, fieldStores: [], flagStores: [], fieldReleases: [], argCalls: [], fieldFrees: [], countResets: new Map(), releaseModes: new Map() };
  const sim: SimContext = {
    def, cfg, opts, sites: result.sites, siteByCall: new Map(), callNodes: new Map(), returnedVars: returnedVars(def.body), okPaths: 0, errPaths: 0, acquireHolders: new Set(), assignedFrom: new Map(), addressVars: new Set(), loopHolders: new Set(), slotIndexes: new Set(), requested: new Set(), requestedBytes: new Set(),
    params: def.params.map(p => p.name), effectDefs: new Map(), allEffects: new Map(), result, cur: null,
    repeated: repeatedConditions(cfg), carried: new Map(), flagCopies: flagCopies(def, opts.flagNames), keptOnError: new Set(),
  };
  collectAcquireHolders(sim);
  const start = initialState(cfg.entry);
  seedParams(sim, start);
  if (cfg.incomplete) { result.incomplete = cfg.incomplete; return result; }
  const seen = new Set<string>();
  const work: State[] = [start];
  let steps = 0;
  let endedPaths = 0;
  let cost = 0;
  // a raised pinlens.pathBudget raises these too (the incomplete note says to raise it)
  const scale = Math.max(1, opts.pathBudget / DEFAULT_SETTINGS.pathBudget);
  const workBudget = opts.workBudget ?? WORK_BUDGET * scale;
  const reportBudget = REPORT_BUDGET * scale;
  // the cx is this function's own: count what the findings carry
  let reported = 0;
  const report = opts.cx.report;
  opts.cx.report = (s, r) => {
    reported += (s.trail?.len ?? 0) + 1;
    if (reported <= reportBudget) report(s, r);
  };
  try {
    while (work.length) {
      const st = work.pop()!;
      if (++steps > STEP_LIMIT || endedPaths > opts.pathBudget) {
        result.incomplete = `the path budget ran out after ${endedPaths} paths and ${steps} steps`;
        break;
      }
      if (cost > workBudget) {
        result.incomplete = `the work budget ran out after ${endedPaths} paths and ${steps} steps (the states grew large)`;
        break;
      }
      if (reported > reportBudget) {
        result.incomplete = `the findings' paths grew past ${reportBudget} steps after ${endedPaths} paths`;
        break;
      }
      const key = stateKey(st);
      cost += key.length + STEP_COST;
      if (seen.has(key)) continue;
      seen.add(key);
      const node = cfg.nodes[st.node];
      sim.cur = node;
      switch (node.kind) {
        case 'exit':
          finishPath(sim, st, null);
          endedPaths++;
          break;
        case 'return': {
          const value = node.value;
          if (value) evalExpr(sim, st, value);
          finishPath(sim, st, node.ast, value);
          endedPaths++;
          break;
        }
        case 'stmt':
          evalStmt(sim, st, node.ast);
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
          if (node.iterEnd && node.ast) for (const c of sim.opts.checkers) c.onIterationEnd?.(sim.opts.cx, st, node.iterEnd, node.ast);
          st.node = node.next;
          work.push(st);
          break;
        case 'switch': {
          evalExpr(sim, st, node.value);
          for (const t of [...new Set(node.targets)]) {
            const c = cloneState(st); c.node = t; work.push(c);
          }
          break;
        }
        case 'branch': {
          st.temps = {};
          evalExpr(sim, st, node.cond);
          const visits = node.head ? (st.visits[node.head.id] ?? 0) : 0;
          const outs: State[] = [];
          if (node.head && visits >= 1) {
            // the body ran once: that stands for every iteration
            if (!node.always) {
              for (const c of assume(sim, cloneState(st), node.cond, false)) {
                c.node = node.f; c.temps = {}; delete c.visits[node.head.id]; outs.push(c);
              }
            }
          } else {
            for (const truth of node.always ? [true] : [false, true]) {
              const base = cloneState(st);
              if (node.head) base.visits[node.head.id] = visits + 1;
              const ctext = norm(node.cond.text);
              if (sim.repeated.has(ctext)) {
                if (base.conds[ctext] === !truth) continue;
                base.conds[ctext] = truth;
              }
              const states = node.always ? [base]
                : node.head?.bound && visits === 0 && (node.head.fromZero || node.head.bound === node.head.index)
                ? assumeLoopEntry(sim, base, node.head, truth)
                : assume(sim, base, node.cond, truth);
              for (const s of states) {
                s.temps = {};
                if (!truth && node.head) delete s.visits[node.head.id];
                if (!truth && node.head && visits === 0 && !node.always) skipLoop(sim, s, node.head);
                if (truth && node.head && visits === 0) forgetCarried(sim, s, node.head);
                s.node = truth ? node.t : node.f;
                noteBranch(s, node.cond, truth, st);
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
  } finally {
    opts.cx.report = report;
  }
  result.paths = endedPaths;
  for (const [k, v] of sim.allEffects) {
    const returns = v.eff.effect === 'acquires' ? (result.returnsCount ? 'count' : 'status') : undefined;
    // released on every path that fails and on none that succeeds: the caller can tell by the result
    const onError = v.eff.effect === 'releases' && sim.errPaths > 0 && sim.okPaths > 0 && v.err === sim.errPaths && v.ok === 0 && v.paths === v.err;
    const kept = returns === 'status' && sim.keptOnError.has(k);
    const also = v.eff.effect === 'acquires' && storedThroughOtherParam(sim, v.eff.index, v.eff.name);
    result.effects.push({ ...v.eff, always: v.paths === endedPaths && endedPaths > 0, ...(returns ? { returns } : {}), ...(onError ? { when: 'error' as const } : {}), ...(kept ? { keptOnError: true } : {}),
      ...(also ? { alsoStored: true } : {}) });
  }
  return result;
}

/** The pages an acquire put in parameter `index` (`name`) were also stored through another parameter (`*pfn = page_to_pfn(pages[0])`). */
function storedThroughOtherParam(sim: SimContext, index: number, name: string): boolean {
  for (const site of sim.result.sites) {
    if (site.id < 0 || site.holder !== name) continue;
    for (const h of sim.result.outcomes.get(site.id)?.handoffs.values() ?? []) {
      const m = /^stored in [*&(]*([A-Za-z_]\w*)/.exec(h.kind);
      const pi = m ? sim.params.indexOf(m[1]) : -1;
      if (pi >= 0 && pi !== index) return true;
    }
  }
  return false;
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

/** Whether taking a branch changed what the path knows about the pages: a set's mode, outcomes or state, an iterator's backing, a bio's flags, a pending release. */
function pagesChanged(b: State, s: State): boolean {
  if (b.sets.length !== s.sets.length) return true;
  for (let i = 0; i < s.sets.length; i++) {
    const x = b.sets[i], y = s.sets[i];
    if (x.mode !== y.mode || x.state !== y.state || x.outcomes.length !== y.outcomes.length || x.outcomes.some((o, k) => o !== y.outcomes[k])) return true;
  }
  const same = <T>(p: Record<string, T>, q: Record<string, T>, eq: (a: T, b: T) => boolean) => {
    const pk = Object.keys(p), qk = Object.keys(q);
    return pk.length === qk.length && pk.every(k => k in q && eq(p[k], q[k]));
  };
  return !same(b.iters, s.iters, (x, y) => x === y) || !same(b.pending, s.pending, () => true)
    || !same(b.bios, s.bios, (x, y) => x.flags.length === y.flags.length && x.flags.every((f, k) => f === y.flags[k]));
}

/** The branch a path takes, in words (describe.ts), with the page set it changed. */
function noteBranch(s: State, cond: Node, truth: boolean, before: State): void {
  const decides = pagesChanged(before, s);
  const i = decides ? s.sets.findIndex((p, k) => !before.sets[k] || p.mode !== before.sets[k].mode || p.outcomes.join() !== before.sets[k].outcomes.join()) : -1;
  const p = i >= 0 ? s.sets[i] : undefined;
  const changed = p && (p.mode !== before.sets[i]?.mode || !mayHold(p))
    ? ledger(p.holder, p.mode, mayHold(p) ? p.state : 'failed', p.countVars.find(v => v !== '<returned>') ?? '', p.folios) : undefined;
  pushStep(s, { range: rangeOf(cond), note: describeCondition(cond, truth), decides, ...(changed ? { ledger: changed } : {}) });
}

function collectAcquireHolders(sim: SimContext): void {
  for (const call of sim.def.body.descendantsOfType('call_expression')) {
    if (!call) continue;
    const name = calleeName(call);
    const api = name ? ACQUIRE_BY_NAME.get(name) : undefined;
    const sum = name ? sim.opts.summaries.get(name) : undefined;
    if (api && api.pagesArg >= 0) {
      const a = callArgs(call)[api.pagesArg];
      if (a && !isNullLiteral(a)) sim.acquireHolders.add(holderText(a).text);
      if (a && inLoopSyntax(call, sim.def.body)) {
        const h = holderText(a);
        sim.loopHolders.add(h.text);
        if (h.element && h.index && /^[A-Za-z_][\w.>-]*$/.test(h.index)) sim.slotIndexes.add(h.index);
      }
      const n = api.countArg >= 0 ? callArgs(call)[api.countArg] : undefined;
      if (n) sim.requested.add(norm(n.text));
      const size = api.sizeArg !== undefined ? callArgs(call)[api.sizeArg] : undefined;
      if (size) sim.requestedBytes.add(norm(size.text));
    } else if (sum) {
      for (const e of sum.params) if (e.effect === 'acquires') {
        const a = callArgs(call)[e.index];
        if (a) sim.acquireHolders.add(holderText(a).text);
      }
    }
  }
  // a holder the function also fills by plain assignment is not known by name alone
  for (const a of sim.def.body.descendantsOfType(['assignment_expression', 'init_declarator'])) {
    const l = a?.childForFieldName(a.type === 'init_declarator' ? 'declarator' : 'left'), r = a?.childForFieldName(a.type === 'init_declarator' ? 'value' : 'right');
    if (l && r && isAddressOf(r)) sim.addressVars.add(norm(l.text).replace(/^\*+/, ''));
    if (a?.type === 'init_declarator') continue;
    const alloc = r && strip(r).type === 'call_expression' && /alloc|^vzalloc|^kcalloc/.test(calleeName(strip(r)) ?? '');
    if (l && r && !isNullLiteral(r) && !alloc) {
      const h = norm(l.text);
      // before its first plain assignment (outside loops) the holder still holds only what an acquire put there
      if (sim.acquireHolders.has(h) && !inLoopSyntax(a!, sim.def.body)) sim.assignedFrom.set(h, Math.min(sim.assignedFrom.get(h) ?? Infinity, a!.startIndex));
      else sim.assignedFrom.set(h, -1);
    }
  }
}

/** Conversions to a kernel virtual address: the callee gets bytes to read or write, not the page. */
const ADDRESS_OF = new Set(['page_address', 'page_to_virt', 'folio_address', 'kmap', 'kmap_local_page', 'kmap_local_folio', 'kmap_atomic']);

function isAddressOf(n: Node): boolean {
  let s = strip(n);
  while (s.type === 'binary_expression') s = strip(s.childForFieldName('left') ?? s);
  return s.type === 'call_expression' && ADDRESS_OF.has(calleeName(s) ?? '');
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

function seedParams(sim: SimContext, st: State): void {
  sim.def.params.forEach((p, i) => {
    if (!p.name || !PAGE_TYPE.test(p.type)) return;
    // the mode every caller's pages have here (top-down), else unknown
    const from = sim.opts.paramModes?.get(i);
    const site: AcquireSite = {
      id: -1 - i, api: { name: from ? from.api : `param ${p.name}`, kind: 'summary', helper: sim.def.name }, call: sim.def.node,
      mode: from?.mode ?? 'UNKNOWN', modeReason: from ? `${p.name} holds pages taken by ${from.text}` : 'parameter', holder: p.name, requested: '', perElement: false, inLoop: false, offset: '', returns: 'count',
    };
    const set = newSet(site, site.mode, ['full']);
    set.param = i;
    // a bio_vec array names its pages through its members
    if (/\bbio_vec\b/.test(p.type)) { st.aliases[`${p.name}[].bv_page`] = st.sets.length; st.aliases[`${p.name}->bv_page`] = st.sets.length; }
    if (from) {
      set.origin = { api: from.api, text: from.text };
      pushStep(st, { range: rangeOf(sim.def.node.childForFieldName('declarator') ?? sim.def.node), note: `${p.name}: pages taken by ${from.text}`, ledger: ledger(p.name, from.mode, 'held', '?', set.folios) });
    }
    st.sets.push(set);
  });
}

function returnedVars(body: Node): Set<string> {
  const out = new Set<string>();
  for (const r of body.descendantsOfType('return_statement')) {
    const v = r?.namedChildren.find(c => c && c.type !== 'comment');
    if (v && strip(v).type === 'identifier') out.add(strip(v).text);
  }
  return out;
}

// ---------------------------------------------------------------- path ends

function finishPath(sim: SimContext, st: State, node: Node | null, value?: Node | null): void {
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
        if (st.sets[idx].param === undefined && sim.params.includes(rootOf(st.sets[idx].holder))) sim.result.returnsCount = true;
      }
      // the function's own bio returned: the caller has it now
      const bio = st.bios[vtext];
      if (bio) bio.gone = true;
      const h = findSetByHolder(st, holderText(value).text);
      if (h >= 0 && !error && st.sets[h].state === 'held') {
        const set = st.sets[h];
        // pages it acquired itself, returned: the caller gets them with their mode (FunctionSummary.returns)
        const site = set.param === undefined ? siteOf(sim, set) : undefined;
        if (site && mayHold(set) && set.mode !== 'NONE' && set.mode !== 'UNKNOWN') {
          const r = sim.result.returnsPages ??= { modes: new Set(), apis: new Set() };
          r.modes.add(set.mode);
          r.apis.add(site.api.name);
        }
        set.state = 'handed-off'; set.handoff = { node: value, kind: 'returned to the caller' };
      }
    }
  }
  if (node) pushStep(st, { range: rangeOf(node), note: node.text.replace(/\s+/g, ' ').replace(/;$/, '') });
  for (const c of sim.opts.checkers) c.onExit?.(sim.opts.cx, st, { node, error, value: vtext });
  for (const p of st.sets) {
    if (p.site < 0) continue;
    const o = outcome(sim, p.site);
    o.total++;
    if (!mayHold(p)) o.failed++;
    else if (p.state === 'released') o.released++;
    else if (p.state === 'handed-off' || p.escaped || sim.opts.cx.isCallerOwned(p.holder)) o.handedOff++;
    else if (p.mode !== 'NONE') o.leaked++;
    if (!sim.result.traces.has(p.site) || (p.state === 'released' && mayHold(p))) sim.result.traces.set(p.site, st.trail);
  }
  // a 0-or-errno function: which paths succeed and which fail
  const ok = !error && (vtext === '0' || st.zero.includes(vtext));
  const err = error || st.nonzero.includes(vtext);
  if (ok) sim.okPaths++;
  if (err) sim.errPaths++;
  // a failing path that leaves pages in a parameter's field (acquired there, or stored there)
  if (err) for (const p of st.sets) {
    // (pages stored in the object stay there when the object is passed on: the callee gets the object, not the duty)
    if (p.site < 0 || !mayHold(p) || (p.escaped && p.state === 'held')) continue;
    const into = p.state === 'held' ? p.holder : p.state === 'handed-off' ? /^stored in (.*)$/.exec(p.handoff?.kind ?? '')?.[1] ?? '' : '';
    const pi = sim.params.indexOf(rootOf(into));
    if (pi >= 0 && into !== rootOf(into)) sim.keptOnError.add(`${pi}:acquires:${into}`);
  }
  for (const k of st.effects) {
    const cur = sim.allEffects.get(k) ?? { eff: sim.effectDefs.get(k)!, paths: 0, ok: 0, err: 0 };
    cur.paths++;
    if (ok) cur.ok++;
    if (err) cur.err++;
    sim.allEffects.set(k, cur);
  }
}
