// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcxltier: the client side of the agent protocol, range tracking and
 * device access reports for accelerator runtimes.  See libcxltier.h,
 * libcxltier(3) and Documentation/userspace-api/agent-protocol.rst.
 *
 * This file is the public API, called by application threads; the
 * connection and its service thread are conn.c, the report batch
 * report.c, and private.h says which lock covers what.
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
#include "private.h"

void lib_log(struct cxltier *ctx, int prio, const char *fmt, ...)
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

void lib_wake_service(struct cxltier *ctx)
{
	uint64_t one = 1;

	if (write(ctx->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is saturated: the thread is awake anyway. */
	}
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
	ret = lib_conn_send(ctx, m);
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
	lib_wake_service(ctx);
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
	ctx->version = PROTO_VERSION;
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
	ret = -pthread_create(&ctx->thread, NULL, lib_service_main, ctx);
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
	while (ctx->pools)
		cxltier_pool_destroy(ctx->pools);
	while (ctx->buffers)
		cxltier_unregister(ctx->buffers);
	pthread_mutex_lock(&ctx->lock);
	ctx->stop = true;
	pthread_mutex_unlock(&ctx->lock);
	lib_wake_service(ctx);
	pthread_join(ctx->thread, NULL);
	lib_advice_stop(ctx);
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
		lib_register_msg(b, &m);
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

	if (node < 0 || node >= PROTO_MAX_NODES || !lib_range_ok(b, offset, length))
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
