/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * proto: the cxltierd <-> libcxltier protocol over a Unix SOCK_SEQPACKET
 * socket.  Fixed-size, versioned, little-endian frames; every field of
 * every frame is validated on receipt, and the conversation (sequence
 * numbers, which frame answers which) is checked by a small pure state
 * machine shared by both ends.  Documentation/userspace-api/
 * agent-protocol.rst is the specification; this is its implementation.
 *
 * One handshake, seen from both ends (a = agent, c = client):
 *
 *	a: PREPARE  (buffer, offset, length, node) ---------->
 *	                            <--------- c: RELEASED (status)
 *	   (status 0: the pin on exactly that range is gone)
 *	a: moves the pages, checks their node
 *	a: REPIN    (status, node) --------------------------->
 *	                            <--------- c: ACK (status)
 *
 * Any timeout or protocol violation ends the connection: the client then
 * re-pins whatever it released, the agent forgets the client's buffers.
 */
#ifndef CXLTIER_PROTO_H
#define CXLTIER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Default path of the agent's socket. */
#define PROTO_SOCKET_PATH	"/run/cxltier/cxltierd.sock"

/* First four bytes of every frame: "CXTP" read as a little-endian u32. */
#define PROTO_MAGIC		0x50545843U
/*
 * Protocol versions this code speaks: 1 (buffers and the handshake) up to
 * 2 (1 plus the block-pool frames of proto_pool.h).  A client proposes a
 * version in its HELLO's header; the agent answers in the same version if
 * it speaks it, else with HELLO_REPLY -EPROTONOSUPPORT in version 1 and
 * hangs up, and the client may connect again proposing version 1.
 */
#define PROTO_VERSION_MIN	1
#define PROTO_VERSION		2
/* Every frame is exactly this many bytes. */
#define PROTO_FRAME_SIZE	128
/* Label length including the NUL, as CXLTIER_LABEL_LEN. */
#define PROTO_LABEL_LEN		32
/* Offsets and lengths are multiples of this (the smallest page size). */
#define PROTO_ALIGN		4096ULL
/* Chunk sizes: powers of two in [64 KiB, 1 GiB], as the module's. */
#define PROTO_CHUNK_MIN		(64ULL << 10)
#define PROTO_CHUNK_MAX		(1ULL << 30)
/* Node ids are below this (MAX_NUMNODES of the supported kernels). */
#define PROTO_MAX_NODES		1024
/* Bounds of the timeouts a frame may carry. */
#define PROTO_TIMEOUT_MAX_MS	600000U
/* Requests one side may have outstanding at once. */
#define PROTO_MAX_PENDING	64

/* Frame types.  The comment gives the direction and what it answers. */
enum proto_type {
	PROTO_HELLO = 1,	/* c->a, first frame of a connection */
	PROTO_HELLO_REPLY,	/* a->c, answers HELLO */
	PROTO_REGISTER,		/* c->a, a buffer tracked by the module */
	PROTO_REGISTER_REPLY,	/* a->c, answers REGISTER */
	PROTO_UNREGISTER,	/* c->a */
	PROTO_UNREGISTER_REPLY,	/* a->c, answers UNREGISTER */
	PROTO_MOVE,		/* c->a, asks the agent to move a range */
	PROTO_MOVE_REPLY,	/* a->c, answers MOVE once done */
	PROTO_PREPARE,		/* a->c, release the pin on a range */
	PROTO_RELEASED,		/* c->a, answers PREPARE */
	PROTO_REPIN,		/* a->c, answers RELEASED (status 0) */
	PROTO_ACK,		/* c->a, answers REPIN */
	PROTO_TYPE_END,
};

/* Who sent a frame. */
enum proto_dir {
	PROTO_FROM_CLIENT,
	PROTO_FROM_AGENT,
};

/**
 * struct proto_msg - a decoded frame
 * @type: PROTO_*
 * @seq: sender's sequence number: 1 for its first frame, then +1
 * @reply_to: @seq of the frame this one answers, 0 for a request
 * @buffer: buffer id (the module's range id), 0 where not used
 * @status: 0 or a negative errno, in answers only
 * @addr: REGISTER: start address; PREPARE, RELEASED, REPIN, ACK, MOVE:
 *	offset of the range in the buffer
 * @length: bytes of the buffer or the range; MOVE_REPLY: bytes moved
 * @chunk_size: REGISTER: the buffer's chunk size
 * @node: PREPARE, MOVE: target node; REPIN, MOVE_REPLY: node the range
 *	is on now, -1 if not all on one node
 * @timeout_ms: PREPARE: the agent waits this long for RELEASED
 * @hold_ms: PREPARE: the agent sends REPIN at most this long after
 *	RELEASED; the client re-pins by itself a grace period later
 * @label: REGISTER: NUL-terminated printable label; else all zero
 * @version: the header's version; 0 when encoding means: the version
 *	negotiated (proto_peer_send() fills it in), or PROTO_VERSION_MIN
 */
struct proto_msg {
	uint16_t version;
	uint16_t type;
	uint32_t seq;
	uint32_t reply_to;
	uint32_t buffer;
	int32_t status;
	uint64_t addr;
	uint64_t length;
	uint64_t chunk_size;
	int32_t node;
	uint32_t timeout_ms;
	uint32_t hold_ms;
	char label[PROTO_LABEL_LEN];
};

/* Name of a frame type ("PREPARE"), "?" when unknown. */
const char *proto_type_name(unsigned int type);

/*
 * The protocol's sub-range rule, for MOVE, PREPARE and a client's move:
 * is [@off, @off + @len) a whole number of chunks of a buffer of
 * @length bytes in chunks of @chunk_size, inside it?  It starts on a
 * chunk boundary and ends on one or at the buffer's end (the last chunk
 * may be short); it is not empty.
 */
bool proto_range_ok(uint64_t length, uint64_t chunk_size, uint64_t off, uint64_t len);

/*
 * Decode and validate one frame of @len bytes that came from @from.
 * Checks the size, magic, version, type and direction, and that every
 * field is in range for the type and every unused field is zero.  On
 * error *@why (if not NULL) names the first problem.
 * Return: 0, -EMSGSIZE (not PROTO_FRAME_SIZE bytes), -EPROTONOSUPPORT
 * (other version), -EBADMSG (anything else wrong).
 */
int proto_decode(const void *buf, size_t len, enum proto_dir from,
		 struct proto_msg *m, const char **why);

/*
 * Encode @m, sent by @from, into @buf (PROTO_FRAME_SIZE bytes).  The same
 * rules as proto_decode(): a frame we would refuse is never sent.
 * Return: 0 or -EBADMSG (*@why says why).
 */
int proto_encode(const struct proto_msg *m, enum proto_dir from,
		 void *buf, const char **why);

/**
 * struct proto_pending - a frame sent and not answered yet
 * @seq: its sequence number
 * @type: its type
 * @buffer: its buffer id
 * @addr: its offset (PREPARE, RELEASED, REPIN)
 * @length: its length (PREPARE, RELEASED, REPIN)
 */
struct proto_pending {
	uint32_t seq;
	uint16_t type;
	uint32_t buffer;
	uint64_t addr;
	uint64_t length;
};

/**
 * struct proto_peer - one end's view of a connection's conversation
 * @self: which end this is
 * @tx_seq: sequence number of the last frame sent, 0 before the first
 * @rx_seq: sequence number of the last frame accepted
 * @hello: HELLO and its reply went through
 * @version: the version proposed (client, before HELLO_REPLY) or
 *	negotiated; every frame after HELLO carries it
 * @nr_pending: entries in @pending
 * @pending: frames sent that await an answer
 */
struct proto_peer {
	enum proto_dir self;
	uint32_t tx_seq;
	uint32_t rx_seq;
	bool hello;
	uint16_t version;
	unsigned int nr_pending;
	struct proto_pending pending[PROTO_MAX_PENDING];
};

void proto_peer_init(struct proto_peer *p, enum proto_dir self);

/*
 * About to send @m: give it the next sequence number and remember it if
 * it expects an answer (HELLO, REGISTER, UNREGISTER, MOVE, PREPARE,
 * RELEASED with status 0, REPIN).  An answer must answer a frame
 * received (the caller's business: it got @reply_to from it).
 * Return: 0, -ENOSPC (too many pending), -EPROTO (no HELLO yet, or a
 * second HELLO).
 */
int proto_peer_send(struct proto_peer *p, struct proto_msg *m);

/*
 * Accept @m, decoded from the other end: checks its sequence number, that
 * HELLO comes first and once, and that an answer answers a pending
 * frame of the matching type with the same buffer (and range), which it
 * then clears.  On success *@req (if not NULL) gets the answered frame.
 * Return: 0 or -EPROTO (*@why says why).
 */
int proto_peer_recv(struct proto_peer *p, const struct proto_msg *m,
		    struct proto_pending *req, const char **why);

/* Forget a pending frame (gave up waiting).  0 or -ENOENT. */
int proto_peer_forget(struct proto_peer *p, uint32_t seq);

/*
 * Socket helpers.  proto_send() encodes and sends one frame (after
 * proto_peer_send()); proto_recv() receives one frame, decodes it and
 * runs proto_peer_recv().  Return: 0; -ECONNRESET when the peer hung up;
 * the errors above; or -errno of the socket call (-EAGAIN when
 * proto_recv() finds nothing to read: it never blocks).  proto_send()
 * never raises SIGPIPE.
 */
int proto_send(int fd, struct proto_peer *p, struct proto_msg *m,
	       const char **why);
int proto_recv(int fd, struct proto_peer *p, struct proto_msg *m,
	       struct proto_pending *req, const char **why);

/*
 * The datagram underneath, for the control and the pool frames alike:
 * proto_sock_send() sends @len bytes whole (0, -ECONNRESET, -EMSGSIZE
 * or -errno; no SIGPIPE); proto_sock_recv() returns the real length of
 * the next datagram (MSG_TRUNC: a longer one is caught), which may
 * exceed @size, or -ECONNRESET ("peer hung up") or -errno.
 */
int proto_sock_send(int fd, const void *buf, size_t len);
ssize_t proto_sock_recv(int fd, void *buf, size_t size, const char **why);

#endif /* CXLTIER_PROTO_H */
