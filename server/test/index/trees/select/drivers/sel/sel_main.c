// SPDX-License-Identifier: GPL-2.0
/* Names the page APIs itself: always checked. */
#include <linux/mm.h>

/* pinned, then put: the wrong family */
int sel_main_read(unsigned long uaddr, struct page **pages, int nr)
{
	int i, ret;

	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	for (i = 0; i < ret; i++)
		put_page(pages[i]);
	return 0;
}

/* pinned, then unpinned: right */
int sel_main_read_ok(unsigned long uaddr, struct page **pages, int nr)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	unpin_user_pages(pages, ret);
	return 0;
}
