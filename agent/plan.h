/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plan: the daemon's adapter around the pure policy (policy.c).  It turns
 * a snapshot of the module's ranges and the node table into the policy's
 * input, keeps the policy's state from one decision to the next, and
 * turns the policy's plan into moves (struct plan_move), the vocabulary
 * the executor and the metrics share.  No I/O: the executor includes
 * this header, never the other way round.
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
