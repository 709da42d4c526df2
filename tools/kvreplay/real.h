/* SPDX-License-Identifier: GPL-2.0 */
/*
 * real: kvreplay --real, the trace played for real on a machine with
 * cxltier.ko, cxltierd and cxltier's fake accelerator
 * (cxltier_test_accel.ko).  See real.c and kvreplay(1).
 */
#ifndef KVREPLAY_REAL_H
#define KVREPLAY_REAL_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "trace.h"

/**
 * struct kvr_real_opts - how to run
 * @speed: the trace plays this many times faster than recorded
 * @agent: cxltierd to start (a path, or a name looked up in $PATH)
 * @config_path: the daemon's main config file, or NULL (defaults)
 * @workdir: where the config, socket, metrics and log go; NULL: a
 *	temporary directory, removed afterwards
 * @label: the pool's label
 * @story: where progress lines go, or NULL
 */
struct kvr_real_opts {
	uint32_t speed;
	const char *agent;
	const char *config_path;
	const char *workdir;
	const char *label;
	FILE *story;
};

/**
 * struct kvr_real_info - what a real run found and did, beyond kvr_result
 * @dram_capacity: bytes of the DRAM tier, as cxltierd sees it
 * @dram_other: bytes of DRAM in use by others when the replay started
 * @dram_node: node that took the pool's DRAM blocks
 * @far_nodes: nodes that took its far blocks (a node list)
 * @want_blocks: --dram-fraction of the prefix's distinct blocks
 * @share_bp: the pool's class dram_share, basis points
 * @cfg_wall: the daemon's settings for the run (scaled)
 * @workdir: the directory used
 * @dropin: the drop-in written for the daemon
 * @wall_s: replay time, wall clock
 * @max_late_ms: most a request started after its scaled time
 * @dma_reads: device reads through the fake accelerator
 * @dma_skipped: accesses to a chunk released for a move at that moment
 *	(no device read; placement taken from before the move)
 * @dma_errors: device reads that failed or returned other bytes
 * @bytes_verified: bytes compared with their pattern
 * @corrupt_bytes: bytes that differed
 * @misplaced: blocks not where the allocator rule put them when created
 * @handshakes: release / move / re-pin cycles the pool went through
 * @agent_promotions: migrations cxltierd counted towards DRAM
 * @agent_demotions: migrations cxltierd counted towards far memory
 * @agent_migrated_bytes: bytes cxltierd migrated
 */
struct kvr_real_info {
	uint64_t dram_capacity;
	uint64_t dram_other;
	int dram_node;
	char far_nodes[64];
	uint64_t want_blocks;
	uint32_t share_bp;
	struct config cfg_wall;
	char workdir[PATH_MAX];
	char dropin[PATH_MAX + 32];
	double wall_s;
	double max_late_ms;
	uint64_t dma_reads;
	uint64_t dma_skipped;
	uint64_t dma_errors;
	uint64_t bytes_verified;
	uint64_t corrupt_bytes;
	uint64_t misplaced;
	uint64_t handshakes;
	uint64_t agent_promotions;
	uint64_t agent_demotions;
	uint64_t agent_migrated_bytes;
};

/*
 * Before the run: the module's nodes, the DRAM budget and the daemon's
 * settings.  Sets @p's dram_blocks, dram_node_bytes, klass and cfg (the
 * pool's class added, rate limit for p->block_bytes chunks, trace time).
 * 0 or -errno, with a message in @err.
 */
int kvr_real_prepare(const struct kvr_trace *t, struct kvr_params *p,
		     const struct kvr_real_opts *o, struct kvr_real_info *info,
		     char *err, size_t errlen);

/*
 * The run: cxltierd started with the scaled settings, the pool
 * registered, the trace replayed, every byte checked.  Fills @res (the
 * cxltier policy, measured) and @info; sets p->dram_other_bytes.
 * 0 or -errno, with a message in @err.
 */
int kvr_real_run(const struct kvr_trace *t, struct kvr_params *p,
		 const struct kvr_real_opts *o, struct kvr_real_info *info,
		 struct kvr_result *res, char *err, size_t errlen);

#endif /* KVREPLAY_REAL_H */
