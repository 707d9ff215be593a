/*
 * tests/mm/pool_stress.c — the pools under load: a long random mix checked
 * against an oracle, a flood of one small size, and both pools run dry.
 */
#include <ktest.h>
#include <pool.h>
#include "../../mm/mi.h"
#include "../testlib.h"

#define TAG_MIX     MAKE_TAG('M', 'i', 'x', ' ')
#define TAG_FLOOD   MAKE_TAG('F', 'l', 'o', 'd')
#define TAG_DRY     MAKE_TAG('D', 'r', 'y', ' ')

static ULONG RandomState;

static ULONG Random(void)
{
    RandomState = RandomState * 1103515245u + 12345u;
    return RandomState >> 8;
}

/* The oracle: every live block, its size and the word it was filled with. */
typedef struct {
    PUCHAR P;
    ULONG Size;
    ULONG Fill;
    POOL_TYPE Type;
} LIVE_BLOCK;

#define MIX_SLOTS       1024
#define MIX_OPERATIONS  200000
static LIVE_BLOCK MixSlots[MIX_SLOTS];

static void FillBlock(const LIVE_BLOCK *Block)
{
    RtlFillMemoryUlong(Block->P, Block->Size & ~3u, Block->Fill);
    for (ULONG i = Block->Size & ~3u; i < Block->Size; i++)
        Block->P[i] = (UCHAR)Block->Fill;
}

static bool BlockIntact(const LIVE_BLOCK *Block)
{
    const ULONG *Word = (const ULONG *)Block->P;
    for (ULONG i = 0; i < Block->Size / 4; i++) {
        if (Word[i] != Block->Fill)
            return false;
    }
    for (ULONG i = Block->Size & ~3u; i < Block->Size; i++) {
        if (Block->P[i] != (UCHAR)Block->Fill)
            return false;
    }
    return true;
}

/* Mostly small blocks, some up to a page, a few big ones of up to three pages. */
static ULONG RandomSize(void)
{
    ULONG Kind = Random() % 100;
    if (Kind < 60)
        return 1 + Random() % 256;
    if (Kind < 95)
        return 257 + Random() % (POOL_BUDDY_MAX - 256);
    return POOL_BUDDY_MAX + 1 + Random() % (3 * PAGE_SIZE - POOL_BUDDY_MAX);
}

static SIZE_T ChargedBytes(ULONG Size)
{
    return Size > POOL_BUDDY_MAX ? ROUND_TO_PAGES(Size) : ROUND_UP(Size + POOL_OVERHEAD, POOL_SMALLEST_BLOCK);
}

/* Checks every live block against the oracle, and the tag table's byte count too. */
static ULONG CheckAllBlocks(KTEST_CONTEXT *t, ULONG Operation)
{
    SIZE_T Bytes[2] = { 0, 0 };
    ULONG Broken = 0;
    for (ULONG i = 0; i < MIX_SLOTS; i++) {
        if (!MixSlots[i].P)
            continue;
        Bytes[MixSlots[i].Type] += ChargedBytes(MixSlots[i].Size);
        if (!BlockIntact(&MixSlots[i])) {
            if (Broken++ == 0)
                KtestFail(t, __FILE__, __LINE__, "after %u operations, block %p (%u bytes) was overwritten",
                          Operation, MixSlots[i].P, MixSlots[i].Size);
        }
    }
    EXPECT_EQ(TestTagBytes(TAG_MIX, NonPagedPool), Bytes[NonPagedPool]);
    EXPECT_EQ(TestTagBytes(TAG_MIX, PagedPool), Bytes[PagedPool]);
    return Broken;
}

/*
 * 200,000 random allocations and frees across both pools, each block filled
 * with its own word and checked when freed and at every checkpoint: no two
 * live blocks may ever share a byte. Breaks if the allocator hands out
 * overlapping memory or a free corrupts a neighbour.
 */
KTEST(pool_stress, no_overlap_in_random_mix_of_both_pools)
{
    ULONG Fills = 0x10000;
    RandomState = 42;
    for (ULONG Operation = 1; Operation <= MIX_OPERATIONS; Operation++) {
        LIVE_BLOCK *Block = &MixSlots[Random() % MIX_SLOTS];
        if (Block->P) {
            if (!BlockIntact(Block)) {
                KtestFail(t, __FILE__, __LINE__, "after %u operations, block %p (%u bytes) was overwritten",
                          Operation, Block->P, Block->Size);
                break;
            }
            ExFreePoolWithTag(Block->P, TAG_MIX);
            Block->P = NULL;
            continue;
        }
        Block->Type = Random() % 2 ? PagedPool : NonPagedPool;
        Block->Size = RandomSize();
        Block->Fill = Fills++ * 0x9E3779B1u;
        Block->P = ExAllocatePoolWithTag(Block->Type, Block->Size, TAG_MIX);
        if (!Block->P) {
            KtestFail(t, __FILE__, __LINE__, "allocation %u of %u bytes failed", Operation, Block->Size);
            break;
        }
        FillBlock(Block);
        if (Operation % 20000 == 0 && CheckAllBlocks(t, Operation))
            break;
    }
    EXPECT_EQ(CheckAllBlocks(t, MIX_OPERATIONS), 0);
    for (ULONG i = 0; i < MIX_SLOTS; i++) {
        if (MixSlots[i].P)
            ExFreePoolWithTag(MixSlots[i].P, TAG_MIX);
        MixSlots[i].P = NULL;
    }
}

/*
 * 100,000 nonpaged blocks of 42 bytes, all live at once, then all freed:
 * each keeps the number it was given. Breaks if the pool cannot grow that
 * far or loses blocks on the way.
 */
KTEST(pool_stress, hundred_thousand_42_byte_blocks)
{
    const ULONG Count = 100000;
    PULONG Chain = NULL;
    ULONG Made = 0;
    for (; Made < Count; Made++) {
        PULONG Block = ExAllocatePoolWithTag(NonPagedPool, 42, TAG_FLOOD);
        if (!Block)
            break;
        Block[0] = (ULONG)Chain;
        for (ULONG w = 1; w < 10; w++)
            Block[w] = Made;
        Chain = Block;
    }
    EXPECT_EQ(Made, Count);
    EXPECT_EQ(TestTagBytes(TAG_FLOOD, NonPagedPool), Made * 56);
    ULONG Damaged = 0;
    for (ULONG Expect = Made; Chain; ) {
        PULONG Next = (PULONG)Chain[0];
        Expect--;
        for (ULONG w = 1; w < 10; w++)
            Damaged += Chain[w] != Expect;
        ExFreePoolWithTag(Chain, TAG_FLOOD);
        Chain = Next;
    }
    EXPECT_EQ(Damaged, 0);
    EXPECT_EQ(TestTagBytes(TAG_FLOOD, NonPagedPool), 0);
}

/*
 * Allocates from PoolType until nothing more fits: big requests first,
 * halving down to a page, then small blocks down to 8 bytes, so the pool
 * fills in a few thousand calls even with 250 MB to fill. Every block is
 * chained through its first word. Returns the chain; *Bytes gets the total.
 */
static PVOID *ExhaustPool(POOL_TYPE PoolType, SIZE_T *Bytes)
{
    static const SIZE_T SmallSizes[] = { POOL_BUDDY_MAX, 2040, 1016, 504, 248, 120, 56, 24, 8 };
    PVOID *Chain = NULL;
    PVOID *Block;

    *Bytes = 0;
    for (SIZE_T Size = 64 * 1024 * 1024; Size >= PAGE_SIZE; Size /= 2) {
        while ((Block = ExAllocatePoolWithTag(PoolType, Size, TAG_DRY)) != NULL) {
            *Block = Chain;
            Chain = Block;
            *Bytes += Size;
        }
    }
    for (ULONG i = 0; i < ARRAY_SIZE(SmallSizes); i++) {
        while ((Block = ExAllocatePoolWithTag(PoolType, SmallSizes[i], TAG_DRY)) != NULL) {
            *Block = Chain;
            Chain = Block;
            *Bytes += SmallSizes[i];
        }
    }
    return Chain;
}

static void FreeChain(PVOID *Chain)
{
    while (Chain) {
        PVOID *Next = *Chain;
        ExFreePoolWithTag(Chain, TAG_DRY);
        Chain = Next;
    }
}

/*
 * Nonpaged pool runs dry: allocations return NULL (nothing crashes), it got
 * as far as its limit — the maximum, the commit limit or RAM, whichever
 * comes first — and after everything is freed it is whole again: the
 * initial part's free pages coalesce back into the same runs.
 */
KTEST(pool_stress, nonpaged_pool_exhausted_and_recovered)
{
    ULONG RunsBefore, LargestBefore, RunsAfter, LargestAfter;
    MiQueryInitialNonPagedRuns(&RunsBefore, &LargestBefore);
    ULONG FreeInitialBefore = MmNumberOfFreeNonPagedPool;
    ULONG Before = MmAllocatedNonPagedPool;
    ULONG Room = MmNumberOfFreeNonPagedPool +
                 MIN(MiMaximumNonPagedExpansionPages - MiNonPagedExpansionPagesInUse,
                     MIN(MmTotalCommitLimit - MmTotalCommittedPages, MmAvailablePages));
    SIZE_T Bytes;
    PVOID *Chain = ExhaustPool(NonPagedPool, &Bytes);

    ULONG Got = MmAllocatedNonPagedPool - Before;
    EXPECT_NULL(ExAllocatePoolWithTag(NonPagedPool, 8, TAG_DRY));
    EXPECT_NULL(ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, TAG_DRY));
    EXPECT_GE(Got, Room - Room / 20);       /* page tables and the big-page table take a little */
    EXPECT_GE(TestTagBytes(TAG_DRY, NonPagedPool), Bytes);
    FreeChain(Chain);
    ExpDrainPoolLookasideLists();
    EXPECT_EQ(MmAllocatedNonPagedPool, Before);
    EXPECT_EQ(MmNumberOfFreeNonPagedPool, FreeInitialBefore);
    MiQueryInitialNonPagedRuns(&RunsAfter, &LargestAfter);
    EXPECT_EQ(RunsAfter, RunsBefore);
    EXPECT_EQ(LargestAfter, LargestBefore);

    PVOID Again = ExAllocatePoolWithTag(NonPagedPool, 1024 * 1024, TAG_DRY);
    EXPECT_NOT_NULL(Again);
    if (Again)
        ExFreePoolWithTag(Again, TAG_DRY);
}

/*
 * Paged pool runs dry — out of address space or out of commit — and
 * recovers the same way. Only the first page of each block is touched, so
 * the pages it costs are few.
 */
KTEST(pool_stress, paged_pool_exhausted_and_recovered)
{
    ULONG Before = MmPagedPoolInfo.AllocatedPagedPool;
    ULONG Room = MIN(MmPagedPoolInfo.PagedPoolAllocationMap.SizeOfBitMap - Before,
                     MmTotalCommitLimit - MmTotalCommittedPages);
    SIZE_T Bytes;
    PVOID *Chain = ExhaustPool(PagedPool, &Bytes);

    ULONG Got = MmPagedPoolInfo.AllocatedPagedPool - Before;
    EXPECT_NULL(ExAllocatePoolWithTag(PagedPool, 8, TAG_DRY));
    EXPECT_NULL(ExAllocatePoolWithTag(PagedPool, PAGE_SIZE, TAG_DRY));
    EXPECT_GE(Got, Room - Room / 20);
    EXPECT_GE(TestTagBytes(TAG_DRY, PagedPool), Bytes);
    FreeChain(Chain);
    ExpDrainPoolLookasideLists();
    EXPECT_EQ(MmPagedPoolInfo.AllocatedPagedPool, Before);

    PVOID Again = ExAllocatePoolWithTag(PagedPool, 1024 * 1024, TAG_DRY);
    EXPECT_NOT_NULL(Again);
    if (Again)
        ExFreePoolWithTag(Again, TAG_DRY);
}
