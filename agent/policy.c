// SPDX-License-Identifier: GPL-2.0
/*
 * policy: from heat to a migration plan.  The algorithm is described in
 * policy.h; this file is its implementation, with no I/O and no state
 * but what the caller passes in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cxltier.h>

#include "cxltier/heat.h"
#include "policy.h"

/* Offset that makes a class priority (-1000..1000) unsigned. */
#define PRIO_BIAS	1000

/**
 * struct pol_cand - a chunk that may move, as ranked
 * @score: heat, plus the hysteresis bonus for a chunk in DRAM
 * @last: the chunk's last access (policy_chunk.last_ms)
 * @chunk: index in policy_input.chunks
 * @prio: class priority + PRIO_BIAS
 * @in_dram: the chunk is on a DRAM node
 */
struct pol_cand {
	uint64_t score;
	uint64_t last;
	uint32_t chunk;
	uint16_t prio;
	uint8_t in_dram;
};

/**
 * struct policy_ctx - scratch memory of policy_plan()
 * @cand: ranked chunks
 * @cand_tmp: scratch for the sort, as large as the ranking needs
 * @cand_room: entries allocated at @cand
 * @cand_tmp_room: entries allocated at @cand_tmp (policy_hint_plan()
 *	grows @cand alone)
 * @want: chunk indices of far chunks wanted in DRAM, best first
 * @want_room: entries allocated at @want
 * @unwanted: chunk indices of DRAM chunks not wanted there, best first;
 *	UINT32_MAX once demoted
 * @unwanted_room: entries allocated at @unwanted
 * @moves: the plan's moves, then as many entries of scratch space
 * @moves_room: entries allocated at @moves
 * @node_idx: index in policy_input.nodes of each node id, or -1
 * @node_free: free bytes of each input node as the plan goes
 * @scratch_free: the same, for checking an order of the moves
 * @mark: per chunk, the hint batch (@gen) that named it will-read
 * @mark_room: entries allocated at @mark
 * @gen: the current hint batch
 */
struct policy_ctx {
	struct pol_cand *cand;
	struct pol_cand *cand_tmp;
	size_t cand_room;
	size_t cand_tmp_room;
	uint32_t *want;
	size_t want_room;
	uint32_t *unwanted;
	size_t unwanted_room;
	struct policy_move *moves;
	size_t moves_room;
	int16_t node_idx[CONFIG_MAX_NODES];
	uint64_t node_free[CONFIG_MAX_NODES];
	uint64_t scratch_free[CONFIG_MAX_NODES];
	uint32_t *mark;
	size_t mark_room;
	uint32_t gen;
};

/**
 * struct pol_run - one policy_plan() call in progress
 * @ctx: scratch memory
 * @in: the input
 * @plan: the output
 * @class_cap: DRAM bytes each class may hold
 * @class_now: DRAM bytes each class holds as the plan goes
 * @tracked: bytes of tracked chunks in DRAM as the plan goes
 * @tokens: rate-limit allowance left, bytes
 * @unlimited: no rate limit (@tokens is not used)
 * @nr_nodes: entries of policy_input.nodes in use (at most CONFIG_MAX_NODES)
 */
struct pol_run {
	struct policy_ctx *ctx;
	const struct policy_input *in;
	struct policy_plan *plan;
	uint64_t class_cap[CONFIG_MAX_CLASSES];
	uint64_t class_now[CONFIG_MAX_CLASSES];
	uint64_t tracked;
	uint64_t tokens;
	bool unlimited;
	unsigned int nr_nodes;
};

struct policy_ctx *policy_ctx_new(void)
{
	return calloc(1, sizeof(struct policy_ctx));
}

void policy_ctx_free(struct policy_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->cand);
	free(ctx->cand_tmp);
	free(ctx->want);
	free(ctx->unwanted);
	free(ctx->moves);
	free(ctx->mark);
	free(ctx);
}

const char *policy_reason_name(uint32_t reason)
{
	switch (reason) {
	case POLICY_PROMOTE:
		return "promote";
	case POLICY_DEMOTE_PRESSURE:
		return "pressure";
	case POLICY_DEMOTE_SHARE:
		return "share";
	case POLICY_DEMOTE_SWAP:
		return "swap";
	case POLICY_PROMOTE_HINT:
		return "hint";
	case POLICY_DEMOTE_HINT:
		return "hint-swap";
	}
	return "unknown";
}

/* Make room for @n entries of @size at *@p. */
static int reserve(void **p, size_t *room, size_t n, size_t size)
{
	void *q;

	if (n <= *room)
		return 0;
	if (n > SIZE_MAX / size)
		return -ENOMEM;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*room = n;
	return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* @x * @num / @den without overflow, saturating. */
static uint64_t mul_div(uint64_t x, uint64_t num, uint64_t den)
{
	unsigned __int128 r = (unsigned __int128)x * num / den;

	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

/* A priority as an unsigned sort key, clamped to the documented range. */
static uint16_t prio_key(int priority)
{
	if (priority < -PRIO_BIAS)
		priority = -PRIO_BIAS;
	if (priority > PRIO_BIAS)
		priority = PRIO_BIAS;
	return (uint16_t)(priority + PRIO_BIAS);
}

/*
 * Byte @d of the rank key, 0 = least significant; smaller sorts first.
 * The key, most significant first: priority (descending), score
 * (descending), last access (latest first), in DRAM first.  The sort is
 * stable and the candidates start in chunk order, so ties end in chunk
 * order.
 */
static unsigned int rank_byte(const struct pol_cand *c, unsigned int d)
{
	if (d == 0)
		return !c->in_dram;
	if (d <= 8)
		return (unsigned int)((~c->last >> (8 * (d - 1))) & 0xff);
	if (d <= 16)
		return (unsigned int)((~c->score >> (8 * (d - 9))) & 0xff);
	return (unsigned int)(((0xffffU - c->prio) >> (8 * (d - 17))) & 0xff);
}

/*
 * Rank @n candidates: an LSD radix sort, O(n) per key byte; bytes that
 * are the same in every key (the high bytes of small heats, a single
 * priority) cost one counting pass and no move.
 */
static void rank_sort(struct pol_cand *a, struct pol_cand *tmp, size_t n)
{
	size_t count[256], i, sum;
	unsigned int d, b;

	for (d = 0; d < 19; d++) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[rank_byte(&a[i], d)]++;
		for (b = 0; b < 256 && count[b] != n; b++)
			;
		if (b < 256)
			continue;	/* one value: already in order */
		for (b = 0, sum = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[rank_byte(&a[i], d)]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
	}
}

/* Index in the input nodes of node id @node, or -1. */
static int node_index(const struct policy_ctx *ctx, int32_t node)
{
	if (node < 0 || node >= CONFIG_MAX_NODES)
		return -1;
	return ctx->node_idx[node];
}

static bool is_dram(const struct pol_run *r, int32_t node)
{
	int i = node_index(r->ctx, node);

	return i >= 0 && r->in->nodes[i].tier == POLICY_TIER_DRAM;
}

static unsigned int chunk_class(const struct pol_run *r, const struct policy_chunk *c)
{
	return c->klass < r->in->cfg->nr_classes ? c->klass : CONFIG_CLASS_DEFAULT;
}

/* The DRAM node with the most free memory that has @bytes free, or -1. */
static int pick_dram(const struct pol_run *r, uint64_t bytes)
{
	const struct policy_input *in = r->in;
	int best = -1;
	unsigned int i;

	for (i = 0; i < r->nr_nodes; i++) {
		if (in->nodes[i].tier != POLICY_TIER_DRAM || r->ctx->node_free[i] < bytes)
			continue;
		if (best < 0 || r->ctx->node_free[i] > r->ctx->node_free[best])
			best = (int)i;
	}
	return best;
}

/* The node with the most free memory in the first far tier with room. */
static int pick_far(const struct pol_run *r, uint64_t bytes)
{
	const struct policy_input *in = r->in;
	int best = -1;
	unsigned int i;

	for (i = 0; i < r->nr_nodes; i++) {
		const struct policy_node *n = &in->nodes[i];

		if (n->tier == POLICY_TIER_DRAM || r->ctx->node_free[i] < bytes)
			continue;
		if (best < 0 || n->tier < in->nodes[best].tier ||
		    (n->tier == in->nodes[best].tier &&
		     r->ctx->node_free[i] > r->ctx->node_free[best]))
			best = (int)i;
	}
	return best;
}

/* Append a move of chunk @idx to node index @to, and account for it. */
static void emit(struct pol_run *r, uint32_t idx, int to, uint32_t reason)
{
	const struct policy_chunk *c = &r->in->chunks[idx];
	struct policy_ctx *ctx = r->ctx;
	struct policy_plan *plan = r->plan;
	struct policy_move *m = &ctx->moves[plan->nr_moves++];
	int from = node_index(ctx, c->node);
	unsigned int k = chunk_class(r, c);

	m->chunk = idx;
	m->from = c->node;
	m->to = r->in->nodes[to].node;
	m->reason = reason;
	ctx->node_free[to] -= c->bytes;
	if (from >= 0)
		ctx->node_free[from] = sat_add(ctx->node_free[from], c->bytes);
	if (!r->unlimited)
		r->tokens -= c->bytes;
	if (reason == POLICY_PROMOTE || reason == POLICY_PROMOTE_HINT) {
		plan->nr_promote++;
		plan->promote_bytes += c->bytes;
		r->tracked += c->bytes;
		r->class_now[k] += c->bytes;
	} else {
		plan->nr_demote++;
		plan->demote_bytes += c->bytes;
		r->tracked -= c->bytes;
		r->class_now[k] -= c->bytes;
	}
}

/* A node's memory available to the plan: free plus reclaimable, capped. */
static uint64_t node_avail(const struct policy_node *n)
{
	uint64_t a = sat_add(n->free, n->reclaimable);

	return a < n->capacity ? a : n->capacity;
}

/*
 * Steps 1-3: budget, ranking, selection.  Fills ctx->want and
 * ctx->unwanted; returns the number of unwanted chunks in *@nr_unwanted
 * and wanted ones in *@nr_want.
 */
static int select_chunks(struct pol_run *r, size_t *nr_want, size_t *nr_unwanted)
{
	const struct policy_input *in = r->in;
	const struct config *cfg = in->cfg;
	struct policy_ctx *ctx = r->ctx;
	struct policy_plan *plan = r->plan;
	uint64_t used, high, low, budget, avail, class_used[CONFIG_MAX_CLASSES];
	bool shed;
	size_t i, n = 0, w = 0, u = 0;

	/* 1. Budget. */
	used = plan->dram_used;
	high = mul_div(plan->dram_capacity, cfg->high_watermark_bp, CONFIG_BP_ONE);
	low = mul_div(plan->dram_capacity, cfg->low_watermark_bp, CONFIG_BP_ONE);
	shed = used > high;
	plan->untracked_bytes = used > r->tracked ? used - r->tracked : 0;
	/*
	 * Above high_watermark because of untracked memory (tmpfs, another
	 * process): demoting every tracked chunk would not reach low, and
	 * would only take the hot ones off DRAM.  Hold what is there.
	 */
	if (shed && plan->untracked_bytes > low) {
		shed = false;
		plan->shed_skipped = true;
		budget = r->tracked;
	} else if (shed)
		budget = r->tracked > used - low ? r->tracked - (used - low) : 0;
	else if (used < low)
		budget = sat_add(r->tracked, low - used);
	else
		budget = r->tracked;
	plan->dram_budget = budget;

	if (reserve((void **)&ctx->cand_tmp, &ctx->cand_tmp_room, in->nr_chunks,
		    sizeof(*ctx->cand_tmp)) ||
	    reserve((void **)&ctx->cand, &ctx->cand_room, in->nr_chunks, sizeof(*ctx->cand)))
		return -ENOMEM;

	/* 2. Ranking, of the chunks that may move; the others hold their place. */
	avail = budget;
	memset(class_used, 0, sizeof(class_used));
	for (i = 0; i < in->nr_chunks; i++) {
		const struct policy_chunk *c = &in->chunks[i];
		unsigned int k = chunk_class(r, c);
		bool dram, frozen;
		struct pol_cand *p;
		uint32_t res;

		/* Not resident, or on a node the policy does not manage. */
		if (!c->bytes ||
		    (c->node != CXLTIER_NODE_MIXED && node_index(ctx, c->node) < 0))
			continue;
		dram = is_dram(r, c->node);
		frozen = c->flags & POLICY_CHUNK_FIXED;
		/*
		 * A chunk in far memory was demoted (or created there): it may
		 * come back after min_far_residency, so that a demotion the
		 * next reads prove wrong is undone soon; hysteresis and
		 * promote_min_heat still keep it from flapping.  One demoted
		 * for a will-read hint waits min_residency: it was no mistake.
		 */
		res = dram || (c->flags & POLICY_CHUNK_HINT_DEMOTED) ||
		      cfg->min_far_residency_ms > cfg->min_residency_ms ?
		      cfg->min_residency_ms : cfg->min_far_residency_ms;
		if (!frozen && res && c->moved_ms && in->now_ms - c->moved_ms < res &&
		    !(dram && shed))
			frozen = true;
		if (frozen) {
			if (dram) {
				avail = avail > c->bytes ? avail - c->bytes : 0;
				class_used[k] += c->bytes;
			}
			continue;
		}
		p = &ctx->cand[n++];
		p->chunk = (uint32_t)i;
		p->prio = prio_key(cfg->classes[k].priority);
		p->in_dram = dram;
		p->last = c->last_ms;
		p->score = c->heat;
		if (dram)
			p->score = sat_add(c->heat, mul_div(c->heat, cfg->hysteresis_bp,
							    CONFIG_BP_ONE));
	}
	rank_sort(ctx->cand, ctx->cand_tmp, n);

	if (reserve((void **)&ctx->want, &ctx->want_room, n, sizeof(*ctx->want)) ||
	    reserve((void **)&ctx->unwanted, &ctx->unwanted_room, n, sizeof(*ctx->unwanted)))
		return -ENOMEM;

	/* 3. Selection. */
	for (i = 0; i < n; i++) {
		const struct pol_cand *p = &ctx->cand[i];
		const struct policy_chunk *c = &in->chunks[p->chunk];
		unsigned int k = chunk_class(r, c);
		bool fits = c->bytes <= avail && class_used[k] + c->bytes <= r->class_cap[k];

		if (fits && (p->in_dram || c->heat >= cfg->promote_min_heat)) {
			avail -= c->bytes;
			class_used[k] += c->bytes;
			if (!p->in_dram)
				ctx->want[w++] = p->chunk;
		} else if (p->in_dram) {
			ctx->unwanted[u++] = p->chunk;
		}
	}
	*nr_want = w;
	*nr_unwanted = u;
	return 0;
}

/* Does every move of @m[0..@n) fit where it goes, executed in order? */
static bool fits_in_order(const struct pol_run *r, const struct policy_move *m, size_t n,
			  uint64_t *free_b)
{
	const struct policy_input *in = r->in;
	size_t i;
	int k;

	for (k = 0; k < (int)r->nr_nodes; k++)
		free_b[k] = in->nodes[k].free < in->nodes[k].capacity ?
			    in->nodes[k].free : in->nodes[k].capacity;
	for (i = 0; i < n; i++) {
		uint32_t bytes = in->chunks[m[i].chunk].bytes;
		int to = node_index(r->ctx, m[i].to), from = node_index(r->ctx, m[i].from);

		if (to < 0 || free_b[to] < bytes)
			return false;
		free_b[to] -= bytes;
		if (from >= 0)
			free_b[from] += bytes;
	}
	return true;
}

/*
 * Moves [@first, @end) of the plan: the swaps' demotions, in order, then
 * the promotions, in order, when far memory has the room for that (else
 * each promotion must make room for the next swap's demotions, and the
 * order stays).  Executed so, DRAM and every class stay within their
 * limits all along, and the hottest promotions, often neighbours, stay
 * together (the daemon moves a run of neighbouring chunks in one
 * handshake).  The scratch half of ctx->moves holds the new order.
 */
static void demotions_first(struct pol_run *r, size_t first, size_t end)
{
	struct policy_move *m = r->ctx->moves, *tmp = r->ctx->moves + end;
	size_t i, n = first;

	/* The whole plan in the new order, moves before @first included. */
	memcpy(tmp, m, first * sizeof(*m));
	for (i = first; i < end; i++)
		if (m[i].reason != POLICY_PROMOTE)
			tmp[n++] = m[i];
	for (i = first; i < end; i++)
		if (m[i].reason == POLICY_PROMOTE)
			tmp[n++] = m[i];
	if (fits_in_order(r, tmp, end, r->ctx->scratch_free))
		memcpy(&m[first], &tmp[first], (end - first) * sizeof(*m));
}

/* Bytes class @k may still take in DRAM under its dram_share. */
static uint64_t class_room(const struct pol_run *r, unsigned int k)
{
	return r->class_now[k] < r->class_cap[k] ? r->class_cap[k] - r->class_now[k] : 0;
}

/* Step 4: moves within the rate limit.  Unwanted chunks go coldest first. */
static void plan_moves(struct pol_run *r, size_t nr_want, size_t nr_unwanted)
{
	const struct policy_input *in = r->in;
	struct policy_ctx *ctx = r->ctx;
	struct policy_plan *plan = r->plan;
	uint64_t budget = plan->dram_budget;
	size_t i, j, next = nr_unwanted;
	bool out_of_tokens = false, far_full = false;
	size_t first_b;

	/* a. Classes over their share, and DRAM over its budget. */
	for (j = nr_unwanted; j-- > 0;) {
		uint32_t idx = ctx->unwanted[j];
		const struct policy_chunk *c = &in->chunks[idx];
		unsigned int k = chunk_class(r, c);
		uint32_t reason;
		int to;

		if (r->class_now[k] > r->class_cap[k])
			reason = POLICY_DEMOTE_SHARE;
		else if (r->tracked > budget)
			reason = POLICY_DEMOTE_PRESSURE;
		else
			continue;
		if (!r->unlimited && r->tokens < c->bytes) {
			plan->deferred_bytes += c->bytes;
			out_of_tokens = true;
			continue;
		}
		to = pick_far(r, c->bytes);
		if (to < 0) {
			plan->blocked_bytes += c->bytes;
			continue;
		}
		emit(r, idx, to, reason);
		ctx->unwanted[j] = UINT32_MAX;
	}

	/* b. Promotions, hottest first, each with the swaps it needs. */
	first_b = plan->nr_moves;
	for (i = 0; i < nr_want; i++) {
		uint32_t idx = ctx->want[i];
		const struct policy_chunk *c = &in->chunks[idx];
		unsigned int kl = chunk_class(r, c);
		uint64_t room = r->tracked < budget ? budget - r->tracked : 0;
		uint64_t croom = class_room(r, kl);
		uint64_t victims = 0, cvictims = 0;
		size_t k = next;
		int to;

		if (out_of_tokens) {
			plan->deferred_bytes += c->bytes;
			continue;
		}
		/*
		 * Victims: the coldest unwanted DRAM chunks left, until both
		 * DRAM and the chunk's class have room for it (only victims of
		 * its class make room in its share).
		 */
		while ((room + victims < c->bytes || croom + cvictims < c->bytes) && k > 0) {
			k--;
			if (ctx->unwanted[k] == UINT32_MAX)
				continue;
			victims += in->chunks[ctx->unwanted[k]].bytes;
			if (chunk_class(r, &in->chunks[ctx->unwanted[k]]) == kl)
				cvictims += in->chunks[ctx->unwanted[k]].bytes;
		}
		if (room + victims < c->bytes || croom + cvictims < c->bytes ||
		    (victims && far_full)) {
			plan->blocked_bytes += c->bytes;
			continue;
		}
		if (!r->unlimited && r->tokens < sat_add(victims, c->bytes)) {
			plan->deferred_bytes += c->bytes;
			out_of_tokens = true;
			continue;
		}
		while (next > k) {
			uint32_t v = ctx->unwanted[--next];
			int far;

			if (v == UINT32_MAX)
				continue;
			far = pick_far(r, in->chunks[v].bytes);
			if (far < 0) {
				/* Far memory is full: no more swaps. */
				far_full = true;
				next++;
				break;
			}
			emit(r, v, far, POLICY_DEMOTE_SWAP);
			ctx->unwanted[next] = UINT32_MAX;
		}
		room = r->tracked < budget ? budget - r->tracked : 0;
		to = room >= c->bytes && class_room(r, kl) >= c->bytes ?
		     pick_dram(r, c->bytes) : -1;
		if (to < 0) {
			plan->blocked_bytes += c->bytes;
			continue;
		}
		emit(r, idx, to, POLICY_PROMOTE);
	}
	demotions_first(r, first_b, plan->nr_moves);
}

int policy_plan(struct policy_ctx *ctx, const struct policy_input *in,
		const struct policy_state *prev, struct policy_plan *plan)
{
	const struct config *cfg;
	struct pol_run *r;
	uint64_t largest = 0, per_interval;
	size_t i, nr_want = 0, nr_unwanted = 0;
	unsigned int k;
	int rc;

	if (!plan)
		return -EINVAL;
	memset(plan, 0, sizeof(*plan));
	if (!ctx || !in || !prev || !in->cfg || !in->now_ms ||
	    (in->nr_nodes && !in->nodes) || (in->nr_chunks && !in->chunks))
		return -EINVAL;
	if (in->nr_chunks > UINT32_MAX)
		return -E2BIG;
	cfg = in->cfg;
	if (!cfg->nr_classes || cfg->nr_classes > CONFIG_MAX_CLASSES)
		return -EINVAL;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ctx = ctx;
	r->in = in;
	r->plan = plan;

	/*
	 * Nodes: a node id out of range or listed again is not used (no
	 * free memory, no capacity).
	 */
	memset(ctx->node_idx, 0xff, sizeof(ctx->node_idx));
	r->nr_nodes = in->nr_nodes < CONFIG_MAX_NODES ? in->nr_nodes : CONFIG_MAX_NODES;
	for (k = 0; k < r->nr_nodes; k++) {
		const struct policy_node *n = &in->nodes[k];
		uint64_t free_b = node_avail(n);

		ctx->node_free[k] = 0;
		if (n->node < 0 || n->node >= CONFIG_MAX_NODES || ctx->node_idx[n->node] >= 0)
			continue;
		ctx->node_free[k] = free_b;
		ctx->node_idx[n->node] = (int16_t)k;
		if (n->tier == POLICY_TIER_DRAM) {
			plan->dram_capacity = sat_add(plan->dram_capacity, n->capacity);
			plan->dram_used = sat_add(plan->dram_used, n->capacity - free_b);
		}
	}
	for (k = 0; k < cfg->nr_classes; k++)
		r->class_cap[k] = mul_div(plan->dram_capacity,
					  cfg->classes[k].dram_share_bp, CONFIG_BP_ONE);

	/* What is in DRAM now. */
	for (i = 0; i < in->nr_chunks; i++) {
		const struct policy_chunk *c = &in->chunks[i];

		if (c->bytes > largest && node_index(ctx, c->node) >= 0)
			largest = c->bytes;
		if (c->bytes && is_dram(r, c->node)) {
			r->tracked += c->bytes;
			r->class_now[chunk_class(r, c)] += c->bytes;
		}
	}
	plan->dram_tracked = r->tracked;

	/* The rate limit's token bucket. */
	if (!cfg->rate_limit_Bps) {
		r->unlimited = true;
	} else {
		uint64_t cap;

		per_interval = mul_div(cfg->rate_limit_Bps, cfg->interval_ms, 1000);
		cap = per_interval > 2 * largest ? per_interval : 2 * largest;
		/* With nothing spent, a fresh plan gets one interval's worth. */
		if (!prev->last_ms || in->now_ms < prev->last_ms)
			r->tokens = per_interval;
		else
			r->tokens = sat_add(prev->tokens,
					    mul_div(cfg->rate_limit_Bps,
						    in->now_ms - prev->last_ms, 1000));
		if (r->tokens > cap)
			r->tokens = cap;
	}

	rc = select_chunks(r, &nr_want, &nr_unwanted);
	if (!rc)
		rc = reserve((void **)&ctx->moves, &ctx->moves_room,
			     nr_want + nr_unwanted ? 2 * (nr_want + nr_unwanted) : 1,
			     sizeof(*ctx->moves));
	if (rc) {
		memset(plan, 0, sizeof(*plan));
		free(r);
		return rc;
	}
	plan->moves = ctx->moves;
	plan_moves(r, nr_want, nr_unwanted);

	plan->state.last_ms = in->now_ms;
	plan->state.tokens = r->unlimited ? 0 : r->tokens;
	free(r);
	return 0;
}

/* @a ranks below @b (a colder victim): priority, heat, last access. */
static bool colder(const struct pol_cand *a, const struct pol_cand *b)
{
	if (a->prio != b->prio)
		return a->prio < b->prio;
	if (a->score != b->score)
		return a->score < b->score;
	if (a->last != b->last)
		return a->last < b->last;
	return a->chunk > b->chunk;
}

/* Max-heap on "warmth" of the @n coldest victims kept so far. */
static void victim_push(struct pol_cand *h, size_t *n, size_t k, const struct pol_cand *c)
{
	size_t i;

	if (*n == k) {
		if (!colder(c, &h[0]))
			return;
		/* Replace the warmest and sift down. */
		i = 0;
		h[0] = *c;
		for (;;) {
			size_t l = 2 * i + 1, r = l + 1, m = i;
			struct pol_cand t;

			if (l < *n && colder(&h[m], &h[l]))
				m = l;
			if (r < *n && colder(&h[m], &h[r]))
				m = r;
			if (m == i)
				return;
			t = h[i];
			h[i] = h[m];
			h[m] = t;
			i = m;
		}
	}
	i = (*n)++;
	h[i] = *c;
	while (i && colder(&h[(i - 1) / 2], &h[i])) {
		struct pol_cand t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static int cand_colder_first(const void *a, const void *b)
{
	const struct pol_cand *x = a, *y = b;

	return colder(x, y) ? -1 : colder(y, x) ? 1 : 0;
}

int policy_hint_plan(struct policy_ctx *ctx, const struct policy_input *in,
		     const struct policy_hints *h, struct policy_plan *plan)
{
	struct pol_run r = { 0 };
	size_t i, nv = 0, need = 0, next = 0, nr_done_dram = 0;
	uint64_t budget;
	uint32_t gen;
	int rc;

	if (!plan)
		return -EINVAL;
	memset(plan, 0, sizeof(*plan));
	if (!ctx || !in || !h || !in->cfg || (in->nr_nodes && !in->nodes) ||
	    (in->nr_chunks && !in->chunks) || (h->nr_will_read && !h->will_read) ||
	    (h->nr_done && !h->done))
		return -EINVAL;
	if (in->nr_chunks > UINT32_MAX)
		return -E2BIG;
	for (i = 0; i < h->nr_will_read; i++)
		if (h->will_read[i] >= in->nr_chunks)
			return -EINVAL;
	for (i = 0; i < h->nr_done; i++)
		if (h->done[i] >= in->nr_chunks)
			return -EINVAL;
	r.ctx = ctx;
	r.in = in;
	r.plan = plan;
	r.unlimited = true;
	memset(ctx->node_idx, 0xff, sizeof(ctx->node_idx));
	r.nr_nodes = in->nr_nodes < CONFIG_MAX_NODES ? in->nr_nodes : CONFIG_MAX_NODES;
	for (i = 0; i < r.nr_nodes; i++) {
		const struct policy_node *n = &in->nodes[i];

		ctx->node_free[i] = 0;
		if (n->node < 0 || n->node >= CONFIG_MAX_NODES || ctx->node_idx[n->node] >= 0)
			continue;
		ctx->node_free[i] = node_avail(n);
		ctx->node_idx[n->node] = (int16_t)i;
	}
	if (reserve((void **)&ctx->mark, &ctx->mark_room, in->nr_chunks ? in->nr_chunks : 1,
		    sizeof(*ctx->mark)))
		return -ENOMEM;
	/* A new batch number; on wrap-around, clear the marks. */
	if (!++ctx->gen) {
		memset(ctx->mark, 0, ctx->mark_room * sizeof(*ctx->mark));
		ctx->gen = 1;
	}
	gen = ctx->gen;
	/* Will-read chunks: marked (never victims); those in far memory counted. */
	for (i = 0; i < h->nr_will_read; i++) {
		uint32_t c = h->will_read[i];

		if (ctx->mark[c] == gen)
			continue;
		ctx->mark[c] = gen;
		if (in->chunks[c].bytes && !is_dram(&r, in->chunks[c].node) &&
		    (in->chunks[c].node == CXLTIER_NODE_MIXED ||
		     node_index(ctx, in->chunks[c].node) >= 0))
			need++;
	}
	/* Victims: done chunks in DRAM first (marked gen + 1 would clash: listed apart). */
	rc = reserve((void **)&ctx->cand, &ctx->cand_room, need + h->nr_done + 1,
		     sizeof(*ctx->cand));
	if (!rc)
		rc = reserve((void **)&ctx->moves, &ctx->moves_room, 2 * need + 1,
			     sizeof(*ctx->moves));
	if (rc)
		return -ENOMEM;
	plan->moves = ctx->moves;
	if (!need)
		return 0;
	for (i = 0; i < h->nr_done; i++) {
		uint32_t c = h->done[i];
		const struct policy_chunk *pc = &in->chunks[c];

		if (ctx->mark[c] == gen || !pc->bytes || !is_dram(&r, pc->node) ||
		    (pc->flags & POLICY_CHUNK_FIXED))
			continue;
		ctx->mark[c] = gen;	/* listed once */
		ctx->cand[nr_done_dram].chunk = c;
		ctx->cand[nr_done_dram].score = 0;
		ctx->cand[nr_done_dram].last = 0;
		ctx->cand[nr_done_dram].prio = 0;
		ctx->cand[nr_done_dram].in_dram = 1;
		nr_done_dram++;
	}
	/* Then the coldest other DRAM chunks, as many as still needed. */
	if (nr_done_dram < need) {
		struct pol_cand *heap = ctx->cand + nr_done_dram;
		size_t k = need - nr_done_dram;

		for (i = 0; i < in->nr_chunks; i++) {
			const struct policy_chunk *pc = &in->chunks[i];
			struct pol_cand c;

			if (ctx->mark[i] == gen || !pc->bytes || !is_dram(&r, pc->node) ||
			    (pc->flags & POLICY_CHUNK_FIXED))
				continue;
			c.chunk = (uint32_t)i;
			c.score = pc->heat;
			c.last = pc->last_ms;
			c.prio = prio_key(in->cfg->classes[chunk_class(&r, pc)].priority);
			c.in_dram = 1;
			victim_push(heap, &nv, k, &c);
		}
		qsort(heap, nv, sizeof(*heap), cand_colder_first);
	}
	nv += nr_done_dram;

	/* Promotions in read order, each with a victim when DRAM has no room. */
	budget = h->budget;
	for (i = 0; i < h->nr_will_read; i++) {
		uint32_t c = h->will_read[i];
		const struct policy_chunk *pc = &in->chunks[c];
		int to, far;

		if (!pc->bytes || is_dram(&r, pc->node) ||
		    (pc->node != CXLTIER_NODE_MIXED && node_index(ctx, pc->node) < 0) ||
		    (pc->flags & POLICY_CHUNK_FIXED))
			continue;
		/* Listed twice: promoted already. */
		if (ctx->mark[c] != gen)
			continue;
		ctx->mark[c] = gen - 1;
		if (budget < pc->bytes) {
			plan->deferred_bytes += pc->bytes;
			budget = 0;
			continue;
		}
		to = pick_dram(&r, pc->bytes);
		if (to < 0) {
			/* One victim of at least its size. */
			while (next < nv && in->chunks[ctx->cand[next].chunk].bytes < pc->bytes)
				next++;
			if (next == nv) {
				plan->blocked_bytes += pc->bytes;
				continue;
			}
			far = pick_far(&r, in->chunks[ctx->cand[next].chunk].bytes);
			if (far < 0) {
				plan->blocked_bytes += pc->bytes;
				continue;
			}
			emit(&r, ctx->cand[next++].chunk, far, POLICY_DEMOTE_HINT);
			to = pick_dram(&r, pc->bytes);
			if (to < 0) {
				plan->blocked_bytes += pc->bytes;
				continue;
			}
		}
		emit(&r, c, to, POLICY_PROMOTE_HINT);
		budget -= pc->bytes;
	}
	return 0;
}

/**
 * struct policy_adapt - shadow heats and their scores
 * @n: shadows
 * @set: their settings
 * @factor: per-epoch decay factor of each, Q32
 * @window_ms: scores halve after this much decision time
 * @nr: chunks tracked
 * @room: chunks allocated
 * @heat: heat of chunk c in shadow k at [c * n + k]
 * @reads: reads of each chunk in the current epoch
 * @wrote: the chunk was created in the current epoch
 * @last: per chunk, the number of the last epoch with an access (0: none)
 * @epochs: epochs ended so far
 * @thr: each shadow's threshold heat, from the last decision
 * @thr_last: of the chunks at @thr, the last access of the last that fits
 *	(the policy breaks ties by last access)
 * @tie: the share of the chunks at (@thr, @thr_last) that fit in DRAM,
 *	CXLTIER_HEAT_ONE for all: a read of one is that much of a hit
 * @all_fit: every chunk fitted in DRAM at the last decision
 * @score: decayed hits, CXLTIER_HEAT_ONE per hit
 * @hits: hits since the last decision, CXLTIER_HEAT_ONE per hit
 * @last_ms: time of the last decision (0: none)
 * @cur: the shadow followed
 * @scratch: heats of one shadow, for the selection
 */
/*
 * Shadow heat: 32 fractional bits (CXLTIER_HEAT_SHIFT + 16), so that a
 * single access stays above zero for at least 16 half-lives at every
 * half-life up to 1 h at 1 s epochs (the module's 16 bits: under 5 at
 * 1 h, rounding down every epoch); at most 2^32 accesses (saturating).
 * Handed to the policy in CXLTIER_HEAT_ONE units, rounded up: a chunk
 * with any heat left keeps some.
 */
#define ADAPT_SHIFT	32
#define ADAPT_DOWN	(ADAPT_SHIFT - CXLTIER_HEAT_SHIFT)

struct policy_adapt {
	unsigned int n;
	struct policy_adapt_setting set[POLICY_ADAPT_MAX];
	uint64_t factor[POLICY_ADAPT_MAX];
	uint32_t window_ms;
	size_t nr, room;
	uint64_t *heat;
	uint32_t *reads;
	uint8_t *wrote;
	uint32_t *last;
	uint32_t epochs;
	uint64_t thr[POLICY_ADAPT_MAX];
	uint64_t thr_last[POLICY_ADAPT_MAX];
	uint64_t tie[POLICY_ADAPT_MAX];
	bool all_fit;
	uint64_t score[POLICY_ADAPT_MAX];
	uint64_t hits[POLICY_ADAPT_MAX];
	uint64_t last_ms;
	unsigned int cur;
	uint64_t *scratch;
};

struct policy_adapt *policy_adapt_new(const struct policy_adapt_setting *set,
				      unsigned int n, uint32_t epoch_ms, uint32_t window_ms)
{
	struct policy_adapt *a;
	unsigned int k;

	if (!set || !n || n > POLICY_ADAPT_MAX || !epoch_ms || !window_ms)
		return NULL;
	for (k = 0; k < n; k++)
		if (set[k].write_weight_pm > 16000 || set[k].recency > 1)
			return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->n = n;
	a->window_ms = window_ms;
	a->all_fit = true;
	for (k = 0; k < n; k++) {
		a->set[k] = set[k];
		a->factor[k] = cxltier_heat_factor(epoch_ms, set[k].half_life_ms);
	}
	return a;
}

void policy_adapt_free(struct policy_adapt *a)
{
	if (!a)
		return;
	free(a->heat);
	free(a->reads);
	free(a->wrote);
	free(a->last);
	free(a->scratch);
	free(a);
}

int policy_adapt_setup(struct policy_adapt **a, struct policy_adapt_made *made,
		       const struct config *cfg, bool writes)
{
	struct policy_adapt_setting set[POLICY_ADAPT_MAX];
	unsigned int k, n = 0, nr = cfg->nr_adaptive;

	if (cfg->adaptive && nr && nr <= POLICY_ADAPT_MAX && nr <= CONFIG_MAX_ADAPT &&
	    *a && made->nr == nr && made->writes == writes &&
	    made->epoch_ms == cfg->epoch_ms && made->window_ms == cfg->adaptive_window_ms &&
	    !memcmp(made->set, cfg->adaptive_set, nr * sizeof(*made->set)))
		return 0;
	policy_adapt_free(*a);
	*a = NULL;
	memset(made, 0, sizeof(*made));
	if (!cfg->adaptive || !nr || nr > POLICY_ADAPT_MAX || nr > CONFIG_MAX_ADAPT)
		return 0;
	for (k = 0; k < nr; k++) {
		if (cfg->adaptive_set[k].recency && !writes)
			continue;
		set[n].half_life_ms = cfg->adaptive_set[k].half_life_ms;
		set[n].write_weight_pm = cfg->adaptive_set[k].write_weight_pm;
		set[n].recency = cfg->adaptive_set[k].recency;
		made->map[n++] = k;
	}
	if (!n)
		return 0;
	*a = policy_adapt_new(set, n, cfg->epoch_ms, cfg->adaptive_window_ms);
	if (!*a)
		return -ENOMEM;
	memcpy(made->set, cfg->adaptive_set, nr * sizeof(*made->set));
	made->nr = nr;
	made->epoch_ms = cfg->epoch_ms;
	made->window_ms = cfg->adaptive_window_ms;
	made->writes = writes;
	return 1;
}

int policy_adapt_resize(struct policy_adapt *a, size_t nr)
{
	size_t room;

	if (nr > a->room) {
		room = a->room ? a->room : 1024;
		while (room < nr)
			room *= 2;
		if (room > SIZE_MAX / (sizeof(uint64_t) * POLICY_ADAPT_MAX))
			return -ENOMEM;
		{
			uint64_t *h = realloc(a->heat, room * a->n * sizeof(*h));

			if (!h)
				return -ENOMEM;
			a->heat = h;
		}
		{
			uint32_t *r = realloc(a->reads, room * sizeof(*r));

			if (!r)
				return -ENOMEM;
			a->reads = r;
		}
		{
			uint8_t *w = realloc(a->wrote, room);

			if (!w)
				return -ENOMEM;
			a->wrote = w;
		}
		{
			uint32_t *l = realloc(a->last, room * sizeof(*l));

			if (!l)
				return -ENOMEM;
			a->last = l;
		}
		{
			/* Twice: the tied chunks' last accesses, and a copy. */
			uint64_t *t = realloc(a->scratch, 2 * room * sizeof(*t));

			if (!t)
				return -ENOMEM;
			a->scratch = t;
		}
		a->room = room;
	}
	if (nr > a->nr) {
		memset(a->heat + a->nr * a->n, 0, (nr - a->nr) * a->n * sizeof(*a->heat));
		memset(a->reads + a->nr, 0, (nr - a->nr) * sizeof(*a->reads));
		memset(a->wrote + a->nr, 0, nr - a->nr);
		memset(a->last + a->nr, 0, (nr - a->nr) * sizeof(*a->last));
	}
	a->nr = nr;
	return 0;
}

void policy_adapt_read(struct policy_adapt *a, size_t chunk, uint32_t reads)
{
	const uint64_t *h;
	unsigned int k;

	if (chunk >= a->nr || !reads)
		return;
	h = a->heat + chunk * a->n;
	/*
	 * A hit if the shadow ranked the chunk within DRAM; of the chunks
	 * tied at its threshold only a share fit, so each is that share of a
	 * hit (a shadow that ties everything is not credited with all).
	 */
	for (k = 0; k < a->n; k++) {
		uint64_t add = 0;

		if (a->all_fit || h[k] > a->thr[k] ||
		    (h[k] == a->thr[k] && a->thr[k] && a->last[chunk] > a->thr_last[k]))
			add = (uint64_t)reads << CXLTIER_HEAT_SHIFT;
		else if (h[k] == a->thr[k] && a->thr[k] && a->last[chunk] == a->thr_last[k])
			add = (uint64_t)reads * a->tie[k];
		a->hits[k] = a->hits[k] > UINT64_MAX - add ? UINT64_MAX : a->hits[k] + add;
	}
	a->reads[chunk] = a->reads[chunk] > UINT32_MAX - reads ? UINT32_MAX : a->reads[chunk] + reads;
}

void policy_adapt_forget(struct policy_adapt *a, size_t chunk)
{
	if (chunk >= a->nr)
		return;
	memset(a->heat + chunk * a->n, 0, a->n * sizeof(*a->heat));
	a->reads[chunk] = 0;
	a->wrote[chunk] = 0;
	a->last[chunk] = 0;
}

void policy_adapt_write(struct policy_adapt *a, size_t chunk)
{
	if (chunk < a->nr)
		a->wrote[chunk] = 1;
}

void policy_adapt_epoch(struct policy_adapt *a)
{
	size_t c;
	unsigned int k;

	a->epochs++;
	for (c = 0; c < a->nr; c++) {
		uint64_t *h = a->heat + c * a->n;
		uint32_t r = a->reads[c];
		bool w = a->wrote[c];

		if (r || w)
			a->last[c] = a->epochs;

		for (k = 0; k < a->n; k++) {
			uint64_t add, x;

			if (!h[k] && !r && !w)
				continue;
			/* A recency shadow: the last epoch's access, not the sum. */
			if (a->set[k].recency) {
				add = r ? 1ULL << ADAPT_SHIFT : 0;
				if (w)
					add += ((1ULL << ADAPT_SHIFT) / 1000) *
					       a->set[k].write_weight_pm;
				h[k] = add ? add : cxltier_heat_decay(h[k], a->factor[k]);
				continue;
			}
			add = (uint64_t)r << ADAPT_SHIFT;
			if (w)
				add += ((1ULL << ADAPT_SHIFT) / 1000) * a->set[k].write_weight_pm;
			x = cxltier_heat_decay(h[k], a->factor[k]);
			h[k] = x > UINT64_MAX - add ? UINT64_MAX : x + add;
		}
		a->reads[c] = 0;
		a->wrote[c] = 0;
	}
}

/* The @rank-th largest (0 = largest) of @v[0..@n): a radix select, O(n). */
static uint64_t select_rank(uint64_t *v, size_t n, size_t rank)
{
	uint64_t prefix = 0, mask = 0;
	int d;

	/* Byte by byte from the top: keep the values matching the prefix. */
	for (d = 7; d >= 0; d--) {
		size_t count[256] = { 0 }, i, m = 0;
		unsigned int b;

		for (i = 0; i < n; i++)
			count[(v[i] >> (8 * d)) & 0xff]++;
		for (b = 256; b-- > 0;) {
			if (rank < count[b])
				break;
			rank -= count[b];
		}
		prefix |= (uint64_t)b << (8 * d);
		mask |= 0xffULL << (8 * d);
		for (i = 0; i < n; i++)
			if ((v[i] & mask) == prefix)
				v[m++] = v[i];
		n = m;
	}
	return prefix;
}

/*
 * Shadow @k's threshold for @capacity chunks (< a->nr): the heat of the
 * capacity-th hottest chunk, and among the chunks at that heat, ranked
 * by last access as the policy ranks them, the last access of the last
 * one that fits and the share of the chunks at both that fit.
 */
static void adapt_threshold(struct policy_adapt *a, unsigned int k, size_t capacity)
{
	size_t above = 0, at = 0, later = 0, same = 0, c;
	uint64_t thr;

	a->thr[k] = UINT64_MAX;
	a->thr_last[k] = 0;
	a->tie[k] = 0;
	if (!capacity)
		return;
	for (c = 0; c < a->nr; c++)
		a->scratch[c] = a->heat[c * a->n + k];
	thr = a->thr[k] = select_rank(a->scratch, a->nr, capacity - 1);
	/* The last accesses of the chunks at the threshold, twice. */
	for (c = 0; c < a->nr; c++) {
		uint64_t h = a->heat[c * a->n + k];

		if (h > thr) {
			above++;
		} else if (h == thr) {
			a->scratch[at] = a->scratch[a->room + at] = a->last[c];
			at++;
		}
	}
	/* capacity - above of the @at chunks at the threshold fit. */
	a->thr_last[k] = select_rank(a->scratch, at, capacity - above - 1);
	for (c = 0; c < at; c++) {
		later += a->scratch[a->room + c] > a->thr_last[k];
		same += a->scratch[a->room + c] == a->thr_last[k];
	}
	a->tie[k] = same ? (uint64_t)((unsigned __int128)(capacity - above - later) *
				      CXLTIER_HEAT_ONE / same) : 0;
	if (a->tie[k] > CXLTIER_HEAT_ONE)
		a->tie[k] = CXLTIER_HEAT_ONE;
}

unsigned int policy_adapt_decide(struct policy_adapt *a, uint64_t now_ms, size_t capacity,
				 struct policy_chunk *chunks, size_t n)
{
	unsigned int k, best;
	size_t c;

	if (n > a->nr)
		n = a->nr;
	/* Scores: decay by the time since the last decision, add the hits. */
	for (k = 0; k < a->n; k++) {
		uint64_t f = CXLTIER_HEAT_FACTOR_ONE;

		if (a->last_ms && now_ms > a->last_ms) {
			uint64_t dt = now_ms - a->last_ms;

			f = cxltier_heat_factor(dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt,
						a->window_ms);
		}
		uint64_t sc = f == CXLTIER_HEAT_FACTOR_ONE ? a->score[k] :
			      cxltier_heat_decay(a->score[k], f);

		a->score[k] = sc > UINT64_MAX - a->hits[k] ? UINT64_MAX : sc + a->hits[k];
		a->hits[k] = 0;
	}
	a->last_ms = now_ms;
	/* The winner, if it beats the one followed by 1%. */
	best = a->cur;
	for (k = 0; k < a->n; k++)
		if (a->score[k] > a->score[best])
			best = k;
	if (best != a->cur && a->score[best] - a->score[best] / 100 > a->score[a->cur])
		a->cur = best;
	/* Thresholds for the next interval. */
	a->all_fit = capacity >= a->nr;
	for (k = 0; k < a->n && !a->all_fit; k++)
		adapt_threshold(a, k, capacity);
	for (c = 0; c < n; c++)
		chunks[c].heat = policy_adapt_chunk_heat(a, c);
	return a->cur;
}

uint64_t policy_adapt_chunk_heat(const struct policy_adapt *a, size_t chunk)
{
	uint64_t h;

	if (chunk >= a->nr)
		return 0;
	h = a->heat[chunk * a->n + a->cur];
	return (h >> ADAPT_DOWN) + !!(h & ((1ULL << ADAPT_DOWN) - 1));
}

uint64_t policy_adapt_score(const struct policy_adapt *a, unsigned int k)
{
	return k < a->n ? a->score[k] : 0;
}

uint64_t policy_adapt_heat(const struct policy_adapt *a, size_t chunk, unsigned int k)
{
	return chunk < a->nr && k < a->n ? a->heat[chunk * a->n + k] : 0;
}
