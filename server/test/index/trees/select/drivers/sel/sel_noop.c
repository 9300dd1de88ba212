// SPDX-License-Identifier: GPL-2.0
/* Nothing about pages at all. */
#include <linux/kernel.h>

int sel_noop_add(int a, int b)
{
	if (a > b)
		return a - b;
	return a + b;
}
