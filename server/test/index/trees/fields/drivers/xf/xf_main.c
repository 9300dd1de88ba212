// Fills struct xf_req.pages with extracted pages and records in
// rq->args.pinned whether iov_iter_extract_pages() pinned them (user-backed
// iterator) or took no reference at all (kernel-backed).
#include "xf.h"

int xf_map(struct xf_req *rq, struct iov_iter *iter, size_t len)
{
	size_t off;
	ssize_t n;

	n = iov_iter_extract_pages(iter, &rq->pages, len, 16, 0, &off);
	if (n < 0)
		return n;
	rq->args.pinned = iov_iter_extract_will_pin(iter);
	rq->nr = DIV_ROUND_UP(off + n, PAGE_SIZE);
	return 0;
}
