// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/pool_heat.c: a block pool's heat per block,
 * as kvreplay --simulate models it: the creating write counts at the
 * followed shadow's weight, heat stays with a block across a move and a
 * move's copy is not a read, a reused index and a freed block start
 * cold, epochs the agent did not see are folded from the last access,
 * a gap or a counter that went back restarts the shadows, and with the
 * adaptive heat off only the recency is kept.
 */
#include <stdint.h>
#include <string.h>

#include <linux/cxltier.h>

#include "kselftest_harness.h"
#include "config.h"
#include "pool_heat.h"

#define ONE	CXLTIER_HEAT_ONE
#define GEN(g, i)	(((uint64_t)(g) << 32) | (i))

static struct config cfg;

/* One shadow, the creating write at a quarter, a long half-life. */
static void one_shadow(const char *set)
{
	char err[256];

	config_init(&cfg);
	cfg.epoch_ms = 1000;
	if (config_parse_adapt(set, cfg.adaptive_set, &cfg.nr_adaptive, err, sizeof(err)))
		abort();
}

TEST(the_creating_write_counts_at_its_weight)
{
	struct pool_heat *h = pool_heat_new(4);

	one_shadow("1h:0.25");
	ASSERT_NE(NULL, h);
	pool_heat_see(h, 0, GEN(1, 0), 0, false, 0, 0);
	pool_heat_see(h, 1, GEN(1, 1), 2, false, 7, 0);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 7, 1000, 2));
	/* A quarter of a read, and the new block's own two reads on top. */
	EXPECT_EQ(ONE / 4, pool_heat_of(h, 0));
	EXPECT_EQ(2 * ONE + ONE / 4, pool_heat_of(h, 1));
	EXPECT_EQ(7, pool_heat_last(h, 0));
	EXPECT_EQ(7, pool_heat_last(h, 1));
	/* Never allocated: cold. */
	EXPECT_EQ(0, pool_heat_of(h, 2));
	EXPECT_EQ(0, pool_heat_last(h, 2));
	pool_heat_free(h);
}

TEST(no_epoch_yet_ranks_by_the_modules_heat)
{
	struct pool_heat *h = pool_heat_new(2);

	one_shadow("1h:0.25");
	pool_heat_see(h, 0, GEN(1, 0), 3, false, 0, 0);
	EXPECT_EQ(-1, pool_heat_step(h, &cfg, 0, 1000, 1));
	EXPECT_EQ(0, pool_heat_of(h, 0));
	pool_heat_free(h);
}

TEST(heat_stays_with_a_moved_block_and_the_copy_is_no_read)
{
	struct pool_heat *h = pool_heat_new(2);
	uint64_t before;

	one_shadow("1h:0");
	pool_heat_see(h, 0, GEN(1, 0), 3, false, 1, 0);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 1, 1000, 1));
	before = pool_heat_of(h, 0);
	EXPECT_EQ(3 * ONE, before);
	/*
	 * Moved at 1500 into a slot whose pages the copy made young and
	 * whose last access (epoch 2) was its earlier occupant's.
	 */
	pool_heat_see(h, 0, GEN(1, 0), 0, true, 2, 1500);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 3, 3000, 1));
	EXPECT_GT(before, pool_heat_of(h, 0));
	EXPECT_LT(before - ONE / 100, pool_heat_of(h, 0));
	EXPECT_EQ(1, pool_heat_last(h, 0));
	/* Settled in its slot: a young page is a read again. */
	pool_heat_see(h, 0, GEN(1, 0), 0, true, 4, 1500);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 4, 4000, 1));
	EXPECT_LT(before + ONE / 2, pool_heat_of(h, 0));
	EXPECT_EQ(4, pool_heat_last(h, 0));
	pool_heat_free(h);
}

TEST(a_reused_index_and_a_freed_block_start_cold)
{
	struct pool_heat *h = pool_heat_new(2);

	one_shadow("1h:0.25");
	pool_heat_see(h, 0, GEN(1, 0), 5, false, 1, 0);
	pool_heat_see(h, 1, GEN(1, 1), 5, false, 1, 0);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 1, 1000, 1));
	EXPECT_LT(5 * ONE, pool_heat_of(h, 0));
	/* Index 0 holds a new block (generation 2); block 1 was freed. */
	pool_heat_see(h, 0, GEN(2, 0), 0, false, 1, 1500);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 2, 2000, 1));
	EXPECT_EQ(ONE / 4, pool_heat_of(h, 0));
	EXPECT_EQ(2, pool_heat_last(h, 0));
	EXPECT_EQ(0, pool_heat_of(h, 1));
	EXPECT_EQ(0, pool_heat_last(h, 1));
	/* Back with the old handle: new to the shadows again. */
	pool_heat_see(h, 1, GEN(1, 1), 0, false, 1, 2500);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 3, 3000, 1));
	EXPECT_EQ(ONE / 4, pool_heat_of(h, 1));
	pool_heat_free(h);
}

TEST(unseen_epochs_are_folded_from_the_last_access)
{
	struct pool_heat *a = pool_heat_new(1), *b = pool_heat_new(1);

	one_shadow("1h:0");
	pool_heat_see(a, 0, GEN(1, 0), 1, false, 1, 0);
	pool_heat_see(b, 0, GEN(1, 0), 1, false, 1, 0);
	ASSERT_EQ(0, pool_heat_step(a, &cfg, 1, 1000, 1));
	ASSERT_EQ(0, pool_heat_step(b, &cfg, 1, 1000, 1));
	/* Three epochs later; @a's block was read in epoch 3, @b's not. */
	pool_heat_see(a, 0, GEN(1, 0), 0, false, 3, 0);
	pool_heat_see(b, 0, GEN(1, 0), 0, false, 1, 0);
	ASSERT_EQ(0, pool_heat_step(a, &cfg, 4, 4000, 1));
	ASSERT_EQ(0, pool_heat_step(b, &cfg, 4, 4000, 1));
	EXPECT_LT(pool_heat_of(b, 0) + ONE - ONE / 100, pool_heat_of(a, 0));
	EXPECT_EQ(3, pool_heat_last(a, 0));
	EXPECT_EQ(1, pool_heat_last(b, 0));
	pool_heat_free(a);
	pool_heat_free(b);
}

TEST(a_gap_or_a_counter_that_went_back_restarts_cold)
{
	struct pool_heat *h = pool_heat_new(1);

	one_shadow("1h:0");
	pool_heat_see(h, 0, GEN(1, 0), 9, false, 10, 0);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 10, 1000, 1));
	EXPECT_EQ(9 * ONE, pool_heat_of(h, 0));
	/* The module was reloaded: its epochs count from 1 again. */
	pool_heat_see(h, 0, GEN(1, 0), 1, false, 2, 0);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 2, 2000, 1));
	EXPECT_EQ(ONE, pool_heat_of(h, 0));
	/* More than POOL_HEAT_MAX_GAP epochs unseen. */
	pool_heat_see(h, 0, GEN(1, 0), 2, false, 3 + POOL_HEAT_MAX_GAP, 0);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 3 + POOL_HEAT_MAX_GAP, 3000, 1));
	EXPECT_EQ(2 * ONE, pool_heat_of(h, 0));
	pool_heat_free(h);
}

TEST(two_decisions_in_one_epoch_count_the_write_once)
{
	struct pool_heat *h = pool_heat_new(2);

	one_shadow("1h:1");
	pool_heat_see(h, 0, GEN(1, 0), 0, false, 0, 0);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 5, 1000, 1));
	/* Block 1 is created after the epoch was taken in: it counts at the next. */
	pool_heat_see(h, 0, GEN(1, 0), 0, false, 5, 0);
	pool_heat_see(h, 1, GEN(1, 1), 0, false, 0, 0);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 5, 1500, 1));
	EXPECT_EQ(ONE, pool_heat_of(h, 0));
	EXPECT_EQ(0, pool_heat_of(h, 1));
	pool_heat_see(h, 0, GEN(1, 0), 0, false, 5, 0);
	pool_heat_see(h, 1, GEN(1, 1), 0, false, 5, 0);
	ASSERT_EQ(0, pool_heat_step(h, &cfg, 6, 2000, 1));
	EXPECT_EQ(ONE, pool_heat_of(h, 1));
	EXPECT_GE(ONE, pool_heat_of(h, 0));
	EXPECT_LT(ONE - ONE / 100, pool_heat_of(h, 0));
	pool_heat_free(h);
}

TEST(adaptive_off_keeps_only_the_recency)
{
	struct pool_heat *h = pool_heat_new(1);

	one_shadow("1h:0.25");
	cfg.adaptive = false;
	pool_heat_see(h, 0, GEN(1, 0), 4, false, 3, 0);
	EXPECT_EQ(-1, pool_heat_step(h, &cfg, 3, 1000, 1));
	EXPECT_EQ(0, pool_heat_of(h, 0));
	EXPECT_EQ(3, pool_heat_last(h, 0));
	/* Out of range: ignored, and nothing to say of it. */
	pool_heat_see(h, 1, GEN(1, 1), 4, false, 3, 0);
	EXPECT_EQ(0, pool_heat_last(h, 1));
	pool_heat_free(h);
}

TEST_HARNESS_MAIN
