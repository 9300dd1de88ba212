// SPDX-License-Identifier: GPL-2.0
/* Page helpers of the xdev driver. */
#include <linux/mm.h>
#include "xdev.h"

static void xdev_put_one(struct page *page)
{
	put_page(page);
}

void xdev_drop_pages(struct page **pages, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		put_page(pages[i]);
}

void xdev_unpin_all(struct page **pages, int nr)
{
	unpin_user_pages(pages, nr);
}

void xdev_keep_pages(struct xdev *x, struct page **pages, int nr)
{
	x->pages = pages;
	x->nr_pages = nr;
}

void xdev_copy_from(struct xdev *x, struct page **pages, int nr)
{
	x->copied += nr;
}

void
xdev_release(struct xdev *x, struct page **pages, int nr)
{
	x->released += nr;
	vbuf_put_pages(pages, nr);
}
