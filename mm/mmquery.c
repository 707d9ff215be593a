/*
 * mm/mmquery.c — the memory manager's counts, handed to the executive's
 * system information query (NtQuerySystemInformation, kernel/ex/sysinfo.c).
 *
 * NT's sysinfo.c reads the memory manager's globals directly; mm386 keeps
 * them private to mm/ and copies them out here, in one place: physical
 * memory (MmPhysicalMemoryBlock), the user range's bounds, the page lists (MmAvailablePages), commit
 * (mm/commit.c, with its peak), the fault counters (MmInfoCounters,
 * mm/pagfault.c), the pools (their descriptors and their own lookaside
 * lists, summed as NT's ExQueryPoolUsage sums them) and the system PTEs.
 * Nothing is locked: each count is read once, a moment's view, as NT's are.
 */
#include "mi.h"
#include "vad.h"
#include "virtual.h"

/* Allocations the lookaside lists of one pool satisfied without going to the pool. */
static ULONG MiPoolLookasideHits(POOL_TYPE PoolType)
{
    ULONG Hits = 0;
    for (ULONG i = 0; i < POOL_SMALL_LISTS; i++) {
        const GENERAL_LOOKASIDE *Lookaside = &ExpSmallPoolLookasideLists[PoolType][i];
        Hits += Lookaside->TotalAllocates - Lookaside->AllocateMisses;
    }
    return Hits;
}

void MmQuerySystemCounters(PMM_SYSTEM_COUNTERS Counters)
{
    Counters->NumberOfPhysicalPages = MmPhysicalMemoryBlock.NumberOfPages;
    Counters->LowestPhysicalPage = MmLowestPhysicalPage;
    Counters->HighestPhysicalPage = MmHighestPhysicalPage;
    Counters->AllocationGranularity = MM_ALLOCATION_GRANULARITY;
    Counters->LowestUserAddress = MM_LOWEST_USER_ADDRESS;
    Counters->HighestUserAddress = (ULONG_PTR)MmHighestUserAddress;
    Counters->AvailablePages = MmAvailablePages;
    Counters->CommittedPages = MmTotalCommittedPages;
    Counters->CommitLimit = MmTotalCommitLimit;
    Counters->PeakCommitment = MmPeakCommitment;
    Counters->PageFaultCount = MmInfoCounters.PageFaultCount;
    Counters->DemandZeroCount = MmInfoCounters.DemandZeroCount;
    Counters->PagedPoolPages = PagedPoolDescriptor.TotalPages + PagedPoolDescriptor.TotalBigPages;
    Counters->NonPagedPoolPages = NonPagedPoolDescriptor.TotalPages + NonPagedPoolDescriptor.TotalBigPages;
    Counters->PagedPoolAllocs = PagedPoolDescriptor.RunningAllocs;
    Counters->PagedPoolFrees = PagedPoolDescriptor.RunningDeAllocs;
    Counters->NonPagedPoolAllocs = NonPagedPoolDescriptor.RunningAllocs;
    Counters->NonPagedPoolFrees = NonPagedPoolDescriptor.RunningDeAllocs;
    Counters->PagedPoolLookasideHits = MiPoolLookasideHits(PagedPool);
    Counters->NonPagedPoolLookasideHits = MiPoolLookasideHits(NonPagedPool);
    Counters->AvailablePagedPoolPages = (MmSizeOfPagedPoolInBytes >> PAGE_SHIFT) - MmPagedPoolInfo.AllocatedPagedPool;
    Counters->FreeSystemPtes = MmTotalFreeSystemPtes;
}
