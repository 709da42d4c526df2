// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench helpers: time, sysfs tunables, buffers, the fake
 * accelerator.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define SYSFS_ROOT "/sys/kernel/cxltier/"
#define ACCEL_DEV "/dev/cxltier_test_accel"
#define HUGE_2M (2UL << 20)

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

long long bench_sysfs_get(const char *name)
{
	char path[256], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSFS_ROOT "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

int bench_sysfs_set(const char *name, long long v)
{
	char path[256], buf[32];
	int fd, ret = 0;

	snprintf(path, sizeof(path), SYSFS_ROOT "%s", name);
	snprintf(buf, sizeof(buf), "%lld", v);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, strlen(buf)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

void bench_tunables_save(struct bench_tunables *t)
{
	t->scan_interval_ms = bench_sysfs_get("scan_interval_ms");
	t->scan_budget_pages = bench_sysfs_get("scan_budget_pages");
	t->half_life_ms = bench_sysfs_get("half_life_ms");
	t->epoch_ms = bench_sysfs_get("epoch_ms");
	t->device_weight = bench_sysfs_get("device_weight");
}

void bench_tunables_restore(const struct bench_tunables *t)
{
	if (t->scan_interval_ms > 0)
		bench_sysfs_set("scan_interval_ms", t->scan_interval_ms);
	if (t->scan_budget_pages > 0)
		bench_sysfs_set("scan_budget_pages", t->scan_budget_pages);
	if (t->half_life_ms >= 0)
		bench_sysfs_set("half_life_ms", t->half_life_ms);
	if (t->epoch_ms > 0)
		bench_sysfs_set("epoch_ms", t->epoch_ms);
	if (t->device_weight >= 0)
		bench_sysfs_set("device_weight", t->device_weight);
}

void *bench_buffer(size_t len, int thp)
{
	char *raw, *p;
	size_t i;

	raw = mmap(NULL, len + HUGE_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)raw + HUGE_2M - 1) & ~(HUGE_2M - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + len, raw + HUGE_2M - p);
	madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (i = 0; i < len; i += 4096)
		p[i] = 1;
	return p;
}

void bench_buffer_free(void *p, size_t len)
{
	munmap(p, len);
}

long bench_thp_kb(const void *p)
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

/*
 * The fake accelerator is a test module: a benchmark that loaded it
 * unloads it again at exit, on success and on failure alike, so that
 * nothing stays behind (and cxltier.ko can be removed after a run).  A
 * module that was already loaded is left as it was.
 */
static void bench_accel_unload(void)
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
			if (n > 0 && (path[n] = 0, !strcmp(path, ACCEL_DEV)))
				close((int)fd);
		}
		closedir(d);
	}
	if (syscall(SYS_delete_module, "cxltier_test_accel", O_NONBLOCK) &&
	    errno != ENOENT)
		fprintf(stderr, "cxltier-bench: cannot unload cxltier_test_accel: %s\n",
			strerror(errno));
}

int bench_accel_open(void)
{
	const char *moddir = getenv("CXLTIER_MODDIR");
	static int loaded_here;
	char cmd[512];
	int fd;

	fd = open(ACCEL_DEV, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (!moddir)
		return -ENODEV;
	snprintf(cmd, sizeof(cmd),
		 "insmod %s/selftests/cxltier_test_accel.ko 2>/dev/null", moddir);
	if (system(cmd) != 0)
		return -ENODEV;
	if (!loaded_here) {
		loaded_here = 1;
		atexit(bench_accel_unload);
	}
	fd = open(ACCEL_DEV, O_RDWR | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}
