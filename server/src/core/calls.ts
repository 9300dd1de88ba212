// Calls for the path simulator: acquires create page sets, releases are matched
// against them by family and count, bios, sg tables, owners and stores take
// them, helpers' summaries apply, unknown callees may take them (escape); the
// function's effects on its parameters and struct fields are recorded here.
import {
  ACQUIRE_BY_NAME, AcquireApi, BIO_ADD, BIO_ALLOC, BIO_FLAGS, DMA_USES, HARMLESS, KERNEL_ITER_INIT, GET_REF,
  BIO_PAGES, BVEC_SET, CONTAINER_FREES, OWNER_HANDOFF, RELEASE_BY_NAME, USER_ITER_INIT, WILL_PIN_PREDICATES,
} from './apis';
import { ledger, pairFor } from './counters';
import type { ReleaseEvent } from './checkers/checker';
import { ALL_OUTCOMES, AcquireSite, Outcome, PageSet, State, mayHold, newSet, pushStep } from './ledger';
import { addressedName, callArgs, calleeName, isNullLiteral, norm, rangeOf, strip } from './syntax';
import type { Node } from './syntax';
import type { FunctionSummary, Mode, ParamEffect } from './types';
import { zeroedCall } from './zeroed';
import {
  CONVERSIONS, addEffect, recordEffect, sgTablePath, sgTableWalked, rootOf, holderText, findSetByHolder, forgetValue, perFunction, siteOf,
  enclosingLoop, outcome,
} from './sim-state';
import type { Val, SimContext } from './sim-state';
import { BYTES } from './count-terms';
import { evalExpr } from './eval';
import { evalRelease, release, untrackedRelease } from './release-call';

/** Accessors that read a page or folio and keep nothing. */
const READERS = /^(IS_ERR|IS_ERR_OR_NULL|PTR_ERR|PTR_ERR_OR_ZERO|folio_test_\w+|folio_(nr_pages|size|shift|order|pfn|address|mapping|index|pos|page_idx|mapped|nid|zone|memcg|lock|unlock|trylock|wait_locked)|Page[A-Z]\w*|page_(mapping|index|mapped|zone|to_nid|pgdat|count|mapcount|maybe_dma_pinned)|is_zero_\w+|trylock_page|wait_on_page_\w+|flush_\w*page\w*|clear_user_highpage|copy_(to|from)_user_page|memcpy_(to|from)_folio|kmap_\w+|kunmap_\w+)$/;

/** Marking a page dirty: the caller wrote to it (pin_user_pages.rst case 5). */
const DIRTY = new Set(['set_page_dirty', 'set_page_dirty_lock', 'folio_mark_dirty', 'SetPageDirty']);

export function evalCall(sim: SimContext, st: State, call: Node): Val {
  const name = calleeName(call);
  const args = callArgs(call);
  zeroedCall(st, call);
  if (!name) {
    for (const a of args) if (a.type === 'call_expression') evalExpr(sim, st, a);
    for (const a of args) escapeArg(sim, st, a, call);
    return null;
  }
  if (name === 'likely' || name === 'unlikely' || name === 'WARN_ON' || name === 'WARN_ON_ONCE' || name === 'READ_ONCE') {
    return args[0] ? evalExpr(sim, st, args[0]) : null;
  }
  const acq = ACQUIRE_BY_NAME.get(name);
  if (acq) return acquire(sim, st, call, acq, args);
  if (name === 'sg_page' && args[0]) {
    // sg_page(sg) inside for_each_sg: a page of the set the sg table was built from
    // (not for acquires in loops: the table then holds pages of every iteration)
    const sgSets = st.sets.map((p, i) => [p, i] as const).filter(([p]) => p.handoff?.kind.includes('sg table') && !siteOf(sim, p)?.inLoop);
    if (sgSets.length === 1) return { kind: 'holder', set: sgSets[0][1], element: true, index: '<sg>' };
  }
  if (CONVERSIONS.has(name) && args[0]) {
    // page_to_pfn(page), page_address(page), …: the value still stands for the page
    const v = evalExpr(sim, st, args[0]);
    if (v?.kind === 'holder') return { ...v, element: true };
    const h = holderText(args[0]);
    const idx = findSetByHolder(st, h.text);
    return idx >= 0 ? { kind: 'holder', set: idx, element: true } : null;
  }
  // evaluate nested calls in the arguments first (C evaluates arguments before the call)
  for (const a of args) if (a.type === 'call_expression' || a.type === 'assignment_expression' || a.type === 'conditional_expression') evalExpr(sim, st, a);
  const rel = RELEASE_BY_NAME.get(name);
  if (rel) {
    evalRelease(sim, st, call, name, rel, args, n => evalExpr(sim, st, n));
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
        for (const c of sim.opts.checkers) c.onBioFlag?.(sim.opts.cx, st, bio, flag, call);
      } else b.flags = b.flags.filter(f => f !== flag);
    }
    return null;
  }
  if (GET_REF.has(name)) {
    const a = args[0];
    const idx = a ? findSetByHolder(st, holderText(a).text) : -1;
    if (idx >= 0) takeReference(sim, st, idx, call);
    // a reference taken again on a field's page: a release after it is not the same release again
    else if (a) delete st.relFields[holderText(a).text];
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
      handOff(sim, st, idx, call, `added to bio ${bio}`);
      // a completion of the file may release them by walking the bio's bvecs
      const m = st.sets[idx].mode;
      if (m === 'PIN' || m === 'GET') recordFieldStore(sim, BIO_PAGES, st.sets[idx], call);
      for (const c of sim.opts.checkers) c.onBioAdd?.(sim.opts.cx, st, bio, st.sets[idx], call);
    }
    // (`bio_add_hw_folio(…, &same_page)` says whether it merged the page into the last bvec)
    forgetAddressed(st, args);
    return null;
  }
  if (BVEC_SET.has(name) && args[0] && args[1]) {
    setBvecPage(sim, st, args[0], args[1], call);
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
      if (DMA_USES.has(name)) for (const c of sim.opts.checkers) c.onDmaUse?.(sim.opts.cx, st, st.sets[idx], call, name);
      handOff(sim, st, idx, call, `given to the ${owner.owner} by ${name}()`);
      // an sg entry or table that is a struct's field (`sg_set_page(&tab->page[i].mem, page, …)`,
      // `sg_alloc_table_from_pages(&obj->sgt, pages, …)`): the field holds the pages now
      // (an entry of a walk, `for_each_sg(chunk->page_list, sg, …) sg_set_page(sg, …)`: of the table walked)
      const sgEntry = name === 'sg_set_page' && args[0] ? norm(strip(args[0]).text).replace(/^&/, '') : '';
      // (or a pointer to one of a field's entries, `sg = &op->op_sg[n + j]; sg_set_page(sg, …)`)
      const into = st.derived[sgEntry]?.endsWith('+') && st.derived[sgEntry].includes('->') ? st.derived[sgEntry].slice(0, -1) : undefined;
      const entry = owner.owner === 'sg table' && owner.arg > 0 && args[0] ? (name === 'sg_set_page' ? (sgEntry.includes('->') ? sgEntry : sgTableWalked(sim, sgEntry) ?? into ?? sgEntry) : sgTablePath(args[0])) : '';
      if (entry.includes('->')) recordFieldStore(sim, entry, st.sets[idx], call, true);
    }
    forgetAddressed(st, args);
    return null;
  }
  if (DMA_USES.has(name)) {
    for (const a of args) {
      const idx = findSetByHolder(st, holderText(a).text);
      if (idx >= 0) for (const c of sim.opts.checkers) c.onDmaUse?.(sim.opts.cx, st, st.sets[idx], call, name);
    }
  }
  forgetAddressed(st, args);
  recordArgModes(sim, st, call, name, args);
  const sum = sim.opts.summaries.get(name);
  if (sum) return applySummary(sim, st, call, sum, args);
  if (DIRTY.has(name)) {
    const idx = args[0] ? findSetByHolder(st, holderText(args[0]).text) : -1;
    if (idx >= 0) for (const c of sim.opts.checkers) c.onDmaUse?.(sim.opts.cx, st, st.sets[idx], call, name);
    return null;
  }
  // a new bio: the allocators, and the subsystems' own wrappers of them (blk_rq_map_bio_alloc())
  if (BIO_ALLOC.has(name) || /_bio_alloc$/.test(name)) return { kind: 'bio' };
  // a bio on the stack (`bio_init(&bio, …)`) is the function's own too
  if ((name === 'bio_init' || name === 'bio_init_inline') && args[0] && /^&\w+$/.test(norm(args[0].text))) {
    // keyed as the other bio calls write it (`&bio`)
    st.bios[norm(args[0].text)] = { flags: [], sets: [], local: true, addedAt: [] };
    return null;
  }
  if (sim.opts.local?.has(name)) {
    // a helper of this file we read: it neither releases nor keeps the pages — but a
    // bio it is given may be submitted or emptied there (a summary says nothing of bios)
    for (const a of args) {
      if (strip(a).type === 'call_expression') evalExpr(sim, st, a);
      handOnBio(st, a, name);
    }
    return null;
  }
  if (CONTAINER_FREES.has(name)) freeContainer(sim, st, call, name, args[name === 'kmem_cache_free' ? 1 : 0]);
  if (HARMLESS.has(name) || READERS.test(name)) {
    for (const a of args) if (a.type === 'call_expression') evalExpr(sim, st, a);
    return null;
  }
  for (const a of args) escapeArg(sim, st, a, call);
  return null;
}

/**
 * Pages of a known mode given to a function (`xbuf_unpin(pages, n)`): what the
 * callee's parameter holds at this call, for the callee's top-down judgement.
 * The array or one page of it; the pages must still be held on this path.
 */
function recordArgModes(sim: SimContext, st: State, call: Node, name: string, args: Node[]): void {
  args.forEach((a, index) => {
    const idx = findSetByHolder(st, holderText(a).text);
    const set = idx >= 0 ? st.sets[idx] : undefined;
    // a local function given something else at this position (pages of no known mode — a
    // kernel allocation, a field — or nothing at all): its parameter has no one mode
    if ((!set || set.mode === 'UNKNOWN') && sim.opts.local?.has(name) && !isNullLiteral(a) && strip(a).type !== 'number_literal') {
      if (!sim.result.argCalls.some(c => c.call.id === call.id && c.index === index)) sim.result.argCalls.push({ callee: name, index, mode: 'UNKNOWN', api: '', acquire: call, call });
      return;
    }
    // (pages handed on — passed to another callee, stored — still have their mode; released ones are gone)
    if (!set || set.state === 'released' || !mayHold(set) || set.mode === 'UNKNOWN') return;
    const site = siteOf(sim, set);
    // a parameter's pages with a mode from the callers pass it on (a chain of helpers)
    const acquire = site?.call ?? (set.param !== undefined ? sim.def.node : undefined);
    if (!acquire) return;
    const api = site ? site.api.name : set.origin?.api ?? '';
    if (sim.result.argCalls.some(c => c.call.id === call.id && c.index === index && c.mode === set.mode)) return;
    sim.result.argCalls.push({ callee: name, index, mode: set.mode, api, acquire, call });
  });
}

/**
 * `kvfree(pages)` while the array still holds pages, or `kfree(obj)` after the
 * pages were stored in `obj->pages`: the memory that held them is gone, the
 * pages are not released. The checkers judge it; the set counts as lost here.
 */
function freeContainer(sim: SimContext, st: State, call: Node, api: string, arg: Node | undefined): void {
  const a = arg && strip(arg);
  if (!a || a.type === 'call_expression') return;
  const freed = norm(a.text).replace(/^\(\w[\w\s*]*\)\s*/, '');
  st.sets.forEach((set, i) => {
    const stored = set.state === 'handed-off' && set.stores === 1 && set.handoff?.kind.startsWith(`stored in ${freed}->`);
    const inArray = set.state === 'held' && (findSetByHolder(st, freed) === i || set.holder.startsWith(`${freed}->`));
    if (set.site < 0 || (!stored && !inArray)) return;
    for (const c of sim.opts.checkers) c.onFree?.(sim.opts.cx, st, set, call, api);
  });
  // a field's array no page set of this function explains (a teardown's), freed before this path released its pages
  // (a release of it written above, in a loop this path skipped because it had nothing to release, counts)
  // (an array this function fills slot by slot from pages it holds elsewhere, `mem->hpas[i] = page_to_pfn(page) << PAGE_SHIFT`,
  // holds none of them on a path that did not get to those stores)
  const storedHere = (p: PageSet) => p.handoff?.kind.startsWith(`stored in ${freed}[`) || p.handoff?.kind === `stored in ${freed}`;
  const notYetFilled = !sim.acquireHolders.has(freed) && slotStoresOf(sim).has(freed) && !st.sets.some(storedHere);
  if (/^[A-Za-z_]\w*->[\w>.-]+$/.test(freed) && !notYetFilled && findSetByHolder(st, freed) < 0 && !st.relFields[freed] && !releaseCallOf(sim, freed, call, 'before')
    && !sim.result.fieldFrees.some(f => f.node.id === call.id)) sim.result.fieldFrees.push({ field: freed, api, node: call, releasedBelow: releaseCallOf(sim, freed, call, 'after') });
}

/** The fields whose slots the function assigns (`obj->pages[i] = …`), as written. */
const slotStoresOf = perFunction((sim) => {
  const out = new Set<string>();
  for (const a of sim.def.body.descendantsOfType('assignment_expression')) {
    const l = a?.childForFieldName('left');
    const arr = l?.type === 'subscript_expression' ? l.childForFieldName('argument') : undefined;
    if (arr?.type === 'field_expression') out.add(norm(arr.text));
  }
  return out;
});

/** A release call of the function, written before (or after) `at`, whose pages argument is `field` or one of its slots. */
function releaseCallOf(sim: SimContext, field: string, at: Node, where: 'before' | 'after'): boolean {
  for (const c of sim.def.body.descendantsOfType('call_expression')) {
    if (!c || (where === 'after' ? c.startIndex <= at.startIndex : c.startIndex >= at.startIndex)) continue;
    const rel = RELEASE_BY_NAME.get(calleeName(c) ?? '');
    const a = rel ? callArgs(c)[rel.pagesArg] : undefined;
    if (a && holderText(a).text === field) return true;
  }
  return false;
}

/**
 * `bvec_set_page(&bv[i], page, …)` / `bvec_set_page(bv + n, *pages++, …)`:
 * the bvec array holds the pages; `bv[j].bv_page` names them afterwards, and
 * so does `bv` itself (passed to a helper that releases the array). A bvec
 * array that is a struct field (`&rreq->direct_bv[i]`) is filled like one.
 */
function setBvecPage(sim: SimContext, st: State, entry: Node, page: Node, call: Node): void {
  const v = evalExpr(sim, st, page);
  const idx = v?.kind === 'holder' ? v.set : findSetByHolder(st, holderText(page).text);
  if (idx < 0) return;
  const arr = holderText(entry).text;
  if (!/^[A-Za-z_][\w>.-]*$/.test(arr)) return;
  if (arr.includes('->')) { recordFieldStore(sim, `${arr}[].bv_page`, st.sets[idx], call); return; }
  st.aliases[`${arr}[].bv_page`] = idx;
  st.aliases[arr] = idx;
}

/** get_page() on pages that held nothing (a kernel-backed extraction) gives them a reference. */
function takeReference(sim: SimContext, st: State, idx: number, node: Node): void {
  const set = st.sets[idx];
  if (set.mode === 'NONE' || set.mode === 'UNKNOWN') {
    if (set.mode === 'NONE') { set.mode = 'GET'; set.folios = pairFor('GET'); unjudgedFill(sim, set); }
    pushStep(st, { range: rangeOf(node), note: `${set.holder}: a reference taken on each page`, ledger: ledger(set.holder, set.mode, set.state, '', set.folios) });
  }
  if (set.param !== undefined) addEffect(sim, st, `${set.param}:references`, { index: set.param, name: sim.params[set.param] ?? '', effect: 'references', always: false });
}

/**
 * Extracted pages stored in a field before the path took its own reference on
 * them: the field holds pins or references as the iterator is, and no
 * teardown can be judged by one mode (UNKNOWN).
 */
function unjudgedFill(sim: SimContext, set: PageSet): void {
  const at = [siteOf(sim, set)?.call.id, set.handoff?.node.id];
  for (const f of sim.result.fieldStores) if (at.includes(f.node.id)) f.mode = 'UNKNOWN';
}

function escapeArg(sim: SimContext, st: State, a: Node, call: Node): void {
  const s = strip(a);
  // (a plain call argument was evaluated with the others: once more per level of nesting would be 2^depth)
  if (s.type === 'call_expression') { if (s.id !== a.id) evalExpr(sim, st, s); return; }
  handOnBio(st, a, calleeName(call));
  const h = holderText(a);
  // `copy(maddr + off, buf, n)` with maddr = page_address(page): a use of the bytes
  if (sim.addressVars.has(rootOf(h.text))) return;
  const idx = findSetByHolder(st, h.text);
  // one page passed to a callee is a use (checksum it, map it); the array, or a
  // page of a one-page set, may be kept
  const single = idx >= 0 && (siteOf(sim, st.sets[idx])?.requested === '1');
  if (idx >= 0 && st.sets[idx].state === 'held' && (!h.element || single)) {
    st.sets[idx].escaped = true;
    outcome(sim, st.sets[idx].site).handoffs.set(`${call.startIndex}`, { node: call, kind: `passed to ${calleeName(call) ?? 'a callee'}()` });
  }
  // an object whose field holds pages, passed whole, may be released by the callee
  const root = h.text;
  st.sets.forEach(p => {
    if (p.state === 'held' && p.holder !== root && (p.holder.startsWith(root + '->') || p.holder.startsWith(root + '.'))) p.escaped = true;
    // pages stored in the object earlier (`req->pages = pages`) go with it
    if (p.state === 'handed-off' && p.handoff?.kind.startsWith(`stored in ${root}->`)) p.escaped = true;
  });
}

/** Calls that drop a bio (or its embedding) without releasing its pages. */
const BIO_DROP = new Set(['bio_put', 'bio_uninit', 'bio_reset', 'bio_free']);

/**
 * The function's own bio given to a callee (submit_bio(), a helper, a
 * completion) is handed on: its pages are no longer this path's to release —
 * unless the callee only drops the bio itself, not its pages.
 */
function handOnBio(st: State, arg: Node, callee: string | undefined): void {
  const bio = st.bios[norm(arg.text)];
  if (bio && !BIO_DROP.has(callee ?? '')) bio.gone = true;
}

export function handOff(sim: SimContext, st: State, idx: number, node: Node, kind: string): void {
  const set = st.sets[idx];
  if (!set) return;
  if (set.state === 'held') set.state = 'handed-off';
  set.handoff = { node, kind };
  const stored = /^stored in (.*->.*)$/.exec(kind);
  if (stored) recordFieldStore(sim, stored[1], set, node);
  // pages it acquired, stored in a parameter's field: the caller gets them there
  const pi = stored ? sim.params.indexOf(rootOf(stored[1])) : -1;
  const site = siteOf(sim, set);
  if (stored && pi >= 0 && site && (set.mode === 'PIN' || set.mode === 'GET')) {
    addEffect(sim, st, `${pi}:acquires:${stored[1]}`, { index: pi, name: stored[1], effect: 'acquires', mode: set.mode, api: site.api.name, always: false });
  }
  if (kind.startsWith('stored in ')) set.stores = (set.stores ?? 0) + 1;
  outcome(sim, set.site).handoffs.set(`${node.startIndex}`, { node, kind });
  pushStep(st, { range: rangeOf(node), note: `${set.holder} ${kind}` });
  recordEffect(sim, st, set, { effect: 'takes' });
}

function recordFieldStore(sim: SimContext, field: string, set: PageSet, node: Node, sg = false): void {
  const site = siteOf(sim, set);
  // extracted pages are pinned or bare as the iterator is: a teardown that
  // does not know which must ask the flag kept beside them
  const mode: Mode = set.mode === 'NONE' && site?.mode === 'EXTRACT' ? 'EXTRACT' : set.mode;
  // a parameter's pages whose mode the callers gave (top-down) fill the field as well
  const api = site?.api.name ?? set.origin?.api;
  if (!api || (mode !== 'PIN' && mode !== 'GET' && mode !== 'EXTRACT')) return;
  const prev = sim.result.fieldStores.find(f => f.node.id === node.id);
  // one path pinned what another only listed (the iterator decided both ways)
  if (prev && prev.mode !== mode && prev.mode !== 'GET' && prev.mode !== 'UNKNOWN' && mode !== 'GET') prev.mode = 'EXTRACT';
  if (prev) return;
  sim.result.fieldStores.push({ field: field.replace(/\[[^\]]*\]$/, ''), mode, api, node, ...(site?.iter ? { iter: site.iter } : {}), ...(sg ? { sg } : {}) });
}

/** A local whose address a call is given may be written there (`&same_page`): its value is not known any more. */
function forgetAddressed(st: State, args: Node[]): void {
  for (const a of args) {
    const v = addressedName(a);
    if (v) forgetValue(st, v);
  }
}

function acquire(sim: SimContext, st: State, call: Node, api: AcquireApi, args: Node[]): Val {
  for (const a of args) if (a.type === 'call_expression') evalExpr(sim, st, a);
  let site = sim.siteByCall.get(call.id);
  const pagesArg = api.pagesArg >= 0 ? args[api.pagesArg] : undefined;
  const pagesNull = api.returns !== 'page' && (!pagesArg || isNullLiteral(pagesArg));
  const iter = api.iterArg >= 0 && args[api.iterArg] ? norm(args[api.iterArg].text).replace(/^&/, '') : undefined;
  const flagNames = api.flagsArg >= 0 && args[api.flagsArg] ? traceFlags(sim, args[api.flagsArg]) : [];
  if (!site) {
    let mode: Mode = api.mode;
    let reason = api.mode === 'GET' ? `${api.name}() takes references (FOLL_GET)` : api.mode === 'PIN' ? `${api.name}() pins (FOLL_PIN)` : `${api.name}() pins user-backed iterators and takes nothing on kernel-backed ones`;
    if (pagesNull && api.mode !== 'EXTRACT') { mode = 'NONE'; reason = `${api.name}() with a NULL pages array only faults the pages in`; }
    if (api.returns === 'into-bio' && sim.opts.cx.kernel === '6.1') { mode = 'GET'; reason = `${api.name}() (6.1) takes references, and marks the bio BIO_NO_PAGE_REF for bvec iterators`; }
    const h0 = pagesArg ? holderText(pagesArg) : { text: '', element: false, index: undefined };
    const d = st.derived[h0.text];
    // a window into another array (`p = pages + n`) keeps its own name, as a window
    const h = d && !d.endsWith('+') ? { ...h0, text: d } : d ? { ...h0, element: true, index: h0.index ?? 'window' } : h0;
    const loop = h.element && h.index ? enclosingLoop(sim, h.index) : undefined;
    const requested = api.countArg >= 0 && args[api.countArg] ? norm(args[api.countArg].text) : (api.returns === 'page' || api.returns === 'bool' ? '1' : '');
    const size = api.sizeArg !== undefined && args[api.sizeArg] ? norm(args[api.sizeArg].text) : undefined;
    site = {
      ...(size ? { requestedBytes: size } : {}),
      id: sim.sites.length, api, call, mode, modeReason: reason, holder: api.returns === 'page' ? '' : h.text,
      requested: loop?.bound ?? requested, iter, perElement: !!loop, unit: loop ? requested : undefined, returns: api.returns,
      inLoop: !!(sim.cur && sim.cur.kind !== 'exit' && sim.cur.loops.length), offset: h.element && !loop ? (h.index ?? '') : '',
    };
    sim.sites.push(site);
    sim.siteByCall.set(call.id, site);
  }
  for (const c of sim.opts.checkers) c.onAcquire?.(sim.opts.cx, st, site, flagNames, pagesNull);
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
  // one slot of an array filled inside a loop: which names count it, and how far past it they stand
  const slot = pagesArg && site.inLoop ? holderText(pagesArg) : undefined;
  if (slot?.element && slot.index && sim.slotIndexes.has(slot.index)) {
    set.cover = { [slot.index]: 0 };
    set.slot = slot.index;
    const from = st.slotOf[slot.index];
    if (from) set.cover[from.of] = from.d;
  }
  // a re-acquire into the same holder replaces the old view of it
  const idx = st.sets.length;
  st.sets.push(set);
  outcome(sim, site.id);
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
    st.temps[call.id] = idx;
    return { kind: 'count', set: idx };
  }
  if (api.returns === 'into-sg') {
    // the pages are entries of the table now: its owner releases them through sg_page()
    const table = norm(args[api.pagesArg]?.text ?? '').replace(/^&/, '');
    set.holder = table;
    set.state = 'handed-off';
    set.handoff = { node: call, kind: `added to sg table ${table} by ${api.name}()` };
    outcome(sim, site.id).handoffs.set(`${call.startIndex}`, { node: call, kind: `added to sg table ${table}` });
    // a table that is a struct's field (`&rsgl->sgl.sgt`): the field holds the pages, its teardown releases them
    if (table.includes('->')) recordFieldStore(sim, table, set, call, true);
    return { kind: 'count', set: idx };
  }
  st.temps[call.id] = idx;
  if (site.holder.includes('->')) recordFieldStore(sim, site.holder, set, call);
  // a window into a field's array (`p = &ap->pages[n]`) fills that field
  else if (st.derived[site.holder]?.endsWith('+') && st.derived[site.holder].includes('->')) recordFieldStore(sim, st.derived[site.holder].slice(0, -1), set, call);
  st.zero = st.zero.filter(z => z !== site.holder);
  // the variable now names the new pages, not what it aliased before
  delete st.aliases[site.holder];
  const root = rootOf(site.holder);
  const pi = sim.params.indexOf(root);
  if (pi >= 0 && site.holder) addEffect(sim, st, `${pi}:acquires:${site.holder}`, { index: pi, name: site.holder, effect: 'acquires', mode, api: api.name, always: false });
  if (api.returns === 'page') return { kind: 'pagefrom', site: site.id };
  return { kind: 'count', set: idx };
}

/**
 * The FOLL_* names a flags argument carries, following local variables: the
 * assignments before the call, in text order (`=` resets, `|=` adds,
 * `&= ~FOLL_X` removes). Flags from parameters or fields stay unknown.
 */
function traceFlags(sim: SimContext, arg: Node, depth = 0): string[] {
  const names = new Set<string>();
  const add = (n: Node) => { for (const f of flagsOf(sim, n, arg.startIndex, depth)) names.add(f); };
  add(arg);
  for (const neg of arg.text.matchAll(/~\s*\(?\s*(FOLL_\w+)/g)) names.delete(neg[1]);
  return [...names];
}

function flagsOf(sim: SimContext, n: Node, before: number, depth: number): string[] {
  const out = new Set<string>();
  const ids = n.type === 'identifier' ? [n] : n.descendantsOfType('identifier');
  for (const id of ids) {
    if (!id) continue;
    if (/^FOLL_/.test(id.text)) { out.add(id.text); continue; }
    if (depth >= 3) continue;
    let cur = new Set<string>();
    const writes = sim.def.body.descendantsOfType(['assignment_expression', 'init_declarator'])
      .filter((a): a is Node => !!a && a.startIndex < before)
      .sort((a, b) => a.startIndex - b.startIndex);
    for (const a of writes) {
      const lhs = a.type === 'assignment_expression' ? a.childForFieldName('left') : a.childForFieldName('declarator');
      const rhs = a.type === 'assignment_expression' ? a.childForFieldName('right') : a.childForFieldName('value');
      if (!lhs || !rhs || norm(lhs.text) !== id.text) continue;
      const op = a.type === 'assignment_expression' ? (a.childForFieldName('operator')?.text ?? '=') : '=';
      const fl = flagsOf(sim, rhs, a.startIndex, depth + 1);
      if (op === '=') cur = new Set(fl);
      else if (op === '|=') fl.forEach(f => cur.add(f));
      else if (op === '&=') for (const m of rhs.text.matchAll(/~\s*\(?\s*(FOLL_\w+)/g)) cur.delete(m[1]);
    }
    cur.forEach(f => out.add(f));
  }
  return [...out];
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

/** The call site of a helper whose summary acquires pages (made once per call node, kept across paths). */
function helperSite(sim: SimContext, call: Node, sum: FunctionSummary, mode: Mode, modeReason: string, holder: string, inLoop: boolean): AcquireSite {
  let site = sim.siteByCall.get(call.id);
  if (!site) {
    site = {
      id: sim.sites.length, api: { name: sum.name, kind: 'summary', helper: sum.name }, call, mode, modeReason, holder, requested: '', perElement: false,
      inLoop, offset: '', returns: 'count',
    };
    sim.sites.push(site);
    sim.siteByCall.set(call.id, site);
  }
  return site;
}

function applySummary(sim: SimContext, st: State, call: Node, sum: FunctionSummary, args: Node[]): Val {
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
    const loopIdx = h.element && h.index ? enclosingLoop(sim, h.index) : undefined;
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
      sim.callNodes.set(call.id, call);
      ret = { kind: 'status', pending: { set: r.idx, family: e.family, api: e.api ?? sum.name, helper: sum.name, call: call.id, argText: r.a.text, escaped: set.escaped } };
      set.escaped = true;
      outcome(sim, set.site).handoffs.set(`${call.startIndex}`, { node: call, kind: `released by ${sum.name}() if it fails` });
    } else if (families.size === 1 && e.always && e.family) {
      const count = effs.every(x => x.count === e.count) ? countAtCall(e.count, args) : null;
      const copied = count ? st.copies[count] : undefined;
      const ev: ReleaseEvent = { node: call, api: e.api ?? sum.name, family: e.family, whole: !r.element, count, viaHelper: sum.name, argText: r.a.text, guarded: false,
        ...(copied && !copied.startsWith(BYTES) ? { countIs: copied } : {}) };
      if (r.idx >= 0) release(sim, st, r.idx, ev);
      else untrackedRelease(sim, st, r.holder, ev);
    } else if (r.idx >= 0) {
      st.sets[r.idx].escaped = true;
      outcome(sim, st.sets[r.idx].site).handoffs.set(`${call.startIndex}`, { node: call, kind: `may be released by ${sum.name}()` });
    }
  }
  for (const e of sum.params) {
    if (e.effect === 'releases') continue;
    const r = resolve(e);
    if (!r) continue;
    if (e.effect === 'takes' && r.idx >= 0) handOff(sim, st, r.idx, call, `taken by ${sum.name}()`);
    else if (e.effect === 'references' && r.idx >= 0) takeReference(sim, st, r.idx, call);
    else if (e.effect === 'acquires') {
      const holder = r.holder;
      const site = helperSite(sim, call, sum, e.mode ?? 'UNKNOWN', `${sum.name}() ${e.api ? `calls ${e.api}()` : 'acquires'} on its parameter ${e.name}`, holder,
        // a 0-or-errno helper that fails may still have kept what it pinned before the failure —
        // unless its summary says which failing paths keep them (keptOnError: they are judged as
        // held); a helper that returns the count it obtained on every path is judged like the API it
        // wraps (one that acquires on some paths only may say which by other means: `*need_drop = 1`)
        e.returns === 'count' && e.always ? !!(sim.cur && sim.cur.kind !== 'exit' && sim.cur.loops.length) : !(e.returns === 'status' && e.keptOnError));
      if (e.returns === 'status') site.returns = 'status';
      // 'partial' of a 0-or-errno helper: it failed but left pages there (keptOnError)
      const set = newSet(site, site.mode, site.returns === 'status' ? (e.keptOnError ? ['neg', 'partial', 'full'] : ['neg', 'full']) : [...ALL_OUTCOMES]);
      // the helper also gave the caller another handle on them (an out-parameter): not judged as leaked here
      if (e.alsoStored) set.escaped = true;
      st.sets.push(set);
      outcome(sim, site.id);
      // into a struct field given as the helper's own array (`lock_one(va, &ctx->pages[i][j])`): the
      // helper fills that field. (A helper that stores into its parameter's field, `ubuf->folios[n] = …`,
      // is that field's fill itself, with what else it did with the pages.)
      if (holder.includes('->') && !/->|\./.test(e.name)) recordFieldStore(sim, holder, set, call);
      st.temps[call.id] = st.sets.length - 1;
      pushStep(st, { range: rangeOf(call), note: `${sum.name}() acquires ${holder} (${site.mode})`, ledger: ledger(holder, site.mode, 'held', '?', pairFor(site.mode)) });
      ret = { kind: 'count', set: st.sets.length - 1 };
    }
  }
  // pages the helper acquired and returns (`pages = sev_pin_memory(…)`): the variable it is assigned to holds them,
  // with their mode; their leaks are not judged (a helper's failure may leave anything behind)
  if (sum.returns && !ret) {
    const site = helperSite(sim, call, sum, sum.returns.mode, `${sum.name}() returns pages it took with ${sum.returns.api}()`, '', true);
    st.sets.push(newSet(site, site.mode, ['neg', 'zero', 'full']));
    outcome(sim, site.id);
    pushStep(st, { range: rangeOf(call), note: `${sum.name}() returns pages (${site.mode})` });
    ret = { kind: 'pagefrom', site: site.id };
  }
  if (!ret) for (const a of args) if (strip(a).type === 'call_expression') evalExpr(sim, st, a);
  return ret;
}
