/*
 * kernel/bootopt.c — the boot switches, parsed once into KeBootOptions.
 *
 * NT reads its switches (/3GB, /USERVA=, /MAXMEM= ...) from boot.ini or the
 * BCD into a load-options string and the kernel and HAL scan it. mm386 parses
 * the multiboot command line once, through the table below, into a structure
 * other code reads. Switches are case-insensitive; a numeric value is decimal
 * (or hex with 0x) and must fit in 32 bits.
 *
 * Every switch the parser does not take is reported on the console with the
 * reason and recorded, so a typo such as /3BG never passes silently:
 *
 *   unknown     a word the table does not know (/3BG, ktestx)
 *   malformed   a known switch with a bad value: no digits, not a number,
 *               more than 32 bits, 0 where a size is expected, an empty or
 *               overlong string, a pool tag longer than four characters
 *   duplicate   a switch given again: the first occurrence decides, as in
 *               NT, whose loader and kernel find a switch by searching the
 *               load options from the start (/MAXMEM=64 /MAXMEM=32 runs with
 *               64; a malformed first one leaves the switch unset). A GRUB
 *               entry's own switches therefore come before `make run ARGS=`.
 */
#include <ke.h>
#include <loader.h>
#include <rtl.h>

KE_BOOT_OPTIONS KeBootOptions;

typedef enum { OPTION_FLAG, OPTION_NUMBER, OPTION_STRING, OPTION_TAG } OPTION_KIND;

typedef struct {
    const char *Name;           /* with '=' when the switch takes a value */
    OPTION_KIND Kind;
    size_t Offset;              /* the field in KE_BOOT_OPTIONS */
    size_t Size;                /* for strings: the buffer size */
    size_t FlagOffset;          /* a bool set when the option is present, or 0 */
    bool NonZero;               /* for numbers: a size, so 0 is refused */
} BOOT_OPTION;

#define FIELD(f)            offsetof(KE_BOOT_OPTIONS, f)
#define NO_FLAG             ((size_t)0)

static const BOOT_OPTION KiBootOptionTable[] = {
    { "/3GB",           OPTION_FLAG,   FIELD(ThreeGb),        0, NO_FLAG, false },
    { "/USERVA=",       OPTION_NUMBER, FIELD(UserVaMb),       0, NO_FLAG, true },
    { "/MAXMEM=",       OPTION_NUMBER, FIELD(MaxMemMb),       0, NO_FLAG, true },
    { "/BENCH",         OPTION_FLAG,   FIELD(Bench),          0, NO_FLAG, false },
    { "/BENCH=",        OPTION_STRING, FIELD(BenchGlob),      BOOT_OPTION_GLOB_LENGTH, FIELD(Bench), false },
    { "/START=",        OPTION_STRING, FIELD(StartProgram),   BOOT_OPTION_GLOB_LENGTH, NO_FLAG, false },
    { "/SPECIALPOOL=",  OPTION_TAG,    FIELD(SpecialPoolTag), 0, FIELD(SpecialPool), false },
    { "ktest",          OPTION_FLAG,   FIELD(KTest),          0, NO_FLAG, false },
    { "ktest=",         OPTION_STRING, FIELD(KTestGlob),      BOOT_OPTION_GLOB_LENGTH, FIELD(KTest), false },
    { "ktest.death=",   OPTION_STRING, FIELD(KTestDeath),     BOOT_OPTION_GLOB_LENGTH, FIELD(KTest), false },
};

static void Record(KE_BOOT_OPTIONS *Options, const char *Token, size_t Length, bool Report,
                   const char *Kind, const char *Why)
{
    if (Report)
        DbgPrint("bootopt: %s switch '%.*s' ignored%s%s\n", Kind, (int)Length, Token, Why ? ": " : "",
                 Why ? Why : "");
    if (Options->UnknownCount < BOOT_OPTION_MAX_UNKNOWN) {
        size_t n = MIN(Length, (size_t)BOOT_OPTION_TOKEN_LENGTH - 1);
        memcpy(Options->Unknown[Options->UnknownCount], Token, n);
        Options->Unknown[Options->UnknownCount][n] = '\0';
    }
    Options->UnknownCount++;
}

/*
 * A switch's number: decimal, or hex after 0x, filling all Length characters
 * of Text. Returns NULL and stores it, or says what is wrong with it.
 */
static const char *ParseNumber(const char *Text, size_t Length, ULONG *Value)
{
    ULONG Base = 10, Result = 0;
    bool Overflow = false;
    size_t i = 0;

    if (Length >= 2 && Text[0] == '0' && (Text[1] == 'x' || Text[1] == 'X')) {
        Base = 16;
        i = 2;
    }
    if (i == Length)
        return "no digits";
    for (; i < Length; i++) {
        char c = Text[i];
        ULONG d;
        if (c >= '0' && c <= '9')
            d = (ULONG)(c - '0');
        else if (Base == 16 && c >= 'a' && c <= 'f')
            d = (ULONG)(c - 'a' + 10);
        else if (Base == 16 && c >= 'A' && c <= 'F')
            d = (ULONG)(c - 'A' + 10);
        else
            return Base == 16 ? "not a hex number" : "not a decimal number (hex needs 0x)";
        if (Result > (0xFFFFFFFFu - d) / Base)
            Overflow = true;
        Result = Result * Base + d;
    }
    if (Overflow)
        return "the number does not fit in 32 bits";
    *Value = Result;
    return NULL;
}

/* Applies one option whose name matched; returns NULL, or why its value is refused. */
static const char *Apply(KE_BOOT_OPTIONS *Options, const BOOT_OPTION *Option,
                         const char *Value, size_t ValueLength)
{
    char *Field = (char *)Options + Option->Offset;

    switch (Option->Kind) {
    case OPTION_FLAG:
        *(bool *)Field = true;
        break;
    case OPTION_NUMBER: {
        ULONG Number;
        const char *Why = ParseNumber(Value, ValueLength, &Number);
        if (Why)
            return Why;
        if (Number == 0 && Option->NonZero)
            return "0 is not a size (leave the switch out for the default)";
        *(uint32_t *)Field = Number;
        break;
    }
    case OPTION_STRING:
        if (ValueLength == 0)
            return "the value is empty";
        if (ValueLength >= Option->Size)
            return "the value is too long";
        memcpy(Field, Value, ValueLength);
        Field[ValueLength] = '\0';
        break;
    case OPTION_TAG: {
        /* Up to four characters, padded with spaces as NT pads pool tags. */
        if (ValueLength == 0 || ValueLength > 4)
            return "a pool tag is 1 to 4 characters";
        char Tag[4] = { ' ', ' ', ' ', ' ' };
        memcpy(Tag, Value, ValueLength);
        *(uint32_t *)Field = MAKE_TAG(Tag[0], Tag[1], Tag[2], Tag[3]);
        break;
    }
    }
    if (Option->FlagOffset != NO_FLAG)
        *(bool *)((char *)Options + Option->FlagOffset) = true;
    return NULL;
}

static const BOOT_OPTION *FindOption(const char *Token, size_t Length)
{
    for (size_t i = 0; i < ARRAY_SIZE(KiBootOptionTable); i++) {
        const BOOT_OPTION *o = &KiBootOptionTable[i];
        size_t NameLength = strlen(o->Name);
        bool TakesValue = o->Name[NameLength - 1] == '=';
        if ((TakesValue ? Length >= NameLength : Length == NameLength) &&
            RtlCompareStringInsensitive(Token, o->Name, NameLength) == 0)
            return o;
    }
    return NULL;
}

ULONG KiParseBootOptions(const char *CommandLine, KE_BOOT_OPTIONS *Options, bool Report)
{
    bool Seen[ARRAY_SIZE(KiBootOptionTable)] = { false };
    const char *p = CommandLine;
    ULONG Rejected = 0;

    memset(Options, 0, sizeof(*Options));
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *Token = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t Length = (size_t)(p - Token);

        const BOOT_OPTION *Match = FindOption(Token, Length);
        if (!Match) {
            Record(Options, Token, Length, Report, "unknown", NULL);
            Rejected++;
            continue;
        }
        size_t Index = (size_t)(Match - KiBootOptionTable);
        if (Seen[Index]) {
            Record(Options, Token, Length, Report, "duplicate", "the first one decides");
            Options->DuplicateCount++;
            Rejected++;
            continue;
        }
        Seen[Index] = true;
        size_t NameLength = strlen(Match->Name);
        const char *Why = Apply(Options, Match, Token + NameLength, Length - NameLength);
        if (Why) {
            Record(Options, Token, Length, Report, "malformed", Why);
            Options->MalformedCount++;
            Rejected++;
        }
    }
    return Rejected;
}
