// SPDX-License-Identifier: GPL-2.0
/*
 * tunables: the module's sysfs tunables that cxltierd.conf sets ([heat]
 * epoch and half_life), written at start-up and on every reload.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tunables.h"

/* Write @val to the module's tunable @name.  0 or -errno. */
static int write_tunable(const char *sysfs, const char *name, unsigned long long val)
{
	char path[512], buf[32];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", sysfs, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%llu\n", val);
	if (write(fd, buf, (size_t)n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

void tunables_apply(const char *sysfs, const struct config *cfg)
{
	static const struct {
		const char *file;
		size_t off;
	} t[] = {
		{ "epoch_ms", offsetof(struct config, epoch_ms) },
		{ "half_life_ms", offsetof(struct config, half_life_ms) },
	};
	uint32_t v;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memcpy(&v, (const char *)cfg + t[i].off, sizeof(v));
		ret = write_tunable(sysfs, t[i].file, v);
		if (ret)
			log_warn("cannot set the module's %s to %u: %s",
				 t[i].file, v, strerror(-ret));
		else
			log_debug("module %s = %u", t[i].file, v);
	}
}
