/*
 * tests/mm/virtual_bench.c — the user range's benchmarks (make bench): guest
 * instructions per operation, each with its TLB flushes per 1,000
 * operations (full, CR3 reload, invlpg) beside it, since instruction counts
 * do not see TLB refills, and — where the operation is timed inside a
 * loop with other work — the cost of the harness alone (KbenchReportHarness).
 *
 * They run in a test process, attached as the tests attach, whose address
 * space holds other reservations (a process's heap, stacks and images would
 * be there), so free-space searches and lookups walk a real tree.
 */
#include <hal.h>
#include "virtual_test.h"

static ULONG RandomState;

static ULONG Random(void)
{
    RandomState = RandomState * 1103515245u + 12345u;
    return RandomState >> 8;
}

/*
 * A process with 48 reservations of 1 to 16 pages scattered from 4 MB to
 * 256 MB, some committed and touched, and one resident page at 0x3F0000
 * (a process's stack or heap: its first page table is in use): the
 * background every figure runs on.
 */
static PEPROCESS CreateBusyProcess(void)
{
    PEPROCESS Process = TestCreateUserProcess(false);
    if (!Process)
        return NULL;
    PKAPC_STATE Previous = TestAttach(Process);
    ULONG Low = 0x3F0000;
    SIZE_T LowSize = PAGE_SIZE;
    if (TestAllocate(&Low, &LowSize, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == STATUS_SUCCESS)
        TestWrite(Low, 1, NULL);
    RandomState = 5;
    for (ULONG i = 0; i < 48; i++) {
        ULONG Base = 0x400000 + (Random() % 4032) * 0x10000;
        SIZE_T Size = (1 + Random() % 16) * PAGE_SIZE;
        if (TestAllocate(&Base, &Size, MEM_RESERVE | (i % 2 ? MEM_COMMIT : 0), PAGE_READWRITE) == STATUS_SUCCESS &&
            (i % 2))
            TestWrite(Base, i, NULL);
    }
    TestDetach(Previous);
    return Process;
}

/*
 * Count zeroed pages on the zeroed list, as NT's zero-page thread keeps it
 * stocked between bursts of faults (the zeroing has its own figure,
 * zero_page). Returns how many it put there.
 */
static ULONG StockZeroedPages(ULONG Count)
{
    KIRQL OldIrql;
    ULONG Stocked = 0;
    for (; Stocked < Count; Stocked++) {
        PFN_NUMBER Pfn = MiRemoveAnyPage();
        if (Pfn == MI_NO_PAGE)
            break;
        MiZeroPhysicalPage(Pfn);
        LOCK_PFN(OldIrql);
        MiInsertPageInList(&MmZeroedPageListHead, Pfn);
        UNLOCK_PFN(OldIrql);
    }
    return Stocked;
}

/*
 * The first touch of committed pages: 1,024 demand-zero faults, one per
 * page, writing (the page table exists already: one in 1,024 faults would
 * make it). The harness alone is the same loop over the pages once
 * resident.
 */
KBENCH(demand_zero_fault)
{
    const ULONG Pages = 1024;
    PEPROCESS Process = CreateBusyProcess();
    if (!Process)
        return;
    PKAPC_STATE Previous = TestAttach(Process);
    ULONG Base = 0;
    SIZE_T Size = 2 * Pages * PAGE_SIZE;
    if (TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN, PAGE_READWRITE) == STATUS_SUCCESS) {
        Base = ROUND_UP(Base, 1u << PDE_SHIFT) - PAGE_SIZE;     /* the last page of one page table ... */
        TestWrite(Base, 1, NULL);                               /* ... touched: the next page table gets made */
        Base += PAGE_SIZE;
        TestWrite(Base + (Pages + 8) * PAGE_SIZE, 1, NULL);
        StockZeroedPages(Pages + 16);
        KbenchStart(b);
        for (ULONG i = 0; i < Pages; i++)
            *(volatile ULONG *)(Base + i * PAGE_SIZE) = i;
        KbenchStop(b);
        KbenchReport(b, "demand_zero_fault", Pages);
        KbenchStart(b);
        for (ULONG i = 0; i < Pages; i++)
            *(volatile ULONG *)(Base + i * PAGE_SIZE) = i;
        KbenchStop(b);
        KbenchReportHarness(b, "demand_zero_fault", Pages);
    }
    TestDetach(Previous);
    TestDeleteUserProcess(Process);
}

/*
 * Reserving and committing 4 MB in one call, no base given: a VAD from
 * pool, a first-fit search among the process's reservations, commit
 * charged, no PTE written. Each is released again (not timed).
 */
KBENCH(reserve_commit_4mb)
{
    const ULONG Count = 500;
    PEPROCESS Process = CreateBusyProcess();
    if (!Process)
        return;
    PKAPC_STATE Previous = TestAttach(Process);
    for (ULONG i = 0; i < Count; i++) {
        PVOID Base = NULL;
        SIZE_T Size = 4 << 20;
        KbenchStart(b);
        NTSTATUS Status = ZwAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                                  PAGE_READWRITE);
        KbenchStop(b);
        if (Status == STATUS_SUCCESS)
            TestFree((ULONG)Base, 0, MEM_RELEASE);
    }
    KbenchReport(b, "reserve_commit_4mb", Count);
    /* The harness: the same brackets around nothing. */
    for (ULONG i = 0; i < Count; i++) {
        KbenchStart(b);
        KbenchStop(b);
    }
    KbenchReportHarness(b, "reserve_commit_4mb", Count);
    TestDetach(Previous);
    TestDeleteUserProcess(Process);
}

/*
 * Releasing 256 touched pages in one call, per page: PTEs cleared, the TLB
 * flushed, pages freed, the page table and the VAD freed with them.
 */
KBENCH(release_per_touched_page)
{
    const ULONG Pages = 256, Rounds = 20;
    PEPROCESS Process = CreateBusyProcess();
    if (!Process)
        return;
    PKAPC_STATE Previous = TestAttach(Process);
    for (ULONG Round = 0; Round < Rounds; Round++) {
        ULONG Base = 0;
        SIZE_T Size = Pages * PAGE_SIZE;
        if (TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN, PAGE_READWRITE) != STATUS_SUCCESS)
            break;
        for (ULONG i = 0; i < Pages; i++)
            *(volatile ULONG *)(Base + i * PAGE_SIZE) = i;
        PVOID B = (PVOID)Base;
        SIZE_T S = 0;
        KbenchStart(b);
        ZwFreeVirtualMemory(NtCurrentProcess(), &B, &S, MEM_RELEASE);
        KbenchStop(b);
    }
    KbenchReport(b, "release_per_touched_page", Pages * Rounds);
    TestDetach(Previous);
    TestDeleteUserProcess(Process);
}

/*
 * A page allocated (reserve and commit, landing at 64 KB), written and
 * released, over and over, in the page table the process's page at
 * 0x3F0000 keeps: the whole life of a small allocation, its page zeroed on
 * the fault each time (the freed page goes back to the free list, not the
 * zeroed one).
 */
KBENCH(alloc_touch_free_1page)
{
    const ULONG Count = 1000;
    PEPROCESS Process = CreateBusyProcess();
    if (!Process)
        return;
    PKAPC_STATE Previous = TestAttach(Process);
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++) {
        PVOID Base = NULL;
        SIZE_T Size = PAGE_SIZE;
        if (ZwAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                    PAGE_READWRITE) != STATUS_SUCCESS)
            break;
        *(volatile ULONG *)Base = i;
        Size = 0;
        ZwFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE);
    }
    KbenchStop(b);
    KbenchReport(b, "alloc_touch_free_1page", Count);
    TestDetach(Previous);
    TestDeleteUserProcess(Process);
}

/* Changing the protection of 64 committed pages, half of them resident (valid PTEs rewritten and flushed). */
KBENCH(protect_64_pages)
{
    const ULONG Count = 1000;
    PEPROCESS Process = CreateBusyProcess();
    if (!Process)
        return;
    PKAPC_STATE Previous = TestAttach(Process);
    ULONG Base = 0;
    SIZE_T Size = 64 * PAGE_SIZE;
    if (TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == STATUS_SUCCESS) {
        for (ULONG i = 0; i < 64; i += 2)
            TestWrite(Base + i * PAGE_SIZE, i, NULL);
        KbenchStart(b);
        for (ULONG i = 0; i < Count; i++) {
            PVOID B = (PVOID)Base;
            SIZE_T S = 64 * PAGE_SIZE;
            ULONG Old;
            ZwProtectVirtualMemory(NtCurrentProcess(), &B, &S, i % 2 ? PAGE_READWRITE : PAGE_READONLY, &Old);
        }
        KbenchStop(b);
        KbenchReport(b, "protect_64_pages", Count);
    }
    TestDetach(Previous);
    TestDeleteUserProcess(Process);
}

/*
 * NtQueryVirtualMemory at random addresses of the busy process's first
 * 256 MB: free gaps, reservations, committed and resident pages.
 */
KBENCH(query_region)
{
    const ULONG Count = 10000;
    static ULONG Addresses[1024];
    PEPROCESS Process = CreateBusyProcess();
    if (!Process)
        return;
    PKAPC_STATE Previous = TestAttach(Process);
    MEMORY_BASIC_INFORMATION Info;
    for (ULONG i = 0; i < ARRAY_SIZE(Addresses); i++) {
        /* Half in reservations (a VAD's pages), half anywhere. */
        PMMVAD Vad = MiGetFirstVad(Process);
        for (ULONG Skip = Random() % Process->VadRoot.NumberGenericTableElements; Skip && Vad; Skip--)
            Vad = MiGetNextVad(Vad);
        Addresses[i] = i % 2 && Vad ? (ULONG)MI_VPN_TO_VA(Vad->StartingVpn) + (Random() % 0x4000)
                                    : 0x10000 + Random() % 0x10000000;
    }
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++)
        ZwQueryVirtualMemory(NtCurrentProcess(), (PVOID)Addresses[i % ARRAY_SIZE(Addresses)], MemoryBasicInformation,
                             &Info, sizeof(Info), NULL);
    KbenchStop(b);
    KbenchReport(b, "query_region", Count);
    TestDetach(Previous);
    TestDeleteUserProcess(Process);
}
