/*
 * tests/mm/pool_api.c — the pool API as NT documents it: pool type
 * modifiers, 0-byte requests, ExQueryPoolBlockSize,
 * ExAllocatePoolWithTagPriority, a lookaside list with POOL_NX_ALLOCATION.
 *
 * The expected values are NT's, written here as numbers: the POOL_TYPE
 * values of wdm.h (0x200 is NonPagedPoolNx whatever include/pool.h says),
 * the sizes NT's free build gives, the margins NT's memory manager keeps
 * for priority requests.
 */
#include <ex.h>
#include <ktest.h>
#include <pool.h>
#include "../../mm/mi.h"
#include "../testlib.h"

#define TAG_API     MAKE_TAG('A', 'p', 'i', '1')
#define TAG_SPECIAL MAKE_TAG('S', 'p', 'c', 'l')

typedef struct _TYPE_CASE {
    ULONG PoolType;             /* NT's value, from wdm.h */
    POOL_TYPE Pool;             /* where the block must come from */
    bool CacheAligned;
} TYPE_CASE;

static const TYPE_CASE TypeCases[] = {
    { 0x200, NonPagedPool, false },         /* NonPagedPoolNx */
    { 0x204, NonPagedPool, true },          /* NonPagedPoolNxCacheAligned */
    { 0x220, NonPagedPool, false },         /* NonPagedPoolSessionNx */
    { 0x020, NonPagedPool, false },         /* NonPagedPoolSession */
    { 0x021, PagedPool, false },            /* PagedPoolSession */
    { 0x024, NonPagedPool, true },          /* NonPagedPoolCacheAlignedSession */
    { 0x025, PagedPool, true },             /* PagedPoolCacheAlignedSession */
    { 0x100, NonPagedPool, false },         /* NonPagedPool | POOL_COLD_ALLOCATION */
    { 0x101, PagedPool, false },            /* PagedPool | POOL_COLD_ALLOCATION */
    { 0x010, NonPagedPool, false },         /* NonPagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE */
    { 0x011, PagedPool, false },            /* PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE */
    { 0x315, PagedPool, true },             /* PagedPoolCacheAligned | raise | cold | NX, all at once */
};

/*
 * Every pool type modifier NT defines is accepted: the block comes from the
 * base type's pool (session types from the global one), cache-aligned where
 * the base type says so, small and big alike, and is counted in that pool.
 * Breaks if a modifier is refused (NULL) or mistaken for part of the type.
 */
KTEST(pool_api, pool_type_modifiers_are_accepted)
{
    static const SIZE_T Sizes[] = { 100, 3 * PAGE_SIZE };
    for (ULONG i = 0; i < ARRAY_SIZE(TypeCases); i++) {
        const TYPE_CASE *c = &TypeCases[i];
        for (ULONG k = 0; k < ARRAY_SIZE(Sizes); k++) {
            SIZE_T Before = TestTagBytes(TAG_API, c->Pool);
            PUCHAR P = ExAllocatePoolWithTag((POOL_TYPE)c->PoolType, Sizes[k], TAG_API);
            if (P == NULL) {
                KtestFail(t, __FILE__, __LINE__, "type %#x, %u bytes: NULL", c->PoolType, Sizes[k]);
                continue;
            }
            EXPECT_EQ(MiIsPagedPoolAddress(P), c->Pool == PagedPool);
            EXPECT_EQ(MiIsNonPagedPoolAddress(P), c->Pool == NonPagedPool);
            if (c->CacheAligned)
                EXPECT_EQ((ULONG)P % 64, 0);
            EXPECT_GE(TestTagBytes(TAG_API, c->Pool) - Before, Sizes[k]);
            P[0] = P[Sizes[k] - 1] = 0x5A;
            ExFreePoolWithTag(P, TAG_API);
            EXPECT_EQ(TestTagBytes(TAG_API, c->Pool), Before);
        }
    }
}

/* A request that cannot be met: *Raised is the status raised, or STATUS_SUCCESS if it returned (with *Block). */
static void AllocateCatching(POOL_TYPE PoolType, SIZE_T Bytes, NTSTATUS *Raised, PVOID *Block)
{
    volatile NTSTATUS Status = STATUS_SUCCESS;
    *Block = NULL;
    EX_TRY {
        *Block = ExAllocatePoolWithTag(PoolType, Bytes, TAG_API);
    } EX_EXCEPT(Status) {
    } EX_END;
    *Raised = Status;
}

/*
 * POOL_RAISE_IF_ALLOCATION_FAILURE (0x10): a request that cannot be met
 * raises STATUS_INSUFFICIENT_RESOURCES, as NT's ExAllocatePoolWithTag
 * does; without the flag the same request returns NULL; with it a request
 * that can be met returns its block. Nothing is charged by a failure.
 */
KTEST(pool_api, raise_if_failure_raises_insufficient_resources)
{
    NTSTATUS Raised;
    PVOID Block;
    AllocateCatching((POOL_TYPE)(NonPagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE), 0x80000000, &Raised, &Block);
    EXPECT_EQ(Raised, STATUS_INSUFFICIENT_RESOURCES);
    AllocateCatching((POOL_TYPE)(PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE), 0xFFFFF000, &Raised, &Block);
    EXPECT_EQ(Raised, STATUS_INSUFFICIENT_RESOURCES);
    AllocateCatching(NonPagedPool, 0x80000000, &Raised, &Block);
    EXPECT_EQ(Raised, STATUS_SUCCESS);
    EXPECT_NULL(Block);
    AllocateCatching((POOL_TYPE)(PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE), 64, &Raised, &Block);
    EXPECT_EQ(Raised, STATUS_SUCCESS);
    ASSERT_NOT_NULL(Block);
    ExFreePoolWithTag(Block, TAG_API);
    EXPECT_EQ(TestTagBytes(TAG_API, NonPagedPool) + TestTagBytes(TAG_API, PagedPool), 0);
}

/*
 * A 0-byte request returns a valid block, as NT's free build does (it is
 * served as 1 byte): 8-byte aligned, the smallest block (16 bytes with its
 * header), 8 usable bytes, freed like any other. Breaks if 0 bytes gives
 * NULL again, or a block without room for its header.
 */
KTEST(pool_api, zero_bytes_give_the_smallest_block)
{
    for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
        SIZE_T Before = TestTagBytes(TAG_API, Type);
        PUCHAR P = ExAllocatePoolWithTag(Type, 0, TAG_API);
        ASSERT_NOT_NULL(P);
        BOOLEAN Quota = TRUE;
        EXPECT_EQ((ULONG)P % 8, 0);
        EXPECT_EQ(((PPOOL_HEADER)P - 1)->BlockSize, 2);
        EXPECT_EQ(ExQueryPoolBlockSize(P, &Quota), 8);
        EXPECT_FALSE(Quota);
        EXPECT_EQ(TestTagBytes(TAG_API, Type) - Before, 16);
        memset(P, 0x7E, 8);
        PUCHAR Q = ExAllocatePoolWithTag((POOL_TYPE)(Type | 0x20), 0, TAG_API);     /* and with a modifier */
        ASSERT_NOT_NULL(Q);
        EXPECT_NE(Q, P);
        ExFreePoolWithTag(Q, TAG_API);
        ExFreePoolWithTag(P, TAG_API);
        EXPECT_EQ(TestTagBytes(TAG_API, Type), Before);
    }
}

/*
 * ExQueryPoolBlockSize answers as NT's does: a small block's size less its
 * header (the request rounded up to 8), PAGE_SIZE for any page-aligned big
 * allocation whatever its length (NT's own comment says so), 0 outside the
 * pools. Breaks if the big answer becomes the allocation's length again.
 */
KTEST(pool_api, query_block_size_is_nts_answer)
{
    static const struct { SIZE_T Request, Answer; } Cases[] = {
        { 1, 8 }, { 8, 8 }, { 9, 16 }, { 100, 104 }, { 248, 248 }, { 4080, 4080 },
        { 4081, 4096 }, { 3 * 4096, 4096 }, { 10 * 4096 + 1, 4096 },
    };
    BOOLEAN Quota;
    for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
        for (ULONG i = 0; i < ARRAY_SIZE(Cases); i++) {
            PVOID P = ExAllocatePoolWithTag(Type, Cases[i].Request, TAG_API);
            ASSERT_NOT_NULL(P);
            Quota = TRUE;
            EXPECT_EQ(ExQueryPoolBlockSize(P, &Quota), Cases[i].Answer);
            EXPECT_FALSE(Quota);
            ExFreePoolWithTag(P, TAG_API);
        }
    }
    static ULONG NotPool;
    EXPECT_EQ(ExQueryPoolBlockSize(&NotPool, &Quota), 0);
}

/*
 * A lookaside list made with POOL_NX_ALLOCATION in its Flags works: its
 * entries come from nonpaged pool (NonPagedPoolNx is nonpaged pool here),
 * and an entry freed to it comes back. Breaks if the flag makes the list's
 * allocations fail.
 */
KTEST(pool_api, lookaside_list_with_nx_flag_works)
{
    NPAGED_LOOKASIDE_LIST List;
    ExInitializeNPagedLookasideList(&List, NULL, NULL, 0x200, 48, TAG_API, 0);
    EXPECT_EQ((ULONG)List.L.Type, 0x200);
    PVOID A = ExAllocateFromNPagedLookasideList(&List);
    ASSERT_NOT_NULL(A);
    EXPECT_TRUE(MiIsNonPagedPoolAddress(A));
    memset(A, 0x11, 48);
    ExFreeToNPagedLookasideList(&List, A);
    EXPECT_EQ(ExAllocateFromNPagedLookasideList(&List), A);
    ExFreeToNPagedLookasideList(&List, A);
    ExDeleteNPagedLookasideList(&List);
    EXPECT_EQ(TestTagBytes(TAG_API, NonPagedPool), 0);
}

/*
 * With the pool far from its end every priority is served, small and big,
 * and the special-pool bits change nothing when special pool is off for
 * the tag. Breaks if a priority is refused without cause.
 */
KTEST(pool_api, every_priority_is_served_when_the_pool_has_room)
{
    static const ULONG Priorities[] = { 0, 8, 9, 16, 24, 25, 32, 40, 41 };     /* NT's EX_POOL_PRIORITY values */
    for (ULONG Type = NonPagedPool; Type <= PagedPool; Type++) {
        for (ULONG i = 0; i < ARRAY_SIZE(Priorities); i++) {
            PUCHAR Small = ExAllocatePoolWithTagPriority(Type, 100, TAG_API, (EX_POOL_PRIORITY)Priorities[i]);
            PUCHAR Big = ExAllocatePoolWithTagPriority(Type, 2 * PAGE_SIZE, TAG_API, (EX_POOL_PRIORITY)Priorities[i]);
            ASSERT_NOT_NULL(Small);
            ASSERT_NOT_NULL(Big);
            EXPECT_FALSE(MiIsSpecialPoolAddress(Small));
            EXPECT_EQ(((PPOOL_HEADER)Small - 1)->PoolTag, TAG_API);
            EXPECT_EQ(BYTE_OFFSET(Big), 0);
            ExFreePoolWithTag(Small, TAG_API);
            ExFreePoolWithTag(Big, TAG_API);
        }
    }
}

/*
 * Near the end of nonpaged pool's address space, as NT's memory manager
 * decides: new pages that would leave fewer than 1,024 pages of the pool
 * are refused to a Low request, fewer than 512 to a Normal one; a High
 * request gets them; a small Low request that a lookaside list can serve
 * is still served. The pool is filled with big allocations until fewer
 * than 1,024 + 16 pages are left. Breaks if priorities are ignored or
 * applied the other way round.
 */
KTEST(pool_api, low_and_normal_priority_are_refused_near_the_end_of_the_pool)
{
    static PVOID Fill[1024];
    ULONG Filled = 0;
    const ULONG MaximumPages = MmMaximumNonPagedPoolInBytes >> PAGE_SHIFT;
    const ULONG Request = 16;                           /* pages, in the refused requests */

    /* A 64-byte block waits in its lookaside list: a small Low request must find it. */
    ExFreePoolWithTag(ExAllocatePoolWithTag(NonPagedPool, 64, TAG_API), TAG_API);

    /*
     * Fill until fewer than 1,024 + Request pages of the pool are left. The
     * initial region and the expansion are separate ranges, so a request
     * that fits neither is halved until one does.
     */
    ULONG Pages = 4096;
    while (Filled < ARRAY_SIZE(Fill) && MaximumPages - MmAllocatedNonPagedPool >= 1024 + Request) {
        Pages = MIN(Pages, MaximumPages - MmAllocatedNonPagedPool - (1024 + Request) + 1);
        Fill[Filled] = ExAllocatePoolWithTag(NonPagedPool, Pages * PAGE_SIZE, TAG_API);
        if (Fill[Filled])
            Filled++;
        else if (Pages > 1)
            Pages /= 2;
        else
            break;
    }
    ULONG Left = MaximumPages - MmAllocatedNonPagedPool;
    bool Reached = Left < 1024 + Request && Left >= 512 + Request + Request &&
                   MmAvailablePages >= 1024 + 2 * Request;
    PVOID Low = NULL, Normal = NULL, High = NULL, SmallLow = NULL;
    if (Reached) {
        Low = ExAllocatePoolWithTagPriority(NonPagedPool, Request * PAGE_SIZE, TAG_API, LowPoolPriority);
        Normal = ExAllocatePoolWithTagPriority(NonPagedPool, Request * PAGE_SIZE, TAG_API, NormalPoolPriority);
        High = ExAllocatePoolWithTagPriority(NonPagedPool, Request * PAGE_SIZE, TAG_API, HighPoolPriority);
        SmallLow = ExAllocatePoolWithTagPriority(NonPagedPool, 64, TAG_API, LowPoolPriority);
    }
    for (ULONG i = 0; i < Filled; i++)
        ExFreePoolWithTag(Fill[i], TAG_API);
    if (!Reached)
        KTEST_SKIP("RAM runs out before nonpaged pool's address space nears its end");

    EXPECT_NULL(Low);
    EXPECT_NOT_NULL(Normal);
    EXPECT_NOT_NULL(High);
    EXPECT_NOT_NULL(SmallLow);
    for (ULONG i = 0; i < 4; i++) {
        PVOID P = (PVOID[]){ Low, Normal, High, SmallLow }[i];
        if (P)
            ExFreePoolWithTag(P, TAG_API);
    }
}

/*
 * With special pool on for the tag, the priority's special-pool bits place
 * the allocation: Overrun (and no bit) at the end of its page, before the
 * guard page; Underrun at the start of its page, after a guard page. Both
 * are freed, checked and counted alike. Breaks if Underrun is ignored.
 */
KTEST(pool_api, special_pool_priority_bits_place_the_allocation)
{
    if (MmSpecialPoolTag != TAG_SPECIAL)
        KTEST_SKIP("no /SPECIALPOOL=Spcl in this configuration");
    BOOLEAN Quota;
    PUCHAR Over = ExAllocatePoolWithTagPriority(NonPagedPool, 100, TAG_SPECIAL, NormalPoolPrioritySpecialPoolOverrun);
    PUCHAR Under = ExAllocatePoolWithTagPriority(PagedPool, 100, TAG_SPECIAL, NormalPoolPrioritySpecialPoolUnderrun);
    ASSERT_NOT_NULL(Over);
    ASSERT_NOT_NULL(Under);
    EXPECT_TRUE(MiIsSpecialPoolAddress(Over));
    EXPECT_TRUE(MiIsSpecialPoolAddress(Under));
    EXPECT_EQ(BYTE_OFFSET(Over + 104), 0);
    EXPECT_EQ(BYTE_OFFSET(Under), 0);
    EXPECT_FALSE(MmIsAddressValid(Under - 1));          /* the guard page before it */
    EXPECT_TRUE(MmIsAddressValid(Under + 99));
    EXPECT_EQ(ExQueryPoolBlockSize(Under, &Quota), 100);
    memset(Over, 0x21, 100);
    memset(Under, 0x22, 100);
    ExFreePoolWithTag(Over, TAG_SPECIAL);
    ExFreePoolWithTag(Under, TAG_SPECIAL);
    EXPECT_FALSE(MmIsAddressValid(Under));
}
