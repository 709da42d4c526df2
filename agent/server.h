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

struct server;
struct srv_client;

/* Defaults of struct srv_options. */
#define SRV_TIMEOUT_MS_DEFAULT	2000U
#define SRV_MAX_CLIENTS		256U
/* Buffers one client may register. */
#define SRV_MAX_BUFFERS		1024U
/* MOVE requests one client may have queued. */
#define SRV_MAX_MOVES		16U
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
 * struct srv_stats - counters since server_open()
 * @refused: connections refused, by reason
 * @dropped: connections dropped by the agent, by reason
 * @buffers_refused: REGISTERs refused by the uid's buffer limit
 * @requests_refused: MOVEs refused by the uid's request limit
 */
struct srv_stats {
	uint64_t refused[PEER_NR_REFUSALS];
	uint64_t dropped[SRV_NR_DROPS];
	uint64_t buffers_refused;
	uint64_t requests_refused;
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

/* The oldest queued MOVE request, taken off the queue, or NULL. */
struct srv_move *server_take_move(struct server *s);
/* Answer @mv (if its client is still there) and free it. */
void server_move_done(struct server *s, struct srv_move *mv, int status,
		      uint64_t moved, int node);

#endif /* CXLTIERD_SERVER_H */
