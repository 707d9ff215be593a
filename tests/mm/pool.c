/*
 * tests/mm/pool.c — the executive pools: blocks, big pages, merging, tags,
 * lookaside lists, paged pool's demand-zero pages.
 *
 * The tests look at headers and pool internals through mm/mi.h: what NT's
 * !pool and !poolused would show. Each one gives back everything it takes;
 * the harness checks pages, commit and the tag table around every test.
 */
#include <ktest.h>
#include <pool.h>
#include "../../mm/mi.h"
#include "../testlib.h"

#define TAG_TEST    MAKE_TAG('T', 's', 't', '1')
#define TAG_OTHER   MAKE_TAG('T', 's', 't', '2')

static void FillPattern(PVOID P, SIZE_T Bytes, ULONG Seed)
{
    PUCHAR Byte = P;
    for (SIZE_T i = 0; i < Bytes; i++)
        Byte[i] = (UCHAR)(Seed + i * 7);
}

static bool PatternIntact(const void *P, SIZE_T Bytes, ULONG Seed)
{
    const UCHAR *Byte = P;
    for (SIZE_T i = 0; i < Bytes; i++) {
        if (Byte[i] != (UCHAR)(Seed + i * 7))
            return false;
    }
    return true;
}

static ULONG TagLive(ULONG Tag, POOL_TYPE PoolType)
{
    SYSTEM_POOLTAG Info;
    if (!NT_SUCCESS(ExQueryPoolTagInformation(Tag, &Info)))
        return 0;
    return PoolType == PagedPool ? Info.PagedAllocs - Info.PagedFrees : Info.NonPagedAllocs - Info.NonPagedFrees;
}

/*
 * Paged pool made while another address space exists is reached from it: its
 * page table arrives by lazy PDE sync, its first touch there gets a zeroed
 * page, and both address spaces see the same bytes. Breaks if paged pool's
 * page tables are not synchronised or its demand-zero fault is not resolved.
 */
KTEST(pool, paged_pool_touched_from_second_address_space)
{
    EPROCESS Second;
    KAPC_STATE ApcState;
    ASSERT_EQ(TestCreateProcess(&Second), STATUS_SUCCESS);
    volatile ULONG *Block = ExAllocatePoolWithTag(PagedPool, 3 * PAGE_SIZE, TAG_TEST);
    ASSERT_NOT_NULL(Block);
    Block[0] = 0x1234;

    KeStackAttachProcess(&Second.Pcb, &ApcState);
    /* As if Second had been made before this page table existed: its PDE is not there yet. */
    MiWritePte(MiAddressToPde(&Block[2 * PAGE_SIZE / 4]), (MMPTE){ .u.Long = 0 });
    KeFlushCurrentTb();
    ULONG SeenThere = Block[0];
    ULONG FreshThere = Block[2 * PAGE_SIZE / 4];
    bool PdeSynced = MiReadPte(MiAddressToPde(&Block[2 * PAGE_SIZE / 4])).u.Hard.Valid;
    Block[2 * PAGE_SIZE / 4] = 0x5678;
    KeUnstackDetachProcess(&ApcState);

    EXPECT_EQ(SeenThere, 0x1234);
    EXPECT_EQ(FreshThere, 0);
    EXPECT_TRUE(PdeSynced);
    EXPECT_EQ(Block[2 * PAGE_SIZE / 4], 0x5678);
    ExFreePoolWithTag((PVOID)Block, TAG_TEST);
    TestDeleteProcess(&Second);
}

/*
 * Every size from 1 to 4080 bytes is a small block: 8-byte aligned, right
 * after an NT POOL_HEADER holding the block's size in units, the pool type
 * and the tag. Breaks if the header layout or the size rounding is wrong.
 */
KTEST(pool, sizes_1_to_4080_carry_header_and_tag)
{
    for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
        for (SIZE_T Size = 1; Size <= POOL_BUDDY_MAX; Size++) {
            PUCHAR P = ExAllocatePoolWithTag(Type, Size, TAG_TEST);
            ASSERT_NOT_NULL(P);
            PPOOL_HEADER Header = (PPOOL_HEADER)P - 1;
            BOOLEAN Quota;
            if ((ULONG)P % 8 != 0 || Header->BlockSize != (Size + 15) / 8 || Header->PoolTag != TAG_TEST ||
                Header->PoolType != Type + 1 || ExQueryPoolBlockSize(P, &Quota) < Size ||
                ExQueryPoolBlockSize(P, &Quota) >= Size + 8) {
                EXPECT_EQ(Size, 0);         /* reports the first size that is wrong */
                ExFreePoolWithTag(P, TAG_TEST);
                break;
            }
            P[0] = P[Size - 1] = 0x5A;
            ExFreePoolWithTag(P, TAG_TEST);
        }
    }
    EXPECT_EQ(TagLive(TAG_TEST, NonPagedPool), 0);
}

/*
 * 4081 bytes, one page and three pages come back page-aligned, as whole
 * pages. Breaks if big requests are cut from small-block pages.
 */
KTEST(pool, big_requests_are_page_aligned)
{
    static const SIZE_T Sizes[] = { POOL_BUDDY_MAX + 1, PAGE_SIZE, 3 * PAGE_SIZE, 3 * PAGE_SIZE - 1 };
    for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
        for (ULONG i = 0; i < ARRAY_SIZE(Sizes); i++) {
            SIZE_T Before = TestTagBytes(TAG_TEST, Type);
            PUCHAR P = ExAllocatePoolWithTag(Type, Sizes[i], TAG_TEST);
            ASSERT_NOT_NULL(P);
            EXPECT_EQ(BYTE_OFFSET(P), 0);
            EXPECT_EQ(TestTagBytes(TAG_TEST, Type) - Before, ROUND_TO_PAGES(Sizes[i]));
            P[0] = P[Sizes[i] - 1] = 1;
            ExFreePoolWithTag(P, TAG_TEST);
            EXPECT_EQ(TestTagBytes(TAG_TEST, Type), Before);
        }
    }
}

/* Cache-aligned blocks start on a 64-byte line whatever their size. Breaks if the alignment trim corrupts the page. */
KTEST(pool, cache_aligned_blocks_start_on_a_line)
{
    static const POOL_TYPE Types[] = { NonPagedPoolCacheAligned, PagedPoolCacheAligned };
    for (ULONG k = 0; k < ARRAY_SIZE(Types); k++) {
        PVOID Blocks[64];
        for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++) {
            SIZE_T Size = 1 + i * 61;
            Blocks[i] = ExAllocatePoolWithTag(Types[k], Size, TAG_TEST);
            ASSERT_NOT_NULL(Blocks[i]);
            EXPECT_EQ((ULONG)Blocks[i] % POOL_CACHE_ALIGNMENT, 0);
            FillPattern(Blocks[i], Size, i);
        }
        for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++) {
            EXPECT_TRUE(PatternIntact(Blocks[i], 1 + i * 61, i));
            ExFreePoolWithTag(Blocks[i], TAG_TEST);
        }
        PVOID Big = ExAllocatePoolWithTag(Types[k], POOL_BUDDY_MAX, TAG_TEST);
        ASSERT_NOT_NULL(Big);
        EXPECT_EQ(BYTE_OFFSET(Big), 0);
        ExFreePoolWithTag(Big, TAG_TEST);
    }
}

/* Sizes that overflow and pool types mm386 does not provide give NULL, not a crash. */
KTEST(pool, impossible_requests_return_null)
{
    EXPECT_NULL(ExAllocatePoolWithTag(NonPagedPool, 0xFFFFFFFF, TAG_TEST));
    EXPECT_NULL(ExAllocatePoolWithTag(PagedPool, 0xFFFFF001, TAG_TEST));
    EXPECT_NULL(ExAllocatePoolWithTag(NonPagedPool, 0x80000000, TAG_TEST));
    EXPECT_NULL(ExAllocatePoolWithTag(PagedPool, MmSizeOfPagedPoolInBytes + PAGE_SIZE, TAG_TEST));
    EXPECT_NULL(ExAllocatePoolWithTag(DontUseThisType, 16, TAG_TEST));
    EXPECT_NULL(ExAllocatePoolWithTag(MaxPoolType, 16, TAG_TEST));
    EXPECT_NULL(ExAllocatePoolWithTag((POOL_TYPE)0x40, 16, TAG_TEST));
    EXPECT_NULL(ExAllocatePoolWithTag((POOL_TYPE)(NonPagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE), 16, TAG_TEST));
    EXPECT_NULL(ExAllocatePoolWithTag(DontUseThisTypeSession, 16, TAG_TEST));
    EXPECT_EQ(TagLive(TAG_TEST, NonPagedPool) + TagLive(TAG_TEST, PagedPool), 0);
}

/* ExAllocatePool charges NT's default tag, 'None'. */
KTEST(pool, untagged_allocations_are_charged_to_none)
{
    SIZE_T Before = TestTagBytes(POOL_DEFAULT_TAG, NonPagedPool);
    PVOID P = ExAllocatePool(NonPagedPool, 100);
    ASSERT_NOT_NULL(P);
    EXPECT_EQ(TestTagBytes(POOL_DEFAULT_TAG, NonPagedPool) - Before, 112);
    ExFreePool(P);
}

typedef struct {
    ULONG Blocks, FreeBlocks, Bytes;
    ULONG TestBlocks;
    PVOID Free[8];
} WALK;

static void CountBlock(const POOL_BLOCK_INFORMATION *Block, PVOID Context)
{
    WALK *w = Context;
    w->Blocks++;
    w->Bytes += Block->Size;
    if (Block->Free && w->FreeBlocks < ARRAY_SIZE(w->Free))
        w->Free[w->FreeBlocks] = Block->Header;
    w->FreeBlocks += Block->Free;
    w->TestBlocks += !Block->Free && !Block->Cached && Block->Tag == TAG_TEST;
}

/*
 * Freeing blocks merges them with free neighbours on both sides, and when
 * every block of a page is free the page goes back to the page allocator.
 * Breaks if merging misses a side or a fully free page is kept.
 */
KTEST(pool, merging_returns_the_page)
{
    for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
        PPOOL_DESCRIPTOR Descriptor = Type == NonPagedPool ? &NonPagedPoolDescriptor : &PagedPoolDescriptor;
        PUCHAR Blocks[32];
        PUCHAR Page = NULL;
        ULONG n = 0;

        /* 1016-byte blocks are a quarter page each: find a page that four of them fill. */
        while (!Page && n < ARRAY_SIZE(Blocks)) {
            Blocks[n] = ExAllocatePoolWithTag(Type, 1016, TAG_TEST);
            ASSERT_NOT_NULL(Blocks[n]);
            n++;
            ULONG SamePage = 0;
            for (ULONG i = 0; i < n; i++)
                SamePage += PAGE_ALIGN(Blocks[i]) == PAGE_ALIGN(Blocks[n - 1]);
            if (SamePage == 4)
                Page = PAGE_ALIGN(Blocks[n - 1]);
        }
        ASSERT_NOT_NULL(Page);
        ULONG PagesWith = Descriptor->TotalPages;

        /* Free the second and fourth, then the third (merges both ways), then the first. */
        PUCHAR Quarter[4];
        for (ULONG i = 0; i < n; i++) {
            if (PAGE_ALIGN(Blocks[i]) == Page)
                Quarter[BYTE_OFFSET(Blocks[i]) / 1024] = Blocks[i];
        }
        ExFreePoolWithTag(Quarter[1], TAG_TEST);
        ExFreePoolWithTag(Quarter[3], TAG_TEST);
        WALK w = { 0 };
        EXPECT_EQ(ExpWalkPoolPage(Page, CountBlock, &w), STATUS_SUCCESS);
        EXPECT_EQ(w.Blocks, 4);
        EXPECT_EQ(w.FreeBlocks, 2);
        ExFreePoolWithTag(Quarter[2], TAG_TEST);
        w = (WALK){ 0 };
        EXPECT_EQ(ExpWalkPoolPage(Page, CountBlock, &w), STATUS_SUCCESS);
        EXPECT_EQ(w.Blocks, 2);
        EXPECT_EQ(w.FreeBlocks, 1);
        EXPECT_EQ(w.Free[0], Quarter[1] - POOL_OVERHEAD);
        EXPECT_EQ(w.Bytes, PAGE_SIZE);
        ExFreePoolWithTag(Quarter[0], TAG_TEST);
        EXPECT_EQ(Descriptor->TotalPages, PagesWith - 1);
        EXPECT_EQ(ExpWalkPoolPage(Page, CountBlock, &w), STATUS_INVALID_PARAMETER);

        for (ULONG i = 0; i < n; i++) {
            if (PAGE_ALIGN(Blocks[i]) != Page)
                ExFreePoolWithTag(Blocks[i], TAG_TEST);
        }
    }
}

/*
 * A page of small blocks always adds up to 4096 bytes, header by header.
 * Breaks if a split or a merge leaves PreviousSize or BlockSize wrong.
 */
KTEST(pool, every_page_adds_up)
{
    PVOID Blocks[200];
    for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++) {
        Blocks[i] = ExAllocatePoolWithTag(i % 2 ? PagedPool : NonPagedPool, 8 + (i * 97) % 2000, TAG_TEST);
        ASSERT_NOT_NULL(Blocks[i]);
    }
    for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i += 3) {
        ExFreePoolWithTag(Blocks[i], TAG_TEST);
        Blocks[i] = NULL;
    }
    ULONG Found = 0;
    for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++) {
        if (!Blocks[i])
            continue;
        WALK w = { 0 };
        EXPECT_EQ(ExpWalkPoolPage(Blocks[i], CountBlock, &w), STATUS_SUCCESS);
        EXPECT_EQ(w.Bytes, PAGE_SIZE);
        Found += w.TestBlocks;
    }
    EXPECT_GE(Found, 133);
    for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++) {
        if (Blocks[i])
            ExFreePoolWithTag(Blocks[i], TAG_TEST);
    }
}

/*
 * Each tag's counters equal the blocks it holds: allocations minus frees,
 * bytes of whole blocks (header included) and whole pages for big ones.
 * Breaks if a path forgets to count or counts the wrong size.
 */
KTEST(pool, tag_table_totals_equal_live_allocations)
{
    static const SIZE_T Sizes[] = { 1, 8, 24, 100, 248, 249, 1000, 4080, 4081, 10000 };
    PVOID Blocks[2][ARRAY_SIZE(Sizes)];
    SIZE_T Expected[2] = { 0, 0 };

    for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
        for (ULONG i = 0; i < ARRAY_SIZE(Sizes); i++) {
            Blocks[Type][i] = ExAllocatePoolWithTag(Type, Sizes[i], TAG_OTHER);
            ASSERT_NOT_NULL(Blocks[Type][i]);
            Expected[Type] += Sizes[i] > POOL_BUDDY_MAX ? ROUND_TO_PAGES(Sizes[i]) : ROUND_UP(Sizes[i] + 8, 8);
        }
    }
    for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
        EXPECT_EQ(TagLive(TAG_OTHER, Type), ARRAY_SIZE(Sizes));
        EXPECT_EQ(TestTagBytes(TAG_OTHER, Type), Expected[Type]);
    }
    for (ULONG i = 0; i < ARRAY_SIZE(Sizes); i += 2) {
        ExFreePoolWithTag(Blocks[NonPagedPool][i], TAG_OTHER);
        Expected[NonPagedPool] -= Sizes[i] > POOL_BUDDY_MAX ? ROUND_TO_PAGES(Sizes[i]) : ROUND_UP(Sizes[i] + 8, 8);
    }
    EXPECT_EQ(TagLive(TAG_OTHER, NonPagedPool), ARRAY_SIZE(Sizes) / 2);
    EXPECT_EQ(TestTagBytes(TAG_OTHER, NonPagedPool), Expected[NonPagedPool]);
    EXPECT_EQ(TestTagBytes(TAG_OTHER, PagedPool), Expected[PagedPool]);
    for (ULONG i = 0; i < ARRAY_SIZE(Sizes); i++) {
        if (i % 2)
            ExFreePoolWithTag(Blocks[NonPagedPool][i], TAG_OTHER);
        ExFreePoolWithTag(Blocks[PagedPool][i], TAG_OTHER);
    }
    EXPECT_EQ(TagLive(TAG_OTHER, NonPagedPool) + TagLive(TAG_OTHER, PagedPool), 0);
    EXPECT_EQ(TestTagBytes(TAG_OTHER, NonPagedPool) + TestTagBytes(TAG_OTHER, PagedPool), 0);
}

/*
 * A small block freed and allocated again at the same size comes from the
 * pool's lookaside list, and a list never holds more than its depth.
 * Breaks if the fast path misses or a list grows without bound.
 */
KTEST(pool, pool_lookaside_hits_and_respects_depth)
{
    for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
        ExpDrainPoolLookasideLists();
        PGENERAL_LOOKASIDE List = &ExpSmallPoolLookasideLists[Type][(64 + 8) / 8 - 1];
        PVOID First = ExAllocatePoolWithTag(Type, 64, TAG_TEST);
        ASSERT_NOT_NULL(First);
        ExFreePoolWithTag(First, TAG_TEST);
        EXPECT_EQ(ExQueryDepthSList(&List->ListHead), 1);
        ULONG Misses = List->AllocateMisses, Allocates = List->TotalAllocates;
        PVOID Again = ExAllocatePoolWithTag(Type, 64, TAG_TEST);
        EXPECT_EQ(Again, First);
        EXPECT_EQ(List->TotalAllocates, Allocates + 1);
        EXPECT_EQ(List->AllocateMisses, Misses);
        EXPECT_EQ((ULONG)((PPOOL_HEADER)Again - 1)->PoolType, Type + 1);
        ExFreePoolWithTag(Again, TAG_TEST);

        PVOID Blocks[2 * POOL_SMALL_LOOKASIDE_DEPTH];
        for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++) {
            Blocks[i] = ExAllocatePoolWithTag(Type, 64, TAG_TEST);
            ASSERT_NOT_NULL(Blocks[i]);
        }
        ULONG FreeMisses = List->FreeMisses;
        for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++)
            ExFreePoolWithTag(Blocks[i], TAG_TEST);
        EXPECT_EQ(ExQueryDepthSList(&List->ListHead), List->Depth);
        EXPECT_EQ(List->FreeMisses - FreeMisses, ARRAY_SIZE(Blocks) - List->Depth);
    }
}

/*
 * A lookaside-sized block that ends its page exactly has no next header to
 * check; it still goes to its lookaside list (marked POOL_IN_LOOKASIDE),
 * like any other. Breaks if such a block is merged into the free lists
 * instead, or refused.
 */
KTEST(pool, block_ending_its_page_goes_to_its_lookaside_list)
{
    static PVOID Blocks[600];
    ULONG n = 0;
    PUCHAR Last = NULL;
    ExpDrainPoolLookasideLists();
    while (n < ARRAY_SIZE(Blocks) && !Last) {
        PUCHAR P = ExAllocatePoolWithTag(NonPagedPool, 64, TAG_TEST);
        ASSERT_NOT_NULL(P);
        PPOOL_HEADER Header = (PPOOL_HEADER)P - 1;
        if (ExpPageOffset(Header) + Header->BlockSize == POOL_UNITS_PER_PAGE)
            Last = P;
        else
            Blocks[n++] = P;
    }
    ASSERT_NOT_NULL(Last);
    PGENERAL_LOOKASIDE List = &ExpSmallPoolLookasideLists[NonPagedPool][(64 + 8) / 8 - 1];
    ULONG Depth = ExQueryDepthSList(&List->ListHead);
    ExFreePoolWithTag(Last, TAG_TEST);
    EXPECT_EQ(ExQueryDepthSList(&List->ListHead), Depth + 1);
    EXPECT_EQ(RtlFirstEntrySList(&List->ListHead), (PSLIST_ENTRY)Last);
    EXPECT_TRUE(((PPOOL_HEADER)Last - 1)->PoolType & POOL_IN_LOOKASIDE);
    for (ULONG i = 0; i < n; i++)
        ExFreePoolWithTag(Blocks[i], TAG_TEST);
}

/*
 * Two tags with the same home row in the tag table: whichever is not in its
 * home row is found by the slower paths (the fast paths check the home row
 * only), and both still hit their lookaside list and count every
 * allocation and free. Breaks if a tag away from its home row loses counts
 * or bypasses the lookaside lists.
 */
KTEST(pool, tags_sharing_a_home_row_are_counted_and_cached)
{
    const ULONG Tags[] = { MAKE_TAG('H', 'o', 'm', '1'), MAKE_TAG('H', 'o', 'W', '6') };
    ASSERT_EQ(ExpTagHash(Tags[0]), ExpTagHash(Tags[1]));

    for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
        for (ULONG i = 0; i < ARRAY_SIZE(Tags); i++) {
            ExpDrainPoolLookasideLists();
            PGENERAL_LOOKASIDE List = &ExpSmallPoolLookasideLists[Type][(64 + 8) / 8 - 1];
            PVOID First = ExAllocatePoolWithTag(Type, 64, Tags[i]);
            ASSERT_NOT_NULL(First);
            ExFreePoolWithTag(First, Tags[i]);
            EXPECT_EQ(ExQueryDepthSList(&List->ListHead), 1);
            ULONG Misses = List->AllocateMisses, Allocates = List->TotalAllocates;
            PVOID Again = ExAllocatePoolWithTag(Type, 64, Tags[i]);
            EXPECT_EQ(Again, First);
            EXPECT_EQ(List->TotalAllocates, Allocates + 1);
            EXPECT_EQ(List->AllocateMisses, Misses);
            EXPECT_EQ(TagLive(Tags[i], Type), 1);
            EXPECT_EQ(TestTagBytes(Tags[i], Type), 64 + 8);
            ExFreePoolWithTag(Again, Tags[i]);
            EXPECT_EQ(TagLive(Tags[i], Type), 0);
            EXPECT_EQ(TestTagBytes(Tags[i], Type), 0);
        }
    }
}

static ULONG CountingFrees;

static void CountingFree(PVOID Buffer)
{
    CountingFrees++;
    ExFreePool(Buffer);
}

/*
 * A client lookaside list hands back what was freed to it (LIFO, no pool
 * call), keeps at most Depth entries and frees the rest through its Free
 * routine; deleting it frees what it caches. Breaks if the hit/miss
 * accounting or the depth limit is wrong.
 */
KTEST(pool, client_lookaside_hits_and_respects_depth)
{
    NPAGED_LOOKASIDE_LIST NonPaged;
    PAGED_LOOKASIDE_LIST Paged;
    ExInitializeNPagedLookasideList(&NonPaged, NULL, CountingFree, 0, 100, TAG_OTHER, 8);
    ExInitializePagedLookasideList(&Paged, NULL, CountingFree, 0, 3000, TAG_OTHER, 0);
    PGENERAL_LOOKASIDE Lists[2] = { &NonPaged.L, &Paged.L };
    EXPECT_EQ(NonPaged.L.Depth, 8);
    EXPECT_EQ(Paged.L.Depth, LOOKASIDE_MINIMUM_DEPTH);

    for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
        PGENERAL_LOOKASIDE L = Lists[Type];
        PVOID Entries[20];
        CountingFrees = 0;
        for (ULONG i = 0; i < ARRAY_SIZE(Entries); i++) {
            Entries[i] = Type == NonPagedPool ? ExAllocateFromNPagedLookasideList(&NonPaged)
                                              : ExAllocateFromPagedLookasideList(&Paged);
            ASSERT_NOT_NULL(Entries[i]);
        }
        EXPECT_EQ(L->AllocateMisses, ARRAY_SIZE(Entries));
        EXPECT_EQ(TagLive(TAG_OTHER, Type), ARRAY_SIZE(Entries));
        for (ULONG i = 0; i < ARRAY_SIZE(Entries); i++) {
            if (Type == NonPagedPool)
                ExFreeToNPagedLookasideList(&NonPaged, Entries[i]);
            else
                ExFreeToPagedLookasideList(&Paged, Entries[i]);
        }
        EXPECT_EQ(ExQueryDepthSList(&L->ListHead), L->Depth);
        EXPECT_EQ(L->FreeMisses, ARRAY_SIZE(Entries) - L->Depth);
        EXPECT_EQ(CountingFrees, ARRAY_SIZE(Entries) - L->Depth);
        EXPECT_EQ(TagLive(TAG_OTHER, Type), L->Depth);

        /* The last entries freed come back first, without a pool call. */
        PVOID Again[8];
        for (ULONG i = 0; i < L->Depth; i++) {
            Again[i] = Type == NonPagedPool ? ExAllocateFromNPagedLookasideList(&NonPaged)
                                            : ExAllocateFromPagedLookasideList(&Paged);
            EXPECT_EQ(Again[i], Entries[L->Depth - 1 - i]);
        }
        EXPECT_EQ(L->AllocateMisses, ARRAY_SIZE(Entries));
        EXPECT_EQ(L->TotalAllocates, ARRAY_SIZE(Entries) + L->Depth);
        for (ULONG i = 0; i < L->Depth; i++) {
            if (Type == NonPagedPool)
                ExFreeToNPagedLookasideList(&NonPaged, Again[i]);
            else
                ExFreeToPagedLookasideList(&Paged, Again[i]);
        }
    }
    CountingFrees = 0;
    ExDeleteNPagedLookasideList(&NonPaged);
    ExDeletePagedLookasideList(&Paged);
    EXPECT_EQ(CountingFrees, NonPaged.L.Depth + Paged.L.Depth);
    EXPECT_EQ(TagLive(TAG_OTHER, NonPagedPool) + TagLive(TAG_OTHER, PagedPool), 0);
}

/*
 * Paged pool pages exist only once touched: an untouched allocation has
 * demand-zero PTEs and costs commit but no RAM; the first touch brings a
 * zeroed page; freeing returns both. Breaks if paged pool is made resident
 * up front or the demand-zero fault is not resolved.
 */
KTEST(pool, paged_pool_pages_are_made_on_first_touch)
{
    ULONG Available = MmAvailablePages, Committed = MmTotalCommittedPages;
    volatile ULONG *Block = ExAllocatePoolWithTag(PagedPool, 4 * PAGE_SIZE, TAG_TEST);
    ASSERT_NOT_NULL(Block);
    EXPECT_EQ(MmTotalCommittedPages - Committed, 4);
    EXPECT_FALSE(MmIsAddressValid((PVOID)Block));
    EXPECT_TRUE(MiIsDemandZeroPte(MiReadPte(MiAddressToPte(Block))));
    ULONG Sum = 0;
    for (ULONG i = 0; i < 4 * PAGE_SIZE / 4; i += 256)
        Sum |= Block[i];
    EXPECT_EQ(Sum, 0);
    EXPECT_TRUE(MmIsAddressValid((PVOID)&Block[3 * PAGE_SIZE / 4]));
    EXPECT_LE(Available - MmAvailablePages, 4 + 1);     /* four pages, perhaps a page table */
    ExFreePoolWithTag((PVOID)Block, TAG_TEST);
    EXPECT_EQ(MmTotalCommittedPages, Committed);
}

/*
 * Nonpaged allocations work at DISPATCH_LEVEL, from the lists and from new
 * pages alike. Breaks if a nonpaged path takes the paged pool's mutex or
 * faults.
 */
KTEST(pool, nonpaged_pool_at_dispatch_level)
{
    KIRQL OldIrql;
    PVOID Blocks[40];
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++)
        Blocks[i] = ExAllocatePoolWithTag(NonPagedPool, 1 + i * 211, TAG_TEST);
    for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++) {
        EXPECT_NOT_NULL(Blocks[i]);
        if (Blocks[i])
            ExFreePoolWithTag(Blocks[i], TAG_TEST);
    }
    KeLowerIrql(OldIrql);
}

/*
 * The big-page table grows when many big allocations are live and shrinks
 * back when they are gone. Breaks if growth loses an entry or the table
 * keeps its peak size for good.
 */
KTEST(pool, big_page_table_grows_and_shrinks)
{
    static PVOID Blocks[1000];
    ULONG Used, Size, BootSize;
    ExpQueryBigPageTable(&Used, &BootSize);
    for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++) {
        Blocks[i] = ExAllocatePoolWithTag(PagedPool, PAGE_SIZE, TAG_TEST);
        ASSERT_NOT_NULL(Blocks[i]);
    }
    ExpQueryBigPageTable(&Used, &Size);
    EXPECT_GT(Size, BootSize);
    /* Every allocation is still found in the grown table, with its page count and tag. */
    ULONG Found = 0;
    for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++) {
        PVOID Start;
        ULONG Key, Pages;
        Found += ExpFindBigPages(Blocks[i], &Start, &Key, &Pages) && Start == Blocks[i] && Pages == 1 &&
                 Key == TAG_TEST;
    }
    EXPECT_EQ(Found, ARRAY_SIZE(Blocks));
    for (ULONG i = 0; i < ARRAY_SIZE(Blocks); i++)
        ExFreePoolWithTag(Blocks[i], TAG_TEST);
    ExpQueryBigPageTable(&Used, &Size);
    EXPECT_EQ(Size, BootSize);
}

#define TAG_SPECIAL MAKE_TAG('S', 'p', 'c', 'l')

/*
 * With /SPECIALPOOL=Spcl (the specialpool configuration), an allocation
 * with that tag ends exactly at the end of its own page, the next page is
 * never mapped, and a freed allocation's page is unmapped at once; without
 * the switch the same call is an ordinary small block. Breaks if special
 * pool placement, its guard page or its bookkeeping is wrong.
 */
KTEST(pool, special_pool_places_allocations_before_a_guard_page)
{
    if (MmSpecialPoolTag != TAG_SPECIAL)
        KTEST_SKIP("no /SPECIALPOOL=Spcl in this configuration");
    SIZE_T Before = TestTagBytes(TAG_SPECIAL, NonPagedPool);
    PUCHAR P = ExAllocatePoolWithTag(NonPagedPool, 100, TAG_SPECIAL);
    ASSERT_NOT_NULL(P);
    BOOLEAN Quota;
    EXPECT_TRUE(MiIsSpecialPoolAddress(P));
    EXPECT_EQ(BYTE_OFFSET(P + 104), 0);                 /* 100 rounded to 8 ends the page */
    EXPECT_TRUE(MmIsAddressValid(P));
    EXPECT_FALSE(MmIsAddressValid(P + 104));            /* the guard page */
    EXPECT_EQ(ExQueryPoolBlockSize(P, &Quota), 100);
    EXPECT_EQ(TestTagBytes(TAG_SPECIAL, NonPagedPool) - Before, PAGE_SIZE);
    memset(P, 0x33, 100);
    ExFreePoolWithTag(P, TAG_SPECIAL);
    EXPECT_FALSE(MmIsAddressValid(P));                  /* freed: no access */
    EXPECT_EQ(TestTagBytes(TAG_SPECIAL, NonPagedPool), Before);

    /* A freed slot waits behind every other free one: the next allocation is elsewhere. */
    PUCHAR Q = ExAllocatePoolWithTag(PagedPool, 100, TAG_SPECIAL);
    ASSERT_NOT_NULL(Q);
    EXPECT_NE(PAGE_ALIGN(Q), PAGE_ALIGN(P));
    ExFreePoolWithTag(Q, TAG_SPECIAL);
}

static char PrintBuffer[16384];
static size_t PrintLength;

static void CaptureOutput(const char *Text, size_t Length)
{
    size_t n = MIN(Length, sizeof(PrintBuffer) - 1 - PrintLength);
    memcpy(PrintBuffer + PrintLength, Text, n);
    PrintLength += n;
    PrintBuffer[PrintLength] = '\0';
}

/* The n-th field (0-based, blank-separated) of a line, as a number. */
static ULONG Field(const char *Line, ULONG n)
{
    while (*Line == ' ')
        Line++;
    for (ULONG i = 0; i < n; i++) {
        while (*Line && *Line != ' ')
            Line++;
        while (*Line == ' ')
            Line++;
    }
    const char *End;
    ULONG Value = 0;
    RtlParseUlong(Line, &End, &Value);
    return Value;
}

/* What one printout of the tag table held: rows, their order, the two test tags, and the sums against TOTAL. */
typedef struct _TAG_TABLE_PRINTOUT {
    ULONG Lines, Unsorted, Found, Sum[4], Total[4];
} TAG_TABLE_PRINTOUT;

/* Prints the table with Flags and Pattern and reads it back; the order checked is the one Flags asks for. */
static void ReadTagTable(ULONG Flags, const char *Pattern, TAG_TABLE_PRINTOUT *Out)
{
    char Previous[6] = "";
    ULONG PreviousBytes = 0xFFFFFFFF;

    memset(Out, 0, sizeof(*Out));
    PrintLength = 0;
    KeRegisterOutput(CaptureOutput);
    ExpPrintPoolTagTable(Flags, Pattern);
    KeUnregisterOutput(CaptureOutput);
    char *Line = strchr(PrintBuffer, '\n');
    while (Line && strncmp(Line + 1, " Tag ", 5) != 0)
        Line = strchr(Line + 1, '\n');
    if (!Line)
        return;
    for (Line = strchr(Line + 1, '\n'); Line && Line[1]; Line = strchr(Line + 1, '\n')) {
        ULONG *Into = strncmp(Line + 1, " TOTAL", 6) == 0 ? Out->Total : Out->Sum;
        for (ULONG i = 0; i < 4; i++)
            Into[i] += Field(Line + 1, i + 1);
        if (Into == Out->Total)
            continue;
        ULONG Bytes = Field(Line + 1, Flags & POOLUSED_SORT_NONPAGED ? 2 : 4);
        char Tag[6];
        memcpy(Tag, Line + 2, 5);
        Tag[5] = 0;
        if (Flags & (POOLUSED_SORT_NONPAGED | POOLUSED_SORT_PAGED))
            Out->Unsorted += Bytes > PreviousBytes;
        else
            Out->Unsorted += Out->Lines > 0 && strcmp(Tag, Previous) <= 0;
        PreviousBytes = Bytes;
        memcpy(Previous, Tag, sizeof(Tag));
        Out->Lines++;
        if (strncmp(Line + 1, " Prnt ", 6) == 0)
            Out->Found += Field(Line + 1, 1) == 0 && Field(Line + 1, 3) == 1 && Field(Line + 1, 4) == 5 * PAGE_SIZE;
        if (strncmp(Line + 1, " Prn2 ", 6) == 0)
            Out->Found += Field(Line + 1, 1) == 1 && Field(Line + 1, 2) == 112 && Field(Line + 1, 3) == 0;
    }
}

/*
 * The kd> table of tags (!poolused) lists each tag in use with its live
 * allocations and bytes in each pool, and a total: by tag (WinDbg's
 * default), or largest users of one pool first (flags 2 and 4); a tag
 * pattern keeps only the tags it matches. Breaks if the printout leaves out
 * a tag, shows the wrong numbers, is not in the order asked for, does not
 * add up, or the pattern lets other tags through.
 */
KTEST(pool, tag_table_printout_is_sorted_and_filtered)
{
    static const ULONG Modes[] = { 0, POOLUSED_SORT_NONPAGED, POOLUSED_SORT_PAGED };
    PVOID Big = ExAllocatePoolWithTag(PagedPool, 5 * PAGE_SIZE, MAKE_TAG('P', 'r', 'n', 't'));
    PVOID Small = ExAllocatePoolWithTag(NonPagedPool, 100, MAKE_TAG('P', 'r', 'n', '2'));
    TAG_TABLE_PRINTOUT Table[ARRAY_SIZE(Modes)], Filtered;
    ASSERT_NOT_NULL(Big);
    ASSERT_NOT_NULL(Small);
    for (ULONG m = 0; m < ARRAY_SIZE(Modes); m++)
        ReadTagTable(Modes[m], NULL, &Table[m]);
    ReadTagTable(0, "Prn?", &Filtered);
    ExFreePoolWithTag(Big, MAKE_TAG('P', 'r', 'n', 't'));
    ExFreePoolWithTag(Small, MAKE_TAG('P', 'r', 'n', '2'));

    for (ULONG m = 0; m < ARRAY_SIZE(Modes); m++) {
        EXPECT_GE(Table[m].Lines, 2);
        EXPECT_EQ(Table[m].Unsorted, 0);
        EXPECT_EQ(Table[m].Found, 2);
        for (ULONG i = 0; i < 4; i++)
            EXPECT_EQ(Table[m].Sum[i], Table[m].Total[i]);
    }
    EXPECT_EQ(Filtered.Lines, 2);
    EXPECT_EQ(Filtered.Found, 2);
    EXPECT_EQ(Filtered.Total[3], 5 * PAGE_SIZE);
}

/*
 * The leak guard the harness runs around every test sees an allocation a
 * test did not free and names it — its report (captured here) gives the
 * tag, the pool and the difference — and is satisfied once it is freed.
 * Breaks if leaks slip past the harness or are reported without the tag.
 */
KTEST(pool, leak_guard_names_the_leaking_tag)
{
    KTEST Fake = { .Suite = "pool", .Name = "fake", .File = __FILE__, .Line = __LINE__ };
    KTEST_CONTEXT Probe = { .Test = &Fake };
    /*
     * The guard keeps one snapshot: taking it again here, before anything
     * is allocated, records the same state the harness recorded for this
     * test, so the harness's own check after the test is unaffected.
     */
    ExpPoolTagGuard.Snapshot();
    PVOID Leak = ExAllocatePoolWithTag(NonPagedPool, 500, MAKE_TAG('L', 'e', 'a', 'k'));
    ASSERT_NOT_NULL(Leak);
    DbgPrint("    # expect one leak guard line for tag 'Leak' below\n");
    PrintLength = 0;
    KeRegisterOutput(CaptureOutput);
    bool Clean = ExpPoolTagGuard.Check(&Probe);
    KeUnregisterOutput(CaptureOutput);
    EXPECT_FALSE(Clean);
    EXPECT_TRUE(Probe.Failed);
    static const char Report[] = "pool tag 'Leak' (nonpaged pool) has +1 allocations";
    bool Named = false;
    for (const char *p = PrintBuffer; *p && !Named; p++)
        Named = strncmp(p, Report, sizeof(Report) - 1) == 0;
    EXPECT_TRUE(Named);
    ExFreePoolWithTag(Leak, MAKE_TAG('L', 'e', 'a', 'k'));
    Probe.Failed = false;
    EXPECT_TRUE(ExpPoolTagGuard.Check(&Probe));
    EXPECT_FALSE(Probe.Failed);
}
