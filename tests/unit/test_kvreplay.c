// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for tools/kvreplay: the trace parser (malformed lines,
 * huge numbers, missing keys, limits), each baseline and the cxltier
 * simulation on tiny traces checked by hand, the JSON report, and the
 * scaling of --real (time, chunk size, DRAM budget, --speed).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "kselftest_harness.h"
#include "model.h"
#include "report.h"
#include "scale.h"
#include "trace.h"

/* Parse @text; messages go to *@msgs (caller frees). */
static int load(const char *text, int skip, struct kvr_trace *t, char **msgs)
{
	struct kvr_trace_opts o;
	size_t len;
	FILE *in, *err;
	int rc;

	kvr_trace_opts_init(&o);
	o.skip_bad = skip;
	o.max_line = 4096;
	o.max_req_blocks = 100;
	err = open_memstream(msgs, &len);
	o.err = err;
	in = fmemopen((void *)text, strlen(text), "r");
	if (!in || !err)
		abort();
	rc = kvr_trace_read(in, "t.jsonl", &o, t);
	fclose(in);
	fclose(err);
	return rc;
}

/* A well-formed trace: requests, dense ids in order of appearance. */
TEST(trace_good)
{
	static const char text[] =
		"{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 7, \"hash_ids\": [10, 11]}\n"
		"\n"
		"  \r\n"
		"{\"hash_ids\": [11, 12, 10], \"timestamp\": 40, \"extra\": {\"ignored\": true}}\r\n"
		"{\"timestamp\": 40, \"hash_ids\": []}\n"
		"{\"timestamp\": 9007199254740992, \"hash_ids\": [9223372036854775806]}";
	struct kvr_trace t;
	char *msgs = NULL;

	ASSERT_EQ(0, load(text, 0, &t, &msgs)) TH_LOG("%s", msgs);
	EXPECT_STREQ("", msgs);
	ASSERT_EQ(4, t.nr_req);
	EXPECT_EQ(6, t.nr_access);
	EXPECT_EQ(4, t.nr_blocks);
	EXPECT_EQ(6, t.nr_lines);
	EXPECT_EQ(0, t.nr_bad);
	EXPECT_EQ(1024, t.input_tokens);
	EXPECT_EQ(7, t.output_tokens);
	EXPECT_EQ(0, t.req[0].t_ms);
	EXPECT_EQ(1, t.req[0].line);
	EXPECT_EQ(40, t.req[1].t_ms);
	EXPECT_EQ(4, t.req[1].line);
	EXPECT_EQ(2, t.req[1].first);
	EXPECT_EQ(3, t.req[1].nr);
	EXPECT_EQ(0, t.req[2].nr);
	EXPECT_EQ(9007199254740992ULL, t.req[3].t_ms);
	/* 10 -> 0, 11 -> 1, 12 -> 2, the big one -> 3 */
	EXPECT_EQ(0, t.blocks[0]);
	EXPECT_EQ(1, t.blocks[1]);
	EXPECT_EQ(1, t.blocks[2]);
	EXPECT_EQ(2, t.blocks[3]);
	EXPECT_EQ(0, t.blocks[4]);
	EXPECT_EQ(3, t.blocks[5]);
	EXPECT_EQ(12, t.hash[2]);
	EXPECT_EQ(9223372036854775806ULL, t.hash[3]);
	kvr_trace_free(&t);
	free(msgs);

	/* Empty input: an empty trace. */
	ASSERT_EQ(0, load("", 0, &t, &msgs));
	EXPECT_EQ(0, t.nr_req);
	kvr_trace_free(&t);
	free(msgs);
}

struct bad_line {
	const char *line;
	const char *msg;	/* after "t.jsonl:2: " */
};

/* Each malformed line is named with its number and why, never misread. */
TEST(trace_malformed)
{
	static const struct bad_line bad[] = {
		{ "not json", "not JSON" },
		{ "{\"timestamp\": 5, \"hash_ids\": [1]} trailing", "not JSON" },
		{ "{\"timestamp\": 5, \"hash_ids\": [1]", "not JSON: unexpected end of data" },
		{ "{\"timestamp\": 5, \"hash_ids\": [1,]}", "not JSON" },
		{ "[1, 2]", "not a JSON object" },
		{ "42", "not a JSON object" },
		{ "{\"hash_ids\": [1]}", "no \"timestamp\"" },
		{ "{\"timestamp\": 5}", "no \"hash_ids\"" },
		{ "{\"timestamp\": \"5\", \"hash_ids\": [1]}", "\"timestamp\" is not an integer" },
		{ "{\"timestamp\": 5.5, \"hash_ids\": [1]}", "\"timestamp\" is not an integer" },
		{ "{\"timestamp\": 1e3, \"hash_ids\": [1]}", "\"timestamp\" is not an integer" },
		{ "{\"timestamp\": null, \"hash_ids\": [1]}", "\"timestamp\" is not an integer" },
		{ "{\"timestamp\": -1, \"hash_ids\": [1]}", "\"timestamp\" is out of range" },
		{ "{\"timestamp\": 99999999999999999999, \"hash_ids\": [1]}", "\"timestamp\" is out of range" },
		{ "{\"timestamp\": 9007199254740993, \"hash_ids\": [1]}", "\"timestamp\" is out of range" },
		{ "{\"timestamp\": 3, \"hash_ids\": [1]}", "timestamp 3 goes back (the previous request is at 5)" },
		{ "{\"timestamp\": 5, \"hash_ids\": 1}", "\"hash_ids\" is not an array" },
		{ "{\"timestamp\": 5, \"hash_ids\": {\"a\": 1}}", "\"hash_ids\" is not an array" },
		{ "{\"timestamp\": 5, \"hash_ids\": [1, \"2\"]}", "hash_ids[1] is not an integer" },
		{ "{\"timestamp\": 5, \"hash_ids\": [1.5]}", "hash_ids[0] is not an integer" },
		{ "{\"timestamp\": 5, \"hash_ids\": [-1]}", "hash_ids[0] is out of range" },
		{ "{\"timestamp\": 5, \"hash_ids\": [18446744073709551615]}", "hash_ids[0] is out of range" },
		{ "{\"timestamp\": 5, \"hash_ids\": [99999999999999999999999]}", "hash_ids[0] is out of range" },
		{ "{\"timestamp\": 5, \"hash_ids\": [9223372036854775807]}", "hash_ids[0] is out of range" },
		{ "{\"timestamp\": 5, \"hash_ids\": [[1]]}", "hash_ids[0] is not an integer" },
		{ "{\"timestamp\": 5, \"hash_ids\": [7, 8, 7]}", "hash_ids: block 7 appears twice" },
		{ "{\"timestamp\": 5, \"input_length\": -3, \"hash_ids\": [1]}", "\"input_length\" is out of range" },
		{ "{\"timestamp\": 5, \"output_length\": \"x\", \"hash_ids\": [1]}", "\"output_length\" is not an integer" },
		{ "{\"timestamp\": 5, \"x\": [[[[[[1]]]]]], \"hash_ids\": [1]}", "not JSON: nesting too deep" },
	};
	char text[8192], want[256], *msgs = NULL;
	struct kvr_trace t;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* A good line, the bad one, a good one. */
		snprintf(text, sizeof(text),
			 "{\"timestamp\": 5, \"hash_ids\": [100, 101]}\n%s\n"
			 "{\"timestamp\": 6, \"hash_ids\": [102, 100]}\n", bad[i].line);
		snprintf(want, sizeof(want), "t.jsonl:2: %s", bad[i].msg);

		/* Fatal: stops there. */
		EXPECT_EQ(-EINVAL, load(text, 0, &t, &msgs)) TH_LOG("%s", bad[i].line);
		EXPECT_EQ(0, strncmp(msgs, want, strlen(want)))
			TH_LOG("case %zu:\n got: %s\nwant: %s", i, msgs, want);
		EXPECT_EQ(1, t.nr_req);
		EXPECT_EQ(1, t.nr_bad);
		kvr_trace_free(&t);
		free(msgs);

		/* Skipped: reported, and it leaves nothing behind. */
		ASSERT_EQ(0, load(text, 1, &t, &msgs)) TH_LOG("%s", bad[i].line);
		EXPECT_EQ(0, strncmp(msgs, want, strlen(want))) TH_LOG("%s", msgs);
		EXPECT_EQ(2, t.nr_req);
		EXPECT_EQ(1, t.nr_bad);
		EXPECT_EQ(3, t.nr_blocks);
		EXPECT_EQ(4, t.nr_access);
		EXPECT_EQ(2, t.blocks[2]);	/* 102: the next dense id */
		EXPECT_EQ(3, t.req[1].line);
		kvr_trace_free(&t);
		free(msgs);
	}
}

/* Over-long lines and NUL bytes are malformed lines, not misread ones. */
TEST(trace_long_line_and_nul)
{
	char *text = malloc(10000), *msgs = NULL;
	struct kvr_trace t;
	size_t n;

	ASSERT_NE(NULL, text);
	n = (size_t)sprintf(text, "{\"timestamp\": 1, \"hash_ids\": [1]}\n{\"timestamp\": 2, \"hash_ids\": [");
	memset(text + n, ' ', 5000);
	strcpy(text + n + 5000, "2]}\n{\"timestamp\": 3, \"hash_ids\": [3]}\n");
	ASSERT_EQ(0, load(text, 1, &t, &msgs));
	EXPECT_NE(NULL, strstr(msgs, "t.jsonl:2: line longer than 4096 bytes")) TH_LOG("%s", msgs);
	EXPECT_EQ(2, t.nr_req);
	EXPECT_EQ(3, t.req[1].line);
	kvr_trace_free(&t);
	free(msgs);

	/* 150 blocks in a request, over the limit of 100. */
	n = (size_t)sprintf(text, "{\"timestamp\": 1, \"hash_ids\": [0");
	for (int i = 1; i < 150; i++)
		n += (size_t)sprintf(text + n, ",%d", i);
	strcpy(text + n, "]}\n");
	EXPECT_EQ(-EINVAL, load(text, 0, &t, &msgs));
	EXPECT_NE(NULL, strstr(msgs, "t.jsonl:1: 150 blocks in one request, more than the limit of 100"))
		TH_LOG("%s", msgs);
	kvr_trace_free(&t);
	free(msgs);
	free(text);

	{
		static const char nul[] = "{\"timestamp\": 1, \"hash_ids\": [1]}\n{\"timestamp\"\0: 2}\n";
		struct kvr_trace_opts o;
		FILE *in, *err;
		size_t len;

		kvr_trace_opts_init(&o);
		err = open_memstream(&msgs, &len);
		o.err = err;
		in = fmemopen((void *)nul, sizeof(nul) - 1, "r");
		ASSERT_EQ(-EINVAL, kvr_trace_read(in, "t.jsonl", &o, &t));
		fclose(in);
		fclose(err);
		EXPECT_NE(NULL, strstr(msgs, "t.jsonl:2: NUL byte")) TH_LOG("%s", msgs);
		kvr_trace_free(&t);
		free(msgs);
	}
}

/* Trace-wide limits stop the load even when bad lines are skipped. */
TEST(trace_limits)
{
	static const char text[] =
		"{\"timestamp\": 1, \"hash_ids\": [1, 2]}\n"
		"{\"timestamp\": 2, \"hash_ids\": [2, 3]}\n"
		"{\"timestamp\": 3, \"hash_ids\": [3, 4]}\n";
	struct kvr_trace_opts o;
	struct kvr_trace t;
	char *msgs = NULL;
	size_t len;
	FILE *in, *err;
	int which;

	for (which = 0; which < 3; which++) {
		kvr_trace_opts_init(&o);
		o.skip_bad = 1;
		if (which == 0)
			o.max_accesses = 5;
		else if (which == 1)
			o.max_blocks = 3;
		else
			o.max_requests = 2;
		err = open_memstream(&msgs, &len);
		o.err = err;
		in = fmemopen((void *)text, strlen(text), "r");
		EXPECT_EQ(-E2BIG, kvr_trace_read(in, "t.jsonl", &o, &t));
		fclose(in);
		fclose(err);
		EXPECT_EQ(0, strncmp(msgs, "t.jsonl:3: more than ", 21)) TH_LOG("%s", msgs);
		EXPECT_EQ(2, t.nr_req);
		kvr_trace_free(&t);
		free(msgs);
	}
}

/*
 * The hand-checked trace (block ids as in the file):
 *	t=0 [1,2]  t=1 [1,3]  t=2 [1,2]  t=3 [4,1]  t=4 [2,3]
 * 10 accesses, 4 first accesses; counts 1:4 2:3 3:2 4:1; DRAM 2 blocks.
 */
static const char tiny[] =
	"{\"timestamp\": 0, \"hash_ids\": [1, 2]}\n"
	"{\"timestamp\": 1, \"hash_ids\": [1, 3]}\n"
	"{\"timestamp\": 2, \"hash_ids\": [1, 2]}\n"
	"{\"timestamp\": 3, \"hash_ids\": [4, 1]}\n"
	"{\"timestamp\": 4, \"hash_ids\": [2, 3]}\n";

static void params(struct kvr_params *p, uint32_t dram)
{
	memset(p, 0, sizeof(*p));
	p->dram_blocks = dram;
	p->block_bytes = 2 << 20;
	p->dram_GBps = 100;
	p->far_GBps = 10;
	p->device_weight = 1;
	config_init(&p->cfg);
}

/* static: blocks 1 and 2 were created first and stay; 1 and 2 hit after. */
TEST(baseline_static)
{
	struct kvr_params p;
	struct kvr_result r = { 0 };
	struct kvr_trace t;
	char *msgs;

	ASSERT_EQ(0, load(tiny, 0, &t, &msgs));
	params(&p, 2);
	ASSERT_EQ(0, kvr_run_static(&t, &p, &r));
	EXPECT_EQ(10, r.accesses);
	EXPECT_EQ(4, r.first_accesses);
	EXPECT_EQ(5, r.dram_hits);
	EXPECT_EQ(5, r.reuse_hits);
	EXPECT_EQ(0, r.migrated_bytes);
	/* 5 blocks from DRAM at 100 GB/s, 5 from far at 10 GB/s. */
	EXPECT_GT(1e-9, r.read_s - (5.0 * (2 << 20) / 100e9 + 5.0 * (2 << 20) / 10e9));
	kvr_trace_free(&t);
	free(msgs);
}

/*
 * lru, DRAM [most recent first]:
 *	1 [1]  2 [2 1]  1 hit [1 2]  3 [3 1] -2  1 hit [1 3]
 *	2 +2 -3 [2 1]  4 [4 2] -1  1 +1 -2 [1 4]  2 +2 -4 [2 1]  3 +3 -1 [3 2]
 */
TEST(baseline_lru)
{
	struct kvr_params p;
	struct kvr_result r = { 0 };
	struct kvr_trace t;
	char *msgs;

	ASSERT_EQ(0, load(tiny, 0, &t, &msgs));
	params(&p, 2);
	ASSERT_EQ(0, kvr_run_lru(&t, &p, &r));
	EXPECT_EQ(2, r.dram_hits);
	EXPECT_EQ(4, r.promoted);
	EXPECT_EQ(6, r.demoted);
	EXPECT_EQ(10ULL * (2 << 20), r.migrated_bytes);
	EXPECT_GT(1e-9, r.transfer_s - 10.0 * (2 << 20) / 10e9);
	/* No DRAM: no hit, no move. */
	memset(&r, 0, sizeof(r));
	params(&p, 0);
	ASSERT_EQ(0, kvr_run_lru(&t, &p, &r));
	EXPECT_EQ(0, r.dram_hits);
	EXPECT_EQ(0, r.migrated_bytes);
	/* DRAM for everything: every access but the first ones hits. */
	memset(&r, 0, sizeof(r));
	params(&p, 4);
	ASSERT_EQ(0, kvr_run_lru(&t, &p, &r));
	EXPECT_EQ(6, r.dram_hits);
	EXPECT_EQ(0, r.migrated_bytes);
	kvr_trace_free(&t);
	free(msgs);
}

/*
 * oracle-static: the most re-read blocks, 1 (3 re-reads) and 2 (2), in
 * DRAM from the start; their creating writes miss like everyone's.
 */
TEST(baseline_oracle_static)
{
	struct kvr_params p;
	struct kvr_result r = { 0 };
	struct kvr_trace t;
	char *msgs;

	ASSERT_EQ(0, load(tiny, 0, &t, &msgs));
	params(&p, 2);
	ASSERT_EQ(0, kvr_run_oracle_static(&t, &p, &r));
	EXPECT_EQ(5, r.dram_hits);
	EXPECT_EQ(5, r.reuse_hits);
	EXPECT_EQ(4, r.first_accesses);
	EXPECT_EQ(0, r.migrated_bytes);
	/* One block: 1 (3 re-reads).  Three: 1, 2, 3 (6, which is OPT). */
	memset(&r, 0, sizeof(r));
	params(&p, 1);
	ASSERT_EQ(0, kvr_run_oracle_static(&t, &p, &r));
	EXPECT_EQ(3, r.dram_hits);
	memset(&r, 0, sizeof(r));
	params(&p, 3);
	ASSERT_EQ(0, kvr_run_oracle_static(&t, &p, &r));
	EXPECT_EQ(6, r.dram_hits);
	EXPECT_EQ(r.accesses - r.first_accesses, r.dram_hits);
	/* Four: block 4 is never re-read, and takes no place it could use. */
	memset(&r, 0, sizeof(r));
	params(&p, 4);
	ASSERT_EQ(0, kvr_run_oracle_static(&t, &p, &r));
	EXPECT_EQ(6, r.dram_hits);
	memset(&r, 0, sizeof(r));
	params(&p, 0);
	ASSERT_EQ(0, kvr_run_oracle_static(&t, &p, &r));
	EXPECT_EQ(0, r.dram_hits);
	kvr_trace_free(&t);
	free(msgs);
}

/*
 * belady, DRAM 2, next uses in []: 1[2] 2[5] 1 hit 3[9] bypassed
 * 1 hit 2 hit 4[never] bypassed 1 hit 2 hit 3: 5 hits.
 * DRAM 1: 1 1hit 1hit 1hit = 3 (2 and 3 never displace 1).
 */
TEST(baseline_belady)
{
	struct kvr_params p;
	struct kvr_result r = { 0 };
	struct kvr_trace t;
	char *msgs;

	ASSERT_EQ(0, load(tiny, 0, &t, &msgs));
	params(&p, 2);
	ASSERT_EQ(0, kvr_run_belady(&t, &p, &r));
	EXPECT_EQ(5, r.dram_hits);
	EXPECT_EQ(4, r.first_accesses);
	memset(&r, 0, sizeof(r));
	params(&p, 1);
	ASSERT_EQ(0, kvr_run_belady(&t, &p, &r));
	EXPECT_EQ(3, r.dram_hits);
	EXPECT_EQ(0, r.promoted);
	memset(&r, 0, sizeof(r));
	params(&p, 4);
	ASSERT_EQ(0, kvr_run_belady(&t, &p, &r));
	EXPECT_EQ(6, r.dram_hits);
	memset(&r, 0, sizeof(r));
	params(&p, 0);
	ASSERT_EQ(0, kvr_run_belady(&t, &p, &r));
	EXPECT_EQ(0, r.dram_hits);
	kvr_trace_free(&t);
	free(msgs);
}

/*
 * Belady bounds every placement that moves a block in when it is accessed
 * (static, lru) on random traces.  (A placement that moves blocks ahead
 * of their access, as cxltier does between decisions, is not bound by it.)
 */
TEST(belady_bounds_the_rest)
{
	char text[65536];
	uint64_t seed = 5;
	int round;

	for (round = 0; round < 30; round++) {
		struct kvr_result rs[3];
		kvr_backend_fn fn[3] = { kvr_run_static, kvr_run_lru, kvr_run_belady };
		struct kvr_params p;
		struct kvr_trace t;
		char *msgs;
		size_t n = 0;
		int i, j;

		for (i = 0; i < 300; i++) {
			int k = 1 + (int)(seed % 5), used[64] = { 0 };

			n += (size_t)sprintf(text + n, "{\"timestamp\": %d, \"hash_ids\": [", i * 300);
			for (j = 0; j < k; j++) {
				int b;

				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				b = (int)((seed >> 33) % (unsigned int)(8 + round));
				if (used[b])
					continue;
				used[b] = 1;
				n += (size_t)sprintf(text + n, "%s%d", n && text[n - 1] != '[' ? "," : "", b);
			}
			n += (size_t)sprintf(text + n, "]}\n");
		}
		ASSERT_EQ(0, load(text, 0, &t, &msgs)) TH_LOG("%s", msgs);
		params(&p, 1 + (uint32_t)round % 6);
		for (i = 0; i < 3; i++) {
			memset(&rs[i], 0, sizeof(rs[i]));
			ASSERT_EQ(0, fn[i](&t, &p, &rs[i]));
		}
		for (i = 0; i < 2; i++)
			EXPECT_LE(rs[i].dram_hits, rs[2].dram_hits) TH_LOG("round %d policy %d", round, i);
		EXPECT_LT(0, rs[2].dram_hits);
		kvr_trace_free(&t);
		free(msgs);
	}
}

/*
 * cxltier, DRAM 1 block, epoch = interval = 1 s, no rate limit:
 *	t=0     A, B created: A in DRAM (room), B far
 *	t=500   B: miss, reported
 *	t=1000  epoch: heat(B) = 1; decision: B swaps in for A (heat 0)
 *	t=1500  B: hit
 *	t=1600  A: miss (and not promoted before the trace ends)
 *	t=1700  B: hit
 * Without the swap, only A's access at 1600 would hit.
 */
TEST(cxltier_sim_by_hand)
{
	static const char text[] =
		"{\"timestamp\": 0, \"hash_ids\": [1, 2]}\n"
		"{\"timestamp\": 500, \"hash_ids\": [2]}\n"
		"{\"timestamp\": 1500, \"hash_ids\": [2]}\n"
		"{\"timestamp\": 1600, \"hash_ids\": [1]}\n"
		"{\"timestamp\": 1700, \"hash_ids\": [2]}\n";
	struct kvr_params p;
	struct kvr_result r = { 0 };
	struct kvr_trace t;
	char *msgs;

	ASSERT_EQ(0, load(text, 0, &t, &msgs));
	params(&p, 1);
	p.cfg.rate_limit_Bps = 0;
	p.cfg.hysteresis_bp = 0;
	p.cfg.min_residency_ms = 0;
	p.cfg.promote_min_heat = 0;
	p.cfg.half_life_ms = 1000;
	p.cfg.high_watermark_bp = p.cfg.low_watermark_bp = CONFIG_BP_ONE;
	ASSERT_EQ(0, kvr_run_cxltier(&t, &p, &r));
	EXPECT_EQ(6, r.accesses);
	EXPECT_EQ(2, r.first_accesses);
	EXPECT_EQ(2, r.dram_hits);
	EXPECT_EQ(1, r.decisions);
	EXPECT_EQ(1, r.promoted);
	EXPECT_EQ(1, r.demoted);
	EXPECT_EQ(2ULL * (2 << 20), r.migrated_bytes);

	/* A rate limit below one swap per interval: nothing moves in time. */
	memset(&r, 0, sizeof(r));
	p.cfg.rate_limit_Bps = 1 << 20;
	ASSERT_EQ(0, kvr_run_cxltier(&t, &p, &r));
	EXPECT_EQ(1, r.dram_hits);
	EXPECT_EQ(0, r.migrated_bytes);
	EXPECT_EQ(2ULL << 20, r.deferred_bytes);

	/* Writes reported too: A's heat is 1, B's 2: B still swaps in. */
	memset(&r, 0, sizeof(r));
	p.cfg.rate_limit_Bps = 0;
	p.report_writes = 1;
	ASSERT_EQ(0, kvr_run_cxltier(&t, &p, &r));
	EXPECT_EQ(2, r.dram_hits);	/* B's heat 2 > A's 1: swapped */
	p.report_writes = 0;

	/* promote_min_heat above one access: B never comes in. */
	memset(&r, 0, sizeof(r));
	p.cfg.promote_min_heat = 2 << 16;
	ASSERT_EQ(0, kvr_run_cxltier(&t, &p, &r));
	EXPECT_EQ(1, r.dram_hits);
	EXPECT_EQ(0, r.migrated_bytes);
	kvr_trace_free(&t);
	free(msgs);
}

/* The heat log: a regular grid of "sample chunk heat tier" lines. */
TEST(heat_log)
{
	static const char text[] =
		"{\"timestamp\": 0, \"hash_ids\": [1, 2]}\n"
		"{\"timestamp\": 500, \"hash_ids\": [2]}\n"
		"{\"timestamp\": 2500, \"hash_ids\": [3]}\n"
		"{\"timestamp\": 3500, \"hash_ids\": [2]}\n";
	struct kvr_params p;
	struct kvr_result r = { 0 };
	struct kvr_trace t;
	char *msgs, *log = NULL;
	size_t len;

	ASSERT_EQ(0, load(text, 0, &t, &msgs));
	params(&p, 1);
	p.cfg.rate_limit_Bps = 0;
	p.cfg.hysteresis_bp = 0;
	p.cfg.min_residency_ms = 0;
	p.cfg.promote_min_heat = 0;
	p.cfg.half_life_ms = 1000;
	p.cfg.high_watermark_bp = p.cfg.low_watermark_bp = CONFIG_BP_ONE;
	p.heat_log = open_memstream(&log, &len);
	p.heat_log_every = 2;
	p.heat_log_chunks = 10;
	ASSERT_EQ(0, kvr_run_cxltier(&t, &p, &r));
	fclose(p.heat_log);
	EXPECT_EQ(3, r.decisions);
	/* Decisions at 1, 2, 3 s: samples 0 (after the first) and 1 (third). */
	EXPECT_NE(NULL, strstr(log, "# sample chunk heat tier\n"
				    "0 0 0.000 1\n0 1 1.000 0\n0 2 0.000 -1\n\n"
				    "1 0 0.000 1\n1 1 0.250 0\n1 2 0.000 1\n\n"))
		TH_LOG("%s", log);
	free(log);
	kvr_trace_free(&t);
	free(msgs);
}

/* The JSON report has the documented keys, cxltier's extras only for it. */
TEST(report_json)
{
	struct kvr_params p;
	struct kvr_result r[2], bel, lru;
	struct json_object *arr = json_object_new_array(), *o, *v;

	params(&p, 10);
	p.dram_fraction = 0.1;
	memset(r, 0, sizeof(r));
	memset(&bel, 0, sizeof(bel));
	memset(&lru, 0, sizeof(lru));
	strcpy(r[0].policy, "lru");
	r[0].accesses = 100;
	r[0].first_accesses = 20;
	r[0].dram_hits = 30;
	r[0].reuse_hits = 30;
	strcpy(r[1].policy, "cxltier");
	r[1].accesses = 100;
	r[1].dram_hits = 40;
	r[1].decisions = 7;
	bel.accesses = 100;
	bel.dram_hits = 80;
	lru.dram_hits = 30;
	kvr_report_json(arr, &p, r, 2, &bel, &lru);
	ASSERT_EQ(2, json_object_array_length(arr));
	o = json_object_array_get_idx(arr, 0);
	ASSERT_TRUE(json_object_object_get_ex(o, "policy", &v));
	EXPECT_STREQ("lru", json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "dram_hit_ratio", &v));
	EXPECT_EQ(0.3, json_object_get_double(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "ratio_to_reactive_ceiling", &v));
	EXPECT_EQ(0.375, json_object_get_double(v));
	/* OPT: 80 of the 100 accesses are re-reads. */
	ASSERT_TRUE(json_object_object_get_ex(o, "opt_hit_ratio", &v));
	EXPECT_EQ(0.8, json_object_get_double(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "ratio_to_opt", &v));
	EXPECT_EQ(0.375, json_object_get_double(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "reactive_ceiling_hit_ratio", &v));
	EXPECT_EQ(0.8, json_object_get_double(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "reuse_hit_ratio", &v));
	EXPECT_EQ(0.375, json_object_get_double(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "migrated_bytes", &v));
	ASSERT_TRUE(json_object_object_get_ex(o, "transfer_time_s", &v));
	ASSERT_TRUE(json_object_object_get_ex(o, "block_bytes", &v));
	EXPECT_EQ(2 << 20, json_object_get_int64(v));
	EXPECT_FALSE(json_object_object_get_ex(o, "decisions", &v));
	o = json_object_array_get_idx(arr, 1);
	ASSERT_TRUE(json_object_object_get_ex(o, "ratio_to_lru", &v));
	EXPECT_GT(1e-9, fabs(json_object_get_double(v) - 40.0 / 30));
	EXPECT_TRUE(json_object_object_get_ex(o, "decisions", &v));
	EXPECT_TRUE(json_object_object_get_ex(o, "deferred_bytes", &v));
	json_object_put(arr);
}

/* --real: every duration divided by the speed, the rate limit scaled. */
TEST(scale_config)
{
	struct config in, out;
	char err[256] = "";

	config_init(&in);
	/* The daemon's defaults at 10x with 64 KiB chunks. */
	in.rate_limit_Bps = kvr_rate_for_blocks(in.rate_limit_Bps, 64 << 10);
	EXPECT_EQ(8ULL << 20, in.rate_limit_Bps);
	ASSERT_EQ(0, kvr_scale_config(&in, 10, KVR_REF_CHUNK, &out, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(100, out.interval_ms);
	EXPECT_EQ(100, out.epoch_ms);
	EXPECT_EQ(3000, out.half_life_ms);
	EXPECT_EQ(1000, out.min_residency_ms);
	EXPECT_EQ(500, out.min_far_residency_ms);
	EXPECT_EQ(80ULL << 20, out.rate_limit_Bps);
	/* What is not time stays. */
	EXPECT_EQ(in.hysteresis_bp, out.hysteresis_bp);
	EXPECT_EQ(in.promote_min_heat, out.promote_min_heat);
	EXPECT_EQ(in.high_watermark_bp, out.high_watermark_bp);
	/* Speed 1 changes nothing. */
	ASSERT_EQ(0, kvr_scale_config(&in, 1, KVR_REF_CHUNK, &out, err, sizeof(err)));
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));
	/* Unlimited stays unlimited. */
	in.rate_limit_Bps = 0;
	ASSERT_EQ(0, kvr_scale_config(&in, 10, 64 << 10, &out, err, sizeof(err)));
	EXPECT_EQ(0, out.rate_limit_Bps);
	/* Inexact or too short: refused, with the key named. */
	EXPECT_EQ(-EINVAL, kvr_scale_config(&in, 3, KVR_REF_CHUNK, &out, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "interval 1000ms is not a whole number")) TH_LOG("%s", err);
	EXPECT_EQ(-EINVAL, kvr_scale_config(&in, 200, KVR_REF_CHUNK, &out, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "under the 10ms")) TH_LOG("%s", err);
	in.half_life_ms = 30001;
	EXPECT_EQ(-EINVAL, kvr_scale_config(&in, 10, KVR_REF_CHUNK, &out, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "half_life 30001ms")) TH_LOG("%s", err);
	EXPECT_EQ(-EINVAL, kvr_scale_config(&in, 0, KVR_REF_CHUNK, &out, err, sizeof(err)));
	EXPECT_EQ(-EINVAL, kvr_scale_config(&in, KVR_MAX_SPEED + 1, KVR_REF_CHUNK, &out, err,
					    sizeof(err)));
	/* A huge rate does not wrap. */
	config_init(&in);
	in.rate_limit_Bps = UINT64_MAX / 2;
	EXPECT_EQ(-EINVAL, kvr_scale_config(&in, 10, KVR_REF_CHUNK, &out, err, sizeof(err)));
}

TEST(rate_for_blocks)
{
	EXPECT_EQ(0, kvr_rate_for_blocks(0, 64 << 10));
	EXPECT_EQ(256ULL << 20, kvr_rate_for_blocks(256ULL << 20, KVR_REF_CHUNK));
	EXPECT_EQ(1, kvr_rate_for_blocks(1, 64 << 10));
	EXPECT_EQ(UINT64_MAX, kvr_rate_for_blocks(UINT64_MAX, 1ULL << 30));
}

/* The budget dram_share can express: never fewer blocks than wanted. */
TEST(dram_budget)
{
	uint64_t blocks;
	uint32_t bp;

	/* 303 blocks of 64 KiB in 1 GiB: 1.85%, which holds 303. */
	ASSERT_EQ(0, kvr_dram_budget(1ULL << 30, 303, 64 << 10, &bp, &blocks));
	EXPECT_EQ(185, bp);
	EXPECT_EQ(303, blocks);
	/* Exact shares stay exact. */
	ASSERT_EQ(0, kvr_dram_budget(100 * (64 << 10), 3, 64 << 10, &bp, &blocks));
	EXPECT_EQ(300, bp);
	EXPECT_EQ(3, blocks);
	/* 0.01% of 10 GiB is 16 blocks: the budget rounds up to that. */
	ASSERT_EQ(0, kvr_dram_budget(10ULL << 30, 1, 64 << 10, &bp, &blocks));
	EXPECT_EQ(1, bp);
	EXPECT_EQ(16, blocks);
	/* Nothing, and everything. */
	ASSERT_EQ(0, kvr_dram_budget(1ULL << 30, 0, 64 << 10, &bp, &blocks));
	EXPECT_EQ(0, bp);
	EXPECT_EQ(0, blocks);
	ASSERT_EQ(0, kvr_dram_budget(1ULL << 30, 16384, 64 << 10, &bp, &blocks));
	EXPECT_EQ(CONFIG_BP_ONE, bp);
	EXPECT_EQ(16384, blocks);
	EXPECT_EQ(-ERANGE, kvr_dram_budget(1ULL << 30, 16385, 64 << 10, &bp, &blocks));
	EXPECT_EQ(-ERANGE, kvr_dram_budget(1ULL << 30, UINT64_MAX, 64 << 10, &bp, &blocks));
	EXPECT_EQ(-EINVAL, kvr_dram_budget(0, 1, 64 << 10, &bp, &blocks));
	EXPECT_EQ(-EINVAL, kvr_dram_budget(1ULL << 30, 1, 0, &bp, &blocks));
}

TEST(parse_speed)
{
	static const char *const bad[] = {
		"", "0", "-1", "1.5", "10x", "x", "1001", "99999999999999999999", " 5",
	};
	uint32_t v = 0;
	size_t i;

	EXPECT_EQ(0, kvr_parse_speed("1", &v));
	EXPECT_EQ(1, v);
	EXPECT_EQ(0, kvr_parse_speed("1000", &v));
	EXPECT_EQ(1000, v);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		EXPECT_EQ(-EINVAL, kvr_parse_speed(bad[i], &v)) TH_LOG("'%s'", bad[i]);
		EXPECT_EQ(7, v);
	}
	EXPECT_EQ(-EINVAL, kvr_parse_speed(NULL, &v));
}

/*
 * cxltier+hints: DRAM 1 block, held by block 1; block 2 is created in
 * far memory and read again at 5 s.  The policy alone never promotes
 * (promote_min_heat out of reach): a miss.  A hint 10 ms ahead at
 * 10 GiB/s copies it in 0.2 ms: a hit, block 1 the victim.  At 100 MiB/s
 * the copy takes 20 ms: a late hint, a miss.
 */
TEST(sim_hints)
{
	static const char text[] =
		"{\"timestamp\": 0, \"hash_ids\": [1, 2]}\n"
		"{\"timestamp\": 5000, \"hash_ids\": [2]}\n";
	struct kvr_params p;
	struct kvr_result r;
	struct kvr_trace t;
	char *msgs;

	ASSERT_EQ(0, load(text, 0, &t, &msgs));
	params(&p, 1);
	p.cfg.high_watermark_bp = p.cfg.low_watermark_bp = CONFIG_BP_ONE;
	p.cfg.promote_min_heat = 1000ULL << 16;
	p.hint_lead_ms = 10;
	p.hint_Bps = 10ULL << 30;
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, kvr_run_cxltier(&t, &p, &r));
	EXPECT_EQ(0, r.dram_hits);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, kvr_run_cxltier_hints(&t, &p, &r));
	EXPECT_EQ(1, r.dram_hits);
	EXPECT_EQ(1, r.hint_promoted);
	EXPECT_EQ(1, r.demoted);
	EXPECT_EQ(0, r.hint_late);
	p.hint_Bps = 100ULL << 20;
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, kvr_run_cxltier_hints(&t, &p, &r));
	EXPECT_EQ(0, r.dram_hits);
	EXPECT_EQ(1, r.hint_late);
	/* No bandwidth for hints: refused. */
	p.hint_Bps = 0;
	memset(&r, 0, sizeof(r));
	EXPECT_EQ(-EINVAL, kvr_run_cxltier_hints(&t, &p, &r));
	/* The adaptive heat runs the same trace. */
	p.hint_Bps = 10ULL << 30;
	p.nr_adapt = 2;
	p.adapt[0] = (struct policy_adapt_setting){ 5000, 250, 0 };
	p.adapt[1] = (struct policy_adapt_setting){ 60000, 1000, 1 };
	p.adapt_window_ms = 60000;
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, kvr_run_cxltier_hints(&t, &p, &r));
	EXPECT_EQ(1, r.dram_hits);
	kvr_trace_free(&t);
	free(msgs);
}

/* A generated trace as text. */
static char *gen_text(const char *family, const struct kvr_gen_params *gp, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	*rc = kvr_generate(family, gp, f);
	fclose(f);
	return buf;
}

/*
 * Every family: the same seed writes the same trace, another seed
 * another one; the trace reads back with no bad line, about the asked
 * number of requests, in time order, and blocks that are re-read.
 */
TEST(generate_families)
{
	const char *const *fam;

	for (fam = kvr_gen_families; *fam; fam++) {
		struct kvr_gen_params gp = { .seed = 7, .requests = 300, .duration_s = 100 };
		struct kvr_trace_opts o;
		struct kvr_trace t;
		char *a, *b, *c;
		FILE *in;
		size_t i;
		int rc;

		a = gen_text(*fam, &gp, &rc);
		ASSERT_EQ(0, rc) TH_LOG("%s", *fam);
		b = gen_text(*fam, &gp, &rc);
		EXPECT_STREQ(a, b) TH_LOG("%s: not deterministic", *fam);
		gp.seed = 8;
		c = gen_text(*fam, &gp, &rc);
		EXPECT_NE(0, strcmp(a, c)) TH_LOG("%s: the seed changes nothing", *fam);
		kvr_trace_opts_init(&o);
		in = fmemopen(a, strlen(a), "r");
		ASSERT_NE(NULL, in);
		ASSERT_EQ(0, kvr_trace_read(in, "gen.jsonl", &o, &t)) TH_LOG("%s", *fam);
		fclose(in);
		EXPECT_EQ(0, t.nr_bad);
		EXPECT_LE(300, t.nr_req) TH_LOG("%s", *fam);
		EXPECT_GT(300 + 300, t.nr_req) TH_LOG("%s", *fam);
		for (i = 1; i < t.nr_req; i++)
			ASSERT_LE(t.req[i - 1].t_ms, t.req[i].t_ms) TH_LOG("%s", *fam);
		EXPECT_LT(t.nr_blocks, t.nr_access) TH_LOG("%s: nothing re-read", *fam);
		kvr_trace_free(&t);
		free(a);
		free(b);
		free(c);
	}
}

/* chat: a session's next turn reads its whole previous prompt first. */
TEST(generate_chat_grows)
{
	struct kvr_gen_params gp = { .seed = 3, .requests = 1, .turns = 1000, .think_s = 1 };
	struct kvr_trace_opts o;
	struct kvr_trace t;
	size_t i, j;
	FILE *in;
	char *a;
	int rc;

	/* One session (the count is reached by its first turn). */
	a = gen_text("chat", &gp, &rc);
	ASSERT_EQ(0, rc);
	kvr_trace_opts_init(&o);
	in = fmemopen(a, strlen(a), "r");
	ASSERT_NE(NULL, in);
	ASSERT_EQ(0, kvr_trace_read(in, "gen.jsonl", &o, &t));
	fclose(in);
	ASSERT_LT(2, t.nr_req);
	for (i = 1; i < t.nr_req; i++) {
		const struct kvr_request *p = &t.req[i - 1], *q = &t.req[i];

		ASSERT_LT(p->nr, q->nr + (q->nr == 128));
		for (j = 0; j < p->nr; j++)
			ASSERT_EQ(t.blocks[p->first + j], t.blocks[q->first + j]);
	}
	kvr_trace_free(&t);
	free(a);
}

/* Bad families and parameters are refused. */
TEST(generate_bad)
{
	struct kvr_gen_params gp = { .seed = 1 };
	char *a;
	int rc;

	a = gen_text("nope", &gp, &rc);
	EXPECT_EQ(-EINVAL, rc);
	free(a);
	gp.prefixes = 2;
	gp.phases = 3;
	a = gen_text("shift", &gp, &rc);
	EXPECT_EQ(-EINVAL, rc);
	free(a);
	gp.prefixes = 0;
	gp.phases = 0;
	gp.prefix_blocks = 1000;
	a = gen_text("shared", &gp, &rc);
	EXPECT_EQ(-EINVAL, rc);
	free(a);
}

TEST_HARNESS_MAIN
