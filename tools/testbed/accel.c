// SPDX-License-Identifier: GPL-2.0
/*
 * testbed: the fake accelerator (cxltier_test_accel.ko), page placement,
 * and the data pattern every test checks its bytes against.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/cxltier_test_accel.h>

#include "testbed.h"

#define MAX_NODES	1024

/* Run a program with its output on ours; 0 when it exited 0. */
static int run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ENODEV;
}

/*
 * The fake accelerator is a test module: a program that loaded it with
 * TB_ACCEL_UNLOAD_AT_EXIT unloads it again at exit, on success and on
 * failure alike, so that nothing stays behind (and cxltier.ko can be
 * removed after a run).  A module that was already loaded is left as it
 * was.
 */
static void accel_unload(void)
{
	char path[PATH_MAX], *end;
	struct dirent *de;
	DIR *d;

	/* Its open files hold the module: close every one of ours first. */
	d = opendir("/proc/self/fd");
	if (d) {
		while ((de = readdir(d))) {
			long fd = strtol(de->d_name, &end, 10);
			ssize_t n;
			char link[64];

			if (*end || fd < 0 || fd == dirfd(d))
				continue;
			snprintf(link, sizeof(link), "/proc/self/fd/%ld", fd);
			n = readlink(link, path, sizeof(path) - 1);
			if (n > 0 && (path[n] = 0, !strcmp(path, TB_ACCEL_DEV)))
				close((int)fd);
		}
		closedir(d);
	}
	if (syscall(SYS_delete_module, "cxltier_test_accel", O_NONBLOCK) &&
	    errno != ENOENT)
		fprintf(stderr, "%s: cannot unload cxltier_test_accel: %s\n",
			program_invocation_short_name, strerror(errno));
}

int tb_accel_open(unsigned int flags)
{
	const char *moddir = getenv("CXLTIER_MODDIR");
	static bool unload_registered;
	char ko[PATH_MAX];
	int fd;

	fd = open(TB_ACCEL_DEV, O_RDWR | O_CLOEXEC);
	if (fd >= 0 || !(flags & TB_ACCEL_LOAD))
		return fd >= 0 ? fd : -errno;
	if (moddir) {
		char *argv[] = { "insmod", ko, NULL };

		snprintf(ko, sizeof(ko), "%s/selftests/cxltier_test_accel.ko", moddir);
		if (run(argv))
			return -ENODEV;
	} else {
		char *argv[] = { "modprobe", "-q", "cxltier_test_accel", NULL };

		if (run(argv))
			return -ENODEV;
	}
	if ((flags & TB_ACCEL_UNLOAD_AT_EXIT) && !unload_registered) {
		unload_registered = true;
		atexit(accel_unload);
	}
	fd = open(TB_ACCEL_DEV, O_RDWR | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

int tb_accel_dma(int fd, uint32_t handle, uint64_t off, uint64_t len, uint32_t flags,
		 uint32_t report_count, uint64_t *checksum, int *report_result)
{
	struct cxlta_dma d;

	memset(&d, 0, sizeof(d));
	d.argsz = sizeof(d);
	d.flags = flags;
	d.report_count = report_count;
	d.handle = handle;
	d.offset = off;
	d.length = len;
	if (ioctl(fd, CXLTA_IOC_DMA, &d) < 0)
		return -errno;
	if (checksum)
		*checksum = d.checksum;
	if (report_result)
		*report_result = d.report_result;
	return 0;
}

int tb_accel_pinned(int fd, uint32_t handle, uint64_t *nr_pages, uint64_t *nr_pinned)
{
	struct cxlta_query q;

	/* No entries asked for: the counts alone. */
	memset(&q, 0, sizeof(q));
	q.argsz = sizeof(q);
	q.handle = handle;
	if (ioctl(fd, CXLTA_IOC_QUERY, &q) < 0)
		return -errno;
	*nr_pages = q.nr_pages;
	*nr_pinned = q.nr_pinned;
	return 0;
}

int tb_accel_node(int fd, uint32_t handle, uint64_t first_page, uint32_t nr_pages,
		  int *node, unsigned int *pinned)
{
	struct cxlta_page_info *info = calloc(nr_pages ? nr_pages : 1, sizeof(*info));
	struct cxlta_query q;
	uint32_t i;

	if (!info)
		return -ENOMEM;
	memset(&q, 0, sizeof(q));
	q.argsz = sizeof(q);
	q.handle = handle;
	q.first_page = first_page;
	q.nr_pages = nr_pages;
	q.pages = (uintptr_t)info;
	if (ioctl(fd, CXLTA_IOC_QUERY, &q) < 0) {
		int e = errno;

		free(info);
		return -e;
	}
	*node = -2;
	*pinned = 0;
	for (i = 0; i < nr_pages; i++) {
		if (!(info[i].flags & CXLTA_PAGE_PINNED))
			continue;
		(*pinned)++;
		if (*node == -2)
			*node = info[i].node;
		else if (*node != info[i].node)
			*node = -1;
	}
	free(info);
	return 0;
}

uint64_t tb_fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--) {
		h ^= *b++;
		h *= CXLTA_FNV_PRIME;
	}
	return h;
}

/*
 * Word i of data @id is seed(id) ^ i: cheap enough to write on a replay's
 * critical path, and a word in the wrong place or from other data differs.
 */
static uint64_t pattern_seed(uint32_t id)
{
	return ((uint64_t)id + 1) * 0x9e3779b97f4a7c15ULL;
}

void tb_pattern_fill(void *p, size_t len, uint32_t id)
{
	uint64_t *w = p, seed = pattern_seed(id), i;

	for (i = 0; i < len / 8; i++)
		w[i] = seed ^ i;
}

uint64_t tb_pattern_check(const void *p, size_t len, uint32_t id)
{
	const uint64_t *w = p;
	uint64_t seed = pattern_seed(id), i, bad = 0, d;
	int k;

	for (i = 0; i < len / 8; i++) {
		d = w[i] ^ (seed ^ i);
		if (!d)
			continue;
		for (k = 0; k < 8; k++, d >>= 8)
			bad += (d & 0xff) != 0;
	}
	return bad;
}

int tb_page_node(const void *addr)
{
	void *page = (void *)addr;
	int status = -ENOENT;

	if (move_pages(0, 1, &page, NULL, &status, 0) < 0)
		return -errno;
	return status;
}

int tb_bind(void *addr, size_t len, int node)
{
	unsigned long mask[MAX_NODES / (8 * sizeof(long))] = { 0 };

	if (node < 0 || node >= MAX_NODES)
		return -EINVAL;
	mask[node / (8 * sizeof(long))] |= 1UL << (node % (8 * sizeof(long)));
	return mbind(addr, len, MPOL_BIND, mask, MAX_NODES, MPOL_MF_STRICT) ? -errno : 0;
}

int tb_unbind(void *addr, size_t len)
{
	return mbind(addr, len, MPOL_DEFAULT, NULL, 0, 0) ? -errno : 0;
}

void *tb_map(size_t len, size_t align, unsigned int flags)
{
	char *raw, *p;
	size_t i;

	raw = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS |
		   (flags & TB_MAP_NORESERVE ? MAP_NORESERVE : 0), -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + len, raw + align - p);
	if (flags & (TB_MAP_THP | TB_MAP_NOTHP) &&
	    madvise(p, len, flags & TB_MAP_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		int e = errno;

		munmap(p, len);
		errno = e;
		return NULL;
	}
	if (flags & TB_MAP_TOUCH)
		for (i = 0; i < len; i += 4096)
			p[i] = 1;
	return p;
}

void tb_unmap(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

long tb_thp_kb(const void *p)
{
	char line[256], want[32];
	long kb = -1;
	int in = 0;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)p);
	while (fgets(line, sizeof(line), f)) {
		if (isxdigit((unsigned char)line[0]) && strchr(line, '-')) {
			if (in)
				break;	/* past our mapping */
			in = !strncmp(line, want, strlen(want));
		} else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1) {
			break;
		}
	}
	fclose(f);
	return kb;
}
