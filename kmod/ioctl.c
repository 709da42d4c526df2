// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/cxltier ioctl ABI: copy in, validate, dispatch, copy out.
 *
 * Every command takes one struct that starts with argsz and flags.  The
 * generic part here checks argsz and copies the struct in (rejecting
 * non-zero bytes beyond what the module knows); each handler checks its
 * own flags and reserved fields and does the work on the kernel copy;
 * the generic part copies the result back.
 *
 *   user struct --copy_struct_from_user--> karg --handler--> karg --> user
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/nospec.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "internal.h"

/* ioctl number of CXLTIER_IOC_<name>. */
#define CXLTIER_IOC_NR(name)	_IOC_NR(CXLTIER_IOC_##name)

static long cxltier_ioc_handshake(struct cxltier_file *cf, void *karg)
{
	struct cxltier_handshake *hs = karg;

	if ((hs->flags & ~CXLTIER_HANDSHAKE_HOTPLUG_EVENTS) || hs->reserved0 ||
	    !cxltier_reserved_zero(hs->reserved, sizeof(hs->reserved)))
		return -EINVAL;
	if (!hs->api_version)
		return -EINVAL;

	if (hs->flags & CXLTIER_HANDSHAKE_HOTPLUG_EVENTS)
		cxltier_hotplug_subscribe(cf);
	hs->api_version = CXLTIER_API_VERSION;
	hs->features = cxltier_features();
	hs->ioctls = cxltier_supported_ioctls();
	return 0;
}

/**
 * struct cxltier_ioctl_desc - one ioctl command
 * @handler: does the work on the kernel copy of the argument
 * @size: size of the argument struct the module knows (also the minimum
 *	argsz: every struct is still at its first version)
 * @copy_on_error: copy the struct back even when the handler fails (for
 *	an error_index)
 */
struct cxltier_ioctl_desc {
	long (*handler)(struct cxltier_file *cf, void *karg);
	u32 size;
	bool copy_on_error;
};

#define CXLTIER_IOCTL(_nr, _fn, _type)					\
	[(_nr) - CXLTIER_BASE] = { .handler = (_fn), .size = sizeof(_type) }

static const struct cxltier_ioctl_desc cxltier_ioctls[] = {
	CXLTIER_IOCTL(CXLTIER_BASE + 0, cxltier_ioc_handshake,
		      struct cxltier_handshake),
	CXLTIER_IOCTL(CXLTIER_IOC_NR(GET_NODES), cxltier_ioc_get_nodes,
		      struct cxltier_get_nodes),
	CXLTIER_IOCTL(CXLTIER_IOC_NR(TRACK), cxltier_ioc_track,
		      struct cxltier_track),
	CXLTIER_IOCTL(CXLTIER_IOC_NR(UNTRACK), cxltier_ioc_untrack,
		      struct cxltier_untrack),
	[CXLTIER_IOC_NR(REPORT) - CXLTIER_BASE] = {
		.handler = cxltier_ioc_report,
		.size = sizeof(struct cxltier_report),
		.copy_on_error = true,
	},
	CXLTIER_IOCTL(CXLTIER_IOC_NR(GET_HEAT), cxltier_ioc_get_heat,
		      struct cxltier_get_heat),
	CXLTIER_IOCTL(CXLTIER_IOC_NR(GET_RANGES), cxltier_ioc_get_ranges,
		      struct cxltier_get_ranges),
};

/* Largest argument struct: the kernel copy lives on the stack. */
union cxltier_ioctl_arg {
	struct cxltier_handshake handshake;
	struct cxltier_get_nodes get_nodes;
	struct cxltier_track track;
	struct cxltier_untrack untrack;
	struct cxltier_report report;
	struct cxltier_get_heat get_heat;
	struct cxltier_get_ranges get_ranges;
};

/**
 * cxltier_supported_ioctls() - mask of implemented ioctl numbers
 *
 * Return: bit n set when CXLTIER_BASE + n is implemented.
 */
u64 cxltier_supported_ioctls(void)
{
	u64 mask = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(cxltier_ioctls); i++)
		if (cxltier_ioctls[i].handler)
			mask |= BIT_ULL(i);
	return mask;
}

/**
 * cxltier_features() - CXLTIER_FEAT_* this build provides
 *
 * Return: the feature mask reported by CXLTIER_IOC_HANDSHAKE.
 */
u64 cxltier_features(void)
{
	return CXLTIER_FEAT_TIERS | CXLTIER_FEAT_RETIER |
	       CXLTIER_FEAT_TRACK | CXLTIER_FEAT_CPU_SCAN |
	       CXLTIER_FEAT_DEV_REPORT | CXLTIER_FEAT_POLL |
	       CXLTIER_FEAT_PIDFD | CXLTIER_FEAT_PLACEMENT |
	       CXLTIER_FEAT_HOTPLUG;
}

/**
 * cxltier_ioctl() - unlocked_ioctl of /dev/cxltier
 * @file: the open device
 * @cmd: ioctl command
 * @arg: user pointer to the command's argument struct
 *
 * Return: 0 or a negative errno; -ENOTTY for a command that is not ours.
 */
long cxltier_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct cxltier_file *cf = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct cxltier_ioctl_desc *desc;
	union cxltier_ioctl_arg karg;
	unsigned int nr;
	u32 argsz;
	long ret;

	/* Only _IO(CXLTIER_TYPE, nr): size and direction live in argsz. */
	if (_IOC_TYPE(cmd) != CXLTIER_TYPE || _IOC_DIR(cmd) != _IOC_NONE ||
	    _IOC_SIZE(cmd))
		return -ENOTTY;
	nr = _IOC_NR(cmd);
	if (nr < CXLTIER_BASE || nr - CXLTIER_BASE >= ARRAY_SIZE(cxltier_ioctls))
		return -ENOTTY;
	nr = array_index_nospec(nr - CXLTIER_BASE, ARRAY_SIZE(cxltier_ioctls));
	desc = &cxltier_ioctls[nr];
	if (!desc->handler)
		return -ENOTTY;

	if (get_user(argsz, (u32 __user *)uarg))
		return -EFAULT;
	if (argsz < desc->size)
		return -EINVAL;
	if (argsz > PAGE_SIZE)
		return -E2BIG;

	ret = copy_struct_from_user(&karg, desc->size, uarg, argsz);
	if (ret)
		return ret;

	ret = desc->handler(cf, &karg);
	if (ret) {
		if (desc->copy_on_error &&
		    copy_to_user(uarg, &karg, desc->size))
			return -EFAULT;
		return ret;
	}

	if (copy_to_user(uarg, &karg, desc->size))
		return -EFAULT;
	return 0;
}
