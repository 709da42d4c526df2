// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench scan-cost: what one Accessed-bit scan of a tracked buffer
 * costs, relative to reading the same memory once.
 *
 * A resident buffer (4 KiB pages, then THP) is tracked with the CPU
 * source; the background scanner is slowed to one pass a minute, and a
 * full scan is timed as CXLTIER_IOC_GET_HEAT with CXLTIER_HEAT_REFRESH
 * over every chunk, which runs the scanner's walk synchronously (test
 * and clear of every Accessed bit, node, residency and pin counts).  The
 * same buffer is then read once, 8 bytes a time.  Each figure is the
 * median of --runs runs; the ratio scan time / read time is what compares
 * across machines.  metadata_bytes_per_gib is stats/metadata_bytes for a
 * 1 GiB range of 2 MiB chunks.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

/* Median ns of one full scan and of one read of a @size buffer. */
static int sc_measure(struct kdev *dev, size_t size, int thp,
		      unsigned int runs, uint64_t *scan_ns, uint64_t *read_ns,
		      long *thp_kb)
{
	unsigned int nr = size / CHUNK, i;
	struct cxltier_chunk_heat *h;
	uint64_t *ts, *tr, t0, sum;
	const uint64_t *p;
	uint32_t id;
	char *buf;
	size_t k;
	int ret;

	buf = tb_map(size, 2UL << 20, (thp ? TB_MAP_THP : TB_MAP_NOTHP) | TB_MAP_TOUCH);
	h = calloc(nr, sizeof(*h));
	ts = calloc(runs, sizeof(*ts));
	tr = calloc(runs, sizeof(*tr));
	if (!buf || !h || !ts || !tr) {
		ret = -ENOMEM;
		goto out;
	}
	*thp_kb = tb_thp_kb(buf);
	ret = kdev_track(dev, 0, (uintptr_t)buf, size, CHUNK, CXLTIER_SRC_CPU,
			 "scan-cost", &id, NULL);
	if (ret)
		goto out;
	for (i = 0; i < runs; i++) {
		/* Make every page young again, then scan. */
		for (k = 0; k < size; k += 4096)
			buf[k]++;
		t0 = clock_now_ns();
		ret = kdev_get_heat(dev, id, 0, h, nr, CXLTIER_HEAT_REFRESH,
				    NULL, NULL);
		ts[i] = clock_now_ns() - t0;
		if (ret)
			goto out_untrack;
		if (h[0].resident_pages != CHUNK / 4096) {
			ret = -EPROTO;
			goto out_untrack;
		}
		t0 = clock_now_ns();
		sum = 0;
		for (p = (const uint64_t *)buf; p < (const uint64_t *)(buf + size); p++)
			sum += *p;
		tr[i] = clock_now_ns() - t0;
		sc_sink += sum;
	}
	*scan_ns = median(ts, runs);
	*read_ns = median(tr, runs);
out_untrack:
	kdev_untrack(dev, id);
out:
	free(tr);
	free(ts);
	free(h);
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

int cmd_scan_cost(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "size", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t scan[2], rd[2];
	size_t size = 256UL << 20;
	unsigned int runs = 5;
	struct tb_tunables saved;
	struct json_object *obj;
	long long meta = 0;
	long thp_kb[2];
	struct kdev dev;
	int json = 0, c, t, ret;
	double pages;

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
	tb_tunables_save(&saved);
	tb_sysfs_set("scan_interval_ms", 60000);
	for (t = 0; t < 2 && !ret; t++)
		ret = sc_measure(&dev, size, t, runs, &scan[t], &rd[t], &thp_kb[t]);
	if (!ret)
		ret = sc_metadata(&dev, &meta);
	tb_tunables_restore(&saved);
	kdev_close(&dev);
	if (ret) {
		fprintf(stderr, "cxltier-bench: scan-cost: %s\n", strerror(-ret));
		return BENCH_EXIT_FAIL;
	}

	pages = (double)size / 4096;
	if (json) {
		obj = json_object_new_object();
		json_object_object_add(obj, "pages_4k_per_s",
				       json_object_new_double(pages * 1e9 / scan[0]));
		json_object_object_add(obj, "pages_thp_per_s",
				       json_object_new_double(pages * 1e9 / scan[1]));
		json_object_object_add(obj, "scan_to_read_ratio_4k",
				       json_object_new_double((double)scan[0] / rd[0]));
		json_object_object_add(obj, "scan_to_read_ratio_thp",
				       json_object_new_double((double)scan[1] / rd[1]));
		json_object_object_add(obj, "metadata_bytes_per_gib",
				       json_object_new_int64(meta));
		puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY));
		json_object_put(obj);
	} else {
		printf("4 KiB: %.0f pages/s, scan/read %.3f; THP (%ld KiB): %.0f pages/s, "
		       "scan/read %.3f; metadata %lld bytes per GiB\n",
		       pages * 1e9 / scan[0], (double)scan[0] / rd[0], thp_kb[1],
		       pages * 1e9 / scan[1], (double)scan[1] / rd[1], meta);
	}
	return BENCH_EXIT_OK;
}
