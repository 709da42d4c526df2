// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile or careless user of /dev/cxltier: bounded REPORT work, the
 * per-user limits, hugetlb refused, pidfds, authority that travels with
 * the file (SCM_RIGHTS, exec), and an unload right after the last close.
 *
 * The unprivileged parts run in a child as uid 65534 with /dev/cxltier
 * opened to everyone for the test (as an admin would for runtimes).
 */
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "heat_util.h"
#include "kselftest_harness.h"

#define MB		(1ULL << 20)
#define GB		(1ULL << 30)
#define NOBODY		65534
#define NOGROUP		65533	/* a second unprivileged user */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int drop_to(uid_t uid)
{
	return setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		setresuid(uid, uid, uid);
}

/* Run @fn in a child as @uid; its return value is the exit status. */
static int as_user(uid_t uid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (drop_to(uid))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* PROT_NONE, MAP_NORESERVE: costs no memory, only address space. */
static void *reserve(uint64_t len)
{
	void *m = mmap(NULL, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return m == MAP_FAILED ? NULL : m;
}

static int report_n(int fd, struct cxltier_access_record *recs, uint32_t n,
		    uint32_t *error_index)
{
	struct cxltier_report r = {
		.argsz = sizeof(r), .nr_records = n,
		.record_size = sizeof(*recs), .records = (uintptr_t)recs,
	};
	int ret = hu_ioctl(fd, CXLTIER_IOC_REPORT, &r);

	if (error_index)
		*error_index = r.error_index;
	return ret;
}

FIXTURE(hostile) {
	struct hu_tunables saved;
	long long max_user_chunks, max_user_ranges;
	mode_t dev_mode;
	int fd;
};

FIXTURE_SETUP(hostile)
{
	struct stat st;

	hu_tunables_save(&self->saved);
	self->max_user_chunks = hu_sysfs_get("max_user_chunks");
	self->max_user_ranges = hu_sysfs_get("max_user_ranges");
	ASSERT_EQ(0, stat(CXLTIER_DEV, &st));
	self->dev_mode = st.st_mode & 07777;
	ASSERT_EQ(0, chmod(CXLTIER_DEV, 0666));
	self->fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(hostile)
{
	close(self->fd);
	chmod(CXLTIER_DEV, self->dev_mode);
	hu_tunables_restore(&self->saved);
	hu_sysfs_setll("max_user_chunks", self->max_user_chunks);
	hu_sysfs_setll("max_user_ranges", self->max_user_ranges);
}

/*
 * The REPORT hog, as nobody: a PROT_NONE range of 2^18 chunks (the
 * user's default limit) and 4096 records each naming all of it.  The
 * call is refused at the first record; the largest accepted call (4096
 * records, 65536 chunks in all) is timed, for the record only.
 */
static int report_hog(void *unused)
{
	uint64_t len = (1ULL << 18) * (64 << 10);
	struct cxltier_access_record *recs;
	double t, worst = 0;
	uint32_t id, idx = 99;
	int fd, i, fails = 0;
	char *m = reserve(len);

	fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
	recs = calloc(CXLTIER_REPORT_MAX, sizeof(*recs));
	if (fd < 0 || !m || !recs)
		return 101;
	if (hu_track(fd, m, len, 64 << 10, CXLTIER_SRC_DEVICE, &id))
		return 102;
	for (i = 0; i < CXLTIER_REPORT_MAX; i++)
		recs[i] = (struct cxltier_access_record){
			.id = id, .nr_chunks = 1U << 18, .count = 1 };
	t = now_ms();
	fails += report_n(fd, recs, CXLTIER_REPORT_MAX, &idx) != -EINVAL;
	fails += idx != 0;
	fprintf(stderr, "# 4096 records x 2^18 chunks: refused in %.1f ms\n",
		now_ms() - t);
	/* Exactly the bound: accepted. */
	for (i = 0; i < CXLTIER_REPORT_MAX; i++) {
		recs[i].nr_chunks = CXLTIER_REPORT_MAX_CHUNKS / CXLTIER_REPORT_MAX;
		recs[i].first_chunk = (uint64_t)i * 64;
	}
	for (i = 0; i < 5; i++) {
		t = now_ms();
		fails += report_n(fd, recs, CXLTIER_REPORT_MAX, NULL) != 0;
		t = now_ms() - t;
		if (t > worst)
			worst = t;
	}
	fprintf(stderr, "# worst REPORT of %d records, %d chunks: %.1f ms\n",
		CXLTIER_REPORT_MAX, CXLTIER_REPORT_MAX_CHUNKS, worst);
	/* One chunk more, in the last record: refused there, nothing applied. */
	recs[CXLTIER_REPORT_MAX - 1].nr_chunks++;
	fails += report_n(fd, recs, CXLTIER_REPORT_MAX, &idx) != -EINVAL;
	fails += idx != CXLTIER_REPORT_MAX - 1;
	close(fd);
	return fails;
}

TEST_F_TIMEOUT(hostile, report_hog_bounded, 300)
{
	EXPECT_EQ(0, as_user(NOBODY, report_hog, NULL));
}

struct limit_arg {
	uint64_t len;		/* bytes to try to track, 64 KiB chunks */
	int want;		/* expected TRACK result */
	int hold;		/* pipe to wait on before exiting, or -1 */
};

static int track_as(void *p)
{
	struct limit_arg *a = p;
	int fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
	char *m = reserve(a->len);
	char c;
	int ret;

	if (fd < 0 || !m)
		return 101;
	ret = hu_track(fd, m, a->len, 64 << 10, CXLTIER_SRC_ALL, NULL);
	if (ret != a->want) {
		fprintf(stderr, "# uid %d: TRACK %llu MiB: %d, want %d\n",
			getuid(), (unsigned long long)(a->len >> 20), ret, a->want);
		return 1;
	}
	if (a->hold >= 0)
		return read(a->hold, &c, 1) < 0;
	return 0;
}

/*
 * One user's PROT_NONE track of 64 GiB is cut at that user's limit;
 * the user cannot open more files to get around it, and another user
 * (and root) can still track.
 */
TEST_F(hostile, user_limit)
{
	struct limit_arg whole = { .len = 64 * GB, .want = -ENOSPC, .hold = -1 };
	struct limit_arg limit = { .len = (1ULL << 18) * (64 << 10), .want = 0 };
	struct limit_arg more = { .len = 2 * MB, .want = -ENOSPC, .hold = -1 };
	struct limit_arg other = { .len = 2 * MB, .want = 0, .hold = -1 };
	int hold[2], status;
	pid_t holder;
	char *m;

	ASSERT_EQ(0, hu_sysfs_set("max_user_chunks", "262144"));
	ASSERT_EQ(0, hu_sysfs_set("max_chunks", "1048576"));
	EXPECT_EQ(0, as_user(NOBODY, track_as, &whole));
	/* A holder at exactly the limit, while others try. */
	ASSERT_EQ(0, pipe(hold));
	limit.hold = hold[0];
	holder = fork();
	ASSERT_LE(0, holder);
	if (!holder) {
		close(hold[1]);
		if (drop_to(NOBODY))
			_exit(100);
		_exit(track_as(&limit));
	}
	close(hold[0]);
	for (int i = 0; i < 200 && hu_sysfs_get("stats/user_chunks") < (1 << 18); i++)
		usleep(50000);
	EXPECT_EQ(1 << 18, hu_sysfs_get("stats/user_chunks"));
	EXPECT_EQ(1, hu_sysfs_get("stats/user_ranges"));
	EXPECT_EQ(0, as_user(NOBODY, track_as, &more));
	EXPECT_EQ(0, as_user(NOGROUP, track_as, &other));
	m = mmap(NULL, 2 * MB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, hu_track(self->fd, m, 2 * MB, 0, CXLTIER_SRC_ALL, NULL));
	close(hold[1]);
	ASSERT_EQ(holder, waitpid(holder, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, hu_sysfs_get("stats/user_chunks"));
	EXPECT_EQ(0, hu_sysfs_get("stats/user_ranges"));
	/* The users together: three quarters of max_chunks. */
	ASSERT_EQ(0, hu_sysfs_set("max_chunks", "4096"));
	other.len = 3072ULL * (64 << 10);
	EXPECT_EQ(0, as_user(NOGROUP, track_as, &other));
	other.len += 64 << 10;
	other.want = -ENOSPC;
	EXPECT_EQ(0, as_user(NOGROUP, track_as, &other));
	munmap(m, 2 * MB);
}

static int two_ranges(void *unused)
{
	int fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC), fd2;
	char *m = mmap(NULL, 8 * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fails = 0;

	if (fd < 0 || m == MAP_FAILED)
		return 101;
	fd2 = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
	fails += hu_track(fd, m, 2 * MB, 0, CXLTIER_SRC_ALL, NULL) != 0;
	fails += hu_track(fd2, m + 2 * MB, 2 * MB, 0, CXLTIER_SRC_ALL, NULL) != 0;
	/* The third, on yet another file: the user's ranges are counted. */
	fails += hu_track(fd2, m + 4 * MB, 2 * MB, 0, CXLTIER_SRC_ALL, NULL) != -ENOSPC;
	return fails;
}

/* max_user_ranges counts over every file of the user. */
TEST_F(hostile, user_range_limit)
{
	ASSERT_EQ(0, hu_sysfs_set("max_user_ranges", "2"));
	EXPECT_EQ(0, as_user(NOBODY, two_ranges, NULL));
	EXPECT_EQ(0, hu_sysfs_get("stats/user_ranges"));
}

/* Private and shared hugetlb mappings are refused with -EOPNOTSUPP. */
TEST_F(hostile, hugetlb_refused)
{
	static const int kinds[] = { MAP_PRIVATE, MAP_SHARED };
	char old[32] = "0";
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");
	size_t n;
	int i;

	ASSERT_NE(NULL, f);
	n = fread(old, 1, sizeof(old) - 1, f);
	old[n] = 0;
	fclose(f);
	f = fopen("/proc/sys/vm/nr_hugepages", "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "4\n");
	fclose(f);
	for (i = 0; i < 2; i++) {
		char *m = mmap(NULL, 2 * MB, PROT_READ | PROT_WRITE,
			       kinds[i] | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

		if (m == MAP_FAILED) {
			TH_LOG("no huge pages: %s", strerror(errno));
			continue;
		}
		memset(m, 1, 2 * MB);
		EXPECT_EQ(-EOPNOTSUPP, hu_track(self->fd, m, 2 * MB, 0,
						CXLTIER_SRC_ALL, NULL));
		munmap(m, 2 * MB);
	}
	f = fopen("/proc/sys/vm/nr_hugepages", "w");
	if (f) {
		fputs(old, f);
		fclose(f);
	}
}

/* A tracked range replaced by hugetlb later: walks skip it, no oops. */
TEST_F(hostile, hugetlb_after_track)
{
	struct cxltier_chunk_heat h[2];
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");
	uint32_t id;
	char *m, *hm;

	ASSERT_NE(NULL, f);
	fprintf(f, "4\n");
	fclose(f);
	m = mmap(NULL, 4 * MB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	m = (char *)(((uintptr_t)m + 2 * MB - 1) & ~(2 * MB - 1));
	memset(m, 1, 2 * MB);
	ASSERT_EQ(0, hu_track(self->fd, m, 2 * MB, 0, CXLTIER_SRC_ALL, &id));
	hm = mmap(m, 2 * MB, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED, -1, 0);
	if (hm != MAP_FAILED) {
		memset(hm, 2, 2 * MB);
		ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 1, CXLTIER_HEAT_REFRESH, NULL));
		EXPECT_EQ(0, h[0].resident_pages);
		munmap(hm, 2 * MB);
	} else {
		TH_LOG("no huge pages: %s", strerror(errno));
	}
	EXPECT_EQ(0, hu_untrack(self->fd, id));
	f = fopen("/proc/sys/vm/nr_hugepages", "w");
	if (f) {
		fputs("0\n", f);
		fclose(f);
	}
}

/* The same in sampling mode: the sampler skips hugetlb too, no oops. */
TEST_F(hostile, hugetlb_after_track_sampled)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");
	long long passes;
	uint32_t id;
	char *m, *hm;

	ASSERT_NE(NULL, f);
	fprintf(f, "4\n");
	fclose(f);
	ASSERT_EQ(0, hu_sysfs_set("scan_exact_max_pages", "0"));
	ASSERT_EQ(0, hu_sysfs_set("scan_interval_ms", "10"));
	m = mmap(NULL, 8 * MB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	m = (char *)(((uintptr_t)m + 2 * MB - 1) & ~(2 * MB - 1));
	memset(m, 1, 4 * MB);
	ASSERT_EQ(0, hu_track(self->fd, m, 4 * MB, 0, CXLTIER_SRC_ALL, &id));
	hm = mmap(m, 2 * MB, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED, -1, 0);
	if (hm != MAP_FAILED) {
		memset(hm, 2, 2 * MB);
		passes = hu_sysfs_get("stats/scan_passes");
		while (hu_sysfs_get("stats/scan_passes") < passes + 5) {
			hm[0]++;
			m[2 * MB]++;
			usleep(10000);
		}
		munmap(hm, 2 * MB);
	} else {
		TH_LOG("no huge pages: %s", strerror(errno));
	}
	EXPECT_EQ(0, hu_untrack(self->fd, id));
	f = fopen("/proc/sys/vm/nr_hugepages", "w");
	if (f) {
		fputs("0\n", f);
		fclose(f);
	}
}

/*
 * Holes in a sampled range: munmap frees a hole's page tables under
 * mmap_lock held for reading (it downgrades), so the sampler, which runs
 * on the other vCPU meanwhile, must never lock or clear in a table that
 * no VMA covers.  Chunks 1 and 3 are PMD-aligned 2 MiB VMAs that come
 * and go, each time with a fresh page table, while placement reads run;
 * the kernel log (run_tests.sh) must stay clean.
 */
TEST_F_TIMEOUT(hostile, sampled_holes_come_and_go, 120)
{
	struct cxltier_chunk_heat h[4];
	double t0 = now_ms();
	unsigned int iter = 0;
	uint32_t id;
	size_t off;
	char *m, *p;

	ASSERT_EQ(0, hu_sysfs_set("scan_exact_max_pages", "0"));
	ASSERT_EQ(0, hu_sysfs_set("scan_sample_pages", "64"));
	ASSERT_EQ(0, hu_sysfs_set("scan_interval_ms", "10"));
	m = mmap(NULL, 10 * MB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	m = (char *)(((uintptr_t)m + 2 * MB - 1) & ~(2 * MB - 1));
	ASSERT_EQ(0, madvise(m, 8 * MB, MADV_NOHUGEPAGE));
	memset(m, 1, 8 * MB);
	ASSERT_EQ(0, hu_track(self->fd, m, 8 * MB, 0, CXLTIER_SRC_CPU, &id));
	while (now_ms() - t0 < 4000) {
		for (off = 2 * MB; off < 8 * MB; off += 4 * MB)
			ASSERT_EQ(0, munmap(m + off, 2 * MB));
		ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 4,
					 CXLTIER_HEAT_PLACEMENT, NULL));
		EXPECT_EQ(0, h[1].resident_pages);
		EXPECT_EQ(512, h[2].resident_pages);
		for (off = 2 * MB; off < 8 * MB; off += 4 * MB) {
			p = mmap(m + off, 2 * MB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			ASSERT_EQ(m + off, p);
			ASSERT_EQ(0, madvise(p, 2 * MB, MADV_NOHUGEPAGE));
			p[0] = 1;
			p[MB] = 1;
		}
		if (!(iter++ & 7))
			usleep(1000);
	}
	TH_LOG("%u unmap/map rounds in 4 s", iter);
	EXPECT_LT(50, iter);
	EXPECT_EQ(0, hu_untrack(self->fd, id));
}

/*
 * Reading an untouched THP-enabled area maps the huge zero page: nothing
 * is resident, and a walk must say so (it used to count 512 pages).
 */
TEST_F(hostile, huge_zero_page_not_resident)
{
	struct cxltier_chunk_heat h[2];
	char mode[64] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	volatile char sink;
	uint32_t id;
	char *m;

	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = 0;
		fclose(f);
	}
	if (strstr(mode, "[never]") || !mode[0])
		SKIP(return, "not applicable: transparent huge pages are off");
	m = mmap(NULL, 4 * MB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	m = (char *)(((uintptr_t)m + 2 * MB - 1) & ~(2 * MB - 1));
	ASSERT_EQ(0, madvise(m, 2 * MB, MADV_HUGEPAGE));
	sink = m[0];
	sink = m[2 * MB - 1];
	(void)sink;
	ASSERT_EQ(0, hu_track(self->fd, m, 2 * MB, 0, CXLTIER_SRC_ALL, &id));
	ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 1, CXLTIER_HEAT_REFRESH, NULL));
	EXPECT_EQ(0, h[0].resident_pages);
	/* A write makes it real memory: all of it resident. */
	m[0] = 1;
	ASSERT_EQ(0, hu_get_heat(self->fd, id, h, 1, CXLTIER_HEAT_REFRESH, NULL));
	EXPECT_LT(0, h[0].resident_pages);
	EXPECT_EQ(0, hu_untrack(self->fd, id));
}

static int pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/* A child that maps a buffer, says where, and waits to be told to go. */
static pid_t buffer_child(int *go, uintptr_t *addr)
{
	int up[2], down[2];
	pid_t pid;

	if (pipe(up) || pipe(down))
		return -1;
	pid = fork();
	if (!pid) {
		char *m = mmap(NULL, 2 * MB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uintptr_t a = (uintptr_t)m;
		char c;

		/* Never outlive a failed test: it holds the device open. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(up[0]);
		close(down[1]);

		memset(m, 1, 2 * MB);
		if (write(up[1], &a, sizeof(a)) != sizeof(a))
			_exit(1);
		_exit(read(down[0], &c, 1) < 0);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], addr, sizeof(*addr)) != sizeof(*addr))
		return -1;
	close(up[0]);
	*go = down[1];
	return pid;
}

/* Cross-process TRACK by pidfd; bad descriptors; a reaped process. */
TEST_F(hostile, track_by_pidfd)
{
	struct cxltier_track t;
	uintptr_t addr;
	int go, pfd, status, hs_ok;
	pid_t pid = buffer_child(&go, &addr);
	struct cxltier_handshake hs = {
		.argsz = sizeof(hs), .api_version = CXLTIER_API_VERSION,
	};

	ASSERT_LT(0, pid);
	hs_ok = hu_ioctl(self->fd, CXLTIER_IOC_HANDSHAKE, &hs);
	ASSERT_EQ(0, hs_ok);
	EXPECT_TRUE(hs.features & CXLTIER_FEAT_PIDFD);
	pfd = pidfd_open(pid);
	ASSERT_LE(0, pfd);

	hu_track_init(&t, (void *)addr, 2 * MB, 0, CXLTIER_SRC_ALL);
	t.flags = CXLTIER_TRACK_PIDFD;
	t.pid = pfd;
	ASSERT_EQ(0, hu_ioctl(self->fd, CXLTIER_IOC_TRACK, &t));
	EXPECT_EQ(0, hu_untrack(self->fd, t.id));

	/* Not a pidfd, not open, negative. */
	hu_track_init(&t, (void *)addr, 2 * MB, 0, CXLTIER_SRC_ALL);
	t.flags = CXLTIER_TRACK_PIDFD;
	t.pid = self->fd;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->fd, CXLTIER_IOC_TRACK, &t));
	t.pid = 987654;
	EXPECT_EQ(-EBADF, hu_ioctl(self->fd, CXLTIER_IOC_TRACK, &t));
	t.pid = -1;
	EXPECT_EQ(-EBADF, hu_ioctl(self->fd, CXLTIER_IOC_TRACK, &t));
	/* An unknown flag next to it. */
	t.pid = pfd;
	t.flags = CXLTIER_TRACK_PIDFD << 1;
	EXPECT_EQ(-EINVAL, hu_ioctl(self->fd, CXLTIER_IOC_TRACK, &t));

	/* The process is gone and reaped: its pidfd names no one, ever. */
	close(go);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	t.flags = CXLTIER_TRACK_PIDFD;
	EXPECT_EQ(-ESRCH, hu_ioctl(self->fd, CXLTIER_IOC_TRACK, &t));
	close(pfd);
}

struct pidfd_arg {
	int pfd;
	uintptr_t addr;
};

static int track_other_by_pidfd(void *p)
{
	struct pidfd_arg *a = p;
	struct cxltier_track t;
	int fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return 101;
	hu_track_init(&t, (void *)a->addr, 2 * MB, 0, CXLTIER_SRC_ALL);
	t.flags = CXLTIER_TRACK_PIDFD;
	t.pid = a->pfd;
	return hu_ioctl(fd, CXLTIER_IOC_TRACK, &t) != -EPERM;
}

/* A pidfd grants nothing: an unprivileged opener still gets -EPERM. */
TEST_F(hostile, pidfd_unprivileged)
{
	struct pidfd_arg a;
	int go, status;
	pid_t pid = buffer_child(&go, &a.addr);

	ASSERT_LT(0, pid);
	a.pfd = pidfd_open(pid);
	ASSERT_LE(0, a.pfd);
	EXPECT_EQ(0, as_user(NOBODY, track_other_by_pidfd, &a));
	close(go);
	waitpid(pid, &status, 0);
	close(a.pfd);
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c = 0;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * A file passed over SCM_RIGHTS carries its opener's authority both
 * ways: root's file works for nobody, nobody's file gives root nothing
 * more.  Its ranges stay its own (UNTRACK by the receiver works).
 */
TEST_F(hostile, scm_rights)
{
	struct cxltier_get_ranges g = {
		.argsz = sizeof(g), .flags = CXLTIER_RANGES_ALL,
		.entry_size = sizeof(struct cxltier_range_info),
	};
	int sv[2], status, fd, fails = 0;
	uint32_t id;
	char *m = mmap(NULL, 2 * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, hu_track(self->fd, m, 2 * MB, 0, CXLTIER_SRC_ALL, &id));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct cxltier_chunk_heat h;
		struct cxltier_untrack u = { .argsz = sizeof(u), .id = id };
		int own;

		close(sv[0]);
		if (drop_to(NOBODY))
			_exit(100);
		fd = recv_fd(sv[1]);
		if (fd < 0)
			_exit(101);
		fails += hu_ioctl(fd, CXLTIER_IOC_GET_RANGES, &g) != 0;
		fails += g.nr_ranges < 1;
		fails += hu_get_heat(fd, id, &h, 1, 0, NULL) != 0;
		fails += hu_ioctl(fd, CXLTIER_IOC_UNTRACK, &u) != 0;
		/* Its own file, sent back to root. */
		own = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
		fails += own < 0 || send_fd(sv[1], own);
		_exit(fails);
	}
	close(sv[1]);
	ASSERT_EQ(0, send_fd(sv[0], self->fd));
	fd = recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	g.nr_ranges = 0;
	EXPECT_EQ(-EPERM, hu_ioctl(fd, CXLTIER_IOC_GET_RANGES, &g));
	/* root's own range through nobody's file: absent. */
	ASSERT_EQ(0, hu_track(self->fd, m, 2 * MB, 0, CXLTIER_SRC_ALL, &id));
	EXPECT_EQ(0, hu_get_heat(fd, id, NULL, 0, 0, NULL));	/* own mm */
	close(fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, hu_untrack(self->fd, id));
	close(sv[0]);
	munmap(m, 2 * MB);
}

/* The image exec'd with a tracked file open: see main(). */
static int exec_check(int fd, uint32_t id)
{
	struct cxltier_range_info info;
	struct cxltier_get_ranges g = {
		.argsz = sizeof(g), .nr_ranges = 1, .entry_size = sizeof(info),
		.ranges = (uintptr_t)&info,
	};
	struct cxltier_chunk_heat h;
	int fails = 0;

	/* The range outlived its address space: listed, pid 0, readable. */
	fails += hu_ioctl(fd, CXLTIER_IOC_GET_RANGES, &g) != 0;
	fails += g.nr_ranges != 1 || info.id != id || info.pid != 0;
	fails += hu_get_heat(fd, id, &h, 1, CXLTIER_HEAT_REFRESH, NULL) != 0;
	fails += hu_untrack(fd, id) != 0;
	return fails;
}

/* exec() with a file open (no O_CLOEXEC) and a range of the old image. */
TEST_F(hostile, exec_with_fd_open)
{
	char fdarg[16], idarg[16];
	int fd, status;
	uint32_t id;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		char *m = mmap(NULL, 2 * MB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		fd = open(CXLTIER_DEV, O_RDWR);
		if (fd < 0 || m == MAP_FAILED ||
		    hu_track(fd, m, 2 * MB, 0, CXLTIER_SRC_ALL, &id))
			_exit(101);
		snprintf(fdarg, sizeof(fdarg), "%d", fd);
		snprintf(idarg, sizeof(idarg), "%u", id);
		execl("/proc/self/exe", "cxltier-hostile-test", "--exec-check",
		      fdarg, idarg, (char *)NULL);
		_exit(102);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, hu_sysfs_get("stats/ranges"));
}

/*
 * rmmod right after the last close, with ranges (and their notifiers)
 * just freed, then load again; several times.
 */
TEST(rmmod_after_close)
{
	const char *moddir = getenv("CXLTIER_MODDIR");
	char cmd[512];
	int i, fd;

	if (!moddir)
		SKIP(return, "CXLTIER_MODDIR not set");
	for (i = 0; i < 5; i++) {
		char *m = mmap(NULL, 8 * MB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct cxltier_chunk_heat h[4];
		uint32_t id;

		ASSERT_NE(MAP_FAILED, m);
		memset(m, 1, 8 * MB);
		fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, hu_track(fd, m, 4 * MB, 0, CXLTIER_SRC_ALL, &id));
		ASSERT_EQ(0, hu_get_heat(fd, id, h, 4, CXLTIER_HEAT_REFRESH, NULL));
		ASSERT_EQ(0, hu_track(fd, m + 4 * MB, 4 * MB, 64 << 10,
				      CXLTIER_SRC_ALL, NULL));
		close(fd);
		if (i & 1)
			munmap(m, 8 * MB);	/* the mm's notifier goes too */
		ASSERT_EQ(0, system("rmmod cxltier_test_accel 2>/dev/null; rmmod cxltier"));
		snprintf(cmd, sizeof(cmd), "insmod %s/kmod/cxltier.ko", moddir);
		ASSERT_EQ(0, system(cmd));
		if (!(i & 1))
			munmap(m, 8 * MB);
	}
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--exec-check"))
		return exec_check(atoi(argv[2]), strtoul(argv[3], NULL, 0));
	return test_harness_run(argc, argv);
}
