// SPDX-License-Identifier: GPL-2.0
/* Page helpers that neither take nor drop a reference. */
#include <linux/mm.h>
#include <linux/highmem.h>

void sel_copy(struct page *page, void *to, size_t len)
{
	void *from = kmap_local_page(page);

	memcpy(to, from, len);
	kunmap_local(from);
}

struct sel_box {
	struct page **pages;
	int nr;
};

void sel_stash(struct sel_box *box, struct page **pages, int nr)
{
	box->pages = pages;
	box->nr = nr;
}

/* names put_page() in a comment only: nothing to summarise */
int sel_peek(struct page **pages, int nr)
{
	/* no put_page() here: the caller keeps its pages */
	return nr > 0 && pages[0] != NULL;
}
