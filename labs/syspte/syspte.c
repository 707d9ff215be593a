/*
 * mm/syspte.c — system PTEs: the kernel's pool of mapping addresses.
 * THE LAB'S VERSION (docs/labs/syspte.md): the contracts are here, the
 * bodies are yours. `make grade LAB=syspte` scores it; `make lab-reset
 * LAB=syspte` puts the reference back (your file is saved first).
 *
 * "Not a heap, but a virtual memory space": a region of system space whose
 * PTEs are handed out in runs to whoever needs an address for a while — an
 * MDL being mapped, device memory, a kernel stack (every thread's), a
 * reserved mapping, the kernel debugger's mapping PTE. The base region
 * starts at MmNonPagedSystemStart and holds MmNumberOfSystemPtes PTEs; with
 * the 2 GB split or /USERVA, MmNumberOfExtraSystemPtes more from
 * MiSystemCacheStartExtra are an extension you may add when the base region
 * cannot satisfy a request (optional: the graded tests do not need it).
 * The page tables of the base region must exist before any PTE is written
 * through the self-map: MiEnsureSystemPageTable makes one (phase 0, boot
 * pages); any PTE of an address whose page table exists can then be read
 * and written as MiAddressToPte(Va).
 *
 * Your design decides where free space is recorded — NT keeps it in the
 * free PTEs themselves (MMPTE_LIST: a run's first PTE links to the next
 * run, its second holds the run's size), so finding free space costs no
 * memory; a bitmap or a list in pool are fine too, but pool does not exist
 * yet when MiInitializeSystemPtes runs (phase 0).
 *
 * The rules every design must keep (the graded tests check them):
 *   - A reservation is NumberOfPtes contiguous PTEs, all zero, in system
 *     PTE space, not overlapping any other reservation. You may round the
 *     count up (the reference rounds 1..16 to 1, 2, 4, 8, 16); the caller
 *     releases with the count it asked for.
 *   - MmTotalSystemPtes counts the PTEs in the pool, MmTotalFreeSystemPtes
 *     those not reserved (a released PTE counts as free at once, even if
 *     your design makes it wait for a flush before reuse). !vm prints them
 *     and the test harness compares them before and after every test.
 *   - The TLB rule. Callers release PTEs without flushing the TLB, which may
 *     still translate the old addresses to the old pages. Before a released
 *     PTE is handed out again, its stale translation must be gone:
 *     HalInvalidatePage(Va) drops one, KeFlushCurrentTb() all of them (kernel
 *     pages are global: a CR3 reload alone does not drop them). Flushing on
 *     every release is correct but costly; NT (and the reference) let
 *     released runs wait and flush once for hundreds of them.
 *   - Misuse is a bugcheck, SYSTEM_PTE_MISUSE (0xDA) with NT's first
 *     parameter (mm/mi.h): reserving 0 PTEs (PTE_RESERVE_NONE); releasing
 *     PTEs that are not system PTEs (PTE_RELEASE_NOT_PERMITTED, then the VA
 *     and the count), that are not reserved (PTE_RELEASE_ALREADY_FREE: VA,
 *     VA, count), from the middle of a reservation (PTE_RELEASE_MIDDLE: VA,
 *     count), or with another count than was reserved (PTE_RELEASE_WRONG_COUNT:
 *     VA, count, count reserved). So you must know where every reservation
 *     starts and ends.
 *   - Callers may be at DISPATCH_LEVEL: a spin lock (KeAcquireSpinLock)
 *     protects your structures; never wait, and never allocate pool while
 *     holding it.
 */
#include "mi.h"
#include "syspte.h"

ULONG MmTotalSystemPtes, MmTotalFreeSystemPtes;
KSPIN_LOCK MiSystemPteLock;

/*
 * How many PTEs a reservation of NumberOfPtes really takes: NumberOfPtes,
 * or more if your design rounds (mm/contig.c and mm/iosup.c compare it with
 * MiQuerySystemPteAllocation's answer). Any IRQL.
 */
ULONG MiSystemPteAllocationSize(ULONG NumberOfPtes)
{
    return NumberOfPtes;
}

/*
 * Reserves NumberOfPtes contiguous system PTEs, all zero, and returns the
 * first; NULL when the pool cannot supply them (no bugcheck: callers such as
 * MmMapIoSpace return failure). 0 PTEs is SYSTEM_PTE_MISUSE (0xDA,
 * PTE_RESERVE_NONE). SystemPtePoolType is always SystemPteSpace.
 * IRQL <= DISPATCH_LEVEL.
 */
PMMPTE MiReserveSystemPtes(ULONG NumberOfPtes, MMSYSTEM_PTE_POOL_TYPE SystemPtePoolType)
{
    return NULL;
}

/*
 * Gives back PTEs from MiReserveSystemPtes: the same first PTE and count.
 * The caller may leave them valid: zero them here, and make sure no stale
 * translation of them survives until they are handed out again (the TLB
 * rule above). Anything but exactly one reservation is SYSTEM_PTE_MISUSE
 * (0xDA) with the first parameter saying which misuse (above).
 * IRQL <= DISPATCH_LEVEL.
 */
void MiReleaseSystemPtes(PMMPTE StartingPte, ULONG NumberOfPtes, MMSYSTEM_PTE_POOL_TYPE SystemPtePoolType)
{
}

/*
 * The reservation Pte lies in: stores its first PTE in *Start and returns
 * its length (what MiSystemPteAllocationSize said), or returns 0 if Pte is
 * free or no system PTE. MmIdentifyKernelStack calls it to name a stack from
 * any address in it (a double fault's handler does): take no lock and
 * touch no PTE, read only your own records. Any IRQL.
 */
ULONG MiQuerySystemPteAllocation(PMMPTE Pte, PMMPTE *Start)
{
    return 0;
}

/*
 * Phase 0, before the PFN database and the pools: makes the base region's
 * page tables (MiEnsureSystemPageTable for each 4 MB of it; its failure is
 * MEMORY_MANAGEMENT, MM_BUGCHECK_NO_PAGE_TABLE), initializes the lock and
 * your structures, and sets MmTotalSystemPtes = MmTotalFreeSystemPtes =
 * MmNumberOfSystemPtes. Interrupts are off; nothing else runs.
 */
void MiInitializeSystemPtes(void)
{
}

/*
 * Makes every released PTE reusable now: whatever waits for a TLB flush is
 * flushed and given back, and free space that can merge is merged (the
 * tests call it before checking that small runs, all released, make one
 * large run again). With no caches and no waiting, it has nothing to do.
 * IRQL <= DISPATCH_LEVEL.
 */
void MiDrainSystemPteCaches(void)
{
}
