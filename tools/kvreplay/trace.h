/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace: a KV-cache request trace in the Mooncake format, one JSON object
 * per line:
 *
 *	{"timestamp": 27482, "input_length": 6955, "output_length": 52,
 *	 "hash_ids": [46, 47, 48, ...]}
 *
 * timestamp: request arrival, ms from the start (integer, never going
 * back); hash_ids: the request's KV-cache blocks, in the order it reads
 * them (integers; the same id in two requests is the same block);
 * input_length, output_length: tokens (optional).  Other keys are
 * ignored.
 *
 * Block ids are renumbered densely in order of first appearance, so that
 * the blocks seen up to any point of the trace are 0..n-1.
 */
#ifndef KVREPLAY_TRACE_H
#define KVREPLAY_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/**
 * struct kvr_request - one request
 * @t_ms: arrival, ms from the start of the trace
 * @first: index in kvr_trace.blocks of its first block
 * @nr: number of blocks it reads
 * @line: line of the trace file it came from
 */
struct kvr_request {
	uint64_t t_ms;
	size_t first;
	uint32_t nr;
	uint32_t line;
};

/**
 * struct kvr_trace - a parsed trace
 * @req: requests in trace order
 * @nr_req: entries in @req
 * @blocks: dense block ids of every access, request after request
 * @nr_access: entries in @blocks
 * @nr_blocks: distinct blocks (dense ids are 0..@nr_blocks - 1)
 * @hash: the trace's id of each dense block
 * @nr_lines: lines read
 * @nr_bad: malformed lines skipped
 * @input_tokens: sum of input_length
 * @output_tokens: sum of output_length
 */
struct kvr_trace {
	struct kvr_request *req;
	size_t nr_req;
	uint32_t *blocks;
	size_t nr_access;
	uint32_t nr_blocks;
	uint64_t *hash;
	size_t nr_lines;
	size_t nr_bad;
	uint64_t input_tokens;
	uint64_t output_tokens;
};

/**
 * struct kvr_trace_opts - how to read a trace, and its limits
 * @skip_bad: report a malformed line and go on (else stop at it)
 * @max_line: longest line, bytes
 * @max_req_blocks: most blocks in one request
 * @max_accesses: most block accesses in the whole trace
 * @max_blocks: most distinct blocks
 * @max_requests: most requests
 * @err: where malformed lines are reported ("FILE:LINE: why"); NULL:
 *	not reported (they still count in nr_bad, or stop the load)
 */
struct kvr_trace_opts {
	int skip_bad;
	size_t max_line;
	uint32_t max_req_blocks;
	size_t max_accesses;
	uint32_t max_blocks;
	size_t max_requests;
	FILE *err;
};

/* Largest timestamp accepted: about 285 years of milliseconds. */
#define KVR_MAX_TIMESTAMP	(1ULL << 53)
/* Largest block id accepted. */
#define KVR_MAX_HASH		((uint64_t)INT64_MAX - 1)

/* Default limits, generous for real traces, bounded for hostile ones. */
void kvr_trace_opts_init(struct kvr_trace_opts *o);

/*
 * Parse @f (named @name in messages) into @t.  0; -EINVAL at the first
 * malformed line unless skip_bad; -E2BIG when a limit is passed (always
 * fatal); -ENOMEM; -EIO on a read error.  The message for a fatal error
 * goes to opts->err too.  Free @t with kvr_trace_free() in every case.
 */
int kvr_trace_read(FILE *f, const char *name, const struct kvr_trace_opts *opts,
		   struct kvr_trace *t);

/*
 * kvr_trace_read() on the file at @path ("-" is standard input); a file
 * that cannot be opened is -errno, not reported.
 */
int kvr_trace_load(const char *path, const struct kvr_trace_opts *opts,
		   struct kvr_trace *t);

void kvr_trace_free(struct kvr_trace *t);

#endif /* KVREPLAY_TRACE_H */
