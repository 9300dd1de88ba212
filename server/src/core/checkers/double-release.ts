// double-release — each page is released once on a path.
//
// Rule: after a page set has been released as a whole (a release of the
// array, a loop over it, or its single page), releasing it again on the same
// path drops a reference or pin that belongs to someone else.
// False-positive policy: only whole-set releases mark a set released; a
// re-acquire into the same array starts a new set; releases in loops count
// once, since a loop body stands for all its iterations. Pages that came in
// as a parameter (borrowed) are judged whatever their mode, but only when
// both releases are of the whole parameter, as written: one of its pages
// released twice may be two references the caller took. Not for windows of
// it (`&pages[1]`, `pages + j`), the same call reached again (a retry loop
// re-takes what it drops), or slots the function clears (`pages[i] = NULL`).
// A struct field's pages that no page set tracks (the object came from the
// caller) are judged the same way: released whole twice on one path, with no
// write to the field or to the count given to the first release between.
//
// A stale count: a path that releases an object's field whole with a count
// that is a field of the object too (`unpin_user_pages(b->pages, b->nr)`),
// then leaves the function with neither reset (`b->nr = 0`, `b->pages =
// NULL`), leaves the object claiming the pages: the next release of it
// releases them again. Claimed only where the object is reused and not freed
// here: the release is guarded by a test that the object holds pages, or
// comes after an early return when it holds nothing (a put written to be
// called again), another path of the function resets the count after
// releasing, or the function is called inside a loop of the file that goes
// on after the call, with the same object — directly or through up to three
// functions of the file that pass the object down — and nothing in that loop
// zeroes the count. Not where the count is reset some other way: its address
// given to a call after the release, or another function of the file that
// zeroes it without releasing (an object taken again from a free list is
// reset there; only the loop verdict, which looks inside the loop, still
// holds then).
//
// A struct field filled with one reference or pin per page (PIN or GET
// pages, every fill of one mode) whose teardown releases one page of it
// twice in a row (onFieldRelease: the same slot as written, nothing written
// between, as sameSlotJustBefore() below finds it). A release of the wrong
// family is mismatched-release's finding, not this one.
import { CONTAINER_FREES, RELEASE_BY_NAME, RELEASE_NAMES } from '../apis';
import { consequence, dropPair, ledger, pairFor } from '../counters';
import { KeyedRelease, otherFamily } from '../fields';
import { callArgs, calleeName, escapeRegExp, functionsOf, norm } from '../syntax';
import type { Node } from '../syntax';
import type { FieldFill } from '../types';
import type { CheckContext, Checker, FindingDraft, ReleaseEvent } from './checker';
import { fieldFinding, fillSteps, whereOf } from './field-report';
import { cite } from '../cite';

export const doubleRelease: Checker = {
  code: 'double-release',
  onRelease(cx, st, set, ev) {
    if (!set && ev.releasedBefore) {
      const b = ev.releasedBefore;
      cx.report(st, {
        code: 'double-release', node: ev.node, helper: ev.viaHelper, step: 'released again',
        message: `${ev.api}()${ev.viaHelper ? ` via ${ev.viaHelper}()` : ''} releases ${b.field} again: ${b.api} already released that field's pages at line ${cite(b.line - 1)} on this path, and neither the field nor ${b.count ? `its count ${b.count}` : 'its count'} was reset since`,
      });
      return;
    }
    // one page of a known mode released twice in a row: the same slot, nothing written between
    // (of a known mode — an acquire here, or every caller's: a parameter of unknown mode may come with two references a caller took)
    if (set && !ev.viaHelper && (set.mode === 'PIN' || set.mode === 'GET' || set.mode === 'EXTRACT')
      && !new RegExp(`\\b(get_page|folio_get|try_get_page|folio_try_get)\\s*\\(\\s*${escapeRegExp(ev.argText)}\\s*\\)`).test(cx.fn.body.text)) {
      const prev = sameSlotJustBefore(ev.node, ev.argText);
      if (prev) {
        cx.report(st, {
          code: 'double-release', node: ev.node, set, step: 'released again',
          message: `${ev.api}(${ev.argText}) releases the same page again: ${calleeName(prev)}(${ev.argText}) released it just above (line ${cite(prev.startPosition.row)}), and neither the slot nor its index changed between — each page holds one ${set.mode === 'GET' ? 'reference' : set.mode === 'EXTRACT' ? 'pin (none, for a kernel-backed iterator)' : 'pin'} from ${set.origin ? set.origin.text : 'its acquire'}`,
        });
        return;
      }
    }
    if (!set || set.state !== 'released' || !set.releasedAt || ev.family === 'bio' && set.releasedAt.api.startsWith('bio_')) return;
    const first = set.releasedAt;
    if (set.param !== undefined && !borrowedTwice(cx.fn.body.text, set.holder, first.node.id, ev)) return;
    const after = dropPair(set.folios, ev.family === 'bio' ? 'unpin' : ev.family);
    cx.report(st, {
      code: 'double-release', node: ev.node, set, helper: ev.viaHelper, step: 'released again',
      message: `${ev.api}()${ev.viaHelper ? ` via ${ev.viaHelper}()` : ''} releases ${set.holder}${set.param !== undefined ? ' (pages its caller passed in)' : ''} again: ${first.via ? `${first.via}() (through ${first.api}())` : `${first.api}()`} already released them at line ${cite(first.node.startPosition.row)} on this path`,
      counters: {
        before: ledger(set.holder, set.mode, 'released', '', set.folios),
        after: ledger(set.holder, set.mode, 'released twice', '', after),
        consequence: consequence(after, set.mode),
      },
    });
  },
  onExit(cx, st) {
    for (const [field, r] of Object.entries(st.relFields)) {
      // (a helper's release: its summary does not say whether it resets the count)
      if (r.via || !r.count.includes('->') || !/^[A-Za-z_]\w*->[\w>.-]+$/.test(field) || !/^[A-Za-z_]\w*->[\w>.-]+$/.test(r.count)) continue;
      if (!r.count.startsWith(`${field.slice(0, field.indexOf('->'))}->`)) continue;
      const { node, why } = staleCount(cx, field, r.count, r.at);
      if (!node || !why) continue;
      cx.report(st, {
        code: 'double-release', node, step: `leaves the function with ${r.count} unchanged`,
        message: `${r.api} releases ${field} but this path leaves ${r.count} (and ${field}) as they were: ${why}, so the next release of the object releases the same pages again (reset ${r.count} to 0 after the release)`,
      });
    }
  },
  onFieldRelease(fx, r, fills) {
    // (the wrong family: mismatched-release reports it)
    return otherFamily(fills[0].mode, r.family) ? undefined : releasedAgain(fills[0], r);
  },
};

/** One page of a field filled with one reference or pin per page, released twice in a row (`unpin_user_page(sg_page(&tab->page[i].mem))` twice). */
function releasedAgain(fill: FieldFill, r: KeyedRelease): FindingDraft | undefined {
  if (!r.again || (fill.mode !== 'PIN' && fill.mode !== 'GET')) return undefined;
  const after = dropPair(dropPair(pairFor(fill.mode), r.family), r.family);
  return fieldFinding('double-release', r, {
    message: `${r.api}() releases the same page of ${r.field} (${r.key}) again: the call just above (line ${r.again.start.line + 1}) released it, and neither the slot nor its index changed between — each page ${whereOf(fill)} stored there holds one ${fill.mode === 'GET' ? 'reference' : 'pin'} from ${fill.api}()`,
    acquire: fill.file ? undefined : { range: fill.range, api: fill.api, mode: fill.mode },
    path: [...fillSteps(fill, r), { range: r.again, note: `${r.fn}(): the page released` }, { range: r.range, note: `${r.fn}(): the same page released again` }],
    counters: {
      before: ledger(r.field, fill.mode, 'held', '', pairFor(fill.mode)),
      after: ledger(r.field, fill.mode, 'released twice', '', after),
      consequence: consequence(after, fill.mode),
    },
    fixes: [],
  });
}

const LOOP_TYPES = new Set(['for_statement', 'while_statement', 'do_statement']);

/** The verdicts of a function's simulation (its CheckContext), by release call and field: every path that ends asks again. */
const staleVerdicts = new WeakMap<CheckContext, Map<string, { node?: Node; why?: string }>>();

/** The release call `at` and why the object it leaves claiming its pages is released again (the header), judged once per function. */
function staleCount(cx: CheckContext, field: string, count: string, at: number): { node?: Node; why?: string } {
  let memo = staleVerdicts.get(cx);
  if (!memo) staleVerdicts.set(cx, memo = new Map());
  const key = `${at}\u0000${field}\u0000${count}`;
  let v = memo.get(key);
  if (!v) {
    const node = cx.fn.body.descendantsOfType('call_expression').find(c => c?.id === at) ?? undefined;
    const root = field.slice(0, field.indexOf('->'));
    // (an object another function resets, when it is taken again, is still released twice by a loop that reuses it without that reset)
    v = { node, why: !node || freesObject(cx, root) || resetAfter(cx, field, count, node) ? undefined : !zeroedElsewhere(cx, field, count) ? reused(cx, field, count, node) : loopReuse(cx, field, count) };
    memo.set(key, v);
  }
  return v;
}

/** A field path as a pattern (`a->b` with any spacing around the arrow). */
const esc = (t: string) => escapeRegExp(t).replace(/->/g, '\\s*->\\s*');

/** The statements after `call` in its block, inside `loop`, leave the loop (`cleanup(x); return NULL;`). */
function leavesAfter(call: Node, loop: Node): boolean {
  let stmt: Node | null = call;
  while (stmt && stmt.parent && stmt.parent.type !== 'compound_statement' && stmt.parent.id !== loop.id) stmt = stmt.parent;
  for (let s = stmt?.nextNamedSibling; s; s = s.nextNamedSibling) {
    if (s.type === 'return_statement' || s.type === 'break_statement' || s.type === 'goto_statement') return true;
  }
  return false;
}

/** The count is reset after the release some other way: its address goes to a call (`io_pages_unmap(…, &bl->nr_pages, …)`). */
function resetAfter(cx: CheckContext, field: string, count: string, release: Node): boolean {
  const after = cx.text.slice(release.endIndex, cx.fn.body.endIndex);
  return new RegExp(`&\\s*(${esc(count)}|${esc(field)})\\b`).test(after);
}

/** `obj->count = 0;` for the count's member, in any object. */
const zeroing = (count: string) => new RegExp(`->\\s*${escapeRegExp(count.slice(count.lastIndexOf('->') + 2))}\\s*=\\s*0\\s*;`);

/**
 * Another function of the file zeroes the count without releasing (an
 * object reused from a free list is reset where it is taken again).
 */
function zeroedElsewhere(cx: CheckContext, field: string, count: string): boolean {
  const zeroed = zeroing(count);
  const released = new RegExp(`\\b(${RELEASE_NAMES})\\s*\\([^;]*->\\s*${field.slice(field.lastIndexOf('->') + 2)}\\b`);
  return cx.fn.node.tree.rootNode.descendantsOfType('function_definition')
    .some(f => !!f && f.id !== cx.fn.node.id && zeroed.test(f.text) && !released.test(f.text));
}

/** The function frees the object (`kfree(obj)`) or the struct around it: its count goes with it. */
function freesObject(cx: CheckContext, root: string): boolean {
  return cx.fn.body.descendantsOfType('call_expression').some(c => {
    const name = c ? calleeName(c) : undefined;
    return !!c && !!name && CONTAINER_FREES.has(name) && new RegExp(`^\\(\\s*\\(?\\s*${root}\\b`).test(c.childForFieldName('arguments')?.text ?? '');
  });
}

/** Why the object outlives this release and is released again (see the header), or undefined. */
function reused(cx: CheckContext, field: string, count: string, release: Node): string | undefined {
  for (let p = release.parent; p && p.id !== cx.fn.body.id; p = p.parent) {
    const cond = p.type === 'if_statement' ? p.childForFieldName('condition') : null;
    // a test that the object still holds pages (`if (m->npages)`, `if (b->pages && …)`), not any test that names the count
    const terms = cond ? norm(cond.text).replace(/^\((.*)\)$/, '$1').split('&&').map(t => t.trim().replace(/^\((.*)\)$/, '$1')) : [];
    const tested = [count, field].find(t => terms.some(x => new RegExp(`^(!!)?${esc(t)}(\\s*(!=|>)\\s*(0|NULL))?$`).test(x)));
    // (not a field this function wrote above the test: `pb->pages = NULL; … if (pb->pages)` tests its own reset)
    const before = cond ? cx.text.slice(cx.fn.body.startIndex, cond.startIndex) : '';
    if (cond && tested && !new RegExp(`${esc(tested)}\\s*=[^=]`).test(before)) return `the release is guarded by a test of ${norm(cond.text).replace(/^\(|\)$/g, '')}, written for a second call`;
  }
  // an early return when the object holds nothing (`if (dma->page_count == 0) return;`), above the release: a put written to be called again
  for (const c of cx.fn.body.descendantsOfType('if_statement')) {
    if (!c || c.endIndex > release.startIndex) continue;
    const cond = c.childForFieldName('condition');
    const then = c.childForFieldName('consequence');
    const returns = then?.type === 'return_statement' || (then?.type === 'compound_statement' && then.namedChildren.at(-1)?.type === 'return_statement');
    const terms = cond ? norm(cond.text).replace(/^\((.*)\)$/, '$1').split('||').map(t => t.trim().replace(/^\((.*)\)$/, '$1')) : [];
    const empty = [count, field].find(t => terms.some(x => new RegExp(`^(!\\s*${esc(t)}|${esc(t)}\\s*==\\s*(0|NULL))$`).test(x)));
    if (returns && empty) return `${cx.fn.name}() returns early when ${empty} says the object holds nothing (line ${cite(c.startPosition.row)}), written to be called again`;
  }
  const reset = new RegExp(`${esc(count)}\\s*=\\s*0\\s*;`);
  if (reset.test(cx.fn.body.text)) return `other paths of ${cx.fn.name}() reset ${count} after releasing`;
  return loopReuse(cx, field, count);
}

/**
 * The function is called in a loop with the same object every iteration
 * (`for (…) { …; put_pages(batch); }`), directly or through functions of the
 * file that pass the object down (`copy_seg(batch)` → `flush(batch)` →
 * `put_pages(batch)`, three calls deep at most), and nothing in that loop's
 * body zeroes the count: why the object is released again, or undefined.
 */
function loopReuse(cx: CheckContext, field: string, count: string): string | undefined {
  const pi = cx.fn.params.findIndex(p => p.name === field.slice(0, field.indexOf('->')));
  if (pi < 0) return undefined;
  const zeroed = zeroing(count);
  const defs = functionsOf(cx.fn.node.tree.rootNode);
  const fns = new Map(defs.map(d => [d.name, d]));
  const byNode = new Map(defs.map(d => [d.node.id, d]));
  const calls = cx.fn.node.tree.rootNode.descendantsOfType('call_expression');
  let level: { name: string; index: number; via: string[] }[] = [{ name: cx.fn.name, index: pi, via: [] }];
  const seen = new Set([cx.fn.name]);
  for (let depth = 0; depth < 3 && level.length; depth++) {
    const next: typeof level = [];
    for (const { name, index, via } of level) {
      for (const c of calls) {
        if (!c || calleeName(c) !== name) continue;
        const arg = norm(callArgs(c)[index]?.text ?? '');
        if (!/^&?[A-Za-z_]\w*(->\w+)*$/.test(arg)) continue;
        const obj = arg.replace(/^&/, '').split('->')[0];
        let caller: Node | null = c.parent;
        while (caller && caller.type !== 'function_definition') caller = caller.parent;
        const def = caller ? byNode.get(caller.id) : undefined;
        const by = def?.name;
        for (let p = c.parent; p; p = p.parent) {
          if (p.type === 'function_definition') break;
          if (!LOOP_TYPES.has(p.type)) continue;
          // (a loop over objects — its header names the object, `list_for_each_entry(obj, …)` — releases another each time)
          const header = cx.text.slice(p.startIndex, p.childForFieldName('body')?.startIndex ?? p.startIndex);
          if (new RegExp(`\\b${obj}\\s*=[^=]`).test(p.text) || new RegExp(`\\b${obj}\\b`).test(header) || leavesAfter(c, p)) break;
          // (a loop that resets the count itself, or through a function of the file it calls — not on a way out of the loop)
          const resets = p.descendantsOfType(['assignment_expression', 'call_expression']).some(n => !!n && !leavesAfter(n, p) && (n.type === 'assignment_expression'
            ? zeroed.test(`${n.text};`) : calleeName(n) !== name && zeroed.test(fns.get(calleeName(n) ?? '')?.node.text ?? '')));
          if (resets) break;
          // (the caller by name: a line of another function would go stale in this function's cached result)
          const down = name === cx.fn.name ? [] : [name, ...via];
          const chain = down.length ? ` (through ${down.map(v => `${v}()`).join(', ')})` : '';
          return `${cx.fn.name}() is called in a loop${by ? ` of ${by}()` : ''}${chain} with the same ${obj} each time`;
        }
        // not in a loop: the caller passes its own parameter on
        const ci = def ? def.params.findIndex(p => p.name === obj) : -1;
        if (by && ci >= 0 && !seen.has(by)) { seen.add(by); next.push({ name: by, index: ci, via: name === cx.fn.name ? [] : [name, ...via] }); }
      }
    }
    level = next;
  }
  return undefined;
}

/**
 * The statement just above the release, in the same block, releases the same
 * page as written (`unpin_user_page(pages[j]);` twice), with no label, jump,
 * or write of the slot, its index or a reference taken (`get_page()`)
 * between: the call node, or undefined.
 */
export function sameSlotJustBefore(release: Node, argText: string): Node | undefined {
  const stmt = release.parent;
  if (!stmt || stmt.type !== 'expression_statement' || stmt.parent?.type !== 'compound_statement') return undefined;
  const slot = norm(argText);
  const names = [...new Set(slot.match(/[A-Za-z_]\w*/g) ?? [])];
  const writes = new RegExp(`\\b(${names.join('|')})\\s*(=[^=]|\\+\\+|--|\\+=|-=)|(\\+\\+|--)\\s*(${names.join('|')})\\b|\\b(get_page|folio_get|try_get_page|folio_try_get|get_user_pages\\w*|pin_user_pages\\w*)\\s*\\(`);
  for (let s = stmt.previousNamedSibling, n = 0; s && n < 4; s = s.previousNamedSibling, n++) {
    if (s.type === 'comment') continue;
    if (s.type !== 'expression_statement') return undefined;
    const call = s.namedChildren[0];
    if (call?.type === 'call_expression') {
      const name = calleeName(call);
      const rel = name ? RELEASE_BY_NAME.get(name) : undefined;
      const arg = rel ? callArgs(call)[rel.pagesArg] : undefined;
      if (rel && arg && norm(arg.text) === slot) return call;
    }
    if (names.length && writes.test(s.text)) return undefined;
  }
  return undefined;
}

/** A second whole release of a parameter's pages, by another call, of the parameter as written, whose slots are never cleared. */
function borrowedTwice(body: string, holder: string, first: number, ev: ReleaseEvent): boolean {
  if (!ev.whole || ev.node.id === first || !/^\w+$/.test(holder)) return false;
  // (not a slot in a loop: `put_page(pages[i]); goto fail;` releases one slot, which the loop body would stand for)
  if (ev.argText.replace(/\s+/g, '') !== holder) return false;
  return !new RegExp(`\\b${holder}\\s*(\\[[^\\]]*\\])?\\s*=\\s*NULL\\b`).test(body);
}
