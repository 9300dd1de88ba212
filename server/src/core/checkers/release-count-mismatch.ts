// release-count-mismatch — release what was obtained, not what was asked for.
//
// Rule: get_user_pages*/pin_user_pages* may return fewer pages than
// requested. Releasing the requested count on a path where the call may have
// returned a partial count touches slots that were never filled (or were
// filled by an earlier call).
// False-positive policy: reported only when the released count is textually
// the requested count, the path has not established that the full count was
// obtained, and the count is not also a variable holding the result; counts
// the path cannot relate to either are assumed right. A count variable that
// holds a negative errno on the path while the pages are held (the result
// overwritten by a later call's error) is reported too: the release APIs
// warn and release nothing for it (mm/gup.c: WARN_ON(IS_ERR_VALUE(npages))).
import { FLOOR } from '../count-terms';
import { mayHold } from '../ledger';
import { replaceCountFix } from '../fixes';
import type { Checker } from './checker';
import { cite } from '../cite';

export const releaseCountMismatch: Checker = {
  code: 'release-count-mismatch',
  onRelease(cx, st, set, ev) {
    if (!set || !ev.whole || !ev.count || set.state !== 'held') return;
    const site = cx.sites.find(s => s.id === set.site);
    // the count variable was overwritten with an errno while the pages are held:
    // unpin_user_pages()/release_pages() of a negative count release nothing (WARN_ON)
    if (site && mayHold(set) && st.neg.includes(ev.count) && !set.countVars.includes(ev.count)) {
      cx.report(st, {
        code: 'release-count-mismatch', node: ev.node, set, step: `${ev.count} holds a negative errno here`,
        message: `${ev.api}()${ev.viaHelper ? ` through ${ev.viaHelper}()` : ''} is given ${ev.count}, which holds a negative errno on this path, not the number of pages ${site.api.name}() (line ${cite(site.call.startPosition.row)}) obtained: it warns and releases nothing, and the pages stay ${set.mode === 'PIN' ? 'pinned' : 'referenced'}; keep the count in its own variable`,
      });
      return;
    }
    // slot-by-slot acquires: after the slot that failed, only the earlier slots hold pages
    if (site?.perElement && ev.count === site.requested && !set.outcomes.includes('full') && !set.countVars.includes(ev.count)) {
      cx.report(st, {
        code: 'release-count-mismatch', node: ev.node, set, step: `the loop stopped at the slot ${site.api.name}() failed to fill`,
        message: `${ev.api}() releases all ${site.requested} slots, but ${site.api.name}() (line ${cite(site.call.startPosition.row)}) fills them one per iteration and failed on this path: only the slots before the failing one hold ${set.mode === 'PIN' ? 'pins' : 'references'}; release them in reverse from the failing index`,
      });
      return;
    }
    if (!mayHold(set)) return;
    // a byte-count acquire may return fewer bytes than asked for: the page count must come from what it returned
    if (site?.requestedBytes && ev.countFromBytes === site.requestedBytes && set.outcomes.includes('partial') && !set.countVars.includes(ev.count)) {
      const got = set.countVars.find(v => !v.startsWith('<'));
      cx.report(st, {
        code: 'release-count-mismatch', node: ev.node, set, step: `may have obtained fewer than ${site.requestedBytes} bytes`,
        message: `${ev.api}() releases ${ev.count}, the pages of the requested ${site.requestedBytes} bytes, but ${site.api.name}() (line ${cite(site.call.startPosition.row)}) may have returned fewer bytes on this path${got ? `: count the pages of the ${got} bytes it returned` : ''}; the slots past them hold no ${set.mode === 'GET' ? 'reference' : 'pin'}`,
      });
      return;
    }
    // `got / PAGE_SIZE` of the bytes an extraction returned: its pages start at an offset
    // in the first one, so they are DIV_ROUND_UP(off + got, PAGE_SIZE) — one more, or two
    const floor = ev.countIs?.startsWith(FLOOR) ? ev.countIs.slice(FLOOR.length) : undefined;
    if (site?.returns === 'bytes' && floor && set.countVars.includes(floor) && mayHold(set)) {
      cx.report(st, {
        code: 'release-count-mismatch', node: ev.node, set, step: `${ev.count}: whole pages of ${floor} bytes, rounded down`,
        message: `${ev.api}() releases ${ev.count}, the whole pages in the ${floor} bytes ${site.api.name}() (line ${cite(site.call.startPosition.row)}) returned, but those bytes start at an offset in the first page and may end inside the last: the pages it ${set.mode === 'GET' ? 'referenced' : 'took'} are DIV_ROUND_UP(offset + ${floor}, PAGE_SIZE), and the last ${set.mode === 'GET' ? 'keep their references' : 'stay held'}`,
      });
      return;
    }
    if (!site || (site.returns !== 'count' && site.returns !== 'bytes') || site.perElement || !site.requested || site.requested === '1') return;
    const is = ev.countIs ?? ev.count;
    if (is !== site.requested || set.countVars.includes(ev.count) || !set.outcomes.includes('partial')) return;
    const got = set.countVars.find(v => !v.startsWith('<'));
    cx.report(st, {
      code: 'release-count-mismatch', node: ev.node, set, step: `may have obtained fewer than ${site.requested}`,
      message: `${ev.api}() releases ${site.requested} pages${is !== ev.count ? ` (${ev.count})` : ''}${ev.viaHelper ? ` through ${ev.viaHelper}()` : ''}, but ${site.api.name}() (line ${cite(site.call.startPosition.row)}) may have ${set.mode === 'PIN' ? 'pinned' : 'obtained'} fewer on this path${got ? `: release ${got}` : ''}; the slots past the obtained count hold no ${set.mode === 'PIN' ? 'pin' : 'reference'}`,
      fixes: got ? replaceCountFix(ev, got) : [],
    });
  },
};
