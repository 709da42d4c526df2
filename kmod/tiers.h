/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxltier tiers: what the files of the tier subsystem share.
 *
 *   tiers_probe.c   reads what the kernel publishes about a node (HMAT
 *                   access figures, memory_tiering membership)
 *   tiers.c         classifies nodes, orders them into tiers, publishes
 *                   the table (RCU), memory hotplug, GET_NODES
 *   tiers_sysfs.c   /sys/kernel/cxltier/{tiers,nodes}/
 *   retier.c        registration with the kernel's memory-tier framework
 *
 * Writers (refresh, a kind written by root, retier) serialise on
 * cxltier_tiers_lock and publish a new struct cxltier_table; readers
 * (sysfs show, the ioctl) only take rcu_read_lock().  Nothing that removes
 * a sysfs directory runs with a lock that a show() needs.
 */
#ifndef _CXLTIER_TIERS_H
#define _CXLTIER_TIERS_H

#include <linux/memory-tiers.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

#include <cxltier/tiers.h>

#include "internal.h"

/* The ordering arithmetic (cxltier/tiers.h) is on the kernel's scale. */
static_assert(CXLTIER_ADIST_DRAM == MEMTIER_ADISTANCE_DRAM);
static_assert(CXLTIER_CHUNK_BITS == MEMTIER_CHUNK_BITS);
static_assert(CXLTIER_CHUNK_SIZE == MEMTIER_CHUNK_SIZE);
static_assert(CXLTIER_ADIST_MAX == INT_MAX);

/**
 * struct cxltier_node_facts - what is known about one node, raw
 * @memory: the node has online memory (N_MEMORY) at the last probe
 * @has_cpus: the node has CPUs (N_CPU)
 * @hmat: the four access figures below come from the kernel's HMAT
 *	attributes (access0, nearest initiator)
 * @read_latency_ns: HMAT read latency
 * @write_latency_ns: HMAT write latency
 * @read_bandwidth_MBps: HMAT read bandwidth
 * @write_bandwidth_MBps: HMAT write bandwidth
 * @memory_tier: id of the kernel's memory_tierN holding the node, or -1
 * @admin_kind: CXLTIER_KIND_* written through sysfs, or
 *	CXLTIER_KIND_UNKNOWN when the kind is derived
 *
 * One per possible node id, kept across hotplug so that a kind written by
 * root survives the node going offline and back.  Under cxltier_tiers_lock.
 */
struct cxltier_node_facts {
	bool memory;
	bool has_cpus;
	bool hmat;
	u32 read_latency_ns;
	u32 write_latency_ns;
	u32 read_bandwidth_MBps;
	u32 write_bandwidth_MBps;
	int memory_tier;
	u32 admin_kind;
};

/**
 * struct cxltier_node - one memory node in the published table
 * @nid: NUMA node id
 * @tier: cxltier tier, 0 = fastest
 * @kind: CXLTIER_KIND_*
 * @flags: CXLTIER_NODE_* that do not change with memory use (HAS_CPUS,
 *	HMAT, KIND_SET, RETIERED); MOVABLE bits are computed when read
 * @read_latency_ns: HMAT read latency or 0
 * @write_latency_ns: HMAT write latency or 0
 * @read_bandwidth_MBps: HMAT read bandwidth or 0
 * @write_bandwidth_MBps: HMAT write bandwidth or 0
 * @memory_tier: the kernel's memory tier id or -1
 * @adistance: abstract distance the node was ordered by
 */
struct cxltier_node {
	int nid;
	u32 tier;
	u32 kind;
	u32 flags;
	u32 read_latency_ns;
	u32 write_latency_ns;
	u32 read_bandwidth_MBps;
	u32 write_bandwidth_MBps;
	int memory_tier;
	u32 adistance;
};

/**
 * struct cxltier_tier - one cxltier tier: nodes of one performance class
 * @nodes: its nodes
 * @kind: CXLTIER_KIND_* shared by all its nodes
 * @read_latency_ns: highest read latency of its nodes with HMAT figures, 0
 *	when none has any
 * @write_latency_ns: highest write latency, likewise
 * @read_bandwidth_MBps: lowest read bandwidth, likewise
 * @write_bandwidth_MBps: lowest write bandwidth, likewise
 */
struct cxltier_tier {
	nodemask_t nodes;
	u32 kind;
	u32 read_latency_ns;
	u32 write_latency_ns;
	u32 read_bandwidth_MBps;
	u32 write_bandwidth_MBps;
};

/**
 * struct cxltier_table - the node and tier table, replaced as a whole
 * @rcu: frees the old table after readers are done
 * @nr_nodes: memory nodes in @nodes
 * @nr_tiers: tiers in @tiers
 * @tiers: @nr_tiers tiers, fastest first (points after @nodes)
 * @nodes: @nr_nodes nodes, by ascending node id
 */
struct cxltier_table {
	struct rcu_head rcu;
	unsigned int nr_nodes;
	unsigned int nr_tiers;
	struct cxltier_tier *tiers;
	struct cxltier_node nodes[];
};

/**
 * struct cxltier_node_mem - memory of a node right now
 * @capacity_kb: memory the kernel manages (the node's MemTotal), KiB
 * @free_kb: free memory, KiB
 * @movable_kb: present memory in ZONE_MOVABLE, KiB
 */
struct cxltier_node_mem {
	u64 capacity_kb;
	u64 free_kb;
	u64 movable_kb;
};

/* Serialises every writer of the table, the facts and the sysfs layout. */
extern struct mutex cxltier_tiers_lock;
/* The published table; never NULL between init and exit. */
extern struct cxltier_table __rcu *cxltier_table;
/* nr_node_ids entries; under cxltier_tiers_lock. */
extern struct cxltier_node_facts *cxltier_facts;

/* tiers.c */
const char *cxltier_kind_name(u32 kind);
int cxltier_kind_parse(const char *buf, u32 *kind);
const struct cxltier_node *cxltier_table_node(const struct cxltier_table *t,
					      int nid);
void cxltier_node_mem(int nid, struct cxltier_node_mem *mem);
int __cxltier_tiers_rebuild(void);
void cxltier_tiers_refresh_async(void);

/* tiers_probe.c */
void cxltier_probe_node(int nid, struct cxltier_node_facts *f);
void cxltier_probe_memory_tiers(void);

/* tiers_sysfs.c */
int cxltier_tiers_sysfs_init(void);
void cxltier_tiers_sysfs_exit(void);
void __cxltier_tiers_sysfs_sync(const struct cxltier_table *t);

/* retier.c */
int cxltier_retier_init(void);
void cxltier_retier_exit(void);
void __cxltier_retier_update(struct cxltier_table *t);

#endif /* _CXLTIER_TIERS_H */
