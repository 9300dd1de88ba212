struct xr_ctx {
	struct page **pages;
	int nr;
};

int xr_map(struct xr_ctx *c, unsigned long uaddr, int nr)
{
	int ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, c->pages);

	if (ret < 0)
		return ret;
	if (ret != nr) {
		unpin_user_pages(c->pages, ret);
		return -EFAULT;
	}
	c->nr = nr;
	return 0;
}
