// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * proto_pool_peer: the conversation rules and socket I/O of the pool
 * frames, sharing struct proto_peer with the 128-byte frames of proto.c
 * so that one connection has one sequence of numbers.  See proto_pool.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "proto_pool.h"

/* The request a pool answer answers; 0 for a request. */
static uint16_t answers(uint16_t type)
{
	switch (type) {
	case PROTO_POOL_REGISTER_REPLY:
		return PROTO_POOL_REGISTER;
	case PROTO_POOL_UNREGISTER_REPLY:
		return PROTO_POOL_UNREGISTER;
	case PROTO_ADVICE_REPLY:
		return PROTO_ADVICE;
	case PROTO_POOL_BLOCKS_REPLY:
		return PROTO_POOL_BLOCKS;
	case PROTO_POOL_HINTS_REPLY:
		return PROTO_POOL_HINTS;
	case PROTO_POOL_RELEASE_REPLY:
		return PROTO_POOL_RELEASE;
	default:
		return 0;
	}
}

static enum proto_dir sender_of(uint16_t type)
{
	return type == PROTO_POOL_REGISTER || type == PROTO_POOL_UNREGISTER ||
	       type == PROTO_ADVICE_REPLY || type == PROTO_POOL_BLOCKS ||
	       type == PROTO_POOL_HINTS || type == PROTO_POOL_RELEASE_REPLY ?
		       PROTO_FROM_CLIENT : PROTO_FROM_AGENT;
}

int proto_pool_peer_send(struct proto_peer *p, struct proto_pool_msg *m)
{
	struct proto_pending *pp;
	bool request;

	if (m->type < PROTO_POOL_REGISTER || m->type >= PROTO_POOL_TYPE_END ||
	    sender_of(m->type) != p->self)
		return -EBADMSG;
	if (!p->hello || p->version < PROTO_POOL_VERSION)
		return -EPROTO;
	if (p->tx_seq == UINT32_MAX)
		return -EOVERFLOW;
	request = !answers(m->type);
	if (request && p->nr_pending == PROTO_MAX_PENDING)
		return -ENOSPC;
	m->seq = ++p->tx_seq;
	if (request) {
		pp = &p->pending[p->nr_pending++];
		memset(pp, 0, sizeof(*pp));
		pp->seq = m->seq;
		pp->type = m->type;
		pp->buffer = m->pool;
	}
	return 0;
}

#define PROTO_ERR(msg)            \
	do {                      \
		if (why)          \
			*why = (msg); \
		return -EPROTO;   \
	} while (0)

int proto_pool_peer_recv(struct proto_peer *p, const struct proto_pool_msg *m,
			 struct proto_pending *req, const char **why)
{
	struct proto_pending *pp = NULL;
	uint16_t want;
	unsigned int i;

	if (m->type < PROTO_POOL_REGISTER || m->type >= PROTO_POOL_TYPE_END ||
	    sender_of(m->type) == p->self)
		PROTO_ERR("frame type not allowed in this direction");
	if (!p->hello)
		PROTO_ERR("pool frame before HELLO");
	if (p->version < PROTO_POOL_VERSION)
		PROTO_ERR("pool frame on a version-1 connection");
	if (m->seq == 0 || m->seq != p->rx_seq + 1)
		PROTO_ERR("frame out of sequence (lost, replayed or reordered)");
	want = answers(m->type);
	if (want) {
		for (i = 0; i < p->nr_pending; i++)
			if (p->pending[i].seq == m->reply_to) {
				pp = &p->pending[i];
				break;
			}
		if (!pp)
			PROTO_ERR("answer to a frame that awaits none");
		if (pp->type != want)
			PROTO_ERR("answer of the wrong type");
		if (pp->buffer != m->pool)
			PROTO_ERR("answer names another pool");
		if (req)
			*req = *pp;
		*pp = p->pending[--p->nr_pending];
	} else if (m->reply_to) {
		PROTO_ERR("request with a reply_to");
	}
	p->rx_seq = m->seq;
	return 0;
}

int proto_pool_send(int fd, struct proto_peer *p, struct proto_pool_msg *m,
		    const char **why)
{
	uint8_t buf[PROTO_POOL_MAX_FRAME];
	int len, ret;

	ret = proto_pool_peer_send(p, m);
	if (ret) {
		if (why)
			*why = "pool frame not allowed now";
		return ret;
	}
	len = proto_pool_encode(m, p->self, buf, why);
	if (len < 0)
		return len;
	return proto_sock_send(fd, buf, (size_t)len);
}

int proto_recv_any(int fd, struct proto_peer *p, struct proto_msg *m,
		   struct proto_pool_msg *pm, bool *is_pool,
		   struct proto_pending *req, const char **why)
{
	uint8_t buf[PROTO_POOL_MAX_FRAME + 1];
	enum proto_dir from;
	ssize_t n;
	int ret;

	*is_pool = false;
	n = proto_sock_recv(fd, buf, sizeof(buf), why);
	if (n < 0)
		return (int)n;
	from = p->self == PROTO_FROM_AGENT ? PROTO_FROM_CLIENT : PROTO_FROM_AGENT;
	if ((size_t)n <= sizeof(buf) && proto_pool_is_pool_frame(buf, (size_t)n)) {
		*is_pool = true;
		ret = proto_pool_decode(buf, (size_t)n, from, pm, why);
		return ret ? ret : proto_pool_peer_recv(p, pm, req, why);
	}
	if ((size_t)n > sizeof(buf))
		n = sizeof(buf); /* refused by size below either way */
	ret = proto_decode(buf, (size_t)n, from, m, why);
	return ret ? ret : proto_peer_recv(p, m, req, why);
}
