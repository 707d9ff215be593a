/*
 * tests/kernel/bootopt.c — the boot switches table.
 */
#include <ktest.h>
#include <loader.h>
#include <rtl.h>
#include "../testlib.h"

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

/*
 * A size of 0 is not "switch absent": /MAXMEM=0 and /USERVA=0 are reported
 * as malformed, like every other bad value, and leave the field unset.
 */
KTEST(bootopt, zero_sizes_are_reported)
{
    KE_BOOT_OPTIONS o;
    char Said[512];

    TestBeginCapture(Said, sizeof(Said));
    ULONG Rejected = KiParseBootOptions("/MAXMEM=0 /3GB /USERVA=0", &o, true);
    TestEndCapture();
    EXPECT_EQ(Rejected, 2);
    EXPECT_EQ(o.MalformedCount, 2);
    EXPECT_STREQ(o.Unknown[0], "/MAXMEM=0");
    EXPECT_STREQ(o.Unknown[1], "/USERVA=0");
    EXPECT_EQ(o.MaxMemMb, 0);
    EXPECT_EQ(o.UserVaMb, 0);
    EXPECT_TRUE(o.ThreeGb);
    EXPECT_TRUE(TestContains(Said, "malformed switch '/MAXMEM=0' ignored: 0 is not a size"));
    EXPECT_TRUE(TestContains(Said, "malformed switch '/USERVA=0' ignored: 0 is not a size"));
}

/* Each kind of bad number is refused with its own reason; hex with 0x and the largest 32-bit value are fine. */
KTEST(bootopt, numbers_are_parsed_strictly)
{
    static const struct {
        const char *Line;
        const char *Reason;             /* NULL: accepted */
        ULONG MaxMemMb;
    } Cases[] = {
        { "/MAXMEM=4294967296", "does not fit in 32 bits", 0 },
        { "/MAXMEM=99999999999", "does not fit in 32 bits", 0 },
        { "/MAXMEM=0x100000000", "does not fit in 32 bits", 0 },
        { "/MAXMEM=", "no digits", 0 },
        { "/MAXMEM=0x", "no digits", 0 },
        { "/MAXMEM=64MB", "not a decimal number", 0 },
        { "/MAXMEM=1f", "not a decimal number (hex needs 0x)", 0 },
        { "/MAXMEM=0x1g", "not a hex number", 0 },
        { "/MAXMEM=-1", "not a decimal number", 0 },
        { "/MAXMEM=4294967295", NULL, 0xFFFFFFFF },
        { "/MAXMEM=0x40", NULL, 64 },
        { "/MAXMEM=16777217", NULL, 16777217 },
    };
    for (ULONG i = 0; i < ARRAY_SIZE(Cases); i++) {
        KE_BOOT_OPTIONS o;
        char Said[256];
        TestBeginCapture(Said, sizeof(Said));
        ULONG Rejected = KiParseBootOptions(Cases[i].Line, &o, true);
        TestEndCapture();
        bool Accepted = Cases[i].Reason == NULL;
        if (Rejected != (Accepted ? 0u : 1u) || o.MaxMemMb != Cases[i].MaxMemMb ||
            (!Accepted && (o.MalformedCount != 1 || !TestContains(Said, Cases[i].Reason))) ||
            (Accepted && Said[0] != '\0'))
            KtestFail(t, __FILE__, __LINE__, "'%s': rejected %u, MaxMemMb %u, said \"%s\"", Cases[i].Line,
                      Rejected, o.MaxMemMb, Said);
        t->Checks++;
    }
}

/*
 * A switch given twice: the first occurrence decides, as NT's loader finds
 * a switch by searching the options from the start; the later one is
 * reported as a duplicate, even when the first was malformed.
 */
KTEST(bootopt, first_of_a_duplicated_switch_wins)
{
    KE_BOOT_OPTIONS o;
    char Said[512];

    TestBeginCapture(Said, sizeof(Said));
    ULONG Rejected = KiParseBootOptions("/MAXMEM=64 /3GB /MAXMEM=32 /3gb ktest=a.* ktest=b.*", &o, true);
    TestEndCapture();
    EXPECT_EQ(Rejected, 3);
    EXPECT_EQ(o.DuplicateCount, 3);
    EXPECT_EQ(o.MaxMemMb, 64);
    EXPECT_TRUE(o.ThreeGb);
    EXPECT_STREQ(o.KTestGlob, "a.*");
    EXPECT_STREQ(o.Unknown[0], "/MAXMEM=32");
    EXPECT_TRUE(TestContains(Said, "duplicate switch '/MAXMEM=32' ignored: the first one decides"));
    EXPECT_TRUE(TestContains(Said, "duplicate switch '/3gb' ignored"));

    EXPECT_EQ(KiParseBootOptions("/MAXMEM=abc /MAXMEM=32", &o, false), 2);
    EXPECT_EQ(o.MalformedCount, 1);
    EXPECT_EQ(o.DuplicateCount, 1);
    EXPECT_EQ(o.MaxMemMb, 0);

    /* ktest and ktest=GLOB are different switches, as are /BENCH and /BENCH=GLOB. */
    EXPECT_EQ(KiParseBootOptions("ktest ktest=pool.* /BENCH /BENCH=pool.*", &o, false), 0);
}

/* A line of switches longer than the old 511-byte buffer is kept whole: the last switch still counts. */
KTEST(bootopt, long_command_line_kept_whole)
{
    static LOADER_PARAMETER_BLOCK Block;
    static char Line[3000];
    KE_BOOT_OPTIONS o;
    size_t n = (size_t)snprintf(Line, sizeof(Line), "/boot/mm386.elf ktest=pool.*");

    while (n < 2900)
        Line[n++] = ' ';
    strlcpy(Line + n, "/3GB", sizeof(Line) - n);
    BootSplitCommandLine(&Block, Line);
    EXPECT_STREQ(Block.ImageName, "/boot/mm386.elf");
    EXPECT_EQ(Block.CommandLineLength, strlen(Line));
    EXPECT_EQ(Block.CommandLineDropped, 0);
    EXPECT_EQ(KiParseBootOptions(Block.CommandLine, &o, false), 0);
    EXPECT_TRUE(o.ThreeGb);
    EXPECT_STREQ(o.KTestGlob, "pool.*");
}

/*
 * Past LOADER_COMMAND_LINE_LENGTH the line is cut between words, never in
 * one (no "/3G" parsed from a cut "/3GB"), and the cut is recorded: how
 * many bytes, and how they began.
 */
KTEST(bootopt, overlong_command_line_reports_what_was_dropped)
{
    static LOADER_PARAMETER_BLOCK Block;
    static char Line[LOADER_COMMAND_LINE_LENGTH + 64];
    const size_t Capacity = LOADER_COMMAND_LINE_LENGTH - 1;
    size_t n = 0;

    /* "ktest" at the start, blanks, then "/3GB ktest=x" straddling the capacity. */
    n += (size_t)snprintf(Line, sizeof(Line), "ktest");
    while (n < Capacity - 2)
        Line[n++] = ' ';
    strlcpy(Line + n, "/3GB ktest=x", sizeof(Line) - n);
    BootSplitCommandLine(&Block, Line);
    EXPECT_STREQ(Block.ImageName, "");
    EXPECT_EQ(Block.CommandLineLength, Capacity - 2 + 12);
    EXPECT_EQ(Block.CommandLineDropped, 12);
    EXPECT_STREQ(Block.DroppedText, "/3GB ktest=x");
    EXPECT_EQ(strlen(Block.CommandLine), Capacity - 2);

    KE_BOOT_OPTIONS o;
    EXPECT_EQ(KiParseBootOptions(Block.CommandLine, &o, false), 0);
    EXPECT_TRUE(o.KTest);
    EXPECT_FALSE(o.ThreeGb);

    /* One word longer than the whole buffer: nothing is kept, all of it is reported. */
    memset(Line, 'x', sizeof(Line) - 1);
    Line[sizeof(Line) - 1] = '\0';
    BootSplitCommandLine(&Block, Line);
    EXPECT_STREQ(Block.CommandLine, "");
    EXPECT_EQ(Block.CommandLineDropped, sizeof(Line) - 1);
    EXPECT_EQ(strlen(Block.DroppedText), LOADER_DROPPED_TEXT_LENGTH - 1);
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
