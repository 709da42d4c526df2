// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench scan-cost: what one full sweep of the scanner thread
 * over a tracked buffer costs, relative to reading the same memory once,
 * in exact and in sampling mode.
 *
 * A resident buffer (4 KiB pages, then THP) is tracked with the CPU
 * source; scan_budget_pages is raised so that one pass of the scanner
 * thread covers the whole buffer (one sweep), scan_interval_ms is 10, and
 * scan_exact_max_pages picks the mode (exact: never sample; sampling:
 * sample everything, scan_sample_pages at its default).  A sweep's cost
 * is the CPU time of cxltier_heatd (/proc/PID/schedstat, in ns) over
 * 300 ms divided by the passes it made; entries per sweep is
 * stats/pages_scanned over the same passes.  The buffer is then read
 * once, 8 bytes a time.  Each figure is the median of --runs runs; the
 * ratio sweep time / read time is what compares across machines.
 * metadata_bytes_per_gib is stats/metadata_bytes for a 1 GiB range of
 * 2 MiB chunks.
 *
 * A pass also costs what does not grow with the memory tracked: the
 * thread's wake-up, the range lookup, mmap_lock.  pass_floor_ms is the
 * median pass over one THP-backed 2 MiB chunk in sampling mode, and the
 * marginal ratio ((sweep - floor) / read) is the part of a sweep that
 * grows with the buffer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bench.h"
#include "clock.h"

#define CHUNK	(2UL << 20)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* Keeps the compiler from dropping the read loop. */
static volatile uint64_t sc_sink;

/* CPU time of the scanner thread so far, in ns; 0 when unknown. */
static uint64_t sc_heatd_ns(void)
{
	static char path[64];
	unsigned long long ns = 0;
	char comm[32];
	FILE *f;
	int pid;

	if (!path[0]) {
		for (pid = 2; pid < 32768 && !path[0]; pid++) {
			snprintf(comm, sizeof(comm), "/proc/%d/comm", pid);
			f = fopen(comm, "r");
			if (!f)
				continue;
			if (fgets(comm, sizeof(comm), f) &&
			    !strcmp(comm, "cxltier_heatd\n"))
				snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
			fclose(f);
		}
		if (!path[0])
			return 0;
	}
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

/**
 * struct sc_result - one mode and page size
 * @sweep_ns: median CPU ns of one sweep of the scanner thread
 * @read_ns: median ns of one read of the buffer
 * @entries: median page-table entries one sweep examines
 * @thp_kb: AnonHugePages of the buffer
 */
struct sc_result {
	uint64_t sweep_ns;
	uint64_t read_ns;
	uint64_t entries;
	long thp_kb;
};

/* (sweep - floor) / read: what grows with the buffer; 0 if below. */
static double sc_marginal(const struct sc_result *r, const struct sc_result *floor)
{
	if (r->sweep_ns <= floor->sweep_ns)
		return 0;
	return (double)(r->sweep_ns - floor->sweep_ns) / r->read_ns;
}

static void sc_set_mode(int sampling)
{
	tb_sysfs_set("scan_exact_max_pages", sampling ? 0 : 4294967295LL);
}

/* Medians of --runs measurements of a @size buffer in one mode. */
static int sc_measure(struct kdev *dev, size_t size, int thp, int sampling,
		      unsigned int runs, struct sc_result *res)
{
	uint64_t *ts, *tr, *te, t0, sum, ns, passes, pages;
	unsigned int i;
	const uint64_t *p;
	uint32_t id;
	char *buf;
	int ret;

	buf = tb_map(size, 2UL << 20, (thp ? TB_MAP_THP : TB_MAP_NOTHP) | TB_MAP_TOUCH);
	ts = calloc(runs, sizeof(*ts));
	tr = calloc(runs, sizeof(*tr));
	te = calloc(runs, sizeof(*te));
	if (!buf || !ts || !tr || !te) {
		ret = -ENOMEM;
		goto out;
	}
	res->thp_kb = tb_thp_kb(buf);
	sc_set_mode(sampling);
	ret = kdev_track(dev, 0, (uintptr_t)buf, size, CHUNK, CXLTIER_SRC_CPU,
			 "scan-cost", &id, NULL);
	if (ret)
		goto out;
	/* A sampled chunk's first visit only clears its first sample. */
	usleep(100000);
	for (i = 0; i < runs; i++) {
		ns = sc_heatd_ns();
		passes = tb_sysfs_get("stats/scan_passes");
		pages = tb_sysfs_get("stats/pages_scanned");
		usleep(300000);
		ns = sc_heatd_ns() - ns;
		passes = tb_sysfs_get("stats/scan_passes") - passes;
		pages = tb_sysfs_get("stats/pages_scanned") - pages;
		if (!passes || !ns) {
			ret = -EPROTO;
			goto out_untrack;
		}
		ts[i] = ns / passes;
		te[i] = pages / passes;
		t0 = clock_now_ns();
		sum = 0;
		for (p = (const uint64_t *)buf; p < (const uint64_t *)(buf + size); p++)
			sum += *p;
		tr[i] = clock_now_ns() - t0;
		sc_sink += sum;
	}
	res->sweep_ns = median(ts, runs);
	res->read_ns = median(tr, runs);
	res->entries = median(te, runs);
out_untrack:
	kdev_untrack(dev, id);
out:
	free(te);
	free(tr);
	free(ts);
	if (buf)
		tb_unmap(buf, size);
	return ret;
}

/* stats/metadata_bytes of a 1 GiB range of 2 MiB chunks. */
static int sc_metadata(struct kdev *dev, long long *bytes)
{
	size_t gib = 1UL << 30;
	long long before;
	uint32_t id;
	void *p;
	int ret;

	p = mmap(NULL, gib, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	before = tb_sysfs_get("stats/metadata_bytes");
	ret = kdev_track(dev, 0, (uintptr_t)p, gib, CHUNK, CXLTIER_SRC_ALL,
			 "metadata", &id, NULL);
	if (!ret) {
		*bytes = tb_sysfs_get("stats/metadata_bytes") - before;
		kdev_untrack(dev, id);
	}
	munmap(p, gib);
	return ret;
}

static void sc_usage(FILE *f)
{
	fprintf(f, "usage: cxltier-bench scan-cost [--json] [--size MIB] [--runs N]\n");
}

static const char *const sc_names[4] = {
	"4k_exact", "4k_sampling", "thp_exact", "thp_sampling",
};

int cmd_scan_cost(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "size", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	size_t size = 256UL << 20;
	unsigned int runs = 5;
	struct tb_tunables saved;
	struct json_object *obj;
	struct sc_result res[4], floor;
	long long meta = 0;
	char key[64];
	struct kdev dev;
	int json = 0, c, t, ret = 0;
	double gib;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 's': size = strtoul(optarg, NULL, 0) << 20; break;
		case 'r': runs = strtoul(optarg, NULL, 0); break;
		case 'h': sc_usage(stdout); return BENCH_EXIT_OK;
		default: sc_usage(stderr); return BENCH_EXIT_USAGE;
		}
	}
	if (optind != argc || !runs || !size || size % CHUNK) {
		sc_usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	ret = kdev_open(&dev, NULL);
	if (ret) {
		fprintf(stderr, "cxltier-bench: /dev/cxltier: %s\n", strerror(-ret));
		return BENCH_EXIT_NODEV;
	}
	if (!sc_heatd_ns()) {
		fprintf(stderr, "cxltier-bench: scan-cost: no /proc/PID/schedstat of cxltier_heatd\n");
		kdev_close(&dev);
		return BENCH_EXIT_NODEV;
	}
	tb_tunables_save(&saved);
	tb_sysfs_set("scan_interval_ms", 10);
	tb_sysfs_set("scan_budget_pages", 1LL << 26);
	for (t = 0; t < 4 && !ret; t++)
		ret = sc_measure(&dev, size, t >= 2, t & 1, runs, &res[t]);
	if (!ret)
		ret = sc_measure(&dev, CHUNK, 1, 1, runs, &floor);
	if (!ret)
		ret = sc_metadata(&dev, &meta);
	tb_tunables_restore(&saved);
	kdev_close(&dev);
	if (ret) {
		fprintf(stderr, "cxltier-bench: scan-cost: %s\n", strerror(-ret));
		return BENCH_EXIT_FAIL;
	}

	gib = (double)size / (1UL << 30);
	if (json) {
		obj = json_object_new_object();
		json_object_object_add(obj, "size_mib",
				       json_object_new_int64(size >> 20));
		for (t = 0; t < 4; t++) {
			snprintf(key, sizeof(key), "sweep_to_read_ratio_%s", sc_names[t]);
			json_object_object_add(obj, key, json_object_new_double(
				(double)res[t].sweep_ns / res[t].read_ns));
			snprintf(key, sizeof(key), "entries_per_gib_%s", sc_names[t]);
			json_object_object_add(obj, key, json_object_new_double(
				res[t].entries / gib));
			snprintf(key, sizeof(key), "marginal_to_read_ratio_%s",
				 sc_names[t]);
			json_object_object_add(obj, key, json_object_new_double(
				sc_marginal(&res[t], &floor)));
			snprintf(key, sizeof(key), "sweep_ms_%s", sc_names[t]);
			json_object_object_add(obj, key, json_object_new_double(
				res[t].sweep_ns / 1e6));
		}
		json_object_object_add(obj, "pass_floor_ms",
				       json_object_new_double(floor.sweep_ns / 1e6));
		json_object_object_add(obj, "thp_kb", json_object_new_int64(res[2].thp_kb));
		json_object_object_add(obj, "metadata_bytes_per_gib",
				       json_object_new_int64(meta));
		puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY));
		json_object_put(obj);
	} else {
		for (t = 0; t < 4; t++)
			printf("%-12s sweep/read %.4f (marginal %.4f), %.0f entries per GiB, sweep %.2f ms\n",
			       sc_names[t], (double)res[t].sweep_ns / res[t].read_ns,
			       sc_marginal(&res[t], &floor),
			       res[t].entries / gib, res[t].sweep_ns / 1e6);
		printf("pass floor %.3f ms\n", floor.sweep_ns / 1e6);
		printf("THP %ld KiB; metadata %lld bytes per GiB\n", res[2].thp_kb, meta);
	}
	return BENCH_EXIT_OK;
}
