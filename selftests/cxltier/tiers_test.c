// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of CXLTIER_IOC_GET_NODES: count then fill, entry_size, the
 * argument rules, and agreement with /sys/kernel/cxltier/nodes/.  Needs
 * cxltier.ko loaded on a topology with at least two memory nodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/cxltier.h>

#include "kselftest_harness.h"

#define DEV "/dev/cxltier"
#define SYSFS "/sys/kernel/cxltier"

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static void gn_init(struct cxltier_get_nodes *gn, void *buf, uint32_t room,
		    uint32_t entry_size)
{
	memset(gn, 0, sizeof(*gn));
	gn->argsz = sizeof(*gn);
	gn->nr_nodes = room;
	gn->entry_size = entry_size;
	gn->nodes = (uintptr_t)buf;
}

/* One line of a sysfs file as a string; "" when unreadable. */
static void read_sysfs(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static long long read_sysfs_ll(const char *path)
{
	char buf[64];

	read_sysfs(path, buf, sizeof(buf));
	return buf[0] ? strtoll(buf, NULL, 10) : -999;
}

FIXTURE(dev)
{
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", DEV, strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

/* The handshake advertises the tier table, retier and GET_NODES. */
TEST_F(dev, advertised)
{
	struct cxltier_handshake hs;

	memset(&hs, 0, sizeof(hs));
	hs.argsz = sizeof(hs);
	hs.api_version = CXLTIER_API_VERSION;
	ASSERT_EQ(0, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs));
	EXPECT_TRUE(hs.features & CXLTIER_FEAT_TIERS);
	EXPECT_TRUE(hs.features & CXLTIER_FEAT_RETIER);
	EXPECT_TRUE(hs.ioctls & (1ULL << (_IOC_NR(CXLTIER_IOC_GET_NODES) - CXLTIER_BASE)));
}

/* Asking with no room returns the counts and writes nothing. */
TEST_F(dev, count)
{
	struct cxltier_get_nodes gn;

	gn_init(&gn, NULL, 0, 0);
	ASSERT_EQ(0, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	EXPECT_LE(2, gn.nr_nodes);
	EXPECT_LE(1, gn.nr_tiers);
	EXPECT_GE(gn.nr_nodes, gn.nr_tiers);
}

/* A full fill agrees with sysfs, node by node, and tiers are dense. */
TEST_F(dev, fill_matches_sysfs)
{
	struct cxltier_node_info info[64];
	struct cxltier_get_nodes gn;
	char path[256], kind[32];
	uint32_t i, seen_tiers = 0;

	gn_init(&gn, info, 64, sizeof(info[0]));
	ASSERT_EQ(0, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	ASSERT_GE(64, gn.nr_nodes);
	for (i = 0; i < gn.nr_nodes; i++) {
		const struct cxltier_node_info *n = &info[i];
		static const char *const kinds[] = {
			"unknown", "dram", "far", "cxl", "hbm", "pmem",
		};

		if (i)
			EXPECT_LT(info[i - 1].node, n->node);
		snprintf(path, sizeof(path), SYSFS "/nodes/node%u/tier", n->node);
		EXPECT_EQ(n->tier, read_sysfs_ll(path)) TH_LOG("node %u", n->node);
		snprintf(path, sizeof(path), SYSFS "/nodes/node%u/memory_tier", n->node);
		EXPECT_EQ(n->memory_tier, read_sysfs_ll(path));
		snprintf(path, sizeof(path), SYSFS "/nodes/node%u/capacity_kB", n->node);
		EXPECT_EQ((long long)n->capacity_kB, read_sysfs_ll(path));
		snprintf(path, sizeof(path), SYSFS "/nodes/node%u/kind", n->node);
		read_sysfs(path, kind, sizeof(kind));
		ASSERT_GE(CXLTIER_KIND_MAX, n->kind);
		EXPECT_STREQ(kinds[n->kind], kind);
		EXPECT_GE(n->capacity_kB, n->free_kB);
		EXPECT_GE(n->capacity_kB, n->movable_kB);
		EXPECT_EQ(!!(n->flags & CXLTIER_NODE_HAS_CPUS),
			  n->kind == CXLTIER_KIND_DRAM);
		EXPECT_EQ(0, n->reserved[0]);
		EXPECT_EQ(0, n->reserved[1]);
		EXPECT_GT(gn.nr_tiers, n->tier);
		seen_tiers |= 1U << n->tier;
	}
	/* Every tier 0..nr_tiers-1 holds a node. */
	EXPECT_EQ((1U << gn.nr_tiers) - 1, seen_tiers);
}

/* Less room than nodes: the room is filled, the rest untouched, count true. */
TEST_F(dev, short_room)
{
	struct cxltier_node_info info[2];
	struct cxltier_get_nodes gn;
	uint32_t total;

	gn_init(&gn, NULL, 0, 0);
	ASSERT_EQ(0, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	total = gn.nr_nodes;
	memset(info, 0xa5, sizeof(info));
	gn_init(&gn, info, 1, sizeof(info[0]));
	ASSERT_EQ(0, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	EXPECT_EQ(total, gn.nr_nodes);
	EXPECT_EQ(0, info[0].reserved[0]);
	EXPECT_EQ(0xa5a5a5a5u, info[1].node);
}

/* A caller's larger entries: strided writes, the tail of each zeroed. */
TEST_F(dev, larger_entry_size)
{
	const size_t es = sizeof(struct cxltier_node_info) + 24;
	struct cxltier_node_info plain[8];
	struct cxltier_get_nodes gn;
	unsigned char *buf;
	uint32_t i;
	size_t b;

	gn_init(&gn, plain, 8, sizeof(plain[0]));
	ASSERT_EQ(0, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	ASSERT_GE(8, gn.nr_nodes);
	buf = malloc(es * 8);
	ASSERT_NE(NULL, buf);
	memset(buf, 0xff, es * 8);
	gn_init(&gn, buf, 8, es);
	ASSERT_EQ(0, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	for (i = 0; i < gn.nr_nodes; i++) {
		struct cxltier_node_info *n = (void *)(buf + i * es);

		EXPECT_EQ(plain[i].node, n->node);
		EXPECT_EQ(plain[i].tier, n->tier);
		for (b = sizeof(*n); b < es; b++)
			EXPECT_EQ(0, buf[i * es + b]);
	}
	free(buf);
}

/* entry_size too small or absurd, flags, reserved: -EINVAL. */
TEST_F(dev, bad_arguments)
{
	struct cxltier_node_info info[8];
	struct cxltier_get_nodes gn;

	gn_init(&gn, info, 8, sizeof(info[0]) - 8);
	EXPECT_EQ(-EINVAL, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	gn_init(&gn, info, 8, 0);
	EXPECT_EQ(-EINVAL, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	gn_init(&gn, info, 8, 1U << 20);
	EXPECT_EQ(-EINVAL, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	gn_init(&gn, info, 8, sizeof(info[0]));
	gn.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	gn_init(&gn, info, 8, sizeof(info[0]));
	gn.reserved0 = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	gn_init(&gn, info, 8, sizeof(info[0]));
	gn.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
}

/* An unwritable array is -EFAULT; a huge room with a bad pointer too. */
TEST_F(dev, bad_array)
{
	struct cxltier_get_nodes gn;
	void *ro;

	gn_init(&gn, (void *)8, 4, sizeof(struct cxltier_node_info));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	gn_init(&gn, (void *)-4096L, 0xffffffffu, sizeof(struct cxltier_node_info));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	gn_init(&gn, ro, 4, sizeof(struct cxltier_node_info));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, CXLTIER_IOC_GET_NODES, &gn));
	munmap(ro, 4096);
}

TEST_HARNESS_MAIN
