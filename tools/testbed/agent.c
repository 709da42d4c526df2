// SPDX-License-Identifier: GPL-2.0
/*
 * testbed: a private cxltierd, for the benchmarks, kvreplay --real and
 * the selftests that need one.  Its files live in a directory of its
 * own (the caller's, or a temporary one), its socket in another (a
 * socket address is short), and its log is kept when a run fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "clock.h"
#include "testbed.h"

/* Longest wait for the socket, and for the agent to stop. */
#define AGENT_START_S	30
#define AGENT_STOP_S	10

static const char *tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

int tb_agent_init(struct tb_agent *a, const char *dir, const char *prefix, char *err,
		  size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (dir) {
		if ((size_t)snprintf(a->dir, sizeof(a->dir), "%s", dir) >= sizeof(a->dir)) {
			snprintf(err, errlen, "%s: name too long", dir);
			return -ENAMETOOLONG;
		}
		if (mkdir(a->dir, 0755) && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", a->dir, strerror(errno));
			return -errno;
		}
	} else {
		snprintf(a->dir, sizeof(a->dir), "%s/%s.XXXXXX", tmpdir(), prefix);
		if (!mkdtemp(a->dir)) {
			snprintf(err, errlen, "%s: %s", a->dir, strerror(errno));
			a->dir[0] = '\0';
			return -errno;
		}
		a->made_dir = true;
	}
	snprintf(a->sockdir, sizeof(a->sockdir), "%s/%s-sock.XXXXXX", tmpdir(), prefix);
	if (!mkdtemp(a->sockdir)) {
		snprintf(err, errlen, "%s: %s", a->sockdir, strerror(errno));
		a->sockdir[0] = '\0';
		return -errno;
	}
	snprintf(a->socket, sizeof(a->socket), "%s/cxltierd.sock", a->sockdir);
	snprintf(a->config, sizeof(a->config), "%s/cxltierd.conf", a->dir);
	snprintf(a->metrics, sizeof(a->metrics), "%s/metrics.prom", a->dir);
	snprintf(a->log, sizeof(a->log), "%s/cxltierd.log", a->dir);
	return 0;
}

int tb_agent_write_config(const struct tb_agent *a, const char *text, char *err,
			  size_t errlen)
{
	FILE *f = fopen(a->config, "we");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		int e = errno ? errno : EIO;

		snprintf(err, errlen, "%s: %s", a->config, strerror(e));
		if (f)
			fclose(f);
		return -e;
	}
	return 0;
}

int tb_agent_start(struct tb_agent *a, const char *program, char *err, size_t errlen)
{
	double end;
	struct stat st;
	int status, fd;
	pid_t pid;

	unlink(a->socket);
	fd = open(a->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", a->log, strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		close(fd);
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -errno;
	}
	if (!pid) {
		dup2(fd, 1);
		dup2(fd, 2);
		execlp(program, program, "--foreground", "--config", a->config, "--socket",
		       a->socket, "--metrics", a->metrics, (char *)NULL);
		dprintf(2, "cannot run %s: %s\n", program, strerror(errno));
		_exit(127);
	}
	close(fd);
	a->pid = pid;
	for (end = clock_now_s() + AGENT_START_S; clock_now_s() < end; usleep(50000)) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			a->pid = 0;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
				snprintf(err, errlen,
					 "cannot run the agent %s: not found or not executable",
					 program);
				return -ENOENT;
			}
			snprintf(err, errlen, "%s exited %s %d before it was ready (see %s)",
				 program, WIFEXITED(status) ? "with status" : "on signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				 a->log);
			return -ECHILD;
		}
		if (!stat(a->socket, &st) && S_ISSOCK(st.st_mode))
			return 0;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	a->pid = 0;
	snprintf(err, errlen, "%s: no socket after %d s (see %s)", program, AGENT_START_S,
		 a->log);
	return -ETIMEDOUT;
}

int tb_agent_stop(struct tb_agent *a)
{
	double end = clock_now_s() + AGENT_STOP_S;
	int status;

	if (a->pid <= 0)
		return 0;
	kill(a->pid, SIGTERM);
	while (waitpid(a->pid, &status, WNOHANG) != a->pid) {
		if (clock_now_s() > end) {
			kill(a->pid, SIGKILL);
			waitpid(a->pid, &status, 0);
			a->pid = 0;
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
	a->pid = 0;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void tb_agent_cleanup(struct tb_agent *a, bool keep, const char *who)
{
	if (a->sockdir[0]) {
		unlink(a->socket);
		rmdir(a->sockdir);
		a->sockdir[0] = '\0';
	}
	if (!a->dir[0])
		return;
	if (keep) {
		if (who)
			fprintf(stderr, "%s: agent's files kept in %s\n", who, a->dir);
		return;
	}
	/* Only what we made: never a directory the caller named. */
	if (a->made_dir)
		nftw(a->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	a->dir[0] = '\0';
}

double tb_agent_metric(const struct tb_agent *a, const char *series)
{
	size_t len = strlen(series);
	bool labelled = strchr(series, '{') != NULL;
	char line[1024];
	double sum = 0;
	const char *v;
	FILE *f;

	f = fopen(a->metrics, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, series, len) ||
		    (!labelled && line[len] != ' ' && line[len] != '{'))
			continue;
		v = strrchr(line, ' ');
		if (v)
			sum += strtod(v + 1, NULL);
	}
	fclose(f);
	return sum;
}

int tb_sibling(const char *name, char *path, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(path, len, "%s/%s", self, name) < len &&
			    !access(path, X_OK))
				return 0;
		}
	}
	/* Leave it to execvp() and $PATH. */
	if ((size_t)snprintf(path, len, "%s", name) >= len)
		return -ENAMETOOLONG;
	return 0;
}
