// SPDX-License-Identifier: GPL-2.0
/*
 * peer_access: the socket's owner and mode, and the check of a peer's
 * credentials at accept.  See peer_access.h.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "peer_access.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59	/* Linux 4.13 */
#endif

/* Supplementary groups read at once; more are read on a second call. */
#define PEER_GROUPS_INLINE	64

int peer_access_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char *buf;
	long size = sysconf(_SC_GETGR_R_SIZE_MAX);
	int ret;

	if (size <= 0 || size > (1L << 20))
		size = 16384;
	buf = malloc((size_t)size);
	if (!buf)
		return -ENOMEM;
	ret = getgrnam_r(name, &gr, buf, (size_t)size, &res);
	if (!ret && !res)
		ret = ENOENT;
	if (!ret)
		*gid = gr.gr_gid;
	free(buf);
	return -ret;
}

int peer_access_socket(const char *path, gid_t group, mode_t mode)
{
	/*
	 * cxltierd runs as root; a server run by another user (the host
	 * unit tests) cannot give its socket away and keeps its own ids.
	 */
	if (geteuid() == 0 && chown(path, 0, group == PEER_NO_GROUP ? 0 : group))
		return -errno;
	if (chmod(path, mode))
		return -errno;
	return 0;
}

/* Is @group among the peer's supplementary groups? */
static bool in_peer_groups(int fd, gid_t group)
{
	gid_t inline_groups[PEER_GROUPS_INLINE], *groups = inline_groups;
	socklen_t len = sizeof(inline_groups);
	bool found = false;
	size_t i, n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len)) {
		if (errno != ERANGE || !len || len > (1U << 20))
			return false;
		groups = malloc(len);
		if (!groups)
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len)) {
			free(groups);
			return false;
		}
	}
	n = len / sizeof(gid_t);
	for (i = 0; i < n && !found; i++)
		found = groups[i] == group;
	if (groups != inline_groups)
		free(groups);
	return found;
}

int peer_access_check(int fd, gid_t group, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	memset(cred, 0, sizeof(*cred));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len))
		return -errno;
	if (len != sizeof(*cred) || cred->pid <= 0)
		return -ENOTCONN;
	if (cred->uid == 0)
		return 0;
	if (group == PEER_NO_GROUP)
		return -EACCES;
	if (cred->gid == group || in_peer_groups(fd, group))
		return 0;
	return -EACCES;
}
