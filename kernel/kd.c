/*
 * kernel/kd.c — the kd> prompt: a small kernel debugger on COM1.
 *
 * The prompt reads characters that the serial driver's receive interrupt
 * queued, edits the line (backspace erases, Ctrl-U clears), and on Enter
 * splits it into words and runs the command of that name from the .kdcmd
 * section. While it waits for input the processor halts until the next
 * interrupt. Commands are modelled on WinDbg's; this file holds the general
 * ones (help, k, ktest, bugcheck, reboot, quit); memory-manager extensions
 * register themselves in their own files.
 */
#include <drivers.h>
#include <hal.h>
#include <kd.h>
#include <ktest.h>
#include <rtl.h>
#include "ki.h"

#define KD_LINE_LENGTH 128

extern const KD_COMMAND __kd_command_start[], __kd_command_end[];

bool KdParseHex(const char *Text, ULONG *Value)
{
    const char *p = Text;
    ULONG Result = 0;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    if (!*p)
        return false;
    for (; *p; p++) {
        char c = *p;
        ULONG d;
        if (c == '`')
            continue;           /* WinDbg's 64-bit separator: 0xffff`ffff */
        if (c >= '0' && c <= '9') d = (ULONG)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (ULONG)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (ULONG)(c - 'A' + 10);
        else return false;
        if (Result >> 28)
            return false;
        Result = Result << 4 | d;
    }
    *Value = Result;
    return true;
}

void KdExecute(char *Line)
{
    char *Argv[KD_MAX_ARGS];
    int Argc = 0;
    char *p = Line;

    while (*p && Argc < KD_MAX_ARGS) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        Argv[Argc++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    if (Argc == 0)
        return;
    for (const KD_COMMAND *c = __kd_command_start; c < __kd_command_end; c++) {
        if (strcmp(c->Name, Argv[0]) == 0) {
            c->Routine(Argc, Argv);
            return;
        }
    }
    DbgPrint("%s: unknown command; `help` lists the commands\n", Argv[0]);
}

static int KdWaitForChar(void)
{
    for (;;) {
        HalDisableInterrupts();
        int c = SerialReadChar();
        if (c >= 0) {
            HalEnableInterrupts();
            return c;
        }
        __asm__ volatile("sti; hlt" ::: "memory");
    }
}

static void KdReadLine(char *Line, size_t Size)
{
    size_t n = 0;
    for (;;) {
        int c = KdWaitForChar();
        if (c == '\r' || c == '\n') {
            DbgPrint("\n");
            Line[n] = '\0';
            return;
        }
        if (c == '\b' || c == 0x7F) {
            if (n) {
                n--;
                DbgPrint("\b \b");
            }
        } else if (c == 0x15) {             /* Ctrl-U */
            while (n) {
                n--;
                DbgPrint("\b \b");
            }
        } else if (c >= 0x20 && c < 0x7F && n + 1 < Size) {
            Line[n++] = (char)c;
            DbgPrint("%c", c);
        }
    }
}

NORETURN void KdRunPrompt(void)
{
    char Line[KD_LINE_LENGTH];

    SerialEnableReceiveInterrupt();
    DbgPrint("\nType `help` for the commands.\n");
    for (;;) {
        DbgPrint("kd> ");
        KdReadLine(Line, sizeof(Line));
        KdExecute(Line);
    }
}

KD_COMMAND(help, "help", "", "list the commands")
{
    DbgPrint("Commands:\n");
    for (const KD_COMMAND *c = __kd_command_start; c < __kd_command_end; c++) {
        char Head[40];
        snprintf(Head, sizeof(Head), "%s %s", c->Name, c->Usage);
        DbgPrint("  %-28s %s\n", Head, c->Help);
    }
}

KD_COMMAND(k, "k", "", "backtrace of the current thread")
{
    KeDumpBacktrace((ULONG)__builtin_return_address(0), (ULONG)__builtin_frame_address(0), 24);
}

KD_COMMAND(ktest, "ktest", "[GLOB]", "run the self-tests (all, or those matching GLOB)")
{
    ULONG Failed = KtestRun(Argc > 1 ? Argv[1] : "");
    DbgPrint("%u test(s) failed\n", Failed);
}

KD_COMMAND(bugcheck, "bugcheck", "CODE [P1 P2 P3 P4]", "crash the machine with a bugcheck code (hex)")
{
    ULONG Values[5] = { MANUALLY_INITIATED_CRASH, 0, 0, 0, 0 };
    for (int i = 1; i < Argc && i <= 5; i++) {
        if (!KdParseHex(Argv[i], &Values[i - 1])) {
            DbgPrint("bugcheck: '%s' is not a hex number\n", Argv[i]);
            return;
        }
    }
    KeBugCheckEx(Values[0], Values[1], Values[2], Values[3], Values[4]);
}

KD_COMMAND(reboot, "reboot", "", "restart the machine")
{
    DbgPrint("Rebooting...\n");
    HalReboot();
}

KD_COMMAND(quit, "quit", "", "leave QEMU (isa-debug-exit)")
{
    DbgPrint("Bye.\n");
    HalQemuExit(KTEST_EXIT_SUCCESS);
}
