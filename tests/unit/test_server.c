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
#include "clock.h"
#include "peer_access.h"
#include "proto.h"
#include "proto_pool.h"
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

/* --- block pools ---------------------------------------------------------- */

#define PBS	(2ULL << 20)

/* Two slabs of 8 slots, owned by this process; a third of another pid. */
static int fake_ranges(void *arg, struct cxltier_range_info *buf,
		       uint32_t room, uint32_t *total)
{
	static const uint32_t ids[3] = { 11, 12, 13 };
	uint32_t i;

	(void)arg;
	*total = 3;
	for (i = 0; i < 3 && i < room; i++) {
		memset(&buf[i], 0, sizeof(buf[i]));
		buf[i].id = ids[i];
		buf[i].pid = i < 2 ? getpid() : getpid() + 1;
		buf[i].start = 0x100000000ULL * (i + 1);
		buf[i].length = 8 * PBS;
		buf[i].chunk_size = PBS;
		buf[i].nr_chunks = 8;
	}
	return 0;
}

FIXTURE(psrv)
{
	char dir[64];
	char path[96];
	struct kdev kdev;
	struct server *s;
	struct proto_peer peer;
	int fd;
};

FIXTURE_SETUP(psrv)
{
	struct srv_options o = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct proto_msg m = { .type = PROTO_HELLO, .version = 2 };
	struct pollfd p;

	snprintf(self->dir, sizeof(self->dir), "/tmp/cxltier-test-server.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/s.sock", self->dir);
	memset(&self->kdev, 0, sizeof(self->kdev));
	self->kdev.fd = -1;
	o.path = self->path;
	o.timeout_ms = 100;
	o.max_clients = 4;
	o.group = getegid();
	o.ranges = fake_ranges;
	ASSERT_EQ(0, server_open(&self->s, &o, &self->kdev));
	self->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->fd);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", self->path);
	ASSERT_EQ(0, connect(self->fd, (struct sockaddr *)&sa, sizeof(sa)));
	proto_peer_init(&self->peer, PROTO_FROM_CLIENT);
	pump(self->s, 50);
	ASSERT_EQ(0, proto_send(self->fd, &self->peer, &m, NULL));
	pump(self->s, 50);
	p.fd = self->fd;
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 1000));
	ASSERT_EQ(0, proto_recv(self->fd, &self->peer, &m, NULL, NULL));
	ASSERT_EQ(PROTO_HELLO_REPLY, m.type);
	ASSERT_EQ(0, m.status);
	ASSERT_EQ(2, self->peer.version);
}

FIXTURE_TEARDOWN(psrv)
{
	close(self->fd);
	server_close(self->s);
	unlink(self->path);
	rmdir(self->dir);
}

/* Send pool frame @m; the server's pool answer (or ADVICE) into @a. */
static int pool_ask(FIXTURE_DATA(psrv) *self, struct proto_pool_msg *m,
		    struct proto_pool_msg *a)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct proto_msg dummy;
	bool is_pool = false;
	int ret;

	if (m) {
		ret = proto_pool_send(self->fd, &self->peer, m, NULL);
		if (ret)
			return ret;
	}
	pump(self->s, 50);
	if (!a)
		return 0;
	if (poll(&p, 1, 1000) != 1)
		return -ETIMEDOUT;
	ret = proto_recv_any(self->fd, &self->peer, &dummy, a, &is_pool, NULL, NULL);
	return ret ? ret : (is_pool ? 0 : -EBADMSG);
}

/* POOL_BLOCKS of pool @pool: block @blk now in slot @slot; answer in @a. */
static int one_block(FIXTURE_DATA(psrv) *self, uint32_t pool, uint64_t blk,
		     uint32_t slot, struct proto_pool_msg *a)
{
	struct proto_pool_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_POOL_BLOCKS;
	m.pool = pool;
	m.count = 1;
	m.slots[0] = (struct proto_pool_slot){ blk, slot };
	return pool_ask(self, &m, a);
}

/* The client was dropped, with its pools, for a bad frame. */
static void dropped_bad_frame(struct __test_metadata *_metadata,
			      FIXTURE_DATA(psrv) *self)
{
	EXPECT_EQ(0, server_nr_clients(self->s));
	EXPECT_EQ(0, server_nr_pools(self->s));
	EXPECT_EQ(1, server_stats(self->s)->dropped[SRV_DROP_BAD_FRAME]);
}

static struct proto_pool_msg pool_reg(uint32_t pool, uint32_t r0, uint32_t r1)
{
	struct proto_pool_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_POOL_REGISTER;
	m.pool = pool;
	m.block_size = PBS;
	m.nr_blocks = 8;
	m.count = 2;
	m.slab[0] = (struct proto_pool_slab){ r0, 0, 8, 0 };
	m.slab[1] = (struct proto_pool_slab){ r1, 2, 8, 1 };
	return m;
}

static void books(struct __test_metadata *_metadata, struct server *s)
{
	char why[160] = "";

	EXPECT_EQ(0, server_check_books(s, why, sizeof(why))) TH_LOG("%s", why);
}

/* Slabs are checked against the module's ranges. */
TEST_F(psrv, pool_register)
{
	struct proto_pool_msg m, a;

	m = pool_reg(1, 11, 99);
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(PROTO_POOL_REGISTER_REPLY, a.type);
	EXPECT_EQ(-ENOENT, a.status);
	m = pool_reg(1, 11, 12);
	m.slab[1].slots = 7; /* not the range's length */
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(-EINVAL, a.status);
	m = pool_reg(1, 11, 12);
	m.nr_blocks = 17; /* more blocks than slots */
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(-EINVAL, a.status);
	if (getuid()) {
		m = pool_reg(1, 11, 13); /* another process's range */
		ASSERT_EQ(0, pool_ask(self, &m, &a));
		EXPECT_EQ(-EPERM, a.status);
	}
	EXPECT_EQ(0, server_nr_pools(self->s));
	m = pool_reg(1, 11, 12);
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(0, a.status);
	EXPECT_EQ(1, server_nr_pools(self->s));
	EXPECT_TRUE(server_pool_slab(self->s, 11));
	EXPECT_TRUE(server_pool_slab(self->s, 12));
	EXPECT_FALSE(server_pool_slab(self->s, 13));
	m = pool_reg(1, 11, 12);
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(-EEXIST, a.status); /* the same id again */
	m = pool_reg(2, 11, 12);
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(-EEXIST, a.status); /* the same slabs in another pool */
	books(_metadata, self->s);
	memset(&m, 0, sizeof(m));
	m.type = PROTO_POOL_UNREGISTER;
	m.pool = 1;
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(PROTO_POOL_UNREGISTER_REPLY, a.type);
	EXPECT_EQ(0, a.status);
	EXPECT_EQ(0, server_nr_pools(self->s));
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(-ENOENT, a.status);
	books(_metadata, self->s);
}

/* The block map; advice sent, answered and counted. */
TEST_F(psrv, blocks_and_advice)
{
	struct proto_pool_msg m, a, adv;
	struct srv_pool *p;
	const struct srv_stats *st = server_stats(self->s);

	m = pool_reg(1, 11, 12);
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	ASSERT_EQ(0, a.status);
	p = server_pools(self->s);
	ASSERT_NE(NULL, p);
	EXPECT_FALSE(p->mapped);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_POOL_BLOCKS;
	m.pool = 1;
	m.count = 2;
	m.slots[0] = (struct proto_pool_slot){ (1ULL << 32) | 0, 9 };
	m.slots[1] = (struct proto_pool_slot){ (1ULL << 32) | 1, 16 }; /* no slot 16 */
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(PROTO_POOL_BLOCKS_REPLY, a.type);
	EXPECT_EQ(-EINVAL, a.status);
	EXPECT_FALSE(p->mapped);
	EXPECT_EQ(0, p->slot[9]); /* nothing changed */
	m.slots[1].slot = 10;
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(0, a.status);
	EXPECT_TRUE(p->mapped);
	EXPECT_EQ((1ULL << 32) | 0, p->slot[9]);
	/* Block 0 moved to slot 2: it leaves slot 9, and takes its heat. */
	p->heat[0] = 700;
	p->heat_of[0] = (1ULL << 32) | 0;
	p->slot_heat[2] = 90;
	m.count = 1;
	m.slots[0] = (struct proto_pool_slot){ (1ULL << 32) | 0, 2 };
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(0, a.status);
	EXPECT_EQ(0, p->slot[9]);
	EXPECT_EQ((1ULL << 32) | 0, p->slot[2]);
	EXPECT_EQ(700, p->carried[0]);
	EXPECT_EQ(90, p->stale[0]); /* slot 2's own, left to fade */
	EXPECT_NE(0, p->entered_ms[0]);
	/* Another generation in slot 2 carries nothing. */
	m.slots[0] = (struct proto_pool_slot){ (2ULL << 32) | 0, 2 };
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(0, a.status);
	EXPECT_EQ(0, p->carried[0]);
	m.slots[0] = (struct proto_pool_slot){ (1ULL << 32) | 0, 2 };
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	m.pool = 7;
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(-ENOENT, a.status);

	/* Advice: block 1 (slot 10, far) to tier 0. */
	memset(&adv, 0, sizeof(adv));
	adv.type = PROTO_ADVICE;
	adv.count = 1;
	adv.advice[0] = (struct proto_pool_advice){ (1ULL << 32) | 1, 0 };
	ASSERT_EQ(0, server_pool_advise(self->s, p, &adv));
	EXPECT_EQ(-EBUSY, server_pool_advise(self->s, p, &adv));
	ASSERT_EQ(0, pool_ask(self, NULL, &adv));
	EXPECT_EQ(PROTO_ADVICE, adv.type);
	EXPECT_EQ(1, adv.count);
	books(_metadata, self->s);
	/* Not unregistered while its advice awaits an answer. */
	memset(&m, 0, sizeof(m));
	m.type = PROTO_POOL_UNREGISTER;
	m.pool = 1;
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(PROTO_POOL_UNREGISTER_REPLY, a.type);
	EXPECT_EQ(-EBUSY, a.status);
	EXPECT_EQ(1, server_nr_pools(self->s));
	a = adv;
	memset(&m, 0, sizeof(m));
	m.type = PROTO_ADVICE_REPLY;
	m.reply_to = a.seq;
	m.pool = 1;
	m.count = 1;
	m.res[0] = (struct proto_pool_result){ (1ULL << 32) | 1, 0, 1 };
	m.counts[PROTO_POOL_MOVED] = 1;
	ASSERT_EQ(0, pool_ask(self, &m, NULL));
	EXPECT_EQ(0, p->advice_seq);
	EXPECT_EQ(1, st->pools.results[PROTO_POOL_MOVED]);
	EXPECT_EQ(1, st->pools.moved_blocks[0]);
	EXPECT_EQ(PBS, st->pools.moved_bytes[0]);
	EXPECT_NE(0, p->moved_ms[1]);
	books(_metadata, self->s);

	/* A block not in the map is not advised. */
	adv.advice[0].block = (1ULL << 32) | 5;
	EXPECT_EQ(-EINVAL, server_pool_advise(self->s, p, &adv));
}

/* Hints are kept per block with the handle they name, and lapse. */
TEST_F(psrv, pool_hints)
{
	const struct srv_stats *st = server_stats(self->s);
	struct proto_pool_msg m, a;
	struct srv_pool *p;
	uint64_t now;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_POOL_HINTS;
	m.pool = 1;
	m.count = 1;
	m.hints[0] = (struct proto_pool_hint){ (1ULL << 32) | 1, PROTO_HINT_DONE, 0 };
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(PROTO_POOL_HINTS_REPLY, a.type);
	EXPECT_EQ(-ENOENT, a.status); /* no such pool yet */

	a = pool_reg(1, 11, 12);
	ASSERT_EQ(0, pool_ask(self, &a, &a));
	ASSERT_EQ(0, a.status);
	p = server_pools(self->s);
	ASSERT_NE(NULL, p);
	/* Block 8 of an 8-block pool: the whole frame is refused. */
	m.count = 2;
	m.hints[1] = (struct proto_pool_hint){ (1ULL << 32) | 8, PROTO_HINT_WILL_READ, 10 };
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(-EINVAL, a.status);
	EXPECT_EQ(1, st->pools.hints_refused);
	EXPECT_EQ(0, server_pool_hint(p, (1ULL << 32) | 1, clock_now_ms()));
	EXPECT_FALSE(p->hint_urgent);

	m.hints[1].block = (1ULL << 32) | 3;
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(0, a.status);
	now = clock_now_ms();
	EXPECT_EQ(PROTO_HINT_DONE, server_pool_hint(p, (1ULL << 32) | 1, now));
	EXPECT_EQ(PROTO_HINT_WILL_READ, server_pool_hint(p, (1ULL << 32) | 3, now));
	EXPECT_TRUE(p->hint_urgent);
	EXPECT_LT(p->hint[1].seq, p->hint[3].seq);
	/* Another generation of the block: the hint is not its. */
	EXPECT_EQ(0, server_pool_hint(p, (2ULL << 32) | 1, now));
	/* The map brings a will-read block after its hint: plan again. */
	p->hint_urgent = false;
	ASSERT_EQ(0, one_block(self, 1, (1ULL << 32) | 1, 0, &a));
	ASSERT_EQ(0, a.status);
	EXPECT_FALSE(p->hint_urgent); /* a done block: no hurry */
	ASSERT_EQ(0, one_block(self, 1, (1ULL << 32) | 3, 9, &a));
	ASSERT_EQ(0, a.status);
	EXPECT_TRUE(p->hint_urgent);
	/* A will-read hint lapses after its lead and the grace; done stays. */
	now += 10 + SRV_HINT_GRACE_MS + 1000;
	EXPECT_EQ(0, server_pool_hint(p, (1ULL << 32) | 3, now));
	EXPECT_EQ(PROTO_HINT_DONE, server_pool_hint(p, (1ULL << 32) | 1, now));
	EXPECT_EQ(1, st->pools.hints[0]);
	EXPECT_EQ(1, st->pools.hints[1]);
	books(_metadata, self->s);
}

/*
 * Advice whose send fails drops the client, and its pool turns dead but
 * stays readable until the next sweep: the daemon's walk over the pools
 * goes on from it.
 */
TEST_F(psrv, failed_advice_keeps_the_walk)
{
	struct proto_pool_msg m, a, adv;
	struct srv_pool *p;

	m = pool_reg(1, 11, 12);
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	ASSERT_EQ(0, a.status);
	p = server_pools(self->s);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, one_block(self, 1, (1ULL << 32) | 1, 10, &a));
	ASSERT_EQ(0, a.status);
	close(self->fd);
	self->fd = -1;
	memset(&adv, 0, sizeof(adv));
	adv.type = PROTO_ADVICE;
	adv.count = 1;
	adv.advice[0] = (struct proto_pool_advice){ (1ULL << 32) | 1, 0 };
	EXPECT_NE(0, server_pool_advise(self->s, p, &adv));
	EXPECT_TRUE(p->dead);
	EXPECT_EQ(NULL, p->next);	/* still readable: the walk ends here */
	EXPECT_EQ(0, server_nr_pools(self->s));
	EXPECT_EQ(NULL, server_pools(self->s));
	pump(self->s, 50);
	books(_metadata, self->s);
}

/* A reply that names other blocks drops the client, and its pools. */
TEST_F(psrv, lying_reply_drops)
{
	struct proto_pool_msg m, a, adv;
	struct srv_pool *p;

	m = pool_reg(1, 11, 12);
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	ASSERT_EQ(0, one_block(self, 1, (1ULL << 32) | 3, 12, &a));
	p = server_pools(self->s);
	memset(&adv, 0, sizeof(adv));
	adv.type = PROTO_ADVICE;
	adv.count = 1;
	adv.advice[0] = (struct proto_pool_advice){ (1ULL << 32) | 3, 0 };
	ASSERT_EQ(0, server_pool_advise(self->s, p, &adv));
	ASSERT_EQ(0, pool_ask(self, NULL, &a));
	memset(&m, 0, sizeof(m));
	m.type = PROTO_ADVICE_REPLY;
	m.reply_to = a.seq;
	m.pool = 1;
	m.count = 1;
	m.res[0] = (struct proto_pool_result){ (1ULL << 32) | 4, 0, 1 };
	m.counts[PROTO_POOL_MOVED] = 1;
	ASSERT_EQ(0, pool_ask(self, &m, NULL));
	dropped_bad_frame(_metadata, self);
	books(_metadata, self->s);
}

/* Advice never answered: the client is dropped at the deadline. */
TEST_F(psrv, silent_client_times_out)
{
	struct proto_pool_msg m, a, adv;
	struct srv_pool *p;
	int i;

	m = pool_reg(1, 11, 12);
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	ASSERT_EQ(0, one_block(self, 1, (1ULL << 32) | 3, 12, &a));
	p = server_pools(self->s);
	memset(&adv, 0, sizeof(adv));
	adv.type = PROTO_ADVICE;
	adv.count = 1;
	adv.advice[0] = (struct proto_pool_advice){ (1ULL << 32) | 3, 0 };
	ASSERT_EQ(0, server_pool_advise(self->s, p, &adv));
	/* The deadline: 100 ms answer timeout + 5 s. */
	EXPECT_LE(server_timeout_ms(self->s), 5100);
	for (i = 0; i < 70 && server_nr_clients(self->s); i++) {
		struct pollfd pfd[SRV_MAX_CLIENTS + 1];
		size_t n = server_pollfds(self->s, pfd, SRV_MAX_CLIENTS + 1);

		poll(pfd, n, 100);
		server_process(self->s, pfd, n);
	}
	EXPECT_EQ(0, server_nr_clients(self->s));
	EXPECT_EQ(0, server_nr_pools(self->s));
	EXPECT_EQ(1, server_stats(self->s)->pools.timeouts);
	books(_metadata, self->s);
}

/* A pool of two slabs with blocks 1 and 3 on tier 1 (slots 10, 12). */
static struct srv_pool *release_pool(struct __test_metadata *_metadata,
				     FIXTURE_DATA(psrv) *self)
{
	struct proto_pool_msg m, a;

	m = pool_reg(1, 11, 12);
	if (pool_ask(self, &m, &a) || a.status)
		return NULL;
	memset(&m, 0, sizeof(m));
	m.type = PROTO_POOL_BLOCKS;
	m.pool = 1;
	m.count = 3;
	m.slots[0] = (struct proto_pool_slot){ (1ULL << 32) | 1, 10 };
	m.slots[1] = (struct proto_pool_slot){ (1ULL << 32) | 3, 12 };
	m.slots[2] = (struct proto_pool_slot){ (1ULL << 32) | 0, 0 };
	if (pool_ask(self, &m, &a) || a.status)
		return NULL;
	return server_pools(self->s);
}

/* The client's answer to release @rel, with @status and @moved/@busy. */
static int release_reply(FIXTURE_DATA(psrv) *self,
			 const struct proto_pool_msg *rel, uint32_t pool,
			 int status, uint32_t moved, uint32_t busy)
{
	struct proto_pool_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_POOL_RELEASE_REPLY;
	m.reply_to = rel->seq;
	m.pool = pool;
	m.status = status;
	m.counts[PROTO_POOL_MOVED] = moved;
	m.counts[PROTO_POOL_BUSY] = busy;
	return pool_ask(self, &m, NULL);
}

static void released_tier(struct __test_metadata *_metadata,
			  FIXTURE_DATA(psrv) *self, struct srv_pool *p);

/*
 * POOL_RELEASE sent; nothing else for the pool while it runs; a good
 * reply marks the tier released and empties its slots.
 */
TEST_F(psrv, pool_release)
{
	const struct srv_stats *st = server_stats(self->s);
	struct proto_pool_msg m, a, rel;
	struct srv_pool *p = release_pool(_metadata, self);

	ASSERT_NE(NULL, p);
	EXPECT_NE(0, p->serial);
	EXPECT_EQ(p, server_pool_by_serial(self->s, p->serial));
	EXPECT_EQ(1, server_pool_used(p, 0));
	EXPECT_EQ(2, server_pool_used(p, 1));
	EXPECT_EQ(2, server_pool_open_tiers(p));
	/* Bad tiers and timeouts are not sent. */
	EXPECT_EQ(-EINVAL, server_pool_release(self->s, p, 2, 1000));
	EXPECT_EQ(-EINVAL, server_pool_release(self->s, p, 1, 0));
	EXPECT_EQ(-EINVAL, server_pool_release(self->s, p, 1,
					       PROTO_RELEASE_MAX_TIMEOUT_MS + 1));
	ASSERT_EQ(0, server_pool_release(self->s, p, 1, 1000));
	EXPECT_NE(0, p->release_seq);
	EXPECT_EQ(1, st->pools.releases);
	ASSERT_EQ(0, pool_ask(self, NULL, &rel));
	EXPECT_EQ(PROTO_POOL_RELEASE, rel.type);
	EXPECT_EQ(1, rel.pool);
	EXPECT_EQ(1, rel.count);
	EXPECT_EQ(1, rel.release.tier);
	EXPECT_EQ(1000, rel.release.timeout_ms);
	EXPECT_EQ(rel.seq, p->release_seq);
	books(_metadata, self->s);
	/* One thing in flight per pool: no advice, no second release. */
	EXPECT_EQ(-EBUSY, server_pool_release(self->s, p, 1, 1000));
	memset(&m, 0, sizeof(m));
	m.type = PROTO_ADVICE;
	m.count = 1;
	m.advice[0] = (struct proto_pool_advice){ (1ULL << 32) | 1, 0 };
	EXPECT_EQ(-EBUSY, server_pool_advise(self->s, p, &m));
	/* Not unregistered while it runs. */
	memset(&m, 0, sizeof(m));
	m.type = PROTO_POOL_UNREGISTER;
	m.pool = 1;
	ASSERT_EQ(0, pool_ask(self, &m, &a));
	EXPECT_EQ(PROTO_POOL_UNREGISTER_REPLY, a.type);
	EXPECT_EQ(-EBUSY, a.status);
	/* The library moves the blocks (POOL_BLOCKS), then answers. */
	ASSERT_EQ(0, one_block(self, 1, (1ULL << 32) | 1, 3, &a));
	EXPECT_EQ(0, a.status);
	ASSERT_EQ(0, release_reply(self, &rel, 1, 0, 2, 0));
	EXPECT_EQ(1, server_nr_clients(self->s));
	EXPECT_EQ(0, p->release_seq);
	EXPECT_EQ(rel.seq, p->release_done);
	EXPECT_EQ(0, p->release_status);
	EXPECT_EQ(2, p->release_counts[PROTO_POOL_MOVED]);
	EXPECT_EQ(1U << 1, p->released);
	EXPECT_EQ(1, st->pools.released);
	EXPECT_EQ(0, st->pools.release_failed);
	/* Its slots are empty, block 3 (never remapped) included. */
	EXPECT_EQ(0, server_pool_used(p, 1));
	EXPECT_EQ(0, p->slot[12]);
	EXPECT_EQ(0, p->where[3]);
	EXPECT_EQ(4, p->where[1]);
	released_tier(_metadata, self, p);
}

/* After tier 1 of @p was released: what may still happen to it. */
static void released_tier(struct __test_metadata *_metadata,
			  FIXTURE_DATA(psrv) *self, struct srv_pool *p)
{
	struct proto_pool_msg a, adv;

	memset(&adv, 0, sizeof(adv));
	adv.type = PROTO_ADVICE;
	adv.count = 1;
	/* The slab's range is no pool slab any more; tier 0 still is. */
	EXPECT_TRUE(server_pool_slab(self->s, 11));
	EXPECT_FALSE(server_pool_slab(self->s, 12));
	EXPECT_EQ(1, server_pool_open_tiers(p));
	/* Nothing goes to a released tier; the last slab is never released. */
	adv.advice[0] = (struct proto_pool_advice){ (1ULL << 32) | 1, 1 };
	EXPECT_EQ(-EINVAL, server_pool_advise(self->s, p, &adv));
	EXPECT_EQ(-EINVAL, server_pool_release(self->s, p, 1, 1000));
	EXPECT_EQ(-EINVAL, server_pool_release(self->s, p, 0, 1000));
	/* A map naming a block in the released slab is refused. */
	ASSERT_EQ(0, one_block(self, 1, (1ULL << 32) | 2, 9, &a));
	EXPECT_EQ(-EINVAL, a.status);
	EXPECT_EQ(0, p->slot[9]);
	/* Advice within the open slab still goes. */
	adv.advice[0] = (struct proto_pool_advice){ (1ULL << 32) | 1, 0 };
	EXPECT_EQ(0, server_pool_advise(self->s, p, &adv));
	books(_metadata, self->s);
}

/* A release the library refuses (-EBUSY) keeps the tier in service. */
TEST_F(psrv, pool_release_busy)
{
	const struct srv_stats *st = server_stats(self->s);
	struct proto_pool_msg rel;
	struct srv_pool *p = release_pool(_metadata, self);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, server_pool_release(self->s, p, 1, 1000));
	ASSERT_EQ(0, pool_ask(self, NULL, &rel));
	ASSERT_EQ(0, release_reply(self, &rel, 1, -EBUSY, 1, 1));
	EXPECT_EQ(1, server_nr_clients(self->s));
	EXPECT_EQ(0, p->release_seq);
	EXPECT_EQ(rel.seq, p->release_done);
	EXPECT_EQ(-EBUSY, p->release_status);
	EXPECT_EQ(1, p->release_counts[PROTO_POOL_BUSY]);
	EXPECT_EQ(0, p->released);
	EXPECT_EQ(1, st->pools.release_failed);
	EXPECT_EQ(0, st->pools.released);
	EXPECT_TRUE(server_pool_slab(self->s, 12));
	EXPECT_EQ(2, server_pool_used(p, 1));
	books(_metadata, self->s);
	/* It may be asked again. */
	EXPECT_EQ(0, server_pool_release(self->s, p, 1, 1000));
}

/* A reply of a release never sent drops the client. */
TEST_F(psrv, pool_release_reply_unasked)
{
	struct proto_pool_msg rel;
	struct srv_pool *p = release_pool(_metadata, self);

	ASSERT_NE(NULL, p);
	memset(&rel, 0, sizeof(rel));
	rel.seq = 2; /* the REGISTER_REPLY's: no release */
	ASSERT_EQ(0, release_reply(self, &rel, 1, 0, 0, 0));
	dropped_bad_frame(_metadata, self);
	EXPECT_EQ(0, server_stats(self->s)->pools.released);
	books(_metadata, self->s);
}

/* A reply of the release that names another pool drops the client. */
TEST_F(psrv, pool_release_reply_wrong_pool)
{
	struct proto_pool_msg rel;
	struct srv_pool *p = release_pool(_metadata, self);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, server_pool_release(self->s, p, 1, 1000));
	ASSERT_EQ(0, pool_ask(self, NULL, &rel));
	ASSERT_EQ(0, release_reply(self, &rel, 2, 0, 2, 0));
	dropped_bad_frame(_metadata, self);
	EXPECT_EQ(0, server_stats(self->s)->pools.released);
	books(_metadata, self->s);
}

/* A release never answered: the client is dropped at its deadline. */
TEST_F(psrv, pool_release_times_out)
{
	struct proto_pool_msg rel, a;
	struct srv_pool *p = release_pool(_metadata, self);
	uint64_t serial;
	int i;

	ASSERT_NE(NULL, p);
	serial = p->serial;
	ASSERT_EQ(0, server_pool_release(self->s, p, 1, 200));
	ASSERT_EQ(0, pool_ask(self, NULL, &rel));
	EXPECT_EQ(PROTO_POOL_RELEASE, rel.type);
	/* The deadline: 200 ms timeout + 100 ms answer timeout + 5 s. */
	EXPECT_LE(server_timeout_ms(self->s), 5300);
	EXPECT_GE(server_timeout_ms(self->s), 5000);
	/* Other frames do not buy it time. */
	memset(&a, 0, sizeof(a));
	a.type = PROTO_POOL_HINTS;
	a.pool = 1;
	a.count = 1;
	a.hints[0] = (struct proto_pool_hint){ (1ULL << 32) | 1, PROTO_HINT_DONE, 0 };
	ASSERT_EQ(0, pool_ask(self, &a, &a));
	EXPECT_EQ(0, a.status);
	for (i = 0; i < 80 && server_nr_clients(self->s); i++) {
		struct pollfd pfd[SRV_MAX_CLIENTS + 1];
		size_t n = server_pollfds(self->s, pfd, SRV_MAX_CLIENTS + 1);

		poll(pfd, n, 100);
		server_process(self->s, pfd, n);
	}
	EXPECT_EQ(0, server_nr_clients(self->s));
	EXPECT_EQ(0, server_nr_pools(self->s));
	EXPECT_EQ(NULL, server_pool_by_serial(self->s, serial));
	EXPECT_EQ(1, server_stats(self->s)->pools.release_timeouts);
	EXPECT_EQ(1, server_stats(self->s)->dropped[SRV_DROP_TIMEOUT]);
	books(_metadata, self->s);
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
