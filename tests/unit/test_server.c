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
#include <sys/un.h>

#include "kselftest_harness.h"
#include "proto.h"
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

TEST_HARNESS_MAIN
