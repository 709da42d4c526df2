// SPDX-License-Identifier: GPL-2.0
/*
 * node_meminfo: parse /sys/devices/system/node/nodeN/meminfo.  See
 * node_meminfo.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node_meminfo.h"

/* The file is about 1.5 KiB; a larger one is not a meminfo file. */
#define MEMINFO_MAX	16384

enum { F_TOTAL, F_FREE, F_AFILE, F_IFILE, F_SRECL, F_SHMEM, NR_FIELDS };

static const char *const keys[NR_FIELDS] = {
	[F_TOTAL] = "MemTotal", [F_FREE] = "MemFree",
	[F_AFILE] = "Active(file)", [F_IFILE] = "Inactive(file)",
	[F_SRECL] = "SReclaimable", [F_SHMEM] = "Shmem",
};

/* "  123 kB" -> bytes; -EINVAL on anything else. */
static int parse_kb(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	while (p < end && *p == ' ')
		p++;
	if (p == end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (end - p != 3 || memcmp(p, " kB", 3) || v > UINT64_MAX >> 10)
		return -EINVAL;
	*out = v << 10;
	return 0;
}

int node_meminfo_parse(const char *text, int node, struct node_meminfo *m)
{
	uint64_t val[NR_FIELDS] = { 0 };
	unsigned int seen = 0;
	char prefix[32];
	size_t plen;
	const char *line, *nl;
	int k;

	if (!text || !m || node < 0)
		return -EINVAL;
	plen = (size_t)snprintf(prefix, sizeof(prefix), "Node %d ", node);
	for (line = text; *line; line = nl + (*nl == '\n')) {
		const char *colon, *key;

		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		if ((size_t)(nl - line) <= plen || memcmp(line, prefix, plen))
			continue;
		key = line + plen;
		colon = memchr(key, ':', (size_t)(nl - key));
		if (!colon)
			continue;
		for (k = 0; k < NR_FIELDS; k++) {
			if (strlen(keys[k]) != (size_t)(colon - key) ||
			    memcmp(key, keys[k], (size_t)(colon - key)))
				continue;
			if (parse_kb(colon + 1, nl, &val[k]))
				return -EINVAL;
			seen |= 1U << k;
		}
	}
	if (!(seen & (1U << F_TOTAL)) || !(seen & (1U << F_FREE)))
		return -EINVAL;
	m->total = val[F_TOTAL];
	m->free = val[F_FREE];
	m->file = val[F_AFILE] + val[F_IFILE];
	m->slab_reclaimable = val[F_SRECL];
	m->shmem = val[F_SHMEM];
	return 0;
}

int node_meminfo_read(const char *sysfs, int node, struct node_meminfo *m)
{
	char path[256], *buf;
	ssize_t len, r;
	int fd, ret;

	if (node < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/devices/system/node/node%d/meminfo",
		 sysfs ? sysfs : "/sys", node);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(MEMINFO_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (len = 0; len < MEMINFO_MAX; len += r) {
		r = read(fd, buf + len, (size_t)(MEMINFO_MAX - len));
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			break;
	}
	ret = r < 0 ? -errno : 0;
	close(fd);
	if (!ret && len >= MEMINFO_MAX)
		ret = -EFBIG;
	if (!ret) {
		buf[len] = '\0';
		ret = node_meminfo_parse(buf, node, m);
	}
	free(buf);
	return ret;
}

uint64_t node_meminfo_reclaimable(const struct node_meminfo *m)
{
	uint64_t r = m->file + m->slab_reclaimable;

	return r < m->file ? UINT64_MAX : r;
}
