// SPDX-License-Identifier: GPL-2.0
/*
 * gen: trace families from a seed.  The families are described in gen.h
 * and kvreplay(1); the arithmetic of each is here, in one function per
 * family that appends sessions until the request count is reached.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

const char *const kvr_gen_families[] = {
	"chat", "shared", "agentic", "rag", "scan", "shift", NULL,
};

/* Longest context of a session, in blocks (64 Ki tokens). */
#define GEN_MAX_CONTEXT	128

/* One request as generated: its blocks are ids[first..first+nr). */
struct greq {
	uint64_t t_ms;
	size_t first;
	uint32_t nr;
	uint32_t out_tokens;
	uint64_t seq;
};

struct gen {
	uint64_t rng;
	struct kvr_gen_params p;
	struct greq *req;
	size_t nr_req, room_req;
	uint32_t *ids;
	size_t nr_ids, room_ids;
	uint32_t next_id;
	double *cdf;		/* Zipf popularity of the prefixes */
	uint32_t *pre_first;	/* first id of each prefix */
	uint32_t *pre_len;	/* its blocks */
	int oom;
};

/* splitmix64 */
static uint64_t rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double u01(struct gen *g)
{
	return (double)(rnd(g) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [lo, hi]. */
static uint32_t uni(struct gen *g, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(rnd(g) % ((uint64_t)hi - lo + 1));
}

/* Exponential with mean @mean. */
static double expo(struct gen *g, double mean)
{
	return -mean * log(1.0 - u01(g));
}

/* A count of at least 1 with mean @mean (1 + geometric). */
static uint32_t count(struct gen *g, uint32_t mean)
{
	double x;

	if (mean <= 1)
		return 1;
	x = 1 + floor(expo(g, (double)mean - 0.5));
	return x > 100000 ? 100000 : (uint32_t)x;
}

/* Prefix index in [0, n) by the Zipf popularity. */
static uint32_t zipf(struct gen *g, uint32_t n)
{
	double u = u01(g) * g->cdf[n - 1];
	uint32_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (g->cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* @n shared prefixes of @len blocks (or 2..2*len-2 when @vary). */
static int make_prefixes(struct gen *g, uint32_t n, uint32_t len, int vary)
{
	double s = g->p.zipf_centi / 100.0, sum = 0;
	uint32_t i;

	g->cdf = calloc(n, sizeof(*g->cdf));
	g->pre_first = calloc(n, sizeof(*g->pre_first));
	g->pre_len = calloc(n, sizeof(*g->pre_len));
	if (!g->cdf || !g->pre_first || !g->pre_len)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		sum += 1.0 / pow((double)i + 1, s);
		g->cdf[i] = sum;
		g->pre_first[i] = g->next_id;
		g->pre_len[i] = vary && len > 2 ? uni(g, 2, 2 * len - 2) : len;
		g->next_id += g->pre_len[i];
	}
	return 0;
}

static void push_id(struct gen *g, uint32_t id)
{
	if (g->nr_ids == g->room_ids) {
		size_t room = g->room_ids ? 2 * g->room_ids : 4096;
		uint32_t *q = realloc(g->ids, room * sizeof(*q));

		if (!q) {
			g->oom = 1;
			return;
		}
		g->ids = q;
		g->room_ids = room;
	}
	g->ids[g->nr_ids++] = id;
}

/* A request at @t_s reading @ctx[0..@n). */
static void push_req(struct gen *g, double t_s, const uint32_t *ctx, uint32_t n)
{
	struct greq *r;
	uint32_t i;

	if (g->oom || !n)
		return;
	if (g->nr_req == g->room_req) {
		size_t room = g->room_req ? 2 * g->room_req : 1024;
		struct greq *q = realloc(g->req, room * sizeof(*q));

		if (!q) {
			g->oom = 1;
			return;
		}
		g->req = q;
		g->room_req = room;
	}
	r = &g->req[g->nr_req];
	r->t_ms = (uint64_t)llround(t_s * 1000.0);
	r->first = g->nr_ids;
	r->nr = n;
	r->out_tokens = uni(g, 32, 512);
	r->seq = g->nr_req;
	for (i = 0; i < n; i++)
		push_id(g, ctx[i]);
	if (!g->oom)
		g->nr_req++;
}

/* Append @n new blocks to the context @ctx of *@len blocks. */
static void grow(struct gen *g, uint32_t *ctx, uint32_t *len, uint32_t n)
{
	while (n-- && *len < GEN_MAX_CONTEXT)
		ctx[(*len)++] = g->next_id++;
}

/* Append prefix @k to the context. */
static void add_prefix(struct gen *g, uint32_t *ctx, uint32_t *len, uint32_t k)
{
	uint32_t i;

	for (i = 0; i < g->pre_len[k] && *len < GEN_MAX_CONTEXT; i++)
		ctx[(*len)++] = g->pre_first[k] + i;
}

/*
 * A session from @t_s: turns reading the context, each followed by the
 * answer (one block) and the next message (@lo..@hi blocks), @gap_s
 * apart on average (+ @min_gap_s).
 */
static void session(struct gen *g, double t_s, uint32_t *ctx, uint32_t len,
		    uint32_t turns, uint32_t lo, uint32_t hi, double gap_s, double min_gap_s)
{
	uint32_t k;

	grow(g, ctx, &len, uni(g, lo, hi));
	for (k = 0; k < turns && !g->oom; k++) {
		push_req(g, t_s, ctx, len);
		if (len >= GEN_MAX_CONTEXT)
			break;
		grow(g, ctx, &len, 1 + uni(g, lo, hi));
		t_s += min_gap_s + expo(g, gap_s);
	}
}

static double arrival(struct gen *g)
{
	return u01(g) * g->p.duration_s;
}

static void gen_chat(struct gen *g)
{
	uint32_t ctx[GEN_MAX_CONTEXT];

	while (g->nr_req < g->p.requests && !g->oom)
		session(g, arrival(g), ctx, 0, count(g, g->p.turns), 1, 4, g->p.think_s, 1);
}

static void gen_shared(struct gen *g, uint32_t requests)
{
	uint32_t ctx[GEN_MAX_CONTEXT], len;

	while (g->nr_req < requests && !g->oom) {
		len = 0;
		add_prefix(g, ctx, &len, zipf(g, g->p.prefixes));
		session(g, arrival(g), ctx, len, count(g, g->p.turns), 1, 6, g->p.think_s, 1);
	}
}

static void gen_agentic(struct gen *g)
{
	uint32_t ctx[GEN_MAX_CONTEXT], len;

	while (g->nr_req < g->p.requests && !g->oom) {
		len = 0;
		add_prefix(g, ctx, &len, zipf(g, g->p.prefixes));
		session(g, arrival(g), ctx, len, count(g, g->p.turns), 1, 3, g->p.think_s, 0.2);
	}
}

static void gen_rag(struct gen *g)
{
	uint32_t ctx[GEN_MAX_CONTEXT], len, k, i, j, docs[8], nd;
	/* Two system prompts, then the corpus (prefixes 0 and 1 are them). */
	uint32_t corpus = g->p.prefixes;

	while (g->nr_req < g->p.requests && !g->oom) {
		len = 0;
		add_prefix(g, ctx, &len, uni(g, 0, 1));
		nd = uni(g, 3, 5);
		for (i = 0; i < nd; i++) {
			/* Distinct documents. */
			do {
				k = 2 + zipf(g, corpus);
				for (j = 0; j < i && docs[j] != k; j++)
					;
			} while (j < i);
			docs[i] = k;
			add_prefix(g, ctx, &len, k);
		}
		session(g, arrival(g), ctx, len, count(g, g->p.turns), 1, 1, g->p.think_s, 1);
	}
}

static void gen_scan(struct gen *g)
{
	uint32_t ctx[GEN_MAX_CONTEXT], len, n, i, b, bursts = g->p.duration_s / 200;
	uint32_t per;

	gen_shared(g, g->p.requests - g->p.requests / 5);
	if (!bursts)
		bursts = 1;
	per = g->p.requests / 5 / bursts;
	/* Bursts of 20 s from 100 s on, every 200 s: blocks read once. */
	for (b = 0; b < bursts && !g->oom; b++) {
		for (i = 0; i < per && !g->oom; i++) {
			len = 0;
			n = uni(g, 16, 32);
			grow(g, ctx, &len, n);
			push_req(g, 100.0 + 200.0 * b + u01(g) * 20.0, ctx, len);
		}
	}
}

static void gen_shift(struct gen *g)
{
	uint32_t ctx[GEN_MAX_CONTEXT], len, per = g->p.prefixes / g->p.phases;
	double t, phase_s = (double)g->p.duration_s / g->p.phases;

	while (g->nr_req < g->p.requests && !g->oom) {
		uint32_t ph;

		t = arrival(g);
		ph = (uint32_t)(t / phase_s);
		if (ph >= g->p.phases)
			ph = g->p.phases - 1;
		len = 0;
		add_prefix(g, ctx, &len, ph * per + zipf(g, per));
		session(g, t, ctx, len, count(g, g->p.turns), 1, 2, g->p.think_s, 1);
	}
}

static int cmp_req(const void *a, const void *b)
{
	const struct greq *x = a, *y = b;

	if (x->t_ms != y->t_ms)
		return x->t_ms < y->t_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Defaults per family: requests, duration, prefixes, blocks, turns, think, zipf, phases. */
static const struct kvr_gen_params gen_defaults[] = {
	/* chat */    { 0, 4000, 1000, 0, 0, 6, 30, 100, 0 },
	/* shared */  { 0, 4000, 1000, 64, 16, 3, 60, 100, 0 },
	/* agentic */ { 0, 4000, 1000, 8, 12, 20, 8, 100, 0 },
	/* rag */     { 0, 4000, 1000, 2000, 4, 1, 30, 90, 0 },
	/* scan */    { 0, 4000, 1000, 64, 16, 3, 60, 100, 0 },
	/* shift */   { 0, 4000, 1000, 1200, 4, 1, 20, 100, 4 },
};

#define PICK(f) (gp->f ? gp->f : gen_defaults[fam].f)

int kvr_generate(const char *family, const struct kvr_gen_params *gp, FILE *f)
{
	struct gen g = { 0 };
	size_t fam, i, j;
	int rc = 0;

	for (fam = 0; kvr_gen_families[fam]; fam++)
		if (!strcmp(family, kvr_gen_families[fam]))
			break;
	if (!kvr_gen_families[fam])
		return -EINVAL;
	g.p.seed = gp->seed;
	g.p.requests = PICK(requests);
	g.p.duration_s = PICK(duration_s);
	g.p.prefixes = PICK(prefixes);
	g.p.prefix_blocks = PICK(prefix_blocks);
	g.p.turns = PICK(turns);
	g.p.think_s = PICK(think_s);
	g.p.zipf_centi = PICK(zipf_centi);
	g.p.phases = PICK(phases);
	if (g.p.requests > 10000000 || g.p.duration_s > 10000000 ||
	    g.p.prefixes > 1000000 || g.p.prefix_blocks > GEN_MAX_CONTEXT ||
	    g.p.turns > 1000 || g.p.think_s > 86400 || g.p.zipf_centi > 400 ||
	    g.p.phases > 1000 || (fam == 5 && g.p.prefixes < g.p.phases))
		return -EINVAL;
	g.rng = g.p.seed;
	/* Families with shared prefixes: rag's two system prompts come first. */
	if (fam == 3)
		rc = make_prefixes(&g, g.p.prefixes + 2, g.p.prefix_blocks, 1);
	else if (g.p.prefixes && fam != 0)
		rc = make_prefixes(&g, g.p.prefixes, g.p.prefix_blocks, 0);
	if (fam == 3 && !rc) {
		/* The system prompts: two blocks each, equally likely. */
		g.next_id = 0;
		for (i = 0; i < g.p.prefixes + 2; i++) {
			g.pre_len[i] = i < 2 ? 2 : g.pre_len[i];
			g.pre_first[i] = g.next_id;
			g.next_id += g.pre_len[i];
		}
	}
	if (rc)
		goto out;
	switch (fam) {
	case 0: gen_chat(&g); break;
	case 1: gen_shared(&g, g.p.requests); break;
	case 2: gen_agentic(&g); break;
	case 3: gen_rag(&g); break;
	case 4: gen_scan(&g); break;
	case 5: gen_shift(&g); break;
	}
	if (g.oom) {
		rc = -ENOMEM;
		goto out;
	}
	qsort(g.req, g.nr_req, sizeof(*g.req), cmp_req);
	for (i = 0; i < g.nr_req; i++) {
		const struct greq *r = &g.req[i];

		fprintf(f, "{\"timestamp\": %llu, \"input_length\": %u, \"output_length\": %u, \"hash_ids\": [",
			(unsigned long long)r->t_ms, r->nr * 512, r->out_tokens);
		for (j = 0; j < r->nr; j++)
			fprintf(f, j ? ", %u" : "%u", g.ids[r->first + j]);
		fputs("]}\n", f);
	}
	if (fflush(f) || ferror(f))
		rc = -EIO;
out:
	free(g.req);
	free(g.ids);
	free(g.cdf);
	free(g.pre_first);
	free(g.pre_len);
	return rc;
}
