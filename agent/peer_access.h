/* SPDX-License-Identifier: GPL-2.0 */
/*
 * peer_access: who may talk to cxltierd.  The socket file belongs to
 * root and the access group (cxltier, the group of /dev/cxltier), with a
 * mode that lets the group in and nobody else; a peer that reaches the
 * socket anyway (a looser mode, a descriptor passed on) is checked again
 * at accept from its credentials: root, or the group as its primary or
 * one of its supplementary groups (SO_PEERGROUPS).
 */
#ifndef CXLTIERD_PEER_ACCESS_H
#define CXLTIERD_PEER_ACCESS_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

/* No access group: root only. */
#define PEER_NO_GROUP		((gid_t)-1)
/* The default group and socket mode (cxltierd.conf(5) [socket]). */
#define PEER_DEFAULT_GROUP	"cxltier"
#define PEER_DEFAULT_MODE	0660

/*
 * The gid of group @name into *@gid.  0; -ENOENT when there is no such
 * group; another -errno when the group database cannot be read.
 */
int peer_access_group(const char *name, gid_t *gid);

/*
 * Give the socket file @path to root and @group (PEER_NO_GROUP: root's
 * group) with @mode; run by another user than root, only the mode.
 * 0 or -errno.
 */
int peer_access_socket(const char *path, gid_t group, mode_t mode);

/*
 * The credentials of the peer of the connected socket @fd into *@cred,
 * and whether it may use the agent: 0 when it is root or in @group;
 * -EACCES when it is not; -ENOTCONN (or the socket call's -errno) when
 * its credentials cannot be read.
 */
int peer_access_check(int fd, gid_t group, struct ucred *cred);

#endif /* CXLTIERD_PEER_ACCESS_H */
