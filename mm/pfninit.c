/*
 * mm/pfninit.c — building the PFN database at boot.
 *
 * NT learns physical memory from the loader's memory descriptors and keeps it
 * as runs of pages (MmPhysicalMemoryBlock). mm386 reads the multiboot map
 * the same way: "available" ranges are shrunk inward to whole pages, merged
 * where they overlap or touch, and then every page that any other range
 * (reserved, ACPI, bad) even partly covers is cut out, as is page 0 (the
 * real-mode interrupt table and BIOS data), everything above 4 GB (mm386 is
 * not PAE yet) and everything at or above /MAXMEM.
 *
 * Before the PFN database exists, pages for boot-time structures come from
 * one free run, bottom up (MxGetNextPage, as in NT): the largest stretch of
 * RAM above the kernel image and the boot modules. The database itself is a
 * virtual array at MmPfnDatabase with one MMPFN per page up to the highest
 * page; only the parts that describe real pages are backed by memory, so a
 * machine with a hole of 1 GB does not spend 6 MB describing it.
 *
 * Filling it: every page of a run starts on the free list — the pages above
 * 16 MB in ascending order, then those below (the memory ISA-era devices can
 * reach goes out last) — except pages already in use — the kernel image, boot modules and
 * everything MxGetNextPage handed out — which become ActiveAndValid, held
 * by one reference (their PTEs', or the loader's for a page nothing maps).
 * A walk of the system page tables then records, for every page mapped in
 * system space, the PTE that maps it (PteAddress) and the page table
 * holding that PTE (PteFrame), and counts the shares as MiInitializePfn
 * would have: one for a page's own PTE, one on its page table (so a page
 * table's share count is one for its PDE plus one per page it maps).
 * Phase 0 runs on one processor with interrupts off: no lock is taken.
 */
#include <loader.h>
#include "mi.h"

PHYSICAL_MEMORY_DESCRIPTOR MmPhysicalMemoryBlock;
PFN_NUMBER MmLowestPhysicalPage, MmHighestPhysicalPage;

/* The run MxGetNextPage allocates from: [MxFreeBase, MxFreeBase + MxFreeCount). */
static PFN_NUMBER MxFreeBase, MxFreeCount, MxFirstBootPage;
/* The page after the kernel image's and every boot module's last byte: no loader page lies at or above it. */
static PFN_NUMBER MxLoaderHighWater;
bool MmPfnDatabaseReady;

#define PFN_LIMIT_4GB   0x100000
#define MB              0x100000u
#define MI_LOW_MEMORY_PAGES (0x1000000 >> PAGE_SHIFT)   /* 16 MB */

typedef struct {
    PFN_NUMBER Start, End;      /* [Start, End) */
} PAGE_RANGE;

static void SortRanges(PAGE_RANGE *r, ULONG n)
{
    for (ULONG i = 1; i < n; i++) {
        PAGE_RANGE x = r[i];
        ULONG j = i;
        while (j > 0 && r[j - 1].Start > x.Start) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = x;
    }
}

/* Removes [Start, End) from the sorted, disjoint ranges r[0..*n). */
static void SubtractRange(PAGE_RANGE *r, ULONG *n, ULONG Max, PFN_NUMBER Start, PFN_NUMBER End)
{
    for (ULONG i = 0; i < *n; i++) {
        if (End <= r[i].Start || Start >= r[i].End)
            continue;
        if (Start > r[i].Start && End < r[i].End && *n < Max) {
            /* Splits the range in two. */
            memmove(&r[i + 2], &r[i + 1], (*n - i - 1) * sizeof(*r));
            r[i + 1].Start = End;
            r[i + 1].End = r[i].End;
            r[i].End = Start;
            (*n)++;
            i++;
            continue;
        }
        if (Start <= r[i].Start)
            r[i].Start = MIN(End, r[i].End);
        else
            r[i].End = Start;
    }
    ULONG k = 0;
    for (ULONG i = 0; i < *n; i++) {
        if (r[i].Start < r[i].End)
            r[k++] = r[i];
    }
    *n = k;
}

/*
 * Turns a loader memory map into runs of usable pages. Pure: the tests feed
 * it odd maps. MaxMemPages of 0 means no limit.
 */
void MiComputePhysicalRuns(const LOADER_MEMORY_DESCRIPTOR *Map, ULONG Count,
                           PFN_NUMBER MaxMemPages, PHYSICAL_MEMORY_DESCRIPTOR *Block)
{
    PAGE_RANGE r[MI_MAX_PHYSICAL_RUNS * 2];
    ULONG n = 0;

    for (ULONG i = 0; i < Count && n < ARRAY_SIZE(r); i++) {
        if (Map[i].Type != LOADER_MEMORY_AVAILABLE || Map[i].Length == 0)
            continue;
        uint64_t First = (Map[i].Base + PAGE_SIZE - 1) >> PAGE_SHIFT;
        uint64_t Last = (Map[i].Base + Map[i].Length) >> PAGE_SHIFT;
        if (Last > PFN_LIMIT_4GB)
            Last = PFN_LIMIT_4GB;
        if (First < Last)
            r[n++] = (PAGE_RANGE){ (PFN_NUMBER)First, (PFN_NUMBER)Last };
    }
    SortRanges(r, n);
    ULONG k = 0;
    for (ULONG i = 0; i < n; i++) {
        if (k && r[i].Start <= r[k - 1].End)
            r[k - 1].End = MAX(r[k - 1].End, r[i].End);
        else
            r[k++] = r[i];
    }
    n = k;

    for (ULONG i = 0; i < Count; i++) {
        if (Map[i].Type == LOADER_MEMORY_AVAILABLE || Map[i].Length == 0)
            continue;
        uint64_t First = Map[i].Base >> PAGE_SHIFT;
        uint64_t Last = (Map[i].Base + Map[i].Length + PAGE_SIZE - 1) >> PAGE_SHIFT;
        if (First >= PFN_LIMIT_4GB)
            continue;
        SubtractRange(r, &n, ARRAY_SIZE(r), (PFN_NUMBER)First, (PFN_NUMBER)MIN(Last, (uint64_t)PFN_LIMIT_4GB));
    }
    SubtractRange(r, &n, ARRAY_SIZE(r), 0, 1);
    if (MaxMemPages)
        SubtractRange(r, &n, ARRAY_SIZE(r), MaxMemPages, PFN_LIMIT_4GB);

    memset(Block, 0, sizeof(*Block));
    for (ULONG i = 0; i < n && Block->NumberOfRuns < MI_MAX_PHYSICAL_RUNS; i++) {
        Block->Run[Block->NumberOfRuns].BasePage = r[i].Start;
        Block->Run[Block->NumberOfRuns].PageCount = r[i].End - r[i].Start;
        Block->NumberOfRuns++;
        Block->NumberOfPages += r[i].End - r[i].Start;
    }
}

static PFN_NUMBER LoaderHighWaterPage(void)
{
    PFN_NUMBER High = ROUND_UP(KeLoaderBlock.KernelPhysicalEnd, PAGE_SIZE) >> PAGE_SHIFT;
    for (ULONG i = 0; i < KeLoaderBlock.ModuleCount; i++) {
        PFN_NUMBER End = ROUND_UP(KeLoaderBlock.Modules[i].PhysicalEnd, PAGE_SIZE) >> PAGE_SHIFT;
        High = MAX(High, End);
    }
    return High;
}

PFN_NUMBER MiMaxMemPages(ULONG MaxMemMb)
{
    uint64_t Pages = (uint64_t)MaxMemMb << (20 - PAGE_SHIFT);
    return Pages >= PFN_LIMIT_4GB ? 0 : (PFN_NUMBER)Pages;
}

uint64_t MiRamAbove4Gb(const LOADER_MEMORY_DESCRIPTOR *Map, ULONG Count)
{
    const uint64_t Limit = (uint64_t)PFN_LIMIT_4GB << PAGE_SHIFT;
    uint64_t Bytes = 0;
    for (ULONG i = 0; i < Count; i++) {
        uint64_t End = Map[i].Base + Map[i].Length;
        if (Map[i].Type == LOADER_MEMORY_AVAILABLE && End > Limit)
            Bytes += End - MAX(Map[i].Base, Limit);
    }
    return Bytes;
}

/* The page at which the runs of Block reach their Count-th page (counting from 1), or 0 if they have fewer. */
static PFN_NUMBER MiNthPage(const PHYSICAL_MEMORY_DESCRIPTOR *Block, PFN_NUMBER Count)
{
    for (ULONG i = 0; i < Block->NumberOfRuns; i++) {
        if (Count <= Block->Run[i].PageCount)
            return Block->Run[i].BasePage + Count - 1;
        Count -= Block->Run[i].PageCount;
    }
    return 0;
}

/* Pages as whole MB, rounded up. */
static ULONG MiPagesToMb(uint64_t Pages)
{
    return (ULONG)(ROUND_UP(Pages << PAGE_SHIFT, MB) / MB);
}

/* One past the last page of Block's runs: the top of the RAM it describes. */
static PFN_NUMBER MiTopPage(const PHYSICAL_MEMORY_DESCRIPTOR *Block)
{
    if (Block->NumberOfRuns == 0)
        return 0;
    return Block->Run[Block->NumberOfRuns - 1].BasePage + Block->Run[Block->NumberOfRuns - 1].PageCount;
}

ULONG MiMinimumMaxMemMb(const PHYSICAL_MEMORY_DESCRIPTOR *Full)
{
    PFN_NUMBER Last = MiNthPage(Full, MM_MINIMUM_PHYSICAL_PAGES);
    return Last ? MiPagesToMb((uint64_t)Last + 1) : 0;
}

ULONG MiMinimumRamMb(const PHYSICAL_MEMORY_DESCRIPTOR *Full)
{
    PFN_NUMBER Missing = 0;
    if (Full->NumberOfPages < MM_MINIMUM_PHYSICAL_PAGES)
        Missing = MM_MINIMUM_PHYSICAL_PAGES - Full->NumberOfPages;
    return MiPagesToMb((uint64_t)MiTopPage(Full) + Missing);
}

/*
 * Less usable RAM than mm386 needs. The advice names the knob that would
 * help: /MAXMEM if it cut away what was needed (the exact smallest value,
 * read off the runs without it), else the machine's RAM. A memory map
 * holds back some of the machine's RAM (the 640 KB..1 MB hole, firmware
 * tables at the top), so the RAM to give is the top of RAM plus the pages
 * missing, in whole MB: what `qemu -m` takes.
 */
static NORETURN void MiStopForTooLittleMemory(const PHYSICAL_MEMORY_DESCRIPTOR *Block,
                                              const PHYSICAL_MEMORY_DESCRIPTOR *Full)
{
    DbgPrint("mm: %u pages (%u KB) of usable RAM%s; mm386 needs at least %u pages (%u MB) usable\n",
             Block->NumberOfPages, Block->NumberOfPages * (PAGE_SIZE / 1024),
             KeBootOptions.MaxMemMb ? " below /MAXMEM" : "", MM_MINIMUM_PHYSICAL_PAGES,
             MM_MINIMUM_PHYSICAL_PAGES / (MB / PAGE_SIZE));
    ULONG MaxMemMb = MiMinimumMaxMemMb(Full);
    if (MaxMemMb)
        DbgPrint("mm: the RAM is there: boot with /MAXMEM=%u or more, or without /MAXMEM\n", MaxMemMb);
    else
        DbgPrint("mm: part of a machine's RAM is never usable (the hole below 1 MB, firmware tables): "
                 "give it at least %u MB (qemu -m %u)\n", MiMinimumRamMb(Full), MiMinimumRamMb(Full));
    KeBugCheckEx(INSTALL_MORE_MEMORY, Block->NumberOfPages, MmLowestPhysicalPage,
                 MmHighestPhysicalPage, MM_MINIMUM_PHYSICAL_PAGES);
}

void MiBuildPhysicalMemoryBlock(void)
{
    PHYSICAL_MEMORY_DESCRIPTOR *Block = &MmPhysicalMemoryBlock;
    PHYSICAL_MEMORY_DESCRIPTOR Full;
    PFN_NUMBER Limit = MiMaxMemPages(KeBootOptions.MaxMemMb);
    uint64_t Above4Gb = MiRamAbove4Gb(KeLoaderBlock.MemoryDescriptors, KeLoaderBlock.MemoryDescriptorCount);

    MiComputePhysicalRuns(KeLoaderBlock.MemoryDescriptors, KeLoaderBlock.MemoryDescriptorCount, 0, &Full);
    MiComputePhysicalRuns(KeLoaderBlock.MemoryDescriptors, KeLoaderBlock.MemoryDescriptorCount, Limit, Block);
    if (Above4Gb)
        DbgPrint("mm: %llu MB of RAM above 4 GB not used: mm386 has no PAE yet, so it reaches physical "
                 "addresses below 4 GB only\n", Above4Gb / MB);
    if (KeBootOptions.MaxMemMb && Block->NumberOfPages == Full.NumberOfPages)
        DbgPrint("mm: /MAXMEM=%u is at or above the top of usable RAM (%u MB): it limits nothing\n",
                 KeBootOptions.MaxMemMb, MiPagesToMb(MiTopPage(&Full)));
    if (Block->NumberOfRuns) {
        MmLowestPhysicalPage = Block->Run[0].BasePage;
        MmHighestPhysicalPage = Block->Run[Block->NumberOfRuns - 1].BasePage +
                                Block->Run[Block->NumberOfRuns - 1].PageCount - 1;
    }
    if (Block->NumberOfPages < MM_MINIMUM_PHYSICAL_PAGES)
        MiStopForTooLittleMemory(Block, &Full);

    /* The boot allocator's run: the largest stretch above the loader's last byte. */
    PFN_NUMBER HighWater = LoaderHighWaterPage();
    MxLoaderHighWater = HighWater;
    for (ULONG i = 0; i < Block->NumberOfRuns; i++) {
        PFN_NUMBER Base = MAX(Block->Run[i].BasePage, HighWater);
        PFN_NUMBER End = Block->Run[i].BasePage + Block->Run[i].PageCount;
        if (End > Base && End - Base > MxFreeCount) {
            MxFreeBase = Base;
            MxFreeCount = End - Base;
        }
    }
    MxFirstBootPage = MxFreeBase;
}

PFN_NUMBER MxGetNextPage(void)
{
    ASSERT(!MmPfnDatabaseReady);
    if (MxFreeCount == 0)
        KeBugCheckEx(INSTALL_MORE_MEMORY, MmPhysicalMemoryBlock.NumberOfPages,
                     MmLowestPhysicalPage, MmHighestPhysicalPage, 0x100);
    MxFreeCount--;
    return MxFreeBase++;
}

/* The runs from the last: it is the largest, where most pages are. */
bool MiIsPhysicalPage(PFN_NUMBER Pfn)
{
    const PHYSICAL_MEMORY_DESCRIPTOR *Block = &MmPhysicalMemoryBlock;
    for (ULONG i = Block->NumberOfRuns; i-- > 0;) {
        if (Pfn >= Block->Run[i].BasePage && Pfn - Block->Run[i].BasePage < Block->Run[i].PageCount)
            return true;
    }
    return false;
}

/* Backs the part of the database that describes [Base, Base + Count). */
static void MapDatabaseRange(PFN_NUMBER Base, PFN_NUMBER Count)
{
    ULONG First = ROUND_DOWN((ULONG)&MmPfnDatabase[Base], PAGE_SIZE);
    ULONG Last = (ULONG)&MmPfnDatabase[Base + Count] - 1;

    for (ULONG Va = First; Va <= Last; Va += PAGE_SIZE) {
        if (MmIsAddressValid((PVOID)Va))
            continue;                   /* shared with the previous run */
        if (!MiMapSystemPage((PVOID)Va, MxGetNextPage(), MI_PTE_KERNEL_READWRITE))
            KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_NO_PAGE_TABLE, Va, 0, 0);
        memset((PVOID)Va, 0, PAGE_SIZE);
    }
}

/* True if the kernel image or a boot module covers any of Pfn's page. */
static bool InLoaderImage(PFN_NUMBER Pfn)
{
    ULONG Address = Pfn << PAGE_SHIFT;
    if (Pfn >= MxLoaderHighWater)
        return false;                   /* most of RAM: no module list walked for it */
    if (Address >= ROUND_DOWN(KeLoaderBlock.KernelPhysicalStart, PAGE_SIZE) &&
        Address < KeLoaderBlock.KernelPhysicalEnd)
        return true;
    for (ULONG i = 0; i < KeLoaderBlock.ModuleCount; i++) {
        const LOADER_MODULE *m = &KeLoaderBlock.Modules[i];
        if (Address >= ROUND_DOWN(m->PhysicalStart, PAGE_SIZE) && Address < m->PhysicalEnd)
            return true;
    }
    return false;
}

/* A page the loader or the boot allocator gave out: in use, cached, held once (by boot). */
static void MarkActive(PFN_NUMBER Pfn)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    Pfn1->u3.Long = MI_PFN_U3(ActiveAndValid, 1);
    Pfn1->u3.e2.e1.CacheAttribute = MiCached;
    Pfn1->u2.ShareCount = 0;
}

/*
 * Records the PTE and page table of every page mapped in system space, and
 * counts the shares as MiInitializePfn would have: one for a page's own PTE,
 * one on its page table. Page tables first, described by their PDEs (the
 * boot page tables live in the kernel image, so they are also mapped as
 * image pages: the PDE is the mapping that counts), held by the system page
 * directory. Then the pages they map, each recorded once; hyperspace's
 * slots are per-use mappings and are not recorded.
 */
static void RecordSystemMappings(void)
{
    ULONG FirstPde = MiGetPdeIndex(MmSystemRangeStart);
    PMMPFN Directory = MI_PFN_ELEMENT(MmSystemPageDirectoryPfn);

    for (ULONG PdeIndex = FirstPde; PdeIndex < PTE_PER_PAGE; PdeIndex++) {
        PMMPTE Pde = (PMMPTE)PDE_BASE + PdeIndex;
        MMPTE PdeValue = MiReadPte(Pde);
        if (!PdeValue.u.Hard.Valid || PdeValue.u.Hard.LargePage || PdeIndex == SELF_MAP_PDE ||
            !MiIsPhysicalPage(PdeValue.u.Hard.PageFrameNumber))
            continue;
        PMMPFN Table = MI_PFN_ELEMENT(PdeValue.u.Hard.PageFrameNumber);
        Table->PteAddress = Pde;
        Table->u4.PteFrame = MmSystemPageDirectoryPfn;
        Table->u2.ShareCount++;
        Directory->u2.ShareCount++;
    }

    for (ULONG PdeIndex = FirstPde; PdeIndex < PTE_PER_PAGE; PdeIndex++) {
        PMMPTE Pde = (PMMPTE)PDE_BASE + PdeIndex;
        MMPTE PdeValue = MiReadPte(Pde);
        if (!PdeValue.u.Hard.Valid || PdeValue.u.Hard.LargePage || PdeIndex == SELF_MAP_PDE ||
            PdeIndex == HYPER_SPACE_PDE || !MiIsPhysicalPage(PdeValue.u.Hard.PageFrameNumber))
            continue;
        PFN_NUMBER TablePfn = PdeValue.u.Hard.PageFrameNumber;
        PMMPTE Pte = MiPdeToPte(Pde);
        for (ULONG i = 0; i < PTE_PER_PAGE; i++, Pte++) {
            MMPTE Value = MiReadPte(Pte);
            if (!Value.u.Hard.Valid || !MiIsPhysicalPage(Value.u.Hard.PageFrameNumber))
                continue;
            PMMPFN Pfn1 = MI_PFN_ELEMENT(Value.u.Hard.PageFrameNumber);
            if (Pfn1->PteAddress != NULL)
                continue;       /* a page table, or a page mapped twice: its first mapping counts */
            Pfn1->PteAddress = Pte;
            Pfn1->u4.PteFrame = TablePfn;
            Pfn1->u2.ShareCount++;
            MI_PFN_ELEMENT(TablePfn)->u2.ShareCount++;
        }
    }
}

/*
 * Builds the database at MmPfnDatabase and puts every free page on the free
 * list. Phase 0, after the layout, the system address space's hyperspace and
 * the boot modules' mappings exist.
 */
void MiInitializePfnDatabase(void)
{
    const PHYSICAL_MEMORY_DESCRIPTOR *Block = &MmPhysicalMemoryBlock;

    for (ULONG i = 0; i < Block->NumberOfRuns; i++)
        MapDatabaseRange(Block->Run[i].BasePage, Block->Run[i].PageCount);

    /* From here no page is taken at boot: [MxFirstBootPage, MxFreeBase) are in use. */
    MmPfnDatabaseReady = true;

    PFN_NUMBER PreviousFree = MM_EMPTY_LIST;
    for (int Pass = 0; Pass < 2; Pass++) {
        for (ULONG i = 0; i < Block->NumberOfRuns; i++) {
            PFN_NUMBER First = Block->Run[i].BasePage;
            PFN_NUMBER End = First + Block->Run[i].PageCount;
            /* Pass 0: the pages above 16 MB; pass 1: the ones below. */
            First = Pass == 0 ? MAX(First, MI_LOW_MEMORY_PAGES) : First;
            End = Pass == 0 ? End : MIN(End, MI_LOW_MEMORY_PAGES);
            for (PFN_NUMBER Pfn = First; Pfn < End; Pfn++) {
                if ((Pfn >= MxFirstBootPage && Pfn < MxFreeBase) || InLoaderImage(Pfn)) {
                    MarkActive(Pfn);
                    continue;
                }
                /* Appended to the tail without the general insert. */
                PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
                Pfn1->u3.Long = MI_PFN_U3(FreePageList, 0);
                Pfn1->u2.Blink = PreviousFree;
                Pfn1->u1.Flink = MM_EMPTY_LIST;
                if (PreviousFree == MM_EMPTY_LIST)
                    MmFreePageListHead.Flink = Pfn;
                else
                    MI_PFN_ELEMENT(PreviousFree)->u1.Flink = Pfn;
                PreviousFree = Pfn;
                MmFreePageListHead.Total++;
            }
        }
    }
    MmFreePageListHead.Blink = PreviousFree;
    MmAvailablePages = MmFreePageListHead.Total;
    RecordSystemMappings();
}
