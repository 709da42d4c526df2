// SPDX-License-Identifier: GPL-2.0
/*
 * test_node_meminfo: parsing a node's meminfo, and reading it from a
 * sysfs tree made in a temporary directory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "node_meminfo.h"

static const char sample[] =
	"Node 1 MemTotal:       13330636 kB\n"
	"Node 1 MemFree:         7903420 kB\n"
	"Node 1 MemUsed:         5427216 kB\n"
	"Node 1 Active(anon):       1656 kB\n"
	"Node 1 Active(file):    1378540 kB\n"
	"Node 1 Inactive(file):  1611976 kB\n"
	"Node 1 Shmem:              8872 kB\n"
	"Node 1 SReclaimable:     580748 kB\n"
	"Node 1 HugePages_Total:     0\n";

TEST(parse_sample)
{
	struct node_meminfo m;

	ASSERT_EQ(0, node_meminfo_parse(sample, 1, &m));
	EXPECT_EQ(13330636ULL << 10, m.total);
	EXPECT_EQ(7903420ULL << 10, m.free);
	EXPECT_EQ((1378540ULL + 1611976ULL) << 10, m.file);
	EXPECT_EQ(580748ULL << 10, m.slab_reclaimable);
	EXPECT_EQ(8872ULL << 10, m.shmem);
	EXPECT_EQ((1378540ULL + 1611976ULL + 580748ULL) << 10, node_meminfo_reclaimable(&m));
}

/* Lines of another node are not this node's; the "Node 1" prefix is exact. */
TEST(other_node)
{
	struct node_meminfo m;

	EXPECT_EQ(-EINVAL, node_meminfo_parse(sample, 0, &m));
	EXPECT_EQ(-EINVAL, node_meminfo_parse(sample, 11, &m));
	EXPECT_EQ(-EINVAL, node_meminfo_parse(sample, -1, &m));
}

TEST(malformed)
{
	static const char *const bad[] = {
		"Node 0 MemTotal: 12 kB\n",				/* no MemFree */
		"Node 0 MemTotal: x kB\nNode 0 MemFree: 1 kB\n",	/* not a number */
		"Node 0 MemTotal: 12 MB\nNode 0 MemFree: 1 kB\n",	/* unit */
		"Node 0 MemTotal: 12\nNode 0 MemFree: 1 kB\n",		/* no unit */
		"Node 0 MemTotal: 99999999999999999999 kB\nNode 0 MemFree: 1 kB\n",
		"Node 0 MemTotal: 18014398509481984 kB\nNode 0 MemFree: 1 kB\n", /* 2^54 kB */
		"",
	};
	struct node_meminfo m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = node_meminfo_parse(bad[i], 0, &m);

		if (rc != -EINVAL)
			TH_LOG("case %zu: %d", i, rc);
		EXPECT_EQ(-EINVAL, rc);
	}
	/* Unknown keys and no trailing newline are fine. */
	ASSERT_EQ(0, node_meminfo_parse("Node 0 Foo: bar\nNode 0 MemTotal: 4 kB\nNode 0 MemFree: 1 kB", 0, &m));
	EXPECT_EQ(4096, m.total);
	EXPECT_EQ(0, node_meminfo_reclaimable(&m));
}

TEST(read_from_tree)
{
	char dir[] = "/tmp/test-node-meminfo-XXXXXX", path[256], cmd[300];
	struct node_meminfo m;
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/devices/system/node/node1", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	ASSERT_EQ(0, system(cmd));
	strcat(path, "/meminfo");
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs(sample, f);
	fclose(f);
	EXPECT_EQ(0, node_meminfo_read(dir, 1, &m));
	EXPECT_EQ(7903420ULL << 10, m.free);
	EXPECT_EQ(-ENOENT, node_meminfo_read(dir, 2, &m));
	EXPECT_EQ(-EINVAL, node_meminfo_read(dir, -1, &m));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	EXPECT_EQ(0, system(cmd));
}

TEST_HARNESS_MAIN
