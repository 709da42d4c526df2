// SPDX-License-Identifier: GPL-2.0
/*
 * kvreplay: replay a KV-cache trace against cxltier's placement policy
 * and the baselines it is measured by.  See kvreplay(1).
 *
 * Two modes: --simulate, everything modelled on the host (sim.c,
 * baselines.c); --real, the module, the daemon and the fake accelerator
 * for real on a scaled-down pool (real.c, scale.c), reported next to the
 * simulation of the same run.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "model.h"
#include "real.h"
#include "report.h"
#include "scale.h"
#include "trace.h"
#include "units.h"

/* Exit codes (kvreplay(1)). */
enum {
	KVR_EXIT_OK = 0,
	KVR_EXIT_FAIL = 1,	/* the trace or a run failed */
	KVR_EXIT_USAGE = 2,	/* bad command line or settings */
};

/* The adaptive heat's shadows by default: cxltierd's (kvreplay(1)). */
#define KVR_ADAPT_DEFAULT	CONFIG_ADAPT_DEFAULT

/* Most DRAM sizes in one run. */
#define KVR_MAX_FRACTIONS	16

struct kvr_policy {
	const char *name;
	kvr_backend_fn run;
};

static const struct kvr_policy kvr_policies[] = {
	{ "static", kvr_run_static },
	{ "lru", kvr_run_lru },
	{ "oracle-static", kvr_run_oracle_static },
	{ "cxltier", kvr_run_cxltier },
	{ "cxltier+hints", kvr_run_cxltier_hints },
};
#define KVR_NR_POLICIES (sizeof(kvr_policies) / sizeof(kvr_policies[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvreplay --simulate [OPTIONS] TRACE\n"
		"       kvreplay --real [OPTIONS] TRACE\n"
		"       kvreplay generate FAMILY [--seed N] [--requests N] [--duration S]\n"
		"                [--prefixes N] [--prefix-blocks N] [--turns N] [--think S]\n"
		"                [--zipf X] [--phases N]\n"
		"\n"
		"Replay a Mooncake-format KV-cache trace (one JSON object per line;\n"
		"\"-\" reads standard input) and report the share of block accesses\n"
		"served from DRAM for each placement policy.\n"
		"\n"
		"generate writes a trace of one family (chat, shared, agentic, rag, scan,\n"
		"shift) to standard output.\n"
		"\n"
		"Options:\n"
		"  --simulate               model the placement on the host\n"
		"  --real                   run cxltier for real (cxltier.ko, cxltierd and\n"
		"                           cxltier_test_accel.ko; as root) and compare\n"
		"                           with the simulation of the same run\n"
		"  --real-mode MODE         --real: pool (default: a libcxltier block pool,\n"
		"                           moved by copy-then-swap, pins held) or buffer\n"
		"                           (one pinned buffer, moved by the release / move /\n"
		"                           re-pin handshake)\n"
		"  --speed N                --real: play the trace N times faster (1-1000,\n"
		"                           default 10); cxltierd's times scale with it\n"
		"  --agent PATH             --real: the cxltierd to start (default cxltierd)\n"
		"  --workdir DIR            --real: keep cxltierd's config, log and metrics\n"
		"                           there (default: a temporary directory)\n"
		"  --max-diff D             --real: fail when the real and simulated\n"
		"                           cxltier hit ratios differ by more than D\n"
		"  --policy LIST            of static, lru, oracle-static, cxltier,\n"
		"                           cxltier+hints (default: all; OPT and the\n"
		"                           reactive ceiling are always shown)\n"
		"  --dram-fraction LIST     DRAM capacity as fractions of the distinct\n"
		"                           blocks, e.g. 0.05,0.1,0.25 (default 0.1)\n"
		"  --block-size SIZE        bytes of one block/chunk (default 2MiB,\n"
		"                           --real: 64KiB)\n"
		"  --config FILE            take cxltier's settings from a cxltierd.conf\n"
		"  -o, --set SECTION.KEY=VALUE\n"
		"                           override one setting, e.g. policy.rate_limit=1GiB/s\n"
		"  --dram-bw GBPS           DRAM bandwidth, GB/s (default 100)\n"
		"  --far-bw GBPS            far-memory bandwidth, GB/s (default 30)\n"
		"  --device-weight N        heat of one device access (default 1)\n"
		"  --report-writes          report the write that creates a block as a\n"
		"                           whole read (--write-weight 1)\n"
		"  --write-weight F         --simulate: heat of the creating write, as a\n"
		"                           fraction of a read's, 0-16 (default 0.25)\n"
		"  --no-recency             --simulate: do not tell the policy each block's\n"
		"                           last access (ties of heat go by block)\n"
		"  --recency-epoch          --simulate: tell it the heat epoch of the last\n"
		"                           access, as cxltierd knows it (default: its time)\n"
		"  --adaptive LIST          --simulate: follow the best of these heat settings,\n"
		"                           HALF_LIFE:WRITE_WEIGHT,... (default\n"
		"                           " KVR_ADAPT_DEFAULT ")\n"
		"  --no-adaptive            --simulate: [heat] half_life and --write-weight alone\n"
		"                           (default: [heat] adaptive and adaptive_settings)\n"
		"  --hint-lead MS           cxltier+hints: a request's will-read hint comes\n"
		"                           this long before it (default 10)\n"
		"  --hint-bw SIZE           cxltier+hints: bytes per second of hinted\n"
		"                           promotions (default 10GiB)\n"
		"  --requests N             replay only the first N requests\n"
		"  --heat-log FILE          write cxltier's heat and tiers per decision, for\n"
		"                           cxltierctl heatmap --input (one DRAM fraction;\n"
		"                           --real: the module's heat and the pages' tier)\n"
		"  --heat-log-every N       log every Nth decision (default 1)\n"
		"  --heat-log-chunks N      log the first N chunks (default 1000)\n"
		"  --skip-bad-lines         report malformed lines and go on\n"
		"  --max-line-bytes SIZE    longest trace line (default 16MiB)\n"
		"  --max-request-blocks N   most blocks in one request (default 1048576)\n"
		"  --max-accesses N         most block accesses (default 268435456)\n"
		"  --max-blocks N           most distinct blocks (default 67108864)\n"
		"  --json                   JSON: one object per policy and DRAM size\n"
		"  --version                print kvreplay's version\n"
		"  -h, --help               this text\n"
		"\n"
		"See kvreplay(1).\n");
}

/* A positive finite number. */
static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* HALF_LIFE:WEIGHT,... into @p's shadows (as [heat] adaptive_settings); 0 or -EINVAL. */
static int parse_adapt(const char *arg, struct kvr_params *p)
{
	struct config_adapt set[CONFIG_MAX_ADAPT];
	uint32_t n, k;

	if (config_parse_adapt(arg, set, &n, NULL, 0))
		return -EINVAL;
	for (k = 0; k < n; k++) {
		p->adapt[k].half_life_ms = set[k].half_life_ms;
		p->adapt[k].write_weight_pm = set[k].write_weight_pm;
		p->adapt[k].recency = set[k].recency;
	}
	p->nr_adapt = n;
	return 0;
}

static int parse_count(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v;

	if (units_parse_decimal(s, 1, &v) || strchr(s, '.') || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* -o SECTION.KEY=VALUE, through the config parser. */
static int apply_set(struct config *cfg, const char *arg)
{
	char err[CONFIG_ERR_LEN];

	if (!config_set_option(cfg, arg, err, sizeof(err)))
		return 0;
	fprintf(stderr, "kvreplay: -o %s: %s\n", arg, err);
	return -EINVAL;
}

/* Keep the first @n requests of @t. */
static void truncate_trace(struct kvr_trace *t, size_t n)
{
	size_t i;
	uint32_t max = 0;

	if (n >= t->nr_req)
		return;
	t->nr_req = n;
	t->nr_access = n ? t->req[n - 1].first + t->req[n - 1].nr : 0;
	for (i = 0; i < t->nr_access; i++)
		if (t->blocks[i] + 1 > max)
			max = t->blocks[i] + 1;
	t->nr_blocks = max;
}

/* The block pool's lines of the real run's facts. */
static void real_header_pool(FILE *f, const struct kvr_real_info *info,
			     const struct kvr_result *res)
{
	const struct cxltier_pool_stats *st = &info->pool;
	char sz[32];

	fprintf(f, "          block pool: %llu blocks promoted, %llu demoted (cxltierd counted %llu and %llu),\n"
		"          %llu copies of %s\n"
		"          at %.2f GB/s against memcpy %.2f GB/s (%.2fx); skipped %llu busy, %llu stale,\n"
		"          %llu already there, %llu refused (full), %llu failed; %llu created in far memory\n",
		(unsigned long long)res->promoted, (unsigned long long)res->demoted,
		(unsigned long long)info->agent_pool_promotions,
		(unsigned long long)info->agent_pool_demotions, (unsigned long long)st->moves,
		units_format_size(st->bytes_moved, sz, sizeof(sz)),
		kvr_real_copy_gbps(info), kvr_real_memcpy_gbps(info),
		kvr_real_copy_ratio(info), (unsigned long long)st->skipped_busy,
		(unsigned long long)st->skipped_stale, (unsigned long long)st->skipped_same,
		(unsigned long long)st->refused_full, (unsigned long long)st->failed,
		(unsigned long long)info->created_far);
	fprintf(f, "          pins %s (%llu pages, %llu samples, fewest %llu); verified %s: %llu corrupt bytes\n",
		kvr_real_pins_held(info) ? "held throughout" : "DROPPED",
		(unsigned long long)info->pinned_pages, (unsigned long long)info->pin_samples,
		(unsigned long long)info->pinned_min,
		units_format_size(info->bytes_verified, sz, sizeof(sz)),
		(unsigned long long)info->corrupt_bytes);
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* Three decimals, as printed. */
static void add_3(struct json_object *o, const char *key, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", v);
	json_object_object_add(o, key, json_object_new_double_s(v, buf));
}

/* The block pool's keys of the JSON report (kvreplay(1)). */
static void real_json_pool(struct json_object *o, const struct kvr_real_info *info)
{
	const struct cxltier_pool_stats *st = &info->pool;

	add_u64(o, "pool_moves", st->moves);
	add_u64(o, "pool_bytes_moved", st->bytes_moved);
	add_u64(o, "pool_copy_ns", st->copy_ns);
	add_3(o, "copy_gbps", kvr_real_copy_gbps(info));
	add_3(o, "memcpy_gbps", kvr_real_memcpy_gbps(info));
	add_3(o, "copy_ratio_to_memcpy", kvr_real_copy_ratio(info));
	add_u64(o, "agent_pool_promotions", info->agent_pool_promotions);
	add_u64(o, "agent_pool_demotions", info->agent_pool_demotions);
	add_u64(o, "skipped_busy", st->skipped_busy);
	add_u64(o, "skipped_stale", st->skipped_stale);
	add_u64(o, "skipped_same", st->skipped_same);
	add_u64(o, "refused_full", st->refused_full);
	add_u64(o, "failed_moves", st->failed);
	add_u64(o, "blocks_created_far", info->created_far);
	add_u64(o, "dram_blocks_end", st->blocks_on[0]);
	add_u64(o, "report_errors", info->report_errors);
	add_u64(o, "pinned_pages", info->pinned_pages);
	add_u64(o, "pinned_min", info->pinned_min);
	add_u64(o, "pin_samples", info->pin_samples);
	add_u64(o, "pin_drops", info->pin_drops);
	json_object_object_add(o, "pins_held", json_object_new_boolean(kvr_real_pins_held(info)));
}

/* Print the real run's facts, once, before the table. */
static void real_header(FILE *f, const struct kvr_trace *t, const struct kvr_params *p,
			const struct kvr_real_opts *o, const struct kvr_real_info *info,
			const struct kvr_result *res)
{
	const struct config *w = &info->cfg_wall;
	char sz[32], cap[32], rate[32];

	units_format_size(info->dram_capacity, cap, sizeof(cap));
	if (w->rate_limit_Bps)
		snprintf(rate, sizeof(rate), "%s/s", units_format_size(w->rate_limit_Bps, sz, sizeof(sz)));
	else
		snprintf(rate, sizeof(rate), "unlimited");
	fprintf(f, "real:     speed %ux: epoch %ums, half-life %ums, interval %ums, rate limit %s,\n"
		"          min residency %ums, far %ums (%s)\n",
		o->speed, w->epoch_ms, w->half_life_ms, w->interval_ms, rate, w->min_residency_ms,
		w->min_far_residency_ms, info->dropin);
	fprintf(f, "          DRAM budget %u blocks (%.4g x %u distinct = %llu, rounded to dram_share %u.%02u%% of %s DRAM)\n",
		p->dram_blocks, p->dram_fraction, t->nr_blocks, (unsigned long long)info->want_blocks, info->share_bp / 100, info->share_bp % 100, cap);
	fprintf(f, "          replay %.1f s (latest request %.0f ms late), %llu device reads (%llu failed, %llu during a move)\n",
		info->wall_s, info->max_late_ms, (unsigned long long)info->dma_reads,
		(unsigned long long)info->dma_errors, (unsigned long long)info->dma_skipped);
	if (o->mode == KVR_REAL_POOL) {
		real_header_pool(f, info, res);
		return;
	}
	fprintf(f, "          %llu moves (release/move/re-pin); cxltierd: %llu promotions, %llu demotions, %s\n",
		(unsigned long long)info->handshakes, (unsigned long long)info->agent_promotions,
		(unsigned long long)info->agent_demotions,
		units_format_size(info->agent_migrated_bytes, sz, sizeof(sz)));
	fprintf(f, "          verified %s: %llu corrupt bytes; %llu blocks created off their tier\n",
		units_format_size(info->bytes_verified, sz, sizeof(sz)),
		(unsigned long long)info->corrupt_bytes, (unsigned long long)info->misplaced);
}

static double hit_ratio(const struct kvr_result *r)
{
	return r->accesses ? (double)r->dram_hits / (double)r->accesses : 0;
}

/*
 * --real: the run, then the simulation of the same run (same prefix,
 * DRAM budget and settings in trace time), static and the references.
 */
static int run_real(const char *name, const struct kvr_trace *t, struct kvr_params *p,
		    struct kvr_real_opts *o, int json, double max_diff)
{
	struct kvr_result res[4], belady, lru;
	struct kvr_real_info info;
	char err[CONFIG_ERR_LEN + 256];
	double diff;
	int rc, status = KVR_EXIT_OK;

	memset(res, 0, sizeof(res));
	memset(&belady, 0, sizeof(belady));
	memset(&lru, 0, sizeof(lru));
	memset(&info, 0, sizeof(info));
	o->story = stderr;
	rc = kvr_real_prepare(t, p, o, &info, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "kvreplay: --real: %s\n", err);
		return rc == -EINVAL ? KVR_EXIT_USAGE : KVR_EXIT_FAIL;
	}
	snprintf(res[3].policy, sizeof(res[3].policy), "cxltier");
	snprintf(res[3].mode, sizeof(res[3].mode), "real");
	rc = kvr_real_run(t, p, o, &info, &res[3], err, sizeof(err));
	if (rc) {
		fprintf(stderr, "kvreplay: --real: %s\n", err);
		return KVR_EXIT_FAIL;
	}

	/* The heat log is the real run's. */
	p->heat_log = NULL;
	snprintf(res[0].policy, sizeof(res[0].policy), "static");
	snprintf(res[1].policy, sizeof(res[1].policy), "lru");
	snprintf(res[2].policy, sizeof(res[2].policy), "cxltier");
	snprintf(res[0].mode, sizeof(res[0].mode), "simulate");
	snprintf(res[1].mode, sizeof(res[1].mode), "simulate");
	snprintf(res[2].mode, sizeof(res[2].mode), "simulate");
	if (kvr_run_static(t, p, &res[0]) || kvr_run_lru(t, p, &res[1]) ||
	    kvr_run_cxltier(t, p, &res[2]) || kvr_run_belady(t, p, &belady) ||
	    kvr_run_lru(t, p, &lru)) {
		fprintf(stderr, "kvreplay: the simulation failed\n");
		return KVR_EXIT_FAIL;
	}
	diff = hit_ratio(&res[3]) - hit_ratio(&res[2]);

	if (json) {
		struct json_object *arr = json_object_new_array(), *o3;
		char buf[32];

		kvr_report_json(arr, p, res, 4, &belady, &lru);
		o3 = json_object_array_get_idx(arr, 3);
		snprintf(buf, sizeof(buf), "%.4f", diff);
		json_object_object_add(o3, "diff_to_simulate", json_object_new_double_s(diff, buf));
		json_object_object_add(o3, "real_mode", json_object_new_string(
					       o->mode == KVR_REAL_POOL ? "pool" : "buffer"));
		json_object_object_add(o3, "speed", json_object_new_uint64(o->speed));
		json_object_object_add(o3, "dram_share_bp", json_object_new_uint64(info.share_bp));
		json_object_object_add(o3, "moves", json_object_new_uint64(
					       o->mode == KVR_REAL_POOL ? info.pool.moves : info.handshakes));
		json_object_object_add(o3, "device_reads", json_object_new_uint64(info.dma_reads));
		json_object_object_add(o3, "device_read_errors",
				       json_object_new_uint64(info.dma_errors));
		json_object_object_add(o3, "bytes_verified",
				       json_object_new_uint64(info.bytes_verified));
		json_object_object_add(o3, "corrupt_bytes", json_object_new_uint64(info.corrupt_bytes));
		json_object_object_add(o3, "misplaced_blocks", json_object_new_uint64(info.misplaced));
		json_object_object_add(o3, "agent_promotions",
				       json_object_new_uint64(info.agent_promotions));
		json_object_object_add(o3, "agent_demotions",
				       json_object_new_uint64(info.agent_demotions));
		if (o->mode == KVR_REAL_POOL)
			real_json_pool(o3, &info);
		snprintf(buf, sizeof(buf), "%.3f", info.wall_s);
		json_object_object_add(o3, "wall_s", json_object_new_double_s(info.wall_s, buf));
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	} else {
		kvr_report_header(stdout, name, t, p);
		real_header(stdout, t, p, o, &info, &res[3]);
		kvr_report_table(stdout, p, res, 4, &belady, &lru);
		printf("\nreal - simulate: %+.4f DRAM hit ratio", diff);
		if (max_diff >= 0)
			printf(" (tolerance %.4g: %s)", max_diff,
			       fabs(diff) <= max_diff + 1e-12 ? "within" : "OUTSIDE");
		printf("\n");
	}
	if (info.corrupt_bytes || info.dma_errors || info.misplaced) {
		fprintf(stderr, "kvreplay: --real: %llu corrupt bytes, %llu failed device reads, %llu misplaced blocks\n",
			(unsigned long long)info.corrupt_bytes, (unsigned long long)info.dma_errors,
			(unsigned long long)info.misplaced);
		status = KVR_EXIT_FAIL;
	}
	if (o->mode == KVR_REAL_POOL && !kvr_real_pins_held(&info)) {
		fprintf(stderr, "kvreplay: --real: the pool's pins were not held throughout: %llu of %llu pages at the fewest, %llu drops in %llu samples\n",
			(unsigned long long)info.pinned_min, (unsigned long long)info.pinned_pages,
			(unsigned long long)info.pin_drops, (unsigned long long)info.pin_samples);
		status = KVR_EXIT_FAIL;
	}
	if (max_diff >= 0 && fabs(diff) > max_diff + 1e-12) {
		fprintf(stderr, "kvreplay: --real: hit ratio %.4f real, %.4f simulated: %+.4f is over --max-diff %.4g\n",
			hit_ratio(&res[3]), hit_ratio(&res[2]), diff, max_diff);
		status = KVR_EXIT_FAIL;
	}
	if (fflush(stdout) || ferror(stdout))
		status = KVR_EXIT_FAIL;
	return status;
}

/* kvreplay generate FAMILY [OPTIONS]: a trace on standard output. */
static int generate(int argc, char **argv)
{
	static const struct option gopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "requests", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "prefixes", required_argument, NULL, 'p' },
		{ "prefix-blocks", required_argument, NULL, 'b' },
		{ "turns", required_argument, NULL, 't' },
		{ "think", required_argument, NULL, 'k' },
		{ "zipf", required_argument, NULL, 'z' },
		{ "phases", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kvr_gen_params gp = { 0 };
	uint64_t v, max;
	uint32_t *field;
	double z;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", gopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_count(optarg, 0, UINT64_MAX, &gp.seed) &&
			    strcmp(optarg, "0")) {
				fprintf(stderr, "kvreplay: generate: --seed: '%s' is not an unsigned integer\n", optarg);
				return KVR_EXIT_USAGE;
			}
			if (!strcmp(optarg, "0"))
				gp.seed = 0;
			continue;
		case 'z':
			if (parse_double(optarg, 0.01, 4, &z)) {
				fprintf(stderr, "kvreplay: generate: --zipf: '%s' is not in [0.01, 4]\n", optarg);
				return KVR_EXIT_USAGE;
			}
			gp.zipf_centi = (uint32_t)lround(z * 100);
			continue;
		case 'r': field = &gp.requests; max = 10000000; break;
		case 'd': field = &gp.duration_s; max = 10000000; break;
		case 'p': field = &gp.prefixes; max = 1000000; break;
		case 'b': field = &gp.prefix_blocks; max = 128; break;
		case 't': field = &gp.turns; max = 1000; break;
		case 'k': field = &gp.think_s; max = 86400; break;
		case 'f': field = &gp.phases; max = 1000; break;
		case 'h':
			usage(stdout);
			return KVR_EXIT_OK;
		default:
			usage(stderr);
			return KVR_EXIT_USAGE;
		}
		if (parse_count(optarg, 1, max, &v)) {
			fprintf(stderr, "kvreplay: generate: %s: '%s' is not an integer in [1, %llu]\n",
				argv[optind - 1], optarg, (unsigned long long)max);
			return KVR_EXIT_USAGE;
		}
		*field = (uint32_t)v;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "kvreplay: generate: give one family\n");
		usage(stderr);
		return KVR_EXIT_USAGE;
	}
	rc = kvr_generate(argv[optind], &gp, stdout);
	if (rc == -EINVAL) {
		fprintf(stderr, "kvreplay: generate: '%s' is not a family (chat, shared, agentic, rag, scan, shift), or its parameters do not fit it\n",
			argv[optind]);
		return KVR_EXIT_USAGE;
	}
	if (rc) {
		fprintf(stderr, "kvreplay: generate: %s\n", strerror(-rc));
		return KVR_EXIT_FAIL;
	}
	return KVR_EXIT_OK;
}

int main(int argc, char **argv)
{
	enum {
		OPT_SIMULATE = 256, OPT_POLICY, OPT_FRACTION, OPT_BLOCK, OPT_CONFIG,
		OPT_DRAM_BW, OPT_FAR_BW, OPT_WEIGHT, OPT_REQUESTS, OPT_SKIP,
		OPT_MAX_LINE, OPT_MAX_REQ, OPT_MAX_ACC, OPT_MAX_BLOCKS, OPT_JSON,
		OPT_VERSION, OPT_WRITES, OPT_HEAT_LOG, OPT_HEAT_EVERY, OPT_HEAT_CHUNKS,
		OPT_REAL, OPT_REAL_MODE, OPT_SPEED, OPT_AGENT, OPT_WORKDIR, OPT_MAX_DIFF,
		OPT_WRITE_WEIGHT, OPT_NO_RECENCY, OPT_RECENCY_EPOCH, OPT_HINT_LEAD, OPT_HINT_BW,
		OPT_ADAPTIVE, OPT_NO_ADAPTIVE,
	};
	static const struct option longopts[] = {
		{ "simulate", no_argument, NULL, OPT_SIMULATE },
		{ "real", no_argument, NULL, OPT_REAL },
		{ "real-mode", required_argument, NULL, OPT_REAL_MODE },
		{ "speed", required_argument, NULL, OPT_SPEED },
		{ "agent", required_argument, NULL, OPT_AGENT },
		{ "workdir", required_argument, NULL, OPT_WORKDIR },
		{ "max-diff", required_argument, NULL, OPT_MAX_DIFF },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "dram-fraction", required_argument, NULL, OPT_FRACTION },
		{ "block-size", required_argument, NULL, OPT_BLOCK },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "set", required_argument, NULL, 'o' },
		{ "dram-bw", required_argument, NULL, OPT_DRAM_BW },
		{ "far-bw", required_argument, NULL, OPT_FAR_BW },
		{ "device-weight", required_argument, NULL, OPT_WEIGHT },
		{ "report-writes", no_argument, NULL, OPT_WRITES },
		{ "write-weight", required_argument, NULL, OPT_WRITE_WEIGHT },
		{ "no-recency", no_argument, NULL, OPT_NO_RECENCY },
		{ "recency-epoch", no_argument, NULL, OPT_RECENCY_EPOCH },
		{ "adaptive", required_argument, NULL, OPT_ADAPTIVE },
		{ "no-adaptive", no_argument, NULL, OPT_NO_ADAPTIVE },
		{ "hint-lead", required_argument, NULL, OPT_HINT_LEAD },
		{ "hint-bw", required_argument, NULL, OPT_HINT_BW },
		{ "heat-log", required_argument, NULL, OPT_HEAT_LOG },
		{ "heat-log-every", required_argument, NULL, OPT_HEAT_EVERY },
		{ "heat-log-chunks", required_argument, NULL, OPT_HEAT_CHUNKS },
		{ "requests", required_argument, NULL, OPT_REQUESTS },
		{ "skip-bad-lines", no_argument, NULL, OPT_SKIP },
		{ "max-line-bytes", required_argument, NULL, OPT_MAX_LINE },
		{ "max-request-blocks", required_argument, NULL, OPT_MAX_REQ },
		{ "max-accesses", required_argument, NULL, OPT_MAX_ACC },
		{ "max-blocks", required_argument, NULL, OPT_MAX_BLOCKS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kvr_params p = {
		.block_bytes = 2ULL << 20,
		.dram_GBps = 100,
		.far_GBps = 30,
		.device_weight = 1,
		.write_weight_pm = 250,
		.recency = KVR_RECENCY_MS,
		.hint_lead_ms = 10,
		.hint_Bps = 10ULL << 30,
		.heat_log_every = 1,
		.heat_log_chunks = 1000,
	};
	const char *heat_log = NULL;
	struct kvr_trace_opts topts;
	struct kvr_trace t;
	double fractions[KVR_MAX_FRACTIONS] = { 0.1 };
	size_t nr_fractions = 1, f, i;
	bool selected[KVR_NR_POLICIES];
	const char *config_path = NULL, **sets = NULL;
	size_t nr_sets = 0;
	uint64_t v, requests = UINT64_MAX;
	int simulate = 0, real = 0, json = 0, c, rc, status = KVR_EXIT_OK;
	int block_set = 0, policy_set = 0, real_only = 0, sim_only = 0, adapt_set = 0;
	struct kvr_real_opts ro = {
		.speed = 10,
		.agent = "cxltierd",
		.label = "kv-cache",
	};
	double max_diff = -1;
	struct json_object *arr = NULL;
	char err[CONFIG_ERR_LEN];

	if (argc > 1 && !strcmp(argv[1], "generate"))
		return generate(argc - 1, argv + 1);
	kvr_trace_opts_init(&topts);
	for (i = 0; i < KVR_NR_POLICIES; i++)
		selected[i] = true;
	sets = calloc((size_t)argc, sizeof(*sets));
	if (!sets)
		return KVR_EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SIMULATE:
			simulate = 1;
			break;
		case OPT_REAL:
			real = 1;
			break;
		case OPT_REAL_MODE:
			if (!strcmp(optarg, "pool")) {
				ro.mode = KVR_REAL_POOL;
			} else if (!strcmp(optarg, "buffer")) {
				ro.mode = KVR_REAL_BUFFER;
			} else {
				fprintf(stderr, "kvreplay: --real-mode: '%s' is not pool or buffer\n",
					optarg);
				return KVR_EXIT_USAGE;
			}
			real_only = 1;
			break;
		case OPT_SPEED:
			if (kvr_parse_speed(optarg, &ro.speed)) {
				fprintf(stderr, "kvreplay: --speed: '%s' is not an integer in [1, %u]\n",
					optarg, KVR_MAX_SPEED);
				return KVR_EXIT_USAGE;
			}
			real_only = 1;
			break;
		case OPT_AGENT:
		case OPT_WORKDIR:
			if (!*optarg || strlen(optarg) > PATH_MAX - 64) {
				fprintf(stderr, "kvreplay: %s: '%s' is not a usable path\n",
					argv[optind - 1], optarg);
				return KVR_EXIT_USAGE;
			}
			if (c == OPT_AGENT)
				ro.agent = optarg;
			else
				ro.workdir = optarg;
			real_only = 1;
			break;
		case OPT_MAX_DIFF:
			if (parse_double(optarg, 0, 1, &max_diff)) {
				fprintf(stderr, "kvreplay: --max-diff: '%s' is not in [0, 1]\n", optarg);
				return KVR_EXIT_USAGE;
			}
			real_only = 1;
			break;
		case OPT_POLICY: {
			char *list = strdup(optarg), *tok, *save = NULL;

			if (!list)
				return KVR_EXIT_FAIL;
			memset(selected, 0, sizeof(selected));
			policy_set = 1;
			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				for (i = 0; i < KVR_NR_POLICIES; i++)
					if (!strcmp(tok, kvr_policies[i].name))
						break;
				if (i == KVR_NR_POLICIES && !strcmp(tok, "belady")) {
					fprintf(stderr, "kvreplay: --policy: belady is the reactive_ceiling yardstick, reported with every policy\n");
					free(list);
					return KVR_EXIT_USAGE;
				}
				if (i == KVR_NR_POLICIES) {
					fprintf(stderr, "kvreplay: --policy: unknown policy '%s'\n", tok);
					free(list);
					return KVR_EXIT_USAGE;
				}
				selected[i] = true;
			}
			free(list);
			break;
		}
		case OPT_FRACTION: {
			char *list = strdup(optarg), *tok, *save = NULL;

			if (!list)
				return KVR_EXIT_FAIL;
			nr_fractions = 0;
			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (nr_fractions == KVR_MAX_FRACTIONS ||
				    parse_double(tok, 0, 1, &fractions[nr_fractions])) {
					fprintf(stderr, "kvreplay: --dram-fraction: '%s' is not a fraction in [0, 1] (at most %d)\n",
						tok, KVR_MAX_FRACTIONS);
					free(list);
					return KVR_EXIT_USAGE;
				}
				nr_fractions++;
			}
			free(list);
			if (!nr_fractions) {
				fprintf(stderr, "kvreplay: --dram-fraction: empty list\n");
				return KVR_EXIT_USAGE;
			}
			break;
		}
		case OPT_BLOCK:
			if (units_parse_size(optarg, &v) || v < 4096 || v > (1ULL << 30)) {
				fprintf(stderr, "kvreplay: --block-size: '%s' is not a size in [4KiB, 1GiB]\n",
					optarg);
				return KVR_EXIT_USAGE;
			}
			p.block_bytes = v;
			block_set = 1;
			break;
		case OPT_CONFIG:
			config_path = optarg;
			break;
		case 'o':
			sets[nr_sets++] = optarg;
			break;
		case OPT_DRAM_BW:
		case OPT_FAR_BW:
			if (parse_double(optarg, 1e-3, 1e6, c == OPT_DRAM_BW ? &p.dram_GBps : &p.far_GBps)) {
				fprintf(stderr, "kvreplay: %s: '%s' is not a bandwidth in GB/s\n",
					argv[optind - 1], optarg);
				return KVR_EXIT_USAGE;
			}
			break;
		case OPT_WEIGHT:
			if (parse_count(optarg, 1, 1000000, &v)) {
				fprintf(stderr, "kvreplay: --device-weight: '%s' is not in [1, 1000000]\n", optarg);
				return KVR_EXIT_USAGE;
			}
			p.device_weight = (uint32_t)v;
			break;
		case OPT_WRITES:
			p.report_writes = 1;
			p.write_weight_pm = 1000;
			break;
		case OPT_WRITE_WEIGHT: {
			double w;

			if (parse_double(optarg, 0, 16, &w)) {
				fprintf(stderr, "kvreplay: --write-weight: '%s' is not in [0, 16]\n", optarg);
				return KVR_EXIT_USAGE;
			}
			p.write_weight_pm = (uint32_t)lround(w * 1000);
			sim_only = 1;
			break;
		}
		case OPT_ADAPTIVE:
			if (parse_adapt(optarg, &p)) {
				fprintf(stderr, "kvreplay: --adaptive: '%s' is not a list of at most %d HALF_LIFE:WEIGHT (0-1h, 0-16)\n",
					optarg, POLICY_ADAPT_MAX);
				return KVR_EXIT_USAGE;
			}
			adapt_set = 1;
			sim_only = 1;
			break;
		case OPT_NO_ADAPTIVE:
			p.nr_adapt = 0;
			adapt_set = 1;
			sim_only = 1;
			break;
		case OPT_NO_RECENCY:
			p.recency = 0;
			sim_only = 1;
			break;
		case OPT_RECENCY_EPOCH:
			p.recency = KVR_RECENCY_EPOCH;
			sim_only = 1;
			break;
		case OPT_HINT_LEAD:
			if (parse_count(optarg, 0, 60000, &v) && strcmp(optarg, "0")) {
				fprintf(stderr, "kvreplay: --hint-lead: '%s' is not milliseconds in [0, 60000]\n", optarg);
				return KVR_EXIT_USAGE;
			}
			p.hint_lead_ms = strcmp(optarg, "0") ? (uint32_t)v : 0;
			sim_only = 1;
			break;
		case OPT_HINT_BW:
			if (units_parse_size(optarg, &v) || v < (1 << 20) || v > (1ULL << 40)) {
				fprintf(stderr, "kvreplay: --hint-bw: '%s' is not a size per second in [1MiB, 1TiB]\n", optarg);
				return KVR_EXIT_USAGE;
			}
			p.hint_Bps = v;
			sim_only = 1;
			break;
		case OPT_HEAT_LOG:
			heat_log = optarg;
			break;
		case OPT_HEAT_EVERY:
		case OPT_HEAT_CHUNKS:
			if (parse_count(optarg, 1, UINT32_MAX, &v)) {
				fprintf(stderr, "kvreplay: %s: '%s' is not a positive count\n",
					argv[optind - 1], optarg);
				return KVR_EXIT_USAGE;
			}
			if (c == OPT_HEAT_EVERY)
				p.heat_log_every = (uint32_t)v;
			else
				p.heat_log_chunks = (uint32_t)v;
			break;
		case OPT_REQUESTS:
			if (parse_count(optarg, 1, UINT64_MAX, &requests)) {
				fprintf(stderr, "kvreplay: --requests: '%s' is not a positive count\n", optarg);
				return KVR_EXIT_USAGE;
			}
			break;
		case OPT_SKIP:
			topts.skip_bad = 1;
			break;
		case OPT_MAX_LINE:
			if (units_parse_size(optarg, &v) || v < 2 || v > (1ULL << 32)) {
				fprintf(stderr, "kvreplay: --max-line-bytes: '%s' is not a size in [2B, 4GiB]\n", optarg);
				return KVR_EXIT_USAGE;
			}
			topts.max_line = v;
			break;
		case OPT_MAX_REQ:
		case OPT_MAX_ACC:
		case OPT_MAX_BLOCKS:
			if (parse_count(optarg, 1, UINT32_MAX - 1, &v)) {
				fprintf(stderr, "kvreplay: %s: '%s' is not a count in [1, %u]\n",
					argv[optind - 1], optarg, UINT32_MAX - 1);
				return KVR_EXIT_USAGE;
			}
			if (c == OPT_MAX_REQ)
				topts.max_req_blocks = (uint32_t)v;
			else if (c == OPT_MAX_ACC)
				topts.max_accesses = v;
			else
				topts.max_blocks = (uint32_t)v;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_VERSION:
			printf("kvreplay %s\n", CXLTIER_VERSION);
			return KVR_EXIT_OK;
		case 'h':
			usage(stdout);
			return KVR_EXIT_OK;
		default:
			usage(stderr);
			return KVR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || simulate + real != 1) {
		if (simulate + real != 1)
			fprintf(stderr, "kvreplay: give one of --simulate and --real\n");
		else
			fprintf(stderr, "kvreplay: give one trace file\n");
		usage(stderr);
		return KVR_EXIT_USAGE;
	}
	if (simulate && real_only) {
		fprintf(stderr, "kvreplay: --real-mode, --speed, --agent, --workdir and --max-diff go with --real\n");
		return KVR_EXIT_USAGE;
	}
	if (real && sim_only) {
		fprintf(stderr, "kvreplay: --write-weight, --no-recency, --recency-epoch, --hint-lead and --hint-bw go with --simulate\n");
		return KVR_EXIT_USAGE;
	}
	if (real) {
		/*
		 * The daemon's model: whole reads, the last access's epoch, no
		 * hints; a pool's blocks by the adaptive heat, creating writes
		 * seen (agent/pool_heat.c), a buffer's by the module's heat,
		 * which sees no creating write.
		 */
		p.write_weight_pm = p.report_writes ? 1000 : 0;
		p.recency = KVR_RECENCY_EPOCH;
		p.nr_adapt = 0;
	}
	if (real && (nr_fractions != 1 || policy_set)) {
		fprintf(stderr, "kvreplay: --real runs one --dram-fraction and no --policy\n");
		return KVR_EXIT_USAGE;
	}
	if (real && !block_set)
		p.block_bytes = 64 << 10;
	if (real && (p.block_bytes & (p.block_bytes - 1) || p.block_bytes < (64 << 10))) {
		fprintf(stderr, "kvreplay: --real: --block-size must be a power of two of at least 64KiB (a chunk)\n");
		return KVR_EXIT_USAGE;
	}

	/*
	 * Settings: a config file, or cxltierd's defaults with the
	 * watermarks at 99.8% and 99.5%: the modelled DRAM is the part of DRAM
	 * the pool may use, the headroom a real machine keeps for others is
	 * outside the model, and the pool keeps a little of its own free so
	 * that a new block lands in DRAM.  Then -o.
	 */
	if (config_path) {
		if (config_load(&p.cfg, config_path, 0, err, sizeof(err))) {
			fprintf(stderr, "kvreplay: %s\n", err);
			return KVR_EXIT_USAGE;
		}
	} else {
		config_init(&p.cfg);
		/* --real: the daemon's own watermarks, on the real DRAM. */
		if (!real) {
			/* 0.2-0.5% of the pool's DRAM kept free: new blocks land there. */
			p.cfg.high_watermark_bp = 9980;
			p.cfg.low_watermark_bp = 9950;
		}
	}
	ro.config_path = config_path;
	for (i = 0; i < nr_sets; i++)
		if (apply_set(&p.cfg, sets[i]))
			return KVR_EXIT_USAGE;
	free(sets);
	if (config_validate(&p.cfg, err, sizeof(err))) {
		fprintf(stderr, "kvreplay: %s\n", err);
		return KVR_EXIT_USAGE;
	}
	/* The adaptive heat: cxltierd's settings, unless the command line says. */
	p.adapt_window_ms = p.cfg.adaptive_window_ms;
	if (!adapt_set && (!real || ro.mode == KVR_REAL_POOL)) {
		p.nr_adapt = p.cfg.adaptive ? p.cfg.nr_adaptive : 0;
		for (i = 0; i < p.nr_adapt; i++) {
			p.adapt[i].half_life_ms = p.cfg.adaptive_set[i].half_life_ms;
			p.adapt[i].write_weight_pm = p.cfg.adaptive_set[i].write_weight_pm;
			p.adapt[i].recency = p.cfg.adaptive_set[i].recency;
		}
	}
	/* --real-mode=buffer: the daemon runs the module's heat, as modelled. */
	if (real && ro.mode != KVR_REAL_POOL)
		p.cfg.adaptive = false;

	if (real) {
		struct config scaled;

		/* The speed must suit the settings before anything runs. */
		if (kvr_scale_config(&p.cfg, ro.speed, p.block_bytes, &scaled, err, sizeof(err))) {
			fprintf(stderr, "kvreplay: %s\n", err);
			return KVR_EXIT_USAGE;
		}
	}

	if (heat_log) {
		for (i = 0; i < KVR_NR_POLICIES; i++)
			if (selected[i] && kvr_policies[i].run == kvr_run_cxltier)
				break;
		if (nr_fractions != 1 || i == KVR_NR_POLICIES) {
			fprintf(stderr, "kvreplay: --heat-log needs one --dram-fraction and the cxltier policy\n");
			return KVR_EXIT_USAGE;
		}
		p.heat_log = fopen(heat_log, "we");
		if (!p.heat_log) {
			fprintf(stderr, "kvreplay: %s: %s\n", heat_log, strerror(errno));
			return KVR_EXIT_FAIL;
		}
	}

	rc = kvr_trace_load(argv[optind], &topts, &t);
	if (rc) {
		fprintf(stderr, "kvreplay: %s: cannot replay: %s\n", argv[optind],
			rc == -EINVAL ? "malformed line (--skip-bad-lines goes on)" :
			rc == -E2BIG ? "over a limit (see the --max-* options)" : strerror(-rc));
		kvr_trace_free(&t);
		return KVR_EXIT_FAIL;
	}
	if (t.nr_bad)
		fprintf(stderr, "kvreplay: %s: %zu malformed lines skipped\n", argv[optind], t.nr_bad);
	truncate_trace(&t, requests < SIZE_MAX ? (size_t)requests : SIZE_MAX);
	if (real) {
		p.dram_fraction = fractions[0];
		FILE *hl = p.heat_log;

		status = run_real(argv[optind], &t, &p, &ro, json, max_diff);
		kvr_trace_free(&t);
		if (hl && fclose(hl)) {
			fprintf(stderr, "kvreplay: %s: %s\n", heat_log, strerror(errno));
			status = KVR_EXIT_FAIL;
		}
		return status;
	}

	if (json)
		arr = json_object_new_array();
	else
		kvr_report_header(stdout, argv[optind], &t, &p);

	for (f = 0; f < nr_fractions && status == KVR_EXIT_OK; f++) {
		struct kvr_result res[KVR_NR_POLICIES], belady, lru;
		size_t n = 0;

		p.dram_fraction = fractions[f];
		p.dram_blocks = (uint32_t)floor(fractions[f] * t.nr_blocks + 1e-9);
		memset(&belady, 0, sizeof(belady));
		memset(&lru, 0, sizeof(lru));
		if (kvr_run_belady(&t, &p, &belady) || kvr_run_lru(&t, &p, &lru)) {
			fprintf(stderr, "kvreplay: out of memory\n");
			status = KVR_EXIT_FAIL;
			break;
		}
		for (i = 0; i < KVR_NR_POLICIES; i++) {
			if (!selected[i])
				continue;
			memset(&res[n], 0, sizeof(res[n]));
			snprintf(res[n].policy, sizeof(res[n].policy), "%s", kvr_policies[i].name);
			rc = kvr_policies[i].run(&t, &p, &res[n]);
			if (rc) {
				fprintf(stderr, "kvreplay: %s: %s\n", kvr_policies[i].name, strerror(-rc));
				status = KVR_EXIT_FAIL;
				break;
			}
			n++;
		}
		if (json)
			kvr_report_json(arr, &p, res, n, &belady, &lru);
		else
			kvr_report_table(stdout, &p, res, n, &belady, &lru);
	}
	if (json) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	kvr_trace_free(&t);
	if (p.heat_log && fclose(p.heat_log)) {
		fprintf(stderr, "kvreplay: %s: %s\n", heat_log, strerror(errno));
		status = KVR_EXIT_FAIL;
	}
	if (fflush(stdout) || ferror(stdout))
		status = KVR_EXIT_FAIL;
	return status;
}
