/*
 * mm/contig.c — contiguous and noncached memory: pages for devices.
 *
 * A device that reads memory by physical address without an IOMMU needs a
 * buffer whose pages are physically consecutive (MmAllocateContiguousMemory*),
 * perhaps below an address it can reach and not straddling a boundary its
 * DMA engine cannot cross; one that shares memory with the CPU may need it
 * uncached (MmAllocateNonCachedMemory). NT serves a cached contiguous
 * request from nonpaged pool when the pool happens to be contiguous there,
 * else it searches the PFN database for a run of free pages and maps it in
 * system PTEs. mm386 always does the second: nonpaged pool grows a page at
 * a time, so its contiguity would be luck, and a pool-owned block would not
 * be page aligned as NT's documentation promises.
 *
 * The search (MiFindContiguousPages) walks each physical run's PFN entries
 * under the PFN lock, counting consecutive pages that are on the free or
 * zeroed list and restarting after any page in use, or where the run so far
 * would cross a boundary multiple; the pages found leave their lists. Each
 * page is then mapped and accounted as any system page — share 1, reference
 * 1, its page table a share more (MiInitializePfnAndMakePteValid) — and
 * carries the cache type it was allocated for, so a later MDL mapping of it
 * cannot disagree (mm/iosup.c). The first and last page of a contiguous
 * allocation are marked in their PFN entries (StartOfAllocation,
 * EndOfAllocation), which is how MmFreeContiguousMemory learns its size from
 * the base address alone. Noncached memory need not be contiguous: any free
 * pages, mapped with PCD|PWT and zeroed through that mapping; its caller
 * passes the size back to MmFreeNonCachedMemory. Both charge commit, as
 * nonpaged pool does: the pages can never be paged.
 *
 * Not done (NT does it): writing back and invalidating the caches before a
 * page that was cached is mapped uncached (KeInvalidateAllCaches). QEMU's
 * caches are coherent; on real hardware a dirty line from the page's last
 * owner could later overwrite what the device wrote.
 */
#include "mi.h"

PFN_NUMBER MiFindContiguousPages(PFN_NUMBER LowestPfn, PFN_NUMBER HighestPfn, PFN_NUMBER BoundaryPfn,
                                 PFN_NUMBER SizeInPages)
{
    const PHYSICAL_MEMORY_DESCRIPTOR *Block = &MmPhysicalMemoryBlock;
    PFN_NUMBER BoundaryMask = BoundaryPfn ? ~(BoundaryPfn - 1) : 0;
    KIRQL OldIrql;

    if (SizeInPages == 0 || LowestPfn > HighestPfn)
        return MI_NO_PAGE;
    LOCK_PFN(OldIrql);
    for (ULONG i = 0; i < Block->NumberOfRuns; i++) {
        PFN_NUMBER First = MAX(Block->Run[i].BasePage, LowestPfn);
        PFN_NUMBER Last = MIN(Block->Run[i].BasePage + Block->Run[i].PageCount - 1, HighestPfn);
        PFN_NUMBER Length = 0;
        for (PFN_NUMBER Pfn = First; Pfn <= Last && Last - Pfn + 1 + Length >= SizeInPages; Pfn++) {
            MMLISTS Location = MI_PFN_ELEMENT(Pfn)->u3.e2.e1.PageLocation;
            if (Location != FreePageList && Location != ZeroedPageList) {
                Length = 0;
                continue;
            }
            /* A run may start here only if it ends within the same boundary multiple. */
            if (Length == 0 && ((Pfn ^ (Pfn + SizeInPages - 1)) & BoundaryMask))
                continue;
            if (++Length < SizeInPages)
                continue;
            PFN_NUMBER Start = Pfn - (SizeInPages - 1);
            for (PFN_NUMBER Page = Start; Page <= Pfn; Page++)
                MiUnlinkPageFromList(Page);
            UNLOCK_PFN(OldIrql);
            return Start;
        }
    }
    UNLOCK_PFN(OldIrql);
    return MI_NO_PAGE;
}

/* The largest request anything here serves: all of RAM (and no wrap of the page count). */
static bool MiSizeIsPossible(SIZE_T NumberOfBytes)
{
    return NumberOfBytes != 0 && NumberOfBytes <= ((SIZE_T)MmPhysicalMemoryBlock.NumberOfPages << PAGE_SHIFT) &&
           NumberOfBytes <= 0xFFFFFFFFu - PAGE_SIZE;
}

/*
 * PFN lock held: maps Pages consecutive frames from First at Pte, each an
 * accounted system page with CacheAttribute; the first and last marked as
 * the allocation's ends.
 */
static void MiMapContiguousPages(PMMPTE Pte, PFN_NUMBER First, ULONG Pages, MI_PFN_CACHE_ATTRIBUTE CacheAttribute)
{
    ULONG Bits = MI_PTE_KERNEL_READWRITE | MiCacheAttributeBits(CacheAttribute);

    for (ULONG i = 0; i < Pages; i++) {
        MiInitializePfnAndMakePteValid(First + i, Pte + i, MiMakeValidPte(First + i, Bits));
        MI_PFN_ELEMENT(First + i)->u3.e2.e1.CacheAttribute = CacheAttribute;
    }
    MI_PFN_ELEMENT(First)->u3.e2.e1.StartOfAllocation = 1;
    MI_PFN_ELEMENT(First + Pages - 1)->u3.e2.e1.EndOfAllocation = 1;
}

PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
                                             PHYSICAL_ADDRESS HighestAcceptableAddress,
                                             PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                             MEMORY_CACHING_TYPE CacheType)
{
    MI_PFN_CACHE_ATTRIBUTE CacheAttribute;
    KIRQL OldIrql;

    if (!MiSizeIsPossible(NumberOfBytes) || !MiCacheAttributeOf(CacheType, &CacheAttribute))
        return NULL;
    /* A boundary is a power of two, a whole number of pages, and no smaller than the buffer. */
    PHYSICAL_ADDRESS Boundary = BoundaryAddressMultiple;
    if (Boundary != 0 && ((Boundary & (Boundary - 1)) != 0 || (Boundary & (PAGE_SIZE - 1)) != 0 ||
                          Boundary < ROUND_TO_PAGES(NumberOfBytes)))
        return NULL;
    uint64_t Lowest = (LowestAcceptableAddress + PAGE_SIZE - 1) >> PAGE_SHIFT;
    uint64_t Highest = MIN(HighestAcceptableAddress >> PAGE_SHIFT, (uint64_t)MmHighestPhysicalPage);
    if (Lowest > Highest)
        return NULL;

    ULONG Pages = BYTES_TO_PAGES(NumberOfBytes);
    if (!MiChargeCommitment(Pages))
        return NULL;
    PMMPTE Pte = MiReserveSystemPtes(Pages, SystemPteSpace);
    if (!Pte) {
        MiReturnCommitment(Pages);
        return NULL;
    }
    PFN_NUMBER First = MiFindContiguousPages((PFN_NUMBER)Lowest, (PFN_NUMBER)Highest,
                                             (PFN_NUMBER)(Boundary >> PAGE_SHIFT), Pages);
    if (First == MI_NO_PAGE) {
        MiReleaseSystemPtes(Pte, Pages, SystemPteSpace);
        MiReturnCommitment(Pages);
        return NULL;
    }
    LOCK_PFN(OldIrql);
    MiMapContiguousPages(Pte, First, Pages, CacheAttribute);
    UNLOCK_PFN(OldIrql);
    return MiPteToAddress(Pte);
}

PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress)
{
    return MmAllocateContiguousMemorySpecifyCache(NumberOfBytes, 0, HighestAcceptableAddress, 0, MmCached);
}

static NORETURN void MiBadContiguousFree(PVOID BaseAddress)
{
    KeBugCheckEx(BAD_POOL_CALLER, 0x60, (ULONG_PTR)BaseAddress, 0, 0);
}

/* The pages of the contiguous allocation at BaseAddress, checked; BAD_POOL_CALLER 0x60 if there is none. */
static ULONG MiContiguousAllocationPages(PVOID BaseAddress, PFN_NUMBER *First)
{
    PMMPTE Pte = MiAddressToPte(BaseAddress), Start;

    if (BYTE_OFFSET(BaseAddress) != 0 || (ULONG)BaseAddress < (ULONG)MmSystemRangeStart)
        MiBadContiguousFree(BaseAddress);
    ULONG Reserved = MiQuerySystemPteAllocation(Pte, &Start);
    if (Reserved == 0 || Start != Pte || !MiReadPte(Pte).u.Hard.Valid)
        MiBadContiguousFree(BaseAddress);
    *First = MiReadPte(Pte).u.Hard.PageFrameNumber;
    if (!MiIsPhysicalPage(*First) || !MI_PFN_ELEMENT(*First)->u3.e2.e1.StartOfAllocation ||
        MI_PFN_ELEMENT(*First)->PteAddress != Pte)
        MiBadContiguousFree(BaseAddress);
    for (ULONG Pages = 1; Pages <= Reserved; Pages++) {
        MMPTE Value = MiReadPte(Pte + Pages - 1);
        if (!Value.u.Hard.Valid || Value.u.Hard.PageFrameNumber != *First + Pages - 1)
            break;
        if (MI_PFN_ELEMENT(*First + Pages - 1)->u3.e2.e1.EndOfAllocation)
            return Pages;
    }
    MiBadContiguousFree(BaseAddress);
}

VOID MmFreeContiguousMemory(PVOID BaseAddress)
{
    PFN_NUMBER First;
    KIRQL OldIrql;
    ULONG Pages = MiContiguousAllocationPages(BaseAddress, &First);
    PMMPTE Pte = MiAddressToPte(BaseAddress);

    LOCK_PFN(OldIrql);
    MI_PFN_ELEMENT(First)->u3.e2.e1.StartOfAllocation = 0;
    MI_PFN_ELEMENT(First + Pages - 1)->u3.e2.e1.EndOfAllocation = 0;
    for (ULONG i = 0; i < Pages; i++)
        MiDeleteValidPte(Pte + i);
    UNLOCK_PFN(OldIrql);
    MiReleaseSystemPtes(Pte, Pages, SystemPteSpace);
    MiReturnCommitment(Pages);
}

VOID MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE CacheType)
{
    MmFreeContiguousMemory(BaseAddress);
}

/* ---------------------------------------------------------- noncached memory */

PVOID MmAllocateNonCachedMemory(SIZE_T NumberOfBytes)
{
    KIRQL OldIrql;

    if (!MiSizeIsPossible(NumberOfBytes))
        return NULL;
    ULONG Pages = BYTES_TO_PAGES(NumberOfBytes);
    if (!MiChargeCommitment(Pages))
        return NULL;
    PMMPTE Pte = MiReserveSystemPtes(Pages, SystemPteSpace);
    if (!Pte) {
        MiReturnCommitment(Pages);
        return NULL;
    }
    ULONG Bits = MI_PTE_KERNEL_READWRITE | MiCacheAttributeBits(MiNonCached);
    LOCK_PFN(OldIrql);
    for (ULONG i = 0; i < Pages; i++) {
        PFN_NUMBER Pfn = MiRemoveAnyPageLocked();
        if (Pfn == MI_NO_PAGE) {
            while (i--)
                MiDeleteValidPte(Pte + i);
            UNLOCK_PFN(OldIrql);
            MiReleaseSystemPtes(Pte, Pages, SystemPteSpace);
            MiReturnCommitment(Pages);
            return NULL;
        }
        MiInitializePfnAndMakePteValid(Pfn, Pte + i, MiMakeValidPte(Pfn, Bits));
        MI_PFN_ELEMENT(Pfn)->u3.e2.e1.CacheAttribute = MiNonCached;
    }
    UNLOCK_PFN(OldIrql);
    /* Zeroed through the uncached mapping itself: the stores reach memory, not a cache. */
    PVOID Va = MiPteToAddress(Pte);
    RtlFillMemoryUlong(Va, Pages * PAGE_SIZE, 0);
    return Va;
}

VOID MmFreeNonCachedMemory(PVOID BaseAddress, SIZE_T NumberOfBytes)
{
    PMMPTE Pte = MiAddressToPte(BaseAddress), Start = NULL;
    ULONG Pages = BYTES_TO_PAGES(NumberOfBytes);
    KIRQL OldIrql;

    /*
     * Not a page of system space; then not the start of a reservation, or
     * no size: the release itself says so with NT's code (0x300, 0x301,
     * 0x304, 0x306) before any page is touched.
     */
    if ((ULONG)BaseAddress < (ULONG)MmSystemRangeStart || BYTE_OFFSET(BaseAddress) != 0)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_RELEASE_NOT_PERMITTED, (ULONG_PTR)BaseAddress, Pages, 0);
    ULONG Reserved = MiQuerySystemPteAllocation(Pte, &Start);
    if (Pages == 0 || Reserved == 0 || Start != Pte) {
        MiReleaseSystemPtes(Pte, Pages, SystemPteSpace);
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_RELEASE_NOT_PERMITTED, (ULONG_PTR)BaseAddress, Pages, 0);
    }
    /* The size must be the allocation's: every page valid, nothing beyond it. */
    bool Matches = MiSystemPteAllocationSize(Pages) == Reserved;
    for (ULONG i = 0; i < Reserved && Matches; i++)
        Matches = i < Pages ? MiReadPte(Pte + i).u.Hard.Valid : MiReadPte(Pte + i).u.Long == 0;
    if (!Matches)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_RELEASE_WRONG_COUNT, (ULONG_PTR)BaseAddress, Pages, Reserved);

    LOCK_PFN(OldIrql);
    for (ULONG i = 0; i < Pages; i++)
        MiDeleteValidPte(Pte + i);
    UNLOCK_PFN(OldIrql);
    MiReleaseSystemPtes(Pte, Pages, SystemPteSpace);
    MiReturnCommitment(Pages);
}
