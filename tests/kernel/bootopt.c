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

/*
 * The running kernel's own command line, read here word by word by code of
 * the test's own (not the parser under test), judged the way the switch
 * table documents: a known switch with a well-formed value (decimal, or hex
 * with 0x) must land in its field and must not be reported; an unknown word
 * or a known switch with a malformed value must be among the words the
 * parser reported. Values whose treatment is a matter for the switch's own
 * tests — zero, a /MAXMEM too large to count in pages, a /USERVA outside
 * 2048..3072 — are only required not to be invented. With a switch given
 * twice, the field holds one of the values given.
 */
typedef enum { WORD_ACCEPTED, WORD_REJECTED, WORD_UNJUDGED } WORD_VERDICT;

typedef struct {
    bool ThreeGb, KTest, SpecialPool;
    ULONG UserVa[8], MaxMem[8];         /* the well-formed values given */
    ULONG UserVaCount, MaxMemCount;
    bool UserVaUnjudged, MaxMemUnjudged;
    ULONG Rejected, Unjudged;
} EXPECTED_OPTIONS;

static bool WordIs(const char *Word, size_t Length, const char *Name)
{
    return Length == strlen(Name) && RtlCompareStringInsensitive(Word, Name, Length) == 0;
}

static bool WordHasPrefix(const char *Word, size_t Length, const char *Prefix)
{
    return Length >= strlen(Prefix) && RtlCompareStringInsensitive(Word, Prefix, strlen(Prefix)) == 0;
}

/* A whole value in decimal or 0x-hex that fits in 32 bits, read digit by digit here. */
static bool WellFormedNumber(const char *p, size_t Length, ULONG *Value)
{
    uint64_t v = 0;
    ULONG Base = 10;
    if (Length > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        Base = 16, p += 2, Length -= 2;
    if (Length == 0)
        return false;
    for (size_t i = 0; i < Length; i++) {
        char c = p[i];
        ULONG d;
        if (c >= '0' && c <= '9')
            d = (ULONG)(c - '0');
        else if (Base == 16 && ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
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

static WORD_VERDICT JudgeNumber(const char *Value, size_t Length, ULONG Low, ULONG High,
                                ULONG *Values, ULONG *Count, bool *Unjudged)
{
    ULONG v;
    if (!WellFormedNumber(Value, Length, &v))
        return WORD_REJECTED;
    if (v < Low || v > High) {
        *Unjudged = true;
        return WORD_UNJUDGED;
    }
    if (*Count < 8)
        Values[(*Count)++] = v;
    return WORD_ACCEPTED;
}

/* Values that name a glob or a test: up to the parser's buffer. */
static WORD_VERDICT JudgeString(size_t ValueLength)
{
    return ValueLength == 0 || ValueLength >= BOOT_OPTION_GLOB_LENGTH ? WORD_REJECTED : WORD_ACCEPTED;
}

static WORD_VERDICT JudgeWord(const char *w, size_t n, EXPECTED_OPTIONS *e)
{
    WORD_VERDICT v;
    if (WordIs(w, n, "/3GB")) {
        e->ThreeGb = true;
        return WORD_ACCEPTED;
    }
    if (WordIs(w, n, "/BENCH"))
        return WORD_ACCEPTED;
    if (WordHasPrefix(w, n, "/BENCH="))
        return JudgeString(n - strlen("/BENCH="));
    if (WordIs(w, n, "ktest")) {
        e->KTest = true;
        return WORD_ACCEPTED;
    }
    if (WordHasPrefix(w, n, "ktest=") || WordHasPrefix(w, n, "ktest.death=")) {
        v = JudgeString(n - (size_t)(strchr(w, '=') + 1 - w));
        e->KTest |= v == WORD_ACCEPTED;
        return v;
    }
    if (WordHasPrefix(w, n, "/SPECIALPOOL=")) {
        size_t Tag = n - strlen("/SPECIALPOOL=");
        if (Tag == 0 || Tag > 4)
            return WORD_REJECTED;
        e->SpecialPool = true;
        return WORD_ACCEPTED;
    }
    if (WordHasPrefix(w, n, "/USERVA="))
        return JudgeNumber(w + 8, n - 8, 2048, 3072, e->UserVa, &e->UserVaCount, &e->UserVaUnjudged);
    if (WordHasPrefix(w, n, "/MAXMEM="))    /* N MB must count in 32-bit pages: below 16 M MB */
        return JudgeNumber(w + 8, n - 8, 1, 0xFFFFFF, e->MaxMem, &e->MaxMemCount, &e->MaxMemUnjudged);
    return WORD_REJECTED;
}

/* True if the parser reported Word (it keeps the first BOOT_OPTION_MAX_UNKNOWN, cut to their buffer). */
static bool Reported(const char *Word, size_t Length)
{
    size_t n = MIN(Length, (size_t)BOOT_OPTION_TOKEN_LENGTH - 1);
    for (ULONG i = 0; i < MIN(KeBootOptions.UnknownCount, (ULONG)BOOT_OPTION_MAX_UNKNOWN); i++) {
        if (strlen(KeBootOptions.Unknown[i]) == n && memcmp(KeBootOptions.Unknown[i], Word, n) == 0)
            return true;
    }
    return false;
}

/* Field holds one of the Count values given, or 0 when none was (and none went unjudged). */
static bool OneOf(ULONG Field, const ULONG *Values, ULONG Count, bool Unjudged)
{
    if (Unjudged)
        return true;
    if (Count == 0)
        return Field == 0;
    for (ULONG i = 0; i < Count; i++) {
        if (Field == Values[i])
            return true;
    }
    return false;
}

KTEST(bootopt, running_kernel_parsed_its_command_line)
{
    const char *Line = KeLoaderBlock.CommandLine;
    EXPECTED_OPTIONS e = { 0 };
    ULONG RejectedNotReported = 0, AcceptedButReported = 0;

    for (const char *p = Line; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *Word = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - Word);
        if (n == 0)
            break;
        WORD_VERDICT v = JudgeWord(Word, n, &e);
        if (v == WORD_REJECTED) {
            /* Only the first few reports are kept: a later one cannot be looked up. */
            if (e.Rejected + e.Unjudged < BOOT_OPTION_MAX_UNKNOWN && !Reported(Word, n))
                RejectedNotReported++;
            e.Rejected++;
        } else if (v == WORD_UNJUDGED) {
            e.Unjudged++;
        } else if (Reported(Word, n)) {
            AcceptedButReported++;
        }
    }
    EXPECT_EQ(RejectedNotReported, 0);
    EXPECT_EQ(AcceptedButReported, 0);
    EXPECT_GE(KeBootOptions.UnknownCount, e.Rejected);
    EXPECT_LE(KeBootOptions.UnknownCount, e.Rejected + e.Unjudged);
    EXPECT_EQ(KeBootOptions.ThreeGb, e.ThreeGb);
    EXPECT_EQ(KeBootOptions.KTest, e.KTest);
    EXPECT_EQ(KeBootOptions.SpecialPool, e.SpecialPool);
    EXPECT_TRUE(OneOf(KeBootOptions.UserVaMb, e.UserVa, e.UserVaCount, e.UserVaUnjudged));
    EXPECT_TRUE(OneOf(KeBootOptions.MaxMemMb, e.MaxMem, e.MaxMemCount, e.MaxMemUnjudged));
}
