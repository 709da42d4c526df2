// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench heat-accuracy: the command line and the report of the
 * test bed's heat-accuracy measurement (tools/testbed/heat_accuracy.c,
 * which the heat_accuracy selftest runs too).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bench.h"
#include "testbed.h"

static void ha_usage(FILE *f)
{
	fprintf(f,
		"usage: cxltier-bench heat-accuracy [--json] [--buffer 4k|thp|both]\n"
		"       [--size MIB] [--hot N] [--epoch-ms MS] [--half-life-ms MS]\n"
		"       [--scan-interval-ms MS] [--device-weight W] [--warm-epochs N]\n"
		"       [--sampling] [--verbose]\n");
}

int cmd_heat_accuracy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "size", required_argument, NULL, 's' },
		{ "hot", required_argument, NULL, 'k' },
		{ "epoch-ms", required_argument, NULL, 'e' },
		{ "half-life-ms", required_argument, NULL, 'l' },
		{ "scan-interval-ms", required_argument, NULL, 'i' },
		{ "device-weight", required_argument, NULL, 'w' },
		{ "warm-epochs", required_argument, NULL, 'W' },
		{ "sampling", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ha_result r[2], worst;
	struct json_object *obj;
	const char *which = "both";
	struct ha_opts o;
	int json = 0, c, t, ret, n = 0;

	ha_opts_default(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'b': which = optarg; break;
		case 's': o.size = strtoul(optarg, NULL, 0) << 20; break;
		case 'k': o.hot = strtoul(optarg, NULL, 0); break;
		case 'e': o.epoch_ms = strtoul(optarg, NULL, 0); break;
		case 'l': o.half_life_ms = strtoul(optarg, NULL, 0); break;
		case 'i': o.scan_interval_ms = strtoul(optarg, NULL, 0); break;
		case 'w': o.device_weight = strtoul(optarg, NULL, 0); break;
		case 'W': o.warm_epochs = strtoul(optarg, NULL, 0); break;
		case 'S': o.sampling = 1; break;
		case 'v': o.verbose = 1; break;
		case 'h': ha_usage(stdout); return BENCH_EXIT_OK;
		default: ha_usage(stderr); return BENCH_EXIT_USAGE;
		}
	}
	if (optind != argc || (strcmp(which, "4k") && strcmp(which, "thp") &&
			       strcmp(which, "both"))) {
		ha_usage(stderr);
		return BENCH_EXIT_USAGE;
	}

	for (t = 0; t < 2; t++) {
		if (strcmp(which, "both") && strcmp(which, t ? "thp" : "4k"))
			continue;
		ret = ha_run(&o, t, &r[n]);
		if (ret) {
			fprintf(stderr, "cxltier-bench: heat-accuracy (%s): %s\n",
				t ? "thp" : "4k", strerror(-ret));
			return ret == -ENODEV || ret == -ENOENT ?
				BENCH_EXIT_NODEV : BENCH_EXIT_FAIL;
		}
		n++;
	}
	/* The worse of the runs. */
	worst = r[0];
	for (t = 1; t < n; t++) {
		worst.cpu_recall = r[t].cpu_recall < worst.cpu_recall ? r[t].cpu_recall : worst.cpu_recall;
		worst.cpu_precision = r[t].cpu_precision < worst.cpu_precision ? r[t].cpu_precision : worst.cpu_precision;
		worst.dma_recall = r[t].dma_recall < worst.dma_recall ? r[t].dma_recall : worst.dma_recall;
		worst.dma_precision = r[t].dma_precision < worst.dma_precision ? r[t].dma_precision : worst.dma_precision;
		if (r[t].shift_epochs < 0 || (worst.shift_epochs >= 0 &&
					      r[t].shift_epochs > worst.shift_epochs))
			worst.shift_epochs = r[t].shift_epochs;
	}
	if (json) {
		obj = json_object_new_object();
		json_object_object_add(obj, "cpu_recall", json_object_new_double(worst.cpu_recall));
		json_object_object_add(obj, "cpu_precision", json_object_new_double(worst.cpu_precision));
		json_object_object_add(obj, "dma_recall", json_object_new_double(worst.dma_recall));
		json_object_object_add(obj, "dma_precision", json_object_new_double(worst.dma_precision));
		json_object_object_add(obj, "shift_epochs", json_object_new_int(worst.shift_epochs));
		puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY));
		json_object_put(obj);
	} else {
		printf("cpu recall %.3f precision %.3f, device recall %.3f precision %.3f, "
		       "new hot set on top after %d epochs (%s buffer%s)\n",
		       worst.cpu_recall, worst.cpu_precision, worst.dma_recall,
		       worst.dma_precision, worst.shift_epochs, which,
		       n > 1 ? "s, worse of the two" : "");
	}
	return BENCH_EXIT_OK;
}
