/* SPDX-License-Identifier: GPL-2.0 OR LGPL-2.1-or-later */
/*
 * Heat arithmetic shared by cxltier.ko and user space (the agent's policy
 * tests and kvreplay's simulation), so that a simulated chunk heats and
 * cools exactly as the module's do.  Integer only: no floating point in
 * the kernel, and the same bits on both sides.
 *
 * A chunk's heat is an exponentially decayed access count in fixed point,
 * CXLTIER_HEAT_ONE (1 << 16) per access.  At the end of every epoch:
 *
 *	heat = heat * f + accesses * CXLTIER_HEAT_ONE
 *	f    = 2 ^ (-epoch_ms / half_life_ms)
 *
 * so an access counts half as much after half_life_ms.  f is computed
 * once per tunable change in Q32 (1.0 = 1 << 32): the exponent
 * x = epoch_ms / half_life_ms in Q16 splits into an integer part k (a
 * right shift) and a fraction, looked up in a 65-entry table of
 * 2^(-i/64) and interpolated linearly (relative error below 3e-5
 * while f >= 2^-16).
 *
 * Worked example, epoch_ms = 1000, half_life_ms = 4000:
 *	x = 0.25 -> f = 2^-0.25 = 0.8409 (0xd744fccb in Q32)
 *	epoch 1: 100 accesses           heat = 100.00
 *	epoch 2: no access              heat = 100 * 0.8409 = 84.08 (rounded down)
 *	epoch 3: 10 accesses            heat = 84.09 * 0.8409 + 10 = 80.71
 *	4 idle epochs later (one half-life) heat = 40.36
 */
#ifndef _CXLTIER_HEAT_H
#define _CXLTIER_HEAT_H

#include <linux/types.h>

#ifndef CXLTIER_HEAT_SHIFT
#define CXLTIER_HEAT_SHIFT	16
#define CXLTIER_HEAT_ONE	(1ULL << CXLTIER_HEAT_SHIFT)
#endif

/* 1.0 in the Q32 decay factor. */
#define CXLTIER_HEAT_FACTOR_ONE	(1ULL << 32)

/**
 * cxltier_heat_factor() - per-epoch decay factor
 * @epoch_ms: epoch length
 * @half_life_ms: half-life of an access; 0 means no memory (factor 0)
 *
 * Return: 2^(-epoch_ms / half_life_ms) in Q32.
 */
static inline __u64 cxltier_heat_factor(__u32 epoch_ms, __u32 half_life_ms)
{
	/* 2^(-i/64) in Q32, i = 0..64. */
	static const __u64 exp2_table[65] = {
		0x100000000ULL, 0x0fd3e0c0dULL, 0x0fa83b2dbULL, 0x0f7d0df73ULL,
		0x0f5257d15ULL, 0x0f281773cULL, 0x0efe4b99cULL, 0x0ed4f301fULL,
		0x0eac0c6e8ULL, 0x0e8396a50ULL, 0x0e5b906e7ULL, 0x0e33f8973ULL,
		0x0e0ccdeecULL, 0x0de60f482ULL, 0x0dbfbb798ULL, 0x0d99d15c2ULL,
		0x0d744fccbULL, 0x0d4f35aacULL, 0x0d2a81d92ULL, 0x0d06333dbULL,
		0x0ce248c15ULL, 0x0cbec14ffULL, 0x0c9b9bd86ULL, 0x0c78d74c9ULL,
		0x0c5672a11ULL, 0x0c346ccdaULL, 0x0c12c4ccaULL, 0x0bf1799b6ULL,
		0x0bd08a39fULL, 0x0baff5ab2ULL, 0x0b8fbaf47ULL, 0x0b6fd91e3ULL,
		0x0b504f334ULL, 0x0b311c413ULL, 0x0b123f582ULL, 0x0af3b78adULL,
		0x0ad583eeaULL, 0x0ab7a39b6ULL, 0x0a9a15ab5ULL, 0x0a7cd93b5ULL,
		0x0a5fed6aaULL, 0x0a43515aeULL, 0x0a2704303ULL, 0x0a0b05110ULL,
		0x09ef53261ULL, 0x09d3ed9a7ULL, 0x09b8d39baULL, 0x099e04593ULL,
		0x09837f052ULL, 0x096942d37ULL, 0x094f4efa9ULL, 0x0935a2b2fULL,
		0x091c3d374ULL, 0x09031dc43ULL, 0x08ea4398bULL, 0x08d1adf5bULL,
		0x08b95c1e4ULL, 0x08a14d575ULL, 0x088980e81ULL, 0x0871f6197ULL,
		0x085aac368ULL, 0x0843a28c4ULL, 0x082cd8699ULL, 0x08164d1f4ULL,
		0x080000000ULL,
	};
	__u64 x, k, frac, i, rem, a, b;

	if (!half_life_ms)
		return 0;
	/* x = epoch / half-life in Q16; 2^-33 and below is 0 in Q32. */
	x = ((__u64)epoch_ms << 16) / half_life_ms;
	k = x >> 16;
	if (k >= 33)
		return 0;
	frac = x & 0xffff;
	i = frac >> 10;			/* table step: 1/64 = 1024 in Q16 */
	rem = frac & 0x3ff;
	a = exp2_table[i];
	b = exp2_table[i + 1];
	return (a - (((a - b) * rem) >> 10)) >> k;
}

/**
 * cxltier_heat_decay() - one epoch of decay
 * @heat: heat in CXLTIER_HEAT_ONE units
 * @factor: from cxltier_heat_factor()
 *
 * Return: @heat * @factor, rounded down.
 */
static inline __u64 cxltier_heat_decay(__u64 heat, __u64 factor)
{
	return (__u64)(((unsigned __int128)heat * factor) >> 32);
}

/**
 * cxltier_heat_add() - add accesses, saturating
 * @heat: heat in CXLTIER_HEAT_ONE units
 * @accesses: accesses seen in the epoch (already weighted)
 *
 * Return: @heat + @accesses * CXLTIER_HEAT_ONE, at most U64 max.
 */
static inline __u64 cxltier_heat_add(__u64 heat, __u64 accesses)
{
	__u64 add;

	if (accesses > (~0ULL >> CXLTIER_HEAT_SHIFT))
		return ~0ULL;
	add = accesses << CXLTIER_HEAT_SHIFT;
	return heat > ~0ULL - add ? ~0ULL : heat + add;
}

/**
 * cxltier_heat_epoch() - end of one epoch for one chunk
 * @heat: heat before the epoch
 * @factor: from cxltier_heat_factor()
 * @accesses: accesses seen during the epoch
 *
 * Return: the heat after the epoch.
 */
static inline __u64 cxltier_heat_epoch(__u64 heat, __u64 factor,
				       __u64 accesses)
{
	return cxltier_heat_add(cxltier_heat_decay(heat, factor), accesses);
}

#endif /* _CXLTIER_HEAT_H */
