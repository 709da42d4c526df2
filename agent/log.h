/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log: cxltierd's messages.  To the journal when standard error is the
 * journal's stream (with "<N>" priority prefixes, as sd-daemon(3)
 * describes), to syslog when running in the background, else to
 * standard error with the level spelled out.  Priorities as syslog(3).
 */
#ifndef CXLTIERD_LOG_H
#define CXLTIERD_LOG_H

#include <stdbool.h>
#include <syslog.h>

/*
 * Where messages go: @use_syslog for a daemon in the background; @debug
 * lets LOG_DEBUG through.
 */
void log_setup(bool use_syslog, bool debug);

__attribute__((format(printf, 2, 3)))
void log_msg(int prio, const char *fmt, ...);

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* CXLTIERD_LOG_H */
