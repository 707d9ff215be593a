/*
 * mm/sysptinfo.c — the system PTE pool seen from outside: the totals and
 * histograms behind !sysptes, !vm and the gdb extension, the lookup of a
 * free PTE for !pte, and the test harness's leak guard (system PTEs in
 * use). None of it is on an allocation path.
 *
 * Each query takes the pool's lock at DISPATCH_LEVEL. The per-size caches'
 * fast paths take no lock, but on mm386's one processor nothing can run
 * them while the query holds DISPATCH_LEVEL (system PTEs are never reserved
 * or released above it), so a query sees one consistent moment. On several
 * processors the queries would have to hold off the lock-free fast paths as
 * well; that is work for SMP, like the rest of the kernel's.
 */
#include <kd.h>
#include <ktest.h>
#include "syspte.h"

/* Counts the free stretches between a region's reservations, as its bitmaps tell them. */
static void MiCountFreeStretches(const MI_PTE_REGION *Region, MI_SYSTEM_PTE_INFO *Info)
{
    ULONG Bits = (ULONG)(Region->End - Region->First);
    for (ULONG At = 0; At < Bits;) {
        ULONG Start = MiMapFindNext(Region->Map, MI_MAP_START_BITS, At, Bits);
        if (Start > At) {
            Info->FreeStretches++;
            Info->LargestFreeStretch = MAX(Info->LargestFreeStretch, Start - At);
        }
        if (Start == Bits)
            break;
        At = MiMapFindNext(Region->Map, MI_MAP_END_BITS, Start, Bits) + 1;
    }
}

void MiQuerySystemPtes(MI_SYSTEM_PTE_INFO *Info)
{
    KIRQL OldIrql;
    KeAcquireSpinLock(&MiSystemPteLock, &OldIrql);
    *Info = (MI_SYSTEM_PTE_INFO){
        .Total = MmTotalSystemPtes,
        .Free = MmTotalFreeSystemPtes,
        .InUse = MmTotalSystemPtes - MmTotalFreeSystemPtes,
        .Cached = MiCachedPtes(),
        .WaitingForFlush = MiWaitingListPtes,
        .ExtraAdded = (ULONG)(MiExtraRegion.End - MiExtraRegion.First),
        .Flushes = MiSystemPteFlushes,
        .Failures = MiSystemPteFailures,
    };
    for (ULONG i = 0; i < MI_PTE_BINS; i++)
        Info->WaitingForFlush += ExQueryDepthSList(&MiPteBins[i].Waiting) * MiBinSize[i];
    for (ULONG Next = MmFirstFreeSystemPte.u.List.NextEntry; Next != MM_EMPTY_PTE_LIST;) {
        PMMPTE Run = MiIndexToPte(Next);
        Info->FreeRuns++;
        Info->LargestFreeRun = MAX(Info->LargestFreeRun, MiRunSize(Run));
        Next = Run->u.List.NextEntry;
    }
    MiCountFreeStretches(&MiBaseRegion, Info);
    MiCountFreeStretches(&MiExtraRegion, Info);
    KeReleaseSpinLock(&MiSystemPteLock, OldIrql);
}

static long long ReadSystemPtesInUse(void)
{
    return (long long)MmTotalSystemPtes - MmTotalFreeSystemPtes;
}

static const KTEST_GUARD MiSystemPteGuard = {
    .Name = "system PTEs in use", .Read = ReadSystemPtesInUse,
};

void MiRegisterSystemPteGuard(void)
{
    KtestRegisterGuard(&MiSystemPteGuard);
}

/* ------------------------------------------------------------ the debugger's view */

_Static_assert(MI_PTE_BINS == MI_SYSTEM_PTE_CACHES, "mi.h's count of cached sizes is this file's");

/* The reservation map's geometry, which the gdb extension (tools/gdb/) reads to find reservations. */
const ULONG MiSystemPteMapPtesPerWord = MI_MAP_PTES_PER_WORD;

/* Runs on a cache's SLIST, following the first-PTE links. Lock held. */
static ULONG MiCountStack(const SLIST_HEADER *Stack)
{
    ULONG Runs = 0;
    for (PSLIST_ENTRY Entry = RtlFirstEntrySList(Stack); Entry; Entry = Entry->Next)
        Runs++;
    return Runs;
}

void MiQuerySystemPteRuns(MI_SYSTEM_PTE_RUNS *Runs)
{
    KIRQL OldIrql;

    memset(Runs, 0, sizeof(*Runs));
    KeAcquireSpinLock(&MiSystemPteLock, &OldIrql);
    for (ULONG Next = MmFirstFreeSystemPte.u.List.NextEntry; Next != MM_EMPTY_PTE_LIST;) {
        PMMPTE Run = MiIndexToPte(Next);
        ULONG Size = MiRunSize(Run);
        ULONG Class = MIN(31 - (ULONG)__builtin_clz(Size), MI_SYSTEM_PTE_RUN_CLASSES - 1);
        ULONG Number = Runs->FreeRuns++;
        if (Number < MI_SYSTEM_PTE_LISTED_RUNS) {
            Runs->Listed[Number].Run = Run;
            Runs->Listed[Number].Size = Size;
        }
        Runs->Runs[Class]++;
        Runs->Ptes[Class] += Size;
        Next = Run->u.List.NextEntry;
    }
    for (ULONG i = 0; i < MI_PTE_BINS; i++) {
        Runs->CacheSize[i] = MiBinSize[i];
        Runs->CacheUsable[i] = MiCountStack(&MiPteBins[i].Usable);
        Runs->CacheWaiting[i] = MiCountStack(&MiPteBins[i].Waiting);
    }
    for (ULONG Next = MiWaitingPtes.u.List.NextEntry; Next != MM_EMPTY_PTE_LIST;) {
        PMMPTE Run = MiIndexToPte(Next);
        Runs->WaitingRuns++;
        Runs->WaitingPtes += MiRunSize(Run);
        Next = Run->u.List.NextEntry;
    }
    Runs->BaseFirst = MiBaseRegion.First;
    Runs->BaseEnd = MiBaseRegion.End;
    Runs->ExtraFirst = MiExtraRegion.First;
    Runs->ExtraEnd = MiExtraRegion.End;
    Runs->ExtraLimit = MiExtraRegion.Limit;
    KeReleaseSpinLock(&MiSystemPteLock, OldIrql);
}

/* Looks for Pte in the runs of one list, linked by index through first PTEs from Index. Lock held. */
static bool MiFindInRuns(PMMPTE Pte, ULONG Index, MI_FREE_SYSTEM_PTE_LIST List,
                         MI_FREE_SYSTEM_PTE *Info)
{
    for (; Index != MM_EMPTY_PTE_LIST; Index = MiIndexToPte(Index)->u.List.NextEntry) {
        PMMPTE Run = MiIndexToPte(Index);
        ULONG RunSize = MiRunSize(Run);
        if (Pte >= Run && Pte < Run + RunSize) {
            *Info = (MI_FREE_SYSTEM_PTE){ .Run = Run, .Size = RunSize, .List = List };
            return true;
        }
    }
    return false;
}

/* The same for the runs of a cache's SLIST, each of Size PTEs. Lock held. */
static bool MiFindInCache(PMMPTE Pte, const SLIST_HEADER *Stack, ULONG Size, MI_FREE_SYSTEM_PTE_LIST List,
                          MI_FREE_SYSTEM_PTE *Info)
{
    for (PSLIST_ENTRY Entry = RtlFirstEntrySList(Stack); Entry; Entry = Entry->Next) {
        PMMPTE Run = (PMMPTE)Entry;
        if (Pte >= Run && Pte < Run + Size) {
            *Info = (MI_FREE_SYSTEM_PTE){ .Run = Run, .Size = Size, .List = List };
            return true;
        }
    }
    return false;
}

bool MiQueryFreeSystemPte(PMMPTE Pte, MI_FREE_SYSTEM_PTE *Info)
{
    KIRQL OldIrql;

    if (!MiRegionOf(Pte))
        return false;
    if (KdIsStopped() && MiSystemPteLock != 0)
        return false;       /* stopped in the debugger mid-change: the runs are not to be followed */
    KeAcquireSpinLock(&MiSystemPteLock, &OldIrql);
    bool Found = MiFindInRuns(Pte, MmFirstFreeSystemPte.u.List.NextEntry, MiPteOnFreeList, Info) ||
            MiFindInRuns(Pte, MiWaitingPtes.u.List.NextEntry, MiPteOnWaitingList, Info);
    for (ULONG i = 0; i < MI_PTE_BINS && !Found; i++) {
        Found = MiFindInCache(Pte, &MiPteBins[i].Usable, MiBinSize[i], MiPteInCache, Info) ||
                MiFindInCache(Pte, &MiPteBins[i].Waiting, MiBinSize[i], MiPteInCacheWaiting, Info);
    }
    KeReleaseSpinLock(&MiSystemPteLock, OldIrql);
    return Found;
}
