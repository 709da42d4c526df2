// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-server: the agent's server (agent/server.c, the real code) against
 * several hostile clients at once, over socketpairs and its own socket.
 * Each iteration is an episode: a few clients (root, a uid in the access
 * group, a uid outside it) send random bytes, well-formed frames with
 * random fields, valid requests in and out of order, answers to requests
 * never made, and hang up at any point; the server runs its loop, takes
 * MOVE requests and runs handshakes whose answers are scripted ahead
 * (right, wrong, late, missing, or the client gone during the move).
 * After every turn of the loop the server's books must balance
 * (server_check_books()); at the end of an episode every client and
 * buffer must be gone.  ASan, UBSan and LeakSanitizer watch the rest.
 *
 * Clients that say HELLO in version 2 also send block-pool frames
 * (POOL_REGISTER of the table's ranges as slabs, POOL_BLOCKS,
 * POOL_UNREGISTER, ADVICE_REPLY right, wrong or never), and the driver
 * sends advice for the pools the server has mapped.
 *
 * The module's ranges come from a table here (srv_options.ranges): the
 * server's lookups, not the module, are what is under test.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fuzz.h"
#include "peer_access.h"
#include "proto.h"
#include "proto_pool.h"
#include "server.h"

#define NAME		"fuzz-server"
#define MAX_FAKE	12
#define NR_RANGES	6
#define CHUNK		(64ULL << 10)
#define FAKE_GROUP	4242
#define FAKE_UID	65534
/* The handshake's answer timeout: short, so that missing answers cost little. */
#define TIMEOUT_MS	3

/* One fake client: our end of its socket and its view of the talk. */
struct fake {
	int fd;
	uint32_t tx_seq;	/* our last frame's seq */
	uint32_t rx_seq;	/* the agent's last frame's seq we read */
	bool hello;
	bool hello_sent;
	uint16_t version;	/* negotiated */
	bool adv_pending;	/* @adv awaits our ADVICE_REPLY */
	struct proto_pool_msg adv;
};

struct fuzz_state {
	struct fuzz_run r;
	struct server *s;
	char dir[64];
	char path[96];
	struct cxltier_range_info ranges[NR_RANGES];
	struct fake fake[MAX_FAKE];
	/* Which fake registered each range (index + 1), 0 for none known. */
	int owner[NR_RANGES];
	bool as_root;
	int close_in_move;	/* fake to hang up during the move, or -1 */
	uint64_t handshakes, hs_ok, frames, refused, advice;
};

static int fake_ranges(void *arg, struct cxltier_range_info *buf, uint32_t room,
		       uint32_t *total)
{
	struct fuzz_state *st = arg;
	uint32_t i;

	*total = NR_RANGES;
	for (i = 0; i < NR_RANGES && i < room; i++)
		buf[i] = st->ranges[i];
	return 0;
}

static void setup_ranges(struct fuzz_state *st)
{
	uint32_t i;

	for (i = 0; i < NR_RANGES; i++) {
		memset(&st->ranges[i], 0, sizeof(st->ranges[i]));
		st->ranges[i].id = i + 1;
		st->ranges[i].pid = getpid();
		st->ranges[i].start = 0x10000000ULL * (i + 1);
		/* Some with a short last chunk. */
		st->ranges[i].length = CHUNK * (1 + i % 4) + (i % 2 ? 4096 : 0);
		st->ranges[i].chunk_size = CHUNK;
		snprintf(st->ranges[i].label, sizeof(st->ranges[i].label), "r%u", i);
	}
}

/* --- the fake clients' side ---------------------------------------------- */

static void fake_close(struct fuzz_state *st, int i)
{
	int k;

	if (st->fake[i].fd < 0)
		return;
	close(st->fake[i].fd);
	st->fake[i].fd = -1;
	for (k = 0; k < NR_RANGES; k++)
		if (st->owner[k] == i + 1)
			st->owner[k] = 0;
}

/* A new client over a socketpair, as root or another uid. */
static void fake_new(struct fuzz_state *st, int i)
{
	int sv[2], who = (int)fuzz_below(&st->r, 3), ret;

	if (st->fake[i].fd >= 0)
		return;
	memset(&st->fake[i], 0, sizeof(st->fake[i]));
	st->fake[i].fd = -1;
	/* SO_PEERCRED of a socketpair: the effective ids at its creation. */
	if (st->as_root && who) {
		if (setegid(who == 1 ? FAKE_GROUP : FAKE_GROUP + 1) ||
		    seteuid(FAKE_UID))
			fuzz_fail(&st->r, NAME, "seteuid: %s", strerror(errno));
	}
	ret = socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv);
	if (st->as_root && who && (seteuid(0) || setegid(0)))
		fuzz_fail(&st->r, NAME, "seteuid back: %s", strerror(errno));
	if (ret)
		fuzz_fail(&st->r, NAME, "socketpair: %s", strerror(errno));
	st->fake[i].fd = sv[0];
	if (server_add_client(st->s, sv[1]))
		st->refused++;
}

/* A client that comes through the socket file instead. */
static void fake_connect(struct fuzz_state *st, int i)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (st->fake[i].fd >= 0)
		return;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		fuzz_fail(&st->r, NAME, "socket: %s", strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", st->path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return;
	}
	memset(&st->fake[i], 0, sizeof(st->fake[i]));
	st->fake[i].fd = fd;
}

static void send_bytes(struct fuzz_state *st, int i, const void *buf, size_t len)
{
	if (st->fake[i].fd < 0)
		return;
	/* A full queue or a dropped peer is part of the game. */
	if (send(st->fake[i].fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
		st->frames++;
}

/* Encode @m as a client frame; when the encoder refuses it, send junk. */
static void send_msg(struct fuzz_state *st, int i, struct proto_msg *m,
		     bool next_seq)
{
	uint8_t frame[PROTO_FRAME_SIZE];

	if (st->fake[i].fd < 0)
		return;
	if (next_seq)
		m->seq = ++st->fake[i].tx_seq;
	/* After HELLO, the version it negotiated (now and then, not). */
	if (!m->version && st->fake[i].version && !fuzz_one_in(&st->r, 32))
		m->version = st->fake[i].version;
	if (proto_encode(m, PROTO_FROM_CLIENT, frame, NULL)) {
		/* The encoder is strict; put the fields in by hand, broken. */
		memset(frame, 0, sizeof(frame));
		memcpy(frame, "CXTP", 4);
		frame[4] = 1;
		frame[6] = (uint8_t)m->type;
		memcpy(frame + 8, &m->seq, 4);
		frame[fuzz_below(&st->r, sizeof(frame))] ^= (uint8_t)(1u << fuzz_below(&st->r, 8));
	}
	send_bytes(st, i, frame, sizeof(frame));
}

/* Read what the agent sent; note registrations and its last seq. */
static void fake_drain(struct fuzz_state *st, int i)
{
	uint8_t frame[PROTO_POOL_MAX_FRAME + 16];
	struct proto_pool_msg pm;
	struct proto_msg m;
	ssize_t n;

	while (st->fake[i].fd >= 0) {
		n = recv(st->fake[i].fd, frame, sizeof(frame), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			fake_close(st, i);	/* the agent hung up */
			return;
		}
		if (proto_pool_is_pool_frame(frame, (size_t)n)) {
			if (st->fake[i].version < PROTO_POOL_VERSION)
				fuzz_fail(&st->r, NAME, "a pool frame on a version-1 connection");
			if (proto_pool_decode(frame, (size_t)n, PROTO_FROM_AGENT, &pm, NULL))
				fuzz_fail(&st->r, NAME, "the agent sent a pool frame it may not send");
			if (pm.seq != st->fake[i].rx_seq + 1)
				fuzz_fail(&st->r, NAME, "agent seq %u after %u", pm.seq,
					  st->fake[i].rx_seq);
			st->fake[i].rx_seq = pm.seq;
			if (pm.type == PROTO_ADVICE) {
				st->fake[i].adv = pm;
				st->fake[i].adv_pending = true;
			}
			continue;
		}
		if (proto_decode(frame, (size_t)n, PROTO_FROM_AGENT, &m, NULL))
			fuzz_fail(&st->r, NAME, "the agent sent a frame it may not send");
		if (m.seq != st->fake[i].rx_seq + 1)
			fuzz_fail(&st->r, NAME, "agent seq %u after %u", m.seq,
				  st->fake[i].rx_seq);
		st->fake[i].rx_seq = m.seq;
		if (m.type == PROTO_HELLO_REPLY && !m.status) {
			st->fake[i].hello = true;
			st->fake[i].version = m.version;
		}
		if (m.type == PROTO_REGISTER_REPLY && !m.status &&
		    m.buffer >= 1 && m.buffer <= NR_RANGES)
			st->owner[m.buffer - 1] = i + 1;
	}
}

static uint64_t rand_len(struct fuzz_state *st)
{
	static const uint64_t lens[] = { 0, 4096, CHUNK, 2 * CHUNK, 3 * CHUNK + 4096,
					 1ULL << 40, 12345 };

	return lens[fuzz_below(&st->r, sizeof(lens) / sizeof(lens[0]))];
}

/* A frame of any type with fields from a small, telling pool. */
static void random_frame(struct fuzz_state *st, int i)
{
	struct proto_msg m;
	const struct cxltier_range_info *r = &st->ranges[fuzz_below(&st->r, NR_RANGES)];

	memset(&m, 0, sizeof(m));
	m.type = (uint16_t)fuzz_below(&st->r, PROTO_TYPE_END + 2);
	m.seq = fuzz_one_in(&st->r, 4) ? fuzz_below(&st->r, 5) : st->fake[i].tx_seq + 1;
	if (fuzz_one_in(&st->r, 2))
		m.reply_to = st->fake[i].rx_seq + fuzz_below(&st->r, 3) - 1;
	m.buffer = fuzz_one_in(&st->r, 5) ? fuzz_below(&st->r, 100) : r->id;
	m.status = fuzz_one_in(&st->r, 3) ? -(int32_t)fuzz_below(&st->r, 5000) : 0;
	m.addr = fuzz_one_in(&st->r, 2) ? r->start : CHUNK * fuzz_below(&st->r, 4);
	m.length = fuzz_one_in(&st->r, 2) ? r->length : rand_len(st);
	m.chunk_size = fuzz_one_in(&st->r, 4) ? 0 : CHUNK;
	m.node = (int32_t)fuzz_below(&st->r, 6) - 1;
	if (fuzz_one_in(&st->r, 3))
		snprintf(m.label, sizeof(m.label), "l%u", fuzz_below(&st->r, 10));
	send_msg(st, i, &m, m.seq == st->fake[i].tx_seq + 1);
	if (m.seq == st->fake[i].tx_seq + 1)
		st->fake[i].tx_seq = m.seq;
}

/* A valid request (after HELLO or not, as the dice say). */
static void valid_request(struct fuzz_state *st, int i)
{
	const struct cxltier_range_info *r = &st->ranges[fuzz_below(&st->r, NR_RANGES)];
	struct proto_msg m;
	uint32_t k;

	memset(&m, 0, sizeof(m));
	/* Mostly in order: HELLO first. */
	if (!st->fake[i].hello_sent)
		k = fuzz_one_in(&st->r, 16) ? 1 + fuzz_below(&st->r, 3) : 0;
	else
		k = fuzz_one_in(&st->r, 16) ? 0 : 1 + fuzz_below(&st->r, 3);
	switch (k) {
	case 0:
		m.type = PROTO_HELLO;
		m.version = fuzz_one_in(&st->r, 2) ? PROTO_POOL_VERSION : 0;
		st->fake[i].hello_sent = true;
		break;
	case 1:
		m.type = PROTO_REGISTER;
		m.buffer = r->id;
		m.addr = r->start;
		m.length = r->length;
		m.chunk_size = r->chunk_size;
		memcpy(m.label, r->label, sizeof(m.label));
		break;
	case 2:
		m.type = PROTO_UNREGISTER;
		m.buffer = r->id;
		break;
	default:
		m.type = PROTO_MOVE;
		m.buffer = r->id;
		m.addr = CHUNK * fuzz_below(&st->r, 2);
		m.length = CHUNK;
		m.node = (int32_t)fuzz_below(&st->r, 3);
		break;
	}
	send_msg(st, i, &m, true);
}

/* An answer to a request the agent never made. */
static void unsolicited_answer(struct fuzz_state *st, int i)
{
	const struct cxltier_range_info *r = &st->ranges[fuzz_below(&st->r, NR_RANGES)];
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = fuzz_one_in(&st->r, 2) ? PROTO_RELEASED : PROTO_ACK;
	m.reply_to = st->fake[i].rx_seq + fuzz_below(&st->r, 3);
	if (!m.reply_to)
		m.reply_to = 1;
	m.buffer = r->id;
	m.length = CHUNK;
	send_msg(st, i, &m, true);
}

static void check_books(struct fuzz_state *st, const char *when);
static void pump(struct fuzz_state *st);

/* Encode @m as a client pool frame (next seq); broken by hand if refused. */
static void send_pool(struct fuzz_state *st, int i, struct proto_pool_msg *m)
{
	uint8_t frame[PROTO_POOL_MAX_FRAME];
	int n;

	if (st->fake[i].fd < 0)
		return;
	m->seq = ++st->fake[i].tx_seq;
	n = proto_pool_encode(m, PROTO_FROM_CLIENT, frame, NULL);
	if (n < 0) {
		memset(frame, 0, PROTO_POOL_HDR_SIZE);
		memcpy(frame, "CXTB", 4);
		frame[4] = 2;
		frame[6] = (uint8_t)m->type;
		memcpy(frame + 8, &m->seq, 4);
		memcpy(frame + 16, &m->pool, 4);
		n = PROTO_POOL_HDR_SIZE + 16 * (int)fuzz_below(&st->r, 3);
		frame[fuzz_below(&st->r, (uint32_t)n)] ^= (uint8_t)(1u << fuzz_below(&st->r, 8));
	}
	send_bytes(st, i, frame, (size_t)n);
}

/* A pool frame: mostly well formed, with fields from a telling pool. */
static void pool_request(struct fuzz_state *st, int i, int kind)
{
	struct fake *f = &st->fake[i];
	struct proto_pool_msg m;
	uint32_t k, a, b, c, slots = 0;
	int t;

	memset(&m, 0, sizeof(m));
	m.pool = 1 + fuzz_below(&st->r, 3);
	switch (kind >= 0 ? kind : (int)fuzz_below(&st->r, 6)) {
	case 0:
	case 1:
		m.type = PROTO_POOL_REGISTER;
		m.block_size = fuzz_one_in(&st->r, 8) ? 4096 : CHUNK;
		m.count = 1 + fuzz_below(&st->r, 2);
		/* Mostly ranges whose length is whole blocks (the even ones). */
		a = fuzz_one_in(&st->r, 4) ? fuzz_below(&st->r, NR_RANGES) :
					     2 * fuzz_below(&st->r, NR_RANGES / 2);
		b = fuzz_one_in(&st->r, 4) ? fuzz_below(&st->r, NR_RANGES) :
					     (a + 2) % NR_RANGES;
		for (k = 0; k < m.count; k++) {
			const struct cxltier_range_info *r = &st->ranges[k ? b : a];

			m.slab[k].range = r->id;
			m.slab[k].node = (int32_t)(2 * k);
			m.slab[k].slots = (uint32_t)(r->length / CHUNK) +
					  (fuzz_one_in(&st->r, 8) ? 1 : 0);
			m.slab[k].mtier = k;
			slots += m.slab[k].slots;
		}
		m.nr_blocks = fuzz_one_in(&st->r, 8) ? slots + 1 :
						       1 + fuzz_below(&st->r, slots);
		break;
	case 2:
		m.type = PROTO_POOL_UNREGISTER;
		break;
	case 3:
	case 4:
		m.type = PROTO_POOL_BLOCKS;
		/* Mostly slots and blocks the pool has; sometimes not. */
		c = fuzz_one_in(&st->r, 4) ? 10 : 2;
		m.count = fuzz_one_in(&st->r, 2) ? 1 : 1 + fuzz_below(&st->r, 3);
		for (k = 0; k < m.count; k++) {
			m.slots[k].slot = fuzz_below(&st->r, c);
			m.slots[k].handle = fuzz_one_in(&st->r, 4) ? 0 :
				((uint64_t)(1 + fuzz_below(&st->r, 2)) << 32) |
				fuzz_below(&st->r, c / 2);
		}
		break;
	default:
		m.type = PROTO_ADVICE_REPLY;
		if (f->adv_pending && !fuzz_one_in(&st->r, 6)) {
			m.reply_to = f->adv.seq;
			m.pool = f->adv.pool;
			if (fuzz_one_in(&st->r, 5)) {
				m.status = -EINVAL;	/* the whole batch refused */
			} else {
				static const int res[] = { 0, 0, -EBUSY, -ESTALE, -ENOSPC, -EIO };

				m.count = f->adv.count;
				for (k = 0; k < m.count; k++) {
					t = (int)fuzz_below(&st->r, 6);
					m.res[k].block = f->adv.advice[k].block;
					m.res[k].result = res[t];
					m.res[k].moved = t == 0;
					c = (uint32_t)proto_pool_count_of(res[t], t == 0);
					m.counts[c]++;
				}
				if (fuzz_one_in(&st->r, 8))
					m.res[0].block ^= 1;	/* lies */
			}
			f->adv_pending = false;
		} else {
			m.reply_to = f->rx_seq + fuzz_below(&st->r, 2);
			m.count = 1;
			m.res[0].block = (1ULL << 32) | 1;
			m.counts[PROTO_POOL_MOVED] = 1;
			m.res[0].moved = 1;
		}
		break;
	}
	send_pool(st, i, &m);
}

/* The driver's advice: each mapped pool without advice in flight. */
static void advise(struct fuzz_state *st)
{
	static struct proto_pool_msg m;
	struct srv_pool *p;
	uint32_t slot, n;

	for (p = server_pools(st->s); p; p = p->next) {
		if (!p->mapped || p->advice_seq || fuzz_one_in(&st->r, 3))
			continue;
		memset(&m, 0, sizeof(m));
		m.type = PROTO_ADVICE;
		n = 0;
		for (slot = 0; slot < p->tier_base[p->nr_tiers] && n < 8; slot++)
			if (p->slot[slot]) {
				m.advice[n].block = p->slot[slot];
				m.advice[n].tier = fuzz_below(&st->r, p->nr_tiers);
				n++;
			}
		if (!n)
			continue;
		m.count = n;
		if (!server_pool_advise(st->s, p, &m))
			st->advice++;
		check_books(st, "after advice");
		/* The list may have changed (a client dropped). */
		break;
	}
	/* Mostly answered at once, right or wrong; sometimes never. */
	for (n = 0; n < MAX_FAKE; n++) {
		fake_drain(st, (int)n);
		if (st->fake[n].adv_pending && !fuzz_one_in(&st->r, 4))
			pool_request(st, (int)n, 5);
	}
	pump(st);
}

static void random_bytes(struct fuzz_state *st, int i)
{
	uint8_t buf[300];
	size_t len = fuzz_one_in(&st->r, 2) ? PROTO_FRAME_SIZE : fuzz_below(&st->r, sizeof(buf));
	size_t k;

	for (k = 0; k < len; k++)
		buf[k] = (uint8_t)fuzz_u64(&st->r);
	if (len >= 8 && fuzz_one_in(&st->r, 2)) {
		memcpy(buf, "CXTP", 4);
		buf[4] = 1;
		buf[5] = 0;
	}
	send_bytes(st, i, buf, len);
}

static void pump(struct fuzz_state *st);

/*
 * Requests without reading the answers: the agent's send queue to it
 * fills and it is dropped, or its own socket throttles it.
 */
static void flood(struct fuzz_state *st, int i)
{
	struct proto_msg m;
	int k, n = 16 + (int)fuzz_below(&st->r, 400);

	for (k = 0; k < n && st->fake[i].fd >= 0; k++) {
		memset(&m, 0, sizeof(m));
		m.type = PROTO_UNREGISTER;
		m.buffer = 1000 + (uint32_t)k;	/* never registered: ENOENT */
		send_msg(st, i, &m, true);
		if (k % 16 == 15)
			pump(st);
	}
}

/* --- the server's side --------------------------------------------------- */

static void check_books(struct fuzz_state *st, const char *when)
{
	char why[256];

	if (server_check_books(st->s, why, sizeof(why)))
		fuzz_fail(&st->r, NAME, "books off %s: %s", when, why);
}

/* One turn of the daemon's loop, without waiting. */
static void pump(struct fuzz_state *st)
{
	struct pollfd pfd[SRV_MAX_CLIENTS + 1];
	size_t n;

	n = server_pollfds(st->s, pfd, SRV_MAX_CLIENTS + 1);
	if (poll(pfd, n, 0) < 0)
		fuzz_fail(&st->r, NAME, "poll: %s", strerror(errno));
	server_process(st->s, pfd, n);
	check_books(st, "after a turn of the loop");
}

static int fake_move(void *arg, int *node, uint64_t *moved)
{
	struct fuzz_state *st = arg;
	static const int errs[] = { 0, 0, 0, -EBUSY, -ENOENT, -ESTALE };

	if (st->close_in_move >= 0)
		fake_close(st, st->close_in_move);
	*node = (int)fuzz_below(&st->r, 4) - 1;
	*moved = CHUNK * fuzz_below(&st->r, 3);
	return errs[fuzz_below(&st->r, sizeof(errs) / sizeof(errs[0]))];
}

/*
 * A handshake on a registered range, its owner's answers queued ahead:
 * the agent's PREPARE will be seq rx + 1 and its REPIN rx + 2.
 */
static void handshake(struct fuzz_state *st)
{
	uint32_t k = fuzz_below(&st->r, NR_RANGES), id = k + 1, nchunks;
	struct srv_hs_result res;
	struct srv_buffer *b;
	struct proto_msg rel, ack;
	uint64_t off, len;
	int i, j, script;

	for (j = 0; j < MAX_FAKE; j++)
		fake_drain(st, j);
	b = server_buffer(st->s, id);
	if (!b)
		return;
	nchunks = (uint32_t)((b->length + CHUNK - 1) / CHUNK);
	off = CHUNK * fuzz_below(&st->r, nchunks);
	len = fuzz_one_in(&st->r, 2) ? b->length - off : CHUNK;
	if (off + len > b->length)
		len = b->length - off;
	i = st->owner[k] - 1;
	script = (int)fuzz_below(&st->r, 8);
	st->close_in_move = script == 6 ? i : -1;
	if (i >= 0 && st->fake[i].fd >= 0 && script != 5) {
		memset(&rel, 0, sizeof(rel));
		rel.type = PROTO_RELEASED;
		rel.reply_to = st->fake[i].rx_seq + 1;
		rel.buffer = id;
		rel.addr = off;
		rel.length = len;
		if (script == 1)
			rel.status = -EBUSY;		/* refuses to release */
		if (script == 2)
			rel.length += CHUNK;		/* another range */
		send_msg(st, i, &rel, true);
		if (script != 3) {			/* 3: no ACK, time out */
			memset(&ack, 0, sizeof(ack));
			ack.type = PROTO_ACK;
			ack.reply_to = st->fake[i].rx_seq + 2;
			ack.buffer = id;
			ack.addr = off;
			ack.length = len;
			ack.status = script == 4 ? -ENOMEM : 0;
			send_msg(st, i, &ack, true);
		}
		if (script == 7)
			fake_close(st, i);	/* answered, then gone */
	}
	st->handshakes++;
	if (!server_handshake(st->s, b, off, len, (int)fuzz_below(&st->r, 3),
			      fake_move, st, &res))
		st->hs_ok++;
	st->close_in_move = -1;
	check_books(st, "after a handshake");
}

static void take_moves(struct fuzz_state *st)
{
	struct srv_move *mv;

	while ((mv = server_take_move(st->s))) {
		server_move_done(st->s, mv, fuzz_one_in(&st->r, 2) ? 0 : -EBUSY,
				 CHUNK, (int)fuzz_below(&st->r, 3) - 1);
		check_books(st, "after a MOVE's answer");
	}
}

static void episode(struct fuzz_state *st)
{
	int steps = 8 + (int)fuzz_below(&st->r, 120), step, i, a, guard;

	for (step = 0; step < steps; step++) {
		/* A few busy clients and many occasional ones. */
		i = (int)fuzz_below(&st->r, fuzz_one_in(&st->r, 4) ? MAX_FAKE : 3);
		/* Mostly valid traffic, so that handshakes happen; some hostile. */
		a = (int)fuzz_below(&st->r, 27);
		/* Hostile acts mostly by the occasional clients. */
		if ((a == 3 || a == 4 || a == 5 || a == 12) && !fuzz_one_in(&st->r, 4))
			i = 3 + (int)fuzz_below(&st->r, MAX_FAKE - 3);
		switch (a) {
		case 0:
		case 1:
			fake_new(st, i);
			break;
		case 2:
			fake_connect(st, i);
			break;
		case 3:
			fake_close(st, i);
			break;
		case 4:
			random_bytes(st, i);
			break;
		case 5:
			random_frame(st, i);
			break;
		case 6 ... 11:
			valid_request(st, i);
			break;
		case 12:
			unsolicited_answer(st, i);
			break;
		case 13:
		case 14:
			fake_drain(st, i);
			break;
		case 15:
		case 16:
			handshake(st);
			break;
		case 17:
			take_moves(st);
			break;
		case 22:
		case 23:
			if (st->fake[i].version >= PROTO_POOL_VERSION)
				pool_request(st, i, -1);
			else
				valid_request(st, i);
			break;
		case 24:
		case 25:
			advise(st);
			break;
		case 18:
			if (fuzz_one_in(&st->r, 4))
				flood(st, i);
			else
				pump(st);
			break;
		default:
			pump(st);
			break;
		}
	}
	/* Everyone hangs up; the server must forget them all. */
	for (i = 0; i < MAX_FAKE; i++)
		fake_close(st, i);
	for (guard = 0; guard < 100 && server_nr_clients(st->s); guard++)
		pump(st);
	take_moves(st);
	check_books(st, "at the end of an episode");
	if (server_nr_clients(st->s) || server_nr_buffers(st->s) ||
	    server_nr_pools(st->s))
		fuzz_fail(&st->r, NAME, "%u clients, %u buffers and %u pools left after all hung up",
			  server_nr_clients(st->s), server_nr_buffers(st->s),
			  server_nr_pools(st->s));
}

int main(int argc, char **argv)
{
	static struct fuzz_state st;
	struct srv_options o;
	struct srv_stats stats;
	struct kdev kdev;
	char extra[160];
	int i;

	if (fuzz_args(&st.r, argc, argv, 4000))
		return 2;
	/* The server's log lines are expected by the thousand: not here. */
	if (!getenv("FUZZ_LOG"))
		stderr = fopen("/dev/null", "w");
	if (!stderr)
		return 2;
	st.as_root = geteuid() == 0;
	st.close_in_move = -1;
	for (i = 0; i < MAX_FAKE; i++)
		st.fake[i].fd = -1;
	setup_ranges(&st);
	snprintf(st.dir, sizeof(st.dir), "/tmp/cxltier-fuzz-server.XXXXXX");
	if (!mkdtemp(st.dir))
		fuzz_fail(&st.r, NAME, "mkdtemp: %s", strerror(errno));
	snprintf(st.path, sizeof(st.path), "%s/s.sock", st.dir);
	memset(&kdev, 0, sizeof(kdev));
	kdev.fd = -1;
	memset(&o, 0, sizeof(o));
	o.path = st.path;
	o.timeout_ms = TIMEOUT_MS;
	o.hello_timeout_ms = 20;
	/* Not root: one uid, ours, in the access group. */
	o.group = st.as_root ? FAKE_GROUP : getegid();
	o.mode = 0660;
	/* Small limits, so that every one of them is hit. */
	o.limits.max_clients = 8;
	o.limits.root_reserve = 2;
	o.limits.clients_per_uid = 3;
	o.limits.buffers_per_uid = 2;
	o.limits.requests_per_uid = 2;
	o.ranges = fake_ranges;
	o.ranges_arg = &st;
	if (server_open(&st.s, &o, &kdev))
		fuzz_fail(&st.r, NAME, "server_open: %s", strerror(errno));
	while (fuzz_more(&st.r))
		episode(&st);
	stats = *server_stats(st.s);
	server_close(st.s);
	rmdir(st.dir);
	snprintf(extra, sizeof(extra),
		 "%llu frames, %llu handshakes (%llu complete), %llu connections refused, %llu advice (%llu answered)%s",
		 (unsigned long long)st.frames, (unsigned long long)st.handshakes,
		 (unsigned long long)st.hs_ok, (unsigned long long)st.refused,
		 (unsigned long long)st.advice,
		 (unsigned long long)(stats.pools.refused + stats.pools.results[0] +
				      stats.pools.results[1] + stats.pools.results[2] +
				      stats.pools.results[3] + stats.pools.results[4] +
				      stats.pools.results[5]),
		 st.as_root ? "" : " (not root: one uid only)");
	printf("# refused:");
	for (i = 0; i < PEER_NR_REFUSALS; i++)
		printf(" %s %llu", peer_refusal_name(i), (unsigned long long)stats.refused[i]);
	printf("; dropped:");
	for (i = 0; i < SRV_NR_DROPS; i++)
		printf(" %s %llu", server_drop_name(i), (unsigned long long)stats.dropped[i]);
	printf("; limits: buffers %llu, requests %llu\n",
	       (unsigned long long)stats.buffers_refused,
	       (unsigned long long)stats.requests_refused);
	fuzz_pass(&st.r, NAME, extra);
	return 0;
}
