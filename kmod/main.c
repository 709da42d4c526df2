// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier: memory tiers and buffer heat for accelerator-pinned memory.
 *
 * This file holds the module's life cycle and the /dev/cxltier character
 * device.  The ioctl ABI is in ioctl.c, sysfs in sysfs.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "internal.h"

static int cxltier_open(struct inode *inode, struct file *file)
{
	struct cxltier_file *cf;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL_ACCOUNT);
	if (!cf)
		return -ENOMEM;
	mutex_init(&cf->lock);
	/* The opener's credentials decide, once; no audit record on a no. */
	cf->admin = ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
	cf->ptrace = ns_capable_noaudit(&init_user_ns, CAP_SYS_PTRACE);
	cf->uid = file->f_cred->uid;
	cxltier_track_file_init(cf);
	file->private_data = cf;
	return 0;
}

static int cxltier_release(struct inode *inode, struct file *file)
{
	struct cxltier_file *cf = file->private_data;

	cxltier_track_file_release(cf);
	cxltier_hotplug_file_release(cf);
	mutex_destroy(&cf->lock);
	kfree(cf);
	return 0;
}

static const struct file_operations cxltier_fops = {
	.owner		= THIS_MODULE,
	.open		= cxltier_open,
	.release	= cxltier_release,
	.read		= cxltier_read,
	.poll		= cxltier_poll,
	.unlocked_ioctl	= cxltier_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* /dev/cxltier; root-only until an admin or a udev rule says otherwise. */
static struct miscdevice cxltier_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "cxltier",
	.fops	= &cxltier_fops,
	.mode	= 0600,
};

static int __init cxltier_init(void)
{
	int ret;

	ret = cxltier_scan_selfcheck();
	if (ret)
		return ret;
	ret = cxltier_sysfs_init();
	if (ret)
		return ret;
	ret = cxltier_tiers_init();
	if (ret)
		goto err_sysfs;
	ret = cxltier_heat_sysfs_init();
	if (ret)
		goto err_tiers;
	ret = cxltier_track_init();
	if (ret)
		goto err_heat_sysfs;
	ret = cxltier_heat_init();
	if (ret)
		goto err_track;
	ret = cxltier_hotplug_init();
	if (ret)
		goto err_heat;

	ret = misc_register(&cxltier_miscdev);
	if (ret)
		goto err_hotplug;

	pr_info("version %s loaded\n", CXLTIER_VERSION);
	return 0;

err_hotplug:
	cxltier_hotplug_exit();
err_heat:
	cxltier_heat_exit();
err_track:
	cxltier_track_exit();
err_heat_sysfs:
	cxltier_heat_sysfs_exit();
err_tiers:
	cxltier_tiers_exit();
err_sysfs:
	cxltier_sysfs_exit();
	return ret;
}

static void __exit cxltier_exit(void)
{
	misc_deregister(&cxltier_miscdev);
	cxltier_hotplug_exit();
	cxltier_heat_exit();
	cxltier_track_exit();
	cxltier_heat_sysfs_exit();
	cxltier_tiers_exit();
	cxltier_sysfs_exit();
}

module_init(cxltier_init);
module_exit(cxltier_exit);

MODULE_DESCRIPTION("Memory tiers and buffer heat for accelerator-pinned memory");
MODULE_AUTHOR("The cxltier developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(CXLTIER_VERSION);
