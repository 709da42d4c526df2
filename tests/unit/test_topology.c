// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/topology.c's pure parts: present and
 * ZONE_MOVABLE pages per node from /proc/zoneinfo, and the movable state
 * derived from them.
 */
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "topology.h"

/* Shaped like a real /proc/zoneinfo: node 0 DRAM, node 2 kmem movable. */
static const char zoneinfo[] =
	"Node 0, zone      DMA\n"
	"  per-node stats\n"
	"      nr_inactive_anon 12\n"
	"  pages free     3840\n"
	"        boost    0\n"
	"        spanned  4095\n"
	"        present  3998\n"
	"        managed  3840\n"
	"Node 0, zone    DMA32\n"
	"  pages free     200000\n"
	"        spanned  258048\n"
	"        present  258048\n"
	"        managed  240000\n"
	"Node 0, zone   Normal\n"
	"  pages free     0\n"
	"        spanned  0\n"
	"        present  0\n"
	"Node 0, zone  Movable\n"
	"  pages free     0\n"
	"        spanned  0\n"
	"        present  0\n"
	"Node 2, zone   Normal\n"
	"  pages free     0\n"
	"        spanned  0\n"
	"        present  1024\n"
	"Node 2, zone  Movable\n"
	"  pages free     260000\n"
	"        spanned  262144\n"
	"        present  262144\n"
	"        managed  262144\n";

/* Present pages add up over zones; only the Movable zone counts as movable. */
TEST(zoneinfo_sums)
{
	uint64_t present, movable;

	ASSERT_EQ(0, topo_parse_zoneinfo(zoneinfo, 0, &present, &movable));
	EXPECT_EQ(3998 + 258048, present);
	EXPECT_EQ(0, movable);
	ASSERT_EQ(0, topo_parse_zoneinfo(zoneinfo, 2, &present, &movable));
	EXPECT_EQ(1024 + 262144, present);
	EXPECT_EQ(262144, movable);
}

/* A node absent from the text is -ENOENT with zero counts. */
TEST(zoneinfo_missing_node)
{
	uint64_t present = 1, movable = 1;

	EXPECT_EQ(-ENOENT, topo_parse_zoneinfo(zoneinfo, 1, &present, &movable));
	EXPECT_EQ(0, present);
	EXPECT_EQ(0, movable);
	EXPECT_EQ(-ENOENT, topo_parse_zoneinfo("", 0, &present, &movable));
	EXPECT_EQ(-ENOENT, topo_parse_zoneinfo("garbage\nNode x, zone\n", 0,
					       &present, &movable));
}

/* Lines longer than the parser's buffer do not derail it. */
TEST(zoneinfo_long_lines)
{
	char text[1024];
	uint64_t present, movable;
	int n;

	n = snprintf(text, sizeof(text), "Node 3, zone Movable\n  x");
	memset(text + n, 'y', 400);
	snprintf(text + n + 400, sizeof(text) - n - 400, "\n present 7\n");
	ASSERT_EQ(0, topo_parse_zoneinfo(text, 3, &present, &movable));
	EXPECT_EQ(7, present);
	EXPECT_EQ(7, movable);
}

/* none / some / all from page counts. */
TEST(movable_state)
{
	EXPECT_EQ(TOPO_MOVABLE_NONE, topo_movable_state(100, 0));
	EXPECT_EQ(TOPO_MOVABLE_NONE, topo_movable_state(0, 0));
	EXPECT_EQ(TOPO_MOVABLE_SOME, topo_movable_state(100, 40));
	EXPECT_EQ(TOPO_MOVABLE_ALL, topo_movable_state(100, 100));
}

TEST_HARNESS_MAIN
