// SPDX-License-Identifier: GPL-2.0
/*
 * metrics: see metrics.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"

const uint64_t met_bucket_us[MET_NR_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000,
	5000000,
};

const uint64_t met_cycle_bucket_ms[MET_NR_CYCLE_BUCKETS] = {
	1, 5, 10, 50, 100, 500, 1000, 5000, 30000,
};

static const char *const met_kind_names[CXLTIER_KIND_MAX + 1] = {
	"unknown", "dram", "far", "cxl", "hbm", "pmem",
};

static const char *const met_dir_names[MOVE_NR_DIRS] = {
	"promote", "demote", "lateral",
};

static const char *const met_method_names[MET_NR_METHODS] = {
	"move_pages", "handshake",
};

static void write_pools(FILE *f, const struct metrics *m);

static const char *const met_fail_names[MOVE_NR_FAILS] = {
	"stale", "no_room", "pinned", "refused", "timeout", "gone",
	"backoff", "error",
};

void metrics_handshake(struct metrics *m, uint64_t us)
{
	size_t i;

	for (i = 0; i < MET_NR_BUCKETS; i++)
		if (us <= met_bucket_us[i])
			m->hs_buckets[i]++;
	m->hs_count++;
	m->hs_sum_us += us;
}

void metrics_cycle(struct metrics *m, uint64_t ms)
{
	size_t i;

	for (i = 0; i < MET_NR_CYCLE_BUCKETS; i++)
		if (ms <= met_cycle_bucket_ms[i])
			m->cycle_buckets[i]++;
	m->cycle_count++;
	m->cycle_sum_ms += ms;
}

int metrics_account_nodes(struct metrics *m, const struct plan_nodes *pn,
			  const struct plan_summary *ps, const struct config *cfg)
{
	struct met_node *nodes = NULL;
	uint32_t i;

	if (pn->nr) {
		nodes = calloc(pn->nr, sizeof(*nodes));
		if (!nodes)
			return -ENOMEM;
	}
	for (i = 0; i < pn->nr; i++) {
		const struct cxltier_node_info *ni = &pn->info[i];
		uint64_t cap = ni->capacity_kB << 10, avail = ni->free_kB << 10;

		if (pn->reclaimable)
			avail += pn->reclaimable[i];
		nodes[i].node = (int)ni->node;
		nodes[i].tier = (int)ni->tier;
		nodes[i].kind = met_kind_names[ni->kind <= CXLTIER_KIND_MAX ? ni->kind : 0];
		nodes[i].capacity = cap;
		nodes[i].free = ni->free_kB << 10;
		nodes[i].available = avail < cap ? avail : cap;
	}
	free(m->nodes);
	m->nodes = nodes;
	m->nr_nodes = pn->nr;

	m->dram.capacity = ps->dram_capacity;
	m->dram.used = ps->dram_used;
	m->dram.tracked = ps->dram_tracked;
	m->dram.untracked = ps->untracked_bytes;
	m->dram.high = (uint64_t)((double)ps->dram_capacity * cfg->high_watermark_bp / CONFIG_BP_ONE);
	m->dram.low = (uint64_t)((double)ps->dram_capacity * cfg->low_watermark_bp / CONFIG_BP_ONE);
	m->dram.budget = ps->dram_budget;
	m->dram.deferred = ps->deferred_bytes;
	if (ps->deferred_bytes)
		m->throttled_cycles++;
	if (ps->shed_skipped)
		m->untracked_pressure_cycles++;
	m->adaptive = ps->adaptive;
	m->adaptive_half_life_ms = ps->adaptive_half_life_ms;
	m->adaptive_write_weight_pm = ps->adaptive_write_weight_pm;
	m->adaptive_recency = ps->adaptive_recency;
	return 0;
}

int metrics_set_usage(struct metrics *m, const struct met_usage *u, size_t n)
{
	struct met_usage *copy = NULL;

	if (n) {
		copy = malloc(n * sizeof(*u));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, u, n * sizeof(*u));
	}
	free(m->usage);
	m->usage = copy;
	m->nr_usage = n;
	return 0;
}

void metrics_free(struct metrics *m)
{
	free(m->usage);
	m->usage = NULL;
	m->nr_usage = 0;
	free(m->nodes);
	m->nodes = NULL;
	m->nr_nodes = 0;
}

/* A label value with \ and " escaped, as the text format wants. */
static void put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* cxltier_node_WHAT_bytes{node,tier,kind}: the u64 at @off of each node. */
static void met_node_gauge(FILE *f, const struct metrics *m, const char *what,
			   const char *help, size_t off)
{
	size_t i;

	fprintf(f, "# HELP cxltier_node_%s_bytes %s\n"
		   "# TYPE cxltier_node_%s_bytes gauge\n", what, help, what);
	for (i = 0; i < m->nr_nodes; i++) {
		const struct met_node *n = &m->nodes[i];
		uint64_t v;

		memcpy(&v, (const char *)n + off, sizeof(v));
		fprintf(f, "cxltier_node_%s_bytes{node=\"%d\",tier=\"%d\",kind=\"%s\"} %llu\n",
			what, n->node, n->tier, n->kind, (unsigned long long)v);
	}
}

static void emit(const struct metrics *m, FILE *f)
{
	size_t d, k, i;

	fprintf(f, "# HELP cxltier_build_info cxltierd's version.\n"
		   "# TYPE cxltier_build_info gauge\n"
		   "cxltier_build_info{version=\"%s\"} 1\n"
		   "# HELP cxltier_module_up Whether the last decision could read cxltier.ko's ranges and heat.\n"
		   "# TYPE cxltier_module_up gauge\n"
		   "cxltier_module_up %d\n", CXLTIER_VERSION, m->module_up ? 1 : 0);

	fprintf(f, "# HELP cxltier_migrations_total Moves of a run of contiguous chunks of one buffer, by direction and method.\n"
		   "# TYPE cxltier_migrations_total counter\n");
	for (d = 0; d < MOVE_NR_DIRS; d++)
		for (k = 0; k < MET_NR_METHODS; k++)
			fprintf(f, "cxltier_migrations_total{direction=\"%s\",method=\"%s\"} %llu\n",
				met_dir_names[d], met_method_names[k],
				(unsigned long long)m->migrations[d][k]);

	fprintf(f, "# HELP cxltier_migrated_chunks_total Chunks migrated by cxltierd, by direction.\n"
		   "# TYPE cxltier_migrated_chunks_total counter\n");
	for (d = 0; d < MOVE_NR_DIRS; d++)
		fprintf(f, "cxltier_migrated_chunks_total{direction=\"%s\"} %llu\n",
			met_dir_names[d],
			(unsigned long long)m->migrated_chunks[d]);

	fprintf(f, "# HELP cxltier_migrated_bytes_total Bytes migrated by cxltierd.\n"
		   "# TYPE cxltier_migrated_bytes_total counter\n");
	for (d = 0; d < MOVE_NR_DIRS; d++)
		fprintf(f, "cxltier_migrated_bytes_total{direction=\"%s\"} %llu\n",
			met_dir_names[d],
			(unsigned long long)m->migrated_bytes[d]);

	fprintf(f, "# HELP cxltier_migration_failures_total Planned migrations not done, by reason.\n"
		   "# TYPE cxltier_migration_failures_total counter\n");
	for (k = 0; k < MOVE_NR_FAILS; k++)
		fprintf(f, "cxltier_migration_failures_total{reason=\"%s\"} %llu\n",
			met_fail_names[k], (unsigned long long)m->failures[k]);

	fprintf(f, "# HELP cxltier_handshake_latency_seconds Release, move and re-pin of a pinned range, PREPARE to ACK.\n"
		   "# TYPE cxltier_handshake_latency_seconds histogram\n");
	for (i = 0; i < MET_NR_BUCKETS; i++)
		fprintf(f, "cxltier_handshake_latency_seconds_bucket{le=\"%g\"} %llu\n",
			(double)met_bucket_us[i] / 1e6,
			(unsigned long long)m->hs_buckets[i]);
	fprintf(f, "cxltier_handshake_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
		   "cxltier_handshake_latency_seconds_sum %.6f\n"
		   "cxltier_handshake_latency_seconds_count %llu\n",
		(unsigned long long)m->hs_count, (double)m->hs_sum_us / 1e6,
		(unsigned long long)m->hs_count);

	fprintf(f, "# HELP cxltier_tracked_bytes Resident bytes of tracked buffers, by node, tier and class.\n"
		   "# TYPE cxltier_tracked_bytes gauge\n");
	for (i = 0; i < m->nr_usage; i++) {
		fprintf(f, "cxltier_tracked_bytes{node=\"%d\",tier=\"", m->usage[i].node);
		if (m->usage[i].tier >= 0)
			fprintf(f, "%d", m->usage[i].tier);
		fputs("\",class=\"", f);
		put_label(f, m->usage[i].class_name);
		fprintf(f, "\"} %llu\n", (unsigned long long)m->usage[i].bytes);
	}

	fprintf(f, "# HELP cxltier_planned_migrations_total Migrations planned by the policy.\n"
		   "# TYPE cxltier_planned_migrations_total counter\n"
		   "cxltier_planned_migrations_total %llu\n"
		   "# HELP cxltier_dry_run_migrations_total Planned migrations skipped by --dry-run.\n"
		   "# TYPE cxltier_dry_run_migrations_total counter\n"
		   "cxltier_dry_run_migrations_total %llu\n"
		   "# HELP cxltier_cycles_total Placement decisions made.\n"
		   "# TYPE cxltier_cycles_total counter\n"
		   "cxltier_cycles_total %llu\n"
		   "# HELP cxltier_config_reloads_total Configuration reloads, by result.\n"
		   "# TYPE cxltier_config_reloads_total counter\n"
		   "cxltier_config_reloads_total{result=\"ok\"} %llu\n"
		   "cxltier_config_reloads_total{result=\"failed\"} %llu\n"
		   "# HELP cxltier_clients Connected libcxltier clients.\n"
		   "# TYPE cxltier_clients gauge\n"
		   "cxltier_clients %u\n"
		   "# HELP cxltier_buffers Buffers registered by clients.\n"
		   "# TYPE cxltier_buffers gauge\n"
		   "cxltier_buffers %u\n"
		   "# HELP cxltier_ranges Ranges tracked by the module.\n"
		   "# TYPE cxltier_ranges gauge\n"
		   "cxltier_ranges %u\n"
		   "# HELP cxltier_heat_epoch The module's heat epoch at the last decision.\n"
		   "# TYPE cxltier_heat_epoch gauge\n"
		   "cxltier_heat_epoch %llu\n"
		   "# HELP cxltier_last_cycle_timestamp_seconds When the last decision was made.\n"
		   "# TYPE cxltier_last_cycle_timestamp_seconds gauge\n"
		   "cxltier_last_cycle_timestamp_seconds %.3f\n"
		   "# HELP cxltier_throttled_cycles_total Decisions whose plan left moves to the rate limit.\n"
		   "# TYPE cxltier_throttled_cycles_total counter\n"
		   "cxltier_throttled_cycles_total %llu\n"
		   "# HELP cxltier_untracked_pressure_cycles_total Decisions above high_watermark from untracked memory, nothing demoted for it.\n"
		   "# TYPE cxltier_untracked_pressure_cycles_total counter\n"
		   "cxltier_untracked_pressure_cycles_total %llu\n",
		(unsigned long long)m->planned, (unsigned long long)m->dry_run,
		(unsigned long long)m->cycles, (unsigned long long)m->reloads,
		(unsigned long long)m->reload_failures, m->clients, m->buffers,
		m->ranges, (unsigned long long)m->epoch, m->last_cycle_time,
		(unsigned long long)m->throttled_cycles,
		(unsigned long long)m->untracked_pressure_cycles);

	fprintf(f, "# HELP cxltier_cycle_duration_seconds A placement decision with its migrations.\n"
		   "# TYPE cxltier_cycle_duration_seconds histogram\n");
	for (i = 0; i < MET_NR_CYCLE_BUCKETS; i++)
		fprintf(f, "cxltier_cycle_duration_seconds_bucket{le=\"%g\"} %llu\n",
			(double)met_cycle_bucket_ms[i] / 1e3,
			(unsigned long long)m->cycle_buckets[i]);
	fprintf(f, "cxltier_cycle_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
		   "cxltier_cycle_duration_seconds_sum %.3f\n"
		   "cxltier_cycle_duration_seconds_count %llu\n",
		(unsigned long long)m->cycle_count, (double)m->cycle_sum_ms / 1e3,
		(unsigned long long)m->cycle_count);

	met_node_gauge(f, m, "capacity", "A memory node's managed memory (its MemTotal).",
		       offsetof(struct met_node, capacity));
	met_node_gauge(f, m, "free", "A memory node's free memory.",
		       offsetof(struct met_node, free));
	met_node_gauge(f, m, "available",
		       "Free plus reclaimable memory (page cache, reclaimable slab) of a node.",
		       offsetof(struct met_node, available));

	fprintf(f, "# HELP cxltier_dram_bytes The DRAM tier at the last decision: capacity, used (capacity less available), tracked and untracked use, the watermarks, the plan's budget for tracked chunks, and moves deferred by the rate limit.\n"
		   "# TYPE cxltier_dram_bytes gauge\n"
		   "cxltier_dram_bytes{what=\"capacity\"} %llu\n"
		   "cxltier_dram_bytes{what=\"used\"} %llu\n"
		   "cxltier_dram_bytes{what=\"tracked\"} %llu\n"
		   "cxltier_dram_bytes{what=\"untracked\"} %llu\n"
		   "cxltier_dram_bytes{what=\"high_watermark\"} %llu\n"
		   "cxltier_dram_bytes{what=\"low_watermark\"} %llu\n"
		   "cxltier_dram_bytes{what=\"budget\"} %llu\n"
		   "cxltier_dram_bytes{what=\"deferred\"} %llu\n",
		(unsigned long long)m->dram.capacity, (unsigned long long)m->dram.used,
		(unsigned long long)m->dram.tracked, (unsigned long long)m->dram.untracked,
		(unsigned long long)m->dram.high, (unsigned long long)m->dram.low,
		(unsigned long long)m->dram.budget, (unsigned long long)m->dram.deferred);
	fprintf(f, "# HELP cxltier_dram_heat_ratio Share of tracked buffers' heat in DRAM: the estimated DRAM hit ratio of their accesses.\n"
		   "# TYPE cxltier_dram_heat_ratio gauge\n"
		   "cxltier_dram_heat_ratio %.4f\n",
		m->heat_total > 0 ? m->heat_dram / m->heat_total : 0.0);
	fprintf(f, "# HELP cxltier_paused Whether moves are paused (cxltierctl agent pause): 1 paused, 0 not.\n"
		   "# TYPE cxltier_paused gauge\n"
		   "cxltier_paused %d\n"
		   "# HELP cxltier_paused_migrations_total Planned migrations not tried because moves were paused.\n"
		   "# TYPE cxltier_paused_migrations_total counter\n"
		   "cxltier_paused_migrations_total %llu\n",
		m->paused ? 1 : 0, (unsigned long long)m->paused_moves);
	fprintf(f, "# HELP cxltier_draining_nodes Nodes that take no placement (drain).\n"
		   "# TYPE cxltier_draining_nodes gauge\n"
		   "cxltier_draining_nodes %u\n"
		   "# HELP cxltier_drain_moved_bytes_total Bytes moved off draining nodes.\n"
		   "# TYPE cxltier_drain_moved_bytes_total counter\n"
		   "cxltier_drain_moved_bytes_total %llu\n"
		   "# HELP cxltier_drains_total Drains ended, by result.\n"
		   "# TYPE cxltier_drains_total counter\n"
		   "cxltier_drains_total{result=\"drained\"} %llu\n"
		   "cxltier_drains_total{result=\"refused\"} %llu\n"
		   "cxltier_drains_total{result=\"incomplete\"} %llu\n"
		   "# HELP cxltier_capacity_added_bytes_total Memory that came online while cxltierd ran.\n"
		   "# TYPE cxltier_capacity_added_bytes_total counter\n"
		   "cxltier_capacity_added_bytes_total %llu\n",
		m->draining_nodes, (unsigned long long)m->drain_moved_bytes,
		(unsigned long long)m->drains[0],
		(unsigned long long)m->drains[1],
		(unsigned long long)m->drains[2],
		(unsigned long long)m->capacity_added_bytes);
	fprintf(f, "# HELP cxltier_adaptive_setting The shadow of [heat] adaptive_settings the ranking follows (index from 0; -1: the module's heat).\n"
		   "# TYPE cxltier_adaptive_setting gauge\n"
		   "cxltier_adaptive_setting %d\n", m->adaptive);
	fprintf(f, "# HELP cxltier_adaptive_setting_info The followed shadow's settings (absent when none).\n"
		   "# TYPE cxltier_adaptive_setting_info gauge\n");
	if (m->adaptive >= 0)
		fprintf(f, "cxltier_adaptive_setting_info{half_life_ms=\"%u\",write_weight=\"%u.%03u\",kind=\"%s\"} 1\n",
			m->adaptive_half_life_ms, m->adaptive_write_weight_pm / 1000,
			m->adaptive_write_weight_pm % 1000, m->adaptive_recency ? "last" : "sum");

	fprintf(f, "# HELP cxltier_socket_refused_total Connections the agent's socket refused, by reason.\n"
		   "# TYPE cxltier_socket_refused_total counter\n");
	for (i = 0; i < m->nr_refused && i < MET_NR_REASONS; i++)
		fprintf(f, "cxltier_socket_refused_total{reason=\"%s\"} %llu\n",
			m->refused[i].name, (unsigned long long)m->refused[i].count);
	fprintf(f, "# HELP cxltier_socket_dropped_total Connections the agent dropped, by reason.\n"
		   "# TYPE cxltier_socket_dropped_total counter\n");
	for (i = 0; i < m->nr_dropped && i < MET_NR_REASONS; i++)
		fprintf(f, "cxltier_socket_dropped_total{reason=\"%s\"} %llu\n",
			m->dropped[i].name, (unsigned long long)m->dropped[i].count);
	fprintf(f, "# HELP cxltier_socket_limit_refusals_total Requests refused by a per-uid limit, by limit.\n"
		   "# TYPE cxltier_socket_limit_refusals_total counter\n"
		   "cxltier_socket_limit_refusals_total{limit=\"buffers_per_uid\"} %llu\n"
		   "cxltier_socket_limit_refusals_total{limit=\"requests_per_uid\"} %llu\n",
		(unsigned long long)m->limit_refusals[0],
		(unsigned long long)m->limit_refusals[1]);
	write_pools(f, m);
}

static void write_pools(FILE *f, const struct metrics *m)
{
	static const char *const results[6] = {
		"moved", "already", "busy", "stale", "no_room", "failed",
	};
	unsigned int i;

	fprintf(f, "# HELP cxltier_pools Block pools registered by clients.\n"
		   "# TYPE cxltier_pools gauge\n"
		   "cxltier_pools %u\n"
		   "# HELP cxltier_pool_advice_total Advice batches sent to clients, and those refused whole or not answered in time.\n"
		   "# TYPE cxltier_pool_advice_total counter\n"
		   "cxltier_pool_advice_total{outcome=\"sent\"} %llu\n"
		   "cxltier_pool_advice_total{outcome=\"refused\"} %llu\n"
		   "cxltier_pool_advice_total{outcome=\"timeout\"} %llu\n",
		m->pools, (unsigned long long)m->pool_advice,
		(unsigned long long)m->pool_refused,
		(unsigned long long)m->pool_timeouts);
	fprintf(f, "# HELP cxltier_pool_hints_total Hints taken from runtimes for pool blocks, by kind, and hint batches refused.\n"
		   "# TYPE cxltier_pool_hints_total counter\n"
		   "cxltier_pool_hints_total{kind=\"will_read\"} %llu\n"
		   "cxltier_pool_hints_total{kind=\"done\"} %llu\n"
		   "cxltier_pool_hints_total{kind=\"refused\"} %llu\n"
		   "# HELP cxltier_pool_hint_advice_total Advice batches sent at once for will-read hints (also counted as sent).\n"
		   "# TYPE cxltier_pool_hint_advice_total counter\n"
		   "cxltier_pool_hint_advice_total %llu\n",
		(unsigned long long)m->pool_hints[0],
		(unsigned long long)m->pool_hints[1],
		(unsigned long long)m->pool_hints_refused,
		(unsigned long long)m->pool_hint_advice);
	fprintf(f, "# HELP cxltier_pool_slab_releases_total Pool slabs asked back from clients (a drain), by outcome.\n"
		   "# TYPE cxltier_pool_slab_releases_total counter\n"
		   "cxltier_pool_slab_releases_total{outcome=\"sent\"} %llu\n"
		   "cxltier_pool_slab_releases_total{outcome=\"released\"} %llu\n"
		   "cxltier_pool_slab_releases_total{outcome=\"failed\"} %llu\n"
		   "cxltier_pool_slab_releases_total{outcome=\"timeout\"} %llu\n",
		(unsigned long long)m->pool_releases[0],
		(unsigned long long)m->pool_releases[1],
		(unsigned long long)m->pool_releases[2],
		(unsigned long long)m->pool_releases[3]);
	fprintf(f, "# HELP cxltier_pool_block_moves_total Pool blocks moved by copy-then-swap on advice, by direction.\n"
		   "# TYPE cxltier_pool_block_moves_total counter\n");
	for (i = 0; i < 2; i++)
		fprintf(f, "cxltier_pool_block_moves_total{direction=\"%s\"} %llu\n",
			met_dir_names[i], (unsigned long long)m->pool_moves[i]);
	fprintf(f, "# HELP cxltier_pool_block_bytes_total Bytes of pool blocks moved on advice, by direction.\n"
		   "# TYPE cxltier_pool_block_bytes_total counter\n");
	for (i = 0; i < 2; i++)
		fprintf(f, "cxltier_pool_block_bytes_total{direction=\"%s\"} %llu\n",
			met_dir_names[i], (unsigned long long)m->pool_bytes[i]);
	fprintf(f, "# HELP cxltier_pool_advised_blocks_total Advised pool blocks, by result.\n"
		   "# TYPE cxltier_pool_advised_blocks_total counter\n");
	for (i = 0; i < 6; i++)
		fprintf(f, "cxltier_pool_advised_blocks_total{result=\"%s\"} %llu\n",
			results[i], (unsigned long long)m->pool_results[i]);
}

int metrics_write(const struct metrics *m, const char *path)
{
	char tmp[4096];
	FILE *f;
	int fd, ret = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path,
			     (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	emit(m, f);
	if (fflush(f) || ferror(f))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

void metrics_account_usage(struct metrics *m, const struct obs_snapshot *snap,
			   const uint16_t *klass, const struct config *cfg,
			   const struct plan_nodes *pn)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct met_usage *u = NULL, *tmp;
	size_t nr = 0, i, k;
	uint32_t c;

	m->heat_dram = m->heat_total = 0;
	for (i = 0; i < snap->nr_ranges; i++) {
		const struct obs_range *r = &snap->ranges[i];
		unsigned int cls = klass ? klass[i] :
				   config_match_class(cfg, r->info.label, r->comm);
		const char *name = cfg->classes[cls].name;

		for (c = 0; c < r->info.nr_chunks; c++) {
			int node = r->chunks[c].node;

			if (node < 0 || !r->chunks[c].resident_pages)
				continue;
			m->heat_total += (double)r->chunks[c].heat;
			if (plan_node_tier(pn, node) == 0)
				m->heat_dram += (double)r->chunks[c].heat;
			for (k = 0; k < nr; k++)
				if (u[k].node == node &&
				    !strcmp(u[k].class_name, name))
					break;
			if (k == nr) {
				tmp = realloc(u, (nr + 1) * sizeof(*u));
				if (!tmp)
					goto out;
				u = tmp;
				memset(&u[nr], 0, sizeof(u[nr]));
				u[nr].node = node;
				u[nr].tier = plan_node_tier(pn, node);
				snprintf(u[nr].class_name,
					 sizeof(u[nr].class_name), "%s", name);
				nr++;
			}
			u[k].bytes += r->chunks[c].resident_pages * page;
		}
	}
	metrics_set_usage(m, u, nr);
out:
	free(u);
}
