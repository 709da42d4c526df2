/* SPDX-License-Identifier: GPL-2.0 */
/*
 * admin: the agent's admin socket.  The listener, its connections, their
 * request lines, the answers, the peers' credentials (SO_PEERCRED) and a
 * table of verbs that the daemon's modules register (drain: "drain",
 * "undrain", "status"; inspect: "agent-status", "plan", "explain",
 * "pause", "resume").  The protocol is in cxltierd(8), "ADMIN SOCKET".
 *
 * One request per connection: a text line "VERB ARG...", at most
 * ADMIN_LINE_MAX bytes with its newline; the answers are JSON objects,
 * one per line.  A verb answers and the connection closes, or it keeps
 * the connection (a drain reports its progress) until admin_finish().
 * An error is one line {"event": "done", "result": "error", "error": ...}.
 */
#ifndef CXLTIERD_ADMIN_H
#define CXLTIERD_ADMIN_H

#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Admin socket: the agent socket's path with this suffix. */
#define ADMIN_SUFFIX		".admin"
/* Admin connections at once; peers that are not root get half. */
#define ADMIN_MAX_CONNS		8
/* Longest request line, newline included. */
#define ADMIN_LINE_MAX		256
/* Words of a request, the verb included. */
#define ADMIN_MAX_ARGS		16
/* Verbs in the table. */
#define ADMIN_MAX_VERBS		16
/* Modules told of a closed connection. */
#define ADMIN_MAX_HOOKS		4

struct admin;

/**
 * struct admin_peer - who sent a request (SO_PEERCRED at accept)
 * @pid: the peer's process
 * @uid: its effective uid
 * @gid: its effective gid
 * @privileged: root, or the agent's own uid
 */
struct admin_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool privileged;
};

/* What a verb leaves of its connection. */
enum admin_ret {
	ADMIN_CLOSE,	/* answered: close it */
	ADMIN_KEEP,	/* the verb keeps it and calls admin_finish() later */
};

/*
 * A verb: @argv[0] is the verb, @argc words in all (at most
 * ADMIN_MAX_ARGS).  It answers on @fd with admin_send().
 */
typedef enum admin_ret (*admin_verb_fn)(void *arg, struct admin *ad, int fd,
					const struct admin_peer *peer,
					int argc, char **argv);

/* Flags of admin_register(). */
#define ADMIN_PRIVILEGED	0x1	/* only a privileged peer */

/**
 * struct admin_options - the socket
 * @path: where to listen (a stale socket there is removed first)
 * @group: group that may connect (mode 0660), or (gid_t)-1: mode 0600
 */
struct admin_options {
	const char *path;
	gid_t group;
};

/* Listen.  0 or -errno. */
int admin_new(struct admin **ap, const struct admin_options *o);
/* Close every connection and the listener, remove the socket file. */
void admin_free(struct admin *ad);

/*
 * Add a verb.  -EEXIST (the name is taken), -ENOSPC (table full),
 * -EINVAL (no name, or a name with a blank).
 */
int admin_register(struct admin *ad, const char *name, admin_verb_fn fn,
		   void *arg, unsigned int flags);

/* Call @fn(@arg, fd) whenever a connection closes.  0 or -ENOSPC. */
int admin_on_close(struct admin *ad, void (*fn)(void *arg, int fd),
		   void *arg);

/* The listener and connections, into @pfd (room entries); how many. */
size_t admin_pollfds(struct admin *ad, struct pollfd *pfd, size_t room);
/* Serve what poll() reported on the fds admin_pollfds() gave. */
void admin_process(struct admin *ad, const struct pollfd *pfd, size_t n);

/*
 * Send one line (a newline is added): printf-style, or @len bytes of
 * @s.  Nothing for @fd < 0.  A peer that cannot take it all now is
 * dropped (its connection closed): the agent never blocks on one.
 */
void admin_send(struct admin *ad, int fd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void admin_vsend(struct admin *ad, int fd, const char *fmt, va_list ap);
void admin_send_str(struct admin *ad, int fd, const char *s, size_t len);

/* The request on @fd is answered: close it (nothing for an unknown fd). */
void admin_finish(struct admin *ad, int fd);

/* An error line ({"event": "done", "result": "error", ...}) to @fd. */
void admin_error(struct admin *ad, int fd, const char *why);

/*
 * Split @line (modified) at blanks into @argv (room @room); how many
 * words, or -E2BIG for more than @room.
 */
int admin_split(char *line, char **argv, int room);

/*
 * Run the request @line (modified; no newline) from @peer on @fd: look
 * up the verb, check the peer's right to it, call it.  Without a verb,
 * or unknown, or not allowed, an error line.  Returns what the verb
 * returned (ADMIN_CLOSE for an error).  The unit tests call it on a
 * socketpair.
 */
enum admin_ret admin_dispatch(struct admin *ad, int fd,
			      const struct admin_peer *peer, char *line);

/* A test's admin with no socket (admin_dispatch() only). */
struct admin *admin_new_detached(void);

/* --- JSON text ------------------------------------------------------------ */

/**
 * struct admin_buf - a growing line of JSON
 * @s: the text, NUL-terminated (NULL before the first append)
 * @len: its length
 * @room: bytes allocated
 * @failed: an allocation failed (the text is cut)
 */
struct admin_buf {
	char *s;
	size_t len;
	size_t room;
	bool failed;
};

void admin_buf_printf(struct admin_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* @s as a JSON string, quotes included (controls and non-ASCII escaped). */
void admin_buf_json_str(struct admin_buf *b, const char *s, size_t max);
void admin_buf_free(struct admin_buf *b);

#endif /* CXLTIERD_ADMIN_H */
