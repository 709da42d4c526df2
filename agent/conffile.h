/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conffile: a strict INI file and its drop-ins, read with libinih, for
 * a schema on top (config.c, cxltierd.conf's keys) in the manner of
 * ndctl's util/parse-configs.c.
 *
 * It does what any daemon's config needs before a key means anything:
 *
 *  - reads a file whole (a regular file, at most CONFIG_MAX_FILE_SIZE
 *    bytes, no NUL byte) or every DIR/<name>.conf in byte order of the
 *    names (at most CONFIG_MAX_DROPINS);
 *  - checks every line before libinih sees it: a line longer than
 *    libinih's buffer would otherwise be split and its tail parsed as a
 *    line of its own, an indented line would be taken as the
 *    continuation of the previous value, and an over-long section or key
 *    name would be truncated.  Each is an error here, with its line;
 *  - hands each section header to the schema as soon as it is seen (a
 *    section without keys never reaches libinih's handler) and each key
 *    to the schema's handler;
 *  - keeps the first error, as "FILE:LINE: message".
 */
#ifndef CXLTIERD_CONFFILE_H
#define CXLTIERD_CONFFILE_H

#include <stdbool.h>
#include <stddef.h>

/**
 * struct conffile - state of one load
 * @section: the schema's check of a section header's name (@len bytes,
 *	not NUL-terminated): 0, or -errno with the error recorded
 * @key: the schema's handler of one key, libinih's way: 1 to go on, 0
 *	to stop with the error recorded
 * @priv: passed to @section and @key
 * @files: names of the files read so far, for messages (owned)
 * @nr_files: entries in @files
 * @file: index of the current file in @files
 * @line: number of the line being read (1 = first; 0 = none yet)
 * @parsed: texts handed to libinih so far
 * @pos: next unread byte of the current file's text
 * @end: end of the current file's text
 * @err: first error, -errno (0: none)
 * @errbuf: where the first error's message goes
 * @errlen: size of @errbuf
 */
struct conffile {
	int (*section)(void *priv, const char *name, size_t len);
	int (*key)(void *priv, const char *section, const char *name, const char *value);
	void *priv;
	char **files;
	unsigned int nr_files;
	unsigned int file;
	unsigned int line;
	unsigned int parsed;
	const char *pos;
	const char *end;
	int err;
	char *errbuf;
	size_t errlen;
};

/* Start a load whose first error goes into @err (@errlen bytes, may be 0). */
void conffile_init(struct conffile *cf, char *err, size_t errlen);
void conffile_fini(struct conffile *cf);

/*
 * Record the first error, as "FILE:LINE: message" (the current file; no
 * line when @line is 0).  Returns the first error's -errno.
 */
int conffile_error(struct conffile *cf, int err, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Name @name for messages: it becomes file *@idx.  0 or -ENOMEM. */
int conffile_add_file(struct conffile *cf, const char *name, unsigned int *idx);
/* Parse @len bytes of @text as file @idx.  0 or the first error. */
int conffile_parse_text(struct conffile *cf, unsigned int idx, const char *text, size_t len);
/*
 * Read and parse the file at @path.  -ENOENT without a message when it
 * does not exist and @optional; else 0 or the first error.
 */
int conffile_load_file(struct conffile *cf, const char *path, bool optional);
/* Every @dir/<name>.conf, in byte order of the names; none if no @dir. */
int conffile_load_dropins(struct conffile *cf, const char *dir);

#endif /* CXLTIERD_CONFFILE_H */
