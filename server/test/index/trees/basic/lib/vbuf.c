// SPDX-License-Identifier: GPL-2.0
/* A library helper two calls away from the driver. */
#include <linux/mm.h>

void vbuf_put_pages(struct page **pages, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		put_page(pages[i]);
}
