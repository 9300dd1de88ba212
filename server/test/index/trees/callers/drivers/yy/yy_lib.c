// Release helpers called from yy_main.c with pinned pages: each is judged by
// the mode its callers in the other file pass in (top-down).
void yy_put(struct page **pages, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		put_page(pages[i]); // expect: mismatched-release (yy_map() in yy_main.c passes pinned pages)
}

void yy_unpin(struct page **pages, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		unpin_user_page(pages[i]); // no finding: the pages yy_map_ok() passes are pinned
}

static void yy_local_put(struct page **pages, int nr)
{
	release_pages(pages, nr); // no finding: static, no other file calls it
}
