/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pool_advice: the library's side of the pool frames: what it tells the
 * agent about a pool (POOL_REGISTER) and what it does with an ADVICE
 * (checks it against the pool, runs the pool's move engine, the one
 * cxltier_pool_move() runs, and answers per block).
 */
#ifndef CXLTIER_POOL_ADVICE_H
#define CXLTIER_POOL_ADVICE_H

#include "libcxltier.h"
#include "proto_pool.h"

struct cxltier_pool;
struct pool_wire_map;

/* Fill @m with the POOL_REGISTER of @pool.  0, or -EINVAL if a slab is
 * not tracked by the module (the agent could read no heat of it). */
int pool_advice_register_msg(const struct cxltier_pool *pool,
			     const unsigned int *mtier,
			     struct proto_pool_msg *m);
/*
 * The same, and in @map (may be NULL) the numbering it gives: released
 * slabs are left out, the live ones listed fastest first, their slots
 * numbered tier by tier from 0 (see struct pool_wire_map).  @mtier is
 * indexed by pool tier.
 */
int pool_advice_register_map(const struct cxltier_pool *pool,
			     const unsigned int *mtier,
			     struct proto_pool_msg *m,
			     struct pool_wire_map *map);
/* The agent's number of pool slot @slot under @map, or POOL_WIRE_NONE. */
uint32_t pool_wire_slot(const struct cxltier_pool *pool,
			const struct pool_wire_map *map, uint32_t slot);

/*
 * Build in @reply the ADVICE_REPLY to @advice whose blocks had the
 * results @mv (one per entry, in order).  Pure; every result outside the
 * protocol's set is reported as failed (-EIO), never passed on.
 */
void pool_advice_reply(const struct proto_pool_msg *advice,
		       const struct cxltier_block_move *mv,
		       struct proto_pool_msg *reply);

/*
 * Carry out @advice on @pool and build @reply: a whole batch that names
 * another pool, a block or a tier the pool does not have is refused
 * (reply status -EINVAL, nothing moved); else each block is moved as
 * cxltier_pool_move() moves it.  Blocks on the calling thread (a worker,
 * never the connection's service thread).  0, or -ENOMEM (no reply).
 */
int pool_advice_apply(struct cxltier_pool *pool,
		      const struct proto_pool_msg *advice,
		      struct proto_pool_msg *reply, const char **why);

#endif /* CXLTIER_POOL_ADVICE_H */
