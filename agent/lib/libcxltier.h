/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcxltier: lets an accelerator runtime's pinned buffers move between
 * DRAM and CXL memory under cxltierd's control.  Installed as
 * <cxltier/libcxltier.h>; link with -lcxltier.  See libcxltier(3).
 *
 * A runtime opens a context, registers each pinned buffer with two
 * callbacks, release(range) and repin(range), and reports its device's
 * accesses.  When cxltierd decides to move part of a buffer, the
 * library's service thread calls release() on exactly that range, lets
 * the agent move the pages, then calls repin().  If the agent dies in
 * between, the library re-pins by itself.
 *
 * Every function returns 0 or a negative errno unless it says otherwise,
 * and is safe to call from several threads at once.  Callbacks run in the
 * library's service thread: they must not call cxltier_unregister() or
 * cxltier_close(), and should return quickly (the agent waits 2 s).
 */
#ifndef CXLTIER_LIBCXLTIER_H
#define CXLTIER_LIBCXLTIER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A connection to the module and the agent. */
struct cxltier;
/* A registered buffer. */
struct cxltier_buffer;

/**
 * struct cxltier_range - part of a buffer
 * @offset: bytes from the start of the buffer (a chunk boundary)
 * @length: bytes (whole chunks, except at the end of the buffer)
 */
struct cxltier_range {
	uint64_t offset;
	uint64_t length;
};

/* cxltier_options.flags */
#define CXLTIER_OPEN_NO_AGENT	(1U << 0) /* succeed without a running agent:
					   * connect when it starts */

/**
 * struct cxltier_options - how to connect (all fields may be 0 / NULL)
 * @size: sizeof(struct cxltier_options), so the struct can grow
 * @flags: CXLTIER_OPEN_*
 * @socket_path: the agent's socket; NULL: $CXLTIER_SOCKET, else
 *	/run/cxltier/cxltierd.sock
 * @device_path: the module's device; NULL: /dev/cxltier
 * @timeout_ms: how long to wait for the agent's answers; 0: 10000
 * @log: called for each message the library logs (@priority as
 *	syslog(3)); NULL: warnings and errors to stderr, everything with
 *	$CXLTIER_DEBUG set
 * @log_priv: passed to @log
 */
struct cxltier_options {
	size_t size;
	unsigned int flags;
	const char *socket_path;
	const char *device_path;
	unsigned int timeout_ms;
	void (*log)(void *log_priv, int priority, const char *msg);
	void *log_priv;
};

/*
 * Open /dev/cxltier and connect to the agent (unless CXLTIER_OPEN_NO_AGENT
 * lets the connection come later).  @opts may be NULL.
 * Errors: the module's (-ENOENT: not loaded), -ECONNREFUSED / -ENOENT
 * (no agent), -EPROTONOSUPPORT (agent too new or old), -ETIMEDOUT.
 */
int cxltier_open(const struct cxltier_options *opts, struct cxltier **ctx);

/* Unregister every buffer still registered, disconnect, free @ctx. */
void cxltier_close(struct cxltier *ctx);

/* Is @ctx connected to the agent right now?  1 or 0. */
int cxltier_connected(struct cxltier *ctx);

/*
 * Callbacks of a buffer.  release(): stop the device's access to @r and,
 * with adapter "none", drop the pin on exactly @r.  repin(): with adapter
 * "none", pin @r again; then let the device use it.  With another
 * adapter, the adapter drops and takes the pins (after release(), before
 * repin()) and the callbacks only quiesce and resume; either may then be
 * NULL.  Return 0 or a negative errno (release: the pin is kept and the
 * range is not moved).
 */
typedef int (*cxltier_range_fn)(struct cxltier_buffer *buf,
				const struct cxltier_range *r, void *priv);

/* cxltier_buffer_desc.sources (as the module's CXLTIER_SRC_*). */
#define CXLTIER_BUF_SRC_CPU	(1U << 0) /* the CPU's Accessed bits */
#define CXLTIER_BUF_SRC_DEVICE	(1U << 1) /* cxltier_report() */

/**
 * struct cxltier_buffer_desc - a buffer to register
 * @size: sizeof(struct cxltier_buffer_desc)
 * @addr: start, page aligned
 * @length: bytes, a multiple of the page size
 * @label: what the buffer is ("kv-cache"), at most 31 printable
 *	characters; the agent's classes match it.  May be NULL
 * @chunk_size: unit of heat and of migration, a power of two from 64 KiB
 *	to 1 GiB; 0: 2 MiB
 * @sources: CXLTIER_BUF_SRC_*; 0: both
 * @adapter: who pins: NULL or "none" (the application, in its
 *	callbacks), "test-accel" (cxltier's fake accelerator),
 *	"cuda" (cudaHostRegister through the CUDA runtime)
 * @adapter_arg: adapter option: test-accel: its device (NULL:
 *	/dev/cxltier_test_accel); others: NULL
 * @release: see cxltier_range_fn
 * @repin: see cxltier_range_fn
 * @priv: passed to the callbacks
 */
struct cxltier_buffer_desc {
	size_t size;
	void *addr;
	size_t length;
	const char *label;
	size_t chunk_size;
	unsigned int sources;
	const char *adapter;
	const char *adapter_arg;
	cxltier_range_fn release;
	cxltier_range_fn repin;
	void *priv;
};

/*
 * Register a buffer: the adapter pins it, the module tracks it, the
 * agent is told (now, or when it connects).  Errors: -EINVAL (bad
 * descriptor), -ENODEV (adapter not usable here: see
 * cxltier_adapter_probe()), the module's, the agent's (-EPERM, ...).
 */
int cxltier_register(struct cxltier *ctx,
		     const struct cxltier_buffer_desc *desc,
		     struct cxltier_buffer **buf);

/*
 * Unregister and free @buf: waits for a migration of it in progress,
 * tells the agent, stops tracking, and (adapters) unpins it.
 */
int cxltier_unregister(struct cxltier_buffer *buf);

/* The buffer's id (the module's range id), for logs and cxltierctl. */
uint32_t cxltier_buffer_id(const struct cxltier_buffer *buf);

/*
 * The adapter's handle of the pinned buffer (test-accel: the fake
 * accelerator's pin handle for its DMA calls).  -ENOENT without one.
 */
int cxltier_buffer_handle(const struct cxltier_buffer *buf, uint64_t *handle);

/*
 * Report @count device accesses to each chunk of [@offset, @offset +
 * @length).  Cheap: batched in memory, sent to the module (no agent
 * round trip) when the batch fills, every 100 ms, or on cxltier_flush().
 */
int cxltier_report(struct cxltier_buffer *buf, uint64_t offset,
		   uint64_t length, uint64_t count);

/* Send the batched reports now. */
int cxltier_flush(struct cxltier *ctx);

/*
 * Ask the agent to move [@offset, @offset + @length) of @buf to @node now,
 * outside its policy; waits for the move (60 s at most).  *@moved (may
 * be NULL) gets the bytes moved.  Errors: -ENOTCONN (no agent), the
 * agent's.
 */
int cxltier_move(struct cxltier_buffer *buf, uint64_t offset,
		 uint64_t length, int node, uint64_t *moved);

/*
 * Can adapter @name be used here?  0, or -ENODEV / -ENOENT with a
 * reason in @why (e.g. "libcudart.so: cannot open shared object file").
 */
int cxltier_adapter_probe(const char *name, char *why, size_t len);

/* The library's version, "0.1.0". */
const char *cxltier_version(void);

#ifdef __cplusplus
}
#endif

#endif /* CXLTIER_LIBCXLTIER_H */
