// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for agent/server.c, cxltierd's end of the protocol,
 * driven through its own socket by a client written with proto.c: the
 * HELLO state machine, the answers to requests the server must refuse
 * without a module (REGISTER or MOVE of a range it cannot find,
 * UNREGISTER of a buffer never registered), and the disconnections the
 * specification asks for (a bad frame, a frame of the agent's direction,
 * another protocol version, which gets its HELLO_REPLY first).  The
 * handshake itself needs registered ranges, so the guest's end-to-end
 * tests cover it.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "kselftest_harness.h"
#include "peer_access.h"
#include "proto.h"
#include "ratelimit.h"
#include "server.h"

/* Let the server run until nothing happens for @ms. */
static void pump(struct server *s, int ms)
{
	struct pollfd pfd[SRV_MAX_CLIENTS + 1];
	size_t n;

	for (;;) {
		n = server_pollfds(s, pfd, SRV_MAX_CLIENTS + 1);
		if (poll(pfd, n, ms) <= 0)
			return;
		server_process(s, pfd, n);
	}
}

FIXTURE(srv)
{
	char dir[64];
	char path[96];
	struct kdev kdev;
	struct server *s;
	struct proto_peer peer;
	int fd;
};

FIXTURE_SETUP(srv)
{
	struct srv_options o = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(self->dir, sizeof(self->dir), "/tmp/cxltier-test-server.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/s.sock", self->dir);
	/* No module: every lookup of a range fails (-EBADF). */
	memset(&self->kdev, 0, sizeof(self->kdev));
	self->kdev.fd = -1;
	o.path = self->path;
	o.timeout_ms = 500;
	o.max_clients = 4;
	/* Root or not, the test's own client is in the access group. */
	o.group = getegid();
	ASSERT_EQ(0, server_open(&self->s, &o, &self->kdev));
	self->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->fd);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", self->path);
	ASSERT_EQ(0, connect(self->fd, (struct sockaddr *)&sa, sizeof(sa)));
	proto_peer_init(&self->peer, PROTO_FROM_CLIENT);
	pump(self->s, 50);
	ASSERT_EQ(1, server_nr_clients(self->s));
}

FIXTURE_TEARDOWN(srv)
{
	close(self->fd);
	server_close(self->s);
	unlink(self->path);
	rmdir(self->dir);
}

/* Send @m from the client and let the server answer. */
static int ask(FIXTURE_DATA(srv) *self, struct proto_msg *m)
{
	int ret = proto_send(self->fd, &self->peer, m, NULL);

	pump(self->s, 50);
	return ret;
}

/* The server's next frame, checked by the client's state machine. */
static int answer(FIXTURE_DATA(srv) *self, struct proto_msg *m)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };

	if (poll(&p, 1, 1000) != 1)
		return -ETIMEDOUT;
	return proto_recv(self->fd, &self->peer, m, NULL, NULL);
}

static void hello(struct __test_metadata *_metadata, FIXTURE_DATA(srv) *self)
{
	struct proto_msg m = { .type = PROTO_HELLO };

	ASSERT_EQ(0, ask(self, &m));
	ASSERT_EQ(0, answer(self, &m));
	ASSERT_EQ(PROTO_HELLO_REPLY, m.type);
	ASSERT_EQ(0, m.status);
	ASSERT_EQ(1, m.reply_to);
}

/* Is the server's end closed (the client reads end of file)? */
static bool closed(FIXTURE_DATA(srv) *self)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	uint8_t buf[PROTO_FRAME_SIZE];

	if (poll(&p, 1, 1000) != 1)
		return false;
	return recv(self->fd, buf, sizeof(buf), MSG_DONTWAIT) == 0;
}

/* HELLO gets its reply; the client counts as connected. */
TEST_F(srv, hello)
{
	hello(_metadata, self);
	EXPECT_EQ(1, server_nr_clients(self->s));
	EXPECT_EQ(0, server_nr_buffers(self->s));
}

/* A range the server cannot find is refused with the lookup's error. */
TEST_F(srv, register_without_the_range)
{
	struct proto_msg m = {
		.type = PROTO_REGISTER, .buffer = 3, .addr = 0x7f0000000000ULL,
		.length = 64ULL << 20, .chunk_size = 2ULL << 20, .label = "kv",
	};

	hello(_metadata, self);
	ASSERT_EQ(0, ask(self, &m));
	ASSERT_EQ(0, answer(self, &m));
	EXPECT_EQ(PROTO_REGISTER_REPLY, m.type);
	EXPECT_EQ(3, m.buffer);
	EXPECT_EQ(-EBADF, m.status);	/* no module: kdev.fd is -1 */
	EXPECT_EQ(0, server_nr_buffers(self->s));
	EXPECT_EQ(NULL, server_buffer(self->s, 3));
	EXPECT_EQ(1, server_nr_clients(self->s));	/* an error, not a kill */
}

/*
 * UNREGISTER of a buffer never registered is -ENOENT; a MOVE asks the
 * module for the range first (a client may move a range it tracks
 * without registering it) and gets the lookup's error.
 */
TEST_F(srv, unknown_buffer)
{
	struct proto_msg u = { .type = PROTO_UNREGISTER, .buffer = 9 };
	struct proto_msg mv = {
		.type = PROTO_MOVE, .buffer = 9, .addr = 0, .length = 2ULL << 20,
		.node = 1,
	};

	hello(_metadata, self);
	ASSERT_EQ(0, ask(self, &u));
	ASSERT_EQ(0, answer(self, &u));
	EXPECT_EQ(PROTO_UNREGISTER_REPLY, u.type);
	EXPECT_EQ(-ENOENT, u.status);
	ASSERT_EQ(0, ask(self, &mv));
	ASSERT_EQ(0, answer(self, &mv));
	EXPECT_EQ(PROTO_MOVE_REPLY, mv.type);
	EXPECT_EQ(-EBADF, mv.status);	/* no module: kdev.fd is -1 */
	EXPECT_EQ(1, server_nr_clients(self->s));
}

/* Bytes that are not a frame: the server hangs up. */
TEST_F(srv, garbage_disconnects)
{
	static const char junk[] = "not a frame";

	hello(_metadata, self);
	ASSERT_EQ((ssize_t)sizeof(junk), send(self->fd, junk, sizeof(junk), 0));
	pump(self->s, 50);
	EXPECT_TRUE(closed(self));
	EXPECT_EQ(0, server_nr_clients(self->s));
}

/* A request before HELLO breaks the protocol: the server hangs up. */
TEST_F(srv, request_before_hello)
{
	struct proto_msg m = { .type = PROTO_UNREGISTER, .buffer = 9, .seq = 1 };
	uint8_t frame[PROTO_FRAME_SIZE];

	ASSERT_EQ(0, proto_encode(&m, PROTO_FROM_CLIENT, frame, NULL));
	ASSERT_EQ(PROTO_FRAME_SIZE, send(self->fd, frame, sizeof(frame), 0));
	pump(self->s, 50);
	EXPECT_TRUE(closed(self));
	EXPECT_EQ(0, server_nr_clients(self->s));
}

/* A frame only the agent may send, from the client: hung up on. */
TEST_F(srv, agent_frame_from_client)
{
	struct proto_msg m = {
		.type = PROTO_PREPARE, .seq = 2, .buffer = 3, .addr = 0,
		.length = 2ULL << 20, .node = 1, .timeout_ms = 2000,
		.hold_ms = 5000,
	};
	uint8_t frame[PROTO_FRAME_SIZE];

	hello(_metadata, self);
	ASSERT_EQ(0, proto_encode(&m, PROTO_FROM_AGENT, frame, NULL));
	ASSERT_EQ(PROTO_FRAME_SIZE, send(self->fd, frame, sizeof(frame), 0));
	pump(self->s, 50);
	EXPECT_TRUE(closed(self));
	EXPECT_EQ(0, server_nr_clients(self->s));
}

/* Another version: a HELLO_REPLY with -EPROTONOSUPPORT, then the end. */
TEST_F(srv, other_version)
{
	struct proto_msg m = { .type = PROTO_HELLO, .seq = 1 };
	uint8_t frame[PROTO_FRAME_SIZE];
	struct proto_msg r;
	ssize_t n;

	ASSERT_EQ(0, proto_encode(&m, PROTO_FROM_CLIENT, frame, NULL));
	frame[4] = PROTO_VERSION + 1;
	ASSERT_EQ(PROTO_FRAME_SIZE, send(self->fd, frame, sizeof(frame), 0));
	pump(self->s, 50);
	n = recv(self->fd, frame, sizeof(frame), MSG_DONTWAIT);
	ASSERT_EQ(PROTO_FRAME_SIZE, n);
	ASSERT_EQ(0, proto_decode(frame, (size_t)n, PROTO_FROM_AGENT, &r, NULL));
	EXPECT_EQ(PROTO_HELLO_REPLY, r.type);
	EXPECT_EQ(-EPROTONOSUPPORT, r.status);
	EXPECT_TRUE(closed(self));
	EXPECT_EQ(0, server_nr_clients(self->s));
}

/* --- access and per-uid limits (socketpairs with chosen credentials) ----- */

#define T_GROUP	4242

/* A server with small limits, on a socket in a fresh directory. */
static struct server *limited_server(char *dir, size_t len, char *path,
				     size_t plen)
{
	struct srv_options o = { 0 };
	static struct kdev kdev = { .fd = -1 };
	struct server *s = NULL;

	snprintf(dir, len, "/tmp/cxltier-test-server.XXXXXX");
	if (!mkdtemp(dir))
		return NULL;
	snprintf(path, plen, "%s/s.sock", dir);
	o.path = path;
	o.group = T_GROUP;
	o.mode = 0660;
	o.limits.max_clients = 4;
	o.limits.root_reserve = 1;
	o.limits.clients_per_uid = 2;
	o.limits.buffers_per_uid = 1;
	o.limits.requests_per_uid = 1;
	if (server_open(&s, &o, &kdev))
		return NULL;
	return s;
}

/*
 * A client with effective ids @uid/@gid (SO_PEERCRED of a socketpair:
 * its creator's), handed to the server.  Our end in *@fd; the server's
 * verdict returned.
 */
static int client_as(struct server *s, uid_t uid, gid_t gid, int *fd)
{
	int sv[2], ret;

	if (setegid(gid) || seteuid(uid))
		return -EPERM - 1000;
	ret = socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv);
	if (seteuid(0) || setegid(0) || ret)
		return -EPERM - 1000;
	*fd = sv[0];
	return server_add_client(s, sv[1]);
}

/* The socket file: root and the access group, the configured mode. */
TEST(socket_owner_and_mode)
{
	char dir[64], path[96];
	struct server *s;
	struct stat st;

	if (geteuid())
		SKIP(return, "not applicable: needs root to chown the socket");
	s = limited_server(dir, sizeof(dir), path, sizeof(path));
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(T_GROUP, st.st_gid);
	EXPECT_EQ(0660, st.st_mode & 07777);
	server_close(s);
	rmdir(dir);
}

/* Root and members are let in; anyone else is refused at accept. */
TEST(access_by_group)
{
	char dir[64], path[96], why[128];
	int a = -1, b = -1, c = -1;
	struct server *s;

	if (geteuid())
		SKIP(return, "not applicable: needs root to play other users");
	s = limited_server(dir, sizeof(dir), path, sizeof(path));
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, client_as(s, 0, 0, &a));
	EXPECT_EQ(0, client_as(s, 65534, T_GROUP, &b));
	EXPECT_EQ(-EACCES, client_as(s, 65534, T_GROUP + 1, &c));
	EXPECT_EQ(2, server_nr_clients(s));
	EXPECT_EQ(1, server_stats(s)->refused[PEER_REFUSED_ACCESS]);
	EXPECT_EQ(0, server_check_books(s, why, sizeof(why))) TH_LOG("%s", why);
	close(a);
	close(b);
	close(c);
	server_close(s);
	rmdir(dir);
}

/* clients_per_uid for each user, the last connection kept for root. */
TEST(uid_limits_and_root_reserve)
{
	char dir[64], path[96], why[128];
	int fd[6] = { -1, -1, -1, -1, -1, -1 }, i;
	const struct srv_stats *st;
	struct server *s;

	if (geteuid())
		SKIP(return, "not applicable: needs root to play other users");
	s = limited_server(dir, sizeof(dir), path, sizeof(path));
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, client_as(s, 65534, T_GROUP, &fd[0]));
	EXPECT_EQ(0, client_as(s, 65534, T_GROUP, &fd[1]));
	EXPECT_EQ(-EUSERS, client_as(s, 65534, T_GROUP, &fd[2]));	/* its 2 */
	EXPECT_EQ(0, client_as(s, 65533, T_GROUP, &fd[3]));
	EXPECT_EQ(-EUSERS, client_as(s, 65532, T_GROUP, &fd[4]));	/* root's */
	EXPECT_EQ(0, client_as(s, 0, 0, &fd[5]));
	st = server_stats(s);
	EXPECT_EQ(1, st->refused[PEER_REFUSED_UID]);
	EXPECT_EQ(1, st->refused[PEER_REFUSED_RESERVED]);
	EXPECT_EQ(4, server_nr_clients(s));
	EXPECT_EQ(0, server_check_books(s, why, sizeof(why))) TH_LOG("%s", why);
	/* With 3 connected, only root's reserve is left. */
	close(fd[0]);
	pump(s, 50);
	EXPECT_EQ(3, server_nr_clients(s));
	EXPECT_EQ(-EUSERS, client_as(s, 65534, T_GROUP, &fd[0]));
	close(fd[0]);
	/* One more goes: the first user may connect again. */
	close(fd[3]);
	pump(s, 50);
	EXPECT_EQ(2, server_nr_clients(s));
	EXPECT_EQ(0, client_as(s, 65534, T_GROUP, &fd[0]));
	fd[3] = -1;
	EXPECT_EQ(0, server_check_books(s, why, sizeof(why))) TH_LOG("%s", why);
	for (i = 0; i < 6; i++)
		close(fd[i]);
	pump(s, 50);
	EXPECT_EQ(0, server_nr_clients(s));
	EXPECT_EQ(0, server_check_books(s, why, sizeof(why))) TH_LOG("%s", why);
	server_close(s);
	rmdir(dir);
}

/* 5 lines a window, then silence, then the count of what was held back. */
TEST(ratelimit_windows)
{
	struct ratelimit rl;
	uint64_t missed = 99;
	int i;

	ratelimit_init(&rl, 30000, 5);
	for (i = 0; i < 5; i++) {
		EXPECT_TRUE(ratelimit_allow(&rl, 1000 + i, &missed));
		EXPECT_EQ(0, missed);
	}
	for (i = 0; i < 7; i++)
		EXPECT_FALSE(ratelimit_allow(&rl, 2000 + i, &missed));
	EXPECT_FALSE(ratelimit_allow(&rl, 30999, &missed));
	EXPECT_TRUE(ratelimit_allow(&rl, 31000, &missed));
	EXPECT_EQ(8, missed);
	EXPECT_TRUE(ratelimit_allow(&rl, 31001, &missed));
	EXPECT_EQ(0, missed);
}

TEST_HARNESS_MAIN
