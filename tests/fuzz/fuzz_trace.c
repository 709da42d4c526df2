// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-trace: kvreplay's trace reader (tools/kvreplay/trace.c) on
 * mutated Mooncake traces, with small limits so that every one of them
 * is reached.  Every input must give 0 or a documented error, and an
 * accepted trace must be consistent: requests in time order, their
 * blocks inside the access list, every dense id below nr_blocks.
 */
#include <errno.h>

#include "mutate.h"
#include "trace.h"

#define NAME	"fuzz-trace"
#define ROOM	(64 * 1024)

static const char seed_text[] =
	"{\"timestamp\": 0, \"input_length\": 6955, \"output_length\": 52, \"hash_ids\": [46, 47, 48]}\n"
	"{\"timestamp\": 10, \"input_length\": 100, \"output_length\": 1, \"hash_ids\": [46, 49]}\n"
	"{\"timestamp\": 10, \"hash_ids\": []}\n"
	"{\"timestamp\": 27482, \"input_length\": 1, \"hash_ids\": [1, 2, 3, 4, 5, 6, 7, 8, 9], \"x\": {\"y\": [1]}}\n";

static const char *const dict[] = {
	"{", "}", "[", "]", ",", ":", "\"", "\"timestamp\"", "\"hash_ids\"",
	"\"input_length\"", "\"output_length\"", "null", "true", "-1", "1.5", "1e308",
	"99999999999999999999", "9223372036854775807", "9007199254740993",
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "\n", "\r\n", "\\u0000", "\"\\ud800\"",
	"{\"timestamp\": 5, \"hash_ids\": [1, 1, 1]}\n",
	"{\"timestamp\": 1, \"hash_ids\": [0]}\n",
};

static void check(struct fuzz_run *r, const struct kvr_trace *t)
{
	uint64_t last = 0;
	size_t i, sum = 0;

	for (i = 0; i < t->nr_req; i++) {
		const struct kvr_request *q = &t->req[i];

		if (q->t_ms < last)
			fuzz_fail(r, NAME, "request %zu goes back in time", i);
		last = q->t_ms;
		if (q->first != sum || q->first + q->nr > t->nr_access)
			fuzz_fail(r, NAME, "request %zu's blocks are not where they should be", i);
		sum += q->nr;
	}
	if (sum != t->nr_access)
		fuzz_fail(r, NAME, "%zu accesses listed, %zu in requests", t->nr_access, sum);
	for (i = 0; i < t->nr_access; i++)
		if (t->blocks[i] >= t->nr_blocks)
			fuzz_fail(r, NAME, "access %zu names block %u of %u", i, t->blocks[i],
				  t->nr_blocks);
}

static void one(struct fuzz_run *r, char *text, FILE *null)
{
	struct kvr_trace_opts o;
	struct kvr_trace t;
	size_t len = sizeof(seed_text) - 1;
	FILE *f;
	int rc;

	memcpy(text, seed_text, len + 1);
	len = fuzz_mutate(r, text, len, ROOM, dict, sizeof(dict) / sizeof(dict[0]));
	kvr_trace_opts_init(&o);
	o.skip_bad = (int)fuzz_below(r, 2);
	o.max_line = 64 + fuzz_below(r, 4096);
	o.max_req_blocks = 1 + fuzz_below(r, 16);
	o.max_accesses = 1 + fuzz_below(r, 64);
	o.max_blocks = 1 + fuzz_below(r, 32);
	o.max_requests = 1 + fuzz_below(r, 16);
	o.err = null;
	f = fmemopen(text, len ? len : 1, "r");
	if (!f)
		fuzz_fail(r, NAME, "fmemopen: %s", strerror(errno));
	memset(&t, 0, sizeof(t));
	rc = kvr_trace_read(f, "fuzz.jsonl", &o, &t);
	fclose(f);
	if (rc && rc != -EINVAL && rc != -E2BIG)
		fuzz_fail(r, NAME, "unexpected error %d", rc);
	if (!rc)
		check(r, &t);
	kvr_trace_free(&t);
}

int main(int argc, char **argv)
{
	struct fuzz_run r;
	FILE *null;
	char *text;

	if (fuzz_args(&r, argc, argv, 30000))
		return 2;
	text = malloc(ROOM);
	null = fopen("/dev/null", "w");
	if (!text || !null)
		return 2;
	while (fuzz_more(&r))
		one(&r, text, null);
	fclose(null);
	free(text);
	fuzz_pass(&r, NAME, "");
	return 0;
}
