/*
 * tests/mm/layout.c — the address-space layout of the running split.
 *
 * Every configuration the runner boots runs these, so each split (2 GB,
 * /3GB, /3GB /USERVA=N) and each RAM size is checked against NT's rules.
 * Expected values are written here as numbers — the reference's
 * (/work/shared/reference/x86-virtual-address-space-layout.txt: the fixed
 * addresses, paged pool at most 650 MB with 2 GB of system space and at
 * least 160 MB under /3GB, system PTEs no lower than 0xEB000000), NT's
 * documented limits (nonpaged pool at most 75% of RAM or 2 GB), and
 * mm386's own documented choices (docs/LAYOUT.md) — never recomputed by the
 * routines that computed the layout, so a wrong formula fails.
 */
#include <ktest.h>
#include <loader.h>
#include "../../mm/mi.h"

#define MB 0x100000u

static ULONG RegionEnd(const MI_REGION *r)
{
    return r->Start + r->Size - 1;
}

static const MI_REGION *FindRegion(const MI_REGION *r, ULONG n, const char *Variable)
{
    for (ULONG i = 0; i < n; i++) {
        if (strcmp(r[i].Variable, Variable) == 0)
            return &r[i];
    }
    return NULL;
}

/* Regions are page-aligned, sorted, disjoint, and everything past the user range is system space. */
KTEST(layout, regions_disjoint_aligned_in_system_range)
{
    MI_REGION r[MI_MAX_REGIONS];
    ULONG n = MiGetLayout(r, ARRAY_SIZE(r));
    ASSERT_GE(n, 12);
    for (ULONG i = 0; i < n; i++) {
        EXPECT_EQ(r[i].Start % PAGE_SIZE, 0);
        EXPECT_EQ(r[i].Size % PAGE_SIZE, 0);
        EXPECT_GT(r[i].Size, 0);
        EXPECT_UGE(RegionEnd(&r[i]), r[i].Start);
        if (i > 0)
            EXPECT_ULT(RegionEnd(&r[i - 1]), r[i].Start);
        if (i >= 2)
            EXPECT_UGE(r[i].Start, (ULONG)MmSystemRangeStart);
    }
    EXPECT_EQ(r[0].Start, 0);
    EXPECT_EQ(RegionEnd(&r[n - 1]), 0xFFFFFFFFu);
}

/*
 * The user range ends where NT puts it for the switches this boot carried:
 * 0x80000000 by default and 0xC0000000 with /3GB (the reference's values,
 * with MmUserProbeAddress 0x7FFF0000 and 0xBFFF0000: NT's 64 KB no-access
 * gap); with /3GB /USERVA=N, N in 2048..3072, the largest 4 MB boundary not
 * above N MB; /USERVA out of that range or without /3GB changes nothing
 * (layout.userva_rounding_and_range pins the same rule on values no boot
 * carries).
 */
KTEST(layout, user_range_matches_split)
{
    ULONG UserVa = KeBootOptions.UserVaMb;
    ULONG Expected;
    if (!KeBootOptions.ThreeGb)
        Expected = 0x80000000u;
    else if (UserVa >= 2048 && UserVa <= 3072)
        Expected = UserVa / 4 * (4 * MB);
    else
        Expected = 0xC0000000u;
    EXPECT_EQ((ULONG)MmSystemRangeStart, Expected);
    EXPECT_EQ((ULONG)MmUserProbeAddress, Expected - 0x10000);
    EXPECT_EQ((ULONG)MmHighestUserAddress, Expected - 0x10001);
    if (Expected == 0x80000000u) {
        EXPECT_EQ((ULONG)MmUserProbeAddress, 0x7FFF0000u);
        EXPECT_EQ((ULONG)MmHighestUserAddress, 0x7FFEFFFFu);
    }
    if (Expected == 0xC0000000u) {
        EXPECT_EQ((ULONG)MmUserProbeAddress, 0xBFFF0000u);
        EXPECT_EQ((ULONG)MmHighestUserAddress, 0xBFFEFFFFu);
    }
}

/* NT's fixed addresses are where NT fixes them, in every split. */
KTEST(layout, nt_fixed_values)
{
    MI_REGION r[MI_MAX_REGIONS];
    ULONG n = MiGetLayout(r, ARRAY_SIZE(r));
    const MI_REGION *Pte = FindRegion(r, n, "PTE_BASE");
    const MI_REGION *Hyper = FindRegion(r, n, "HYPER_SPACE");
    const MI_REGION *Dump = FindRegion(r, n, "MmNonPagedPoolEnd");
    const MI_REGION *Hal = FindRegion(r, n, "MM_HAL_VA_START");
    ASSERT_NOT_NULL(Pte);
    ASSERT_NOT_NULL(Hyper);
    ASSERT_NOT_NULL(Dump);
    ASSERT_NOT_NULL(Hal);
    EXPECT_EQ(Pte->Start, 0xC0000000u);
    EXPECT_EQ(Hyper->Start, 0xC0400000u);
    EXPECT_EQ((ULONG)MmNonPagedPoolEnd, 0xFFBE0000u);
    EXPECT_EQ(Dump->Start, 0xFFBE0000u);
    EXPECT_EQ(Hal->Start, 0xFFC00000u);
    EXPECT_EQ((ULONG)MmSystemCacheWorkingSetList, 0xC0C00000u);
    EXPECT_EQ((ULONG)MiAddressToPte(0), 0xC0000000u);
    EXPECT_EQ((ULONG)MiAddressToPde(0), 0xC0300000u);
    EXPECT_EQ((ULONG)MiAddressToPte(PTE_BASE), 0xC0300000u);
}

/* The extension below 0xC0000000 exists exactly when the split leaves room; 0 with /3GB. */
KTEST(layout, system_cache_extra_follows_split)
{
    if ((ULONG)MmSystemRangeStart == 0xC0000000u) {
        EXPECT_NULL(MiSystemCacheStartExtra);
        EXPECT_NULL(MiSystemCacheEndExtra);
        EXPECT_EQ(MmNumberOfExtraSystemPtes, 0);
        EXPECT_UGE((ULONG)MiSystemViewStart, 0xC0000000u);
    } else {
        EXPECT_EQ((ULONG)MiSystemCacheEndExtra, 0xC0000000u);
        EXPECT_UGE((ULONG)MiSystemCacheStartExtra, (ULONG)MmSystemRangeStart);
        EXPECT_EQ(MmNumberOfExtraSystemPtes,
                  ((ULONG)MiSystemCacheEndExtra - (ULONG)MiSystemCacheStartExtra) / PAGE_SIZE);
    }
    if (!KeBootOptions.ThreeGb)
        EXPECT_UGE((ULONG)MmNonPagedSystemStart, 0xEB000000u);
}

/*
 * Paged pool: the reference bounds its size by at most 650 MB with 2 GB of
 * system space and at least 160 MB under /3GB; mm386 reserves 160 MB at
 * 0xE1000000 in every split (docs/LAYOUT.md), inside both.
 */
KTEST(layout, paged_pool_within_reference_bounds)
{
    ULONG Size = (ULONG)MmPagedPoolEnd + 1 - (ULONG)MmPagedPoolStart;
    EXPECT_EQ((ULONG)MmPagedPoolStart, 0xE1000000u);
    EXPECT_EQ((ULONG)MmPagedPoolEnd, 0xEAFFFFFFu);
    EXPECT_EQ(MmSizeOfPagedPoolInBytes, Size);
    EXPECT_LE(Size, 650 * MB);
    EXPECT_GE(Size, 160 * MB);
}

/*
 * System PTEs start at 0xEB000000, the reference's lowest value for the
 * 2 GB split (mm386 keeps it in every split), and number 8,192 (32 MB) on a
 * machine with less than 64 MB of RAM and 16,384 (64 MB) otherwise
 * (docs/LAYOUT.md), so the PFN database that follows them starts at
 * 0xED000000 or 0xEF000000.
 */
KTEST(layout, system_ptes_where_and_how_many_documented)
{
    bool Small = MmPhysicalMemoryBlock.NumberOfPages < 64 * (MB / PAGE_SIZE);
    EXPECT_EQ((ULONG)MmNonPagedSystemStart, 0xEB000000u);
    EXPECT_EQ(MmNumberOfSystemPtes, Small ? 8192u : 16384u);
    EXPECT_EQ((ULONG)MmPfnDatabase, Small ? 0xED000000u : 0xEF000000u);
}

/*
 * Nonpaged pool's maximum is NT's documented one: 75% of physical memory or
 * 2 GB, whichever is smaller — and, on x86, no more than the region from
 * MmNonPagedPoolStart to NT's fixed end 0xFFBE0000. Checked as NT states
 * it: never above any of the three limits, and at the smallest of them to
 * the page (one page more would break one), so a rule that gives too little
 * fails as surely as one that gives too much.
 */
KTEST(layout, nonpaged_pool_maximum_is_ntlike)
{
    uint64_t Ram = (uint64_t)MmPhysicalMemoryBlock.NumberOfPages * PAGE_SIZE;
    uint64_t Region = 0xFFBE0000u - (ULONG)MmNonPagedPoolStart;
    uint64_t Maximum = MmMaximumNonPagedPoolInBytes;
    uint64_t OnePageMore = Maximum + PAGE_SIZE;

    EXPECT_EQ((ULONG)MmNonPagedPoolEnd, 0xFFBE0000u);
    EXPECT_EQ(Maximum % PAGE_SIZE, 0);
    EXPECT_LE(Maximum * 4, Ram * 3);
    EXPECT_LE(Maximum, 0x80000000ull);
    EXPECT_LE(Maximum, Region);
    EXPECT_TRUE(OnePageMore * 4 > Ram * 3 || OnePageMore > 0x80000000ull || OnePageMore > Region);
    EXPECT_LE(MmSizeOfNonPagedPoolInBytes, MmMaximumNonPagedPoolInBytes);
    EXPECT_EQ((ULONG)MmNonPagedPoolExpansionStart,
              (ULONG)MmNonPagedPoolStart + MmSizeOfNonPagedPoolInBytes);
}

/* The PFN database has room for one MMPFN per page up to the highest. */
KTEST(layout, pfn_database_sized_for_highest_page)
{
    ULONG Needed = (MmHighestPhysicalPage + 1) * sizeof(MMPFN);
    EXPECT_GE((ULONG)MmNonPagedPoolStart - (ULONG)MmPfnDatabase, Needed);
    EXPECT_LT((ULONG)MmNonPagedPoolStart - (ULONG)MmPfnDatabase, Needed + PAGE_SIZE);
}

/* /USERVA: rounded down to 4 MB, ignored out of range or without /3GB (NT ignores both). */
KTEST(layout, userva_rounding_and_range)
{
    KE_BOOT_OPTIONS o;
    memset(&o, 0, sizeof(o));
    EXPECT_EQ(MiSystemRangeStartForOptions(&o, false), 0x80000000u);
    o.UserVaMb = 2560;
    EXPECT_EQ(MiSystemRangeStartForOptions(&o, false), 0x80000000u);
    o.ThreeGb = true;
    EXPECT_EQ(MiSystemRangeStartForOptions(&o, false), 0xA0000000u);
    o.UserVaMb = 2901;
    EXPECT_EQ(MiSystemRangeStartForOptions(&o, false), 0xB5400000u);
    o.UserVaMb = 3072;
    EXPECT_EQ(MiSystemRangeStartForOptions(&o, false), 0xC0000000u);
    o.UserVaMb = 2047;
    EXPECT_EQ(MiSystemRangeStartForOptions(&o, false), 0xC0000000u);
    o.UserVaMb = 4000;
    EXPECT_EQ(MiSystemRangeStartForOptions(&o, false), 0xC0000000u);
    o.UserVaMb = 0;
    EXPECT_EQ(MiSystemRangeStartForOptions(&o, false), 0xC0000000u);
}

/* The kernel image lives in the boot-image block, in every split. */
KTEST(layout, kernel_in_boot_image_block)
{
    extern char __kernel_start[], __kernel_end[];
    EXPECT_UGE((ULONG)__kernel_start, BOOT_IMAGE_BASE);
    EXPECT_ULT((ULONG)__kernel_end, BOOT_IMAGE_END);
    EXPECT_UGE((ULONG)__kernel_start, (ULONG)MmSystemRangeStart);
}

/*
 * The split's regions, written out as numbers rather than recomputed: a
 * table per split the runner boots (docs/LAYOUT.md has the same values).
 * Fails if a layout rule changes without this table and the docs changing
 * with it.
 */
typedef struct {
    ULONG SystemRangeStart;
    ULONG SystemViewStart, SessionBase;
    ULONG CacheStartExtra, CacheEndExtra;
    ULONG CacheEnd;
} EXPECTED_SPLIT;

static const EXPECTED_SPLIT ExpectedSplits[] = {
    /* 2 GB */              { 0x80000000u, 0x80000000u, 0x81000000u, 0x84000000u, 0xC0000000u, 0xDFFFFFFFu },
    /* /3GB /USERVA=2560 */ { 0xA0000000u, 0xA0000000u, 0xA1000000u, 0xA4000000u, 0xC0000000u, 0xDFFFFFFFu },
    /* /3GB */              { 0xC0000000u, 0xDC000000u, 0xDD000000u, 0, 0, 0xDBFFFFFFu },
};

KTEST(layout, split_matches_the_documented_table)
{
    const EXPECTED_SPLIT *e = NULL;
    for (ULONG i = 0; i < ARRAY_SIZE(ExpectedSplits); i++) {
        if (ExpectedSplits[i].SystemRangeStart == (ULONG)MmSystemRangeStart)
            e = &ExpectedSplits[i];
    }
    if (!e)
        KTEST_SKIP("a split the table does not list");
    EXPECT_EQ((ULONG)MiSystemViewStart, e->SystemViewStart);
    EXPECT_EQ((ULONG)MmSessionBase, e->SessionBase);
    EXPECT_EQ((ULONG)MiSystemCacheStartExtra, e->CacheStartExtra);
    EXPECT_EQ((ULONG)MiSystemCacheEndExtra, e->CacheEndExtra);
    EXPECT_EQ((ULONG)MmSystemCacheStart, 0xC1000000u);
    EXPECT_EQ((ULONG)MmSystemCacheEnd, e->CacheEnd);
    EXPECT_EQ((ULONG)MmPagedPoolStart, 0xE1000000u);
    EXPECT_EQ((ULONG)MmPagedPoolEnd, 0xEAFFFFFFu);
    EXPECT_EQ((ULONG)MmNonPagedSystemStart, 0xEB000000u);
}
