/*
 * kernel/ke/apcobj.c — asynchronous procedure calls.
 *
 * An APC runs a routine in the context of one particular thread: the
 * kernel's way to make a thread do something to itself (complete its I/O,
 * terminate, get a user-mode callback). Each thread has two queues per APC
 * environment (KAPC_STATE: kernel and user), and two environments — its
 * own process's and, while attached to another process, that one's
 * (ApcStatePointer, ApcStateIndex). A kernel APC queued for the running
 * thread requests the APC_LEVEL software interrupt; queued for a thread
 * waiting at PASSIVE_LEVEL it ends the wait with STATUS_KERNEL_APC, the
 * thread runs the APC as it comes back from KiSwapThread and then waits
 * again (wait.c). Delivery (KiDeliverApc, at APC_LEVEL): special kernel APCs
 * (no normal routine) always, unless the thread is in a guarded region;
 * normal kernel APCs only outside critical regions (KernelApcDisable) and
 * one at a time, their kernel routine at APC_LEVEL and their normal routine
 * at PASSIVE_LEVEL. User APCs wait for the thread's return to user mode:
 * an alertable user-mode wait ends for one (STATUS_USER_APC), and on its way
 * out to ring 3 (the system-service exit, the end of a trap from ring 3)
 * the thread delivers one (KiDeliverUserApc): its kernel routine here, its
 * normal routine in ring 3 through the process's KiUserApcDispatcher
 * (kernel/ke/except.c builds the frame), which comes back with NtContinue
 * to take the next. KeForceUserApc makes the queued one end any user-mode
 * wait, alertable or not: how a thread is terminated cleanly (NT's way:
 * its kernel stack has unwound by the time it dies).
 *
 * The queues are guarded by the dispatcher lock.
 */
#include <hal.h>
#include "kernel/ke/ki.h"

void KeInitializeApc(PKAPC Apc, PKTHREAD Thread, KAPC_ENVIRONMENT Environment, PKKERNEL_ROUTINE KernelRoutine,
                     PKRUNDOWN_ROUTINE RundownRoutine, PKNORMAL_ROUTINE NormalRoutine,
                     KPROCESSOR_MODE ApcMode, PVOID NormalContext)
{
    Apc->Type = ApcObject;
    Apc->Thread = Thread;
    Apc->ApcStateIndex = Environment == CurrentApcEnvironment ? Thread->ApcStateIndex : (UCHAR)Environment;
    Apc->KernelRoutine = KernelRoutine;
    Apc->RundownRoutine = RundownRoutine;
    Apc->NormalRoutine = NormalRoutine;
    if (NormalRoutine) {
        Apc->ApcMode = (UCHAR)ApcMode;
        Apc->NormalContext = NormalContext;
    } else {
        Apc->ApcMode = KernelMode;
        Apc->NormalContext = NULL;
    }
    Apc->Inserted = FALSE;
}

/* Can a kernel APC of this kind run on Thread now (as far as its disables say)? */
static bool KiKernelApcDeliverable(PKTHREAD Thread, const KAPC *Apc)
{
    if (Thread->SpecialApcDisable)
        return false;
    return Apc->NormalRoutine == NULL ||
           (Thread->KernelApcDisable == 0 && !Thread->ApcState.KernelApcInProgress);
}

BOOLEAN KeInsertQueueApc(PKAPC Apc, PVOID SystemArgument1, PVOID SystemArgument2, KPRIORITY Increment)
{
    PKTHREAD Thread = Apc->Thread;
    KIRQL OldIrql = KiAcquireDispatcherLock();

    if (Apc->Inserted || Thread->State == Terminated) {
        KiReleaseDispatcherLock(OldIrql);
        return FALSE;
    }
    Apc->SystemArgument1 = SystemArgument1;
    Apc->SystemArgument2 = SystemArgument2;
    Apc->Inserted = TRUE;
    PKAPC_STATE ApcState = Thread->ApcStatePointer[Apc->ApcStateIndex];
    PLIST_ENTRY Head = &ApcState->ApcListHead[Apc->ApcMode];
    if (Apc->NormalRoutine == NULL) {
        /* Special kernel APCs go before every normal one, in the order they came. */
        PLIST_ENTRY Entry = Head->Flink;
        while (Entry != Head && CONTAINING_RECORD(Entry, KAPC, ApcListEntry)->NormalRoutine == NULL)
            Entry = Entry->Flink;
        InsertTailList(Entry, &Apc->ApcListEntry);
    } else {
        InsertTailList(Head, &Apc->ApcListEntry);
    }

    if (Apc->ApcStateIndex == Thread->ApcStateIndex) {
        if (Apc->ApcMode == KernelMode) {
            ApcState->KernelApcPending = TRUE;
            if (Thread == KeGetCurrentThread()) {
                HalRequestSoftwareInterrupt(APC_LEVEL);
            } else if (Thread->State == Waiting && Thread->WaitIrql == PASSIVE_LEVEL &&
                       KiKernelApcDeliverable(Thread, Apc)) {
                KiUnwaitThread(Thread, STATUS_KERNEL_APC, Increment);
            }
        } else if (Thread->State == Waiting && Thread->WaitMode == UserMode &&
                   (Thread->Alertable || ApcState->UserApcPending)) {
            KiSetUserApcPending(Thread);
            KiUnwaitThread(Thread, STATUS_USER_APC, Increment);
        }
    }
    KiReleaseDispatcherLock(OldIrql);
    return TRUE;
}

BOOLEAN KeRemoveQueueApc(PKAPC Apc)
{
    KIRQL OldIrql = KiAcquireDispatcherLock();
    BOOLEAN Inserted = Apc->Inserted;
    if (Inserted) {
        PKAPC_STATE ApcState = Apc->Thread->ApcStatePointer[Apc->ApcStateIndex];
        RemoveEntryList(&Apc->ApcListEntry);
        Apc->Inserted = FALSE;
        if (IsListEmpty(&ApcState->ApcListHead[Apc->ApcMode])) {
            if (Apc->ApcMode == KernelMode)
                ApcState->KernelApcPending = FALSE;
            else
                ApcState->UserApcPending = FALSE;
        }
    }
    KiReleaseDispatcherLock(OldIrql);
    return Inserted;
}

void KiDeliverApc(KPROCESSOR_MODE PreviousMode)
{
    PKTHREAD Thread = KeGetCurrentThread();
    PKAPC_STATE ApcState = &Thread->ApcState;
    PLIST_ENTRY Head = &ApcState->ApcListHead[KernelMode];

    ApcState->KernelApcPending = FALSE;
    for (;;) {
        KIRQL OldIrql = KiAcquireDispatcherLock();
        if (IsListEmpty(Head)) {
            KiReleaseDispatcherLock(OldIrql);
            return;
        }
        PKAPC Apc = CONTAINING_RECORD(Head->Flink, KAPC, ApcListEntry);
        if (!KiKernelApcDeliverable(Thread, Apc)) {
            KiReleaseDispatcherLock(OldIrql);
            return;
        }
        RemoveEntryList(&Apc->ApcListEntry);
        Apc->Inserted = FALSE;
        PKNORMAL_ROUTINE NormalRoutine = Apc->NormalRoutine;
        PVOID NormalContext = Apc->NormalContext;
        PVOID Argument1 = Apc->SystemArgument1, Argument2 = Apc->SystemArgument2;
        KiReleaseDispatcherLock(OldIrql);

        Apc->KernelRoutine(Apc, &NormalRoutine, &NormalContext, &Argument1, &Argument2);
        if (NormalRoutine) {
            ApcState->KernelApcInProgress = TRUE;
            KeLowerIrql(PASSIVE_LEVEL);
            NormalRoutine(NormalContext, Argument1, Argument2);
            KeRaiseIrql(APC_LEVEL, &OldIrql);
            ApcState->KernelApcInProgress = FALSE;
        }
    }
}

void KeForceUserApc(PKTHREAD Thread)
{
    KIRQL OldIrql = KiAcquireDispatcherLock();
    if (!IsListEmpty(&Thread->ApcState.ApcListHead[UserMode])) {
        KiSetUserApcPending(Thread);
        if (Thread->State == Waiting && Thread->WaitMode == UserMode)
            KiUnwaitThread(Thread, STATUS_USER_APC, 0);
    }
    KiReleaseDispatcherLock(OldIrql);
}

void KiDeliverUserApc(PKTRAP_FRAME TrapFrame)
{
    PKTHREAD Thread = KeGetCurrentThread();
    PKAPC_STATE ApcState = &Thread->ApcState;
    KIRQL OldIrql;

    KeRaiseIrql(APC_LEVEL, &OldIrql);
    KIRQL LockIrql = KiAcquireDispatcherLock();
    ApcState->UserApcPending = FALSE;
    if (IsListEmpty(&ApcState->ApcListHead[UserMode])) {
        KiReleaseDispatcherLock(LockIrql);
        KeLowerIrql(OldIrql);
        return;
    }
    PKAPC Apc = CONTAINING_RECORD(RemoveHeadList(&ApcState->ApcListHead[UserMode]), KAPC, ApcListEntry);
    Apc->Inserted = FALSE;
    PKNORMAL_ROUTINE NormalRoutine = Apc->NormalRoutine;
    PVOID NormalContext = Apc->NormalContext;
    PVOID Argument1 = Apc->SystemArgument1, Argument2 = Apc->SystemArgument2;
    KiReleaseDispatcherLock(LockIrql);

    Apc->KernelRoutine(Apc, &NormalRoutine, &NormalContext, &Argument1, &Argument2);
    KeLowerIrql(OldIrql);
    if (NormalRoutine)
        KiInitializeUserApc(TrapFrame, NormalRoutine, NormalContext, Argument1, Argument2);
}

void KiApcInterrupt(void)
{
    KiDeliverApc(KernelMode);
}

void KiFlushQueueApc(PKTHREAD Thread)
{
    for (int Mode = KernelMode; Mode <= UserMode; Mode++) {
        KIRQL OldIrql = KiAcquireDispatcherLock();
        PLIST_ENTRY Head = &Thread->ApcState.ApcListHead[Mode];
        LIST_ENTRY Flushed;
        InitializeListHead(&Flushed);
        while (!IsListEmpty(Head)) {
            PLIST_ENTRY Entry = RemoveHeadList(Head);
            CONTAINING_RECORD(Entry, KAPC, ApcListEntry)->Inserted = FALSE;
            InsertTailList(&Flushed, Entry);
        }
        KiReleaseDispatcherLock(OldIrql);
        while (!IsListEmpty(&Flushed)) {
            PKAPC Apc = CONTAINING_RECORD(RemoveHeadList(&Flushed), KAPC, ApcListEntry);
            if (Apc->RundownRoutine)
                Apc->RundownRoutine(Apc);
        }
    }
}

/* The thread left a critical or guarded region: deliver what waited for it. */
static void KiCheckForKernelApcDelivery(PKTHREAD Thread)
{
    if (!IsListEmpty(&Thread->ApcState.ApcListHead[KernelMode])) {
        Thread->ApcState.KernelApcPending = TRUE;
        HalRequestSoftwareInterrupt(APC_LEVEL);
    }
}

void KeEnterCriticalRegion(void)
{
    KeGetCurrentThread()->KernelApcDisable++;
}

void KeLeaveCriticalRegion(void)
{
    PKTHREAD Thread = KeGetCurrentThread();
    ASSERT(Thread->KernelApcDisable > 0);
    if (--Thread->KernelApcDisable == 0 && Thread->SpecialApcDisable == 0)
        KiCheckForKernelApcDelivery(Thread);
}

void KeEnterGuardedRegion(void)
{
    KeGetCurrentThread()->SpecialApcDisable++;
}

void KeLeaveGuardedRegion(void)
{
    PKTHREAD Thread = KeGetCurrentThread();
    ASSERT(Thread->SpecialApcDisable > 0);
    if (--Thread->SpecialApcDisable == 0)
        KiCheckForKernelApcDelivery(Thread);
}

BOOLEAN KeAreApcsDisabled(void)
{
    PKTHREAD Thread = KeGetCurrentThread();
    return Thread->KernelApcDisable != 0 || Thread->SpecialApcDisable != 0;
}
