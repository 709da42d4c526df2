/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scale: how kvreplay --real turns a trace and cxltierd's settings into a
 * run that fits a test machine, and stays the run the simulation models.
 *
 *  - time: the trace plays --speed times faster than recorded, so every
 *    duration of the daemon and the module (interval, min_residency,
 *    epoch, half_life) is divided by the speed and the migration rate
 *    limit multiplied by it: one decision, one epoch, one rate-limit
 *    allowance still cover the same stretch of trace;
 *  - size: one block is one chunk of --block-size bytes (64 KiB, the
 *    module's smallest chunk, in real mode), where the daemon's settings
 *    are meant for its 2 MiB default chunk; the rate limit is scaled by
 *    block size / 2 MiB so that the daemon moves as many chunks per second
 *    of trace as it would with 2 MiB chunks;
 *  - DRAM: the pool may hold --dram-fraction of its blocks in DRAM.  The
 *    daemon caps a class of buffers at dram_share of the DRAM tier's
 *    capacity, in steps of 0.01%, so the budget is rounded up to the next
 *    step, and the budget in blocks is what that share holds.  The same
 *    budget places new blocks and sizes the simulation's DRAM.
 *
 * Pure arithmetic, unit tested (tests/unit/test_kvreplay.c).
 */
#ifndef KVREPLAY_SCALE_H
#define KVREPLAY_SCALE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The chunk size cxltierd's defaults are meant for. */
#define KVR_REF_CHUNK		(2ULL << 20)
/* Highest --speed. */
#define KVR_MAX_SPEED		1000

/**
 * kvr_scale_config() - the daemon's settings for a run @speed times faster
 * @in: settings in trace time, for chunks of KVR_REF_CHUNK
 * @speed: time compression, 1..KVR_MAX_SPEED
 * @block_bytes: the run's chunk size
 * @out: the settings for the run (wall-clock time, @block_bytes chunks)
 * @err: on failure, why
 * @errlen: size of @err
 *
 * Every duration must divide by @speed into whole milliseconds at least
 * as long as cxltierd accepts (10 ms for interval and epoch).
 *
 * Return: 0 or -EINVAL.
 */
int kvr_scale_config(const struct config *in, uint32_t speed, uint64_t block_bytes,
		     struct config *out, char *err, size_t errlen);

/**
 * kvr_rate_for_blocks() - the rate limit for @block_bytes chunks
 * @rate_Bps: rate limit for KVR_REF_CHUNK chunks, bytes per second (0:
 *	unlimited)
 * @block_bytes: chunk size
 *
 * Return: @rate_Bps * @block_bytes / KVR_REF_CHUNK, at least 1 unless
 * @rate_Bps is 0.
 */
uint64_t kvr_rate_for_blocks(uint64_t rate_Bps, uint64_t block_bytes);

/**
 * kvr_dram_budget() - a DRAM budget the daemon's dram_share can express
 * @dram_capacity: bytes of the DRAM tier, as the daemon sees it
 * @want_blocks: blocks the pool should have in DRAM
 * @block_bytes: bytes per block
 * @share_bp: out: dram_share, basis points (0.01%)
 * @blocks: out: blocks the share holds (>= @want_blocks)
 *
 * Return: 0; -EINVAL when @block_bytes or @dram_capacity is 0; -ERANGE
 * when @want_blocks do not fit in the DRAM tier.
 */
int kvr_dram_budget(uint64_t dram_capacity, uint64_t want_blocks, uint64_t block_bytes,
		    uint32_t *share_bp, uint64_t *blocks);

/**
 * kvr_parse_speed() - a --speed argument
 * @s: the text
 * @speed: out
 *
 * Return: 0, or -EINVAL unless @s is an integer in [1, KVR_MAX_SPEED].
 */
int kvr_parse_speed(const char *s, uint32_t *speed);

#endif /* KVREPLAY_SCALE_H */
