/* SPDX-License-Identifier: GPL-2.0 */
/*
 * inspect: what the daemon decided and why, for the operator.  After each
 * decision it logs the moves (buffer label, pid, chunk range, from and to
 * nodes, heat, reason, outcome) and the plan when it changed, keeps the
 * last plan and a short history of moves per range, and holds the pause
 * switch.  It answers the admin verbs (admin.h) "agent-status", "plan",
 * "explain", "pause" and "resume": cxltierctl agent, cxltierd(8).
 */
#ifndef CXLTIERD_INSPECT_H
#define CXLTIERD_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/cxltier.h>

#include "config.h"
#include "metrics.h"
#include "observe.h"
#include "plan.h"

/* Moves remembered per range. */
#define INSPECT_HISTORY		8
/* Ranges with a history at most (the oldest is forgotten first). */
#define INSPECT_MAX_RANGES	4096
/* Moves of the last plan that "plan" lists (the rest are counted). */
#define INSPECT_PLAN_MAX	256
/* Buffers one "explain" shows, and runs of chunks of each: one answer
 * line stays well within a socket's send buffer. */
#define INSPECT_EXPLAIN_MAX	8
#define INSPECT_RUNS_MAX	128

/* What became of a planned move. */
enum inspect_result {
	INSPECT_DONE,		/* moved */
	INSPECT_FAILED,		/* tried, did not (fully) move: see the log */
	INSPECT_DRY_RUN,	/* --dry-run: not tried */
	INSPECT_PAUSED,		/* paused: not tried */
	INSPECT_NR_RESULTS,
};

/**
 * struct inspect_move - one move as the operator sees it
 * @range_id: the module's range id
 * @pid: the range's owner
 * @label: its label
 * @first_chunk: first chunk moved
 * @nr_chunks: chunks
 * @bytes: bytes of those chunks
 * @from_node: node the plan saw them on (CXLTIER_NODE_MIXED: several)
 * @to_node: target node
 * @heat: mean heat of the chunks, CXLTIER_HEAT_ONE units
 * @reason: enum policy_reason
 * @result: enum inspect_result
 * @time: wall clock of the decision, seconds
 * @epoch: heat epoch of the decision
 * @repeats: further decisions that planned the same and did not move it
 */
struct inspect_move {
	uint32_t range_id;
	int32_t pid;
	char label[CXLTIER_LABEL_LEN];
	uint64_t first_chunk;
	uint32_t nr_chunks;
	uint64_t bytes;
	int from_node;
	int to_node;
	uint64_t heat;
	uint32_t reason;
	enum inspect_result result;
	double time;
	uint64_t epoch;
	uint32_t repeats;
};

/**
 * struct inspect_hist - moves of ranges, a few each
 * @nr: ranges in @ranges
 * @ranges: (malloc'ed) one entry per range with a move
 */
struct inspect_hist {
	size_t nr;
	struct inspect_hist_range *ranges;
};

/**
 * struct inspect_hist_range - the last moves of one range
 * @id: range id
 * @nr: moves in @moves (at most INSPECT_HISTORY)
 * @next: slot of the next move (oldest when full)
 * @last_time: time of the newest move
 * @seen: present in the last snapshot (inspect_hist_sweep())
 * @moves: ring of moves
 */
struct inspect_hist_range {
	uint32_t id;
	unsigned int nr;
	unsigned int next;
	double last_time;
	bool seen;
	struct inspect_move moves[INSPECT_HISTORY];
};

/*
 * Record @m in its range's history.  The same move, again not done (a
 * dry run, a pause, a failure the next decision plans again), counts as
 * a repeat of the newest entry.  0 or -ENOMEM.
 */
int inspect_hist_add(struct inspect_hist *h, const struct inspect_move *m);
/* The history of range @id, NULL for none. */
const struct inspect_hist_range *inspect_hist_find(const struct inspect_hist *h,
						   uint32_t id);
/* The @i-th newest move of @r (0 = newest), NULL past the end. */
const struct inspect_move *inspect_hist_at(const struct inspect_hist_range *r,
					   unsigned int i);
/* Mark range @id as present; after the marks, sweep forgets the rest. */
void inspect_hist_mark(struct inspect_hist *h, uint32_t id);
void inspect_hist_sweep(struct inspect_hist *h);
void inspect_hist_free(struct inspect_hist *h);

/* "done", "failed", "dry-run", "paused". */
const char *inspect_result_name(enum inspect_result r);

/*
 * Do two plans list the same moves (range, chunks, nodes, reason), in
 * the same order?
 */
bool inspect_same_plan(const struct plan_move *a, size_t na,
		       const struct plan_move *b, size_t nb);

struct inspect;
struct admin;
struct kdev;
struct server;

/**
 * struct inspect_env - what the verbs read (owned by the daemon)
 * @config_path: the configuration file
 * @dry_run: --dry-run
 * @cfg: the configuration in force (updated in place on reload)
 * @met: the metrics
 * @srv: the client socket, NULL for none
 * @plan: the policy's state (plan_last())
 * @kdev: the module (explain reads the ranges afresh)
 */
struct inspect_env {
	const char *config_path;
	bool dry_run;
	const struct config *cfg;
	struct metrics *met;
	struct server *srv;
	const struct plan_ctx *plan;
	const struct kdev *kdev;
};

/* Register the verbs on @admin (NULL: none, for tests).  0 or -errno. */
int inspect_new(struct inspect **ip, const struct inspect_env *env,
		struct admin *admin);
void inspect_free(struct inspect *in);

/* Paused: decisions are made and shown, no move is tried. */
bool inspect_paused(const struct inspect *in);
void inspect_set_paused(struct inspect *in, bool paused);

/*
 * A decision was made at monotonic @t0_ms and took until @t1_ms: @moves
 * (@n, plan_move.done set by the executor unless @tried is false) from
 * @snap.  Logs it, keeps it for "plan", adds it to the histories.
 */
void inspect_decision(struct inspect *in, const struct obs_snapshot *snap,
		      const struct plan_move *moves, size_t n, bool tried,
		      uint64_t t0_ms, uint64_t t1_ms);

/* The history, for tests. */
const struct inspect_hist *inspect_history(const struct inspect *in);

#endif /* CXLTIERD_INSPECT_H */
