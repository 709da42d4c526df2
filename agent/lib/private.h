/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcxltier's private header: the context and buffer types shared by
 * the library's files, split along the context's two locks:
 *
 *   libcxltier.c  the public API: open, close, register, unregister,
 *                 move; application threads, which send a frame and
 *                 sleep until the service thread hands them the answer;
 *   conn.c        the connection and the service thread, everything
 *                 under ctx->lock: connect, HELLO, re-registration after
 *                 a reconnect, every frame read, the agent's PREPARE and
 *                 REPIN answered through the buffer's callbacks, the
 *                 re-pin by ourselves when the agent goes or stays silent;
 *   report.c      the report batch, under ctx->rlock only, so reporting
 *                 never waits behind the protocol.
 *
 * Locks.  ctx->lock protects the connection (socket, protocol state,
 * waiters) and every buffer's protocol state; callbacks run without it.
 * ctx->rlock protects the report batch only.  Order: rlock is never
 * taken with lock held.
 */
#ifndef CXLTIER_LIB_PRIVATE_H
#define CXLTIER_LIB_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include <linux/cxltier.h>

#include "adapter.h"
#include "kdev.h"
#include "libcxltier.h"
#include "proto.h"
#include "proto_pool.h"

#define LIB_TIMEOUT_MS_DEFAULT	10000U
#define LIB_MOVE_TIMEOUT_MS	60000U
/* Re-pin by ourselves this long after the agent's promised hold_ms. */
#define LIB_HOLD_GRACE_MS	2000U
/* Between connection attempts. */
#define LIB_RECONNECT_MS	500U
/* Reports wait at most this long in the batch. */
#define LIB_REPORT_FLUSH_MS	100U
/* A pool's changed block map is told to the agent at most this often. */
#define LIB_POOL_SYNC_MS	100U
/* ADVICE frames queued for the advice thread; more are refused (EBUSY). */
#define LIB_ADVICE_QUEUE	4
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
 * struct lib_advice - an ADVICE waiting for the advice thread
 * @next: next in the queue
 * @connects: the connection it came on (its answer goes on no other)
 * @msg: the frame
 */
struct lib_advice {
	struct lib_advice *next;
	uint64_t connects;
	struct proto_pool_msg msg;
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
 * @pools: block pools (pool.h)
 * @last_pool_id: the id given to the newest pool
 * @version: the protocol version the next HELLO proposes (2, or 1
 *	after an agent refused 2)
 * @advice: ADVICE frames queued for the advice thread
 * @nr_advice: entries in @advice
 * @advice_thread: moves the blocks of the agent's advice (started at the
 *	first ADVICE)
 * @advice_started: @advice_thread runs
 * @rx_pool: the pool frame being read (service thread)
 * @next_pool_sync_ms: when block maps are next told to the agent
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
	struct cxltier_pool *pools;
	uint32_t last_pool_id;
	uint16_t version;
	struct lib_advice *advice;
	unsigned int nr_advice;
	pthread_t advice_thread;
	bool advice_started;
	struct proto_pool_msg rx_pool[1];
	uint64_t next_pool_sync_ms;
	struct lib_waiter *waiters;
	pthread_t thread;
	int wake_fd;
	bool stop;

	pthread_mutex_t rlock;
	unsigned int nr_recs;
	uint64_t recs_since_ms;
	struct cxltier_access_record recs[LIB_REPORT_BATCH];
};

/* libcxltier.c */

/* Log through the application's logger, or stderr for warnings. */
void lib_log(struct cxltier *ctx, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Wake the service thread (its eventfd). */
void lib_wake_service(struct cxltier *ctx);

/* conn.c */

/* The service thread of context @arg. */
void *lib_service_main(void *arg);
/* Send @m on the connection (seq assigned), under ctx->lock.  0 or -errno. */
int lib_conn_send(struct cxltier *ctx, struct proto_msg *m);
/* The REGISTER message for @b, as both the first try and a reconnect send it. */
void lib_register_msg(const struct cxltier_buffer *b, struct proto_msg *m);
/*
 * Pool @p leaves the context (under ctx->lock, @p already off the
 * list): wait until the advice thread is done with it, drop its queued
 * advice, and send POOL_UNREGISTER if the agent knows it.
 */
void lib_pool_forget_locked(struct cxltier *ctx, struct cxltier_pool *p);
/* Stop and join the advice thread (cxltier_close(), after the service thread). */
void lib_advice_stop(struct cxltier *ctx);
/* Is [@off, @off + @len) whole chunks of @b (the protocol's rule)? */
bool lib_range_ok(const struct cxltier_buffer *b, uint64_t off, uint64_t len);

/* report.c */

/* Send the batch to the module, under ctx->rlock.  0 or -errno. */
int lib_flush_locked(struct cxltier *ctx);
/* Batch @count accesses to chunks [@first, @first + @nr) of range @id. */
int lib_report_chunks(struct cxltier *ctx, uint32_t id, uint64_t first,
		      uint64_t nr, uint64_t count);

#endif /* CXLTIER_LIB_PRIVATE_H */
