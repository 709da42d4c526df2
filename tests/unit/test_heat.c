// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for include/cxltier/heat.h, the fixed-point heat decay
 * that cxltier.ko and the user-space simulation share.
 */
#include <math.h>
#include <stdint.h>

#include "cxltier/heat.h"
#include "kselftest_harness.h"

static double q32(uint64_t f)
{
	return (double)f / 4294967296.0;
}

/* The factor matches 2^(-e/h) within 3e-5 wherever it is at least 2^-16. */
TEST(factor_accuracy)
{
	double worst = 0;
	uint32_t e, h;

	for (e = 1; e < 20000; e += 13) {
		for (h = 1; h < 2000000; h = h * 3 / 2 + 1) {
			double want = pow(2.0, -(double)e / h);
			double got = q32(cxltier_heat_factor(e, h));

			if (want < 1.0 / 65536)
				continue;
			if (fabs(got - want) / want > worst)
				worst = fabs(got - want) / want;
		}
	}
	EXPECT_GT(3e-5, worst) TH_LOG("worst relative error %g", worst);
}

/* Edges: no half-life forgets at once, no epoch keeps everything. */
TEST(factor_edges)
{
	EXPECT_EQ(0, cxltier_heat_factor(1000, 0));
	EXPECT_EQ(CXLTIER_HEAT_FACTOR_ONE, cxltier_heat_factor(0, 1000));
	EXPECT_EQ(CXLTIER_HEAT_FACTOR_ONE / 2, cxltier_heat_factor(1000, 1000));
	EXPECT_EQ(CXLTIER_HEAT_FACTOR_ONE / 4, cxltier_heat_factor(2000, 1000));
	EXPECT_EQ(0, cxltier_heat_factor(UINT32_MAX, 1));
	/* Monotonic in the epoch length. */
	EXPECT_GE(cxltier_heat_factor(999, 1000), cxltier_heat_factor(1000, 1000));
}

/* The worked example in heat.h. */
TEST(worked_example)
{
	uint64_t f = cxltier_heat_factor(1000, 4000), h;
	int i;

	EXPECT_EQ(0xd744fccbULL, f);
	h = cxltier_heat_epoch(0, f, 100);
	EXPECT_EQ(100 * CXLTIER_HEAT_ONE, h);
	h = cxltier_heat_epoch(h, f, 0);
	EXPECT_EQ(8408, (int)(h * 100 / CXLTIER_HEAT_ONE));
	h = cxltier_heat_epoch(h, f, 10);
	EXPECT_EQ(8071, (int)(h * 100 / CXLTIER_HEAT_ONE));
	for (i = 0; i < 4; i++)
		h = cxltier_heat_epoch(h, f, 0);
	EXPECT_EQ(4035, (int)(h * 100 / CXLTIER_HEAT_ONE));
}

/* Adding never wraps: it saturates. */
TEST(saturation)
{
	EXPECT_EQ(UINT64_MAX, cxltier_heat_add(UINT64_MAX - 5, 1));
	EXPECT_EQ(UINT64_MAX, cxltier_heat_add(0, UINT64_MAX));
	EXPECT_EQ(UINT64_MAX, cxltier_heat_add(0, 1ULL << 48));
	EXPECT_EQ((1ULL << 47) << 16, cxltier_heat_add(0, 1ULL << 47));
	/* Decay of the largest heat stays below it. */
	EXPECT_GT(UINT64_MAX, cxltier_heat_decay(UINT64_MAX, cxltier_heat_factor(1, 1000)));
}

/* A steady rate converges to rate / (1 - f). */
TEST(steady_state)
{
	uint64_t f = cxltier_heat_factor(100, 1000), h = 0;
	double want = 10.0 / (1.0 - q32(f));
	int i;

	for (i = 0; i < 2000; i++)
		h = cxltier_heat_epoch(h, f, 10);
	EXPECT_GT(0.001, fabs((double)h / CXLTIER_HEAT_ONE - want) / want);
}

/*
 * One access does not round to zero within one half-life, for every
 * half-life the settings allow (1 s to 1 h at 1 s epochs): after h of
 * idle epochs it is about half an access (rounding down every epoch
 * costs at most one unit of 2^-16 each: 3% at 1 h), above zero after 8
 * more up to 5 min; 16 fractional bits reach zero within 16 half-lives,
 * within 5 at 1 h (the policy's adaptive heat keeps 32, test_policy.c).
 */
TEST(no_underflow_within_half_life)
{
	static const uint32_t hl_ms[] = { 1000, 5000, 30000, 60000, 120000, 3600000 };
	size_t i;

	for (i = 0; i < sizeof(hl_ms) / sizeof(hl_ms[0]); i++) {
		uint64_t f = cxltier_heat_factor(1000, hl_ms[i]);
		uint64_t heat = cxltier_heat_epoch(0, f, 1);
		uint32_t k, epochs = hl_ms[i] / 1000;

		for (k = 0; k < epochs; k++)
			heat = cxltier_heat_decay(heat, f);
		EXPECT_LT(fabs((double)heat / CXLTIER_HEAT_ONE - 0.5), 0.02)
			TH_LOG("half-life %u ms: %llu", hl_ms[i], (unsigned long long)heat);
		for (k = 0; k < 8 * epochs && epochs < 1000; k++)
			heat = cxltier_heat_decay(heat, f);
		EXPECT_LT(0, heat) TH_LOG("half-life %u ms", hl_ms[i]);
		for (k = 0; k < 8 * epochs; k++)
			heat = cxltier_heat_decay(heat, f);
		EXPECT_EQ(0, heat) TH_LOG("half-life %u ms", hl_ms[i]);
	}
}

/* The largest weight adds without wrapping: heat saturates and stays. */
TEST(no_overflow_at_largest_weight)
{
	uint64_t f = cxltier_heat_factor(1000, 3600000), heat = 0;
	int k;

	/* 1,000,000 (the largest device_weight) x 2^32 - 1 accesses an epoch. */
	for (k = 0; k < 100; k++) {
		uint64_t next = cxltier_heat_epoch(heat, f, 1000000ULL * UINT32_MAX);

		ASSERT_LE(heat, next);
		heat = next;
	}
	EXPECT_EQ(~0ULL, heat);
	/* The largest count that fits, and one more. */
	EXPECT_EQ(~0ULL >> CXLTIER_HEAT_SHIFT << CXLTIER_HEAT_SHIFT,
		  cxltier_heat_add(0, ~0ULL >> CXLTIER_HEAT_SHIFT));
	EXPECT_EQ(~0ULL, cxltier_heat_add(0, (~0ULL >> CXLTIER_HEAT_SHIFT) + 1));
	EXPECT_EQ(~0ULL, cxltier_heat_add(0x10000, ~0ULL >> CXLTIER_HEAT_SHIFT));
}

TEST_HARNESS_MAIN
