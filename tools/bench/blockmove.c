// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench blockmove: copy-then-swap moves of a libcxltier block
 * pool against memcpy of the same bytes between the same nodes, in one
 * run.  A pool of --blocks blocks, all written on tier 0 (the DRAM
 * slab), pinned once by the fake accelerator; each repetition moves a
 * random, scattered --fraction of them to the far slab and back with
 * cxltier_pool_move(), while a device thread keeps reading the other
 * blocks through the fake accelerator (inside brackets) and checks
 * their checksums.  The memcpy of each repetition copies the same number
 * of blocks between buffers on the same two nodes, with the same device
 * thread running and the same untimed read-back between there and back
 * as the moves' verification, so the ratio compares like with like.
 *
 * Reported: the ratio with one copy thread and with two (a second pool),
 * per-block latency (a pass moving one block per call), CPU seconds per
 * GiB moved (the copy threads' CPU clocks, from the pool's counters), the device's
 * checksum of every moved block after each move, and that each old slot
 * was poisoned after the swap (so a stale read would be caught).
 * --check runs the correctness part only, small and not timed.
 */
#include <errno.h>
#include <getopt.h>
#include <numaif.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <json-c/json.h>
#include <linux/cxltier_test_accel.h>

#include "bench.h"
#include "blockmove.h"
#include "clock.h"
#include "libcxltier.h"

/* Blocks per timed group (memcpy, move there, move back). */
#define BM_GROUP	8

/**
 * struct bm_run - one pool under test
 * @pool: the pool
 * @dev: the device (the pool's pins are made on it)
 * @o: options
 * @blocks: handles
 * @sums: each block's expected checksum
 * @moving: 1 for the blocks of the current repetition's move
 * @nr_move: blocks moved each way
 * @stop: the device thread must stop (atomic)
 * @reads: device reads done (atomic)
 * @bad_reads: device reads whose checksum differed (atomic)
 * @read_all: the device thread also reads moving blocks (--check)
 */
struct bm_run {
	struct cxltier_pool *pool;
	struct bm_device *dev;
	const struct bm_opts *o;
	cxltier_block_t *blocks;
	uint64_t *sums;
	_Atomic uint8_t *moving;
	uint32_t nr_move;
	_Atomic int stop;
	_Atomic uint64_t reads;
	_Atomic uint64_t bad_reads;
	int read_all;
};

static uint32_t bm_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

/*
 * The device thread: bracket, read on the device (with its checksum,
 * where that is cheap), put; forever.
 */
static void *bm_device(void *arg)
{
	struct bm_run *r = arg;
	struct bm_device *d = r->dev;
	uint64_t seed = 0x2545f4914f6cdd1dULL, sum;
	struct cxltier_block_ref ref;
	uint32_t i;

	while (!atomic_load(&r->stop)) {
		i = bm_rand(&seed) % r->o->blocks;
		if (!r->read_all && atomic_load(&r->moving[i]))
			continue;
		if (r->o->pause_us) {
			struct timespec ts = { 0, (long)r->o->pause_us * 1000 };

			nanosleep(&ts, NULL);
		}
		if (cxltier_block_get(r->pool, r->blocks[i], 0, &ref))
			continue;
		if (d->read(d, BM_TRAFFIC, &ref, r->o->block_size,
			    d->traffic_sums ? &sum : NULL) == 0) {
			if (d->traffic_sums && sum != r->sums[i])
				atomic_fetch_add(&r->bad_reads, 1);
			atomic_fetch_add(&r->reads, 1);
		}
		cxltier_block_put(r->pool, &ref);
	}
	return NULL;
}

/* The fake accelerator (selftests' cxltier_test_accel): DMA reads. */
static int accel_open(struct bm_device *d, uint64_t block_size)
{
	int fd = tb_accel_open(TB_ACCEL_LOAD | TB_ACCEL_UNLOAD_AT_EXIT);

	(void)block_size;
	if (fd < 0) {
		fprintf(stderr, "cxltier-bench: fake accelerator: %s\n",
			strerror(-fd));
		return fd;
	}
	snprintf(d->arg, sizeof(d->arg), "fd=%d", fd);
	d->adapter_arg = d->arg;
	d->priv = (void *)(intptr_t)fd;
	return 0;
}

static int accel_read(struct bm_device *d, enum bm_reader reader,
		      const struct cxltier_block_ref *ref, uint64_t len,
		      uint64_t *sum)
{
	uint64_t s;

	(void)reader;
	return tb_accel_dma((int)(intptr_t)d->priv, (uint32_t)ref->handle,
			    ref->handle_offset, len, 0, 0, sum ? sum : &s, NULL);
}

static void accel_close(struct bm_device *d)
{
	close((int)(intptr_t)d->priv);
}

static struct bm_device bm_fake_accel = {
	.adapter = "test-accel",
	.traffic_sums = 1,
	.open = accel_open,
	.read = accel_read,
	.close = accel_close,
};

void *bm_buffer(size_t len, int node)
{
	unsigned long mask[16] = { 0 };
	void *p = tb_map(len, 2 << 20, TB_MAP_THP);

	if (!p)
		return NULL;
	mask[node / 64] |= 1UL << (node % 64);
	if (mbind(p, len, MPOL_BIND, mask, 1024, MPOL_MF_STRICT)) {
		tb_unmap(p, len);
		return NULL;
	}
	memset(p, 0x5a, len);
	return p;
}

/* Pick the repetition's scattered blocks into @sel, marking them moving. */
static void bm_pick(struct bm_run *r, uint64_t *seed, uint32_t *sel)
{
	uint32_t n = 0, i;

	for (i = 0; i < r->o->blocks; i++)
		atomic_store(&r->moving[i], 0);
	while (n < r->nr_move) {
		i = bm_rand(seed) % r->o->blocks;
		if (atomic_load(&r->moving[i]))
			continue;
		atomic_store(&r->moving[i], 1);
		sel[n++] = i;
	}
}

/* Is the slot at @p poisoned?  Waits up to 2 s for a bracket to go. */
static int poisoned(const volatile uint8_t *p)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 2000; i++) {
		if (p[0] == 0xdb && p[63] == 0xdb)
			return 1;
		nanosleep(&ms, NULL);
	}
	return 0;
}

/*
 * Check the moved blocks: the device's checksum at the new place, the
 * bytes by the CPU, and the old slots' poison.  @old: the old addresses.
 */
static void bm_verify(struct bm_run *r, const uint32_t *sel,
		      const struct cxltier_block_move *mv, uint8_t **old,
		      uint32_t n, struct bm_result *res)
{
	struct cxltier_block_ref ref;
	uint64_t sum, bad;
	uint32_t k;

	for (k = 0; k < n; k++) {
		if (!mv[k].moved) {
			res->skipped++;
			continue;
		}
		res->moved_blocks++;
		if (cxltier_block_get(r->pool, r->blocks[sel[k]], 0, &ref)) {
			res->corrupt_blocks++;
			continue;
		}
		res->checked_blocks++;
		bad = tb_pattern_check(ref.addr, r->o->block_size, sel[k]);
		if (r->dev->read(r->dev, BM_VERIFY, &ref, r->o->block_size, &sum) ||
		    sum != r->sums[sel[k]] || bad) {
			res->corrupt_blocks++;
			res->corrupt_bytes += bad;
		}
		cxltier_block_put(r->pool, &ref);
		/* The old slot: poisoned once its last bracket is put. */
		if (old[k] && poisoned(old[k]))
			res->poisoned_old_slots++;
		else
			res->unpoisoned_old_slots++;
	}
}

/* Move the selected blocks to @tier; ns spent, 0 on failure. */
static uint64_t bm_move(struct bm_run *r, const uint32_t *sel,
			struct cxltier_block_move *mv, unsigned int tier,
			uint8_t **old, uint32_t n)
{
	struct cxltier_block_ref ref;
	uint64_t t0, t1;
	uint32_t k;
	int ret;

	for (k = 0; k < n; k++) {
		memset(&mv[k], 0, sizeof(mv[k]));
		mv[k].block = r->blocks[sel[k]];
		mv[k].tier = tier;
		old[k] = cxltier_block_lookup(r->pool, mv[k].block, &ref) ? NULL :
									  ref.addr;
	}
	t0 = clock_now_ns();
	ret = cxltier_pool_move(r->pool, mv, n);
	t1 = clock_now_ns();
	if (ret < 0) {
		fprintf(stderr, "cxltier-bench: cxltier_pool_move: %s\n",
			strerror(-ret));
		return 0;
	}
	return t1 - t0 ? t1 - t0 : 1;
}

/*
 * memcpy of @nr blocks from @src[k] to @b and back; ns.  Between the two,
 * as the moves' verification does between theirs, the copies are read
 * back (untimed), so that both see the same cache and TLB state.  The
 * yardstick passes its own DRAM buffer; --slot-memcpy passes the blocks'
 * pool slots, so that set beside the yardstick it tells the pool's pages
 * from the pool's code (the same glibc memcpy, the same far buffer; only
 * the DRAM side differs).
 */
static uint64_t bm_memcpy(uint8_t *const *src, uint8_t *b, uint32_t nr,
			  uint64_t bs)
{
	static volatile uint64_t sink;
	uint64_t t0 = clock_now_ns(), t;
	uint32_t k;

	for (k = 0; k < nr; k++)
		memcpy(b + k * bs, src[k], bs);
	t = clock_now_ns() - t0;
	for (k = 0; k < nr; k++)
		sink += tb_fnv(CXLTA_FNV_OFFSET, b + k * bs, bs);
	t0 = clock_now_ns();
	for (k = 0; k < nr; k++)
		memcpy(src[k], b + k * bs, bs);
	t += clock_now_ns() - t0;
	return t ? t : 1;
}

/* The yardstick's sources: @nr consecutive blocks of @a. */
static void bm_consecutive(uint8_t **src, uint8_t *a, uint32_t nr, uint64_t bs)
{
	uint32_t k;

	for (k = 0; k < nr; k++)
		src[k] = a + k * bs;
}

/* --slot-memcpy's sources: the pool slots of blocks @sel; 0 on success. */
static int bm_slots(struct bm_run *r, const uint32_t *sel, uint8_t **src,
		    uint32_t nr)
{
	struct cxltier_block_ref ref;
	uint32_t k;

	for (k = 0; k < nr; k++) {
		if (cxltier_block_lookup(r->pool, r->blocks[sel[k]], &ref))
			return -1;
		src[k] = ref.addr;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

double bm_median(const double *v, unsigned int n, double *min, double *max)
{
	double s[BM_MAX_REPS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	*min = s[0];
	*max = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

int bm_pool(const struct bm_opts *o, struct cxltier *ctx, unsigned int threads,
	    struct bm_result *res, int *nodes)
{
	struct cxltier_pool_desc d;
	struct cxltier_pool_stats st;
	struct cxltier_block_ref ref;
	struct cxltier_block_move *mv = NULL;
	struct bm_run r;
	pthread_t dev;
	uint8_t **old = NULL, *ma = NULL, *mb = NULL, *src[BM_GROUP];
	uint32_t *sel = NULL, i, k, g;
	uint64_t seed = 42 + threads, t_move, t_back, t_copy, t_slot, bytes;
	uint64_t *lat = NULL;
	uint64_t copy0, move_all = 0, reads0, t_rep;
	int ret = -ENOMEM, dev_started = 0;
	unsigned int rep;

	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(*res));
	r.o = o;
	r.read_all = o->check;
	r.nr_move = (uint32_t)(o->blocks * o->fraction);
	if (!r.nr_move)
		r.nr_move = 1;
	r.dev = o->device ? o->device : &bm_fake_accel;
	ret = r.dev->open(r.dev, o->block_size);
	if (ret)
		return ret;
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.label = "blockmove";
	d.block_size = o->block_size;
	d.nr_blocks = o->blocks;
	d.nr_tiers = 2;
	d.slots[0] = o->blocks;
	d.slots[1] = r.nr_move;
	d.adapter = r.dev->adapter;
	d.adapter_arg = r.dev->adapter_arg;
	d.copy_threads = threads;
	ret = cxltier_pool_create(ctx, &d, &r.pool);
	if (ret) {
		fprintf(stderr, "cxltier-bench: cannot create the pool: %s\n",
			strerror(-ret));
		r.dev->close(r.dev);
		return ret;
	}
	ret = -ENOMEM;
	st.size = sizeof(st);
	cxltier_pool_stats(r.pool, &st);
	nodes[0] = st.node[0];
	nodes[1] = st.node[1];

	r.blocks = calloc(o->blocks, sizeof(*r.blocks));
	r.sums = calloc(o->blocks, sizeof(*r.sums));
	r.moving = calloc(o->blocks, sizeof(*r.moving));
	sel = calloc(r.nr_move, sizeof(*sel));
	mv = calloc(r.nr_move, sizeof(*mv));
	old = calloc(r.nr_move, sizeof(*old));
	lat = calloc(r.nr_move * 2, sizeof(*lat));
	if (!r.blocks || !r.sums || !r.moving || !sel || !mv || !old || !lat)
		goto out;
	for (i = 0; i < o->blocks; i++) {
		ret = cxltier_block_alloc(r.pool, 0, &r.blocks[i]);
		if (!ret)
			ret = cxltier_block_get(r.pool, r.blocks[i],
						CXLTIER_BLOCK_WRITE, &ref);
		if (ret) {
			fprintf(stderr, "cxltier-bench: block %u: %s\n", i,
				strerror(-ret));
			goto out;
		}
		tb_pattern_fill(ref.addr, o->block_size, i);
		r.sums[i] = tb_fnv(CXLTA_FNV_OFFSET, ref.addr, o->block_size);
		cxltier_block_put(r.pool, &ref);
	}
	ret = -ENOMEM;
	bytes = 2ULL * r.nr_move * o->block_size;
	if (!o->check) {
		ma = bm_buffer(r.nr_move * o->block_size, nodes[0]);
		mb = bm_buffer(r.nr_move * o->block_size, nodes[1]);
		if (!ma || !mb) {
			fprintf(stderr, "cxltier-bench: cannot place the memcpy buffers\n");
			goto out;
		}
	}
	ret = -pthread_create(&dev, NULL, bm_device, &r);
	if (ret)
		goto out;
	dev_started = 1;

	st.size = sizeof(st);
	cxltier_pool_stats(r.pool, &st);
	copy0 = st.copy_ns;
	for (rep = 0; rep < o->reps; rep++) {
		bm_pick(&r, &seed, sel);
		reads0 = atomic_load(&r.reads);
		t_rep = clock_now_ns();
		/*
		 * In groups of BM_GROUP blocks, memcpy then moves, so that
		 * the guest's drift falls on both alike.
		 */
		t_copy = t_move = t_slot = 0;
		for (k = 0; k < r.nr_move; k += g) {
			g = r.nr_move - k < BM_GROUP ? r.nr_move - k : BM_GROUP;
			if (!o->check) {
				bm_consecutive(src, ma + k * o->block_size, g,
					       o->block_size);
				t_copy += bm_memcpy(src, mb + k * o->block_size,
						    g, o->block_size);
			} else {
				t_copy += 1;
			}
			if (o->slot_memcpy && !o->check && threads == 1) {
				if (bm_slots(&r, sel + k, src, g))
					goto out_fail;
				t_slot += bm_memcpy(src, mb + k * o->block_size,
						    g, o->block_size);
			}
			t_back = bm_move(&r, sel + k, mv + k, 1, old + k, g);
			if (!t_back)
				goto out_fail;
			t_move += t_back;
			/* The verification's reads are outside the timed parts. */
			bm_verify(&r, sel + k, mv + k, old + k, g, res);
			t_back = bm_move(&r, sel + k, mv + k, 0, old + k, g);
			if (!t_back)
				goto out_fail;
			t_move += t_back;
			bm_verify(&r, sel + k, mv + k, old + k, g, res);
		}
		res->memcpy_gbps[rep] = (double)bytes / (double)t_copy;
		res->slot_gbps[rep] = t_slot ? (double)bytes / (double)t_slot : 0;
		res->move_gbps[rep] = (double)bytes / (double)t_move;
		res->ratio[rep] = (double)t_copy / (double)t_move;
		t_rep = clock_now_ns() - t_rep;
		res->traffic_gbps[rep] = t_rep ? (double)(atomic_load(&r.reads) - reads0) *
							 (double)o->block_size / (double)t_rep : 0;
		res->n++;
		move_all += t_move;
	}
	/* Where the moves' time went: the pool's own copies, and the rest. */
	cxltier_pool_stats(r.pool, &st);
	if (st.copy_ns > copy0 && move_all) {
		res->copy_gbps = (double)bytes * o->reps / (double)(st.copy_ns - copy0);
		res->copy_share = (double)(st.copy_ns - copy0) / (double)move_all;
	}
	/* Latency: one block per call, there and back. */
	bm_pick(&r, &seed, sel);
	for (k = 0; k < r.nr_move; k++) {
		for (i = 0; i < 2; i++) {
			uint64_t t0;

			memset(&mv[0], 0, sizeof(mv[0]));
			mv[0].block = r.blocks[sel[k]];
			mv[0].tier = 1 - i;
			t0 = clock_now_ns();
			if (cxltier_pool_move(r.pool, mv, 1) != 1) {
				fprintf(stderr, "cxltier-bench: block %u did not move: %s\n",
					sel[k], strerror(-mv[0].result));
				goto out_fail;
			}
			lat[2 * k + i] = clock_now_ns() - t0;
		}
	}
	qsort(lat, r.nr_move * 2, sizeof(*lat), cmp_u64);
	res->p50_us = (double)lat[r.nr_move] / 1e3;
	res->p99_us = (double)lat[(r.nr_move * 2 * 99) / 100] / 1e3;
	cxltier_pool_stats(r.pool, &st);
	res->cpu_s_per_gib = st.bytes_moved ?
		(double)st.move_cpu_ns / 1e9 / ((double)st.bytes_moved / (1ULL << 30)) : 0;
	ret = 0;
	goto out;

out_fail:
	ret = -EIO;
out:
	if (dev_started) {
		atomic_store(&r.stop, 1);
		pthread_join(dev, NULL);
	}
	res->device_reads = atomic_load(&r.reads);
	res->device_bad_reads = atomic_load(&r.bad_reads);
	/* Every block still there, on tier 0, with its bytes. */
	for (i = 0; r.blocks && !ret && i < o->blocks; i++) {
		if (cxltier_block_get(r.pool, r.blocks[i], 0, &ref)) {
			res->corrupt_blocks++;
			continue;
		}
		res->corrupt_bytes += tb_pattern_check(ref.addr, o->block_size, i);
		cxltier_block_put(r.pool, &ref);
	}
	if (ma)
		tb_unmap(ma, r.nr_move * o->block_size);
	if (mb)
		tb_unmap(mb, r.nr_move * o->block_size);
	cxltier_pool_destroy(r.pool);
	r.dev->close(r.dev);
	free(r.blocks);
	free(r.sums);
	free(r.moving);
	free(sel);
	free(mv);
	free(old);
	free(lat);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cxltier-bench blockmove [--json] [--check] [--blocks N]\n"
		"                               [--block-size BYTES] [--fraction F] [--reps N]\n"
		"                               [--device-pause-us US] [--slot-memcpy]\n"
		"Copy-then-swap moves of a block pool (one slab on the module's tier 0,\n"
		"one on its slowest tier, pinned once by the fake accelerator) against\n"
		"memcpy of the same bytes between the same nodes, while the device\n"
		"reads other blocks (--device-pause-us between two reads, default 100).\n"
		"Defaults: 128 blocks of 2 MiB, 0.25 of them moved each way, 9\n"
		"repetitions (median, min, max).  --check: 16 blocks,\n"
		"2 repetitions, correctness only (the device also reads moving blocks).\n"
		"--slot-memcpy: also time memcpy from the moving blocks' own slots.\n");
}

struct json_object *bm_json_stat3(const double *v, unsigned int n)
{
	struct json_object *o = json_object_new_object();
	double lo, hi, med = bm_median(v, n, &lo, &hi);

	json_object_object_add(o, "median", json_object_new_double(med));
	json_object_object_add(o, "min", json_object_new_double(lo));
	json_object_object_add(o, "max", json_object_new_double(hi));
	return o;
}

void bm_json_u64(struct json_object *j, const char *k, uint64_t v)
{
	json_object_object_add(j, k, json_object_new_int64((int64_t)v));
}

int cmd_blockmove(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "check", no_argument, NULL, 'C' },
		{ "blocks", required_argument, NULL, 'n' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "fraction", required_argument, NULL, 'f' },
		{ "reps", required_argument, NULL, 'r' },
		{ "device-pause-us", required_argument, NULL, 'p' },
		{ "slot-memcpy", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bm_opts o = { .blocks = 128, .block_size = 2 << 20, .fraction = 0.25,
			     .reps = 9, .pause_us = 100 };
	struct cxltier_options co = { .size = sizeof(co),
				      .flags = CXLTIER_OPEN_NO_AGENT };
	struct bm_result r1, r2, *rs[2] = { &r1, &r2 };
	int nodes[2] = { -1, -1 }, c, ret, set_blocks = 0, set_reps = 0;
	struct cxltier *ctx;
	struct json_object *j;
	uint64_t corrupt = 0, bad = 0, unpoisoned = 0, skipped = 0;
	double med, lo, hi, med2;
	char *end;
	unsigned int i;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		errno = 0;
		end = NULL;
		switch (c) {
		case 'j':
			o.json = 1;
			break;
		case 'C':
			o.check = 1;
			break;
		case 'n':
			o.blocks = (uint32_t)strtoul(optarg, &end, 0);
			set_blocks = 1;
			break;
		case 'b':
			o.block_size = strtoull(optarg, &end, 0);
			break;
		case 'f':
			o.fraction = strtod(optarg, &end);
			break;
		case 'r':
			o.reps = (unsigned int)strtoul(optarg, &end, 0);
			set_reps = 1;
			break;
		case 'p':
			o.pause_us = (unsigned int)strtoul(optarg, &end, 0);
			break;
		case 's':
			o.slot_memcpy = 1;
			break;
		case 'h':
			usage(stdout);
			return BENCH_EXIT_OK;
		default:
			usage(stderr);
			return BENCH_EXIT_USAGE;
		}
		if (errno || (end && *end)) {
			fprintf(stderr, "cxltier-bench: bad value '%s'\n", optarg);
			return BENCH_EXIT_USAGE;
		}
	}
	if (o.check) {
		if (!set_blocks)
			o.blocks = 16;
		if (!set_reps)
			o.reps = 2;
	}
	if (optind < argc || o.blocks < 2 || o.blocks > 65536 ||
	    !o.block_size || o.block_size % 4096 || o.block_size > (1ULL << 30) ||
	    !(o.fraction > 0 && o.fraction <= 0.5) || !o.reps ||
	    o.pause_us > 999999 ||
	    o.reps > BM_MAX_REPS) {
		usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	ret = cxltier_open(&co, &ctx);
	if (ret) {
		fprintf(stderr, "cxltier-bench: cannot open cxltier: %s\n",
			strerror(-ret));
		return BENCH_EXIT_NODEV;
	}
	ret = bm_pool(&o, ctx, 1, &r1, nodes);
	if (!ret)
		ret = bm_pool(&o, ctx, 2, &r2, nodes);
	cxltier_close(ctx);
	if (ret == -ENODEV)
		return BENCH_EXIT_NODEV;
	if (ret)
		return BENCH_EXIT_FAIL;

	for (i = 0; i < 2; i++) {
		corrupt += rs[i]->corrupt_blocks + rs[i]->corrupt_bytes;
		bad += rs[i]->device_bad_reads;
		unpoisoned += rs[i]->unpoisoned_old_slots;
		skipped += rs[i]->skipped;
	}
	med = bm_median(r1.ratio, r1.n, &lo, &hi);
	med2 = bm_median(r2.ratio, r2.n, &lo, &hi);
	if (o.json) {
		j = json_object_new_object();
		json_object_object_add(j, "check", json_object_new_boolean(o.check));
		bm_json_u64(j, "block_bytes", o.block_size);
		bm_json_u64(j, "blocks", o.blocks);
		bm_json_u64(j, "moved_per_rep", (uint64_t)(o.blocks * o.fraction) ?
						    (uint64_t)(o.blocks * o.fraction) : 1);
		bm_json_u64(j, "reps", o.reps);
		bm_json_u64(j, "device_pause_us", o.pause_us);
		json_object_object_add(j, "slot_memcpy",
				       json_object_new_boolean(o.slot_memcpy));
		json_object_object_add(j, "dram_node", json_object_new_int(nodes[0]));
		json_object_object_add(j, "far_node", json_object_new_int(nodes[1]));
		if (!o.check) {
			json_object_object_add(j, "blockmove_ratio_to_memcpy",
					       bm_json_stat3(r1.ratio, r1.n));
			json_object_object_add(j, "blockmove_ratio_to_memcpy_2threads",
					       bm_json_stat3(r2.ratio, r2.n));
			json_object_object_add(j, "memcpy_gbps",
					       bm_json_stat3(r1.memcpy_gbps, r1.n));
			json_object_object_add(j, "blockmove_gbps",
					       bm_json_stat3(r1.move_gbps, r1.n));
			if (o.slot_memcpy)
				json_object_object_add(j, "slot_memcpy_gbps",
						       bm_json_stat3(r1.slot_gbps, r1.n));
			json_object_object_add(j, "blockmove_gbps_2threads",
					       bm_json_stat3(r2.move_gbps, r2.n));
			json_object_object_add(j, "pool_copy_gbps",
					       json_object_new_double(r1.copy_gbps));
			json_object_object_add(j, "pool_copy_share",
					       json_object_new_double(r1.copy_share));
			json_object_object_add(j, "block_latency_us_p50",
					       json_object_new_double(r1.p50_us));
			json_object_object_add(j, "block_latency_us_p99",
					       json_object_new_double(r1.p99_us));
			json_object_object_add(j, "cpu_s_per_gib",
					       json_object_new_double(r1.cpu_s_per_gib));
			json_object_object_add(j, "cpu_s_per_gib_2threads",
					       json_object_new_double(r2.cpu_s_per_gib));
		}
		bm_json_u64(j, "moved_blocks", r1.moved_blocks + r2.moved_blocks);
		bm_json_u64(j, "checked_blocks", r1.checked_blocks + r2.checked_blocks);
		bm_json_u64(j, "corrupt_blocks", r1.corrupt_blocks + r2.corrupt_blocks);
		bm_json_u64(j, "corrupt_bytes", r1.corrupt_bytes + r2.corrupt_bytes);
		bm_json_u64(j, "old_slots_poisoned",
			r1.poisoned_old_slots + r2.poisoned_old_slots);
		bm_json_u64(j, "old_slots_not_poisoned", unpoisoned);
		bm_json_u64(j, "skipped_blocks", skipped);
		bm_json_u64(j, "device_reads", r1.device_reads + r2.device_reads);
		bm_json_u64(j, "device_bad_reads", bad);
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	} else {
		printf("blockmove: %u blocks of %llu KiB, %u moved each way, node %d <-> %d, %u reps\n",
		       o.blocks, (unsigned long long)(o.block_size >> 10),
		       (uint32_t)(o.blocks * o.fraction), nodes[0], nodes[1], o.reps);
		if (!o.check)
			printf("  ratio to memcpy: %.3f (1 thread), %.3f (2 threads)\n"
			       "  the pool's copies: %.3f GB/s, %.0f%% of the moves' time\n"
			       "  per block: p50 %.0f us, p99 %.0f us; %.3f CPU s/GiB\n",
			       med, med2, r1.copy_gbps, 100.0 * r1.copy_share,
			       r1.p50_us, r1.p99_us, r1.cpu_s_per_gib);
		if (!o.check && o.slot_memcpy)
			printf("  memcpy %.3f GB/s, from the blocks' own slots %.3f GB/s\n",
			       bm_median(r1.memcpy_gbps, r1.n, &lo, &hi),
			       bm_median(r1.slot_gbps, r1.n, &lo, &hi));
		printf("  %llu blocks moved and checked, %llu corrupt, %llu old slots not poisoned, "
		       "%llu device reads (%llu bad)\n",
		       (unsigned long long)(r1.checked_blocks + r2.checked_blocks),
		       (unsigned long long)corrupt, (unsigned long long)unpoisoned,
		       (unsigned long long)(r1.device_reads + r2.device_reads),
		       (unsigned long long)bad);
	}
	if (corrupt || bad || unpoisoned || skipped) {
		fprintf(stderr, "cxltier-bench: blockmove: %llu corrupt, %llu bad device reads, "
			"%llu old slots not poisoned, %llu skipped\n",
			(unsigned long long)corrupt, (unsigned long long)bad,
			(unsigned long long)unpoisoned, (unsigned long long)skipped);
		return BENCH_EXIT_FAIL;
	}
	return BENCH_EXIT_OK;
}
