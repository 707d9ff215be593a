/*
 * tests/mm/pfncount.c — each page's share and reference counts (mm/pfn.c),
 * kept by every user of pages: kernel stacks, pool, demand-zero faults,
 * system page tables, address spaces, MDLs; a standby page given back to
 * its PTE; and the bugchecks for freeing what is still held.
 *
 * The expectations are NT's rules, written out: a page mapped once has
 * share 1 and reference 1; a page table one share for its PDE plus one per
 * page mapped in it; an MDL's page one reference and no share; a system
 * mapping of an MDL changes nothing. OriginalPte of a system page is NT's
 * demand-zero read/write software PTE, 0x80 (protection 4 in bits 5-9).
 */
#include <ktest.h>
#include <pool.h>
#include "mm/mi.h"
#include "../testlib.h"

#define MI_DEMAND_ZERO_READWRITE_PTE    0x00000080u     /* NT's x86 encoding, written out */

typedef struct {
    ULONG Location, Share, References;
    PMMPTE PteAddress;
    PFN_NUMBER PteFrame;
} PFN_COUNTS;

/* A page's entry as one consistent snapshot, under the PFN lock. */
static PFN_COUNTS Counts(PFN_NUMBER Pfn)
{
    KIRQL OldIrql;
    LOCK_PFN(OldIrql);
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    PFN_COUNTS c = { Pfn1->u3.e2.e1.PageLocation, Pfn1->u2.ShareCount, Pfn1->u3.e2.ReferenceCount,
                     Pfn1->PteAddress, Pfn1->u4.PteFrame };
    UNLOCK_PFN(OldIrql);
    return c;
}

static PFN_NUMBER PfnOf(PVOID Va)
{
    return (PFN_NUMBER)(MmGetPhysicalAddress(Va) >> PAGE_SHIFT);
}

static PFN_NUMBER TableOf(PVOID Va)
{
    MiSyncSystemPde(Va);
    return MiReadPte(MiAddressToPde(Va)).u.Hard.PageFrameNumber;
}

/*
 * Every page in use, over the whole database: its share count is one for
 * its own PTE plus one per page whose page table it is, and exactly one
 * reference holds it (between tests nothing is locked twice). Counted here
 * from PteAddress and PteFrame alone, so a user of pages that forgets a
 * share, or drops one twice, fails this.
 */
KTEST(pfncount, every_page_counts_its_ptes)
{
    ULONG Entries = MmHighestPhysicalPage + 1;
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, Entries * sizeof(USHORT));
    ASSERT_NOT_NULL(Mdl);
    if (MmGetMdlByteCount(Mdl) < Entries * sizeof(USHORT)) {
        KtestFail(t, __FILE__, __LINE__, "no room for the census: %u of %u bytes", MmGetMdlByteCount(Mdl),
                  Entries * (ULONG)sizeof(USHORT));
        MmFreePagesFromMdl(Mdl);
        IoFreeMdl(Mdl);
        return;
    }
    USHORT *Expected = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority);
    ASSERT_NOT_NULL(Expected);
    ULONG Wrong = 0, WrongReferences = 0, InUse = 0;
    PFN_NUMBER First = 0;
    PFN_COUNTS Got = { 0 };
    KIRQL OldIrql;

    LOCK_PFN(OldIrql);
    for (ULONG i = 0; i < MmPhysicalMemoryBlock.NumberOfRuns; i++) {
        const PHYSICAL_MEMORY_RUN *Run = &MmPhysicalMemoryBlock.Run[i];
        for (PFN_NUMBER Pfn = Run->BasePage; Pfn < Run->BasePage + Run->PageCount; Pfn++) {
            PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
            MMLISTS Location = Pfn1->u3.e2.e1.PageLocation;
            if (Pfn1->PteAddress == NULL || MI_IS_PFN_DELETED(Pfn1))
                continue;
            /* A standby or modified page's PTE is in transition: it still holds a share of its page table. */
            bool InTransition = Location == StandbyPageList || Location == ModifiedPageList ||
                                Location == ModifiedNoWritePageList;
            if (Location != ActiveAndValid && !InTransition)
                continue;
            if (Location == ActiveAndValid)
                Expected[Pfn]++;
            if (MiIsPhysicalPage(Pfn1->u4.PteFrame))
                Expected[Pfn1->u4.PteFrame]++;
        }
    }
    for (ULONG i = 0; i < MmPhysicalMemoryBlock.NumberOfRuns; i++) {
        const PHYSICAL_MEMORY_RUN *Run = &MmPhysicalMemoryBlock.Run[i];
        for (PFN_NUMBER Pfn = Run->BasePage; Pfn < Run->BasePage + Run->PageCount; Pfn++) {
            PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
            if (Pfn1->u3.e2.e1.PageLocation != ActiveAndValid)
                continue;
            InUse++;
            if (Pfn1->u2.ShareCount != Expected[Pfn] && Wrong++ == 0) {
                First = Pfn;
                Got = (PFN_COUNTS){ ActiveAndValid, Pfn1->u2.ShareCount, Expected[Pfn], Pfn1->PteAddress,
                                    Pfn1->u4.PteFrame };
            }
            WrongReferences += Pfn1->u3.e2.ReferenceCount != 1;
        }
    }
    UNLOCK_PFN(OldIrql);

    if (Wrong)
        KtestFail(t, __FILE__, __LINE__, "%u pages with a wrong share count; first: PFN %x share %u, expected %u "
                  "(PTE %08x, page table %x)", Wrong, First, Got.Share, Got.References, (ULONG)Got.PteAddress,
                  Got.PteFrame);
    EXPECT_EQ(WrongReferences, 0);
    EXPECT_GT(InUse, 0);
    MmUnmapLockedPages(Expected, Mdl);
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);
}

/*
 * A kernel stack's pages: each mapped once (share 1, reference 1, its PTE
 * and page table recorded, NT's demand-zero PTE to restore), its page table
 * a share more per page; after the delete each page is free and the page
 * tables are back where they were.
 */
KTEST(pfncount, kernel_stack_pages)
{
    const ULONG Pages = KERNEL_STACK_SIZE / PAGE_SIZE;
    PFN_NUMBER Pfn[KERNEL_STACK_SIZE / PAGE_SIZE], Table[KERNEL_STACK_SIZE / PAGE_SIZE];
    ULONG TableShare[KERNEL_STACK_SIZE / PAGE_SIZE];
    char *Base = MmCreateKernelStack(FALSE, 0);
    ASSERT_NOT_NULL(Base);

    for (ULONG i = 0; i < Pages; i++) {
        char *Va = Base - (i + 1) * PAGE_SIZE;
        Pfn[i] = PfnOf(Va);
        Table[i] = TableOf(Va);
        PFN_COUNTS c = Counts(Pfn[i]);
        EXPECT_EQ(c.Location, ActiveAndValid);
        EXPECT_EQ(c.Share, 1);
        EXPECT_EQ(c.References, 1);
        EXPECT_EQ(c.PteAddress, MiAddressToPte(Va));
        EXPECT_EQ(c.PteFrame, Table[i]);
        EXPECT_EQ(MI_PFN_ELEMENT(Pfn[i])->OriginalPte.u.Long, MI_DEMAND_ZERO_READWRITE_PTE);
        EXPECT_EQ(MI_PFN_ELEMENT(Pfn[i])->u3.e2.e1.CacheAttribute, MiCached);
    }
    for (ULONG i = 0; i < Pages; i++) {
        ULONG Mine = 0;
        for (ULONG j = 0; j < Pages; j++)
            Mine += Table[j] == Table[i];
        TableShare[i] = Counts(Table[i]).Share - Mine;      /* what the table holds without the stack */
    }
    MmDeleteKernelStack(Base, FALSE);
    for (ULONG i = 0; i < Pages; i++) {
        EXPECT_EQ(Counts(Pfn[i]).Location, FreePageList);
        EXPECT_EQ(Counts(Table[i]).Share, TableShare[i]);
    }
}

/*
 * A paged pool page is demand-zero until touched; the fault gives it share
 * 1 and reference 1 and keeps the demand-zero PTE it replaced as
 * OriginalPte; freeing the allocation frees the page.
 */
KTEST(pfncount, demand_zero_page)
{
    volatile ULONG *Va = MiAllocatePoolPages(PagedPool, PAGE_SIZE);
    ASSERT_NOT_NULL(Va);
    ASSERT_EQ(MiReadPte(MiAddressToPte(Va)).u.Long, MI_DEMAND_ZERO_READWRITE_PTE);
    PFN_NUMBER Table = TableOf((PVOID)Va);
    ULONG TableShare = Counts(Table).Share;

    *Va = 0x600DF00D;                       /* the demand-zero fault */
    PFN_NUMBER Pfn = PfnOf((PVOID)Va);
    PFN_COUNTS c = Counts(Pfn);
    EXPECT_EQ(c.Location, ActiveAndValid);
    EXPECT_EQ(c.Share, 1);
    EXPECT_EQ(c.References, 1);
    EXPECT_EQ(c.PteAddress, MiAddressToPte(Va));
    EXPECT_EQ(c.PteFrame, Table);
    EXPECT_EQ(MI_PFN_ELEMENT(Pfn)->OriginalPte.u.Long, MI_DEMAND_ZERO_READWRITE_PTE);
    EXPECT_TRUE(MI_PFN_ELEMENT(Pfn)->u3.e2.e1.Modified);
    EXPECT_EQ(Counts(Table).Share, TableShare + 1);

    EXPECT_EQ(MiFreePoolPages((PVOID)Va), 1);
    EXPECT_EQ(Counts(Pfn).Location, FreePageList);
    EXPECT_EQ(Counts(Table).Share, TableShare);
}

/*
 * A system page table made now: share 1 for its PDE, held by the system
 * page directory (one share more there); a page mapped in it adds a share
 * and its release takes it away again. The directory holds one share per
 * page table it maps (system ones, and any user page table of the system
 * process's own user range) plus its own mapping, counted here from the PDEs.
 */
KTEST(pfncount, system_page_tables)
{
    ULONG Tables = 0;
    for (ULONG i = 0; i < PTE_PER_PAGE; i++) {
        MMPTE Pde = MiReadPte(&MmSystemPagePtes[i]);
        Tables += i != SELF_MAP_PDE && Pde.u.Hard.Valid && !Pde.u.Hard.LargePage &&
                  MiIsPhysicalPage(Pde.u.Hard.PageFrameNumber);
    }
    EXPECT_EQ(Counts(MmSystemPageDirectoryPfn).Share, Tables + 1);

    PVOID Va = NULL;
    for (ULONG a = (ULONG)MmSystemCacheStart; a < (ULONG)MmSystemCacheEnd && !Va; a += 1u << PDE_SHIFT) {
        if (!MiReadPte(&MmSystemPagePtes[MiGetPdeIndex(a)]).u.Hard.Valid)
            Va = (PVOID)a;
    }
    if (!Va)
        KTEST_SKIP("no system PDE left to make");
    ASSERT_TRUE(MiEnsureSystemPageTable(Va));
    PFN_NUMBER Table = TableOf(Va);
    PFN_COUNTS c = Counts(Table);
    EXPECT_EQ(c.Share, 1);
    EXPECT_EQ(c.References, 1);
    EXPECT_EQ(c.PteAddress, MiAddressToPde(Va));
    EXPECT_EQ(c.PteFrame, MmSystemPageDirectoryPfn);
    EXPECT_EQ(Counts(MmSystemPageDirectoryPfn).Share, Tables + 2);

    PFN_NUMBER Pfn = MiMapNewSystemPage(Va);
    ASSERT_NE(Pfn, MI_NO_PAGE);
    EXPECT_EQ(Counts(Table).Share, 2);
    EXPECT_EQ(Counts(Pfn).PteFrame, Table);
    MiFreeSystemPage(Va);
    EXPECT_EQ(Counts(Table).Share, 1);
    EXPECT_EQ(Counts(Pfn).Location, FreePageList);
    EXPECT_FALSE(MmIsAddressValid(Va));
    TestGiveBackSystemPageTable(Va);
    EXPECT_EQ(Counts(MmSystemPageDirectoryPfn).Share, Tables + 1);
}

/*
 * An address space's directory is mapped by its own self-map PDE and is
 * the page table of itself and of the hyperspace page: share 3, as NT's
 * MmCreateProcessAddressSpace leaves it; the hyperspace page share 1. Both
 * are free after the delete.
 */
KTEST(pfncount, address_space_pages)
{
    MMADDRESS_SPACE A;
    ASSERT_EQ(MmCreateAddressSpace(&A), STATUS_SUCCESS);
    PFN_COUNTS Directory = Counts(A.PageDirectoryPfn), Hyper = Counts(A.HyperSpacePfn);
    EXPECT_EQ(Directory.Share, 3);
    EXPECT_EQ(Directory.References, 1);
    EXPECT_EQ(Directory.PteAddress, MiAddressToPde(PTE_BASE));
    EXPECT_EQ(Directory.PteFrame, A.PageDirectoryPfn);
    EXPECT_EQ(Hyper.Share, 1);
    EXPECT_EQ(Hyper.References, 1);
    EXPECT_EQ(Hyper.PteAddress, MiAddressToPde(HYPER_SPACE));
    EXPECT_EQ(Hyper.PteFrame, A.PageDirectoryPfn);

    PFN_NUMBER DirectoryPfn = A.PageDirectoryPfn, HyperPfn = A.HyperSpacePfn;
    MmDeleteAddressSpace(&A);
    EXPECT_EQ(Counts(DirectoryPfn).Location, FreePageList);
    EXPECT_EQ(Counts(HyperPfn).Location, FreePageList);
}

/*
 * MmAllocatePagesForMdl's pages are held by the MDL alone: reference 1, no
 * share, no PTE, each counted in MmSystemLockPagesCount. Mapping the MDL in
 * system space and unmapping it changes no count (NT's rule: the lock holds
 * the pages); freeing drops the locks and the pages go free.
 */
KTEST(pfncount, mdl_pages_are_locked_not_shared)
{
    const ULONG Pages = 4;
    ULONG Locks = MmSystemLockPagesCount;
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, Pages * PAGE_SIZE);
    ASSERT_NOT_NULL(Mdl);
    ASSERT_EQ(MmGetMdlByteCount(Mdl), Pages * PAGE_SIZE);
    const PFN_NUMBER *Pfns = MmGetMdlPfnArray(Mdl);
    EXPECT_EQ(MmSystemLockPagesCount, Locks + Pages);

    for (int Round = 0; Round < 3; Round++) {
        PVOID Va = Round == 1 ? MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE,
                                                             NormalPagePriority) : NULL;
        for (ULONG i = 0; i < Pages; i++) {
            PFN_COUNTS c = Counts(Pfns[i]);
            EXPECT_EQ(c.Location, ActiveAndValid);
            EXPECT_EQ(c.Share, 0);
            EXPECT_EQ(c.References, 1);
            EXPECT_NULL(c.PteAddress);
        }
        if (Round == 1) {
            ASSERT_NOT_NULL(Va);
            MmUnmapLockedPages(Va, Mdl);
        }
    }
    MmFreePagesFromMdl(Mdl);
    for (ULONG i = 0; i < Pages; i++)
        EXPECT_EQ(Counts(Pfns[i]).Location, FreePageList);
    EXPECT_EQ(MmSystemLockPagesCount, Locks);
    IoFreeMdl(Mdl);
}

/* An MDL over nonpaged pool takes no reference (the pool's mapping holds the pages); mapping it changes nothing. */
KTEST(pfncount, pool_mdl_mapping_changes_nothing)
{
    const ULONG Tag = MAKE_TAG('T', 'p', 'f', 'c');
    char *Buffer = ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, Tag);
    ASSERT_NOT_NULL(Buffer);
    PMDL Mdl = IoAllocateMdl(Buffer, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    ASSERT_NOT_NULL(Mdl);
    MmBuildMdlForNonPagedPool(Mdl);
    const PFN_NUMBER *Pfns = MmGetMdlPfnArray(Mdl);
    PFN_COUNTS Before[2] = { Counts(Pfns[0]), Counts(Pfns[1]) };
    EXPECT_EQ(Before[0].Share, 1);
    EXPECT_EQ(Before[0].References, 1);

    PVOID Second = MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    ASSERT_NOT_NULL(Second);
    for (ULONG i = 0; i < 2; i++) {
        EXPECT_EQ(Counts(Pfns[i]).Share, Before[i].Share);
        EXPECT_EQ(Counts(Pfns[i]).References, Before[i].References);
        EXPECT_EQ(Counts(Pfns[i]).PteAddress, Before[i].PteAddress);
    }
    MmUnmapLockedPages(Second, Mdl);
    for (ULONG i = 0; i < 2; i++) {
        EXPECT_EQ(Counts(Pfns[i]).Share, Before[i].Share);
        EXPECT_EQ(Counts(Pfns[i]).References, Before[i].References);
    }
    IoFreeMdl(Mdl);
    ExFreePoolWithTag(Buffer, Tag);
}

/*
 * A mapped page that an MDL also locks (reference 2) outlives its mapping:
 * deleting the PTE leaves it in transition, off every list and not
 * available; dropping the lock frees it. Else a DMA could land in a page
 * already given to someone else.
 */
KTEST(pfncount, page_stays_until_its_last_reference_goes)
{
    PMMPTE Pte = MiReserveSystemPtes(1, SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    PFN_COUNTS Mapped, Unmapped, Freed;
    ULONG AvailableMapped, AvailableUnmapped, AvailableFreed;
    MMPTE PteAfterDelete;
    KIRQL OldIrql;

    LOCK_PFN(OldIrql);
    PFN_NUMBER Pfn = MiRemoveAnyPageLocked();
    if (Pfn != MI_NO_PAGE) {
        MiInitializePfnAndMakePteValid(Pfn, Pte, MiMakeValidPte(Pfn, MI_PTE_KERNEL_READWRITE));
        MiReferenceUsedPageAndBumpLockCount(Pfn);
    }
    UNLOCK_PFN(OldIrql);
    ASSERT_NE(Pfn, MI_NO_PAGE);
    Mapped = Counts(Pfn);
    AvailableMapped = MmAvailablePages;

    LOCK_PFN(OldIrql);
    MiDeleteValidPte(Pte);
    UNLOCK_PFN(OldIrql);
    Unmapped = Counts(Pfn);
    AvailableUnmapped = MmAvailablePages;
    PteAfterDelete = MiReadPte(Pte);

    LOCK_PFN(OldIrql);
    MiDereferencePfnAndDropLockCount(Pfn);
    UNLOCK_PFN(OldIrql);
    Freed = Counts(Pfn);
    AvailableFreed = MmAvailablePages;
    MiReleaseSystemPtes(Pte, 1, SystemPteSpace);

    EXPECT_EQ(Mapped.Share, 1);
    EXPECT_EQ(Mapped.References, 2);
    EXPECT_EQ(PteAfterDelete.u.Long, 0);
    EXPECT_EQ(Unmapped.Location, TransitionPage);
    EXPECT_EQ(Unmapped.Share, 0);
    EXPECT_EQ(Unmapped.References, 1);
    EXPECT_EQ(AvailableUnmapped, AvailableMapped);
    EXPECT_EQ(Freed.Location, FreePageList);
    EXPECT_EQ(Freed.References, 0);
    EXPECT_EQ(AvailableFreed, AvailableMapped + 1);
}

/*
 * A clean page whose PTE went into transition waits on the standby list
 * (available, still naming its PTE). When memory runs short and
 * MiRemoveAnyPage takes it, the PTE gets back the software PTE the page
 * stood for — NT's demand-zero read/write, 0x80 — its page table loses the
 * transition PTE's share, and the page is handed out unreferenced. Else a
 * later touch of that address would reach a page someone else now owns.
 */
KTEST(pfncount, standby_page_gives_its_pte_back)
{
    PMMPTE Pte = MiReserveSystemPtes(1, SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    PVOID Va = MiPteToAddress(Pte);
    PFN_NUMBER Table = TableOf(Va);
    ULONG TableShare = Counts(Table).Share;
    ULONG Standby = MmStandbyPageListHead.Total, Available = MmAvailablePages;
    KIRQL OldIrql;

    LOCK_PFN(OldIrql);
    PFN_NUMBER Pfn = MiRemoveAnyPageLocked();
    if (Pfn != MI_NO_PAGE) {
        MiInitializePfnAndMakePteValid(Pfn, Pte, MiMakeValidPte(Pfn, MI_PTE_KERNEL_READWRITE));
        MI_PFN_ELEMENT(Pfn)->u3.e2.e1.Modified = 0;        /* its contents are safe elsewhere: clean */
        MiWritePte(Pte, MiMakeTransitionPte(Pfn, MM_READWRITE));
        HalInvalidatePage(Va);
        MiDecrementShareCount(MI_PFN_ELEMENT(Pfn), Pfn);
    }
    UNLOCK_PFN(OldIrql);
    ASSERT_NE(Pfn, MI_NO_PAGE);

    PFN_COUNTS OnStandby = Counts(Pfn);
    EXPECT_EQ(OnStandby.Location, StandbyPageList);
    EXPECT_EQ(OnStandby.PteAddress, Pte);
    EXPECT_EQ(MmStandbyPageListHead.Total, Standby + 1);
    EXPECT_EQ(MmAvailablePages, Available);
    EXPECT_EQ(Counts(Table).Share, TableShare + 1);         /* the transition PTE still counts */
    MMPTE Transition = MiReadPte(Pte);
    EXPECT_TRUE(Transition.u.Trans.Transition);
    EXPECT_EQ(Transition.u.Trans.PageFrameNumber, Pfn);

    /* Use up the free and zeroed lists: then MiRemoveAnyPage must take the standby page. */
    PFN_NUMBER Chain = MM_EMPTY_LIST, Got;
    ULONG Taken = 0;
    while ((Got = MiRemoveAnyPage()) != MI_NO_PAGE && Got != Pfn) {
        MI_PFN_ELEMENT(Got)->u1.Flink = Chain;      /* the test holds the page: chain it through its entry */
        Chain = Got;
        Taken++;
    }
    MMPTE Restored = MiReadPte(Pte);
    PFN_COUNTS Reused = Counts(Pfn);
    ULONG TableShareAfter = Counts(Table).Share, StandbyAfter = MmStandbyPageListHead.Total;
    while (Chain != MM_EMPTY_LIST) {
        PFN_NUMBER Next = MI_PFN_ELEMENT(Chain)->u1.Flink;
        MiInsertPageInFreeList(Chain);
        Chain = Next;
    }
    if (Got != MI_NO_PAGE)
        MiInsertPageInFreeList(Got);
    MiReleaseSystemPtes(Pte, 1, SystemPteSpace);

    EXPECT_EQ(Got, Pfn);
    EXPECT_GT(Taken, 0);
    EXPECT_EQ(Restored.u.Long, MI_DEMAND_ZERO_READWRITE_PTE);
    EXPECT_EQ(Reused.Location, ActiveAndValid);
    EXPECT_EQ(Reused.Share, 0);
    EXPECT_EQ(Reused.References, 0);
    EXPECT_NULL(Reused.PteAddress);
    EXPECT_EQ(TableShareAfter, TableShare);
    EXPECT_EQ(StandbyAfter, Standby);
}

/* Freeing a page a PTE still maps (a kernel stack's) is PFN_LIST_CORRUPT 0x9A, naming the page. */
KTEST_DEATH_P1(pfncount, free_mapped_page, PFN_LIST_CORRUPT, PFN_CORRUPT_PAGE_REFERENCED)
{
    char *Base = MmCreateKernelStack(FALSE, 0);
    TEST_REQUIRE(Base != NULL);
    PFN_NUMBER Pfn = PfnOf(Base - PAGE_SIZE);
    KtestExpectBugCheckParameter(t, 2, Pfn);
    KtestExpectBugCheckParameter(t, 3, ActiveAndValid);
    KtestExpectBugCheckParameter(t, 4, 1);          /* the reference its PTE holds */
    MiInsertPageInFreeList(Pfn);
}

/* Freeing a page an MDL has locked is PFN_LIST_CORRUPT 0x9A, naming the page: a device may still write it. */
KTEST_DEATH_P1(pfncount, free_locked_mdl_page, PFN_LIST_CORRUPT, PFN_CORRUPT_PAGE_REFERENCED)
{
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, PAGE_SIZE);
    TEST_REQUIRE(Mdl != NULL);
    PFN_NUMBER Pfn = MmGetMdlPfnArray(Mdl)[0];
    KtestExpectBugCheckParameter(t, 2, Pfn);
    MiInsertPageInFreeList(Pfn);
}

/* Dropping an MDL lock that is not there — unlocking more often than locking — is PFN_LIST_CORRUPT 0x07 with the page. */
KTEST_DEATH_P1(pfncount, unlock_more_than_locked, PFN_LIST_CORRUPT, PFN_CORRUPT_COUNT_UNDERFLOW)
{
    KIRQL OldIrql;
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, PAGE_SIZE);
    TEST_REQUIRE(Mdl != NULL);
    PFN_NUMBER Pfn = MmGetMdlPfnArray(Mdl)[0];
    KtestExpectBugCheckParameter(t, 2, Pfn);
    MmFreePagesFromMdl(Mdl);
    LOCK_PFN(OldIrql);
    MiDereferencePfnAndDropLockCount(Pfn);
}
