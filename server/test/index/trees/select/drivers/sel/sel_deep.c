// SPDX-License-Identifier: GPL-2.0
/* Two helpers deep: lib/sel_mid.c calls lib/sel_lib.c. */
#include <linux/mm.h>

int sel_deep_read(unsigned long uaddr, int nr)
{
	struct page *pages[16];
	int ret;

	ret = sel_mid_grab(uaddr, nr, pages);
	if (ret <= 0)
		return ret;
	sel_mid_drop(pages, ret);
	return 0;
}
