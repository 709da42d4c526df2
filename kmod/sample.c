// SPDX-License-Identifier: GPL-2.0
/*
 * Sampling mode of the CPU heat scanner, for ranges of more than
 * scan_exact_max_pages base pages: a visit of a chunk examines
 * scan_sample_pages pages chosen at random instead of all of them, so a
 * sweep costs O(chunks), not O(pages).
 *
 * As DAMON does, a sample takes two visits: one visit clears the Accessed
 * bits of k random pages of the chunk, the next tests (and clears) the
 * same k pages, so what it sees is the accesses between the two visits,
 * what an exact sweep at the same rate would have seen of those pages.
 * The pages are not stored: the chunk keeps the seed that chose them.
 * A test clears what it tests, so a set serves CXLTIER_SAMPLE_REUSE
 * visits: k entries a visit.  The visit that draws a fresh set tests
 * the old one and clears the new one in one pass over their union
 * (ascending, a page in both tested first), so that a page table is
 * locked once per visit, not twice.
 * A chunk that lies inside one huge PMD mapping skips the draws: its
 * visit is one test-and-clear of that PMD, as in exact mode, and a run
 * of such chunks in one table of PMDs shares one walk and one lock.
 *
 * Estimator: with h of the k tested pages young, the chunk's young count
 * for the visit is h * n / k, n its base pages (an unbiased estimate of
 * the exact sweep's count; Documentation/design.rst gives its error).  A
 * huge PMD is tested once per visit, and every sample that falls in it
 * shares the answer.
 *
 * Samples in one page table are taken under one pmd_lock() and one PTE
 * lock (the PTE lock nested inside, as in scan.c): pte_offset_kernel()
 * on the table that the locked PMD points to, which cannot be collapsed
 * while we hold that lock.  Only the tables of an address inside a VMA
 * are kept by our mmap_lock: the first sample of a group must be in a
 * VMA we may walk, and a sample outside one (a hole left by munmap,
 * whose tables munmap frees under a read lock) touches no page table.
 * Placement figures are not gathered: they come from placement walks
 * (GET_HEAT with PLACEMENT).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sort.h>

#include "compat.h"
#include "internal.h"

/**
 * struct cxltier_sampler - one visit's pass over a set of samples
 * @mm: the address space, mmap_lock held for reading
 * @vma: VMA of the last sample, or NULL
 * @leaf: start of the last huge PMD tested in this pass, 0 = none
 * @leaf_young: whether it was young
 * @young: counted samples found young
 * @entries: page-table entries examined (a huge PMD once)
 */
struct cxltier_sampler {
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	unsigned long leaf;
	bool leaf_young;
	u32 young;
	u32 entries;
};

static int cxltier_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* The @k page offsets in [0, @n) that @seed chooses, in ascending order. */
static void cxltier_sample_offsets(u32 seed, u32 k, u32 n, u32 *off)
{
	struct rnd_state st;
	u32 i;

	prandom_seed_state(&st, seed);
	for (i = 0; i < k; i++)
		off[i] = prandom_u32_state(&st) % n;
	sort(off, k, sizeof(*off), cxltier_cmp_u32, NULL);
}

/* Test-and-clear one entry's Accessed bit; tell reclaim about a use. */
static bool cxltier_sample_clear(unsigned long *entry, bool is_young,
				 unsigned long pfn)
{
	struct page *page;

	if (!is_young || !test_and_clear_bit(_PAGE_BIT_ACCESSED, entry))
		return false;
	page = is_zero_pfn(pfn) ? NULL : pfn_to_online_page(pfn);
	if (page)
		cxltier_folio_young(page_folio(page));
	return true;
}

/* The PMD entry for @addr, or NULL when an upper level is missing. */
static pmd_t *cxltier_sample_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(READ_ONCE(*pgd)) || pgd_bad(READ_ONCE(*pgd)))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(READ_ONCE(*p4d)) || p4d_bad(READ_ONCE(*p4d)))
		return NULL;
	pud = pud_offset(p4d, addr);
	/* 1 GiB leaves are hugetlb's: never sampled (scan.c says why). */
	if (pud_none(READ_ONCE(*pud)) || pud_leaf(READ_ONCE(*pud)) ||
	    pud_bad(READ_ONCE(*pud)))
		return NULL;
	return pmd_offset(pud, addr);
}

/* Is @addr in a VMA the scanner may walk?  Caches the VMA in @s. */
static bool cxltier_sample_vma_ok(struct cxltier_sampler *s, unsigned long addr)
{
	struct vm_area_struct *vma = s->vma;

	if (!vma || addr < vma->vm_start || addr >= vma->vm_end) {
		vma = find_vma(s->mm, addr);
		if (!vma || vma->vm_start > addr)
			return false;
		s->vma = vma;
	}
	return !(vma->vm_flags & (VM_IO | VM_PFNMAP)) &&
	       !is_vm_hugetlb_page(vma);
}

/*
 * Samples @off[0..@k) (ascending page offsets from @base), all under
 * the PMD of the first one: test-and-clear each, counting in @s->young
 * those that @counted marks.  Return: how many were consumed (those in
 * that PMD).
 */
static u32 cxltier_sample_pmd_span(struct cxltier_sampler *s,
				   unsigned long base, const u32 *off,
				   const bool *counted, u32 k)
{
	unsigned long addr = base + ((unsigned long)off[0] << PAGE_SHIFT);
	unsigned long pmd_start = addr & PMD_MASK, a;
	spinlock_t *ptl, *pte_ptl;	/* PMD lock, PTE lock */
	pmd_t *pmdp, pmd;
	pte_t *ptep, pte;
	u32 i, n = 0;

	s->entries++;
	/*
	 * The first sample anchors the group: only page tables that cover
	 * an address inside a VMA we may walk are stable under mmap_lock
	 * held for reading.  Those of a hole may be freed under it: munmap
	 * frees them after downgrading mmap_lock to read (to the page
	 * allocator right after the TLB flush, or after an RCU grace period
	 * where the kernel defers page-table frees), and a freed table's
	 * struct page no longer holds a PMD or PTE lock.  So a sample outside
	 * such a VMA (a hole, VM_IO/VM_PFNMAP, or hugetlb, whose shared
	 * PMDs are not stable under our mmap_lock either: scan.c) reads
	 * as not young and touches no page table; the next one anchors
	 * the next group.
	 */
	if (!cxltier_sample_vma_ok(s, addr))
		return 1;
	while (n < k && ((base + ((unsigned long)off[n] << PAGE_SHIFT)) &
			 PMD_MASK) == pmd_start)
		n++;
	pmdp = cxltier_sample_pmd(s->mm, addr);
	if (!pmdp)
		return n;
	ptl = pmd_lock(s->mm, pmdp);
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd) || !pmd_present(pmd)) {
		/* nothing mapped: no sample is young */
	} else if (pmd_leaf(pmd)) {
		if (s->leaf != pmd_start) {
			s->leaf = pmd_start;
			s->leaf_young =
				cxltier_sample_clear((unsigned long *)pmdp,
						     pmd_young(pmd),
						     pmd_pfn(pmd));
		}
		if (s->leaf_young)
			for (i = 0; i < n; i++)
				s->young += counted[i];
	} else if (!pmd_bad(pmd)) {
		pte_ptl = pte_lockptr(s->mm, pmdp);
		s->entries += n - 1;
		spin_lock(pte_ptl);
		for (i = 0; i < n; i++) {
			a = base + ((unsigned long)off[i] << PAGE_SHIFT);
			if (!cxltier_sample_vma_ok(s, a))
				continue;
			ptep = pte_offset_kernel(pmdp, a);
			pte = ptep_get(ptep);
			if (pte_present(pte) &&
			    cxltier_sample_clear((unsigned long *)&ptep->pte,
						 pte_young(pte), pte_pfn(pte)) &&
			    counted[i])
				s->young++;
		}
		spin_unlock(pte_ptl);
	}
	spin_unlock(ptl);
	return n;
}

/*
 * One pass over the pages that @old_seed (@old_k of them, counted) and
 * @new_seed (@new_k, not counted) choose among the @n from @base:
 * test-and-clear each.  Where both sets hold a page, the counted test
 * comes first, so that the clear for the next visit does not hide it.
 * Return: how many counted samples were young.
 */
static u32 cxltier_sample_pass(struct cxltier_sampler *s, unsigned long base,
			       u32 n, u32 old_seed, u32 old_k, u32 new_seed,
			       u32 new_k)
{
	u32 old[CXLTIER_SAMPLE_MAX], new[CXLTIER_SAMPLE_MAX];
	u32 off[2 * CXLTIER_SAMPLE_MAX];
	bool counted[2 * CXLTIER_SAMPLE_MAX];
	u32 i = 0, j = 0, k = 0, done = 0;

	if (old_k)
		cxltier_sample_offsets(old_seed, old_k, n, old);
	if (new_k)
		cxltier_sample_offsets(new_seed, new_k, n, new);
	while (i < old_k || j < new_k) {
		bool from_old = j == new_k || (i < old_k && old[i] <= new[j]);

		counted[k] = from_old;
		off[k++] = from_old ? old[i++] : new[j++];
	}
	while (done < k)
		done += cxltier_sample_pmd_span(s, base, off + done,
						counted + done, k - done);
	return s->young;
}

/*
 * A chunk [@base, +@n pages) inside one huge PMD mapping: test-and-clear
 * that PMD.  Return: 1 if it was young, 0 if not, -1 if the chunk is not
 * so mapped (the caller samples it).
 */
static int cxltier_sample_huge(struct cxltier_sampler *s, unsigned long base,
			       u32 n)
{
	unsigned long last = base + ((unsigned long)n << PAGE_SHIFT) - 1;
	spinlock_t *ptl;	/* the PMD lock */
	pmd_t *pmdp, pmd;
	int young = -1;

	if ((base & PMD_MASK) != (last & PMD_MASK) ||
	    !cxltier_sample_vma_ok(s, base) || last >= s->vma->vm_end)
		return -1;
	pmdp = cxltier_sample_pmd(s->mm, base);
	if (!pmdp || !pmd_leaf(READ_ONCE(*pmdp)))
		return -1;
	ptl = pmd_lock(s->mm, pmdp);
	pmd = READ_ONCE(*pmdp);
	if (pmd_present(pmd) && pmd_leaf(pmd)) {
		young = cxltier_sample_clear((unsigned long *)pmdp,
					     pmd_young(pmd), pmd_pfn(pmd));
		s->entries++;
	}
	spin_unlock(ptl);
	return young;
}

/* Did a visit clear a set of @c's pages (of @n) that this one may test? */
static bool cxltier_sample_tested(const struct cxltier_chunk *c, u32 n)
{
	return c->sample_seed && c->sample_nr && c->sample_nr <= n;
}

/*
 * Consecutive chunks from @idx (at most @max) that are each exactly one
 * huge PMD mapping, all in one table of PMDs: test-and-clear each PMD
 * under one walk from the PGD and one pmd_lock() (the lock of that table,
 * or the mm's page_table_lock, is the same for all of them).  A THP-backed
 * range is the common case for a large buffer, and its visit is then a
 * few loads and one atomic per 2 MiB.  Return: how many chunks were
 * visited, 0 when chunk @idx is not such a chunk (the caller samples it).
 */
static u32 cxltier_sample_huge_run(struct cxltier_range *r,
				   struct cxltier_sampler *s, u32 idx, u32 max,
				   u32 k, u64 *found)
{
	unsigned long addr = cxltier_chunk_start(r, idx), end;
	u32 seed = get_random_u32(), i;
	spinlock_t *ptl;	/* the PMD lock */
	struct cxltier_chunk *c;
	pmd_t *pmdp, pmd;

	if (r->chunk_shift != PMD_SHIFT || (addr & ~PMD_MASK) ||
	    !cxltier_sample_vma_ok(s, addr))
		return 0;
	/* Whole chunks, in this VMA, under this table of PMDs. */
	end = min3(r->end, s->vma->vm_end, (addr & PUD_MASK) + PUD_SIZE);
	max = min_t(unsigned long, max, (end - addr) >> PMD_SHIFT);
	if (!max)
		return 0;
	pmdp = cxltier_sample_pmd(s->mm, addr);
	if (!pmdp || !pmd_leaf(READ_ONCE(*pmdp)))
		return 0;
	ptl = pmd_lock(s->mm, pmdp);
	for (i = 0; i < max; i++, pmdp++) {
		pmd = READ_ONCE(*pmdp);
		if (!pmd_present(pmd) || !pmd_leaf(pmd))
			break;
		c = &r->chunks[idx + i];
		s->entries++;
		if (cxltier_sample_clear((unsigned long *)pmdp, pmd_young(pmd),
					 pmd_pfn(pmd)) &&
		    cxltier_sample_tested(c, PTRS_PER_PTE)) {
			atomic64_add(PTRS_PER_PTE, &c->pending_cpu);
			*found += PTRS_PER_PTE;
		}
		/* Pages a split would leave: any set, the PMD's bit cleared. */
		c->sample_seed = (seed + i * 0x9e3779b9U) | 1;
		c->sample_nr = k;
		c->sample_age = 0;
	}
	spin_unlock(ptl);
	return i;
}

/*
 * One sampling visit of chunk @idx of @r, not a huge run.  Tests the
 * pages the previous visit cleared and adds the estimate of the chunk's
 * young pages to its pending count (and to *@found), then clears a fresh
 * random set for the next visit.
 */
static void cxltier_sample_one(struct cxltier_range *r,
			       struct cxltier_sampler *s, u32 idx, u32 k,
			       u64 *found)
{
	struct cxltier_chunk *c = &r->chunks[idx];
	unsigned long base = cxltier_chunk_start(r, idx);
	u32 n = (cxltier_chunk_end(r, idx) - base) >> PAGE_SHIFT;
	bool tested = cxltier_sample_tested(c, n);
	bool reuse;
	u32 seed;
	int huge;
	u64 est = 0;
	u32 young;

	k = min(k, n);
	/*
	 * A test clears what it tests, so the tested set is ready for the
	 * next visit as it is: keep it for CXLTIER_SAMPLE_REUSE visits and
	 * draw a fresh one only then (k entries a visit, not 2k, most of
	 * the time).
	 */
	reuse = tested && c->sample_nr == k &&
		c->sample_age + 1 < CXLTIER_SAMPLE_REUSE;
	seed = reuse ? c->sample_seed : get_random_u32() | 1;
	/*
	 * Whether the last visit cleared the PMD itself or samples inside
	 * it, its Accessed bit now says whether the chunk was used since;
	 * and a split since then left the pages with the PMD's cleared bit.
	 */
	huge = cxltier_sample_huge(s, base, n);
	if (huge >= 0) {
		if (tested && huge)
			est = n;
	} else {
		young = cxltier_sample_pass(s, base, n, c->sample_seed,
					    tested ? c->sample_nr : 0, seed,
					    reuse ? 0 : k);
		/* Round to nearest: h * n / k with h <= k, n <= 2^18. */
		if (tested)
			est = ((u64)young * n + c->sample_nr / 2) /
			      c->sample_nr;
	}
	if (est) {
		atomic64_add(est, &c->pending_cpu);
		*found += est;
	}
	c->sample_age = reuse ? c->sample_age + 1 : 0;
	c->sample_seed = seed;
	c->sample_nr = k;
}

/**
 * cxltier_sample_chunks() - sampling visits from a chunk on
 * @r: the range, its owner's mmap_lock held for reading
 * @mm: the owner's address space
 * @idx: the first chunk
 * @max: at most this many chunks (at least 1)
 * @work: out: the page-table entries examined: one per sample in a page
 *	table or outside a walkable VMA, one per huge PMD or missing level,
 *	at least 1 per chunk
 *
 * Visits chunk @idx, and with it the chunks after it that lie in the
 * same table of huge PMD mappings (cxltier_sample_huge_run()).  Called
 * only by the scanner thread.
 *
 * Return: how many chunks were visited, at least 1.
 */
u32 cxltier_sample_chunks(struct cxltier_range *r, struct mm_struct *mm,
			  u32 idx, u32 max, u32 *work)
{
	u32 k = min_t(u32, READ_ONCE(cxltier_tunables.scan_sample_pages),
		      CXLTIER_SAMPLE_MAX);
	struct cxltier_sampler s = { .mm = mm };
	u64 found = 0;
	u32 done;

	done = cxltier_sample_huge_run(r, &s, idx, max, k, &found);
	if (!done) {
		cxltier_sample_one(r, &s, idx, k, &found);
		done = 1;
		if (!s.entries)
			s.entries = 1;
	}
	if (found)
		atomic64_add(found, &cxltier_stats.young_found);
	*work = s.entries;
	return done;
}
