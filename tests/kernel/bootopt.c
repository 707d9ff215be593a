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
    ULONG Rejected = KiParseBootOptions("/3gb /USERVA=2560 /maxmem=64 /BENCH /SPECIALPOOL=Tst ktest=pool.* "
                                        "/start=vmwalk.exe", &o, false);
    EXPECT_EQ(Rejected, 0);
    EXPECT_TRUE(o.ThreeGb);
    EXPECT_EQ(o.UserVaMb, 2560);
    EXPECT_EQ(o.MaxMemMb, 64);
    EXPECT_TRUE(o.Bench);
    EXPECT_TRUE(o.SpecialPool);
    EXPECT_EQ(o.SpecialPoolTag, MAKE_TAG('T', 's', 't', ' '));
    EXPECT_TRUE(o.KTest);
    EXPECT_STREQ(o.KTestGlob, "pool.*");
    EXPECT_STREQ(o.StartProgram, "vmwalk.exe");
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

/*
 * The running kernel's own command line, read here word by word by code of
 * the test's own (not the parser under test) and judged by the switch
 * table's documented rules: a word the table does not know is reported; a
 * switch given again is reported and the first occurrence decides; a value
 * that is not a whole decimal or 0x-hex number of 32 bits, a size of 0, an
 * empty or overlong glob, a tag of more than four characters is reported
 * and leaves the field unset; everything else lands in its field and is not
 * reported. Whatever the configuration — malformed, unknown or repeated
 * switches included — the parser must have taken exactly the words the
 * rules take, and reported the others, in order.
 */
typedef struct {
    bool ThreeGb, KTest, SpecialPool;
    ULONG UserVaMb, MaxMemMb;
    char Rejected[BOOT_OPTION_MAX_UNKNOWN][BOOT_OPTION_TOKEN_LENGTH];
    ULONG RejectedCount;
    bool Seen[9];                       /* per switch below: given already */
} EXPECTED_OPTIONS;

/* The switch names, in the words' own spelling rules: '=' takes a value. */
static const char *const SwitchNames[9] = {
    "/3GB", "/USERVA=", "/MAXMEM=", "/BENCH", "/BENCH=", "/SPECIALPOOL=", "ktest", "ktest=", "ktest.death=",
};

/* A whole value in decimal or 0x-hex that fits in 32 bits, read digit by digit here. */
static bool WellFormedNumber(const char *p, size_t Length, ULONG *Value)
{
    uint64_t v = 0;
    ULONG Base = 10;
    if (Length >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        Base = 16, p += 2, Length -= 2;
    if (Length == 0)
        return false;
    for (size_t i = 0; i < Length; i++) {
        char c = p[i];
        ULONG d;
        if (c >= '0' && c <= '9')
            d = (ULONG)(c - '0');
        else if (Base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (ULONG)((c | 0x20) - 'a' + 10);
        else
            return false;
        v = v * Base + d;
        if (v > 0xFFFFFFFFull)
            return false;
    }
    *Value = (ULONG)v;
    return true;
}

/* Which of SwitchNames the word is (a name with '=' matches as a prefix), or -1. */
static int SwitchOf(const char *w, size_t n)
{
    for (int i = 0; i < (int)ARRAY_SIZE(SwitchNames); i++) {
        size_t k = strlen(SwitchNames[i]);
        bool TakesValue = SwitchNames[i][k - 1] == '=';
        if ((TakesValue ? n >= k : n == k) && RtlCompareStringInsensitive(w, SwitchNames[i], k) == 0)
            return i;
    }
    return -1;
}

/* True if the rules take the word; records what it sets in e. */
static bool RulesTake(const char *w, size_t n, EXPECTED_OPTIONS *e)
{
    int s = SwitchOf(w, n);
    if (s < 0 || e->Seen[s])
        return false;
    e->Seen[s] = true;
    const char *Value = w + strlen(SwitchNames[s]);
    size_t Length = n - strlen(SwitchNames[s]);
    ULONG Number;
    switch (s) {
    case 0:
        e->ThreeGb = true;
        return true;
    case 1:
    case 2:
        if (!WellFormedNumber(Value, Length, &Number) || Number == 0)
            return false;
        *(s == 1 ? &e->UserVaMb : &e->MaxMemMb) = Number;
        return true;
    case 5:
        return Length >= 1 && Length <= 4 && (e->SpecialPool = true);
    case 6:
        e->KTest = true;
        return true;
    case 3:
        return true;
    default:                            /* a glob or a test's name */
        if (Length == 0 || Length >= BOOT_OPTION_GLOB_LENGTH)
            return false;
        e->KTest |= s != 4;
        return true;
    }
}

KTEST(bootopt, running_kernel_parsed_its_command_line)
{
    EXPECTED_OPTIONS e;

    memset(&e, 0, sizeof(e));
    for (const char *p = KeLoaderBlock.CommandLine;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *Word = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - Word);
        if (RulesTake(Word, n, &e))
            continue;
        if (e.RejectedCount < BOOT_OPTION_MAX_UNKNOWN) {
            size_t Kept = MIN(n, (size_t)BOOT_OPTION_TOKEN_LENGTH - 1);
            memcpy(e.Rejected[e.RejectedCount], Word, Kept);
            e.Rejected[e.RejectedCount][Kept] = '\0';
        }
        e.RejectedCount++;
    }
    EXPECT_EQ(KeBootOptions.UnknownCount, e.RejectedCount);
    for (ULONG i = 0; i < MIN(e.RejectedCount, (ULONG)BOOT_OPTION_MAX_UNKNOWN); i++)
        EXPECT_STREQ(KeBootOptions.Unknown[i], e.Rejected[i]);
    EXPECT_EQ(KeBootOptions.ThreeGb, e.ThreeGb);
    EXPECT_EQ(KeBootOptions.KTest, e.KTest);
    EXPECT_EQ(KeBootOptions.SpecialPool, e.SpecialPool);
    EXPECT_EQ(KeBootOptions.UserVaMb, e.UserVaMb);
    EXPECT_EQ(KeBootOptions.MaxMemMb, e.MaxMemMb);
}
