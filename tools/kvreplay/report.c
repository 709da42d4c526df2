// SPDX-License-Identifier: GPL-2.0
/*
 * report: tables and JSON.  The keys are documented in kvreplay(1).
 */
#include <inttypes.h>
#include <string.h>

#include "report.h"
#include "units.h"

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* OPT: every access but the one that creates its block hits. */
static uint64_t opt_hits(const struct kvr_result *r)
{
	return r->accesses - r->first_accesses;
}

void kvr_report_header(FILE *f, const char *name, const struct kvr_trace *t,
		       const struct kvr_params *p)
{
	const struct config *cfg = &p->cfg;
	uint64_t span = t->nr_req ? t->req[t->nr_req - 1].t_ms - t->req[0].t_ms : 0;
	char sz[32], rate[32];

	fprintf(f, "trace:    %s: %zu requests, %zu block accesses, %u distinct blocks, %.1f s",
		name, t->nr_req, t->nr_access, t->nr_blocks, (double)span / 1000);
	if (t->nr_bad)
		fprintf(f, ", %zu malformed lines skipped", t->nr_bad);
	fprintf(f, "\nblocks:   1 block (%d tokens) = 1 chunk of %s\n", KVR_BLOCK_TOKENS,
		units_format_size(p->block_bytes, sz, sizeof(sz)));
	if (cfg->rate_limit_Bps)
		snprintf(rate, sizeof(rate), "%s/s",
			 units_format_size(cfg->rate_limit_Bps, sz, sizeof(sz)));
	else
		snprintf(rate, sizeof(rate), "unlimited");
	fprintf(f, "cxltier:  epoch %ums, half-life %ums, interval %ums, rate limit %s, "
		"hysteresis %u.%02u%%, min residency %ums, far %ums, promote_min_heat %.2f\n",
		cfg->epoch_ms, cfg->half_life_ms, cfg->interval_ms, rate,
		cfg->hysteresis_bp / 100, cfg->hysteresis_bp % 100, cfg->min_residency_ms,
		cfg->min_far_residency_ms, (double)cfg->promote_min_heat / 65536.0);
	fprintf(f, "          watermarks %u.%02u%%/%u.%02u%%; bandwidth DRAM %.1f GB/s, far %.1f GB/s\n",
		cfg->low_watermark_bp / 100, cfg->low_watermark_bp % 100,
		cfg->high_watermark_bp / 100, cfg->high_watermark_bp % 100,
		p->dram_GBps, p->far_GBps);
}

void kvr_report_table(FILE *f, const struct kvr_params *p,
		      const struct kvr_result *res, size_t n,
		      const struct kvr_result *belady, const struct kvr_result *lru)
{
	char sz[32];
	size_t i;
	int w = 17;

	for (i = 0; i < n; i++)
		if (res[i].mode[0])
			w = 17;
	fprintf(f, "\nDRAM %.4g of distinct blocks = %u blocks (%s)\n", p->dram_fraction,
		p->dram_blocks,
		units_format_size((uint64_t)p->dram_blocks * p->block_bytes, sz, sizeof(sz)));
	fprintf(f, "  %-*s %9s %8s %8s %9s %12s %10s\n", w, "policy", "dram_hit", "/opt",
		"/lru", "reuse_hit", "migrated", "transfer_s");
	/* The yardsticks first: OPT, then the reactive ceiling. */
	fprintf(f, "  %-*s %9.3f %8.3f %8.3f %9.3f %12s %10s\n", w, "OPT (bound)",
		ratio(opt_hits(lru), lru->accesses), 1.0, ratio(opt_hits(lru), lru->dram_hits),
		1.0, "-", "-");
	fprintf(f, "  %-*s %9.3f %8.3f %8.3f %9.3f %12s %10.3f\n", w, "reactive_ceiling",
		ratio(belady->dram_hits, belady->accesses),
		ratio(belady->dram_hits, opt_hits(lru)), ratio(belady->dram_hits, lru->dram_hits),
		ratio(belady->reuse_hits, belady->accesses - belady->first_accesses),
		units_format_size(belady->migrated_bytes, sz, sizeof(sz)), belady->transfer_s);
	for (i = 0; i < n; i++) {
		const struct kvr_result *r = &res[i];
		char name[64];

		snprintf(name, sizeof(name), "%s%s%s", r->policy, r->mode[0] ? " " : "", r->mode);
		fprintf(f, "  %-*s %9.3f %8.3f %8.3f %9.3f %12s %10.3f\n", w, name,
			ratio(r->dram_hits, r->accesses), ratio(r->dram_hits, opt_hits(r)),
			ratio(r->dram_hits, lru->dram_hits),
			ratio(r->reuse_hits, r->accesses - r->first_accesses),
			units_format_size(r->migrated_bytes, sz, sizeof(sz)), r->transfer_s);
	}
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_ratio(struct json_object *o, const char *key, double v)
{
	/* Four decimals: enough to compare, stable to print. */
	char buf[32];

	snprintf(buf, sizeof(buf), "%.4f", v);
	json_object_object_add(o, key, json_object_new_double_s(v, buf));
}

void kvr_report_json(struct json_object *arr, const struct kvr_params *p,
		     const struct kvr_result *res, size_t n,
		     const struct kvr_result *belady, const struct kvr_result *lru)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct kvr_result *r = &res[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "policy", json_object_new_string(r->policy));
		if (r->mode[0])
			json_object_object_add(o, "mode", json_object_new_string(r->mode));
		add_ratio(o, "dram_fraction", p->dram_fraction);
		add_u64(o, "dram_blocks", p->dram_blocks);
		add_u64(o, "block_bytes", p->block_bytes);
		add_u64(o, "accesses", r->accesses);
		add_u64(o, "dram_hits", r->dram_hits);
		add_ratio(o, "dram_hit_ratio", ratio(r->dram_hits, r->accesses));
		add_ratio(o, "opt_hit_ratio", ratio(opt_hits(r), r->accesses));
		add_ratio(o, "ratio_to_opt", ratio(r->dram_hits, opt_hits(r)));
		add_ratio(o, "reactive_ceiling_hit_ratio",
			  ratio(belady->dram_hits, belady->accesses));
		add_ratio(o, "ratio_to_reactive_ceiling", ratio(r->dram_hits, belady->dram_hits));
		add_ratio(o, "ratio_to_lru", ratio(r->dram_hits, lru->dram_hits));
		add_ratio(o, "reuse_hit_ratio",
			  ratio(r->reuse_hits, r->accesses - r->first_accesses));
		add_u64(o, "migrated_bytes", r->migrated_bytes);
		add_u64(o, "promoted_blocks", r->promoted);
		add_u64(o, "demoted_blocks", r->demoted);
		add_ratio(o, "transfer_time_s", r->transfer_s);
		add_ratio(o, "read_time_s", r->read_s);
		if (r->decisions) {
			add_u64(o, "decisions", r->decisions);
			add_u64(o, "deferred_bytes", r->deferred_bytes);
			add_u64(o, "max_interval_bytes", r->max_interval_bytes);
			add_ratio(o, "policy_cpu_s", r->policy_cpu_s);
		}
		if (r->decisions && p->nr_adapt) {
			add_u64(o, "adaptive_switches", r->adapt_switches);
			add_u64(o, "adaptive_half_life_ms", p->adapt[r->adapt_last].half_life_ms);
			add_ratio(o, "adaptive_write_weight",
				  p->adapt[r->adapt_last].write_weight_pm / 1000.0);
			add_u64(o, "adaptive_recency", p->adapt[r->adapt_last].recency);
		}
		if (!strcmp(r->policy, "cxltier+hints")) {
			add_u64(o, "hint_lead_ms", p->hint_lead_ms);
			add_u64(o, "hint_bytes_per_s", p->hint_Bps);
			add_u64(o, "hint_promoted_blocks", r->hint_promoted);
			add_u64(o, "hint_late_reads", r->hint_late);
		}
		json_object_array_add(arr, o);
	}
}
