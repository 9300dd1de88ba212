// SPDX-License-Identifier: GPL-2.0
/*
 * pinbuf: a toy driver that clears a user buffer through its pages.
 * Written for pinlens's editor test: the pages are pinned (FOLL_PIN) but
 * released with put_page(), which is the FOLL_GET release.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>

static int pinbuf_clear(unsigned long uaddr, int nr_pages)
{
	struct page **pages;
	int i, ret;

	pages = kcalloc(nr_pages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	ret = pin_user_pages_fast(uaddr, nr_pages, FOLL_WRITE, pages);
	if (ret < 0) {
		kfree(pages);
		return ret;
	}

	for (i = 0; i < ret; i++)
		clear_highpage(pages[i]);

	for (i = 0; i < ret; i++)
		put_page(pages[i]);
	kfree(pages);
	return ret == nr_pages ? 0 : -EFAULT;
}
