// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-e2e-pool-app: a block pool that cxltierd places.  Blocks on
 * the DRAM and far slabs, each filled with its own pattern; the first
 * --hot far blocks are reported hot (device accesses) until cxltierd's
 * advice has moved them all to DRAM or --seconds pass.  All the while
 * every block is verified, byte for byte, inside a read bracket, and a
 * read bracket is held on one hot block the whole time.  Prints
 * "connected", then "promoted N of M" and "corrupt BYTES" at the end,
 * and exits 0 only if every hot block reached DRAM and no byte was
 * wrong (--no-promote: only the bytes count).
 *
 * --hold-all: hold a read bracket on every hot block until the end, and
 * --move-wait MS: how long a move waits for brackets on its old slot, so
 * that a batch of advice takes MS per hot block (a kill of cxltierd
 * then lands in the middle of it).  "moves N, draining D" at the end.
 *
 * --hint: no heat at all; the DRAM slab holds just the DRAM blocks, the
 * --hot far blocks get a will-read hint and as many DRAM blocks a done
 * hint, once.  The hinted blocks must reach DRAM and the done ones make
 * the room ("victims N of M", "promoted in S s" after "promoted").
 *
 * --drain FILE: no heat and no hints; verify every block until FILE
 * exists (or --seconds pass) while cxltierd drains the far slab's node
 * (the held reader lets go once no block is left on the far slab; the
 * far slab holds just the far blocks, the DRAM slab room for all):
 * "far N" at the end counts the blocks left on the far slab, "dram pins
 * P, fewest F" the DRAM slab's pins (they must never drop), and
 * "far slab released" says the library gave the far slab back.
 *
 * --give-back NODE: a third slab, on NODE, that the program gives back
 * itself (cxltier_pool_release()) once connected, before the rest goes
 * on as usual: "released tier 2" then.  The DRAM slab holds just the
 * DRAM blocks, so that only the hot blocks' heat, reported after the
 * give-back, moves anything.
 *
 * --connect-wait S: how long to wait for cxltierd after creating the pool
 * (default 60; 0: not at all, for a pool that must live without it).
 *
 * "pins P, fewest F": the pages the fake accelerator held pinned for the
 * slabs after creation, and the fewest seen at any check until the end.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libcxltier.h"
#include "testbed.h"

#define BS	(2ULL << 20)
/* Blocks per tier: 2 GiB a slab at most. */
#define MAX_PER_TIER	1024

/* Each 8-byte word of block @b holds its block and word numbers. */
static uint64_t pattern(uint32_t b, uint64_t w)
{
	return ((uint64_t)(b + 1) << 40) ^ (w * 0x9e3779b97f4a7c15ULL >> 24);
}

static void fill(void *addr, uint32_t b)
{
	uint64_t *p = addr, w;

	for (w = 0; w < BS / 8; w++)
		p[w] = pattern(b, w);
}

/* Bytes of block @b's copy at @addr that are not what was written. */
static uint64_t check(const void *addr, uint32_t b)
{
	const uint64_t *p = addr;
	uint64_t w, x, bad = 0;
	unsigned int k;

	for (w = 0; w < BS / 8; w++) {
		x = p[w] ^ pattern(b, w);
		if (x)
			for (k = 0; k < 8; k++)
				bad += (x >> (8 * k)) & 0xff ? 1 : 0;
	}
	return bad;
}

/* Pages the fake accelerator holds pinned now for the first @n slabs. */
static uint64_t pinned_now(int accel, const uint32_t *handle, unsigned int n)
{
	uint64_t pages, pinned, sum = 0;
	unsigned int t;

	for (t = 0; t < n; t++)
		if (!tb_accel_pinned(accel, handle[t], &pages, &pinned))
			sum += pinned;
	return sum;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct cxltier_options o = { .size = sizeof(o), .flags = CXLTIER_OPEN_NO_AGENT };
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "blocks", required_argument, NULL, 'b' },
		{ "hot", required_argument, NULL, 'h' },
		{ "seconds", required_argument, NULL, 't' },
		{ "no-promote", no_argument, NULL, 'n' },
		{ "hint", no_argument, NULL, 'H' },
		{ "hold-all", no_argument, NULL, 'A' },
		{ "move-wait", required_argument, NULL, 'W' },
		{ "drain", required_argument, NULL, 'D' },
		{ "give-back", required_argument, NULL, 'G' },
		{ "connect-wait", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int per_tier = 8, hot = 4, seconds = 60, i, promoted = 0;
	unsigned int connect_wait = 60;
	struct cxltier_pool_desc d;
	struct cxltier_block_ref ref, hold;
	cxltier_block_t blk[2 * MAX_PER_TIER];
	struct cxltier_pool *pool;
	struct cxltier *ctx;
	uint64_t corrupt = 0;
	bool want_promote = true, hint = false, hold_all = false, holding = true;
	struct cxltier_block_ref holds[32];
	struct cxltier_pool_stats pst;
	unsigned int move_wait = 0;
	uint64_t pins0 = 0, pins_min = 0, pins;
	uint32_t slab_handle[2] = { 0, 0 };
	unsigned int victims = 0, far = 0;
	const char *drain = NULL;
	int give_back = -1;
	uint64_t dram_pins0 = 0, dram_pins_min = 0;
	char arg[32];
	double end, t_hint = 0;
	int c, accel, ret;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.socket_path = optarg; break;
		case 'b': per_tier = (unsigned int)atoi(optarg); break;
		case 'h': hot = (unsigned int)atoi(optarg); break;
		case 't': seconds = (unsigned int)atoi(optarg); break;
		case 'n': want_promote = false; break;
		case 'H': hint = true; break;
		case 'A': hold_all = true; break;
		case 'W': move_wait = (unsigned int)atoi(optarg); break;
		case 'D': drain = optarg; want_promote = false; break;
		case 'G': give_back = atoi(optarg); break;
		case 'C': connect_wait = (unsigned int)atoi(optarg); break;
		default: return 2;
		}
	}
	if (!per_tier || per_tier > MAX_PER_TIER || !hot || hot > per_tier ||
	    hot > 32)
		return 2;
	accel = tb_accel_open(0);
	if (accel < 0) {
		fprintf(stderr, "no fake accelerator: %s\n", strerror(-accel));
		return 1;
	}
	snprintf(arg, sizeof(arg), "fd=%d", accel);
	ret = cxltier_open(&o, &ctx);
	if (ret) {
		fprintf(stderr, "cxltier_open: %s\n", strerror(-ret));
		return 1;
	}
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.label = "e2e-pool";
	d.block_size = BS;
	d.nr_blocks = 2 * per_tier;
	d.adapter = "test-accel";
	d.adapter_arg = arg;
	d.move_wait_ms = move_wait;
	if (give_back >= 0) {
		/* DRAM (0), the far node the blocks use (1), the one to give back. */
		d.nr_tiers = 3;
		d.flags |= CXLTIER_POOL_NODES;
		d.nodes[0] = 0;
		d.nodes[1] = 1;
		d.nodes[2] = give_back;
		/* A full DRAM slab: only heat, after the give-back, promotes. */
		d.slots[0] = per_tier;
	}
	/* Drain: the far slab as large as the far blocks, and no larger. */
	if (drain)
		d.slots[1] = per_tier;
	/* Hints: a full DRAM slab, so each promotion needs a victim. */
	if (hint)
		d.slots[0] = per_tier;
	ret = cxltier_pool_create(ctx, &d, &pool);
	if (ret) {
		fprintf(stderr, "cxltier_pool_create: %s\n", strerror(-ret));
		return 1;
	}
	/* Blocks 0..per_tier-1 on DRAM, the rest far. */
	for (i = 0; i < 2 * per_tier; i++) {
		ret = cxltier_block_alloc(pool, i < per_tier ? 0 : 1, &blk[i]);
		if (!ret)
			ret = cxltier_block_get(pool, blk[i], CXLTIER_BLOCK_WRITE, &ref);
		if (ret) {
			fprintf(stderr, "block %u: %s\n", i, strerror(-ret));
			return 1;
		}
		fill(ref.addr, i);
		cxltier_block_put(pool, &ref);
	}
	/* The slabs' pins, exactly, from the fake accelerator itself. */
	if (!cxltier_block_lookup(pool, blk[0], &ref))
		slab_handle[0] = (uint32_t)ref.handle;
	if (!cxltier_block_lookup(pool, blk[per_tier], &ref))
		slab_handle[1] = (uint32_t)ref.handle;
	pins0 = pins_min = pinned_now(accel, slab_handle, 2);
	dram_pins0 = dram_pins_min = pinned_now(accel, slab_handle, 1);
	/* A reader holds the first hot block throughout: a move copies anyway. */
	if (cxltier_block_get(pool, blk[per_tier], 0, &hold)) {
		fprintf(stderr, "cannot hold a bracket\n");
		return 1;
	}
	for (i = 1; hold_all && i < hot; i++)
		if (cxltier_block_get(pool, blk[per_tier + i], 0, &holds[i])) {
			fprintf(stderr, "cannot hold a bracket\n");
			return 1;
		}
	for (end = now_s() + connect_wait; !cxltier_connected(ctx) && now_s() < end;)
		usleep(100000);
	printf("connected %d\n", cxltier_connected(ctx));
	fflush(stdout);
	if (give_back >= 0) {
		/* Registered first (it follows the connection at once): the
		 * agent must see the slab go. */
		sleep(3);
		ret = cxltier_pool_release(pool, 2, 10000, NULL);
		if (ret) {
			fprintf(stderr, "cxltier_pool_release: %s\n", strerror(-ret));
			return 1;
		}
		printf("released tier 2\n");
		fflush(stdout);
	}

	if (hint) {
		/* Once: the agent must act on them, not on heat. */
		ret = cxltier_pool_hint(pool, CXLTIER_HINT_DONE, blk, hot, 0);
		if (!ret)
			ret = cxltier_pool_hint(pool, CXLTIER_HINT_WILL_READ,
						&blk[per_tier], hot, 100);
		if (ret) {
			fprintf(stderr, "hint: %s\n", strerror(-ret));
			return 1;
		}
		t_hint = now_s();
	}
	end = now_s() + seconds;
	do {
		ret = hint || drain ? 0 :
		      cxltier_pool_report(pool, &blk[per_tier], hot, 1000);
		if (ret < 0)
			fprintf(stderr, "report: %s\n", strerror(-ret));
		for (i = 0; i < 2 * per_tier; i++) {
			if (cxltier_block_get(pool, blk[i], 0, &ref)) {
				corrupt += BS;
				continue;
			}
			corrupt += check(ref.addr, i);
			cxltier_block_put(pool, &ref);
		}
		/* The held bracket's copy stays right too. */
		if (holding)
			corrupt += check(hold.addr, per_tier);
		promoted = 0;
		for (i = per_tier; i < per_tier + hot; i++)
			if (!cxltier_block_lookup(pool, blk[i], &ref) && ref.tier == 0)
				promoted++;
		pins = pinned_now(accel, slab_handle, 2);
		if (pins < pins_min)
			pins_min = pins;
		pins = pinned_now(accel, slab_handle, 1);
		if (pins < dram_pins_min)
			dram_pins_min = pins;
		far = 0;
		for (i = 0; i < 2 * per_tier; i++)
			if (!cxltier_block_lookup(pool, blk[i], &ref) && ref.tier == 1)
				far++;
		/*
		 * Draining: the held reader lets go once every block left the
		 * far slab, so the release waits for it, then gives it back.
		 */
		if (drain && holding && !far) {
			corrupt += check(hold.addr, per_tier);
			cxltier_block_put(pool, &hold);
			holding = false;
		}
		if (drain && !access(drain, F_OK))
			break;
		victims = 0;
		for (i = 0; i < hot; i++)
			if (!cxltier_block_lookup(pool, blk[i], &ref) && ref.tier == 1)
				victims++;
		if (want_promote && promoted == hot)
			break;
		usleep(hint ? 50000 : 200000);
	} while (now_s() < end);
	if (hint)
		printf("promoted in %.2f s\nvictims %u of %u\n", now_s() - t_hint,
		       victims, hot);
	if (holding)
		cxltier_block_put(pool, &hold);
	for (i = 1; hold_all && i < hot; i++) {
		corrupt += check(holds[i].addr, per_tier + i);
		cxltier_block_put(pool, &holds[i]);
	}
	/* The pool still works: a block freed and allocated again. */
	if (cxltier_block_free(pool, blk[0]) ||
	    cxltier_block_alloc(pool, drain ? 0 : 1, &blk[0]) ||
	    cxltier_block_get(pool, blk[0], CXLTIER_BLOCK_WRITE, &ref)) {
		fprintf(stderr, "the pool does not work any more\n");
		return 1;
	}
	fill(ref.addr, 0);
	cxltier_block_put(pool, &ref);
	/* Once more, after every move. */
	for (i = 0; i < 2 * per_tier; i++) {
		if (cxltier_block_get(pool, blk[i], 0, &ref)) {
			corrupt += BS;
			continue;
		}
		corrupt += check(ref.addr, i);
		cxltier_block_put(pool, &ref);
	}
	printf("pins %llu, fewest %llu\n", (unsigned long long)pins0,
	       (unsigned long long)pins_min);
	memset(&pst, 0, sizeof(pst));
	pst.size = sizeof(pst);
	if (!cxltier_pool_stats(pool, &pst))
		printf("moves %llu, draining %u\n", (unsigned long long)pst.moves,
		       pst.slots_draining);
	if (drain) {
		printf("far %u\ndram pins %llu, fewest %llu\n", far,
		       (unsigned long long)dram_pins0,
		       (unsigned long long)dram_pins_min);
		/* Given back: the stats say so, and the tier takes no block. */
		if (pst.tiers_released & 2 &&
		    cxltier_block_alloc(pool, 1, &ref.block) == -ENODEV)
			printf("far slab released\n");
	}
	printf("promoted %u of %u\ncorrupt %llu\n", promoted, hot,
	       (unsigned long long)corrupt);
	fflush(stdout);
	cxltier_pool_destroy(pool);
	cxltier_close(ctx);
	close(accel);
	return corrupt || (want_promote && promoted != hot) ||
	       (hint && victims != hot);
}
