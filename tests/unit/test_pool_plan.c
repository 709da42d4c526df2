// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/pool_plan.c: a block pool placed by the
 * pure policy becomes ADVICE frames the library accepts: hot blocks on
 * the far slab come to DRAM, cold ones make room, nothing is advised
 * past a slab's slots, batches split at 256 blocks; the runtime's hints
 * steer it (done blocks go first, will-read blocks come at once).
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
	memset(b, 0, sizeof(*b));
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

/*
 * The module's heat is a slot's: a moved block keeps what it carried
 * (decayed), a new block does not inherit its slot's past.
 */
TEST(block_heat_follows_the_block)
{
	/* Just moved: the new slot has nothing yet, the block its 40. */
	EXPECT_EQ(40 * ONE, pool_plan_block_heat(0, 40 * ONE, 0, 0, 30000));
	/* One half-life later, 20 left, plus what the new slot gained. */
	EXPECT_EQ(25 * ONE, pool_plan_block_heat(5 * ONE, 40 * ONE, 0, 30000, 30000));
	/* A new block in a slot whose last block was hot (60): the slot's
	 * 30 one half-life later is all that block's, not the new one's. */
	EXPECT_EQ(0, pool_plan_block_heat(30 * ONE, 0, 60 * ONE, 30000, 30000));
	/* Reads of its own show (34 - 30). */
	EXPECT_EQ(4 * ONE, pool_plan_block_heat(34 * ONE, 0, 60 * ONE, 30000, 30000));
	/* No decay configured: nothing fades. */
	EXPECT_EQ(50 * ONE, pool_plan_block_heat(20 * ONE, 40 * ONE, 10 * ONE, 99999, 0));
	/* Never above what a u64 holds. */
	EXPECT_GT(pool_plan_block_heat(UINT64_MAX, UINT64_MAX, 0, 0, 30000), UINT64_MAX / 4);
}

/* The tier each block is advised to in @f, -1 if not advised. */
static int advised_to(const struct proto_pool_msg *f, uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < f->count; i++)
		if ((uint32_t)f->advice[i].block == idx)
			return (int)f->advice[i].tier;
	return -1;
}

/* A done block is demoted ahead of colder ones, and never promoted. */
TEST(done_blocks_go_first)
{
	static struct proto_pool_msg frames[1];
	struct pool_plan_out o = { .frames = frames };
	struct policy_state st = { 0 };
	struct pool_plan_block b[6];
	struct pool_plan_pool p;
	struct policy_ctx *ctx = policy_ctx_new();

	setup(&p, 2, 8);
	/* DRAM: a hot block the runtime is done with, and a lukewarm one. */
	place(&p, &b[0], 0, 0, 90 * ONE);
	b[0].hint = PROTO_HINT_DONE;
	place(&p, &b[1], 1, 0, 10 * ONE);
	/* Far: one hot block, and a hot one that is done too. */
	place(&p, &b[2], 2, 1, 50 * ONE);
	place(&p, &b[3], 3, 1, 80 * ONE);
	b[3].hint = PROTO_HINT_DONE;
	place(&p, &b[4], 4, 1, 0);
	place(&p, &b[5], 5, 1, 0);
	ASSERT_EQ(0, pool_plan_advice(ctx, &cfg, &p, b, 6, 1000, &st, 1, &o));
	ASSERT_EQ(1, o.nr_frames);
	EXPECT_EQ(1, advised_to(&frames[0], 0));	/* done: out */
	EXPECT_EQ(0, advised_to(&frames[0], 2));	/* hot: in */
	EXPECT_EQ(-1, advised_to(&frames[0], 1));	/* kept */
	EXPECT_EQ(-1, advised_to(&frames[0], 3));	/* done: never in */
	policy_ctx_free(ctx);
}

/*
 * Will-read blocks with no heat come to DRAM at once, in hint order,
 * against done blocks first, then the coldest; a will-read block in
 * DRAM is never the victim; the rate limit caps the batch and what is
 * left of it is handed on.
 */
TEST(will_read_hints_promote_in_order)
{
	static struct proto_pool_msg frames[1];
	struct pool_plan_out o = { .frames = frames };
	struct policy_state st = { 0 };
	struct pool_plan_block b[8];
	struct pool_plan_pool p;
	struct policy_ctx *ctx = policy_ctx_new();
	unsigned int i;

	setup(&p, 4, 8);
	place(&p, &b[0], 0, 0, 1 * ONE);	/* coldest in DRAM */
	place(&p, &b[1], 1, 0, 5 * ONE);
	b[1].hint = PROTO_HINT_WILL_READ;	/* hinted, and in DRAM */
	b[1].hint_seq = 1;
	place(&p, &b[2], 2, 0, 40 * ONE);
	b[2].hint = PROTO_HINT_DONE;
	place(&p, &b[3], 3, 0, 30 * ONE);
	for (i = 4; i < 8; i++)
		place(&p, &b[i], i, 1, 0);
	/* Read in the order 6, 4 (hint order, not index order). */
	b[6].hint = PROTO_HINT_WILL_READ;
	b[6].hint_seq = 2;
	b[4].hint = PROTO_HINT_WILL_READ;
	b[4].hint_seq = 3;
	ASSERT_EQ(0, pool_plan_hints(ctx, &cfg, &p, b, 8, 1000, &st, 1, &o));
	ASSERT_EQ(1, o.nr_frames);
	EXPECT_EQ(4, frames[0].count);
	EXPECT_EQ(0, advised_to(&frames[0], 6));
	EXPECT_EQ(0, advised_to(&frames[0], 4));
	EXPECT_EQ(1, advised_to(&frames[0], 2));	/* done: first victim */
	EXPECT_EQ(1, advised_to(&frames[0], 0));	/* then the coldest */
	EXPECT_EQ(-1, advised_to(&frames[0], 1));
	EXPECT_EQ(-1, advised_to(&frames[0], 3));
	/* Room first, then the promotions in hint order. */
	for (i = 0; i < frames[0].count && frames[0].advice[i].tier; i++)
		;
	ASSERT_LT(i, frames[0].count);
	EXPECT_EQ(6, (uint32_t)frames[0].advice[i].block);

	/* No hint: nothing to do. */
	for (i = 0; i < 8; i++)
		b[i].hint = 0;
	ASSERT_EQ(0, pool_plan_hints(ctx, &cfg, &p, b, 8, 1000, &st, 1, &o));
	EXPECT_EQ(0, o.nr_frames);

	/* 3 blocks' worth a second and a fresh bucket: one swap fits. */
	cfg.rate_limit_Bps = 3 * BS;
	b[6].hint = PROTO_HINT_WILL_READ;
	b[6].hint_seq = 2;
	b[4].hint = PROTO_HINT_WILL_READ;
	b[4].hint_seq = 3;
	ASSERT_EQ(0, pool_plan_hints(ctx, &cfg, &p, b, 8, 1000, &st, 1, &o));
	ASSERT_EQ(1, o.nr_frames);
	EXPECT_EQ(0, advised_to(&frames[0], 6));
	EXPECT_EQ(-1, advised_to(&frames[0], 4));
	EXPECT_EQ(1000, o.plan.state.last_ms);
	EXPECT_EQ(1 * BS, o.plan.state.tokens);
	/* Spent: at once again, nothing moves. */
	st = o.plan.state;
	ASSERT_EQ(0, pool_plan_hints(ctx, &cfg, &p, b, 8, 1000, &st, 1, &o));
	EXPECT_EQ(0, o.nr_blocks);
	EXPECT_LT(0, o.plan.deferred_bytes);
	/* A block on a tier the pool lacks. */
	b[7].tier = 2;
	EXPECT_EQ(-EINVAL, pool_plan_hints(ctx, &cfg, &p, b, 8, 1000, &st, 1, &o));
	policy_ctx_free(ctx);
}

/*
 * A block demoted for a will-read hint waits min_residency before it
 * comes back; one demoted by the plan itself only min_far_residency.
 */
TEST(hint_demoted_blocks_wait)
{
	static struct proto_pool_msg frames[1];
	struct pool_plan_out o = { .frames = frames };
	struct policy_state st = { 0 };
	struct pool_plan_block b[2];
	struct pool_plan_pool p;
	struct policy_ctx *ctx = policy_ctx_new();

	setup(&p, 4, 8);
	cfg.min_residency_ms = 10000;
	cfg.min_far_residency_ms = 1000;
	place(&p, &b[0], 0, 1, 50 * ONE);
	b[0].moved_ms = 8000;	/* demoted 2 s ago */
	place(&p, &b[1], 1, 0, 1 * ONE);
	ASSERT_EQ(0, pool_plan_advice(ctx, &cfg, &p, b, 2, 10000, &st, 1, &o));
	EXPECT_EQ(0, advised_to(&frames[0], 0));
	b[0].hint_demoted = true;
	st = (struct policy_state){ 0 };
	ASSERT_EQ(0, pool_plan_advice(ctx, &cfg, &p, b, 2, 10000, &st, 1, &o));
	EXPECT_EQ(0, o.nr_blocks);
	policy_ctx_free(ctx);
}

TEST_HARNESS_MAIN
