// SPDX-License-Identifier: GPL-2.0
/*
 * The fake accelerator (cxltier_test_accel) does what later tests rely
 * on: long-term pins, DMA through kernel mappings that leaves Accessed
 * bits clear, reports to cxltier, unpin and re-pin of exact sub-ranges,
 * per-page state, and clean release.  Needs cxltier.ko; loads the
 * accelerator module.
 */
#include <sys/wait.h>

#include "heat_util.h"
#include "kselftest_harness.h"

#define MB (1ULL << 20)
#define SZ (4 * MB)

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = CXLTA_FNV_OFFSET;

	while (n--) {
		h ^= *p++;
		h *= CXLTA_FNV_PRIME;
	}
	return h;
}

FIXTURE(accel)
{
	int afd, fd;
	uint8_t *buf;
	uint32_t handle;
};

FIXTURE_SETUP(accel)
{
	self->afd = hu_accel_open();
	ASSERT_LE(0, self->afd) TH_LOG("fake accelerator: %s", strerror(-self->afd));
	self->fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->buf = mmap(NULL, SZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	madvise(self->buf, SZ, MADV_NOHUGEPAGE);
	memset(self->buf, 0x5a, SZ);
	ASSERT_EQ(0, hu_accel_pin(self->afd, self->buf, SZ, &self->handle));
}

FIXTURE_TEARDOWN(accel)
{
	close(self->afd);
	close(self->fd);
	munmap(self->buf, SZ);
}

/* Pinned pages show in the query and in cxltier's pinned_pages. */
TEST_F(accel, pin_query)
{
	static struct cxlta_page_info info[SZ / 4096];
	struct cxltier_chunk_heat h[2];
	struct cxlta_query q = {
		.argsz = sizeof(q), .handle = self->handle,
		.nr_pages = SZ / 4096, .pages = (uintptr_t)info,
	};
	uint32_t id;
	unsigned int i;

	ASSERT_EQ(0, hu_ioctl(self->afd, CXLTA_IOC_QUERY, &q));
	EXPECT_EQ(SZ / 4096, q.nr_pages);
	EXPECT_EQ(SZ / 4096, q.nr_pinned);
	for (i = 0; i < SZ / 4096; i++) {
		EXPECT_EQ(CXLTA_PAGE_PINNED, info[i].flags);
		EXPECT_LE(0, info[i].node);
	}
	ASSERT_EQ(0, hu_track(self->fd, self->buf, SZ, 0, CXLTIER_SRC_ALL, &id));
	ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 2, CXLTIER_HEAT_REFRESH, NULL));
	EXPECT_EQ(512, h[0].pinned_pages);
	EXPECT_EQ(512, h[1].resident_pages);
	EXPECT_EQ(info[0].node, h[0].node);
	/* Unpin the second chunk: cxltier sees it. */
	ASSERT_EQ(0, hu_accel_range(self->afd, CXLTA_IOC_UNPIN, self->handle,
				    2 * MB, 2 * MB));
	ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 2, CXLTIER_HEAT_REFRESH, NULL));
	EXPECT_EQ(512, h[0].pinned_pages);
	EXPECT_EQ(0, h[1].pinned_pages);
	q.first_page = 512;
	q.nr_pages = 1;
	ASSERT_EQ(0, hu_ioctl(self->afd, CXLTA_IOC_QUERY, &q));
	EXPECT_EQ(256 * 2, q.nr_pinned);
	EXPECT_EQ(0, info[0].flags);
	EXPECT_EQ(-1, info[0].node);
}

/*
 * Two more passes of the scanner thread: every Accessed bit set before
 * has been cleared (a pass covers a small range whole).  Placement
 * reads leave the bits alone, so this is how a test clears them.
 */
static int wait_two_scans(void)
{
	long long p = hu_sysfs_get("stats/scan_passes");
	int i;

	for (i = 0; i < 3000; i++) {
		if (hu_sysfs_get("stats/scan_passes") >= p + 2)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* DMA moves the right bytes and leaves the Accessed bits clear. */
TEST_F(accel, dma_data_and_accessed_bits)
{
	static uint8_t src[3 * 4096 + 123];
	struct cxltier_chunk_heat h[2];
	struct cxlta_dma d;
	long long young;
	uint32_t id;
	size_t i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = i * 7;
	ASSERT_EQ(0, hu_track(self->fd, self->buf, SZ, 0, CXLTIER_SRC_CPU, &id));
	/* The scanner clears every Accessed bit. */
	ASSERT_EQ(0, wait_two_scans());
	young = hu_sysfs_get("stats/young_found");

	memset(&d, 0, sizeof(d));
	d.argsz = sizeof(d);
	d.flags = CXLTA_DMA_WRITE;
	d.handle = self->handle;
	d.offset = 4096 - 100;
	d.length = sizeof(src);
	d.buf = (uintptr_t)src;
	ASSERT_EQ(0, hu_ioctl(self->afd, CXLTA_IOC_DMA, &d));
	EXPECT_EQ(fnv(src, sizeof(src)), d.checksum);
	/* Device reads back a pattern fill of another span. */
	d.offset = MB;
	d.length = 8192;
	d.buf = 0;
	d.pattern = 0xa5;
	ASSERT_EQ(0, hu_ioctl(self->afd, CXLTA_IOC_DMA, &d));
	/* No CPU access since the scan: the scanner finds nothing young. */
	ASSERT_EQ(0, wait_two_scans());
	ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 2, CXLTIER_HEAT_REFRESH, NULL));
	EXPECT_EQ(young, hu_sysfs_get("stats/young_found"));
	/* The CPU sees the device's writes. */
	EXPECT_EQ(0, memcmp(self->buf + 4096 - 100, src, sizeof(src)));
	EXPECT_EQ(0xa5, self->buf[MB + 8191]);
	EXPECT_EQ(0x5a, self->buf[MB + 8192]);
	/* A device read returns the bytes and their checksum. */
	memset(&d, 0, sizeof(d));
	d.argsz = sizeof(d);
	d.handle = self->handle;
	d.offset = 4096 - 100;
	d.length = sizeof(src);
	d.buf = (uintptr_t)src;
	memset(src, 0, sizeof(src));
	ASSERT_EQ(0, hu_ioctl(self->afd, CXLTA_IOC_DMA, &d));
	EXPECT_EQ(0, memcmp(self->buf + 4096 - 100, src, sizeof(src)));
	EXPECT_EQ(fnv(self->buf + 4096 - 100, sizeof(src)), d.checksum);
}

/* Reports reach cxltier's device heat; untracked memory is -ENOENT. */
TEST_F(accel, dma_report)
{
	struct cxltier_chunk_heat h[2];
	long long reports = hu_sysfs_get("stats/device_reports");
	int res = 0, i;
	uint32_t id;

	ASSERT_EQ(0, hu_accel_dma(self->afd, self->handle, 0, 4096, 0, 1, &res));
	EXPECT_EQ(-ENOENT, res);
	ASSERT_EQ(0, hu_track(self->fd, self->buf, SZ, 0, CXLTIER_SRC_DEVICE, &id));
	ASSERT_EQ(0, hu_accel_dma(self->afd, self->handle, 2 * MB - 4096, 8192, 0, 1, &res));
	EXPECT_EQ(2, res);	/* spans both chunks */
	EXPECT_EQ(reports + 1, hu_sysfs_get("stats/device_reports"));
	for (i = 0; i < 500; i++) {
		ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 2, 0, NULL));
		if (h[1].last_epoch)
			break;
		usleep(10000);
	}
	EXPECT_NE(0, h[0].last_epoch);
	EXPECT_NE(0, h[1].last_epoch);
	EXPECT_LT(0, h[1].heat);
	EXPECT_EQ(0, h[0].cpu_young);
}

/* Unpin and re-pin exact sub-ranges; DMA there is -EAGAIN meanwhile. */
TEST_F(accel, unpin_repin)
{
	struct cxlta_query q = { .argsz = sizeof(q), .handle = self->handle };

	ASSERT_EQ(0, hu_accel_range(self->afd, CXLTA_IOC_UNPIN, self->handle,
				    MB, MB));
	EXPECT_EQ(-EAGAIN, hu_accel_dma(self->afd, self->handle, MB, 1, 1, 0, NULL));
	EXPECT_EQ(-EAGAIN, hu_accel_dma(self->afd, self->handle, MB - 1, 2, 0, 0, NULL));
	EXPECT_EQ(-EAGAIN, hu_accel_dma(self->afd, self->handle, 2 * MB - 1, 1, 0, 0, NULL));
	EXPECT_EQ(0, hu_accel_dma(self->afd, self->handle, MB - 4096, 4096, 1, 0, NULL));
	EXPECT_EQ(0, hu_accel_dma(self->afd, self->handle, 2 * MB, 4096, 1, 0, NULL));
	/* Not all pinned / not all unpinned. */
	EXPECT_EQ(-EINVAL, hu_accel_range(self->afd, CXLTA_IOC_UNPIN, self->handle,
					  MB, 4096));
	EXPECT_EQ(-EINVAL, hu_accel_range(self->afd, CXLTA_IOC_REPIN, self->handle,
					  0, 2 * MB));
	ASSERT_EQ(0, hu_ioctl(self->afd, CXLTA_IOC_QUERY, &q));
	EXPECT_EQ((SZ - MB) / 4096, q.nr_pinned);
	/* The process may replace the memory meanwhile, as a migration would. */
	self->buf[MB] = 0x11;
	ASSERT_EQ(0, hu_accel_range(self->afd, CXLTA_IOC_REPIN, self->handle,
				    MB, MB));
	EXPECT_EQ(0, hu_accel_dma(self->afd, self->handle, MB, 4096, 0, 0, NULL));
	q.nr_pages = 0;	/* count only */
	ASSERT_EQ(0, hu_ioctl(self->afd, CXLTA_IOC_QUERY, &q));
	EXPECT_EQ(SZ / 4096, q.nr_pinned);
	/* Bad sub-ranges. */
	EXPECT_EQ(-EINVAL, hu_accel_range(self->afd, CXLTA_IOC_UNPIN, self->handle, 1, 4096));
	EXPECT_EQ(-EINVAL, hu_accel_range(self->afd, CXLTA_IOC_UNPIN, self->handle, 0, 0));
	EXPECT_EQ(-EINVAL, hu_accel_range(self->afd, CXLTA_IOC_UNPIN, self->handle, 0, SZ + 4096));
	EXPECT_EQ(-EINVAL, hu_accel_range(self->afd, CXLTA_IOC_UNPIN, self->handle, SZ, 4096));
	EXPECT_EQ(-EINVAL, hu_accel_range(self->afd, CXLTA_IOC_RELEASE, self->handle, 0, 4096));
	EXPECT_EQ(-ENOENT, hu_accel_range(self->afd, CXLTA_IOC_UNPIN, self->handle + 1, 0, 4096));
	EXPECT_EQ(0, hu_accel_range(self->afd, CXLTA_IOC_RELEASE, self->handle, 0, 0));
	EXPECT_EQ(-ENOENT, hu_accel_range(self->afd, CXLTA_IOC_RELEASE, self->handle, 0, 0));
}

/* Argument checks, and a handle is its creator's only. */
TEST_F(accel, errors)
{
	struct cxlta_pin p = { .argsz = sizeof(p) };
	struct cxlta_dma d = { .argsz = sizeof(d), .handle = self->handle,
			       .length = 1 };
	uint32_t h;
	pid_t pid;
	int status;

	EXPECT_EQ(-EINVAL, hu_accel_pin(self->afd, self->buf + 1, 4096, &h));
	EXPECT_EQ(-EINVAL, hu_accel_pin(self->afd, self->buf, 0, &h));
	EXPECT_EQ(-EINVAL, hu_accel_pin(self->afd, self->buf, 100, &h));
	EXPECT_EQ(-EFAULT, hu_accel_pin(self->afd, (void *)4096, 4096, &h));
	EXPECT_EQ(-ENOSPC, hu_accel_pin(self->afd, self->buf, 1ULL << 40, &h));
	p.addr = (uintptr_t)self->buf;
	p.length = 4096;
	p.flags = 1;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->afd, CXLTA_IOC_PIN, &p));
	p.flags = 0;
	p.argsz = 8;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->afd, CXLTA_IOC_PIN, &p));
	EXPECT_EQ(-ENOTTY, hu_ioctl(self->afd, _IO(CXLTA_TYPE, 0x6f), &p));
	d.flags = 4;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->afd, CXLTA_IOC_DMA, &d));
	d.flags = 0;
	d.offset = SZ;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->afd, CXLTA_IOC_DMA, &d));
	d.offset = SZ - 1;
	d.length = 2;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->afd, CXLTA_IOC_DMA, &d));
	d.offset = 0;
	d.length = 10;
	d.buf = 8;
	EXPECT_EQ(-EFAULT, hu_ioctl(self->afd, CXLTA_IOC_DMA, &d));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)	/* same file, another mm */
		_exit(hu_accel_dma(self->afd, self->handle, 0, 1, 0, 0, NULL) != -EPERM);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Closing the file releases every pin. */
TEST_F(accel, close_releases)
{
	struct cxltier_chunk_heat h[2];
	uint32_t id, h2;

	ASSERT_EQ(0, hu_accel_pin(self->afd, self->buf, 2 * MB, &h2));
	ASSERT_EQ(0, hu_track(self->fd, self->buf, SZ, 0, CXLTIER_SRC_CPU, &id));
	ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 2, CXLTIER_HEAT_REFRESH, NULL));
	EXPECT_EQ(512, h[0].pinned_pages);
	close(self->afd);
	self->afd = open(CXLTA_DEV, O_RDWR);
	ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 2, CXLTIER_HEAT_REFRESH, NULL));
	EXPECT_EQ(0, h[0].pinned_pages);
	EXPECT_EQ(0, h[1].pinned_pages);
	EXPECT_EQ(512, h[1].resident_pages);
}

TEST_HARNESS_MAIN
