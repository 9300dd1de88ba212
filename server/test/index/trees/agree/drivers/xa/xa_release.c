// The kref releases of the structs xa_map.c fills. Neither is called by
// name: each field release is judged by how xa_map.c fills the field.
static void xa_ring_release(struct kref *ref)
{
	struct xa_ring *r = container_of(ref, struct xa_ring, ref);
	int i;

	for (i = 0; i < r->nr; i++)
		put_page(r->pages[i]); // expect: mismatched-release (the ring's pages are pinned in xa_map.c)
	kfree(r->pages);
}

static void xa_frames_release(struct kref *ref)
{
	struct xa_frames *f = container_of(ref, struct xa_frames, ref);
	int i;

	for (i = 0; i < f->nr; i++)
		put_page(f->pages[i]); // no finding: the frames' pages are referenced in xa_map.c
	kfree(f->pages);
}
