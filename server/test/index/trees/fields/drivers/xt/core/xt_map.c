#include <linux/mm.h>
#include <linux/xt.h>

int xt_map(struct xt_buf *b, unsigned long uaddr, int nr)
{
	int got;

	b->pages = kcalloc(nr, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages)
		return -ENOMEM;
	got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE | FOLL_LONGTERM, b->pages);
	if (got != nr) {
		if (got > 0)
			unpin_user_pages(b->pages, got);
		kfree(b->pages);
		return -EFAULT;
	}
	b->nr = nr;
	return 0;
}
