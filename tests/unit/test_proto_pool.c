// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/lib/proto_pool.c: the block-pool frames
 * (POOL_REGISTER, ADVICE, ADVICE_REPLY, ...) round-trip, and every
 * malformed frame is refused, as bytes and against the pool it names;
 * plus the version negotiation of agent/lib/proto.c that gates them.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"
#include "proto.h"
#include "proto_pool.h"

static uint8_t buf[PROTO_POOL_MAX_FRAME + 64];

static struct proto_pool_msg valid(uint16_t type)
{
	struct proto_pool_msg m;
	unsigned int i;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.seq = 9;
	m.pool = 5;
	switch (type) {
	case PROTO_POOL_REGISTER:
		m.block_size = 2ULL << 20;
		m.nr_blocks = 64;
		m.count = 2;
		m.slab[0] = (struct proto_pool_slab){ 11, 0, 64, 0 };
		m.slab[1] = (struct proto_pool_slab){ 12, 2, 64, 1 };
		break;
	case PROTO_POOL_REGISTER_REPLY:
	case PROTO_POOL_UNREGISTER_REPLY:
		m.reply_to = 3;
		m.status = -ENOMEM;
		break;
	case PROTO_ADVICE:
		m.count = 4;
		for (i = 0; i < 4; i++)
			m.advice[i] = (struct proto_pool_advice){ (1ULL << 32) | i, i & 1 };
		break;
	case PROTO_ADVICE_REPLY:
		m.reply_to = 9;
		m.count = 4;
		m.res[0] = (struct proto_pool_result){ (1ULL << 32) | 0, 0, 1 };
		m.res[1] = (struct proto_pool_result){ (1ULL << 32) | 1, -EBUSY, 0 };
		m.res[2] = (struct proto_pool_result){ (1ULL << 32) | 2, -ESTALE, 0 };
		m.res[3] = (struct proto_pool_result){ (1ULL << 32) | 3, -ENOSPC, 0 };
		m.counts[PROTO_POOL_MOVED] = 1;
		m.counts[PROTO_POOL_BUSY] = 1;
		m.counts[PROTO_POOL_STALE] = 1;
		m.counts[PROTO_POOL_NOROOM] = 1;
		break;
	default:
		break;
	}
	return m;
}

static enum proto_dir sender(uint16_t type)
{
	return type == PROTO_POOL_REGISTER || type == PROTO_POOL_UNREGISTER ||
	       type == PROTO_ADVICE_REPLY ? PROTO_FROM_CLIENT : PROTO_FROM_AGENT;
}

/* Encode @m as its sender; decode it back; the decode's result. */
static int roundtrip(const struct proto_pool_msg *m, struct proto_pool_msg *out)
{
	int n = proto_pool_encode(m, sender(m->type), buf, NULL);

	if (n < 0)
		return n;
	return proto_pool_decode(buf, (size_t)n, sender(m->type), out, NULL);
}

/* Encode a valid frame of @type, return its length. */
static size_t frame(uint16_t type)
{
	struct proto_pool_msg m = valid(type);
	int n = proto_pool_encode(&m, sender(type), buf, NULL);

	return n < 0 ? 0 : (size_t)n;
}

static int decode(size_t len, uint16_t type)
{
	struct proto_pool_msg m;

	return proto_pool_decode(buf, len, sender(type), &m, NULL);
}

TEST(every_type_round_trips)
{
	struct proto_pool_msg m, out;
	uint16_t t;

	for (t = PROTO_POOL_REGISTER; t < PROTO_POOL_TYPE_END; t++) {
		m = valid(t);
		if (t == PROTO_POOL_UNREGISTER)
			m.status = 0;
		ASSERT_EQ(0, roundtrip(&m, &out)) TH_LOG("%s", proto_pool_type_name(t));
		EXPECT_EQ(0, memcmp(&m, &out, sizeof(m))) TH_LOG("%s", proto_pool_type_name(t));
		EXPECT_TRUE(proto_pool_is_pool_frame(buf, PROTO_POOL_HDR_SIZE));
	}
	EXPECT_STREQ("?", proto_pool_type_name(1));
	EXPECT_STREQ("ADVICE", proto_pool_type_name(PROTO_ADVICE));
}

/* A full batch fits one frame; one entry more is refused both ways. */
TEST(batch_bounds)
{
	struct proto_pool_msg m = valid(PROTO_ADVICE), out;
	unsigned int i;
	int n;

	m.count = PROTO_POOL_MAX_ENTRIES;
	for (i = 0; i < m.count; i++)
		m.advice[i] = (struct proto_pool_advice){ (7ULL << 32) | i, 1 };
	n = proto_pool_encode(&m, PROTO_FROM_AGENT, buf, NULL);
	ASSERT_EQ(PROTO_POOL_MAX_FRAME, n);
	ASSERT_EQ(0, proto_pool_decode(buf, (size_t)n, PROTO_FROM_AGENT, &out, NULL));
	EXPECT_EQ(PROTO_POOL_MAX_ENTRIES, out.count);
	EXPECT_EQ((7ULL << 32) | 255, out.advice[255].block);

	buf[24] = 1;
	buf[25] = 1; /* count 257 */
	EXPECT_EQ(-EBADMSG, proto_pool_decode(buf, (size_t)n + 16, PROTO_FROM_AGENT, &out, NULL));
	m.count = PROTO_POOL_MAX_ENTRIES + 1;
	EXPECT_EQ(-EBADMSG, proto_pool_encode(&m, PROTO_FROM_AGENT, buf, NULL));
}

/* The length must be exactly header + count entries. */
TEST(length_matches_count)
{
	size_t n = frame(PROTO_ADVICE);

	ASSERT_EQ(PROTO_POOL_HDR_SIZE + 4 * PROTO_POOL_ENTRY_SIZE, n);
	EXPECT_EQ(0, decode(n, PROTO_ADVICE));
	EXPECT_EQ(-EMSGSIZE, decode(0, PROTO_ADVICE));
	EXPECT_EQ(-EMSGSIZE, decode(PROTO_POOL_HDR_SIZE - 1, PROTO_ADVICE));
	EXPECT_EQ(-EMSGSIZE, decode(n - 1, PROTO_ADVICE));
	EXPECT_EQ(-EMSGSIZE, decode(n - PROTO_POOL_ENTRY_SIZE, PROTO_ADVICE));
	EXPECT_EQ(-EMSGSIZE, decode(n + PROTO_POOL_ENTRY_SIZE, PROTO_ADVICE));
}

/* Magic, version, flags, padding and reserved bytes. */
TEST(header_fields)
{
	size_t n;
	int i;

	n = frame(PROTO_ADVICE);
	buf[0] ^= 1;
	EXPECT_EQ(-EBADMSG, decode(n, PROTO_ADVICE));
	EXPECT_FALSE(proto_pool_is_pool_frame(buf, n));

	n = frame(PROTO_ADVICE);
	buf[4] = 1;
	EXPECT_EQ(-EPROTONOSUPPORT, decode(n, PROTO_ADVICE));
	buf[4] = 3;
	EXPECT_EQ(-EPROTONOSUPPORT, decode(n, PROTO_ADVICE));

	for (i = 28; i < 32; i++) {
		n = frame(PROTO_ADVICE);
		buf[i] = 1;
		EXPECT_EQ(-EBADMSG, decode(n, PROTO_ADVICE)) TH_LOG("flags byte %d", i);
	}
	for (i = 44; i < 48; i++) {
		n = frame(PROTO_ADVICE);
		buf[i] = 1;
		EXPECT_EQ(-EBADMSG, decode(n, PROTO_ADVICE)) TH_LOG("pad byte %d", i);
	}
	for (i = 72; i < PROTO_POOL_HDR_SIZE; i++) {
		n = frame(PROTO_ADVICE);
		buf[i] = 1;
		EXPECT_EQ(-EBADMSG, decode(n, PROTO_ADVICE)) TH_LOG("reserved byte %d", i);
	}
	/* Entry padding of advice. */
	n = frame(PROTO_ADVICE);
	buf[PROTO_POOL_HDR_SIZE + 12] = 1;
	EXPECT_EQ(-EBADMSG, decode(n, PROTO_ADVICE));
}

/* Type, direction, sequence, pool, reply_to, status. */
TEST(common_fields)
{
	struct proto_pool_msg m, out;
	uint16_t t;

	m = valid(PROTO_ADVICE);
	m.type = PROTO_POOL_TYPE_END;
	EXPECT_EQ(-EBADMSG, proto_pool_encode(&m, PROTO_FROM_AGENT, buf, NULL));
	m.type = PROTO_HELLO;
	EXPECT_EQ(-EBADMSG, proto_pool_encode(&m, PROTO_FROM_AGENT, buf, NULL));

	for (t = PROTO_POOL_REGISTER; t < PROTO_POOL_TYPE_END; t++) {
		size_t n = frame(t);

		ASSERT_NE(0, n);
		/* The other direction. */
		EXPECT_EQ(-EBADMSG, proto_pool_decode(buf, n, !sender(t), &out, NULL));
		m = valid(t);
		m.seq = 0;
		EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
		m = valid(t);
		m.pool = 0;
		EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
		m = valid(t);
		m.reply_to = m.reply_to ? 0 : 3;
		EXPECT_EQ(-EBADMSG, roundtrip(&m, &out)) TH_LOG("%s reply_to", proto_pool_type_name(t));
		m = valid(t);
		m.status = 1;
		EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
		m = valid(t);
		m.status = -5000;
		EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
		m = valid(t);
		if (t != PROTO_POOL_REGISTER) {
			m.block_size = 4096;
			EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
			m = valid(t);
			m.nr_blocks = 1;
			EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
		}
		m = valid(t);
		if (t != PROTO_ADVICE_REPLY) {
			m.counts[PROTO_POOL_FAILED] = 1;
			EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
		}
	}
	/* A request never carries a status. */
	m = valid(PROTO_ADVICE);
	m.status = -EIO;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	/* Frames without entries refuse them. */
	m = valid(PROTO_POOL_UNREGISTER);
	m.count = 1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_REGISTER_REPLY);
	m.count = 1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
}

TEST(pool_register_fields)
{
	struct proto_pool_msg m, out;

	m = valid(PROTO_POOL_REGISTER);
	m.count = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.count = PROTO_POOL_MAX_TIERS + 1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_REGISTER);
	m.block_size = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.block_size = 4095;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.block_size = (1ULL << 30) + 4096;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.block_size = 12288; /* any page multiple */
	EXPECT_EQ(0, roundtrip(&m, &out));
	m = valid(PROTO_POOL_REGISTER);
	m.nr_blocks = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.nr_blocks = PROTO_POOL_MAX_BLOCKS + 1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));

	m = valid(PROTO_POOL_REGISTER);
	m.slab[1].range = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_REGISTER);
	m.slab[1].range = m.slab[0].range;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_REGISTER);
	m.slab[1].node = m.slab[0].node;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_REGISTER);
	m.slab[1].node = -1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.slab[1].node = PROTO_MAX_NODES;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_REGISTER);
	m.slab[0].slots = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_REGISTER);
	m.slab[0].slots = 1U << 30;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_REGISTER);
	m.slab[1].mtier = PROTO_POOL_MAX_MTIER;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_REGISTER);
	m.slab[0].mtier = 2; /* far slab before near one */
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));

	/* Entry count > tiers on the wire: refused before the entries. */
	frame(PROTO_POOL_REGISTER);
	buf[24] = 5;
	EXPECT_EQ(-EBADMSG, decode(PROTO_POOL_HDR_SIZE + 5 * PROTO_POOL_ENTRY_SIZE,
				   PROTO_POOL_REGISTER));
}

TEST(advice_fields)
{
	struct proto_pool_msg m, out;

	m = valid(PROTO_ADVICE);
	m.count = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_ADVICE);
	m.advice[2].block = 2; /* generation 0 */
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_ADVICE);
	m.advice[2].block = (1ULL << 32) | PROTO_POOL_MAX_BLOCKS;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_ADVICE);
	m.advice[3].tier = PROTO_POOL_MAX_TIERS;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_ADVICE);
	m.advice[3].block = (2ULL << 32) | 1; /* block 1 twice */
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
}

TEST(advice_reply_fields)
{
	struct proto_pool_msg m, out;

	m = valid(PROTO_ADVICE_REPLY);
	m.count = 0;
	memset(m.counts, 0, sizeof(m.counts));
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	/* A refused batch: a status, no results. */
	m.status = -EINVAL;
	EXPECT_EQ(0, roundtrip(&m, &out));
	m = valid(PROTO_ADVICE_REPLY);
	m.status = -EINVAL;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));

	/* Counts must match the results exactly. */
	m = valid(PROTO_ADVICE_REPLY);
	m.counts[PROTO_POOL_MOVED] = 2;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_ADVICE_REPLY);
	m.counts[PROTO_POOL_BUSY] = 0;
	m.counts[PROTO_POOL_FAILED] = 1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));

	/* Only the listed results; moved only with 0. */
	m = valid(PROTO_ADVICE_REPLY);
	m.res[1].result = -EPERM;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_ADVICE_REPLY);
	m.res[1].moved = 1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_ADVICE_REPLY);
	m.res[0].moved = 2;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_ADVICE_REPLY);
	m.res[0].block = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	/* Already there, and the two failures. */
	m = valid(PROTO_ADVICE_REPLY);
	m.res[0].moved = 0;
	m.res[1].result = -EIO;
	m.res[3].result = -EINVAL;
	memset(m.counts, 0, sizeof(m.counts));
	m.counts[PROTO_POOL_ALREADY] = 1;
	m.counts[PROTO_POOL_FAILED] = 2;
	m.counts[PROTO_POOL_STALE] = 1;
	EXPECT_EQ(0, roundtrip(&m, &out));
}

/* The library's check against its pool: nothing outside it. */
TEST(advice_against_pool)
{
	struct proto_pool_info pi = { .pool = 5, .nr_blocks = 4, .nr_tiers = 2 };
	struct proto_pool_msg m = valid(PROTO_ADVICE);

	EXPECT_EQ(0, proto_pool_check_advice(&pi, &m, NULL));
	m.pool = 6;
	EXPECT_EQ(-EINVAL, proto_pool_check_advice(&pi, &m, NULL));
	m = valid(PROTO_ADVICE);
	m.advice[3].block = (1ULL << 32) | 4;
	EXPECT_EQ(-EINVAL, proto_pool_check_advice(&pi, &m, NULL));
	m = valid(PROTO_ADVICE);
	m.advice[0].tier = 2;
	EXPECT_EQ(-EINVAL, proto_pool_check_advice(&pi, &m, NULL));
	m = valid(PROTO_ADVICE_REPLY);
	EXPECT_EQ(-EINVAL, proto_pool_check_advice(&pi, &m, NULL));
}

/* The agent's check of a reply against its advice. */
TEST(reply_against_advice)
{
	struct proto_pool_msg a = valid(PROTO_ADVICE), r = valid(PROTO_ADVICE_REPLY);

	EXPECT_EQ(0, proto_pool_check_reply(&a, &r, NULL));
	r.reply_to = 8;
	EXPECT_EQ(-EPROTO, proto_pool_check_reply(&a, &r, NULL));
	r = valid(PROTO_ADVICE_REPLY);
	r.pool = 4;
	EXPECT_EQ(-EPROTO, proto_pool_check_reply(&a, &r, NULL));
	r = valid(PROTO_ADVICE_REPLY);
	r.res[2].block = (2ULL << 32) | 2; /* another generation */
	EXPECT_EQ(-EPROTO, proto_pool_check_reply(&a, &r, NULL));
	r = valid(PROTO_ADVICE_REPLY);
	a.count = 3;
	EXPECT_EQ(-EPROTO, proto_pool_check_reply(&a, &r, NULL));
	/* A refused batch answers without results. */
	r.count = 0;
	memset(r.counts, 0, sizeof(r.counts));
	r.status = -EINVAL;
	EXPECT_EQ(0, proto_pool_check_reply(&a, &r, NULL));
}

/* Every single-byte corruption of a reply is refused or decodes valid. */
TEST(no_crash_on_any_byte)
{
	struct proto_pool_msg out;
	size_t n = frame(PROTO_ADVICE_REPLY), i;
	unsigned int v;
	int ret;

	for (i = 0; i < n; i++)
		for (v = 1; v < 256; v <<= 1) {
			frame(PROTO_ADVICE_REPLY);
			buf[i] ^= (uint8_t)v;
			ret = proto_pool_decode(buf, n, PROTO_FROM_CLIENT, &out, NULL);
			EXPECT_TRUE(ret == 0 || ret == -EBADMSG || ret == -EMSGSIZE ||
				    ret == -EPROTONOSUPPORT);
		}
}

/* --- version negotiation (proto.c) --------------------------------------- */

/* Send @m from @from, through the codec, into @to: 0 or the first error. */
static int pass(struct proto_peer *from, struct proto_peer *to, struct proto_msg *m)
{
	uint8_t f[PROTO_FRAME_SIZE];
	struct proto_msg d;
	int ret;

	ret = proto_peer_send(from, m);
	if (!ret)
		ret = proto_encode(m, from->self, f, NULL);
	if (!ret)
		ret = proto_decode(f, sizeof(f), from->self, &d, NULL);
	return ret ? ret : proto_peer_recv(to, &d, NULL, NULL);
}

TEST(negotiates_version_2)
{
	struct proto_peer c, a;
	struct proto_msg m = { .type = PROTO_HELLO, .version = 2 };
	struct proto_msg r = { .type = PROTO_HELLO_REPLY, .reply_to = 1 };
	struct proto_msg u = { .type = PROTO_UNREGISTER, .buffer = 3 };

	proto_peer_init(&c, PROTO_FROM_CLIENT);
	proto_peer_init(&a, PROTO_FROM_AGENT);
	ASSERT_EQ(0, pass(&c, &a, &m));
	EXPECT_EQ(2, a.version);
	ASSERT_EQ(0, pass(&a, &c, &r));
	EXPECT_EQ(2, r.version);
	EXPECT_EQ(2, c.version);
	ASSERT_EQ(0, pass(&c, &a, &u));
	EXPECT_EQ(2, u.version);
}

TEST(version_1_stays_version_1)
{
	struct proto_peer c, a;
	struct proto_msg m = { .type = PROTO_HELLO };
	struct proto_msg r = { .type = PROTO_HELLO_REPLY, .reply_to = 1 };
	uint8_t f[PROTO_FRAME_SIZE];
	struct proto_msg u = { .type = PROTO_UNREGISTER, .buffer = 3 }, d;

	proto_peer_init(&c, PROTO_FROM_CLIENT);
	proto_peer_init(&a, PROTO_FROM_AGENT);
	ASSERT_EQ(0, pass(&c, &a, &m));
	EXPECT_EQ(PROTO_VERSION_MIN, a.version);
	ASSERT_EQ(0, pass(&a, &c, &r));
	EXPECT_EQ(1, c.version);
	/* A frame in another version than negotiated ends the conversation. */
	ASSERT_EQ(0, proto_peer_send(&c, &u));
	u.version = 2;
	ASSERT_EQ(0, proto_encode(&u, PROTO_FROM_CLIENT, f, NULL));
	ASSERT_EQ(0, proto_decode(f, sizeof(f), PROTO_FROM_CLIENT, &d, NULL));
	EXPECT_EQ(-EPROTO, proto_peer_recv(&a, &d, NULL, NULL));
}

/* An agent may not answer in a higher version than proposed. */
TEST(reply_above_proposal_refused)
{
	struct proto_peer c, a;
	struct proto_msg m = { .type = PROTO_HELLO };
	struct proto_msg r = { .type = PROTO_HELLO_REPLY, .reply_to = 1 };

	proto_peer_init(&c, PROTO_FROM_CLIENT);
	proto_peer_init(&a, PROTO_FROM_AGENT);
	ASSERT_EQ(0, pass(&c, &a, &m));
	ASSERT_EQ(0, proto_peer_send(&a, &r));
	r.version = 2;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&c, &r, NULL, NULL));
	m.version = PROTO_VERSION + 1;
	proto_peer_init(&c, PROTO_FROM_CLIENT);
	EXPECT_EQ(-EPROTONOSUPPORT, proto_peer_send(&c, &m));
}

TEST_HARNESS_MAIN
