// SPDX-License-Identifier: GPL-2.0
/*
 * Heat epochs: the heat kthread, the decay, readout and epoch events.
 *
 * One kthread, "cxltier_heatd", runs two clocks:
 *
 *   every scan_interval_ms   cxltier_scan_pass() (scan.c): young pages go
 *                            to each chunk's pending_cpu
 *   every epoch_ms           the fold: for each chunk of each range
 *                              acc  = pending_cpu + pending_dev * device_weight
 *                              heat = heat * 2^(-epoch_ms / half_life_ms)
 *                                     + acc * CXLTIER_HEAT_ONE
 *                            then the epoch number goes up by one and
 *                            poll()/read() waiters wake
 *
 * Device reports (report.c) add to pending_dev at any time.  The
 * arithmetic is include/cxltier/heat.h, shared with user space so the
 * agent's simulation decays exactly as the module does; this is the only
 * file of the module that includes it.
 *
 * Worked example, epoch_ms = 1000, half_life_ms = 2000, device_weight = 4,
 * a 2 MiB chunk of 4 KiB pages: f = 2^-0.5 = 0.7071.
 *   epoch 1: the scanner finds 100 young pages, a device reports 10
 *            accesses: acc = 100 + 10 * 4 = 140, heat = 140.0
 *   epoch 2: nothing: heat = 140 * 0.7071 = 98.99
 *   epoch 3: one young huge PMD (512 base pages): heat = 98.99 * 0.7071
 *            + 512 = 581.99
 * (in CXLTIER_HEAT_ONE units: 140.0 is 140 << 16).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/freezer.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <cxltier/heat.h>

#include "internal.h"

/* Tunables; defaults documented in Documentation/ABI/testing/. */
struct cxltier_tunables cxltier_tunables = {
	.scan_interval_ms	= 100,
	.scan_budget_pages	= 65536,
	.scan_exact_max_pages	= 262144,
	.scan_sample_pages	= 16,
	.half_life_ms		= 2000,
	.epoch_ms		= 1000,
	.device_weight		= 1,
	.max_ranges_per_fd	= 1024,
	.max_chunks		= 1U << 20,
	.max_user_chunks	= 1U << 18,
	.max_user_ranges	= 4096,
};

/* Counters shown under /sys/kernel/cxltier/stats/. */
struct cxltier_stats cxltier_stats;

/* Completed heat epochs; written by the kthread only. */
static atomic64_t cxltier_epoch = ATOMIC64_INIT(0);

/* poll()/read() waiters for the next epoch. */
static DECLARE_WAIT_QUEUE_HEAD(cxltier_epoch_wq);

/* The kthread sleeps here; woken early when a tunable or range changes. */
static DECLARE_WAIT_QUEUE_HEAD(cxltier_heatd_wq);

/* Something changed that the kthread should look at now. */
static bool cxltier_heatd_kicked;

/* The heat kthread. */
static struct task_struct *cxltier_heatd;

/**
 * cxltier_heat_epoch_now() - completed heat epochs
 *
 * Return: the epoch counter (0 before the first epoch ends).
 */
u64 cxltier_heat_epoch_now(void)
{
	return atomic64_read(&cxltier_epoch);
}

/**
 * cxltier_heat_kick() - make the heat kthread re-read its tunables now
 */
void cxltier_heat_kick(void)
{
	WRITE_ONCE(cxltier_heatd_kicked, true);
	wake_up(&cxltier_heatd_wq);
}

/* End epoch @epoch for one range. */
static void cxltier_heat_fold_range(struct cxltier_range *r, u64 factor,
				    u64 weight, u64 epoch)
{
	struct cxltier_chunk *c;
	u64 cpu, dev, acc;
	u32 i;

	mutex_lock(&r->heat_lock);
	for (i = 0; i < r->nr_chunks; i++) {
		c = &r->chunks[i];
		cpu = atomic64_xchg(&c->pending_cpu, 0);
		dev = atomic64_xchg(&c->pending_dev, 0);
		if (check_mul_overflow(dev, weight, &acc) ||
		    check_add_overflow(acc, cpu, &acc))
			acc = U64_MAX;
		WRITE_ONCE(c->heat, cxltier_heat_epoch(c->heat, factor, acc));
		if (acc)
			WRITE_ONCE(c->last_epoch, epoch);
		WRITE_ONCE(c->cpu_young, min_t(u64, cpu, U32_MAX));
		WRITE_ONCE(c->dev_count, min_t(u64, dev, U32_MAX));
		if (!(i & 1023))
			cond_resched();
	}
	mutex_unlock(&r->heat_lock);
}

/* End the current epoch for every range and wake the waiters. */
static void cxltier_heat_epoch_end(void)
{
	u64 factor = cxltier_heat_factor(READ_ONCE(cxltier_tunables.epoch_ms),
					 READ_ONCE(cxltier_tunables.half_life_ms));
	u64 weight = READ_ONCE(cxltier_tunables.device_weight);
	u64 epoch = atomic64_read(&cxltier_epoch) + 1;
	struct cxltier_range *r;
	unsigned long id = 0;

	while ((r = cxltier_range_get_next(&id))) {
		if (!READ_ONCE(r->removed))
			cxltier_heat_fold_range(r, factor, weight, epoch);
		cxltier_range_put(r);
		if (++id > U32_MAX)
			break;
	}
	atomic64_set(&cxltier_epoch, epoch);
	wake_up_interruptible_poll(&cxltier_epoch_wq, EPOLLIN | EPOLLRDNORM);
}

static int cxltier_heatd_fn(void *unused)
{
	unsigned long next_epoch, next_scan, now, wait;

	/* Suspend must not find the scanner halfway through a page table. */
	set_freezable();
	next_epoch = jiffies + msecs_to_jiffies(READ_ONCE(cxltier_tunables.epoch_ms));
	next_scan = jiffies;
	while (!kthread_should_stop()) {
		if (READ_ONCE(cxltier_heatd_kicked)) {
			WRITE_ONCE(cxltier_heatd_kicked, false);
			/* New tunables take effect from now. */
			now = jiffies;
			next_epoch = min(next_epoch, now +
				msecs_to_jiffies(READ_ONCE(cxltier_tunables.epoch_ms)));
			next_scan = min(next_scan, now +
				msecs_to_jiffies(READ_ONCE(cxltier_tunables.scan_interval_ms)));
		}
		if (time_after_eq(jiffies, next_scan)) {
			if (cxltier_nr_ranges())
				cxltier_scan_pass();
			next_scan = jiffies +
				msecs_to_jiffies(READ_ONCE(cxltier_tunables.scan_interval_ms));
			/* Nothing to scan: sleep until the epoch (TRACK kicks). */
			if (!cxltier_nr_ranges() && time_before(next_scan, next_epoch))
				next_scan = next_epoch;
		}
		if (time_after_eq(jiffies, next_epoch)) {
			cxltier_heat_epoch_end();
			next_epoch += msecs_to_jiffies(READ_ONCE(cxltier_tunables.epoch_ms));
			/* Fell behind by more than an epoch: restart the clock. */
			if (time_after_eq(jiffies, next_epoch))
				next_epoch = jiffies +
					msecs_to_jiffies(READ_ONCE(cxltier_tunables.epoch_ms));
		}
		now = jiffies;
		wait = min(next_epoch - now, next_scan - now);
		if (time_after_eq(now, next_epoch) || time_after_eq(now, next_scan))
			wait = 1;
		wait_event_freezable_timeout(cxltier_heatd_wq,
					     kthread_should_stop() ||
					     READ_ONCE(cxltier_heatd_kicked),
					     wait);
	}
	return 0;
}

/**
 * cxltier_events_wake() - wake read()/poll() waiters: an event was queued
 */
void cxltier_events_wake(void)
{
	wake_up_interruptible_poll(&cxltier_epoch_wq, EPOLLIN | EPOLLRDNORM);
}

/**
 * cxltier_read() - read() of /dev/cxltier: the next epoch event
 * @file: the open device
 * @buf: user buffer for one struct cxltier_event
 * @count: its size, at least sizeof(struct cxltier_event)
 * @ppos: unused
 *
 * Blocks (unless O_NONBLOCK) until an epoch has ended since the last
 * event read on this file (or its opening), then returns one event.
 *
 * Return: sizeof(struct cxltier_event), -EINVAL for a short buffer,
 * -EAGAIN, -ERESTARTSYS, or -EFAULT.
 */
ssize_t cxltier_read(struct file *file, char __user *buf, size_t count,
		     loff_t *ppos)
{
	struct cxltier_file *cf = file->private_data;
	struct cxltier_event ev = { .type = CXLTIER_EVENT_EPOCH };
	u64 seen, now;
	ssize_t ret;

	if (count < sizeof(ev))
		return -EINVAL;
	mutex_lock(&cf->lock);
	seen = cf->seen_epoch;
	mutex_unlock(&cf->lock);

	for (;;) {
		if (file->f_flags & O_NONBLOCK) {
			if (cxltier_heat_epoch_now() == seen &&
			    !cxltier_hotplug_pending(cf))
				return -EAGAIN;
		} else {
			ret = wait_event_interruptible(cxltier_epoch_wq,
						       cxltier_heat_epoch_now() != seen ||
						       cxltier_hotplug_pending(cf));
			if (ret)
				return ret;
		}
		/* Hotplug events first: a drain is more urgent than an epoch. */
		ret = cxltier_hotplug_read(cf, buf);
		if (ret)
			return ret;
		if (cxltier_heat_epoch_now() != seen)
			break;
	}

	mutex_lock(&cf->lock);
	now = cxltier_heat_epoch_now();
	ev.epoch = now;
	ev.missed = now > cf->seen_epoch + 1 ? now - cf->seen_epoch - 1 : 0;
	cf->seen_epoch = now;
	mutex_unlock(&cf->lock);

	if (copy_to_user(buf, &ev, sizeof(ev)))
		return -EFAULT;
	return sizeof(ev);
}

/**
 * cxltier_poll() - poll() of /dev/cxltier
 * @file: the open device
 * @wait: poll table
 *
 * Return: EPOLLIN | EPOLLRDNORM while an epoch event is unread.
 */
__poll_t cxltier_poll(struct file *file, struct poll_table_struct *wait)
{
	struct cxltier_file *cf = file->private_data;

	poll_wait(file, &cxltier_epoch_wq, wait);
	if (cxltier_heat_epoch_now() != READ_ONCE(cf->seen_epoch) ||
	    cxltier_hotplug_pending(cf))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

/* Chunks copied per batch of GET_HEAT; each batch is one fold's view. */
#define CXLTIER_HEAT_BATCH	64

/* Snapshot chunks [first, first + n) of @r into @out. */
static void cxltier_heat_snapshot(struct cxltier_range *r, u32 first, u32 n,
				  struct cxltier_chunk_heat *out)
{
	struct cxltier_chunk *c;
	u32 i;

	memset(out, 0, n * sizeof(*out));
	mutex_lock(&r->heat_lock);
	for (i = 0; i < n; i++) {
		c = &r->chunks[first + i];
		out[i].heat = c->heat;
		out[i].last_epoch = c->last_epoch;
		out[i].cpu_young = c->cpu_young;
		out[i].dev_count = c->dev_count;
		out[i].node = READ_ONCE(c->node);
		out[i].resident_pages = READ_ONCE(c->resident);
		out[i].pinned_pages = READ_ONCE(c->pinned);
	}
	mutex_unlock(&r->heat_lock);
}

/* Copy chunks [first, first + n) of @r to user entries of @esize bytes. */
static int cxltier_heat_copy_out(struct cxltier_range *r, u32 first, u32 n,
				 u64 uptr, u32 esize)
{
	struct cxltier_chunk_heat *batch;
	u32 done = 0, m, i;
	int ret = 0;

	batch = kmalloc_array(CXLTIER_HEAT_BATCH, sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	while (done < n) {
		m = min_t(u32, n - done, CXLTIER_HEAT_BATCH);
		cxltier_heat_snapshot(r, first + done, m, batch);
		for (i = 0; i < m; i++) {
			void __user *dst = u64_to_user_ptr(uptr +
							   (u64)(done + i) * esize);

			if (copy_to_user(dst, &batch[i], sizeof(*batch)) ||
			    clear_user(dst + sizeof(*batch),
				       esize - sizeof(*batch))) {
				ret = -EFAULT;
				goto out_free;
			}
		}
		done += m;
		cond_resched();
	}
out_free:
	kfree(batch);
	return ret;
}

/**
 * cxltier_ioc_get_heat() - CXLTIER_IOC_GET_HEAT: per-chunk heat
 * @cf: the calling file
 * @karg: struct cxltier_get_heat
 *
 * REFRESH walks the placement of every chunk asked for, PLACEMENT of
 * CXLTIER_PLACEMENT_BUDGET page-table entries' worth; neither clears an
 * Accessed bit (cxltier_scan_placement()).
 *
 * Return: 0 with nr_chunks set to the range's chunk count, epoch to the
 * completed epochs and next_chunk to where a placement read resumes, or
 * -EINVAL (flags unknown or both walks, reserved, entry_size,
 * first_chunk past the end), -ENOENT (no such range, or another
 * process's range and the file was not opened with CAP_SYS_ADMIN),
 * -EFAULT, -ENOMEM, -EINTR.
 */
long cxltier_ioc_get_heat(struct cxltier_file *cf, void *karg)
{
	struct cxltier_get_heat *g = karg;
	const u32 walks = CXLTIER_HEAT_REFRESH | CXLTIER_HEAT_PLACEMENT;
	struct cxltier_range *r;
	long ret;
	u32 n, next;

	if ((g->flags & ~walks) || (g->flags & walks) == walks ||
	    g->reserved0 || g->next_chunk || g->reserved)
		return -EINVAL;
	if (g->entry_size < sizeof(struct cxltier_chunk_heat) ||
	    g->entry_size > PAGE_SIZE)
		return -EINVAL;

	r = cxltier_range_get_for(cf, g->id);
	if (!r)
		return -ENOENT;
	if (g->first_chunk > r->nr_chunks) {
		ret = -EINVAL;
		goto out_put;
	}
	n = min_t(u64, g->nr_chunks, r->nr_chunks - g->first_chunk);
	next = g->first_chunk + n;
	if (n && (g->flags & walks)) {
		ret = cxltier_scan_placement(r, g->first_chunk, n,
					     (g->flags & CXLTIER_HEAT_PLACEMENT) ?
					     CXLTIER_PLACEMENT_BUDGET : LONG_MAX,
					     &next);
		if (ret)
			goto out_put;
	}
	ret = cxltier_heat_copy_out(r, g->first_chunk, n, g->chunks,
				    g->entry_size);
	g->nr_chunks = r->nr_chunks;
	g->epoch = cxltier_heat_epoch_now();
	g->next_chunk = next;
out_put:
	cxltier_range_put(r);
	return ret;
}

/**
 * cxltier_heat_init() - start the heat kthread
 *
 * Return: 0 or a negative errno.
 */
int cxltier_heat_init(void)
{
	struct task_struct *t;

	t = kthread_run(cxltier_heatd_fn, NULL, "cxltier_heatd");
	if (IS_ERR(t))
		return PTR_ERR(t);
	cxltier_heatd = t;
	return 0;
}

/**
 * cxltier_heat_exit() - stop the heat kthread and wait for it
 */
void cxltier_heat_exit(void)
{
	kthread_stop(cxltier_heatd);
	cxltier_heatd = NULL;
}
