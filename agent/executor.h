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
#include "server.h"

/* Pages per move_pages(2) call. */
#define EXEC_BATCH_PAGES	1024
/* status[] entries are pre-filled with this: an entry the kernel did not
 * write (it returned early with a positive count) still holds it. */
#define EXEC_STATUS_UNSET	(-2147483647 - 1)
/* Free memory a move must leave on its target node. */
#define EXEC_RESERVE_BYTES	(32ULL << 20)

/**
 * struct exec_move - one step of a plan
 * @range_id: the module's range id
 * @first_chunk: first chunk of the range to move
 * @nr_chunks: chunks to move
 * @from_node: where the plan saw them; -1: do not check
 * @to_node: target node
 * @dir: promotion or demotion, for the metrics
 * @done: out: executor_run() completed it
 */
struct exec_move {
	uint32_t range_id;
	uint64_t first_chunk;
	uint32_t nr_chunks;
	int from_node;
	int to_node;
	enum met_dir dir;
	bool done;
};

/**
 * struct exec_result - what one move did
 * @status: 0 when every resident page is on the target now; else why not
 * @fail: enum met_fail when @status is not 0
 * @moved: bytes that changed node
 * @node: node of the range's resident pages now, -1 if several
 * @handshake: the owner's handshake was used
 */
struct exec_result {
	int status;
	enum met_fail fail;
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
 * Carry out @n moves in order (re-reading the module's ranges first),
 * setting exec_move.done of each that completed.  Returns how many did.
 */
size_t executor_run(struct executor *e, struct exec_move *moves, size_t n);

/*
 * Move [@off, @off + @len) of range @r to @node now (a client's MOVE
 * request).  Fills @res; returns res->status.
 */
int executor_move_range(struct executor *e,
			const struct cxltier_range_info *r, uint64_t off,
			uint64_t len, int node, enum met_dir dir,
			struct exec_result *res);

/*
 * Move pages of process @pid at [@addr, @addr + @len) to @node with
 * move_pages(2) in batches, then read back where each page is.  *@moved
 * gets the bytes that changed node, *@node_after the node all resident
 * pages are on (-1 if several, or none resident).  0 when every resident
 * page is on @node; -EBUSY when some could not move (pinned or busy);
 * -errno of move_pages(2) (-ESRCH: the process is gone).  Exposed for
 * the benchmarks.
 */
int exec_move_pages(pid_t pid, uint64_t addr, uint64_t len, int node,
		    uint64_t *moved, int *node_after);

#endif /* CXLTIERD_EXECUTOR_H */
