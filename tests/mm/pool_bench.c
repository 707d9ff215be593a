/*
 * tests/mm/pool_bench.c — the pools' benchmarks (make bench): guest
 * instructions per allocation + free pair.
 */
#include <hal.h>
#include <ktest.h>
#include <pool.h>

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

/* A 64-byte paged block from the lookaside list and back. */
KBENCH(pool_paged_alloc_free_64)
{
    const ULONG Count = 10000;
    AllocFreeLoop(b, PagedPool, 64, Count);
    KbenchReport(b, "pool_paged_alloc_free_64", Count);
}

/* Three pages of nonpaged pool: a big allocation with its big-page table entry, and its free. */
KBENCH(pool_big_alloc_free_3pages)
{
    const ULONG Count = 2000;
    AllocFreeLoop(b, NonPagedPool, 3 * PAGE_SIZE, Count);
    KbenchReport(b, "pool_big_alloc_free_3pages", Count);
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
