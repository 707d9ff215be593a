/*
 * tests/labs/syspte.c — the graded tests of the system PTE lab
 * (docs/labs/syspte.md; `make grade LAB=syspte`).
 *
 * They use only the allocator's interface — MiReserveSystemPtes,
 * MiReleaseSystemPtes, MiDrainSystemPteCaches and the counters
 * MmTotalSystemPtes and MmTotalFreeSystemPtes (mm/mi.h) — and the layout
 * (which VAs are system PTE space), never the reference's free runs,
 * caches or bitmaps, so any correct allocator passes. A test's name says
 * its part: p1 reserving and releasing, p2 reuse and coalescing, p3 no stale
 * translation, p4 misuse (death tests, NT's SYSTEM_PTE_MISUSE codes).
 * The reference implementation passes every one (make test runs them).
 */
#include <ktest.h>
#include "../testlib.h"

/* True if [Pte, Pte + Count) lies in system PTE space: the base region or its extension. */
static bool InSystemPteSpace(PMMPTE Pte, ULONG Count)
{
    ULONG First = (ULONG)MiPteToAddress(Pte), Last = First + (Count - 1) * PAGE_SIZE;
    for (ULONG i = 0; i < MiLayoutCount; i++) {
        const MI_REGION *r = &MiLayout[i];
        bool Ptes = strcmp(r->Variable, "MmNonPagedSystemStart") == 0 ||
                    strcmp(r->Variable, "MiSystemCacheStartExtra") == 0;
        if (Ptes && First >= r->Start && Last - r->Start < r->Size && Last >= First)
            return true;
    }
    return false;
}

static bool AllZero(PMMPTE Pte, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++) {
        if (MiReadPte(Pte + i).u.Long != 0)
            return false;
    }
    return true;
}

/* Part 1: a reservation is zeroed PTEs in system PTE space, and the free count follows it. */
KTEST(lab_syspte, p1_reservations_are_zeroed_system_ptes)
{
    static const ULONG Sizes[] = { 1, 2, 3, 4, 7, 8, 16, 17, 33, 100, 1000 };
    for (ULONG i = 0; i < ARRAY_SIZE(Sizes); i++) {
        ULONG Free = MmTotalFreeSystemPtes;
        PMMPTE Pte = MiReserveSystemPtes(Sizes[i], SystemPteSpace);
        ASSERT_NOT_NULL(Pte);
        EXPECT_TRUE(InSystemPteSpace(Pte, Sizes[i]));
        EXPECT_TRUE(AllZero(Pte, Sizes[i]));
        EXPECT_GE(Free - MmTotalFreeSystemPtes, Sizes[i]);     /* rounding up is allowed, less is not */
        MiReleaseSystemPtes(Pte, Sizes[i], SystemPteSpace);
        EXPECT_EQ(MmTotalFreeSystemPtes, Free);
    }
}

/* Part 1: reservations held at once never share a PTE. */
KTEST(lab_syspte, p1_reservations_held_together_do_not_overlap)
{
    static PMMPTE Held[64];
    ULONG Size[64];
    for (ULONG i = 0; i < ARRAY_SIZE(Held); i++) {
        Size[i] = 1 + (i * 7) % 23;
        Held[i] = MiReserveSystemPtes(Size[i], SystemPteSpace);
        ASSERT_NOT_NULL(Held[i]);
    }
    ULONG Overlaps = 0;
    for (ULONG i = 0; i < ARRAY_SIZE(Held); i++) {
        for (ULONG j = i + 1; j < ARRAY_SIZE(Held); j++)
            Overlaps += Held[i] < Held[j] + Size[j] && Held[j] < Held[i] + Size[i];
    }
    EXPECT_EQ(Overlaps, 0);
    for (ULONG i = 0; i < ARRAY_SIZE(Held); i++)
        MiReleaseSystemPtes(Held[i], Size[i], SystemPteSpace);
}

/* Part 1: pages mapped through reserved PTEs are what their VAs read (checked through hyperspace too). */
KTEST(lab_syspte, p1_mapped_pages_read_back)
{
    PFN_NUMBER Pages[8];
    PMMPTE Pte = MiReserveSystemPtes(ARRAY_SIZE(Pages), SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    for (ULONG i = 0; i < ARRAY_SIZE(Pages); i++) {
        Pages[i] = MiRemoveAnyPage();
        ASSERT_NE(Pages[i], MI_NO_PAGE);
        MiWritePte(Pte + i, MiMakeValidPte(Pages[i], MI_PTE_KERNEL_READWRITE));
        HalInvalidatePage(MiPteToAddress(Pte + i));
        RtlFillMemoryUlong(MiPteToAddress(Pte + i), PAGE_SIZE, 0x5E5E0000 + i);
    }
    for (ULONG i = 0; i < ARRAY_SIZE(Pages); i++)
        EXPECT_TRUE(TestPageIsFilledWith(Pages[i], 0x5E5E0000 + i));
    for (ULONG i = 0; i < ARRAY_SIZE(Pages); i++)
        MiWritePte(Pte + i, (MMPTE){ .u.Long = 0 });
    MiReleaseSystemPtes(Pte, ARRAY_SIZE(Pages), SystemPteSpace);
    for (ULONG i = 0; i < ARRAY_SIZE(Pages); i++)
        MiInsertPageInFreeList(Pages[i]);
}

/* Part 1: a request larger than all system PTE space fails with NULL, and nothing changes. */
KTEST(lab_syspte, p1_impossible_request_returns_null)
{
    ULONG Free = MmTotalFreeSystemPtes, Total = MmTotalSystemPtes;
    EXPECT_NULL(MiReserveSystemPtes(0x100000, SystemPteSpace));       /* 4 GB of PTEs */
    EXPECT_EQ(MmTotalFreeSystemPtes, Free);
    EXPECT_EQ(MmTotalSystemPtes, Total);
}

static ULONG Seed;

static ULONG Random(void)
{
    Seed ^= Seed << 13;
    Seed ^= Seed >> 17;
    Seed ^= Seed << 5;
    return Seed;
}

/* Part 2: the same size reserved and released many times: it keeps working and leaks nothing. */
KTEST(lab_syspte, p2_released_ptes_are_reused)
{
    ULONG Free = MmTotalFreeSystemPtes;
    for (ULONG i = 0; i < 20000; i++) {
        ULONG Size = 1 + i % 40;
        PMMPTE Pte = MiReserveSystemPtes(Size, SystemPteSpace);
        ASSERT_NOT_NULL(Pte);
        MiReleaseSystemPtes(Pte, Size, SystemPteSpace);
    }
    EXPECT_EQ(MmTotalFreeSystemPtes, Free);
}

/*
 * Part 2: a random mix of reservations and releases, each new reservation
 * checked against every one held (the model: the list of held ranges).
 * What it holds at once stays within a quarter of the free PTEs it found
 * (small machines have few), and the PTEs in use come back to where they
 * were — counted as in use, not as free: an allocator may grow its pool
 * meanwhile. Prints its seed, so a failure can be replayed.
 */
KTEST(lab_syspte, p2_random_mix_against_a_model)
{
    static PMMPTE Held[256];
    static ULONG Size[256];
    ULONG Live = 0, Conflicts = 0, HeldPtes = 0, Failed = 0;
    ULONG InUse = MmTotalSystemPtes - MmTotalFreeSystemPtes, Budget = MIN(6000, MmTotalFreeSystemPtes / 4);

    Seed = 0x5EED5EED;
    DbgPrint("    # seed %08x, at most %u PTEs held at once\n", Seed, Budget);
    for (ULONG Op = 0; Op < 20000 && !Failed; Op++) {
        ULONG n = Random() % 16 == 0 ? 64 + Random() % 200 : 1 + Random() % 20;
        if (Live < ARRAY_SIZE(Held) && HeldPtes + n <= Budget && (Live == 0 || Random() % 3 != 0)) {
            PMMPTE Pte = MiReserveSystemPtes(n, SystemPteSpace);
            if (!Pte) {
                Failed = n;
                break;
            }
            for (ULONG i = 0; i < Live; i++)
                Conflicts += Pte < Held[i] + Size[i] && Held[i] < Pte + n;
            Held[Live] = Pte;
            Size[Live++] = n;
            HeldPtes += n;
        } else if (Live) {
            ULONG Victim = Random() % Live;
            MiReleaseSystemPtes(Held[Victim], Size[Victim], SystemPteSpace);
            HeldPtes -= Size[Victim];
            Held[Victim] = Held[--Live];
            Size[Victim] = Size[Live];
        }
    }
    EXPECT_EQ(Failed, 0);           /* a reservation of Failed PTEs found none, with HeldPtes held */
    EXPECT_EQ(Conflicts, 0);
    while (Live) {
        Live--;
        MiReleaseSystemPtes(Held[Live], Size[Live], SystemPteSpace);
    }
    EXPECT_EQ(MmTotalSystemPtes - MmTotalFreeSystemPtes, InUse);
}

/*
 * Part 2: free space coalesces. Runs of 8 are reserved until none is left
 * (or 4096 are held), released every other one first — so each freed run
 * has held neighbours — then the rest; once the per-size caches are
 * drained, the longest stretch of runs that lay back to back must be
 * reservable as one run again. Every PTE the pool had is taken on the
 * way, so the large run cannot come from space the test never touched.
 */
KTEST(lab_syspte, p2_released_runs_coalesce)
{
    static PMMPTE Held[4096], Sorted[4096];
    ULONG Count = 0, Longest = 1, Span = 1;

    while (Count < ARRAY_SIZE(Held) && (Held[Count] = MiReserveSystemPtes(8, SystemPteSpace)) != NULL)
        Count++;
    for (ULONG i = 0; i < Count; i++) {             /* by address (an insertion sort: a few thousand) */
        ULONG j = i;
        for (; j > 0 && Sorted[j - 1] > Held[i]; j--)
            Sorted[j] = Sorted[j - 1];
        Sorted[j] = Held[i];
    }
    for (ULONG i = 1; i < Count; i++) {
        Span = Sorted[i] == Sorted[i - 1] + 8 ? Span + 1 : 1;
        Longest = MAX(Longest, Span);
    }
    for (ULONG i = 0; i < Count; i += 2)            /* every other one first: the holes between are held */
        MiReleaseSystemPtes(Held[i], 8, SystemPteSpace);
    for (ULONG i = 1; i < Count; i += 2)
        MiReleaseSystemPtes(Held[i], 8, SystemPteSpace);
    ASSERT_GE(Count, 64);                           /* 64 runs of 8 at least: every configuration has them */
    DbgPrint("    # %u runs of 8 reserved, at most %u of them back to back\n", Count, Longest);
    MiDrainSystemPteCaches();
    PMMPTE Large = MiReserveSystemPtes(Longest * 8, SystemPteSpace);
    EXPECT_NOT_NULL(Large);
    EXPECT_GE(Longest, 8);                          /* the runs come from larger free runs, mostly */
    if (Large) {
        EXPECT_TRUE(InSystemPteSpace(Large, Longest * 8));
        MiReleaseSystemPtes(Large, Longest * 8, SystemPteSpace);
    }
}

/*
 * Part 3: a released PTE's old translation never shows through. A PTE maps
 * page Old and is read (the TLB keeps the translation), then released
 * without a flush by the caller; single PTEs are reserved until that one
 * comes back (every reservation holding its PTE meanwhile), then it maps
 * New, and a read must see New.
 */
static void CheckReuseShowsTheNewPage(KTEST_CONTEXT *t, ULONG Count)
{
    static PMMPTE Held[16384];
    ULONG HeldCount = 0;
    PFN_NUMBER Old = MiRemoveAnyPage(), New = MiRemoveAnyPage();

    ASSERT_NE(Old, MI_NO_PAGE);
    ASSERT_NE(New, MI_NO_PAGE);
    TestFillPage(Old, 0x01D01D01);
    TestFillPage(New, 0x0E110E11);
    PMMPTE Pte = MiReserveSystemPtes(Count, SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    volatile ULONG *Va = MiPteToAddress(Pte);
    MiWritePte(Pte, MiMakeValidPte(Old, MI_PTE_KERNEL_READWRITE));
    EXPECT_EQ(*Va, 0x01D01D01);
    MiReleaseSystemPtes(Pte, Count, SystemPteSpace);

    PMMPTE Again = NULL;
    while (HeldCount < ARRAY_SIZE(Held)) {
        PMMPTE Next = MiReserveSystemPtes(Count, SystemPteSpace);
        if (!Next)
            break;
        if (Next == Pte) {
            Again = Next;
            break;
        }
        Held[HeldCount++] = Next;
    }
    EXPECT_EQ(Again, Pte);          /* released PTEs must be handed out again */
    if (Again) {
        MiWritePte(Pte, MiMakeValidPte(New, MI_PTE_KERNEL_READWRITE));
        EXPECT_EQ(*Va, 0x0E110E11);
        MiWritePte(Pte, (MMPTE){ .u.Long = 0 });
        MiReleaseSystemPtes(Pte, Count, SystemPteSpace);
    }
    while (HeldCount)
        MiReleaseSystemPtes(Held[--HeldCount], Count, SystemPteSpace);
    MiInsertPageInFreeList(Old);
    MiInsertPageInFreeList(New);
}

KTEST(lab_syspte, p3_reused_single_pte_maps_the_new_page)
{
    CheckReuseShowsTheNewPage(t, 1);
}

KTEST(lab_syspte, p3_reused_run_maps_the_new_page)
{
    CheckReuseShowsTheNewPage(t, 4);
}

/* Part 3: the same check many times over, alternating two pages through whatever PTEs come back. */
KTEST(lab_syspte, p3_no_stale_translation_in_many_cycles)
{
    PFN_NUMBER Page[2] = { MiRemoveAnyPage(), MiRemoveAnyPage() };
    ULONG Stale = 0;

    ASSERT_NE(Page[0], MI_NO_PAGE);
    ASSERT_NE(Page[1], MI_NO_PAGE);
    TestFillPage(Page[0], 0xAAAA0000);
    TestFillPage(Page[1], 0xBBBB0000);
    for (ULONG i = 0; i < 5000; i++) {
        PMMPTE Pte = MiReserveSystemPtes(1, SystemPteSpace);
        ASSERT_NOT_NULL(Pte);
        MiWritePte(Pte, MiMakeValidPte(Page[i & 1], MI_PTE_KERNEL_READWRITE));
        Stale += *(volatile ULONG *)MiPteToAddress(Pte) != ((i & 1) ? 0xBBBB0000 : 0xAAAA0000);
        MiReleaseSystemPtes(Pte, 1, SystemPteSpace);
    }
    EXPECT_EQ(Stale, 0);
    MiDrainSystemPteCaches();
    MiInsertPageInFreeList(Page[0]);
    MiInsertPageInFreeList(Page[1]);
}

/* Part 4: misuse stops the machine with NT's SYSTEM_PTE_MISUSE code, the first parameter saying which misuse. */
KTEST_DEATH_P1(lab_syspte, p4_double_release, SYSTEM_PTE_MISUSE, PTE_RELEASE_ALREADY_FREE)
{
    PMMPTE Pte = MiReserveSystemPtes(20, SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    MiReleaseSystemPtes(Pte, 20, SystemPteSpace);
    MiReleaseSystemPtes(Pte, 20, SystemPteSpace);
}

KTEST_DEATH_P1(lab_syspte, p4_release_with_the_wrong_count, SYSTEM_PTE_MISUSE, PTE_RELEASE_WRONG_COUNT)
{
    PMMPTE Pte = MiReserveSystemPtes(20, SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    MiReleaseSystemPtes(Pte, 19, SystemPteSpace);
}

KTEST_DEATH_P1(lab_syspte, p4_release_from_the_middle, SYSTEM_PTE_MISUSE, PTE_RELEASE_MIDDLE)
{
    PMMPTE Pte = MiReserveSystemPtes(20, SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    MiReleaseSystemPtes(Pte + 4, 16, SystemPteSpace);
}

KTEST_DEATH_P1(lab_syspte, p4_release_of_ptes_that_are_not_system_ptes, SYSTEM_PTE_MISUSE, PTE_RELEASE_NOT_PERMITTED)
{
    MiReleaseSystemPtes(MiAddressToPte(KiLookupSymbol("KiSystemStartup")), 1, SystemPteSpace);
}

KTEST_DEATH_P1(lab_syspte, p4_reserve_of_nothing, SYSTEM_PTE_MISUSE, PTE_RESERVE_NONE)
{
    MiReserveSystemPtes(0, SystemPteSpace);
}
