// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by cxltierctl's subcommands: JSON output, sysfs access,
 * opening the device with a useful message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cmds.h"
#include "units.h"

void ctl_print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

int ctl_read_line(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int ctl_read_sysfs(const struct ctl_opts *opts, const char *rel, char *buf,
		   size_t len)
{
	char path[512];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", opts->sysfs_root, rel) >= sizeof(path))
		return -ENAMETOOLONG;
	return ctl_read_line(path, buf, len);
}

void ctl_process_name(int pid, char *buf, size_t len)
{
	char path[64];

	buf[0] = '\0';
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (ctl_read_line(path, buf, len))
		buf[0] = '\0';
}

int ctl_open_dev(const struct ctl_opts *opts, struct kdev *dev)
{
	int ret = kdev_open(dev, opts->dev_path);

	if (ret)
		fprintf(stderr, "cxltierctl: %s: %s%s\n", opts->dev_path,
			strerror(-ret),
			ret == -ENOENT ? " (is cxltier.ko loaded? modprobe cxltier)" :
			ret == -EACCES ? " (needs root)" : "");
	return ret;
}

struct json_object *ctl_json_size(const struct ctl_opts *opts, uint64_t bytes)
{
	char buf[32];

	if (!opts->human)
		return json_object_new_int64((int64_t)bytes);
	return json_object_new_string(units_format_size(bytes, buf, sizeof(buf)));
}

struct json_object *ctl_json_addr(const struct ctl_opts *opts, uint64_t addr)
{
	char buf[32];

	if (!opts->human)
		return json_object_new_int64((int64_t)addr);
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)addr);
	return json_object_new_string(buf);
}

struct json_object *ctl_json_heat(uint64_t heat)
{
	char buf[32];

	/* A decayed access count: two decimals are plenty. */
	snprintf(buf, sizeof(buf), "%.2f", (double)heat / CXLTIER_HEAT_ONE);
	return json_object_new_double_s((double)heat / CXLTIER_HEAT_ONE, buf);
}

int ctl_parse_u32(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int ctl_admin_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s%s", sock,
		     ADMIN_SUFFIX) >= (int)sizeof(sa.sun_path)) {
		fprintf(stderr, "cxltierctl: %s: path too long\n", sock);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		fprintf(stderr, "cxltierctl: %s: %s%s\n", sa.sun_path,
			strerror(err),
			err == EACCES ? " (the admin socket is root's and the agent socket group's)" :
			" (is cxltierd running?)");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}
