// SPDX-License-Identifier: GPL-2.0
/*
 * pin_place: see pin_place.h.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pin_place.h"

static bool said(const struct pin_place *pp, uint32_t id)
{
	size_t i;

	for (i = 0; i < pp->nr; i++)
		if (pp->said[i] == id)
			return true;
	return false;
}

static void remember(struct pin_place *pp, uint32_t id)
{
	pp->said[pp->next] = id;
	pp->next = (pp->next + 1) % PIN_PLACE_MAX;
	if (pp->nr < PIN_PLACE_MAX)
		pp->nr++;
}

/* Does the node list @list ("2", "0-2", "1,3-4") name @node? */
bool pin_place_list_has(const char *list, int node)
{
	const char *p = list;
	char *end;

	while (*p) {
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p || lo < 0)
			return false;
		p = end;
		if (*p == '-') {
			hi = strtol(p + 1, &end, 10);
			if (end == p + 1 || hi < lo)
				return false;
			p = end;
		}
		if (node >= lo && node <= hi)
			return true;
		if (*p != ',')
			return false;
		p++;
	}
	return false;
}

/*
 * The memory policy, from /proc/PID/numa_maps ("bind:2", "prefer:2"),
 * of a VMA of process @pid in [@addr, @end) that names @node, into @buf.
 * 0, or -1 when there is none or the file cannot be read.
 */
static int vma_policy(int pid, uint64_t addr, uint64_t end, int node,
		      char *buf, size_t len)
{
	char path[64], line[512], pol[128], last[128] = "";
	uint64_t start, prev = 0;
	bool have = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	/* Lines are VMAs by start address; a VMA ends where the next starts. */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %127s", &start, pol) != 2)
			continue;
		if (have && start > addr && prev < end &&
		    pin_place_policy_has(last, node)) {
			snprintf(buf, len, "%s", last);
			fclose(f);
			return 0;
		}
		if (start >= end)
			break;
		prev = start;
		have = true;
		snprintf(last, sizeof(last), "%s", pol);
	}
	fclose(f);
	if (have && prev < end && pin_place_policy_has(last, node)) {
		snprintf(buf, len, "%s", last);
		return 0;
	}
	return -1;
}

/* Does the policy string @pol ("bind:2", "prefer:0-2") name @node? */
bool pin_place_policy_has(const char *pol, int node)
{
	const char *colon = strchr(pol, ':');

	return colon && pin_place_list_has(colon + 1, node);
}

size_t pin_place_check(struct pin_place *pp, const struct obs_snapshot *snap,
		       const struct plan_nodes *pn)
{
	int movable = -1;
	size_t i, logged = 0;
	uint32_t k, c;

	for (k = 0; k < pn->nr; k++)
		if (pn->info[k].kind != CXLTIER_KIND_DRAM &&
		    (pn->info[k].flags & CXLTIER_NODE_ALL_MOVABLE)) {
			movable = (int)pn->info[k].node;
			break;
		}
	if (movable < 0)
		return 0;
	for (i = 0; i < snap->nr_ranges; i++) {
		const struct obs_range *r = &snap->ranges[i];
		uint64_t pinned = 0;
		char pol[128];
		int where = CXLTIER_NODE_NONE;

		if (!r->registered || said(pp, r->info.id))
			continue;
		for (c = 0; c < r->info.nr_chunks; c++) {
			const struct cxltier_chunk_heat *h = &r->chunks[c];

			pinned += h->pinned_pages;
			if (h->node >= 0)
				where = where == CXLTIER_NODE_NONE || where == h->node ?
					h->node : CXLTIER_NODE_MIXED;
		}
		if (!pinned)
			continue;
		/* Only where its memory policy asked for the movable node. */
		if (vma_policy((int)r->info.pid, r->info.start,
			       r->info.start + r->info.length, movable, pol, sizeof(pol)))
			continue;
		remember(pp, r->info.id);
		logged++;
		if (where >= 0)
			log_warn("buffer %u (\"%s\", pid %d): its memory policy is %s, but its %llu pinned pages are on node %d: far node %d is onlined all movable, and a long-term pin cannot stay on ZONE_MOVABLE, so the pin moved them there; online that memory with --no-movable (cxltierctl doctor says how)",
				 r->info.id, r->info.label, (int)r->info.pid, pol,
				 (unsigned long long)pinned, where, movable);
		else
			log_warn("buffer %u (\"%s\", pid %d): its memory policy is %s, but none of its %llu pinned pages can be on node %d: that node is onlined all movable, and a long-term pin cannot stay on ZONE_MOVABLE, so the pin moved them elsewhere; online that memory with --no-movable (cxltierctl doctor says how)",
				 r->info.id, r->info.label, (int)r->info.pid, pol,
				 (unsigned long long)pinned, movable);
	}
	return logged;
}
