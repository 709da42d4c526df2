// SPDX-License-Identifier: GPL-2.0
/*
 * Tracked ranges: registration, validation, ownership and lifetimes.
 *
 * A range is a page-aligned span of one process's address space cut into
 * chunks.  Three things point at it, each with its own rule:
 *
 *   cxltier_ranges (xarray, id -> range)  holds one kref until removal;
 *                                         lookups take a kref under xa_lock
 *   the owning file's list                 under cxltier_file.lock
 *   its cxltier_mm's list                  under cxltier_track_lock
 *
 *   file ---owns---> range ---notifier user---> cxltier_mm ---mm_count--> mm
 *
 * Removal (UNTRACK or close of the owning file) unlinks the range from all
 * three and drops the registry's kref; a scanner walk or a reader that
 * still holds a kref keeps the memory until it is done.  The owner's
 * address space may die first: the notifier's release marks the
 * cxltier_mm dead, walks then skip the range (they only touch the mm after
 * mmget_not_zero()), and readers still see the last heat.  Each range
 * holds one user of the mmu_notifier (mmu_notifier_get()/_put()), which
 * keeps the mm_struct allocated, so comparing and pinning it is safe.
 *
 * Lock order: cxltier_file.lock -> mmap_lock -> cxltier_track_lock ->
 * xa_lock.  The notifier's release takes cxltier_track_lock only.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "internal.h"

/* Serialises registration and removal, the per-mm lists and cxltier_mms. */
DEFINE_MUTEX(cxltier_track_lock);

/* Every registered range by id (ids from 1, allocated cyclically). */
static DEFINE_XARRAY_ALLOC1(cxltier_ranges);

/* Next id to try, for cyclic allocation; under xa_lock. */
static u32 cxltier_next_id;

/* Address spaces that have ranges (cxltier_mm.node); cxltier_track_lock. */
static LIST_HEAD(cxltier_mms);

/* Registered ranges and their chunks; under cxltier_track_lock. */
static u64 cxltier_ranges_count;
static u64 cxltier_chunks_count;

static struct mmu_notifier *cxltier_mm_alloc(struct mm_struct *mm)
{
	struct cxltier_mm *cmm;

	cmm = kzalloc(sizeof(*cmm), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!cmm)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&cmm->node);
	INIT_LIST_HEAD(&cmm->ranges);
	return &cmm->mn;
}

static void cxltier_mm_free(struct mmu_notifier *mn)
{
	kfree(container_of(mn, struct cxltier_mm, mn));
}

/* The address space is being torn down: its ranges stop being walked. */
static void cxltier_mm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct cxltier_mm *cmm = container_of(mn, struct cxltier_mm, mn);

	mutex_lock(&cxltier_track_lock);
	WRITE_ONCE(cmm->dead, true);
	mutex_unlock(&cxltier_track_lock);
}

static const struct mmu_notifier_ops cxltier_mm_ops = {
	.release	= cxltier_mm_release,
	.alloc_notifier	= cxltier_mm_alloc,
	.free_notifier	= cxltier_mm_free,
};

static size_t cxltier_range_bytes(u32 nr_chunks)
{
	return sizeof(struct cxltier_range) +
		(size_t)nr_chunks * sizeof(struct cxltier_chunk);
}

static void cxltier_range_release(struct kref *kref)
{
	struct cxltier_range *r = container_of(kref, struct cxltier_range, kref);

	atomic64_sub(cxltier_range_bytes(r->nr_chunks),
		     &cxltier_stats.metadata_bytes);
	mmu_notifier_put(&r->cmm->mn);
	put_pid(r->pid);
	mutex_destroy(&r->heat_lock);
	kvfree(r->chunks);
	kfree(r);
}

/**
 * cxltier_range_put() - drop a reference to a range
 * @r: the range; may be NULL
 *
 * Context: process context; may sleep when it frees the range.
 */
void cxltier_range_put(struct cxltier_range *r)
{
	if (r)
		kref_put(&r->kref, cxltier_range_release);
}

/**
 * cxltier_range_get() - look a registered range up by id
 * @id: range id
 *
 * Return: the range with a reference held, or NULL.
 */
struct cxltier_range *cxltier_range_get(u32 id)
{
	struct cxltier_range *r;

	xa_lock(&cxltier_ranges);
	r = xa_load(&cxltier_ranges, id);
	if (r)
		kref_get(&r->kref);
	xa_unlock(&cxltier_ranges);
	return r;
}

/**
 * cxltier_range_get_next() - the registered range with the lowest id >= *@id
 * @id: in: where to start; out: the id found
 *
 * Return: the range with a reference held, or NULL when there is none.
 */
struct cxltier_range *cxltier_range_get_next(unsigned long *id)
{
	struct cxltier_range *r;

	xa_lock(&cxltier_ranges);
	r = xa_find(&cxltier_ranges, id, U32_MAX, XA_PRESENT);
	if (r)
		kref_get(&r->kref);
	xa_unlock(&cxltier_ranges);
	return r;
}

/**
 * cxltier_range_may_access() - may the caller read or report on a range?
 * @r: the range
 *
 * Ranges of the caller's own address space are open to it; any range is
 * open to CAP_SYS_ADMIN (the agent).
 *
 * Return: true when allowed.
 */
bool cxltier_range_may_access(const struct cxltier_range *r)
{
	return r->mm == current->mm || capable(CAP_SYS_ADMIN);
}

/**
 * cxltier_nr_ranges() - ranges registered now
 *
 * Return: the count.
 */
u64 cxltier_nr_ranges(void)
{
	return READ_ONCE(cxltier_ranges_count);
}

/**
 * cxltier_nr_chunks() - chunks of all registered ranges
 *
 * Return: the count.
 */
u64 cxltier_nr_chunks(void)
{
	return READ_ONCE(cxltier_chunks_count);
}

/* Called under cxltier_track_lock: does [start, end) overlap a range of cmm? */
static bool __cxltier_mm_overlaps(struct cxltier_mm *cmm, unsigned long start,
				  unsigned long end)
{
	struct cxltier_range *r;

	lockdep_assert_held(&cxltier_track_lock);
	list_for_each_entry(r, &cmm->ranges, mm_node)
		if (start < r->end && r->start < end)
			return true;
	return false;
}

/*
 * Called under the owner file's lock: unlink @r from the registry, its mm
 * and its file, and drop the registry's reference.
 */
static void __cxltier_range_remove(struct cxltier_file *cf,
				   struct cxltier_range *r)
{
	lockdep_assert_held(&cf->lock);

	mutex_lock(&cxltier_track_lock);
	xa_erase(&cxltier_ranges, r->id);
	list_del_init(&r->mm_node);
	if (list_empty(&r->cmm->ranges))
		list_del_init(&r->cmm->node);
	cxltier_ranges_count--;
	cxltier_chunks_count -= r->nr_chunks;
	WRITE_ONCE(r->removed, true);
	r->owner = NULL;
	mutex_unlock(&cxltier_track_lock);

	list_del_init(&r->file_node);
	cf->nr_ranges--;
	cxltier_range_put(r);
}

/* A label is printable ASCII up to a NUL within CXLTIER_LABEL_LEN bytes. */
static bool cxltier_label_valid(const char *label)
{
	size_t i;

	for (i = 0; i < CXLTIER_LABEL_LEN; i++) {
		if (!label[i])
			return true;
		if (!isascii(label[i]) || !isprint(label[i]))
			return false;
	}
	return false;
}

/*
 * The mm to track for @pid (0: the caller), with a user reference, and
 * its thread group.  Another process's needs CAP_SYS_ADMIN and, standing
 * in for ptrace read access (ptrace_may_access() is not exported to
 * modules), CAP_SYS_PTRACE.
 */
static struct mm_struct *cxltier_owner_mm(pid_t pid, struct pid **tgid)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *p;

	if (pid < 0)
		return ERR_PTR(-EINVAL);
	if (!pid) {
		task = current;
		get_task_struct(task);
	} else {
		p = find_get_pid(pid);
		if (!p)
			return ERR_PTR(-ESRCH);
		task = get_pid_task(p, PIDTYPE_PID);
		put_pid(p);
		if (!task)
			return ERR_PTR(-ESRCH);
	}
	mm = get_task_mm(task);
	if (!mm) {
		mm = ERR_PTR(pid ? -ESRCH : -EINVAL);
	} else if (mm != current->mm &&
		   (!capable(CAP_SYS_ADMIN) || !capable(CAP_SYS_PTRACE))) {
		mmput(mm);
		mm = ERR_PTR(-EPERM);
	} else {
		*tgid = get_task_pid(task, PIDTYPE_TGID);
	}
	put_task_struct(task);
	return mm;
}

/* Is [start, end) covered by VMAs a scanner may walk?  Under mmap_lock. */
static int cxltier_check_vmas(struct mm_struct *mm, unsigned long start,
			      unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long addr = start;

	while (addr < end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr)
			return -EFAULT;
		if (vma->vm_flags & (VM_IO | VM_PFNMAP))
			return -EINVAL;
		addr = vma->vm_end;
	}
	return 0;
}

/* Checks of a TRACK argument that need no state: 0 or -EINVAL. */
static int cxltier_track_check(struct cxltier_track *t)
{
	u64 end;

	if (t->flags || t->id || t->nr_chunks ||
	    !cxltier_reserved_zero(t->reserved, sizeof(t->reserved)))
		return -EINVAL;
	if (!t->sources || (t->sources & ~CXLTIER_SRC_ALL))
		return -EINVAL;
	if (!t->length || !PAGE_ALIGNED(t->start) || !PAGE_ALIGNED(t->length))
		return -EINVAL;
	if (check_add_overflow(t->start, t->length, &end) || end > TASK_SIZE)
		return -EINVAL;
	if (!t->chunk_size)
		t->chunk_size = CXLTIER_CHUNK_DEFAULT;
	if (!is_power_of_2(t->chunk_size) || t->chunk_size < CXLTIER_CHUNK_MIN ||
	    t->chunk_size > CXLTIER_CHUNK_MAX)
		return -EINVAL;
	if (!cxltier_label_valid(t->label))
		return -EINVAL;
	return 0;
}

/**
 * cxltier_ioc_track() - CXLTIER_IOC_TRACK: register a range
 * @cf: the calling file, which will own the range
 * @karg: struct cxltier_track
 *
 * Return: 0 with id and nr_chunks filled, or -EINVAL (bad argument),
 * -EPERM (another process without the capabilities), -ESRCH (no such
 * process or it has no address space), -EFAULT (part of the range is not
 * mapped), -EEXIST (overlaps a range of the same mm), -ENOSPC (a limit),
 * -ENOMEM, -EINTR.
 */
long cxltier_ioc_track(struct cxltier_file *cf, void *karg)
{
	struct cxltier_track *t = karg;
	struct mmu_notifier *mn;
	struct cxltier_range *r;
	struct mm_struct *mm;
	struct pid *tgid = NULL;
	u64 nr_chunks;
	int ret;

	ret = cxltier_track_check(t);
	if (ret)
		return ret;
	nr_chunks = DIV_ROUND_UP(t->length, t->chunk_size);
	if (nr_chunks > READ_ONCE(cxltier_tunables.max_chunks))
		return -ENOSPC;

	mutex_lock(&cf->lock);
	if (cf->nr_ranges >= READ_ONCE(cxltier_tunables.max_ranges_per_fd)) {
		ret = -ENOSPC;
		goto out_unlock_file;
	}

	mm = cxltier_owner_mm(t->pid, &tgid);
	if (IS_ERR(mm)) {
		ret = PTR_ERR(mm);
		goto out_unlock_file;
	}

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!r) {
		ret = -ENOMEM;
		goto out_mmput;
	}
	r->chunks = kvcalloc(nr_chunks, sizeof(*r->chunks),
			     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!r->chunks) {
		ret = -ENOMEM;
		goto out_free_range;
	}
	kref_init(&r->kref);
	mutex_init(&r->heat_lock);
	INIT_LIST_HEAD(&r->file_node);
	INIT_LIST_HEAD(&r->mm_node);
	r->mm = mm;
	r->start = t->start;
	r->end = t->start + t->length;
	r->chunk_shift = ilog2(t->chunk_size);
	r->nr_chunks = nr_chunks;
	r->sources = t->sources;
	strscpy(r->label, t->label, sizeof(r->label));
	for (nr_chunks = 0; nr_chunks < r->nr_chunks; nr_chunks++)
		r->chunks[nr_chunks].node = CXLTIER_NODE_NONE;

	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto out_free_chunks;
	}
	ret = cxltier_check_vmas(mm, r->start, r->end);
	mmap_read_unlock(mm);
	if (ret)
		goto out_free_chunks;

	/* Takes mmap_lock for writing: outside cxltier_track_lock. */
	mn = mmu_notifier_get(&cxltier_mm_ops, mm);
	if (IS_ERR(mn)) {
		ret = PTR_ERR(mn);
		goto out_free_chunks;
	}
	r->cmm = container_of(mn, struct cxltier_mm, mn);

	mutex_lock(&cxltier_track_lock);
	if (cxltier_chunks_count + r->nr_chunks >
	    READ_ONCE(cxltier_tunables.max_chunks)) {
		ret = -ENOSPC;
		goto out_unlock_track;
	}
	if (r->cmm->dead) {
		ret = -ESRCH;
		goto out_unlock_track;
	}
	if (__cxltier_mm_overlaps(r->cmm, r->start, r->end)) {
		ret = -EEXIST;
		goto out_unlock_track;
	}
	ret = xa_alloc_cyclic(&cxltier_ranges, &r->id, r, xa_limit_32b,
			      &cxltier_next_id, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (ret < 0) {
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto out_unlock_track;
	}
	if (list_empty(&r->cmm->node))
		list_add(&r->cmm->node, &cxltier_mms);
	list_add_tail(&r->mm_node, &r->cmm->ranges);
	cxltier_ranges_count++;
	cxltier_chunks_count += r->nr_chunks;
	r->owner = cf;
	r->pid = tgid;
	mutex_unlock(&cxltier_track_lock);

	list_add_tail(&r->file_node, &cf->ranges);
	cf->nr_ranges++;
	atomic64_add(cxltier_range_bytes(r->nr_chunks),
		     &cxltier_stats.metadata_bytes);
	t->id = r->id;
	t->nr_chunks = r->nr_chunks;
	mutex_unlock(&cf->lock);
	mmput(mm);
	cxltier_heat_kick();
	return 0;

out_unlock_track:
	mutex_unlock(&cxltier_track_lock);
	mmu_notifier_put(mn);
out_free_chunks:
	mutex_destroy(&r->heat_lock);
	kvfree(r->chunks);
out_free_range:
	kfree(r);
out_mmput:
	put_pid(tgid);
	mmput(mm);
out_unlock_file:
	mutex_unlock(&cf->lock);
	return ret;
}

/**
 * cxltier_ioc_untrack() - CXLTIER_IOC_UNTRACK: unregister a range
 * @cf: the calling file
 * @karg: struct cxltier_untrack
 *
 * Return: 0, -EINVAL (flags or reserved fields), or -ENOENT when @cf owns
 * no range with that id.
 */
long cxltier_ioc_untrack(struct cxltier_file *cf, void *karg)
{
	struct cxltier_untrack *u = karg;
	struct cxltier_range *r;
	long ret = -ENOENT;

	if (u->flags || u->reserved0 ||
	    !cxltier_reserved_zero(u->reserved, sizeof(u->reserved)))
		return -EINVAL;

	mutex_lock(&cf->lock);
	r = cxltier_range_get(u->id);
	if (r && r->owner == cf) {
		__cxltier_range_remove(cf, r);
		ret = 0;
	}
	mutex_unlock(&cf->lock);
	cxltier_range_put(r);
	return ret;
}

static void cxltier_range_info_fill(struct cxltier_range_info *info,
				    struct cxltier_range *r)
{
	memset(info, 0, sizeof(*info));
	info->id = r->id;
	rcu_read_lock();
	if (!READ_ONCE(r->cmm->dead) && pid_task(r->pid, PIDTYPE_TGID))
		info->pid = pid_vnr(r->pid);
	rcu_read_unlock();
	info->start = r->start;
	info->length = r->end - r->start;
	info->chunk_size = 1ULL << r->chunk_shift;
	info->nr_chunks = r->nr_chunks;
	info->sources = r->sources;
	memcpy(info->label, r->label, sizeof(info->label));
}

/**
 * cxltier_ioc_get_ranges() - CXLTIER_IOC_GET_RANGES: list ranges
 * @cf: the calling file
 * @karg: struct cxltier_get_ranges
 *
 * Snapshots the ranges into a kernel array under the locks, then copies
 * it out, so no lock is held across a user-memory fault.
 *
 * Return: 0, -EINVAL (flags, reserved, entry_size), -EPERM
 * (CXLTIER_RANGES_ALL without CAP_SYS_ADMIN), -EFAULT, -ENOMEM.
 */
long cxltier_ioc_get_ranges(struct cxltier_file *cf, void *karg)
{
	struct cxltier_get_ranges *g = karg;
	struct cxltier_range_info *snap = NULL;
	bool all = g->flags & CXLTIER_RANGES_ALL;
	struct cxltier_range *r;
	u32 room, n = 0, avail;
	unsigned long id;
	long ret = 0;

	if ((g->flags & ~CXLTIER_RANGES_ALL) ||
	    !cxltier_reserved_zero(g->reserved, sizeof(g->reserved)))
		return -EINVAL;
	if (g->entry_size < sizeof(struct cxltier_range_info) ||
	    g->entry_size > PAGE_SIZE)
		return -EINVAL;
	if (all && !capable(CAP_SYS_ADMIN))
		return -EPERM;

	mutex_lock(&cf->lock);
	mutex_lock(&cxltier_track_lock);
	avail = all ? cxltier_ranges_count : cf->nr_ranges;
	room = min(g->nr_ranges, avail);
	if (room) {
		snap = kvcalloc(room, sizeof(*snap),
				GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!snap) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}
	if (all) {
		xa_for_each(&cxltier_ranges, id, r) {
			if (n == room)
				break;
			cxltier_range_info_fill(&snap[n++], r);
		}
	} else {
		list_for_each_entry(r, &cf->ranges, file_node) {
			if (n == room)
				break;
			cxltier_range_info_fill(&snap[n++], r);
		}
	}
out_unlock:
	mutex_unlock(&cxltier_track_lock);
	mutex_unlock(&cf->lock);
	if (ret)
		return ret;

	for (id = 0; id < n; id++) {
		void __user *dst = u64_to_user_ptr(g->ranges +
						   id * g->entry_size);

		if (copy_to_user(dst, &snap[id], sizeof(*snap)) ||
		    clear_user(dst + sizeof(*snap),
			       g->entry_size - sizeof(*snap))) {
			ret = -EFAULT;
			break;
		}
	}
	kvfree(snap);
	g->nr_ranges = avail;
	return ret;
}

/**
 * cxltier_track_file_init() - set up tracking state of a new open file
 * @cf: the file
 */
void cxltier_track_file_init(struct cxltier_file *cf)
{
	INIT_LIST_HEAD(&cf->ranges);
	cf->nr_ranges = 0;
	cf->seen_epoch = cxltier_heat_epoch_now();
}

/**
 * cxltier_track_file_release() - drop every range of a closing file
 * @cf: the file
 */
void cxltier_track_file_release(struct cxltier_file *cf)
{
	struct cxltier_range *r, *tmp;

	mutex_lock(&cf->lock);
	list_for_each_entry_safe(r, tmp, &cf->ranges, file_node)
		__cxltier_range_remove(cf, r);
	mutex_unlock(&cf->lock);
}

/**
 * cxltier_track_credit_mm() - credit device accesses to the ranges of an mm
 * @mm: the address space
 * @addr: first byte accessed
 * @end: one past the last byte accessed, > @addr
 * @count: accesses to credit to each overlapping chunk
 *
 * Adds @count to pending_dev of every chunk, of every range of @mm with
 * CXLTIER_SRC_DEVICE, that overlaps [@addr, @end).
 *
 * Return: the number of chunks credited.
 */
u64 cxltier_track_credit_mm(struct mm_struct *mm, unsigned long addr,
			    unsigned long end, u64 count)
{
	struct cxltier_range *r;
	struct cxltier_mm *cmm;
	u32 first, last, i;
	u64 credited = 0;

	mutex_lock(&cxltier_track_lock);
	list_for_each_entry(cmm, &cxltier_mms, node) {
		if (cmm->mn.mm != mm)
			continue;
		list_for_each_entry(r, &cmm->ranges, mm_node) {
			if (!(r->sources & CXLTIER_SRC_DEVICE) ||
			    end <= r->start || r->end <= addr)
				continue;
			first = (max(addr, r->start) - r->start) >> r->chunk_shift;
			last = (min(end, r->end) - 1 - r->start) >> r->chunk_shift;
			for (i = first; i <= last; i++)
				atomic64_add(count, &r->chunks[i].pending_dev);
			credited += last - first + 1;
		}
		break;
	}
	mutex_unlock(&cxltier_track_lock);
	return credited;
}

/**
 * cxltier_track_init() - nothing to set up yet; kept for symmetry
 *
 * Return: 0.
 */
int cxltier_track_init(void)
{
	return 0;
}

/**
 * cxltier_track_exit() - wait for the notifiers of freed ranges
 *
 * Every file is closed by now (each holds the module), so every range is
 * removed; their mmu_notifier_put() may still have frees in flight.
 */
void cxltier_track_exit(void)
{
	WARN_ON_ONCE(!xa_empty(&cxltier_ranges));
	mmu_notifier_synchronize();
	xa_destroy(&cxltier_ranges);
}
