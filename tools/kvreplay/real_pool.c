// SPDX-License-Identifier: GPL-2.0
/*
 * real_pool: the trace played for real on a libcxltier block pool, the
 * way a serving runtime keeps its KV cache (the default of --real).
 *
 * One pool with the fake accelerator's adapter ("test-accel": each slab
 * is long-term pinned once, the way a GPU driver pins it), block size
 * the run's, a DRAM slab of the run's DRAM budget (p->dram_blocks slots)
 * on the DRAM node and far slabs that together can hold every block,
 * on the far nodes in tier order (as much of each as it has room for).  cxltierd, our child with the scaled
 * settings, plans the pool's blocks from their heat and sends the
 * library advice; the library copies a block to a free slot of the
 * other slab and swaps it in on its own thread, never dropping a pin.
 *
 *  - a block's first access allocates it (CXLTIER_TIER_ANY: DRAM while
 *    the DRAM slab has a free slot, else far) and writes its pattern
 *    inside a write bracket;
 *  - a re-read is a device read of the block's first page through the
 *    fake accelerator (its pin handle and offset, from the read
 *    bracket), checked against the block's checksum; a DRAM hit when
 *    the bracket's slot is on tier 0;
 *  - a request's accesses go to the agent in one cxltier_pool_report();
 *  - a thread samples the slabs' pinned pages (the fake accelerator's
 *    own count) until teardown: a pin dropped would show as fewer;
 *  - every block is checked byte for byte at the end;
 *  - then, the daemon stopped, blocks of the same size are copied with
 *    memcpy between buffers on the pool's DRAM node and its first far
 *    slab's, each way, each copy timed alone as the library times its
 *    own: the pool's copy throughput is set against that.  (Measured
 *    during the replay instead, on an emulated machine, a thread that
 *    wakes to copy now and then is preempted so often that memcpy looks
 *    several times slower than the library's copies.)
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/cxltier_test_accel.h>

#include "clock.h"
#include "real_setup.h"

/* Bytes of a block a device read covers. */
#define READ_BYTES	4096
/* How often the slabs' pins are sampled, in ms. */
#define PIN_SAMPLE_MS	20
/* The memcpy yardstick: blocks in its buffers, passes there and back. */
#define YARD_BLOCKS	32
#define YARD_PASSES	3

/**
 * struct rpool - the replay's state
 * @t: the trace
 * @p: parameters
 * @info: counters for the report
 * @res: the result
 * @ctx: the library's context, connected to our cxltierd
 * @pool: the block pool
 * @accel: the fake accelerator (the slabs are pinned on it)
 * @blk: handle of each block, once created
 * @sum: checksum of each block's first READ_BYTES, once created
 * @batch: a request's blocks, for one report
 * @reads: heat log: device reads of each block since the last sample
 * @created: blocks created so far (they are 0..created-1)
 * @kd: /dev/cxltier, for epoch events
 * @nr_tiers: the pool's slabs: DRAM, then far memory
 * @slots: slots of each slab
 * @nodes: node of each slab
 * @handle: pin handle of each slab
 * @sampler: the pin sampler thread
 * @sampling: the sampler runs
 * @stop: the sampler must stop
 * @samples: heat log samples written
 */
struct rpool {
	const struct kvr_trace *t;
	const struct kvr_params *p;
	struct kvr_real_info *info;
	struct kvr_result *res;
	struct cxltier *ctx;
	struct cxltier_pool *pool;
	int accel;
	cxltier_block_t *blk;
	uint64_t *sum;
	cxltier_block_t *batch;
	uint32_t *reads;
	uint32_t created;
	struct kdev kd;
	unsigned int nr_tiers;
	uint32_t slots[CXLTIER_POOL_MAX_TIERS];
	int nodes[CXLTIER_POOL_MAX_TIERS];
	uint32_t handle[CXLTIER_POOL_MAX_TIERS];
	pthread_t sampler;
	bool sampling;
	atomic_int stop;
	uint64_t samples;
};

/* --- the pins ------------------------------------------------------------ */

/* Pages pinned now over all slabs, or -errno. */
static int64_t pinned_now(struct rpool *rp, uint64_t *pages)
{
	uint64_t n, pinned, total = 0, sum = 0;
	unsigned int t;
	int rc;

	for (t = 0; t < rp->nr_tiers; t++) {
		rc = tb_accel_pinned(rp->accel, rp->handle[t], &n, &pinned);
		if (rc)
			return rc;
		total += n;
		sum += pinned;
	}
	if (pages)
		*pages = total;
	return (int64_t)sum;
}

/*
 * The sampler: the pinned count never goes down while the pool lives.
 * Only this thread writes the pin counters until it is joined.
 */
static void *pin_sampler(void *arg)
{
	struct timespec ms = { 0, PIN_SAMPLE_MS * 1000000L };
	struct rpool *rp = arg;
	struct kvr_real_info *info = rp->info;
	uint64_t last = info->pinned_pages;
	int64_t now;

	while (!atomic_load(&rp->stop)) {
		now = pinned_now(rp, NULL);
		if (now < 0)
			now = 0;	/* a pin gone: as bad as a drop */
		info->pin_samples++;
		if ((uint64_t)now < last)
			info->pin_drops++;
		if ((uint64_t)now < info->pinned_min)
			info->pinned_min = (uint64_t)now;
		last = (uint64_t)now;
		nanosleep(&ms, NULL);
	}
	return NULL;
}

/*
 * Each slab's pin handle, from a block allocated there for a moment;
 * then the sampler, once the slabs are seen fully pinned.
 */
static int pins_start(struct rpool *rp, char *err, size_t errlen)
{
	struct cxltier_block_ref ref;
	cxltier_block_t b;
	uint64_t pages = 0;
	int64_t pinned;
	unsigned int t;
	int rc;

	for (t = 0; t < rp->nr_tiers; t++) {
		rc = cxltier_block_alloc(rp->pool, (int)t, &b);
		if (rc) {
			snprintf(err, errlen, "a block on pool tier %u: %s", t, strerror(-rc));
			return rc;
		}
		rc = cxltier_block_lookup(rp->pool, b, &ref);
		if (!rc)
			rc = cxltier_block_free(rp->pool, b);
		if (rc) {
			snprintf(err, errlen, "pool tier %u: %s", t, strerror(-rc));
			return rc;
		}
		if (!ref.handle || ref.handle > UINT32_MAX) {
			snprintf(err, errlen, "pool tier %u has no pin of the fake accelerator", t);
			return -ENODEV;
		}
		rp->handle[t] = (uint32_t)ref.handle;
	}
	pinned = pinned_now(rp, &pages);
	if (pinned < 0) {
		snprintf(err, errlen, "the fake accelerator's pins: %s", strerror((int)-pinned));
		return (int)pinned;
	}
	if ((uint64_t)pinned != pages) {
		snprintf(err, errlen, "the pool's slabs are %lld of %llu pages pinned",
			 (long long)pinned, (unsigned long long)pages);
		return -EIO;
	}
	rp->info->pinned_pages = pages;
	rp->info->pinned_min = pages;
	rc = -pthread_create(&rp->sampler, NULL, pin_sampler, rp);
	if (rc) {
		snprintf(err, errlen, "the pin sampler: %s", strerror(-rc));
		return rc;
	}
	rp->sampling = true;
	return 0;
}

/* --- the replay ---------------------------------------------------------- */

/*
 * A new block's slot: DRAM while it has a free one, else far memory
 * (CXLTIER_TIER_ANY).  With several far slabs, the one with the largest
 * share free: filling the faster one first would put it over the
 * daemon's watermarks, and it would spend its moves on demotions from
 * far memory to farther memory.
 */
static int alloc_block(struct rpool *rp, cxltier_block_t *blk)
{
	struct cxltier_pool_stats st = { .size = sizeof(st) };
	unsigned int t, best = 0;
	int rc;

	if (rp->nr_tiers <= 2)
		return cxltier_block_alloc(rp->pool, CXLTIER_TIER_ANY, blk);
	rc = cxltier_block_alloc(rp->pool, 0, blk);
	if (rc != -ENOSPC)
		return rc;
	rc = cxltier_pool_stats(rp->pool, &st);
	if (rc)
		return rc;
	for (t = 1; t < rp->nr_tiers; t++)
		if (!best || (uint64_t)st.slots_free[t] * rp->slots[best] >
			     (uint64_t)st.slots_free[best] * rp->slots[t])
			best = t;
	return cxltier_block_alloc(rp->pool, (int)best, blk);
}

/* Block @b's first access: allocated, its pattern written. */
static int create(struct rpool *rp, uint32_t b)
{
	struct cxltier_block_ref ref;
	uint64_t block = rp->p->block_bytes;
	int rc;

	rc = alloc_block(rp, &rp->blk[b]);
	if (rc)
		return rc;
	rc = cxltier_block_get(rp->pool, rp->blk[b], CXLTIER_BLOCK_WRITE, &ref);
	if (rc)
		return rc;
	tb_pattern_fill(ref.addr, block, b);
	rp->sum[b] = tb_fnv(CXLTA_FNV_OFFSET, ref.addr, READ_BYTES);
	if (ref.tier)
		rp->info->created_far++;
	cxltier_block_put(rp->pool, &ref);
	rp->created = b + 1;
	return 0;
}

/* The device reads block @b's first page; 1 if it was on DRAM. */
static int device_read(struct rpool *rp, uint32_t b)
{
	struct cxltier_block_ref ref;
	uint64_t sum;
	int hit;

	rp->info->dma_reads++;
	if (cxltier_block_get(rp->pool, rp->blk[b], 0, &ref)) {
		rp->info->dma_errors++;
		return 0;
	}
	hit = ref.tier == 0;
	if (tb_accel_dma(rp->accel, (uint32_t)ref.handle, ref.handle_offset, READ_BYTES,
			 0, 0, &sum, NULL) || sum != rp->sum[b])
		rp->info->dma_errors++;
	cxltier_block_put(rp->pool, &ref);
	return hit;
}

/* One request; 0 or -errno with @err set. */
static int request(struct rpool *rp, const struct kvr_request *q, char *err, size_t errlen)
{
	const uint32_t *blk = &rp->t->blocks[q->first];
	size_t n = 0, i;
	int rc;

	for (i = 0; i < q->nr; i++) {
		uint32_t b = blk[i];
		int first = b >= rp->created, hit = 0;

		if (first) {
			/* Dense ids follow creation: b == created. */
			rc = create(rp, b);
			if (rc) {
				snprintf(err, errlen, "block %u: %s", b, strerror(-rc));
				return rc;
			}
			if (rp->p->report_writes)
				rp->batch[n++] = rp->blk[b];
		} else {
			hit = device_read(rp, b);
			rp->reads[b]++;
			rp->batch[n++] = rp->blk[b];
		}
		kvr_account(rp->res, hit, first);
	}
	if (n && cxltier_pool_report(rp->pool, rp->batch, n, 1) < 0)
		rp->info->report_errors++;
	cxltier_flush(rp->ctx);
	return 0;
}

/*
 * One sample of the heat log, in the format of kvreplay --simulate's
 * (cxltierctl heatmap --input): each of the first blocks' device reads
 * since the previous sample and the tier of its slot, "0 -1" for a
 * block not created yet.
 */
static void heat_sample(struct rpool *rp)
{
	const struct kvr_params *p = rp->p;
	uint32_t nr = rp->t->nr_blocks < p->heat_log_chunks ? rp->t->nr_blocks :
							      p->heat_log_chunks;
	struct cxltier_block_ref ref;
	uint32_t i;
	int tier;

	for (i = 0; i < nr; i++) {
		tier = -1;
		if (i < rp->created && !cxltier_block_lookup(rp->pool, rp->blk[i], &ref))
			tier = ref.tier ? 1 : 0;
		fprintf(p->heat_log, "%llu %u %u %d\n", (unsigned long long)rp->samples, i,
			rp->reads[i], tier);
		rp->reads[i] = 0;
	}
	fputc('\n', p->heat_log);
	rp->samples++;
}

static int replay(struct rpool *rp, uint32_t speed, char *err, size_t errlen)
{
	const struct kvr_trace *t = rp->t;
	struct kvr_real_clock clk;
	double every, next_sample;
	uint32_t maxn = 1;
	size_t r;
	int rc;

	for (r = 0; r < t->nr_req; r++)
		if (t->req[r].nr > maxn)
			maxn = t->req[r].nr;
	rp->batch = calloc(maxn, sizeof(*rp->batch));
	if (!rp->batch) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* In phase with the module's epochs, as the simulation (see real.c). */
	kvr_real_wait_epoch(&rp->kd, rp->info->cfg_wall.epoch_ms);
	kvr_real_clock_start(&clk);
	every = (double)rp->p->cfg.interval_ms * rp->p->heat_log_every / 1000 / speed;
	next_sample = clk.t0;
	for (r = 0; r < t->nr_req; r++) {
		if (rp->p->heat_log && clock_now_s() >= next_sample) {
			heat_sample(rp);
			next_sample += every;
		}
		kvr_real_clock_wait(&clk, t->req[r].t_ms, speed, &rp->info->max_late_ms);
		rc = request(rp, &t->req[r], err, errlen);
		if (rc)
			return rc;
	}
	rp->info->wall_s = clock_now_s() - clk.t0;
	if (rp->p->heat_log)
		heat_sample(rp);
	return 0;
}

/* Every block, byte for byte by the CPU and its first page by the device. */
static void verify_all(struct rpool *rp)
{
	uint64_t block = rp->p->block_bytes, sum;
	struct cxltier_block_ref ref;
	uint32_t b;

	for (b = 0; b < rp->created; b++) {
		rp->info->bytes_verified += block;
		if (cxltier_block_get(rp->pool, rp->blk[b], 0, &ref)) {
			rp->info->corrupt_bytes += block;
			continue;
		}
		rp->info->corrupt_bytes += tb_pattern_check(ref.addr, block, b);
		if (tb_accel_dma(rp->accel, (uint32_t)ref.handle, ref.handle_offset,
				 READ_BYTES, 0, 0, &sum, NULL) || sum != rp->sum[b])
			rp->info->dma_errors++;
		cxltier_block_put(rp->pool, &ref);
	}
}

/* @len bytes placed on @node and written, or NULL. */
static void *placed(size_t len, int node)
{
	void *m = tb_map(len, 2 << 20, 0);

	if (!m)
		return NULL;
	if (tb_bind(m, len, node)) {
		tb_unmap(m, len);
		return NULL;
	}
	memset(m, 0x5a, len);
	return m;
}

/*
 * The yardstick: YARD_BLOCKS blocks copied there, then back, each timed
 * around its memcpy alone, YARD_PASSES times.
 */
static int yardstick(struct rpool *rp, char *err, size_t errlen)
{
	uint64_t bs = rp->p->block_bytes, t0;
	size_t len = YARD_BLOCKS * bs;
	uint8_t *a = placed(len, rp->nodes[0]), *b = placed(len, rp->nodes[1]);
	unsigned int pass, way, k;

	if (!a || !b) {
		if (a)
			tb_unmap(a, len);
		if (b)
			tb_unmap(b, len);
		snprintf(err, errlen, "cannot place %zu MiB on nodes %d and %d for memcpy",
			 len >> 20, rp->nodes[0], rp->nodes[1]);
		return -ENOMEM;
	}
	for (pass = 0; pass < YARD_PASSES; pass++)
		for (way = 0; way < 2; way++)
			for (k = 0; k < YARD_BLOCKS; k++) {
				uint8_t *from = way ? b : a, *to = way ? a : b;

				t0 = clock_now_ns();
				memcpy(to + k * bs, from + k * bs, bs);
				rp->info->memcpy_ns += clock_now_ns() - t0;
				rp->info->memcpy_bytes += bs;
			}
	tb_unmap(a, len);
	tb_unmap(b, len);
	return 0;
}

/* Stop the sampler (teardown starts). */
static void pins_stop(struct rpool *rp)
{
	atomic_store(&rp->stop, 1);
	if (rp->sampling)
		pthread_join(rp->sampler, NULL);
	rp->sampling = false;
}

/* Bytes far node @f of @info can give a slab. */
static uint64_t far_room(const struct kvr_real_info *info, unsigned int f)
{
	return info->far_free[f] > KVR_REAL_FAR_MARGIN ? info->far_free[f] - KVR_REAL_FAR_MARGIN : 0;
}

/*
 * The slabs: one of the DRAM budget, then one far slab that can hold
 * every block, on the far node with the most room.  When no far node
 * can, far slabs in tier order, each of what its node has room for,
 * until they can; at the least, every block that is not in DRAM.  (The
 * daemon also moves blocks between far slabs: one is better.)
 */
static int plan_slabs(struct rpool *rp, struct cxltier_pool_desc *d, char *err, size_t errlen)
{
	struct kvr_real_info *info = rp->info;
	uint64_t bs = rp->p->block_bytes, room, n, total = 0, fits = 0;
	uint64_t all = rp->t->nr_blocks, need = all - rp->p->dram_blocks;
	size_t len = 0;
	unsigned int f, one;

	if (!rp->p->dram_blocks) {
		snprintf(err, errlen, "a DRAM budget of 0 blocks");
		return -EINVAL;
	}
	d->nodes[0] = info->dram_node;
	d->slots[0] = rp->p->dram_blocks;
	d->nr_tiers = 1;
	info->far_nodes[0] = 0;
	for (f = 1, one = 0; f < info->nr_far; f++)
		if (far_room(info, f) > far_room(info, one))
			one = f;
	for (f = 0; f < info->nr_far && total < all; f++) {
		if (far_room(info, one) / bs >= all && f != one)
			continue;
		room = far_room(info, f);
		n = room / bs < all ? room / bs : all;
		fits += room / bs;
		if (!n)
			continue;
		d->nodes[d->nr_tiers] = info->far_node[f];
		d->slots[d->nr_tiers++] = (uint32_t)n;
		total += n;
		len += snprintf(info->far_nodes + len, sizeof(info->far_nodes) - len, "%s%d",
				len ? "," : "", info->far_node[f]);
	}
	if (total < need) {
		snprintf(err, errlen, "%llu blocks of %llu KiB do not fit in far memory (room for %llu)",
			 (unsigned long long)need, (unsigned long long)(bs >> 10),
			 (unsigned long long)fits);
		return -ENOSPC;
	}
	rp->nr_tiers = d->nr_tiers;
	memcpy(rp->slots, d->slots, sizeof(rp->slots));
	memcpy(rp->nodes, d->nodes, sizeof(rp->nodes));
	return 0;
}

/* The pool, pinned by the fake accelerator; 0 or -errno with @err set. */
static int pool_create(struct rpool *rp, const struct kvr_real_opts *o, char *err,
		       size_t errlen)
{
	struct cxltier_pool_desc d;
	char arg[32];
	int rc;

	memset(&d, 0, sizeof(d));
	rc = plan_slabs(rp, &d, err, errlen);
	if (rc)
		return rc;
	snprintf(arg, sizeof(arg), "fd=%d", rp->accel);
	d.size = sizeof(d);
	d.flags = CXLTIER_POOL_NODES;
	d.label = o->label;
	d.block_size = rp->p->block_bytes;
	d.nr_blocks = rp->t->nr_blocks;
	d.sources = CXLTIER_BUF_SRC_DEVICE;
	d.adapter = "test-accel";
	d.adapter_arg = arg;
	rc = cxltier_pool_create(rp->ctx, &d, &rp->pool);
	if (rc)
		snprintf(err, errlen, "a pool of %u blocks of %llu KiB, %u in DRAM (node %d), far on node %s: %s",
			 d.nr_blocks, (unsigned long long)(d.block_size >> 10), d.slots[0],
			 d.nodes[0], rp->info->far_nodes, strerror(-rc));
	return rc;
}

/* "N (node M), ..." of the far slabs, for the story. */
static void far_slabs(const struct rpool *rp, char *buf, size_t len)
{
	size_t at = 0;
	unsigned int t;

	buf[0] = 0;
	for (t = 1; t < rp->nr_tiers && at < len; t++)
		at += snprintf(buf + at, len - at, "%s%u (node %d)", t > 1 ? ", " : "",
			       rp->slots[t], rp->nodes[t]);
}

/*
 * Blocks moved each way, from the pool's counters: with one far slab
 * every copy goes into DRAM or out of it, and DRAM holds at the end what
 * was created there plus what came in less what went out.  With several
 * far slabs that does not split copies between far slabs: the daemon's
 * counts of its advice then.
 */
static void count_moves(struct rpool *rp, struct kvr_result *res)
{
	const struct kvr_real_info *info = rp->info;
	const struct cxltier_pool_stats *st = &info->pool;
	uint64_t created_dram = rp->created - info->created_far;
	int64_t in2 = (int64_t)st->moves + st->blocks_on[0] - (int64_t)created_dram;

	if (rp->nr_tiers == 2 && in2 >= 0 && in2 % 2 == 0 && (uint64_t)in2 / 2 <= st->moves) {
		res->promoted = (uint64_t)in2 / 2;
		res->demoted = st->moves - res->promoted;
	} else {
		res->promoted = info->agent_pool_promotions;
		res->demoted = info->agent_pool_demotions;
	}
}

/* The progress lines of the end, from @info and @res. */
static void summary(const struct kvr_real_opts *o, const struct kvr_real_info *info,
		    const struct kvr_result *res)
{
	const struct cxltier_pool_stats *st = &info->pool;

	kvr_real_story(o, "moved:    %llu blocks promoted, %llu demoted (cxltierd counted %llu and %llu); %llu copies, %llu MiB, at %.2f GB/s against memcpy %.2f GB/s (%.2fx)\n",
		       (unsigned long long)res->promoted, (unsigned long long)res->demoted,
		       (unsigned long long)info->agent_pool_promotions,
		       (unsigned long long)info->agent_pool_demotions,
		       (unsigned long long)st->moves, (unsigned long long)(st->bytes_moved >> 20),
		       kvr_real_copy_gbps(info), kvr_real_memcpy_gbps(info),
		       kvr_real_copy_ratio(info));
	kvr_real_story(o, "skipped:  %llu busy, %llu stale, %llu already there, %llu refused (full), %llu failed\n",
		       (unsigned long long)st->skipped_busy, (unsigned long long)st->skipped_stale,
		       (unsigned long long)st->skipped_same, (unsigned long long)st->refused_full,
		       (unsigned long long)st->failed);
	kvr_real_story(o, "pins:     %s: %llu pages, %llu samples, fewest %llu, %llu drops\n",
		       kvr_real_pins_held(info) ? "held throughout" : "DROPPED",
		       (unsigned long long)info->pinned_pages, (unsigned long long)info->pin_samples,
		       (unsigned long long)info->pinned_min, (unsigned long long)info->pin_drops);
	kvr_real_story(o, "verified: %llu MiB, %llu corrupt bytes; %llu device reads, %llu bad\n",
		       (unsigned long long)(info->bytes_verified >> 20),
		       (unsigned long long)info->corrupt_bytes, (unsigned long long)info->dma_reads,
		       (unsigned long long)info->dma_errors);
}

int kvr_real_run_pool(const struct kvr_trace *t, struct kvr_params *p,
		      const struct kvr_real_opts *o, struct kvr_real_info *info,
		      struct kvr_result *res, char *err, size_t errlen)
{
	struct rpool rp = {
		.t = t,
		.p = p,
		.info = info,
		.res = res,
		.accel = -1,
		.kd = { .fd = -1 },
	};
	struct cxltier_options co = { .size = sizeof(co), .log = kvr_real_lib_log };
	uint64_t block = p->block_bytes;
	struct tb_agent agent;
	char slabs[128];
	int rc;

	memset(&agent, 0, sizeof(agent));
	rc = kvr_real_agent_setup(o, &agent, info, err, errlen);
	if (rc)
		goto out;
	if (!t->nr_blocks) {
		rc = -EINVAL;
		snprintf(err, errlen, "an empty trace");
		goto out;
	}
	rp.blk = calloc(t->nr_blocks, sizeof(*rp.blk));
	rp.sum = calloc(t->nr_blocks, sizeof(*rp.sum));
	rp.reads = calloc(t->nr_blocks, sizeof(*rp.reads));
	if (!rp.blk || !rp.sum || !rp.reads) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rp.accel = tb_accel_open(0);
	if (rp.accel < 0) {
		rc = rp.accel;
		snprintf(err, errlen, "%s (the fake accelerator): %s", TB_ACCEL_DEV,
			 strerror(-rc));
		goto out;
	}
	rc = kdev_open(&rp.kd, NULL);
	if (rc) {
		snprintf(err, errlen, "%s: %s", CXLTIER_DEV_PATH, strerror(-rc));
		goto out;
	}
	rc = kvr_real_agent_start(o, &agent, info, err, errlen);
	if (rc)
		goto out;

	kvr_real_lib_quiet(false);
	co.socket_path = agent.socket;
	rc = cxltier_open(&co, &rp.ctx);
	if (rc) {
		snprintf(err, errlen, "cannot connect to %s: %s", agent.socket, strerror(-rc));
		goto out;
	}
	rc = pool_create(&rp, o, err, errlen);
	if (rc)
		goto out;
	rc = pins_start(&rp, err, errlen);
	if (rc)
		goto out;
	far_slabs(&rp, slabs, sizeof(slabs));
	kvr_real_story(o, "pool:     %u blocks of %llu KiB: a DRAM slab of %u (node %d), %s of %s; pinned once each by test-accel (%llu pages)\n",
		       t->nr_blocks, (unsigned long long)(block >> 10), p->dram_blocks,
		       info->dram_node, rp.nr_tiers > 2 ? "far slabs" : "a far slab", slabs,
		       (unsigned long long)info->pinned_pages);
	if (p->heat_log)
		fprintf(p->heat_log,
			"# kvreplay --real heat log (block pool): sample = every %u intervals of %u ms of trace,\n"
			"# chunk = block in order of creation, heat = device reads since the previous sample,\n"
			"# tier 0 = DRAM, 1 = far memory (the slot's slab), -1 = not created yet\n"
			"# sample chunk heat tier\n",
			p->heat_log_every, p->cfg.interval_ms);
	info->dram_other = kvr_real_dram_other(&p->cfg, (uint64_t)p->dram_blocks * block);
	p->dram_other_bytes = info->dram_other;
	kvr_real_story(o, "replay:   pool %u, label \"%s\"; %zu requests at %ux\n",
		       cxltier_pool_id(rp.pool), o->label, t->nr_req, o->speed);

	rc = replay(&rp, o->speed, err, errlen);
	if (rc)
		goto out;
	/* The agent first: no advice after this, the counters are final. */
	kvr_real_lib_quiet(true);
	rc = kvr_real_agent_stop(o, &agent, info, 0, err, errlen);
	if (rc)
		goto out;
	verify_all(&rp);
	info->pool.size = sizeof(info->pool);
	rc = cxltier_pool_stats(rp.pool, &info->pool);
	if (rc) {
		snprintf(err, errlen, "the pool's counters: %s", strerror(-rc));
		goto out;
	}
	rc = yardstick(&rp, err, errlen);
	if (rc)
		goto out;
	/* The pins until here: teardown starts. */
	pins_stop(&rp);
	count_moves(&rp, res);
	summary(o, info, res);
out:
	pins_stop(&rp);
	kvr_real_lib_quiet(true);
	rc = kvr_real_agent_stop(o, &agent, info, rc, err, errlen);
	if (rp.pool) {
		int drc = cxltier_pool_destroy(rp.pool);

		if (drc && !rc) {
			rc = drc;
			snprintf(err, errlen, "cannot destroy the pool: %s", strerror(-drc));
		}
	}
	if (rp.ctx)
		cxltier_close(rp.ctx);
	if (rp.kd.fd >= 0)
		kdev_close(&rp.kd);
	if (rp.accel >= 0)
		close(rp.accel);
	free(rp.blk);
	free(rp.sum);
	free(rp.reads);
	free(rp.batch);
	kvr_finish(res, p);
	/* kvr_finish counts whole blocks: the pool's own bytes are exact. */
	if (info->pool.size)
		res->migrated_bytes = info->pool.bytes_moved;
	/* A failed run keeps its directory, for the agent's log. */
	tb_agent_cleanup(&agent, rc != 0, NULL);
	return rc;
}
