// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/cxltier/tiers/tierN/ and /sys/kernel/cxltier/nodes/nodeN/,
 * one struct per directory as DAMON's sysfs does:
 *
 *   cxltier/
 *   |-- tiers/
 *   |   `-- tier<N>/  nodelist kind read_latency_ns write_latency_ns
 *   |                 read_bandwidth_MBps write_bandwidth_MBps
 *   |                 capacity_kB free_kB
 *   `-- nodes/
 *       `-- node<N>/  tier kind(rw) movable capacity_kB free_kB memory_tier
 *                     offlining_kB
 *
 * A directory only names its tier index or node id; every show() looks
 * the value up in the published table under rcu_read_lock() and returns
 * -ENODEV when the tier or node is gone.  Directories are added and
 * removed by __cxltier_tiers_sysfs_sync() under cxltier_tiers_lock; the
 * one store (kind) takes that lock with mutex_trylock() and restarts the
 * syscall when it is busy, so removing a directory never waits on a
 * store that waits on the lock.  Documented in
 * Documentation/ABI/testing/sysfs-kernel-cxltier.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/kobject.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "tiers.h"

/**
 * struct cxltier_tier_kobj - /sys/kernel/cxltier/tiers/tierN
 * @kobj: the directory
 * @tier: N
 */
struct cxltier_tier_kobj {
	struct kobject kobj;
	unsigned int tier;
};

/**
 * struct cxltier_node_kobj - /sys/kernel/cxltier/nodes/nodeN
 * @kobj: the directory
 * @nid: N
 */
struct cxltier_node_kobj {
	struct kobject kobj;
	int nid;
};

/* tiers/ and nodes/; NULL once cxltier_tiers_sysfs_exit() started. */
static struct kobject *cxltier_tiers_dir, *cxltier_nodes_dir;
/* nr_node_ids entries each: tierN and nodeN directories, or NULL. */
static struct cxltier_tier_kobj **cxltier_tier_kobjs;
static struct cxltier_node_kobj **cxltier_node_kobjs;

static struct cxltier_tier_kobj *to_tier_kobj(struct kobject *kobj)
{
	return container_of(kobj, struct cxltier_tier_kobj, kobj);
}

static struct cxltier_node_kobj *to_node_kobj(struct kobject *kobj)
{
	return container_of(kobj, struct cxltier_node_kobj, kobj);
}

/* Memory of the nodes of a tier, summed. */
static void cxltier_tier_mem(const struct cxltier_tier *tier,
			     struct cxltier_node_mem *sum)
{
	struct cxltier_node_mem mem;
	int nid;

	memset(sum, 0, sizeof(*sum));
	for_each_node_mask(nid, tier->nodes) {
		cxltier_node_mem(nid, &mem);
		sum->capacity_kb += mem.capacity_kb;
		sum->free_kb += mem.free_kb;
		sum->movable_kb += mem.movable_kb;
	}
}

/* --- tiers/tierN ----------------------------------------------------- */

enum cxltier_tier_field {
	CXLTIER_TIER_NODELIST,
	CXLTIER_TIER_KIND,
	CXLTIER_TIER_READ_LAT,
	CXLTIER_TIER_WRITE_LAT,
	CXLTIER_TIER_READ_BW,
	CXLTIER_TIER_WRITE_BW,
	CXLTIER_TIER_CAPACITY,
	CXLTIER_TIER_FREE,
};

static ssize_t cxltier_tier_show(struct kobject *kobj, char *buf,
				 enum cxltier_tier_field field)
{
	unsigned int idx = to_tier_kobj(kobj)->tier;
	const struct cxltier_table *t;
	const struct cxltier_tier *tier;
	struct cxltier_node_mem mem;
	ssize_t ret;

	rcu_read_lock();
	t = rcu_dereference(cxltier_table);
	if (idx >= t->nr_tiers) {
		ret = -ENODEV;
		goto out_unlock;
	}
	tier = &t->tiers[idx];
	switch (field) {
	case CXLTIER_TIER_NODELIST:
		ret = sysfs_emit(buf, "%*pbl\n", nodemask_pr_args(&tier->nodes));
		break;
	case CXLTIER_TIER_KIND:
		ret = sysfs_emit(buf, "%s\n", cxltier_kind_name(tier->kind));
		break;
	case CXLTIER_TIER_READ_LAT:
		ret = sysfs_emit(buf, "%u\n", tier->read_latency_ns);
		break;
	case CXLTIER_TIER_WRITE_LAT:
		ret = sysfs_emit(buf, "%u\n", tier->write_latency_ns);
		break;
	case CXLTIER_TIER_READ_BW:
		ret = sysfs_emit(buf, "%u\n", tier->read_bandwidth_MBps);
		break;
	case CXLTIER_TIER_WRITE_BW:
		ret = sysfs_emit(buf, "%u\n", tier->write_bandwidth_MBps);
		break;
	case CXLTIER_TIER_CAPACITY:
		cxltier_tier_mem(tier, &mem);
		ret = sysfs_emit(buf, "%llu\n", mem.capacity_kb);
		break;
	case CXLTIER_TIER_FREE:
		cxltier_tier_mem(tier, &mem);
		ret = sysfs_emit(buf, "%llu\n", mem.free_kb);
		break;
	default:
		ret = -EINVAL;
	}
out_unlock:
	rcu_read_unlock();
	return ret;
}

/* A read-only tier file; _file is its name (units keep their case). */
#define CXLTIER_TIER_ATTR(_id, _file, _field)				\
static ssize_t tier_##_id##_show(struct kobject *kobj,			\
				 struct kobj_attribute *attr, char *buf) \
{									\
	return cxltier_tier_show(kobj, buf, _field);			\
}									\
static struct kobj_attribute tier_##_id##_attr = {			\
	.attr = { .name = _file, .mode = 0444 },			\
	.show = tier_##_id##_show,					\
}

CXLTIER_TIER_ATTR(nodelist, "nodelist", CXLTIER_TIER_NODELIST);
CXLTIER_TIER_ATTR(kind, "kind", CXLTIER_TIER_KIND);
CXLTIER_TIER_ATTR(rlat, "read_latency_ns", CXLTIER_TIER_READ_LAT);
CXLTIER_TIER_ATTR(wlat, "write_latency_ns", CXLTIER_TIER_WRITE_LAT);
CXLTIER_TIER_ATTR(rbw, "read_bandwidth_MBps", CXLTIER_TIER_READ_BW);
CXLTIER_TIER_ATTR(wbw, "write_bandwidth_MBps", CXLTIER_TIER_WRITE_BW);
CXLTIER_TIER_ATTR(capacity, "capacity_kB", CXLTIER_TIER_CAPACITY);
CXLTIER_TIER_ATTR(free, "free_kB", CXLTIER_TIER_FREE);

static struct attribute *cxltier_tier_attrs[] = {
	&tier_nodelist_attr.attr,
	&tier_kind_attr.attr,
	&tier_rlat_attr.attr,
	&tier_wlat_attr.attr,
	&tier_rbw_attr.attr,
	&tier_wbw_attr.attr,
	&tier_capacity_attr.attr,
	&tier_free_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(cxltier_tier);

static void cxltier_tier_kobj_release(struct kobject *kobj)
{
	kfree(to_tier_kobj(kobj));
}

static const struct kobj_type cxltier_tier_ktype = {
	.release	= cxltier_tier_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= cxltier_tier_groups,
};

/* --- nodes/nodeN ----------------------------------------------------- */

enum cxltier_node_field {
	CXLTIER_NODE_TIER,
	CXLTIER_NODE_KIND,
	CXLTIER_NODE_MOVABLE_STATE,
	CXLTIER_NODE_CAPACITY,
	CXLTIER_NODE_FREE,
	CXLTIER_NODE_MEMORY_TIER,
	CXLTIER_NODE_OFFLINING,
};

static ssize_t cxltier_node_show(struct kobject *kobj, char *buf,
				 enum cxltier_node_field field)
{
	int nid = to_node_kobj(kobj)->nid;
	const struct cxltier_table *t;
	const struct cxltier_node *node;
	struct cxltier_node_mem mem;
	ssize_t ret;

	rcu_read_lock();
	t = rcu_dereference(cxltier_table);
	node = cxltier_table_node(t, nid);
	if (!node) {
		ret = -ENODEV;
		goto out_unlock;
	}
	switch (field) {
	case CXLTIER_NODE_TIER:
		ret = sysfs_emit(buf, "%u\n", node->tier);
		break;
	case CXLTIER_NODE_KIND:
		ret = sysfs_emit(buf, "%s\n", cxltier_kind_name(node->kind));
		break;
	case CXLTIER_NODE_MOVABLE_STATE:
		cxltier_node_mem(nid, &mem);
		ret = sysfs_emit(buf, "%s\n", !mem.movable_kb ? "none" :
				 mem.movable_kb == mem.capacity_kb ? "all" :
				 "some");
		break;
	case CXLTIER_NODE_CAPACITY:
		cxltier_node_mem(nid, &mem);
		ret = sysfs_emit(buf, "%llu\n", mem.capacity_kb);
		break;
	case CXLTIER_NODE_FREE:
		cxltier_node_mem(nid, &mem);
		ret = sysfs_emit(buf, "%llu\n", mem.free_kb);
		break;
	case CXLTIER_NODE_MEMORY_TIER:
		ret = sysfs_emit(buf, "%d\n", node->memory_tier);
		break;
	case CXLTIER_NODE_OFFLINING:
		ret = sysfs_emit(buf, "%llu\n",
				 cxltier_hotplug_offlining_kb(nid));
		break;
	default:
		ret = -EINVAL;
	}
out_unlock:
	rcu_read_unlock();
	return ret;
}

#define CXLTIER_NODE_ATTR_SHOW(_name, _field)				\
static ssize_t node_##_name##_show(struct kobject *kobj,		\
				   struct kobj_attribute *attr,		\
				   char *buf)				\
{									\
	return cxltier_node_show(kobj, buf, _field);			\
}

CXLTIER_NODE_ATTR_SHOW(tier, CXLTIER_NODE_TIER)
CXLTIER_NODE_ATTR_SHOW(kind, CXLTIER_NODE_KIND)
CXLTIER_NODE_ATTR_SHOW(movable, CXLTIER_NODE_MOVABLE_STATE)
CXLTIER_NODE_ATTR_SHOW(capacity, CXLTIER_NODE_CAPACITY)
CXLTIER_NODE_ATTR_SHOW(free, CXLTIER_NODE_FREE)
CXLTIER_NODE_ATTR_SHOW(memory_tier, CXLTIER_NODE_MEMORY_TIER)
CXLTIER_NODE_ATTR_SHOW(offlining, CXLTIER_NODE_OFFLINING)

/* Root writes a kind: "dram", "far", "cxl", "hbm", "pmem" or "auto". */
static ssize_t node_kind_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	int nid = to_node_kobj(kobj)->nid;
	u32 kind;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = cxltier_kind_parse(buf, &kind);
	if (ret)
		return ret;

	/* See the top of this file: never sleep on the lock here. */
	if (!mutex_trylock(&cxltier_tiers_lock)) {
		usleep_range(5000, 10000);
		return restart_syscall();
	}
	if (!cxltier_nodes_dir) {
		ret = -ENODEV;
		goto out_unlock;
	}
	cxltier_facts[nid].admin_kind = kind;
	ret = __cxltier_tiers_rebuild();
out_unlock:
	mutex_unlock(&cxltier_tiers_lock);
	return ret ?: count;
}

static struct kobj_attribute node_tier_attr =
	__ATTR(tier, 0444, node_tier_show, NULL);
static struct kobj_attribute node_kind_attr =
	__ATTR(kind, 0644, node_kind_show, node_kind_store);
static struct kobj_attribute node_movable_attr =
	__ATTR(movable, 0444, node_movable_show, NULL);

static struct kobj_attribute node_capacity_attr = {
	.attr = { .name = "capacity_kB", .mode = 0444 },
	.show = node_capacity_show,
};

static struct kobj_attribute node_free_attr = {
	.attr = { .name = "free_kB", .mode = 0444 },
	.show = node_free_show,
};

static struct kobj_attribute node_memory_tier_attr =
	__ATTR(memory_tier, 0444, node_memory_tier_show, NULL);

static struct kobj_attribute node_offlining_attr = {
	.attr = { .name = "offlining_kB", .mode = 0444 },
	.show = node_offlining_show,
};

static struct attribute *cxltier_node_attrs[] = {
	&node_tier_attr.attr,
	&node_kind_attr.attr,
	&node_movable_attr.attr,
	&node_capacity_attr.attr,
	&node_free_attr.attr,
	&node_memory_tier_attr.attr,
	&node_offlining_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(cxltier_node);

static void cxltier_node_kobj_release(struct kobject *kobj)
{
	kfree(to_node_kobj(kobj));
}

static const struct kobj_type cxltier_node_ktype = {
	.release	= cxltier_node_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= cxltier_node_groups,
};

/* --- layout ---------------------------------------------------------- */

static struct cxltier_tier_kobj *cxltier_tier_kobj_add(unsigned int idx)
{
	struct cxltier_tier_kobj *tk;

	tk = kzalloc(sizeof(*tk), GFP_KERNEL);
	if (!tk)
		return NULL;
	tk->tier = idx;
	if (kobject_init_and_add(&tk->kobj, &cxltier_tier_ktype,
				 cxltier_tiers_dir, "tier%u", idx)) {
		kobject_put(&tk->kobj);
		return NULL;
	}
	return tk;
}

static struct cxltier_node_kobj *cxltier_node_kobj_add(int nid)
{
	struct cxltier_node_kobj *nk;

	nk = kzalloc(sizeof(*nk), GFP_KERNEL);
	if (!nk)
		return NULL;
	nk->nid = nid;
	if (kobject_init_and_add(&nk->kobj, &cxltier_node_ktype,
				 cxltier_nodes_dir, "node%d", nid)) {
		kobject_put(&nk->kobj);
		return NULL;
	}
	return nk;
}

/**
 * __cxltier_tiers_sysfs_sync() - one tierN per tier, one nodeN per node
 * @t: the table just published
 *
 * A directory that cannot be created is retried at the next rebuild; its
 * absence is the only effect.  Called under cxltier_tiers_lock.
 */
void __cxltier_tiers_sysfs_sync(const struct cxltier_table *t)
{
	unsigned int i;
	int nid;

	lockdep_assert_held(&cxltier_tiers_lock);
	if (!cxltier_tiers_dir || !cxltier_nodes_dir)
		return;

	for (i = 0; i < nr_node_ids; i++) {
		bool want = i < t->nr_tiers;

		if (want && !cxltier_tier_kobjs[i]) {
			cxltier_tier_kobjs[i] = cxltier_tier_kobj_add(i);
		} else if (!want && cxltier_tier_kobjs[i]) {
			kobject_put(&cxltier_tier_kobjs[i]->kobj);
			cxltier_tier_kobjs[i] = NULL;
		}
	}
	for (nid = 0; nid < nr_node_ids; nid++) {
		bool want = cxltier_table_node(t, nid);

		if (want && !cxltier_node_kobjs[nid]) {
			cxltier_node_kobjs[nid] = cxltier_node_kobj_add(nid);
		} else if (!want && cxltier_node_kobjs[nid]) {
			kobject_put(&cxltier_node_kobjs[nid]->kobj);
			cxltier_node_kobjs[nid] = NULL;
		}
	}
}

/**
 * cxltier_tiers_sysfs_init() - create tiers/ and nodes/ (empty)
 *
 * Return: 0 or a negative errno.
 */
int cxltier_tiers_sysfs_init(void)
{
	int ret = -ENOMEM;

	cxltier_tier_kobjs = kcalloc(nr_node_ids, sizeof(*cxltier_tier_kobjs),
				     GFP_KERNEL);
	if (!cxltier_tier_kobjs)
		return -ENOMEM;
	cxltier_node_kobjs = kcalloc(nr_node_ids, sizeof(*cxltier_node_kobjs),
				     GFP_KERNEL);
	if (!cxltier_node_kobjs)
		goto err_tier_kobjs;
	cxltier_tiers_dir = kobject_create_and_add("tiers", cxltier_kobj);
	if (!cxltier_tiers_dir)
		goto err_node_kobjs;
	cxltier_nodes_dir = kobject_create_and_add("nodes", cxltier_kobj);
	if (!cxltier_nodes_dir)
		goto err_tiers_dir;
	return 0;

err_tiers_dir:
	kobject_put(cxltier_tiers_dir);
	cxltier_tiers_dir = NULL;
err_node_kobjs:
	kfree(cxltier_node_kobjs);
	cxltier_node_kobjs = NULL;
err_tier_kobjs:
	kfree(cxltier_tier_kobjs);
	cxltier_tier_kobjs = NULL;
	return ret;
}

/**
 * cxltier_tiers_sysfs_exit() - remove tiers/ and nodes/ with their contents
 */
void cxltier_tiers_sysfs_exit(void)
{
	struct kobject *tiers_dir, *nodes_dir;
	int i;

	mutex_lock(&cxltier_tiers_lock);
	tiers_dir = cxltier_tiers_dir;
	nodes_dir = cxltier_nodes_dir;
	cxltier_tiers_dir = NULL;
	cxltier_nodes_dir = NULL;
	for (i = 0; i < nr_node_ids; i++) {
		if (cxltier_tier_kobjs && cxltier_tier_kobjs[i])
			kobject_put(&cxltier_tier_kobjs[i]->kobj);
		if (cxltier_node_kobjs && cxltier_node_kobjs[i])
			kobject_put(&cxltier_node_kobjs[i]->kobj);
	}
	mutex_unlock(&cxltier_tiers_lock);
	kobject_put(nodes_dir);
	kobject_put(tiers_dir);
	kfree(cxltier_node_kobjs);
	cxltier_node_kobjs = NULL;
	kfree(cxltier_tier_kobjs);
	cxltier_tier_kobjs = NULL;
}
