// SPDX-License-Identifier: GPL-2.0
/*
 * testbed: /sys/kernel/cxltier/ as numbers, and the tunables a run
 * changes saved first and put back after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testbed.h"

#define SYSFS_ROOT "/sys/kernel/cxltier/"

const char *const tb_tunable_names[TB_NR_TUNABLES] = {
	"scan_interval_ms", "scan_budget_pages", "half_life_ms", "epoch_ms",
	"device_weight", "max_ranges_per_fd", "max_chunks",
	"scan_exact_max_pages", "scan_sample_pages",
};

long long tb_sysfs_get(const char *name)
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

int tb_sysfs_write(const char *name, const char *text)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), SYSFS_ROOT "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int tb_sysfs_set(const char *name, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return tb_sysfs_write(name, buf);
}

void tb_tunables_save(struct tb_tunables *t)
{
	unsigned int i;

	for (i = 0; i < TB_NR_TUNABLES; i++)
		t->v[i] = tb_sysfs_get(tb_tunable_names[i]);
}

void tb_tunables_restore(const struct tb_tunables *t)
{
	unsigned int i;

	for (i = 0; i < TB_NR_TUNABLES; i++)
		if (t->v[i] >= 0)
			tb_sysfs_set(tb_tunable_names[i], t->v[i]);
}
