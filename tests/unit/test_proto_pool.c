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
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pool_advice.h"
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
	case PROTO_POOL_BLOCKS:
		m.count = 3;
		m.slots[0] = (struct proto_pool_slot){ (1ULL << 32) | 7, 0 };
		m.slots[1] = (struct proto_pool_slot){ PROTO_POOL_SLOT_FREE, 1 };
		m.slots[2] = (struct proto_pool_slot){ (2ULL << 32) | 3, 70 };
		break;
	case PROTO_POOL_HINTS:
		m.count = 3;
		m.hints[0] = (struct proto_pool_hint){ (1ULL << 32) | 7, PROTO_HINT_WILL_READ, 10 };
		m.hints[1] = (struct proto_pool_hint){ (2ULL << 32) | 1, PROTO_HINT_WILL_READ, 0 };
		m.hints[2] = (struct proto_pool_hint){ (1ULL << 32) | 3, PROTO_HINT_DONE, 0 };
		break;
	case PROTO_POOL_RELEASE:
		m.count = 1;
		m.release = (struct proto_pool_release){ 1, 30000 };
		break;
	case PROTO_POOL_RELEASE_REPLY:
		m.reply_to = 5;
		m.status = -EBUSY;
		m.counts[PROTO_POOL_MOVED] = 6;
		m.counts[PROTO_POOL_BUSY] = 2;
		break;
	case PROTO_POOL_HINTS_REPLY:
	case PROTO_POOL_BLOCKS_REPLY:
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
	       type == PROTO_ADVICE_REPLY || type == PROTO_POOL_BLOCKS ||
	       type == PROTO_POOL_HINTS || type == PROTO_POOL_RELEASE_REPLY ?
		       PROTO_FROM_CLIENT : PROTO_FROM_AGENT;
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

/*
 * POOL_RELEASE: one entry, a tier in range, a timeout of 1 ms to 10 min,
 * zero padding; its reply: counts but no entries, and a released slab
 * left no block behind.
 */
TEST(release_frames)
{
	struct proto_pool_msg m, out;
	size_t n;

	m = valid(PROTO_POOL_RELEASE);
	m.release.tier = PROTO_POOL_MAX_TIERS;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_RELEASE);
	m.release.timeout_ms = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.release.timeout_ms = PROTO_RELEASE_MAX_TIMEOUT_MS + 1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.release.timeout_ms = PROTO_RELEASE_MAX_TIMEOUT_MS;
	EXPECT_EQ(0, roundtrip(&m, &out));
	m = valid(PROTO_POOL_RELEASE);
	m.count = 2;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.count = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_RELEASE);
	m.counts[PROTO_POOL_MOVED] = 1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	n = frame(PROTO_POOL_RELEASE);
	buf[PROTO_POOL_HDR_SIZE + 8] = 1;
	EXPECT_EQ(-EBADMSG, decode(n, PROTO_POOL_RELEASE));

	m = valid(PROTO_POOL_RELEASE_REPLY);
	m.count = 1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	/* Released, yet blocks stayed behind. */
	m = valid(PROTO_POOL_RELEASE_REPLY);
	m.status = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.counts[PROTO_POOL_BUSY] = 0;
	EXPECT_EQ(0, roundtrip(&m, &out));
	EXPECT_EQ(6, out.counts[PROTO_POOL_MOVED]);
	m.counts[PROTO_POOL_NOROOM] = 1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
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
		/* Counts belong to the two replies that carry them. */
		if (t != PROTO_ADVICE_REPLY && t != PROTO_POOL_RELEASE_REPLY) {
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

TEST(pool_blocks_fields)
{
	struct proto_pool_msg m, out;
	int n;

	m = valid(PROTO_POOL_BLOCKS);
	m.count = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_BLOCKS);
	m.slots[0].handle = 7; /* generation 0, not the free mark */
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_BLOCKS);
	m.slots[0].handle = (1ULL << 32) | PROTO_POOL_MAX_BLOCKS;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_BLOCKS);
	m.slots[2].slot = 1U << 30;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_BLOCKS);
	m.slots[2].slot = 0; /* slot 0 twice */
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_BLOCKS);
	m.slots[2].handle = (3ULL << 32) | 7; /* block 7 in two slots */
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_BLOCKS);
	m.slots[1].handle = PROTO_POOL_SLOT_FREE;
	m.slots[2].handle = PROTO_POOL_SLOT_FREE; /* two free slots: fine */
	EXPECT_EQ(0, roundtrip(&m, &out));
	m = valid(PROTO_POOL_BLOCKS);
	m.block_size = 4096;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	/* Entry padding. */
	m = valid(PROTO_POOL_BLOCKS);
	n = proto_pool_encode(&m, PROTO_FROM_CLIENT, buf, NULL);
	ASSERT_GT(n, 0);
	buf[PROTO_POOL_HDR_SIZE + 12] = 1;
	EXPECT_EQ(-EBADMSG, decode((size_t)n, PROTO_POOL_BLOCKS));
	/* The agent never sends one. */
	m = valid(PROTO_POOL_BLOCKS);
	EXPECT_EQ(-EBADMSG, proto_pool_encode(&m, PROTO_FROM_AGENT, buf, NULL));
}

TEST(pool_hints_fields)
{
	struct proto_pool_msg m, out;
	int n;

	m = valid(PROTO_POOL_HINTS);
	m.count = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_HINTS);
	m.hints[0].block = 7; /* generation 0 */
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_HINTS);
	m.hints[1].block = (1ULL << 32) | PROTO_POOL_MAX_BLOCKS;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_HINTS);
	m.hints[1].kind = 0;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.hints[1].kind = 3;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_HINTS);
	m.hints[0].lead_ms = PROTO_HINT_MAX_LEAD_MS + 1;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m.hints[0].lead_ms = PROTO_HINT_MAX_LEAD_MS;
	EXPECT_EQ(0, roundtrip(&m, &out));
	m = valid(PROTO_POOL_HINTS);
	m.hints[2].lead_ms = 5; /* a done hint has no lead */
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_HINTS);
	m.hints[2].block = (3ULL << 32) | 7; /* block 7 twice */
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	m = valid(PROTO_POOL_HINTS);
	m.nr_blocks = 3;
	EXPECT_EQ(-EBADMSG, roundtrip(&m, &out));
	/* A full frame of hints fits. */
	m = valid(PROTO_POOL_HINTS);
	m.count = PROTO_POOL_MAX_ENTRIES;
	for (n = 0; n < PROTO_POOL_MAX_ENTRIES; n++)
		m.hints[n] = (struct proto_pool_hint){ (1ULL << 32) | (uint32_t)n,
						       PROTO_HINT_DONE, 0 };
	EXPECT_EQ(0, roundtrip(&m, &out));
	/* Bytes: a kind the encoder would refuse, written by hand. */
	m = valid(PROTO_POOL_HINTS);
	n = proto_pool_encode(&m, PROTO_FROM_CLIENT, buf, NULL);
	ASSERT_GT(n, 0);
	buf[PROTO_POOL_HDR_SIZE + 8] = 9;
	EXPECT_EQ(-EBADMSG, decode((size_t)n, PROTO_POOL_HINTS));
	/* The agent never sends one. */
	m = valid(PROTO_POOL_HINTS);
	EXPECT_EQ(-EBADMSG, proto_pool_encode(&m, PROTO_FROM_AGENT, buf, NULL));
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

/* --- the conversation over a socket pair --------------------------------- */

FIXTURE(sock) {
	int fd[2];		/* [0] client, [1] agent */
	struct proto_peer c, a;
	struct proto_msg m;
	struct proto_pool_msg pm;
	bool is_pool;
};

/* Connect and say HELLO in @version. */
static void hello(struct _test_data_sock *self, uint16_t version)
{
	struct proto_msg h = { .type = PROTO_HELLO, .version = version };
	struct proto_msg r = { .type = PROTO_HELLO_REPLY, .reply_to = 1 };

	proto_peer_init(&self->c, PROTO_FROM_CLIENT);
	proto_peer_init(&self->a, PROTO_FROM_AGENT);
	if (proto_send(self->fd[0], &self->c, &h, NULL) ||
	    proto_recv_any(self->fd[1], &self->a, &self->m, &self->pm, &self->is_pool,
			   NULL, NULL) ||
	    proto_send(self->fd[1], &self->a, &r, NULL) ||
	    proto_recv_any(self->fd[0], &self->c, &self->m, &self->pm, &self->is_pool,
			   NULL, NULL))
		abort();
}

FIXTURE_SETUP(sock)
{
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, self->fd));
	hello(self, PROTO_POOL_VERSION);
	ASSERT_EQ(2, self->c.version);
}

FIXTURE_TEARDOWN(sock)
{
	close(self->fd[0]);
	close(self->fd[1]);
}

/* Register, advise, answer: each frame is numbered and answered in turn. */
TEST_F(sock, register_advise_answer)
{
	struct proto_pool_msg reg = valid(PROTO_POOL_REGISTER), adv = valid(PROTO_ADVICE);
	struct proto_pool_msg rep, ans;
	struct proto_pending req;
	struct proto_msg u = { .type = PROTO_UNREGISTER, .buffer = 3 };

	ASSERT_EQ(0, proto_pool_send(self->fd[0], &self->c, &reg, NULL));
	ASSERT_EQ(0, proto_recv_any(self->fd[1], &self->a, &self->m, &self->pm,
				    &self->is_pool, NULL, NULL));
	ASSERT_TRUE(self->is_pool);
	EXPECT_EQ(PROTO_POOL_REGISTER, self->pm.type);
	EXPECT_EQ(12, self->pm.slab[1].range);

	rep = valid(PROTO_POOL_REGISTER_REPLY);
	rep.reply_to = self->pm.seq;
	rep.status = 0;
	ASSERT_EQ(0, proto_pool_send(self->fd[1], &self->a, &rep, NULL));
	ASSERT_EQ(0, proto_pool_send(self->fd[1], &self->a, &adv, NULL));
	ASSERT_EQ(0, proto_recv_any(self->fd[0], &self->c, &self->m, &self->pm,
				    &self->is_pool, &req, NULL));
	EXPECT_EQ(PROTO_POOL_REGISTER, req.type);
	EXPECT_EQ(5, req.buffer);
	ASSERT_EQ(0, proto_recv_any(self->fd[0], &self->c, &self->m, &self->pm,
				    &self->is_pool, NULL, NULL));
	ASSERT_EQ(PROTO_ADVICE, self->pm.type);
	EXPECT_EQ(4, self->pm.count);

	ans = valid(PROTO_ADVICE_REPLY);
	ans.reply_to = self->pm.seq;
	ASSERT_EQ(0, proto_pool_send(self->fd[0], &self->c, &ans, NULL));
	/* A 128-byte frame after it keeps one sequence of numbers. */
	ASSERT_EQ(0, proto_send(self->fd[0], &self->c, &u, NULL));
	ASSERT_EQ(0, proto_recv_any(self->fd[1], &self->a, &self->m, &self->pm,
				    &self->is_pool, &req, NULL));
	EXPECT_EQ(PROTO_ADVICE, req.type);
	EXPECT_EQ(0, proto_pool_check_reply(&adv, &self->pm, NULL));
	ASSERT_EQ(0, proto_recv_any(self->fd[1], &self->a, &self->m, &self->pm,
				    &self->is_pool, NULL, NULL));
	EXPECT_FALSE(self->is_pool);
	EXPECT_EQ(PROTO_UNREGISTER, self->m.type);
	EXPECT_EQ(0, self->a.nr_pending);
}

/* Answers nobody asked for, of the wrong kind, or for another pool. */
TEST_F(sock, bad_answers)
{
	struct proto_pool_msg adv = valid(PROTO_ADVICE), ans;
	struct proto_msg m = { .type = PROTO_MOVE_REPLY, .buffer = 5 };
	const char *why = NULL;

	ans = valid(PROTO_ADVICE_REPLY);
	ans.reply_to = 1;
	ans.seq = self->a.rx_seq + 1;
	EXPECT_EQ(-EPROTO, proto_pool_peer_recv(&self->a, &ans, NULL, &why));

	ASSERT_EQ(0, proto_pool_peer_send(&self->a, &adv));
	ans.reply_to = adv.seq;
	ans.pool = 6;
	EXPECT_EQ(-EPROTO, proto_pool_peer_recv(&self->a, &ans, NULL, &why));
	EXPECT_STREQ("answer names another pool", why);
	ans = valid(PROTO_POOL_UNREGISTER_REPLY);
	ans.reply_to = adv.seq;
	ans.seq = self->c.rx_seq + 1;
	/* An agent-side answer type is not the client's to send. */
	EXPECT_EQ(-EPROTO, proto_pool_peer_recv(&self->a, &ans, NULL, &why));
	/* A 128-byte answer to a pool request. */
	m.version = 2;
	m.seq = self->a.rx_seq + 1;
	m.reply_to = adv.seq;
	EXPECT_EQ(-EPROTO, proto_peer_recv(&self->a, &m, NULL, &why));
	/* Out of sequence. */
	ans = valid(PROTO_ADVICE_REPLY);
	ans.reply_to = adv.seq;
	ans.seq = self->a.rx_seq + 2;
	EXPECT_EQ(-EPROTO, proto_pool_peer_recv(&self->a, &ans, NULL, &why));
	ans.seq = self->a.rx_seq + 1;
	EXPECT_EQ(0, proto_pool_peer_recv(&self->a, &ans, NULL, &why));
	/* Once only. */
	ans.seq++;
	EXPECT_EQ(-EPROTO, proto_pool_peer_recv(&self->a, &ans, NULL, &why));
}

/* No pool frame on a version-1 connection, either way. */
TEST_F(sock, version_1_has_no_pool_frames)
{
	struct proto_pool_msg reg = valid(PROTO_POOL_REGISTER);
	uint8_t f[PROTO_POOL_MAX_FRAME];
	int n;

	close(self->fd[0]);
	close(self->fd[1]);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, self->fd));
	hello(self, 1);
	EXPECT_EQ(-EPROTO, proto_pool_send(self->fd[0], &self->c, &reg, NULL));
	reg.seq = self->c.tx_seq + 1;
	n = proto_pool_encode(&reg, PROTO_FROM_CLIENT, f, NULL);
	ASSERT_LT(0, n);
	ASSERT_EQ(n, send(self->fd[0], f, (size_t)n, 0));
	EXPECT_EQ(-EPROTO, proto_recv_any(self->fd[1], &self->a, &self->m, &self->pm,
					  &self->is_pool, NULL, NULL));
}

/* Packets of no known size are refused by size. */
TEST_F(sock, odd_sizes)
{
	uint8_t f[PROTO_POOL_MAX_FRAME + 64];

	memset(f, 0, sizeof(f));
	ASSERT_EQ(100, send(self->fd[0], f, 100, 0));
	EXPECT_EQ(-EMSGSIZE, proto_recv_any(self->fd[1], &self->a, &self->m, &self->pm,
					    &self->is_pool, NULL, NULL));
	ASSERT_EQ((ssize_t)sizeof(f), send(self->fd[0], f, sizeof(f), 0));
	EXPECT_EQ(-EMSGSIZE, proto_recv_any(self->fd[1], &self->a, &self->m, &self->pm,
					    &self->is_pool, NULL, NULL));
	/* A pool header that is too long for its count. */
	frame(PROTO_ADVICE_REPLY);
	ASSERT_EQ(PROTO_POOL_MAX_FRAME + 64,
		  send(self->fd[0], buf, PROTO_POOL_MAX_FRAME + 64, 0));
	EXPECT_EQ(-EMSGSIZE, proto_recv_any(self->fd[1], &self->a, &self->m, &self->pm,
					    &self->is_pool, NULL, NULL));
	EXPECT_EQ(-EAGAIN, proto_recv_any(self->fd[1], &self->a, &self->m, &self->pm,
					  &self->is_pool, NULL, NULL));
	close(self->fd[0]);
	self->fd[0] = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	EXPECT_EQ(-ECONNRESET, proto_recv_any(self->fd[1], &self->a, &self->m, &self->pm,
					      &self->is_pool, NULL, NULL));
}

/* --- the library's reply to an advice ------------------------------------ */

TEST(reply_from_moves)
{
	struct proto_pool_msg adv = valid(PROTO_ADVICE), rep, out;
	struct cxltier_block_move mv[4] = {
		{ .result = 0, .moved = 1 },
		{ .result = 0, .moved = 0 },
		{ .result = -ESTALE },
		{ .result = -EPERM }, /* not the protocol's: reported failed */
	};

	pool_advice_reply(&adv, mv, &rep);
	EXPECT_EQ(adv.seq, rep.reply_to);
	EXPECT_EQ(4, rep.count);
	EXPECT_EQ(1, rep.counts[PROTO_POOL_MOVED]);
	EXPECT_EQ(1, rep.counts[PROTO_POOL_ALREADY]);
	EXPECT_EQ(1, rep.counts[PROTO_POOL_STALE]);
	EXPECT_EQ(1, rep.counts[PROTO_POOL_FAILED]);
	EXPECT_EQ(-EIO, rep.res[3].result);
	EXPECT_EQ(adv.advice[2].block, rep.res[2].block);
	/* It is a frame the agent accepts, once numbered. */
	rep.seq = 1;
	EXPECT_EQ(0, roundtrip(&rep, &out));
	EXPECT_EQ(0, proto_pool_check_reply(&adv, &out, NULL));
}

TEST_HARNESS_MAIN
