// SPDX-License-Identifier: GPL-2.0
/*
 * Heat accuracy: while the program writes one set of chunks and the fake
 * accelerator DMAs (and reports) another, the top-K hottest chunks match
 * both sets with recall and precision >= 0.95 for each source, for a
 * 4 KiB-page buffer and a THP-backed one; when both sets move, the new
 * ones are on top within 3 epochs.  The measurement is the test bed's
 * (tools/testbed/heat_accuracy.c), which cxltier-bench heat-accuracy
 * reports.  Needs cxltier.ko and loads cxltier_test_accel.ko.
 */
#include "kselftest_harness.h"
#include "testbed.h"

static void check(struct __test_metadata *_metadata, int thp)
{
	struct ha_result r;
	struct ha_opts o;

	ha_opts_default(&o);
	ASSERT_EQ(0, ha_run(&o, thp, &r));
	TH_LOG("%s: cpu recall %.3f precision %.3f, dma recall %.3f precision %.3f, "
	       "shift %d epochs, THP %ld KiB", thp ? "thp" : "4k", r.cpu_recall,
	       r.cpu_precision, r.dma_recall, r.dma_precision, r.shift_epochs,
	       r.thp_kb);
	if (thp) {
		EXPECT_LT(o.size / 1024 / 2, r.thp_kb);	/* mostly THP */
	} else {
		EXPECT_EQ(0, r.thp_kb);
	}
	EXPECT_LE(0.95, r.cpu_recall);
	EXPECT_LE(0.95, r.cpu_precision);
	EXPECT_LE(0.95, r.dma_recall);
	EXPECT_LE(0.95, r.dma_precision);
	EXPECT_LE(1, r.shift_epochs);
	EXPECT_GE(3, r.shift_epochs);
}

/* 4 KiB pages: CPU-young PTEs and device reports rank the right chunks. */
TEST(accuracy_4k)
{
	check(_metadata, 0);
}

/* THP: young huge PMDs and device reports rank the right chunks. */
TEST(accuracy_thp)
{
	check(_metadata, 1);
}

TEST_HARNESS_MAIN
