// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcxltier block pools: the public calls and the move workers.  The
 * table's logic is pool_table.c, the slabs' memory pool_slab.c; pool.h
 * says which lock covers what.
 *
 * A move, on the calling thread and the pool's helper threads: claim the block and a free slot on the target
 * tier (pt_move_begin), copy, publish the new slot, wait a bounded time
 * for brackets still on the old slot, then let go of it: it is poisoned
 * and freed now, or by the put of its last bracket.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "pool.h"
#include "private.h"

/* A freed slot: poison it (pool.h), so a stale read shows. */
static void poison_slot(struct pt_table *t, uint32_t slot, void *priv)
{
	struct cxltier_pool *p = priv;
	uint8_t *a;
	uint64_t off;

	if (p->flags & CXLTIER_POOL_NO_POISON)
		return;
	a = pool_slot_addr(p, slot);
	for (off = 0; off < p->block_size; off += POOL_POISON_STRIDE)
		memset(a + off, POOL_POISON, POOL_POISON_BYTES);
	memset(a + p->block_size - POOL_POISON_BYTES, POOL_POISON,
	       POOL_POISON_BYTES);
}

/* Wait up to @ms for the brackets on @slot to go. */
static void wait_unheld(struct cxltier_pool *p, uint32_t slot, unsigned int ms)
{
	struct timespec nap = { 0, 20000 };
	uint64_t end = 0;
	unsigned int spins = 0;

	while (pt_slot_refs(&p->table, slot)) {
		if (spins++ < 64) {
			sched_yield();
			continue;
		}
		if (!end)
			end = clock_now_ns() + (uint64_t)ms * 1000000;
		else if (clock_now_ns() >= end)
			return;
		nanosleep(&nap, NULL);
	}
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void move_one(struct cxltier_pool *p, struct cxltier_block_move *m)
{
	uint64_t t0, c0 = thread_cpu_ns();
	uint32_t from, to;
	int ret;

	m->moved = 0;
	ret = pt_move_begin(&p->table, m->block, m->tier, &from, &to);
	if (ret) {
		m->result = ret > 0 ? 0 : ret;
		return;
	}
	t0 = clock_now_ns();
	memcpy(pool_slot_addr(p, to), pool_slot_addr(p, from), p->block_size);
	atomic_fetch_add_explicit(&p->copy_ns, clock_now_ns() - t0,
				  memory_order_relaxed);
	pt_move_publish(&p->table, m->block, from, to);
	atomic_fetch_add_explicit(&p->bytes_moved, p->block_size,
				  memory_order_relaxed);
	wait_unheld(p, from, p->move_wait_ms);
	pt_slot_release(&p->table, from);
	atomic_fetch_add_explicit(&p->move_cpu_ns, thread_cpu_ns() - c0,
				  memory_order_relaxed);
	m->result = 0;
	m->moved = 1;
}

static void *worker_main(void *arg)
{
	struct cxltier_pool *p = arg;
	struct pool_batch *b;
	size_t i;

	pthread_mutex_lock(&p->wlock);
	for (;;) {
		while (!p->queue && !p->stop)
			pthread_cond_wait(&p->wcond, &p->wlock);
		if (!p->queue)
			break;
		b = p->queue;
		i = atomic_fetch_add(&b->next, 1);
		if (i >= b->n) {
			/* Taken to the end: off the queue, others finish it. */
			if (p->queue == b)
				p->queue = b->next_batch;
			continue;
		}
		pthread_mutex_unlock(&p->wlock);
		move_one(p, &b->moves[i]);
		if (b->moves[i].moved)
			atomic_fetch_add(&b->moved, 1);
		pthread_mutex_lock(&p->wlock);
		if (++b->done == b->n)
			pthread_cond_broadcast(&p->dcond);
	}
	pthread_mutex_unlock(&p->wlock);
	return NULL;
}

int cxltier_pool_move(struct cxltier_pool *p, struct cxltier_block_move *moves,
		      size_t n)
{
	struct pool_batch b, **pp;
	size_t i;

	if (!p || (n && !moves) || n > POOL_MAX_BATCH)
		return -EINVAL;
	if (!n)
		return 0;
	memset(&b, 0, sizeof(b));
	b.moves = moves;
	b.n = n;
	atomic_init(&b.next, 0);
	atomic_init(&b.moved, 0);
	pthread_mutex_lock(&p->wlock);
	if (p->nr_threads) {
		for (pp = &p->queue; *pp; pp = &(*pp)->next_batch)
			;
		*pp = &b;
		pthread_cond_broadcast(&p->wcond);
	}
	pthread_mutex_unlock(&p->wlock);
	/* The caller copies too: one copy thread is the caller alone. */
	while ((i = atomic_fetch_add(&b.next, 1)) < n) {
		move_one(p, &moves[i]);
		if (moves[i].moved)
			atomic_fetch_add(&b.moved, 1);
		pthread_mutex_lock(&p->wlock);
		b.done++;
		pthread_mutex_unlock(&p->wlock);
	}
	pthread_mutex_lock(&p->wlock);
	while (b.done < b.n)
		pthread_cond_wait(&p->dcond, &p->wlock);
	/* Still queued if no helper saw it run out. */
	for (pp = &p->queue; *pp; pp = &(*pp)->next_batch)
		if (*pp == &b) {
			*pp = b.next_batch;
			break;
		}
	pthread_mutex_unlock(&p->wlock);
	atomic_fetch_add(&p->changes, 1);
	return atomic_load(&b.moved);
}

/* --- creation ------------------------------------------------------------ */

static int desc_check(const struct cxltier_pool_desc *d, char *why, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned int t, nr_tiers = d->nr_tiers ? d->nr_tiers : 2;
	uint64_t slots;
	size_t i, n;

	if (d->flags & ~(CXLTIER_POOL_NODES | CXLTIER_POOL_NO_POISON)) {
		snprintf(why, len, "unknown flags %#x", d->flags);
		return -EINVAL;
	}
	if (d->block_size && (d->block_size % (size_t)page ||
			      d->block_size > (1ULL << 34))) {
		snprintf(why, len, "block size %zu is not a multiple of %ld (at most 16 GiB)",
			 d->block_size, page);
		return -EINVAL;
	}
	if (!d->nr_blocks || d->nr_blocks > PT_MAX_BLOCKS) {
		snprintf(why, len, "%u blocks: 1 to %u", d->nr_blocks,
			 PT_MAX_BLOCKS);
		return -EINVAL;
	}
	if (nr_tiers > CXLTIER_POOL_MAX_TIERS) {
		snprintf(why, len, "%u tiers: at most %u", nr_tiers,
			 CXLTIER_POOL_MAX_TIERS);
		return -EINVAL;
	}
	for (slots = 0, t = 0; t < nr_tiers; t++)
		slots += d->slots[t] ? d->slots[t] : d->nr_blocks;
	if (slots > PT_MAX_SLOTS) {
		snprintf(why, len, "%llu slots: at most %u",
			 (unsigned long long)slots, PT_MAX_SLOTS);
		return -EINVAL;
	}
	if (d->copy_threads > POOL_MAX_THREADS) {
		snprintf(why, len, "%u copy threads: at most %u",
			 d->copy_threads, POOL_MAX_THREADS);
		return -EINVAL;
	}
	if (d->move_wait_ms > 60000) {
		snprintf(why, len, "move_wait_ms %u: at most 60000",
			 d->move_wait_ms);
		return -EINVAL;
	}
	if (d->sources & ~(CXLTIER_BUF_SRC_CPU | CXLTIER_BUF_SRC_DEVICE)) {
		snprintf(why, len, "unknown sources %#x", d->sources);
		return -EINVAL;
	}
	if (d->label) {
		n = strlen(d->label);
		if (n >= PROTO_LABEL_LEN) {
			snprintf(why, len, "label longer than %d characters",
				 PROTO_LABEL_LEN - 1);
			return -ENAMETOOLONG;
		}
		for (i = 0; i < n; i++)
			if (d->label[i] < 0x20 || d->label[i] > 0x7e) {
				snprintf(why, len, "label has a non-printable character");
				return -EINVAL;
			}
	}
	return 0;
}

static void pool_free(struct cxltier_pool *p)
{
	unsigned int t;

	pthread_mutex_lock(&p->wlock);
	p->stop = true;
	pthread_cond_broadcast(&p->wcond);
	pthread_mutex_unlock(&p->wlock);
	for (t = 0; t < p->nr_threads; t++)
		pthread_join(p->threads[t], NULL);
	/* Reports naming the slabs must reach the module before they go. */
	cxltier_flush(p->ctx);
	/* A released slab is destroyed already: nothing of it is left. */
	for (t = 0; t < p->nr_tiers; t++)
		pool_slab_destroy(p, &p->slabs[t]);
	pt_destroy(&p->table);
	pthread_cond_destroy(&p->dcond);
	pthread_cond_destroy(&p->wcond);
	pthread_mutex_destroy(&p->wlock);
	pthread_mutex_destroy(&p->hlock);
	pthread_mutex_destroy(&p->rlock);
	free(p->hint_block);
	free(p->hint_kind);
	free(p->hint_lead);
	free(p->hint_list);
	free(p);
}

int cxltier_pool_create(struct cxltier *ctx, const struct cxltier_pool_desc *desc,
			struct cxltier_pool **poolp)
{
	uint64_t free_bytes[PT_MAX_TIERS] = { 0 };
	uint32_t slots[PT_MAX_TIERS];
	int nodes[PT_MAX_TIERS];
	const struct lib_adapter *ad;
	struct cxltier_pool_desc d;
	struct cxltier_pool *p;
	char why[256] = "";
	unsigned int t, u;
	int ret;

	if (!ctx || !poolp || !desc ||
	    desc->size < offsetof(struct cxltier_pool_desc, move_wait_ms) ||
	    desc->size > 4096)
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	memcpy(&d, desc, desc->size < sizeof(d) ? desc->size : sizeof(d));
	if (desc->size > sizeof(d)) {
		const char *c = (const char *)desc;
		size_t i;

		for (i = sizeof(d); i < desc->size; i++)
			if (c[i])
				return -E2BIG;
	}
	ret = desc_check(&d, why, sizeof(why));
	if (ret)
		goto err_log;
	ad = lib_adapter_find(d.adapter);
	if (!ad) {
		snprintf(why, sizeof(why), "unknown adapter \"%s\"", d.adapter);
		ret = -EINVAL;
		goto err_log;
	}
	ret = ad->probe(why, sizeof(why));
	if (ret)
		goto err_log;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ctx = ctx;
	p->flags = d.flags;
	if (d.label)
		memcpy(p->label, d.label, strlen(d.label));
	p->block_size = d.block_size ? d.block_size : POOL_BLOCK_DEFAULT;
	p->nr_tiers = d.nr_tiers ? d.nr_tiers : 2;
	p->move_wait_ms = d.move_wait_ms ? d.move_wait_ms : POOL_MOVE_WAIT_MS;
	pthread_mutex_init(&p->wlock, NULL);
	pthread_mutex_init(&p->hlock, NULL);
	pthread_mutex_init(&p->rlock, NULL);
	pthread_cond_init(&p->wcond, NULL);
	pthread_cond_init(&p->dcond, NULL);
	for (t = 0; t < p->nr_tiers; t++)
		slots[t] = d.slots[t] ? d.slots[t] : d.nr_blocks;
	ret = pt_init(&p->table, d.nr_blocks, p->nr_tiers, slots, poison_slot, p);
	if (ret) {
		snprintf(why, sizeof(why), "cannot make the block table: %s",
			 strerror(-ret));
		goto err_free;
	}

	ret = pool_pick_nodes(ctx, p->nr_tiers,
			      d.flags & CXLTIER_POOL_NODES ? d.nodes : NULL,
			      ad->attach != NULL, nodes, free_bytes, why,
			      sizeof(why));
	if (ret)
		goto err_free;
	for (t = 0; t < p->nr_tiers; t++) {
		struct pool_slab *s = &p->slabs[t];
		char swhy[200] = "";

		s->node = nodes[t];
		s->slots = slots[t];
		s->len = (uint64_t)slots[t] * p->block_size;
		s->adapter = ad->attach ? ad : NULL;
		ret = pool_slab_create(p, s, d.adapter_arg,
				       d.sources ? d.sources : CXLTIER_SRC_ALL,
				       free_bytes[t], swhy, sizeof(swhy));
		if (ret) {
			snprintf(why, sizeof(why), "slab %u (node %d, %llu MiB): %s",
				 t, s->node, (unsigned long long)(s->len >> 20),
				 swhy[0] ? swhy : strerror(-ret));
			goto err_free;
		}
		/* Later slabs on the same node find that much less free. */
		for (u = t + 1; u < p->nr_tiers; u++)
			if (nodes[u] == nodes[t])
				free_bytes[u] = free_bytes[u] > s->len ?
							free_bytes[u] - s->len : 0;
	}
	/* Initial poison: a read of a never-written slot shows too. */
	for (t = 0; t < p->table.nr_slots; t++)
		poison_slot(&p->table, t, p);

	/* Helpers: the thread that asks for a move is the first copier. */
	for (t = 0; t + 1 < (d.copy_threads ? d.copy_threads : 1); t++) {
		ret = -pthread_create(&p->threads[t], NULL, worker_main, p);
		if (ret) {
			snprintf(why, sizeof(why), "cannot start a copy thread: %s",
				 strerror(-ret));
			goto err_free;
		}
		p->nr_threads++;
	}

	pthread_mutex_lock(&ctx->lock);
	p->id = ++ctx->last_pool_id;
	p->next = ctx->pools;
	ctx->pools = p;
	pthread_mutex_unlock(&ctx->lock);
	/* The service thread registers it with the agent. */
	lib_wake_service(ctx);
	*poolp = p;
	return 0;

err_free:
	pool_free(p);
err_log:
	lib_log(ctx, LOG_ERR, "cannot create pool%s%s: %s",
		d.label ? " " : "", d.label ? d.label : "",
		why[0] ? why : strerror(-ret));
	return ret;
}

int cxltier_pool_destroy(struct cxltier_pool *p)
{
	struct cxltier *ctx;
	struct cxltier_pool **pp;

	if (!p)
		return -EINVAL;
	ctx = p->ctx;
	pthread_mutex_lock(&ctx->lock);
	for (pp = &ctx->pools; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	/* No advice runs on it any more; the agent forgets it. */
	lib_pool_forget_locked(ctx, p);
	pthread_mutex_unlock(&ctx->lock);
	free(p->agent_told);
	pool_free(p);
	return 0;
}

uint32_t cxltier_pool_id(const struct cxltier_pool *p)
{
	return p->id;
}

/* --- blocks -------------------------------------------------------------- */

int cxltier_block_alloc(struct cxltier_pool *p, int tier, cxltier_block_t *block)
{
	uint32_t slot;

	int ret;

	if (!p || !block)
		return -EINVAL;
	ret = pt_alloc(&p->table, tier, block, &slot);
	if (!ret)
		atomic_fetch_add_explicit(&p->changes, 1, memory_order_relaxed);
	return ret;
}

int cxltier_block_free(struct cxltier_pool *p, cxltier_block_t block)
{
	int ret;

	if (!p)
		return -EINVAL;
	ret = pt_free(&p->table, block);
	if (!ret)
		atomic_fetch_add_explicit(&p->changes, 1, memory_order_relaxed);
	return ret;
}

static void fill_ref(struct cxltier_pool *p, cxltier_block_t block,
		     uint32_t slot, unsigned int flags,
		     struct cxltier_block_ref *ref)
{
	unsigned int t = pt_slot_tier(&p->table, slot);
	const struct pool_slab *s = &p->slabs[t];

	ref->addr = pool_slot_addr(p, slot);
	ref->handle = s->pin.has_handle ? s->pin.handle : 0;
	ref->handle_offset = (uint64_t)((uint8_t *)ref->addr - s->base);
	ref->tier = t;
	ref->node = s->node;
	ref->slot = slot;
	ref->block = block;
	ref->flags = flags;
}

int cxltier_block_get(struct cxltier_pool *p, cxltier_block_t block,
		      unsigned int flags, struct cxltier_block_ref *ref)
{
	uint32_t slot;
	int ret;

	if (!p || !ref || flags & ~CXLTIER_BLOCK_WRITE)
		return -EINVAL;
	ret = pt_get(&p->table, block, flags & CXLTIER_BLOCK_WRITE, &slot);
	if (ret)
		return ret;
	fill_ref(p, block, slot, flags, ref);
	return 0;
}

void cxltier_block_put(struct cxltier_pool *p, const struct cxltier_block_ref *ref)
{
	if (!p || !ref)
		return;
	pt_put(&p->table, ref->block, ref->flags & CXLTIER_BLOCK_WRITE,
	       ref->slot);
}

int cxltier_block_lookup(struct cxltier_pool *p, cxltier_block_t block,
			 struct cxltier_block_ref *ref)
{
	uint32_t slot;
	int ret;

	if (!p || !ref)
		return -EINVAL;
	ret = pt_lookup(&p->table, block, &slot);
	if (ret)
		return ret;
	fill_ref(p, block, slot, 0, ref);
	return 0;
}

_Static_assert(CXLTIER_HINT_WILL_READ == PROTO_HINT_WILL_READ &&
	       CXLTIER_HINT_DONE == PROTO_HINT_DONE,
	       "the library's hint kinds are the protocol's");

/* The hint queue's arrays, on the first hint; @hlock held. */
static int hints_alloc(struct cxltier_pool *p)
{
	size_t n = p->table.nr_blocks;

	if (p->hint_list)
		return 0;
	p->hint_block = calloc(n, sizeof(*p->hint_block));
	p->hint_kind = calloc(n, sizeof(*p->hint_kind));
	p->hint_lead = calloc(n, sizeof(*p->hint_lead));
	p->hint_list = calloc(n, sizeof(*p->hint_list));
	if (p->hint_block && p->hint_kind && p->hint_lead && p->hint_list)
		return 0;
	free(p->hint_block);
	free(p->hint_kind);
	free(p->hint_lead);
	free(p->hint_list);
	p->hint_block = NULL;
	p->hint_kind = NULL;
	p->hint_lead = NULL;
	p->hint_list = NULL;
	return -ENOMEM;
}

int cxltier_pool_hint(struct cxltier_pool *p, unsigned int kind,
		      const cxltier_block_t *blocks, size_t n, uint32_t lead_ms)
{
	struct pt_stats *st;
	size_t i, taken = 0;
	uint32_t idx;
	int ret;

	if (!p || (n && !blocks) ||
	    (kind != CXLTIER_HINT_WILL_READ && kind != CXLTIER_HINT_DONE))
		return -EINVAL;
	if (kind == CXLTIER_HINT_DONE || lead_ms > PROTO_HINT_MAX_LEAD_MS)
		lead_ms = kind == CXLTIER_HINT_DONE ? 0 : PROTO_HINT_MAX_LEAD_MS;
	pthread_mutex_lock(&p->hlock);
	ret = hints_alloc(p);
	if (ret) {
		pthread_mutex_unlock(&p->hlock);
		return ret;
	}
	for (i = 0; i < n; i++) {
		if (pt_hint(&p->table, blocks[i], kind))
			continue;
		taken++;
		/* Queued once per block, in first-hint order; the last kind wins. */
		idx = (uint32_t)blocks[i];
		if (!p->hint_block[idx]) {
			p->hint_list[atomic_load(&p->hint_nr)] = idx;
			atomic_fetch_add(&p->hint_nr, 1);
		}
		p->hint_block[idx] = blocks[i];
		p->hint_kind[idx] = (uint8_t)kind;
		p->hint_lead[idx] = lead_ms;
	}
	pthread_mutex_unlock(&p->hlock);
	st = &p->table.stats;
	atomic_fetch_add_explicit(kind == CXLTIER_HINT_DONE ? &st->hints_done :
							      &st->hints_will_read,
				  taken, memory_order_relaxed);
	/* One wake-up per call, not per block: the service thread sends. */
	if (taken)
		lib_wake_service(p->ctx);
	return 0;
}

uint32_t pool_take_hints(struct cxltier_pool *p, struct proto_pool_hint *out,
			 uint32_t max)
{
	uint32_t nr, k, idx;

	pthread_mutex_lock(&p->hlock);
	nr = atomic_load(&p->hint_nr);
	if (max > nr)
		max = nr;
	for (k = 0; k < max; k++) {
		idx = p->hint_list[k];
		out[k].block = p->hint_block[idx];
		out[k].kind = p->hint_kind[idx];
		out[k].lead_ms = p->hint_lead[idx];
		p->hint_block[idx] = 0;
	}
	memmove(p->hint_list, p->hint_list + max,
		(nr - max) * sizeof(*p->hint_list));
	atomic_store(&p->hint_nr, nr - max);
	pthread_mutex_unlock(&p->hlock);
	return max;
}

int cxltier_pool_report(struct cxltier_pool *p, const cxltier_block_t *blocks,
			size_t n, uint64_t count)
{
	const struct pool_slab *s;
	uint64_t off, first, last;
	uint32_t slot;
	unsigned int t;
	size_t i;
	int ret = 0, r;

	if (!p || (n && !blocks) || !count)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (pt_lookup(&p->table, blocks[i], &slot))
			continue;	/* freed: nothing to heat */
		t = pt_slot_tier(&p->table, slot);
		s = &p->slabs[t];
		off = (uint64_t)(slot - p->table.tier_base[t]) * p->block_size;
		first = off / s->chunk_size;
		last = (off + p->block_size - 1) / s->chunk_size;
		r = lib_report_chunks(p->ctx, s->track_id, first,
				      last - first + 1, count);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

int cxltier_pool_stats(struct cxltier_pool *p, struct cxltier_pool_stats *out)
{
	struct cxltier_pool_stats st;
	const struct pt_stats *ps;
	unsigned int t;
	size_t size;

	if (!p || !out || out->size < sizeof(size_t) || out->size > 4096)
		return -EINVAL;
	size = out->size;
	memset(&st, 0, sizeof(st));
	st.size = size < sizeof(st) ? size : sizeof(st);
	st.nr_tiers = p->nr_tiers;
	st.block_size = p->block_size;
	st.nr_blocks = p->table.nr_blocks;
	pt_counts(&p->table, st.slots_free, st.blocks_on, &st.slots_draining,
		  &st.blocks_allocated);
	for (t = 0; t < p->nr_tiers; t++) {
		st.slots[t] = p->slabs[t].slots;
		st.node[t] = p->slabs[t].node;
	}
	ps = &p->table.stats;
	st.moves = atomic_load(&ps->moves);
	st.bytes_moved = atomic_load(&p->bytes_moved);
	st.skipped_busy = atomic_load(&ps->skipped_busy);
	st.skipped_stale = atomic_load(&ps->skipped_stale);
	st.skipped_same = atomic_load(&ps->skipped_same);
	st.refused_full = atomic_load(&ps->refused_full);
	st.failed = atomic_load(&ps->failed);
	st.copy_ns = atomic_load(&p->copy_ns);
	st.hints_will_read = atomic_load(&ps->hints_will_read);
	st.hints_done = atomic_load(&ps->hints_done);
	st.hints_stale = atomic_load(&ps->hints_stale);
	st.move_cpu_ns = atomic_load(&p->move_cpu_ns);
	st.hints_sent = atomic_load(&p->hints_sent);
	st.hint_batches_refused = atomic_load(&p->hint_batches_refused);
	for (t = 0; t < p->nr_tiers; t++)
		if (pt_tier_get(&p->table, t, NULL) == PT_TIER_CLOSED)
			st.tiers_closed |= 1U << t;
	st.tiers_released = atomic_load(&p->released);
	if (size > sizeof(st)) {
		memset((char *)out + sizeof(st), 0, size - sizeof(st));
		size = sizeof(st);
	}
	memcpy(out, &st, size);
	return 0;
}

/* --- release of a slab ------------------------------------------------- */

/* Longest a release waits when cxltier_pool_release() is given 0. */
#define POOL_RELEASE_DEFAULT_MS	10000U
/* Entries of one pass's move batch. */
#define POOL_RELEASE_BATCH	4096U

/*
 * Where a block of @tier goes: the nearest slower open tier with room
 * (@room, taken from as blocks are placed), else the nearest faster
 * one; @nr if none.
 */
static unsigned int release_target(const struct cxltier_pool *p,
				   unsigned int tier, uint32_t *room,
				   const bool *open)
{
	unsigned int t;

	for (t = tier + 1; t < p->nr_tiers; t++)
		if (open[t] && room[t])
			goto take;
	for (t = tier; t-- > 0;)
		if (open[t] && room[t])
			goto take;
	return p->nr_tiers;
take:
	room[t]--;
	return t;
}

/*
 * One pass: move what is on @tier now.  Adds the outcomes to @c (busy
 * and noroom: of this pass alone).  Returns the blocks still on the tier
 * by this pass's count (busy + noroom + those beyond the batch).
 */
static uint32_t release_pass(struct cxltier_pool *p, unsigned int tier,
			     struct cxltier_block_move *mv,
			     struct cxltier_pool_release_counts *c)
{
	uint32_t room[PT_MAX_TIERS], i, n = 0, left = 0;
	bool open[PT_MAX_TIERS];
	unsigned int t, to;
	uint64_t w;

	c->busy = 0;
	c->noroom = 0;
	pt_counts(&p->table, room, NULL, NULL, NULL);
	for (t = 0; t < p->nr_tiers; t++)
		open[t] = t != tier &&
			  pt_tier_get(&p->table, t, NULL) == PT_TIER_OPEN;
	for (i = 0; i < p->table.nr_blocks; i++) {
		w = atomic_load(&p->table.blocks[i].word);
		if (!(w & PT_W_ALLOC) ||
		    pt_slot_tier(&p->table, PT_W_SLOT(w)) != tier)
			continue;
		if (n == POOL_RELEASE_BATCH) {
			left++;
			continue;
		}
		to = release_target(p, tier, room, open);
		if (to == p->nr_tiers) {
			c->noroom++;
			continue;
		}
		mv[n].block = PT_H_MAKE(PT_W_GEN(w), i);
		mv[n].tier = to;
		n++;
	}
	if (n && cxltier_pool_move(p, mv, n) < 0)
		c->failed += n;
	for (i = 0; i < n; i++) {
		if (!mv[i].result)
			c->moved += mv[i].moved;
		else if (mv[i].result == -ESTALE)
			c->stale++;
		else if (mv[i].result == -EBUSY)
			c->busy++;
		else if (mv[i].result == -ENOSPC)
			c->noroom++;
		else
			c->failed++;
	}
	return c->busy + c->noroom + left;
}

static void nap_ms(unsigned int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

int cxltier_pool_release(struct cxltier_pool *p, unsigned int tier,
			 unsigned int timeout_ms,
			 struct cxltier_pool_release_counts *counts)
{
	struct cxltier_pool_release_counts c;
	struct cxltier_block_move *mv = NULL;
	uint32_t on[PT_MAX_TIERS], free_[PT_MAX_TIERS], left, moved, draining = 0;
	char why[200] = "";
	uint64_t end;
	int ret;

	memset(&c, 0, sizeof(c));
	if (counts)
		memset(counts, 0, sizeof(*counts));
	if (!p)
		return -EINVAL;
	if (tier >= p->nr_tiers) {
		snprintf(why, sizeof(why), "no tier %u (the pool has %u)", tier,
			 p->nr_tiers);
		ret = -EINVAL;
		goto out_log;
	}
	if (pthread_mutex_trylock(&p->rlock)) {
		snprintf(why, sizeof(why), "another release of the pool runs");
		ret = -EALREADY;
		goto out_log;
	}
	end = clock_now_ns() +
	      (uint64_t)(timeout_ms ? timeout_ms : POOL_RELEASE_DEFAULT_MS) *
		      1000000ULL;
	ret = pt_tier_close(&p->table, tier);
	if (ret) {
		pt_counts(&p->table, free_, on, NULL, NULL);
		if (ret == -ENOSPC) {
			c.noroom = on[tier];
			snprintf(why, sizeof(why),
				 "%u blocks on it, too few free slots on the other tiers",
				 on[tier]);
		} else if (pt_tier_get(&p->table, tier, NULL) == PT_TIER_RETIRED) {
			snprintf(why, sizeof(why), "released already");
		} else {
			snprintf(why, sizeof(why), "the pool's last open tier");
		}
		goto out_unlock;
	}
	mv = calloc(POOL_RELEASE_BATCH, sizeof(*mv));
	if (!mv) {
		ret = -ENOMEM;
		goto out_reopen;
	}
	for (;;) {
		moved = c.moved;
		left = release_pass(p, tier, mv, &c);
		if (c.failed) {
			snprintf(why, sizeof(why), "%u block copies failed", c.failed);
			ret = -EIO;
			goto out_reopen;
		}
		/* A move begun before the close may still land here. */
		if (!left && !atomic_load(&p->table.blocks_on[tier])) {
			ret = pt_tier_retire(&p->table, tier);
			if (!ret)
				break;
			pt_tier_get(&p->table, tier, &draining);
		}
		if (clock_now_ns() >= end) {
			if (c.noroom) {
				snprintf(why, sizeof(why),
					 "%u blocks found no free slot elsewhere",
					 c.noroom);
				ret = -ENOSPC;
			} else if (left) {
				snprintf(why, sizeof(why),
					 "%u blocks still held by a writer", left);
				ret = -EBUSY;
			} else {
				snprintf(why, sizeof(why),
					 "%u old slots still held by a bracket",
					 draining);
				ret = -EBUSY;
			}
			goto out_reopen;
		}
		/* Progress: the next pass at once; else give writers time. */
		if (c.moved == moved)
			nap_ms(left ? 5 : 1);
	}
	free(mv);
	mv = NULL;

	/*
	 * Retired: no block, no bracket, no slot of the slab is in use, and
	 * none can be again.  Tell the connection first (under its lock),
	 * send the module what heat names the slab, then let it go.
	 */
	pthread_mutex_lock(&p->ctx->lock);
	atomic_fetch_or(&p->released, 1U << tier);
	pthread_mutex_unlock(&p->ctx->lock);
	cxltier_flush(p->ctx);
	pool_slab_destroy(p, &p->slabs[tier]);
	atomic_fetch_add(&p->changes, 1);
	pthread_mutex_unlock(&p->rlock);
	lib_log(p->ctx, LOG_INFO,
		"pool %u%s%s: released tier %u (node %d): %u blocks moved",
		p->id, p->label[0] ? " " : "", p->label, tier,
		p->slabs[tier].node, c.moved);
	if (counts)
		*counts = c;
	lib_wake_service(p->ctx);
	return 0;

out_reopen:
	pt_tier_open(&p->table, tier);
	if (c.moved)
		atomic_fetch_add(&p->changes, 1);
out_unlock:
	pthread_mutex_unlock(&p->rlock);
	free(mv);
out_log:
	if (counts)
		*counts = c;
	lib_log(p->ctx, LOG_WARNING,
		"cannot release tier %u of pool %u%s%s: %s", tier, p->id,
		p->label[0] ? " " : "", p->label, why[0] ? why : strerror(-ret));
	return ret;
}
