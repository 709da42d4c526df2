// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/metrics.c: the node-exporter textfile that
 * cxltierd writes (format, label escaping, a cumulative histogram) and
 * how it writes it (atomically, nothing left behind, errors returned).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "metrics.h"

FIXTURE(met)
{
	char dir[64];
	char path[128];
	struct metrics m;
};

FIXTURE_SETUP(met)
{
	strcpy(self->dir, "/tmp/test-metrics.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/cxltier.prom", self->dir);
	memset(&self->m, 0, sizeof(self->m));
}

FIXTURE_TEARDOWN(met)
{
	char cmd[128];

	metrics_free(&self->m);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

/* The whole file, or "" (malloc'ed). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);

	if (f) {
		if (!fread(buf, 1, (1 << 16) - 1, f))
			buf[0] = '\0';
		fclose(f);
	}
	return buf;
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* Counters appear with their labels; the file is the only one left. */
TEST_F(met, counters)
{
	char *t;

	self->m.migrations[MOVE_PROMOTE][MET_HANDSHAKE] = 3;
	self->m.migrated_bytes[MOVE_DEMOTE] = 4096;
	self->m.failures[MOVE_FAIL_PINNED] = 2;
	self->m.reload_failures = 1;
	self->m.pool_releases[1] = 5;
	self->m.pool_releases[3] = 1;
	ASSERT_EQ(0, metrics_write(&self->m, self->path));
	EXPECT_EQ(1, entries(self->dir));
	t = slurp(self->path);
	EXPECT_NE(NULL, strstr(t, "cxltier_migrations_total{direction=\"promote\",method=\"handshake\"} 3\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_migrations_total{direction=\"demote\",method=\"move_pages\"} 0\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_migrated_bytes_total{direction=\"demote\"} 4096\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_migration_failures_total{reason=\"pinned\"} 2\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_config_reloads_total{result=\"failed\"} 1\n"));
	EXPECT_NE(NULL, strstr(t, "# TYPE cxltier_migrations_total counter\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_pool_slab_releases_total{outcome=\"released\"} 5\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_pool_slab_releases_total{outcome=\"timeout\"} 1\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_pool_slab_releases_total{outcome=\"failed\"} 0\n"));
	free(t);
}

/* Histogram buckets are cumulative; +Inf equals the count. */
TEST_F(met, histogram)
{
	char *t;

	metrics_handshake(&self->m, 800);	/* <= 1 ms */
	metrics_handshake(&self->m, 3000);	/* <= 5 ms */
	metrics_handshake(&self->m, 9000000);	/* above every bound */
	ASSERT_EQ(0, metrics_write(&self->m, self->path));
	t = slurp(self->path);
	EXPECT_NE(NULL, strstr(t, "cxltier_handshake_latency_seconds_bucket{le=\"0.001\"} 1\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_handshake_latency_seconds_bucket{le=\"0.0025\"} 1\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_handshake_latency_seconds_bucket{le=\"0.005\"} 2\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_handshake_latency_seconds_bucket{le=\"5\"} 2\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_handshake_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_handshake_latency_seconds_count 3\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_handshake_latency_seconds_sum 9.003800\n"));
	free(t);
}

/* Class names are label values: quotes, backslashes, newlines escaped. */
TEST_F(met, usage_labels)
{
	struct met_usage u[2] = {
		{ .node = 0, .tier = 0, .bytes = 1 << 20 },
		{ .node = 2, .tier = -1, .bytes = 5 },
	};
	char *t;

	strcpy(u[0].class_name, "kv-cache");
	strcpy(u[1].class_name, "a\"b\\c\nd");
	ASSERT_EQ(0, metrics_set_usage(&self->m, u, 2));
	ASSERT_EQ(0, metrics_write(&self->m, self->path));
	t = slurp(self->path);
	EXPECT_NE(NULL, strstr(t, "cxltier_tracked_bytes{node=\"0\",tier=\"0\",class=\"kv-cache\"} 1048576\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_tracked_bytes{node=\"2\",tier=\"\",class=\"a\\\"b\\\\c\\nd\"} 5\n"));
	free(t);
}

/*
 * The node and DRAM gauges from a node table and a plan; the decision
 * histogram; build_info and module_up.
 */
TEST_F(met, nodes_dram_and_cycles)
{
	static struct cxltier_node_info info[2] = {
		{ .node = 0, .tier = 0, .kind = CXLTIER_KIND_DRAM,
		  .capacity_kB = 1024, .free_kB = 256 },
		{ .node = 2, .tier = 1, .kind = CXLTIER_KIND_CXL,
		  .capacity_kB = 2048, .free_kB = 2000 },
	};
	static uint64_t recl[2] = { 512 << 10, UINT64_MAX / 2 };
	static struct plan_nodes pn = { 2, info, recl };
	static struct plan_summary ps = {
		.dram_capacity = 1024 << 10, .dram_used = 256 << 10,
		.dram_tracked = 100 << 10, .untracked_bytes = 156 << 10,
		.dram_budget = 200 << 10, .deferred_bytes = 4096,
		.shed_skipped = true, .adaptive = 4, .adaptive_half_life_ms = 20000,
		.adaptive_write_weight_pm = 1000,
	};
	static struct config cfg;
	char *t;

	config_init(&cfg);
	cfg.high_watermark_bp = 9500;
	cfg.low_watermark_bp = 9000;
	ASSERT_EQ(0, metrics_account_nodes(&self->m, &pn, &ps, &cfg));
	metrics_cycle(&self->m, 3);
	metrics_cycle(&self->m, 40000);
	self->m.module_up = true;
	self->m.heat_total = 4;
	self->m.heat_dram = 1;
	ASSERT_EQ(0, metrics_write(&self->m, self->path));
	t = slurp(self->path);
	EXPECT_NE(NULL, strstr(t, "cxltier_node_capacity_bytes{node=\"0\",tier=\"0\",kind=\"dram\"} 1048576\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_node_free_bytes{node=\"2\",tier=\"1\",kind=\"cxl\"} 2048000\n"));
	/* free + reclaimable, capped at the capacity */
	EXPECT_NE(NULL, strstr(t, "cxltier_node_available_bytes{node=\"0\",tier=\"0\",kind=\"dram\"} 786432\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_node_available_bytes{node=\"2\",tier=\"1\",kind=\"cxl\"} 2097152\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_dram_bytes{what=\"untracked\"} 159744\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_dram_bytes{what=\"high_watermark\"} 996147\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_dram_bytes{what=\"deferred\"} 4096\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_throttled_cycles_total 1\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_untracked_pressure_cycles_total 1\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_cycle_duration_seconds_bucket{le=\"0.005\"} 1\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_cycle_duration_seconds_bucket{le=\"30\"} 1\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_cycle_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_cycle_duration_seconds_sum 40.003\n"));
	EXPECT_NE(NULL, strstr(t, "# TYPE cxltier_cycle_duration_seconds histogram\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_dram_heat_ratio 0.2500\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_module_up 1\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_adaptive_setting 4\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_adaptive_setting_info{half_life_ms=\"20000\",write_weight=\"1.000\",kind=\"sum\"} 1\n"));
	EXPECT_NE(NULL, strstr(t, "cxltier_build_info{version=\"" CXLTIER_VERSION "\"} 1\n"));
	free(t);

}

/* A second write replaces the first whole; a bad path is an error. */
TEST_F(met, replace_and_errors)
{
	char bad[160];
	char *t;

	self->m.cycles = 1;
	ASSERT_EQ(0, metrics_write(&self->m, self->path));
	self->m.cycles = 2;
	ASSERT_EQ(0, metrics_write(&self->m, self->path));
	t = slurp(self->path);
	EXPECT_NE(NULL, strstr(t, "cxltier_cycles_total 2\n"));
	EXPECT_EQ(NULL, strstr(t, "cxltier_cycles_total 1\n"));
	free(t);
	EXPECT_EQ(1, entries(self->dir));

	snprintf(bad, sizeof(bad), "%s/missing/cxltier.prom", self->dir);
	EXPECT_EQ(-ENOENT, metrics_write(&self->m, bad));
	EXPECT_EQ(1, entries(self->dir));
}

TEST_HARNESS_MAIN
