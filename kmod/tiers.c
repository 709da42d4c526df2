// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier tiers: classify every memory node and order the nodes into
 * tiers, fastest first.
 *
 * Kind.  A node with CPUs is DRAM; a CPU-less node is far memory of
 * unknown type.  Root (or cxltierd, which learns from libcxl which nodes
 * a CXL memdev backs) may write a node's kind in sysfs: CXL, HBM, PMEM,
 * DRAM or far; that kind wins until "auto" is written.
 *
 * Abstract distance.  Nodes are placed on the kernel's own scale (see
 * mm/memory-tiers.c: default DRAM is 576, one tier spans 128); the
 * arithmetic is in <cxltier/tiers.h>, which the host unit tests run on
 * the examples below (tests/unit/test_tiers.c):
 *
 *  1. HMAT figures, when the node has them and at least one node with
 *     CPUs has them too (the reference), as mt_perf_to_adistance() does:
 *
 *        adist = 576 * (rlat + wlat) / (ref_rlat + ref_wlat)
 *                    * (ref_rbw + ref_wbw) / (rbw + wbw)
 *
 *  2. else the kernel's memory tier of the node: tier M spans
 *     [M * 128, M * 128 + 127], so the node gets the middle, M * 128 + 64
 *     (memory_tier4 gives 576, memory_tier22 gives 2880, exactly the
 *     kernel's DRAM and kmem defaults);
 *  3. else a default by kind: 448 for HBM, 576 for DRAM or unknown,
 *     2880 for far, CXL and PMEM (kmem's default).
 *
 * Tiers.  One tier per performance class: nodes whose abstract distances
 * fall in the same 128-wide chunk, as the kernel groups them, and that
 * have the same kind.  Tiers are ordered by chunk, then by kind (HBM,
 * DRAM, unknown, CXL, far, PMEM), and numbered from 0.
 *
 * Example 1: DRAM node 0 (100 ns, 100 GB/s) and far node 1 (250 ns,
 * 25 GB/s), both with HMAT.  Node 0 is the reference:
 *
 *   node  adist                          chunk  kind  tier
 *   0     576                            4      dram  0
 *   1     576 * 500/200 * 200/50 = 5760  45     far   1
 *
 *   The kernel agrees on 6.12 (memory_tier4, memory_tier45); 6.1 puts
 *   node 1 in memory_tier4 with node 0.  cxltier shows both.
 *
 * Example 2: no HMAT at all; node 0 has CPUs, node 1 is kmem memory in
 * memory_tier22, node 2 is CPU-less boot memory in memory_tier4:
 *
 *   node  adist               chunk  kind  tier
 *   0     4 * 128 + 64 = 576  4      dram  0
 *   2     576                 4      far   1   (same chunk, other kind)
 *   1     22 * 128 + 64       22     far   2
 *
 * Example 3: as example 1 plus node 2 (400 ns, 25 GB/s) and node 3 with
 * the same figures, which root marked "cxl":
 *
 *   node  adist  chunk  kind  tier
 *   0     576    4      dram  0
 *   1     5760   45     far   1
 *   3     9216   72     cxl   2   (cxl sorts before far in one chunk)
 *   2     9216   72     far   3
 *
 *   Had node 3 been left "far", nodes 2 and 3 would share tier 2.
 *
 * The table is rebuilt when memory comes online or goes offline (memory
 * notifier -> work item), when root writes a kind, and when retier
 * changes the kernel's tiers; readers see whole tables only (RCU).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/memory.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/mm.h>
#include <linux/workqueue.h>

#include "tiers.h"

/* Serialises writers of the table, the facts and the sysfs layout. */
DEFINE_MUTEX(cxltier_tiers_lock);
/* The published table (RCU); replaced whole by __cxltier_tiers_rebuild(). */
struct cxltier_table __rcu *cxltier_table;
/* Raw facts per node id; under cxltier_tiers_lock. */
struct cxltier_node_facts *cxltier_facts;

static void cxltier_refresh_workfn(struct work_struct *work);
/* Re-reads every node's facts and rebuilds the table. */
static DECLARE_WORK(cxltier_refresh_work, cxltier_refresh_workfn);

static const char *const cxltier_kind_names[] = {
	[CXLTIER_KIND_UNKNOWN]	= "unknown",
	[CXLTIER_KIND_DRAM]	= "dram",
	[CXLTIER_KIND_FAR]	= "far",
	[CXLTIER_KIND_CXL]	= "cxl",
	[CXLTIER_KIND_HBM]	= "hbm",
	[CXLTIER_KIND_PMEM]	= "pmem",
};

/**
 * cxltier_kind_name() - sysfs keyword of a kind
 * @kind: CXLTIER_KIND_*
 *
 * Return: the keyword, "unknown" for an out-of-range value.
 */
const char *cxltier_kind_name(u32 kind)
{
	if (kind > CXLTIER_KIND_MAX)
		kind = CXLTIER_KIND_UNKNOWN;
	return cxltier_kind_names[kind];
}

/**
 * cxltier_kind_parse() - parse a kind written to sysfs
 * @buf: "dram", "far", "cxl", "hbm", "pmem" or "auto", one trailing
 *	newline allowed
 * @kind: out: CXLTIER_KIND_*; CXLTIER_KIND_UNKNOWN for "auto"
 *
 * Return: 0, or -EINVAL for anything else ("unknown" included: it is what
 * the module reports, not a kind to set).
 */
int cxltier_kind_parse(const char *buf, u32 *kind)
{
	u32 k;

	if (sysfs_streq(buf, "auto")) {
		*kind = CXLTIER_KIND_UNKNOWN;
		return 0;
	}
	for (k = CXLTIER_KIND_UNKNOWN + 1; k <= CXLTIER_KIND_MAX; k++) {
		if (sysfs_streq(buf, cxltier_kind_names[k])) {
			*kind = k;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * cxltier_table_node() - find a node in a table
 * @t: the table (under rcu_read_lock() or cxltier_tiers_lock)
 * @nid: node id
 *
 * Return: the node, or NULL when @nid is not a memory node in @t.
 */
const struct cxltier_node *cxltier_table_node(const struct cxltier_table *t,
					      int nid)
{
	unsigned int i;

	for (i = 0; i < t->nr_nodes; i++)
		if (t->nodes[i].nid == nid)
			return &t->nodes[i];
	return NULL;
}

/**
 * cxltier_node_mem() - present, free and movable memory of a node now
 * @nid: node id
 * @mem: out
 *
 * Reads the zones of the node without locks: each value is a snapshot,
 * as in /sys/devices/system/node/nodeN/meminfo.
 */
void cxltier_node_mem(int nid, struct cxltier_node_mem *mem)
{
	unsigned long managed = 0, free = 0, movable = 0;
	pg_data_t *pgdat;
	int z;

	memset(mem, 0, sizeof(*mem));
	if (nid < 0 || nid >= nr_node_ids || !node_online(nid))
		return;
	pgdat = NODE_DATA(nid);
	if (!pgdat)
		return;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];
		/* Managed, not present: what MemTotal and numactl count. */
		unsigned long p = zone_managed_pages(zone);

		managed += p;
		if (z == ZONE_MOVABLE)
			movable += p;
		free += zone_page_state(zone, NR_FREE_PAGES);
	}
	mem->capacity_kb = (u64)managed << (PAGE_SHIFT - 10);
	mem->free_kb = (u64)free << (PAGE_SHIFT - 10);
	mem->movable_kb = (u64)movable << (PAGE_SHIFT - 10);
}

/* Reference figures: the mean over nodes with CPUs that have HMAT. */
struct cxltier_perf_ref {
	u64 lat;	/* read + write latency */
	u64 bw;		/* read + write bandwidth */
};

static bool __cxltier_perf_ref(struct cxltier_perf_ref *ref)
{
	u64 lat = 0, bw = 0;
	unsigned int n = 0;
	int nid;

	for_each_node(nid) {
		const struct cxltier_node_facts *f = &cxltier_facts[nid];

		if (!f->memory || !f->has_cpus || !f->hmat)
			continue;
		lat += (u64)f->read_latency_ns + f->write_latency_ns;
		bw += (u64)f->read_bandwidth_MBps + f->write_bandwidth_MBps;
		n++;
	}
	if (!n || !lat || !bw)
		return false;
	ref->lat = div_u64(lat, n) ?: 1;
	ref->bw = div_u64(bw, n) ?: 1;
	return true;
}

/* Abstract distance of a node (see the comment at the top). */
static u32 cxltier_adistance(const struct cxltier_node_facts *f, u32 kind,
			     const struct cxltier_perf_ref *ref)
{
	if (f->hmat && ref)
		return cxltier_adist_hmat((u64)f->read_latency_ns + f->write_latency_ns,
					  (u64)f->read_bandwidth_MBps +
					  f->write_bandwidth_MBps,
					  ref->lat, ref->bw);
	if (f->memory_tier >= 0)
		return cxltier_adist_memtier(f->memory_tier);
	return cxltier_adist_default(kind);
}

/* Fold a node's figures into its tier's worst-case figures. */
static void cxltier_tier_add(struct cxltier_tier *tier,
			     const struct cxltier_node *node, bool first)
{
	node_set(node->nid, tier->nodes);
	if (first)
		tier->kind = node->kind;
	if (!(node->flags & CXLTIER_NODE_HMAT))
		return;
	tier->read_latency_ns = max(tier->read_latency_ns, node->read_latency_ns);
	tier->write_latency_ns = max(tier->write_latency_ns, node->write_latency_ns);
	if (!tier->read_bandwidth_MBps ||
	    node->read_bandwidth_MBps < tier->read_bandwidth_MBps)
		tier->read_bandwidth_MBps = node->read_bandwidth_MBps;
	if (!tier->write_bandwidth_MBps ||
	    node->write_bandwidth_MBps < tier->write_bandwidth_MBps)
		tier->write_bandwidth_MBps = node->write_bandwidth_MBps;
}

static struct cxltier_table *cxltier_table_alloc(unsigned int nr_nodes)
{
	size_t off = ALIGN(struct_size_t(struct cxltier_table, nodes, nr_nodes),
			   __alignof__(struct cxltier_tier));
	struct cxltier_table *t;

	t = kzalloc(off + nr_nodes * sizeof(struct cxltier_tier), GFP_KERNEL);
	if (t)
		t->tiers = (struct cxltier_tier *)((char *)t + off);
	return t;
}

/* Give each node its kind, flags, figures and abstract distance. */
static void __cxltier_classify(struct cxltier_table *t)
{
	struct cxltier_perf_ref ref;
	bool have_ref = __cxltier_perf_ref(&ref);
	unsigned int n = 0;
	int nid;

	for_each_node(nid) {
		const struct cxltier_node_facts *f = &cxltier_facts[nid];
		struct cxltier_node *node;

		if (!f->memory)
			continue;
		node = &t->nodes[n++];
		node->nid = nid;
		node->memory_tier = f->memory_tier;
		if (f->admin_kind != CXLTIER_KIND_UNKNOWN) {
			node->kind = f->admin_kind;
			node->flags |= CXLTIER_NODE_KIND_SET;
		} else {
			node->kind = f->has_cpus ? CXLTIER_KIND_DRAM :
						   CXLTIER_KIND_FAR;
		}
		if (f->has_cpus)
			node->flags |= CXLTIER_NODE_HAS_CPUS;
		if (f->hmat) {
			node->flags |= CXLTIER_NODE_HMAT;
			node->read_latency_ns = f->read_latency_ns;
			node->write_latency_ns = f->write_latency_ns;
			node->read_bandwidth_MBps = f->read_bandwidth_MBps;
			node->write_bandwidth_MBps = f->write_bandwidth_MBps;
		}
		node->adistance = cxltier_adistance(f, node->kind,
						    have_ref ? &ref : NULL);
	}
	t->nr_nodes = n;
}

/* Sort the nodes by class (cxltier_order()) and fill in the tiers. */
static int __cxltier_order(struct cxltier_table *t)
{
	unsigned int n = max(t->nr_nodes, 1U), i, *order, *tier;
	struct cxltier_order_key *keys;
	int prev_tier = -1;

	keys = kcalloc(n, sizeof(*keys) + 2 * sizeof(*order), GFP_KERNEL);
	if (!keys)
		return -ENOMEM;
	order = (unsigned int *)(keys + n);
	tier = order + n;
	for (i = 0; i < t->nr_nodes; i++) {
		keys[i].adistance = t->nodes[i].adistance;
		keys[i].kind = t->nodes[i].kind;
		keys[i].nid = t->nodes[i].nid;
	}
	t->nr_tiers = cxltier_order(keys, t->nr_nodes, order, tier);
	for (i = 0; i < t->nr_nodes; i++) {
		struct cxltier_node *node = &t->nodes[order[i]];

		node->tier = tier[order[i]];
		cxltier_tier_add(&t->tiers[node->tier], node,
				 (int)node->tier != prev_tier);
		prev_tier = node->tier;
	}
	kfree(keys);
	return 0;
}

/**
 * __cxltier_tiers_rebuild() - rebuild and publish the table from the facts
 *
 * Classifies, orders, lets retier act on the result, publishes the table
 * and brings the sysfs directories in line.  Called under
 * cxltier_tiers_lock.
 *
 * Return: 0, or -ENOMEM (the old table stays published).
 */
int __cxltier_tiers_rebuild(void)
{
	struct cxltier_table *t, *old;
	unsigned int n = 0;
	int nid, ret;

	lockdep_assert_held(&cxltier_tiers_lock);

	for_each_node(nid)
		n += cxltier_facts[nid].memory;
	t = cxltier_table_alloc(n);
	if (!t)
		return -ENOMEM;
	__cxltier_classify(t);
	ret = __cxltier_order(t);
	if (ret) {
		kfree(t);
		return ret;
	}
	__cxltier_retier_update(t);

	old = rcu_replace_pointer(cxltier_table, t,
				  lockdep_is_held(&cxltier_tiers_lock));
	if (old)
		kfree_rcu(old, rcu);
	__cxltier_tiers_sysfs_sync(t);
	return 0;
}

static void cxltier_refresh_workfn(struct work_struct *work)
{
	int nid;

	mutex_lock(&cxltier_tiers_lock);
	for_each_node(nid)
		cxltier_probe_node(nid, &cxltier_facts[nid]);
	cxltier_probe_memory_tiers();
	if (__cxltier_tiers_rebuild())
		pr_info("cannot rebuild the tier table: out of memory\n");
	mutex_unlock(&cxltier_tiers_lock);
}

/**
 * cxltier_tiers_refresh_async() - re-read every node and rebuild, soon
 *
 * Queues the refresh work; safe from any sleeping context, including with
 * cxltier_tiers_lock held.
 */
void cxltier_tiers_refresh_async(void)
{
	schedule_work(&cxltier_refresh_work);
}

/*
 * Memory hotplug: called with the hotplug lock held, after the kernel's
 * own memory-tier callback (priority 100) has placed or removed the node.
 * Reading sysfs here would tie the module to the hotplug locks, so the
 * rebuild runs from the work item, right after the operation.
 */
static int cxltier_memory_callback(struct notifier_block *nb,
				   unsigned long action, void *arg)
{
	switch (action) {
	case MEM_ONLINE:
	case MEM_OFFLINE:
	case MEM_CANCEL_ONLINE:
	case MEM_CANCEL_OFFLINE:
		cxltier_tiers_refresh_async();
		break;
	}
	return NOTIFY_OK;
}

/* Rebuilds the table when memory comes online or goes offline. */
static struct notifier_block cxltier_memory_nb = {
	.notifier_call = cxltier_memory_callback,
};

/**
 * cxltier_ioc_get_nodes() - CXLTIER_IOC_GET_NODES
 * @cf: the open file (unused: the table is global)
 * @karg: struct cxltier_get_nodes, copied in
 *
 * Count-then-fill: writes min(nr_nodes, available) entries of entry_size
 * bytes (the bytes past struct cxltier_node_info are zeroed), and returns
 * the available count in nr_nodes and the tier count in nr_tiers.
 *
 * Return: 0; -EINVAL for flags, reserved fields, or an entry_size smaller
 * than struct cxltier_node_info or larger than a page when entries are
 * asked for; -EFAULT when the array cannot be written; -ENOMEM.
 */
long cxltier_ioc_get_nodes(struct cxltier_file *cf, void *karg)
{
	struct cxltier_get_nodes *gn = karg;
	struct cxltier_node_info *info;
	const struct cxltier_table *t;
	u8 __user *dst = u64_to_user_ptr(gn->nodes);
	u32 room = gn->nr_nodes, n, nr_tiers, i;
	long ret = 0;

	if (gn->flags || gn->reserved0 ||
	    !cxltier_reserved_zero(gn->reserved, sizeof(gn->reserved)))
		return -EINVAL;
	if (room && (gn->entry_size < sizeof(*info) ||
		     gn->entry_size > PAGE_SIZE))
		return -EINVAL;

	info = kcalloc(nr_node_ids, sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;

	rcu_read_lock();
	t = rcu_dereference(cxltier_table);
	n = min_t(u32, t->nr_nodes, nr_node_ids);
	nr_tiers = t->nr_tiers;
	for (i = 0; i < n; i++) {
		const struct cxltier_node *node = &t->nodes[i];
		struct cxltier_node_mem mem;
		struct cxltier_node_info *e = &info[i];

		cxltier_node_mem(node->nid, &mem);
		e->node = node->nid;
		e->tier = node->tier;
		e->kind = node->kind;
		e->flags = node->flags;
		if (mem.movable_kb)
			e->flags |= CXLTIER_NODE_MOVABLE;
		if (mem.movable_kb && mem.movable_kb == mem.capacity_kb)
			e->flags |= CXLTIER_NODE_ALL_MOVABLE;
		e->read_latency_ns = node->read_latency_ns;
		e->write_latency_ns = node->write_latency_ns;
		e->read_bandwidth_MBps = node->read_bandwidth_MBps;
		e->write_bandwidth_MBps = node->write_bandwidth_MBps;
		e->capacity_kB = mem.capacity_kb;
		e->free_kB = mem.free_kb;
		e->movable_kB = mem.movable_kb;
		e->memory_tier = node->memory_tier;
		e->adistance = node->adistance;
	}
	rcu_read_unlock();

	for (i = 0; i < min(room, n); i++, dst += gn->entry_size) {
		if (copy_to_user(dst, &info[i], sizeof(*info)) ||
		    clear_user(dst + sizeof(*info),
			       gn->entry_size - sizeof(*info))) {
			ret = -EFAULT;
			goto out_free;
		}
	}
	gn->nr_nodes = n;
	gn->nr_tiers = nr_tiers;
out_free:
	kfree(info);
	return ret;
}

/**
 * cxltier_tiers_init() - build the first table, sysfs, hotplug, retier
 *
 * Return: 0 or a negative errno.
 */
int cxltier_tiers_init(void)
{
	struct cxltier_table *empty;
	int ret;

	cxltier_facts = kcalloc(nr_node_ids, sizeof(*cxltier_facts),
				GFP_KERNEL);
	if (!cxltier_facts)
		return -ENOMEM;
	empty = cxltier_table_alloc(0);
	if (!empty) {
		ret = -ENOMEM;
		goto err_facts;
	}
	RCU_INIT_POINTER(cxltier_table, empty);

	ret = cxltier_tiers_sysfs_init();
	if (ret)
		goto err_table;
	ret = cxltier_retier_init();
	if (ret)
		goto err_sysfs;
	ret = register_memory_notifier(&cxltier_memory_nb);
	if (ret)
		goto err_retier;

	/* The first table, read the same way as every later one. */
	cxltier_tiers_refresh_async();
	flush_work(&cxltier_refresh_work);
	return 0;

err_retier:
	cxltier_retier_exit();
err_sysfs:
	cxltier_tiers_sysfs_exit();
	cancel_work_sync(&cxltier_refresh_work);
err_table:
	kfree(rcu_dereference_protected(cxltier_table, true));
	RCU_INIT_POINTER(cxltier_table, NULL);
err_facts:
	kfree(cxltier_facts);
	cxltier_facts = NULL;
	return ret;
}

/**
 * cxltier_tiers_exit() - undo cxltier_tiers_init()
 *
 * Order matters: once the notifier and the sysfs files are gone nothing
 * can queue the refresh work, and a refresh still running finds no sysfs
 * parent to populate and retier off.
 */
void cxltier_tiers_exit(void)
{
	unregister_memory_notifier(&cxltier_memory_nb);
	cxltier_retier_exit();
	cxltier_tiers_sysfs_exit();
	cancel_work_sync(&cxltier_refresh_work);
	/* No reader is left: sysfs is gone and /dev/cxltier is closed. */
	kfree(rcu_dereference_protected(cxltier_table, true));
	RCU_INIT_POINTER(cxltier_table, NULL);
	kfree(cxltier_facts);
	cxltier_facts = NULL;
}
