// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcxltier: the client side of the agent protocol, range tracking and
 * device access reports for accelerator runtimes.  See libcxltier.h,
 * libcxltier(3) and Documentation/userspace-api/agent-protocol.rst.
 *
 * Threads.  Application threads call the API; one service thread per
 * context owns the socket's life (connect, HELLO, re-registration after
 * a reconnect, close), reads every frame, answers the agent's PREPARE and
 * REPIN by calling the buffer's callbacks, re-pins by itself when the
 * agent goes away or stays silent, and flushes batched reports.  An
 * application thread that asks the agent something sends its frame and
 * sleeps until the service thread hands it the answer.
 *
 * Locks.  ctx->lock protects the connection (socket, protocol state,
 * waiters) and every buffer's protocol state; callbacks run without it.
 * ctx->rlock protects the report batch only, so reporting never waits
 * behind the protocol.  Order: rlock is never taken with lock held.
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

#include "adapter.h"
#include "clock.h"
#include "kdev.h"
#include "libcxltier.h"
#include "proto.h"

#define LIB_TIMEOUT_MS_DEFAULT	10000U
#define LIB_MOVE_TIMEOUT_MS	60000U
/* Re-pin by ourselves this long after the agent's promised hold_ms. */
#define LIB_HOLD_GRACE_MS	2000U
/* Between connection attempts. */
#define LIB_RECONNECT_MS	500U
/* Reports wait at most this long in the batch. */
#define LIB_REPORT_FLUSH_MS	100U
/* Records in the batch (the module takes up to CXLTIER_REPORT_MAX). */
#define LIB_REPORT_BATCH	256

/* Connection states. */
enum lib_conn {
	CONN_DOWN,	/* no socket; retry at next_connect_ms */
	CONN_HELLO,	/* HELLO sent, waiting for HELLO_REPLY */
	CONN_READY,	/* talking */
};

/**
 * struct lib_waiter - an application thread waiting for an answer
 * @next: next waiter
 * @seq: the frame it sent
 * @done: the answer (or the connection's end) arrived
 * @reply: the answer
 * @err: 0, or -ECONNRESET if the connection ended first
 */
struct lib_waiter {
	struct lib_waiter *next;
	uint32_t seq;
	bool done;
	struct proto_msg reply;
	int err;
};

/**
 * struct cxltier_buffer - a registered buffer
 * @ctx: its context
 * @next: next buffer of the context
 * @id: the module's range id
 * @nr_chunks: chunks in the module's range
 * @label: label as registered
 * @adapter: who pins
 * @pin: the adapter's view of the buffer
 * @release: application callback
 * @repin: application callback
 * @priv: for the callbacks
 *
 * Protocol state, under ctx->lock:
 * @registered: the agent accepted REGISTER on the current connection
 * @reg_seq: a REGISTER for it awaits its answer (0: none)
 * @closing: cxltier_unregister() is under way; refuse PREPARE
 * @busy: a handshake holds (or is releasing) @held
 * @held: the range given up to the agent
 * @released_seq: our RELEASED (status 0) that awaits REPIN, 0 if none
 * @deadline_ms: when to re-pin by ourselves (monotonic ms)
 */
struct cxltier_buffer {
	struct cxltier *ctx;
	struct cxltier_buffer *next;
	uint32_t id;
	uint32_t nr_chunks;
	char label[PROTO_LABEL_LEN];
	const struct lib_adapter *adapter;
	struct lib_pin pin;
	cxltier_range_fn release;
	cxltier_range_fn repin;
	void *priv;

	bool registered;
	uint32_t reg_seq;
	bool closing;
	bool busy;
	struct cxltier_range held;
	uint32_t released_seq;
	uint64_t deadline_ms;
};

/**
 * struct cxltier - a context
 * @lock: see the top of this file
 * @cond: signalled when an answer arrives, a handshake ends, or the
 *	connection changes state
 * @kdev: the module
 * @socket_path: the agent's socket
 * @flags: CXLTIER_OPEN_*
 * @timeout_ms: answers' timeout
 * @log: logger
 * @log_priv: for @log
 * @sock: the connection, -1 when down
 * @conn: connection state
 * @peer: protocol state of the connection
 * @connects: connections made so far (a new one changes it)
 * @hello_deadline_ms: give up on HELLO_REPLY then
 * @next_connect_ms: next connection attempt
 * @connect_err: result of the last attempt (0 once ready)
 * @broken: an application thread timed out: the service thread must
 *	close the connection
 * @buffers: registered buffers
 * @waiters: application threads waiting for answers
 * @thread: the service thread
 * @wake_fd: eventfd that wakes the service thread
 * @stop: the service thread must exit
 * @rlock: protects the report batch
 * @nr_recs: records in @recs
 * @recs_since_ms: when the oldest record of the batch was added
 * @recs: the report batch
 */
struct cxltier {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct kdev kdev;
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned int flags;
	unsigned int timeout_ms;
	void (*log)(void *log_priv, int priority, const char *msg);
	void *log_priv;

	int sock;
	enum lib_conn conn;
	struct proto_peer peer;
	uint64_t connects;
	uint64_t hello_deadline_ms;
	uint64_t next_connect_ms;
	int connect_err;
	bool broken;
	struct cxltier_buffer *buffers;
	struct lib_waiter *waiters;
	pthread_t thread;
	int wake_fd;
	bool stop;

	pthread_mutex_t rlock;
	unsigned int nr_recs;
	uint64_t recs_since_ms;
	struct cxltier_access_record recs[LIB_REPORT_BATCH];
};

__attribute__((format(printf, 3, 4)))
static void lib_log(struct cxltier *ctx, int prio, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx->log)
		ctx->log(ctx->log_priv, prio, msg);
	else if (prio <= LOG_WARNING || getenv("CXLTIER_DEBUG"))
		fprintf(stderr, "libcxltier[%d]: %s\n", (int)getpid(), msg);
}

static void wake_service(struct cxltier *ctx)
{
	uint64_t one = 1;

	if (write(ctx->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is saturated: the thread is awake anyway. */
	}
}

/* --- connection, under ctx->lock, service thread only ------------------ */

static void buf_repin_locked(struct cxltier *ctx, struct cxltier_buffer *b,
			     uint32_t ack_to);

/* Close the connection: re-pin whatever the agent holds, fail waiters. */
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

static int conn_send(struct cxltier *ctx, struct proto_msg *m)
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
		wake_service(ctx);
	}
	return ret;
}

/* Send REGISTER for @b; its answer is handled by the service thread. */
static int buf_send_register(struct cxltier *ctx, struct cxltier_buffer *b)
{
	struct proto_msg m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_REGISTER;
	m.buffer = b->id;
	m.addr = b->pin.addr;
	m.length = b->pin.length;
	m.chunk_size = b->pin.chunk_size;
	memcpy(m.label, b->label, sizeof(m.label));
	ret = conn_send(ctx, &m);
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
	ret = conn_send(ctx, &m);
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
		conn_send(ctx, &m);
	}
	b->busy = false;
	b->released_seq = 0;
	pthread_cond_broadcast(&ctx->cond);
}

/* Is [@off, @off + @len) whole chunks of @b (the protocol's rule)? */
static bool range_ok(const struct cxltier_buffer *b, uint64_t off, uint64_t len)
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
	else if (!range_ok(b, m->addr, m->length))
		ret = -EINVAL;
	if (ret) {
		lib_log(ctx, LOG_WARNING, "refusing PREPARE of buffer %u: %s",
			m->buffer, strerror(-ret));
		r.status = ret;
		conn_send(ctx, &r);
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
	if (ctx->connects != connects || conn_send(ctx, &r)) {
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
static void conn_read(struct cxltier *ctx)
{
	struct proto_msg m;
	const char *why = NULL;
	int ret;

	while (ctx->sock >= 0 && !ctx->broken) {
		ret = proto_recv(ctx->sock, &ctx->peer, &m, NULL, &why);
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

/* --- reports ------------------------------------------------------------- */

/* Send the batch; called with ctx->rlock held. */
static int flush_locked(struct cxltier *ctx)
{
	uint32_t bad = 0;
	int ret;

	if (!ctx->nr_recs)
		return 0;
	ret = kdev_report(&ctx->kdev, ctx->recs, ctx->nr_recs, &bad);
	if (ret)
		lib_log(ctx, LOG_WARNING,
			"%u access reports dropped: %s (record %u)",
			ctx->nr_recs, strerror(-ret), bad);
	ctx->nr_recs = 0;
	return ret;
}

int cxltier_flush(struct cxltier *ctx)
{
	int ret;

	pthread_mutex_lock(&ctx->rlock);
	ret = flush_locked(ctx);
	pthread_mutex_unlock(&ctx->rlock);
	return ret;
}

int cxltier_report(struct cxltier_buffer *buf, uint64_t offset,
		   uint64_t length, uint64_t count)
{
	struct cxltier *ctx = buf->ctx;
	struct cxltier_access_record *r;
	uint64_t first, last;
	int ret = 0;

	if (!length || !count || offset >= buf->pin.length ||
	    length > buf->pin.length - offset)
		return -EINVAL;
	first = offset / buf->pin.chunk_size;
	last = (offset + length - 1) / buf->pin.chunk_size;

	pthread_mutex_lock(&ctx->rlock);
	r = ctx->nr_recs ? &ctx->recs[ctx->nr_recs - 1] : NULL;
	if (r && r->id == buf->id && r->first_chunk == first &&
	    r->nr_chunks == last - first + 1 && r->count <= UINT64_MAX - count) {
		r->count += count;
	} else {
		if (ctx->nr_recs == LIB_REPORT_BATCH)
			ret = flush_locked(ctx);
		if (!ctx->nr_recs)
			ctx->recs_since_ms = clock_now_ms();
		r = &ctx->recs[ctx->nr_recs++];
		r->id = buf->id;
		r->nr_chunks = (uint32_t)(last - first + 1);
		r->first_chunk = first;
		r->count = count;
	}
	pthread_mutex_unlock(&ctx->rlock);
	return ret;
}

/* --- the service thread -------------------------------------------------- */

static void *service_main(void *arg)
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
			flush_locked(ctx);
		pthread_mutex_unlock(&ctx->rlock);

		pthread_mutex_lock(&ctx->lock);
		if (nfds == 2 && pfd[1].revents && ctx->sock == pfd[1].fd)
			conn_read(ctx);
	}
	conn_close(ctx, "closing");
	pthread_mutex_unlock(&ctx->lock);
	return NULL;
}

/* --- requests from application threads ----------------------------------- */

/*
 * Send @m and wait up to @timeout_ms for its answer into *@reply.
 * Called with ctx->lock held.  Return: 0 (the answer's status is the
 * caller's to read), -ENOTCONN, -ECONNRESET, -ETIMEDOUT, a send error.
 */
static int request_locked(struct cxltier *ctx, struct proto_msg *m,
			  struct proto_msg *reply, unsigned int timeout_ms,
			  uint32_t *reg_seq)
{
	struct lib_waiter w, **pp;
	struct timespec ts;
	int ret = 0;

	if (ctx->conn != CONN_READY)
		return -ENOTCONN;
	ret = conn_send(ctx, m);
	if (ret)
		return ret;
	/* For REGISTER: the service thread marks the buffer registered. */
	if (reg_seq)
		*reg_seq = m->seq;
	memset(&w, 0, sizeof(w));
	w.seq = m->seq;
	w.next = ctx->waiters;
	ctx->waiters = &w;

	ts = clock_deadline(timeout_ms);
	while (!w.done && !ret)
		ret = pthread_cond_timedwait(&ctx->cond, &ctx->lock, &ts);

	for (pp = &ctx->waiters; *pp; pp = &(*pp)->next)
		if (*pp == &w) {
			*pp = w.next;
			break;
		}
	if (w.done) {
		*reply = w.reply;
		return w.err;
	}
	lib_log(ctx, LOG_ERR, "no answer to %s from cxltierd in %u ms",
		proto_type_name(m->type), timeout_ms);
	/* An answer may still come: the protocol says close. */
	ctx->broken = true;
	wake_service(ctx);
	return -ETIMEDOUT;
}

/* Wait until the service thread has tried to connect once. */
static int wait_connected(struct cxltier *ctx)
{
	struct timespec ts;
	int ret = 0;

	ts = clock_deadline(((uint64_t)ctx->timeout_ms / 1000 + 1) * 1000);
	pthread_mutex_lock(&ctx->lock);
	while (ctx->conn != CONN_READY && !ret &&
	       (ctx->conn == CONN_HELLO || !ctx->connect_err))
		ret = pthread_cond_timedwait(&ctx->cond, &ctx->lock, &ts);
	if (ctx->conn == CONN_READY)
		ret = 0;
	else if (ctx->connect_err)
		ret = ctx->connect_err;
	else
		ret = -ETIMEDOUT;
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

int cxltier_open(const struct cxltier_options *opts, struct cxltier **ctxp)
{
	struct cxltier_options o;
	struct cxltier *ctx;
	const char *path;
	int ret;

	memset(&o, 0, sizeof(o));
	if (opts) {
		if (opts->size < sizeof(size_t) || opts->size > 4096)
			return -EINVAL;
		memcpy(&o, opts, opts->size < sizeof(o) ? opts->size : sizeof(o));
		if (opts->size > sizeof(o)) {
			const char *p = (const char *)opts;
			size_t i;

			for (i = sizeof(o); i < opts->size; i++)
				if (p[i])
					return -E2BIG;
		}
		if (o.flags & ~CXLTIER_OPEN_NO_AGENT)
			return -EINVAL;
	}
	path = o.socket_path ? o.socket_path : getenv("CXLTIER_SOCKET");
	if (!path || !*path)
		path = PROTO_SOCKET_PATH;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	if (strlen(path) >= sizeof(ctx->socket_path)) {
		free(ctx);
		return -ENAMETOOLONG;
	}
	strcpy(ctx->socket_path, path);
	ctx->flags = o.flags;
	ctx->timeout_ms = o.timeout_ms ? o.timeout_ms : LIB_TIMEOUT_MS_DEFAULT;
	ctx->log = o.log;
	ctx->log_priv = o.log_priv;
	ctx->sock = -1;
	ctx->conn = CONN_DOWN;

	ret = kdev_open(&ctx->kdev, o.device_path);
	if (ret) {
		lib_log(ctx, LOG_ERR, "%s: %s",
			o.device_path ? o.device_path : CXLTIER_DEV_PATH,
			strerror(-ret));
		goto err_free;
	}
	if (!kdev_has_ioctl(&ctx->kdev, CXLTIER_IOC_TRACK) ||
	    !kdev_has_ioctl(&ctx->kdev, CXLTIER_IOC_REPORT)) {
		lib_log(ctx, LOG_ERR, "cxltier.ko does not track buffers");
		ret = -EOPNOTSUPP;
		goto err_kdev;
	}
	ctx->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ctx->wake_fd < 0) {
		ret = -errno;
		goto err_kdev;
	}
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_mutex_init(&ctx->rlock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&ctx->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	ret = -pthread_create(&ctx->thread, NULL, service_main, ctx);
	if (ret)
		goto err_sync;

	ret = wait_connected(ctx);
	if (ret && !(ctx->flags & CXLTIER_OPEN_NO_AGENT)) {
		lib_log(ctx, LOG_ERR, "cannot connect to cxltierd at %s: %s",
			ctx->socket_path, strerror(-ret));
		cxltier_close(ctx);
		return ret;
	}
	*ctxp = ctx;
	return 0;

err_sync:
	pthread_cond_destroy(&ctx->cond);
	pthread_mutex_destroy(&ctx->rlock);
	pthread_mutex_destroy(&ctx->lock);
	close(ctx->wake_fd);
err_kdev:
	kdev_close(&ctx->kdev);
err_free:
	free(ctx);
	return ret;
}

int cxltier_connected(struct cxltier *ctx)
{
	int ret;

	pthread_mutex_lock(&ctx->lock);
	ret = ctx->conn == CONN_READY;
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

void cxltier_close(struct cxltier *ctx)
{
	if (!ctx)
		return;
	while (ctx->buffers)
		cxltier_unregister(ctx->buffers);
	pthread_mutex_lock(&ctx->lock);
	ctx->stop = true;
	pthread_mutex_unlock(&ctx->lock);
	wake_service(ctx);
	pthread_join(ctx->thread, NULL);
	cxltier_flush(ctx);
	pthread_cond_destroy(&ctx->cond);
	pthread_mutex_destroy(&ctx->rlock);
	pthread_mutex_destroy(&ctx->lock);
	close(ctx->wake_fd);
	kdev_close(&ctx->kdev);
	free(ctx);
}

/* --- buffers ------------------------------------------------------------- */

static int desc_check(const struct cxltier_buffer_desc *d, char *label)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t cs = d->chunk_size ? d->chunk_size : CXLTIER_CHUNK_DEFAULT;
	uintptr_t a = (uintptr_t)d->addr;
	size_t i, n;

	if (!a || a % (uintptr_t)page || !d->length ||
	    d->length % (size_t)page || a + d->length < a)
		return -EINVAL;
	if (cs & (cs - 1) || cs < CXLTIER_CHUNK_MIN || cs > CXLTIER_CHUNK_MAX)
		return -EINVAL;
	if (d->sources & ~(CXLTIER_BUF_SRC_CPU | CXLTIER_BUF_SRC_DEVICE))
		return -EINVAL;
	memset(label, 0, PROTO_LABEL_LEN);
	if (d->label) {
		n = strlen(d->label);
		if (n >= PROTO_LABEL_LEN)
			return -ENAMETOOLONG;
		for (i = 0; i < n; i++)
			if (d->label[i] < 0x20 || d->label[i] > 0x7e)
				return -EINVAL;
		memcpy(label, d->label, n);
	}
	return 0;
}

int cxltier_register(struct cxltier *ctx, const struct cxltier_buffer_desc *desc,
		     struct cxltier_buffer **bufp)
{
	struct cxltier_buffer_desc d;
	struct cxltier_buffer *b, **pp;
	struct proto_msg m, reply;
	char why[256] = "";
	int ret;

	if (!desc || desc->size < offsetof(struct cxltier_buffer_desc, priv) ||
	    desc->size > sizeof(d))
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	memcpy(&d, desc, desc->size);

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	ret = desc_check(&d, b->label);
	if (ret)
		goto err_free;
	b->adapter = lib_adapter_find(d.adapter);
	if (!b->adapter) {
		lib_log(ctx, LOG_ERR, "unknown adapter \"%s\"", d.adapter);
		ret = -EINVAL;
		goto err_free;
	}
	/* Adapter "none": the application pins, both callbacks are needed. */
	if (!b->adapter->attach && (!d.release || !d.repin)) {
		ret = -EINVAL;
		goto err_free;
	}
	b->ctx = ctx;
	b->pin.addr = (uintptr_t)d.addr;
	b->pin.length = d.length;
	b->pin.chunk_size = d.chunk_size ? d.chunk_size : CXLTIER_CHUNK_DEFAULT;
	b->release = d.release;
	b->repin = d.repin;
	b->priv = d.priv;

	if (b->adapter->attach) {
		ret = b->adapter->attach(&b->pin, d.adapter_arg, why,
					 sizeof(why));
		if (ret) {
			lib_log(ctx, LOG_ERR, "adapter %s: %s", b->adapter->name,
				why[0] ? why : strerror(-ret));
			goto err_free;
		}
	}
	ret = kdev_track(&ctx->kdev, 0, b->pin.addr, b->pin.length,
			 b->pin.chunk_size,
			 d.sources ? d.sources : CXLTIER_SRC_ALL, b->label,
			 &b->id, &b->nr_chunks);
	if (ret) {
		lib_log(ctx, LOG_ERR, "cannot track [%#llx, +%#llx): %s",
			(unsigned long long)b->pin.addr,
			(unsigned long long)b->pin.length, strerror(-ret));
		goto err_detach;
	}

	pthread_mutex_lock(&ctx->lock);
	b->next = ctx->buffers;
	ctx->buffers = b;
	if (ctx->conn == CONN_READY) {
		memset(&m, 0, sizeof(m));
		m.type = PROTO_REGISTER;
		m.buffer = b->id;
		m.addr = b->pin.addr;
		m.length = b->pin.length;
		m.chunk_size = b->pin.chunk_size;
		memcpy(m.label, b->label, sizeof(m.label));
		ret = request_locked(ctx, &m, &reply, ctx->timeout_ms,
				     &b->reg_seq);
		if (!ret)
			ret = reply.status;
		else if (ret == -ECONNRESET || ret == -ENOTCONN)
			ret = 0; /* registered when the agent is back */
	}
	if (ret) {
		for (pp = &ctx->buffers; *pp; pp = &(*pp)->next)
			if (*pp == b) {
				*pp = b->next;
				break;
			}
		pthread_mutex_unlock(&ctx->lock);
		lib_log(ctx, LOG_ERR, "cxltierd refused buffer %u: %s", b->id,
			strerror(-ret));
		goto err_untrack;
	}
	pthread_mutex_unlock(&ctx->lock);
	*bufp = b;
	return 0;

err_untrack:
	kdev_untrack(&ctx->kdev, b->id);
err_detach:
	if (b->adapter->detach)
		b->adapter->detach(&b->pin);
err_free:
	free(b);
	return ret;
}

int cxltier_unregister(struct cxltier_buffer *b)
{
	struct cxltier *ctx = b->ctx;
	struct cxltier_buffer **pp;
	struct proto_msg m, reply;
	int ret = 0;

	pthread_mutex_lock(&ctx->lock);
	b->closing = true;
	while (b->busy)
		pthread_cond_wait(&ctx->cond, &ctx->lock);
	if (b->registered && ctx->conn == CONN_READY) {
		memset(&m, 0, sizeof(m));
		m.type = PROTO_UNREGISTER;
		m.buffer = b->id;
		ret = request_locked(ctx, &m, &reply, ctx->timeout_ms, NULL);
		if (!ret)
			ret = reply.status;
		if (ret)
			lib_log(ctx, LOG_WARNING,
				"cxltierd did not unregister buffer %u: %s",
				b->id, strerror(-ret));
	}
	for (pp = &ctx->buffers; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	pthread_mutex_unlock(&ctx->lock);

	/* Reports naming this range must reach the module before it goes. */
	cxltier_flush(ctx);
	kdev_untrack(&ctx->kdev, b->id);
	if (b->adapter->detach)
		b->adapter->detach(&b->pin);
	free(b);
	return 0;
}

uint32_t cxltier_buffer_id(const struct cxltier_buffer *buf)
{
	return buf->id;
}

int cxltier_buffer_handle(const struct cxltier_buffer *buf, uint64_t *handle)
{
	if (!buf->pin.has_handle)
		return -ENOENT;
	*handle = buf->pin.handle;
	return 0;
}

int cxltier_move(struct cxltier_buffer *b, uint64_t offset, uint64_t length,
		 int node, uint64_t *moved)
{
	struct cxltier *ctx = b->ctx;
	struct proto_msg m, reply;
	int ret;

	if (node < 0 || node >= PROTO_MAX_NODES || !range_ok(b, offset, length))
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.type = PROTO_MOVE;
	m.buffer = b->id;
	m.addr = offset;
	m.length = length;
	m.node = node;
	pthread_mutex_lock(&ctx->lock);
	ret = request_locked(ctx, &m, &reply, LIB_MOVE_TIMEOUT_MS, NULL);
	pthread_mutex_unlock(&ctx->lock);
	if (ret == -ECONNRESET)
		ret = -ENOTCONN;
	if (ret)
		return ret;
	if (moved)
		*moved = reply.length;
	return reply.status;
}

int cxltier_adapter_probe(const char *name, char *why, size_t len)
{
	const struct lib_adapter *a = lib_adapter_find(name);

	if (why && len)
		why[0] = '\0';
	if (!a) {
		if (why && len)
			snprintf(why, len, "unknown adapter \"%s\"", name);
		return -ENOENT;
	}
	return a->probe(why, len);
}

const char *cxltier_version(void)
{
	return CXLTIER_VERSION;
}
