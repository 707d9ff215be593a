/*
 * tests/mm/pool_bench.c — the pools' benchmarks (make bench): guest
 * instructions per allocation + free pair.
 */
#include <hal.h>
#include <ktest.h>
#include <pool.h>
#include "../../mm/mi.h"

#define TAG_BENCH MAKE_TAG('B', 'n', 'c', 'h')

/* One Size-byte block of PoolType allocated and freed, over and over: the lookaside hit for small sizes. */
static void AllocFreeLoop(KBENCH_CONTEXT *b, POOL_TYPE PoolType, SIZE_T Size, ULONG Count)
{
    ExFreePoolWithTag(ExAllocatePoolWithTag(PoolType, Size, TAG_BENCH), TAG_BENCH);
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++)
        ExFreePoolWithTag(ExAllocatePoolWithTag(PoolType, Size, TAG_BENCH), TAG_BENCH);
    KbenchStop(b);
}

/* A 64-byte nonpaged block from the lookaside list and back. */
KBENCH(pool_np_alloc_free_64)
{
    const ULONG Count = 10000;
    AllocFreeLoop(b, NonPagedPool, 64, Count);
    KbenchReport(b, "pool_np_alloc_free_64", Count);
}

/*
 * The same 64-byte pair with every nonpaged lookaside list disabled (depth
 * 0, emptied first): each allocation misses its list and splits a block
 * from the free lists under the pool's lock, each free finds its list full
 * and merges the block back. One other block stays allocated in the page,
 * as some block nearly always does, so the page itself does not come and
 * go (that is pool_np_alloc_free_mixed's and the big figures' business).
 * The lists are restored afterwards.
 */
KBENCH(pool_np_alloc_free_64_freelist)
{
    const ULONG Count = 10000;
    USHORT Depths[POOL_SMALL_LISTS];
    for (ULONG i = 0; i < POOL_SMALL_LISTS; i++) {
        Depths[i] = ExpSmallPoolLookasideLists[NonPagedPool][i].Depth;
        ExpSmallPoolLookasideLists[NonPagedPool][i].Depth = 0;
    }
    ExpDrainPoolLookasideLists();
    PVOID Neighbour = ExAllocatePoolWithTag(NonPagedPool, 64, TAG_BENCH);
    AllocFreeLoop(b, NonPagedPool, 64, Count);
    ExFreePoolWithTag(Neighbour, TAG_BENCH);
    for (ULONG i = 0; i < POOL_SMALL_LISTS; i++)
        ExpSmallPoolLookasideLists[NonPagedPool][i].Depth = Depths[i];
    KbenchReport(b, "pool_np_alloc_free_64_freelist", Count);
}

/* A 64-byte paged block from the lookaside list and back. */
KBENCH(pool_paged_alloc_free_64)
{
    const ULONG Count = 10000;
    AllocFreeLoop(b, PagedPool, 64, Count);
    KbenchReport(b, "pool_paged_alloc_free_64", Count);
}

/*
 * Three pages of nonpaged pool: a big allocation with its big-page table
 * entry, and its free — one run of the initial region taken and given back
 * again and again, no page mapped or unmapped.
 */
KBENCH(pool_big_alloc_free_3pages)
{
    const ULONG Count = 2000;
    AllocFreeLoop(b, NonPagedPool, 3 * PAGE_SIZE, Count);
    KbenchReport(b, "pool_big_alloc_free_3pages", Count);
}

/*
 * Three-page nonpaged allocations that expand the pool: the initial
 * region's free runs of three pages or more are taken first, so every
 * allocation maps fresh pages of RAM into the expansion region (commit,
 * the expansion bitmap, a page and a PTE per page, the big-page table) and
 * every free unmaps them and gives them back. Sixteen are live at a time;
 * each step frees the oldest and allocates a new one (per pair).
 */
KBENCH(pool_big_alloc_free_3pages_expanding)
{
    static PVOID Initial[256];
    PVOID Live[16];
    ULONG Taken = 0, Runs, Largest;
    const ULONG Count = 2000;

    for (MiQueryInitialNonPagedRuns(&Runs, &Largest); Largest >= 3 && Taken < ARRAY_SIZE(Initial);
         MiQueryInitialNonPagedRuns(&Runs, &Largest))
        Initial[Taken++] = ExAllocatePoolWithTag(NonPagedPool, Largest * PAGE_SIZE, TAG_BENCH);
    ULONG ExpansionBefore = MiNonPagedExpansionPagesInUse;
    for (ULONG i = 0; i < ARRAY_SIZE(Live); i++)
        Live[i] = ExAllocatePoolWithTag(NonPagedPool, 3 * PAGE_SIZE, TAG_BENCH);
    if (MiNonPagedExpansionPagesInUse != ExpansionBefore + 3 * ARRAY_SIZE(Live))
        DbgPrint("bench: pool_big_alloc_free_3pages_expanding: allocations did not all expand the pool\n");
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++) {
        PVOID *Slot = &Live[i % ARRAY_SIZE(Live)];
        ExFreePoolWithTag(*Slot, TAG_BENCH);
        *Slot = ExAllocatePoolWithTag(NonPagedPool, 3 * PAGE_SIZE, TAG_BENCH);
    }
    KbenchStop(b);
    for (ULONG i = 0; i < ARRAY_SIZE(Live); i++)
        ExFreePoolWithTag(Live[i], TAG_BENCH);
    for (ULONG i = 0; i < Taken; i++)
        ExFreePoolWithTag(Initial[i], TAG_BENCH);
    KbenchReport(b, "pool_big_alloc_free_3pages_expanding", Count);
}

/*
 * Random sizes from 8 to 4080 bytes with 32 blocks live at a time: each
 * step frees the oldest block and allocates a new one, so splits, merges
 * and pages coming and going are all in the figure (per pair).
 */
KBENCH(pool_np_alloc_free_mixed)
{
    static USHORT Sizes[4096];
    PVOID Live[32] = { 0 };
    ULONG Random = 7;
    const ULONG Count = 20000;

    for (ULONG i = 0; i < ARRAY_SIZE(Sizes); i++) {
        Random = Random * 1103515245u + 12345u;
        Sizes[i] = 8 + (Random >> 8) % (4080 - 8 + 1);
    }
    for (ULONG i = 0; i < ARRAY_SIZE(Live); i++)
        Live[i] = ExAllocatePoolWithTag(NonPagedPool, Sizes[i], TAG_BENCH);
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++) {
        PVOID *Slot = &Live[i % ARRAY_SIZE(Live)];
        ExFreePoolWithTag(*Slot, TAG_BENCH);
        *Slot = ExAllocatePoolWithTag(NonPagedPool, Sizes[i % ARRAY_SIZE(Sizes)], TAG_BENCH);
    }
    KbenchStop(b);
    for (ULONG i = 0; i < ARRAY_SIZE(Live); i++)
        ExFreePoolWithTag(Live[i], TAG_BENCH);
    KbenchReport(b, "pool_np_alloc_free_mixed", Count);
}
