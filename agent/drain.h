/* SPDX-License-Identifier: GPL-2.0 */
/*
 * drain: give a node's memory back while pinned buffers live on it.
 *
 * A node is drained on request (cxltierctl drain, over the admin socket: admin.h)
 * or when the module says its memory started going offline.  A draining
 * node gets no placement; the tracked buffers on it are moved elsewhere
 * through the executor, one run of chunks per step of the main loop, with
 * the room elsewhere counted before anything moves.  Memory that comes
 * online is logged, counted and used by the next decision.
 */
#ifndef CXLTIERD_DRAIN_H
#define CXLTIERD_DRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/cxltier.h>

#include "executor.h"
#include "kdev.h"
#include "metrics.h"
#include "plan.h"
#include "server.h"

/* Most bytes one step moves: the loop serves clients in between. */
#define DRAIN_STEP_BYTES	(64ULL << 20)

struct drain;
struct admin;

/*
 * Register the verbs drain, undrain and status on @admin (free @admin
 * before the drain state: its connections close into it).  @srv may be
 * NULL.
 * 0 or -errno.
 */
int drain_new(struct drain **dp, struct admin *admin,
	      const struct kdev *kdev, struct executor *exec,
	      struct server *srv, struct metrics *met);
void drain_free(struct drain *dr);

/*
 * poll() timeout: 0 while a drain has work, a short wait while a drain
 * only awaits the answers of pool slabs' releases, else -1.
 */
int drain_timeout_ms(const struct drain *dr);

/* One step of every drain in progress. */
void drain_step(struct drain *dr);

/*
 * A hotplug event from the module.  Returns true when it is news for the
 * next decision (memory came online, or an offline ended).
 */
bool drain_hotplug(struct drain *dr, const struct cxltier_hotplug_event *ev);

/* Does @node take no new placement (draining or drained)? */
bool drain_node_closed(const struct drain *dr, int node);

/*
 * Drop the moves of @moves whose target is a closed node; returns how
 * many are left (the others keep their order).
 */
size_t drain_filter_moves(const struct drain *dr, struct plan_move *moves,
			  size_t n);

/*
 * Does @p's share of a drain of @node fit: the blocks of its open slabs
 * on @node (*@blocks) in the free slots of its other open slabs on open
 * nodes (*@room)?  @dr may be NULL (no node closed).  Returns the
 * number of its slabs on @node (0: nothing to do), -ENOSPC (too few
 * free slots), or -EINVAL (every open slab of it is on @node).
 */
int drain_pool_fit(const struct drain *dr, const struct srv_pool *p, int node,
		   uint32_t *blocks, uint32_t *room);

/*
 * The node table of a decision: log and count memory that arrived since
 * the last one (a new node or more capacity on a node).
 */
void drain_note_nodes(struct drain *dr, const struct plan_nodes *pn);

#endif /* CXLTIERD_DRAIN_H */
