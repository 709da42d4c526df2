// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl top: a live view refreshed every interval: the tiers with
 * used and free memory, the hottest buffers with their DRAM share, and
 * the agent's migration rate from its metrics file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "metrics.h"
#include "ranges.h"
#include "units.h"

#define TOP_BUFFERS 10

static const char top_usage[] =
	"usage: cxltierctl top [-d SECONDS] [-n FRAMES] [-b] [--metrics FILE]\n";

/* Parse a kernel node list ("0-1,3") into a bitmap of CTL_MAX_NODES. */
static uint64_t parse_nodelist(const char *s)
{
	uint64_t mask = 0;
	char *end;

	while (*s) {
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			break;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			s = end;
		}
		for (; a <= b && a >= 0 && a < CTL_MAX_NODES; a++)
			mask |= 1ULL << a;
		if (*s != ',')
			break;
		s++;
	}
	return mask;
}

/* Print the tier table; returns the node mask of tier 0 (DRAM). */
static uint64_t show_tiers(const struct ctl_opts *opts)
{
	char rel[64], nodes[128], kind[32], cap[32], fr[32], a[32], b[32];
	uint64_t dram = 0;
	int t;

	printf("%-5s %-10s %-8s %12s %12s %6s\n", "TIER", "NODES", "KIND",
	       "CAPACITY", "FREE", "USED%");
	for (t = 0; t < 16; t++) {
		unsigned long long capk, freek;

		snprintf(rel, sizeof(rel), "tiers/tier%d/nodelist", t);
		if (ctl_read_sysfs(opts, rel, nodes, sizeof(nodes)))
			break;
		snprintf(rel, sizeof(rel), "tiers/tier%d/kind", t);
		if (ctl_read_sysfs(opts, rel, kind, sizeof(kind)))
			strcpy(kind, "-");
		snprintf(rel, sizeof(rel), "tiers/tier%d/capacity_kB", t);
		capk = ctl_read_sysfs(opts, rel, cap, sizeof(cap)) ? 0 : strtoull(cap, NULL, 10);
		snprintf(rel, sizeof(rel), "tiers/tier%d/free_kB", t);
		freek = ctl_read_sysfs(opts, rel, fr, sizeof(fr)) ? 0 : strtoull(fr, NULL, 10);
		if (!t)
			dram = parse_nodelist(nodes);
		printf("%-5d %-10s %-8s %12s %12s %5.1f%%\n", t, nodes, kind,
		       units_format_size(capk << 10, a, sizeof(a)),
		       units_format_size(freek << 10, b, sizeof(b)),
		       capk ? 100.0 * (double)(capk - freek) / (double)capk : 0.0);
	}
	if (!t)
		printf("(no tier table: this module has no tiers/ directory)\n");
	return dram ? dram : 1;	/* without a table, node 0 stands for DRAM */
}

/* Sum of every sample of @name in a node-exporter textfile; -1 if absent. */
static double metric_sum(const char *path, const char *name)
{
	size_t len = strlen(name);
	double sum = -1;
	char line[512];
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *v;

		if (strncmp(line, name, len) || (line[len] != ' ' && line[len] != '{'))
			continue;
		v = strrchr(line, ' ');
		if (v)
			sum = (sum < 0 ? 0 : sum) + strtod(v + 1, NULL);
	}
	fclose(f);
	return sum;
}

static int by_heat(const void *a, const void *b)
{
	const struct ctl_range *x = a, *y = b;

	return x->heat < y->heat ? 1 : x->heat > y->heat ? -1 : 0;
}

static void show_buffers(struct ctl_range *r, size_t n, uint64_t dram)
{
	char size[32];
	size_t i;
	int node;

	qsort(r, n, sizeof(*r), by_heat);
	printf("%-6s %-7s %-16s %12s %6s %6s %10s\n", "ID", "PID", "LABEL",
	       "SIZE", "DRAM%", "HOT", "HEAT");
	for (i = 0; i < n && i < TOP_BUFFERS; i++) {
		uint64_t in_dram = 0;
		uint32_t hot = 0, c;

		for (node = 0; node < CTL_MAX_NODES; node++)
			if (dram & (1ULL << node))
				in_dram += r[i].node_bytes[node];
		for (c = 0; c < r[i].info.nr_chunks; c++)
			hot += r[i].chunks[c].heat >= CXLTIER_HEAT_ONE;
		printf("%-6u %-7d %-16.16s %12s %5.1f%% %6u %10.1f\n",
		       r[i].info.id, r[i].info.pid,
		       r[i].info.label[0] ? r[i].info.label : "-",
		       units_format_size(r[i].info.length, size, sizeof(size)),
		       r[i].resident ? 100.0 * (double)in_dram / (double)r[i].resident : 0.0,
		       hot, (double)r[i].heat / CXLTIER_HEAT_ONE);
	}
	if (!n)
		printf("(no tracked buffers)\n");
}

int cmd_top(int argc, char **argv, const struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "frames", required_argument, NULL, 'n' },
		{ "batch", no_argument, NULL, 'b' },
		{ "metrics", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *metrics = METRICS_DEFAULT_PATH;
	double delay = 1.0, last_moves = -1, last_bytes = -1;
	uint32_t frames = 0, f;
	struct kdev dev;
	int batch = !isatty(STDOUT_FILENO), c;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:n:bm:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			delay = strtod(optarg, &end);
			if (end == optarg || *end || !(delay >= 0.1 && delay <= 3600)) {
				fprintf(stderr, "cxltierctl: top: -d needs 0.1 to 3600 seconds\n");
				return CTL_EXIT_USAGE;
			}
			break;
		case 'n':
			if (ctl_parse_u32(optarg, &frames)) {
				fputs(top_usage, stderr);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'b':
			batch = 1;
			break;
		case 'm':
			metrics = optarg;
			break;
		default:
			fputs(top_usage, stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(top_usage, stderr);
		return CTL_EXIT_USAGE;
	}
	if (ctl_open_dev(opts, &dev))
		return CTL_EXIT_NODEV;

	for (f = 0; !frames || f < frames; f++) {
		double moves = metric_sum(metrics, "cxltier_migrations_total");
		double bytes = metric_sum(metrics, "cxltier_migrated_bytes_total");
		char version[64] = "?", when[64];
		struct ctl_range *r = NULL;
		uint64_t dram;
		time_t now = time(NULL);
		size_t n = 0;
		int ret;

		if (f)
			nanosleep(&(struct timespec){ (time_t)delay,
				  (long)((delay - (time_t)delay) * 1e9) }, NULL);
		ctl_read_sysfs(opts, "version", version, sizeof(version));
		strftime(when, sizeof(when), "%F %T", localtime(&now));
		printf("%scxltier %s  %s\n\n", batch ? (f ? "\n" : "") : "\033[H\033[2J",
		       version, when);
		dram = show_tiers(opts);
		printf("\n");
		if (moves < 0)
			printf("migrations: no agent metrics at %s\n", metrics);
		else if (last_moves < 0)
			printf("migrations: %.0f so far\n", moves);
		else
			printf("migrations: %.1f/s, %.1f MiB/s\n",
			       (moves - last_moves) / delay,
			       (bytes - last_bytes) / delay / (1 << 20));
		last_moves = moves;
		last_bytes = bytes;
		printf("\n");
		ret = ctl_ranges_load(&dev, 0, &r, &n);
		if (ret)
			printf("buffers: %s\n", strerror(-ret));
		else
			show_buffers(r, n, dram);
		ctl_ranges_free(r, n);
		fflush(stdout);
	}
	kdev_close(&dev);
	return CTL_EXIT_OK;
}
