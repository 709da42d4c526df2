/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcxltier block pools, private side: a pool's slabs (pool_slab.c:
 * placement, pinning, tracking), its table (pool_table.c) and its move
 * workers (pool.c).  See libcxltier.h for the public contract.
 *
 * Locks.  The table has its own (pool_table.h).  pool->wlock protects the
 * work queue and each queued batch's @done; the workers sleep on
 * pool->wcond, pool_move() callers on pool->dcond.  Everything else of a
 * pool is set at creation and read-only until destruction, except the
 * atomic counters.  ctx->lock protects ctx->pools and each pool's @next.
 *
 * Release.  pool->rlock serializes cxltier_pool_release() calls.  A slab
 * is destroyed only once the table retired its tier (no block, no slot
 * in use there), after @released has its bit, set under ctx->lock, so
 * that the connection (which reads the slabs under ctx->lock) never
 * registers a slab that is going; nothing else reads a retired slab.
 */
#ifndef CXLTIER_LIB_POOL_H
#define CXLTIER_LIB_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "adapter.h"
#include "libcxltier.h"
#include "pool_table.h"
#include "proto.h"
#include "proto_pool.h"

#define POOL_BLOCK_DEFAULT	(2ULL << 20)
#define POOL_MAX_THREADS	16
#define POOL_MOVE_WAIT_MS	100U
/* Most moves in one cxltier_pool_move() call. */
#define POOL_MAX_BATCH		(1U << 20)
/* cudaHostRegister of 512 GiB or more fails: register in pieces. */
#define POOL_CUDA_PIECE		(64ULL << 30)
/*
 * Poison: POOL_POISON_BYTES at the start of every POOL_POISON_STRIDE of
 * a freed slot (and of the slot's last stride), so that any stale read
 * of a whole block, or of any 64 KiB of it, shows; cheaper than a full
 * fill, which would cost as much as the copy.
 */
#define POOL_POISON_BYTES	64
#define POOL_POISON_STRIDE	(64ULL << 10)
#define POOL_POISON		0xdb

struct cxltier;

/**
 * struct pool_slab - one tier's memory (read-only after creation)
 * @base: first slot
 * @len: bytes
 * @slots: slots
 * @node: NUMA node it is bound to
 * @adapter: who pins it (NULL: mlock)
 * @pin: the adapter's view
 * @pinned: @pin is attached (or mlock succeeded)
 * @track_id: the module's range id
 * @tracked: @track_id is valid
 * @chunk_size: heat unit of the tracked range
 */
struct pool_slab {
	uint8_t *base;
	uint64_t len;
	uint32_t slots;
	int node;
	const struct lib_adapter *adapter;
	struct lib_pin pin;
	bool pinned;
	uint32_t track_id;
	bool tracked;
	uint64_t chunk_size;
};

/**
 * struct pool_batch - moves queued for the workers
 * @moves: the caller's array
 * @n: entries
 * @next: next entry to take (atomic)
 * @done: entries finished, under pool->wlock
 * @moved: entries copied (atomic)
 * @next_batch: queue link, under pool->wlock
 */
struct pool_batch {
	struct cxltier_block_move *moves;
	size_t n;
	_Atomic size_t next;
	size_t done;
	_Atomic int moved;
	struct pool_batch *next_batch;
};

/* The agent's slot number of a slab it was not told of. */
#define POOL_WIRE_NONE	UINT32_MAX

/**
 * struct pool_wire_map - the agent's numbering of a pool's slabs
 * @nr_tiers: slabs the agent was told of (POOL_REGISTER's entries)
 * @tier: for each of those, the pool tier: the agent's tier i is the
 *	pool's tier @tier[i]
 * @slot_base: for each pool tier, the agent's number of its first slot,
 *	or POOL_WIRE_NONE (a released slab the agent was not told of)
 *
 * POOL_REGISTER lists the live slabs only, fastest first, and numbers
 * their slots tier by tier from 0: after a release, the next
 * registration (a new connection) renumbers what follows the released
 * slab.  A connection keeps the numbering it registered with.
 */
struct pool_wire_map {
	unsigned int nr_tiers;
	unsigned int tier[PT_MAX_TIERS];
	uint32_t slot_base[PT_MAX_TIERS];
};

/**
 * struct cxltier_pool - a pool
 * @ctx: its context
 * @next: next pool of the context, under ctx->lock
 * @id: id on the context
 * @flags: CXLTIER_POOL_*
 * @label: as tracked
 * @block_size: bytes per block
 * @nr_tiers: slabs
 * @slabs: one per tier
 * @table: blocks and slots
 * @move_wait_ms: see cxltier_pool_desc
 * @rlock: see the top of this file
 * @released: bit t: slab t was given back (atomic; set under ctx->lock)
 * @wlock: see the top of this file
 * @wcond: work queued, or stop
 * @dcond: a batch finished
 * @queue: batches with entries left to take, under @wlock
 * @stop: workers must exit, under @wlock
 * @threads: the helper threads (copy_threads - 1)
 * @nr_threads: started helpers
 * @bytes_moved: atomic
 * @copy_ns: atomic
 * @move_cpu_ns: atomic
 * @changes: blocks allocated, freed or moved so far (atomic): the
 *	service thread tells the agent the block map when it changed
 * @hlock: protects the hints not yet told to the agent
 * @hint_block: per block index, the hinted handle not yet told, or 0
 * @hint_kind: per block index, its CXLTIER_HINT_* (the last one wins)
 * @hint_lead: per block index, its lead in ms
 * @hint_list: block indexes with a hint not yet told, in hint order
 * @hint_nr: entries of @hint_list (atomic, read without @hlock)
 * @hints_sent: hints told to the agent (atomic)
 * @hint_batches_refused: POOL_HINTS the agent refused (atomic)
 *
 * The agent's view (conn.c), under ctx->lock:
 * @agent_reg_seq: our POOL_REGISTER that awaits its answer, 0 if none
 * @agent_registered: the agent took POOL_REGISTER on this connection
 * @agent_refused: the agent refused it: tell it nothing more until the
 *	next connection
 * @agent_blocks_seq: our POOL_BLOCKS that awaits its answer, 0 if none
 * @agent_hints_seq: our POOL_HINTS that awaits its answer, 0 if none
 * @agent_synced: @changes when the agent was last told the whole map
 * @agent_told: per slot, the handle the agent was told is in it
 * @agent_busy: the advice thread is moving blocks of this pool
 * @agent_map: the slabs and slot numbers the agent was told at
 *	registration (the numbering of this connection)
 */
struct cxltier_pool {
	struct cxltier *ctx;
	struct cxltier_pool *next;
	uint32_t id;
	unsigned int flags;
	char label[PROTO_LABEL_LEN];
	uint64_t block_size;
	unsigned int nr_tiers;
	struct pool_slab slabs[PT_MAX_TIERS];
	struct pt_table table;
	unsigned int move_wait_ms;
	pthread_mutex_t rlock;
	_Atomic uint32_t released;

	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	pthread_cond_t dcond;
	struct pool_batch *queue;
	bool stop;
	pthread_t threads[POOL_MAX_THREADS];
	unsigned int nr_threads;

	_Atomic uint64_t bytes_moved;
	_Atomic uint64_t copy_ns;
	_Atomic uint64_t move_cpu_ns;
	_Atomic uint64_t changes;

	pthread_mutex_t hlock;
	uint64_t *hint_block;
	uint8_t *hint_kind;
	uint32_t *hint_lead;
	uint32_t *hint_list;
	_Atomic uint32_t hint_nr;
	_Atomic uint64_t hints_sent;
	_Atomic uint64_t hint_batches_refused;

	uint32_t agent_reg_seq;
	bool agent_registered;
	bool agent_refused;
	uint32_t agent_blocks_seq;
	uint32_t agent_hints_seq;
	uint64_t agent_synced;
	uint64_t *agent_told;
	bool agent_busy;
	struct pool_wire_map agent_map;
};

/* Address of slot @slot. */
static inline uint8_t *pool_slot_addr(const struct cxltier_pool *p,
				      uint32_t slot)
{
	unsigned int t = pt_slot_tier(&p->table, slot);

	return p->slabs[t].base +
	       (uint64_t)(slot - p->table.tier_base[t]) * p->block_size;
}

/*
 * Up to @max hints not yet told to the agent, oldest first, into @out
 * (taken off the queue).  Returns how many.
 */
uint32_t pool_take_hints(struct cxltier_pool *p, struct proto_pool_hint *out,
			 uint32_t max);

/* pool_slab.c */

/*
 * Nodes of @nr_tiers slabs: @given ones checked against the module's
 * node table, or chosen from its tiers (slab t: tier t, the last slab:
 * the slowest tier).  @pin_longterm: skip nodes that cannot hold
 * long-term pins (all ZONE_MOVABLE).  0, -ENODEV with @why.
 */
int pool_pick_nodes(struct cxltier *ctx, unsigned int nr_tiers,
		    const int *given, bool pin_longterm, int *nodes,
		    uint64_t *free_bytes, char *why, size_t len);
/*
 * Map, bind, populate, pin and track slab @s (node, slots, len set).
 * 0 or -errno with @why.
 */
int pool_slab_create(struct cxltier_pool *p, struct pool_slab *s,
		     const char *adapter_arg, unsigned int sources,
		     uint64_t free_bytes, char *why, size_t len);
/* Undo pool_slab_create(), whatever part of it was done. */
void pool_slab_destroy(struct cxltier_pool *p, struct pool_slab *s);

#endif /* CXLTIER_LIB_POOL_H */
