/*
 * tests/mm/syspte.c — the system PTE pool (mm/syspte.c): every size, the TLB
 * rule, fragmentation against an oracle, exhaustion and recovery, misuse.
 */
#include <drivers.h>
#include <hal.h>
#include <ktest.h>
#include <layout.h>
#include <rtl.h>
#include "mm/mi.h"
#include "../testlib.h"

static PMMPTE BaseFirst(void)
{
    return MiAddressToPte(MmNonPagedSystemStart);
}

static PMMPTE BaseEnd(void)
{
    return BaseFirst() + MmNumberOfSystemPtes;
}

/* True if Count PTEs from Pte lie inside the base region or the part of the extension in the pool. */
static bool InPool(PMMPTE Pte, ULONG Count)
{
    MI_SYSTEM_PTE_INFO Info;
    MiQuerySystemPtes(&Info);
    PMMPTE Extra = MiAddressToPte(MiSystemCacheStartExtra);
    return (Pte >= BaseFirst() && Pte + Count <= BaseEnd()) ||
           (Info.ExtraAdded && Pte >= Extra && Pte + Count <= Extra + Info.ExtraAdded);
}

static bool AllZero(PMMPTE Pte, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++) {
        if (MiReadPte(Pte + i).u.Long != 0)
            return false;
    }
    return true;
}

/*
 * After draining, every free PTE must be back on the free list and merged
 * with its free neighbours: one run per region, except where the system's
 * own reservations (the initial thread's stack, the console's mapping) cut
 * it — exactly as many runs as the reservation bitmaps leave gaps.
 */
static void ExpectFullyMerged(KTEST_CONTEXT *t)
{
    MI_SYSTEM_PTE_INFO Info;
    static MI_SYSTEM_PTE_RUNS Runs;
    MiDrainSystemPteCaches();
    MiQuerySystemPtes(&Info);
    MiQuerySystemPteRuns(&Runs);
    /* Every free PTE is in exactly one run of the free list: the runs' PTEs add up to the free count. */
    ULONG ListedPtes = 0;
    for (ULONG i = 0; i < MI_SYSTEM_PTE_RUN_CLASSES; i++)
        ListedPtes += Runs.Ptes[i];
    EXPECT_EQ(ListedPtes, MmTotalFreeSystemPtes);
    EXPECT_EQ(Runs.FreeRuns, Info.FreeRuns);
    EXPECT_EQ(Info.Cached, 0);
    EXPECT_EQ(Info.WaitingForFlush, 0);
    EXPECT_EQ(Info.FreeRuns, Info.FreeStretches);
    EXPECT_EQ(Info.LargestFreeRun, Info.LargestFreeStretch);
}

/* Reserving and releasing 1..64 PTEs gives zeroed, usable PTEs in the pool and restores the free count; else callers get garbage or the pool leaks. */
KTEST(syspte, reserve_release_every_size)
{
    PFN_NUMBER Page = MiRemoveZeroPage();
    ASSERT_NE(Page, MI_NO_PAGE);
    ULONG FreeBefore = MmTotalFreeSystemPtes;

    for (ULONG n = 1; n <= 64; n++) {
        PMMPTE Pte = MiReserveSystemPtes(n, SystemPteSpace);
        ASSERT_NOT_NULL(Pte);
        ULONG Size = MiSystemPteAllocationSize(n);
        EXPECT_GE(Size, n);
        EXPECT_TRUE(InPool(Pte, Size));
        EXPECT_TRUE(AllZero(Pte, Size));
        EXPECT_EQ(MmTotalFreeSystemPtes, FreeBefore - Size);

        PMMPTE Start = NULL;
        EXPECT_EQ(MiQuerySystemPteAllocation(Pte + Size - 1, &Start), Size);
        EXPECT_EQ(Start, Pte);

        /* Each PTE maps: all map one page, word i written through PTE i is read through the first. */
        for (ULONG i = 0; i < n; i++) {
            MiWritePte(Pte + i, MiMakeValidPte(Page, MI_PTE_KERNEL_READWRITE));
            volatile ULONG *Word = (volatile ULONG *)MiPteToAddress(Pte + i) + i;
            *Word = n * 1000 + i;
        }
        volatile ULONG *First = (volatile ULONG *)MiPteToAddress(Pte);
        ULONG Wrong = 0;
        for (ULONG i = 0; i < n; i++)
            Wrong += First[i] != n * 1000 + i;
        EXPECT_EQ(Wrong, 0);

        MiReleaseSystemPtes(Pte, n, SystemPteSpace);
        EXPECT_EQ(MmTotalFreeSystemPtes, FreeBefore);
        EXPECT_EQ(MiQuerySystemPteAllocation(Pte, &Start), 0);
    }
    MiInsertPageInFreeList(Page);
}

/* A released address comes back only after a TLB flush, and then reads its new page; else a stale translation reads the old one. */
KTEST(syspte, released_va_is_flushed)
{
    static PMMPTE Held[256];
    PFN_NUMBER Old = MiRemoveAnyPage(), New = MiRemoveAnyPage();
    MI_SYSTEM_PTE_INFO Info;
    ULONG Count = 0;

    ASSERT_NE(Old, MI_NO_PAGE);
    ASSERT_NE(New, MI_NO_PAGE);
    TestFillPage(Old, 0x01D01D01);
    TestFillPage(New, 0x0E110E11);

    PMMPTE Pte = MiReserveSystemPtes(1, SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    volatile ULONG *Va = MiPteToAddress(Pte);
    MiWritePte(Pte, MiMakeValidPte(Old, MI_PTE_KERNEL_READWRITE));
    EXPECT_EQ(*Va, 0x01D01D01);             /* the TLB now translates Va to Old */
    MiQuerySystemPtes(&Info);
    ULONG FlushesAtRelease = Info.Flushes;
    MiReleaseSystemPtes(Pte, 1, SystemPteSpace);

    PMMPTE Again = NULL;
    while (Count < ARRAY_SIZE(Held)) {
        PMMPTE Next = MiReserveSystemPtes(1, SystemPteSpace);
        ASSERT_NOT_NULL(Next);
        if (Next == Pte) {
            Again = Next;
            break;
        }
        Held[Count++] = Next;
    }
    EXPECT_EQ(Again, Pte);
    if (Again) {
        MiQuerySystemPtes(&Info);
        EXPECT_GT(Info.Flushes, FlushesAtRelease);
        MiWritePte(Pte, MiMakeValidPte(New, MI_PTE_KERNEL_READWRITE));
        EXPECT_EQ(*Va, 0x0E110E11);
        MiReleaseSystemPtes(Pte, 1, SystemPteSpace);
    }
    while (Count)
        MiReleaseSystemPtes(Held[--Count], 1, SystemPteSpace);
    MiInsertPageInFreeList(Old);
    MiInsertPageInFreeList(New);
}

/*
 * The random mix shared by the fragmentation test and its benchmark: mostly
 * small runs (served by the caches), some up to 64 PTEs (the free list).
 */
static ULONG RandomState;

static ULONG Random(void)
{
    RandomState ^= RandomState << 13;
    RandomState ^= RandomState >> 17;
    RandomState ^= RandomState << 5;
    return RandomState;
}

static ULONG RandomSize(void)
{
    ULONG r = Random() % 100;
    if (r < 50)
        return 1 + Random() % 4;
    if (r < 80)
        return 5 + Random() % 12;
    return 17 + Random() % 48;
}

#define MIX_LIVE        256         /* reservations held at most */
#define MIX_PTE_BUDGET  4096        /* PTEs held at most: half the smallest pool, so no extension */

typedef struct {
    PMMPTE Pte;
    ULONG Count;                    /* what was asked for */
    ULONG Size;                     /* what the pool reserved (rounded) */
} LIVE_RUN;

static LIVE_RUN Live[MIX_LIVE];
static ULONG LiveCount, LivePtes;

/* The next operation: true and a count to reserve, or false to release a held run. */
static bool MixWantsReserve(ULONG *Count)
{
    if (LiveCount == MIX_LIVE || (LiveCount && (Random() & 1)))
        return false;
    *Count = RandomSize();
    return LivePtes + MiSystemPteAllocationSize(*Count) <= MIX_PTE_BUDGET || LiveCount == 0;
}

static void MixHold(PMMPTE Pte, ULONG Count)
{
    ULONG Size = MiSystemPteAllocationSize(Count);
    Live[LiveCount++] = (LIVE_RUN){ Pte, Count, Size };
    LivePtes += Size;
}

/* Forgets a random held run and returns it, for the caller to release. */
static LIVE_RUN MixDrop(void)
{
    ULONG Victim = Random() % LiveCount;
    LIVE_RUN Run = Live[Victim];
    Live[Victim] = Live[--LiveCount];
    LivePtes -= Run.Size;
    return Run;
}

static void ReleaseAllLive(void)
{
    while (LiveCount) {
        LiveCount--;
        MiReleaseSystemPtes(Live[LiveCount].Pte, Live[LiveCount].Count, SystemPteSpace);
    }
    LivePtes = 0;
}

/*
 * Oracle: which pool PTEs the test holds. Bit i < 16,384 is PTE i of the
 * base region; bit 16,384 + j is PTE j of the extension below 0xC0000000,
 * which the pool takes in when the base region runs dry (and keeps, as NT
 * does: once a run has exhausted it, later runs of this test reserve from
 * it too).
 */
#define ORACLE_BASE_PTES    16384
#define ORACLE_PTES         (ORACLE_BASE_PTES + (PTE_BASE - 0x80000000u) / PAGE_SIZE)
static ULONG Oracle[ORACLE_PTES / 32];
static PMMPTE OracleExtraFirst;
static ULONG OracleExtraAdded;

static bool OracleAnySet(ULONG First, ULONG Count)
{
    for (ULONG i = First; i < First + Count; i++) {
        if (Oracle[i >> 5] & (1u << (i & 31)))
            return true;
    }
    return false;
}

static void OracleFlip(ULONG First, ULONG Count)
{
    for (ULONG i = First; i < First + Count; i++)
        Oracle[i >> 5] ^= 1u << (i & 31);
}

/* A mark the test writes into every PTE it holds (never valid): the allocator must not touch them. */
static MMPTE Mark(PMMPTE Pte)
{
    return (MMPTE){ .u.Long = (ULONG)MiPteToAddress(Pte) | PTE_WRITE };
}

/* The oracle's bit for the first of Size PTEs from Pte, or false if they are not all in the pool. */
static bool OracleIndex(PMMPTE Pte, ULONG Size, ULONG *Index)
{
    if (Pte >= BaseFirst() && Pte + Size <= BaseEnd()) {
        *Index = (ULONG)(Pte - BaseFirst());
        return true;
    }
    if (OracleExtraAdded && Pte >= OracleExtraFirst && Pte + Size <= OracleExtraFirst + OracleExtraAdded) {
        *Index = ORACLE_BASE_PTES + (ULONG)(Pte - OracleExtraFirst);
        return true;
    }
    return false;
}

/*
 * 100,000 random reservations and releases against an oracle: no run
 * overlaps a held one or falls outside the pool (the base region, and the
 * part of the extension the pool has taken in), every run comes zeroed,
 * held PTEs are never written, the in-use count matches, and at the end the
 * pool is whole again; else the free list or the caches lose PTEs, hand
 * them out twice, or scribble on them.
 */
KTEST(syspte, fragmentation_against_oracle)
{
    const ULONG Ops = 100000;
    ULONG Overlaps = 0, Outside = 0, NotZero = 0, Clobbered = 0, Refused = 0, Miscounted = 0;
    ULONG InUseBefore = MmTotalSystemPtes - MmTotalFreeSystemPtes;
    MI_SYSTEM_PTE_INFO Info;

    ASSERT_LE(MmNumberOfSystemPtes, ORACLE_BASE_PTES);
    MiQuerySystemPtes(&Info);
    OracleExtraFirst = MiAddressToPte(MiSystemCacheStartExtra);
    OracleExtraAdded = Info.ExtraAdded;
    ASSERT_LE(ORACLE_BASE_PTES + OracleExtraAdded, ORACLE_PTES);
    memset(Oracle, 0, sizeof(Oracle));
    RandomState = 0x5EED1234;
    LiveCount = LivePtes = 0;

    for (ULONG Op = 0; Op < Ops; Op++) {
        ULONG Count;
        if (MixWantsReserve(&Count)) {
            PMMPTE Pte = MiReserveSystemPtes(Count, SystemPteSpace);
            ULONG Size = MiSystemPteAllocationSize(Count);
            if (!Pte) {
                Refused++;
                continue;
            }
            ULONG First;
            if (!OracleIndex(Pte, Size, &First)) {
                Outside++;
                MiReleaseSystemPtes(Pte, Count, SystemPteSpace);
                continue;
            }
            Overlaps += OracleAnySet(First, Size);
            NotZero += !AllZero(Pte, Size);
            OracleFlip(First, Size);
            for (ULONG i = 0; i < Size; i++)
                MiWritePte(Pte + i, Mark(Pte + i));
            MixHold(Pte, Count);
        } else {
            LIVE_RUN Run = MixDrop();
            ULONG First = 0;
            for (ULONG i = 0; i < Run.Size; i++)
                Clobbered += MiReadPte(Run.Pte + i).u.Long != Mark(Run.Pte + i).u.Long;
            OracleIndex(Run.Pte, Run.Size, &First);
            OracleFlip(First, Run.Size);
            MiReleaseSystemPtes(Run.Pte, Run.Count, SystemPteSpace);
        }
        Miscounted += MmTotalSystemPtes - MmTotalFreeSystemPtes != InUseBefore + LivePtes;
    }
    EXPECT_EQ(Overlaps, 0);
    EXPECT_EQ(Outside, 0);
    EXPECT_EQ(NotZero, 0);
    EXPECT_EQ(Clobbered, 0);
    EXPECT_EQ(Refused, 0);
    EXPECT_EQ(Miscounted, 0);
    ReleaseAllLive();
    ExpectFullyMerged(t);
}

typedef struct {
    PMMPTE Pte;
    ULONG Count;
} HELD_RUN;

/*
 * Reserving until nothing is left — the base region, then the whole
 * extension where the split has one — makes every path return NULL without
 * crashing, and after releasing everything the pool works and is whole
 * again; else exhaustion corrupts the pool or a public routine crashes on it.
 */
KTEST(syspte, exhaust_and_recover)
{
    static HELD_RUN Held[1200];
    static const ULONG Sizes[] = { 1024, 256, 64, 16, 4, 1 };
    static ULONG Buffer[64];
    MI_SYSTEM_PTE_INFO Info;
    ULONG Count = 0;

    /* An MDL built before the pool runs dry, to try mapping it after. */
    PMDL Mdl = IoAllocateMdl(Buffer, sizeof(Buffer), FALSE, FALSE, NULL);
    ASSERT_NOT_NULL(Mdl);
    MmBuildMdlForNonPagedPool(Mdl);

    for (ULONG s = 0; s < ARRAY_SIZE(Sizes); s++) {
        PMMPTE Pte;
        while (Count < ARRAY_SIZE(Held) && (Pte = MiReserveSystemPtes(Sizes[s], SystemPteSpace)))
            Held[Count++] = (HELD_RUN){ Pte, Sizes[s] };
    }
    ASSERT_LT(Count, ARRAY_SIZE(Held));
    MiQuerySystemPtes(&Info);
    EXPECT_EQ(Info.Free, 0);
    EXPECT_EQ(Info.ExtraAdded, MmNumberOfExtraSystemPtes);
    EXPECT_EQ(Info.Total, MmNumberOfSystemPtes + MmNumberOfExtraSystemPtes);

    EXPECT_NULL(MiReserveSystemPtes(1, SystemPteSpace));
    EXPECT_NULL(MiReserveSystemPtes(17, SystemPteSpace));
    EXPECT_NULL(MmMapIoSpace(VGA_TEXT_PHYS, PAGE_SIZE, MmNonCached));
    EXPECT_NULL(MmAllocateMappingAddress(PAGE_SIZE, MAKE_TAG('T', 'e', 's', 't')));
    EXPECT_NULL(MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority));
    EXPECT_EQ(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA, 0);
    EXPECT_NULL(MmCreateKernelStack(FALSE, 0));
    /* MDLs live in nonpaged pool and describe pages without mapping them: they still work. */
    PMDL Another = IoAllocateMdl(Buffer, sizeof(Buffer), FALSE, FALSE, NULL);
    EXPECT_NOT_NULL(Another);
    if (Another)
        IoFreeMdl(Another);
    PMDL Pages = MmAllocatePagesForMdl(0, ~0ull, 0, PAGE_SIZE);
    EXPECT_NOT_NULL(Pages);
    if (Pages) {
        EXPECT_NULL(MmGetSystemAddressForMdlSafe(Pages, NormalPagePriority));
        MmFreePagesFromMdl(Pages);
        IoFreeMdl(Pages);
    }

    while (Count) {
        Count--;
        MiReleaseSystemPtes(Held[Count].Pte, Held[Count].Count, SystemPteSpace);
    }
    PMMPTE Big = MiReserveSystemPtes(1024, SystemPteSpace);
    EXPECT_NOT_NULL(Big);
    PVOID Io = MmMapIoSpace(VGA_TEXT_PHYS, PAGE_SIZE, MmNonCached);
    EXPECT_NOT_NULL(Io);
    if (Io)
        MmUnmapIoSpace(Io, PAGE_SIZE);
    if (Big)
        MiReleaseSystemPtes(Big, 1024, SystemPteSpace);
    IoFreeMdl(Mdl);
    ExpectFullyMerged(t);
}

/* Releasing the same PTEs twice is SYSTEM_PTE_MISUSE, "already free"; else a second owner could get them. */
KTEST_DEATH_P1(syspte, double_release, SYSTEM_PTE_MISUSE, PTE_RELEASE_ALREADY_FREE)
{
    PMMPTE Pte = MiReserveSystemPtes(4, SystemPteSpace);
    TEST_REQUIRE(Pte != NULL);
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)MiPteToAddress(Pte));
    KtestExpectBugCheckParameter(t, 4, 4);
    MiReleaseSystemPtes(Pte, 4, SystemPteSpace);
    MiReleaseSystemPtes(Pte, 4, SystemPteSpace);
}

/* Releasing fewer PTEs than were reserved is SYSTEM_PTE_MISUSE, "wrong count"; else the rest leak or merge under their owner. */
KTEST_DEATH_P1(syspte, release_wrong_count, SYSTEM_PTE_MISUSE, PTE_RELEASE_WRONG_COUNT)
{
    PMMPTE Pte = MiReserveSystemPtes(20, SystemPteSpace);
    MiReleaseSystemPtes(Pte, 19, SystemPteSpace);
}

/* Releasing from the middle of a reservation is SYSTEM_PTE_MISUSE; else part of it would be handed to someone else. */
KTEST_DEATH_P1(syspte, release_middle_of_reservation, SYSTEM_PTE_MISUSE, PTE_RELEASE_MIDDLE)
{
    PMMPTE Pte = MiReserveSystemPtes(20, SystemPteSpace);
    MiReleaseSystemPtes(Pte + 1, 19, SystemPteSpace);
}

/* Reserves and releases Count PTEs 20,000 times (after one warm-up) and reports the cost of each pair. */
static void BenchReserveRelease(KBENCH_CONTEXT *b, const char *Figure, ULONG Count)
{
    const ULONG Rounds = 20000;
    MiReleaseSystemPtes(MiReserveSystemPtes(Count, SystemPteSpace), Count, SystemPteSpace);
    KbenchStart(b);
    for (ULONG i = 0; i < Rounds; i++)
        MiReleaseSystemPtes(MiReserveSystemPtes(Count, SystemPteSpace), Count, SystemPteSpace);
    KbenchStop(b);
    KbenchReport(b, Figure, Rounds);
}

/* One reserve and release of a single PTE: the cache's fast path. */
KBENCH(syspte_reserve_release_1)
{
    BenchReserveRelease(b, "syspte_reserve_release_1", 1);
}

/* One reserve and release of 16 PTEs (a large kernel stack's worth). */
KBENCH(syspte_reserve_release_16)
{
    BenchReserveRelease(b, "syspte_reserve_release_16", 16);
}

/* Ops operations of the random mix, unchecked: the benchmark's loop. */
static void MixRun(ULONG Ops)
{
    ULONG Count;
    for (ULONG i = 0; i < Ops; i++) {
        if (MixWantsReserve(&Count)) {
            PMMPTE Pte = MiReserveSystemPtes(Count, SystemPteSpace);
            if (Pte)
                MixHold(Pte, Count);
        } else {
            LIVE_RUN Run = MixDrop();
            MiReleaseSystemPtes(Run.Pte, Run.Count, SystemPteSpace);
        }
    }
}

/* Where the harness loop's choices go instead of into reservations and releases. */
static PMMPTE volatile HarnessPte = (PMMPTE)PTE_BASE;
static LIVE_RUN volatile HarnessSink;

/*
 * MixRun with the reservations and releases taken out: the same random
 * choices and the same bookkeeping of held runs, so its cost is what the
 * benchmark's figure includes besides the pool's own work.
 */
static void MixRunHarness(ULONG Ops)
{
    ULONG Count;
    for (ULONG i = 0; i < Ops; i++) {
        if (MixWantsReserve(&Count)) {
            PMMPTE Pte = HarnessPte;
            if (Pte)
                MixHold(Pte, Count);
        } else {
            HarnessSink = MixDrop();
        }
    }
}

/* The mix's state: the harness replays the measured loop's choices from the same start. */
typedef struct {
    LIVE_RUN Live[MIX_LIVE];
    ULONG LiveCount, LivePtes, RandomState;
} MIX_STATE;

static void MixSave(MIX_STATE *State)
{
    memcpy(State->Live, Live, sizeof(Live));
    State->LiveCount = LiveCount;
    State->LivePtes = LivePtes;
    State->RandomState = RandomState;
}

static void MixRestore(const MIX_STATE *State)
{
    memcpy(Live, State->Live, sizeof(Live));
    LiveCount = State->LiveCount;
    LivePtes = State->LivePtes;
    RandomState = State->RandomState;
}

/*
 * The fragmentation test's random mix, after 20,000 operations have
 * fragmented the pool: per operation. The harness line is the same 50,000
 * choices from the same state with no reservation or release.
 */
KBENCH(syspte_fragmented_reserve_release)
{
    static MIX_STATE Fragmented, Measured;
    const ULONG Count = 50000;
    RandomState = 0xBE7C4;
    LiveCount = LivePtes = 0;
    MixRun(20000);
    MixSave(&Fragmented);
    KbenchStart(b);
    MixRun(Count);
    KbenchStop(b);
    KbenchReport(b, "syspte_fragmented_reserve_release", Count);

    MixSave(&Measured);
    MixRestore(&Fragmented);
    KbenchStart(b);
    MixRunHarness(Count);
    KbenchStop(b);
    KbenchReportHarness(b, "syspte_fragmented_reserve_release", Count);
    MixRestore(&Measured);
    ReleaseAllLive();
}
