// kref releases of struct xf_req, never called by name: judged by how
// xf_main.c fills the field and which flag it sets beside it.
#include "xf.h"

static void xf_release(struct kref *ref)
{
	struct xf_req *rq = container_of(ref, struct xf_req, ref);
	int i;

	for (i = 0; i < rq->nr; i++)
		if (rq->args.pinned)
			unpin_user_page(rq->pages[i]);
	kfree(rq->pages);
}

static void xf_release_unguarded(struct kref *ref)
{
	struct xf_req *rq = container_of(ref, struct xf_req, ref);

	unpin_user_pages(rq->pages, rq->nr);
	kfree(rq->pages);
}

static void xf_release_put(struct kref *ref)
{
	struct xf_req *rq = container_of(ref, struct xf_req, ref);
	int i;

	for (i = 0; i < rq->nr; i++)
		put_page(rq->pages[i]);
	kfree(rq->pages);
}

void xf_put(struct xf_req *rq, int how)
{
	if (how == 0)
		kref_put(&rq->ref, xf_release);
	else if (how == 1)
		kref_put(&rq->ref, xf_release_unguarded);
	else
		kref_put(&rq->ref, xf_release_put);
}
