// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the executor's decisions that need no module: the
 * gate that holds promotions back after failed demotions, the re-check
 * of a move against the chunks' nodes now, the mapping of a failed
 * move's status to the reason the metrics count, how a decision's
 * moves are grouped and cut into one handshake per span, and the
 * bounded wait of a drain's evacuation (on the host's own memory, node
 * 0: the only node every host has).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "executor.h"
#include "kselftest_harness.h"

#define CHUNK (2ULL << 20)

/*
 * A failed demotion holds back as many bytes of the promotions after it;
 * demotions, lateral moves and a clean gate pass.
 */
TEST(gate_holds_promotions_after_failed_demotions)
{
	struct exec_gate g = { 0 };

	ASSERT_TRUE(exec_gate_allows(&g, MOVE_PROMOTE, CHUNK));
	exec_gate_record(&g, MOVE_PROMOTE, CHUNK, 0);
	ASSERT_EQ(0, g.debt);	/* a failed promotion owes nothing */
	ASSERT_TRUE(exec_gate_allows(&g, MOVE_DEMOTE, 2 * CHUNK));
	exec_gate_record(&g, MOVE_DEMOTE, 2 * CHUNK, CHUNK / 2);
	ASSERT_EQ(2 * CHUNK - CHUNK / 2, g.debt);
	ASSERT_TRUE(exec_gate_allows(&g, MOVE_DEMOTE, CHUNK));
	ASSERT_TRUE(exec_gate_allows(&g, MOVE_LATERAL, CHUNK));
	ASSERT_FALSE(exec_gate_allows(&g, MOVE_PROMOTE, CHUNK));
	ASSERT_EQ(CHUNK / 2, g.debt);
	ASSERT_FALSE(exec_gate_allows(&g, MOVE_PROMOTE, CHUNK));
	ASSERT_EQ(0, g.debt);	/* paid off, never below zero */
	ASSERT_TRUE(exec_gate_allows(&g, MOVE_PROMOTE, CHUNK));
	exec_gate_record(&g, MOVE_DEMOTE, CHUNK, CHUNK);
	ASSERT_EQ(0, g.debt);	/* a demotion that moved everything */
	ASSERT_TRUE(exec_gate_allows(&g, MOVE_PROMOTE, CHUNK));
}

/* Chunks as the module reports them: node of each. */
static void nodes_of(struct cxltier_chunk_heat *h, const int *nodes, unsigned int n)
{
	unsigned int i;

	memset(h, 0, n * sizeof(*h));
	for (i = 0; i < n; i++)
		h[i].node = nodes[i];
}

/* Still where planned: go; all on the target: done; elsewhere: stale. */
TEST(recheck)
{
	struct cxltier_chunk_heat h[4];

	nodes_of(h, (int[]){ 0, 0, 0, 0 }, 4);
	EXPECT_EQ(0, exec_recheck_chunks(h, 0, 4, 4, 0, 2));
	EXPECT_EQ(0, exec_recheck_chunks(h, 0, 4, 4, -1, 2));	/* no check */
	EXPECT_EQ(-ESTALE, exec_recheck_chunks(h, 0, 4, 4, 1, 2));
	nodes_of(h, (int[]){ 2, 2, 2, 2 }, 4);
	EXPECT_EQ(1, exec_recheck_chunks(h, 0, 4, 4, 0, 2));	/* already there */
	nodes_of(h, (int[]){ 0, 2, 0, 2 }, 4);
	EXPECT_EQ(0, exec_recheck_chunks(h, 0, 4, 4, 0, 2));	/* half way */
	nodes_of(h, (int[]){ 0, 1, 0, 0 }, 4);
	EXPECT_EQ(-ESTALE, exec_recheck_chunks(h, 0, 4, 4, 0, 2));
	/* A chunk with no resident page is no objection. */
	nodes_of(h, (int[]){ 0, CXLTIER_NODE_NONE, 0, 0 }, 4);
	EXPECT_EQ(0, exec_recheck_chunks(h, 0, 4, 4, 0, 2));
	/* The range shrank under the plan. */
	EXPECT_EQ(-ESTALE, exec_recheck_chunks(h, 2, 4, 5, 0, 2));
	EXPECT_EQ(0, exec_recheck_chunks(h, 1, 4, 5, 0, 2));
}

/* A handshake the owner did not complete, then move_pages(2)'s errors. */
TEST(failure_mapping)
{
	EXPECT_EQ(MOVE_FAIL_TIMEOUT, exec_fail_of(-ETIMEDOUT, true, false));
	EXPECT_EQ(MOVE_FAIL_GONE, exec_fail_of(-ECONNRESET, true, false));
	EXPECT_EQ(MOVE_FAIL_REFUSED, exec_fail_of(-EPERM, true, false));
	EXPECT_EQ(MOVE_FAIL_REFUSED, exec_fail_of(-EBUSY, true, false));
	/* Released: what the move itself did decides. */
	EXPECT_EQ(MOVE_FAIL_PINNED, exec_fail_of(-EBUSY, true, true));
	EXPECT_EQ(MOVE_FAIL_GONE, exec_fail_of(-ESRCH, true, true));
	EXPECT_EQ(MOVE_FAIL_PINNED, exec_fail_of(-EBUSY, false, false));
	EXPECT_EQ(MOVE_FAIL_GONE, exec_fail_of(-ESRCH, false, false));
	EXPECT_EQ(MOVE_FAIL_GONE, exec_fail_of(-ECONNRESET, false, false));
	EXPECT_EQ(MOVE_FAIL_TIMEOUT, exec_fail_of(-ETIMEDOUT, false, false));
	EXPECT_EQ(MOVE_FAIL_ERROR, exec_fail_of(-ENOMEM, false, false));
	EXPECT_EQ(MOVE_FAIL_ERROR, exec_fail_of(-EINVAL, true, true));
}

/* A plan move of @nr chunks from @first of range @id. */
static struct plan_move mv(uint32_t id, uint64_t first, uint32_t nr, int from, int to,
			   enum move_dir dir)
{
	struct plan_move m;

	memset(&m, 0, sizeof(m));
	m.range_id = id;
	m.first_chunk = first;
	m.nr_chunks = nr;
	m.from_node = from;
	m.to_node = to;
	m.dir = dir;
	return m;
}

/*
 * A group: the same range, nodes and direction, sorted by first chunk,
 * never past a move of another direction, never a move taken already.
 */
TEST(group)
{
	struct plan_move m[] = {
		mv(1, 8, 2, 0, 2, MOVE_DEMOTE),		/* 0 */
		mv(2, 0, 1, 0, 2, MOVE_DEMOTE),		/* 1: another range */
		mv(1, 2, 1, 0, 2, MOVE_DEMOTE),		/* 2 */
		mv(1, 5, 1, 1, 2, MOVE_DEMOTE),		/* 3: from another node */
		mv(1, 0, 1, 0, 2, MOVE_DEMOTE),		/* 4 */
		mv(1, 20, 1, 0, 2, MOVE_PROMOTE),	/* 5: the promotions start */
		mv(1, 30, 1, 0, 2, MOVE_DEMOTE),	/* 6: after them */
	};
	bool taken[7] = { false };
	size_t got[7];

	ASSERT_EQ(3, exec_group(m, 7, 0, taken, got));
	EXPECT_EQ(4, got[0]);
	EXPECT_EQ(2, got[1]);
	EXPECT_EQ(0, got[2]);
	taken[4] = true;
	ASSERT_EQ(2, exec_group(m, 7, 0, taken, got));
	EXPECT_EQ(2, got[0]);
	EXPECT_EQ(0, got[1]);
	ASSERT_EQ(1, exec_group(m, 7, 1, taken, got));
	EXPECT_EQ(1, got[0]);
	ASSERT_EQ(1, exec_group(m, 7, 5, taken, got));
	ASSERT_EQ(1, exec_group(m, 7, 6, taken, got));
}

/*
 * One handshake covers runs while at least half of its span moves, it
 * stays within the limit and no run overlaps the one before.
 */
TEST(span_end)
{
	const uint64_t runs[][2] = {
		{ 0, 2 }, { 2, 1 },	/* adjacent */
		{ 5, 2 },		/* span 7, 5 move: in */
		{ 20, 1 },		/* span 21, 6 move: out */
		{ 21, 4 }, { 22, 1 },	/* overlaps: out */
		{ 30, 1 }, { 31, 1 }, { 32, 1 },
	};

	EXPECT_EQ(3, exec_span_end(runs, 9, 0, 64));
	EXPECT_EQ(2, exec_span_end(runs, 9, 0, 6));	/* the limit */
	EXPECT_EQ(1, exec_span_end(runs, 9, 0, 2));
	EXPECT_EQ(5, exec_span_end(runs, 9, 3, 64));
	EXPECT_EQ(6, exec_span_end(runs, 9, 5, 64));	/* {22,1} alone */
	EXPECT_EQ(9, exec_span_end(runs, 9, 6, 64));
	EXPECT_EQ(9, exec_span_end(runs, 9, 8, 64));	/* the last run */
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Evacuating a node the pages are not on ends at once, moving nothing;
 * pages that cannot leave the node (the target is the node itself) end
 * busy at the deadline, not before and not long after, and not moved.
 */
TEST(evacuate_bounded)
{
	size_t len = 64 * 4096;
	uint64_t moved = 1, t0;
	int node = -2, here, ret;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5a, len);
	t0 = now_ms();
	ret = exec_evacuate_pages(getpid(), (uint64_t)(uintptr_t)p, len, 1023,
				  0, false, 5000, &moved, &node);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, moved);
	ASSERT_GE(node, 0);	/* where the pages are */
	ASSERT_LT(now_ms() - t0, 2000);
	here = node;

	t0 = now_ms();
	ret = exec_evacuate_pages(getpid(), (uint64_t)(uintptr_t)p, len, here,
				  here, true, 300, &moved, &node);
	ASSERT_EQ(-EBUSY, ret);
	ASSERT_EQ(0, moved);
	ASSERT_EQ(here, node);
	ASSERT_GE(now_ms() - t0, 300);
	ASSERT_LT(now_ms() - t0, 3000);
	ASSERT_EQ(0x5a, p[len - 1]);
	munmap(p, len);
}

TEST_HARNESS_MAIN
