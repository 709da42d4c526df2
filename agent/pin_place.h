/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pin_place: say, once per buffer, when a registered buffer is pinned
 * while its memory policy asks for a far node onlined all ZONE_MOVABLE.
 *
 * A long-term pin refuses ZONE_MOVABLE: the kernel migrates such pages
 * elsewhere before it pins them, so a buffer a runtime placed on CXL
 * memory onlined movable silently lives in DRAM (or the nearest node
 * that is not movable).  Where the buffer was meant to be is its VMA's
 * memory policy (/proc/PID/numa_maps: "bind:2"); when that names the
 * movable node and the buffer has pinned pages, the agent names the
 * buffer, the policy, where the pages are and the cause.
 */
#ifndef CXLTIERD_PIN_PLACE_H
#define CXLTIERD_PIN_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "observe.h"
#include "plan.h"

/* Buffers remembered as reported (the oldest are forgotten). */
#define PIN_PLACE_MAX	256

struct pin_place {
	uint32_t said[PIN_PLACE_MAX];
	size_t nr;
	size_t next;
};

/* Node list "2", "0-2", "1,3-4": does it name @node?  For tests. */
bool pin_place_list_has(const char *list, int node);
/* A numa_maps policy "bind:2", "prefer:0-2": does it name @node? */
bool pin_place_policy_has(const char *pol, int node);

/*
 * Check the registered ranges of @snap against the node table @pn; log
 * a warning for each newly seen case.  Returns how many were logged.
 */
size_t pin_place_check(struct pin_place *pp, const struct obs_snapshot *snap,
		       const struct plan_nodes *pn);

#endif /* CXLTIERD_PIN_PLACE_H */
