/*
 * kernel/kd/kdline.c — the kd> prompt's line editor: editing, history,
 * Tab completion.
 *
 * One editor serves both prompts: the running prompt reads characters the
 * serial driver queued (its thread waits on the driver's event), the
 * stopped prompt polls the UART with interrupts off; each passes its way of
 * getting the next character. The editor speaks what terminals send:
 * printable characters are inserted at the cursor; Backspace (or DEL)
 * erases before it; the arrow keys arrive as ANSI escape sequences (ESC [
 * A..D, ESC O A..D in application mode): left and right move the cursor, up
 * and down walk the history of the last KD_HISTORY_LINES lines run; Home,
 * End and Delete (ESC [ H, F, 1~, 4~, 3~) work too. Ctrl-U clears the line,
 * Ctrl-C cancels it. Tab completes the command name — the first word — when
 * one command has that prefix, extends it to the longest prefix several
 * share, and lists them on a second Tab. Echo redraws only what changed,
 * with backspaces and spaces, so a dumb terminal or a log shows the line
 * as typed.
 *
 * A line longer than the buffer is refused whole when Enter comes: the
 * extra characters are dropped as they come and the editor says so, so a
 * cut line never runs. Input the UART itself lost (an overrun) is reported
 * where it happened, and the line so far is reprinted to go on typing.
 */
#include <drivers.h>
#include <kd.h>
#include <rtl.h>
#include "kdp.h"

#define KD_CTRL_C       0x03
#define KD_TAB          0x09
#define KD_CTRL_U       0x15
#define KD_ESCAPE       0x1B
#define KD_HISTORY_LINES 16

static char KdpHistory[KD_HISTORY_LINES][KD_LINE_LENGTH];
static ULONG KdpHistoryCount;           /* lines ever added; the last KD_HISTORY_LINES are kept */
static ULONG KdOverrunsReported;

/* Reports the UART's overruns not yet reported (input lost before the kernel saw it); true if there were any. */
bool KdpReportOverruns(void)
{
    ULONG Overruns = SerialOverruns();
    if (Overruns == KdOverrunsReported)
        return false;
    DbgPrint("\n[COM1: %u receive overrun(s): input was lost before the kernel saw it; "
             "check the line before running it]\n", Overruns - KdOverrunsReported);
    KdOverrunsReported = Overruns;
    return true;
}

static void KdpAddHistory(const char *Line)
{
    if (!Line[0])
        return;
    if (KdpHistoryCount && strcmp(KdpHistory[(KdpHistoryCount - 1) % KD_HISTORY_LINES], Line) == 0)
        return;
    strlcpy(KdpHistory[KdpHistoryCount % KD_HISTORY_LINES], Line, KD_LINE_LENGTH);
    KdpHistoryCount++;
}

typedef struct _KD_EDIT {
    const char *Prompt;
    char *Line;
    size_t Size;
    size_t Length, Cursor;
    bool TooLong;
} KD_EDIT;

static void KdpRepeat(char c, size_t Count)
{
    char Text[32];
    while (Count) {
        size_t n = MIN(Count, sizeof(Text));
        memset(Text, c, n);
        DbgPrint("%.*s", (int)n, Text);
        Count -= n;
    }
}

/* Prints the line from From to its end (and Erase blanks after it), then puts the cursor back at e->Cursor. */
static void KdpRedrawTail(KD_EDIT *e, size_t From, size_t Erase)
{
    DbgPrint("%.*s", (int)(e->Length - From), e->Line + From);
    KdpRepeat(' ', Erase);
    KdpRepeat('\b', e->Length + Erase - e->Cursor);
}

/* Replaces the whole line with Text, cursor at its end. */
static void KdpReplaceLine(KD_EDIT *e, const char *Text)
{
    size_t Old = e->Length;
    KdpRepeat('\b', e->Cursor);
    e->Length = e->Cursor = 0;
    e->Length = strnlen(Text, e->Size - 1);
    memcpy(e->Line, Text, e->Length);
    e->Cursor = e->Length;
    KdpRedrawTail(e, 0, Old > e->Length ? Old - e->Length : 0);
}

static void KdpInsert(KD_EDIT *e, char c)
{
    if (e->Length + 1 >= e->Size) {
        e->TooLong = true;
        return;
    }
    memmove(e->Line + e->Cursor + 1, e->Line + e->Cursor, e->Length - e->Cursor);
    e->Line[e->Cursor] = c;
    e->Length++;
    e->Cursor++;
    KdpRedrawTail(e, e->Cursor - 1, 0);
}

/* Deletes the character at Index (the cursor's, or the one before it), redrawing from there. */
static void KdpDelete(KD_EDIT *e, size_t Index)
{
    if (Index >= e->Length)
        return;
    if (Index < e->Cursor) {
        DbgPrint("\b");
        e->Cursor--;
    }
    memmove(e->Line + Index, e->Line + Index + 1, e->Length - Index - 1);
    e->Length--;
    KdpRedrawTail(e, Index, 1);
}

/* The command names starting with the first Length characters of Prefix (case-insensitive); returns how many. */
static ULONG KdpMatchCommands(const char *Prefix, size_t Length, const KD_COMMAND **First, size_t *Common)
{
    ULONG Count = 0;
    *First = NULL;
    *Common = 0;
    for (const KD_COMMAND *c = __kd_command_start; c < __kd_command_end; c++) {
        if (strlen(c->Name) < Length || RtlCompareStringInsensitive(c->Name, Prefix, Length) != 0)
            continue;
        if (!*First) {
            *First = c;
            *Common = strlen(c->Name);
        } else {
            size_t i = 0;
            while (i < *Common && RtlUpperChar(c->Name[i]) == RtlUpperChar((*First)->Name[i]))
                i++;
            *Common = i;
        }
        Count++;
    }
    return Count;
}

/*
 * Tab: completes the first word if the cursor ends it. One match: the whole
 * name and a blank. Several: their longest common prefix; when that adds
 * nothing, the candidates are listed (Listed says the previous key listed them).
 */
static void KdpComplete(KD_EDIT *e, bool *Listed)
{
    size_t Start = 0, Common;
    const KD_COMMAND *First;

    while (Start < e->Cursor && e->Line[Start] == ' ')
        Start++;
    for (size_t i = Start; i < e->Cursor; i++) {
        if (e->Line[i] == ' ')
            return;                 /* past the command name: nothing to complete */
    }
    if (e->Cursor != e->Length)
        return;
    size_t Typed = e->Cursor - Start;
    ULONG Count = KdpMatchCommands(e->Line + Start, Typed, &First, &Common);
    if (Count == 0)
        return;
    if (Count == 1 || Common > Typed) {
        for (size_t i = Typed; i < Common; i++)
            KdpInsert(e, First->Name[i]);
        if (Count == 1)
            KdpInsert(e, ' ');
        return;
    }
    if (!*Listed) {
        *Listed = true;
        return;
    }
    DbgPrint("\n");
    for (const KD_COMMAND *c = __kd_command_start; c < __kd_command_end; c++) {
        if (strlen(c->Name) >= Typed && RtlCompareStringInsensitive(c->Name, e->Line + Start, Typed) == 0)
            DbgPrint("%s  ", c->Name);
    }
    DbgPrint("\n%s%.*s", e->Prompt, (int)e->Length, e->Line);
}

/* Reads the rest of an escape sequence (after ESC) and returns its final character, 0 if none applies. */
static char KdpReadEscape(PKD_READ_CHAR ReadChar, ULONG *Number)
{
    int c = ReadChar();
    *Number = 0;
    if (c != '[' && c != 'O')
        return 0;
    for (;;) {
        c = ReadChar();
        if (c >= '0' && c <= '9')
            *Number = *Number * 10 + (ULONG)(c - '0');
        else if (c == ';')
            continue;
        else
            return (c >= 0x40 && c <= 0x7E) ? (char)c : 0;
    }
}

/* The line being edited while the kernel was stopped: the running prompt's, waiting for a key (or NULL). */
static KD_EDIT *KdpEditing;

void KdpRedrawInterruptedLine(void)
{
    if (!KdpEditing)
        return;
    DbgPrint("%s%.*s", KdpEditing->Prompt, (int)KdpEditing->Length, KdpEditing->Line);
    KdpRepeat('\b', KdpEditing->Length - KdpEditing->Cursor);
}

static bool KdpEditLine(KD_EDIT *e, PKD_READ_CHAR ReadChar);

bool KdpReadLine(const char *Prompt, char *Line, size_t Size, PKD_READ_CHAR ReadChar)
{
    KD_EDIT e = { .Prompt = Prompt, .Line = Line, .Size = Size };
    KD_EDIT *Outer = KdpEditing;

    KdpEditing = &e;
    bool Run = KdpEditLine(&e, ReadChar);
    KdpEditing = Outer;
    return Run;
}

static bool KdpEditLine(KD_EDIT *Edit, PKD_READ_CHAR ReadChar)
{
    const char *Prompt = Edit->Prompt;
    char *Line = Edit->Line;
    size_t Size = Edit->Size;
    char Editing[KD_LINE_LENGTH];           /* the line being typed, while the history is shown */
    ULONG Back = 0;                         /* how far back in the history the line shown is */
    bool Listed = false;

    DbgPrint("%s", Prompt);
    for (;;) {
        if (KdpReportOverruns()) {
            DbgPrint("%s%.*s", Prompt, (int)Edit->Length, Line);     /* the line so far, to go on typing */
            KdpRepeat('\b', Edit->Length - Edit->Cursor);
        }
        int c = ReadChar();
        bool WasTab = c == KD_TAB;
        if (c == '\r' || c == '\n') {
            DbgPrint("%.*s\n", (int)(Edit->Length - Edit->Cursor), Line + Edit->Cursor);
            Line[Edit->Length] = '\0';
            if (Edit->TooLong) {
                DbgPrint("line too long: the prompt takes %u characters at most; nothing was run\n",
                         (ULONG)(Size - 1));
                return false;
            }
            KdpAddHistory(Line);
            return true;
        }
        if (c == KD_CTRL_C) {
            DbgPrint("^C\n");
            Line[0] = '\0';
            return false;
        }
        if (c == '\b' || c == 0x7F) {
            if (Edit->Cursor)
                KdpDelete(Edit, Edit->Cursor - 1);
        } else if (c == KD_CTRL_U) {
            KdpReplaceLine(Edit, "");
            Edit->TooLong = false;
        } else if (c == KD_TAB) {
            KdpComplete(Edit, &Listed);
        } else if (c == KD_ESCAPE) {
            ULONG Number;
            char Key = KdpReadEscape(ReadChar, &Number);
            ULONG Kept = MIN(KdpHistoryCount, KD_HISTORY_LINES);
            if (Key == 'A' && Back < Kept) {                /* up: one line further back */
                if (Back == 0) {
                    memcpy(Editing, Line, Edit->Length);
                    Editing[Edit->Length] = '\0';
                }
                Back++;
                KdpReplaceLine(Edit, KdpHistory[(KdpHistoryCount - Back) % KD_HISTORY_LINES]);
            } else if (Key == 'B' && Back > 0) {            /* down: back towards the line being typed */
                Back--;
                KdpReplaceLine(Edit, Back ? KdpHistory[(KdpHistoryCount - Back) % KD_HISTORY_LINES] : Editing);
            } else if (Key == 'C' && Edit->Cursor < Edit->Length) { /* right */
                DbgPrint("%c", Line[Edit->Cursor]);
                Edit->Cursor++;
            } else if (Key == 'D' && Edit->Cursor > 0) {        /* left */
                DbgPrint("\b");
                Edit->Cursor--;
            } else if (Key == 'H' || (Key == '~' && Number == 1)) {
                KdpRepeat('\b', Edit->Cursor);
                Edit->Cursor = 0;
            } else if (Key == 'F' || (Key == '~' && Number == 4)) {
                DbgPrint("%.*s", (int)(Edit->Length - Edit->Cursor), Line + Edit->Cursor);
                Edit->Cursor = Edit->Length;
            } else if (Key == '~' && Number == 3) {
                KdpDelete(Edit, Edit->Cursor);
            }
        } else if (c >= 0x20 && c < 0x7F) {
            KdpInsert(Edit, (char)c);
        }
        if (!WasTab)
            Listed = false;
    }
}
