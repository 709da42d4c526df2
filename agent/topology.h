/* SPDX-License-Identifier: GPL-2.0 */
/*
 * topology: what memory this host has, as user space can see it without
 * cxltier.ko: NUMA nodes (libnuma), which of them CXL memory backs
 * (libcxl: memdev -> region; libdaxctl: region -> dax device -> node),
 * and how their memory is onlined (ZONE_MOVABLE or not).
 *
 *   struct topo *t = topo_new(NULL, NULL);
 *   if (!t || topo_refresh(t))
 *           ...;
 *   for (i = 0; i < topo_nr_nodes(t); i++)
 *           use(topo_node_at(t, i));
 *   topo_warn_movable(t);   // once per node over the life of t
 *   topo_free(t);
 *
 * One struct topo per user; not thread-safe.
 */
#ifndef CXLTIER_TOPOLOGY_H
#define CXLTIER_TOPOLOGY_H

#include <stdint.h>

#define TOPO_NAME_LEN		32	/* "mem0", "region0", "dax0.0" */
#define TOPO_MAX_MEMDEVS	16	/* memdevs interleaved into one node */

/* How a node's memory is onlined. */
enum topo_movable {
	TOPO_MOVABLE_UNKNOWN = -1,	/* /proc/zoneinfo unreadable */
	TOPO_MOVABLE_NONE = 0,		/* no ZONE_MOVABLE memory */
	TOPO_MOVABLE_SOME = 1,		/* part of it in ZONE_MOVABLE */
	TOPO_MOVABLE_ALL = 2,		/* all of it in ZONE_MOVABLE */
};

/**
 * struct topo_node - one NUMA node with memory
 * @node: node id
 * @has_cpus: the node has CPUs
 * @size: memory size in bytes (libnuma)
 * @free: free memory in bytes (libnuma)
 * @movable: enum topo_movable, from /proc/zoneinfo present pages
 * @cxl: CXL memory backs the node (a CXL region's dax device is onlined
 *	into it)
 * @nr_memdevs: entries in @memdevs
 * @memdevs: CXL memdevs of that region ("mem0")
 * @region: the CXL region ("region0"), "" when not CXL
 * @dax: dax device onlined into the node ("dax0.0"), "" when none
 */
struct topo_node {
	int node;
	int has_cpus;
	uint64_t size;
	uint64_t free;
	int movable;
	int cxl;
	int nr_memdevs;
	char memdevs[TOPO_MAX_MEMDEVS][TOPO_NAME_LEN];
	char region[TOPO_NAME_LEN];
	char dax[TOPO_NAME_LEN];
};

struct topo;

/* Receives one complete warning line (no newline). */
typedef void (*topo_log_fn)(void *arg, const char *msg);

/* A new, empty topology; @log NULL: warnings go to stderr.  NULL on ENOMEM. */
struct topo *topo_new(topo_log_fn log, void *arg);
void topo_free(struct topo *t);

/*
 * Discover again.  0, -ENOSYS when the kernel has no NUMA, or -errno.
 * No CXL (or no libcxl support in the kernel) is not an error: nodes
 * simply have cxl = 0.  Warn-once state survives a refresh.
 */
int topo_refresh(struct topo *t);

unsigned int topo_nr_nodes(const struct topo *t);
/* The i-th node, by ascending id; NULL past the end. */
const struct topo_node *topo_node_at(const struct topo *t, unsigned int i);
/* The node with id @node, or NULL. */
const struct topo_node *topo_find_node(const struct topo *t, int node);

/*
 * Warn (once per node over the life of @t) about every CPU-less node whose
 * memory is onlined movable: long-term pins refuse ZONE_MOVABLE, so the
 * node cannot hold accelerator buffers.  The warning names the fix.
 * Returns the number of such nodes now, warned before or not.
 */
int topo_warn_movable(struct topo *t);

/*
 * Present and ZONE_MOVABLE present pages of @node in the text of
 * /proc/zoneinfo.  0, or -ENOENT when the node is not in @text.
 */
int topo_parse_zoneinfo(const char *text, int node, uint64_t *present,
			uint64_t *movable);

/* enum topo_movable from present and movable page counts. */
int topo_movable_state(uint64_t present, uint64_t movable);

#endif /* CXLTIER_TOPOLOGY_H */
