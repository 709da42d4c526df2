/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxltierctl subcommands: one cmd_<verb>() per file, git style.
 */
#ifndef CXLTIERCTL_CMDS_H
#define CXLTIERCTL_CMDS_H

#include <json-c/json.h>

/* Exit codes, listed in cxltierctl(8). */
#define CTL_EXIT_OK	0
#define CTL_EXIT_FAIL	1	/* the operation failed */
#define CTL_EXIT_USAGE	2	/* bad command line */
#define CTL_EXIT_NODEV	3	/* /dev/cxltier missing or unusable */

/* Global options, parsed before the subcommand. */
struct ctl_opts {
	const char *dev_path;	/* --device, default /dev/cxltier */
	const char *sysfs_root;	/* --sysfs, default /sys/kernel/cxltier */
	int human;		/* -u: human-readable sizes */
};

int cmd_info(int argc, char **argv, const struct ctl_opts *opts);

/* Print @obj as pretty JSON on stdout and drop the reference. */
void ctl_print_json(struct json_object *obj);

/* Read a one-line sysfs file below opts->sysfs_root into @buf (no newline). */
int ctl_read_sysfs(const struct ctl_opts *opts, const char *rel, char *buf,
		   size_t len);

#endif /* CXLTIERCTL_CMDS_H */
