/*
 * kernel/kd/kd.c — the kd> prompt: a small kernel debugger on COM1.
 *
 * The prompt reads a line (kernel/kd/kdline.c: editing, history, Tab
 * completion), splits it into words and runs the command of that name from
 * the .kdcmd section, whatever the case it was typed in; the command reads
 * its arguments with the helpers of kernel/kd/args.c, which report every
 * mistake. The prompt runs in two ways. While the kernel runs it is a
 * thread (the system's phase-1 thread, once startup is done) that waits on
 * the serial driver's event for input, so other threads run meanwhile.
 * When a breakpoint, a step or a bugcheck stops the kernel (kernel/kd/
 * kdtrap.c) the same prompt runs with interrupts off and polls COM1; a
 * command that acts on the kernel (KD_RUNNING_ONLY: pool alloc, ktest ...)
 * is refused there, and one that needs a stopped context (g, t, p, r) is
 * refused at the running prompt. Commands are modelled on WinDbg's; this
 * file holds the general ones (help, k, lm, ktest, bugcheck,
 * reboot, quit); breakpoints and stepping are in kdbreak.c and kdtrap.c,
 * memory dumps and edits (db, dd, eb, ed, !db, !dd) in kdmem.c, symbols
 * (x, ln) in symbols.c, memory-manager extensions (!pte, !pfn ...) in
 * mm/kdexts.c and mm/kdpool.c, the thread views in kdthread.c.
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

_Static_assert(KD_MAX_ARGS >= KD_LINE_LENGTH / 2, "a typed line's every word must fit in Argv");

extern const char __kernel_start[], __kernel_end[];

/* The command named Name, in any case (WinDbg's commands are case-insensitive), or NULL. */
static const KD_COMMAND *KdpFindCommand(const char *Name)
{
    size_t Length = strlen(Name);
    for (const KD_COMMAND *c = __kd_command_start; c < __kd_command_end; c++) {
        if (strlen(c->Name) == Length && RtlCompareStringInsensitive(c->Name, Name, Length) == 0)
            return c;
    }
    return NULL;
}

/* Whether c may run now; if not, says why, and how to use it when it can. */
static bool KdpMayRun(const KD_COMMAND *c)
{
    if ((c->Flags & KD_RUNNING_ONLY) && KdIsStopped())
        DbgPrint("%s: the kernel is stopped, and %s acts on it (it may allocate, wait or run threads); "
                 "g lets the kernel go on, then the running prompt takes it\n", c->Name, c->Name);
    else if ((c->Flags & KD_STOPPED_ONLY) && !KdIsStopped())
        DbgPrint("%s: the kernel is running; %s works on a stopped kernel (bp sets a breakpoint to stop it at)\n",
                 c->Name, c->Name);
    else
        return true;
    KdPrintUsage(c->Usage);
    return false;
}

/*
 * How deep KdExecute is: 0 for a line typed at the prompt, more for one a
 * command runs (with, !analyze). One count per prompt: the stopped prompt
 * can open in the middle of a command of the running one (a breakpoint).
 */
static ULONG KdpExecuteDepth[2];

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
    const KD_COMMAND *c = KdpFindCommand(Argv[0]);
    if (!c) {
        DbgPrint("%s: unknown command; `help` lists the commands\n", Argv[0]);
        return;
    }
    KdpCurrentCommand = c;
    if (Extra) {
        DbgPrint("%s: too many arguments: a command takes %d at most ('%s' is one too many)\n",
                 c->Name, KD_MAX_ARGS - 1, Extra);
        KdPrintUsage(c->Usage);
    } else if (KdpMayRun(c)) {
        /* A command typed at the prompt that only looks reads `.process`'s process (kdprocess.c). */
        ULONG *Depth = &KdpExecuteDepth[KdIsStopped()];
        bool InContext = *Depth == 0 && !(c->Flags & KD_RUNNING_ONLY) && KdpEnterProcessContext();
        ++*Depth;
        c->Routine(Argc, Argv);
        --*Depth;
        if (InContext)
            KdpLeaveProcessContext();
    }
    KdpCurrentCommand = NULL;
}

void KdpAbandonCommand(void)
{
    KdpLeaveProcessContext();
    KdpExecuteDepth[true] = 0;
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

NORETURN void KdRunPrompt(void)
{
    char Line[KD_LINE_LENGTH];

    SerialEnableReceiveInterrupt();
    DbgPrint("\nType `help` for the commands.\n");
    for (;;) {
        KdpReportOverruns();
        if (KdpReadLine("kd> ", Line, sizeof(Line), KdWaitForChar))
            KdExecute(Line);
    }
}

static const char *KdpWhereItRuns(const KD_COMMAND *c)
{
    return (c->Flags & KD_RUNNING_ONLY) ? " (running kernel only)"
           : (c->Flags & KD_STOPPED_ONLY) ? " (stopped kernel only)" : "";
}

KD_COMMAND(help, "help", "[COMMAND]", "list the commands, or say what one takes and does")
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 1))
        return;
    if (Argc == 2) {
        const KD_COMMAND *c = KdpFindCommand(Argv[1]);
        if (!c) {
            DbgPrint("help: '%s' is not a command; `help` lists them\n", Argv[1]);
            return;
        }
        DbgPrint("usage: %s%s%s\n  %s%s\n", c->Name, c->Usage[0] ? " " : "", c->Usage, c->Help, KdpWhereItRuns(c));
        return;
    }
    DbgPrint("Commands (any case; Tab completes a name, the arrow keys recall lines; `help NAME` for one):\n");
    for (const KD_COMMAND *c = __kd_command_start; c < __kd_command_end; c++) {
        char Head[96];
        snprintf(Head, sizeof(Head), "%s %s", c->Name, c->Usage);
        if (strlen(Head) > 28)
            DbgPrint("  %s\n  %-28s %s%s\n", Head, "", c->Help, KdpWhereItRuns(c));
        else
            DbgPrint("  %-28s %s%s\n", Head, c->Help, KdpWhereItRuns(c));
    }
}

KD_COMMAND(k, "k", "[THREAD]", "backtrace of the current (or stopped) thread, or of THREAD, and the stack it runs on")
{
    KE_STACK_INFO Stack;
    ULONG Esp = (ULONG)__builtin_frame_address(0);
    ULONG Thread = (ULONG)KeGetCurrentThread();

    if (!KdCheckArgumentCount(Argc, Argv, 0, 1) || (Argc == 2 && !KdParseAddress(Argv[1], "THREAD", &Thread)))
        return;
    if (KdIsStopped())
        Esp = KiTrapFrameEsp(KdpStop.TrapFrame);     /* the stopped code's stack, not the prompt's own */
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

KD_COMMAND_FLAGS(ktest, "ktest", "[-l] [GLOB] | -d SUITE.NAME",
                 "run the self-tests (all, or suite.name matching GLOB); -l lists them instead (death tests too); "
                 "-d runs one death test here, its bugcheck stopping at kd> for !analyze",
                 KD_RUNNING_ONLY)
{
    bool List = Argc >= 2 && strcmp(Argv[1], "-l") == 0;
    int First = List ? 2 : 1;

    if (Argc >= 2 && strcmp(Argv[1], "-d") == 0) {
        if (KdCheckArgumentCount(Argc - 1, Argv + 1, 1, 1))
            KtestRunDeathTestAtPrompt(Argv[2]);
        return;
    }
    if (Argc >= 2 && Argv[1][0] == '-' && !List) {
        DbgPrint("ktest: unexpected option '%s' (the options are -l and -d)\n", Argv[1]);
        return;
    }
    if (!KdCheckArgumentCount(Argc - (First - 1), Argv + (First - 1), 0, 1))
        return;
    const char *Glob = Argc > First ? Argv[First] : "";
    if (List) {
        KtestList(Glob);
        return;
    }
    ULONG Failed = KtestRun(Glob);
    DbgPrint("%u test(s) failed\n", Failed);
}

KD_COMMAND_FLAGS(bugcheck, "bugcheck", "CODE [P1 P2 P3 P4]",
                 "crash the machine with a bugcheck code (hex; e2 is MANUALLY_INITIATED_CRASH)", KD_RUNNING_ONLY)
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
