/*
 * kernel/ke/thrdobj.c — the kernel's thread object: birth and death.
 *
 * A KTHREAD is a dispatcher object (signalled when the thread terminates)
 * with a kernel stack, a saved stack pointer, a state, priorities and a
 * quantum, and the wait blocks it waits through. KeInitializeThread makes
 * the stack look as if the thread had called KiSwapContext itself (a saved
 * register frame whose return address is KiThreadStartup), so the first
 * switch to it needs no special case: KiSwapContext "returns" into
 * KiThreadStartup, which releases the dispatcher lock the switching thread
 * held, drops to APC_LEVEL, enables interrupts and calls the system routine
 * (ps's PspSystemThreadStartup, which calls the start routine). A thread
 * made with a context frame is a user thread: KeInitializeThread puts a
 * trap frame holding that context at the top of its stack, its system
 * routine (PspUserThreadStartup) returns, and KiThreadStartup leaves
 * through the trap frame into ring 3 (KiExitToUserMode).
 *
 * A thread ends by calling KeTerminateThread on itself: its mutants are
 * abandoned, its APCs run down, the thread object is signalled, it leaves
 * its process and the processor. It cannot free the stack it is running
 * on, so it goes on a reaper's list (ps's) and the reaper's event is set;
 * the reaper, running on another stack, drops the reference that frees it
 * once the switch away has happened: both happen under the dispatcher
 * lock, which is held across the switch, so the reaper cannot run first.
 */
#include <hal.h>
#include <rtl.h>
#include "kernel/ke/ki.h"

/* The frame KiSwapContext pops (ctxswap.asm), then KiThreadStartup's own frame. */
typedef struct _KI_START_FRAME {
    PVOID ExceptionList;
    ULONG EFlags;
    ULONG Edi, Esi, Ebx, Ebp;
    PVOID ReturnAddress;                /* KiThreadStartup */
    PVOID StartupReturnAddress;         /* never used: KiThreadStartup does not return */
    PKSYSTEM_ROUTINE SystemRoutine;
    PKSTART_ROUTINE StartRoutine;
    PVOID StartContext;
} KI_START_FRAME;

/*
 * A new thread's first code: the switch to it left the dispatcher lock held
 * and the IRQL at DISPATCH_LEVEL, with interrupts off.
 */
static NORETURN void KiThreadStartup(PKSYSTEM_ROUTINE SystemRoutine, PKSTART_ROUTINE StartRoutine,
                                     PVOID StartContext)
{
    KeReleaseSpinLockFromDpcLevel(&KiDispatcherLock);
    KiRequestPendingApc(KeGetCurrentThread());
    KeLowerIrql(APC_LEVEL);
    HalEnableInterrupts();
    SystemRoutine(StartRoutine, StartContext);
    if (KeGetCurrentThread()->TrapFrame)
        KiExitToUserMode(KeGetCurrentThread()->TrapFrame);
    KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, STATUS_UNSUCCESSFUL, (ULONG_PTR)SystemRoutine,
                 (ULONG_PTR)StartRoutine, (ULONG_PTR)KeGetCurrentThread());
}

static void InitializeApcState(PKAPC_STATE ApcState, PKPROCESS Process)
{
    InitializeListHead(&ApcState->ApcListHead[KernelMode]);
    InitializeListHead(&ApcState->ApcListHead[UserMode]);
    ApcState->Process = Process;
    ApcState->KernelApcInProgress = FALSE;
    ApcState->KernelApcPending = FALSE;
    ApcState->UserApcPending = FALSE;
}

void KeInitializeThread(PKTHREAD Thread, PVOID KernelStack, PVOID StackLimit, PKSYSTEM_ROUTINE SystemRoutine,
                        PKSTART_ROUTINE StartRoutine, PVOID StartContext, PCONTEXT ContextFrame, PVOID Teb,
                        PKPROCESS Process)
{
    KiInitializeDispatcherHeader(&Thread->Header, ThreadObject, sizeof(KTHREAD), 0);
    InitializeListHead(&Thread->MutantListHead);
    InitializeApcState(&Thread->ApcState, Process);
    InitializeApcState(&Thread->SavedApcState, NULL);
    Thread->ApcStatePointer[OriginalApcEnvironment] = &Thread->ApcState;
    Thread->ApcStatePointer[AttachedApcEnvironment] = &Thread->SavedApcState;
    Thread->ApcStateIndex = OriginalApcEnvironment;
    Thread->InitialStack = KernelStack;
    Thread->StackLimit = StackLimit;
    Thread->Process = Process;
    Thread->BasePriority = Thread->Priority = Process->BasePriority;
    Thread->QuantumReset = Thread->Quantum = Process->QuantumReset;
    Thread->State = Initialized;
    Thread->WaitIrql = PASSIVE_LEVEL;
    Thread->PreviousMode = KernelMode;

    KeInitializeTimer(&Thread->Timer);
    PKWAIT_BLOCK TimerBlock = &Thread->WaitBlock[TIMER_WAIT_BLOCK];
    TimerBlock->Object = &Thread->Timer;
    TimerBlock->WaitKey = (USHORT)STATUS_TIMEOUT;
    TimerBlock->WaitType = WaitAny;
    TimerBlock->Thread = Thread;

    Thread->Teb = Teb;
    if (ContextFrame) {
        /*
         * A thread that will run in ring 3: its first entry into ring 3 is
         * the exit through a trap frame at the top of its kernel stack,
         * where the CPU puts one for every trap from ring 3, holding the
         * registers it starts with.
         */
        PKTRAP_FRAME TrapFrame = (PKTRAP_FRAME)KernelStack - 1;
        memset(TrapFrame, 0, sizeof(*TrapFrame));
        KeContextToTrapFrame(ContextFrame, TrapFrame);
        Thread->TrapFrame = TrapFrame;
        Thread->PreviousMode = UserMode;
        KernelStack = TrapFrame;
    }
    if (SystemRoutine) {
        KI_START_FRAME *Frame = (KI_START_FRAME *)KernelStack - 1;
        *Frame = (KI_START_FRAME){
            .EFlags = EFLAGS_RESERVED1,
            .ReturnAddress = (PVOID)KiThreadStartup,
            .SystemRoutine = SystemRoutine,
            .StartRoutine = StartRoutine,
            .StartContext = StartContext,
        };
        Thread->KernelStack = Frame;
    }
}

void KeStartThread(PKTHREAD Thread)
{
    KIRQL OldIrql = KiAcquireDispatcherLock();
    PKPROCESS Process = Thread->Process;
    InsertTailList(&Process->ThreadListHead, &Thread->ThreadListEntry);
    Process->StackCount++;
    KiReadyThread(Thread);
    KiReleaseDispatcherLock(OldIrql);
}

void KeRundownThread(void)
{
    PKTHREAD Thread = KeGetCurrentThread();
    KIRQL OldIrql = KiAcquireDispatcherLock();

    while (!IsListEmpty(&Thread->MutantListHead)) {
        PKMUTANT Mutant = CONTAINING_RECORD(Thread->MutantListHead.Flink, KMUTANT, MutantListEntry);
        if (Mutant->ApcDisable)
            KeBugCheckEx(THREAD_TERMINATE_HELD_MUTEX, (ULONG_PTR)Thread, (ULONG_PTR)Mutant, 0, 0);
        KiAbandonMutant(Mutant);
    }
    KiReleaseDispatcherLock(OldIrql);
}

NORETURN void KeTerminateThread(PKTHREAD_REAPER Reaper)
{
    PKTHREAD Thread = KeGetCurrentThread();

    KeRundownThread();
    KiFlushQueueApc(Thread);
    KiAcquireDispatcherLock();
    RemoveEntryList(&Thread->ThreadListEntry);
    Thread->Process->StackCount--;
    Thread->Header.SignalState = 1;
    if (!IsListEmpty(&Thread->Header.WaitListHead))
        KiWaitTest(&Thread->Header, 0);
    /* The last thread of a process: the process object is signalled too, as it leaves (NT's order). */
    if (IsListEmpty(&Thread->Process->ThreadListHead)) {
        Thread->Process->Header.SignalState = 1;
        if (!IsListEmpty(&Thread->Process->Header.WaitListHead))
            KiWaitTest(&Thread->Process->Header, 0);
    }
    Thread->State = Terminated;
    if (Reaper) {
        InsertTailList(&Reaper->ListHead, &Thread->WaitListEntry);
        KiSetEventLocked(&Reaper->Event, 0);
    }
    KiSwapThread(Thread);
    KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, STATUS_UNSUCCESSFUL, (ULONG_PTR)Thread, 0, 0);
}

void KeInitializeProcess(PKPROCESS Process, KPRIORITY BasePriority, ULONG DirectoryTableBase)
{
    KiInitializeDispatcherHeader(&Process->Header, ProcessObject, sizeof(KPROCESS), 0);
    InitializeListHead(&Process->ThreadListHead);
    Process->DirectoryTableBase = DirectoryTableBase;
    Process->BasePriority = (SCHAR)BasePriority;
    Process->QuantumReset = THREAD_QUANTUM;
    Process->StackCount = 0;
}
