// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl stats: the module's tunables and counters from sysfs.
 * Generic over the files present, so a new tunable or counter shows up
 * without a change here.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds.h"

/* A value as a JSON integer when it is one, else as a string. */
static struct json_object *value_json(const char *v)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v && !*end && !errno)
		return json_object_new_int64(n);
	return json_object_new_string(v);
}

/*
 * Add the regular files of @dir (relative to the sysfs root) to @obj;
 * with @writable >= 0, only files whose owner-write bit matches it.
 */
static int add_dir(const struct ctl_opts *opts, const char *dir,
		   struct json_object *obj, int writable)
{
	char path[1024], rel[512], val[256];
	struct dirent **names;
	struct stat st;
	int n, i;

	snprintf(path, sizeof(path), "%s/%s", opts->sysfs_root, dir);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if ((size_t)snprintf(rel, sizeof(rel), "%s%s%s", dir, *dir ? "/" : "", name) >= sizeof(rel) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", opts->sysfs_root, rel) >= sizeof(path)) {
			free(names[i]);
			continue;
		}
		if (name[0] != '.' && !stat(path, &st) && S_ISREG(st.st_mode) &&
		    (writable < 0 || !!(st.st_mode & S_IWUSR) == writable) &&
		    !ctl_read_sysfs(opts, rel, val, sizeof(val)))
			json_object_object_add(obj, name, value_json(val));
		free(names[i]);
	}
	free(names);
	return 0;
}

int cmd_stats(int argc, char **argv, const struct ctl_opts *opts)
{
	struct json_object *obj, *tunables, *stats;
	char version[64];
	int ret;

	if (argc > 1) {
		fprintf(stderr, "usage: cxltierctl stats\n");
		return CTL_EXIT_USAGE;
	}
	ret = ctl_read_sysfs(opts, "version", version, sizeof(version));
	if (ret) {
		fprintf(stderr, "cxltierctl: %s: %s (is cxltier.ko loaded?)\n",
			opts->sysfs_root, strerror(-ret));
		return CTL_EXIT_NODEV;
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "version", json_object_new_string(version));
	tunables = json_object_new_object();
	add_dir(opts, "", tunables, 1);
	json_object_object_add(obj, "tunables", tunables);
	stats = json_object_new_object();
	if (!add_dir(opts, "stats", stats, -1))
		json_object_object_add(obj, "stats", stats);
	else
		json_object_put(stats);
	ctl_print_json(obj);
	return CTL_EXIT_OK;
}
