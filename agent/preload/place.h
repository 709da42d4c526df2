/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * place: the pure decisions of libcxltier-preload.so, kept apart from
 * the interposer so that unit tests can check them at any size: which
 * tier and node a pinned allocation goes to (from cxltierd's classes),
 * and how a registration is cut into chunks the CUDA runtime accepts.
 */
#ifndef CXLTIER_PRELOAD_PLACE_H
#define CXLTIER_PRELOAD_PLACE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The CUDA runtime's largest registration that works (vLLM#51080). */
#define PRELOAD_MAX_REGISTER_DEFAULT	(64ULL << 30)

/* Most memory nodes the shim considers. */
#define PRELOAD_MAX_NODES		64

/**
 * struct preload_node - a memory node as the shim sees it
 * @node: NUMA node id
 * @far: 1 for far memory (cxltier tier > 0, or no CPUs), 0 for DRAM
 * @free_bytes: free memory now
 */
struct preload_node {
	unsigned int node;
	int far;
	uint64_t free_bytes;
};

/**
 * struct preload_place - where one allocation class goes
 * @class_idx: index in the config's classes
 * @far: place on far memory (the class's dram_share is 0) rather than DRAM
 * @nr_nodes: candidate nodes in @nodes, in the order tried
 * @nodes: the tier's nodes
 */
struct preload_place {
	unsigned int class_idx;
	int far;
	unsigned int nr_nodes;
	unsigned int nodes[PRELOAD_MAX_NODES];
};

/*
 * Number of registrations of at most @limit bytes (a multiple of the page
 * size, > 0) that cover @length bytes; 0 for @length 0.
 */
size_t preload_nr_chunks(uint64_t length, uint64_t limit);

/* Length of chunk @i of that cut: @limit, except for the last chunk. */
uint64_t preload_chunk_len(uint64_t length, uint64_t limit, size_t i);

/*
 * The class of an allocation and its tier's nodes.  @force: a class name
 * that overrides matching (NULL: match @label and @process as cxltierd
 * does).  @nodes: the online memory nodes (@nr of them).  Returns 0, or
 * -ENOENT (no class @force) / -ENODEV (the tier has no node), with the
 * reason in @why.
 */
int preload_decide(const struct config *cfg, const char *force,
		   const char *label, const char *process,
		   const struct preload_node *nodes, unsigned int nr,
		   struct preload_place *out, char *why, size_t whylen);

/*
 * The first node of @p with room for @bytes (free memory at least @bytes
 * plus @reserve), as listed in @nodes; -ENOSPC when none has.
 */
int preload_pick_node(const struct preload_place *p,
		      const struct preload_node *nodes, unsigned int nr,
		      uint64_t bytes, uint64_t reserve);

/*
 * Parse a size as the config does ("64G", "1MiB") into *@out; -EINVAL
 * unless it is a multiple of @align and > 0.
 */
int preload_parse_size(const char *s, uint64_t align, uint64_t *out);

#endif /* CXLTIER_PRELOAD_PLACE_H */
