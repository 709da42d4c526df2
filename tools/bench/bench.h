/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxltier-bench: microbenchmarks of cxltier in a guest.  One
 * cmd_<name>() per file, dispatched by main.c; each prints JSON (one
 * object) with --json, a short human summary otherwise.  Benchmarks
 * report ratios measured in one run, since absolute times in an emulated
 * guest mean little.  What they share with kvreplay --real and the
 * selftests (sysfs tunables, a private agent, the fake accelerator) is
 * the test bed's, tools/testbed/.
 */
#ifndef CXLTIER_BENCH_H
#define CXLTIER_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "kdev.h"
#include "testbed.h"

/* Exit codes, listed in cxltier-bench(8). */
#define BENCH_EXIT_OK		0
#define BENCH_EXIT_FAIL		1	/* the measurement failed */
#define BENCH_EXIT_USAGE	2	/* bad command line */
#define BENCH_EXIT_NODEV	3	/* module or fake accelerator missing */
#define BENCH_EXIT_SKIP		4	/* cuda: no CUDA runtime or no GPU */

int cmd_heat_accuracy(int argc, char **argv);
int cmd_scan_cost(int argc, char **argv);
int cmd_refresh_latency(int argc, char **argv);
int cmd_e2e(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_blockmove(int argc, char **argv);
int cmd_policy_cost(int argc, char **argv);
int cmd_cuda(int argc, char **argv);

/*
 * main.c: a private cxltierd (the test bed's) with @config_text, found
 * next to cxltier-bench (a build tree's build/bin) or on $PATH; waits
 * for its socket.  0 or -errno, with a message on stderr.
 */
int bench_agent_start(struct tb_agent *a, const char *config_text);
/* Stop it and remove its files, unless @keep (a failed run).  0 or -errno. */
int bench_agent_stop(struct tb_agent *a, int keep);

#endif /* CXLTIER_BENCH_H */
