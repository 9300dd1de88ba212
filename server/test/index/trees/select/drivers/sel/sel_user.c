// SPDX-License-Identifier: GPL-2.0
/* Names no page API: helpers in lib/ pin and put. */
#include <linux/mm.h>

/* sel_grab() pins, sel_drop() puts: the wrong family */
int sel_user_read(unsigned long uaddr, int nr)
{
	struct page *pages[16];
	int ret;

	ret = sel_grab(uaddr, nr, pages);
	if (ret <= 0)
		return ret;
	sel_drop(pages, ret);
	return 0;
}

/* sel_grab() pins, sel_unpin() unpins: right */
int sel_user_read_ok(unsigned long uaddr, int nr)
{
	struct page *pages[16];
	int ret;

	ret = sel_grab(uaddr, nr, pages);
	if (ret <= 0)
		return ret;
	sel_unpin(pages, ret);
	return 0;
}
