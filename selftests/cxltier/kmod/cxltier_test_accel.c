// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier_test_accel: a fake accelerator for cxltier's selftests, in the
 * manner of lib/test_hmm.c.  The interface is cxltier_test_accel.h.
 *
 * Per open file: an idr of buffers, each a long-term pinned user range
 * whose pages[] slot is NULL while that page is unpinned.  Every ioctl
 * of a file runs under the file's mutex, so DMA never races an unpin of
 * the same buffer.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cxltier.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/cxltier_test_accel.h>

/**
 * struct cxlta_buf - one pinned buffer
 * @handle: id in the file's idr
 * @addr: first user address
 * @nr_pages: pages in the buffer
 * @nr_pinned: pages pinned now
 * @mm: the pinning process's mm (mmgrab'd, for checks and reports)
 * @pages: pinned pages, NULL where unpinned
 */
struct cxlta_buf {
	u32 handle;
	unsigned long addr;
	unsigned long nr_pages;
	unsigned long nr_pinned;
	struct mm_struct *mm;
	struct page **pages;
};

/**
 * struct cxlta_file - state of one open /dev/cxltier_test_accel
 * @lock: serialises every ioctl of the file
 * @bufs: handle -> struct cxlta_buf, under @lock
 * @nr_bufs: buffers in @bufs
 * @nr_pinned: pages pinned over all buffers
 */
struct cxlta_file {
	struct mutex lock;	/* serialises every ioctl of the file */
	struct idr bufs;
	unsigned int nr_bufs;
	unsigned long nr_pinned;
};

static void cxlta_unpin(struct cxlta_file *af, struct cxlta_buf *b,
			unsigned long first, unsigned long n)
{
	unsigned long i;

	for (i = first; i < first + n; i++) {
		if (!b->pages[i])
			continue;
		unpin_user_pages_dirty_lock(&b->pages[i], 1, true);
		b->pages[i] = NULL;
		b->nr_pinned--;
		af->nr_pinned--;
	}
}

/* Pin pages [first, first + n) of @b at their user addresses. */
static int cxlta_pin_pages(struct cxlta_file *af, struct cxlta_buf *b,
			   unsigned long first, unsigned long n)
{
	unsigned long done = 0;
	int ret;

	while (done < n) {
		ret = pin_user_pages_fast(b->addr + ((first + done) << PAGE_SHIFT),
					  min_t(unsigned long, n - done, INT_MAX),
					  FOLL_WRITE | FOLL_LONGTERM,
					  &b->pages[first + done]);
		if (ret <= 0) {
			b->nr_pinned += done;
			af->nr_pinned += done;
			cxlta_unpin(af, b, first, done);
			return ret ? ret : -EFAULT;
		}
		done += ret;
	}
	b->nr_pinned += n;
	af->nr_pinned += n;
	return 0;
}

static void cxlta_buf_free(struct cxlta_file *af, struct cxlta_buf *b)
{
	cxlta_unpin(af, b, 0, b->nr_pages);
	idr_remove(&af->bufs, b->handle);
	af->nr_bufs--;
	mmdrop(b->mm);
	kvfree(b->pages);
	kfree(b);
}

/* Copy in an argument struct following the argsz convention. */
static int cxlta_copy_in(void *karg, size_t ksize, void __user *uarg)
{
	u32 argsz;

	if (get_user(argsz, (u32 __user *)uarg))
		return -EFAULT;
	if (argsz < ksize)
		return -EINVAL;
	if (argsz > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, argsz);
}

static bool cxlta_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static long cxlta_ioc_pin(struct cxlta_file *af, struct cxlta_pin *p)
{
	unsigned long nr, end;
	struct cxlta_buf *b;
	int ret;

	if (p->flags || p->handle || p->nr_pages ||
	    !cxlta_zero(p->reserved, sizeof(p->reserved)))
		return -EINVAL;
	if (!p->length || !PAGE_ALIGNED(p->addr) || !PAGE_ALIGNED(p->length) ||
	    check_add_overflow((unsigned long)p->addr,
			       (unsigned long)p->length, &end) ||
	    end > TASK_SIZE)
		return -EINVAL;
	nr = p->length >> PAGE_SHIFT;
	if (af->nr_bufs >= CXLTA_MAX_HANDLES ||
	    nr > CXLTA_MAX_PINNED_PAGES - af->nr_pinned)
		return -ENOSPC;

	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;
	b->pages = kvcalloc(nr, sizeof(*b->pages),
			    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!b->pages) {
		ret = -ENOMEM;
		goto err_free_buf;
	}
	b->addr = p->addr;
	b->nr_pages = nr;
	ret = idr_alloc(&af->bufs, b, 1, INT_MAX, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto err_free_pages;
	b->handle = ret;

	ret = cxlta_pin_pages(af, b, 0, nr);
	if (ret)
		goto err_idr;
	mmgrab(current->mm);
	b->mm = current->mm;
	af->nr_bufs++;
	p->handle = b->handle;
	p->nr_pages = nr;
	return 0;

err_idr:
	idr_remove(&af->bufs, b->handle);
err_free_pages:
	kvfree(b->pages);
err_free_buf:
	kfree(b);
	return ret;
}

/* Look a buffer up for the caller. */
static struct cxlta_buf *cxlta_buf_get(struct cxlta_file *af, u32 handle)
{
	struct cxlta_buf *b = idr_find(&af->bufs, handle);

	if (!b)
		return ERR_PTR(-ENOENT);
	if (b->mm != current->mm)
		return ERR_PTR(-EPERM);
	return b;
}

/* Check a page-aligned sub-range; set *@first and *@n in pages. */
static int cxlta_subrange(struct cxlta_buf *b, struct cxlta_range *rg,
			  unsigned long *first, unsigned long *n)
{
	if (!rg->length || !PAGE_ALIGNED(rg->offset) ||
	    !PAGE_ALIGNED(rg->length) ||
	    rg->offset >= (u64)b->nr_pages << PAGE_SHIFT ||
	    rg->length > ((u64)b->nr_pages << PAGE_SHIFT) - rg->offset)
		return -EINVAL;
	*first = rg->offset >> PAGE_SHIFT;
	*n = rg->length >> PAGE_SHIFT;
	return 0;
}

static long cxlta_ioc_range(struct cxlta_file *af, unsigned int cmd,
			    struct cxlta_range *rg)
{
	unsigned long first, n, i;
	struct cxlta_buf *b;
	bool want_pinned;
	int ret;

	if (rg->flags || rg->reserved0 ||
	    !cxlta_zero(rg->reserved, sizeof(rg->reserved)))
		return -EINVAL;
	b = cxlta_buf_get(af, rg->handle);
	if (IS_ERR(b))
		return PTR_ERR(b);

	if (cmd == CXLTA_IOC_RELEASE) {
		if (rg->offset || rg->length)
			return -EINVAL;
		cxlta_buf_free(af, b);
		return 0;
	}

	ret = cxlta_subrange(b, rg, &first, &n);
	if (ret)
		return ret;
	want_pinned = cmd == CXLTA_IOC_UNPIN;
	for (i = first; i < first + n; i++)
		if (!!b->pages[i] != want_pinned)
			return -EINVAL;
	if (cmd == CXLTA_IOC_UNPIN) {
		cxlta_unpin(af, b, first, n);
		return 0;
	}
	return cxlta_pin_pages(af, b, first, n);
}

static u64 cxlta_fnv(u64 h, const u8 *p, size_t len)
{
	while (len--) {
		h ^= *p++;
		h *= CXLTA_FNV_PRIME;
	}
	return h;
}

static long cxlta_ioc_dma(struct cxlta_file *af, struct cxlta_dma *d)
{
	u64 sum = CXLTA_FNV_OFFSET, size, off, done = 0;
	bool write = d->flags & CXLTA_DMA_WRITE;
	unsigned long first, last, i;
	struct cxlta_buf *b;
	u8 *bounce, *kaddr;
	size_t n, pgoff;
	int ret = 0;

	d->report_result = 0;
	d->checksum = 0;
	if ((d->flags & ~(CXLTA_DMA_WRITE | CXLTA_DMA_REPORT)) ||
	    !cxlta_zero(d->reserved, sizeof(d->reserved)) ||
	    (!(d->flags & CXLTA_DMA_REPORT) && d->report_count) ||
	    (d->buf && d->pattern) || d->pattern > 0xff)
		return -EINVAL;
	b = cxlta_buf_get(af, d->handle);
	if (IS_ERR(b))
		return PTR_ERR(b);
	size = (u64)b->nr_pages << PAGE_SHIFT;
	if (!d->length || d->offset >= size || d->length > size - d->offset)
		return -EINVAL;

	first = d->offset >> PAGE_SHIFT;
	last = (d->offset + d->length - 1) >> PAGE_SHIFT;
	for (i = first; i <= last; i++)
		if (!b->pages[i])
			return -EAGAIN;

	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	off = d->offset;
	while (done < d->length) {
		i = off >> PAGE_SHIFT;
		pgoff = offset_in_page(off);
		n = min_t(u64, PAGE_SIZE - pgoff, d->length - done);
		if (write) {
			if (d->buf) {
				if (copy_from_user(bounce,
						   u64_to_user_ptr(d->buf + done), n)) {
					ret = -EFAULT;
					break;
				}
			} else {
				memset(bounce, d->pattern, n);
			}
			kaddr = kmap_local_page(b->pages[i]);
			memcpy(kaddr + pgoff, bounce, n);
			kunmap_local(kaddr);
		} else {
			kaddr = kmap_local_page(b->pages[i]);
			memcpy(bounce, kaddr + pgoff, n);
			kunmap_local(kaddr);
			if (d->buf && copy_to_user(u64_to_user_ptr(d->buf + done),
						   bounce, n)) {
				ret = -EFAULT;
				break;
			}
		}
		sum = cxlta_fnv(sum, bounce, n);
		done += n;
		off += n;
		cond_resched();
	}
	kfree(bounce);
	if (ret)
		return ret;
	d->checksum = sum;
	if (d->flags & CXLTA_DMA_REPORT)
		d->report_result = cxltier_report_access(b->mm,
							 b->addr + d->offset,
							 d->length,
							 d->report_count ?: 1);
	return 0;
}

static long cxlta_ioc_query(struct cxlta_file *af, struct cxlta_query *q)
{
	struct cxlta_page_info info;
	struct cxlta_buf *b;
	unsigned long i, n;

	if (q->flags || q->reserved0 ||
	    !cxlta_zero(q->reserved, sizeof(q->reserved)))
		return -EINVAL;
	b = cxlta_buf_get(af, q->handle);
	if (IS_ERR(b))
		return PTR_ERR(b);
	if (q->first_page > b->nr_pages)
		return -EINVAL;
	n = min_t(u64, q->nr_pages, b->nr_pages - q->first_page);
	for (i = 0; i < n; i++) {
		struct page *page = b->pages[q->first_page + i];

		info.node = page ? page_to_nid(page) : -1;
		info.flags = page ? CXLTA_PAGE_PINNED : 0;
		if (copy_to_user(u64_to_user_ptr(q->pages + i * sizeof(info)),
				 &info, sizeof(info)))
			return -EFAULT;
	}
	q->nr_pages = b->nr_pages;
	q->nr_pinned = b->nr_pinned;
	return 0;
}

/* Largest argument struct: the kernel copy lives on the stack. */
union cxlta_arg {
	struct cxlta_pin pin;
	struct cxlta_range range;
	struct cxlta_dma dma;
	struct cxlta_query query;
};

static long cxlta_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct cxlta_file *af = file->private_data;
	void __user *uarg = (void __user *)arg;
	union cxlta_arg karg;
	size_t size;
	long ret;

	switch (cmd) {
	case CXLTA_IOC_PIN:
		size = sizeof(karg.pin);
		break;
	case CXLTA_IOC_UNPIN:
	case CXLTA_IOC_REPIN:
	case CXLTA_IOC_RELEASE:
		size = sizeof(karg.range);
		break;
	case CXLTA_IOC_DMA:
		size = sizeof(karg.dma);
		break;
	case CXLTA_IOC_QUERY:
		size = sizeof(karg.query);
		break;
	default:
		return -ENOTTY;
	}
	ret = cxlta_copy_in(&karg, size, uarg);
	if (ret)
		return ret;

	mutex_lock(&af->lock);
	switch (cmd) {
	case CXLTA_IOC_PIN:
		ret = cxlta_ioc_pin(af, &karg.pin);
		break;
	case CXLTA_IOC_DMA:
		ret = cxlta_ioc_dma(af, &karg.dma);
		break;
	case CXLTA_IOC_QUERY:
		ret = cxlta_ioc_query(af, &karg.query);
		break;
	default:
		ret = cxlta_ioc_range(af, cmd, &karg.range);
		break;
	}
	mutex_unlock(&af->lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &karg, size) ? -EFAULT : 0;
}

static int cxlta_open(struct inode *inode, struct file *file)
{
	struct cxlta_file *af;

	af = kzalloc(sizeof(*af), GFP_KERNEL_ACCOUNT);
	if (!af)
		return -ENOMEM;
	mutex_init(&af->lock);
	idr_init(&af->bufs);
	file->private_data = af;
	return 0;
}

static int cxlta_release(struct inode *inode, struct file *file)
{
	struct cxlta_file *af = file->private_data;
	struct cxlta_buf *b;
	int id = 0;

	while ((b = idr_get_next(&af->bufs, &id)))
		cxlta_buf_free(af, b);
	idr_destroy(&af->bufs);
	mutex_destroy(&af->lock);
	kfree(af);
	return 0;
}

static const struct file_operations cxlta_fops = {
	.owner		= THIS_MODULE,
	.open		= cxlta_open,
	.release	= cxlta_release,
	.unlocked_ioctl	= cxlta_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* /dev/cxltier_test_accel, root only. */
static struct miscdevice cxlta_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "cxltier_test_accel",
	.fops	= &cxlta_fops,
	.mode	= 0600,
};

module_misc_device(cxlta_miscdev);

MODULE_DESCRIPTION("Fake accelerator for cxltier selftests");
MODULE_AUTHOR("The cxltier developers");
MODULE_LICENSE("GPL");
