/*
 * tests/mm/section_bench.c — the sections' benchmarks (make bench): guest
 * instructions per operation and the TLB flushes per 1,000 operations.
 *
 *   map_unmap_view_1mb                 NtMapViewOfSection of 1 MB of a section
 *                                      (anywhere, alternately at offset 0 and 1 MB)
 *                                      and NtUnmapViewOfSection, nothing touched
 *   shared_resident_page_fault         the first touch, in a second process, of a
 *                                      page another process made resident: a fault
 *                                      through the prototype PTE, a share more
 *   copy_on_write_fault                the first write, in a write-copy view, to a
 *                                      page another process made resident: the
 *                                      fault maps it and copies it
 *   shared_region_write_then_read_per_page
 *                                      ring 3: a child writes each page of a 4 MB
 *                                      pagefile-backed view (demand-zero faults
 *                                      through prototype PTEs), then its parent reads
 *                                      each one through its own view (resident
 *                                      faults); per page, both loops together
 *
 * The kernel-side figures run attached to test processes whose user range
 * holds other reservations, as a real process's does; the views sit on a
 * 4 MB boundary and their page table is made before the timed loop (the
 * page-table figure is elsewhere). The harness — the same loop over pages
 * already mapped — is reported beside each fault figure.
 */
#include <ktest.h>
#include "section_test.h"

#define BENCH_VIEW_BASE     0x01000000u     /* 4 MB aligned: the view is one page table */
#define BENCH_PAGES         1024u

/* A process with a few reservations around, as a real one has (image, heap, stack). */
static PEPROCESS CreateBenchProcess(void)
{
    PEPROCESS Process = TestCreateUserProcess(false);
    if (!Process)
        return NULL;
    PKAPC_STATE Apc = TestAttach(Process);
    for (ULONG i = 0; i < 24; i++) {
        ULONG Base = 0x00400000 + i * 0x30000;
        SIZE_T Size = (1 + i % 8) * PAGE_SIZE;
        if (TestAllocate(&Base, &Size, MEM_RESERVE | (i % 2 ? MEM_COMMIT : 0), PAGE_READWRITE) == STATUS_SUCCESS &&
            (i % 2))
            TestWrite(Base, i, NULL);
    }
    TestDetach(Apc);
    return Process;
}

/* Zeroed pages on the zeroed list, as the zero page thread keeps it between bursts of faults. */
static void StockZeroedPages(ULONG Count)
{
    KIRQL OldIrql;
    for (ULONG i = 0; i < Count; i++) {
        PFN_NUMBER Pfn = MiRemoveAnyPage();
        if (Pfn == MI_NO_PAGE)
            return;
        MiZeroPhysicalPage(Pfn);
        LOCK_PFN(OldIrql);
        MiInsertPageInList(&MmZeroedPageListHead, Pfn);
        UNLOCK_PFN(OldIrql);
    }
}

KBENCH(map_unmap_view_1mb)
{
    const ULONG Count = 500;
    HANDLE Section;
    PEPROCESS Process = CreateBenchProcess();
    if (!Process)
        return;
    if (!NT_SUCCESS(TestCreateSection(&Section, 2 << 20, SEC_COMMIT, PAGE_READWRITE, NULL))) {
        TestDeleteUserProcess(Process);
        return;
    }
    PKAPC_STATE Apc = TestAttach(Process);
    for (ULONG i = 0; i < Count; i++) {
        PVOID Base = NULL;
        SIZE_T Size = 1 << 20;
        LARGE_INTEGER Offset = { .QuadPart = (i & 1) << 20 };
        KbenchStart(b);
        NTSTATUS Status = ZwMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, &Offset, &Size, ViewShare, 0,
                                             PAGE_READWRITE);
        if (NT_SUCCESS(Status))
            ZwUnmapViewOfSection(NtCurrentProcess(), Base);
        KbenchStop(b);
        if (!NT_SUCCESS(Status))
            break;
    }
    KbenchReport(b, "map_unmap_view_1mb", Count);
    TestDetach(Apc);
    NtClose(Section);
    TestDeleteUserProcess(Process);
}

/*
 * A section of BENCH_PAGES pages, every page made resident (and written) by
 * a first process; a second process maps it at BENCH_VIEW_BASE with Protect
 * and has page 0 touched (its page table made). Both processes and the
 * handle are returned for the figure's loop.
 */
static bool PrepareResidentSection(HANDLE *Section, PEPROCESS *Owner, PEPROCESS *Toucher, ULONG Protect)
{
    *Owner = CreateBenchProcess();
    *Toucher = CreateBenchProcess();
    if (!*Owner || !*Toucher || !NT_SUCCESS(TestCreateSection(Section, BENCH_PAGES * PAGE_SIZE, SEC_COMMIT,
                                                                  PAGE_READWRITE, NULL)))
        return false;
    PKAPC_STATE Apc = TestAttach(*Owner);
    ULONG Base = 0;
    SIZE_T Size = 0;
    bool Ok = NT_SUCCESS(TestMapView(*Section, &Base, 0, &Size, PAGE_READWRITE));
    for (ULONG i = 0; Ok && i < BENCH_PAGES; i++)
        Ok = NT_SUCCESS(TestWrite(Base + i * PAGE_SIZE, i, NULL));
    TestDetach(Apc);
    Apc = TestAttach(*Toucher);
    Base = BENCH_VIEW_BASE;
    Size = 0;
    Ok = Ok && NT_SUCCESS(TestMapView(*Section, &Base, 0, &Size, Protect)) &&
         NT_SUCCESS(TestWrite(Base, 0, NULL));
    TestDetach(Apc);
    return Ok;
}

static void ReleaseResidentSection(HANDLE Section, PEPROCESS Owner, PEPROCESS Toucher)
{
    if (Section)
        NtClose(Section);
    if (Owner)
        TestDeleteUserProcess(Owner);
    if (Toucher)
        TestDeleteUserProcess(Toucher);
}

KBENCH(shared_resident_page_fault)
{
    HANDLE Section = NULL;
    PEPROCESS Owner = NULL, Toucher = NULL;
    if (PrepareResidentSection(&Section, &Owner, &Toucher, PAGE_READWRITE)) {
        PKAPC_STATE Apc = TestAttach(Toucher);
        ULONG Sum = 0;
        KbenchStart(b);
        for (ULONG i = 1; i < BENCH_PAGES; i++)
            Sum += *(volatile ULONG *)(BENCH_VIEW_BASE + i * PAGE_SIZE);
        KbenchStop(b);
        KbenchReport(b, "shared_resident_page_fault", BENCH_PAGES - 1);
        KbenchStart(b);
        for (ULONG i = 1; i < BENCH_PAGES; i++)
            Sum += *(volatile ULONG *)(BENCH_VIEW_BASE + i * PAGE_SIZE);
        KbenchStop(b);
        KbenchReportHarness(b, "shared_resident_page_fault", BENCH_PAGES - 1);
        if (Sum != BENCH_PAGES * (BENCH_PAGES - 1))
            DbgPrint("# bench: shared_resident_page_fault read %u, expected %u\n", Sum,
                     BENCH_PAGES * (BENCH_PAGES - 1));
        TestDetach(Apc);
    }
    ReleaseResidentSection(Section, Owner, Toucher);
}

KBENCH(copy_on_write_fault)
{
    HANDLE Section = NULL;
    PEPROCESS Owner = NULL, Toucher = NULL;
    if (PrepareResidentSection(&Section, &Owner, &Toucher, PAGE_WRITECOPY)) {
        PKAPC_STATE Apc = TestAttach(Toucher);
        ULONG Copies = MmInfoCounters.CopyOnWriteCount;
        KbenchStart(b);
        for (ULONG i = 1; i < BENCH_PAGES; i++)
            *(volatile ULONG *)(BENCH_VIEW_BASE + i * PAGE_SIZE) = ~i;
        KbenchStop(b);
        KbenchReport(b, "copy_on_write_fault", BENCH_PAGES - 1);
        KbenchStart(b);
        for (ULONG i = 1; i < BENCH_PAGES; i++)
            *(volatile ULONG *)(BENCH_VIEW_BASE + i * PAGE_SIZE) = ~i;
        KbenchStop(b);
        KbenchReportHarness(b, "copy_on_write_fault", BENCH_PAGES - 1);
        if (MmInfoCounters.CopyOnWriteCount - Copies != BENCH_PAGES - 1)
            DbgPrint("# bench: copy_on_write_fault made %u copies, expected %u\n",
                     MmInfoCounters.CopyOnWriteCount - Copies, BENCH_PAGES - 1);
        TestDetach(Apc);
    }
    ReleaseResidentSection(Section, Owner, Toucher);
}

/* One run of `sectbench.exe parent Pages`: its instructions, the flushes during it; false if it could not run. */
static bool RunSectbench(ULONG Pages, ULONG *Instructions, KBENCH_SAMPLE *Flushes)
{
    char Line[48];
    NTSTATUS ExitStatus;
    ULONG Entire = HalTbFlushCounts.EntireFlushes, Process = HalTbFlushCounts.ProcessFlushes;
    ULONG Single = HalTbFlushCounts.SingleFlushes;

    snprintf(Line, sizeof(Line), "sectbench.exe parent %u", Pages);
    if (!NT_SUCCESS(KtestRunProgram(Line, &ExitStatus)) || (LONG)ExitStatus < 0) {
        DbgPrint("# bench: %s could not run (0x%08x)\n", Line, (ULONG)ExitStatus);
        return false;
    }
    *Instructions = (ULONG)ExitStatus;
    Flushes->EntireFlushes = HalTbFlushCounts.EntireFlushes - Entire;
    Flushes->ProcessFlushes = HalTbFlushCounts.ProcessFlushes - Process;
    Flushes->SingleFlushes = HalTbFlushCounts.SingleFlushes - Single;
    return true;
}

KBENCH(shared_region_write_then_read_per_page)
{
    ULONG Idle, Instructions;
    KBENCH_SAMPLE Baseline, Run, Loop;

    StockZeroedPages(BENCH_PAGES + 64);
    if (!RunSectbench(0, &Idle, &Baseline))
        return;
    StockZeroedPages(BENCH_PAGES + 64);
    if (!RunSectbench(BENCH_PAGES, &Instructions, &Run))
        return;
    /* The loops' flushes: the run's less the same programs' with no pages. */
    Loop.EntireFlushes = Run.EntireFlushes - Baseline.EntireFlushes;
    Loop.ProcessFlushes = Run.ProcessFlushes - Baseline.ProcessFlushes;
    Loop.SingleFlushes = Run.SingleFlushes - Baseline.SingleFlushes;
    KbenchAddMeasured(b, Instructions, &Loop);
    KbenchReport(b, "shared_region_write_then_read_per_page", BENCH_PAGES);
}
