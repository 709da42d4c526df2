/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cxltier_test_accel: a fake accelerator for cxltier's selftests and
 * benchmarks, through /dev/cxltier_test_accel.  Test-only, like
 * lib/test_hmm.c; not part of cxltier's ABI.
 *
 * It does what a GPU driver does with a user buffer: long-term pins it
 * (pin_user_pages_fast() with FOLL_WRITE | FOLL_LONGTERM, so the kernel
 * migrates ZONE_MOVABLE pages out first and refuses what it refuses a
 * GPU), "DMAs" to and from the pinned pages through kernel mappings (so
 * the user's Accessed bits stay clear, as with real DMA), optionally
 * reports those accesses to cxltier through cxltier_report_access(), and
 * for the migration handshake unpins and re-pins exact sub-ranges of a
 * pinned buffer while the rest stays pinned.
 *
 * Conventions as in cxltier.h: every struct starts with argsz and flags;
 * unknown flags and non-zero reserved fields are -EINVAL; argsz smaller
 * than the struct is -EINVAL, larger with non-zero tail -E2BIG.  All
 * offsets and lengths of PIN/UNPIN/REPIN are page aligned; a handle is
 * only usable by the process that created it (-EPERM otherwise).  Every
 * handle is released when the file is closed.
 */
#ifndef _CXLTIER_TEST_ACCEL_H
#define _CXLTIER_TEST_ACCEL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* ioctl type 0xCE (shared with cxltier), numbers 0x60-0x6f. */
#define CXLTA_TYPE		0xCE
#define CXLTA_BASE		0x60

/* Most base pages one file may hold pinned (4 GiB of 4 KiB pages). */
#define CXLTA_MAX_PINNED_PAGES	(1U << 20)
/* Most handles one file may hold. */
#define CXLTA_MAX_HANDLES	1024

/**
 * struct cxlta_pin - CXLTA_IOC_PIN: long-term pin a user range
 * @argsz: sizeof(struct cxlta_pin)
 * @flags: must be 0
 * @addr: first byte, page aligned, in the caller's address space
 * @length: bytes, page aligned, not 0
 * @handle: out: handle of the pinned buffer, never 0
 * @nr_pages: out: base pages pinned
 * @reserved: must be 0
 *
 * Errors: -EINVAL, -ENOSPC (CXLTA_MAX_* reached), -ENOMEM, and whatever
 * pin_user_pages_fast() refuses with (-EFAULT for unmapped memory,
 * -ENOMEM when movable pages cannot be migrated out, ...); nothing stays
 * pinned on error.
 */
struct cxlta_pin {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 addr;
	__aligned_u64 length;
	__u32 handle;
	__u32 nr_pages;
	__aligned_u64 reserved[2];
};

/**
 * struct cxlta_range - CXLTA_IOC_UNPIN, CXLTA_IOC_REPIN, CXLTA_IOC_RELEASE
 * @argsz: sizeof(struct cxlta_range)
 * @flags: must be 0
 * @handle: a handle from CXLTA_IOC_PIN on this file
 * @reserved0: must be 0
 * @offset: first byte of the sub-range, from the buffer's start, page
 *	aligned (ignored by RELEASE, must be 0)
 * @length: bytes, page aligned, not 0 (ignored by RELEASE, must be 0)
 * @reserved: must be 0
 *
 * UNPIN: every page of the sub-range must be pinned (else -EINVAL); they
 * are unpinned, the rest of the buffer stays pinned, and DMA that touches
 * them fails with -EAGAIN until REPIN.
 * REPIN: every page of the sub-range must be unpinned (else -EINVAL);
 * they are pinned again at the same user addresses (now backed by
 * whatever pages the process has there, e.g. after a migration).  On
 * error nothing of the sub-range stays pinned.
 * RELEASE: unpins what is pinned and frees the handle.
 * Errors also: -ENOENT (no such handle), -EPERM (another process).
 */
struct cxlta_range {
	__u32 argsz;
	__u32 flags;
	__u32 handle;
	__u32 reserved0;
	__aligned_u64 offset;
	__aligned_u64 length;
	__aligned_u64 reserved[2];
};

/* cxlta_dma.flags */
#define CXLTA_DMA_WRITE		(1U << 0) /* device writes memory; else reads */
#define CXLTA_DMA_REPORT	(1U << 1) /* cxltier_report_access() after */

/**
 * struct cxlta_dma - CXLTA_IOC_DMA: the device reads or writes a sub-range
 * @argsz: sizeof(struct cxlta_dma)
 * @flags: CXLTA_DMA_*
 * @handle: buffer handle
 * @report_count: with CXLTA_DMA_REPORT: count passed to
 *	cxltier_report_access() (0 means 1)
 * @offset: first byte, any alignment, from the buffer's start
 * @length: bytes, not 0, within the buffer
 * @buf: user buffer of @length bytes: the data read (READ) or to write
 *	(WRITE); 0 = READ only checksums, WRITE fills with @pattern
 * @pattern: fill byte for a WRITE with @buf 0
 * @report_result: out: with CXLTA_DMA_REPORT, what
 *	cxltier_report_access() returned (chunks credited or -errno);
 *	else 0
 * @checksum: out: FNV-1a 64 of the bytes read or written
 * @reserved: must be 0
 *
 * Errors: -EINVAL, -ENOENT, -EPERM, -EAGAIN (part of the sub-range is
 * unpinned), -EFAULT (@buf).
 */
struct cxlta_dma {
	__u32 argsz;
	__u32 flags;
	__u32 handle;
	__u32 report_count;
	__aligned_u64 offset;
	__aligned_u64 length;
	__aligned_u64 buf;
	__u32 pattern;
	__s32 report_result;
	__aligned_u64 checksum;
	__aligned_u64 reserved[2];
};

/* cxlta_page_info.flags */
#define CXLTA_PAGE_PINNED	(1U << 0) /* the device holds a pin */

/**
 * struct cxlta_page_info - one page of a buffer
 * @node: NUMA node of the pinned page, -1 when not pinned
 * @flags: CXLTA_PAGE_*
 */
struct cxlta_page_info {
	__s32 node;
	__u32 flags;
};

/**
 * struct cxlta_query - CXLTA_IOC_QUERY: per-page node and pin state
 * @argsz: sizeof(struct cxlta_query)
 * @flags: must be 0
 * @handle: buffer handle
 * @nr_pages: in: entries room at @pages; out: pages in the buffer
 * @first_page: first page to describe (<= pages in the buffer)
 * @pages: user pointer to struct cxlta_page_info entries
 * @nr_pinned: out: pages of the buffer pinned now
 * @reserved0: must be 0
 * @reserved: must be 0
 *
 * Count-then-fill: fills min(room, pages - first_page) entries.
 * Errors: -EINVAL, -ENOENT, -EPERM, -EFAULT.
 */
struct cxlta_query {
	__u32 argsz;
	__u32 flags;
	__u32 handle;
	__u32 nr_pages;
	__aligned_u64 first_page;
	__aligned_u64 pages;
	__u32 nr_pinned;
	__u32 reserved0;
	__aligned_u64 reserved[2];
};

#define CXLTA_IOC_PIN		_IO(CXLTA_TYPE, CXLTA_BASE + 0)
#define CXLTA_IOC_UNPIN		_IO(CXLTA_TYPE, CXLTA_BASE + 1)
#define CXLTA_IOC_REPIN		_IO(CXLTA_TYPE, CXLTA_BASE + 2)
#define CXLTA_IOC_RELEASE	_IO(CXLTA_TYPE, CXLTA_BASE + 3)
#define CXLTA_IOC_DMA		_IO(CXLTA_TYPE, CXLTA_BASE + 4)
#define CXLTA_IOC_QUERY		_IO(CXLTA_TYPE, CXLTA_BASE + 5)

/* FNV-1a 64 parameters of cxlta_dma.checksum. */
#define CXLTA_FNV_OFFSET	0xcbf29ce484222325ULL
#define CXLTA_FNV_PRIME		0x100000001b3ULL

#endif /* _CXLTIER_TEST_ACCEL_H */
