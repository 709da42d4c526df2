// SPDX-License-Identifier: GPL-2.0
/*
 * numalog: libnuma's numa_warn()/numa_error() routed to a handler or to a
 * per-thread capture buffer.  See numalog.h.
 */
#include <errno.h>
#include <numa.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "numalog.h"

/* The daemon's handler for libnuma's messages, or NULL for stderr. */
static numalog_fn numalog_handler;
/* Argument passed to numalog_handler. */
static void *numalog_handler_arg;

/* Whether this thread is capturing. */
static __thread int numalog_capturing;
/* The last message captured on this thread. */
static __thread char numalog_last[256];

void numalog_set_handler(numalog_fn fn, void *arg)
{
	numalog_handler = fn;
	numalog_handler_arg = arg;
}

void numalog_capture_begin(void)
{
	numalog_capturing = 1;
	numalog_last[0] = '\0';
}

const char *numalog_capture_end(void)
{
	numalog_capturing = 0;
	return numalog_last;
}

static void numalog_emit(int is_error, const char *msg)
{
	if (numalog_capturing) {
		snprintf(numalog_last, sizeof(numalog_last), "%s", msg);
		numalog_last[strcspn(numalog_last, "\n")] = '\0';
		return;
	}
	if (numalog_handler)
		numalog_handler(is_error, msg, numalog_handler_arg);
	else
		fprintf(stderr, "libnuma: %s%s", msg,
			msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

/* Overrides libnuma's weak default, which prints to stderr. */
void numa_warn(int num, char *fmt, ...) __attribute__((format(printf, 2, 3)));
void numa_warn(int num, char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	numalog_emit(0, msg);
	errno = saved;
}

/* Overrides libnuma's weak default, which may exit the program. */
void numa_error(char *where)
{
	char msg[256];
	int saved = errno;

	snprintf(msg, sizeof(msg), "%s: %s", where, strerror(saved));
	numalog_emit(1, msg);
	errno = saved;
}
