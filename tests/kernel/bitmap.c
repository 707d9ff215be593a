/*
 * tests/kernel/bitmap.c — NT's run-time library bitmaps (kernel/rtl/bitmap.c),
 * which keep paged pool's and nonpaged expansion's pages.
 */
#include <ktest.h>
#include <rtl.h>

/* Runs are found across word boundaries, from the hint first, then from the start; a full map says so. */
KTEST(bitmap, find_runs_with_hint_and_wrap)
{
    ULONG Words[4];
    RTL_BITMAP Map;
    RtlInitializeBitMap(&Map, Words, 100);
    RtlClearAllBits(&Map);

    EXPECT_EQ(RtlFindClearBitsAndSet(&Map, 40, 0), 0);          /* crosses a word */
    EXPECT_EQ(RtlNumberOfSetBits(&Map), 40);
    EXPECT_TRUE(RtlCheckBit(&Map, 39));
    EXPECT_FALSE(RtlCheckBit(&Map, 40));
    EXPECT_EQ(RtlFindClearBitsAndSet(&Map, 30, 90), 40);        /* no room after the hint: from the start */
    EXPECT_EQ(RtlFindClearBitsAndSet(&Map, 31, 0), RTL_BITMAP_NOT_FOUND);  /* 30 left, never past bit 99 */
    EXPECT_EQ(RtlFindClearBitsAndSet(&Map, 30, 0), 70);
    EXPECT_EQ(RtlNumberOfSetBits(&Map), 100);
    EXPECT_EQ(RtlFindClearBits(&Map, 1, 0), RTL_BITMAP_NOT_FOUND);

    RtlClearBits(&Map, 33, 5);
    EXPECT_EQ(RtlNumberOfSetBits(&Map), 95);
    EXPECT_EQ(RtlFindClearBits(&Map, 5, 50), 33);
    EXPECT_EQ(RtlFindClearBits(&Map, 6, 0), RTL_BITMAP_NOT_FOUND);
    EXPECT_EQ(RtlFindSetBits(&Map, 33, 0), 0);
    EXPECT_EQ(RtlFindSetBits(&Map, 34, 0), 38);
    RtlSetBits(&Map, 33, 5);
    EXPECT_EQ(RtlNumberOfSetBits(&Map), 100);
}

/* Bits past SizeOfBitMap in the last word are never reported or set. */
KTEST(bitmap, tail_bits_are_ignored)
{
    ULONG Words[2] = { 0, 0xFFFFFFFF };         /* garbage beyond bit 40 */
    RTL_BITMAP Map;
    RtlInitializeBitMap(&Map, Words, 40);
    Words[1] = 0;
    EXPECT_EQ(RtlFindClearBitsAndSet(&Map, 40, 0), 0);
    EXPECT_EQ(Words[1], 0xFF);
    EXPECT_EQ(RtlNumberOfSetBits(&Map), 40);
    EXPECT_EQ(RtlFindClearBits(&Map, 1, 0), RTL_BITMAP_NOT_FOUND);
}
