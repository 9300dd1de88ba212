// SPDX-License-Identifier: GPL-2.0
/* pinhelp: drops the pages of a buffer. Written for pinlens's editor test. */
#include <linux/mm.h>

void pinhelp_drop(struct page **pages, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		put_page(pages[i]);
}
