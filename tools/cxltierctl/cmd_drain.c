// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl drain NODE / undrain NODE: ask cxltierd, over its admin
 * socket, to move every tracked buffer off a node (or to put it back in
 * service), and follow the drain's progress: a progress line on a
 * terminal, the agent's JSON lines otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "cmds.h"
#include "proto.h"

static double mib(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return (double)json_object_get_int64(v) / (1 << 20);
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "";
	return json_object_get_string(v);
}

/* The terminal's view of one line from the agent; true at the last. */
static bool show_tty(struct json_object *o, bool *ok)
{
	const char *ev = str(o, "event"), *res = str(o, "result");
	struct json_object *arr, *e;
	size_t i;

	if (!strcmp(ev, "progress")) {
		const char *slabs = str(o, "pool_slabs");

		printf("\rnode %s: %.1f of %.1f MiB moved, %.1f MiB left, %s buffers%s%s%s, %.1f s   ",
		       str(o, "node"), mib(o, "bytes_moved"),
		       mib(o, "bytes_total"), mib(o, "bytes_left"),
		       str(o, "buffers"),
		       *slabs && strcmp(slabs, "0") ? ", " : "",
		       *slabs && strcmp(slabs, "0") ? slabs : "",
		       *slabs && strcmp(slabs, "0") ? " pool slabs" : "",
		       atof(str(o, "seconds")));
		fflush(stdout);
		return false;
	}
	if (!strcmp(ev, "status")) {
		printf("%s\n", json_object_to_json_string_ext(o,
						JSON_C_TO_STRING_PRETTY));
		*ok = true;
		return true;
	}
	printf("\r");
	*ok = !strcmp(res, "drained") || !strcmp(res, "undrained") ||
	      !strcmp(res, "fits");
	if (!strcmp(res, "drained") || !strcmp(res, "incomplete") ||
	    !strcmp(res, "timeout"))
		printf("node %s: %s: %.1f MiB moved in %.1f s, %.1f MiB left\n",
		       str(o, "node"), res, mib(o, "bytes_moved"),
		       atof(str(o, "seconds")), mib(o, "bytes_left"));
	else if (!strcmp(res, "fits"))
		printf("node %s: dry run: %.1f MiB in %s buffers would move, %.1f MiB free elsewhere\n",
		       str(o, "node"), mib(o, "bytes_to_move"),
		       str(o, "buffers"), mib(o, "bytes_room"));
	else if (!strcmp(res, "undrained"))
		printf("node %s: back in service (was %s)\n", str(o, "node"),
		       str(o, "was"));
	else
		printf("node %s: %s: %s\n", str(o, "node"), res,
		       str(o, "error"));
	if ((json_object_object_get_ex(o, "not_moved", &arr) ||
	     json_object_object_get_ex(o, "not_movable", &arr)) &&
	    json_object_is_type(arr, json_type_array))
		for (i = 0; i < json_object_array_length(arr); i++) {
			e = json_object_array_get_idx(arr, i);
			if (*str(e, "pool"))
				printf("  pool %s slab %s (pid %s, range %s): %s blocks, %.1f MiB left: %s\n",
				       str(e, "pool"), str(e, "tier"),
				       str(e, "pid"), str(e, "id"),
				       str(e, "blocks_left"),
				       mib(e, "bytes_left"), str(e, "reason"));
			else
				printf("  buffer %s (pid %s): %.1f MiB left: %s\n",
				       str(e, "id"), str(e, "pid"),
				       mib(e, "bytes_left"), str(e, "reason"));
		}
	return true;
}

/* Send @req and print the answers until the last; exit code. */
static int converse(const char *sock, const char *req, int wait_ms)
{
	bool tty = isatty(STDOUT_FILENO), ok = false, last = false;
	char buf[8192];
	size_t len = 0;
	int fd = ctl_admin_connect(sock);

	if (fd < 0)
		return CTL_EXIT_FAIL;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		fprintf(stderr, "cxltierctl: cannot send to cxltierd: %s\n",
			strerror(errno));
		close(fd);
		return CTL_EXIT_FAIL;
	}
	while (!last) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t n;

		if (poll(&p, 1, wait_ms) <= 0) {
			fprintf(stderr, "%scxltierctl: no answer from cxltierd in time (the drain goes on; cxltierctl undrain stops it)\n",
				tty ? "\n" : "");
			break;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			fprintf(stderr, "%scxltierctl: cxltierd closed the connection\n",
				tty ? "\n" : "");
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			struct json_object *o;

			*nl = '\0';
			o = json_tokener_parse(buf);
			if (!o) {
				fprintf(stderr, "cxltierctl: cxltierd sent a line that is not JSON\n");
				close(fd);
				return CTL_EXIT_FAIL;
			}
			if (tty) {
				last = show_tty(o, &ok);
			} else {
				const char *ev = str(o, "event"),
					   *res = str(o, "result");

				printf("%s\n", buf);
				fflush(stdout);
				last = strcmp(ev, "progress") != 0;
				ok = !strcmp(ev, "status") ||
				     !strcmp(res, "drained") ||
				     !strcmp(res, "undrained") ||
				     !strcmp(res, "fits");
			}
			json_object_put(o);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
			if (last)
				break;
		}
		if (len >= sizeof(buf) - 1) {
			fprintf(stderr, "cxltierctl: cxltierd sent a line too long\n");
			break;
		}
	}
	close(fd);
	return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

static int parse_node_arg(const char *s, uint32_t *node)
{
	if (ctl_parse_u32(s, node) || *node >= PROTO_MAX_NODES) {
		fprintf(stderr, "cxltierctl: not a node id: %s\n", s);
		return -1;
	}
	return 0;
}

int cmd_drain(int argc, char **argv, const struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "partial", no_argument, NULL, 'p' },
		{ "status", no_argument, NULL, 'S' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = PROTO_SOCKET_PATH;
	bool dry_run = false, partial = false, st = false;
	unsigned long timeout_s = 0;
	char req[128], *end;
	uint32_t node;
	int c;

	optind = 0; /* reset getopt: main parsed "+" (in order) */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			errno = 0;
			timeout_s = strtoul(optarg, &end, 10);
			if (errno || *end || !timeout_s || timeout_s > 86400) {
				fprintf(stderr, "cxltierctl: drain --timeout: seconds in [1, 86400]: %s\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'n':
			dry_run = true;
			break;
		case 'p':
			partial = true;
			break;
		case 'S':
			st = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			printf("usage: cxltierctl drain NODE [--timeout S] [--dry-run] [--partial] [--socket PATH]\n"
			       "       cxltierctl drain --status [--socket PATH]\n");
			return CTL_EXIT_OK;
		default:
			return CTL_EXIT_USAGE;
		}
	}
	if (st) {
		if (optind != argc) {
			fprintf(stderr, "cxltierctl: drain --status takes no node\n");
			return CTL_EXIT_USAGE;
		}
		return converse(sock, "status\n", 10000);
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: cxltierctl drain NODE [--timeout S] [--dry-run] [--partial]\n");
		return CTL_EXIT_USAGE;
	}
	if (parse_node_arg(argv[optind], &node))
		return CTL_EXIT_USAGE;
	snprintf(req, sizeof(req), "drain %u%s%s", node,
		 dry_run ? " dry-run" : "", partial ? " partial" : "");
	if (timeout_s)
		snprintf(req + strlen(req), sizeof(req) - strlen(req),
			 " timeout %lu", timeout_s * 1000);
	strcat(req, "\n");
	/* The agent reports at least every step; it ends a timed-out drain. */
	return converse(sock, req, timeout_s ? (int)(timeout_s + 60) * 1000 :
					       -1);
}

int cmd_undrain(int argc, char **argv, const struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = PROTO_SOCKET_PATH;
	char req[64];
	uint32_t node;
	int c;

	optind = 0; /* reset getopt: main parsed "+" (in order) */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 's')
			return CTL_EXIT_USAGE;
		sock = optarg;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: cxltierctl undrain NODE [--socket PATH]\n");
		return CTL_EXIT_USAGE;
	}
	if (parse_node_arg(argv[optind], &node))
		return CTL_EXIT_USAGE;
	snprintf(req, sizeof(req), "undrain %u\n", node);
	return converse(sock, req, 10000);
}
