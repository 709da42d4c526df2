// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl heatmap: a PNG of chunk x time heat beside the tier each
 * chunk sat in, drawn by gnuplot.  Samples a live buffer once per heat
 * epoch, or reads a heat log (kvreplay --heat-log) in the same format:
 *
 *	# comment
 *	<sample> <chunk> <heat> <tier>	(tier -1: not resident or mixed)
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "ranges.h"

static const char heatmap_usage[] =
	"usage: cxltierctl heatmap [-o FILE.png] [--samples N] [--interval-ms MS] BUFFER\n"
	"       cxltierctl heatmap [-o FILE.png] --input HEATLOG\n";

/* Tier of each node from sysfs nodes/nodeN/tier; -1 when unknown. */
static void node_tiers(const struct ctl_opts *opts, int tiers[CTL_MAX_NODES])
{
	char rel[64], val[16];
	int n;

	for (n = 0; n < CTL_MAX_NODES; n++) {
		snprintf(rel, sizeof(rel), "nodes/node%d/tier", n);
		tiers[n] = ctl_read_sysfs(opts, rel, val, sizeof(val)) ? -1 : atoi(val);
	}
}

/* Wait for the next heat epoch (poll on the device), at most @ms. */
static void wait_epoch(const struct kdev *dev, int ms)
{
	struct pollfd p = { .fd = dev->fd, .events = POLLIN };
	uint64_t epoch;

	if ((dev->features & CXLTIER_FEAT_POLL) && poll(&p, 1, ms) == 1) {
		if (read(dev->fd, &epoch, sizeof(epoch)) < 0)
			return;
		return;
	}
	if (!(dev->features & CXLTIER_FEAT_POLL))
		nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

static int sample_live(const struct ctl_opts *opts, const char *buffer,
		       uint32_t samples, uint32_t interval_ms, FILE *out,
		       char *title, size_t title_len)
{
	int tiers[CTL_MAX_NODES];
	struct kdev dev;
	uint32_t s;
	int ret = 0;

	if (ctl_open_dev(opts, &dev))
		return CTL_EXIT_NODEV;
	node_tiers(opts, tiers);
	fprintf(out, "# sample chunk heat tier\n");
	for (s = 0; s < samples; s++) {
		struct ctl_range *r, *one;
		uint32_t c;
		size_t n;

		if (s)
			wait_epoch(&dev, (int)interval_ms);
		ret = ctl_ranges_load(&dev, 1, &r, &n);
		if (ret) {
			fprintf(stderr, "cxltierctl: heatmap: %s\n", strerror(-ret));
			ret = CTL_EXIT_FAIL;
			break;
		}
		one = ctl_ranges_find(r, n, buffer);
		if (!one) {
			fprintf(stderr, "cxltierctl: heatmap: no buffer '%s'%s\n", buffer,
				s ? " any more" : "");
			ctl_ranges_free(r, n);
			ret = CTL_EXIT_FAIL;
			break;
		}
		if (!s)
			snprintf(title, title_len, "buffer %u %.*s", one->info.id,
				 (int)sizeof(one->info.label), one->info.label);
		for (c = 0; c < one->info.nr_chunks; c++) {
			int node = one->chunks[c].node;
			int tier = node >= 0 && node < CTL_MAX_NODES ? tiers[node] : -1;

			fprintf(out, "%u %u %.3f %d\n", s, c,
				(double)one->chunks[c].heat / CXLTIER_HEAT_ONE, tier);
		}
		fprintf(out, "\n");
		ctl_ranges_free(r, n);
	}
	kdev_close(&dev);
	return ret;
}

/* Check a heat log line by line so gnuplot never sees garbage. */
static int check_log(const char *path)
{
	unsigned long lineno = 0, rows = 0;
	char line[256];
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "cxltierctl: heatmap: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long sample, chunk;
		double heat;
		int tier, used = 0;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%lu %lu %lf %d %n", &sample, &chunk, &heat, &tier, &used) != 4 ||
		    line[used] || !(heat >= 0) || tier < -1) {
			fprintf(stderr, "cxltierctl: heatmap: %s:%lu: expected '<sample> <chunk> <heat> <tier>'\n",
				path, lineno);
			fclose(f);
			return -1;
		}
		rows++;
	}
	fclose(f);
	if (!rows) {
		fprintf(stderr, "cxltierctl: heatmap: %s: no samples\n", path);
		return -1;
	}
	return 0;
}

static int draw(const char *data, const char *png, const char *title)
{
	FILE *gp;
	int status;

	gp = popen("gnuplot", "w");
	if (!gp) {
		fprintf(stderr, "cxltierctl: heatmap: cannot run gnuplot: %s\n", strerror(errno));
		return -1;
	}
	fprintf(gp,
		"set terminal pngcairo size 1400,800 font ',10'\n"
		"set output '%s'\n"
		"set multiplot layout 1,2 title 'cxltier heat map: %s'\n"
		"set xlabel 'epoch'\n"
		"set ylabel 'chunk'\n"
		"set title 'heat, log10(1 + accesses)'\n"
		"set palette defined (0 'white', 1 'yellow', 2 'orange', 3 'red', 4 'dark-red')\n"
		"plot '%s' using 1:2:(log10(1 + $3)) with image notitle\n"
		"set title 'tier (0 = DRAM, -1 = not resident or mixed)'\n"
		"set cbrange [-1.5:3.5]\n"
		"set cbtics 1\n"
		"set palette maxcolors 5\n"
		"set palette defined (-1 'grey80', 0 'royalblue', 1 'forest-green', 2 'orange', 3 'purple')\n"
		"plot '%s' using 1:2:4 with image notitle\n"
		"unset multiplot\n",
		png, title, data, data);
	status = pclose(gp);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "cxltierctl: heatmap: gnuplot failed (is gnuplot installed?)\n");
		return -1;
	}
	return 0;
}

/* Names go into a gnuplot script between single quotes. */
static int name_ok(const char *s)
{
	return !strpbrk(s, "'\n\\");
}

int cmd_heatmap(int argc, char **argv, const struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "samples", required_argument, NULL, 's' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "input", required_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	const char *png = "cxltier-heatmap.png", *input = NULL;
	uint32_t samples = 30, interval_ms = 1000;
	char data[] = "/tmp/cxltier-heatmap-XXXXXX";
	char title[96] = "heat log";
	int c, fd, ret;
	FILE *out;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:s:i:I:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			png = optarg;
			break;
		case 's':
			if (ctl_parse_u32(optarg, &samples) || samples < 2 || samples > 100000) {
				fprintf(stderr, "cxltierctl: heatmap: --samples needs 2 to 100000\n");
				return CTL_EXIT_USAGE;
			}
			break;
		case 'i':
			if (ctl_parse_u32(optarg, &interval_ms) || !interval_ms || interval_ms > 3600000) {
				fprintf(stderr, "cxltierctl: heatmap: --interval-ms needs 1 to 3600000\n");
				return CTL_EXIT_USAGE;
			}
			break;
		case 'I':
			input = optarg;
			break;
		default:
			fputs(heatmap_usage, stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if ((input && optind != argc) || (!input && optind != argc - 1)) {
		fputs(heatmap_usage, stderr);
		return CTL_EXIT_USAGE;
	}
	if (!name_ok(png) || (input && !name_ok(input))) {
		fprintf(stderr, "cxltierctl: heatmap: file names may not contain quotes, backslashes or newlines\n");
		return CTL_EXIT_USAGE;
	}

	if (input) {
		if (check_log(input))
			return CTL_EXIT_FAIL;
		snprintf(title, sizeof(title), "%s", input);
		if (!name_ok(title))
			strcpy(title, "heat log");
		return draw(input, png, title) ? CTL_EXIT_FAIL : CTL_EXIT_OK;
	}

	fd = mkstemp(data);
	if (fd < 0 || !(out = fdopen(fd, "w"))) {
		fprintf(stderr, "cxltierctl: heatmap: temporary file: %s\n", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	ret = sample_live(opts, argv[optind], samples, interval_ms, out, title, sizeof(title));
	fclose(out);
	if (!ret && (!name_ok(title) || draw(data, png, title)))
		ret = CTL_EXIT_FAIL;
	unlink(data);
	if (!ret)
		printf("%s\n", png);
	return ret;
}
