// SPDX-License-Identifier: GPL-2.0
/*
 * xpin - a made-up accelerator that DMAs into user buffers.
 * Written for pinlens' examples; not kernel code. Each function is a shape
 * real drivers have, with its bug or its correct form.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/scatterlist.h>

struct xpin_buf {
	struct page **pages;
	unsigned int nr_pages;
	struct sg_table sgt;
};

/* Correct: pin, check the count, unwind what was pinned, store on success. */
static int xpin_buf_pin(struct xpin_buf *buf, unsigned long uaddr, unsigned int nr)
{
	struct page **pages;
	int pinned;

	pages = kvcalloc(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	pinned = pin_user_pages_fast(uaddr, nr, FOLL_WRITE | FOLL_LONGTERM, pages);
	if (pinned < 0) {
		kvfree(pages);
		return pinned;
	}
	if (pinned != nr) {
		unpin_user_pages(pages, pinned);
		kvfree(pages);
		return -EFAULT;
	}
	buf->pages = pages;
	buf->nr_pages = nr;
	return 0;
}

/* Bug: the pinned pages go back with put_page(), so the pin is never dropped. */
static void xpin_buf_unpin_wrong(struct page **pages, unsigned int nr, bool dirty)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (dirty)
			set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
}

static int xpin_copy_from_device(struct xpin_buf *buf, unsigned long uaddr, unsigned int nr)
{
	struct page **pages;
	int ret;

	pages = kvcalloc(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (ret <= 0)
		goto out_free;
	xpin_hw_copy(buf, ret);
	xpin_buf_unpin_wrong(pages, ret, true);
	ret = 0;
out_free:
	kvfree(pages);
	return ret;
}

/* Bug: after a partial pin, the requested count is released. */
static int xpin_fill_sg(struct xpin_buf *buf, unsigned long uaddr, unsigned int nr)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, buf->pages);
	if (ret < 0)
		return ret;
	ret = sg_alloc_table(&buf->sgt, nr, GFP_KERNEL);
	if (ret) {
		unpin_user_pages(buf->pages, nr);
		return ret;
	}
	buf->nr_pages = nr;
	return 0;
}

/* Bug: an error path forgets the pinned pages of a local array. */
static int xpin_checksum_user(unsigned long uaddr, unsigned int nr, u32 *sum)
{
	struct page *pages[16];
	int ret, i;

	if (nr > ARRAY_SIZE(pages))
		return -EINVAL;
	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret != nr) {
		if (ret > 0)
			unpin_user_pages(pages, ret);
		return -EFAULT;
	}
	for (i = 0; i < nr; i++) {
		if (xpin_page_poisoned(pages[i]))
			return -EIO;
		*sum += xpin_csum_page(pages[i]);
	}
	unpin_user_pages(pages, nr);
	return 0;
}

/* Correct twin: every path unpins. */
static int xpin_checksum_user_ok(unsigned long uaddr, unsigned int nr, u32 *sum)
{
	struct page *pages[16];
	int ret, i;

	if (nr > ARRAY_SIZE(pages))
		return -EINVAL;
	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret != nr) {
		if (ret > 0)
			unpin_user_pages(pages, ret);
		return -EFAULT;
	}
	ret = 0;
	for (i = 0; i < nr; i++) {
		if (xpin_page_poisoned(pages[i])) {
			ret = -EIO;
			break;
		}
		*sum += xpin_csum_page(pages[i]);
	}
	unpin_user_pages(pages, nr);
	return ret;
}
