/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the heat-tracking selftests: raw ioctls of the
 * module and of the fake accelerator, over the test bed's sysfs,
 * tunables and accelerator helpers (tools/testbed/testbed.h).
 */
#ifndef CXLTIER_HEAT_UTIL_H
#define CXLTIER_HEAT_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/cxltier.h>
#include <linux/cxltier_test_accel.h>

#include "testbed.h"

#define CXLTIER_DEV	"/dev/cxltier"
#define CXLTA_DEV	TB_ACCEL_DEV

/* ioctl() returning -errno. */
static inline int hu_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* sysfs and the tunables are the test bed's (tools/testbed/sysfs.c). */

/* A decimal sysfs file under /sys/kernel/cxltier; negative on error. */
static inline long long hu_sysfs_get(const char *name)
{
	return tb_sysfs_get(name);
}

/* Write a sysfs file; 0 or -errno. */
static inline int hu_sysfs_set(const char *name, const char *val)
{
	return tb_sysfs_write(name, val);
}

static inline int hu_sysfs_setll(const char *name, long long v)
{
	return tb_sysfs_set(name, v);
}

/* Tunables a test changes; hu_tunables_restore() puts them back. */
struct hu_tunables {
	struct tb_tunables tb;
};

static inline void hu_tunables_save(struct hu_tunables *t)
{
	tb_tunables_save(&t->tb);
}

static inline void hu_tunables_restore(const struct hu_tunables *t)
{
	tb_tunables_restore(&t->tb);
}

static inline void hu_track_init(struct cxltier_track *t, void *start,
				 uint64_t length, uint64_t chunk,
				 uint32_t sources)
{
	memset(t, 0, sizeof(*t));
	t->argsz = sizeof(*t);
	t->sources = sources;
	t->start = (uintptr_t)start;
	t->length = length;
	t->chunk_size = chunk;
}

/* TRACK: 0 and *id, or -errno. */
static inline int hu_track(int fd, void *start, uint64_t length,
			   uint64_t chunk, uint32_t sources, uint32_t *id)
{
	struct cxltier_track t;
	int ret;

	hu_track_init(&t, start, length, chunk, sources);
	ret = hu_ioctl(fd, CXLTIER_IOC_TRACK, &t);
	if (!ret && id)
		*id = t.id;
	return ret;
}

static inline int hu_untrack(int fd, uint32_t id)
{
	struct cxltier_untrack u = { .argsz = sizeof(u), .id = id };

	return hu_ioctl(fd, CXLTIER_IOC_UNTRACK, &u);
}

static inline void hu_get_heat_init(struct cxltier_get_heat *g, uint32_t id,
				    struct cxltier_chunk_heat *out,
				    uint32_t room, uint32_t flags)
{
	memset(g, 0, sizeof(*g));
	g->argsz = sizeof(*g);
	g->flags = flags;
	g->id = id;
	g->entry_size = sizeof(*out);
	g->nr_chunks = room;
	g->chunks = (uintptr_t)out;
}

static inline int hu_get_heat(int fd, uint32_t id,
			      struct cxltier_chunk_heat *out, uint32_t room,
			      uint32_t flags, uint64_t *epoch)
{
	struct cxltier_get_heat g;
	int ret;

	hu_get_heat_init(&g, id, out, room, flags);
	ret = hu_ioctl(fd, CXLTIER_IOC_GET_HEAT, &g);
	if (!ret && epoch)
		*epoch = g.epoch;
	return ret;
}

/* One device report record; 0 or -errno. */
static inline int hu_report(int fd, uint32_t id, uint64_t first,
			    uint32_t nr, uint64_t count)
{
	struct cxltier_access_record rec = {
		.id = id, .nr_chunks = nr, .first_chunk = first, .count = count,
	};
	struct cxltier_report r = {
		.argsz = sizeof(r), .nr_records = 1,
		.record_size = sizeof(rec), .records = (uintptr_t)&rec,
	};

	return hu_ioctl(fd, CXLTIER_IOC_REPORT, &r);
}

/* Wait until stats/epochs has moved on by @n; 0, or -1 after 60 s. */
static inline int hu_wait_epochs(int n)
{
	long long target = hu_sysfs_get("stats/epochs") + n;
	int i;

	for (i = 0; i < 6000; i++) {
		if (hu_sysfs_get("stats/epochs") >= target)
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * Open the fake accelerator, loading it from $CXLTIER_MODDIR/selftests
 * when it is not loaded yet.  fd or -errno.
 */
static inline int hu_accel_open(void)
{
	return tb_accel_open(TB_ACCEL_LOAD);
}

static inline int hu_accel_pin(int afd, void *addr, uint64_t len,
			       uint32_t *handle)
{
	struct cxlta_pin p = {
		.argsz = sizeof(p), .addr = (uintptr_t)addr, .length = len,
	};
	int ret = hu_ioctl(afd, CXLTA_IOC_PIN, &p);

	if (!ret)
		*handle = p.handle;
	return ret;
}

static inline int hu_accel_range(int afd, unsigned long cmd, uint32_t handle,
				 uint64_t off, uint64_t len)
{
	struct cxlta_range r = {
		.argsz = sizeof(r), .handle = handle, .offset = off,
		.length = len,
	};

	return hu_ioctl(afd, cmd, &r);
}

/* Device DMA of [off, off + len) of a handle; reports when @report. */
static inline int hu_accel_dma(int afd, uint32_t handle, uint64_t off,
			       uint64_t len, int write, int report,
			       int *report_result)
{
	struct cxlta_dma d = {
		.argsz = sizeof(d), .handle = handle, .offset = off,
		.length = len,
		.flags = (write ? CXLTA_DMA_WRITE : 0) |
			 (report ? CXLTA_DMA_REPORT : 0),
	};
	int ret = hu_ioctl(afd, CXLTA_IOC_DMA, &d);

	if (!ret && report_result)
		*report_result = d.report_result;
	return ret;
}

#endif /* CXLTIER_HEAT_UTIL_H */
