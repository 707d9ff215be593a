/*
 * tests/mm/iospace.c — MmMapIoSpace and MmUnmapIoSpace (mm/iosup.c), and
 * the VGA console that uses them.
 */
#include <drivers.h>
#include <hal.h>
#include <ktest.h>
#include <rtl.h>
#include "mm/mi.h"

/* True if the text cells of the VGA buffer at Screen hold Text somewhere. */
static bool ScreenShows(const volatile uint16_t *Screen, const char *Text)
{
    size_t Length = strlen(Text);
    for (ULONG Cell = 0; Cell + Length <= VGA_COLUMNS * VGA_ROWS; Cell++) {
        size_t i = 0;
        while (i < Length && (char)(Screen[Cell + i] & 0xFF) == Text[i])
            i++;
        if (i == Length)
            return true;
    }
    return false;
}

/* A fresh mapping of the VGA frame buffer shows what the console just printed; else MmMapIoSpace maps the wrong frames. */
KTEST(iospace, vga_buffer_shows_console_output)
{
    char Marker[32];
    snprintf(Marker, sizeof(Marker), "iospace marker %08x", (ULONG)HalReadTsc());
    DbgPrint("%s\n", Marker);

    volatile uint16_t *Screen = MmMapIoSpace(VGA_TEXT_PHYS, VGA_BUFFER_SIZE, MmNonCached);
    ASSERT_NOT_NULL(Screen);
    EXPECT_NE((PVOID)Screen, VgaGetBuffer());
    EXPECT_TRUE(ScreenShows(Screen, Marker));
    EXPECT_FALSE(ScreenShows(Screen, "iospace marker that was never printed"));
    MmUnmapIoSpace((PVOID)Screen, VGA_BUFFER_SIZE);
}

/* The console writes through an I/O-space mapping and the HAL's early one is gone; else two mappings of the screen would linger. */
KTEST(iospace, console_moved_to_io_space)
{
    PMMPTE Start;
    PVOID Console = VgaGetBuffer();
    EXPECT_NE(MiQuerySystemPteAllocation(MiAddressToPte(Console), &Start), 0);
    EXPECT_EQ(MmGetPhysicalAddress(Console), VGA_TEXT_PHYS);
    EXPECT_FALSE(MmIsAddressValid((PVOID)HAL_EARLY_VGA_VA));
}

/* Each caching type sets the documented PCD/PWT bits and the byte offset survives; else device memory is cached wrongly. */
KTEST(iospace, caching_types_set_pte_bits)
{
    static const struct {
        MEMORY_CACHING_TYPE Type;
        ULONG Bits;
    } Cases[] = {
        { MmCached, 0 },
        { MmHardwareCoherentCached, 0 },
        { MmNonCached, PTE_CACHE_DISABLE | PTE_WRITE_THROUGH },
        { MmNonCachedUnordered, PTE_CACHE_DISABLE | PTE_WRITE_THROUGH },
        { MmWriteCombined, PTE_CACHE_DISABLE },
        { MmUSWCCached, PTE_CACHE_DISABLE },
    };
    for (ULONG i = 0; i < ARRAY_SIZE(Cases); i++) {
        char *Va = MmMapIoSpace(VGA_TEXT_PHYS + 0x123, 2 * PAGE_SIZE, Cases[i].Type);
        ASSERT_NOT_NULL(Va);
        EXPECT_EQ(BYTE_OFFSET(Va), 0x123);
        for (ULONG Page = 0; Page < 3; Page++) {
            MMPTE Pte = MiReadPte(MiAddressToPte(Va + Page * PAGE_SIZE));
            EXPECT_TRUE(Pte.u.Hard.Valid);
            EXPECT_EQ(Pte.u.Long & (PTE_CACHE_DISABLE | PTE_WRITE_THROUGH), Cases[i].Bits);
            EXPECT_EQ((ULONG)Pte.u.Hard.PageFrameNumber, (VGA_TEXT_PHYS >> PAGE_SHIFT) + Page);
        }
        MmUnmapIoSpace(Va, 2 * PAGE_SIZE);
    }
}

/* Sizes, types and addresses that cannot be mapped get NULL; else bad input maps something. */
KTEST(iospace, refuses_bad_requests)
{
    EXPECT_NULL(MmMapIoSpace(VGA_TEXT_PHYS, 0, MmNonCached));
    EXPECT_NULL(MmMapIoSpace(VGA_TEXT_PHYS, PAGE_SIZE, MmMaximumCacheType));
    EXPECT_NULL(MmMapIoSpace(0x100000000ull, PAGE_SIZE, MmNonCached));
    EXPECT_NULL(MmMapIoSpace(0xFFFFF000ull, 2 * PAGE_SIZE, MmNonCached));
}

/* Unmapping I/O space twice is SYSTEM_PTE_MISUSE 0x400; else a stray unmap would free someone else's PTEs. */
KTEST_DEATH_P1(iospace, unmap_twice, SYSTEM_PTE_MISUSE, PTE_UNMAP_IO_SPACE_UNKNOWN)
{
    PVOID Va = MmMapIoSpace(VGA_TEXT_PHYS, PAGE_SIZE, MmNonCached);
    MmUnmapIoSpace(Va, PAGE_SIZE);
    MmUnmapIoSpace(Va, PAGE_SIZE);
}

/* One page of device memory mapped and unmapped. */
KBENCH(map_io_space_1page)
{
    const ULONG Count = 20000;
    MmUnmapIoSpace(MmMapIoSpace(VGA_TEXT_PHYS, PAGE_SIZE, MmNonCached), PAGE_SIZE);
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++)
        MmUnmapIoSpace(MmMapIoSpace(VGA_TEXT_PHYS, PAGE_SIZE, MmNonCached), PAGE_SIZE);
    KbenchStop(b);
    KbenchReport(b, "map_io_space_1page", Count);
}
