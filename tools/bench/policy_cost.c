// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench policy-cost: what the placement policy costs the agent
 * per heat epoch and per decision, with and without the adaptive heat,
 * at a given number of chunks.  No module, no device: the pure code of
 * agent/policy.c that cxltierd links, with cxltierd.conf's defaults (or
 * what -o and --adaptive set), fed synthetic accesses.
 *
 * Two copies of the same chunks, one DRAM node and one far node, DRAM
 * holding --dram-fraction of the chunks' bytes, filled to between the
 * watermarks.  Every heat epoch the same reads go to both: --reads reads
 * (default a chunk in 8), four in five of them to a hot window of a
 * twentieth of the chunks that slides by a tenth of itself per epoch,
 * the rest anywhere; the first epoch reads every chunk once, so that
 * every shadow holds a heat for every chunk (the epoch's worst case).
 *
 *  - adaptive: the shadows of policy_adapt_*, one per setting, as
 *    cxltierd drives them for a pool's blocks (for buffers it leaves the
 *    recency shadows out).  A heat epoch is one pass over the chunks handing each one's
 *    reads to policy_adapt_read(), then policy_adapt_epoch().  A decision
 *    is policy_adapt_decide() (the shadows' thresholds and the winner's
 *    heat) then policy_plan().
 *  - plain: [heat] adaptive = off: the module's heat (half_life), kept
 *    here untimed since the module computes it; a decision is
 *    policy_plan() alone.
 *
 * The plans' moves are applied (each chunk's node and move time), so the
 * rankings change as they do in the daemon.  After --warm untimed
 * rounds, each of --runs rounds times its epochs, each part of both
 * decisions and one pass over the policy's chunk array (summing the
 * heat: the unit a decision's cost compares with across machines).
 * Figures are the median, min and max over the rounds; memory per chunk
 * is what the shadows and the policy's scratch allocate (mallinfo2),
 * divided by the chunks.  --check adds the invariants of every plan and
 * hand-over, at a small size by default, and reports no timings worth
 * reading.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <linux/cxltier.h>

#include "bench.h"
#include "clock.h"
#include "config.h"
#include "cxltier/heat.h"
#include "policy.h"

#define PC_DRAM_NODE	0
#define PC_FAR_NODE	1

/**
 * struct pc_opts - the command line
 * @chunks: chunks tracked
 * @chunk_bytes: size of one
 * @dram_fraction: DRAM's capacity over the chunks' bytes
 * @reads: reads per heat epoch (0: @chunks / 8)
 * @runs: timed rounds
 * @warm: untimed rounds first
 * @seed: of the synthetic accesses
 * @json: print JSON
 * @check: check every plan and hand-over
 */
struct pc_opts {
	size_t chunks;
	uint64_t chunk_bytes;
	double dram_fraction;
	size_t reads;
	unsigned int runs;
	unsigned int warm;
	uint64_t seed;
	int json;
	int check;
};

/**
 * struct pc_world - one copy of the chunks and the policy's state
 * @ch: the policy's input
 * @nodes: DRAM and far
 * @ctx: the policy's scratch
 * @st: the state handed from one decision to the next
 * @a: the shadows (the adaptive copy), or NULL
 * @mheat: the module's heat of each chunk (the plain copy), or NULL
 * @dram_chunks: chunks in DRAM now
 * @moves: moves planned in the timed rounds
 */
struct pc_world {
	struct policy_chunk *ch;
	struct policy_node nodes[2];
	struct policy_ctx *ctx;
	struct policy_state st;
	struct policy_adapt *a;
	uint64_t *mheat;
	size_t dram_chunks;
	uint64_t moves;
};

/* Bytes malloc has handed out now, small and mmapped blocks together. */
static uint64_t pc_allocated(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (uint64_t)mi.uordblks + mi.hblkhd;
}

static uint64_t pc_rand(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median, min and max of @v[0..@n) (sorted in place), in ms. */
static void pc_stats(uint64_t *v, size_t n, double out[3])
{
	qsort(v, n, sizeof(*v), cmp_u64);
	out[0] = v[n / 2] / 1e6;
	out[1] = v[0] / 1e6;
	out[2] = v[n - 1] / 1e6;
}

/* Keeps the compiler from dropping the pass. */
static volatile uint64_t pc_sink;

/* -o SECTION.KEY=VALUE, through the config parser. */
static int pc_set(struct config *cfg, const char *arg)
{
	char err[CONFIG_ERR_LEN];

	if (!config_set_option(cfg, arg, err, sizeof(err)))
		return 0;
	fprintf(stderr, "cxltier-bench: -o %s: %s\n", arg, err);
	return -EINVAL;
}

/* Nodes' free memory from where the chunks are. */
static void pc_nodes_update(struct pc_world *w, const struct pc_opts *o)
{
	w->nodes[0].free = w->nodes[0].capacity - w->dram_chunks * o->chunk_bytes;
	w->nodes[1].free = w->nodes[1].capacity - (o->chunks - w->dram_chunks) * o->chunk_bytes;
}

static int pc_world_init(struct pc_world *w, const struct pc_opts *o, const struct config *cfg,
			 size_t dram_cap_chunks, size_t dram_chunks, uint64_t *adapt_bytes)
{
	struct policy_adapt_made made = { 0 };
	uint64_t mark;
	size_t i;

	memset(w, 0, sizeof(*w));
	w->ch = calloc(o->chunks, sizeof(*w->ch));
	w->ctx = policy_ctx_new();
	if (!w->ch || !w->ctx)
		return -ENOMEM;
	for (i = 0; i < o->chunks; i++) {
		w->ch[i].bytes = (uint32_t)o->chunk_bytes;
		/* Spread over the range: DRAM's chunks are not the first ones. */
		w->ch[i].node = (i * dram_chunks / o->chunks) != ((i + 1) * dram_chunks / o->chunks) ?
				PC_DRAM_NODE : PC_FAR_NODE;
		w->dram_chunks += w->ch[i].node == PC_DRAM_NODE;
	}
	w->nodes[0] = (struct policy_node){ .node = PC_DRAM_NODE, .tier = POLICY_TIER_DRAM,
					    .capacity = dram_cap_chunks * o->chunk_bytes };
	w->nodes[1] = (struct policy_node){ .node = PC_FAR_NODE, .tier = 1,
					    .capacity = o->chunks * o->chunk_bytes };
	pc_nodes_update(w, o);
	if (!adapt_bytes) {
		w->mheat = calloc(o->chunks, sizeof(*w->mheat));
		return w->mheat ? 0 : -ENOMEM;
	}
	mark = pc_allocated();
	/* Every setting, as for a pool's blocks (creating writes seen). */
	if (policy_adapt_setup(&w->a, &made, cfg, true) < 0)
		return -ENOMEM;
	if (!w->a)
		return -EINVAL;
	if (policy_adapt_resize(w->a, o->chunks))
		return -ENOMEM;
	*adapt_bytes = pc_allocated() - mark;
	return 0;
}

static void pc_world_free(struct pc_world *w)
{
	policy_adapt_free(w->a);
	policy_ctx_free(w->ctx);
	free(w->mheat);
	free(w->ch);
}

/* --check: one complaint, counted. */
static unsigned long pc_failures;

static void pc_fail(const char *what, size_t chunk)
{
	if (pc_failures++ < 10)
		fprintf(stderr, "cxltier-bench: policy-cost: check: %s (chunk %zu)\n", what, chunk);
}

/* Apply @plan's moves to @w; with --check, check them first. */
static void pc_apply(struct pc_world *w, const struct pc_opts *o, const struct policy_plan *plan,
		     uint64_t now_ms, size_t dram_cap_chunks, uint8_t *seen)
{
	size_t i;

	if (o->check) {
		if (plan->nr_promote + plan->nr_demote != plan->nr_moves)
			pc_fail("promotions and demotions do not add up to the moves", 0);
		for (i = 0; i < plan->nr_moves; i++)
			seen[plan->moves[i].chunk] = 0;
	}
	for (i = 0; i < plan->nr_moves; i++) {
		const struct policy_move *m = &plan->moves[i];
		struct policy_chunk *c;

		if (m->chunk >= o->chunks) {
			pc_fail("a move of a chunk out of range", m->chunk);
			continue;
		}
		c = &w->ch[m->chunk];
		if (o->check) {
			bool promote = m->reason == POLICY_PROMOTE;

			if (seen[m->chunk]++)
				pc_fail("a chunk moved twice in one plan", m->chunk);
			if (m->from != c->node)
				pc_fail("a move from a node the chunk is not on", m->chunk);
			if (promote ? m->to != PC_DRAM_NODE || c->node != PC_FAR_NODE :
				      m->to != PC_FAR_NODE || c->node != PC_DRAM_NODE)
				pc_fail("a move in the wrong direction for its reason", m->chunk);
			if (m->reason != POLICY_PROMOTE && m->reason != POLICY_DEMOTE_SWAP &&
			    m->reason != POLICY_DEMOTE_PRESSURE)
				pc_fail("a move for a reason this setup has none of", m->chunk);
		}
		if (c->node == PC_DRAM_NODE)
			w->dram_chunks--;
		c->node = m->to;
		c->moved_ms = now_ms;
		if (c->node == PC_DRAM_NODE)
			w->dram_chunks++;
	}
	if (o->check && w->dram_chunks > dram_cap_chunks)
		pc_fail("DRAM holds more chunks than it has room for", w->dram_chunks);
	pc_nodes_update(w, o);
}

/* --check: every chunk got the followed shadow's heat, rounded up. */
static void pc_check_handover(const struct pc_world *w, const struct pc_opts *o, unsigned int k,
			      unsigned int shadows)
{
	size_t i;

	if (k >= shadows) {
		pc_fail("the followed shadow is out of range", k);
		return;
	}
	for (i = 0; i < o->chunks; i++) {
		uint64_t h = policy_adapt_heat(w->a, i, k);
		uint64_t want = (h >> (32 - CXLTIER_HEAT_SHIFT)) +
				!!(h & ((1ULL << (32 - CXLTIER_HEAT_SHIFT)) - 1));

		if (w->ch[i].heat != want) {
			pc_fail("a chunk's heat is not the followed shadow's", i);
			return;
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cxltier-bench policy-cost [--json] [--check] [--chunks N] [--runs N]\n"
		"                                 [--warm N] [--reads N] [--dram-fraction F]\n"
		"                                 [--chunk-size BYTES] [--seed N]\n"
		"                                 [--adaptive SETTINGS] [-o SECTION.KEY=VALUE]...\n"
		"The placement policy's cost per heat epoch and per decision, with the\n"
		"adaptive heat and without, on synthetic accesses: the agent's own pure\n"
		"code and cxltierd.conf's defaults (-o sets one, --adaptive is\n"
		"-o heat.adaptive_settings=SETTINGS).  Defaults: 1000000 chunks of 2 MiB,\n"
		"DRAM 0.1 of them, a chunk in 8 read per epoch, 10 untimed rounds, then\n"
		"5 timed (median, min, max).  --check: 20000 chunks, every plan and\n"
		"hand-over checked, exit 1 on a failure.\n");
}

int cmd_policy_cost(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_CHECK, OPT_CHUNKS, OPT_RUNS, OPT_WARM, OPT_READS,
	       OPT_FRACTION, OPT_CHUNK_SIZE, OPT_SEED, OPT_ADAPTIVE };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "chunks", required_argument, NULL, OPT_CHUNKS },
		{ "runs", required_argument, NULL, OPT_RUNS },
		{ "warm", required_argument, NULL, OPT_WARM },
		{ "reads", required_argument, NULL, OPT_READS },
		{ "dram-fraction", required_argument, NULL, OPT_FRACTION },
		{ "chunk-size", required_argument, NULL, OPT_CHUNK_SIZE },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "adaptive", required_argument, NULL, OPT_ADAPTIVE },
		{ "set", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pc_opts o = { 1000000, 2 << 20, 0.1, 0, 5, 10, 1, 0, 0 };
	struct pc_world ad, pl;
	struct config cfg;
	struct policy_plan plan;
	struct policy_input in;
	struct policy_ctx *mctx = NULL;
	uint64_t *t_epoch = NULL, *t_select = NULL, *t_plan = NULL, *t_dec = NULL, *t_plain = NULL;
	uint64_t *t_pass = NULL, rng, now_ms, t0, t1, t2, mark, adapt_bytes = 0, plan_bytes = 0;
	uint64_t factor, epoch_no = 0, switches = 0;
	uint32_t *reads = NULL;
	uint8_t *seen = NULL;
	size_t dram_cap, dram_fill, hot, hot_start = 0, nr_epochs = 0, i, r;
	unsigned int round, e, epd, k = 0, prev_k = 0;
	int c, ret = 0, set_chunks = 0;
	char err[CONFIG_ERR_LEN], settings[256], *end;
	double st[6][3], gotf;
	struct json_object *j, *f;
	int len;

	config_init(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		errno = 0;
		end = NULL;
		switch (c) {
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_CHECK:
			o.check = 1;
			break;
		case OPT_CHUNKS:
			o.chunks = strtoull(optarg, &end, 0);
			set_chunks = 1;
			break;
		case OPT_RUNS:
			o.runs = (unsigned int)strtoul(optarg, &end, 0);
			break;
		case OPT_WARM:
			o.warm = (unsigned int)strtoul(optarg, &end, 0);
			break;
		case OPT_READS:
			o.reads = strtoull(optarg, &end, 0);
			break;
		case OPT_FRACTION:
			o.dram_fraction = strtod(optarg, &end);
			break;
		case OPT_CHUNK_SIZE:
			o.chunk_bytes = strtoull(optarg, &end, 0);
			break;
		case OPT_SEED:
			o.seed = strtoull(optarg, &end, 0);
			break;
		case OPT_ADAPTIVE:
			snprintf(settings, sizeof(settings), "heat.adaptive_settings=%s", optarg);
			if (strlen(optarg) > 200 || pc_set(&cfg, settings))
				return BENCH_EXIT_USAGE;
			break;
		case 'o':
			if (pc_set(&cfg, optarg))
				return BENCH_EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return BENCH_EXIT_OK;
		default:
			usage(stderr);
			return BENCH_EXIT_USAGE;
		}
		if (errno || (end && *end)) {
			fprintf(stderr, "cxltier-bench: bad value '%s'\n", optarg);
			return BENCH_EXIT_USAGE;
		}
	}
	if (o.check && !set_chunks)
		o.chunks = 20000;
	if (!o.reads)
		o.reads = o.chunks / 8 ? o.chunks / 8 : 1;
	if (optind < argc || o.chunks < 100 || o.chunks > UINT32_MAX || !o.runs ||
	    o.runs > 1000 || o.warm > 1000 || !o.chunk_bytes || o.chunk_bytes > UINT32_MAX ||
	    !(o.dram_fraction > 0 && o.dram_fraction < 1) || o.reads > 100 * o.chunks ||
	    !o.seed) {
		usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	if (config_validate(&cfg, err, sizeof(err))) {
		fprintf(stderr, "cxltier-bench: %s\n", err);
		return BENCH_EXIT_USAGE;
	}
	if (!cfg.nr_adaptive) {
		fprintf(stderr, "cxltier-bench: policy-cost: no adaptive settings\n");
		return BENCH_EXIT_USAGE;
	}
	/* The settings as cxltierd.conf writes them (config_print's form). */
	for (len = 0, k = 0; k < cfg.nr_adaptive && len < (int)sizeof(settings); k++)
		len += snprintf(settings + len, sizeof(settings) - len, "%s%ums:%u.%03u%s",
				k ? "," : "", cfg.adaptive_set[k].half_life_ms,
				cfg.adaptive_set[k].write_weight_pm / 1000,
				cfg.adaptive_set[k].write_weight_pm % 1000,
				cfg.adaptive_set[k].recency ? ":last" : "");
	k = 0;
	epd = cfg.interval_ms / cfg.epoch_ms ? cfg.interval_ms / cfg.epoch_ms : 1;
	dram_cap = (size_t)(o.dram_fraction * o.chunks);
	if (!dram_cap)
		dram_cap = 1;
	/* Between the watermarks: the plans trade places, as a full DRAM does. */
	dram_fill = (size_t)((double)dram_cap *
			     (cfg.high_watermark_bp + cfg.low_watermark_bp) / 2 / CONFIG_BP_ONE);
	hot = o.chunks / 20 ? o.chunks / 20 : 1;

	ret = pc_world_init(&ad, &o, &cfg, dram_cap, dram_fill, &adapt_bytes);
	if (!ret)
		ret = pc_world_init(&pl, &o, &cfg, dram_cap, dram_fill, NULL);
	else
		memset(&pl, 0, sizeof(pl));
	t_epoch = calloc((size_t)o.runs * epd, sizeof(*t_epoch));
	t_select = calloc(o.runs, sizeof(*t_select));
	t_plan = calloc(o.runs, sizeof(*t_plan));
	t_dec = calloc(o.runs, sizeof(*t_dec));
	t_plain = calloc(o.runs, sizeof(*t_plain));
	t_pass = calloc(o.runs, sizeof(*t_pass));
	reads = calloc(o.chunks, sizeof(*reads));
	seen = calloc(o.chunks, 1);
	if (!ret && (!t_epoch || !t_select || !t_plan || !t_dec || !t_plain || !t_pass ||
		     !reads || !seen))
		ret = -ENOMEM;
	if (ret) {
		fprintf(stderr, "cxltier-bench: policy-cost: %s\n", strerror(-ret));
		ret = BENCH_EXIT_FAIL;
		goto out;
	}

	factor = cxltier_heat_factor(cfg.epoch_ms, cfg.half_life_ms);
	rng = o.seed * 0x9e3779b97f4a7c15ULL | 1;
	now_ms = 0;
	for (round = 0; round < o.warm + o.runs; round++) {
		int timed = round >= o.warm;
		unsigned int tr = round - o.warm;

		for (e = 0; e < epd; e++) {
			epoch_no++;
			/* The reads of this epoch, the same for both copies. */
			if (epoch_no == 1) {
				for (i = 0; i < o.chunks; i++)
					reads[i] = 1;
			} else {
				for (r = 0; r < o.reads; r++) {
					uint64_t x = pc_rand(&rng);

					if (x % 5)
						i = (hot_start + (x >> 8) % hot) % o.chunks;
					else
						i = (x >> 8) % o.chunks;
					reads[i]++;
				}
				hot_start = (hot_start + (hot / 10 ? hot / 10 : 1)) % o.chunks;
			}
			/* The adaptive copy's epoch: what cxltierd folds in. */
			t0 = clock_now_ns();
			for (i = 0; i < o.chunks; i++)
				if (reads[i])
					policy_adapt_read(ad.a, i, reads[i]);
			policy_adapt_epoch(ad.a);
			t1 = clock_now_ns();
			if (timed)
				t_epoch[nr_epochs++] = t1 - t0;
			/* The module's heat and the last access, untimed. */
			for (i = 0; i < o.chunks; i++) {
				pl.mheat[i] = cxltier_heat_epoch(pl.mheat[i], factor, reads[i]);
				pl.ch[i].heat = pl.mheat[i];
				if (reads[i])
					ad.ch[i].last_ms = pl.ch[i].last_ms = epoch_no;
				reads[i] = 0;
			}
		}
		now_ms += cfg.interval_ms;

		/* The adaptive decision. */
		in = (struct policy_input){ .cfg = &cfg, .nodes = ad.nodes, .nr_nodes = 2,
					    .chunks = ad.ch, .nr_chunks = o.chunks, .now_ms = now_ms };
		t0 = clock_now_ns();
		k = policy_adapt_decide(ad.a, now_ms, ad.dram_chunks, ad.ch, o.chunks);
		t1 = clock_now_ns();
		ret = policy_plan(ad.ctx, &in, &ad.st, &plan);
		t2 = clock_now_ns();
		if (ret)
			break;
		if (round && k != prev_k)
			switches++;
		prev_k = k;
		if (o.check)
			pc_check_handover(&ad, &o, k, cfg.nr_adaptive);
		ad.st = plan.state;
		if (timed) {
			t_select[tr] = t1 - t0;
			t_plan[tr] = t2 - t1;
			t_dec[tr] = t2 - t0;
			ad.moves += plan.nr_moves;
		}
		pc_apply(&ad, &o, &plan, now_ms, dram_cap, seen);

		/* The plain decision. */
		in.nodes = pl.nodes;
		in.chunks = pl.ch;
		t0 = clock_now_ns();
		ret = policy_plan(pl.ctx, &in, &pl.st, &plan);
		t1 = clock_now_ns();
		if (ret)
			break;
		pl.st = plan.state;
		if (timed) {
			t_plain[tr] = t1 - t0;
			pl.moves += plan.nr_moves;
		}
		pc_apply(&pl, &o, &plan, now_ms, dram_cap, seen);

		/* One pass over the policy's chunk array. */
		t0 = clock_now_ns();
		{
			uint64_t sum = 0;

			for (i = 0; i < o.chunks; i++)
				sum += ad.ch[i].heat;
			pc_sink += sum;
		}
		if (timed)
			t_pass[tr] = clock_now_ns() - t0;
	}
	if (ret) {
		fprintf(stderr, "cxltier-bench: policy-cost: policy_plan: %s\n", strerror(-ret));
		ret = BENCH_EXIT_FAIL;
		goto out;
	}
	/* The policy's scratch for one decision at this size, from nothing. */
	mark = pc_allocated();
	mctx = policy_ctx_new();
	in = (struct policy_input){ .cfg = &cfg, .nodes = ad.nodes, .nr_nodes = 2,
				    .chunks = ad.ch, .nr_chunks = o.chunks, .now_ms = now_ms };
	if (!mctx || policy_plan(mctx, &in, &ad.st, &plan)) {
		fprintf(stderr, "cxltier-bench: policy-cost: policy_plan: out of memory\n");
		ret = BENCH_EXIT_FAIL;
		goto out;
	}
	plan_bytes = pc_allocated() - mark;

	pc_stats(t_epoch, nr_epochs, st[0]);
	pc_stats(t_dec, o.runs, st[1]);
	pc_stats(t_select, o.runs, st[2]);
	pc_stats(t_plan, o.runs, st[3]);
	pc_stats(t_plain, o.runs, st[4]);
	pc_stats(t_pass, o.runs, st[5]);
	gotf = (double)adapt_bytes / o.chunks;
	if (o.json) {
		static const char *const names[6] = {
			"epoch_ms", "decision_ms", "select_ms", "plan_ms",
			"plain_decision_ms", "pass_ms",
		};

		j = json_object_new_object();
		json_object_object_add(j, "chunks", json_object_new_int64((int64_t)o.chunks));
		json_object_object_add(j, "chunk_bytes", json_object_new_int64((int64_t)o.chunk_bytes));
		json_object_object_add(j, "dram_chunks", json_object_new_int64((int64_t)dram_cap));
		json_object_object_add(j, "reads_per_epoch", json_object_new_int64((int64_t)o.reads));
		json_object_object_add(j, "epochs_per_decision", json_object_new_int((int)epd));
		json_object_object_add(j, "shadows", json_object_new_int((int)cfg.nr_adaptive));
		json_object_object_add(j, "adaptive_settings", json_object_new_string(settings));
		json_object_object_add(j, "runs", json_object_new_int((int)o.runs));
		for (i = 0; i < 6; i++) {
			f = json_object_new_object();
			json_object_object_add(f, "median", json_object_new_double(st[i][0]));
			json_object_object_add(f, "min", json_object_new_double(st[i][1]));
			json_object_object_add(f, "max", json_object_new_double(st[i][2]));
			json_object_object_add(j, names[i], f);
		}
		json_object_object_add(j, "decision_to_pass_ratio",
				       json_object_new_double(st[1][0] / st[5][0]));
		json_object_object_add(j, "epoch_to_pass_ratio",
				       json_object_new_double(st[0][0] / st[5][0]));
		json_object_object_add(j, "decision_to_plain_ratio",
				       json_object_new_double(st[1][0] / st[4][0]));
		json_object_object_add(j, "select_ms_per_shadow",
				       json_object_new_double(st[2][0] / cfg.nr_adaptive));
		json_object_object_add(j, "adaptive_bytes_per_chunk", json_object_new_double(gotf));
		json_object_object_add(j, "plan_bytes_per_chunk",
				       json_object_new_double((double)plan_bytes / o.chunks));
		json_object_object_add(j, "input_bytes_per_chunk",
				       json_object_new_int((int)sizeof(struct policy_chunk)));
		json_object_object_add(j, "moves_per_decision",
				       json_object_new_double((double)ad.moves / o.runs));
		json_object_object_add(j, "plain_moves_per_decision",
				       json_object_new_double((double)pl.moves / o.runs));
		json_object_object_add(j, "switches", json_object_new_int64((int64_t)switches));
		json_object_object_add(j, "followed", json_object_new_int((int)k));
		json_object_object_add(j, "check", json_object_new_boolean(o.check));
		json_object_object_add(j, "check_failures",
				       json_object_new_int64((int64_t)pc_failures));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	} else {
		printf("%zu chunks, %u shadows (%s), median of %u:\n", o.chunks, cfg.nr_adaptive,
		       settings, o.runs);
		printf("  heat epoch %.2f ms (%.1f passes), decision %.2f ms (%.1f passes): "
		       "select %.2f, plan %.2f\n", st[0][0], st[0][0] / st[5][0], st[1][0],
		       st[1][0] / st[5][0], st[2][0], st[3][0]);
		printf("  without the adaptive heat: decision %.2f ms (adaptive/plain %.2f); "
		       "one pass %.3f ms\n", st[4][0], st[1][0] / st[4][0], st[5][0]);
		printf("  memory per chunk: shadows %.1f B, plan scratch %.1f B, input %zu B\n",
		       gotf, (double)plan_bytes / o.chunks, sizeof(struct policy_chunk));
		if (o.check)
			printf("  check: %lu failures\n", pc_failures);
	}
	ret = pc_failures ? BENCH_EXIT_FAIL : BENCH_EXIT_OK;
out:
	policy_ctx_free(mctx);
	pc_world_free(&ad);
	pc_world_free(&pl);
	free(seen);
	free(reads);
	free(t_pass);
	free(t_plain);
	free(t_dec);
	free(t_plan);
	free(t_select);
	free(t_epoch);
	return ret;
}
