/*
 * kernel/ps/kill.c — the end of a thread.
 *
 * A system thread ends by returning from its start routine or by calling
 * PsTerminateSystemThread; both come to PspExitThread on the thread itself.
 * It must be at PASSIVE_LEVEL with kernel APCs enabled, as NT requires: a
 * thread that exits at a raised IRQL (holding a spin lock, say) or inside a
 * critical or guarded region stops the machine with
 * KERNEL_APC_PENDING_DURING_EXIT (0x20), parameter 3 the IRQL, as NT's
 * does. Then the thread records its exit status and time, leaves its
 * process, and KeTerminateThread signals the thread object (waking whoever
 * waits for it) and switches away for good. Its stack is freed by the
 * reaper (PspReaper), a system thread that runs only after the switch.
 */
#include <ps.h>
#include "kernel/ps/psp.h"

KTHREAD_REAPER PspReaper;

/* A thread that has left the processor for good: its kernel stack goes back. */
static void PspReapThread(PETHREAD Thread)
{
    MmDeleteKernelStack(Thread->Tcb.InitialStack, Thread->LargeStack);
    Thread->Reaped = TRUE;
}

NORETURN void PspExitThread(NTSTATUS ExitStatus)
{
    PETHREAD Thread = PsGetCurrentThread();
    PEPROCESS Process = PsGetCurrentProcess();
    KIRQL Irql = KeGetCurrentIrql();

    if (Irql != PASSIVE_LEVEL || Thread->Tcb.KernelApcDisable || Thread->Tcb.SpecialApcDisable)
        KeBugCheckEx(KERNEL_APC_PENDING_DURING_EXIT, (ULONG_PTR)Thread->Tcb.ApcState.ApcListHead[KernelMode].Flink,
                     Thread->Tcb.KernelApcDisable, Irql, (ULONG_PTR)Thread);
    Thread->ExitStatus = ExitStatus;
    KeQuerySystemTime(&Thread->ExitTime);
    KIRQL OldIrql = KiAcquireDispatcherLock();
    RemoveEntryList(&Thread->ThreadListEntry);
    Process->ActiveThreads--;
    Thread->Terminated = TRUE;
    KiReleaseDispatcherLock(OldIrql);
    KeTerminateThread(&PspReaper);
}

/*
 * The reaper: takes the threads KeTerminateThread left on PspReaper's list
 * — each has switched away for good by the time it is found there — and
 * frees their kernel stacks.
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
            PspReapThread(Thread);
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
    static ETHREAD ReaperThread;
    if (!PspInitializeThread(&ReaperThread, PsInitialSystemProcess, FALSE, PspReaperThread, NULL))
        return STATUS_INSUFFICIENT_RESOURCES;
    KeSetPriorityThread(&ReaperThread.Tcb, PSP_REAPER_PRIORITY);
    PspStartThread(&ReaperThread);
    return STATUS_SUCCESS;
}

NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus)
{
    if (!PsGetCurrentThread()->Tcb.SystemThread)
        return STATUS_INVALID_PARAMETER;
    PspExitThread(ExitStatus);
}
