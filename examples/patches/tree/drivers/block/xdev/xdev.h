/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdev - a small block device with a direct I/O path.
 *
 * Example for pinlens' patch review; written for it, not kernel code.
 */
#ifndef _XDEV_H
#define _XDEV_H

#include <linux/blk_types.h>
#include <linux/uio.h>

#define XDEV_MAX_PAGES	16

struct xdev {
	struct block_device *bdev;
	void *buf;
	size_t size;
};

struct xdev_dio {
	blk_opf_t opf;
	void (*done)(struct xdev_dio *dio, int err);
};

ssize_t xdev_dio_read_sync(struct xdev *xd, struct iov_iter *iter, loff_t pos);
ssize_t xdev_dio_write_sync(struct xdev *xd, struct iov_iter *iter, loff_t pos);
int xdev_dio_submit(struct xdev *xd, struct xdev_dio *dio,
		    struct iov_iter *iter, loff_t pos);

#endif /* _XDEV_H */
