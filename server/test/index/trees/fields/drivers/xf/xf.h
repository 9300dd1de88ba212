/* The request both files use: the flag is a member of an embedded struct. */
struct xf_args {
	bool pinned;
};

struct xf_req {
	struct kref ref;
	struct xf_args args;
	struct page **pages;
	int nr;
};
