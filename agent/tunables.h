/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tunables: the module's sysfs tunables that the configuration sets.
 */
#ifndef CXLTIERD_TUNABLES_H
#define CXLTIERD_TUNABLES_H

#include "config.h"

/*
 * Write the module's epoch_ms and half_life_ms under @sysfs (its sysfs
 * directory) from @cfg; a failure is logged as a warning, not fatal.
 */
void tunables_apply(const char *sysfs, const struct config *cfg);

#endif /* CXLTIERD_TUNABLES_H */
