// SPDX-License-Identifier: GPL-2.0
/* Page types, and helpers that neither acquire nor release: nothing to find. */
#include <linux/mm.h>

struct sel_box;

void sel_plain_copy(struct page *page, void *to, size_t len)
{
	sel_copy(page, to, len);
}

void sel_plain_keep(struct sel_box *box, struct page **pages, int nr)
{
	if (sel_peek(pages, nr))
		sel_stash(box, pages, nr);
}
