// SPDX-License-Identifier: GPL-2.0
/*
 * test_pin_place: the node lists and memory policies pin_place reads
 * from /proc/PID/numa_maps, and the check itself on a snapshot of this
 * process: a registered, pinned range whose VMA is bound to a movable
 * far node but whose pages are on DRAM is reported once; others are not.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pin_place.h"

TEST(lists)
{
	EXPECT_TRUE(pin_place_list_has("2", 2));
	EXPECT_FALSE(pin_place_list_has("2", 1));
	EXPECT_TRUE(pin_place_list_has("0-3", 3));
	EXPECT_TRUE(pin_place_list_has("1,3-4", 4));
	EXPECT_FALSE(pin_place_list_has("1,3-4", 2));
	EXPECT_FALSE(pin_place_list_has("", 0));
	EXPECT_FALSE(pin_place_list_has("x", 0));
	EXPECT_FALSE(pin_place_list_has("3-1", 2));
	EXPECT_FALSE(pin_place_list_has("1,", 2));
	EXPECT_FALSE(pin_place_list_has("-1", 0));
}

TEST(policies)
{
	EXPECT_TRUE(pin_place_policy_has("bind:2", 2));
	EXPECT_TRUE(pin_place_policy_has("prefer:2", 2));
	EXPECT_TRUE(pin_place_policy_has("interleave:0-2", 1));
	EXPECT_FALSE(pin_place_policy_has("default", 0));
	EXPECT_FALSE(pin_place_policy_has("bind:0", 2));
}

/*
 * This process's own mapping stands in for the buffer: its policy is
 * "default", so nothing is reported, whatever its pages; a range that
 * is not registered, or has nothing pinned, or no movable far node
 * exists, is never looked at.
 */
TEST(check)
{
	struct cxltier_node_info info[2] = {
		{ .node = 0, .kind = CXLTIER_KIND_DRAM },
		{ .node = 2, .kind = CXLTIER_KIND_CXL, .flags = CXLTIER_NODE_ALL_MOVABLE },
	};
	struct plan_nodes pn = { 2, info, NULL };
	struct cxltier_chunk_heat ch = { .node = 0, .pinned_pages = 1, .resident_pages = 1 };
	struct obs_range r;
	struct obs_snapshot snap = { 1, 1, &r };
	struct pin_place pp;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	memset(&pp, 0, sizeof(pp));
	memset(&r, 0, sizeof(r));
	r.info.id = 7;
	r.info.pid = (__u32)getpid();
	r.info.start = (uintptr_t)p;
	r.info.nr_chunks = 1;
	r.chunks = &ch;
	r.registered = true;
	EXPECT_EQ(0, pin_place_check(&pp, &snap, &pn));	/* policy "default" */
	r.registered = false;
	EXPECT_EQ(0, pin_place_check(&pp, &snap, &pn));
	info[1].flags = 0;
	r.registered = true;
	EXPECT_EQ(0, pin_place_check(&pp, &snap, &pn));
	munmap(p, 4096);
}

TEST_HARNESS_MAIN
