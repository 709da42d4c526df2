// SPDX-License-Identifier: GPL-2.0
/*
 * topology: NUMA nodes, the CXL memory behind them, and how they are
 * onlined.  See topology.h.
 *
 * CXL mapping.  libcxl lists regions under the root decoders, with the
 * host physical range each one decodes and the memdevs it maps; libdaxctl
 * lists dax devices with their physical range and the node their memory
 * goes to.  ndctl 76 has no call from a CXL region to its dax devices,
 * and sysfs does not nest them for PMEM regions (the devdax namespace
 * hangs off the nvdimm bridge, not the region).  Addresses do not lie:
 * a dax device whose range lies inside a CXL region's range is backed by
 * that region's memdevs, whether it came from a RAM region's dax_region
 * or from a devdax namespace of a PMEM region.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cxl/libcxl.h>
#include <daxctl/libdaxctl.h>
#include <numa.h>

#include "topology.h"

/* Most node ids the warn-once bitmap tracks (MAX_NUMNODES on x86-64). */
#define TOPO_MAX_NODES	1024

struct topo {
	topo_log_fn log;		/* warning sink */
	void *log_arg;			/* its argument */
	unsigned int nr;		/* entries in nodes */
	struct topo_node *nodes;	/* by ascending node id */
	/* Nodes already warned about by topo_warn_movable(). */
	uint64_t warned[TOPO_MAX_NODES / 64];
};

static void topo_log_stderr(void *arg, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

__attribute__((format(printf, 2, 3)))
static void topo_log(struct topo *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->log(t->log_arg, msg);
}

struct topo *topo_new(topo_log_fn log, void *arg)
{
	struct topo *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->log = log ? log : topo_log_stderr;
	t->log_arg = arg;
	return t;
}

void topo_free(struct topo *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t);
}

unsigned int topo_nr_nodes(const struct topo *t)
{
	return t->nr;
}

const struct topo_node *topo_node_at(const struct topo *t, unsigned int i)
{
	return i < t->nr ? &t->nodes[i] : NULL;
}

static struct topo_node *topo_find(struct topo *t, int node)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++)
		if (t->nodes[i].node == node)
			return &t->nodes[i];
	return NULL;
}

const struct topo_node *topo_find_node(const struct topo *t, int node)
{
	return topo_find((struct topo *)t, node);
}

int topo_movable_state(uint64_t present, uint64_t movable)
{
	if (!movable)
		return TOPO_MOVABLE_NONE;
	return movable >= present ? TOPO_MOVABLE_ALL : TOPO_MOVABLE_SOME;
}

int topo_parse_zoneinfo(const char *text, int node, uint64_t *present,
			uint64_t *movable)
{
	const char *line = text;
	int cur = -1, in_movable = 0, found = 0;

	*present = 0;
	*movable = 0;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		char buf[128], zone[32];
		size_t len = end ? (size_t)(end - line) : strlen(line);
		unsigned long long pages;
		int n;

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = end ? end + 1 : NULL;

		if (sscanf(buf, "Node %d, zone %31s", &n, zone) == 2) {
			cur = n;
			in_movable = !strcmp(zone, "Movable");
			found |= cur == node;
			continue;
		}
		if (cur != node)
			continue;
		if (sscanf(buf, " present %llu", &pages) == 1) {
			*present += pages;
			if (in_movable)
				*movable += pages;
		}
	}
	return found ? 0 : -ENOENT;
}

/* Whole /proc/zoneinfo in a malloc'ed string, or NULL. */
static char *topo_read_zoneinfo(void)
{
	size_t len = 0, room = 0;
	char *buf = NULL, *nbuf;
	FILE *f;

	f = fopen("/proc/zoneinfo", "re");
	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (room - len < 4096) {
			room = room ? room * 2 : 65536;
			nbuf = realloc(buf, room);
			if (!nbuf) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, room - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* libnuma: every node with memory, CPUs, sizes, and zoneinfo. */
static int topo_scan_numa(struct topo *t)
{
	struct bitmask *cpus;
	char *zoneinfo;
	int max, node;

	if (numa_available() < 0)
		return -ENOSYS;
	max = numa_max_node();
	if (max < 0 || max >= TOPO_MAX_NODES)
		return -ERANGE;
	t->nodes = calloc(max + 1, sizeof(*t->nodes));
	cpus = numa_allocate_cpumask();
	if (!t->nodes || !cpus) {
		numa_free_cpumask(cpus);
		return -ENOMEM;
	}
	zoneinfo = topo_read_zoneinfo();
	for (node = 0; node <= max; node++) {
		struct topo_node *n;
		long long size, free_b;
		uint64_t present, movable;

		if (!numa_bitmask_isbitset(numa_nodes_ptr, node))
			continue;
		size = numa_node_size64(node, &free_b);
		if (size <= 0)
			continue;
		n = &t->nodes[t->nr++];
		n->node = node;
		n->size = size;
		n->free = free_b > 0 ? free_b : 0;
		n->has_cpus = !numa_node_to_cpus(node, cpus) &&
			      numa_bitmask_weight(cpus) > 0;
		n->movable = TOPO_MOVABLE_UNKNOWN;
		if (zoneinfo &&
		    !topo_parse_zoneinfo(zoneinfo, node, &present, &movable))
			n->movable = topo_movable_state(present, movable);
	}
	free(zoneinfo);
	numa_free_cpumask(cpus);
	return 0;
}

static void topo_copy_name(char *dst, const char *src)
{
	snprintf(dst, TOPO_NAME_LEN, "%s", src ? src : "");
}

/* Mark the nodes that dax devices inside CXL region @region feed. */
static void topo_map_region(struct topo *t, struct cxl_region *region,
			    struct daxctl_ctx *dctx)
{
	unsigned long long rstart = cxl_region_get_resource(region);
	unsigned long long rsize = cxl_region_get_size(region);
	const char *rname = cxl_region_get_devname(region);
	struct daxctl_region *dregion;

	if (rstart == ULLONG_MAX || !rsize || rstart + rsize < rstart)
		return;		/* not committed to an address range */

	daxctl_region_foreach(dctx, dregion) {
		struct daxctl_dev *dev;

		daxctl_dev_foreach(dregion, dev) {
			unsigned long long start = daxctl_dev_get_resource(dev);
			unsigned long long size = daxctl_dev_get_size(dev);
			struct cxl_memdev_mapping *mapping;
			struct topo_node *n;

			if (!size || start == ULLONG_MAX || start < rstart ||
			    start + size < start || start + size > rstart + rsize)
				continue;
			n = topo_find(t, daxctl_dev_get_target_node(dev));
			if (!n)
				continue;	/* not onlined as system RAM */
			n->cxl = 1;
			topo_copy_name(n->region, rname);
			topo_copy_name(n->dax, daxctl_dev_get_devname(dev));
			n->nr_memdevs = 0;
			cxl_mapping_foreach(region, mapping) {
				struct cxl_decoder *d = cxl_mapping_get_decoder(mapping);
				struct cxl_memdev *md = d ? cxl_decoder_get_memdev(d) : NULL;

				if (md && n->nr_memdevs < TOPO_MAX_MEMDEVS)
					topo_copy_name(n->memdevs[n->nr_memdevs++],
						       cxl_memdev_get_devname(md));
			}
		}
	}
}

/* Record the dax device onlined into each node, CXL or not. */
static void topo_map_dax(struct topo *t, struct daxctl_ctx *dctx)
{
	struct daxctl_region *dregion;
	struct daxctl_dev *dev;

	daxctl_region_foreach(dctx, dregion) {
		daxctl_dev_foreach(dregion, dev) {
			struct daxctl_memory *mem = daxctl_dev_get_memory(dev);
			struct topo_node *n;

			if (!mem || daxctl_memory_is_online(mem) <= 0)
				continue;
			n = topo_find(t, daxctl_dev_get_target_node(dev));
			if (n && !n->dax[0])
				topo_copy_name(n->dax, daxctl_dev_get_devname(dev));
		}
	}
}

/* libcxl + libdaxctl.  Missing CXL support is not an error. */
static void topo_scan_cxl(struct topo *t)
{
	struct daxctl_ctx *dctx = NULL;
	struct cxl_ctx *cctx = NULL;
	struct cxl_bus *bus;

	if (daxctl_new(&dctx))
		return;
	topo_map_dax(t, dctx);
	if (cxl_new(&cctx))
		goto out_dax;
	cxl_bus_foreach(cctx, bus) {
		struct cxl_port *port = cxl_bus_get_port(bus);
		struct cxl_decoder *decoder;

		cxl_decoder_foreach(port, decoder) {
			struct cxl_region *region;

			cxl_region_foreach(decoder, region)
				topo_map_region(t, region, dctx);
		}
	}
	cxl_unref(cctx);
out_dax:
	daxctl_unref(dctx);
}

int topo_refresh(struct topo *t)
{
	int ret;

	free(t->nodes);
	t->nodes = NULL;
	t->nr = 0;
	ret = topo_scan_numa(t);
	if (ret)
		return ret;
	topo_scan_cxl(t);
	return 0;
}

int topo_warn_movable(struct topo *t)
{
	unsigned int i;
	int count = 0;

	for (i = 0; i < t->nr; i++) {
		const struct topo_node *n = &t->nodes[i];
		uint64_t bit = 1ULL << (n->node % 64);
		uint64_t *word = &t->warned[n->node / 64];

		if (n->has_cpus || n->movable <= TOPO_MOVABLE_NONE)
			continue;
		count++;
		if (*word & bit)
			continue;
		*word |= bit;
		if (n->dax[0])
			topo_log(t, "warning: node %d (%s, %s) is onlined %s movable: long-term pinned buffers cannot live there and will land in DRAM; fix: daxctl offline-memory %s && daxctl online-memory --no-movable %s (when onlining: daxctl reconfigure-device --mode=system-ram --no-movable)",
				 n->node, n->cxl ? "CXL" : "far memory", n->dax,
				 n->movable == TOPO_MOVABLE_ALL ? "all" : "partly",
				 n->dax, n->dax);
		else
			topo_log(t, "warning: node %d (%s) is onlined %s movable: long-term pinned buffers cannot live there and will land in DRAM; fix: online its memory blocks as online_kernel (for dax/kmem memory: daxctl reconfigure-device --mode=system-ram --no-movable)",
				 n->node, n->cxl ? "CXL" : "far memory",
				 n->movable == TOPO_MOVABLE_ALL ? "all" : "partly");
	}
	return count;
}
