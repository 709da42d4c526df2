/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxltier in-kernel interface for accelerator drivers.
 *
 * Device DMA sets no CPU Accessed bit, so a driver that knows which
 * parts of a user buffer its device touched tells cxltier, and the
 * chunks of the tracked ranges covering them heat up as the CPU
 * scanner's young pages do.  See Documentation/userspace-api/cxltier.rst
 * ("Heat model") for the units.
 */
#ifndef _LINUX_CXLTIER_H
#define _LINUX_CXLTIER_H

#include <linux/types.h>

struct mm_struct;

int cxltier_report_access(struct mm_struct *mm, unsigned long addr,
			  unsigned long len, u64 count);

#endif /* _LINUX_CXLTIER_H */
