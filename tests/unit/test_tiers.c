// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for include/cxltier/tiers.h, the tier-ordering
 * arithmetic of cxltier.ko: the worked examples at the top of
 * kmod/tiers.c as tables (each node's abstract distance and tier), then
 * the edges (overflow, no bandwidth, kinds out of range).
 */
#include <stdint.h>

#include "cxltier/tiers.h"
#include "kselftest_harness.h"

/* No figure for the node: its memory tier or its kind decides. */
#define NO_HMAT 0, 0

/**
 * struct ex_node - one node of an example
 * @nid: node id
 * @kind: CXLTIER_KIND_*
 * @lat: read + write latency, 0 without HMAT
 * @bw: read + write bandwidth, 0 without HMAT
 * @memtier: the kernel's memory tier, -1 for none
 * @adist: the abstract distance the example gives
 * @tier: the tier the example gives
 */
struct ex_node {
	int nid;
	uint32_t kind;
	uint64_t lat, bw;
	int memtier;
	uint32_t adist;
	unsigned int tier;
};

/* As kmod/tiers.c's cxltier_adistance(): figures, memory tier, kind. */
static uint32_t adist_of(const struct ex_node *n, uint64_t ref_lat, uint64_t ref_bw)
{
	if (n->lat && ref_lat)
		return cxltier_adist_hmat(n->lat, n->bw, ref_lat, ref_bw);
	if (n->memtier >= 0)
		return cxltier_adist_memtier(n->memtier);
	return cxltier_adist_default(n->kind);
}

/* Every node's distance and tier, and the number of tiers. */
static void check(struct __test_metadata *_metadata, const struct ex_node *ex,
		  unsigned int n, uint64_t ref_lat, uint64_t ref_bw,
		  unsigned int nr_tiers)
{
	struct cxltier_order_key keys[8];
	unsigned int order[8], tier[8], i;

	ASSERT_GE(8, n);
	for (i = 0; i < n; i++) {
		keys[i].adistance = adist_of(&ex[i], ref_lat, ref_bw);
		keys[i].kind = ex[i].kind;
		keys[i].nid = ex[i].nid;
		EXPECT_EQ(ex[i].adist, keys[i].adistance)
			TH_LOG("node %d", ex[i].nid);
	}
	EXPECT_EQ(nr_tiers, cxltier_order(keys, n, order, tier));
	for (i = 0; i < n; i++)
		EXPECT_EQ(ex[i].tier, tier[i]) TH_LOG("node %d", ex[i].nid);
	/* @order lists the nodes tier by tier. */
	for (i = 1; i < n; i++)
		EXPECT_LE(tier[order[i - 1]], tier[order[i]]);
}

/* Example 1: DRAM (100 ns, 100 GB/s) and a far node (250 ns, 25 GB/s). */
TEST(example1_hmat)
{
	static const struct ex_node ex[] = {
		{ 0, CXLTIER_KIND_DRAM, 200, 200000, -1, 576, 0 },
		{ 1, CXLTIER_KIND_FAR, 500, 50000, -1, 5760, 1 },
	};

	check(_metadata, ex, 2, 200, 200000, 2);
	EXPECT_EQ(45, 5760 >> CXLTIER_CHUNK_BITS);
}

/* Example 2: no HMAT; kmem in memory_tier22, CPU-less boot memory in 4. */
TEST(example2_memory_tiers)
{
	static const struct ex_node ex[] = {
		{ 0, CXLTIER_KIND_DRAM, NO_HMAT, 4, 576, 0 },
		{ 1, CXLTIER_KIND_FAR, NO_HMAT, 22, 22 * 128 + 64, 2 },
		{ 2, CXLTIER_KIND_FAR, NO_HMAT, 4, 576, 1 },	/* same chunk, other kind */
	};

	check(_metadata, ex, 3, 0, 0, 3);
}

/*
 * Example 3: example 1 plus nodes 2 and 3 at 400 ns, 25 GB/s, node 3
 * marked "cxl": one chunk (72), so the kinds order them, CXL first.
 */
TEST(example3_kind_in_one_chunk)
{
	static const struct ex_node ex[] = {
		{ 0, CXLTIER_KIND_DRAM, 200, 200000, -1, 576, 0 },
		{ 1, CXLTIER_KIND_FAR, 500, 50000, -1, 5760, 1 },
		{ 2, CXLTIER_KIND_FAR, 800, 50000, -1, 9216, 3 },
		{ 3, CXLTIER_KIND_CXL, 800, 50000, -1, 9216, 2 },
	};

	check(_metadata, ex, 4, 200, 200000, 4);
}

/* Example 3 with node 3 left "far": nodes 2 and 3 share a tier. */
TEST(example3_same_class)
{
	static const struct ex_node ex[] = {
		{ 0, CXLTIER_KIND_DRAM, 200, 200000, -1, 576, 0 },
		{ 1, CXLTIER_KIND_FAR, 500, 50000, -1, 5760, 1 },
		{ 2, CXLTIER_KIND_FAR, 800, 50000, -1, 9216, 2 },
		{ 3, CXLTIER_KIND_FAR, 800, 50000, -1, 9216, 2 },
	};

	check(_metadata, ex, 4, 200, 200000, 3);
}

/*
 * Without figures or a memory tier the kind decides; HBM goes first, and
 * unknown shares DRAM's chunk but not its kind: a tier of its own.
 */
TEST(defaults_by_kind)
{
	static const struct ex_node ex[] = {
		{ 0, CXLTIER_KIND_DRAM, NO_HMAT, -1, 576, 1 },
		{ 1, CXLTIER_KIND_PMEM, NO_HMAT, -1, 2880, 5 },
		{ 2, CXLTIER_KIND_CXL, NO_HMAT, -1, 2880, 3 },
		{ 3, CXLTIER_KIND_HBM, NO_HMAT, -1, 448, 0 },
		{ 4, CXLTIER_KIND_FAR, NO_HMAT, -1, 2880, 4 },
		{ 5, CXLTIER_KIND_UNKNOWN, NO_HMAT, -1, 576, 2 },
	};

	check(_metadata, ex, 6, 0, 0, 6);
}

/* Nodes of one class keep node-id order within their tier. */
TEST(ties_by_node_id)
{
	struct cxltier_order_key keys[] = {
		{ 2880, CXLTIER_KIND_FAR, 7 },
		{ 2880, CXLTIER_KIND_FAR, 3 },
		{ 576, CXLTIER_KIND_DRAM, 5 },
	};
	unsigned int order[3], tier[3];

	EXPECT_EQ(2, cxltier_order(keys, 3, order, tier));
	EXPECT_EQ(2, order[0]);
	EXPECT_EQ(1, order[1]);
	EXPECT_EQ(0, order[2]);
	EXPECT_EQ(1, tier[0]);
	EXPECT_EQ(1, tier[1]);
	EXPECT_EQ(0, tier[2]);
	EXPECT_EQ(0, cxltier_order(keys, 0, order, tier));
}

/* Figures that overflow, or no bandwidth, give the largest distance. */
TEST(hmat_edges)
{
	EXPECT_EQ(CXLTIER_ADIST_MAX, cxltier_adist_hmat(200, 0, 200, 200));
	EXPECT_EQ(CXLTIER_ADIST_MAX, cxltier_adist_hmat(200, 200, 0, 200));
	/* 576 * lat / ref_lat beyond an int. */
	EXPECT_EQ(CXLTIER_ADIST_MAX, cxltier_adist_hmat(1ULL << 32, 1, 1, 1));
	/* The product with ref_bw overflows 64 bits. */
	EXPECT_EQ(CXLTIER_ADIST_MAX,
		  cxltier_adist_hmat(1ULL << 20, 1, 1, UINT64_MAX / 2));
	/* Just below the limit stays exact. */
	EXPECT_EQ(CXLTIER_ADIST_MAX - 1,
		  cxltier_adist_hmat(CXLTIER_ADIST_MAX - 1, 576, 576, 576));
	/* Faster than the reference: below DRAM. */
	EXPECT_EQ(288, cxltier_adist_hmat(100, 200, 200, 200));
	EXPECT_EQ(CXLTIER_ADIST_MAX, cxltier_adist_memtier(1 << 30));
	EXPECT_EQ(64, cxltier_adist_memtier(0));
}

/* A kind beyond the known ones sorts after every known one. */
TEST(unknown_kind_value)
{
	struct cxltier_order_key a = { 2880, CXLTIER_KIND_MAX + 9, 0 };
	struct cxltier_order_key b = { 2880, CXLTIER_KIND_PMEM, 1 };

	EXPECT_FALSE(cxltier_order_before(&a, &b));
	EXPECT_TRUE(cxltier_order_before(&b, &a));
	EXPECT_FALSE(cxltier_order_same_class(&a, &b));
	EXPECT_EQ(CXLTIER_ADIST_SLOW, cxltier_adist_default(CXLTIER_KIND_MAX + 9));
}

TEST_HARNESS_MAIN
