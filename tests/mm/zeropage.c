/*
 * tests/mm/zeropage.c — the zero page thread.
 *
 * NT's behaviour: free pages are zeroed, while nothing else runs, by a
 * thread at priority 0, and moved to the zeroed list, so that a request for
 * a zeroed page finds one ready. What must hold: while the test sleeps, the
 * dirty pages it freed become zeroed pages (their contents zero), the free
 * list shrinks by as much as the zeroed list grows, and no page is lost.
 */
#include "../testlib.h"

#define DIRTY_PAGES 32

KTEST(zeropage, refills_the_zeroed_list_while_the_test_sleeps)
{
    PFN_NUMBER Pages[DIRTY_PAGES];
    for (ULONG i = 0; i < DIRTY_PAGES; i++) {
        Pages[i] = MiRemoveAnyPage();
        ASSERT_NE(Pages[i], MI_NO_PAGE);
        TestFillPage(Pages[i], 0xD1D1D1D1);
    }
    ULONG ZeroedBefore = MmZeroedPageListHead.Total;
    ULONG Available = MmAvailablePages + DIRTY_PAGES;
    for (ULONG i = 0; i < DIRTY_PAGES; i++)
        MiInsertPageInFreeList(Pages[i]);
    EXPECT_EQ(MmAvailablePages, Available);

    /* The thread zeroes the most recently freed first: wait until the list has grown by our pages. */
    for (ULONG Tick = 0; Tick < 500 && MmZeroedPageListHead.Total < ZeroedBefore + DIRTY_PAGES; Tick++)
        TestSleepTicks(1);
    EXPECT_GE(MmZeroedPageListHead.Total, ZeroedBefore + DIRTY_PAGES);
    EXPECT_EQ(MmAvailablePages, Available);

    /* Every one of our pages is now on the zeroed list, and zero. */
    ULONG ZeroedOurs = 0, ZeroFilled = 0;
    for (ULONG i = 0; i < DIRTY_PAGES; i++) {
        ZeroedOurs += MI_PFN_ELEMENT(Pages[i])->u3.e2.e1.PageLocation == ZeroedPageList;
        ZeroFilled += TestPageIsFilledWith(Pages[i], 0);
    }
    EXPECT_EQ(ZeroedOurs, DIRTY_PAGES);
    EXPECT_EQ(ZeroFilled, DIRTY_PAGES);
}

/* It runs below everything: while a thread of priority 1 spins, nothing is zeroed. */
static void SpinForTicks(PVOID Context)
{
    ULONG Start = KeGetTickCount();
    while (KeGetTickCount() - Start < (ULONG)(ULONG_PTR)Context)
        ;
}

KTEST(zeropage, never_runs_while_another_thread_is_ready)
{
    PFN_NUMBER Pages[DIRTY_PAGES];
    for (ULONG i = 0; i < DIRTY_PAGES; i++) {
        Pages[i] = MiRemoveAnyPage();
        ASSERT_NE(Pages[i], MI_NO_PAGE);
    }
    for (ULONG i = 0; i < DIRTY_PAGES; i++)
        MiInsertPageInFreeList(Pages[i]);
    PETHREAD Spinner = TestStartThread(SpinForTicks, (PVOID)5, 1);
    ASSERT_NOT_NULL(Spinner);
    ULONG Zeroed = MmZeroPageThreadPages;
    TestSleepTicks(3);                              /* the spinner has the processor meanwhile */
    EXPECT_EQ(MmZeroPageThreadPages, Zeroed);
    EXPECT_TRUE(TestJoinThread(Spinner));
}
