/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxltier-bench: microbenchmarks of cxltier in a guest.  One
 * cmd_<name>() per file, dispatched by main.c; each prints JSON (one
 * object) with --json, a short human summary otherwise.  Benchmarks
 * report ratios measured in one run, since absolute times in an emulated
 * guest mean little.
 */
#ifndef CXLTIER_BENCH_H
#define CXLTIER_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "kdev.h"

/* Exit codes, listed in cxltier-bench(8). */
#define BENCH_EXIT_OK		0
#define BENCH_EXIT_FAIL		1	/* the measurement failed */
#define BENCH_EXIT_USAGE	2	/* bad command line */
#define BENCH_EXIT_NODEV	3	/* module or fake accelerator missing */

int cmd_heat_accuracy(int argc, char **argv);
int cmd_scan_cost(int argc, char **argv);
int cmd_e2e(int argc, char **argv);
int cmd_migrate(int argc, char **argv);

/* heat_accuracy.c, also run by the heat-accuracy selftest. */

/**
 * struct ha_opts - heat-accuracy settings
 * @size: buffer bytes (a multiple of 2 MiB)
 * @hot: chunks in each of the CPU and the device hot sets
 * @epoch_ms, @half_life_ms, @scan_interval_ms, @device_weight: tunables
 *	set for the run (restored after)
 * @warm_epochs: epochs of steady access before the measurement
 * @max_shift_epochs: give up on the shift after this many epochs
 * @verbose: progress on stderr
 */
struct ha_opts {
	size_t size;
	unsigned int hot;
	unsigned int epoch_ms, half_life_ms, scan_interval_ms, device_weight;
	unsigned int warm_epochs, max_shift_epochs;
	int verbose;
};

/**
 * struct ha_result - heat-accuracy figures of one buffer
 * @cpu_recall: share of the CPU-touched chunks among the top K
 * @cpu_precision: share of the top-K chunks the module attributes to the
 *	CPU that really were CPU-touched
 * @dma_recall, @dma_precision: the same for the device set
 * @shift_epochs: epochs after the hot sets moved until exactly the new
 *	sets were the top K (-1: not within max_shift_epochs)
 * @thp_kb: KiB of the buffer backed by THP
 */
struct ha_result {
	double cpu_recall, cpu_precision, dma_recall, dma_precision;
	int shift_epochs;
	long thp_kb;
};

void ha_opts_default(struct ha_opts *o);
/* Run on a 4 KiB-page (@thp 0) or THP buffer.  0 or -errno. */
int ha_run(const struct ha_opts *o, int thp, struct ha_result *res);

/* util.c */

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

/* /sys/kernel/cxltier/@name as a number; -errno on error. */
long long bench_sysfs_get(const char *name);
/* Write @v to /sys/kernel/cxltier/@name; 0 or -errno. */
int bench_sysfs_set(const char *name, long long v);

/* The tunables a benchmark changes, saved to be put back. */
struct bench_tunables {
	long long scan_interval_ms;
	long long scan_budget_pages;
	long long half_life_ms;
	long long epoch_ms;
	long long device_weight;
};

void bench_tunables_save(struct bench_tunables *t);
void bench_tunables_restore(const struct bench_tunables *t);

/*
 * An anonymous buffer of @len bytes aligned to 2 MiB, THP-backed when
 * @thp (MADV_HUGEPAGE) or 4 KiB pages only (MADV_NOHUGEPAGE), written
 * once so it is resident.  NULL on failure.
 */
void *bench_buffer(size_t len, int thp);
void bench_buffer_free(void *p, size_t len);
/* KiB of the mapping at @p backed by transparent huge pages. */
long bench_thp_kb(const void *p);

/*
 * Open the fake accelerator /dev/cxltier_test_accel, loading
 * cxltier_test_accel.ko from $CXLTIER_MODDIR/selftests if needed.
 * fd or -errno.
 */
int bench_accel_open(void);

/* agent.c: a private cxltierd for e2e and migrate. */

/**
 * struct bench_agent - a cxltierd started by the benchmark
 * @pid: its pid, 0 once stopped
 * @dir: scratch directory holding the files below
 * @socket: its socket
 * @config: its configuration
 * @metrics: its metrics file
 * @log: its standard output and error
 */
struct bench_agent {
	int pid;
	char dir[64];
	char socket[128];
	char config[128];
	char metrics[128];
	char log[128];
};

/* Path of program @name next to cxltier-bench, else @name for $PATH. */
int bench_sibling(const char *name, char *path, size_t len);
/* Start cxltierd with @config_text; waits for its socket.  0 or -errno. */
int bench_agent_start(struct bench_agent *a, const char *config_text);
/* SIGTERM, reap, remove the files unless @keep.  Its wait status. */
int bench_agent_stop(struct bench_agent *a, int keep);
/* Sum of metric @name's samples in its metrics file, -1 if unreadable. */
double bench_metric(const struct bench_agent *a, const char *name);

#endif /* CXLTIER_BENCH_H */
