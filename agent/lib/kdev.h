/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kdev: the one place in user space that speaks the /dev/cxltier ioctl
 * ABI.  Everything else (daemon, library, tools) goes through these
 * calls, which fill argsz, zero the reserved fields and return -errno.
 */
#ifndef CXLTIER_KDEV_H
#define CXLTIER_KDEV_H

#include <stdint.h>
#include <linux/cxltier.h>

#define CXLTIER_DEV_PATH "/dev/cxltier"

/**
 * struct kdev - an open /dev/cxltier after a successful handshake
 * @fd: the file descriptor
 * @api_version: the module's CXLTIER_API_VERSION
 * @features: CXLTIER_FEAT_* the module supports
 * @ioctls: supported ioctl mask (bit n: CXLTIER_BASE + n)
 */
struct kdev {
	int fd;
	uint32_t api_version;
	uint64_t features;
	uint64_t ioctls;
};

/* Open @path (NULL: /dev/cxltier) and handshake.  0 or -errno. */
int kdev_open(struct kdev *dev, const char *path);
void kdev_close(struct kdev *dev);

/* Does the module implement ioctl @cmd (a CXLTIER_IOC_* value)? */
int kdev_has_ioctl(const struct kdev *dev, unsigned long cmd);

/* CXLTIER_IOC_HANDSHAKE on an open fd; fills @hs.  0 or -errno. */
int kdev_handshake(int fd, struct cxltier_handshake *hs);

/*
 * Range tracking.  kdev_track() registers [start, start + length) of
 * process @pid (0: the caller) with CXLTIER_SRC_* @sources and a chunk
 * size (0: the module's default); @label may be NULL.  On success *@id
 * and *@nr_chunks (either may be NULL) are set.  0 or -errno.
 */
int kdev_track(const struct kdev *dev, int pid, uint64_t start,
	       uint64_t length, uint64_t chunk_size, uint32_t sources,
	       const char *label, uint32_t *id, uint32_t *nr_chunks);
int kdev_untrack(const struct kdev *dev, uint32_t id);

/*
 * Device access reports: @nr records (at most CXLTIER_REPORT_MAX).  On
 * error, *@error_index (if not NULL) is the first bad record.
 */
int kdev_report(const struct kdev *dev,
		const struct cxltier_access_record *recs, uint32_t nr,
		uint32_t *error_index);

/*
 * Heat of chunks [first, first + room) of range @id into @out; *@total
 * gets the range's chunk count, *@epoch (may be NULL) the current epoch.
 * CXLTIER_HEAT_* @flags.  Fills min(room, total - first) entries.
 */
int kdev_get_heat(const struct kdev *dev, uint32_t id, uint64_t first,
		  struct cxltier_chunk_heat *out, uint32_t room,
		  uint32_t flags, uint32_t *total, uint64_t *epoch);

/*
 * One bounded placement read (CXLTIER_HEAT_PLACEMENT, needs
 * CXLTIER_FEAT_PLACEMENT): entries of chunks [first, first + room) into
 * @out, placement freshly walked for [first, *@next); *@next is where the
 * next call resumes, *@total the range's chunk count (*@next == *@total:
 * done).  Accessed bits are left alone.  -EPROTO when the module's
 * cursor makes no progress.  @total, @next, @epoch may be NULL.
 */
int kdev_get_placement(const struct kdev *dev, uint32_t id, uint64_t first,
		       struct cxltier_chunk_heat *out, uint32_t room,
		       uint32_t *total, uint64_t *next, uint64_t *epoch);

/*
 * Tracked ranges into @out (room entries); *@total gets how many exist.
 * @flags: CXLTIER_RANGES_ALL (every range, CAP_SYS_ADMIN),
 * CXLTIER_RANGES_USER (the opener's user's), or 0 (this file's).
 */
int kdev_get_ranges(const struct kdev *dev, uint32_t flags,
		    struct cxltier_range_info *out, uint32_t room,
		    uint32_t *total);

/*
 * CXLTIER_IOC_GET_NODES, count then fill.  On success *@nodes is a
 * malloc'ed array of *@nr entries (free() it; NULL when there are none)
 * and *@nr_tiers the number of tiers.  Asks again when nodes came online
 * between the two calls.  0 or -errno.
 */
int kdev_get_nodes(const struct kdev *dev, struct cxltier_node_info **nodes,
		   uint32_t *nr, uint32_t *nr_tiers);

/*
 * Next heat epoch event (read() of the device): blocks unless the fd is
 * O_NONBLOCK (then -EAGAIN when none is pending).  poll() the fd for
 * POLLIN to wait without blocking.  0 or -errno.
 */
int kdev_read_event(const struct kdev *dev, struct cxltier_event *ev);

/*
 * Ask for memory hotplug events on this file too (CXLTIER_FEAT_HOTPLUG):
 * kdev_read_event() then also returns struct cxltier_hotplug_event, told
 * apart by its type.  0, -EOPNOTSUPP (an older module) or -errno.
 */
int kdev_subscribe_hotplug(const struct kdev *dev);

#endif /* CXLTIER_KDEV_H */
