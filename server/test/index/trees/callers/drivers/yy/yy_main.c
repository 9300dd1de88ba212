int yy_map(unsigned long uaddr, int nr, struct page **pages)
{
	int ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	if (ret <= 0)
		return ret;
	yy_put(pages, ret);
	return 0;
}

int yy_map_ok(unsigned long uaddr, int nr, struct page **pages)
{
	int ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	if (ret <= 0)
		return ret;
	yy_unpin(pages, ret);
	return 0;
}
