/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxltierctl subcommands: one cmd_<verb>() per file, git style.
 */
#ifndef CXLTIERCTL_CMDS_H
#define CXLTIERCTL_CMDS_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "kdev.h"

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
int cmd_stats(int argc, char **argv, const struct ctl_opts *opts);
int cmd_set(int argc, char **argv, const struct ctl_opts *opts);
int cmd_buffers(int argc, char **argv, const struct ctl_opts *opts);
int cmd_heat(int argc, char **argv, const struct ctl_opts *opts);
int cmd_top(int argc, char **argv, const struct ctl_opts *opts);
int cmd_heatmap(int argc, char **argv, const struct ctl_opts *opts);
int cmd_tiers(int argc, char **argv, const struct ctl_opts *opts);
int cmd_drain(int argc, char **argv, const struct ctl_opts *opts);
int cmd_undrain(int argc, char **argv, const struct ctl_opts *opts);
int cmd_doctor(int argc, char **argv, const struct ctl_opts *opts);
int cmd_holders(int argc, char **argv, const struct ctl_opts *opts);
int cmd_agent(int argc, char **argv, const struct ctl_opts *opts);

/* The agent's admin socket: its client socket with this suffix. */
#define ADMIN_SUFFIX	".admin"
/* Longest admin request line, newline included (cxltierd's limit). */
#define ADMIN_REQ_MAX	256

/* Connect to the admin socket of the agent at @sock; -1 (said why). */
int ctl_admin_connect(const char *sock);

/* Print @obj as pretty JSON on stdout and drop the reference. */
void ctl_print_json(struct json_object *obj);

/* The first line of @path into @buf (no newline).  0 or -errno. */
int ctl_read_line(const char *path, char *buf, size_t len);

/* /proc/PID/comm into @buf, "" when the process is gone or hidden. */
void ctl_process_name(int pid, char *buf, size_t len);

/* Read a one-line sysfs file below opts->sysfs_root into @buf (no newline). */
int ctl_read_sysfs(const struct ctl_opts *opts, const char *rel, char *buf,
		   size_t len);

struct ctl_range;
/* One buffer as "cxltierctl buffers" prints it. */
struct json_object *ctl_range_json(const struct ctl_opts *opts,
				   const struct ctl_range *r);

/* Open and handshake opts->dev_path; prints why on failure.  0 or -errno. */
int ctl_open_dev(const struct ctl_opts *opts, struct kdev *dev);

/* A byte count as a number, or "1.50 GiB" with -u. */
struct json_object *ctl_json_size(const struct ctl_opts *opts, uint64_t bytes);

/* An address as a number, or "0x7f..." with -u. */
struct json_object *ctl_json_addr(const struct ctl_opts *opts, uint64_t addr);

/* A heat value (CXLTIER_HEAT_ONE per access) as a number of accesses. */
struct json_object *ctl_json_heat(uint64_t heat);

/* Parse a decimal or 0x number that fits 32 bits.  0 or -EINVAL. */
int ctl_parse_u32(const char *s, uint32_t *out);

#endif /* CXLTIERCTL_CMDS_H */
