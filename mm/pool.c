/*
 * mm/pool.c — the executive pools: ExAllocatePoolWithTag and ExFreePoolWithTag.
 *
 * NT's kernel heap. A request of up to 4080 bytes (POOL_BUDDY_MAX) is a
 * small block with an 8-byte POOL_HEADER, cut from a pool page (poolblk.c:
 * the free lists, splitting and merging). In front of the lists sit
 * per-size lookaside lists (lookasid.c) for blocks of up to 32 units: a
 * free pushes the block there, an allocation of that size pops it, and
 * neither takes the pool's lock. Requests above 4080 bytes are big
 * allocations: whole pages from poolpage.c, recorded with their tag and
 * size in the big-page table (pooltag.c). Every allocation and free is
 * counted against its tag (pooltag.c, poolmon's data).
 *
 * Verification, always on: a free checks the block's size against its page
 * and the next block's header, and against both neighbours before it is
 * merged (BAD_POOL_HEADER 0x19), catches a second free (BAD_POOL_CALLER
 * 0xC2 parameter 7; a block waiting in a lookaside list is marked so a
 * double free is seen there too), a wrong tag (0xC2, 0x0A), an address
 * outside every pool (0xC2, 0x40/0x42), an address in a pool page that
 * holds no small blocks — unmapped, free, or inside a big allocation —
 * before any header is read there (0xC2, 0x44/0x41 nonpaged, 0x50/0x41286
 * paged), and the wrong IRQL (0xC2, 0x08 on allocation, 0x09 on free).
 * Nonpaged pool is usable up to DISPATCH_LEVEL, paged pool up to APC_LEVEL,
 * because its pages fault in on first touch.
 *
 * The two entry points are written as a fast path per pool type (the type a
 * constant in each copy, so list and counter addresses are fixed) that
 * handles a plain small request — a lookaside hit or miss, a block from the
 * lists — and leaves everything else, unchanged, to a slow path that checks
 * again in full: AllocatePoolSlow (pool type modifiers, special pool, big
 * pages, cache alignment, bad arguments) and FreePoolSlow (every verdict on
 * a bad free). The fast paths are C; the lookaside lists are SLISTs, pushed
 * and popped with the interlocked routines of include/slist.h.
 */
#include <ex.h>
#include "mi.h"

static inline PGENERAL_LOOKASIDE SmallLookaside(POOL_TYPE BasePoolType, ULONG BlockSize)
{
    /* As one offset from the pool's first list: gcc then forms the list's address once, not three ways. */
    return &ExpSmallPoolLookasideLists[BasePoolType][0] + (BlockSize - 1);
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
    __atomic_fetch_add(&ExpPoolDescriptor(BasePoolType)->TotalBigPages, Pages, __ATOMIC_RELAXED);
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

/*
 * Frees the big allocation at the page-aligned address P. An address the
 * big-page table does not know gets MiBadPoolPagesFree's verdict.
 */
static void FreeBigPages(PVOID P, ULONG Tag)
{
    POOL_TYPE BasePoolType = PoolOfAddress(P);
    ULONG Key;

    MiCheckPoolFreeIrql(BasePoolType, P);
    ULONG Pages = ExpFindAndRemoveTagBigPages(P, Tag, &Key);
    if (Pages == 0)
        MiBadPoolPagesFree(P);
    ULONG Freed = MiFreePoolPages(P);
    if (Freed != Pages)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_BIG_PAGES_MISMATCH, (ULONG_PTR)P, Pages, Freed);
    ExpRemovePoolTracker(Key, Pages << PAGE_SHIFT, BasePoolType);
    __atomic_fetch_sub(&ExpPoolDescriptor(BasePoolType)->TotalBigPages, Pages, __ATOMIC_RELAXED);
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

/* The header bits that say "allocated in pool BasePoolType", and the mask they are read with: type and index. */
#define TYPE_AND_INDEX_MASK     ((POOL_HEADER){ .PoolIndex = 0x7F, .PoolType = 0x7F }.Ulong1)
#define ALLOCATED_BITS(Base)    ((POOL_HEADER){ .PoolType = (Base) + 1 }.Ulong1)

/* What every free checks first: the block is allocated, and allocated in this pool. */
static inline void CheckFreedType(POOL_TYPE BasePoolType, PPOOL_HEADER Entry)
{
    if (UNLIKELY((Entry->Ulong1 & TYPE_AND_INDEX_MASK) != ALLOCATED_BITS(BasePoolType)))
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
    ULONG End = ExpPageOffset(Entry) + Size;
    if (UNLIKELY(Size == 0 || End > POOL_UNITS_PER_PAGE ||
                 (End < POOL_UNITS_PER_PAGE && ExpBlockAt(Entry, Size)->PreviousSize != Size)))
        ExpCheckBlockNeighbours(Entry);
}

/* A block of Units units from the free lists (or a fresh page), counted against Tag; NULL when exhausted. */
static inline __attribute__((always_inline)) PVOID AllocateListBlock(POOL_TYPE BasePoolType, ULONG Units, ULONG Tag)
{
    return BasePoolType == NonPagedPool ? ExpAllocateNonPagedBlock(Units, Tag) : ExpAllocatePagedBlock(Units, Tag);
}

/* A lookaside list of Units units was empty: the miss is counted and the block comes from the free lists. */
static __attribute__((noinline)) PVOID LookasideMiss(POOL_TYPE BasePoolType, ULONG Units, ULONG Tag)
{
    SmallLookaside(BasePoolType, Units)->AllocateMisses++;
    return AllocateListBlock(BasePoolType, Units, Tag);
}

/*
 * A block of Units units (1..32) from BasePoolType's lookaside list of that
 * size (NT's fast path: no lock), counted against Tag; on a miss, one from
 * the free lists. NULL only when the pool is exhausted. BasePoolType is a
 * constant at each inlined call.
 */
static inline __attribute__((always_inline)) PVOID AllocateFromLookaside(POOL_TYPE BasePoolType, ULONG Units,
                                                                        ULONG Tag)
{
    PGENERAL_LOOKASIDE Lookaside = SmallLookaside(BasePoolType, Units);
    Lookaside->TotalAllocates++;
    PSLIST_ENTRY Body = InterlockedPopEntrySList(&Lookaside->ListHead);
    if (UNLIKELY(Body == NULL))
        return LookasideMiss(BasePoolType, Units, Tag);
    PPOOL_HEADER Entry = (PPOOL_HEADER)Body - 1;
    ExpSetAllocatedType(Entry, BasePoolType);      /* POOL_IN_LOOKASIDE cleared */
    Entry->PoolTag = Tag;
    ExpInsertPoolTracker(Tag, Lookaside->Size, BasePoolType);  /* the list's block size, read after the pop */
    return Body;
}

/* A small block of Units units for a pool type known only at run time: lookaside list, or free lists. */
static __attribute__((noinline)) PVOID AllocateSmallBlockOf(POOL_TYPE BasePoolType, ULONG Units, ULONG Tag)
{
    if (Units > POOL_SMALL_LISTS)
        return AllocateListBlock(BasePoolType, Units, Tag);
    return BasePoolType == NonPagedPool ? AllocateFromLookaside(NonPagedPool, Units, Tag)
                                        : AllocateFromLookaside(PagedPool, Units, Tag);
}

/*
 * What ExAllocatePoolWithTagPriority refuses to Low and Normal requests:
 * new pool pages that would leave less than this much of the pool (pages).
 */
#define POOL_RESERVE_FOR_NORMAL     512
#define POOL_RESERVE_FOR_LOW        1024

/*
 * A small request made when the pool is short (a Low or Normal priority
 * request that new pages would take too close to the end): served from its
 * lookaside list or a free block if one is there, never from a new page.
 */
static __attribute__((noinline)) PVOID AllocateWithoutNewPage(POOL_TYPE BasePoolType, ULONG Units, ULONG Tag)
{
    if (Units <= POOL_SMALL_LISTS) {
        PGENERAL_LOOKASIDE Lookaside = SmallLookaside(BasePoolType, Units);
        Lookaside->TotalAllocates++;
        PSLIST_ENTRY Body = InterlockedPopEntrySList(&Lookaside->ListHead);
        if (Body) {
            PPOOL_HEADER Entry = (PPOOL_HEADER)Body - 1;
            ExpSetAllocatedType(Entry, BasePoolType);
            Entry->PoolTag = Tag;
            ExpInsertPoolTracker(Tag, ExpBlockBytes(Entry), BasePoolType);
            return Body;
        }
        Lookaside->AllocateMisses++;
    }
    return ExpAllocateBlockWithoutNewPage(BasePoolType, Units, Tag);
}

/*
 * Every request the fast path does not take, and every request with a
 * priority: the pool type decoded (its modifiers accepted, unknown bits
 * refused), the argument checks and their bugchecks (Caller is the address
 * 0x9B names), a 0-byte request made a 1-byte one, special pool (placed as
 * the priority's special-pool bits say), the priority's refusal when the
 * pool is short, big pages, cache-aligned blocks.
 */
static __attribute__((noinline)) PVOID AllocatePoolSlow(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                                       PVOID Caller, EX_POOL_PRIORITY Priority)
{
    ULONG Base = PoolType & ~POOL_TYPE_MODIFIERS;
    if ((PoolType & ~(POOL_TYPE_MODIFIERS | 7u)) || (Base & 3) == DontUseThisType)
        return NULL;
    if (Base & MUST_SUCCEED_POOL_TYPE_MASK)
        KeBugCheckEx(BAD_POOL_CALLER, 0x9A, PoolType, NumberOfBytes, Tag);
    if (Tag == 0)
        KeBugCheckEx(BAD_POOL_CALLER, 0x9B, PoolType, NumberOfBytes, (ULONG_PTR)Caller);
    POOL_TYPE BasePoolType = Base & BASE_POOL_TYPE_MASK;
    if (KeGetCurrentIrql() > MiPoolMaximumIrql(BasePoolType))
        KeBugCheckEx(BAD_POOL_CALLER, 0x08, KeGetCurrentIrql(), PoolType, NumberOfBytes);
    if (NumberOfBytes == 0)
        NumberOfBytes = 1;                  /* NT's free build: the smallest block */

    bool CacheAligned = (Base & CACHE_ALIGNED_POOL_TYPE_MASK) != 0;
    if (Tag == MmSpecialPoolTag && !CacheAligned) {
        PVOID Special = MmAllocateSpecialPool(NumberOfBytes, Tag, BasePoolType,
                                              (Priority & POOL_SPECIAL_POOL_BIT) &&
                                                  (Priority & POOL_SPECIAL_POOL_UNDERRUN_BIT));
        if (Special)
            return Special;
    }
    SIZE_T Limit = CacheAligned ? POOL_BUDDY_MAX - POOL_CACHE_ALIGN_UNITS * POOL_SMALLEST_BLOCK : POOL_BUDDY_MAX;
    ULONG Units = ExpBytesToUnits(MIN(NumberOfBytes, Limit));
    Priority &= ~(POOL_SPECIAL_POOL_BIT | POOL_SPECIAL_POOL_UNDERRUN_BIT);
    if (Priority != HighPoolPriority &&
        !MiPoolResourcesAvailable(BasePoolType, NumberOfBytes,
                                  Priority == NormalPoolPriority ? POOL_RESERVE_FOR_NORMAL : POOL_RESERVE_FOR_LOW))
        return NumberOfBytes > Limit || CacheAligned ? NULL : AllocateWithoutNewPage(BasePoolType, Units, Tag);
    if (NumberOfBytes > Limit)
        return AllocateBigPages(BasePoolType, NumberOfBytes, Tag);
    if (CacheAligned)
        return ExpAllocateAlignedBlock(BasePoolType, Units, Tag);
    return AllocateSmallBlockOf(BasePoolType, Units, Tag);
}

/* AllocatePoolSlow, and NT's POOL_RAISE_IF_ALLOCATION_FAILURE: a request it cannot meet raises instead of NULL. */
static PVOID AllocatePoolOrRaise(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, PVOID Caller,
                                 EX_POOL_PRIORITY Priority)
{
    PVOID P = AllocatePoolSlow(PoolType, NumberOfBytes, Tag, Caller, Priority);
    if (!P && (PoolType & POOL_RAISE_IF_ALLOCATION_FAILURE))
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    return P;
}

/*
 * The fast path of ExAllocatePoolWithTag for one pool type (a constant): a
 * request of at least one byte with a tag that is neither 0 nor special
 * pool's, at an IRQL the pool allows. Up to 248 bytes it pops the lookaside list of
 * its size; a miss, or a larger request, takes a block from the free lists;
 * above 4080 bytes, whole pages. Everything else goes to AllocatePoolSlow.
 */
static inline __attribute__((always_inline)) PVOID AllocateFromPool(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                                                   ULONG Tag, PVOID Caller)
{
    if (UNLIKELY(Tag == 0 || Tag == MmSpecialPoolTag || KeGetCurrentIrql() > MiPoolMaximumIrql(PoolType)))
        return AllocatePoolSlow(PoolType, NumberOfBytes, Tag, Caller, HighPoolPriority);
    if (LIKELY(NumberOfBytes - 1 < POOL_SMALL_LISTS * POOL_SMALLEST_BLOCK - POOL_OVERHEAD))
        return AllocateFromLookaside(PoolType, ExpBytesToUnits(NumberOfBytes), Tag);
    if (LIKELY(NumberOfBytes - 1 < POOL_BUDDY_MAX))
        return AllocateListBlock(PoolType, ExpBytesToUnits(NumberOfBytes), Tag);
    if (UNLIKELY(NumberOfBytes == 0))
        return AllocatePoolSlow(PoolType, NumberOfBytes, Tag, Caller, HighPoolPriority);
    return AllocateBigPages(PoolType, NumberOfBytes, Tag);
}

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    if (PoolType == NonPagedPool)
        return AllocateFromPool(NonPagedPool, NumberOfBytes, Tag, __builtin_return_address(0));
    if (PoolType == PagedPool)
        return AllocateFromPool(PagedPool, NumberOfBytes, Tag, __builtin_return_address(0));
    return AllocatePoolOrRaise(PoolType, NumberOfBytes, Tag, __builtin_return_address(0), HighPoolPriority);
}

PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, EX_POOL_PRIORITY Priority)
{
    return AllocatePoolOrRaise(PoolType, NumberOfBytes, Tag, __builtin_return_address(0), Priority);
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

/*
 * Every free the fast path does not take, and every bad one: each check in
 * full, in order, and the verdict on the first that fails; a good block
 * then goes to its lookaside list or the free lists. An address inside a
 * pool whose page is not a page of small blocks (unmapped, free, or inside
 * a big allocation) gets MiBadPoolPagesFree's verdict before its header is
 * read: a header there is not one.
 */
static __attribute__((noinline)) void FreePoolSlow(PVOID P, ULONG Tag)
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
    MiCheckPoolFreeIrql(BasePoolType, P);
    if (!MiIsSinglePagePoolAllocation(P))
        MiBadPoolPagesFree(P);
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
            ExpMarkInLookaside(Entry);
            InterlockedPushEntrySList(&Lookaside->ListHead, P);
            return;
        }
        Lookaside->FreeMisses++;
        ExpFreeSmallBlock(BasePoolType, Entry);
        return;
    }
    /* ExpFreeSmallBlock checks the header against both neighbours before anything is changed. */
    ExpFreeSmallBlock(BasePoolType, Entry);
    ExpRemovePoolTracker(BlockTag, BlockSize << POOL_BLOCK_SHIFT, BasePoolType);
}

/*
 * The fast path of ExFreePoolWithTag for one pool type (a constant), P
 * already known to lie in that pool on a page that is mapped. A block whose
 * checks pass in the plainest way goes to its lookaside list; one larger
 * than a lookaside list's, to the free lists (which check it against both
 * neighbours), as does a lookaside-sized one whose list is full; anything
 * else, with nothing changed, to FreePoolSlow, which checks again in full
 * and names what is wrong. Tag 0 (ExFreePool) frees whatever tag the block
 * has.
 *
 *   P not page-aligned                           (else a big allocation; and
 *                                                 the header is in P's page)
 *   IRQL <= the pool's
 *   BlockSize | PoolType << 9 - ((PoolType + 1) << 9 | 1) < 32
 *                                                (allocated in this pool,
 *                                                 1..32 units: one compare)
 *   PoolIndex == 0, PoolTag == Tag (or Tag 0)
 *   the block ends inside its page and the next header's
 *   PreviousSize | PoolIndex << 9 == BlockSize, or it ends the page exactly
 *   list depth < list Depth                      (as in NT the depth is a
 *                                                 bound one processor keeps
 *                                                 exactly, several roughly)
 */
static inline __attribute__((always_inline)) void FreeToPool(POOL_TYPE PoolType, PVOID P, ULONG Tag)
{
    PPOOL_HEADER Entry = (PPOOL_HEADER)P - 1;

    if (UNLIKELY(BYTE_OFFSET(P) == 0 || KeGetCurrentIrql() > MiPoolMaximumIrql(PoolType)))
        goto Slow;
    /* BlockSize, if the upper half says "allocated in this pool"; else a number above 511. */
    ULONG Size = ((const USHORT *)Entry)[1] - ((PoolType + 1) << POOL_TYPE_SHIFT);
    if (Size - 1 >= POOL_SMALL_LISTS)
        goto NotLookaside;
    if (UNLIKELY(ExpPreviousAndIndex(Entry) >> POOL_TYPE_SHIFT))
        goto Slow;                          /* PoolIndex is not 0 */
    if (UNLIKELY(Tag != Entry->PoolTag && Tag != 0))
        goto Slow;
    PPOOL_HEADER Next = ExpBlockAt(Entry, Size);
    if (UNLIKELY(((ULONG)Next ^ (ULONG)Entry) >= PAGE_SIZE)) {
        if (BYTE_OFFSET(Next) != 0)
            goto Slow;                      /* past the end of the page */
    } else if (UNLIKELY(ExpPreviousAndIndex(Next) != Size)) {
        goto Slow;
    }
    PGENERAL_LOOKASIDE Lookaside = SmallLookaside(PoolType, Size);
    Lookaside->TotalFrees++;
    if (UNLIKELY(ExQueryDepthSList(&Lookaside->ListHead) >= Lookaside->Depth)) {
        Lookaside->FreeMisses++;
        goto FreeLists;
    }
    /* The block's size in bytes is the list's: read there, it need not be kept in a register. */
    ExpRemovePoolTracker(Entry->PoolTag, Lookaside->Size, PoolType);
    ExpMarkInLookaside(Entry);              /* before the push, which hands the block on */
    InterlockedPushEntrySList(&Lookaside->ListHead, P);
    return;

NotLookaside:
    /* Larger than a lookaside list's block (or no block of this pool): the free lists, if the header checks out. */
    if ((Entry->Ulong1 & TYPE_AND_INDEX_MASK) != ALLOCATED_BITS(PoolType) || (Tag != 0 && Tag != Entry->PoolTag))
        goto Slow;
FreeLists:
    /* The free lists check the block against both neighbours before they change anything. */
    if (PoolType == NonPagedPool)
        ExpFreeNonPagedListBlock(Entry, Entry->PoolTag, Entry->BlockSize);
    else
        ExpFreePagedListBlock(Entry, Entry->PoolTag, Entry->BlockSize);
    return;
Slow:
    FreePoolSlow(P, Tag);
}

/* True if Va's page is mapped in this address space now: its PDE and its PTE are valid. */
static inline bool PoolPageIsMapped(PVOID Va)
{
    return MiReadPte(MiAddressToPde(Va)).u.Hard.Valid && MiReadPte(MiAddressToPte(Va)).u.Hard.Valid;
}

/*
 * Where a free's header may be read without a fault that is not the
 * caller's to take: the initial nonpaged pool is always mapped; a paged
 * pool page is readable (touching it resolves its fault) exactly when it is
 * allocated; the nonpaged expansion when its page is mapped. Anything else
 * goes to FreePoolSlow, which names the bad free without reading a header
 * that is not there.
 */
void ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    if ((ULONG)P - (ULONG)MmNonPagedPoolStart < MmSizeOfNonPagedPoolInBytes)
        return FreeToPool(NonPagedPool, P, Tag);
    ULONG PagedPage = ((ULONG)P - (ULONG)MmPagedPoolStart) >> PAGE_SHIFT;
    if (PagedPage < MmSizeOfPagedPoolInBytes >> PAGE_SHIFT &&
        RtlCheckBit(&MmPagedPoolInfo.PagedPoolAllocationMap, PagedPage))
        return FreeToPool(PagedPool, P, Tag);
    if (MiIsNonPagedPoolAddress(P) && PoolPageIsMapped(P))
        return FreeToPool(NonPagedPool, P, Tag);
    FreePoolSlow(P, Tag);
}

void ExFreePool(PVOID P)
{
    ExFreePoolWithTag(P, 0);
}

SIZE_T ExQueryPoolBlockSize(PVOID PoolBlock, PBOOLEAN QuotaCharged)
{
    *QuotaCharged = FALSE;
    if (MiIsSpecialPoolAddress(PoolBlock))
        return MmQuerySpecialPoolBlockSize(PoolBlock);
    if (!MiIsNonPagedPoolAddress(PoolBlock) && !MiIsPagedPoolAddress(PoolBlock))
        return 0;
    if (BYTE_OFFSET(PoolBlock) == 0)
        return PAGE_SIZE;                   /* NT's answer for any big allocation */
    return ExpBlockBytes((PPOOL_HEADER)PoolBlock - 1) - POOL_OVERHEAD;
}

void MiInitializePool(void)
{
    MiInitializePoolPages();
    ExpInitializePoolDescriptors();
    ExpInitializePoolLookasideLists();
    ExpInitializePoolTracking();
}

void MiInitializePoolPhase1(void)
{
    MiInitializeSpecialPool();
    ExpRegisterPoolTagGuard();
}
