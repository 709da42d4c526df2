/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plan: the daemon's adapter around the pure policy (policy.c).  It turns
 * a snapshot of the module's ranges and the node table into the policy's
 * input, keeps the policy's state from one decision to the next, and
 * turns the policy's plan into the executor's moves.  No I/O.
 */
#ifndef CXLTIERD_PLAN_H
#define CXLTIERD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "executor.h"
#include "kdev.h"
#include "observe.h"

struct plan_ctx;

/**
 * struct plan_nodes - the memory nodes at a decision
 * @nr: entries in @info
 * @info: the module's node table (CXLTIER_IOC_GET_NODES)
 */
struct plan_nodes {
	uint32_t nr;
	const struct cxltier_node_info *info;
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
	       struct exec_move **moves, size_t *n);

/*
 * Record when the moves that the executor did (exec_move.done) happened,
 * so that the policy keeps them in place for min_residency.
 */
void plan_commit(struct plan_ctx *p, const struct exec_move *moves, size_t n,
		 uint64_t now_ms);

/**
 * struct plan_gate - promotions held back by the demotions that failed
 * @debt: bytes of failed demotions not yet matched by a held-back promotion
 *
 * A plan that swaps lists a swap's demotions before its promotions (when
 * far memory has room for that order): the promotions are planned into
 * the room those demotions make, in DRAM and in the class's dram_share.
 * When a demotion fails, as many bytes of the promotions that follow are
 * held back for the next decision, so a failed swap never takes DRAM or a
 * class past its budget.  Start each executor run with a zeroed gate.
 */
struct plan_gate {
	uint64_t debt;
};

/*
 * May a move in direction @dir of @len bytes go ahead?  A promotion is
 * held back (false) while the gate owes bytes, and pays off @len of them.
 */
bool plan_gate_allows(struct plan_gate *g, enum met_dir dir, uint64_t len);

/*
 * A move in direction @dir of @len bytes moved only @moved of them: for a
 * demotion, the rest is owed by the promotions that follow.
 */
void plan_gate_record(struct plan_gate *g, enum met_dir dir, uint64_t len,
		      uint64_t moved);

/* Figures of the last plan. */
const struct plan_summary *plan_last(const struct plan_ctx *p);

/* Tier of @node in @nodes, -1 when unknown. */
int plan_node_tier(const struct plan_nodes *nodes, int node);

/* Promotion, demotion or lateral, from the tiers of @from and @to. */
enum met_dir plan_direction(const struct plan_nodes *nodes, int from, int to);

#endif /* CXLTIERD_PLAN_H */
