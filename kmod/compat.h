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

#endif /* _CXLTIER_COMPAT_H */
