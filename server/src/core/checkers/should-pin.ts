// should-pin — FOLL_GET pages used as a DMA target or kept for long.
//
// Rule (Documentation/core-api/pin_user_pages.rst): code that lets a device
// read or write the pages (DMA: sg tables, dma_map_*, vmap for a device's
// view) must pin them with pin_user_pages*(), so that fork() and writeback
// see folio_maybe_dma_pinned() and leave them alone. A FOLL_GET reference
// only keeps the page allocated.
// False-positive policy: reported only when the referenced pages themselves
// reach a DMA-mapping or sg-building call in the same function; the
// information level says it is advice, not a crash.
import type { Checker } from './checker';

export const shouldPin: Checker = {
  code: 'should-pin',
  onDmaUse(cx, st, set, node, use) {
    if (set.mode !== 'GET') return;
    const site = cx.sites.find(s => s.id === set.site);
    if (!site || !/^get_user_page/.test(site.api.name)) return;
    const pinApi = site.api.name.replace(/^get_user_page/, 'pin_user_page');
    cx.report(st, {
      code: 'should-pin', node: site.call, set, step: `${use}() maps the referenced pages for DMA`,
      message: `${site.api.name}() only takes references (FOLL_GET), but the pages go to ${use}() at line ${node.startPosition.row + 1} for DMA: pin them with ${pinApi}() and release with unpin_user_page(s), so fork() and writeback see them as pinned`,
    });
  },
};
