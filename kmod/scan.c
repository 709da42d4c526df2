// SPDX-License-Identifier: GPL-2.0
/*
 * The CPU heat source: test-and-clear of page-table Accessed bits in the
 * tracked ranges, plus the per-chunk placement figures (node, resident
 * and DMA-pinned pages) gathered on the same walk.
 *
 * walk_page_range() is not exported, and apply_to_existing_page_range()
 * WARNs on a leaf PMD, so the walk goes down pgd/p4d/pud itself and, per
 * PMD, under pmd_lock():
 *
 *   none / not present      nothing resident
 *   leaf (THP, 2M hugetlb)  test_and_clear Accessed on the PMD itself
 *   table                   apply_to_existing_page_range() on that one
 *                           PMD's span; it takes the PTE lock and calls
 *                           cxltier_scan_pte() for each present PTE
 *
 * Holding the PMD lock across the PTE walk keeps the table from being
 * collapsed into a huge PMD between our check and the kernel's (the
 * kernel nests the PTE lock inside the PMD lock the same way).  The upper
 * levels are stable because the walk holds mmap_lock for reading and only
 * walks addresses inside VMAs.  Clearing an Accessed bit needs no TLB
 * flush on x86: a stale TLB entry only delays the next young report, as
 * in ptep_clear_flush_young() (Documentation/design.rst, "TLB caveat").
 * After a clear, the folio is marked young for reclaim (compat.h,
 * cxltier_folio_young()), as DAMON does: otherwise folio_referenced()
 * would see our hottest pages as unused.
 *
 * Ranges of more than scan_exact_max_pages base pages are sampled
 * instead (sample.c): a bounded number of random pages per chunk.
 *
 * The scanner kthread (heat.c) calls cxltier_scan_pass() every
 * scan_interval_ms.  A pass examines at most scan_budget_pages
 * page-table entries (a 4 KiB PTE or a huge PMD counts as one), resuming
 * where the previous pass stopped, round-robin over the ranges in id
 * order, so its cost is bounded whatever is tracked.  It only
 * try-locks mmap_lock, so a busy address space is skipped, not waited
 * for, and it stops early when a writer waits for mmap_lock.
 *
 * Placement walks (GET_HEAT with REFRESH or PLACEMENT) never clear an
 * Accessed bit: heat comes from the kthread only.  They hold mmap_lock
 * for at most CXLTIER_PLACEMENT_HOLD entries at a time and drop it as
 * soon as someone waits for it (mmap_lock_is_contended()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/hugetlb.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmap_lock.h>
#include <linux/page_idle.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/swap.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "internal.h"

/*
 * We nest the PTE lock inside the PMD lock; with neither split they
 * would be the same mm->page_table_lock.
 */
#if defined(USE_SPLIT_PTE_PTLOCKS)
#if !USE_SPLIT_PTE_PTLOCKS
#error "cxltier's scanner needs split PTE page-table locks"
#endif
#elif !IS_ENABLED(CONFIG_SPLIT_PTE_PTLOCKS)
#error "cxltier's scanner needs split PTE page-table locks"
#endif

/**
 * struct cxltier_walk - a walk over part of one range
 * @r: the range
 * @vma: the VMA being walked, under mmap_lock
 * @chunk: chunk whose figures are being gathered
 * @nid: node of the chunk's resident pages so far, CXLTIER_NODE_NONE or
 *	CXLTIER_NODE_MIXED
 * @resident: resident base pages of @chunk so far
 * @pinned: maybe-DMA-pinned base pages of @chunk so far
 * @young: young base pages of @chunk so far, not yet added to pending
 * @clear_young: the range has CXLTIER_SRC_CPU: test-and-clear Accessed
 * @yield: stop (@stopped) when a writer waits for mmap_lock
 * @resched: cond_resched() between steps, mmap_lock held
 * @stopped: the walk stopped early for a waiting mmap_lock writer
 * @budget: page-table entries the walk may still examine
 * @pages: base pages examined
 * @young_total: young base pages found
 */
struct cxltier_walk {
	struct cxltier_range *r;
	struct vm_area_struct *vma;
	u32 chunk;
	s32 nid;
	u32 resident;
	u32 pinned;
	u32 young;
	bool clear_young;
	bool yield;
	bool resched;
	bool stopped;
	long budget;
	u64 pages;
	u64 young_total;
};

static void cxltier_walk_init(struct cxltier_walk *w, struct cxltier_range *r,
			      u32 chunk)
{
	w->r = r;
	w->chunk = chunk;
	w->nid = CXLTIER_NODE_NONE;
	w->resident = 0;
	w->pinned = 0;
	w->young = 0;
	w->clear_young = r->sources & CXLTIER_SRC_CPU;
	w->yield = true;
	w->resched = true;
	w->stopped = false;
}

/* May the walk go on under this hold of mmap_lock? */
static bool cxltier_walk_may_go_on(const struct cxltier_walk *w)
{
	return w->budget > 0 && !w->stopped;
}

/* After each step: stop when a writer waits (the step made progress). */
static void cxltier_walk_check_contention(struct cxltier_walk *w,
					  struct mm_struct *mm)
{
	if (w->yield && mmap_lock_is_contended(mm))
		w->stopped = true;
}

/* Young pages found so far count even when the walk stops mid-chunk. */
static void cxltier_walk_flush_young(struct cxltier_walk *w)
{
	if (w->young) {
		atomic64_add(w->young, &w->r->chunks[w->chunk].pending_cpu);
		w->young_total += w->young;
		w->young = 0;
	}
}

/* The walk covered the whole current chunk: publish it, go to the next. */
static void cxltier_walk_commit(struct cxltier_walk *w)
{
	struct cxltier_chunk *c = &w->r->chunks[w->chunk];

	cxltier_walk_flush_young(w);
	WRITE_ONCE(c->node, w->nid);
	WRITE_ONCE(c->resident, w->resident);
	WRITE_ONCE(c->pinned, w->pinned);
	w->chunk++;
	w->nid = CXLTIER_NODE_NONE;
	w->resident = 0;
	w->pinned = 0;
}

/* Commit every chunk that ends at or before @addr. */
static void cxltier_walk_advance(struct cxltier_walk *w, unsigned long addr)
{
	while (w->chunk < w->r->nr_chunks &&
	       cxltier_chunk_end(w->r, w->chunk) <= addr)
		cxltier_walk_commit(w);
}

/*
 * Account @npages base pages at @addr, all of @page's folio (or none
 * resident when @page is NULL), young or not.
 */
static void cxltier_walk_account(struct cxltier_walk *w, unsigned long addr,
				 unsigned long npages, struct page *page,
				 bool young)
{
	bool pinned = page && folio_maybe_dma_pinned(page_folio(page));
	int nid = page ? page_to_nid(page) : NUMA_NO_NODE;
	unsigned long n;

	while (npages) {
		cxltier_walk_advance(w, addr);
		if (w->chunk >= w->r->nr_chunks)
			return;
		n = min(npages, (cxltier_chunk_end(w->r, w->chunk) - addr) >>
			PAGE_SHIFT);
		if (page) {
			w->resident += n;
			if (pinned)
				w->pinned += n;
			if (w->nid == CXLTIER_NODE_NONE)
				w->nid = nid;
			else if (w->nid != nid)
				w->nid = CXLTIER_NODE_MIXED;
		}
		if (young)
			w->young += n;
		addr += n << PAGE_SHIFT;
		npages -= n;
	}
}

/* The struct page of a mapped pfn, if it is ordinary online memory. */
static struct page *cxltier_pfn_page(unsigned long pfn)
{
	if (is_zero_pfn(pfn))
		return NULL;
	return pfn_to_online_page(pfn);
}

/*
 * Is @page, mapped by a leaf entry of @vma, the huge zero page?  Its
 * symbols are not exported; it is the one large folio mapped in an
 * anonymous VMA that is neither anonymous nor in a file's mapping.
 */
static bool cxltier_is_huge_zero(struct vm_area_struct *vma, struct page *page)
{
	struct folio *folio = page_folio(page);

	return vma_is_anonymous(vma) && !folio_test_anon(folio) &&
		!READ_ONCE(folio->mapping);
}

/*
 * cxltier_apply_to_pte_table() callback, under the PTE lock; called for
 * pte_none() entries too where that is apply_to_page_range().
 */
static int cxltier_scan_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct cxltier_walk *w = data;
	pte_t pte = ptep_get(ptep);
	bool young = false;

	struct page *page;

	if (!pte_present(pte))
		return 0;
	page = cxltier_pfn_page(pte_pfn(pte));
	if (w->clear_young && pte_young(pte))
		young = test_and_clear_bit(_PAGE_BIT_ACCESSED,
					   (unsigned long *)&ptep->pte);
	/* The PTE lock keeps the mapped folio from going away. */
	if (young && page)
		cxltier_folio_young(page_folio(page));
	cxltier_walk_account(w, addr, 1, page, young);
	return 0;
}

/*
 * A leaf entry mapping [base, base + size) of which [addr, next) is ours:
 * test-and-clear its Accessed bit (the caller holds its lock) and account
 * the overlap.
 */
static void cxltier_scan_leaf(struct cxltier_walk *w, unsigned long *entry,
			      bool is_young, unsigned long pfn,
			      unsigned long base, unsigned long addr,
			      unsigned long next)
{
	struct page *page = cxltier_pfn_page(pfn + ((addr - base) >> PAGE_SHIFT));
	bool young = false;

	/* Reads of an untouched THP-enabled area: nothing is resident. */
	if (page && cxltier_is_huge_zero(w->vma, page))
		page = NULL;

	if (w->clear_young && is_young)
		young = test_and_clear_bit(_PAGE_BIT_ACCESSED, entry);
	if (young && page)
		cxltier_folio_young(page_folio(page));
	cxltier_walk_account(w, addr, (next - addr) >> PAGE_SHIFT, page, young);
}

/* One PMD's worth [addr, next) under pmd_lock(). */
static void cxltier_scan_pmd(struct cxltier_walk *w, struct mm_struct *mm,
			     pmd_t *pmdp, unsigned long addr, unsigned long next)
{
	spinlock_t *ptl;	/* the PMD page-table lock */
	pmd_t pmd;

	ptl = pmd_lock(mm, pmdp);
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd) || !pmd_present(pmd)) {
		w->budget--;
	} else if (pmd_leaf(pmd)) {
		cxltier_scan_leaf(w, (unsigned long *)pmdp, pmd_young(pmd),
				  pmd_pfn(pmd), addr & PMD_MASK, addr, next);
		w->budget--;
	} else if (!pmd_bad(pmd)) {
		/* Our callback never fails: an error is the walker's own. */
		if (cxltier_apply_to_pte_table(mm, addr, next - addr,
					       cxltier_scan_pte, w)) {
			atomic64_inc(&cxltier_stats.scan_skipped);
			w->budget = 0;
		} else {
			w->budget -= (next - addr) >> PAGE_SHIFT;
		}
	}
	spin_unlock(ptl);
}

/* A 1 GiB leaf PUD (hugetlb): its lock is mm->page_table_lock. */
static void cxltier_scan_pud_leaf(struct cxltier_walk *w, struct mm_struct *mm,
				  pud_t *pudp, unsigned long addr,
				  unsigned long next)
{
	pud_t pud;

	spin_lock(&mm->page_table_lock);
	pud = READ_ONCE(*pudp);
	if (pud_present(pud) && pud_leaf(pud))
		cxltier_scan_leaf(w, (unsigned long *)pudp, pud_young(pud),
				  pud_pfn(pud), addr & PUD_MASK, addr, next);
	spin_unlock(&mm->page_table_lock);
	w->budget--;
}

/*
 * Walk [addr, end) of one VMA, under mmap_lock, until the budget runs
 * out.  Return: where the walk stopped.
 */
static unsigned long cxltier_scan_vma(struct cxltier_walk *w,
				      struct mm_struct *mm, unsigned long addr,
				      unsigned long end)
{
	unsigned long next;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;

	while (addr < end && cxltier_walk_may_go_on(w)) {
		pgd = pgd_offset(mm, addr);
		next = min(pgd_addr_end(addr, end), end);
		if (pgd_none(READ_ONCE(*pgd)) || pgd_bad(READ_ONCE(*pgd)))
			goto skip;
		p4d = p4d_offset(pgd, addr);
		next = min(p4d_addr_end(addr, end), end);
		if (p4d_none(READ_ONCE(*p4d)) || p4d_bad(READ_ONCE(*p4d)))
			goto skip;
		pud = pud_offset(p4d, addr);
		next = min(pud_addr_end(addr, end), end);
		if (pud_none(READ_ONCE(*pud)))
			goto skip;
		if (pud_leaf(READ_ONCE(*pud))) {
			cxltier_scan_pud_leaf(w, mm, pud, addr, next);
			goto done;
		}
		if (pud_bad(READ_ONCE(*pud)))
			goto skip;
		next = min(pmd_addr_end(addr, end), end);
		cxltier_scan_pmd(w, mm, pmd_offset(pud, addr), addr, next);
		goto done;
skip:
		w->budget--;
done:
		w->pages += (next - addr) >> PAGE_SHIFT;
		addr = next;
		cxltier_walk_check_contention(w, mm);
		if (w->resched)
			cond_resched();
	}
	return addr;
}

/*
 * Walk [addr, end) of range w->r, under mmap_lock, until the budget runs
 * out; holes between VMAs are not resident.  Return: where it stopped.
 */
static unsigned long cxltier_scan_span(struct cxltier_walk *w,
				       struct mm_struct *mm, unsigned long addr,
				       unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long vend;

	while (addr < end && cxltier_walk_may_go_on(w)) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start >= end) {
			addr = end;
			break;
		}
		if (vma->vm_start > addr) {
			w->budget--;
			addr = vma->vm_start;
		}
		vend = min(vma->vm_end, end);
		/*
		 * hugetlb is refused at TRACK, but a VMA may be replaced
		 * later: its shared PMDs are not stable under our mmap_lock.
		 */
		if ((vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
		    is_vm_hugetlb_page(vma)) {
			w->budget--;
			addr = vend;
			continue;
		}
		w->vma = vma;
		addr = cxltier_scan_vma(w, mm, addr, vend);
	}
	cxltier_walk_advance(w, addr);
	return addr;
}

/*
 * Page-table entries a placement walk examines under one hold of
 * mmap_lock: eight PTE tables, well under a millisecond.
 */
#define CXLTIER_PLACEMENT_HOLD	4096

/**
 * cxltier_scan_placement() - walk the placement of some chunks now
 * @r: the range (a reference held)
 * @first: first chunk
 * @nr: number of chunks, @first + @nr <= r->nr_chunks
 * @budget: page-table entries the call may examine, LONG_MAX for no
 *	bound; when it runs out the walk stops at the next chunk boundary
 *	once it has finished one chunk
 * @next: out: the first chunk not walked, @first + @nr when all were
 *
 * Updates node, resident and pinned figures of the chunks; Accessed bits
 * are left alone.  mmap_lock is held for CXLTIER_PLACEMENT_HOLD entries
 * at most and dropped early for a waiting writer; the figures of a chunk
 * the walk crossed a drop in may mix before and after a concurrent
 * change, as any walk's may.  Ranges whose owner is gone are left as
 * they are.
 *
 * Return: 0, or -EINTR when a fatal signal interrupted the walk; *@next
 * is set either way.
 */
int cxltier_scan_placement(struct cxltier_range *r, u32 first, u32 nr,
			   long budget, u32 *next)
{
	struct cxltier_walk w = { .pages = 0 };
	struct mm_struct *mm = r->mm;
	unsigned long addr, end;
	u64 t0, held, max;
	long hold;
	int ret = 0;

	*next = first + nr;
	if (!nr || READ_ONCE(r->removed) || READ_ONCE(r->cmm->dead) ||
	    !mmget_not_zero(mm))
		return 0;
	cxltier_walk_init(&w, r, first);
	w.clear_young = false;
	/*
	 * A hold is short (CXLTIER_PLACEMENT_HOLD entries): rescheduling
	 * inside it would keep mmap_lock across another task's time slice,
	 * so the walk reschedules between holds only.
	 */
	w.resched = false;
	addr = cxltier_chunk_start(r, first);
	end = cxltier_chunk_end(r, first + nr - 1);
	while (addr < end) {
		if (fatal_signal_pending(current) ||
		    mmap_read_lock_killable(mm)) {
			ret = -EINTR;
			break;
		}
		t0 = ktime_get_ns();
		hold = min_t(long, budget, CXLTIER_PLACEMENT_HOLD);
		w.budget = hold;
		w.stopped = false;
		addr = cxltier_scan_span(&w, mm, addr, end);
		held = ktime_get_ns() - t0;
		mmap_read_unlock(mm);
		/* The bound is by construction; this measures it. */
		max = atomic64_read(&cxltier_stats.placement_hold_max_ns);
		while (held > max &&
		       !atomic64_try_cmpxchg(&cxltier_stats.placement_hold_max_ns,
					     &max, held))
			;
		/* A PTE table counts whole: the budget may go below 0. */
		if (budget != LONG_MAX)
			budget -= hold - w.budget;
		if (budget <= 0 && w.chunk > first)
			break;
		/* Less than a whole chunk: finish it, one hold at a time. */
		if (budget <= 0)
			budget = CXLTIER_PLACEMENT_HOLD;
		cond_resched();
	}
	*next = w.chunk;
	atomic64_add(w.pages, &cxltier_stats.pages_scanned);
	mmput(mm);
	return ret;
}

/**
 * struct cxltier_scan_cursor - where the next scanner pass resumes
 * @id: range id, or the next id to look at
 * @addr: address in range @id, 0 = start at its beginning
 * @walk: figures of the chunk under way at @addr
 *
 * Only the scanner thread uses it.
 */
struct cxltier_scan_cursor {
	unsigned long id;
	unsigned long addr;
	struct cxltier_walk walk;
};

/* The scanner's position between passes. */
static struct cxltier_scan_cursor cxltier_cursor;

/*
 * Is range @r scanned by sampling?  Ranges with the CPU source of more
 * than scan_exact_max_pages base pages are (sample.c).
 */
static bool cxltier_range_sampled(const struct cxltier_range *r)
{
	return (r->sources & CXLTIER_SRC_CPU) &&
	       ((r->end - r->start) >> PAGE_SHIFT) >
	       READ_ONCE(cxltier_tunables.scan_exact_max_pages);
}

/*
 * Sampling visits of @r's chunks from @addr while *@budget lasts, under
 * mmap_lock.  Return: where the next pass resumes (a chunk's start, or
 * r->end); *@stopped when a writer waits for mmap_lock.
 */
static unsigned long cxltier_sample_range(struct cxltier_range *r,
					  struct mm_struct *mm,
					  unsigned long addr, long *budget,
					  bool *stopped)
{
	u32 idx = 0, work, max;
	u64 pages = 0;

	if (addr > r->start && addr < r->end)
		idx = (addr - r->start) >> r->chunk_shift;
	while (idx < r->nr_chunks && *budget > 0) {
		/* A run of huge chunks costs 1 a chunk: stay within budget. */
		max = min_t(long, min_t(long, r->nr_chunks - idx, *budget),
			    CXLTIER_SAMPLE_RUN);
		idx += cxltier_sample_chunks(r, mm, idx, max, &work);
		*budget -= work;
		pages += work;
		if (mmap_lock_is_contended(mm)) {
			*stopped = true;
			break;
		}
		cond_resched();
	}
	atomic64_add(pages, &cxltier_stats.pages_scanned);
	atomic64_add(pages, &cxltier_stats.pages_sampled);
	return idx < r->nr_chunks ? cxltier_chunk_start(r, idx) : r->end;
}

/* Scan range @r from the cursor; Return: true when the range is done. */
static bool cxltier_scan_range(struct cxltier_range *r, long *budget)
{
	struct cxltier_scan_cursor *c = &cxltier_cursor;
	struct mm_struct *mm = r->mm;
	unsigned long addr;

	if (READ_ONCE(r->removed) || READ_ONCE(r->cmm->dead))
		return true;
	if (!mmget_not_zero(mm)) {
		atomic64_inc(&cxltier_stats.scan_skipped);
		return true;
	}
	if (!mmap_read_trylock(mm)) {
		mmput(mm);
		atomic64_inc(&cxltier_stats.scan_skipped);
		return true;
	}

	if (cxltier_range_sampled(r)) {
		bool stopped = false;

		addr = cxltier_sample_range(r, mm, c->id == r->id ? c->addr : 0,
					    budget, &stopped);
		mmap_read_unlock(mm);
		mmput(mm);
		if (stopped)
			*budget = 0;
		/* An exact walk of @r, if the mode changes, starts afresh. */
		c->walk.r = NULL;
		c->id = r->id;
		c->addr = addr;
		return addr >= r->end;
	}
	if (c->id != r->id || c->addr <= r->start || c->addr >= r->end ||
	    c->walk.r != r) {
		c->addr = r->start;
		cxltier_walk_init(&c->walk, r, 0);
	}
	c->walk.budget = *budget;
	c->walk.stopped = false;
	c->walk.pages = 0;
	c->walk.young_total = 0;
	addr = cxltier_scan_span(&c->walk, mm, c->addr, r->end);
	cxltier_walk_flush_young(&c->walk);
	mmap_read_unlock(mm);
	mmput(mm);

	atomic64_add(c->walk.pages, &cxltier_stats.pages_scanned);
	atomic64_add(c->walk.young_total, &cxltier_stats.young_found);
	/* A writer waits: end the pass, resume here at the next one. */
	*budget = c->walk.stopped ? 0 : c->walk.budget;
	c->id = r->id;
	c->addr = addr;
	return addr >= r->end;
}

/**
 * cxltier_scan_pass() - one scanner pass over the tracked ranges
 *
 * Visits each range at most once, starting where the last pass stopped,
 * until scan_budget_pages entries have been examined.  Called only by
 * the heat kthread.
 */
void cxltier_scan_pass(void)
{
	struct cxltier_scan_cursor *c = &cxltier_cursor;
	long budget = READ_ONCE(cxltier_tunables.scan_budget_pages);
	unsigned long start_id = c->id, id = c->id;
	struct cxltier_range *r;
	bool wrapped = false;

	atomic64_inc(&cxltier_stats.scan_passes);
	while (budget > 0) {
		r = cxltier_range_get_next(&id);
		if (!r) {
			if (wrapped)
				break;
			wrapped = true;
			id = 0;
			continue;
		}
		if (wrapped && id >= start_id) {
			cxltier_range_put(r);
			break;
		}
		if (id != c->id) {
			c->id = id;
			c->addr = 0;
		}
		if (cxltier_scan_range(r, &budget)) {
			c->id = id + 1;
			c->addr = 0;
		}
		/* The cursor's walk must not outlive the range it points at. */
		if (c->id != id)
			c->walk.r = NULL;
		cxltier_range_put(r);
		id = c->id;
		if (!id)	/* wrapped past U32_MAX */
			break;
	}
}

/* Self-check callback: count the present PTEs the walker hands us. */
static int cxltier_selfcheck_pte(pte_t *ptep, unsigned long addr, void *data)
{
	if (pte_present(ptep_get(ptep)))
		(*(unsigned int *)data)++;
	return 0;
}

/**
 * cxltier_scan_selfcheck() - does apply_to_existing_page_range() work here?
 *
 * Before the stable fix of April 2025 (6.1.135, 6.12.25 and upstream
 * 6.15), apply_to_existing_page_range() skipped every PTE after the first
 * empty one of a page table, so the scanner would read most of a range as
 * cold.  Vendor kernels backport by their own numbering, so this asks the
 * kernel itself: three pages of the loading process, the first and the
 * last touched, the middle one empty, must yield two present PTEs.
 *
 * Context: module load, in the process that loads the module.
 * Return: 0, -EOPNOTSUPP for a broken walker, or a negative errno when the
 * check could not be set up.
 */
int cxltier_scan_selfcheck(void)
{
	struct mm_struct *mm = current->mm;
	unsigned int found = 0;
	unsigned long addr;
	int ret;

	if (!mm)
		return -EINVAL;
	addr = vm_mmap(NULL, 0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	/* The three pages share one page table unless they straddle a PMD. */
	if (put_user(1, (char __user *)addr) ||
	    put_user(1, (char __user *)addr + 2 * PAGE_SIZE)) {
		ret = -EFAULT;
		goto out_unmap;
	}
	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto out_unmap;
	}
	/* The scanner's own walker (compat.h); both pages' tables exist. */
	ret = cxltier_apply_to_pte_table(mm, addr, 3 * PAGE_SIZE,
					 cxltier_selfcheck_pte, &found);
	mmap_read_unlock(mm);
	if (!ret && found != 2) {
		pr_err("this kernel's apply_to_existing_page_range() skips PTEs after a hole (found %u of 2): heat would read cold; refusing to load (fixed in 6.1.135, 6.12.25)\n",
		       found);
		ret = -EOPNOTSUPP;
	}
out_unmap:
	vm_munmap(addr, 3 * PAGE_SIZE);
	return ret;
}
