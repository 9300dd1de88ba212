// Branch conditions for the path simulator: what a condition tells about an
// acquire's outcome, a helper's 0-or-errno result, the iterator's backing, bio
// flags, flag fields and local booleans (assume()), and a loop's first test.
import { BIO_ADD, KERNEL_ITER_PREDICATES, RELEASE_BY_NAME, WILL_PIN_PREDICATES } from './apis';
import type { LoopInfo } from './cfg';
import { pairFor } from './counters';
import { ALL_OUTCOMES, AcquireSite, Outcome, State, cloneState, mayHold } from './ledger';
import { addressedName, callArgs, calleeName, norm, strip } from './syntax';
import type { Node } from './syntax';
import { knownZeroField } from './zeroed';
import { rootOf, holderText, isFlagField, findSetByHolder, findSetByCount, siteOf, enclosingLoop, forgetValue } from './sim-state';
import type { SimContext } from './sim-state';
import { pageCountTerms } from './count-terms';
import { release } from './release-call';

/** Acquires that return 0 on success and -errno on failure: a helper's status, bio_iov_iter_get_pages(). */
const zeroOrErrno = (site?: AcquireSite) => site?.returns === 'status' || site?.returns === 'into-bio';
/** What a failing 0-or-errno acquire may leave: nothing, or — a helper that keeps pages when it fails ('partial') — some. */
const failed = (site?: AcquireSite): Outcome[] => (site?.returns === 'status' ? ['neg', 'partial'] : ['neg']);

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

/** `DIV_ROUND_UP(len + off, PAGE_SIZE)` with len what a byte-count acquire returned: that set's page count. */
function pagesRef(st: State, n: Node): number {
  for (const term of pageCountTerms(n) ?? []) {
    const idx = findSetByCount(st, term);
    if (idx >= 0) return idx;
  }
  return -1;
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

export function assumeLoopEntry(sim: SimContext, st: State, loop: LoopInfo, truth: boolean): State[] {
  // for (i = 0; i < bound; …): the first test is `bound > 0`
  // while (i--) over a count: the first test is `i > 0` too
  const bound = loop.bound!;
  const idx = findSetByCount(st, bound);
  if (idx >= 0) return restrict(st, idx, truth ? ['partial', 'full'] : ['neg', 'zero']);
  if (!loop.fromZero) return [st];
  // a requested count, or a count the caller passes in, is taken to be positive
  if ((sim.sites.some(s => s.requested === bound) && st.sets.some(p => siteOf(sim, p)?.requested === bound))
    || sim.params.includes(bound) || sim.params.includes(rootOf(bound))) return truth ? [st] : [];
  return [st];
}

/**
 * A loop skipped on its first test with a bound the path cannot relate to an
 * acquire (`i < DIV_ROUND_UP(off + len, PAGE_SIZE)`): zero iterations means
 * nothing to release, so pages the body would release or hand on are not
 * claimed as leaked on that path.
 */
export function skipLoop(sim: SimContext, st: State, loop: LoopInfo): void {
  if (loop.bound && findSetByCount(st, loop.bound) >= 0) return;
  const body = loop.node.childForFieldName('body');
  if (!body) return;
  const touched = new Set<string>();
  for (const c of body.descendantsOfType('call_expression')) {
    if (c) for (const a of callArgs(c)) touched.add(holderText(a).text);
  }
  for (const p of st.sets) if (touched.has(p.holder) || Object.entries(st.aliases).some(([v, i]) => touched.has(v) && st.sets[i] === p)) p.escaped = true;
}

/**
 * The body of a loop runs once per path and stands for every iteration, so
 * what the path knows of a value the body tests before it assigns it
 * (`if (last_pfn && …) … last_pfn = this_pfn;`) holds only for the first
 * iteration: on entering the body those facts are forgotten, and a branch
 * that only a later iteration takes is explored too.
 */
export function forgetCarried(sim: SimContext, st: State, loop: LoopInfo): void {
  let carried = sim.carried.get(loop.id);
  if (!carried) {
    carried = carriedValues(loop);
    sim.carried.set(loop.id, carried);
  }
  for (const v of carried) forgetValue(st, v);
}

function carriedValues(loop: LoopInfo): string[] {
  const body = loop.node.childForFieldName('body');
  if (!body) return [];
  const lastWrite = new Map<string, number>();
  for (const a of body.descendantsOfType(['assignment_expression', 'update_expression'])) {
    const t = a && (a.childForFieldName('left') ?? a.childForFieldName('argument'));
    if (t?.type === 'identifier' && t.text !== loop.index) lastWrite.set(t.text, Math.max(lastWrite.get(t.text) ?? -1, a!.startIndex));
  }
  if (!lastWrite.size) return [];
  const carried = new Set<string>();
  for (const c of body.descendantsOfType(['if_statement', 'while_statement', 'do_statement', 'conditional_expression'])) {
    const cond = c?.childForFieldName('condition');
    if (!cond) continue;
    for (const id of [cond, ...cond.descendantsOfType('identifier')]) {
      if (id?.type === 'identifier' && (lastWrite.get(id.text) ?? -1) > id.startIndex) carried.add(id.text);
    }
  }
  return [...carried];
}

export function assume(sim: SimContext, st: State, cond: Node, truth: boolean): State[] {
  const c = unwrap(cond);
  if (c.type === 'number_literal' || c.type === 'true' || c.type === 'false') {
    const v = c.type === 'true' || (c.type === 'number_literal' && !/^0+[uUlL]*$/.test(c.text));
    return v === truth ? [st] : [];
  }
  if (c.type === 'unary_expression' && c.children[0]?.text === '!') {
    const a = c.childForFieldName('argument');
    return a ? assume(sim, st, a, !truth) : [st];
  }
  if (c.type === 'binary_expression') {
    const op = c.childForFieldName('operator')?.text ?? c.children[1]?.text ?? '';
    const l = c.childForFieldName('left'), r = c.childForFieldName('right');
    if (!l || !r) return [st];
    if (op === '&&' || op === '||') {
      const and = op === '&&';
      if (and === truth) {
        return assume(sim, st, l, truth).flatMap(s => assume(sim, s, r, truth));
      }
      // short circuit: the right side did not run, nor any acquire in it
      const first = assume(sim, cloneState(st), l, truth).map(s => notEvaluated(s, r));
      const second = assume(sim, st, l, !truth).flatMap(s => assume(sim, s, r, truth));
      return [...first, ...second];
    }
    if (op in FLIP) {
      // `ret < 0`, `ret != 0`, `ret == 0` on a helper's result that decides a release
      const pv = norm(strip(l).text);
      if (st.pending[pv] && norm(r.text) === '0' && ['<', '!=', '=='].includes(op)) return [decide(sim, st, pv, (op === '==') !== truth)];
      // `pinned == true`, `rq->is_pinned != 0`: a boolean (a flag field, a will-pin copy) tested by comparison
      const b = /^(true|false|0|1)$/.exec(norm(r.text));
      const lt = norm(strip(l).text);
      if (b && (op === '==' || op === '!=') && (lt in st.bools || isFlagField(sim.opts.flagNames, sim.flagCopies.get(lt) ?? lt))) {
        const isTrue = b[1] === 'true' || b[1] === '1';
        return assume(sim, st, strip(l), (op === '==') === isTrue ? truth : !truth);
      }
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
        const p = pi >= 0 ? siteOf(sim, st.sets[pi]) : undefined;
        const against = norm((pl >= 0 ? r : l).text);
        const allowed = p?.returns === 'bytes' && p.requested === against ? compareOutcomes(pl >= 0 ? op : FLIP[op], 'full', truth) : undefined;
        if (allowed) return restrict(st, pi, allowed);
      }
      if (idx >= 0) {
        const set = st.sets[idx];
        const site = siteOf(sim, set);
        const t = norm(other.text);
        if (zeroOrErrno(site)) {
          // a helper's 0-or-errno: 0 is success (pages held), anything else failure
          if (!(t === '0')) return [st];
          const success = ({ '==': true, '>=': true, '!=': false, '<': false } as Record<string, boolean>)[o];
          if (success === undefined) return [st];
          return restrict(st, idx, success === truth ? ['full'] : failed(site));
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
      // `if (ret < 0)` on a value the function returns and no acquire explains: a negative errno on that branch
      const v = strip(l);
      if (idx < 0 && v.type === 'identifier' && sim.returnedVars.has(v.text) && r.text === '0' && ((op === '<' && truth) || (op === '>=' && !truth)) && !st.neg.includes(v.text)) st.neg.push(v.text);
      return [st];
    }
    return [st];
  }
  if (c.type === 'call_expression') {
    const name = calleeName(c);
    const args = callArgs(c);
    if (name && WILL_PIN_PREDICATES.has(name)) return refineIter(sim, st, norm(args[0]?.text ?? '').replace(/^&/, ''), truth);
    if (name && KERNEL_ITER_PREDICATES.has(name)) return refineIter(sim, st, norm(args[0]?.text ?? '').replace(/^&/, ''), !truth);
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
    // a bio add that failed merged nothing: the `same_page` it was given last says false (block/bio.c sets it
    // only while merging, and clears it when the merge is refused)
    if (name && BIO_ADD.has(name) && !truth) {
      const flag = args.length ? addressedName(args[args.length - 1]) : undefined;
      if (flag) st.bools[flag] = false;
      return [st];
    }
    if (c.id in st.temps) {
      // a 0-or-errno acquire tested directly (a helper's status, bio_iov_iter_get_pages()): 0 is success
      const s0 = siteOf(sim, st.sets[st.temps[c.id]]);
      if (zeroOrErrno(s0)) return restrict(st, st.temps[c.id], truth ? failed(s0) : ['full']);
      // a bool-returning acquire tested directly
      return restrict(st, st.temps[c.id], truth ? ['full', 'partial', 'neg'] : ['zero']);
    }
    return [st];
  }
  if (c.type === 'identifier' || c.type === 'field_expression') {
    const t = sim.flagCopies.get(c.text) ?? norm(c.text);
    const b = st.bools[t];
    if (typeof b === 'boolean') return b === truth ? [st] : [];
    if (typeof b === 'string') return refineIter(sim, st, b.slice(4), truth);
    // a variable set to 0, or a field of a zero-filled object not written yet
    if (st.zero.includes(t) || knownZeroField(st, t)) return truth ? [] : [st];
    // a flag field that says whether extracted pages were pinned: the path remembers the answer (a teardown's guard)
    if (isFlagField(sim.opts.flagNames, t)) { st.bools[t] = truth; return [st]; }
    if (st.pending[t]) return [decide(sim, st, t, truth)];
    // `if (!pages)` after an allocation: the array is NULL on that side
    if (!truth && sim.acquireHolders.has(t) && !sim.assignedFrom.has(t) && findSetByHolder(st, t) < 0) { st.zero.push(t); return [st]; }
    const idx = findSetByCount(st, t);
    const s1 = idx >= 0 ? siteOf(sim, st.sets[idx]) : undefined;
    if (s1 && zeroOrErrno(s1)) return restrict(st, idx, truth ? failed(s1) : ['full']);
    if (idx >= 0) return restrict(st, idx, truth ? ['neg', 'partial', 'full'] : ['zero']);
    const h = st.aliases[t] ?? -1;
    if (h >= 0 && st.sets[h].holder === t && siteOf(sim, st.sets[h])?.returns === 'page') return restrict(st, h, truth ? ['full'] : ['neg', 'zero']);
    // `if (pages)` on an array that holds pages: it is not NULL
    const held = findSetByHolder(st, t);
    if (held >= 0 && st.sets[held].state !== 'handed-off' && siteOf(sim, st.sets[held])?.returns !== 'page') {
      const site = siteOf(sim, st.sets[held]);
      // an array the pages went into was allocated: it is not NULL; a single
      // page pointer is NULL only if nothing was obtained
      if (!truth && site && site.requested !== '1') return [];
      if (!truth && mayHold(st.sets[held])) return restrict(st, held, ['neg', 'zero']);
    }
    if (st.neg.includes(t)) return truth ? [st] : [];
    if (st.nonzero.includes(t)) return truth ? [st] : [];
    // an otherwise unknown variable the function returns: what the test says of it
    // (whether a path fails or succeeds, for the summary's `when`)
    if (c.type === 'identifier' && sim.returnedVars.has(t)) {
      if (truth) st.nonzero.push(t); else st.zero.push(t);
    }
    return [st];
  }
  if (c.type === 'assignment_expression') {
    const l = c.childForFieldName('left');
    return l ? assume(sim, st, l, truth) : [st];
  }
  if (c.type === 'subscript_expression' && !truth && emptySlotOfReleaseLoop(sim, st, c)) return [];
  return [st];
}

/**
 * `if (pages[i])` (or `if (!pages[i]) continue;`) in a loop over the slots of
 * held pages whose body releases `pages[i]`: the simulator runs such a body
 * once for every slot, so the side where this slot is empty says nothing of
 * the others — the iteration that releases stands for the loop. Without
 * this the empty-slot side would leave the whole set held after the loop.
 */
function emptySlotOfReleaseLoop(sim: SimContext, st: State, c: Node): boolean {
  const h = holderText(c);
  if (!h.element || !h.index) return false;
  const loop = enclosingLoop(sim, h.index);
  const idx = findSetByHolder(st, h.text);
  if (!loop || idx < 0 || st.sets[idx].state !== 'held') return false;
  const slot = norm(strip(c).text);
  return loop.node.descendantsOfType('call_expression').some(call => {
    const name = call ? calleeName(call) : undefined;
    if (!call || !name) return false;
    const releases = RELEASE_BY_NAME.has(name) || sim.opts.summaries.get(name)?.params.some(e => e.effect === 'releases');
    return !!releases && callArgs(call).some(a => norm(holderText(a).text) === norm(h.text) && norm(strip(a).text).includes(slot));
  });
}

/** The helper's result `v` tested: non-zero (it failed) means it released the pages; 0 means it did not. */
function decide(sim: SimContext, st: State, v: string, failed: boolean): State {
  const p = st.pending[v];
  delete st.pending[v];
  const set = st.sets[p.set];
  if (set) set.escaped = p.escaped;
  if (failed) st.nonzero.push(v); else st.zero.push(v);
  const call = sim.callNodes.get(p.call);
  if (failed && set && set.state === 'held' && call) {
    release(sim, st, p.set, { node: call, api: p.api, family: p.family, whole: true, count: null, viaHelper: p.helper, argText: p.argText, guarded: false });
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
function refineIter(sim: SimContext, st: State, iter: string, truth: boolean): State[] {
  const known = st.iters[iter];
  if (known) return (known === 'user') === truth ? [st] : [];
  st.iters[iter] = truth ? 'user' : 'kernel';
  for (const p of st.sets) {
    const site = siteOf(sim, p);
    if (p.mode !== 'EXTRACT') continue;
    if (site?.iter && site.iter !== iter && !site.iter.endsWith(iter) && !iter.endsWith(site.iter)) continue;
    p.mode = truth ? 'PIN' : 'NONE';
    p.folios = pairFor(p.mode);
  }
  return [st];
}
