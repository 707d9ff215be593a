/*
 * mm/mminit.c — MmInitSystem: the layout of the split, and the boot order.
 *
 * The split is chosen on the command line, NT's way: no switch gives 2 GB of
 * user space and 2 GB of system space; /3GB gives 3 GB and 1 GB; /3GB with
 * /USERVA=N gives N MB of user space (2048..3072, rounded down to a 4 MB
 * page-directory boundary; a value outside the range is reported and ignored,
 * and /USERVA without /3GB is ignored, as NT ignores both).
 *
 * Above 0xC0000000 the layout is the same in every split (see
 * docs/LAYOUT.md): page tables, hyperspace, the system working set list,
 * the system cache, the boot images, 160 MB of paged pool at 0xE1000000,
 * system PTEs from 0xEB000000, the PFN database, nonpaged pool up to
 * 0xFFBE0000, crash dump, HAL. Whatever the split gives below 0xC0000000
 * holds the system views and session space (when 64 MB fit) and the rest is
 * MiSystemCacheStartExtra..MiSystemCacheEndExtra: extra system PTEs, which
 * is what Windows Server 2003 uses /USERVA's leftover for. With /3GB there
 * is none, and views and session space move to the top of the system cache.
 *
 * Sizes that depend on RAM: the system PTE count, the PFN database (one
 * MMPFN per page up to the highest), the initial nonpaged pool (NT's 256 KB
 * plus 32 KB per MB above 4 MB) and the nonpaged pool maximum (the smallest
 * of 75% of RAM, the region, and NT 5.2's ceiling: 256 MB, 128 MB when system
 * space is smaller than 2 GB). All regions are fixed at boot, so nothing
 * moves when later subsystems fill them.
 */
#include <loader.h>
#include <ktest.h>
#include "mi.h"
#include "section.h"
#include "virtual.h"

#define MB                      0x100000u
#define MM_SYSTEM_VIEW_SIZE     (16 * MB)   /* NT's MM_SYSTEM_VIEW_SIZE on a workstation */
#define MM_SESSION_SPACE_SIZE   (48 * MB)
#define MM_LOW_SYSTEM_CARVE     (MM_SYSTEM_VIEW_SIZE + MM_SESSION_SPACE_SIZE)
#define MM_PAGED_POOL_SIZE      (160 * MB)
#define MM_MINIMUM_INITIAL_NONPAGED_POOL    (256 * 1024)
#define MM_NONPAGED_POOL_PER_MB             (32 * 1024)
#define MM_MAXIMUM_INITIAL_NONPAGED_POOL    (16 * MB)
/* NT 5.2 x86's ceilings on nonpaged pool ("Memory Limits for Windows Releases"): 256 MB, 128 MB with 4GT. */
#define MM_MAX_NONPAGED_POOL_SIZE           (256 * MB)
#define MM_MAX_NONPAGED_POOL_SIZE_3GB       (128 * MB)

ULONG MmPteGlobal;
PVOID MmSystemRangeStart = (PVOID)MM_SYSTEM_RANGE_START_2GB;
PVOID MmHighestUserAddress = (PVOID)(MM_SYSTEM_RANGE_START_2GB - MM_USER_PROBE_GAP - 1);
PVOID MmUserProbeAddress = (PVOID)(MM_SYSTEM_RANGE_START_2GB - MM_USER_PROBE_GAP);

PVOID MmSystemCacheWorkingSetList = (PVOID)MM_SYSTEM_CACHE_WORKING_SET;
PVOID MmSystemCacheStart, MmSystemCacheEnd;
PVOID MiSystemCacheStartExtra, MiSystemCacheEndExtra;
PVOID MiSystemViewStart;
ULONG MmSystemViewSize;
PVOID MmSessionBase;
ULONG MmSessionSize;
PVOID MmPagedPoolStart, MmPagedPoolEnd;
PVOID MmNonPagedSystemStart;
PVOID MmNonPagedPoolStart, MmNonPagedPoolExpansionStart, MmNonPagedPoolEnd;
ULONG MmSizeOfPagedPoolInBytes;
ULONG MmSizeOfNonPagedPoolInBytes;
ULONG MmMaximumNonPagedPoolInBytes;
ULONG MmNumberOfSystemPtes;
ULONG MmNumberOfExtraSystemPtes;

extern MMPTE KiBootPageDirectory[];
extern char __kernel_end[];

ULONG MiSystemRangeStartForOptions(const KE_BOOT_OPTIONS *Options, bool Report)
{
    if (!Options->ThreeGb) {
        if (Options->UserVaMb && Report)
            DbgPrint("mm: /USERVA=%u ignored: it only applies with /3GB\n", Options->UserVaMb);
        return MM_SYSTEM_RANGE_START_2GB;
    }
    if (!Options->UserVaMb)
        return MM_SYSTEM_RANGE_START_3GB;
    if (Options->UserVaMb < 2048 || Options->UserVaMb > 3072) {
        if (Report)
            DbgPrint("mm: /USERVA=%u ignored: the user space must be 2048..3072 MB\n", Options->UserVaMb);
        return MM_SYSTEM_RANGE_START_3GB;
    }
    return ROUND_DOWN(Options->UserVaMb * MB, 1u << PDE_SHIFT);
}

static ULONG MiInitialNonPagedPoolSize(ULONG RamMb)
{
    ULONG Size = MM_MINIMUM_INITIAL_NONPAGED_POOL;
    if (RamMb > 4)
        Size += (RamMb - 4) * MM_NONPAGED_POOL_PER_MB;
    Size = MIN(Size, RamMb * MB / 8);
    Size = MIN(Size, MM_MAXIMUM_INITIAL_NONPAGED_POOL);
    return ROUND_UP(Size, PAGE_SIZE);
}

/* Fills NT's layout variables for the split and the RAM found. */
static void MiComputeLayout(void)
{
    ULONG Start = MiSystemRangeStartForOptions(&KeBootOptions, true);
    ULONG RamPages = MmPhysicalMemoryBlock.NumberOfPages;
    ULONG RamMb = RamPages / (MB / PAGE_SIZE);

    MmSystemRangeStart = (PVOID)Start;
    MmUserProbeAddress = (PVOID)(Start - MM_USER_PROBE_GAP);
    MmHighestUserAddress = (PVOID)(Start - MM_USER_PROBE_GAP - 1);

    /* Below 0xC0000000: views and session space if they fit, then extra system PTEs. */
    ULONG Low = Start;
    ULONG CacheLimit = BOOT_IMAGE_BASE;
    if (PTE_BASE - Start >= MM_LOW_SYSTEM_CARVE) {
        MiSystemViewStart = (PVOID)Low;
        MmSessionBase = (PVOID)(Low + MM_SYSTEM_VIEW_SIZE);
        Low += MM_LOW_SYSTEM_CARVE;
    } else {
        CacheLimit = BOOT_IMAGE_BASE - MM_LOW_SYSTEM_CARVE;
        MiSystemViewStart = (PVOID)CacheLimit;
        MmSessionBase = (PVOID)(CacheLimit + MM_SYSTEM_VIEW_SIZE);
    }
    MmSystemViewSize = MM_SYSTEM_VIEW_SIZE;
    MmSessionSize = MM_SESSION_SPACE_SIZE;
    if (Low < PTE_BASE) {
        MiSystemCacheStartExtra = (PVOID)Low;
        MiSystemCacheEndExtra = (PVOID)PTE_BASE;
        MmNumberOfExtraSystemPtes = (PTE_BASE - Low) >> PAGE_SHIFT;
    } else {
        MiSystemCacheStartExtra = MiSystemCacheEndExtra = NULL;
        MmNumberOfExtraSystemPtes = 0;
    }

    MmSystemCacheStart = (PVOID)MM_SYSTEM_CACHE_START;
    MmSystemCacheEnd = (PVOID)(CacheLimit - 1);

    MmPagedPoolStart = (PVOID)BOOT_IMAGE_END;
    MmSizeOfPagedPoolInBytes = MM_PAGED_POOL_SIZE;
    MmPagedPoolEnd = (PVOID)(BOOT_IMAGE_END + MM_PAGED_POOL_SIZE - 1);

    /* Top of the address space: system PTEs, the PFN database, nonpaged pool. */
    MmNonPagedSystemStart = (PVOID)MM_LOWEST_NONPAGED_SYSTEM_START;
    MmNumberOfSystemPtes = RamMb < 64 ? 8192 : 16384;
    ULONG PfnStart = MM_LOWEST_NONPAGED_SYSTEM_START + MmNumberOfSystemPtes * PAGE_SIZE;
    MmPfnDatabase = (PMMPFN)PfnStart;
    ULONG PfnBytes = ROUND_UP((MmHighestPhysicalPage + 1) * sizeof(MMPFN), PAGE_SIZE);

    MmNonPagedPoolStart = (PVOID)(PfnStart + PfnBytes);
    MmNonPagedPoolEnd = (PVOID)MM_NONPAGED_POOL_END;
    ULONG Region = MM_NONPAGED_POOL_END - (ULONG)MmNonPagedPoolStart;
    uint64_t ThreeQuarters = (uint64_t)RamPages * PAGE_SIZE * 3 / 4;
    ULONG Ceiling = Start == MM_SYSTEM_RANGE_START_2GB ? MM_MAX_NONPAGED_POOL_SIZE : MM_MAX_NONPAGED_POOL_SIZE_3GB;
    MmMaximumNonPagedPoolInBytes = ROUND_DOWN((ULONG)MIN(MIN((uint64_t)Region, ThreeQuarters), Ceiling), PAGE_SIZE);
    MmSizeOfNonPagedPoolInBytes = MIN(MiInitialNonPagedPoolSize(RamMb), MmMaximumNonPagedPoolInBytes);
    MmNonPagedPoolExpansionStart = (PVOID)((ULONG)MmNonPagedPoolStart + MmSizeOfNonPagedPoolInBytes);
}

static ULONG AddRegion(MI_REGION *Regions, ULONG n, ULONG Max, const char *Variable,
                       const char *Description, ULONG Start, ULONG Size)
{
    if (Size == 0 || n >= Max)
        return n;
    Regions[n].Variable = Variable;
    Regions[n].Description = Description;
    Regions[n].Start = Start;
    Regions[n].Size = Size;
    return n + 1;
}

MI_REGION MiLayout[MI_MAX_REGIONS];
ULONG MiLayoutCount;

ULONG MiGetLayout(MI_REGION *r, ULONG Max)
{
    ULONG n = 0;
    ULONG Pfn = (ULONG)MmPfnDatabase;

    n = AddRegion(r, n, Max, "MmHighestUserAddress", "user space (up to this address)",
                  0, (ULONG)MmHighestUserAddress + 1);
    n = AddRegion(r, n, Max, "MmUserProbeAddress", "no-access gap below system space",
                  (ULONG)MmUserProbeAddress, MM_USER_PROBE_GAP);
    if ((ULONG)MiSystemViewStart < PTE_BASE) {
        n = AddRegion(r, n, Max, "MiSystemViewStart", "system mapped views",
                      (ULONG)MiSystemViewStart, MmSystemViewSize);
        n = AddRegion(r, n, Max, "MmSessionBase", "session space", (ULONG)MmSessionBase, MmSessionSize);
    }
    n = AddRegion(r, n, Max, "MiSystemCacheStartExtra", "system PTEs (extension)",
                  (ULONG)MiSystemCacheStartExtra,
                  (ULONG)MiSystemCacheEndExtra - (ULONG)MiSystemCacheStartExtra);
    n = AddRegion(r, n, Max, "PTE_BASE", "page tables (self-map; PDEs at 0xC0300000)", PTE_BASE, 4 * MB);
    n = AddRegion(r, n, Max, "HYPER_SPACE", "hyperspace", HYPER_SPACE, 4 * MB);
    n = AddRegion(r, n, Max, "MmSystemCacheWorkingSetList", "system working set list",
                  (ULONG)MmSystemCacheWorkingSetList, 4 * MB);
    n = AddRegion(r, n, Max, "MmSystemCacheStart", "system cache",
                  (ULONG)MmSystemCacheStart, (ULONG)MmSystemCacheEnd + 1 - (ULONG)MmSystemCacheStart);
    if ((ULONG)MiSystemViewStart >= PTE_BASE) {
        n = AddRegion(r, n, Max, "MiSystemViewStart", "system mapped views",
                      (ULONG)MiSystemViewStart, MmSystemViewSize);
        n = AddRegion(r, n, Max, "MmSessionBase", "session space", (ULONG)MmSessionBase, MmSessionSize);
    }
    n = AddRegion(r, n, Max, "BOOT_IMAGE_BASE", "boot images (kernel, boot modules)",
                  BOOT_IMAGE_BASE, BOOT_IMAGE_END - BOOT_IMAGE_BASE);
    n = AddRegion(r, n, Max, "MmPagedPoolStart", "paged pool",
                  (ULONG)MmPagedPoolStart, MmSizeOfPagedPoolInBytes);
    n = AddRegion(r, n, Max, "MmNonPagedSystemStart", "system PTEs",
                  (ULONG)MmNonPagedSystemStart, MmNumberOfSystemPtes * PAGE_SIZE);
    n = AddRegion(r, n, Max, "MmPfnDatabase", "PFN database", Pfn, (ULONG)MmNonPagedPoolStart - Pfn);
    n = AddRegion(r, n, Max, "MmNonPagedPoolStart", "nonpaged pool (initial)",
                  (ULONG)MmNonPagedPoolStart, MmSizeOfNonPagedPoolInBytes);
    n = AddRegion(r, n, Max, "MmNonPagedPoolExpansionStart", "nonpaged pool (expansion)",
                  (ULONG)MmNonPagedPoolExpansionStart,
                  (ULONG)MmNonPagedPoolEnd - (ULONG)MmNonPagedPoolExpansionStart);
    n = AddRegion(r, n, Max, "MmNonPagedPoolEnd", "crash dump", MM_CRASH_DUMP_BASE,
                  MM_CRASH_DUMP_END + 1 - MM_CRASH_DUMP_BASE);
    n = AddRegion(r, n, Max, "MM_HAL_VA_START", "HAL", MM_HAL_VA_START,
                  MM_HAL_VA_END - MM_HAL_VA_START + 1);
    return n;
}

void MiFormatSize(char *Buffer, size_t Length, ULONG Bytes)
{
    if (Bytes % MB == 0)
        snprintf(Buffer, Length, "%u MB", Bytes / MB);
    else if (Bytes >= MB)
        snprintf(Buffer, Length, "%u.%u MB", Bytes / MB, (Bytes % MB) * 10 / MB);
    else
        snprintf(Buffer, Length, "%u KB", Bytes / 1024);
}

void MiPrintLayout(void)
{
    MI_REGION Regions[MI_MAX_REGIONS];
    ULONG n = MiGetLayout(Regions, ARRAY_SIZE(Regions));
    ULONG UserMb = (ULONG)MmSystemRangeStart / MB;
    char Size[16];

    DbgPrint("Virtual address space: %u MB user / %u MB system (%s)\n", UserMb, 4096 - UserMb,
             !KeBootOptions.ThreeGb ? "default 2 GB split" :
             (ULONG)MmSystemRangeStart == MM_SYSTEM_RANGE_START_3GB ? "/3GB" : "/3GB /USERVA");
    DbgPrint("  %-8s  %-8s  %9s  %-29s %s\n", "start", "end", "size", "variable", "what lives there");
    for (ULONG i = 0; i < n; i++) {
        MiFormatSize(Size, sizeof(Size), Regions[i].Size);
        DbgPrint("  %08x  %08x  %9s  %-29s %s\n", Regions[i].Start,
                 Regions[i].Start + Regions[i].Size - 1, Size, Regions[i].Variable,
                 Regions[i].Description);
    }
    DbgPrint("  MmSystemRangeStart=%08x MmUserProbeAddress=%08x MmSystemCacheEnd=%08x MmPagedPoolEnd=%08x\n",
             (ULONG)MmSystemRangeStart, (ULONG)MmUserProbeAddress, (ULONG)MmSystemCacheEnd,
             (ULONG)MmPagedPoolEnd);
    DbgPrint("  MiSystemCacheStartExtra=%08x MiSystemCacheEndExtra=%08x MmNonPagedPoolEnd=%08x\n",
             (ULONG)MiSystemCacheStartExtra, (ULONG)MiSystemCacheEndExtra, (ULONG)MmNonPagedPoolEnd);
    DbgPrint("  system PTEs: %u + %u extra; paged pool: %u MB; nonpaged pool: %u KB initial, %u KB maximum\n",
             MmNumberOfSystemPtes, MmNumberOfExtraSystemPtes, MmSizeOfPagedPoolInBytes / MB,
             MmSizeOfNonPagedPoolInBytes / 1024, MmMaximumNonPagedPoolInBytes / 1024);
}

/* Maps each boot module into the boot-image block after the kernel image. */
static void MiMapBootModules(void)
{
    ULONG Va = ROUND_UP((ULONG)__kernel_end, PAGE_SIZE);

    for (ULONG i = 0; i < KeLoaderBlock.ModuleCount; i++) {
        LOADER_MODULE *m = &KeLoaderBlock.Modules[i];
        ULONG First = ROUND_DOWN(m->PhysicalStart, PAGE_SIZE);
        ULONG Pages = (ROUND_UP(m->PhysicalEnd, PAGE_SIZE) - First) >> PAGE_SHIFT;
        if (m->PhysicalEnd < m->PhysicalStart || Va + Pages * PAGE_SIZE > BOOT_IMAGE_END) {
            DbgPrint("mm: boot module %u (%s) does not fit in the boot-image block; not mapped\n", i, m->Name);
            continue;
        }
        m->VirtualBase = (PVOID)(Va + (m->PhysicalStart - First));
        for (ULONG p = 0; p < Pages; p++, Va += PAGE_SIZE)
            MiWritePte(MiAddressToPte(Va), MiMakeValidPte((First >> PAGE_SHIFT) + p, MI_PTE_KERNEL_READONLY));
    }
}

/*
 * Kernel translations become global when the CPU allows it (hal/tb.c): from
 * here on every kernel PTE made carries MmPteGlobal, and the kernel image's
 * PTEs, which boot.asm made before the CPU was asked, get the bit now. The
 * only other mappings at this point are the self-map (never global) and the
 * HAL's early VGA page, which is dropped with an invlpg once the console
 * moves.
 */
static void MiInitializeGlobalPages(void)
{
    HalInitializeGlobalPages();
    if (!HalGlobalPagesEnabled)
        return;
    MmPteGlobal = PTE_GLOBAL;
    for (ULONG Va = BOOT_IMAGE_BASE; Va < BOOT_IMAGE_END; Va += PAGE_SIZE) {
        PMMPTE Pte = MiAddressToPte(Va);
        MMPTE Value = MiReadPte(Pte);
        if (Value.u.Hard.Valid) {
            Value.u.Long |= PTE_GLOBAL;
            MiWritePte(Pte, Value);
        }
    }
}

/* The system address space: the boot page directory, and a hyperspace page for it. */
static void MiInitializeSystemAddressSpace(void)
{
    MmSystemPageDirectoryPfn = ((ULONG)KiBootPageDirectory - KERNEL_VA_OFFSET) >> PAGE_SHIFT;
    MmSystemAddressSpace.PageDirectoryPfn = MmSystemPageDirectoryPfn;
    MmSystemAddressSpace.HyperSpacePfn = MxGetNextPage();
    MiWritePte(MiAddressToPde(HYPER_SPACE), MiMakeValidPte(MmSystemAddressSpace.HyperSpacePfn, MI_PDE_KERNEL));
    MiInitializeHyperSpacePage(MiAddressToPte(HYPER_SPACE));
    KeFlushProcessTb();
}

static long long ReadAvailablePages(void)
{
    /* System page tables are made on demand and never freed (NT's rule too): not a leak. */
    return (long long)MmAvailablePages + MmSystemPageTablePages;
}

static long long ReadCommit(void)
{
    return MmTotalCommittedPages;
}

static const KTEST_GUARD MiPagesGuard = {
    .Name = "available pages (+ system page tables made)", .Read = ReadAvailablePages,
};
static const KTEST_GUARD MiCommitGuard = { .Name = "committed pages", .Read = ReadCommit };

void MmInitSystem(ULONG Phase)
{
    if (Phase == 0) {
        MiInitializeZeroPageThread();
        MiBuildPhysicalMemoryBlock();
        MiComputeLayout();
        MiLayoutCount = MiGetLayout(MiLayout, ARRAY_SIZE(MiLayout));
        MiPrintLayout();
        MiInitializeGlobalPages();
        MiInitializeSystemAddressSpace();
        MiMapBootModules();
        MiInitializeSystemPtes();
        MiMapInitialNonPagedPool();
        MiInitializePfnDatabase();
        MiInitializeCommitment();
        MiInitializePool();
        DbgPrint("mm: %u pages of RAM in %u runs (highest page %05x), %u available\n",
                 MmPhysicalMemoryBlock.NumberOfPages, MmPhysicalMemoryBlock.NumberOfRuns,
                 MmHighestPhysicalPage, MmAvailablePages);
        return;
    }
    if (Phase == 2) {
        MiStartZeroPageThread();
        MiInitializeSections();
        return;
    }
    MiInitializeSharedUserData();
    KtestRegisterGuard(&MiPagesGuard);
    KtestRegisterGuard(&MiCommitGuard);
    MiInitializeDebugPte();
    MiRegisterSystemPteGuard();
    MiRegisterPoolPagesGuard();
    MiInitializePoolPhase1();
}
