/*
 * tests/labs/pool.c — the graded tests of the pool lab
 * (docs/labs/pool.md; `make grade LAB=pool`).
 *
 * They use the pool's interface — ExAllocatePoolWithTag and
 * ExFreePoolWithTag — and NT's documented block layout, which any small-block
 * allocator in an NT kernel keeps: the POOL_HEADER before each block, the
 * headers chaining through the page by BlockSize and PreviousSize, free
 * blocks marked free and never adjacent, a free block's list links at the
 * start of its body. Not the reference's bitmaps or split rules. Blocks
 * larger than the lookaside lists' (more than 248 bytes) reach the block
 * allocator on every allocation and free; smaller ones may be served by
 * pool.c's lookaside lists. A test's name says its part: p1 blocks, p2
 * splitting and merging, p3 corruption found (death tests).
 */
#include <ktest.h>
#include "../testlib.h"

#define LAB_TAG         MAKE_TAG('L', 'a', 'b', 'P')
#define BEYOND_LOOKASIDE ((POOL_SMALL_LISTS << POOL_BLOCK_SHIFT) + 8)     /* bytes that skip the lookaside lists */

static PPOOL_HEADER HeaderOf(PVOID P)
{
    return (PPOOL_HEADER)P - 1;
}

/* The page's headers from its start: true if they chain (PreviousSize = the last BlockSize) and add up to the page. */
static bool PageAddsUp(PVOID P, ULONG *Blocks, ULONG *AdjacentFree)
{
    PPOOL_HEADER Entry = PAGE_ALIGN(P);
    ULONG Units = 0, Previous = 0;
    bool PreviousFree = false;
    *Blocks = *AdjacentFree = 0;
    while (Units < POOL_UNITS_PER_PAGE) {
        if (Entry->BlockSize == 0 || Entry->PreviousSize != Previous || Units + Entry->BlockSize > POOL_UNITS_PER_PAGE)
            return false;
        bool Free = Entry->PoolType == POOL_FREE_BLOCK;
        *AdjacentFree += Free && PreviousFree;
        PreviousFree = Free;
        Previous = Entry->BlockSize;
        Units += Entry->BlockSize;
        (*Blocks)++;
        Entry = (PPOOL_HEADER)((PUCHAR)Entry + (Previous << POOL_BLOCK_SHIFT));
    }
    return Units == POOL_UNITS_PER_PAGE;
}

/* Part 1: every size a small block serves: NT's header in front, the tag, room for the bytes, inside one page. */
static void CheckSizes(KTEST_CONTEXT *t, POOL_TYPE PoolType)
{
    static const ULONG Sizes[] = { 1, 8, 24, 100, 248, 249, 300, 1000, 2000, 3000, 4000, 4080 };
    for (ULONG i = 0; i < ARRAY_SIZE(Sizes); i++) {
        PUCHAR P = ExAllocatePoolWithTag(PoolType, Sizes[i], LAB_TAG);
        ASSERT_NOT_NULL(P);
        PPOOL_HEADER Header = HeaderOf(P);
        EXPECT_EQ((ULONG)P % 8, 0);
        EXPECT_NE(BYTE_OFFSET(P), 0);                   /* a small block has its header before it */
        EXPECT_EQ(Header->PoolTag, LAB_TAG);
        EXPECT_EQ(Header->PoolType, (ULONG)PoolType + 1);
        EXPECT_GE(Header->BlockSize << POOL_BLOCK_SHIFT, Sizes[i] + sizeof(POOL_HEADER));
        EXPECT_LE(BYTE_OFFSET(Header) + (Header->BlockSize << POOL_BLOCK_SHIFT), PAGE_SIZE);
        memset(P, 0x5A, Sizes[i]);                      /* every byte asked for is the caller's */
        ExFreePoolWithTag(P, LAB_TAG);
    }
}

KTEST(lab_pool, p1_nonpaged_blocks_have_nt_headers)
{
    CheckSizes(t, NonPagedPool);
}

KTEST(lab_pool, p1_paged_blocks_have_nt_headers)
{
    CheckSizes(t, PagedPool);
}

/* Part 1: cache-aligned requests start on a cache line. */
KTEST(lab_pool, p1_cache_aligned_blocks)
{
    PVOID P[16];
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++) {
        P[i] = ExAllocatePoolWithTag(NonPagedPoolCacheAligned, 40 + i * 70, LAB_TAG);
        ASSERT_NOT_NULL(P[i]);
        EXPECT_EQ((ULONG)P[i] % POOL_CACHE_ALIGNMENT, 0);
        memset(P[i], 0xCA, 40 + i * 70);
    }
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++)
        ExFreePoolWithTag(P[i], LAB_TAG);
}

static ULONG Seed;

static ULONG Random(void)
{
    Seed ^= Seed << 13;
    Seed ^= Seed >> 17;
    Seed ^= Seed << 5;
    return Seed;
}

/* Part 1: many live blocks of random sizes: none overlaps another, each keeps its bytes. Prints its seed. */
KTEST(lab_pool, p1_live_blocks_keep_their_bytes)
{
    static PUCHAR P[400];
    static ULONG Size[400];
    ULONG Wrong = 0, Overlaps = 0;

    Seed = 0x9001CAFE;
    DbgPrint("    # seed %08x\n", Seed);
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++) {
        Size[i] = 1 + Random() % POOL_BUDDY_MAX;
        P[i] = ExAllocatePoolWithTag(NonPagedPool, Size[i], LAB_TAG);
        ASSERT_NOT_NULL(P[i]);
        memset(P[i], (UCHAR)i, Size[i]);
    }
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++) {
        for (ULONG b = 0; b < Size[i]; b++)
            Wrong += P[i][b] != (UCHAR)i;
        for (ULONG j = i + 1; j < ARRAY_SIZE(P); j++)
            Overlaps += P[i] < P[j] + Size[j] && P[j] < P[i] + Size[i];
    }
    EXPECT_EQ(Wrong, 0);
    EXPECT_EQ(Overlaps, 0);
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++) {
        ULONG j = Random() % (ARRAY_SIZE(P) - i) + i;      /* free in a random order */
        PUCHAR Swap = P[i];
        ULONG SwapSize = Size[i];
        P[i] = P[j];
        Size[i] = Size[j];
        P[j] = Swap;
        Size[j] = SwapSize;
        ExFreePoolWithTag(P[i], LAB_TAG);
    }
}

/* Part 2: a page of blocks adds up, header by header, to the page; no two free blocks are neighbours. */
KTEST(lab_pool, p2_pages_add_up_and_free_blocks_never_touch)
{
    static PVOID P[60];
    ULONG Blocks, AdjacentFree, Broken = 0, Touching = 0;

    for (ULONG i = 0; i < ARRAY_SIZE(P); i++) {
        P[i] = ExAllocatePoolWithTag(NonPagedPool, BEYOND_LOOKASIDE + (i % 5) * 200, LAB_TAG);
        ASSERT_NOT_NULL(P[i]);
    }
    for (ULONG i = 0; i < ARRAY_SIZE(P); i += 3)        /* holes in every page */
        ExFreePoolWithTag(P[i], LAB_TAG);
    for (ULONG i = 1; i < ARRAY_SIZE(P); i += 3) {
        Broken += !PageAddsUp(P[i], &Blocks, &AdjacentFree);
        Touching += AdjacentFree;
    }
    for (ULONG i = 1; i < ARRAY_SIZE(P); i += 3)        /* now neighbours of the holes: they must merge */
        ExFreePoolWithTag(P[i], LAB_TAG);
    for (ULONG i = 2; i < ARRAY_SIZE(P); i += 3) {
        Broken += !PageAddsUp(P[i], &Blocks, &AdjacentFree);
        Touching += AdjacentFree;
    }
    EXPECT_EQ(Broken, 0);
    EXPECT_EQ(Touching, 0);
    for (ULONG i = 2; i < ARRAY_SIZE(P); i += 3)
        ExFreePoolWithTag(P[i], LAB_TAG);
}

/* Part 2: a block freed between two freed neighbours makes one free block of all three. */
KTEST(lab_pool, p2_three_neighbours_merge_into_one)
{
    PVOID P[12];
    PPOOL_HEADER Run = NULL;
    ULONG Blocks, AdjacentFree;
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++) {
        P[i] = ExAllocatePoolWithTag(NonPagedPool, 500, LAB_TAG);
        ASSERT_NOT_NULL(P[i]);
    }
    /* Three blocks back to back in one page, any three. */
    ULONG First = ARRAY_SIZE(P);
    for (ULONG i = 0; i < ARRAY_SIZE(P) && First == ARRAY_SIZE(P); i++) {
        PPOOL_HEADER a = HeaderOf(P[i]);
        for (ULONG j = 0; j < ARRAY_SIZE(P); j++) {
            if (HeaderOf(P[j]) != ExpBlockAt(a, a->BlockSize) || BYTE_OFFSET(a) + (a->BlockSize << 3) >= PAGE_SIZE)
                continue;
            PPOOL_HEADER b = HeaderOf(P[j]);
            for (ULONG k = 0; k < ARRAY_SIZE(P); k++) {
                if (HeaderOf(P[k]) == ExpBlockAt(b, b->BlockSize) && BYTE_OFFSET(b) + (b->BlockSize << 3) < PAGE_SIZE) {
                    First = i;
                    Run = a;
                    PVOID Order[3] = { P[i], P[k], P[j] };     /* the ends first, then the middle */
                    for (ULONG n = 0; n < 3; n++)
                        ExFreePoolWithTag(Order[n], LAB_TAG);
                    P[i] = P[j] = P[k] = NULL;
                    break;
                }
            }
            break;
        }
    }
    ASSERT_NE(First, ARRAY_SIZE(P));            /* 12 blocks of 500 bytes: some three lie back to back */
    ULONG Held = ARRAY_SIZE(P);
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++) {
        if (P[i] && PAGE_ALIGN(P[i]) == PAGE_ALIGN(Run)) {
            Held = i;                               /* a block still held keeps the page */
            break;
        }
    }
    if (Held != ARRAY_SIZE(P)) {
        EXPECT_TRUE(PageAddsUp(P[Held], &Blocks, &AdjacentFree));
        EXPECT_EQ(AdjacentFree, 0);
        EXPECT_EQ(Run->PoolType, POOL_FREE_BLOCK);
        EXPECT_GE(Run->BlockSize, 3 * ((500 + 8 + 7) / 8));
    }
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++) {
        if (P[i])
            ExFreePoolWithTag(P[i], LAB_TAG);
    }
}

/* Part 2: blocks freed, the pages they took go back: nonpaged pool's pages in use are what they were. */
KTEST(lab_pool, p2_emptied_pages_go_back)
{
    static PVOID P[96];
    ULONG Before = MmAllocatedNonPagedPool;
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++) {
        P[i] = ExAllocatePoolWithTag(NonPagedPool, 1500 + (i % 3) * 400, LAB_TAG);
        ASSERT_NOT_NULL(P[i]);
    }
    EXPECT_GT(MmAllocatedNonPagedPool, Before + 30);       /* at most two of these fit a page */
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++)
        ExFreePoolWithTag(P[i], LAB_TAG);
    EXPECT_EQ(MmAllocatedNonPagedPool, Before);
}

/*
 * Part 2: freed space is used again before a new page is taken. Blocks of
 * 900 bytes until two share a page; that page is kept by one of them, the
 * rest are freed, and as many blocks as were freed from it are asked for
 * again: the space they left fits them, so the pool must not grow.
 */
KTEST(lab_pool, p2_freed_space_is_reused)
{
    static PVOID P[12], Again[12];
    ULONG Count = 0, Pin = 0, Freed = 0;
    PVOID Page = NULL;

    for (; Count < ARRAY_SIZE(P) && !Page; Count++) {
        P[Count] = ExAllocatePoolWithTag(NonPagedPool, 900, LAB_TAG);
        ASSERT_NOT_NULL(P[Count]);
        for (ULONG i = 0; i < Count && !Page; i++)
            if (PAGE_ALIGN(P[i]) == PAGE_ALIGN(P[Count])) {
                Page = PAGE_ALIGN(P[i]);
                Pin = i;
            }
    }
    ASSERT_NOT_NULL(Page);              /* 12 blocks of 908 bytes and never two in one page: the pool wastes pages */
    for (ULONG i = 0; i < Count; i++) {
        if (i == Pin)
            continue;
        Freed += PAGE_ALIGN(P[i]) == Page;
        ExFreePoolWithTag(P[i], LAB_TAG);
        P[i] = NULL;
    }
    ULONG Pages = MmAllocatedNonPagedPool;
    for (ULONG i = 0; i < Freed; i++) {
        Again[i] = ExAllocatePoolWithTag(NonPagedPool, 900, LAB_TAG);
        ASSERT_NOT_NULL(Again[i]);
    }
    EXPECT_EQ(MmAllocatedNonPagedPool, Pages);     /* the space freed on the kept page holds them */
    for (ULONG i = 0; i < Freed; i++)
        ExFreePoolWithTag(Again[i], LAB_TAG);
    ExFreePoolWithTag(P[Pin], LAB_TAG);
}

/* Two blocks of Size bytes back to back in one page: *Second follows *First. False if none was found. */
static bool AdjacentPair(ULONG Size, PUCHAR *First, PUCHAR *Second)
{
    static PUCHAR P[16];
    bool Found = false;
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++)
        P[i] = ExAllocatePoolWithTag(NonPagedPool, Size, LAB_TAG);
    for (ULONG i = 0; i < ARRAY_SIZE(P) && !Found; i++) {
        for (ULONG j = 0; j < ARRAY_SIZE(P) && !Found; j++) {
            if (P[i] && P[j] && HeaderOf(P[j]) == ExpBlockAt(HeaderOf(P[i]), HeaderOf(P[i])->BlockSize)) {
                *First = P[i];
                *Second = P[j];
                Found = true;
            }
        }
    }
    return Found;
}

/* Three blocks of Size bytes back to back in one page, from 24 allocations. False if none was found. */
static bool AdjacentTriple(ULONG Size, PUCHAR *First, PUCHAR *Middle, PUCHAR *Last)
{
    static PUCHAR P[24];
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++)
        P[i] = ExAllocatePoolWithTag(NonPagedPool, Size, LAB_TAG);
    for (ULONG i = 0; i < ARRAY_SIZE(P); i++) {
        for (ULONG j = 0; j < ARRAY_SIZE(P); j++) {
            if (!P[i] || !P[j] || HeaderOf(P[j]) != ExpBlockAt(HeaderOf(P[i]), HeaderOf(P[i])->BlockSize))
                continue;
            for (ULONG k = 0; k < ARRAY_SIZE(P); k++) {
                if (P[k] && HeaderOf(P[k]) == ExpBlockAt(HeaderOf(P[j]), HeaderOf(P[j])->BlockSize)) {
                    *First = P[i];
                    *Middle = P[j];
                    *Last = P[k];
                    return true;
                }
            }
        }
    }
    return false;
}

/* Part 3: writing past a block's end into the next header is found when the block is freed: BAD_POOL_HEADER. */
KTEST_DEATH(lab_pool, p3_overrun_into_the_next_header, BAD_POOL_HEADER)
{
    PUCHAR A, B;
    TEST_REQUIRE(AdjacentPair(400, &A, &B));
    memset(A, 0x41, (HeaderOf(A)->BlockSize << POOL_BLOCK_SHIFT));     /* the body and 8 bytes more: B's header */
    ExFreePoolWithTag(A, LAB_TAG);
}

/* Part 3: a block whose own header was overwritten (its size) is refused on free. */
KTEST_DEATH(lab_pool, p3_corrupt_size_in_the_freed_block, BAD_POOL_HEADER)
{
    PUCHAR A, B;
    TEST_REQUIRE(AdjacentPair(400, &A, &B));
    HeaderOf(B)->BlockSize = 3;
    ExFreePoolWithTag(B, LAB_TAG);
}

/* Part 3: a free block's list links overwritten after the free are found when the block is taken again. */
KTEST_DEATH(lab_pool, p3_free_list_links_overwritten, BAD_POOL_HEADER)
{
    PUCHAR X, A, B;
    static LIST_ENTRY Elsewhere = { &Elsewhere, &Elsewhere };
    TEST_REQUIRE(AdjacentTriple(600, &X, &A, &B));
    ExFreePoolWithTag(A, LAB_TAG);                 /* both neighbours held: A is a free block of its own, listed */
    ((PLIST_ENTRY)A)->Flink = &Elsewhere;           /* a use after free: links that do not lead back to A */
    ((PLIST_ENTRY)A)->Blink = &Elsewhere;
    for (ULONG i = 0; i < 64; i++)
        ExAllocatePoolWithTag(NonPagedPool, 600, LAB_TAG);
}

/* Part 3: a free block changed after its free (its size) is found when its neighbour is freed and would merge. */
KTEST_DEATH(lab_pool, p3_free_neighbour_changed_after_its_free, BAD_POOL_HEADER)
{
    PUCHAR A, B;
    TEST_REQUIRE(AdjacentPair(400, &A, &B));
    ExFreePoolWithTag(B, LAB_TAG);                 /* B is free; A, before it, is not */
    HeaderOf(B)->BlockSize = POOL_UNITS_PER_PAGE - 1;  /* now B runs past its page */
    ExFreePoolWithTag(A, LAB_TAG);
}
