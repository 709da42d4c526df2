// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcxltier pools: a slab's memory.  Placed on its node with mbind
 * (MPOL_BIND, strict) before anything touches it, populated, checked to
 * be on that node, pinned once (the adapter, or mlock), and tracked by
 * the module so that the CPU's Accessed bits and device reports give its
 * slots heat.  Raw system calls: the library does not link libnuma.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <linux/mempolicy.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "pool.h"
#include "private.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define NODE_BITS 1024

/* Slack kept free on a node besides the slab (the kernel's own needs). */
#define NODE_SLACK (32ULL << 20)

int pool_pick_nodes(struct cxltier *ctx, unsigned int nr_tiers,
		    const int *given, bool pin_longterm, int *nodes,
		    uint64_t *free_bytes, char *why, size_t len)
{
	struct cxltier_node_info *info = NULL;
	uint32_t nr = 0, mtiers = 0, i;
	unsigned int t, want;
	int ret, best;

	ret = kdev_get_nodes(&ctx->kdev, &info, &nr, &mtiers);
	if (ret) {
		snprintf(why, len, "cannot read the module's nodes: %s",
			 strerror(-ret));
		return ret;
	}
	ret = 0;
	for (t = 0; t < nr_tiers; t++) {
		best = -1;
		if (given) {
			for (i = 0; i < nr; i++)
				if ((int)info[i].node == given[t])
					best = (int)i;
			if (best < 0) {
				snprintf(why, len,
					 "slab %u: node %d is not a memory node",
					 t, given[t]);
				ret = -ENODEV;
				goto out;
			}
		} else {
			if (mtiers < nr_tiers) {
				snprintf(why, len,
					 "%u slabs need %u tiers, the module has %u (no far tier?)",
					 nr_tiers, nr_tiers, mtiers);
				ret = -ENODEV;
				goto out;
			}
			want = t == nr_tiers - 1 ? mtiers - 1 : t;
			for (i = 0; i < nr; i++) {
				if (info[i].tier != want)
					continue;
				if (pin_longterm &&
				    (info[i].flags & CXLTIER_NODE_ALL_MOVABLE))
					continue;
				if (best < 0 ||
				    info[i].free_kB > info[best].free_kB)
					best = (int)i;
			}
			if (best < 0) {
				snprintf(why, len,
					 "slab %u: no node of tier %u can hold pinned memory",
					 t, want);
				ret = -ENODEV;
				goto out;
			}
		}
		if (pin_longterm && (info[best].flags & CXLTIER_NODE_ALL_MOVABLE)) {
			snprintf(why, len,
				 "slab %u: node %u is all ZONE_MOVABLE and cannot hold long-term pins",
				 t, info[best].node);
			ret = -ENODEV;
			goto out;
		}
		nodes[t] = (int)info[best].node;
		free_bytes[t] = info[best].free_kB * 1024;
	}
out:
	free(info);
	return ret;
}

/* The heat unit for blocks of @bs bytes: a power of two that divides
 * them, in the module's range. */
static uint64_t heat_chunk(uint64_t bs)
{
	uint64_t c = bs & -bs;

	if (c < CXLTIER_CHUNK_MIN)
		c = CXLTIER_CHUNK_MIN;
	if (c > CXLTIER_CHUNK_MAX)
		c = CXLTIER_CHUNK_MAX;
	return c;
}

/* Is every block of @s (its first and last page) on @s->node? */
static int check_placement(const struct cxltier_pool *p,
			   const struct pool_slab *s, char *why, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	void *addr[2];
	int status[2];
	uint32_t i;

	for (i = 0; i < s->slots; i++) {
		addr[0] = s->base + (uint64_t)i * p->block_size;
		addr[1] = (uint8_t *)addr[0] + p->block_size - (uint64_t)page;
		status[0] = status[1] = -ENOENT;
		if (syscall(SYS_move_pages, 0, 2UL, addr, NULL, status, 0) < 0) {
			snprintf(why, len, "move_pages: %s", strerror(errno));
			return -errno;
		}
		if (status[0] != s->node || status[1] != s->node) {
			snprintf(why, len,
				 "slot %u is on node %d, not on node %d", i,
				 status[0] != s->node ? status[0] : status[1],
				 s->node);
			return -ENOMEM;
		}
	}
	return 0;
}

int pool_slab_create(struct cxltier_pool *p, struct pool_slab *s,
		     const char *adapter_arg, unsigned int sources,
		     uint64_t free_bytes, char *why, size_t len)
{
	unsigned long mask[NODE_BITS / (8 * sizeof(long))] = { 0 };
	uint64_t align = p->block_size % (2ULL << 20) ? 4096 : 2ULL << 20;
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *raw, *base;
	uint64_t off;
	int ret;

	if (s->node < 0 || s->node >= NODE_BITS) {
		snprintf(why, len, "node %d out of range", s->node);
		return -EINVAL;
	}
	if (free_bytes < s->len + NODE_SLACK) {
		snprintf(why, len,
			 "node %d has %llu MiB free, the slab needs %llu MiB",
			 s->node, (unsigned long long)(free_bytes >> 20),
			 (unsigned long long)((s->len + NODE_SLACK) >> 20));
		return -ENOMEM;
	}
	raw = mmap(NULL, s->len + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		snprintf(why, len, "mmap of %llu bytes: %s",
			 (unsigned long long)s->len, strerror(errno));
		return -ENOMEM;
	}
	/* Aligned, so that 2 MiB blocks can be huge pages; trim the rest. */
	base = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	if (raw + s->len + align > base + s->len)
		munmap(base + s->len, (size_t)(raw + s->len + align - (base + s->len)));
	s->base = base;
	if (align > (uint64_t)page)
		madvise(base, s->len, MADV_HUGEPAGE);

	/* Placed before first touch: every page is allocated on the node. */
	mask[s->node / (8 * sizeof(long))] |= 1UL << (s->node % (8 * sizeof(long)));
	if (syscall(SYS_mbind, base, s->len, MPOL_BIND, mask,
		    (unsigned long)NODE_BITS, MPOL_MF_STRICT) < 0) {
		ret = -errno;
		snprintf(why, len, "mbind to node %d: %s", s->node,
			 strerror(errno));
		return ret;
	}
	if (madvise(base, s->len, MADV_POPULATE_WRITE)) {
		if (errno != EINVAL) {
			ret = -errno;
			snprintf(why, len, "cannot populate on node %d: %s",
				 s->node, strerror(errno));
			return ret == -EFAULT ? -ENOMEM : ret;
		}
		for (off = 0; off < s->len; off += (uint64_t)page)
			base[off] = 0;
	}

	if (s->adapter && s->adapter->attach) {
		s->pin.addr = (uintptr_t)base;
		s->pin.length = s->len;
		/* One pin per slab; the CUDA runtime's in 64 GiB pieces. */
		s->pin.chunk_size = s->adapter == &lib_adapter_cuda &&
					    s->len > POOL_CUDA_PIECE ?
					    POOL_CUDA_PIECE : s->len;
		ret = s->adapter->attach(&s->pin, adapter_arg, why, len);
		if (ret)
			return ret;
	} else if (mlock(base, s->len)) {
		ret = -errno;
		snprintf(why, len, "mlock of %llu MiB: %s (RLIMIT_MEMLOCK?)",
			 (unsigned long long)(s->len >> 20), strerror(errno));
		return ret;
	}
	s->pinned = true;
	/* After pinning: a long-term pin may have migrated pages. */
	ret = check_placement(p, s, why, len);
	if (ret)
		return ret;

	s->chunk_size = heat_chunk(p->block_size);
	ret = kdev_track(&p->ctx->kdev, 0, (uintptr_t)base, s->len,
			 s->chunk_size, sources, p->label, &s->track_id, NULL);
	if (ret) {
		snprintf(why, len, "cannot track the slab: %s", strerror(-ret));
		return ret;
	}
	s->tracked = true;
	return 0;
}

void pool_slab_destroy(struct cxltier_pool *p, struct pool_slab *s)
{
	if (s->tracked)
		kdev_untrack(&p->ctx->kdev, s->track_id);
	s->tracked = false;
	if (s->pinned) {
		if (s->adapter && s->adapter->detach)
			s->adapter->detach(&s->pin);
		else
			munlock(s->base, s->len);
	}
	s->pinned = false;
	if (s->base)
		munmap(s->base, s->len);
	s->base = NULL;
}
