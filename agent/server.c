// SPDX-License-Identifier: GPL-2.0
/*
 * server: cxltierd's end of the agent protocol.  See server.h and
 * Documentation/userspace-api/agent-protocol.rst.
 *
 * A client goes away in one place, client_kill(): its buffers are
 * forgotten at once (no new handshake can start on them), its queued
 * MOVE requests lose their requester, and its struct and socket are
 * freed by sweep() at the end of the current server_process() or
 * server_handshake(), so that no caller is left holding a freed client.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "clock.h"
#include "log.h"
#include "peer_access.h"
#include "pool_heat.h"
#include "proto.h"
#include "proto_pool.h"
#include "ratelimit.h"
#include "server.h"

/* Frames read from one client per server_process(), for fairness. */
#define SRV_FRAMES_PER_ROUND	16
/*
 * Connections accepted (or refused) per turn, and the listen backlog: a
 * flood of connections must not fill the backlog, or root's connect()
 * fails with EAGAIN until the loop comes round again.
 */
#define SRV_ACCEPTS_PER_ROUND	256
#define SRV_BACKLOG		SOMAXCONN
/* Buffers remembered in back-off. */
#define SRV_BACKOFF_SLOTS	64

/**
 * struct srv_client - one connection
 * @next: next client
 * @fd: the connected socket (non-blocking)
 * @peer: protocol state
 * @pid: SO_PEERCRED pid
 * @uid: SO_PEERCRED uid
 * @hello_deadline_ms: HELLO must arrive by then; 0 once it did
 * @nr_buffers: buffers it registered
 * @nr_moves: its MOVE requests queued
 * @nr_pools: block pools it registered
 * @nr_slabs: their slabs (each counts as a buffer in its uid's account)
 * @dead: client_kill() ran; freed by sweep()
 */
struct srv_client {
	struct srv_client *next;
	int fd;
	struct proto_peer peer;
	pid_t pid;
	uid_t uid;
	uint64_t hello_deadline_ms;
	unsigned int nr_buffers;
	unsigned int nr_moves;
	unsigned int nr_pools;
	unsigned int nr_slabs;
	bool dead;
};

/**
 * struct srv_backoff - a buffer left alone for a while
 * @id: range id, 0 for a free slot
 * @until_ms: end of the back-off
 */
struct srv_backoff {
	uint32_t id;
	uint64_t until_ms;
};

/**
 * struct server - the listening socket and its clients
 * @o: settings
 * @path: the socket's path, unlinked at close
 * @kdev: the module, to check registrations against
 * @lfd: the listening socket
 * @clients: connections, newest first
 * @nr_clients: live connections
 * @buffers: registered buffers
 * @nr_buffers: entries in @buffers
 * @moves: queued MOVE requests, oldest first
 * @moves_tail: where the next one goes
 * @cur_move: the request the main loop is executing, or NULL
 * @hs_buffer: the buffer in a handshake, or NULL
 * @backoff: buffers left alone for a while
 * @limits: per-uid accounts (peer_limits.c)
 * @rl_refuse: rate limit of the refused connections' log lines
 * @rl_client: rate limit of what non-root clients make the agent log
 * @stats: refusals and drops, for the metrics
 * @pools: registered block pools
 * @nr_pools: entries in @pools
 * @rx_pool: the pool frame being read
 * @pool_serial: the last pool's serial (struct srv_pool)
 */
struct server {
	struct srv_options o;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const struct kdev *kdev;
	int lfd;
	struct srv_client *clients;
	unsigned int nr_clients;
	struct srv_buffer *buffers;
	unsigned int nr_buffers;
	struct srv_move *moves;
	struct srv_move **moves_tail;
	struct srv_move *cur_move;
	struct srv_buffer *hs_buffer;
	struct srv_backoff backoff[SRV_BACKOFF_SLOTS];
	struct peer_limits limits;
	struct ratelimit rl_refuse;
	struct ratelimit rl_client;
	struct srv_stats stats;
	struct srv_pool *pools;
	unsigned int nr_pools;
	/* Pools let go of, freed by sweep(): a caller may still hold one. */
	struct srv_pool *dead_pools;
	struct proto_pool_msg rx_pool;
	uint64_t pool_serial;
};

/* A line a non-root client can make the agent log at will: rate-limited. */
#define client_log(s, c, prio, ...)					\
	do {								\
		if ((c)->uid == 0)					\
			log_msg(prio, __VA_ARGS__);			\
		else							\
			ratelimit_log(&(s)->rl_client, prio, __VA_ARGS__); \
	} while (0)

static const char *const drop_names[SRV_NR_DROPS] = {
	[SRV_DROP_HELLO]	= "no_hello",
	[SRV_DROP_TIMEOUT]	= "timeout",
	[SRV_DROP_SLOW]		= "slow_reader",
	[SRV_DROP_BAD_FRAME]	= "bad_frame",
};

const char *server_drop_name(enum srv_drop d)
{
	return (unsigned int)d < SRV_NR_DROPS ? drop_names[d] : "?";
}

/* --- buffers and back-off ------------------------------------------------ */

struct srv_buffer *server_buffer(struct server *s, uint32_t id)
{
	struct srv_buffer *b;

	for (b = s->buffers; b; b = b->next)
		if (b->id == id)
			return b;
	return NULL;
}

static void buffer_free(struct server *s, struct srv_buffer *b)
{
	struct srv_buffer **pp;

	for (pp = &s->buffers; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	b->client->nr_buffers--;
	peer_limits_buffer_put(&s->limits, b->client->uid);
	s->nr_buffers--;
	if (s->hs_buffer == b)
		s->hs_buffer = NULL;
	free(b);
}

static void backoff_add(struct server *s, uint32_t id)
{
	struct srv_backoff *slot = &s->backoff[0];
	size_t i;

	for (i = 0; i < SRV_BACKOFF_SLOTS; i++) {
		if (s->backoff[i].id == id) {
			slot = &s->backoff[i];
			break;
		}
		if (s->backoff[i].until_ms < slot->until_ms)
			slot = &s->backoff[i];
	}
	slot->id = id;
	slot->until_ms = clock_now_ms() + SRV_BACKOFF_MS;
}

bool server_backoff(struct server *s, uint32_t id)
{
	uint64_t now = clock_now_ms();
	size_t i;

	for (i = 0; i < SRV_BACKOFF_SLOTS; i++)
		if (s->backoff[i].id == id && s->backoff[i].until_ms > now)
			return true;
	return false;
}

unsigned int server_nr_clients(const struct server *s)
{
	return s->nr_clients;
}

unsigned int server_nr_buffers(const struct server *s)
{
	return s->nr_buffers;
}

const struct srv_stats *server_stats(const struct server *s)
{
	return &s->stats;
}

/* --- block pools ---------------------------------------------------------- */

/* @p and its per-block and per-slot arrays. */
static void pool_free_arrays(struct srv_pool *p)
{
	free(p->slot);
	free(p->where);
	free(p->moved_ms);
	free(p->hint);
	free(p->heat);
	free(p->heat_of);
	free(p->carried);
	free(p->stale);
	free(p->entered_ms);
	free(p->slot_heat);
	free(p->hint_demoted);
	pool_heat_free(p->block_heat);
	free(p);
}

static void pool_free(struct server *s, struct srv_pool *p)
{
	struct srv_pool **pp;
	unsigned int t;

	for (pp = &s->pools; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	s->nr_pools--;
	p->client->nr_pools--;
	p->client->nr_slabs -= p->nr_tiers;
	for (t = 0; t < p->nr_tiers; t++)
		peer_limits_buffer_put(&s->limits, p->client->uid);
	/*
	 * Freed at the next sweep(), not now: a send that fails while the
	 * daemon walks server_pools() drops the client and its pools, and
	 * the walk goes on from this one.
	 */
	p->dead = true;
	p->dead_next = s->dead_pools;
	s->dead_pools = p;
}

/* Forget every pool of @c. */
static void pools_drop(struct server *s, struct srv_client *c)
{
	struct srv_pool *p, *next;

	for (p = s->pools; p; p = next) {
		next = p->next;
		if (p->client == c)
			pool_free(s, p);
	}
}

static struct srv_pool *pool_find(struct server *s, const struct srv_client *c,
				  uint32_t id)
{
	struct srv_pool *p;

	for (p = s->pools; p; p = p->next)
		if (p->client == c && p->id == id)
			return p;
	return NULL;
}

struct srv_pool *server_pools(struct server *s)
{
	return s->pools;
}

pid_t server_pool_pid(const struct srv_pool *p)
{
	return p->client->pid;
}

unsigned int server_nr_pools(const struct server *s)
{
	return s->nr_pools;
}

bool server_pool_slab(struct server *s, uint32_t id)
{
	struct srv_pool *p;
	unsigned int t;

	for (p = s->pools; p; p = p->next)
		for (t = 0; t < p->nr_tiers; t++)
			if (p->slab[t].range == id && !(p->released & (1U << t)))
				return true;
	return false;
}

struct srv_pool *server_pool_by_serial(struct server *s, uint64_t serial)
{
	struct srv_pool *p;

	for (p = s->pools; p; p = p->next)
		if (p->serial == serial && !p->dead)
			return p;
	return NULL;
}

uint32_t server_pool_used(const struct srv_pool *p, unsigned int t)
{
	uint32_t slot, n = 0;

	if (t >= p->nr_tiers)
		return 0;
	for (slot = p->tier_base[t]; slot < p->tier_base[t + 1]; slot++)
		n += p->slot[slot] != PROTO_POOL_SLOT_FREE;
	return n;
}

unsigned int server_pool_open_tiers(const struct srv_pool *p)
{
	unsigned int t, n = 0;

	for (t = 0; t < p->nr_tiers; t++)
		n += !(p->released & (1U << t));
	return n;
}

static void client_kill(struct server *s, struct srv_client *c,
			const char *why, bool slow);
static int find_range(struct server *s, uint32_t id,
		      struct cxltier_range_info *info);
static bool may_act(const struct srv_client *c,
		    const struct cxltier_range_info *r);

/*
 * POOL_REGISTER: every slab must be a range of the module owned by the
 * peer (or the peer is root), exactly slots x block_size long, neither a
 * registered buffer nor another pool's slab; each slab counts as a
 * buffer against the uid's limit.
 */
static int do_pool_register(struct server *s, struct srv_client *c,
			    const struct proto_pool_msg *m)
{
	struct cxltier_range_info r;
	struct srv_pool *p;
	uint64_t slots = 0;
	unsigned int t, got = 0;
	int ret;

	if (pool_find(s, c, m->pool))
		return -EEXIST;
	if (c->nr_pools >= SRV_MAX_POOLS)
		return -ENOSPC;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (t = 0; t < m->count; t++) {
		const struct proto_pool_slab *sl = &m->slab[t];

		ret = find_range(s, sl->range, &r);
		if (ret)
			goto err;
		ret = -EPERM;
		if (!may_act(c, &r))
			goto err;
		ret = -EINVAL;
		if (r.length != (uint64_t)sl->slots * m->block_size ||
		    !r.chunk_size)
			goto err;
		ret = -EEXIST;
		if (server_buffer(s, sl->range) || server_pool_slab(s, sl->range))
			goto err;
		p->slab[t] = *sl;
		p->chunk_size[t] = r.chunk_size;
		p->tier_base[t] = (uint32_t)slots;
		slots += sl->slots;
	}
	p->tier_base[m->count] = (uint32_t)slots;
	ret = -EINVAL;
	if (m->nr_blocks > slots)
		goto err;
	for (got = 0; got < m->count; got++)
		if (peer_limits_buffer_get(&s->limits, c->uid)) {
			s->stats.buffers_refused++;
			ret = -ENOSPC;
			goto err;
		}
	ret = -ENOMEM;
	p->slot = calloc(slots, sizeof(*p->slot));
	p->where = calloc(m->nr_blocks, sizeof(*p->where));
	p->moved_ms = calloc(m->nr_blocks, sizeof(*p->moved_ms));
	p->hint = calloc(m->nr_blocks, sizeof(*p->hint));
	p->heat = calloc(m->nr_blocks, sizeof(*p->heat));
	p->heat_of = calloc(m->nr_blocks, sizeof(*p->heat_of));
	p->carried = calloc(m->nr_blocks, sizeof(*p->carried));
	p->stale = calloc(m->nr_blocks, sizeof(*p->stale));
	p->entered_ms = calloc(m->nr_blocks, sizeof(*p->entered_ms));
	p->slot_heat = calloc(slots, sizeof(*p->slot_heat));
	p->hint_demoted = calloc(m->nr_blocks, sizeof(*p->hint_demoted));
	p->block_heat = pool_heat_new(m->nr_blocks);
	p->heat_setting = -1;
	if (!p->slot || !p->where || !p->moved_ms || !p->hint || !p->heat ||
	    !p->heat_of || !p->carried || !p->stale || !p->entered_ms ||
	    !p->slot_heat || !p->hint_demoted || !p->block_heat)
		goto err;
	p->client = c;
	p->id = m->pool;
	p->serial = ++s->pool_serial;
	p->block_size = m->block_size;
	p->nr_blocks = m->nr_blocks;
	p->nr_tiers = m->count;
	p->next = s->pools;
	s->pools = p;
	s->nr_pools++;
	c->nr_pools++;
	c->nr_slabs += p->nr_tiers;
	client_log(s, c, LOG_INFO,
		   "client pid %d registered pool %u (%u blocks of %llu bytes, %u slabs)",
		   (int)c->pid, p->id, p->nr_blocks,
		   (unsigned long long)p->block_size, p->nr_tiers);
	return 0;
err:
	while (got--)
		peer_limits_buffer_put(&s->limits, c->uid);
	pool_free_arrays(p);
	return ret;
}

static unsigned int slot_tier(const struct srv_pool *p, uint32_t slot);

/*
 * POOL_BLOCKS: which block is in which slot.  The whole frame is checked
 * first (slots of the pool, blocks below nr_blocks): a bad one changes
 * nothing.  A block named in a new slot leaves its old one.  Hints may
 * come before the map has their blocks: a block mapped with a will-read
 * hint asks for the hint plan again.
 */
static int do_pool_blocks(struct srv_pool *p, const struct proto_pool_msg *m)
{
	uint64_t now = clock_now_ms();
	uint32_t i, slot, idx, old;
	bool fresh;
	uint64_t h;

	for (i = 0; i < m->count; i++) {
		h = m->slots[i].handle;
		if (m->slots[i].slot >= p->tier_base[p->nr_tiers] ||
		    (h != PROTO_POOL_SLOT_FREE && (uint32_t)h >= p->nr_blocks))
			return -EINVAL;
		/* A released slab holds nothing any more. */
		if (h != PROTO_POOL_SLOT_FREE &&
		    (p->released & (1U << slot_tier(p, m->slots[i].slot))))
			return -EINVAL;
	}
	for (i = 0; i < m->count; i++) {
		slot = m->slots[i].slot;
		h = m->slots[i].handle;
		/* The block that was in it, if this slot was its place. */
		if (p->slot[slot]) {
			idx = (uint32_t)p->slot[slot];
			if (p->where[idx] == slot + 1)
				p->where[idx] = 0;
		}
		fresh = p->slot[slot] != h;
		p->slot[slot] = h;
		if (h == PROTO_POOL_SLOT_FREE)
			continue;
		idx = (uint32_t)h;
		if (fresh) {
			/* Its heat goes with it; the slot's own stays behind. */
			p->carried[idx] = p->heat_of[idx] == h ? p->heat[idx] : 0;
			p->stale[idx] = p->slot_heat[slot];
			p->entered_ms[idx] = now;
		}
		old = p->where[idx];
		if (old && old != slot + 1 &&
		    (uint32_t)p->slot[old - 1] == idx && p->slot[old - 1])
			p->slot[old - 1] = PROTO_POOL_SLOT_FREE;
		p->where[idx] = slot + 1;
		/* A will-read block the map did not have yet: plan it now. */
		if (server_pool_hint(p, h, now) == PROTO_HINT_WILL_READ)
			p->hint_urgent = true;
	}
	p->mapped = true;
	return 0;
}

/*
 * POOL_HINTS: the runtime's hints, kept per block index with the handle
 * they name.  The whole frame is checked first (blocks below
 * nr_blocks): a bad one changes nothing.
 */
static int do_pool_hints(struct server *s, struct srv_pool *p,
			 const struct proto_pool_msg *m)
{
	uint64_t now = clock_now_ms();
	uint32_t i;

	for (i = 0; i < m->count; i++)
		if ((uint32_t)m->hints[i].block >= p->nr_blocks) {
			s->stats.pools.hints_refused++;
			return -EINVAL;
		}
	for (i = 0; i < m->count; i++) {
		const struct proto_pool_hint *h = &m->hints[i];
		struct srv_pool_hint *ph = &p->hint[(uint32_t)h->block];
		bool will = h->kind == PROTO_HINT_WILL_READ;

		ph->handle = h->block;
		ph->kind = h->kind;
		ph->seq = ++p->hint_seq;
		ph->until_ms = will ? now + h->lead_ms + SRV_HINT_GRACE_MS : 0;
		s->stats.pools.hints[will ? 0 : 1]++;
		if (will)
			p->hint_urgent = true;
	}
	return 0;
}

unsigned int server_pool_hint(const struct srv_pool *p, uint64_t handle,
			      uint64_t now_ms)
{
	const struct srv_pool_hint *h;

	if (!handle || (uint32_t)handle >= p->nr_blocks)
		return 0;
	h = &p->hint[(uint32_t)handle];
	if (h->handle != handle)
		return 0;
	if (h->kind == PROTO_HINT_WILL_READ && now_ms > h->until_ms)
		return 0;
	return h->kind;
}

/* Pool tier of slot @slot of @p. */
static unsigned int slot_tier(const struct srv_pool *p, uint32_t slot)
{
	unsigned int t = 0;

	while (t + 1 < p->nr_tiers && slot >= p->tier_base[t + 1])
		t++;
	return t;
}

static void advice_done(struct server *s, struct srv_pool *p,
			const struct proto_pool_msg *r)
{
	struct srv_pool_stats *st = &s->stats.pools;
	uint64_t now = clock_now_ms();
	uint32_t i;
	int c;

	p->advice_seq = 0;
	if (r->status) {
		st->refused++;
		client_log(s, p->client, LOG_INFO, "client pid %d refused advice for pool %u: %s",
			   (int)p->client->pid, p->id, strerror(-r->status));
		return;
	}
	for (i = 0; i < r->count; i++) {
		c = proto_pool_count_of(r->res[i].result, r->res[i].moved);
		if (c < 0)
			continue;
		st->results[c]++;
		if (c == PROTO_POOL_MOVED) {
			st->moved_blocks[p->advice_dir[i]]++;
			st->moved_bytes[p->advice_dir[i]] += p->block_size;
			p->moved_ms[(uint32_t)r->res[i].block] = now;
		}
	}
	log_debug("client pid %d pool %u: advice of %u blocks: %u moved, %u already, %u busy, %u stale, %u no room, %u failed",
		  (int)p->client->pid, p->id, r->count,
		  r->counts[PROTO_POOL_MOVED], r->counts[PROTO_POOL_ALREADY],
		  r->counts[PROTO_POOL_BUSY], r->counts[PROTO_POOL_STALE],
		  r->counts[PROTO_POOL_NOROOM], r->counts[PROTO_POOL_FAILED]);
}

static int client_send_pool(struct server *s, struct srv_client *c,
			    struct proto_pool_msg *m);

/* Empty the slots of @p's tier @t in the map. */
static void pool_clear_tier(struct srv_pool *p, unsigned int t)
{
	uint32_t slot, idx;

	for (slot = p->tier_base[t]; slot < p->tier_base[t + 1]; slot++) {
		if (!p->slot[slot])
			continue;
		idx = (uint32_t)p->slot[slot];
		if (p->where[idx] == slot + 1)
			p->where[idx] = 0;
		p->slot[slot] = PROTO_POOL_SLOT_FREE;
		p->slot_heat[slot] = 0;
	}
}

/* POOL_RELEASE_REPLY of @p's pending release: record it. */
static void release_done(struct server *s, struct srv_pool *p,
			 const struct proto_pool_msg *r)
{
	struct srv_pool_stats *st = &s->stats.pools;
	unsigned int t = p->release_tier;

	p->release_done = p->release_seq;
	p->release_seq = 0;
	p->release_status = r->status;
	memcpy(p->release_counts, r->counts, sizeof(p->release_counts));
	if (r->status) {
		st->release_failed++;
		client_log(s, p->client, LOG_INFO,
			   "client pid %d kept tier %u of pool %u: %s (%u moved, %u busy, %u no room, %u failed)",
			   (int)p->client->pid, t, p->id, strerror(-r->status),
			   r->counts[PROTO_POOL_MOVED], r->counts[PROTO_POOL_BUSY],
			   r->counts[PROTO_POOL_NOROOM], r->counts[PROTO_POOL_FAILED]);
		return;
	}
	st->released++;
	p->released |= 1U << t;
	pool_clear_tier(p, t);
	client_log(s, p->client, LOG_INFO,
		   "client pid %d released tier %u of pool %u (range %u, node %d): %u blocks moved",
		   (int)p->client->pid, t, p->id, p->slab[t].range,
		   (int)p->slab[t].node, r->counts[PROTO_POOL_MOVED]);
}

/* Act on a pool frame from @c. */
static void pool_dispatch(struct server *s, struct srv_client *c,
			  const struct proto_pool_msg *m)
{
	struct proto_pool_msg r;
	struct srv_pool *p = pool_find(s, c, m->pool);
	const char *why = NULL;

	memset(&r, 0, offsetof(struct proto_pool_msg, slab));
	r.reply_to = m->seq;
	r.pool = m->pool;
	switch (m->type) {
	case PROTO_POOL_REGISTER:
		r.type = PROTO_POOL_REGISTER_REPLY;
		r.status = do_pool_register(s, c, m);
		break;
	case PROTO_POOL_UNREGISTER:
		r.type = PROTO_POOL_UNREGISTER_REPLY;
		/* Advice or a release in flight is answered first. */
		r.status = !p ? -ENOENT :
			   p->advice_seq || p->release_seq ? -EBUSY : 0;
		if (!r.status) {
			client_log(s, c, LOG_INFO, "client pid %d unregistered pool %u",
				   (int)c->pid, p->id);
			pool_free(s, p);
		}
		break;
	case PROTO_POOL_BLOCKS:
		r.type = PROTO_POOL_BLOCKS_REPLY;
		r.status = p ? do_pool_blocks(p, m) : -ENOENT;
		break;
	case PROTO_POOL_HINTS:
		r.type = PROTO_POOL_HINTS_REPLY;
		r.status = p ? do_pool_hints(s, p, m) : -ENOENT;
		break;
	case PROTO_ADVICE_REPLY:
		/* The pool may be gone since (unregistered): then nothing. */
		if (!p)
			return;
		if (p->advice_seq != m->reply_to ||
		    proto_pool_check_reply(&p->advice, m, &why)) {
			client_log(s, c, LOG_WARNING, "client pid %d: bad ADVICE_REPLY: %s; disconnecting",
				   (int)c->pid, why ? why : "answers no advice of the pool");
			s->stats.dropped[SRV_DROP_BAD_FRAME]++;
			client_kill(s, c, NULL, false);
			return;
		}
		advice_done(s, p, m);
		return;
	case PROTO_POOL_RELEASE_REPLY:
		if (!p)
			return;
		if (!p->release_seq || p->release_seq != m->reply_to) {
			client_log(s, c, LOG_WARNING, "client pid %d: bad POOL_RELEASE_REPLY: answers no release of pool %u; disconnecting",
				   (int)c->pid, p->id);
			s->stats.dropped[SRV_DROP_BAD_FRAME]++;
			client_kill(s, c, NULL, false);
			return;
		}
		release_done(s, p, m);
		return;
	default:
		client_kill(s, c, "unexpected pool frame", false);
		return;
	}
	client_send_pool(s, c, &r);
}

int server_pool_advise(struct server *s, struct srv_pool *p,
		       struct proto_pool_msg *m)
{
	struct srv_client *c = p->client;
	uint32_t i, slot;
	unsigned int from;
	int ret;

	if (c->dead)
		return -ECONNRESET;
	if (p->advice_seq || p->release_seq)
		return -EBUSY;
	m->pool = p->id;
	for (i = 0; i < m->count; i++) {
		uint32_t idx = (uint32_t)m->advice[i].block;

		if (idx >= p->nr_blocks || !p->where[idx] ||
		    m->advice[i].tier >= p->nr_tiers ||
		    (p->released & (1U << m->advice[i].tier)))
			return -EINVAL;
		slot = p->where[idx] - 1;
		from = slot_tier(p, slot);
		p->advice_dir[i] = p->slab[m->advice[i].tier].mtier >
				   p->slab[from].mtier;
	}
	ret = client_send_pool(s, c, m);
	if (ret)
		return ret;
	p->advice = *m;
	p->advice_seq = m->seq;
	/* As the handshake's: the answer timeout, plus the move's time. */
	p->advice_deadline_ms = clock_now_ms() + s->o.timeout_ms + 5000 +
				((m->count * p->block_size) >> 24) * 1000;
	s->stats.pools.advice++;
	s->stats.pools.advised += m->count;
	return 0;
}

/* Margin of a release's deadline over its timeout and the answer's. */
#define SRV_RELEASE_MARGIN_MS	5000U

int server_pool_release(struct server *s, struct srv_pool *p,
			unsigned int tier, uint32_t timeout_ms)
{
	struct srv_client *c = p->client;
	struct proto_pool_msg m;
	int ret;

	if (c->dead || p->dead)
		return -ECONNRESET;
	if (p->advice_seq || p->release_seq)
		return -EBUSY;
	if (tier >= p->nr_tiers || (p->released & (1U << tier)) ||
	    server_pool_open_tiers(p) < 2 || !timeout_ms ||
	    timeout_ms > PROTO_RELEASE_MAX_TIMEOUT_MS)
		return -EINVAL;
	memset(&m, 0, offsetof(struct proto_pool_msg, slab));
	m.type = PROTO_POOL_RELEASE;
	m.pool = p->id;
	m.count = 1;
	m.release.tier = tier;
	m.release.timeout_ms = timeout_ms;
	ret = client_send_pool(s, c, &m);
	if (ret)
		return ret;
	p->release_seq = m.seq;
	p->release_tier = tier;
	p->release_deadline_ms = clock_now_ms() + timeout_ms + s->o.timeout_ms +
				 SRV_RELEASE_MARGIN_MS;
	s->stats.pools.releases++;
	client_log(s, c, LOG_INFO,
		   "client pid %d: asked to release tier %u of pool %u (range %u, node %d) within %u ms",
		   (int)c->pid, tier, p->id, p->slab[tier].range,
		   (int)p->slab[tier].node, timeout_ms);
	return 0;
}

/* Drop the clients whose advice or release is overdue. */
static void advice_deadlines(struct server *s)
{
	uint64_t now = clock_now_ms();
	struct srv_pool *p, *next;
	bool adv, rel;

	for (p = s->pools; p; p = next) {
		next = p->next;
		if (p->client->dead)
			continue;
		adv = p->advice_seq && now >= p->advice_deadline_ms;
		rel = p->release_seq && now >= p->release_deadline_ms;
		if (!adv && !rel)
			continue;
		client_log(s, p->client, LOG_WARNING,
			   "client pid %d: no %s for pool %u in time",
			   (int)p->client->pid,
			   adv ? "ADVICE_REPLY" : "POOL_RELEASE_REPLY", p->id);
		if (adv)
			s->stats.pools.timeouts++;
		if (rel)
			s->stats.pools.release_timeouts++;
		s->stats.dropped[SRV_DROP_TIMEOUT]++;
		client_kill(s, p->client, "timed out", true);
		next = s->pools; /* its pools are gone: start over */
	}
}

/* --- clients ------------------------------------------------------------- */

/*
 * The client is gone (hung up, misbehaved or timed out): forget its
 * buffers now; sweep() frees it.  @slow: it timed out, leave its buffers
 * alone for a while.
 */
static void client_kill(struct server *s, struct srv_client *c,
			const char *why, bool slow)
{
	struct srv_buffer *b, *next;
	struct srv_move *mv;

	if (c->dead)
		return;
	c->dead = true;
	s->nr_clients--;
	if (why)
		client_log(s, c, LOG_INFO, "client pid %d: %s; dropping its %u buffer(s)",
			   (int)c->pid, why, c->nr_buffers);
	for (b = s->buffers; b; b = next) {
		next = b->next;
		if (b->client != c)
			continue;
		if (slow)
			backoff_add(s, b->id);
		buffer_free(s, b);
	}
	pools_drop(s, c);
	for (mv = s->moves; mv; mv = mv->next)
		if (mv->client == c) {
			mv->client = NULL;
			peer_limits_request_put(&s->limits, c->uid);
		}
	if (s->cur_move && s->cur_move->client == c)
		s->cur_move->client = NULL;
	peer_limits_disconnect(&s->limits, c->uid);
}

/* Free the clients client_kill() left behind, and the pools let go of. */
static void sweep(struct server *s)
{
	struct srv_client **pp = &s->clients, *c;
	struct srv_pool *p;

	while ((p = s->dead_pools)) {
		s->dead_pools = p->dead_next;
		pool_free_arrays(p);
	}

	while ((c = *pp)) {
		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		close(c->fd);
		free(c);
	}
}

/* After a failed send of a @type frame to @c: say why, drop @c. */
static int client_send_failed(struct server *s, struct srv_client *c,
			      const char *type, int ret, const char *why)
{
	client_log(s, c, LOG_WARNING, "client pid %d: cannot send %s: %s",
		   (int)c->pid, type,
		   ret == -EAGAIN ? "it does not read its socket" :
				    (why ? why : strerror(-ret)));
	if (ret == -EAGAIN)
		s->stats.dropped[SRV_DROP_SLOW]++;
	client_kill(s, c, NULL, false);
	return ret;
}

static int client_send(struct server *s, struct srv_client *c,
		       struct proto_msg *m)
{
	const char *why = NULL;
	int ret;

	if (c->dead)
		return -ECONNRESET;
	ret = proto_send(c->fd, &c->peer, m, &why);
	return ret ? client_send_failed(s, c, proto_type_name(m->type), ret, why) : 0;
}

static int client_send_pool(struct server *s, struct srv_client *c,
			    struct proto_pool_msg *m)
{
	const char *why = NULL;
	int ret;

	if (c->dead)
		return -ECONNRESET;
	ret = proto_pool_send(c->fd, &c->peer, m, &why);
	return ret ? client_send_failed(s, c, proto_pool_type_name(m->type), ret, why) : 0;
}

/* Answer @req (HELLO, REGISTER, UNREGISTER or MOVE) with @status. */
static void client_answer(struct server *s, struct srv_client *c,
			  const struct proto_msg *req, int status)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = req->type + 1; /* each request's answer follows it */
	m.reply_to = req->seq;
	m.buffer = req->buffer;
	m.status = status;
	client_send(s, c, &m);
}

/*
 * The module's range @id into *@info.  0, -ENOENT, or the module's
 * error.  Ranges of every process: needs CAP_SYS_ADMIN.
 */
static int find_range(struct server *s, uint32_t id,
		      struct cxltier_range_info *info)
{
	struct cxltier_range_info *all = NULL, *tmp;
	uint32_t total = 0, room = 0, i;
	int ret;

	for (;;) {
		if (s->o.ranges)
			ret = s->o.ranges(s->o.ranges_arg, all, room, &total);
		else
			ret = kdev_get_ranges(s->kdev, 1, all, room, &total);
		if (ret || total <= room)
			break;
		room = total + 8;
		tmp = realloc(all, room * sizeof(*all));
		if (!tmp) {
			ret = -ENOMEM;
			break;
		}
		all = tmp;
	}
	if (!ret) {
		ret = -ENOENT;
		for (i = 0; i < total; i++)
			if (all[i].id == id) {
				*info = all[i];
				ret = 0;
				break;
			}
	}
	free(all);
	return ret;
}

/* May client @c act on range @r?  Its owner or root may. */
static bool may_act(const struct srv_client *c,
		    const struct cxltier_range_info *r)
{
	return c->uid == 0 || (r->pid > 0 && r->pid == c->pid);
}

static int do_register(struct server *s, struct srv_client *c,
		       const struct proto_msg *m)
{
	struct cxltier_range_info r;
	struct srv_buffer *b;
	int ret;

	ret = find_range(s, m->buffer, &r);
	if (ret)
		return ret;
	if (r.start != m->addr || r.length != m->length ||
	    r.chunk_size != m->chunk_size)
		return -EINVAL;
	if (!may_act(c, &r))
		return -EPERM;
	if (server_buffer(s, m->buffer) || server_pool_slab(s, m->buffer))
		return -EEXIST;
	if (c->nr_buffers >= SRV_MAX_BUFFERS)
		return -ENOSPC;
	if (peer_limits_buffer_get(&s->limits, c->uid)) {
		s->stats.buffers_refused++;
		return -ENOSPC;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		peer_limits_buffer_put(&s->limits, c->uid);
		return -ENOMEM;
	}
	b->client = c;
	b->id = r.id;
	b->addr = r.start;
	b->length = r.length;
	b->chunk_size = r.chunk_size;
	b->pid = r.pid;
	memcpy(b->label, r.label, sizeof(b->label));
	b->label[sizeof(b->label) - 1] = '\0';
	b->next = s->buffers;
	s->buffers = b;
	s->nr_buffers++;
	c->nr_buffers++;
	client_log(s, c, LOG_INFO, "client pid %d registered buffer %u (\"%s\", %llu bytes)",
		   (int)c->pid, b->id, b->label, (unsigned long long)b->length);
	return 0;
}

static int do_unregister(struct server *s, struct srv_client *c,
			 const struct proto_msg *m)
{
	struct srv_buffer *b = server_buffer(s, m->buffer);

	if (!b)
		return -ENOENT;
	if (b->client != c)
		return -EPERM;
	if (s->hs_buffer == b)
		return -EBUSY;
	client_log(s, c, LOG_INFO, "client pid %d unregistered buffer %u",
		   (int)c->pid, b->id);
	buffer_free(s, b);
	return 0;
}

static int do_move(struct server *s, struct srv_client *c,
		   const struct proto_msg *m)
{
	struct cxltier_range_info r;
	struct srv_move *mv;
	int ret;

	ret = find_range(s, m->buffer, &r);
	if (ret)
		return ret;
	if (!may_act(c, &r))
		return -EPERM;
	if (!proto_range_ok(r.length, r.chunk_size, m->addr, m->length))
		return -EINVAL;
	if (c->nr_moves >= SRV_MAX_MOVES)
		return -EBUSY;
	if (peer_limits_request_get(&s->limits, c->uid)) {
		s->stats.requests_refused++;
		return -EBUSY;
	}
	mv = calloc(1, sizeof(*mv));
	if (!mv) {
		peer_limits_request_put(&s->limits, c->uid);
		return -ENOMEM;
	}
	mv->client = c;
	mv->seq = m->seq;
	mv->range = r;
	mv->offset = m->addr;
	mv->length = m->length;
	mv->node = m->node;
	*s->moves_tail = mv;
	s->moves_tail = &mv->next;
	c->nr_moves++;
	return 0;
}

/* Act on a request from @c (everything but the handshake's answers). */
static void client_dispatch(struct server *s, struct srv_client *c,
			    const struct proto_msg *m)
{
	int ret;

	switch (m->type) {
	case PROTO_HELLO:
		c->hello_deadline_ms = 0;
		client_answer(s, c, m, 0);
		return;
	case PROTO_REGISTER:
		client_answer(s, c, m, do_register(s, c, m));
		return;
	case PROTO_UNREGISTER:
		client_answer(s, c, m, do_unregister(s, c, m));
		return;
	case PROTO_MOVE:
		ret = do_move(s, c, m);
		if (ret) /* else answered when done */
			client_answer(s, c, m, ret);
		else
			log_debug("client pid %d: MOVE of buffer %u queued",
				  (int)c->pid, m->buffer);
		return;
	}
	/* RELEASED / ACK outside a handshake cannot pass proto_recv(). */
	client_kill(s, c, "unexpected frame", false);
}

/*
 * Receive one frame from @c into @m.  0; 1 when it was a pool frame,
 * handled here; -EAGAIN when there is none; another error after killing
 * the client.
 */
static int client_recv(struct server *s, struct srv_client *c,
		       struct proto_msg *m)
{
	const char *why = NULL;
	struct proto_msg r;
	uint8_t frame[PROTO_FRAME_SIZE];
	bool is_pool;
	int ret;

	ret = proto_recv_any(c->fd, &c->peer, m, &s->rx_pool, &is_pool, NULL,
			     &why);
	if (!ret && is_pool) {
		pool_dispatch(s, c, &s->rx_pool);
		return c->dead ? -ECONNRESET : 1;
	}
	if (!ret || ret == -EAGAIN)
		return ret;
	if (ret == -EPROTONOSUPPORT && !c->peer.hello) {
		/* A client of another version: tell it, in version 1. */
		memset(&r, 0, sizeof(r));
		r.type = PROTO_HELLO_REPLY;
		r.seq = 1;
		r.reply_to = 1;
		r.status = -EPROTONOSUPPORT;
		if (!proto_encode(&r, PROTO_FROM_AGENT, frame, NULL) &&
		    send(c->fd, frame, sizeof(frame), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("client pid %d: %s", (int)c->pid, strerror(errno));
	}
	if (ret == -ECONNRESET)
		client_kill(s, c, "disconnected", false);
	else {
		client_log(s, c, LOG_WARNING, "client pid %d: bad frame (%s): %s; disconnecting",
			   (int)c->pid, strerror(-ret), why ? why : "?");
		s->stats.dropped[SRV_DROP_BAD_FRAME]++;
		client_kill(s, c, NULL, false);
	}
	return ret;
}

/* Count and log (rate-limited) a refused connection; close it. */
static int refuse(struct server *s, int fd, const struct ucred *cred,
		  enum peer_refusal why, int err)
{
	const struct peer_account *a = peer_limits_account(&s->limits, cred->uid);

	s->stats.refused[why]++;
	ratelimit_log(&s->rl_refuse, LOG_WARNING,
		      "client pid %d uid %u refused (%s): %u clients, %u of this uid",
		      (int)cred->pid, (unsigned int)cred->uid,
		      peer_refusal_name(why), s->nr_clients, a ? a->clients : 0);
	close(fd);
	return err;
}

int server_add_client(struct server *s, int fd)
{
	enum peer_refusal why;
	struct srv_client *c;
	struct ucred cred;
	int sndbuf = SRV_SNDBUF, ret;

	ret = peer_access_check(fd, s->o.group, &cred);
	if (ret)
		return refuse(s, fd, &cred, ret == -EACCES ? PEER_REFUSED_ACCESS :
				PEER_REFUSED_CREDS, ret);
	if (peer_limits_connect(&s->limits, cred.uid, &why))
		return refuse(s, fd, &cred, why, -EUSERS);
	c = calloc(1, sizeof(*c));
	if (!c) {
		peer_limits_disconnect(&s->limits, cred.uid);
		close(fd);
		return -ENOMEM;
	}
	/* A bounded send queue: a client that does not read is dropped. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)))
		log_debug("SO_SNDBUF: %s", strerror(errno));
	c->fd = fd;
	c->pid = cred.pid;
	c->uid = cred.uid;
	c->hello_deadline_ms = clock_now_ms() + s->o.hello_timeout_ms;
	proto_peer_init(&c->peer, PROTO_FROM_AGENT);
	c->next = s->clients;
	s->clients = c;
	s->nr_clients++;
	log_debug("client pid %d uid %u connected", (int)c->pid,
		  (unsigned int)c->uid);
	return 0;
}

static void client_accept(struct server *s)
{
	int fd, k;

	for (k = 0; k < SRV_ACCEPTS_PER_ROUND; k++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				ratelimit_log(&s->rl_refuse, LOG_WARNING, "accept: %s",
					      strerror(errno));
			return;
		}
		server_add_client(s, fd);
	}
}

/* --- the socket ---------------------------------------------------------- */

static int bind_listen(struct server *s)
{
	struct sockaddr_un sa;
	int fd, probe, err;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, s->path, sizeof(sa.sun_path));

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno != EADDRINUSE)
			goto err;
		/* A socket file is there: another agent's, or stale? */
		probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (probe < 0)
			goto err;
		if (!connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			close(fd);
			return -EADDRINUSE;
		}
		close(probe);
		unlink(s->path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			goto err;
	}
	/* Root and the access group only; listen() once that is so. */
	err = peer_access_socket(s->path, s->o.group, s->o.mode);
	if (err) {
		close(fd);
		return err;
	}
	if (listen(fd, SRV_BACKLOG))
		goto err;
	return fd;
err:
	err = -errno;
	close(fd);
	return err;
}

/*
 * Create the socket's directory if it is missing (/run/cxltier outside
 * systemd, whose RuntimeDirectory= makes it otherwise), one level only.
 */
static void make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		log_debug("mkdir %s: %s", dir, strerror(errno));
}

int server_open(struct server **srvp, const struct srv_options *o,
		const struct kdev *kdev)
{
	struct server *s;
	int ret;

	if (strlen(o->path) >= sizeof(s->path))
		return -ENAMETOOLONG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	if (!s->o.timeout_ms)
		s->o.timeout_ms = SRV_TIMEOUT_MS_DEFAULT;
	if (!s->o.hello_timeout_ms)
		s->o.hello_timeout_ms = SRV_HELLO_TIMEOUT_MS_DEFAULT;
	if (!s->o.mode)
		s->o.mode = PEER_DEFAULT_MODE;
	if (!s->o.limits.max_clients)
		peer_limits_defaults(&s->o.limits);
	if (s->o.max_clients)
		s->o.limits.max_clients = s->o.max_clients;
	if (s->o.limits.max_clients > SRV_MAX_CLIENTS)
		s->o.limits.max_clients = SRV_MAX_CLIENTS;
	/* A small max_clients (tests): keep a quarter for root. */
	if (s->o.limits.root_reserve >= s->o.limits.max_clients)
		s->o.limits.root_reserve = s->o.limits.max_clients / 4;
	s->o.max_clients = s->o.limits.max_clients;
	ratelimit_init(&s->rl_refuse, RATELIMIT_INTERVAL_MS, RATELIMIT_BURST);
	ratelimit_init(&s->rl_client, RATELIMIT_INTERVAL_MS, RATELIMIT_BURST);
	ret = peer_limits_init(&s->limits, &s->o.limits);
	if (ret) {
		free(s);
		return ret;
	}
	strcpy(s->path, o->path);
	s->kdev = kdev;
	s->moves_tail = &s->moves;
	make_parent(s->path);
	ret = bind_listen(s);
	if (ret < 0) {
		peer_limits_fini(&s->limits);
		free(s);
		return ret;
	}
	s->lfd = ret;
	*srvp = s;
	return 0;
}

void server_close(struct server *s)
{
	struct srv_client *c;
	struct srv_move *mv;

	if (!s)
		return;
	for (c = s->clients; c; c = c->next)
		client_kill(s, c, NULL, false);
	sweep(s);
	while ((mv = s->moves)) {
		s->moves = mv->next;
		free(mv);
	}
	close(s->lfd);
	unlink(s->path);
	peer_limits_fini(&s->limits);
	free(s);
}

size_t server_pollfds(struct server *s, struct pollfd *pfd, size_t room)
{
	struct srv_client *c;
	size_t n = 0;

	if (n < room) {
		pfd[n].fd = s->lfd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	for (c = s->clients; c && n < room; c = c->next) {
		if (c->dead)
			continue;
		pfd[n].fd = c->fd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	return n;
}

int server_timeout_ms(struct server *s)
{
	uint64_t now = clock_now_ms(), next = UINT64_MAX;
	struct srv_client *c;

	struct srv_pool *p;

	for (c = s->clients; c; c = c->next)
		if (!c->dead && c->hello_deadline_ms &&
		    c->hello_deadline_ms < next)
			next = c->hello_deadline_ms;
	for (p = s->pools; p; p = p->next) {
		if (p->advice_seq && p->advice_deadline_ms < next)
			next = p->advice_deadline_ms;
		if (p->release_seq && p->release_deadline_ms < next)
			next = p->release_deadline_ms;
	}
	if (s->moves)
		return 0;
	if (next == UINT64_MAX)
		return -1;
	return next > now ? (int)(next - now) : 0;
}

/*
 * Serve what poll() found on @pfd: a connection to accept, or up to
 * SRV_FRAMES_PER_ROUND frames of one client (a client that sends faster
 * is throttled by its socket, not buffered here).  @skip: a client
 * whose frames are not read here (the one in a handshake), or NULL.
 */
static void serve_fd(struct server *s, const struct pollfd *pfd,
		     const struct srv_client *skip)
{
	struct srv_client *c;
	struct proto_msg m;
	int k, ret;

	if (!pfd->revents)
		return;
	if (pfd->fd == s->lfd) {
		client_accept(s);
		return;
	}
	for (c = s->clients; c; c = c->next)
		if (c->fd == pfd->fd && !c->dead)
			break;
	if (c == skip)
		return;
	for (k = 0; c && !c->dead && k < SRV_FRAMES_PER_ROUND; k++) {
		ret = client_recv(s, c, &m);
		if (ret == 1)
			continue;
		if (ret)
			break;
		client_dispatch(s, c, &m);
	}
}

static void hello_deadlines(struct server *s)
{
	uint64_t now = clock_now_ms();
	struct srv_client *c;

	for (c = s->clients; c; c = c->next)
		if (!c->dead && c->hello_deadline_ms &&
		    now >= c->hello_deadline_ms) {
			s->stats.dropped[SRV_DROP_HELLO]++;
			client_kill(s, c, "no HELLO in time", false);
		}
}

void server_process(struct server *s, const struct pollfd *pfd, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		serve_fd(s, &pfd[i], NULL);
	hello_deadlines(s);
	advice_deadlines(s);
	sweep(s);
}

/* --- handshake ----------------------------------------------------------- */

/*
 * Wait up to @ms for @c to be readable, serving the listening socket and
 * the other clients meanwhile: a slow client stalls nobody else.  Their
 * requests are answered or queued; only @c is in a handshake.  0 or
 * -errno of poll().
 */
static int serve_others(struct server *s, struct srv_client *c, int ms)
{
	struct pollfd pfd[SRV_MAX_CLIENTS + 1];
	size_t i, n;

	n = server_pollfds(s, pfd, SRV_MAX_CLIENTS + 1);
	if (poll(pfd, n, ms) < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++)
		serve_fd(s, &pfd[i], c);
	hello_deadlines(s);
	advice_deadlines(s);
	return 0;
}

/*
 * Wait until @deadline for @c's frame of type @type (an answer
 * proto_recv() matched to our pending frame), handling its other frames
 * meanwhile.  0, -ETIMEDOUT or -ECONNRESET (the client is then killed).
 */
static int wait_answer(struct server *s, struct srv_client *c, uint16_t type,
		       uint64_t deadline, struct proto_msg *ans)
{
	uint64_t now;
	int ret;

	while (!c->dead) {
		ret = client_recv(s, c, ans);
		if (ret == 1)
			ret = 0, ans->type = 0; /* a pool frame, handled */
		else if (ret && ret != -EAGAIN)
			return -ECONNRESET;
		if (!ret && ans->type == type)
			return 0;
		if (!ret && ans->type)
			client_dispatch(s, c, ans);
		/* Its other frames do not buy it time. */
		now = clock_now_ms();
		if (now >= deadline) {
			client_log(s, c, LOG_WARNING, "client pid %d: no %s within %u ms",
				   (int)c->pid, proto_type_name(type),
				   s->o.timeout_ms);
			s->stats.dropped[SRV_DROP_TIMEOUT]++;
			client_kill(s, c, "timed out", true);
			return -ETIMEDOUT;
		}
		if (!ret)
			continue;
		ret = serve_others(s, c, (int)(deadline - now));
		if (ret)
			return ret;
	}
	return -ECONNRESET;
}

/*
 * The agent's promise: REPIN within 5 s plus 1 s per 16 MiB (a span of
 * many chunks moves at 16 MiB/s even in an emulated, busy guest).
 */
static uint32_t hold_ms(uint64_t len)
{
	uint64_t ms = 5000 + (len >> 24) * 1000;

	return ms > PROTO_TIMEOUT_MAX_MS ? PROTO_TIMEOUT_MAX_MS : (uint32_t)ms;
}

int server_handshake(struct server *s, struct srv_buffer *b, uint64_t off,
		     uint64_t len, int node, srv_move_fn fn, void *arg,
		     struct srv_hs_result *res)
{
	struct srv_client *c = b->client;
	uint32_t id = b->id;
	struct proto_msg m, rel, ack;
	uint64_t t0 = clock_now_us();
	int ret, mret;

	memset(res, 0, sizeof(*res));
	res->node = -1;
	s->hs_buffer = b;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_PREPARE;
	m.buffer = id;
	m.addr = off;
	m.length = len;
	m.node = node;
	m.timeout_ms = s->o.timeout_ms;
	m.hold_ms = hold_ms(len);
	ret = client_send(s, c, &m);
	if (ret)
		goto out;
	ret = wait_answer(s, c, PROTO_RELEASED, clock_now_ms() + s->o.timeout_ms,
			  &rel);
	if (ret)
		goto out;
	if (rel.status) {
		ret = rel.status;
		log_info("buffer %u: client refused to release [%#llx, +%#llx): %s",
			 id, (unsigned long long)off, (unsigned long long)len,
			 strerror(-ret));
		goto out;
	}
	res->released = true;

	mret = fn(arg, &res->node, &res->moved);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_REPIN;
	m.reply_to = rel.seq;
	m.buffer = id;
	m.status = mret;
	m.addr = off;
	m.length = len;
	m.node = res->node;
	ret = client_send(s, c, &m);
	if (ret)
		goto out;
	ret = wait_answer(s, c, PROTO_ACK, clock_now_ms() + s->o.timeout_ms, &ack);
	if (ret)
		goto out;
	if (ack.status)
		log_err("buffer %u: client could not pin [%#llx, +%#llx) again: %s",
			id, (unsigned long long)off, (unsigned long long)len,
			strerror(-ack.status));
	ret = mret ? mret : ack.status;
out:
	s->hs_buffer = NULL;
	res->latency_us = clock_now_us() - t0;
	res->status = ret;
	sweep(s);
	return ret;
}

/* --- MOVE requests ------------------------------------------------------- */

struct srv_move *server_take_move(struct server *s)
{
	struct srv_move *mv = s->moves;

	if (!mv)
		return NULL;
	s->moves = mv->next;
	if (!s->moves)
		s->moves_tail = &s->moves;
	mv->next = NULL;
	if (mv->client) {
		mv->client->nr_moves--;
		peer_limits_request_put(&s->limits, mv->client->uid);
	}
	s->cur_move = mv;
	return mv;
}

void server_move_done(struct server *s, struct srv_move *mv, int status,
		      uint64_t moved, int node)
{
	struct proto_msg m;

	if (s->cur_move == mv)
		s->cur_move = NULL;
	if (mv->client && !mv->client->dead) {
		memset(&m, 0, sizeof(m));
		m.type = PROTO_MOVE_REPLY;
		m.reply_to = mv->seq;
		m.buffer = mv->range.id;
		m.status = status;
		m.length = moved & ~(PROTO_ALIGN - 1);
		m.node = node;
		client_send(s, mv->client, &m);
	}
	free(mv);
	sweep(s);
}

/* --- books --------------------------------------------------------------- */

#define BOOKS_OFF(...) do { snprintf(why, len, __VA_ARGS__); return -EUCLEAN; } while (0)

int server_check_books(const struct server *s, char *why, size_t len)
{
	const struct peer_account *a;
	const struct srv_client *c, *o;
	const struct srv_buffer *b;
	const struct srv_move *mv;
	const struct srv_pool *p;
	unsigned int live = 0, nbuf = 0, nb, nm, np, uc, ub, um, uids = 0;

	for (b = s->buffers; b; b = b->next) {
		nbuf++;
		if (b->client->dead)
			BOOKS_OFF("buffer %u belongs to a dead client", b->id);
	}
	if (nbuf != s->nr_buffers)
		BOOKS_OFF("%u buffers listed, %u counted", nbuf, s->nr_buffers);
	if (s->hs_buffer)
		BOOKS_OFF("a handshake is marked under way outside one");
	for (c = s->clients; c; c = c->next) {
		if (c->dead)
			continue;
		live++;
		np = 0;
		nb = 0;
		for (p = s->pools; p; p = p->next)
			if (p->client == c) {
				np += (p->advice_seq != 0) + (p->release_seq != 0);
				nb++;
			}
		if (nb != c->nr_pools)
			BOOKS_OFF("client pid %d: %u/%u pools", (int)c->pid, nb,
				  c->nr_pools);
		if (c->peer.nr_pending != np)
			BOOKS_OFF("client pid %d awaits %u answers outside a handshake, %u advice or releases",
				  (int)c->pid, c->peer.nr_pending, np);
		nb = 0;
		for (b = s->buffers; b; b = b->next)
			nb += b->client == c;
		nm = 0;
		for (mv = s->moves; mv; mv = mv->next)
			nm += mv->client == c;
		if (nb != c->nr_buffers || nm != c->nr_moves)
			BOOKS_OFF("client pid %d: %u/%u buffers, %u/%u requests",
				  (int)c->pid, nb, c->nr_buffers, nm, c->nr_moves);
		/* The uid's account, once per uid (at its first client). */
		for (o = s->clients; o != c; o = o->next)
			if (!o->dead && o->uid == c->uid)
				break;
		if (o != c)
			continue;
		uids++;
		uc = ub = um = 0;
		for (o = s->clients; o; o = o->next)
			if (!o->dead && o->uid == c->uid) {
				uc++;
				ub += o->nr_buffers + o->nr_slabs;
				um += o->nr_moves;
			}
		a = peer_limits_account(&s->limits, c->uid);
		if (!a || a->clients != uc || a->buffers != ub || a->requests != um)
			BOOKS_OFF("uid %u: account %u/%u/%u, books %u/%u/%u",
				  (unsigned int)c->uid, a ? a->clients : 0,
				  a ? a->buffers : 0, a ? a->requests : 0, uc, ub, um);
	}
	if (live != s->nr_clients || live != s->limits.nr_clients)
		BOOKS_OFF("%u live clients, %u counted, %u accounted", live,
			  s->nr_clients, s->limits.nr_clients);
	if (uids != s->limits.nr)
		BOOKS_OFF("%u uids connected, %u accounts", uids, s->limits.nr);
	for (mv = s->moves; mv; mv = mv->next)
		if (mv->client && mv->client->dead)
			BOOKS_OFF("a queued request names a dead client");
	return 0;
}
