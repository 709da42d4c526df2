// SPDX-License-Identifier: GPL-2.0
/*
 * A private cxltierd for the benchmarks that need one (e2e, migrate):
 * its own socket, configuration and metrics in a scratch directory, the
 * binary found next to cxltier-bench (a build tree's build/bin) or on
 * $PATH, and its log kept for a failed run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench.h"

int bench_sibling(const char *name, char *path, size_t len)
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

int bench_agent_start(struct bench_agent *a, const char *config_text)
{
	char agent[PATH_MAX];
	struct stat st;
	FILE *f;
	int i, fd;

	memset(a, 0, sizeof(*a));
	snprintf(a->dir, sizeof(a->dir), "/tmp/cxltier-bench.XXXXXX");
	if (!mkdtemp(a->dir))
		return -errno;
	snprintf(a->socket, sizeof(a->socket), "%s/cxltierd.sock", a->dir);
	snprintf(a->config, sizeof(a->config), "%s/cxltierd.conf", a->dir);
	snprintf(a->metrics, sizeof(a->metrics), "%s/metrics.prom", a->dir);
	snprintf(a->log, sizeof(a->log), "%s/cxltierd.log", a->dir);
	f = fopen(a->config, "we");
	if (!f)
		return -errno;
	fputs(config_text, f);
	if (fclose(f))
		return -errno;
	bench_sibling("cxltierd", agent, sizeof(agent));

	a->pid = fork();
	if (a->pid < 0)
		return -errno;
	if (!a->pid) {
		fd = open(a->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp(agent, "cxltierd", "--foreground", "--config", a->config,
		       "--socket", a->socket, "--metrics", a->metrics,
		       (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 300; i++) {
		if (!stat(a->socket, &st) && S_ISSOCK(st.st_mode))
			return 0;
		if (waitpid(a->pid, NULL, WNOHANG) == a->pid) {
			a->pid = 0;
			return -ECHILD;
		}
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	return -ETIMEDOUT;
}

int bench_agent_stop(struct bench_agent *a, int keep)
{
	char cmd[PATH_MAX + 16];
	int status = 0;

	if (a->pid > 0) {
		kill(a->pid, SIGTERM);
		waitpid(a->pid, &status, 0);
		a->pid = 0;
	}
	if (keep) {
		fprintf(stderr, "cxltier-bench: agent's files kept in %s\n",
			a->dir);
		return status;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", a->dir);
	if (a->dir[0] && system(cmd)) {
		/* Leftovers in /tmp are harmless. */
	}
	return status;
}

double bench_metric(const struct bench_agent *a, const char *name)
{
	size_t len = strlen(name);
	char line[1024];
	double sum = 0;
	const char *v;
	FILE *f;

	f = fopen(a->metrics, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, len) ||
		    (line[len] != ' ' && line[len] != '{'))
			continue;
		v = strrchr(line, ' ');
		if (v)
			sum += strtod(v + 1, NULL);
	}
	fclose(f);
	return sum;
}
