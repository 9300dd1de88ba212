// mismatched-release — pages must go back through the family that took them.
//
// Rule: FOLL_PIN pages (pin_user_pages*, memfd_pin_folios, extracted pages
// known to be pinned) are released with unpin_user_page(s)/unpin_folio(s);
// FOLL_GET pages (get_user_pages*, iov_iter_get_pages*) with put_page /
// folio_put / release_pages; pages from iov_iter_extract_pages() whose
// iterator the path has not tested are released only under
// iov_iter_extract_will_pin() — an unconditional release is reported.
// False-positive policy: reported only on a path where the acquire obtained
// pages; pages of unknown mode (parameters, unknown helpers) are never judged;
// releases through a bio are the bio-flag checker's business. A parameter's
// pages are judged only when every call of the function in the file (and, with
// a tree, in the files that call it) passes pages of one mode: the message
// names the caller and its acquire. A parameter whose callers extract
// (iov_iter_extract_pages(): pinned or bare as their iterator is) is judged
// only for put_page(): whether an unpin is right is the callers' to know.
//
// A struct field's pages released by a teardown (onFieldRelease: a function
// reached through an ops table or a callback, or a helper called by name,
// that releases a field no page set of its own explains) are judged by how
// the field was filled, in this file or, given their fills, in the folder's
// other files: PIN pages put, GET pages unpinned, extracted pages put (they
// are pinned for user-backed iterators and hold nothing for kernel-backed
// ones, so a put is always wrong). A field filled with more than one mode is
// not judged.
import { commonFlag, KeyedRelease, otherFamily } from '../fields';
import { consequence, dropPair, ledger, pairFor } from '../counters';
import { mayHold } from '../ledger';
import { fixesForMismatch, rightRelease } from '../fixes';
import type { FieldFill } from '../types';
import type { Checker, FindingDraft } from './checker';
import { fieldFinding, fillSteps, flagTest, whereOf } from './field-report';
import { cite } from '../cite';

export const mismatchedRelease: Checker = {
  code: 'mismatched-release',
  onRelease(cx, st, set, ev) {
    if (!set || ev.family === 'bio' || set.mode === 'UNKNOWN' || set.mode === 'NONE' || !mayHold(set)) return;
    if (set.state === 'released') return; // double-release reports it
    const site = cx.sites.find(s => s.id === set.site);
    const from = site ? `${site.api.name}() (line ${cite(site.call.startPosition.row)})` : set.origin?.text ?? 'their acquire';
    const via = ev.viaHelper ? ` via ${ev.viaHelper}()` : '';
    let message: string | undefined;
    if (set.mode === 'PIN' && ev.family === 'put') {
      message = `${ev.api}()${via} drops a plain reference on pages pinned (FOLL_PIN) by ${from}: release them with unpin_user_page(s)`;
    } else if (set.mode === 'GET' && ev.family === 'unpin') {
      message = `${ev.api}()${via} unpins pages that ${from} only referenced (FOLL_GET): release them with put_page()/release_pages()`;
    } else if (set.mode === 'EXTRACT' && set.param !== undefined) {
      // a parameter's extracted pages: whether they are pinned is the callers' to know (their
      // iterator, a flag of theirs); put_page() is wrong either way
      if (ev.family === 'put') message = `${ev.api}()${via} drops a plain reference on pages that ${from} extracted: they are pinned for user-backed iterators (release them with unpin_user_page(s)) and carry no reference for kernel-backed ones, so put_page() is wrong either way`;
    } else if (set.mode === 'EXTRACT') {
      message = `${ev.api}()${via} releases pages from ${from} unconditionally, but they are pinned only for user-backed iterators and carry no reference for kernel-backed ones: release them only if iov_iter_extract_will_pin(${site?.iter ?? 'iter'})`;
    }
    if (!message) return;
    const mode = set.mode === 'EXTRACT' ? 'NONE' : set.mode;
    const after = dropPair(set.folios, ev.family);
    cx.report(st, {
      code: 'mismatched-release', node: ev.node, message, set, helper: ev.viaHelper,
      step: `${ev.api}() on ${set.mode} pages`,
      counters: {
        before: ledger(set.holder, set.mode, 'held', ev.count ?? '1', set.folios),
        after: ledger(set.holder, set.mode, 'released with the wrong family', ev.count ?? '1', set.mode === 'EXTRACT' ? dropPair(set.folios, ev.family === 'put' ? 'unpin' : 'put') : after),
        consequence: set.mode === 'EXTRACT'
          ? `for a kernel-backed iterator (bvec/kvec/folioq/xarray) the pages hold nothing, so ${ev.api}() underflows them; for a user-backed one they are pinned, so ${ev.family === 'put' ? 'put_page() leaves the pin in place' : 'the release is right'}`
          : consequence(after, mode),
      },
      fixes: fixesForMismatch(cx, set, ev),
    });
  },
  onFieldRelease(fx, r, fills) {
    return fills[0].mode === 'EXTRACT' ? (r.family === 'put' ? extractedPut(fills, r) : undefined) : wrongFamily(fills[0], r);
  },
};

/** PIN pages put, GET pages unpinned. */
function wrongFamily(fill: FieldFill, r: KeyedRelease): FindingDraft | undefined {
  if (!otherFamily(fill.mode, r.family)) return undefined;
  const where = whereOf(fill);
  const after = dropPair(pairFor(fill.mode), r.family);
  const right = rightRelease(fill.mode as 'PIN' | 'GET', r.api);
  return fieldFinding('mismatched-release', r, {
    message: `${r.api}() releases ${r.field} (${r.key}) with the ${r.family === 'put' ? 'put_page' : 'unpin'} family, but ${where} filled that field with ${fill.api}() (${fill.mode === 'PIN' ? 'FOLL_PIN' : 'FOLL_GET'}): release it with ${fill.mode === 'PIN' ? 'unpin_user_page(s)' : 'put_page()/release_pages()'}`,
    acquire: fill.file ? undefined : { range: fill.range, api: fill.api, mode: fill.mode },
    path: [...fillSteps(fill, r), { range: r.range, note: `${r.fn}(): ${r.api}(${r.field}), filled by ${where} with ${fill.mode} pages` }],
    counters: {
      before: ledger(r.field, fill.mode, 'held', '', pairFor(fill.mode)),
      after: ledger(r.field, fill.mode, 'released with the wrong family', '', after),
      consequence: consequence(after, fill.mode),
    },
    fixes: right && r.callee ? [{ title: `Release with ${right}()`, edits: [{ range: r.callee, newText: right }], preferred: true }] : [],
  });
}

/** Extracted pages put: never right (an unpin is release-without-reference's to judge). */
function extractedPut(fills: FieldFill[], r: KeyedRelease): FindingDraft {
  const fill = fills[0];
  const where = whereOf(fill);
  const after = dropPair(pairFor('PIN'), 'put');
  return fieldFinding('mismatched-release', r, {
    message: `${r.api}() releases ${r.field} (${r.key}) with the put_page family, but ${where} filled that field with ${fill.api}(): user-backed iterators' pages are pinned (release them with unpin_user_page(s), only if ${flagTest(commonFlag(fills))}) and kernel-backed iterators' pages carry no reference at all (release nothing)`,
    acquire: fill.file ? undefined : { range: fill.range, api: fill.api, mode: 'EXTRACT' },
    path: [...fillSteps(fill, r), { range: r.range, note: `${r.fn}(): ${r.api}(${r.field}), filled by ${where} with extracted pages` }],
    counters: { before: ledger(r.field, 'PIN', 'held', '', pairFor('PIN')), after: ledger(r.field, 'PIN', 'released with the wrong family', '', after), consequence: consequence(after, 'PIN') },
    fixes: [],
  });
}
