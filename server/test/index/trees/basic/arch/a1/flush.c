// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

void arch_flush_user_pages(struct page **pages, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		put_page(pages[i]);
}
