struct xr_frames {
	struct page **pages;
	int nr;
};

int xr_frames_get(struct xr_frames *f, unsigned long uaddr, int nr)
{
	int got = get_user_pages_fast(uaddr, nr, 0, f->pages);

	if (got < 0)
		return got;
	f->nr = got;
	return 0;
}
