// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * adapter "test-accel": pins through cxltier's fake accelerator
 * (selftests/cxltier/kmod/cxltier_test_accel.c), which long-term pins a
 * user range the way a GPU driver does and can unpin and re-pin exact
 * sub-ranges of it.  cxltier's end-to-end tests and benchmarks use it in
 * place of a real accelerator.
 *
 * A handle of the fake accelerator belongs to the file that created it,
 * so an application that also wants to DMA through the handle passes its
 * own open file as "fd=N" (the adapter keeps a duplicate); otherwise the
 * adapter opens the device named by the argument, or the default one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/cxltier_test_accel.h>

#include "adapter.h"

#define TEST_ACCEL_DEV "/dev/cxltier_test_accel"

/**
 * struct ta_pin - the adapter's state for one buffer
 * @fd: the fake accelerator's file (ours, or a duplicate of the caller's)
 * @handle: the pin's handle
 */
struct ta_pin {
	int fd;
	uint32_t handle;
};

static int test_accel_probe(char *why, size_t len)
{
	if (!access(TEST_ACCEL_DEV, F_OK))
		return 0;
	if (why && len)
		snprintf(why, len,
			 "%s: %s (is cxltier_test_accel.ko loaded?)",
			 TEST_ACCEL_DEV, strerror(errno));
	return -ENODEV;
}

/* Open the accelerator as @arg says: NULL, a path, or "fd=N". */
static int ta_open(const char *arg, char *why, size_t len)
{
	const char *path = arg ? arg : TEST_ACCEL_DEV;
	char *end;
	long n;
	int fd;

	if (arg && !strncmp(arg, "fd=", 3)) {
		errno = 0;
		n = strtol(arg + 3, &end, 10);
		if (errno || *end || end == arg + 3 || n < 0 || n > 1 << 20) {
			snprintf(why, len, "bad adapter argument \"%s\"", arg);
			return -EINVAL;
		}
		fd = fcntl((int)n, F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			snprintf(why, len, "fd %ld: %s", n, strerror(errno));
			return -EBADF;
		}
		return fd;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? -ENODEV : -errno;
	}
	return fd;
}

static int ta_range(int fd, unsigned long cmd, uint32_t handle, uint64_t off,
		    uint64_t len)
{
	struct cxlta_range r;

	memset(&r, 0, sizeof(r));
	r.argsz = sizeof(r);
	r.handle = handle;
	r.offset = off;
	r.length = len;
	return ioctl(fd, cmd, &r) < 0 ? -errno : 0;
}

static int test_accel_attach(struct lib_pin *pin, const char *arg, char *why,
			     size_t len)
{
	struct cxlta_pin p;
	struct ta_pin *ta;
	int fd, ret;

	fd = ta_open(arg, why, len);
	if (fd < 0)
		return fd;
	ta = calloc(1, sizeof(*ta));
	if (!ta) {
		close(fd);
		return -ENOMEM;
	}
	memset(&p, 0, sizeof(p));
	p.argsz = sizeof(p);
	p.addr = pin->addr;
	p.length = pin->length;
	if (ioctl(fd, CXLTA_IOC_PIN, &p) < 0) {
		ret = -errno;
		snprintf(why, len, "cannot pin [%#llx, +%#llx): %s",
			 (unsigned long long)pin->addr,
			 (unsigned long long)pin->length, strerror(errno));
		close(fd);
		free(ta);
		return ret;
	}
	ta->fd = fd;
	ta->handle = p.handle;
	pin->priv = ta;
	pin->handle = p.handle;
	pin->has_handle = 1;
	return 0;
}

static int test_accel_release(struct lib_pin *pin, uint64_t off, uint64_t len)
{
	struct ta_pin *ta = pin->priv;

	return ta_range(ta->fd, CXLTA_IOC_UNPIN, ta->handle, off, len);
}

static int test_accel_repin(struct lib_pin *pin, uint64_t off, uint64_t len)
{
	struct ta_pin *ta = pin->priv;

	return ta_range(ta->fd, CXLTA_IOC_REPIN, ta->handle, off, len);
}

static void test_accel_detach(struct lib_pin *pin)
{
	struct ta_pin *ta = pin->priv;

	ta_range(ta->fd, CXLTA_IOC_RELEASE, ta->handle, 0, 0);
	close(ta->fd);
	free(ta);
	pin->priv = NULL;
	pin->has_handle = 0;
}

const struct lib_adapter lib_adapter_test_accel = {
	.name = "test-accel",
	.probe = test_accel_probe,
	.attach = test_accel_attach,
	.release = test_accel_release,
	.repin = test_accel_repin,
	.detach = test_accel_detach,
};
