// invalid-gup-flags — the flags is_valid_gup_args() (mm/gup.c) refuses.
//
// Rule (6.12): callers never pass the internal flags (FOLL_PIN, FOLL_TOUCH,
// FOLL_TRIED, FOLL_REMOTE, FOLL_FAST_ONLY, FOLL_UNLOCKABLE,
// FOLL_MADV_POPULATE); FOLL_GET and FOLL_PIN are exclusive, so pin_user_pages*
// refuse FOLL_GET; FOLL_LONGTERM needs FOLL_PIN; FOLL_LONGTERM excludes
// FOLL_PCI_P2PDMA; a pages array is required when the call takes references
// or pins; get_user_page_vma_remote() refuses FOLL_NOWAIT. The call then
// WARNs once and returns -EINVAL (pin_user_pages_remote/_unlocked return 0).
// False-positive policy: flags are traced through local variables of the
// function; a flag cleared with `& ~FOLL_X` is not set; flags from parameters
// or fields are unknown and not judged. The fast APIs also refuse flags
// outside gup_fast_fallback()'s mask; 6.1's pin_user_pages_unlocked() refuses
// FOLL_LONGTERM.
import { ACQUIRE_BY_NAME, INTERNAL_GUP_FLAGS } from '../apis';
import type { Checker } from './checker';

/** gup_fast_fallback()'s mask (mm/gup.c, 6.12): other flags WARN and -EINVAL. */
const FAST_ALLOWED = new Set(['FOLL_WRITE', 'FOLL_LONGTERM', 'FOLL_FORCE', 'FOLL_GET', 'FOLL_PIN', 'FOLL_FAST_ONLY', 'FOLL_NOFAULT', 'FOLL_PCI_P2PDMA', 'FOLL_HONOR_NUMA_FAULT']);

export const invalidGupFlags: Checker = {
  code: 'invalid-gup-flags',
  onAcquire(cx, st, site, flags, pagesNull) {
    const api = ACQUIRE_BY_NAME.get(site.api.name);
    // the APIs' own implementations pass internal flags to each other
    if (!api || ACQUIRE_BY_NAME.has(cx.fn.name)) return;
    const problems: string[] = [];
    const internal = flags.filter(f => INTERNAL_GUP_FLAGS.includes(f));
    if (internal.length) problems.push(`${internal.join(', ')} ${internal.length > 1 ? 'are' : 'is'} internal to GUP and must not be passed by callers`);
    const all = new Set([...flags, ...api.internalFlags]);
    if (api.mode === 'PIN' && flags.includes('FOLL_GET')) problems.push('FOLL_GET and FOLL_PIN are mutually exclusive: pin_user_pages*() set FOLL_PIN themselves');
    if (all.has('FOLL_LONGTERM') && !all.has('FOLL_PIN')) problems.push('FOLL_LONGTERM can only be used when pinning: use pin_user_pages*()');
    if (all.has('FOLL_LONGTERM') && all.has('FOLL_PCI_P2PDMA')) problems.push('FOLL_LONGTERM cannot be combined with FOLL_PCI_P2PDMA');
    if (pagesNull && (all.has('FOLL_PIN') || all.has('FOLL_GET'))) {
      problems.push(cx.kernel === '6.1'
        ? `${api.name}() takes ${all.has('FOLL_PIN') ? 'pins' : 'references'} and needs a pages array: 6.1 does not check it, and its fast path stores the pages into the NULL array`
        : `${api.name}() takes ${all.has('FOLL_PIN') ? 'pins' : 'references'} and needs a pages array, not NULL`);
    }
    if (api.name === 'get_user_page_vma_remote' && all.has('FOLL_NOWAIT')) problems.push('get_user_page_vma_remote() refuses FOLL_NOWAIT');
    if (/_fast(_only)?$/.test(api.name)) {
      const extra = flags.filter(f => !FAST_ALLOWED.has(f) && !INTERNAL_GUP_FLAGS.includes(f));
      if (extra.length) problems.push(`the fast path (gup_fast_fallback()) accepts only ${[...FAST_ALLOWED].join(', ')}; ${extra.join(', ')} ${extra.length > 1 ? 'are' : 'is'} refused`);
    }
    if (cx.kernel === '6.1' && api.name === 'pin_user_pages_unlocked' && all.has('FOLL_LONGTERM')) {
      problems.push('in 6.1, pin_user_pages_unlocked() goes through get_user_pages_unlocked(), which refuses FOLL_LONGTERM');
    }
    if (!problems.length) return;
    const ret = cx.kernel !== '6.1' && /^pin_user_pages(_remote|_unlocked)?$/.test(api.name) ? '0' : '-EINVAL';
    const checked = cx.kernel === '6.1' && pagesNull ? '' : ` — ${cx.kernel === '6.1' ? 'the call warns' : 'is_valid_gup_args() warns'} and returns ${ret}`;
    cx.report(st, {
      code: 'invalid-gup-flags', node: site.call, step: 'flags refused',
      message: `${api.name}(): ${problems.join('; ')}${checked}`,
    });
  },
};
