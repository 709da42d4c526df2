/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report: kvreplay's output, for people (a table per DRAM size) or as
 * JSON (an array with one object per policy and DRAM size).  Ratios to
 * belady and lru are taken against those placements run on the same
 * trace and DRAM size.
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
 * One DRAM size: @res[0..@n) with the belady and lru results of the same
 * run as references.
 */
void kvr_report_table(FILE *f, const struct kvr_params *p,
		      const struct kvr_result *res, size_t n,
		      const struct kvr_result *belady, const struct kvr_result *lru);

/* Append one object per result to the JSON array @arr. */
void kvr_report_json(struct json_object *arr, const struct kvr_params *p,
		     const struct kvr_result *res, size_t n,
		     const struct kvr_result *belady, const struct kvr_result *lru);

#endif /* KVREPLAY_REPORT_H */
