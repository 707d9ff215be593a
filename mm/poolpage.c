/*
 * mm/poolpage.c — whole pages for the pools (NT's MiAllocatePoolPages and
 * MiFreePoolPages).
 *
 * The block allocator (pool.c) asks for a page at a time to cut into small
 * blocks, and for runs of pages for big allocations; this file hands them
 * out. Each pool keeps its pages its own way, as NT does.
 *
 * Nonpaged pool has two parts. The initial part, [MmNonPagedPoolStart,
 * MmNonPagedPoolExpansionStart), was mapped with RAM at boot and stays
 * mapped; its free pages form runs, and each run describes itself in its
 * own first page (MMFREE_POOL_ENTRY: size, list links) and points back from
 * its last page to its first (the Owner field), so a run being freed can
 * find both neighbours in one step and coalesce with them. Runs sit on four
 * lists by size (1, 2, 3, 4+ pages); an allocation takes the end of the
 * first run big enough, so the run's description does not move. Which page
 * starts and ends an allocation is kept in the PFN entries
 * (StartOfAllocation, EndOfAllocation): the page before a freed run is
 * free exactly when it does not end an allocation, the page after it free
 * exactly when it does not start one.
 *
 * When no initial run fits, the pool expands: [MmNonPagedPoolExpansionStart,
 * + MiMaximumNonPagedExpansionPages) is an address range allocated in a
 * bitmap, and each page allocated there gets a fresh page of RAM and is
 * charged commit (NT charges commit for nonpaged expansion: the page can
 * never be paged). Each expansion page is accounted in its PFN entry as a
 * system page (share 1, reference 1: MiInitializePfnAndMakePteValid);
 * freed, it is released (MiDeleteValidPte) and goes back to the free page
 * list when nothing else holds it — all of an allocation's pages in one
 * hold of the PFN lock, as NT's MiAllocatePoolPages and MiFreePoolPages.
 * The bitmap is sized so that initial + expansion never exceeds
 * MmMaximumNonPagedPoolInBytes. A spin lock guards all of nonpaged pool's
 * pages.
 *
 * Paged pool, MmPagedPoolStart..MmPagedPoolEnd, is allocated in a bitmap
 * with a second bitmap marking the last page of each allocation (NT's
 * PagedPoolAllocationMap and EndOfPagedPoolBitmap). An allocation charges
 * commit, makes the page tables it needs and writes demand-zero PTEs; the
 * first touch of each page faults and MmAccessFault supplies a zeroed page.
 * Freeing returns the pages that were touched to the free list and the
 * commit of all of them. Paged pool's lock is a fast mutex: code holding it
 * may fault.
 */
#include <ktest.h>
#include "mi.h"

#define MM_FREE_POOL_SIGNATURE  0x98764321
#define MI_MAX_FREE_LIST_HEADS  4

/* At the start of the first and of the last page of every free run in the initial region. */
typedef struct _MMFREE_POOL_ENTRY {
    LIST_ENTRY List;                        /* first page only: on a free list */
    ULONG Size;                             /* first page only: pages in the run */
    ULONG Signature;
    struct _MMFREE_POOL_ENTRY *Owner;       /* the run's first page */
} MMFREE_POOL_ENTRY, *PMMFREE_POOL_ENTRY;

MM_PAGED_POOL_INFO MmPagedPoolInfo;
volatile ULONG MmAllocatedNonPagedPool;
volatile ULONG MmNumberOfFreeNonPagedPool;
volatile ULONG MiNonPagedExpansionPagesInUse;
ULONG MiMaximumNonPagedExpansionPages;

static LIST_ENTRY MmNonPagedPoolFreeListHead[MI_MAX_FREE_LIST_HEADS];
static KSPIN_LOCK MmNonPagedPoolLock;
static RTL_BITMAP MiNonPagedExpansionMap;
static ULONG MiNonPagedExpansionHint;
static FAST_MUTEX MmPagedPoolMutex;

static inline PVOID PageAt(PVOID Va, LONG Pages)
{
    return (PVOID)((ULONG)Va + (ULONG)Pages * PAGE_SIZE);
}

/* True if the nonpaged page at Va is mapped, after copying its PDE into this address space if need be. */
static inline bool PoolPageMapped(PVOID Va)
{
    return (MiReadPte(MiAddressToPde(Va)).u.Hard.Valid || MiSyncSystemPde(Va)) &&
           MiReadPte(MiAddressToPte(Va)).u.Hard.Valid;
}

static inline bool InInitialRegion(PVOID Va)
{
    return (ULONG)Va >= (ULONG)MmNonPagedPoolStart && (ULONG)Va < (ULONG)MmNonPagedPoolExpansionStart;
}

/* The PFN entry of a mapped nonpaged pool page. */
static inline PMMPFN PoolPfn(PVOID Va)
{
    return MI_PFN_ELEMENT(MiReadPte(MiAddressToPte(Va)).u.Hard.PageFrameNumber);
}

static void CheckFreeRun(PMMFREE_POOL_ENTRY Entry)
{
    if (Entry->Signature != MM_FREE_POOL_SIGNATURE)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_POOL_FREE_RUN, (ULONG_PTR)Entry, Entry->Signature,
                     MM_FREE_POOL_SIGNATURE);
}

/* Describes [Entry, Entry + Size pages) as a free run and lists it. Nonpaged lock held. */
static void InsertFreeRun(PMMFREE_POOL_ENTRY Entry, ULONG Size)
{
    PMMFREE_POOL_ENTRY Last = PageAt(Entry, Size - 1);
    Entry->Size = Size;
    Entry->Signature = MM_FREE_POOL_SIGNATURE;
    Entry->Owner = Entry;
    Last->Signature = MM_FREE_POOL_SIGNATURE;
    Last->Owner = Entry;
    InsertTailList(&MmNonPagedPoolFreeListHead[MIN(Size, MI_MAX_FREE_LIST_HEADS) - 1], &Entry->List);
}

/*
 * The flags share a word with the reference count: written under the PFN
 * lock, like every PFN field (the nonpaged pool lock holds us at
 * DISPATCH_LEVEL already) — except in phase 0, when there is one
 * processor, interrupts are off and no lock may be taken yet.
 */
static void MarkAllocationLocked(PVOID Va, ULONG Pages)
{
    PoolPfn(Va)->u3.e2.e1.StartOfAllocation = 1;
    PoolPfn(PageAt(Va, Pages - 1))->u3.e2.e1.EndOfAllocation = 1;
}

static void MarkAllocation(PVOID Va, ULONG Pages, bool Boot)
{
    if (!Boot)
        LOCK_PFN_AT_DPC();
    MarkAllocationLocked(Va, Pages);
    if (!Boot)
        UNLOCK_PFN_FROM_DPC();
}

/* SizeInPages off the end of the first initial run that has them; NULL if none. Nonpaged lock held (or Boot). */
static PVOID AllocateInitialPages(ULONG SizeInPages, bool Boot)
{
    for (ULONG List = MIN(SizeInPages, MI_MAX_FREE_LIST_HEADS) - 1; List < MI_MAX_FREE_LIST_HEADS; List++) {
        PLIST_ENTRY Head = &MmNonPagedPoolFreeListHead[List];
        for (PLIST_ENTRY Link = Head->Flink; Link != Head; Link = Link->Flink) {
            PMMFREE_POOL_ENTRY Run = CONTAINING_RECORD(Link, MMFREE_POOL_ENTRY, List);
            CheckFreeRun(Run);
            if (Run->Size < SizeInPages)
                continue;
            RemoveEntryList(&Run->List);
            ULONG Left = Run->Size - SizeInPages;
            if (Left)
                InsertFreeRun(Run, Left);
            MmNumberOfFreeNonPagedPool -= SizeInPages;
            PVOID Va = PageAt(Run, Left);
            MarkAllocation(Va, SizeInPages, Boot);
            return Va;
        }
    }
    return NULL;
}

/* Returns [Va, Va + Pages) to the initial region's runs, merged with free neighbours. Nonpaged lock held. */
static void FreeInitialPages(PVOID Va, ULONG Pages)
{
    PMMFREE_POOL_ENTRY Entry = Va;
    ULONG Size = Pages;
    PVOID Next = PageAt(Va, Pages);

    if (InInitialRegion(Next) && !PoolPfn(Next)->u3.e2.e1.StartOfAllocation) {
        PMMFREE_POOL_ENTRY NextRun = Next;
        CheckFreeRun(NextRun);
        RemoveEntryList(&NextRun->List);
        Size += NextRun->Size;
    }
    if (Va != MmNonPagedPoolStart && !PoolPfn(PageAt(Va, -1))->u3.e2.e1.EndOfAllocation) {
        PMMFREE_POOL_ENTRY Tail = PageAt(Va, -1);
        CheckFreeRun(Tail);
        Entry = Tail->Owner;
        CheckFreeRun(Entry);
        RemoveEntryList(&Entry->List);
        Size += Entry->Size;
    }
    InsertFreeRun(Entry, Size);
    MmNumberOfFreeNonPagedPool += Pages;
}

/* Unmaps the first Count pages of an expansion allocation and releases their RAM. Nonpaged and PFN locks held. */
static void ReleaseExpansionPagesLocked(PVOID Va, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++)
        MiDeleteValidPte(MiAddressToPte(PageAt(Va, i)));
}

/*
 * SizeInPages of new expansion pages, each with RAM and commit; NULL if any
 * is missing. Nonpaged lock held. The page tables are made first (making
 * one takes the PFN lock); then, as NT's MiAllocatePoolPages, every page
 * is taken, accounted as a system page (share 1, reference 1) and mapped,
 * and the allocation's ends marked, in one hold of the PFN lock.
 */
static PVOID AllocateExpansionPages(ULONG SizeInPages)
{
    if (!MiChargeCommitment(SizeInPages))
        return NULL;
    ULONG Index = RtlFindClearBitsAndSet(&MiNonPagedExpansionMap, SizeInPages, MiNonPagedExpansionHint);
    if (Index == RTL_BITMAP_NOT_FOUND) {
        MiReturnCommitment(SizeInPages);
        return NULL;
    }
    PVOID Va = PageAt(MmNonPagedPoolExpansionStart, Index);
    PVOID End = PageAt(Va, SizeInPages);
    for (ULONG Table = (ULONG)Va; Table < (ULONG)End; Table = ROUND_DOWN(Table + (1u << PDE_SHIFT), 1u << PDE_SHIFT)) {
        if (!MiEnsureSystemPageTable((PVOID)Table))
            goto Fail;
    }
    LOCK_PFN_AT_DPC();
    for (ULONG i = 0; i < SizeInPages; i++) {
        PFN_NUMBER Pfn = MiRemoveAnyPageLocked();
        if (Pfn == MI_NO_PAGE) {
            ReleaseExpansionPagesLocked(Va, i);
            UNLOCK_PFN_FROM_DPC();
            goto Fail;
        }
        PMMPTE Pte = MiAddressToPte(PageAt(Va, i));
        MiInitializePfnAndMakePteValid(Pfn, Pte, MiMakeValidPte(Pfn, MI_PTE_KERNEL_READWRITE));
    }
    MarkAllocationLocked(Va, SizeInPages);
    UNLOCK_PFN_FROM_DPC();
    MiNonPagedExpansionHint = Index + SizeInPages;
    MiNonPagedExpansionPagesInUse += SizeInPages;
    return Va;

Fail:
    RtlClearBits(&MiNonPagedExpansionMap, Index, SizeInPages);
    MiReturnCommitment(SizeInPages);
    return NULL;
}

/* Gives an expansion allocation's address space and commit back (its pages released already). Nonpaged lock held. */
static void FreeExpansionPages(PVOID Va, ULONG Pages)
{
    ULONG Index = ((ULONG)Va - (ULONG)MmNonPagedPoolExpansionStart) >> PAGE_SHIFT;
    RtlClearBits(&MiNonPagedExpansionMap, Index, Pages);
    MiNonPagedExpansionHint = MIN(MiNonPagedExpansionHint, Index);
    MiNonPagedExpansionPagesInUse -= Pages;
    MiReturnCommitment(Pages);
}

/* SizeInPages of paged pool: commit, bitmap, page tables, demand-zero PTEs; NULL if any is missing. */
static PVOID AllocatePagedPoolPages(ULONG SizeInPages)
{
    MM_PAGED_POOL_INFO *Info = &MmPagedPoolInfo;

    if (!MiChargeCommitment(SizeInPages))
        return NULL;
    ExAcquireFastMutex(&MmPagedPoolMutex);
    ULONG Index = RtlFindClearBitsAndSet(&Info->PagedPoolAllocationMap, SizeInPages, Info->PagedPoolHint);
    if (Index == RTL_BITMAP_NOT_FOUND)
        goto Fail;
    PVOID Va = PageAt(MmPagedPoolStart, Index);
    PVOID End = PageAt(Va, SizeInPages);
    for (ULONG Table = (ULONG)Va; Table < (ULONG)End; Table = ROUND_DOWN(Table + (1u << PDE_SHIFT), 1u << PDE_SHIFT)) {
        if (!MiEnsureSystemPageTable((PVOID)Table)) {
            RtlClearBits(&Info->PagedPoolAllocationMap, Index, SizeInPages);
            goto Fail;
        }
    }
    PMMPTE Pte = MiAddressToPte(Va);
    MMPTE DemandZero = MiMakeDemandZeroPte(MM_READWRITE);
    for (ULONG i = 0; i < SizeInPages; i++)
        MiWritePte(&Pte[i], DemandZero);
    RtlSetBits(&Info->EndOfPagedPoolBitmap, Index + SizeInPages - 1, 1);
    Info->PagedPoolHint = Index + SizeInPages;
    Info->AllocatedPagedPool += SizeInPages;
    ExReleaseFastMutex(&MmPagedPoolMutex);
    return Va;

Fail:
    ExReleaseFastMutex(&MmPagedPoolMutex);
    MiReturnCommitment(SizeInPages);
    return NULL;
}

static inline ULONG PagedPoolIndex(PVOID Va)
{
    return ((ULONG)Va - (ULONG)MmPagedPoolStart) >> PAGE_SHIFT;
}

/* True if page Index of paged pool starts an allocation. Paged pool mutex held (or a debugger's view). */
static bool PagedPoolAllocationStarts(ULONG Index)
{
    MM_PAGED_POOL_INFO *Info = &MmPagedPoolInfo;
    return RtlCheckBit(&Info->PagedPoolAllocationMap, Index) &&
           (Index == 0 || !RtlCheckBit(&Info->PagedPoolAllocationMap, Index - 1) ||
            RtlCheckBit(&Info->EndOfPagedPoolBitmap, Index - 1));
}

/* Frees the paged allocation starting at Va: its touched pages and its commit go back. */
static ULONG FreePagedPoolPages(PVOID Va)
{
    MM_PAGED_POOL_INFO *Info = &MmPagedPoolInfo;
    ULONG Index = PagedPoolIndex(Va);

    ExAcquireFastMutex(&MmPagedPoolMutex);
    if (!PagedPoolAllocationStarts(Index))
        MiBadPoolPagesFree(Va);
    ULONG Last = RtlFindSetBits(&Info->EndOfPagedPoolBitmap, 1, Index);
    if (Last == RTL_BITMAP_NOT_FOUND || Last < Index)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_PAGED_POOL_MAP, (ULONG_PTR)Va, Index, Last);
    ULONG Pages = Last - Index + 1;

    PMMPTE Pte = MiAddressToPte(Va);
    for (ULONG i = 0; i < Pages; i++) {
        if (MiReadPte(&Pte[i]).u.Hard.Valid)
            MiFreeSystemPage(PageAt(Va, i));
        else
            MiWritePte(&Pte[i], (MMPTE){ .u.Long = 0 });
    }
    RtlClearBits(&Info->PagedPoolAllocationMap, Index, Pages);
    RtlClearBits(&Info->EndOfPagedPoolBitmap, Last, 1);
    Info->PagedPoolHint = MIN(Info->PagedPoolHint, Index);
    Info->AllocatedPagedPool -= Pages;
    ExReleaseFastMutex(&MmPagedPoolMutex);
    MiReturnCommitment(Pages);
    return Pages;
}

PVOID MiAllocatePoolPages(POOL_TYPE PoolType, SIZE_T SizeInBytes)
{
    KIRQL OldIrql;

    if (SizeInBytes == 0 || SizeInBytes > 0xFFFFFFFFu - PAGE_SIZE)
        return NULL;
    ULONG SizeInPages = BYTES_TO_PAGES(SizeInBytes);
    if ((PoolType & BASE_POOL_TYPE_MASK) == PagedPool)
        return AllocatePagedPoolPages(SizeInPages);

    KeAcquireSpinLock(&MmNonPagedPoolLock, &OldIrql);
    PVOID Va = AllocateInitialPages(SizeInPages, false);
    if (!Va)
        Va = AllocateExpansionPages(SizeInPages);
    if (Va)
        MmAllocatedNonPagedPool += SizeInPages;
    KeReleaseSpinLock(&MmNonPagedPoolLock, OldIrql);
    return Va;
}

ULONG MiFreePoolPages(PVOID StartingAddress)
{
    KIRQL OldIrql;

    ASSERT(BYTE_OFFSET(StartingAddress) == 0);
    if (MiIsPagedPoolAddress(StartingAddress))
        return FreePagedPoolPages(StartingAddress);
    if (!MiIsNonPagedPoolAddress(StartingAddress))
        MiBadPoolPagesFree(StartingAddress);

    KeAcquireSpinLock(&MmNonPagedPoolLock, &OldIrql);
    if (!PoolPageMapped(StartingAddress) || !PoolPfn(StartingAddress)->u3.e2.e1.StartOfAllocation)
        MiBadPoolPagesFree(StartingAddress);
    PMMPFN Pfn1 = PoolPfn(StartingAddress);
    ULONG Pages = 1;
    bool Initial = InInitialRegion(StartingAddress);
    /* One hold of the PFN lock: the ends unmarked and, for expansion pages, every page unmapped and released. */
    LOCK_PFN_AT_DPC();
    Pfn1->u3.e2.e1.StartOfAllocation = 0;
    while (!Pfn1->u3.e2.e1.EndOfAllocation) {
        Pfn1 = PoolPfn(PageAt(StartingAddress, Pages));
        Pages++;
    }
    Pfn1->u3.e2.e1.EndOfAllocation = 0;
    if (!Initial)
        ReleaseExpansionPagesLocked(StartingAddress, Pages);
    UNLOCK_PFN_FROM_DPC();

    if (Initial)
        FreeInitialPages(StartingAddress, Pages);
    else
        FreeExpansionPages(StartingAddress, Pages);
    MmAllocatedNonPagedPool -= Pages;
    KeReleaseSpinLock(&MmNonPagedPoolLock, OldIrql);
    return Pages;
}

bool MiPoolResourcesAvailable(POOL_TYPE BasePoolType, SIZE_T NumberOfBytes, ULONG ReservePages)
{
    ULONG Pages = BYTES_TO_PAGES(NumberOfBytes);
    if (BasePoolType == PagedPool) {
        ULONG FreePages = (MmSizeOfPagedPoolInBytes >> PAGE_SHIFT) - MmPagedPoolInfo.AllocatedPagedPool;
        return Pages + ReservePages <= FreePages &&
               MmTotalCommittedPages + Pages + ReservePages <= MmTotalCommitLimit;
    }
    ULONG FreePages = (MmMaximumNonPagedPoolInBytes >> PAGE_SHIFT) - MmAllocatedNonPagedPool;
    if (Pages + ReservePages > FreePages)
        return false;
    /* Pages beyond what the initial region still has free come from RAM, through the expansion. */
    return Pages <= MmNumberOfFreeNonPagedPool || Pages + ReservePages <= MmAvailablePages;
}

bool MiIsSinglePagePoolAllocation(PVOID Va)
{
    Va = PAGE_ALIGN(Va);
    if (MiIsPagedPoolAddress(Va)) {
        ULONG Index = PagedPoolIndex(Va);
        return PagedPoolAllocationStarts(Index) && RtlCheckBit(&MmPagedPoolInfo.EndOfPagedPoolBitmap, Index);
    }
    if (!MiIsNonPagedPoolAddress(Va) || !PoolPageMapped(Va))
        return false;
    PMMPFN Pfn1 = PoolPfn(Va);
    return Pfn1->u3.e2.e1.StartOfAllocation && Pfn1->u3.e2.e1.EndOfAllocation;
}

NORETURN void MiBadPoolPagesFree(PVOID Va)
{
    if (MiIsPagedPoolAddress(Va)) {
        ULONG Index = PagedPoolIndex(Va);
        if (!RtlCheckBit(&MmPagedPoolInfo.PagedPoolAllocationMap, Index))
            KeBugCheckEx(BAD_POOL_CALLER, 0x50, (ULONG_PTR)Va, Index, MmSizeOfPagedPoolInBytes);
        if (!PagedPoolAllocationStarts(Index))
            KeBugCheckEx(BAD_POOL_CALLER, 0x41286, (ULONG_PTR)Va, 0, Index);
    } else if (MiIsNonPagedPoolAddress(Va)) {
        if (!PoolPageMapped(Va))
            KeBugCheckEx(BAD_POOL_CALLER, 0x44, (ULONG_PTR)Va, 0, 0);
        if (!PoolPfn(Va)->u3.e2.e1.StartOfAllocation)
            KeBugCheckEx(BAD_POOL_CALLER, 0x41, (ULONG_PTR)Va,
                         MiReadPte(MiAddressToPte(Va)).u.Hard.PageFrameNumber, MmHighestPhysicalPage);
    } else {
        KeBugCheckEx(BAD_POOL_CALLER, 0x42, (ULONG_PTR)Va, 0, 0);
    }
    KeBugCheckEx(BAD_POOL_CALLER, 0x99, (ULONG_PTR)Va, 0, 0);
}

void MiMapInitialNonPagedPool(void)
{
    for (ULONG Va = (ULONG)MmNonPagedPoolStart; Va < (ULONG)MmNonPagedPoolExpansionStart; Va += PAGE_SIZE) {
        if (!MiMapSystemPage((PVOID)Va, MxGetNextPage(), MI_PTE_KERNEL_READWRITE))
            KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_NO_PAGE_TABLE, Va, 0, 0);
    }
}

PVOID MiAllocatePoolPagesAtBoot(ULONG Pages)
{
    PVOID Va = AllocateInitialPages(Pages, true);
    if (!Va)
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, Pages, MmNumberOfFreeNonPagedPool, 0, 0);
    MmAllocatedNonPagedPool += Pages;
    return Va;
}

void MiInitializePoolPages(void)
{
    ULONG InitialPages = MmSizeOfNonPagedPoolInBytes >> PAGE_SHIFT;
    ULONG PagedPages = MmSizeOfPagedPoolInBytes >> PAGE_SHIFT;

    KeInitializeSpinLock(&MmNonPagedPoolLock);
    ExInitializeFastMutex(&MmPagedPoolMutex);
    for (ULONG i = 0; i < MI_MAX_FREE_LIST_HEADS; i++)
        InitializeListHead(&MmNonPagedPoolFreeListHead[i]);
    InsertFreeRun(MmNonPagedPoolStart, InitialPages);
    MmNumberOfFreeNonPagedPool = InitialPages;

    /* Expansion may not take the pool past its maximum, nor past its region. */
    ULONG Region = ((ULONG)MmNonPagedPoolEnd - (ULONG)MmNonPagedPoolExpansionStart) >> PAGE_SHIFT;
    MiMaximumNonPagedExpansionPages = MIN(Region, (MmMaximumNonPagedPoolInBytes >> PAGE_SHIFT) - InitialPages);

    /* The bitmaps live in the initial nonpaged pool, as NT's do. */
    ULONG ExpansionBytes = ROUND_UP(MiMaximumNonPagedExpansionPages, 32) / 8;
    ULONG PagedBytes = ROUND_UP(PagedPages, 32) / 8;
    PULONG Maps = MiAllocatePoolPagesAtBoot(BYTES_TO_PAGES(ExpansionBytes + 2 * PagedBytes));
    RtlInitializeBitMap(&MiNonPagedExpansionMap, Maps, MiMaximumNonPagedExpansionPages);
    RtlInitializeBitMap(&MmPagedPoolInfo.PagedPoolAllocationMap, Maps + ExpansionBytes / 4, PagedPages);
    RtlInitializeBitMap(&MmPagedPoolInfo.EndOfPagedPoolBitmap, Maps + (ExpansionBytes + PagedBytes) / 4,
                        PagedPages);
    RtlClearAllBits(&MiNonPagedExpansionMap);
    RtlClearAllBits(&MmPagedPoolInfo.PagedPoolAllocationMap);
    RtlClearAllBits(&MmPagedPoolInfo.EndOfPagedPoolBitmap);
}

void MiQueryInitialNonPagedRuns(ULONG *Runs, ULONG *LargestRun)
{
    KIRQL OldIrql;
    *Runs = *LargestRun = 0;
    KeAcquireSpinLock(&MmNonPagedPoolLock, &OldIrql);
    for (ULONG List = 0; List < MI_MAX_FREE_LIST_HEADS; List++) {
        PLIST_ENTRY Head = &MmNonPagedPoolFreeListHead[List];
        for (PLIST_ENTRY Link = Head->Flink; Link != Head; Link = Link->Flink) {
            PMMFREE_POOL_ENTRY Run = CONTAINING_RECORD(Link, MMFREE_POOL_ENTRY, List);
            (*Runs)++;
            *LargestRun = MAX(*LargestRun, Run->Size);
        }
    }
    KeReleaseSpinLock(&MmNonPagedPoolLock, OldIrql);
}

static long long ReadNonPagedPoolPages(void)
{
    return MmAllocatedNonPagedPool;
}

/*
 * The leak guard for nonpaged pool's pages: the initial part takes no pages
 * from the free list and charges no commit, so only this count sees a page
 * the block allocator forgot to give back. Read after lookasides drain.
 */
static const KTEST_GUARD MiNonPagedPoolPagesGuard = {
    .Name = "nonpaged pool pages in use", .Read = ReadNonPagedPoolPages,
};

void MiRegisterPoolPagesGuard(void)
{
    KtestRegisterGuard(&MiNonPagedPoolPagesGuard);
}
