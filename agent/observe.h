/* SPDX-License-Identifier: GPL-2.0 */
/*
 * observe: what cxltierd knows at a decision: every range the module
 * tracks (of every process) with its per-chunk heat, node and pinned
 * state, and the owner's process name for the buffer classes.
 */
#ifndef CXLTIERD_OBSERVE_H
#define CXLTIERD_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/cxltier.h>

struct kdev;

/**
 * struct obs_range - one tracked range
 * @info: the module's description
 * @chunks: @info.nr_chunks entries of heat and placement
 * @comm: the owner's process name, "" when unknown
 * @registered: a libcxltier client registered it (set by the caller)
 * @fixed: must not move now, e.g. its owner is in back-off (set by the
 *	caller)
 */
struct obs_range {
	struct cxltier_range_info info;
	struct cxltier_chunk_heat *chunks;
	char comm[16];
	bool registered;
	bool fixed;
};

/**
 * struct obs_snapshot - the module's ranges at one moment
 * @epoch: the module's heat epoch
 * @nr_ranges: entries in @ranges
 * @ranges: the ranges
 */
struct obs_snapshot {
	uint64_t epoch;
	size_t nr_ranges;
	struct obs_range *ranges;
};

/*
 * Read every range (GET_RANGES, all processes) and the heat of every
 * chunk, with one bounded placement walk per range (placement_read()).  A range
 * that disappears meanwhile is left out.  0 or -errno (-EPERM without
 * CAP_SYS_ADMIN).  Free with obs_free() either way.
 */
int obs_read(const struct kdev *kdev, struct obs_snapshot *snap);
void obs_free(struct obs_snapshot *snap);

#endif /* CXLTIERD_OBSERVE_H */
