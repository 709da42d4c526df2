/* SPDX-License-Identifier: GPL-2.0 */
/*
 * numalog: where libnuma's warnings go.
 *
 * libnuma reports through numa_warn() and numa_error(), weak symbols that
 * print to stderr (and may exit) unless the program defines its own.
 * cxltierd's objects define them here, so that a message either reaches
 * the daemon's logger or, while a thread is capturing, is kept for the
 * caller to quote (the config loader turns "node argument 7 is out of
 * range" into an error that names the file and line).  Nothing here ever
 * exits.
 */
#ifndef CXLTIER_NUMALOG_H
#define CXLTIER_NUMALOG_H

/* A logger for libnuma's messages; @is_error: numa_error() rather than warn. */
typedef void (*numalog_fn)(int is_error, const char *msg, void *arg);

/*
 * Send libnuma's messages to @fn (NULL: to stderr, prefixed "libnuma: ").
 * Process-wide; set it before starting threads.
 */
void numalog_set_handler(numalog_fn fn, void *arg);

/* Keep this thread's libnuma messages instead of passing them on. */
void numalog_capture_begin(void);

/*
 * Stop capturing.  Return: the last message captured on this thread,
 * without a trailing newline, or "" if there was none (valid until the
 * next capture on this thread).
 */
const char *numalog_capture_end(void);

#endif /* CXLTIER_NUMALOG_H */
