// SPDX-License-Identifier: GPL-2.0
/*
 * pool_advice_test: the library's side of the pool frames on a real
 * pool (the module, test-accel pins, the kmem topology): POOL_REGISTER
 * names the module's ranges of the slabs; an ADVICE moves blocks with
 * the pool's move engine, every byte kept and the pins held; bad advice
 * (another pool, a block or tier the pool does not have) is refused
 * whole and changes nothing; advice for a block freed since is stale
 * and changes nothing; after the release of a slab POOL_REGISTER lists
 * the others, renumbered.  Links the library statically: pool_advice is
 * internal to it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libcxltier.h"
#include "pool.h"
#include "pool_advice.h"
#include "testbed.h"

#define BS	(256ULL << 10)
#define NB	16

FIXTURE(pa) {
	struct cxltier *ctx;
	struct cxltier_pool *pool;
	int accel;
	char arg[32];
	cxltier_block_t b[NB];
};

FIXTURE_SETUP(pa)
{
	struct cxltier_options o = { .size = sizeof(o), .flags = CXLTIER_OPEN_NO_AGENT };
	struct cxltier_pool_desc d;
	unsigned int i;

	self->accel = tb_accel_open(TB_ACCEL_LOAD | TB_ACCEL_UNLOAD_AT_EXIT);
	ASSERT_LE(0, self->accel);
	snprintf(self->arg, sizeof(self->arg), "fd=%d", self->accel);
	ASSERT_EQ(0, cxltier_open(&o, &self->ctx));
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.label = "pool-advice";
	d.block_size = BS;
	d.nr_blocks = NB;
	d.slots[0] = NB;
	d.slots[1] = NB;
	d.adapter = "test-accel";
	d.adapter_arg = self->arg;
	ASSERT_EQ(0, cxltier_pool_create(self->ctx, &d, &self->pool));
	/* Half on each tier, each with its own pattern. */
	for (i = 0; i < NB; i++) {
		struct cxltier_block_ref r;

		ASSERT_EQ(0, cxltier_block_alloc(self->pool, (int)(i & 1), &self->b[i]));
		ASSERT_EQ(0, cxltier_block_get(self->pool, self->b[i], CXLTIER_BLOCK_WRITE, &r));
		tb_pattern_fill(r.addr, BS, i);
		cxltier_block_put(self->pool, &r);
	}
}

FIXTURE_TEARDOWN(pa)
{
	if (self->pool)
		cxltier_pool_destroy(self->pool);
	if (self->ctx)
		cxltier_close(self->ctx);
	if (self->accel >= 0)
		close(self->accel);
}

static unsigned int tier_of(struct cxltier_pool *p, cxltier_block_t b)
{
	struct cxltier_block_ref r;

	if (cxltier_block_lookup(p, b, &r))
		return 99;
	return r.tier;
}

static uint64_t bad_bytes(struct cxltier_pool *p, cxltier_block_t b, uint32_t id)
{
	struct cxltier_block_ref r;
	uint64_t bad;

	if (cxltier_block_get(p, b, 0, &r))
		return BS;
	bad = tb_pattern_check(r.addr, BS, id);
	cxltier_block_put(p, &r);
	return bad;
}

/* Every block where it was, every byte intact. */
static void unchanged(struct __test_metadata *_metadata, struct _test_data_pa *self,
		      unsigned int first)
{
	unsigned int i;

	for (i = first; i < NB; i++) {
		EXPECT_EQ(i & 1, tier_of(self->pool, self->b[i])) TH_LOG("block %u", i);
		EXPECT_EQ(0, bad_bytes(self->pool, self->b[i], i)) TH_LOG("block %u", i);
	}
}

static void advise(struct proto_pool_msg *m, struct _test_data_pa *self,
		   unsigned int n, unsigned int to_tier_of_even)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->type = PROTO_ADVICE;
	m->seq = 3;
	m->pool = cxltier_pool_id(self->pool);
	m->count = n;
	for (i = 0; i < n; i++) {
		m->advice[i].block = self->b[i];
		m->advice[i].tier = (i & 1) ? 0 : to_tier_of_even;
	}
}

TEST_F(pa, register_names_the_slabs)
{
	static struct proto_pool_msg m, out;
	unsigned int mtier[2] = { 0, 1 };
	uint8_t f[PROTO_POOL_MAX_FRAME];
	int n;

	ASSERT_EQ(0, pool_advice_register_msg(self->pool, mtier, &m));
	EXPECT_EQ(2, m.count);
	EXPECT_EQ(NB, m.nr_blocks);
	EXPECT_EQ(BS, m.block_size);
	EXPECT_NE(0, m.slab[0].range);
	EXPECT_NE(m.slab[0].range, m.slab[1].range);
	EXPECT_NE(m.slab[0].node, m.slab[1].node);
	m.seq = 1;
	n = proto_pool_encode(&m, PROTO_FROM_CLIENT, f, NULL);
	ASSERT_LT(0, n);
	EXPECT_EQ(0, proto_pool_decode(f, (size_t)n, PROTO_FROM_CLIENT, &out, NULL));
}

/* Even blocks (tier 0) to tier 1, odd ones (tier 1) to tier 0: a swap. */
TEST_F(pa, advice_moves_blocks)
{
	static struct proto_pool_msg adv, rep, out;
	uint8_t f[PROTO_POOL_MAX_FRAME];
	unsigned int i;
	int n;

	advise(&adv, self, NB, 1);
	ASSERT_EQ(0, pool_advice_apply(self->pool, &adv, &rep, NULL));
	EXPECT_EQ(0, rep.status);
	EXPECT_EQ(NB, rep.count);
	EXPECT_EQ(NB, rep.counts[PROTO_POOL_MOVED]);
	for (i = 0; i < NB; i++) {
		EXPECT_EQ(!(i & 1), tier_of(self->pool, self->b[i])) TH_LOG("block %u", i);
		EXPECT_EQ(0, bad_bytes(self->pool, self->b[i], i)) TH_LOG("block %u", i);
	}
	rep.seq = 4;
	n = proto_pool_encode(&rep, PROTO_FROM_CLIENT, f, NULL);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, proto_pool_decode(f, (size_t)n, PROTO_FROM_CLIENT, &out, NULL));
	EXPECT_EQ(0, proto_pool_check_reply(&adv, &out, NULL));

	/* The same advice again: already there, nothing copied. */
	advise(&adv, self, NB, 1);
	for (i = 0; i < NB; i++)
		adv.advice[i].tier = !(i & 1);
	ASSERT_EQ(0, pool_advice_apply(self->pool, &adv, &rep, NULL));
	EXPECT_EQ(NB, rep.counts[PROTO_POOL_ALREADY]);
}

/* Another pool, a block or tier it does not have: refused, nothing moved. */
TEST_F(pa, bad_advice_changes_nothing)
{
	static struct proto_pool_msg adv, rep;
	const char *why = NULL;

	advise(&adv, self, NB, 1);
	adv.pool++;
	ASSERT_EQ(0, pool_advice_apply(self->pool, &adv, &rep, &why));
	EXPECT_EQ(-EINVAL, rep.status);
	EXPECT_EQ(0, rep.count);
	EXPECT_STREQ("advice for another pool", why);
	unchanged(_metadata, self, 0);

	advise(&adv, self, NB, 1);
	adv.advice[NB - 1].block = (1ULL << 32) | NB;
	ASSERT_EQ(0, pool_advice_apply(self->pool, &adv, &rep, &why));
	EXPECT_EQ(-EINVAL, rep.status);
	unchanged(_metadata, self, 0);

	advise(&adv, self, NB, 2);
	ASSERT_EQ(0, pool_advice_apply(self->pool, &adv, &rep, &why));
	EXPECT_EQ(-EINVAL, rep.status);
	EXPECT_STREQ("advice tier the pool does not have", why);
	unchanged(_metadata, self, 0);
}

/* A block freed (and its index reused) since the advice: stale, kept. */
TEST_F(pa, freed_block_is_stale)
{
	static struct proto_pool_msg adv, rep;
	cxltier_block_t old = self->b[0], again;

	advise(&adv, self, 2, 1);
	ASSERT_EQ(0, cxltier_block_free(self->pool, old));
	ASSERT_EQ(0, cxltier_block_alloc(self->pool, 0, &again));
	ASSERT_NE(old, again);
	ASSERT_EQ(0, pool_advice_apply(self->pool, &adv, &rep, NULL));
	EXPECT_EQ(0, rep.status);
	EXPECT_EQ(-ESTALE, rep.res[0].result);
	EXPECT_EQ(1, rep.counts[PROTO_POOL_STALE]);
	EXPECT_EQ(1, rep.counts[PROTO_POOL_MOVED]);
	EXPECT_EQ(0, tier_of(self->pool, again));
	EXPECT_EQ(0, tier_of(self->pool, self->b[1]));
	EXPECT_EQ(0, bad_bytes(self->pool, self->b[1], 1));
	unchanged(_metadata, self, 2);
	self->b[0] = again;
}

/* A writer's bracket: skipped as busy, not waited on. */
TEST_F(pa, written_block_is_busy)
{
	static struct proto_pool_msg adv, rep;
	struct cxltier_block_ref w;

	ASSERT_EQ(0, cxltier_block_get(self->pool, self->b[0], CXLTIER_BLOCK_WRITE, &w));
	advise(&adv, self, 1, 1);
	ASSERT_EQ(0, pool_advice_apply(self->pool, &adv, &rep, NULL));
	cxltier_block_put(self->pool, &w);
	EXPECT_EQ(-EBUSY, rep.res[0].result);
	EXPECT_EQ(1, rep.counts[PROTO_POOL_BUSY]);
	unchanged(_metadata, self, 0);
}

/*
 * After a release, POOL_REGISTER lists the slabs still there, its slots
 * numbered from 0: the fast slab goes, its blocks to the slower one.
 */
TEST_F(pa, register_after_release)
{
	static struct proto_pool_msg m, before, out;
	struct cxltier_pool_release_counts c;
	unsigned int mtier[2] = { 0, 1 };
	uint8_t f[PROTO_POOL_MAX_FRAME];
	struct pool_wire_map map;
	struct cxltier_block_ref r;
	unsigned int i;
	int n;

	ASSERT_EQ(0, pool_advice_register_map(self->pool, mtier, &before, &map));
	EXPECT_EQ(2, map.nr_tiers);
	EXPECT_EQ(NB, map.slot_base[1]);
	ASSERT_EQ(0, cxltier_pool_release(self->pool, 0, 5000, &c));
	EXPECT_EQ(NB / 2, c.moved);
	for (i = 0; i < NB; i++) {
		EXPECT_EQ(1, tier_of(self->pool, self->b[i])) TH_LOG("block %u", i);
		EXPECT_EQ(0, bad_bytes(self->pool, self->b[i], i)) TH_LOG("block %u", i);
	}
	ASSERT_EQ(0, pool_advice_register_map(self->pool, mtier, &m, &map));
	EXPECT_EQ(1, m.count);
	EXPECT_EQ(before.slab[1].range, m.slab[0].range);
	EXPECT_EQ(before.slab[1].node, m.slab[0].node);
	EXPECT_EQ(NB, m.slab[0].slots);
	EXPECT_EQ(1, m.slab[0].mtier);
	EXPECT_EQ(1, map.nr_tiers);
	EXPECT_EQ(1, map.tier[0]);
	EXPECT_EQ(POOL_WIRE_NONE, map.slot_base[0]);
	EXPECT_EQ(0, map.slot_base[1]);
	ASSERT_EQ(0, cxltier_block_lookup(self->pool, self->b[0], &r));
	EXPECT_EQ(r.slot - NB, pool_wire_slot(self->pool, &map, r.slot));
	EXPECT_EQ(POOL_WIRE_NONE, pool_wire_slot(self->pool, &map, 0));
	m.seq = 1;
	n = proto_pool_encode(&m, PROTO_FROM_CLIENT, f, NULL);
	ASSERT_LT(0, n);
	EXPECT_EQ(0, proto_pool_decode(f, (size_t)n, PROTO_FROM_CLIENT, &out, NULL));
	/* Advice to the released tier finds no room, per block. */
	advise(&m, self, 2, 0);
	ASSERT_EQ(0, pool_advice_apply(self->pool, &m, &out, NULL));
	EXPECT_EQ(0, out.status);
	EXPECT_EQ(-ENOSPC, out.res[0].result);
	EXPECT_EQ(-ENOSPC, out.res[1].result);
}

TEST_HARNESS_MAIN
