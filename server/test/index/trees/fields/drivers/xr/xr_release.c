// The kref release of struct xr_ctx: reached through kref_put(), never
// called by name, so its field releases are judged by how the other files of
// the folder fill the field (xr_main.c pins it).
static void xr_release(struct kref *ref)
{
	struct xr_ctx *c = container_of(ref, struct xr_ctx, ref);
	int i;

	for (i = 0; i < c->nr; i++)
		put_page(c->pages[i]);
	kfree(c->pages);
}

static void xr_release_frames(struct kref *ref)
{
	struct xr_frames *f = container_of(ref, struct xr_frames, ref);

	release_pages(f->pages, f->nr);
	kfree(f->pages);
}
