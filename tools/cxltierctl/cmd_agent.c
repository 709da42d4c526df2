// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl agent status|plan|explain BUFFER|pause|resume: ask cxltierd,
 * over its admin socket, what it is doing and why, or pause its moves.
 * One request line, one JSON line back (cxltierd(8), ADMIN SOCKET);
 * printed for a person, or as JSON with --json (bytes as numbers, -u
 * for sizes in units).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "cmds.h"
#include "proto.h"
#include "units.h"

/* Longest answer taken (explain of a buffer with many runs, a plan). */
#define AGENT_ANSWER_MAX	(4U << 20)

/* Send @req, read one line: the answer, parsed.  NULL (said why). */
static struct json_object *ask(const char *sock, const char *req)
{
	size_t len = 0, room = 65536;
	struct json_object *o;
	char *buf = malloc(room), *nl = NULL;
	int fd;

	if (!buf)
		return NULL;
	fd = ctl_admin_connect(sock);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		fprintf(stderr, "cxltierctl: cannot send to cxltierd: %s\n",
			strerror(errno));
		goto fail;
	}
	while (!nl) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (len + 1 >= room) {
			char *nb = room < AGENT_ANSWER_MAX ? realloc(buf, room * 2) :
							     NULL;

			if (!nb) {
				fprintf(stderr, "cxltierctl: cxltierd's answer is too long\n");
				goto fail;
			}
			buf = nb;
			room *= 2;
		}
		if (poll(&p, 1, 10000) <= 0) {
			fprintf(stderr, "cxltierctl: no answer from cxltierd in 10 s\n");
			goto fail;
		}
		n = read(fd, buf + len, room - 1 - len);
		if (n <= 0) {
			fprintf(stderr, "cxltierctl: cxltierd closed the connection without an answer\n");
			goto fail;
		}
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
	}
	*nl = '\0';
	close(fd);
	o = json_tokener_parse(buf);
	free(buf);
	if (!o || !json_object_is_type(o, json_type_object)) {
		fprintf(stderr, "cxltierctl: cxltierd sent a line that is not a JSON object\n");
		json_object_put(o);
		return NULL;
	}
	return o;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *s_of(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v ? json_object_get_string(v) : "";
}

static int64_t i_of(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v ? json_object_get_int64(v) : 0;
}

static double d_of(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v ? json_object_get_double(v) : 0;
}

static bool b_of(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_get_boolean(v);
}

static const char *size_of(struct json_object *o, const char *key, char *buf,
			   size_t len)
{
	return units_format_size((uint64_t)i_of(o, key), buf, len);
}

static const char *when(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&s, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
	return buf;
}

/* With -u, every integer whose key ends in "bytes" as a size in units. */
static void humanize(const struct ctl_opts *opts, struct json_object *o)
{
	size_t i;

	if (!opts->human || !o)
		return;
	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			humanize(opts, json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val) {
		size_t kl = strlen(key);

		if (kl >= 5 && !strcmp(key + kl - 5, "bytes") &&
		    json_object_is_type(val, json_type_int))
			json_object_object_add(o, key,
				ctl_json_size(opts, (uint64_t)json_object_get_int64(val)));
		else
			humanize(opts, val);
	}
}

static void print_status(struct json_object *o)
{
	struct json_object *last = get(o, "last_decision"),
			   *mv = get(o, "moves"), *rl = get(o, "rate_limit");
	char t[32], a[32], b[32], c[32];
	double up = d_of(o, "uptime_seconds");

	printf("cxltierd %s, pid %lld, up %lldd %02lld:%02lld:%02lld\n",
	       s_of(o, "version"), (long long)i_of(o, "pid"),
	       (long long)up / 86400, (long long)up / 3600 % 24,
	       (long long)up / 60 % 60, (long long)up % 60);
	printf("config:         %s\n", s_of(o, "config"));
	if (b_of(o, "paused"))
		printf("moves:          PAUSED since %s (cxltierctl agent resume)%s\n",
		       when(d_of(o, "paused_since"), t, sizeof(t)),
		       b_of(o, "dry_run") ? "; dry run" : "");
	else
		printf("moves:          %s\n", b_of(o, "dry_run") ?
		       "dry run (--dry-run): planned, never made" : "running");
	printf("decisions:      %lld, every %lld ms",
	       (long long)i_of(o, "decisions"), (long long)i_of(o, "interval_ms"));
	if (last)
		printf("; last %s (epoch %lld) in %.3f s: %lld moves planned, %lld done; next in %lld ms\n",
		       when(d_of(last, "time"), t, sizeof(t)),
		       (long long)i_of(last, "epoch"), d_of(last, "seconds"),
		       (long long)i_of(last, "moves_planned"),
		       (long long)i_of(last, "moves_done"),
		       (long long)i_of(o, "next_decision_in_ms"));
	else
		printf("; none yet\n");
	printf("tracked:        %lld ranges; %lld buffers of %lld clients\n",
	       (long long)i_of(o, "ranges"), (long long)i_of(o, "buffers"),
	       (long long)i_of(o, "clients"));
	printf("moves so far:   %lld promotions (%s), %lld demotions (%s), %lld lateral; %lld planned, %lld not tried (dry run), %lld not tried (paused)\n",
	       (long long)i_of(mv, "promotions"),
	       size_of(mv, "promoted_bytes", a, sizeof(a)),
	       (long long)i_of(mv, "demotions"),
	       size_of(mv, "demoted_bytes", b, sizeof(b)),
	       (long long)i_of(mv, "lateral"), (long long)i_of(mv, "planned"),
	       (long long)i_of(mv, "dry_run"), (long long)i_of(mv, "paused"));
	if (!i_of(rl, "bytes_per_second"))
		printf("rate limit:     unlimited\n");
	else
		printf("rate limit:     %s/s; allowance now %s; last plan %s; deferred %s\n",
		       size_of(rl, "bytes_per_second", a, sizeof(a)),
		       size_of(rl, "allowance_bytes", b, sizeof(b)),
		       size_of(rl, "last_plan_bytes", c, sizeof(c)),
		       size_of(rl, "deferred_bytes", t, sizeof(t)));
}

static void print_move(struct json_object *m, bool with_buffer)
{
	char sz[32], t[32], from[16];
	int64_t first = i_of(m, "first_chunk"), nr = i_of(m, "nr_chunks");

	if (i_of(m, "from_node") < 0)
		snprintf(from, sizeof(from), "mixed");
	else
		snprintf(from, sizeof(from), "%lld",
			 (long long)i_of(m, "from_node"));
	if (with_buffer)
		printf("  %-20s %7lld %6lld ", s_of(m, "label")[0] ?
		       s_of(m, "label") : "-", (long long)i_of(m, "pid"),
		       (long long)i_of(m, "range"));
	else
		printf("  %s epoch %-6lld ", when(d_of(m, "time"), t, sizeof(t)),
		       (long long)i_of(m, "epoch"));
	printf("chunks %lld-%lld (%s) node %s -> %lld: %s, heat %.2f: %s",
	       (long long)first, (long long)(first + nr - 1),
	       size_of(m, "bytes", sz, sizeof(sz)), from,
	       (long long)i_of(m, "to_node"), s_of(m, "reason"),
	       d_of(m, "heat"), s_of(m, "result"));
	if (i_of(m, "repeats"))
		printf(" (and %lld decisions since)", (long long)i_of(m, "repeats"));
	printf("\n");
}

static void print_plan(struct json_object *o)
{
	struct json_object *moves = get(o, "moves"), *next = get(o, "next");
	char t[32], a[32], b[32], c[32], e[32];
	size_t i, n = moves ? json_object_array_length(moves) : 0;

	if (!b_of(o, "decided")) {
		printf("no decision yet\n");
		return;
	}
	printf("last decision:  %s, epoch %lld, %.3f s: %lld moves, %lld done%s%s\n",
	       when(d_of(o, "time"), t, sizeof(t)), (long long)i_of(o, "epoch"),
	       d_of(o, "seconds"), (long long)i_of(o, "nr_moves"),
	       (long long)i_of(o, "moves_done"),
	       b_of(o, "paused") ? " (paused)" : "",
	       b_of(o, "dry_run") ? " (dry run)" : "");
	printf("DRAM:           %s used of %s; tracked %s, budget %s\n",
	       size_of(o, "dram_used_bytes", a, sizeof(a)),
	       size_of(o, "dram_capacity_bytes", b, sizeof(b)),
	       size_of(o, "dram_tracked_bytes", c, sizeof(c)),
	       size_of(o, "dram_budget_bytes", e, sizeof(e)));
	printf("planned:        %s to promote, ",
	       size_of(o, "promote_bytes", a, sizeof(a)));
	printf("%s to demote, ", size_of(o, "demote_bytes", a, sizeof(a)));
	printf("%s deferred (rate limit), ",
	       size_of(o, "deferred_bytes", a, sizeof(a)));
	printf("%s without room\n", size_of(o, "blocked_bytes", a, sizeof(a)));
	if (n) {
		printf("  %-20s %7s %6s MOVE\n", "BUFFER", "PID", "RANGE");
		for (i = 0; i < n; i++)
			print_move(json_object_array_get_idx(moves, i), true);
		if (b_of(o, "truncated"))
			printf("  ... %lld moves in all\n",
			       (long long)i_of(o, "nr_moves"));
	}
	printf("next decision:  in %lld ms (planned then, from the heat then)\n",
	       (long long)i_of(next, "in_ms"));
}

static void print_explain(struct json_object *o)
{
	struct json_object *ranges = get(o, "ranges");
	size_t i, k;
	char a[32], b[32];

	for (i = 0; ranges && i < json_object_array_length(ranges); i++) {
		struct json_object *r = json_object_array_get_idx(ranges, i),
				   *pl = get(r, "placement"), *mv = get(r, "moves");

		printf("%sbuffer \"%s\" (range %lld), pid %lld (%s), uid %lld: %s in %lld chunks of %s, heat %.2f%s\n",
		       i ? "\n" : "", s_of(r, "label"), (long long)i_of(r, "range"),
		       (long long)i_of(r, "pid"), s_of(r, "process"),
		       (long long)i_of(r, "uid"),
		       size_of(r, "length_bytes", a, sizeof(a)),
		       (long long)i_of(r, "nr_chunks"),
		       size_of(r, "chunk_size_bytes", b, sizeof(b)),
		       d_of(r, "heat"),
		       b_of(r, "registered") ? ", registered by libcxltier" : "");
		printf("placement:\n");
		for (k = 0; pl && k < json_object_array_length(pl); k++) {
			struct json_object *p = json_object_array_get_idx(pl, k);
			int64_t f = i_of(p, "first_chunk"), n = i_of(p, "nr_chunks");

			if (i_of(p, "node") < 0)
				printf("  chunks %lld-%lld (%s): not resident or on several nodes\n",
				       (long long)f, (long long)(f + n - 1),
				       size_of(p, "bytes", a, sizeof(a)));
			else
				printf("  chunks %lld-%lld (%s): node %lld\n",
				       (long long)f, (long long)(f + n - 1),
				       size_of(p, "bytes", a, sizeof(a)),
				       (long long)i_of(p, "node"));
		}
		if (b_of(r, "placement_truncated"))
			printf("  ... (more runs: --json shows the first 128)\n");
		if (!mv || !json_object_array_length(mv)) {
			printf("moves: none since cxltierd started\n");
			continue;
		}
		printf("last moves, newest first:\n");
		for (k = 0; k < json_object_array_length(mv); k++)
			print_move(json_object_array_get_idx(mv, k), false);
	}
	if (b_of(o, "truncated"))
		printf("\n... more buffers answer to this label: ask by range id\n");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cxltierctl agent status [--json] [--socket PATH]\n"
		"       cxltierctl agent plan [--json] [--socket PATH]\n"
		"       cxltierctl agent explain BUFFER [--json] [--socket PATH]\n"
		"       cxltierctl agent pause|resume [--json] [--socket PATH]\n"
		"BUFFER: a range id (cxltierctl buffers) or a label.\n");
}

int cmd_agent(int argc, char **argv, const struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = PROTO_SOCKET_PATH, *verb, *wire;
	struct json_object *o;
	bool json = false;
	char req[ADMIN_REQ_MAX];
	int c, code = CTL_EXIT_OK;

	optind = 0; /* reset getopt: main parsed "+" (in order) */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	verb = argv[optind++];
	wire = !strcmp(verb, "status") ? "agent-status" :
	       !strcmp(verb, "plan") || !strcmp(verb, "explain") ||
	       !strcmp(verb, "pause") || !strcmp(verb, "resume") ? verb : NULL;
	if (!wire) {
		fprintf(stderr, "cxltierctl: agent: unknown request: %s\n", verb);
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(verb, "explain") != (optind + 1 == argc) ||
	    optind + 1 < argc) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(verb, "explain")) {
		const char *b = argv[optind];

		if (!*b || strpbrk(b, "\n\r\t") ||
		    snprintf(req, sizeof(req), "explain %s\n", b) >= (int)sizeof(req)) {
			fprintf(stderr, "cxltierctl: agent explain: not a buffer id or label: %s\n", b);
			return CTL_EXIT_USAGE;
		}
	} else {
		snprintf(req, sizeof(req), "%s\n", wire);
	}
	o = ask(sock, req);
	if (!o)
		return CTL_EXIT_FAIL;
	if (!strcmp(s_of(o, "result"), "error")) {
		fprintf(stderr, "cxltierctl: agent %s: %s\n", verb, s_of(o, "error"));
		code = CTL_EXIT_FAIL;
		if (!json) {
			json_object_put(o);
			return code;
		}
	}
	if (json) {
		humanize(opts, o);
		ctl_print_json(o);
		return code;
	}
	if (!strcmp(verb, "status"))
		print_status(o);
	else if (!strcmp(verb, "plan"))
		print_plan(o);
	else if (!strcmp(verb, "explain"))
		print_explain(o);
	else
		printf("moves %s (were %s)\n", s_of(o, "result"), s_of(o, "was"));
	json_object_put(o);
	return code;
}
