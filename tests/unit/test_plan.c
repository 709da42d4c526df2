// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/plan.c, the daemon's adapter around the
 * policy: the module's node table turned into the policy's tiers, every
 * chunk of every range into its input, its moves back into the
 * executor's (adjacent chunks merged), chunks that cannot move kept in
 * place, min_residency remembered across decisions, and promotions held
 * back when the demotions that made their room failed; the adaptive
 * heat's shadows fed from the module's per-epoch counts (skipped epochs,
 * a range layout that changes), and the last access breaking ties.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "plan.h"

#define MiB (1ULL << 20)
#define CHUNK (2 * MiB)

static struct cxltier_node_info node_info(int node, int tier, int kind,
					  uint64_t cap_mib, uint64_t free_mib)
{
	struct cxltier_node_info n;

	memset(&n, 0, sizeof(n));
	n.node = (uint32_t)node;
	n.tier = (uint32_t)tier;
	n.kind = (uint32_t)kind;
	n.capacity_kB = cap_mib << 10;
	n.free_kB = free_mib << 10;
	return n;
}

/* A range of @nr chunks: the first @in_dram on node 0, the rest on @far. */
static void make_range(struct obs_range *r, uint32_t id, unsigned int nr,
		       unsigned int in_dram, int far, const char *label)
{
	unsigned int c;

	memset(r, 0, sizeof(*r));
	r->info.id = id;
	r->info.pid = 100 + (int)id;
	r->info.start = 0x7f0000000000ULL + id * (1ULL << 32);
	r->info.length = nr * CHUNK;
	r->info.chunk_size = CHUNK;
	r->info.nr_chunks = nr;
	strcpy(r->info.label, label);
	strcpy(r->comm, "runtime");
	r->registered = true;
	r->chunks = calloc(nr, sizeof(*r->chunks));
	for (c = 0; c < nr; c++) {
		r->chunks[c].node = c < in_dram ? 0 : far;
		r->chunks[c].resident_pages = CHUNK / 4096;
	}
}

FIXTURE(plan)
{
	struct plan_ctx *p;
	struct config cfg;
	struct cxltier_node_info info[3];
	struct plan_nodes nodes;
	struct obs_range ranges[2];
	struct obs_snapshot snap;
	struct plan_move *moves;
	size_t n;
};

FIXTURE_SETUP(plan)
{
	char err[CONFIG_ERR_LEN];

	ASSERT_EQ(0, plan_new(&self->p));
	config_init(&self->cfg);
	/* The pool's class may hold 4 chunks (8 MiB) of 1000 MiB of DRAM. */
	ASSERT_EQ(0, config_parse_string(&self->cfg, "test",
					 "[policy]\nmin_residency = 5s\n"
					 "[class \"pool\"]\nlabel = pool\n"
					 "dram_share = 0.9%\n",
					 err, sizeof(err)))
		TH_LOG("%s", err);
	self->info[0] = node_info(0, 0, CXLTIER_KIND_DRAM, 1000, 600);
	self->info[1] = node_info(1, 1, CXLTIER_KIND_FAR, 1000, 900);
	self->info[2] = node_info(2, 2, CXLTIER_KIND_CXL, 1000, 900);
	self->nodes.nr = 3;
	self->nodes.info = self->info;
	make_range(&self->ranges[0], 7, 16, 8, 2, "pool");
	self->snap.nr_ranges = 1;
	self->snap.ranges = self->ranges;
	self->moves = NULL;
	self->n = 0;
}

FIXTURE_TEARDOWN(plan)
{
	size_t i;

	for (i = 0; i < 2; i++)
		free(self->ranges[i].chunks);
	free(self->moves);
	plan_free(self->p);
}

/* Heat chunks [first, first + count) of range @r. */
static void heat(struct obs_range *r, unsigned int first, unsigned int count)
{
	unsigned int c;

	for (c = 0; c < r->info.nr_chunks; c++)
		r->chunks[c].heat = c >= first && c < first + count ?
					    100 * CXLTIER_HEAT_ONE : 0;
}

/* Apply @moves to the snapshot (as if the executor did them all). */
static void apply(struct obs_snapshot *snap, struct plan_move *moves, size_t n)
{
	size_t i, k;
	uint64_t c;

	for (i = 0; i < n; i++) {
		for (k = 0; k < snap->nr_ranges; k++)
			if (snap->ranges[k].info.id == moves[i].range_id)
				break;
		for (c = moves[i].first_chunk;
		     c < moves[i].first_chunk + moves[i].nr_chunks; c++)
			snap->ranges[k].chunks[c].node = moves[i].to_node;
		moves[i].done = true;
	}
}

static int node_of(const struct obs_range *r, unsigned int c)
{
	return r->chunks[c].node;
}

/*
 * Hot far chunks come into DRAM, the rest of the class leaves it, over
 * a few decisions (the policy sheds a class down to its share before it
 * promotes, and what the promotions add the next time); the moves name
 * the right range and chunks, the hot run in one handshake.
 */
TEST_F(plan, hot_set_in_cold_out)
{
	struct obs_range *r = &self->ranges[0];
	unsigned int c, promoted = 0, round;
	uint64_t now = 1000;
	size_t i;

	heat(r, 8, 4);
	for (round = 0; round < 4; round++, now += 6000) {
		free(self->moves);
		self->moves = NULL;
		ASSERT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes,
					&self->snap, now, &self->moves,
					&self->n));
		if (!self->n)
			break;
		for (i = 0; i < self->n; i++) {
			const struct plan_move *m = &self->moves[i];

			EXPECT_EQ(7, m->range_id);
			EXPECT_LE(m->first_chunk + m->nr_chunks, 16);
			if (m->dir == MOVE_PROMOTE) {
				EXPECT_EQ(0, m->to_node);
				EXPECT_EQ(2, m->from_node);
				EXPECT_EQ(8, m->first_chunk);
				EXPECT_EQ(4, m->nr_chunks);
				promoted += m->nr_chunks;
			} else {
				EXPECT_EQ(MOVE_DEMOTE, m->dir);
				EXPECT_NE(0, m->to_node);
				EXPECT_GT(8, m->first_chunk);
			}
		}
		apply(&self->snap, self->moves, self->n);
		plan_commit(self->p, self->moves, self->n, now);
	}
	EXPECT_GT(4, round) TH_LOG("still moving after 4 decisions");
	EXPECT_EQ(4, promoted);
	for (c = 0; c < 16; c++) {
		if (c >= 8 && c < 12) {
			EXPECT_EQ(0, node_of(r, c)) TH_LOG("chunk %u", c);
		} else {
			EXPECT_NE(0, node_of(r, c)) TH_LOG("chunk %u", c);
		}
	}
}

/* Explicit [tiers] lists: only those nodes are used, far in order. */
TEST_F(plan, explicit_tiers)
{
	struct obs_range *r = &self->ranges[0];
	size_t i;

	/* (Set directly: the host's libnuma may know only node 0.) */
	self->cfg.dram.is_auto = false;
	self->cfg.dram.mask[0] = 1UL << 0;
	self->cfg.far.is_auto = false;
	self->cfg.far.mask[0] = 1UL << 2;
	heat(r, 8, 4);
	ASSERT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes, &self->snap,
				1000, &self->moves, &self->n));
	ASSERT_LT(0, self->n);
	for (i = 0; i < self->n; i++) {
		EXPECT_TRUE(self->moves[i].to_node == 0 ||
			    self->moves[i].to_node == 2);
	}
}

/* A far node all in ZONE_MOVABLE takes no chunk: a pin would not stay. */
TEST_F(plan, all_movable_far_node_left_out)
{
	struct obs_range *r = &self->ranges[0];
	size_t i;

	self->info[1].flags |= CXLTIER_NODE_ALL_MOVABLE;
	self->info[1].free_kB = 1000 << 10; /* the roomiest */
	heat(r, 8, 4);
	ASSERT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes, &self->snap,
				1000, &self->moves, &self->n));
	ASSERT_LT(0, self->n);
	for (i = 0; i < self->n; i++)
		EXPECT_NE(1, self->moves[i].to_node);
}

/* Pinned chunks of an unregistered range never move. */
TEST_F(plan, unregistered_pinned_is_fixed)
{
	struct obs_range *r = &self->ranges[0];
	unsigned int c;

	r->registered = false;
	for (c = 0; c < 16; c++)
		r->chunks[c].pinned_pages = 1;
	heat(r, 8, 4);
	ASSERT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes, &self->snap,
				1000, &self->moves, &self->n));
	EXPECT_EQ(0, self->n);

	/* Without pins it moves (with move_pages). */
	for (c = 0; c < 16; c++)
		r->chunks[c].pinned_pages = 0;
	ASSERT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes, &self->snap,
				2000, &self->moves, &self->n));
	EXPECT_LT(0, self->n);
}

/* A buffer whose owner is in back-off stays put. */
TEST_F(plan, fixed_range_stays)
{
	heat(&self->ranges[0], 8, 4);
	self->ranges[0].fixed = true;
	ASSERT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes, &self->snap,
				1000, &self->moves, &self->n));
	EXPECT_EQ(0, self->n);
}

/*
 * A chunk that moved stays for min_residency (5 s) even when the heat
 * says otherwise; plan_commit() is what tells the adapter it moved.
 */
TEST_F(plan, min_residency_remembered)
{
	struct obs_range *r = &self->ranges[0];
	struct plan_move *first;
	size_t i, n_first;

	heat(r, 8, 4);
	ASSERT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes, &self->snap,
				10000, &first, &n_first));
	apply(&self->snap, first, n_first);
	plan_commit(self->p, first, n_first, 10000);
	free(first);

	/* The hot set moves to chunks 0-3 (now far) at once. */
	heat(r, 0, 4);
	ASSERT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes, &self->snap,
				12000, &self->moves, &self->n));
	for (i = 0; i < self->n; i++)
		EXPECT_FALSE(self->moves[i].dir == MOVE_PROMOTE &&
			     self->moves[i].first_chunk < 4)
			TH_LOG("chunks 0-3 moved 2 s ago and came back already");
	free(self->moves);
	self->moves = NULL;

	/* After min_residency they may. */
	ASSERT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes, &self->snap,
				16000, &self->moves, &self->n));
	EXPECT_LT(0, self->n);
}

/* Two ranges: moves name each by its id and chunk index. */
TEST_F(plan, two_ranges)
{
	struct obs_range *a = &self->ranges[0], *b = &self->ranges[1];
	size_t i;
	int seen_a = 0, seen_b = 0;

	free(a->chunks);
	make_range(a, 3, 5, 5, 2, "other");
	make_range(b, 9, 16, 8, 2, "pool");
	self->snap.nr_ranges = 2;
	heat(b, 12, 2);
	ASSERT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes, &self->snap,
				1000, &self->moves, &self->n));
	for (i = 0; i < self->n; i++) {
		if (self->moves[i].range_id == 3)
			seen_a++;
		if (self->moves[i].range_id == 9) {
			seen_b++;
			EXPECT_LE(self->moves[i].first_chunk +
					  self->moves[i].nr_chunks,
				  16);
		}
	}
	/* Range 3 ("other", default class, cold, in DRAM) has room. */
	EXPECT_EQ(0, seen_a);
	EXPECT_LT(0, seen_b);
	apply(&self->snap, self->moves, self->n);
	EXPECT_EQ(0, node_of(b, 12));
	EXPECT_EQ(0, node_of(b, 13));
}

/* Nothing tracked, or no nodes: no moves, no error. */
TEST_F(plan, empty_inputs)
{
	self->snap.nr_ranges = 0;
	EXPECT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes, &self->snap,
				1000, &self->moves, &self->n));
	EXPECT_EQ(0, self->n);
	self->snap.nr_ranges = 1;
	self->nodes.nr = 0;
	heat(&self->ranges[0], 8, 4);
	EXPECT_EQ(0, plan_build(self->p, &self->cfg, &self->nodes, &self->snap,
				2000, &self->moves, &self->n));
	EXPECT_EQ(0, self->n);
}

/* Tier numbers follow the module's order; direction follows them. */
TEST_F(plan, tiers_and_directions)
{
	EXPECT_EQ(0, plan_node_tier(&self->nodes, 0));
	EXPECT_EQ(2, plan_node_tier(&self->nodes, 2));
	EXPECT_EQ(-1, plan_node_tier(&self->nodes, 5));
	EXPECT_EQ(MOVE_PROMOTE, plan_direction(&self->nodes, 2, 0));
	EXPECT_EQ(MOVE_DEMOTE, plan_direction(&self->nodes, 0, 1));
	EXPECT_EQ(MOVE_LATERAL, plan_direction(&self->nodes, 2, 2));
	EXPECT_EQ(MOVE_LATERAL, plan_direction(&self->nodes, -2, 0));
}

/* Decide at @now; the moves into self->moves. */
static int decide(struct plan_ctx *p, struct __test_metadata *_metadata,
		  const struct config *cfg, const struct plan_nodes *nodes,
		  struct obs_snapshot *snap, uint64_t now, struct plan_move **moves,
		  size_t *n)
{
	free(*moves);
	*moves = NULL;
	return plan_build(p, cfg, nodes, snap, now, moves, n);
}

#define DECIDE(now) \
	ASSERT_EQ(0, decide(self->p, _metadata, &self->cfg, &self->nodes, &self->snap, \
			    (now), &self->moves, &self->n))

/* Does a promotion of the plan cover chunk @c of range @id? */
static bool promotes(const struct plan_move *m, size_t n, uint32_t id, uint64_t c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].range_id == id && m[i].dir == MOVE_PROMOTE &&
		    c >= m[i].first_chunk && c < m[i].first_chunk + m[i].nr_chunks)
			return true;
	return false;
}

static unsigned int nr_promotions(const struct plan_move *m, size_t n)
{
	unsigned int k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		k += m[i].dir == MOVE_PROMOTE ? m[i].nr_chunks : 0;
	return k;
}

/* The module's counts of the last epoch @e: @reads device reports, @young pages. */
static void saw(struct obs_range *r, unsigned int c, uint64_t e, uint32_t reads,
		uint32_t young)
{
	r->chunks[c].dev_count = reads;
	r->chunks[c].cpu_young = young;
	if (reads || young)
		r->chunks[c].last_epoch = e;
}

static void quiet(struct obs_range *r)
{
	unsigned int c;

	for (c = 0; c < r->info.nr_chunks; c++)
		r->chunks[c].dev_count = r->chunks[c].cpu_young = 0;
}

/*
 * Adaptive heat (the default): with the module's heat at 0 everywhere,
 * chunks the device read (dev_count) or the CPU touched (cpu_young) in
 * the epoch become the followed shadow's hottest and are promoted; with
 * adaptive = off the same snapshot promotes nothing.
 */
TEST_F(plan, adaptive_reads_feed_the_shadows)
{
	struct obs_range *r = &self->ranges[0];
	struct plan_ctx *off;
	struct config cfg_off = self->cfg;
	const struct plan_summary *ps;
	uint64_t e;

	DECIDE(1000);
	ps = plan_last(self->p);
	EXPECT_EQ(-1, ps->adaptive) TH_LOG("no epoch seen yet: the module's heat");
	EXPECT_EQ(0, nr_promotions(self->moves, self->n));

	for (e = 1; e <= 3; e++) {
		quiet(r);
		saw(r, 12, e, 3, 0);
		saw(r, 14, e, 0, 50);
		self->snap.epoch = e;
		DECIDE(1000 + e * 1000);
		ps = plan_last(self->p);
		/* The default's first sum shadow: no recency shadow for buffers. */
		EXPECT_EQ(1, ps->adaptive);
		EXPECT_EQ(5000, ps->adaptive_half_life_ms);
		EXPECT_EQ(250, ps->adaptive_write_weight_pm);
		EXPECT_EQ(0, ps->adaptive_recency);
		EXPECT_EQ(e == 1, ps->adaptive_switched);
		EXPECT_TRUE(promotes(self->moves, self->n, 7, 12)) TH_LOG("epoch %llu", (unsigned long long)e);
		EXPECT_TRUE(promotes(self->moves, self->n, 7, 14));
		EXPECT_FALSE(promotes(self->moves, self->n, 7, 13));
	}

	/* The same snapshot, adaptive off: module heat 0, nothing promoted. */
	cfg_off.adaptive = false;
	ASSERT_EQ(0, plan_new(&off));
	free(self->moves);
	self->moves = NULL;
	ASSERT_EQ(0, plan_build(off, &cfg_off, &self->nodes, &self->snap, 5000,
				&self->moves, &self->n));
	EXPECT_EQ(0, nr_promotions(self->moves, self->n));
	EXPECT_EQ(-1, plan_last(off)->adaptive);
	plan_free(off);
}

/*
 * Chunk identity: a range that comes in front of another moves the
 * flattened indices; the shadows start again, cold, instead of crediting
 * one chunk's reads to another, and the next reads land on the right
 * chunk.
 */
TEST_F(plan, adaptive_layout_change_restarts)
{
	struct obs_range *r;
	uint64_t e, resets;

	for (e = 1; e <= 3; e++) {
		quiet(&self->ranges[0]);
		saw(&self->ranges[0], 12, e, 4, 0);
		self->snap.epoch = e;
		DECIDE(e * 1000);
		EXPECT_TRUE(promotes(self->moves, self->n, 7, 12));
	}
	resets = plan_last(self->p)->adaptive_resets;

	/* Range 3 (4 chunks, far) in front: range 7's chunk 8 is index 12 now. */
	self->ranges[1] = self->ranges[0];
	make_range(&self->ranges[0], 3, 4, 0, 2, "pool");
	self->snap.nr_ranges = 2;
	r = &self->ranges[1];
	quiet(r);
	self->snap.epoch = 4;
	DECIDE(4000);
	EXPECT_EQ(resets + 1, plan_last(self->p)->adaptive_resets);
	EXPECT_EQ(0, nr_promotions(self->moves, self->n))
		TH_LOG("an old index's heat was credited to another chunk");

	saw(r, 12, 5, 2, 0);
	self->snap.epoch = 5;
	DECIDE(5000);
	EXPECT_EQ(resets + 1, plan_last(self->p)->adaptive_resets);
	EXPECT_TRUE(promotes(self->moves, self->n, 7, 12));
	EXPECT_FALSE(promotes(self->moves, self->n, 7, 8));
	EXPECT_EQ(1, nr_promotions(self->moves, self->n));

	/* No range at all (and so no epoch number): the setting stays. */
	self->snap.nr_ranges = 0;
	self->snap.epoch = 0;
	DECIDE(6000);
	EXPECT_EQ(1, plan_last(self->p)->adaptive);
	EXPECT_FALSE(plan_last(self->p)->adaptive_switched);
	EXPECT_EQ(0, self->n);
}

/*
 * Epochs between two decisions: a chunk whose last access fell in one of
 * them gets that read; too many missed, or an epoch counter that goes
 * back, starts the shadows again.
 */
TEST_F(plan, adaptive_skipped_epochs)
{
	struct obs_range *r = &self->ranges[0];
	uint64_t resets;

	self->snap.epoch = 1;
	DECIDE(1000);
	EXPECT_EQ(0, nr_promotions(self->moves, self->n));
	resets = plan_last(self->p)->adaptive_resets;

	/* Epochs 2 and 3 unseen; chunk 13 last read in epoch 3. */
	r->chunks[13].last_epoch = 3;
	self->snap.epoch = 4;
	DECIDE(4000);
	EXPECT_TRUE(promotes(self->moves, self->n, 7, 13));
	EXPECT_EQ(1, nr_promotions(self->moves, self->n));
	EXPECT_EQ(resets, plan_last(self->p)->adaptive_resets);

	/* The same epoch again: nothing folded twice, the plan is the same. */
	DECIDE(4500);
	EXPECT_TRUE(promotes(self->moves, self->n, 7, 13));

	self->snap.epoch = 4 + PLAN_ADAPT_MAX_GAP + 1;
	DECIDE(100000);
	EXPECT_EQ(resets + 1, plan_last(self->p)->adaptive_resets);
	EXPECT_EQ(0, nr_promotions(self->moves, self->n));

	self->snap.epoch = 10;
	saw(r, 9, 10, 1, 0);
	DECIDE(101000);
	EXPECT_EQ(resets + 2, plan_last(self->p)->adaptive_resets);
	EXPECT_TRUE(promotes(self->moves, self->n, 7, 9));
}

/*
 * Ties of heat go to the chunk accessed last (the module's last_epoch),
 * not to the lower index: room for one, two far chunks alike but for it.
 */
TEST_F(plan, last_access_breaks_ties)
{
	char err[CONFIG_ERR_LEN];
	struct obs_range *r = &self->ranges[0];
	int round;

	ASSERT_EQ(0, config_parse_string(&self->cfg, "ties",
					 "[heat]\nadaptive = off\n"
					 "[class \"pool\"]\ndram_share = 0.2%\n", err, sizeof(err)))
		TH_LOG("%s", err);
	free(r->chunks);
	make_range(r, 7, 4, 2, 2, "pool");
	for (round = 0; round < 2; round++) {
		struct plan_ctx *p;

		r->chunks[2].heat = r->chunks[3].heat = 10 * CXLTIER_HEAT_ONE;
		r->chunks[2].last_epoch = round ? 9 : 5;
		r->chunks[3].last_epoch = round ? 5 : 9;
		ASSERT_EQ(0, plan_new(&p));
		ASSERT_EQ(0, decide(p, _metadata, &self->cfg, &self->nodes, &self->snap,
				    1000, &self->moves, &self->n));
		EXPECT_EQ(1, nr_promotions(self->moves, self->n));
		EXPECT_EQ(!round, promotes(self->moves, self->n, 7, 3)) TH_LOG("round %d", round);
		EXPECT_EQ(round, promotes(self->moves, self->n, 7, 2)) TH_LOG("round %d", round);
		plan_free(p);
	}
}

TEST_HARNESS_MAIN
