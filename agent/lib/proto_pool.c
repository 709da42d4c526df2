// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * proto_pool: encoding and validation of the block-pool frames.  See
 * proto_pool.h and Documentation/userspace-api/agent-protocol.rst.
 *
 * Wire layout (all integers little-endian):
 *
 *	  0 u32 magic ("CXTB")	 4 u16 version (2)	 6 u16 type
 *	  8 u32 seq		12 u32 reply_to
 *	 16 u32 pool		20 s32 status
 *	 24 u32 count		28 u32 flags (0)
 *	 32 u64 block_size	40 u32 nr_blocks	44 u32 (0)
 *	 48 u32 counts[6]	72 u8 reserved[24] (0)
 *	 96 entries, 16 bytes each:
 *	    slab:   u32 range, s32 node, u32 slots, u32 mtier
 *	    advice: u64 block, u32 tier, u32 (0)
 *	    result: u64 block, s32 result, u32 moved
 *	    slot:   u64 handle (0: free), u32 slot, u32 (0)
 *	    hint:   u64 block, u32 kind, u32 lead_ms
 *	    release: u32 tier, u32 timeout_ms, u64 (0)
 */
#include <errno.h>
#include <string.h>

#include "proto_pool.h"

enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 4,
	OFF_TYPE = 6,
	OFF_SEQ = 8,
	OFF_REPLY_TO = 12,
	OFF_POOL = 16,
	OFF_STATUS = 20,
	OFF_COUNT = 24,
	OFF_FLAGS = 28,
	OFF_BLOCK_SIZE = 32,
	OFF_NR_BLOCKS = 40,
	OFF_PAD = 44,
	OFF_COUNTS = 48,
	OFF_RESERVED = 72,
};

/* Largest block: the module's largest chunk. */
#define BLOCK_SIZE_MAX	(1ULL << 30)
#define PAGE_ALIGN_MIN	4096ULL
/* Slots of all slabs together, as the library's slot numbers. */
#define SLOTS_MAX	(1ULL << 30)

struct pool_rule {
	const char *name;
	enum proto_dir from;
	uint16_t answers;
};

static const struct pool_rule pool_rules[PROTO_POOL_TYPE_END - PROTO_POOL_REGISTER] = {
	[PROTO_POOL_REGISTER - PROTO_POOL_REGISTER] = { "POOL_REGISTER", PROTO_FROM_CLIENT, 0 },
	[PROTO_POOL_REGISTER_REPLY - PROTO_POOL_REGISTER] = { "POOL_REGISTER_REPLY",
		PROTO_FROM_AGENT, PROTO_POOL_REGISTER },
	[PROTO_POOL_UNREGISTER - PROTO_POOL_REGISTER] = { "POOL_UNREGISTER", PROTO_FROM_CLIENT, 0 },
	[PROTO_POOL_UNREGISTER_REPLY - PROTO_POOL_REGISTER] = { "POOL_UNREGISTER_REPLY",
		PROTO_FROM_AGENT, PROTO_POOL_UNREGISTER },
	[PROTO_ADVICE - PROTO_POOL_REGISTER] = { "ADVICE", PROTO_FROM_AGENT, 0 },
	[PROTO_ADVICE_REPLY - PROTO_POOL_REGISTER] = { "ADVICE_REPLY", PROTO_FROM_CLIENT,
		PROTO_ADVICE },
	[PROTO_POOL_BLOCKS - PROTO_POOL_REGISTER] = { "POOL_BLOCKS", PROTO_FROM_CLIENT, 0 },
	[PROTO_POOL_BLOCKS_REPLY - PROTO_POOL_REGISTER] = { "POOL_BLOCKS_REPLY",
		PROTO_FROM_AGENT, PROTO_POOL_BLOCKS },
	[PROTO_POOL_HINTS - PROTO_POOL_REGISTER] = { "POOL_HINTS", PROTO_FROM_CLIENT, 0 },
	[PROTO_POOL_HINTS_REPLY - PROTO_POOL_REGISTER] = { "POOL_HINTS_REPLY",
		PROTO_FROM_AGENT, PROTO_POOL_HINTS },
	[PROTO_POOL_RELEASE - PROTO_POOL_REGISTER] = { "POOL_RELEASE", PROTO_FROM_AGENT, 0 },
	[PROTO_POOL_RELEASE_REPLY - PROTO_POOL_REGISTER] = { "POOL_RELEASE_REPLY",
		PROTO_FROM_CLIENT, PROTO_POOL_RELEASE },
};

static bool type_ok(unsigned int type)
{
	return type >= PROTO_POOL_REGISTER && type < PROTO_POOL_TYPE_END;
}

const char *proto_pool_type_name(unsigned int type)
{
	return type_ok(type) ? pool_rules[type - PROTO_POOL_REGISTER].name : "?";
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

bool proto_pool_is_pool_frame(const void *buf, size_t len)
{
	return len >= 4 && get_le32(buf) == PROTO_POOL_MAGIC;
}

int proto_pool_count_of(int32_t result, uint32_t moved)
{
	if (moved > 1 || (moved && result))
		return -1;
	switch (result) {
	case 0:
		return moved ? PROTO_POOL_MOVED : PROTO_POOL_ALREADY;
	case -EBUSY:
		return PROTO_POOL_BUSY;
	case -ESTALE:
		return PROTO_POOL_STALE;
	case -ENOSPC:
		return PROTO_POOL_NOROOM;
	case -EIO:
	case -EINVAL:
		return PROTO_POOL_FAILED;
	default:
		return -1;
	}
}

#define BAD(msg)                  \
	do {                      \
		if (why)          \
			*why = (msg); \
		return -EBADMSG;  \
	} while (0)

static bool counts_zero(const struct proto_pool_msg *m)
{
	unsigned int i;

	for (i = 0; i < PROTO_POOL_NR_COUNTS; i++)
		if (m->counts[i])
			return false;
	return true;
}

static int check_slabs(const struct proto_pool_msg *m, const char **why)
{
	uint64_t slots = 0;
	unsigned int i, j;

	for (i = 0; i < m->count; i++) {
		const struct proto_pool_slab *s = &m->slab[i];

		if (!s->range)
			BAD("slab range id is 0");
		if (s->node < 0 || s->node >= PROTO_MAX_NODES)
			BAD("slab node out of range");
		if (!s->slots)
			BAD("slab has no slots");
		if (s->mtier >= PROTO_POOL_MAX_MTIER)
			BAD("slab module tier out of range");
		if (i && s->mtier < m->slab[i - 1].mtier)
			BAD("slabs not fastest first");
		for (j = 0; j < i; j++)
			if (m->slab[j].range == s->range || m->slab[j].node == s->node)
				BAD("two slabs with one range id or node");
		slots += s->slots;
	}
	if (slots > SLOTS_MAX)
		BAD("too many slots");
	if (slots * m->block_size / m->block_size != slots)
		BAD("slabs too large");
	return 0;
}

static int check_advice(const struct proto_pool_msg *m, const char **why)
{
	unsigned int i, j;

	for (i = 0; i < m->count; i++) {
		uint64_t b = m->advice[i].block;

		if (!(b >> 32))
			BAD("advice block generation is 0");
		if ((uint32_t)b >= PROTO_POOL_MAX_BLOCKS)
			BAD("advice block index out of range");
		if (m->advice[i].tier >= PROTO_POOL_MAX_TIERS)
			BAD("advice tier out of range");
		/* At most 256 entries: the quadratic check is cheap. */
		for (j = 0; j < i; j++)
			if ((uint32_t)m->advice[j].block == (uint32_t)b)
				BAD("advice names one block twice");
	}
	return 0;
}

static int check_results(const struct proto_pool_msg *m, const char **why)
{
	uint32_t tally[PROTO_POOL_NR_COUNTS] = { 0 };
	unsigned int i;
	int c;

	for (i = 0; i < m->count; i++) {
		if (!(m->res[i].block >> 32))
			BAD("result block generation is 0");
		c = proto_pool_count_of(m->res[i].result, m->res[i].moved);
		if (c < 0)
			BAD("result is not one the protocol allows");
		tally[c]++;
	}
	if (memcmp(tally, m->counts, sizeof(tally)))
		BAD("counts do not match the results");
	return 0;
}

static int check_slots(const struct proto_pool_msg *m, const char **why)
{
	unsigned int i, j;

	for (i = 0; i < m->count; i++) {
		uint64_t h = m->slots[i].handle;

		if (m->slots[i].slot >= SLOTS_MAX)
			BAD("slot number out of range");
		if (h != PROTO_POOL_SLOT_FREE &&
		    (!(h >> 32) || (uint32_t)h >= PROTO_POOL_MAX_BLOCKS))
			BAD("slot's block handle out of range");
		for (j = 0; j < i; j++) {
			if (m->slots[j].slot == m->slots[i].slot)
				BAD("one slot twice");
			if (h != PROTO_POOL_SLOT_FREE &&
			    (uint32_t)m->slots[j].handle == (uint32_t)h &&
			    m->slots[j].handle != PROTO_POOL_SLOT_FREE)
				BAD("one block in two slots");
		}
	}
	return 0;
}

static int check_hints(const struct proto_pool_msg *m, const char **why)
{
	unsigned int i, j;

	for (i = 0; i < m->count; i++) {
		const struct proto_pool_hint *h = &m->hints[i];

		if (!(h->block >> 32))
			BAD("hint block generation is 0");
		if ((uint32_t)h->block >= PROTO_POOL_MAX_BLOCKS)
			BAD("hint block index out of range");
		if (h->kind != PROTO_HINT_WILL_READ && h->kind != PROTO_HINT_DONE)
			BAD("unknown hint kind");
		if (h->lead_ms > PROTO_HINT_MAX_LEAD_MS ||
		    (h->kind == PROTO_HINT_DONE && h->lead_ms))
			BAD("hint lead out of range");
		/* At most 256 entries: the quadratic check is cheap. */
		for (j = 0; j < i; j++)
			if ((uint32_t)m->hints[j].block == (uint32_t)h->block)
				BAD("hints name one block twice");
	}
	return 0;
}

static int check_msg(const struct proto_pool_msg *m, enum proto_dir from,
		     const char **why)
{
	const struct pool_rule *r;

	if (!type_ok(m->type))
		BAD("unknown pool frame type");
	r = &pool_rules[m->type - PROTO_POOL_REGISTER];
	if (r->from != from)
		BAD("frame type not allowed in this direction");
	if (!m->seq)
		BAD("sequence number 0");
	if (!m->pool)
		BAD("pool id is 0");
	if (!r->answers != !m->reply_to)
		BAD(r->answers ? "answer without reply_to" : "request with a reply_to");
	if (m->status > 0 || m->status < -4095)
		BAD("status is not 0 or a negative errno");
	if (m->status && !r->answers)
		BAD("status in a request");
	if (m->count > PROTO_POOL_MAX_ENTRIES)
		BAD("entry count out of range");
	if (m->type != PROTO_POOL_REGISTER && (m->block_size || m->nr_blocks))
		BAD("block size or count in a frame that has none");
	if (m->type != PROTO_ADVICE_REPLY && m->type != PROTO_POOL_RELEASE_REPLY &&
	    !counts_zero(m))
		BAD("counts in a frame that has none");

	switch (m->type) {
	case PROTO_POOL_REGISTER:
		if (!m->count || m->count > PROTO_POOL_MAX_TIERS)
			BAD("slab count out of range");
		if (!m->block_size || m->block_size % PAGE_ALIGN_MIN ||
		    m->block_size > BLOCK_SIZE_MAX)
			BAD("block size is not a page multiple up to 1 GiB");
		if (!m->nr_blocks || m->nr_blocks > PROTO_POOL_MAX_BLOCKS)
			BAD("block count out of range");
		return check_slabs(m, why);
	case PROTO_ADVICE:
		if (!m->count)
			BAD("advice without entries");
		return check_advice(m, why);
	case PROTO_ADVICE_REPLY:
		/* A refused batch carries no results; a taken one, all. */
		if (m->status && (m->count || !counts_zero(m)))
			BAD("refused batch with results");
		if (!m->status && !m->count)
			BAD("advice reply without results");
		return check_results(m, why);
	case PROTO_POOL_BLOCKS:
		if (!m->count)
			BAD("block map without entries");
		return check_slots(m, why);
	case PROTO_POOL_HINTS:
		if (!m->count)
			BAD("hints without entries");
		return check_hints(m, why);
	case PROTO_POOL_RELEASE:
		if (m->count != 1)
			BAD("release without exactly one entry");
		if (m->release.tier >= PROTO_POOL_MAX_TIERS)
			BAD("release tier out of range");
		if (!m->release.timeout_ms ||
		    m->release.timeout_ms > PROTO_RELEASE_MAX_TIMEOUT_MS)
			BAD("release timeout out of range");
		return 0;
	case PROTO_POOL_RELEASE_REPLY:
		if (m->count)
			BAD("entries in a frame that has none");
		/* Released: every block of the slab moved. */
		if (!m->status && (m->counts[PROTO_POOL_BUSY] || m->counts[PROTO_POOL_NOROOM] ||
				   m->counts[PROTO_POOL_FAILED]))
			BAD("released slab with blocks that did not move");
		return 0;
	default:
		if (m->count)
			BAD("entries in a frame that has none");
		return 0;
	}
}

static size_t frame_len(uint32_t count)
{
	return PROTO_POOL_HDR_SIZE + (size_t)count * PROTO_POOL_ENTRY_SIZE;
}

int proto_pool_decode(const void *buf, size_t len, enum proto_dir from,
		      struct proto_pool_msg *m, const char **why)
{
	const uint8_t *b = buf;
	uint32_t count, i;
	const uint8_t *e;

	memset(m, 0, sizeof(*m));
	if (len < PROTO_POOL_HDR_SIZE) {
		if (why)
			*why = "truncated pool frame";
		return -EMSGSIZE;
	}
	if (get_le32(b + OFF_MAGIC) != PROTO_POOL_MAGIC)
		BAD("bad magic");
	if ((b[OFF_VERSION] | b[OFF_VERSION + 1] << 8) != PROTO_POOL_VERSION) {
		if (why)
			*why = "unsupported pool frame version";
		return -EPROTONOSUPPORT;
	}
	count = get_le32(b + OFF_COUNT);
	if (count > PROTO_POOL_MAX_ENTRIES)
		BAD("entry count out of range");
	if (len != frame_len(count)) {
		if (why)
			*why = "pool frame length does not match its entry count";
		return -EMSGSIZE;
	}
	if (get_le32(b + OFF_FLAGS) || get_le32(b + OFF_PAD))
		BAD("flags are not zero");
	for (i = OFF_RESERVED; i < PROTO_POOL_HDR_SIZE; i++)
		if (b[i])
			BAD("reserved bytes are not zero");

	m->type = (uint16_t)(b[OFF_TYPE] | b[OFF_TYPE + 1] << 8);
	m->seq = get_le32(b + OFF_SEQ);
	m->reply_to = get_le32(b + OFF_REPLY_TO);
	m->pool = get_le32(b + OFF_POOL);
	m->status = (int32_t)get_le32(b + OFF_STATUS);
	m->count = count;
	m->block_size = get_le64(b + OFF_BLOCK_SIZE);
	m->nr_blocks = get_le32(b + OFF_NR_BLOCKS);
	for (i = 0; i < PROTO_POOL_NR_COUNTS; i++)
		m->counts[i] = get_le32(b + OFF_COUNTS + 4 * i);
	if (m->type == PROTO_POOL_REGISTER && count > PROTO_POOL_MAX_TIERS)
		BAD("slab count out of range");

	for (i = 0; i < count; i++) {
		e = b + PROTO_POOL_HDR_SIZE + i * PROTO_POOL_ENTRY_SIZE;
		switch (m->type) {
		case PROTO_POOL_REGISTER:
			m->slab[i].range = get_le32(e);
			m->slab[i].node = (int32_t)get_le32(e + 4);
			m->slab[i].slots = get_le32(e + 8);
			m->slab[i].mtier = get_le32(e + 12);
			break;
		case PROTO_ADVICE:
			m->advice[i].block = get_le64(e);
			m->advice[i].tier = get_le32(e + 8);
			if (get_le32(e + 12))
				BAD("advice entry padding is not zero");
			break;
		case PROTO_ADVICE_REPLY:
			m->res[i].block = get_le64(e);
			m->res[i].result = (int32_t)get_le32(e + 8);
			m->res[i].moved = get_le32(e + 12);
			break;
		case PROTO_POOL_BLOCKS:
			m->slots[i].handle = get_le64(e);
			m->slots[i].slot = get_le32(e + 8);
			if (get_le32(e + 12))
				BAD("slot entry padding is not zero");
			break;
		case PROTO_POOL_HINTS:
			m->hints[i].block = get_le64(e);
			m->hints[i].kind = get_le32(e + 8);
			m->hints[i].lead_ms = get_le32(e + 12);
			break;
		case PROTO_POOL_RELEASE:
			/* check_msg() refuses a count other than 1. */
			m->release.tier = get_le32(e);
			m->release.timeout_ms = get_le32(e + 4);
			if (get_le64(e + 8))
				BAD("release entry padding is not zero");
			break;
		default:
			/* check_msg() refuses the entries. */
			break;
		}
	}
	return check_msg(m, from, why);
}

int proto_pool_encode(const struct proto_pool_msg *m, enum proto_dir from,
		      void *buf, const char **why)
{
	uint8_t *b = buf, *e;
	uint32_t i;
	int ret;

	ret = check_msg(m, from, why);
	if (ret)
		return ret;
	memset(b, 0, frame_len(m->count));
	put_le32(b + OFF_MAGIC, PROTO_POOL_MAGIC);
	b[OFF_VERSION] = PROTO_POOL_VERSION;
	b[OFF_TYPE] = (uint8_t)m->type;
	b[OFF_TYPE + 1] = (uint8_t)(m->type >> 8);
	put_le32(b + OFF_SEQ, m->seq);
	put_le32(b + OFF_REPLY_TO, m->reply_to);
	put_le32(b + OFF_POOL, m->pool);
	put_le32(b + OFF_STATUS, (uint32_t)m->status);
	put_le32(b + OFF_COUNT, m->count);
	put_le64(b + OFF_BLOCK_SIZE, m->block_size);
	put_le32(b + OFF_NR_BLOCKS, m->nr_blocks);
	for (i = 0; i < PROTO_POOL_NR_COUNTS; i++)
		put_le32(b + OFF_COUNTS + 4 * i, m->counts[i]);
	for (i = 0; i < m->count; i++) {
		e = b + PROTO_POOL_HDR_SIZE + i * PROTO_POOL_ENTRY_SIZE;
		switch (m->type) {
		case PROTO_POOL_REGISTER:
			put_le32(e, m->slab[i].range);
			put_le32(e + 4, (uint32_t)m->slab[i].node);
			put_le32(e + 8, m->slab[i].slots);
			put_le32(e + 12, m->slab[i].mtier);
			break;
		case PROTO_ADVICE:
			put_le64(e, m->advice[i].block);
			put_le32(e + 8, m->advice[i].tier);
			break;
		case PROTO_ADVICE_REPLY:
			put_le64(e, m->res[i].block);
			put_le32(e + 8, (uint32_t)m->res[i].result);
			put_le32(e + 12, m->res[i].moved);
			break;
		case PROTO_POOL_BLOCKS:
			put_le64(e, m->slots[i].handle);
			put_le32(e + 8, m->slots[i].slot);
			break;
		case PROTO_POOL_HINTS:
			put_le64(e, m->hints[i].block);
			put_le32(e + 8, m->hints[i].kind);
			put_le32(e + 12, m->hints[i].lead_ms);
			break;
		case PROTO_POOL_RELEASE:
			put_le32(e, m->release.tier);
			put_le32(e + 4, m->release.timeout_ms);
			break;
		default:
			break;
		}
	}
	return (int)frame_len(m->count);
}

#define INVAL(msg)                \
	do {                      \
		if (why)          \
			*why = (msg); \
		return -EINVAL;   \
	} while (0)

int proto_pool_check_advice(const struct proto_pool_info *pi,
			    const struct proto_pool_msg *m, const char **why)
{
	uint32_t i;

	if (m->type != PROTO_ADVICE)
		INVAL("not an advice frame");
	if (m->pool != pi->pool)
		INVAL("advice for another pool");
	for (i = 0; i < m->count; i++) {
		if ((uint32_t)m->advice[i].block >= pi->nr_blocks)
			INVAL("advice for a block the pool does not have");
		if (m->advice[i].tier >= pi->nr_tiers)
			INVAL("advice tier the pool does not have");
	}
	return 0;
}

#define PROTO_ERR(msg)            \
	do {                      \
		if (why)          \
			*why = (msg); \
		return -EPROTO;   \
	} while (0)

int proto_pool_check_reply(const struct proto_pool_msg *advice,
			   const struct proto_pool_msg *reply, const char **why)
{
	uint32_t i;

	if (advice->type != PROTO_ADVICE || reply->type != PROTO_ADVICE_REPLY)
		PROTO_ERR("not an advice and its reply");
	if (reply->reply_to != advice->seq)
		PROTO_ERR("reply answers another advice");
	if (reply->pool != advice->pool)
		PROTO_ERR("reply names another pool");
	if (reply->status)
		return 0;
	if (reply->count != advice->count)
		PROTO_ERR("reply has not one result per advised block");
	for (i = 0; i < reply->count; i++)
		if (reply->res[i].block != advice->advice[i].block)
			PROTO_ERR("reply names another block");
	return 0;
}
