// SPDX-License-Identifier: GPL-2.0
/*
 * metrics: see metrics.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"

const uint64_t met_bucket_us[MET_NR_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000,
	5000000,
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

static void emit(const struct metrics *m, FILE *f)
{
	size_t d, k, i;

	fprintf(f, "# HELP cxltier_migrations_total Chunk ranges migrated by cxltierd.\n"
		   "# TYPE cxltier_migrations_total counter\n");
	for (d = 0; d < MOVE_NR_DIRS; d++)
		for (k = 0; k < MET_NR_METHODS; k++)
			fprintf(f, "cxltier_migrations_total{direction=\"%s\",method=\"%s\"} %llu\n",
				met_dir_names[d], met_method_names[k],
				(unsigned long long)m->migrations[d][k]);

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

	fprintf(f, "# HELP cxltier_bytes Resident bytes of tracked buffers, by node, tier and class.\n"
		   "# TYPE cxltier_bytes gauge\n");
	for (i = 0; i < m->nr_usage; i++) {
		fprintf(f, "cxltier_bytes{node=\"%d\",tier=\"", m->usage[i].node);
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
		   "# HELP cxltier_cycle_duration_seconds How long the last decision and its migrations took.\n"
		   "# TYPE cxltier_cycle_duration_seconds gauge\n"
		   "cxltier_cycle_duration_seconds %.6f\n",
		(unsigned long long)m->planned, (unsigned long long)m->dry_run,
		(unsigned long long)m->cycles, (unsigned long long)m->reloads,
		(unsigned long long)m->reload_failures, m->clients, m->buffers,
		m->ranges, (unsigned long long)m->epoch, m->last_cycle_time,
		m->cycle_seconds);

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

	for (i = 0; i < snap->nr_ranges; i++) {
		const struct obs_range *r = &snap->ranges[i];
		unsigned int cls = klass ? klass[i] :
				   config_match_class(cfg, r->info.label, r->comm);
		const char *name = cfg->classes[cls].name;

		for (c = 0; c < r->info.nr_chunks; c++) {
			int node = r->chunks[c].node;

			if (node < 0 || !r->chunks[c].resident_pages)
				continue;
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
