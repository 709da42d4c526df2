// SPDX-License-Identifier: GPL-2.0
/*
 * kvreplay: replay a KV-cache trace against cxltier's placement policy
 * and the baselines it is measured by.  See kvreplay(1).
 *
 * Today one mode, --simulate: everything modelled on the host (sim.c,
 * baselines.c).  A mode that drives the module, the daemon and the fake
 * accelerator for real is another backend filling the same kvr_result.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "report.h"
#include "trace.h"
#include "units.h"

/* Exit codes (kvreplay(1)). */
enum {
	KVR_EXIT_OK = 0,
	KVR_EXIT_FAIL = 1,	/* the trace or a run failed */
	KVR_EXIT_USAGE = 2,	/* bad command line or settings */
};

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
	{ "belady", kvr_run_belady },
	{ "cxltier", kvr_run_cxltier },
};
#define KVR_NR_POLICIES (sizeof(kvr_policies) / sizeof(kvr_policies[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvreplay --simulate [OPTIONS] TRACE\n"
		"\n"
		"Replay a Mooncake-format KV-cache trace (one JSON object per line;\n"
		"\"-\" reads standard input) and report the share of block accesses\n"
		"served from DRAM for each placement policy.\n"
		"\n"
		"Options:\n"
		"  --simulate               model the placement on the host\n"
		"  --policy LIST            of static, lru, oracle-static, belady, cxltier\n"
		"                           (default: all)\n"
		"  --dram-fraction LIST     DRAM capacity as fractions of the distinct\n"
		"                           blocks, e.g. 0.05,0.1,0.25 (default 0.1)\n"
		"  --block-size SIZE        bytes of one block/chunk (default 2MiB)\n"
		"  --config FILE            take cxltier's settings from a cxltierd.conf\n"
		"  -o, --set SECTION.KEY=VALUE\n"
		"                           override one setting, e.g. policy.rate_limit=1GiB/s\n"
		"  --dram-bw GBPS           DRAM bandwidth, GB/s (default 100)\n"
		"  --far-bw GBPS            far-memory bandwidth, GB/s (default 30)\n"
		"  --device-weight N        heat of one device access (default 1)\n"
		"  --report-writes          report the write that creates a block as an\n"
		"                           access too (default: reads only)\n"
		"  --requests N             replay only the first N requests\n"
		"  --heat-log FILE          write cxltier's heat and tiers per decision, for\n"
		"                           cxltierctl heatmap --input (one DRAM fraction)\n"
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
	const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
	char text[512], err[CONFIG_ERR_LEN];
	const char *msg;

	if (!dot || !eq || dot > eq || dot == arg || eq == dot + 1 ||
	    strlen(arg) > 400 || strchr(arg, '\n')) {
		fprintf(stderr, "kvreplay: -o %s: expected SECTION.KEY=VALUE\n", arg);
		return -EINVAL;
	}
	snprintf(text, sizeof(text), "[%.*s]\n%.*s = %s\n", (int)(dot - arg), arg,
		 (int)(eq - dot - 1), dot + 1, eq + 1);
	if (!config_parse_string(cfg, "option", text, err, sizeof(err)))
		return 0;
	/* "option:2: message": the line means nothing here. */
	msg = strncmp(err, "option:", 7) ? err : strstr(err, ": ") + 2;
	fprintf(stderr, "kvreplay: -o %s: %s\n", arg, msg);
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

int main(int argc, char **argv)
{
	enum {
		OPT_SIMULATE = 256, OPT_POLICY, OPT_FRACTION, OPT_BLOCK, OPT_CONFIG,
		OPT_DRAM_BW, OPT_FAR_BW, OPT_WEIGHT, OPT_REQUESTS, OPT_SKIP,
		OPT_MAX_LINE, OPT_MAX_REQ, OPT_MAX_ACC, OPT_MAX_BLOCKS, OPT_JSON,
		OPT_VERSION, OPT_WRITES, OPT_HEAT_LOG, OPT_HEAT_EVERY, OPT_HEAT_CHUNKS,
	};
	static const struct option longopts[] = {
		{ "simulate", no_argument, NULL, OPT_SIMULATE },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "dram-fraction", required_argument, NULL, OPT_FRACTION },
		{ "block-size", required_argument, NULL, OPT_BLOCK },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "set", required_argument, NULL, 'o' },
		{ "dram-bw", required_argument, NULL, OPT_DRAM_BW },
		{ "far-bw", required_argument, NULL, OPT_FAR_BW },
		{ "device-weight", required_argument, NULL, OPT_WEIGHT },
		{ "report-writes", no_argument, NULL, OPT_WRITES },
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
	int simulate = 0, json = 0, c, rc, status = KVR_EXIT_OK;
	struct json_object *arr = NULL;
	char err[CONFIG_ERR_LEN];

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
		case OPT_POLICY: {
			char *list = strdup(optarg), *tok, *save = NULL;

			if (!list)
				return KVR_EXIT_FAIL;
			memset(selected, 0, sizeof(selected));
			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				for (i = 0; i < KVR_NR_POLICIES; i++)
					if (!strcmp(tok, kvr_policies[i].name))
						break;
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
	if (optind != argc - 1 || !simulate) {
		if (!simulate)
			fprintf(stderr, "kvreplay: --simulate is the only mode so far\n");
		usage(stderr);
		return KVR_EXIT_USAGE;
	}

	/*
	 * Settings: a config file, or cxltierd's defaults with the
	 * watermarks at 100%: the modelled DRAM is the part of DRAM the pool
	 * may use, the headroom a real machine keeps is outside the model.
	 * Then -o.
	 */
	if (config_path) {
		if (config_load(&p.cfg, config_path, 0, err, sizeof(err))) {
			fprintf(stderr, "kvreplay: %s\n", err);
			return KVR_EXIT_USAGE;
		}
	} else {
		config_init(&p.cfg);
		p.cfg.high_watermark_bp = CONFIG_BP_ONE;
		p.cfg.low_watermark_bp = CONFIG_BP_ONE;
	}
	for (i = 0; i < nr_sets; i++)
		if (apply_set(&p.cfg, sets[i]))
			return KVR_EXIT_USAGE;
	free(sets);
	if (config_validate(&p.cfg, err, sizeof(err))) {
		fprintf(stderr, "kvreplay: %s\n", err);
		return KVR_EXIT_USAGE;
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
