// SPDX-License-Identifier: GPL-2.0
/*
 * admin: the agent's admin socket: listener, connections, request lines,
 * answers, peers and the verb table.  See admin.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "admin.h"
#include "log.h"

/**
 * struct admin_conn - one connection
 * @fd: the socket, -1 when the slot is free
 * @held: a verb keeps it (its request was answered in part)
 * @peer: who is at the other end
 * @len: bytes in @line
 * @line: the request read so far
 */
struct admin_conn {
	int fd;
	bool held;
	struct admin_peer peer;
	size_t len;
	char line[ADMIN_LINE_MAX + 1];
};

struct admin_verb {
	char name[32];
	admin_verb_fn fn;
	void *arg;
	unsigned int flags;
};

struct admin_hook {
	void (*fn)(void *arg, int fd);
	void *arg;
};

struct admin {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd;
	struct admin_conn conns[ADMIN_MAX_CONNS];
	size_t nr_verbs;
	struct admin_verb verbs[ADMIN_MAX_VERBS];
	size_t nr_hooks;
	struct admin_hook hooks[ADMIN_MAX_HOOKS];
};

/* --- the table ------------------------------------------------------------ */

int admin_register(struct admin *ad, const char *name, admin_verb_fn fn,
		   void *arg, unsigned int flags)
{
	struct admin_verb *v;
	size_t i;

	if (!name || !*name || !fn || strpbrk(name, " \t\r\n") ||
	    strlen(name) >= sizeof(v->name))
		return -EINVAL;
	for (i = 0; i < ad->nr_verbs; i++)
		if (!strcmp(ad->verbs[i].name, name))
			return -EEXIST;
	if (ad->nr_verbs == ADMIN_MAX_VERBS)
		return -ENOSPC;
	v = &ad->verbs[ad->nr_verbs++];
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->fn = fn;
	v->arg = arg;
	v->flags = flags;
	return 0;
}

int admin_on_close(struct admin *ad, void (*fn)(void *arg, int fd), void *arg)
{
	if (ad->nr_hooks == ADMIN_MAX_HOOKS)
		return -ENOSPC;
	ad->hooks[ad->nr_hooks].fn = fn;
	ad->hooks[ad->nr_hooks++].arg = arg;
	return 0;
}

/* --- connections ---------------------------------------------------------- */

static struct admin_conn *conn_of(struct admin *ad, int fd)
{
	size_t i;

	if (fd < 0)
		return NULL;
	for (i = 0; i < ADMIN_MAX_CONNS; i++)
		if (ad->conns[i].fd == fd)
			return &ad->conns[i];
	return NULL;
}

static void conn_close(struct admin *ad, struct admin_conn *c)
{
	int fd = c->fd;
	size_t i;

	c->fd = -1;
	c->len = 0;
	c->held = false;
	for (i = 0; i < ad->nr_hooks; i++)
		ad->hooks[i].fn(ad->hooks[i].arg, fd);
	close(fd);
}

void admin_finish(struct admin *ad, int fd)
{
	struct admin_conn *c = conn_of(ad, fd);

	if (c)
		conn_close(ad, c);
}

void admin_send_str(struct admin *ad, int fd, const char *s, size_t len)
{
	struct admin_conn *c;
	struct iovec iov[2] = {
		{ .iov_base = (void *)s, .iov_len = len },
		{ .iov_base = "\n", .iov_len = 1 },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	if (fd < 0)
		return;
	if (sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len + 1)
		return;
	/* A peer that cannot take the whole line now gets none more. */
	c = conn_of(ad, fd);
	if (c)
		conn_close(ad, c);
}

void admin_vsend(struct admin *ad, int fd, const char *fmt, va_list ap)
{
	char buf[4096];
	int n;

	if (fd < 0)
		return;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	admin_send_str(ad, fd, buf, (size_t)n);
}

void admin_send(struct admin *ad, int fd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	admin_vsend(ad, fd, fmt, ap);
	va_end(ap);
}

void admin_error(struct admin *ad, int fd, const char *why)
{
	struct admin_buf b = { 0 };

	admin_buf_printf(&b, "{\"event\": \"done\", \"result\": \"error\", \"error\": ");
	admin_buf_json_str(&b, why, 512);
	admin_buf_printf(&b, "}");
	if (!b.failed)
		admin_send_str(ad, fd, b.s, b.len);
	admin_buf_free(&b);
}

/* --- requests ------------------------------------------------------------- */

int admin_split(char *line, char **argv, int room)
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t\r", &save); tok;
	     tok = strtok_r(NULL, " \t\r", &save)) {
		if (n == room)
			return -E2BIG;
		argv[n++] = tok;
	}
	return n;
}

enum admin_ret admin_dispatch(struct admin *ad, int fd,
			      const struct admin_peer *peer, char *line)
{
	char *argv[ADMIN_MAX_ARGS], list[ADMIN_MAX_VERBS * 34] = "", why[640];
	size_t i, off = 0;
	int argc;

	argc = admin_split(line, argv, ADMIN_MAX_ARGS);
	if (argc < 0) {
		admin_error(ad, fd, "too many words in the request");
		return ADMIN_CLOSE;
	}
	if (!argc) {
		admin_error(ad, fd, "empty request");
		return ADMIN_CLOSE;
	}
	for (i = 0; i < ad->nr_verbs; i++) {
		const struct admin_verb *v = &ad->verbs[i];

		if (strcmp(v->name, argv[0]))
			continue;
		if ((v->flags & ADMIN_PRIVILEGED) && !peer->privileged) {
			snprintf(why, sizeof(why),
				 "permission denied: %s needs root (uid %u is not)",
				 v->name, (unsigned int)peer->uid);
			log_info("admin: %s from uid %u (pid %d) refused: not root",
				 v->name, (unsigned int)peer->uid, (int)peer->pid);
			admin_error(ad, fd, why);
			return ADMIN_CLOSE;
		}
		return v->fn(v->arg, ad, fd, peer, argc, argv);
	}
	for (i = 0; i < ad->nr_verbs && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
					i ? ", " : "", ad->verbs[i].name);
	snprintf(why, sizeof(why), "unknown request (%s)", list);
	admin_error(ad, fd, why);
	return ADMIN_CLOSE;
}

/* Run the request of @c; it may close @c. */
static void conn_request(struct admin *ad, struct admin_conn *c)
{
	int fd = c->fd;
	enum admin_ret ret;

	ret = admin_dispatch(ad, fd, &c->peer, c->line);
	/* The verb may have closed it (a failed send) already. */
	if (c->fd != fd)
		return;
	if (ret == ADMIN_KEEP)
		c->held = true;
	else
		conn_close(ad, c);
}

static void conn_read(struct admin *ad, struct admin_conn *c)
{
	char *nl;
	ssize_t n;

	n = recv(c->fd, c->line + c->len, ADMIN_LINE_MAX - c->len,
		 MSG_DONTWAIT);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_close(ad, c);
		return;
	}
	c->len += (size_t)n;
	c->line[c->len] = '\0';
	nl = memchr(c->line, '\n', c->len);
	if (!nl) {
		if (c->len >= ADMIN_LINE_MAX) {
			admin_error(ad, c->fd, "request line too long");
			admin_finish(ad, c->fd);
		}
		return;
	}
	*nl = '\0';
	if (strlen(c->line) != (size_t)(nl - c->line)) {
		admin_error(ad, c->fd, "NUL in request");
		admin_finish(ad, c->fd);
		return;
	}
	conn_request(ad, c);
}

static void admin_accept(struct admin *ad)
{
	struct admin_conn *slot = NULL;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	unsigned int others = 0;
	bool privileged;
	size_t i;
	int fd;

	fd = accept4(ad->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    len != sizeof(cred)) {
		close(fd);
		return;
	}
	privileged = cred.uid == 0 || cred.uid == geteuid();
	for (i = 0; i < ADMIN_MAX_CONNS; i++) {
		if (ad->conns[i].fd < 0) {
			if (!slot)
				slot = &ad->conns[i];
		} else if (!ad->conns[i].peer.privileged) {
			others++;
		}
	}
	/* Root always finds a slot that the group's members left. */
	if (!slot || (!privileged && others >= ADMIN_MAX_CONNS / 2)) {
		close(fd);
		return;
	}
	slot->fd = fd;
	slot->len = 0;
	slot->held = false;
	slot->peer.pid = cred.pid;
	slot->peer.uid = cred.uid;
	slot->peer.gid = cred.gid;
	slot->peer.privileged = privileged;
	/*
	 * A request already sent is answered now, not after the next step
	 * of the main loop (a drain step may end a drain the request would
	 * have found running).
	 */
	conn_read(ad, slot);
}

size_t admin_pollfds(struct admin *ad, struct pollfd *pfd, size_t room)
{
	size_t n = 0, i;

	if (room < 1 + ADMIN_MAX_CONNS)
		return 0;
	pfd[n].fd = ad->lfd;
	pfd[n++].events = POLLIN;
	for (i = 0; i < ADMIN_MAX_CONNS; i++) {
		pfd[n].fd = ad->conns[i].fd;
		pfd[n++].events = POLLIN;
	}
	return n;
}

void admin_process(struct admin *ad, const struct pollfd *pfd, size_t n)
{
	size_t i;

	if (n < 1 + ADMIN_MAX_CONNS)
		return;
	for (i = 0; i < ADMIN_MAX_CONNS; i++) {
		struct admin_conn *c = &ad->conns[i];

		if (c->fd < 0 || c->fd != pfd[1 + i].fd ||
		    !(pfd[1 + i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (c->held) {
			/* A held peer that hangs up: its work goes on. */
			char ch;
			ssize_t got = recv(c->fd, &ch, 1,
					   MSG_DONTWAIT | MSG_PEEK);

			if (!got || (got < 0 && errno != EAGAIN))
				conn_close(ad, c);
			continue;
		}
		conn_read(ad, c);
	}
	if (pfd[0].revents & POLLIN)
		admin_accept(ad);
}

/* --- life cycle ----------------------------------------------------------- */

static struct admin *admin_alloc(void)
{
	struct admin *ad = calloc(1, sizeof(*ad));
	size_t i;

	if (!ad)
		return NULL;
	ad->lfd = -1;
	for (i = 0; i < ADMIN_MAX_CONNS; i++)
		ad->conns[i].fd = -1;
	return ad;
}

struct admin *admin_new_detached(void)
{
	return admin_alloc();
}

int admin_new(struct admin **ap, const struct admin_options *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct admin *ad;
	struct stat st;
	mode_t old;
	int ret;

	if (strlen(o->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	ad = admin_alloc();
	if (!ad)
		return -ENOMEM;
	snprintf(ad->path, sizeof(ad->path), "%s", o->path);
	memcpy(sa.sun_path, o->path, strlen(o->path));
	/* Only a stale socket is removed, never another kind of file. */
	if (!lstat(o->path, &st) && S_ISSOCK(st.st_mode))
		unlink(o->path);
	ad->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ad->lfd < 0) {
		ret = -errno;
		free(ad);
		return ret;
	}
	/* Created 0600; opened to the group only once it is the group's. */
	old = umask(0177);
	ret = bind(ad->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (!ret && o->group != (gid_t)-1 &&
	    (chown(o->path, (uid_t)-1, o->group) || chmod(o->path, 0660)))
		log_warn("%s: cannot give it to group %u (%s): root only",
			 o->path, (unsigned int)o->group, strerror(errno));
	if (ret || listen(ad->lfd, ADMIN_MAX_CONNS)) {
		ret = -errno;
		close(ad->lfd);
		if (!lstat(o->path, &st) && S_ISSOCK(st.st_mode))
			unlink(o->path);
		free(ad);
		return ret;
	}
	*ap = ad;
	return 0;
}

void admin_free(struct admin *ad)
{
	size_t i;

	if (!ad)
		return;
	for (i = 0; i < ADMIN_MAX_CONNS; i++)
		if (ad->conns[i].fd >= 0)
			conn_close(ad, &ad->conns[i]);
	if (ad->lfd >= 0) {
		close(ad->lfd);
		unlink(ad->path);
	}
	free(ad);
}

/* --- JSON text ------------------------------------------------------------ */

static bool buf_room(struct admin_buf *b, size_t more)
{
	size_t want;
	char *s;

	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->room)
		return true;
	want = b->room ? b->room : 256;
	while (want < b->len + more + 1)
		want *= 2;
	s = realloc(b->s, want);
	if (!s) {
		b->failed = true;
		return false;
	}
	b->s = s;
	b->room = want;
	return true;
}

void admin_buf_printf(struct admin_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_room(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->room - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void admin_buf_json_str(struct admin_buf *b, const char *s, size_t max)
{
	size_t i;

	admin_buf_printf(b, "\"");
	for (i = 0; i < max && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			admin_buf_printf(b, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			admin_buf_printf(b, "\\u%04x", ch);
		else
			admin_buf_printf(b, "%c", ch);
	}
	admin_buf_printf(b, "\"");
}

void admin_buf_free(struct admin_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}
