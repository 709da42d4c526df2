// SPDX-License-Identifier: GPL-2.0
/*
 * conffile: a strict INI file and its drop-ins under a schema.  See
 * conffile.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "conffile.h"

void conffile_init(struct conffile *cf, char *err, size_t errlen)
{
	memset(cf, 0, sizeof(*cf));
	cf->errbuf = err;
	cf->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
}

void conffile_fini(struct conffile *cf)
{
	unsigned int i;

	for (i = 0; i < cf->nr_files; i++)
		free(cf->files[i]);
	free(cf->files);
	cf->files = NULL;
	cf->nr_files = 0;
}

int conffile_error(struct conffile *cf, int err, unsigned int line, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;

	if (cf->err)
		return cf->err;
	cf->err = err;
	if (!cf->errbuf || !cf->errlen)
		return err;
	if (cf->nr_files)
		n = (size_t)snprintf(cf->errbuf, cf->errlen, "%s:", cf->files[cf->file]);
	if (line && n < cf->errlen)
		n += (size_t)snprintf(cf->errbuf + n, cf->errlen - n, "%u:", line);
	if (n && n < cf->errlen)
		n += (size_t)snprintf(cf->errbuf + n, cf->errlen - n, " ");
	if (n < cf->errlen) {
		va_start(ap, fmt);
		vsnprintf(cf->errbuf + n, cf->errlen - n, fmt, ap);
		va_end(ap);
	}
	return err;
}

/*
 * Check one raw line (without its newline) for what libinih would
 * misread.  0 or -EINVAL with the error recorded.
 */
static int check_line(struct conffile *cf, const char *s, size_t len)
{
	size_t i = 0, start, end;

	/* A UTF-8 byte order mark, which libinih skips on the first line. */
	if (cf->line == 1 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3;
	start = i;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t' && !(c == '\r' && i == len - 1)) || c == 0x7f)
			return conffile_error(cf, -EINVAL, cf->line,
					 "control character 0x%02x", c);
	}
	while (len > start && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	i = start;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len || s[i] == '#' || s[i] == ';')
		return 0;
	if (i > start)
		return conffile_error(cf, -EINVAL, cf->line,
				 "indented line: continuation lines are not supported, remove the leading whitespace");
	if (s[i] == '[') {
		const char *close = memchr(s + i, ']', len - i);

		if (!close)
			return conffile_error(cf, -EINVAL, cf->line, "section header without ']'");
		end = (size_t)(close - s) + 1;
		while (end < len && (s[end] == ' ' || s[end] == '\t'))
			end++;
		if (end < len && s[end] != ';' && s[end] != '#')
			return conffile_error(cf, -EINVAL, cf->line, "text after the section header");
		/* libinih keeps 49 characters of a section name. */
		if (close - (s + i) - 1 > 48)
			return conffile_error(cf, -EINVAL, cf->line, "section name too long");
		/* Check it now: a section without keys never reaches the handler. */
		return cf->section(cf->priv, s + i + 1, (size_t)(close - s - i - 1));
	}
	for (end = i; end < len && s[end] != '=' && s[end] != ':'; end++)
		;
	if (end == len)
		return conffile_error(cf, -EINVAL, cf->line, "expected 'key = value'");
	while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	if (end == i)
		return conffile_error(cf, -EINVAL, cf->line, "a key name is missing before '='");
	/* libinih keeps 49 characters of a key name. */
	if (end - i > 48)
		return conffile_error(cf, -EINVAL, cf->line, "key name too long");
	return 0;
}

/* libinih's line reader over the text in @stream (the conffile). */
static char *cf_reader(char *str, int num, void *stream)
{
	struct conffile *cf = stream;
	const char *nl;
	size_t len, linelen;

	if (cf->err || cf->pos >= cf->end)
		return NULL;
	nl = memchr(cf->pos, '\n', (size_t)(cf->end - cf->pos));
	linelen = nl ? (size_t)(nl - cf->pos) : (size_t)(cf->end - cf->pos);
	len = nl ? linelen + 1 : linelen;
	cf->line++;
	/* libinih reads at most num - 1 characters, newline included. */
	if (num < 2 || len > (size_t)num - 1) {
		conffile_error(cf, -EINVAL, cf->line, "line longer than %d characters",
			  num > 2 ? num - 2 : 0);
		return NULL;
	}
	if (check_line(cf, cf->pos, linelen))
		return NULL;
	memcpy(str, cf->pos, len);
	str[len] = '\0';
	cf->pos += len;
	return str;
}

/* libinih's handler: the schema's, unless an error stopped the load. */
static int cf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conffile *cf = user;

	if (cf->err)
		return 0;
	return cf->key(cf->priv, section, name, value);
}

int conffile_parse_text(struct conffile *cf, unsigned int idx, const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);
	int rc;

	cf->file = idx;
	cf->line = 0;
	if (nul) {
		const char *p;
		unsigned int line = 1;

		for (p = text; p < nul; p++)
			line += *p == '\n';
		return conffile_error(cf, -EINVAL, line, "NUL byte");
	}
	cf->pos = text;
	cf->end = text + len;
	cf->parsed++;
	rc = ini_parse_stream(cf_reader, cf, cf_handler, cf);
	if (cf->err)
		return cf->err;
	if (rc == -2)
		return conffile_error(cf, -ENOMEM, 0, "out of memory");
	if (rc)
		return conffile_error(cf, -EINVAL, rc > 0 ? (unsigned int)rc : 0, "syntax error");
	return 0;
}

int conffile_add_file(struct conffile *cf, const char *name, unsigned int *idx)
{
	char **files = realloc(cf->files, (cf->nr_files + 1) * sizeof(*files));

	if (!files)
		return conffile_error(cf, -ENOMEM, 0, "out of memory");
	cf->files = files;
	files[cf->nr_files] = strdup(name);
	if (!files[cf->nr_files])
		return conffile_error(cf, -ENOMEM, 0, "out of memory");
	*idx = cf->nr_files++;
	return 0;
}

int conffile_load_file(struct conffile *cf, const char *path, bool optional)
{
	unsigned int idx;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT && optional)
		return -ENOENT;
	rc = conffile_add_file(cf, path, &idx);
	if (rc)
		goto out_close;
	cf->file = idx;
	if (fd < 0) {
		rc = -errno;
		return conffile_error(cf, rc, 0, "%s", strerror(-rc));
	}
	if (fstat(fd, &st)) {
		rc = conffile_error(cf, -errno, 0, "%s", strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = conffile_error(cf, -EINVAL, 0, "not a regular file");
		goto out_close;
	}
	buf = malloc(CONFIG_MAX_FILE_SIZE + 1);
	if (!buf) {
		rc = conffile_error(cf, -ENOMEM, 0, "out of memory");
		goto out_close;
	}
	/* Read one byte more than allowed, to tell a too large file. */
	while (len <= CONFIG_MAX_FILE_SIZE) {
		n = read(fd, buf + len, CONFIG_MAX_FILE_SIZE + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = conffile_error(cf, -errno, 0, "%s", strerror(errno));
			goto out_free;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	if (len > CONFIG_MAX_FILE_SIZE) {
		rc = conffile_error(cf, -EFBIG, 0, "larger than %d bytes", CONFIG_MAX_FILE_SIZE);
		goto out_free;
	}
	rc = conffile_parse_text(cf, idx, buf, len);
out_free:
	free(buf);
out_close:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int conffile_load_dropins(struct conffile *cf, const char *dir)
{
	char **names = NULL, path[PATH_MAX];
	size_t nr = 0, i;
	struct dirent *de;
	unsigned int idx;
	DIR *d;
	int rc = 0;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		if (!conffile_add_file(cf, dir, &idx))
			cf->file = idx;
		return conffile_error(cf, rc, 0, "%s", strerror(-rc));
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char **grown;

		if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".conf"))
			continue;
		if (nr >= CONFIG_MAX_DROPINS) {
			if (!conffile_add_file(cf, dir, &idx))
				cf->file = idx;
			rc = conffile_error(cf, -E2BIG, 0, "more than %d drop-in files",
				       CONFIG_MAX_DROPINS);
			goto out;
		}
		grown = realloc(names, (nr + 1) * sizeof(*names));
		if (!grown) {
			rc = conffile_error(cf, -ENOMEM, 0, "out of memory");
			goto out;
		}
		names = grown;
		names[nr] = strdup(de->d_name);
		if (!names[nr]) {
			rc = conffile_error(cf, -ENOMEM, 0, "out of memory");
			goto out;
		}
		nr++;
	}
	qsort(names, nr, sizeof(*names), cmp_names);
	for (i = 0; i < nr && !rc; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
			rc = conffile_error(cf, -ENAMETOOLONG, 0, "%s/%s: path too long", dir,
				       names[i]);
			break;
		}
		rc = conffile_load_file(cf, path, false);
	}
out:
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}
