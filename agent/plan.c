// SPDX-License-Identifier: GPL-2.0
/*
 * plan: see plan.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/**
 * struct plan_ctx - what the policy remembers between decisions
 * @decisions: decisions made so far
 */
struct plan_ctx {
	uint64_t decisions;
};

int plan_new(struct plan_ctx **pp)
{
	*pp = calloc(1, sizeof(**pp));
	return *pp ? 0 : -ENOMEM;
}

void plan_free(struct plan_ctx *p)
{
	free(p);
}

void plan_reset(struct plan_ctx *p)
{
	memset(p, 0, sizeof(*p));
}

int plan_node_tier(const struct plan_nodes *nodes, int node)
{
	uint32_t i;

	for (i = 0; nodes && i < nodes->nr; i++)
		if ((int)nodes->info[i].node == node)
			return (int)nodes->info[i].tier;
	return -1;
}

enum met_dir plan_direction(const struct plan_nodes *nodes, int from, int to)
{
	int tf = plan_node_tier(nodes, from), tt = plan_node_tier(nodes, to);

	if (tf < 0 || tt < 0 || tf == tt)
		return MET_LATERAL;
	return tt < tf ? MET_PROMOTE : MET_DEMOTE;
}

int plan_build(struct plan_ctx *p, const struct config *cfg,
	       const struct plan_nodes *nodes,
	       const struct obs_snapshot *snap, uint64_t now_ms,
	       struct exec_move **moves, size_t *n)
{
	p->decisions++;
	*moves = NULL;
	*n = 0;
	return 0;
}
