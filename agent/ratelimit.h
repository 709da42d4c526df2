/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ratelimit: at most @burst messages per @interval_ms for one kind of
 * event that a peer can cause at will (refused connections, bad frames),
 * so that a hostile local user cannot fill the journal.  What is held
 * back is counted, and the next message let through says how many were.
 */
#ifndef CXLTIERD_RATELIMIT_H
#define CXLTIERD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* Defaults of the server's limiters: 5 lines per 30 s. */
#define RATELIMIT_INTERVAL_MS	30000U
#define RATELIMIT_BURST		5U

/**
 * struct ratelimit - one limiter
 * @interval_ms: length of a window
 * @burst: messages let through per window
 * @begin_ms: start of the current window
 * @printed: messages let through in it
 * @suppressed: messages held back since the last one let through
 */
struct ratelimit {
	uint32_t interval_ms;
	uint32_t burst;
	uint64_t begin_ms;
	uint32_t printed;
	uint64_t suppressed;
};

void ratelimit_init(struct ratelimit *rl, uint32_t interval_ms, uint32_t burst);

/*
 * May a message go out at @now_ms?  When it may, *@missed gets the
 * number held back before it (and the count starts again from 0).
 */
bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ms, uint64_t *missed);

/*
 * log_msg() through @rl: the message, with "(N similar messages
 * suppressed)" when some were, or nothing.
 */
__attribute__((format(printf, 3, 4)))
void ratelimit_log(struct ratelimit *rl, int prio, const char *fmt, ...);

#endif /* CXLTIERD_RATELIMIT_H */
