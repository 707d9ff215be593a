/*
 * kernel/kd/args.c — reading a kd> command's arguments.
 *
 * Every command reads its arguments through the helpers here, so every
 * mistake gets the same kind of answer: the command's name, which argument,
 * what is wrong with it, and for a wrong number of arguments the command's
 * usage line. Nothing is guessed and nothing is dropped: an argument a
 * command does not take is reported, not ignored, and the command does not
 * run.
 *
 * Numbers are hex, with or without 0x, as WinDbg reads them. WinDbg's
 * backtick, which separates the halves of a 64-bit value (ffffffff`80000000),
 * is skipped where it stands between two digits; anywhere else it is a
 * mistake, as is an empty number, a character that is not a hex digit, or a
 * value past 32 bits. An address is a number or the name of a kernel
 * function from the symbol table the build embeds, with an optional +offset
 * (KiSystemStartup+10); a word made of hex digits only is a number. On a
 * stopped kernel, @REG (WinDbg's form) is a register of the stopped
 * context, also with an optional +offset (@esp+4).
 *
 * KdExecute (kd.c) records the command it runs in KdpCurrentCommand, which
 * is how the helpers name it and find its usage.
 */
#include <kd.h>
#include <rtl.h>
#include "kdp.h"

const KD_COMMAND *KdpCurrentCommand;

static const char *KdpCommandName(void)
{
    return KdpCurrentCommand ? KdpCurrentCommand->Name : "kd";
}

static int KdpHexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Parses Text as a hex number. Returns NULL and stores the value, or says
 * what is wrong with it (Reason is a buffer for messages naming a character).
 */
static const char *KdpScanHex(const char *Text, ULONG *Value, char Reason[48])
{
    const char *p = Text;
    ULONG Result = 0;
    bool Digits = false, Overflow = false;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    if (!*p)
        return p == Text ? "no digits" : "no digits after 0x";
    for (; *p; p++) {
        if (*p == '`') {
            if (!Digits || KdpHexDigit(p[1]) < 0)
                return "a backtick goes between two digits (ffff`ffff)";
            continue;
        }
        int d = KdpHexDigit(*p);
        if (d < 0) {
            snprintf(Reason, 48, "'%c' is not a hex digit", *p);
            return Reason;
        }
        if (Result >> 28)
            Overflow = true;
        Result = Result << 4 | (ULONG)d;
        Digits = true;
    }
    if (Overflow)
        return "more than 32 bits (at most 8 hex digits)";
    *Value = Result;
    return NULL;
}

bool KdParseHex(const char *Text, ULONG *Value)
{
    char Reason[48];
    return KdpScanHex(Text, Value, Reason) == NULL;
}

bool KdParseNumber(const char *Text, const char *What, ULONG *Value)
{
    char Reason[48];
    const char *Why = KdpScanHex(Text, Value, Reason);
    if (Why)
        DbgPrint("%s: %s '%s' is not a hex number: %s\n", KdpCommandName(), What, Text, Why);
    return Why == NULL;
}

/* A word that reads as a number: it starts with a digit or a backtick, or it is all hex digits. */
static bool KdpLooksNumeric(const char *Text)
{
    if ((Text[0] >= '0' && Text[0] <= '9') || Text[0] == '`')
        return true;
    for (const char *p = Text; *p; p++) {
        if (KdpHexDigit(*p) < 0)
            return false;
    }
    return true;
}

static bool KdpIsNameCharacter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
}

bool KdParseAddress(const char *Text, const char *What, ULONG *Value)
{
    char Name[64], Reason[48];
    const char *Plus = strchr(Text, '+');
    size_t Length = Plus ? (size_t)(Plus - Text) : strlen(Text);
    ULONG Offset = 0, Register;

    if (!Plus && KdpLooksNumeric(Text))
        return KdParseNumber(Text, What, Value);
    if (Text[0] == '@') {
        /* WinDbg's @register, of the stopped context, with an optional +offset. */
        snprintf(Name, sizeof(Name), "%.*s", (int)(Length - 1), Text + 1);
        if (!KdpReadRegister(Name, &Register)) {
            if (KdIsStopped())
                DbgPrint("%s: %s '%s': '%s' is not a register (eax ebx ecx edx esi edi ebp esp eip efl)\n",
                         KdpCommandName(), What, Text, Name);
            else
                DbgPrint("%s: %s '%s': the kernel is running; registers are a stopped kernel's\n",
                         KdpCommandName(), What, Text);
            return false;
        }
        if (Plus) {
            const char *Why = KdpScanHex(Plus + 1, &Offset, Reason);
            if (Why) {
                DbgPrint("%s: the offset in %s '%s' is not a hex number: %s\n", KdpCommandName(), What, Text, Why);
                return false;
            }
        }
        *Value = Register + Offset;
        return true;
    }
    bool IsName = Length > 0 && Length < sizeof(Name) && !(Text[0] >= '0' && Text[0] <= '9');
    for (size_t i = 0; i < Length && IsName; i++)
        IsName = KdpIsNameCharacter(Text[i]);
    if (!IsName) {
        DbgPrint("%s: %s '%s' is neither a hex number nor a function name\n", KdpCommandName(), What, Text);
        return false;
    }
    if (Plus) {
        const char *Why = KdpScanHex(Plus + 1, &Offset, Reason);
        if (Why) {
            DbgPrint("%s: the offset in %s '%s' is not a hex number: %s\n", KdpCommandName(), What, Text, Why);
            return false;
        }
    }
    memcpy(Name, Text, Length);
    Name[Length] = '\0';
    ULONG Base = KiLookupSymbol(Name);
    if (Base == 0) {
        DbgPrint("%s: no function named '%s' (the symbol table holds functions only)\n", KdpCommandName(), Name);
        return false;
    }
    if (Offset > 0xFFFFFFFFu - Base) {
        DbgPrint("%s: %s '%s' lies beyond 4 GB\n", KdpCommandName(), What, Text);
        return false;
    }
    *Value = Base + Offset;
    return true;
}

void KdPrintUsage(const char *Usage)
{
    DbgPrint("usage: %s%s%s\n", KdpCommandName(), Usage[0] ? " " : "", Usage);
}

/* Copies word Index of Usage (0 is the word after the command's name) into Word, without brackets. */
static bool KdpUsageWord(const char *Usage, int Index, char *Word, size_t Size)
{
    const char *p = Usage;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            return false;
        const char *Start = p;
        while (*p && *p != ' ')
            p++;
        if (Index-- == 0) {
            while (Start < p && *Start == '[')
                Start++;
            size_t n = (size_t)(p - Start);
            while (n > 0 && Start[n - 1] == ']')
                n--;
            if (n == 0 || n >= Size)
                return false;
            memcpy(Word, Start, n);
            Word[n] = '\0';
            return true;
        }
    }
}

bool KdCheckArguments(int Argc, char **Argv, int Minimum, int Maximum, const char *Usage)
{
    int Given = Argc - 1;
    char Word[32];

    if (Given < Minimum) {
        if (KdpUsageWord(Usage, Given, Word, sizeof(Word)))
            DbgPrint("%s: %s is missing\n", KdpCommandName(), Word);
        else
            DbgPrint("%s: too few arguments\n", KdpCommandName());
        KdPrintUsage(Usage);
        return false;
    }
    if (Given > Maximum) {
        int Extra = Given - Maximum;
        if (Extra == 1)
            DbgPrint("%s: unexpected argument '%s'\n", KdpCommandName(), Argv[Maximum + 1]);
        else
            DbgPrint("%s: unexpected arguments '%s' and %d more\n", KdpCommandName(), Argv[Maximum + 1], Extra - 1);
        KdPrintUsage(Usage);
        return false;
    }
    return true;
}

bool KdCheckArgumentCount(int Argc, char **Argv, int Minimum, int Maximum)
{
    return KdCheckArguments(Argc, Argv, Minimum, Maximum, KdpCurrentCommand ? KdpCurrentCommand->Usage : "");
}
