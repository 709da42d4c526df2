/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report: kvreplay's output, for people (a table per DRAM size) or as
 * JSON (an array with one object per policy and DRAM size).
 *
 * The yardstick is OPT: every access but the creating write of a block
 * hits (1 - distinct blocks / accesses), what a tier manager that may
 * promote any block before it is read can reach; ratio_to_opt is a
 * policy's DRAM hits over OPT's.  The reactive ceiling (demand-fetch
 * Belady: a block enters DRAM only on its own access) and lru are
 * placements run on the same trace and DRAM size, passed in as
 * references; ratios to them are reported too.
 */
#ifndef KVREPLAY_REPORT_H
#define KVREPLAY_REPORT_H

#include <json-c/json.h>
#include <stdio.h>

#include "model.h"

/* The trace and the settings, once, before the tables. */
void kvr_report_header(FILE *f, const char *name, const struct kvr_trace *t,
		       const struct kvr_params *p);

/*
 * One DRAM size: OPT and the reactive ceiling (@belady) first, then
 * @res[0..@n), with ratios to OPT and to @lru of the same run.
 */
void kvr_report_table(FILE *f, const struct kvr_params *p,
		      const struct kvr_result *res, size_t n,
		      const struct kvr_result *belady, const struct kvr_result *lru);

/* Append one object per result to the JSON array @arr. */
void kvr_report_json(struct json_object *arr, const struct kvr_params *p,
		     const struct kvr_result *res, size_t n,
		     const struct kvr_result *belady, const struct kvr_result *lru);

#endif /* KVREPLAY_REPORT_H */
