// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshot of tracked ranges for cxltierctl: GET_RANGES, then GET_HEAT
 * per range, both "ask the count, then fill".  A range that disappears
 * between the two calls is dropped from the snapshot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "ranges.h"

static int load_chunks(const struct kdev *dev, struct ctl_range *r,
		       int refresh)
{
	long page = sysconf(_SC_PAGESIZE);
	uint32_t total = 0, i;
	int ret;

	r->chunks = calloc(r->info.nr_chunks ? r->info.nr_chunks : 1,
			   sizeof(*r->chunks));
	if (!r->chunks)
		return -ENOMEM;
	ret = kdev_get_heat(dev, r->info.id, 0, r->chunks, r->info.nr_chunks,
			    refresh ? CXLTIER_HEAT_REFRESH : 0, &total, &r->epoch);
	if (ret)
		return ret;
	if (total < r->info.nr_chunks)
		r->info.nr_chunks = total;
	for (i = 0; i < r->info.nr_chunks; i++) {
		const struct cxltier_chunk_heat *c = &r->chunks[i];
		uint64_t bytes = (uint64_t)c->resident_pages * (uint64_t)page;

		r->resident += bytes;
		r->pinned += (uint64_t)c->pinned_pages * (uint64_t)page;
		r->heat = r->heat + c->heat < r->heat ? UINT64_MAX : r->heat + c->heat;
		if (c->node >= 0 && c->node < CTL_MAX_NODES)
			r->node_bytes[c->node] += bytes;
		else if (c->node == CXLTIER_NODE_MIXED)
			r->mixed_bytes += bytes;
	}
	return 0;
}

int ctl_ranges_load(const struct kdev *dev, int refresh,
		    struct ctl_range **out, size_t *n)
{
	struct cxltier_range_info *infos = NULL;
	uint32_t room = 0, total = 0, i, flags = CXLTIER_RANGES_ALL;
	struct ctl_range *r;
	size_t kept = 0;
	int ret;

	/*
	 * Root sees every range, anyone else their own user's.  Ranges may
	 * come and go between the two calls: retry until stable.
	 */
	for (;;) {
		ret = kdev_get_ranges(dev, flags, infos, room, &total);
		if (ret == -EPERM && flags == CXLTIER_RANGES_ALL) {
			flags = CXLTIER_RANGES_USER;
			continue;
		}
		if (ret)
			goto err;
		if (total <= room)
			break;
		free(infos);
		room = total + 8;
		infos = calloc(room, sizeof(*infos));
		if (!infos)
			return -ENOMEM;
	}
	r = calloc(total ? total : 1, sizeof(*r));
	if (!r) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < total; i++) {
		r[kept].info = infos[i];
		ret = load_chunks(dev, &r[kept], refresh);
		if (ret == -ENOENT) {
			free(r[kept].chunks);
			memset(&r[kept], 0, sizeof(r[kept]));
			continue;
		}
		if (ret) {
			ctl_ranges_free(r, kept + 1);
			goto err;
		}
		kept++;
	}
	free(infos);
	*out = r;
	*n = kept;
	return 0;
err:
	free(infos);
	return ret;
}

void ctl_ranges_free(struct ctl_range *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(r[i].chunks);
	free(r);
}

struct ctl_range *ctl_ranges_find(struct ctl_range *r, size_t n,
				  const char *arg)
{
	struct ctl_range *found = NULL;
	uint32_t id;
	size_t i;

	if (!ctl_parse_u32(arg, &id)) {
		for (i = 0; i < n; i++)
			if (r[i].info.id == id)
				return &r[i];
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (strncmp(r[i].info.label, arg, sizeof(r[i].info.label)))
			continue;
		if (found)
			return NULL;	/* ambiguous: ask for the id */
		found = &r[i];
	}
	return found;
}
