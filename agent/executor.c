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
#include <stdio.h>
#include <numa.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "clock.h"
#include "executor.h"
#include "log.h"
#include "plan.h"

/**
 * struct executor - state of the executor
 * @kdev: the module
 * @srv: the socket server, or NULL
 * @met: counters to update
 * @dry_run: log instead of moving
 * @heat: scratch for the re-check (and, once a span's re-check is
 *	done, for move_run_huge()'s read-back)
 * @heat_room: allocated entries of @heat
 * @scratch_room: allocated entries of each array below
 * @taken: per move of a plan: already in a group
 * @group: the moves of one group (exec_group())
 * @members: the moves of a group that passed the gate
 * @runs: their runs of chunks, for move_span()
 * @bounds: their first chunk and chunk count, for exec_span_end()
 */
struct executor {
	const struct kdev *kdev;
	struct server *srv;
	struct metrics *met;
	bool dry_run;
	struct cxltier_chunk_heat *heat;
	uint32_t heat_room;
	size_t scratch_room;
	bool *taken;
	size_t *group;
	size_t *members;
	struct span_run *runs;
	uint64_t (*bounds)[2];
	/* executor_evacuate_range(): the node to empty, else -1. */
	int evac_from;
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
	e->evac_from = -1;
	*ep = e;
	return 0;
}

void executor_free(struct executor *e)
{
	if (!e)
		return;
	free(e->heat);
	free(e->taken);
	free(e->group);
	free(e->members);
	free(e->runs);
	free(e->bounds);
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

/* Bytes of a PMD-sized transparent huge page, 0 when THP is unavailable. */
static uint64_t thp_size(void)
{
	static uint64_t size = UINT64_MAX;
	unsigned long long v = 0;
	FILE *f;

	if (size != UINT64_MAX)
		return size;
	size = 0;
	f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "re");
	if (f) {
		if (fscanf(f, "%llu", &v) == 1 && v && !(v & (v - 1)))
			size = v;
		fclose(f);
	}
	return size;
}

/*
 * One move_pages(2) of @n pages to @node, falling back to MPOL_MF_MOVE
 * (pages shared with others stay) without CAP_SYS_NICE.  0 or -errno;
 * what moved is read back by the caller.
 */
static int move_batch(pid_t pid, unsigned long n, void **pages, int node,
		      int *status, int *flags)
{
	static int nodes[EXEC_BATCH_PAGES];
	unsigned long i;
	long ret;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		nodes[i] = node;
again:
	ret = move_pages_faulting(pid, n, pages, nodes, status, *flags);
	if (ret < 0 && errno == EPERM && *flags == MPOL_MF_MOVE_ALL) {
		*flags = MPOL_MF_MOVE;
		goto again;
	}
	return ret < 0 ? -errno : 0;
}

int exec_move_pages(pid_t pid, uint64_t addr, uint64_t len, int node,
		    bool off_target, uint64_t *moved, int *node_after)
{
	static void *pages[EXEC_BATCH_PAGES];
	static void *todo[EXEC_BATCH_PAGES];
	static int before[EXEC_BATCH_PAGES];
	static int status[EXEC_BATCH_PAGES];
	static int scratch[EXEC_BATCH_PAGES];
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), huge = thp_size();
	uint64_t npages = len / page, done, moved_pages = 0, per_huge;
	uint64_t resident = 0, absent = 0, whole = 0, small = 0;
	int flags = MPOL_MF_MOVE_ALL, where = -1, first_err = 0, ret;
	bool busy = false, mixed = false, try_huge = huge > page;
	unsigned long n, i, k;
	uint64_t a;

	*moved = 0;
	*node_after = -1;
	per_huge = try_huge ? huge / page : 1;
	for (done = 0; done < npages; done += n) {
		n = npages - done < EXEC_BATCH_PAGES ?
			    (unsigned long)(npages - done) : EXEC_BATCH_PAGES;
		for (i = 0; i < n; i++)
			pages[i] = (void *)(uintptr_t)(addr + (done + i) * page);
		/*
		 * Where each page is now, to count what really moves, unless
		 * the caller's re-check just read that none is on @node.
		 */
		if (off_target) {
			for (i = 0; i < n; i++)
				before[i] = -1;
		} else if (move_pages_faulting(pid, n, pages, NULL, before,
					       0) < 0) {
			return -errno;
		}
		for (i = 0; i < n; i++)
			status[i] = before[i];

		/*
		 * One entry per huge page first: the kernel migrates a THP as
		 * a whole folio from any address in it, and the 511 other
		 * entries only cost it a lookup each.  The read-back says
		 * whether the whole folio went; what did not (small pages,
		 * a folio split or busy) goes page by page below.
		 */
		if (try_huge) {
			for (i = 0, k = 0; i < n; i++) {
				a = addr + (done + i) * page;
				if (a & (huge - 1) || i + per_huge > n)
					continue;
				if (status[i] != node && status[i] != -ENOENT)
					todo[k++] = pages[i];
			}
			if (k) {
				ret = move_batch(pid, k, todo, node, scratch, &flags);
				if (ret)
					return ret;
				if (move_pages_faulting(pid, n, pages, NULL,
							status, 0) < 0)
					return -errno;
				whole += k;
			}
		}

		for (i = 0, k = 0; i < n; i++)
			if (status[i] != node && status[i] != -ENOENT)
				todo[k++] = pages[i];
		/* The range is not THP-backed: stop trying. */
		if (try_huge && k >= n / 2)
			try_huge = false;
		if (k) {
			ret = move_batch(pid, k, todo, node, status, &flags);
			if (ret)
				return ret;
			small += k;
			/* What counts is where the pages are now. */
			if (move_pages_faulting(pid, n, pages, NULL, status,
						0) < 0)
				return -errno;
		}
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
	log_debug("move_pages pid %d [%#llx, +%#llx) -> node %d: %llu resident, %llu moved, %llu not resident (%s); %llu huge-page and %llu page entries",
		  (int)pid, (unsigned long long)addr, (unsigned long long)len,
		  node, (unsigned long long)resident,
		  (unsigned long long)moved_pages, (unsigned long long)absent,
		  first_err ? strerror(-first_err) : "-",
		  (unsigned long long)whole, (unsigned long long)small);
	return busy ? -EBUSY : 0;
}

/*
 * What an evacuation waits for the kernel at most, by length: well
 * inside the REPIN promise of server.c's hold_ms() (5 s plus 1 s per
 * 16 MiB), so that the owner hears from us in time.
 */
static uint64_t evacuate_budget_ms(uint64_t len)
{
	uint64_t ms = EXEC_EVACUATE_MS + (len >> 24) * 750;

	return ms > 30000 ? 30000 : ms;
}

/*
 * Does a page whose status is @st go in this pass's move?  On the first
 * pass every page not known to be elsewhere, then those on @from.
 */
static bool evacuee(int st, unsigned long pass, int from, int to)
{
	if (pass)
		return st == from;
	return st != to && st != -ENOENT && (st < 0 || st == from);
}

/* Where each of @n pages is: move_pages(2) with no target. */
static int where_pages(pid_t pid, unsigned long n, void **pages, int *status)
{
	return move_pages_faulting(pid, n, pages, NULL, status, 0) < 0 ?
		       -errno : 0;
}

int exec_evacuate_pages(pid_t pid, uint64_t addr, uint64_t len, int from,
			int to, bool all_on_from, uint64_t budget_ms,
			uint64_t *moved, int *node_after)
{
	static void *pages[EXEC_BATCH_PAGES];
	static void *todo[EXEC_BATCH_PAGES];
	static int before[EXEC_BATCH_PAGES];
	static int status[EXEC_BATCH_PAGES];
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), huge = thp_size();
	uint64_t npages = len / page, done, moved_pages = 0, left = 0;
	uint64_t waits = 0, kernel = 0, deadline = clock_now_ms() + budget_ms;
	uint64_t unknown = 0, absent = 0;
	uint64_t per_huge = huge > page ? huge / page : 1;
	int flags = MPOL_MF_MOVE_ALL, where = -1, ret;
	bool mixed = false, try_huge = huge > page;
	unsigned long n, i, k, pass;

	*moved = 0;
	*node_after = -1;
	for (done = 0; done < npages; done += n) {
		n = npages - done < EXEC_BATCH_PAGES ?
			    (unsigned long)(npages - done) : EXEC_BATCH_PAGES;
		for (i = 0; i < n; i++)
			pages[i] = (void *)(uintptr_t)(addr + (done + i) * page);
		ret = where_pages(pid, n, pages, before);
		if (ret)
			return ret;
		for (i = 0; i < n; i++) {
			unknown += before[i] < 0 && before[i] != -ENOENT;
			absent += before[i] == -ENOENT;
		}
		memcpy(status, before, n * sizeof(*status));
		for (pass = 0;; pass++) {
			bool on_from = false, flux = false;

			/*
			 * A page that was on @from and now has no node is
			 * under migration (a migration entry in its PTE):
			 * the kernel's, or ours; it lands off @from.
			 */
			for (i = 0; i < n; i++) {
				on_from = on_from || status[i] == from;
				flux = flux || (before[i] == from && status[i] < 0);
			}
			/*
			 * The first pass moves every page not known to be
			 * elsewhere, as exec_move_pages() does: a status read
			 * may fail for a page that is there (an entry NUMA
			 * balancing left PROT_NONE on 6.1, say).
			 */
			if (!pass)
				on_from = true;
			else if (!on_from && !flux)
				break;
			if (pass && clock_now_ms() >= deadline)
				break;
			if (pass) {
				usleep(EXEC_EVACUATE_POLL_US);
				waits++;
			}
			if (!on_from) {
				ret = where_pages(pid, n, pages, status);
				if (ret)
					return ret;
				continue;
			}
			/* One entry per huge page first, as exec_move_pages(). */
			if (try_huge) {
				for (i = 0, k = 0; i < n; i++) {
					uint64_t a = addr + (done + i) * page;

					if (!(a & (huge - 1)) && i + per_huge <= n &&
					    evacuee(status[i], pass, from, to))
						todo[k++] = pages[i];
				}
				if (k) {
					ret = move_batch(pid, k, todo, to,
							 status, &flags);
					if (ret)
						return ret;
					ret = where_pages(pid, n, pages, status);
					if (ret)
						return ret;
				}
			}
			for (i = 0, k = 0; i < n; i++)
				if (evacuee(status[i], pass, from, to))
					todo[k++] = pages[i];
			if (try_huge && k >= n / 2)
				try_huge = false;
			if (k) {
				ret = move_batch(pid, k, todo, to, status, &flags);
				if (ret)
					return ret;
				ret = where_pages(pid, n, pages, status);
				if (ret)
					return ret;
			}
		}
		for (i = 0; i < n; i++) {
			if (status[i] >= 0 && status[i] != from &&
			    (before[i] == from || before[i] < 0 || all_on_from)) {
				moved_pages++;
				kernel += status[i] != to;
			}
			if (status[i] == from ||
			    (before[i] == from && status[i] < 0))
				left++;
			if (status[i] < 0)
				continue;
			if (where < 0)
				where = status[i];
			else if (where != status[i])
				mixed = true;
		}
	}
	*moved = moved_pages * page;
	*node_after = mixed ? -1 : where;
	log_debug("evacuate pid %d [%#llx, +%#llx) node %d -> %d: %llu pages moved (%llu of them elsewhere than node %d, by the kernel), %llu left on node %d or in flight, %llu waits; before: %llu not resident, %llu unknown",
		  (int)pid, (unsigned long long)addr, (unsigned long long)len,
		  from, to, (unsigned long long)moved_pages,
		  (unsigned long long)kernel, to, (unsigned long long)left,
		  from, (unsigned long long)waits, (unsigned long long)absent,
		  (unsigned long long)unknown);
	return left ? -EBUSY : 0;
}

/* --- re-check and move --------------------------------------------------- */

static const struct cxltier_range_info *find_range(const struct obs_snapshot *snap,
						   uint32_t id)
{
	size_t i;

	for (i = 0; i < snap->nr_ranges; i++)
		if (snap->ranges[i].info.id == id)
			return &snap->ranges[i].info;
	return NULL;
}

/*
 * Read the heat (current nodes) of chunks [@first, @first + @nr) of @r
 * into e->heat: the re-check of a whole span in one call.  0 or -errno;
 * the range's chunk count into *@total.
 */
static int read_span(struct executor *e, const struct cxltier_range_info *r,
		     uint64_t first, uint32_t nr, uint32_t *total)
{
	struct cxltier_chunk_heat *tmp;

	if (nr > e->heat_room) {
		tmp = realloc(e->heat, nr * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		e->heat = tmp;
		e->heat_room = nr;
	}
	return kdev_get_heat(e->kdev, r->id, first, e->heat, nr,
			     CXLTIER_HEAT_REFRESH, total, NULL);
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

size_t exec_group(const struct plan_move *moves, size_t n, size_t start,
		  const bool *taken, size_t *members)
{
	const struct plan_move *m0 = &moves[start];
	size_t i, nr = 0, k;

	members[nr++] = start;
	for (i = start + 1; i < n && moves[i].dir == m0->dir; i++) {
		if (taken[i] || moves[i].range_id != m0->range_id ||
		    moves[i].from_node != m0->from_node ||
		    moves[i].to_node != m0->to_node)
			continue;
		members[nr++] = i;
	}
	/* By first chunk (insertion sort: a decision's runs are few). */
	for (i = 1; i < nr; i++) {
		size_t v = members[i];

		for (k = i; k > 0 && moves[members[k - 1]].first_chunk >
					     moves[v].first_chunk; k--)
			members[k] = members[k - 1];
		members[k] = v;
	}
	return nr;
}

size_t exec_span_end(const uint64_t (*runs)[2], size_t nr, size_t k,
		     uint64_t max_chunks)
{
	uint64_t first = runs[k][0], end = runs[k][0] + runs[k][1];
	uint64_t moving = runs[k][1], span;
	size_t i;

	for (i = k + 1; i < nr; i++) {
		if (runs[i][0] < end)
			break;	/* overlaps: a handshake of its own */
		span = runs[i][0] + runs[i][1] - first;
		if (span > max_chunks || span > 2 * (moving + runs[i][1]))
			break;
		moving += runs[i][1];
		end = runs[i][0] + runs[i][1];
	}
	return i;
}

/*
 * Is every resident page of these @nr chunks off node @to (each chunk
 * wholly on one other node, or not resident)?  Then the move need not
 * ask where each page was before it.
 */
static bool off_target(const struct cxltier_chunk_heat *h, uint32_t nr, int to)
{
	uint32_t i;

	for (i = 0; i < nr; i++)
		if (h[i].node == to || h[i].node == CXLTIER_NODE_MIXED)
			return false;
	return true;
}

/* Is each of these @nr chunks wholly on @node? */
static bool all_on(const struct cxltier_chunk_heat *h, uint32_t nr, int node)
{
	uint32_t i;

	for (i = 0; i < nr; i++)
		if (h[i].node != node)
			return false;
	return true;
}

/**
 * struct span_run - one run of chunks of a span
 * @off: offset in the range
 * @len: bytes
 * @dir: promotion or demotion, for the metrics
 * @live: still to move after the re-check
 * @off_target: the re-check found no resident page of it on the target
 * @on_from: an evacuation's re-check found every chunk of it wholly on
 *	the node to empty (what has left it when the move starts, the
 *	kernel's offline migration moved)
 * @res: how it went
 */
struct span_run {
	uint64_t off;
	uint64_t len;
	enum move_dir dir;
	bool live;
	bool off_target;
	bool on_from;
	struct exec_result res;
};

/**
 * struct hs_move - what the handshake's move callback needs
 * @e: the executor (its module handle, scratch)
 * @r: the range
 * @pid: owner
 * @start: the range's first byte
 * @node: target
 * @runs: the span's runs; those @live are moved
 * @nr: entries in @runs
 * @from: evacuate this node (exec_evacuate_pages()), -1: a plain move
 */
struct hs_move {
	struct executor *e;
	const struct cxltier_range_info *r;
	pid_t pid;
	uint64_t start;
	int node;
	int from;
	struct span_run *runs;
	size_t nr;
};

/* Can @run go by huge page (chunks of whole THPs, from a THP boundary)? */
static bool huge_run(const struct hs_move *hm, const struct span_run *run)
{
	uint64_t huge = thp_size(), cs = hm->r->chunk_size;

	return hm->e && huge > (uint64_t)sysconf(_SC_PAGESIZE) &&
	       cs >= huge && !(cs & (huge - 1)) &&
	       !((hm->start + run->off) & (huge - 1)) && run->len >= huge;
}

/*
 * A plain move of @run, which the re-check found with no resident page
 * on the target, by huge page: one move_pages(2) entry per THP (as
 * exec_move_pages() starts), then one placement read of the run's
 * chunks from the module, where reading every page's status back would
 * cost a lookup per 4 KiB page.  A chunk wholly on the target now moved
 * all its resident pages; the others (small pages, a THP split or busy,
 * a short last chunk) go through exec_move_pages(), page by page, which
 * counts what it finds on the target as moved (none was there before).
 * The first error; fills @run's result.
 */
static int move_run_huge(const struct hs_move *hm, struct span_run *run)
{
	static void *todo[EXEC_BATCH_PAGES];
	static int status[EXEC_BATCH_PAGES];
	struct executor *e = hm->e;
	uint64_t huge = thp_size(), cs = hm->r->chunk_size;
	uint64_t addr = hm->start + run->off, end = addr + run->len, a;
	uint64_t first = run->off / cs, moved, m;
	uint32_t nrc = (uint32_t)((run->len + cs - 1) / cs), total = 0, i, j;
	int flags = MPOL_MF_MOVE_ALL, ret = 0, rc, where = -2, node;
	unsigned long k;

	for (a = addr; a + huge <= end;) {
		for (k = 0; k < EXEC_BATCH_PAGES && a + huge <= end; a += huge)
			todo[k++] = (void *)(uintptr_t)a;
		ret = move_batch(hm->pid, k, todo, hm->node, status, &flags);
		if (ret)
			return ret;
	}
	/* The span's re-check is done: its scratch takes the read-back. */
	if (read_span(e, hm->r, first, nrc, &total) || first + nrc > total)
		goto by_page;

	run->res.moved = 0;
	for (i = 0; i < nrc; i = j) {
		if (e->heat[i].node == hm->node ||
		    e->heat[i].node == CXLTIER_NODE_NONE) {
			run->res.moved += (uint64_t)e->heat[i].resident_pages * 4096;
			if (e->heat[i].node == hm->node)
				where = where == -2 || where == hm->node ?
						hm->node : -1;
			j = i + 1;
			continue;
		}
		/* A run of chunks not wholly there yet: page by page. */
		for (j = i + 1; j < nrc && e->heat[j].node != hm->node &&
		     e->heat[j].node != CXLTIER_NODE_NONE; j++)
			;
		a = addr + (uint64_t)i * cs;
		m = (uint64_t)(j - i) * cs;
		if (a + m > end)
			m = end - a;
		rc = exec_move_pages(hm->pid, a, m, hm->node, true, &moved,
				     &node);
		run->res.moved += moved;
		where = where == -2 || where == node ? node : -1;
		if (!ret)
			ret = rc;
	}
	run->res.node = where == -2 ? -1 : where;
	return ret;

by_page:
	return exec_move_pages(hm->pid, addr, run->len, hm->node, true,
			       &run->res.moved, &run->res.node);
}

/* Move every live run of @hm; the first error, the common node. */
static int move_runs(const struct hs_move *hm, int *node, uint64_t *moved)
{
	struct span_run *run;
	int ret = 0, where = -2;
	size_t i;

	*moved = 0;
	for (i = 0; i < hm->nr; i++) {
		run = &hm->runs[i];
		if (!run->live)
			continue;
		if (hm->from >= 0)
			run->res.status = exec_evacuate_pages(hm->pid,
					hm->start + run->off, run->len,
					hm->from, hm->node, run->on_from,
					evacuate_budget_ms(run->len),
					&run->res.moved, &run->res.node);
		else if (run->off_target && huge_run(hm, run))
			run->res.status = move_run_huge(hm, run);
		else
			run->res.status = exec_move_pages(hm->pid,
					hm->start + run->off, run->len,
					hm->node, run->off_target,
					&run->res.moved, &run->res.node);
		if (run->res.status)
			run->res.fail = exec_fail_of(run->res.status, false,
						     false);
		if (!ret)
			ret = run->res.status;
		*moved += run->res.moved;
		if (where == -2)
			where = run->res.node;
		else if (where != run->res.node)
			where = -1;
	}
	*node = where == -2 ? -1 : where;
	return ret;
}

static int hs_move_cb(void *arg, int *node, uint64_t *moved)
{
	return move_runs(arg, node, moved);
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

/* Every live run of @runs ends with @status (counted as @fail). */
static void fail_live(struct span_run *runs, size_t nr, int status,
		      enum move_fail fail)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (runs[i].live) {
			runs[i].res.status = status;
			runs[i].res.fail = fail;
			runs[i].live = false;
		}
}

/*
 * Move the @nr runs of @r (sorted, not overlapping, one span: see
 * exec_span_end()) to @to: one re-check read for all of them, then
 * those still to move with one handshake over the span from the first
 * to the last (or move_pages(2) alone when nobody registered @r).  With
 * @nodes (a client's move), a run's direction is its first chunk's as
 * the re-check finds it; else the run's own.  Fills every run's @res.
 */
static void move_span(struct executor *e, const struct cxltier_range_info *r,
		      struct span_run *runs, size_t nr, int from, int to,
		      const struct plan_nodes *nodes)
{
	uint64_t cs = r->chunk_size, first = runs[0].off / cs, c0, need = 0;
	uint64_t end = runs[nr - 1].off + runs[nr - 1].len, off, len;
	uint32_t nrc = (uint32_t)((end - runs[0].off + cs - 1) / cs), total = 0;
	struct srv_buffer *b = NULL;
	struct srv_hs_result hs;
	struct hs_move hm;
	long long free_b = 0;
	size_t i, live = 0;
	int ret;

	for (i = 0; i < nr; i++) {
		memset(&runs[i].res, 0, sizeof(runs[i].res));
		runs[i].res.node = -1;
		runs[i].live = false;
		runs[i].on_from = false;
	}
	ret = read_span(e, r, first, nrc, &total);
	for (i = 0; i < nr; i++) {
		struct span_run *run = &runs[i];
		uint32_t rn = (uint32_t)((run->len + cs - 1) / cs);
		int rc = ret;

		c0 = run->off / cs;
		if (!rc)
			rc = exec_recheck_chunks(e->heat + (c0 - first), c0, rn,
						 total, from, to);
		if (nodes && rc >= 0)
			run->dir = plan_direction(nodes,
						  e->heat[c0 - first].node, to);
		if (rc == 1) {
			run->res.node = to; /* already there */
		} else if (rc) {
			run->res.status = rc;
			run->res.fail = rc == -ESTALE || rc == -ENOENT ?
						MOVE_FAIL_STALE : MOVE_FAIL_ERROR;
		} else {
			run->live = true;
			run->off_target = off_target(e->heat + (c0 - first),
						     rn, to);
			run->on_from = e->evac_from >= 0 &&
				       all_on(e->heat + (c0 - first), rn,
					      e->evac_from);
			need += run->len;
			live++;
		}
	}
	if (!live)
		goto out;
	/*
	 * A block pool's slab is pinned by its library and has no
	 * handshake: it moves block by block on advice, or is given back
	 * whole (POOL_RELEASE), never page by page here.
	 */
	if (e->srv && server_pool_slab(e->srv, r->id)) {
		fail_live(runs, nr, -EPERM, MOVE_FAIL_PINNED);
		goto out;
	}
	if (to < 0 || numa_node_size64(to, &free_b) <= 0) {
		fail_live(runs, nr, -EINVAL, MOVE_FAIL_ERROR); /* no memory */
		goto out;
	}
	if ((uint64_t)free_b < need + EXEC_RESERVE_BYTES) {
		fail_live(runs, nr, -ENOSPC, MOVE_FAIL_NO_ROOM);
		goto out;
	}
	/* The handshake covers the live runs only: shrink the span. */
	for (i = 0; !runs[i].live; i++)
		;
	off = runs[i].off;
	for (i = nr; !runs[i - 1].live; i--)
		;
	len = runs[i - 1].off + runs[i - 1].len - off;
	if (e->srv)
		b = server_buffer(e->srv, r->id);
	if (e->dry_run) {
		log_debug("dry run: would move range %u [%#llx, +%#llx) to node %d in %zu run(s)%s",
			 r->id, (unsigned long long)off,
			 (unsigned long long)len, to, live,
			 b ? " (one handshake)" : "");
		e->met->dry_run += live;
		goto out;
	}

	hm.e = e;
	hm.r = r;
	hm.pid = r->pid;
	hm.start = r->start;
	hm.node = to;
	hm.from = e->evac_from;
	hm.runs = runs;
	hm.nr = nr;
	if (b) {
		if (server_backoff(e->srv, r->id)) {
			fail_live(runs, nr, -EAGAIN, MOVE_FAIL_BACKOFF);
			goto out;
		}
		for (i = 0; i < nr; i++)
			runs[i].res.handshake = runs[i].live;
		ret = server_handshake(e->srv, b, off, len, to, hs_move_cb, &hm,
				       &hs);
		b = NULL; /* may be gone */
		if (hs.released && ret != -ECONNRESET)
			metrics_handshake(e->met, hs.latency_us);
		if (!hs.released) {
			fail_live(runs, nr, ret, exec_fail_of(ret, true, false));
			goto out;
		}
		/* Each run's move, else the handshake's end (ACK, client). */
		for (i = 0; i < nr; i++) {
			struct span_run *run = &runs[i];

			if (!run->live || run->res.status || !ret)
				continue;
			run->res.status = ret;
			run->res.fail = exec_fail_of(ret, true, true);
		}
	} else if (r->pid <= 0) {
		fail_live(runs, nr, -ESRCH, MOVE_FAIL_GONE);
		goto out;
	} else {
		uint64_t moved;
		int node;

		move_runs(&hm, &node, &moved);
	}
out:
	for (i = 0; i < nr; i++) {
		struct span_run *run = &runs[i];
		struct exec_result *res = &run->res;

		run->live = false;
		if (res->moved) {
			e->met->migrations[run->dir][res->handshake ? MET_HANDSHAKE :
								      MET_MOVE_PAGES]++;
			e->met->migrated_bytes[run->dir] += res->moved;
			e->met->migrated_chunks[run->dir] +=
				(run->len + r->chunk_size - 1) / r->chunk_size;
		}
		if (res->status)
			e->met->failures[res->fail]++;
		log_debug("range %u [%#llx, +%#llx) -> node %d: %s, %llu bytes moved%s",
			  r->id, (unsigned long long)run->off,
			  (unsigned long long)run->len, to,
			  res->status ? strerror(-res->status) : "done",
			  (unsigned long long)res->moved,
			  res->handshake ? " (handshake)" : "");
	}
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

/* Room for @n moves' worth of scratch. */
static int reserve(struct executor *e, size_t n)
{
	void *t;

	if (n <= e->scratch_room)
		return 0;
	t = realloc(e->members, n * sizeof(*e->members));
	if (!t)
		return -ENOMEM;
	e->members = t;
	t = realloc(e->group, n * sizeof(*e->group));
	if (!t)
		return -ENOMEM;
	e->group = t;
	t = realloc(e->taken, n * sizeof(*e->taken));
	if (!t)
		return -ENOMEM;
	e->taken = t;
	t = realloc(e->runs, n * sizeof(*e->runs));
	if (!t)
		return -ENOMEM;
	e->runs = t;
	t = realloc(e->bounds, n * sizeof(*e->bounds));
	if (!t)
		return -ENOMEM;
	e->bounds = t;
	e->scratch_room = n;
	return 0;
}

/*
 * The moves of one group (exec_group()) of range @r: the gate first (a
 * held-back promotion leaves the group), then one move_span() per span.
 * Returns how many completed.
 */
static size_t run_group(struct executor *e, const struct cxltier_range_info *r,
			struct plan_move *moves, const size_t *members,
			size_t nr, struct exec_gate *gate)
{
	uint64_t cs = r->chunk_size, max_chunks = EXEC_SPAN_MAX_BYTES / cs;
	struct plan_move *mv;
	size_t i, k, end, nruns = 0, done = 0;
	uint64_t off, len;

	for (i = 0; i < nr; i++) {
		mv = &moves[members[i]];
		if (!mv->nr_chunks || mv->first_chunk >= r->nr_chunks ||
		    mv->nr_chunks > r->nr_chunks - mv->first_chunk) {
			e->met->failures[MOVE_FAIL_STALE]++;
			continue;
		}
		off = mv->first_chunk * cs;
		len = (uint64_t)mv->nr_chunks * cs;
		if (len > r->length - off)
			len = r->length - off;
		if (!e->dry_run && !exec_gate_allows(gate, mv->dir, len)) {
			/* Its room was to come from a demotion that failed. */
			e->met->failures[MOVE_FAIL_NO_ROOM]++;
			log_debug("range %u [%#llx, +%#llx) -> node %d: held back, a demotion before it failed",
				  r->id, (unsigned long long)off,
				  (unsigned long long)len, mv->to_node);
			continue;
		}
		e->members[nruns] = members[i];
		e->runs[nruns].off = off;
		e->runs[nruns].len = len;
		e->runs[nruns].dir = mv->dir;
		e->bounds[nruns][0] = mv->first_chunk;
		e->bounds[nruns][1] = mv->nr_chunks;
		nruns++;
	}
	if (!max_chunks)
		max_chunks = 1;
	for (k = 0; k < nruns; k = end) {
		end = exec_span_end(e->bounds, nruns, k, max_chunks);
		mv = &moves[e->members[k]];
		move_span(e, r, e->runs + k, end - k, mv->from_node,
			  mv->to_node, NULL);
		for (i = k; i < end; i++) {
			struct span_run *run = &e->runs[i];

			mv = &moves[e->members[i]];
			exec_gate_record(gate, mv->dir, run->len,
					 run->res.status ? run->res.moved :
							   run->len);
			if (!run->res.status && !e->dry_run) {
				mv->done = true;
				done++;
			}
		}
	}
	return done;
}

size_t executor_run(struct executor *e, const struct obs_snapshot *snap,
		    struct plan_move *moves, size_t n)
{
	const struct cxltier_range_info *r;
	struct exec_gate gate = { 0 };
	size_t i, nr, k, done = 0;

	if (!n)
		return 0;
	if (reserve(e, n)) {
		log_err("executor: %s", strerror(ENOMEM));
		return 0;
	}
	for (i = 0; i < n; i++) {
		moves[i].done = false;
		e->taken[i] = false;
	}
	for (i = 0; i < n; i++) {
		if (e->taken[i])
			continue;
		r = find_range(snap, moves[i].range_id);
		if (!r) {
			e->taken[i] = true;
			e->met->failures[MOVE_FAIL_STALE]++;
			continue;
		}
		nr = exec_group(moves, n, i, e->taken, e->group);
		for (k = 0; k < nr; k++)
			e->taken[e->group[k]] = true;
		done += run_group(e, r, moves, e->group, nr, &gate);
	}
	return done;
}

int executor_move_range(struct executor *e,
			const struct cxltier_range_info *r, uint64_t off,
			uint64_t len, int node, const struct plan_nodes *nodes,
			struct exec_result *res)
{
	struct span_run run;

	memset(&run, 0, sizeof(run));
	run.off = off;
	run.len = len;
	run.dir = MOVE_LATERAL;
	move_span(e, r, &run, 1, -1, node, nodes);
	*res = run.res;
	return res->status;
}

int executor_evacuate_range(struct executor *e,
			    const struct cxltier_range_info *r, uint64_t off,
			    uint64_t len, int from, int node,
			    const struct plan_nodes *nodes,
			    struct exec_result *res)
{
	int ret;

	e->evac_from = from;
	ret = executor_move_range(e, r, off, len, node, nodes, res);
	e->evac_from = -1;
	return ret;
}
