// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-pinned-app: an application of the CUDA runtime's pinned-memory
 * API, built against its real names (cuda_standin.h, linked with
 * -lcudart) and nothing of cxltier, to run with and without
 * libcxltier-preload.so.
 *
 *   cxltier-pinned-app [--hold-until FILE] OP...
 *
 * OPs, done in order: alloc:SIZE[:FLAGS] (cudaHostAlloc), mallochost:SIZE
 * (cudaMallocHost), register:SIZE (cudaHostRegister of memory the
 * application maps itself).  SIZE takes K, M or G.  For each it prints
 * "OP N rc=R node=NODE policy=MODE" (the node and mempolicy mode of the
 * first page), fills the memory with a pattern; then the VmLck of the
 * process ("locked_kB=N"); with --hold-until, "ready" and a wait until
 * FILE exists (at most 120 s); then checks every byte, frees each
 * ("free N rc=R") and prints "done ok" or "done FAILED".
 */
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cuda_standin.h"

#define MAX_OPS 32

struct op {
	char kind[16];
	size_t size;
	unsigned int flags;
	void *p;
};

static size_t parse_size(const char *s)
{
	char *end;
	size_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K': v <<= 10; break;
	case 'M': v <<= 20; break;
	case 'G': v <<= 30; break;
	}
	return v;
}

static const char *mode_name(int mode)
{
	switch (mode) {
	case MPOL_DEFAULT: return "default";
	case MPOL_PREFERRED: return "preferred";
	case MPOL_BIND: return "bind";
	case MPOL_INTERLEAVE: return "interleave";
	}
	return "other";
}

static long locked_kB(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The pattern of word @w of allocation @i: no two words alike. */
static uint64_t pattern(size_t i, size_t w)
{
	return (i + 1) * 0x9e3779b97f4a7c15ULL ^ (w * 0x100000001b3ULL);
}

static void fill(void *p, size_t size, size_t i)
{
	uint64_t *q = p;
	size_t w;

	for (w = 0; w < size / 8; w++)
		q[w] = pattern(i, w);
	for (w = size & ~(size_t)7; w < size; w++)
		((unsigned char *)p)[w] = (unsigned char)i;
}

/* The first byte that differs from the pattern, or @size. */
static size_t check(const void *p, size_t size, size_t i)
{
	const uint64_t *q = p;
	size_t w;

	for (w = 0; w < size / 8; w++)
		if (q[w] != pattern(i, w))
			return w * 8;
	for (w = size & ~(size_t)7; w < size; w++)
		if (((const unsigned char *)p)[w] != (unsigned char)i)
			return w;
	return size;
}

int main(int argc, char **argv)
{
	struct op ops[MAX_OPS];
	const char *hold = NULL;
	int n = 0, i, a = 1, ok = 1;

	if (a + 1 < argc && !strcmp(argv[a], "--hold-until")) {
		hold = argv[a + 1];
		a += 2;
	}
	for (; a < argc && n < MAX_OPS; a++, n++) {
		char *colon;

		memset(&ops[n], 0, sizeof(ops[n]));
		snprintf(ops[n].kind, sizeof(ops[n].kind), "%.*s",
			 (int)strcspn(argv[a], ":"), argv[a]);
		colon = strchr(argv[a], ':');
		if (!colon || !(ops[n].size = parse_size(colon + 1))) {
			fprintf(stderr, "usage: cxltier-pinned-app [--hold-until FILE] alloc:SIZE[:FLAGS]|mallochost:SIZE|register:SIZE...\n");
			return 2;
		}
		colon = strchr(colon + 1, ':');
		if (colon)
			ops[n].flags = strtoul(colon + 1, NULL, 0);
	}
	for (i = 0; i < n; i++) {
		struct op *o = &ops[i];
		int rc, node = -1, mode = -1;

		if (!strcmp(o->kind, "alloc")) {
			rc = cudaHostAlloc(&o->p, o->size, o->flags);
		} else if (!strcmp(o->kind, "mallochost")) {
			rc = cudaMallocHost(&o->p, o->size);
		} else if (!strcmp(o->kind, "register")) {
			o->p = mmap(NULL, o->size, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (o->p == MAP_FAILED)
				return 1;
			rc = cudaHostRegister(o->p, o->size, o->flags);
		} else {
			fprintf(stderr, "cxltier-pinned-app: unknown op %s\n", o->kind);
			return 2;
		}
		if (rc) {
			printf("%s %d rc=%d (%s)\n", o->kind, i, rc, cudaGetErrorString(rc));
			if (strcmp(o->kind, "register"))
				o->p = NULL;
			ok = 0;
			continue;
		}
		fill(o->p, o->size, i);
		get_mempolicy(&node, NULL, 0, o->p, MPOL_F_NODE | MPOL_F_ADDR);
		get_mempolicy(&mode, NULL, 0, o->p, MPOL_F_ADDR);
		printf("%s %d rc=0 node=%d policy=%s\n", o->kind, i, node, mode_name(mode));
	}
	printf("locked_kB=%ld\n", locked_kB());
	fflush(stdout);
	if (hold) {
		int t;

		printf("ready\n");
		fflush(stdout);
		for (t = 0; t < 1200 && access(hold, F_OK); t++)
			usleep(100000);
	}
	for (i = 0; i < n; i++) {
		struct op *o = &ops[i];
		size_t off;
		int rc;

		if (!o->p)
			continue;
		off = check(o->p, o->size, i);
		if (off != o->size) {
			printf("%s %d corrupt at %zu\n", o->kind, i, off);
			ok = 0;
		}
		if (!strcmp(o->kind, "register")) {
			rc = cudaHostUnregister(o->p);
			munmap(o->p, o->size);
		} else {
			rc = cudaFreeHost(o->p);
		}
		printf("free %d rc=%d\n", i, rc);
		if (rc)
			ok = 0;
	}
	printf("locked_kB=%ld\n", locked_kB());
	printf("done %s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
