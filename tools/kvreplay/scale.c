// SPDX-License-Identifier: GPL-2.0
/*
 * scale: time compression, chunk size and DRAM budget of kvreplay --real.
 * See scale.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scale.h"
#include "units.h"

/* @v / @speed, exactly, and at least @min; else an error naming @key. */
static int scale_ms(uint32_t v, uint32_t speed, uint32_t min, const char *key,
		    uint32_t *out, char *err, size_t errlen)
{
	if (v % speed) {
		snprintf(err, errlen,
			 "--speed %u: %s %ums is not a whole number of ms at that speed",
			 speed, key, v);
		return -EINVAL;
	}
	if (v / speed < min) {
		snprintf(err, errlen,
			 "--speed %u: %s %ums becomes %ums, under the %ums cxltierd accepts",
			 speed, key, v, v / speed, min);
		return -EINVAL;
	}
	*out = v / speed;
	return 0;
}

uint64_t kvr_rate_for_blocks(uint64_t rate_Bps, uint64_t block_bytes)
{
	unsigned __int128 r;

	if (!rate_Bps)
		return 0;
	r = (unsigned __int128)rate_Bps * block_bytes / KVR_REF_CHUNK;
	if (r > UINT64_MAX)
		return UINT64_MAX;
	return r ? (uint64_t)r : 1;
}

int kvr_scale_config(const struct config *in, uint32_t speed, uint64_t block_bytes,
		     struct config *out, char *err, size_t errlen)
{
	uint64_t rate;
	int rc;

	if (!speed || speed > KVR_MAX_SPEED || !block_bytes) {
		snprintf(err, errlen, "--speed %u: not in [1, %u]", speed, KVR_MAX_SPEED);
		return -EINVAL;
	}
	*out = *in;
	rc = scale_ms(in->interval_ms, speed, 10, "interval", &out->interval_ms, err, errlen);
	if (!rc)
		rc = scale_ms(in->epoch_ms, speed, 10, "epoch", &out->epoch_ms, err, errlen);
	if (!rc)
		rc = scale_ms(in->half_life_ms, speed, 0, "half_life", &out->half_life_ms,
			      err, errlen);
	if (!rc)
		rc = scale_ms(in->min_residency_ms, speed, 0, "min_residency",
			      &out->min_residency_ms, err, errlen);
	if (!rc)
		rc = scale_ms(in->min_far_residency_ms, speed, 0, "min_far_residency",
			      &out->min_far_residency_ms, err, errlen);
	if (rc)
		return rc;
	rate = kvr_rate_for_blocks(in->rate_limit_Bps, block_bytes);
	if (rate && rate > UINT64_MAX / speed) {
		snprintf(err, errlen, "--speed %u: rate_limit overflows", speed);
		return -EINVAL;
	}
	out->rate_limit_Bps = rate * speed;
	return 0;
}

int kvr_dram_budget(uint64_t dram_capacity, uint64_t want_blocks, uint64_t block_bytes,
		    uint32_t *share_bp, uint64_t *blocks)
{
	unsigned __int128 want, bp, cap;

	if (!block_bytes || !dram_capacity)
		return -EINVAL;
	want = (unsigned __int128)want_blocks * block_bytes;
	if (want > dram_capacity)
		return -ERANGE;
	/* Round up to the next 0.01%: the share must hold every block. */
	bp = (want * CONFIG_BP_ONE + dram_capacity - 1) / dram_capacity;
	/* The daemon's cap: capacity * bp / 10000, rounded down. */
	cap = (unsigned __int128)dram_capacity * bp / CONFIG_BP_ONE;
	*share_bp = (uint32_t)bp;
	*blocks = (uint64_t)(cap / block_bytes);
	return 0;
}

int kvr_parse_speed(const char *s, uint32_t *speed)
{
	uint64_t v;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s) ||
	    units_parse_decimal(s, 1, &v) || !v || v > KVR_MAX_SPEED)
		return -EINVAL;
	*speed = (uint32_t)v;
	return 0;
}
