// SPDX-License-Identifier: GPL-2.0
/*
 * sim: cxltier's own placement over a trace, on the host.
 *
 * The pieces are the real ones, only the clock and the memory are
 * modelled:
 *
 *  - heat: each read of a block is a device report of one access (times
 *    device_weight) to its chunk -- the write that creates a block is
 *    reported only with report_writes, as a runtime that reports the
 *    loads it waits for would do; at the end of every heat epoch
 *    every chunk's heat goes through cxltier_heat_epoch() from
 *    include/cxltier/heat.h, the arithmetic cxltier.ko runs;
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
 * @pending: accesses of each block in the current epoch
 * @nr_seen: blocks created so far (dense ids 0..nr_seen-1)
 * @in_dram: blocks in DRAM
 * @factor: per-epoch decay factor, Q32
 * @ctx: policy scratch memory
 * @state: policy state between decisions
 */
struct sim {
	const struct kvr_trace *t;
	const struct kvr_params *p;
	struct kvr_result *res;
	struct policy_chunk *chunks;
	uint32_t *pending;
	uint32_t nr_seen;
	uint32_t in_dram;
	uint64_t factor;
	struct policy_ctx *ctx;
	struct policy_state state;
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

	for (i = 0; i < s->nr_seen; i++) {
		struct policy_chunk *c = &s->chunks[i];

		if (!c->heat && !s->pending[i])
			continue;
		c->heat = cxltier_heat_epoch(c->heat, s->factor,
					     (uint64_t)s->pending[i] * s->p->device_weight);
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
		bytes += c->bytes;
	}
	if (bytes > s->res->max_interval_bytes)
		s->res->max_interval_bytes = bytes;
	sim_log(s);
	return 0;
}

int kvr_run_cxltier(const struct kvr_trace *t, const struct kvr_params *p,
		    struct kvr_result *res)
{
	const struct config *cfg = &p->cfg;
	size_t n = t->nr_blocks ? t->nr_blocks : 1, r, i;
	uint64_t next_epoch = cfg->epoch_ms, next_decision = cfg->interval_ms;
	struct sim s = {
		.t = t,
		.p = p,
		.res = res,
		.chunks = calloc(n, sizeof(struct policy_chunk)),
		.pending = calloc(n, sizeof(uint32_t)),
		.factor = cxltier_heat_factor(cfg->epoch_ms, cfg->half_life_ms),
		.ctx = policy_ctx_new(),
	};
	int rc = -ENOMEM;

	if (!s.chunks || !s.pending || !s.ctx)
		goto out;
	if (p->heat_log)
		fprintf(p->heat_log,
			"# kvreplay heat log: sample = every %u decisions of %u ms, chunk = block\n"
			"# in order of creation, heat in accesses, tier 0 = DRAM, 1 = far memory,\n"
			"# -1 = not created yet\n"
			"# sample chunk heat tier\n",
			p->heat_log_every, cfg->interval_ms);
	if (p->block_bytes > UINT32_MAX || !cfg->epoch_ms || !cfg->interval_ms) {
		rc = -EINVAL;
		goto out;
	}
	for (r = 0; r < t->nr_req; r++) {
		const struct kvr_request *q = &t->req[r];

		/* Epochs, then decisions, up to the request's arrival. */
		while (next_epoch <= q->t_ms || next_decision <= q->t_ms) {
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
			int first = b >= s.nr_seen;

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
			kvr_account(res, !first && c->node == SIM_DRAM, first);
			/* The device reports reads; the creating write if asked. */
			if ((!first || p->report_writes) && s.pending[b] < UINT32_MAX)
				s.pending[b]++;
		}
	}
	kvr_finish(res, p);
	rc = 0;
out:
	policy_ctx_free(s.ctx);
	free(s.chunks);
	free(s.pending);
	return rc;
}
