// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kdev: /dev/cxltier ioctl wrappers.  See kdev.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kdev.h"

int kdev_handshake(int fd, struct cxltier_handshake *hs)
{
	memset(hs, 0, sizeof(*hs));
	hs->argsz = sizeof(*hs);
	hs->api_version = CXLTIER_API_VERSION;
	if (ioctl(fd, CXLTIER_IOC_HANDSHAKE, hs) < 0)
		return -errno;
	return 0;
}

int kdev_open(struct kdev *dev, const char *path)
{
	struct cxltier_handshake hs;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->fd = open(path ? path : CXLTIER_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0)
		return -errno;
	ret = kdev_handshake(dev->fd, &hs);
	if (ret) {
		close(dev->fd);
		dev->fd = -1;
		return ret;
	}
	dev->api_version = hs.api_version;
	dev->features = hs.features;
	dev->ioctls = hs.ioctls;
	return 0;
}

void kdev_close(struct kdev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

int kdev_has_ioctl(const struct kdev *dev, unsigned long cmd)
{
	unsigned int nr = _IOC_NR(cmd);

	if (nr < CXLTIER_BASE || nr - CXLTIER_BASE >= 64)
		return 0;
	return !!(dev->ioctls & (1ULL << (nr - CXLTIER_BASE)));
}
