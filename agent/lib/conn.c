// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcxltier: the connection to the agent and the service thread, under
 * ctx->lock.  See private.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "clock.h"
#include "pool.h"
#include "pool_advice.h"
#include "private.h"

/* --- connection, under ctx->lock, service thread only ------------------ */

static void buf_repin_locked(struct cxltier *ctx, struct cxltier_buffer *b,
			     uint32_t ack_to);

/* Close the connection: re-pin whatever the agent holds, fail waiters. */
static void pools_reset(struct cxltier *ctx);
static void pools_sync(struct cxltier *ctx, uint64_t now);

static void conn_close(struct cxltier *ctx, const char *why)
{
	struct cxltier_buffer *b;
	struct lib_waiter *w;

	if (ctx->sock < 0)
		return;
	if (ctx->conn == CONN_READY)
		lib_log(ctx, ctx->stop ? LOG_DEBUG : LOG_WARNING,
			"connection to cxltierd closed: %s", why);
	close(ctx->sock);
	ctx->sock = -1;
	ctx->conn = CONN_DOWN;
	ctx->broken = false;
	ctx->next_connect_ms = clock_now_ms() + LIB_RECONNECT_MS;
	pools_reset(ctx);
	for (w = ctx->waiters; w; w = w->next) {
		w->done = true;
		w->err = -ECONNRESET;
	}
	for (b = ctx->buffers; b; b = b->next) {
		b->registered = false;
		b->reg_seq = 0;
		if (b->busy && b->released_seq) {
			lib_log(ctx, LOG_WARNING,
				"buffer %u: re-pinning [%#llx, +%#llx) after the agent left",
				b->id, (unsigned long long)b->held.offset,
				(unsigned long long)b->held.length);
			buf_repin_locked(ctx, b, 0);
		}
	}
	pthread_cond_broadcast(&ctx->cond);
}

int lib_conn_send(struct cxltier *ctx, struct proto_msg *m)
{
	const char *why = NULL;
	int ret;

	if (ctx->sock < 0)
		return -ENOTCONN;
	ret = proto_send(ctx->sock, &ctx->peer, m, &why);
	if (ret) {
		lib_log(ctx, LOG_ERR, "cannot send %s: %s%s%s",
			proto_type_name(m->type), strerror(-ret),
			why ? ": " : "", why ? why : "");
		ctx->broken = true;
		lib_wake_service(ctx);
	}
	return ret;
}

void lib_register_msg(const struct cxltier_buffer *b, struct proto_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = PROTO_REGISTER;
	m->buffer = b->id;
	m->addr = b->pin.addr;
	m->length = b->pin.length;
	m->chunk_size = b->pin.chunk_size;
	memcpy(m->label, b->label, sizeof(m->label));
}

/* Send REGISTER for @b; its answer is handled by the service thread. */
static int buf_send_register(struct cxltier *ctx, struct cxltier_buffer *b)
{
	struct proto_msg m;
	int ret;

	lib_register_msg(b, &m);
	ret = lib_conn_send(ctx, &m);
	if (!ret)
		b->reg_seq = m.seq;
	return ret;
}

static void conn_open(struct cxltier *ctx)
{
	struct sockaddr_un sa;
	struct timeval tv;
	struct proto_msg m;
	int fd, ret;

	ctx->next_connect_ms = clock_now_ms() + LIB_RECONNECT_MS;
	/*
	 * Non-blocking connect: a frozen agent whose backlog is full must
	 * not stall this thread, which re-pins on timeouts (EAGAIN: retry).
	 */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ctx->connect_err = -errno;
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, ctx->socket_path, sizeof(sa.sun_path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		ctx->connect_err = -errno;
		close(fd);
		return;
	}
	/* A send never blocks longer than the answers' timeout. */
	tv.tv_sec = ctx->timeout_ms / 1000;
	tv.tv_usec = (ctx->timeout_ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	ctx->sock = fd;
	proto_peer_init(&ctx->peer, PROTO_FROM_CLIENT);
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	m.version = ctx->version;
	ret = lib_conn_send(ctx, &m);
	if (ret) {
		close(fd);
		ctx->sock = -1;
		ctx->connect_err = ret;
		return;
	}
	ctx->conn = CONN_HELLO;
	ctx->hello_deadline_ms = clock_now_ms() + ctx->timeout_ms;
}

static void conn_ready(struct cxltier *ctx)
{
	struct cxltier_buffer *b;

	ctx->conn = CONN_READY;
	ctx->connect_err = 0;
	ctx->connects++;
	lib_log(ctx, LOG_INFO, "connected to cxltierd at %s", ctx->socket_path);
	/* A new agent knows nothing of us: register everything again. */
	for (b = ctx->buffers; b; b = b->next)
		if (!b->closing && !b->reg_seq && buf_send_register(ctx, b))
			break;
	pthread_cond_broadcast(&ctx->cond);
}

/* --- handshake, service thread ----------------------------------------- */

static struct cxltier_buffer *buf_find(struct cxltier *ctx, uint32_t id)
{
	struct cxltier_buffer *b;

	for (b = ctx->buffers; b; b = b->next)
		if (b->id == id)
			return b;
	return NULL;
}

/*
 * Release b->held: the application quiesces (and, adapter "none", drops
 * the pin), then the adapter drops its pin.  Called without ctx->lock.
 */
static int buf_do_release(struct cxltier_buffer *b)
{
	const struct cxltier_range *r = &b->held;
	int ret = 0;

	if (b->release)
		ret = b->release(b, r, b->priv);
	if (ret)
		return ret < 0 ? ret : -EIO;
	if (b->adapter->release) {
		ret = b->adapter->release(&b->pin, r->offset, r->length);
		if (ret && b->repin)
			b->repin(b, r, b->priv); /* resume, still pinned */
	}
	return ret;
}

/* The reverse of buf_do_release().  Called without ctx->lock. */
static int buf_do_repin(struct cxltier_buffer *b)
{
	const struct cxltier_range *r = &b->held;
	int ret = 0;

	if (b->adapter->repin)
		ret = b->adapter->repin(&b->pin, r->offset, r->length);
	if (ret)
		return ret;
	if (b->repin)
		ret = b->repin(b, r, b->priv);
	return ret < 0 ? ret : (ret ? -EIO : 0);
}

/*
 * Pin b->held again and end the handshake; @ack_to: the REPIN to answer
 * with ACK, 0 for none.  Drops ctx->lock around the callbacks.
 */
static void buf_repin_locked(struct cxltier *ctx, struct cxltier_buffer *b,
			     uint32_t ack_to)
{
	uint64_t connects = ctx->connects;
	struct proto_msg m;
	int ret;

	pthread_mutex_unlock(&ctx->lock);
	ret = buf_do_repin(b);
	pthread_mutex_lock(&ctx->lock);
	if (ret)
		lib_log(ctx, LOG_ERR,
			"buffer %u: cannot pin [%#llx, +%#llx) again: %s", b->id,
			(unsigned long long)b->held.offset,
			(unsigned long long)b->held.length, strerror(-ret));
	if (ack_to && ctx->connects == connects && ctx->sock >= 0) {
		memset(&m, 0, sizeof(m));
		m.type = PROTO_ACK;
		m.reply_to = ack_to;
		m.buffer = b->id;
		m.status = ret;
		m.addr = b->held.offset;
		m.length = b->held.length;
		lib_conn_send(ctx, &m);
	}
	b->busy = false;
	b->released_seq = 0;
	pthread_cond_broadcast(&ctx->cond);
}

/* Is [@off, @off + @len) whole chunks of @b (the protocol's rule)? */
bool lib_range_ok(const struct cxltier_buffer *b, uint64_t off, uint64_t len)
{
	return proto_range_ok(b->pin.length, b->pin.chunk_size, off, len);
}

static void handle_prepare(struct cxltier *ctx, const struct proto_msg *m)
{
	struct cxltier_buffer *b = buf_find(ctx, m->buffer);
	uint64_t connects = ctx->connects;
	struct proto_msg r;
	int ret = 0;

	memset(&r, 0, sizeof(r));
	r.type = PROTO_RELEASED;
	r.reply_to = m->seq;
	r.buffer = m->buffer;
	r.addr = m->addr;
	r.length = m->length;

	if (!b || !b->registered || b->closing)
		ret = -ENOENT;
	else if (b->busy)
		ret = -EBUSY;
	else if (!lib_range_ok(b, m->addr, m->length))
		ret = -EINVAL;
	if (ret) {
		lib_log(ctx, LOG_WARNING, "refusing PREPARE of buffer %u: %s",
			m->buffer, strerror(-ret));
		r.status = ret;
		lib_conn_send(ctx, &r);
		return;
	}

	b->busy = true;
	b->released_seq = 0;
	b->held.offset = m->addr;
	b->held.length = m->length;
	pthread_mutex_unlock(&ctx->lock);
	ret = buf_do_release(b);
	pthread_mutex_lock(&ctx->lock);

	/* Only this thread closes the connection: it is still there. */
	r.status = ret;
	if (ctx->connects != connects || lib_conn_send(ctx, &r)) {
		if (!ret)
			buf_repin_locked(ctx, b, 0);
		b->busy = false;
		pthread_cond_broadcast(&ctx->cond);
		return;
	}
	if (ret) {
		lib_log(ctx, LOG_WARNING,
			"buffer %u: release of [%#llx, +%#llx) failed: %s",
			b->id, (unsigned long long)m->addr,
			(unsigned long long)m->length, strerror(-ret));
		b->busy = false;
		pthread_cond_broadcast(&ctx->cond);
		return;
	}
	b->released_seq = r.seq;
	b->deadline_ms = clock_now_ms() + m->hold_ms + LIB_HOLD_GRACE_MS;
}

static void handle_repin(struct cxltier *ctx, const struct proto_msg *m)
{
	struct cxltier_buffer *b = buf_find(ctx, m->buffer);

	/* proto_peer_recv() matched it to our RELEASED: b is busy. */
	if (!b || !b->busy || b->released_seq != m->reply_to) {
		ctx->broken = true;
		return;
	}
	if (m->status)
		lib_log(ctx, LOG_INFO, "buffer %u: agent could not move [%#llx, +%#llx): %s",
			b->id, (unsigned long long)m->addr,
			(unsigned long long)m->length, strerror(-m->status));
	buf_repin_locked(ctx, b, m->seq);
}

static void handle_answer(struct cxltier *ctx, const struct proto_msg *m)
{
	struct cxltier_buffer *b;
	struct lib_waiter *w;

	if (m->type == PROTO_HELLO_REPLY) {
		if (m->status == -EPROTONOSUPPORT &&
		    ctx->version > PROTO_VERSION_MIN) {
			/* An older agent: speak its version, at once. */
			lib_log(ctx, LOG_INFO,
				"cxltierd does not speak protocol version %u: using version %u, without pool advice",
				ctx->version, PROTO_VERSION_MIN);
			ctx->version = PROTO_VERSION_MIN;
			conn_close(ctx, "older agent");
			ctx->next_connect_ms = clock_now_ms();
			return;
		}
		if (m->status) {
			ctx->connect_err = m->status;
			lib_log(ctx, LOG_ERR, "cxltierd refused HELLO: %s",
				strerror(-m->status));
			conn_close(ctx, "HELLO refused");
			pthread_cond_broadcast(&ctx->cond);
			return;
		}
		conn_ready(ctx);
		return;
	}
	if (m->type == PROTO_REGISTER_REPLY) {
		b = buf_find(ctx, m->buffer);
		if (b && b->reg_seq == m->reply_to) {
			b->reg_seq = 0;
			b->registered = !m->status;
			if (m->status)
				lib_log(ctx, LOG_WARNING,
					"cxltierd refused buffer %u: %s", b->id,
					strerror(-m->status));
		}
	}
	for (w = ctx->waiters; w; w = w->next)
		if (w->seq == m->reply_to) {
			w->reply = *m;
			w->done = true;
			pthread_cond_broadcast(&ctx->cond);
			break;
		}
}

/* Read and handle every frame waiting on the socket. */
static void handle_pool_frame(struct cxltier *ctx, struct proto_pool_msg *pm);

static void conn_read(struct cxltier *ctx)
{
	struct proto_pool_msg *pm = ctx->rx_pool;
	struct proto_msg m;
	const char *why = NULL;
	bool is_pool;
	int ret;

	while (ctx->sock >= 0 && !ctx->broken) {
		ret = proto_recv_any(ctx->sock, &ctx->peer, &m, pm, &is_pool,
				     NULL, &why);
		if (ret == -EAGAIN)
			return;
		if (ret) {
			if (ret != -ECONNRESET)
				lib_log(ctx, LOG_ERR,
					"bad frame from cxltierd: %s: %s",
					strerror(-ret), why ? why : "");
			conn_close(ctx, why ? why : strerror(-ret));
			return;
		}
		if (is_pool) {
			handle_pool_frame(ctx, pm);
			continue;
		}
		switch (m.type) {
		case PROTO_PREPARE:
			handle_prepare(ctx, &m);
			break;
		case PROTO_REPIN:
			handle_repin(ctx, &m);
			break;
		default:
			handle_answer(ctx, &m);
			break;
		}
	}
}

/* Re-pin ranges the agent kept past its promise; then hang up on it. */
static void check_deadlines(struct cxltier *ctx, uint64_t now)
{
	struct cxltier_buffer *b;
	bool late = false;

	for (b = ctx->buffers; b; b = b->next)
		if (b->busy && b->released_seq && now >= b->deadline_ms) {
			lib_log(ctx, LOG_WARNING,
				"buffer %u: no REPIN from cxltierd in time, re-pinning [%#llx, +%#llx)",
				b->id, (unsigned long long)b->held.offset,
				(unsigned long long)b->held.length);
			buf_repin_locked(ctx, b, 0);
			late = true;
			break; /* the list may have changed while unlocked */
		}
	if (late)
		ctx->broken = true;
}

/* --- the service thread -------------------------------------------------- */

void *lib_service_main(void *arg)
{
	struct cxltier *ctx = arg;
	struct pollfd pfd[2];
	struct cxltier_buffer *b;
	uint64_t now, next, val;
	int timeout, nfds;
	bool flush;

	pthread_mutex_lock(&ctx->lock);
	while (!ctx->stop) {
		now = clock_now_ms();
		if (ctx->broken)
			conn_close(ctx, "timeout or protocol error");
		if (ctx->conn == CONN_DOWN && now >= ctx->next_connect_ms) {
			conn_open(ctx);
			pthread_cond_broadcast(&ctx->cond);
		}
		if (ctx->conn == CONN_HELLO && now >= ctx->hello_deadline_ms) {
			ctx->connect_err = -ETIMEDOUT;
			conn_close(ctx, "no answer to HELLO");
		}
		check_deadlines(ctx, now);
		pools_sync(ctx, now);
		if (ctx->broken)
			continue;

		next = now + 60000;
		if (ctx->conn == CONN_DOWN && ctx->next_connect_ms < next)
			next = ctx->next_connect_ms;
		if (ctx->conn == CONN_HELLO && ctx->hello_deadline_ms < next)
			next = ctx->hello_deadline_ms;
		for (b = ctx->buffers; b; b = b->next)
			if (b->busy && b->released_seq && b->deadline_ms < next)
				next = b->deadline_ms;
		if (ctx->pools && ctx->conn == CONN_READY &&
		    ctx->peer.version >= PROTO_POOL_VERSION &&
		    ctx->next_pool_sync_ms < next)
			next = ctx->next_pool_sync_ms;
		if (ctx->nr_recs && ctx->recs_since_ms + LIB_REPORT_FLUSH_MS < next)
			next = ctx->recs_since_ms + LIB_REPORT_FLUSH_MS;
		timeout = next > now ? (int)(next - now) : 0;

		pfd[0].fd = ctx->wake_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = ctx->sock;
		pfd[1].events = POLLIN;
		nfds = ctx->sock >= 0 ? 2 : 1;
		pthread_mutex_unlock(&ctx->lock);

		poll(pfd, nfds, timeout);
		if (pfd[0].revents & POLLIN) {
			if (read(ctx->wake_fd, &val, sizeof(val)) < 0) {
				/* Nothing to do: it was only a wake-up. */
			}
		}
		pthread_mutex_lock(&ctx->rlock);
		flush = ctx->nr_recs &&
			clock_now_ms() >= ctx->recs_since_ms + LIB_REPORT_FLUSH_MS;
		if (flush)
			lib_flush_locked(ctx);
		pthread_mutex_unlock(&ctx->rlock);

		pthread_mutex_lock(&ctx->lock);
		if (nfds == 2 && pfd[1].revents && ctx->sock == pfd[1].fd)
			conn_read(ctx);
	}
	conn_close(ctx, "closing");
	pthread_mutex_unlock(&ctx->lock);
	return NULL;
}

/* --- block pools (protocol version 2), under ctx->lock ------------------ */

static struct cxltier_pool *pool_find(struct cxltier *ctx, uint32_t id)
{
	struct cxltier_pool *p;

	for (p = ctx->pools; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

/* Send pool frame @m (seq assigned).  0 or -errno (the connection breaks). */
static int pool_send(struct cxltier *ctx, struct proto_pool_msg *m)
{
	const char *why = NULL;
	int ret;

	if (ctx->sock < 0)
		return -ENOTCONN;
	ret = proto_pool_send(ctx->sock, &ctx->peer, m, &why);
	if (ret) {
		lib_log(ctx, LOG_ERR, "cannot send %s: %s%s%s",
			proto_pool_type_name(m->type), strerror(-ret),
			why ? ": " : "", why ? why : "");
		ctx->broken = true;
		lib_wake_service(ctx);
	}
	return ret;
}

/* Refuse a whole ADVICE, or a POOL_RELEASE, with @status. */
static void advice_refuse(struct cxltier *ctx, const struct proto_pool_msg *a,
			  int status)
{
	struct proto_pool_msg r;

	memset(&r, 0, offsetof(struct proto_pool_msg, res));
	r.type = a->type == PROTO_POOL_RELEASE ? PROTO_POOL_RELEASE_REPLY :
						 PROTO_ADVICE_REPLY;
	r.reply_to = a->seq;
	r.pool = a->pool;
	r.status = status;
	pool_send(ctx, &r);
}

/* A new connection: the agent knows none of our pools. */
static void pools_reset(struct cxltier *ctx)
{
	struct cxltier_pool *p;
	struct lib_advice *a;

	for (p = ctx->pools; p; p = p->next) {
		p->agent_reg_seq = 0;
		p->agent_registered = false;
		p->agent_refused = false;
		p->agent_blocks_seq = 0;
		p->agent_hints_seq = 0;
	}
	while ((a = ctx->advice)) {
		ctx->advice = a->next;
		free(a);
	}
	ctx->nr_advice = 0;
}

static int pool_register(struct cxltier *ctx, struct cxltier_pool *p)
{
	struct cxltier_node_info *info = NULL;
	unsigned int mtier[PT_MAX_TIERS] = { 0 };
	struct proto_pool_msg m;
	struct pool_wire_map map;
	uint32_t nr = 0, nr_tiers = 0, i, t;
	int ret;

	ret = kdev_get_nodes(&ctx->kdev, &info, &nr, &nr_tiers);
	if (ret)
		return ret;
	for (t = 0; t < p->nr_tiers; t++)
		for (i = 0; i < nr; i++)
			if ((int)info[i].node == p->slabs[t].node)
				mtier[t] = info[i].tier;
	free(info);
	/* A release sets its bit under ctx->lock: the slabs listed stay. */
	ret = pool_advice_register_map(p, mtier, &m, &map);
	if (!ret)
		ret = pool_send(ctx, &m);
	if (!ret) {
		p->agent_reg_seq = m.seq;
		p->agent_map = map;
	}
	return ret;
}

/*
 * Tell the agent which block is in which slot where that changed since
 * it was last told: at most one POOL_BLOCKS of a pool in flight, the
 * rest of a long change list after its answer.
 */
static int pool_tell_blocks(struct cxltier *ctx, struct cxltier_pool *p)
{
	struct proto_pool_msg m;
	uint32_t nr_slots = p->table.nr_slots, i, slot, wire;
	uint64_t snap = atomic_load(&p->changes), *told = p->agent_told;
	uint64_t *cur = told + nr_slots, w;
	bool partial = false;
	int ret;

	memset(cur, 0, nr_slots * sizeof(*cur));
	for (i = 0; i < p->table.nr_blocks; i++) {
		w = atomic_load(&p->table.blocks[i].word);
		if ((w & PT_W_ALLOC) && PT_W_SLOT(w) < nr_slots)
			cur[PT_W_SLOT(w)] = PT_H_MAKE(PT_W_GEN(w), i);
	}
	memset(&m, 0, offsetof(struct proto_pool_msg, slots));
	m.type = PROTO_POOL_BLOCKS;
	m.pool = p->id;
	for (slot = 0; slot < nr_slots; slot++) {
		if (cur[slot] == told[slot])
			continue;
		/* A slab released before this registration: not the agent's. */
		wire = pool_wire_slot(p, &p->agent_map, slot);
		if (wire == POOL_WIRE_NONE)
			continue;
		if (m.count == PROTO_POOL_MAX_ENTRIES) {
			partial = true;
			break;
		}
		m.slots[m.count].handle = cur[slot];
		m.slots[m.count].slot = wire;
		m.count++;
		/* A failed send breaks the connection, which forgets this. */
		told[slot] = cur[slot];
	}
	if (!partial)
		p->agent_synced = snap;
	if (!m.count)
		return 0;
	ret = pool_send(ctx, &m);
	if (ret)
		return ret;
	p->agent_blocks_seq = m.seq;
	return 0;
}

/* Tell the agent the next batch of hints: one POOL_HINTS in flight. */
static int pool_tell_hints(struct cxltier *ctx, struct cxltier_pool *p)
{
	struct proto_pool_msg m;
	int ret;

	memset(&m, 0, offsetof(struct proto_pool_msg, hints));
	m.type = PROTO_POOL_HINTS;
	m.pool = p->id;
	m.count = pool_take_hints(p, m.hints, PROTO_POOL_MAX_ENTRIES);
	if (!m.count)
		return 0;
	ret = pool_send(ctx, &m);
	if (ret)
		return ret;
	p->agent_hints_seq = m.seq;
	atomic_fetch_add(&p->hints_sent, m.count);
	return 0;
}

/* Register new pools, tell the agent hints and changed block maps. */
static void pools_sync(struct cxltier *ctx, uint64_t now)
{
	struct cxltier_pool *p;

	if (ctx->conn != CONN_READY || ctx->peer.version < PROTO_POOL_VERSION ||
	    ctx->broken)
		return;
	for (p = ctx->pools; p && !ctx->broken; p = p->next) {
		if (p->agent_refused || p->agent_reg_seq)
			continue;
		if (!p->agent_registered) {
			if (pool_register(ctx, p))
				p->agent_refused = true;
			continue;
		}
		/* Hints first and at once: a will-read hint is urgent. */
		if (!p->agent_hints_seq && atomic_load(&p->hint_nr))
			pool_tell_hints(ctx, p);
		if (p->agent_blocks_seq)
			continue;
		if (p->agent_synced != atomic_load(&p->changes) &&
		    now >= ctx->next_pool_sync_ms)
			pool_tell_blocks(ctx, p);
	}
	if (now >= ctx->next_pool_sync_ms)
		ctx->next_pool_sync_ms = now + LIB_POOL_SYNC_MS;
}

static void *advice_main(void *arg);

static void handle_pool_frame(struct cxltier *ctx, struct proto_pool_msg *pm)
{
	struct cxltier_pool *p = pool_find(ctx, pm->pool);
	struct lib_advice *a, **pp;
	int ret;

	switch (pm->type) {
	case PROTO_POOL_REGISTER_REPLY:
		if (!p || p->agent_reg_seq != pm->reply_to)
			return; /* destroyed meanwhile */
		p->agent_reg_seq = 0;
		if (pm->status) {
			lib_log(ctx, LOG_WARNING, "cxltierd refused pool %u: %s",
				p->id, strerror(-pm->status));
			p->agent_refused = true;
			return;
		}
		if (!p->agent_told) {
			p->agent_told = calloc(2 * (size_t)p->table.nr_slots,
					       sizeof(*p->agent_told));
			if (!p->agent_told) {
				p->agent_refused = true;
				return;
			}
		}
		memset(p->agent_told, 0, p->table.nr_slots * sizeof(*p->agent_told));
		p->agent_registered = true;
		p->agent_synced = atomic_load(&p->changes) - 1;
		ctx->next_pool_sync_ms = 0;
		return;
	case PROTO_POOL_HINTS_REPLY:
		if (!p || p->agent_hints_seq != pm->reply_to)
			return;
		p->agent_hints_seq = 0;
		if (pm->status) {
			/* Hints are advice to the agent: losing some is no harm. */
			atomic_fetch_add(&p->hint_batches_refused, 1);
			lib_log(ctx, LOG_DEBUG, "cxltierd refused hints of pool %u: %s",
				p->id, strerror(-pm->status));
		}
		/* The next batch may be waiting. */
		if (atomic_load(&p->hint_nr))
			lib_wake_service(ctx);
		return;
	case PROTO_POOL_BLOCKS_REPLY:
		if (!p || p->agent_blocks_seq != pm->reply_to)
			return;
		p->agent_blocks_seq = 0;
		if (pm->status) {
			lib_log(ctx, LOG_WARNING,
				"cxltierd refused the block map of pool %u: %s",
				p->id, strerror(-pm->status));
			p->agent_refused = true;
		}
		return;
	case PROTO_POOL_RELEASE:
		if (!p || !p->agent_registered) {
			lib_log(ctx, LOG_WARNING,
				"refusing POOL_RELEASE of unknown pool %u", pm->pool);
			advice_refuse(ctx, pm, -ENOENT);
			return;
		}
		if (pm->release.tier >= p->agent_map.nr_tiers) {
			lib_log(ctx, LOG_WARNING,
				"refusing POOL_RELEASE of pool %u: no tier %u",
				pm->pool, pm->release.tier);
			advice_refuse(ctx, pm, -EINVAL);
			return;
		}
		/* Queued for the advice thread, in order with ADVICE. */
		__attribute__((fallthrough));
	case PROTO_ADVICE:
		if (!p || !p->agent_registered) {
			advice_refuse(ctx, pm, -EINVAL);
			return;
		}
		if (ctx->nr_advice >= LIB_ADVICE_QUEUE) {
			advice_refuse(ctx, pm, -EBUSY);
			return;
		}
		if (!ctx->advice_started) {
			ret = -pthread_create(&ctx->advice_thread, NULL,
					      advice_main, ctx);
			if (ret) {
				advice_refuse(ctx, pm, ret);
				return;
			}
			ctx->advice_started = true;
		}
		a = malloc(sizeof(*a));
		if (!a) {
			advice_refuse(ctx, pm, -ENOMEM);
			return;
		}
		a->next = NULL;
		a->connects = ctx->connects;
		a->msg = *pm;
		for (pp = &ctx->advice; *pp; pp = &(*pp)->next)
			;
		*pp = a;
		ctx->nr_advice++;
		pthread_cond_broadcast(&ctx->cond);
		return;
	default:
		/* POOL_UNREGISTER_REPLY: nothing to do. */
		return;
	}
}

/*
 * POOL_RELEASE @a of @p on the advice thread: cxltier_pool_release()
 * without ctx->lock (held on entry and return), the answer in @reply.
 */
static void release_apply(struct cxltier *ctx, struct cxltier_pool *p,
			  const struct proto_pool_msg *a,
			  struct proto_pool_msg *reply)
{
	struct cxltier_pool_release_counts c;
	unsigned int tier = p->agent_map.tier[a->release.tier];
	int ret;

	pthread_mutex_unlock(&ctx->lock);
	ret = cxltier_pool_release(p, tier, a->release.timeout_ms, &c);
	pthread_mutex_lock(&ctx->lock);
	memset(reply, 0, offsetof(struct proto_pool_msg, res));
	reply->type = PROTO_POOL_RELEASE_REPLY;
	reply->reply_to = a->seq;
	reply->pool = a->pool;
	reply->status = ret;
	reply->counts[PROTO_POOL_MOVED] = c.moved;
	reply->counts[PROTO_POOL_STALE] = c.stale;
	/* Released: nothing was left behind (the protocol's rule). */
	if (ret)
		reply->counts[PROTO_POOL_BUSY] = c.busy;
	if (ret)
		reply->counts[PROTO_POOL_NOROOM] = c.noroom;
	if (ret)
		reply->counts[PROTO_POOL_FAILED] = c.failed;
}

/*
 * The advice thread: moves the blocks the agent advised, copy then
 * swap (pool_advice_apply(), the engine of cxltier_pool_move()), and
 * gives back the slabs it asks for (cxltier_pool_release()), without
 * ctx->lock, and answers on the connection the frame came on.
 */
static void *advice_main(void *arg)
{
	struct cxltier *ctx = arg;
	struct proto_pool_msg *reply;
	struct cxltier_pool *p;
	struct lib_advice *a;
	const char *why = NULL;
	uint32_t i, t;
	int ret;

	reply = malloc(sizeof(*reply));
	pthread_mutex_lock(&ctx->lock);
	while (!ctx->stop) {
		a = ctx->advice;
		if (!a) {
			pthread_cond_wait(&ctx->cond, &ctx->lock);
			continue;
		}
		ctx->advice = a->next;
		ctx->nr_advice--;
		p = pool_find(ctx, a->msg.pool);
		if (!p || !reply || a->connects != ctx->connects) {
			if (a->connects == ctx->connects)
				advice_refuse(ctx, &a->msg,
					      p ? -ENOMEM :
					      a->msg.type == PROTO_POOL_RELEASE ?
						  -ENOENT : -EINVAL);
			free(a);
			continue;
		}
		p->agent_busy = true;
		if (a->msg.type == PROTO_POOL_RELEASE) {
			/* Checked against this connection's map when queued. */
			release_apply(ctx, p, &a->msg, reply);
			ret = 0;
			why = NULL;
			goto answer;
		}
		/* The agent's tiers are this connection's registration's. */
		for (i = 0; i < a->msg.count; i++) {
			t = a->msg.advice[i].tier;
			a->msg.advice[i].tier = t < p->agent_map.nr_tiers ?
							p->agent_map.tier[t] :
							p->nr_tiers;
		}
		pthread_mutex_unlock(&ctx->lock);
		ret = pool_advice_apply(p, &a->msg, reply, &why);
		pthread_mutex_lock(&ctx->lock);
answer:
		p->agent_busy = false;
		pthread_cond_broadcast(&ctx->cond);
		if (a->connects == ctx->connects && ctx->sock >= 0) {
			if (ret)
				advice_refuse(ctx, &a->msg, ret);
			else {
				if (reply->status &&
				    reply->type == PROTO_ADVICE_REPLY)
					lib_log(ctx, LOG_WARNING,
						"refusing advice for pool %u: %s",
						p->id, why ? why : strerror(-reply->status));
				pool_send(ctx, reply);
			}
		}
		/* The map changed: tell the agent soon. */
		ctx->next_pool_sync_ms = 0;
		lib_wake_service(ctx);
		free(a);
	}
	pthread_mutex_unlock(&ctx->lock);
	free(reply);
	return NULL;
}

void lib_pool_forget_locked(struct cxltier *ctx, struct cxltier_pool *p)
{
	struct lib_advice *a, **pp;
	struct proto_pool_msg m;

	while (p->agent_busy)
		pthread_cond_wait(&ctx->cond, &ctx->lock);
	for (pp = &ctx->advice; (a = *pp);) {
		if (a->msg.pool != p->id) {
			pp = &a->next;
			continue;
		}
		*pp = a->next;
		ctx->nr_advice--;
		if (a->connects == ctx->connects)
			advice_refuse(ctx, &a->msg, -EINVAL);
		free(a);
	}
	if (p->agent_registered && ctx->conn == CONN_READY) {
		memset(&m, 0, sizeof(m));
		m.type = PROTO_POOL_UNREGISTER;
		m.pool = p->id;
		pool_send(ctx, &m);
	}
	p->agent_registered = false;
}

void lib_advice_stop(struct cxltier *ctx)
{
	if (!ctx->advice_started)
		return;
	pthread_mutex_lock(&ctx->lock);
	ctx->stop = true;
	pthread_cond_broadcast(&ctx->cond);
	pthread_mutex_unlock(&ctx->lock);
	pthread_join(ctx->advice_thread, NULL);
	ctx->advice_started = false;
}
