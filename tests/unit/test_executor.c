// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the executor's decisions that need no module: the
 * gate that holds promotions back after failed demotions, the re-check
 * of a move against the chunks' nodes now, and the mapping of a failed
 * move's status to the reason the metrics count.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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

TEST_HARNESS_MAIN
