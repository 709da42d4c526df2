// SPDX-License-Identifier: GPL-2.0
/*
 * retier: make the kernel's memory tiers agree with cxltier's.
 *
 * Debian's 6.1 ignores HMAT for boot memory: a CPU-less node 2.5 times
 * slower than DRAM sits in memory_tier4 with DRAM, so kernel demotion
 * never moves pages there.  With retier on, every CPU-less node whose
 * kernel tier differs from the one its HMAT figures call for is given a
 * memory type of its own, at the abstract distance cxltier computed
 * (tiers.c), the way drivers/dax/kmem.c registers its memory:
 *
 *   mtype = alloc_memory_type(adistance);
 *   init_node_memory_type(nid, mtype);
 *
 * What the kernel allows (mm/memory-tiers.c, 6.1 and 6.12 alike): a node
 * keeps the first memory type it was given; init_node_memory_type() is a
 * no-op for a node that already has one, and every node with online
 * memory has one (default DRAM, kmem's, or HMAT's on 6.12).  The tier of
 * a node is only chosen when it comes online.  So an online node cannot
 * be re-tiered by a module, and neither offlining nor unbinding helps
 * while the old type stays attached.  cxltier does not pretend: it tells
 * whether the kernel took the type (the node then holds the only other
 * reference to it: kref above 1), and when it did not, it drops the type
 * and reports the refusal in retier_status and in one line of the kernel
 * log.
 *
 * It never registers a type on a node without memory: a later kmem probe
 * of that node would leave the kernel's bookkeeping of kmem's type
 * unbalanced once cxltier unregisters (clear_node_memory_type() puts the
 * type it is given when the node's map count is already 0).
 *
 * Undo (retier set to 0, or unload) forgets the types but leaves them to
 * the nodes until reboot, logged: taking one back races memory hotplug
 * (see __cxltier_retier_undo()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/memory-tiers.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "tiers.h"

/* Module parameter: start with retier on. */
static bool retier;
module_param(retier, bool, 0);
MODULE_PARM_DESC(retier,
		 "Register CPU-less nodes with the kernel's memory tiers at their HMAT abstract distance (default 0)");

/* What retier did for a node. */
enum cxltier_retier_state {
	CXLTIER_RETIER_NONE,	/* not looked at */
	CXLTIER_RETIER_AGREES,	/* the kernel's tier is already right */
	CXLTIER_RETIER_APPLIED,	/* the kernel took our memory type */
	CXLTIER_RETIER_REFUSED,	/* the kernel kept the node's type */
};

/* Values of retier_status. */
enum cxltier_retier_status {
	CXLTIER_RETIER_STATUS_OFF,
	CXLTIER_RETIER_STATUS_AGREES,
	CXLTIER_RETIER_STATUS_APPLIED,
	CXLTIER_RETIER_STATUS_REFUSED,
};

static const char *const cxltier_retier_status_names[] = {
	[CXLTIER_RETIER_STATUS_OFF]	= "off",
	[CXLTIER_RETIER_STATUS_AGREES]	= "agrees",
	[CXLTIER_RETIER_STATUS_APPLIED]	= "applied",
	[CXLTIER_RETIER_STATUS_REFUSED]	= "refused",
};

/**
 * struct cxltier_retier_node - retier's record of one node
 * @mtype: our memory type, held while the kernel holds it too
 * @state: enum cxltier_retier_state
 */
struct cxltier_retier_node {
	struct memory_dev_type *mtype;
	u8 state;
};

/* retier on; under cxltier_tiers_lock. */
static bool cxltier_retier_on;
/* nr_node_ids records; under cxltier_tiers_lock. */
static struct cxltier_retier_node *cxltier_retier_nodes;
/* enum cxltier_retier_status, for retier_status; written under the lock. */
static int cxltier_retier_status_val;
/* The retier files exist (cxltier_retier_exit() not started). */
static bool cxltier_retier_live;

static void cxltier_put_memory_type(struct memory_dev_type *mtype)
{
/* 6.1 calls it destroy_memory_type(); Kbuild tells which one exists. */
#ifdef CXLTIER_HAVE_PUT_MEMORY_TYPE
	put_memory_type(mtype);
#else
	destroy_memory_type(mtype);
#endif
}

/* Forget decisions about nodes that went away; they are re-examined. */
static void __cxltier_retier_forget_gone(const struct cxltier_table *t)
{
	int nid;

	for (nid = 0; nid < nr_node_ids; nid++) {
		struct cxltier_retier_node *rn = &cxltier_retier_nodes[nid];

		if (rn->state != CXLTIER_RETIER_APPLIED &&
		    !cxltier_table_node(t, nid))
			rn->state = CXLTIER_RETIER_NONE;
	}
}

/* Try to give one node our memory type.  Returns the new state. */
static u8 __cxltier_retier_try(int nid, u32 adistance)
{
	struct cxltier_retier_node *rn = &cxltier_retier_nodes[nid];
	struct memory_dev_type *mtype;

	mtype = alloc_memory_type(adistance);
	if (IS_ERR_OR_NULL(mtype))
		return CXLTIER_RETIER_NONE;	/* try again next rebuild */
	init_node_memory_type(nid, mtype);
	/* Ours plus the node's reference: the kernel took it. */
	if (kref_read(&mtype->kref) > 1) {
		rn->mtype = mtype;
		return CXLTIER_RETIER_APPLIED;
	}
	cxltier_put_memory_type(mtype);
	return CXLTIER_RETIER_REFUSED;
}

/**
 * __cxltier_retier_update() - apply retier to a table about to be published
 * @t: the table; RETIERED flags are set on it
 *
 * Looks at each CPU-less node with HMAT figures that it has not decided
 * on yet.  Called under cxltier_tiers_lock.
 */
void __cxltier_retier_update(struct cxltier_table *t)
{
	bool refused = false, applied = false;
	nodemask_t *newly_refused;
	unsigned int i;

	lockdep_assert_held(&cxltier_tiers_lock);
	if (!cxltier_retier_nodes)
		return;
	__cxltier_retier_forget_gone(t);
	if (!cxltier_retier_on) {
		WRITE_ONCE(cxltier_retier_status_val, CXLTIER_RETIER_STATUS_OFF);
		return;
	}

	newly_refused = kzalloc(sizeof(*newly_refused), GFP_KERNEL);
	for (i = 0; i < t->nr_nodes; i++) {
		struct cxltier_node *node = &t->nodes[i];
		struct cxltier_retier_node *rn = &cxltier_retier_nodes[node->nid];

		if ((node->flags & CXLTIER_NODE_HAS_CPUS) ||
		    !(node->flags & CXLTIER_NODE_HMAT))
			continue;
		if (rn->state == CXLTIER_RETIER_NONE) {
			if (node->memory_tier ==
			    (int)(node->adistance >> MEMTIER_CHUNK_BITS)) {
				rn->state = CXLTIER_RETIER_AGREES;
			} else {
				rn->state = __cxltier_retier_try(node->nid,
								 node->adistance);
				if (rn->state == CXLTIER_RETIER_REFUSED &&
				    newly_refused)
					node_set(node->nid, *newly_refused);
			}
		}
		if (rn->state == CXLTIER_RETIER_APPLIED) {
			node->flags |= CXLTIER_NODE_RETIERED;
			applied = true;
		}
		refused |= rn->state == CXLTIER_RETIER_REFUSED;
	}

	if (newly_refused && !nodes_empty(*newly_refused))
		pr_info("retier: the kernel keeps nodes %*pbl in their memory tiers: an online node keeps its memory type (memory_tiering unchanged)\n",
			nodemask_pr_args(newly_refused));
	kfree(newly_refused);

	WRITE_ONCE(cxltier_retier_status_val,
		   refused ? CXLTIER_RETIER_STATUS_REFUSED :
		   applied ? CXLTIER_RETIER_STATUS_APPLIED :
		   CXLTIER_RETIER_STATUS_AGREES);
}

/*
 * Forget every memory type the kernel took.  Under the lock.
 *
 * The node keeps the type (the kernel's reference keeps it alive; it is
 * kernel memory, not the module's): clearing it would race memory
 * hotplug, since a node that comes online between a check of N_MEMORY
 * and clear_node_memory_type() links the type into a tier that the clear
 * then frees, and the hotplug locks are not exported to modules.
 */
static void __cxltier_retier_undo(void)
{
	int nid;

	lockdep_assert_held(&cxltier_tiers_lock);
	for (nid = 0; nid < nr_node_ids; nid++) {
		struct cxltier_retier_node *rn = &cxltier_retier_nodes[nid];

		if (rn->state == CXLTIER_RETIER_APPLIED) {
			pr_info("retier: node %d keeps abstract distance %d until reboot\n",
				nid, rn->mtype->adistance);
			cxltier_put_memory_type(rn->mtype);
			rn->mtype = NULL;
		}
		rn->state = CXLTIER_RETIER_NONE;
	}
	WRITE_ONCE(cxltier_retier_status_val, CXLTIER_RETIER_STATUS_OFF);
}

static ssize_t retier_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(cxltier_retier_on));
}

static ssize_t retier_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	unsigned int val;
	bool on;
	int ret = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	/* Exactly 0 or 1: kstrtobool() would take "10" or "yes-please". */
	if (kstrtouint(buf, 10, &val) || val > 1)
		return -EINVAL;
	on = val;

	/* As in tiers_sysfs.c: never sleep on the lock in a store. */
	if (!mutex_trylock(&cxltier_tiers_lock)) {
		usleep_range(5000, 10000);
		return restart_syscall();
	}
	if (!cxltier_retier_live) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (on != cxltier_retier_on) {
		WRITE_ONCE(cxltier_retier_on, on);
		if (!on)
			__cxltier_retier_undo();
		ret = __cxltier_tiers_rebuild();
	}
out_unlock:
	mutex_unlock(&cxltier_tiers_lock);
	return ret ?: count;
}

static ssize_t retier_status_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  cxltier_retier_status_names[READ_ONCE(cxltier_retier_status_val)]);
}

static struct kobj_attribute retier_attr = __ATTR(retier, 0644, retier_show,
						  retier_store);
static struct kobj_attribute retier_status_attr = __ATTR_RO(retier_status);

static struct attribute *cxltier_retier_attrs[] = {
	&retier_attr.attr,
	&retier_status_attr.attr,
	NULL,
};

static const struct attribute_group cxltier_retier_group = {
	.attrs = cxltier_retier_attrs,
};

/**
 * cxltier_retier_init() - the retier and retier_status files
 *
 * Takes the module parameter; the first rebuild applies it.
 *
 * Return: 0 or a negative errno.
 */
int cxltier_retier_init(void)
{
	int ret;

	cxltier_retier_nodes = kcalloc(nr_node_ids,
				       sizeof(*cxltier_retier_nodes),
				       GFP_KERNEL);
	if (!cxltier_retier_nodes)
		return -ENOMEM;
	mutex_lock(&cxltier_tiers_lock);
	cxltier_retier_on = retier;
	cxltier_retier_live = true;
	mutex_unlock(&cxltier_tiers_lock);

	ret = sysfs_create_group(cxltier_kobj, &cxltier_retier_group);
	if (ret)
		goto err_nodes;
	return 0;

err_nodes:
	mutex_lock(&cxltier_tiers_lock);
	cxltier_retier_live = false;
	cxltier_retier_on = false;
	mutex_unlock(&cxltier_tiers_lock);
	kfree(cxltier_retier_nodes);
	cxltier_retier_nodes = NULL;
	return ret;
}

/**
 * cxltier_retier_exit() - remove the files, take back our memory types
 */
void cxltier_retier_exit(void)
{
	sysfs_remove_group(cxltier_kobj, &cxltier_retier_group);
	mutex_lock(&cxltier_tiers_lock);
	cxltier_retier_live = false;
	cxltier_retier_on = false;
	__cxltier_retier_undo();
	kfree(cxltier_retier_nodes);
	cxltier_retier_nodes = NULL;
	mutex_unlock(&cxltier_tiers_lock);
}
