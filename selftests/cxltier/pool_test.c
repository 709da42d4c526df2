// SPDX-License-Identifier: GPL-2.0
/*
 * libcxltier block pools end to end in the kmem guest: slabs placed and
 * pinned on the module's tier 0 and slowest tier, creation refused
 * clearly when the far slab cannot be had, moves under concurrent device
 * reads and writes with every byte checked, moves of blocks freed in
 * between, writers and full tiers refusing moves, and the bracket
 * keeping an old copy alive (then poisoned) across a move, and kill -9
 * of the application in the middle of its moves (pins constant while it
 * runs, all gone when it dies), and the release of the far slab: its
 * blocks on DRAM with their bytes, the slab unpinned and untracked, and
 * the refusals (last tier, a writer until the timeout, no room).  Needs
 * cxltier.ko; loads the fake accelerator.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <linux/cxltier_test_accel.h>

#include "kselftest_harness.h"
#include "libcxltier.h"
#include "testbed.h"

#define BS	(256ULL << 10)
#define NB	32

struct pool_env {
	struct cxltier *ctx;
	struct cxltier_pool *pool;
	int accel;
	char arg[32];
};

static int env_open(struct pool_env *e)
{
	struct cxltier_options o = { .size = sizeof(o),
				     .flags = CXLTIER_OPEN_NO_AGENT };

	memset(e, 0, sizeof(*e));
	e->accel = tb_accel_open(TB_ACCEL_LOAD | TB_ACCEL_UNLOAD_AT_EXIT);
	if (e->accel < 0)
		return e->accel;
	snprintf(e->arg, sizeof(e->arg), "fd=%d", e->accel);
	return cxltier_open(&o, &e->ctx);
}

static void desc_init(struct pool_env *e, struct cxltier_pool_desc *d,
		      uint32_t blocks, uint32_t s0, uint32_t s1)
{
	memset(d, 0, sizeof(*d));
	d->size = sizeof(*d);
	d->label = "pool-test";
	d->block_size = BS;
	d->nr_blocks = blocks;
	d->slots[0] = s0;
	d->slots[1] = s1;
	d->adapter = "test-accel";
	d->adapter_arg = e->arg;
}

static void env_close(struct pool_env *e)
{
	if (e->pool)
		cxltier_pool_destroy(e->pool);
	if (e->ctx)
		cxltier_close(e->ctx);
	if (e->accel >= 0)
		close(e->accel);
}

/* Write block @b with data @id's pattern (a writer's bracket). */
static int fill(struct cxltier_pool *p, cxltier_block_t b, uint32_t id)
{
	struct cxltier_block_ref r;
	int ret = cxltier_block_get(p, b, CXLTIER_BLOCK_WRITE, &r);

	if (ret)
		return ret;
	tb_pattern_fill(r.addr, BS, id);
	cxltier_block_put(p, &r);
	return 0;
}

/* Bytes of block @b that differ from data @id's pattern. */
static uint64_t check(struct cxltier_pool *p, cxltier_block_t b, uint32_t id)
{
	struct cxltier_block_ref r;
	uint64_t bad;

	if (cxltier_block_get(p, b, 0, &r))
		return BS;
	bad = tb_pattern_check(r.addr, BS, id);
	cxltier_block_put(p, &r);
	return bad;
}

/*
 * Every page of the slab that holds @b (now) is pinned by the
 * accelerator, on the slab's node.
 */
static void slab_pinned(struct __test_metadata *_metadata, struct pool_env *e,
			cxltier_block_t b)
{
	struct cxltier_pool_stats st = { .size = sizeof(st) };
	struct cxltier_block_ref r;
	unsigned int pinned = 0;
	uint32_t pages;
	int node = -3;

	ASSERT_EQ(0, cxltier_pool_stats(e->pool, &st));
	ASSERT_EQ(0, cxltier_block_lookup(e->pool, b, &r));
	ASSERT_NE(0, r.handle);
	pages = (uint32_t)(st.slots[r.tier] * BS / 4096);
	ASSERT_EQ(0, tb_accel_node(e->accel, (uint32_t)r.handle, 0, pages,
				   &node, &pinned));
	EXPECT_EQ(st.node[r.tier], node);
	EXPECT_EQ(pages, pinned);
	EXPECT_EQ(st.node[r.tier], r.node);
}

/* slab_pinned() of tier @t's slab, through a block allocated there. */
static void tier_pinned(struct __test_metadata *_metadata, struct pool_env *e,
			unsigned int t)
{
	cxltier_block_t b;

	ASSERT_EQ(0, cxltier_block_alloc(e->pool, (int)t, &b));
	slab_pinned(_metadata, e, b);
	EXPECT_EQ(0, cxltier_block_free(e->pool, b));
}

/* Slabs on tier 0 and the slowest tier, pinned, bad descriptors refused. */
TEST(create)
{
	struct cxltier_pool_desc d;
	struct cxltier_pool_stats st = { .size = sizeof(st) };
	struct cxltier_pool *p;
	struct pool_env e;

	ASSERT_EQ(0, env_open(&e));
	desc_init(&e, &d, 8, 8, 4);
	d.block_size = 4096 + 1;
	EXPECT_EQ(-EINVAL, cxltier_pool_create(e.ctx, &d, &p));
	d.block_size = BS;
	d.nr_blocks = 0;
	EXPECT_EQ(-EINVAL, cxltier_pool_create(e.ctx, &d, &p));
	d.nr_blocks = 8;
	d.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, cxltier_pool_create(e.ctx, &d, &p));
	d.flags = 0;
	d.label = "a label that is far too long for a pool";
	EXPECT_EQ(-ENAMETOOLONG, cxltier_pool_create(e.ctx, &d, &p));
	d.label = "pool-test";
	d.nr_tiers = CXLTIER_POOL_MAX_TIERS + 1;
	EXPECT_EQ(-EINVAL, cxltier_pool_create(e.ctx, &d, &p));
	d.nr_tiers = 0;
	d.adapter = "no-such-adapter";
	EXPECT_EQ(-EINVAL, cxltier_pool_create(e.ctx, &d, &p));
	d.adapter = "test-accel";
	d.copy_threads = 17;
	EXPECT_EQ(-EINVAL, cxltier_pool_create(e.ctx, &d, &p));
	d.copy_threads = 0;

	ASSERT_EQ(0, cxltier_pool_create(e.ctx, &d, &e.pool));
	ASSERT_EQ(0, cxltier_pool_stats(e.pool, &st));
	EXPECT_EQ(2, st.nr_tiers);
	EXPECT_EQ(BS, st.block_size);
	EXPECT_EQ(8, st.slots[0]);
	EXPECT_EQ(4, st.slots[1]);
	EXPECT_EQ(8, st.slots_free[0]);
	EXPECT_NE(st.node[0], st.node[1]);
	EXPECT_NE(0, cxltier_pool_id(e.pool));
	tier_pinned(_metadata, &e, 0);
	tier_pinned(_metadata, &e, 1);
	env_close(&e);
}

/* A far slab that cannot be had fails the creation, leaving nothing. */
TEST(far_slab_unavailable)
{
	struct cxltier_pool_stats st = { .size = sizeof(st) };
	struct cxltier_pool_desc d;
	struct cxltier_pool *p;
	struct pool_env e;
	int far;

	ASSERT_EQ(0, env_open(&e));
	desc_init(&e, &d, 4, 4, 4);
	ASSERT_EQ(0, cxltier_pool_create(e.ctx, &d, &p));
	ASSERT_EQ(0, cxltier_pool_stats(p, &st));
	far = st.node[1];
	cxltier_pool_destroy(p);

	/* No such node. */
	d.flags = CXLTIER_POOL_NODES;
	d.nodes[0] = st.node[0];
	d.nodes[1] = 63;
	EXPECT_EQ(-ENODEV, cxltier_pool_create(e.ctx, &d, &p));
	/* More tiers than the module has. */
	d.flags = 0;
	d.nr_tiers = CXLTIER_POOL_MAX_TIERS;
	d.slots[2] = d.slots[3] = 1;
	EXPECT_EQ(-ENODEV, cxltier_pool_create(e.ctx, &d, &p));
	d.nr_tiers = 0;
	/* The far node is full: 4 GiB does not fit in its 1 GiB. */
	d.slots[1] = (uint32_t)((4ULL << 30) / BS);
	EXPECT_EQ(-ENOMEM, cxltier_pool_create(e.ctx, &d, &p));
	/* Nothing of the failed attempts is left: a pool fits again. */
	d.slots[1] = 4;
	d.flags = CXLTIER_POOL_NODES;
	d.nodes[1] = far;
	ASSERT_EQ(0, cxltier_pool_create(e.ctx, &d, &e.pool));
	env_close(&e);
}

/* Writers keep moves off, a full tier refuses, freed blocks are stale. */
TEST(refusals)
{
	struct cxltier_pool_stats st = { .size = sizeof(st) };
	struct cxltier_block_move mv[4];
	struct cxltier_block_ref w;
	struct cxltier_pool_desc d;
	cxltier_block_t b[4];
	struct pool_env e;
	int i;

	ASSERT_EQ(0, env_open(&e));
	desc_init(&e, &d, 4, 4, 2);
	ASSERT_EQ(0, cxltier_pool_create(e.ctx, &d, &e.pool));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, cxltier_block_alloc(e.pool, 0, &b[i]));
		ASSERT_EQ(0, fill(e.pool, b[i], (uint32_t)i));
	}
	/* Block 0 is being written; block 1 was freed. */
	ASSERT_EQ(0, cxltier_block_get(e.pool, b[0], CXLTIER_BLOCK_WRITE, &w));
	ASSERT_EQ(0, cxltier_block_free(e.pool, b[1]));
	memset(mv, 0, sizeof(mv));
	for (i = 0; i < 4; i++) {
		mv[i].block = b[i];
		mv[i].tier = 1;
	}
	EXPECT_EQ(2, cxltier_pool_move(e.pool, mv, 4));
	EXPECT_EQ(-EBUSY, mv[0].result);
	EXPECT_EQ(-ESTALE, mv[1].result);
	EXPECT_EQ(0, mv[2].result);
	EXPECT_EQ(1, mv[2].moved);
	EXPECT_EQ(1, mv[3].moved);
	cxltier_block_put(e.pool, &w);
	/* The far slab is full now: refused, not forced. */
	memset(mv, 0, sizeof(mv));
	mv[0].block = b[0];
	mv[0].tier = 1;
	mv[1].block = b[2];
	mv[1].tier = 1;
	mv[2].block = b[0];
	mv[2].tier = 9;
	EXPECT_EQ(0, cxltier_pool_move(e.pool, mv, 3));
	EXPECT_EQ(-ENOSPC, mv[0].result);
	EXPECT_EQ(0, mv[1].result);
	EXPECT_EQ(0, mv[1].moved);
	EXPECT_EQ(-EINVAL, mv[2].result);
	EXPECT_EQ(0, cxltier_pool_move(e.pool, mv, 0));
	EXPECT_EQ(-EINVAL, cxltier_pool_move(e.pool, NULL, 1));
	/* Stale handles: index out of range, wrong generation. */
	mv[0].block = b[1];
	mv[1].block = (cxltier_block_t)1 << 32 | 4000;
	EXPECT_EQ(0, cxltier_pool_move(e.pool, mv, 2));
	EXPECT_EQ(-ESTALE, mv[0].result);
	EXPECT_EQ(-ESTALE, mv[1].result);
	EXPECT_EQ(-ESTALE, cxltier_block_free(e.pool, b[1]));
	EXPECT_EQ(0, cxltier_pool_hint(e.pool, CXLTIER_HINT_DONE, b, 4, 0));
	EXPECT_EQ(-EINVAL, cxltier_pool_hint(e.pool, 7, b, 4, 0));
	EXPECT_EQ(0, cxltier_pool_report(e.pool, b, 4, 3));
	EXPECT_EQ(0, cxltier_flush(e.ctx));

	ASSERT_EQ(0, cxltier_pool_stats(e.pool, &st));
	EXPECT_EQ(2, st.moves);
	EXPECT_EQ(1, st.skipped_busy);
	EXPECT_EQ(3, st.skipped_stale);
	EXPECT_EQ(1, st.refused_full);
	EXPECT_EQ(1, st.skipped_same);
	EXPECT_EQ(3, st.hints_done);
	EXPECT_EQ(1, st.hints_stale);
	EXPECT_EQ(2 * BS, st.bytes_moved);
	EXPECT_EQ(3, st.blocks_allocated);
	EXPECT_EQ(1, st.blocks_on[0]);
	EXPECT_EQ(2, st.blocks_on[1]);
	EXPECT_EQ(0, st.slots_free[1]);
	EXPECT_EQ(3, st.slots_free[0]);
	for (i = 0; i < 4; i++)
		if (i != 1)
			EXPECT_EQ(0, check(e.pool, b[i], (uint32_t)i));
	env_close(&e);
}

/* A reader's bracket keeps the old copy intact across a move; then poison. */
TEST(bracket_outlives_move)
{
	struct cxltier_pool_stats st = { .size = sizeof(st) };
	struct cxltier_block_move mv;
	struct cxltier_block_ref r, now;
	struct cxltier_pool_desc d;
	struct pool_env e;
	cxltier_block_t b;
	uint64_t sum;

	ASSERT_EQ(0, env_open(&e));
	desc_init(&e, &d, 2, 2, 2);
	d.move_wait_ms = 10;
	ASSERT_EQ(0, cxltier_pool_create(e.ctx, &d, &e.pool));
	ASSERT_EQ(0, cxltier_block_alloc(e.pool, 0, &b));
	ASSERT_EQ(0, fill(e.pool, b, 7));
	ASSERT_EQ(0, cxltier_block_get(e.pool, b, 0, &r));
	memset(&mv, 0, sizeof(mv));
	mv.block = b;
	mv.tier = 1;
	EXPECT_EQ(1, cxltier_pool_move(e.pool, &mv, 1));
	ASSERT_EQ(0, cxltier_block_lookup(e.pool, b, &now));
	EXPECT_EQ(1, now.tier);
	EXPECT_NE(r.addr, now.addr);
	/* Held: not freed, not poisoned, still the device's to read. */
	ASSERT_EQ(0, cxltier_pool_stats(e.pool, &st));
	EXPECT_EQ(1, st.slots_draining);
	EXPECT_EQ(0, tb_pattern_check(r.addr, BS, 7));
	ASSERT_EQ(0, tb_accel_dma(e.accel, (uint32_t)r.handle, r.handle_offset,
				  BS, 0, 0, &sum, NULL));
	EXPECT_EQ(tb_fnv(CXLTA_FNV_OFFSET, now.addr, BS), sum);
	cxltier_block_put(e.pool, &r);
	/* Let go of: poisoned, so a stale read is caught. */
	EXPECT_NE(0, tb_pattern_check(r.addr, BS, 7));
	EXPECT_EQ(0xdb, ((uint8_t *)r.addr)[0]);
	ASSERT_EQ(0, cxltier_pool_stats(e.pool, &st));
	EXPECT_EQ(0, st.slots_draining);
	EXPECT_EQ(2, st.slots_free[0]);
	EXPECT_EQ(0, check(e.pool, b, 7));
	env_close(&e);
}

/*
 * Threads at once: the device reads half the blocks and checks their
 * checksums, the device writes the other half (a new fill byte each
 * time, inside a writer's bracket, checked by the CPU), a churner frees
 * and reallocates blocks of a third set, and the mover moves random
 * batches of every block between the tiers.
 */
struct stress {
	struct pool_env *e;
	cxltier_block_t blocks[NB];
	uint64_t sums[NB];
	_Atomic uint32_t fills[NB];
	_Atomic int stop;
	_Atomic uint64_t reads, writes, bad, moved, churns;
};

#define READERS	(NB / 2)
#define CHURN0	(NB - 4)	/* blocks CHURN0..NB-1 are freed and reused */

static void *device_reader(void *arg)
{
	struct stress *s = arg;
	struct cxltier_block_ref r;
	uint64_t x = 88172645463325252ULL, sum;
	uint32_t i;

	while (!atomic_load(&s->stop)) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		i = (uint32_t)(x % READERS);
		if (cxltier_block_get(s->e->pool, s->blocks[i], 0, &r))
			continue;
		if (tb_accel_dma(s->e->accel, (uint32_t)r.handle, r.handle_offset,
				 BS, 0, 0, &sum, NULL) || sum != s->sums[i])
			atomic_fetch_add(&s->bad, 1);
		cxltier_block_put(s->e->pool, &r);
		atomic_fetch_add(&s->reads, 1);
	}
	return NULL;
}

static void *device_writer(void *arg)
{
	struct stress *s = arg;
	struct cxltier_block_ref r;
	struct cxlta_dma dm;
	uint8_t *p;
	uint32_t i = READERS, v = 1, k;
	uint64_t bad;

	while (!atomic_load(&s->stop)) {
		if (cxltier_block_get(s->e->pool, s->blocks[i],
				      CXLTIER_BLOCK_WRITE, &r))
			continue;
		v = (v + 1) % 200 + 1;
		memset(&dm, 0, sizeof(dm));
		dm.argsz = sizeof(dm);
		dm.flags = CXLTA_DMA_WRITE;
		dm.handle = (uint32_t)r.handle;
		dm.offset = r.handle_offset;
		dm.length = BS;
		dm.pattern = v;
		if (ioctl(s->e->accel, CXLTA_IOC_DMA, &dm))
			atomic_fetch_add(&s->bad, 1);
		for (p = r.addr, bad = 0, k = 0; k < BS; k++)
			bad += p[k] != v;
		if (bad)
			atomic_fetch_add(&s->bad, 1);
		atomic_store(&s->fills[i], v);
		cxltier_block_put(s->e->pool, &r);
		atomic_fetch_add(&s->writes, 1);
		if (++i == CHURN0)
			i = READERS;
	}
	return NULL;
}

static void *churner(void *arg)
{
	struct stress *s = arg;
	uint32_t i = CHURN0;

	while (!atomic_load(&s->stop)) {
		if (cxltier_block_free(s->e->pool, s->blocks[i]) ||
		    cxltier_block_alloc(s->e->pool, CXLTIER_TIER_ANY, &s->blocks[i]) ||
		    fill(s->e->pool, s->blocks[i], i))
			atomic_fetch_add(&s->bad, 1);
		atomic_fetch_add(&s->churns, 1);
		if (++i == NB)
			i = CHURN0;
		usleep(1000);
	}
	return NULL;
}

static void *mover(void *arg)
{
	struct stress *s = arg;
	struct cxltier_block_move mv[8];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int k, n;

	while (!atomic_load(&s->stop)) {
		memset(mv, 0, sizeof(mv));
		for (k = 0; k < 8; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			mv[k].block = s->blocks[x % NB];
			mv[k].tier = (unsigned int)(x >> 32) % 2;
		}
		n = cxltier_pool_move(s->e->pool, mv, 8);
		if (n < 0)
			atomic_fetch_add(&s->bad, 1);
		else
			atomic_fetch_add(&s->moved, (uint64_t)n);
		for (k = 0; k < 8; k++)
			if (mv[k].result && mv[k].result != -EBUSY &&
			    mv[k].result != -ESTALE && mv[k].result != -ENOSPC)
				atomic_fetch_add(&s->bad, 1);
	}
	return NULL;
}

TEST(moves_under_device_traffic)
{
	struct cxltier_pool_stats st = { .size = sizeof(st) };
	struct cxltier_pool_desc d;
	struct cxltier_block_ref r;
	static struct stress s;
	pthread_t th[4];
	struct pool_env e;
	uint32_t i, k;
	uint8_t *p;
	uint64_t bad;

	ASSERT_EQ(0, env_open(&e));
	desc_init(&e, &d, NB, NB, NB / 2);
	d.copy_threads = 2;
	ASSERT_EQ(0, cxltier_pool_create(e.ctx, &d, &e.pool));
	memset(&s, 0, sizeof(s));
	s.e = &e;
	for (i = 0; i < NB; i++) {
		ASSERT_EQ(0, cxltier_block_alloc(e.pool, CXLTIER_TIER_ANY, &s.blocks[i]));
		ASSERT_EQ(0, fill(e.pool, s.blocks[i], i));
		ASSERT_EQ(0, cxltier_block_get(e.pool, s.blocks[i], 0, &r));
		s.sums[i] = tb_fnv(CXLTA_FNV_OFFSET, r.addr, BS);
		cxltier_block_put(e.pool, &r);
	}
	ASSERT_EQ(0, pthread_create(&th[0], NULL, device_reader, &s));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, device_writer, &s));
	ASSERT_EQ(0, pthread_create(&th[2], NULL, churner, &s));
	ASSERT_EQ(0, pthread_create(&th[3], NULL, mover, &s));
	sleep(4);
	atomic_store(&s.stop, 1);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);

	EXPECT_EQ(0, atomic_load(&s.bad));
	EXPECT_LT(20, atomic_load(&s.moved));
	EXPECT_LT(10, atomic_load(&s.reads));
	EXPECT_LT(10, atomic_load(&s.writes));
	EXPECT_LT(2, atomic_load(&s.churns));
	TH_LOG("%llu moved, %llu device reads, %llu device writes, %llu churns",
	       (unsigned long long)s.moved, (unsigned long long)s.reads,
	       (unsigned long long)s.writes, (unsigned long long)s.churns);
	/* Every byte where it belongs. */
	for (i = 0; i < NB; i++) {
		if (i < READERS || i >= CHURN0) {
			EXPECT_EQ(0, check(e.pool, s.blocks[i], i)) TH_LOG("block %u", i);
			continue;
		}
		ASSERT_EQ(0, cxltier_block_get(e.pool, s.blocks[i], 0, &r));
		if (atomic_load(&s.fills[i]))
			for (p = r.addr, bad = 0, k = 0; k < BS; k++)
				bad += p[k] != atomic_load(&s.fills[i]);
		else
			bad = tb_pattern_check(r.addr, BS, i);
		cxltier_block_put(e.pool, &r);
		EXPECT_EQ(0, bad) TH_LOG("block %u", i);
	}
	/* Slots accounted: none lost, none draining, one block per slot. */
	ASSERT_EQ(0, cxltier_pool_stats(e.pool, &st));
	EXPECT_EQ(0, st.slots_draining);
	EXPECT_EQ(NB, st.blocks_allocated);
	EXPECT_EQ(NB, st.blocks_on[0] + st.blocks_on[1]);
	EXPECT_EQ(st.slots[0], st.slots_free[0] + st.blocks_on[0]);
	EXPECT_EQ(st.slots[1], st.slots_free[1] + st.blocks_on[1]);
	EXPECT_EQ(st.moves * BS, st.bytes_moved);
	/* The pins never went: every page of both slabs is still pinned. */
	for (k = 0; k < 2; k++)
		for (i = 0; i < NB; i++)
			if (!cxltier_block_lookup(e.pool, s.blocks[i], &r) &&
			    r.tier == k) {
				slab_pinned(_metadata, &e, s.blocks[i]);
				break;
			}
	env_close(&e);
}

/*
 * /proc/vmstat: long-term pins the kernel holds now, after folding the
 * per-CPU deltas (vm/stat_refresh), which otherwise lag by seconds.
 */
static long long pins_held(void)
{
	long long a = -1, r = -1, v;
	char name[64];
	FILE *f = fopen("/proc/sys/vm/stat_refresh", "w");

	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			a = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			r = v;
	}
	fclose(f);
	return a < 0 || r < 0 ? -1 : a - r;
}

/* Pins once two readings a second apart agree (per-CPU folding lags). */
static long long pins_settled(void)
{
	long long a, b = pins_held();
	int i;

	for (i = 0; i < 10; i++) {
		sleep(1);
		a = b;
		b = pins_held();
		if (a == b)
			break;
	}
	return b;
}

/* The application: a pool, then batches of moves until it is killed. */
static void app_main(int ready)
{
	struct cxltier_block_move mv[8];
	struct cxltier_pool_desc d;
	struct pool_env e;
	cxltier_block_t b[16];
	unsigned int round = 0;
	int i;

	if (env_open(&e))
		_exit(2);
	desc_init(&e, &d, 16, 16, 8);
	if (cxltier_pool_create(e.ctx, &d, &e.pool))
		_exit(3);
	for (i = 0; i < 16; i++)
		if (cxltier_block_alloc(e.pool, 0, &b[i]) ||
		    fill(e.pool, b[i], (uint32_t)i))
			_exit(4);
	if (write(ready, "R", 1) != 1)
		_exit(5);
	for (;;) {
		memset(mv, 0, sizeof(mv));
		for (i = 0; i < 8; i++) {
			mv[i].block = b[(round * 3 + (unsigned int)i * 2) % 16];
			mv[i].tier = round % 2;
		}
		cxltier_pool_move(e.pool, mv, 8);
		round++;
	}
}

/*
 * kill -9 of the application in the middle of its batches: its pins stay
 * put (constant) while it moves, and all go when it dies.
 */
TEST(app_killed_mid_batch)
{
	long long base, during, v;
	int fds[2], st, i;
	char c;
	pid_t pid;

	base = pins_settled();
	ASSERT_LE(0, base) TH_LOG("no pin counters in /proc/vmstat");
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(fds[0]);
		app_main(fds[1]);
	}
	close(fds[1]);
	ASSERT_EQ(1, read(fds[0], &c, 1)) TH_LOG("the application did not start");
	during = pins_settled();
	/* Both slabs pinned: 24 slots of 64 pages. */
	EXPECT_EQ(base + 24 * (BS / 4096), during);
	for (i = 0; i < 5; i++) {
		usleep(200000);
		v = pins_held();
		EXPECT_EQ(during, v) TH_LOG("pins changed while blocks moved");
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st));
	for (i = 0; i < 100 && pins_held() != base; i++)
		usleep(100000);
	EXPECT_EQ(base, pins_settled());
	close(fds[0]);
}

/* Pages the fake accelerator holds for pin @handle; -1 if it is gone. */
static long long accel_pinned(struct pool_env *e, uint64_t handle)
{
	uint64_t pages, pinned;

	if (tb_accel_pinned(e->accel, (uint32_t)handle, &pages, &pinned))
		return -1;
	return (long long)pinned;
}

struct held_reader {
	struct cxltier_pool *pool;
	cxltier_block_t block;
	uint32_t id;
	_Atomic int held;
	uint64_t bad;
};

/* Hold a reader's bracket on a far block across the release's move. */
static void *held_reader_main(void *arg)
{
	struct held_reader *h = arg;
	struct cxltier_block_ref r;

	if (cxltier_block_get(h->pool, h->block, 0, &r)) {
		h->bad = BS;
		atomic_store(&h->held, 1);
		return NULL;
	}
	atomic_store(&h->held, 1);
	usleep(300000);
	h->bad = tb_pattern_check(r.addr, BS, h->id);
	cxltier_block_put(h->pool, &r);
	return NULL;
}

/*
 * Release of the far slab: every block on DRAM with its bytes, the slab
 * no longer pinned nor tracked, allocation there refused; the last tier
 * cannot go.
 */
TEST(release_far_tier)
{
	struct cxltier_pool_stats st = { .size = sizeof(st) };
	struct cxltier_pool_release_counts c;
	struct cxltier_block_ref r;
	struct cxltier_pool_desc d;
	struct cxltier_block_move mv;
	struct held_reader hr;
	cxltier_block_t b[6], nb;
	long long ranges;
	uint64_t far_handle;
	struct pool_env e;
	pthread_t th;
	int i;

	ASSERT_EQ(0, env_open(&e));
	desc_init(&e, &d, 8, 8, 4);
	ASSERT_EQ(0, cxltier_pool_create(e.ctx, &d, &e.pool));
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, cxltier_block_alloc(e.pool, i < 4 ? 1 : 0, &b[i]));
		ASSERT_EQ(0, fill(e.pool, b[i], 100 + (uint32_t)i));
	}
	ASSERT_EQ(0, cxltier_block_lookup(e.pool, b[0], &r));
	ASSERT_EQ(1, r.tier);
	far_handle = r.handle;
	ASSERT_NE(0, far_handle);
	EXPECT_EQ(4 * BS / 4096, accel_pinned(&e, far_handle));
	ranges = tb_sysfs_get("stats/ranges");
	ASSERT_LE(2, ranges);

	EXPECT_EQ(-EINVAL, cxltier_pool_release(e.pool, 2, 1000, &c));
	memset(&hr, 0, sizeof(hr));
	hr.pool = e.pool;
	hr.block = b[1];
	hr.id = 101;
	ASSERT_EQ(0, pthread_create(&th, NULL, held_reader_main, &hr));
	while (!atomic_load(&hr.held))
		usleep(1000);
	/* The release waits for the reader on the old slot, then goes on. */
	EXPECT_EQ(0, cxltier_pool_release(e.pool, 1, 10000, &c));
	pthread_join(th, NULL);
	EXPECT_EQ(0, hr.bad);
	EXPECT_EQ(4, c.moved);
	EXPECT_EQ(0, c.busy);
	EXPECT_EQ(0, c.noroom);
	EXPECT_EQ(0, c.failed);

	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, cxltier_block_lookup(e.pool, b[i], &r));
		EXPECT_EQ(0, r.tier);
		EXPECT_EQ(0, check(e.pool, b[i], 100 + (uint32_t)i)) TH_LOG("block %d", i);
	}
	EXPECT_GE(0, accel_pinned(&e, far_handle)) TH_LOG("far slab still pinned");
	EXPECT_EQ(ranges - 1, tb_sysfs_get("stats/ranges"));
	EXPECT_EQ(-ENODEV, cxltier_block_alloc(e.pool, 1, &nb));
	ASSERT_EQ(0, cxltier_block_alloc(e.pool, CXLTIER_TIER_ANY, &nb));
	ASSERT_EQ(0, cxltier_block_lookup(e.pool, nb, &r));
	EXPECT_EQ(0, r.tier);
	EXPECT_EQ(0, cxltier_block_free(e.pool, nb));
	ASSERT_EQ(0, cxltier_pool_stats(e.pool, &st));
	EXPECT_EQ(1U << 1, st.tiers_released);
	EXPECT_EQ(0, st.tiers_closed);
	EXPECT_EQ(0, st.blocks_on[1]);
	EXPECT_EQ(0, st.slots_free[1]);
	EXPECT_EQ(6, st.blocks_on[0]);
	EXPECT_EQ(0, st.slots_draining);
	/* Released for good; the last tier stays. */
	EXPECT_EQ(-EINVAL, cxltier_pool_release(e.pool, 1, 1000, NULL));
	EXPECT_EQ(-EINVAL, cxltier_pool_release(e.pool, 0, 1000, &c));
	/* A move to it is refused as no room. */
	mv.block = b[0];
	mv.tier = 1;
	EXPECT_EQ(0, cxltier_pool_move(e.pool, &mv, 1));
	EXPECT_EQ(-ENOSPC, mv.result);
	EXPECT_EQ(0, check(e.pool, b[0], 100));
	/* Destroy skips the slab that is gone. */
	env_close(&e);
	EXPECT_EQ(ranges - 2, tb_sysfs_get("stats/ranges"));
}

/* A writer holds a far block: -EBUSY at the timeout, tier back, nothing lost. */
TEST(release_busy_writer)
{
	struct cxltier_pool_stats st = { .size = sizeof(st) };
	struct cxltier_pool_release_counts c;
	struct cxltier_block_ref w, r;
	struct cxltier_pool_desc d;
	cxltier_block_t b[4], nb;
	struct pool_env e;
	uint64_t t0;
	int i;

	ASSERT_EQ(0, env_open(&e));
	desc_init(&e, &d, 8, 8, 4);
	ASSERT_EQ(0, cxltier_pool_create(e.ctx, &d, &e.pool));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, cxltier_block_alloc(e.pool, 1, &b[i]));
		ASSERT_EQ(0, fill(e.pool, b[i], 200 + (uint32_t)i));
	}
	ASSERT_EQ(0, cxltier_block_get(e.pool, b[2], CXLTIER_BLOCK_WRITE, &w));
	t0 = (uint64_t)time(NULL);
	EXPECT_EQ(-EBUSY, cxltier_pool_release(e.pool, 1, 500, &c));
	EXPECT_GE(5, (uint64_t)time(NULL) - t0);
	EXPECT_EQ(3, c.moved);
	EXPECT_EQ(1, c.busy);
	EXPECT_EQ(0, c.failed);
	/* The writer's copy stays where it is, in use. */
	EXPECT_EQ(0, tb_pattern_check(w.addr, BS, 202));
	EXPECT_EQ(1, w.tier);
	cxltier_block_put(e.pool, &w);
	ASSERT_EQ(0, cxltier_pool_stats(e.pool, &st));
	EXPECT_EQ(0, st.tiers_closed);
	EXPECT_EQ(0, st.tiers_released);
	EXPECT_EQ(1, st.blocks_on[1]);
	EXPECT_EQ(3, st.blocks_on[0]);
	/* Back in service. */
	ASSERT_EQ(0, cxltier_block_alloc(e.pool, 1, &nb));
	EXPECT_EQ(0, cxltier_block_free(e.pool, nb));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, cxltier_block_lookup(e.pool, b[i], &r));
		EXPECT_EQ(i == 2 ? 1 : 0, r.tier);
		EXPECT_EQ(0, check(e.pool, b[i], 200 + (uint32_t)i)) TH_LOG("block %d", i);
	}
	/* The writer gone, the release goes through. */
	EXPECT_EQ(0, cxltier_pool_release(e.pool, 1, 5000, &c));
	EXPECT_EQ(1, c.moved);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, check(e.pool, b[i], 200 + (uint32_t)i)) TH_LOG("block %d", i);
	env_close(&e);
}

/* No room on the other tiers: -ENOSPC before anything moves. */
TEST(release_no_room)
{
	struct cxltier_pool_stats st = { .size = sizeof(st) };
	struct cxltier_pool_release_counts c;
	struct cxltier_block_ref r;
	struct cxltier_pool_desc d;
	cxltier_block_t b[5], nb;
	struct pool_env e;
	int i;

	ASSERT_EQ(0, env_open(&e));
	desc_init(&e, &d, 8, 3, 4);
	ASSERT_EQ(0, cxltier_pool_create(e.ctx, &d, &e.pool));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, cxltier_block_alloc(e.pool, i < 2 ? 0 : 1, &b[i]));
		ASSERT_EQ(0, fill(e.pool, b[i], 300 + (uint32_t)i));
	}
	/* 3 blocks on the far tier, 1 free slot on DRAM. */
	EXPECT_EQ(-ENOSPC, cxltier_pool_release(e.pool, 1, 1000, &c));
	EXPECT_EQ(0, c.moved);
	EXPECT_EQ(3, c.noroom);
	ASSERT_EQ(0, cxltier_pool_stats(e.pool, &st));
	EXPECT_EQ(0, st.moves);
	EXPECT_EQ(0, st.tiers_closed);
	EXPECT_EQ(0, st.tiers_released);
	EXPECT_EQ(3, st.blocks_on[1]);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, cxltier_block_lookup(e.pool, b[i], &r));
		EXPECT_EQ(i < 2 ? 0 : 1, r.tier);
		EXPECT_EQ(0, check(e.pool, b[i], 300 + (uint32_t)i));
	}
	ASSERT_EQ(0, cxltier_block_alloc(e.pool, 1, &nb));
	EXPECT_EQ(0, cxltier_block_free(e.pool, nb));
	env_close(&e);
}

TEST_HARNESS_MAIN
