// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-e2e-flood: a local user flooding cxltierd's socket, for the
 * end-to-end tests.  Drops to --uid/--gid (no supplementary groups),
 * opens --connections connections and says HELLO on each, reports how
 * many the agent answered and how many it refused, and then keeps the
 * answered ones open and retries the others every --retry-ms until the
 * file --until exists.  With --probe it is a single client instead (as
 * whoever runs it): connect, HELLO, answer, and the time that took.
 *
 *   cxltier-e2e-flood --socket PATH --connections N --uid U --gid G
 *                     --until FILE [--retry-ms MS]
 *   cxltier-e2e-flood --socket PATH --probe
 *
 * Output lines: "held H refused R denied D" (denied: connect() itself
 * failed, e.g. EACCES from the socket's mode), "attempts A" at the end;
 * "probe_us U status S" for --probe.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "proto.h"

#define MAX_CONN	4096

enum { S_WAIT, S_HELD, S_REFUSED, S_DENIED };

static const char *sock_path;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A connection that has said HELLO, or -errno of connect() / send(). */
static int hello(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t frame[PROTO_FRAME_SIZE];
	struct proto_msg m;
	int fd, err;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto err;
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	m.seq = 1;
	if (proto_encode(&m, PROTO_FROM_CLIENT, frame, NULL)) {
		close(fd);
		return -EBADMSG;
	}
	if (send(fd, frame, sizeof(frame), MSG_NOSIGNAL) != (ssize_t)sizeof(frame))
		goto err;
	return fd;
err:
	err = -errno;
	close(fd);
	return err;
}

/* 1: HELLO_REPLY 0; 0: not yet; -1: refused (hung up, or an error). */
static int answered(int fd)
{
	uint8_t frame[PROTO_FRAME_SIZE];
	struct proto_msg m;
	ssize_t n = recv(fd, frame, sizeof(frame), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n != (ssize_t)sizeof(frame) ||
	    proto_decode(frame, (size_t)n, PROTO_FROM_AGENT, &m, NULL) ||
	    m.type != PROTO_HELLO_REPLY || m.status)
		return -1;
	return 1;
}

static int probe(void)
{
	uint64_t t0 = now_us();
	struct pollfd pfd;
	int fd = hello(), st = -1;

	if (fd < 0) {
		printf("probe_us %llu status %d\n", (unsigned long long)(now_us() - t0), fd);
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) == 1)
		st = answered(fd);
	printf("probe_us %llu status %d\n", (unsigned long long)(now_us() - t0),
	       st == 1 ? 0 : -1);
	close(fd);
	return st == 1 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "connections", required_argument, NULL, 'n' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "until", required_argument, NULL, 'f' },
		{ "retry-ms", required_argument, NULL, 'r' },
		{ "probe", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	static int fds[MAX_CONN];
	static bool held[MAX_CONN];
	static unsigned char state[MAX_CONN];
	unsigned long attempts = 0;
	int n = 300, retry_ms = 100, c, i, k, nheld, refused, denied;
	const char *until = NULL;
	uid_t uid = 65534;
	gid_t gid = 65534;
	bool do_probe = false;
	uint64_t t0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': sock_path = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'u': uid = (uid_t)strtoul(optarg, NULL, 0); break;
		case 'g': gid = (gid_t)strtoul(optarg, NULL, 0); break;
		case 'f': until = optarg; break;
		case 'r': retry_ms = atoi(optarg); break;
		case 'p': do_probe = true; break;
		default: return 2;
		}
	}
	if (!sock_path || n <= 0 || n > MAX_CONN || (!do_probe && !until)) {
		fprintf(stderr, "usage: see the header of e2e_flood.c\n");
		return 2;
	}
	if (do_probe)
		return probe();
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		perror("dropping privileges");
		return 1;
	}
	for (i = 0; i < n; i++) {
		fds[i] = hello();
		attempts++;
	}
	/* Wait for the agent's verdict on each, up to 10 s. */
	for (i = 0; i < n; i++)
		state[i] = fds[i] < 0 ? S_DENIED : S_WAIT;
	t0 = now_us();
	do {
		nheld = refused = denied = k = 0;
		for (i = 0; i < n; i++) {
			if (state[i] == S_WAIT) {
				c = answered(fds[i]);
				if (c < 0) {
					close(fds[i]);
					fds[i] = -ECONNRESET;
					state[i] = S_REFUSED;
				} else if (c > 0) {
					state[i] = S_HELD;
				}
			}
			nheld += state[i] == S_HELD;
			refused += state[i] == S_REFUSED;
			denied += state[i] == S_DENIED;
			k += state[i] == S_WAIT;
		}
		if (!k)
			break;
		usleep(50000);
	} while (now_us() - t0 < 10000000);
	for (i = 0; i < n; i++)
		held[i] = state[i] == S_HELD;
	printf("held %d refused %d denied %d\n", nheld, refused + k, denied);
	fflush(stdout);
	/* Keep the pressure on until told to stop. */
	while (access(until, F_OK)) {
		usleep((useconds_t)retry_ms * 1000);
		for (i = 0; i < n; i++) {
			if (held[i])
				continue;
			if (fds[i] >= 0) {
				k = answered(fds[i]);
				if (k > 0) {
					held[i] = true;
					continue;
				}
				if (!k)
					continue;
				close(fds[i]);
			}
			fds[i] = hello();
			attempts++;
		}
	}
	printf("attempts %lu\n", attempts);
	return 0;
}
