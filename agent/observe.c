// SPDX-License-Identifier: GPL-2.0
/*
 * observe: see observe.h.  obs_collect() is the logic, over a struct
 * obs_source; obs_read() gives it the module (kdev) and /proc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdev.h"
#include "observe.h"
#include "placement.h"

/* The process name of @pid into @comm (16 bytes), "" when unknown. */
static void read_comm(void *arg, pid_t pid, char *comm)
{
	char path[64];
	ssize_t n;
	int fd;

	(void)arg;
	comm[0] = '\0';
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, 15);
	close(fd);
	if (n <= 0) {
		comm[0] = '\0';
		return;
	}
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

void obs_free(struct obs_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nr_ranges; i++)
		free(snap->ranges[i].chunks);
	free(snap->ranges);
	memset(snap, 0, sizeof(*snap));
}

const struct obs_range *obs_find_range(const struct obs_snapshot *snap,
				       uint32_t id)
{
	size_t i;

	for (i = 0; i < snap->nr_ranges; i++)
		if (snap->ranges[i].info.id == id)
			return &snap->ranges[i];
	return NULL;
}

int obs_collect(const struct obs_source *src, struct obs_snapshot *snap)
{
	struct cxltier_range_info *infos = NULL, *tmp;
	uint32_t total = 0, room = 0, n, i;
	struct obs_range *r;
	uint64_t epoch;
	int ret;

	memset(snap, 0, sizeof(*snap));
	for (;;) {
		ret = src->get_ranges(src->arg, infos, room, &total);
		if (ret)
			goto out;
		if (total <= room)
			break;
		room = total + 8;
		tmp = realloc(infos, room * sizeof(*infos));
		if (!tmp) {
			ret = -ENOMEM;
			goto out;
		}
		infos = tmp;
	}
	snap->ranges = calloc(total ? total : 1, sizeof(*snap->ranges));
	if (!snap->ranges) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < total; i++) {
		r = &snap->ranges[snap->nr_ranges];
		r->info = infos[i];
		r->info.label[sizeof(r->info.label) - 1] = '\0';
		if (!r->info.nr_chunks)
			continue;
		r->chunks = calloc(r->info.nr_chunks, sizeof(*r->chunks));
		if (!r->chunks) {
			ret = -ENOMEM;
			goto out;
		}
		ret = src->get_heat(src->arg, r->info.id, r->chunks,
				    r->info.nr_chunks, &n, &epoch);
		if (ret == -ENOENT || (!ret && n != r->info.nr_chunks)) {
			/* Untracked meanwhile (or replaced): leave it out. */
			free(r->chunks);
			r->chunks = NULL;
			ret = 0;
			continue;
		}
		if (ret) {
			free(r->chunks);
			r->chunks = NULL;
			goto out;
		}
		if (epoch > snap->epoch)
			snap->epoch = epoch;
		src->comm(src->arg, r->info.pid, r->comm);
		snap->nr_ranges++;
	}
	ret = 0;
out:
	free(infos);
	return ret;
}

static int kdev_ranges(void *arg, struct cxltier_range_info *infos,
		       uint32_t room, uint32_t *total)
{
	return kdev_get_ranges(arg, CXLTIER_RANGES_ALL, infos, room, total);
}

static int kdev_heat(void *arg, uint32_t id, struct cxltier_chunk_heat *chunks,
		     uint32_t nr, uint32_t *n, uint64_t *epoch)
{
	/* One bounded placement walk per range and cycle (agent/placement.c). */
	return placement_read(arg, id, chunks, nr, n, epoch);
}

int obs_read(const struct kdev *kdev, struct obs_snapshot *snap)
{
	const struct obs_source src = {
		kdev_ranges, kdev_heat, read_comm, (void *)kdev,
	};

	return obs_collect(&src, snap);
}
