/*
 * tests/mm/pfn.c — the PFN database, the page lists and page allocation.
 */
#include <ktest.h>
#include <loader.h>
#include "../../mm/mi.h"
#include "../testlib.h"

typedef struct {
    ULONG ByState[TransitionPage + 1];
    ULONG Tracked;
} PFN_CENSUS;

/* Counts every page of every run by its state, under the PFN lock. */
static void TakeCensus(PFN_CENSUS *Census)
{
    KIRQL OldIrql;
    memset(Census, 0, sizeof(*Census));
    LOCK_PFN(OldIrql);
    for (ULONG i = 0; i < MmPhysicalMemoryBlock.NumberOfRuns; i++) {
        const PHYSICAL_MEMORY_RUN *Run = &MmPhysicalMemoryBlock.Run[i];
        for (PFN_NUMBER Pfn = Run->BasePage; Pfn < Run->BasePage + Run->PageCount; Pfn++) {
            Census->ByState[MI_PFN_ELEMENT(Pfn)->u3.e2.e1.PageLocation]++;
            Census->Tracked++;
        }
    }
    UNLOCK_PFN(OldIrql);
}

/* Every list's count matches the pages in that state, and counts plus active pages are all pages. */
static void ExpectConsistent(KTEST_CONTEXT *t, const PFN_CENSUS *c)
{
    ULONG OnLists = 0;
    for (int List = ZeroedPageList; List <= BadPageList; List++) {
        EXPECT_EQ(c->ByState[List], MmPageLocationList[List]->Total);
        OnLists += c->ByState[List];
    }
    EXPECT_EQ(c->ByState[TransitionPage], 0);
    EXPECT_EQ(OnLists + c->ByState[ActiveAndValid], c->Tracked);
    EXPECT_EQ(c->Tracked, MmPhysicalMemoryBlock.NumberOfPages);
    EXPECT_EQ(MmAvailablePages, c->ByState[ZeroedPageList] + c->ByState[FreePageList] +
                                c->ByState[StandbyPageList]);
}

/* The list counts agree with the database, and walking each list finds exactly its pages, linked both ways. */
KTEST(pfn, list_accounting)
{
    PFN_CENSUS c;
    KIRQL OldIrql;

    TakeCensus(&c);
    ExpectConsistent(t, &c);
    EXPECT_GT(c.ByState[FreePageList], 0);
    EXPECT_GT(c.ByState[ActiveAndValid], 0);

    LOCK_PFN(OldIrql);
    for (int List = ZeroedPageList; List <= BadPageList; List++) {
        PMMPFNLIST Head = MmPageLocationList[List];
        ULONG Walked = 0, WrongState = 0, BadBackLink = 0;
        PFN_NUMBER Previous = MM_EMPTY_LIST;
        for (PFN_NUMBER Pfn = Head->Flink; Pfn != MM_EMPTY_LIST && Walked <= Head->Total;
             Pfn = MI_PFN_ELEMENT(Pfn)->u1.Flink) {
            WrongState += MI_PFN_ELEMENT(Pfn)->u3.e2.e1.PageLocation != (ULONG)List;
            BadBackLink += MI_PFN_ELEMENT(Pfn)->u2.Blink != Previous;
            Previous = Pfn;
            Walked++;
        }
        EXPECT_EQ(Walked, Head->Total);
        EXPECT_EQ(WrongState, 0);
        EXPECT_EQ(BadBackLink, 0);
        EXPECT_EQ(Head->Blink, Previous);
    }
    UNLOCK_PFN(OldIrql);
}

/* Sets bit Pfn in a bitmap kept in physical pages (reached through hyperspace); returns its old value. */
static bool TestAndSetBit(const PFN_NUMBER *BitmapPages, PFN_NUMBER Pfn)
{
    const ULONG BitsPerPage = PAGE_SIZE * 8;
    KIRQL OldIrql;
    ULONG *Words = MiMapPageInHyperSpace(BitmapPages[Pfn / BitsPerPage], &OldIrql);
    ULONG Bit = Pfn % BitsPerPage;
    bool Was = (Words[Bit / 32] >> (Bit % 32)) & 1;
    Words[Bit / 32] |= 1u << (Bit % 32);
    MiUnmapPageInHyperSpace(Words, OldIrql);
    return Was;
}

/*
 * Drains every available page, checks each is handed out exactly once and
 * that nothing is left (MI_NO_PAGE from both allocators), gives them all
 * back and checks the accounting before and after. Fails if the allocator
 * hands a page out twice, loses one, or miscounts.
 */
KTEST(pfn, drain_all_memory_and_give_it_back)
{
    PFN_CENSUS Before, Drained, After;
    PFN_NUMBER Bitmap[32];
    ULONG BitmapPages = (MmHighestPhysicalPage + 1 + PAGE_SIZE * 8 - 1) / (PAGE_SIZE * 8);
    PFN_NUMBER Chain = MM_EMPTY_LIST;
    ULONG Count = 0, Duplicates = 0, NotActive = 0;

    ASSERT_LE(BitmapPages, ARRAY_SIZE(Bitmap));
    TakeCensus(&Before);
    ExpectConsistent(t, &Before);
    ULONG Available = MmAvailablePages;

    for (ULONG i = 0; i < BitmapPages; i++) {
        Bitmap[i] = MiRemoveZeroPage();
        ASSERT_NE(Bitmap[i], MI_NO_PAGE);
    }
    for (ULONG i = 0; i < BitmapPages; i++)
        Duplicates += TestAndSetBit(Bitmap, Bitmap[i]);

    for (;;) {
        PFN_NUMBER Pfn = MiRemoveAnyPage();
        if (Pfn == MI_NO_PAGE)
            break;
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
        /* NT's state of a page just handed out: in use, nothing holding it yet, no PTE. */
        NotActive += Pfn1->u3.e2.e1.PageLocation != ActiveAndValid || Pfn1->u3.e2.ReferenceCount != 0 ||
                     Pfn1->u2.ShareCount != 0 || Pfn1->PteAddress != NULL;
        Duplicates += TestAndSetBit(Bitmap, Pfn);
        Pfn1->u1.Flink = Chain;     /* the test owns the page: chain it through its PFN */
        Chain = Pfn;
        Count++;
    }

    EXPECT_EQ(MmAvailablePages, 0);
    EXPECT_EQ(MiRemoveZeroPage(), MI_NO_PAGE);
    EXPECT_EQ(Count + BitmapPages, Available);
    EXPECT_EQ(Duplicates, 0);
    EXPECT_EQ(NotActive, 0);
    TakeCensus(&Drained);
    ExpectConsistent(t, &Drained);
    EXPECT_EQ(Drained.ByState[FreePageList] + Drained.ByState[ZeroedPageList], 0);
    EXPECT_EQ(Drained.ByState[ActiveAndValid], Before.ByState[ActiveAndValid] + Available);

    while (Chain != MM_EMPTY_LIST) {
        PFN_NUMBER Next = MI_PFN_ELEMENT(Chain)->u1.Flink;
        MiInsertPageInFreeList(Chain);
        Chain = Next;
    }
    for (ULONG i = 0; i < BitmapPages; i++)
        MiInsertPageInFreeList(Bitmap[i]);

    TakeCensus(&After);
    ExpectConsistent(t, &After);
    EXPECT_EQ(MmAvailablePages, Available);
    EXPECT_EQ(After.ByState[ActiveAndValid], Before.ByState[ActiveAndValid]);
}

/* Pages from the zeroing path are zero even when they were dirty on the free list. */
KTEST(pfn, zero_page_path_returns_zeroed_pages)
{
    PFN_NUMBER Dirty[8], Got[8];
    for (int i = 0; i < 8; i++) {
        Dirty[i] = MiRemoveAnyPage();
        ASSERT_NE(Dirty[i], MI_NO_PAGE);
        TestFillPage(Dirty[i], 0xA5A5A5A5);
    }
    for (int i = 0; i < 8; i++)
        MiInsertPageInFreeList(Dirty[i]);
    EXPECT_EQ(MmZeroedPageListHead.Total, 0);
    for (int i = 0; i < 8; i++) {
        Got[i] = MiRemoveZeroPage();
        ASSERT_NE(Got[i], MI_NO_PAGE);
        EXPECT_TRUE(TestPageIsFilledWith(Got[i], 0));
        /* Free pages go to the head of the list, so these are the dirty ones, newest first. */
        EXPECT_EQ(Got[i], Dirty[7 - i]);
    }
    for (int i = 0; i < 8; i++)
        MiInsertPageInFreeList(Got[i]);
}

/* MiRemoveZeroPage takes the zeroed list first; MiRemoveAnyPage leaves it for those who need it. */
KTEST(pfn, zeroed_list_is_used_first_by_zero_allocations_only)
{
    KIRQL OldIrql;
    PFN_NUMBER Zeroed = MiRemoveZeroPage();
    ASSERT_NE(Zeroed, MI_NO_PAGE);
    ULONG Available = MmAvailablePages;

    LOCK_PFN(OldIrql);
    MiInsertPageInList(&MmZeroedPageListHead, Zeroed);
    UNLOCK_PFN(OldIrql);
    EXPECT_EQ(MmAvailablePages, Available + 1);
    EXPECT_EQ(MI_PFN_ELEMENT(Zeroed)->u3.e2.e1.PageLocation, ZeroedPageList);

    PFN_NUMBER Any = MiRemoveAnyPage();
    EXPECT_NE(Any, Zeroed);
    EXPECT_EQ(MmZeroedPageListHead.Total, 1);
    PFN_NUMBER Zero = MiRemoveZeroPage();
    EXPECT_EQ(Zero, Zeroed);
    EXPECT_EQ(MmZeroedPageListHead.Total, 0);
    MiInsertPageInFreeList(Any);
    MiInsertPageInFreeList(Zero);
}

typedef struct {
    const char *Name;
    LOADER_MEMORY_DESCRIPTOR Map[6];
    ULONG Count;
    PFN_NUMBER MaxMemPages;
    PHYSICAL_MEMORY_RUN Expected[4];
    ULONG ExpectedRuns;
} ODD_MAP;

static const ODD_MAP OddMaps[] = {
    { "qemu -m 17", {
          { 0, 0x9FC00, 1 }, { 0x9FC00, 0x400, 2 }, { 0xF0000, 0x10000, 2 },
          { 0x100000, 0x10E0000 - 0x100000, 1 }, { 0xFFFC0000, 0x40000, 2 } }, 5, 0,
      { { 1, 0x9E }, { 0x100, 0x10E0 - 0x100 } }, 2 },
    { "overlapping and touching entries merge", {
          { 0x100000, 0x200000, 1 }, { 0x200000, 0x200000, 1 }, { 0x400000, 0x1000, 1 } }, 3, 0,
      { { 0x100, 0x301 } }, 1 },
    { "unaligned entries shrink to whole pages", {
          { 0x100800, 0x2000, 1 }, { 0x200001, 0x1FFE, 1 } }, 2, 0,
      { { 0x101, 1 } }, 1 },
    { "a reserved range cuts every page it touches", {
          { 0x100000, 0x400000, 1 }, { 0x200800, 0x800, 2 }, { 0x300000, 0x1000, 5 } }, 3, 0,
      { { 0x100, 0x100 }, { 0x201, 0xFF }, { 0x301, 0x1FF } }, 3 },
    { "nothing above 4 GB", {
          { 0xF0000000, 0x20000000, 1 }, { 0x100000000ull, 0x40000000, 1 }, { 0x1000, 0, 1 } }, 3, 0,
      { { 0xF0000, 0x10000 } }, 1 },
    { "/MAXMEM cuts the top", {
          { 0, 0xA0000, 1 }, { 0x100000, 0x7F00000, 1 } }, 2, 0x1000,
      { { 1, 0x9F }, { 0x100, 0xF00 } }, 2 },
};

/* Odd memory maps — holes, overlaps, unaligned entries, reserved cuts, >4 GB, /MAXMEM — give the right runs. */
KTEST(pfn, physical_runs_from_odd_maps)
{
    for (ULONG m = 0; m < ARRAY_SIZE(OddMaps); m++) {
        const ODD_MAP *o = &OddMaps[m];
        PHYSICAL_MEMORY_DESCRIPTOR Block;
        MiComputePhysicalRuns(o->Map, o->Count, o->MaxMemPages, &Block);
        PFN_NUMBER Pages = 0;
        if (Block.NumberOfRuns != o->ExpectedRuns)
            KtestFail(t, __FILE__, __LINE__, "map \"%s\": %u runs, expected %u", o->Name,
                      Block.NumberOfRuns, o->ExpectedRuns);
        for (ULONG i = 0; i < MIN(Block.NumberOfRuns, o->ExpectedRuns); i++) {
            if (Block.Run[i].BasePage != o->Expected[i].BasePage ||
                Block.Run[i].PageCount != o->Expected[i].PageCount)
                KtestFail(t, __FILE__, __LINE__, "map \"%s\" run %u: %x+%x, expected %x+%x", o->Name, i,
                          Block.Run[i].BasePage, Block.Run[i].PageCount,
                          o->Expected[i].BasePage, o->Expected[i].PageCount);
            Pages += o->Expected[i].PageCount;
        }
        EXPECT_EQ(Block.NumberOfPages, Pages);
    }
}

/*
 * /MAXMEM=N: no page at or above N MB is RAM to the memory manager, and
 * every page of the loader's map below that limit still is: the highest
 * page in use is the highest available page under the limit, whether the
 * limit falls inside RAM or beyond it (then it limits nothing).
 */
KTEST(pfn, maxmem_is_honoured)
{
    if (!KeBootOptions.MaxMemMb)
        KTEST_SKIP("no /MAXMEM in this configuration");
    uint64_t Limit = (uint64_t)KeBootOptions.MaxMemMb * (0x100000 / PAGE_SIZE);
    uint64_t HighestBelowLimit = 0;
    for (ULONG i = 0; i < KeLoaderBlock.MemoryDescriptorCount; i++) {
        const LOADER_MEMORY_DESCRIPTOR *d = &KeLoaderBlock.MemoryDescriptors[i];
        uint64_t End = (d->Base + d->Length) >> PAGE_SHIFT;      /* one past its last whole page */
        if (d->Type != LOADER_MEMORY_AVAILABLE || d->Length < PAGE_SIZE)
            continue;
        End = MIN(MIN(End, Limit), 1ull << (32 - PAGE_SHIFT));   /* no PAE: nothing above 4 GB */
        if (End > (d->Base + PAGE_SIZE - 1) >> PAGE_SHIFT)
            HighestBelowLimit = MAX(HighestBelowLimit, End - 1);
    }
    EXPECT_ULT((uint64_t)MmHighestPhysicalPage, Limit);
    EXPECT_ULE((uint64_t)MmPhysicalMemoryBlock.NumberOfPages, Limit);
    if (Limit < 1ull << (32 - PAGE_SHIFT))
        EXPECT_FALSE(MiIsPhysicalPage((PFN_NUMBER)Limit));
    EXPECT_EQ((uint64_t)MmHighestPhysicalPage, HighestBelowLimit);
}

/* Firmware pages are not RAM to mm386; the kernel image, modules and the PFN database are in use. */
KTEST(pfn, firmware_and_boot_pages_never_free)
{
    EXPECT_FALSE(MiIsPhysicalPage(0));
    EXPECT_FALSE(MiIsPhysicalPage(VGA_TEXT_PHYS >> PAGE_SHIFT));
    for (ULONG Pa = ROUND_DOWN(KeLoaderBlock.KernelPhysicalStart, PAGE_SIZE);
         Pa < KeLoaderBlock.KernelPhysicalEnd; Pa += PAGE_SIZE)
        EXPECT_EQ(MI_PFN_ELEMENT(Pa >> PAGE_SHIFT)->u3.e2.e1.PageLocation, ActiveAndValid);
    for (ULONG i = 0; i < KeLoaderBlock.ModuleCount; i++)
        EXPECT_EQ(MI_PFN_ELEMENT(KeLoaderBlock.Modules[i].PhysicalStart >> PAGE_SHIFT)->u3.e2.e1.PageLocation,
                  ActiveAndValid);
    PFN_NUMBER DatabasePage = MmGetPhysicalAddress(MmPfnDatabase) >> PAGE_SHIFT;
    EXPECT_EQ(MI_PFN_ELEMENT(DatabasePage)->u3.e2.e1.PageLocation, ActiveAndValid);
    EXPECT_EQ(MI_PFN_ELEMENT(MmSystemPageDirectoryPfn)->u3.e2.e1.PageLocation, ActiveAndValid);
    EXPECT_EQ(MI_PFN_ELEMENT(MmSystemAddressSpace.HyperSpacePfn)->u3.e2.e1.PageLocation, ActiveAndValid);
}

/* An active page mapped in system space knows the PTE that maps it and the page table holding that PTE. */
KTEST(pfn, active_pages_know_their_pte)
{
    extern char __kernel_start[];
    PVOID Va = __kernel_start;
    PFN_NUMBER Pfn = MmGetPhysicalAddress(Va) >> PAGE_SHIFT;
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    EXPECT_EQ(Pfn1->PteAddress, MiAddressToPte(Va));
    EXPECT_EQ(Pfn1->u4.PteFrame, MiReadPte(MiAddressToPde(Va)).u.Hard.PageFrameNumber);

    PFN_NUMBER TablePfn = MiReadPte(MiAddressToPde(MmPfnDatabase)).u.Hard.PageFrameNumber;
    EXPECT_EQ(MI_PFN_ELEMENT(TablePfn)->PteAddress, MiAddressToPde(MmPfnDatabase));
    EXPECT_EQ(MI_PFN_ELEMENT(TablePfn)->u4.PteFrame, MmSystemPageDirectoryPfn);

    /* A boot page table lives in the kernel image yet is described by its PDE. */
    TablePfn = MiReadPte(MiAddressToPde(Va)).u.Hard.PageFrameNumber;
    EXPECT_EQ(MI_PFN_ELEMENT(TablePfn)->PteAddress, MiAddressToPde(Va));
    EXPECT_EQ(MI_PFN_ELEMENT(TablePfn)->u4.PteFrame, MmSystemPageDirectoryPfn);
}

/* Giving back a page that is already free is PFN_LIST_CORRUPT 0x99 with the PFN and its state (Free) in the parameters. */
KTEST_DEATH_P1(pfn, insert_page_twice, PFN_LIST_CORRUPT, PFN_CORRUPT_PAGE_STATE)
{
    PFN_NUMBER Pfn = MiRemoveAnyPage();
    TEST_REQUIRE(Pfn != MI_NO_PAGE);
    KtestExpectBugCheckParameter(t, 2, Pfn);
    KtestExpectBugCheckParameter(t, 3, FreePageList);
    MiInsertPageInFreeList(Pfn);
    MiInsertPageInFreeList(Pfn);
}

/* Giving back a frame that is not RAM (page 0 belongs to the firmware) is MEMORY_MANAGEMENT. */
KTEST_DEATH_P1(pfn, insert_frame_that_is_not_ram, MEMORY_MANAGEMENT, MM_BUGCHECK_NOT_A_PAGE)
{
    MiInsertPageInFreeList(0);
}

/*
 * Pages off the free list and back, NT's MiRemoveAnyPage and
 * MiInsertPageInFreeList under the caller's PFN lock, over many pages as a
 * caller filling a large buffer would: 4096 pages (16 MB) taken one after
 * another into an array, then all given back, eight rounds. Each pair
 * walks the real list (the head moves down the list and back), not one
 * page bounced. The harness's own cost (the same loops storing a constant)
 * is reported beside it.
 */
#define PFN_BENCH_PAGES     4096
#define PFN_BENCH_ROUNDS    8

KBENCH(pfn_remove_insert)
{
    static PFN_NUMBER Pages[PFN_BENCH_PAGES];
    KIRQL OldIrql;

    LOCK_PFN(OldIrql);
    KbenchStart(b);
    for (ULONG Round = 0; Round < PFN_BENCH_ROUNDS; Round++) {
        for (ULONG i = 0; i < PFN_BENCH_PAGES; i++)
            Pages[i] = MiRemoveAnyPageLocked();
        for (ULONG i = 0; i < PFN_BENCH_PAGES; i++)
            MiInsertPageInFreeListLocked(Pages[i]);
    }
    KbenchStop(b);
    UNLOCK_PFN(OldIrql);
    KbenchReport(b, "pfn_remove_insert", PFN_BENCH_PAGES * PFN_BENCH_ROUNDS);

    volatile PFN_NUMBER Sink = 0;
    KbenchStart(b);
    for (ULONG Round = 0; Round < PFN_BENCH_ROUNDS; Round++) {
        for (ULONG i = 0; i < PFN_BENCH_PAGES; i++)
            Pages[i] = Sink;
        for (ULONG i = 0; i < PFN_BENCH_PAGES; i++)
            Sink = Pages[i];
    }
    KbenchStop(b);
    KbenchReportHarness(b, "pfn_remove_insert", PFN_BENCH_PAGES * PFN_BENCH_ROUNDS);
}

/* The same pair through the wrappers that take and release the PFN lock each time. */
KBENCH(pfn_remove_insert_locking)
{
    const ULONG Count = 10000;
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++)
        MiInsertPageInFreeList(MiRemoveAnyPage());
    KbenchStop(b);
    KbenchReport(b, "pfn_remove_insert_locking", Count);
}

/* Zeroing one page through hyperspace (map, 1024 stores, unmap). */
KBENCH(zero_page)
{
    const ULONG Count = 2000;
    PFN_NUMBER Pfn = MiRemoveAnyPage();
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++)
        MiZeroPhysicalPage(Pfn);
    KbenchStop(b);
    KbenchReport(b, "zero_page", Count);
    MiInsertPageInFreeList(Pfn);
}
