// SPDX-License-Identifier: GPL-2.0
/*
 * Memory hotplug events for the agent: an offline that starts, is
 * cancelled or completes, and memory that comes online.
 *
 * An offline cannot complete while a long-term pinned page sits in the
 * range: offline_pages() retries the migration until the offlining task
 * gets a signal.  The module cannot move pinned data itself (the pin
 * belongs to the application and its device); cxltierd can, by asking
 * the owner.  So the notifier only records what happens and wakes the
 * readers of /dev/cxltier that asked for these events; it never blocks
 * or fails the offline.  Without a reader, the offline behaves as it
 * would without the module.
 *
 *   MEM_GOING_OFFLINE --> ring entry + offlining bytes of the node --> wake
 *   MEM_CANCEL_OFFLINE / MEM_OFFLINE --> ring entry, offlining bytes back
 *   MEM_ONLINE --> ring entry (capacity arrived)
 *
 * The ring keeps the last CXLTIER_HOTPLUG_RING events, each with a
 * sequence number; a file remembers the last one it read, and one that
 * fell behind gets the oldest kept event with a count of those it missed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "internal.h"

/* Events kept for readers that fall behind; a power of two. */
#define CXLTIER_HOTPLUG_RING	64

/* Offlines in progress at once; the kernel runs one at a time today. */
#define CXLTIER_HOTPLUG_INFLIGHT	8

static DEFINE_SPINLOCK(cxltier_hotplug_lock);
/* Sequence number of the last event queued; 0 = none yet. */
static u64 cxltier_hotplug_seq;
static struct cxltier_hotplug_event cxltier_hotplug_ring[CXLTIER_HOTPLUG_RING];

/* Offlines in progress, so that the end event knows the node. */
static struct {
	unsigned long start_pfn;
	unsigned long nr_pages;
	int nid;
} cxltier_hotplug_inflight[CXLTIER_HOTPLUG_INFLIGHT];

/* Bytes of each node in an offline in progress (nr_node_ids entries). */
static atomic64_t *cxltier_offlining_bytes;

/* Open files that asked for hotplug events. */
static atomic_t cxltier_hotplug_readers = ATOMIC_INIT(0);

static void cxltier_hotplug_queue(u32 type, int nid, unsigned long start_pfn,
				  unsigned long nr_pages)
{
	struct cxltier_hotplug_event *ev;

	spin_lock(&cxltier_hotplug_lock);
	cxltier_hotplug_seq++;
	ev = &cxltier_hotplug_ring[cxltier_hotplug_seq &
				   (CXLTIER_HOTPLUG_RING - 1)];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->node = nid;
	ev->start = PFN_PHYS(start_pfn);
	ev->length = PFN_PHYS(nr_pages);
	spin_unlock(&cxltier_hotplug_lock);
	cxltier_events_wake();
}

/* Remember an offline in progress (not counted when the table is full). */
static void cxltier_hotplug_begin(int nid, unsigned long start_pfn,
				  unsigned long nr_pages)
{
	int i;

	spin_lock(&cxltier_hotplug_lock);
	for (i = 0; i < CXLTIER_HOTPLUG_INFLIGHT; i++) {
		if (cxltier_hotplug_inflight[i].nr_pages)
			continue;
		cxltier_hotplug_inflight[i].start_pfn = start_pfn;
		cxltier_hotplug_inflight[i].nr_pages = nr_pages;
		cxltier_hotplug_inflight[i].nid = nid;
		atomic64_add(PFN_PHYS(nr_pages), &cxltier_offlining_bytes[nid]);
		break;
	}
	spin_unlock(&cxltier_hotplug_lock);
}

/* Forget it; returns its node, or NUMA_NO_NODE when it was not known. */
static int cxltier_hotplug_end(unsigned long start_pfn, unsigned long nr_pages)
{
	int i, nid = NUMA_NO_NODE;

	spin_lock(&cxltier_hotplug_lock);
	for (i = 0; i < CXLTIER_HOTPLUG_INFLIGHT; i++) {
		if (cxltier_hotplug_inflight[i].start_pfn != start_pfn ||
		    cxltier_hotplug_inflight[i].nr_pages != nr_pages)
			continue;
		nid = cxltier_hotplug_inflight[i].nid;
		cxltier_hotplug_inflight[i].nr_pages = 0;
		atomic64_sub(PFN_PHYS(nr_pages), &cxltier_offlining_bytes[nid]);
		break;
	}
	spin_unlock(&cxltier_hotplug_lock);
	return nid;
}

/*
 * Called with the hotplug lock held.  At MEM_GOING_OFFLINE and MEM_ONLINE
 * the range's memmap is online, so its node is that of its first page.
 */
static int cxltier_hotplug_callback(struct notifier_block *nb,
				    unsigned long action, void *arg)
{
	struct memory_notify *mn = arg;
	unsigned long pfn = mn->start_pfn, nr = mn->nr_pages;
	int nid;

	switch (action) {
	case MEM_GOING_OFFLINE:
		if (!pfn_valid(pfn))
			break;
		nid = pfn_to_nid(pfn);
		if (nid < 0 || nid >= nr_node_ids)
			break;
		cxltier_hotplug_begin(nid, pfn, nr);
		cxltier_hotplug_queue(CXLTIER_EVENT_OFFLINE_START, nid, pfn, nr);
		if (!atomic_read(&cxltier_hotplug_readers))
			pr_info_ratelimited("node %d: offline of %lu KiB started with no cxltierd subscribed; pinned pages in it keep the offline retrying until it is interrupted\n",
					    nid, nr << (PAGE_SHIFT - 10));
		break;
	case MEM_CANCEL_OFFLINE:
	case MEM_OFFLINE:
		nid = cxltier_hotplug_end(pfn, nr);
		if (nid == NUMA_NO_NODE)
			break;
		cxltier_hotplug_queue(action == MEM_OFFLINE ?
				      CXLTIER_EVENT_OFFLINE_DONE :
				      CXLTIER_EVENT_OFFLINE_CANCEL, nid, pfn, nr);
		break;
	case MEM_ONLINE:
		if (!pfn_valid(pfn))
			break;
		nid = pfn_to_nid(pfn);
		if (nid >= 0 && nid < nr_node_ids)
			cxltier_hotplug_queue(CXLTIER_EVENT_ONLINE, nid, pfn, nr);
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block cxltier_hotplug_nb = {
	.notifier_call = cxltier_hotplug_callback,
};

/**
 * cxltier_hotplug_subscribe() - deliver hotplug events to a file
 * @cf: the open file
 *
 * Idempotent.  Events queued before the call are not delivered.
 */
void cxltier_hotplug_subscribe(struct cxltier_file *cf)
{
	mutex_lock(&cf->lock);
	if (!cf->hotplug) {
		spin_lock(&cxltier_hotplug_lock);
		cf->seen_hotplug = cxltier_hotplug_seq;
		spin_unlock(&cxltier_hotplug_lock);
		cf->hotplug = true;
		atomic_inc(&cxltier_hotplug_readers);
	}
	mutex_unlock(&cf->lock);
}

/**
 * cxltier_hotplug_file_release() - a file closes
 * @cf: the file
 */
void cxltier_hotplug_file_release(struct cxltier_file *cf)
{
	if (cf->hotplug)
		atomic_dec(&cxltier_hotplug_readers);
}

/**
 * cxltier_hotplug_pending() - has the file an unread hotplug event?
 * @cf: the open file
 *
 * Return: true when an event is waiting.
 */
bool cxltier_hotplug_pending(const struct cxltier_file *cf)
{
	return READ_ONCE(cf->hotplug) &&
	       READ_ONCE(cxltier_hotplug_seq) != READ_ONCE(cf->seen_hotplug);
}

/**
 * cxltier_hotplug_read() - copy the file's next hotplug event out
 * @cf: the open file
 * @buf: user buffer, at least sizeof(struct cxltier_event)
 *
 * Return: the event's size, 0 when none is waiting, or -EFAULT.
 */
ssize_t cxltier_hotplug_read(struct cxltier_file *cf, char __user *buf)
{
	struct cxltier_hotplug_event ev;
	u64 next, missed = 0;

	BUILD_BUG_ON(sizeof(ev) != sizeof(struct cxltier_event));
	mutex_lock(&cf->lock);
	if (!cf->hotplug) {
		mutex_unlock(&cf->lock);
		return 0;
	}
	spin_lock(&cxltier_hotplug_lock);
	if (cxltier_hotplug_seq == cf->seen_hotplug) {
		spin_unlock(&cxltier_hotplug_lock);
		mutex_unlock(&cf->lock);
		return 0;
	}
	next = cf->seen_hotplug + 1;
	if (cxltier_hotplug_seq - cf->seen_hotplug > CXLTIER_HOTPLUG_RING) {
		next = cxltier_hotplug_seq - CXLTIER_HOTPLUG_RING + 1;
		missed = next - cf->seen_hotplug - 1;
	}
	ev = cxltier_hotplug_ring[next & (CXLTIER_HOTPLUG_RING - 1)];
	spin_unlock(&cxltier_hotplug_lock);
	ev.missed = missed;
	cf->seen_hotplug = next;
	mutex_unlock(&cf->lock);

	if (copy_to_user(buf, &ev, sizeof(ev)))
		return -EFAULT;
	return sizeof(ev);
}

/**
 * cxltier_hotplug_offlining_kb() - KiB of a node in an offline in progress
 * @nid: the node
 *
 * Return: the KiB, 0 when none or @nid is out of range.
 */
u64 cxltier_hotplug_offlining_kb(int nid)
{
	if (!cxltier_offlining_bytes || nid < 0 || nid >= nr_node_ids)
		return 0;
	return atomic64_read(&cxltier_offlining_bytes[nid]) >> 10;
}

/**
 * cxltier_hotplug_init() - register the memory notifier
 *
 * Return: 0 or a negative errno.
 */
int cxltier_hotplug_init(void)
{
	int ret;

	cxltier_offlining_bytes = kcalloc(nr_node_ids,
					  sizeof(*cxltier_offlining_bytes),
					  GFP_KERNEL);
	if (!cxltier_offlining_bytes)
		return -ENOMEM;
	ret = register_memory_notifier(&cxltier_hotplug_nb);
	if (ret) {
		kfree(cxltier_offlining_bytes);
		cxltier_offlining_bytes = NULL;
	}
	return ret;
}

/**
 * cxltier_hotplug_exit() - unregister the memory notifier
 *
 * The device is gone by then, so no reader is left.
 */
void cxltier_hotplug_exit(void)
{
	unregister_memory_notifier(&cxltier_hotplug_nb);
	kfree(cxltier_offlining_bytes);
	cxltier_offlining_bytes = NULL;
}
