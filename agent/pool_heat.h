/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pool_heat: the heat that ranks a block pool's blocks, per block index,
 * the model kvreplay --simulate runs for cxltier.  The module's heat
 * belongs to slots, and a block moves between slots; this keeps its
 * heat with the block:
 *  - the adaptive heat's shadows ([heat] adaptive, adaptive_settings,
 *    adaptive_window; policy_adapt_*), one per block index, fed at each
 *    decision with the block's reads in the epochs since the last one,
 *    taken from its slot's chunks as plan.h says for buffers (dev_count
 *    plus 1 for a young page in the snapshot's epoch; 1 in the epoch of
 *    the last access for epochs the agent did not see);
 *  - the write that creates a block, which the agent does see for a
 *    pool: a handle the shadows do not hold yet is a new block (or one
 *    the agent meets for the first time), and its index starts again
 *    with the creating write at each shadow's write weight;
 *  - the epoch of each block's last access (read or creating write),
 *    carried across its moves, for the policy's tie-break (0: never).
 * A block index not allocated at a decision is forgotten.  More than
 * POOL_HEAT_MAX_GAP epochs unseen, an epoch counter that went back or
 * new settings: the shadows start again, cold, and until they have taken
 * in an epoch pool_heat_step() says to rank by the module's heat.  Pure:
 * no socket, no module.
 */
#ifndef CXLTIERD_POOL_HEAT_H
#define CXLTIERD_POOL_HEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Most heat epochs folded at one decision before the shadows restart. */
#define POOL_HEAT_MAX_GAP	64

struct pool_heat;

/* For a pool of @nr_blocks block indexes; NULL: out of memory. */
struct pool_heat *pool_heat_new(uint32_t nr_blocks);
void pool_heat_free(struct pool_heat *h);

/*
 * At a decision, for each allocated block: its index and handle, its
 * device reads in the snapshot's epoch (dev_count), whether the scanner
 * saw a young page of it (one read more), the last epoch with an access
 * to its slot (0: none) and when it came to that slot.  For a block that
 * came to its slot since the last decision, a young page is the copy's
 * and the slot's last access may be its earlier occupant's: neither is
 * taken.  An index out of range, or handle 0, is ignored.
 */
void pool_heat_see(struct pool_heat *h, uint32_t idx, uint64_t handle,
		   uint32_t reads, bool young, uint64_t last_epoch,
		   uint64_t entered_ms);

/*
 * After the blocks of a decision at @now_ms, snapshot epoch @epoch: the
 * epochs since the last step are taken in, blocks not seen are
 * forgotten, and the shadows pick the one to follow, with @dram_blocks
 * the blocks the pool's DRAM slabs hold.  Returns the setting followed
 * (index of cfg->adaptive_set), -1 when the module's heat ranks the
 * blocks (adaptive heat off, or no epoch taken in yet), or -ENOMEM.
 */
int pool_heat_step(struct pool_heat *h, const struct config *cfg,
		   uint64_t epoch, uint64_t now_ms, size_t dram_blocks);

/* Block @idx's heat in the followed shadow, CXLTIER_HEAT_ONE units. */
uint64_t pool_heat_of(const struct pool_heat *h, uint32_t idx);

/* The epoch of block @idx's last access, 0 for none: its recency. */
uint64_t pool_heat_last(const struct pool_heat *h, uint32_t idx);

#endif
