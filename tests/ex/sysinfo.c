/*
 * tests/ex/sysinfo.c — NtQuerySystemInformation: SystemBasicInformation and
 * SystemPerformanceInformation.
 *
 * The basic answers are pinned against NT's x86 constants (4 KB pages,
 * 64 KB granularity, user addresses from 0x10000 to 64 KB below the split:
 * 0x7FFEFFFF, 0xBFFEFFFF under /3GB, USERVA MB - 64 KB - 1 under /USERVA)
 * and against the loader's memory map, counted here page by page. The
 * performance counters are pinned by what a test does to them: commit 16
 * pages and CommittedPages grows by 16, touch 8 and DemandZeroCount grows
 * by 8, and so on. The lengths and statuses are NT 5.2's (ex\sysinfo.c).
 */
#include "extest.h"
#include <loader.h>

/*
 * True if physical page Pfn is RAM the memory manager uses: in an available
 * range, in no other, below 4 GB and /MAXMEM, not page 0.
 */
static bool IsUsablePage(ULONGLONG Pfn)
{
    ULONGLONG Start = Pfn << PAGE_SHIFT, End = Start + PAGE_SIZE;
    bool Available = false;
    if (Pfn == 0 || End > 0x100000000ull)
        return false;
    if (KeBootOptions.MaxMemMb && KeBootOptions.MaxMemMb < 4096 && End > (ULONGLONG)KeBootOptions.MaxMemMb << 20)
        return false;
    for (ULONG i = 0; i < KeLoaderBlock.MemoryDescriptorCount; i++) {
        const LOADER_MEMORY_DESCRIPTOR *d = &KeLoaderBlock.MemoryDescriptors[i];
        bool Covers = d->Base <= Start && d->Base + d->Length >= End;
        bool Touches = d->Base < End && d->Base + d->Length > Start;
        if (d->Type == LOADER_MEMORY_AVAILABLE && Covers)
            Available = true;
        if (d->Type != LOADER_MEMORY_AVAILABLE && d->Length && Touches)
            return false;
    }
    return Available;
}

static SYSTEM_BASIC_INFORMATION QueryBasic(KTEST_CONTEXT *t)
{
    SYSTEM_BASIC_INFORMATION Basic;
    ULONG Length = 0;
    memset(&Basic, 0xCC, sizeof(Basic));
    EXPECT_EQ(NtQuerySystemInformation(SystemBasicInformation, &Basic, sizeof(Basic), &Length), STATUS_SUCCESS);
    EXPECT_EQ(Length, 0x2Cu);
    return Basic;
}

static SYSTEM_PERFORMANCE_INFORMATION QueryPerformance(void)
{
    SYSTEM_PERFORMANCE_INFORMATION Perf;
    memset(&Perf, 0xCC, sizeof(Perf));
    NtQuerySystemInformation(SystemPerformanceInformation, &Perf, sizeof(Perf), NULL);
    return Perf;
}

/* NT's x86 values for the page size, granularity, user range and processors. */
KTEST(sysinfo, basic_information_is_nt_x86)
{
    SYSTEM_BASIC_INFORMATION Basic = QueryBasic(t);
    ULONG Highest = 0x7FFEFFFF;
    if (KeBootOptions.ThreeGb)
        Highest = KeBootOptions.UserVaMb >= 2048 && KeBootOptions.UserVaMb <= 3072
                      ? (KeBootOptions.UserVaMb / 4 << 22) - 0x10000 - 1    /* NT: down to a 4 MB boundary */
                      : 0xBFFEFFFF;
    EXPECT_EQ(Basic.Reserved, 0u);
    EXPECT_EQ(Basic.TimerResolution, 100000u);          /* a 10 ms clock, in 100 ns */
    EXPECT_EQ(Basic.PageSize, 4096u);
    EXPECT_EQ(Basic.AllocationGranularity, 0x10000u);
    EXPECT_EQ(Basic.MinimumUserModeAddress, 0x10000u);
    EXPECT_EQ(Basic.MaximumUserModeAddress, Highest);
    EXPECT_EQ(Basic.ActiveProcessorsAffinityMask, 1u);
    EXPECT_EQ(Basic.NumberOfProcessors, 1);
}

/* The physical pages: counted here from the loader's memory map, page by page. */
KTEST(sysinfo, basic_information_counts_the_ram)
{
    SYSTEM_BASIC_INFORMATION Basic = QueryBasic(t);
    ULONGLONG Count = 0, Lowest = 0, Highest = 0;
    for (ULONG i = 0; i < KeLoaderBlock.MemoryDescriptorCount; i++) {
        const LOADER_MEMORY_DESCRIPTOR *d = &KeLoaderBlock.MemoryDescriptors[i];
        if (d->Type != LOADER_MEMORY_AVAILABLE)
            continue;
        ULONGLONG End = MIN((d->Base + d->Length) >> PAGE_SHIFT, 0x100000ull);      /* 4 GB: no PAE */
        for (ULONGLONG Pfn = d->Base >> PAGE_SHIFT; Pfn < End; Pfn++) {
            if (!IsUsablePage(Pfn))
                continue;
            Count++;
            Lowest = Lowest && Lowest < Pfn ? Lowest : Pfn;
            Highest = Highest > Pfn ? Highest : Pfn;
        }
    }
    EXPECT_EQ(Basic.NumberOfPhysicalPages, Count);
    EXPECT_EQ(Basic.LowestPhysicalPageNumber, Lowest);
    EXPECT_EQ(Basic.HighestPhysicalPageNumber, Highest);
}

/*
 * The lengths: exactly 0x2C for basic, at least 0x138 for performance (the
 * answer is 0x138 bytes, the rest untouched); else
 * STATUS_INFO_LENGTH_MISMATCH with *ReturnLength 0 — NT 5.2 zeroes it
 * first and leaves it so. Another class: STATUS_INVALID_INFO_CLASS.
 */
KTEST(sysinfo, lengths_and_classes)
{
    static UCHAR Buffer[0x200];
    ULONG Length;
    const ULONG BadBasic[] = { 0, 0x28, 0x2B, 0x2D, 0x30 };
    for (ULONG i = 0; i < ARRAY_SIZE(BadBasic); i++) {
        Length = 0x5A5A;
        EXPECT_EQ(NtQuerySystemInformation(SystemBasicInformation, Buffer, BadBasic[i], &Length),
                  STATUS_INFO_LENGTH_MISMATCH);
        EXPECT_EQ(Length, 0u);
    }
    Length = 0x5A5A;
    EXPECT_EQ(NtQuerySystemInformation(SystemPerformanceInformation, Buffer, 0x137, &Length),
              STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(Length, 0u);
    memset(Buffer, 0xCC, sizeof(Buffer));
    EXPECT_EQ(NtQuerySystemInformation(SystemPerformanceInformation, Buffer, sizeof(Buffer), &Length),
              STATUS_SUCCESS);
    EXPECT_EQ(Length, 0x138u);
    ULONG Untouched = 0;
    for (ULONG i = 0x138; i < sizeof(Buffer); i++)
        Untouched += Buffer[i] == 0xCC;
    EXPECT_EQ(Untouched, sizeof(Buffer) - 0x138);
    Length = 0x5A5A;
    EXPECT_EQ(NtQuerySystemInformation((SYSTEM_INFORMATION_CLASS)1, Buffer, sizeof(Buffer), &Length),
              STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(Length, 0u);
    EXPECT_EQ(NtQuerySystemInformation((SYSTEM_INFORMATION_CLASS)0x80000000, NULL, 0, NULL),
              STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(ZwQuerySystemInformation(SystemBasicInformation, Buffer, 0x2C, NULL), STATUS_SUCCESS);
}

/* Committing pages moves CommittedPages by that many, the peak is never below it, touching them faults them in. */
KTEST(sysinfo, performance_commit_and_faults)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    ULONG Base;
    ASSERT_EQ(ExtAllocate(&Base, 0x10000, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    SYSTEM_PERFORMANCE_INFORMATION Before = QueryPerformance();
    PVOID Commit = (PVOID)Base;
    SIZE_T Size = 16 * PAGE_SIZE;
    EXPECT_EQ(ZwAllocateVirtualMemory(NtCurrentProcess(), &Commit, 0, &Size, MEM_COMMIT, PAGE_READWRITE),
              STATUS_SUCCESS);
    SYSTEM_PERFORMANCE_INFORMATION Committed = QueryPerformance();
    EXPECT_EQ(Committed.CommittedPages - Before.CommittedPages, 16u);
    EXPECT_GE(Committed.PeakCommitment, Committed.CommittedPages);
    EXPECT_LT(Committed.CommittedPages, Committed.CommitLimit);
    for (ULONG i = 0; i < 8; i++)
        *(volatile ULONG *)(Base + i * PAGE_SIZE) = i;
    SYSTEM_PERFORMANCE_INFORMATION Touched = QueryPerformance();
    EXPECT_EQ(Touched.DemandZeroCount - Committed.DemandZeroCount, 8u);
    EXPECT_GE(Touched.PageFaultCount - Committed.PageFaultCount, 8u);
    EXPECT_LE(Touched.AvailablePages, Committed.AvailablePages - 8);
    ExtLeaveUserProcess(&User);
}

/* Pool and system PTE counts follow allocations made here. */
KTEST(sysinfo, performance_pool_and_system_ptes)
{
    const ULONG Tag = MAKE_TAG('S', 'y', 's', 'I');
    SYSTEM_PERFORMANCE_INFORMATION Before = QueryPerformance();
    PVOID Small = ExAllocatePoolWithTag(NonPagedPool, 64, Tag);
    SYSTEM_PERFORMANCE_INFORMATION After = QueryPerformance();
    ASSERT_NOT_NULL(Small);
    /* One small nonpaged block: from the pool's lists or from its lookaside lists, exactly one of the two. */
    EXPECT_EQ((After.NonPagedPoolAllocs - Before.NonPagedPoolAllocs) +
              (After.NonPagedPoolLookasideHits - Before.NonPagedPoolLookasideHits), 1u);
    ExFreePoolWithTag(Small, Tag);

    Before = QueryPerformance();
    PVOID Big = ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, Tag);
    PVOID Paged = ExAllocatePoolWithTag(PagedPool, 3 * PAGE_SIZE, Tag);
    After = QueryPerformance();
    ASSERT_NOT_NULL(Big);
    ASSERT_NOT_NULL(Paged);
    EXPECT_EQ(After.NonPagedPoolPages - Before.NonPagedPoolPages, 2u);
    EXPECT_EQ(After.PagedPoolPages - Before.PagedPoolPages, 3u);
    EXPECT_EQ(Before.AvailablePagedPoolPages - After.AvailablePagedPoolPages, 3u);
    ExFreePoolWithTag(Big, Tag);
    ExFreePoolWithTag(Paged, Tag);

    Before = QueryPerformance();
    PVOID Mapping = MmAllocateMappingAddress(8 * PAGE_SIZE, Tag);
    After = QueryPerformance();
    ASSERT_NOT_NULL(Mapping);
    EXPECT_GE(Before.FreeSystemPtes - After.FreeSystemPtes, 8u);
    MmFreeMappingAddress(Mapping, Tag);
    EXPECT_EQ(QueryPerformance().FreeSystemPtes, Before.FreeSystemPtes);
}

static void Nothing(PVOID Context)
{
}

/*
 * Context switches count the dispatcher's switches (a thread started and
 * joined is at least two). Idle time is the idle thread's clock ticks in
 * 100 ns: a whole number of increments, never more than the time since
 * boot, never going back (it need not grow while this thread sleeps: the
 * zero page thread may have the processor then). What mm386 does not have
 * is zero: I/O, the cache manager, system calls (no system-service gate yet).
 */
KTEST(sysinfo, performance_dispatcher_counts_and_zeros)
{
    LARGE_INTEGER Sleep = ExtTicks(4);
    SYSTEM_PERFORMANCE_INFORMATION Before = QueryPerformance();
    EXPECT_TRUE(TestJoinThread(TestStartThread(Nothing, NULL, 10)));
    KeDelayExecutionThread(KernelMode, FALSE, &Sleep);
    SYSTEM_PERFORMANCE_INFORMATION After = QueryPerformance();
    EXPECT_GE(After.ContextSwitches - Before.ContextSwitches, 2u);
    EXPECT_GE(After.IdleProcessTime.QuadPart, Before.IdleProcessTime.QuadPart);
    EXPECT_LE(After.IdleProcessTime.QuadPart, (LONGLONG)KeQueryInterruptTime());
    EXPECT_EQ(After.IdleProcessTime.QuadPart % KeQueryTimeIncrement(), 0);
    EXPECT_EQ(After.SystemCalls, 0u);
    EXPECT_EQ(After.IoReadOperationCount + After.IoWriteOperationCount + After.IoOtherOperationCount, 0u);
    EXPECT_EQ(After.IoReadTransferCount.QuadPart, 0);
    EXPECT_EQ(After.CcFastReadNoWait + After.CcCopyReadWait + After.CcDataPages, 0u);
    EXPECT_EQ(After.CopyOnWriteCount + After.TransitionCount + After.PageReadCount, 0u);
}
