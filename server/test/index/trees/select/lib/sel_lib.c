// SPDX-License-Identifier: GPL-2.0
/* Helpers that acquire and release pages for their callers. */
#include <linux/mm.h>

int sel_grab(unsigned long uaddr, int nr, struct page **pages)
{
	return pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
}

void sel_drop(struct page **pages, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		put_page(pages[i]);
}

void sel_unpin(struct page **pages, int nr)
{
	unpin_user_pages(pages, nr);
}
