/*
 * kernel/ke/ki.h — kernel-internal declarations shared between kernel/ files.
 *
 * The dispatcher's internals: the dispatcher lock, ready queues, the thread
 * switch, waits and wait satisfaction, the timer table, APC delivery. Every
 * routine that expects the dispatcher lock held says so; the lock is a spin
 * lock (DISPATCH_LEVEL), held across a thread switch and released by
 * whichever thread runs next (KiSwapThread's tail, KiThreadStartup, the idle
 * loop), so it is always released exactly once per acquisition.
 */
#ifndef MM386_KI_H
#define MM386_KI_H

#include <ke.h>
#include <hal.h>
#include <ntexcept.h>

/* kernel/init.c */
extern uint64_t KiTscAtKernelEntry;
extern const char KiVersion[];

/* kernel/ke/trap.c: the innermost fault catcher, saved and restored by the harness. */
PKFAULT_CATCHER KiGetFaultCatcher(void);
void KiSetFaultCatcher(PKFAULT_CATCHER Catcher);
extern ULONG KiBreakpointCount;
/* Resumes the innermost catcher as if a trap Vector with ErrorCode had happened at Eip (ExRaiseStatus). */
NORETURN void KiRaiseToCatcher(ULONG Vector, ULONG ErrorCode, ULONG Eip);
/*
 * Where the debug trap (#DB: single step, debug registers) goes: a routine
 * that returns true once it has dealt with the trap (the frame may be
 * edited, EFlags.TF cleared), for tests that step through code. NULL, or a
 * false return, leaves #DB an unexpected kernel-mode trap.
 */
typedef bool (*PKDEBUG_TRAP_ROUTINE)(PKTRAP_FRAME TrapFrame);
extern PKDEBUG_TRAP_ROUTINE KiDebugTrapRoutine;
/*
 * The kernel debugger's routine for #BP and #DB (NT's KiDebugRoutine;
 * kernel/kd/kdtrap.c sets it): true when the trap was the debugger's — an
 * int3 it planted, its single step, a data breakpoint — and has been dealt
 * with, the kernel stopped at the prompt meanwhile if it had to.
 */
extern PKDEBUG_TRAP_ROUTINE KiDebugRoutine;

/* kernel/ke/stack.asm: runs Routine(Context) on the stack whose base is StackBase and returns its value. */
ULONG KiCallOnStack(PVOID StackBase, ULONG (*Routine)(PVOID Context), PVOID Context);

/* ----------------------------------------------------------- kiinit.c */

/* The one processor's control region (FS in kernel mode). */
extern KPCR KiPcr;
/* Phase 0, first of all: the KPCR, the GDT that selects it, FS. */
void KiInitializePcr(void);
/*
 * Phase 0, once the memory manager runs: the boot flow becomes the initial
 * thread of the system process (Process), on the boot stack; it turns into
 * the idle thread when KiIdleLoop is entered.
 */
void KiInitializeKernel(PKPROCESS Process);
/* The initial thread's last act: the idle loop, at DISPATCH_LEVEL, forever. */
NORETURN void KiIdleLoop(void);

/* ---------------------------------------------------------- thrdschd.c */

extern KSPIN_LOCK KiDispatcherLock;

static inline KIRQL KiAcquireDispatcherLock(void)
{
    return KeAcquireSpinLockRaiseToDpc(&KiDispatcherLock);
}

static inline void KiReleaseDispatcherLock(KIRQL OldIrql)
{
    KeReleaseSpinLock(&KiDispatcherLock, OldIrql);
}

/*
 * Makes Thread ready: it preempts the running thread if its priority is
 * higher (it becomes the processor's NextThread and a dispatch interrupt is
 * requested), else it joins the tail of its priority's ready queue.
 * Dispatcher lock held.
 */
void KiReadyThread(PKTHREAD Thread);
/*
 * The current thread gives up the processor: it has already been put on a
 * wait list or a ready queue, or it is terminating. Picks the next thread
 * (NextThread, else the highest ready, else the idle thread), switches to
 * it, and returns when the current thread runs again, with the dispatcher
 * lock released and the IRQL lowered to Thread->WaitIrql; returns the
 * thread's WaitStatus. Dispatcher lock held on entry.
 */
LONG_PTR KiSwapThread(PKTHREAD Thread);
/*
 * A thread that runs again on this processor gets its APC software
 * interrupt back if it has kernel APCs pending (the request is per
 * processor, so a switch drops it). Any IRQL.
 */
void KiRequestPendingApc(PKTHREAD Thread);
/* The highest-priority ready thread at or above LowPriority, taken off its queue; NULL if none. Lock held. */
PKTHREAD KiSelectReadyThread(KPRIORITY LowPriority);
/* Clock tick bookkeeping for the running thread (CLOCK_LEVEL): quantum, run time. */
void KiUpdateRunTime(KTRAP_FRAME *TrapFrame);

/* The quantum, in NT's units: three per clock tick; NT's workstation default is two ticks. */
#define CLOCK_QUANTUM_DECREMENT     3
#define THREAD_QUANTUM              6
/* Priorities of the threads the kernel makes itself. */
#define SYSTEM_THREAD_PRIORITY      8       /* the system process's base priority, as NT's */

/* kernel/ke/ctxswap.asm: saves the callee-saved registers, EFLAGS and the
 * exception list on the current stack, stores ESP in *OldKernelStack, loads
 * NewCr3 into CR3 unless it is 0, points TSS.ESP0 at NewInitialStack, and
 * resumes the thread whose saved ESP is NewKernelStack. Returns when the
 * caller's thread is switched back to. */
void KiSwapContext(PVOID *OldKernelStack, PVOID NewKernelStack, ULONG NewCr3, PVOID NewInitialStack);

/* -------------------------------------------------------------- wait.c */

/* Is Object signalled for Thread (a mutant it owns is, recursively)? Lock held. */
bool KiIsObjectSignalled(PDISPATCHER_HEADER Object, PKTHREAD Thread);
/*
 * Object was signalled: satisfies the waits it can, in wait-list order, and
 * readies their threads with Increment as their boost. Lock held.
 */
void KiWaitTest(PDISPATCHER_HEADER Object, KPRIORITY Increment);
/*
 * Ends Thread's wait with WaitStatus: its wait blocks leave every wait list,
 * its timeout timer is cancelled, it gets its boost and is readied. Lock held.
 */
void KiUnwaitThread(PKTHREAD Thread, LONG_PTR WaitStatus, KPRIORITY Increment);
/* True if Header.Type is one of the waitable kinds of dispatcher object. */
static inline bool KiIsDispatcherObject(const DISPATCHER_HEADER *Header)
{
    return Header->Type < MaximumKernelObject && Header->Type != QueueObject && Header->Type != GateObject;
}
void KiInitializeDispatcherHeader(PDISPATCHER_HEADER Header, KOBJECTS Type, ULONG SizeInBytes, LONG SignalState);

/* Sets Event (eventobj.c) with the dispatcher lock already held; returns its previous state. */
LONG KiSetEventLocked(PKEVENT Event, KPRIORITY Increment);
/* A dying thread's mutant: free, abandoned, its waiters satisfied (mutntobj.c). Lock held. */
void KiAbandonMutant(PKMUTANT Mutant);

/* ---------------------------------------------------------- timerobj.c */

/* Puts Timer in the timer table to expire at its DueTime; false (not inserted) if that has passed. Lock held. */
bool KiInsertTimer(PKTIMER Timer, LARGE_INTEGER DueTime);
/* Takes Timer out of the timer table if it is in it. Lock held. */
void KiRemoveTimer(PKTIMER Timer);
/* The clock: expire due timers (queues KiTimerExpiration's DPC). CLOCK_LEVEL. */
void KiCheckTimerTable(ULONGLONG InterruptTime);
void KiInitializeTimerTable(void);

/* ------------------------------------------------------------ clock.c */

extern volatile ULONGLONG KeTickCount64;
extern volatile ULONGLONG KiInterruptTime;  /* 100 ns units since boot */
#define KI_TIME_INCREMENT           (10000000 / HAL_CLOCK_HZ)  /* 100 ns units per tick */
/* The tick count's low half: one 32-bit read, never torn. */
static inline ULONG KiTickCountLow(void)
{
    return *(volatile ULONG *)&KeTickCount64;
}
/* Phase 1: system time from the CMOS clock. */
void KiInitializeSystemClock(void);
/* A date and time as NT's system time (100 ns units since January 1, 1601). */
struct _HAL_TIME_FIELDS;
LONGLONG KiTimeFieldsToTime(const struct _HAL_TIME_FIELDS *Time);

/* -------------------------------------------------------------- dpc */

/* Runs every queued DPC. DISPATCH_LEVEL. */
void KiRetireDpcList(PKPRCB Prcb);

/* -------------------------------------------------------------- apc */

/* Delivers the current thread's pending kernel APCs (APC_LEVEL software interrupt). */
void KiDeliverApc(KPROCESSOR_MODE PreviousMode);
/* Empties both APC queues of a terminating thread, running their rundown routines. */
void KiFlushQueueApc(PKTHREAD Thread);

/* -------------------------------------------------------------- threads */

/* What a new thread runs first: SystemRoutine(StartRoutine, StartContext), at APC_LEVEL. */
typedef void (*PKSYSTEM_ROUTINE)(PKSTART_ROUTINE StartRoutine, PVOID StartContext);

/*
 * Initialises Thread to run SystemRoutine(StartRoutine, StartContext) on the
 * kernel stack whose base is KernelStack (StackLimit its lowest byte), in
 * Process. With a ContextFrame it is a user thread: when SystemRoutine
 * returns it enters ring 3 with that context (sanitized as NtContinue's),
 * its TEB Teb. It is Initialized until KeStartThread readies it.
 */
void KeInitializeThread(PKTHREAD Thread, PVOID KernelStack, PVOID StackLimit, PKSYSTEM_ROUTINE SystemRoutine,
                        PKSTART_ROUTINE StartRoutine, PVOID StartContext, PCONTEXT ContextFrame, PVOID Teb,
                        PKPROCESS Process);
/* Links Thread into its process and readies it. */
void KeStartThread(PKTHREAD Thread);
/*
 * Where a terminated thread goes once it has left the processor for good:
 * its stack can then be freed by someone running on another stack.
 */
typedef struct _KTHREAD_REAPER {
    LIST_ENTRY ListHead;                /* terminated threads, linked through KTHREAD.WaitListEntry */
    KEVENT Event;                       /* set when one is added */
} KTHREAD_REAPER, *PKTHREAD_REAPER;
/*
 * The current thread's end at the kernel's level: owned mutants are
 * abandoned, queued APCs run down, the thread object is signalled and the
 * thread leaves its process's list and the processor for good, joining
 * Reaper's list if there is one (else its creator frees it after waiting
 * for it). PASSIVE_LEVEL.
 */
NORETURN void KeTerminateThread(PKTHREAD_REAPER Reaper);
/* Abandons every mutant Thread owns (a KMUTEX held at exit is THREAD_TERMINATE_HELD_MUTEX). */
void KeRundownThread(void);



/* ----------------------------------------------------------- ring 3 */

/* syscall.asm: leaves the kernel through TrapFrame, into ring 3 (never returns). */
NORETURN void KiExitToUserMode(PKTRAP_FRAME TrapFrame);
/* syscall.c: the int 2Eh gate, the SYSENTER MSRs and KUSER_SHARED_DATA's system-call code; once, after the memory manager. */
void KiInitializeSystemServices(void);
extern BOOLEAN KiFastSystemCallEnabled;
/* The name of service Number (kernel/ke/services.list), or NULL. */
const char *KiServiceName(ULONG Number);
/* clock.c: KUSER_SHARED_DATA, once it exists: each tick writes the time there. */
extern volatile struct _KUSER_SHARED_DATA *KiUserSharedData;

/*
 * except.c. A trap frame from ring 3 as a CONTEXT and back; the way back
 * sanitizes (ring 3's CS and SS, only ring 3's data, TEB or null
 * selectors, only the EFLAGS a program may set, interrupts on).
 */
void KeTrapFrameToContext(const KTRAP_FRAME *TrapFrame, PCONTEXT Context);
void KeContextToTrapFrame(const CONTEXT *Context, PKTRAP_FRAME TrapFrame);
/*
 * An exception in ring 3 (Record), the frame its thread trapped with: on
 * the first chance it goes to ntdll's KiUserExceptionDispatcher on the
 * user stack; on the second, or when that cannot be, the process ends
 * with the exception code (and this does not return). PASSIVE_LEVEL,
 * interrupts on.
 */
void KiDispatchException(PEXCEPTION_RECORD Record, PKTRAP_FRAME TrapFrame, BOOLEAN FirstChance);
/*
 * A user APC is to be delivered on the thread's way out to ring 3. Its
 * system-service frame, if it is in a service, loses the fast-call mark, so
 * the exit takes the path that looks (kernel/ke/syscall.asm); the frame
 * Thread->TrapFrame names outside a service is where the next one will be.
 * Dispatcher lock held.
 */
#define KI_FAST_CALL_MARK   0x5AFE      /* KTRAP_FRAME.ErrCode of a sysenter frame (no CPU error code is this) */
static inline void KiSetUserApcPending(PKTHREAD Thread)
{
    Thread->ApcState.UserApcPending = TRUE;
    if (Thread->TrapFrame && Thread->TrapFrame->ErrCode == KI_FAST_CALL_MARK)
        Thread->TrapFrame->ErrCode = 0;
}

/*
 * apcobj.c, on the way out to ring 3 with a user APC pending: the first
 * user APC's kernel routine runs, and its normal routine (if any) is set up
 * to run in ring 3 (KiInitializeUserApc). PASSIVE_LEVEL, interrupts on.
 */
void KiDeliverUserApc(PKTRAP_FRAME TrapFrame);
/*
 * ntdll.dll's dispatchers, at the same address in every process (set at
 * boot by kernel/ps/sysdll.c; NULL on a boot without ntdll.dll).
 */
extern PVOID KeUserExceptionDispatcher;
extern PVOID KeUserApcDispatcher;
/* bugcheck.c: whether the system is stopping (a bugcheck has begun). */
bool KiBugCheckInProgress(void);

/* except.c: TrapFrame goes to ntdll's KiUserApcDispatcher to call NormalRoutine(Context, 1, 2). */
void KiInitializeUserApc(PKTRAP_FRAME TrapFrame, PKNORMAL_ROUTINE NormalRoutine, PVOID NormalContext,
                         PVOID Argument1, PVOID Argument2);
/* A CPU exception in ring 3 (trap.c): its EXCEPTION_RECORD, then KiDispatchException. */
void KiDispatchUserTrap(PKTRAP_FRAME TrapFrame, NTSTATUS PageFaultStatus, ULONG FaultAddress);

#endif
