// SPDX-License-Identifier: GPL-2.0
/*
 * The device heat source through the ioctl: batched access records from
 * user space (an accelerator runtime that knows what its kernels touch).
 * Drivers call cxltier_report_access() (track.c) instead.
 *
 * All records are checked before any is applied, so a bad batch changes
 * nothing and error_index names the first bad record.  A range removed
 * between the check and the apply is skipped.
 */

#include <linux/cxltier.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

/**
 * cxltier_report_access() - an accelerator touched user memory
 * @mm: address space of the buffer (the caller holds a reference)
 * @addr: first byte the device accessed
 * @len: bytes accessed, not 0
 * @count: accesses to credit to each chunk overlapping the span, 1 to
 *	U32_MAX
 *
 * Credits @count device accesses to every chunk, of every tracked range
 * of @mm with CXLTIER_SRC_DEVICE, that overlaps [@addr, @addr + @len).
 * The chunks' heat grows by @count * device_weight at the end of the
 * epoch, and their dev_count shows @count.
 *
 * Context: process context; may sleep.
 * Return: the number of chunks credited (at most INT_MAX), -EINVAL for a
 * bad argument, or -ENOENT when no tracked range of @mm that accepts
 * device reports overlaps the span.
 */
int cxltier_report_access(struct mm_struct *mm, unsigned long addr,
			  unsigned long len, u64 count)
{
	unsigned long end;
	u64 credited;

	might_sleep();
	if (!mm || !len || !count || count > U32_MAX ||
	    check_add_overflow(addr, len, &end))
		return -EINVAL;
	credited = cxltier_track_credit_mm(mm, addr, end, count);
	if (!credited)
		return -ENOENT;
	atomic64_inc(&cxltier_stats.device_reports);
	return min_t(u64, credited, INT_MAX);
}
EXPORT_SYMBOL_GPL(cxltier_report_access);

/* Check one record; 0 or a negative errno. */
static int cxltier_report_check(const struct cxltier_access_record *rec)
{
	struct cxltier_range *r;
	int ret = 0;

	if (!rec->nr_chunks || !rec->count || rec->count > U32_MAX)
		return -EINVAL;
	r = cxltier_range_get(rec->id);
	if (!r)
		return -ENOENT;
	if (!cxltier_range_may_access(r))
		ret = -EPERM;
	else if (!(r->sources & CXLTIER_SRC_DEVICE) ||
		 rec->first_chunk >= r->nr_chunks ||
		 rec->nr_chunks > r->nr_chunks - rec->first_chunk)
		ret = -EINVAL;
	cxltier_range_put(r);
	return ret;
}

static void cxltier_report_apply(const struct cxltier_access_record *rec)
{
	struct cxltier_range *r;
	u64 i;

	r = cxltier_range_get(rec->id);
	if (!r)
		return;
	for (i = rec->first_chunk; i < rec->first_chunk + rec->nr_chunks; i++)
		atomic64_add(rec->count, &r->chunks[i].pending_dev);
	atomic64_inc(&cxltier_stats.device_reports);
	cxltier_range_put(r);
}

/**
 * cxltier_ioc_report() - CXLTIER_IOC_REPORT: device access records
 * @cf: the calling file
 * @karg: struct cxltier_report; error_index is set on a record error
 *
 * Return: 0, or -EINVAL (flags, reserved, nr_records outside
 * 1..CXLTIER_REPORT_MAX, record_size, or a record with a zero count or
 * nr_chunks, a count above U32_MAX, chunks outside the range, or a range
 * without CXLTIER_SRC_DEVICE), -E2BIG (a record longer than the module
 * knows with non-zero bytes past it), -ENOENT (no such range), -EPERM
 * (another process's range without CAP_SYS_ADMIN), -EFAULT, -ENOMEM.
 */
long cxltier_ioc_report(struct cxltier_file *cf, void *karg)
{
	struct cxltier_report *rep = karg;
	struct cxltier_access_record *recs;
	long ret = 0;
	u32 i;

	rep->error_index = 0;
	if (rep->flags || rep->reserved0 ||
	    !cxltier_reserved_zero(rep->reserved, sizeof(rep->reserved)))
		return -EINVAL;
	if (!rep->nr_records || rep->nr_records > CXLTIER_REPORT_MAX ||
	    rep->record_size < sizeof(*recs) || rep->record_size > PAGE_SIZE)
		return -EINVAL;

	recs = kvmalloc_array(rep->nr_records, sizeof(*recs),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!recs)
		return -ENOMEM;

	for (i = 0; i < rep->nr_records; i++) {
		void __user *src = u64_to_user_ptr(rep->records +
						   (u64)i * rep->record_size);

		ret = copy_struct_from_user(&recs[i], sizeof(*recs), src,
					    rep->record_size);
		if (!ret)
			ret = cxltier_report_check(&recs[i]);
		if (ret) {
			rep->error_index = i;
			goto out_free;
		}
	}
	for (i = 0; i < rep->nr_records; i++)
		cxltier_report_apply(&recs[i]);
out_free:
	kvfree(recs);
	return ret;
}
