// SPDX-License-Identifier: GPL-2.0
/*
 * pinuser: pins a user buffer and hands it to pinhelp_drop() in another
 * file, which put_page()s it. Written for pinlens's editor test: the
 * finding needs the other file, so it comes once the folder is indexed.
 */
#include <linux/mm.h>

void pinhelp_drop(struct page **pages, int nr);

static int pinuser_touch(unsigned long uaddr, struct page **pages, int nr)
{
	int got;

	got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (got <= 0)
		return got ? got : -EFAULT;
	pinhelp_drop(pages, got);
	return 0;
}
