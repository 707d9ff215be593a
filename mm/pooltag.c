/*
 * mm/pooltag.c — pool tracking: who holds how much pool (poolmon's table),
 * and which big allocation is which (the big-page table).
 *
 * Every pool allocation names a four-character tag. The tag table
 * (PoolTrackTable) keeps, per tag and per pool type, the allocations, the
 * frees and the bytes in use — what poolmon and !poolused show, and what
 * the test harness compares around every test to name a tag that leaked.
 * It is an open-addressed hash table with a fixed number of rows: a tag
 * gets a row the first time it is used and keeps it (NT's design; a full
 * table sends new tags to one overflow row, 'Ovfl'). Looking a tag up and
 * counting takes no lock — the counters are updated with interlocked
 * additions — and only claiming a new row takes a spin lock.
 *
 * Big allocations (whole pages) have no header to carry their tag and
 * size, so the big-page table (PoolBigPageTable) maps their address to the
 * tag and page count. It is a hash table on the page number with linear
 * probing; a removal shifts later entries back (no tombstones), so a probe
 * always stops at the first empty slot. It lives in nonpaged pool pages,
 * doubles when three quarters full and halves again when under an eighth
 * full (never below its boot size), so a burst of big allocations costs
 * memory only while it lasts.
 */
#include <ktest.h>
#include "mi.h"

#define POOL_TRACK_OVERFLOW         POOL_TRACK_TABLE_SIZE
#define POOL_TRACK_OVERFLOW_TAG     MAKE_TAG('O', 'v', 'f', 'l')
#define POOL_BIG_TABLE_INITIAL_SIZE 1024        /* entries, a power of two: 12 KB */

typedef struct _POOL_TRACKER_BIG_PAGES {
    PVOID Va;                                   /* NULL: the slot is empty */
    ULONG Key;
    ULONG NumberOfPages;
} POOL_TRACKER_BIG_PAGES, *PPOOL_TRACKER_BIG_PAGES;

POOL_TRACKER_TABLE PoolTrackTable[POOL_TRACK_TABLE_SIZE + 1];
static KSPIN_LOCK ExpTaggedPoolLock;

static PPOOL_TRACKER_BIG_PAGES PoolBigPageTable;
static ULONG PoolBigPageTableSize;              /* entries, a power of two */
static ULONG PoolBigPageTableUsed;
static KSPIN_LOCK ExpLargePoolTableLock;

/* Claims a row for Key (or finds the one another path claimed first). */
static PPOOL_TRACKER_TABLE InsertTag(ULONG Key)
{
    KIRQL OldIrql;
    PPOOL_TRACKER_TABLE Row = &PoolTrackTable[POOL_TRACK_OVERFLOW];

    KeAcquireSpinLock(&ExpTaggedPoolLock, &OldIrql);
    for (ULONG n = 0, i = ExpTagHash(Key); n < POOL_TRACK_TABLE_SIZE; n++, i = (i + 1) % POOL_TRACK_TABLE_SIZE) {
        if (PoolTrackTable[i].Key == Key) {
            Row = &PoolTrackTable[i];
            break;
        }
        if (PoolTrackTable[i].Key == 0) {
            Row = &PoolTrackTable[i];
            __atomic_store_n(&Row->Key, Key, __ATOMIC_RELEASE);
            break;
        }
    }
    KeReleaseSpinLock(&ExpTaggedPoolLock, OldIrql);
    return Row;
}

PPOOL_TRACKER_TABLE ExpFindPoolTracker(ULONG Key)
{
    for (ULONG n = 0, i = ExpTagHash(Key); n < POOL_TRACK_TABLE_SIZE; n++, i = (i + 1) % POOL_TRACK_TABLE_SIZE) {
        ULONG Found = __atomic_load_n(&PoolTrackTable[i].Key, __ATOMIC_ACQUIRE);
        if (Found == Key)
            return &PoolTrackTable[i];
        if (Found == 0)
            return InsertTag(Key);
    }
    return &PoolTrackTable[POOL_TRACK_OVERFLOW];
}

void ExpUpdatePoolTrackerElsewhere(ULONG Key, LONG Allocs, LONG Frees, SIZE_T NumberOfBytes, POOL_TYPE PoolType)
{
    POOL_TRACKER_COUNTS *Counts = &ExpFindPoolTracker(Key)->Pool[PoolType];
    __atomic_fetch_add(&Counts->Allocs, Allocs, __ATOMIC_RELAXED);
    __atomic_fetch_add(&Counts->Frees, Frees, __ATOMIC_RELAXED);
    __atomic_fetch_add(&Counts->Bytes, NumberOfBytes, __ATOMIC_RELAXED);
}

NTSTATUS ExQueryPoolTagInformation(ULONG Tag, PSYSTEM_POOLTAG Info)
{
    for (ULONG n = 0, i = ExpTagHash(Tag); n < POOL_TRACK_TABLE_SIZE; n++, i = (i + 1) % POOL_TRACK_TABLE_SIZE) {
        PPOOL_TRACKER_TABLE Row = &PoolTrackTable[i];
        if (Row->Key == 0)
            break;
        if (Row->Key != Tag)
            continue;
        Info->TagUlong = Tag;
        Info->NonPagedAllocs = Row->Pool[NonPagedPool].Allocs;
        Info->NonPagedFrees = Row->Pool[NonPagedPool].Frees;
        Info->NonPagedUsed = Row->Pool[NonPagedPool].Bytes;
        Info->PagedAllocs = Row->Pool[PagedPool].Allocs;
        Info->PagedFrees = Row->Pool[PagedPool].Frees;
        Info->PagedUsed = Row->Pool[PagedPool].Bytes;
        return STATUS_SUCCESS;
    }
    return STATUS_NOT_FOUND;
}

/* A row's live allocations in one pool: allocations not yet freed. */
static inline ULONG LiveAllocations(const POOL_TRACKER_COUNTS *Counts)
{
    return Counts->Allocs - Counts->Frees;
}

static inline SIZE_T RowBytes(const POOL_TRACKER_TABLE *Row)
{
    return Row->Pool[NonPagedPool].Bytes + Row->Pool[PagedPool].Bytes;
}

/* The order !poolused's Flags ask for: true if row A comes before row B. */
static bool PoolUsedBefore(const POOL_TRACKER_TABLE *A, const POOL_TRACKER_TABLE *B, ULONG Flags)
{
    if (Flags & POOLUSED_SORT_NONPAGED)
        return A->Pool[NonPagedPool].Bytes > B->Pool[NonPagedPool].Bytes;
    if (Flags & POOLUSED_SORT_PAGED)
        return A->Pool[PagedPool].Bytes > B->Pool[PagedPool].Bytes;
    char TagA[5], TagB[5];
    RtlTagToString(A->Key, TagA);
    RtlTagToString(B->Key, TagB);
    return strcmp(TagA, TagB) < 0;
}

void ExpPrintPoolTagTable(ULONG Flags, const char *Pattern)
{
    /*
     * WinDbg's !poolused: one line per tag with live allocations in either
     * pool (verbose: any ever made), in the order Flags asks for — by tag,
     * or by the bytes it holds in one pool, largest first (an insertion
     * sort, stable: equal rows keep their table order) — and only the tags
     * Pattern matches (RtlMatchGlob on the four characters).
     */
    static USHORT Order[POOL_TRACK_TABLE_SIZE + 1];
    ULONG Lines = 0, Allocs[2] = { 0, 0 }, Frees[2] = { 0, 0 }, Live[2] = { 0, 0 };
    SIZE_T Used[2] = { 0, 0 };
    bool Verbose = (Flags & POOLUSED_VERBOSE) != 0;

    for (ULONG i = 0; i <= POOL_TRACK_TABLE_SIZE; i++) {
        const POOL_TRACKER_TABLE *Row = &PoolTrackTable[i];
        char Tag[5];
        if (Row->Key == 0)
            continue;
        if (Verbose ? Row->Pool[NonPagedPool].Allocs == 0 && Row->Pool[PagedPool].Allocs == 0
                    : LiveAllocations(&Row->Pool[NonPagedPool]) == 0 && LiveAllocations(&Row->Pool[PagedPool]) == 0 &&
                          RowBytes(Row) == 0)
            continue;
        RtlTagToString(Row->Key, Tag);
        if (Pattern && !RtlMatchGlob(Pattern, Tag))
            continue;
        ULONG j = Lines++;
        while (j > 0 && PoolUsedBefore(Row, &PoolTrackTable[Order[j - 1]], Flags)) {
            Order[j] = Order[j - 1];
            j--;
        }
        Order[j] = (USHORT)i;
    }
    DbgPrint(" Sorting by %s\n\n", (Flags & POOLUSED_SORT_NONPAGED) ? "NonPaged Pool Consumed"
                                   : (Flags & POOLUSED_SORT_PAGED) ? "Paged Pool Consumed" : "Tag");
    if (Verbose) {
        DbgPrint(" %-5s %38s %38s\n", "", "NonPaged", "Paged");
        DbgPrint(" %-5s %8s %8s %8s %11s %8s %8s %8s %11s\n", "Tag", "Allocs", "Frees", "Diff", "Used", "Allocs",
                 "Frees", "Diff", "Used");
    } else {
        DbgPrint(" %-5s %23s %23s\n", "", "NonPaged", "Paged");
        DbgPrint(" %-5s %10s %12s %10s %12s\n", "Tag", "Allocs", "Used", "Allocs", "Used");
    }
    for (ULONG j = 0; j < Lines; j++) {
        const POOL_TRACKER_TABLE *Row = &PoolTrackTable[Order[j]];
        char Tag[5];
        RtlTagToString(Row->Key, Tag);
        for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
            Allocs[Type] += Row->Pool[Type].Allocs;
            Frees[Type] += Row->Pool[Type].Frees;
            Live[Type] += LiveAllocations(&Row->Pool[Type]);
            Used[Type] += Row->Pool[Type].Bytes;
        }
        if (Verbose)
            DbgPrint(" %-5s %8u %8u %8u %11u %8u %8u %8u %11u\n", Tag, Row->Pool[NonPagedPool].Allocs,
                     Row->Pool[NonPagedPool].Frees, LiveAllocations(&Row->Pool[NonPagedPool]),
                     Row->Pool[NonPagedPool].Bytes, Row->Pool[PagedPool].Allocs, Row->Pool[PagedPool].Frees,
                     LiveAllocations(&Row->Pool[PagedPool]), Row->Pool[PagedPool].Bytes);
        else
            DbgPrint(" %-5s %10u %12u %10u %12u\n", Tag, LiveAllocations(&Row->Pool[NonPagedPool]),
                     Row->Pool[NonPagedPool].Bytes, LiveAllocations(&Row->Pool[PagedPool]),
                     Row->Pool[PagedPool].Bytes);
    }
    if (Lines == 0 && Pattern)
        DbgPrint(" (no tag matches '%s')\n", Pattern);
    if (Verbose)
        DbgPrint(" %-5s %8u %8u %8u %11u %8u %8u %8u %11u\n", "TOTAL", Allocs[NonPagedPool], Frees[NonPagedPool],
                 Live[NonPagedPool], Used[NonPagedPool], Allocs[PagedPool], Frees[PagedPool], Live[PagedPool],
                 Used[PagedPool]);
    else
        DbgPrint(" %-5s %10u %12u %10u %12u\n", "TOTAL", Live[NonPagedPool], Used[NonPagedPool], Live[PagedPool],
                 Used[PagedPool]);
}

/* ------------------------------------------------------------ big pages */

static inline ULONG BigPageHash(PVOID Va, ULONG Size)
{
    return ((ULONG)Va >> PAGE_SHIFT) & (Size - 1);
}

static void InsertBigPage(PPOOL_TRACKER_BIG_PAGES Table, ULONG Size, PVOID Va, ULONG Key, ULONG Pages)
{
    ULONG i = BigPageHash(Va, Size);
    while (Table[i].Va != NULL)
        i = (i + 1) & (Size - 1);
    Table[i].Va = Va;
    Table[i].Key = Key;
    Table[i].NumberOfPages = Pages;
}

/*
 * Moves the table into a new one of NewSize entries. False (the old table
 * stays) if no pages could be had. Big-page lock held.
 */
static bool ResizeBigPageTable(ULONG NewSize)
{
    PPOOL_TRACKER_BIG_PAGES New = MiAllocatePoolPages(NonPagedPool, NewSize * sizeof(POOL_TRACKER_BIG_PAGES));
    if (!New)
        return false;
    memset(New, 0, NewSize * sizeof(POOL_TRACKER_BIG_PAGES));
    for (ULONG i = 0; i < PoolBigPageTableSize; i++) {
        if (PoolBigPageTable[i].Va)
            InsertBigPage(New, NewSize, PoolBigPageTable[i].Va, PoolBigPageTable[i].Key,
                          PoolBigPageTable[i].NumberOfPages);
    }
    MiFreePoolPages(PoolBigPageTable);
    PoolBigPageTable = New;
    PoolBigPageTableSize = NewSize;
    return true;
}

bool ExpAddTagForBigPages(PVOID Va, ULONG Key, ULONG NumberOfPages)
{
    KIRQL OldIrql;

    KeAcquireSpinLock(&ExpLargePoolTableLock, &OldIrql);
    if ((PoolBigPageTableUsed + 1) * 4 > PoolBigPageTableSize * 3 &&
        !ResizeBigPageTable(PoolBigPageTableSize * 2) && PoolBigPageTableUsed + 1 >= PoolBigPageTableSize) {
        /* Full, and no memory to grow: one slot must stay empty for probes to end. */
        KeReleaseSpinLock(&ExpLargePoolTableLock, OldIrql);
        return false;
    }
    InsertBigPage(PoolBigPageTable, PoolBigPageTableSize, Va, Key, NumberOfPages);
    PoolBigPageTableUsed++;
    KeReleaseSpinLock(&ExpLargePoolTableLock, OldIrql);
    return true;
}

/* Empties slot i and shifts back the entries of the probe run after it. Big-page lock held. */
static void RemoveBigPageSlot(ULONG i)
{
    ULONG Mask = PoolBigPageTableSize - 1;
    for (ULONG j = (i + 1) & Mask; PoolBigPageTable[j].Va != NULL; j = (j + 1) & Mask) {
        ULONG Home = BigPageHash(PoolBigPageTable[j].Va, PoolBigPageTableSize);
        /* Entry j may fill the hole at i unless its home lies cyclically in (i, j]. */
        bool StaysPut = i <= j ? (Home > i && Home <= j) : (Home > i || Home <= j);
        if (StaysPut)
            continue;
        PoolBigPageTable[i] = PoolBigPageTable[j];
        i = j;
    }
    PoolBigPageTable[i].Va = NULL;
}

ULONG ExpFindAndRemoveTagBigPages(PVOID Va, ULONG CheckTag, PULONG Key)
{
    KIRQL OldIrql;
    ULONG Pages = 0;

    KeAcquireSpinLock(&ExpLargePoolTableLock, &OldIrql);
    for (ULONG i = BigPageHash(Va, PoolBigPageTableSize); PoolBigPageTable[i].Va != NULL;
         i = (i + 1) & (PoolBigPageTableSize - 1)) {
        if (PoolBigPageTable[i].Va != Va)
            continue;
        if (CheckTag != 0 && CheckTag != PoolBigPageTable[i].Key)
            KeBugCheckEx(BAD_POOL_CALLER, 0x0A, (ULONG_PTR)Va, PoolBigPageTable[i].Key, CheckTag);
        *Key = PoolBigPageTable[i].Key;
        Pages = PoolBigPageTable[i].NumberOfPages;
        RemoveBigPageSlot(i);
        PoolBigPageTableUsed--;
        if (PoolBigPageTableSize > POOL_BIG_TABLE_INITIAL_SIZE && PoolBigPageTableUsed * 8 < PoolBigPageTableSize)
            ResizeBigPageTable(PoolBigPageTableSize / 2);
        break;
    }
    KeReleaseSpinLock(&ExpLargePoolTableLock, OldIrql);
    return Pages;
}

bool ExpFindBigPages(PVOID Va, PVOID *Start, PULONG Key, PULONG NumberOfPages)
{
    KIRQL OldIrql;
    bool Found = false;
    ULONG Address = (ULONG)Va;

    KeAcquireSpinLock(&ExpLargePoolTableLock, &OldIrql);
    for (ULONG i = 0; i < PoolBigPageTableSize && !Found; i++) {
        const POOL_TRACKER_BIG_PAGES *Entry = &PoolBigPageTable[i];
        if (Entry->Va && Address >= (ULONG)Entry->Va &&
            Address - (ULONG)Entry->Va < Entry->NumberOfPages * PAGE_SIZE) {
            *Start = Entry->Va;
            *Key = Entry->Key;
            *NumberOfPages = Entry->NumberOfPages;
            Found = true;
        }
    }
    KeReleaseSpinLock(&ExpLargePoolTableLock, OldIrql);
    return Found;
}

void ExpQueryBigPageTable(PULONG Used, PULONG Size)
{
    *Used = PoolBigPageTableUsed;
    *Size = PoolBigPageTableSize;
}

void ExpInitializePoolTracking(void)
{
    KeInitializeSpinLock(&ExpTaggedPoolLock);
    KeInitializeSpinLock(&ExpLargePoolTableLock);
    PoolTrackTable[POOL_TRACK_OVERFLOW].Key = POOL_TRACK_OVERFLOW_TAG;
    PoolBigPageTableSize = POOL_BIG_TABLE_INITIAL_SIZE;
    ULONG Bytes = PoolBigPageTableSize * sizeof(POOL_TRACKER_BIG_PAGES);
    PoolBigPageTable = MiAllocatePoolPagesAtBoot(BYTES_TO_PAGES(Bytes));
    memset(PoolBigPageTable, 0, PoolBigPageTableSize * sizeof(POOL_TRACKER_BIG_PAGES));
}

/* ------------------------------------------------------------ leak guard */

/* What each row held when the test began: live allocations and bytes per pool type. */
static struct {
    ULONG Key;
    ULONG Live[2];
    SIZE_T Bytes[2];
} ExpTagSnapshot[POOL_TRACK_TABLE_SIZE + 1];

static void SnapshotTags(void)
{
    for (ULONG i = 0; i <= POOL_TRACK_TABLE_SIZE; i++) {
        ExpTagSnapshot[i].Key = PoolTrackTable[i].Key;
        for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
            const POOL_TRACKER_COUNTS *Counts = &PoolTrackTable[i].Pool[Type];
            ExpTagSnapshot[i].Live[Type] = Counts->Allocs - Counts->Frees;
            ExpTagSnapshot[i].Bytes[Type] = Counts->Bytes;
        }
    }
}

static bool CheckTags(KTEST_CONTEXT *t)
{
    bool Same = true;
    for (ULONG i = 0; i <= POOL_TRACK_TABLE_SIZE; i++) {
        if (PoolTrackTable[i].Key == 0)
            continue;
        for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
            const POOL_TRACKER_COUNTS *Counts = &PoolTrackTable[i].Pool[Type];
            bool Known = ExpTagSnapshot[i].Key == PoolTrackTable[i].Key;
            LONG Live = (LONG)(Counts->Allocs - Counts->Frees) - (Known ? (LONG)ExpTagSnapshot[i].Live[Type] : 0);
            LONG Bytes = (LONG)Counts->Bytes - (Known ? (LONG)ExpTagSnapshot[i].Bytes[Type] : 0);
            if (Live == 0 && Bytes == 0)
                continue;
            char Tag[5];
            RtlTagToString(PoolTrackTable[i].Key, Tag);
            KtestFail(t, t->Test->File, t->Test->Line,
                      "leak guard: pool tag '%s' (%s pool) has %+d allocations and %+d bytes since the test began",
                      Tag, Type == PagedPool ? "paged" : "nonpaged", Live, Bytes);
            Same = false;
        }
    }
    return Same;
}

const KTEST_GUARD ExpPoolTagGuard = {
    .Name = "pool bytes by tag",
    .Snapshot = SnapshotTags,
    .Check = CheckTags,
    .Quiesce = ExpDrainPoolLookasideLists,
};

void ExpRegisterPoolTagGuard(void)
{
    KtestRegisterGuard(&ExpPoolTagGuard);
}
