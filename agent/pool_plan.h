/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pool_plan: cxltierd's per-block placement of a registered block pool.
 * Each allocated block is one policy_chunk (its heat read from the
 * chunks of its slot in its slab's module range), each slab one
 * policy_node whose capacity is its slots, so the same pure policy
 * (policy.c) that places buffers places blocks, with the same rate
 * limit; its moves become ADVICE frames of at most 256 blocks.  Pure:
 * no socket, no module.
 */
#ifndef CXLTIER_POOL_PLAN_H
#define CXLTIER_POOL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "proto_pool.h"

/**
 * struct pool_plan_pool - a registered pool, as its POOL_REGISTER said,
 * and its slots free now
 * @pool: the pool's id
 * @block_size: bytes per block
 * @nr_tiers: slabs
 * @node: NUMA node of each slab
 * @mtier: module tier of each slab (POLICY_TIER_DRAM for DRAM)
 * @slots: slots of each slab
 * @free: free slots of each slab now
 */
struct pool_plan_pool {
	uint32_t pool;
	uint64_t block_size;
	unsigned int nr_tiers;
	int node[PROTO_POOL_MAX_TIERS];
	unsigned int mtier[PROTO_POOL_MAX_TIERS];
	uint32_t slots[PROTO_POOL_MAX_TIERS];
	uint32_t free[PROTO_POOL_MAX_TIERS];
};

/**
 * struct pool_plan_block - one allocated block
 * @handle: its handle (generation and index)
 * @tier: the pool tier it is on
 * @heat: its heat, CXLTIER_HEAT_ONE units
 * @moved_ms: when it last moved (0: never), on the planner's clock
 * @last_ms: when last accessed, if known (0: unknown)
 * @hint: the runtime's hint that holds for it, PROTO_HINT_* or 0
 * @hint_seq: the order of that hint (will-read blocks are promoted in it)
 * @hint_demoted: demoted to make room for a will-read block and not
 *	moved since (POLICY_CHUNK_HINT_DEMOTED)
 */
struct pool_plan_block {
	uint64_t handle;
	unsigned int tier;
	uint64_t heat;
	uint64_t moved_ms;
	uint64_t last_ms;
	unsigned int hint;
	uint64_t hint_seq;
	bool hint_demoted;
};

/**
 * struct pool_plan_out - the advice of one decision
 * @frames: ADVICE frames, each to be numbered by proto_pool_send()
 * @nr_frames: frames filled
 * @nr_blocks: blocks advised in all
 * @plan: the policy's plan (its counts and rate-limit state)
 */
struct pool_plan_out {
	struct proto_pool_msg *frames;
	size_t nr_frames;
	size_t nr_blocks;
	struct policy_plan plan;
};

/*
 * A block's heat, where the module's heat belongs to slots: what the
 * block carried into its slot @since_ms ago (@carried, decayed since),
 * plus what the slot gained since (@slot_heat less the heat the slot
 * had from earlier blocks, @stale, decayed alike), never below 0.  So a
 * moved block keeps its history and a new one does not inherit its
 * slot's.  @half_life_ms: the module's (0: no decay).
 */
uint64_t pool_plan_block_heat(uint64_t slot_heat, uint64_t carried,
			      uint64_t stale, uint64_t since_ms,
			      uint32_t half_life_ms);

/*
 * Plan @p's @n blocks at @now_ms with @cfg, continuing from @state (the
 * policy's rate limit), into at most @max_frames frames of @out->frames.
 * Moves past what fits are left for the next decision.  Hints count as
 * heat: a done block as the coldest (never promoted, demoted first), a
 * will-read block as hotter than every other (never a victim).  Return:
 * 0; -EINVAL (a block on a tier the pool does not have, a block size
 * above 4 GiB, no tiers); or the policy's error.
 */
int pool_plan_advice(struct policy_ctx *ctx, const struct config *cfg,
		     const struct pool_plan_pool *p,
		     const struct pool_plan_block *blocks, size_t n,
		     uint64_t now_ms, const struct policy_state *state,
		     size_t max_frames, struct pool_plan_out *out);

/*
 * The urgent plan of a batch of will-read hints (policy_hint_plan()):
 * every will-read block off the fastest tier is promoted, in hint order,
 * while the rate limit allows (@state's tokens, refilled up to @now_ms
 * as policy_plan() refills them; half of them for the promotions, as
 * each may need a victim's move), each against a victim on that tier
 * (done blocks first, then the coldest; never a will-read block).
 * Watermarks and min_residency do not apply.  @out as
 * pool_plan_advice(); its plan's state is what is left of the rate
 * limit.  Return as pool_plan_advice().
 */
int pool_plan_hints(struct policy_ctx *ctx, const struct config *cfg,
		    const struct pool_plan_pool *p,
		    const struct pool_plan_block *blocks, size_t n,
		    uint64_t now_ms, const struct policy_state *state,
		    size_t max_frames, struct pool_plan_out *out);

#endif /* CXLTIER_POOL_PLAN_H */
