// The kernel API catalog as data, modelled from Linux 6.12 and 6.1:
// mm/gup.c (is_valid_gup_args, try_grab_folio, gup_put_folio), include/linux/mm.h,
// lib/iov_iter.c, include/linux/uio.h, block/bio.c, block/blk.h,
// include/linux/bio.h and include/linux/blk_types.h.
import type { Family, Mode } from './types';

/** How a call's return value reports what it obtained. */
export type Returns =
  | 'count' //     number of pages (may be fewer than asked), or -errno
  | 'bytes' //     bytes covered by the pages (iov_iter_*), or -errno
  | 'bool' //      true when the single page was obtained
  | 'page' //      the page itself, or ERR_PTR
  | 'into-bio' // 0 or -errno; the pages are already in the bio
  | 'into-sg'; //  bytes, or -errno; the pages are already in the sg table

export interface AcquireApi {
  kind: 'acquire';
  name: string;
  /** the mode before flags and iterators are looked at. */
  mode: Mode;
  /** argument indexes, -1 when absent. */
  pagesArg: number;
  countArg: number;
  flagsArg: number;
  iterArg: number;
  /** byte-count APIs: the maximum size asked for (the page count follows from it and the offset). */
  sizeArg?: number;
  returns: Returns;
  /** flags the API sets itself (is_valid_gup_args' to_set). */
  internalFlags: string[];
  since?: string;
  until?: string;
  doc: string;
}

export interface ReleaseApi {
  kind: 'release';
  name: string;
  family: Family;
  /** index of the page / folio / array argument. */
  pagesArg: number;
  /** index of the count argument, -1 for single-page releases. */
  countArg: number;
  /** true when the argument is an array of pages/folios. */
  array: boolean;
  doc: string;
}

export type KernelApi = AcquireApi | ReleaseApi;

const acquire = (name: string, mode: Mode, a: Partial<AcquireApi> & { doc: string }): AcquireApi => ({
  kind: 'acquire', name, mode, pagesArg: -1, countArg: -1, flagsArg: -1, iterArg: -1,
  returns: 'count', internalFlags: [], ...a,
});
const release = (name: string, family: Family, pagesArg: number, countArg: number, array: boolean, doc: string): ReleaseApi =>
  ({ kind: 'release', name, family, pagesArg, countArg, array, doc });

const GUP_DOC = 'takes a reference on each page (FOLL_GET); release each page with put_page() / folio_put(), or the array with release_pages()';
const PUP_DOC = 'pins each page (FOLL_PIN: refcount += GUP_PIN_COUNTING_BIAS on small folios, +1 and _pincount += 1 on large ones); release with unpin_user_page(s) / unpin_user_pages_dirty_lock()';

export const ACQUIRE_APIS: AcquireApi[] = [
  acquire('get_user_pages', 'GET', { countArg: 1, flagsArg: 2, pagesArg: 3, internalFlags: ['FOLL_TOUCH'], doc: GUP_DOC }),
  acquire('get_user_pages_fast', 'GET', { countArg: 1, flagsArg: 2, pagesArg: 3, internalFlags: ['FOLL_GET'], doc: GUP_DOC }),
  acquire('get_user_pages_fast_only', 'GET', { countArg: 1, flagsArg: 2, pagesArg: 3, internalFlags: ['FOLL_GET', 'FOLL_FAST_ONLY'], doc: GUP_DOC }),
  acquire('get_user_pages_remote', 'GET', { countArg: 2, flagsArg: 3, pagesArg: 4, internalFlags: ['FOLL_TOUCH', 'FOLL_REMOTE'], doc: GUP_DOC }),
  acquire('get_user_pages_unlocked', 'GET', { countArg: 1, flagsArg: 3, pagesArg: 2, internalFlags: ['FOLL_TOUCH', 'FOLL_UNLOCKABLE'], doc: GUP_DOC }),
  acquire('get_user_pages_locked', 'GET', { countArg: 1, flagsArg: 2, pagesArg: 3, until: '6.4', doc: GUP_DOC }),
  acquire('get_user_page_vma_remote', 'GET', { flagsArg: 2, returns: 'page', internalFlags: ['FOLL_TOUCH', 'FOLL_REMOTE'], since: '6.5', doc: 'returns one page with a reference (FOLL_GET) or an ERR_PTR; release with put_page()' }),
  acquire('get_user_page_fast_only', 'GET', { flagsArg: 1, pagesArg: 2, returns: 'bool', internalFlags: ['FOLL_GET', 'FOLL_FAST_ONLY'], doc: 'takes a reference on one page when it returns true; release with put_page()' }),
  acquire('pin_user_pages', 'PIN', { countArg: 1, flagsArg: 2, pagesArg: 3, internalFlags: ['FOLL_PIN'], doc: PUP_DOC }),
  acquire('pin_user_pages_fast', 'PIN', { countArg: 1, flagsArg: 2, pagesArg: 3, internalFlags: ['FOLL_PIN'], doc: PUP_DOC }),
  acquire('pin_user_pages_fast_only', 'PIN', { countArg: 1, flagsArg: 2, pagesArg: 3, internalFlags: ['FOLL_PIN', 'FOLL_FAST_ONLY'], until: '6.5', doc: PUP_DOC }),
  acquire('pin_user_pages_remote', 'PIN', { countArg: 2, flagsArg: 3, pagesArg: 4, internalFlags: ['FOLL_PIN', 'FOLL_TOUCH', 'FOLL_REMOTE'], doc: PUP_DOC }),
  acquire('pin_user_pages_unlocked', 'PIN', { countArg: 1, flagsArg: 3, pagesArg: 2, internalFlags: ['FOLL_PIN', 'FOLL_TOUCH', 'FOLL_UNLOCKABLE'], doc: PUP_DOC }),
  acquire('pin_user_pages_locked', 'PIN', { countArg: 1, flagsArg: 2, pagesArg: 3, until: '6.4', doc: PUP_DOC }),
  acquire('memfd_pin_folios', 'PIN', { countArg: 4, pagesArg: 3, internalFlags: ['FOLL_PIN'], since: '6.11', doc: 'pins the folios of a memfd range (FOLL_PIN); release with unpin_folios() / unpin_folio()' }),
  acquire('iov_iter_extract_pages', 'EXTRACT', { iterArg: 0, pagesArg: 1, sizeArg: 2, countArg: 3, returns: 'bytes', since: '6.3', doc: 'pins the pages of a user-backed iterator (ubuf/iovec) and takes no reference at all on kernel-backed ones (bvec/kvec/folioq/xarray): release only if iov_iter_extract_will_pin(), with unpin_user_page(s)' }),
  acquire('iov_iter_get_pages2', 'GET', { iterArg: 0, pagesArg: 1, sizeArg: 2, countArg: 3, returns: 'bytes', doc: 'takes a reference on each page (get_user_pages_fast for user memory, get_page for bvecs); release with put_page()' }),
  acquire('iov_iter_get_pages_alloc2', 'GET', { iterArg: 0, pagesArg: 1, sizeArg: 2, returns: 'bytes', doc: 'allocates the array and takes a reference on each page; release with put_page() and kvfree() the array' }),
  acquire('iov_iter_get_pages', 'GET', { iterArg: 0, pagesArg: 1, sizeArg: 2, countArg: 3, returns: 'bytes', until: '6.1', doc: '(6.1 and older) takes a reference on each page; release with put_page()' }),
  acquire('iov_iter_get_pages_alloc', 'GET', { iterArg: 0, pagesArg: 1, sizeArg: 2, returns: 'bytes', until: '6.1', doc: '(6.1 and older) allocates the array and takes a reference on each page; release with put_page()' }),
  acquire('extract_iter_to_sg', 'EXTRACT', { iterArg: 0, sizeArg: 1, pagesArg: 2, countArg: 3, returns: 'into-sg', since: '6.3', doc: 'extracts the iterator\'s pages into an sg table: pinned for user-backed iterators (ubuf/iovec), no reference for kernel-backed ones; the table\'s owner unpins them (sg_page()) only if iov_iter_extract_will_pin()' }),
  acquire('bio_iov_iter_get_pages', 'EXTRACT', { iterArg: 1, pagesArg: 0, returns: 'into-bio', doc: 'adds the iterator\'s pages to the bio and marks it BIO_PAGE_PINNED when they were pinned; release with bio_release_pages()' }),
];

export const RELEASE_APIS: ReleaseApi[] = [
  release('put_page', 'put', 0, -1, false, 'drops one reference (refcount -= 1); right for FOLL_GET pages, wrong for pinned ones'),
  release('folio_put', 'put', 0, -1, false, 'drops one folio reference; right for FOLL_GET, wrong for pinned folios'),
  release('folio_put_refs', 'put', 0, 1, false, 'drops refs folio references'),
  release('release_pages', 'put', 0, 1, true, 'drops one reference on each page of the array (FOLL_GET)'),
  release('put_user_page', 'unpin', 0, -1, false, '(5.x name of unpin_user_page)'),
  release('put_user_pages', 'unpin', 0, 1, true, '(5.x name of unpin_user_pages)'),
  release('unpin_user_page', 'unpin', 0, -1, false, 'releases one FOLL_PIN pin (refcount -= GUP_PIN_COUNTING_BIAS on a small folio; _pincount -= 1 and refcount -= 1 on a large one)'),
  release('unpin_user_pages', 'unpin', 0, 1, true, 'releases the FOLL_PIN pins of npages pages'),
  release('unpin_user_pages_dirty_lock', 'unpin', 0, 1, true, 'marks the pages dirty (if asked) and releases their FOLL_PIN pins'),
  release('unpin_user_page_range_dirty_lock', 'unpin', 0, 1, false, 'releases the pins of npages contiguous pages starting at page'),
  release('unpin_folio', 'unpin', 0, -1, false, 'releases one folio pin (6.11+)'),
  release('unpin_folios', 'unpin', 0, 1, true, 'releases the pins of nfolios folios (6.11+)'),
  release('unpin_user_folio', 'unpin', 0, 1, false, 'releases npages pins of one folio'),
  release('bio_release_pages', 'bio', 0, -1, false, 'releases a bio\'s pages as its flags say: unpins them when BIO_PAGE_PINNED (6.12); puts them unless BIO_NO_PAGE_REF (6.1)'),
  release('bio_release_page', 'bio', 1, -1, false, 'releases one page of a bio as the bio\'s BIO_PAGE_PINNED flag says'),
];

export const ACQUIRE_BY_NAME = new Map(ACQUIRE_APIS.map(a => [a.name, a]));
export const RELEASE_BY_NAME = new Map(RELEASE_APIS.map(r => [r.name, r]));
/** The release APIs' names as a RegExp alternation (`put_page|unpin_user_page|…`), for text-level looks at a function. */
export const RELEASE_NAMES = RELEASE_APIS.map(r => r.name).join('|');

/**
 * The releases that fit an acquire's pages, from the release catalog: the
 * family its mode needs (bio_release_pages() for pages put into a bio), folio
 * releases for folio APIs and page releases for the others, 5.x names left out.
 * Extracted pages are unpinned only if iov_iter_extract_will_pin().
 */
export function releasesFor(api: AcquireApi): ReleaseApi[] {
  if (api.returns === 'into-bio') return RELEASE_APIS.filter(r => r.family === 'bio');
  const family: Family | undefined = api.mode === 'GET' ? 'put' : api.mode === 'PIN' || api.mode === 'EXTRACT' ? 'unpin' : undefined;
  if (!family) return [];
  const folios = /folio/.test(api.name);
  return RELEASE_APIS.filter(r => r.family === family && /folio/.test(r.name) === folios && !r.doc.startsWith('(5.'));
}

export function lookupApi(name: string): KernelApi | undefined {
  return ACQUIRE_BY_NAME.get(name) ?? RELEASE_BY_NAME.get(name);
}

/** gup flags callers must not pass (mm/internal.h INTERNAL_GUP_FLAGS, 6.12). */
export const INTERNAL_GUP_FLAGS = ['FOLL_TOUCH', 'FOLL_TRIED', 'FOLL_REMOTE', 'FOLL_PIN', 'FOLL_FAST_ONLY', 'FOLL_UNLOCKABLE', 'FOLL_MADV_POPULATE'];

/** Predicates that tell the mode of extracted pages: true means pinned. */
export const WILL_PIN_PREDICATES = new Set(['iov_iter_extract_will_pin', 'user_backed_iter', 'iter_is_ubuf', 'iter_is_iovec']);

/** Iterator-kind tests: true means kernel-backed (no pin); false is taken as user-backed. */
export const KERNEL_ITER_PREDICATES = new Set(['iov_iter_is_kvec', 'iov_iter_is_bvec', 'iov_iter_is_xarray', 'iov_iter_is_folioq', 'iov_iter_is_discard']);

/** Taking an extra reference on a page that is already held. */
export const GET_REF = new Set(['get_page', 'folio_get', 'try_get_page', 'folio_try_get']);

/** iov_iter constructors: which make the iterator user- or kernel-backed. */
export const USER_ITER_INIT = new Set(['import_ubuf', 'import_iovec', 'import_single_range', 'iov_iter_ubuf', 'iov_iter_init', '__import_iovec']);
export const KERNEL_ITER_INIT = new Set(['iov_iter_bvec', 'iov_iter_kvec', 'iov_iter_xarray', 'iov_iter_folio_queue', 'iov_iter_discard']);

/** Adding a page to a bio: the bio now holds it. [bio arg, page arg] */
export const BIO_ADD: Map<string, [number, number]> = new Map([
  ['bio_add_page', [0, 1]], ['__bio_add_page', [0, 1]], ['bio_add_pc_page', [1, 2]],
  ['bio_add_hw_page', [1, 2]], ['bio_add_zone_append_page', [0, 1]],
  ['bio_add_folio', [0, 1]], ['bio_add_folio_nofail', [0, 1]], ['bio_add_hw_folio', [1, 2]],
]);
/**
 * The pages added to a bio (bio_add_page()) are its bvecs' `bv_page`: a
 * completion that walks them (`bio_for_each_segment_all(bvec, …)`,
 * `bvec->bv_page`) releases that field. Filled by this name, judged within
 * the file only (every bio in the tree has the same type).
 */
export const BIO_PAGES = '<bio pages>';
export const BVEC_KEY = 'struct bio_vec.bv_page';

/** Setting a bio_vec's page (`bvec_set_page(&bv[i], page, len, off)`): the page is held by that bvec's `bv_page`. */
export const BVEC_SET = new Set(['bvec_set_page', 'bvec_set_folio']);
export const BIO_ALLOC = new Set(['bio_alloc', 'bio_alloc_bioset', 'bio_kmalloc', 'bio_alloc_clone', 'bio_map_kern']);
export const BIO_FLAGS = new Set(['BIO_PAGE_PINNED', 'BIO_PAGE_REFFED', 'BIO_NO_PAGE_REF']);

/** Functions that take the pages for an owner that releases them later. [page arg] */
export const OWNER_HANDOFF: Map<string, { arg: number; owner: string }> = new Map([
  ['sg_set_page', { arg: 1, owner: 'sg table' }],
  ['sg_alloc_table_from_pages', { arg: 1, owner: 'sg table' }],
  ['sg_alloc_append_table_from_pages', { arg: 1, owner: 'sg table' }],
  ['sg_alloc_table_from_pages_segment', { arg: 1, owner: 'sg table' }],
  ['__sg_alloc_table_from_pages', { arg: 1, owner: 'sg table' }],
  ['skb_fill_page_desc', { arg: 2, owner: 'skb' }],
  ['__skb_fill_page_desc', { arg: 2, owner: 'skb' }],
  ['skb_fill_page_desc_noacc', { arg: 2, owner: 'skb' }],
  ['skb_add_rx_frag', { arg: 2, owner: 'skb' }],
  ['skb_frag_fill_page_desc', { arg: 1, owner: 'skb' }],
  ['bvec_set_page', { arg: 1, owner: 'bio_vec' }],
  ['bvec_set_folio', { arg: 1, owner: 'bio_vec' }],
  ['vm_map_ram', { arg: 0, owner: 'vmap' }],
  ['vmap', { arg: 0, owner: 'vmap' }],
  ['list_add', { arg: 0, owner: 'list' }],
  ['list_add_tail', { arg: 0, owner: 'list' }],
  ['xa_store', { arg: 2, owner: 'xarray' }],
]);

/** Uses of DMA that make FOLL_GET the wrong choice (pin_user_pages.rst cases 1, 2, 5). */
export const DMA_USES = new Set([
  'sg_set_page', 'sg_alloc_table_from_pages', 'sg_alloc_append_table_from_pages', 'sg_alloc_table_from_pages_segment', '__sg_alloc_table_from_pages',
  'dma_map_page', 'dma_map_page_attrs', 'dma_map_sg', 'dma_map_sgtable', 'ib_dma_map_page', 'pci_map_page', 'vm_map_ram', 'vmap',
]);

/**
 * Mappings that use pages without holding them (a DMA mapping of one page, a
 * kernel virtual mapping of an array): whoever holds the pages still releases
 * them, after the unmap.
 */
export const MAPS_WITHOUT_REFERENCE = new Set(['dma_map_page', 'dma_map_page_attrs', 'ib_dma_map_page', 'pci_map_page', 'dma_unmap_page', 'vmap', 'vm_map_ram']);

/** Frees of the memory an array of pages (or an object holding one) lives in: the pages in it are not released. */
export const CONTAINER_FREES = new Set(['kfree', 'kvfree', 'vfree', 'kfree_sensitive', 'kvfree_sensitive', 'kmem_cache_free', 'free_page', 'free_pages', '__free_page', '__free_pages']);

/** Calls that read a page or its holder without taking it (no escape). */
export const HARMLESS = new Set([
  'set_page_dirty', 'set_page_dirty_lock', 'SetPageDirty', 'folio_mark_dirty', 'folio_mark_dirty_lock', 'folio_set_dirty',
  'page_folio', 'compound_head', 'page_address', 'kmap', 'kunmap', 'kmap_local_page', 'kmap_local_folio', 'kmap_atomic',
  'page_to_pfn', 'page_to_phys', 'page_to_virt', 'lock_page', 'unlock_page', 'folio_lock', 'folio_unlock',
  'flush_dcache_page', 'flush_dcache_folio', 'memcpy_to_page', 'memcpy_from_page', 'memzero_page', 'copy_page',
  'clear_page', 'clear_highpage', 'zero_user', 'zero_user_segment', 'PageAnon', 'PageHuge', 'PageCompound', 'PageReserved',
  'is_zero_page', 'is_zero_folio', 'folio_test_large', 'folio_nr_pages', 'folio_size', 'page_size', 'folio_page',
  'folio_maybe_dma_pinned', 'page_maybe_dma_pinned', 'PageHighMem', 'page_count', 'folio_ref_count', 'kfree', 'kvfree',
  'vfree', 'memset', 'memcpy', 'pr_debug', 'pr_err', 'pr_info', 'pr_warn', 'dev_dbg', 'dev_err', 'dev_warn', 'WARN_ON', 'WARN_ON_ONCE',
  'BUG_ON', 'VM_BUG_ON', 'trace_printk', 'sizeof', 'ARRAY_SIZE', 'min', 'max', 'min_t', 'max_t', 'offset_in_page',
  'mark_page_accessed', 'folio_mark_accessed', 'page_ref_count', 'PageLRU',
]);

/**
 * Allocators that return zero-filled memory (include/linux/slab.h, vmalloc.h,
 * device/devres.h; also their `_noprof` forms): every field of the object is
 * 0/NULL until written. Any allocator given __GFP_ZERO is one too.
 */
export const ZERO_ALLOC = new Set([
  'kzalloc', 'kzalloc_node', 'kzalloc_obj', 'kzalloc_objs', 'kzalloc_flex', 'kcalloc', 'kcalloc_node',
  'kvzalloc', 'kvzalloc_node', 'kvzalloc_obj', 'kvzalloc_objs', 'kvzalloc_flex', 'kvcalloc', 'kvcalloc_node',
  'kmem_cache_zalloc', 'vzalloc', 'vzalloc_node', 'vcalloc', '__vcalloc', 'devm_kzalloc', 'devm_kcalloc',
]);

/**
 * Calls that work in place on the one field whose address they are given
 * (initialise, lock, fill it) and cannot reach the rest of the object. Any
 * other call given `&obj->f` may recover obj (container_of) or publish it to
 * another context: every field of obj is then unknown.
 */
export const IN_PLACE_FIELD = /^(INIT_\w+|init_\w+|\w+_init|__init_\w+|\w*spin_(un)?lock\w*|mutex_(un)?lock\w*|(down|up)_(read|write)\w*|sg_alloc_table\w*|sg_init_\w+|memset|memcpy|copy_from_user|refcount_set|atomic(64)?_(set|read|inc|dec|add|sub)|(__)?(set|clear|test)_bit)$/;

/** Calls that read the object they are given and write none of its fields. */
export const OBJECT_READERS = /^(IS_ERR|IS_ERR_OR_NULL|PTR_ERR|PTR_ERR_OR_ZERO|likely|unlikely|WARN_ON|WARN_ON_ONCE|BUG_ON|pr_\w+|printk|dev_(dbg|info|notice|warn|err)|trace_\w+)$/;

/** Is this name one of the catalog's page APIs? (prefilter for the index) */
export const ALL_API_NAMES: string[] = [...ACQUIRE_APIS.map(a => a.name), ...RELEASE_APIS.map(r => r.name)];

/**
 * The names that make a text matter for pages by itself: the acquire and
 * release APIs of the catalog and the bio page flags. Every finding and call
 * site starts from one of them or from a helper's summary (index/select.ts
 * says why), so the one prefilter of every front end — a function the core
 * simulates, a file `pinlens check` selects, a file Check Workspace reads —
 * looks for these words.
 */
export const PAGE_API_NAMES: readonly string[] = [...ALL_API_NAMES, ...BIO_FLAGS];
export const PAGE_API_WORDS = new RegExp(`\\b(?:${PAGE_API_NAMES.join('|')})\\b`);

/** Does the text name a page API of the catalog or a bio page flag? */
export function mentionsPageApi(text: string): boolean {
  return PAGE_API_WORDS.test(text);
}

/** The types that carry pages: a parameter or variable of one may hold, take or release them (`struct page **`, `struct folio *`, `struct bio_vec *`). */
export const PAGE_TYPE = /\bstruct\s+(?:page|folio)\b|\bbio_vec\b/;
