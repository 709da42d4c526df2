/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxltier internals shared by the module's files.  Nothing here is ABI.
 */
#ifndef _CXLTIER_INTERNAL_H
#define _CXLTIER_INTERNAL_H

#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <uapi/linux/cxltier.h>

/* Module version, shown in /sys/kernel/cxltier/version and modinfo. */
#define CXLTIER_VERSION		"0.1.0"

/**
 * struct cxltier_file - state of one open /dev/cxltier
 * @lock: serialises ioctls on this file that change its state
 */
struct cxltier_file {
	struct mutex lock;
};

/* ioctl.c: argument copy-in, validation and dispatch. */
long cxltier_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
u64 cxltier_supported_ioctls(void);
u64 cxltier_features(void);

/**
 * cxltier_reserved_zero() - are all bytes of a reserved field zero?
 * @p: start of the field
 * @len: its size in bytes
 *
 * Return: true when every byte is zero.
 */
static inline bool cxltier_reserved_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* tiers.c: node and tier table, tiers/ and nodes/ in sysfs, retier. */
int cxltier_tiers_init(void);
void cxltier_tiers_exit(void);
long cxltier_ioc_get_nodes(struct cxltier_file *cf, void *karg);

/* sysfs.c: /sys/kernel/cxltier/ root. */
extern struct kobject *cxltier_kobj;
int cxltier_sysfs_init(void);
void cxltier_sysfs_exit(void);

#endif /* _CXLTIER_INTERNAL_H */
