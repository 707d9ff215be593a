/*
 * tests/mm/ram.c — how much RAM the memory manager takes, and what it says
 * when it cannot take enough: /MAXMEM beyond 32 bits of bytes, RAM above
 * 4 GB, and the INSTALL_MORE_MEMORY advice.
 *
 * The maps are SeaBIOS's e820 maps under QEMU (the banner's range count and
 * sizes agree): the first 639 KB, a reserved hole to 1 MB, RAM from 1 MB to
 * 128 KB below the top (ACPI tables), the BIOS ROM below 4 GB. Every expected
 * page count is worked out by hand in the comments.
 */
#include <ktest.h>
#include <loader.h>
#include "../../mm/mi.h"

#define MB 0x100000ull

/* QEMU's map for `-m Mb` (Mb below 3.5 GB). */
static ULONG QemuMap(LOADER_MEMORY_DESCRIPTOR Map[6], ULONG Mb)
{
    const LOADER_MEMORY_DESCRIPTOR Template[6] = {
        { 0, 0x9FC00, LOADER_MEMORY_AVAILABLE },
        { 0x9FC00, 0x400, LOADER_MEMORY_RESERVED },
        { 0xF0000, 0x10000, LOADER_MEMORY_RESERVED },
        { 0x100000, Mb * MB - 0x20000 - 0x100000, LOADER_MEMORY_AVAILABLE },
        { Mb * MB - 0x20000, 0x20000, LOADER_MEMORY_RESERVED },
        { 0xFFFC0000, 0x40000, LOADER_MEMORY_RESERVED },
    };
    memcpy(Map, Template, sizeof(Template));
    return 6;
}

static PFN_NUMBER PagesOf(ULONG Mb, PFN_NUMBER MaxMemPages)
{
    LOADER_MEMORY_DESCRIPTOR Map[6];
    PHYSICAL_MEMORY_DESCRIPTOR Block;
    MiComputePhysicalRuns(Map, QemuMap(Map, Mb), MaxMemPages, &Block);
    return Block.NumberOfPages;
}

/*
 * /MAXMEM is in MB; as pages it needs more than 32 bits from 16 TB up. The
 * issue's values: 16777217 wrapped to 256 pages (158 of them RAM, so
 * INSTALL_MORE_MEMORY), 16777248 to 0x2000 (a silent 32 MB). Any value from
 * 4096 MB up lies beyond what mm386 addresses: no limit.
 */
KTEST(ram, maxmem_beyond_4gb_is_no_limit)
{
    EXPECT_EQ(MiMaxMemPages(48), 48 * 256);
    EXPECT_EQ(MiMaxMemPages(4095), 0xFFF00);
    EXPECT_EQ(MiMaxMemPages(4096), 0);
    EXPECT_EQ(MiMaxMemPages(16777217), 0);
    EXPECT_EQ(MiMaxMemPages(16777248), 0);
    EXPECT_EQ(MiMaxMemPages(0xFFFFFFFF), 0);

    /* -m 128: pages 1..0x9E below 640 KB (158) and 0x100..0x7FDF (32480). */
    EXPECT_EQ(PagesOf(128, 0), 158 + 32480);
    EXPECT_EQ(PagesOf(128, MiMaxMemPages(16777217)), 158 + 32480);
    EXPECT_EQ(PagesOf(128, MiMaxMemPages(16777248)), 158 + 32480);
    /* /MAXMEM=48: 0x100..0x2FFF. */
    EXPECT_EQ(PagesOf(128, MiMaxMemPages(48)), 158 + 0x2F00);
}

/* RAM above 4 GB is counted, for the report that says it is not used; RAM below, and holes, are not. */
KTEST(ram, ram_above_4gb_is_counted)
{
    const LOADER_MEMORY_DESCRIPTOR Map[] = {
        { 0x100000, 0xBFF00000, LOADER_MEMORY_AVAILABLE },          /* 1 MB .. 3 GB */
        { 0xF0000000, 0x20000000, LOADER_MEMORY_AVAILABLE },        /* 3.75 GB .. 4.25 GB: 256 MB above */
        { 0x100000000ull, 0x40000000, LOADER_MEMORY_RESERVED },     /* not RAM */
        { 0x140000000ull, 0x80000000, LOADER_MEMORY_AVAILABLE },    /* 5 GB .. 7 GB: 2048 MB */
    };
    EXPECT_EQ(MiRamAbove4Gb(Map, ARRAY_SIZE(Map)), (256 + 2048) * MB);
    EXPECT_EQ(MiRamAbove4Gb(Map, 1), 0);
}

/*
 * With /MAXMEM too small, the advice is the smallest /MAXMEM that gives
 * mm386 its 2048 pages: under -m 128, /MAXMEM=9 leaves 158 + 0x800 = 2206
 * pages, /MAXMEM=8 only 158 + 0x700 = 1950.
 */
KTEST(ram, minimum_maxmem_advice_is_exact)
{
    LOADER_MEMORY_DESCRIPTOR Map[6];
    PHYSICAL_MEMORY_DESCRIPTOR Full;

    MiComputePhysicalRuns(Map, QemuMap(Map, 128), 0, &Full);
    EXPECT_EQ(MiMinimumMaxMemMb(&Full), 9);
    EXPECT_GE(PagesOf(128, MiMaxMemPages(9)), MM_MINIMUM_PHYSICAL_PAGES);
    EXPECT_LT(PagesOf(128, MiMaxMemPages(8)), MM_MINIMUM_PHYSICAL_PAGES);
}

/*
 * With too little RAM, the advice is RAM a machine with the same holes
 * needs: -m 8 gives 158 + 0x6E0 = 1918 pages, short of 2048; -m 9 gives
 * 158 + 0x7E0 = 2174. So the message says 9, not the 8 MB of the minimum.
 */
KTEST(ram, minimum_ram_advice_names_the_qemu_size)
{
    LOADER_MEMORY_DESCRIPTOR Map[6];
    PHYSICAL_MEMORY_DESCRIPTOR Full;

    EXPECT_EQ(PagesOf(8, 0), 1918);
    EXPECT_EQ(PagesOf(9, 0), 2174);
    MiComputePhysicalRuns(Map, QemuMap(Map, 8), 0, &Full);
    EXPECT_EQ(MiMinimumMaxMemMb(&Full), 0);       /* no /MAXMEM is enough */
    EXPECT_EQ(MiMinimumRamMb(&Full), 9);
    MiComputePhysicalRuns(Map, QemuMap(Map, 5), 0, &Full);
    /* -m 5: 158 + 0x3E0 = 1150 pages; 898 more above the top at 0x4E0: 0x862 pages, 8.4 MB. */
    EXPECT_EQ(Full.NumberOfPages, 1150);
    EXPECT_EQ(MiMinimumRamMb(&Full), 9);
}
