// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/cxltier/: the root directory and its top-level files.
 * Subsystems (tiers, tracking) hang their own directories and attribute
 * groups off cxltier_kobj.  Documented in
 * Documentation/ABI/testing/sysfs-kernel-cxltier.
 */

#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "internal.h"

/* The /sys/kernel/cxltier directory; NULL when the module is not set up. */
struct kobject *cxltier_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", CXLTIER_VERSION);
}

static ssize_t api_version_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", CXLTIER_API_VERSION);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);
static struct kobj_attribute api_version_attr = __ATTR_RO(api_version);

static struct attribute *cxltier_root_attrs[] = {
	&version_attr.attr,
	&api_version_attr.attr,
	NULL,
};

static const struct attribute_group cxltier_root_group = {
	.attrs = cxltier_root_attrs,
};

/**
 * cxltier_sysfs_init() - create /sys/kernel/cxltier/
 *
 * Return: 0 or a negative errno.
 */
int cxltier_sysfs_init(void)
{
	int ret;

	cxltier_kobj = kobject_create_and_add("cxltier", kernel_kobj);
	if (!cxltier_kobj)
		return -ENOMEM;

	ret = sysfs_create_group(cxltier_kobj, &cxltier_root_group);
	if (ret)
		goto err_kobj;
	return 0;

err_kobj:
	kobject_put(cxltier_kobj);
	cxltier_kobj = NULL;
	return ret;
}

/**
 * cxltier_sysfs_exit() - remove /sys/kernel/cxltier/
 */
void cxltier_sysfs_exit(void)
{
	sysfs_remove_group(cxltier_kobj, &cxltier_root_group);
	kobject_put(cxltier_kobj);
	cxltier_kobj = NULL;
}
