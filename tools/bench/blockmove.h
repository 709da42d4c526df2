/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The blockmove core, shared by "cxltier-bench blockmove" (the fake
 * accelerator reads the pool) and "cxltier-bench cuda" (a GPU copies
 * from it): one pool, its moves timed against memcpy of the same bytes,
 * every moved block checked by the device at its new place.
 */
#ifndef CXLTIER_BENCH_BLOCKMOVE_H
#define CXLTIER_BENCH_BLOCKMOVE_H

#include <stdint.h>

#include "libcxltier.h"

#define BM_MAX_REPS	101

/* Who reads a struct bm_device: the traffic thread or the verifier. */
enum bm_reader { BM_TRAFFIC, BM_VERIFY, BM_NR_READERS };

/**
 * struct bm_device - the device that pins the pool and reads its blocks
 * @adapter: the pool's adapter
 * @adapter_arg: the adapter's argument, or NULL (may point to @arg)
 * @arg: room for @open to write the adapter's argument
 * @traffic_sums: the traffic thread's reads give checksums cheaply (the
 *	fake accelerator's DMA does; a GPU's copy would need a copy back)
 * @open: before the pool is made: open the device, set @adapter_arg;
 *	0 or -errno (-ENODEV: no such device), with a message on stderr
 * @read: @reader reads @len bytes at @ref (inside its bracket) on the
 *	device; with @sum, also the bytes' FNV-1a checksum as the device
 *	saw them.  0 or -errno
 * @close: after the pool is gone
 * @priv: the device's own
 */
struct bm_device {
	const char *adapter;
	const char *adapter_arg;
	char arg[32];
	int traffic_sums;
	int (*open)(struct bm_device *d, uint64_t block_size);
	int (*read)(struct bm_device *d, enum bm_reader reader,
		    const struct cxltier_block_ref *ref, uint64_t len,
		    uint64_t *sum);
	void (*close)(struct bm_device *d);
	void *priv;
};

/**
 * struct bm_opts - one blockmove run
 * @blocks: blocks in the pool
 * @block_size: bytes per block
 * @fraction: share of the blocks moved each way per repetition
 * @reps: repetitions (the median is reported, with min and max)
 * @check: correctness only, small, not timed
 * @json: print JSON
 * @pause_us: the device's pause between two block reads
 * @slot_memcpy: also time a plain memcpy from the moving blocks' slots
 * @device: who pins and reads; NULL: the fake accelerator
 */
struct bm_opts {
	uint32_t blocks;
	uint64_t block_size;
	double fraction;
	unsigned int reps;
	int check;
	int json;
	unsigned int pause_us;
	int slot_memcpy;
	struct bm_device *device;
};

/**
 * struct bm_result - what one pool measured
 *
 * @traffic_gbps: the device's reads during the timed part, bytes over
 *	that part's wall time
 */
struct bm_result {
	double ratio[BM_MAX_REPS];
	double memcpy_gbps[BM_MAX_REPS];
	double slot_gbps[BM_MAX_REPS];
	double move_gbps[BM_MAX_REPS];
	double traffic_gbps[BM_MAX_REPS];
	unsigned int n;
	double p50_us, p99_us;
	double cpu_s_per_gib;
	double copy_gbps;
	double copy_share;
	uint64_t moved_blocks;
	uint64_t checked_blocks;
	uint64_t corrupt_blocks;
	uint64_t corrupt_bytes;
	uint64_t poisoned_old_slots;
	uint64_t unpoisoned_old_slots;
	uint64_t skipped;
	uint64_t device_reads;
	uint64_t device_bad_reads;
};

/*
 * Make a pool with @threads copy threads on @o->device, fill it, run
 * every repetition; @nodes gets the slabs' nodes.  0 or -errno (-ENODEV:
 * no device, no far tier).
 */
int bm_pool(const struct bm_opts *o, struct cxltier *ctx, unsigned int threads,
	    struct bm_result *res, int *nodes);

/* Median of @n values, with their min and max. */
double bm_median(const double *v, unsigned int n, double *min, double *max);

struct json_object;
/* {"median", "min", "max"} of @n values. */
struct json_object *bm_json_stat3(const double *v, unsigned int n);
/* @j[@k] = @v. */
void bm_json_u64(struct json_object *j, const char *k, uint64_t v);

/* @len bytes on @node (THP where it can), written; NULL on failure. */
void *bm_buffer(size_t len, int node);

#endif /* CXLTIER_BENCH_BLOCKMOVE_H */
