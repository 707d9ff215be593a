/*
 * mm/syspte.c — system PTEs: the kernel's pool of mapping addresses.
 *
 * "Not a heap, but a virtual memory space": a region of system space whose
 * PTEs are handed out in runs to whoever needs an address for a while — an
 * MDL being mapped, device memory, a kernel stack, a reserved mapping. The
 * base region starts at MmNonPagedSystemStart (MmNumberOfSystemPtes PTEs);
 * with the 2 GB split or /USERVA, MiSystemCacheStartExtra..EndExtra is an
 * extension held in reserve, as in Windows Server 2003, and added one page
 * table (1,024 PTEs) at a time when the base region cannot satisfy a request.
 * The page tables of whatever is in the pool exist, so its PTEs can always
 * be read and written through the self-map.
 *
 * The free list lives in the free PTEs themselves (NT's MMPTE_LIST format),
 * so finding free space costs no memory. A free run's first PTE holds, in
 * NextEntry, the index (VA >> 12) of the next free run; its second PTE holds
 * the run's size — or the first PTE has OneEntry set for a run of one. Every
 * other PTE of a free run is zero. The list (head MmFirstFreeSystemPte) is in
 * address order, so a released run merges with the free runs on either side,
 * and a reservation takes the first run that fits, from its end, so the link
 * PTE stays where it is.
 *
 * Walking that list is the slow path. Counts up to 16 are rounded up to 1,
 * 2, 4, 8 or 16 (NT's bins) and served from a cache per size: a stack of
 * runs of exactly that size, linked through their first PTEs, refilled 32
 * runs at a time by cutting one larger run from the free list (aligned, so
 * a run of 4 starts at a multiple of 4). Releases of those sizes go back to
 * the cache until it holds 64 runs. The cache stacks are NT's SLISTs
 * (include/slist.h), lock-free: a run's first PTE is its list entry and
 * holds the address of the next run's first PTE, so a reservation or
 * release of a cached size takes no lock.
 *
 * The TLB rule. Releasing zeroes the PTEs but does not flush the TLB, which
 * may still translate the old addresses. So a released run is "waiting":
 * it goes onto a waiting stack of its size's cache, or for other sizes onto
 * a waiting list, never straight where reservations look. Only a flush of
 * the whole TLB (MiFlushWaitingPtes) turns every waiting run into a usable
 * one: waiting cache runs become the cache's usable runs, waiting list runs
 * merge into the free list. That flush is KeFlushCurrentTb, which toggles
 * CR4.PGE and so drops global translations too: system PTEs are global when
 * the CPU has PGE, so a CR3 reload (KeFlushProcessTb) would keep them, and
 * HalInvalidatePage drops only one page. The flush happens when a cache has no
 * usable run but some waiting, when a reservation cannot be met otherwise,
 * or when 1,024 PTEs wait on the list. One flush serves hundreds of
 * releases; no address is handed out while a stale translation of it might
 * exist. (NT does the same with a flush time stamp per cached run.)
 *
 * Misuse is caught with a start bit and an end bit per PTE, as NT keeps them
 * (MiPteStartBitmap, MiPteEndBitmap) when it tracks system PTEs: a
 * reservation sets the start bit of its first PTE and the end bit of its
 * last. mm386 interleaves the two, two bits per PTE and sixteen PTEs per
 * word, so a small reservation is set, checked and cleared with one word.
 * A release of PTEs that are not reserved, of the middle of a reservation,
 * or of the wrong count is SYSTEM_PTE_MISUSE (0xDA). The map also answers
 * "which reservation holds this PTE" without a lock (MmIdentifyKernelStack).
 *
 * MmTotalSystemPtes and MmTotalFreeSystemPtes count the pool; the PTEs in
 * use (their difference) are the test harness's leak guard. One spin lock,
 * MiSystemPteLock, guards the free list, the waiting list and everything
 * that refills, flushes or drains the caches; callers may be at
 * DISPATCH_LEVEL. What the lock-free cache paths touch as well — the cache
 * stacks, the map words, the free count — is changed only with interlocked
 * instructions, by everyone. Growing into the extension takes the
 * page-table and PFN locks inside it, so those come after it in the lock
 * order.
 */
#include "mi.h"
#include "syspte.h"

static const UCHAR MiBinOfCount[MI_PTE_BIN_LIMIT + 1] = {
    0, 0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4,
};
const ULONG MiBinSize[MI_PTE_BINS] = { 1, 2, 4, 8, 16 };

ULONG MmTotalSystemPtes, MmTotalFreeSystemPtes;   /* the free count changes only with interlocked additions */
MMPTE MmFirstFreeSystemPte;      /* NextEntry: the first free run */
MMPTE MiWaitingPtes;             /* NextEntry: the first waiting run of an uncached size */
ULONG MiWaitingListPtes;         /* PTEs on that list */
ULONG MiSystemPteFlushes, MiSystemPteFailures;
MI_PTE_BIN MiPteBins[MI_PTE_BINS];
/* The cache a count of 1..16 PTEs is served from (NT's MmSysPteTables), by count: one load on the fast paths. */
static MI_PTE_BIN *const MiBinForCount[MI_PTE_BIN_LIMIT + 1] = {
    NULL, &MiPteBins[0], &MiPteBins[1], &MiPteBins[2], &MiPteBins[2],
    &MiPteBins[3], &MiPteBins[3], &MiPteBins[3], &MiPteBins[3],
    &MiPteBins[4], &MiPteBins[4], &MiPteBins[4], &MiPteBins[4],
    &MiPteBins[4], &MiPteBins[4], &MiPteBins[4], &MiPteBins[4],
};
KSPIN_LOCK MiSystemPteLock;

MI_PTE_REGION MiBaseRegion, MiExtraRegion;
static ULONG MiBaseMap[MI_MAXIMUM_BASE_SYSTEM_PTES / MI_MAP_PTES_PER_WORD];
static ULONG MiExtraMap[MI_MAXIMUM_EXTRA_SYSTEM_PTES / MI_MAP_PTES_PER_WORD];

static inline void MiZeroPte(PMMPTE Pte)
{
    MiWritePte(Pte, (MMPTE){ .u.Long = 0 });
}

/* Writes a list PTE: Link in NextEntry, OneEntry as given. */
static inline void MiWriteListPte(PMMPTE Pte, ULONG Link, bool OneEntry)
{
    MMPTE Value = { .u.Long = 0 };
    Value.u.List.NextEntry = Link;
    Value.u.List.OneEntry = OneEntry;
    MiWritePte(Pte, Value);
}

/* Writes the head of a free run: its link, and its size in the second PTE unless it is one PTE. */
static void MiWriteRun(PMMPTE Run, ULONG Size, ULONG Next)
{
    if (Size > 1)
        MiWriteListPte(Run + 1, Size, false);
    MiWriteListPte(Run, Next, Size == 1);
}

/* Zeroes the (one or two) PTEs that hold a run's head. */
static void MiEraseRunHead(PMMPTE Run, ULONG Size)
{
    MiZeroPte(Run);
    if (Size > 1)
        MiZeroPte(Run + 1);
}

/* ------------------------------------------------------------ reservation map */

/*
 * For a cached size: the map bits of a reservation of that size starting at
 * bit 0 of a word (its start bit and its end bit), and all the bits it
 * covers. Indexed by bin.
 */
#define MI_MAP_MARK(Size)   (1u | (2u << (2 * ((Size) - 1))))
#define MI_MAP_SPAN(Size)   (0xFFFFFFFFu >> (32 - 2 * (Size)))
static const ULONG MiBinMark[MI_PTE_BINS] = {
    MI_MAP_MARK(1), MI_MAP_MARK(2), MI_MAP_MARK(4), MI_MAP_MARK(8), MI_MAP_MARK(16),
};
static const ULONG MiBinSpan[MI_PTE_BINS] = {
    MI_MAP_SPAN(1), MI_MAP_SPAN(2), MI_MAP_SPAN(4), MI_MAP_SPAN(8), MI_MAP_SPAN(16),
};

/* Map words are shared with the lock-free cache paths: every change is interlocked. */
static inline void MiMapSetStart(ULONG *Map, ULONG Pte)
{
    __atomic_fetch_or(&Map[Pte / MI_MAP_PTES_PER_WORD], 1u << (2 * (Pte % MI_MAP_PTES_PER_WORD)),
                      __ATOMIC_RELAXED);
}

static inline void MiMapSetEnd(ULONG *Map, ULONG Pte)
{
    __atomic_fetch_or(&Map[Pte / MI_MAP_PTES_PER_WORD], 2u << (2 * (Pte % MI_MAP_PTES_PER_WORD)),
                      __ATOMIC_RELAXED);
}

/*
 * Clears the start bit of First and the end bit of Last. False, with
 * nothing cleared, if First's start bit was already clear: another release
 * of the same reservation got there first.
 */
static inline bool MiMapClear(ULONG *Map, ULONG First, ULONG Last)
{
    ULONG Start = 1u << (2 * (First % MI_MAP_PTES_PER_WORD));
    if (!(__atomic_fetch_and(&Map[First / MI_MAP_PTES_PER_WORD], ~Start, __ATOMIC_RELAXED) & Start))
        return false;
    __atomic_fetch_and(&Map[Last / MI_MAP_PTES_PER_WORD], ~(2u << (2 * (Last % MI_MAP_PTES_PER_WORD))),
                       __ATOMIC_RELAXED);
    return true;
}

static inline bool MiMapIsStart(const ULONG *Map, ULONG Pte)
{
    return (Map[Pte / MI_MAP_PTES_PER_WORD] >> (2 * (Pte % MI_MAP_PTES_PER_WORD))) & 1;
}

/* The first PTE at or after From, below Limit, whose start (Kind = MI_MAP_START_BITS) or end bit is set; Limit if none. */
ULONG MiMapFindNext(const ULONG *Map, ULONG Kind, ULONG From, ULONG Limit)
{
    if (From >= Limit)
        return Limit;
    ULONG Word = From / MI_MAP_PTES_PER_WORD;
    ULONG Bits = Map[Word] & Kind & (0xFFFFFFFFu << (2 * (From % MI_MAP_PTES_PER_WORD)));
    while (Bits == 0) {
        if (++Word * MI_MAP_PTES_PER_WORD >= Limit)
            return Limit;
        Bits = Map[Word] & Kind;
    }
    ULONG Found = Word * MI_MAP_PTES_PER_WORD + (ULONG)__builtin_ctz(Bits) / 2;
    return Found < Limit ? Found : Limit;
}

/* The last PTE at or before From whose start (or end) bit is set; MI_NO_BIT if none. */
static ULONG MiMapFindPrevious(const ULONG *Map, ULONG Kind, ULONG From)
{
    ULONG Word = From / MI_MAP_PTES_PER_WORD;
    ULONG Bits = Map[Word] & Kind & (0xFFFFFFFFu >> (30 - 2 * (From % MI_MAP_PTES_PER_WORD)));
    while (Bits == 0) {
        if (Word == 0)
            return MI_NO_BIT;
        Bits = Map[--Word] & Kind;
    }
    return Word * MI_MAP_PTES_PER_WORD + (31 - (ULONG)__builtin_clz(Bits)) / 2;
}

/*
 * The map word and shift of the PTE with index Index (VA >> 12), on the fast
 * paths. Both regions start on a page-table boundary, so a PTE's slot in its
 * word is its index modulo 16, and the base region starts at a constant.
 */
#define MI_BASE_FIRST_INDEX     (MM_LOWEST_NONPAGED_SYSTEM_START >> PAGE_SHIFT)
static ULONG MiExtraFirstIndex;

static inline ULONG *MiBaseMapWordOfIndex(ULONG Index)
{
    return &MiBaseMap[Index / MI_MAP_PTES_PER_WORD - MI_BASE_FIRST_INDEX / MI_MAP_PTES_PER_WORD];
}

static inline ULONG *MiMapWordOfIndex(ULONG Index)
{
    if (LIKELY(Index >= MI_BASE_FIRST_INDEX))
        return MiBaseMapWordOfIndex(Index);
    return &MiExtraMap[(Index - MiExtraFirstIndex) / MI_MAP_PTES_PER_WORD];
}

static inline ULONG MiMapShiftOfIndex(ULONG Index)
{
    return 2 * (Index % MI_MAP_PTES_PER_WORD);
}

/* ------------------------------------------------------------ cache stacks */

/*
 * A cache is two SLISTs (include/slist.h) of runs: the entry of a run is
 * its first PTE, which holds the address of the next run's first PTE (NULL
 * for the last). That is a pointer with bits 0 and 1 clear, so the PTE is
 * not valid and OneEntry is clear; the run's other PTEs are zero. A pop may
 * read the link of a run that another path has just popped and mapped:
 * the PTE is always readable (the pool's page tables exist) and the head
 * has changed, so the exchange fails and the pop retries.
 */
static inline PMMPTE MiEntryRun(PSLIST_ENTRY Entry)
{
    return (PMMPTE)Entry;
}

static inline PSLIST_ENTRY MiRunEntry(PMMPTE Run)
{
    return (PSLIST_ENTRY)Run;
}

/* Writes Run's link to Next (NULL: the last run of a chain). */
static inline void MiWriteCacheLink(PMMPTE Run, PMMPTE Next)
{
    MiWritePte(Run, (MMPTE){ .u.Long = (ULONG)Next });
}

/* Runs a cache holds, usable and waiting: a bound, read without the lock. */
static inline ULONG MiBinHeld(const MI_PTE_BIN *Bin)
{
    return ExQueryDepthSList(&Bin->Usable) + ExQueryDepthSList(&Bin->Waiting);
}

/* ---------------------------------------------------------------- free list */

/*
 * Puts Count PTEs starting at First on the address-ordered free list,
 * merged with a free run that ends just before or starts just after it.
 * Lock held. Only PTEs with no translation left in the TLB may come here.
 */
static void MiInsertFreeRun(PMMPTE First, ULONG Count)
{
    PMMPTE Previous = NULL;                 /* the run before First, NULL for the list head */
    ULONG Next = MmFirstFreeSystemPte.u.List.NextEntry;

    while (Next != MM_EMPTY_PTE_LIST && MiIndexToPte(Next) < First) {
        Previous = MiIndexToPte(Next);
        Next = Previous->u.List.NextEntry;
    }
    MiEraseRunHead(First, Count);           /* a waiting run still has its head written */

    if (Next != MM_EMPTY_PTE_LIST && First + Count == MiIndexToPte(Next)) {
        PMMPTE Following = MiIndexToPte(Next);
        ULONG FollowingSize = MiRunSize(Following);
        Next = Following->u.List.NextEntry;
        MiEraseRunHead(Following, FollowingSize);
        Count += FollowingSize;
    }
    if (Previous && Previous + MiRunSize(Previous) == First) {
        MiWriteRun(Previous, MiRunSize(Previous) + Count, Next);
        return;
    }
    MiWriteRun(First, Count, Next);
    if (Previous)
        MiWriteListPte(Previous, MiPteToIndex(First), Previous->u.List.OneEntry);
    else
        MmFirstFreeSystemPte.u.List.NextEntry = MiPteToIndex(First);
}

/*
 * Takes Count PTEs from the first free run that holds Count PTEs starting
 * at a multiple of Align (a power of two; PTE indexes count from VA 0), as
 * near the run's end as that allows, so the link PTE usually stays put.
 * What is left before and after stays free. Returns the PTEs zeroed, or
 * NULL. Lock held.
 */
static PMMPTE MiTakeFreeRun(ULONG Count, ULONG Align)
{
    PMMPTE Previous = NULL;
    ULONG Next = MmFirstFreeSystemPte.u.List.NextEntry;

    while (Next != MM_EMPTY_PTE_LIST) {
        PMMPTE Run = MiIndexToPte(Next);
        ULONG Size = MiRunSize(Run);
        Next = Run->u.List.NextEntry;
        ULONG Take = ROUND_DOWN(MiPteToIndex(Run) + Size - Count, Align);
        if (Size >= Count && Take >= MiPteToIndex(Run)) {
            PMMPTE Taken = MiIndexToPte(Take);
            ULONG Before = (ULONG)(Taken - Run), After = Size - Before - Count;
            ULONG Link = Next;
            MiEraseRunHead(Run, Size);
            if (After) {
                MiWriteRun(Taken + Count, After, Next);
                Link = MiPteToIndex(Taken + Count);
            }
            if (Before)
                MiWriteRun(Run, Before, Link);
            else if (Previous)
                MiWriteListPte(Previous, Link, Previous->u.List.OneEntry);
            else
                MmFirstFreeSystemPte.u.List.NextEntry = Link;
            return Taken;
        }
        Previous = Run;
    }
    return NULL;
}

/* ------------------------------------------------------ the flush and caches */

/*
 * Makes the chain of runs starting at First (linked through first PTEs,
 * ending in NULL) usable: pushed in front of the usable runs as one chain.
 * Lock held.
 */
static void MiAppendUsableRuns(MI_PTE_BIN *Bin, PSLIST_ENTRY First)
{
    PSLIST_ENTRY Last = First;
    ULONG Count = 1;
    for (; Last->Next; Last = Last->Next)
        Count++;
    InterlockedPushListSList(&Bin->Usable, First, Last, Count);
}

/*
 * The one place waiting PTEs become usable: every cache's waiting runs are
 * taken, the whole TLB is flushed, and then they join the cache's usable
 * runs; the waiting list merges into the free list. A run released after
 * its stack was taken stays waiting for the next flush. Lock held.
 */
static void MiFlushWaitingPtes(void)
{
    PSLIST_ENTRY Taken[MI_PTE_BINS];

    for (ULONG i = 0; i < MI_PTE_BINS; i++)
        Taken[i] = InterlockedFlushSList(&MiPteBins[i].Waiting);
    KeFlushCurrentTb();
    MiSystemPteFlushes++;

    for (ULONG i = 0; i < MI_PTE_BINS; i++) {
        if (Taken[i])
            MiAppendUsableRuns(&MiPteBins[i], Taken[i]);
    }
    while (MiWaitingPtes.u.List.NextEntry != MM_EMPTY_PTE_LIST) {
        PMMPTE Run = MiIndexToPte(MiWaitingPtes.u.List.NextEntry);
        MiWaitingPtes.u.List.NextEntry = Run->u.List.NextEntry;
        MiInsertFreeRun(Run, MiRunSize(Run));
    }
    MiWaitingListPtes = 0;
}

static bool MiAnyWaiting(void)
{
    if (MiWaitingListPtes)
        return true;
    for (ULONG i = 0; i < MI_PTE_BINS; i++) {
        if (RtlFirstEntrySList(&MiPteBins[i].Waiting))
            return true;
    }
    return false;
}

/* PTEs the caches hold, usable or waiting. */
ULONG MiCachedPtes(void)
{
    ULONG Ptes = 0;
    for (ULONG i = 0; i < MI_PTE_BINS; i++)
        Ptes += MiBinHeld(&MiPteBins[i]) * MiBinSize[i];
    return Ptes;
}

/* Flushes, then empties every cache onto the free list. Lock held. */
static void MiDrainCaches(void)
{
    if (MiAnyWaiting())
        MiFlushWaitingPtes();
    for (ULONG i = 0; i < MI_PTE_BINS; i++) {
        MI_PTE_BIN *Bin = &MiPteBins[i];
        for (PSLIST_ENTRY Entry = InterlockedFlushSList(&Bin->Usable); Entry;) {
            PSLIST_ENTRY Next = Entry->Next;
            MiInsertFreeRun(MiEntryRun(Entry), Bin->Size);
            Entry = Next;
        }
    }
}

/*
 * Adds the next page-table-sized piece of the extension to the pool. False
 * if the extension is used up or no page was left for its page table. Lock
 * held (takes the page-table and PFN locks inside).
 */
static bool MiExtendSystemPtes(void)
{
    MI_PTE_REGION *Region = &MiExtraRegion;
    if (Region->End == Region->Limit)
        return false;
    if (!MiEnsureSystemPageTable(MiPteToAddress(Region->End)))
        return false;
    PMMPTE First = Region->End;
    ULONG Count = MIN((ULONG)PTE_PER_PAGE, (ULONG)(Region->Limit - First));
    Region->End += Count;
    MmTotalSystemPtes += Count;
    __atomic_fetch_add(&MmTotalFreeSystemPtes, Count, __ATOMIC_RELAXED);
    MiInsertFreeRun(First, Count);
    return true;
}

/*
 * Takes Count PTEs (aligned as MiTakeFreeRun does) from the free list,
 * doing what it takes first: flush the waiting PTEs, then empty the caches,
 * then grow into the extension. NULL if none of that finds them. Lock held.
 */
static PMMPTE MiTakeFreeRunOrRecover(ULONG Count, ULONG Align)
{
    PMMPTE Pte = MiTakeFreeRun(Count, Align);
    if (Pte)
        return Pte;
    if (MiAnyWaiting()) {
        MiFlushWaitingPtes();
        if ((Pte = MiTakeFreeRun(Count, Align)))
            return Pte;
    }
    if (MiCachedPtes()) {
        MiDrainCaches();
        if ((Pte = MiTakeFreeRun(Count, Align)))
            return Pte;
    }
    if (Count > (ULONG)(MiExtraRegion.Limit - MiExtraRegion.First))
        return NULL;
    while (MiExtendSystemPtes()) {
        if ((Pte = MiTakeFreeRun(Count, Align)))
            return Pte;
    }
    return NULL;
}

/*
 * Cuts runs for an empty cache from the free list: 32 at once if one cut
 * can give them. They are aligned to their size, so no cached run straddles
 * a word of the reservation map. Lock held.
 */
static void MiRefillBin(ULONG BinIndex)
{
    MI_PTE_BIN *Bin = &MiPteBins[BinIndex];
    ULONG Size = MiBinSize[BinIndex];
    ULONG Runs = MI_PTE_BIN_REFILL;
    PMMPTE Chunk = MiTakeFreeRun(Size * Runs, Size);

    if (!Chunk) {
        Runs = 1;
        Chunk = MiTakeFreeRunOrRecover(Size, Size);
        if (!Chunk)
            return;
    }
    /* Linked in address order and pushed as one chain, so the lowest run is handed out first. */
    for (ULONG i = 0; i + 1 < Runs; i++)
        MiWriteCacheLink(Chunk + i * Size, Chunk + (i + 1) * Size);
    PMMPTE Last = Chunk + (Runs - 1) * Size;
    InterlockedPushListSList(&Bin->Usable, MiRunEntry(Chunk), MiRunEntry(Last), Runs);
}

/*
 * The cache had no usable run: flush if it has waiting ones, else refill it
 * from the free list. Then pops a run, or returns NULL. Lock held.
 */
static PMMPTE __attribute__((noinline)) MiPopEmptyBin(ULONG BinIndex)
{
    MI_PTE_BIN *Bin = &MiPteBins[BinIndex];

    if (RtlFirstEntrySList(&Bin->Waiting))
        MiFlushWaitingPtes();
    else
        MiRefillBin(BinIndex);
    PSLIST_ENTRY Entry = InterlockedPopEntrySList(&Bin->Usable);
    if (!Entry)
        return NULL;
    PMMPTE Run = MiEntryRun(Entry);
    MiZeroPte(Run);
    return Run;
}

/* ------------------------------------------------------------ reserve/release */

ULONG MiSystemPteAllocationSize(ULONG NumberOfPtes)
{
    return NumberOfPtes <= MI_PTE_BIN_LIMIT ? MiBinSize[MiBinOfCount[NumberOfPtes]] : NumberOfPtes;
}

/*
 * Everything but a cache hit: an empty cache to flush or refill, or a
 * count the caches do not serve. Marks the reservation in the map. Lock held.
 */
static PMMPTE __attribute__((noinline)) MiReserveSlow(ULONG NumberOfPtes)
{
    if (NumberOfPtes == 0)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_RESERVE_NONE, 0, 0, 0);
    ULONG Size = MiSystemPteAllocationSize(NumberOfPtes);
    PMMPTE Pte = NumberOfPtes <= MI_PTE_BIN_LIMIT ? MiPopEmptyBin(MiBinOfCount[NumberOfPtes])
                                                  : MiTakeFreeRunOrRecover(Size, 1);
    if (!Pte) {
        MiSystemPteFailures++;
        return NULL;
    }
    /* The extension lies below the base region. */
    MI_PTE_REGION *Region = Pte >= MiBaseRegion.First ? &MiBaseRegion : &MiExtraRegion;
    ULONG First = (ULONG)(Pte - Region->First);
    MiMapSetStart(Region->Map, First);
    MiMapSetEnd(Region->Map, First + Size - 1);
    __atomic_fetch_sub(&MmTotalFreeSystemPtes, Size, __ATOMIC_RELAXED);
    return Pte;
}

/* MiReserveSlow under the lock. */
static __attribute__((noinline)) PMMPTE MiReserveLocked(ULONG NumberOfPtes)
{
    KIRQL OldIrql;
    KeAcquireSpinLock(&MiSystemPteLock, &OldIrql);
    PMMPTE Pte = MiReserveSlow(NumberOfPtes);
    KeReleaseSpinLock(&MiSystemPteLock, OldIrql);
    return Pte;
}

/*
 * The common case, lock-free: a cached size whose cache has a usable run,
 * popped off its stack. The run is aligned to its size, so its map bits
 * share one word, set with one interlocked or. Anything else — and a call
 * above DISPATCH_LEVEL, which the lock's raise then refuses as it always
 * has — takes the lock and MiReserveSlow.
 */
PMMPTE MiReserveSystemPtes(ULONG NumberOfPtes, MMSYSTEM_PTE_POOL_TYPE SystemPtePoolType)
{
    ASSERT(SystemPtePoolType == SystemPteSpace);
    if (LIKELY(NumberOfPtes - 1 < MI_PTE_BIN_LIMIT && KeGetCurrentIrql() <= DISPATCH_LEVEL)) {
        MI_PTE_BIN *Bin = MiBinForCount[NumberOfPtes];
        PSLIST_ENTRY Entry = InterlockedPopEntrySList(&Bin->Usable);
        if (LIKELY(Entry != NULL)) {
            PMMPTE Pte = MiEntryRun(Entry);
            ULONG Index = MiPteToIndex(Pte);
            MiZeroPte(Pte);
            __atomic_fetch_or(MiMapWordOfIndex(Index), Bin->Mark << MiMapShiftOfIndex(Index), __ATOMIC_RELAXED);
            __atomic_fetch_sub(&MmTotalFreeSystemPtes, Bin->Size, __ATOMIC_RELAXED);
            return Pte;
        }
    }
    return MiReserveLocked(NumberOfPtes);
}

/* A release that is not exactly one reservation: SYSTEM_PTE_MISUSE with what is wrong. Lock held. */
static NORETURN void __attribute__((noinline)) MiBadRelease(PMMPTE StartingPte, ULONG NumberOfPtes)
{
    ULONG_PTR Va = (ULONG_PTR)MiPteToAddress(StartingPte);
    PMMPTE Start;

    if (NumberOfPtes == 0)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_RELEASE_NONE, Va, 0, 0);
    if (!MiRegionOf(StartingPte))
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_RELEASE_NOT_PERMITTED, Va, NumberOfPtes, 0);
    ULONG Length = MiQuerySystemPteAllocation(StartingPte, &Start);
    if (Length == 0)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_RELEASE_ALREADY_FREE, Va, Va, NumberOfPtes);
    if (Start != StartingPte)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_RELEASE_MIDDLE, Va, NumberOfPtes, 0);
    KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_RELEASE_WRONG_COUNT, Va, NumberOfPtes, Length);
}

/*
 * Zeroes a released run and puts it where it waits for the next TLB flush:
 * the cache of its size (Bin, NULL for an uncached size) if that has room,
 * else the waiting list. Lock held.
 */
static inline void MiQueueReleasedRun(PMMPTE Run, ULONG Size, MI_PTE_BIN *Bin)
{
    if (Size > 1)                           /* the first PTE is rewritten below either way */
        RtlFillMemoryUlong(Run + 1, (Size - 1) * sizeof(MMPTE), 0);
    __atomic_fetch_add(&MmTotalFreeSystemPtes, Size, __ATOMIC_RELAXED);

    if (LIKELY(Bin != NULL && MiBinHeld(Bin) < MI_PTE_BIN_MAXIMUM)) {
        InterlockedPushEntrySList(&Bin->Waiting, MiRunEntry(Run));
        return;
    }
    MiWriteRun(Run, Size, MiWaitingPtes.u.List.NextEntry);
    MiWaitingPtes.u.List.NextEntry = MiPteToIndex(Run);
    MiWaitingListPtes += Size;
    if (MiWaitingListPtes >= MI_WAITING_PTE_LIMIT)
        MiFlushWaitingPtes();
}

/*
 * Any release: checks with the map that StartingPte begins a reservation
 * whose first end bit is on the last PTE released, clears both bits and
 * queues the run. Lock held.
 */
static void __attribute__((noinline)) MiReleaseAnyRun(PMMPTE StartingPte, ULONG NumberOfPtes)
{
    MI_PTE_REGION *Region = MiRegionOf(StartingPte);
    if (!Region || NumberOfPtes == 0)
        MiBadRelease(StartingPte, NumberOfPtes);
    ULONG Size = MiSystemPteAllocationSize(NumberOfPtes);
    ULONG First = (ULONG)(StartingPte - Region->First), Last = First + Size - 1;
    if (!MiMapIsStart(Region->Map, First) ||
        MiMapFindNext(Region->Map, MI_MAP_END_BITS, First, (ULONG)(Region->End - Region->First)) != Last)
        MiBadRelease(StartingPte, NumberOfPtes);
    if (!MiMapClear(Region->Map, First, Last))
        MiBadRelease(StartingPte, NumberOfPtes);
    MiQueueReleasedRun(StartingPte, Size,
                       Size <= MI_PTE_BIN_LIMIT ? &MiPteBins[MiBinOfCount[Size]] : NULL);
}

/* MiReleaseAnyRun under the lock. */
static __attribute__((noinline)) void MiReleaseLocked(PMMPTE StartingPte, ULONG NumberOfPtes)
{
    KIRQL OldIrql;
    KeAcquireSpinLock(&MiSystemPteLock, &OldIrql);
    MiReleaseAnyRun(StartingPte, NumberOfPtes);
    KeReleaseSpinLock(&MiSystemPteLock, OldIrql);
}

/*
 * The common case, lock-free: a cached size in the base region whose map
 * bits share one word. One interlocked compare-exchange on that word checks
 * the start bit, the end bit and that nothing in between is marked, and
 * clears the two bits; the run is zeroed and pushed onto its cache's
 * waiting stack. Anything else, good or bad — and a call above
 * DISPATCH_LEVEL — takes the lock and MiReleaseAnyRun, which names any
 * misuse.
 */
void MiReleaseSystemPtes(PMMPTE StartingPte, ULONG NumberOfPtes, MMSYSTEM_PTE_POOL_TYPE SystemPtePoolType)
{
    ASSERT(SystemPtePoolType == SystemPteSpace);
    if (LIKELY(StartingPte >= MiBaseRegion.First && StartingPte < MiBaseRegion.End &&
               NumberOfPtes - 1 < MI_PTE_BIN_LIMIT && KeGetCurrentIrql() <= DISPATCH_LEVEL)) {
        MI_PTE_BIN *Bin = MiBinForCount[NumberOfPtes];
        ULONG Index = MiPteToIndex(StartingPte);
        ULONG Shift = MiMapShiftOfIndex(Index);
        ULONG *Word = MiBaseMapWordOfIndex(Index);
        ULONG Bits = *Word;
        /*
         * The word shifted down to the run's slot must show exactly the
         * run's start and end bits over its span; a run that would not fit
         * the word cannot (its end bit is shifted out). The exchange clears
         * both only if nobody changed the word meanwhile; if somebody did,
         * the locked path decides.
         */
        if (LIKELY(((Bits >> Shift) & Bin->Span) == Bin->Mark && MiBinHeld(Bin) < MI_PTE_BIN_MAXIMUM &&
                   __sync_bool_compare_and_swap(Word, Bits, Bits ^ (Bin->Mark << Shift)))) {
            ULONG Size = Bin->Size;
            if (Size > 1)                       /* the first PTE becomes the stack link */
                RtlFillMemoryUlong(StartingPte + 1, (Size - 1) * sizeof(MMPTE), 0);
            __atomic_fetch_add(&MmTotalFreeSystemPtes, Size, __ATOMIC_RELAXED);
            InterlockedPushEntrySList(&Bin->Waiting, MiRunEntry(StartingPte));
            return;
        }
    }
    MiReleaseLocked(StartingPte, NumberOfPtes);
}

ULONG MiQuerySystemPteAllocation(PMMPTE Pte, PMMPTE *Start)
{
    MI_PTE_REGION *Region = MiRegionOf(Pte);
    if (!Region)
        return 0;
    ULONG Limit = (ULONG)(Region->End - Region->First);
    ULONG First = MiMapFindPrevious(Region->Map, MI_MAP_START_BITS, (ULONG)(Pte - Region->First));
    if (First == MI_NO_BIT)
        return 0;
    ULONG Last = MiMapFindNext(Region->Map, MI_MAP_END_BITS, First, Limit);
    if (Last == Limit || Region->First + Last < Pte)
        return 0;
    *Start = Region->First + First;
    return Last - First + 1;
}

/* ---------------------------------------------------------------------- setup */

void MiInitializeSystemPtes(void)
{
    ULONG First = (ULONG)MmNonPagedSystemStart;
    ULONG End = First + MmNumberOfSystemPtes * PAGE_SIZE;

    ASSERT(MmNumberOfSystemPtes <= MI_MAXIMUM_BASE_SYSTEM_PTES);
    ASSERT(MmNumberOfExtraSystemPtes <= MI_MAXIMUM_EXTRA_SYSTEM_PTES);
    KeInitializeSpinLock(&MiSystemPteLock);
    for (ULONG Va = First; Va < End; Va += 1u << PDE_SHIFT) {
        if (!MiEnsureSystemPageTable((PVOID)Va))
            KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_NO_PAGE_TABLE, Va, 0, 0);
    }
    MiBaseRegion = (MI_PTE_REGION){
        .First = MiAddressToPte(First), .End = MiAddressToPte(End), .Limit = MiAddressToPte(End),
        .Map = MiBaseMap,
    };
    /* The extension starts empty; its pieces are page-table aligned, as the split is. */
    PMMPTE Extra = MiAddressToPte(MiSystemCacheStartExtra);
    MiExtraRegion = (MI_PTE_REGION){
        .First = Extra, .End = Extra, .Limit = Extra + MmNumberOfExtraSystemPtes,
        .Map = MiExtraMap,
    };
    ASSERT(MiIsPteOnPdeBoundary(Extra) && MiExtraRegion.Limit <= MiBaseRegion.First);

    MmFirstFreeSystemPte.u.List.NextEntry = MM_EMPTY_PTE_LIST;
    MiWaitingPtes.u.List.NextEntry = MM_EMPTY_PTE_LIST;
    MiExtraFirstIndex = MiPteToIndex(Extra);
    ASSERT(MiBaseRegion.First == MiIndexToPte(MI_BASE_FIRST_INDEX));
    for (ULONG i = 0; i < MI_PTE_BINS; i++) {
        MiPteBins[i] = (MI_PTE_BIN){ .Size = MiBinSize[i], .Mark = MiBinMark[i], .Span = MiBinSpan[i] };
        InitializeSListHead(&MiPteBins[i].Usable);
        InitializeSListHead(&MiPteBins[i].Waiting);
    }
    MmTotalSystemPtes = MmTotalFreeSystemPtes = MmNumberOfSystemPtes;
    MiInsertFreeRun(MiBaseRegion.First, MmNumberOfSystemPtes);
}

void MiDrainSystemPteCaches(void)
{
    KIRQL OldIrql;
    KeAcquireSpinLock(&MiSystemPteLock, &OldIrql);
    MiDrainCaches();
    KeReleaseSpinLock(&MiSystemPteLock, OldIrql);
}
