// Release calls for the path simulator: which page set a release API call
// releases (evalRelease(), called by calls.ts's evalCall), the release itself
// on the ledger and for the checkers (release()), and a release no page set
// explains — a struct field's or a parameter's pages (untrackedRelease()).
// Apart from calls.ts and eval.ts, so that conditions.ts (a release a test
// decided) and the evaluator do not need each other.
import type { ReleaseApi } from './apis';
import type { ReleaseEvent } from './checkers/checker';
import { BYTES, FLOOR, SG_ENTRY, pagesOfRequestedBytes, wholePagesOf } from './count-terms';
import { dropPair, ledger } from './counters';
import { State, mayHold, pushStep } from './ledger';
import { calleeName, norm, rangeOf, strip } from './syntax';
import type { Node } from './syntax';
import type { Mode, Provenance } from './types';
import {
  addEffect, enclosingLoop, findSetByCount, findSetByHolder, holderText, isFlagField, isSgPageCall, outcome, perFunction, recordEffect, rootOf, sgTableWalked, siteOf,
} from './sim-state';
import type { SimContext, Val } from './sim-state';

/** A parameter that is one page or folio, not an array of them. */
const ONE_PAGE = /\bstruct\s+(page|folio)\s*\*\s*(const\s+)?\w+\s*$/;

/**
 * A call of a release API: which page set it releases — the holder as
 * written, an element in a loop that covers the array, the windows of an
 * array, the pages of an sg entry (`sg_page(sg)`, or a local read from one),
 * a bio's pages — and how much (whole, the count given); a release no page
 * set explains is a struct field's or a parameter's (untrackedRelease()).
 * `evalArg` is the caller's evaluator, for an argument that may name a set
 * (`sg_page(sg)`).
 */
export function evalRelease(sim: SimContext, st: State, call: Node, name: string, rel: ReleaseApi, args: Node[], evalArg: (n: Node) => Val): void {
  const a = args[rel.pagesArg];
  if (!a) return;
  if (rel.family === 'bio' && rel.pagesArg > 0) {
    // bio_release_page(bio, page): that page, as the bio's flags say
    const h = holderText(a);
    const loop = h.element && h.index ? enclosingLoop(sim, h.index) : undefined;
    const idx = findSetByHolder(st, h.text);
    const whole = !!loop?.bound && (loop.fromZero || loop.bound === loop.index);
    if (idx >= 0) release(sim, st, idx, { node: call, api: name, family: 'bio', whole, count: null, release: rel, argText: a.text, guarded: true });
    return;
  }
  if (rel.family === 'bio') {
    const bio = norm(args[0]?.text ?? '');
    const b = st.bios[bio];
    if (b) for (const si of b.sets) release(sim, st, si, { node: call, api: name, family: 'bio', whole: true, count: null, release: rel, argText: a.text, guarded: true });
    return;
  }
  const h = holderText(a);
  const count = rel.countArg >= 0 && args[rel.countArg] ? norm(args[rel.countArg].text) : null;
  let whole = rel.array || rel.countArg >= 0;
  // `unpin_user_pages(&pages[i], pinned - i)`: the tail from slot i; the slots below i stay held
  const tail = !!(whole && count && h.element && h.index && SLOT_NAME.test(h.index) && count.split('-').slice(1).some(t => t.trim() === h.index));
  if (tail) whole = false;
  let loopCount: string | null = null;
  // (or a local it was read into: `page = sg_page(sg); unpin_user_pages_dirty_lock(&page, 1, dirty)`)
  const sgLocal = st.derived[h.text]?.startsWith(SG_ENTRY) ? st.derived[h.text].slice(SG_ENTRY.length) : undefined;
  const viaSg = !!sgLocal || isSgPageCall(strip(a));
  if (!whole && viaSg && sim.cur && sim.cur.kind !== 'exit' && sim.cur.loops.some(l => l.iterator)) whole = true;
  if (!whole && !tail) {
    // a loop from 0 (or counting down to 0) covers the array; `while (i < n)` from
    // wherever i stands releases only the tail
    const loop = h.element && h.index ? enclosingLoop(sim, h.index) : enclosingLoop(sim);
    if (loop?.bound && (loop.fromZero || loop.bound === loop.index)) {
      whole = true;
      // `while (i--)` releases what i counted: the request, if i was copied from it
      loopCount = loop.bound === loop.index ? (st.copies[loop.index] ?? null) : loop.bound;
    }
  }
  let idx = findSetByHolder(st, h.text, h.element && !(h.index && enclosingLoop(sim, h.index)) ? (h.index ?? '') : '');
  const upTo = count && !h.element && SLOT_NAME.test(count) ? { name: count, shift: 0 } : !count ? unwindOf(sim, h, a) : undefined;
  // an unwind by the count of the array's slots also unwinds the slot a loop filled at `pages[i]`, `i = nr`
  const slotSet = upTo && whole ? st.sets.findIndex(p => p.holder === h.text && p.state !== 'released' && p.cover && upTo.name in p.cover) : -1;
  if (idx < 0 && slotSet >= 0) idx = slotSet;
  if (viaSg && !sgLocal) { const v = evalArg(a); if (v?.kind === 'holder') idx = v.set; }
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
    const site = siteOf(sim, set);
    if (site && (site.requested === '1' || site.returns === 'page' || site.returns === 'bool')) whole = true;
    // a parameter that is one page (`struct page *page`), released as written
    if (set.param !== undefined && !h.element && ONE_PAGE.test(sim.def.params[set.param]?.type ?? '')) whole = true;
  }
  const countNode = rel.countArg >= 0 ? args[rel.countArg] : undefined;
  const counted = count ?? loopCount;
  const bytes = counted && st.copies[counted]?.startsWith(BYTES) ? st.copies[counted].slice(BYTES.length) : countNode ? pagesOfRequestedBytes(sim, countNode) : undefined;
  const floor = countNode ? wholePagesOf(countNode) : undefined;
  const copied = floor ? `${FLOOR}${floor}` : counted && !st.copies[counted]?.startsWith(BYTES) ? st.copies[counted] : undefined;
  const ev: ReleaseEvent = {
    node: call, api: name, family: rel.family, whole, count: count ?? loopCount, release: rel, argText: a.text,
    guarded: false, ...(tail ? { tail } : {}), ...(bytes ? { countFromBytes: bytes } : {}), ...(copied ? { countIs: copied } : {}), ...(upTo ? { upTo } : {}),
  };
  // `sg_page(sg)` in `for_each_sg(obj->sgt.sgl, sg, …)`: the pages of the sg table in that field
  const table = idx < 0 && viaSg ? sgTableWalked(sim, sgLocal ?? h.text) : undefined;
  // the slot this iteration filled, released on its own (`unpin_user_page(pages[i])`): no unwind owes it any more
  if (idx >= 0 && !whole && h.index && st.sets[idx].cover?.[h.index] === 0) delete st.sets[idx].cover;
  if (idx >= 0) for (const w of [idx, ...windows.filter(w => w !== idx), ...(slotSet >= 0 && slotSet !== idx ? [slotSet] : [])]) release(sim, st, w, ev);
  else untrackedRelease(sim, st, table ?? h.text, ev);
}

const SLOT_NAME = /^[A-Za-z_][\w.>-]*$/;

/**
 * The slots a loop of single releases unwinds (ReleaseEvent.upTo): `for (j = 0; j < nr; j++)`
 * releases below nr (`<=`: up to nr); `while (i--)`, `while (--i >= 0)` below i as it
 * stood before the test took one off. Other shapes (`pages[--i]` in the body) are not judged.
 */
function unwindOf(sim: SimContext, h: { element: boolean; index?: string }, a: Node): ReleaseEvent['upTo'] {
  const loop = h.element && h.index ? enclosingLoop(sim, h.index) : undefined;
  if (!loop?.bound || !loop.index || !SLOT_NAME.test(loop.bound) || a.descendantsOfType('update_expression').length) return undefined;
  const c0 = loop.node.childForFieldName('condition');
  const c = c0 ? strip(c0) : undefined;
  if (loop.fromZero && loop.bound !== loop.index) {
    const op = c?.type === 'binary_expression' ? (c.childForFieldName('operator')?.text ?? '') : '';
    return op === '<' ? { name: loop.bound, shift: 0 } : op === '<=' ? { name: loop.bound, shift: 1 } : undefined;
  }
  const dec = c?.type === 'binary_expression' ? c.childForFieldName('left') : c;
  if (loop.bound === loop.index && dec?.type === 'update_expression' && dec.text.includes('--')) return { name: loop.index, shift: 1 };
  return undefined;
}

export function release(sim: SimContext, st: State, idx: number, ev: ReleaseEvent): void {
  const set = st.sets[idx];
  const bound = set.mode !== 'EXTRACT' || ev.family === 'bio';
  ev.guarded = ev.guarded || bound;
  for (const c of sim.opts.checkers) c.onRelease?.(sim.opts.cx, st, set, ev);
  const site = set.site >= 0 ? siteOf(sim, set) : undefined;
  const how = set.mode === 'UNKNOWN' ? 'unknown' : set.param !== undefined ? (set.origin ? 'callers' : 'unknown') : site?.api.kind === 'summary' ? 'helper' : 'acquire';
  noteRelease(sim, ev, how, set.mode === 'UNKNOWN' ? undefined : set.mode, set.origin?.api ?? site?.api.name);
  if (ev.family !== 'bio' && set.mode !== 'NONE' && mayHold(set) && !ev.tail) set.folios = dropPair(set.folios, ev.family);
  if (ev.whole) { set.state = 'released'; set.releasedAt = { node: ev.node, api: ev.api, ...(ev.viaHelper ? { via: ev.viaHelper } : {}) }; }
  // an object's field released whole with a count kept in the object: the path remembers it until either is reset
  if (ev.whole && ev.family !== 'bio' && /^[A-Za-z_]\w*->[\w>.-]+$/.test(set.holder) && ev.count?.includes('->') && !st.relFields[set.holder]) {
    st.relFields[set.holder] = fieldReleased(ev, set.holder);
  }
  if (!ev.whole) set.partial = true;
  if (set.site >= 0) outcome(sim, set.site).releases.set(`${ev.node.startIndex}`, { node: ev.node, api: ev.api, viaHelper: ev.viaHelper });
  pushStep(st, {
    range: rangeOf(ev.node),
    note: `${ev.viaHelper ? `${ev.viaHelper}() → ` : ''}${ev.api}(${ev.argText}${ev.count && ev.release && ev.release.countArg >= 0 ? `, ${ev.count}` : ''})${ev.count && ev.release && ev.release.countArg < 0 ? ` for each of ${ev.count} pages` : ''}${ev.whole ? '' : ' (one page)'}`,
    ledger: ledger(set.holder, set.mode, set.state, ev.count ?? '', set.folios),
  });
  recordEffect(sim, st, set, { effect: 'releases', family: ev.family, api: ev.api });
}

/** A release call met on a path, with what the path knew of the pages' mode (FileAnalysis.releaseSites). */
function noteRelease(sim: SimContext, ev: ReleaseEvent, how: Provenance, mode?: Mode, from?: string): void {
  if (ev.family === 'bio') return;
  let r = sim.result.releaseModes.get(ev.node.startIndex);
  if (!r) {
    r = { node: ev.node, api: ev.api, ...(ev.viaHelper ? { via: ev.viaHelper } : {}), modes: new Set(), how: new Set(), from: new Set() };
    sim.result.releaseModes.set(ev.node.startIndex, r);
  }
  r.how.add(how);
  if (mode) r.modes.add(mode);
  if (from) r.from.add(from);
}

/** The guard key for a path that tested the iterator itself (true: user-backed, pinned). */
export const WILL_PIN_GUARD = 'iov_iter_extract_will_pin()';

/**
 * A release of a field's pages that no page set explains (a teardown's), with
 * the flag fields this path tested: the teardown may release extracted pages
 * only under the flag that says they were pinned.
 */
function recordFieldRelease(sim: SimContext, st: State, holder: string, ev: ReleaseEvent): void {
  let r = sim.result.fieldReleases.find(x => x.node.id === ev.node.id);
  if (!r) {
    r = { field: holder, family: ev.family, api: ev.api, node: ev.node, viaHelper: ev.viaHelper, guards: [] };
    sim.result.fieldReleases.push(r);
  }
  const guard: Record<string, boolean> = {};
  for (const k of Object.keys(st.bools).sort()) {
    const v = st.bools[k];
    if (typeof v === 'boolean' && isFlagField(sim.opts.flagNames, k)) guard[k] = v;
  }
  // or the path asked the iterator itself (`if (user_backed_iter(&rq->iter))`)
  const backing = new Set(Object.values(st.iters));
  if (backing.size === 1) guard[WILL_PIN_GUARD] = backing.has('user');
  const g = JSON.stringify(guard);
  if (!r.guards.some(x => JSON.stringify(x) === g)) r.guards.push(guard);
}

/** What a path remembers of a struct field it released whole (State.relFields). */
function fieldReleased(ev: ReleaseEvent, field: string): State['relFields'][string] {
  return { line: ev.node.startPosition.row + 1, api: ev.viaHelper ? `${ev.viaHelper}()` : `${ev.api}()`, count: ev.count ?? '', field, at: ev.node.id, ...(ev.viaHelper ? { via: ev.viaHelper } : {}) };
}

const PFN_TO_PAGE = new Set(['pfn_to_page', 'phys_to_page', 'pfn_folio', 'sg_page']);
/** Locals the function assigns from a pfn, physical address or sg entry read out of a struct field (`page = pfn_to_page(obj->pfns[i])`, `page = sg_page(&obj->sg[i])`). */
const pfnLocals = perFunction((sim) => {
  const out = new Set<string>();
  for (const a of sim.def.body.descendantsOfType(['assignment_expression', 'init_declarator'])) {
    const l = a?.childForFieldName(a.type === 'init_declarator' ? 'declarator' : 'left'), r = a?.childForFieldName(a.type === 'init_declarator' ? 'value' : 'right');
    const call = r ? strip(r) : undefined;
    if (l && call?.type === 'call_expression' && PFN_TO_PAGE.has(calleeName(call) ?? '') && holderText(call).text.includes('->')) out.add(norm(l.text).replace(/^\*+/, ''));
  }
  return out;
});

export function untrackedRelease(sim: SimContext, st: State, holder: string, ev: ReleaseEvent): void {
  // (a field's release is told its mode by the field's fills, in analyse.ts)
  noteRelease(sim, ev, 'unknown');
  if (holder.includes('->') && ev.family !== 'bio') recordFieldRelease(sim, st, holder, ev);
  // a local found again from a slot of a field's array of pfns, physical addresses or sg entries
  // (`page = pfn_to_page(mem->hpas[i] >> PAGE_SHIFT)`, `page = sg_page(&ro->op_sg[i])`): that field's page. (Not a plain
  // `page = obj->pages[i]` put: such arrays also hold page-cache pages the file puts there; unpinned, it is the field's page:
  // only pins are unpinned, `p = ctx->pages[i][j]; unpin_user_pages_dirty_lock(&p, 1, dirty)`.)
  const slotOf = st.derived[holder];
  if (!holder.includes('->') && slotOf?.endsWith('+') && slotOf.includes('->') && ev.family !== 'bio' && (ev.family === 'unpin' || pfnLocals(sim).has(holder))) recordFieldRelease(sim, st, slotOf.slice(0, -1), ev);
  // (or the first entry of a field's sg array, `page = sg_page(ao->op_sg)`)
  const firstEntry = slotOf?.startsWith(SG_ENTRY) ? slotOf.slice(SG_ENTRY.length) : undefined;
  if (!holder.includes('->') && firstEntry && /^[A-Za-z_]\w*->[\w>.-]+$/.test(firstEntry) && ev.family !== 'bio' && pfnLocals(sim).has(holder)) recordFieldRelease(sim, st, firstEntry, ev);
  // a local holding a field's whole array, released as an array (`pvec = obj->userptr.pvec; unpin_user_pages(pvec, n)`):
  // that field's pages. (Not one page read from a field, `page = map->page; put_page(page)`: such a field may hold a
  // reference the file took itself on a pinned page, `get_page()`.)
  const asArray = !!ev.release && (ev.release.array || ev.release.countArg >= 0);
  if (!holder.includes('->') && slotOf && !slotOf.endsWith('+') && asArray && /^[A-Za-z_]\w*->[\w>.-]+$/.test(slotOf) && ev.family !== 'bio') recordFieldRelease(sim, st, slotOf, ev);
  // a local copied from a field (`pages = obj->pages`) releases the field's pages
  const from = st.derived[holder];
  if (from && from.includes('->') && !from.endsWith('+') && ev.whole && !st.relFields[from]) {
    st.relFields[from] = fieldReleased(ev, from);
  }
  // the same field released whole again on this path, neither it nor its count written between
  // (a field that is one page, `vm->ring_page`, is released whole by a one-page release)
  const onePage = !ev.whole && !/\[/.test(ev.argText) && !!ev.release && ev.release.countArg < 0 && !ev.release.array && !st.derived[holder];
  if (holder.includes('->') && ev.family !== 'bio' && (ev.whole || onePage) && /^[\w>.-]+$/.test(holder)) {
    const before = st.relFields[holder];
    // (the same call reached again is a loop's next iteration, with the field filled again)
    if (before && before.at !== ev.node.id) ev.releasedBefore = before;
    st.relFields[holder] = fieldReleased(ev, holder);
  }
  const root = rootOf(holder);
  const pi = sim.params.indexOf(root);
  if (pi >= 0 && holder !== root) {
    const suffix = holder.slice(root.length);
    const count = ev.whole && ev.count ? paramRelative(sim, ev.count) : undefined;
    addEffect(sim, st, `${pi}:releases:${ev.family}:${suffix}`, { index: pi, name: root + suffix, effect: 'releases', family: ev.family, api: ev.api, always: false, ...(count ? { count } : {}) });
  }
  // a holder filled by an acquire elsewhere in the function, released with no
  // count or the count that acquire asks for (loops filling slot by slot keep
  // their own count, which is 0 before the first slot: not judged)
  const sites = sim.sites.filter(s => s.holder === holder);
  const assigned = sim.assignedFrom.get(holder);
  const inLoop = !!(sim.cur && sim.cur.kind !== 'exit' && sim.cur.loops.length);
  ev.acquiredHere = sim.acquireHolders.has(holder) && (assigned === undefined || (assigned >= 0 && ev.node.startIndex < assigned && !inLoop))
    && !ev.viaHelper && !sim.loopHolders.has(holder)
    && (ev.count === null || sites.some(s => s.requested === ev.count) || sites.length === 0);
  for (const c of sim.opts.checkers) c.onRelease?.(sim.opts.cx, st, undefined, ev);
}

/** A count expression of the function in its parameters (`sb->nr_pages` -> `0->nr_pages`, `n` -> `2`), for summaries. */
function paramRelative(sim: SimContext, count: string): string | undefined {
  const root = rootOf(count);
  const pi = sim.params.indexOf(root);
  if (pi < 0 || !/^[\w>.-]+$/.test(count)) return undefined;
  return `${pi}${count.slice(root.length)}`;
}
