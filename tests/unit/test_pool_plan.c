// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/pool_plan.c: a block pool placed by the
 * pure policy becomes ADVICE frames the library accepts: hot blocks on
 * the far slab come to DRAM, cold ones make room, nothing is advised
 * past a slab's slots, batches split at 256 blocks.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cxltier.h>

#include "kselftest_harness.h"
#include "config.h"
#include "pool_plan.h"

#define BS	(2ULL << 20)
#define ONE	CXLTIER_HEAT_ONE

static struct config cfg;

static void setup(struct pool_plan_pool *p, uint32_t dram, uint32_t far)
{
	config_init(&cfg);
	cfg.high_watermark_bp = CONFIG_BP_ONE;
	cfg.low_watermark_bp = CONFIG_BP_ONE;
	cfg.rate_limit_Bps = 0;
	cfg.hysteresis_bp = 0;
	cfg.min_residency_ms = 0;
	cfg.promote_min_heat = 0;
	memset(p, 0, sizeof(*p));
	p->pool = 7;
	p->block_size = BS;
	p->nr_tiers = 2;
	p->node[0] = 0;
	p->node[1] = 2;
	p->mtier[0] = POLICY_TIER_DRAM;
	p->mtier[1] = 1;
	p->slots[0] = p->free[0] = dram;
	p->slots[1] = p->free[1] = far;
}

static void place(struct pool_plan_pool *p, struct pool_plan_block *b, uint32_t i,
		  unsigned int tier, uint64_t heat)
{
	b->handle = (3ULL << 32) | i;
	b->tier = tier;
	b->heat = heat;
	p->free[tier]--;
}

/* Four cold blocks fill DRAM, four hot ones are far: they swap. */
TEST(hot_far_blocks_come_to_dram)
{
	static struct proto_pool_msg frames[4], out;
	struct pool_plan_out o = { .frames = frames };
	struct policy_state st = { 0 };
	struct pool_plan_block b[8];
	struct pool_plan_pool p;
	struct proto_pool_info pi = { .pool = 7, .nr_blocks = 8, .nr_tiers = 2 };
	struct policy_ctx *ctx = policy_ctx_new();
	uint8_t f[PROTO_POOL_MAX_FRAME];
	unsigned int i, up = 0, down = 0;
	int n;

	setup(&p, 4, 8);
	for (i = 0; i < 4; i++)
		place(&p, &b[i], i, 0, 0);
	for (i = 4; i < 8; i++)
		place(&p, &b[i], i, 1, 50 * ONE);
	ASSERT_EQ(0, pool_plan_advice(ctx, &cfg, &p, b, 8, 1000, &st, 4, &o));
	ASSERT_EQ(1, o.nr_frames);
	EXPECT_EQ(8, o.nr_blocks);
	EXPECT_EQ(8, frames[0].count);
	for (i = 0; i < frames[0].count; i++) {
		uint32_t idx = (uint32_t)frames[0].advice[i].block;

		if (frames[0].advice[i].tier == 0) {
			EXPECT_LE(4, idx);
			up++;
		} else {
			EXPECT_GT(4, idx);
			/* Room is made before it is taken. */
			EXPECT_EQ(0, up);
			down++;
		}
	}
	EXPECT_EQ(4, up);
	EXPECT_EQ(4, down);
	/* A frame the library takes for this pool. */
	frames[0].seq = 1;
	n = proto_pool_encode(&frames[0], PROTO_FROM_AGENT, f, NULL);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, proto_pool_decode(f, (size_t)n, PROTO_FROM_AGENT, &out, NULL));
	EXPECT_EQ(0, proto_pool_check_advice(&pi, &out, NULL));
	policy_ctx_free(ctx);
}

/* Hot far blocks and free DRAM slots: only as many as fit. */
TEST(no_more_than_the_slots)
{
	static struct proto_pool_msg frames[2];
	struct pool_plan_out o = { .frames = frames };
	struct policy_state st = { 0 };
	struct pool_plan_block b[6];
	struct pool_plan_pool p;
	struct policy_ctx *ctx = policy_ctx_new();
	unsigned int i;

	setup(&p, 2, 8);
	for (i = 0; i < 6; i++)
		place(&p, &b[i], i, 1, (10 + i) * ONE);
	ASSERT_EQ(0, pool_plan_advice(ctx, &cfg, &p, b, 6, 1000, &st, 2, &o));
	EXPECT_EQ(2, o.nr_blocks);
	for (i = 0; i < frames[0].count; i++) {
		EXPECT_EQ(0, frames[0].advice[i].tier);
		/* The hottest. */
		EXPECT_LE(4, (uint32_t)frames[0].advice[i].block);
	}
	policy_ctx_free(ctx);
}

/* 600 moves: frames of 256, and none past max_frames. */
TEST(batches_split)
{
	static struct proto_pool_msg frames[3];
	struct pool_plan_out o = { .frames = frames };
	struct policy_state st = { 0 };
	struct pool_plan_block *b = calloc(600, sizeof(*b));
	struct pool_plan_pool p;
	struct policy_ctx *ctx = policy_ctx_new();
	unsigned int i;

	ASSERT_NE(NULL, b);
	setup(&p, 600, 600);
	for (i = 0; i < 600; i++)
		place(&p, &b[i], i, 1, 20 * ONE);
	ASSERT_EQ(0, pool_plan_advice(ctx, &cfg, &p, b, 600, 1000, &st, 3, &o));
	EXPECT_EQ(3, o.nr_frames);
	EXPECT_EQ(600, o.nr_blocks);
	EXPECT_EQ(256, frames[0].count);
	EXPECT_EQ(256, frames[1].count);
	EXPECT_EQ(88, frames[2].count);
	ASSERT_EQ(0, pool_plan_advice(ctx, &cfg, &p, b, 600, 2000, &st, 1, &o));
	EXPECT_EQ(1, o.nr_frames);
	EXPECT_EQ(256, o.nr_blocks);
	free(b);
	policy_ctx_free(ctx);
}

TEST(bad_input)
{
	static struct proto_pool_msg frames[1];
	struct pool_plan_out o = { .frames = frames };
	struct policy_state st = { 0 };
	struct pool_plan_block b[1];
	struct pool_plan_pool p;
	struct policy_ctx *ctx = policy_ctx_new();

	setup(&p, 2, 2);
	place(&p, &b[0], 0, 1, ONE);
	b[0].tier = 2;
	EXPECT_EQ(-EINVAL, pool_plan_advice(ctx, &cfg, &p, b, 1, 1000, &st, 1, &o));
	b[0].tier = 1;
	p.nr_tiers = 0;
	EXPECT_EQ(-EINVAL, pool_plan_advice(ctx, &cfg, &p, b, 1, 1000, &st, 1, &o));
	p.nr_tiers = 2;
	p.block_size = 8ULL << 30;
	EXPECT_EQ(-EINVAL, pool_plan_advice(ctx, &cfg, &p, b, 1, 1000, &st, 1, &o));
	EXPECT_EQ(0, o.nr_frames);
	policy_ctx_free(ctx);
}

TEST_HARNESS_MAIN
