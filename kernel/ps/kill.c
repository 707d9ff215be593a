/*
 * kernel/ps/kill.c — the end of a thread and of a process, and of the
 * thread and process objects.
 *
 * A system thread ends by returning from its start routine or by calling
 * PsTerminateSystemThread; a user thread by NtTerminateThread on itself, or
 * when another thread ends it (NtTerminateThread, NtTerminateProcess): a
 * kernel APC then runs in the thread's own context. All come to
 * PspExitThread on the thread itself.
 * It must be at PASSIVE_LEVEL with kernel APCs enabled, as NT requires: a
 * thread that exits at a raised IRQL (holding a spin lock, say) or inside a
 * critical or guarded region stops the machine with
 * KERNEL_APC_PENDING_DURING_EXIT (0x20), parameter 3 the IRQL, as NT's
 * does. Then the thread cancels the timers whose completion routine it
 * would run (ExTimerRundown), records its exit status and time and leaves
 * its process. A user thread's TEB and stack go with it; the last thread of
 * a process ends the process (PspExitProcess: exit status, handles closed,
 * user range released). KeTerminateThread then signals the thread object
 * — and the process's, for its last thread — waking whoever waits, and
 * switches away for good, onto the reaper's list.
 *
 * The reaper (PspReaperThread), a system thread above the ones it reaps,
 * drops the reference each thread held on itself while it ran. The thread
 * object's delete procedure (PspDeleteThread) then gives back the kernel
 * stack and the reference on the process, whenever the last reference goes
 * — the reaper's, or a handle closed later. A process object's
 * (PspDeleteProcess) closes its handles, frees its address space and drops
 * its reference on its image section (the view went when it exited).
 */
#include <ex.h>
#include <ntexapi.h>
#include <ps.h>
#include "kernel/ps/psp.h"

KTHREAD_REAPER PspReaper;

/*
 * A user thread's TEB and the stack its TEB describes go with it, unless
 * its process is ending (then the whole user range goes at once). The
 * stack's reservation is read from the TEB before the TEB goes.
 */
/* The stack reservation a TEB records (DeallocationStack): the fault's status if the TEB cannot be read. */
static NTSTATUS PspReadDeallocationStack(PTEB Teb, PVOID *DeallocationStack)
{
    NTSTATUS Status;
    EX_TRY {
        *DeallocationStack = Teb->DeallocationStack;
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

static void PspDeleteUserThreadMemory(PETHREAD Thread)
{
    PTEB Teb = Thread->Tcb.Teb;
    PVOID Stack = NULL;
    SIZE_T Size = 0;

    if (NT_SUCCESS(PspReadDeallocationStack(Teb, &Stack)) && Stack)
        ZwFreeVirtualMemory(NtCurrentProcess(), &Stack, &Size, MEM_RELEASE);
    MmDeleteTeb(Teb);
}

/*
 * A process's last thread is ending: its exit status is settled (the
 * first NtTerminateProcess's, else this thread's), its handles are closed
 * and its user range released — NT's PspExitProcess. The process object is
 * signalled as the thread leaves the processor (KeTerminateThread); the
 * page directory stays until the object goes.
 */
static void PspExitProcess(PEPROCESS Process, NTSTATUS ExitStatus)
{
    if (!Process->ProcessExiting) {
        Process->ProcessExiting = TRUE;
        Process->ExitStatus = ExitStatus;
    }
    KeQuerySystemTime(&Process->ExitTime);
    ObKillProcess(Process);
    MmCleanProcessAddressSpace(Process);
}

NORETURN void PspExitThread(NTSTATUS ExitStatus)
{
    PETHREAD Thread = PsGetCurrentThread();
    PEPROCESS Process = PsGetCurrentThreadProcess();
    KIRQL Irql = KeGetCurrentIrql();

    if (Irql != PASSIVE_LEVEL || Thread->Tcb.KernelApcDisable || Thread->Tcb.SpecialApcDisable)
        KeBugCheckEx(KERNEL_APC_PENDING_DURING_EXIT, (ULONG_PTR)Thread->Tcb.ApcState.ApcListHead[KernelMode].Flink,
                     Thread->Tcb.KernelApcDisable, Irql, (ULONG_PTR)Thread);
    if (Thread->Tcb.ApcStateIndex != OriginalApcEnvironment)
        KeBugCheckEx(INVALID_PROCESS_ATTACH_ATTEMPT, (ULONG_PTR)Thread->Tcb.ApcState.Process,
                     (ULONG_PTR)Thread->Tcb.Process, Thread->Tcb.ApcStateIndex, 1);
    ExTimerRundown();                   /* no timer's completion routine may be queued to a dead thread */
    Thread->ExitStatus = ExitStatus;
    KeQuerySystemTime(&Thread->ExitTime);
    KIRQL OldIrql = KiAcquireDispatcherLock();
    RemoveEntryList(&Thread->ThreadListEntry);
    bool LastThread = --Process->ActiveThreads == 0 && Process != PsInitialSystemProcess;
    Thread->Terminated = TRUE;
    KiReleaseDispatcherLock(OldIrql);
    if (LastThread)
        PspExitProcess(Process, ExitStatus);
    else if (Thread->Tcb.Teb && !Process->ProcessExiting)
        PspDeleteUserThreadMemory(Thread);
    KeTerminateThread(&PspReaper);
}

NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus)
{
    if (!PsGetCurrentThread()->Tcb.SystemThread)
        return STATUS_INVALID_PARAMETER;
    PspExitThread(ExitStatus);
}

/*
 * Ending another thread, NT's way, in that thread's own context at its next
 * chance. A user thread gets a user APC, forced due (KeForceUserApc): any
 * user-mode wait it is in ends with STATUS_USER_APC, the service it is in
 * unwinds — releasing what it held — and on the way out to ring 3 the
 * APC's kernel routine ends the thread with a clean kernel stack. A system
 * thread, which never returns to ring 3, gets a kernel APC whose normal
 * routine ends it where it is (at PASSIVE_LEVEL, outside critical regions).
 * Queued once; the ETHREAD holds the APC objects.
 */
static void PspTerminationKernelRoutine(PKAPC Apc, PKNORMAL_ROUTINE *NormalRoutine, PVOID *NormalContext,
                                        PVOID *SystemArgument1, PVOID *SystemArgument2)
{
}

static void PspTerminationNormalRoutine(PVOID NormalContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PspExitThread((NTSTATUS)(ULONG_PTR)NormalContext);
}

/* The user APC's kernel routine, at APC_LEVEL on the way out to ring 3: the thread ends here. */
static void PspExitUserApcKernelRoutine(PKAPC Apc, PKNORMAL_ROUTINE *NormalRoutine, PVOID *NormalContext,
                                        PVOID *SystemArgument1, PVOID *SystemArgument2)
{
    KeLowerIrql(PASSIVE_LEVEL);
    PspExitThread((NTSTATUS)(ULONG_PTR)*NormalContext);
}

static void PspTerminateThreadByPointer(PETHREAD Thread, NTSTATUS ExitStatus)
{
    if (Thread == PsGetCurrentThread())
        PspExitThread(ExitStatus);
    KIRQL OldIrql = KiAcquireDispatcherLock();
    bool Queue = !Thread->TerminationQueued && !Thread->Terminated;
    Thread->TerminationQueued = TRUE;
    KiReleaseDispatcherLock(OldIrql);
    if (!Queue)
        return;
    if (Thread->Tcb.SystemThread) {
        KeInitializeApc(&Thread->TerminationApc, &Thread->Tcb, OriginalApcEnvironment, PspTerminationKernelRoutine,
                        NULL, PspTerminationNormalRoutine, KernelMode, (PVOID)(ULONG_PTR)ExitStatus);
        KeInsertQueueApc(&Thread->TerminationApc, NULL, NULL, IO_NO_INCREMENT + 2);
        return;
    }
    /* The normal routine never runs (the kernel routine does not return): NT's user APCs need one. */
    KeInitializeApc(&Thread->TerminationUserApc, &Thread->Tcb, OriginalApcEnvironment, PspExitUserApcKernelRoutine,
                    NULL, PspTerminationNormalRoutine, UserMode, (PVOID)(ULONG_PTR)ExitStatus);
    KeInsertQueueApc(&Thread->TerminationUserApc, NULL, NULL, IO_NO_INCREMENT + 2);
    KeForceUserApc(&Thread->Tcb);
}

/* Queues the end of every thread of Process but Except; how many there were. Dispatcher lock not held. */
static ULONG PspTerminateOtherThreads(PEPROCESS Process, PETHREAD Except, NTSTATUS ExitStatus)
{
    ULONG Count = 0;
    for (;;) {
        PETHREAD Next = NULL;
        KIRQL OldIrql = KiAcquireDispatcherLock();
        for (PLIST_ENTRY e = Process->ThreadListHead.Flink; e != &Process->ThreadListHead; e = e->Flink) {
            PETHREAD Thread = CONTAINING_RECORD(e, ETHREAD, ThreadListEntry);
            if (Thread != Except && !Thread->TerminationQueued && !Thread->Terminated) {
                Next = Thread;
                ObReferenceObject(Next);
                break;
            }
        }
        KiReleaseDispatcherLock(OldIrql);
        if (!Next)
            return Count;
        PspTerminateThreadByPointer(Next, ExitStatus);
        ObDereferenceObject(Next);
        Count++;
    }
}

NTSTATUS NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus)
{
    PEPROCESS Process;
    PETHREAD Self = PsGetCurrentThread();
    bool AllButSelf = ProcessHandle == NULL;

    NTSTATUS Status = ObReferenceObjectByHandle(AllButSelf ? NtCurrentProcess() : ProcessHandle, PROCESS_TERMINATE,
                                                PsProcessType, ExGetPreviousMode(), (PVOID *)&Process, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Process == PsInitialSystemProcess) {
        ObDereferenceObject(Process);
        return STATUS_ACCESS_DENIED;
    }
    if (!AllButSelf) {
        KIRQL OldIrql = KiAcquireDispatcherLock();
        bool Ended = Process->Pcb.Header.SignalState != 0;
        if (!Ended && !Process->ProcessExiting) {
            Process->ProcessExiting = TRUE;         /* the first exit status stands */
            Process->ExitStatus = ExitStatus;
        }
        KiReleaseDispatcherLock(OldIrql);
        if (Ended) {
            ObDereferenceObject(Process);
            return STATUS_PROCESS_IS_TERMINATING;
        }
    }
    bool Mine = &Process->Pcb == Self->Tcb.Process;
    PspTerminateOtherThreads(Process, Mine ? Self : NULL, ExitStatus);
    ObDereferenceObject(Process);
    if (Mine && !AllButSelf)
        PspExitThread(ExitStatus);
    return STATUS_SUCCESS;
}

NORETURN void PsTerminateCurrentProcess(NTSTATUS ExitStatus)
{
    NtTerminateProcess(NtCurrentProcess(), ExitStatus);
    PspExitThread(ExitStatus);
}

NTSTATUS NtTerminateThread(HANDLE ThreadHandle, NTSTATUS ExitStatus)
{
    PETHREAD Thread, Self = PsGetCurrentThread();

    if (ThreadHandle == NULL || ThreadHandle == NtCurrentThread()) {
        if (ThreadHandle == NULL && PsGetCurrentThreadProcess()->ActiveThreads == 1)
            return STATUS_CANT_TERMINATE_SELF;
        if (Self->Tcb.SystemThread && ExGetPreviousMode() == UserMode)
            return STATUS_ACCESS_DENIED;
        PspExitThread(ExitStatus);
    }
    NTSTATUS Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_TERMINATE, PsThreadType, ExGetPreviousMode(),
                                                (PVOID *)&Thread, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Thread->Tcb.SystemThread && ExGetPreviousMode() == UserMode) {
        ObDereferenceObject(Thread);
        return STATUS_ACCESS_DENIED;
    }
    if (Thread == Self) {
        ObDereferenceObject(Thread);
        PspExitThread(ExitStatus);
    }
    PspTerminateThreadByPointer(Thread, ExitStatus);
    ObDereferenceObject(Thread);
    return STATUS_SUCCESS;
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
    if (Process->SectionObject)
        ObDereferenceObject(Process->SectionObject);    /* NT's PspProcessDelete: the image section's reference */
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
