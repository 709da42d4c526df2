// SPDX-License-Identifier: GPL-2.0
/*
 * plan: the daemon's adapter around policy.c.  See plan.h.
 *
 *   node table  --[tiers] dram/far-->  policy_node[] (tier 0 = DRAM,
 *                                      far tiers 1, 2, ... in the
 *                                      module's order)
 *   snapshot    --every chunk------->  policy_chunk[] (heat, node,
 *                                      class, when it last moved)
 *   policy_plan()  -->  policy_move[] (one chunk each)
 *                  -->  plan_move[] (runs of adjacent chunks of a
 *                                      range going the same way merged)
 *
 * The policy is pure and remembers nothing but its rate-limit state; the
 * adapter remembers when each chunk last moved (for min_residency),
 * per range id, forgetting ranges that are gone, and keeps the shadows
 * of the adaptive heat (see plan.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "policy.h"

/**
 * struct plan_mem - when the chunks of one range last moved
 * @id: range id
 * @nr_chunks: entries in @moved_ms
 * @moved_ms: per chunk, on the daemon's monotonic clock; 0 = never
 * @seen: present in the latest snapshot
 */
struct plan_mem {
	uint32_t id;
	uint32_t nr_chunks;
	uint64_t *moved_ms;
	bool seen;
};

/**
 * struct plan_ctx - what the adapter keeps between decisions
 * @pctx: the policy's scratch memory
 * @state: the policy's state from the last decision
 * @mem: per-range move times
 * @nr_mem: entries in @mem
 * @nodes: scratch: the policy's nodes
 * @chunks: scratch: the policy's chunks
 * @chunks_room: allocated entries of @chunks
 * @first: scratch: index in @chunks of each range's first chunk
 * @first_room: allocated entries of @first
 * @last: figures of the last plan, for the log
 * @adapt: the shadows of the adaptive heat, NULL when off
 * @made: what @adapt was made from
 * @adapt_seen: the last heat epoch taken in, 0 = none since a (re)start
 * @lay_id: the layout the shadows index: each range's id ...
 * @lay_n: ... and chunk count
 * @nr_lay: ranges in the layout
 * @lay_room: allocated entries of @lay_id and @lay_n
 * @is_dram: per node id, a DRAM node of the current decision
 */
struct plan_ctx {
	struct policy_ctx *pctx;
	struct policy_state state;
	struct plan_mem *mem;
	size_t nr_mem;
	struct policy_node nodes[CONFIG_MAX_NODES];
	struct policy_chunk *chunks;
	size_t chunks_room;
	size_t *first;
	size_t first_room;
	uint16_t *klass;
	size_t nr_klass;
	struct plan_summary last;
	struct policy_adapt *adapt;
	struct policy_adapt_made made;
	uint64_t adapt_seen;
	uint32_t *lay_id;
	uint32_t *lay_n;
	size_t nr_lay;
	size_t lay_room;
	bool is_dram[CONFIG_MAX_NODES];
};

int plan_new(struct plan_ctx **pp)
{
	struct plan_ctx *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->pctx = policy_ctx_new();
	if (!p->pctx) {
		free(p);
		return -ENOMEM;
	}
	p->last.adaptive = -1;
	*pp = p;
	return 0;
}

static void forget_all(struct plan_ctx *p)
{
	size_t i;

	for (i = 0; i < p->nr_mem; i++)
		free(p->mem[i].moved_ms);
	free(p->mem);
	p->mem = NULL;
	p->nr_mem = 0;
}

void plan_free(struct plan_ctx *p)
{
	if (!p)
		return;
	forget_all(p);
	policy_ctx_free(p->pctx);
	free(p->chunks);
	free(p->first);
	free(p->klass);
	policy_adapt_free(p->adapt);
	free(p->lay_id);
	free(p->lay_n);
	free(p);
}

void plan_reset(struct plan_ctx *p)
{
	memset(&p->state, 0, sizeof(p->state));
}

struct policy_state *plan_rate_state(struct plan_ctx *p)
{
	return &p->state;
}

/* The shadows forget every chunk: cold, and indexed afresh. */
static int adapt_restart(struct plan_ctx *p, size_t total)
{
	p->adapt_seen = 0;
	p->last.adaptive_resets++;
	if (policy_adapt_resize(p->adapt, 0))
		return -ENOMEM;
	return policy_adapt_resize(p->adapt, total);
}

/*
 * The shadows for @cfg, made anew when its settings changed: the sum
 * shadows only, since the agent does not see a buffer's creating writes
 * (policy_adapt_setup()).
 */
static int adapt_setup(struct plan_ctx *p, const struct config *cfg)
{
	int ret = policy_adapt_setup(&p->adapt, &p->made, cfg, false);

	if (ret <= 0)
		return ret;
	p->adapt_seen = 0;
	p->nr_lay = 0;
	p->last.adaptive_resets++;
	return 0;
}

/* Has the snapshot the layout the shadows index?  If not, make it so. */
static int adapt_layout(struct plan_ctx *p, const struct obs_snapshot *snap, size_t total)
{
	bool same = p->nr_lay == snap->nr_ranges;
	size_t i;
	void *tmp;

	for (i = 0; same && i < snap->nr_ranges; i++)
		same = p->lay_id[i] == snap->ranges[i].info.id &&
		       p->lay_n[i] == snap->ranges[i].info.nr_chunks;
	if (same)
		return 0;
	if (snap->nr_ranges > p->lay_room) {
		tmp = realloc(p->lay_id, snap->nr_ranges * sizeof(*p->lay_id));
		if (!tmp)
			return -ENOMEM;
		p->lay_id = tmp;
		tmp = realloc(p->lay_n, snap->nr_ranges * sizeof(*p->lay_n));
		if (!tmp)
			return -ENOMEM;
		p->lay_n = tmp;
		p->lay_room = snap->nr_ranges;
	}
	p->nr_lay = 0;
	if (adapt_restart(p, total))
		return -ENOMEM;
	for (i = 0; i < snap->nr_ranges; i++) {
		p->lay_id[i] = snap->ranges[i].info.id;
		p->lay_n[i] = snap->ranges[i].info.nr_chunks;
	}
	p->nr_lay = snap->nr_ranges;
	return 0;
}

/* Take in the reads of heat epoch @e (the snapshot's own when @e is it). */
static void adapt_fold(struct plan_ctx *p, const struct obs_snapshot *snap, uint64_t e)
{
	size_t i, g = 0;
	uint32_t c;

	for (i = 0; i < snap->nr_ranges; i++) {
		const struct obs_range *r = &snap->ranges[i];

		for (c = 0; c < r->info.nr_chunks; c++, g++) {
			const struct cxltier_chunk_heat *h = &r->chunks[c];
			uint32_t reads;

			if (e == snap->epoch)
				reads = h->dev_count == UINT32_MAX ? UINT32_MAX :
					h->dev_count + !!h->cpu_young;
			else
				reads = h->last_epoch == e;
			if (reads)
				policy_adapt_read(p->adapt, g, reads);
		}
	}
	policy_adapt_epoch(p->adapt);
}

/*
 * The shadows, fed with the epochs since the last decision, then the
 * winner's heat into p->chunks.  See plan.h.
 */
static int adapt_step(struct plan_ctx *p, const struct config *cfg,
		      const struct obs_snapshot *snap, size_t total, uint64_t now_ms)
{
	uint64_t e, from, cap = 0;
	unsigned int k;
	int prev = p->last.adaptive;
	size_t i;
	int ret;

	p->last.adaptive_switched = false;
	/* No range, no epoch number (it comes with the heat): nothing to rank. */
	if (!snap->nr_ranges && cfg->adaptive)
		return 0;
	p->last.adaptive = -1;
	ret = adapt_setup(p, cfg);
	if (ret || !p->adapt)
		goto out;
	ret = adapt_layout(p, snap, total);
	if (ret)
		goto out;
	if (p->adapt_seen && (snap->epoch < p->adapt_seen ||
			      snap->epoch - p->adapt_seen > PLAN_ADAPT_MAX_GAP)) {
		ret = adapt_restart(p, total);
		if (ret)
			goto out;
	}
	if (snap->epoch && snap->epoch != p->adapt_seen) {
		from = p->adapt_seen ? p->adapt_seen + 1 : snap->epoch;
		for (e = from; e <= snap->epoch; e++)
			adapt_fold(p, snap, e);
		p->adapt_seen = snap->epoch;
	}
	if (!p->adapt_seen)
		goto out;
	for (i = 0; i < total; i++)
		cap += p->chunks[i].bytes && p->chunks[i].node >= 0 &&
		       p->chunks[i].node < CONFIG_MAX_NODES && p->is_dram[p->chunks[i].node];
	k = p->made.map[policy_adapt_decide(p->adapt, now_ms, cap, p->chunks, total)];
	p->last.adaptive = (int)k;
	p->last.adaptive_half_life_ms = p->made.set[k].half_life_ms;
	p->last.adaptive_write_weight_pm = p->made.set[k].write_weight_pm;
	p->last.adaptive_recency = p->made.set[k].recency;
out:
	p->last.adaptive_switched = p->last.adaptive != prev;
	return ret;
}

const struct plan_summary *plan_last(const struct plan_ctx *p)
{
	return &p->last;
}

const uint16_t *plan_classes(const struct plan_ctx *p, size_t nr_ranges)
{
	return p->nr_klass == nr_ranges ? p->klass : NULL;
}

int plan_node_tier(const struct plan_nodes *nodes, int node)
{
	uint32_t i;

	for (i = 0; nodes && i < nodes->nr; i++)
		if ((int)nodes->info[i].node == node)
			return (int)nodes->info[i].tier;
	return -1;
}

enum move_dir plan_direction(const struct plan_nodes *nodes, int from, int to)
{
	int tf = plan_node_tier(nodes, from), tt = plan_node_tier(nodes, to);

	if (tf < 0 || tt < 0 || tf == tt)
		return MOVE_LATERAL;
	return tt < tf ? MOVE_PROMOTE : MOVE_DEMOTE;
}

/* Is node @n (kind @kind) in the set @set ("auto": kind @want...)? */
static bool in_set(const struct config_nodes *set, const struct cxltier_node_info *n,
		   bool dram)
{
	if (!set->is_auto)
		return config_nodes_test(set, n->node);
	if (dram)
		return n->kind == CXLTIER_KIND_DRAM;
	return n->kind == CXLTIER_KIND_FAR || n->kind == CXLTIER_KIND_CXL ||
	       n->kind == CXLTIER_KIND_PMEM;
}

/*
 * The policy's nodes: [tiers] dram as tier 0, [tiers] far as tiers 1, 2,
 * ... in the order of the module's tiers.  A far node whose memory is
 * all ZONE_MOVABLE is left out: a long-term pin would not stay there.
 * Returns how many.
 */
static unsigned int make_nodes(struct plan_ctx *p, const struct config *cfg,
			       const struct plan_nodes *pn)
{
	unsigned int n = 0, i, k, rank;
	const struct cxltier_node_info *ni;

	for (i = 0; i < pn->nr && n < CONFIG_MAX_NODES; i++) {
		ni = &pn->info[i];
		if (!ni->capacity_kB || ni->node >= CONFIG_MAX_NODES)
			continue;
		if (in_set(&cfg->dram, ni, true)) {
			p->nodes[n].tier = POLICY_TIER_DRAM;
		} else if (in_set(&cfg->far, ni, false) &&
			   !(ni->flags & CXLTIER_NODE_ALL_MOVABLE)) {
			/* Rank of its module tier among the far nodes'. */
			rank = 1;
			for (k = 0; k < pn->nr; k++)
				if (pn->info[k].tier < ni->tier &&
				    in_set(&cfg->far, &pn->info[k], false) &&
				    !in_set(&cfg->dram, &pn->info[k], true) &&
				    !(pn->info[k].flags & CXLTIER_NODE_ALL_MOVABLE))
					rank++;
			p->nodes[n].tier = rank;
		} else {
			continue;
		}
		p->nodes[n].node = (int)ni->node;
		p->nodes[n].capacity = ni->capacity_kB << 10;
		p->nodes[n].free = ni->free_kB << 10;
		p->nodes[n].reclaimable = pn->reclaimable ? pn->reclaimable[i] : 0;
		n++;
	}
	/* Ranks count nodes, not tiers: squeeze them to 1, 2, ... */
	for (rank = 1, k = 1; k <= n; k++) {
		bool used = false;

		for (i = 0; i < n; i++)
			if (p->nodes[i].tier == k) {
				p->nodes[i].tier = rank;
				used = true;
			}
		if (used)
			rank++;
	}
	return n;
}

static struct plan_mem *mem_find(struct plan_ctx *p, uint32_t id)
{
	size_t i;

	for (i = 0; i < p->nr_mem; i++)
		if (p->mem[i].id == id)
			return &p->mem[i];
	return NULL;
}

/* The move times of range @r, created or resized as needed. */
static struct plan_mem *mem_get(struct plan_ctx *p,
				const struct cxltier_range_info *r)
{
	struct plan_mem *m = mem_find(p, r->id), *tmp;

	if (m && m->nr_chunks != r->nr_chunks) {
		free(m->moved_ms);
		m->moved_ms = NULL;
	}
	if (!m) {
		tmp = realloc(p->mem, (p->nr_mem + 1) * sizeof(*tmp));
		if (!tmp)
			return NULL;
		p->mem = tmp;
		m = &p->mem[p->nr_mem++];
		memset(m, 0, sizeof(*m));
		m->id = r->id;
	}
	if (!m->moved_ms) {
		m->moved_ms = calloc(r->nr_chunks ? r->nr_chunks : 1,
				     sizeof(*m->moved_ms));
		if (!m->moved_ms)
			return NULL;
		m->nr_chunks = r->nr_chunks;
	}
	m->seen = true;
	return m;
}

/* Forget the ranges the last snapshot did not have. */
static void mem_sweep(struct plan_ctx *p)
{
	size_t i = 0;

	while (i < p->nr_mem) {
		if (p->mem[i].seen) {
			p->mem[i++].seen = false;
			continue;
		}
		free(p->mem[i].moved_ms);
		p->mem[i] = p->mem[--p->nr_mem];
	}
}

/* Which range holds global chunk @g: the last with first[i] <= g. */
static size_t range_of(const struct plan_ctx *p, size_t nr_ranges, size_t g)
{
	size_t lo = 0, hi = nr_ranges;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->first[mid] <= g)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int plan_build(struct plan_ctx *p, const struct config *cfg,
	       const struct plan_nodes *nodes,
	       const struct obs_snapshot *snap, uint64_t now_ms,
	       struct plan_move **movesp, size_t *np)
{
	struct plan_move *moves = NULL, *last = NULL;
	struct policy_input in;
	struct policy_plan plan;
	size_t total = 0, i, c, n = 0;
	struct plan_mem *m;
	void *tmp;
	int ret;

	*movesp = NULL;
	*np = 0;
	for (i = 0; i < snap->nr_ranges; i++)
		total += snap->ranges[i].info.nr_chunks;
	if (total > p->chunks_room) {
		tmp = realloc(p->chunks, total * sizeof(*p->chunks));
		if (!tmp)
			return -ENOMEM;
		p->chunks = tmp;
		p->chunks_room = total;
	}
	p->nr_klass = 0;
	if (snap->nr_ranges > p->first_room) {
		tmp = realloc(p->first, snap->nr_ranges * sizeof(*p->first));
		if (!tmp)
			return -ENOMEM;
		p->first = tmp;
		tmp = realloc(p->klass, snap->nr_ranges * sizeof(*p->klass));
		if (!tmp)
			return -ENOMEM;
		p->klass = tmp;
		p->first_room = snap->nr_ranges;
	}

	total = 0;
	for (i = 0; i < snap->nr_ranges; i++) {
		const struct obs_range *r = &snap->ranges[i];
		uint16_t klass = (uint16_t)config_match_class(cfg, r->info.label,
							      r->comm);
		uint64_t cs = r->info.chunk_size;

		m = mem_get(p, &r->info);
		if (!m)
			return -ENOMEM;
		p->first[i] = total;
		p->klass[i] = klass;
		for (c = 0; c < r->info.nr_chunks; c++) {
			struct policy_chunk *pc = &p->chunks[total++];
			uint64_t off = c * cs;

			pc->heat = r->chunks[c].heat;
			pc->moved_ms = m->moved_ms[c];
			pc->last_ms = r->chunks[c].last_epoch;	/* 0 = never */
			pc->bytes = (uint32_t)(r->info.length - off < cs ?
						       r->info.length - off : cs);
			pc->node = r->chunks[c].node;
			pc->klass = klass;
			pc->flags = 0;
			/*
			 * Pinned pages nobody will release cannot move; nor
			 * can a buffer whose owner is in back-off.
			 */
			if (r->fixed ||
			    (!r->registered && r->chunks[c].pinned_pages))
				pc->flags |= POLICY_CHUNK_FIXED;
		}
	}
	p->nr_klass = snap->nr_ranges;
	mem_sweep(p);

	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.nodes = p->nodes;
	in.nr_nodes = make_nodes(p, cfg, nodes);
	in.chunks = p->chunks;
	in.nr_chunks = total;
	in.now_ms = now_ms ? now_ms : 1;
	memset(p->is_dram, 0, sizeof(p->is_dram));
	for (i = 0; i < in.nr_nodes; i++)
		if (p->nodes[i].tier == POLICY_TIER_DRAM)
			p->is_dram[p->nodes[i].node] = true;
	ret = adapt_step(p, cfg, snap, total, in.now_ms);
	if (ret)
		return ret;
	ret = policy_plan(p->pctx, &in, &p->state, &plan);
	if (ret)
		return ret;
	p->state = plan.state;
	p->last.dram_capacity = plan.dram_capacity;
	p->last.dram_used = plan.dram_used;
	p->last.dram_tracked = plan.dram_tracked;
	p->last.dram_budget = plan.dram_budget;
	p->last.promote_bytes = plan.promote_bytes;
	p->last.demote_bytes = plan.demote_bytes;
	p->last.deferred_bytes = plan.deferred_bytes;
	p->last.blocked_bytes = plan.blocked_bytes;
	p->last.untracked_bytes = plan.untracked_bytes;
	p->last.shed_skipped = plan.shed_skipped;
	p->last.rate_tokens = plan.state.tokens;
	if (!plan.nr_moves)
		return 0;

	moves = calloc(plan.nr_moves, sizeof(*moves));
	if (!moves)
		return -ENOMEM;
	for (i = 0; i < plan.nr_moves; i++) {
		const struct policy_move *pm = &plan.moves[i];
		size_t ri = range_of(p, snap->nr_ranges, pm->chunk);
		uint64_t chunk = pm->chunk - p->first[ri];
		enum move_dir dir = pm->reason == POLICY_PROMOTE ? MOVE_PROMOTE :
								   MOVE_DEMOTE;
		uint32_t id = snap->ranges[ri].info.id;
		uint64_t heat = chunk < snap->ranges[ri].info.nr_chunks ?
				snap->ranges[ri].chunks[chunk].heat : 0;

		/* The next chunk of the same range, the same way: extend. */
		if (last && last->range_id == id && last->dir == dir &&
		    last->to_node == pm->to && last->from_node == pm->from &&
		    last->first_chunk + last->nr_chunks == chunk) {
			last->nr_chunks++;
			last->heat = last->heat + heat < heat ? UINT64_MAX :
							       last->heat + heat;
			continue;
		}
		last = &moves[n++];
		last->range_id = id;
		last->first_chunk = chunk;
		last->nr_chunks = 1;
		last->from_node = pm->from;
		last->to_node = pm->to;
		last->dir = dir;
		last->reason = pm->reason;
		last->heat = heat;
	}
	for (i = 0; i < n; i++)
		moves[i].heat /= moves[i].nr_chunks;
	*movesp = moves;
	*np = n;
	return 0;
}

void plan_commit(struct plan_ctx *p, const struct plan_move *moves, size_t n,
		 uint64_t now_ms)
{
	struct plan_mem *m;
	uint64_t c;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!moves[i].done)
			continue;
		m = mem_find(p, moves[i].range_id);
		if (!m)
			continue;
		for (c = moves[i].first_chunk;
		     c < moves[i].first_chunk + moves[i].nr_chunks &&
		     c < m->nr_chunks;
		     c++)
			m->moved_ms[c] = now_ms ? now_ms : 1;
	}
}
