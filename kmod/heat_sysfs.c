// SPDX-License-Identifier: GPL-2.0
/*
 * Heat tracking in sysfs: the tunables in /sys/kernel/cxltier/ and the
 * counters in /sys/kernel/cxltier/stats/.  Documented in
 * Documentation/ABI/testing/sysfs-kernel-cxltier.
 */

#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "internal.h"

/**
 * struct cxltier_tunable_attr - a u32 tunable with its bounds
 * @attr: the sysfs attribute
 * @val: the tunable in cxltier_tunables
 * @min: smallest value accepted
 * @max: largest value accepted
 */
struct cxltier_tunable_attr {
	struct kobj_attribute attr;
	u32 *val;
	u32 min;
	u32 max;
};

static ssize_t cxltier_tunable_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	struct cxltier_tunable_attr *ta =
		container_of(attr, struct cxltier_tunable_attr, attr);

	return sysfs_emit(buf, "%u\n", READ_ONCE(*ta->val));
}

static ssize_t cxltier_tunable_store(struct kobject *kobj,
				     struct kobj_attribute *attr,
				     const char *buf, size_t count)
{
	struct cxltier_tunable_attr *ta =
		container_of(attr, struct cxltier_tunable_attr, attr);
	u32 v;

	if (kstrtou32(buf, 0, &v) || v < ta->min || v > ta->max)
		return -EINVAL;
	WRITE_ONCE(*ta->val, v);
	cxltier_heat_kick();
	return count;
}

#define CXLTIER_TUNABLE(_name, _min, _max)				\
static struct cxltier_tunable_attr cxltier_tunable_##_name = {		\
	.attr = __ATTR(_name, 0644, cxltier_tunable_show,		\
		       cxltier_tunable_store),				\
	.val = &cxltier_tunables._name,					\
	.min = (_min),							\
	.max = (_max),							\
}

CXLTIER_TUNABLE(scan_interval_ms, 10, 60000);
CXLTIER_TUNABLE(scan_budget_pages, 512, 1U << 26);
CXLTIER_TUNABLE(scan_exact_max_pages, 0, U32_MAX);
CXLTIER_TUNABLE(scan_sample_pages, 1, CXLTIER_SAMPLE_MAX);
CXLTIER_TUNABLE(half_life_ms, 0, 3600000);
CXLTIER_TUNABLE(epoch_ms, 10, 3600000);
CXLTIER_TUNABLE(device_weight, 0, 1U << 20);
CXLTIER_TUNABLE(max_ranges_per_fd, 1, 1U << 16);
CXLTIER_TUNABLE(max_chunks, 1, 1U << 28);
CXLTIER_TUNABLE(max_user_chunks, 0, 1U << 28);
CXLTIER_TUNABLE(max_user_ranges, 0, 1U << 20);

/* How the scanner tells reclaim about the uses it clears (compat.h). */
static ssize_t reclaim_hint_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", CXLTIER_RECLAIM_HINT);
}

static struct kobj_attribute cxltier_reclaim_hint = __ATTR_RO(reclaim_hint);

static struct attribute *cxltier_tunable_attrs[] = {
	&cxltier_reclaim_hint.attr,
	&cxltier_tunable_scan_interval_ms.attr.attr,
	&cxltier_tunable_scan_budget_pages.attr.attr,
	&cxltier_tunable_scan_exact_max_pages.attr.attr,
	&cxltier_tunable_scan_sample_pages.attr.attr,
	&cxltier_tunable_half_life_ms.attr.attr,
	&cxltier_tunable_epoch_ms.attr.attr,
	&cxltier_tunable_device_weight.attr.attr,
	&cxltier_tunable_max_ranges_per_fd.attr.attr,
	&cxltier_tunable_max_chunks.attr.attr,
	&cxltier_tunable_max_user_chunks.attr.attr,
	&cxltier_tunable_max_user_ranges.attr.attr,
	NULL,
};

static const struct attribute_group cxltier_tunable_group = {
	.attrs = cxltier_tunable_attrs,
};

/*
 * Counters that follow what the tracked processes do are root's only
 * (0400): /dev/cxltier may be opened to several users.  epochs is a
 * clock and scan_passes the scanner's, both 0444.
 */
#define CXLTIER_STAT_MODE(_name, _mode)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n",				\
			  (long long)atomic64_read(&cxltier_stats._name)); \
}									\
static struct kobj_attribute cxltier_stat_##_name =			\
	__ATTR_RO_MODE(_name, _mode)
#define CXLTIER_STAT(_name)		CXLTIER_STAT_MODE(_name, 0400)
#define CXLTIER_STAT_PUBLIC(_name)	CXLTIER_STAT_MODE(_name, 0444)

CXLTIER_STAT(pages_scanned);
CXLTIER_STAT(young_found);
CXLTIER_STAT(pages_sampled);
CXLTIER_STAT(device_reports);
CXLTIER_STAT_PUBLIC(scan_passes);
CXLTIER_STAT(scan_skipped);
CXLTIER_STAT(metadata_bytes);

/* A high-water mark: writing 0 resets it (as tracing_max_latency). */
static ssize_t placement_hold_max_ns_store(struct kobject *kobj,
					   struct kobj_attribute *attr,
					   const char *buf, size_t count)
{
	u64 v;
	int ret = kstrtou64(buf, 10, &v);

	if (ret)
		return ret;
	if (v)
		return -EINVAL;
	atomic64_set(&cxltier_stats.placement_hold_max_ns, 0);
	return count;
}

static ssize_t placement_hold_max_ns_show(struct kobject *kobj,
					  struct kobj_attribute *attr,
					  char *buf)
{
	s64 v = atomic64_read(&cxltier_stats.placement_hold_max_ns);

	return sysfs_emit(buf, "%lld\n", (long long)v);
}

static struct kobj_attribute cxltier_stat_placement_hold_max_ns =
	__ATTR_RW_MODE(placement_hold_max_ns, 0600);

static ssize_t epochs_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%llu\n", cxltier_heat_epoch_now());
}

static ssize_t ranges_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%llu\n", cxltier_nr_ranges());
}

static ssize_t chunks_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%llu\n", cxltier_nr_chunks());
}

static ssize_t user_ranges_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", cxltier_nr_user_ranges());
}

static ssize_t user_chunks_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", cxltier_nr_user_chunks());
}

static struct kobj_attribute cxltier_stat_user_ranges =
	__ATTR_RO_MODE(user_ranges, 0400);
static struct kobj_attribute cxltier_stat_user_chunks =
	__ATTR_RO_MODE(user_chunks, 0400);
static struct kobj_attribute cxltier_stat_epochs = __ATTR_RO(epochs);
static struct kobj_attribute cxltier_stat_ranges = __ATTR_RO_MODE(ranges, 0400);
static struct kobj_attribute cxltier_stat_chunks = __ATTR_RO_MODE(chunks, 0400);

static struct attribute *cxltier_stat_attrs[] = {
	&cxltier_stat_pages_scanned.attr,
	&cxltier_stat_young_found.attr,
	&cxltier_stat_pages_sampled.attr,
	&cxltier_stat_device_reports.attr,
	&cxltier_stat_epochs.attr,
	&cxltier_stat_ranges.attr,
	&cxltier_stat_chunks.attr,
	&cxltier_stat_user_ranges.attr,
	&cxltier_stat_user_chunks.attr,
	&cxltier_stat_scan_passes.attr,
	&cxltier_stat_scan_skipped.attr,
	&cxltier_stat_metadata_bytes.attr,
	&cxltier_stat_placement_hold_max_ns.attr,
	NULL,
};

static const struct attribute_group cxltier_stat_group = {
	.attrs = cxltier_stat_attrs,
};

/* /sys/kernel/cxltier/stats. */
static struct kobject *cxltier_stats_kobj;

/**
 * cxltier_heat_sysfs_init() - add the tunables and the stats directory
 *
 * Return: 0 or a negative errno.
 */
int cxltier_heat_sysfs_init(void)
{
	int ret;

	ret = sysfs_create_group(cxltier_kobj, &cxltier_tunable_group);
	if (ret)
		return ret;
	cxltier_stats_kobj = kobject_create_and_add("stats", cxltier_kobj);
	if (!cxltier_stats_kobj) {
		ret = -ENOMEM;
		goto err_tunables;
	}
	ret = sysfs_create_group(cxltier_stats_kobj, &cxltier_stat_group);
	if (ret)
		goto err_stats_kobj;
	return 0;

err_stats_kobj:
	kobject_put(cxltier_stats_kobj);
	cxltier_stats_kobj = NULL;
err_tunables:
	sysfs_remove_group(cxltier_kobj, &cxltier_tunable_group);
	return ret;
}

/**
 * cxltier_heat_sysfs_exit() - remove what cxltier_heat_sysfs_init() added
 */
void cxltier_heat_sysfs_exit(void)
{
	sysfs_remove_group(cxltier_stats_kobj, &cxltier_stat_group);
	kobject_put(cxltier_stats_kobj);
	cxltier_stats_kobj = NULL;
	sysfs_remove_group(cxltier_kobj, &cxltier_tunable_group);
}
