// SPDX-License-Identifier: GPL-2.0
/*
 * xlegacy - a made-up frame grabber still on get_user_pages(): DMA into
 * referenced pages, flags, and goto unwinding. Written for pinlens'
 * examples; not kernel code.
 */
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/dma-mapping.h>

struct xl_frame {
	struct page **pages;
	int nr_pages;
	struct scatterlist *sgl;
};

/* Advice: the device writes into pages that are only referenced. */
static int xl_frame_map(struct device *dev, struct xl_frame *fr, unsigned long uaddr, int nr)
{
	int got, i;

	got = get_user_pages_fast(uaddr, nr, FOLL_WRITE, fr->pages);
	if (got != nr) {
		while (got > 0)
			put_page(fr->pages[--got]);
		return -EFAULT;
	}
	sg_init_table(fr->sgl, nr);
	for (i = 0; i < nr; i++)
		sg_set_page(&fr->sgl[i], fr->pages[i], PAGE_SIZE, 0);
	if (!dma_map_sg(dev, fr->sgl, nr, DMA_FROM_DEVICE))
		return -EIO;
	fr->nr_pages = nr;
	return 0;
}

/* Bug: FOLL_LONGTERM asked of get_user_pages(); only pins may be long-term. */
static int xl_frame_hold(struct xl_frame *fr, unsigned long uaddr, int nr)
{
	unsigned int gup_flags = FOLL_WRITE | FOLL_LONGTERM;
	long got;

	mmap_read_lock(current->mm);
	got = get_user_pages(uaddr, nr, gup_flags, fr->pages);
	mmap_read_unlock(current->mm);
	if (got < 0)
		return got;
	fr->nr_pages = got;
	return 0;
}

/* Correct twin: pin for the long term. */
static int xl_frame_hold_ok(struct xl_frame *fr, unsigned long uaddr, int nr)
{
	unsigned int gup_flags = FOLL_WRITE | FOLL_LONGTERM;
	long got;

	mmap_read_lock(current->mm);
	got = pin_user_pages(uaddr, nr, gup_flags, fr->pages);
	mmap_read_unlock(current->mm);
	if (got < 0)
		return got;
	fr->nr_pages = got;
	return 0;
}

/* Bug: the unwind ladder releases the page twice on the last error. */
static int xl_peek_user(unsigned long uaddr, u32 *val)
{
	struct page *page;
	void *kaddr;
	int ret;

	ret = get_user_pages_fast(uaddr, 1, 0, &page);
	if (ret != 1)
		return -EFAULT;
	kaddr = kmap_local_page(page);
	ret = xl_check_magic(kaddr);
	if (ret)
		goto err_put;
	*val = *(u32 *)(kaddr + offset_in_page(uaddr));
	kunmap_local(kaddr);
	put_page(page);
	if (*val == XL_BAD)
		goto err_put;
	return 0;
err_put:
	put_page(page);
	return -EINVAL;
}

/* Bug: a pinned page released with put_page(). */
static int xl_poke_user(unsigned long uaddr, u32 val)
{
	struct page *page;
	void *kaddr;

	if (pin_user_pages_fast(uaddr, 1, FOLL_WRITE, &page) != 1)
		return -EFAULT;
	kaddr = kmap_local_page(page);
	*(u32 *)(kaddr + offset_in_page(uaddr)) = val;
	kunmap_local(kaddr);
	set_page_dirty_lock(page);
	put_page(page);
	return 0;
}
