// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kdev: /dev/cxltier ioctl wrappers.  See kdev.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kdev.h"

int kdev_handshake(int fd, struct cxltier_handshake *hs)
{
	memset(hs, 0, sizeof(*hs));
	hs->argsz = sizeof(*hs);
	hs->api_version = CXLTIER_API_VERSION;
	if (ioctl(fd, CXLTIER_IOC_HANDSHAKE, hs) < 0)
		return -errno;
	return 0;
}

int kdev_open(struct kdev *dev, const char *path)
{
	struct cxltier_handshake hs;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->fd = open(path ? path : CXLTIER_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0)
		return -errno;
	ret = kdev_handshake(dev->fd, &hs);
	if (ret) {
		close(dev->fd);
		dev->fd = -1;
		return ret;
	}
	dev->api_version = hs.api_version;
	dev->features = hs.features;
	dev->ioctls = hs.ioctls;
	return 0;
}

void kdev_close(struct kdev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

int kdev_has_ioctl(const struct kdev *dev, unsigned long cmd)
{
	unsigned int nr = _IOC_NR(cmd);

	if (nr < CXLTIER_BASE || nr - CXLTIER_BASE >= 64)
		return 0;
	return !!(dev->ioctls & (1ULL << (nr - CXLTIER_BASE)));
}

int kdev_track(const struct kdev *dev, int pid, uint64_t start,
	       uint64_t length, uint64_t chunk_size, uint32_t sources,
	       const char *label, uint32_t *id, uint32_t *nr_chunks)
{
	struct cxltier_track t;

	memset(&t, 0, sizeof(t));
	t.argsz = sizeof(t);
	t.pid = pid;
	t.sources = sources;
	t.start = start;
	t.length = length;
	t.chunk_size = chunk_size;
	if (label) {
		if (strlen(label) >= sizeof(t.label))
			return -ENAMETOOLONG;
		strcpy(t.label, label);
	}
	if (ioctl(dev->fd, CXLTIER_IOC_TRACK, &t) < 0)
		return -errno;
	if (id)
		*id = t.id;
	if (nr_chunks)
		*nr_chunks = t.nr_chunks;
	return 0;
}

int kdev_untrack(const struct kdev *dev, uint32_t id)
{
	struct cxltier_untrack u;

	memset(&u, 0, sizeof(u));
	u.argsz = sizeof(u);
	u.id = id;
	return ioctl(dev->fd, CXLTIER_IOC_UNTRACK, &u) < 0 ? -errno : 0;
}

int kdev_report(const struct kdev *dev,
		const struct cxltier_access_record *recs, uint32_t nr,
		uint32_t *error_index)
{
	struct cxltier_report r;

	memset(&r, 0, sizeof(r));
	r.argsz = sizeof(r);
	r.nr_records = nr;
	r.record_size = sizeof(*recs);
	r.records = (uintptr_t)recs;
	if (ioctl(dev->fd, CXLTIER_IOC_REPORT, &r) < 0) {
		if (error_index)
			*error_index = r.error_index;
		return -errno;
	}
	return 0;
}

/* GET_HEAT of chunks @first.. into @out (@room entries): 0 or -errno. */
static int kdev_heat_ioctl(const struct kdev *dev, uint32_t id, uint64_t first,
			   struct cxltier_chunk_heat *out, uint32_t room,
			   uint32_t flags, struct cxltier_get_heat *g)
{
	memset(g, 0, sizeof(*g));
	g->argsz = sizeof(*g);
	g->flags = flags;
	g->id = id;
	g->entry_size = sizeof(*out);
	g->first_chunk = first;
	g->nr_chunks = room;
	g->chunks = (uintptr_t)out;
	return ioctl(dev->fd, CXLTIER_IOC_GET_HEAT, g) < 0 ? -errno : 0;
}

int kdev_get_heat(const struct kdev *dev, uint32_t id, uint64_t first,
		  struct cxltier_chunk_heat *out, uint32_t room,
		  uint32_t flags, uint32_t *total, uint64_t *epoch)
{
	struct cxltier_get_heat g;
	int ret = kdev_heat_ioctl(dev, id, first, out, room, flags, &g);

	if (ret)
		return ret;
	if (total)
		*total = g.nr_chunks;
	if (epoch)
		*epoch = g.epoch;
	return 0;
}

int kdev_get_placement(const struct kdev *dev, uint32_t id, uint64_t first,
		       struct cxltier_chunk_heat *out, uint32_t room,
		       uint32_t *total, uint64_t *next, uint64_t *epoch)
{
	struct cxltier_get_heat g;
	int ret = kdev_heat_ioctl(dev, id, first, out, room,
				  CXLTIER_HEAT_PLACEMENT, &g);

	if (ret)
		return ret;
	/* A module that walked nothing past the end would loop a caller. */
	if (g.next_chunk > g.nr_chunks || (room && first < g.nr_chunks &&
					    g.next_chunk <= first))
		return -EPROTO;
	if (total)
		*total = g.nr_chunks;
	if (next)
		*next = g.next_chunk;
	if (epoch)
		*epoch = g.epoch;
	return 0;
}

int kdev_get_ranges(const struct kdev *dev, uint32_t flags,
		    struct cxltier_range_info *out, uint32_t room,
		    uint32_t *total)
{
	struct cxltier_get_ranges g;

	memset(&g, 0, sizeof(g));
	g.argsz = sizeof(g);
	g.flags = flags;
	g.nr_ranges = room;
	g.entry_size = sizeof(*out);
	g.ranges = (uintptr_t)out;
	if (ioctl(dev->fd, CXLTIER_IOC_GET_RANGES, &g) < 0)
		return -errno;
	if (total)
		*total = g.nr_ranges;
	return 0;
}

/* One GET_NODES call; @room entries at @buf (may be NULL when 0). */
static int kdev_get_nodes_once(int fd, struct cxltier_node_info *buf,
			       uint32_t room, uint32_t *avail,
			       uint32_t *nr_tiers)
{
	struct cxltier_get_nodes gn;

	memset(&gn, 0, sizeof(gn));
	gn.argsz = sizeof(gn);
	gn.nr_nodes = room;
	gn.entry_size = sizeof(*buf);
	gn.nodes = (uintptr_t)buf;
	if (ioctl(fd, CXLTIER_IOC_GET_NODES, &gn) < 0)
		return -errno;
	*avail = gn.nr_nodes;
	*nr_tiers = gn.nr_tiers;
	return 0;
}

int kdev_get_nodes(const struct kdev *dev, struct cxltier_node_info **nodes,
		   uint32_t *nr, uint32_t *nr_tiers)
{
	struct cxltier_node_info *buf = NULL;
	uint32_t room = 0, avail = 0;
	int tries, ret;

	*nodes = NULL;
	*nr = 0;
	*nr_tiers = 0;
	for (tries = 0; tries < 8; tries++) {
		ret = kdev_get_nodes_once(dev->fd, buf, room, &avail, nr_tiers);
		if (ret)
			goto err;
		if (avail <= room) {
			*nodes = buf;
			*nr = avail;
			if (!avail) {
				free(buf);
				*nodes = NULL;
			}
			return 0;
		}
		free(buf);
		buf = calloc(avail, sizeof(*buf));
		if (!buf)
			return -ENOMEM;
		room = avail;
	}
	ret = -EAGAIN;	/* nodes kept coming and going */
err:
	free(buf);
	return ret;
}

int kdev_read_event(const struct kdev *dev, struct cxltier_event *ev)
{
	ssize_t n = read(dev->fd, ev, sizeof(*ev));

	if (n < 0)
		return -errno;
	return n == sizeof(*ev) ? 0 : -EIO;
}

int kdev_subscribe_hotplug(const struct kdev *dev)
{
	struct cxltier_handshake hs;

	if (!(dev->features & CXLTIER_FEAT_HOTPLUG))
		return -EOPNOTSUPP;
	memset(&hs, 0, sizeof(hs));
	hs.argsz = sizeof(hs);
	hs.flags = CXLTIER_HANDSHAKE_HOTPLUG_EVENTS;
	hs.api_version = CXLTIER_API_VERSION;
	if (ioctl(dev->fd, CXLTIER_IOC_HANDSHAKE, &hs) < 0)
		return -errno;
	return 0;
}
