// SPDX-License-Identifier: GPL-2.0
/*
 * pool_heat: a block pool's heat per block index.  See pool_heat.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cxltier.h>

#include "policy.h"
#include "pool_heat.h"

/**
 * struct pool_heat - one pool's block heat
 * @nr: block indexes
 * @of: per index, the handle the shadows hold (0: none)
 * @last: per index, the epoch of its block's last access (0: none)
 * @reads: per index, reads seen at this decision
 * @slot_last: per index, its slot's last access seen at this decision
 * @flags: per index, SEEN / CREATED / MOVED at this decision
 * @adapt: the shadows, NULL when off or not set up
 * @made: what @adapt was made from
 * @folded: the last epoch taken in (0: none since a start)
 * @step_ms: the last decision's time (0: none)
 */
struct pool_heat {
	uint32_t nr;
	uint64_t *of;
	uint64_t *last;
	uint32_t *reads;
	uint64_t *slot_last;
	uint8_t *flags;
	struct policy_adapt *adapt;
	struct policy_adapt_made made;
	uint64_t folded;
	uint64_t step_ms;
};

#define SEEN	1
#define CREATED	2
#define MOVED	4

struct pool_heat *pool_heat_new(uint32_t nr_blocks)
{
	struct pool_heat *h = calloc(1, sizeof(*h));
	size_t n = nr_blocks ? nr_blocks : 1;

	if (!h)
		return NULL;
	h->nr = nr_blocks;
	h->of = calloc(n, sizeof(*h->of));
	h->last = calloc(n, sizeof(*h->last));
	h->reads = calloc(n, sizeof(*h->reads));
	h->slot_last = calloc(n, sizeof(*h->slot_last));
	h->flags = calloc(n, sizeof(*h->flags));
	if (!h->of || !h->last || !h->reads || !h->slot_last || !h->flags) {
		pool_heat_free(h);
		return NULL;
	}
	return h;
}

void pool_heat_free(struct pool_heat *h)
{
	if (!h)
		return;
	policy_adapt_free(h->adapt);
	free(h->of);
	free(h->last);
	free(h->reads);
	free(h->slot_last);
	free(h->flags);
	free(h);
}

void pool_heat_see(struct pool_heat *h, uint32_t idx, uint64_t handle,
		   uint32_t reads, bool young, uint64_t last_epoch,
		   uint64_t entered_ms)
{
	if (idx >= h->nr || !handle)
		return;
	h->flags[idx] = SEEN;
	if (h->of[idx] != handle) {
		h->of[idx] = handle;
		h->last[idx] = 0;
		h->flags[idx] |= CREATED;
	} else if (h->step_ms && entered_ms > h->step_ms) {
		h->flags[idx] |= MOVED;
	}
	/* A young page of a block that came since is the copy's. */
	h->reads[idx] = reads + (young && reads < UINT32_MAX &&
				 !(h->flags[idx] & (MOVED | CREATED)));
	h->slot_last[idx] = last_epoch;
}

/* Shadows for @cfg's settings, creating writes seen: kept, or new and cold. */
static int setup(struct pool_heat *h, const struct config *cfg)
{
	int ret = policy_adapt_setup(&h->adapt, &h->made, cfg, true);

	if (ret <= 0)
		return ret;
	if (policy_adapt_resize(h->adapt, h->nr)) {
		policy_adapt_free(h->adapt);
		h->adapt = NULL;
		memset(&h->made, 0, sizeof(h->made));
		return -ENOMEM;
	}
	h->folded = 0;
	return 0;
}

/* The reads of block @i in epoch @e of those since the last decision. */
static uint32_t reads_in(const struct pool_heat *h, uint32_t i, uint64_t e,
			 uint64_t epoch)
{
	if (e == epoch)
		return h->reads[i];
	/* A slot it came to since may hold its last occupant's access. */
	return !(h->flags[i] & (MOVED | CREATED)) && h->slot_last[i] == e;
}

/* Take in the epochs after h->folded up to @epoch. */
static void fold(struct pool_heat *h, uint64_t epoch)
{
	uint64_t e = h->folded ? h->folded + 1 : epoch;
	uint32_t i, r;

	for (; e <= epoch; e++) {
		for (i = 0; i < h->nr; i++) {
			if (!(h->flags[i] & SEEN))
				continue;
			r = reads_in(h, i, e, epoch);
			if (r)
				policy_adapt_read(h->adapt, i, r);
			if (e == epoch && (h->flags[i] & CREATED))
				policy_adapt_write(h->adapt, i);
		}
		policy_adapt_epoch(h->adapt);
	}
	h->folded = epoch;
}

int pool_heat_step(struct pool_heat *h, const struct config *cfg,
		   uint64_t epoch, uint64_t now_ms, size_t dram_blocks)
{
	int ret = setup(h, cfg), k = -1;
	uint32_t i;

	if (h->adapt && h->folded &&
	    (epoch < h->folded || epoch - h->folded > POOL_HEAT_MAX_GAP)) {
		policy_adapt_free(h->adapt);
		h->adapt = NULL;
		memset(&h->made, 0, sizeof(h->made));
		ret = setup(h, cfg);
	}
	for (i = 0; i < h->nr; i++) {
		uint8_t f = h->flags[i];

		if (!(f & SEEN)) {
			/* Freed, or on a slab no longer tracked. */
			h->of[i] = 0;
			h->last[i] = 0;
			if (h->adapt)
				policy_adapt_forget(h->adapt, i);
			continue;
		}
		if ((f & CREATED) && h->adapt)
			policy_adapt_forget(h->adapt, i);
		/* Recency: the creating write, a read now, or the slot's last. */
		if ((f & CREATED) || h->reads[i])
			h->last[i] = epoch;
		else if (!(f & MOVED) && h->slot_last[i] > h->last[i])
			h->last[i] = h->slot_last[i];
	}
	if (h->adapt && epoch) {
		if (epoch != h->folded) {
			fold(h, epoch);
		} else {
			/* A second decision in one epoch: the writes wait for its end. */
			for (i = 0; i < h->nr; i++)
				if (h->flags[i] & CREATED)
					policy_adapt_write(h->adapt, i);
		}
	}
	if (h->adapt && h->folded) {
		k = (int)h->made.map[policy_adapt_decide(h->adapt, now_ms, dram_blocks, NULL, 0)];
	}
	memset(h->flags, 0, h->nr ? h->nr : 1);
	h->step_ms = now_ms;
	return ret ? ret : k;
}

uint64_t pool_heat_of(const struct pool_heat *h, uint32_t idx)
{
	return h->adapt && idx < h->nr ? policy_adapt_chunk_heat(h->adapt, idx) : 0;
}

uint64_t pool_heat_last(const struct pool_heat *h, uint32_t idx)
{
	return idx < h->nr ? h->last[idx] : 0;
}
