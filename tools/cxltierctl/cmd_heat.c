// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl heat BUFFER: per-chunk heat and placement of one buffer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "ranges.h"

static const char heat_usage[] =
	"usage: cxltierctl heat [--refresh] [--hottest N] [-u] BUFFER\n"
	"  BUFFER is a buffer id or its label (see cxltierctl buffers)\n";

static int by_heat_desc(const void *a, const void *b)
{
	const struct cxltier_chunk_heat *x = *(const struct cxltier_chunk_heat *const *)a;
	const struct cxltier_chunk_heat *y = *(const struct cxltier_chunk_heat *const *)b;

	return x->heat < y->heat ? 1 : x->heat > y->heat ? -1 : 0;
}

static struct json_object *chunk_json(const struct ctl_opts *opts,
				      const struct ctl_range *r,
				      const struct cxltier_chunk_heat *c)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t idx = (uint64_t)(c - r->chunks);
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "chunk", json_object_new_int64((int64_t)idx));
	json_object_object_add(o, "offset", ctl_json_size(opts, idx * r->info.chunk_size));
	json_object_object_add(o, "heat", ctl_json_heat(c->heat));
	if (c->last_epoch)
		json_object_object_add(o, "last_epoch", json_object_new_int64((int64_t)c->last_epoch));
	if (c->node >= 0)
		json_object_object_add(o, "node", json_object_new_int(c->node));
	else if (c->node == CXLTIER_NODE_MIXED)
		json_object_object_add(o, "node", json_object_new_string("mixed"));
	json_object_object_add(o, "resident", ctl_json_size(opts, (uint64_t)c->resident_pages * (uint64_t)page));
	json_object_object_add(o, "pinned", ctl_json_size(opts, (uint64_t)c->pinned_pages * (uint64_t)page));
	json_object_object_add(o, "cpu_young", json_object_new_int64(c->cpu_young));
	json_object_object_add(o, "dev_count", json_object_new_int64(c->dev_count));
	return o;
}

int cmd_heat(int argc, char **argv, const struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "refresh", no_argument, NULL, 'r' },
		{ "hottest", required_argument, NULL, 'n' },
		{ "human", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o = *opts;
	const struct cxltier_chunk_heat **order;
	struct json_object *obj, *arr;
	uint32_t hottest = 0, i, count;
	struct ctl_range *r, *one;
	int refresh = 0, c, ret;
	struct kdev dev;
	size_t n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "rn:u", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			refresh = 1;
			break;
		case 'u':
			o.human = 1;
			break;
		case 'n':
			if (ctl_parse_u32(optarg, &hottest) || !hottest) {
				fprintf(stderr, "cxltierctl: heat: --hottest needs a positive number, not '%s'\n", optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		default:
			fputs(heat_usage, stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(heat_usage, stderr);
		return CTL_EXIT_USAGE;
	}
	opts = &o;
	if (ctl_open_dev(opts, &dev))
		return CTL_EXIT_NODEV;
	ret = ctl_ranges_load(&dev, refresh, &r, &n);
	kdev_close(&dev);
	if (ret) {
		fprintf(stderr, "cxltierctl: heat: %s\n", strerror(-ret));
		return CTL_EXIT_FAIL;
	}
	one = ctl_ranges_find(r, n, argv[optind]);
	if (!one) {
		fprintf(stderr, "cxltierctl: heat: no buffer '%s' (or the label is not unique)\n",
			argv[optind]);
		ctl_ranges_free(r, n);
		return CTL_EXIT_FAIL;
	}

	count = one->info.nr_chunks;
	order = calloc(count ? count : 1, sizeof(*order));
	if (!order) {
		ctl_ranges_free(r, n);
		return CTL_EXIT_FAIL;
	}
	for (i = 0; i < count; i++)
		order[i] = &one->chunks[i];
	if (hottest) {
		qsort(order, count, sizeof(*order), by_heat_desc);
		if (hottest < count)
			count = hottest;
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "id", json_object_new_int64(one->info.id));
	json_object_object_add(obj, "epoch", json_object_new_int64((int64_t)one->epoch));
	arr = json_object_new_array();
	for (i = 0; i < count; i++)
		json_object_array_add(arr, chunk_json(opts, one, order[i]));
	json_object_object_add(obj, "chunks", arr);
	free(order);
	ctl_ranges_free(r, n);
	ctl_print_json(obj);
	return CTL_EXIT_OK;
}
