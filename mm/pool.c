/*
 * mm/pool.c — the executive pools: ExAllocatePoolWithTag and ExFreePoolWithTag.
 *
 * NT's kernel heap. A request of up to 4080 bytes (POOL_BUDDY_MAX) is a
 * small block cut out of a pool page: an 8-byte POOL_HEADER followed by the
 * caller's bytes, everything measured in 8-byte units. The headers chain
 * through the page — BlockSize leads to the next block, PreviousSize back
 * to the one before — so the blocks of a page always add up to exactly 512
 * units. Each pool (nonpaged, paged) has a POOL_DESCRIPTOR with a free list
 * per block size; a free block keeps its list links in its body.
 *
 * Allocating takes the first free block at least as large as the request
 * (mm386 keeps a bitmap of the non-empty lists, so that is one bit scan,
 * not a walk of 512 list heads), and splits it: a block that starts its
 * page gives its front, any other its back, and the remainder goes back on
 * its list. With no free block, a fresh page comes from poolpage.c.
 * Freeing marks the block free and merges it with a free neighbour on
 * either side, so two free blocks are never adjacent; when the merged block
 * is the whole page, the page goes back to poolpage.c. A leftover of one
 * unit (8 bytes, too small for list links) stays in the page unlisted until
 * a neighbour's free absorbs it.
 *
 * In front of the lists sit per-size lookaside lists (lookasid.c) for
 * blocks of up to 32 units: a free pushes the block there, an allocation of
 * that size pops it, and neither takes the pool's lock. Requests above 4080
 * bytes are big allocations: whole pages from poolpage.c, recorded with
 * their tag and size in the big-page table (pooltag.c). Every allocation
 * and free is counted against its tag (pooltag.c, poolmon's data).
 *
 * Verification, always on: a free checks the block's size against its page
 * and the next block's header, and against both neighbours before it is
 * merged (BAD_POOL_HEADER 0x19), catches a second free (BAD_POOL_CALLER
 * 0xC2 parameter 7; a block waiting in a lookaside list is marked so a
 * double free is seen there too), a wrong tag (0xC2, 0x0A), an address
 * outside every pool (0xC2, 0x40/0x42) and the wrong IRQL (0xC2, 0x08 on
 * allocation, 0x09 on free). Nonpaged pool is locked by a spin lock and
 * usable up to DISPATCH_LEVEL; paged pool by a fast mutex, at APC_LEVEL
 * at most, because its pages fault in on first touch.
 */
#include "mi.h"

POOL_DESCRIPTOR NonPagedPoolDescriptor, PagedPoolDescriptor;
static KSPIN_LOCK ExpNonPagedPoolLock;
static FAST_MUTEX ExpPagedPoolMutex;

#define UNITS_PER_PAGE  (POOL_PAGE_SIZE >> POOL_BLOCK_SHIFT)
/* Extra units a cache-aligned request needs so an aligned body fits somewhere in its block. */
#define CACHE_ALIGN_UNITS ((POOL_CACHE_ALIGNMENT - POOL_SMALLEST_BLOCK) >> POOL_BLOCK_SHIFT)

static inline PPOOL_HEADER BlockAt(PPOOL_HEADER Entry, LONG Units)
{
    return (PPOOL_HEADER)((char *)Entry + Units * POOL_SMALLEST_BLOCK);
}

/* Where a block starts within its page, in units. */
static inline ULONG PageOffset(const POOL_HEADER *Entry)
{
    return BYTE_OFFSET(Entry) >> POOL_BLOCK_SHIFT;
}

static inline PLIST_ENTRY FreeLinks(PPOOL_HEADER Entry)
{
    return (PLIST_ENTRY)(Entry + 1);
}

static inline PPOOL_DESCRIPTOR DescriptorOf(POOL_TYPE BasePoolType)
{
    return BasePoolType == NonPagedPool ? &NonPagedPoolDescriptor : &PagedPoolDescriptor;
}

static inline PGENERAL_LOOKASIDE SmallLookaside(POOL_TYPE BasePoolType, ULONG BlockSize)
{
    return &ExpSmallPoolLookasideLists[BasePoolType][BlockSize - 1];
}

/* The highest IRQL a pool may be used at: DISPATCH_LEVEL for nonpaged, APC_LEVEL for paged. */
static inline KIRQL MaximumIrql(POOL_TYPE BasePoolType)
{
    return BasePoolType == NonPagedPool ? DISPATCH_LEVEL : APC_LEVEL;
}

static inline KIRQL LockPool(PPOOL_DESCRIPTOR Descriptor)
{
    KIRQL OldIrql = PASSIVE_LEVEL;
    if (Descriptor->PoolType == NonPagedPool)
        KeAcquireSpinLock(&ExpNonPagedPoolLock, &OldIrql);
    else
        ExAcquireFastMutex(&ExpPagedPoolMutex);
    return OldIrql;
}

static inline void UnlockPool(PPOOL_DESCRIPTOR Descriptor, KIRQL OldIrql)
{
    if (Descriptor->PoolType == NonPagedPool)
        KeReleaseSpinLock(&ExpNonPagedPoolLock, OldIrql);
    else
        ExReleaseFastMutex(&ExpPagedPoolMutex);
}

/* Free lists. Only blocks of two units or more are listed. Pool locked. */
static inline void InsertFreeBlock(PPOOL_DESCRIPTOR Descriptor, PPOOL_HEADER Entry)
{
    ULONG n = Entry->BlockSize;
    InsertHeadList(&Descriptor->ListHeads[n], FreeLinks(Entry));
    Descriptor->ListsInUse[n / 32] |= 1u << (n % 32);
}

static inline void RemoveFreeBlock(PPOOL_DESCRIPTOR Descriptor, PPOOL_HEADER Entry)
{
    PLIST_ENTRY Links = FreeLinks(Entry);
    ULONG n = Entry->BlockSize;

    if (Links->Flink->Blink != Links || Links->Blink->Flink != Links)
        KeBugCheckEx(BAD_POOL_HEADER, 3, (ULONG_PTR)Links, (ULONG_PTR)Links->Flink->Blink,
                     (ULONG_PTR)Links->Blink->Flink);
    RemoveEntryList(Links);
    if (IsListEmpty(&Descriptor->ListHeads[n]))
        Descriptor->ListsInUse[n / 32] &= ~(1u << (n % 32));
}

/* The smallest non-empty list of blocks of at least Units units, or 0 if there is none. */
static ULONG FindFreeList(PPOOL_DESCRIPTOR Descriptor, ULONG Units)
{
    ULONG Word = Units / 32;
    ULONG Bits = Descriptor->ListsInUse[Word] & (0xFFFFFFFFu << (Units % 32));
    while (Bits == 0) {
        if (++Word == POOL_LIST_HEADS / 32)
            return 0;
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
    ULONG Offset = PageOffset(Entry);
    ULONG Size = Entry->BlockSize;
    ULONG Previous = Entry->PreviousSize;

    if (Size == 0)
        BadPoolHeader(8, NULL, Entry);
    if (Offset + Size > UNITS_PER_PAGE)
        BadPoolHeader(9, Entry, Entry);
    if (Offset + Size < UNITS_PER_PAGE && BlockAt(Entry, Size)->PreviousSize != Size)
        BadPoolHeader(5, Entry, BlockAt(Entry, Size));
    if (Previous > Offset || (Previous == 0 && Offset != 0))
        BadPoolHeader(6, Entry, Entry);
    if (Previous && BlockAt(Entry, -(LONG)Previous)->BlockSize != Previous)
        BadPoolHeader(5, BlockAt(Entry, -(LONG)Previous), Entry);
}

/*
 * Puts a block that has just become free (PoolType already POOL_FREE_BLOCK,
 * on no list, its header checked) back into its pool: merged with free
 * neighbours, listed, or its page returned when the merge covers the whole
 * page. A free neighbour whose header no longer fits its page was changed
 * after it was freed: BAD_POOL_HEADER 0x0D (the next block) or 0x0E (the
 * previous one). Pool locked.
 */
static inline __attribute__((always_inline)) void ReleaseFreeBlock(PPOOL_DESCRIPTOR Descriptor, PPOOL_HEADER Entry)
{
    ULONG Size = Entry->BlockSize;

    if (PageOffset(Entry) + Size < UNITS_PER_PAGE) {
        PPOOL_HEADER Next = BlockAt(Entry, Size);
        if (Next->PoolType == POOL_FREE_BLOCK) {
            if (PageOffset(Next) + Next->BlockSize > UNITS_PER_PAGE || Next->BlockSize == 0)
                BadPoolHeader(0x0D, Next, Entry);
            if (Next->BlockSize > 1)
                RemoveFreeBlock(Descriptor, Next);
            Size += Next->BlockSize;
        }
    }
    if (Entry->PreviousSize) {
        PPOOL_HEADER Previous = BlockAt(Entry, -(LONG)Entry->PreviousSize);
        if (Previous->PoolType == POOL_FREE_BLOCK) {
            if (Previous->PreviousSize > PageOffset(Previous))
                BadPoolHeader(0x0E, Previous, Entry);
            if (Previous->BlockSize > 1)
                RemoveFreeBlock(Descriptor, Previous);
            Size += Previous->BlockSize;
            Entry = Previous;
        }
    }
    if (Size == UNITS_PER_PAGE) {
        Descriptor->TotalPages--;
        MiFreePoolPages(Entry);
        return;
    }
    Entry->BlockSize = Size;
    if (PageOffset(Entry) + Size < UNITS_PER_PAGE)
        BlockAt(Entry, Size)->PreviousSize = Size;
    if (Size > 1)
        InsertFreeBlock(Descriptor, Entry);
}

/*
 * Cuts Units off the free block Entry (on no list) and returns the allocated
 * part; the rest goes back on its list. Pool locked.
 */
static PPOOL_HEADER SplitBlock(PPOOL_DESCRIPTOR Descriptor, PPOOL_HEADER Entry, ULONG Units)
{
    ULONG Size = Entry->BlockSize;
    ULONG RestUnits = Size - Units;
    PPOOL_HEADER Allocated, Rest;

    if (RestUnits == 0)
        return Entry;
    bool Last = PageOffset(Entry) + Size == UNITS_PER_PAGE;
    PPOOL_HEADER Next = BlockAt(Entry, Size);
    if (Entry->PreviousSize == 0) {
        Allocated = Entry;
        Rest = BlockAt(Entry, Units);
        Rest->PreviousSize = Units;
    } else {
        Rest = Entry;
        Allocated = BlockAt(Entry, RestUnits);
        Allocated->PreviousSize = RestUnits;
    }
    Allocated->BlockSize = Units;
    Rest->BlockSize = RestUnits;
    Rest->PoolType = POOL_FREE_BLOCK;
    Rest->PoolIndex = 0;
    if (!Last)
        Next->PreviousSize = Allocated == Entry ? RestUnits : Units;
    if (RestUnits > 1)
        InsertFreeBlock(Descriptor, Rest);
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
        PPOOL_HEADER Aligned = BlockAt(Entry, Front);
        *Aligned = *Entry;
        Aligned->PreviousSize = Front;
        Aligned->BlockSize = Size - Front;
        if (PageOffset(Entry) + Size < UNITS_PER_PAGE)
            BlockAt(Entry, Size)->PreviousSize = Size - Front;
        Entry->BlockSize = Front;
        Entry->PoolType = POOL_FREE_BLOCK;
        ReleaseFreeBlock(Descriptor, Entry);
        Entry = Aligned;
        Size -= Front;
    }
    if (Size > Units) {
        PPOOL_HEADER Tail = BlockAt(Entry, Units);
        Tail->PreviousSize = Units;
        Tail->BlockSize = Size - Units;
        Tail->PoolType = POOL_FREE_BLOCK;
        Tail->PoolIndex = 0;
        if (PageOffset(Entry) + Size < UNITS_PER_PAGE)
            BlockAt(Entry, Size)->PreviousSize = Size - Units;
        Entry->BlockSize = Units;
        ReleaseFreeBlock(Descriptor, Tail);
    }
    return Entry;
}

/* A small block of Units units from the free lists or a new page; NULL when the pool is exhausted. */
static PPOOL_HEADER AllocateSmallBlock(PPOOL_DESCRIPTOR Descriptor, ULONG Units, ULONG Tag, bool CacheAligned)
{
    ULONG Needed = Units + (CacheAligned ? CACHE_ALIGN_UNITS : 0);
    KIRQL OldIrql = LockPool(Descriptor);
    PPOOL_HEADER Entry;
    ULONG List = FindFreeList(Descriptor, Needed);

    if (List) {
        Entry = (PPOOL_HEADER)Descriptor->ListHeads[List].Flink - 1;
        if (Entry->PoolType != POOL_FREE_BLOCK || Entry->BlockSize != List)
            BadPoolHeader(0x0F, Entry, &Descriptor->ListHeads[List]);
        RemoveFreeBlock(Descriptor, Entry);
        Entry = SplitBlock(Descriptor, Entry, Needed);
    } else {
        Entry = MiAllocatePoolPages(Descriptor->PoolType, PAGE_SIZE);
        if (!Entry) {
            UnlockPool(Descriptor, OldIrql);
            return NULL;
        }
        Descriptor->TotalPages++;
        Entry->Ulong1 = 0;
        Entry->BlockSize = Needed;
        PPOOL_HEADER Rest = BlockAt(Entry, Needed);
        Rest->Ulong1 = 0;
        Rest->PreviousSize = Needed;
        Rest->BlockSize = UNITS_PER_PAGE - Needed;
        Rest->PoolTag = 0;
        if (Rest->BlockSize > 1)
            InsertFreeBlock(Descriptor, Rest);
    }
    Entry->PoolType = Descriptor->PoolType + 1;
    Entry->PoolIndex = 0;
    Entry->PoolTag = Tag;
    if (CacheAligned)
        Entry = AlignBlock(Descriptor, Entry, Units);
    Descriptor->RunningAllocs++;
    UnlockPool(Descriptor, OldIrql);
    return Entry;
}

/* Returns an allocated (or lookaside-cached) small block to its pool's lists, checking its neighbours first. */
static __attribute__((noinline)) void FreeSmallBlock(PPOOL_DESCRIPTOR Descriptor, PPOOL_HEADER Entry)
{
    KIRQL OldIrql = LockPool(Descriptor);
    CheckBlockNeighbours(Entry);
    Descriptor->RunningDeAllocs++;
    Entry->PoolType = POOL_FREE_BLOCK;
    ReleaseFreeBlock(Descriptor, Entry);
    UnlockPool(Descriptor, OldIrql);
}

void ExpFreeCachedPoolBlock(PPOOL_HEADER Entry)
{
    POOL_TYPE BasePoolType = (Entry->PoolType & ~POOL_IN_LOOKASIDE) - 1;
    FreeSmallBlock(DescriptorOf(BasePoolType & BASE_POOL_TYPE_MASK), Entry);
}

/* Whole pages for a big request, entered in the big-page table and counted; NULL if either fails. */
static PVOID AllocateBigPages(POOL_TYPE BasePoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    PVOID Va = MiAllocatePoolPages(BasePoolType, NumberOfBytes);
    if (!Va)
        return NULL;
    ULONG Pages = BYTES_TO_PAGES(NumberOfBytes);
    if (!ExpAddTagForBigPages(Va, Tag, Pages)) {
        MiFreePoolPages(Va);
        return NULL;
    }
    ExpInsertPoolTracker(Tag, Pages << PAGE_SHIFT, BasePoolType);
    __atomic_fetch_add(&DescriptorOf(BasePoolType)->TotalBigPages, Pages, __ATOMIC_RELAXED);
    return Va;
}

/* The pool an address belongs to, or a bugcheck for an address outside both pools. */
static POOL_TYPE PoolOfAddress(PVOID P)
{
    if (MiIsNonPagedPoolAddress(P))
        return NonPagedPool;
    if (MiIsPagedPoolAddress(P))
        return PagedPool;
    if ((ULONG)P < (ULONG)MmSystemRangeStart)
        KeBugCheckEx(BAD_POOL_CALLER, 0x40, (ULONG_PTR)P, (ULONG_PTR)MmSystemRangeStart, 0);
    KeBugCheckEx(BAD_POOL_CALLER, 0x42, (ULONG_PTR)P, 0, 0);
}

static inline void CheckFreeIrql(POOL_TYPE BasePoolType, PVOID P)
{
    if (UNLIKELY(KeGetCurrentIrql() > MaximumIrql(BasePoolType)))
        KeBugCheckEx(BAD_POOL_CALLER, 0x09, KeGetCurrentIrql(), BasePoolType, (ULONG_PTR)P);
}

/*
 * Frees the big allocation at the page-aligned address P. An address the
 * big-page table does not know gets MiBadPoolPagesFree's verdict.
 */
static void FreeBigPages(PVOID P, ULONG Tag)
{
    POOL_TYPE BasePoolType = PoolOfAddress(P);
    ULONG Key;

    CheckFreeIrql(BasePoolType, P);
    ULONG Pages = ExpFindAndRemoveTagBigPages(P, Tag, &Key);
    if (Pages == 0)
        MiBadPoolPagesFree(P);
    ULONG Freed = MiFreePoolPages(P);
    if (Freed != Pages)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_BIG_PAGES_MISMATCH, (ULONG_PTR)P, Pages, Freed);
    ExpRemovePoolTracker(Key, Pages << PAGE_SHIFT, BasePoolType);
    __atomic_fetch_sub(&DescriptorOf(BasePoolType)->TotalBigPages, Pages, __ATOMIC_RELAXED);
}

/*
 * The verdict on a freed block whose header does not say "allocated in this
 * pool": a free or lookaside-cached block is being freed a second time
 * (0xC2, 7); any other type or index is a corrupt header (0xC2, 1).
 */
static NORETURN __attribute__((noinline, cold)) void BadFreedHeader(POOL_TYPE BasePoolType, PPOOL_HEADER Entry)
{
    ULONG Type = Entry->PoolType;
    if (Type == POOL_FREE_BLOCK || Type == ((BasePoolType + 1u) | POOL_IN_LOOKASIDE))
        KeBugCheckEx(BAD_POOL_CALLER, 0x07, 0, Entry->Ulong1, (ULONG_PTR)(Entry + 1));
    KeBugCheckEx(BAD_POOL_CALLER, 0x01, (ULONG_PTR)Entry, Entry->Ulong1, 0);
}

/* What every free checks first: the block is allocated, and allocated in this pool. */
static inline void CheckFreedType(POOL_TYPE BasePoolType, PPOOL_HEADER Entry)
{
    /* The pool type and index compared in one go: a header with only those fields set, and a mask of them. */
    const POOL_HEADER TypeAndIndex = { .PoolIndex = 0x7F, .PoolType = 0x7F };
    const POOL_HEADER Allocated = { .PoolType = BasePoolType + 1 };
    if (UNLIKELY((Entry->Ulong1 & TypeAndIndex.Ulong1) != Allocated.Ulong1))
        BadFreedHeader(BasePoolType, Entry);
}

/*
 * The check a free into a lookaside list makes: the size fits the page and
 * the next block's PreviousSize agrees (NT checks the same since Windows 8).
 * The rest of CheckBlockNeighbours runs when the block is merged.
 */
static inline void CheckFreedSize(PPOOL_HEADER Entry)
{
    ULONG Size = Entry->BlockSize;
    ULONG End = PageOffset(Entry) + Size;
    if (UNLIKELY(Size == 0 || End > UNITS_PER_PAGE ||
                 (End < UNITS_PER_PAGE && BlockAt(Entry, Size)->PreviousSize != Size)))
        CheckBlockNeighbours(Entry);
}

/* Everything but a lookaside hit: checks, special pool, big pages, the free lists. */
static __attribute__((noinline)) PVOID AllocatePoolSlow(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                                       PVOID Caller)
{
    if (PoolType >= MaxPoolType || PoolType == DontUseThisType)
        return NULL;
    if (PoolType & MUST_SUCCEED_POOL_TYPE_MASK)
        KeBugCheckEx(BAD_POOL_CALLER, 0x9A, PoolType, NumberOfBytes, Tag);
    if (Tag == 0)
        KeBugCheckEx(BAD_POOL_CALLER, 0x9B, PoolType, NumberOfBytes, (ULONG_PTR)Caller);
    POOL_TYPE BasePoolType = PoolType & BASE_POOL_TYPE_MASK;
    if (KeGetCurrentIrql() > MaximumIrql(BasePoolType))
        KeBugCheckEx(BAD_POOL_CALLER, 0x08, KeGetCurrentIrql(), PoolType, NumberOfBytes);
    if (NumberOfBytes == 0)
        return NULL;

    bool CacheAligned = (PoolType & CACHE_ALIGNED_POOL_TYPE_MASK) != 0;
    if (Tag == MmSpecialPoolTag && !CacheAligned) {
        PVOID Special = MmAllocateSpecialPool(NumberOfBytes, Tag, BasePoolType);
        if (Special)
            return Special;
    }
    SIZE_T Limit = CacheAligned ? POOL_BUDDY_MAX - CACHE_ALIGN_UNITS * POOL_SMALLEST_BLOCK : POOL_BUDDY_MAX;
    if (NumberOfBytes > Limit)
        return AllocateBigPages(BasePoolType, NumberOfBytes, Tag);

    ULONG Units = (NumberOfBytes + POOL_OVERHEAD + POOL_SMALLEST_BLOCK - 1) >> POOL_BLOCK_SHIFT;
    PPOOL_HEADER Entry = AllocateSmallBlock(DescriptorOf(BasePoolType), Units, Tag, CacheAligned);
    if (!Entry)
        return NULL;
    ExpInsertPoolTracker(Tag, Units << POOL_BLOCK_SHIFT, BasePoolType);
    return Entry + 1;
}

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    /*
     * The fast path: a plain NonPagedPool (0) or PagedPool (1) request small
     * enough for a lookaside list, at an IRQL the pool allows (DISPATCH_LEVEL
     * is 2, APC_LEVEL 1: the pool type is exactly what it costs).
     */
    if (LIKELY(PoolType <= PagedPool && NumberOfBytes - 1 < POOL_SMALL_LISTS * POOL_SMALLEST_BLOCK - POOL_OVERHEAD &&
               Tag != 0 && Tag != MmSpecialPoolTag && KeGetCurrentIrql() + PoolType <= DISPATCH_LEVEL)) {
        ULONG BlockSize = (NumberOfBytes + POOL_OVERHEAD + POOL_SMALLEST_BLOCK - 1) >> POOL_BLOCK_SHIFT;
        PGENERAL_LOOKASIDE Lookaside = SmallLookaside(PoolType, BlockSize);
        Lookaside->TotalAllocates++;
        PSINGLE_LIST_ENTRY Body = InterlockedPopEntrySList(&Lookaside->ListHead);
        if (Body) {
            PPOOL_HEADER Entry = (PPOOL_HEADER)Body - 1;
            Entry->PoolType = PoolType + 1;
            Entry->PoolTag = Tag;
            ExpInsertPoolTracker(Tag, BlockSize << POOL_BLOCK_SHIFT, PoolType);
            return Body;
        }
        Lookaside->AllocateMisses++;
    }
    return AllocatePoolSlow(PoolType, NumberOfBytes, Tag, __builtin_return_address(0));
}

PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
    return ExAllocatePoolWithTag(PoolType, NumberOfBytes, POOL_DEFAULT_TAG);
}

/* Frees what is not a small block: special pool, a big allocation, or an address in no pool. */
static __attribute__((noinline)) void FreeNonSmallBlock(PVOID P, ULONG Tag)
{
    if (MiIsSpecialPoolAddress(P))
        MmFreeSpecialPool(P, Tag);
    else if (BYTE_OFFSET(P) == 0)
        FreeBigPages(P, Tag);
    else
        PoolOfAddress(P);
}

void ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    POOL_TYPE BasePoolType;

    if (MiIsNonPagedPoolAddress(P) && BYTE_OFFSET(P) != 0) {
        BasePoolType = NonPagedPool;
    } else if (MiIsPagedPoolAddress(P) && BYTE_OFFSET(P) != 0) {
        BasePoolType = PagedPool;
    } else {
        FreeNonSmallBlock(P, Tag);
        return;
    }
    CheckFreeIrql(BasePoolType, P);
    PPOOL_HEADER Entry = (PPOOL_HEADER)P - 1;
    CheckFreedType(BasePoolType, Entry);
    ULONG BlockTag = Entry->PoolTag;
    if (Tag != 0 && Tag != BlockTag)
        KeBugCheckEx(BAD_POOL_CALLER, 0x0A, (ULONG_PTR)P, BlockTag, Tag);

    ULONG BlockSize = Entry->BlockSize;
    if (BlockSize <= POOL_SMALL_LISTS) {
        CheckFreedSize(Entry);
        ExpRemovePoolTracker(BlockTag, BlockSize << POOL_BLOCK_SHIFT, BasePoolType);
        PGENERAL_LOOKASIDE Lookaside = SmallLookaside(BasePoolType, BlockSize);
        Lookaside->TotalFrees++;
        if (ExQueryDepthSList(&Lookaside->ListHead) < Lookaside->Depth) {
            Entry->PoolType |= POOL_IN_LOOKASIDE;
            InterlockedPushEntrySList(&Lookaside->ListHead, P);
            return;
        }
        Lookaside->FreeMisses++;
        FreeSmallBlock(DescriptorOf(BasePoolType), Entry);
        return;
    }
    /* FreeSmallBlock checks the header against both neighbours before anything is changed. */
    FreeSmallBlock(DescriptorOf(BasePoolType), Entry);
    ExpRemovePoolTracker(BlockTag, BlockSize << POOL_BLOCK_SHIFT, BasePoolType);
}

void ExFreePool(PVOID P)
{
    ExFreePoolWithTag(P, 0);
}

SIZE_T ExQueryPoolBlockSize(PVOID PoolBlock, PBOOLEAN QuotaCharged)
{
    PVOID Start;
    ULONG Key, Pages;

    *QuotaCharged = FALSE;
    if (MiIsSpecialPoolAddress(PoolBlock))
        return MmQuerySpecialPoolBlockSize(PoolBlock);
    if (BYTE_OFFSET(PoolBlock) == 0)
        return ExpFindBigPages(PoolBlock, &Start, &Key, &Pages) && Start == PoolBlock ? Pages << PAGE_SHIFT : 0;
    if (!MiIsNonPagedPoolAddress(PoolBlock) && !MiIsPagedPoolAddress(PoolBlock))
        return 0;
    PPOOL_HEADER Entry = (PPOOL_HEADER)PoolBlock - 1;
    if (Entry->PoolType == POOL_FREE_BLOCK || (Entry->PoolType & POOL_IN_LOOKASIDE))
        return 0;
    return ((SIZE_T)Entry->BlockSize << POOL_BLOCK_SHIFT) - POOL_OVERHEAD;
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

    /* A page of small blocks is a one-page allocation of its pool; the lock keeps it one while it is walked. */
    PPOOL_DESCRIPTOR Descriptor = DescriptorOf(Block.PoolType);
    KIRQL OldIrql = LockPool(Descriptor);
    if (!MiIsSinglePagePoolAllocation(Va)) {
        UnlockPool(Descriptor, OldIrql);
        return STATUS_INVALID_PARAMETER;
    }
    NTSTATUS Status = STATUS_SUCCESS;
    PPOOL_HEADER Entry = PAGE_ALIGN(Va);
    ULONG Previous = 0;
    for (ULONG Offset = 0; Offset < UNITS_PER_PAGE; Offset += Previous, Entry = BlockAt(Entry, Previous)) {
        if (Entry->BlockSize == 0 || Offset + Entry->BlockSize > UNITS_PER_PAGE ||
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
    UnlockPool(Descriptor, OldIrql);
    return Status;
}

static void InitializePoolDescriptor(PPOOL_DESCRIPTOR Descriptor, POOL_TYPE PoolType)
{
    memset(Descriptor, 0, sizeof(*Descriptor));
    Descriptor->PoolType = PoolType;
    for (ULONG i = 0; i < POOL_LIST_HEADS; i++)
        InitializeListHead(&Descriptor->ListHeads[i]);
}

void MiInitializePool(void)
{
    MiInitializePoolPages();
    KeInitializeSpinLock(&ExpNonPagedPoolLock);
    ExInitializeFastMutex(&ExpPagedPoolMutex);
    InitializePoolDescriptor(&NonPagedPoolDescriptor, NonPagedPool);
    InitializePoolDescriptor(&PagedPoolDescriptor, PagedPool);
    ExpInitializePoolLookasideLists();
    ExpInitializePoolTracking();
}

void MiInitializePoolPhase1(void)
{
    MiInitializeSpecialPool();
    ExpRegisterPoolTagGuard();
}
