/*
 * mm/poolblk.c — small pool blocks: cutting pool pages into blocks and
 * putting them back together (NT's free lists in a POOL_DESCRIPTOR).
 * THE LAB'S VERSION (docs/labs/pool.md): three routines are yours —
 * AllocateSmallBlock, FreeSmallBlockOf and CheckBlockNeighbours, below,
 * with their contracts; the rest of this file is plumbing and is given.
 * `make grade LAB=pool` scores it; `make lab-reset LAB=pool` puts the
 * reference back (your file is saved first).
 *
 * A request of up to 4080 bytes (POOL_BUDDY_MAX) is a small block cut out
 * of a pool page: an 8-byte POOL_HEADER followed by the caller's bytes,
 * everything measured in 8-byte units (POOL_BLOCK_SHIFT). NT's layout,
 * which the rest of the kernel reads (pool.c's checks on free, the lookaside
 * lists, !pool, the tests) and which you must keep:
 *   - the headers chain through the page: a header's BlockSize (units,
 *     header included) leads to the next block, its PreviousSize back to
 *     the one before (0 for the first block of a page), so the blocks of a
 *     page always add up to exactly POOL_UNITS_PER_PAGE (512) units;
 *   - PoolType is BasePoolType + 1 for an allocated block (ExpSetAllocatedType)
 *     and POOL_FREE_BLOCK (0) for a free one; PoolIndex is 0; PoolTag the tag;
 *   - a free block of two units or more keeps a LIST_ENTRY, its free list
 *     links, at the start of its body (FreeLinks);
 *   - two free blocks are never next to each other in a page: a free merges
 *     with a free neighbour on either side, and a page that becomes one
 *     free block goes back to poolpage.c (MiFreePoolPages): the test
 *     harness's leak guard counts pages, and a pool that keeps empty pages
 *     fails every test that allocates.
 * Each pool (nonpaged, paged) has its POOL_DESCRIPTOR (mm/mi.h): a list head
 * per block size in ListHeads, and ListsInUse/ListsInUseSummary you may use
 * as a bitmap of non-empty lists (or not); RunningAllocs, RunningDeAllocs and
 * TotalPages are counted for !poolused's descriptors. A fresh page comes
 * from MiAllocatePoolPages(BasePoolType, PAGE_SIZE) (NULL when the pool is
 * exhausted). Nonpaged pool's lists are locked by a spin lock, paged pool's
 * by a fast mutex (its pages fault in on first touch): LockPool/UnlockPool.
 *
 * pool.c decides which requests and frees come here (sizes, lookaside
 * lists, big allocations) and checks the type and tag of a freed block;
 * this file trusts them, and checks the headers.
 */
#include <kd.h>
#include "mi.h"

POOL_DESCRIPTOR NonPagedPoolDescriptor, PagedPoolDescriptor;
static KSPIN_LOCK ExpNonPagedPoolLock;
static FAST_MUTEX ExpPagedPoolMutex;

/* A free block's list links, at the start of its body. */
static inline PLIST_ENTRY FreeLinks(PPOOL_HEADER Entry)
{
    return (PLIST_ENTRY)(Entry + 1);
}

/* The header as two 16-bit halves: PreviousSize | PoolIndex << 9 below, BlockSize | PoolType << 9 above. */
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

/* The pool's lock. Returns the IRQL to go back to. */
static inline KIRQL LockPool(POOL_TYPE BasePoolType)
{
    KIRQL OldIrql = PASSIVE_LEVEL;
    if (BasePoolType == NonPagedPool)
        KeAcquireSpinLock(&ExpNonPagedPoolLock, &OldIrql);
    else
        ExAcquireFastMutex(&ExpPagedPoolMutex);
    return OldIrql;
}

static inline void UnlockPool(POOL_TYPE BasePoolType, KIRQL OldIrql)
{
    if (BasePoolType == NonPagedPool)
        KeReleaseSpinLock(&ExpNonPagedPoolLock, OldIrql);
    else
        ExReleaseFastMutex(&ExpPagedPoolMutex);
}

/* ------------------------------------------------------------ yours */

/*
 * Checks that Entry's header fits its page and its neighbours' headers
 * before anything relies on it: BlockSize not 0 and not past the end of the
 * page, the next block's PreviousSize equal to BlockSize, PreviousSize not
 * reaching before the page (0 exactly for the first block), the previous
 * block's BlockSize equal to PreviousSize. Anything else is
 * KeBugCheckEx(BAD_POOL_HEADER, ...) — a corrupt header, found before it
 * hands out overlapping blocks. (NT's first parameters: 5 a neighbour
 * disagrees, 6 the previous size, 8 and 9 the size; the graded tests check
 * the code, 0x19, not which.) Pool locked, or about to be.
 */
static void CheckBlockNeighbours(PPOOL_HEADER Entry)
{
}

/*
 * A block of Units units (header included) for Tag, plus
 * POOL_CACHE_ALIGN_UNITS of slack if CacheAligned (then its body, Entry + 1,
 * must start on a POOL_CACHE_ALIGNMENT boundary: give the slack in front
 * back as a free block, and any left at the end), from the free lists or,
 * if MayGrow, a fresh page; its header written: BlockSize, PoolType
 * (BasePoolType + 1), PoolTag, PreviousSize consistent with the page (and
 * the next block's PreviousSize too). NULL when no block fits (and it may
 * not grow, or the pool is exhausted). A free block you take whose links do
 * not point back at it was overwritten after its free: BAD_POOL_HEADER (NT's
 * first parameter 3). Takes and releases the pool's lock (LockPool). Counts
 * Descriptor->RunningAllocs (and TotalPages for a fresh page).
 */
static PPOOL_HEADER AllocateSmallBlock(POOL_TYPE BasePoolType, ULONG Units, ULONG Tag, bool CacheAligned,
                                       bool MayGrow)
{
    return NULL;
}

/*
 * Returns the allocated (or lookaside-cached) small block Entry to its
 * pool: CheckBlockNeighbours first, then marks it free, merges it with a
 * free neighbour on either side, lists it (if it has two units or more), or
 * gives the page back (MiFreePoolPages on the page's first header) when the
 * merged block is the whole page. A free neighbour whose header no longer
 * fits its page was changed after its own free: BAD_POOL_HEADER (NT's 0x0D
 * for the next block, 0x0E the previous). Takes and releases the pool's
 * lock; counts Descriptor->RunningDeAllocs (TotalPages when a page goes).
 */
static void FreeSmallBlockOf(POOL_TYPE BasePoolType, PPOOL_HEADER Entry)
{
}

/* ------------------------------------------------------------ given: the plumbing pool.c calls */

void ExpCheckBlockNeighbours(PPOOL_HEADER Entry)
{
    CheckBlockNeighbours(Entry);
}

/* One pool's block, counted against its tag. */
static PVOID AllocateCountedBlock(POOL_TYPE PoolType, ULONG Units, ULONG Tag, bool CacheAligned, bool MayGrow)
{
    PPOOL_HEADER Entry = AllocateSmallBlock(PoolType, Units, Tag, CacheAligned, MayGrow);
    if (!Entry)
        return NULL;
    ExpInsertPoolTracker(Tag, Units << POOL_BLOCK_SHIFT, PoolType);
    return Entry + 1;
}

__attribute__((regparm(3))) PVOID ExpAllocateNonPagedBlock(ULONG Units, ULONG Tag)
{
    return AllocateCountedBlock(NonPagedPool, Units, Tag, false, true);
}

__attribute__((regparm(3))) PVOID ExpAllocatePagedBlock(ULONG Units, ULONG Tag)
{
    return AllocateCountedBlock(PagedPool, Units, Tag, false, true);
}

__attribute__((regparm(3))) PVOID ExpAllocateAlignedBlock(POOL_TYPE BasePoolType, ULONG Units, ULONG Tag)
{
    return AllocateCountedBlock(BasePoolType, Units, Tag, true, true);
}

PVOID ExpAllocateBlockWithoutNewPage(POOL_TYPE BasePoolType, ULONG Units, ULONG Tag)
{
    return AllocateCountedBlock(BasePoolType, Units, Tag, false, false);
}

void ExpFreeSmallBlock(POOL_TYPE BasePoolType, PPOOL_HEADER Entry)
{
    FreeSmallBlockOf(BasePoolType, Entry);
}

void ExpFreeCachedPoolBlock(PPOOL_HEADER Entry)
{
    POOL_TYPE BasePoolType = (Entry->PoolType & ~POOL_IN_LOOKASIDE) - 1;
    ExpFreeSmallBlock(BasePoolType & BASE_POOL_TYPE_MASK, Entry);
}

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

/* !pool's walk of a page (include/pool.h): it reads NT's header chain, which your blocks keep. */
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
