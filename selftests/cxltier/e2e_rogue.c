// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-e2e-rogue: a hostile client of cxltierd for the end-to-end
 * tests.  Run as root with another process's buffer; it drops to an
 * unprivileged user and then tries to take that buffer over, move it,
 * unregister it, and to confuse the agent with malformed frames.  Every
 * attempt must fail the documented way.  TAP on stdout, numbered from
 * --first.
 *
 *   cxltier-e2e-rogue --socket PATH --buffer ID --addr A --length L
 *                     --chunk-size C --node N [--uid U] [--first K]
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "proto.h"

static int tap_n;
static int tap_fail;
static const char *sock_path;

static void tap(int ok, const char *what)
{
	printf("%sok %d %s\n", ok ? "" : "not ", ++tap_n, what);
	if (!ok)
		tap_fail = 1;
}

static int connect_agent(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait up to @ms for a frame; 0, -ETIMEDOUT, or proto_recv()'s error. */
static int recv_wait(int fd, struct proto_peer *p, struct proto_msg *m,
		     int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) <= 0)
		return -ETIMEDOUT;
	return proto_recv(fd, p, m, NULL, NULL);
}

/* A connection that said HELLO, or -1. */
static int hello(struct proto_peer *p)
{
	struct proto_msg m;
	int fd = connect_agent();

	if (fd < 0)
		return -1;
	proto_peer_init(p, PROTO_FROM_CLIENT);
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	if (proto_send(fd, p, &m, NULL) || recv_wait(fd, p, &m, 5000) ||
	    m.type != PROTO_HELLO_REPLY || m.status) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send @m and return the status of its answer (or a local error). */
static int ask(int fd, struct proto_peer *p, struct proto_msg *m)
{
	struct proto_msg r;
	int ret = proto_send(fd, p, m, NULL);

	if (ret)
		return ret;
	ret = recv_wait(fd, p, &r, 10000);
	if (ret)
		return ret;
	return r.status;
}

/* Does the agent close @fd (within @ms)? */
static int closed_by_agent(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char b[256];

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	return recv(fd, b, sizeof(b), MSG_DONTWAIT) == 0;
}

/* Send raw bytes on a fresh connection (after HELLO if @after_hello). */
static int raw_then_closed(const void *buf, size_t len, int after_hello)
{
	struct proto_peer p;
	int fd, ret;

	fd = after_hello ? hello(&p) : connect_agent();
	if (fd < 0)
		return 0;
	if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(fd);
		return 0;
	}
	ret = closed_by_agent(fd, 5000);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "addr", required_argument, NULL, 'a' },
		{ "length", required_argument, NULL, 'l' },
		{ "chunk-size", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'n' },
		{ "uid", required_argument, NULL, 'u' },
		{ "first", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t addr = 0, length = 0, chunk = 0;
	uint32_t id = 0;
	uid_t uid = 65534;
	struct proto_peer p;
	struct proto_msg m;
	uint8_t frame[PROTO_FRAME_SIZE * 2];
	int node = 0, fd, c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock_path = optarg;
			break;
		case 'b':
			id = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'a':
			addr = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			length = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			chunk = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			node = atoi(optarg);
			break;
		case 'u':
			uid = (uid_t)strtoul(optarg, NULL, 0);
			break;
		case 'f':
			tap_n = atoi(optarg) - 1;
			break;
		default:
			return 2;
		}
	}
	if (!sock_path || !id || !length || !chunk)
		return 2;

	/* Become nobody: neither root nor the buffer's owner. */
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid)) {
		perror("dropping privileges");
		return 1;
	}
	tap(getuid() == uid && geteuid() == uid, "runs as an unprivileged user");

	fd = hello(&p);
	tap(fd >= 0, "an unprivileged client may connect and say HELLO");
	if (fd < 0)
		return 1;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_REGISTER;
	m.buffer = id;
	m.addr = addr;
	m.length = length;
	m.chunk_size = chunk;
	tap(ask(fd, &p, &m) == -EPERM,
	    "it cannot register another process's buffer (EPERM)");

	memset(&m, 0, sizeof(m));
	m.type = PROTO_MOVE;
	m.buffer = id;
	m.length = chunk;
	m.node = node;
	tap(ask(fd, &p, &m) == -EPERM,
	    "it cannot move another process's buffer (EPERM)");

	memset(&m, 0, sizeof(m));
	m.type = PROTO_UNREGISTER;
	m.buffer = id;
	tap(ask(fd, &p, &m) == -EPERM,
	    "it cannot unregister another process's buffer (EPERM)");

	memset(&m, 0, sizeof(m));
	m.type = PROTO_REGISTER;
	m.buffer = 0x7fffffff;
	m.addr = addr;
	m.length = length;
	m.chunk_size = chunk;
	tap(ask(fd, &p, &m) == -ENOENT, "a range nobody tracks is ENOENT");
	close(fd);

	/* Malformed input: the agent hangs up and stays up. */
	memset(frame, 0, sizeof(frame));
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	m.seq = 1;
	proto_encode(&m, PROTO_FROM_CLIENT, frame, NULL);
	frame[0] ^= 0xff;
	tap(raw_then_closed(frame, PROTO_FRAME_SIZE, 0),
	    "a frame with a bad magic ends the connection");
	tap(raw_then_closed(frame, PROTO_FRAME_SIZE * 2, 0),
	    "an oversized frame ends the connection");
	tap(raw_then_closed(frame, 17, 0),
	    "a truncated frame ends the connection");
	memset(&m, 0, sizeof(m));
	m.type = PROTO_UNREGISTER;
	m.seq = 5;
	m.buffer = id;
	proto_encode(&m, PROTO_FROM_CLIENT, frame, NULL);
	tap(raw_then_closed(frame, PROTO_FRAME_SIZE, 1),
	    "an out-of-sequence frame ends the connection");
	memset(&m, 0, sizeof(m));
	m.type = PROTO_PREPARE;
	m.seq = 2;
	m.buffer = id;
	m.length = chunk;
	m.timeout_ms = 1;
	m.hold_ms = 1;
	proto_encode(&m, PROTO_FROM_AGENT, frame, NULL);
	tap(raw_then_closed(frame, PROTO_FRAME_SIZE, 1),
	    "an agent's frame type from a client ends the connection");
	memset(&m, 0, sizeof(m));
	m.type = PROTO_ACK;
	m.seq = 2;
	m.reply_to = 1;
	m.buffer = id;
	m.length = chunk;
	proto_encode(&m, PROTO_FROM_CLIENT, frame, NULL);
	tap(raw_then_closed(frame, PROTO_FRAME_SIZE, 1),
	    "an answer to nothing ends the connection");

	fd = connect_agent();
	tap(fd >= 0 && closed_by_agent(fd, 8000),
	    "a client that never says HELLO is dropped after 5 s");
	if (fd >= 0)
		close(fd);

	fd = hello(&p);
	tap(fd >= 0, "the agent still serves clients");
	if (fd >= 0)
		close(fd);
	return tap_fail;
}
