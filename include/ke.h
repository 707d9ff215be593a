/*
 * include/ke.h — the kernel proper: IRQL, spin locks, traps, bugchecks,
 * printing and the boot options table.
 *
 * IRQL follows NT's x86 model: PASSIVE (0), APC (1), DISPATCH (2), device
 * levels 3..26 (the PIC's IRQ n runs at PROFILE_LEVEL - n), PROFILE (27),
 * CLOCK (28, the PIT on IRQ 0), IPI (29), POWER (30), HIGH (31). Raising the
 * IRQL masks every interrupt source at or below the new level on the PICs
 * (HIGH_LEVEL masks them all); EFLAGS.IF is left alone. The HAL implements
 * the routines (hal/irql.c), as NT's HAL does.
 */
#ifndef MM386_KE_H
#define MM386_KE_H

#include <ntdef.h>
#include <ntstatus.h>
#include <bugcodes.h>

#include <ketypes.h>

#define PASSIVE_LEVEL   0
#define LOW_LEVEL       0
#define APC_LEVEL       1
#define DISPATCH_LEVEL  2
#define PROFILE_LEVEL   27
#define CLOCK1_LEVEL    28
#define CLOCK2_LEVEL    28
#define IPI_LEVEL       29
#define POWER_LEVEL     30
#define HIGH_LEVEL      31
#define SYNCH_LEVEL     DISPATCH_LEVEL      /* uniprocessor NT: the dispatcher lock's IRQL */
/* The IRQL a PIC interrupt runs at: NT's PIC HAL mapping. */
#define DEVICE_IRQL(Irq) ((Irq) == 0 ? CLOCK2_LEVEL : (Irq) == 8 ? PROFILE_LEVEL : PROFILE_LEVEL - (Irq))

/*
 * The processor control region of the running processor, through FS
 * (include/ketypes.h): KeGetPcr()->Irql is fs:[24h], as in NT. FS holds
 * KGDT_R0_PCR whenever the processor runs kernel code (trap entry loads it).
 */
#define KeGetPcr()              ((__seg_fs KPCR *)0)
#define KeGetCurrentPrcb()      (&((KPCR *)KeGetPcr()->SelfPcr)->PrcbData)

static inline PKTHREAD KeGetCurrentThread(void)
{
    return KeGetPcr()->PrcbData.CurrentThread;
}

/*
 * IRQL is one byte of processor state, KPCR.Irql. Raising or lowering
 * among PASSIVE, APC and DISPATCH changes no PIC mask, so that path is
 * inline; levels above DISPATCH go through the HAL. The two software
 * interrupt levels, APC_LEVEL and DISPATCH_LEVEL, are requested by setting
 * their bit in KPCR.IRR (HalRequestSoftwareInterrupt); whoever lowers the
 * IRQL below a requested level delivers it (hal/irql.c), as NT's PIC HAL
 * does: DPCs and thread switches at DISPATCH_LEVEL, kernel APCs at APC_LEVEL.
 */
KIRQL HalRaiseDeviceIrql(KIRQL NewIrql);
void HalLowerDeviceIrql(KIRQL NewIrql);
void HalpCheckForSoftwareInterrupt(KIRQL NewIrql);
/* Requests the software interrupt at Irql (APC_LEVEL or DISPATCH_LEVEL); delivered at once if the IRQL is lower. */
void HalRequestSoftwareInterrupt(KIRQL Irql);

static inline KIRQL KeGetCurrentIrql(void)
{
    return KeGetPcr()->Irql;
}

/* Raises the IRQL to NewIrql (which must not be lower) and returns the old one (NT's KfRaiseIrql). */
static inline KIRQL KfRaiseIrql(KIRQL NewIrql)
{
    KIRQL Current = KeGetPcr()->Irql;
    if (NewIrql > DISPATCH_LEVEL || NewIrql < Current)
        return HalRaiseDeviceIrql(NewIrql);
    __asm__ volatile("" ::: "memory");
    KeGetPcr()->Irql = NewIrql;
    __asm__ volatile("" ::: "memory");
    return Current;
}

#define KeRaiseIrql(NewIrql, OldIrql) (*(OldIrql) = KfRaiseIrql(NewIrql))

/*
 * The software interrupts (KPCR.IRR bits) that lowering to each of PASSIVE,
 * APC and DISPATCH_LEVEL must deliver: those requested above it. One load
 * and one test on the inline path, as NT's HAL tests IRR against a mask.
 */
static const ULONG KiSoftwareInterruptsAbove[DISPATCH_LEVEL + 1] = {
    [PASSIVE_LEVEL] = (1u << APC_LEVEL) | (1u << DISPATCH_LEVEL),
    [APC_LEVEL] = 1u << DISPATCH_LEVEL,
    [DISPATCH_LEVEL] = 0,
};

/*
 * Lowers the IRQL back to NewIrql (which must not be higher than the
 * current IRQL), then delivers any software interrupt requested above it.
 */
static inline void KeLowerIrql(KIRQL NewIrql)
{
    KIRQL Current = KeGetPcr()->Irql;
    if (Current > DISPATCH_LEVEL || NewIrql > Current) {
        HalLowerDeviceIrql(NewIrql);
        return;
    }
    __asm__ volatile("" ::: "memory");
    KeGetPcr()->Irql = NewIrql;
    __asm__ volatile("" ::: "memory");
    if (UNLIKELY(KeGetPcr()->IRR & KiSoftwareInterruptsAbove[NewIrql]))
        HalpCheckForSoftwareInterrupt(NewIrql);
}

static inline KIRQL KeRaiseIrqlToDpcLevel(void)
{
    return KfRaiseIrql(DISPATCH_LEVEL);
}

static inline KIRQL KeRaiseIrqlToSynchLevel(void)
{
    return KfRaiseIrql(SYNCH_LEVEL);
}

/*
 * Spin locks. mm386 runs on one processor, but the lock is real: acquiring
 * raises to DISPATCH_LEVEL and takes the lock word with an atomic exchange,
 * as an SMP kernel's lock does (the lock itself would need no change there),
 * and re-acquiring a held lock on the one processor is caught (it would spin
 * forever) with a bugcheck. Holding one means running at DISPATCH_LEVEL:
 * no thread switch can happen until it is released.
 */
NORETURN void KiSpinLockMisuse(PKSPIN_LOCK SpinLock, ULONG Reason);

static inline void KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
    *SpinLock = 0;
}

static inline void KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    if (__atomic_exchange_n(SpinLock, 1, __ATOMIC_ACQUIRE) != 0)
        KiSpinLockMisuse(SpinLock, 1);      /* one processor: the holder is us */
}

static inline void KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    if (__atomic_exchange_n(SpinLock, 0, __ATOMIC_RELEASE) != 1)
        KiSpinLockMisuse(SpinLock, 2);      /* released a lock nobody held */
}

/* NT's KeAcquireSpinLockRaiseToDpc: the old IRQL is returned. */
static inline KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
    KIRQL OldIrql = KfRaiseIrql(DISPATCH_LEVEL);
    KeAcquireSpinLockAtDpcLevel(SpinLock);
    return OldIrql;
}

#define KeAcquireSpinLock(SpinLock, OldIrql) (*(OldIrql) = KeAcquireSpinLockRaiseToDpc(SpinLock))

static inline void KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    KeReleaseSpinLockFromDpcLevel(SpinLock);
    KeLowerIrql(NewIrql);
}

/*
 * The trap frame every interrupt entry builds (hal/trap.asm), lowest address
 * first. HardwareEsp/HardwareSegSs exist only for a trap from ring 3. For a
 * ring-0 trap the CPU pushes no stack pointer; TempEsp, the ESP that pushad
 * saved, points at Vector, and the interrupted ESP is five words above it.
 * Frames built by hand (KeBugCheckEx, the double fault) set TempEsp the same
 * way.
 */
typedef struct _KTRAP_FRAME {
    ULONG SegGs, SegFs, SegEs, SegDs;
    ULONG Edi, Esi, Ebp, TempEsp, Ebx, Edx, Ecx, Eax;    /* pushad */
    ULONG Vector;
    ULONG ErrCode;
    ULONG Eip, SegCs, EFlags;                           /* pushed by the CPU */
    ULONG HardwareEsp, HardwareSegSs;                   /* ring 3 only */
} KTRAP_FRAME, *PKTRAP_FRAME;

#define KTRAP_FRAME_ESP_BIAS 20     /* Vector, ErrCode, Eip, SegCs, EFlags */

static inline bool KiTrapFromUserMode(const KTRAP_FRAME *TrapFrame)
{
    return (TrapFrame->SegCs & 3) != 0;
}
/* The stack pointer at the moment of the trap. */
static inline ULONG KiTrapFrameEsp(const KTRAP_FRAME *TrapFrame)
{
    return KiTrapFromUserMode(TrapFrame) ? TrapFrame->HardwareEsp
                                         : TrapFrame->TempEsp + KTRAP_FRAME_ESP_BIAS;
}

/*
 * Fault catchers: a block of kernel code that may fault (a test expecting a
 * #GP, a probe of an address that may not be mapped) runs under a catcher.
 * If it faults, the trap dispatcher records the fault in the catcher, restores
 * the IRQL and the registers saved by KeTryFault and resumes there, so
 * KeTryFault "returns" false. This is mm386's small stand-in for NT's
 * __try/__except around kernel code. Catchers nest; the innermost wins. A
 * catcher only takes faults of the code that armed it: a fault inside an
 * interrupt handler that arrives meanwhile is that handler's bug and gets
 * the usual verdict, since resuming the catcher would abandon the handler
 * without its end-of-interrupt.
 *
 *     KFAULT_CATCHER Catcher;
 *     if (KeTryFault(&Catcher)) {
 *         ... code that may fault ...
 *         KePopFaultCatcher(&Catcher);
 *     } else {
 *         ... Catcher.Vector, Catcher.FaultAddress say what happened ...
 *     }
 */
typedef struct _KFAULT_CATCHER {
    ULONG Context[7];               /* ebx esi edi ebp esp eip eflags: hal/catch.asm */
    KIRQL Irql;
    ULONG Nesting;                  /* interrupts in progress when it was armed */
    struct _KFAULT_CATCHER *Previous;
    ULONG Vector;                   /* what happened, once KeTryFault returns false */
    ULONG ErrorCode;
    ULONG FaultAddress;             /* CR2 for a page fault */
    ULONG FaultEip;
    NTSTATUS ExceptionCode;         /* a page fault's status (MmAccessFault's), or one raised (kernel/ex) */
} KFAULT_CATCHER, *PKFAULT_CATCHER;

/* KFAULT_CATCHER.Vector of a status raised by ExRaiseStatus (ErrorCode and ExceptionCode hold it), not a CPU vector. */
#define KI_RAISED_STATUS    0x100

__attribute__((returns_twice)) int KiSaveFaultContext(PKFAULT_CATCHER Catcher);
NORETURN void KiResumeFaultContext(PKFAULT_CATCHER Catcher);
/*
 * Arming and disarming are inline (kernel/ex's EX_TRY arms one around every
 * access to a user buffer): the chain's head is the KPCR's exception list,
 * fs:[0], saved and restored with each thread by KiSwapContext.
 */
static inline void KePushFaultCatcher(PKFAULT_CATCHER Catcher);
static inline void KePopFaultCatcher(PKFAULT_CATCHER Catcher);
bool KeFaultCatcherActive(void);
#define KeTryFault(Catcher) (KePushFaultCatcher(Catcher), KiSaveFaultContext(Catcher) == 0)

/* Bugchecks: print NT's screen on serial and VGA, then stop the machine. */
NORETURN void KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                           ULONG_PTR P3, ULONG_PTR P4);
/* As KeBugCheckEx, with the registers of a trap rather than of the caller. */
NORETURN void KiBugCheckWithTrapFrame(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                                      ULONG_PTR P3, ULONG_PTR P4, const KTRAP_FRAME *TrapFrame);
const char *KiBugCheckName(ULONG BugCheckCode);
/* Called once, with the code and parameters, when the machine stops; the ktest harness uses it. */
typedef void (*PKBUGCHECK_HOOK)(ULONG BugCheckCode, const ULONG_PTR Parameters[4]);
void KeSetBugCheckHook(PKBUGCHECK_HOOK Hook);

NORETURN void RtlAssert(const char *Expression, const char *File, int Line);
#define ASSERT(e) ((e) ? (void)0 : RtlAssert(#e, __FILE__, __LINE__))

static inline void KePushFaultCatcher(PKFAULT_CATCHER Catcher)
{
    volatile __seg_fs KPCR *Pcr = KeGetPcr();
    Catcher->Previous = Pcr->ExceptionList;
    Catcher->Irql = Pcr->Irql;
    Catcher->Nesting = Pcr->InterruptNesting;
    /* Vector .. ExceptionCode are written when a fault resumes the catcher (kernel/ke/trap.c), read only then. */
    Pcr->ExceptionList = Catcher;
}

static inline void KePopFaultCatcher(PKFAULT_CATCHER Catcher)
{
    ASSERT(KeGetPcr()->ExceptionList == Catcher);
    KeGetPcr()->ExceptionList = Catcher->Previous;
}

/* Printing: every line goes to COM1 and to the VGA console. */
ULONG DbgPrint(PCSTR Format, ...) PRINTF_LIKE(1, 2);
ULONG vDbgPrint(PCSTR Format, va_list Args);
/* Output sinks: serial and VGA register themselves; the kd prompt may add one. */
typedef void (*PKD_OUTPUT_ROUTINE)(const char *Text, size_t Length);
void KeRegisterOutput(PKD_OUTPUT_ROUTINE Routine);
void KeUnregisterOutput(PKD_OUTPUT_ROUTINE Routine);

/* Backtraces, symbolised from the table the build embeds. */
const char *KiSymbolize(ULONG Address, ULONG *Offset);
ULONG KiLookupSymbol(const char *Name);
/* Frame 0 is Eip, an instruction's own address (a trap's); then the EBP chain's return addresses. */
void KeDumpBacktrace(ULONG Eip, ULONG Ebp, int MaxFrames);
/* Frame 0 is a return address (a call's, as KeBugCheckEx records its caller), looked up one byte earlier. */
void KeDumpCallerBacktrace(ULONG ReturnAddress, ULONG Ebp, int MaxFrames);
ULONG KeCaptureBacktrace(ULONG Ebp, ULONG *Frames, ULONG MaxFrames);

/* A kernel stack, named for diagnostics. Limit is the lowest usable byte. */
typedef struct _KE_STACK_INFO {
    const char *Name;
    ULONG Limit;            /* lowest address of the stack (above its guard page) */
    ULONG Base;             /* one past the highest address */
} KE_STACK_INFO;
/*
 * Finds the kernel stack that Address lies on, counting the guard page below
 * a stack as part of it (an overflow lands there). False if it knows none.
 */
bool KeIdentifyStack(ULONG Address, KE_STACK_INFO *Info);

/* The tick count since boot (HAL_CLOCK_HZ per second). */
ULONG KeGetTickCount(void);

/* ==================================================================== time
 * NT's clock (kernel/ke/clock.c): interrupt time counts 100 ns units since
 * boot, one clock tick (KeQueryTimeIncrement) at a time; system time is
 * interrupt time plus the boot time read from the CMOS clock, in 100 ns
 * units since January 1, 1601 (UTC, as NT keeps it).
 */
void KeQuerySystemTime(PLARGE_INTEGER CurrentTime);
void KeQueryTickCount(PLARGE_INTEGER TickCount);
ULONGLONG KeQueryInterruptTime(void);
ULONG KeQueryTimeIncrement(void);

/* ============================================================ dispatcher
 * Dispatcher objects (include/ketypes.h) and waiting on them, NT's API
 * (kernel/ke: eventobj.c, semphobj.c, mutntobj.c, timerobj.c, wait.c).
 * Objects live in nonpaged memory. Setting or releasing is callable at
 * IRQL <= DISPATCH_LEVEL; a wait with a nonzero timeout at IRQL <= APC_LEVEL.
 * The increment of a set or release is the priority boost a waiter it
 * satisfies receives (EVENT_INCREMENT ...).
 */
#define IO_NO_INCREMENT         0
#define EVENT_INCREMENT         1
#define SEMAPHORE_INCREMENT     1
#define MUTANT_INCREMENT        1
#define MUTANT_LIMIT            0x80000000      /* recursion past this raises STATUS_MUTANT_LIMIT_EXCEEDED */

/* The priority classes: 1..15 variable, 16..31 real time. */
#define LOW_PRIORITY            0
#define LOW_REALTIME_PRIORITY   16
#define HIGH_PRIORITY           31
#define MAXIMUM_PRIORITY        32

void KeInitializeEvent(PKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
LONG KeSetEvent(PKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
LONG KeResetEvent(PKEVENT Event);
void KeClearEvent(PKEVENT Event);
LONG KePulseEvent(PKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
LONG KeReadStateEvent(PKEVENT Event);

void KeInitializeSemaphore(PKSEMAPHORE Semaphore, LONG Count, LONG Limit);
LONG KeReleaseSemaphore(PKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait);
LONG KeReadStateSemaphore(PKSEMAPHORE Semaphore);

void KeInitializeMutant(PKMUTANT Mutant, BOOLEAN InitialOwner);
LONG KeReleaseMutant(PKMUTANT Mutant, KPRIORITY Increment, BOOLEAN Abandoned, BOOLEAN Wait);
LONG KeReadStateMutant(PKMUTANT Mutant);
void KeInitializeMutex(PKMUTEX Mutex, ULONG Level);
LONG KeReleaseMutex(PKMUTEX Mutex, BOOLEAN Wait);
#define KeReadStateMutex(Mutex) KeReadStateMutant(Mutex)
#define KeWaitForMutexObject    KeWaitForSingleObject

void KeInitializeTimer(PKTIMER Timer);
void KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type);
BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc);
BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc);
BOOLEAN KeCancelTimer(PKTIMER Timer);
BOOLEAN KeReadStateTimer(PKTIMER Timer);

NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                               BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
                                  KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                  PLARGE_INTEGER Timeout, PKWAIT_BLOCK WaitBlockArray);
NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval);

/* DPCs (kernel/ke/dpcobj.c): run at DISPATCH_LEVEL once the IRQL falls below it. */
void KeInitializeDpc(PKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext);
BOOLEAN KeInsertQueueDpc(PKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2);
BOOLEAN KeRemoveQueueDpc(PKDPC Dpc);
void KeSetImportanceDpc(PKDPC Dpc, KDPC_IMPORTANCE Importance);

/* APCs (kernel/ke/apcobj.c): a routine run in the context of one thread. */
void KeInitializeApc(PKAPC Apc, PKTHREAD Thread, KAPC_ENVIRONMENT Environment, PKKERNEL_ROUTINE KernelRoutine,
                     PKRUNDOWN_ROUTINE RundownRoutine, PKNORMAL_ROUTINE NormalRoutine,
                     KPROCESSOR_MODE ApcMode, PVOID NormalContext);
BOOLEAN KeInsertQueueApc(PKAPC Apc, PVOID SystemArgument1, PVOID SystemArgument2, KPRIORITY Increment);
/*
 * Thread's queued user APC is to be delivered at its next return to ring 3
 * even if it is not in an alertable wait: any user-mode wait it is in ends
 * with STATUS_USER_APC (NT sets UserApcPending so for a termination).
 */
void KeForceUserApc(PKTHREAD Thread);
/*
 * Takes Apc off its thread's queue if it is queued (TRUE), its routines not
 * run; the pending flag follows. IRQL <= DISPATCH_LEVEL.
 */
BOOLEAN KeRemoveQueueApc(PKAPC Apc);
void KeEnterCriticalRegion(void);
void KeLeaveCriticalRegion(void);
void KeEnterGuardedRegion(void);
void KeLeaveGuardedRegion(void);
BOOLEAN KeAreApcsDisabled(void);

/* Threads and processes at the kernel's level (kernel/ke/thrdobj.c, procobj.c). */
KPRIORITY KeQueryPriorityThread(PKTHREAD Thread);
KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority);
LONG KeSetBasePriorityThread(PKTHREAD Thread, LONG Increment);
/* Gives the processor to another ready thread of the same priority, if any (NtYieldExecution). */
NTSTATUS KeYieldExecution(void);
void KeStackAttachProcess(PKPROCESS Process, PKAPC_STATE ApcState);
void KeUnstackDetachProcess(PKAPC_STATE ApcState);
void KeAttachProcess(PKPROCESS Process);
void KeDetachProcess(void);
/* Initialises a process's dispatcher part: no threads yet, BasePriority, its page directory's CR3. */
void KeInitializeProcess(PKPROCESS Process, KPRIORITY BasePriority, ULONG DirectoryTableBase);
/* The process whose address space the current thread runs in (the attached one while attached). */
static inline PKPROCESS KeGetCurrentProcess(void)
{
    return KeGetCurrentThread()->ApcState.Process;
}

/* ========================================================= fast mutexes
 * NT's FAST_MUTEX (kernel/ke/fmutex.c): the lock for code that may take
 * page faults while holding it, such as paged pool. The holder runs at
 * APC_LEVEL; a thread that finds it held waits on its event. Acquiring one
 * the current thread already holds would deadlock in NT; mm386 stops with
 * SPIN_LOCK_ALREADY_OWNED (0x0F), and releasing one the thread does not
 * hold with SPIN_LOCK_NOT_OWNED (0x10). Callable at IRQL <= APC_LEVEL.
 * Guarded mutexes (KGUARDED_MUTEX) are the same lock entered in a guarded
 * region instead of at APC_LEVEL.
 */
typedef struct _FAST_MUTEX {
    volatile LONG Count;            /* 1 free, 0 held, below 0 held with waiters */
    PKTHREAD Owner;
    ULONG Contention;               /* acquisitions that had to wait */
    KEVENT Event;                   /* synchronization event the waiters wait on */
    ULONG OldIrql;
} FAST_MUTEX, *PFAST_MUTEX, KGUARDED_MUTEX, *PKGUARDED_MUTEX;

void ExInitializeFastMutex(PFAST_MUTEX FastMutex);
/* The out-of-line halves of the inline acquire and release below: recursion, waiting, waking. */
void ExpAcquireFastMutexContended(PFAST_MUTEX FastMutex, PKTHREAD Thread);
void ExpReleaseFastMutexContended(PFAST_MUTEX FastMutex);
NORETURN void ExpFastMutexNotOwned(PFAST_MUTEX FastMutex);

/* Inline: the uncontended pair is on the path of every paged pool allocation and every handle. */
static inline void ExAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    KIRQL OldIrql = KfRaiseIrql(APC_LEVEL);
    PKTHREAD Thread = KeGetCurrentThread();
    if (UNLIKELY(FastMutex->Owner == Thread) ||
        UNLIKELY(__atomic_sub_fetch(&FastMutex->Count, 1, __ATOMIC_ACQUIRE) != 0))
        ExpAcquireFastMutexContended(FastMutex, Thread);
    FastMutex->Owner = Thread;
    FastMutex->OldIrql = OldIrql;
}

static inline void ExReleaseFastMutex(PFAST_MUTEX FastMutex)
{
    KIRQL OldIrql = (KIRQL)FastMutex->OldIrql;
    if (UNLIKELY(FastMutex->Owner != KeGetCurrentThread()))
        ExpFastMutexNotOwned(FastMutex);
    FastMutex->Owner = NULL;
    if (UNLIKELY(__atomic_add_fetch(&FastMutex->Count, 1, __ATOMIC_RELEASE) != 1))
        ExpReleaseFastMutexContended(FastMutex);
    KeLowerIrql(OldIrql);
}

BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex);
/* The caller is already at APC_LEVEL or in a critical region. */
void ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex);
void ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex);
void KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex);
void KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);
void KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex);
BOOLEAN KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);

#endif
