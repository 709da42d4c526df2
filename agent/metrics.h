/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics: cxltierd's counters and gauges, written as a file in the
 * Prometheus text format for node-exporter's textfile collector
 * (--collector.textfile.directory), atomically (a temporary file renamed
 * over the old one).  Every metric is listed in cxltierd(8).
 */
#ifndef CXLTIERD_METRICS_H
#define CXLTIERD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

/* Default file: where Debian's prometheus-node-exporter looks. */
#define METRICS_DEFAULT_PATH "/var/lib/prometheus/node-exporter/cxltier.prom"

/* How pages were moved. */
enum met_method {
	MET_MOVE_PAGES,	/* move_pages(2) of an unpinned range */
	MET_HANDSHAKE,	/* release, move_pages(2), re-pin */
	MET_NR_METHODS,
};

/* Handshake latency histogram buckets, upper bounds in microseconds. */
#define MET_NR_BUCKETS 10
extern const uint64_t met_bucket_us[MET_NR_BUCKETS];

/* Reasons of a socket counter (refused or dropped connections). */
#define MET_NR_REASONS 8

/**
 * struct met_reason - one reason's count
 * @name: the reason label ("uid_limit"), a static string
 * @count: how many times
 */
struct met_reason {
	const char *name;
	uint64_t count;
};

/**
 * struct met_usage - bytes of one class on one node, a gauge
 * @node: NUMA node
 * @tier: cxltier tier of the node, -1 when unknown
 * @class_name: the buffer class
 * @bytes: resident bytes of tracked buffers of that class there
 */
struct met_usage {
	int node;
	int tier;
	char class_name[32];
	uint64_t bytes;
};

/**
 * struct metrics - everything written to the metrics file
 * @migrations: chunk moves completed, by direction and method
 * @migrated_bytes: bytes moved, by direction
 * @failures: moves not done, by reason
 * @hs_buckets: handshakes that took at most met_bucket_us[i]
 * @hs_count: handshakes completed (the histogram's +Inf bucket)
 * @hs_sum_us: their total latency
 * @cycles: placement decisions made
 * @planned: moves the policy planned
 * @dry_run: moves planned but not done because of --dry-run
 * @reloads: configuration reloads that succeeded
 * @reload_failures: reloads refused (old configuration kept)
 * @clients: connected libcxltier clients
 * @buffers: buffers registered by clients
 * @ranges: ranges tracked by the module
 * @epoch: the module's heat epoch at the last decision
 * @last_cycle_time: wall-clock time of the last decision (s)
 * @cycle_seconds: how long the last decision and its moves took
 * @nr_refused: entries in @refused
 * @refused: connections the socket refused, by reason
 * @nr_dropped: entries in @dropped
 * @dropped: connections the agent dropped, by reason
 * @limit_refusals: REGISTER and MOVE requests refused by a per-uid
 *	limit ([0] buffers, [1] requests)
 * @nr_usage: entries in @usage
 * @usage: bytes per node (tier) and class at the last decision
 * @pools: block pools registered by clients
 * @pool_advice: ADVICE batches sent
 * @pool_moves: pool blocks moved by advice, [0] promote, [1] demote
 * @pool_bytes: their bytes, likewise
 * @pool_results: advised blocks by result (enum proto_pool_count order)
 * @pool_refused: ADVICE batches a client refused whole
 * @pool_timeouts: ADVICE batches not answered in time
 */
struct metrics {
	uint64_t migrations[MOVE_NR_DIRS][MET_NR_METHODS];
	uint64_t migrated_bytes[MOVE_NR_DIRS];
	uint64_t failures[MOVE_NR_FAILS];
	uint64_t hs_buckets[MET_NR_BUCKETS];
	uint64_t hs_count;
	uint64_t hs_sum_us;
	uint64_t cycles;
	uint64_t planned;
	uint64_t dry_run;
	uint64_t reloads;
	uint64_t reload_failures;
	unsigned int clients;
	unsigned int buffers;
	unsigned int ranges;
	uint64_t epoch;
	double last_cycle_time;
	double cycle_seconds;
	unsigned int nr_refused;
	struct met_reason refused[MET_NR_REASONS];
	unsigned int nr_dropped;
	struct met_reason dropped[MET_NR_REASONS];
	uint64_t limit_refusals[2];
	size_t nr_usage;
	struct met_usage *usage;
	unsigned int pools;
	uint64_t pool_advice;
	uint64_t pool_moves[2];
	uint64_t pool_bytes[2];
	uint64_t pool_results[6];
	uint64_t pool_refused;
	uint64_t pool_timeouts;
};

/* Count one handshake that took @us microseconds. */
void metrics_handshake(struct metrics *m, uint64_t us);

/* Set the usage gauges to @n entries (copied).  0 or -ENOMEM. */
int metrics_set_usage(struct metrics *m, const struct met_usage *u, size_t n);

/*
 * Set the usage gauges from a snapshot: resident bytes per node (and its
 * tier in @pn) and class, each range's class from @klass (the plan's,
 * plan_classes()) or, when NULL, matched in @cfg.
 */
void metrics_account_usage(struct metrics *m, const struct obs_snapshot *snap,
			   const uint16_t *klass, const struct config *cfg,
			   const struct plan_nodes *pn);

/* Write @m to @path atomically.  0 or -errno. */
int metrics_write(const struct metrics *m, const char *path);

void metrics_free(struct metrics *m);

#endif /* CXLTIERD_METRICS_H */
