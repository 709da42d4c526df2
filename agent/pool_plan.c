// SPDX-License-Identifier: GPL-2.0
/*
 * pool_plan: a block pool's placement through the pure policy.  See
 * pool_plan.h.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cxltier.h>

#include "pool_plan.h"

/* The pool tier on @node, or -1. */
static int tier_of_node(const struct pool_plan_pool *p, int node)
{
	unsigned int t;

	/* A slab with no slots (released) is never a target. */
	for (t = 0; t < p->nr_tiers; t++)
		if (p->node[t] == node && p->slots[t])
			return (int)t;
	return -1;
}

uint64_t pool_plan_block_heat(uint64_t slot_heat, uint64_t carried,
			      uint64_t stale, uint64_t since_ms,
			      uint32_t half_life_ms)
{
	double k = half_life_ms ? exp2(-(double)since_ms / half_life_ms) : 1.0;
	double gained = (double)slot_heat - (double)stale * k;
	double h = (double)carried * k + (gained > 0 ? gained : 0);

	return h >= 0x1p63 ? UINT64_MAX / 2 : (uint64_t)h;
}

/* The policy's view of @p and its blocks: its nodes and chunks. */
static int build_input(const struct pool_plan_pool *p,
		       const struct pool_plan_block *blocks, size_t n,
		       struct policy_node *nodes, struct policy_chunk **chunksp)
{
	struct policy_chunk *chunks;
	uint64_t top = 0;
	size_t i;
	unsigned int t;

	if (!p->nr_tiers || p->nr_tiers > PROTO_POOL_MAX_TIERS ||
	    !p->block_size || p->block_size > UINT32_MAX)
		return -EINVAL;
	/* A slab's slots are all it has: nothing reclaimable. */
	memset(nodes, 0, PROTO_POOL_MAX_TIERS * sizeof(*nodes));
	for (t = 0; t < p->nr_tiers; t++) {
		nodes[t].node = p->node[t];
		nodes[t].tier = p->mtier[t];
		nodes[t].capacity = (uint64_t)p->slots[t] * p->block_size;
		nodes[t].free = (uint64_t)p->free[t] * p->block_size;
	}
	for (i = 0; i < n; i++) {
		if (blocks[i].tier >= p->nr_tiers)
			return -EINVAL;
		if (blocks[i].heat > top)
			top = blocks[i].heat;
	}
	chunks = calloc(n ? n : 1, sizeof(*chunks));
	if (!chunks)
		return -ENOMEM;
	/* Above every block's heat, and far from overflowing. */
	top = top < UINT64_MAX / 4 ? 2 * top + CXLTIER_HEAT_ONE : top;
	for (i = 0; i < n; i++) {
		chunks[i].heat = blocks[i].heat;
		chunks[i].last_ms = blocks[i].last_ms;
		if (blocks[i].hint == PROTO_HINT_DONE) {
			chunks[i].heat = 0;
			chunks[i].last_ms = 0;
		} else if (blocks[i].hint == PROTO_HINT_WILL_READ) {
			chunks[i].heat = top;
		}
		chunks[i].moved_ms = blocks[i].moved_ms;
		if (blocks[i].hint_demoted)
			chunks[i].flags |= POLICY_CHUNK_HINT_DEMOTED;
		chunks[i].bytes = (uint32_t)p->block_size;
		chunks[i].node = p->node[blocks[i].tier];
	}
	*chunksp = chunks;
	return 0;
}

/* The plan's moves as ADVICE frames, in its order (room first). */
static void fill_frames(const struct pool_plan_pool *p,
			const struct pool_plan_block *blocks, size_t n,
			size_t max_frames, struct pool_plan_out *out)
{
	struct proto_pool_msg *f = NULL;
	size_t i;
	int to;

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
	int ret;

	out->nr_frames = 0;
	out->nr_blocks = 0;
	ret = build_input(p, blocks, n, nodes, &chunks);
	if (ret)
		return ret;
	in.nodes = nodes;
	in.nr_nodes = p->nr_tiers;
	in.chunks = chunks;
	in.nr_chunks = n;
	out->plan.state = *state;
	ret = policy_plan(ctx, &in, state, &out->plan);
	free(chunks);
	if (ret)
		return ret;
	fill_frames(p, blocks, n, max_frames, out);
	return 0;
}

/* A will-read block and its hint's order. */
struct will_read {
	uint64_t seq;
	uint32_t idx;
};

static int by_hint_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct will_read *)a)->seq;
	uint64_t y = ((const struct will_read *)b)->seq;

	return x < y ? -1 : x > y;
}

/* The rate limit's allowance at @now_ms, as policy_plan() refills it. */
static uint64_t allowance(const struct config *cfg, uint64_t block_size,
			  const struct policy_state *st, uint64_t now_ms)
{
	uint64_t per, cap, elapsed, add;

	if (!cfg->rate_limit_Bps)
		return UINT64_MAX;
	per = (uint64_t)((unsigned __int128)cfg->rate_limit_Bps *
			 cfg->interval_ms / 1000);
	cap = per > 2 * block_size ? per : 2 * block_size;
	if (!st->last_ms || now_ms < st->last_ms)
		return per < cap ? per : cap;
	elapsed = now_ms - st->last_ms;
	add = (uint64_t)((unsigned __int128)cfg->rate_limit_Bps * elapsed / 1000);
	return st->tokens >= cap || add >= cap - st->tokens ? cap : st->tokens + add;
}

int pool_plan_hints(struct policy_ctx *ctx, const struct config *cfg,
		    const struct pool_plan_pool *p,
		    const struct pool_plan_block *blocks, size_t n,
		    uint64_t now_ms, const struct policy_state *state,
		    size_t max_frames, struct pool_plan_out *out)
{
	struct policy_node nodes[PROTO_POOL_MAX_TIERS];
	struct policy_input in = { .cfg = cfg, .now_ms = now_ms };
	struct policy_hints h = { 0 };
	struct policy_chunk *chunks = NULL;
	struct will_read *order = NULL;
	uint32_t *will = NULL, *done = NULL;
	uint64_t moved, avail;
	size_t i;
	int ret;

	out->nr_frames = 0;
	out->nr_blocks = 0;
	memset(&out->plan, 0, sizeof(out->plan));
	out->plan.state = *state;
	ret = build_input(p, blocks, n, nodes, &chunks);
	if (ret)
		return ret;
	/* The promotions' share: each may need a victim's move as well. */
	avail = allowance(cfg, p->block_size, state, now_ms);
	h.budget = avail == UINT64_MAX ? avail : avail / 2;
	order = calloc(n ? n : 1, sizeof(*order));
	will = calloc(n ? n : 1, sizeof(*will));
	done = calloc(n ? n : 1, sizeof(*done));
	ret = -ENOMEM;
	if (!order || !will || !done)
		goto out;
	for (i = 0; i < n; i++) {
		if (blocks[i].hint == PROTO_HINT_WILL_READ)
			order[h.nr_will_read++] = (struct will_read){
				blocks[i].hint_seq, (uint32_t)i };
		else if (blocks[i].hint == PROTO_HINT_DONE)
			done[h.nr_done++] = (uint32_t)i;
	}
	ret = 0;
	if (!h.nr_will_read)
		goto out;
	qsort(order, h.nr_will_read, sizeof(*order), by_hint_seq);
	for (i = 0; i < h.nr_will_read; i++)
		will[i] = order[i].idx;
	h.will_read = will;
	h.done = done;
	in.nodes = nodes;
	in.nr_nodes = p->nr_tiers;
	in.chunks = chunks;
	in.nr_chunks = n;
	ret = policy_hint_plan(ctx, &in, &h, &out->plan);
	if (ret)
		goto out;
	moved = 0;
	for (i = 0; i < out->plan.nr_moves; i++)
		moved += chunks[out->plan.moves[i].chunk].bytes;
	/* The rate limit's state, as a decision at @now_ms leaves it. */
	out->plan.state.last_ms = now_ms;
	out->plan.state.tokens = !cfg->rate_limit_Bps ? 0 :
				 avail > moved ? avail - moved : 0;
	fill_frames(p, blocks, n, max_frames, out);
out:
	free(chunks);
	free(order);
	free(will);
	free(done);
	return ret;
}
