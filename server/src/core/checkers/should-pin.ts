// should-pin — FOLL_GET pages used as a DMA target or kept for long.
//
// Rule (Documentation/core-api/pin_user_pages.rst): code that lets a device
// read or write the pages (DMA: sg tables, dma_map_*, vmap for a device's
// view) must pin them with pin_user_pages*(), so that fork() and writeback
// see folio_maybe_dma_pinned() and leave them alone. A FOLL_GET reference
// only keeps the page allocated.
// False-positive policy: reported only when the referenced pages themselves
// reach a DMA-mapping or sg-building call, or are marked dirty after a CPU
// write, in the same function; for iov_iter_get_pages*() only DMA uses of
// iterators not known to be kernel-backed; the information level says it is
// advice, not a crash.
import type { Checker } from './checker';
import { cite } from '../cite';

export const shouldPin: Checker = {
  code: 'should-pin',
  onDmaUse(cx, st, set, node, use) {
    if (set.mode !== 'GET') return;
    const site = cx.sites.find(s => s.id === set.site);
    if (!site) return;
    const writes = /dirty/i.test(use);
    const what = writes
      ? `the caller writes to the pages (${use}() at line ${cite(node.startPosition.row)}; pin_user_pages.rst case 5)`
      : `the pages go to ${use}() at line ${cite(node.startPosition.row)} for DMA or a long-lived mapping`;
    if (/^get_user_page/.test(site.api.name)) {
      const pinApi = site.api.name.replace(/^get_user_page/, 'pin_user_page');
      cx.report(st, {
        code: 'should-pin', node: site.call, set, step: writes ? `${use}(): written through a reference` : `${use}() maps the referenced pages`,
        message: `${site.api.name}() only takes references (FOLL_GET), but ${what}: pin them with ${pinApi}() and release with unpin_user_page(s), so fork() and writeback see them as pinned`,
      });
    } else if (/^iov_iter_get_pages/.test(site.api.name) && cx.kernel !== '6.1' && !writes && st.iters[site.iter ?? ''] !== 'kernel') {
      cx.report(st, {
        code: 'should-pin', node: site.call, set, step: `${use}() maps the referenced pages`,
        message: `${site.api.name}() only takes references (FOLL_GET), but ${what}: use iov_iter_extract_pages(), which pins user-backed pages, and release them only if iov_iter_extract_will_pin()`,
      });
    }
  },
};
