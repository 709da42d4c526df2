// SPDX-License-Identifier: GPL-2.0
/*
 * testbed: a pool of chunks pinned by the fake accelerator and registered
 * with libcxltier, as an accelerator runtime's would be.  The agent moves
 * a chunk through the handshake: the library calls release (the device
 * must stay off the range: the pool marks it released under its lock,
 * which waits for a device access in progress), the adapter unpins it,
 * the agent moves it, the adapter re-pins it, and the library calls
 * repin (the pool marks it pinned again and counts the handshake).  The
 * pool's user adds its checks and markers through struct tb_pool_ops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/cxltier_test_accel.h>

#include "libcxltier.h"
#include "testbed.h"

int tb_pool_init(struct tb_pool *p, uint32_t nr_chunks, uint64_t chunk,
		 unsigned int map_flags)
{
	memset(p, 0, sizeof(*p));
	p->accel = -1;
	pthread_mutex_init(&p->lock, NULL);
	if (!nr_chunks || !chunk || chunk & (chunk - 1))
		return -EINVAL;
	p->chunk = chunk;
	p->nr_chunks = nr_chunks;
	p->bytes = (size_t)nr_chunks * chunk;
	p->released = calloc(nr_chunks, sizeof(*p->released));
	if (!p->released)
		return -ENOMEM;
	/* Chunk-aligned, so that a chunk can be one huge page. */
	p->base = tb_map(p->bytes, chunk, map_flags);
	if (!p->base) {
		int e = errno;

		free(p->released);
		p->released = NULL;
		return -e;
	}
	return 0;
}

static void range_chunks(const struct tb_pool *p, const struct cxltier_range *r,
			 uint32_t *first, uint32_t *end)
{
	uint64_t e = (r->offset + r->length + p->chunk - 1) / p->chunk;

	*first = (uint32_t)(r->offset / p->chunk);
	*end = e < p->nr_chunks ? (uint32_t)e : p->nr_chunks;
}

static int on_release(struct cxltier_buffer *b, const struct cxltier_range *r, void *priv)
{
	struct tb_pool *p = priv;
	uint32_t c, first, end;

	range_chunks(p, r, &first, &end);
	/* Taking the lock waits for a device access in progress. */
	pthread_mutex_lock(&p->lock);
	for (c = first; c < end; c++)
		p->released[c] = true;
	if (p->ops && p->ops->released)
		p->ops->released(p, first, end);
	pthread_mutex_unlock(&p->lock);
	if (p->ops && p->ops->release_done)
		p->ops->release_done(p, first, end);
	return 0;
}

static int on_repin(struct cxltier_buffer *b, const struct cxltier_range *r, void *priv)
{
	struct tb_pool *p = priv;
	uint32_t c, first, end;

	range_chunks(p, r, &first, &end);
	if (p->ops && p->ops->repin_begin)
		p->ops->repin_begin(p, first, end);
	pthread_mutex_lock(&p->lock);
	if (p->ops && p->ops->repinned)
		p->ops->repinned(p, first, end);
	for (c = first; c < end; c++)
		p->released[c] = false;
	p->handshakes++;
	pthread_mutex_unlock(&p->lock);
	if (p->ops && p->ops->repin_done)
		p->ops->repin_done(p, first, end);
	return 0;
}

int tb_pool_register(struct tb_pool *p, const struct tb_pool_reg *r, char *err,
		     size_t errlen)
{
	struct cxltier_buffer_desc d;
	struct cxltier_options co;
	char arg[32];
	uint64_t h;
	int rc;

	if (p->accel < 0) {
		p->accel = tb_accel_open(0);
		if (p->accel < 0) {
			rc = p->accel;
			snprintf(err, errlen, "%s: %s", TB_ACCEL_DEV, strerror(-rc));
			return rc;
		}
	}
	memset(&co, 0, sizeof(co));
	co.size = sizeof(co);
	co.socket_path = r->socket;
	co.flags = r->open_flags;
	co.log = r->log;
	rc = cxltier_open(&co, &p->ctx);
	if (rc) {
		snprintf(err, errlen, "cannot connect to the agent: %s", strerror(-rc));
		return rc;
	}
	snprintf(arg, sizeof(arg), "fd=%d", p->accel);
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.addr = p->base;
	d.length = p->bytes;
	d.label = r->label;
	d.chunk_size = p->chunk;
	d.sources = r->sources;
	d.adapter = "test-accel";
	d.adapter_arg = arg;
	d.release = on_release;
	d.repin = on_repin;
	d.priv = p;
	rc = cxltier_register(p->ctx, &d, &p->buf);
	if (rc) {
		snprintf(err, errlen, "cannot register the pool: %s", strerror(-rc));
		return rc;
	}
	if (cxltier_buffer_handle(p->buf, &h)) {
		snprintf(err, errlen, "the pool has no accelerator handle");
		return -EIO;
	}
	p->handle = (uint32_t)h;
	return 0;
}

int tb_pool_unregister(struct tb_pool *p)
{
	int rc = 0;

	if (p->buf)
		rc = cxltier_unregister(p->buf);
	p->buf = NULL;
	if (p->ctx)
		cxltier_close(p->ctx);
	p->ctx = NULL;
	return rc;
}

void tb_pool_destroy(struct tb_pool *p)
{
	tb_pool_unregister(p);
	if (p->accel >= 0)
		close(p->accel);
	p->accel = -1;
	tb_unmap(p->base, p->bytes);
	p->base = NULL;
	free(p->released);
	p->released = NULL;
}

int tb_pool_dma(const struct tb_pool *p, uint32_t c, uint64_t off, uint64_t len,
		uint32_t flags, uint32_t report_count, uint64_t *checksum)
{
	return tb_accel_dma(p->accel, p->handle, (uint64_t)c * p->chunk + off, len, flags,
			    report_count, checksum, NULL);
}

int tb_pool_node(const struct tb_pool *p, uint32_t c, int *node, unsigned int *pinned)
{
	uint64_t npages = p->chunk / 4096;

	return tb_accel_node(p->accel, p->handle, (uint64_t)c * npages, (uint32_t)npages,
			     node, pinned);
}
