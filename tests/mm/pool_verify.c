/*
 * tests/mm/pool_verify.c — pool misuse stops the machine with NT's codes.
 *
 * Each is a death test: it boots alone and passes when the bugcheck (and,
 * where pinned, its first parameter) is the one NT would raise. The
 * special pool tests boot with /SPECIALPOOL=Spcl.
 */
#include <ktest.h>
#include <pool.h>
#include "../../mm/mi.h"
#include "../testlib.h"

#define TAG_TEST    MAKE_TAG('T', 's', 't', '3')
#define TAG_SPECIAL MAKE_TAG('S', 'p', 'c', 'l')

static ULONG NotPool;

/* A block that is followed by another in its page: overrunning it reaches a header. */
static PUCHAR BlockWithNeighbour(SIZE_T Size)
{
    for (;;) {
        PUCHAR P = ExAllocatePoolWithTag(NonPagedPool, Size, TAG_TEST);
        PPOOL_HEADER Header = (PPOOL_HEADER)P - 1;
        if (BYTE_OFFSET(Header) / POOL_SMALLEST_BLOCK + Header->BlockSize < POOL_PAGE_SIZE / POOL_SMALLEST_BLOCK)
            return P;
    }
}

/* An overrun that rewrites the next block's header is found when the block is freed: the sizes disagree (0x19, 5). */
KTEST_DEATH_P1(pool_verify, overrun_is_bad_pool_header, BAD_POOL_HEADER, 5)
{
    PUCHAR P = BlockWithNeighbour(300);
    PPOOL_HEADER Header = (PPOOL_HEADER)P - 1;
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)Header);
    KtestExpectBugCheckParameter(t, 4, (ULONG_PTR)(Header + Header->BlockSize));
    memset(P, 0x41, Header->BlockSize * POOL_SMALLEST_BLOCK);     /* the body and 8 bytes more */
    ExFreePoolWithTag(P, TAG_TEST);
}

/* A block freed twice is caught even though the first free parked it in a lookaside list (0xC2, 7). */
KTEST_DEATH_P1(pool_verify, double_free_from_lookaside, BAD_POOL_CALLER, 0x07)
{
    PVOID P = ExAllocatePoolWithTag(NonPagedPool, 64, TAG_TEST);
    ExFreePoolWithTag(P, TAG_TEST);
    ExFreePoolWithTag(P, TAG_TEST);
}

/* A block whose page also holds a second allocated block: freeing the first cannot return the page. */
static PUCHAR BlockSharingItsPage(SIZE_T Size)
{
    PUCHAR Previous = ExAllocatePoolWithTag(NonPagedPool, Size, TAG_TEST);
    for (;;) {
        PUCHAR P = ExAllocatePoolWithTag(NonPagedPool, Size, TAG_TEST);
        if (PAGE_ALIGN(P) == PAGE_ALIGN(Previous))
            return Previous;
        Previous = P;
    }
}

/* A block freed twice after the first free merged it into the free lists, its page still in use (0xC2, 7). */
KTEST_DEATH_P1(pool_verify, double_free_from_free_list, BAD_POOL_CALLER, 0x07)
{
    PVOID P = BlockSharingItsPage(1000);
    ExFreePoolWithTag(P, TAG_TEST);
    ExFreePoolWithTag(P, TAG_TEST);
}

/* Freeing with a tag other than the allocation's is BAD_POOL_CALLER 0x0A. */
KTEST_DEATH_P1(pool_verify, free_with_wrong_tag, BAD_POOL_CALLER, 0x0A)
{
    PVOID P = ExAllocatePoolWithTag(PagedPool, 100, TAG_TEST);
    ExFreePoolWithTag(P, MAKE_TAG('W', 'r', 'n', 'g'));
}

/* Freeing an address that no pool ever held (a kernel variable) is BAD_POOL_CALLER 0x42. */
KTEST_DEATH_P1(pool_verify, free_of_non_pool_address, BAD_POOL_CALLER, 0x42)
{
    ExFreePool(&NotPool);
}

/* Freeing a page-aligned address inside a big allocation is BAD_POOL_CALLER 0x41286 (the middle of one). */
KTEST_DEATH_P1(pool_verify, free_inside_big_allocation, BAD_POOL_CALLER, 0x41286)
{
    PUCHAR P = ExAllocatePoolWithTag(PagedPool, 3 * PAGE_SIZE, TAG_TEST);
    ExFreePool(P + PAGE_SIZE);
}

/* Touching a paged pool page that is not yet present at DISPATCH_LEVEL is IRQL_NOT_LESS_OR_EQUAL. */
KTEST_DEATH(pool_verify, paged_touch_at_dispatch_level, IRQL_NOT_LESS_OR_EQUAL)
{
    KIRQL OldIrql;
    volatile ULONG *P = ExAllocatePoolWithTag(PagedPool, PAGE_SIZE, TAG_TEST);
    TEST_REQUIRE(P != NULL && !MmIsAddressValid((PVOID)P));
    KtestExpectBugCheckParameter(t, 1, (ULONG_PTR)P);        /* the paged pool address, not NULL */
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    (void)*P;
}

/* Asking for paged pool at DISPATCH_LEVEL is BAD_POOL_CALLER 0x08. */
KTEST_DEATH_P1(pool_verify, paged_alloc_at_dispatch_level, BAD_POOL_CALLER, 0x08)
{
    KIRQL OldIrql;
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    ExAllocatePoolWithTag(PagedPool, 16, TAG_TEST);
}

/* NonPagedPoolMustSucceed is refused as NT refuses it: BAD_POOL_CALLER 0x9A. */
KTEST_DEATH_P1(pool_verify, must_succeed_is_refused, BAD_POOL_CALLER, 0x9A)
{
    ExAllocatePoolWithTag(NonPagedPoolMustSucceed, 16, TAG_TEST);
}

/* Tag 0 cannot be tracked: BAD_POOL_CALLER 0x9B. */
KTEST_DEATH_P1(pool_verify, tag_zero_is_refused, BAD_POOL_CALLER, 0x9B)
{
    ExAllocatePoolWithTag(NonPagedPool, 16, 0);
}

/* With /SPECIALPOOL=Spcl, one byte past the end of an allocation is the guard page: 0xCD at once. */
KTEST_DEATH_SWITCHES(pool_verify, special_pool_overrun, PAGE_FAULT_BEYOND_END_OF_ALLOCATION, "/SPECIALPOOL=Spcl")
{
    volatile UCHAR *P = ExAllocatePoolWithTag(NonPagedPool, 64, TAG_SPECIAL);
    P[63] = 1;
    P[64] = 1;
}

/* With /SPECIALPOOL=Spcl, a freed allocation's page stays no-access: touching it is 0xCC. */
KTEST_DEATH_SWITCHES(pool_verify, special_pool_use_after_free, PAGE_FAULT_IN_FREED_SPECIAL_POOL, "/SPECIALPOOL=Spcl")
{
    volatile UCHAR *P = ExAllocatePoolWithTag(PagedPool, 100, TAG_SPECIAL);
    P[0] = 1;
    ExFreePoolWithTag((PVOID)P, TAG_SPECIAL);
    (void)P[0];
}

/* With /SPECIALPOOL=Spcl, a write just before the allocation is found when it is freed: 0xC1. */
KTEST_DEATH_SWITCHES(pool_verify, special_pool_underrun_on_free, SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION,
                     "/SPECIALPOOL=Spcl")
{
    volatile UCHAR *P = ExAllocatePoolWithTag(NonPagedPool, 64, TAG_SPECIAL);
    P[-1] = 0;
    ExFreePoolWithTag((PVOID)P, TAG_SPECIAL);
}

/* The lookaside path checks the next header too: a 64-byte block's overrun is found on its free (0x19, 5). */
KTEST_DEATH_P1(pool_verify, overrun_of_lookaside_sized_block, BAD_POOL_HEADER, 5)
{
    PUCHAR P = BlockWithNeighbour(64);
    PPOOL_HEADER Header = (PPOOL_HEADER)P - 1;
    TEST_REQUIRE(Header->BlockSize <= POOL_SMALL_LISTS);
    memset(P, 0x41, Header->BlockSize * POOL_SMALLEST_BLOCK);     /* the body and the next header */
    ExFreePoolWithTag(P, TAG_TEST);
}

/* Freeing paged pool at DISPATCH_LEVEL is BAD_POOL_CALLER 0x09 with the IRQL and the address, even for a lookaside-sized block. */
KTEST_DEATH_P1(pool_verify, paged_free_at_dispatch_level, BAD_POOL_CALLER, 0x09)
{
    KIRQL OldIrql;
    PVOID P = ExAllocatePoolWithTag(PagedPool, 32, TAG_TEST);
    TEST_REQUIRE(P != NULL);
    KtestExpectBugCheckParameter(t, 2, DISPATCH_LEVEL);
    KtestExpectBugCheckParameter(t, 4, (ULONG_PTR)P);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    ExFreePoolWithTag(P, TAG_TEST);
}

/* Returning commit that was never charged is MEMORY_MANAGEMENT 0x4155: the count would wrap. */
KTEST_DEATH_P1(pool_verify, commit_returned_without_charge, MEMORY_MANAGEMENT, MM_BUGCHECK_COMMIT_UNDERFLOW)
{
    MiReturnCommitment(MmTotalCommittedPages + 1);
}

/* The must-succeed bit is refused whatever modifiers come with it (NonPagedPoolNx | MustSucceed): 0x9A. */
KTEST_DEATH_P1(pool_verify, nx_must_succeed_is_refused, BAD_POOL_CALLER, 0x9A)
{
    ExAllocatePoolWithTag((POOL_TYPE)(0x200 | 0x2), 16, TAG_TEST);
}

/* With /SPECIALPOOL=Spcl, an Underrun priority puts the allocation after a guard page: one byte before is 0xCD. */
KTEST_DEATH_SWITCHES(pool_verify, special_pool_underrun_priority, PAGE_FAULT_BEYOND_END_OF_ALLOCATION,
                     "/SPECIALPOOL=Spcl")
{
    volatile UCHAR *P = ExAllocatePoolWithTagPriority(NonPagedPool, 64, TAG_SPECIAL,
                                                      NormalPoolPrioritySpecialPoolUnderrun);
    TEST_REQUIRE(P != NULL && BYTE_OFFSET(P) == 0);
    P[0] = 1;
    P[-1] = 1;
}

/*
 * Freeing an address inside a nonpaged pool page that is not mapped (an
 * expansion page never allocated) names the address with BAD_POOL_CALLER
 * 0x44, as a bogus free should — it used to fault reading a header that
 * is not there (PAGE_FAULT_IN_NONPAGED_AREA).
 */
KTEST_DEATH_P1(pool_verify, free_in_unmapped_nonpaged_page, BAD_POOL_CALLER, 0x44)
{
    PUCHAR Page = NULL;
    for (ULONG Va = (ULONG)MmNonPagedPoolEnd - PAGE_SIZE; Va >= (ULONG)MmNonPagedPoolExpansionStart; Va -= PAGE_SIZE) {
        if (!MmIsAddressValid((PVOID)Va)) {
            Page = (PUCHAR)Va;
            break;
        }
    }
    TEST_REQUIRE(Page != NULL);
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)(Page + 0x100));
    ExFreePoolWithTag(Page + 0x100, TAG_TEST);
}

/* The same inside a paged pool page that is not allocated (its page table may not even exist): 0x50. */
KTEST_DEATH_P1(pool_verify, free_in_unallocated_paged_page, BAD_POOL_CALLER, 0x50)
{
    PUCHAR Page = PAGE_ALIGN(MmPagedPoolEnd);
    ULONG Index = ((ULONG)Page - (ULONG)MmPagedPoolStart) >> PAGE_SHIFT;
    TEST_REQUIRE(!RtlCheckBit(&MmPagedPoolInfo.PagedPoolAllocationMap, Index));
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)(Page + 0x100));
    ExFreePoolWithTag(Page + 0x100, TAG_TEST);
}

/* A lookaside-sized block whose size was rewritten to run past its page's end: BAD_POOL_HEADER 9 on its free. */
KTEST_DEATH_P1(pool_verify, size_past_the_page_end, BAD_POOL_HEADER, 9)
{
    for (;;) {
        PUCHAR P = ExAllocatePoolWithTag(NonPagedPool, 64, TAG_TEST);
        PPOOL_HEADER Header = (PPOOL_HEADER)P - 1;
        if (ExpPageOffset(Header) + Header->BlockSize == POOL_UNITS_PER_PAGE) {
            Header->BlockSize += 2;
            ExFreePoolWithTag(P, TAG_TEST);
        }
    }
}
