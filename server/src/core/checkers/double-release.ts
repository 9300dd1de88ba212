// double-release — each page is released once on a path.
//
// Rule: after a page set has been released as a whole (a release of the
// array, a loop over it, or its single page), releasing it again on the same
// path drops a reference or pin that belongs to someone else.
// False-positive policy: only whole-set releases mark a set released; a
// re-acquire into the same array starts a new set; releases in loops count
// once, since a loop body stands for all its iterations; pages that came in
// as a parameter are not judged (the caller may hold several references).
import { consequence, dropPair, ledger } from '../counters';
import type { Checker } from './checker';

export const doubleRelease: Checker = {
  code: 'double-release',
  onRelease(cx, st, set, ev) {
    // a parameter's pages may carry references this function cannot see
    if (!set || set.param !== undefined || set.state !== 'released' || !set.releasedAt || ev.family === 'bio' && set.releasedAt.api.startsWith('bio_')) return;
    const first = set.releasedAt;
    const after = dropPair(set.folios, ev.family === 'bio' ? 'unpin' : ev.family);
    cx.report(st, {
      code: 'double-release', node: ev.node, set, helper: ev.viaHelper, step: 'released again',
      message: `${ev.api}()${ev.viaHelper ? ` via ${ev.viaHelper}()` : ''} releases ${set.holder} again: ${first.via ? `${first.via}() (through ${first.api}())` : `${first.api}()`} already released them at line ${first.node.startPosition.row + 1} on this path`,
      counters: {
        before: ledger(set.holder, set.mode, 'released', '', set.folios),
        after: ledger(set.holder, set.mode, 'released twice', '', after),
        consequence: consequence(after, set.mode),
      },
    });
  },
};
