/*
 * mm/lookasid.c — lookaside lists: caches of free entries of one size.
 *
 * Most pool traffic is a few sizes allocated and freed over and over. A
 * lookaside list keeps up to Depth freed entries of one size on an SLIST
 * (include/pool.h): an allocation pops one without touching the pool or
 * its lock, and a free pushes one back unless Depth are already waiting.
 * Both are single compare-exchange operations, so a list needs no lock.
 *
 * The pool itself has one list per small block size for each pool (NT keeps
 * these per processor; mm386 has one): blocks of 1..32 units, that is,
 * requests of up to 248 bytes. ExFreePoolWithTag pushes a small block there
 * with its header marked POOL_IN_LOOKASIDE — still reserved, but no longer
 * counted against its tag — and ExAllocatePoolWithTag pops it. Draining
 * (ExpDrainPoolLookasideLists) returns every cached block to the pool's
 * free lists, so whole pages can go back; the test harness drains before
 * counting pages.
 *
 * Clients make their own lists with ExInitialize[N]PagedLookasideList:
 * entries they hold are ordinary pool allocations (counted against the
 * list's tag), and ExDelete*LookasideList frees what is cached. All lists
 * are linked on ExNPagedLookasideListHead / ExPagedLookasideListHead for
 * the debugger (ExpSnapshotLookasideLists, kd>'s !lookaside).
 */
#include <kd.h>
#include "mi.h"

GENERAL_LOOKASIDE ExpSmallPoolLookasideLists[PagedPool + 1][POOL_SMALL_LISTS];

static LIST_ENTRY ExNPagedLookasideListHead;
static LIST_ENTRY ExPagedLookasideListHead;
static KSPIN_LOCK ExpLookasideListLock;

static void InitializeLookaside(PGENERAL_LOOKASIDE Lookaside, PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
                                POOL_TYPE Type, SIZE_T Size, ULONG Tag, USHORT Depth, PLIST_ENTRY AllLists)
{
    KIRQL OldIrql;

    InitializeSListHead(&Lookaside->ListHead);
    Depth = Depth == 0 ? LOOKASIDE_MINIMUM_DEPTH : MIN(MAX(Depth, LOOKASIDE_MINIMUM_DEPTH), LOOKASIDE_MAXIMUM_DEPTH);
    Lookaside->Depth = Depth;
    Lookaside->MaximumDepth = Depth;
    Lookaside->TotalAllocates = Lookaside->AllocateMisses = 0;
    Lookaside->TotalFrees = Lookaside->FreeMisses = 0;
    Lookaside->Type = Type;
    Lookaside->Tag = Tag;
    Lookaside->Size = MAX(Size, sizeof(SINGLE_LIST_ENTRY));
    Lookaside->Allocate = Allocate ? Allocate : ExAllocatePoolWithTag;
    Lookaside->Free = Free ? Free : ExFreePool;
    KeAcquireSpinLock(&ExpLookasideListLock, &OldIrql);
    InsertTailList(AllLists, &Lookaside->ListEntry);
    KeReleaseSpinLock(&ExpLookasideListLock, OldIrql);
}

static PVOID AllocateFromLookaside(PGENERAL_LOOKASIDE Lookaside)
{
    Lookaside->TotalAllocates++;
    PVOID Entry = InterlockedPopEntrySList(&Lookaside->ListHead);
    if (Entry)
        return Entry;
    Lookaside->AllocateMisses++;
    return Lookaside->Allocate(Lookaside->Type, Lookaside->Size, Lookaside->Tag);
}

static void FreeToLookaside(PGENERAL_LOOKASIDE Lookaside, PVOID Entry)
{
    Lookaside->TotalFrees++;
    if (ExQueryDepthSList(&Lookaside->ListHead) >= Lookaside->Depth) {
        Lookaside->FreeMisses++;
        Lookaside->Free(Entry);
        return;
    }
    InterlockedPushEntrySList(&Lookaside->ListHead, Entry);
}

static void DeleteLookaside(PGENERAL_LOOKASIDE Lookaside)
{
    KIRQL OldIrql;

    KeAcquireSpinLock(&ExpLookasideListLock, &OldIrql);
    RemoveEntryList(&Lookaside->ListEntry);
    KeReleaseSpinLock(&ExpLookasideListLock, OldIrql);
    for (PSINGLE_LIST_ENTRY Entry = InterlockedFlushSList(&Lookaside->ListHead); Entry;) {
        PSINGLE_LIST_ENTRY Next = Entry->Next;
        Lookaside->Free(Entry);
        Entry = Next;
    }
}

void ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                     PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
    InitializeLookaside(&Lookaside->L, Allocate, Free, NonPagedPool | Flags, Size, Tag, Depth,
                        &ExNPagedLookasideListHead);
}

void ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
    InitializeLookaside(&Lookaside->L, Allocate, Free, PagedPool | Flags, Size, Tag, Depth,
                        &ExPagedLookasideListHead);
}

PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    return AllocateFromLookaside(&Lookaside->L);
}

PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
{
    return AllocateFromLookaside(&Lookaside->L);
}

void ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
    FreeToLookaside(&Lookaside->L, Entry);
}

void ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
    FreeToLookaside(&Lookaside->L, Entry);
}

void ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    DeleteLookaside(&Lookaside->L);
}

void ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
{
    DeleteLookaside(&Lookaside->L);
}

static void DrainSmallLists(PGENERAL_LOOKASIDE Lists)
{
    for (ULONG i = 0; i < POOL_SMALL_LISTS; i++) {
        for (PSINGLE_LIST_ENTRY Body = InterlockedFlushSList(&Lists[i].ListHead); Body;) {
            PSINGLE_LIST_ENTRY Next = Body->Next;
            ExpFreeCachedPoolBlock((PPOOL_HEADER)Body - 1);
            Body = Next;
        }
    }
}

void ExpDrainPoolLookasideLists(void)
{
    DrainSmallLists(ExpSmallPoolLookasideLists[NonPagedPool]);
    DrainSmallLists(ExpSmallPoolLookasideLists[PagedPool]);
}

/* Phase 0: the pool's own lists (no locks taken: the list of all lists is not yet in use). */
void ExpInitializePoolLookasideLists(void)
{
    InitializeListHead(&ExNPagedLookasideListHead);
    InitializeListHead(&ExPagedLookasideListHead);
    KeInitializeSpinLock(&ExpLookasideListLock);
    for (ULONG i = 0; i < POOL_SMALL_LISTS; i++) {
        for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
            /* No Allocate or Free routine: a miss or an overflow goes to the pool's free lists. */
            PGENERAL_LOOKASIDE Lookaside = &ExpSmallPoolLookasideLists[Type][i];
            InitializeSListHead(&Lookaside->ListHead);
            Lookaside->Depth = Lookaside->MaximumDepth = POOL_SMALL_LOOKASIDE_DEPTH;
            Lookaside->Type = Type;
            Lookaside->Size = (i + 1) << POOL_BLOCK_SHIFT;
            InsertTailList(Type == NonPagedPool ? &ExNPagedLookasideListHead : &ExPagedLookasideListHead,
                           &Lookaside->ListEntry);
        }
    }
}

static PGENERAL_LOOKASIDE LookasideOf(PLIST_ENTRY Entry)
{
    return (PGENERAL_LOOKASIDE)((PUCHAR)Entry - offsetof(GENERAL_LOOKASIDE, ListEntry));
}

NTSTATUS ExpSnapshotLookasideLists(EXP_LOOKASIDE_SNAPSHOT *Out, ULONG Count, ULONG *Total)
{
    static PLIST_ENTRY const Heads[] = { &ExNPagedLookasideListHead, &ExPagedLookasideListHead };
    const GENERAL_LOOKASIDE *PoolLists = &ExpSmallPoolLookasideLists[0][0];
    KIRQL OldIrql = PASSIVE_LEVEL;
    bool Stopped = KdIsStopped();
    ULONG n = 0;

    /* A stopped kernel cannot change the lists; it reads them without the lock, unless the stopped code holds it. */
    if (Stopped && ExpLookasideListLock != 0)
        return STATUS_DEVICE_BUSY;
    if (!Stopped)
        KeAcquireSpinLock(&ExpLookasideListLock, &OldIrql);
    for (ULONG h = 0; h < ARRAY_SIZE(Heads); h++) {
        for (PLIST_ENTRY Entry = Heads[h]->Flink; Entry != Heads[h]; Entry = Entry->Flink, n++) {
            PGENERAL_LOOKASIDE List = LookasideOf(Entry);
            if (n >= Count)
                continue;
            Out[n].Address = List;
            Out[n].List = *List;
            Out[n].CurrentDepth = ExQueryDepthSList(&List->ListHead);
            Out[n].PoolOwn = List >= PoolLists && List < PoolLists + (PagedPool + 1) * POOL_SMALL_LISTS;
        }
    }
    if (!Stopped)
        KeReleaseSpinLock(&ExpLookasideListLock, OldIrql);
    *Total = n;
    return STATUS_SUCCESS;
}
