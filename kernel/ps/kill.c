/*
 * kernel/ps/kill.c — the end of a thread, and of the thread and process
 * objects.
 *
 * A system thread ends by returning from its start routine or by calling
 * PsTerminateSystemThread; both come to PspExitThread on the thread itself.
 * It must be at PASSIVE_LEVEL with kernel APCs enabled, as NT requires: a
 * thread that exits at a raised IRQL (holding a spin lock, say) or inside a
 * critical or guarded region stops the machine with
 * KERNEL_APC_PENDING_DURING_EXIT (0x20), parameter 3 the IRQL, as NT's
 * does. Then the thread cancels the timers whose completion routine it
 * would run (ExTimerRundown), records its exit status and time, leaves its
 * process, and KeTerminateThread signals the thread object (waking whoever
 * waits for it) and switches away for good, onto the reaper's list.
 *
 * The reaper (PspReaperThread), a system thread above the ones it reaps,
 * drops the reference each thread held on itself while it ran. The thread
 * object's delete procedure (PspDeleteThread) then gives back the kernel
 * stack and the reference on the process, whenever the last reference goes
 * — the reaper's, or a handle closed later. A process object's
 * (PspDeleteProcess) closes its handles and frees its address space.
 */
#include <ntexapi.h>
#include <ps.h>
#include "kernel/ps/psp.h"

KTHREAD_REAPER PspReaper;

NORETURN void PspExitThread(NTSTATUS ExitStatus)
{
    PETHREAD Thread = PsGetCurrentThread();
    PEPROCESS Process = PsGetCurrentThreadProcess();
    KIRQL Irql = KeGetCurrentIrql();

    if (Irql != PASSIVE_LEVEL || Thread->Tcb.KernelApcDisable || Thread->Tcb.SpecialApcDisable)
        KeBugCheckEx(KERNEL_APC_PENDING_DURING_EXIT, (ULONG_PTR)Thread->Tcb.ApcState.ApcListHead[KernelMode].Flink,
                     Thread->Tcb.KernelApcDisable, Irql, (ULONG_PTR)Thread);
    ExTimerRundown();                   /* no timer's completion routine may be queued to a dead thread */
    Thread->ExitStatus = ExitStatus;
    KeQuerySystemTime(&Thread->ExitTime);
    KIRQL OldIrql = KiAcquireDispatcherLock();
    RemoveEntryList(&Thread->ThreadListEntry);
    Process->ActiveThreads--;
    Thread->Terminated = TRUE;
    KiReleaseDispatcherLock(OldIrql);
    KeTerminateThread(&PspReaper);
}

NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus)
{
    if (!PsGetCurrentThread()->Tcb.SystemThread)
        return STATUS_INVALID_PARAMETER;
    PspExitThread(ExitStatus);
}

/* The Thread type's delete procedure: the thread never ran, or has left the processor for good. */
void PspDeleteThread(PVOID Object)
{
    PETHREAD Thread = Object;
    ASSERT(Thread->Tcb.State == Initialized || Thread->Tcb.State == Terminated);
    if (Thread->Tcb.InitialStack)
        MmDeleteKernelStack(Thread->Tcb.InitialStack, Thread->LargeStack);
    if (Thread->Tcb.Process)
        ObDereferenceObject(CONTAINING_RECORD(Thread->Tcb.Process, EPROCESS, Pcb));
}

/* The Process type's delete procedure: its handles, then its address space. */
void PspDeleteProcess(PVOID Object)
{
    PEPROCESS Process = Object;
    ASSERT(IsListEmpty(&Process->ThreadListHead));
    if (Process->ActiveProcessLinks.Flink) {
        KIRQL OldIrql;
        KeAcquireSpinLock(&PspActiveProcessLock, &OldIrql);
        RemoveEntryList(&Process->ActiveProcessLinks);
        KeReleaseSpinLock(&PspActiveProcessLock, OldIrql);
    }
    if (Process->ObjectTable)
        ObKillProcess(Process);
    if (Process->AddressSpace.PageDirectoryPfn)
        MmDeleteAddressSpace(&Process->AddressSpace);
}

/*
 * The reaper: takes the threads KeTerminateThread left on PspReaper's list
 * — each has switched away for good by the time it is found there — and
 * drops the reference each held on itself while it ran.
 */
static void PspReaperThread(PVOID Context)
{
    for (;;) {
        KeWaitForSingleObject(&PspReaper.Event, WrExecutive, KernelMode, FALSE, NULL);
        for (;;) {
            KIRQL OldIrql = KiAcquireDispatcherLock();
            if (IsListEmpty(&PspReaper.ListHead)) {
                KiReleaseDispatcherLock(OldIrql);
                break;
            }
            PETHREAD Thread = CONTAINING_RECORD(RemoveHeadList(&PspReaper.ListHead), ETHREAD, Tcb.WaitListEntry);
            KiReleaseDispatcherLock(OldIrql);
            ObDereferenceObject(Thread);
        }
    }
}

void PspInitializeReaper(void)
{
    InitializeListHead(&PspReaper.ListHead);
    KeInitializeEvent(&PspReaper.Event, SynchronizationEvent, FALSE);
}

NTSTATUS PspStartReaper(void)
{
    HANDLE Handle;
    PETHREAD Thread;
    OBJECT_ATTRIBUTES Attributes;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    NTSTATUS Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, &Attributes, NULL, NULL, PspReaperThread, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(Handle, THREAD_SET_INFORMATION, PsThreadType, KernelMode, (PVOID *)&Thread,
                                       NULL);
    if (NT_SUCCESS(Status)) {
        KeSetPriorityThread(&Thread->Tcb, PSP_REAPER_PRIORITY);
        ObDereferenceObject(Thread);
    }
    NtClose(Handle);
    return Status;
}
