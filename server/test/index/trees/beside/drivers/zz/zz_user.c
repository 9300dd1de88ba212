// Callers of zz_release() (zz_lib.c): right for referenced pages, wrong for
// pinned ones — until the helper changes family.
int zz_pin(unsigned long uaddr, int nr, struct page **pages)
{
	int ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);

	if (ret <= 0)
		return ret;
	zz_release(pages, ret); // expect: mismatched-release (the helper put_page()s pinned pages)
	return 0;
}

int zz_get(unsigned long uaddr, int nr, struct page **pages)
{
	int ret = get_user_pages_fast(uaddr, nr, 0, pages);

	if (ret <= 0)
		return ret;
	zz_release(pages, ret); // no finding: the helper put_page()s referenced pages
	return 0;
}
