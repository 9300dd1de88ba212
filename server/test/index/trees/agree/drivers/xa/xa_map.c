// Fills the fields that xa_release.c tears down: the ring's pages are pinned,
// the frames' pages referenced.
struct xa_ring {
	struct kref ref;
	struct page **pages;
	int nr;
};

struct xa_frames {
	struct kref ref;
	struct page **pages;
	int nr;
};

int xa_ring_map(struct xa_ring *r, unsigned long uaddr, int nr)
{
	int ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, r->pages);

	if (ret < 0)
		return ret;
	if (ret != nr) {
		unpin_user_pages(r->pages, ret);
		return -EFAULT;
	}
	r->nr = nr;
	return 0;
}

int xa_frames_get(struct xa_frames *f, unsigned long uaddr, int nr)
{
	int got = get_user_pages_fast(uaddr, nr, 0, f->pages);

	if (got < 0)
		return got;
	f->nr = got;
	return 0;
}
