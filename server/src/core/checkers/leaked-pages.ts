// leaked-pages — every path hands back or hands on what it took.
//
// Rule: when a path leaves the function, pages it obtained are released,
// stored (struct field, global, out-parameter), returned, or given to an owner
// (bio, sg table, skb, a callee whose summary takes them). Freeing the memory
// that holds them — the array (`kvfree(pages)`) or the object they were
// stored in (`kfree(obj)` after `obj->pages = pages`) — is no hand-off: the
// pages are lost there, and reported there.
// False-positive policy: pages passed to a callee we cannot see are assumed
// taken; pages in an array owned by the caller (a parameter, a field of an
// object) are the caller's on success; a parameter array is reported only when
// the path returns an error, an object's field (or an sg entry of it that
// `sg_set_page()` filled) only when the function releases that field itself
// on other paths (else its teardown does); paths where the acquire obtained nothing are not leaks; the
// function's end after a noreturn call is still an end (we do not model them);
// acquires inside a loop fill an array across iterations the simulation
// folds into one, so their leaks are not claimed — except a return inside the
// loop body that acquired, one page per iteration into a local array left
// behind by an error return, and one page per iteration into a local pointer
// (below: `lostWithIteration`).
//
// One page per iteration into a local pointer (`page = get_user_page_vma_remote()`,
// `pin_user_pages_fast(addr, 1, …, &page)`): an iteration that ends (`continue`,
// the body's end) still holding it loses it to the next iteration's acquire, or
// to the end of the pointer's scope; a `break` that leaves the loop holding it
// loses it when nothing after the loop names the pointer. Not claimed when the
// acquire is conditional on the pointer itself (a page kept across iterations
// on purpose: `if (!page) get_user_pages(…, &page)`) or the pointer is named
// after the loop (it carries the page out).
//
// The slot an iteration filled, left out of the unwind (slotLeftOut): one
// slot per iteration (`pages + i`, `&obj->pages[obj->nr]`), a later step of
// the same iteration fails before the index or the count it was read from
// moves past the slot, and the unwind releases the slots below that name
// (`while (i--)`, `for (j = 0; j < nr; j++)`, `unpin_user_pages(pages, nr)`).
// Judged only for those unwind shapes, with the name followed by ++, --, +=
// and -= (any other write forgets it); not where the slot's page went to a
// callee we cannot see, or was released on its own before the unwind.
import { consequence, heldWords, ledger } from '../counters';
import { leakFixes } from '../fixes';
import { mayHold } from '../ledger';
import { callArgs, norm } from '../syntax';
import type { Node } from '../syntax';
import type { LoopInfo } from '../cfg';
import type { AcquireSite, PageSet, State } from '../ledger';
import type { CheckContext, Checker, ReleaseEvent } from './checker';
import { cite } from '../cite';

const LOOPS = new Set(['for_statement', 'while_statement', 'do_statement']);

/** `exit` is inside the innermost loop that contains `acquire`. */
function sameLoop(acquire: Node, exit: Node, body: Node): boolean {
  let loop: Node | null = acquire.parent;
  while (loop && loop.id !== body.id && !LOOPS.has(loop.type)) loop = loop.parent;
  if (!loop || loop.id === body.id) return false;
  return exit.startIndex >= loop.startIndex && exit.endIndex <= loop.endIndex;
}

/** The innermost loop around `n` inside `body`. */
function loopAround(n: Node, body: Node): Node | undefined {
  for (let p = n.parent; p && p.id !== body.id; p = p.parent) if (LOOPS.has(p.type)) return p;
  return undefined;
}

/**
 * The loop whose iterations each take one page into this local pointer and
 * must let go of it before the iteration ends; undefined when the pages are
 * not of that kind (see the header).
 */
function perIterationPointer(cx: CheckContext, set: PageSet, site: AcquireSite): Node | undefined {
  if (!site.inLoop || site.perElement || !/^\w+$/.test(set.holder) || cx.isCallerOwned(set.holder)) return undefined;
  if (site.returns !== 'page' && site.requested !== '1') return undefined;
  const loop = loopAround(site.call, cx.fn.body);
  if (!loop) return undefined;
  const named = new RegExp(`\\b${set.holder}\\b`);
  // `if (!page) get…(&page)`: kept across iterations on purpose
  for (let p = site.call.parent; p && p.id !== loop.id; p = p.parent) {
    const cond = p.type === 'if_statement' || p.type === 'conditional_expression' ? p.childForFieldName('condition') : null;
    if (cond && named.test(cond.text) && !cond.text.includes(site.call.text)) return undefined;
  }
  if (named.test(cx.text.slice(loop.endIndex, cx.fn.body.endIndex))) return undefined;
  return loop;
}

/** The sg entry of a struct field that a set was handed to (`sg_set_page(&tab->page[i].mem, page, …)`), as written without `&`. */
function sgEntryOf(set: PageSet): string | undefined {
  if (set.site < 0 || set.state !== 'handed-off' || !set.handoff || !/sg table by sg_set_page/.test(set.handoff.kind)) return undefined;
  const a = callArgs(set.handoff.node)[0];
  const t = a ? norm(a.text).replace(/^&/, '') : '';
  return t.includes('->') ? t : undefined;
}

function heldHere(set: PageSet): boolean {
  return set.site >= 0 && set.state === 'held' && !set.escaped && !set.partial && mayHold(set) && set.mode !== 'NONE' && set.mode !== 'UNKNOWN';
}

function report(cx: CheckContext, st: State, set: PageSet, site: AcquireSite, node: Node, where: string, callerOwned = false, exit?: { node: Node | null }): void {
  const partial = set.outcomes.includes('partial') && !set.outcomes.includes('full');
  // a 0-or-errno helper's 'partial': it failed and left its pages there
  const leftOnFailure = partial && site.returns === 'status';
  // one page (`&page`, a returned page) or an array of them
  const one = site.returns === 'page' || (site.requested === '1' && !site.perElement);
  const what = heldWords(set.mode);
  cx.report(st, {
    code: 'leaked-pages', node, set, step: where.startsWith('the function') ? 'leaves the function still holding the pages' : / frees the /.test(where) ? 'freed while it still holds the pages' : 'the iteration ends still holding the page',
    message: `${set.holder || 'the page'} ${what} by ${site.api.name}() (line ${cite(site.call.startPosition.row)})${leftOnFailure ? ', which failed and left them there,' : partial ? ' — a partial result —' : ''} ${callerOwned ? `belong${one ? 's' : ''} to the caller only on success, but ` : `${one ? 'is' : 'are'} neither released nor handed on when `}${where}`,
    counters: {
      before: ledger(set.holder, set.mode, 'held', site.requested, set.folios),
      after: ledger(set.holder, set.mode, 'leaked', site.requested, set.folios),
      consequence: consequence(set.folios, set.mode),
    },
    fixes: exit ? leakFixes(cx, st, set, site, exit.node) : undefined,
  });
}

/**
 * The slot an iteration filled, left out of the unwind (`pages[i]` pinned, a
 * later step of the iteration fails before `i++`, `while (i--)` releases
 * below i): the slot's pages are lost. PageSet.cover says how far the unwind's
 * bound stands past the slot on this path; only the shapes unwindOf() knows
 * are judged, and only while the slot may hold pages.
 */
function slotLeftOut(cx: CheckContext, st: State, set: PageSet | undefined, ev: ReleaseEvent): void {
  const past = ev.upTo && set?.cover?.[ev.upTo.name];
  if (!set || !ev.upTo || past === undefined || past + ev.upTo.shift > 0) return;
  if (set.state === 'released' || set.escaped || set.mode === 'NONE' || set.mode === 'UNKNOWN' || ev.family === 'bio') return;
  const site = cx.sites.find(s => s.id === set.site);
  // (a call that asks for one page per slot got it all or nothing: `partial` is not a page)
  if (!site || !(set.outcomes.includes('full') || (set.outcomes.includes('partial') && (site.unit ?? site.requested) !== '1'))) return;
  const slot = set.slot ?? '';
  cx.report(st, {
    code: 'leaked-pages', node: ev.node, set, step: `the unwind stops below ${ev.upTo.name}: the slot this iteration filled is left out`,
    message: `${ev.api}() here unwinds ${set.holder} below ${ev.upTo.name}, but on this path ${site.api.name}() (line ${cite(site.call.startPosition.row)}) filled ${set.holder}[${slot}] and ${ev.upTo.name} was not advanced past it: that slot's ${heldWords(set.mode)} pages are never released`,
    counters: {
      before: ledger(`${set.holder}[${slot}]`, set.mode, 'held', '1', set.folios),
      after: ledger(`${set.holder}[${slot}]`, set.mode, 'leaked', '1', set.folios),
      consequence: consequence(set.folios, set.mode),
    },
  });
}

export const leakedPages: Checker = {
  code: 'leaked-pages',
  onRelease: slotLeftOut,
  onFree(cx, st, set, node, api) {
    const stored = set.state === 'handed-off' && !!set.handoff;
    if (!(stored || heldHere(set)) || set.escaped || set.partial || !mayHold(set) || set.mode === 'NONE' || set.mode === 'UNKNOWN') return;
    const site = cx.sites.find(s => s.id === set.site);
    // slots filled across iterations the simulation folds into one: not judged
    if (!site || (site.inLoop && !site.perElement)) return;
    const field = stored ? set.handoff!.kind.replace(/^stored in /, '') : '';
    const freed = norm(callArgs(node)[api === 'kmem_cache_free' ? 1 : 0]?.text ?? '');
    const inObject = !stored && set.holder.startsWith(`${freed}->`);
    report(cx, st, set, site, node, stored ? `${api}() frees the object they were stored in (${field})`
      : inObject ? `${api}() frees ${freed} while ${set.holder} still holds them` : `${api}() frees the array that holds them`);
    // lost here, and said so here: not again where the function ends
    set.escaped = true;
  },
  onIterationEnd(cx, st, loop: LoopInfo, at) {
    for (const set of st.sets) {
      if (!heldHere(set)) continue;
      const site = cx.sites.find(s => s.id === set.site);
      if (!site || perIterationPointer(cx, set, site)?.id !== loop.node.id) continue;
      const node = at.type === 'compound_statement' ? at.lastChild ?? at : at;
      const how = at.type === 'break_statement' ? `the loop is left here and nothing after it names ${set.holder}`
        : `the iteration ${at.type === 'continue_statement' ? 'continues here' : 'ends'}: the next one overwrites ${set.holder}`;
      report(cx, st, set, site, node, how);
      // lost with this iteration, and said so here: not again where the function ends
      set.escaped = true;
    }
  },
  onExit(cx, st, ev) {
    const where = `the function ${ev.node ? `returns here${ev.value ? ` (${ev.value})` : ''}` : 'ends'}`;
    const at = ev.node ?? cx.fn.body.lastChild ?? cx.fn.body;
    // pages in the function's own bio (bio_alloc(), bio_init() on the stack) that the
    // path neither submitted, handed on, nor released (bio_release_pages())
    for (const [bio, b] of Object.entries(st.bios)) {
      if (!b.local || b.gone) continue;
      for (const i of b.sets) {
        const set = st.sets[i];
        if (!set || set.site < 0 || set.state !== 'handed-off' || set.escaped || !mayHold(set) || set.mode === 'NONE' || set.mode === 'UNKNOWN') continue;
        const site = cx.sites.find(s => s.id === set.site);
        if (!site || site.inLoop) continue;
        report(cx, st, set, site, at, `${where}: they were added to ${bio}, which it neither submits, hands on nor releases (bio_release_pages())`);
      }
    }
    for (const set of st.sets) {
      // pages put into an sg entry of the caller's object (`sg_set_page(&tab->page[i].mem, …)`) on an error
      // path that leaves them there, where this function releases that entry itself on its other error paths
      const entry = ev.error ? sgEntryOf(set) : undefined;
      if (entry && cx.releasesHere(entry) && !set.escaped && mayHold(set) && (set.mode === 'PIN' || set.mode === 'GET')) {
        const site = cx.sites.find(s => s.id === set.site);
        if (site && !site.inLoop) report(cx, st, set, site, at, `${where}: they were put into ${entry}, which ${cx.fn.name}() releases itself on its other error paths`, true, { node: ev.node });
        continue;
      }
      if (set.site < 0 || set.state !== 'held' || set.escaped || set.partial) continue;
      if (set.mode === 'NONE' || set.mode === 'UNKNOWN') continue;
      const s0 = cx.sites.find(s => s.id === set.site);
      // one page per iteration into a local array: when a later iteration fails,
      // the earlier slots are still held
      const earlier = !!s0?.perElement && !cx.isCallerOwned(set.holder) && ev.error;
      if (!mayHold(set) && !earlier) continue;
      const callerOwned = cx.isCallerOwned(set.holder) || set.countVars.includes('<returned>');
      if (callerOwned && !ev.error) continue;
      // an object's array is released by the object's teardown, which may run on
      // errors too — unless this function releases it itself on other paths
      if (callerOwned && /->|\./.test(set.holder) && !cx.releasesHere(set.holder)) continue;
      const site = cx.sites.find(s => s.id === set.site);
      // acquires in a loop fill their holders across iterations the simulation
      // folds into one: not judged (but see `earlier`) — except a return inside
      // the same loop body, which leaves this iteration's pages behind
      // (a page per iteration that a `break` carries out of the loop, unnamed after it, is lost)
      if (!site || (site.inLoop && !earlier && !(ev.node && sameLoop(site.call, ev.node, cx.fn.body)) && !perIterationPointer(cx, set, site))) continue;
      report(cx, st, set, site, at, where, callerOwned, { node: ev.node });
    }
  },
};
