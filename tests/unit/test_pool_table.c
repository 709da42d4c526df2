// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/lib/pool_table.c: a block pool's slot
 * allocator, block table, bracket and move states, alone and under
 * threads that read, write, move, free and allocate at once.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "pool_table.h"

#define POISON	0xdbdbdbdbdbdbdbdbULL

/* Slot "memory": one word per slot, poisoned when the slot is freed. */
struct mem {
	_Atomic uint64_t *val;
	_Atomic uint64_t frees;
};

static void on_free(struct pt_table *t, uint32_t slot, void *priv)
{
	struct mem *m = priv;

	atomic_store(&m->val[slot], POISON);
	atomic_fetch_add(&m->frees, 1);
}

static int setup(struct pt_table *t, struct mem *m, uint32_t blocks,
		 uint32_t s0, uint32_t s1)
{
	uint32_t slots[2] = { s0, s1 };

	m->val = calloc(s0 + s1, sizeof(*m->val));
	atomic_init(&m->frees, 0);
	return pt_init(t, blocks, 2, slots, on_free, m);
}

static void check(struct __test_metadata *_metadata, struct pt_table *t)
{
	char why[128] = "";

	EXPECT_EQ(0, pt_check(t, why, sizeof(why))) TH_LOG("%s", why);
}

TEST(init_rejects)
{
	uint32_t slots[PT_MAX_TIERS + 1] = { 1, 1, 1, 1, 1 };
	uint32_t zero[2] = { 0, 0 };
	uint32_t huge[2] = { PT_MAX_SLOTS, 1 };
	struct pt_table t;

	EXPECT_EQ(-EINVAL, pt_init(&t, 0, 2, slots, NULL, NULL));
	EXPECT_EQ(-EINVAL, pt_init(&t, 4, 0, slots, NULL, NULL));
	EXPECT_EQ(-EINVAL, pt_init(&t, 4, PT_MAX_TIERS + 1, slots, NULL, NULL));
	EXPECT_EQ(-EINVAL, pt_init(&t, 4, 2, zero, NULL, NULL));
	EXPECT_EQ(-EINVAL, pt_init(&t, 4, 2, huge, NULL, NULL));
	EXPECT_EQ(-EINVAL, pt_init(&t, PT_MAX_BLOCKS + 1, 2, slots, NULL, NULL));
	ASSERT_EQ(0, pt_init(&t, 4, 2, slots, NULL, NULL));
	pt_destroy(&t);
}

/* Tiers fill in order; ANY takes the fastest with room; handles go stale. */
TEST(alloc_free)
{
	struct pt_table t;
	struct mem m;
	uint64_t h[6], old;
	uint32_t s, free_[2], on[2], drain, alloc;
	int i;

	ASSERT_EQ(0, setup(&t, &m, 5, 2, 4));
	EXPECT_EQ(-EINVAL, pt_alloc(&t, 2, &h[0], &s));
	EXPECT_EQ(-EINVAL, pt_alloc(&t, -2, &h[0], &s));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pt_alloc(&t, -1, &h[i], &s));
		EXPECT_EQ(0, pt_slot_tier(&t, s));
	}
	EXPECT_EQ(-ENOSPC, pt_alloc(&t, 0, &h[2], &s));
	ASSERT_EQ(0, pt_alloc(&t, -1, &h[2], &s));
	EXPECT_EQ(1, pt_slot_tier(&t, s));
	ASSERT_EQ(0, pt_alloc(&t, 1, &h[3], &s));
	ASSERT_EQ(0, pt_alloc(&t, 1, &h[4], &s));
	/* Five blocks, one slot left: the block count is the limit. */
	EXPECT_EQ(-ENOSPC, pt_alloc(&t, 1, &h[5], &s));
	pt_counts(&t, free_, on, &drain, &alloc);
	EXPECT_EQ(0, free_[0]);
	EXPECT_EQ(1, free_[1]);
	EXPECT_EQ(2, on[0]);
	EXPECT_EQ(3, on[1]);
	EXPECT_EQ(5, alloc);
	check(_metadata, &t);

	old = h[1];
	ASSERT_EQ(0, pt_free(&t, h[1]));
	EXPECT_EQ(-ESTALE, pt_free(&t, old));
	EXPECT_EQ(-ESTALE, pt_get(&t, old, false, &s));
	EXPECT_EQ(-ESTALE, pt_lookup(&t, old, &s));
	EXPECT_EQ(1, atomic_load(&m.frees));
	/* The index comes back with a new generation. */
	ASSERT_EQ(0, pt_alloc(&t, 0, &h[1], &s));
	EXPECT_EQ(PT_H_INDEX(old), PT_H_INDEX(h[1]));
	EXPECT_NE(PT_H_GEN(old), PT_H_GEN(h[1]));
	EXPECT_EQ(-ESTALE, pt_get(&t, old, false, &s));
	/* Bad handles: index out of range, generation 0. */
	EXPECT_EQ(-ESTALE, pt_free(&t, PT_H_MAKE(1, 5)));
	EXPECT_EQ(-ESTALE, pt_free(&t, PT_H_MAKE(0, 0)));
	EXPECT_EQ(-ESTALE, pt_get(&t, PT_H_MAKE(1, UINT32_MAX), true, &s));
	check(_metadata, &t);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, pt_free(&t, h[i]));
	check(_metadata, &t);
	pt_destroy(&t);
	free(m.val);
}

/* A move keeps the old slot while a reader holds it, frees it after. */
TEST(move_waits_for_reader)
{
	struct pt_table t;
	struct mem m;
	uint64_t h;
	uint32_t s, rs, from, to, drain;

	ASSERT_EQ(0, setup(&t, &m, 2, 2, 2));
	ASSERT_EQ(0, pt_alloc(&t, 0, &h, &s));
	ASSERT_EQ(0, pt_get(&t, h, false, &rs));
	EXPECT_EQ(s, rs);
	EXPECT_EQ(1, pt_slot_refs(&t, s));
	EXPECT_EQ(1, pt_move_begin(&t, h, 0, &from, &to));
	ASSERT_EQ(0, pt_move_begin(&t, h, 1, &from, &to));
	EXPECT_EQ(s, from);
	EXPECT_EQ(1, pt_slot_tier(&t, to));
	/* A second move of the same block while one runs: busy. */
	EXPECT_EQ(-EBUSY, pt_move_begin(&t, h, 1, &from, &to));
	pt_move_publish(&t, h, from, to);
	ASSERT_EQ(0, pt_lookup(&t, h, &s));
	EXPECT_EQ(to, s);
	EXPECT_EQ(0, pt_slot_release(&t, from));
	pt_counts(&t, NULL, NULL, &drain, NULL);
	EXPECT_EQ(1, drain);
	EXPECT_EQ(0, atomic_load(&m.frees));
	check(_metadata, &t);
	/* A new reader gets the new slot. */
	ASSERT_EQ(0, pt_get(&t, h, false, &s));
	EXPECT_EQ(to, s);
	pt_put(&t, h, false, s);
	pt_put(&t, h, false, rs);
	EXPECT_EQ(1, atomic_load(&m.frees));
	EXPECT_EQ(POISON, atomic_load(&m.val[from]));
	pt_counts(&t, NULL, NULL, &drain, NULL);
	EXPECT_EQ(0, drain);
	check(_metadata, &t);
	EXPECT_EQ(1, atomic_load(&t.stats.moves));
	EXPECT_EQ(1, atomic_load(&t.stats.skipped_same));
	EXPECT_EQ(1, atomic_load(&t.stats.skipped_busy));
	pt_destroy(&t);
	free(m.val);
}

/* Writers keep moves off; a full tier refuses; abort gives the slot back. */
TEST(move_refusals)
{
	struct pt_table t;
	struct mem m;
	uint64_t a, b, c;
	uint32_t s, ws, from, to, free_[2];

	ASSERT_EQ(0, setup(&t, &m, 3, 2, 1));
	ASSERT_EQ(0, pt_alloc(&t, 0, &a, &s));
	ASSERT_EQ(0, pt_alloc(&t, 0, &b, &s));
	ASSERT_EQ(0, pt_get(&t, a, true, &ws));
	EXPECT_EQ(-EBUSY, pt_move_begin(&t, a, 1, &from, &to));
	pt_put(&t, a, true, ws);
	ASSERT_EQ(0, pt_move_begin(&t, a, 1, &from, &to));
	pt_move_abort(&t, a, to);
	pt_counts(&t, free_, NULL, NULL, NULL);
	EXPECT_EQ(1, free_[1]);
	ASSERT_EQ(0, pt_lookup(&t, a, &s));
	EXPECT_EQ(from, s);
	EXPECT_EQ(1, atomic_load(&t.stats.failed));
	ASSERT_EQ(0, pt_alloc(&t, 1, &c, &s));
	EXPECT_EQ(-ENOSPC, pt_move_begin(&t, a, 1, &from, &to));
	EXPECT_EQ(-EINVAL, pt_move_begin(&t, a, 2, &from, &to));
	EXPECT_EQ(1, atomic_load(&t.stats.refused_full));
	/* The refused block is not left MOVING: it can be freed. */
	EXPECT_EQ(0, pt_free(&t, a));
	EXPECT_EQ(-ESTALE, pt_move_begin(&t, a, 1, &from, &to));
	EXPECT_EQ(1, atomic_load(&t.stats.skipped_stale));
	check(_metadata, &t);
	EXPECT_EQ(0, pt_free(&t, b));
	EXPECT_EQ(0, pt_free(&t, c));
	check(_metadata, &t);
	pt_destroy(&t);
	free(m.val);
}

/* Freeing a block that a reader holds defers the slot's reuse. */
TEST(free_while_held)
{
	struct pt_table t;
	struct mem m;
	uint64_t h, h2;
	uint32_t s, rs, s2;

	ASSERT_EQ(0, setup(&t, &m, 2, 1, 1));
	ASSERT_EQ(0, pt_alloc(&t, 0, &h, &s));
	ASSERT_EQ(0, pt_get(&t, h, false, &rs));
	ASSERT_EQ(0, pt_free(&t, h));
	/* Tier 0's only slot is draining, not free. */
	EXPECT_EQ(-ENOSPC, pt_alloc(&t, 0, &h2, &s2));
	check(_metadata, &t);
	pt_put(&t, h, false, rs);
	ASSERT_EQ(0, pt_alloc(&t, 0, &h2, &s2));
	EXPECT_EQ(s, s2);
	EXPECT_EQ(0, pt_hint(&t, h2, 1));
	EXPECT_EQ(-ESTALE, pt_hint(&t, h, 1));
	EXPECT_EQ(1, atomic_load(&t.stats.hints_stale));
	/* A put with a bogus slot is ignored, not a crash. */
	pt_put(&t, h2, false, UINT32_MAX);
	EXPECT_EQ(0, pt_free(&t, h2));
	check(_metadata, &t);
	pt_destroy(&t);
	free(m.val);
}

/*
 * Threads: readers check that the slot they hold carries their block's
 * value (never poison, never another block's), writers rewrite it, movers
 * copy it between tiers, and a churner frees and allocates blocks.
 */
#define ST_BLOCKS	64
#define ST_ITERS	2000000

struct stress {
	struct pt_table t;
	struct mem m;
	_Atomic uint64_t handles[ST_BLOCKS];
	_Atomic uint64_t bad;
	_Atomic uint64_t reads;
	_Atomic int stop;
};

/* A closed tier takes no allocation and no move; it opens again. */
TEST(tier_close_open)
{
	struct pt_table t;
	struct mem m;
	uint64_t h[4];
	uint32_t s, from, to, free_[2], on[2];
	int i;

	ASSERT_EQ(0, setup(&t, &m, 4, 2, 2));
	EXPECT_EQ(-EINVAL, pt_tier_close(&t, 2));
	EXPECT_EQ(-EINVAL, pt_tier_open(&t, 1));	/* not closed */
	ASSERT_EQ(0, pt_alloc(&t, 1, &h[0], &s));
	ASSERT_EQ(0, pt_tier_close(&t, 1));
	EXPECT_EQ(-EALREADY, pt_tier_close(&t, 1));
	EXPECT_EQ(PT_TIER_CLOSED, pt_tier_get(&t, 1, NULL));
	/* The last open tier cannot close. */
	EXPECT_EQ(-EINVAL, pt_tier_close(&t, 0));
	EXPECT_EQ(-ENOSPC, pt_alloc(&t, 1, &h[1], &s));
	/* ANY skips it: tier 0 fills, then no room. */
	for (i = 1; i < 3; i++) {
		ASSERT_EQ(0, pt_alloc(&t, -1, &h[i], &s));
		EXPECT_EQ(0, pt_slot_tier(&t, s));
	}
	EXPECT_EQ(-ENOSPC, pt_alloc(&t, -1, &h[3], &s));
	/* No move targets it; moves off it are fine. */
	EXPECT_EQ(-ENOSPC, pt_move_begin(&t, h[1], 1, &from, &to));
	EXPECT_EQ(1, atomic_load(&t.stats.refused_full));
	check(_metadata, &t);
	/* Reopened: it takes blocks again. */
	ASSERT_EQ(0, pt_tier_open(&t, 1));
	EXPECT_EQ(PT_TIER_OPEN, pt_tier_get(&t, 1, NULL));
	ASSERT_EQ(0, pt_alloc(&t, -1, &h[3], &s));
	EXPECT_EQ(1, pt_slot_tier(&t, s));
	pt_counts(&t, free_, on, NULL, NULL);
	EXPECT_EQ(0, free_[0]);
	EXPECT_EQ(0, free_[1]);
	EXPECT_EQ(2, on[1]);
	check(_metadata, &t);
	pt_destroy(&t);
	free(m.val);
}

/* Closing for a drain wants room elsewhere for every block of the tier. */
TEST(tier_close_room)
{
	struct pt_table t;
	struct mem m;
	uint64_t h[5];
	uint32_t s;
	int i;

	ASSERT_EQ(0, setup(&t, &m, 5, 2, 3));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pt_alloc(&t, 1, &h[i], &s));
	/* 3 blocks on tier 1, 2 free slots on tier 0. */
	EXPECT_EQ(-ENOSPC, pt_tier_close(&t, 1));
	EXPECT_EQ(PT_TIER_OPEN, pt_tier_get(&t, 1, NULL));
	EXPECT_EQ(0, pt_free(&t, h[2]));
	ASSERT_EQ(0, pt_tier_close(&t, 1));
	/* Tier 0 is full of nothing: 1 free slot on tier 1 is no room. */
	EXPECT_EQ(-EINVAL, pt_tier_close(&t, 0));
	check(_metadata, &t);
	pt_destroy(&t);
	free(m.val);
}

/* Retire: only empty, not while a bracket drains a slot; for good. */
TEST(tier_retire)
{
	struct pt_table t;
	struct mem m;
	uint64_t h[2], spare;
	uint32_t s, rs, from, to, drain, free_[2], on[2];

	ASSERT_EQ(0, setup(&t, &m, 4, 2, 2));
	ASSERT_EQ(0, pt_alloc(&t, 1, &h[0], &s));
	atomic_store(&m.val[s], h[0]);
	EXPECT_EQ(-EINVAL, pt_tier_retire(&t, 1));	/* open */
	ASSERT_EQ(0, pt_tier_close(&t, 1));
	EXPECT_EQ(-EBUSY, pt_tier_retire(&t, 1));	/* a block on it */
	/* A reader holds the old slot across the move. */
	ASSERT_EQ(0, pt_get(&t, h[0], false, &rs));
	ASSERT_EQ(0, pt_move_begin(&t, h[0], 0, &from, &to));
	atomic_store(&m.val[to], atomic_load(&m.val[from]));
	pt_move_publish(&t, h[0], from, to);
	EXPECT_EQ(0, pt_slot_release(&t, from));
	EXPECT_EQ(PT_TIER_CLOSED, pt_tier_get(&t, 1, &drain));
	EXPECT_EQ(1, drain);
	EXPECT_EQ(-EBUSY, pt_tier_retire(&t, 1));	/* draining */
	check(_metadata, &t);
	pt_put(&t, h[0], false, rs);
	pt_tier_get(&t, 1, &drain);
	EXPECT_EQ(0, drain);
	ASSERT_EQ(0, pt_tier_retire(&t, 1));
	EXPECT_EQ(PT_TIER_RETIRED, pt_tier_get(&t, 1, NULL));
	check(_metadata, &t);
	/* Gone for good. */
	EXPECT_EQ(-EINVAL, pt_tier_open(&t, 1));
	EXPECT_EQ(-EINVAL, pt_tier_close(&t, 1));
	EXPECT_EQ(-EINVAL, pt_tier_retire(&t, 1));
	EXPECT_EQ(-ENODEV, pt_alloc(&t, 1, &h[1], &s));
	EXPECT_EQ(-EINVAL, pt_tier_close(&t, 0));	/* the last tier */
	ASSERT_EQ(0, pt_alloc(&t, -1, &h[1], &s));
	EXPECT_EQ(0, pt_slot_tier(&t, s));
	EXPECT_EQ(-ENOSPC, pt_move_begin(&t, h[1], 1, &from, &to));
	pt_counts(&t, free_, on, NULL, NULL);
	EXPECT_EQ(0, free_[0]);
	EXPECT_EQ(0, free_[1]);
	EXPECT_EQ(2, on[0]);
	EXPECT_EQ(0, on[1]);
	/* No slot left anywhere: a released tier still says released. */
	EXPECT_EQ(-ENOSPC, pt_alloc(&t, 0, &spare, &rs));
	EXPECT_EQ(-ENODEV, pt_alloc(&t, 1, &spare, &rs));
	ASSERT_EQ(0, pt_lookup(&t, h[0], &s));
	EXPECT_EQ(0, pt_slot_tier(&t, s));
	EXPECT_EQ(h[0], atomic_load(&m.val[s]));
	EXPECT_EQ(0, pt_free(&t, h[0]));
	EXPECT_EQ(0, pt_free(&t, h[1]));
	check(_metadata, &t);
	pt_destroy(&t);
	free(m.val);
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* The value a block's slot holds: its handle. */
static void *reader(void *arg)
{
	struct stress *st = arg;
	uint32_t x = (uint32_t)(uintptr_t)&x | 1, s;
	uint64_t h, v;
	bool w;
	int i;

	for (i = 0; i < ST_ITERS; i++) {
		h = atomic_load(&st->handles[rnd(&x) % ST_BLOCKS]);
		w = rnd(&x) % 8 == 0;
		if (pt_get(&st->t, h, w, &s))
			continue;
		v = atomic_load(&st->m.val[s]);
		if (v != h)
			atomic_fetch_add(&st->bad, 1);
		if (w)
			atomic_store(&st->m.val[s], h);
		v = atomic_load(&st->m.val[s]);
		if (v != h)
			atomic_fetch_add(&st->bad, 1);
		atomic_fetch_add(&st->reads, 1);
		pt_put(&st->t, h, w, s);
	}
	return NULL;
}

static void *mover(void *arg)
{
	struct stress *st = arg;
	uint32_t x = 0x9e3779b9U ^ (uint32_t)(uintptr_t)&x, from, to;
	uint64_t h;

	while (!atomic_load(&st->stop)) {
		h = atomic_load(&st->handles[rnd(&x) % ST_BLOCKS]);
		if (pt_move_begin(&st->t, h, rnd(&x) % 2, &from, &to))
			continue;
		atomic_store(&st->m.val[to], atomic_load(&st->m.val[from]));
		pt_move_publish(&st->t, h, from, to);
		pt_slot_release(&st->t, from);
	}
	return NULL;
}

static void *churner(void *arg)
{
	struct stress *st = arg;
	uint32_t x = 12345, i, s;
	uint64_t h;

	while (!atomic_load(&st->stop)) {
		i = rnd(&x) % ST_BLOCKS;
		h = atomic_load(&st->handles[i]);
		if (pt_free(&st->t, h))
			continue;
		if (pt_alloc(&st->t, (int)(rnd(&x) % 3) - 1, &h, &s))
			continue;
		atomic_store(&st->m.val[s], h);
		atomic_store(&st->handles[i], h);
	}
	return NULL;
}

TEST(threads)
{
	static struct stress st;
	pthread_t r[3], mv[2], ch;
	uint32_t i, s;
	uint64_t h;

	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, setup(&st.t, &st.m, ST_BLOCKS + 8, ST_BLOCKS, ST_BLOCKS));
	for (i = 0; i < ST_BLOCKS; i++) {
		ASSERT_EQ(0, pt_alloc(&st.t, (int)(i % 2), &h, &s));
		atomic_store(&st.m.val[s], h);
		atomic_store(&st.handles[i], h);
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&mv[i], NULL, mover, &st));
	ASSERT_EQ(0, pthread_create(&ch, NULL, churner, &st));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&r[i], NULL, reader, &st));
	for (i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	atomic_store(&st.stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(mv[i], NULL);
	pthread_join(ch, NULL);

	EXPECT_EQ(0, atomic_load(&st.bad));
	EXPECT_LT(0, atomic_load(&st.reads));
	EXPECT_LT(0, atomic_load(&st.t.stats.moves));
	check(_metadata, &st.t);
	/* Every slot a block holds carries its value. */
	for (i = 0; i < ST_BLOCKS; i++) {
		h = atomic_load(&st.handles[i]);
		ASSERT_EQ(0, pt_lookup(&st.t, h, &s));
		EXPECT_EQ(h, atomic_load(&st.m.val[s]));
		EXPECT_EQ(0, pt_slot_refs(&st.t, s));
		EXPECT_EQ(0, pt_free(&st.t, h));
	}
	check(_metadata, &st.t);
	pt_destroy(&st.t);
	free(st.m.val);
}

/* Drain tier 1 and retire it while readers, writers, movers and churn run. */
static void *drainer(void *arg)
{
	struct stress *st = arg;
	uint32_t i, from, to;
	uint64_t h, w;
	int ret;

	while ((ret = pt_tier_close(&st->t, 1)) == -ENOSPC)
		sched_yield();
	if (ret)
		return (void *)(intptr_t)ret;
	for (;;) {
		if (!atomic_load(&st->t.blocks_on[1])) {
			ret = pt_tier_retire(&st->t, 1);
			if (!ret)
				return NULL;
			if (ret != -EBUSY)
				return (void *)(intptr_t)ret;
			sched_yield();
			continue;
		}
		for (i = 0; i < st->t.nr_blocks; i++) {
			w = atomic_load(&st->t.blocks[i].word);
			if (!(w & PT_W_ALLOC) ||
			    pt_slot_tier(&st->t, PT_W_SLOT(w)) != 1)
				continue;
			h = PT_H_MAKE(PT_W_GEN(w), i);
			if (pt_move_begin(&st->t, h, 0, &from, &to))
				continue;
			atomic_store(&st->m.val[to], atomic_load(&st->m.val[from]));
			pt_move_publish(&st->t, h, from, to);
			pt_slot_release(&st->t, from);
		}
	}
}

TEST(threads_drain)
{
	static struct stress st;
	pthread_t r[3], mv[2], ch, dr;
	void *dret = (void *)1;
	uint32_t i, s, free_[2], on[2];
	uint64_t h;

	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, setup(&st.t, &st.m, ST_BLOCKS + 8, ST_BLOCKS + 8,
			   ST_BLOCKS));
	for (i = 0; i < ST_BLOCKS; i++) {
		ASSERT_EQ(0, pt_alloc(&st.t, (int)(i % 2), &h, &s));
		atomic_store(&st.m.val[s], h);
		atomic_store(&st.handles[i], h);
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&mv[i], NULL, mover, &st));
	ASSERT_EQ(0, pthread_create(&ch, NULL, churner, &st));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&r[i], NULL, reader, &st));
	ASSERT_EQ(0, pthread_create(&dr, NULL, drainer, &st));
	pthread_join(dr, &dret);
	for (i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	atomic_store(&st.stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(mv[i], NULL);
	pthread_join(ch, NULL);

	EXPECT_EQ(NULL, dret);
	EXPECT_EQ(0, atomic_load(&st.bad));
	EXPECT_EQ(PT_TIER_RETIRED, pt_tier_get(&st.t, 1, NULL));
	check(_metadata, &st.t);
	pt_counts(&st.t, free_, on, NULL, NULL);
	EXPECT_EQ(0, free_[1]);
	EXPECT_EQ(0, on[1]);
	/* A churn that found no room on the closed tier left a stale handle. */
	for (i = 0; i < ST_BLOCKS; i++) {
		h = atomic_load(&st.handles[i]);
		if (pt_lookup(&st.t, h, &s) == -ESTALE)
			continue;
		EXPECT_EQ(0, pt_slot_tier(&st.t, s));
		EXPECT_EQ(h, atomic_load(&st.m.val[s]));
		EXPECT_EQ(0, pt_free(&st.t, h));
	}
	check(_metadata, &st.t);
	pt_destroy(&st.t);
	free(st.m.val);
}

TEST_HARNESS_MAIN
