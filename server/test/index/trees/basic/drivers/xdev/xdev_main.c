// SPDX-License-Identifier: GPL-2.0
/* A driver that pins user pages and leaves their release to helpers in other files. */
#include <linux/mm.h>
#include "xdev.h"

/* released by xdev_drop_pages() (xdev_pages.c), which put_page()s: wrong for pins */
int xdev_map_user(struct xdev *x, unsigned long uaddr, int nr)
{
	struct page **pages = x->scratch;
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (ret <= 0)
		return ret ? ret : -EFAULT;
	xdev_copy_from(x, pages, ret);
	xdev_drop_pages(pages, ret);
	return 0;
}

/* released by xdev_unpin_all() (xdev_pages.c): right */
int xdev_map_user_ok(struct xdev *x, unsigned long uaddr, int nr)
{
	struct page **pages = x->scratch;
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (ret <= 0)
		return ret ? ret : -EFAULT;
	xdev_copy_from(x, pages, ret);
	xdev_unpin_all(pages, ret);
	return 0;
}

/* kept by xdev_keep_pages() (xdev_pages.c), which stores them in the device: no leak */
int xdev_attach_user(struct xdev *x, unsigned long uaddr, int nr)
{
	struct page **pages;
	int ret;

	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (ret != nr) {
		if (ret > 0)
			unpin_user_pages(pages, ret);
		kvfree(pages);
		return -EFAULT;
	}
	xdev_keep_pages(x, pages, nr);
	return 0;
}

/* released two files away: xdev_release() calls vbuf_put_pages() (lib/vbuf.c) */
int xdev_read_user(struct xdev *x, unsigned long uaddr, int nr)
{
	struct page **pages = x->scratch;
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret ? ret : -EFAULT;
	xdev_release(x, pages, ret);
	return 0;
}

/* a helper named in four files (arch variants): no summary is trusted */
int xdev_flush_user(struct xdev *x, unsigned long uaddr, int nr)
{
	struct page **pages = x->scratch;
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret ? ret : -EFAULT;
	arch_flush_user_pages(pages, ret);
	return 0;
}
