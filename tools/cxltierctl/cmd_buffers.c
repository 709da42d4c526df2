// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl buffers: every tracked buffer with its owner, size, where its
 * pages are and how hot it is.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "ranges.h"

static struct json_object *sources_json(uint32_t sources)
{
	struct json_object *a = json_object_new_array();

	if (sources & CXLTIER_SRC_CPU)
		json_object_array_add(a, json_object_new_string("cpu"));
	if (sources & CXLTIER_SRC_DEVICE)
		json_object_array_add(a, json_object_new_string("device"));
	return a;
}

struct json_object *ctl_range_json(const struct ctl_opts *opts,
				   const struct ctl_range *r)
{
	struct json_object *o = json_object_new_object(), *nodes;
	char buf[64];
	uint32_t hot = 0, i;
	int n;

	json_object_object_add(o, "id", json_object_new_int64(r->info.id));
	if (r->info.pid > 0)
		json_object_object_add(o, "pid", json_object_new_int(r->info.pid));
	ctl_process_name(r->info.pid, buf, sizeof(buf));
	if (buf[0])
		json_object_object_add(o, "process", json_object_new_string(buf));
	if (r->info.label[0]) {
		snprintf(buf, sizeof(buf), "%.*s", (int)sizeof(r->info.label), r->info.label);
		json_object_object_add(o, "label", json_object_new_string(buf));
	}
	json_object_object_add(o, "start", ctl_json_addr(opts, r->info.start));
	json_object_object_add(o, "size", ctl_json_size(opts, r->info.length));
	json_object_object_add(o, "chunk_size", ctl_json_size(opts, r->info.chunk_size));
	json_object_object_add(o, "chunks", json_object_new_int64(r->info.nr_chunks));
	json_object_object_add(o, "sources", sources_json(r->info.sources));
	json_object_object_add(o, "resident", ctl_json_size(opts, r->resident));
	json_object_object_add(o, "pinned", ctl_json_size(opts, r->pinned));
	nodes = json_object_new_object();
	for (n = 0; n < CTL_MAX_NODES; n++) {
		if (!r->node_bytes[n])
			continue;
		snprintf(buf, sizeof(buf), "%d", n);
		json_object_object_add(nodes, buf, ctl_json_size(opts, r->node_bytes[n]));
	}
	if (r->mixed_bytes)
		json_object_object_add(nodes, "mixed", ctl_json_size(opts, r->mixed_bytes));
	json_object_object_add(o, "nodes", nodes);
	for (i = 0; i < r->info.nr_chunks; i++)
		hot += r->chunks[i].heat >= CXLTIER_HEAT_ONE;
	json_object_object_add(o, "hot_chunks", json_object_new_int64(hot));
	json_object_object_add(o, "heat", ctl_json_heat(r->heat));
	json_object_object_add(o, "epoch", json_object_new_int64((int64_t)r->epoch));
	return o;
}

int cmd_buffers(int argc, char **argv, const struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "refresh", no_argument, NULL, 'r' },
		{ "human", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o = *opts;
	struct json_object *arr;
	struct ctl_range *r;
	struct kdev dev;
	int refresh = 0, c, ret;
	size_t n, i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ru", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			refresh = 1;
			break;
		case 'u':
			o.human = 1;
			break;
		default:
			fprintf(stderr, "usage: cxltierctl buffers [--refresh] [-u]\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: cxltierctl buffers [--refresh] [-u]\n");
		return CTL_EXIT_USAGE;
	}
	opts = &o;
	if (ctl_open_dev(opts, &dev))
		return CTL_EXIT_NODEV;
	ret = ctl_ranges_load(&dev, refresh, &r, &n);
	kdev_close(&dev);
	if (ret) {
		fprintf(stderr, "cxltierctl: buffers: %s%s\n", strerror(-ret),
			ret == -EPERM ? " (listing every buffer needs CAP_SYS_ADMIN)" : "");
		return CTL_EXIT_FAIL;
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, ctl_range_json(opts, &r[i]));
	ctl_ranges_free(r, n);
	ctl_print_json(arr);
	return CTL_EXIT_OK;
}
