/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics: cxltierd's counters and gauges, written as a file in the
 * Prometheus text format for node-exporter's textfile collector
 * (--collector.textfile.directory), atomically (a temporary file renamed
 * over the old one).  Every metric is listed in cxltierd(8).
 */
#ifndef CXLTIERD_METRICS_H
#define CXLTIERD_METRICS_H

#include <stdbool.h>
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

/* Decision duration histogram buckets, upper bounds in milliseconds. */
#define MET_NR_CYCLE_BUCKETS 9
extern const uint64_t met_cycle_bucket_ms[MET_NR_CYCLE_BUCKETS];

/**
 * struct met_node - one memory node at the last decision, gauges
 * @node: NUMA node
 * @tier: cxltier tier of the node
 * @kind: "dram", "far", "cxl", "pmem" or "unknown"
 * @capacity: managed bytes (the node's MemTotal)
 * @free: free bytes
 * @available: free plus reclaimable (page cache, reclaimable slab)
 */
struct met_node {
	int node;
	int tier;
	const char *kind;
	uint64_t capacity;
	uint64_t free;
	uint64_t available;
};

/**
 * struct met_dram - the DRAM tier against the thresholds, gauges of the
 *	last decision (bytes)
 * @capacity: the tier's capacity
 * @used: capacity less available memory
 * @tracked: tracked chunks resident there
 * @untracked: @used less @tracked
 * @high: high_watermark of @capacity
 * @low: low_watermark of @capacity
 * @budget: tracked bytes the plan allowed there
 * @deferred: bytes of wanted moves the rate limit left for later
 */
struct met_dram {
	uint64_t capacity;
	uint64_t used;
	uint64_t tracked;
	uint64_t untracked;
	uint64_t high;
	uint64_t low;
	uint64_t budget;
	uint64_t deferred;
};

/**
 * struct metrics - everything written to the metrics file
 * @migrations: moves of a run of chunks completed, by direction and
 *	method
 * @migrated_chunks: chunks moved, by direction
 * @migrated_bytes: bytes moved, by direction
 * @failures: moves not done, by reason
 * @hs_buckets: handshakes that took at most met_bucket_us[i]
 * @hs_count: handshakes completed (the histogram's +Inf bucket)
 * @hs_sum_us: their total latency
 * @cycles: placement decisions made
 * @planned: moves the policy planned
 * @dry_run: moves planned but not done because of --dry-run
 * @paused: moves are paused (cxltierctl agent pause)
 * @paused_moves: moves planned but not tried while paused
 * @reloads: configuration reloads that succeeded
 * @reload_failures: reloads refused (old configuration kept)
 * @clients: connected libcxltier clients
 * @buffers: buffers registered by clients
 * @ranges: ranges tracked by the module
 * @epoch: the module's heat epoch at the last decision
 * @last_cycle_time: wall-clock time of the last decision (s)
 * @cycle_buckets: decisions (with their moves) that took at most
 *	met_cycle_bucket_ms[i]
 * @cycle_count: decisions timed (the histogram's +Inf bucket)
 * @cycle_sum_ms: their total duration
 * @module_up: the last decision could read the module's ranges and heat
 * @throttled_cycles: decisions whose plan left moves to the rate limit
 * @untracked_pressure_cycles: decisions above high_watermark from
 *	untracked memory (nothing demoted for it)
 * @dram: the DRAM tier against the thresholds
 * @heat_dram: heat of tracked chunks resident in DRAM
 * @heat_total: heat of all tracked chunks
 * @adaptive: the shadow of [heat] adaptive_settings followed at the last
 *	decision (plan_summary.adaptive; -1: none, the module's heat)
 * @adaptive_half_life_ms: its half-life
 * @adaptive_write_weight_pm: its write weight, thousandths
 * @adaptive_recency: it is a recency shadow
 * @nr_nodes: entries in @nodes
 * @nodes: the memory nodes
 * @draining_nodes: nodes closed to placement by a drain
 * @drain_moved_bytes: bytes moved off draining nodes
 * @drains: drains ended: drained, refused, incomplete
 * @capacity_added_bytes: memory that came online while running
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
 * @pool_hints: hints taken from clients, [0] will-read, [1] done
 * @pool_hints_refused: POOL_HINTS frames refused
 * @pool_hint_advice: ADVICE batches sent at once for will-read hints
 * @pool_releases: pool slabs asked back (POOL_RELEASE): [0] sent,
 *	[1] released, [2] failed (the client refused or could not empty
 *	it), [3] timeout (no answer in time: the client was dropped)
 */
struct metrics {
	uint64_t migrations[MOVE_NR_DIRS][MET_NR_METHODS];
	uint64_t migrated_chunks[MOVE_NR_DIRS];
	uint64_t migrated_bytes[MOVE_NR_DIRS];
	uint64_t failures[MOVE_NR_FAILS];
	uint64_t hs_buckets[MET_NR_BUCKETS];
	uint64_t hs_count;
	uint64_t hs_sum_us;
	uint64_t cycles;
	uint64_t planned;
	uint64_t dry_run;
	bool paused;
	uint64_t paused_moves;
	uint64_t reloads;
	uint64_t reload_failures;
	unsigned int clients;
	unsigned int buffers;
	unsigned int ranges;
	uint64_t epoch;
	double last_cycle_time;
	uint64_t cycle_buckets[MET_NR_CYCLE_BUCKETS];
	uint64_t cycle_count;
	uint64_t cycle_sum_ms;
	bool module_up;
	uint64_t throttled_cycles;
	uint64_t untracked_pressure_cycles;
	struct met_dram dram;
	double heat_dram;
	double heat_total;
	int adaptive;
	uint32_t adaptive_half_life_ms;
	uint32_t adaptive_write_weight_pm;
	bool adaptive_recency;
	size_t nr_nodes;
	struct met_node *nodes;
	unsigned int draining_nodes;
	uint64_t drain_moved_bytes;
	uint64_t drains[3];
	uint64_t capacity_added_bytes;
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
	uint64_t pool_hints[2];
	uint64_t pool_hints_refused;
	uint64_t pool_hint_advice;
	uint64_t pool_releases[4];
};

/* Count one handshake that took @us microseconds. */
void metrics_handshake(struct metrics *m, uint64_t us);

/* Count one decision (with its moves) that took @ms milliseconds. */
void metrics_cycle(struct metrics *m, uint64_t ms);

/*
 * Set the node gauges from the node table (@pn, with its reclaimable
 * bytes) and the DRAM gauges from the last plan @ps and @cfg's
 * watermarks.  0 or -ENOMEM (the old node gauges are kept).
 */
int metrics_account_nodes(struct metrics *m, const struct plan_nodes *pn,
			  const struct plan_summary *ps, const struct config *cfg);

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
