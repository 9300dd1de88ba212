/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SEL_H
#define SEL_H
#include <linux/mm.h>

/* a header's inline release of pages it was given */
static inline void sel_release_one(struct page *page)
{
	unpin_user_page(page);
}

static inline int sel_count(int nr)
{
	return nr < 0 ? 0 : nr;
}
#endif
