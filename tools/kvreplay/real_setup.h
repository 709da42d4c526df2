/* SPDX-License-Identifier: GPL-2.0 */
/*
 * real_setup: what both modes of kvreplay --real share (real_pool.c, the
 * block pool; real.c, the pinned buffer): the test bed's nodes, the
 * daemon's directory, settings, start, stop and metrics, the progress
 * lines.  Private to kvreplay.
 */
#ifndef KVREPLAY_REAL_SETUP_H
#define KVREPLAY_REAL_SETUP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <linux/cxltier.h>

#include "kdev.h"
#include "real.h"
#include "testbed.h"

/* A progress line on o->story, when there is one. */
void kvr_real_story(const struct kvr_real_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* libcxltier's log callback: warnings and errors, unless quiet. */
void kvr_real_lib_log(void *priv, int priority, const char *msg);
/* Once the replay is over, the library's complaints are the teardown's. */
void kvr_real_lib_quiet(bool quiet);

/* Node @n is in the DRAM tier, or a far node that can hold pinned pages. */
bool kvr_real_node_is_dram(const struct config *cfg, const struct cxltier_node_info *n);
bool kvr_real_node_is_far(const struct config *cfg, const struct cxltier_node_info *n);

/*
 * The daemon's directory and settings: @a set up in o->workdir (or a
 * temporary one), its main config (o->config_path or defaults) and the
 * run's drop-in, read back as the daemon will.  0 or -errno, @err set.
 */
int kvr_real_agent_setup(const struct kvr_real_opts *o, struct tb_agent *a,
			 struct kvr_real_info *info, char *err, size_t errlen);
/* Start o->agent in @a; 0 or -errno, @err set. */
int kvr_real_agent_start(const struct kvr_real_opts *o, struct tb_agent *a,
			 const struct kvr_real_info *info, char *err, size_t errlen);
/*
 * Stop the daemon when it runs and read its migration counters into
 * @info.  Returns @rc, or when @rc is 0 and the daemon did not stop
 * cleanly, -errno with @err set.
 */
int kvr_real_agent_stop(const struct kvr_real_opts *o, struct tb_agent *a,
			struct kvr_real_info *info, int rc, char *err, size_t errlen);

/*
 * Wait for the end of a heat epoch of the module (at most a few epochs
 * of @epoch_ms), so that a replay starting now is in phase with them.
 */
void kvr_real_wait_epoch(const struct kdev *kd, uint32_t epoch_ms);

/**
 * struct kvr_real_clock - the replay's clock
 * @start: CLOCK_MONOTONIC at the start
 * @t0: clock_now_s() at the start
 */
struct kvr_real_clock {
	struct timespec start;
	double t0;
};

void kvr_real_clock_start(struct kvr_real_clock *c);
/*
 * Sleep until trace time @t_ms played @speed times faster; raise
 * *@max_late_ms to how late that was.
 */
void kvr_real_clock_wait(const struct kvr_real_clock *c, uint64_t t_ms, uint32_t speed,
			 double *max_late_ms);

/* DRAM in use by others now: the DRAM tier's use less @mine bytes. */
uint64_t kvr_real_dram_other(const struct config *cfg, uint64_t mine);

#endif /* KVREPLAY_REAL_SETUP_H */
