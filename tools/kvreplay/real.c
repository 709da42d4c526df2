// SPDX-License-Identifier: GPL-2.0
/*
 * real: the trace played for real on a pinned buffer (--real-mode=buffer).
 *
 * One pool of pinned memory, one chunk per distinct block of the trace
 * prefix, registered through libcxltier with the fake accelerator's
 * adapter ("test-accel": the pool is long-term pinned the way a GPU
 * driver pins it, so cxltierd can only move a chunk through the release /
 * move / re-pin handshake) and device heat only.  cxltierd runs as our
 * child, with the settings of the simulation scaled to the run's speed
 * and chunk size (scale.h), in a directory of its own.
 *
 *  - placement: blocks are numbered in order of creation, and the
 *    allocator puts a new block in DRAM while the pool's DRAM budget has
 *    room, then in far memory.  The policy never takes the pool's DRAM
 *    below its budget once full (it swaps, and demotes only what is over
 *    the class's share), so the first budget blocks are the DRAM ones:
 *    the pool is laid out that way before it is pinned (a pinned page
 *    must exist), and each block is checked to be where the rule says
 *    when it is created (info->misplaced);
 *  - a request, at its time divided by the speed, writes each new block
 *    (a pattern derived from the block number) and reads each block it
 *    had before: a device read of the block's first page through the
 *    fake accelerator, checked against the pattern, and an access report
 *    through cxltier_report(), sent at the end of the request.  A read
 *    is a DRAM hit when the block's pages are on a DRAM node at that
 *    moment, as move_pages(2) tells (the kernel's placement, not a model);
 *  - every block is checked against its pattern after each move and at
 *    the end.
 */
#include <errno.h>
#include <numaif.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/cxltier.h>
#include <linux/cxltier_test_accel.h>

#include "clock.h"
#include "kdev.h"
#include "libcxltier.h"
#include "real_setup.h"

/* Bytes of a block a device read covers. */
#define READ_BYTES	4096

/**
 * struct pool - the replay's state
 * @tb: the pinned pool (chunk n is block n); its lock serialises device
 *	reads, block creation and the handshake, and protects @from and
 *	@created
 * @t: the trace
 * @p: parameters
 * @info: counters for the report
 * @res: the result
 * @is_dram: node n is in the DRAM tier (as cxltierd sees it)
 * @sum: checksum of each block's first READ_BYTES, once created
 * @from: node of a released block before its move
 * @created: blocks created so far (they are 0..created-1)
 * @kd: /dev/cxltier, for epoch events and the heat log
 * @id: the pool's range id
 * @heat: room for the heat log's chunks
 * @samples: heat log samples written
 */
struct pool {
	struct tb_pool tb;
	const struct kvr_trace *t;
	const struct kvr_params *p;
	struct kvr_real_info *info;
	struct kvr_result *res;
	bool is_dram[CONFIG_MAX_NODES];
	uint64_t *sum;
	int *from;
	uint32_t created;
	struct kdev kd;
	uint32_t id;
	struct cxltier_chunk_heat *heat;
	uint64_t samples;
};

static uint8_t *block_addr(const struct pool *pl, uint32_t b)
{
	return tb_pool_chunk(&pl->tb, b);
}

/* Node of the first page of block @b, or -errno. */
static int block_node(const struct pool *pl, uint32_t b)
{
	return tb_page_node(block_addr(pl, b));
}

/* --- the handshake: the device lets go of a range, takes it back --------- */

/* Under the pool's lock: where the blocks are before the move. */
static void on_released(struct tb_pool *tb, uint32_t first, uint32_t end)
{
	struct pool *pl = tb->priv;
	uint32_t c;

	for (c = first; c < end; c++)
		pl->from[c] = block_node(pl, c);
}

/* Under the pool's lock: which way each block went, and its bytes. */
static void on_repinned(struct tb_pool *tb, uint32_t first, uint32_t end)
{
	struct pool *pl = tb->priv;
	uint32_t c;
	int to;

	for (c = first; c < end; c++) {
		to = block_node(pl, c);
		if (to >= 0 && pl->from[c] >= 0 && to < CONFIG_MAX_NODES &&
		    pl->from[c] < CONFIG_MAX_NODES &&
		    pl->is_dram[to] != pl->is_dram[pl->from[c]]) {
			if (pl->is_dram[to])
				pl->res->promoted++;
			else
				pl->res->demoted++;
		}
		if (c < pl->created) {
			pl->info->corrupt_bytes +=
				tb_pattern_check(block_addr(pl, c), tb->chunk, c);
			pl->info->bytes_verified += tb->chunk;
		}
	}
}

static const struct tb_pool_ops pool_ops = {
	.released = on_released,
	.repinned = on_repinned,
};

/* --- the run -------------------------------------------------------------- */

/*
 * Lay the pool out: blocks below the budget on the DRAM node, the others
 * on the far node with the most room, each page written once.
 */
static int layout(struct pool *pl, const struct config *cfg, char *err, size_t errlen)
{
	struct cxltier_node_info *nodes = NULL;
	uint64_t room[CONFIG_MAX_NODES] = { 0 }, w;
	uint32_t nr = 0, tiers, i, b;
	bool used[CONFIG_MAX_NODES] = { false };
	struct kdev dev;
	int rc, best;
	size_t len = 0;

	rc = kdev_open(&dev, NULL);
	if (!rc) {
		rc = kdev_get_nodes(&dev, &nodes, &nr, &tiers);
		kdev_close(&dev);
	}
	if (rc) {
		snprintf(err, errlen, "cannot list memory nodes: %s", strerror(-rc));
		return rc;
	}
	for (i = 0; i < nr; i++) {
		if (nodes[i].node >= CONFIG_MAX_NODES)
			continue;
		pl->is_dram[nodes[i].node] = kvr_real_node_is_dram(cfg, &nodes[i]);
		if (kvr_real_node_is_far(cfg, &nodes[i]) && (nodes[i].free_kB << 10) > KVR_REAL_FAR_MARGIN)
			room[nodes[i].node] = (nodes[i].free_kB << 10) - KVR_REAL_FAR_MARGIN;
	}
	free(nodes);
	for (b = 0; b < pl->t->nr_blocks; b++) {
		int node = pl->info->dram_node;

		if (b >= pl->p->dram_blocks) {
			best = -1;
			for (i = 0; i < CONFIG_MAX_NODES; i++)
				if (room[i] >= pl->tb.chunk && (best < 0 || room[i] > room[best]))
					best = (int)i;
			if (best < 0) {
				snprintf(err, errlen, "the pool (%zu MiB) does not fit in far memory",
					 pl->tb.bytes >> 20);
				return -ENOSPC;
			}
			room[best] -= pl->tb.chunk;
			node = best;
			used[best] = true;
		}
		rc = tb_bind(block_addr(pl, b), pl->tb.chunk, node);
		if (rc) {
			snprintf(err, errlen, "mbind to node %d: %s", node, strerror(-rc));
			return rc;
		}
		for (w = 0; w < pl->tb.chunk; w += 4096)
			block_addr(pl, b)[w] = 0;
	}
	for (i = 0; i < CONFIG_MAX_NODES; i++)
		if (used[i] && len < sizeof(pl->info->far_nodes) - 16)
			len += snprintf(pl->info->far_nodes + len,
					sizeof(pl->info->far_nodes) - len, "%s%u", len ? "," : "", i);
	/* The policy only placed the pages: migration must not obey it. */
	rc = tb_unbind(pl->tb.base, pl->tb.bytes);
	if (rc) {
		snprintf(err, errlen, "mbind: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

/* Where pool blocks are now: @nr first pages of @blocks into @status. */
static int query(struct pool *pl, const uint32_t *blocks, size_t nr, void **pages, int *status)
{
	size_t i;

	for (i = 0; i < nr; i++)
		pages[i] = block_addr(pl, blocks[i]);
	return nr && move_pages(0, nr, pages, NULL, status, 0) < 0 ? -errno : 0;
}

/* The device reads block @b's first page; 0 when it saw the right bytes. */
static int device_read(struct pool *pl, uint32_t b)
{
	uint64_t sum;

	pl->info->dma_reads++;
	if (tb_pool_dma(&pl->tb, b, 0, READ_BYTES, 0, 0, &sum) || sum != pl->sum[b]) {
		pl->info->dma_errors++;
		return -EIO;
	}
	return 0;
}

/* One request, under the lock. */
static void request(struct pool *pl, const struct kvr_request *q, void **pages,
		    int *status, uint32_t *reused)
{
	const uint32_t *blk = &pl->t->blocks[q->first];
	size_t nr_reused = 0, k = 0, i;
	int node, rc;

	for (i = 0; i < q->nr; i++)
		if (blk[i] < pl->created)
			reused[nr_reused++] = blk[i];
	rc = query(pl, reused, nr_reused, pages, status);
	for (i = 0; i < q->nr; i++) {
		uint32_t b = blk[i];
		int first = b >= pl->created;
		int hit = 0;

		if (first) {
			/* Dense ids follow creation: b == created. */
			uint8_t *a = block_addr(pl, b);

			tb_pattern_fill(a, pl->tb.chunk, b);
			pl->sum[b] = tb_fnv(CXLTA_FNV_OFFSET, a, READ_BYTES);
			pl->created = b + 1;
			node = block_node(pl, b);
			if (node < 0 || node >= CONFIG_MAX_NODES ||
			    pl->is_dram[node] != (b < pl->p->dram_blocks))
				pl->info->misplaced++;
			if (pl->p->report_writes)
				cxltier_report(pl->tb.buf, (uint64_t)b * pl->tb.chunk, pl->tb.chunk, 1);
		} else {
			/* A block may come twice in a request: it is reused once. */
			if (k < nr_reused && reused[k] == b)
				node = rc ? rc : status[k++];
			else	/* created earlier in this request */
				node = block_node(pl, b);
			if (pl->tb.released[b]) {
				/* Being moved: it is still where it was. */
				node = pl->from[b];
				pl->info->dma_skipped++;
			} else {
				device_read(pl, b);
			}
			hit = node >= 0 && node < CONFIG_MAX_NODES && pl->is_dram[node];
			cxltier_report(pl->tb.buf, (uint64_t)b * pl->tb.chunk, pl->tb.chunk, 1);
		}
		kvr_account(pl->res, hit, first);
	}
}

/*
 * One sample of the heat log, in the format of kvreplay --simulate's
 * (cxltierctl heatmap --input): the module's heat of the first chunks
 * and the tier their pages are on, "0 -1" for a block not created yet.
 */
static void heat_sample(struct pool *pl)
{
	const struct kvr_params *p = pl->p;
	uint32_t nr = pl->t->nr_blocks < p->heat_log_chunks ? pl->t->nr_blocks :
							      p->heat_log_chunks;
	uint32_t i, total;

	if (kdev_get_heat(&pl->kd, pl->id, 0, pl->heat, nr, 0, &total, NULL))
		return;
	for (i = 0; i < nr; i++) {
		const struct cxltier_chunk_heat *h = &pl->heat[i];
		int tier = -1;

		if (i < pl->created && h->node >= 0 && h->node < CONFIG_MAX_NODES)
			tier = pl->is_dram[h->node] ? 0 : 1;
		fprintf(p->heat_log, "%llu %u %.3f %d\n", (unsigned long long)pl->samples, i,
			i < pl->created ? (double)h->heat / CXLTIER_HEAT_ONE : 0.0, tier);
	}
	fputc('\n', p->heat_log);
	pl->samples++;
}

static int replay(struct pool *pl, uint32_t speed)
{
	const struct kvr_trace *t = pl->t;
	uint32_t maxn = 1, *reused;
	void **pages;
	int *status;
	struct kvr_real_clock clk;
	double every, next_sample;
	size_t r;

	for (r = 0; r < t->nr_req; r++)
		if (t->req[r].nr > maxn)
			maxn = t->req[r].nr;
	pages = calloc(maxn, sizeof(*pages));
	status = calloc(maxn, sizeof(*status));
	reused = calloc(maxn, sizeof(*reused));
	if (!pages || !status || !reused) {
		free(pages);
		free(status);
		free(reused);
		return -ENOMEM;
	}
	/*
	 * Start right after a heat epoch ends, as the trace's first epoch
	 * starts with it in the simulation: the module's epochs are then in
	 * phase with the trace (the epoch timer otherwise shifts decisions
	 * by up to an epoch against the requests).
	 */
	kvr_real_wait_epoch(&pl->kd, pl->info->cfg_wall.epoch_ms);
	kvr_real_clock_start(&clk);
	/* Heat log: a sample every heat_log_every intervals of trace. */
	every = (double)pl->p->cfg.interval_ms * pl->p->heat_log_every / 1000 / speed;
	next_sample = clk.t0;
	for (r = 0; r < t->nr_req; r++) {
		const struct kvr_request *q = &t->req[r];

		if (pl->p->heat_log && clock_now_s() >= next_sample) {
			heat_sample(pl);
			next_sample += every;
		}
		kvr_real_clock_wait(&clk, q->t_ms, speed, &pl->info->max_late_ms);
		pthread_mutex_lock(&pl->tb.lock);
		request(pl, q, pages, status, reused);
		pthread_mutex_unlock(&pl->tb.lock);
		cxltier_flush(pl->tb.ctx);
	}
	pl->info->wall_s = clock_now_s() - clk.t0;
	if (pl->p->heat_log)
		heat_sample(pl);
	free(pages);
	free(status);
	free(reused);
	return 0;
}

int kvr_real_run_buffer(const struct kvr_trace *t, struct kvr_params *p,
			const struct kvr_real_opts *o, struct kvr_real_info *info,
			struct kvr_result *res, char *err, size_t errlen)
{
	struct pool pl = {
		.t = t,
		.p = p,
		.info = info,
		.res = res,
	};
	struct tb_pool_reg reg = {
		.label = o->label,
		.sources = CXLTIER_BUF_SRC_DEVICE,
		.log = kvr_real_lib_log,
	};
	bool kd_open = false, pool_init = false;
	struct tb_agent agent;
	uint64_t block = p->block_bytes;
	uint32_t b;
	int rc;

	rc = kvr_real_agent_setup(o, &agent, info, err, errlen);
	if (rc)
		goto out;

	pl.sum = calloc(t->nr_blocks ? t->nr_blocks : 1, sizeof(*pl.sum));
	pl.from = calloc(t->nr_blocks ? t->nr_blocks : 1, sizeof(*pl.from));
	if (!pl.sum || !pl.from || !t->nr_blocks) {
		rc = t->nr_blocks ? -ENOMEM : -EINVAL;
		snprintf(err, errlen, "%s", t->nr_blocks ? "out of memory" : "an empty trace");
		goto out;
	}
	/*
	 * Chunk-aligned, so that chunk n is block n.  A chunk smaller than a
	 * huge page cannot move alone out of one whose other chunks stay
	 * pinned (the move fails): no huge pages then.
	 */
	rc = tb_pool_init(&pl.tb, t->nr_blocks, block,
			  TB_MAP_NORESERVE | (block < (2 << 20) ? TB_MAP_NOTHP : 0));
	if (rc) {
		snprintf(err, errlen, "a pool of %llu MiB: %s",
			 (unsigned long long)(t->nr_blocks * block) >> 20, strerror(-rc));
		goto out;
	}
	pool_init = true;
	pl.tb.ops = &pool_ops;
	pl.tb.priv = &pl;
	rc = layout(&pl, &p->cfg, err, errlen);
	if (rc)
		goto out;
	kvr_real_story(o, "pool:     %u blocks of %llu KiB (%zu MiB): %u in DRAM (node %d), the rest on node %s\n",
	      t->nr_blocks, (unsigned long long)(block >> 10), pl.tb.bytes >> 20,
	      p->dram_blocks, info->dram_node, info->far_nodes[0] ? info->far_nodes : "-");

	rc = kvr_real_agent_start(o, &agent, info, err, errlen);
	if (rc)
		goto out;

	kvr_real_lib_quiet(false);
	reg.socket = agent.socket;
	rc = tb_pool_register(&pl.tb, &reg, err, errlen);
	if (rc)
		goto out;
	pl.id = cxltier_buffer_id(pl.tb.buf);
	rc = kdev_open(&pl.kd, NULL);
	if (rc) {
		snprintf(err, errlen, "%s: %s", CXLTIER_DEV_PATH, strerror(-rc));
		goto out;
	}
	kd_open = true;
	if (p->heat_log) {
		uint32_t nr = t->nr_blocks < p->heat_log_chunks ? t->nr_blocks :
								  p->heat_log_chunks;

		pl.heat = calloc(nr, sizeof(*pl.heat));
		if (!pl.heat) {
			rc = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		fprintf(p->heat_log,
			"# kvreplay --real heat log: sample = every %u intervals of %u ms of trace,\n"
			"# chunk = block in order of creation, heat in accesses (the module's),\n"
			"# tier 0 = DRAM, 1 = far memory (where the pages are), -1 = not created yet\n"
			"# sample chunk heat tier\n",
			p->heat_log_every, p->cfg.interval_ms);
	}
	info->dram_other = kvr_real_dram_other(&p->cfg, (uint64_t)p->dram_blocks * pl.tb.chunk);
	p->dram_other_bytes = info->dram_other;
	kvr_real_story(o, "buffer:   registered as range %u, label \"%s\", pinned by test-accel; replaying %zu requests at %ux\n",
	      pl.id, o->label, t->nr_req, o->speed);

	rc = replay(&pl, o->speed);
	if (rc) {
		snprintf(err, errlen, "replay: %s", strerror(-rc));
		goto out;
	}
	/* Every block, at the end. */
	pthread_mutex_lock(&pl.tb.lock);
	for (b = 0; b < pl.created; b++) {
		info->corrupt_bytes += tb_pattern_check(block_addr(&pl, b), block, b);
		info->bytes_verified += block;
	}
	pthread_mutex_unlock(&pl.tb.lock);
	rc = 0;
out:
	/*
	 * The daemon first, so that no move is under way when the pool goes
	 * (the library re-pins a range it was moving).
	 */
	kvr_real_lib_quiet(true);
	rc = kvr_real_agent_stop(o, &agent, info, rc, err, errlen);
	if (pool_init) {
		int urc = tb_pool_unregister(&pl.tb);

		if (urc && !rc) {
			rc = urc;
			snprintf(err, errlen, "cannot unregister the pool: %s", strerror(-urc));
		}
		info->handshakes = pl.tb.handshakes;
		tb_pool_destroy(&pl.tb);
	}
	if (kd_open)
		kdev_close(&pl.kd);
	free(pl.heat);
	free(pl.sum);
	free(pl.from);
	kvr_finish(res, p);
	/* A failed run keeps its directory, for the agent's log. */
	tb_agent_cleanup(&agent, rc != 0, NULL);
	return rc;
}
