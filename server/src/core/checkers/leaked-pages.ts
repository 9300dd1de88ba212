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
// on other paths (else its teardown does) or stores their count in the object
// after the acquire, which this path has not done yet (countNotKept); paths where the acquire obtained nothing are not leaks; the
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
// on purpose: `if (!page) get_user_pages(…, &page)`), when another name holds
// the page at the iteration's end (`prev = page`: the next iteration releases
// it through prev), or the pointer is named after the loop (it carries the
// page out).
//
// The slot an iteration filled, left out of the unwind (slotLeftOut): one
// slot per iteration (`pages + i`, `&obj->pages[obj->nr]`), a later step of
// the same iteration fails before the index or the count it was read from
// moves past the slot, and the unwind releases the slots below that name
// (`while (i--)`, `for (j = 0; j < nr; j++)`, `unpin_user_pages(pages, nr)`).
// Judged only for those unwind shapes, with the name followed by ++, --, +=
// and -= (any other write forgets it); not where the slot's page went to a
// callee we cannot see, or was released on its own before the unwind.
//
// A struct field's pages, once the file's functions are simulated (onFileEnd,
// from the facts of core/fields.ts): pages stored in a field of a struct
// private to the file that no function of the file releases, moves on or
// gives away, reported at the fill (below: `neverReleased`); a field's array
// freed on a path that did not release its pages first (`freedHolding`; also
// where the only releases of the field are the filling function's own cleanup
// when it fails, `releasedOnlyWhereFillFails`); a
// field's count set to 0 by a teardown that released nothing
// (`countDropped`). False-positive policy: the last two only where the
// field's fills hold pages of one mode and none is an sg table; a field whose
// pages the filling function also gave to an owner (scratch space) is not
// judged by a reset of its count, nor by a free unless the freeing function
// fills or releases the field itself; the other conditions are at each.
import { BVEC_KEY, HARMLESS } from '../apis';
import { consequence, heldWords, ledger } from '../counters';
import {
  callsReleaser, CountReset, escapes, FieldFree, fieldHead, givenTo, KEEPS_NOTHING, movedOrReleased, oneModeFills, privateStruct, releaseOf, releasersOf, releasingTwin,
} from '../fields';
import { leakFixes } from '../fixes';
import { mayHold } from '../ledger';
import { callArgs, codeText, norm } from '../syntax';
import type { FunctionDef, Node } from '../syntax';
import type { LoopInfo } from '../cfg';
import type { AcquireSite, PageSet, State } from '../ledger';
import type { FieldFill } from '../types';
import type { CheckContext, Checker, FindingDraft, ReleaseEvent } from './checker';
import { fieldFinding, whereOf } from './field-report';
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

/**
 * Pages acquired into a field of the caller's object (`vec->ptrs`) whose count
 * the function stores in that object after the acquire (`vec->nr_frames = ret`),
 * on a path that has not stored it: the field the teardown counts by was not
 * written, so the teardown cannot release them. The name of the count field.
 */
function countNotKept(cx: CheckContext, set: PageSet, site: AcquireSite | undefined): string | undefined {
  const root = /^&?([A-Za-z_]\w*)(?:->|\.)/.exec(set.holder)?.[1];
  if (!root || !site || site.inLoop || set.countVars.some(c => c.startsWith(`${root}->`) || c.startsWith(`${root}.`))) return undefined;
  const vars = set.countVars.filter(c => /^[A-Za-z_]\w*$/.test(c));
  if (!vars.length) return undefined;
  const after = codeText(cx.fn.body).slice(site.call.endIndex - cx.fn.body.startIndex);
  const m = new RegExp(`\\b${root}\\s*(?:->|\\.)\\s*([\\w.>-]+)\\s*=\\s*(?:${vars.join('|')})\\s*;`).exec(after);
  return m ? `${root}->${m[1]}` : undefined;
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
    message: `${!set.holder ? 'the page' : one && site.returns !== 'page' && set.holder !== 'page' ? `the page in ${set.holder}` : set.holder} ${what} by ${site.api.name}() (line ${cite(site.call.startPosition.row)})${leftOnFailure ? ', which failed and left them there,' : partial ? ' — a partial result —' : ''} ${callerOwned ? `belong${one ? 's' : ''} to the caller only on success, but ` : `${one ? 'is' : 'are'} neither released nor handed on when `}${where}`,
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
    // slots filled across iterations the simulation folds into one: not judged (an array an
    // iteration acquires whole and frees in the same iteration is that iteration's own)
    const ownIteration = !!site && !site.offset && !set.cover && sameLoop(site.call, node, cx.fn.body);
    if (!site || (site.inLoop && !site.perElement && !ownIteration)) return;
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
      if (Object.entries(st.aliases).some(([v, i]) => v !== set.holder && st.sets[i] === set)) continue;
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
        if (site && !site.inLoop) report(cx, st, set, site, at, `${where}: it was put into ${entry}, which ${cx.fn.name}() releases itself on its other error paths`, true, { node: ev.node });
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
      // — unless the function keeps their count in that object after the acquire and this path
      // returns before it does: the teardown's count does not cover them (countNotKept)
      const notKept = callerOwned && /->|\./.test(set.holder) ? countNotKept(cx, set, s0) : undefined;
      if (callerOwned && /->|\./.test(set.holder) && !cx.releasesHere(set.holder) && !notKept) continue;
      const site = cx.sites.find(s => s.id === set.site);
      // acquires in a loop fill their holders across iterations the simulation
      // folds into one: not judged (but see `earlier`) — except a return inside
      // the same loop body, which leaves this iteration's pages behind
      // (a page per iteration that a `break` carries out of the loop, unnamed after it, is lost)
      if (!site || (site.inLoop && !earlier && !(ev.node && sameLoop(site.call, ev.node, cx.fn.body)) && !perIterationPointer(cx, set, site))) continue;
      report(cx, st, set, site, at, notKept && !cx.releasesHere(set.holder)
        ? `${where}, before it stores their count in ${notKept}: the teardown that releases ${set.holder} by that count does not cover them` : where, callerOwned, { node: ev.node });
    }
  },
  onFileEnd(fx) {
    const never = neverReleased(fx.ownFills, fx.released, fx.fns, fx.text);
    return [...never.findings, ...freedHolding(fx.frees, fx.fills, fx.released, fx.fns, fx.scratch, never.keys, fx.keptOnSuccess), ...countDropped(fx.resets, fx.fills, fx.fns, fx.counts, fx.scratch)];
  },
};

/** Names of functions that take an object apart: a reset of its count there is not an initialisation. */
const TEARDOWN_NAME = /(^|_)(put|release|free|unmap|unpin|cleanup|clean_up|destroy|teardown|deinit|fini|drop|reset|unprepare|unregister|done|complete|finish|close)(_|$)/;

/**
 * A struct field's array freed (`kfree(dma->pages)`) on a path that did not
 * release its pages first, where the file (or, given their fills, another
 * file of the folder) fills that field with pages of one mode: the pages are
 * lost with the array (and a release after the free reads freed memory).
 * Judged where the freeing function fills the field itself or releases it
 * (below the free); and where this file fills the field and no function of
 * the file releases it — not by the field, a helper's summary, or a local
 * copied from it (a teardown whose release went missing: nothing in the file
 * could have released the pages before the free) — unless the filling
 * function passed the pages on to an owner (`scratch`: the field is a scratch
 * array, `sg_set_page(sg, pages[i], …)`). Elsewhere another function
 * may have released the pages before this path frees the array.
 */
function freedHolding(frees: FieldFree[], fills: FieldFill[], released: Set<string>, fns: FunctionDef[], scratch: Set<string>, atFill: Set<string>, kept: Map<string, string>): FindingDraft[] {
  const out: FindingDraft[] = [];
  for (const f of frees) {
    const struct = /^struct (\w+)\./.exec(f.key)?.[1];
    // (not a field neverReleased() reported at its fill)
    const unreleased = () => !released.has(f.key) && !scratch.has(f.key) && fills.some(x => x.key === f.key && !x.file)
      && !!struct && !atFill.has(f.key) && !fns.some(g => movedOrReleased(g, struct, fieldHead(f.key)));
    const nowhere = !f.ownFill && !f.releasedBelow;
    const twin = nowhere && !scratch.has(f.key) ? releasingTwin(fns, f) : undefined;
    const onlyOnFailure = nowhere && !twin && !scratch.has(f.key) && !!struct ? releasedOnlyWhereFillFails(fns, f, struct, kept) : undefined;
    if (nowhere && !twin && !onlyOnFailure && !unreleased()) continue;
    const by = oneModeFills(fills, f.key);
    if (!by) continue;
    const fill = by[0];
    out.push(fieldFinding('leaked-pages', f, {
      fixes: [], path: [{ range: f.range, note: `${f.api}(${f.field}) before this path released the pages in it` }],
      message: `${f.api}() frees ${f.field} (${f.key}), which holds pages ${heldWords(fill.mode)} by ${fill.api}() in ${whereOf(fill)}, ${twin ? `before this path released them (${twin}() releases them before it frees that array)` : onlyOnFailure ? `and this file releases that field only where ${onlyOnFailure}() fails, never after it succeeds` : nowhere ? 'and no function of this file releases that field' : 'before this path released them'}: the pages are lost with the array${fill.mode === 'GET' ? '' : ' and stay pinned'}`,
    }));
  }
  return out;
}

/**
 * The field's pages are released in this file only inside the function that
 * fills it for its caller, which keeps them there when it succeeds (its
 * summary) and releases them itself when it fails: after a success nothing
 * in the file releases them, so the free loses them (a teardown whose
 * release went missing: `orangefs_bufmap_unmap()` emptied). Not where the
 * freeing function calls the filler or a releaser, nor where the object goes
 * to a function of another file that may release it. The filler's name, or
 * undefined.
 */
function releasedOnlyWhereFillFails(fns: FunctionDef[], f: FieldFree, struct: string, kept: Map<string, string>): string | undefined {
  const filler = kept.get(f.key);
  if (!filler) return undefined;
  const releasers = releasersOf(fns, releaseOf(fieldHead(f.key)));
  if (!releasers.size || [...releasers].some(r => r !== filler)) return undefined;
  const own = fns.find(g => g.name === f.fn);
  if (!own || callsReleaser(own, new Set([filler])) || escapes(struct, fns)) return undefined;
  return filler;
}

/**
 * A function that takes an object apart sets the count of
 * a field of pages to 0 (`dma->page_count = 0`) while no path to it released
 * that field, nor does the function release it after (through the field, a
 * copy, or a function of the file that does): the object says it holds no
 * pages, and the pages it held stay pinned or referenced (a put whose release
 * went missing). Judged only where the file fills the field with pages of
 * one mode (not an sg table, not scratch space that went to an owner), the
 * function does not fill it itself, takes the object apart (its name says
 * so, or it tests the count or the field before the reset: `if
 * (!dma->page_count) return;`), gives the object to no function of another
 * file that might release it, and no function of the file releases the
 * field and then calls it (a reset after the release).
 */
function countDropped(resets: CountReset[], fills: FieldFill[], fns: FunctionDef[], counts: Map<string, string>, scratch: Set<string>): FindingDraft[] {
  const out: FindingDraft[] = [];
  const local = new Set(fns.map(f => f.name));
  for (const r of resets) {
    const countHead = fieldHead(r.key);
    const head = counts.get(countHead);
    if (!head) continue;
    const key = `${r.key.slice(0, r.key.lastIndexOf('.') + 1)}${head}`;
    const struct = /^struct (\w+)\./.exec(key)?.[1];
    const fn = fns.find(g => g.name === r.fn);
    if (!struct || !fn || scratch.has(key) || r.released.includes(key)) continue;
    const by = oneModeFills(fills, key);
    if (!by || by.some(x => !x.file && x.function === fn.name)) continue;
    const body = codeText(fn.body);
    const before = body.slice(0, r.offset);
    const tests = new RegExp(`\\b(if|while)\\s*\\([^;{]*(->|\\.)\\s*(${countHead}|${head})\\b`).test(before);
    if (!tests && !TEARDOWN_NAME.test(fn.name)) continue;
    if (movedOrReleased(fn, struct, head)) continue;
    const release = releaseOf(head);
    if (callsReleaser(fn, releasersOf(fns, release))) continue;
    // the object (the root of the count) given to a function of another file, which may release its pages
    const root = r.count.slice(0, r.count.indexOf('->'));
    if (givenTo(body, [root]).some(c => !local.has(c) && !KEEPS_NOTHING.test(c) && !HARMLESS.has(c))) continue;
    // a reset the file calls after releasing the field (`unpin_user_pages(b->pages, b->nr); batch_reset(b);`)
    const after = new RegExp(`\\b${fn.name}\\s*\\(`);
    if (fns.some(g => { const t = codeText(g.body), x = release.exec(t), y = after.exec(t); return !!x && !!y && x.index < y.index; })) continue;
    const fill = by[0];
    out.push(fieldFinding('leaked-pages', r, {
      fixes: [], path: [{ range: r.range, note: `${r.count} = 0 while ${head} may still hold pages` }],
      message: `${fn.name}() sets ${r.count} to 0 but nothing here released the pages it counts in ->${head} (${key}, pages ${heldWords(fill.mode)} by ${fill.api}() in ${whereOf(fill)}): the object now says it holds no pages, and they stay ${fill.mode === 'GET' ? 'referenced' : 'pinned'}`,
    }));
  }
  return out;
}

/** The offset of a 0-based line/UTF-16 column position in `text`. */
function offsetOf(text: string, p: { line: number; character: number }): number {
  let off = 0;
  for (let l = 0; l < p.line; l++) { const n = text.indexOf('\n', off); if (n < 0) return text.length; off = n + 1; }
  return off + p.character;
}

/**
 * Fields of a struct private to this file (defined in it) that a function
 * fills with pages and no function of the file releases — not by the field,
 * not through a helper's summary, not through a local copied from the field
 * (`pages = obj->pages; unpin_user_pages(pages, n)`): nothing else can
 * release them, so they stay held after the object goes.
 */
function neverReleased(fills: FieldFill[], released: Set<string>, fns: FunctionDef[], text: string): { findings: FindingDraft[]; keys: Set<string> } {
  const out: FindingDraft[] = [];
  const keys = new Set<string>();
  const seen = new Set<string>();
  for (const f of fills) {
    if (seen.has(f.key) || released.has(f.key) || f.key === BVEC_KEY || (f.mode !== 'PIN' && f.mode !== 'GET' && f.mode !== 'EXTRACT')) continue;
    seen.add(f.key);
    const struct = /^struct (\w+)\./.exec(f.key)?.[1];
    if (!struct || !privateStruct(text, struct)) continue;
    // stored slot by slot (`obj->folios[i] = folio`), or a window into another field (`d->page_array = &obj->page_array[off]`):
    // a view of pages some other holder keeps
    const stored = text.slice(offsetOf(text, f.range.start), offsetOf(text, f.range.end));
    if (/^[^=;]*\]\s*=/.test(stored) || /^[^=;]*=\s*&?\s*[A-Za-z_]\w*\s*->/.test(stored)) continue;
    if (escapes(struct, fns)) continue;
    const head = fieldHead(f.key);
    if (fns.some(g => movedOrReleased(g, struct, head))) continue;
    out.push(fieldFinding('leaked-pages', { fn: f.function, range: f.range }, {
      fixes: [], path: [{ range: f.range, note: `${f.function}() stores pages from ${f.api}() in ${f.key}; no function of the file releases it` }],
      message: `pages ${heldWords(f.mode)} by ${f.api}() are stored in ${f.key}, but no function of this file releases that field, and struct ${struct} is private to this file: they stay ${f.mode === 'GET' ? 'referenced' : 'pinned'} when the object goes`,
    }));
    keys.add(f.key);
  }
  return { findings: out, keys };
}
