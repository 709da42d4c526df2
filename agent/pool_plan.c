// SPDX-License-Identifier: GPL-2.0
/*
 * pool_plan: a block pool's placement through the pure policy.  See
 * pool_plan.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pool_plan.h"

/* The pool tier on @node, or -1. */
static int tier_of_node(const struct pool_plan_pool *p, int node)
{
	unsigned int t;

	for (t = 0; t < p->nr_tiers; t++)
		if (p->node[t] == node)
			return (int)t;
	return -1;
}

int pool_plan_advice(struct policy_ctx *ctx, const struct config *cfg,
		     const struct pool_plan_pool *p,
		     const struct pool_plan_block *blocks, size_t n,
		     uint64_t now_ms, const struct policy_state *state,
		     size_t max_frames, struct pool_plan_out *out)
{
	struct policy_node nodes[PROTO_POOL_MAX_TIERS];
	struct policy_input in = { .cfg = cfg, .now_ms = now_ms };
	struct policy_chunk *chunks;
	struct proto_pool_msg *f = NULL;
	size_t i;
	unsigned int t;
	int ret, to;

	out->nr_frames = 0;
	out->nr_blocks = 0;
	if (!p->nr_tiers || p->nr_tiers > PROTO_POOL_MAX_TIERS ||
	    !p->block_size || p->block_size > UINT32_MAX)
		return -EINVAL;
	for (t = 0; t < p->nr_tiers; t++) {
		nodes[t].node = p->node[t];
		nodes[t].tier = p->mtier[t];
		nodes[t].capacity = (uint64_t)p->slots[t] * p->block_size;
		nodes[t].free = (uint64_t)p->free[t] * p->block_size;
	}
	chunks = calloc(n ? n : 1, sizeof(*chunks));
	if (!chunks)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (blocks[i].tier >= p->nr_tiers) {
			free(chunks);
			return -EINVAL;
		}
		chunks[i].heat = blocks[i].heat;
		chunks[i].moved_ms = blocks[i].moved_ms;
		chunks[i].last_ms = blocks[i].last_ms;
		chunks[i].bytes = (uint32_t)p->block_size;
		chunks[i].node = p->node[blocks[i].tier];
	}
	in.nodes = nodes;
	in.nr_nodes = p->nr_tiers;
	in.chunks = chunks;
	in.nr_chunks = n;
	out->plan.state = *state;
	ret = policy_plan(ctx, &in, state, &out->plan);
	free(chunks);
	if (ret)
		return ret;

	/* In the policy's order: demotions that make room come first. */
	for (i = 0; i < out->plan.nr_moves; i++) {
		const struct policy_move *mv = &out->plan.moves[i];

		to = tier_of_node(p, mv->to);
		if (to < 0 || mv->chunk >= n)
			continue;
		if (!f || f->count == PROTO_POOL_MAX_ENTRIES) {
			if (out->nr_frames == max_frames)
				break;
			f = &out->frames[out->nr_frames++];
			memset(f, 0, offsetof(struct proto_pool_msg, advice));
			f->type = PROTO_ADVICE;
			f->pool = p->pool;
		}
		f->advice[f->count].block = blocks[mv->chunk].handle;
		f->advice[f->count].tier = (uint32_t)to;
		f->count++;
		out->nr_blocks++;
	}
	return 0;
}
