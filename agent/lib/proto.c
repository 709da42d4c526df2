// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * proto: frame encoding, validation and the conversation state machine
 * of the agent protocol.  See proto.h and
 * Documentation/userspace-api/agent-protocol.rst.
 *
 * Wire layout of a frame (all integers little-endian):
 *
 *	  0 u32 magic		 4 u16 version	 6 u16 type
 *	  8 u32 seq		12 u32 reply_to
 *	 16 u32 buffer		20 s32 status
 *	 24 u64 addr		32 u64 length	40 u64 chunk_size
 *	 48 s32 node		52 u32 timeout_ms
 *	 56 u32 hold_ms		60 u32 flags (0)
 *	 64 char label[32]	96 u8 reserved[32] (0)
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "proto.h"

/* Fields a frame type may set (all others must be zero). */
#define F_REPLY_TO	(1U << 0)
#define F_BUFFER	(1U << 1)
#define F_STATUS	(1U << 2)
#define F_ADDR		(1U << 3)
#define F_LENGTH	(1U << 4)
#define F_CHUNK		(1U << 5)
#define F_NODE		(1U << 6)
#define F_TIMEOUT	(1U << 7)
#define F_HOLD		(1U << 8)
#define F_LABEL		(1U << 9)
/* node may be -1 ("not all on one node"). */
#define F_NODE_ANY	(1U << 10)

/* Fields of the three handshake answers that echo their request's range. */
#define F_RANGE_ECHO	(F_REPLY_TO | F_BUFFER | F_STATUS | F_ADDR | F_LENGTH)

/**
 * struct proto_rule - what one frame type may carry
 * @name: type name for messages
 * @from: who sends it
 * @answers: the type it answers, 0 for a request
 * @fields: F_* that may be non-zero
 * @required: F_* that must be non-zero
 */
struct proto_rule {
	const char *name;
	enum proto_dir from;
	uint16_t answers;
	uint16_t fields;
	uint16_t required;
};

static const struct proto_rule proto_rules[PROTO_TYPE_END] = {
	[PROTO_HELLO] = { "HELLO", PROTO_FROM_CLIENT, 0, 0, 0 },
	[PROTO_HELLO_REPLY] = { "HELLO_REPLY", PROTO_FROM_AGENT, PROTO_HELLO,
				F_REPLY_TO | F_STATUS, F_REPLY_TO },
	[PROTO_REGISTER] = { "REGISTER", PROTO_FROM_CLIENT, 0,
			     F_BUFFER | F_ADDR | F_LENGTH | F_CHUNK | F_LABEL,
			     F_BUFFER | F_ADDR | F_LENGTH | F_CHUNK },
	[PROTO_REGISTER_REPLY] = { "REGISTER_REPLY", PROTO_FROM_AGENT,
				   PROTO_REGISTER,
				   F_REPLY_TO | F_BUFFER | F_STATUS,
				   F_REPLY_TO | F_BUFFER },
	[PROTO_UNREGISTER] = { "UNREGISTER", PROTO_FROM_CLIENT, 0, F_BUFFER,
			       F_BUFFER },
	[PROTO_UNREGISTER_REPLY] = { "UNREGISTER_REPLY", PROTO_FROM_AGENT,
				     PROTO_UNREGISTER,
				     F_REPLY_TO | F_BUFFER | F_STATUS,
				     F_REPLY_TO | F_BUFFER },
	[PROTO_MOVE] = { "MOVE", PROTO_FROM_CLIENT, 0,
			 F_BUFFER | F_ADDR | F_LENGTH | F_NODE,
			 F_BUFFER | F_LENGTH },
	[PROTO_MOVE_REPLY] = { "MOVE_REPLY", PROTO_FROM_AGENT, PROTO_MOVE,
			       F_REPLY_TO | F_BUFFER | F_STATUS | F_LENGTH |
				       F_NODE | F_NODE_ANY,
			       F_REPLY_TO | F_BUFFER },
	[PROTO_PREPARE] = { "PREPARE", PROTO_FROM_AGENT, 0,
			    F_BUFFER | F_ADDR | F_LENGTH | F_NODE | F_TIMEOUT |
				    F_HOLD,
			    F_BUFFER | F_LENGTH | F_TIMEOUT | F_HOLD },
	[PROTO_RELEASED] = { "RELEASED", PROTO_FROM_CLIENT, PROTO_PREPARE,
			     F_RANGE_ECHO, F_REPLY_TO | F_BUFFER | F_LENGTH },
	[PROTO_REPIN] = { "REPIN", PROTO_FROM_AGENT, PROTO_RELEASED,
			  F_RANGE_ECHO | F_NODE | F_NODE_ANY,
			  F_REPLY_TO | F_BUFFER | F_LENGTH },
	[PROTO_ACK] = { "ACK", PROTO_FROM_CLIENT, PROTO_REPIN, F_RANGE_ECHO,
			F_REPLY_TO | F_BUFFER | F_LENGTH },
};

bool proto_range_ok(uint64_t length, uint64_t chunk_size, uint64_t off, uint64_t len)
{
	if (!chunk_size || !len || off % chunk_size || off >= length || len > length - off)
		return false;
	return (off + len) % chunk_size == 0 || off + len == length;
}

const char *proto_type_name(unsigned int type)
{
	if (type == 0 || type >= PROTO_TYPE_END)
		return "?";
	return proto_rules[type].name;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* Wire offsets. */
enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 4,
	OFF_TYPE = 6,
	OFF_SEQ = 8,
	OFF_REPLY_TO = 12,
	OFF_BUFFER = 16,
	OFF_STATUS = 20,
	OFF_ADDR = 24,
	OFF_LENGTH = 32,
	OFF_CHUNK = 40,
	OFF_NODE = 48,
	OFF_TIMEOUT = 52,
	OFF_HOLD = 56,
	OFF_FLAGS = 60,
	OFF_LABEL = 64,
	OFF_RESERVED = 96,
};

/* Does @label hold a printable string, NUL-terminated, zero after? */
static bool label_ok(const char *label)
{
	size_t i = 0;

	while (i < PROTO_LABEL_LEN && label[i]) {
		if (label[i] < 0x20 || label[i] > 0x7e)
			return false;
		i++;
	}
	if (i == PROTO_LABEL_LEN)
		return false;
	for (; i < PROTO_LABEL_LEN; i++)
		if (label[i])
			return false;
	return true;
}

static bool label_empty(const char *label)
{
	size_t i;

	for (i = 0; i < PROTO_LABEL_LEN; i++)
		if (label[i])
			return false;
	return true;
}

/* Is [addr, addr + length) aligned, not empty and not wrapping? */
static bool range_ok(uint64_t addr, uint64_t length)
{
	return !(addr % PROTO_ALIGN) && !(length % PROTO_ALIGN) &&
	       addr + length >= addr;
}

#define BAD(msg)                  \
	do {                      \
		if (why)          \
			*why = (msg); \
		return -EBADMSG;  \
	} while (0)

/* The checks shared by encode and decode, on a decoded frame. */
static int check_msg(const struct proto_msg *m, enum proto_dir from,
		     const char **why)
{
	const struct proto_rule *r;
	unsigned int set = 0;

	if (m->type == 0 || m->type >= PROTO_TYPE_END)
		BAD("unknown frame type");
	r = &proto_rules[m->type];
	if (r->from != from)
		BAD("frame type not allowed in this direction");
	if (m->seq == 0)
		BAD("sequence number 0");

	set |= m->reply_to ? F_REPLY_TO : 0;
	set |= m->buffer ? F_BUFFER : 0;
	set |= m->status ? F_STATUS : 0;
	set |= m->addr ? F_ADDR : 0;
	set |= m->length ? F_LENGTH : 0;
	set |= m->chunk_size ? F_CHUNK : 0;
	set |= m->node ? F_NODE : 0;
	set |= m->timeout_ms ? F_TIMEOUT : 0;
	set |= m->hold_ms ? F_HOLD : 0;
	set |= label_empty(m->label) ? 0 : F_LABEL;

	if (set & ~r->fields)
		BAD("field not used by this frame type is not zero");
	if ((set & r->required) != r->required)
		BAD("required field is zero");

	if (m->status > 0 || m->status < -4095)
		BAD("status is not 0 or a negative errno");
	if (m->node < ((r->fields & F_NODE_ANY) ? -1 : 0) ||
	    m->node >= PROTO_MAX_NODES)
		BAD("node out of range");
	if (m->timeout_ms > PROTO_TIMEOUT_MAX_MS ||
	    m->hold_ms > PROTO_TIMEOUT_MAX_MS)
		BAD("timeout out of range");
	if ((r->fields & F_LABEL) && !label_ok(m->label))
		BAD("label is not a NUL-terminated printable string");
	if (m->chunk_size &&
	    (m->chunk_size & (m->chunk_size - 1) ||
	     m->chunk_size < PROTO_CHUNK_MIN || m->chunk_size > PROTO_CHUNK_MAX))
		BAD("chunk size is not a power of two in [64 KiB, 1 GiB]");
	if (!range_ok(m->addr, m->length))
		BAD("address or length not aligned, or the range wraps");
	return 0;
}

int proto_decode(const void *buf, size_t len, enum proto_dir from,
		 struct proto_msg *m, const char **why)
{
	const uint8_t *b = buf;
	size_t i;

	memset(m, 0, sizeof(*m));
	if (len != PROTO_FRAME_SIZE) {
		if (why)
			*why = len < PROTO_FRAME_SIZE ? "truncated frame" :
							"oversized frame";
		return -EMSGSIZE;
	}
	if (get_le32(b + OFF_MAGIC) != PROTO_MAGIC)
		BAD("bad magic");
	m->version = get_le16(b + OFF_VERSION);
	if (m->version < PROTO_VERSION_MIN || m->version > PROTO_VERSION) {
		m->version = 0;
		if (why)
			*why = "unsupported protocol version";
		return -EPROTONOSUPPORT;
	}
	if (get_le32(b + OFF_FLAGS))
		BAD("flags are not zero");
	for (i = OFF_RESERVED; i < PROTO_FRAME_SIZE; i++)
		if (b[i])
			BAD("reserved bytes are not zero");

	m->type = get_le16(b + OFF_TYPE);
	m->seq = get_le32(b + OFF_SEQ);
	m->reply_to = get_le32(b + OFF_REPLY_TO);
	m->buffer = get_le32(b + OFF_BUFFER);
	m->status = (int32_t)get_le32(b + OFF_STATUS);
	m->addr = get_le64(b + OFF_ADDR);
	m->length = get_le64(b + OFF_LENGTH);
	m->chunk_size = get_le64(b + OFF_CHUNK);
	m->node = (int32_t)get_le32(b + OFF_NODE);
	m->timeout_ms = get_le32(b + OFF_TIMEOUT);
	m->hold_ms = get_le32(b + OFF_HOLD);
	memcpy(m->label, b + OFF_LABEL, PROTO_LABEL_LEN);
	return check_msg(m, from, why);
}

int proto_encode(const struct proto_msg *m, enum proto_dir from, void *buf,
		 const char **why)
{
	uint8_t *b = buf;
	int ret;

	if (m->version > PROTO_VERSION)
		BAD("unsupported protocol version");
	ret = check_msg(m, from, why);
	if (ret)
		return ret;
	memset(b, 0, PROTO_FRAME_SIZE);
	put_le32(b + OFF_MAGIC, PROTO_MAGIC);
	put_le16(b + OFF_VERSION, m->version ? m->version : PROTO_VERSION_MIN);
	put_le16(b + OFF_TYPE, m->type);
	put_le32(b + OFF_SEQ, m->seq);
	put_le32(b + OFF_REPLY_TO, m->reply_to);
	put_le32(b + OFF_BUFFER, m->buffer);
	put_le32(b + OFF_STATUS, (uint32_t)m->status);
	put_le64(b + OFF_ADDR, m->addr);
	put_le64(b + OFF_LENGTH, m->length);
	put_le64(b + OFF_CHUNK, m->chunk_size);
	put_le32(b + OFF_NODE, (uint32_t)m->node);
	put_le32(b + OFF_TIMEOUT, m->timeout_ms);
	put_le32(b + OFF_HOLD, m->hold_ms);
	memcpy(b + OFF_LABEL, m->label, PROTO_LABEL_LEN);
	return 0;
}

void proto_peer_init(struct proto_peer *p, enum proto_dir self)
{
	memset(p, 0, sizeof(*p));
	p->self = self;
}

/* Does sending @m leave something waiting for an answer? */
static bool awaits_answer(const struct proto_msg *m)
{
	if (m->type == PROTO_RELEASED)
		return m->status == 0;
	return m->type == PROTO_REPIN || !proto_rules[m->type].answers;
}

int proto_peer_send(struct proto_peer *p, struct proto_msg *m)
{
	struct proto_pending *pp;

	if (m->type == 0 || m->type >= PROTO_TYPE_END ||
	    proto_rules[m->type].from != p->self)
		return -EBADMSG;
	if (p->self == PROTO_FROM_CLIENT) {
		/* HELLO first, once; nothing else until it is answered. */
		if ((m->type == PROTO_HELLO) != (p->tx_seq == 0))
			return -EPROTO;
		if (m->type != PROTO_HELLO && !p->hello)
			return -EPROTO;
	} else if (!p->hello) {
		return -EPROTO;
	}
	if (p->tx_seq == UINT32_MAX)
		return -EOVERFLOW;
	if (awaits_answer(m) && p->nr_pending == PROTO_MAX_PENDING)
		return -ENOSPC;
	if (m->type == PROTO_HELLO) {
		if (m->version > PROTO_VERSION)
			return -EPROTONOSUPPORT;
		if (!m->version)
			m->version = PROTO_VERSION_MIN;
		p->version = m->version;
	} else {
		m->version = p->version;
	}

	m->seq = ++p->tx_seq;
	if (awaits_answer(m)) {
		pp = &p->pending[p->nr_pending++];
		pp->seq = m->seq;
		pp->type = m->type;
		pp->buffer = m->buffer;
		pp->addr = m->addr;
		pp->length = m->length;
	}
	return 0;
}

#define PROTO_ERR(msg)            \
	do {                      \
		if (why)          \
			*why = (msg); \
		return -EPROTO;   \
	} while (0)

int proto_peer_recv(struct proto_peer *p, const struct proto_msg *m,
		    struct proto_pending *req, const char **why)
{
	const struct proto_rule *r;
	struct proto_pending *pp = NULL;
	unsigned int i;

	if (m->type == 0 || m->type >= PROTO_TYPE_END ||
	    proto_rules[m->type].from == p->self)
		PROTO_ERR("frame type not allowed in this direction");
	r = &proto_rules[m->type];
	if (m->seq != p->rx_seq + 1 || m->seq == 0)
		PROTO_ERR("frame out of sequence (lost, replayed or reordered)");

	if (!p->hello) {
		if (m->type != (p->self == PROTO_FROM_AGENT ? PROTO_HELLO :
							      PROTO_HELLO_REPLY))
			PROTO_ERR("first frame is not HELLO / HELLO_REPLY");
	} else if (m->type == PROTO_HELLO || m->type == PROTO_HELLO_REPLY) {
		PROTO_ERR("second HELLO");
	}
	if (m->type == PROTO_HELLO_REPLY && m->status == 0 &&
	    m->version > p->version)
		PROTO_ERR("HELLO_REPLY in a version higher than proposed");
	if (p->hello && m->version != p->version)
		PROTO_ERR("frame of another version than negotiated");

	if (r->answers) {
		for (i = 0; i < p->nr_pending; i++)
			if (p->pending[i].seq == m->reply_to) {
				pp = &p->pending[i];
				break;
			}
		if (!pp)
			PROTO_ERR("answer to a frame that awaits none");
		if (pp->type != r->answers)
			PROTO_ERR("answer of the wrong type");
		if (pp->buffer != m->buffer)
			PROTO_ERR("answer names another buffer");
		if ((r->fields & F_ADDR) && m->type != PROTO_MOVE_REPLY &&
		    (pp->addr != m->addr || pp->length != m->length))
			PROTO_ERR("answer names another range");
		if (req)
			*req = *pp;
		*pp = p->pending[--p->nr_pending];
	} else if (m->reply_to) {
		PROTO_ERR("request with a reply_to");
	}

	p->rx_seq = m->seq;
	if (m->type == PROTO_HELLO ||
	    (m->type == PROTO_HELLO_REPLY && m->status == 0)) {
		p->hello = true;
		p->version = m->version;
	}
	return 0;
}

int proto_peer_forget(struct proto_peer *p, uint32_t seq)
{
	unsigned int i;

	for (i = 0; i < p->nr_pending; i++)
		if (p->pending[i].seq == seq) {
			p->pending[i] = p->pending[--p->nr_pending];
			return 0;
		}
	return -ENOENT;
}

int proto_send(int fd, struct proto_peer *p, struct proto_msg *m,
	       const char **why)
{
	uint8_t buf[PROTO_FRAME_SIZE];
	int ret;

	ret = proto_peer_send(p, m);
	if (ret) {
		if (why)
			*why = "frame not allowed now";
		return ret;
	}
	ret = proto_encode(m, p->self, buf, why);
	if (ret)
		return ret;
	return proto_sock_send(fd, buf, sizeof(buf));
}

int proto_sock_send(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do {
		n = send(fd, buf, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EPIPE ? -ECONNRESET : -errno;
	if ((size_t)n != len)
		return -EMSGSIZE;
	return 0;
}

ssize_t proto_sock_recv(int fd, void *buf, size_t size, const char **why)
{
	ssize_t n;

	do {
		n = recv(fd, buf, size, MSG_DONTWAIT | MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0) {
		if (why)
			*why = "peer hung up";
		return -ECONNRESET;
	}
	return n;
}

int proto_recv(int fd, struct proto_peer *p, struct proto_msg *m,
	       struct proto_pending *req, const char **why)
{
	uint8_t buf[PROTO_FRAME_SIZE + 1];
	enum proto_dir from;
	ssize_t n;
	int ret;

	n = proto_sock_recv(fd, buf, sizeof(buf), why);
	if (n < 0)
		return (int)n;
	from = p->self == PROTO_FROM_AGENT ? PROTO_FROM_CLIENT :
					     PROTO_FROM_AGENT;
	ret = proto_decode(buf, (size_t)n, from, m, why);
	if (ret)
		return ret;
	return proto_peer_recv(p, m, req, why);
}
