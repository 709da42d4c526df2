// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench refresh-latency: what reading a large range's placement
 * costs the traced process.  A range of --size-gib GiB (MAP_NORESERVE,
 * the first --resident MiB touched in 4 KiB pages, the rest never
 * mapped) is tracked; a second thread loops mprotect(2) on a page of the
 * same address space, which needs mmap_lock for writing, and records the
 * worst delay of one call.  Three phases of --ms each: nothing else
 * (the baseline), placement reads (CXLTIER_HEAT_PLACEMENT from chunk 0
 * to the end by next_chunk, again and again; skipped on a module
 * without CXLTIER_FEAT_PLACEMENT) and CXLTIER_HEAT_REFRESH of every
 * chunk in one call.  Reported: the worst mprotect delay in each phase,
 * the longest single call, the longest hold of mmap_lock by the
 * module's walk (stats/placement_hold_max_ns, reset before each phase;
 * -1 on a module without it) and the time of one whole-range read.
 * Worst cases of --runs runs, medians of the sweep times.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bench.h"
#include "clock.h"

#define CHUNK	(2UL << 20)

/**
 * struct rl_prot - the mprotect loop
 * @page: the page it flips
 * @stop: set to end it
 * @worst_ns: longest single mprotect() of the current phase
 * @calls: calls made in the current phase
 */
struct rl_prot {
	char *page;
	volatile int stop;
	volatile uint64_t worst_ns;
	volatile uint64_t calls;
};

static void *rl_prot_fn(void *arg)
{
	struct rl_prot *pr = arg;
	uint64_t t0, d;
	int rw = 0;

	while (!pr->stop) {
		t0 = clock_now_ns();
		mprotect(pr->page, 4096, rw ? PROT_READ | PROT_WRITE : PROT_READ);
		d = clock_now_ns() - t0;
		if (d > pr->worst_ns)
			pr->worst_ns = d;
		pr->calls++;
		rw = !rw;
	}
	return NULL;
}

/**
 * struct rl_phase - what one phase saw
 * @worst_prot_ns: worst mprotect delay
 * @worst_call_ns: longest GET_HEAT call
 * @sweep_ns: median time of one read of the whole range
 * @calls: GET_HEAT calls made
 * @worst_hold_ns: longest mmap_lock hold of the module's walk, -1 unknown
 */
struct rl_phase {
	uint64_t worst_prot_ns;
	uint64_t worst_call_ns;
	long long worst_hold_ns;
	uint64_t sweep_ns;
	uint64_t calls;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One phase: @mode 0 idle, 1 placement reads, 2 REFRESH, for @ms. */
static int rl_phase(struct kdev *dev, uint32_t id, uint32_t nr,
		    struct cxltier_chunk_heat *h, struct rl_prot *pr, int mode,
		    unsigned int ms, struct rl_phase *out)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * 1000000, t0, t1, c;
	uint64_t sweeps[256], first, next;
	unsigned int ns = 0;
	uint32_t total;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	pr->worst_ns = 0;
	tb_sysfs_set("stats/placement_hold_max_ns", 0);
	while (clock_now_ns() < end) {
		if (mode == 0) {
			usleep(1000);
			continue;
		}
		t0 = clock_now_ns();
		if (mode == 2) {
			ret = kdev_get_heat(dev, id, 0, h, nr, CXLTIER_HEAT_REFRESH,
					    &total, NULL);
			out->calls++;
			c = clock_now_ns() - t0;
			if (c > out->worst_call_ns)
				out->worst_call_ns = c;
		} else {
			for (first = 0; first < nr && !ret; first = next) {
				t1 = clock_now_ns();
				ret = kdev_get_placement(dev, id, first, h + first,
							 nr - first, &total,
							 &next, NULL);
				out->calls++;
				c = clock_now_ns() - t1;
				if (c > out->worst_call_ns)
					out->worst_call_ns = c;
			}
		}
		if (ret)
			return ret;
		if (ns < 256)
			sweeps[ns++] = clock_now_ns() - t0;
	}
	out->worst_prot_ns = pr->worst_ns;
	out->worst_hold_ns = tb_sysfs_get("stats/placement_hold_max_ns");
	if (out->worst_hold_ns < 0)
		out->worst_hold_ns = -1;
	if (ns) {
		qsort(sweeps, ns, sizeof(*sweeps), cmp_u64);
		out->sweep_ns = sweeps[ns / 2];
	}
	return 0;
}

static void rl_usage(FILE *f)
{
	fprintf(f, "usage: cxltier-bench refresh-latency [--json] [--size-gib N] "
		"[--resident MIB] [--ms N] [--runs N]\n");
}

static const char *const rl_names[3] = { "idle", "placement", "refresh" };

int cmd_refresh_latency(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "size-gib", required_argument, NULL, 'g' },
		{ "resident", required_argument, NULL, 'm' },
		{ "ms", required_argument, NULL, 't' },
		{ "runs", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	size_t size = 16UL << 30, resident = 256UL << 20, k;
	unsigned int ms = 1000, runs = 5, i;
	struct rl_phase ph[3], worst[3];
	uint64_t sweeps[3][64] = { { 0 } };
	struct cxltier_chunk_heat *h = NULL;
	struct rl_prot pr = { 0 };
	struct json_object *obj;
	pthread_t thr;
	struct kdev dev;
	int json = 0, c, m, ret = 0, started = 0;
	uint32_t id = 0, nr;
	char *buf, key[64];

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'g': size = strtoul(optarg, NULL, 0) << 30; break;
		case 'm': resident = strtoul(optarg, NULL, 0) << 20; break;
		case 't': ms = strtoul(optarg, NULL, 0); break;
		case 'r': runs = strtoul(optarg, NULL, 0); break;
		case 'h': rl_usage(stdout); return BENCH_EXIT_OK;
		default: rl_usage(stderr); return BENCH_EXIT_USAGE;
		}
	}
	if (optind != argc || !size || !ms || !runs || runs > 64 ||
	    resident > size || resident % CHUNK) {
		rl_usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	ret = kdev_open(&dev, NULL);
	if (ret) {
		fprintf(stderr, "cxltier-bench: /dev/cxltier: %s\n", strerror(-ret));
		return BENCH_EXIT_NODEV;
	}
	nr = size / CHUNK;
	buf = tb_map(size, CHUNK, TB_MAP_NOTHP | TB_MAP_NORESERVE);
	pr.page = tb_map(4096, 4096, TB_MAP_TOUCH);
	h = calloc(nr, sizeof(*h));
	if (!buf || !pr.page || !h) {
		ret = -ENOMEM;
		goto out;
	}
	for (k = 0; k < resident; k += 4096)
		buf[k] = 1;
	ret = kdev_track(&dev, 0, (uintptr_t)buf, size, CHUNK, CXLTIER_SRC_CPU,
			 "refresh-latency", &id, NULL);
	if (ret)
		goto out;
	ret = -pthread_create(&thr, NULL, rl_prot_fn, &pr);
	if (ret)
		goto out;
	started = 1;
	memset(worst, 0, sizeof(worst));
	for (m = 0; m < 3; m++)
		worst[m].worst_hold_ns = -1;
	for (i = 0; i < runs && !ret; i++) {
		for (m = 0; m < 3 && !ret; m++) {
			if (m == 1 && !(dev.features & CXLTIER_FEAT_PLACEMENT))
				continue;
			ret = rl_phase(&dev, id, nr, h, &pr, m, ms, &ph[m]);
			if (ph[m].worst_prot_ns > worst[m].worst_prot_ns)
				worst[m].worst_prot_ns = ph[m].worst_prot_ns;
			if (ph[m].worst_call_ns > worst[m].worst_call_ns)
				worst[m].worst_call_ns = ph[m].worst_call_ns;
			if (ph[m].worst_hold_ns > worst[m].worst_hold_ns)
				worst[m].worst_hold_ns = ph[m].worst_hold_ns;
			worst[m].calls += ph[m].calls;
			sweeps[m][i] = ph[m].sweep_ns;
		}
	}
	for (m = 0; m < 3 && !ret; m++) {
		qsort(sweeps[m], runs, sizeof(sweeps[m][0]), cmp_u64);
		worst[m].sweep_ns = sweeps[m][runs / 2];
	}
	if (!ret && resident && h[0].resident_pages != CHUNK / 4096)
		ret = -EPROTO;
out:
	if (started) {
		pr.stop = 1;
		pthread_join(thr, NULL);
	}
	if (id)
		kdev_untrack(&dev, id);
	kdev_close(&dev);
	free(h);
	if (buf)
		tb_unmap(buf, size);
	if (pr.page)
		tb_unmap(pr.page, 4096);
	if (ret) {
		fprintf(stderr, "cxltier-bench: refresh-latency: %s\n", strerror(-ret));
		return BENCH_EXIT_FAIL;
	}
	if (json) {
		obj = json_object_new_object();
		json_object_object_add(obj, "size_gib", json_object_new_int64(size >> 30));
		json_object_object_add(obj, "resident_mib",
				       json_object_new_int64(resident >> 20));
		for (m = 0; m < 3; m++) {
			snprintf(key, sizeof(key), "worst_mprotect_us_%s", rl_names[m]);
			json_object_object_add(obj, key, json_object_new_double(
				worst[m].worst_prot_ns / 1e3));
			if (!m)
				continue;
			snprintf(key, sizeof(key), "worst_call_us_%s", rl_names[m]);
			json_object_object_add(obj, key, json_object_new_double(
				worst[m].worst_call_ns / 1e3));
			snprintf(key, sizeof(key), "worst_hold_us_%s", rl_names[m]);
			json_object_object_add(obj, key, json_object_new_double(
				worst[m].worst_hold_ns < 0 ? -1 :
				worst[m].worst_hold_ns / 1e3));
			snprintf(key, sizeof(key), "sweep_ms_%s", rl_names[m]);
			json_object_object_add(obj, key, json_object_new_double(
				worst[m].sweep_ns / 1e6));
			snprintf(key, sizeof(key), "calls_%s", rl_names[m]);
			json_object_object_add(obj, key, json_object_new_int64(
				(int64_t)worst[m].calls));
		}
		puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY));
		json_object_put(obj);
	} else {
		for (m = 0; m < 3; m++)
			printf("%-9s worst mprotect %.0f us, worst call %.0f us, worst hold %.0f us, sweep %.1f ms\n",
			       rl_names[m], worst[m].worst_prot_ns / 1e3,
			       worst[m].worst_call_ns / 1e3,
			       worst[m].worst_hold_ns < 0 ? -1 :
			       worst[m].worst_hold_ns / 1e3,
			       worst[m].sweep_ns / 1e6);
	}
	return BENCH_EXIT_OK;
}
