/*
 * tests/kernel/rtl.c — the kernel's memory, string and glob routines.
 */
#include <ktest.h>
#include <rtl.h>

/* memmove copies overlapping ranges in the right direction, both ways. */
KTEST(rtl, memmove_overlap)
{
    char Buffer[16] = "0123456789";
    memmove(Buffer + 2, Buffer, 8);
    EXPECT_STREQ(Buffer, "0101234567");
    char Other[16] = "0123456789";
    memmove(Other, Other + 3, 8);
    EXPECT_EQ(memcmp(Other, "3456789", 7), 0);
}

/* memset and memcpy handle lengths that are not multiples of four. */
KTEST(rtl, memset_memcpy_odd_lengths)
{
    uint8_t a[13], b[13];
    memset(a, 0xA5, sizeof(a));
    for (size_t i = 0; i < sizeof(a); i++)
        EXPECT_EQ(a[i], 0xA5);
    for (size_t i = 0; i < sizeof(b); i++)
        b[i] = (uint8_t)i;
    memcpy(a + 1, b, 11);
    EXPECT_EQ(a[0], 0xA5);
    EXPECT_EQ(a[11], 10);
    EXPECT_EQ(a[12], 0xA5);
}

/* Globs select tests: '*', '?', and comma-separated alternatives. */
KTEST(rtl, glob)
{
    EXPECT_TRUE(RtlMatchGlob("pool.*", "pool.alloc"));
    EXPECT_FALSE(RtlMatchGlob("pool.*", "syspte.alloc"));
    EXPECT_TRUE(RtlMatchGlob("*.alloc", "pool.alloc"));
    EXPECT_TRUE(RtlMatchGlob("p?ol.a*c", "pool.alloc"));
    EXPECT_TRUE(RtlMatchGlob("pfn.*,pool.*", "pool.free"));
    EXPECT_FALSE(RtlMatchGlob("pool", "pool.free"));
    EXPECT_TRUE(RtlMatchGlob("*", "anything"));
}

/* Numbers parse in decimal and hex, and overflow is refused. */
KTEST(rtl, parse_ulong)
{
    ULONG v = 0;
    const char *End;
    EXPECT_TRUE(RtlParseUlong("2560", &End, &v));
    EXPECT_EQ(v, 2560);
    EXPECT_EQ(*End, '\0');
    EXPECT_TRUE(RtlParseUlong("0x1F rest", &End, &v));
    EXPECT_EQ(v, 0x1F);
    EXPECT_EQ(*End, ' ');
    EXPECT_FALSE(RtlParseUlong("4294967296", &End, &v));
    EXPECT_FALSE(RtlParseUlong("abc", &End, &v));
}
