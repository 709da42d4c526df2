// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel publishes about a memory node, read the way user space
 * reads it: from sysfs.
 *
 * Why sysfs and not an in-kernel call: neither Debian 6.1 nor 6.12
 * exports what an out-of-tree module would need.  HMAT access figures
 * live in node_devices[]->access_list (drivers/base/node.c, static, the
 * struct private to that file) and memory tier membership in
 * pgdat->memtier, a pointer to a struct private to mm/memory-tiers.c.
 * Both are published, one value per file, in
 *
 *   /sys/devices/system/node/nodeN/access0/initiators/{read,write}_{latency,bandwidth}
 *   /sys/devices/virtual/memory_tiering/memory_tierM/nodelist
 *
 * so the module reads those files with the exported VFS helpers
 * (filp_open, kernel_read, iterate_dir).  It does so only from a work
 * item (a kernel thread, initial mount namespace, where sysfs is mounted
 * at /sys), never from the hotplug notifier itself or a sysfs handler.
 * A file that cannot be read means "unknown": the node is then ordered by
 * what else is known (see tiers.c), never refused.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/nodemask.h>
#include <linux/slab.h>

#include "tiers.h"

#define CXLTIER_NODE_SYSFS	"/sys/devices/system/node"
#define CXLTIER_MEMTIER_SYSFS	"/sys/devices/virtual/memory_tiering"
#define CXLTIER_MEMTIER_PREFIX	"memory_tier"

/* A sysfs value is at most a page; node lists of real machines are short. */
#define CXLTIER_KREAD_MAX	256

/* Read a sysfs file into @buf (NUL-terminated).  0 or -errno. */
static int cxltier_kread(const char *path, char *buf, size_t len)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, len - 1, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return 0;
}

/* Read one decimal u32 from a sysfs file.  0 or -errno. */
static int cxltier_kread_u32(const char *path, u32 *val)
{
	char buf[32];
	int ret;

	ret = cxltier_kread(path, buf, sizeof(buf));
	if (ret)
		return ret;
	return kstrtou32(strim(buf), 10, val);
}

/**
 * cxltier_probe_node() - fill the HMAT figures and state of a node
 * @nid: node id
 * @f: its facts; memory_tier and admin_kind are left alone
 *
 * Called from the refresh work, under cxltier_tiers_lock.
 */
void cxltier_probe_node(int nid, struct cxltier_node_facts *f)
{
	static const char *const names[] = {
		"read_latency", "write_latency", "read_bandwidth",
		"write_bandwidth",
	};
	u32 val[ARRAY_SIZE(names)];
	char *path;
	int i;

	lockdep_assert_held(&cxltier_tiers_lock);

	f->memory = node_state(nid, N_MEMORY);
	f->has_cpus = node_state(nid, N_CPU);
	f->hmat = false;
	f->read_latency_ns = 0;
	f->write_latency_ns = 0;
	f->read_bandwidth_MBps = 0;
	f->write_bandwidth_MBps = 0;
	if (!f->memory)
		return;

	path = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!path)
		return;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, PATH_MAX, CXLTIER_NODE_SYSFS
			 "/node%d/access0/initiators/%s", nid, names[i]);
		if (cxltier_kread_u32(path, &val[i]))
			break;
	}
	kfree(path);
	if (i < ARRAY_SIZE(names))
		return;		/* no HMAT for this node */

	/* A figure of 0 means "not given": HMAT needs both kinds. */
	if (!(val[0] || val[1]) || !(val[2] || val[3]))
		return;
	f->hmat = true;
	f->read_latency_ns = val[0];
	f->write_latency_ns = val[1];
	f->read_bandwidth_MBps = val[2];
	f->write_bandwidth_MBps = val[3];
}

/**
 * struct cxltier_memtier_ctx - directory walk of memory_tiering
 * @ctx: iterate_dir() context
 * @ids: tier ids found
 * @nr: entries used in @ids
 * @max: room in @ids
 */
struct cxltier_memtier_ctx {
	struct dir_context ctx;
	int *ids;
	unsigned int nr;
	unsigned int max;
};

static bool cxltier_memtier_actor(struct dir_context *ctx, const char *name,
				  int namlen, loff_t offset, u64 ino,
				  unsigned int d_type)
{
	struct cxltier_memtier_ctx *mc =
		container_of(ctx, struct cxltier_memtier_ctx, ctx);
	const size_t plen = strlen(CXLTIER_MEMTIER_PREFIX);
	char num[12];
	int id;

	if (namlen <= plen || namlen - plen >= sizeof(num) ||
	    strncmp(name, CXLTIER_MEMTIER_PREFIX, plen))
		return true;
	memcpy(num, name + plen, namlen - plen);
	num[namlen - plen] = '\0';
	if (kstrtoint(num, 10, &id) || id < 0)
		return true;
	if (mc->nr < mc->max)
		mc->ids[mc->nr++] = id;
	return mc->nr < mc->max;
}

/**
 * cxltier_probe_memory_tiers() - set memory_tier of every node's facts
 *
 * Lists the kernel's memory tiers and reads each one's node list.  A node
 * in none of them (or when memory_tiering cannot be read) gets -1.
 * Called from the refresh work, under cxltier_tiers_lock.
 */
void cxltier_probe_memory_tiers(void)
{
	struct cxltier_memtier_ctx mc = {
		.ctx.actor = cxltier_memtier_actor,
	};
	nodemask_t *mask;
	struct file *dir;
	char *buf, *path;
	unsigned int i;
	int nid, ret;

	lockdep_assert_held(&cxltier_tiers_lock);

	for (nid = 0; nid < nr_node_ids; nid++)
		cxltier_facts[nid].memory_tier = -1;

	/* There are never more kernel tiers than memory nodes. */
	mc.max = nr_node_ids;
	mc.ids = kcalloc(mc.max, sizeof(*mc.ids), GFP_KERNEL);
	buf = kmalloc(CXLTIER_KREAD_MAX, GFP_KERNEL);
	path = kmalloc(PATH_MAX, GFP_KERNEL);
	mask = kmalloc(sizeof(*mask), GFP_KERNEL);
	if (!mc.ids || !buf || !path || !mask)
		goto out_free;

	dir = filp_open(CXLTIER_MEMTIER_SYSFS, O_RDONLY | O_DIRECTORY, 0);
	if (IS_ERR(dir))
		goto out_free;
	ret = iterate_dir(dir, &mc.ctx);
	filp_close(dir, NULL);
	if (ret)
		goto out_free;

	for (i = 0; i < mc.nr; i++) {
		snprintf(path, PATH_MAX, CXLTIER_MEMTIER_SYSFS "/"
			 CXLTIER_MEMTIER_PREFIX "%d/nodelist", mc.ids[i]);
		if (cxltier_kread(path, buf, CXLTIER_KREAD_MAX))
			continue;
		if (nodelist_parse(strim(buf), *mask))
			continue;
		for_each_node_mask(nid, *mask)
			if (nid < nr_node_ids)
				cxltier_facts[nid].memory_tier = mc.ids[i];
	}

out_free:
	kfree(mask);
	kfree(path);
	kfree(buf);
	kfree(mc.ids);
}
