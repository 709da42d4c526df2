/* SPDX-License-Identifier: GPL-2.0 */
/*
 * server: cxltierd's end of the agent protocol.  Accepts libcxltier
 * clients on a Unix SOCK_SEQPACKET socket, checks who they are
 * (SO_PEERCRED), keeps their registered buffers, queues their MOVE
 * requests, and drives the release / move / re-pin handshake for the
 * executor.  Documentation/userspace-api/agent-protocol.rst is the
 * specification.
 *
 * Single-threaded: every function is called from the daemon's main loop
 * (server_handshake() waits on one client, with a timeout, and handles
 * that client's other frames meanwhile).
 */
#ifndef CXLTIERD_SERVER_H
#define CXLTIERD_SERVER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kdev.h"
#include "peer_limits.h"
#include "proto_pool.h"

struct pool_heat;

struct server;
struct srv_client;

/* Defaults of struct srv_options. */
#define SRV_TIMEOUT_MS_DEFAULT	2000U
#define SRV_MAX_CLIENTS		256U
/* Buffers one client may register. */
#define SRV_MAX_BUFFERS		1024U
/* MOVE requests one client may have queued. */
#define SRV_MAX_MOVES		16U
/* Block pools one client may register. */
#define SRV_MAX_POOLS		16U
/* A will-read hint holds this long past its lead, then lapses. */
#define SRV_HINT_GRACE_MS	5000U
/* How long a buffer whose owner timed out is left alone. */
#define SRV_BACKOFF_MS		30000U

/* A client must say HELLO this soon after connecting, by default. */
#define SRV_HELLO_TIMEOUT_MS_DEFAULT	5000U
/*
 * Each connection's send queue: the socket's send buffer, a few dozen
 * frames.  A client that lets it fill (does not read) is dropped.
 */
#define SRV_SNDBUF		16384

/* The module's ranges, as kdev_get_ranges(dev, 1, ...): 0 or -errno. */
typedef int (*srv_ranges_fn)(void *arg, struct cxltier_range_info *buf,
			     uint32_t room, uint32_t *total);

/**
 * struct srv_options - server settings
 * @path: socket path
 * @timeout_ms: how long a client has to answer PREPARE and REPIN
 * @max_clients: connections at once (overrides @limits.max_clients)
 * @hello_timeout_ms: how long a new connection has to send HELLO
 * @group: the access group (peer_access.h), PEER_NO_GROUP for root only
 * @mode: the socket file's mode
 * @limits: per-uid limits; all zero for the defaults
 * @ranges: where ranges are looked up; NULL for the module (@kdev)
 * @ranges_arg: its argument
 */
struct srv_options {
	const char *path;
	unsigned int timeout_ms;
	unsigned int max_clients;
	unsigned int hello_timeout_ms;
	gid_t group;
	mode_t mode;
	struct peer_limits_cfg limits;
	srv_ranges_fn ranges;
	void *ranges_arg;
};

/* Why a connection was dropped (the metrics' reason label). */
enum srv_drop {
	SRV_DROP_HELLO,		/* no HELLO in time */
	SRV_DROP_TIMEOUT,	/* no RELEASED or ACK in time */
	SRV_DROP_SLOW,		/* its send queue was full: it does not read */
	SRV_DROP_BAD_FRAME,	/* a frame the protocol refuses */
	SRV_NR_DROPS,
};

/* The reason's name in logs and metrics ("slow_reader"). */
const char *server_drop_name(enum srv_drop d);

/**
 * struct srv_pool_stats - block-pool counters since server_open()
 * @advice: ADVICE frames sent
 * @advised: blocks advised
 * @results: advised blocks by what became of them (enum proto_pool_count)
 * @moved_bytes: bytes of blocks moved, [0] to a faster tier, [1] to a
 *	slower one
 * @moved_blocks: blocks moved, likewise
 * @refused: ADVICE frames the client refused whole (status)
 * @timeouts: ADVICE frames not answered in time (the client dropped)
 * @hints: hints taken, [0] will-read, [1] done
 * @hints_refused: POOL_HINTS frames refused (a block the pool lacks)
 * @releases: POOL_RELEASE frames sent
 * @released: slabs given back (a POOL_RELEASE_REPLY of status 0)
 * @release_failed: releases the client answered with an error
 * @release_timeouts: releases not answered in time (the client dropped)
 */
struct srv_pool_stats {
	uint64_t advice;
	uint64_t advised;
	uint64_t results[PROTO_POOL_NR_COUNTS];
	uint64_t moved_bytes[2];
	uint64_t moved_blocks[2];
	uint64_t refused;
	uint64_t timeouts;
	uint64_t hints[2];
	uint64_t hints_refused;
	uint64_t releases;
	uint64_t released;
	uint64_t release_failed;
	uint64_t release_timeouts;
};

/**
 * struct srv_stats - counters since server_open()
 * @refused: connections refused, by reason
 * @dropped: connections dropped by the agent, by reason
 * @buffers_refused: REGISTERs refused by the uid's buffer limit
 * @requests_refused: MOVEs refused by the uid's request limit
 * @pools: block pools
 */
struct srv_stats {
	uint64_t refused[PEER_NR_REFUSALS];
	uint64_t dropped[SRV_NR_DROPS];
	uint64_t buffers_refused;
	uint64_t requests_refused;
	struct srv_pool_stats pools;
};

/**
 * struct srv_pool_hint - what the runtime last said of a block
 * @handle: the block's handle when hinted (0: no hint); a block freed or
 *	reallocated since has another handle, and the hint is void
 * @until_ms: will-read: the hint holds until then (its lead plus
 *	SRV_HINT_GRACE_MS); done: 0, it holds while the handle does
 * @seq: order of the hint (the pool's @hint_seq when it came)
 * @kind: PROTO_HINT_*
 */
struct srv_pool_hint {
	uint64_t handle;
	uint64_t until_ms;
	uint64_t seq;
	uint32_t kind;
};

struct srv_pool;

/*
 * The hint of @p's block @handle that holds at @now_ms: PROTO_HINT_*, or
 * 0 when there is none (never hinted, another handle, or lapsed).
 */
unsigned int server_pool_hint(const struct srv_pool *p, uint64_t handle,
			      uint64_t now_ms);

/**
 * struct srv_pool - a block pool registered by a client (POOL_REGISTER,
 * each slab checked against the module), and its block map (POOL_BLOCKS)
 * @next: next pool of the server
 * @client: the connection that registered it
 * @id: the pool's id on that connection
 * @block_size: bytes per block
 * @nr_blocks: block indexes are below this
 * @nr_tiers: slabs
 * @slab: the slabs, fastest first, as registered
 * @chunk_size: each slab's module chunk size
 * @tier_base: first slot of each slab; @tier_base[@nr_tiers]: slots
 * @slot: per slot, the handle of the block in it, 0 for none
 * @where: per block index, its slot + 1, 0 for none
 * @moved_ms: per block index, when advice last moved it (0: never)
 * @mapped: a POOL_BLOCKS arrived: the map may be planned on
 * @advice_seq: our ADVICE that awaits its answer, 0 if none
 * @advice_deadline_ms: it must be answered by then
 * @advice: that ADVICE
 * @advice_dir: per entry of it, 0 to a faster tier, 1 to a slower one
 * @hint: per block index, the runtime's last hint (POOL_HINTS)
 * @hint_seq: hints taken so far (orders will-read hints)
 * @hint_urgent: a will-read hint came since the last hint plan
 * @dead: let go of (unregistered, or its client dropped): no longer in
 *	server_pools(), freed at the server's next sweep; its @next is
 *	still the pool that followed it, so a walk can go on
 * @dead_next: next in the server's list of pools to free
 * @heat: per block index, its heat at the last decision (the hint
 *	plan's victims are chosen by it)
 * @heat_of: per block index, the handle @heat is of
 * @carried: per block index, its heat when it came to its slot
 * @stale: per block index, its slot's heat from earlier blocks then
 * @entered_ms: per block index, when it came to its slot
 * @slot_heat: per slot, its heat at the last decision
 * @hint_demoted: per block index, demoted by advice for a will-read
 *	hint and not advised since
 * @block_heat: its blocks' adaptive heat, creating writes and recency
 *	(pool_heat.h)
 * @heat_setting: the adaptive heat's setting that ranked its blocks at
 *	the last decision, -1 for the module's heat
 * @serial: the server's number of the pool, never 0 nor reused: a
 *	caller that keeps it finds the pool again (server_pool_by_serial())
 * @released: mask of the tiers whose slab was given back (POOL_RELEASE
 *	answered 0): no range in the module, no slots, no advice to it
 * @release_seq: our POOL_RELEASE that awaits its answer, 0 if none
 * @release_tier: the tier it releases
 * @release_deadline_ms: it must be answered by then
 * @release_done: @release_seq of the last release answered, 0 if none
 * @release_status: its answer's status
 * @release_counts: its answer's counts (enum proto_pool_count)
 */
struct srv_pool {
	struct srv_pool *next;
	struct srv_client *client;
	uint32_t id;
	uint64_t block_size;
	uint32_t nr_blocks;
	unsigned int nr_tiers;
	struct proto_pool_slab slab[PROTO_POOL_MAX_TIERS];
	uint64_t chunk_size[PROTO_POOL_MAX_TIERS];
	uint32_t tier_base[PROTO_POOL_MAX_TIERS + 1];
	uint64_t *slot;
	uint32_t *where;
	uint64_t *moved_ms;
	bool mapped;
	uint32_t advice_seq;
	uint64_t advice_deadline_ms;
	struct proto_pool_msg advice;
	uint8_t advice_dir[PROTO_POOL_MAX_ENTRIES];
	struct srv_pool_hint *hint;
	uint64_t hint_seq;
	bool hint_urgent;
	bool dead;
	struct srv_pool *dead_next;
	uint64_t *heat;
	uint64_t *heat_of;
	uint64_t *carried;
	uint64_t *stale;
	uint64_t *entered_ms;
	uint64_t *slot_heat;
	uint8_t *hint_demoted;
	struct pool_heat *block_heat;
	int heat_setting;
	uint64_t serial;
	unsigned int released;
	uint32_t release_seq;
	unsigned int release_tier;
	uint64_t release_deadline_ms;
	uint32_t release_done;
	int32_t release_status;
	uint32_t release_counts[PROTO_POOL_NR_COUNTS];
};

/**
 * struct srv_buffer - a buffer registered by a client
 * @next: next buffer of the server
 * @client: the connection that registered it
 * @id: the module's range id
 * @addr: start address in the owner's address space
 * @length: bytes
 * @chunk_size: chunk size
 * @pid: the owner process (from the module)
 * @label: the module's label of the range
 */
struct srv_buffer {
	struct srv_buffer *next;
	struct srv_client *client;
	uint32_t id;
	uint64_t addr;
	uint64_t length;
	uint64_t chunk_size;
	pid_t pid;
	char label[CXLTIER_LABEL_LEN];
};

/**
 * struct srv_move - a MOVE request waiting for the main loop
 * @next: next in the queue
 * @client: who asked; NULL once it is gone (no answer is sent then)
 * @seq: the MOVE frame's sequence number, for the answer
 * @range: the module's range (owner, address, chunk size)
 * @offset: offset of the range to move in the buffer
 * @length: bytes to move
 * @node: target node
 */
struct srv_move {
	struct srv_move *next;
	struct srv_client *client;
	uint32_t seq;
	struct cxltier_range_info range;
	uint64_t offset;
	uint64_t length;
	int node;
};

/**
 * struct srv_hs_result - how a handshake went
 * @status: 0 when the client released, the move ran and the client
 *	re-pinned; else why not (the client's RELEASED error,
 *	-ETIMEDOUT, -ECONNRESET for a client that went away, the move's
 *	error, or the client's ACK error)
 * @released: the client released the range (the move was attempted)
 * @node: node the range is on after the move, -1 if mixed or unknown
 * @moved: bytes the move moved
 * @latency_us: PREPARE to ACK
 */
struct srv_hs_result {
	int status;
	bool released;
	int node;
	uint64_t moved;
	uint64_t latency_us;
};

/*
 * Moves the range while the client has released it: returns 0 or -errno,
 * with the node it ended on (-1 mixed) and the bytes moved.
 */
typedef int (*srv_move_fn)(void *arg, int *node, uint64_t *moved);

/* Create, bind (replacing a stale socket file) and listen.  0 or -errno. */
int server_open(struct server **srvp, const struct srv_options *o,
		const struct kdev *kdev);
void server_close(struct server *s);

/* Fill @pfd with the fds to poll; returns how many (at most @room). */
size_t server_pollfds(struct server *s, struct pollfd *pfd, size_t room);
/* Milliseconds until the server needs to run without I/O, -1 for never. */
int server_timeout_ms(struct server *s);
/* Handle what poll() found on the fds server_pollfds() gave. */
void server_process(struct server *s, const struct pollfd *pfd, size_t n);

/* The registered buffer with range id @id, or NULL. */
struct srv_buffer *server_buffer(struct server *s, uint32_t id);
/* Is buffer @id in its back-off period (its owner timed out)? */
bool server_backoff(struct server *s, uint32_t id);
unsigned int server_nr_clients(const struct server *s);
unsigned int server_nr_buffers(const struct server *s);
const struct srv_stats *server_stats(const struct server *s);

/*
 * Take @fd, a connected SOCK_SEQPACKET socket, as a new client: the
 * checks of an accepted connection (credentials, group, limits) apply.
 * The server owns @fd either way.  0 or -errno (-EACCES, -EUSERS, ...).
 */
int server_add_client(struct server *s, int fd);

/*
 * Check the server's books: live clients, buffers, queued requests and
 * per-uid accounts agree with each other, and no client awaits an answer
 * outside a handshake.  0, or -EUCLEAN with *@why saying what is off.
 */
int server_check_books(const struct server *s, char *why, size_t len);

/*
 * Run the handshake on [@off, @off + @len) of @b towards @node, calling
 * @fn(@arg) once the client has released the range.  @b may be freed by
 * the time it returns (its client went away): do not use it after.
 * Returns res->status.
 */
int server_handshake(struct server *s, struct srv_buffer *b, uint64_t off,
		     uint64_t len, int node, srv_move_fn fn, void *arg,
		     struct srv_hs_result *res);

/* Registered block pools (walk with ->next), or NULL. */
struct srv_pool *server_pools(struct server *s);
/* Is range @id a slab of a registered pool (not released)? */
bool server_pool_slab(struct server *s, uint32_t id);
/* The live pool whose serial is @serial, or NULL (unregistered, dropped). */
struct srv_pool *server_pool_by_serial(struct server *s, uint64_t serial);
/* Blocks in the slots of @p's tier @t (as its POOL_BLOCKS said). */
uint32_t server_pool_used(const struct srv_pool *p, unsigned int t);
/* Tiers of @p not released. */
unsigned int server_pool_open_tiers(const struct srv_pool *p);
unsigned int server_nr_pools(const struct server *s);
/* The pid of the client that registered @p. */
pid_t server_pool_pid(const struct srv_pool *p);
/*
 * Send @m, an ADVICE for @p (pool id filled in here), to its client, with
 * its deadline.  0; -EBUSY when @p has advice in flight; -ECONNRESET
 * (the client is gone, or dropped for not reading); -EINVAL (a block
 * not in the map, or a tier released).  -EBUSY also while a release
 * of @p is in flight.
 */
int server_pool_advise(struct server *s, struct srv_pool *p,
		       struct proto_pool_msg *m);
/*
 * Send POOL_RELEASE of @p's tier @tier to its client: empty that slab
 * into the pool's other slabs within @timeout_ms (1 to
 * PROTO_RELEASE_MAX_TIMEOUT_MS), then give it back.  Answered by then
 * plus the server's answer timeout (and a margin), or the client is
 * dropped.  The answer lands on @p: @release_done is the release's seq
 * (@release_seq now), @release_status and @release_counts what it said;
 * on status 0 the tier is in @released and its slots are empty.
 * 0; -EBUSY (advice or a release of @p in flight); -EINVAL (no such
 * tier, released already, the pool's only open slab, or a bad
 * timeout); -ECONNRESET (the client is gone, or dropped for not
 * reading).
 */
int server_pool_release(struct server *s, struct srv_pool *p,
			unsigned int tier, uint32_t timeout_ms);

/* The oldest queued MOVE request, taken off the queue, or NULL. */
struct srv_move *server_take_move(struct server *s);
/* Answer @mv (if its client is still there) and free it. */
void server_move_done(struct server *s, struct srv_move *mv, int status,
		      uint64_t moved, int node);

#endif /* CXLTIERD_SERVER_H */
