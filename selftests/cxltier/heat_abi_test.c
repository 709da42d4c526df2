// SPDX-License-Identifier: GPL-2.0
/*
 * Heat-tracking ABI selftests: every documented errno of TRACK, UNTRACK,
 * REPORT, GET_HEAT and GET_RANGES, read()/poll() epoch events, the sysfs
 * tunables' bounds, and range lifetimes (owner exit while the scanner
 * runs, a file closed while another thread reads).  Needs cxltier.ko
 * loaded; runs as root.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <sys/stat.h>

#include "heat_util.h"
#include "testbed.h"
#include "kselftest_harness.h"

#define MB (1ULL << 20)
#define BUFSZ (8 * MB)

FIXTURE(heat)
{
	int fd;
	char *buf;
	struct hu_tunables saved;
};

FIXTURE_SETUP(heat)
{
	hu_tunables_save(&self->saved);
	self->fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->buf = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(heat)
{
	close(self->fd);
	munmap(self->buf, BUFSZ);
	hu_tunables_restore(&self->saved);
}

/* The handshake advertises tracking and its ioctls. */
TEST_F(heat, features)
{
	struct cxltier_handshake hs = {
		.argsz = sizeof(hs), .api_version = CXLTIER_API_VERSION,
	};
	unsigned long cmds[] = {
		CXLTIER_IOC_TRACK, CXLTIER_IOC_UNTRACK, CXLTIER_IOC_REPORT,
		CXLTIER_IOC_GET_HEAT, CXLTIER_IOC_GET_RANGES,
	};
	unsigned int i;

	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs));
	EXPECT_EQ(CXLTIER_FEAT_TRACK | CXLTIER_FEAT_CPU_SCAN |
		  CXLTIER_FEAT_DEV_REPORT | CXLTIER_FEAT_POLL,
		  hs.features & (CXLTIER_FEAT_TRACK | CXLTIER_FEAT_CPU_SCAN |
				 CXLTIER_FEAT_DEV_REPORT | CXLTIER_FEAT_POLL));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		EXPECT_TRUE(hs.ioctls & (1ULL << (_IOC_NR(cmds[i]) - CXLTIER_BASE)));
}

/* A well-formed TRACK returns an id and the chunk count; UNTRACK frees it. */
TEST_F(heat, track_untrack)
{
	long long ranges = hu_sysfs_get("stats/ranges");
	long long chunks = hu_sysfs_get("stats/chunks");
	struct cxltier_track t;

	hu_track_init(&t, self->buf, BUFSZ - 4096, 0, CXLTIER_SRC_ALL);
	strcpy(t.label, "kv-cache");
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_TRACK, &t));
	EXPECT_NE(0, t.id);
	EXPECT_EQ(4, t.nr_chunks);	/* 2 MiB default, last one partial */
	EXPECT_EQ(ranges + 1, hu_sysfs_get("stats/ranges"));
	EXPECT_EQ(chunks + 4, hu_sysfs_get("stats/chunks"));
	EXPECT_LT(0, hu_sysfs_get("stats/metadata_bytes"));
	EXPECT_EQ(0, hu_untrack(self->fd, t.id));
	EXPECT_EQ(-ENOENT, hu_untrack(self->fd, t.id));
	EXPECT_EQ(ranges, hu_sysfs_get("stats/ranges"));
	EXPECT_EQ(chunks, hu_sysfs_get("stats/chunks"));
}

/* Every malformed TRACK is -EINVAL. */
TEST_F(heat, track_einval)
{
	struct cxltier_track t;
	int i;

#define BAD(stmt) do {							\
		hu_track_init(&t, self->buf, BUFSZ, 0, CXLTIER_SRC_CPU); \
		stmt;							\
		EXPECT_EQ(-EINVAL, hu_ioctl(self->fd, CXLTIER_IOC_TRACK, &t)) \
			TH_LOG("%s", #stmt);				\
	} while (0)
	BAD(t.flags = 1);
	BAD(t.flags = 1U << 31);
	BAD(t.reserved[0] = 1);
	BAD(t.reserved[1] = 1);
	BAD(t.id = 1);
	BAD(t.nr_chunks = 1);
	BAD(t.sources = 0);
	BAD(t.sources = 1U << 2);
	BAD(t.start += 1);
	BAD(t.start += 2048);
	BAD(t.length = 0);
	BAD(t.length = 4095);
	BAD(t.length += 1);
	BAD(t.start = ~0ULL & ~4095ULL; t.length = 8192);
	BAD(t.start = 1ULL << 57; t.length = 4096);
	BAD(t.chunk_size = 3 * MB);
	BAD(t.chunk_size = 32 << 10);
	BAD(t.chunk_size = 2ULL << 30);
	BAD(t.chunk_size = 1);
	BAD(t.pid = -1);
	BAD(t.label[0] = '\n');
	BAD(memcpy(t.label, "ab\x80", 4));
	BAD(memset(t.label, 'a', sizeof(t.label)));
#undef BAD
	for (i = 0; i < 64; i++) {
		if (i >= 16 && i <= 30)
			continue;	/* 64K .. 1G are valid */
		hu_track_init(&t, self->buf, BUFSZ, 1ULL << i, CXLTIER_SRC_CPU);
		EXPECT_EQ(-EINVAL, hu_ioctl(self->fd, CXLTIER_IOC_TRACK, &t))
			TH_LOG("chunk 2^%d", i);
	}
	EXPECT_EQ(0, hu_sysfs_get("stats/ranges"));
}

/* Unmapped memory is -EFAULT, overlapping a range of the same mm -EEXIST. */
TEST_F(heat, track_efault_eexist)
{
	uint32_t a, b;

	ASSERT_EQ(0, munmap(self->buf + 4 * MB, 4096));
	EXPECT_EQ(-EFAULT, hu_track(self->fd, self->buf, BUFSZ, 0,
				    CXLTIER_SRC_CPU, NULL));
	EXPECT_EQ(-EFAULT, hu_track(self->fd, self->buf + 4 * MB, 4096, 0,
				    CXLTIER_SRC_CPU, NULL));
	ASSERT_EQ(0, hu_track(self->fd, self->buf, 4 * MB, 0, CXLTIER_SRC_CPU, &a));
	EXPECT_EQ(-EEXIST, hu_track(self->fd, self->buf + 2 * MB, 4096, 0,
				    CXLTIER_SRC_CPU, NULL));
	EXPECT_EQ(-EEXIST, hu_track(self->fd, self->buf, 4096, 0,
				    CXLTIER_SRC_CPU, NULL));
	/* Adjacent is fine, and another file sees the same overlap. */
	ASSERT_EQ(0, hu_track(self->fd, self->buf + 4 * MB + 4096,
			      BUFSZ - 4 * MB - 4096, 0, CXLTIER_SRC_CPU, &b));
	{
		int fd2 = open(CXLTIER_DEV, O_RDWR);

		ASSERT_LE(0, fd2);
		EXPECT_EQ(-EEXIST, hu_track(fd2, self->buf, 4096, 0,
					    CXLTIER_SRC_CPU, NULL));
		/* Not its range: UNTRACK from another file is -ENOENT. */
		EXPECT_EQ(-ENOENT, hu_untrack(fd2, a));
		close(fd2);
	}
	EXPECT_EQ(0, hu_untrack(self->fd, a));
	EXPECT_EQ(0, hu_untrack(self->fd, b));
}

/* Limits are -ENOSPC; a huge request fails quietly (no kernel warning). */
TEST_F(heat, track_enospc)
{
	uint32_t ids[3];
	char *huge;

	ASSERT_EQ(0, hu_sysfs_set("max_ranges_per_fd", "2"));
	ASSERT_EQ(0, hu_track(self->fd, self->buf, 2 * MB, 0, CXLTIER_SRC_CPU, &ids[0]));
	ASSERT_EQ(0, hu_track(self->fd, self->buf + 2 * MB, 2 * MB, 0,
			      CXLTIER_SRC_CPU, &ids[1]));
	EXPECT_EQ(-ENOSPC, hu_track(self->fd, self->buf + 4 * MB, 2 * MB, 0,
				    CXLTIER_SRC_CPU, NULL));
	EXPECT_EQ(0, hu_untrack(self->fd, ids[1]));
	ASSERT_EQ(0, hu_sysfs_set("max_ranges_per_fd", "1024"));

	ASSERT_EQ(0, hu_sysfs_set("max_chunks", "50"));
	EXPECT_EQ(-ENOSPC, hu_track(self->fd, self->buf + 2 * MB, 6 * MB,
				    64 << 10, CXLTIER_SRC_CPU, NULL));
	ASSERT_EQ(0, hu_track(self->fd, self->buf + 2 * MB, 6 * MB, 0,
			      CXLTIER_SRC_CPU, &ids[2]));
	EXPECT_EQ(0, hu_untrack(self->fd, ids[2]));
	EXPECT_EQ(0, hu_untrack(self->fd, ids[0]));

	/* 16 TiB of 64 KiB chunks: 2^28 chunks, about 15 GB of metadata. */
	ASSERT_EQ(0, hu_sysfs_set("max_chunks", "268435456"));
	huge = mmap(NULL, 16ULL << 40, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, huge);
	EXPECT_EQ(-ENOMEM, hu_track(self->fd, huge, 16ULL << 40, 64 << 10,
				    CXLTIER_SRC_CPU, NULL));
	munmap(huge, 16ULL << 40);
	EXPECT_EQ(0, hu_sysfs_get("stats/ranges"));
}

/* TRACK of another process: -ESRCH when gone, works as root, dies with it. */
TEST_F(heat, track_other_process)
{
	struct cxltier_chunk_heat h[4];
	struct cxltier_range_info info;
	struct cxltier_get_ranges g;
	struct cxltier_track t;
	int p2c[2], c2p[2];
	uint64_t addr;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *m = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		memset(m, 1, BUFSZ);
		addr = (uintptr_t)m;
		if (write(c2p[1], &addr, sizeof(addr)) != sizeof(addr))
			_exit(1);
		if (read(p2c[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(sizeof(addr), read(c2p[0], &addr, sizeof(addr)));
	hu_track_init(&t, (void *)(uintptr_t)addr, BUFSZ, 0, CXLTIER_SRC_ALL);
	t.pid = pid;
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_TRACK, &t));
	memset(&g, 0, sizeof(g));
	g.argsz = sizeof(g);
	g.nr_ranges = 1;
	g.entry_size = sizeof(info);
	g.ranges = (uintptr_t)&info;
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_RANGES, &g));
	EXPECT_EQ(1, g.nr_ranges);
	EXPECT_EQ(pid, info.pid);
	/* The agent (root) may read and refresh another process's range. */
	ASSERT_EQ(0, hu_get_heat(self->fd, t.id, h, 4, CXLTIER_HEAT_REFRESH, NULL));
	EXPECT_EQ(512, h[0].resident_pages);
	EXPECT_LE(0, h[0].node);

	/* The owner exits: the range stays readable, pid reads 0. */
	ASSERT_EQ(1, write(p2c[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_RANGES, &g));
	EXPECT_EQ(0, info.pid);
	ASSERT_EQ(0, hu_get_heat(self->fd, t.id, h, 4, CXLTIER_HEAT_REFRESH, NULL));
	EXPECT_EQ(0, hu_report(self->fd, t.id, 0, 1, 1));
	EXPECT_EQ(0, hu_untrack(self->fd, t.id));

	/* A pid that is gone. */
	hu_track_init(&t, self->buf, BUFSZ, 0, CXLTIER_SRC_CPU);
	t.pid = pid;
	EXPECT_EQ(-ESRCH, hu_ioctl(self->fd, CXLTIER_IOC_TRACK, &t));
	close(p2c[0]);
	close(p2c[1]);
	close(c2p[0]);
	close(c2p[1]);
}

/*
 * A file opened without CAP_SYS_ADMIN: other processes' ranges look
 * absent, no RANGES_ALL, no cross-process TRACK; root's file, inherited,
 * keeps root's authority; RANGES_USER lists the user's own ranges.
 */
TEST_F(heat, eperm_unprivileged)
{
	struct stat st;
	uint32_t id;
	pid_t pid;
	int status;

	ASSERT_EQ(0, hu_track(self->fd, self->buf, BUFSZ, 0, CXLTIER_SRC_ALL, &id));
	/* Open the device to others for the child, as a runtime's group would. */
	ASSERT_EQ(0, stat(CXLTIER_DEV, &st));
	ASSERT_EQ(0, chmod(CXLTIER_DEV, 0666));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct cxltier_chunk_heat h;
		struct cxltier_get_ranges g = {
			.argsz = sizeof(g), .flags = CXLTIER_RANGES_ALL,
			.entry_size = sizeof(struct cxltier_range_info),
		};
		struct cxltier_track t;
		char *m;
		int fails = 0, fd;

		/* The child is another mm; drop root (and with it all caps). */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(100);
		/*
		 * Authority is the opener's: a file of its own, opened after
		 * dropping root, sees the parent's range as no range at all.
		 */
		fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(101);
		fails += hu_get_heat(fd, id, &h, 1, 0, NULL) != -ENOENT;
		fails += hu_report(fd, id, 0, 1, 1) != -ENOENT;
		fails += hu_ioctl(fd, CXLTIER_IOC_GET_RANGES, &g) != -EPERM;
		hu_track_init(&t, self->buf, BUFSZ, 0, CXLTIER_SRC_CPU);
		t.pid = getppid();
		fails += hu_ioctl(fd, CXLTIER_IOC_TRACK, &t) != -EPERM;
		/* root's file keeps root's authority in this process. */
		fails += hu_get_heat(self->fd, id, &h, 1, 0, NULL) != 0;
		/* Its own memory is fine. */
		m = mmap(NULL, 2 * MB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		hu_track_init(&t, m, 2 * MB, 0, CXLTIER_SRC_ALL);
		t.pid = getpid();	/* itself, named explicitly */
		fails += hu_ioctl(fd, CXLTIER_IOC_TRACK, &t) != 0;
		fails += hu_get_heat(fd, t.id, &h, 1, CXLTIER_HEAT_REFRESH, NULL) != 0;
		fails += hu_report(fd, t.id, 0, 1, 1) != 0;
		/*
		 * RANGES_USER: a second file of the same user lists that
		 * range (and reads its heat), never root's.
		 */
		{
			struct cxltier_range_info info[2];
			int fd3 = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);

			g.flags = CXLTIER_RANGES_USER;
			g.nr_ranges = 2;
			g.ranges = (uintptr_t)info;
			fails += fd3 < 0;
			fails += hu_ioctl(fd3, CXLTIER_IOC_GET_RANGES, &g) != 0;
			fails += g.nr_ranges != 1 || info[0].id != t.id;
			fails += hu_get_heat(fd3, t.id, &h, 1, 0, NULL) != 0;
			fails += hu_get_heat(fd3, id, &h, 1, 0, NULL) != -ENOENT;
			g.flags = CXLTIER_RANGES_ALL | CXLTIER_RANGES_USER;
			fails += hu_ioctl(fd3, CXLTIER_IOC_GET_RANGES, &g) != -EINVAL;
			close(fd3);
		}
		fails += hu_untrack(fd, t.id) != 0;
		_exit(fails);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	chmod(CXLTIER_DEV, st.st_mode & 07777);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, hu_untrack(self->fd, id));
}

/* UNTRACK: flags and reserved fields, unknown ids. */
TEST_F(heat, untrack_errors)
{
	struct cxltier_untrack u;
	uint32_t id;

	ASSERT_EQ(0, hu_track(self->fd, self->buf, BUFSZ, 0, CXLTIER_SRC_CPU, &id));
	memset(&u, 0, sizeof(u));
	u.argsz = sizeof(u);
	u.id = id;
	u.flags = 1;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->fd, CXLTIER_IOC_UNTRACK, &u));
	u.flags = 0;
	u.reserved0 = 1;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->fd, CXLTIER_IOC_UNTRACK, &u));
	u.reserved0 = 0;
	u.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->fd, CXLTIER_IOC_UNTRACK, &u));
	EXPECT_EQ(-ENOENT, hu_untrack(self->fd, 0));
	EXPECT_EQ(-ENOENT, hu_untrack(self->fd, id + 1000));
	EXPECT_EQ(-ENOENT, hu_untrack(self->fd, ~0U));
	EXPECT_EQ(0, hu_untrack(self->fd, id));
}

/* REPORT: every bad record is caught before anything is applied. */
TEST_F(heat, report_errors)
{
	struct cxltier_access_record recs[3];
	struct cxltier_chunk_heat h[4];
	struct cxltier_report r;
	uint32_t id, cpu_only;
	uint64_t epoch;
	int i;

	ASSERT_EQ(0, hu_sysfs_set("epoch_ms", "100"));
	ASSERT_EQ(0, hu_track(self->fd, self->buf, 4 * MB, 0, CXLTIER_SRC_DEVICE, &id));
	ASSERT_EQ(0, hu_track(self->fd, self->buf + 4 * MB, 4 * MB, 0,
			      CXLTIER_SRC_CPU, &cpu_only));

#define RESET() do {							\
		memset(&r, 0, sizeof(r));				\
		r.argsz = sizeof(r);					\
		r.nr_records = 3;					\
		r.record_size = sizeof(recs[0]);			\
		r.records = (uintptr_t)recs;				\
		for (i = 0; i < 3; i++)					\
			recs[i] = (struct cxltier_access_record){	\
				.id = id, .nr_chunks = 1,		\
				.first_chunk = i % 2, .count = 5 };	\
	} while (0)
#define BAD(err, idx, stmt) do {					\
		RESET();						\
		stmt;							\
		r.error_index = 77;					\
		EXPECT_EQ(err, hu_ioctl(self->fd, CXLTIER_IOC_REPORT, &r)) \
			TH_LOG("%s", #stmt);				\
		if ((idx) >= 0)						\
			EXPECT_EQ(idx, r.error_index) TH_LOG("%s", #stmt); \
	} while (0)
	BAD(-EINVAL, -1, r.flags = 1);
	BAD(-EINVAL, -1, r.reserved0 = 1);
	BAD(-EINVAL, -1, r.reserved[0] = 1);
	BAD(-EINVAL, -1, r.nr_records = 0);
	BAD(-EINVAL, -1, r.nr_records = CXLTIER_REPORT_MAX + 1);
	BAD(-EINVAL, -1, r.record_size = sizeof(recs[0]) - 1);
	BAD(-EINVAL, -1, r.record_size = 8192);
	BAD(-EFAULT, 0, r.records = 8);
	BAD(-EINVAL, 2, recs[2].count = 0);
	BAD(-EINVAL, 1, recs[1].count = 1ULL << 32);
	BAD(-EINVAL, 2, recs[2].nr_chunks = 0);
	BAD(-EINVAL, 1, recs[1].first_chunk = 2);
	BAD(-EINVAL, 1, recs[1].first_chunk = ~0ULL);
	BAD(-EINVAL, 2, recs[2].nr_chunks = 3);
	BAD(-EINVAL, 2, recs[2].nr_chunks = ~0U);
	BAD(-EINVAL, 1, recs[1].id = cpu_only);
	BAD(-ENOENT, 2, recs[2].id = 0);
	BAD(-ENOENT, 1, recs[1].id = id + 1000);
	/* A longer record with a non-zero tail. */
	{
		struct { struct cxltier_access_record rec; uint64_t tail; } big = {
			.rec = { .id = id, .nr_chunks = 1, .count = 1 },
			.tail = 1,
		};

		RESET();
		r.nr_records = 1;
		r.record_size = sizeof(big);
		r.records = (uintptr_t)&big;
		EXPECT_EQ(-E2BIG, hu_ioctl(self->fd, CXLTIER_IOC_REPORT, &r));
		big.tail = 0;
		big.rec.count = 2;
		EXPECT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_REPORT, &r));
	}
#undef BAD
#undef RESET

	/* Only the good report (2 accesses to chunk 0) was applied. */
	ASSERT_EQ(0, hu_wait_epochs(2));
	ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 4, 0, &epoch));
	EXPECT_NE(0, h[0].last_epoch);
	EXPECT_EQ(0, h[1].last_epoch);
	EXPECT_EQ(0, h[1].heat);
	EXPECT_LT(0, h[0].heat);
	EXPECT_GE(2 * CXLTIER_HEAT_ONE, h[0].heat);

	/* A good report shows in the next epoch, weighted by device_weight. */
	ASSERT_EQ(0, hu_sysfs_set("device_weight", "3"));
	ASSERT_EQ(0, hu_sysfs_set("half_life_ms", "0"));
	ASSERT_EQ(0, hu_sysfs_set("epoch_ms", "1000"));
	ASSERT_EQ(0, hu_report(self->fd, id, 1, 1, 7));
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 4, 0, &epoch));
		if (h[1].last_epoch)
			break;
		usleep(5000);
	}
	ASSERT_EQ(epoch, h[1].last_epoch);
	EXPECT_EQ(7, h[1].dev_count);
	EXPECT_EQ(21 * CXLTIER_HEAT_ONE, h[1].heat);
	EXPECT_EQ(0, hu_untrack(self->fd, id));
	EXPECT_EQ(0, hu_untrack(self->fd, cpu_only));
}

/* GET_HEAT: argument checks, count-then-fill, entry_size. */
TEST_F(heat, get_heat)
{
	struct {
		struct cxltier_chunk_heat h;
		uint64_t tail;
	} big[4];
	struct cxltier_chunk_heat h[4];
	struct cxltier_get_heat g;
	uint32_t id;

	memset(self->buf, 1, BUFSZ);
	ASSERT_EQ(0, hu_track(self->fd, self->buf, BUFSZ, 0, CXLTIER_SRC_CPU, &id));
#define BAD(err, stmt) do {						\
		hu_get_heat_init(&g, id, h, 4, 0);			\
		stmt;							\
		EXPECT_EQ(err, hu_ioctl(self->fd, CXLTIER_IOC_GET_HEAT, &g)) \
			TH_LOG("%s", #stmt);				\
	} while (0)
	BAD(-EINVAL, g.flags = 4);
	BAD(-EINVAL, g.flags = 1U << 31);
	BAD(-EINVAL, g.flags = CXLTIER_HEAT_REFRESH | CXLTIER_HEAT_PLACEMENT);
	BAD(-EINVAL, g.reserved0 = 1);
	BAD(-EINVAL, g.next_chunk = 1);
	BAD(-EINVAL, g.next_chunk = ~0ULL);
	BAD(-EINVAL, g.reserved = 1);
	BAD(-EINVAL, g.entry_size = sizeof(h[0]) - 1);
	BAD(-EINVAL, g.entry_size = 0);
	BAD(-EINVAL, g.first_chunk = 5);
	BAD(-EINVAL, g.first_chunk = ~0ULL);
	BAD(-ENOENT, g.id = 0);
	BAD(-ENOENT, g.id = id + 1000);
	BAD(-EFAULT, g.chunks = 8);
	BAD(0, g.first_chunk = 4);
	BAD(0, g.nr_chunks = 0; g.chunks = 0);
	EXPECT_EQ(4, g.nr_chunks);
#undef BAD
	/* Partial fill from first_chunk 3. */
	memset(h, 0xff, sizeof(h));
	hu_get_heat_init(&g, id, h, 4, CXLTIER_HEAT_REFRESH);
	g.first_chunk = 3;
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_HEAT, &g));
	EXPECT_EQ(4, g.nr_chunks);
	EXPECT_EQ(512, h[0].resident_pages);
	EXPECT_EQ(0xffffffffU, h[1].resident_pages);	/* untouched */
	/* A larger entry_size: the tail is zeroed. */
	memset(big, 0xff, sizeof(big));
	hu_get_heat_init(&g, id, &big[0].h, 4, CXLTIER_HEAT_REFRESH);
	g.entry_size = sizeof(big[0]);
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_HEAT, &g));
	EXPECT_EQ(0, big[3].tail);
	EXPECT_EQ(512, big[3].h.resident_pages);
	EXPECT_EQ(0, big[3].h.pinned_pages);
	EXPECT_EQ(0, big[3].h.reserved);
	/* Holes are not resident. */
	ASSERT_EQ(0, madvise(self->buf, 2 * MB, MADV_DONTNEED));
	ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 4, CXLTIER_HEAT_REFRESH, NULL));
	EXPECT_EQ(0, h[0].resident_pages);
	EXPECT_EQ(CXLTIER_NODE_NONE, h[0].node);
	EXPECT_EQ(0, hu_untrack(self->fd, id));
}

/* PLACEMENT: hostile cursors, and next_chunk where the read resumes. */
TEST_F(heat, placement_cursor)
{
	struct cxltier_handshake hs = {
		.argsz = sizeof(hs), .api_version = CXLTIER_API_VERSION,
	};
	struct cxltier_chunk_heat h[4];
	struct cxltier_get_heat g;
	uint32_t id;

	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs));
	EXPECT_TRUE(hs.features & CXLTIER_FEAT_PLACEMENT);
	memset(self->buf, 1, BUFSZ);
	ASSERT_EQ(0, hu_track(self->fd, self->buf, BUFSZ, 0, CXLTIER_SRC_CPU, &id));
#define PL(err, stmt) do {						\
		hu_get_heat_init(&g, id, h, 4, CXLTIER_HEAT_PLACEMENT);	\
		stmt;							\
		EXPECT_EQ(err, hu_ioctl(self->fd, CXLTIER_IOC_GET_HEAT, &g)) \
			TH_LOG("%s", #stmt);				\
	} while (0)
	PL(-EINVAL, g.first_chunk = 5);
	PL(-EINVAL, g.first_chunk = ~0ULL);
	PL(-EINVAL, g.first_chunk = 1ULL << 32);
	PL(-EINVAL, g.next_chunk = 2);
	PL(-EINVAL, g.flags |= 1U << 7);
	PL(-EFAULT, g.chunks = 8);
	/* The end of the range is a valid cursor: nothing to walk. */
	PL(0, g.first_chunk = 4);
	EXPECT_EQ(4, g.next_chunk);
	/* Room far beyond the range: clamped, no overflow. */
	PL(0, g.first_chunk = 3; g.nr_chunks = ~0U);
	EXPECT_EQ(4, g.next_chunk);
	EXPECT_EQ(512, h[0].resident_pages);
	PL(0, g.nr_chunks = 0; g.chunks = 0);
	EXPECT_EQ(0, g.next_chunk);
	EXPECT_EQ(4, g.nr_chunks);
#undef PL
	/*
	 * A small range fits one call; plain reads report the same cursor.
	 * The walk's longest mmap_lock hold is recorded; only 0 resets it.
	 */
	EXPECT_EQ(-EINVAL, hu_sysfs_set("stats/placement_hold_max_ns", "1"));
	EXPECT_EQ(-EINVAL, hu_sysfs_set("stats/placement_hold_max_ns", "x"));
	ASSERT_EQ(0, hu_sysfs_set("stats/placement_hold_max_ns", "0"));
	hu_get_heat_init(&g, id, h, 4, CXLTIER_HEAT_PLACEMENT);
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_HEAT, &g));
	EXPECT_EQ(4, g.next_chunk);
	EXPECT_LT(0, hu_sysfs_get("stats/placement_hold_max_ns"));
	EXPECT_EQ(512, h[3].resident_pages);
	EXPECT_LE(0, h[3].node);
	hu_get_heat_init(&g, id, h, 2, 0);
	g.first_chunk = 1;
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_HEAT, &g));
	EXPECT_EQ(3, g.next_chunk);
	/* Holes read as not resident. */
	ASSERT_EQ(0, madvise(self->buf + 2 * MB, 2 * MB, MADV_DONTNEED));
	hu_get_heat_init(&g, id, h, 4, CXLTIER_HEAT_PLACEMENT);
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_HEAT, &g));
	EXPECT_EQ(512, h[0].resident_pages);
	EXPECT_EQ(0, h[1].resident_pages);
	EXPECT_EQ(CXLTIER_NODE_NONE, h[1].node);
	EXPECT_EQ(0, hu_untrack(self->fd, id));
}

/*
 * PLACEMENT is bounded: CXLTIER_PLACEMENT_BUDGET entries (512 PTE tables)
 * per call, then next_chunk resumes; REFRESH walks all of it at once.
 */
#define PL_CHUNKS	516

TEST_F(heat, placement_bounded)
{
	size_t len = PL_CHUNKS * 2 * MB;
	struct cxltier_chunk_heat *h;
	struct cxltier_get_heat g;
	uint64_t first = 0;
	unsigned int calls = 0, i;
	uint32_t id;
	char *m;

	h = calloc(PL_CHUNKS, sizeof(*h));
	ASSERT_NE(NULL, h);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	/* One 4 KiB page per 2 MiB: a PTE table under every chunk. */
	madvise(m, len, MADV_NOHUGEPAGE);
	for (i = 0; i < PL_CHUNKS; i++)
		m[(size_t)i * 2 * MB + 4096] = 1;
	ASSERT_EQ(0, hu_track(self->fd, m, len, 2 * MB, CXLTIER_SRC_CPU, &id));
	while (first < PL_CHUNKS && calls < PL_CHUNKS) {
		hu_get_heat_init(&g, id, h + first, PL_CHUNKS - first,
				 CXLTIER_HEAT_PLACEMENT);
		g.first_chunk = first;
		ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_HEAT, &g));
		EXPECT_LT(first, g.next_chunk);
		ASSERT_GE(PL_CHUNKS, g.next_chunk);
		first = g.next_chunk;
		calls++;
	}
	EXPECT_EQ(PL_CHUNKS, first);
	/* Each call covers at most 512 PTE tables (+1 for alignment). */
	EXPECT_LE(2, calls);
	for (i = 0; i < PL_CHUNKS; i++)
		EXPECT_EQ(1, h[i].resident_pages) TH_LOG("chunk %u", i);
	hu_get_heat_init(&g, id, h, PL_CHUNKS, CXLTIER_HEAT_REFRESH);
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_HEAT, &g));
	EXPECT_EQ(PL_CHUNKS, g.next_chunk);
	EXPECT_EQ(0, hu_untrack(self->fd, id));
	munmap(m, len);
	free(h);
}

/* Placement reads leave Accessed bits to the scanner: heat is its own. */
TEST_F(heat, placement_keeps_accessed_bits)
{
	struct cxltier_chunk_heat h[4];
	long long young;
	uint32_t id;
	int i;

	/*
	 * Base pages: a huge PMD that khugepaged collapses is made old,
	 * and would read as a chunk the scanner never finds young.
	 */
	ASSERT_EQ(0, madvise(self->buf, BUFSZ, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, hu_track(self->fd, self->buf, BUFSZ, 0, CXLTIER_SRC_CPU, &id));
	/* Park the scanner, let a pass in flight end, then touch. */
	ASSERT_EQ(0, hu_sysfs_set("scan_interval_ms", "60000"));
	usleep(500000);
	young = hu_sysfs_get("stats/young_found");
	memset(self->buf, 1, BUFSZ);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 4,
					 CXLTIER_HEAT_PLACEMENT, NULL));
		ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 4,
					 CXLTIER_HEAT_REFRESH, NULL));
	}
	EXPECT_EQ(512, h[2].resident_pages);
	EXPECT_EQ(young, hu_sysfs_get("stats/young_found"));
	/*
	 * The scanner still finds the pages young.  Not quite every one:
	 * the kernel may age a few pages itself meanwhile (MGLRU walks
	 * page tables, and clears the bits it finds), seen once in 14
	 * runs (11 pages of 2048).  A placement walk that cleared them
	 * would leave none.
	 */
	ASSERT_EQ(0, hu_sysfs_set("scan_interval_ms", "10"));
	for (i = 0; i < 100 && hu_sysfs_get("stats/young_found") - young <
	     (long long)(BUFSZ / 4096); i++)
		usleep(100000);
	EXPECT_LE(young + (long long)(BUFSZ / 4096) * 15 / 16,
		  hu_sysfs_get("stats/young_found"));
	EXPECT_EQ(0, hu_untrack(self->fd, id));
}

/*
 * 60 rounds, 10 ms apart, of a write to every page of @buf's first
 * 4 MiB (chunks 0 and 1), each followed by an mprotect() pair that
 * flushes their TLB entries.  0 or -errno.
 */
static int touch_first_4m(char *buf)
{
	volatile char *p = (volatile char *)buf;
	size_t i;
	int round;

	for (round = 0; round < 60; round++) {
		for (i = 0; i < 4 * MB; i += 4096)
			p[i]++;
		if (mprotect(buf, 4 * MB, PROT_READ) ||
		    mprotect(buf, 4 * MB, PROT_READ | PROT_WRITE))
			return -errno;
		usleep(10000);
	}
	return 0;
}

/*
 * Sampling mode: hot chunks read hot from a few pages each, cold chunks
 * exactly cold (a tested page was cleared by the previous visit), and
 * the work is about scan_sample_pages entries per chunk and visit.
 */
TEST_F(heat, sampling_mode)
{
	struct cxltier_chunk_heat h[4];
	long long sampled, passes;
	uint32_t id;

	EXPECT_EQ(-EINVAL, hu_sysfs_set("scan_exact_max_pages", "4294967296"));
	EXPECT_EQ(-EINVAL, hu_sysfs_set("scan_sample_pages", "0"));
	EXPECT_EQ(-EINVAL, hu_sysfs_set("scan_sample_pages", "65"));
	ASSERT_EQ(0, hu_sysfs_set("scan_sample_pages", "8"));
	ASSERT_EQ(0, hu_sysfs_set("scan_exact_max_pages", "0"));
	ASSERT_EQ(0, hu_sysfs_set("scan_interval_ms", "20"));
	ASSERT_EQ(0, hu_sysfs_set("epoch_ms", "200"));
	ASSERT_EQ(0, madvise(self->buf, BUFSZ, MADV_NOHUGEPAGE));
	memset(self->buf, 1, BUFSZ);
	ASSERT_EQ(0, hu_track(self->fd, self->buf, BUFSZ, 0, CXLTIER_SRC_CPU, &id));
	/*
	 * A pass counts itself in scan_passes when it starts and adds to
	 * pages_sampled as it goes: passes before sampled here, sampled
	 * before passes at the end, so that only the pass in flight at the
	 * start can add entries that the passes do not count (the + 1).
	 */
	passes = hu_sysfs_get("stats/scan_passes");
	sampled = hu_sysfs_get("stats/pages_sampled");
	/*
	 * Chunks 0 and 1 hot, 2 and 3 cold, for three epochs.  The
	 * mprotect() pair flushes their TLB entries, as a larger working
	 * set would evict them: the scanner clears Accessed bits without a
	 * flush (design.rst, "TLB caveat"), and TCG's software TLB, like a
	 * real one, would otherwise keep 1024 pages cached for good.
	 */
	ASSERT_EQ(0, touch_first_4m(self->buf));
	ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 4, CXLTIER_HEAT_PLACEMENT, NULL));
	EXPECT_LT(0, h[0].heat);
	EXPECT_LT(0, h[1].heat);
	EXPECT_EQ(0, h[2].cpu_young);
	EXPECT_EQ(0, h[3].cpu_young);
	EXPECT_GT(h[0].heat, 4 * h[2].heat);
	/* Placement comes from the placement walk. */
	EXPECT_EQ(512, h[3].resident_pages);
	/*
	 * 8 tested per chunk and visit, 4 chunks a pass, and 8 more
	 * cleared when a set is drawn: at the first visit and then every
	 * 4th (CXLTIER_SAMPLE_REUSE).  Over v visits a chunk draws at
	 * most v / 4 + 1 sets: 8 * (1.25 * v + 1) entries.
	 */
	sampled = hu_sysfs_get("stats/pages_sampled") - sampled;
	passes = hu_sysfs_get("stats/scan_passes") - passes;
	TH_LOG("%lld passes, %lld entries sampled", passes, sampled);
	EXPECT_LT(0, sampled);
	EXPECT_GE(4 * (10 * (passes + 1) + 8), sampled);
	EXPECT_EQ(0, hu_untrack(self->fd, id));
}

/*
 * Sampling mode on THP: a chunk inside one huge PMD mapping is visited
 * with one test-and-clear of that PMD (no random draws), so it reads
 * hot when used and exactly cold when not, at one entry a visit.
 */
TEST_F(heat, sampling_mode_thp)
{
	struct cxltier_chunk_heat h[4];
	long long sampled, passes;
	char *raw, *buf;
	uint32_t id;

	raw = mmap(NULL, 10 * MB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	buf = (char *)(((uintptr_t)raw + 2 * MB - 1) & ~(uintptr_t)(2 * MB - 1));
	if (madvise(buf, 8 * MB, MADV_HUGEPAGE)) {
		munmap(raw, 10 * MB);
		SKIP(return, "no THP (madvise: %s)", strerror(errno));
	}
	memset(buf, 1, 8 * MB);
	/* madvise() split the mapping: @buf starts its own VMA. */
	if (tb_thp_kb(buf) < (long)(8 * MB >> 10)) {
		munmap(raw, 10 * MB);
		SKIP(return, "the buffer is not wholly THP-backed");
	}
	ASSERT_EQ(0, hu_sysfs_set("scan_sample_pages", "16"));
	ASSERT_EQ(0, hu_sysfs_set("scan_exact_max_pages", "0"));
	ASSERT_EQ(0, hu_sysfs_set("scan_interval_ms", "20"));
	ASSERT_EQ(0, hu_sysfs_set("epoch_ms", "200"));
	ASSERT_EQ(0, hu_track(self->fd, buf, 8 * MB, 0, CXLTIER_SRC_CPU, &id));
	passes = hu_sysfs_get("stats/scan_passes");
	sampled = hu_sysfs_get("stats/pages_sampled");
	/* Chunks 0 and 1 hot, 2 and 3 cold; mprotect() flushes the TLB. */
	ASSERT_EQ(0, touch_first_4m(buf));
	ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 4, CXLTIER_HEAT_PLACEMENT, NULL));
	EXPECT_LT(0, h[0].heat);
	EXPECT_LT(0, h[1].heat);
	EXPECT_EQ(0, h[2].cpu_young);
	EXPECT_EQ(0, h[3].cpu_young);
	EXPECT_GT(h[0].heat, 4 * h[2].heat);
	/* One entry per chunk and visit, where 4 KiB pages take 32. */
	sampled = hu_sysfs_get("stats/pages_sampled") - sampled;
	passes = hu_sysfs_get("stats/scan_passes") - passes;
	TH_LOG("%lld passes, %lld entries sampled", passes, sampled);
	EXPECT_LT(0, sampled);
	EXPECT_GE((passes + 1) * 4, sampled);
	EXPECT_EQ(0, hu_untrack(self->fd, id));
	munmap(raw, 10 * MB);
}

/* GET_RANGES: this file's ranges, or all of them, count-then-fill. */
TEST_F(heat, get_ranges)
{
	struct cxltier_range_info info[4];
	struct cxltier_get_ranges g;
	uint32_t a, b, c;
	int fd2 = open(CXLTIER_DEV, O_RDWR);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, hu_track(self->fd, self->buf, 2 * MB, 0, CXLTIER_SRC_CPU, &a));
	ASSERT_EQ(0, hu_track(self->fd, self->buf + 2 * MB, 2 * MB, 64 << 10,
			      CXLTIER_SRC_DEVICE, &b));
	ASSERT_EQ(0, hu_track(fd2, self->buf + 4 * MB, 4 * MB, 0, CXLTIER_SRC_ALL, &c));
	memset(&g, 0, sizeof(g));
	g.argsz = sizeof(g);
	g.entry_size = sizeof(info[0]);
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_RANGES, &g));
	EXPECT_EQ(2, g.nr_ranges);
	g.nr_ranges = 1;
	g.ranges = (uintptr_t)info;
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_RANGES, &g));
	EXPECT_EQ(2, g.nr_ranges);
	EXPECT_EQ(a, info[0].id);
	EXPECT_EQ(getpid(), info[0].pid);
	EXPECT_EQ((uintptr_t)self->buf, info[0].start);
	EXPECT_EQ(2 * MB, info[0].length);
	EXPECT_EQ(2 * MB, info[0].chunk_size);
	g.nr_ranges = 4;
	g.flags = CXLTIER_RANGES_ALL;
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_RANGES, &g));
	EXPECT_EQ(3, g.nr_ranges);
	EXPECT_EQ(32, info[1].nr_chunks);
	EXPECT_EQ(CXLTIER_SRC_DEVICE, info[1].sources);
	EXPECT_EQ(c, info[2].id);
	/* Ranges of root's files are no user's. */
	g.flags = CXLTIER_RANGES_USER;
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_GET_RANGES, &g));
	EXPECT_EQ(0, g.nr_ranges);
	g.nr_ranges = 4;
	g.flags = 4;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->fd, CXLTIER_IOC_GET_RANGES, &g));
	g.flags = 0;
	g.entry_size = sizeof(info[0]) - 8;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->fd, CXLTIER_IOC_GET_RANGES, &g));
	g.entry_size = sizeof(info[0]);
	g.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->fd, CXLTIER_IOC_GET_RANGES, &g));
	g.reserved[0] = 0;
	g.ranges = 8;
	EXPECT_EQ(-EFAULT, hu_ioctl(self->fd, CXLTIER_IOC_GET_RANGES, &g));
	/* Closing a file frees its ranges. */
	close(fd2);
	EXPECT_EQ(2, hu_sysfs_get("stats/ranges"));
	EXPECT_EQ(0, hu_untrack(self->fd, a));
	EXPECT_EQ(0, hu_untrack(self->fd, b));
}

/* poll() wakes at the end of an epoch; read() returns the event. */
TEST_F(heat, epoch_events)
{
	struct cxltier_event ev;
	struct pollfd pfd;
	long long before;
	int nb;

	ASSERT_EQ(0, hu_sysfs_set("epoch_ms", "200"));
	nb = open(CXLTIER_DEV, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, nb);
	EXPECT_EQ(-1, read(nb, &ev, sizeof(ev) - 1));
	EXPECT_EQ(EINVAL, errno);
	/*
	 * Drain, then nothing is pending until the next epoch.  The count
	 * is read first: an epoch may end between the drain and any later
	 * read, and its event is then the one poll() finds.
	 */
	before = hu_sysfs_get("stats/epochs");
	while (read(nb, &ev, sizeof(ev)) == sizeof(ev))
		;
	EXPECT_EQ(EAGAIN, errno);
	pfd.fd = nb;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(sizeof(ev), read(nb, &ev, sizeof(ev)));
	EXPECT_EQ(CXLTIER_EVENT_EPOCH, ev.type);
	EXPECT_LT(before, (long long)ev.epoch);
	/* Blocking read on the fixture's file. */
	ASSERT_EQ(sizeof(ev), read(self->fd, &ev, sizeof(ev)));
	ASSERT_EQ(sizeof(ev), read(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(0, ev.missed);
	/* Skipped epochs coalesce. */
	usleep(700000);
	ASSERT_EQ(sizeof(ev), read(nb, &ev, sizeof(ev)));
	EXPECT_LE(1, ev.missed);
	close(nb);
}

/* Tunables reject values outside their documented bounds. */
TEST_F(heat, tunable_bounds)
{
	/* name, value, expected result */
	const struct { const char *name, *val; int err; } t[] = {
		{ "scan_interval_ms", "9", -EINVAL },
		{ "scan_interval_ms", "60001", -EINVAL },
		{ "scan_interval_ms", "x", -EINVAL },
		{ "scan_interval_ms", "100", 0 },
		{ "scan_budget_pages", "511", -EINVAL },
		{ "scan_budget_pages", "67108865", -EINVAL },
		{ "scan_budget_pages", "-1", -EINVAL },
		{ "scan_budget_pages", "65536", 0 },
		{ "half_life_ms", "3600001", -EINVAL },
		{ "half_life_ms", "4294967296", -EINVAL },
		{ "half_life_ms", "1.5", -EINVAL },
		{ "half_life_ms", "0", 0 },
		{ "epoch_ms", "0", -EINVAL },
		{ "epoch_ms", "3600001", -EINVAL },
		{ "epoch_ms", "1e3", -EINVAL },
		{ "epoch_ms", "1000", 0 },
		{ "device_weight", "1048577", -EINVAL },
		{ "device_weight", "-5", -EINVAL },
		{ "device_weight", "0", 0 },
		{ "max_ranges_per_fd", "0", -EINVAL },
		{ "max_ranges_per_fd", "65537", -EINVAL },
		{ "max_ranges_per_fd", " ", -EINVAL },
		{ "max_ranges_per_fd", "1", 0 },
		{ "max_chunks", "0", -EINVAL },
		{ "max_chunks", "268435457", -EINVAL },
		{ "max_chunks", "0x", -EINVAL },
		{ "max_chunks", "1", 0 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *name = t[i].name, *val = t[i].val;
		int err = t[i].err;

		EXPECT_EQ(err, hu_sysfs_set(name, val))
			TH_LOG("%s <- '%s'", name, val);
	}
}

/* Owners exit, with ranges registered, while a fast scanner runs. */
TEST_F(heat, lifetime_owner_exit)
{
	int i, status;
	pid_t pid;

	ASSERT_EQ(0, hu_sysfs_set("scan_interval_ms", "10"));
	ASSERT_EQ(0, hu_sysfs_set("epoch_ms", "20"));
	for (i = 0; i < 20; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			int fd = open(CXLTIER_DEV, O_RDWR);
			char *m = mmap(NULL, 32 * MB, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			struct cxltier_track t;
			int k;

			if (fd < 0 || m == MAP_FAILED)
				_exit(1);
			if (i & 1)
				madvise(m, 32 * MB, MADV_HUGEPAGE);
			else
				madvise(m, 32 * MB, MADV_NOHUGEPAGE);
			for (k = 0; k < 8; k++) {
				hu_track_init(&t, m + k * 4 * MB, 4 * MB, 64 << 10,
					      CXLTIER_SRC_ALL);
				if (hu_ioctl(fd, CXLTIER_IOC_TRACK, &t))
					_exit(2);
			}
			/* Keep touching until killed or done. */
			for (k = 0; k < 4; k++) {
				memset(m, k, 32 * MB);
				usleep(1000 * (i % 5));
			}
			if (i % 3 == 0)
				kill(getpid(), SIGKILL);
			_exit(0);	/* exit with the file still open */
		}
		if (i % 4 == 1) {
			usleep(20000);
			kill(pid, SIGKILL);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (WIFEXITED(status))
			EXPECT_EQ(0, WEXITSTATUS(status));
	}
	EXPECT_EQ(0, hu_sysfs_get("stats/ranges"));
	EXPECT_EQ(0, hu_sysfs_get("stats/chunks"));
}

struct closer {
	int fd;
	uint32_t id;
	volatile int stop;
	long reads;
};

static void *reader(void *arg)
{
	struct closer *c = arg;
	static struct cxltier_chunk_heat h[512];

	while (!c->stop) {
		int ret = hu_get_heat(c->fd, c->id, h, 512, CXLTIER_HEAT_REFRESH, NULL);

		if (ret && ret != -ENOENT && ret != -EBADF)
			return (void *)(long)ret;
		c->reads++;
	}
	return NULL;
}

/* The owning file is closed by one thread while another reads its range. */
TEST_F(heat, lifetime_close_during_read)
{
	char *m = mmap(NULL, 32 * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct closer c = { .fd = self->fd };
	pthread_t th;
	void *res;
	int i, owner;

	ASSERT_NE(MAP_FAILED, m);
	memset(m, 1, 32 * MB);
	for (i = 0; i < 40; i++) {
		owner = open(CXLTIER_DEV, O_RDWR);
		ASSERT_LE(0, owner);
		ASSERT_EQ(0, hu_track(owner, m, 32 * MB, 64 << 10, CXLTIER_SRC_ALL,
				      &c.id));
		c.stop = 0;
		/* Half the time the reader reads through the owning file. */
		c.fd = (i & 1) ? owner : self->fd;
		ASSERT_EQ(0, pthread_create(&th, NULL, reader, &c));
		usleep(1000 * (i % 7));
		close(owner);
		c.stop = 1;
		ASSERT_EQ(0, pthread_join(th, &res));
		EXPECT_EQ(NULL, res);
	}
	EXPECT_EQ(0, hu_sysfs_get("stats/ranges"));
	munmap(m, 32 * MB);
}

TEST_HARNESS_MAIN
