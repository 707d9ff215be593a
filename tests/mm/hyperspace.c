/*
 * tests/mm/hyperspace.c — hyperspace mappings and their flush-counter scheme.
 */
#include <ktest.h>
#include "../../mm/mi.h"
#include "../testlib.h"

static void WriteWord(PFN_NUMBER Pfn, ULONG Offset, ULONG Value)
{
    KIRQL OldIrql;
    ULONG *Words = MiMapPageInHyperSpace(Pfn, &OldIrql);
    Words[Offset] = Value;
    MiUnmapPageInHyperSpace(Words, OldIrql);
}

static ULONG ReadWord(PFN_NUMBER Pfn, ULONG Offset)
{
    KIRQL OldIrql;
    const ULONG *Words = MiMapPageInHyperSpace(Pfn, &OldIrql);
    ULONG Value = Words[Offset];
    MiUnmapPageInHyperSpace((PVOID)Words, OldIrql);
    return Value;
}

/* Takes a specific page off its list for the test (it must be available); false if it is in use. */
static bool TakePage(PFN_NUMBER Pfn)
{
    KIRQL OldIrql;
    bool Taken = false;
    LOCK_PFN(OldIrql);
    MMLISTS List = MI_PFN_ELEMENT(Pfn)->u3.e2.e1.PageLocation;
    if (List == FreePageList || List == ZeroedPageList) {
        MiUnlinkPageFromList(Pfn);      /* in use, unreferenced: the test holds it as a caller of MiRemoveAnyPage would */
        Taken = true;
    }
    UNLOCK_PFN(OldIrql);
    return Taken;
}

/* Hyperspace reaches any physical page, the highest one included (3 GB configuration: page 0xBFFDF). */
KTEST(hyperspace, maps_highest_page)
{
    PFN_NUMBER Highest = MmHighestPhysicalPage;
    ASSERT_TRUE(TakePage(Highest));
    WriteWord(Highest, 0, 0x600DF00D);
    WriteWord(Highest, PAGE_SIZE / 4 - 1, Highest);
    EXPECT_EQ(ReadWord(Highest, 0), 0x600DF00D);
    EXPECT_EQ(ReadWord(Highest, PAGE_SIZE / 4 - 1), Highest);
    MiInsertPageInFreeList(Highest);
}

/* A mapping raises to DISPATCH_LEVEL and the unmap restores the caller's IRQL; two may nest. */
KTEST(hyperspace, mapping_runs_at_dispatch_and_nests)
{
    KIRQL Outer, Inner;
    PFN_NUMBER a = MiRemoveAnyPage(), b = MiRemoveAnyPage();
    ASSERT_NE(a, MI_NO_PAGE);
    ASSERT_NE(b, MI_NO_PAGE);
    ULONG *Va = MiMapPageInHyperSpace(a, &Outer);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    EXPECT_EQ(Outer, PASSIVE_LEVEL);
    ULONG *Vb = MiMapPageInHyperSpace(b, &Inner);
    EXPECT_EQ(Inner, DISPATCH_LEVEL);
    EXPECT_NE(Va, Vb);
    Va[0] = 1;
    Vb[0] = 2;
    EXPECT_EQ(Va[0], 1);
    MiUnmapPageInHyperSpace(Vb, Inner);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    MiUnmapPageInHyperSpace(Va, Outer);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    /* NT's scheme: an unmap leaves the PTE alone; only a wrap clears slots and flushes. */
    EXPECT_TRUE(MiReadPte(MiAddressToPte(Va)).u.Hard.Valid);
    MiInsertPageInFreeList(a);
    MiInsertPageInFreeList(b);
}

/*
 * After the slots run out and the counter wraps, a slot reused for a new
 * page shows the new page: the TLB was flushed. Fails if the scheme reuses a
 * slot without flushing (the old page's translation would still be cached).
 */
KTEST(hyperspace, slot_reused_after_wrap_shows_new_page)
{
    PFN_NUMBER a = MiRemoveAnyPage(), b = MiRemoveAnyPage();
    KIRQL OldIrql;
    ASSERT_NE(a, MI_NO_PAGE);
    ASSERT_NE(b, MI_NO_PAGE);
    WriteWord(a, 0, 0xAAAAAAAA);
    WriteWord(b, 0, 0xBBBBBBBB);

    /*
     * Start from a fresh round: where the slots stand depends on what ran
     * before (the zero page thread maps pages too), and if the next map
     * were the wrap, the round below would be empty.
     */
    ULONG Flushes = MiHyperSpaceFlushes;
    for (ULONG i = 0; i <= MI_HYPERSPACE_PTES && MiHyperSpaceFlushes == Flushes; i++) {
        PVOID Va = MiMapPageInHyperSpace(a, &OldIrql);
        MiUnmapPageInHyperSpace(Va, OldIrql);
    }
    ASSERT_EQ(MiHyperSpaceFlushes, Flushes + 1);

    Flushes = MiHyperSpaceFlushes;
    /* Map a until the next map would wrap, remembering each slot that held a. */
    PVOID First = NULL;
    ULONG Maps = 0;
    while (MiHyperSpaceFlushes == Flushes && Maps < 2 * MI_HYPERSPACE_PTES) {
        volatile ULONG *Va = MiMapPageInHyperSpace(a, &OldIrql);
        if (MiHyperSpaceFlushes != Flushes) {
            /* This map wrapped: it took the first slot of the new round; b gets the next one. */
            First = (PVOID)Va;
            MiUnmapPageInHyperSpace((PVOID)Va, OldIrql);
            break;
        }
        EXPECT_EQ(*Va, 0xAAAAAAAA);     /* touched: the translation is in the TLB */
        MiUnmapPageInHyperSpace((PVOID)Va, OldIrql);
        Maps++;
    }
    ASSERT_EQ(MiHyperSpaceFlushes, Flushes + 1);
    EXPECT_GE(Maps, 1);
    ASSERT_NOT_NULL(First);
    EXPECT_EQ((ULONG)First, HYPER_SPACE + MI_HYPERSPACE_PTES * PAGE_SIZE);

    /* Round two: fill every slot but the last with b, reading it through each. */
    ULONG Mismatches = 0;
    for (ULONG i = 0; i < MI_HYPERSPACE_PTES - 2; i++) {
        volatile ULONG *Vb = MiMapPageInHyperSpace(b, &OldIrql);
        Mismatches += *Vb != 0xBBBBBBBB;
        MiUnmapPageInHyperSpace((PVOID)Vb, OldIrql);
    }
    EXPECT_EQ(Mismatches, 0);
    EXPECT_EQ(MiHyperSpaceFlushes, Flushes + 1);
    MiInsertPageInFreeList(a);
    MiInsertPageInFreeList(b);
}

/* Hyperspace is per address space: the same virtual address maps different pages in A and B. */
KTEST(hyperspace, private_to_each_address_space)
{
    EPROCESS B;
    KAPC_STATE ApcState;
    KIRQL OldIrql;
    PFN_NUMBER x = MiRemoveAnyPage(), y = MiRemoveAnyPage();
    ASSERT_NE(x, MI_NO_PAGE);
    ASSERT_NE(y, MI_NO_PAGE);
    WriteWord(x, 0, 0x1111);
    WriteWord(y, 0, 0x2222);
    ASSERT_EQ(TestCreateProcess(&B), STATUS_SUCCESS);

    /* In the system address space, map x and note the slot. */
    volatile ULONG *Vx = MiMapPageInHyperSpace(x, &OldIrql);
    EXPECT_EQ(*Vx, 0x1111);
    MiUnmapPageInHyperSpace((PVOID)Vx, OldIrql);

    /* In B, map y until it lands on the same address. */
    KeStackAttachProcess(&B.Pcb, &ApcState);
    EXPECT_EQ(MiReadPte(MiAddressToPde(HYPER_SPACE)).u.Hard.PageFrameNumber, B.AddressSpace.HyperSpacePfn);
    volatile ULONG *Vy = NULL;
    for (ULONG i = 0; i < MI_HYPERSPACE_PTES && Vy != Vx; i++) {
        Vy = MiMapPageInHyperSpace(y, &OldIrql);
        if (Vy != Vx)
            MiUnmapPageInHyperSpace((PVOID)Vy, OldIrql);
    }
    ASSERT_EQ(Vy, Vx);
    EXPECT_EQ(*Vy, 0x2222);
    EXPECT_EQ(MiReadPte(MiAddressToPte(Vy)).u.Hard.PageFrameNumber, y);
    MiUnmapPageInHyperSpace((PVOID)Vy, OldIrql);
    KeUnstackDetachProcess(&ApcState);

    /* Back in A the slot still maps x (hyperspace leaves PTEs valid until the next wrap). */
    MMPTE Pte = MiReadPte(MiAddressToPte(Vx));
    EXPECT_TRUE(Pte.u.Hard.Valid);
    EXPECT_EQ(Pte.u.Hard.PageFrameNumber, x);
    TestDeleteProcess(&B);
    MiInsertPageInFreeList(x);
    MiInsertPageInFreeList(y);
}

/* A hyperspace mapping above DISPATCH_LEVEL breaks the rule: MEMORY_MANAGEMENT. */
KTEST_DEATH_P1(hyperspace, map_above_dispatch_level, MEMORY_MANAGEMENT, MM_BUGCHECK_HYPERSPACE)
{
    KIRQL OldIrql, Ignored;
    KeRaiseIrql(DEVICE_IRQL(4), &OldIrql);
    MiMapPageInHyperSpace(MmSystemAddressSpace.HyperSpacePfn, &Ignored);
}

/* A third nested mapping could not be guaranteed a slot: MEMORY_MANAGEMENT. */
KTEST_DEATH_P1(hyperspace, nest_too_deep, MEMORY_MANAGEMENT, MM_BUGCHECK_HYPERSPACE)
{
    KIRQL a, b, c;
    PFN_NUMBER Pfn = MmSystemAddressSpace.HyperSpacePfn;
    MiMapPageInHyperSpace(Pfn, &a);
    MiMapPageInHyperSpace(Pfn, &b);
    MiMapPageInHyperSpace(Pfn, &c);
}

/*
 * Map a page, read one word of it, unmap: the flush-counter scheme's common
 * path with the access that makes a mapping worth having (the read walks
 * the fresh translation into the TLB; a wrap's flush makes later reads walk
 * again). Sixteen pages in turn, a different word each time.
 */
KBENCH(hyperspace_map_unmap)
{
    const ULONG Count = 25500;
    PFN_NUMBER Pages[16];
    volatile ULONG Sum = 0;
    KIRQL OldIrql;

    for (ULONG i = 0; i < ARRAY_SIZE(Pages); i++)
        Pages[i] = MiRemoveAnyPage();
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++) {
        const volatile ULONG *Words = MiMapPageInHyperSpace(Pages[i % ARRAY_SIZE(Pages)], &OldIrql);
        Sum += Words[i % (PAGE_SIZE / sizeof(ULONG))];
        MiUnmapPageInHyperSpace((PVOID)Words, OldIrql);
    }
    KbenchStop(b);
    for (ULONG i = 0; i < ARRAY_SIZE(Pages); i++)
        MiInsertPageInFreeList(Pages[i]);
    KbenchReport(b, "hyperspace_map_unmap", Count);
}

/* Switching address spaces while a hyperspace mapping is held would leave it showing the other's slot: MEMORY_MANAGEMENT. */
KTEST_DEATH_P1(hyperspace, switch_with_mapping_held, MEMORY_MANAGEMENT, MM_BUGCHECK_HYPERSPACE)
{
    static EPROCESS B;
    static KAPC_STATE ApcState;
    KIRQL OldIrql;
    TEST_REQUIRE(TestCreateProcess(&B) == STATUS_SUCCESS);
    MiMapPageInHyperSpace(MmSystemAddressSpace.HyperSpacePfn, &OldIrql);
    KeStackAttachProcess(&B.Pcb, &ApcState);
}
