/* SPDX-License-Identifier: GPL-2.0 OR LGPL-2.1-or-later */
/*
 * Tier-ordering arithmetic of cxltier.ko (kmod/tiers.c), kept free of
 * kernel-only calls so that the host unit tests run exactly the code the
 * module runs (tests/unit/test_tiers.c holds the worked examples at the
 * top of kmod/tiers.c as table tests).
 *
 * Abstract distance, on the kernel's scale (mm/memory-tiers.c: default
 * DRAM is 576, one memory tier spans a 128-wide chunk):
 *
 *  1. HMAT figures against the mean of the nodes with CPUs that have
 *     them, as mt_perf_to_adistance() does:
 *	  adist = 576 * lat / ref_lat * ref_bw / bw
 *     (lat = read + write latency, bw = read + write bandwidth);
 *  2. else the middle of the node's memory tier: M * 128 + 64;
 *  3. else a default by kind: 448 HBM, 576 DRAM or unknown, 2880 others.
 *
 * Tiers: nodes whose distances fall in one chunk and that have one kind
 * form a tier; tiers go by chunk, then by kind (HBM, DRAM, unknown, CXL,
 * far, PMEM), numbered from 0.
 */
#ifndef _CXLTIER_TIERS_MATH_H
#define _CXLTIER_TIERS_MATH_H

#include <linux/types.h>
#ifndef __KERNEL__
#include <stdbool.h>
#endif

#include <uapi/linux/cxltier.h>

/* mm/memory-tiers.h's scale (MEMTIER_CHUNK_BITS, MEMTIER_ADISTANCE_DRAM). */
#define CXLTIER_CHUNK_BITS	7
#define CXLTIER_CHUNK_SIZE	128U	/* 1 << CXLTIER_CHUNK_BITS */
/* Abstract distance of default DRAM, as the kernel defines it. */
#define CXLTIER_ADIST_DRAM	(4U * CXLTIER_CHUNK_SIZE + CXLTIER_CHUNK_SIZE / 2)
/* kmem's default for memory it onlines without performance data. */
#define CXLTIER_ADIST_SLOW	(CXLTIER_ADIST_DRAM * 5)
/* HBM without performance data: one chunk faster than DRAM. */
#define CXLTIER_ADIST_HBM	(CXLTIER_ADIST_DRAM - CXLTIER_CHUNK_SIZE)
/* Largest abstract distance computed (alloc_memory_type takes an int). */
#define CXLTIER_ADIST_MAX	0x7fffffffU

/**
 * cxltier_adist_hmat() - abstract distance from HMAT figures
 * @lat: the node's read + write latency (ns)
 * @bw: the node's read + write bandwidth (MB/s)
 * @ref_lat: the reference's (mean of nodes with CPUs), not 0
 * @ref_bw: likewise, not 0
 *
 * Return: the distance, CXLTIER_ADIST_MAX where it would be larger (or
 * @bw is 0).
 */
static inline __u32 cxltier_adist_hmat(__u64 lat, __u64 bw, __u64 ref_lat,
				       __u64 ref_bw)
{
	__u64 a;

	if (!bw || !ref_lat)
		return CXLTIER_ADIST_MAX;
	/* 576 * lat fits in 64 bits: lat < 2^33. */
	a = CXLTIER_ADIST_DRAM * lat / ref_lat;
	if (a > CXLTIER_ADIST_MAX || __builtin_mul_overflow(a, ref_bw, &a))
		return CXLTIER_ADIST_MAX;
	a /= bw;
	return a < CXLTIER_ADIST_MAX ? (__u32)a : CXLTIER_ADIST_MAX;
}

/* Abstract distance of the middle of the kernel's memory tier @memtier (>= 0). */
static inline __u32 cxltier_adist_memtier(int memtier)
{
	__u64 a = ((__u64)memtier << CXLTIER_CHUNK_BITS) + CXLTIER_CHUNK_SIZE / 2;

	return a < CXLTIER_ADIST_MAX ? (__u32)a : CXLTIER_ADIST_MAX;
}

/* Abstract distance of a node of @kind with no figures and no memory tier. */
static inline __u32 cxltier_adist_default(__u32 kind)
{
	switch (kind) {
	case CXLTIER_KIND_HBM:
		return CXLTIER_ADIST_HBM;
	case CXLTIER_KIND_DRAM:
	case CXLTIER_KIND_UNKNOWN:
		return CXLTIER_ADIST_DRAM;
	default:
		return CXLTIER_ADIST_SLOW;
	}
}

/* Order of kinds that share a chunk: lower is faster; unknown kinds last. */
static inline unsigned int cxltier_kind_rank(__u32 kind)
{
	static const unsigned char rank[CXLTIER_KIND_MAX + 1] = {
		[CXLTIER_KIND_HBM]	= 0,
		[CXLTIER_KIND_DRAM]	= 1,
		[CXLTIER_KIND_UNKNOWN]	= 2,
		[CXLTIER_KIND_CXL]	= 3,
		[CXLTIER_KIND_FAR]	= 4,
		[CXLTIER_KIND_PMEM]	= 5,
	};

	return kind <= CXLTIER_KIND_MAX ? rank[kind] : CXLTIER_KIND_MAX + 1;
}

/**
 * struct cxltier_order_key - what a node is ordered by
 * @adistance: its abstract distance
 * @kind: CXLTIER_KIND_*
 * @nid: node id, the last tie-break
 */
struct cxltier_order_key {
	__u32 adistance;
	__u32 kind;
	int nid;
};

/* Does @a sort before @b (faster class, then lower id)? */
static inline bool cxltier_order_before(const struct cxltier_order_key *a,
					const struct cxltier_order_key *b)
{
	__u32 ca = a->adistance >> CXLTIER_CHUNK_BITS;
	__u32 cb = b->adistance >> CXLTIER_CHUNK_BITS;

	if (ca != cb)
		return ca < cb;
	if (a->kind != b->kind)
		return cxltier_kind_rank(a->kind) < cxltier_kind_rank(b->kind);
	return a->nid < b->nid;
}

/* Are @a and @b in one performance class (one tier)? */
static inline bool cxltier_order_same_class(const struct cxltier_order_key *a,
					    const struct cxltier_order_key *b)
{
	return a->kind == b->kind &&
	       a->adistance >> CXLTIER_CHUNK_BITS ==
	       b->adistance >> CXLTIER_CHUNK_BITS;
}

/**
 * cxltier_order() - sort nodes into tiers
 * @keys: @n nodes
 * @n: how many
 * @order: out: @n indices into @keys, fastest class first
 * @tier: out: @tier[i] is node @keys[i]'s tier, 0 = fastest
 *
 * Insertion sort: a machine has a handful of memory nodes.
 *
 * Return: the number of tiers.
 */
static inline unsigned int cxltier_order(const struct cxltier_order_key *keys,
					 unsigned int n, unsigned int *order,
					 unsigned int *tier)
{
	unsigned int i, j, nr_tiers = 0;

	for (i = 0; i < n; i++) {
		for (j = i; j > 0 &&
		     cxltier_order_before(&keys[i], &keys[order[j - 1]]); j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < n; i++) {
		if (!i || !cxltier_order_same_class(&keys[order[i - 1]],
						    &keys[order[i]]))
			nr_tiers++;
		tier[order[i]] = nr_tiers - 1;
	}
	return nr_tiers;
}

#endif /* _CXLTIER_TIERS_MATH_H */
