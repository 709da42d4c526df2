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
 *   its cxltier_mm's interval tree         under cxltier_track_lock
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
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/interval_tree_generic.h>
#include <linux/hugetlb.h>
#include <linux/log2.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "internal.h"

/*
 * Serialises registration and removal, the per-mm trees and cxltier_mms.
 * Nothing allocates under it: the mm-exit path (the notifier's release)
 * waits for it.
 */
DEFINE_MUTEX(cxltier_track_lock);

/* Every registered range by id (ids from 1, allocated cyclically). */
static DEFINE_XARRAY_ALLOC1(cxltier_ranges);

/* Next id to try, for cyclic allocation; under xa_lock. */
static u32 cxltier_next_id;

/*
 * Address spaces that have ranges (cxltier_mm.node), hashed by mm_struct
 * pointer; under cxltier_track_lock.
 */
static DEFINE_HASHTABLE(cxltier_mms, 6);

/* Registered ranges and their chunks; under cxltier_track_lock. */
static u64 cxltier_ranges_count;
static u64 cxltier_chunks_count;

/* The part of those held by files opened without CAP_SYS_ADMIN; as above. */
static u64 cxltier_user_ranges_count;
static u64 cxltier_user_chunks_count;

/*
 * Per-user accounting of ranges tracked through files opened without
 * CAP_SYS_ADMIN, keyed by the opener's uid; an entry lives while its
 * user has a range or a TRACK under way.  Lookups and inserts under the
 * xarray's lock; the counts under cxltier_track_lock.
 */
static DEFINE_XARRAY(cxltier_users);

/**
 * struct cxltier_user - one user's tracked ranges and chunks
 * @users: ranges and TRACK calls holding the entry, under the xa_lock
 * @ranges: ranges of this user, under cxltier_track_lock
 * @chunks: chunks of those ranges, under cxltier_track_lock
 */
struct cxltier_user {
	unsigned long users;
	u64 ranges;
	u64 chunks;
};

/* The accounting entry of @uid with one more holder, or NULL (no memory). */
static struct cxltier_user *cxltier_user_get(kuid_t uid)
{
	unsigned long key = __kuid_val(uid);
	struct cxltier_user *u, *fresh;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!fresh)
		return NULL;
	xa_lock(&cxltier_users);
	u = xa_load(&cxltier_users, key);
	if (!u) {
		u = fresh;
		fresh = NULL;
		if (xa_err(__xa_store(&cxltier_users, key, u,
				      GFP_ATOMIC | __GFP_NOWARN))) {
			xa_unlock(&cxltier_users);
			kfree(u);
			return NULL;
		}
	}
	u->users++;
	xa_unlock(&cxltier_users);
	kfree(fresh);
	return u;
}

static void cxltier_user_put(kuid_t uid, struct cxltier_user *u)
{
	if (!u)
		return;
	xa_lock(&cxltier_users);
	if (!--u->users) {
		__xa_erase(&cxltier_users, __kuid_val(uid));
		kfree(u);
	}
	xa_unlock(&cxltier_users);
}

static struct mmu_notifier *cxltier_mm_alloc(struct mm_struct *mm)
{
	struct cxltier_mm *cmm;

	cmm = kzalloc(sizeof(*cmm), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!cmm)
		return ERR_PTR(-ENOMEM);
	INIT_HLIST_NODE(&cmm->node);
	cmm->ranges = RB_ROOT_CACHED;
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
	cxltier_user_put(r->uid, r->user);
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

/*
 * Was @r tracked through a file of @cf's opener's user?  r->uid and
 * r->user are set at TRACK for files without CAP_SYS_ADMIN only, and
 * never change.
 */
static bool cxltier_range_same_user(const struct cxltier_file *cf,
				    const struct cxltier_range *r)
{
	return r->user && uid_eq(r->uid, cf->uid);
}

/**
 * cxltier_range_may_access() - may a file read or report on a range?
 * @cf: the calling file
 * @r: the range
 *
 * Ranges of the caller's own address space are open to it, and those of
 * files its opener's user opened without CAP_SYS_ADMIN (a runtime user
 * reads the heat of its own buffers); any range is open to a file whose
 * opener had CAP_SYS_ADMIN (the agent).  The credentials are the
 * opener's, taken once at open, so a denial writes no audit record.
 *
 * Return: true when allowed.
 */
bool cxltier_range_may_access(const struct cxltier_file *cf,
			      const struct cxltier_range *r)
{
	return cf->admin || r->mm == current->mm || cxltier_range_same_user(cf, r);
}

/**
 * cxltier_range_get_for() - look a range up for a file that may use it
 * @cf: the calling file
 * @id: range id
 *
 * A range the file may not use is not found, so that ids of other users'
 * ranges cannot be told from ids that are free.
 *
 * Return: the range with a reference held, or NULL.
 */
struct cxltier_range *cxltier_range_get_for(const struct cxltier_file *cf,
					    u32 id)
{
	struct cxltier_range *r = cxltier_range_get(id);

	if (r && !cxltier_range_may_access(cf, r)) {
		cxltier_range_put(r);
		r = NULL;
	}
	return r;
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

/**
 * cxltier_nr_user_ranges() - ranges of files opened without CAP_SYS_ADMIN
 *
 * Return: the count.
 */
u64 cxltier_nr_user_ranges(void)
{
	return READ_ONCE(cxltier_user_ranges_count);
}

/**
 * cxltier_nr_user_chunks() - chunks of those ranges
 *
 * Return: the count.
 */
u64 cxltier_nr_user_chunks(void)
{
	return READ_ONCE(cxltier_user_chunks_count);
}

/* The ranges of one mm by address, [start, end - 1]: cxltier_rtree_*(). */
#define CXLTIER_RANGE_START(r)	((r)->start)
#define CXLTIER_RANGE_LAST(r)	((r)->end - 1)
INTERVAL_TREE_DEFINE(struct cxltier_range, mm_node, unsigned long,
		     mm_subtree_last, CXLTIER_RANGE_START, CXLTIER_RANGE_LAST,
		     static, cxltier_rtree);

/* Called under cxltier_track_lock: does [start, end) overlap a range of cmm? */
static bool __cxltier_mm_overlaps(struct cxltier_mm *cmm, unsigned long start,
				  unsigned long end)
{
	lockdep_assert_held(&cxltier_track_lock);
	return cxltier_rtree_iter_first(&cmm->ranges, start, end - 1);
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
	cxltier_rtree_remove(r, &r->cmm->ranges);
	if (RB_EMPTY_ROOT(&r->cmm->ranges.rb_root))
		hash_del(&r->cmm->node);
	cxltier_ranges_count--;
	cxltier_chunks_count -= r->nr_chunks;
	if (r->user) {
		r->user->ranges--;
		r->user->chunks -= r->nr_chunks;
		cxltier_user_ranges_count--;
		cxltier_user_chunks_count -= r->nr_chunks;
	}
	WRITE_ONCE(r->removed, true);
	r->owner = NULL;
	mutex_unlock(&cxltier_track_lock);

	list_del_init(&r->file_node);
	cf->nr_ranges--;
	cxltier_range_put(r);
}

/*
 * Called under cxltier_track_lock: may @r be added?  Every range counts
 * against max_chunks.  A range of a file opened without CAP_SYS_ADMIN also
 * counts against its user's max_user_chunks and max_user_ranges, and all
 * such ranges together may hold at most three quarters of max_chunks, so
 * that users cannot starve the agent.
 */
static bool cxltier_track_fits(const struct cxltier_range *r)
{
	u64 max = READ_ONCE(cxltier_tunables.max_chunks);

	lockdep_assert_held(&cxltier_track_lock);
	if (cxltier_chunks_count + r->nr_chunks > max)
		return false;
	if (!r->user)
		return true;
	return r->user->chunks + r->nr_chunks <=
			READ_ONCE(cxltier_tunables.max_user_chunks) &&
		r->user->ranges < READ_ONCE(cxltier_tunables.max_user_ranges) &&
		cxltier_user_chunks_count + r->nr_chunks <= max - max / 4;
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
 * The struct pid of a pidfd, or NULL when @file is not one.  pidfd_pid()
 * is not exported.  From 6.9 a pidfd is the only kind of file on pidfs
 * and its inode's i_private is the pid; before, it is the only
 * anonymous-inode file named "[pidfd]" and its private_data is the pid.
 */
static struct pid *cxltier_file_pid(const struct file *file)
{
	const struct super_block *sb = file_inode(file)->i_sb;

#ifdef PID_FS_MAGIC
	if (sb->s_magic == PID_FS_MAGIC)
		return file_inode(file)->i_private;
#else
	if (sb->s_magic == ANON_INODE_FS_MAGIC &&
	    !strcmp(file->f_path.dentry->d_name.name, "[pidfd]"))
		return file->private_data;
#endif
	return NULL;
}

/* The struct pid a pidfd refers to, with a reference, or an ERR_PTR. */
static struct pid *cxltier_pidfd_get_pid(int fd)
{
	struct file *file;
	struct pid *pid;

	if (fd < 0)
		return ERR_PTR(-EBADF);
	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	pid = cxltier_file_pid(file);
	pid = pid ? get_pid(pid) : ERR_PTR(-EINVAL);
	fput(file);
	return pid;
}

/*
 * The mm to track for @t (pid 0: the caller; with CXLTIER_TRACK_PIDFD, a
 * pidfd), with a user reference, and its thread group.  Another process's
 * needs a file opened with CAP_SYS_ADMIN and CAP_SYS_PTRACE, standing in
 * for ptrace read access (ptrace_may_access() is not exported to
 * modules).
 */
static struct mm_struct *cxltier_owner_mm(const struct cxltier_file *cf,
					  const struct cxltier_track *t,
					  struct pid **tgid)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *p;

	if (t->flags & CXLTIER_TRACK_PIDFD) {
		p = cxltier_pidfd_get_pid(t->pid);
		if (IS_ERR(p))
			return ERR_CAST(p);
	} else if (t->pid < 0) {
		return ERR_PTR(-EINVAL);
	} else if (!t->pid) {
		p = get_task_pid(current, PIDTYPE_PID);
	} else {
		p = find_get_pid(t->pid);
		if (!p)
			return ERR_PTR(-ESRCH);
	}
	task = get_pid_task(p, PIDTYPE_PID);
	put_pid(p);
	if (!task)
		return ERR_PTR(-ESRCH);
	mm = get_task_mm(task);
	if (!mm) {
		mm = ERR_PTR(task == current ? -EINVAL : -ESRCH);
	} else if (mm != current->mm && (!cf->admin || !cf->ptrace)) {
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
		/* Shared hugetlb PMDs change under another mm's lock. */
		if (is_vm_hugetlb_page(vma))
			return -EOPNOTSUPP;
		addr = vma->vm_end;
	}
	return 0;
}

/* Checks of a TRACK argument that need no state: 0 or -EINVAL. */
static int cxltier_track_check(struct cxltier_track *t)
{
	u64 end;

	if ((t->flags & ~CXLTIER_TRACK_PIDFD) || t->id || t->nr_chunks ||
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
 * Return: 0 with id and nr_chunks filled, or -EINVAL (bad argument, or
 * CXLTIER_TRACK_PIDFD with a file that is not a pidfd), -EBADF (no such
 * file descriptor), -EPERM (another process without the capabilities),
 * -ESRCH (no such process or it has no address space), -EFAULT (part of
 * the range is not mapped), -EOPNOTSUPP (part of it is hugetlb), -EEXIST
 * (overlaps a range of the same mm), -ENOSPC (a limit), -ENOMEM, -EINTR.
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
	/* Before anything is allocated for it. */
	if (nr_chunks > READ_ONCE(cxltier_tunables.max_chunks) ||
	    (!cf->admin &&
	     nr_chunks > READ_ONCE(cxltier_tunables.max_user_chunks)))
		return -ENOSPC;

	mutex_lock(&cf->lock);
	if (cf->nr_ranges >= READ_ONCE(cxltier_tunables.max_ranges_per_fd)) {
		ret = -ENOSPC;
		goto out_unlock_file;
	}

	mm = cxltier_owner_mm(cf, t, &tgid);
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
	r->mm = mm;
	r->start = t->start;
	r->end = t->start + t->length;
	r->chunk_shift = ilog2(t->chunk_size);
	r->nr_chunks = nr_chunks;
	r->sources = t->sources;
	strscpy(r->label, t->label, sizeof(r->label));
	for (nr_chunks = 0; nr_chunks < r->nr_chunks; nr_chunks++)
		r->chunks[nr_chunks].node = CXLTIER_NODE_NONE;
	if (!cf->admin) {
		r->uid = cf->uid;
		r->user = cxltier_user_get(r->uid);
		if (!r->user) {
			ret = -ENOMEM;
			goto out_free_chunks;
		}
	}

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

	/* Reserve an id (a NULL entry, invisible to lookups) outside the lock. */
	ret = xa_alloc_cyclic(&cxltier_ranges, &r->id, NULL, xa_limit_32b,
			      &cxltier_next_id, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (ret < 0) {
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto out_put_notifier;
	}

	mutex_lock(&cxltier_track_lock);
	if (!cxltier_track_fits(r)) {
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
	/* The id was reserved above: storing into its slot allocates nothing. */
	xa_store(&cxltier_ranges, r->id, r, GFP_NOWAIT);
	if (hlist_unhashed(&r->cmm->node))
		hash_add(cxltier_mms, &r->cmm->node, (unsigned long)mm);
	cxltier_rtree_insert(r, &r->cmm->ranges);
	cxltier_ranges_count++;
	cxltier_chunks_count += r->nr_chunks;
	if (r->user) {
		r->user->ranges++;
		r->user->chunks += r->nr_chunks;
		cxltier_user_ranges_count++;
		cxltier_user_chunks_count += r->nr_chunks;
	}
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
	xa_erase(&cxltier_ranges, r->id);
out_put_notifier:
	mmu_notifier_put(mn);
out_free_chunks:
	cxltier_user_put(r->uid, r->user);
	mutex_destroy(&r->heat_lock);
	kvfree(r->chunks);
out_free_range:
	kfree(r);
out_mmput:
	mutex_unlock(&cf->lock);
	put_pid(tgid);
	/* The last mmput() may run exit_mmap(): never under cf->lock. */
	mmput(mm);
	return ret;
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
 * (CXLTIER_RANGES_ALL on a file not opened with CAP_SYS_ADMIN), -EAGAIN
 * (ranges kept being added while the room was allocated), -EFAULT,
 * -ENOMEM.
 */
long cxltier_ioc_get_ranges(struct cxltier_file *cf, void *karg)
{
	struct cxltier_get_ranges *g = karg;
	struct cxltier_range_info *snap = NULL;
	bool all = g->flags & CXLTIER_RANGES_ALL;
	bool user = g->flags & CXLTIER_RANGES_USER;
	struct cxltier_range *r;
	u32 room, n = 0, avail, tries = 0;
	unsigned long id;
	long ret = 0;

	if ((g->flags & ~(CXLTIER_RANGES_ALL | CXLTIER_RANGES_USER)) ||
	    (all && user) ||
	    !cxltier_reserved_zero(g->reserved, sizeof(g->reserved)))
		return -EINVAL;
	if (g->entry_size < sizeof(struct cxltier_range_info) ||
	    g->entry_size > PAGE_SIZE)
		return -EINVAL;
	if (all && !cf->admin)
		return -EPERM;

	/*
	 * Room for what exists now, allocated before the locks (nothing
	 * allocates under cxltier_track_lock); if ranges were added in
	 * between so that more would fit, measure again.
	 */
again:
	/* For USER, every range is the bound: which match is known below. */
	avail = all || user ? cxltier_nr_ranges() : READ_ONCE(cf->nr_ranges);
	room = min(g->nr_ranges, avail);
	if (room) {
		snap = kvcalloc(room, sizeof(*snap),
				GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!snap)
			return -ENOMEM;
	}

	mutex_lock(&cf->lock);
	mutex_lock(&cxltier_track_lock);
	avail = all || user ? cxltier_ranges_count : cf->nr_ranges;
	if (min(g->nr_ranges, avail) > room) {
		mutex_unlock(&cxltier_track_lock);
		mutex_unlock(&cf->lock);
		kvfree(snap);
		snap = NULL;
		if (++tries > 8)
			return -EAGAIN;
		goto again;
	}
	if (all) {
		xa_for_each(&cxltier_ranges, id, r) {
			if (n == room)
				break;
			cxltier_range_info_fill(&snap[n++], r);
		}
	} else if (user) {
		avail = 0;
		xa_for_each(&cxltier_ranges, id, r) {
			if (!cxltier_range_same_user(cf, r))
				continue;
			if (n < room)
				cxltier_range_info_fill(&snap[n++], r);
			avail++;
		}
	} else {
		list_for_each_entry(r, &cf->ranges, file_node) {
			if (n == room)
				break;
			cxltier_range_info_fill(&snap[n++], r);
		}
	}
	mutex_unlock(&cxltier_track_lock);
	mutex_unlock(&cf->lock);

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

/* Called under cxltier_track_lock: the cxltier_mm of @mm, or NULL. */
static struct cxltier_mm *__cxltier_mm_find(struct mm_struct *mm)
{
	struct cxltier_mm *cmm;

	lockdep_assert_held(&cxltier_track_lock);
	hash_for_each_possible(cxltier_mms, cmm, node, (unsigned long)mm)
		if (cmm->mn.mm == mm)
			return cmm;
	return NULL;
}

/* First and last chunk of @r that [addr, end) overlaps; false if none. */
static bool cxltier_range_span(const struct cxltier_range *r,
			       unsigned long addr, unsigned long end,
			       u32 *first, u32 *last)
{
	if (!(r->sources & CXLTIER_SRC_DEVICE) || end <= r->start ||
	    r->end <= addr)
		return false;
	*first = (max(addr, r->start) - r->start) >> r->chunk_shift;
	*last = (min(end, r->end) - 1 - r->start) >> r->chunk_shift;
	return true;
}

/**
 * cxltier_track_credit_mm() - credit device accesses to the ranges of an mm
 * @mm: the address space
 * @addr: first byte accessed
 * @end: one past the last byte accessed, > @addr
 * @count: accesses to credit to each overlapping chunk
 * @credited: out: the number of chunks credited
 *
 * Adds @count to pending_dev of every chunk, of every range of @mm with
 * CXLTIER_SRC_DEVICE, that overlaps [@addr, @end), unless they are more
 * than CXLTIER_REPORT_MAX_CHUNKS: the work under cxltier_track_lock is
 * bounded by the ranges of @mm plus that many chunks.
 *
 * Return: 0, or -E2BIG (too many chunks; nothing credited).
 */
int cxltier_track_credit_mm(struct mm_struct *mm, unsigned long addr,
			    unsigned long end, u64 count, u64 *credited)
{
	struct cxltier_range *r;
	struct cxltier_mm *cmm;
	u32 first, last, i;
	u64 total = 0;
	int ret = 0;

	*credited = 0;
	mutex_lock(&cxltier_track_lock);
	cmm = __cxltier_mm_find(mm);
	if (!cmm)
		goto out_unlock;
	for (r = cxltier_rtree_iter_first(&cmm->ranges, addr, end - 1); r;
	     r = cxltier_rtree_iter_next(r, addr, end - 1))
		if (cxltier_range_span(r, addr, end, &first, &last))
			total += (u64)last - first + 1;
	if (total > CXLTIER_REPORT_MAX_CHUNKS) {
		ret = -E2BIG;
		goto out_unlock;
	}
	for (r = cxltier_rtree_iter_first(&cmm->ranges, addr, end - 1); r;
	     r = cxltier_rtree_iter_next(r, addr, end - 1)) {
		if (!cxltier_range_span(r, addr, end, &first, &last))
			continue;
		for (i = first; i <= last; i++) {
			atomic64_add(count, &r->chunks[i].pending_dev);
			if (!(i & 1023))
				cond_resched();
		}
	}
	*credited = total;
out_unlock:
	mutex_unlock(&cxltier_track_lock);
	return ret;
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
	WARN_ON_ONCE(!xa_empty(&cxltier_users));
	mmu_notifier_synchronize();
	xa_destroy(&cxltier_ranges);
	xa_destroy(&cxltier_users);
}
