/*
 * mm/pageref.c — references on user pages: the PTE's and the locks'.
 *
 * NT counts, in each page's PFN entry, the PTEs that map it (share count)
 * and the reasons it must stay in memory (reference count: the mapping,
 * plus one per I/O or MmProbeAndLockPages lock). A page whose PTE is
 * deleted while locked is marked deleted and stays until the last lock
 * goes; then, and only then, it returns to the free list. An unlock more
 * than was locked would free a page still mapped: NT's PFN_LIST_CORRUPT
 * (0x4E) with parameter 7.
 *
 * These routines are deliberately few and named for what they do: they
 * are where the PFN share and reference counts being made real elsewhere
 * (the pfn work) replace mm386's private-page rule. Every caller holds the
 * PFN lock.
 */
#include "virtual.h"

void MiReferencePageForLock(PFN_NUMBER Pfn)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);

    if (Pfn1->u3.e2.e1.PageLocation != ActiveAndValid || Pfn1->u3.e2.ReferenceCount == 0)
        KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_PAGE_STATE, Pfn, Pfn1->u3.e2.e1.PageLocation, ActiveAndValid);
    Pfn1->u3.e2.ReferenceCount++;
}

void MiMarkPageDeleted(PFN_NUMBER Pfn)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    Pfn1->u2.ShareCount = 0;
    Pfn1->PteAddress = NULL;
}

void MiDereferencePage(PFN_NUMBER Pfn)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    USHORT References = Pfn1->u3.e2.ReferenceCount;

    /* The last reference of a page that is still mapped belongs to its PTE, not to a lock. */
    if (References == 0 || (References == 1 && Pfn1->u2.ShareCount != 0))
        KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_EXTRA_UNLOCK, Pfn, Pfn1->u2.ShareCount, 0);
    Pfn1->u3.e2.ReferenceCount = References - 1;
    if (References == 1)
        MiInsertPageInFreeListLocked(Pfn);
}
