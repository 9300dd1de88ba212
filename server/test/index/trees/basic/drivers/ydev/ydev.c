// SPDX-License-Identifier: GPL-2.0
/* Another driver with a static helper of the same name: never used for xdev. */
#include <linux/mm.h>

static void xdev_unpin_all(struct page **pages, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		put_page(pages[i]);
}

void ydev_done(struct page **pages, int nr)
{
	xdev_unpin_all(pages, nr);
}
