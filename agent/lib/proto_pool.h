/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * proto_pool: the block-pool frames of the agent protocol (version 2).
 * A pool frame is a fixed header followed by a bounded array of
 * fixed-size entries, so a whole batch of per-block advice travels in
 * one SOCK_SEQPACKET message:
 *
 *	c: POOL_REGISTER  (pool, block size, blocks, one entry per slab) ->
 *	                       <- a: POOL_REGISTER_REPLY (status)
 *	a: ADVICE         (pool, entries: block, generation, target tier) ->
 *	                       <- c: ADVICE_REPLY (per-block result, counts)
 *	c: POOL_UNREGISTER (pool) ->  <- a: POOL_UNREGISTER_REPLY (status)
 *	c: POOL_BLOCKS    (pool, entries: slot, block) ->
 *	                       <- a: POOL_BLOCKS_REPLY (status)
 *	c: POOL_HINTS     (pool, entries: block, kind, lead) ->
 *	                       <- a: POOL_HINTS_REPLY (status)
 *
 * Pool frames start with their own magic ("CXTB"), so neither end ever
 * mistakes one for a 128-byte frame of proto.h.  Every field is checked
 * on receipt (proto_pool_decode()), and advice and its reply are checked
 * against what the receiver knows of the pool (proto_pool_check_advice(),
 * proto_pool_check_reply()): a frame that fails any check changes
 * nothing.  Documentation/userspace-api/agent-protocol.rst, "Block
 * pools", is the specification.
 */
#ifndef CXLTIER_PROTO_POOL_H
#define CXLTIER_PROTO_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* "CXTB" read as a little-endian u32. */
#define PROTO_POOL_MAGIC	0x42545843U
/* The protocol version that has pool frames. */
#define PROTO_POOL_VERSION	2
/* Header bytes, and bytes of each entry. */
#define PROTO_POOL_HDR_SIZE	96
#define PROTO_POOL_ENTRY_SIZE	16
/* Most entries in one frame: a batch of advice is at most this long. */
#define PROTO_POOL_MAX_ENTRIES	256
#define PROTO_POOL_MAX_FRAME \
	(PROTO_POOL_HDR_SIZE + PROTO_POOL_MAX_ENTRIES * PROTO_POOL_ENTRY_SIZE)
/* Slabs (tiers) of a pool, as CXLTIER_POOL_MAX_TIERS. */
#define PROTO_POOL_MAX_TIERS	4
/* Block indexes are below this, as the library's block table. */
#define PROTO_POOL_MAX_BLOCKS	(1U << 30)
/* Module tiers are below this. */
#define PROTO_POOL_MAX_MTIER	8

/* Pool frame types; numbered apart from proto.h's. */
enum proto_pool_type {
	PROTO_POOL_REGISTER = 64,	/* c->a */
	PROTO_POOL_REGISTER_REPLY,	/* a->c, answers POOL_REGISTER */
	PROTO_POOL_UNREGISTER,		/* c->a */
	PROTO_POOL_UNREGISTER_REPLY,	/* a->c, answers POOL_UNREGISTER */
	PROTO_ADVICE,			/* a->c, a batch of per-block moves */
	PROTO_ADVICE_REPLY,		/* c->a, answers ADVICE */
	PROTO_POOL_BLOCKS,		/* c->a, which block is in which slot */
	PROTO_POOL_BLOCKS_REPLY,	/* a->c, answers POOL_BLOCKS */
	PROTO_POOL_HINTS,		/* c->a, the runtime's hints */
	PROTO_POOL_HINTS_REPLY,		/* a->c, answers POOL_HINTS */
	PROTO_POOL_RELEASE,		/* a->c, empty a slab and give it back */
	PROTO_POOL_RELEASE_REPLY,	/* c->a, answers POOL_RELEASE */
	PROTO_POOL_TYPE_END,
};

/* Per-block results of ADVICE_REPLY, and the count each one adds to. */
enum proto_pool_count {
	PROTO_POOL_MOVED,	/* 0, copied to the target tier */
	PROTO_POOL_ALREADY,	/* 0, was on the target tier already */
	PROTO_POOL_BUSY,	/* -EBUSY: a writer holds it; skipped */
	PROTO_POOL_STALE,	/* -ESTALE: freed or reallocated since */
	PROTO_POOL_NOROOM,	/* -ENOSPC: no free slot on the target tier */
	PROTO_POOL_FAILED,	/* -EIO or -EINVAL: the move failed, block stays */
	PROTO_POOL_NR_COUNTS,
};

/**
 * struct proto_pool_slab - one slab of a registered pool
 * @range: the module's range id of the slab (heat is read from it)
 * @node: NUMA node of the slab
 * @slots: block slots in the slab
 * @mtier: the module's tier of @node
 */
struct proto_pool_slab {
	uint32_t range;
	int32_t node;
	uint32_t slots;
	uint32_t mtier;
};

/**
 * struct proto_pool_advice - one block to move
 * @block: the block's handle: generation (63..32, never 0), index (31..0)
 * @tier: the pool tier to move it to
 */
struct proto_pool_advice {
	uint64_t block;
	uint32_t tier;
};

/**
 * struct proto_pool_result - what happened to one advised block
 * @block: the handle, as in the advice
 * @result: 0, -EBUSY, -ESTALE, -ENOSPC, -EINVAL or -EIO
 * @moved: 1 if copied; only with @result 0
 */
struct proto_pool_result {
	uint64_t block;
	int32_t result;
	uint32_t moved;
};

/* POOL_BLOCKS: the handle of a slot that holds no block. */
#define PROTO_POOL_SLOT_FREE	0ULL

/**
 * struct proto_pool_slot - what one slot holds now (POOL_BLOCKS)
 * @handle: the block in it (generation 63..32, index 31..0), or
 *	PROTO_POOL_SLOT_FREE
 * @slot: the slot's number: slots are numbered tier by tier, fastest
 *	slab first, as POOL_REGISTER lists the slabs
 */
struct proto_pool_slot {
	uint64_t handle;
	uint32_t slot;
};

/* POOL_HINTS kinds, as CXLTIER_HINT_* */
#define PROTO_HINT_WILL_READ	1
#define PROTO_HINT_DONE		2
/* Longest lead a will-read hint may give. */
#define PROTO_HINT_MAX_LEAD_MS	60000U

/**
 * struct proto_pool_hint - what the runtime says of one block (POOL_HINTS)
 * @block: the block's handle (generation 63..32, never 0; index 31..0)
 * @kind: PROTO_HINT_WILL_READ (read within @lead_ms) or PROTO_HINT_DONE
 *	(no further read expected)
 * @lead_ms: will-read: when the read comes, 0 unknown, at most
 *	PROTO_HINT_MAX_LEAD_MS; done: 0
 */
struct proto_pool_hint {
	uint64_t block;
	uint32_t kind;
	uint32_t lead_ms;
};

/* Longest a POOL_RELEASE may give the library to empty its slab. */
#define PROTO_RELEASE_MAX_TIMEOUT_MS	600000U

/**
 * struct proto_pool_release - the slab to give back (POOL_RELEASE)
 * @tier: the pool tier whose slab goes: the library stops placing
 *	blocks there, moves every block of it to its other slabs, waits
 *	for the brackets on the old slots, then unpins, untracks and
 *	unmaps the slab.  Never the pool's only slab left.
 * @timeout_ms: how long the library may try (1 to
 *	PROTO_RELEASE_MAX_TIMEOUT_MS); blocks still busy then: -EBUSY, and
 *	the slab stays in service
 */
struct proto_pool_release {
	uint32_t tier;
	uint32_t timeout_ms;
};

/**
 * struct proto_pool_msg - a decoded pool frame
 * @type: PROTO_POOL_*
 * @seq: sender's sequence number (shared with its proto.h frames)
 * @reply_to: @seq of the frame answered, 0 for a request
 * @pool: the pool's id (cxltier_pool_id()), never 0
 * @status: answers: 0 or a negative errno
 * @count: entries that follow (slabs, advice or results)
 * @block_size: POOL_REGISTER: bytes per block
 * @nr_blocks: POOL_REGISTER: block indexes are below this
 * @counts: ADVICE_REPLY: results by enum proto_pool_count; they sum to
 *	@count and match the entries.  RELEASE_REPLY: what became of the
 *	slab's blocks, by the same counts (no entries)
 * @slab: POOL_REGISTER entries
 * @advice: ADVICE entries
 * @res: ADVICE_REPLY entries
 * @slots: POOL_BLOCKS entries
 * @hints: POOL_HINTS entries, in the order the runtime gave them
 * @release: POOL_RELEASE's one entry
 */
struct proto_pool_msg {
	uint16_t type;
	uint32_t seq;
	uint32_t reply_to;
	uint32_t pool;
	int32_t status;
	uint32_t count;
	uint64_t block_size;
	uint32_t nr_blocks;
	uint32_t counts[PROTO_POOL_NR_COUNTS];
	union {
		struct proto_pool_slab slab[PROTO_POOL_MAX_TIERS];
		struct proto_pool_advice advice[PROTO_POOL_MAX_ENTRIES];
		struct proto_pool_result res[PROTO_POOL_MAX_ENTRIES];
		struct proto_pool_slot slots[PROTO_POOL_MAX_ENTRIES];
		struct proto_pool_hint hints[PROTO_POOL_MAX_ENTRIES];
		struct proto_pool_release release;
	};
};

/* Does @len bytes starting with @buf look like a pool frame (its magic)? */
bool proto_pool_is_pool_frame(const void *buf, size_t len);

/* Name of a pool frame type, "?" when unknown. */
const char *proto_pool_type_name(unsigned int type);

/* The count a per-block result adds to, or -1 if it is not allowed. */
int proto_pool_count_of(int32_t result, uint32_t moved);

/*
 * Decode and validate one pool frame of @len bytes sent by @from
 * Checks magic, version, type, direction, size
 * against the entry count, every field for the type, zero in unused
 * fields, reserved bytes and entry padding, and each entry on its own
 * (slabs: range id, node, slots, module tier, in fastest-first order;
 * advice: generation, index, tier, no block twice; results: allowed
 * values, counts that match; hints: generation, index, kind, lead, no
 * block twice).  On error *@why names the first problem.
 * Return: 0, -EMSGSIZE, -EPROTONOSUPPORT or -EBADMSG.
 */
int proto_pool_decode(const void *buf, size_t len, enum proto_dir from,
		      struct proto_pool_msg *m, const char **why);

/*
 * Encode @m into @buf (at least PROTO_POOL_MAX_FRAME bytes) under the
 * same rules.  Return: the frame's length, or -EBADMSG.
 */
int proto_pool_encode(const struct proto_pool_msg *m, enum proto_dir from,
		      void *buf,
		      const char **why);

/**
 * struct proto_pool_info - what one end knows of a registered pool
 * @pool: its id
 * @nr_blocks: block indexes are below this
 * @nr_tiers: slabs
 */
struct proto_pool_info {
	uint32_t pool;
	uint32_t nr_blocks;
	uint32_t nr_tiers;
};

/*
 * The library's check of a decoded ADVICE against its pool @pi: the
 * pool, every block index below nr_blocks, every tier below nr_tiers.
 * A stale generation is not an error here: that block's result is
 * -ESTALE.  Return: 0 or -EINVAL (*@why says why).
 */
int proto_pool_check_advice(const struct proto_pool_info *pi,
			    const struct proto_pool_msg *m, const char **why);

/*
 * The agent's check of a decoded ADVICE_REPLY against the ADVICE it
 * answers: same pool, same blocks in the same order.  Return: 0 or
 * -EPROTO.
 */
int proto_pool_check_reply(const struct proto_pool_msg *advice,
			   const struct proto_pool_msg *reply, const char **why);

/*
 * The conversation, as proto_peer_send() / proto_peer_recv() for the
 * 128-byte frames, on the same struct proto_peer (one sequence of
 * numbers, one table of pending requests; a pool request's pending entry
 * has the pool id as its buffer).  Pool frames are allowed only after
 * HELLO negotiated version 2.  Return: 0, -ENOSPC, -EOVERFLOW, -EBADMSG
 * (wrong direction) or -EPROTO (*@why says why, for recv).
 */
int proto_pool_peer_send(struct proto_peer *p, struct proto_pool_msg *m);
int proto_pool_peer_recv(struct proto_peer *p, const struct proto_pool_msg *m,
			 struct proto_pending *req, const char **why);

/*
 * Socket helpers.  proto_pool_send() numbers, encodes and sends one pool
 * frame.  proto_recv_any() receives one packet of either kind without
 * blocking: a pool frame lands in *@pm and sets *@is_pool, a 128-byte
 * frame lands in *@m; both are decoded and run through the conversation
 * rules.  Return as proto_send() / proto_recv().
 */
int proto_pool_send(int fd, struct proto_peer *p, struct proto_pool_msg *m,
		    const char **why);
int proto_recv_any(int fd, struct proto_peer *p, struct proto_msg *m,
		   struct proto_pool_msg *pm, bool *is_pool,
		   struct proto_pending *req, const char **why);

#endif /* CXLTIER_PROTO_POOL_H */
