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

TEST_HARNESS_MAIN
