/* SPDX-License-Identifier: GPL-2.0 */
/*
 * policy: which chunks belong in DRAM, and the migrations that get them
 * there.
 *
 * Pure logic: no I/O, no clock, no globals.  The daemon feeds it what it
 * read from the module (tiers, per-chunk heat and node) and the settings
 * of cxltierd.conf; kvreplay --simulate feeds it a modelled trace.  The
 * same inputs give the same plan, so a policy measured on a trace is the
 * policy that runs.
 *
 * One decision (policy_plan()), in four steps:
 *
 *  1. DRAM budget.  DRAM use is capacity - free over the DRAM tier's
 *     nodes (every user of the memory, not only tracked chunks).
 *
 *        use > high_watermark    shed: DRAM chunks may keep
 *                                tracked - (use - low_watermark) bytes
 *        use < low_watermark     fill: tracked + (low_watermark - use)
 *        otherwise               hold: tracked (chunks only trade places)
 *
 *  2. Ranking.  Every chunk that may move is ranked by its class's
 *     priority, then by score = heat, plus hysteresis% of it for a chunk
 *     already in DRAM (so a far chunk must be that much hotter to take
 *     its place); ties go to the chunk accessed last (last_ms, where the
 *     caller knows it: heat that has decayed to the same value, often 0,
 *     says nothing of recency), then keep the chunk in DRAM, then go by
 *     chunk index.
 *     A stable radix sort: O(n) per byte of the key, so the whole
 *     decision is O(n) (4 million chunks: under a second).
 *
 *  3. Selection.  Walking down the ranking, a chunk is wanted in DRAM
 *     while it fits in the budget and in its class's dram_share; a far
 *     chunk also needs heat >= promote_min_heat.  Chunks that moved less
 *     than min_residency ago stay where they are (and keep their bytes in
 *     the budget), except that DRAM chunks may be shed above the high
 *     watermark; so do chunks flagged POLICY_CHUNK_FIXED.  A chunk in far
 *     memory waits only min_far_residency (if shorter): a demotion that
 *     the next reads prove wrong is undone within a few decisions, where
 *     lru would have kept the chunk; not one flagged
 *     POLICY_CHUNK_HINT_DEMOTED.
 *
 *  4. Moves, within the rate limit (a token bucket of rate_limit bytes
 *     per second, holding at most one interval's worth or one swap of the
 *     largest chunk):
 *       a. unwanted DRAM chunks of a class over its share, and, while
 *          DRAM is over budget, the coldest unwanted DRAM chunks: demoted;
 *       b. wanted far chunks, hottest first: promoted, each after
 *          demoting as many of the coldest unwanted DRAM chunks as it
 *          needs room for, in DRAM's budget and in its class's
 *          dram_share (a swap is done whole or not at all; a class
 *          never goes over its share, even until the next decision).
 *          The swaps' demotions are listed before the promotions when
 *          far memory has room for that, so that neighbouring hot
 *          chunks are promoted together.
 *     Demotions go to the first far tier with room (the node with the
 *     most free memory in it), promotions to the DRAM node with the most
 *     free memory.  Moves are listed in the order to execute them.
 *
 * Example, DRAM 100 chunks, high 95%, low 90%, hysteresis 25%: DRAM holds
 * 92 chunks, 2 of them cold (heat 1); a far chunk has heat 10.  Use is
 * between the watermarks: hold.  The far chunk outranks 1.25, so the plan
 * is: demote one cold chunk (swap), promote the hot one.
 */
#ifndef CXLTIER_POLICY_H
#define CXLTIER_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Tier number of DRAM in policy_node.tier; far tiers are 1, 2, ... */
#define POLICY_TIER_DRAM	0

/**
 * struct policy_node - one memory node the policy may use
 * @node: NUMA node id (below CONFIG_MAX_NODES)
 * @tier: POLICY_TIER_DRAM, or the far tier (1 = fastest far memory)
 * @capacity: bytes of memory on the node
 * @free: bytes free on the node now
 * @reclaimable: bytes the kernel can reclaim there without swap (page
 *	cache, reclaimable slab): available as free memory is
 */
struct policy_node {
	int node;
	unsigned int tier;
	uint64_t capacity;
	uint64_t free;
	uint64_t reclaimable;
};

/* policy_chunk.flags */
#define POLICY_CHUNK_FIXED	(1U << 0) /* cannot move: plan around it */
/*
 * Demoted by policy_hint_plan() (POLICY_DEMOTE_HINT), not moved since: the
 * caller sets it with moved_ms.  Such a chunk waits min_residency in far
 * memory, not min_far_residency: it was not a wrong demotion, and coming
 * back early only takes the room of the next hinted chunk.
 */
#define POLICY_CHUNK_HINT_DEMOTED (1U << 1)

/**
 * struct policy_chunk - one chunk of a tracked buffer
 * @heat: decayed access count in CXLTIER_HEAT_ONE units, as the module
 *	reports it
 * @moved_ms: when the chunk last moved, on the caller's clock (the one
 *	of policy_input.now_ms); 0 = never
 * @last_ms: when the chunk was last accessed, if the caller knows it (0 =
 *	unknown or never): breaks ties of heat.  Only compared between
 *	chunks, never with now_ms or moved_ms: any clock that grows with
 *	time will do, the same for every chunk (cxltierd: the module's heat
 *	epoch number; kvreplay: the trace's milliseconds)
 * @bytes: size of the chunk (0: ignored)
 * @node: node holding its pages, or CXLTIER_NODE_NONE (not resident:
 *	ignored) or CXLTIER_NODE_MIXED (counted as far memory; a promotion
 *	gathers it in DRAM).  A node not in policy_input.nodes is ignored.
 * @klass: index of its class in config.classes (past the end: default)
 * @flags: POLICY_CHUNK_*
 */
struct policy_chunk {
	uint64_t heat;
	uint64_t moved_ms;
	uint64_t last_ms;
	uint32_t bytes;
	int32_t node;
	uint16_t klass;
	uint16_t flags;
};

/**
 * struct policy_input - everything one decision looks at
 * @cfg: settings ([policy] and the classes are used)
 * @nodes: the nodes of the DRAM and far tiers
 * @nr_nodes: entries in @nodes
 * @chunks: every chunk of every tracked buffer
 * @nr_chunks: entries in @chunks, at most UINT32_MAX
 * @now_ms: the caller's clock, milliseconds, not 0 and never going back
 */
struct policy_input {
	const struct config *cfg;
	const struct policy_node *nodes;
	unsigned int nr_nodes;
	const struct policy_chunk *chunks;
	size_t nr_chunks;
	uint64_t now_ms;
};

/**
 * struct policy_state - what one decision hands to the next
 * @last_ms: now_ms of the previous decision, 0 before the first
 * @tokens: rate-limit allowance left, bytes
 *
 * Zero it before the first call; then pass policy_plan.state back.
 */
struct policy_state {
	uint64_t last_ms;
	uint64_t tokens;
};

/* Why a chunk moves. */
enum policy_reason {
	POLICY_PROMOTE = 1,		/* hot enough, and DRAM has room */
	POLICY_DEMOTE_PRESSURE,		/* DRAM is over its budget */
	POLICY_DEMOTE_SHARE,		/* its class holds more than dram_share */
	POLICY_DEMOTE_SWAP,		/* makes room for a hotter chunk */
	POLICY_PROMOTE_HINT,		/* a will-read hint */
	POLICY_DEMOTE_HINT,		/* makes room for a will-read chunk */
};

/**
 * struct policy_move - one migration
 * @chunk: index in policy_input.chunks
 * @from: the chunk's node (or CXLTIER_NODE_MIXED)
 * @to: target node
 * @reason: enum policy_reason
 */
struct policy_move {
	uint32_t chunk;
	int32_t from;
	int32_t to;
	uint32_t reason;
};

/**
 * struct policy_plan - the result of one decision
 * @moves: migrations in execution order (owned by the policy_ctx, valid
 *	until its next policy_plan() or policy_ctx_free())
 * @nr_moves: entries in @moves
 * @state: pass to the next policy_plan()
 * @dram_capacity: bytes of the DRAM tier
 * @dram_used: DRAM capacity less available memory (free plus
 *	reclaimable), bytes
 * @dram_tracked: bytes of tracked chunks in DRAM before the plan
 * @dram_budget: bytes of tracked chunks the plan allows in DRAM
 * @nr_promote: promotions in @moves
 * @nr_demote: demotions in @moves
 * @promote_bytes: bytes promoted
 * @demote_bytes: bytes demoted
 * @deferred_bytes: bytes of wanted moves left out by the rate limit
 * @blocked_bytes: bytes of wanted moves no node had room for
 * @untracked_bytes: DRAM in use by other than tracked chunks (@dram_used
 *	less @dram_tracked)
 * @shed_skipped: DRAM use is above high_watermark, but demoting every
 *	tracked chunk would not bring it to low_watermark: the pressure is
 *	untracked memory's, so nothing was demoted for it
 */
struct policy_plan {
	struct policy_move *moves;
	size_t nr_moves;
	struct policy_state state;
	uint64_t dram_capacity;
	uint64_t dram_used;
	uint64_t dram_tracked;
	uint64_t dram_budget;
	size_t nr_promote;
	size_t nr_demote;
	uint64_t promote_bytes;
	uint64_t demote_bytes;
	uint64_t deferred_bytes;
	uint64_t blocked_bytes;
	uint64_t untracked_bytes;
	bool shed_skipped;
};

/* Scratch memory reused from one decision to the next. */
struct policy_ctx;

/**
 * policy_ctx_new() - scratch memory for policy_plan()
 *
 * The context only saves allocations between calls: a plan depends on
 * the inputs alone.
 *
 * Return: the context, or NULL when out of memory.
 */
struct policy_ctx *policy_ctx_new(void);

/**
 * policy_ctx_free() - release a context and its last plan's moves
 * @ctx: the context (NULL is fine)
 */
void policy_ctx_free(struct policy_ctx *ctx);

/**
 * policy_plan() - decide a migration plan
 * @ctx: scratch memory
 * @in: tiers, chunks, settings and time
 * @prev: the state from the previous plan (zeroed for the first)
 * @plan: filled with the plan
 *
 * Return: 0; -EINVAL for a NULL argument or now_ms of 0; -E2BIG for more
 * than UINT32_MAX chunks; -ENOMEM.  On error @plan holds no moves.
 */
int policy_plan(struct policy_ctx *ctx, const struct policy_input *in,
		const struct policy_state *prev, struct policy_plan *plan);

/**
 * struct policy_hints - what the runtime says about the blocks it uses
 * @will_read: chunk indices that a queued request is about to read, in
 *	the order it reads them (a scheduler's prefix match)
 * @nr_will_read: entries in @will_read
 * @done: chunk indices that no request is expected to read again
 * @nr_done: entries in @done
 * @budget: bytes the promotions may move (the hint's own bandwidth over
 *	its lead time, or what is left of the rate limit); 0 = none
 */
struct policy_hints {
	const uint32_t *will_read;
	size_t nr_will_read;
	const uint32_t *done;
	size_t nr_done;
	uint64_t budget;
};

/**
 * policy_hint_plan() - urgent moves for a batch of hints
 * @ctx: scratch memory
 * @in: tiers, chunks, settings and time, as for policy_plan()
 * @h: the hints
 * @plan: filled with the moves (nr_promote, nr_demote and their bytes,
 *	deferred_bytes for will-read chunks the budget left out)
 *
 * Every will-read chunk in far memory is promoted, in the order given,
 * while @h->budget lasts; room is taken from free DRAM first, then by
 * demoting, one for one: done chunks in DRAM first, then the coldest
 * DRAM chunks (the ranking of policy_plan(): class priority, heat, last
 * access; a will-read chunk is never a victim).  A promotion with no
 * victim or no far room for it is left out (blocked_bytes).  One pass
 * over the chunks to find the victims: O(n log k) for k promotions.
 * Watermarks, hysteresis and min_residency do not apply: a hint is
 * urgent.  Done chunks are not demoted by themselves (they are the
 * first victims, here and for the next hint).
 *
 * Return: 0; -EINVAL for a NULL argument or a chunk index out of range;
 * -ENOMEM.  On error @plan holds no moves.
 */
int policy_hint_plan(struct policy_ctx *ctx, const struct policy_input *in,
		     const struct policy_hints *h, struct policy_plan *plan);

/*
 * Adaptive heat: a few shadow settings of the heat (half-life x weight
 * of the creating write), each keeping its own heat of every chunk,
 * scored by the hits they would have had, and the decision follows the
 * best one.
 *
 *  - every read of a chunk scores a hit for each shadow whose heat of
 *    the chunk, at the last decision, ranked it within DRAM's capacity
 *    (heat above the shadow's threshold: its capacity-th hottest heat,
 *    or equal to a threshold above 0);
 *  - a shadow's score decays by half every window_ms of decisions;
 *  - at each decision the shadow with the best score becomes the one
 *    whose heat the chunks are ranked by, if it beats the current one
 *    by 1% or more (no flapping).
 *
 * Cost per decision, n chunks, S shadows: S selections of the
 * threshold, O(n) each (a radix select on the heat's bytes), and a copy
 * of the winner's heat: about 9 passes over n per shadow, 54 passes
 * over 1M chunks (~8 bytes each) for the default 6 shadows, 63 for the
 * default 7 (a recency shadow costs what a sum shadow does): about 170 ms
 * at 1M chunks on a small host (cxltier-bench policy-cost), with the
 * plan's own 140 ms; per epoch S decays of each chunk with heat; per
 * read S comparisons; memory 8 * S + 13 bytes per chunk.
 */
#define POLICY_ADAPT_MAX	8

/**
 * struct policy_adapt_setting - one shadow
 * @half_life_ms: heat half-life (0: no memory)
 * @write_weight_pm: heat of the creating write, thousandths of a read
 * @recency: a recency shadow: an epoch with an access sets the heat to
 *	that access's weight (a read 1, the creating write @write_weight_pm,
 *	both their sum), which then decays; 0: the heat is the decayed sum
 *	of every access
 */
struct policy_adapt_setting {
	uint32_t half_life_ms;
	uint32_t write_weight_pm;
	uint32_t recency;
};

struct policy_adapt;

/**
 * policy_adapt_new() - shadows
 * @set: the settings, 1 to POLICY_ADAPT_MAX
 * @n: entries in @set
 * @epoch_ms: the heat epoch (policy_adapt_epoch() is called once per)
 * @window_ms: scores halve after this much decision time (>= 1)
 *
 * Return: the shadows, NULL on bad arguments or out of memory.  The
 * first setting is followed until another scores better.
 */
struct policy_adapt *policy_adapt_new(const struct policy_adapt_setting *set,
				      unsigned int n, uint32_t epoch_ms, uint32_t window_ms);

void policy_adapt_free(struct policy_adapt *a);

/**
 * struct policy_adapt_made - what a set of shadows was made from
 * @set: [heat] adaptive_settings then
 * @nr: its entries (0: no shadows)
 * @epoch_ms: [heat] epoch then
 * @window_ms: [heat] adaptive_window then
 * @writes: made for a caller that sees creating writes
 * @map: shadow k is @set[@map[k]]
 */
struct policy_adapt_made {
	struct config_adapt set[CONFIG_MAX_ADAPT];
	uint32_t nr;
	uint32_t epoch_ms;
	uint32_t window_ms;
	bool writes;
	unsigned int map[POLICY_ADAPT_MAX];
};

/**
 * policy_adapt_setup() - the shadows of @cfg's adaptive heat
 * @a: in/out: the shadows, NULL for none
 * @made: in/out: what *@a was made from (zeroed before the first call)
 * @cfg: the config
 * @writes: the caller sees the writes that create chunks; without them
 *	recency shadows are left out (one that never sees a chunk created
 *	ranks it below every chunk read once, however long ago)
 *
 * Kept when made from the same settings; otherwise made anew, cold, or
 * freed (NULL) when the adaptive heat is off or no shadow is left.
 * Return: 1 when made anew, 0 when kept or freed, -ENOMEM (*@a NULL).
 */
int policy_adapt_setup(struct policy_adapt **a, struct policy_adapt_made *made,
		       const struct config *cfg, bool writes);

/* Track @nr chunks (new ones start cold).  0 or -ENOMEM. */
int policy_adapt_resize(struct policy_adapt *a, size_t nr);

/* @reads reads of chunk @chunk (< the size), scored and counted. */
void policy_adapt_read(struct policy_adapt *a, size_t chunk, uint32_t reads);

/*
 * Chunk @chunk (< the size) starts again, cold in every shadow: its
 * index now names another chunk (a block pool reuses its indexes).
 */
void policy_adapt_forget(struct policy_adapt *a, size_t chunk);

/* The write that creates chunk @chunk (< the size). */
void policy_adapt_write(struct policy_adapt *a, size_t chunk);

/* The end of a heat epoch: every shadow's heat decays, takes the epoch in. */
void policy_adapt_epoch(struct policy_adapt *a);

/**
 * policy_adapt_decide() - score, pick the winner, hand its heat over
 * @a: the shadows
 * @now_ms: the decision's time (scores decay by the time since the last)
 * @capacity: chunks DRAM holds (the thresholds' rank)
 * @chunks: policy input; @chunks[i].heat is set to the winner's heat
 * @n: entries of @chunks (at most the size)
 *
 * Return: the index of the setting followed now.
 */
unsigned int policy_adapt_decide(struct policy_adapt *a, uint64_t now_ms, size_t capacity,
				 struct policy_chunk *chunks, size_t n);

/*
 * Chunk @chunk's heat in the shadow followed, in CXLTIER_HEAT_ONE units
 * rounded up (what policy_adapt_decide() hands over); 0 out of range.
 */
uint64_t policy_adapt_chunk_heat(const struct policy_adapt *a, size_t chunk);

/* A shadow's decayed score (CXLTIER_HEAT_ONE per hit), for reports and tests. */
uint64_t policy_adapt_score(const struct policy_adapt *a, unsigned int k);

/*
 * Chunk @chunk's heat in shadow @k, in POLICY_ADAPT_ONE units: 32
 * fractional bits, so that one access stays above zero for at least 16
 * half-lives at any half-life up to 1 h at 1 s epochs (the module's 16
 * bits: under 5 at 1 h), at most 2^32 accesses (saturating).  policy_adapt_decide() hands it over in
 * CXLTIER_HEAT_ONE units, rounded up.
 */
#define POLICY_ADAPT_ONE	(1ULL << 32)
uint64_t policy_adapt_heat(const struct policy_adapt *a, size_t chunk, unsigned int k);

/**
 * policy_reason_name() - a reason for logs and JSON
 * @reason: enum policy_reason
 *
 * Return: "promote", "pressure", "share", "swap", "hint", "hint-swap" or
 * "unknown".
 */
const char *policy_reason_name(uint32_t reason);

#endif /* CXLTIER_POLICY_H */
