/* SPDX-License-Identifier: GPL-2.0 */
/*
 * node_meminfo: how much of a NUMA node's memory the kernel can hand
 * back, from /sys/devices/system/node/nodeN/meminfo.
 *
 * A node's free memory alone understates what a workload can use: page
 * cache and reclaimable slab are dropped by reclaim as soon as an
 * allocation needs the room, as the kernel's MemAvailable counts them.
 * tmpfs and shared memory (Shmem) sit on the anonymous lists and are
 * not counted: without swap they stay.
 */
#ifndef CXLTIERD_NODE_MEMINFO_H
#define CXLTIERD_NODE_MEMINFO_H

#include <stdint.h>

/**
 * struct node_meminfo - a node's meminfo, in bytes
 * @total: MemTotal
 * @free: MemFree
 * @file: Active(file) + Inactive(file): clean and dirty page cache
 * @slab_reclaimable: SReclaimable
 * @shmem: Shmem (tmpfs, shared anonymous memory)
 */
struct node_meminfo {
	uint64_t total;
	uint64_t free;
	uint64_t file;
	uint64_t slab_reclaimable;
	uint64_t shmem;
};

/*
 * Parse the text of node @node's meminfo file.  Lines of another node,
 * unknown keys and blank lines are skipped.  Returns 0, or -EINVAL when
 * MemTotal or MemFree is missing or a known key's value is malformed.
 */
int node_meminfo_parse(const char *text, int node, struct node_meminfo *m);

/*
 * Read node @node's meminfo under @sysfs (NULL: /sys).  0 or -errno.
 */
int node_meminfo_read(const char *sysfs, int node, struct node_meminfo *m);

/* Bytes the kernel can reclaim without swap: page cache + SReclaimable. */
uint64_t node_meminfo_reclaimable(const struct node_meminfo *m);

#endif /* CXLTIERD_NODE_MEMINFO_H */
