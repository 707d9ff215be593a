/*
 * kernel/bootopt.c — the boot switches, parsed once into KeBootOptions.
 *
 * NT reads its switches (/3GB, /USERVA=, /MAXMEM= ...) from boot.ini or the
 * BCD into a load-options string and the kernel and HAL scan it. mm386 parses
 * the multiboot command line once, through the table below, into a structure
 * other code reads. Switches are case-insensitive; a numeric value is decimal
 * (or hex with 0x). Anything the table does not know is reported on the
 * console and recorded, so a typo such as /3BG never passes silently.
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
} BOOT_OPTION;

#define FIELD(f)            offsetof(KE_BOOT_OPTIONS, f)
#define NO_FLAG             ((size_t)0)

static const BOOT_OPTION KiBootOptionTable[] = {
    { "/3GB",           OPTION_FLAG,   FIELD(ThreeGb),        0, NO_FLAG },
    { "/USERVA=",       OPTION_NUMBER, FIELD(UserVaMb),       0, NO_FLAG },
    { "/MAXMEM=",       OPTION_NUMBER, FIELD(MaxMemMb),       0, NO_FLAG },
    { "/BENCH",         OPTION_FLAG,   FIELD(Bench),          0, NO_FLAG },
    { "/BENCH=",        OPTION_STRING, FIELD(BenchGlob),      BOOT_OPTION_GLOB_LENGTH, FIELD(Bench) },
    { "/SPECIALPOOL=",  OPTION_TAG,    FIELD(SpecialPoolTag), 0, FIELD(SpecialPool) },
    { "ktest",          OPTION_FLAG,   FIELD(KTest),          0, NO_FLAG },
    { "ktest=",         OPTION_STRING, FIELD(KTestGlob),      BOOT_OPTION_GLOB_LENGTH, FIELD(KTest) },
    { "ktest.death=",   OPTION_STRING, FIELD(KTestDeath),     BOOT_OPTION_GLOB_LENGTH, FIELD(KTest) },
};

static void Record(KE_BOOT_OPTIONS *Options, const char *Token, size_t Length, bool Report,
                   const char *Why)
{
    if (Report)
        DbgPrint("bootopt: %s switch '%.*s' ignored\n", Why, (int)Length, Token);
    if (Options->UnknownCount < BOOT_OPTION_MAX_UNKNOWN) {
        size_t n = MIN(Length, (size_t)BOOT_OPTION_TOKEN_LENGTH - 1);
        memcpy(Options->Unknown[Options->UnknownCount], Token, n);
        Options->Unknown[Options->UnknownCount][n] = '\0';
    }
    Options->UnknownCount++;
}

/* Applies one option whose name matched; returns false if its value is bad. */
static bool Apply(KE_BOOT_OPTIONS *Options, const BOOT_OPTION *Option,
                  const char *Value, size_t ValueLength)
{
    char *Field = (char *)Options + Option->Offset;

    switch (Option->Kind) {
    case OPTION_FLAG:
        *(bool *)Field = true;
        break;
    case OPTION_NUMBER: {
        const char *End;
        ULONG Number;
        if (!RtlParseUlong(Value, &End, &Number) || End != Value + ValueLength)
            return false;
        *(uint32_t *)Field = Number;
        break;
    }
    case OPTION_STRING:
        if (ValueLength == 0 || ValueLength >= Option->Size)
            return false;
        memcpy(Field, Value, ValueLength);
        Field[ValueLength] = '\0';
        break;
    case OPTION_TAG: {
        /* Up to four characters, padded with spaces as NT pads pool tags. */
        if (ValueLength == 0 || ValueLength > 4)
            return false;
        char Tag[4] = { ' ', ' ', ' ', ' ' };
        memcpy(Tag, Value, ValueLength);
        *(uint32_t *)Field = MAKE_TAG(Tag[0], Tag[1], Tag[2], Tag[3]);
        break;
    }
    }
    if (Option->FlagOffset != NO_FLAG)
        *(bool *)((char *)Options + Option->FlagOffset) = true;
    return true;
}

ULONG KiParseBootOptions(const char *CommandLine, KE_BOOT_OPTIONS *Options, bool Report)
{
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

        const BOOT_OPTION *Match = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(KiBootOptionTable); i++) {
            const BOOT_OPTION *o = &KiBootOptionTable[i];
            size_t NameLength = strlen(o->Name);
            bool TakesValue = o->Name[NameLength - 1] == '=';
            if (TakesValue ? (Length >= NameLength && RtlCompareStringInsensitive(Token, o->Name, NameLength) == 0)
                           : (Length == NameLength && RtlCompareStringInsensitive(Token, o->Name, NameLength) == 0)) {
                Match = o;
                break;
            }
        }
        if (!Match) {
            Record(Options, Token, Length, Report, "unknown");
            Rejected++;
            continue;
        }
        size_t NameLength = strlen(Match->Name);
        if (!Apply(Options, Match, Token + NameLength, Length - NameLength)) {
            Record(Options, Token, Length, Report, "malformed");
            Options->MalformedCount++;
            Rejected++;
        }
    }
    return Rejected;
}
