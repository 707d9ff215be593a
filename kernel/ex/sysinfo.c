/*
 * kernel/ex/sysinfo.c — NtQuerySystemInformation (NT's ex\sysinfo.c), the
 * two classes every program asks first.
 *
 * SystemBasicInformation (class 0) describes the machine as a program sees
 * it: the page size, the allocation granularity, how much RAM there is and
 * where, the user range's bounds (0x10000 to MmHighestUserAddress, which
 * moves with /3GB and /USERVA), the processors. SystemPerformanceInformation
 * (class 2) is what a performance monitor samples: the memory manager's
 * counts (mm/mmquery.c), the pools', the dispatcher's context switches, the
 * idle time. mm386 fills what it counts and leaves zero what it does not
 * have: no I/O manager (the Io* counts), no cache manager (the Cc* counts),
 * no paging file, transitions or copy-on-write (those fault counts), no
 * working set of system code or drivers (the Resident* and Total*Code
 * pages), no TB-fill counters. SystemCalls is 0 until the system-service
 * gate exists to count them.
 *
 * NT 5.2's rules, in its order: a UserMode caller's buffer is probed for
 * writing, ULONG-aligned; *ReturnLength (if given) is zeroed first; a
 * basic-information buffer must be exactly 0x2C bytes and a performance one
 * at least 0x138, else STATUS_INFO_LENGTH_MISMATCH with *ReturnLength left 0
 * (later Windows versions put the size needed there; NT 5.2 does not); any
 * other class is STATUS_INVALID_INFO_CLASS. The answer is written under a
 * handler in either mode, and a fault there is the status.
 */
#include "exp.h"
#include <mm.h>

static void ExpGetSystemBasicInformation(const MM_SYSTEM_COUNTERS *Mm, PSYSTEM_BASIC_INFORMATION Basic)
{
    memset(Basic, 0, sizeof(*Basic));
    Basic->TimerResolution = KeQueryTimeIncrement();
    Basic->PageSize = PAGE_SIZE;
    Basic->NumberOfPhysicalPages = Mm->NumberOfPhysicalPages;
    Basic->LowestPhysicalPageNumber = Mm->LowestPhysicalPage;
    Basic->HighestPhysicalPageNumber = Mm->HighestPhysicalPage;
    Basic->AllocationGranularity = Mm->AllocationGranularity;
    Basic->MinimumUserModeAddress = Mm->LowestUserAddress;
    Basic->MaximumUserModeAddress = Mm->HighestUserAddress;
    Basic->ActiveProcessorsAffinityMask = KeGetPcr()->SetMember;   /* one processor: its own bit */
    Basic->NumberOfProcessors = 1;
}

static void ExpGetSystemPerformanceInformation(const MM_SYSTEM_COUNTERS *Mm, PSYSTEM_PERFORMANCE_INFORMATION Perf)
{
    PKPRCB Prcb = KeGetCurrentPrcb();

    memset(Perf, 0, sizeof(*Perf));
    Perf->IdleProcessTime.QuadPart = (LONGLONG)Prcb->IdleTime * KeQueryTimeIncrement();
    Perf->AvailablePages = Mm->AvailablePages;
    Perf->CommittedPages = Mm->CommittedPages;
    Perf->CommitLimit = Mm->CommitLimit;
    Perf->PeakCommitment = Mm->PeakCommitment;
    Perf->PageFaultCount = Mm->PageFaultCount;
    Perf->DemandZeroCount = Mm->DemandZeroCount;
    Perf->PagedPoolPages = Mm->PagedPoolPages;
    Perf->NonPagedPoolPages = Mm->NonPagedPoolPages;
    Perf->PagedPoolAllocs = Mm->PagedPoolAllocs;
    Perf->PagedPoolFrees = Mm->PagedPoolFrees;
    Perf->NonPagedPoolAllocs = Mm->NonPagedPoolAllocs;
    Perf->NonPagedPoolFrees = Mm->NonPagedPoolFrees;
    Perf->FreeSystemPtes = Mm->FreeSystemPtes;
    Perf->NonPagedPoolLookasideHits = Mm->NonPagedPoolLookasideHits;
    Perf->PagedPoolLookasideHits = Mm->PagedPoolLookasideHits;
    Perf->AvailablePagedPoolPages = Mm->AvailablePagedPoolPages;
    Perf->ContextSwitches = Prcb->ContextSwitches;
    /* SystemCalls: counted by the system-service gate (KiSystemService), which does not exist yet. */
}

NTSTATUS NtQuerySystemInformation(SYSTEM_INFORMATION_CLASS SystemInformationClass, PVOID SystemInformation,
                                  ULONG SystemInformationLength, PULONG ReturnLength)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    MM_SYSTEM_COUNTERS Mm;
    NTSTATUS Status;

    EX_TRY {
        if (PreviousMode != KernelMode) {
            ProbeForWrite(SystemInformation, SystemInformationLength, sizeof(ULONG));
            if (ReturnLength)
                ProbeForWriteUlong(ReturnLength);
        }
        if (ReturnLength)
            *ReturnLength = 0;
        switch (SystemInformationClass) {
        case SystemBasicInformation: {
            SYSTEM_BASIC_INFORMATION Basic;
            if (SystemInformationLength != sizeof(Basic))
                return STATUS_INFO_LENGTH_MISMATCH;
            MmQuerySystemCounters(&Mm);
            ExpGetSystemBasicInformation(&Mm, &Basic);
            memcpy(SystemInformation, &Basic, sizeof(Basic));
            if (ReturnLength)
                *ReturnLength = sizeof(Basic);
            return STATUS_SUCCESS;
        }
        case SystemPerformanceInformation: {
            SYSTEM_PERFORMANCE_INFORMATION Perf;
            if (SystemInformationLength < sizeof(Perf))
                return STATUS_INFO_LENGTH_MISMATCH;
            MmQuerySystemCounters(&Mm);
            ExpGetSystemPerformanceInformation(&Mm, &Perf);
            memcpy(SystemInformation, &Perf, sizeof(Perf));
            if (ReturnLength)
                *ReturnLength = sizeof(Perf);
            return STATUS_SUCCESS;
        }
        default:
            return STATUS_INVALID_INFO_CLASS;
        }
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
}

NTSTATUS ZwQuerySystemInformation(SYSTEM_INFORMATION_CLASS SystemInformationClass, PVOID SystemInformation,
                                  ULONG SystemInformationLength, PULONG ReturnLength)
{
    return EX_CALL_AS_KERNEL_MODE(NtQuerySystemInformation(SystemInformationClass, SystemInformation,
                                                           SystemInformationLength, ReturnLength));
}
