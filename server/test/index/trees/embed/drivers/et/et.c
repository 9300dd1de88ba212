// Two headers define struct et_box differently: its member's type is not resolved.
#include "et_a.h"
#include "et_b.h"

int et_fill(struct et_box *box, unsigned long uaddr)
{
	return pin_user_pages_fast(uaddr, 1, FOLL_WRITE, &box->in.page) == 1 ? 0 : -EFAULT;
}

void et_put(struct et_box *box)
{
	put_page(box->in.page);
}
