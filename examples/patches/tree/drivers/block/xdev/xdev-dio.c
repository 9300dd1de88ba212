// SPDX-License-Identifier: GPL-2.0
/*
 * xdev - direct I/O between user buffers and the device.
 *
 * Example for pinlens' patch review; written for it, not kernel code.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/uio.h>
#include "xdev.h"

static int xdev_copy_to_page(struct xdev *xd, loff_t pos, struct page *page,
			     size_t offset, size_t len)
{
	void *vaddr;

	if (pos + len > xd->size)
		return -EIO;
	vaddr = kmap_local_page(page);
	memcpy(vaddr + offset, xd->buf + pos, len);
	kunmap_local(vaddr);
	return 0;
}

static int xdev_copy_from_page(struct xdev *xd, loff_t pos, struct page *page,
			       size_t offset, size_t len)
{
	void *vaddr;

	if (pos + len > xd->size)
		return -EIO;
	vaddr = kmap_local_page(page);
	memcpy(xd->buf + pos, vaddr + offset, len);
	kunmap_local(vaddr);
	return 0;
}

/*
 * Synchronous read: copy the device's data into the pages of @iter.
 */
ssize_t xdev_dio_read_sync(struct xdev *xd, struct iov_iter *iter, loff_t pos)
{
	struct page *pages[XDEV_MAX_PAGES];
	size_t offset, done = 0;
	ssize_t bytes;
	int i, nr, ret = 0;

	bytes = iov_iter_get_pages2(iter, pages, XDEV_MAX_PAGES * PAGE_SIZE,
				    XDEV_MAX_PAGES, &offset);
	if (bytes <= 0)
		return bytes ? bytes : -EFAULT;
	nr = DIV_ROUND_UP(offset + bytes, PAGE_SIZE);

	for (i = 0; i < nr; i++) {
		size_t len = min_t(size_t, bytes - done, PAGE_SIZE - offset);

		ret = xdev_copy_to_page(xd, pos + done, pages[i], offset, len);
		if (ret)
			break;
		done += len;
		offset = 0;
	}

	for (i = 0; i < nr; i++) {
		set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
	if (done < bytes)
		iov_iter_revert(iter, bytes - done);
	return done ? done : ret;
}

/*
 * Synchronous write: copy the pages of @iter to the device.
 */
ssize_t xdev_dio_write_sync(struct xdev *xd, struct iov_iter *iter, loff_t pos)
{
	struct page *pages[XDEV_MAX_PAGES];
	size_t offset, done = 0;
	ssize_t bytes;
	int i, nr, ret;

	bytes = iov_iter_get_pages2(iter, pages, XDEV_MAX_PAGES * PAGE_SIZE,
				    XDEV_MAX_PAGES, &offset);
	if (bytes <= 0)
		return bytes ? bytes : -EFAULT;
	nr = DIV_ROUND_UP(offset + bytes, PAGE_SIZE);

	for (i = 0; i < nr; i++) {
		size_t len = min_t(size_t, bytes - done, PAGE_SIZE - offset);

		ret = xdev_copy_from_page(xd, pos + done, pages[i], offset, len);
		if (ret)
			goto out_put;
		done += len;
		offset = 0;
	}

	for (i = 0; i < nr; i++)
		put_page(pages[i]);
	return done;

out_put:
	iov_iter_revert(iter, bytes - done);
	for (i = 0; i < nr; i++)
		put_page(pages[i]);
	return done ? done : ret;
}

static void xdev_bio_put_pages(struct bio *bio)
{
	struct bvec_iter_all iter_all;
	struct bio_vec *bv;

	bio_for_each_segment_all(bv, bio, iter_all)
		put_page(bv->bv_page);
}

static void xdev_dio_end_io(struct bio *bio)
{
	struct xdev_dio *dio = bio->bi_private;

	xdev_bio_put_pages(bio);
	dio->done(dio, blk_status_to_errno(bio->bi_status));
	bio_put(bio);
}

/*
 * Asynchronous I/O: hand the pages of @iter to a bio; xdev_dio_end_io()
 * releases them when the device is done.
 */
int xdev_dio_submit(struct xdev *xd, struct xdev_dio *dio,
		    struct iov_iter *iter, loff_t pos)
{
	struct page *pages[XDEV_MAX_PAGES];
	struct bio *bio;
	size_t offset;
	ssize_t bytes;
	int i, nr;

	bio = bio_alloc(xd->bdev, XDEV_MAX_PAGES, dio->opf, GFP_KERNEL);
	bytes = iov_iter_get_pages2(iter, pages, XDEV_MAX_PAGES * PAGE_SIZE,
				    XDEV_MAX_PAGES, &offset);
	if (bytes <= 0) {
		bio_put(bio);
		return bytes ? bytes : -EFAULT;
	}
	nr = DIV_ROUND_UP(offset + bytes, PAGE_SIZE);

	for (i = 0; i < nr; i++) {
		size_t len = min_t(size_t, bytes, PAGE_SIZE - offset);

		if (bio_add_page(bio, pages[i], len, offset) != len)
			goto out_put;
		bytes -= len;
		offset = 0;
	}

	bio->bi_iter.bi_sector = pos >> SECTOR_SHIFT;
	bio->bi_private = dio;
	bio->bi_end_io = xdev_dio_end_io;
	submit_bio(bio);
	return 0;

out_put:
	/* pages[0..i) went into the bio, pages[i..nr) did not */
	iov_iter_revert(iter, bytes);
	while (i < nr)
		put_page(pages[i++]);
	xdev_bio_put_pages(bio);
	bio_put(bio);
	return -EIO;
}
