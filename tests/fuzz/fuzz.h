/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz: what the in-tree random drivers share.  Each driver is a TAP
 * program built with AddressSanitizer and UndefinedBehaviorSanitizer
 * (LeakSanitizer checks at exit): with no arguments it makes a bounded,
 * deterministic run (make unit); "--seed N" picks another sequence,
 * "--iterations N" or "--seconds S" a longer run (make stress).  A
 * failure prints the seed and iteration that reproduce it.
 */
#ifndef CXLTIER_FUZZ_H
#define CXLTIER_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/**
 * struct fuzz_run - one run's settings and progress
 * @seed: the sequence
 * @iterations: iterations to run, 0 when bounded by @seconds
 * @seconds: wall time to run, 0 when bounded by @iterations
 * @rng: the generator's state
 * @done: iterations run
 * @t0: start (CLOCK_MONOTONIC, s)
 */
struct fuzz_run {
	uint64_t seed;
	uint64_t iterations;
	double seconds;
	uint64_t rng;
	uint64_t done;
	double t0;
};

static inline double fuzz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64: small, fast, and the same sequence everywhere. */
static inline uint64_t fuzz_u64(struct fuzz_run *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, @n); 0 when @n is 0. */
static inline uint32_t fuzz_below(struct fuzz_run *r, uint32_t n)
{
	return n ? (uint32_t)(fuzz_u64(r) % n) : 0;
}

/* True with probability 1/@n. */
static inline int fuzz_one_in(struct fuzz_run *r, uint32_t n)
{
	return fuzz_below(r, n) == 0;
}

/* Read the options; @iterations is the default bounded run.  0 or -1. */
static inline int fuzz_args(struct fuzz_run *r, int argc, char **argv,
			    uint64_t iterations)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->seed = 1;
	r->iterations = iterations;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			r->seed = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
			r->iterations = strtoull(argv[++i], NULL, 0);
			r->seconds = 0;
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			r->seconds = strtod(argv[++i], NULL);
			r->iterations = 0;
		} else {
			fprintf(stderr, "usage: %s [--seed N] [--iterations N | --seconds S]\n",
				argv[0]);
			return -1;
		}
	}
	r->rng = r->seed;
	r->t0 = fuzz_now();
	return 0;
}

/* Go on?  Counts the iteration about to run. */
static inline int fuzz_more(struct fuzz_run *r)
{
	if (r->iterations ? r->done >= r->iterations :
			    fuzz_now() - r->t0 >= r->seconds)
		return 0;
	r->done++;
	return 1;
}

/* The TAP line and summary of a run that passed. */
static inline void fuzz_pass(const struct fuzz_run *r, const char *name,
			     const char *extra)
{
	printf("1..1\nok 1 %s: %llu iterations, seed %llu, %.2f s%s%s\n", name,
	       (unsigned long long)r->done, (unsigned long long)r->seed,
	       fuzz_now() - r->t0, extra && *extra ? ", " : "", extra ? extra : "");
}

/* A failed check: say how to reproduce, and stop. */
#define fuzz_fail(r, name, ...)						\
	do {								\
		printf("1..1\nnot ok 1 %s: seed %llu iteration %llu: ", name,	\
		       (unsigned long long)(r)->seed,			\
		       (unsigned long long)(r)->done);			\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		fflush(stdout);						\
		abort();						\
	} while (0)

#endif /* CXLTIER_FUZZ_H */
