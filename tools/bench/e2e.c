// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench e2e: the whole system placing a pinned pool by heat, the
 * scenario of selftests/cxltier/e2e_policy.sh measured.  A private
 * cxltierd runs with a class for the pool whose DRAM share holds --hot
 * chunks; cxltier-e2e-app (next to cxltier-bench in a build tree) pins a
 * pool of --chunks chunks through the fake accelerator, half in DRAM and
 * half on --far-node, and its device reads a hot set of --hot far chunks
 * until they are in DRAM and every other chunk is far; then the hot set
 * moves (--phases times in all).  Reported: migrations made, bytes
 * verified after the moves and how many were corrupt, the share of the
 * hot set in DRAM at the end, and the most decision intervals a phase
 * needed to converge.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "bench.h"

/**
 * struct e2e_opts - the command line
 * @chunks: chunks in the pool
 * @hot: chunks in the hot set
 * @phases: hot sets, one after the other
 * @dram: DRAM node
 * @far: far node, -1: the highest-numbered memory node
 * @timeout: seconds a phase may take
 * @json: print JSON
 */
struct e2e_opts {
	unsigned int chunks;
	unsigned int hot;
	unsigned int phases;
	int dram;
	int far;
	unsigned int timeout;
	int json;
};

static void e2e_usage(FILE *f)
{
	fprintf(f,
		"usage: cxltier-bench e2e [--json] [--chunks N] [--hot N] [--phases N]\n"
		"                         [--dram-node N] [--far-node N] [--timeout S]\n"
		"cxltierd moving the hot set of a pinned pool into DRAM and the rest\n"
		"out, then following it (defaults: 16 chunks of 2 MiB, 4 hot, 3\n"
		"phases, node 0 and the highest-numbered memory node, 120 s a phase).\n"
		"Needs cxltier.ko, cxltierd and cxltier-e2e-app (build/bin).\n");
}

/*
 * First chunk of the hot set of phase @p: blocks of --hot chunks, the
 * first far block first, then the blocks below it, wrapping around.
 */
static unsigned int e2e_hot_first(const struct e2e_opts *o, unsigned int p)
{
	unsigned int nb = o->chunks / o->hot, b0 = o->chunks / 2 / o->hot;

	return ((b0 + nb - p % nb) % nb) * o->hot;
}

/* Run the application with @argv; its stdout into @out.  Wait status. */
static int e2e_run_app(char *const argv[], char *out, size_t len)
{
	int pfd[2], status = -1;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(pfd[1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while (n < len - 1 && (r = read(pfd[0], out + n, len - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return status;
}

int cmd_e2e(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "chunks", required_argument, NULL, 'n' },
		{ "hot", required_argument, NULL, 'H' },
		{ "phases", required_argument, NULL, 'p' },
		{ "dram-node", required_argument, NULL, 'd' },
		{ "far-node", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct e2e_opts o = { 16, 4, 3, 0, -1, 120, 0 };
	char app[512], conf[1024], log[PATH_MAX + 16], out[4096], line[256];
	char nchunks[16], nfar[16], sfar[16], sdram[16];
	char *args[32], cmds[8][48];
	struct json_object *sum = NULL, *j, *v;
	long long cap = 0;
	unsigned int p, k;
	int c, status, worst = 0, n;
	struct tb_agent a;
	double migrations;
	FILE *f;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = 1;
			break;
		case 'n':
			o.chunks = (unsigned int)atoi(optarg);
			break;
		case 'H':
			o.hot = (unsigned int)atoi(optarg);
			break;
		case 'p':
			o.phases = (unsigned int)atoi(optarg);
			break;
		case 'd':
			o.dram = atoi(optarg);
			break;
		case 'f':
			o.far = atoi(optarg);
			break;
		case 't':
			o.timeout = (unsigned int)atoi(optarg);
			break;
		case 'h':
			e2e_usage(stdout);
			return BENCH_EXIT_OK;
		default:
			e2e_usage(stderr);
			return BENCH_EXIT_USAGE;
		}
	}
	if (o.chunks < 4 || o.chunks > 1024 || !o.hot || o.hot > o.chunks / 2 ||
	    !o.phases || o.phases > 6 || !o.timeout) {
		e2e_usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	if (numa_available() < 0)
		return BENCH_EXIT_NODEV;
	if (o.far < 0)
		for (n = numa_max_node(); n > o.dram; n--)
			if (numa_node_size64(n, NULL) > 0) {
				o.far = n;
				break;
			}
	cap = numa_node_size64(o.dram, NULL);
	if (o.far < 0 || cap <= 0) {
		fprintf(stderr, "cxltier-bench: need a DRAM node and a far node\n");
		return BENCH_EXIT_USAGE;
	}
	n = tb_accel_open(TB_ACCEL_LOAD | TB_ACCEL_UNLOAD_AT_EXIT);
	if (n < 0) {
		fprintf(stderr, "cxltier-bench: fake accelerator: %s\n",
			strerror(-n));
		return BENCH_EXIT_NODEV;
	}
	close(n);

	/* The pool's class may hold the hot set and half a chunk more. */
	snprintf(conf, sizeof(conf),
		 "# cxltier-bench e2e\n"
		 "[tiers]\ndram = %d\nfar = %d\n\n"
		 "[policy]\ninterval = 1s\nmin_residency = 1s\n\n"
		 "[heat]\nepoch = 500ms\nhalf_life = 2s\n\n"
		 "[class \"bench\"]\nlabel = bench-e2e\ndram_share = %.2f%%\n",
		 o.dram, o.far,
		 (o.hot + 0.5) * (2 << 20) * 100.0 / (double)cap);
	n = bench_agent_start(&a, conf);
	if (n) {
		fprintf(stderr, "cxltier-bench: cannot start cxltierd: %s\n",
			strerror(-n));
		bench_agent_stop(&a, 1);
		return BENCH_EXIT_FAIL;
	}

	tb_sibling("cxltier-e2e-app", app, sizeof(app));
	snprintf(log, sizeof(log), "%s/app.log", a.dir);
	snprintf(nchunks, sizeof(nchunks), "%u", o.chunks);
	snprintf(nfar, sizeof(nfar), "%u", o.chunks / 2);
	snprintf(sfar, sizeof(sfar), "%d", o.far);
	snprintf(sdram, sizeof(sdram), "%d", o.dram);
	k = 0;
	args[k++] = app;
	args[k++] = "--far-node";
	args[k++] = sfar;
	args[k++] = "--dram-node";
	args[k++] = sdram;
	args[k++] = "--chunks";
	args[k++] = nchunks;
	args[k++] = "--far-chunks";
	args[k++] = nfar;
	args[k++] = "--label";
	args[k++] = "bench-e2e";
	args[k++] = "--socket";
	args[k++] = a.socket;
	args[k++] = "--log";
	args[k++] = log;
	for (p = 0; p < o.phases; p++) {
		snprintf(cmds[p], sizeof(cmds[p]), "converge:%u:%u:%u", o.timeout,
			 e2e_hot_first(&o, p), o.hot);
		args[k++] = cmds[p];
	}
	args[k++] = "verify";
	args[k++] = "summary";
	args[k] = NULL;
	status = e2e_run_app(args, out, sizeof(out));
	migrations = tb_agent_metric(&a, "cxltier_migrations_total");

	/* The slowest phase. */
	f = fopen(log, "re");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned int first, hot;
		int iv;

		if (sscanf(line, "converged %u %u in %d intervals", &first, &hot,
			   &iv) == 3 && iv > worst)
			worst = iv;
	}
	if (f)
		fclose(f);
	sum = json_tokener_parse(out);
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !sum) {
		fprintf(stderr, "cxltier-bench: the application failed (see %s)\n",
			log);
		bench_agent_stop(&a, 1);
		json_object_put(sum);
		return BENCH_EXIT_FAIL;
	}
	bench_agent_stop(&a, 0);

	j = json_object_new_object();
	json_object_object_add(j, "migrations",
			       json_object_new_int64((int64_t)migrations));
	if (json_object_object_get_ex(sum, "bytes_verified", &v))
		json_object_object_add(j, "bytes_verified", json_object_get(v));
	if (json_object_object_get_ex(sum, "corrupt_bytes", &v))
		json_object_object_add(j, "corrupt_bytes", json_object_get(v));
	if (json_object_object_get_ex(sum, "hot_in_dram_ratio", &v))
		json_object_object_add(j, "hot_in_dram_ratio", json_object_get(v));
	json_object_object_add(j, "intervals_to_converge",
			       json_object_new_int(worst));
	json_object_object_add(j, "phases", json_object_new_int((int)o.phases));
	json_object_object_add(j, "chunks", json_object_new_int((int)o.chunks));
	json_object_object_add(j, "hot_chunks", json_object_new_int((int)o.hot));
	if (json_object_object_get_ex(sum, "handshakes", &v))
		json_object_object_add(j, "handshakes", json_object_get(v));
	if (o.json)
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
	else
		printf("%d migrations, %s bytes verified, %s corrupt, hot set in DRAM %s, converged within %d intervals\n",
		       (int)migrations,
		       json_object_get_string(json_object_object_get(j, "bytes_verified")),
		       json_object_get_string(json_object_object_get(j, "corrupt_bytes")),
		       json_object_get_string(json_object_object_get(j, "hot_in_dram_ratio")),
		       worst);
	json_object_put(j);
	json_object_put(sum);
	return BENCH_EXIT_OK;
}
