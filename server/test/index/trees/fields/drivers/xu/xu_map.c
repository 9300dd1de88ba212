#include <linux/mm.h>

/* Another struct of the same name as xt_release.c's private one, private here: its fill says nothing of that one. */
struct xu_own {
	struct page **pages;
	unsigned int nr;
};

int xu_map(struct xu_own *o, unsigned long uaddr, int nr)
{
	int got;

	got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE | FOLL_LONGTERM, o->pages);
	if (got != nr) {
		if (got > 0)
			unpin_user_pages(o->pages, got);
		return -EFAULT;
	}
	o->nr = nr;
	return 0;
}
