/* SPDX-License-Identifier: GPL-2.0 */
struct xdev {
	struct page **scratch;
	struct page **pages;
	int nr_pages;
	int copied;
	int released;
};
void xdev_drop_pages(struct page **pages, int nr);
void xdev_unpin_all(struct page **pages, int nr);
void xdev_keep_pages(struct xdev *x, struct page **pages, int nr);
void xdev_copy_from(struct xdev *x, struct page **pages, int nr);
void xdev_release(struct xdev *x, struct page **pages, int nr);
void vbuf_put_pages(struct page **pages, int nr);
void arch_flush_user_pages(struct page **pages, int nr);
