// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pool_advice: POOL_REGISTER from a pool, and an ADVICE carried out on
 * it with the pool's move engine.  See pool_advice.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "pool_advice.h"

int pool_advice_register_map(const struct cxltier_pool *pool,
			     const unsigned int *mtier,
			     struct proto_pool_msg *m,
			     struct pool_wire_map *map)
{
	uint32_t released = atomic_load(&((struct cxltier_pool *)pool)->released);
	struct pool_wire_map mp;
	uint32_t base = 0;
	unsigned int t, k;

	memset(m, 0, sizeof(*m));
	memset(&mp, 0, sizeof(mp));
	m->type = PROTO_POOL_REGISTER;
	m->pool = pool->id;
	m->block_size = pool->block_size;
	m->nr_blocks = pool->table.nr_blocks;
	for (t = 0; t < pool->nr_tiers; t++) {
		const struct pool_slab *s = &pool->slabs[t];

		if (released & (1U << t)) {
			mp.slot_base[t] = POOL_WIRE_NONE;
			continue;
		}
		if (!s->tracked)
			return -EINVAL;
		k = m->count++;
		m->slab[k].range = s->track_id;
		m->slab[k].node = s->node;
		m->slab[k].slots = s->slots;
		m->slab[k].mtier = mtier[t];
		mp.tier[k] = t;
		mp.slot_base[t] = base;
		base += s->slots;
	}
	mp.nr_tiers = m->count;
	if (!m->count)
		return -EINVAL;
	if (map)
		*map = mp;
	return 0;
}

int pool_advice_register_msg(const struct cxltier_pool *pool,
			     const unsigned int *mtier,
			     struct proto_pool_msg *m)
{
	return pool_advice_register_map(pool, mtier, m, NULL);
}

uint32_t pool_wire_slot(const struct cxltier_pool *pool,
			const struct pool_wire_map *map, uint32_t slot)
{
	unsigned int t = pt_slot_tier(&pool->table, slot);

	if (map->slot_base[t] == POOL_WIRE_NONE)
		return POOL_WIRE_NONE;
	return map->slot_base[t] + (slot - pool->table.tier_base[t]);
}

void pool_advice_reply(const struct proto_pool_msg *advice,
		       const struct cxltier_block_move *mv,
		       struct proto_pool_msg *reply)
{
	uint32_t i;
	int c;

	memset(reply, 0, offsetof(struct proto_pool_msg, res));
	reply->type = PROTO_ADVICE_REPLY;
	reply->reply_to = advice->seq;
	reply->pool = advice->pool;
	reply->count = advice->count;
	for (i = 0; i < advice->count; i++) {
		struct proto_pool_result *r = &reply->res[i];

		r->block = advice->advice[i].block;
		r->result = mv[i].result;
		r->moved = !mv[i].result && mv[i].moved;
		c = proto_pool_count_of(r->result, r->moved);
		if (c < 0) {
			r->result = -EIO;
			r->moved = 0;
			c = PROTO_POOL_FAILED;
		}
		reply->counts[c]++;
	}
}

/* A refused batch: a status and no results. */
static void refuse(const struct proto_pool_msg *advice, int status,
		   struct proto_pool_msg *reply)
{
	memset(reply, 0, offsetof(struct proto_pool_msg, res));
	reply->type = PROTO_ADVICE_REPLY;
	reply->reply_to = advice->seq;
	reply->pool = advice->pool;
	reply->status = status;
}

int pool_advice_apply(struct cxltier_pool *pool,
		      const struct proto_pool_msg *advice,
		      struct proto_pool_msg *reply, const char **why)
{
	struct proto_pool_info pi = {
		.pool = pool->id,
		.nr_blocks = pool->table.nr_blocks,
		.nr_tiers = pool->nr_tiers,
	};
	struct cxltier_block_move *mv;
	uint32_t i;
	int ret;

	ret = proto_pool_check_advice(&pi, advice, why);
	if (ret) {
		refuse(advice, ret, reply);
		return 0;
	}
	mv = calloc(advice->count, sizeof(*mv));
	if (!mv)
		return -ENOMEM;
	for (i = 0; i < advice->count; i++) {
		mv[i].block = advice->advice[i].block;
		mv[i].tier = advice->advice[i].tier;
	}
	ret = cxltier_pool_move(pool, mv, advice->count);
	if (ret < 0)
		refuse(advice, ret, reply);
	else
		pool_advice_reply(advice, mv, reply);
	free(mv);
	return 0;
}
