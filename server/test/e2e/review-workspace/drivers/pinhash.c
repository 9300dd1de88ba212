// SPDX-License-Identifier: GPL-2.0
/*
 * pinhash: hashes the pages of an iterator. Written for pinlens's editor
 * test: the pages are extracted, then a kvec test says the iterator is
 * kernel-backed (nothing was pinned), and they are unpinned anyway.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>

static int pinhash_run(struct pinhash_req *rq, struct iov_iter *iter, size_t len)
{
	struct page **pages = rq->pages;
	struct pinhash_state *shm;
	size_t off;
	ssize_t n;
	int i, npages;

	shm = kzalloc(sizeof(*shm), GFP_KERNEL);
	if (!shm)
		return -ENOMEM;
	if (unlikely(len <= 0))
		goto out;
	n = iov_iter_extract_pages(iter, &pages, len, PINHASH_MAX, 0, &off);
	if (n <= 0)
		goto out;
	npages = DIV_ROUND_UP(off + n, PAGE_SIZE);
	pinhash_pages(shm, pages, off, n);
	if (!(!iov_iter_is_kvec(iter))) {
		for (i = 0; i < npages; i++)
			unpin_user_page(pages[i]);
	}
out:
	kfree(shm);
	return 0;
}
