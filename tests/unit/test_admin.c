// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the admin socket's requests (agent/admin.c) and of
 * the verbs registered on it (agent/drain.c, agent/inspect.c), on a
 * socketpair: word splitting, the verb table, who may run what, the
 * answers' JSON, the wire format of drain's verbs, pause and resume, and
 * inspect's per-range history (bounded, repeats folded, newest first)
 * and plan-change test.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "admin.h"
#include "drain.h"
#include "inspect.h"
#include "log.h"
#include "policy.h"

static const struct admin_peer root_peer = { 1, 0, 0, true };
static const struct admin_peer user_peer = { 2, 1000, 1000, false };

/* Run @req from @peer on one end of a socketpair; the answer lines. */
static enum admin_ret run_req(struct admin *ad, const struct admin_peer *peer,
			      const char *req, char *out, size_t len)
{
	char line[ADMIN_LINE_MAX + 1];
	enum admin_ret ret;
	int sv[2];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		abort();
	snprintf(line, sizeof(line), "%s", req);
	ret = admin_dispatch(ad, sv[0], peer, line);
	n = recv(sv[1], out, len - 1, MSG_DONTWAIT);
	out[n > 0 ? n : 0] = '\0';
	close(sv[0]);
	close(sv[1]);
	return ret;
}

struct echo {
	int calls;
	int argc;
	char args[ADMIN_MAX_ARGS][32];
	enum admin_ret ret;
};

static enum admin_ret echo_verb(void *arg, struct admin *ad, int fd,
				const struct admin_peer *peer, int argc,
				char **argv)
{
	struct echo *e = arg;
	int i;

	e->calls++;
	e->argc = argc;
	for (i = 0; i < argc; i++)
		snprintf(e->args[i], sizeof(e->args[i]), "%s", argv[i]);
	admin_send(ad, fd, "{\"event\": \"echo\", \"uid\": %u}",
		   (unsigned int)peer->uid);
	return e->ret;
}

TEST(split)
{
	char line[64] = "  drain\t3  timeout 10 ";
	char *argv[4];

	ASSERT_EQ(4, admin_split(line, argv, 4));
	EXPECT_STREQ("drain", argv[0]);
	EXPECT_STREQ("3", argv[1]);
	EXPECT_STREQ("timeout", argv[2]);
	EXPECT_STREQ("10", argv[3]);
	snprintf(line, sizeof(line), "a b c d e");
	EXPECT_EQ(-E2BIG, admin_split(line, argv, 4));
	snprintf(line, sizeof(line), " \t ");
	EXPECT_EQ(0, admin_split(line, argv, 4));
}

TEST(table)
{
	struct admin *ad = admin_new_detached();
	struct echo e = { 0 };
	char name[8];
	int i;

	ASSERT_NE(NULL, ad);
	EXPECT_EQ(0, admin_register(ad, "echo", echo_verb, &e, 0));
	EXPECT_EQ(-EEXIST, admin_register(ad, "echo", echo_verb, &e, 0));
	EXPECT_EQ(-EINVAL, admin_register(ad, "two words", echo_verb, &e, 0));
	EXPECT_EQ(-EINVAL, admin_register(ad, "", echo_verb, &e, 0));
	EXPECT_EQ(-EINVAL, admin_register(ad, "x", NULL, &e, 0));
	for (i = 1; i < ADMIN_MAX_VERBS; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		EXPECT_EQ(0, admin_register(ad, name, echo_verb, &e, 0));
	}
	EXPECT_EQ(-ENOSPC, admin_register(ad, "more", echo_verb, &e, 0));
	admin_free(ad);
}

TEST(dispatch)
{
	struct admin *ad = admin_new_detached();
	struct echo e = { .ret = ADMIN_CLOSE }, p = { .ret = ADMIN_KEEP };
	char out[1024];

	ASSERT_NE(NULL, ad);
	ASSERT_EQ(0, admin_register(ad, "echo", echo_verb, &e, 0));
	ASSERT_EQ(0, admin_register(ad, "secret", echo_verb, &p,
				    ADMIN_PRIVILEGED));

	EXPECT_EQ(ADMIN_CLOSE, run_req(ad, &user_peer, "echo a  b", out,
				       sizeof(out)));
	EXPECT_EQ(1, e.calls);
	EXPECT_EQ(3, e.argc);
	EXPECT_STREQ("b", e.args[2]);
	EXPECT_STREQ("{\"event\": \"echo\", \"uid\": 1000}\n", out);

	/* A privileged verb: refused to a user, with why; root runs it. */
	EXPECT_EQ(ADMIN_CLOSE, run_req(ad, &user_peer, "secret", out,
				       sizeof(out)));
	EXPECT_EQ(0, p.calls);
	EXPECT_NE(NULL, strstr(out, "\"result\": \"error\""));
	EXPECT_NE(NULL, strstr(out, "permission denied: secret needs root"));
	EXPECT_EQ(ADMIN_KEEP, run_req(ad, &root_peer, "secret", out,
				      sizeof(out)));
	EXPECT_EQ(1, p.calls);

	/* Unknown verbs list the known ones; empty and too long fail. */
	EXPECT_EQ(ADMIN_CLOSE, run_req(ad, &root_peer, "ECHO", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "unknown request (echo, secret)"));
	EXPECT_EQ(ADMIN_CLOSE, run_req(ad, &root_peer, "   ", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "empty request"));
	EXPECT_EQ(ADMIN_CLOSE, run_req(ad, &root_peer,
			"echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", out,
			sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "too many words"));
	EXPECT_EQ(1, e.calls);
	admin_free(ad);
}

TEST(json_text)
{
	struct admin_buf b = { 0 };

	admin_buf_printf(&b, "{\"l\": ");
	admin_buf_json_str(&b, "a\"b\\c\n\x01\xc3", 64);
	admin_buf_printf(&b, "}");
	ASSERT_FALSE(b.failed);
	EXPECT_STREQ("{\"l\": \"a\\\"b\\\\c\\u000a\\u0001\\u00c3\"}", b.s);
	EXPECT_EQ(strlen(b.s), b.len);
	admin_buf_free(&b);
	/* @max bounds a label that is not terminated. */
	admin_buf_json_str(&b, "abcdef", 3);
	EXPECT_STREQ("\"abc\"", b.s);
	admin_buf_free(&b);
}

/* drain's verbs keep their wire format (cxltierctl drain reads it). */
TEST(drain_verbs)
{
	struct admin *ad = admin_new_detached();
	struct metrics met;
	struct drain *dr = NULL;
	char out[1024];

	memset(&met, 0, sizeof(met));
	ASSERT_NE(NULL, ad);
	ASSERT_EQ(0, drain_new(&dr, ad, NULL, NULL, NULL, &met));
	EXPECT_EQ(ADMIN_CLOSE, run_req(ad, &root_peer, "undrain 3", out,
				       sizeof(out)));
	EXPECT_STREQ("{\"event\": \"done\", \"node\": 3, \"result\": \"undrained\", \"was\": \"open\"}\n",
		     out);
	EXPECT_EQ(ADMIN_CLOSE, run_req(ad, &root_peer, "status", out,
				       sizeof(out)));
	EXPECT_STREQ("{\"event\": \"status\", \"nodes\": []}\n", out);
	EXPECT_EQ(ADMIN_CLOSE, run_req(ad, &root_peer, "drain x", out,
				       sizeof(out)));
	EXPECT_STREQ("{\"event\": \"done\", \"result\": \"error\", \"error\": \"not a node id\"}\n",
		     out);
	run_req(ad, &root_peer, "drain 1 timeout", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "timeout: milliseconds in [1, 86400000]"));
	run_req(ad, &root_peer, "drain 1 timeout 0", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "timeout: milliseconds"));
	run_req(ad, &root_peer, "drain 1 fast", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "unknown drain option"));
	run_req(ad, &root_peer, "undrain 1 2", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "undrain takes a node only"));
	run_req(ad, &root_peer, "undrain 1024", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "not a node id"));
	/* Only root drains. */
	run_req(ad, &user_peer, "drain 1", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "permission denied"));
	run_req(ad, &user_peer, "status", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "permission denied"));
	admin_free(ad);
	drain_free(dr);
}

/*
 * A drain's room check of a pool: the blocks of its slabs on the node
 * must fit in the free slots of its other open slabs.
 */
TEST(drain_pool_room)
{
	uint64_t slot[12] = { 0 };
	struct srv_pool p;
	uint32_t blocks, room;

	memset(&p, 0, sizeof(p));
	p.id = 3;
	p.nr_tiers = 3;
	p.slab[0] = (struct proto_pool_slab){ 11, 0, 4, 0 };
	p.slab[1] = (struct proto_pool_slab){ 12, 2, 4, 1 };
	p.slab[2] = (struct proto_pool_slab){ 13, 3, 4, 2 };
	p.tier_base[1] = 4;
	p.tier_base[2] = 8;
	p.tier_base[3] = 12;
	p.slot = slot;
	/* Tier 0: 3 of 4 slots used; tier 1 (node 2): 3 blocks; tier 2 empty. */
	slot[0] = slot[1] = slot[2] = 1ULL << 32;
	slot[4] = slot[6] = slot[7] = 1ULL << 32;
	EXPECT_EQ(1, drain_pool_fit(NULL, &p, 2, &blocks, &room));
	EXPECT_EQ(3, blocks);
	EXPECT_EQ(5, room);
	EXPECT_EQ(0, drain_pool_fit(NULL, &p, 5, &blocks, &room));
	EXPECT_EQ(0, blocks);
	/* Tier 2 given back: 1 free slot for 3 blocks. */
	p.released = 1U << 2;
	EXPECT_EQ(-ENOSPC, drain_pool_fit(NULL, &p, 2, &blocks, &room));
	EXPECT_EQ(3, blocks);
	EXPECT_EQ(1, room);
	slot[6] = slot[7] = 0;
	EXPECT_EQ(1, drain_pool_fit(NULL, &p, 2, &blocks, &room));
	/* Its only open slab on the node: never given back. */
	p.released = 1U << 0 | 1U << 2;
	EXPECT_EQ(-EINVAL, drain_pool_fit(NULL, &p, 2, &blocks, &room));
	slot[4] = 0;
	EXPECT_EQ(-EINVAL, drain_pool_fit(NULL, &p, 2, &blocks, &room));
	EXPECT_EQ(0, blocks);
}

static struct inspect_move mv(uint32_t id, uint64_t first, int to,
			      enum inspect_result res, double t)
{
	struct inspect_move m;

	memset(&m, 0, sizeof(m));
	m.range_id = id;
	m.first_chunk = first;
	m.nr_chunks = 2;
	m.from_node = 1;
	m.to_node = to;
	m.reason = POLICY_PROMOTE;
	m.result = res;
	m.time = t;
	return m;
}

TEST(history)
{
	struct inspect_hist h = { 0 };
	const struct inspect_hist_range *r;
	struct inspect_move m;
	int i;

	EXPECT_EQ(NULL, inspect_hist_find(&h, 7));
	/* More than INSPECT_HISTORY moves: the oldest go, newest first. */
	for (i = 0; i < INSPECT_HISTORY + 3; i++) {
		m = mv(7, (uint64_t)i, 0, INSPECT_DONE, i);
		ASSERT_EQ(0, inspect_hist_add(&h, &m));
	}
	r = inspect_hist_find(&h, 7);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(INSPECT_HISTORY, r->nr);
	EXPECT_EQ(INSPECT_HISTORY + 2, inspect_hist_at(r, 0)->first_chunk);
	EXPECT_EQ(3, inspect_hist_at(r, INSPECT_HISTORY - 1)->first_chunk);
	EXPECT_EQ(NULL, inspect_hist_at(r, INSPECT_HISTORY));

	/* The same move, not done again: a repeat, not a new entry. */
	m = mv(8, 0, 0, INSPECT_DRY_RUN, 100);
	ASSERT_EQ(0, inspect_hist_add(&h, &m));
	m.time = 101;
	ASSERT_EQ(0, inspect_hist_add(&h, &m));
	m.time = 102;
	ASSERT_EQ(0, inspect_hist_add(&h, &m));
	r = inspect_hist_find(&h, 8);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(1, r->nr);
	EXPECT_EQ(2, inspect_hist_at(r, 0)->repeats);
	EXPECT_EQ(102, (int)inspect_hist_at(r, 0)->time);
	/* ... but a move done each time is news each time. */
	m = mv(8, 0, 0, INSPECT_DONE, 103);
	ASSERT_EQ(0, inspect_hist_add(&h, &m));
	ASSERT_EQ(0, inspect_hist_add(&h, &m));
	EXPECT_EQ(3, inspect_hist_find(&h, 8)->nr);

	/* Ranges gone from the snapshot are forgotten. */
	inspect_hist_mark(&h, 8);
	inspect_hist_sweep(&h);
	EXPECT_EQ(NULL, inspect_hist_find(&h, 7));
	EXPECT_NE(NULL, inspect_hist_find(&h, 8));
	inspect_hist_sweep(&h);
	EXPECT_EQ(NULL, inspect_hist_find(&h, 8));
	EXPECT_EQ(0, h.nr);
	inspect_hist_free(&h);
}

TEST(history_bounded)
{
	struct inspect_hist h = { 0 };
	struct inspect_move m;
	uint32_t i;

	for (i = 0; i < INSPECT_MAX_RANGES + 5; i++) {
		m = mv(i, 0, 0, INSPECT_DONE, 1000 + i);
		ASSERT_EQ(0, inspect_hist_add(&h, &m));
	}
	EXPECT_EQ(INSPECT_MAX_RANGES, h.nr);
	/* The ranges with the oldest moves made room. */
	EXPECT_EQ(NULL, inspect_hist_find(&h, 0));
	EXPECT_EQ(NULL, inspect_hist_find(&h, 4));
	EXPECT_NE(NULL, inspect_hist_find(&h, 5));
	EXPECT_NE(NULL, inspect_hist_find(&h, INSPECT_MAX_RANGES + 4));
	inspect_hist_free(&h);
}

TEST(same_plan)
{
	struct plan_move a[2] = {
		{ .range_id = 1, .first_chunk = 0, .nr_chunks = 4,
		  .from_node = 1, .to_node = 0, .reason = POLICY_PROMOTE },
		{ .range_id = 2, .first_chunk = 8, .nr_chunks = 1,
		  .from_node = 0, .to_node = 1, .reason = POLICY_DEMOTE_SWAP },
	}, b[2];

	memcpy(b, a, sizeof(a));
	b[0].done = true;	/* the outcome is not the plan */
	b[1].heat = 12345;	/* nor is the heat */
	EXPECT_TRUE(inspect_same_plan(a, 2, b, 2));
	EXPECT_FALSE(inspect_same_plan(a, 2, b, 1));
	b[1].reason = POLICY_DEMOTE_PRESSURE;
	EXPECT_FALSE(inspect_same_plan(a, 2, b, 2));
	b[1].reason = a[1].reason;
	b[0].to_node = 2;
	EXPECT_FALSE(inspect_same_plan(a, 2, b, 2));
	EXPECT_TRUE(inspect_same_plan(NULL, 0, NULL, 0));
}

/* A decision through inspect: the plan verb, pause, the history. */
TEST(decision_and_pause)
{
	struct admin *ad = admin_new_detached();
	struct cxltier_chunk_heat chunks[4];
	struct obs_range range;
	struct obs_snapshot snap = { 5, 1, &range };
	struct plan_move moves[1] = {
		{ .range_id = 9, .first_chunk = 2, .nr_chunks = 2,
		  .from_node = 1, .to_node = 0, .dir = MOVE_PROMOTE,
		  .reason = POLICY_PROMOTE, .heat = 3 * CXLTIER_HEAT_ONE },
	};
	struct plan_ctx *plan = NULL;
	struct config cfg;
	struct metrics met;
	struct inspect *in = NULL;
	struct inspect_env env;
	const struct inspect_hist_range *h;
	char out[8192];

	log_setup(false, false);
	memset(&cfg, 0, sizeof(cfg));
	cfg.interval_ms = 1000;
	memset(&met, 0, sizeof(met));
	memset(&range, 0, sizeof(range));
	memset(chunks, 0, sizeof(chunks));
	range.info.id = 9;
	range.info.pid = 4242;
	range.info.chunk_size = 1 << 20;
	range.info.length = 4 << 20;
	range.info.nr_chunks = 4;
	snprintf(range.info.label, sizeof(range.info.label), "kv \"cache\"");
	range.chunks = chunks;
	ASSERT_NE(NULL, ad);
	ASSERT_EQ(0, plan_new(&plan));
	env = (struct inspect_env){ "/etc/cxltier/cxltierd.conf", false, &cfg,
				    &met, NULL, plan, NULL };
	ASSERT_EQ(0, inspect_new(&in, &env, ad));

	run_req(ad, &root_peer, "plan", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "\"decided\": false"));

	moves[0].done = true;
	inspect_decision(in, &snap, moves, 1, true, 100, 103);
	h = inspect_hist_find(inspect_history(in), 9);
	ASSERT_NE(NULL, h);
	EXPECT_EQ(INSPECT_DONE, inspect_hist_at(h, 0)->result);
	EXPECT_EQ(4242, inspect_hist_at(h, 0)->pid);
	EXPECT_EQ(2 << 20, inspect_hist_at(h, 0)->bytes);
	run_req(ad, &root_peer, "plan", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "\"label\": \"kv \\\"cache\\\"\""));
	EXPECT_NE(NULL, strstr(out, "\"reason\": \"promote\""));
	EXPECT_NE(NULL, strstr(out, "\"heat\": 3.000"));
	EXPECT_NE(NULL, strstr(out, "\"result\": \"done\""));
	EXPECT_NE(NULL, strstr(out, "\"from_node\": 1, \"to_node\": 0"));
	run_req(ad, &user_peer, "plan", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "permission denied"));

	/* Pause: refused to a user; root's shows in status and metrics. */
	run_req(ad, &user_peer, "pause", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "permission denied"));
	EXPECT_FALSE(inspect_paused(in));
	run_req(ad, &root_peer, "pause", out, sizeof(out));
	EXPECT_STREQ("{\"event\": \"done\", \"result\": \"paused\", \"was\": \"running\"}\n",
		     out);
	EXPECT_TRUE(inspect_paused(in));
	EXPECT_TRUE(met.paused);
	run_req(ad, &root_peer, "agent-status", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "\"paused\": true"));
	EXPECT_NE(NULL, strstr(out, "\"config\": \"/etc/cxltier/cxltierd.conf\""));
	EXPECT_NE(NULL, strstr(out, "\"moves_planned\": 1, \"moves_done\": 1"));

	/* A paused decision: nothing tried, the history says so. */
	moves[0].done = false;
	inspect_decision(in, &snap, moves, 1, false, 1100, 1101);
	h = inspect_hist_find(inspect_history(in), 9);
	EXPECT_EQ(INSPECT_PAUSED, inspect_hist_at(h, 0)->result);
	EXPECT_EQ(INSPECT_DONE, inspect_hist_at(h, 1)->result);
	EXPECT_EQ(1, met.paused_moves);
	run_req(ad, &root_peer, "pause now", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "takes no argument"));
	run_req(ad, &root_peer, "resume", out, sizeof(out));
	EXPECT_STREQ("{\"event\": \"done\", \"result\": \"resumed\", \"was\": \"paused\"}\n",
		     out);
	EXPECT_FALSE(inspect_paused(in));
	EXPECT_FALSE(met.paused);
	run_req(ad, &root_peer, "explain", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "explain takes a buffer"));

	admin_free(ad);
	inspect_free(in);
	plan_free(plan);
}

TEST_HARNESS_MAIN
