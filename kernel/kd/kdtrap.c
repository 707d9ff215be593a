/*
 * kernel/kd/kdtrap.c — stopping the kernel where it is, and letting it go.
 *
 * NT's kernel debugger takes the processor when a breakpoint, a single step
 * or a bugcheck traps into it (KiDebugRoutine): interrupts stay off, the
 * rest of the system is frozen mid-instruction, and the debugger talks to
 * its serial line by polling. mm386 does the same. kernel/ke/trap.c hands
 * #BP and #DB to KdpTrap; when the trap is the debugger's — an int3 it
 * planted (kdbreak.c), the single step it asked for with EFLAGS.TF, a debug
 * register that fired — the kernel stops: the trap frame becomes the stopped
 * context, and the kd> prompt runs on a stack of its own (the stopped code's
 * stack may be nearly full), reading COM1 by polling. `g` returns from the
 * trap, `t` returns with TF set so the next instruction traps again, `p`
 * plants a breakpoint after a call and goes.
 *
 * While stopped, the prompt must not depend on anything the stopped code
 * may hold. So:
 *   - interrupts stay off, nothing is waited for, and the IRQL is set to
 *     DISPATCH_LEVEL with the pending software interrupts put aside, so no
 *     DPC runs and no thread switch can happen, whatever a command does;
 *   - the stopped code's fault catchers are put aside: a command runs under
 *     a catcher of its own, and a bugcheck a command raises (a spin lock the
 *     stopped code holds, a wait at DISPATCH_LEVEL, a fault) ends that
 *     command with a message instead of the machine (KdBugCheckDuringCommand);
 *   - no int3 is left in memory and the debug registers are off, so the
 *     debugger's own code never traps into itself, and db shows the
 *     original bytes;
 *   - commands that act on the kernel (pool alloc, ktest ...) are refused.
 * Leaving undoes all of it in reverse, and puts every breakpoint back — but
 * the one at the instruction about to run, which is first stepped over
 * (TF) and put back by the single-step trap, whichever thread makes it.
 *
 * A breakpoint may hit in any thread. p's breakpoint after a call belongs to
 * the thread that asked (and to its stack depth): another thread passing
 * there steps over it silently, so stepping over a call that waits or
 * switches threads does not stop in the wrong thread, and does not hang —
 * the step ends when the thread gets back. A bugcheck in an interactive
 * boot stops here too, for good: !analyze -v explains it (kdanalyze.c),
 * reboot or quit ends it. Test boots (ktest, /BENCH) never enable the
 * debugger: their bugchecks stop the machine at once, as before.
 */
#include <drivers.h>
#include <hal.h>
#include <kd.h>
#include <loader.h>
#include <mm.h>
#include <rtl.h>
#include "kernel/ke/ki.h"
#include "kdp.h"

BOOLEAN KdDebuggerEnabled;
KD_STOP_STATE KdpStop;

static volatile bool KdpStopped;
static KD_RESUME KdpResume;
static ULONG KdpSavedIrr;
static PKFAULT_CATCHER KdpSavedExceptionList;
static bool KdpStepping;                    /* t or p asked for one instruction */
static ULONG KdpReinsert;                   /* breakpoints stepped over: back in at the single-step trap */
static ULONG KdpStepsIssued;                /* TF was ever set by the debugger */
static KTRAP_FRAME KdpBugCheckFrame;

/* The stopped prompt's own stack: 16 KB, in the image's bss (nonpaged, always mapped). */
#define KD_STACK_SIZE 0x4000
static UCHAR KdpStack[KD_STACK_SIZE] __attribute__((aligned(16)));

/* The stopped prompt's command, and how it ended if it did not return. */
static KFAULT_CATCHER KdpCommandCatcher;
static volatile bool KdpCommandRunning;
static bool KdpCommandBugChecked;
static ULONG KdpCommandBugCheckCode;
static ULONG_PTR KdpCommandParameters[4];

static bool KdpTrap(PKTRAP_FRAME TrapFrame);

void KdInitSystem(void)
{
    KdDebuggerEnabled = !KeBootOptions.KTest && !KeBootOptions.Bench;
    KiDebugRoutine = KdpTrap;
}

bool KdIsStopped(void)
{
    return KdpStopped;
}

bool KdpReadMemory(ULONG Address, PVOID Buffer, ULONG Length)
{
    bool Enabled = HalSaveAndDisableInterrupts(), Ok = Length == 0 || Address + (Length - 1) >= Address;
    for (ULONG i = 0; i < Length && Ok; i++)
        Ok = NT_SUCCESS(MmDbgCopyMemory(Address + i, (PUCHAR)Buffer + i, 1, MMDBG_COPY_UNSAFE));
    HalRestoreInterrupts(Enabled);
    return Ok;
}

bool KdpWriteMemory(ULONG Address, const void *Buffer, ULONG Length)
{
    if (Length == 0)
        return true;
    if (Address + (Length - 1) < Address)
        return false;
    for (ULONG Page = ROUND_DOWN(Address, PAGE_SIZE); ; Page += PAGE_SIZE) {
        if (!MmIsAddressValid((PVOID)Page))
            return false;           /* checked first: an edit is written whole or not at all */
        if (Page >= ROUND_DOWN(Address + Length - 1, PAGE_SIZE))
            break;
    }
    bool Enabled = HalSaveAndDisableInterrupts(), Ok = true;
    for (ULONG i = 0; i < Length && Ok; i++)
        Ok = NT_SUCCESS(MmDbgCopyMemory(Address + i, (PUCHAR)Buffer + i, 1, MMDBG_COPY_WRITE | MMDBG_COPY_UNSAFE));
    HalRestoreInterrupts(Enabled);
    return Ok;
}

/*
 * Set by t and p: the stop is expected back at once (or, for p over a wait,
 * when the wait ends), so the running prompt's line is not drawn again in
 * between — a key typed after that drawing would land in the running
 * kernel's input instead of the stopped prompt's.
 */
static bool KdpStepResume;

void KdpRequestResume(KD_RESUME How)
{
    KdpResume = How;
}

/*
 * The next character from COM1, polled: interrupts are off while the kernel
 * is stopped. Straight from the UART, as NT's debugger owns its port: the
 * serial driver's ring belongs to the stopped code, which may have read one
 * of its indices and not yet the other (the running prompt stopped in
 * SerialWaitForInput, say) — bytes put there and taken out again behind
 * its back would look like input to it.
 */
static int KdpPollChar(void)
{
    for (;;) {
        int c = SerialReadPolled();
        if (c >= 0)
            return c;
        HalPause();
    }
}

/*
 * Runs one command at the stopped prompt under a catcher: a fault it takes,
 * or a bugcheck it raises (KdBugCheckDuringCommand), ends the command and
 * is reported; the stopped kernel is as it was (but for a spin lock the
 * command took and could not give back, which is said).
 */
static void KdpExecuteStopped(char *Line)
{
    PKTHREAD Thread = KeGetCurrentThread();
    volatile ULONG Locks = Thread ? Thread->SpinLocksHeld : 0;

    KdpCommandBugChecked = false;
    if (KeTryFault(&KdpCommandCatcher)) {
        KdpCommandRunning = true;
        KdExecute(Line);
        KdpCommandRunning = false;
        KePopFaultCatcher(&KdpCommandCatcher);
        return;
    }
    KdpCommandRunning = false;
    KdpCurrentCommand = NULL;
    KdpAbandonCommand();
    KeGetPcr()->Irql = DISPATCH_LEVEL;
    if (KdpCommandBugChecked)
        DbgPrint("\n*** the command stopped with bugcheck 0x%08X (%s) (0x%08X,0x%08X,0x%08X,0x%08X):\n"
                 "*** it was abandoned; the stopped kernel is as it was\n", KdpCommandBugCheckCode,
                 KiBugCheckName(KdpCommandBugCheckCode), KdpCommandParameters[0], KdpCommandParameters[1],
                 KdpCommandParameters[2], KdpCommandParameters[3]);
    else
        DbgPrint("\n*** the command faulted (trap %u, error %x, at %08x, address %08x) and was abandoned\n",
                 KdpCommandCatcher.Vector, KdpCommandCatcher.ErrorCode, KdpCommandCatcher.FaultEip,
                 KdpCommandCatcher.FaultAddress);
    if (Thread && Thread->SpinLocksHeld != Locks)
        DbgPrint("*** it still holds %d spin lock(s) it took: going on (g) will likely stop with "
                 "SPIN_LOCK_ALREADY_OWNED\n", (int)(Thread->SpinLocksHeld - Locks));
}

void KdBugCheckDuringCommand(ULONG Code, const ULONG_PTR Parameters[4])
{
    if (!KdpCommandRunning)
        return;
    KdpCommandRunning = false;
    KdpCommandBugChecked = true;
    KdpCommandBugCheckCode = Code;
    memcpy(KdpCommandParameters, Parameters, sizeof(KdpCommandParameters));
    KeGetPcr()->ExceptionList = KdpCommandCatcher.Previous;
    KiResumeFaultContext(&KdpCommandCatcher);
}

static const char *KdpReasonText(void)
{
    switch (KdpStop.Reason) {
    case KdStopBreakpoint: return "breakpoint";
    case KdStopStep: return "step";
    case KdStopDataBreakpoint: return "data breakpoint";
    default: return "bugcheck";
    }
}

/* What the prompt says when the kernel stops: why, where, in which thread. */
static void KdpPrintStop(void)
{
    PKTHREAD Thread = KeGetCurrentThread();

    if (KdpStop.Reason == KdStopBugCheck) {
        DbgPrint("\n*** The kernel debugger has the machine: it stopped at bugcheck 0x%08X (%s).\n"
                 "*** !analyze -v says what happened; r, k, db, !pte, !pool ... look around.\n"
                 "*** It cannot go on: reboot restarts it, quit leaves QEMU.\n",
                 KdpStop.BugCheckCode, KiBugCheckName(KdpStop.BugCheckCode));
        return;
    }
    if (KdpStop.Reason == KdStopBreakpoint)
        DbgPrint("Breakpoint %u hit\n", KdpStop.Breakpoint);
    if (KdpStop.Reason == KdStopDataBreakpoint) {
        DbgPrint("Breakpoint %u hit: ", KdpStop.Breakpoint);
        KdpDescribeDataBreakpoint(KdpBreakpointByNumber(KdpStop.Breakpoint));
    }
    DbgPrint("(stopped: %s in thread %08x at IRQL %u; g goes on, t steps, p steps over)\n", KdpReasonText(),
             (ULONG)Thread, KdpStop.Irql);
    KdpPrintRegisters(KdpStop.TrapFrame);
}

static ULONG KdpStoppedPrompt(PVOID Context)
{
    char Line[KD_LINE_LENGTH];

    KdpPrintStop();
    KdpResume = KdResumeNone;
    while (KdpResume == KdResumeNone) {
        if (KdpReadLine("kd> ", Line, sizeof(Line), KdpPollChar))
            KdpExecuteStopped(Line);
    }
    return 0;
}

/* Puts the stopped code's state aside: IRQL, software interrupts, catchers, breakpoints, debug registers. */
static void KdpSuspendKernel(void)
{
    volatile __seg_fs KPCR *Pcr = KeGetPcr();

    KdpStop.Irql = Pcr->Irql;
    KdpSavedIrr = Pcr->IRR;
    Pcr->IRR = 0;
    if (KdpStop.Irql > DISPATCH_LEVEL)
        KeLowerIrql(DISPATCH_LEVEL);    /* reprograms the PIC mask; interrupts stay off all the same */
    else
        Pcr->Irql = DISPATCH_LEVEL;
    KdpSavedExceptionList = Pcr->ExceptionList;
    Pcr->ExceptionList = NULL;
    KdpRemoveBreakpoints();
    KdpClearStepOverBreakpoint();
    KdpStepping = false;
}

/* The reverse, on the way out: the breakpoints go back, the one at Eip stepped over first. */
static void KdpResumeKernel(PKTRAP_FRAME TrapFrame)
{
    volatile __seg_fs KPCR *Pcr = KeGetPcr();

    KdpReinsert = KdpInsertBreakpoints(TrapFrame->Eip);
    if (KdpReinsert)
        TrapFrame->EFlags |= EFLAGS_TF;
    if (KdpResume == KdResumeStep) {
        KdpStepping = true;
        TrapFrame->EFlags |= EFLAGS_TF;
    }
    if (TrapFrame->EFlags & EFLAGS_TF)
        KdpStepsIssued++;
    TrapFrame->EFlags |= EFLAGS_RF;     /* an execute breakpoint (ba e) at Eip does not fire again at once */
    Pcr->ExceptionList = KdpSavedExceptionList;
    Pcr->IRR |= KdpSavedIrr;
    if (KdpStop.Irql > DISPATCH_LEVEL) {
        KIRQL Old;
        KeRaiseIrql(KdpStop.Irql, &Old);
    } else {
        Pcr->Irql = KdpStop.Irql;
    }
}

/* Stops the kernel at TrapFrame and runs the prompt until g, t or p. False if the debugger cannot stop it. */
static bool KdpEnter(PKTRAP_FRAME TrapFrame, KD_STOP_REASON Reason, ULONG Breakpoint)
{
    if (KdpStopped || !KdDebuggerEnabled)
        return false;
    KdpStopped = true;
    memset(&KdpStop, 0, sizeof(KdpStop));
    KdpStop.TrapFrame = TrapFrame;
    KdpStop.Reason = Reason;
    KdpStop.Breakpoint = Breakpoint;
    KdpSuspendKernel();
    KdpStepResume = false;
    KiCallOnStack(KdpStack + sizeof(KdpStack), KdpStoppedPrompt, NULL);
    if (!KdpStepResume)
        KdpRedrawInterruptedLine();
    KdpResumeKernel(TrapFrame);
    KdpStopped = false;
    return true;
}

/*
 * #BP and #DB (KiDebugRoutine). An int3 the debugger planted stops the
 * kernel (p's, only for its own thread: another steps over it); a single
 * step finishes t or p, or puts back a breakpoint that was stepped over; a
 * debug register stops at its data breakpoint. Anything else is not the
 * debugger's (false): an int3 compiled into the code, a test's own step.
 */
static bool KdpTrap(PKTRAP_FRAME TrapFrame)
{
    if (KiTrapFromUserMode(TrapFrame))
        return false;
    if (TrapFrame->Vector == TRAP_BREAKPOINT) {
        ULONG At = TrapFrame->Eip - 1;
        struct _KD_BREAKPOINT *Breakpoint = KdpFindBreakpoint(At);
        bool Ours;
        if (!Breakpoint)
            return false;
        TrapFrame->Eip = At;
        if (KdpStopped) {
            /* The debugger's own code, putting the int3s back, ran into one: that one stays out. */
            KdpDropBreakpointsAt(At);
            return true;
        }
        if (KdpIsStepOverBreakpoint(Breakpoint, KeGetCurrentThread(), KiTrapFrameEsp(TrapFrame), &Ours)) {
            if (Ours && KdpEnter(TrapFrame, KdStopStep, 0))
                return true;
        } else {
            KdpBreakpointHit(Breakpoint);
            if (KdpEnter(TrapFrame, KdStopBreakpoint, KdpBreakpointNumber(Breakpoint)))
                return true;
        }
        /* Not this thread's (or no prompt to stop at): run the original instruction, then put the int3 back. */
        if (KdpReinsert)
            KdpInsertBreakpointsAt(KdpReinsert);
        KdpRemoveBreakpoints();
        KdpReinsert = KdpInsertBreakpoints(At);
        TrapFrame->EFlags |= EFLAGS_TF | EFLAGS_RF;
        KdpStepsIssued++;
        return true;
    }
    if (TrapFrame->Vector != TRAP_DEBUG)
        return false;
    ULONG Dr6 = HalReadDr6();
    HalWriteDr6(0);
    if (Dr6 & DR6_BS) {
        bool Handled = KdpReinsert != 0 || KdpStepping || KdpStepsIssued;
        if (KdpReinsert) {
            KdpInsertBreakpointsAt(KdpReinsert);
            KdpReinsert = 0;
        }
        TrapFrame->EFlags &= ~EFLAGS_TF;
        if (KdpStepping) {
            KdpStepping = false;
            return KdpEnter(TrapFrame, KdStopStep, 0);
        }
        if (Handled && !(Dr6 & 0xF))
            return true;        /* a step over a breakpoint; or a TF that outlived its step (saved by pushfd) */
    }
    bool Unchanged = false;
    for (ULONG Register = 0; Register < DR_BREAKPOINTS; Register++) {
        struct _KD_BREAKPOINT *Breakpoint = KdpFindDataBreakpoint(Register);
        if (!(Dr6 & (DR6_B0 << Register)) || !Breakpoint)
            continue;
        if (!KdpDataBreakpointChanged(Breakpoint)) {
            Unchanged = true;           /* no new value (a spurious trap of QEMU's: kdbreak.c): go on */
            continue;
        }
        KdpBreakpointHit(Breakpoint);
        return KdpEnter(TrapFrame, KdStopDataBreakpoint, KdpBreakpointNumber(Breakpoint));
    }
    return Unchanged || (Dr6 & DR6_BS) != 0;
}

void KdEnterDebuggerAfterBugCheck(ULONG Code, const ULONG_PTR Parameters[4], const KTRAP_FRAME *TrapFrame,
                                  bool EipIsReturnAddress)
{
    if (!KdDebuggerEnabled || KdpStopped)
        return;
    KdpStopped = true;
    KdpBugCheckFrame = *TrapFrame;
    memset(&KdpStop, 0, sizeof(KdpStop));
    KdpStop.TrapFrame = &KdpBugCheckFrame;
    KdpStop.EipIsReturnAddress = EipIsReturnAddress;
    KdpStop.Reason = KdStopBugCheck;
    KdpStop.BugCheckCode = Code;
    memcpy(KdpStop.Parameters, Parameters, sizeof(KdpStop.Parameters));
    KdpSuspendKernel();
    for (;;)
        KiCallOnStack(KdpStack + sizeof(KdpStack), KdpStoppedPrompt, NULL);
}

/* ------------------------------------------------------------------ commands */

static bool KdpCanGoOn(void)
{
    if (KdpStop.Reason != KdStopBugCheck)
        return true;
    DbgPrint("%s: the machine has bugchecked and cannot go on: reboot restarts it, quit leaves QEMU\n",
             KdpCurrentCommand->Name);
    return false;
}

KD_COMMAND_FLAGS(g, "g", "[ADDRESS]", "go: let the stopped kernel run (to ADDRESS: a one-time breakpoint there)",
                 KD_STOPPED_ONLY)
{
    ULONG Address;
    if (!KdCheckArgumentCount(Argc, Argv, 0, 1) || (Argc == 2 && !KdParseAddress(Argv[1], "ADDRESS", &Address)) ||
        !KdpCanGoOn())
        return;
    if (Argc == 2)
        KdpSetStepOverBreakpoint(Address, NULL, 0);
    KdpRequestResume(KdResumeGo);
}

KD_COMMAND_FLAGS(t, "t", "", "trace: run one instruction of the stopped code, into calls", KD_STOPPED_ONLY)
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 0) || !KdpCanGoOn())
        return;
    KdpStepResume = true;
    KdpRequestResume(KdResumeStep);
}

/* Reads the instruction at Eip; returns its length if it is one `p` steps over (a call, int n, rep string), else 0. */
static ULONG KdpStepOverLength(ULONG Eip)
{
    UCHAR Code[16];
    ULONG i = 0;
    bool Rep = false;

    if (!KdpReadMemory(Eip, Code, sizeof(Code)))
        return 0;
    while (i < 4 && (Code[i] == 0x66 || Code[i] == 0x67 || Code[i] == 0xF2 || Code[i] == 0xF3 || Code[i] == 0x2E ||
                     Code[i] == 0x36 || Code[i] == 0x3E || Code[i] == 0x26 || Code[i] == 0x64 || Code[i] == 0x65)) {
        Rep |= Code[i] == 0xF2 || Code[i] == 0xF3;
        i++;
    }
    UCHAR Op = Code[i];
    if (Op == 0xE8)
        return i + 5;                       /* call rel32 */
    if (Op == 0x9A)
        return i + 7;                       /* call ptr16:32 */
    if (Op == 0xCD)
        return i + 2;                       /* int n */
    if (Rep && ((Op >= 0xA4 && Op <= 0xA7) || (Op >= 0xAA && Op <= 0xAF) || (Op >= 0x6C && Op <= 0x6F)))
        return i + 1;                       /* rep movs, stos, lods, cmps, scas, ins, outs */
    if (Op != 0xFF)
        return 0;
    UCHAR ModRm = Code[i + 1];
    ULONG Reg = (ModRm >> 3) & 7, Mod = ModRm >> 6, Rm = ModRm & 7, Length = i + 2;
    if (Reg != 2 && Reg != 3)
        return 0;                           /* FF /2 call near indirect, /3 call far indirect */
    if (Mod != 3 && Rm == 4) {
        UCHAR Sib = Code[Length++];
        if (Mod == 0 && (Sib & 7) == 5)
            Length += 4;
    }
    if (Mod == 0 && Rm == 5)
        Length += 4;
    else if (Mod == 1)
        Length += 1;
    else if (Mod == 2)
        Length += 4;
    return Length;
}

KD_COMMAND_FLAGS(p, "p", "", "step: run one instruction, a call (or int, rep string) as one", KD_STOPPED_ONLY)
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 0) || !KdpCanGoOn())
        return;
    ULONG Length = KdpStepOverLength(KdpStop.TrapFrame->Eip);
    KdpStepResume = true;
    if (Length == 0) {
        KdpRequestResume(KdResumeStep);
        return;
    }
    KdpSetStepOverBreakpoint(KdpStop.TrapFrame->Eip + Length, KeGetCurrentThread(),
                             KiTrapFrameEsp(KdpStop.TrapFrame));
    KdpRequestResume(KdResumeGo);
}

/* WinDbg's flag mnemonics: set / clear. */
static void KdpFormatFlags(char *Out, size_t Size, ULONG EFlags)
{
    snprintf(Out, Size, "%s %s %s %s %s %s %s %s", (EFlags & EFLAGS_OF) ? "ov" : "nv", (EFlags & EFLAGS_DF) ? "dn" : "up",
             (EFlags & EFLAGS_IF) ? "ei" : "di", (EFlags & EFLAGS_SF) ? "ng" : "pl", (EFlags & EFLAGS_ZF) ? "zr" : "nz",
             (EFlags & EFLAGS_AF) ? "ac" : "na", (EFlags & EFLAGS_PF) ? "pe" : "po", (EFlags & EFLAGS_CF) ? "cy" : "nc");
}

void KdpPrintRegisters(const KTRAP_FRAME *Tf)
{
    char Flags[40];
    USHORT Ss;
    UCHAR Code[8];
    ULONG Offset;

    __asm__ volatile("movw %%ss, %0" : "=r"(Ss));
    KdpFormatFlags(Flags, sizeof(Flags), Tf->EFlags);
    DbgPrint("eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x\n", Tf->Eax, Tf->Ebx, Tf->Ecx, Tf->Edx, Tf->Esi,
             Tf->Edi);
    DbgPrint("eip=%08x esp=%08x ebp=%08x iopl=%u         %s\n", Tf->Eip, KiTrapFrameEsp(Tf), Tf->Ebp,
             (Tf->EFlags >> EFLAGS_IOPL_SHIFT) & 3, Flags);
    DbgPrint("cs=%04x  ss=%04x  ds=%04x  es=%04x  fs=%04x  gs=%04x             efl=%08x\n", Tf->SegCs & 0xFFFF,
             KiTrapFromUserMode(Tf) ? Tf->HardwareSegSs & 0xFFFF : Ss, Tf->SegDs & 0xFFFF, Tf->SegEs & 0xFFFF,
             Tf->SegFs & 0xFFFF, Tf->SegGs & 0xFFFF, Tf->EFlags);
    const char *Name = KiSymbolize(Tf->Eip, &Offset);
    if (Name && Offset)
        DbgPrint("mm386!%s+0x%x:\n", Name, Offset);
    else if (Name)
        DbgPrint("mm386!%s:\n", Name);
    if (!KdpReadMemory(Tf->Eip, Code, sizeof(Code))) {
        DbgPrint("%08x ??\n", Tf->Eip);
        return;
    }
    DbgPrint("%08x %02x %02x %02x %02x %02x %02x %02x %02x  (code bytes; %s)\n", Tf->Eip, Code[0], Code[1], Code[2],
             Code[3], Code[4], Code[5], Code[6], Code[7],
             KdpStop.EipIsReturnAddress ? "eip is KeBugCheckEx's return address" : "mm386 has no disassembler");
}

static const struct {
    const char *Name;
    size_t Offset;
} KdpRegisters[] = {
    { "eax", offsetof(KTRAP_FRAME, Eax) }, { "ebx", offsetof(KTRAP_FRAME, Ebx) },
    { "ecx", offsetof(KTRAP_FRAME, Ecx) }, { "edx", offsetof(KTRAP_FRAME, Edx) },
    { "esi", offsetof(KTRAP_FRAME, Esi) }, { "edi", offsetof(KTRAP_FRAME, Edi) },
    { "ebp", offsetof(KTRAP_FRAME, Ebp) }, { "eip", offsetof(KTRAP_FRAME, Eip) },
    { "efl", offsetof(KTRAP_FRAME, EFlags) },
};

bool KdpReadRegister(const char *Name, ULONG *Value)
{
    size_t Length = strlen(Name);
    if (!KdpStopped)
        return false;
    if (Length == 3 && RtlCompareStringInsensitive(Name, "esp", 3) == 0) {
        *Value = KiTrapFrameEsp(KdpStop.TrapFrame);
        return true;
    }
    for (ULONG i = 0; i < ARRAY_SIZE(KdpRegisters); i++) {
        if (strlen(KdpRegisters[i].Name) == Length && RtlCompareStringInsensitive(KdpRegisters[i].Name, Name, Length) == 0) {
            *Value = *(const ULONG *)((const UCHAR *)KdpStop.TrapFrame + KdpRegisters[i].Offset);
            return true;
        }
    }
    return false;
}

KD_COMMAND_FLAGS(r, "r", "[REG[=VALUE]]",
                 "the stopped context's registers; one of them (eax ... edi, ebp, eip, efl); REG=VALUE sets it",
                 KD_STOPPED_ONLY)
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 1))
        return;
    if (Argc == 1) {
        KdpPrintRegisters(KdpStop.TrapFrame);
        return;
    }
    char *Equals = strchr(Argv[1], '=');
    size_t Length = Equals ? (size_t)(Equals - Argv[1]) : strlen(Argv[1]);
    for (ULONG i = 0; i < ARRAY_SIZE(KdpRegisters); i++) {
        if (strlen(KdpRegisters[i].Name) != Length || RtlCompareStringInsensitive(KdpRegisters[i].Name, Argv[1], Length))
            continue;
        ULONG *Register = (ULONG *)((UCHAR *)KdpStop.TrapFrame + KdpRegisters[i].Offset);
        ULONG Value;
        if (!Equals) {
            DbgPrint("%s=%08x\n", KdpRegisters[i].Name, *Register);
        } else if (KdParseNumber(Equals + 1, "VALUE", &Value)) {
            if (KdpStop.Reason == KdStopBugCheck) {
                DbgPrint("r: the machine has bugchecked: its registers are a record, not a context to go on with\n");
                return;
            }
            *Register = Value;
        }
        return;
    }
    DbgPrint("r: '%.*s' is not a register r knows (eax ebx ecx edx esi edi ebp eip efl)\n", (int)Length, Argv[1]);
}
