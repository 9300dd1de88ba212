// bio-flag-mismatch — a bio's cleanup flag must say how its pages are held.
//
// Rule: bio_release_pages() unpins the pages of a BIO_PAGE_PINNED bio (6.12),
// puts the pages of a BIO_PAGE_REFFED bio (6.3–6.9), and in 6.1 puts every
// page unless BIO_NO_PAGE_REF is set. So pinned pages need BIO_PAGE_PINNED,
// referenced pages must not be flagged PINNED, pages extracted from an
// untested iterator get BIO_PAGE_PINNED only under
// iov_iter_extract_will_pin(), and BIO_NO_PAGE_REF is for pages that hold
// nothing. A bio allocated in the function that gets pinned pages but never
// the flag leaks the pins.
// False-positive policy: only bios whose pages or flag the function itself
// sets are judged; bios filled by bio_iov_iter_get_pages() flag themselves.
import { bioFlagFixes, missingBioFlagFix } from '../fixes';
import type { PageSet } from '../ledger';
import type { Mode } from '../types';
import type { CheckContext, Checker } from './checker';
import type { State } from '../ledger';
import type { Node } from '../syntax';
import { cite } from '../cite';

function judge(mode: Mode, flag: string, kernel: '6.1' | '6.12'): string | undefined {
  if (flag === 'BIO_PAGE_PINNED') {
    if (mode === 'GET') return 'BIO_PAGE_PINNED makes bio_release_pages() unpin pages that were only referenced (FOLL_GET): the refcount underflows by GUP_PIN_COUNTING_BIAS';
    if (mode === 'EXTRACT') return 'BIO_PAGE_PINNED is set unconditionally on pages from iov_iter_extract_pages(): set it only if iov_iter_extract_will_pin(), kernel-backed iterators give no pin';
    if (mode === 'NONE') return 'BIO_PAGE_PINNED on pages listed from a kernel-backed iterator, which carry no pin: bio_release_pages() would unpin pages nobody pinned';
  }
  if (flag === 'BIO_PAGE_REFFED') {
    if (mode === 'PIN') return 'BIO_PAGE_REFFED makes bio_release_pages() put_page() pinned pages: the pin is never dropped';
    if (mode === 'EXTRACT' || mode === 'NONE') return 'BIO_PAGE_REFFED on extracted pages, which are pinned or hold nothing, never a plain reference';
  }
  // 6.1: BIO_NO_PAGE_REF keeps bio_release_pages() from put_page()-ing the pages;
  // pinned pages need it (their owner unpins them), referenced pages leak with it
  if (flag === 'BIO_NO_PAGE_REF' && mode === 'GET') {
    return 'BIO_NO_PAGE_REF tells bio_release_pages() not to put the pages, but they hold references: they leak';
  }
  if (flag === 'BIO_NO_PAGE_REF' && mode === 'PIN' && kernel !== '6.1') {
    return 'BIO_NO_PAGE_REF is the 6.1 flag; in this kernel pinned pages need BIO_PAGE_PINNED';
  }
  return undefined;
}

function check(cx: CheckContext, st: State, bio: string, set: PageSet, flag: string, node: Node): void {
  const why = judge(set.mode, flag, cx.kernel);
  if (!why) return;
  const site = cx.sites.find(s => s.id === set.site);
  cx.report(st, {
    code: 'bio-flag-mismatch', node, set, step: `${bio}: ${flag} vs ${set.mode} pages`,
    fixes: bioFlagFixes(cx, site, set.mode, flag, node, bio),
    message: `${bio} is marked ${flag}, but its pages come from ${site?.api.name ?? 'an acquire'}() (line ${cite(site?.call.startPosition.row ?? 0)}, ${set.mode}): ${why}`,
  });
}

export const bioFlagMismatch: Checker = {
  code: 'bio-flag-mismatch',
  onBioFlag(cx, st, bio, flag, node) {
    for (const i of st.bios[bio]?.sets ?? []) check(cx, st, bio, st.sets[i], flag, node);
  },
  onBioAdd(cx, st, bio, set, node) {
    for (const flag of st.bios[bio]?.flags ?? []) check(cx, st, bio, set, flag, node);
  },
  onExit(cx, st) {
    // 6.12: pinned pages in a bio need BIO_PAGE_PINNED or nobody unpins them;
    // 6.1: they need BIO_NO_PAGE_REF or bio_release_pages() put_page()s them
    const needed = cx.kernel === '6.1' ? 'BIO_NO_PAGE_REF' : 'BIO_PAGE_PINNED';
    for (const [bio, b] of Object.entries(st.bios)) {
      if (!b.local || b.flags.some(f => f.startsWith(needed))) continue;
      for (const i of b.sets) {
        const set = st.sets[i];
        // pinned pages; or extracted ones (pinned when the iterator is user-backed) in 6.12
        const extracted = set.mode === 'EXTRACT' && cx.kernel !== '6.1';
        if (set.mode !== 'PIN' && !extracted) continue;
        const site = cx.sites.find(s => s.id === set.site);
        cx.report(st, {
          code: 'bio-flag-mismatch', node: b.addedAt[0] ?? site?.call ?? cx.fn.body, set, step: `${bio} never marked ${needed}`,
          fixes: missingBioFlagFix(cx, site, extracted ? 'EXTRACT' : set.mode, bio, b.addedAt[0], needed),
          message: cx.kernel === '6.1'
            ? `pages pinned by ${site?.api.name ?? 'an acquire'}() are added to ${bio}, which is not marked BIO_NO_PAGE_REF on this path: in 6.1 bio_release_pages() will put_page() them, dropping references that were never taken`
            : extracted
              ? `pages extracted by ${site?.api.name ?? 'an acquire'}() (pinned when the iterator is user-backed) are added to ${bio}, which is never marked BIO_PAGE_PINNED on this path: bio_release_pages() will not unpin them; set it if iov_iter_extract_will_pin()`
              : `pages pinned by ${site?.api.name ?? 'an acquire'}() are added to ${bio}, which is never marked BIO_PAGE_PINNED on this path: bio_release_pages() will not unpin them`,
        });
      }
    }
  },
};
