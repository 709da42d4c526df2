// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * adapter "test-accel": pins through cxltier's fake accelerator
 * (selftests/cxltier/kmod/cxltier_test_accel.c).
 */
#include <errno.h>
#include <stdio.h>

#include "adapter.h"

static int test_accel_probe(char *why, size_t len)
{
	if (why && len)
		snprintf(why, len, "the fake accelerator is not supported yet");
	return -ENODEV;
}

const struct lib_adapter lib_adapter_test_accel = {
	.name = "test-accel",
	.probe = test_accel_probe,
};
