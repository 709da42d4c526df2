// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl heatmap: a PNG of chunk x time heat beside the tier each
 * chunk sat in, drawn by gnuplot.  Samples a live buffer once per heat
 * epoch (into a heat log, kept with --log), or draws a heat log given
 * with --input (kvreplay --heat-log writes them):
 *
 *	# comment
 *	<sample> <chunk> <heat> <tier>	(tier -1: not resident or mixed)
 *
 * samples counting up from 0, each listing chunks 0, 1, ... in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmds.h"
#include "ranges.h"

static const char heatmap_usage[] =
	"usage: cxltierctl heatmap [-o FILE.png] [--samples N] [--interval-ms MS] [--log HEATLOG] BUFFER\n"
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

/*
 * Wait, at most @ms, for a heat epoch after @seen (the epoch of the last
 * sample): events are read off the device until one is newer.
 */
static void wait_epoch(const struct kdev *dev, int ms, uint64_t seen)
{
	struct pollfd p = { .fd = dev->fd, .events = POLLIN };
	struct cxltier_event ev;
	uint64_t start;
	long left = ms;

	if (!(dev->features & CXLTIER_FEAT_POLL)) {
		nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
		return;
	}
	start = clock_now_ms();
	while (left > 0 && poll(&p, 1, (int)left) == 1) {
		if (kdev_read_event(dev, &ev) || ev.epoch > seen)
			return;
		left = ms - (long)(clock_now_ms() - start);
	}
}

/*
 * The picture's title: "buffer ID LABEL", with characters that gnuplot's
 * single-quoted strings or enhanced text would take for syntax replaced.
 */
static void title_of(const struct ctl_range *r, char *title, size_t len)
{
	char *p;

	snprintf(title, len, "buffer %u %.*s", r->info.id,
		 (int)sizeof(r->info.label), r->info.label);
	for (p = title; *p; p++)
		if (*p == '\'' || *p == '\\' || (unsigned char)*p < ' ')
			*p = '_';
}

static int sample_live(const struct ctl_opts *opts, const char *buffer,
		       uint32_t samples, uint32_t interval_ms, FILE *out,
		       char *title, size_t title_len)
{
	int tiers[CTL_MAX_NODES];
	uint64_t seen = 0;
	char id[16] = "";
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
			wait_epoch(&dev, (int)interval_ms, seen);
		ret = ctl_ranges_load(&dev, 1, &r, &n);
		if (ret) {
			fprintf(stderr, "cxltierctl: heatmap: %s\n", strerror(-ret));
			ret = CTL_EXIT_FAIL;
			break;
		}
		/* After the first sample, by id: a label may be taken again. */
		one = ctl_ranges_find(r, n, s ? id : buffer);
		if (!one) {
			fprintf(stderr, "cxltierctl: heatmap: no buffer '%s'%s\n", buffer,
				s ? " any more" : "");
			ctl_ranges_free(r, n);
			ret = CTL_EXIT_FAIL;
			break;
		}
		if (one->info.nr_chunks < 2) {
			fprintf(stderr, "cxltierctl: heatmap: buffer %u has %u chunk: a heat map needs at least 2\n",
				one->info.id, one->info.nr_chunks);
			ctl_ranges_free(r, n);
			ret = CTL_EXIT_FAIL;
			break;
		}
		seen = one->epoch;
		fprintf(out, "# sample %u: heat epoch %llu\n", s, (unsigned long long)one->epoch);
		if (!s) {
			snprintf(id, sizeof(id), "%u", one->info.id);
			title_of(one, title, title_len);
		}
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

/* A decimal number of digits only: 0 and *@v, else -1. */
static int parse_index(const char *tok, unsigned long *v)
{
	char *end;

	if (!tok || *tok < '0' || *tok > '9')
		return -1;
	errno = 0;
	*v = strtoul(tok, &end, 10);
	return errno || *end ? -1 : 0;
}

/* One data line of a heat log; 0 or -1. */
static int parse_row(char *line, unsigned long *sample, unsigned long *chunk)
{
	char *tok[5], *save = NULL, *end;
	double heat;
	long tier;
	int n;

	for (n = 0; n < 5; n++)
		tok[n] = strtok_r(n ? NULL : line, " \t\r\n", &save);
	if (!tok[3] || tok[4] || parse_index(tok[0], sample) ||
	    parse_index(tok[1], chunk))
		return -1;
	errno = 0;
	heat = strtod(tok[2], &end);
	if (errno || *end || !isfinite(heat) || heat < 0)
		return -1;
	tier = strtol(tok[3], &end, 10);
	if (errno || *end || tier < -1 || tier > 1000)
		return -1;
	return 0;
}

/*
 * Check a heat log line by line so gnuplot never sees garbage: every data
 * line is "<sample> <chunk> <heat> <tier>", samples count up from 0 and
 * each lists chunks 0, 1, ... in order, as many as the first (gnuplot
 * draws a regular grid of at least 2 x 2).  Errors name file and line.
 */
static int check_log(const char *path)
{
	unsigned long lineno = 0, last = 0, sample = 0, chunk = 0, width = 0;
	unsigned long rows = 0, s, c;
	const char *why = NULL;
	size_t cap = 0;
	char *line = NULL;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "cxltierctl: heatmap: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (!why && getline(&line, &cap, f) >= 0) {
		const char *p = line + strspn(line, " \t\r\n");

		lineno++;
		if (*p == '#' || !*p)
			continue;
		if (parse_row(line, &s, &c)) {
			why = "expected '<sample> <chunk> <heat> <tier>' (tier -1 or more)";
		} else if (rows && s == sample + 1 && c == 0) {
			if (!width)
				width = chunk + 1;
			if (chunk + 1 != width)
				why = "the previous sample has another number of chunks than the first";
			sample = s;
			chunk = 0;
		} else if (rows ? s != sample || c != chunk + 1 : s || c) {
			why = "samples must count up from 0, each listing chunks 0, 1, ... in order";
		} else {
			chunk = c;
		}
		rows++;
		last = lineno;
	}
	free(line);
	fclose(f);
	if (!rows && !why) {
		fprintf(stderr, "cxltierctl: heatmap: %s: no samples\n", path);
		return -1;
	}
	if (!why) {
		lineno = last;
		if (!width)
			why = "a heat map needs at least 2 samples";
		else if (chunk + 1 != width)
			why = "the last sample has another number of chunks than the first";
		else if (width < 2)
			why = "a heat map needs at least 2 chunks";
	}
	if (why) {
		fprintf(stderr, "cxltierctl: heatmap: %s:%lu: %s\n", path, lineno, why);
		return -1;
	}
	return 0;
}

static int draw(const char *data, const char *png, const char *title)
{
	struct stat st;
	FILE *gp;
	int status, fd;

	/*
	 * Create the picture here, so that a bad name is our error with our
	 * message: gnuplot would write the PNG to its standard output.
	 */
	fd = open(png, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "cxltierctl: heatmap: %s: %s\n", png, strerror(errno));
		return -1;
	}
	close(fd);
	gp = popen("exec gnuplot >/dev/null", "w");
	if (!gp) {
		fprintf(stderr, "cxltierctl: heatmap: cannot run gnuplot: %s\n", strerror(errno));
		return -1;
	}
	fprintf(gp,
		"set terminal pngcairo noenhanced size 1400,800 font ',10'\n"
		"set output '%s'\n"
		"set multiplot layout 1,2 title 'cxltier heat map: %s'\n"
		"set autoscale xfix\n"
		"set autoscale yfix\n"
		"set xlabel 'sample (one per heat epoch)'\n"
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
		fprintf(stderr, "cxltierctl: heatmap: gnuplot failed%s\n",
			status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
			" (is gnuplot installed?)" : "");
		return -1;
	}
	if (stat(png, &st) || !st.st_size) {
		fprintf(stderr, "cxltierctl: heatmap: gnuplot wrote nothing to %s\n", png);
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
		{ "log", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *png = "cxltier-heatmap.png", *input = NULL, *log = NULL;
	uint32_t samples = 30, interval_ms = 1000;
	char data[] = "/tmp/cxltier-heatmap-XXXXXX";
	char title[96] = "";
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
		case 'l':
			log = optarg;
			break;
		default:
			fputs(heatmap_usage, stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if ((input && (optind != argc || log)) || (!input && optind != argc - 1)) {
		fputs(heatmap_usage, stderr);
		return CTL_EXIT_USAGE;
	}
	if (!name_ok(png) || (input && !name_ok(input)) || (log && !name_ok(log))) {
		fprintf(stderr, "cxltierctl: heatmap: file names may not contain quotes, backslashes or newlines\n");
		return CTL_EXIT_USAGE;
	}

	if (input) {
		if (check_log(input))
			return CTL_EXIT_FAIL;
		if (draw(input, png, input))
			return CTL_EXIT_FAIL;
		printf("%s\n", png);
		return CTL_EXIT_OK;
	}

	/* The samples go to --log, kept, or to a temporary file. */
	if (log) {
		out = fopen(log, "we");
		if (!out) {
			fprintf(stderr, "cxltierctl: heatmap: %s: %s\n", log, strerror(errno));
			return CTL_EXIT_FAIL;
		}
	} else {
		fd = mkstemp(data);
		if (fd < 0) {
			fprintf(stderr, "cxltierctl: heatmap: temporary file: %s\n", strerror(errno));
			return CTL_EXIT_FAIL;
		}
		out = fdopen(fd, "w");
		if (!out) {
			fprintf(stderr, "cxltierctl: heatmap: temporary file: %s\n", strerror(errno));
			close(fd);
			unlink(data);
			return CTL_EXIT_FAIL;
		}
	}
	ret = sample_live(opts, argv[optind], samples, interval_ms, out, title, sizeof(title));
	if (fclose(out) && !ret) {
		fprintf(stderr, "cxltierctl: heatmap: %s: %s\n", log ? log : "temporary file",
			strerror(errno));
		ret = CTL_EXIT_FAIL;
	}
	if (!ret && draw(log ? log : data, png, title))
		ret = CTL_EXIT_FAIL;
	if (!log)
		unlink(data);
	if (!ret)
		printf("%s\n", png);
	return ret;
}
