/*
 * tests/kernel/format.c — DbgPrint's formatter, through snprintf.
 */
#include <ktest.h>
#include <rtl.h>

#define EXPECT_FORMAT(expected, ...)                                            \
    do {                                                                        \
        char _b[96];                                                            \
        int _n = snprintf(_b, sizeof(_b), __VA_ARGS__);                         \
        EXPECT_STREQ(_b, expected);                                             \
        EXPECT_EQ(_n, (int)strlen(expected));                                   \
    } while (0)

/* Each conversion the kernel relies on prints what C's printf would. */
KTEST(format, conversions)
{
    EXPECT_FORMAT("-42 42", "%d %i", -42, 42);
    EXPECT_FORMAT("4294967295", "%u", 0xFFFFFFFFu);
    EXPECT_FORMAT("deadbeef DEADBEEF", "%x %X", 0xDEADBEEFu, 0xDEADBEEFu);
    EXPECT_FORMAT("0000abcd", "%08x", 0xABCDu);
    EXPECT_FORMAT("e0101234", "%p", (void *)0xE0101234u);
    EXPECT_FORMAT("00000010", "%p", (void *)0x10u);
    EXPECT_FORMAT("hello x", "%s %c", "hello", 'x');
    EXPECT_FORMAT("123456789abcdef0", "%llx", 0x123456789ABCDEF0ull);
    EXPECT_FORMAT("-9223372036854775807", "%lld", -9223372036854775807ll);
    EXPECT_FORMAT("18446744073709551615", "%llu", 0xFFFFFFFFFFFFFFFFull);
    EXPECT_FORMAT("100%", "%d%%", 100);
    const char *volatile NullString = NULL;
    EXPECT_FORMAT("(null)", "%s", NullString);
    EXPECT_FORMAT("0x1f", "%#x", 0x1Fu);
}

/* Widths pad on the left by default, with zeros when asked, on the right with '-'. */
KTEST(format, width_padding_alignment)
{
    EXPECT_FORMAT("   42|42   |00042", "%5d|%-5d|%05d", 42, 42, 42);
    EXPECT_FORMAT("  -42|-0042", "%5d|%05d", -42, -42);
    EXPECT_FORMAT("   ab|ab   ", "%5s|%-5s", "ab", "ab");
    EXPECT_FORMAT("  7f", "%*x", 4, 0x7Fu);
    EXPECT_FORMAT("abc", "%.3s", "abcdef");
    EXPECT_FORMAT("x  |", "%-3c|", 'x');
    EXPECT_FORMAT("0000000000000001", "%016llx", 1ull);
}

/* snprintf never writes past the buffer, always terminates, and returns the full length. */
KTEST(format, snprintf_truncates)
{
    char Buffer[8];
    memset(Buffer, 'Z', sizeof(Buffer));
    int n = snprintf(Buffer, 5, "%s", "abcdefgh");
    EXPECT_EQ(n, 8);
    EXPECT_STREQ(Buffer, "abcd");
    EXPECT_EQ(Buffer[5], 'Z');
    EXPECT_EQ(snprintf(NULL, 0, "%d", 12345), 5);
}
