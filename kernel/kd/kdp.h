/*
 * kernel/kd/kdp.h — what the kd> prompt's files share (NT's Kdp prefix:
 * the kernel debugger's private routines and state).
 */
#ifndef MM386_KDP_H
#define MM386_KDP_H

#include <kd.h>

#define KD_LINE_LENGTH 128          /* a typed line: 127 characters and its terminator */

extern const KD_COMMAND __kd_command_start[], __kd_command_end[];

/* The command KdExecute is running, for the argument helpers' messages (kernel/kd/args.c). */
extern const KD_COMMAND *KdpCurrentCommand;

/* The backtrace of a thread: from here for the running one, else from the frame KiSwapContext saved (kdthread.c). */
struct _ETHREAD;
void KdBacktraceThread(struct _ETHREAD *Thread);
/* A thread's first !thread line (THREAD, Cid, Teb, state) and, for a waiting one, its wait's objects; each line after Indent. */
void KdpPrintThreadState(struct _ETHREAD *Thread, const char *Indent);

/* ------------------------------------------------------------ kdline.c */

/* The next character typed (blocking); each prompt has its own way of waiting for it. */
typedef int (*PKD_READ_CHAR)(void);
/*
 * Prints Prompt and reads one line into Line, with editing, history and
 * completion. Returns false when there is nothing to run: the line was
 * cancelled (Ctrl-C) or was longer than Size - 1 characters, which it says.
 */
bool KdpReadLine(const char *Prompt, char *Line, size_t Size, PKD_READ_CHAR ReadChar);
/*
 * After a stop that came while the running prompt waited for a key (another
 * thread's breakpoint), prints its prompt and the line typed so far again,
 * so it is clear where typing goes on. Nothing if it was not waiting.
 */
void KdpRedrawInterruptedLine(void);
/* Reports UART overruns not reported yet; true if there were any. */
bool KdpReportOverruns(void);

/* ------------------------------------------------------------ kdtrap.c */

/* Why the kernel is stopped. */
typedef enum _KD_STOP_REASON {
    KdStopBreakpoint,           /* an int3 the debugger planted (bp, or p's step over a call) */
    KdStopStep,                 /* t or p completed one instruction */
    KdStopDataBreakpoint,       /* a debug register (ba) */
    KdStopBugCheck,             /* KeBugCheckEx in an interactive boot: no way back */
} KD_STOP_REASON;

/* The stopped context, while the kernel is stopped (KdIsStopped()). */
typedef struct _KD_STOP_STATE {
    KTRAP_FRAME *TrapFrame;     /* the stopped code's registers; editable (r REG=VALUE), restored by iret */
    bool EipIsReturnAddress;    /* a bugcheck from KeBugCheckEx: Eip is the caller's return address */
    KD_STOP_REASON Reason;
    ULONG Breakpoint;           /* the breakpoint's number, for KdStopBreakpoint and KdStopDataBreakpoint */
    ULONG BugCheckCode;
    ULONG_PTR Parameters[4];
    KIRQL Irql;                 /* the stopped code's IRQL (the prompt runs at DISPATCH_LEVEL) */
} KD_STOP_STATE;
extern KD_STOP_STATE KdpStop;

/* How a stopped kernel goes on (set by g, t, p; the stopped prompt leaves when one is set). */
typedef enum _KD_RESUME {
    KdResumeNone,
    KdResumeGo,
    KdResumeStep,
} KD_RESUME;
void KdpRequestResume(KD_RESUME How);
/* The stopped context's backtrace (symbols.c): frame 0 is where it stopped. */
void KdpDumpStoppedBacktrace(void);
/* The stopped context's register Name (eax ... edi, ebp, esp, eip, efl; any case); false if not stopped or not one. */
bool KdpReadRegister(const char *Name, ULONG *Value);
/* Prints the stopped context's registers, WinDbg's `r` (and its instruction bytes). */
void KdpPrintRegisters(const KTRAP_FRAME *TrapFrame);
/*
 * The debugger's memory access (MmDbgCopyMemory with interrupts off, so a
 * stop cannot take its mapping PTE mid-copy): Length bytes, any alignment;
 * false if some byte is not mapped (nothing is written then).
 */
bool KdpReadMemory(ULONG Address, PVOID Buffer, ULONG Length);
bool KdpWriteMemory(ULONG Address, const void *Buffer, ULONG Length);

/* ------------------------------------------------------------ kdbreak.c */

/* While stopped, no int3 is in memory and the debug registers are off; these put them back and take them out. */
void KdpRemoveBreakpoints(void);
/* Puts every enabled breakpoint back, but those at SkipAddress (stepped over first); returns SkipAddress if any, else 0. */
ULONG KdpInsertBreakpoints(ULONG SkipAddress);
/* Puts back the breakpoints at Address (after the step over them). */
void KdpInsertBreakpointsAt(ULONG Address);
/* The number of a breakpoint whose int3 is in memory in [Address, Address + Length), or -1. */
LONG KdpBreakpointInRange(ULONG Address, ULONG Length);
/* Takes out the int3s at Address: the debugger's own code ran into one while it was putting them in. */
void KdpDropBreakpointsAt(ULONG Address);
/* The enabled software breakpoint at Address, or NULL; p's step-over breakpoint counts. */
struct _KD_BREAKPOINT *KdpFindBreakpoint(ULONG Address);
/* The data breakpoint in debug register Register, or NULL. */
struct _KD_BREAKPOINT *KdpFindDataBreakpoint(ULONG Register);
ULONG KdpBreakpointNumber(const struct _KD_BREAKPOINT *Breakpoint);
/* Counts a hit (bl shows it). */
void KdpBreakpointHit(struct _KD_BREAKPOINT *Breakpoint);
struct _KD_BREAKPOINT *KdpBreakpointByNumber(ULONG Number);
/* p's breakpoint after a call: hit only by Thread with ESP at or above Esp (the call returned). */
void KdpSetStepOverBreakpoint(ULONG Address, PVOID Thread, ULONG Esp);
bool KdpIsStepOverBreakpoint(const struct _KD_BREAKPOINT *Breakpoint, PVOID Thread, ULONG Esp, bool *Ours);
void KdpClearStepOverBreakpoint(void);
/* False for a write breakpoint whose bytes are what they were when it was armed: no new value was written. */
bool KdpDataBreakpointChanged(const struct _KD_BREAKPOINT *Breakpoint);
/* Describes a data breakpoint's hit ("write of 4 bytes at ..."). */
void KdpDescribeDataBreakpoint(const struct _KD_BREAKPOINT *Breakpoint);

/* ---------------------------------------------------------- kdprocess.c */

/*
 * Around one command typed at the prompt: makes `.process`'s implicit
 * process current (attached at the running prompt, its directory loaded
 * at the stopped one); false if there is none (or it is gone, which it
 * says). Leave undoes what Enter did, whatever it was; a stopped command
 * that faulted calls it from its catcher (KdpAbandonCommand).
 */
bool KdpEnterProcessContext(void);
void KdpLeaveProcessContext(void);

/* ---------------------------------------------------------------- kd.c */

/* A stopped command was abandoned (it faulted or bugchecked): the context and the nesting it had end. */
void KdpAbandonCommand(void);

/* ---------------------------------------------------------- kdanalyze.c */

/* !analyze -v's text for the stopped bugcheck. */
void KdpAnalyzeBugCheck(bool Verbose);

#endif
