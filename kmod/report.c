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
#include <linux/sched.h>
#include <linux/sched/signal.h>
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
 * The span may cover at most CXLTIER_REPORT_MAX_CHUNKS chunks, all
 * ranges together, so one call does bounded work.
 *
 * Context: process context; may sleep.
 * Return: the number of chunks credited (at most INT_MAX), -EINVAL for a
 * bad argument, -E2BIG when the span covers more than
 * CXLTIER_REPORT_MAX_CHUNKS chunks (nothing is credited), or -ENOENT when
 * no tracked range of @mm that accepts device reports overlaps the span.
 */
int cxltier_report_access(struct mm_struct *mm, unsigned long addr,
			  unsigned long len, u64 count)
{
	unsigned long end;
	u64 credited;
	int ret;

	might_sleep();
	if (!mm || !len || !count || count > U32_MAX ||
	    check_add_overflow(addr, len, &end))
		return -EINVAL;
	ret = cxltier_track_credit_mm(mm, addr, end, count, &credited);
	if (ret)
		return ret;
	if (!credited)
		return -ENOENT;
	atomic64_inc(&cxltier_stats.device_reports);
	return min_t(u64, credited, INT_MAX);
}
EXPORT_SYMBOL_GPL(cxltier_report_access);

/**
 * struct cxltier_report_item - one record between its check and its apply
 * @rec: the record, copied in
 * @r: its range, a reference held from the check to the apply
 */
struct cxltier_report_item {
	struct cxltier_access_record rec;
	struct cxltier_range *r;
};

/* Check one record and take its range; 0 or a negative errno. */
static int cxltier_report_check(struct cxltier_file *cf,
				struct cxltier_report_item *it)
{
	const struct cxltier_access_record *rec = &it->rec;
	struct cxltier_range *r;

	if (!rec->nr_chunks || !rec->count || rec->count > U32_MAX)
		return -EINVAL;
	r = cxltier_range_get_for(cf, rec->id);
	if (!r)
		return -ENOENT;
	if (!(r->sources & CXLTIER_SRC_DEVICE) ||
	    rec->first_chunk >= r->nr_chunks ||
	    rec->nr_chunks > r->nr_chunks - rec->first_chunk) {
		cxltier_range_put(r);
		return -EINVAL;
	}
	it->r = r;
	return 0;
}

/* Credit one checked record to the range it was checked against. */
static void cxltier_report_apply(struct cxltier_report_item *it)
{
	struct cxltier_range *r = it->r;
	u64 i, end = it->rec.first_chunk + it->rec.nr_chunks;

	if (READ_ONCE(r->removed))
		return;
	for (i = it->rec.first_chunk; i < end; i++) {
		atomic64_add(it->rec.count, &r->chunks[i].pending_dev);
		if (!(i & 1023))
			cond_resched();
	}
	atomic64_inc(&cxltier_stats.device_reports);
}

/**
 * cxltier_ioc_report() - CXLTIER_IOC_REPORT: device access records
 * @cf: the calling file
 * @karg: struct cxltier_report; error_index is set on a record error
 *
 * The work is bounded: at most CXLTIER_REPORT_MAX records and, all
 * records together, CXLTIER_REPORT_MAX_CHUNKS chunks per call.
 *
 * Return: 0, or -EINVAL (flags, reserved, nr_records outside
 * 1..CXLTIER_REPORT_MAX, record_size, or a record with a zero count or
 * nr_chunks, a count above U32_MAX, chunks outside the range, a range
 * without CXLTIER_SRC_DEVICE, or the record that takes the call past
 * CXLTIER_REPORT_MAX_CHUNKS), -E2BIG (a record longer than the module
 * knows with non-zero bytes past it), -ENOENT (no such range, or one the
 * caller may not report on), -EFAULT, -ENOMEM, -EINTR.
 */
long cxltier_ioc_report(struct cxltier_file *cf, void *karg)
{
	struct cxltier_report *rep = karg;
	struct cxltier_report_item *items;
	u64 total = 0;
	long ret = 0;
	u32 i, n = 0;

	rep->error_index = 0;
	if (rep->flags || rep->reserved0 ||
	    !cxltier_reserved_zero(rep->reserved, sizeof(rep->reserved)))
		return -EINVAL;
	if (!rep->nr_records || rep->nr_records > CXLTIER_REPORT_MAX ||
	    rep->record_size < sizeof(struct cxltier_access_record) ||
	    rep->record_size > PAGE_SIZE)
		return -EINVAL;

	items = kvcalloc(rep->nr_records, sizeof(*items),
			 GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!items)
		return -ENOMEM;

	for (i = 0; i < rep->nr_records; i++) {
		void __user *src = u64_to_user_ptr(rep->records +
						   (u64)i * rep->record_size);

		ret = copy_struct_from_user(&items[i].rec, sizeof(items[i].rec),
					    src, rep->record_size);
		if (!ret)
			ret = cxltier_report_check(cf, &items[i]);
		if (!ret) {
			n++;
			total += items[i].rec.nr_chunks;
			if (total > CXLTIER_REPORT_MAX_CHUNKS)
				ret = -EINVAL;
		}
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		if (ret) {
			rep->error_index = i;
			goto out_put;
		}
		cond_resched();
	}
	for (i = 0; i < n; i++)
		cxltier_report_apply(&items[i]);
out_put:
	for (i = 0; i < n; i++)
		cxltier_range_put(items[i].r);
	kvfree(items);
	return ret;
}
