#include <linux/mm.h>
#include <linux/xt.h>

/* A teardown in another folder than the fill: put_page() of pinned pages. */
void xt_release(struct xt_buf *b)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++)
		put_page(b->pages[i]);
	kfree(b->pages);
}

/* A struct of this name private to this file: not the header's. */
struct xu_own {
	struct page **pages;
	unsigned int nr;
};

void xu_own_release(struct xu_own *o)
{
	unsigned int i;

	for (i = 0; i < o->nr; i++)
		put_page(o->pages[i]);
	kfree(o->pages);
}
