/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clock: the monotonic clock, for every timeout, interval and
 * measurement in user space (the daemon, the library, the tools and the
 * tests).  Wall-clock time is only ever printed, never compared.
 */
#ifndef CXLTIER_CLOCK_H
#define CXLTIER_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_now_us(void)
{
	return clock_now_ns() / 1000;
}

static inline uint64_t clock_now_ms(void)
{
	return clock_now_ns() / 1000000;
}

/* Seconds, as a double, for reports and deadlines in seconds. */
static inline double clock_now_s(void)
{
	return (double)clock_now_ns() / 1e9;
}

/*
 * @ms from now on CLOCK_MONOTONIC, as an absolute time for
 * pthread_cond_timedwait() on a condition set to that clock, or for
 * clock_nanosleep(TIMER_ABSTIME).
 */
static inline struct timespec clock_deadline(uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

#endif /* CXLTIER_CLOCK_H */
