// SPDX-License-Identifier: GPL-2.0
/*
 * trace: read a Mooncake-format KV-cache trace with json-c, line by line.
 *
 * Every input is hostile: a line is read with a length limit (the rest of
 * an over-long line is skipped, never parsed as a line of its own), the
 * JSON nesting depth is bounded, numbers are range-checked below the
 * values at which json-c saturates (it turns 99999999999999999999 into
 * UINT64_MAX without a word), and a line is committed only when all of it
 * is valid, so a skipped line leaves no trace behind.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* JSON nesting the format needs (object, array) plus slack. */
#define KVR_JSON_DEPTH	4

void kvr_trace_opts_init(struct kvr_trace_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_line = 16 << 20;
	o->max_req_blocks = 1 << 20;
	o->max_accesses = 256 << 20;
	o->max_blocks = 64 << 20;
	o->max_requests = 64 << 20;
	o->err = stderr;
}

void kvr_trace_free(struct kvr_trace *t)
{
	free(t->req);
	free(t->blocks);
	free(t->hash);
	memset(t, 0, sizeof(*t));
}

/**
 * struct kvr_idmap - trace block id to dense id, open addressing
 * @keys: trace ids (valid where @vals is not UINT32_MAX)
 * @vals: dense ids, UINT32_MAX for an empty slot
 * @mask: slots - 1 (a power of two minus one)
 * @used: slots in use
 */
struct kvr_idmap {
	uint64_t *keys;
	uint32_t *vals;
	size_t mask;
	size_t used;
};

static size_t idmap_hash(uint64_t x)
{
	/* splitmix64's finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)x;
}

static int idmap_init(struct kvr_idmap *m, size_t slots)
{
	size_t i;

	m->keys = malloc(slots * sizeof(*m->keys));
	m->vals = malloc(slots * sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		return -ENOMEM;
	}
	for (i = 0; i < slots; i++)
		m->vals[i] = UINT32_MAX;
	m->mask = slots - 1;
	m->used = 0;
	return 0;
}

static void idmap_free(struct kvr_idmap *m)
{
	free(m->keys);
	free(m->vals);
}

/* The slot of @key: where it is, or the empty slot where it would go. */
static size_t idmap_slot(const struct kvr_idmap *m, uint64_t key)
{
	size_t i = idmap_hash(key) & m->mask;

	while (m->vals[i] != UINT32_MAX && m->keys[i] != key)
		i = (i + 1) & m->mask;
	return i;
}

static int idmap_insert(struct kvr_idmap *m, uint64_t key, uint32_t val)
{
	size_t i;

	/* Keep the load under a half. */
	if ((m->used + 1) * 2 > m->mask + 1) {
		struct kvr_idmap big;
		size_t j;

		if (idmap_init(&big, (m->mask + 1) * 2))
			return -ENOMEM;
		for (j = 0; j <= m->mask; j++) {
			if (m->vals[j] == UINT32_MAX)
				continue;
			i = idmap_slot(&big, m->keys[j]);
			big.keys[i] = m->keys[j];
			big.vals[i] = m->vals[j];
		}
		big.used = m->used;
		idmap_free(m);
		*m = big;
	}
	i = idmap_slot(m, key);
	m->keys[i] = key;
	m->vals[i] = val;
	m->used++;
	return 0;
}

/**
 * struct kvr_parser - state of one kvr_trace_read()
 * @opts: limits and error stream
 * @name: trace name for messages
 * @line: current line number
 * @last_t: timestamp of the last request accepted
 * @ids: trace block ids of the current line
 * @sorted: the same, sorted, to find duplicates
 * @ids_room: entries allocated at @ids
 * @sorted_room: entries allocated at @sorted
 * @map: trace id to dense id
 * @req_room: entries allocated at kvr_trace.req
 * @blocks_room: entries allocated at kvr_trace.blocks
 * @hash_room: entries allocated at kvr_trace.hash
 */
struct kvr_parser {
	const struct kvr_trace_opts *opts;
	const char *name;
	size_t line;
	uint64_t last_t;
	uint64_t *ids;
	uint64_t *sorted;
	size_t ids_room;
	size_t sorted_room;
	struct kvr_idmap map;
	size_t req_room;
	size_t blocks_room;
	size_t hash_room;
};

static int __attribute__((format(printf, 3, 4)))
report(struct kvr_parser *p, int err, const char *fmt, ...)
{
	va_list ap;

	if (!p->opts->err)
		return err;
	fprintf(p->opts->err, "%s:%zu: ", p->name, p->line);
	va_start(ap, fmt);
	vfprintf(p->opts->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->opts->err);
	return err;
}

static int grow(void **ptr, size_t *room, size_t need, size_t size)
{
	size_t n = *room ? *room : 64;
	void *q;

	if (need <= *room)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			return -ENOMEM;
		n *= 2;
	}
	q = realloc(*ptr, n * size);
	if (!q)
		return -ENOMEM;
	*ptr = q;
	*room = n;
	return 0;
}

/*
 * An integer field in [@min, @max].  0, or -EINVAL with the reason
 * reported; -ENOENT (not reported) when missing.
 */
static int get_uint(struct kvr_parser *p, struct json_object *obj, const char *key,
		    uint64_t max, uint64_t *out)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(obj, key, &v))
		return -ENOENT;
	if (!json_object_is_type(v, json_type_int))
		return report(p, -EINVAL, "\"%s\" is not an integer", key);
	x = json_object_get_int64(v);
	/* json-c saturates out-of-range integers at INT64_MIN/MAX. */
	if (x < 0 || (uint64_t)x > max)
		return report(p, -EINVAL, "\"%s\" is out of range [0, %llu]", key,
			      (unsigned long long)max);
	*out = (uint64_t)x;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Parse one non-empty line and append it to @t.  -EINVAL: malformed
 * (reported); -E2BIG: a trace-wide limit (reported); -ENOMEM.
 */
static int parse_line(struct kvr_parser *p, struct json_tokener *tok,
		      const char *s, size_t len, struct kvr_trace *t)
{
	const struct kvr_trace_opts *o = p->opts;
	struct json_object *obj, *arr;
	struct kvr_request *r;
	uint64_t ts, in_len = 0, out_len = 0;
	size_t i, n, nr_new = 0;
	int rc;

	/*
	 * With the terminating NUL, so that json-c knows the line ends (a
	 * bare number would otherwise wait for more digits).
	 */
	json_tokener_reset(tok);
	obj = json_tokener_parse_ex(tok, s, (int)len + 1);
	if (!obj || json_tokener_get_parse_end(tok) < len) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		rc = report(p, -EINVAL, "not JSON: %s at column %zu",
			    e == json_tokener_success ? "text after the object" :
			    json_tokener_error_desc(e),
			    json_tokener_get_parse_end(tok) + 1);
		json_object_put(obj);
		return rc;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		rc = report(p, -EINVAL, "not a JSON object");
		goto out;
	}
	rc = get_uint(p, obj, "timestamp", KVR_MAX_TIMESTAMP, &ts);
	if (rc == -ENOENT)
		rc = report(p, -EINVAL, "no \"timestamp\"");
	if (rc)
		goto out;
	if (t->nr_req && ts < p->last_t) {
		rc = report(p, -EINVAL,
			    "timestamp %llu goes back (the previous request is at %llu)",
			    (unsigned long long)ts, (unsigned long long)p->last_t);
		goto out;
	}
	rc = get_uint(p, obj, "input_length", 1ULL << 40, &in_len);
	if (rc && rc != -ENOENT)
		goto out;
	rc = get_uint(p, obj, "output_length", 1ULL << 40, &out_len);
	if (rc && rc != -ENOENT)
		goto out;
	if (!json_object_object_get_ex(obj, "hash_ids", &arr)) {
		rc = report(p, -EINVAL, "no \"hash_ids\"");
		goto out;
	}
	if (!json_object_is_type(arr, json_type_array)) {
		rc = report(p, -EINVAL, "\"hash_ids\" is not an array");
		goto out;
	}
	n = json_object_array_length(arr);
	if (n > o->max_req_blocks) {
		rc = report(p, -EINVAL, "%zu blocks in one request, more than the limit of %u",
			    n, o->max_req_blocks);
		goto out;
	}
	if (grow((void **)&p->ids, &p->ids_room, n, sizeof(*p->ids)) ||
	    grow((void **)&p->sorted, &p->sorted_room, n, sizeof(*p->sorted))) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		int64_t x;

		if (!json_object_is_type(v, json_type_int)) {
			rc = report(p, -EINVAL, "hash_ids[%zu] is not an integer", i);
			goto out;
		}
		x = json_object_get_int64(v);
		if (x < 0 || (uint64_t)x > KVR_MAX_HASH) {
			rc = report(p, -EINVAL, "hash_ids[%zu] is out of range [0, %llu]", i,
				    (unsigned long long)KVR_MAX_HASH);
			goto out;
		}
		p->ids[i] = (uint64_t)x;
	}
	/* An empty request has no arrays: memcpy() and qsort() want them. */
	if (n) {
		memcpy(p->sorted, p->ids, n * sizeof(*p->ids));
		qsort(p->sorted, n, sizeof(*p->sorted), cmp_u64);
	}
	for (i = 1; i < n; i++) {
		if (p->sorted[i] == p->sorted[i - 1]) {
			rc = report(p, -EINVAL, "hash_ids: block %llu appears twice",
				    (unsigned long long)p->sorted[i]);
			goto out;
		}
	}

	/* Valid: now the trace-wide limits, then commit. */
	for (i = 0; i < n; i++)
		if (p->map.vals[idmap_slot(&p->map, p->ids[i])] == UINT32_MAX)
			nr_new++;
	if (t->nr_req >= o->max_requests) {
		rc = report(p, -E2BIG, "more than %zu requests", o->max_requests);
		goto out;
	}
	if (n > o->max_accesses - t->nr_access) {
		rc = report(p, -E2BIG, "more than %zu block accesses", o->max_accesses);
		goto out;
	}
	if (nr_new > o->max_blocks - t->nr_blocks) {
		rc = report(p, -E2BIG, "more than %u distinct blocks", o->max_blocks);
		goto out;
	}
	if (grow((void **)&t->req, &p->req_room, t->nr_req + 1, sizeof(*t->req)) ||
	    grow((void **)&t->blocks, &p->blocks_room, t->nr_access + n, sizeof(*t->blocks)) ||
	    grow((void **)&t->hash, &p->hash_room, t->nr_blocks + nr_new, sizeof(*t->hash))) {
		rc = -ENOMEM;
		goto out;
	}
	r = &t->req[t->nr_req++];
	r->t_ms = ts;
	r->first = t->nr_access;
	r->nr = (uint32_t)n;
	r->line = p->line > UINT32_MAX ? UINT32_MAX : (uint32_t)p->line;
	for (i = 0; i < n; i++) {
		size_t slot = idmap_slot(&p->map, p->ids[i]);
		uint32_t id = p->map.vals[slot];

		if (id == UINT32_MAX) {
			id = t->nr_blocks++;
			t->hash[id] = p->ids[i];
			if (idmap_insert(&p->map, p->ids[i], id)) {
				rc = -ENOMEM;
				goto out;
			}
		}
		t->blocks[t->nr_access++] = id;
	}
	p->last_t = ts;
	t->input_tokens += in_len;
	t->output_tokens += out_len;
	rc = 0;
out:
	json_object_put(obj);
	return rc;
}

/*
 * Read one line into *@buf, at most @max bytes of it.  1: a line (*@len
 * bytes, *@too_long if more were skipped); 0: end of file; -EIO.
 */
static int read_line(FILE *f, char **buf, size_t *room, size_t max, size_t *len,
		     bool *too_long)
{
	size_t n = 0;
	int c, any = 0;

	*too_long = false;
	while ((c = getc_unlocked(f)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (n >= max) {
			*too_long = true;
			continue;
		}
		if (grow((void **)buf, room, n + 2, 1))
			return -ENOMEM;
		(*buf)[n++] = (char)c;
	}
	if (ferror(f))
		return -EIO;
	if (!any)
		return 0;
	if (grow((void **)buf, room, n + 1, 1))
		return -ENOMEM;
	(*buf)[n] = '\0';
	*len = n;
	return 1;
}

int kvr_trace_read(FILE *f, const char *name, const struct kvr_trace_opts *opts,
		   struct kvr_trace *t)
{
	struct kvr_parser p;
	struct json_tokener *tok;
	char *buf = NULL;
	size_t room = 0, len = 0;
	bool too_long;
	int rc;

	memset(t, 0, sizeof(*t));
	memset(&p, 0, sizeof(p));
	p.opts = opts;
	p.name = name;
	if (idmap_init(&p.map, 1024))
		return -ENOMEM;
	tok = json_tokener_new_ex(KVR_JSON_DEPTH);
	if (!tok) {
		idmap_free(&p.map);
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);

	for (;;) {
		rc = read_line(f, &buf, &room, opts->max_line, &len, &too_long);
		if (rc <= 0) {
			if (rc == -EIO)
				report(&p, rc, "read error");
			break;
		}
		p.line++;
		t->nr_lines = p.line;
		if (too_long) {
			rc = report(&p, -EINVAL, "line longer than %zu bytes", opts->max_line);
		} else {
			while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t' ||
				       buf[len - 1] == '\r'))
				buf[--len] = '\0';
			if (!len)
				continue;
			if (memchr(buf, '\0', len))
				rc = report(&p, -EINVAL, "NUL byte");
			else
				rc = parse_line(&p, tok, buf, len, t);
		}
		if (rc == -EINVAL && opts->skip_bad) {
			t->nr_bad++;
			continue;
		}
		if (rc)
			break;
	}
	json_tokener_free(tok);
	idmap_free(&p.map);
	free(p.ids);
	free(p.sorted);
	free(buf);
	if (rc == -EINVAL)
		t->nr_bad++;
	return rc;
}

int kvr_trace_load(const char *path, const struct kvr_trace_opts *opts,
		   struct kvr_trace *t)
{
	FILE *f;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!strcmp(path, "-"))
		return kvr_trace_read(stdin, "<stdin>", opts, t);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	rc = kvr_trace_read(f, path, opts, t);
	fclose(f);
	return rc;
}
