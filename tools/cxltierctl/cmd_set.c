// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl set KEY=VALUE...: write tunables under /sys/kernel/cxltier.
 * KEY is a path relative to that directory ("half_life_ms",
 * "nodes/node2/kind"); it may not leave it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"

/* Lower-case letters, digits, '_' and single '/' separators; no "..". */
static int key_ok(const char *key, size_t len)
{
	size_t i;

	if (!len || key[0] == '/' || key[len - 1] == '/')
		return 0;
	for (i = 0; i < len; i++) {
		char c = key[i];

		if (c == '/' && key[i + 1] == '/')
			return 0;
		if (!(c == '/' || c == '_' || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

static int set_one(const struct ctl_opts *opts, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char path[512];
	struct stat st;
	ssize_t n;
	size_t klen;
	int fd;

	if (!eq || !key_ok(arg, (size_t)(eq - arg))) {
		fprintf(stderr, "cxltierctl: set: '%s' is not KEY=VALUE with a tunable's name\n", arg);
		return CTL_EXIT_USAGE;
	}
	klen = (size_t)(eq - arg);
	snprintf(path, sizeof(path), "%s/%.*s", opts->sysfs_root, (int)klen, arg);
	if (stat(path, &st) || !S_ISREG(st.st_mode) || !(st.st_mode & S_IWUSR)) {
		fprintf(stderr, "cxltierctl: set: %.*s: no such tunable (see cxltierctl stats)\n",
			(int)klen, arg);
		return CTL_EXIT_FAIL;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cxltierctl: set: %.*s: %s\n", (int)klen, arg, strerror(errno));
		return CTL_EXIT_FAIL;
	}
	n = write(fd, eq + 1, strlen(eq + 1));
	if (n < 0) {
		fprintf(stderr, "cxltierctl: set: %s: %s\n", arg, strerror(errno));
		close(fd);
		return CTL_EXIT_FAIL;
	}
	close(fd);
	return CTL_EXIT_OK;
}

int cmd_set(int argc, char **argv, const struct ctl_opts *opts)
{
	int i, ret = CTL_EXIT_OK;

	if (argc < 2) {
		fprintf(stderr, "usage: cxltierctl set KEY=VALUE [KEY=VALUE...]\n");
		return CTL_EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		int r = set_one(opts, argv[i]);

		if (r && !ret)
			ret = r;
	}
	return ret;
}
