/*
 * tests/labs/hyperspace.c — the graded tests of the hyperspace lab
 * (docs/labs/hyperspace.md; `make grade LAB=hyperspace`).
 *
 * They use only hyperspace's interface (mm/hypermap.h): MiMapPageInHyperSpace,
 * MiUnmapPageInHyperSpace, the IRQL they promise, MiHyperSpaceDepth's count
 * of mappings held, and NT's rule for misuse. Pages to map come from the
 * PFN allocator (MiRemoveAnyPage), and their contents are checked through
 * the mapping itself, written with one pattern per page, so a mapping that
 * shows the wrong page is caught whatever slot scheme is behind it. A test's
 * name says its part: p1 mapping, p2 two at once, p3 no stale translation
 * and privacy, p4 misuse (death tests).
 */
#include <ktest.h>
#include "../testlib.h"

static bool InHyperSpace(const void *Va)
{
    return (ULONG)Va >= HYPER_SPACE && (ULONG)Va < HYPER_SPACE_END && BYTE_OFFSET(Va) == 0;
}

/* Fills Pfn's page with Pattern + word index, through a mapping of its own. */
static void Stamp(PFN_NUMBER Pfn, ULONG Pattern)
{
    KIRQL OldIrql;
    ULONG *Words = MiMapPageInHyperSpace(Pfn, &OldIrql);
    for (ULONG i = 0; i < PAGE_SIZE / 4; i++)
        Words[i] = Pattern + i;
    MiUnmapPageInHyperSpace(Words, OldIrql);
}

/* How many words of Pfn's page differ from Stamp's pattern. */
static ULONG Differences(PFN_NUMBER Pfn, ULONG Pattern)
{
    KIRQL OldIrql;
    const volatile ULONG *Words = MiMapPageInHyperSpace(Pfn, &OldIrql);
    ULONG Wrong = 0;
    for (ULONG i = 0; i < PAGE_SIZE / 4; i++)
        Wrong += Words[i] != Pattern + i;
    MiUnmapPageInHyperSpace((PVOID)Words, OldIrql);
    return Wrong;
}

/* Part 1: a mapping is a page-aligned hyperspace address showing the page, held at DISPATCH_LEVEL. */
KTEST(lab_hyperspace, p1_map_shows_the_page_at_dispatch_level)
{
    PFN_NUMBER Pfn = MiRemoveAnyPage();
    KIRQL OldIrql;
    ASSERT_NE(Pfn, MI_NO_PAGE);

    PVOID Va = MiMapPageInHyperSpace(Pfn, &OldIrql);
    EXPECT_TRUE(InHyperSpace(Va));
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    EXPECT_EQ(OldIrql, PASSIVE_LEVEL);
    EXPECT_EQ(MiHyperSpaceDepth, 1);
    MiUnmapPageInHyperSpace(Va, OldIrql);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_EQ(MiHyperSpaceDepth, 0);

    Stamp(Pfn, 0x12340000);
    EXPECT_EQ(Differences(Pfn, 0x12340000), 0);
    MiInsertPageInFreeList(Pfn);
}

/* Part 1: callable at DISPATCH_LEVEL, and the unmap goes back to it. */
KTEST(lab_hyperspace, p1_works_from_dispatch_level)
{
    PFN_NUMBER Pfn = MiRemoveAnyPage();
    KIRQL Outer, OldIrql;
    ASSERT_NE(Pfn, MI_NO_PAGE);
    KeRaiseIrql(DISPATCH_LEVEL, &Outer);
    PVOID Va = MiMapPageInHyperSpace(Pfn, &OldIrql);
    EXPECT_EQ(OldIrql, DISPATCH_LEVEL);
    *(volatile ULONG *)Va = 0xD15BA7C4;
    MiUnmapPageInHyperSpace(Va, OldIrql);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(Outer);
    KIRQL Again;
    volatile ULONG *Check = MiMapPageInHyperSpace(Pfn, &Again);
    EXPECT_EQ(*Check, 0xD15BA7C4);
    MiUnmapPageInHyperSpace((PVOID)Check, Again);
    MiInsertPageInFreeList(Pfn);
}

/* Part 1: the highest page of RAM maps like any other (read only: it may be in use): two mappings agree. */
KTEST(lab_hyperspace, p1_highest_page_of_ram)
{
    PFN_NUMBER Pfn = MmHighestPhysicalPage;
    KIRQL OldIrql;
    ULONG First[8];
    ASSERT_TRUE(MiIsPhysicalPage(Pfn));
    const volatile ULONG *Words = MiMapPageInHyperSpace(Pfn, &OldIrql);
    EXPECT_TRUE(InHyperSpace((const void *)Words));
    for (ULONG i = 0; i < ARRAY_SIZE(First); i++)
        First[i] = Words[i * 128];
    MiUnmapPageInHyperSpace((PVOID)Words, OldIrql);
    ULONG Differ = 0;
    Words = MiMapPageInHyperSpace(Pfn, &OldIrql);
    for (ULONG i = 0; i < ARRAY_SIZE(First); i++)
        Differ += First[i] != Words[i * 128];
    MiUnmapPageInHyperSpace((PVOID)Words, OldIrql);
    EXPECT_EQ(Differ, 0);
}

/* Part 1: thousands of mappings of sixteen pages in turn, each page's contents right at the end. */
KTEST(lab_hyperspace, p1_many_mappings_in_turn)
{
    PFN_NUMBER Pages[16];
    for (ULONG i = 0; i < ARRAY_SIZE(Pages); i++) {
        Pages[i] = MiRemoveAnyPage();
        ASSERT_NE(Pages[i], MI_NO_PAGE);
        Stamp(Pages[i], i << 20);
    }
    ULONG Wrong = 0;
    for (ULONG n = 0; n < 4000; n++) {
        KIRQL OldIrql;
        ULONG i = (n * 7) % ARRAY_SIZE(Pages);
        volatile ULONG *Words = MiMapPageInHyperSpace(Pages[i], &OldIrql);
        ULONG Word = n % (PAGE_SIZE / 4);
        Wrong += Words[Word] != (i << 20) + Word;
        MiUnmapPageInHyperSpace((PVOID)Words, OldIrql);
    }
    EXPECT_EQ(Wrong, 0);
    for (ULONG i = 0; i < ARRAY_SIZE(Pages); i++) {
        EXPECT_EQ(Differences(Pages[i], i << 20), 0);
        MiInsertPageInFreeList(Pages[i]);
    }
}

/* Part 2: two mappings at once (copying a page needs them): distinct addresses, each its own page. */
KTEST(lab_hyperspace, p2_two_mappings_at_once)
{
    PFN_NUMBER a = MiRemoveAnyPage(), b = MiRemoveAnyPage();
    KIRQL OldA, OldB;
    ASSERT_NE(a, MI_NO_PAGE);
    ASSERT_NE(b, MI_NO_PAGE);
    Stamp(a, 0xAA000000);
    Stamp(b, 0xBB000000);

    ULONG *Va = MiMapPageInHyperSpace(a, &OldA);
    ULONG *Vb = MiMapPageInHyperSpace(b, &OldB);
    EXPECT_NE(Va, Vb);
    EXPECT_TRUE(InHyperSpace(Va) && InHyperSpace(Vb));
    EXPECT_EQ(MiHyperSpaceDepth, 2);
    EXPECT_EQ(Va[5], 0xAA000005);
    EXPECT_EQ(Vb[5], 0xBB000005);
    memcpy(Vb, Va, PAGE_SIZE / 2);
    MiUnmapPageInHyperSpace(Vb, OldB);
    MiUnmapPageInHyperSpace(Va, OldA);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    KIRQL OldIrql;
    const ULONG *Check = MiMapPageInHyperSpace(b, &OldIrql);
    EXPECT_EQ(Check[0], 0xAA000000);
    EXPECT_EQ(Check[PAGE_SIZE / 4 - 1], 0xBB000000 + PAGE_SIZE / 4 - 1);
    MiUnmapPageInHyperSpace((PVOID)Check, OldIrql);
    MiInsertPageInFreeList(a);
    MiInsertPageInFreeList(b);
}

/* Part 2: nested pairs over and over, through wraps and reuses: the outer mapping never changes under the inner. */
KTEST(lab_hyperspace, p2_nested_pairs_keep_their_pages)
{
    PFN_NUMBER Pages[8];
    ULONG Wrong = 0;
    for (ULONG i = 0; i < ARRAY_SIZE(Pages); i++) {
        Pages[i] = MiRemoveAnyPage();
        ASSERT_NE(Pages[i], MI_NO_PAGE);
        Stamp(Pages[i], i << 24);
    }
    for (ULONG n = 0; n < 3000; n++) {
        KIRQL OldOuter, OldInner;
        ULONG o = n % 8, i = (n * 3 + 1) % 8;
        volatile ULONG *Outer = MiMapPageInHyperSpace(Pages[o], &OldOuter);
        Wrong += Outer[n % 1024] != (o << 24) + n % 1024;
        volatile ULONG *Inner = MiMapPageInHyperSpace(Pages[i], &OldInner);
        Wrong += Inner[n % 1024] != (i << 24) + n % 1024;
        Wrong += Outer[(n + 1) % 1024] != (o << 24) + (n + 1) % 1024;
        MiUnmapPageInHyperSpace((PVOID)Inner, OldInner);
        Wrong += Outer[(n + 2) % 1024] != (o << 24) + (n + 2) % 1024;
        MiUnmapPageInHyperSpace((PVOID)Outer, OldOuter);
    }
    EXPECT_EQ(Wrong, 0);
    for (ULONG i = 0; i < ARRAY_SIZE(Pages); i++)
        MiInsertPageInFreeList(Pages[i]);
}

/*
 * Part 3: no stale translation. Two pages alternate through whatever
 * addresses the mappings get, each read at once (so the TLB holds it);
 * every read must show the page just mapped, through however many reuses
 * of an address.
 */
KTEST(lab_hyperspace, p3_reused_addresses_show_the_new_page)
{
    PFN_NUMBER Page[2] = { MiRemoveAnyPage(), MiRemoveAnyPage() };
    ULONG Stale = 0;
    ASSERT_NE(Page[0], MI_NO_PAGE);
    ASSERT_NE(Page[1], MI_NO_PAGE);
    Stamp(Page[0], 0x0AAA0000);
    Stamp(Page[1], 0x0BBB0000);
    for (ULONG n = 0; n < 5000; n++) {
        KIRQL OldIrql;
        volatile ULONG *Words = MiMapPageInHyperSpace(Page[n & 1], &OldIrql);
        Stale += Words[7] != ((n & 1) ? 0x0BBB0007 : 0x0AAA0007);
        MiUnmapPageInHyperSpace((PVOID)Words, OldIrql);
    }
    EXPECT_EQ(Stale, 0);
    MiInsertPageInFreeList(Page[0]);
    MiInsertPageInFreeList(Page[1]);
}

/*
 * Part 3: hyperspace belongs to an address space. A page mapped in the
 * system address space; then, attached to another process, other pages are
 * mapped until one lands on the same address (within hyperspace's 1,024
 * PTEs it must): there it shows the other process's page.
 */
KTEST(lab_hyperspace, p3_private_to_each_address_space)
{
    static EPROCESS B;
    KAPC_STATE ApcState;
    KIRQL OldIrql;
    PFN_NUMBER x = MiRemoveAnyPage(), y = MiRemoveAnyPage();
    ASSERT_NE(x, MI_NO_PAGE);
    ASSERT_NE(y, MI_NO_PAGE);
    Stamp(x, 0x11110000);
    Stamp(y, 0x22220000);
    ASSERT_EQ(TestCreateProcess(&B), STATUS_SUCCESS);

    volatile ULONG *Vx = MiMapPageInHyperSpace(x, &OldIrql);
    EXPECT_EQ(Vx[3], 0x11110003);
    MiUnmapPageInHyperSpace((PVOID)Vx, OldIrql);

    KeStackAttachProcess(&B.Pcb, &ApcState);
    volatile ULONG *Vy = NULL;
    for (ULONG i = 0; i < 1024 && Vy != Vx; i++) {
        Vy = MiMapPageInHyperSpace(y, &OldIrql);
        if (Vy != Vx)
            MiUnmapPageInHyperSpace((PVOID)Vy, OldIrql);
    }
    EXPECT_EQ(Vy, Vx);
    if (Vy == Vx) {
        EXPECT_EQ(Vy[3], 0x22220003);
        MiUnmapPageInHyperSpace((PVOID)Vy, OldIrql);
    }
    KeUnstackDetachProcess(&ApcState);
    EXPECT_EQ(Differences(x, 0x11110000), 0);
    TestDeleteProcess(&B);
    MiInsertPageInFreeList(x);
    MiInsertPageInFreeList(y);
}

/* Part 4: misuse is MEMORY_MANAGEMENT (0x1A) with MM_BUGCHECK_HYPERSPACE (0x4152) first: mapping above DISPATCH_LEVEL. */
KTEST_DEATH_P1(lab_hyperspace, p4_map_above_dispatch_level, MEMORY_MANAGEMENT, MM_BUGCHECK_HYPERSPACE)
{
    KIRQL OldIrql, Ignored;
    KeRaiseIrql(DEVICE_IRQL(4), &OldIrql);
    MiMapPageInHyperSpace(MmSystemAddressSpace.HyperSpacePfn, &Ignored);
}

/* Part 4: a third mapping held at once. */
KTEST_DEATH_P1(lab_hyperspace, p4_three_mappings_at_once, MEMORY_MANAGEMENT, MM_BUGCHECK_HYPERSPACE)
{
    KIRQL a, b, c;
    PFN_NUMBER Pfn = MmSystemAddressSpace.HyperSpacePfn;
    MiMapPageInHyperSpace(Pfn, &a);
    MiMapPageInHyperSpace(Pfn, &b);
    MiMapPageInHyperSpace(Pfn, &c);
}

/* Part 4: an unmap with no mapping held. */
KTEST_DEATH_P1(lab_hyperspace, p4_unmap_without_a_mapping, MEMORY_MANAGEMENT, MM_BUGCHECK_HYPERSPACE)
{
    KIRQL OldIrql;
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    MiUnmapPageInHyperSpace((PVOID)(HYPER_SPACE + 5 * PAGE_SIZE), OldIrql);
}

/* Part 4: switching address spaces with a mapping held (MiHyperSpaceDepth tells the switch). */
KTEST_DEATH_P1(lab_hyperspace, p4_switch_with_a_mapping_held, MEMORY_MANAGEMENT, MM_BUGCHECK_HYPERSPACE)
{
    static EPROCESS B;
    static KAPC_STATE ApcState;
    KIRQL OldIrql;
    TEST_REQUIRE(TestCreateProcess(&B) == STATUS_SUCCESS);
    MiMapPageInHyperSpace(MmSystemAddressSpace.HyperSpacePfn, &OldIrql);
    KeStackAttachProcess(&B.Pcb, &ApcState);
}
