// SPDX-License-Identifier: GPL-2.0
/*
 * ABI selftests of /dev/cxltier common to every ioctl: the handshake,
 * argsz, flags and reserved-field rules, unknown commands, the device
 * node and who may open it.  Needs cxltier.ko loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/cxltier.h>

#include "kselftest_harness.h"

#define DEV "/dev/cxltier"

static void hs_init(struct cxltier_handshake *hs)
{
	memset(hs, 0, sizeof(*hs));
	hs->argsz = sizeof(*hs);
	hs->api_version = CXLTIER_API_VERSION;
}

/* ioctl() returning -errno, so EXPECT_EQ can name the errno. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

FIXTURE(dev)
{
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", DEV, strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

/* A well-formed handshake returns the module's version and masks. */
TEST_F(dev, handshake)
{
	struct cxltier_handshake hs;

	hs_init(&hs);
	ASSERT_EQ(0, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs));
	EXPECT_EQ(CXLTIER_API_VERSION, hs.api_version);
	EXPECT_EQ(sizeof(hs), hs.argsz);
	/* The handshake itself is always advertised. */
	EXPECT_TRUE(hs.ioctls & 1);
	EXPECT_EQ(0, hs.ioctls >> (CXLTIER_IOC_NR_END - CXLTIER_BASE));
}

/* A caller built against a newer API still learns the module's version. */
TEST_F(dev, handshake_newer_caller)
{
	struct cxltier_handshake hs;

	hs_init(&hs);
	hs.api_version = CXLTIER_API_VERSION + 100;
	ASSERT_EQ(0, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs));
	EXPECT_EQ(CXLTIER_API_VERSION, hs.api_version);
}

/* API version 0 is not a version. */
TEST_F(dev, handshake_version_zero)
{
	struct cxltier_handshake hs;

	hs_init(&hs);
	hs.api_version = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs));
}

/* Any flag bit but CXLTIER_HANDSHAKE_HOTPLUG_EVENTS is unknown today. */
TEST_F(dev, handshake_flags)
{
	struct cxltier_handshake hs;
	int bit;

	hs_init(&hs);
	hs.flags = CXLTIER_HANDSHAKE_HOTPLUG_EVENTS;
	EXPECT_EQ(0, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs));
	EXPECT_TRUE(hs.features & CXLTIER_FEAT_HOTPLUG);
	for (bit = 1; bit < 32; bit++) {
		hs_init(&hs);
		hs.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs));
	}
}

/* Every reserved field must be zero. */
TEST_F(dev, handshake_reserved)
{
	struct cxltier_handshake hs;
	size_t i;

	hs_init(&hs);
	hs.reserved0 = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs));
	for (i = 0; i < sizeof(hs.reserved) / sizeof(hs.reserved[0]); i++) {
		hs_init(&hs);
		hs.reserved[i] = 1ULL << 63;
		EXPECT_EQ(-EINVAL, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs));
	}
}

/* argsz below the struct's first version is -EINVAL. */
TEST_F(dev, short_argsz)
{
	struct cxltier_handshake hs;
	uint32_t sz;

	for (sz = 0; sz < sizeof(hs); sz++) {
		hs_init(&hs);
		hs.argsz = sz;
		EXPECT_EQ(-EINVAL, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs))
			TH_LOG("argsz %u", sz);
	}
}

/* A larger struct is fine while the bytes the module does not know are 0. */
TEST_F(dev, long_argsz)
{
	struct {
		struct cxltier_handshake hs;
		uint8_t tail[64];
	} big;

	memset(&big, 0, sizeof(big));
	big.hs.argsz = sizeof(big);
	big.hs.api_version = CXLTIER_API_VERSION;
	ASSERT_EQ(0, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &big));
	EXPECT_EQ(CXLTIER_API_VERSION, big.hs.api_version);

	big.tail[63] = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &big));
}

/* argsz beyond a page is refused before anything is read. */
TEST_F(dev, huge_argsz)
{
	static uint8_t page[8192];
	struct cxltier_handshake *hs = (void *)page;

	memset(page, 0, sizeof(page));
	hs->argsz = sizeof(page);
	hs->api_version = CXLTIER_API_VERSION;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, hs));
	hs->argsz = UINT32_MAX;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, hs));
}

/* Bad user pointers give -EFAULT, never an oops. */
TEST_F(dev, bad_pointer)
{
	EXPECT_EQ(-EFAULT, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, NULL));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, (void *)16));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE,
				  (void *)0xffffffffff600000ULL));
}

/* Commands that are not ours are -ENOTTY. */
TEST_F(dev, unknown_ioctl)
{
	struct cxltier_handshake hs;
	unsigned int nr;

	hs_init(&hs);
	for (nr = 0; nr < 256; nr++) {
		if (nr >= CXLTIER_BASE && nr < CXLTIER_IOC_NR_END)
			continue;
		EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(CXLTIER_TYPE, nr), &hs))
			TH_LOG("nr 0x%x", nr);
	}
	/* Right number, wrong type or an encoded size/direction. */
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(0xCF, CXLTIER_BASE), &hs));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IOWR(CXLTIER_TYPE, CXLTIER_BASE,
						  struct cxltier_handshake), &hs));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IOR(CXLTIER_TYPE, CXLTIER_BASE, int), &hs));
	/* API version 1's type, 0xCE, is the CXL subsystem's: not ours now. */
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(0xCE, CXLTIER_BASE), &hs));
	/* Generic tty/file ioctls are not ours either. */
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, TCGETS, &hs));
}

/* The ioctls mask is honest: advertised ones exist, the rest are -ENOTTY. */
TEST_F(dev, ioctl_mask)
{
	struct cxltier_handshake hs;
	uint32_t zero_argsz = 0;
	unsigned int nr;

	hs_init(&hs);
	ASSERT_EQ(0, xioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs));
	for (nr = CXLTIER_BASE; nr < CXLTIER_BASE + 32; nr++) {
		int ret = xioctl(self->fd, _IO(CXLTIER_TYPE, nr), &zero_argsz);

		if (hs.ioctls & (1ULL << (nr - CXLTIER_BASE))) {
			EXPECT_EQ(-EINVAL, ret) TH_LOG("advertised nr 0x%x", nr);
		} else {
			EXPECT_EQ(-ENOTTY, ret) TH_LOG("unadvertised nr 0x%x", nr);
		}
	}
}

/* /dev/cxltier is a root-only character device. */
TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(10, major(st.st_rdev)); /* a misc device */
}

/* An unprivileged user cannot open it. */
TEST(open_unprivileged)
{
	pid_t pid;
	int status;

	if (geteuid())
		SKIP(return, "not applicable: needs root to drop privileges");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(open(DEV, O_RDWR) < 0 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Two opens are independent; closing one leaves the other working. */
TEST(two_opens)
{
	struct cxltier_handshake hs;
	int a, b;

	a = open(DEV, O_RDWR);
	b = open(DEV, O_RDWR);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	close(a);
	hs_init(&hs);
	EXPECT_EQ(0, xioctl(b, CXLTIER_IOC_HANDSHAKE, &hs));
	close(b);
}

TEST_HARNESS_MAIN
