/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model: what kvreplay measures, whichever way a placement is run.
 *
 * The replay: each request reads its blocks, in order, at its timestamp.
 * A block's first access creates it: the allocator puts it in DRAM while
 * DRAM has room, else in far memory, and that access is a miss whatever
 * the placement (the block is being written, there is nothing to read
 * yet).  Every later access is a DRAM hit if the block is in DRAM at that
 * moment.  A placement decided before the trace starts (oracle-static)
 * has its blocks in DRAM from their first access: those count as hits.
 *
 * A backend runs one placement over a trace and fills a kvr_result:
 * the simulated ones (sim.c: cxltier, through agent/policy.c;
 * baselines.c: static, lru, oracle-static, belady) and the real one
 * (real.c: the module, the agent and the fake accelerator, --real);
 * report.c prints results whichever backend made them.
 */
#ifndef KVREPLAY_MODEL_H
#define KVREPLAY_MODEL_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "policy.h"
#include "trace.h"

/* kvr_params.recency */
#define KVR_RECENCY_MS		1
#define KVR_RECENCY_EPOCH	2

/* Tokens in one block of the Mooncake trace. */
#define KVR_BLOCK_TOKENS	512

/**
 * struct kvr_params - the modelled machine and the policy settings
 * @dram_fraction: DRAM capacity as a fraction of the trace's distinct
 *	blocks
 * @dram_blocks: the same in blocks, rounded down
 * @block_bytes: bytes of one block, which is one chunk of the pool
 * @dram_GBps: DRAM bandwidth, GB/s (for modelled times)
 * @far_GBps: far-memory bandwidth, GB/s; a migration moves at this speed
 * @device_weight: heat of one device access, as the module's
 *	device_weight tunable
 * @report_writes: the write that creates a block is reported as an
 *	access too (else only reads are); kvreplay --real's model
 * @write_weight_pm: --simulate: heat of the creating write, thousandths
 *	of a read's (0: not reported; 1000 with report_writes)
 * @recency: the policy is told each block's last access (breaks ties):
 *	KVR_RECENCY_MS its time, KVR_RECENCY_EPOCH the number of its heat
 *	epoch, as cxltierd knows it (the module's last_epoch); 0: not told
 * @hints: cxltier+hints: a will-read hint for each request's blocks
 *	@hint_lead_ms before it, its promotions copied at @hint_Bps
 * @hint_lead_ms: see @hints
 * @hint_Bps: bytes per second of hinted promotions, one after another
 * @nr_adapt: --simulate: shadows of the adaptive heat (0: the heat of
 *	[heat] half_life and @write_weight_pm alone)
 * @adapt: their settings
 * @adapt_window_ms: their scores halve after this long
 * @cfg: cxltierd settings for the cxltier policy ([policy], [heat])
 * @heat_log: where the cxltier run writes its heat log, or NULL
 * @heat_log_every: log every this many decisions
 * @heat_log_chunks: log the first this many chunks (blocks in order of
 *	creation)
 * @dram_node_bytes: 0: DRAM is @dram_blocks blocks, all the pool's (the
 *	model of --simulate); else the cxltier run sees a DRAM node of this
 *	many bytes, as the daemon does in a real run, with
 *	@dram_other_bytes used by others and the pool's class capped by
 *	its dram_share (kvreplay --real's simulation)
 * @dram_other_bytes: see @dram_node_bytes
 * @klass: class of the pool's chunks in @cfg (CONFIG_CLASS_DEFAULT
 *	unless a class matches the pool's label)
 */
struct kvr_params {
	double dram_fraction;
	uint32_t dram_blocks;
	uint64_t block_bytes;
	double dram_GBps;
	double far_GBps;
	uint32_t device_weight;
	int report_writes;
	uint32_t write_weight_pm;
	int recency;
	int hints;
	uint32_t hint_lead_ms;
	uint64_t hint_Bps;
	unsigned int nr_adapt;
	struct policy_adapt_setting adapt[POLICY_ADAPT_MAX];
	uint32_t adapt_window_ms;
	struct config cfg;
	FILE *heat_log;
	uint32_t heat_log_every;
	uint32_t heat_log_chunks;
	uint64_t dram_node_bytes;
	uint64_t dram_other_bytes;
	uint16_t klass;
};

/**
 * struct kvr_result - one placement over one trace
 * @policy: its name
 * @mode: "" (one mode in the run), or "real" / "simulate" when a real
 *	run is compared with its simulation
 * @accesses: block accesses replayed
 * @first_accesses: accesses that created their block
 * @dram_hits: accesses served from DRAM
 * @reuse_hits: DRAM hits among the accesses that were not first accesses
 * @promoted: blocks moved to DRAM
 * @demoted: blocks moved to far memory
 * @migrated_bytes: bytes moved, both directions
 * @deferred_bytes: cxltier: bytes of planned moves held back by the
 *	rate limit, summed over decisions
 * @decisions: cxltier: policy runs
 * @max_interval_bytes: cxltier: most bytes moved in one decision
 * @transfer_s: modelled time to migrate @migrated_bytes at far bandwidth
 * @read_s: modelled time to read every accessed block from where it was
 * @policy_cpu_s: host CPU time spent in policy_plan() (cxltier)
 * @hint_promoted: cxltier+hints: blocks promoted for a will-read hint
 * @hint_late: cxltier+hints: reads of a hinted block whose copy to DRAM
 *	had not finished (misses)
 * @adapt_switches: adaptive heat: decisions that changed the setting
 * @adapt_last: adaptive heat: the setting followed at the end
 */
struct kvr_result {
	char policy[32];
	char mode[16];
	uint64_t accesses;
	uint64_t first_accesses;
	uint64_t dram_hits;
	uint64_t reuse_hits;
	uint64_t promoted;
	uint64_t demoted;
	uint64_t migrated_bytes;
	uint64_t deferred_bytes;
	uint64_t decisions;
	uint64_t max_interval_bytes;
	double transfer_s;
	double read_s;
	double policy_cpu_s;
	uint64_t hint_promoted;
	uint64_t hint_late;
	uint64_t adapt_switches;
	unsigned int adapt_last;
};

/* One placement: fills @res, 0 or -errno. */
typedef int (*kvr_backend_fn)(const struct kvr_trace *t,
			      const struct kvr_params *p, struct kvr_result *res);

/* Placements decided without look-ahead or with it (baselines.c, sim.c). */
int kvr_run_static(const struct kvr_trace *t, const struct kvr_params *p,
		   struct kvr_result *res);
int kvr_run_lru(const struct kvr_trace *t, const struct kvr_params *p,
		struct kvr_result *res);
int kvr_run_oracle_static(const struct kvr_trace *t, const struct kvr_params *p,
			  struct kvr_result *res);
int kvr_run_belady(const struct kvr_trace *t, const struct kvr_params *p,
		   struct kvr_result *res);
int kvr_run_cxltier(const struct kvr_trace *t, const struct kvr_params *p,
		    struct kvr_result *res);
/* cxltier with will-read hints (sim.c), whatever p->hints says. */
int kvr_run_cxltier_hints(const struct kvr_trace *t, const struct kvr_params *p,
			  struct kvr_result *res);

/* Count one access; @hit: served from DRAM; @first: it created its block. */
static inline void kvr_account(struct kvr_result *res, int hit, int first)
{
	res->accesses++;
	res->first_accesses += first;
	res->dram_hits += hit;
	res->reuse_hits += hit && !first;
}

/* Fill the modelled times from the counters. */
void kvr_finish(struct kvr_result *res, const struct kvr_params *p);

#endif /* KVREPLAY_MODEL_H */
