// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl holders: which processes hold /dev/cxltier open (what keeps
 * `rmmod cxltier` answering "in use"), each with the tracked buffers of
 * its memory.  Found the way fuser(1) does: every /proc/PID/fd link whose
 * target is the device's character device.  Without root only the
 * caller's own processes are visible.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "ranges.h"

/* Open file descriptors of @pid on the character device @rdev; -errno. */
static int count_fds(int pid, dev_t rdev)
{
	char path[64];
	struct dirent *d;
	struct stat st;
	int n = 0, dfd;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	dfd = dirfd(dir);
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		/* fstatat follows the magic link to the open file itself. */
		if (!fstatat(dfd, d->d_name, &st, 0) && S_ISCHR(st.st_mode) &&
		    st.st_rdev == rdev)
			n++;
	}
	closedir(dir);
	return n;
}

static void read_comm(int pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static struct json_object *holder_json(const struct ctl_opts *opts, int pid,
				       int fds, const struct ctl_range *r, size_t nr)
{
	struct json_object *o = json_object_new_object(), *bufs = json_object_new_array();
	char comm[64], path[64];
	struct stat st;
	size_t i;

	read_comm(pid, comm, sizeof(comm));
	snprintf(path, sizeof(path), "/proc/%d", pid);
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "process", json_object_new_string(comm));
	if (!stat(path, &st))
		json_object_object_add(o, "uid", json_object_new_int64(st.st_uid));
	json_object_object_add(o, "fds", json_object_new_int(fds));
	for (i = 0; i < nr; i++) {
		struct json_object *b;
		char label[CXLTIER_LABEL_LEN + 1];

		if (r[i].info.pid != pid)
			continue;
		b = json_object_new_object();
		json_object_object_add(b, "id", json_object_new_int64(r[i].info.id));
		snprintf(label, sizeof(label), "%.*s", CXLTIER_LABEL_LEN, r[i].info.label);
		if (label[0])
			json_object_object_add(b, "label", json_object_new_string(label));
		json_object_object_add(b, "length", ctl_json_size(opts, r[i].info.length));
		json_object_array_add(bufs, b);
	}
	json_object_object_add(o, "buffers", bufs);
	return o;
}

int cmd_holders(int argc, char **argv, const struct ctl_opts *opts)
{
	struct json_object *out;
	struct ctl_range *r = NULL;
	struct dirent *d;
	struct kdev dev;
	size_t nr = 0;
	struct stat st;
	DIR *proc;

	if (argc > 1) {
		fprintf(stderr, "usage: cxltierctl holders\n");
		return CTL_EXIT_USAGE;
	}
	if (stat(opts->dev_path, &st) || !S_ISCHR(st.st_mode)) {
		fprintf(stderr, "cxltierctl: %s: %s\n", opts->dev_path,
			errno ? strerror(errno) : "not a character device");
		return CTL_EXIT_NODEV;
	}
	proc = opendir("/proc");
	if (!proc) {
		fprintf(stderr, "cxltierctl: /proc: %s\n", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	/* Buffers are extra: a caller that cannot open the device still
	 * learns who holds it. */
	if (!kdev_open(&dev, opts->dev_path)) {
		if (ctl_ranges_load(&dev, 0, &r, &nr))
			nr = 0;
		kdev_close(&dev);
	}
	out = json_object_new_array();
	while ((d = readdir(proc))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);
		int fds;

		if (*end || pid <= 0 || pid > INT32_MAX)
			continue;
		fds = count_fds((int)pid, st.st_rdev);
		if (fds > 0)
			json_object_array_add(out, holder_json(opts, (int)pid, fds, r, nr));
	}
	closedir(proc);
	ctl_ranges_free(r, nr);
	ctl_print_json(out);
	return CTL_EXIT_OK;
}
