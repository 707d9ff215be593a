/*
 * tests/kernel/kd.c — the kd> prompt's argument rules (kernel/kd/args.c)
 * and every command's use of them. tools/kdsession.py drives the same
 * prompt over COM1 (typing, Ctrl-C, long scripts); these tests pin the
 * parsing itself, message by message, in tables.
 */
#include <kd.h>
#include <ktest.h>
#include <rtl.h>
#include "../testlib.h"

extern const KD_COMMAND __kd_command_start[], __kd_command_end[];

typedef struct {
    const char *Text;
    ULONG Value;                /* when Said is NULL */
    const char *Said;           /* a mistake: what the message must say */
} KD_PARSE_CASE;

/* Hex numbers: WinDbg's spelling; each mistake has its own message, none reads as 0. */
KTEST(kd, numbers_parse_strictly)
{
    static const KD_PARSE_CASE Cases[] = {
        { "e0103430", 0xE0103430, NULL },
        { "0xE0103430", 0xE0103430, NULL },
        { "0XfF", 0xFF, NULL },
        { "ffff`ffff", 0xFFFFFFFF, NULL },
        { "000000001", 1, NULL },
        { "0", 0, NULL },
        { "`", 0, "'`' is not a hex number: a backtick goes between two digits" },
        { "12`", 0, "a backtick goes between two digits" },
        { "`12", 0, "a backtick goes between two digits" },
        { "1``2", 0, "a backtick goes between two digits" },
        { "0x", 0, "no digits after 0x" },
        { "12g", 0, "'g' is not a hex digit" },
        { "-1", 0, "'-' is not a hex digit" },
        { "123456789", 0, "more than 32 bits" },
        { "1`00000000", 0, "more than 32 bits" },
    };
    for (ULONG i = 0; i < ARRAY_SIZE(Cases); i++) {
        const KD_PARSE_CASE *c = &Cases[i];
        char Said[160];
        ULONG Value = 0xBADBAD;
        TestBeginCapture(Said, sizeof(Said));
        bool Ok = KdParseNumber(c->Text, "N", &Value);
        TestEndCapture();
        t->Checks++;
        if (c->Said ? (Ok || !TestContains(Said, c->Said)) : (!Ok || Value != c->Value || Said[0]))
            KtestFail(t, __FILE__, __LINE__, "'%s': %s, value %x, said \"%s\"", c->Text, Ok ? "accepted" : "refused",
                      Value, Said);
    }
}

/* Addresses: a number (never taken for a name), or function+offset; each mistake says which. */
KTEST(kd, addresses_parse_strictly)
{
    ULONG Start = KiLookupSymbol("KiSystemStartup");
    ASSERT_NE(Start, 0);
    const KD_PARSE_CASE Cases[] = {
        { "KiSystemStartup", Start, NULL },
        { "KiSystemStartup+10", Start + 0x10, NULL },
        { "KiSystemStartup+0x1`0", Start + 0x10, NULL },
        { "deadbeef", 0xDEADBEEF, NULL },
        { "123456789", 0, "more than 32 bits" },
        { "`", 0, "a backtick goes between two digits" },
        { "KiSystemStartup+", 0, "the offset in VA 'KiSystemStartup+' is not a hex number: no digits" },
        { "KiSystemStartup+1g", 0, "'g' is not a hex digit" },
        { "KiSystemStartup+ffffffff", 0, "beyond 4 GB" },
        { "NoSuchFunction", 0, "no function named 'NoSuchFunction'" },
        { "Ki-x", 0, "'Ki-x' is neither a hex number nor a function name" },
        { "+10", 0, "neither a hex number nor a function name" },
        { "12+4", 0, "neither a hex number nor a function name" },
    };
    for (ULONG i = 0; i < ARRAY_SIZE(Cases); i++) {
        const KD_PARSE_CASE *c = &Cases[i];
        char Said[160];
        ULONG Value = 0xBADBAD;
        TestBeginCapture(Said, sizeof(Said));
        bool Ok = KdParseAddress(c->Text, "VA", &Value);
        TestEndCapture();
        t->Checks++;
        if (c->Said ? (Ok || !TestContains(Said, c->Said)) : (!Ok || Value != c->Value || Said[0]))
            KtestFail(t, __FILE__, __LINE__, "'%s': %s, value %x, said \"%s\"", c->Text, Ok ? "accepted" : "refused",
                      Value, Said);
    }
}

/*
 * Every registered command, given eight arguments too many, refuses and
 * prints its usage instead of running (for `reboot`, `quit` and `bugcheck`
 * running would end this test run). A command that takes any number of
 * arguments (a word of its usage ends in "...": bc N..., eb ADDRESS
 * VALUE...) cannot have too many; it must refuse the first, which is no
 * number, by name.
 */
/* A usage with a repeated argument: a word ending in "..." (VALUE..., N...|*), not "..." alone (more forms). */
static bool KdUsageRepeats(const char *Usage)
{
    for (const char *p = Usage; *p; p++) {
        if (p > Usage && p[-1] != ' ' && strncmp(p, "...", 3) == 0)
            return true;
    }
    return false;
}

KTEST(kd, every_command_refuses_extra_arguments)
{
    for (const KD_COMMAND *c = __kd_command_start; c < __kd_command_end; c++) {
        char Line[96], Said[512], Usage[48], Refusal[48];
        bool Variadic = KdUsageRepeats(c->Usage);
        snprintf(Line, sizeof(Line), "%s x1 x2 x3 x4 x5 x6 x7 x8", c->Name);
        snprintf(Usage, sizeof(Usage), "usage: %s", c->Name);
        snprintf(Refusal, sizeof(Refusal), "%s: ", c->Name);
        TestBeginCapture(Said, sizeof(Said));
        KdExecute(Line);
        TestEndCapture();
        t->Checks++;
        if (Variadic ? !(strncmp(Said, Refusal, strlen(Refusal)) == 0 && TestContains(Said, "'x1'"))
                     : !TestContains(Said, Usage))
            KtestFail(t, __FILE__, __LINE__, "'%s x1 ... x8' did not refuse: said \"%s\"", c->Name, Said);
    }
}

/* A missing argument is named from the usage, and the usage follows; the command does not run. */
KTEST(kd, missing_arguments_are_named)
{
    static const struct {
        const char *Line;
        const char *Said;
    } Cases[] = {
        { "bugcheck", "bugcheck: CODE is missing\nusage: bugcheck CODE [P1 P2 P3 P4]\n" },
        { "!pte", "!pte: VA is missing\nusage: !pte VA\n" },
        { "db", "db: ADDRESS is missing\n" },
        { "pool alloc Tag", "pool: SIZE is missing\nusage: pool alloc TAG SIZE [paged]\n" },
        { "pool free", "pool: VA is missing\nusage: pool free VA [TAG]\n" },
        { "pool", "pool: alloc or free is missing\n" },
        { "!vm 1", "!vm: unexpected argument '1'\nusage: !vm\n" },
        { "bugcheck e2 1 2 3 4 5 6", "bugcheck: unexpected arguments '5' and 1 more\n" },
    };
    for (ULONG i = 0; i < ARRAY_SIZE(Cases); i++) {
        char Line[64], Said[256];
        strlcpy(Line, Cases[i].Line, sizeof(Line));
        TestBeginCapture(Said, sizeof(Said));
        KdExecute(Line);
        TestEndCapture();
        t->Checks++;
        if (!TestContains(Said, Cases[i].Said))
            KtestFail(t, __FILE__, __LINE__, "'%s' said \"%s\"", Cases[i].Line, Said);
    }
}
