// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench migrate: what moving memory from one node to another
 * costs, as ratios to memcpy of the same bytes between the same nodes,
 * all measured in one run (absolute times in an emulated guest mean
 * little):
 *
 *   memcpy        a buffer on --from copied to one on --to
 *   move_pages    an unpinned buffer moved from --from to --to with
 *                 move_pages(2), 1024 pages a call and a read-back (what
 *                 cxltierd does with an unregistered range)
 *   pinned cycle  a buffer pinned through the fake accelerator and
 *                 registered with libcxltier, moved chunk by chunk by a
 *                 private cxltierd: release, move_pages(2), read-back,
 *                 re-pin and four frames on the socket per chunk
 *
 * Each figure is the best of --runs passes in the same direction (the
 * buffer goes back, untimed, between passes).
 */
#include <errno.h>
#include <getopt.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <json-c/json.h>

#include "bench.h"
#include "clock.h"
#include "libcxltier.h"

#define MG_BATCH 1024

/**
 * struct mg_opts - the command line
 * @size: bytes moved per pass
 * @chunk: bytes per handshake (the chunk size)
 * @from: source node
 * @to: target node, -1: the highest-numbered other node with memory
 * @runs: passes per figure
 * @json: print JSON
 */
struct mg_opts {
	size_t size;
	size_t chunk;
	int from;
	int to;
	unsigned int runs;
	int json;
};

/* @len bytes at a 2 MiB boundary, placed on @node and written. */
static void *mg_buffer(size_t len, int node)
{
	unsigned long mask[16] = { 0 };
	char *p;
	size_t i;

	p = mmap(NULL, len + (2 << 20), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)p + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
	mask[node / (8 * sizeof(long))] |= 1UL << (node % (8 * sizeof(long)));
	if (mbind(p, len, MPOL_BIND, mask, sizeof(mask) * 8, 0))
		return NULL;
	for (i = 0; i < len; i += 4096)
		p[i] = (char)i;
	/* Placed: migrations must not be bound by the policy. */
	if (mbind(p, len, MPOL_DEFAULT, NULL, 0, 0))
		return NULL;
	return p;
}

/*
 * Move [p, p + len) of this process to @node as the executor does: a
 * batch, then a read-back (one sub-page per THP may say -EBUSY although
 * its folio moved); a page left behind (busy for a moment, or awaiting a
 * NUMA hinting fault, which 6.1 reports -EFAULT) is touched and asked
 * again once.  Returns the pages on @node, or -errno.
 */
static long mg_move_pages(char *p, size_t len, int node)
{
	static void *pages[MG_BATCH];
	static int nodes[MG_BATCH], status[MG_BATCH];
	size_t n = len / 4096, done, k, i;
	long there = 0;
	int again, left;

	for (done = 0; done < n; done += k) {
		k = n - done < MG_BATCH ? n - done : MG_BATCH;
		for (i = 0; i < k; i++) {
			pages[i] = p + (done + i) * 4096;
			nodes[i] = node;
		}
		for (again = 0; again < 2; again++) {
			if (move_pages(0, k, pages, nodes, status,
				       MPOL_MF_MOVE) < 0 ||
			    move_pages(0, k, pages, NULL, status, 0) < 0)
				return -errno;
			for (i = 0, left = 0; i < k; i++)
				if (status[i] != node) {
					(void)*(volatile char *)pages[i];
					left++;
				}
			if (!left)
				break;
		}
		for (i = 0; i < k; i++)
			there += status[i] == node;
	}
	return there;
}

/* Pages of [p, p + len) on @node now. */
static long mg_pages_on(char *p, size_t len, int node)
{
	static void *pages[MG_BATCH];
	static int status[MG_BATCH];
	size_t n = len / 4096, done, k, i;
	long there = 0;

	for (done = 0; done < n; done += k) {
		k = n - done < MG_BATCH ? n - done : MG_BATCH;
		for (i = 0; i < k; i++)
			pages[i] = p + (done + i) * 4096;
		if (move_pages(0, k, pages, NULL, status, 0) < 0)
			return -errno;
		for (i = 0; i < k; i++)
			there += status[i] == node;
	}
	return there;
}

/* Best memcpy time of @runs. */
static uint64_t mg_memcpy(const struct mg_opts *o)
{
	char *src = mg_buffer(o->size, o->from), *dst = mg_buffer(o->size, o->to);
	uint64_t best = UINT64_MAX, t0, t;
	unsigned int r;

	if (!src || !dst)
		return 0;
	for (r = 0; r < o->runs; r++) {
		t0 = clock_now_ns();
		memcpy(dst, src, o->size);
		t = clock_now_ns() - t0;
		if (t < best)
			best = t;
	}
	if (mg_pages_on(dst, o->size, o->to) != (long)(o->size / 4096))
		fprintf(stderr, "cxltier-bench: memcpy target not all on node %d\n",
			o->to);
	return best;
}

static uint64_t mg_unpinned(const struct mg_opts *o)
{
	char *p = mg_buffer(o->size, o->from);
	uint64_t best = UINT64_MAX, t0, t;
	unsigned int r;
	long there;

	if (!p)
		return 0;
	for (r = 0; r < o->runs; r++) {
		t0 = clock_now_ns();
		there = mg_move_pages(p, o->size, o->to);
		t = clock_now_ns() - t0;
		if (there != (long)(o->size / 4096)) {
			fprintf(stderr, "cxltier-bench: move_pages moved %ld of %zu pages\n",
				there, o->size / 4096);
			return 0;
		}
		if (t < best)
			best = t;
		mg_move_pages(p, o->size, o->from);
	}
	return best;
}

/* One pass of the registered buffer to @node, chunk by chunk. */
static int mg_pass(struct cxltier_buffer *b, const struct mg_opts *o,
		   int node, uint64_t *moved)
{
	uint64_t off, m;
	int ret;

	*moved = 0;
	for (off = 0; off < o->size; off += o->chunk) {
		ret = cxltier_move(b, off, o->chunk, node, &m);
		if (ret)
			return ret;
		*moved += m;
	}
	return 0;
}

static uint64_t mg_pinned(const struct mg_opts *o, struct tb_agent *a)
{
	struct cxltier_buffer_desc d;
	struct cxltier_options co;
	struct cxltier_buffer *b = NULL;
	struct cxltier *ctx = NULL;
	uint64_t best = 0, t0, t, moved;
	char conf[256];
	unsigned int r;
	char *p;
	int ret;

	snprintf(conf, sizeof(conf),
		 "# cxltier-bench migrate: no decisions, client moves only.\n"
		 "[tiers]\ndram = %d\nfar = %d\n\n[policy]\ninterval = 1h\n",
		 o->from, o->to);
	ret = bench_agent_start(a, conf);
	if (ret) {
		fprintf(stderr, "cxltier-bench: cannot start cxltierd: %s\n",
			strerror(-ret));
		return 0;
	}
	p = mg_buffer(o->size, o->from);
	memset(&co, 0, sizeof(co));
	co.size = sizeof(co);
	co.socket_path = a->socket;
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.addr = p;
	d.length = o->size;
	d.label = "bench-migrate";
	d.chunk_size = o->chunk;
	d.adapter = "test-accel";
	if (!p || (ret = cxltier_open(&co, &ctx)) ||
	    (ret = cxltier_register(ctx, &d, &b))) {
		fprintf(stderr, "cxltier-bench: cannot register the buffer: %s\n",
			strerror(ret ? -ret : ENOMEM));
		goto out;
	}
	best = UINT64_MAX;
	for (r = 0; r < o->runs; r++) {
		t0 = clock_now_ns();
		ret = mg_pass(b, o, o->to, &moved);
		t = clock_now_ns() - t0;
		if (ret || moved != o->size ||
		    mg_pages_on(p, o->size, o->to) != (long)(o->size / 4096)) {
			fprintf(stderr, "cxltier-bench: pinned pass: %s, %llu of %zu bytes moved\n",
				ret ? strerror(-ret) : "incomplete",
				(unsigned long long)moved, o->size);
			best = 0;
			break;
		}
		if (t < best)
			best = t;
		if (mg_pass(b, o, o->from, &moved)) {
			best = 0;
			break;
		}
	}
out:
	if (b)
		cxltier_unregister(b);
	cxltier_close(ctx);
	return best;
}

static void mg_usage(FILE *f)
{
	fprintf(f,
		"usage: cxltier-bench migrate [--json] [--size BYTES] [--chunk-size BYTES]\n"
		"                             [--from NODE] [--to NODE] [--runs N]\n"
		"Migration of the same bytes between the same nodes: memcpy,\n"
		"move_pages(2) of an unpinned buffer, and the pinned cycle through a\n"
		"private cxltierd (release, move, re-pin).  Needs cxltier.ko; loads\n"
		"the fake accelerator.  Defaults: 64 MiB, 2 MiB chunks, node 0 to the\n"
		"highest-numbered other memory node, best of 5 runs.\n");
}

int cmd_migrate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk-size", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "runs", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mg_opts o = { 64 << 20, 2 << 20, 0, -1, 5, 0 };
	uint64_t t_copy, t_move, t_pin;
	struct tb_agent a;
	struct json_object *j;
	double gb_copy, gb_move, gb_pin;
	int c, fd, n;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = 1;
			break;
		case 's':
			o.size = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			o.chunk = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			o.from = atoi(optarg);
			break;
		case 't':
			o.to = atoi(optarg);
			break;
		case 'r':
			o.runs = (unsigned int)atoi(optarg);
			break;
		case 'h':
			mg_usage(stdout);
			return BENCH_EXIT_OK;
		default:
			mg_usage(stderr);
			return BENCH_EXIT_USAGE;
		}
	}
	if (!o.chunk || o.chunk & (o.chunk - 1) || o.chunk < (64 << 10) ||
	    !o.size || o.size % o.chunk || !o.runs || o.runs > 100) {
		mg_usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	if (numa_available() < 0)
		return BENCH_EXIT_NODEV;
	if (o.to < 0)
		for (n = numa_max_node(); n >= 0; n--)
			if (n != o.from && numa_node_size64(n, NULL) > 0) {
				o.to = n;
				break;
			}
	if (o.to < 0 || o.to == o.from || numa_node_size64(o.from, NULL) <= 0 ||
	    numa_node_size64(o.to, NULL) <= 0) {
		fprintf(stderr, "cxltier-bench: need two memory nodes\n");
		return BENCH_EXIT_USAGE;
	}
	fd = tb_accel_open(TB_ACCEL_LOAD | TB_ACCEL_UNLOAD_AT_EXIT);
	if (fd < 0) {
		fprintf(stderr, "cxltier-bench: fake accelerator: %s\n",
			strerror(-fd));
		return BENCH_EXIT_NODEV;
	}
	close(fd);

	t_copy = mg_memcpy(&o);
	t_move = mg_unpinned(&o);
	t_pin = mg_pinned(&o, &a);
	bench_agent_stop(&a, !t_pin);
	if (!t_copy || !t_move || !t_pin)
		return BENCH_EXIT_FAIL;

	gb_copy = (double)o.size / (double)t_copy;
	gb_move = (double)o.size / (double)t_move;
	gb_pin = (double)o.size / (double)t_pin;
	if (!o.json) {
		printf("node %d -> %d, %zu MiB, %zu KiB chunks, best of %u:\n"
		       "  memcpy        %.3f GB/s\n"
		       "  move_pages    %.3f GB/s (%.3f of memcpy)\n"
		       "  pinned cycle  %.3f GB/s (%.3f of memcpy), %.2f ms per chunk\n",
		       o.from, o.to, o.size >> 20, o.chunk >> 10, o.runs, gb_copy,
		       gb_move, gb_move / gb_copy, gb_pin, gb_pin / gb_copy,
		       (double)t_pin / 1e6 / (double)(o.size / o.chunk));
		return BENCH_EXIT_OK;
	}
	j = json_object_new_object();
	json_object_object_add(j, "chunk_bytes", json_object_new_int64((int64_t)o.chunk));
	json_object_object_add(j, "bytes", json_object_new_int64((int64_t)o.size));
	json_object_object_add(j, "from_node", json_object_new_int(o.from));
	json_object_object_add(j, "to_node", json_object_new_int(o.to));
	json_object_object_add(j, "memcpy_gbps", json_object_new_double(gb_copy));
	json_object_object_add(j, "move_pages_gbps", json_object_new_double(gb_move));
	json_object_object_add(j, "pinned_cycle_gbps", json_object_new_double(gb_pin));
	json_object_object_add(j, "move_pages_ratio_to_memcpy",
			       json_object_new_double(gb_move / gb_copy));
	json_object_object_add(j, "pinned_cycle_gbps_ratio_to_memcpy",
			       json_object_new_double(gb_pin / gb_copy));
	json_object_object_add(j, "handshake_ms_per_chunk",
			       json_object_new_double((double)t_pin / 1e6 /
						      (double)(o.size / o.chunk)));
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
	json_object_put(j);
	return BENCH_EXIT_OK;
}
