/* SPDX-License-Identifier: GPL-2.0 */
/*
 * placement: the agent's per-cycle read of a range's chunks: heat and
 * last-known placement of every chunk, and one bounded placement walk
 * (CXLTIER_HEAT_PLACEMENT) resuming where the previous cycle's stopped,
 * so a cycle costs the module a bounded walk whatever is tracked.
 */
#ifndef CXLTIERD_PLACEMENT_H
#define CXLTIERD_PLACEMENT_H

#include <stdint.h>

#include "kdev.h"

/*
 * Entries of every chunk of range @id into @out (room @nr); *@total gets
 * the range's chunk count, *@epoch the current epoch.  Placement of the
 * chunks of one bounded walk is fresh, the others' is the last walk's
 * (the module's scanner refreshes it as it sweeps).  A module without
 * CXLTIER_FEAT_PLACEMENT gets CXLTIER_HEAT_REFRESH instead.  0 or -errno.
 */
int placement_read(const struct kdev *kdev, uint32_t id,
		   struct cxltier_chunk_heat *out, uint32_t nr,
		   uint32_t *total, uint64_t *epoch);

#endif /* CXLTIERD_PLACEMENT_H */
