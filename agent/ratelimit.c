// SPDX-License-Identifier: GPL-2.0
/*
 * ratelimit: fixed windows of interval_ms, burst messages each.  See
 * ratelimit.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "clock.h"
#include "log.h"
#include "ratelimit.h"

void ratelimit_init(struct ratelimit *rl, uint32_t interval_ms, uint32_t burst)
{
	rl->interval_ms = interval_ms;
	rl->burst = burst;
	rl->begin_ms = 0;
	rl->printed = 0;
	rl->suppressed = 0;
}

bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ms, uint64_t *missed)
{
	/* A clock going back (it should not) also opens a new window. */
	if (!rl->begin_ms || now_ms < rl->begin_ms ||
	    now_ms - rl->begin_ms >= rl->interval_ms) {
		rl->begin_ms = now_ms ? now_ms : 1;
		rl->printed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->suppressed++;
		return false;
	}
	rl->printed++;
	*missed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

void ratelimit_log(struct ratelimit *rl, int prio, const char *fmt, ...)
{
	char msg[512];
	uint64_t missed = 0;
	va_list ap;

	if (!ratelimit_allow(rl, clock_now_ms(), &missed))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (missed)
		log_msg(prio, "%s (%llu similar messages suppressed)", msg,
			(unsigned long long)missed);
	else
		log_msg(prio, "%s", msg);
}
