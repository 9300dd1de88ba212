// release-without-reference — releasing pages that hold nothing.
//
// Rule: pages from iov_iter_extract_pages() on a kernel-backed iterator carry
// no reference, so neither put_page nor unpin may touch them; and pages are
// not released on a path where their acquire obtained none (it failed or
// returned 0) or where nothing was acquired into that array yet (a goto into
// an unwind ladder before the pin).
// The unwind of an array filled one slot per iteration covers the slot whose
// acquire failed on this path, because its count was advanced before the
// call (`i = nr; nr++; get_user_pages(…, pages + i)`; see leaked-pages'
// slotLeftOut for the other direction): judged only when the path knows the
// call failed.
// False-positive policy: a release whose count is the acquire's own result is
// a no-op on failure and is not reported; a holder that the function also
// fills by other means (plain assignment) is not tracked by name.
//
// A struct field filled with extracted pages (onFieldRelease) is unpinned by
// a teardown only under the flag the filling function set beside them from
// iov_iter_extract_will_pin() (`ap->args.is_pinned`), tested as meaning
// pinned on every path to the unpin (or the iterator tested itself); a path
// that did not test it, or took its other side, unpins pages that may hold
// nothing. Judged only when every fill of the field is extracted and names
// the same flag (a mode kept some other way, a bit in a flags word, is not
// known here).
import { commonFlag, KeyedRelease } from '../fields';
import { consequence, dropPair, ledger, pairFor } from '../counters';
import { holdsNothing } from '../ledger';
import { WILL_PIN_GUARD } from '../release-call';
import type { Family, FieldFill } from '../types';
import type { Checker, FindingDraft } from './checker';
import { fieldFinding, fillSteps, flagTest, whereOf } from './field-report';
import { cite } from '../cite';

/** The page counters of a release of pages that hold nothing from this caller: the release takes what others hold. */
function underflow(holder: string, family: Family, count: string) {
  const none = pairFor('NONE');
  const after = dropPair(none, family);
  return { before: ledger(holder, 'NONE', 'held', count, none), after: ledger(holder, 'NONE', 'released', count, after), consequence: consequence(after, 'NONE') };
}

export const releaseWithoutReference: Checker = {
  code: 'release-without-reference',
  onRelease(cx, st, set, ev) {
    if (ev.family === 'bio') return;
    if (!set) {
      if (!ev.acquiredHere || (ev.count && st.zero.includes(ev.count))) return;
      cx.report(st, {
        code: 'release-without-reference', node: ev.node, step: 'nothing acquired yet', counters: underflow(ev.argText, ev.family, ev.count ?? ''),
        message: `${ev.api}() releases ${ev.argText} on a path where nothing has been acquired into it yet: the pages hold no reference from this function`,
      });
      return;
    }
    const site = cx.sites.find(s => s.id === set.site);
    // the unwind covers the slot an acquire that failed on this path left empty:
    // its count was advanced before the call (`nr++; get_user_pages(…, pages + i)`)
    const past = ev.upTo ? set.cover?.[ev.upTo.name] : undefined;
    if (site && past !== undefined && past + ev.upTo!.shift > 0 && set.outcomes.every(o => o === 'neg') && set.state !== 'released' && !ev.viaHelper) {
      const slot = set.slot ?? '';
      cx.report(st, {
        code: 'release-without-reference', node: ev.node, set, step: `${ev.api}() unwinds a slot ${site.api.name}() failed to fill`,
        counters: underflow(`${set.holder}[${slot}]`, ev.family, '1'),
        message: `${ev.api}() here unwinds ${set.holder} below ${ev.upTo!.name}, which on this path already counts ${set.holder}[${slot}]: ${site.api.name}() (line ${cite(site.call.startPosition.row)}) failed and left that slot empty, so the unwind releases a page it never got`,
      });
      return;
    }
    if (set.state !== 'held' || set.mode === 'UNKNOWN') return;
    if (set.mode === 'NONE' && site?.api.name === 'iov_iter_extract_pages') {
      cx.report(st, {
        code: 'release-without-reference', node: ev.node, set, step: `${ev.api}() on pages that carry no reference (kernel-backed iterator)`,
        counters: underflow(set.holder, ev.family, ev.count ?? ''),
        message: `${ev.api}() releases pages that iov_iter_extract_pages() listed from a kernel-backed iterator (${site.iter ?? 'iter'}): they carry no reference or pin, so the release underflows the page`,
      });
      return;
    }
    // on a failed acquire, only a release we can tie to the request is wrong:
    // a single page, the requested count, or a loop over the requested count
    const tied = ev.count === null || (site !== undefined && ev.count === site.requested && !st.sets.some(p => p.countVars.includes(ev.count!)));
    // a helper given the count decides itself how many pages to release
    if (holdsNothing(set) && tied && !ev.viaHelper && !site?.inLoop && !(ev.count && st.zero.includes(ev.count))) {
      const failed = set.outcomes.includes('neg') ? 'failed' : 'obtained no pages';
      cx.report(st, {
        code: 'release-without-reference', node: ev.node, set, step: `${ev.api}() after ${site?.api.name ?? 'the acquire'}() ${failed}`,
        counters: underflow(set.holder, ev.family, ev.count ?? ''),
        message: `${ev.api}() releases ${ev.argText} on a path where ${site?.api.name ?? 'the acquire'}() (line ${cite(site?.call.startPosition.row ?? 0)}) ${failed}: nothing is held to release`,
      });
    }
  },
  onFieldRelease(fx, r, fills) {
    return fills[0].mode === 'EXTRACT' && r.family !== 'put' ? extractedUnpin(fills, r) : undefined;
  },
};

/** Extracted pages unpinned where the path did not test their flag as meaning pinned (a put is mismatched-release's). */
function extractedUnpin(fills: FieldFill[], r: KeyedRelease): FindingDraft | undefined {
  const fill = fills[0];
  const flag = commonFlag(fills);
  // an unpin is right on the paths that tested the flag (or the iterator) as meaning pinned
  if (!flag || r.guards.every(g => g[flag.key] === flag.pinned || g[WILL_PIN_GUARD] === true)) return undefined;
  const negated = r.guards.some(g => g[flag.key] === !flag.pinned || g[WILL_PIN_GUARD] === false);
  const flagWhere = `${fill.function}()${fill.file ? ` in ${fill.file}` : ''} (line ${flag.range.start.line + 1})`;
  const after = dropPair(pairFor('NONE'), 'unpin');
  return fieldFinding('release-without-reference', r, {
    message: `${r.api}() unpins ${r.field} (${r.key}) ${negated ? `on a path where ${flag.field} says the pages were not pinned` : `without testing ${flag.field}`}, but ${whereOf(fill)} filled that field with ${fill.api}(), which takes no reference at all on kernel-backed iterators, and set ${flag.field} from iov_iter_extract_will_pin() in ${flagWhere}: unpin only if (${flagTest(flag)})`,
    acquire: fill.file ? undefined : { range: fill.range, api: fill.api, mode: 'EXTRACT' },
    path: [...fillSteps(fill, r), { range: r.range, note: `${r.fn}(): ${r.api}(${r.field}) ${negated ? `under !${flag.field}` : `without ${flag.field} tested`}` }],
    counters: { before: ledger(r.field, 'NONE', 'held', '', pairFor('NONE')), after: ledger(r.field, 'NONE', 'unpinned without a pin', '', after), consequence: consequence(after, 'NONE') },
    fixes: [],
  });
}
