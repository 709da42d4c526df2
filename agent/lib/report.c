// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcxltier: device access reports, batched under ctx->rlock and sent
 * to the module when the batch fills or grows old.  See private.h.
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

/* --- reports ------------------------------------------------------------- */

/* Send the batch; called with ctx->rlock held. */
int lib_flush_locked(struct cxltier *ctx)
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
	ret = lib_flush_locked(ctx);
	pthread_mutex_unlock(&ctx->rlock);
	return ret;
}

int lib_report_chunks(struct cxltier *ctx, uint32_t id, uint64_t first,
		      uint64_t nr, uint64_t count)
{
	struct cxltier_access_record *r;
	int ret = 0;

	pthread_mutex_lock(&ctx->rlock);
	r = ctx->nr_recs ? &ctx->recs[ctx->nr_recs - 1] : NULL;
	if (r && r->id == id && r->first_chunk == first &&
	    r->nr_chunks == nr && r->count <= UINT64_MAX - count) {
		r->count += count;
	} else {
		if (ctx->nr_recs == LIB_REPORT_BATCH)
			ret = lib_flush_locked(ctx);
		if (!ctx->nr_recs)
			ctx->recs_since_ms = clock_now_ms();
		r = &ctx->recs[ctx->nr_recs++];
		r->id = id;
		r->nr_chunks = (uint32_t)nr;
		r->first_chunk = first;
		r->count = count;
	}
	pthread_mutex_unlock(&ctx->rlock);
	return ret;
}

int cxltier_report(struct cxltier_buffer *buf, uint64_t offset,
		   uint64_t length, uint64_t count)
{
	uint64_t first, last;

	if (!length || !count || offset >= buf->pin.length ||
	    length > buf->pin.length - offset)
		return -EINVAL;
	first = offset / buf->pin.chunk_size;
	last = (offset + length - 1) / buf->pin.chunk_size;
	return lib_report_chunks(buf->ctx, buf->id, first, last - first + 1,
				 count);
}
