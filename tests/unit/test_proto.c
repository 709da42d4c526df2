// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/lib/proto.c: frame validation against hostile
 * input and the conversation rules (sequence numbers, answers), over
 * memory and over a real SOCK_SEQPACKET socket pair.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "proto.h"

#define FS PROTO_FRAME_SIZE

/* A valid frame of each type, as its sender would build it. */
static struct proto_msg valid(uint16_t type)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.version = PROTO_VERSION_MIN;
	m.type = type;
	m.seq = 7;
	switch (type) {
	case PROTO_HELLO:
		break;
	case PROTO_HELLO_REPLY:
		m.reply_to = 1;
		break;
	case PROTO_REGISTER:
		m.buffer = 3;
		m.addr = 0x7f0000000000ULL;
		m.length = 64ULL << 20;
		m.chunk_size = 2ULL << 20;
		strcpy(m.label, "kv-cache");
		break;
	case PROTO_REGISTER_REPLY:
	case PROTO_UNREGISTER_REPLY:
		m.reply_to = 2;
		m.buffer = 3;
		m.status = -EPERM;
		break;
	case PROTO_UNREGISTER:
		m.buffer = 3;
		break;
	case PROTO_MOVE:
		m.buffer = 3;
		m.addr = 4ULL << 20;
		m.length = 2ULL << 20;
		m.node = 2;
		break;
	case PROTO_MOVE_REPLY:
		m.reply_to = 4;
		m.buffer = 3;
		m.length = 2ULL << 20;
		m.node = -1;
		break;
	case PROTO_PREPARE:
		m.buffer = 3;
		m.addr = 4ULL << 20;
		m.length = 2ULL << 20;
		m.node = 1;
		m.timeout_ms = 2000;
		m.hold_ms = 5000;
		break;
	case PROTO_RELEASED:
	case PROTO_ACK:
		m.reply_to = 5;
		m.buffer = 3;
		m.addr = 4ULL << 20;
		m.length = 2ULL << 20;
		break;
	case PROTO_REPIN:
		m.reply_to = 5;
		m.buffer = 3;
		m.addr = 4ULL << 20;
		m.length = 2ULL << 20;
		m.node = 1;
		break;
	}
	return m;
}

static enum proto_dir sender(uint16_t type)
{
	switch (type) {
	case PROTO_HELLO:
	case PROTO_REGISTER:
	case PROTO_UNREGISTER:
	case PROTO_MOVE:
	case PROTO_RELEASED:
	case PROTO_ACK:
		return PROTO_FROM_CLIENT;
	}
	return PROTO_FROM_AGENT;
}

/* Encode a valid frame of @type into @buf. */
static void frame(uint16_t type, uint8_t *buf)
{
	struct proto_msg m = valid(type);

	if (proto_encode(&m, sender(type), buf, NULL))
		abort();
}

static int decode(const uint8_t *buf, size_t len, uint16_t type)
{
	struct proto_msg m;
	const char *why = NULL;
	int ret = proto_decode(buf, len, sender(type), &m, &why);

	if (ret && !why)
		abort(); /* every refusal says why */
	return ret;
}

/* Every valid frame survives encode and decode unchanged. */
TEST(roundtrip_every_type)
{
	uint8_t buf[FS];
	struct proto_msg in, out;
	uint16_t t;

	for (t = 1; t < PROTO_TYPE_END; t++) {
		in = valid(t);
		ASSERT_EQ(0, proto_encode(&in, sender(t), buf, NULL))
			TH_LOG("%s", proto_type_name(t));
		ASSERT_EQ(0, proto_decode(buf, FS, sender(t), &out, NULL))
			TH_LOG("%s", proto_type_name(t));
		EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)))
			TH_LOG("%s", proto_type_name(t));
	}
}

/* The wire format is little-endian at fixed offsets. */
TEST(wire_layout)
{
	uint8_t buf[FS];

	frame(PROTO_PREPARE, buf);
	EXPECT_EQ('C', buf[0]);
	EXPECT_EQ('X', buf[1]);
	EXPECT_EQ('T', buf[2]);
	EXPECT_EQ('P', buf[3]);
	EXPECT_EQ(PROTO_VERSION_MIN, buf[4]);
	EXPECT_EQ(0, buf[5]);
	EXPECT_EQ(PROTO_PREPARE, buf[6]);
	EXPECT_EQ(7, buf[8]);
	EXPECT_EQ(3, buf[16]);
	EXPECT_EQ(0x40, buf[26]); /* offset 4 MiB = 0x400000 */
	EXPECT_EQ(0x20, buf[34]); /* length 2 MiB */
	EXPECT_EQ(1, buf[48]);
	EXPECT_EQ(2000 & 0xff, buf[52]);
	EXPECT_EQ(2000 >> 8, buf[53]);
}

/* Short, long and empty frames are refused by size. */
TEST(truncated_and_oversized)
{
	uint8_t buf[FS * 2];

	memset(buf, 0, sizeof(buf));
	frame(PROTO_HELLO, buf);
	EXPECT_EQ(-EMSGSIZE, decode(buf, 0, PROTO_HELLO));
	EXPECT_EQ(-EMSGSIZE, decode(buf, 1, PROTO_HELLO));
	EXPECT_EQ(-EMSGSIZE, decode(buf, FS - 1, PROTO_HELLO));
	EXPECT_EQ(-EMSGSIZE, decode(buf, FS + 1, PROTO_HELLO));
	EXPECT_EQ(-EMSGSIZE, decode(buf, FS * 2, PROTO_HELLO));
	EXPECT_EQ(0, decode(buf, FS, PROTO_HELLO));
}

/* Magic, version, flags and reserved bytes are all checked. */
TEST(header_fields)
{
	uint8_t buf[FS];
	int i;

	frame(PROTO_HELLO, buf);
	buf[0] ^= 1;
	EXPECT_EQ(-EBADMSG, decode(buf, FS, PROTO_HELLO));

	frame(PROTO_HELLO, buf);
	buf[4] = PROTO_VERSION + 1;
	EXPECT_EQ(-EPROTONOSUPPORT, decode(buf, FS, PROTO_HELLO));
	buf[4] = 0;
	EXPECT_EQ(-EPROTONOSUPPORT, decode(buf, FS, PROTO_HELLO));

	frame(PROTO_HELLO, buf);
	buf[63] = 0x80;
	EXPECT_EQ(-EBADMSG, decode(buf, FS, PROTO_HELLO));

	for (i = 96; i < FS; i++) {
		frame(PROTO_REGISTER, buf);
		buf[i] = 1;
		EXPECT_EQ(-EBADMSG, decode(buf, FS, PROTO_REGISTER))
			TH_LOG("reserved byte %d", i);
	}
}

/* Unknown types and types sent in the wrong direction are refused. */
TEST(unknown_type_and_direction)
{
	struct proto_msg m;
	uint8_t buf[FS];
	uint16_t t;

	frame(PROTO_HELLO, buf);
	buf[6] = 0;
	EXPECT_EQ(-EBADMSG, decode(buf, FS, PROTO_HELLO));
	buf[6] = PROTO_TYPE_END;
	EXPECT_EQ(-EBADMSG, decode(buf, FS, PROTO_HELLO));
	buf[6] = 0xff;
	buf[7] = 0xff;
	EXPECT_EQ(-EBADMSG, decode(buf, FS, PROTO_HELLO));

	for (t = 1; t < PROTO_TYPE_END; t++) {
		frame(t, buf);
		EXPECT_EQ(-EBADMSG,
			  proto_decode(buf, FS,
				       sender(t) == PROTO_FROM_AGENT ?
					       PROTO_FROM_CLIENT :
					       PROTO_FROM_AGENT,
				       &m, NULL))
			TH_LOG("%s", proto_type_name(t));
	}
	EXPECT_STREQ("?", proto_type_name(0));
	EXPECT_STREQ("?", proto_type_name(PROTO_TYPE_END));
	EXPECT_STREQ("PREPARE", proto_type_name(PROTO_PREPARE));
}

/* A field the type does not use must be zero; a required one must not. */
TEST(unused_and_required_fields)
{
	static const size_t offs[] = { 12, 16, 20, 24, 32, 40, 48, 52, 56, 64 };
	struct proto_msg m;
	uint8_t buf[FS];
	size_t i;

	/* HELLO uses nothing: each field set alone is refused. */
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		frame(PROTO_HELLO, buf);
		buf[offs[i] + 1] = 0x10;
		EXPECT_EQ(-EBADMSG, decode(buf, FS, PROTO_HELLO))
			TH_LOG("offset %zu", offs[i]);
	}
	/* seq 0 is never valid. */
	m = valid(PROTO_HELLO);
	m.seq = 0;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));

	m = valid(PROTO_REGISTER);
	m.buffer = 0;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m = valid(PROTO_REGISTER);
	m.status = -1;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m = valid(PROTO_PREPARE);
	m.timeout_ms = 0;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m = valid(PROTO_PREPARE);
	m.label[0] = 'x';
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m = valid(PROTO_RELEASED);
	m.reply_to = 0;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m = valid(PROTO_UNREGISTER);
	m.node = 1;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
}

/* Lengths, offsets and chunk sizes: aligned, not wrapping, in range. */
TEST(bad_lengths)
{
	static const uint64_t bad_chunks[] = {
		1, 4096, 32 << 10, (64 << 10) + 4096, 3 << 20, 2ULL << 30,
		1ULL << 63, UINT64_MAX,
	};
	struct proto_msg m;
	uint8_t buf[FS];
	size_t i;

	m = valid(PROTO_REGISTER);
	m.addr += 1;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m = valid(PROTO_REGISTER);
	m.length = 4095;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m = valid(PROTO_REGISTER);
	m.addr = UINT64_MAX - 4095;
	m.length = 8192;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m = valid(PROTO_PREPARE);
	m.length = 0;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m = valid(PROTO_PREPARE);
	m.addr = 100;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	for (i = 0; i < sizeof(bad_chunks) / sizeof(bad_chunks[0]); i++) {
		m = valid(PROTO_REGISTER);
		m.chunk_size = bad_chunks[i];
		EXPECT_EQ(-EBADMSG,
			  proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL))
			TH_LOG("chunk %llu", (unsigned long long)bad_chunks[i]);
	}
	m = valid(PROTO_REGISTER);
	m.chunk_size = 1ULL << 30;
	EXPECT_EQ(0, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m.chunk_size = 64 << 10;
	EXPECT_EQ(0, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
}

/* Status, node and timeouts are range-checked per type. */
TEST(value_ranges)
{
	struct proto_msg m;
	uint8_t buf[FS];

	m = valid(PROTO_REGISTER_REPLY);
	m.status = 1;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m.status = -4096;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m.status = INT32_MIN;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m.status = -4095;
	EXPECT_EQ(0, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));

	m = valid(PROTO_PREPARE);
	m.node = -1;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m.node = PROTO_MAX_NODES;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m.node = PROTO_MAX_NODES - 1;
	EXPECT_EQ(0, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m.timeout_ms = PROTO_TIMEOUT_MAX_MS + 1;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m = valid(PROTO_PREPARE);
	m.hold_ms = UINT32_MAX;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));

	m = valid(PROTO_REPIN);
	m.node = -1;
	EXPECT_EQ(0, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m.node = -2;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_AGENT, buf, NULL));
}

/* Labels: printable, NUL-terminated within 32 bytes, zero after the NUL. */
TEST(labels)
{
	struct proto_msg m;
	uint8_t buf[FS];

	m = valid(PROTO_REGISTER);
	memset(m.label, 'a', sizeof(m.label));
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m.label[31] = '\0';
	EXPECT_EQ(0, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m = valid(PROTO_REGISTER);
	m.label[2] = '\n';
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m = valid(PROTO_REGISTER);
	m.label[1] = (char)0xc3;
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m = valid(PROTO_REGISTER);
	m.label[20] = 'x'; /* hidden after the NUL */
	EXPECT_EQ(-EBADMSG, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));
	m = valid(PROTO_REGISTER);
	memset(m.label, 0, sizeof(m.label));
	EXPECT_EQ(0, proto_encode(&m, PROTO_FROM_CLIENT, buf, NULL));

	/* Decoding checks the same, byte by byte. */
	frame(PROTO_REGISTER, buf);
	buf[64 + 30] = 'z';
	EXPECT_EQ(-EBADMSG, decode(buf, FS, PROTO_REGISTER));
}

/* Random frames never crash the decoder, and what it accepts re-encodes
 * to the same bytes. */
TEST(fuzz)
{
	uint8_t buf[FS], again[FS];
	struct proto_msg m;
	unsigned int i, accepted = 0;
	int j;

	srandom(1);
	for (i = 0; i < 200000; i++) {
		frame((uint16_t)(1 + random() % (PROTO_TYPE_END - 1)), buf);
		/* Flip a few random bytes of a valid frame. */
		for (j = random() % 4; j >= 0; j--)
			buf[random() % FS] = (uint8_t)random();
		if (!proto_decode(buf, FS, PROTO_FROM_CLIENT, &m, NULL) ||
		    !proto_decode(buf, FS, PROTO_FROM_AGENT, &m, NULL)) {
			accepted++;
			ASSERT_EQ(0, proto_encode(&m,
						  sender(m.type), again, NULL));
			ASSERT_EQ(0, memcmp(buf, again, FS));
		}
	}
	/* Both outcomes were exercised. */
	EXPECT_LT(0, accepted);
	EXPECT_GT(200000, accepted);
}

FIXTURE(conv)
{
	struct proto_peer agent;
	struct proto_peer client;
};

FIXTURE_SETUP(conv)
{
	proto_peer_init(&self->agent, PROTO_FROM_AGENT);
	proto_peer_init(&self->client, PROTO_FROM_CLIENT);
}

FIXTURE_TEARDOWN(conv)
{
}

/* Send @m from @from to @to through the state machines.  Returns the
 * receiver's verdict. */
static int xfer(struct proto_peer *from, struct proto_peer *to,
		struct proto_msg *m, struct proto_pending *req)
{
	int ret = proto_peer_send(from, m);

	if (ret)
		return ret;
	return proto_peer_recv(to, m, req, NULL);
}

static void hello(struct __test_metadata *_metadata, struct proto_peer *a,
		  struct proto_peer *c)
{
	struct proto_msg m = valid(PROTO_HELLO);

	ASSERT_EQ(0, xfer(c, a, &m, NULL));
	m = valid(PROTO_HELLO_REPLY);
	m.reply_to = 1;
	ASSERT_EQ(0, xfer(a, c, &m, NULL));
	ASSERT_TRUE(a->hello);
	ASSERT_TRUE(c->hello);
}

/* The whole handshake, as documented, goes through. */
TEST_F(conv, handshake)
{
	struct proto_pending req;
	struct proto_msg m, prep, rel, rep;

	hello(_metadata, &self->agent, &self->client);
	prep = valid(PROTO_PREPARE);
	ASSERT_EQ(0, xfer(&self->agent, &self->client, &prep, NULL));
	EXPECT_EQ(1, self->agent.nr_pending);

	rel = valid(PROTO_RELEASED);
	rel.reply_to = prep.seq;
	ASSERT_EQ(0, xfer(&self->client, &self->agent, &rel, &req));
	EXPECT_EQ(PROTO_PREPARE, req.type);
	EXPECT_EQ(prep.seq, req.seq);
	EXPECT_EQ(0, self->agent.nr_pending);
	EXPECT_EQ(1, self->client.nr_pending); /* waits for REPIN */

	rep = valid(PROTO_REPIN);
	rep.reply_to = rel.seq;
	ASSERT_EQ(0, xfer(&self->agent, &self->client, &rep, &req));
	EXPECT_EQ(PROTO_RELEASED, req.type);
	EXPECT_EQ(0, self->client.nr_pending);

	m = valid(PROTO_ACK);
	m.reply_to = rep.seq;
	ASSERT_EQ(0, xfer(&self->client, &self->agent, &m, &req));
	EXPECT_EQ(PROTO_REPIN, req.type);
	EXPECT_EQ(0, self->agent.nr_pending);
}

/* A RELEASED with an error ends the handshake: no REPIN is expected. */
TEST_F(conv, release_refused)
{
	struct proto_msg prep, rel, rep;

	hello(_metadata, &self->agent, &self->client);
	prep = valid(PROTO_PREPARE);
	ASSERT_EQ(0, xfer(&self->agent, &self->client, &prep, NULL));
	rel = valid(PROTO_RELEASED);
	rel.reply_to = prep.seq;
	rel.status = -EBUSY;
	ASSERT_EQ(0, xfer(&self->client, &self->agent, &rel, NULL));
	EXPECT_EQ(0, self->client.nr_pending);
	rep = valid(PROTO_REPIN);
	rep.reply_to = rel.seq;
	EXPECT_EQ(-EPROTO, xfer(&self->agent, &self->client, &rep, NULL));
}

/* Replayed, skipped and reordered sequence numbers are refused. */
TEST_F(conv, wrong_sequence)
{
	struct proto_msg m;

	hello(_metadata, &self->agent, &self->client);
	m = valid(PROTO_UNREGISTER);
	ASSERT_EQ(0, xfer(&self->client, &self->agent, &m, NULL));
	/* The same frame again: a replay. */
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->agent, &m, NULL, NULL));
	/* A gap. */
	m.seq += 2;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->agent, &m, NULL, NULL));
	/* An old one. */
	m.seq = 1;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->agent, &m, NULL, NULL));
	/* The right one still works. */
	m.seq = self->agent.rx_seq + 1;
	EXPECT_EQ(0, proto_peer_recv(&self->agent, &m, NULL, NULL));
}

/* HELLO comes first and only once, on both sides. */
TEST_F(conv, hello_rules)
{
	struct proto_msg m;

	m = valid(PROTO_REGISTER);
	EXPECT_EQ(-EPROTO, proto_peer_send(&self->client, &m));
	m.seq = 1;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->agent, &m, NULL, NULL));
	m = valid(PROTO_PREPARE);
	EXPECT_EQ(-EPROTO, proto_peer_send(&self->agent, &m));

	hello(_metadata, &self->agent, &self->client);
	m = valid(PROTO_HELLO);
	EXPECT_EQ(-EPROTO, proto_peer_send(&self->client, &m));
	m.seq = self->agent.rx_seq + 1;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->agent, &m, NULL, NULL));
}

/* A refused HELLO leaves the client unable to send anything else. */
TEST_F(conv, hello_refused)
{
	struct proto_msg m = valid(PROTO_HELLO);

	ASSERT_EQ(0, xfer(&self->client, &self->agent, &m, NULL));
	m = valid(PROTO_HELLO_REPLY);
	m.reply_to = 1;
	m.status = -EPROTONOSUPPORT;
	ASSERT_EQ(0, xfer(&self->agent, &self->client, &m, NULL));
	EXPECT_FALSE(self->client.hello);
	m = valid(PROTO_REGISTER);
	EXPECT_EQ(-EPROTO, proto_peer_send(&self->client, &m));
}

/* Answers must answer a pending frame of the right type, buffer, range. */
TEST_F(conv, bad_answers)
{
	struct proto_msg prep, m;

	hello(_metadata, &self->agent, &self->client);
	prep = valid(PROTO_PREPARE);
	ASSERT_EQ(0, xfer(&self->agent, &self->client, &prep, NULL));

	/* Unknown reply_to. */
	m = valid(PROTO_RELEASED);
	m.reply_to = prep.seq + 10;
	m.seq = self->agent.rx_seq + 1;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->agent, &m, NULL, NULL));
	/* Wrong type: an ACK where RELEASED is due. */
	m = valid(PROTO_ACK);
	m.reply_to = prep.seq;
	m.seq = self->agent.rx_seq + 1;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->agent, &m, NULL, NULL));
	/* Another buffer. */
	m = valid(PROTO_RELEASED);
	m.reply_to = prep.seq;
	m.buffer = 4;
	m.seq = self->agent.rx_seq + 1;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->agent, &m, NULL, NULL));
	/* Another range. */
	m = valid(PROTO_RELEASED);
	m.reply_to = prep.seq;
	m.length += 4096;
	m.seq = self->agent.rx_seq + 1;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->agent, &m, NULL, NULL));
	/* A request with a reply_to. */
	m = valid(PROTO_UNREGISTER);
	m.reply_to = prep.seq;
	m.seq = self->agent.rx_seq + 1;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->agent, &m, NULL, NULL));
	/* The right answer still goes through, once. */
	m = valid(PROTO_RELEASED);
	m.reply_to = prep.seq;
	m.seq = self->agent.rx_seq + 1;
	EXPECT_EQ(0, proto_peer_recv(&self->agent, &m, NULL, NULL));
	m.seq++;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->agent, &m, NULL, NULL));
}

/* At most PROTO_MAX_PENDING requests wait; forget frees a slot. */
TEST_F(conv, pending_limit)
{
	struct proto_msg m;
	unsigned int i;

	hello(_metadata, &self->agent, &self->client);
	for (i = 0; i < PROTO_MAX_PENDING; i++) {
		m = valid(PROTO_UNREGISTER);
		ASSERT_EQ(0, proto_peer_send(&self->client, &m));
	}
	m = valid(PROTO_UNREGISTER);
	EXPECT_EQ(-ENOSPC, proto_peer_send(&self->client, &m));
	EXPECT_EQ(0, proto_peer_forget(&self->client, 2));
	EXPECT_EQ(-ENOENT, proto_peer_forget(&self->client, 2));
	EXPECT_EQ(0, proto_peer_send(&self->client, &m));
}

FIXTURE(sock)
{
	int sv[2];
	struct proto_peer agent;
	struct proto_peer client;
};

FIXTURE_SETUP(sock)
{
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, self->sv));
	proto_peer_init(&self->agent, PROTO_FROM_AGENT);
	proto_peer_init(&self->client, PROTO_FROM_CLIENT);
}

FIXTURE_TEARDOWN(sock)
{
	close(self->sv[0]);
	if (self->sv[1] >= 0)
		close(self->sv[1]);
}

/* Frames go through a real socket; an empty socket is -EAGAIN. */
TEST_F(sock, send_recv)
{
	struct proto_msg m, got;
	struct proto_pending req;

	m = valid(PROTO_HELLO);
	ASSERT_EQ(0, proto_send(self->sv[1], &self->client, &m, NULL));
	ASSERT_EQ(0, proto_recv(self->sv[0], &self->agent, &got, NULL, NULL));
	EXPECT_EQ(PROTO_HELLO, got.type);
	EXPECT_EQ(1, got.seq);
	EXPECT_EQ(-EAGAIN,
		  proto_recv(self->sv[0], &self->agent, &got, NULL, NULL));

	m = valid(PROTO_HELLO_REPLY);
	m.reply_to = got.seq;
	ASSERT_EQ(0, proto_send(self->sv[0], &self->agent, &m, NULL));
	ASSERT_EQ(0, proto_recv(self->sv[1], &self->client, &got, &req, NULL));
	EXPECT_EQ(PROTO_HELLO, req.type);
}

/* Datagrams of the wrong size are caught even when longer than a frame. */
TEST_F(sock, wrong_sizes)
{
	uint8_t buf[FS * 4];
	struct proto_msg got;
	const char *why = NULL;

	frame(PROTO_HELLO, buf);
	memcpy(buf + FS, buf, FS);
	ASSERT_EQ(FS * 2, send(self->sv[1], buf, FS * 2, 0));
	EXPECT_EQ(-EMSGSIZE,
		  proto_recv(self->sv[0], &self->agent, &got, NULL, &why));
	EXPECT_STREQ("oversized frame", why);
	ASSERT_EQ(FS - 8, send(self->sv[1], buf, FS - 8, 0));
	EXPECT_EQ(-EMSGSIZE,
		  proto_recv(self->sv[0], &self->agent, &got, NULL, &why));
	EXPECT_STREQ("truncated frame", why);
}

/* A peer that hangs up is -ECONNRESET on both calls. */
TEST_F(sock, hang_up)
{
	struct proto_msg m;

	hello(_metadata, &self->agent, &self->client);
	close(self->sv[1]);
	self->sv[1] = -1;
	EXPECT_EQ(-ECONNRESET,
		  proto_recv(self->sv[0], &self->agent, &m, NULL, NULL));
	m = valid(PROTO_PREPARE);
	EXPECT_EQ(-ECONNRESET, proto_send(self->sv[0], &self->agent, &m, NULL));
}

/* The sub-range rule: whole chunks, inside, the last one possibly short. */
TEST(range_rule)
{
	const uint64_t cs = 2 << 20, len = 5 * cs + 4096;	/* 6th chunk short */

	EXPECT_TRUE(proto_range_ok(len, cs, 0, cs));
	EXPECT_TRUE(proto_range_ok(len, cs, cs, 2 * cs));
	EXPECT_TRUE(proto_range_ok(len, cs, 0, len));
	EXPECT_TRUE(proto_range_ok(len, cs, 5 * cs, 4096));	/* the short one */
	EXPECT_TRUE(proto_range_ok(len, cs, 4 * cs, cs + 4096));
	EXPECT_FALSE(proto_range_ok(len, cs, 0, 0));		/* empty */
	EXPECT_FALSE(proto_range_ok(len, cs, 4096, cs));	/* unaligned start */
	EXPECT_FALSE(proto_range_ok(len, cs, 0, cs + 4096));	/* unaligned end */
	EXPECT_FALSE(proto_range_ok(len, cs, 5 * cs, 8192));	/* past the end */
	EXPECT_FALSE(proto_range_ok(len, cs, 6 * cs, cs));	/* starts past it */
	EXPECT_FALSE(proto_range_ok(len, cs, cs, UINT64_MAX));	/* wraps */
	EXPECT_FALSE(proto_range_ok(len, 0, 0, cs));		/* no chunks */
	EXPECT_FALSE(proto_range_ok(0, cs, 0, cs));		/* no buffer */
}

TEST_HARNESS_MAIN
