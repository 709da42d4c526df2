/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxltier internals shared by the module's files.  Nothing here is ABI.
 */
#ifndef _CXLTIER_INTERNAL_H
#define _CXLTIER_INTERNAL_H

#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <uapi/linux/cxltier.h>

/* Module version, shown in /sys/kernel/cxltier/version and modinfo. */
#define CXLTIER_VERSION		"0.1.0"

/**
 * struct cxltier_file - state of one open /dev/cxltier
 * @lock: serialises ioctls on this file that change its state
 * @ranges: ranges this file tracks (cxltier_range.file_node), under @lock
 * @nr_ranges: length of @ranges, under @lock
 * @seen_epoch: last heat epoch reported to read() on this file, under @lock
 * @seen_hotplug: sequence of the last hotplug event read, under @lock
 * @hotplug: the file asked for hotplug events (CXLTIER_HANDSHAKE_*)
 * @admin: the opener had CAP_SYS_ADMIN: every range is open to this file
 * @ptrace: the opener had CAP_SYS_PTRACE: with @admin, it may track
 *	another process's memory
 * @uid: the opener's uid: whose per-user limits the file's ranges count
 *	against when it is not @admin
 */
struct cxltier_file {
	struct mutex lock;	/* this file's state, as above */
	struct list_head ranges;
	unsigned int nr_ranges;
	u64 seen_epoch;
	u64 seen_hotplug;
	bool hotplug;
	bool admin;
	bool ptrace;
	kuid_t uid;
};

/* ioctl.c: argument copy-in, validation and dispatch. */
long cxltier_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
u64 cxltier_supported_ioctls(void);
u64 cxltier_features(void);

/**
 * cxltier_reserved_zero() - are all bytes of a reserved field zero?
 * @p: start of the field
 * @len: its size in bytes
 *
 * Return: true when every byte is zero.
 */
static inline bool cxltier_reserved_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* tiers.c: node and tier table, tiers/ and nodes/ in sysfs, retier. */
int cxltier_tiers_init(void);
void cxltier_tiers_exit(void);
long cxltier_ioc_get_nodes(struct cxltier_file *cf, void *karg);

/* sysfs.c: /sys/kernel/cxltier/ root. */
extern struct kobject *cxltier_kobj;
int cxltier_sysfs_init(void);
void cxltier_sysfs_exit(void);

/* ---- Heat tracking: track.c, scan.c, heat.c, report.c, heat_sysfs.c ---- */

/**
 * struct cxltier_chunk - heat and placement of one chunk of a range
 * @pending_cpu: young base pages seen by the scanner in the current epoch
 * @pending_dev: device accesses reported in the current epoch, unweighted
 * @heat: decayed access count in CXLTIER_HEAT_ONE units; written only by
 *	the epoch fold, under cxltier_range.heat_lock
 * @last_epoch: last epoch with an access, 0 = never; as @heat
 * @cpu_young: @pending_cpu of the last completed epoch; as @heat
 * @dev_count: @pending_dev of the last completed epoch; as @heat
 * @node: node of the resident pages at the last walk, CXLTIER_NODE_NONE
 *	or CXLTIER_NODE_MIXED; written by walks with WRITE_ONCE
 * @resident: resident base pages at the last walk; as @node
 * @pinned: base pages that may be DMA-pinned at the last walk; as @node
 * @sample_seed: seed of the pages the last sampling visit cleared, 0 =
 *	none; read and written by the scanner thread only
 * @sample_nr: how many pages it cleared; as @sample_seed
 * @sample_age: visits since that set was drawn; as @sample_seed
 */
struct cxltier_chunk {
	atomic64_t pending_cpu;
	atomic64_t pending_dev;
	u64 heat;
	u64 last_epoch;
	u32 cpu_young;
	u32 dev_count;
	s32 node;
	u32 resident;
	u32 pinned;
	u32 sample_seed;
	u32 sample_nr;
	u16 sample_age;
};

/**
 * struct cxltier_mm - cxltier's state for one address space
 * @mn: our mmu_notifier subscription; one user per range, so the
 *	mm_struct stays allocated while a range points at it
 * @node: in the cxltier_mms hash, under cxltier_track_lock; unhashed when
 *	the mm has no range
 * @ranges: interval tree of the registered ranges of this mm
 *	(cxltier_range.mm_node), by address; under cxltier_track_lock
 * @dead: the address space is gone (mmu_notifier release ran)
 */
struct cxltier_mm {
	struct mmu_notifier mn;
	struct hlist_node node;
	struct rb_root_cached ranges;
	bool dead;
};

/**
 * struct cxltier_range - one tracked range
 * @kref: references: the registry (until removal), walks, readers
 * @id: global id, key in the range registry
 * @owner: the file that created the range; NULL once removed
 * @file_node: in owner->ranges, under owner->lock
 * @mm_node: in cmm->ranges, under cxltier_track_lock
 * @mm_subtree_last: interval tree bookkeeping for @mm_node
 * @cmm: the owner's address space state (holds one notifier user)
 * @mm: the owner's mm_struct (kept allocated by @cmm, not alive)
 * @pid: the owner's thread group
 * @start: first byte
 * @end: one past the last byte
 * @chunk_shift: log2 of the chunk size
 * @nr_chunks: chunks in @chunks
 * @sources: CXLTIER_SRC_*
 * @removed: untracked or its file closed; walks and folds skip it
 * @heat_lock: serialises the epoch fold with GET_HEAT snapshots
 * @label: NUL-terminated label
 * @uid: the owner file's opener, when @user is set
 * @user: per-user accounting entry (a holder), NULL for a range of a
 *	file opened with CAP_SYS_ADMIN
 * @chunks: per-chunk state
 */
struct cxltier_range {
	struct kref kref;
	u32 id;
	struct cxltier_file *owner;
	struct list_head file_node;
	struct rb_node mm_node;
	unsigned long mm_subtree_last;
	struct cxltier_mm *cmm;
	struct mm_struct *mm;
	struct pid *pid;
	unsigned long start;
	unsigned long end;
	unsigned int chunk_shift;
	u32 nr_chunks;
	u32 sources;
	bool removed;
	struct mutex heat_lock;	/* the fold against GET_HEAT snapshots */
	char label[CXLTIER_LABEL_LEN];
	kuid_t uid;
	struct cxltier_user *user;
	struct cxltier_chunk *chunks;
};

/**
 * struct cxltier_tunables - /sys/kernel/cxltier/ tunables, read with
 * READ_ONCE, written by sysfs stores
 * @scan_interval_ms: time between two scanner passes
 * @scan_budget_pages: page-table entries one pass may examine
 * @scan_exact_max_pages: ranges with the CPU source of more base pages
 *	than this are scanned by sampling
 * @scan_sample_pages: pages one sampling visit of a chunk tests
 * @half_life_ms: heat half-life
 * @epoch_ms: heat epoch length
 * @device_weight: heat of one reported device access, in accesses
 * @max_ranges_per_fd: ranges one open file may track
 * @max_chunks: chunks all ranges together may have
 * @max_user_chunks: chunks one user's ranges may have (files opened
 *	without CAP_SYS_ADMIN)
 * @max_user_ranges: ranges one user may have (same files)
 */
struct cxltier_tunables {
	u32 scan_interval_ms;
	u32 scan_budget_pages;
	u32 scan_exact_max_pages;
	u32 scan_sample_pages;
	u32 half_life_ms;
	u32 epoch_ms;
	u32 device_weight;
	u32 max_ranges_per_fd;
	u32 max_chunks;
	u32 max_user_chunks;
	u32 max_user_ranges;
};

/**
 * struct cxltier_stats - counters under /sys/kernel/cxltier/stats/
 * @pages_scanned: base pages of tracked ranges the scanner and placement
 *	walks have examined
 * @young_found: young base pages found (and cleared); estimated ones for
 *	sampled ranges
 * @pages_sampled: page-table entries examined by sampling visits (also
 *	in @pages_scanned)
 * @device_reports: device access records applied
 * @scan_passes: scanner passes
 * @scan_skipped: ranges skipped because their mm was busy or gone, or
 *	walks stopped by an apply_to_existing_page_range() error
 * @metadata_bytes: memory held by range and chunk metadata
 * @placement_hold_max_ns: longest hold of mmap_lock by a placement walk
 *	(placement reads and REFRESH) since load or the last reset
 */
struct cxltier_stats {
	atomic64_t pages_scanned;
	atomic64_t young_found;
	atomic64_t pages_sampled;
	atomic64_t device_reports;
	atomic64_t scan_passes;
	atomic64_t scan_skipped;
	atomic64_t metadata_bytes;
	atomic64_t placement_hold_max_ns;
};

extern struct cxltier_tunables cxltier_tunables;
extern struct cxltier_stats cxltier_stats;

/* track.c: registration, lifetimes, lookups. */
extern struct mutex cxltier_track_lock;
int cxltier_track_init(void);
void cxltier_track_exit(void);
void cxltier_track_file_init(struct cxltier_file *cf);
void cxltier_track_file_release(struct cxltier_file *cf);
struct cxltier_range *cxltier_range_get_next(unsigned long *id);
struct cxltier_range *cxltier_range_get(u32 id);
void cxltier_range_put(struct cxltier_range *r);
bool cxltier_range_may_access(const struct cxltier_file *cf,
			      const struct cxltier_range *r);
struct cxltier_range *cxltier_range_get_for(const struct cxltier_file *cf,
					    u32 id);
int cxltier_track_credit_mm(struct mm_struct *mm, unsigned long addr,
			    unsigned long end, u64 count, u64 *credited);
u64 cxltier_nr_ranges(void);
u64 cxltier_nr_chunks(void);
u64 cxltier_nr_user_ranges(void);
u64 cxltier_nr_user_chunks(void);
long cxltier_ioc_track(struct cxltier_file *cf, void *karg);
long cxltier_ioc_untrack(struct cxltier_file *cf, void *karg);
long cxltier_ioc_get_ranges(struct cxltier_file *cf, void *karg);

/**
 * cxltier_chunk_start() - first byte of a chunk
 * @r: the range
 * @idx: chunk index
 *
 * Return: the chunk's start address.
 */
static inline unsigned long cxltier_chunk_start(const struct cxltier_range *r,
						u32 idx)
{
	return r->start + ((unsigned long)idx << r->chunk_shift);
}

/**
 * cxltier_chunk_end() - one past the last byte of a chunk
 * @r: the range
 * @idx: chunk index
 *
 * Return: the chunk's end address (the range's end for the last chunk).
 */
static inline unsigned long cxltier_chunk_end(const struct cxltier_range *r,
					      u32 idx)
{
	unsigned long end = cxltier_chunk_start(r, idx) + (1UL << r->chunk_shift);

	return min(end, r->end);
}

/* scan.c: Accessed-bit scanner and synchronous walks. */
int cxltier_scan_placement(struct cxltier_range *r, u32 first, u32 nr,
			   long budget, u32 *next);
void cxltier_scan_pass(void);

/* sample.c: sampling visits, for ranges above scan_exact_max_pages. */
#define CXLTIER_SAMPLE_MAX	64	/* bound of scan_sample_pages */
#define CXLTIER_SAMPLE_RUN	64	/* huge chunks under one PMD lock */
#define CXLTIER_SAMPLE_REUSE	4	/* visits a sample set serves */
u32 cxltier_sample_chunks(struct cxltier_range *r, struct mm_struct *mm,
			  u32 idx, u32 max, u32 *work);
int cxltier_scan_selfcheck(void);

/* heat.c: epochs, decay, the kthread, read()/poll(). */
int cxltier_heat_init(void);
void cxltier_heat_exit(void);
void cxltier_heat_kick(void);
u64 cxltier_heat_epoch_now(void);
ssize_t cxltier_read(struct file *file, char __user *buf, size_t count,
		     loff_t *ppos);
__poll_t cxltier_poll(struct file *file, struct poll_table_struct *wait);
long cxltier_ioc_get_heat(struct cxltier_file *cf, void *karg);

/* report.c: device access reports. */
long cxltier_ioc_report(struct cxltier_file *cf, void *karg);

/* heat.c: wake read()/poll() waiters for a new event. */
void cxltier_events_wake(void);

/* hotplug.c: memory hotplug events. */
int cxltier_hotplug_init(void);
void cxltier_hotplug_exit(void);
void cxltier_hotplug_subscribe(struct cxltier_file *cf);
void cxltier_hotplug_file_release(struct cxltier_file *cf);
bool cxltier_hotplug_pending(const struct cxltier_file *cf);
ssize_t cxltier_hotplug_read(struct cxltier_file *cf, char __user *buf);
u64 cxltier_hotplug_offlining_kb(int nid);

/* heat_sysfs.c: tunables and stats in sysfs. */
int cxltier_heat_sysfs_init(void);
void cxltier_heat_sysfs_exit(void);

#endif /* _CXLTIER_INTERNAL_H */
