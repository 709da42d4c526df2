// SPDX-License-Identifier: GPL-2.0
/*
 * log: see log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "log.h"

/* Send messages to syslog (set when running in the background). */
static bool log_syslog;
/* Let LOG_DEBUG through. */
static bool log_debug_on;
/* Standard error is the journal: prefix "<N>" instead of a level name. */
static bool log_journal;

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected
 * to standard error; it is the journal only if they still match.
 */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(2, &st))
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(bool use_syslog, bool debug)
{
	log_syslog = use_syslog;
	log_debug_on = debug;
	log_journal = !use_syslog && stderr_is_journal();
	if (use_syslog)
		openlog("cxltierd", LOG_PID, LOG_DAEMON);
}

static const char *level_name(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	}
	return "debug";
}

void log_msg(int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (prio == LOG_DEBUG && !log_debug_on)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_syslog)
		syslog(prio, "%s", msg);
	else if (log_journal)
		fprintf(stderr, "<%d>%s\n", prio, msg);
	else
		fprintf(stderr, "cxltierd: %s: %s\n", level_name(prio), msg);
}
