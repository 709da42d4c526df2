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

/* --- block pools (CXLTIER_1.1) ------------------------------------------ */

/*
 * A block pool holds a runtime's fixed-size blocks (KV-cache blocks) in
 * slabs, one per tier, each placed on its node before first touch and
 * pinned once by the adapter.  A block lives in one slot of one slab;
 * the library moves it to another tier by copy-then-swap (copy into a
 * free slot there, publish the new address, free the old slot once no
 * bracket holds it), so nothing is ever unpinned.  Moves come from
 * cxltierd's advice or from cxltier_pool_move().
 *
 * Access a block's memory only inside a bracket: cxltier_block_get()
 * returns its current address, valid until cxltier_block_put().  Readers
 * may overlap a move (they keep the old copy); a writer's bracket
 * (CXLTIER_BLOCK_WRITE) keeps the block from moving.
 */
struct cxltier_pool;

/*
 * A block handle: the block's index (low 32 bits) and its generation
 * (high 32 bits, never 0), so a handle of a freed block is stale, never
 * another block.  0 is never a valid handle.
 */
typedef uint64_t cxltier_block_t;
#define CXLTIER_BLOCK_NONE	((cxltier_block_t)0)

/* Most slabs (tiers) in one pool. */
#define CXLTIER_POOL_MAX_TIERS	4
/* cxltier_block_alloc() tier: the fastest with a free slot. */
#define CXLTIER_TIER_ANY	(-1)

/* cxltier_pool_desc.flags */
#define CXLTIER_POOL_NODES	(1U << 0) /* slab t on nodes[t], not on the
					   * module's tier table */
#define CXLTIER_POOL_NO_POISON	(1U << 1) /* do not poison freed slots */

/**
 * struct cxltier_pool_desc - a pool to create
 * @size: sizeof(struct cxltier_pool_desc), so the struct can grow
 * @flags: CXLTIER_POOL_*
 * @label: what the pool holds ("kv-cache"), at most 31 printable
 *	characters, as cxltier_buffer_desc.label; may be NULL
 * @block_size: bytes per block, a multiple of the page size; 0: 2 MiB
 * @nr_blocks: blocks that can be allocated at once (at least 1)
 * @nr_tiers: slabs; 0: 2 (the module's tier 0 and its slowest tier)
 * @nodes: with CXLTIER_POOL_NODES, the NUMA node of each slab
 * @slots: slots of each slab; 0: @nr_blocks (every block fits on any tier)
 * @sources: CXLTIER_BUF_SRC_* for heat; 0: both
 * @adapter: who pins, as cxltier_buffer_desc.adapter ("none": mlock)
 * @adapter_arg: as cxltier_buffer_desc.adapter_arg
 * @copy_threads: threads that copy one cxltier_pool_move() batch, the
 *	calling thread included (it copies too); 0: 1 (the caller alone),
 *	at most 16
 * @move_wait_ms: how long a move waits for brackets on the old slot
 *	before it leaves the slot to be freed later; 0: 100
 */
struct cxltier_pool_desc {
	size_t size;
	unsigned int flags;
	const char *label;
	size_t block_size;
	uint32_t nr_blocks;
	unsigned int nr_tiers;
	int nodes[CXLTIER_POOL_MAX_TIERS];
	uint32_t slots[CXLTIER_POOL_MAX_TIERS];
	unsigned int sources;
	const char *adapter;
	const char *adapter_arg;
	unsigned int copy_threads;
	unsigned int move_wait_ms;
};

/*
 * Create a pool: allocate each slab, bind it to its node (mbind
 * MPOL_BIND) before touching it, populate it, pin it through the
 * adapter, track it with the module for heat, and (now or when it
 * connects) tell the agent.  Errors: -EINVAL (bad descriptor), -ENODEV
 * (adapter or node not usable: no far tier), -ENOMEM (a slab could not
 * be placed on its node: the node is full), the module's, the agent's.
 */
int cxltier_pool_create(struct cxltier *ctx,
			const struct cxltier_pool_desc *desc,
			struct cxltier_pool **pool);

/*
 * Destroy @pool: stop its workers (waits for moves under way), tell the
 * agent, stop tracking, unpin and unmap the slabs (a slab given back by
 * cxltier_pool_release() is gone already).  Every bracket must have been
 * put; blocks still allocated are freed.  Waits for a release that the
 * agent asked for to end.
 */
int cxltier_pool_destroy(struct cxltier_pool *pool);

/* The pool's id on its context (the agent's name for it). */
uint32_t cxltier_pool_id(const struct cxltier_pool *pool);

/*
 * Allocate a block on pool tier @tier (0: fastest) or CXLTIER_TIER_ANY
 * (the fastest open tier with a free slot).  Its contents are
 * undefined.  -ENOSPC: no free slot there (or no block left, or @tier
 * is being released), -ENODEV: @tier's slab was released, -EINVAL: no
 * such tier.
 */
int cxltier_block_alloc(struct cxltier_pool *pool, int tier,
			cxltier_block_t *block);

/*
 * Free @block; a move of it under way finishes first.  Its slot is
 * reused once no bracket holds it.  -ESTALE: already freed (or never
 * allocated).
 */
int cxltier_block_free(struct cxltier_pool *pool, cxltier_block_t block);

/* cxltier_block_get() flags */
#define CXLTIER_BLOCK_WRITE	(1U << 0) /* the holder writes: no move
					   * starts until put */

/**
 * struct cxltier_block_ref - a block's place, from get or lookup
 * @addr: the block's memory in this process
 * @handle: the adapter's pin handle of the slab (test-accel), or 0
 * @handle_offset: @addr's offset in the slab that @handle pins
 * @tier: pool tier of the slot
 * @node: NUMA node of the slot
 * @slot: slot index inside the pool (the library's, for put)
 * @block: the block
 * @flags: CXLTIER_BLOCK_* given to get (the library's, for put)
 */
struct cxltier_block_ref {
	void *addr;
	uint64_t handle;
	uint64_t handle_offset;
	unsigned int tier;
	int node;
	uint32_t slot;
	cxltier_block_t block;
	unsigned int flags;
};

/*
 * The read-side bracket.  get: *@ref gets the block's current place,
 * valid (neither reused nor poisoned) until cxltier_block_put(@ref).
 * Cheap: two atomic operations, no syscall, no lock.  A writer's get
 * waits for a move of the block under way (one block's copy).
 * -ESTALE: the block was freed.
 */
int cxltier_block_get(struct cxltier_pool *pool, cxltier_block_t block,
		      unsigned int flags, struct cxltier_block_ref *ref);
void cxltier_block_put(struct cxltier_pool *pool,
		       const struct cxltier_block_ref *ref);

/*
 * The block's current place, without a bracket: it may move at any
 * time after the call (for logs and tests).  -ESTALE: freed.
 */
int cxltier_block_lookup(struct cxltier_pool *pool, cxltier_block_t block,
			 struct cxltier_block_ref *ref);

/* cxltier_pool_hint() kinds */
#define CXLTIER_HINT_WILL_READ	1 /* read soon */
#define CXLTIER_HINT_DONE	2 /* no further reads expected */

/*
 * Tell the pool what the runtime knows of @n blocks: CXLTIER_HINT_*
 * @kind, for a will-read hint within @lead_ms (0: unknown; at most
 * 60000).  Recorded with each block and queued for cxltierd, which
 * promotes will-read blocks at once (within its rate limit) and demotes
 * done blocks first; one wake-up of the service thread per call, no
 * syscall per block.  Stale handles are ignored (counted in the stats);
 * -EINVAL: bad kind; -ENOMEM.
 */
int cxltier_pool_hint(struct cxltier_pool *pool, unsigned int kind,
		      const cxltier_block_t *blocks, size_t n,
		      uint32_t lead_ms);

/*
 * Report @count device accesses to each of @n blocks (heat of the slots
 * that hold them now), batched as cxltier_report().
 */
int cxltier_pool_report(struct cxltier_pool *pool,
			const cxltier_block_t *blocks, size_t n,
			uint64_t count);

/* Results of a move (cxltier_block_move.result), as errno values. */
/*   0          moved (or already on the target tier: see .moved)
 *   -ESTALE    the block was freed (or the handle is stale)
 *   -EBUSY     a writer's bracket holds it
 *   -ENOSPC    no free slot on the target tier: refused, not forced
 *   -EINVAL    no such tier
 *   -EIO       the copy failed (device copy): the block stays put */

/**
 * struct cxltier_block_move - one block to move, and what happened
 * @block: in: the block
 * @tier: in: target pool tier
 * @result: out: 0 or one of the errors above
 * @moved: out: 1 if the block was copied, 0 if it stayed (already
 *	there, or @result is an error)
 */
struct cxltier_block_move {
	cxltier_block_t block;
	unsigned int tier;
	int result;
	int moved;
};

/*
 * Move @n blocks now, on the calling thread and the pool's other copy
 * threads, and wait for them all.  Returns the number of blocks moved (>= 0) and each block's
 * result in @moves, or a negative errno (-EINVAL: @n too large).
 */
int cxltier_pool_move(struct cxltier_pool *pool,
		      struct cxltier_block_move *moves, size_t n);

/**
 * struct cxltier_pool_stats - a pool's counters
 * @size: sizeof(struct cxltier_pool_stats), set by the caller
 * @nr_tiers: slabs
 * @block_size: bytes per block
 * @nr_blocks: blocks the pool can hold allocated
 * @blocks_allocated: blocks allocated now
 * @slots: slots per tier
 * @slots_free: free slots per tier (not counting @slots_draining)
 * @blocks_on: allocated blocks per tier
 * @node: NUMA node per tier
 * @slots_draining: old slots still held by a bracket, freed later
 * @moves: blocks copied to another tier
 * @bytes_moved: their bytes
 * @skipped_busy: moves skipped: a writer held the block
 * @skipped_stale: moves skipped: the block was freed
 * @skipped_same: moves that found the block on the target tier already
 * @refused_full: moves refused: no free slot on the target tier
 * @failed: moves failed (copy error)
 * @copy_ns: wall time spent copying, in nanoseconds
 * @hints_will_read: will-read hints taken
 * @hints_done: done hints taken
 * @hints_stale: hints naming freed blocks
 * @move_cpu_ns: CPU time of the copy threads spent on moves, in ns
 * @hints_sent: hints told to cxltierd (a block hinted twice before it
 *	was told counts once: the last hint wins)
 * @hint_batches_refused: POOL_HINTS batches cxltierd refused
 * @tiers_closed: bit t: tier t is being released (no allocation or move
 *	lands on it)
 * @tiers_released: bit t: tier t's slab was released
 *	(cxltier_pool_release()): @slots and @node say what it was,
 *	@slots_free and @blocks_on are 0
 *
 * A caller built with an older header sets a smaller @size and gets the
 * members that fit in it; the members above are at the end for that.
 */
struct cxltier_pool_stats {
	size_t size;
	unsigned int nr_tiers;
	uint64_t block_size;
	uint32_t nr_blocks;
	uint32_t blocks_allocated;
	uint32_t slots[CXLTIER_POOL_MAX_TIERS];
	uint32_t slots_free[CXLTIER_POOL_MAX_TIERS];
	uint32_t blocks_on[CXLTIER_POOL_MAX_TIERS];
	int node[CXLTIER_POOL_MAX_TIERS];
	uint32_t slots_draining;
	uint64_t moves;
	uint64_t bytes_moved;
	uint64_t skipped_busy;
	uint64_t skipped_stale;
	uint64_t skipped_same;
	uint64_t refused_full;
	uint64_t failed;
	uint64_t copy_ns;
	uint64_t hints_will_read;
	uint64_t hints_done;
	uint64_t hints_stale;
	uint64_t move_cpu_ns;
	uint64_t hints_sent;
	uint64_t hint_batches_refused;
	uint32_t tiers_closed;
	uint32_t tiers_released;
};

/* Fill @stats (set @stats->size first). */
int cxltier_pool_stats(struct cxltier_pool *pool,
		       struct cxltier_pool_stats *stats);

/**
 * struct cxltier_pool_release_counts - what a release did with the
 *	blocks of its tier
 * @moved: blocks copied off the tier
 * @stale: blocks freed while the release ran (nothing to move)
 * @busy: blocks still on the tier at the timeout: a writer held them
 * @noroom: blocks still on the tier: no free slot on another open tier
 * @failed: blocks whose copy failed; they stay on the tier
 */
struct cxltier_pool_release_counts {
	uint32_t moved;
	uint32_t stale;
	uint32_t busy;
	uint32_t noroom;
	uint32_t failed;
};

/*
 * Give back the slab of pool tier @tier, for instance so that its node
 * can be offlined while the pool lives on.  The tier is closed first (no
 * allocation or move lands on it), then every block of it moves to
 * another open tier, copy then swap as cxltier_pool_move() moves: to the
 * nearest slower tier with a free slot, else to the nearest faster one.
 * Blocks a writer holds are tried again until @timeout_ms (0: 10000)
 * has passed.  Then the release waits (within the same time) until no
 * bracket holds an old slot of the tier, and unpins, untracks and
 * unmaps the slab: the tier is released for good, its blocks live on
 * elsewhere under the same handles.  Readers, writers, allocations and
 * frees may go on meanwhile, on any thread.  Blocks on the calling
 * thread (and the pool's copy threads).  *@counts (may be NULL) gets
 * what became of the tier's blocks.
 *
 * 0: released.  -EINVAL: no such tier, already released, or the pool's
 * last open tier.  -ENOSPC: the other open tiers have fewer free slots
 * than the tier has blocks: refused before anything moved (or, if
 * allocations took the room meanwhile, at the timeout).  -EBUSY: the
 * timeout passed with blocks still busy or brackets still on old slots.
 * -EIO: a copy failed.  -EALREADY: another release of the pool runs.
 * After an error the tier is open again; blocks already moved stay
 * where they went, none is lost.  The reason is logged.
 */
int cxltier_pool_release(struct cxltier_pool *pool, unsigned int tier,
			 unsigned int timeout_ms,
			 struct cxltier_pool_release_counts *counts);

#ifdef __cplusplus
}
#endif

#endif /* CXLTIER_LIBCXLTIER_H */
