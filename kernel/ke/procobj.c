/*
 * kernel/ke/procobj.c — attaching a thread to another process's address
 * space.
 *
 * A thread runs in its own process's address space, except while it is
 * attached to another: KeStackAttachProcess switches the current thread to
 * Process's page directory (the dispatcher reloads it on every switch back
 * to the thread, since it takes the CR3 from KTHREAD.ApcState.Process) and
 * moves the thread's APC state aside — APCs queued for the thread's own
 * process wait until it detaches. The caller's KAPC_STATE receives the
 * state to restore, so attaches nest: NT's "stack" attach.
 * KeUnstackDetachProcess puts it back. Attaching to the process the thread
 * already runs in does nothing (NT marks the saved state with Process = 1).
 *
 * Misuse, NT's codes: attaching from a DPC routine is
 * INVALID_PROCESS_ATTACH_ATTEMPT (0x05); KeAttachProcess while attached is
 * too; detaching a thread that is not attached, or with kernel APCs of the
 * attached process still pending, is INVALID_PROCESS_DETACH_ATTEMPT (0x06).
 */
#include <hal.h>
#include <ps.h>
#include "kernel/ke/ki.h"

#define KI_ATTACHED_TO_SELF ((PKPROCESS)1)

/* Moves an APC state (its two queues keep their entries) from Source to Destination. */
static void KiMoveApcState(PKAPC_STATE Source, PKAPC_STATE Destination)
{
    *Destination = *Source;
    for (int Mode = KernelMode; Mode <= UserMode; Mode++) {
        PLIST_ENTRY From = &Source->ApcListHead[Mode], To = &Destination->ApcListHead[Mode];
        if (IsListEmpty(From)) {
            InitializeListHead(To);
        } else {
            To->Flink->Blink = To;
            To->Blink->Flink = To;
        }
    }
}

static void KiInitializeApcState(PKAPC_STATE ApcState, PKPROCESS Process)
{
    InitializeListHead(&ApcState->ApcListHead[KernelMode]);
    InitializeListHead(&ApcState->ApcListHead[UserMode]);
    ApcState->Process = Process;
    ApcState->KernelApcInProgress = ApcState->KernelApcPending = ApcState->UserApcPending = FALSE;
}

/* Loads Process's address space on this processor. Dispatcher lock held. */
static void KiSwapProcess(PKPROCESS Process)
{
    PEPROCESS EProcess = CONTAINING_RECORD(Process, EPROCESS, Pcb);
    HalWriteCr3(MmPrepareAddressSpaceSwitch(&EProcess->AddressSpace));
    HalTbFlushCounts.ProcessFlushes++;
}

static void KiAttachProcess(PKTHREAD Thread, PKPROCESS Process, PKAPC_STATE SavedApcState)
{
    KiMoveApcState(&Thread->ApcState, SavedApcState);
    KiInitializeApcState(&Thread->ApcState, Process);
    if (SavedApcState == &Thread->SavedApcState) {
        Thread->ApcStatePointer[OriginalApcEnvironment] = &Thread->SavedApcState;
        Thread->ApcStatePointer[AttachedApcEnvironment] = &Thread->ApcState;
        Thread->ApcStateIndex = AttachedApcEnvironment;
    }
    KiSwapProcess(Process);
}

static void KiCheckAttach(PKTHREAD Thread, PKPROCESS Process)
{
    if (KeGetCurrentPrcb()->DpcRoutineActive)
        KeBugCheckEx(INVALID_PROCESS_ATTACH_ATTEMPT, (ULONG_PTR)Process, (ULONG_PTR)Thread->ApcState.Process,
                     Thread->ApcStateIndex, KeGetCurrentPrcb()->DpcRoutineActive);
}

void KeStackAttachProcess(PKPROCESS Process, PKAPC_STATE ApcState)
{
    PKTHREAD Thread = KeGetCurrentThread();

    KiCheckAttach(Thread, Process);
    if (Thread->ApcState.Process == Process) {
        ApcState->Process = KI_ATTACHED_TO_SELF;
        return;
    }
    KIRQL OldIrql = KiAcquireDispatcherLock();
    if (Thread->ApcStateIndex != OriginalApcEnvironment) {
        KiAttachProcess(Thread, Process, ApcState);
    } else {
        KiAttachProcess(Thread, Process, &Thread->SavedApcState);
        ApcState->Process = NULL;
    }
    KiReleaseDispatcherLock(OldIrql);
}

void KeUnstackDetachProcess(PKAPC_STATE ApcState)
{
    PKTHREAD Thread = KeGetCurrentThread();

    if (ApcState->Process == KI_ATTACHED_TO_SELF) {
        ApcState->Process = NULL;
        return;
    }
    KIRQL OldIrql = KiAcquireDispatcherLock();
    if (Thread->ApcStateIndex == OriginalApcEnvironment || Thread->ApcState.KernelApcInProgress ||
        !IsListEmpty(&Thread->ApcState.ApcListHead[KernelMode]))
        KeBugCheckEx(INVALID_PROCESS_DETACH_ATTEMPT, (ULONG_PTR)ApcState, (ULONG_PTR)Thread->ApcState.Process,
                     Thread->ApcStateIndex, Thread->ApcState.KernelApcInProgress);
    if (ApcState->Process != NULL) {
        KiMoveApcState(ApcState, &Thread->ApcState);
    } else {
        KiMoveApcState(&Thread->SavedApcState, &Thread->ApcState);
        Thread->SavedApcState.Process = NULL;
        Thread->ApcStatePointer[OriginalApcEnvironment] = &Thread->ApcState;
        Thread->ApcStatePointer[AttachedApcEnvironment] = &Thread->SavedApcState;
        Thread->ApcStateIndex = OriginalApcEnvironment;
    }
    KiSwapProcess(Thread->ApcState.Process);
    if (!IsListEmpty(&Thread->ApcState.ApcListHead[KernelMode])) {
        Thread->ApcState.KernelApcPending = TRUE;
        HalRequestSoftwareInterrupt(APC_LEVEL);
    }
    KiReleaseDispatcherLock(OldIrql);
}

void KeAttachProcess(PKPROCESS Process)
{
    PKTHREAD Thread = KeGetCurrentThread();

    KiCheckAttach(Thread, Process);
    if (Thread->ApcState.Process == Process)
        return;
    if (Thread->ApcStateIndex != OriginalApcEnvironment)
        KeBugCheckEx(INVALID_PROCESS_ATTACH_ATTEMPT, (ULONG_PTR)Process, (ULONG_PTR)Thread->ApcState.Process,
                     Thread->ApcStateIndex, 0);
    KIRQL OldIrql = KiAcquireDispatcherLock();
    KiAttachProcess(Thread, Process, &Thread->SavedApcState);
    KiReleaseDispatcherLock(OldIrql);
}

void KeDetachProcess(void)
{
    PKTHREAD Thread = KeGetCurrentThread();
    if (Thread->ApcStateIndex == OriginalApcEnvironment)
        return;
    KAPC_STATE Original = { .Process = NULL };
    KeUnstackDetachProcess(&Original);
}
