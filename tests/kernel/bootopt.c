/*
 * tests/kernel/bootopt.c — the boot switches table.
 */
#include <ktest.h>
#include <loader.h>
#include <rtl.h>

/* Every known switch lands in its field; case does not matter. */
KTEST(bootopt, known_switches)
{
    KE_BOOT_OPTIONS o;
    ULONG Rejected = KiParseBootOptions("/3gb /USERVA=2560 /maxmem=64 /BENCH /SPECIALPOOL=Tst ktest=pool.*",
                                        &o, false);
    EXPECT_EQ(Rejected, 0);
    EXPECT_TRUE(o.ThreeGb);
    EXPECT_EQ(o.UserVaMb, 2560);
    EXPECT_EQ(o.MaxMemMb, 64);
    EXPECT_TRUE(o.Bench);
    EXPECT_TRUE(o.SpecialPool);
    EXPECT_EQ(o.SpecialPoolTag, MAKE_TAG('T', 's', 't', ' '));
    EXPECT_TRUE(o.KTest);
    EXPECT_STREQ(o.KTestGlob, "pool.*");
    EXPECT_EQ(o.UnknownCount, 0);
}

/* An unknown switch and a malformed value are recorded, never silently dropped. */
KTEST(bootopt, unknown_and_malformed_switches)
{
    KE_BOOT_OPTIONS o;
    ULONG Rejected = KiParseBootOptions("/3GB /NOSUCH /USERVA=abc /MAXMEM=", &o, false);
    EXPECT_EQ(Rejected, 3);
    EXPECT_EQ(o.UnknownCount, 3);
    EXPECT_EQ(o.MalformedCount, 2);
    EXPECT_STREQ(o.Unknown[0], "/NOSUCH");
    EXPECT_STREQ(o.Unknown[1], "/USERVA=abc");
    EXPECT_TRUE(o.ThreeGb);
    EXPECT_EQ(o.UserVaMb, 0);
}

/* A switch is matched as a whole word: /3GBX is not /3GB. */
KTEST(bootopt, whole_word_match)
{
    KE_BOOT_OPTIONS o;
    EXPECT_EQ(KiParseBootOptions("/3GBX ktestx", &o, false), 2);
    EXPECT_FALSE(o.ThreeGb);
    EXPECT_FALSE(o.KTest);
    EXPECT_EQ(KiParseBootOptions("", &o, false), 0);
}

/* The word of Line that starts with Prefix (case-insensitive), or NULL. */
static const char *WordStarting(const char *Line, const char *Prefix)
{
    size_t n = strlen(Prefix);
    for (const char *p = Line; *p; p++) {
        if ((p == Line || p[-1] == ' ') && RtlCompareStringInsensitive(p, Prefix, n) == 0)
            return p;
    }
    return NULL;
}

/* The decimal number after Prefix in Line, read digit by digit here rather than by the parser under test; 0 if absent. */
static ULONG NumberAfter(const char *Line, const char *Prefix)
{
    const char *p = WordStarting(Line, Prefix);
    ULONG Value = 0;
    for (p = p ? p + strlen(Prefix) : ""; *p >= '0' && *p <= '9'; p++)
        Value = Value * 10 + (ULONG)(*p - '0');
    return Value;
}

/* The running kernel parsed its own command line: each switch it was booted with is in KeBootOptions. */
KTEST(bootopt, running_kernel_parsed_its_command_line)
{
    const char *Line = KeLoaderBlock.CommandLine;
    EXPECT_EQ(KeBootOptions.ThreeGb, WordStarting(Line, "/3GB ") != NULL ||
                                     (WordStarting(Line, "/3GB") && strlen(WordStarting(Line, "/3GB")) == 4));
    EXPECT_EQ(KeBootOptions.KTest, WordStarting(Line, "ktest") != NULL);
    EXPECT_EQ(KeBootOptions.UserVaMb, NumberAfter(Line, "/USERVA="));
    EXPECT_EQ(KeBootOptions.MaxMemMb, NumberAfter(Line, "/MAXMEM="));
    EXPECT_EQ(KeBootOptions.SpecialPool, WordStarting(Line, "/SPECIALPOOL=") != NULL);
    EXPECT_EQ(KeBootOptions.UnknownCount, 0);
}
