/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gen: Mooncake-format traces of documented families, from a seed, so
 * that a placement is measured on more than the one trace it was
 * developed on.  kvreplay generate (kvreplay(1)) writes them.
 *
 * Every family is a few kinds of request put together from reusable
 * prefixes; a new block gets the next id, a reused one keeps its id
 * (the trace's hash_ids: the same id is the same block).  The families:
 *
 *  chat     multi-turn sessions: each turn reads the whole conversation
 *           so far (the previous prompt, the previous answer, the new
 *           message), so prompts grow by each turn; a user thinks for
 *           a while between turns (exponential, --think mean)
 *  shared   many short sessions on top of a few system prompts, picked
 *           with a Zipf popularity (--prefixes prompts of
 *           --prefix-blocks blocks)
 *  agentic  tool loops: a task on one of a few tool-definition prompts
 *           adds a tool's output to its context at every step, steps a
 *           second or two apart, tens of steps
 *  rag      retrieval: a system prompt, a few documents of a corpus
 *           (--prefixes documents, Zipf popularity), a question; a
 *           document's blocks are the same wherever it is placed (a
 *           position-independent document cache)
 *  scan     the shared family, and every 200 s a batch job that reads
 *           many blocks once (a scan that should not flush the hot set)
 *  shift    a hot set of prefixes that is replaced by another every
 *           --duration / --phases seconds
 *
 * Deterministic: one seed, one trace, on every host (a 64-bit
 * splitmix generator, no floating point in what is written but the
 * timestamps' rounding).
 */
#ifndef KVREPLAY_GEN_H
#define KVREPLAY_GEN_H

#include <stdint.h>
#include <stdio.h>

/**
 * struct kvr_gen_params - what a family is generated with
 * @seed: the generator's seed
 * @requests: requests to write (about: a session is never cut short,
 *	the trace stops after the request that reaches the count)
 * @duration_s: seconds the arrivals spread over
 * @prefixes: shared prefixes (system prompts, documents, hot prefixes)
 * @prefix_blocks: blocks of one shared prefix (mean, for documents)
 * @turns: mean turns of a session or steps of a task
 * @think_s: mean seconds between two turns of a session
 * @zipf_centi: Zipf exponent of the prefixes' popularity, in hundredths
 * @phases: shift: hot sets over the trace
 *
 * 0 in any field but @seed: the family's default (kvreplay(1)).
 */
struct kvr_gen_params {
	uint64_t seed;
	uint32_t requests;
	uint32_t duration_s;
	uint32_t prefixes;
	uint32_t prefix_blocks;
	uint32_t turns;
	uint32_t think_s;
	uint32_t zipf_centi;
	uint32_t phases;
};

/* Names of the families, NULL-terminated. */
extern const char *const kvr_gen_families[];

/**
 * kvr_generate() - write a trace
 * @family: one of kvr_gen_families
 * @gp: parameters (0 fields take the family's defaults)
 * @f: where to write it, one JSON object per line
 *
 * Return: 0; -EINVAL for an unknown family or a parameter out of range;
 * -ENOMEM; -EIO when writing failed.
 */
int kvr_generate(const char *family, const struct kvr_gen_params *gp, FILE *f);

#endif /* KVREPLAY_GEN_H */
