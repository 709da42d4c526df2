/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plan: the daemon's adapter around the pure policy (policy.c).  It turns
 * a snapshot of the module's ranges and the node table into the policy's
 * input, keeps the policy's state from one decision to the next, and
 * turns the policy's plan into moves (struct plan_move), the vocabulary
 * the executor and the metrics share.  No I/O: the executor includes
 * this header, never the other way round.
 *
 * Adaptive heat ([heat] adaptive = on, the default): the adapter keeps
 * the policy's shadows (policy_adapt_*, as kvreplay --simulate runs
 * them) over the flattened chunks of the snapshot:
 *  - once per new heat epoch E of the snapshot, each chunk's reads of
 *    that epoch are taken in: dev_count (device reports, unweighted)
 *    plus 1 when the scanner saw any young page (cpu_young > 0); then
 *    policy_adapt_epoch().  Epochs the agent did not see (it decided
 *    less often than once an epoch) are folded too, one
 *    policy_adapt_epoch() each, with 1 read in the epoch of a chunk's
 *    last access (last_epoch) when that falls among them: their counts
 *    are gone, the last access is not.  More than PLAN_ADAPT_MAX_GAP
 *    epochs missed, or an epoch counter that went back (module
 *    reloaded): the shadows start again, cold;
 *  - the creating write of a chunk is not visible to the agent (the
 *    module reports accesses, not allocations), so policy_adapt_write()
 *    is never called: the write weights of the shadows have no effect
 *    here, shadows that differ only by their weight score alike, and
 *    recency shadows are left out (policy_adapt_setup());
 *  - chunk identity is the flattened index; when the layout of the
 *    snapshot changes (a range comes or goes or changes its chunk
 *    count: rare for long-lived pools) the shadows start again, cold;
 *  - until the shadows have taken in one epoch after a (re)start, the
 *    module's heat ranks the chunks; a snapshot with no range changes
 *    nothing (plan_summary.adaptive stays as it was);
 *  - then policy_adapt_decide() runs before policy_plan(), with DRAM's
 *    capacity taken as the chunks on DRAM nodes in the snapshot, and
 *    the chunks are ranked by the followed shadow's heat.
 * Recency: policy_chunk.last_ms is the module's last_epoch (0 = never),
 * an epoch number: the policy only compares it between chunks.
 */
#ifndef CXLTIERD_PLAN_H
#define CXLTIERD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/cxltier.h>

#include "config.h"
#include "observe.h"
#include "policy.h"

/* Most heat epochs folded at one decision before the shadows restart. */
#define PLAN_ADAPT_MAX_GAP	64

/* Direction of a migration. */
enum move_dir {
	MOVE_PROMOTE,	/* to a faster tier */
	MOVE_DEMOTE,	/* to a slower tier */
	MOVE_LATERAL,	/* within a tier, or tiers unknown */
	MOVE_NR_DIRS,
};

/* Why a planned migration did not happen (or not fully). */
enum move_fail {
	MOVE_FAIL_STALE,	/* re-check: untracked, or not where planned */
	MOVE_FAIL_NO_ROOM,	/* the target node is (nearly) full */
	MOVE_FAIL_PINNED,	/* pages not moved: pinned or busy */
	MOVE_FAIL_REFUSED,	/* the owner refused to release */
	MOVE_FAIL_TIMEOUT,	/* the owner did not answer in time */
	MOVE_FAIL_GONE,		/* the owner went away */
	MOVE_FAIL_BACKOFF,	/* the owner timed out recently */
	MOVE_FAIL_ERROR,	/* any other error */
	MOVE_NR_FAILS,
};

/**
 * struct plan_move - one step of a plan
 * @range_id: the module's range id
 * @first_chunk: first chunk of the range to move
 * @nr_chunks: chunks to move
 * @from_node: where the plan saw them; -1: do not check
 * @to_node: target node
 * @dir: promotion or demotion, for the metrics
 * @done: out: executor_run() completed it
 * @reason: why (enum policy_reason of its first chunk; policy_reason_name())
 * @heat: the mean heat of its chunks as the module read it, in
 *	CXLTIER_HEAT_ONE units (decayed accesses)
 */
struct plan_move {
	uint32_t range_id;
	uint64_t first_chunk;
	uint32_t nr_chunks;
	int from_node;
	int to_node;
	enum move_dir dir;
	bool done;
	uint32_t reason;
	uint64_t heat;
};

struct plan_ctx;

/**
 * struct plan_nodes - the memory nodes at a decision
 * @nr: entries in @info
 * @info: the module's node table (CXLTIER_IOC_GET_NODES)
 * @reclaimable: for each entry of @info, bytes reclaim can hand back
 *	there (page cache, reclaimable slab; node_meminfo), counted as
 *	available; NULL for none
 */
struct plan_nodes {
	uint32_t nr;
	const struct cxltier_node_info *info;
	const uint64_t *reclaimable;
};

/**
 * struct plan_summary - figures of the last plan, for the log
 * @dram_capacity: bytes of the DRAM tier
 * @dram_used: bytes in use there
 * @dram_tracked: bytes of tracked chunks there before the plan
 * @dram_budget: bytes of tracked chunks the plan allows there
 * @promote_bytes: bytes planned for promotion
 * @demote_bytes: bytes planned for demotion
 * @deferred_bytes: bytes of wanted moves left for later (rate limit)
 * @blocked_bytes: bytes of wanted moves no node had room for
 * @untracked_bytes: DRAM used by other than tracked chunks
 * @shed_skipped: above high_watermark from untracked memory: no demotion
 * @rate_tokens: bytes the rate limit allows now, after the plan
 * @adaptive: index in [heat] adaptive_settings of the shadow whose heat
 *	ranked the chunks; -1: the module's heat did (adaptive = off, or
 *	the shadows have seen no epoch since they were reset)
 * @adaptive_half_life_ms: that shadow's half-life
 * @adaptive_write_weight_pm: its write weight, thousandths of a read
 * @adaptive_recency: it is a recency shadow (HALF_LIFE:WEIGHT:last)
 * @adaptive_switched: @adaptive differs from the previous plan's
 * @adaptive_resets: times the shadows were reset (layout of the ranges
 *	changed, epochs skipped, settings reloaded)
 */
struct plan_summary {
	uint64_t dram_capacity;
	uint64_t dram_used;
	uint64_t dram_tracked;
	uint64_t dram_budget;
	uint64_t promote_bytes;
	uint64_t demote_bytes;
	uint64_t deferred_bytes;
	uint64_t blocked_bytes;
	uint64_t untracked_bytes;
	bool shed_skipped;
	uint64_t rate_tokens;
	int adaptive;
	uint32_t adaptive_half_life_ms;
	uint32_t adaptive_write_weight_pm;
	bool adaptive_recency;
	bool adaptive_switched;
	uint64_t adaptive_resets;
};

int plan_new(struct plan_ctx **pp);
void plan_free(struct plan_ctx *p);

/*
 * Start the policy's rate limit afresh (a reload changed its settings).
 */
void plan_reset(struct plan_ctx *p);

/*
 * Decide: fill *@moves (malloc'ed, free() it) with *@n moves, in the
 * order to make them.  @now_ms is a monotonic clock.  0 or -errno.
 */
int plan_build(struct plan_ctx *p, const struct config *cfg,
	       const struct plan_nodes *nodes,
	       const struct obs_snapshot *snap, uint64_t now_ms,
	       struct plan_move **moves, size_t *n);

/*
 * Record when the moves that the executor did (plan_move.done) happened,
 * so that the policy keeps them in place for min_residency.
 */
void plan_commit(struct plan_ctx *p, const struct plan_move *moves, size_t n,
		 uint64_t now_ms);

/*
 * The policy's rate-limit state, shared by every plan of a decision:
 * the block pools' plans (pool_plan.c) continue from it and store it
 * back, so buffers and blocks move within one rate limit.
 */
struct policy_state *plan_rate_state(struct plan_ctx *p);

/* Figures of the last plan. */
const struct plan_summary *plan_last(const struct plan_ctx *p);

/*
 * The class (index in config.classes) of each of the @nr_ranges ranges
 * of the snapshot the last plan_build() classified, NULL when it did not
 * get that far: the rest of the cycle reuses them.
 */
const uint16_t *plan_classes(const struct plan_ctx *p, size_t nr_ranges);

/* Tier of @node in @nodes, -1 when unknown. */
int plan_node_tier(const struct plan_nodes *nodes, int node);

/* Promotion, demotion or lateral, from the tiers of @from and @to. */
enum move_dir plan_direction(const struct plan_nodes *nodes, int from, int to);

#endif /* CXLTIERD_PLAN_H */
