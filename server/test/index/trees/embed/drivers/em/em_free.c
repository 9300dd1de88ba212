// Teardowns given the inner structs: they release what em_send.c put there.
#include <linux/mm.h>
#include "em.h"

void em_atomic_op_put(struct em_atomic_op *ao)
{
	put_page(sg_page(ao->op_sg));
}

void em_atomic_op_unpin(struct em_atomic_op *ao)
{
	struct page *page = sg_page(ao->op_sg);

	unpin_user_pages_dirty_lock(&page, 1, true);
}

void em_free_sg(struct em_sgl *sgl)
{
	int i;

	if (sgl->need_unpin)
		for (i = 0; i < sgl->sgt.nents; i++)
			unpin_user_page(sg_page(&sgl->sgt.sgl[i]));
}

void em_free_sg_unguarded(struct em_sgl *sgl)
{
	int i;

	for (i = 0; i < sgl->sgt.nents; i++)
		unpin_user_page(sg_page(&sgl->sgt.sgl[i]));
}
