/*
 * kernel/ke/thrdschd.c — thread scheduling: ready queues, preemption,
 * quantum end, the thread switch.
 *
 * NT schedules threads by priority, 0..31, preemptively. Each processor's
 * KPRCB holds a ready queue per priority (DispatcherReadyListHead, threads
 * linked through KTHREAD.WaitListEntry) and a summary bitmap, ReadySummary
 * (NT 5.0's KiReadySummary), with bit n set when queue n is not empty: the
 * highest ready thread is found with one bit scan. A thread that becomes
 * ready (KiReadyThread) either preempts — its priority is higher than the
 * running thread's, so it becomes the processor's NextThread (Standby) and a
 * dispatch software interrupt is requested — or joins the tail of its
 * queue. The switch itself happens only when the IRQL falls below
 * DISPATCH_LEVEL (hal/irql.c delivers the dispatch interrupt then, into
 * KiDispatchInterrupt), so never inside a device interrupt and never while
 * a spin lock is held. A thread that waits switches away itself, through
 * KiSwapThread.
 *
 * Threads of equal priority share the processor round-robin: the clock
 * takes CLOCK_QUANTUM_DECREMENT from the running thread's quantum every
 * tick (KiUpdateRunTime); at zero, KiQuantumEnd gives it a fresh quantum,
 * takes one step off any priority boost it was given, and moves it behind
 * the next ready thread of its priority. Priorities 16..31 are real-time:
 * never boosted, never decayed.
 *
 * The dispatcher lock (KiDispatcherLock) guards the queues and every
 * thread's state. It is held across KiSwapContext: the thread that takes it
 * switches away with it held, and the thread that runs next releases it.
 */
#include <hal.h>
#include <ps.h>
#include "kernel/ke/ki.h"

KSPIN_LOCK KiDispatcherLock;

static inline void QueueReadyThread(PKPRCB Prcb, PKTHREAD Thread, bool Head)
{
    Thread->State = Ready;
    if (Head)
        InsertHeadList(&Prcb->DispatcherReadyListHead[Thread->Priority], &Thread->WaitListEntry);
    else
        InsertTailList(&Prcb->DispatcherReadyListHead[Thread->Priority], &Thread->WaitListEntry);
    Prcb->ReadySummary |= 1u << Thread->Priority;
}

static inline void DequeueReadyThread(PKPRCB Prcb, PKTHREAD Thread)
{
    RemoveEntryList(&Thread->WaitListEntry);
    if (IsListEmpty(&Prcb->DispatcherReadyListHead[Thread->Priority]))
        Prcb->ReadySummary &= ~(1u << Thread->Priority);
}

PKTHREAD KiSelectReadyThread(KPRIORITY LowPriority)
{
    PKPRCB Prcb = KeGetCurrentPrcb();
    ULONG Summary = Prcb->ReadySummary & (0xFFFFFFFFu << LowPriority);
    if (Summary == 0)
        return NULL;
    ULONG Priority = 31 - (ULONG)__builtin_clz(Summary);
    PLIST_ENTRY Entry = RemoveHeadList(&Prcb->DispatcherReadyListHead[Priority]);
    if (IsListEmpty(&Prcb->DispatcherReadyListHead[Priority]))
        Prcb->ReadySummary &= ~(1u << Priority);
    return CONTAINING_RECORD(Entry, KTHREAD, WaitListEntry);
}

void KiReadyThread(PKTHREAD Thread)
{
    PKPRCB Prcb = KeGetCurrentPrcb();
    PKTHREAD Next = Prcb->NextThread;
    PKTHREAD Current = Prcb->CurrentThread;

    Thread->WaitTime = KiTickCountLow();
    if (Next == NULL) {
        if (Thread != Current && (Thread->Priority > Current->Priority || Current == Prcb->IdleThread)) {
            Thread->State = Standby;
            Prcb->NextThread = Thread;
            HalRequestSoftwareInterrupt(DISPATCH_LEVEL);
            return;
        }
    } else if (Thread->Priority > Next->Priority) {
        Thread->State = Standby;
        Prcb->NextThread = Thread;
        QueueReadyThread(Prcb, Next, true);
        return;
    }
    QueueReadyThread(Prcb, Thread, false);
}

/*
 * Switches from Old (the current thread) to New: New's address space if it
 * is another process's (the memory manager first brings the new directory's
 * system PDEs up to date, so New's kernel stack is mapped there), its stack
 * bounds, its TEB selector, then the registers and stack (ctxswap.asm).
 * Returns when Old runs again. Dispatcher lock held.
 */
static inline __attribute__((always_inline)) void SwapContext(PKPRCB Prcb, PKTHREAD Old, PKTHREAD New)
{
    ULONG Cr3 = 0;

    New->State = Running;
    New->ContextSwitches++;
    Prcb->ContextSwitches++;
    Prcb->CurrentThread = New;
    if (New->ApcState.Process != Old->ApcState.Process) {
        PEPROCESS Process = CONTAINING_RECORD(New->ApcState.Process, EPROCESS, Pcb);
        Cr3 = MmPrepareAddressSpaceSwitch(&Process->AddressSpace);
    }
    KiPcr.StackBase = New->InitialStack;
    KiPcr.StackLimit = New->StackLimit;
    if (New->Teb)
        HalSetTebBase(New->Teb);
    if (Cr3)
        HalTbFlushCounts.ProcessFlushes++;
    /* A requested APC interrupt and a quantum end the clock found are the old thread's, not the new one's. */
    KiPcr.IRR &= ~(1u << APC_LEVEL);
    Prcb->QuantumEnd = FALSE;
    if (Old->Quantum <= 0)
        Old->Quantum = Old->QuantumReset;
    KiSwapContext(&Old->KernelStack, New->KernelStack, Cr3, New->InitialStack);
    KiRequestPendingApc(Old);
}

void KiRequestPendingApc(PKTHREAD Thread)
{
    if (Thread->ApcState.KernelApcPending && Thread->SpecialApcDisable == 0)
        KiPcr.IRR |= 1u << APC_LEVEL;
}

LONG_PTR KiSwapThread(PKTHREAD Thread)
{
    PKPRCB Prcb = KeGetCurrentPrcb();
    PKTHREAD Next = Prcb->NextThread;

    if (Prcb->DpcRoutineActive)
        KeBugCheckEx(ATTEMPTED_SWITCH_FROM_DPC, (ULONG_PTR)Thread, (ULONG_PTR)Next,
                     (ULONG_PTR)__builtin_frame_address(0), 0);
    if (Next != NULL) {
        Prcb->NextThread = NULL;
    } else {
        Next = KiSelectReadyThread(0);
        if (Next == NULL)
            Next = Prcb->IdleThread;
    }
    if (Next != Thread)
        SwapContext(Prcb, Thread, Next);
    else
        Thread->State = Running;

    KIRQL WaitIrql = Thread->WaitIrql;
    LONG_PTR Status = Thread->WaitStatus;
    KeReleaseSpinLockFromDpcLevel(&KiDispatcherLock);
    KeLowerIrql(WaitIrql);
    return Status;
}

/*
 * The running thread's quantum is used up: a fresh one, one step off its
 * boost, and the processor to the next ready thread of the same (or, after
 * the decay, a higher) priority. DISPATCH_LEVEL.
 */
static void KiQuantumEnd(PKPRCB Prcb)
{
    PKTHREAD Thread = Prcb->CurrentThread;

    KeAcquireSpinLockAtDpcLevel(&KiDispatcherLock);
    Prcb->QuantumEnds++;
    Thread->Quantum = Thread->QuantumReset;
    if (Thread->Priority < LOW_REALTIME_PRIORITY && Thread->Priority > Thread->BasePriority) {
        Thread->Priority--;
        Thread->PriorityDecrement = (SCHAR)(Thread->Priority - Thread->BasePriority);
    }
    if (Prcb->NextThread == NULL) {
        PKTHREAD Next = KiSelectReadyThread(Thread->Priority);
        if (Next != NULL) {
            Next->State = Standby;
            Prcb->NextThread = Next;
        }
    }
    if (Prcb->NextThread != NULL) {
        PKTHREAD Next = Prcb->NextThread;
        Prcb->NextThread = NULL;
        QueueReadyThread(Prcb, Thread, false);
        Thread->WaitIrql = DISPATCH_LEVEL;
        Thread->WaitReason = WrQuantumEnd;
        SwapContext(Prcb, Thread, Next);
    }
    KeReleaseSpinLockFromDpcLevel(&KiDispatcherLock);
}

/*
 * The dispatch software interrupt, at DISPATCH_LEVEL: the DPC queue first,
 * then a quantum end the clock found, then a switch to the NextThread that
 * KiReadyThread chose. The preempted thread goes back to the head of its
 * ready queue, keeping what is left of its quantum, as in NT.
 */
void KiDispatchInterrupt(void)
{
    PKPRCB Prcb = KeGetCurrentPrcb();

    if (!IsListEmpty(&Prcb->DpcListHead))
        KiRetireDpcList(Prcb);
    if (Prcb->QuantumEnd) {
        Prcb->QuantumEnd = FALSE;
        KiQuantumEnd(Prcb);
        return;
    }
    if (Prcb->NextThread == NULL)
        return;
    KeAcquireSpinLockAtDpcLevel(&KiDispatcherLock);
    PKTHREAD Next = Prcb->NextThread;
    if (Next != NULL) {
        PKTHREAD Thread = Prcb->CurrentThread;
        Prcb->NextThread = NULL;
        QueueReadyThread(Prcb, Thread, true);
        Thread->WaitIrql = DISPATCH_LEVEL;
        Thread->WaitReason = WrPreempted;
        SwapContext(Prcb, Thread, Next);
    }
    KeReleaseSpinLockFromDpcLevel(&KiDispatcherLock);
}

void KiUpdateRunTime(KTRAP_FRAME *TrapFrame)
{
    PKPRCB Prcb = KeGetCurrentPrcb();
    PKTHREAD Thread = Prcb->CurrentThread;

    if (Thread == Prcb->IdleThread) {
        Prcb->IdleTime++;
        return;
    }
    if (KiTrapFromUserMode(TrapFrame)) {
        Thread->UserTime++;
        Thread->ApcState.Process->UserTime++;
    } else if (Prcb->DpcRoutineActive) {
        Prcb->DpcTime++;
    } else if (KeGetPcr()->InterruptNesting > 1) {
        Prcb->InterruptTime++;
    } else {
        Thread->KernelTime++;
        Thread->ApcState.Process->KernelTime++;
        Prcb->KernelTime++;
    }
    Thread->Quantum -= CLOCK_QUANTUM_DECREMENT;
    if (Thread->Quantum <= 0) {
        Prcb->QuantumEnd = TRUE;
        HalRequestSoftwareInterrupt(DISPATCH_LEVEL);
    }
}

NTSTATUS KeYieldExecution(void)
{
    PKTHREAD Thread = KeGetCurrentThread();
    PKPRCB Prcb = KeGetCurrentPrcb();
    KIRQL OldIrql = KiAcquireDispatcherLock();

    PKTHREAD Next = Prcb->NextThread ? Prcb->NextThread : KiSelectReadyThread(Thread->Priority);
    if (Next == NULL) {
        KiReleaseDispatcherLock(OldIrql);
        return STATUS_NO_YIELD_PERFORMED;
    }
    if (Next == Prcb->NextThread)
        Prcb->NextThread = NULL;
    Thread->Quantum = Thread->QuantumReset;
    QueueReadyThread(Prcb, Thread, false);
    Thread->WaitIrql = OldIrql;
    Thread->WaitReason = WrYieldExecution;
    Next->State = Standby;
    Prcb->NextThread = Next;
    KiSwapThread(Thread);
    return STATUS_SUCCESS;
}

/*
 * Moves Thread to Priority, wherever it is: requeued if ready, and if it is
 * running and now lower than a ready thread, or ready and now higher than
 * the running one, the processor is rescheduled. Lock held.
 */
static void KiSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority)
{
    PKPRCB Prcb = KeGetCurrentPrcb();

    if (Thread->Priority == Priority)
        return;
    switch (Thread->State) {
    case Ready:
        DequeueReadyThread(Prcb, Thread);
        Thread->Priority = (SCHAR)Priority;
        KiReadyThread(Thread);
        break;
    case Standby:
        Thread->Priority = (SCHAR)Priority;
        if (Prcb->ReadySummary >> (Priority + 1)) {
            Prcb->NextThread = NULL;
            KiReadyThread(Thread);
        }
        break;
    case Running:
        Thread->Priority = (SCHAR)Priority;
        if (Prcb->NextThread == NULL && (Prcb->ReadySummary >> (Priority + 1))) {
            PKTHREAD Next = KiSelectReadyThread(Priority + 1);
            Next->State = Standby;
            Prcb->NextThread = Next;
            HalRequestSoftwareInterrupt(DISPATCH_LEVEL);
        }
        break;
    default:
        Thread->Priority = (SCHAR)Priority;
        break;
    }
}

KPRIORITY KeQueryPriorityThread(PKTHREAD Thread)
{
    return Thread->Priority;
}

KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority)
{
    ASSERT(Priority >= LOW_PRIORITY && Priority <= HIGH_PRIORITY);
    KIRQL OldIrql = KiAcquireDispatcherLock();
    KPRIORITY Old = Thread->Priority;
    Thread->BasePriority = (SCHAR)Priority;
    Thread->PriorityDecrement = 0;
    Thread->Quantum = Thread->QuantumReset;
    KiSetPriorityThread(Thread, Priority);
    KiReleaseDispatcherLock(OldIrql);
    return Old;
}

/*
 * NT's rule: the base becomes the process's base priority plus Increment,
 * kept within the thread's class (1..15 variable, 16..31 real time).
 * Returns the old increment.
 */
LONG KeSetBasePriorityThread(PKTHREAD Thread, LONG Increment)
{
    KIRQL OldIrql = KiAcquireDispatcherLock();
    KPRIORITY ProcessBase = Thread->Process->BasePriority;
    LONG Old = Thread->BasePriority - ProcessBase;
    KPRIORITY Base = ProcessBase + Increment;
    if (ProcessBase >= LOW_REALTIME_PRIORITY)
        Base = MIN(MAX(Base, LOW_REALTIME_PRIORITY), HIGH_PRIORITY);
    else
        Base = MIN(MAX(Base, 1), LOW_REALTIME_PRIORITY - 1);
    Thread->BasePriority = (SCHAR)Base;
    Thread->PriorityDecrement = 0;
    KiSetPriorityThread(Thread, Base);
    KiReleaseDispatcherLock(OldIrql);
    return Old;
}
