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
import { consequence, dropPair, ledger } from '../counters';
import type { Checker, ReleaseEvent } from './checker';

export const doubleRelease: Checker = {
  code: 'double-release',
  onRelease(cx, st, set, ev) {
    if (!set && ev.releasedBefore) {
      const b = ev.releasedBefore;
      cx.report(st, {
        code: 'double-release', node: ev.node, helper: ev.viaHelper, step: 'released again',
        message: `${ev.api}()${ev.viaHelper ? ` via ${ev.viaHelper}()` : ''} releases ${b.field} again: ${b.api} already released that field's pages at line ${b.line} on this path, and neither the field nor ${b.count ? `its count ${b.count}` : 'its count'} was reset since`,
      });
      return;
    }
    if (!set || set.state !== 'released' || !set.releasedAt || ev.family === 'bio' && set.releasedAt.api.startsWith('bio_')) return;
    const first = set.releasedAt;
    if (set.param !== undefined && !borrowedTwice(cx.fn.body.text, set.holder, first.node.id, ev)) return;
    const after = dropPair(set.folios, ev.family === 'bio' ? 'unpin' : ev.family);
    cx.report(st, {
      code: 'double-release', node: ev.node, set, helper: ev.viaHelper, step: 'released again',
      message: `${ev.api}()${ev.viaHelper ? ` via ${ev.viaHelper}()` : ''} releases ${set.holder}${set.param !== undefined ? ' (pages its caller passed in)' : ''} again: ${first.via ? `${first.via}() (through ${first.api}())` : `${first.api}()`} already released them at line ${first.node.startPosition.row + 1} on this path`,
      counters: {
        before: ledger(set.holder, set.mode, 'released', '', set.folios),
        after: ledger(set.holder, set.mode, 'released twice', '', after),
        consequence: consequence(after, set.mode),
      },
    });
  },
};

/** A second whole release of a parameter's pages, by another call, of the parameter as written, whose slots are never cleared. */
function borrowedTwice(body: string, holder: string, first: number, ev: ReleaseEvent): boolean {
  if (!ev.whole || ev.node.id === first || !/^\w+$/.test(holder)) return false;
  // (not a slot in a loop: `put_page(pages[i]); goto fail;` releases one slot, which the loop body would stand for)
  if (ev.argText.replace(/\s+/g, '') !== holder) return false;
  return !new RegExp(`\\b${holder}\\s*(\\[[^\\]]*\\])?\\s*=\\s*NULL\\b`).test(body);
}
