// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl tiers: the memory tiers as the module orders them, each node
 * merged with what libnuma, libcxl and libdaxctl say about it (which CXL
 * memdev, region and dax device back it).  JSON by default, ndctl style:
 * keys whose value is unknown are left out; --table for people.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "kdev.h"
#include "topology.h"
#include "units.h"

static const char *const kind_names[] = {
	[CXLTIER_KIND_UNKNOWN] = "unknown", [CXLTIER_KIND_DRAM] = "dram",
	[CXLTIER_KIND_FAR] = "far", [CXLTIER_KIND_CXL] = "cxl",
	[CXLTIER_KIND_HBM] = "hbm", [CXLTIER_KIND_PMEM] = "pmem",
};

static const char *kind_name(uint32_t kind)
{
	return kind <= CXLTIER_KIND_MAX ? kind_names[kind] : "unknown";
}

/*
 * The kind to show: what root wrote wins; else libcxl's finding that CXL
 * backs the node; else the module's classification.
 */
static uint32_t merged_kind(const struct cxltier_node_info *n,
			    const struct topo_node *tn)
{
	if (!(n->flags & CXLTIER_NODE_KIND_SET) && tn && tn->cxl)
		return CXLTIER_KIND_CXL;
	return n->kind;
}

static const char *movable_name(uint32_t flags)
{
	if (flags & CXLTIER_NODE_ALL_MOVABLE)
		return "all";
	return flags & CXLTIER_NODE_MOVABLE ? "some" : "none";
}

static struct json_object *json_size(uint64_t bytes, int human)
{
	char buf[32];

	if (!human)
		return json_object_new_int64((int64_t)bytes);
	return json_object_new_string(units_format_size(bytes, buf, sizeof(buf)));
}

static void add_perf(struct json_object *obj, uint32_t rl, uint32_t wl,
		     uint32_t rb, uint32_t wb)
{
	if (!(rl || wl || rb || wb))
		return;
	json_object_object_add(obj, "read_latency_ns", json_object_new_int64(rl));
	json_object_object_add(obj, "write_latency_ns", json_object_new_int64(wl));
	json_object_object_add(obj, "read_bandwidth_MBps", json_object_new_int64(rb));
	json_object_object_add(obj, "write_bandwidth_MBps", json_object_new_int64(wb));
}

static struct json_object *node_json(const struct cxltier_node_info *n,
				     const struct topo_node *tn, int human)
{
	struct json_object *obj = json_object_new_object();
	int i;

	json_object_object_add(obj, "node", json_object_new_int64(n->node));
	json_object_object_add(obj, "kind",
			       json_object_new_string(kind_name(merged_kind(n, tn))));
	if (n->flags & CXLTIER_NODE_KIND_SET)
		json_object_object_add(obj, "kind_set", json_object_new_boolean(1));
	json_object_object_add(obj, "has_cpus",
			       json_object_new_boolean(!!(n->flags & CXLTIER_NODE_HAS_CPUS)));
	json_object_object_add(obj, "capacity", json_size(n->capacity_kB * 1024, human));
	json_object_object_add(obj, "free", json_size(n->free_kB * 1024, human));
	json_object_object_add(obj, "movable",
			       json_object_new_string(movable_name(n->flags)));
	if (n->movable_kB)
		json_object_object_add(obj, "movable_capacity",
				       json_size(n->movable_kB * 1024, human));
	if (n->flags & CXLTIER_NODE_HMAT)
		add_perf(obj, n->read_latency_ns, n->write_latency_ns,
			 n->read_bandwidth_MBps, n->write_bandwidth_MBps);
	if (n->memory_tier >= 0)
		json_object_object_add(obj, "memory_tier",
				       json_object_new_int64(n->memory_tier));
	json_object_object_add(obj, "adistance", json_object_new_int64(n->adistance));
	if (n->flags & CXLTIER_NODE_RETIERED)
		json_object_object_add(obj, "retiered", json_object_new_boolean(1));
	if (tn && tn->nr_memdevs) {
		struct json_object *arr = json_object_new_array();

		for (i = 0; i < tn->nr_memdevs; i++)
			json_object_array_add(arr, json_object_new_string(tn->memdevs[i]));
		json_object_object_add(obj, "memdevs", arr);
	}
	if (tn && tn->region[0])
		json_object_object_add(obj, "region", json_object_new_string(tn->region));
	if (tn && tn->dax[0])
		json_object_object_add(obj, "dax", json_object_new_string(tn->dax));
	return obj;
}

/* One tier: its nodes' kind, worst figures, sums, and the nodes. */
static struct json_object *tier_json(uint32_t tier,
				     const struct cxltier_node_info *nodes,
				     uint32_t nr, const struct topo *topo,
				     int human)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	uint32_t rl = 0, wl = 0, rb = 0, wb = 0, i, kind = CXLTIER_KIND_UNKNOWN;
	uint64_t cap = 0, free_kb = 0;
	char list[256] = "";
	int first = 1;

	for (i = 0; i < nr; i++) {
		const struct cxltier_node_info *n = &nodes[i];
		size_t len = strlen(list);

		if (n->tier != tier)
			continue;
		if (first)
			kind = n->kind;
		snprintf(list + len, sizeof(list) - len, "%s%u", first ? "" : ",",
			 n->node);
		first = 0;
		cap += n->capacity_kB;
		free_kb += n->free_kB;
		if (n->flags & CXLTIER_NODE_HMAT) {
			rl = n->read_latency_ns > rl ? n->read_latency_ns : rl;
			wl = n->write_latency_ns > wl ? n->write_latency_ns : wl;
			rb = !rb || n->read_bandwidth_MBps < rb ? n->read_bandwidth_MBps : rb;
			wb = !wb || n->write_bandwidth_MBps < wb ? n->write_bandwidth_MBps : wb;
		}
		json_object_array_add(arr, node_json(n, topo_find_node(topo, n->node),
						     human));
	}
	json_object_object_add(obj, "tier", json_object_new_int64(tier));
	json_object_object_add(obj, "kind", json_object_new_string(kind_name(kind)));
	json_object_object_add(obj, "nodelist", json_object_new_string(list));
	json_object_object_add(obj, "capacity", json_size(cap * 1024, human));
	json_object_object_add(obj, "free", json_size(free_kb * 1024, human));
	add_perf(obj, rl, wl, rb, wb);
	json_object_object_add(obj, "nodes", arr);
	return obj;
}

static void print_table(const struct cxltier_node_info *nodes, uint32_t nr,
			uint32_t nr_tiers, const struct topo *topo, int human)
{
	uint32_t tier, i;

	printf("%-4s %-7s %-4s %-7s %12s %12s %-7s %11s %15s %-7s %s\n",
	       "TIER", "KIND", "NODE", "NKIND", "CAPACITY", "FREE", "MOVABLE",
	       "LAT_R/W_ns", "BW_R/W_MBps", "MEMTIER", "CXL");
	for (tier = 0; tier < nr_tiers; tier++) {
		for (i = 0; i < nr; i++) {
			const struct cxltier_node_info *n = &nodes[i];
			const struct topo_node *tn = topo_find_node(topo, n->node);
			char cap[32], fr[32], lat[32] = "-", bw[32] = "-";
			char mt[16] = "-", cxl[96] = "-";

			if (n->tier != tier)
				continue;
			if (human) {
				units_format_size(n->capacity_kB * 1024, cap, sizeof(cap));
				units_format_size(n->free_kB * 1024, fr, sizeof(fr));
			} else {
				snprintf(cap, sizeof(cap), "%llu",
					 (unsigned long long)n->capacity_kB * 1024);
				snprintf(fr, sizeof(fr), "%llu",
					 (unsigned long long)n->free_kB * 1024);
			}
			if (n->flags & CXLTIER_NODE_HMAT) {
				snprintf(lat, sizeof(lat), "%u/%u", n->read_latency_ns,
					 n->write_latency_ns);
				snprintf(bw, sizeof(bw), "%u/%u", n->read_bandwidth_MBps,
					 n->write_bandwidth_MBps);
			}
			if (n->memory_tier >= 0)
				snprintf(mt, sizeof(mt), "%d", n->memory_tier);
			if (tn && tn->cxl)
				snprintf(cxl, sizeof(cxl), "%s>%s>%s",
					 tn->nr_memdevs ? tn->memdevs[0] : "?",
					 tn->region, tn->dax[0] ? tn->dax : "?");
			printf("%-4u %-7s %-4u %-7s %12s %12s %-7s %11s %15s %-7s %s\n",
			       tier, kind_name(n->kind), n->node,
			       kind_name(merged_kind(n, tn)), cap, fr,
			       movable_name(n->flags), lat, bw, mt, cxl);
		}
	}
}

static void ctl_topo_log(void *arg, const char *msg)
{
	fprintf(stderr, "cxltierctl: %s\n", msg);
}

int cmd_tiers(int argc, char **argv, const struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "human", no_argument, NULL, 'u' },
		{ "table", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct cxltier_node_info *nodes = NULL;
	uint32_t nr = 0, nr_tiers = 0, tier;
	int human = opts->human, table = 0, c, ret, rc = CTL_EXIT_FAIL;
	struct topo *topo = NULL;
	struct json_object *arr;
	struct kdev dev;

	optind = 1;
	while ((c = getopt_long(argc, argv, "u", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			human = 1;
			break;
		case 't':
			table = 1;
			break;
		default:
			fprintf(stderr, "usage: cxltierctl tiers [-u] [--table]\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usage: cxltierctl tiers [-u] [--table]\n");
		return CTL_EXIT_USAGE;
	}

	ret = kdev_open(&dev, opts->dev_path);
	if (ret) {
		fprintf(stderr, "cxltierctl: %s: %s%s\n", opts->dev_path,
			strerror(-ret),
			ret == -ENOENT ? " (is cxltier.ko loaded? modprobe cxltier)" : "");
		return CTL_EXIT_NODEV;
	}
	if (!(dev.features & CXLTIER_FEAT_TIERS)) {
		fprintf(stderr, "cxltierctl: the loaded module has no tier table\n");
		kdev_close(&dev);
		return CTL_EXIT_NODEV;
	}
	ret = kdev_get_nodes(&dev, &nodes, &nr, &nr_tiers);
	kdev_close(&dev);
	if (ret) {
		fprintf(stderr, "cxltierctl: CXLTIER_IOC_GET_NODES: %s\n", strerror(-ret));
		return CTL_EXIT_FAIL;
	}

	topo = topo_new(ctl_topo_log, NULL);
	if (!topo) {
		fprintf(stderr, "cxltierctl: out of memory\n");
		goto out;
	}
	ret = topo_refresh(topo);
	if (ret)
		fprintf(stderr, "cxltierctl: topology: %s (showing the module's view only)\n",
			strerror(-ret));
	else
		topo_warn_movable(topo);

	if (table) {
		print_table(nodes, nr, nr_tiers, topo, human);
	} else {
		arr = json_object_new_array();
		for (tier = 0; tier < nr_tiers; tier++)
			json_object_array_add(arr, tier_json(tier, nodes, nr, topo, human));
		ctl_print_json(arr);
	}
	rc = CTL_EXIT_OK;
out:
	topo_free(topo);
	free(nodes);
	return rc;
}
