// Fills the ops of a message: pages pinned into the atomic op's sg entry,
// and pages extracted into a request's sg table with the flag beside them.
#include <linux/mm.h>
#include "em.h"

int em_atomic_args(struct em_message *rm, unsigned long uaddr)
{
	struct page *page;
	int ret;

	ret = pin_user_pages_fast(uaddr, 1, FOLL_WRITE, &page);
	if (ret != 1)
		return -EFAULT;
	sg_set_page(rm->atomic.op_sg, page, 8, offset_in_page(uaddr));
	return 0;
}

int em_get_rsgl(struct em_message *rm, struct iov_iter *iter, size_t len)
{
	struct em_rsgl *rsgl = rm->m_rsgl;
	ssize_t err;

	rsgl->sgl.need_unpin = iov_iter_extract_will_pin(iter);
	rsgl->sgl.sgt.sgl = rsgl->sgl.sgl;
	rsgl->sgl.sgt.nents = 0;
	err = extract_iter_to_sg(iter, len, &rsgl->sgl.sgt, 16, 0);
	if (err < 0)
		return err;
	return 0;
}
