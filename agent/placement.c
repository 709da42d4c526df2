// SPDX-License-Identifier: GPL-2.0
/*
 * placement: see placement.h.
 */
#include <stdint.h>

#include "placement.h"

/*
 * Where the next cycle's walk of a range starts.  A small table by id:
 * a collision only restarts that range's walk at chunk 0.
 */
#define PLACEMENT_SLOTS	256

static struct {
	uint32_t id;
	uint64_t next;
} cursors[PLACEMENT_SLOTS];

int placement_read(const struct kdev *kdev, uint32_t id,
		   struct cxltier_chunk_heat *out, uint32_t nr,
		   uint32_t *total, uint64_t *epoch)
{
	unsigned int slot = id % PLACEMENT_SLOTS;
	uint64_t first, next;
	uint32_t n;
	int ret;

	if (!(kdev->features & CXLTIER_FEAT_PLACEMENT))
		return kdev_get_heat(kdev, id, 0, out, nr,
				     CXLTIER_HEAT_REFRESH, total, epoch);
	ret = kdev_get_heat(kdev, id, 0, out, nr, 0, total, epoch);
	if (ret || !nr || *total != nr)
		return ret;
	first = cursors[slot].id == id ? cursors[slot].next : 0;
	if (first >= nr)
		first = 0;
	ret = kdev_get_placement(kdev, id, first, out + first,
				 (uint32_t)(nr - first), &n, &next, epoch);
	if (ret)
		return ret;
	*total = n;
	cursors[slot].id = id;
	cursors[slot].next = next >= nr ? 0 : next;
	return 0;
}
