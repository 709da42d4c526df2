// SPDX-License-Identifier: GPL-2.0
/*
 * baselines: the placements cxltier is measured against.
 *
 *  static         first touch, never moved: the first dram_blocks blocks
 *                 created stay in DRAM, the rest in far memory (what
 *                 happens to pinned buffers today)
 *  lru            promote on every access, evict the least recently used
 *                 block: idealised, every migration is free and instant
 *  oracle-static  the dram_blocks blocks with the most re-reads over the
 *                 whole trace, given their DRAM place before it starts,
 *                 never moved; the creating write is a miss, as for every
 *                 other placement (nothing to read yet)
 *  belady         the reactive ceiling (demand-fetch Belady): optimal for
 *                 a cache that admits a block only on its own access,
 *                 with free, instant migration: on a miss the block goes
 *                 to DRAM unless it is the one whose next access is
 *                 farthest, which is evicted instead.  Not a bound for a
 *                 tier manager, which may promote any block before it is
 *                 read: OPT (every re-read hits, report.c) is.
 *
 * Each is O(accesses) or O(accesses log dram_blocks).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

void kvr_finish(struct kvr_result *res, const struct kvr_params *p)
{
	double block = (double)p->block_bytes;
	uint64_t misses = res->accesses - res->dram_hits;

	res->migrated_bytes = (res->promoted + res->demoted) * p->block_bytes;
	res->transfer_s = (double)res->migrated_bytes / (p->far_GBps * 1e9);
	res->read_s = (double)res->dram_hits * block / (p->dram_GBps * 1e9) +
		      (double)misses * block / (p->far_GBps * 1e9);
}

int kvr_run_static(const struct kvr_trace *t, const struct kvr_params *p,
		   struct kvr_result *res)
{
	uint8_t *seen = calloc(t->nr_blocks ? t->nr_blocks : 1, 1);
	size_t i;

	if (!seen)
		return -ENOMEM;
	/* Dense ids follow first appearance: the first dram_blocks created. */
	for (i = 0; i < t->nr_access; i++) {
		uint32_t b = t->blocks[i];
		int first = !seen[b];

		seen[b] = 1;
		kvr_account(res, !first && b < p->dram_blocks, first);
	}
	free(seen);
	kvr_finish(res, p);
	return 0;
}

int kvr_run_lru(const struct kvr_trace *t, const struct kvr_params *p,
		struct kvr_result *res)
{
	const uint32_t none = UINT32_MAX;
	size_t n = t->nr_blocks ? t->nr_blocks : 1, i;
	uint32_t *prev = malloc(n * sizeof(*prev));
	uint32_t *next = malloc(n * sizeof(*next));
	uint8_t *state = calloc(n, 1);	/* 0 unseen, 1 far, 2 DRAM */
	uint32_t head = none, tail = none, used = 0;

	if (!prev || !next || !state) {
		free(prev);
		free(next);
		free(state);
		return -ENOMEM;
	}
	/* A list of DRAM blocks, most recently used at the head. */
	for (i = 0; i < t->nr_access; i++) {
		uint32_t b = t->blocks[i];
		int first = state[b] == 0;
		int hit = state[b] == 2;

		kvr_account(res, hit, first);
		if (!p->dram_blocks) {
			state[b] = 1;
			continue;
		}
		if (hit) {
			/* Unlink. */
			if (prev[b] != none)
				next[prev[b]] = next[b];
			else
				head = next[b];
			if (next[b] != none)
				prev[next[b]] = prev[b];
			else
				tail = prev[b];
			used--;
		} else if (!first) {
			res->promoted++;
		}
		/* To the head; the tail leaves when DRAM is full. */
		if (used == p->dram_blocks) {
			uint32_t v = tail;

			tail = prev[v];
			if (tail != none)
				next[tail] = none;
			else
				head = none;
			state[v] = 1;
			used--;
			res->demoted++;
		}
		prev[b] = none;
		next[b] = head;
		if (head != none)
			prev[head] = b;
		head = b;
		if (tail == none)
			tail = b;
		state[b] = 2;
		used++;
	}
	free(prev);
	free(next);
	free(state);
	kvr_finish(res, p);
	return 0;
}

int kvr_run_oracle_static(const struct kvr_trace *t, const struct kvr_params *p,
			  struct kvr_result *res)
{
	size_t n = t->nr_blocks, i;
	uint32_t *count = calloc(n ? n : 1, sizeof(*count));
	uint32_t *hist, max = 0, threshold, room;
	uint8_t *in_dram = calloc(n ? n : 1, 1), *seen = calloc(n ? n : 1, 1);

	if (!count || !in_dram || !seen) {
		free(count);
		free(in_dram);
		free(seen);
		return -ENOMEM;
	}
	/* Re-reads: the creating write is a miss wherever the block is. */
	for (i = 0; i < t->nr_access; i++) {
		uint32_t b = t->blocks[i];

		if (!seen[b])
			seen[b] = 1;
		else if (++count[b] > max)
			max = count[b];
	}
	memset(seen, 0, n ? n : 1);
	/* The dram_blocks most re-read blocks, by a histogram of counts. */
	hist = calloc((size_t)max + 2, sizeof(*hist));
	if (!hist) {
		free(count);
		free(in_dram);
		free(seen);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		hist[count[i]]++;
	room = p->dram_blocks;
	for (threshold = max; threshold > 0 && hist[threshold] <= room; threshold--)
		room -= hist[threshold];
	/* All blocks above the threshold, then the first ones at it. */
	for (i = 0; i < n; i++) {
		if (count[i] > threshold) {
			in_dram[i] = 1;
		} else if (count[i] == threshold && threshold && room) {
			in_dram[i] = 1;
			room--;
		}
	}
	for (i = 0; i < t->nr_access; i++) {
		uint32_t b = t->blocks[i];
		int first = !seen[b];

		seen[b] = 1;
		kvr_account(res, in_dram[b] && !first, first);
	}
	free(hist);
	free(count);
	free(in_dram);
	free(seen);
	kvr_finish(res, p);
	return 0;
}

/* Belady's max-heap of DRAM blocks keyed by their next access. */
struct kvr_heap {
	uint32_t *heap;		/* block ids */
	uint32_t *pos;		/* index in @heap of each block, or UINT32_MAX */
	uint32_t *key;		/* next access of each block */
	uint32_t n;		/* blocks in the heap */
};

static void heap_swap(struct kvr_heap *h, uint32_t a, uint32_t b)
{
	uint32_t x = h->heap[a];

	h->heap[a] = h->heap[b];
	h->heap[b] = x;
	h->pos[h->heap[a]] = a;
	h->pos[h->heap[b]] = b;
}

static void heap_up(struct kvr_heap *h, uint32_t i)
{
	while (i && h->key[h->heap[(i - 1) / 2]] < h->key[h->heap[i]]) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct kvr_heap *h, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->n && h->key[h->heap[l]] > h->key[h->heap[m]])
			m = l;
		if (r < h->n && h->key[h->heap[r]] > h->key[h->heap[m]])
			m = r;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

int kvr_run_belady(const struct kvr_trace *t, const struct kvr_params *p,
		   struct kvr_result *res)
{
	size_t n = t->nr_blocks ? t->nr_blocks : 1, i;
	uint32_t *nxt = malloc((t->nr_access ? t->nr_access : 1) * sizeof(*nxt));
	uint32_t *last = malloc(n * sizeof(*last));
	uint8_t *seen = calloc(n, 1);
	struct kvr_heap h = {
		.heap = malloc(((size_t)p->dram_blocks + 1) * sizeof(uint32_t)),
		.pos = malloc(n * sizeof(uint32_t)),
		.key = malloc(n * sizeof(uint32_t)),
	};
	int rc = -ENOMEM;

	if (!nxt || !last || !seen || !h.heap || !h.pos || !h.key)
		goto out;
	/* Next access of the same block, UINT32_MAX for never. */
	memset(last, 0xff, n * sizeof(*last));
	for (i = t->nr_access; i-- > 0;) {
		nxt[i] = last[t->blocks[i]];
		last[t->blocks[i]] = (uint32_t)i;
	}
	memset(h.pos, 0xff, n * sizeof(uint32_t));
	for (i = 0; i < t->nr_access; i++) {
		uint32_t b = t->blocks[i];
		int first = !seen[b];

		seen[b] = 1;
		h.key[b] = nxt[i];
		if (h.pos[b] != UINT32_MAX) {
			/* Hit: its next access moved later. */
			kvr_account(res, 1, first);
			heap_up(&h, h.pos[b]);
			continue;
		}
		kvr_account(res, 0, first);
		if (!p->dram_blocks)
			continue;
		/*
		 * DRAM full and this block's next access no nearer than the
		 * farthest one in DRAM: it stays out (on a tie too, so that
		 * blocks never used again do not trade places for nothing).
		 */
		if (h.n == p->dram_blocks && h.key[b] >= h.key[h.heap[0]])
			continue;
		/* In, and the farthest next access out. */
		h.heap[h.n] = b;
		h.pos[b] = h.n;
		heap_up(&h, h.n++);
		if (h.n > p->dram_blocks) {
			uint32_t v = h.heap[0];

			heap_swap(&h, 0, --h.n);
			h.pos[v] = UINT32_MAX;
			heap_down(&h, 0);
			res->demoted++;
		}
		if (!first)
			res->promoted++;
	}
	kvr_finish(res, p);
	rc = 0;
out:
	free(nxt);
	free(last);
	free(seen);
	free(h.heap);
	free(h.pos);
	free(h.key);
	return rc;
}
