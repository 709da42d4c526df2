// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/preload/place.c: how libcxltier-preload.so
 * cuts registrations (at real sizes: 512 GiB and more, the default
 * 64 GiB limit), which tier and node a class's allocations get, and its
 * fallbacks.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"
#include "preload/place.h"

#define GiB (1ULL << 30)

TEST(chunks_at_real_sizes)
{
	uint64_t total = 0, len = 600 * GiB + 4096;
	size_t i, n = preload_nr_chunks(len, PRELOAD_MAX_REGISTER_DEFAULT);

	ASSERT_EQ(10, n);
	for (i = 0; i < n; i++) {
		uint64_t c = preload_chunk_len(len, PRELOAD_MAX_REGISTER_DEFAULT, i);

		EXPECT_LE(c, PRELOAD_MAX_REGISTER_DEFAULT);
		EXPECT_GT(c, 0);
		total += c;
	}
	EXPECT_EQ(len, total);
	EXPECT_EQ(24 * GiB + 4096, preload_chunk_len(len, PRELOAD_MAX_REGISTER_DEFAULT, 9));
	EXPECT_EQ(0, preload_chunk_len(len, PRELOAD_MAX_REGISTER_DEFAULT, 10));
	EXPECT_EQ(8, preload_nr_chunks(512 * GiB, PRELOAD_MAX_REGISTER_DEFAULT));
	EXPECT_EQ(1, preload_nr_chunks(64 * GiB, PRELOAD_MAX_REGISTER_DEFAULT));
	EXPECT_EQ(2, preload_nr_chunks(64 * GiB + 1, PRELOAD_MAX_REGISTER_DEFAULT));
	EXPECT_EQ(1, preload_nr_chunks(1, PRELOAD_MAX_REGISTER_DEFAULT));
	EXPECT_EQ(0, preload_nr_chunks(0, PRELOAD_MAX_REGISTER_DEFAULT));
	EXPECT_EQ(0, preload_nr_chunks(5, 0));
	/* The largest size_t a caller can pass still adds up. */
	EXPECT_EQ(UINT64_MAX / (64 * GiB) + 1, preload_nr_chunks(UINT64_MAX, 64 * GiB));
}

static const struct preload_node nodes[] = {
	{ .node = 0, .far = 0, .free_bytes = 8 * GiB },
	{ .node = 1, .far = 0, .free_bytes = 1 * GiB },
	{ .node = 2, .far = 1, .free_bytes = 4 * GiB },
	{ .node = 3, .far = 1, .free_bytes = 32 * GiB },
};

static int setup_cfg(struct config *cfg)
{
	char err[CONFIG_ERR_LEN];

	config_init(cfg);
	return config_parse_string(cfg, "t.conf",
		"[class \"kv\"]\nlabel = cuda-host-*\nprocess = vllm*\ndram_share = 0%\n"
		"[class \"hot\"]\nlabel = hot\npriority = 5\n", err, sizeof(err));
}

TEST(class_decides_tier)
{
	struct preload_place p;
	struct config cfg;
	char why[128];

	ASSERT_EQ(0, setup_cfg(&cfg));
	ASSERT_EQ(0, preload_decide(&cfg, NULL, "cuda-host-alloc", "vllm-worker",
				    nodes, 4, &p, why, sizeof(why)));
	EXPECT_STREQ("kv", cfg.classes[p.class_idx].name);
	EXPECT_EQ(1, p.far);
	ASSERT_EQ(2, p.nr_nodes);
	EXPECT_EQ(2, p.nodes[0]);
	EXPECT_EQ(3, p.nodes[1]);
	/* Another process: the default class, DRAM. */
	ASSERT_EQ(0, preload_decide(&cfg, NULL, "cuda-host-alloc", "python3",
				    nodes, 4, &p, why, sizeof(why)));
	EXPECT_EQ(CONFIG_CLASS_DEFAULT, p.class_idx);
	EXPECT_EQ(0, p.far);
	EXPECT_EQ(2, p.nr_nodes);
	/* Forced by name. */
	ASSERT_EQ(0, preload_decide(&cfg, "kv", "x", "y", nodes, 4, &p, why, sizeof(why)));
	EXPECT_EQ(1, p.far);
}

TEST(pick_node_with_room)
{
	struct preload_place p;
	struct config cfg;
	char why[128];

	ASSERT_EQ(0, setup_cfg(&cfg));
	ASSERT_EQ(0, preload_decide(&cfg, "kv", NULL, NULL, nodes, 4, &p, why, sizeof(why)));
	EXPECT_EQ(2, preload_pick_node(&p, nodes, 4, 1 * GiB, 0));
	EXPECT_EQ(3, preload_pick_node(&p, nodes, 4, 4 * GiB, 1));
	EXPECT_EQ(-ENOSPC, preload_pick_node(&p, nodes, 4, 40 * GiB, 0));
	/* The reserve is kept, without wrapping below zero. */
	EXPECT_EQ(-ENOSPC, preload_pick_node(&p, nodes, 4, 1, 64 * GiB));
}

TEST(explicit_tiers_and_fallbacks)
{
	struct preload_place p;
	struct config cfg;
	char why[128], err[CONFIG_ERR_LEN];

	ASSERT_EQ(0, setup_cfg(&cfg));
	EXPECT_EQ(-ENOENT, preload_decide(&cfg, "nosuch", NULL, NULL, nodes, 4, &p, why, sizeof(why)));
	EXPECT_STREQ("no class \"nosuch\" in the configuration", why);
	/* A far tier with no node: -ENODEV. */
	EXPECT_EQ(-ENODEV, preload_decide(&cfg, "kv", NULL, NULL, nodes, 2, &p, why, sizeof(why)));
	EXPECT_STREQ("class \"kv\": no far-memory node online", why);
	/* A [tiers] list wins over the node kinds (the config checks that
	 * listed nodes exist on this host: node 0 always does). */
	ASSERT_EQ(0, config_parse_string(&cfg, "t2.conf", "[tiers]\ndram = 0\n",
					  err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, preload_decide(&cfg, "hot", NULL, NULL, nodes, 4, &p, why, sizeof(why)));
	ASSERT_EQ(1, p.nr_nodes);
	EXPECT_EQ(0, p.nodes[0]);
}

TEST(parse_size)
{
	uint64_t v = 0;

	EXPECT_EQ(0, preload_parse_size("64G", 4096, &v));
	EXPECT_EQ(64 * GiB, v);
	EXPECT_EQ(0, preload_parse_size("1MiB", 4096, &v));
	EXPECT_EQ(1 << 20, v);
	EXPECT_EQ(-EINVAL, preload_parse_size("12345", 4096, &v));
	EXPECT_EQ(-EINVAL, preload_parse_size("0", 4096, &v));
	EXPECT_EQ(-EINVAL, preload_parse_size("", 4096, &v));
	EXPECT_EQ(-EINVAL, preload_parse_size(NULL, 4096, &v));
	EXPECT_EQ(-EINVAL, preload_parse_size("1X", 4096, &v));
}

TEST_HARNESS_MAIN
