// SPDX-License-Identifier: GPL-2.0
/*
 * executor: the only code in cxltierd that moves pages.  See executor.h.
 *
 * For each planned move:
 *
 *	re-check -----> stale / no room: skip, count why
 *	   |
 *	   +-- registered by a client --> handshake: PREPARE ... RELEASED
 *	   |                                  move_pages + read back
 *	   |                              REPIN ... ACK
 *	   +-- not registered ----------> move_pages + read back
 *
 * move_pages(2) returns the number of pages it could not migrate (pinned,
 * busy) as a positive value and leaves their status entries unwritten:
 * every entry is pre-filled with EXEC_STATUS_UNSET, and whatever the
 * call says, a second move_pages(2) with no target nodes reads where
 * each page really is.  Only that read-back decides what moved.  Pages
 * that NUMA balancing has marked for a hinting fault look unmapped to
 * 6.1's move_pages(2): they are faulted in and tried again (fault_in()).
 */
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "executor.h"
#include "log.h"
#include "plan.h"

/**
 * struct executor - state of the executor
 * @kdev: the module
 * @srv: the socket server, or NULL
 * @met: counters to update
 * @dry_run: log instead of moving
 * @ranges: the module's ranges, read at the start of executor_run()
 * @nr_ranges: entries in @ranges
 * @ranges_room: allocated entries
 * @heat: scratch for the re-check
 * @heat_room: allocated entries of @heat
 */
struct executor {
	const struct kdev *kdev;
	struct server *srv;
	struct metrics *met;
	bool dry_run;
	struct cxltier_range_info *ranges;
	uint32_t nr_ranges;
	uint32_t ranges_room;
	struct cxltier_chunk_heat *heat;
	uint32_t heat_room;
};

int executor_new(struct executor **ep, const struct kdev *kdev,
		 struct server *srv, struct metrics *met)
{
	struct executor *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->kdev = kdev;
	e->srv = srv;
	e->met = met;
	*ep = e;
	return 0;
}

void executor_free(struct executor *e)
{
	if (!e)
		return;
	free(e->ranges);
	free(e->heat);
	free(e);
}

void executor_set_dry_run(struct executor *e, bool dry_run)
{
	e->dry_run = dry_run;
}

/* --- move_pages(2) ------------------------------------------------------- */

/*
 * Fault in the pages whose status is -EFAULT, by reading a byte of each
 * through process_vm_readv(2).  On 6.1, move_pages(2) goes through
 * follow_page(), which treats a PROT_NONE entry left by NUMA balancing
 * (a hinting fault to come) like a missing page: it reports -EFAULT and
 * moves nothing.  The read takes the hinting fault for the owner, which
 * restores the entry.  An untouched page just maps the zero page.
 * Returns how many pages it tried.
 */
static unsigned long fault_in(pid_t pid, void *const *pages,
			      const int *status, unsigned long n)
{
	static struct iovec remote[EXEC_BATCH_PAGES];
	static char sink[EXEC_BATCH_PAGES];
	struct iovec local = { sink, 0 };
	unsigned long i, k = 0, done = 0;
	ssize_t got;

	for (i = 0; i < n; i++)
		if (status[i] == -EFAULT) {
			remote[k].iov_base = pages[i];
			remote[k++].iov_len = 1;
		}
	/* A page that cannot be read stops the call: skip it, go on. */
	while (done < k) {
		local.iov_len = k - done;
		got = process_vm_readv(pid, &local, 1, remote + done, k - done,
				       0);
		if (got < 0 && errno != EFAULT)
			break;
		done += got > 0 ? (unsigned long)got : 0;
		done++;
	}
	return k;
}

/* move_pages(2) that takes the hinting faults fault_in() describes. */
static long move_pages_faulting(pid_t pid, unsigned long n, void **pages,
				const int *nodes, int *status, int flags)
{
	unsigned long i;
	long ret;

	for (i = 0; i < n; i++)
		status[i] = EXEC_STATUS_UNSET;
	ret = move_pages(pid, n, pages, nodes, status, flags);
	if (ret < 0 || !fault_in(pid, pages, status, n))
		return ret;
	for (i = 0; i < n; i++)
		status[i] = EXEC_STATUS_UNSET;
	return move_pages(pid, n, pages, nodes, status, flags);
}

int exec_move_pages(pid_t pid, uint64_t addr, uint64_t len, int node,
		    uint64_t *moved, int *node_after)
{
	static void *pages[EXEC_BATCH_PAGES];
	static int nodes[EXEC_BATCH_PAGES];
	static int before[EXEC_BATCH_PAGES];
	static int status[EXEC_BATCH_PAGES];
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t npages = len / page, done, moved_pages = 0;
	uint64_t resident = 0, absent = 0, unwritten = 0, refused = 0;
	int first_err = 0;
	int flags = MPOL_MF_MOVE_ALL, where = -1;
	bool busy = false, mixed = false;
	unsigned long n, i;
	long ret;

	*moved = 0;
	*node_after = -1;
	for (done = 0; done < npages; done += n) {
		n = npages - done < EXEC_BATCH_PAGES ?
			    (unsigned long)(npages - done) : EXEC_BATCH_PAGES;
		for (i = 0; i < n; i++) {
			pages[i] = (void *)(uintptr_t)(addr + (done + i) * page);
			nodes[i] = node;
		}
		/*
		 * Where each page is now, to count what really moves; a page
		 * this cannot see (-EFAULT: see fault_in()) counts as moved
		 * if it ends up on @node.
		 */
		for (i = 0; i < n; i++)
			before[i] = EXEC_STATUS_UNSET;
		if (move_pages(pid, n, pages, NULL, before, 0) < 0)
			return -errno;
again:
		ret = move_pages_faulting(pid, n, pages, nodes, status, flags);
		if (ret < 0 && errno == EPERM && flags == MPOL_MF_MOVE_ALL) {
			/* No CAP_SYS_NICE: pages shared with others stay. */
			flags = MPOL_MF_MOVE;
			goto again;
		}
		if (ret < 0)
			return -errno;
		/* A positive count: pages not migrated, pinned or busy. */
		if (ret > 0) {
			busy = true;
			refused += (uint64_t)ret;
		}
		for (i = 0; i < n; i++)
			if (status[i] == EXEC_STATUS_UNSET) {
				busy = true;
				unwritten++;
			}

		/* What counts is where the pages are now. */
		if (move_pages_faulting(pid, n, pages, NULL, status, 0) < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			if (status[i] < 0) { /* not resident (-ENOENT) */
				absent++;
				if (!first_err)
					first_err = status[i];
				continue;
			}
			resident++;
			if (status[i] != node)
				busy = true;
			else if (before[i] != node)
				moved_pages++;
			if (where < 0)
				where = status[i];
			else if (where != status[i])
				mixed = true;
		}
	}
	*moved = moved_pages * page;
	*node_after = mixed ? -1 : where;
	log_debug("move_pages pid %d [%#llx, +%#llx) -> node %d: %llu resident, %llu moved, %llu not resident (%s), %llu refused, %llu status entries unwritten",
		  (int)pid, (unsigned long long)addr, (unsigned long long)len,
		  node, (unsigned long long)resident,
		  (unsigned long long)moved_pages, (unsigned long long)absent,
		  first_err ? strerror(-first_err) : "-",
		  (unsigned long long)refused, (unsigned long long)unwritten);
	return busy ? -EBUSY : 0;
}

/* --- re-check and move --------------------------------------------------- */

/* Read the module's ranges into e->ranges. */
static int refresh_ranges(struct executor *e)
{
	struct cxltier_range_info *tmp;
	uint32_t total = 0;
	int ret;

	for (;;) {
		ret = kdev_get_ranges(e->kdev, 1, e->ranges, e->ranges_room,
				      &total);
		if (ret)
			return ret;
		if (total <= e->ranges_room)
			break;
		tmp = realloc(e->ranges, (total + 16) * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		e->ranges = tmp;
		e->ranges_room = total + 16;
	}
	e->nr_ranges = total;
	return 0;
}

static const struct cxltier_range_info *find_range(struct executor *e,
						   uint32_t id)
{
	uint32_t i;

	for (i = 0; i < e->nr_ranges; i++)
		if (e->ranges[i].id == id)
			return &e->ranges[i];
	return NULL;
}

/*
 * Is the range still tracked, on @from (or anywhere if -1), and not yet
 * all on @to?  0: go ahead; 1: already there; -ESTALE, -ENOENT: skip.
 */
static int recheck(struct executor *e, const struct cxltier_range_info *r,
		   uint64_t first, uint32_t nr, int from, int to)
{
	struct cxltier_chunk_heat *tmp;
	uint32_t total;
	int ret;

	if (nr > e->heat_room) {
		tmp = realloc(e->heat, nr * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		e->heat = tmp;
		e->heat_room = nr;
	}
	ret = kdev_get_heat(e->kdev, r->id, first, e->heat, nr,
			    CXLTIER_HEAT_REFRESH, &total, NULL);
	if (ret)
		return ret;
	return exec_recheck_chunks(e->heat, first, nr, total, from, to);
}

int exec_recheck_chunks(const struct cxltier_chunk_heat *h, uint64_t first,
			uint32_t nr, uint32_t total, int from, int to)
{
	uint32_t i, there = 0;

	if (first + nr > total)
		return -ESTALE;
	for (i = 0; i < nr; i++) {
		if (h[i].node == to)
			there++;
		else if (from >= 0 && h[i].node != from &&
			 h[i].node != CXLTIER_NODE_NONE)
			return -ESTALE;
	}
	return there == nr ? 1 : 0;
}

/**
 * struct hs_move - what the handshake's move callback needs
 * @pid: owner
 * @addr: first byte
 * @len: bytes
 * @node: target
 */
struct hs_move {
	pid_t pid;
	uint64_t addr;
	uint64_t len;
	int node;
};

static int hs_move_cb(void *arg, int *node, uint64_t *moved)
{
	const struct hs_move *hm = arg;

	return exec_move_pages(hm->pid, hm->addr, hm->len, hm->node, moved,
			       node);
}

enum move_fail exec_fail_of(int status, bool handshake, bool released)
{
	if (handshake && !released) {
		if (status == -ETIMEDOUT)
			return MOVE_FAIL_TIMEOUT;
		if (status == -ECONNRESET)
			return MOVE_FAIL_GONE;
		return MOVE_FAIL_REFUSED;
	}
	if (status == -EBUSY)
		return MOVE_FAIL_PINNED;
	if (status == -ESRCH || status == -ECONNRESET)
		return MOVE_FAIL_GONE;
	if (status == -ETIMEDOUT)
		return MOVE_FAIL_TIMEOUT;
	return MOVE_FAIL_ERROR;
}

/*
 * Move [off, off + len) of @r; first chunk @first, @nr chunks.  With
 * @nodes (a client's move), the direction is the first chunk's as the
 * re-check finds it; else @dir (the plan's).
 */
static int move_one(struct executor *e, const struct cxltier_range_info *r,
		    uint64_t off, uint64_t len, int from, int to,
		    enum move_dir dir, const struct plan_nodes *nodes,
		    struct exec_result *res)
{
	uint64_t first = off / r->chunk_size;
	uint32_t nr = (uint32_t)((len + r->chunk_size - 1) / r->chunk_size);
	struct srv_buffer *b = NULL;
	struct srv_hs_result hs;
	struct hs_move hm;
	long long free_b = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	res->node = -1;

	ret = recheck(e, r, first, nr, from, to);
	if (nodes && ret >= 0)
		dir = plan_direction(nodes, e->heat[0].node, to);
	if (ret == 1) {
		res->node = to;
		return 0; /* already there: nothing to do */
	}
	if (ret) {
		res->status = ret;
		res->fail = ret == -ESTALE || ret == -ENOENT ? MOVE_FAIL_STALE :
							       MOVE_FAIL_ERROR;
		goto out;
	}
	if (to < 0 || numa_node_size64(to, &free_b) <= 0) {
		res->status = -EINVAL; /* not a memory node */
		res->fail = MOVE_FAIL_ERROR;
		goto out;
	}
	if ((uint64_t)free_b < len + EXEC_RESERVE_BYTES) {
		res->status = -ENOSPC;
		res->fail = MOVE_FAIL_NO_ROOM;
		goto out;
	}
	if (e->srv)
		b = server_buffer(e->srv, r->id);
	if (e->dry_run) {
		log_info("dry run: would move range %u [%#llx, +%#llx) to node %d%s",
			 r->id, (unsigned long long)off,
			 (unsigned long long)len, to,
			 b ? " (handshake)" : "");
		e->met->dry_run++;
		return 0;
	}

	hm.pid = r->pid;
	hm.addr = r->start + off;
	hm.len = len;
	hm.node = to;
	if (b) {
		if (server_backoff(e->srv, r->id)) {
			res->status = -EAGAIN;
			res->fail = MOVE_FAIL_BACKOFF;
			goto out;
		}
		res->handshake = true;
		ret = server_handshake(e->srv, b, off, len, to, hs_move_cb, &hm,
				       &hs);
		b = NULL; /* may be gone */
		res->status = ret;
		res->moved = hs.moved;
		res->node = hs.node;
		if (hs.released && ret != -ECONNRESET)
			metrics_handshake(e->met, hs.latency_us);
		if (ret)
			res->fail = exec_fail_of(ret, true, hs.released);
	} else {
		if (r->pid <= 0) {
			res->status = -ESRCH;
			res->fail = MOVE_FAIL_GONE;
			goto out;
		}
		ret = exec_move_pages(r->pid, hm.addr, len, to, &res->moved,
				      &res->node);
		res->status = ret;
		if (ret)
			res->fail = exec_fail_of(ret, false, false);
	}
out:
	if (res->moved) {
		e->met->migrations[dir][res->handshake ? MET_HANDSHAKE :
							 MET_MOVE_PAGES]++;
		e->met->migrated_bytes[dir] += res->moved;
	}
	if (res->status)
		e->met->failures[res->fail]++;
	log_debug("range %u [%#llx, +%#llx) -> node %d: %s, %llu bytes moved%s",
		  r->id, (unsigned long long)off, (unsigned long long)len, to,
		  res->status ? strerror(-res->status) : "done",
		  (unsigned long long)res->moved,
		  res->handshake ? " (handshake)" : "");
	return res->status;
}

bool exec_gate_allows(struct exec_gate *g, enum move_dir dir, uint64_t len)
{
	if (dir != MOVE_PROMOTE || !g->debt)
		return true;
	g->debt = len < g->debt ? g->debt - len : 0;
	return false;
}

void exec_gate_record(struct exec_gate *g, enum move_dir dir, uint64_t len,
		      uint64_t moved)
{
	if (dir == MOVE_DEMOTE && moved < len)
		g->debt += len - moved;
}

size_t executor_run(struct executor *e, struct plan_move *moves, size_t n)
{
	const struct cxltier_range_info *r;
	struct exec_gate gate = { 0 };
	struct exec_result res;
	uint64_t off, len;
	size_t i, done = 0;
	int ret;

	if (!n)
		return 0;
	ret = refresh_ranges(e);
	if (ret) {
		log_err("cannot read the module's ranges: %s", strerror(-ret));
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct plan_move *mv = &moves[i];

		mv->done = false;
		r = find_range(e, mv->range_id);
		if (!r || !mv->nr_chunks || mv->first_chunk >= r->nr_chunks ||
		    mv->nr_chunks > r->nr_chunks - mv->first_chunk) {
			e->met->failures[MOVE_FAIL_STALE]++;
			continue;
		}
		off = mv->first_chunk * r->chunk_size;
		len = (uint64_t)mv->nr_chunks * r->chunk_size;
		if (len > r->length - off)
			len = r->length - off;
		if (!e->dry_run && !exec_gate_allows(&gate, mv->dir, len)) {
			/* Its room was to come from a demotion that failed. */
			e->met->failures[MOVE_FAIL_NO_ROOM]++;
			log_debug("range %u [%#llx, +%#llx) -> node %d: held back, a demotion before it failed",
				  r->id, (unsigned long long)off,
				  (unsigned long long)len, mv->to_node);
			continue;
		}
		ret = move_one(e, r, off, len, mv->from_node, mv->to_node,
			       mv->dir, NULL, &res);
		exec_gate_record(&gate, mv->dir, len, ret ? res.moved : len);
		if (!ret && !e->dry_run) {
			mv->done = true;
			done++;
		}
	}
	return done;
}

int executor_move_range(struct executor *e,
			const struct cxltier_range_info *r, uint64_t off,
			uint64_t len, int node, const struct plan_nodes *nodes,
			struct exec_result *res)
{
	return move_one(e, r, off, len, -1, node, MOVE_LATERAL, nodes, res);
}
