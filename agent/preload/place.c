// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * place: see place.h.  No I/O here: the interposer gathers the nodes and
 * the config and applies the answers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"
#include "units.h"

size_t preload_nr_chunks(uint64_t length, uint64_t limit)
{
	if (!limit)
		return 0;
	return length / limit + (length % limit != 0);
}

uint64_t preload_chunk_len(uint64_t length, uint64_t limit, size_t i)
{
	uint64_t off = (uint64_t)i * limit;

	if (off >= length)
		return 0;
	return length - off < limit ? length - off : limit;
}

/* Is @n one of the tier's nodes: listed in the config, or auto and of that kind? */
static int in_tier(const struct config_nodes *set, const struct preload_node *n,
		   int far)
{
	if (set->is_auto)
		return n->far == far;
	return config_nodes_test(set, n->node);
}

int preload_decide(const struct config *cfg, const char *force,
		   const char *label, const char *process,
		   const struct preload_node *nodes, unsigned int nr,
		   struct preload_place *out, char *why, size_t whylen)
{
	const struct config_nodes *set;
	unsigned int i, c = CONFIG_CLASS_DEFAULT;

	memset(out, 0, sizeof(*out));
	if (force && *force) {
		for (c = 0; c < cfg->nr_classes; c++)
			if (!strcmp(cfg->classes[c].name, force))
				break;
		if (c == cfg->nr_classes) {
			snprintf(why, whylen, "no class \"%s\" in the configuration", force);
			return -ENOENT;
		}
	} else {
		c = config_match_class(cfg, label, process);
	}
	out->class_idx = c;
	/* A class that may hold no DRAM lives on far memory from the start. */
	out->far = cfg->classes[c].dram_share_bp == 0;
	set = out->far ? &cfg->far : &cfg->dram;
	for (i = 0; i < nr && out->nr_nodes < PRELOAD_MAX_NODES; i++)
		if (in_tier(set, &nodes[i], out->far))
			out->nodes[out->nr_nodes++] = nodes[i].node;
	if (!out->nr_nodes) {
		snprintf(why, whylen, "class \"%s\": no %s node online",
			 cfg->classes[c].name, out->far ? "far-memory" : "DRAM");
		return -ENODEV;
	}
	return 0;
}

int preload_pick_node(const struct preload_place *p,
		      const struct preload_node *nodes, unsigned int nr,
		      uint64_t bytes, uint64_t reserve)
{
	unsigned int i, j;

	for (i = 0; i < p->nr_nodes; i++)
		for (j = 0; j < nr; j++)
			if (nodes[j].node == p->nodes[i] &&
			    nodes[j].free_bytes >= reserve &&
			    nodes[j].free_bytes - reserve >= bytes)
				return (int)nodes[j].node;
	return -ENOSPC;
}

int preload_parse_size(const char *s, uint64_t align, uint64_t *out)
{
	uint64_t v;

	if (!s || units_parse_size(s, &v) || !v || (align && v % align))
		return -EINVAL;
	*out = v;
	return 0;
}
