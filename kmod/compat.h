/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels cxltier supports (Debian's 6.1, 6.12
 * and unstable's newest, 7.2 today), in one place.  Each shim names the
 * kernel change it bridges.  Features are found by kmod/Kbuild's tests
 * of the headers and of Module.symvers (CXLTIER_HAVE_*), never by
 * version number: a distribution may backport a change.
 */
#ifndef _CXLTIER_COMPAT_H
#define _CXLTIER_COMPAT_H

#include <linux/mm.h>
#include <linux/page_idle.h>
#include <linux/swap.h>

/*
 * apply_to_existing_page_range() is defined but no longer exported to
 * modules in 7.2 (its EXPORT_SYMBOL_GPL went after 6.12; 6.1 and 6.12
 * export it).  apply_to_page_range() still is.  The two share one walker
 * (__apply_to_page_range(..., create)), and the scanner calls it only on
 * the span of one PMD that it has just found, under pmd_lock(), to point
 * to a present PTE table, with every upper level present (it walked them
 * under mmap_lock).  There the create variant allocates nothing:
 * p4d/pud/pmd_alloc_track() and pte_alloc_map_lock() return the existing
 * tables; it takes the same PTE lock; the one difference is that it also
 * calls fn for pte_none() entries, which cxltier_scan_pte() skips as not
 * present.  Checked against 7.2.13's mm/memory.c.
 */
#ifdef CXLTIER_HAVE_APPLY_TO_EXISTING_PAGE_RANGE
#define cxltier_apply_to_pte_table apply_to_existing_page_range
#else
#define cxltier_apply_to_pte_table apply_to_page_range
#endif

/*
 * The scanner's test-and-clear of an Accessed bit hides a use from
 * reclaim, so it tells reclaim the way the kernel's own clearers do.
 * With CONFIG_PAGE_IDLE_FLAG on 64-bit (Debian's 6.12 and 7.2)
 * folio_set_young() sets PG_young, a page flag (inline, no symbol), which
 * folio_referenced() counts as one reference and clears: what DAMON
 * (mm/damon/ops-common.c) and idle page tracking do.  Without it
 * (Debian's 6.1) folio_set_young() is an empty stub, so the scanner calls
 * folio_mark_accessed() (exported on every kernel): PG_referenced, and
 * activation at the second use, or MGLRU's reference count when MGLRU is
 * on.  zap_pte_range() calls it under the PTE lock as we do.
 */
#if defined(CONFIG_PAGE_IDLE_FLAG) && defined(CONFIG_64BIT)
#define CXLTIER_RECLAIM_HINT	"young"
static inline void cxltier_folio_young(struct folio *folio)
{
	folio_set_young(folio);
}
#else
#define CXLTIER_RECLAIM_HINT	"accessed"
static inline void cxltier_folio_young(struct folio *folio)
{
	folio_mark_accessed(folio);
}
#endif

#endif /* _CXLTIER_COMPAT_H */
