// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl set KEY=VALUE...: write tunables under /sys/kernel/cxltier.
 * KEY is a path relative to that directory ("half_life_ms",
 * "nodes/node2/kind"); it may not leave it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * Is @path inside @root once symbolic links are resolved?  sysfs has none
 * below /sys/kernel/cxltier, but --sysfs may point anywhere.
 */
static int inside(const char *root, const char *path)
{
	char *r = realpath(root, NULL), *p = realpath(path, NULL);
	size_t len = r ? strlen(r) : 0;
	int ok = r && p && !strncmp(r, p, len) && p[len] == '/';

	free(r);
	free(p);
	return ok;
}

/* KEY=VALUE with a well-formed KEY and a VALUE that is not empty. */
static int arg_ok(const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (eq && key_ok(arg, (size_t)(eq - arg)) && eq[1])
		return 1;
	fprintf(stderr, "cxltierctl: set: '%s' is not KEY=VALUE with a tunable's name and a value\n",
		arg);
	return 0;
}

static int set_one(const struct ctl_opts *opts, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char path[512];
	struct stat st;
	size_t klen, vlen;
	ssize_t n;
	int fd;

	klen = (size_t)(eq - arg);
	vlen = strlen(eq + 1);
	if ((size_t)snprintf(path, sizeof(path), "%s/%.*s", opts->sysfs_root,
			     (int)klen, arg) >= sizeof(path) ||
	    stat(path, &st) || !S_ISREG(st.st_mode) || !(st.st_mode & S_IWUSR) ||
	    !inside(opts->sysfs_root, path)) {
		fprintf(stderr, "cxltierctl: set: %.*s: no such tunable (see cxltierctl stats)\n",
			(int)klen, arg);
		return CTL_EXIT_FAIL;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cxltierctl: set: %.*s: %s\n", (int)klen, arg, strerror(errno));
		return CTL_EXIT_FAIL;
	}
	/* sysfs takes one write; a short one would store part of the value. */
	n = write(fd, eq + 1, vlen);
	if (n < 0 || (size_t)n != vlen) {
		fprintf(stderr, "cxltierctl: set: %s: %s\n", arg,
			n < 0 ? strerror(errno) : "short write");
		close(fd);
		return CTL_EXIT_FAIL;
	}
	if (close(fd)) {
		fprintf(stderr, "cxltierctl: set: %s: %s\n", arg, strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

int cmd_set(int argc, char **argv, const struct ctl_opts *opts)
{
	int i, ret = CTL_EXIT_OK;

	if (argc < 2) {
		fprintf(stderr, "usage: cxltierctl set KEY=VALUE [KEY=VALUE...]\n");
		return CTL_EXIT_USAGE;
	}
	/* Nothing is written when one argument is malformed. */
	for (i = 1; i < argc; i++)
		if (!arg_ok(argv[i]))
			return CTL_EXIT_USAGE;
	/* Then each in order; one refused does not stop the others. */
	for (i = 1; i < argc; i++)
		if (set_one(opts, argv[i]))
			ret = CTL_EXIT_FAIL;
	return ret;
}
