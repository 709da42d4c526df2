// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pool_table: slot allocator, block table, bracket and move states of a
 * block pool.  Pure logic (no memory behind the slots); pool_table.h
 * says what orders what.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool_table.h"

static uint32_t next_gen(uint32_t gen)
{
	return gen == UINT32_MAX ? 1 : gen + 1;
}

int pt_init(struct pt_table *t, uint32_t nr_blocks, unsigned int nr_tiers,
	    const uint32_t *slots, pt_free_fn on_free, void *priv)
{
	uint64_t total = 0;
	unsigned int i;
	uint32_t s;

	memset(t, 0, sizeof(*t));
	if (!nr_blocks || nr_blocks > PT_MAX_BLOCKS || !nr_tiers ||
	    nr_tiers > PT_MAX_TIERS)
		return -EINVAL;
	for (i = 0; i < nr_tiers; i++) {
		t->tier_base[i] = (uint32_t)total;
		total += slots[i];
		if (total > PT_MAX_SLOTS)
			return -EINVAL;
	}
	if (!total)
		return -EINVAL;
	t->tier_base[nr_tiers] = (uint32_t)total;
	t->nr_tiers = nr_tiers;
	t->nr_blocks = nr_blocks;
	t->nr_slots = (uint32_t)total;
	t->on_free = on_free;
	t->priv = priv;
	t->slots = calloc(total, sizeof(*t->slots));
	t->blocks = calloc(nr_blocks, sizeof(*t->blocks));
	if (!t->slots || !t->blocks)
		goto nomem;
	for (i = 0; i < nr_tiers; i++) {
		t->free_stack[i] = calloc(slots[i] ? slots[i] : 1,
					  sizeof(uint32_t));
		if (!t->free_stack[i])
			goto nomem;
		/* Lowest slot on top, so allocation fills a slab in order. */
		for (s = 0; s < slots[i]; s++)
			t->free_stack[i][s] = t->tier_base[i + 1] - 1 - s;
		t->nr_free[i] = slots[i];
	}
	for (s = 0; s < nr_blocks; s++) {
		atomic_init(&t->blocks[s].word, PT_W_MAKE(1, 0, 0));
		t->blocks[s].next_free = s + 1;
	}
	t->free_head = 0;
	pthread_mutex_init(&t->lock, NULL);
	return 0;

nomem:
	for (i = 0; i < nr_tiers; i++)
		free(t->free_stack[i]);
	free(t->slots);
	free(t->blocks);
	memset(t, 0, sizeof(*t));
	return -ENOMEM;
}

void pt_destroy(struct pt_table *t)
{
	unsigned int i;

	if (!t->slots)
		return;
	for (i = 0; i < t->nr_tiers; i++)
		free(t->free_stack[i]);
	free(t->slots);
	free(t->blocks);
	pthread_mutex_destroy(&t->lock);
	memset(t, 0, sizeof(*t));
}

unsigned int pt_slot_tier(const struct pt_table *t, uint32_t slot)
{
	unsigned int i;

	for (i = 1; i < t->nr_tiers; i++)
		if (slot < t->tier_base[i])
			return i - 1;
	return t->nr_tiers - 1;
}

/* Push @slot on its tier's free stack; t->lock held. */
static void push_free_locked(struct pt_table *t, uint32_t slot)
{
	unsigned int tier = pt_slot_tier(t, slot);

	t->slots[slot].state = PT_SLOT_FREE;
	t->free_stack[tier][t->nr_free[tier]++] = slot;
}

static void free_slot(struct pt_table *t, uint32_t slot)
{
	if (t->on_free)
		t->on_free(t, slot, t->priv);
	pthread_mutex_lock(&t->lock);
	t->nr_draining--;
	t->draining_on[pt_slot_tier(t, slot)]--;
	push_free_locked(t, slot);
	pthread_mutex_unlock(&t->lock);
}

int pt_slot_release(struct pt_table *t, uint32_t slot)
{
	struct pt_slot *s = &t->slots[slot];

	pthread_mutex_lock(&t->lock);
	s->state = PT_SLOT_DRAINING;
	t->nr_draining++;
	t->draining_on[pt_slot_tier(t, slot)]++;
	pthread_mutex_unlock(&t->lock);
	if (atomic_fetch_sub(&s->refs, PT_REF_BASE) == PT_REF_BASE) {
		free_slot(t, slot);
		return 1;
	}
	return 0;
}

/* Drop one bracket of @slot; the last one frees a released slot. */
static void slot_unref(struct pt_table *t, uint32_t slot)
{
	if (atomic_fetch_sub(&t->slots[slot].refs, 1) == 1)
		free_slot(t, slot);
}

/* Take a bracket on @slot if it is in use; false if it was let go of. */
static bool slot_ref(struct pt_table *t, uint32_t slot)
{
	_Atomic uint32_t *refs = &t->slots[slot].refs;
	uint32_t r = atomic_load(refs);

	do {
		if (!(r & PT_REF_BASE))
			return false;
	} while (!atomic_compare_exchange_weak(refs, &r, r + 1));
	return true;
}

/* Mark a slot just taken off a free stack as in use. */
static void slot_take(struct pt_table *t, uint32_t slot)
{
	t->slots[slot].state = PT_SLOT_USED;
	/* A free slot's word is 0 and no get can raise it: see slot_ref(). */
	atomic_store(&t->slots[slot].refs, PT_REF_BASE);
}

uint32_t pt_slot_refs(const struct pt_table *t, uint32_t slot)
{
	return atomic_load(&((struct pt_table *)t)->slots[slot].refs) &
	       ~PT_REF_BASE;
}

/* The block of @handle if the handle's index is in range, else NULL. */
static struct pt_block *block_of(struct pt_table *t, uint64_t handle)
{
	uint32_t idx = PT_H_INDEX(handle);

	if (idx >= t->nr_blocks || !PT_H_GEN(handle))
		return NULL;
	return &t->blocks[idx];
}

static bool word_is(uint64_t w, uint64_t handle)
{
	return (w & PT_W_ALLOC) && PT_W_GEN(w) == PT_H_GEN(handle);
}

int pt_alloc(struct pt_table *t, int tier, uint64_t *handle, uint32_t *slot)
{
	struct pt_block *b;
	unsigned int tr;
	uint32_t idx, s, gen;

	if (tier >= (int)t->nr_tiers || tier < -1)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	/* A released tier says so, whether or not a block is left. */
	if (tier >= 0 && t->tier_state[tier] == PT_TIER_RETIRED) {
		pthread_mutex_unlock(&t->lock);
		return -ENODEV;
	}
	if (t->free_head >= t->nr_blocks)
		goto nospc;
	if (tier >= 0) {
		tr = (unsigned int)tier;
		if (!t->nr_free[tr] || t->tier_state[tr] != PT_TIER_OPEN)
			goto nospc;
	} else {
		for (tr = 0; tr < t->nr_tiers &&
			     (!t->nr_free[tr] || t->tier_state[tr] != PT_TIER_OPEN);
		     tr++)
			;
		if (tr == t->nr_tiers)
			goto nospc;
	}
	s = t->free_stack[tr][--t->nr_free[tr]];
	slot_take(t, s);
	idx = t->free_head;
	b = &t->blocks[idx];
	t->free_head = b->next_free;
	t->nr_allocated++;
	pthread_mutex_unlock(&t->lock);

	gen = PT_W_GEN(atomic_load(&b->word));
	atomic_store(&b->hint, 0);
	atomic_fetch_add(&t->blocks_on[tr], 1);
	atomic_store(&b->word, PT_W_MAKE(gen, s, PT_W_ALLOC));
	*handle = PT_H_MAKE(gen, idx);
	*slot = s;
	return 0;

nospc:
	pthread_mutex_unlock(&t->lock);
	return -ENOSPC;
}

int pt_free(struct pt_table *t, uint64_t handle)
{
	struct pt_block *b = block_of(t, handle);
	uint64_t w;
	uint32_t slot;

	if (!b)
		return -ESTALE;
	for (;;) {
		w = atomic_load(&b->word);
		if (!word_is(w, handle))
			return -ESTALE;
		if (w & PT_W_MOVING) {
			/* One block's copy: wait it out. */
			sched_yield();
			continue;
		}
		if (atomic_compare_exchange_weak(
			    &b->word, &w, PT_W_MAKE(next_gen(PT_W_GEN(w)), 0, 0)))
			break;
	}
	slot = PT_W_SLOT(w);
	atomic_fetch_sub(&t->blocks_on[pt_slot_tier(t, slot)], 1);
	pt_slot_release(t, slot);
	pthread_mutex_lock(&t->lock);
	b->next_free = t->free_head;
	t->free_head = PT_H_INDEX(handle);
	t->nr_allocated--;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int pt_get(struct pt_table *t, uint64_t handle, bool write, uint32_t *slotp)
{
	struct pt_block *b = block_of(t, handle);
	uint64_t w, w2;
	uint32_t s;

	if (!b)
		return -ESTALE;
	if (write)
		atomic_fetch_add(&b->writers, 1);
	for (;;) {
		w = atomic_load(&b->word);
		if (!word_is(w, handle))
			goto stale;
		if (write && (w & PT_W_MOVING)) {
			/* Let the move see no writer, wait for its end. */
			atomic_fetch_sub(&b->writers, 1);
			while ((w = atomic_load(&b->word)) & PT_W_MOVING &&
			       word_is(w, handle))
				sched_yield();
			atomic_fetch_add(&b->writers, 1);
			continue;
		}
		s = PT_W_SLOT(w);
		if (!slot_ref(t, s))
			continue;	/* let go of: the word has moved on */
		w2 = atomic_load(&b->word);
		if ((w2 & ~PT_W_MOVING) == (w & ~PT_W_MOVING)) {
			*slotp = s;
			return 0;
		}
		/* Moved or freed meanwhile: this slot is not ours. */
		slot_unref(t, s);
	}
stale:
	if (write)
		atomic_fetch_sub(&b->writers, 1);
	return -ESTALE;
}

void pt_put(struct pt_table *t, uint64_t handle, bool write, uint32_t slot)
{
	struct pt_block *b = block_of(t, handle);

	if (!b || slot >= t->nr_slots)
		return;
	slot_unref(t, slot);
	if (write)
		atomic_fetch_sub(&b->writers, 1);
}

int pt_lookup(struct pt_table *t, uint64_t handle, uint32_t *slot)
{
	struct pt_block *b = block_of(t, handle);
	uint64_t w;

	if (!b)
		return -ESTALE;
	w = atomic_load(&b->word);
	if (!word_is(w, handle))
		return -ESTALE;
	*slot = PT_W_SLOT(w);
	return 0;
}

int pt_move_begin(struct pt_table *t, uint64_t handle, unsigned int tier,
		  uint32_t *from, uint32_t *to)
{
	struct pt_block *b = block_of(t, handle);
	uint64_t w;

	if (tier >= t->nr_tiers)
		return -EINVAL;
	if (!b)
		goto stale;
	for (;;) {
		w = atomic_load(&b->word);
		if (!word_is(w, handle))
			goto stale;
		if (w & PT_W_MOVING)
			goto busy;
		if (pt_slot_tier(t, PT_W_SLOT(w)) == tier) {
			atomic_fetch_add_explicit(&t->stats.skipped_same, 1,
						  memory_order_relaxed);
			return 1;
		}
		if (atomic_compare_exchange_weak(&b->word, &w, w | PT_W_MOVING))
			break;
	}
	/* After MOVING is visible: a writer that came first is seen here. */
	if (atomic_load(&b->writers)) {
		atomic_fetch_and(&b->word, ~PT_W_MOVING);
		goto busy;
	}
	pthread_mutex_lock(&t->lock);
	if (!t->nr_free[tier] || t->tier_state[tier] != PT_TIER_OPEN) {
		pthread_mutex_unlock(&t->lock);
		atomic_fetch_and(&b->word, ~PT_W_MOVING);
		atomic_fetch_add_explicit(&t->stats.refused_full, 1,
					  memory_order_relaxed);
		return -ENOSPC;
	}
	*to = t->free_stack[tier][--t->nr_free[tier]];
	slot_take(t, *to);
	pthread_mutex_unlock(&t->lock);
	*from = PT_W_SLOT(w);
	return 0;

stale:
	atomic_fetch_add_explicit(&t->stats.skipped_stale, 1,
				  memory_order_relaxed);
	return -ESTALE;
busy:
	atomic_fetch_add_explicit(&t->stats.skipped_busy, 1,
				  memory_order_relaxed);
	return -EBUSY;
}

void pt_move_publish(struct pt_table *t, uint64_t handle, uint32_t from,
		     uint32_t to)
{
	struct pt_block *b = block_of(t, handle);

	/* Only the MOVING owner stores while MOVING is set. */
	atomic_store(&b->word, PT_W_MAKE(PT_H_GEN(handle), to, PT_W_ALLOC));
	atomic_fetch_sub(&t->blocks_on[pt_slot_tier(t, from)], 1);
	atomic_fetch_add(&t->blocks_on[pt_slot_tier(t, to)], 1);
	atomic_fetch_add_explicit(&t->stats.moves, 1, memory_order_relaxed);
}

void pt_move_abort(struct pt_table *t, uint64_t handle, uint32_t to)
{
	struct pt_block *b = block_of(t, handle);

	atomic_fetch_and(&b->word, ~PT_W_MOVING);
	/* No word ever named @to, but a stale get may hold it for a moment. */
	pt_slot_release(t, to);
	atomic_fetch_add_explicit(&t->stats.failed, 1, memory_order_relaxed);
}

int pt_hint(struct pt_table *t, uint64_t handle, uint32_t kind)
{
	struct pt_block *b = block_of(t, handle);

	if (!b || !word_is(atomic_load(&b->word), handle)) {
		atomic_fetch_add_explicit(&t->stats.hints_stale, 1,
					  memory_order_relaxed);
		return -ESTALE;
	}
	atomic_store_explicit(&b->hint, kind, memory_order_relaxed);
	return 0;
}

void pt_counts(struct pt_table *t, uint32_t *slots_free, uint32_t *blocks_on,
	       uint32_t *draining, uint32_t *allocated)
{
	unsigned int i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->nr_tiers; i++) {
		if (slots_free)
			slots_free[i] = t->nr_free[i];
		if (blocks_on)
			blocks_on[i] = atomic_load(&t->blocks_on[i]);
	}
	if (draining)
		*draining = t->nr_draining;
	if (allocated)
		*allocated = t->nr_allocated;
	pthread_mutex_unlock(&t->lock);
}

int pt_tier_close(struct pt_table *t, unsigned int tier)
{
	uint32_t room = 0;
	unsigned int i, open = 0;
	int ret = 0;

	if (tier >= t->nr_tiers)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->nr_tiers; i++)
		if (i != tier && t->tier_state[i] == PT_TIER_OPEN) {
			open++;
			room += t->nr_free[i];
		}
	if (t->tier_state[tier] == PT_TIER_CLOSED)
		ret = -EALREADY;
	else if (t->tier_state[tier] != PT_TIER_OPEN || !open)
		ret = -EINVAL;
	else if (room < atomic_load(&t->blocks_on[tier]))
		ret = -ENOSPC;
	else
		t->tier_state[tier] = PT_TIER_CLOSED;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int pt_tier_open(struct pt_table *t, unsigned int tier)
{
	int ret = -EINVAL;

	if (tier >= t->nr_tiers)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	if (t->tier_state[tier] == PT_TIER_CLOSED) {
		t->tier_state[tier] = PT_TIER_OPEN;
		ret = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int pt_tier_retire(struct pt_table *t, unsigned int tier)
{
	uint32_t s;
	int ret = 0;

	if (tier >= t->nr_tiers)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	if (t->tier_state[tier] != PT_TIER_CLOSED)
		ret = -EINVAL;
	else if (t->nr_free[tier] != t->tier_base[tier + 1] - t->tier_base[tier])
		ret = -EBUSY;	/* a block, a move's target or a draining slot */
	if (!ret) {
		/*
		 * Every slot is on the free stack: refs 0, so no get can take
		 * one (slot_ref() wants the base), and no word names one.
		 */
		for (s = t->tier_base[tier]; s < t->tier_base[tier + 1]; s++)
			t->slots[s].state = PT_SLOT_GONE;
		t->nr_free[tier] = 0;
		t->tier_state[tier] = PT_TIER_RETIRED;
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

enum pt_tier_state pt_tier_get(struct pt_table *t, unsigned int tier,
			       uint32_t *draining)
{
	enum pt_tier_state st;

	pthread_mutex_lock(&t->lock);
	st = (enum pt_tier_state)t->tier_state[tier];
	if (draining)
		*draining = t->draining_on[tier];
	pthread_mutex_unlock(&t->lock);
	return st;
}

int pt_check(struct pt_table *t, char *why, size_t len)
{
	uint8_t *seen = calloc(t->nr_slots, 1);
	uint32_t i, s, n, nr_alloc = 0, nr_drain = 0, on[PT_MAX_TIERS] = { 0 };
	uint32_t drain_on[PT_MAX_TIERS] = { 0 };
	unsigned int tr;
	int ret = -EUCLEAN;
	uint64_t w;

	if (!seen)
		return -ENOMEM;
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->nr_blocks; i++) {
		w = atomic_load(&t->blocks[i].word);
		if (w & PT_W_MOVING) {
			snprintf(why, len, "block %u is moving", i);
			goto out;
		}
		if (!(w & PT_W_ALLOC))
			continue;
		s = PT_W_SLOT(w);
		if (s >= t->nr_slots || seen[s] ||
		    t->slots[s].state != PT_SLOT_USED) {
			snprintf(why, len, "block %u: slot %u is not its own", i, s);
			goto out;
		}
		if (!(atomic_load(&t->slots[s].refs) & PT_REF_BASE)) {
			snprintf(why, len, "block %u: slot %u has no base reference",
				 i, s);
			goto out;
		}
		seen[s] = 1;
		on[pt_slot_tier(t, s)]++;
		nr_alloc++;
	}
	for (tr = 0; tr < t->nr_tiers; tr++) {
		if (on[tr] != atomic_load(&t->blocks_on[tr])) {
			snprintf(why, len, "tier %u: %u blocks, counted %u", tr,
				 on[tr], atomic_load(&t->blocks_on[tr]));
			goto out;
		}
		for (n = 0; n < t->nr_free[tr]; n++) {
			s = t->free_stack[tr][n];
			if (s >= t->nr_slots || seen[s] ||
			    pt_slot_tier(t, s) != tr ||
			    t->slots[s].state != PT_SLOT_FREE ||
			    atomic_load(&t->slots[s].refs)) {
				snprintf(why, len, "tier %u: free slot %u is not free",
					 tr, s);
				goto out;
			}
			seen[s] = 2;
		}
	}
	for (s = 0; s < t->nr_slots; s++) {
		tr = pt_slot_tier(t, s);
		if (t->slots[s].state == PT_SLOT_DRAINING) {
			nr_drain++;
			drain_on[tr]++;
			seen[s] = 3;
		}
		if ((t->slots[s].state == PT_SLOT_GONE) !=
		    (t->tier_state[tr] == PT_TIER_RETIRED)) {
			snprintf(why, len, "slot %u: state %u on a tier in state %u",
				 s, t->slots[s].state, t->tier_state[tr]);
			goto out;
		}
		if (t->slots[s].state == PT_SLOT_GONE) {
			if (seen[s] || atomic_load(&t->slots[s].refs)) {
				snprintf(why, len, "retired slot %u is in use", s);
				goto out;
			}
			seen[s] = 4;
		}
		if (!seen[s]) {
			snprintf(why, len, "slot %u is lost (state %u)", s,
				 t->slots[s].state);
			goto out;
		}
	}
	for (tr = 0; tr < t->nr_tiers; tr++)
		if (drain_on[tr] != t->draining_on[tr]) {
			snprintf(why, len, "tier %u: %u slots draining, counted %u",
				 tr, drain_on[tr], t->draining_on[tr]);
			goto out;
		}
	if (nr_drain != t->nr_draining || nr_alloc != t->nr_allocated) {
		snprintf(why, len, "%u draining (counted %u), %u allocated (counted %u)",
			 nr_drain, t->nr_draining, nr_alloc, t->nr_allocated);
		goto out;
	}
	for (n = 0, i = t->free_head; i < t->nr_blocks && n <= t->nr_blocks;
	     i = t->blocks[i].next_free, n++)
		if (atomic_load(&t->blocks[i].word) & PT_W_ALLOC) {
			snprintf(why, len, "free block %u is allocated", i);
			goto out;
		}
	if (n + nr_alloc != t->nr_blocks) {
		snprintf(why, len, "%u free + %u allocated blocks of %u", n,
			 nr_alloc, t->nr_blocks);
		goto out;
	}
	ret = 0;
out:
	pthread_mutex_unlock(&t->lock);
	free(seen);
	return ret;
}
