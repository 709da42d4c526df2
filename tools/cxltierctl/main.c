// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl: inspect and tune cxltier.  git-style subcommands, JSON by
 * default, as ndctl's cxl tool does.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"

struct ctl_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, const struct ctl_opts *opts);
	const char *help;
};

static const struct ctl_cmd ctl_cmds[] = {
	{ "info", cmd_info, "module version, API version and features" },
	{ "buffers", cmd_buffers, "tracked buffers: owner, size, placement, heat" },
	{ "heat", cmd_heat, "per-chunk heat and placement of one buffer" },
	{ "stats", cmd_stats, "module tunables and counters" },
	{ "set", cmd_set, "set tunables: KEY=VALUE..." },
	{ "top", cmd_top, "live view of tiers, hottest buffers, migrations" },
	{ "heatmap", cmd_heatmap, "PNG of chunk x time heat and tier placement" },
	{ "tiers", cmd_tiers, "memory tiers and nodes, with the CXL devices behind them" },
	{ "drain", cmd_drain, "move every tracked buffer off a node (cxltierd)" },
	{ "undrain", cmd_undrain, "put a drained node back in service" },
	{ "doctor", cmd_doctor, "preflight: what on this host keeps cxltier from working" },
	{ "holders", cmd_holders, "processes holding /dev/cxltier open, with their buffers" },
	{ "agent", cmd_agent, "ask cxltierd: status, plan, explain BUFFER, pause, resume" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: cxltierctl [--device PATH] [--sysfs DIR] [-u] COMMAND [ARGS]\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", ctl_cmds[i].name, ctl_cmds[i].help);
	fprintf(f,
		"\n"
		"Options:\n"
		"  --device PATH  cxltier device (default /dev/cxltier)\n"
		"  --sysfs DIR    cxltier sysfs root (default /sys/kernel/cxltier)\n"
		"  -u, --human    human-readable sizes\n"
		"  --version      print cxltierctl's version\n"
		"  -h, --help     this text\n"
		"\n"
		"See cxltierctl(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "human", no_argument, NULL, 'u' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts opts = {
		.dev_path = "/dev/cxltier",
		.sysfs_root = "/sys/kernel/cxltier",
	};
	size_t i;
	int c;

	/* Stop at the subcommand: its options are its own. */
	while ((c = getopt_long(argc, argv, "+uh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opts.dev_path = optarg;
			break;
		case 's':
			opts.sysfs_root = optarg;
			break;
		case 'u':
			opts.human = 1;
			break;
		case 'V':
			printf("cxltierctl %s\n", CXLTIER_VERSION);
			return CTL_EXIT_OK;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (!strcmp(argv[optind], ctl_cmds[i].name)) {
			optind++;
			return ctl_cmds[i].fn(argc - optind + 1, argv + optind - 1,
					      &opts);
		}
	}
	fprintf(stderr, "cxltierctl: unknown command '%s' (see cxltierctl --help)\n",
		argv[optind]);
	return CTL_EXIT_USAGE;
}
