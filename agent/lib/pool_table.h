/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pool_table: the pure logic of a libcxltier block pool, with no memory,
 * module or adapter behind it, so that host unit tests cover all of it:
 *
 *   - the slot allocator: slots numbered 0..nr_slots-1, tier by tier,
 *     one free stack per tier;
 *   - the block table: block index -> (generation, slot, state) in one
 *     64-bit word, published with atomic stores, so a reader never sees
 *     half an update;
 *   - the bracket: a reader count per slot (get = increment while the
 *     slot is in use, re-check the block's word; put = decrement) and a
 *     writer count per block;
 *   - the move's state machine: begin (claim MOVING, no writer, a free
 *     target slot), publish (switch the word), release of the old slot
 *     (freed now if no bracket holds it, else when its last bracket is
 *     put), abort;
 *   - each tier's state: open, closed (no allocation lands on it, no
 *     move targets it: the pool empties it) or retired (its slots are
 *     gone for good: the pool gave its slab back).
 *
 * Ordering.  get increments slot refs then re-reads the block's word; a
 * move stores the new word then drops the old slot's base reference.
 * Both are sequentially consistent, so either the reader sees the new
 * word (and lets go of the old slot) or the release sees the reader and
 * leaves the free to its put.  Base and brackets share one word, so
 * exactly one operation takes it to 0 and frees the slot.  The same pair
 * (writers / MOVING) keeps a writer and a move apart.
 *
 * Locks.  t->lock protects the free stacks, the free block list, each
 * slot's @state and each tier's state; it is never held while waiting.
 * A tier's state is read only where a free slot is taken (alloc, move
 * begin), which holds the lock already: the bracket stays lock-free.  Everything else
 * is atomic and lock-free.
 */
#ifndef CXLTIER_POOL_TABLE_H
#define CXLTIER_POOL_TABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define PT_MAX_TIERS	4
/* Slot numbers fit the word's 30 bits. */
#define PT_MAX_SLOTS	(1U << 30)
/* Block indexes are the handle's low 32 bits; keep one value spare. */
#define PT_MAX_BLOCKS	(1U << 30)

/* Block word: generation (63..32), slot (31..2), MOVING (1), ALLOC (0). */
#define PT_W_ALLOC	1ULL
#define PT_W_MOVING	2ULL
#define PT_W_GEN(w)	((uint32_t)((w) >> 32))
#define PT_W_SLOT(w)	((uint32_t)(((w) >> 2) & (PT_MAX_SLOTS - 1)))
#define PT_W_MAKE(gen, slot, flags) \
	(((uint64_t)(gen) << 32) | ((uint64_t)(slot) << 2) | (flags))

/* Handle: generation (63..32), block index (31..0). */
#define PT_H_GEN(h)	((uint32_t)((h) >> 32))
#define PT_H_INDEX(h)	((uint32_t)(h))
#define PT_H_MAKE(gen, index) (((uint64_t)(gen) << 32) | (uint32_t)(index))

/* Slot states (under t->lock). */
enum pt_slot_state {
	PT_SLOT_FREE,		/* on its tier's free stack */
	PT_SLOT_USED,		/* holds a block, or is a move's target */
	PT_SLOT_DRAINING,	/* let go of, waits for its last bracket */
	PT_SLOT_GONE,		/* of a retired tier: no memory behind it */
};

/* Tier states (under t->lock). */
enum pt_tier_state {
	PT_TIER_OPEN,		/* allocations and moves land on it */
	PT_TIER_CLOSED,		/* none do; blocks there stay until moved */
	PT_TIER_RETIRED,	/* empty and gone for good */
};

/*
 * A slot's refs word: PT_REF_BASE while the slot is in use (it holds a
 * block or is a move's target), plus one per bracket.  Release drops
 * the base, put drops a bracket; whoever takes the word to 0 frees the
 * slot.  One word, so the free is decided by one atomic operation and a
 * put delayed across the slot's reuse cannot free its next life.
 */
#define PT_REF_BASE	(1U << 31)

/**
 * struct pt_slot - one slot
 * @refs: PT_REF_BASE while in use, plus brackets held (atomic; a get
 *	takes a bracket only while the base is there, so a free slot
 *	stays at 0)
 * @state: enum pt_slot_state, under t->lock
 */
struct pt_slot {
	_Atomic uint32_t refs;
	uint8_t state;
};

/**
 * struct pt_block - one block of the table
 * @word: PT_W_* (atomic; changed only by alloc, free, move begin,
 *	publish and abort, each with a compare-and-swap or under the
 *	protocol that only the MOVING owner stores)
 * @writers: writers' brackets held (atomic; stays with the block index
 *	across free, so a late put balances its own get)
 * @next_free: next free block index, under t->lock
 * @hint: the last CXLTIER_HINT_* given for it (atomic; 0 none)
 */
struct pt_block {
	_Atomic uint64_t word;
	_Atomic uint32_t writers;
	uint32_t next_free;
	_Atomic uint32_t hint;
};

/**
 * struct pt_stats - the table's counters (each atomic, relaxed)
 */
struct pt_stats {
	_Atomic uint64_t moves;
	_Atomic uint64_t skipped_busy;
	_Atomic uint64_t skipped_stale;
	_Atomic uint64_t skipped_same;
	_Atomic uint64_t refused_full;
	_Atomic uint64_t failed;
	_Atomic uint64_t hints_will_read;
	_Atomic uint64_t hints_done;
	_Atomic uint64_t hints_stale;
};

struct pt_table;

/*
 * Called with no lock held when slot @slot is about to be freed: the
 * pool poisons its memory.  May be NULL.
 */
typedef void (*pt_free_fn)(struct pt_table *t, uint32_t slot, void *priv);

/**
 * struct pt_table - a pool's table
 * @lock: see the top of this file
 * @nr_tiers: tiers
 * @nr_blocks: blocks
 * @nr_slots: slots, all tiers
 * @tier_base: first slot of each tier (@tier_base[nr_tiers] = nr_slots)
 * @free_stack: each tier's free slots, under @lock
 * @nr_free: entries of each free stack, under @lock
 * @nr_draining: slots in PT_SLOT_DRAINING, under @lock
 * @draining_on: of those, per tier, under @lock
 * @tier_state: enum pt_tier_state of each tier, under @lock
 * @blocks_on: allocated blocks on each tier (atomic)
 * @nr_allocated: allocated blocks, under @lock
 * @free_head: first free block index (nr_blocks: none), under @lock
 * @slots: the slots
 * @blocks: the blocks
 * @on_free: see pt_free_fn
 * @priv: for @on_free
 * @stats: counters
 */
struct pt_table {
	pthread_mutex_t lock;
	unsigned int nr_tiers;
	uint32_t nr_blocks;
	uint32_t nr_slots;
	uint32_t tier_base[PT_MAX_TIERS + 1];
	uint32_t *free_stack[PT_MAX_TIERS];
	uint32_t nr_free[PT_MAX_TIERS];
	uint32_t nr_draining;
	uint32_t draining_on[PT_MAX_TIERS];
	uint8_t tier_state[PT_MAX_TIERS];
	_Atomic uint32_t blocks_on[PT_MAX_TIERS];
	uint32_t nr_allocated;
	uint32_t free_head;
	struct pt_slot *slots;
	struct pt_block *blocks;
	pt_free_fn on_free;
	void *priv;
	struct pt_stats stats;
};

/*
 * A table of @nr_blocks blocks and @slots[t] slots on each of @nr_tiers
 * tiers, every slot free.  0, -EINVAL (counts out of range), -ENOMEM.
 */
int pt_init(struct pt_table *t, uint32_t nr_blocks, unsigned int nr_tiers,
	    const uint32_t *slots, pt_free_fn on_free, void *priv);
void pt_destroy(struct pt_table *t);

/* Tier of slot @slot. */
unsigned int pt_slot_tier(const struct pt_table *t, uint32_t slot);

/*
 * Allocate a block on @tier (-1: the lowest open tier with a free slot).
 * *@handle gets its handle, *@slot its slot.  -ENOSPC (no free slot, or
 * @tier is closed), -ENODEV (@tier is retired), -EINVAL.
 */
int pt_alloc(struct pt_table *t, int tier, uint64_t *handle, uint32_t *slot);

/*
 * Free @handle.  Waits (yielding) while a move of it runs.  Its slot is
 * freed now, or when its last bracket is put.  -ESTALE.
 */
int pt_free(struct pt_table *t, uint64_t handle);

/*
 * The bracket.  pt_get() resolves @handle to its slot and holds the slot
 * (and, with @write, keeps moves off the block) until pt_put() with the
 * same arguments.  -ESTALE: freed (or a bad handle).
 */
int pt_get(struct pt_table *t, uint64_t handle, bool write, uint32_t *slot);
void pt_put(struct pt_table *t, uint64_t handle, bool write, uint32_t slot);

/* The current slot of @handle, unheld.  -ESTALE. */
int pt_lookup(struct pt_table *t, uint64_t handle, uint32_t *slot);

/*
 * Begin moving @handle to @tier: claim MOVING, check no writer, take a
 * free slot there.  0 with *@from and *@to set (the caller copies from
 * to to, then pt_move_publish() or pt_move_abort()); 1: already on
 * @tier (nothing to do); -ESTALE, -EBUSY (a writer, or another move),
 * -ENOSPC (the tier is full, closed or retired), -EINVAL (no such
 * tier).  Counts the
 * outcome in @stats except success, which publish counts.
 */
int pt_move_begin(struct pt_table *t, uint64_t handle, unsigned int tier,
		  uint32_t *from, uint32_t *to);
/* Switch @handle to slot @to, end MOVING.  The old slot is still held. */
void pt_move_publish(struct pt_table *t, uint64_t handle, uint32_t from,
		     uint32_t to);
/* Give up the move: @to back to the free stack, end MOVING. */
void pt_move_abort(struct pt_table *t, uint64_t handle, uint32_t to);

/* Brackets on @slot now. */
uint32_t pt_slot_refs(const struct pt_table *t, uint32_t slot);

/*
 * Let go of @slot (a freed block's, or a move's old one): freed now if
 * no bracket holds it (returns 1), else when its last bracket is put
 * (returns 0).
 */
int pt_slot_release(struct pt_table *t, uint32_t slot);

/* Record a CXLTIER_HINT_* @kind for @handle.  -ESTALE. */
int pt_hint(struct pt_table *t, uint64_t handle, uint32_t kind);

/*
 * Counts under the lock: free slots and blocks per tier, draining
 * slots, allocated blocks.
 */
void pt_counts(struct pt_table *t, uint32_t *slots_free, uint32_t *blocks_on,
	       uint32_t *draining, uint32_t *allocated);

/*
 * Close @tier for a drain: no allocation lands on it, no move targets it
 * from now on; blocks on it stay until moved.  Refused with -ENOSPC,
 * the tier left open, if the other open tiers have fewer free slots
 * than @tier has blocks; -EINVAL: no such tier, retired, or no other
 * tier open; -EALREADY: closed already.
 */
int pt_tier_close(struct pt_table *t, unsigned int tier);
/* Open a closed @tier again.  -EINVAL: not closed (or retired). */
int pt_tier_open(struct pt_table *t, unsigned int tier);
/*
 * Retire closed @tier for good: every slot of it must be free (no block,
 * no move's target, no slot draining), else -EBUSY.  Its slots become
 * PT_SLOT_GONE and never come back.  -EINVAL: not closed.
 */
int pt_tier_retire(struct pt_table *t, unsigned int tier);
/* Under the lock: @tier's state, and its draining slots if @draining. */
enum pt_tier_state pt_tier_get(struct pt_table *t, unsigned int tier,
			       uint32_t *draining);

/*
 * Check the table's accounting (for tests): every slot is free, used by
 * exactly one allocated block or move, or draining; the free stacks and
 * block list agree with the states.  0, or -EUCLEAN with a reason.
 */
int pt_check(struct pt_table *t, char *why, size_t len);

#endif /* CXLTIER_POOL_TABLE_H */
