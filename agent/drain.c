// SPDX-License-Identifier: GPL-2.0
/*
 * drain: move every tracked buffer off a node so that its memory can go
 * offline, and keep new placement away from it.  See drain.h.
 *
 * A drain, explicit or started by the module's offline event, goes:
 *
 *	count: bytes of tracked chunks on the node, room on the other
 *	       nodes, buffers that cannot move (pinned, no libcxltier);
 *	       block pools' slabs on the node: their blocks, and the free
 *	       slots of each pool's other open slabs
 *	  no room / unmovable -> refused, nothing moved (unless partial)
 *	step:  one run of chunks (at most DRAIN_STEP_BYTES) to the nearest
 *	       open node with room, through executor_move_range(); a
 *	       buffer whose move fails is left out of this drain, with why.
 *	       Each pool slab on the node: POOL_RELEASE to its library
 *	       (server_pool_release()), which moves its blocks to the
 *	       pool's other slabs and gives the slab back (untracked, so
 *	       gone from the node); the step only looks for the answer, the
 *	       loop goes on meanwhile.  A release refused, or an owner gone,
 *	       leaves that slab out of this drain, with why
 *	end:   nothing movable left: "drained", or "incomplete" with the
 *	       buffers and slabs left; or the deadline passed: "timeout"
 *
 * The node stays closed to placement after the end, until "undrain";
 * an automatic drain (offline) reopens it when the offline ends.
 *
 * Admin verbs (admin.c carries them): "drain NODE [timeout MS] [dry-run]
 * [partial]", "undrain NODE" and "status"; the agent answers JSON
 * objects, one per line: progress lines ("event":"progress") while a
 * drain it started runs (as it moves, and once a second at least while
 * it only awaits a slab's release), then one last line ("event":"done", or
 * "status"), and closes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "clock.h"
#include "drain.h"
#include "log.h"
#include "observe.h"

/* Buffers a drain remembers as unmovable, for the report. */
#define DRAIN_MAX_STUCK		16
/* A pool slab's release without a drain deadline may take this long. */
#define DRAIN_RELEASE_TIMEOUT_MS	60000U
/* How often a drain that only awaits releases' answers looks again. */
#define DRAIN_WAIT_MS		50
/* While only answers are awaited, a progress line at least this often. */
#define DRAIN_LINE_MS		1000

/*
 * Moves of a buffer that may end busy in a row, the node's count not
 * going down, before the buffer counts as stuck.  While an offline of
 * the node runs, the kernel's own migration loop (offline_pages() ->
 * do_migrate_range()) keeps every page of the range isolated off the
 * LRU, pinned or not, so move_pages(2) answers EBUSY for nearly all of
 * them; the pages the owner unpinned for the handshake are migrated by
 * that loop instead, to the nearest other node.  Each move therefore
 * empties the node (executor_evacuate_range()): it waits, for a bounded
 * time inside the owner's hold, until no page of the run is left on the
 * node, wherever the kernel put them, before the owner re-pins.  A move
 * that still ends busy is tried again, up to this many times.
 */
#define DRAIN_BUSY_TRIES	8

/* Node states. */
enum drain_state {
	DRAIN_OPEN,		/* in service */
	DRAIN_RUNNING,		/* buffers are being moved off */
	DRAIN_CLOSED,		/* drain ended; no placement until undrain */
};

/**
 * struct drain_stuck - a buffer that did not move
 * @id: range id
 * @pid: owner
 * @bytes: bytes of it left on the node
 * @why: reason
 */
struct drain_stuck {
	uint32_t id;
	int pid;
	uint64_t bytes;
	char why[64];
};

/* Where a pool slab of a drain is. */
enum drain_pool_state {
	DRAIN_POOL_PENDING,	/* to release, not asked yet */
	DRAIN_POOL_SENT,	/* POOL_RELEASE sent, no answer yet */
	DRAIN_POOL_RELEASED,	/* given back: off the node */
	DRAIN_POOL_STUCK,	/* refused, or its owner went away */
};

/**
 * struct drain_pool - a block pool's slab on a draining node
 * @serial: the pool's serial (server_pool_by_serial())
 * @pool: its id on its connection
 * @pid: its client
 * @tier: the slab's pool tier
 * @range: the slab's range id
 * @block_size: bytes per block
 * @blocks: its blocks at the last count
 * @state: enum drain_pool_state
 * @seq: the POOL_RELEASE sent for it
 * @sent_ms: when
 * @timeout_ms: the timeout it gave
 * @why: why it is stuck
 */
struct drain_pool {
	uint64_t serial;
	uint32_t pool;
	int pid;
	unsigned int tier;
	uint32_t range;
	uint64_t block_size;
	uint32_t blocks;
	enum drain_pool_state state;
	uint32_t seq;
	uint64_t sent_ms;
	uint32_t timeout_ms;
	char why[64];
};

/**
 * struct drain_range - a handshake range's bytes on a draining node
 * @id: range id
 * @first: bytes there when the drain first saw the range
 * @last: bytes there at the last count (kept once the range is gone)
 *
 * What moved is what left the node, by the module's chunk view (the
 * ruler of bytes_total and of a dry run): whoever moved it (cxltierd,
 * or the kernel while the owner had released it), and however often a
 * busy range was tried.  A range that goes away (its owner exited)
 * keeps what had left before.
 */
struct drain_range {
	uint32_t id;
	uint64_t first;
	uint64_t last;
};

/**
 * struct drain_node - one node's drain
 * @node: NUMA node id
 * @state: enum drain_state
 * @automatic: started by an offline event (reopened when it ends)
 * @explicit: asked for by an admin (only undrain reopens it)
 * @partial: move what fits, say what did not
 * @offlines: offlines of the node in progress
 * @deadline_ms: monotonic deadline, 0 = none
 * @start_ms: when it started
 * @total: bytes to move when it started
 * @moved: bytes that left the node so far (@nr_ranges' and the pools')
 * @pool_moved: bytes of the blocks the pools moved off it
 * @nr_ranges: entries in @ranges
 * @ranges: each handshake range seen on the node, and its bytes there
 * @left: bytes still on the node at the last count
 * @buffers: buffers with chunks on the node at the last count
 * @watcher: admin connection reporting progress, -1 for none
 * @busy_tries: moves ended busy in a row without @left going down
 * @busy_left: @left at the last busy end
 * @nr_stuck: entries in @stuck
 * @stuck: buffers that did not move
 * @pool_slabs: pool slabs on the node at the last count
 * @pool_left: bytes of their blocks
 * @slabs_released: pool slabs this drain gave back
 * @nr_pools: entries in @pools
 * @pools: the pool slabs this drain handles
 * @waiting: nothing left to do but await releases' answers
 * @line_ms: when the last progress line went out
 */
struct drain_node {
	int node;
	enum drain_state state;
	bool automatic;
	bool explicit;
	bool partial;
	int offlines;
	uint64_t deadline_ms;
	uint64_t start_ms;
	uint64_t total;
	uint64_t moved;
	uint64_t pool_moved;
	size_t nr_ranges;
	struct drain_range *ranges;
	uint64_t left;
	unsigned int buffers;
	int watcher;
	unsigned int busy_tries;
	uint64_t busy_left;
	unsigned int nr_stuck;
	struct drain_stuck stuck[DRAIN_MAX_STUCK];
	unsigned int pool_slabs;
	uint64_t pool_left;
	unsigned int slabs_released;
	unsigned int nr_pools;
	struct drain_pool *pools;
	bool waiting;
	uint64_t line_ms;
};

struct drain {
	const struct kdev *kdev;
	struct executor *exec;
	struct server *srv;
	struct metrics *met;
	struct admin *admin;
	size_t nr_nodes;
	struct drain_node *nodes;
	/* Capacity of each node at the last decision, by node id. */
	size_t nr_capacity;
	uint64_t *capacity;
	bool capacity_known;
};

/* --- nodes ---------------------------------------------------------------- */

static struct drain_node *find_node(const struct drain *dr, int node)
{
	size_t i;

	for (i = 0; i < dr->nr_nodes; i++)
		if (dr->nodes[i].node == node)
			return &dr->nodes[i];
	return NULL;
}

static struct drain_node *get_node(struct drain *dr, int node)
{
	struct drain_node *dn = find_node(dr, node), *nn;

	if (dn)
		return dn;
	nn = realloc(dr->nodes, (dr->nr_nodes + 1) * sizeof(*nn));
	if (!nn)
		return NULL;
	dr->nodes = nn;
	dn = &nn[dr->nr_nodes++];
	memset(dn, 0, sizeof(*dn));
	dn->node = node;
	dn->watcher = -1;
	return dn;
}

static void update_gauge(struct drain *dr)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < dr->nr_nodes; i++)
		n += dr->nodes[i].state != DRAIN_OPEN;
	dr->met->draining_nodes = n;
}

bool drain_node_closed(const struct drain *dr, int node)
{
	const struct drain_node *dn = dr ? find_node(dr, node) : NULL;

	return dn && dn->state != DRAIN_OPEN;
}

size_t drain_filter_moves(const struct drain *dr, struct plan_move *moves,
			  size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (drain_node_closed(dr, moves[i].to_node)) {
			log_debug("placement: range %u chunk %llu not moved to node %d: it is drained",
				  moves[i].range_id,
				  (unsigned long long)moves[i].first_chunk,
				  moves[i].to_node);
			continue;
		}
		moves[k++] = moves[i];
	}
	return k;
}

/* --- admin connections --------------------------------------------------- */

/* A connection closed: a drain reporting to it goes on unwatched. */
static void admin_closed(void *arg, int fd)
{
	struct drain *dr = arg;
	size_t i;

	for (i = 0; i < dr->nr_nodes; i++)
		if (dr->nodes[i].watcher == fd)
			dr->nodes[i].watcher = -1;
}

/* --- counting ------------------------------------------------------------- */

/* Bytes of @r's chunks on @node (resident pages; mixed chunks count). */
static uint64_t range_bytes_on(const struct obs_range *r, int node)
{
	uint64_t b = 0;
	uint32_t c;

	for (c = 0; c < r->info.nr_chunks; c++)
		if (r->chunks[c].node == node ||
		    r->chunks[c].node == CXLTIER_NODE_MIXED)
			b += (uint64_t)r->chunks[c].resident_pages * 4096;
	return b;
}

static bool range_pinned_on(const struct obs_range *r, int node)
{
	uint32_t c;

	for (c = 0; c < r->info.nr_chunks; c++)
		if ((r->chunks[c].node == node ||
		     r->chunks[c].node == CXLTIER_NODE_MIXED) &&
		    r->chunks[c].pinned_pages)
			return true;
	return false;
}

/* @dn's moved from its ranges and pools; the metric grows as it does. */
static void update_moved(struct drain *dr, struct drain_node *dn)
{
	uint64_t moved = dn->pool_moved;
	size_t i;

	for (i = 0; i < dn->nr_ranges; i++)
		if (dn->ranges[i].first > dn->ranges[i].last)
			moved += dn->ranges[i].first - dn->ranges[i].last;
	if (moved > dn->moved)
		dr->met->drain_moved_bytes += moved - dn->moved;
	dn->moved = moved;
}

/* Note handshake range @id's @bytes on @dn's node at this count. */
static void note_range(struct drain_node *dn, uint32_t id, uint64_t bytes)
{
	struct drain_range *e;
	size_t k;

	for (k = 0; k < dn->nr_ranges; k++)
		if (dn->ranges[k].id == id) {
			dn->ranges[k].last = bytes;
			return;
		}
	if (!bytes)
		return;
	e = realloc(dn->ranges, (dn->nr_ranges + 1) * sizeof(*e));
	if (!e)
		return; /* not counted as moved: never more */
	dn->ranges = e;
	e = &e[dn->nr_ranges++];
	e->id = id;
	e->first = bytes;
	e->last = bytes;
}

static bool is_stuck(const struct drain_node *dn, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < dn->nr_stuck; i++)
		if (dn->stuck[i].id == id)
			return true;
	return false;
}

static void add_stuck(struct drain_node *dn, const struct obs_range *r,
		      uint64_t bytes, const char *why)
{
	struct drain_stuck *s;

	if (is_stuck(dn, r->info.id) || dn->nr_stuck >= DRAIN_MAX_STUCK)
		return;
	s = &dn->stuck[dn->nr_stuck++];
	s->id = r->info.id;
	s->pid = r->info.pid;
	s->bytes = bytes;
	snprintf(s->why, sizeof(s->why), "%s", why);
}

/* Free bytes a move may use on @info (the executor's reserve kept). */
static uint64_t room_of(const struct cxltier_node_info *info)
{
	uint64_t free_b = info->free_kB * 1024;

	return free_b > EXEC_RESERVE_BYTES ? free_b - EXEC_RESERVE_BYTES : 0;
}

/* Room on the open nodes but @node. */
static uint64_t room_elsewhere(const struct drain *dr,
			       const struct cxltier_node_info *nodes,
			       uint32_t nr, int node)
{
	uint64_t room = 0;
	uint32_t i;

	for (i = 0; i < nr; i++)
		if ((int)nodes[i].node != node &&
		    !drain_node_closed(dr, (int)nodes[i].node))
			room += room_of(&nodes[i]);
	return room;
}

/*
 * The target of @len bytes off @from: the open node with room nearest in
 * tier, the freer of two equally near.  -1 when none has room.
 */
static int pick_target(const struct drain *dr,
		       const struct cxltier_node_info *nodes, uint32_t nr,
		       int from, uint64_t len)
{
	int best = -1, from_tier = -1, best_dist = 0;
	uint64_t best_room = 0;
	uint32_t i;

	for (i = 0; i < nr; i++)
		if ((int)nodes[i].node == from)
			from_tier = (int)nodes[i].tier;
	for (i = 0; i < nr; i++) {
		int n = (int)nodes[i].node, dist;
		uint64_t room = room_of(&nodes[i]);

		if (n == from || drain_node_closed(dr, n) || room < len)
			continue;
		dist = abs((int)nodes[i].tier - from_tier);
		if (best < 0 || dist < best_dist ||
		    (dist == best_dist && room > best_room)) {
			best = n;
			best_dist = dist;
			best_room = room;
		}
	}
	return best;
}

/* --- block pools ----------------------------------------------------------- */

int drain_pool_fit(const struct drain *dr, const struct srv_pool *p, int node,
		   uint32_t *blocks, uint32_t *room)
{
	unsigned int t, on = 0, others = 0;
	uint32_t used;

	*blocks = 0;
	*room = 0;
	for (t = 0; t < p->nr_tiers; t++) {
		if (p->released & (1U << t))
			continue;
		used = server_pool_used(p, t);
		if (p->slab[t].node == node) {
			on++;
			*blocks += used;
		} else if (!drain_node_closed(dr, p->slab[t].node)) {
			others++;
			*room += p->slab[t].slots > used ? p->slab[t].slots - used : 0;
		}
	}
	if (on && !others)
		return -EINVAL;
	return *blocks > *room ? -ENOSPC : (int)on;
}

/* Why @p's slab does not fit elsewhere (drain_pool_fit()'s @ret). */
static void pool_fit_why(char *buf, size_t len, const struct srv_pool *p,
			 int node, int ret, uint32_t blocks, uint32_t room)
{
	if (ret == -EINVAL)
		snprintf(buf, len, "pool %u of pid %d: all its open slabs are on node %d",
			 p->id, (int)server_pool_pid(p), node);
	else
		snprintf(buf, len, "pool %u of pid %d: %u blocks on node %d, %u free slots in its other slabs",
			 p->id, (int)server_pool_pid(p), blocks, node, room);
}

static struct drain_pool *find_pool(struct drain_node *dn, uint64_t serial,
				    unsigned int tier)
{
	unsigned int i;

	for (i = 0; i < dn->nr_pools; i++)
		if (dn->pools[i].serial == serial && dn->pools[i].tier == tier)
			return &dn->pools[i];
	return NULL;
}

/*
 * Count the pool slabs on @dn's node into @dn (pool_slabs, pool_left;
 * each followed entry's blocks), and follow the ones it does not yet
 * when @add (a pool registered during the drain).
 */
static void count_pools(struct drain *dr, struct drain_node *dn, bool add)
{
	struct drain_pool *e, *np;
	struct srv_pool *p;
	unsigned int t;
	uint32_t used;

	dn->pool_slabs = 0;
	dn->pool_left = 0;
	if (!dr->srv)
		return;
	for (p = server_pools(dr->srv); p; p = p->next) {
		if (p->dead)
			continue;
		for (t = 0; t < p->nr_tiers; t++) {
			if ((p->released & (1U << t)) || p->slab[t].node != dn->node)
				continue;
			used = server_pool_used(p, t);
			dn->pool_slabs++;
			dn->pool_left += (uint64_t)used * p->block_size;
			e = find_pool(dn, p->serial, t);
			if (!e && add) {
				np = realloc(dn->pools, (dn->nr_pools + 1) * sizeof(*np));
				if (!np)
					continue;
				dn->pools = np;
				e = &np[dn->nr_pools++];
				memset(e, 0, sizeof(*e));
				e->serial = p->serial;
				e->pool = p->id;
				e->pid = (int)server_pool_pid(p);
				e->tier = t;
				e->range = p->slab[t].range;
				e->block_size = p->block_size;
				e->state = DRAIN_POOL_PENDING;
			}
			if (e)
				e->blocks = used;
		}
	}
}

static void pool_stuck(struct drain_node *dn, struct drain_pool *e,
		       const char *why)
{
	e->state = DRAIN_POOL_STUCK;
	snprintf(e->why, sizeof(e->why), "%s", why);
	log_warn("node %d: drain: pool %u of pid %d, slab %u (range %u) left on the node: %s",
		 dn->node, e->pool, e->pid, e->tier, e->range, why);
}

/* The POOL_RELEASE timeout of a slab of @dn now. */
static uint32_t release_timeout(const struct drain_node *dn, uint64_t now)
{
	uint64_t t = DRAIN_RELEASE_TIMEOUT_MS;

	if (dn->deadline_ms)
		t = dn->deadline_ms > now ? dn->deadline_ms - now : 1;
	if (t > PROTO_RELEASE_MAX_TIMEOUT_MS)
		t = PROTO_RELEASE_MAX_TIMEOUT_MS;
	return t ? (uint32_t)t : 1;
}

/* The answer of @e's release, which @p kept: released, or stuck and why. */
static void release_answered(struct drain *dr, struct drain_node *dn,
			     struct drain_pool *e, const struct srv_pool *p)
{
	const uint32_t *k = p->release_counts;
	uint64_t moved = (uint64_t)k[PROTO_POOL_MOVED] * e->block_size;
	char why[64];

	if (!p->release_status) {
		e->state = DRAIN_POOL_RELEASED;
		e->blocks = 0;
		dn->slabs_released++;
		dn->pool_moved += moved;
		update_moved(dr, dn);
		log_info("node %d: drain: pool %u of pid %d gave slab %u (range %u) back: %u blocks moved to its other slabs",
			 dn->node, e->pool, e->pid, e->tier, e->range,
			 k[PROTO_POOL_MOVED]);
		return;
	}
	switch (p->release_status) {
	case -EBUSY:
		/* No block left behind: a reader kept an old slot. */
		if (k[PROTO_POOL_BUSY])
			snprintf(why, sizeof(why), "busy: %u blocks held by writers",
				 k[PROTO_POOL_BUSY]);
		else
			snprintf(why, sizeof(why), "busy: readers still hold old slots");
		break;
	case -ENOSPC:
		snprintf(why, sizeof(why), "no room: %u blocks, no free slot in its other slabs",
			 k[PROTO_POOL_NOROOM] ? k[PROTO_POOL_NOROOM] : e->blocks);
		break;
	case -EIO:
		snprintf(why, sizeof(why), "copy failed: %u blocks",
			 k[PROTO_POOL_FAILED]);
		break;
	case -EINVAL:
		snprintf(why, sizeof(why), "refused by its owner: not a slab it can release");
		break;
	case -ENOENT:
		snprintf(why, sizeof(why), "refused by its owner: unknown pool");
		break;
	default:
		snprintf(why, sizeof(why), "refused by its owner: %s",
			 strerror(-p->release_status));
		break;
	}
	pool_stuck(dn, e, why);
}

/* One pool slab's share of drain_pools(); *@more when it awaits more. */
static void drain_pool_step(struct drain *dr, struct drain_node *dn,
			    struct drain_pool *e, uint64_t now, bool *more)
{
	struct srv_pool *p;
	int ret;

	if (e->state == DRAIN_POOL_RELEASED || e->state == DRAIN_POOL_STUCK)
		return;
	p = server_pool_by_serial(dr->srv, e->serial);
	if (!p) {
		/* Dropped: hung up, or past the release's deadline. */
		pool_stuck(dn, e, e->state == DRAIN_POOL_SENT &&
			   now >= e->sent_ms + e->timeout_ms ?
			   "owner did not answer in time" : "owner gone");
		return;
	}
	if (e->state == DRAIN_POOL_PENDING) {
		if (p->released & (1U << e->tier)) {
			e->state = DRAIN_POOL_RELEASED;
			return;
		}
		e->timeout_ms = release_timeout(dn, now);
		ret = server_pool_release(dr->srv, p, e->tier, e->timeout_ms);
		if (ret == -EBUSY) {
			*more = true; /* advice in flight: the next step */
		} else if (ret == -ECONNRESET) {
			pool_stuck(dn, e, "owner gone");
		} else if (ret == -EINVAL) {
			pool_stuck(dn, e, "the pool's last open slab");
		} else if (ret) {
			pool_stuck(dn, e, strerror(-ret));
		} else {
			e->state = DRAIN_POOL_SENT;
			e->seq = p->release_seq;
			e->sent_ms = now;
			*more = true;
			log_info("node %d: drain: asked pid %d to give slab %u of pool %u (range %u, %u blocks) back within %u ms",
				 dn->node, e->pid, e->tier, e->pool, e->range,
				 e->blocks, e->timeout_ms);
		}
		return;
	}
	/* Sent: answered yet? */
	if (p->release_seq == e->seq) {
		*more = true;
		return;
	}
	if (p->release_done != e->seq) {
		pool_stuck(dn, e, "release lost");
		return;
	}
	release_answered(dr, dn, e, p);
}

/*
 * The pool slabs' share of a step of @dn: ask for the releases not asked
 * yet, take the answers that came.  Never waits.  True while a release
 * is yet to be asked or answered; *@changed when a slab changed state.
 * @dn's left is counted again with what the releases did.
 */
static bool drain_pools(struct drain *dr, struct drain_node *dn,
			bool *changed)
{
	uint64_t now = clock_now_ms(), before = dn->pool_left;
	enum drain_pool_state was;
	struct drain_pool *e;
	bool more = false;
	unsigned int i;

	*changed = false;
	if (!dr->srv)
		return false;
	count_pools(dr, dn, true);
	for (i = 0; i < dn->nr_pools; i++) {
		e = &dn->pools[i];
		was = e->state;
		drain_pool_step(dr, dn, e, now, &more);
		*changed = *changed || e->state != was;
	}
	count_pools(dr, dn, false);
	/* count_node() counted the slabs as they were before this step. */
	dn->left = (dn->left > before ? dn->left - before : 0) + dn->pool_left;
	return more;
}

static bool pools_stuck(const struct drain_node *dn)
{
	unsigned int i;

	for (i = 0; i < dn->nr_pools; i++)
		if (dn->pools[i].state == DRAIN_POOL_STUCK)
			return true;
	return false;
}

/*
 * Count what @dn has to move.  Fills @dn's left and buffers (and, for
 * a running drain, each range's bytes there and so its moved); *@unmovable
 * gets the bytes of pinned buffers not registered by a libcxltier client
 * (each added to the stuck list).  0 or -errno.
 */
static int count_node(struct drain *dr, struct drain_node *dn,
		      struct obs_snapshot *snap, uint64_t *unmovable)
{
	size_t i;
	int ret;

	ret = obs_read(dr->kdev, snap);
	if (ret)
		return ret;
	dn->left = 0;
	dn->buffers = 0;
	*unmovable = 0;
	for (i = 0; i < snap->nr_ranges; i++) {
		struct obs_range *r = &snap->ranges[i];
		uint64_t b = range_bytes_on(r, dn->node);

		/* A pool slab goes whole, by its library: counted below. */
		if (dr->srv && server_pool_slab(dr->srv, r->info.id))
			continue;
		/* A running drain's ruler of what left (not a probe's). */
		if (dn->state == DRAIN_RUNNING)
			note_range(dn, r->info.id, b);
		if (!b)
			continue;
		dn->left += b;
		dn->buffers++;
		if (range_pinned_on(r, dn->node) &&
		    (!dr->srv || !server_buffer(dr->srv, r->info.id))) {
			*unmovable += b;
			add_stuck(dn, r, b,
				  "pinned by a process not using libcxltier");
		}
	}
	count_pools(dr, dn, false);
	dn->left += dn->pool_left;
	if (dn->state == DRAIN_RUNNING)
		update_moved(dr, dn);
	return 0;
}

/* --- drains --------------------------------------------------------------- */

static void json_stuck(const struct drain_node *dn, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int i;

	unsigned int k = 0;

	off += (size_t)snprintf(buf + off, len - off, "[");
	for (i = 0; i < dn->nr_stuck && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off,
					"%s{\"id\": %u, \"pid\": %d, \"bytes_left\": %llu, \"reason\": \"%s\"}",
					k++ ? ", " : "", dn->stuck[i].id,
					dn->stuck[i].pid,
					(unsigned long long)dn->stuck[i].bytes,
					dn->stuck[i].why);
	/* Pool slabs left: the range, and which pool and slab it is. */
	for (i = 0; i < dn->nr_pools && off < len; i++) {
		const struct drain_pool *e = &dn->pools[i];

		if (e->state != DRAIN_POOL_STUCK)
			continue;
		off += (size_t)snprintf(buf + off, len - off,
					"%s{\"id\": %u, \"pid\": %d, \"pool\": %u, \"tier\": %u, \"blocks_left\": %u, \"bytes_left\": %llu, \"reason\": \"%s\"}",
					k++ ? ", " : "", e->range, e->pid, e->pool,
					e->tier, e->blocks,
					(unsigned long long)e->blocks * e->block_size,
					e->why);
	}
	if (off < len)
		snprintf(buf + off, len - off, "]");
}

/* End @dn's drain with @result ("drained", "incomplete", "timeout"). */
static void drain_end(struct drain *dr, struct drain_node *dn,
		      const char *result)
{
	char stuck[4096];
	double secs = (double)(clock_now_ms() - dn->start_ms) / 1000.0;

	json_stuck(dn, stuck, sizeof(stuck));
	dn->state = DRAIN_CLOSED;
	if (!strcmp(result, "drained"))
		dr->met->drains[0]++;
	else
		dr->met->drains[2]++;
	log_info("node %d: drain %s: %llu MiB moved in %.1f s, %llu MiB of tracked buffers left%s",
		 dn->node, result, (unsigned long long)(dn->moved >> 20), secs,
		 (unsigned long long)(dn->left >> 20),
		 dn->nr_stuck ? " (see cxltierctl drain's report)" : "");
	admin_send(dr->admin, dn->watcher,
		   "{\"event\": \"done\", \"node\": %d, \"result\": \"%s\", \"bytes_moved\": %llu, \"bytes_left\": %llu, \"buffers_left\": %u, \"pool_slabs_released\": %u, \"pool_slabs_left\": %u, \"pool_bytes_left\": %llu, \"seconds\": %.3f, \"not_moved\": %s}",
		   dn->node, result, (unsigned long long)dn->moved,
		   (unsigned long long)dn->left, dn->buffers,
		   dn->slabs_released, dn->pool_slabs,
		   (unsigned long long)dn->pool_left, secs, stuck);
	admin_finish(dr->admin, dn->watcher);
	dn->watcher = -1;
	update_gauge(dr);
}

/*
 * Start draining @node.  @fd is the admin connection to report to (-1
 * for none).  Returns 0 when the drain runs (or a dry run answered),
 * else -errno with the reason sent to @fd.
 */
static int drain_start(struct drain *dr, int node, int fd, uint64_t timeout_ms,
		       bool dry_run, bool partial, bool automatic)
{
	struct cxltier_node_info *nodes = NULL;
	struct obs_snapshot snap;
	struct drain_node *dn, probe;
	uint64_t unmovable, room;
	uint32_t nr = 0, nr_tiers, i, blocks, slots;
	bool known = false;
	char stuck[4096], pool_why[160] = "";
	struct srv_pool *p;
	int ret;

	dn = find_node(dr, node);
	if (dn && dn->state == DRAIN_RUNNING) {
		if (automatic) {
			dn->automatic = true;
			return 0;
		}
		admin_send(dr->admin, fd, "{\"event\": \"done\", \"node\": %d, \"result\": \"refused\", \"error\": \"a drain of node %d is already running\"}",
			   node, node);
		return -EBUSY;
	}
	ret = kdev_get_nodes(dr->kdev, &nodes, &nr, &nr_tiers);
	if (ret) {
		admin_send(dr->admin, fd, "{\"event\": \"done\", \"node\": %d, \"result\": \"failed\", \"error\": \"cannot read the node table: %s\"}",
			   node, strerror(-ret));
		return ret;
	}
	for (i = 0; i < nr; i++)
		known = known || (int)nodes[i].node == node;
	if (!known) {
		free(nodes);
		admin_send(dr->admin, fd, "{\"event\": \"done\", \"node\": %d, \"result\": \"refused\", \"error\": \"node %d has no memory\"}",
			   node, node);
		return -ENODEV;
	}

	/* Count on a probe first: a refusal changes nothing. */
	memset(&probe, 0, sizeof(probe));
	probe.node = node;
	probe.watcher = -1;
	ret = count_node(dr, &probe, &snap, &unmovable);
	obs_free(&snap);
	if (ret) {
		free(nodes);
		admin_send(dr->admin, fd, "{\"event\": \"done\", \"node\": %d, \"result\": \"failed\", \"error\": \"cannot read the tracked buffers: %s\"}",
			   node, strerror(-ret));
		return ret;
	}
	room = room_elsewhere(dr, nodes, nr, node);
	free(nodes);
	/*
	 * Each pool slab on the node: its blocks must fit in the free slots
	 * of the pool's other open slabs (they move there, not to a node's
	 * free memory).  Those that do not are listed, the first one said.
	 */
	count_pools(dr, &probe, true);
	for (p = dr->srv ? server_pools(dr->srv) : NULL; p; p = p->next) {
		unsigned int t;

		if (p->dead)
			continue;
		ret = drain_pool_fit(dr, p, node, &blocks, &slots);
		if (ret >= 0)
			continue;
		if (!pool_why[0])
			pool_fit_why(pool_why, sizeof(pool_why), p, node, ret,
				     blocks, slots);
		for (t = 0; t < p->nr_tiers; t++) {
			struct drain_pool *e = find_pool(&probe, p->serial, t);

			if (!e)
				continue;
			if (ret == -EINVAL)
				snprintf(e->why, sizeof(e->why), "all its open slabs are on the node");
			else
				snprintf(e->why, sizeof(e->why), "no room: %u blocks, %u free slots in its other slabs",
					 blocks, slots);
			e->state = DRAIN_POOL_STUCK;
		}
	}
	json_stuck(&probe, stuck, sizeof(stuck));

	if (!partial && (unmovable || pool_why[0] ||
			 probe.left - probe.pool_left - unmovable > room)) {
		char why[160];

		if (pool_why[0] && !unmovable)
			snprintf(why, sizeof(why), "%s", pool_why);
		else if (unmovable)
			snprintf(why, sizeof(why),
				 "%llu bytes are pinned by buffers not using libcxltier",
				 (unsigned long long)unmovable);
		else
			snprintf(why, sizeof(why),
				 "no room elsewhere: %llu bytes to move, %llu bytes free on the other open nodes",
				 (unsigned long long)(probe.left - probe.pool_left),
				 (unsigned long long)room);
		log_warn("node %d: drain refused, nothing moved: %s", node, why);
		if (!dry_run)
			dr->met->drains[1]++;
		admin_send(dr->admin, fd, "{\"event\": \"done\", \"node\": %d, \"result\": \"refused\", \"dry_run\": %s, \"error\": \"%s\", \"bytes_to_move\": %llu, \"bytes_room\": %llu, \"buffers\": %u, \"pool_slabs\": %u, \"pool_bytes\": %llu, \"not_movable\": %s}",
			   node, dry_run ? "true" : "false", why,
			   (unsigned long long)probe.left,
			   (unsigned long long)room, probe.buffers,
			   probe.pool_slabs, (unsigned long long)probe.pool_left,
			   stuck);
		if (!automatic) {
			free(probe.pools);
			return -ENOSPC;
		}
	}
	if (dry_run) {
		admin_send(dr->admin, fd, "{\"event\": \"done\", \"node\": %d, \"result\": \"fits\", \"dry_run\": true, \"bytes_to_move\": %llu, \"bytes_room\": %llu, \"buffers\": %u, \"pool_slabs\": %u, \"pool_bytes\": %llu, \"not_movable\": %s}",
			   node, (unsigned long long)probe.left,
			   (unsigned long long)room, probe.buffers,
			   probe.pool_slabs, (unsigned long long)probe.pool_left,
			   stuck);
		free(probe.pools);
		return 0;
	}

	dn = get_node(dr, node);
	if (!dn) {
		free(probe.pools);
		admin_send(dr->admin, fd, "{\"event\": \"done\", \"node\": %d, \"result\": \"failed\", \"error\": \"out of memory\"}",
			   node);
		return -ENOMEM;
	}
	dn->state = DRAIN_RUNNING;
	dn->automatic = dn->automatic || automatic;
	dn->explicit = dn->explicit || !automatic;
	dn->partial = partial || automatic;
	dn->deadline_ms = timeout_ms ? clock_now_ms() + timeout_ms : 0;
	dn->start_ms = clock_now_ms();
	dn->total = probe.left;
	dn->left = probe.left;
	dn->buffers = probe.buffers;
	dn->moved = 0;
	dn->pool_moved = 0;
	free(dn->ranges);
	dn->ranges = NULL;
	dn->nr_ranges = 0;
	dn->nr_stuck = probe.nr_stuck;
	dn->busy_tries = 0;
	dn->busy_left = 0;
	memcpy(dn->stuck, probe.stuck, sizeof(dn->stuck));
	/* The pool slabs: those that do not fit are left out (partial). */
	free(dn->pools);
	dn->pools = probe.pools;
	dn->nr_pools = probe.nr_pools;
	dn->pool_slabs = probe.pool_slabs;
	dn->pool_left = probe.pool_left;
	dn->slabs_released = 0;
	dn->waiting = false;
	if (fd >= 0)
		dn->watcher = fd;
	update_gauge(dr);
	log_info("node %d: %s drain started: %llu MiB of %u tracked buffers and %u pool slabs to move, %llu MiB free elsewhere; no new placement there",
		 node, automatic ? "offline" : "admin",
		 (unsigned long long)(probe.left >> 20), probe.buffers,
		 probe.pool_slabs, (unsigned long long)(room >> 20));
	return 0;
}

/* One move for @dn; false when nothing movable is left. */
static bool drain_one(struct drain *dr, struct drain_node *dn)
{
	struct cxltier_node_info *nodes = NULL;
	struct plan_nodes pn;
	struct obs_snapshot snap;
	struct exec_result res;
	uint64_t unmovable;
	uint32_t nr = 0, nr_tiers;
	size_t i;
	bool more = false;

	if (count_node(dr, dn, &snap, &unmovable)) {
		obs_free(&snap);
		return false;
	}
	if (kdev_get_nodes(dr->kdev, &nodes, &nr, &nr_tiers)) {
		obs_free(&snap);
		return false;
	}
	if (dn->left < dn->busy_left)
		dn->busy_tries = 0; /* pages left the node meanwhile */
	pn.nr = nr;
	pn.info = nodes;
	for (i = 0; i < snap.nr_ranges && !more; i++) {
		struct obs_range *r = &snap.ranges[i];
		uint64_t csize = r->info.chunk_size, off, len;
		uint32_t c, first, n;
		int to;

		if (is_stuck(dn, r->info.id) || !range_bytes_on(r, dn->node) ||
		    (dr->srv && server_pool_slab(dr->srv, r->info.id)))
			continue;
		/* The first run of chunks on the node, capped per step. */
		for (c = 0; c < r->info.nr_chunks; c++)
			if (r->chunks[c].node == dn->node ||
			    r->chunks[c].node == CXLTIER_NODE_MIXED)
				break;
		first = c;
		for (n = 0; first + n < r->info.nr_chunks &&
		     (uint64_t)(n + 1) * csize <= DRAIN_STEP_BYTES; n++)
			if (r->chunks[first + n].node != dn->node &&
			    r->chunks[first + n].node != CXLTIER_NODE_MIXED)
				break;
		if (!n)
			n = 1;
		off = (uint64_t)first * csize;
		len = (uint64_t)n * csize;
		if (off + len > r->info.length)
			len = r->info.length - off;
		to = pick_target(dr, nodes, nr, dn->node, len);
		if (to < 0) {
			add_stuck(dn, r, range_bytes_on(r, dn->node),
				  "no room elsewhere");
			continue;
		}
		more = true;
		executor_evacuate_range(dr->exec, &r->info, off, len, dn->node,
					to, &pn, &res);
		if (res.moved && res.node != to && res.node >= 0)
			log_info("node %d: drain: range %u [%#llx, +%#llx) is on node %d now, not node %d: the kernel's offline migration moved it",
				 dn->node, r->info.id, (unsigned long long)off,
				 (unsigned long long)len, res.node, to);
		else if (res.moved && res.node < 0 && !res.status)
			log_info("node %d: drain: range %u [%#llx, +%#llx) is on several nodes now (node %d and where the kernel's offline migration put pages)",
				 dn->node, r->info.id, (unsigned long long)off,
				 (unsigned long long)len, to);
		if (res.status == -EBUSY &&
		    (res.moved || ++dn->busy_tries < DRAIN_BUSY_TRIES)) {
			/* Transient: the next step counts and tries again. */
			if (res.moved)
				dn->busy_tries = 0;
			dn->busy_left = dn->left;
			log_debug("node %d: drain: range %u [%#llx, +%#llx) to node %d busy (%u in a row), trying again",
				  dn->node, r->info.id,
				  (unsigned long long)off,
				  (unsigned long long)len, to, dn->busy_tries);
		} else if (res.status) {
			log_warn("node %d: drain: range %u (pid %d) [%#llx, +%#llx) to node %d failed: %s",
				 dn->node, r->info.id, r->info.pid,
				 (unsigned long long)off,
				 (unsigned long long)len, to,
				 strerror(-res.status));
			add_stuck(dn, r, range_bytes_on(r, dn->node),
				  res.status == -ESRCH ? "owner gone" :
				  res.status == -ETIMEDOUT ?
				  "owner did not answer" :
				  strerror(-res.status));
		}
		else if (!res.moved)
			/* Nothing changed node: never spin on it. */
			add_stuck(dn, r, range_bytes_on(r, dn->node),
				  "did not move");
		dn->left = dn->left > res.moved ? dn->left - res.moved : 0;
	}
	free(nodes);
	obs_free(&snap);
	return more;
}

void drain_step(struct drain *dr)
{
	bool more, pools, changed;
	uint64_t now;
	size_t i;

	for (i = 0; i < dr->nr_nodes; i++) {
		struct drain_node *dn = &dr->nodes[i];

		if (dn->state != DRAIN_RUNNING)
			continue;
		if (dn->deadline_ms && clock_now_ms() >= dn->deadline_ms) {
			drain_end(dr, dn, "timeout");
			continue;
		}
		more = drain_one(dr, dn);
		pools = drain_pools(dr, dn, &changed);
		dn->waiting = !more && pools;
		if (!more && !pools) {
			drain_end(dr, dn, dn->left || pools_stuck(dn) ?
				  "incomplete" : "drained");
			continue;
		}
		/*
		 * Awaiting answers only (a slab being given back, which the
		 * library answers once, at the end): a line when a slab's
		 * state changed, and once a second meanwhile, so that the
		 * watcher sees the drain alive and its clock going on.
		 */
		now = clock_now_ms();
		if (!more && !changed && now - dn->line_ms < DRAIN_LINE_MS)
			continue;
		dn->line_ms = now;
		admin_send(dr->admin, dn->watcher,
			   "{\"event\": \"progress\", \"node\": %d, \"bytes_total\": %llu, \"bytes_moved\": %llu, \"bytes_left\": %llu, \"buffers\": %u, \"pool_slabs\": %u, \"pool_slabs_released\": %u, \"pool_bytes_left\": %llu, \"seconds\": %.3f}",
			   dn->node, (unsigned long long)dn->total,
			   (unsigned long long)dn->moved,
			   (unsigned long long)dn->left, dn->buffers,
			   dn->pool_slabs, dn->slabs_released,
			   (unsigned long long)dn->pool_left,
			   (double)(now - dn->start_ms) / 1000.0);
	}
}

int drain_timeout_ms(const struct drain *dr)
{
	size_t i;

	int ms = -1;

	for (i = 0; i < dr->nr_nodes; i++) {
		if (dr->nodes[i].state != DRAIN_RUNNING)
			continue;
		if (!dr->nodes[i].waiting)
			return 0;
		ms = DRAIN_WAIT_MS;
	}
	return ms;
}

static void undrain(struct drain *dr, int node, int fd)
{
	struct drain_node *dn = find_node(dr, node);
	const char *was = !dn || dn->state == DRAIN_OPEN ? "open" :
			  dn->state == DRAIN_RUNNING ? "draining" : "drained";

	if (dn && dn->state == DRAIN_RUNNING) {
		admin_send(dr->admin, dn->watcher, "{\"event\": \"done\", \"node\": %d, \"result\": \"cancelled\", \"bytes_moved\": %llu, \"bytes_left\": %llu}",
			   node, (unsigned long long)dn->moved,
			   (unsigned long long)dn->left);
		admin_finish(dr->admin, dn->watcher);
		dn->watcher = -1;
	}
	if (dn) {
		dn->state = DRAIN_OPEN;
		dn->explicit = false;
		dn->automatic = false;
	}
	update_gauge(dr);
	log_info("node %d: undrained (was %s): placement may use it again",
		 node, was);
	admin_send(dr->admin, fd, "{\"event\": \"done\", \"node\": %d, \"result\": \"undrained\", \"was\": \"%s\"}",
		   node, was);
}

static void status(struct drain *dr, int fd)
{
	char buf[3072];
	size_t off = 0, i;

	off += (size_t)snprintf(buf, sizeof(buf), "[");
	for (i = 0; i < dr->nr_nodes && off < sizeof(buf); i++) {
		const struct drain_node *dn = &dr->nodes[i];

		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			"%s{\"node\": %d, \"state\": \"%s\", \"automatic\": %s, \"bytes_moved\": %llu, \"bytes_left\": %llu}",
			i ? ", " : "", dn->node,
			dn->state == DRAIN_OPEN ? "open" :
			dn->state == DRAIN_RUNNING ? "draining" : "drained",
			dn->automatic ? "true" : "false",
			(unsigned long long)dn->moved,
			(unsigned long long)dn->left);
	}
	if (off < sizeof(buf))
		snprintf(buf + off, sizeof(buf) - off, "]");
	admin_send(dr->admin, fd, "{\"event\": \"status\", \"nodes\": %s}", buf);
}

/* Parse "NODE" as a node id in [0, PROTO_MAX_NODES). */
static int parse_node(const char *s, int *node)
{
	char *end;
	long v;

	if (!s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v >= 1024)
		return -EINVAL;
	*node = (int)v;
	return 0;
}

static enum admin_ret verb_status(void *arg, struct admin *ad, int fd,
				  const struct admin_peer *peer, int argc,
				  char **argv)
{
	status(arg, fd);
	return ADMIN_CLOSE;
}

static enum admin_ret verb_undrain(void *arg, struct admin *ad, int fd,
				   const struct admin_peer *peer, int argc,
				   char **argv)
{
	int node;

	if (parse_node(argc > 1 ? argv[1] : NULL, &node))
		admin_error(ad, fd, "not a node id");
	else if (argc > 2)
		admin_error(ad, fd, "undrain takes a node only");
	else
		undrain(arg, node, fd);
	return ADMIN_CLOSE;
}

static enum admin_ret verb_drain(void *arg, struct admin *ad, int fd,
				 const struct admin_peer *peer, int argc,
				 char **argv)
{
	uint64_t timeout_ms = 0;
	bool dry_run = false, partial = false;
	int node, i, ret;

	if (parse_node(argc > 1 ? argv[1] : NULL, &node)) {
		admin_error(ad, fd, "not a node id");
		return ADMIN_CLOSE;
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "dry-run")) {
			dry_run = true;
		} else if (!strcmp(argv[i], "partial")) {
			partial = true;
		} else if (!strcmp(argv[i], "timeout")) {
			const char *v = i + 1 < argc ? argv[++i] : NULL;
			unsigned long long t = 0;
			char *end = NULL;

			errno = 0;
			if (v)
				t = strtoull(v, &end, 10);
			if (!v || errno || *end || !t || t > 86400000ULL) {
				admin_error(ad, fd, "timeout: milliseconds in [1, 86400000]");
				return ADMIN_CLOSE;
			}
			timeout_ms = t;
		} else {
			admin_error(ad, fd, "unknown drain option (timeout MS, dry-run, partial)");
			return ADMIN_CLOSE;
		}
	}
	ret = drain_start(arg, node, fd, timeout_ms, dry_run, partial, false);
	/* A running drain keeps the connection for its progress. */
	return ret || dry_run ? ADMIN_CLOSE : ADMIN_KEEP;
}

/* --- hotplug -------------------------------------------------------------- */

bool drain_hotplug(struct drain *dr, const struct cxltier_hotplug_event *ev)
{
	struct drain_node *dn;

	if (ev->missed)
		log_warn("%llu memory hotplug events were lost",
			 (unsigned long long)ev->missed);
	switch (ev->type) {
	case CXLTIER_EVENT_OFFLINE_START:
		log_info("node %d: offline of [%#llx, +%llu MiB) started: evacuating the tracked buffers on the node",
			 ev->node, (unsigned long long)ev->start,
			 (unsigned long long)(ev->length >> 20));
		dn = get_node(dr, ev->node);
		if (dn)
			dn->offlines++;
		drain_start(dr, ev->node, -1, 0, false, true, true);
		return false;
	case CXLTIER_EVENT_OFFLINE_CANCEL:
	case CXLTIER_EVENT_OFFLINE_DONE:
		log_info("node %d: offline of [%#llx, +%llu MiB) %s",
			 ev->node, (unsigned long long)ev->start,
			 (unsigned long long)(ev->length >> 20),
			 ev->type == CXLTIER_EVENT_OFFLINE_DONE ? "completed" :
								  "was cancelled");
		dn = find_node(dr, ev->node);
		if (dn && dn->offlines > 0)
			dn->offlines--;
		if (dn && dn->automatic && !dn->offlines && !dn->explicit) {
			dn->state = DRAIN_OPEN;
			dn->automatic = false;
			update_gauge(dr);
			log_info("node %d: offline drain over: placement may use the node again",
				 ev->node);
		}
		return true;
	case CXLTIER_EVENT_ONLINE:
		log_info("node %d: %llu MiB came online at %#llx",
			 ev->node, (unsigned long long)(ev->length >> 20),
			 (unsigned long long)ev->start);
		return true;
	}
	return false;
}

void drain_note_nodes(struct drain *dr, const struct plan_nodes *pn)
{
	uint32_t i;

	for (i = 0; i < pn->nr; i++) {
		uint32_t node = pn->info[i].node;
		uint64_t cap = pn->info[i].capacity_kB * 1024, old;

		if (node >= dr->nr_capacity) {
			uint64_t *nc = realloc(dr->capacity,
					       (node + 1) * sizeof(*nc));

			if (!nc)
				return;
			memset(nc + dr->nr_capacity, 0,
			       (node + 1 - dr->nr_capacity) * sizeof(*nc));
			dr->capacity = nc;
			dr->nr_capacity = node + 1;
		}
		old = dr->capacity[node];
		dr->capacity[node] = cap;
		if (!dr->capacity_known || cap <= old)
			continue;
		dr->met->capacity_added_bytes += cap - old;
		log_info("node %u (tier %u): capacity arrived, %llu MiB more (%llu MiB now)%s; this decision uses it",
			 node, pn->info[i].tier,
			 (unsigned long long)((cap - old) >> 20),
			 (unsigned long long)(cap >> 20),
			 old ? "" : ", a new node");
	}
	/* A node that left has no capacity now. */
	for (i = 0; i < dr->nr_capacity; i++) {
		uint32_t k;
		bool present = false;

		for (k = 0; k < pn->nr; k++)
			present = present || pn->info[k].node == i;
		if (!present)
			dr->capacity[i] = 0;
	}
	dr->capacity_known = true;
}

/* --- life cycle ----------------------------------------------------------- */

int drain_new(struct drain **dp, struct admin *admin,
	      const struct kdev *kdev, struct executor *exec,
	      struct server *srv, struct metrics *met)
{
	struct drain *dr;
	int ret;

	dr = calloc(1, sizeof(*dr));
	if (!dr)
		return -ENOMEM;
	dr->kdev = kdev;
	dr->exec = exec;
	dr->srv = srv;
	dr->met = met;
	dr->admin = admin;
	ret = admin_register(admin, "drain", verb_drain, dr, ADMIN_PRIVILEGED);
	if (!ret)
		ret = admin_register(admin, "undrain", verb_undrain, dr,
				     ADMIN_PRIVILEGED);
	if (!ret)
		ret = admin_register(admin, "status", verb_status, dr,
				     ADMIN_PRIVILEGED);
	if (!ret)
		ret = admin_on_close(admin, admin_closed, dr);
	if (ret) {
		free(dr);
		return ret;
	}
	*dp = dr;
	return 0;
}

void drain_free(struct drain *dr)
{
	size_t i;

	if (!dr)
		return;
	for (i = 0; i < dr->nr_nodes; i++) {
		free(dr->nodes[i].pools);
		free(dr->nodes[i].ranges);
	}
	free(dr->nodes);
	free(dr->capacity);
	free(dr);
}
