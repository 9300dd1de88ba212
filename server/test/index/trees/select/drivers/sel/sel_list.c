// SPDX-License-Identifier: GPL-2.0
/* No page type named, a hand-off (list_add) and a helper that pins. */
#include <linux/list.h>

struct sel_req {
	struct list_head node;
};

int sel_list_queue(struct list_head *q, struct sel_req *req, unsigned long uaddr, int nr, void **buf)
{
	int ret;

	ret = sel_grab(uaddr, nr, buf);
	if (ret < 0)
		return ret;
	list_add(&req->node, q);
	return 0;
}
