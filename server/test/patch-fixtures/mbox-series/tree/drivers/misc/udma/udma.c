// SPDX-License-Identifier: GPL-2.0
/*
 * udma - push a user buffer through the device's DMA window.
 *
 * Fixture for pinlens' patch checks; written for the test, not kernel code.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/io.h>

struct udma_dev {
	struct device *dev;
	void __iomem *window;
	unsigned int flags;
};

#define UDMA_READONLY	0x1

static void udma_copy_out(struct udma_dev *ud, struct page **pages,
			  int nr, size_t offset, size_t len)
{
	int i;

	for (i = 0; i < nr && len; i++) {
		size_t chunk = min_t(size_t, len, PAGE_SIZE - offset);
		void *vaddr = kmap_local_page(pages[i]);

		memcpy_toio(ud->window, vaddr + offset, chunk);
		kunmap_local(vaddr);
		len -= chunk;
		offset = 0;
	}
}

static void udma_copy_in(struct udma_dev *ud, struct page **pages,
			 int nr, size_t offset, size_t len)
{
	int i;

	for (i = 0; i < nr && len; i++) {
		size_t chunk = min_t(size_t, len, PAGE_SIZE - offset);
		void *vaddr = kmap_local_page(pages[i]);

		memcpy_fromio(vaddr + offset, ud->window, chunk);
		kunmap_local(vaddr);
		len -= chunk;
		offset = 0;
	}
}

int udma_write_user(struct udma_dev *ud, unsigned long uaddr, size_t len)
{
	unsigned int nr_pages = DIV_ROUND_UP(offset_in_page(uaddr) + len, PAGE_SIZE);
	struct page **pages;
	int pinned, ret = 0, i;

	pages = kvmalloc_array(nr_pages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	pinned = get_user_pages_fast(uaddr, nr_pages, 0, pages);
	if (pinned < 0) {
		ret = pinned;
		goto out_free;
	}
	if (pinned != nr_pages) {
		ret = -EFAULT;
		goto out_free;
	}

	udma_copy_out(ud, pages, pinned, offset_in_page(uaddr), len);

out_put:
	for (i = 0; i < pinned; i++)
		put_page(pages[i]);
out_free:
	kvfree(pages);
	return ret;
}

int udma_read_user(struct udma_dev *ud, unsigned long uaddr, size_t len)
{
	unsigned int nr_pages = DIV_ROUND_UP(offset_in_page(uaddr) + len, PAGE_SIZE);
	struct page **pages;
	int pinned, ret = 0, i;

	pages = kvmalloc_array(nr_pages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	pinned = get_user_pages_fast(uaddr, nr_pages, FOLL_WRITE, pages);
	if (pinned < 0) {
		ret = pinned;
		goto out_free;
	}
	if (pinned != nr_pages) {
		ret = -EFAULT;
		goto out_put;
	}

	udma_copy_in(ud, pages, pinned, offset_in_page(uaddr), len);

out_put:
	for (i = 0; i < pinned; i++) {
		set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
out_free:
	kvfree(pages);
	return ret;
}
