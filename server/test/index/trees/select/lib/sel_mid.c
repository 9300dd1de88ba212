// SPDX-License-Identifier: GPL-2.0
/* Names no page API: its helpers (lib/sel_lib.c) do the work. */
#include <linux/mm.h>

int sel_mid_grab(unsigned long uaddr, int nr, struct page **pages)
{
	return sel_grab(uaddr, nr, pages);
}

void sel_mid_drop(struct page **pages, int nr)
{
	sel_drop(pages, nr);
}
