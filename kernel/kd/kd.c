/*
 * kernel/kd/kd.c — the kd> prompt: a small kernel debugger on COM1.
 *
 * The prompt reads characters that the serial driver's receive interrupt
 * queued, edits the line (backspace erases, Ctrl-U clears, Ctrl-C cancels),
 * and on Enter splits it into words and runs the command of that name from
 * the .kdcmd section; the command reads its arguments with the helpers of
 * kernel/kd/args.c, which report every mistake. A line longer than the
 * prompt holds is refused whole rather than run cut, and input the UART lost
 * (an overrun) is reported where it happened. The prompt is a thread (the
 * system's phase-1 thread, once startup is done): while it waits for input
 * it waits on the serial driver's event, and other threads run. Commands are modelled on
 * WinDbg's; this file holds the general ones (help, k, lm, db, dd, ktest,
 * bugcheck, reboot, quit); memory-manager extensions (!pte, !pfn ...)
 * register themselves in mm/kdexts.c and mm/kdpool.c, the thread views
 * (!thread, !ready) in kernel/kd/kdthread.c.
 *
 * db and dd never fault: before reading a page they ask MmIsAddressValid
 * whether a valid PTE maps it, and stop with a message at the first page
 * that is not mapped, where WinDbg would print question marks.
 */
#include <drivers.h>
#include <hal.h>
#include <kd.h>
#include <ktest.h>
#include <layout.h>
#include <loader.h>
#include <mm.h>
#include <rtl.h>
#include "kernel/ke/ki.h"
#include "kdp.h"

#define KD_LINE_LENGTH 128
_Static_assert(KD_MAX_ARGS >= KD_LINE_LENGTH / 2, "a typed line's every word must fit in Argv");
#define KD_DUMP_MAX_BYTES 0x10000   /* one db/dd prints at most 64 KB */

extern const KD_COMMAND __kd_command_start[], __kd_command_end[];
extern const char __kernel_start[], __kernel_end[];

void KdExecute(char *Line)
{
    char *Argv[KD_MAX_ARGS];
    int Argc = 0;
    char *p = Line, *Extra = NULL;

    for (;;) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        if (Argc == KD_MAX_ARGS) {
            Extra = p;
            break;
        }
        Argv[Argc++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    if (Argc == 0)
        return;
    for (const KD_COMMAND *c = __kd_command_start; c < __kd_command_end; c++) {
        if (strcmp(c->Name, Argv[0]) == 0) {
            KdpCurrentCommand = c;
            if (Extra) {
                DbgPrint("%s: too many arguments: a command takes %d at most ('%s' is one too many)\n",
                         c->Name, KD_MAX_ARGS - 1, Extra);
                KdPrintUsage(c->Usage);
            } else {
                c->Routine(Argc, Argv);
            }
            KdpCurrentCommand = NULL;
            return;
        }
    }
    DbgPrint("%s: unknown command; `help` lists the commands\n", Argv[0]);
}

/* The next character typed: the prompt's thread waits for it, and other threads run meanwhile. */
static int KdWaitForChar(void)
{
    for (;;) {
        int c = SerialReadChar();
        if (c >= 0)
            return c;
        SerialWaitForInput();
    }
}

#define KD_CTRL_C   0x03
#define KD_CTRL_U   0x15

static ULONG KdOverrunsReported;

/* Reports the UART's overruns not yet reported (input lost before the kernel saw it); true if there were any. */
static bool KdReportOverruns(void)
{
    ULONG Overruns = SerialOverruns();
    if (Overruns == KdOverrunsReported)
        return false;
    DbgPrint("\n[COM1: %u receive overrun(s): input was lost before the kernel saw it; "
             "check the line before running it]\n", Overruns - KdOverrunsReported);
    KdOverrunsReported = Overruns;
    return true;
}

/*
 * Reads one line into Line. Returns false when there is nothing to run: the
 * line was cancelled (Ctrl-C) or was longer than Size - 1 characters, which
 * it says (the rest of such a line is read and thrown away, never run as a
 * command of its own).
 */
static bool KdReadLine(char *Line, size_t Size)
{
    size_t n = 0;
    bool TooLong = false;

    for (;;) {
        if (KdReportOverruns())
            DbgPrint("kd> %.*s", (int)n, Line);     /* the line so far, to go on typing */
        int c = KdWaitForChar();
        if (c == '\r' || c == '\n') {
            DbgPrint("\n");
            Line[n] = '\0';
            if (TooLong)
                DbgPrint("line too long: the prompt takes %u characters at most; nothing was run\n",
                         (ULONG)(Size - 1));
            return !TooLong;
        }
        if (c == KD_CTRL_C) {
            DbgPrint("^C\n");
            Line[0] = '\0';
            return false;
        }
        if (c == '\b' || c == 0x7F) {
            if (n) {
                n--;
                DbgPrint("\b \b");
            }
        } else if (c == KD_CTRL_U) {
            while (n) {
                n--;
                DbgPrint("\b \b");
            }
        } else if (c >= 0x20 && c < 0x7F) {
            if (n + 1 < Size) {
                Line[n++] = (char)c;
                DbgPrint("%c", c);
            } else {
                TooLong = true;
            }
        }
    }
}

NORETURN void KdRunPrompt(void)
{
    char Line[KD_LINE_LENGTH];

    SerialEnableReceiveInterrupt();
    DbgPrint("\nType `help` for the commands.\n");
    for (;;) {
        KdReportOverruns();
        DbgPrint("kd> ");
        if (KdReadLine(Line, sizeof(Line)))
            KdExecute(Line);
    }
}

KD_COMMAND(help, "help", "", "list the commands")
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 0))
        return;
    DbgPrint("Commands:\n");
    for (const KD_COMMAND *c = __kd_command_start; c < __kd_command_end; c++) {
        char Head[96];
        snprintf(Head, sizeof(Head), "%s %s", c->Name, c->Usage);
        if (strlen(Head) > 28)
            DbgPrint("  %s\n  %-28s %s\n", Head, "", c->Help);
        else
            DbgPrint("  %-28s %s\n", Head, c->Help);
    }
}

KD_COMMAND(k, "k", "[THREAD]", "backtrace of the current thread (or of THREAD), and the stack it runs on")
{
    KE_STACK_INFO Stack;
    ULONG Esp = (ULONG)__builtin_frame_address(0);
    ULONG Thread = (ULONG)KeGetCurrentThread();

    if (!KdCheckArgumentCount(Argc, Argv, 0, 1) || (Argc == 2 && !KdParseAddress(Argv[1], "THREAD", &Thread)))
        return;
    if (Thread != (ULONG)KeGetCurrentThread()) {
        if (!MmIsAddressValid((PVOID)Thread) || ((PKTHREAD)Thread)->Header.Type != ThreadObject) {
            DbgPrint("k: %08x is not a thread\n", Thread);
            return;
        }
        Esp = (ULONG)((PKTHREAD)Thread)->KernelStack;
    }
    if (KeIdentifyStack(Esp, &Stack))
        DbgPrint("Stack: %s, %08x..%08x (guard page %08x)\n", Stack.Name, Stack.Limit, Stack.Base - 1,
                 Stack.Limit - PAGE_SIZE);
    KdBacktraceThread((PVOID)Thread);
}

KD_COMMAND(lm, "lm", "", "the kernel image and the boot modules, with their ranges")
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 0))
        return;
    DbgPrint("start    end        module     name\n");
    DbgPrint("%08x %08x   %-10s %s (kernel image, physical %08x)\n",
             (ULONG)__kernel_start, (ULONG)__kernel_end, "mm386",
             KeLoaderBlock.ImageName[0] ? KeLoaderBlock.ImageName : "-",
             (ULONG)__kernel_start - KERNEL_VA_OFFSET);
    for (ULONG i = 0; i < KeLoaderBlock.ModuleCount; i++) {
        const LOADER_MODULE *m = &KeLoaderBlock.Modules[i];
        char Module[16];
        snprintf(Module, sizeof(Module), "module%u", i);
        if (m->VirtualBase)
            DbgPrint("%08x %08x   %-10s %s (boot module, physical %08x..%08x)\n",
                     (ULONG)m->VirtualBase, (ULONG)m->VirtualBase + (m->PhysicalEnd - m->PhysicalStart),
                     Module, m->Name, m->PhysicalStart, m->PhysicalEnd);
        else
            DbgPrint("-------- --------   %-10s %s (boot module, physical %08x..%08x, not mapped)\n",
                     Module, m->Name, m->PhysicalStart, m->PhysicalEnd);
    }
}

/* True if every byte of [Address, Address + Length) is mapped; *CheckedPage caches the last page found valid. */
static bool KdRangeMapped(ULONG Address, ULONG Length, ULONG *CheckedPage)
{
    for (ULONG Page = ROUND_DOWN(Address, PAGE_SIZE); ; Page += PAGE_SIZE) {
        if (Page != *CheckedPage) {
            if (!MmIsAddressValid((PVOID)Page))
                return false;
            *CheckedPage = Page;
        }
        if (Page >= ROUND_DOWN(Address + Length - 1, PAGE_SIZE))
            return true;
    }
}

static void KdPrintRow(ULONG Address, ULONG Elements, ULONG Width)
{
    char Text[96];
    size_t n = (size_t)snprintf(Text, sizeof(Text), "%08x ", Address);
    const volatile UCHAR *Bytes = (const volatile UCHAR *)Address;

    for (ULONG i = 0; i < 16 / Width; i++) {
        if (i >= Elements && Width != 1)
            break;                  /* dd: a short row just ends */
        if (i >= Elements)
            n += (size_t)snprintf(Text + n, sizeof(Text) - n, "   ");
        else if (Width == 1)
            n += (size_t)snprintf(Text + n, sizeof(Text) - n, "%c%02x", i == 8 ? '-' : ' ', Bytes[i]);
        else
            n += (size_t)snprintf(Text + n, sizeof(Text) - n, " %08x", ((const volatile ULONG *)Bytes)[i]);
    }
    if (Width == 1) {
        n += (size_t)snprintf(Text + n, sizeof(Text) - n, "  ");
        for (ULONG i = 0; i < Elements; i++)
            Text[n++] = (Bytes[i] >= 0x20 && Bytes[i] < 0x7F) ? (char)Bytes[i] : '.';
        Text[n] = '\0';
    }
    DbgPrint("%s\n", Text);
}

/*
 * db/dd: Count elements of Width bytes from Address, 16 bytes a row. Each
 * element's page is checked before it is read; the dump stops, saying so,
 * at the first one that no valid PTE maps.
 */
static void KdDumpMemory(int Argc, char **Argv, ULONG Width, ULONG DefaultCount)
{
    ULONG Address, Count = DefaultCount;
    ULONG CheckedPage = 1;          /* no page checked yet: 1 is never a page address */

    if (!KdCheckArgumentCount(Argc, Argv, 1, 2) || !KdParseAddress(Argv[1], "ADDRESS", &Address))
        return;
    if (Argc > 2) {
        /* WinDbg's length prefix: L10 is 0x10 elements. */
        bool Prefixed = Argv[2][0] == 'L' || Argv[2][0] == 'l';
        if (!KdParseNumber(Prefixed ? Argv[2] + 1 : Argv[2], Prefixed ? "COUNT after L" : "COUNT", &Count))
            return;
        if (Count == 0 || Count > KD_DUMP_MAX_BYTES / Width) {
            DbgPrint("%s: COUNT must be 1..%x (hex)\n", Argv[0], KD_DUMP_MAX_BYTES / Width);
            return;
        }
    }
    if (Address + (Count * Width - 1) < Address) {
        DbgPrint("%s: %x elements from %08x run past 4 GB\n", Argv[0], Count, Address);
        return;
    }
    for (ULONG Done = 0; Done < Count; ) {
        ULONG Row = Address + Done * Width;
        ULONG Wanted = MIN(16 / Width, Count - Done), Readable = 0;
        while (Readable < Wanted && KdRangeMapped(Row + Readable * Width, Width, &CheckedPage))
            Readable++;
        if (Readable)
            KdPrintRow(Row, Readable, Width);
        if (Readable < Wanted) {
            ULONG Where = Row + Readable * Width;
            DbgPrint("%08x  not mapped: no valid PTE maps this page (`!pte %x` shows why); dump stopped\n",
                     Where, Where);
            return;
        }
        Done += Readable;
    }
}

KD_COMMAND(db, "db", "ADDRESS [COUNT]", "dump bytes (COUNT hex, default 80); unmapped pages are reported, never read")
{
    KdDumpMemory(Argc, Argv, 1, 0x80);
}

KD_COMMAND(dd, "dd", "ADDRESS [COUNT]", "dump 32-bit words (COUNT hex, default 20)")
{
    KdDumpMemory(Argc, Argv, 4, 0x20);
}

KD_COMMAND(ktest, "ktest", "[GLOB]", "run the self-tests (all, or those matching GLOB)")
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 1))
        return;
    ULONG Failed = KtestRun(Argc > 1 ? Argv[1] : "");
    DbgPrint("%u test(s) failed\n", Failed);
}

KD_COMMAND(bugcheck, "bugcheck", "CODE [P1 P2 P3 P4]",
           "crash the machine with a bugcheck code (hex; e2 is MANUALLY_INITIATED_CRASH)")
{
    static const char *const Names[5] = { "CODE", "P1", "P2", "P3", "P4" };
    ULONG Values[5] = { 0 };

    if (!KdCheckArgumentCount(Argc, Argv, 1, 5))
        return;
    for (int i = 1; i < Argc; i++) {
        if (!KdParseNumber(Argv[i], Names[i - 1], &Values[i - 1]))
            return;
    }
    KeBugCheckEx(Values[0], Values[1], Values[2], Values[3], Values[4]);
}

KD_COMMAND(reboot, "reboot", "", "restart the machine")
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 0))
        return;
    DbgPrint("Rebooting...\n");
    HalReboot();
}

KD_COMMAND(quit, "quit", "", "leave QEMU (isa-debug-exit)")
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 0))
        return;
    DbgPrint("Bye.\n");
    HalQemuExit(KTEST_EXIT_SUCCESS);
}
