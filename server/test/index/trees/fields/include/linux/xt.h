/* Declared once, for every file that includes it. */
struct xt_buf {
	struct page **pages;
	unsigned int nr;
};
