/*
 * mm/poolblk.c — small pool blocks: cutting pool pages into blocks and
 * putting them back together (NT's free lists in a POOL_DESCRIPTOR).
 *
 * A request of up to 4080 bytes (POOL_BUDDY_MAX) is a small block cut out
 * of a pool page: an 8-byte POOL_HEADER followed by the caller's bytes,
 * everything measured in 8-byte units. The headers chain through the page
 * — BlockSize leads to the next block, PreviousSize back to the one before
 * — so the blocks of a page always add up to exactly 512 units. Each pool
 * (nonpaged, paged) has a POOL_DESCRIPTOR with a free list per block size;
 * a free block keeps its list links in its body.
 *
 * Allocating takes the first free block at least as large as the request
 * (mm386 keeps a bitmap of the non-empty lists, so that is one bit scan,
 * not a walk of 512 list heads), and splits it: a block that starts its
 * page gives its front, any other its back, and the remainder goes back on
 * its list. With no free block, a fresh page comes from poolpage.c.
 * Freeing checks the block against both neighbours (BAD_POOL_HEADER 0x19),
 * marks it free and merges it with a free neighbour on either side, so two
 * free blocks are never adjacent; when the merged block is the whole page,
 * the page goes back to poolpage.c. A leftover of one unit (8 bytes, too
 * small for list links) stays in the page unlisted until a neighbour's
 * free absorbs it. Nonpaged pool's lists are locked by a spin lock, paged
 * pool's by a fast mutex (its pages fault in on first touch).
 *
 * pool.c decides which requests and frees come here; this file trusts the
 * pool type and tag it is given, and checks the headers.
 */
#include <kd.h>
#include "mi.h"

POOL_DESCRIPTOR NonPagedPoolDescriptor, PagedPoolDescriptor;
static KSPIN_LOCK ExpNonPagedPoolLock;
static FAST_MUTEX ExpPagedPoolMutex;

static inline PLIST_ENTRY FreeLinks(PPOOL_HEADER Entry)
{
    return (PLIST_ENTRY)(Entry + 1);
}

/*
 * The header as two 16-bit halves: PreviousSize | PoolIndex << 9 below
 * (ExpPreviousAndIndex, mm/mi.h), BlockSize | PoolType << 9 above. mm386
 * has one descriptor per pool type, so PoolIndex is always 0 and each half
 * is written with one plain store (bit-field assignments would read, mask
 * and write back).
 */
static inline ULONG SizeAndType(const POOL_HEADER *Entry)
{
    return ((const USHORT *)Entry)[1];
}

static inline void SetPreviousSize(PPOOL_HEADER Entry, ULONG Units)
{
    ((USHORT *)Entry)[0] = (USHORT)Units;
}

/* Type is a header PoolType: POOL_FREE_BLOCK, or the pool type + 1. */
static inline void SetSizeAndType(PPOOL_HEADER Entry, ULONG Units, ULONG Type)
{
    ((USHORT *)Entry)[1] = (USHORT)(Units | Type << POOL_TYPE_SHIFT);
}

/* The pool's lock (inline: on the list paths the pool type is a constant). Returns the IRQL to go back to. */
static inline __attribute__((always_inline)) KIRQL LockPool(POOL_TYPE BasePoolType)
{
    KIRQL OldIrql = PASSIVE_LEVEL;
    if (BasePoolType == NonPagedPool)
        KeAcquireSpinLock(&ExpNonPagedPoolLock, &OldIrql);
    else
        ExAcquireFastMutex(&ExpPagedPoolMutex);
    return OldIrql;
}

static inline __attribute__((always_inline)) void UnlockPool(POOL_TYPE BasePoolType, KIRQL OldIrql)
{
    if (BasePoolType == NonPagedPool)
        KeReleaseSpinLock(&ExpNonPagedPoolLock, OldIrql);
    else
        ExReleaseFastMutex(&ExpPagedPoolMutex);
}

/*
 * The bitmap of non-empty lists: bit n of ListsInUse says ListHeads[n] has
 * a block, bit w of ListsInUseSummary that word w of ListsInUse is not 0,
 * so the first non-empty list at or above a size is two bit scans away.
 * Pool locked.
 */
static inline void MarkListInUse(PPOOL_DESCRIPTOR Descriptor, ULONG List)
{
    Descriptor->ListsInUse[List / 32] |= 1u << (List % 32);
    Descriptor->ListsInUseSummary |= 1u << (List / 32);
}

static inline void MarkListEmpty(PPOOL_DESCRIPTOR Descriptor, ULONG List)
{
    if ((Descriptor->ListsInUse[List / 32] &= ~(1u << (List % 32))) == 0)
        Descriptor->ListsInUseSummary &= ~(1u << (List / 32));
}

/* Free lists. Only blocks of two units or more are listed, on the list of their size. Pool locked. */
static inline void InsertFreeBlock(PPOOL_DESCRIPTOR Descriptor, PPOOL_HEADER Entry, ULONG Size)
{
    InsertHeadList(&Descriptor->ListHeads[Size], FreeLinks(Entry));
    MarkListInUse(Descriptor, Size);
}

/*
 * Takes a listed block of Size units off its list. Links that do not point
 * back at the block were overwritten after it was freed: BAD_POOL_HEADER 3.
 */
static inline void RemoveFreeBlock(PPOOL_DESCRIPTOR Descriptor, PPOOL_HEADER Entry, ULONG Size)
{
    PLIST_ENTRY Links = FreeLinks(Entry), Flink = Links->Flink, Blink = Links->Blink;

    if (UNLIKELY(Flink->Blink != Links || Blink->Flink != Links))
        KeBugCheckEx(BAD_POOL_HEADER, 3, (ULONG_PTR)Links, (ULONG_PTR)Flink->Blink, (ULONG_PTR)Blink->Flink);
    Blink->Flink = Flink;
    Flink->Blink = Blink;
    if (Flink == Blink)                     /* both are the list head: the list is empty now */
        MarkListEmpty(Descriptor, Size);
}

/* The smallest non-empty list of blocks of at least Units units, or 0 if there is none. */
static inline ULONG FindFreeList(PPOOL_DESCRIPTOR Descriptor, ULONG Units)
{
    ULONG Word = Units / 32;
    ULONG Bits = Descriptor->ListsInUse[Word] & (0xFFFFFFFFu << (Units % 32));
    if (Bits == 0) {
        ULONG Words = Descriptor->ListsInUseSummary & (0xFFFFFFFEu << Word);
        if (Words == 0)
            return 0;
        Word = __builtin_ctz(Words);
        Bits = Descriptor->ListsInUse[Word];
    }
    return Word * 32 + __builtin_ctz(Bits);
}

static NORETURN __attribute__((noinline, cold)) void BadPoolHeader(ULONG Code, PVOID Entry, PVOID Other)
{
    KeBugCheckEx(BAD_POOL_HEADER, Code, (ULONG_PTR)Entry, 0, (ULONG_PTR)Other);
}

/*
 * Checks that Entry's size agrees with its page and its neighbours' headers.
 * Everything a merge or a split relies on is verified here, so a corrupt
 * header stops the machine instead of handing out overlapping blocks.
 */
static inline __attribute__((always_inline)) void CheckBlockNeighbours(PPOOL_HEADER Entry)
{
    ULONG Offset = ExpPageOffset(Entry);
    ULONG Size = Entry->BlockSize;
    ULONG Previous = Entry->PreviousSize;

    if (Size == 0)
        BadPoolHeader(8, NULL, Entry);
    if (Offset + Size > POOL_UNITS_PER_PAGE)
        BadPoolHeader(9, Entry, Entry);
    if (Offset + Size < POOL_UNITS_PER_PAGE && ExpBlockAt(Entry, Size)->PreviousSize != Size)
        BadPoolHeader(5, Entry, ExpBlockAt(Entry, Size));
    if (Previous > Offset || (Previous == 0 && Offset != 0))
        BadPoolHeader(6, Entry, Entry);
    if (Previous && ExpBlockAt(Entry, -(LONG)Previous)->BlockSize != Previous)
        BadPoolHeader(5, ExpBlockAt(Entry, -(LONG)Previous), Entry);
}

void ExpCheckBlockNeighbours(PPOOL_HEADER Entry)
{
    CheckBlockNeighbours(Entry);
}

/*
 * Puts a block that has just become free (on no list, its header checked)
 * back into its pool: merged with free neighbours, listed, or its page
 * returned when the merge covers the whole page. A free neighbour whose header no longer fits its page was changed
 * after it was freed: BAD_POOL_HEADER 0x0D (the next block) or 0x0E (the
 * previous one). Pool locked.
 */
static inline __attribute__((always_inline)) void ReleaseFreeBlock(PPOOL_DESCRIPTOR Descriptor, PPOOL_HEADER Entry)
{
    ULONG Size = Entry->BlockSize;
    ULONG End = ExpPageOffset(Entry) + Size;   /* in units; the block ends its page at POOL_UNITS_PER_PAGE */

    /* Free at once: if a merge swallows this header, a second free of the block still reads "free". */
    SetSizeAndType(Entry, Size, POOL_FREE_BLOCK);
    if (End < POOL_UNITS_PER_PAGE) {
        PPOOL_HEADER Next = ExpBlockAt(Entry, Size);
        ULONG NextHeader = SizeAndType(Next);
        if (NextHeader >> POOL_TYPE_SHIFT == POOL_FREE_BLOCK) {
            /* A free header's upper half is its size alone. */
            if (End + NextHeader > POOL_UNITS_PER_PAGE || NextHeader == 0)
                BadPoolHeader(0x0D, Next, Entry);
            if (NextHeader > 1)
                RemoveFreeBlock(Descriptor, Next, NextHeader);
            Size += NextHeader;
            End += NextHeader;
        }
    }
    ULONG PreviousSize = ExpPreviousAndIndex(Entry);
    if (PreviousSize) {
        PPOOL_HEADER Previous = ExpBlockAt(Entry, -(LONG)PreviousSize);
        ULONG PreviousHeader = SizeAndType(Previous);
        if (PreviousHeader >> POOL_TYPE_SHIFT == POOL_FREE_BLOCK) {
            if (ExpPreviousAndIndex(Previous) > ExpPageOffset(Previous))
                BadPoolHeader(0x0E, Previous, Entry);
            if (PreviousHeader > 1)
                RemoveFreeBlock(Descriptor, Previous, PreviousHeader);
            Size += PreviousHeader;
            Entry = Previous;
        }
    }
    if (Size == POOL_UNITS_PER_PAGE) {
        Descriptor->TotalPages--;
        MiFreePoolPages(Entry);
        return;
    }
    SetSizeAndType(Entry, Size, POOL_FREE_BLOCK);
    if (End < POOL_UNITS_PER_PAGE)
        SetPreviousSize(ExpBlockAt(Entry, Size), Size);
    if (Size > 1)
        InsertFreeBlock(Descriptor, Entry, Size);
}

/*
 * Cuts Units off the free block Entry of Size units (on no list) and returns
 * the allocated part, its upper header half not yet written; the rest goes
 * back on its list. Pool locked.
 */
static inline __attribute__((always_inline)) PPOOL_HEADER SplitBlock(PPOOL_DESCRIPTOR Descriptor,
                                                                     PPOOL_HEADER Entry, ULONG Size, ULONG Units)
{
    ULONG RestUnits = Size - Units;
    PPOOL_HEADER Allocated, Rest;

    if (RestUnits == 0)
        return Entry;
    bool Last = ExpPageOffset(Entry) + Size == POOL_UNITS_PER_PAGE;
    PPOOL_HEADER Next = ExpBlockAt(Entry, Size);
    if (ExpPreviousAndIndex(Entry) == 0) {
        /* The first block of its page gives its front. */
        Allocated = Entry;
        Rest = ExpBlockAt(Entry, Units);
        SetPreviousSize(Rest, Units);
        if (!Last)
            SetPreviousSize(Next, RestUnits);
    } else {
        Rest = Entry;
        Allocated = ExpBlockAt(Entry, RestUnits);
        SetPreviousSize(Allocated, RestUnits);
        if (!Last)
            SetPreviousSize(Next, Units);
    }
    SetSizeAndType(Rest, RestUnits, POOL_FREE_BLOCK);
    if (RestUnits > 1)
        InsertFreeBlock(Descriptor, Rest, RestUnits);
    return Allocated;
}

/*
 * Moves the body of the allocated block Entry up to the next cache line,
 * freeing the units skipped in front and the units beyond Units at the end.
 * Returns the aligned block. Pool locked.
 */
static PPOOL_HEADER AlignBlock(PPOOL_DESCRIPTOR Descriptor, PPOOL_HEADER Entry, ULONG Units)
{
    ULONG Body = (ULONG)(Entry + 1);
    ULONG Front = (ROUND_UP(Body, POOL_CACHE_ALIGNMENT) - Body) >> POOL_BLOCK_SHIFT;
    ULONG Size = Entry->BlockSize;

    if (Front) {
        PPOOL_HEADER Aligned = ExpBlockAt(Entry, Front);
        *Aligned = *Entry;
        SetPreviousSize(Aligned, Front);
        SetSizeAndType(Aligned, Size - Front, Entry->PoolType);
        if (ExpPageOffset(Entry) + Size < POOL_UNITS_PER_PAGE)
            SetPreviousSize(ExpBlockAt(Entry, Size), Size - Front);
        SetSizeAndType(Entry, Front, POOL_FREE_BLOCK);
        ReleaseFreeBlock(Descriptor, Entry);
        Entry = Aligned;
        Size -= Front;
    }
    if (Size > Units) {
        PPOOL_HEADER Tail = ExpBlockAt(Entry, Units);
        SetPreviousSize(Tail, Units);
        SetSizeAndType(Tail, Size - Units, POOL_FREE_BLOCK);
        if (ExpPageOffset(Entry) + Size < POOL_UNITS_PER_PAGE)
            SetPreviousSize(ExpBlockAt(Entry, Size), Size - Units);
        SetSizeAndType(Entry, Units, Entry->PoolType);
        ReleaseFreeBlock(Descriptor, Tail);
    }
    return Entry;
}

/*
 * A block of Units units (plus the slack a cache-aligned body needs) from
 * the free lists or, if MayGrow, a fresh page, with its header written for
 * Tag; NULL when the pool is exhausted (or no listed block fits and it may
 * not grow). Takes and releases the pool's lock.
 */
static inline __attribute__((always_inline)) PPOOL_HEADER AllocateSmallBlock(POOL_TYPE BasePoolType, ULONG Units,
                                                                             ULONG Tag, bool CacheAligned,
                                                                             bool MayGrow)
{
    PPOOL_DESCRIPTOR Descriptor = ExpPoolDescriptor(BasePoolType);
    ULONG Needed = Units + (CacheAligned ? POOL_CACHE_ALIGN_UNITS : 0);
    KIRQL OldIrql = LockPool(BasePoolType);
    PPOOL_HEADER Entry;
    ULONG List = FindFreeList(Descriptor, Needed);

    if (List) {
        Entry = (PPOOL_HEADER)Descriptor->ListHeads[List].Flink - 1;
        /* A listed block is free (PoolType 0), so its header's upper half is its size alone. */
        if (UNLIKELY(SizeAndType(Entry) != List))
            BadPoolHeader(0x0F, Entry, &Descriptor->ListHeads[List]);
        RemoveFreeBlock(Descriptor, Entry, List);
        Entry = SplitBlock(Descriptor, Entry, List, Needed);
    } else {
        Entry = MayGrow ? MiAllocatePoolPages(BasePoolType, PAGE_SIZE) : NULL;
        if (!Entry) {
            UnlockPool(BasePoolType, OldIrql);
            return NULL;
        }
        Descriptor->TotalPages++;
        SetPreviousSize(Entry, 0);
        PPOOL_HEADER Rest = ExpBlockAt(Entry, Needed);
        SetPreviousSize(Rest, Needed);
        SetSizeAndType(Rest, POOL_UNITS_PER_PAGE - Needed, POOL_FREE_BLOCK);
        Rest->PoolTag = 0;
        if (POOL_UNITS_PER_PAGE - Needed > 1)
            InsertFreeBlock(Descriptor, Rest, POOL_UNITS_PER_PAGE - Needed);
    }
    SetSizeAndType(Entry, Needed, BasePoolType + 1);
    Entry->PoolTag = Tag;
    if (CacheAligned)
        Entry = AlignBlock(Descriptor, Entry, Units);
    Descriptor->RunningAllocs++;
    UnlockPool(BasePoolType, OldIrql);
    return Entry;
}

/*
 * AllocateSmallBlock for each pool and for cache-aligned requests, with the
 * tag counted: the allocated body, or NULL when the pool is exhausted.
 */
/* One pool's block, counted against its tag; PoolType is a constant at each call. */
static inline __attribute__((always_inline)) PVOID AllocateCountedBlock(POOL_TYPE PoolType, ULONG Units, ULONG Tag)
{
    PPOOL_HEADER Entry = AllocateSmallBlock(PoolType, Units, Tag, false, true);
    if (!Entry)
        return NULL;
    ExpInsertPoolTracker(Tag, Units << POOL_BLOCK_SHIFT, PoolType);
    return Entry + 1;
}

__attribute__((regparm(3))) PVOID ExpAllocateNonPagedBlock(ULONG Units, ULONG Tag)
{
    return AllocateCountedBlock(NonPagedPool, Units, Tag);
}

__attribute__((regparm(3))) PVOID ExpAllocatePagedBlock(ULONG Units, ULONG Tag)
{
    return AllocateCountedBlock(PagedPool, Units, Tag);
}

__attribute__((regparm(3))) PVOID ExpAllocateAlignedBlock(POOL_TYPE BasePoolType, ULONG Units, ULONG Tag)
{
    PPOOL_HEADER Entry = BasePoolType == NonPagedPool ? AllocateSmallBlock(NonPagedPool, Units, Tag, true, true)
                                                      : AllocateSmallBlock(PagedPool, Units, Tag, true, true);
    if (!Entry)
        return NULL;
    ExpInsertPoolTracker(Tag, Units << POOL_BLOCK_SHIFT, BasePoolType);
    return Entry + 1;
}

PVOID ExpAllocateBlockWithoutNewPage(POOL_TYPE BasePoolType, ULONG Units, ULONG Tag)
{
    PPOOL_HEADER Entry = BasePoolType == NonPagedPool ? AllocateSmallBlock(NonPagedPool, Units, Tag, false, false)
                                                      : AllocateSmallBlock(PagedPool, Units, Tag, false, false);
    if (!Entry)
        return NULL;
    ExpInsertPoolTracker(Tag, Units << POOL_BLOCK_SHIFT, BasePoolType);
    return Entry + 1;
}

/*
 * Returns an allocated (or lookaside-cached) small block to its pool's
 * lists: checks it against its neighbours, then merges and lists it. Takes
 * and releases the pool's lock. The caller counts the free against the tag.
 */
static inline __attribute__((always_inline)) void FreeSmallBlockOf(POOL_TYPE BasePoolType, PPOOL_HEADER Entry)
{
    PPOOL_DESCRIPTOR Descriptor = ExpPoolDescriptor(BasePoolType);
    KIRQL OldIrql = LockPool(BasePoolType);
    CheckBlockNeighbours(Entry);
    Descriptor->RunningDeAllocs++;
    ReleaseFreeBlock(Descriptor, Entry);
    UnlockPool(BasePoolType, OldIrql);
}

static __attribute__((noinline)) void FreeNonPagedBlock(PPOOL_HEADER Entry)
{
    FreeSmallBlockOf(NonPagedPool, Entry);
}

static __attribute__((noinline)) void FreePagedBlock(PPOOL_HEADER Entry)
{
    FreeSmallBlockOf(PagedPool, Entry);
}

void ExpFreeSmallBlock(POOL_TYPE BasePoolType, PPOOL_HEADER Entry)
{
    if (BasePoolType == NonPagedPool)
        FreeNonPagedBlock(Entry);
    else
        FreePagedBlock(Entry);
}

void ExpFreeCachedPoolBlock(PPOOL_HEADER Entry)
{
    POOL_TYPE BasePoolType = (Entry->PoolType & ~POOL_IN_LOOKASIDE) - 1;
    ExpFreeSmallBlock(BasePoolType & BASE_POOL_TYPE_MASK, Entry);
}

/* Frees a block larger than a lookaside list's to the free lists, and counts the free. */
__attribute__((regparm(3))) void ExpFreeNonPagedListBlock(PPOOL_HEADER Entry, ULONG Tag, ULONG Units)
{
    FreeSmallBlockOf(NonPagedPool, Entry);
    ExpRemovePoolTracker(Tag, Units << POOL_BLOCK_SHIFT, NonPagedPool);
}

__attribute__((regparm(3))) void ExpFreePagedListBlock(PPOOL_HEADER Entry, ULONG Tag, ULONG Units)
{
    FreeSmallBlockOf(PagedPool, Entry);
    ExpRemovePoolTracker(Tag, Units << POOL_BLOCK_SHIFT, PagedPool);
}

NTSTATUS ExpWalkPoolPage(PVOID Va, PPOOL_BLOCK_ROUTINE Routine, PVOID Context)
{
    POOL_BLOCK_INFORMATION Block = { 0 };
    PVOID Start;
    ULONG Key, Pages;

    if (MiIsSpecialPoolAddress(Va))
        return MiQuerySpecialPoolBlock(Va, &Block) ? (Routine(&Block, Context), STATUS_SUCCESS)
                                                   : STATUS_INVALID_PARAMETER;
    if (!MiIsNonPagedPoolAddress(Va) && !MiIsPagedPoolAddress(Va))
        return STATUS_INVALID_PARAMETER;
    Block.PoolType = MiIsPagedPoolAddress(Va) ? PagedPool : NonPagedPool;
    if (ExpFindBigPages(Va, &Start, &Key, &Pages)) {
        Block.Header = Start;
        Block.Size = Pages << PAGE_SHIFT;
        Block.Tag = Key;
        Block.BigAllocation = TRUE;
        Routine(&Block, Context);
        return STATUS_SUCCESS;
    }

    /*
     * A page of small blocks is a one-page allocation of its pool; the lock
     * keeps it one while it is walked. A kernel stopped in the debugger
     * cannot change it: the walk reads without the lock then (it could not
     * wait for it), unless the stopped code holds it, in the middle of a change.
     */
    bool Stopped = KdIsStopped();
    if (Stopped && (Block.PoolType == NonPagedPool ? ExpNonPagedPoolLock != 0 : ExpPagedPoolMutex.Count != 1))
        return STATUS_DEVICE_BUSY;
    KIRQL OldIrql = Stopped ? PASSIVE_LEVEL : LockPool(Block.PoolType);
    if (!MiIsSinglePagePoolAllocation(Va)) {
        if (!Stopped)
            UnlockPool(Block.PoolType, OldIrql);
        return STATUS_INVALID_PARAMETER;
    }
    NTSTATUS Status = STATUS_SUCCESS;
    PPOOL_HEADER Entry = PAGE_ALIGN(Va);
    ULONG Previous = 0;
    for (ULONG Offset = 0; Offset < POOL_UNITS_PER_PAGE; Offset += Previous, Entry = ExpBlockAt(Entry, Previous)) {
        if (Entry->BlockSize == 0 || Offset + Entry->BlockSize > POOL_UNITS_PER_PAGE ||
            Entry->PreviousSize != Previous) {
            Status = STATUS_DATA_ERROR;
            break;
        }
        Block.Header = Entry;
        Block.Size = Entry->BlockSize << POOL_BLOCK_SHIFT;
        Block.Tag = Entry->PoolTag;
        Block.Free = Entry->PoolType == POOL_FREE_BLOCK;
        Block.Cached = (Entry->PoolType & POOL_IN_LOOKASIDE) != 0;
        Routine(&Block, Context);
        Previous = Entry->BlockSize;
    }
    if (!Stopped)
        UnlockPool(Block.PoolType, OldIrql);
    return Status;
}

static void InitializePoolDescriptor(PPOOL_DESCRIPTOR Descriptor, POOL_TYPE PoolType)
{
    memset(Descriptor, 0, sizeof(*Descriptor));
    Descriptor->PoolType = PoolType;
    for (ULONG i = 0; i < POOL_LIST_HEADS; i++)
        InitializeListHead(&Descriptor->ListHeads[i]);
}
void ExpInitializePoolDescriptors(void)
{
    KeInitializeSpinLock(&ExpNonPagedPoolLock);
    ExInitializeFastMutex(&ExpPagedPoolMutex);
    InitializePoolDescriptor(&NonPagedPoolDescriptor, NonPagedPool);
    InitializePoolDescriptor(&PagedPoolDescriptor, PagedPool);
}
