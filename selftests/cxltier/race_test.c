// SPDX-License-Identifier: GPL-2.0
/*
 * The scanner and GET_HEAT|REFRESH walks racing everything that changes
 * page tables under them: munmap and re-mmap, mremap, mprotect,
 * MADV_DONTNEED, MADV_PAGEOUT, THP collapse and split, move_pages, a
 * hugetlb mapping put over a tracked range, and UNTRACK and close of the
 * tracking file.  Several threads, for a bounded number of rounds; the
 * kernel log must stay clean (run_tests.sh and vm-run check it).
 *
 * Meant for a guest with two vCPUs that really run at once (vm-run with
 * CXLTIER_VM_TCG_THREAD=multi); it passes, more weakly, on one.
 * CXLTIER_RACE_ROUNDS (default 400) sets the rounds of each mutator.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "heat_util.h"
#include "kselftest_harness.h"

#define MB		(1ULL << 20)
#define AREA		(16 * MB)	/* tracked, 2 MiB aligned */
#define NMUT		3		/* mutator threads */
#define NWALK		2		/* GET_HEAT|REFRESH threads */

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

struct race {
	char *area;
	int fd;
	uint32_t id;			/* range over the whole area */
	volatile int stop;
	long rounds;			/* per mutator */
	long done[NMUT];		/* rounds done */
	long walks[NWALK];		/* GET_HEAT calls that succeeded */
	long walk_errors;		/* other results, under lock */
	int huge_ok;			/* hugetlb pages could be reserved */
	pthread_mutex_t lock;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static int nr_nodes(void)
{
	char path[64];
	int n = 0;

	for (;;) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
		if (access(path, F_OK))
			return n;
		n++;
	}
}

/* One change to the page tables of 2 MiB at @p. */
static void mutate(struct race *r, uint64_t *rng, char *p)
{
	int nodes = nr_nodes();

	switch (rnd(rng) % 10) {
	case 0:		/* unmap and map again, fresh */
		munmap(p, 2 * MB);
		mmap(p, 2 * MB, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		break;
	case 1: {	/* move it away and back */
		char *q = mremap(p, 2 * MB, 2 * MB, MREMAP_MAYMOVE);

		if (q != MAP_FAILED && q != p)
			mremap(q, 2 * MB, 2 * MB, MREMAP_MAYMOVE | MREMAP_FIXED, p);
		break;
	}
	case 2:		/* protection changes, splitting the VMA and a THP */
		mprotect(p + 4096 * (rnd(rng) % 512), 4096, PROT_READ);
		mprotect(p, 2 * MB, PROT_READ | PROT_WRITE);
		break;
	case 3:
		madvise(p + 64 * 1024 * (rnd(rng) % 32), 64 * 1024, MADV_DONTNEED);
		break;
	case 4:
		madvise(p, 2 * MB, MADV_PAGEOUT);
		break;
	case 5:		/* THP: collapse if the kernel can, else fault one in */
		madvise(p, 2 * MB, MADV_HUGEPAGE);
		if (madvise(p, 2 * MB, MADV_COLLAPSE))
			memset(p, 3, 2 * MB);
		break;
	case 6:		/* split a THP by unmapping one page of it */
		munmap(p + 4096 * (1 + rnd(rng) % 510), 4096);
		mmap(p, 2 * MB, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		break;
	case 7:		/* move pages to another node and back */
		if (nodes > 1) {
			void *pages[8];
			int to[8], status[8], i;

			for (i = 0; i < 8; i++) {
				pages[i] = p + 4096 * (rnd(rng) % 512);
				to[i] = rnd(rng) % nodes;
			}
			syscall(SYS_move_pages, 0, 8, pages, to, status, 0);
		}
		break;
	case 8:		/* hugetlb over a tracked span, then back */
		if (r->huge_ok &&
		    mmap(p, 2 * MB, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED,
			 -1, 0) != MAP_FAILED) {
			memset(p, 4, 2 * MB);
			mmap(p, 2 * MB, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		}
		break;
	default:	/* touch: new pages, Accessed bits */
		memset(p + 64 * 1024 * (rnd(rng) % 32), 5, 64 * 1024);
		break;
	}
}

struct mut_arg {
	struct race *r;
	int idx;
};

static void *mutator(void *p)
{
	struct mut_arg *a = p;
	struct race *r = a->r;
	uint64_t rng = 0x9e3779b97f4a7c15ULL * (a->idx + 1);
	long i;

	for (i = 0; i < r->rounds; i++) {
		/* Each mutator owns a third of the 2 MiB slots, so the
		 * map-again steps never pull memory from under another. */
		int slot = a->idx + NMUT * (rnd(&rng) % (AREA / (2 * MB) / NMUT));

		mutate(r, &rng, r->area + slot * 2 * MB);
		r->done[a->idx]++;
	}
	return NULL;
}

struct walk_arg {
	struct race *r;
	int idx;
};

static void *walker(void *p)
{
	struct walk_arg *a = p;
	struct race *r = a->r;
	struct cxltier_chunk_heat h[AREA / (64 * 1024)];
	uint64_t rng = 77 + a->idx;

	while (!r->stop) {
		uint32_t first = rnd(&rng) % 64;
		struct cxltier_get_heat g;
		int ret;

		hu_get_heat_init(&g, r->id, h, 1 + rnd(&rng) % 64,
				 CXLTIER_HEAT_REFRESH);
		g.first_chunk = first;
		ret = hu_ioctl(r->fd, CXLTIER_IOC_GET_HEAT, &g);
		if (!ret) {
			r->walks[a->idx]++;
		} else {
			pthread_mutex_lock(&r->lock);
			r->walk_errors++;
			pthread_mutex_unlock(&r->lock);
		}
	}
	return NULL;
}

static void set_hugepages(const char *n)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");

	if (f) {
		fputs(n, f);
		fclose(f);
	}
}

FIXTURE(race) {
	struct hu_tunables saved;
	struct race r;
	char *map;
};

FIXTURE_SETUP(race)
{
	const char *e = getenv("CXLTIER_RACE_ROUNDS");
	char *m;

	hu_tunables_save(&self->saved);
	/* A fast scanner: it races the mutators too. */
	ASSERT_EQ(0, hu_sysfs_set("scan_interval_ms", "10"));
	ASSERT_EQ(0, hu_sysfs_set("epoch_ms", "50"));
	memset(&self->r, 0, sizeof(self->r));
	pthread_mutex_init(&self->r.lock, NULL);
	self->r.rounds = e ? atol(e) : 400;
	set_hugepages("8\n");
	m = mmap(NULL, AREA + 2 * MB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	self->map = m;
	self->r.area = (char *)(((uintptr_t)m + 2 * MB - 1) & ~(2 * MB - 1));
	memset(self->r.area, 1, AREA);
	self->r.huge_ok = hu_sysfs_get("../mm/hugepages/hugepages-2048kB/nr_hugepages") > 0;
	self->r.fd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->r.fd);
	ASSERT_EQ(0, hu_track(self->r.fd, self->r.area, AREA, 64 * 1024,
			      CXLTIER_SRC_ALL, &self->r.id));
}

FIXTURE_TEARDOWN(race)
{
	close(self->r.fd);
	munmap(self->map, AREA + 2 * MB);
	set_hugepages("0\n");
	hu_tunables_restore(&self->saved);
}

static void run_race(struct __test_metadata *_metadata, struct race *r,
		     int untrack_too)
{
	struct mut_arg ma[NMUT];
	struct walk_arg wa[NWALK];
	pthread_t mt[NMUT], wt[NWALK];
	long done = 0, walks = 0;
	int i;

	for (i = 0; i < NWALK; i++) {
		wa[i] = (struct walk_arg){ .r = r, .idx = i };
		ASSERT_EQ(0, pthread_create(&wt[i], NULL, walker, &wa[i]));
	}
	for (i = 0; i < NMUT; i++) {
		ma[i] = (struct mut_arg){ .r = r, .idx = i };
		ASSERT_EQ(0, pthread_create(&mt[i], NULL, mutator, &ma[i]));
	}
	if (untrack_too) {
		/* UNTRACK and TRACK again under the walkers, all along. */
		while (r->done[0] < r->rounds) {
			struct cxltier_untrack u = { .argsz = sizeof(u), .id = r->id };
			uint32_t id;

			ioctl(r->fd, CXLTIER_IOC_UNTRACK, &u);
			if (!hu_track(r->fd, r->area, AREA, 64 * 1024,
				      CXLTIER_SRC_ALL, &id))
				r->id = id;
			usleep(1000);
		}
	}
	for (i = 0; i < NMUT; i++) {
		pthread_join(mt[i], NULL);
		done += r->done[i];
	}
	r->stop = 1;
	for (i = 0; i < NWALK; i++) {
		pthread_join(wt[i], NULL);
		walks += r->walks[i];
	}
	fprintf(stderr, "# %ld mutations, %ld walks, %ld walks refused, hugetlb %s\n",
		done, walks, r->walk_errors, r->huge_ok ? "on" : "off");
	EXPECT_EQ(NMUT * r->rounds, done);
	EXPECT_LT(0, walks);
	if (!untrack_too)
		EXPECT_EQ(0, r->walk_errors);
}

/* Page-table changes of every kind under the scanner and REFRESH walks. */
TEST_F_TIMEOUT(race, mm_changes_vs_walks, 900)
{
	run_race(_metadata, &self->r, 0);
}

/* The same, with the range untracked and tracked again all along. */
TEST_F_TIMEOUT(race, mm_changes_vs_untrack, 900)
{
	run_race(_metadata, &self->r, 1);
}

TEST_HARNESS_MAIN
