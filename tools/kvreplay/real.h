/* SPDX-License-Identifier: GPL-2.0 */
/*
 * real: kvreplay --real, the trace played for real on a machine with
 * cxltier.ko, cxltierd and cxltier's fake accelerator
 * (cxltier_test_accel.ko), in one of two modes: a libcxltier block pool
 * that cxltierd advises and the library moves by copy-then-swap, pins
 * held (real_pool.c, the default: the KV cache is a block pool), or one
 * pinned buffer that cxltierd moves chunk by chunk through the release /
 * move / re-pin handshake (real.c, --real-mode=buffer).  What both
 * share is in real_setup.c.  See kvreplay(1).
 */
#ifndef KVREPLAY_REAL_H
#define KVREPLAY_REAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "libcxltier.h"
#include "model.h"
#include "trace.h"

/* Far nodes a run uses at most: a pool's slabs but the DRAM one. */
#define KVR_REAL_MAX_FAR	(CXLTIER_POOL_MAX_TIERS - 1)
/* Far memory left free on each node when placing blocks there. */
#define KVR_REAL_FAR_MARGIN	(64ULL << 20)

/* kvr_real_opts.mode */
enum kvr_real_mode {
	KVR_REAL_POOL,		/* a block pool, moved by copy-then-swap */
	KVR_REAL_BUFFER,	/* a pinned buffer, moved by the handshake */
};

/**
 * struct kvr_real_opts - how to run
 * @mode: KVR_REAL_POOL or KVR_REAL_BUFFER
 * @speed: the trace plays this many times faster than recorded
 * @agent: cxltierd to start (a path, or a name looked up in $PATH)
 * @config_path: the daemon's main config file, or NULL (defaults)
 * @workdir: where the config, socket, metrics and log go; NULL: a
 *	temporary directory, removed afterwards
 * @label: the pool's label
 * @story: where progress lines go, or NULL
 */
struct kvr_real_opts {
	enum kvr_real_mode mode;
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
 * @nr_far: far nodes that can hold pinned pages (at most KVR_REAL_MAX_FAR)
 * @far_node: those nodes, in the module's tier order
 * @far_free: bytes free on each when the run was prepared
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
 * @misplaced: buffer: blocks not where the allocator rule put them when
 *	created
 * @handshakes: buffer: release / move / re-pin cycles the pool went through
 * @agent_promotions: migrations cxltierd counted towards DRAM
 * @agent_demotions: migrations cxltierd counted towards far memory
 * @agent_migrated_bytes: bytes cxltierd migrated
 * @agent_pool_promotions: pool: blocks cxltierd counted moved to DRAM
 * @agent_pool_demotions: pool: blocks cxltierd counted moved to far memory
 * @pool: pool: the library's counters at the end of the replay
 * @created_far: pool: blocks whose first access found no free DRAM slot
 * @memcpy_bytes: pool: bytes of the single-threaded memcpy measured
 * @memcpy_ns: pool: its time
 * @pin_samples: pool: samples of the slabs' pinned pages
 * @pinned_pages: pool: pages of the slabs (each pinned once)
 * @pinned_min: pool: fewest pages seen pinned over the samples
 * @pin_drops: pool: samples that saw fewer pages pinned than the one before
 * @report_errors: pool: access reports the library refused
 */
struct kvr_real_info {
	uint64_t dram_capacity;
	uint64_t dram_other;
	int dram_node;
	unsigned int nr_far;
	int far_node[KVR_REAL_MAX_FAR];
	uint64_t far_free[KVR_REAL_MAX_FAR];
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
	uint64_t agent_pool_promotions;
	uint64_t agent_pool_demotions;
	struct cxltier_pool_stats pool;
	uint64_t created_far;
	uint64_t memcpy_bytes;
	uint64_t memcpy_ns;
	uint64_t pin_samples;
	uint64_t pinned_pages;
	uint64_t pinned_min;
	uint64_t pin_drops;
	uint64_t report_errors;
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
 * The run, in o->mode: cxltierd started with the scaled settings, the
 * pool made and registered, the trace replayed, every byte checked.
 * Fills @res (the cxltier policy, measured) and @info; sets
 * p->dram_other_bytes.  0 or -errno, with a message in @err.
 */
int kvr_real_run(const struct kvr_trace *t, struct kvr_params *p,
		 const struct kvr_real_opts *o, struct kvr_real_info *info,
		 struct kvr_result *res, char *err, size_t errlen);
/* The two modes (real_pool.c, real.c). */
int kvr_real_run_pool(const struct kvr_trace *t, struct kvr_params *p,
		      const struct kvr_real_opts *o, struct kvr_real_info *info,
		      struct kvr_result *res, char *err, size_t errlen);
int kvr_real_run_buffer(const struct kvr_trace *t, struct kvr_params *p,
			const struct kvr_real_opts *o, struct kvr_real_info *info,
			struct kvr_result *res, char *err, size_t errlen);

/* Pool: the library's copies and the memcpy yardstick, GB/s, and their ratio. */
double kvr_real_copy_gbps(const struct kvr_real_info *info);
double kvr_real_memcpy_gbps(const struct kvr_real_info *info);
double kvr_real_copy_ratio(const struct kvr_real_info *info);
/* Pool: the slabs' pins were sampled, and every page was pinned in each sample. */
bool kvr_real_pins_held(const struct kvr_real_info *info);

#endif /* KVREPLAY_REAL_H */
