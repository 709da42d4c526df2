/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracked ranges and their chunks as cxltierctl reads them: one snapshot
 * of every range the caller may see, with per-chunk heat and placement.
 */
#ifndef CXLTIERCTL_RANGES_H
#define CXLTIERCTL_RANGES_H

#include <stddef.h>
#include <stdint.h>

#include "kdev.h"

/* Nodes cxltierctl keeps per-buffer byte counts for. */
#define CTL_MAX_NODES 64

/**
 * struct ctl_range - one tracked range
 * @info: what CXLTIER_IOC_GET_RANGES said
 * @chunks: @info.nr_chunks heat records
 * @epoch: heat epoch the records belong to
 * @resident: resident bytes
 * @pinned: DMA-pinned bytes
 * @heat: sum of the chunks' heat
 * @node_bytes: resident bytes per node (chunks wholly on one node)
 * @mixed_bytes: resident bytes of chunks spread over several nodes
 */
struct ctl_range {
	struct cxltier_range_info info;
	struct cxltier_chunk_heat *chunks;
	uint64_t epoch;
	uint64_t resident;
	uint64_t pinned;
	uint64_t heat;
	uint64_t node_bytes[CTL_MAX_NODES];
	uint64_t mixed_bytes;
};

/*
 * Snapshot every range visible to the caller (all of them for root, the
 * ranges of the caller's user for others) into
 * a malloc'ed array.  @refresh: have the module walk page tables now.
 * 0 or -errno; *@out and *@n are set on success.
 */
int ctl_ranges_load(const struct kdev *dev, int refresh,
		    struct ctl_range **out, size_t *n);
void ctl_ranges_free(struct ctl_range *r, size_t n);

/* The range named by @arg: its id, or a label that matches exactly once. */
struct ctl_range *ctl_ranges_find(struct ctl_range *r, size_t n,
				  const char *arg);

#endif /* CXLTIERCTL_RANGES_H */
