/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kdev: the one place in user space that speaks the /dev/cxltier ioctl
 * ABI.  Everything else (daemon, library, tools) goes through these
 * calls, which fill argsz, zero the reserved fields and return -errno.
 */
#ifndef CXLTIER_KDEV_H
#define CXLTIER_KDEV_H

#include <stdint.h>
#include <linux/cxltier.h>

#define CXLTIER_DEV_PATH "/dev/cxltier"

/**
 * struct kdev - an open /dev/cxltier after a successful handshake
 * @fd: the file descriptor
 * @api_version: the module's CXLTIER_API_VERSION
 * @features: CXLTIER_FEAT_* the module supports
 * @ioctls: supported ioctl mask (bit n: CXLTIER_BASE + n)
 */
struct kdev {
	int fd;
	uint32_t api_version;
	uint64_t features;
	uint64_t ioctls;
};

/* Open @path (NULL: /dev/cxltier) and handshake.  0 or -errno. */
int kdev_open(struct kdev *dev, const char *path);
void kdev_close(struct kdev *dev);

/* Does the module implement ioctl @cmd (a CXLTIER_IOC_* value)? */
int kdev_has_ioctl(const struct kdev *dev, unsigned long cmd);

/* CXLTIER_IOC_HANDSHAKE on an open fd; fills @hs.  0 or -errno. */
int kdev_handshake(int fd, struct cxltier_handshake *hs);

#endif /* CXLTIER_KDEV_H */
