// A release helper the callers in zz_user.c rely on: it put_page()s.
void zz_release(struct page **pages, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		put_page(pages[i]);
}
