// SPDX-License-Identifier: GPL-2.0
/*
 * xdio - a made-up block driver's direct I/O path, in the 6.12 style where
 * iov_iter_extract_pages() pins user memory and takes nothing from kernel
 * iterators. Written for pinlens' examples; not kernel code.
 */
#include <linux/bio.h>
#include <linux/uio.h>

#define XDIO_MAX_PAGES 64

/* Correct: the bio is flagged for pinned pages only when they were pinned. */
static int xdio_bio_fill(struct bio *bio, struct iov_iter *iter)
{
	struct page *stack[XDIO_MAX_PAGES];
	struct page **pages = stack;
	ssize_t bytes;
	size_t off;
	int i, nr;

	bytes = iov_iter_extract_pages(iter, &pages, SZ_256K, XDIO_MAX_PAGES, 0, &off);
	if (bytes <= 0)
		return bytes ? bytes : -EFAULT;
	if (iov_iter_extract_will_pin(iter))
		bio_set_flag(bio, BIO_PAGE_PINNED);
	nr = DIV_ROUND_UP(off + bytes, PAGE_SIZE);
	for (i = 0; i < nr; i++) {
		size_t len = min_t(size_t, bytes, PAGE_SIZE - off);

		__bio_add_page(bio, pages[i], len, off);
		bytes -= len;
		off = 0;
	}
	return 0;
}

/* Bug: BIO_PAGE_PINNED set whatever the iterator is. */
static int xdio_bio_fill_always_pinned(struct bio *bio, struct iov_iter *iter)
{
	struct page *stack[XDIO_MAX_PAGES];
	struct page **pages = stack;
	ssize_t bytes;
	size_t off;

	bytes = iov_iter_extract_pages(iter, &pages, PAGE_SIZE, 1, 0, &off);
	if (bytes <= 0)
		return bytes ? bytes : -EFAULT;
	bio_set_flag(bio, BIO_PAGE_PINNED);
	__bio_add_page(bio, pages[0], bytes, off);
	return 0;
}

/* Bug: extracted pages are unpinned unconditionally after a synchronous copy. */
static ssize_t xdio_read_sync(struct xdio_dev *xd, struct iov_iter *iter, loff_t pos)
{
	struct page *stack[XDIO_MAX_PAGES];
	struct page **pages = stack;
	ssize_t bytes;
	size_t off;
	int nr;

	bytes = iov_iter_extract_pages(iter, &pages, SZ_256K, XDIO_MAX_PAGES, 0, &off);
	if (bytes <= 0)
		return bytes;
	nr = DIV_ROUND_UP(off + bytes, PAGE_SIZE);
	xdio_hw_read(xd, pages, nr, off, pos);
	unpin_user_pages_dirty_lock(pages, nr, true);
	return bytes;
}

/* Correct twin: release only what was pinned. */
static ssize_t xdio_read_sync_ok(struct xdio_dev *xd, struct iov_iter *iter, loff_t pos)
{
	struct page *stack[XDIO_MAX_PAGES];
	struct page **pages = stack;
	ssize_t bytes;
	size_t off;
	int nr;

	bytes = iov_iter_extract_pages(iter, &pages, SZ_256K, XDIO_MAX_PAGES, 0, &off);
	if (bytes <= 0)
		return bytes;
	nr = DIV_ROUND_UP(off + bytes, PAGE_SIZE);
	xdio_hw_read(xd, pages, nr, off, pos);
	if (iov_iter_extract_will_pin(iter))
		unpin_user_pages_dirty_lock(pages, nr, true);
	return bytes;
}

/* Bug: a kernel-backed iterator built here gives pages with no reference. */
static int xdio_write_kernel_buf(struct xdio_dev *xd, struct bio_vec *bv, int nr_bvec, size_t len)
{
	struct iov_iter iter;
	struct page *stack[XDIO_MAX_PAGES];
	struct page **pages = stack;
	ssize_t bytes;
	size_t off;
	int nr, i;

	iov_iter_bvec(&iter, ITER_SOURCE, bv, nr_bvec, len);
	bytes = iov_iter_extract_pages(&iter, &pages, len, XDIO_MAX_PAGES, 0, &off);
	if (bytes <= 0)
		return bytes ? bytes : -EIO;
	nr = DIV_ROUND_UP(off + bytes, PAGE_SIZE);
	xdio_hw_write(xd, pages, nr, off);
	for (i = 0; i < nr; i++)
		put_page(pages[i]);
	return 0;
}
