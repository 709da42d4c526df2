// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl fuzzer: throws random and mutated argument blocks at every
 * /dev/cxltier command (and at numbers around them), interleaved with
 * read()/poll() and closes, from several files at once.  The kernel must
 * neither oops nor warn (run_tests.sh and vm-run check the log), every
 * call must return 0 or an errno the ABI documents, and once every file is
 * closed the ranges and chunks counters must be back to zero.
 *
 * A second test runs sequences (track, report, heat, untrack, close and
 * reopen, in random orders) from several processes of several threads
 * that share their files, so that one thread's close or untrack races
 * another's use.
 *
 * A mutated address may land in this process's own libraries, heap or
 * stack, where the kernel would rightly write the output it was asked
 * for and the fuzzer would then crash on its own corrupted memory; such
 * an address is sent to the guard page instead (defuse()), so that only
 * memory the fuzzer owns, unmapped addresses and the guard are ever
 * named.
 *
 * CXLTIER_FUZZ_ITERS (default 100000) sets the number of calls of each
 * test, CXLTIER_FUZZ_SEED the seed (default: time), printed for replay.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "heat_util.h"
#include "kselftest_harness.h"

#define NFDS		4
#define AREA		(16ULL << 20)	/* memory the fuzzer may track */
#define SCRATCH		(256ULL << 10)	/* output arrays land here */
#define GUARD		(4ULL << 20)	/* PROT_NONE after the scratch */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

struct fuzz {
	int fds[NFDS];
	char *area;
	char *scratch;
	int pidfd;		/* a pidfd of this process */
	uint32_t ids[64];	/* ids seen from TRACK, any file */
	unsigned int nids;
	long calls, ok;
};

/* An interesting 64-bit value for a field. */
static uint64_t interesting(struct fuzz *f)
{
	static const uint64_t vals[] = {
		0, 1, 2, 3, 4095, 4096, 4097, 65536, 2 << 20, 1 << 30,
		1ULL << 31, 1ULL << 32, (1ULL << 32) - 1, 1ULL << 47,
		1ULL << 56, 1ULL << 63, ~0ULL, ~0ULL - 4095, 0x7fffffff,
		CXLTIER_REPORT_MAX, CXLTIER_REPORT_MAX + 1,
	};

	switch (rnd_below(6)) {
	case 0:
		return vals[rnd_below(sizeof(vals) / sizeof(vals[0]))];
	case 1:
		return (uintptr_t)f->area + (rnd_below(AREA / 4096) << 12);
	case 2:
		return (uintptr_t)f->scratch + rnd_below(SCRATCH);
	case 3:
		return f->nids ? f->ids[rnd_below(f->nids)] : rnd_below(8);
	case 4:
		return rnd_below(64);
	default:
		return rnd();
	}
}

/* A pointer field: scratch (maybe near its end), NULL, or garbage. */
static uint64_t ptr(struct fuzz *f)
{
	switch (rnd_below(8)) {
	case 0:
		return 0;
	case 1:
		return 0xffff888000000000ULL + rnd_below(1 << 20);	/* kernel */
	case 2:
		return (uintptr_t)f->scratch + SCRATCH - rnd_below(512);
	case 3:
		return rnd() & ~7ULL;
	default:
		return (uintptr_t)f->scratch + (rnd_below(SCRATCH / 64) & ~7ULL);
	}
}

/* A valid-looking argument for @cmd in @buf (4096 bytes). */
static void seed_arg(struct fuzz *f, unsigned int nr, uint8_t *buf)
{
	struct cxltier_access_record *recs = (void *)f->scratch;
	unsigned int i;

	memset(buf, 0, 4096);
	switch (nr - CXLTIER_BASE) {
	case 0: {
		struct cxltier_handshake *a = (void *)buf;

		a->argsz = sizeof(*a);
		a->api_version = CXLTIER_API_VERSION;
		break;
	}
	case 1: {
		struct cxltier_get_nodes *a = (void *)buf;

		a->argsz = sizeof(*a);
		a->nr_nodes = rnd_below(8);
		a->entry_size = sizeof(struct cxltier_node_info);
		a->nodes = ptr(f);
		break;
	}
	case 2: {
		struct cxltier_track *a = (void *)buf;
		uint64_t off = rnd_below(AREA / 4096) << 12;

		a->argsz = sizeof(*a);
		a->sources = 1 + rnd_below(3);
		a->start = (uintptr_t)f->area + off;
		a->length = (1 + rnd_below((AREA - off) / 4096)) << 12;
		a->chunk_size = rnd_below(2) ? 0 : 1ULL << (16 + rnd_below(15));
		if (rnd_below(2))
			strcpy(a->label, "fuzz");
		if (!rnd_below(8)) {	/* a pidfd, or any other descriptor */
			a->flags = CXLTIER_TRACK_PIDFD;
			a->pid = rnd_below(2) ? f->pidfd : (int)rnd_below(8) - 1;
		}
		break;
	}
	case 3: {
		struct cxltier_untrack *a = (void *)buf;

		a->argsz = sizeof(*a);
		a->id = interesting(f);
		break;
	}
	case 4: {
		struct cxltier_report *a = (void *)buf;

		a->argsz = sizeof(*a);
		a->nr_records = 1 + rnd_below(8);
		a->record_size = sizeof(*recs);
		a->records = (uintptr_t)recs;
		for (i = 0; i < a->nr_records; i++) {
			recs[i].id = f->nids ? f->ids[rnd_below(f->nids)] : 1;
			recs[i].nr_chunks = 1 + rnd_below(4);
			recs[i].first_chunk = rnd_below(8);
			recs[i].count = 1 + rnd_below(100);
		}
		break;
	}
	case 5: {
		struct cxltier_get_heat *a = (void *)buf;

		a->argsz = sizeof(*a);
		a->flags = rnd_below(2) ? CXLTIER_HEAT_REFRESH : 0;
		if (rnd_below(3) == 0)
			a->flags = CXLTIER_HEAT_PLACEMENT;
		a->id = f->nids ? f->ids[rnd_below(f->nids)] : 1;
		a->entry_size = sizeof(struct cxltier_chunk_heat);
		a->first_chunk = rnd_below(8);
		a->nr_chunks = rnd_below(300);
		a->chunks = ptr(f);
		break;
	}
	default: {
		struct cxltier_get_ranges *a = (void *)buf;

		a->argsz = sizeof(*a);
		a->flags = rnd_below(2);
		a->nr_ranges = rnd_below(100);
		a->entry_size = sizeof(struct cxltier_range_info);
		a->ranges = ptr(f);
		break;
	}
	}
}

/*
 * An address of mapped memory the fuzzer does not own (its libraries,
 * heap, stack) becomes the guard page's: the kernel may write wherever
 * an output pointer says, and must get EFAULT here instead of
 * corrupting the fuzzer.  mincore() tells mapped from unmapped.
 */
static uint64_t defuse(const struct fuzz *f, uint64_t v)
{
	uintptr_t own = (uintptr_t)f->area, end = (uintptr_t)f->scratch + SCRATCH;
	unsigned char vec;

	if (v < 4096 || v >= (1ULL << 47) || (v >= own && v < end))
		return v;
	if (mincore((void *)(uintptr_t)(v & ~4095ULL), 4096, &vec) && errno == ENOMEM)
		return v;
	return end;
}

/* Every aligned 64-bit word of @buf (pointer fields are aligned). */
static void defuse_all(const struct fuzz *f, uint8_t *buf, size_t len)
{
	uint64_t v;
	size_t off;

	for (off = 0; off + 8 <= len; off += 8) {
		memcpy(&v, buf + off, 8);
		v = defuse(f, v);
		memcpy(buf + off, &v, 8);
	}
}

/* Flip, overwrite or splice some bytes or fields of @buf. */
static void mutate(struct fuzz *f, uint8_t *buf, size_t len)
{
	unsigned int n = rnd_below(4), i;
	uint64_t v;
	size_t off;

	for (i = 0; i < n; i++) {
		off = rnd_below(len);
		switch (rnd_below(5)) {
		case 0:
			buf[off] ^= 1 << rnd_below(8);
			break;
		case 1:
			buf[off] = rnd();
			break;
		case 2:	/* a whole aligned 64-bit field */
			off &= ~7UL;
			if (off + 8 <= len) {
				v = interesting(f);
				memcpy(buf + off, &v, 8);
			}
			break;
		case 3:	/* a 32-bit field */
			off &= ~3UL;
			if (off + 4 <= len) {
				uint32_t w = interesting(f);

				memcpy(buf + off, &w, 4);
			}
			break;
		default:	/* argsz */
			v = rnd_below(3) ? rnd_below(len + 16) : interesting(f);
			memcpy(buf, &v, 4);
			break;
		}
	}
	/* Mutate the records a REPORT may point at, too. */
	if (!rnd_below(4))
		f->scratch[rnd_below(512)] ^= 1 << rnd_below(8);
}

/* errnos the ABI documents for some command. */
static int documented(int err)
{
	switch (err) {
	case 0: case EINVAL: case E2BIG: case EFAULT: case ENOTTY:
	case ENOENT: case EEXIST: case ENOSPC: case ENOMEM: case EPERM:
	case ESRCH: case EINTR: case EBADF: case EOPNOTSUPP: case EAGAIN:
		return 1;
	}
	return 0;
}

static void one_call(struct __test_metadata *_metadata, struct fuzz *f)
{
	static uint8_t buf[4096 + 64];
	int fd = f->fds[rnd_below(NFDS)];
	unsigned int nr = CXLTIER_BASE + rnd_below(CXLTIER_IOC_NR_END - CXLTIER_BASE);
	unsigned long cmd;
	int ret, err;
	size_t len;

	switch (rnd_below(40)) {
	case 0: {	/* read/poll */
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int flags = fcntl(fd, F_GETFL);

		poll(&p, 1, 0);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		ret = read(fd, buf, rnd_below(64));
		fcntl(fd, F_SETFL, flags);
		return;
	}
	case 1: {	/* close and reopen a file: its ranges go */
		unsigned int i = rnd_below(NFDS);

		close(f->fds[i]);
		f->fds[i] = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, f->fds[i]);
		return;
	}
	case 2:		/* a number or an encoding that is not ours */
		cmd = rnd_below(2) ? _IO(CXLTIER_TYPE, rnd_below(256)) :
			_IOWR(CXLTIER_TYPE, nr, struct cxltier_track);
		break;
	default:
		cmd = _IO(CXLTIER_TYPE, nr);
		break;
	}

	seed_arg(f, nr, buf);
	len = 8 + rnd_below(200);
	if (rnd_below(8))
		mutate(f, buf, len);
	else	/* pure noise */
		for (size_t i = 0; i < len; i++)
			buf[i] = rnd();
	defuse_all(f, buf, len);
	ret = ioctl(fd, cmd, rnd_below(64) ? (void *)buf :
		    (void *)(uintptr_t)defuse(f, interesting(f)));
	err = ret < 0 ? errno : 0;
	f->calls++;
	EXPECT_TRUE(documented(err)) TH_LOG("cmd %#lx: errno %d", cmd, err);
	if (!err)
		f->ok++;
	if (!err && cmd == CXLTIER_IOC_TRACK && f->nids < 64)
		f->ids[f->nids++] = ((struct cxltier_track *)buf)->id;
}

FIXTURE(fz) {
	struct hu_tunables saved;
};

FIXTURE_SETUP(fz)
{
	hu_tunables_save(&self->saved);
}

FIXTURE_TEARDOWN(fz)
{
	hu_tunables_restore(&self->saved);
}

/* ≥ 100,000 random and mutated calls; counters return to zero. */
TEST_F_TIMEOUT(fz, all_ioctls, 1200)
{
	const char *e = getenv("CXLTIER_FUZZ_ITERS");
	long iters = e ? atol(e) : 100000, i;
	struct fuzz f = { 0 };
	char *m;

	e = getenv("CXLTIER_FUZZ_SEED");
	rng_state = e ? strtoull(e, NULL, 0) : (uint64_t)time(NULL) * 2654435761ULL;
	if (!rng_state)
		rng_state = 1;
	fprintf(stderr, "# seed %#llx, %ld iterations\n",
		(unsigned long long)rng_state, iters);

	/* A fast scanner and short epochs, so walks race the calls. */
	ASSERT_EQ(0, hu_sysfs_set("scan_interval_ms", "10"));
	ASSERT_EQ(0, hu_sysfs_set("epoch_ms", "50"));
	ASSERT_EQ(0, hu_sysfs_set("max_chunks", "100000"));

	m = mmap(NULL, AREA + SCRATCH + GUARD, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	f.area = m;
	f.scratch = m + AREA;
	ASSERT_EQ(0, mprotect(f.scratch + SCRATCH, GUARD, PROT_NONE));
	/* Half the area resident, some of it THP. */
	memset(f.area, 1, AREA / 2);
	madvise(f.area + AREA / 2, AREA / 2, MADV_HUGEPAGE);

	f.pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	ASSERT_LE(0, f.pidfd);
	for (i = 0; i < NFDS; i++) {
		f.fds[i] = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, f.fds[i]);
	}
	for (i = 0; f.calls < iters; i++) {
		one_call(_metadata, &f);
		if (!(i & 1023))
			f.area[rnd_below(AREA)] = 1;	/* touch */
		if (_metadata->exit_code == KSFT_FAIL)
			break;
	}
	for (i = 0; i < NFDS; i++)
		close(f.fds[i]);
	close(f.pidfd);
	fprintf(stderr, "# %ld calls, %ld succeeded\n", f.calls, f.ok);
	EXPECT_LT(100, f.ok);
	EXPECT_EQ(0, hu_sysfs_get("stats/ranges"));
	EXPECT_EQ(0, hu_sysfs_get("stats/chunks"));
	munmap(m, AREA + SCRATCH + GUARD);
}

#define SEQ_PROCS	3
#define SEQ_THREADS	3
#define SEQ_BUF		(4ULL << 20)

/* One process's state: files its threads share, and the calls made. */
struct seq_proc {
	int fds[2];		/* slots other threads may close and reopen */
	char *buf;		/* this process's memory to track */
	long calls_each;	/* calls per thread */
	long calls;		/* made, all threads */
	long bad;		/* undocumented errnos */
	pthread_mutex_t lock;	/* for calls and bad */
};

struct seq_thread {
	struct seq_proc *p;
	uint64_t rng;
};

static uint64_t seq_rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* An ioctl whose errno must be one the ABI documents. */
static int seq_ioctl(struct seq_proc *p, long *calls, long *bad, int fd,
		     unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg) < 0 ? errno : 0;

	(*calls)++;
	if (!documented(ret)) {
		(*bad)++;
		fprintf(stderr, "# cmd %#lx: errno %d\n", cmd, ret);
	}
	return ret;
}

/* Random sequences of the calls a runtime makes, on shared files. */
static void *seq_thread_fn(void *arg)
{
	struct seq_thread *t = arg;
	struct seq_proc *p = t->p;
	struct cxltier_access_record rec[4];
	struct cxltier_chunk_heat heat[8];
	long calls = 0, bad = 0;
	uint32_t ids[8];
	unsigned int nids = 0;

	while (calls < p->calls_each) {
		int slot = seq_rnd(&t->rng) % 2, fd = __atomic_load_n(&p->fds[slot], __ATOMIC_RELAXED);
		unsigned int op = seq_rnd(&t->rng) % 8, i;

		switch (op) {
		case 0: case 1: {	/* track a random part of the buffer */
			uint64_t off = (seq_rnd(&t->rng) % (SEQ_BUF / 4096 - 1)) << 12;
			struct cxltier_track tr;

			hu_track_init(&tr, p->buf + off,
				      (1 + seq_rnd(&t->rng) % ((SEQ_BUF - off) / 4096)) << 12,
				      1ULL << (16 + seq_rnd(&t->rng) % 6),
				      1 + seq_rnd(&t->rng) % 3);
			if (!seq_ioctl(p, &calls, &bad, fd, CXLTIER_IOC_TRACK, &tr) &&
			    nids < 8)
				ids[nids++] = tr.id;
			break;
		}
		case 2: {		/* report on what this thread tracked */
			struct cxltier_report r = {
				.argsz = sizeof(r), .record_size = sizeof(rec[0]),
				.records = (uintptr_t)rec,
			};

			r.nr_records = 1 + seq_rnd(&t->rng) % 4;
			for (i = 0; i < r.nr_records; i++) {
				rec[i].id = nids ? ids[seq_rnd(&t->rng) % nids] : 1;
				rec[i].first_chunk = seq_rnd(&t->rng) % 4;
				rec[i].nr_chunks = 1 + seq_rnd(&t->rng) % 4;
				rec[i].count = 1 + seq_rnd(&t->rng) % 9;
			}
			seq_ioctl(p, &calls, &bad, fd, CXLTIER_IOC_REPORT, &r);
			break;
		}
		case 3: case 4: {	/* heat, sometimes with a walk */
			struct cxltier_get_heat g;

			hu_get_heat_init(&g, nids ? ids[seq_rnd(&t->rng) % nids] : 1,
					 heat, 8, seq_rnd(&t->rng) % 2 ?
					 CXLTIER_HEAT_REFRESH : 0);
			seq_ioctl(p, &calls, &bad, fd, CXLTIER_IOC_GET_HEAT, &g);
			break;
		}
		case 5:			/* untrack one */
			if (nids) {
				struct cxltier_untrack u = { .argsz = sizeof(u) };

				i = seq_rnd(&t->rng) % nids;
				u.id = ids[i];
				ids[i] = ids[--nids];
				seq_ioctl(p, &calls, &bad, fd, CXLTIER_IOC_UNTRACK, &u);
			}
			break;
		case 6:			/* touch the memory */
			p->buf[seq_rnd(&t->rng) % SEQ_BUF] = 1;
			break;
		default: {		/* close a shared file under the others */
			int nfd = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);

			if (nfd >= 0) {
				/* dup2 replaces it atomically: no fd reuse race. */
				dup2(nfd, fd);
				close(nfd);
			}
			nids = 0;
			calls++;
			break;
		}
		}
	}
	pthread_mutex_lock(&p->lock);
	p->calls += calls;
	p->bad += bad;
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* One process: threads over two shared files; exit status = bad calls. */
static int seq_proc_run(long calls_each, uint64_t seed)
{
	struct seq_thread th[SEQ_THREADS];
	pthread_t tid[SEQ_THREADS];
	struct seq_proc p = { .calls_each = calls_each };
	int i;

	pthread_mutex_init(&p.lock, NULL);
	p.buf = mmap(NULL, SEQ_BUF, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p.buf == MAP_FAILED)
		return 100;
	memset(p.buf, 1, SEQ_BUF / 2);
	for (i = 0; i < 2; i++) {
		p.fds[i] = open(CXLTIER_DEV, O_RDWR | O_CLOEXEC);
		if (p.fds[i] < 0)
			return 101;
	}
	for (i = 0; i < SEQ_THREADS; i++) {
		th[i].p = &p;
		th[i].rng = seed + 977 * i + 1;
		if (pthread_create(&tid[i], NULL, seq_thread_fn, &th[i]))
			return 102;
	}
	for (i = 0; i < SEQ_THREADS; i++)
		pthread_join(tid[i], NULL);
	fprintf(stderr, "# process %d: %ld calls, %ld with an undocumented errno\n",
		getpid(), p.calls, p.bad);
	/* Exit with the files open: the kernel's release frees the ranges. */
	return p.bad ? 1 : 0;
}

/* Sequences from SEQ_PROCS processes of SEQ_THREADS threads each. */
TEST_F_TIMEOUT(fz, sequences, 1200)
{
	const char *e = getenv("CXLTIER_FUZZ_ITERS");
	long iters = e ? atol(e) : 100000;
	long each = iters / (SEQ_PROCS * SEQ_THREADS) + 1;
	uint64_t seed;
	pid_t pid[SEQ_PROCS];
	int i, status;

	e = getenv("CXLTIER_FUZZ_SEED");
	seed = e ? strtoull(e, NULL, 0) : (uint64_t)time(NULL) * 2654435761ULL;
	fprintf(stderr, "# seed %#llx, %d processes x %d threads x %ld calls\n",
		(unsigned long long)seed, SEQ_PROCS, SEQ_THREADS, each);
	ASSERT_EQ(0, hu_sysfs_set("scan_interval_ms", "10"));
	ASSERT_EQ(0, hu_sysfs_set("epoch_ms", "50"));
	for (i = 0; i < SEQ_PROCS; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			_exit(seq_proc_run(each, seed + 7919 * i));
	}
	for (i = 0; i < SEQ_PROCS; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	EXPECT_EQ(0, hu_sysfs_get("stats/ranges"));
	EXPECT_EQ(0, hu_sysfs_get("stats/chunks"));
}

TEST_HARNESS_MAIN
