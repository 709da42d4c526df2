// SPDX-License-Identifier: GPL-2.0
/*
 * sim: cxltier's own placement over a trace, on the host.
 *
 * The pieces are the real ones, only the clock and the memory are
 * modelled:
 *
 *  - heat: each read of a block is a device report of one access (times
 *    device_weight) to its chunk -- the write that creates a block is
 *    reported at write_weight_pm thousandths of a read (0: not at all,
 *    as a runtime that reports only the loads it waits for would do);
 *    at the end of every heat epoch every chunk's heat goes through
 *    cxltier_heat_decay() and the saturating add of
 *    include/cxltier/heat.h, the arithmetic cxltier.ko runs (a
 *    fractional weight is added in the heat's fixed point);
 *  - recency: with p->recency, each chunk's last access is passed to
 *    the policy (policy_chunk.last_ms), which breaks ties of heat: its
 *    time, or (KVR_RECENCY_EPOCH, --real's model) the number of the heat
 *    epoch it fell in, which is what cxltierd knows;
 *  - hints (cxltier+hints): hint_lead_ms before each request, its blocks
 *    go to policy_hint_plan() as a will-read hint; the promotions are
 *    copied one after another at hint_Bps (a copy from far memory to
 *    DRAM; the victims' copies go the other way on a full-duplex link
 *    and wait for no reader), and a block read before its copy is done
 *    is a miss: a late hint does not help.  Hinted moves are outside
 *    the rate limit of the decisions;
 *  - decisions: every [policy] interval, right after the epochs that
 *    ended by then (the daemon wakes on the epoch), agent/policy.c's
 *    policy_plan() gets the heat, the node of every block created so far
 *    and the two nodes' capacity and free memory, and its plan is
 *    applied at once; its rate limit is the only limit on migration, and
 *    the moved bytes at far-memory bandwidth give the modelled transfer
 *    time;
 *  - memory: node 0 is DRAM with dram_blocks blocks, node 1 far memory
 *    with room for every block; a new block goes to DRAM while it has
 *    room, as the kernel's allocator would put it.  For the comparison
 *    with a real run (dram_node_bytes), node 0 is the real DRAM node as
 *    the daemon sees it, and the pool's class share is what caps it.
 *
 * The policy sees only the past: heat of accesses already replayed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/cxltier.h>

#include "cxltier/heat.h"
#include "model.h"
#include "policy.h"

/* Modelled node ids. */
#define SIM_DRAM	0
#define SIM_FAR		1

/**
 * struct sim - one cxltier run
 * @t: the trace
 * @p: parameters
 * @res: results
 * @chunks: policy input, one per block created so far
 * @pending: heat (fixed point) of each block's accesses in the epoch
 * @ready_us: when a hinted copy of each block to DRAM is done, trace
 *	microseconds (0: not copying)
 * @hint_busy_us: when the hint copies queued so far are all done
 * @hint_ids: scratch: chunk indices of one hint
 * @hint_room: entries at @hint_ids
 * @nr_seen: blocks created so far (dense ids 0..nr_seen-1)
 * @in_dram: blocks in DRAM
 * @factor: per-epoch decay factor, Q32
 * @ctx: policy scratch memory
 * @state: policy state between decisions
 * @adapt: adaptive heat's shadows, or NULL
 */
struct sim {
	const struct kvr_trace *t;
	const struct kvr_params *p;
	struct kvr_result *res;
	struct policy_chunk *chunks;
	uint64_t *pending;
	uint64_t *ready_us;
	uint64_t hint_busy_us;
	uint32_t *hint_ids;
	size_t hint_room;
	uint32_t nr_seen;
	uint32_t in_dram;
	uint64_t factor;
	struct policy_ctx *ctx;
	struct policy_state state;
	struct policy_adapt *adapt;
};

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The end of a heat epoch, for every block, as the module does it. */
static void sim_epoch(struct sim *s)
{
	uint32_t i;

	if (s->adapt) {
		policy_adapt_epoch(s->adapt);
		return;
	}
	for (i = 0; i < s->nr_seen; i++) {
		struct policy_chunk *c = &s->chunks[i];
		uint64_t h;

		if (!c->heat && !s->pending[i])
			continue;
		h = cxltier_heat_decay(c->heat, s->factor);
		c->heat = h > UINT64_MAX - s->pending[i] ? UINT64_MAX : h + s->pending[i];
		s->pending[i] = 0;
	}
}

/*
 * The heat log, in the format cxltierctl heatmap --input reads: a
 * "<sample> <chunk> <heat> <tier>" line per chunk, a blank line after
 * each sample.  Every sample has the same chunks (a regular grid for
 * gnuplot); one not created yet is "0 -1", not resident.
 */
static void sim_log(struct sim *s)
{
	const struct kvr_params *p = s->p;
	uint64_t n = s->res->decisions - 1;
	uint32_t i, nr;

	if (!p->heat_log || n % p->heat_log_every)
		return;
	nr = s->t->nr_blocks < p->heat_log_chunks ? s->t->nr_blocks : p->heat_log_chunks;
	for (i = 0; i < nr; i++)
		fprintf(p->heat_log, "%llu %u %.3f %d\n",
			(unsigned long long)(n / p->heat_log_every), i,
			(double)s->chunks[i].heat / CXLTIER_HEAT_ONE,
			i >= s->nr_seen ? -1 : s->chunks[i].node == SIM_DRAM ? 0 : 1);
	fputc('\n', p->heat_log);
}

/* One decision at @now_ms, applied at once. */
static int sim_decide(struct sim *s, uint64_t now_ms)
{
	const struct kvr_params *p = s->p;
	struct policy_node nodes[2] = {
		{
			.node = SIM_DRAM,
			.tier = POLICY_TIER_DRAM,
			.capacity = (uint64_t)p->dram_blocks * p->block_bytes,
			.free = (uint64_t)(p->dram_blocks - s->in_dram) * p->block_bytes,
		},
		{
			.node = SIM_FAR,
			.tier = 1,
			.capacity = (uint64_t)s->t->nr_blocks * p->block_bytes,
			.free = (uint64_t)(s->t->nr_blocks - (s->nr_seen - s->in_dram)) *
				p->block_bytes,
		},
	};
	struct policy_input in = {
		.cfg = &p->cfg,
		.nodes = nodes,
		.nr_nodes = 2,
		.chunks = s->chunks,
		.nr_chunks = s->nr_seen,
		.now_ms = now_ms,
	};
	struct policy_plan plan;
	double t0 = cpu_seconds();
	uint64_t pool = (uint64_t)s->in_dram * p->block_bytes;
	uint64_t bytes = 0;
	size_t i;
	int rc;

	if (p->dram_node_bytes) {
		/* The daemon's view: the whole node, others' use included. */
		uint64_t used = p->dram_other_bytes + pool;

		nodes[0].capacity = p->dram_node_bytes;
		nodes[0].free = used < p->dram_node_bytes ? p->dram_node_bytes - used : 0;
	}
	if (s->adapt) {
		unsigned int k = policy_adapt_decide(s->adapt, now_ms, p->dram_blocks,
						     s->chunks, s->nr_seen);

		if (s->res->decisions && k != s->res->adapt_last)
			s->res->adapt_switches++;
		s->res->adapt_last = k;
	}
	rc = policy_plan(s->ctx, &in, &s->state, &plan);
	s->res->policy_cpu_s += cpu_seconds() - t0;
	if (rc)
		return rc;
	s->state = plan.state;
	s->res->decisions++;
	s->res->deferred_bytes += plan.deferred_bytes;
	for (i = 0; i < plan.nr_moves; i++) {
		const struct policy_move *m = &plan.moves[i];
		struct policy_chunk *c = &s->chunks[m->chunk];

		if (m->to == SIM_DRAM) {
			s->in_dram++;
			s->res->promoted++;
		} else {
			s->in_dram--;
			s->res->demoted++;
		}
		c->node = m->to;
		c->moved_ms = now_ms;
		c->flags &= ~POLICY_CHUNK_HINT_DEMOTED;
		s->ready_us[m->chunk] = 0;
		bytes += c->bytes;
	}
	if (bytes > s->res->max_interval_bytes)
		s->res->max_interval_bytes = bytes;
	sim_log(s);
	return 0;
}

/* The modelled nodes at this moment. */
static void sim_nodes(const struct sim *s, struct policy_node nodes[2])
{
	const struct kvr_params *p = s->p;
	uint64_t pool = (uint64_t)s->in_dram * p->block_bytes;

	nodes[0].node = SIM_DRAM;
	nodes[0].tier = POLICY_TIER_DRAM;
	nodes[0].capacity = (uint64_t)p->dram_blocks * p->block_bytes;
	nodes[0].free = (uint64_t)(p->dram_blocks - s->in_dram) * p->block_bytes;
	nodes[1].node = SIM_FAR;
	nodes[1].tier = 1;
	nodes[1].capacity = (uint64_t)s->t->nr_blocks * p->block_bytes;
	nodes[1].free = (uint64_t)(s->t->nr_blocks - (s->nr_seen - s->in_dram)) * p->block_bytes;
	if (p->dram_node_bytes) {
		uint64_t used = p->dram_other_bytes + pool;

		nodes[0].capacity = p->dram_node_bytes;
		nodes[0].free = used < p->dram_node_bytes ? p->dram_node_bytes - used : 0;
	}
}

/*
 * A will-read hint at @now_us for request @to's blocks that exist, with
 * those of the requests hinted before it and not served yet (from @from
 * on): the runtime's queue, whose blocks are no victims.
 */
static int sim_hint(struct sim *s, size_t from, size_t to, uint64_t now_us)
{
	const struct kvr_params *p = s->p;
	struct policy_node nodes[2];
	struct policy_input in = {
		.cfg = &p->cfg,
		.nodes = nodes,
		.nr_nodes = 2,
		.chunks = s->chunks,
		.nr_chunks = s->nr_seen,
		.now_ms = now_us / 1000 ? now_us / 1000 : 1,
	};
	struct policy_hints h = { .will_read = s->hint_ids, .budget = UINT64_MAX };
	struct policy_plan plan;
	double t0 = cpu_seconds();
	size_t i, n = 0, r;
	int rc;

	for (r = to + 1; r-- > from;) {
		const struct kvr_request *q = &s->t->req[r];

		for (i = 0; i < q->nr && n < s->hint_room; i++) {
			uint32_t b = s->t->blocks[q->first + i];

			if (b < s->nr_seen)
				s->hint_ids[n++] = b;
		}
	}
	if (!n)
		return 0;
	h.nr_will_read = n;
	sim_nodes(s, nodes);
	rc = policy_hint_plan(s->ctx, &in, &h, &plan);
	s->res->policy_cpu_s += cpu_seconds() - t0;
	if (rc)
		return rc;
	if (s->hint_busy_us < now_us)
		s->hint_busy_us = now_us;
	for (i = 0; i < plan.nr_moves; i++) {
		const struct policy_move *m = &plan.moves[i];
		struct policy_chunk *c = &s->chunks[m->chunk];

		if (m->to == SIM_DRAM) {
			s->in_dram++;
			s->res->promoted++;
			s->res->hint_promoted++;
			c->flags &= ~POLICY_CHUNK_HINT_DEMOTED;
			s->hint_busy_us += (uint64_t)((double)c->bytes * 1e6 / (double)p->hint_Bps);
			s->ready_us[m->chunk] = s->hint_busy_us;
		} else {
			s->in_dram--;
			s->res->demoted++;
			s->ready_us[m->chunk] = 0;
			if (m->reason == POLICY_DEMOTE_HINT)
				c->flags |= POLICY_CHUNK_HINT_DEMOTED;
		}
		c->node = m->to;
		/* Kept where the hint put it for min_residency. */
		c->moved_ms = in.now_ms;
	}
	return 0;
}

static int run_cxltier(const struct kvr_trace *t, const struct kvr_params *p,
		       struct kvr_result *res);

/* Most blocks in one request, at least 1. */
static size_t max_req_blocks(const struct kvr_trace *t)
{
	size_t r, m = 1;

	for (r = 0; r < t->nr_req; r++)
		if (t->req[r].nr > m)
			m = t->req[r].nr;
	return m;
}

int kvr_run_cxltier_hints(const struct kvr_trace *t, const struct kvr_params *p,
			  struct kvr_result *res)
{
	struct kvr_params q = *p;

	q.hints = 1;
	q.heat_log = NULL;
	return run_cxltier(t, &q, res);
}

int kvr_run_cxltier(const struct kvr_trace *t, const struct kvr_params *p,
		    struct kvr_result *res)
{
	struct kvr_params q = *p;

	q.hints = 0;
	return run_cxltier(t, &q, res);
}

static int run_cxltier(const struct kvr_trace *t, const struct kvr_params *p,
		       struct kvr_result *res)
{
	const struct config *cfg = &p->cfg;
	size_t n = t->nr_blocks ? t->nr_blocks : 1, r, i;
	uint64_t next_epoch = cfg->epoch_ms, next_decision = cfg->interval_ms;
	uint64_t read_fx, write_fx, add;
	size_t hint = 0;
	struct sim s = {
		.t = t,
		.p = p,
		.res = res,
		.chunks = calloc(n, sizeof(struct policy_chunk)),
		.pending = calloc(n, sizeof(uint64_t)),
		.ready_us = calloc(n, sizeof(uint64_t)),
		.hint_ids = malloc(4 * max_req_blocks(t) * sizeof(uint32_t)),
		.hint_room = 4 * max_req_blocks(t),
		.factor = cxltier_heat_factor(cfg->epoch_ms, cfg->half_life_ms),
		.ctx = policy_ctx_new(),
	};
	int rc = -ENOMEM;

	if (!s.chunks || !s.pending || !s.ready_us || !s.hint_ids || !s.ctx)
		goto out;
	if (p->nr_adapt) {
		s.adapt = policy_adapt_new(p->adapt, p->nr_adapt, cfg->epoch_ms,
					   p->adapt_window_ms);
		if (!s.adapt || policy_adapt_resize(s.adapt, n)) {
			rc = s.adapt ? -ENOMEM : -EINVAL;
			goto out;
		}
	}
	if (p->heat_log)
		fprintf(p->heat_log,
			"# kvreplay heat log: sample = every %u decisions of %u ms, chunk = block\n"
			"# in order of creation, heat in accesses, tier 0 = DRAM, 1 = far memory,\n"
			"# -1 = not created yet\n"
			"# sample chunk heat tier\n",
			p->heat_log_every, cfg->interval_ms);
	if (p->block_bytes > UINT32_MAX || !cfg->epoch_ms || !cfg->interval_ms ||
	    (p->hints && !p->hint_Bps)) {
		rc = -EINVAL;
		goto out;
	}
	read_fx = (uint64_t)p->device_weight << CXLTIER_HEAT_SHIFT;
	write_fx = (uint64_t)((unsigned __int128)read_fx * p->write_weight_pm / 1000);
	for (r = 0; r < t->nr_req; r++) {
		const struct kvr_request *q = &t->req[r];
		uint64_t now_us = q->t_ms * 1000;

		/*
		 * Epochs, decisions and hints, in time order, up to the
		 * request's arrival (a hint at the same time as an epoch or a
		 * decision comes after it).
		 */
		for (;;) {
			uint64_t ev = next_epoch < next_decision ? next_epoch : next_decision;
			uint64_t hint_us = UINT64_MAX;

			if (p->hints && hint < t->nr_req) {
				uint64_t lead = (uint64_t)p->hint_lead_ms * 1000;
				uint64_t at = t->req[hint].t_ms * 1000;

				hint_us = at > lead ? at - lead : 0;
			}
			if (hint_us <= now_us && hint_us < ev * 1000) {
				rc = sim_hint(&s, r, hint++, hint_us);
				if (rc)
					goto out;
				continue;
			}
			if (ev > q->t_ms)
				break;
			if (next_epoch <= next_decision) {
				sim_epoch(&s);
				next_epoch += cfg->epoch_ms;
			} else {
				rc = sim_decide(&s, next_decision);
				if (rc)
					goto out;
				next_decision += cfg->interval_ms;
			}
		}
		for (i = 0; i < q->nr; i++) {
			uint32_t b = t->blocks[q->first + i];
			struct policy_chunk *c = &s.chunks[b];
			int first = b >= s.nr_seen, hit;

			if (first) {
				/* Dense ids follow creation: b == nr_seen. */
				s.nr_seen = b + 1;
				c->bytes = (uint32_t)p->block_bytes;
				c->klass = p->klass;
				if (s.in_dram < p->dram_blocks) {
					c->node = SIM_DRAM;
					s.in_dram++;
				} else {
					c->node = SIM_FAR;
				}
			}
			hit = !first && c->node == SIM_DRAM;
			if (hit && s.ready_us[b] > now_us) {
				/* Its hinted copy is not done: read from far memory. */
				hit = 0;
				res->hint_late++;
			}
			kvr_account(res, hit, first);
			if (p->recency == KVR_RECENCY_EPOCH)
				c->last_ms = q->t_ms / cfg->epoch_ms + 1;
			else if (p->recency)
				c->last_ms = q->t_ms ? q->t_ms : 1;
			if (s.adapt) {
				if (first)
					policy_adapt_write(s.adapt, b);
				else
					policy_adapt_read(s.adapt, b, p->device_weight);
				continue;
			}
			/* The device reports reads; the creating write at its weight. */
			add = first ? write_fx : read_fx;
			s.pending[b] = s.pending[b] > UINT64_MAX - add ? UINT64_MAX : s.pending[b] + add;
		}
	}
	kvr_finish(res, p);
	rc = 0;
out:
	policy_ctx_free(s.ctx);
	policy_adapt_free(s.adapt);
	free(s.chunks);
	free(s.pending);
	free(s.ready_us);
	free(s.hint_ids);
	return rc;
}
