// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier_test_warn: a module whose only job is to WARN() on load and
 * then refuse to stay loaded.  tools/vm-run must report such a run as a
 * kernel problem even when the command itself succeeds.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init cxltier_test_warn_init(void)
{
	WARN(1, "cxltier_test_warn: deliberate warning for vm-run's self-test\n");
	return -EAGAIN;
}
module_init(cxltier_test_warn_init);

MODULE_DESCRIPTION("Deliberate WARNING for cxltier's guest runner self-test");
MODULE_LICENSE("GPL");
