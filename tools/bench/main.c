// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench: dispatch a subcommand.  See cxltier-bench(8).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

struct bench_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct bench_cmd bench_cmds[] = {
	{ "heat-accuracy", cmd_heat_accuracy,
	  "top-K recall and precision of CPU and device heat; shift speed" },
	{ "scan-cost", cmd_scan_cost,
	  "cost of an Accessed-bit scan versus reading the memory once" },
	{ "e2e", cmd_e2e,
	  "the agent placing a pinned pool by heat, end to end" },
	{ "migrate", cmd_migrate,
	  "pinned and unpinned migration throughput versus memcpy" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: cxltier-bench COMMAND [--json] [OPTIONS]\n\nCommands:\n");
	for (i = 0; i < sizeof(bench_cmds) / sizeof(bench_cmds[0]); i++)
		fprintf(f, "  %-14s %s\n", bench_cmds[i].name, bench_cmds[i].help);
	fprintf(f, "\n'cxltier-bench COMMAND --help' lists a command's options.\n"
		   "See cxltier-bench(8).\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return BENCH_EXIT_OK;
	}
	for (i = 0; i < sizeof(bench_cmds) / sizeof(bench_cmds[0]); i++)
		if (!strcmp(argv[1], bench_cmds[i].name))
			return bench_cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "cxltier-bench: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return BENCH_EXIT_USAGE;
}
