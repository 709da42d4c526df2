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

#include <sys/types.h>

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
/* The snapshot's range @id, or NULL. */
const struct obs_range *obs_find_range(const struct obs_snapshot *snap,
				       uint32_t id);

/**
 * struct obs_source - what obs_collect() reads, as obs_read() gives it
 * @get_ranges: every range (GET_RANGES of all processes) into @infos
 *	(room for @room), the count into *@total even when larger; 0 or
 *	-errno
 * @get_heat: range @id's first @nr chunks (GET_HEAT, REFRESH) into
 *	@chunks, the range's chunk count into *@n, the heat epoch into
 *	*@epoch; 0 or -errno (-ENOENT: untracked meanwhile)
 * @comm: process @pid's name into @comm (16 bytes), "" when unknown
 * @arg: their first argument
 */
struct obs_source {
	int (*get_ranges)(void *arg, struct cxltier_range_info *infos,
			  uint32_t room, uint32_t *total);
	int (*get_heat)(void *arg, uint32_t id,
			struct cxltier_chunk_heat *chunks, uint32_t nr,
			uint32_t *n, uint64_t *epoch);
	void (*comm)(void *arg, pid_t pid, char *comm);
	void *arg;
};

/*
 * obs_read() over @src: the range table read (again, larger, while it
 * grows), each range's heat, a range untracked or replaced meanwhile
 * (-ENOENT, or another chunk count) left out, labels NUL-terminated,
 * the newest epoch kept.  0 or the first other error.  Free with
 * obs_free() either way.
 */
int obs_collect(const struct obs_source *src, struct obs_snapshot *snap);

#endif /* CXLTIERD_OBSERVE_H */
