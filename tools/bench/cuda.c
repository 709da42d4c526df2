// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench cuda: what a CUDA host pays for each tier, in one run.
 *
 *  - cudaHostRegister and cudaHostUnregister of a --slab-bytes slab on
 *    the DRAM node and on the far node (the nodes of the module's tier 0
 *    and slowest tier, as a block pool takes them): seconds per GiB.
 *    This is what the unpin / move / re-pin handshake pays per cycle on
 *    CUDA, and what a block pool pays once.
 *  - H2D bandwidth from each slab, registered: --block-size copies on one
 *    stream, as a runtime feeds KV blocks to the GPU.
 *  - blockmove with concurrent H2D traffic: a block pool pinned by
 *    libcxltier's cuda adapter (one cudaHostRegister per slab), a scattered
 *    --fraction of its blocks moved to the far slab and back by
 *    copy-then-swap while a thread copies the other blocks to the GPU
 *    without pause; the moves against memcpy of the same bytes, the H2D
 *    rate during the moves against the H2D rate alone, and every moved
 *    block copied to the GPU from its new slot and back and compared.
 *
 * The runtime is loaded with dlopen() (cudart.c); with none, or no GPU,
 * the command says so and exits 4 (skipped).
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/cxltier_test_accel.h>

#include "bench.h"
#include "blockmove.h"
#include "clock.h"
#include "cudart.h"
#include "libcxltier.h"

/**
 * struct cu_opts - the command line
 * @json: print JSON
 * @check: correctness only, small
 * @gpu: the CUDA device
 * @slab_bytes: bytes of each registration slab
 * @reps: repetitions (median, min, max)
 * @blocks: blocks in the blockmove pool
 * @block_size: bytes per block, and per H2D copy
 * @fraction: share of the blocks moved each way per repetition
 */
struct cu_opts {
	int json;
	int check;
	int gpu;
	uint64_t slab_bytes;
	unsigned int reps;
	uint32_t blocks;
	uint64_t block_size;
	double fraction;
};

/**
 * struct cu_reader - one reader's GPU side
 * @stream: its stream
 * @dev: a device buffer of one block
 * @host: with a checksum asked for, the block copied back (pageable)
 */
struct cu_reader {
	void *stream;
	void *dev;
	uint8_t *host;
};

/**
 * struct cu_gpu - the GPU as struct bm_device's priv
 * @rt: the runtime
 * @readers: the traffic thread's and the verifier's
 * @block_size: bytes of each reader's buffers
 * @gpu: the device, made current in each thread that reads
 * @errors: failed CUDA calls (the first is printed)
 */
struct cu_gpu {
	struct cudart *rt;
	struct cu_reader readers[BM_NR_READERS];
	uint64_t block_size;
	int gpu;
	unsigned int errors;
};

/* The CUDA runtime's current device is per thread. */
static __thread int cu_thread_gpu = -1;

static int cu_fail(struct cu_gpu *g, const char *call, int rc)
{
	if (!g->errors++)
		fprintf(stderr, "cxltier-bench: %s: %s\n", call,
			cudart_strerror(g->rt, rc));
	return -EIO;
}

static void gpu_close(struct bm_device *d)
{
	struct cu_gpu *g = d->priv;
	unsigned int i;

	for (i = 0; i < BM_NR_READERS; i++) {
		if (g->readers[i].stream)
			g->rt->stream_destroy(g->readers[i].stream);
		if (g->readers[i].dev)
			g->rt->free(g->readers[i].dev);
		free(g->readers[i].host);
		memset(&g->readers[i], 0, sizeof(g->readers[i]));
	}
}

static int gpu_open(struct bm_device *d, uint64_t block_size)
{
	struct cu_gpu *g = d->priv;
	struct cu_reader *r;
	unsigned int i;
	int rc;

	g->block_size = block_size;
	for (i = 0; i < BM_NR_READERS; i++) {
		r = &g->readers[i];
		rc = g->rt->stream_create(&r->stream);
		if (rc == CUDART_SUCCESS)
			rc = g->rt->malloc(&r->dev, block_size);
		if (rc != CUDART_SUCCESS) {
			cu_fail(g, "cudaStreamCreate/cudaMalloc", rc);
			gpu_close(d);
			return -ENOMEM;
		}
		r->host = malloc(block_size);
		if (!r->host) {
			gpu_close(d);
			return -ENOMEM;
		}
	}
	return 0;
}

/* H2D of the block on @reader's stream; with @sum, back to the host too. */
static int gpu_read(struct bm_device *d, enum bm_reader reader,
		    const struct cxltier_block_ref *ref, uint64_t len,
		    uint64_t *sum)
{
	struct cu_gpu *g = d->priv;
	struct cu_reader *r = &g->readers[reader];
	int rc;

	if (len > g->block_size)
		return -EINVAL;
	if (cu_thread_gpu != g->gpu) {
		rc = g->rt->set_device(g->gpu);
		if (rc != CUDART_SUCCESS)
			return cu_fail(g, "cudaSetDevice", rc);
		cu_thread_gpu = g->gpu;
	}
	rc = g->rt->memcpy_async(r->dev, ref->addr, len, CUDART_MEMCPY_H2D,
				 r->stream);
	if (rc != CUDART_SUCCESS)
		return cu_fail(g, "cudaMemcpyAsync", rc);
	rc = g->rt->stream_synchronize(r->stream);
	if (rc != CUDART_SUCCESS)
		return cu_fail(g, "cudaStreamSynchronize", rc);
	if (!sum)
		return 0;
	rc = g->rt->memcpy(r->host, r->dev, len, CUDART_MEMCPY_D2H);
	if (rc != CUDART_SUCCESS)
		return cu_fail(g, "cudaMemcpy", rc);
	*sum = tb_fnv(CXLTA_FNV_OFFSET, r->host, len);
	return 0;
}

/**
 * struct cu_slab - one node's figures
 * @node: the node
 * @reg_s_gib: cudaHostRegister seconds per GiB, per repetition
 * @unreg_s_gib: cudaHostUnregister seconds per GiB
 * @h2d_gbps: H2D GB/s from the registered slab
 */
struct cu_slab {
	int node;
	double reg_s_gib[BM_MAX_REPS];
	double unreg_s_gib[BM_MAX_REPS];
	double h2d_gbps[BM_MAX_REPS];
};

/* Register, unregister, H2D: @o->reps times on a slab of @s->node. */
static int cu_slab(const struct cu_opts *o, struct cu_gpu *g, struct cu_slab *s)
{
	double gib = (double)o->slab_bytes / (double)(1ULL << 30);
	struct cu_reader *r = &g->readers[BM_TRAFFIC];
	uint8_t *p = bm_buffer(o->slab_bytes, s->node);
	uint64_t t0, t1, t2, off;
	unsigned int rep;
	int rc, ret = -EIO;

	if (!p) {
		fprintf(stderr, "cxltier-bench: cannot place %llu bytes on node %d\n",
			(unsigned long long)o->slab_bytes, s->node);
		return -ENOMEM;
	}
	for (rep = 0; rep < o->reps; rep++) {
		t0 = clock_now_ns();
		rc = g->rt->host_register(p, o->slab_bytes,
					  CUDART_HOST_REGISTER_PORTABLE);
		t1 = clock_now_ns();
		if (rc != CUDART_SUCCESS) {
			cu_fail(g, "cudaHostRegister", rc);
			goto out;
		}
		s->reg_s_gib[rep] = (double)(t1 - t0) / 1e9 / gib;
		/* H2D from the pinned slab, one block at a time. */
		for (off = 0; off + o->block_size <= o->slab_bytes && !rc;
		     off += o->block_size)
			rc = g->rt->memcpy_async(r->dev, p + off, o->block_size,
						 CUDART_MEMCPY_H2D, r->stream);
		if (rc == CUDART_SUCCESS)
			rc = g->rt->stream_synchronize(r->stream);
		t2 = clock_now_ns();
		if (rc != CUDART_SUCCESS) {
			cu_fail(g, "cudaMemcpyAsync", rc);
			g->rt->host_unregister(p);
			goto out;
		}
		s->h2d_gbps[rep] = (double)off / (double)(t2 - t1 ? t2 - t1 : 1);
		t1 = clock_now_ns();
		rc = g->rt->host_unregister(p);
		t2 = clock_now_ns();
		if (rc != CUDART_SUCCESS) {
			cu_fail(g, "cudaHostUnregister", rc);
			goto out;
		}
		s->unreg_s_gib[rep] = (double)(t2 - t1) / 1e9 / gib;
	}
	ret = 0;
out:
	tb_unmap(p, o->slab_bytes);
	return ret;
}

static struct json_object *per_tier(const struct cu_slab *s, size_t field,
				    unsigned int n)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "dram",
			       bm_json_stat3((const double *)((const char *)&s[0] + field), n));
	json_object_object_add(o, "far",
			       bm_json_stat3((const double *)((const char *)&s[1] + field), n));
	return o;
}

static int cu_skip(const struct cu_opts *o, const char *why)
{
	struct json_object *j;

	fprintf(stderr, "cxltier-bench cuda: skipped: %s\n", why);
	if (o->json) {
		j = json_object_new_object();
		json_object_object_add(j, "skipped", json_object_new_boolean(1));
		json_object_object_add(j, "reason", json_object_new_string(why));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	}
	return BENCH_EXIT_SKIP;
}

static void cu_print(const struct cu_opts *o, const struct cudart *rt,
		     const struct cu_slab *s, const struct bm_result *bm)
{
	double lo, hi, h2d_alone, h2d_moves, ratio;
	struct json_object *j;

	h2d_alone = bm_median(s[0].h2d_gbps, o->reps, &lo, &hi);
	h2d_moves = bm_median(bm->traffic_gbps, bm->n, &lo, &hi);
	ratio = bm_median(bm->ratio, bm->n, &lo, &hi);
	if (!o->json) {
		printf("cuda: %s (runtime %d), device %d of %d; node %d (DRAM), node %d (far)\n",
		       rt->path, rt->version, o->gpu, rt->devices, s[0].node, s[1].node);
		if (o->check) {
			printf("  %llu blocks moved and checked on the GPU, %llu corrupt\n",
			       (unsigned long long)bm->checked_blocks,
			       (unsigned long long)(bm->corrupt_blocks + bm->corrupt_bytes));
			return;
		}
		printf("  cudaHostRegister   %.3f s/GiB DRAM, %.3f s/GiB far\n",
		       bm_median(s[0].reg_s_gib, o->reps, &lo, &hi),
		       bm_median(s[1].reg_s_gib, o->reps, &lo, &hi));
		printf("  cudaHostUnregister %.3f s/GiB DRAM, %.3f s/GiB far\n",
		       bm_median(s[0].unreg_s_gib, o->reps, &lo, &hi),
		       bm_median(s[1].unreg_s_gib, o->reps, &lo, &hi));
		printf("  H2D %.2f GB/s from DRAM, %.2f GB/s from far\n", h2d_alone,
		       bm_median(s[1].h2d_gbps, o->reps, &lo, &hi));
		printf("  blockmove under H2D: %.3f of memcpy; H2D meanwhile %.2f GB/s (%.2f of alone)\n",
		       ratio, h2d_moves, h2d_alone > 0 ? h2d_moves / h2d_alone : 0);
		printf("  %llu blocks moved and checked on the GPU, %llu corrupt\n",
		       (unsigned long long)bm->checked_blocks,
		       (unsigned long long)(bm->corrupt_blocks + bm->corrupt_bytes));
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "skipped", json_object_new_boolean(0));
	json_object_object_add(j, "check", json_object_new_boolean(o->check));
	json_object_object_add(j, "runtime", json_object_new_string(rt->path));
	json_object_object_add(j, "runtime_version", json_object_new_int(rt->version));
	json_object_object_add(j, "device", json_object_new_int(o->gpu));
	json_object_object_add(j, "device_count", json_object_new_int(rt->devices));
	json_object_object_add(j, "dram_node", json_object_new_int(s[0].node));
	json_object_object_add(j, "far_node", json_object_new_int(s[1].node));
	bm_json_u64(j, "slab_bytes", o->slab_bytes);
	bm_json_u64(j, "block_bytes", o->block_size);
	bm_json_u64(j, "blocks", o->blocks);
	bm_json_u64(j, "reps", o->reps);
	if (!o->check) {
		json_object_object_add(j, "register_s_per_gib",
				       per_tier(s, offsetof(struct cu_slab, reg_s_gib), o->reps));
		json_object_object_add(j, "unregister_s_per_gib",
				       per_tier(s, offsetof(struct cu_slab, unreg_s_gib), o->reps));
		json_object_object_add(j, "h2d_gbps",
				       per_tier(s, offsetof(struct cu_slab, h2d_gbps), o->reps));
		json_object_object_add(j, "blockmove_ratio_to_memcpy",
				       bm_json_stat3(bm->ratio, bm->n));
		json_object_object_add(j, "blockmove_gbps", bm_json_stat3(bm->move_gbps, bm->n));
		json_object_object_add(j, "memcpy_gbps", bm_json_stat3(bm->memcpy_gbps, bm->n));
		json_object_object_add(j, "h2d_gbps_during_moves",
				       bm_json_stat3(bm->traffic_gbps, bm->n));
		json_object_object_add(j, "h2d_during_moves_to_alone",
				       json_object_new_double(h2d_alone > 0 ?
							      h2d_moves / h2d_alone : 0));
	}
	bm_json_u64(j, "moved_blocks", bm->moved_blocks);
	bm_json_u64(j, "checked_blocks", bm->checked_blocks);
	bm_json_u64(j, "corrupt_blocks", bm->corrupt_blocks);
	bm_json_u64(j, "corrupt_bytes", bm->corrupt_bytes);
	bm_json_u64(j, "old_slots_not_poisoned", bm->unpoisoned_old_slots);
	bm_json_u64(j, "skipped_blocks", bm->skipped);
	bm_json_u64(j, "h2d_copies", bm->device_reads);
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cxltier-bench cuda [--json] [--check] [--device N] [--slab-bytes BYTES]\n"
		"                          [--reps N] [--blocks N] [--block-size BYTES]\n"
		"                          [--fraction F]\n"
		"What CUDA pays per tier: cudaHostRegister and cudaHostUnregister seconds per\n"
		"GiB of a slab on the DRAM node and on the far node, H2D bandwidth from each,\n"
		"and block pool moves (pinned by the cuda adapter) while the GPU copies the\n"
		"pool's other blocks.  Defaults: device 0, 1 GiB slabs, 5 repetitions, 128\n"
		"blocks of 2 MiB, 0.25 moved each way.  --check: 64 MiB slabs, 16 blocks,\n"
		"2 repetitions, correctness only.  Without a CUDA runtime or GPU: exit 4.\n");
}

int cmd_cuda(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "check", no_argument, NULL, 'C' },
		{ "device", required_argument, NULL, 'd' },
		{ "slab-bytes", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "blocks", required_argument, NULL, 'n' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "fraction", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cu_opts o = { .slab_bytes = 1ULL << 30, .reps = 5, .blocks = 128,
			     .block_size = 2 << 20, .fraction = 0.25 };
	struct cxltier_options co = { .size = sizeof(co),
				      .flags = CXLTIER_OPEN_NO_AGENT };
	int set_slab = 0, set_reps = 0, set_blocks = 0, c, rc, ret;
	struct cu_gpu g = { 0 };
	struct bm_device dev = {
		.adapter = "cuda", .open = gpu_open,
		.read = gpu_read, .close = gpu_close, .priv = &g,
	};
	struct bm_opts bo = { 0 };
	struct bm_result bm;
	struct cu_slab s[2];
	struct cudart rt;
	struct cxltier *ctx;
	int nodes[2] = { -1, -1 };
	char why[PATH_MAX + 128], *end;
	unsigned long v;

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
		case 'd':
			v = strtoul(optarg, &end, 0);
			o.gpu = v > 1024 ? -1 : (int)v;
			break;
		case 's':
			o.slab_bytes = strtoull(optarg, &end, 0);
			set_slab = 1;
			break;
		case 'r':
			o.reps = (unsigned int)strtoul(optarg, &end, 0);
			set_reps = 1;
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
		if (!set_slab)
			o.slab_bytes = 64ULL << 20;
		if (!set_reps)
			o.reps = 2;
		if (!set_blocks)
			o.blocks = 16;
	}
	if (optind < argc || o.gpu < 0 || o.blocks < 2 || o.blocks > 65536 ||
	    !o.block_size || o.block_size % 4096 || o.block_size > (1ULL << 30) ||
	    o.slab_bytes < o.block_size || o.slab_bytes % o.block_size ||
	    o.slab_bytes > (1ULL << 40) ||
	    !(o.fraction > 0 && o.fraction <= 0.5) || !o.reps ||
	    o.reps > BM_MAX_REPS) {
		usage(stderr);
		return BENCH_EXIT_USAGE;
	}

	if (cudart_load(&rt, why, sizeof(why)))
		return cu_skip(&o, why);
	if (o.gpu >= rt.devices) {
		snprintf(why, sizeof(why), "no CUDA device %d (%d found)", o.gpu,
			 rt.devices);
		cudart_unload(&rt);
		return cu_skip(&o, why);
	}
	g.rt = &rt;
	g.gpu = o.gpu;
	rc = rt.set_device(o.gpu);
	if (rc != CUDART_SUCCESS) {
		cu_fail(&g, "cudaSetDevice", rc);
		cudart_unload(&rt);
		return BENCH_EXIT_FAIL;
	}
	ret = cxltier_open(&co, &ctx);
	if (ret) {
		fprintf(stderr, "cxltier-bench: cannot open cxltier: %s\n",
			strerror(-ret));
		cudart_unload(&rt);
		return BENCH_EXIT_NODEV;
	}

	/* The pool first: it names the nodes the slabs go to. */
	bo.blocks = o.blocks;
	bo.block_size = o.block_size;
	bo.fraction = o.fraction;
	bo.reps = o.reps;
	bo.check = o.check;
	bo.device = &dev;
	ret = bm_pool(&bo, ctx, 1, &bm, nodes);
	cxltier_close(ctx);
	memset(s, 0, sizeof(s));
	s[0].node = nodes[0];
	s[1].node = nodes[1];
	if (!ret && gpu_open(&dev, o.block_size) == 0) {
		ret = cu_slab(&o, &g, &s[0]);
		if (!ret)
			ret = cu_slab(&o, &g, &s[1]);
		gpu_close(&dev);
	} else if (!ret) {
		ret = -ENOMEM;
	}
	if (!ret)
		cu_print(&o, &rt, s, &bm);
	cudart_unload(&rt);
	if (ret == -ENODEV)
		return BENCH_EXIT_NODEV;
	if (ret)
		return BENCH_EXIT_FAIL;
	if (bm.corrupt_blocks || bm.corrupt_bytes || bm.unpoisoned_old_slots ||
	    bm.skipped || g.errors) {
		fprintf(stderr, "cxltier-bench: cuda: %llu corrupt blocks, %llu corrupt bytes, "
			"%llu old slots not poisoned, %llu skipped, %u CUDA errors\n",
			(unsigned long long)bm.corrupt_blocks,
			(unsigned long long)bm.corrupt_bytes,
			(unsigned long long)bm.unpoisoned_old_slots,
			(unsigned long long)bm.skipped, g.errors);
		return BENCH_EXIT_FAIL;
	}
	return BENCH_EXIT_OK;
}
