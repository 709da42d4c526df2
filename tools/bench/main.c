// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench: dispatch a subcommand.  See cxltier-bench(8).
 */
#include <limits.h>
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
	  "cost of a scanner sweep, exact and sampling, versus one read" },
	{ "refresh-latency", cmd_refresh_latency,
	  "mprotect delays while a large range's placement is read" },
	{ "e2e", cmd_e2e,
	  "the agent placing a pinned pool by heat, end to end" },
	{ "migrate", cmd_migrate,
	  "pinned and unpinned migration throughput versus memcpy" },
	{ "blockmove", cmd_blockmove,
	  "block pool copy-then-swap moves versus memcpy" },
	{ "cuda", cmd_cuda,
	  "CUDA per tier: register cost, H2D bandwidth, moves under H2D" },
	{ "policy-cost", cmd_policy_cost,
	  "the placement policy's cost per heat epoch and decision (no module)" },
};

int bench_agent_start(struct tb_agent *a, const char *config_text)
{
	char agent[PATH_MAX], err[PATH_MAX + 128];
	int ret;

	ret = tb_agent_init(a, NULL, "cxltier-bench", err, sizeof(err));
	if (!ret)
		ret = tb_agent_write_config(a, config_text, err, sizeof(err));
	if (!ret)
		ret = tb_sibling("cxltierd", agent, sizeof(agent));
	if (!ret)
		ret = tb_agent_start(a, agent, err, sizeof(err));
	if (ret)
		fprintf(stderr, "cxltier-bench: %s\n", err);
	return ret;
}

int bench_agent_stop(struct tb_agent *a, int keep)
{
	int ret = tb_agent_stop(a);

	tb_agent_cleanup(a, keep, "cxltier-bench");
	return ret;
}

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
