/* SPDX-License-Identifier: GPL-2.0 */
/*
 * executor: the only code in cxltierd that moves pages.  It carries out
 * a migration plan one chunk range at a time: re-checks the range (still
 * tracked, still where the plan thought, room on the target), then moves
 * it with move_pages(2) when nobody pins it, or through the owner's
 * release / move / re-pin handshake (server_handshake()) when a
 * libcxltier client registered it, and finally reads back every page's
 * node to tell what really moved.
 */
#ifndef CXLTIERD_EXECUTOR_H
#define CXLTIERD_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdev.h"
#include "metrics.h"
#include "plan.h"
#include "server.h"

/* Pages per move_pages(2) call. */
#define EXEC_BATCH_PAGES	4096
/* status[] entries are pre-filled with this: an entry the kernel did not
 * write (it returned early with a positive count) still holds it. */
/*
 * exec_evacuate_pages(): the least it waits for pages the kernel holds
 * (ms; more for longer ranges), and how often it looks again (us).
 */
#define EXEC_EVACUATE_MS	3000
#define EXEC_EVACUATE_POLL_US	20000

#define EXEC_STATUS_UNSET	(-2147483647 - 1)
/* Most bytes one handshake releases (the REPIN promise grows with it). */
#define EXEC_SPAN_MAX_BYTES	(64ULL << 20)
/* Free memory a move must leave on its target node. */
#define EXEC_RESERVE_BYTES	(32ULL << 20)

/**
 * struct exec_result - what one move did
 * @status: 0 when every resident page is on the target now; else why not
 * @fail: enum move_fail when @status is not 0
 * @moved: bytes that changed node
 * @node: node of the range's resident pages now, -1 if several
 * @handshake: the owner's handshake was used
 */
struct exec_result {
	int status;
	enum move_fail fail;
	uint64_t moved;
	int node;
	bool handshake;
};

struct executor;

/* @srv may be NULL (no clients: every range is moved directly). */
int executor_new(struct executor **ep, const struct kdev *kdev,
		 struct server *srv, struct metrics *met);
void executor_free(struct executor *e);

/* Log the moves instead of making them. */
void executor_set_dry_run(struct executor *e, bool dry_run);

/*
 * Carry out @n moves planned from @snap (whose ranges it uses: no second
 * read of the module's range table), setting plan_move.done of each
 * that completed.  The moves of one range going one way are grouped
 * (exec_group()) and each group moved in spans (exec_span_end()): one
 * re-check read and one release / move / re-pin handshake per span, not
 * per move.  Returns how many completed.
 */
size_t executor_run(struct executor *e, const struct obs_snapshot *snap,
		    struct plan_move *moves, size_t n);

/*
 * Move [@off, @off + @len) of range @r to @node now (a client's MOVE
 * request).  The metrics count it as a promotion or demotion by the
 * tiers in @nodes of the first chunk's node, as the re-check reads it.
 * Fills @res; returns res->status.
 */
int executor_move_range(struct executor *e,
			const struct cxltier_range_info *r, uint64_t off,
			uint64_t len, int node, const struct plan_nodes *nodes,
			struct exec_result *res);

/*
 * As executor_move_range(), for a drain of node @from: the move empties
 * @from (exec_evacuate_pages()) rather than filling @node; pages the
 * kernel moved elsewhere meanwhile count as moved, and res->node says
 * where they are (-1: several nodes).
 */
int executor_evacuate_range(struct executor *e,
			    const struct cxltier_range_info *r, uint64_t off,
			    uint64_t len, int from, int node,
			    const struct plan_nodes *nodes,
			    struct exec_result *res);

/**
 * struct exec_gate - promotions held back by the demotions that failed
 * @debt: bytes of failed demotions not yet matched by a held-back promotion
 *
 * A plan that swaps lists a swap's demotions before its promotions (when
 * far memory has room for that order): the promotions are planned into
 * the room those demotions make, in DRAM and in the class's dram_share.
 * When a demotion fails, as many bytes of the promotions that follow are
 * held back for the next decision, so a failed swap never takes DRAM or a
 * class past its budget.  executor_run() starts each run with a zeroed
 * gate.
 */
struct exec_gate {
	uint64_t debt;
};

/*
 * May a move in direction @dir of @len bytes go ahead?  A promotion is
 * held back (false) while the gate owes bytes, and pays off @len of them.
 */
bool exec_gate_allows(struct exec_gate *g, enum move_dir dir, uint64_t len);

/*
 * A move in direction @dir of @len bytes moved only @moved of them: for a
 * demotion, the rest is owed by the promotions that follow.
 */
void exec_gate_record(struct exec_gate *g, enum move_dir dir, uint64_t len,
		      uint64_t moved);

/*
 * The re-check of a move of @nr chunks from @first, given their entries
 * @h as the module reports them now (@total chunks in the range): 0 when
 * they are still where the plan saw them (@from, or anywhere if -1) and
 * not all on @to yet; 1 when all are on @to already; -ESTALE otherwise.
 */
int exec_recheck_chunks(const struct cxltier_chunk_heat *h, uint64_t first,
			uint32_t nr, uint32_t total, int from, int to);

/*
 * The group of the move @start of @moves: it and every later move not
 * @taken of the same range, from and to the same nodes, up to the first
 * move of another direction (a plan lists a swap's demotions before its
 * promotions, and the gate relies on that order).  Their indices, by
 * first chunk, into @members (room for @n); returns how many.
 */
size_t exec_group(const struct plan_move *moves, size_t n, size_t start,
		  const bool *taken, size_t *members);

/*
 * Runs @runs (first chunk, chunk count; sorted by first chunk) from @k
 * that one handshake covers: while the span from run @k's first chunk
 * stays within @max_chunks, does not overlap, and at least half of it
 * moves (the client releases the whole span).  Returns the index past
 * the span's last run (> @k).
 */
size_t exec_span_end(const uint64_t (*runs)[2], size_t nr, size_t k,
		     uint64_t max_chunks);

/*
 * Why a move that ended with @status failed, for the metrics: through a
 * @handshake whose owner had (@released) or had not released the range,
 * or with move_pages(2) alone.
 */
enum move_fail exec_fail_of(int status, bool handshake, bool released);

/*
 * Move pages of process @pid at [@addr, @addr + @len) to @node with
 * move_pages(2) in batches, one entry per transparent huge page first
 * (the kernel moves the whole folio) and then one per page for what did
 * not move, then read back where each page is.  With @off_target (a
 * re-check just found every resident page elsewhere than @node), it
 * does not first ask where each page is.  *@moved
 * gets the bytes that changed node, *@node_after the node all resident
 * pages are on (-1 if several, or none resident).  0 when every resident
 * page is on @node; -EBUSY when some could not move (pinned or busy);
 * -errno of move_pages(2) (-ESRCH: the process is gone).  Exposed for
 * the benchmarks.
 */
int exec_move_pages(pid_t pid, uint64_t addr, uint64_t len, int node,
		    bool off_target, uint64_t *moved, int *node_after);

/*
 * Empty node @from of [@addr, @addr + @len) of @pid's memory: move its
 * pages there to @to, and wait (at most @budget_ms) for those the kernel
 * holds meanwhile.  While an offline of @from runs, the kernel's own
 * migration loop keeps isolating the range's pages (move_pages(2) then
 * answers EBUSY for them) and migrates those no longer pinned itself,
 * to a node of its choosing: such a page counts as moved, wherever it
 * landed (never on @from).  With @all_on_from (the caller knows every
 * page was on @from before the owner released it), a page found
 * elsewhere at the start counts as moved too.  *@moved gets the bytes
 * that left @from,
 * *@node_after the node all resident pages are on (-1 if several, or
 * none).  0 when no page is left on @from or in flight from it; -EBUSY
 * when some still are at the deadline; -errno of move_pages(2).
 */
int exec_evacuate_pages(pid_t pid, uint64_t addr, uint64_t len, int from,
			int to, bool all_on_from, uint64_t budget_ms,
			uint64_t *moved, int *node_after);

#endif /* CXLTIERD_EXECUTOR_H */
