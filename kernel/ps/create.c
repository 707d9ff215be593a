/*
 * kernel/ps/create.c — creating threads and processes.
 *
 * A thread is an object of the type Thread (its body an ETHREAD, from
 * nonpaged pool with NT's tag 'Thre'), with a kernel stack of its own from
 * MmCreateKernelStack: system PTEs with a guard page below. It holds a
 * reference on its process. Besides its creator's handle it holds one
 * reference on itself for as long as it runs: the reaper drops that one
 * after the thread has left the processor for good (kill.c), so the stack
 * it runs on cannot go while it runs, and the object — stack and ETHREAD —
 * goes with whichever reference is last. A system thread starts in
 * PspSystemThreadStartup, which lowers to PASSIVE_LEVEL and calls the start
 * routine, and ends the thread if the routine returns.
 *
 * A process made here (PsCreateSystemProcess) is an object of the type
 * Process (tag 'Proc'): an address space of its own, an empty handle table,
 * no thread until one is created in it.
 */
#include <ex.h>
#include <ps.h>
#include <pool.h>
#include <rtl.h>
#include "kernel/ps/psp.h"

static volatile ULONG PspNextClientId = 8;     /* NT's ids are multiples of 4; 4 is the System process */

ULONG PspAllocateClientId(void)
{
    return __atomic_fetch_add(&PspNextClientId, 4, __ATOMIC_RELAXED);
}

void PspSystemThreadStartup(PKSTART_ROUTINE StartRoutine, PVOID StartContext)
{
    KeLowerIrql(PASSIVE_LEVEL);
    StartRoutine(StartContext);
    PspExitThread(STATUS_SUCCESS);
}

/*
 * A user thread's first code: at PASSIVE_LEVEL (a termination queued
 * meanwhile runs here), the loader's APC queued, as NT's
 * PspUserThreadStartup queues it, then into ring 3 — where the APC runs
 * first (kernel/ps/sysdll.c).
 */
static void PspUserThreadStartup(PKSTART_ROUTINE StartRoutine, PVOID StartContext)
{
    KeLowerIrql(PASSIVE_LEVEL);
    PspQueueLoaderApc(PsGetCurrentThread());
}

bool PspInitializeThread(PETHREAD Thread, PEPROCESS Process, BOOLEAN LargeStack, PKSTART_ROUTINE StartRoutine,
                         PVOID StartContext, PCONTEXT UserContext, PTEB Teb)
{
    PVOID Stack = MmCreateKernelStack(LargeStack, 0);
    if (Stack == NULL)
        return false;
    ULONG Size = LargeStack ? KERNEL_LARGE_STACK_SIZE : KERNEL_STACK_SIZE;
    KeInitializeThread(&Thread->Tcb, Stack, (char *)Stack - Size,
                       UserContext ? PspUserThreadStartup : PspSystemThreadStartup, StartRoutine, StartContext,
                       UserContext, Teb, &Process->Pcb);
    Thread->Tcb.SystemThread = UserContext == NULL;
    Thread->LargeStack = LargeStack;
    Thread->StartAddress = UserContext ? (PVOID)UserContext->Eip : (PVOID)StartRoutine;
    Thread->StartContext = StartContext;
    Thread->Cid.UniqueProcess = (HANDLE)Process->UniqueProcessId;
    if (Thread->Cid.UniqueThread == NULL)
        Thread->Cid.UniqueThread = (HANDLE)PspAllocateClientId();
    InitializeListHead(&Thread->ActiveTimerListHead);
    KeInitializeSpinLock(&Thread->ActiveTimerListLock);
    KeQuerySystemTime(&Thread->CreateTime);
    return true;
}

void PspStartThread(PETHREAD Thread)
{
    PEPROCESS Process = CONTAINING_RECORD(Thread->Tcb.Process, EPROCESS, Pcb);
    KIRQL OldIrql = KiAcquireDispatcherLock();
    InsertTailList(&Process->ThreadListHead, &Thread->ThreadListEntry);
    Process->ActiveThreads++;
    KiReleaseDispatcherLock(OldIrql);
    KeStartThread(&Thread->Tcb);
}

/*
 * The thread that carries startup on into phase 1 (kernel/init.c), NT's
 * Phase1Initialization thread. It is made before the object manager runs
 * and never ends (it becomes the test run, the benchmarks or the kd>
 * prompt), so its ETHREAD is static storage that becomes an object when
 * the Thread type exists (PspInitializeStaticThreads).
 */
static OB_STATIC_OBJECT(ETHREAD) PspBootThreadStorage;

NTSTATUS PspCreateBootThread(PKSTART_ROUTINE StartRoutine, PVOID StartContext)
{
    PETHREAD BootThread = OB_STATIC_OBJECT_BODY(&PspBootThreadStorage);
    if (!PspInitializeThread(BootThread, PsInitialSystemProcess, TRUE, StartRoutine, StartContext, NULL, NULL))
        return STATUS_INSUFFICIENT_RESOURCES;
    PspStartThread(BootThread);
    return STATUS_SUCCESS;
}

void PspInitializeStaticThreads(void)
{
    ObInitializeStaticObject(&PspBootThreadStorage, PsThreadType);
}

NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                              HANDLE ProcessHandle, PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                              PVOID StartContext)
{
    PEPROCESS Process;
    PETHREAD Thread;
    NTSTATUS Status;

    if (ProcessHandle) {
        Status = ObReferenceObjectByHandle(ProcessHandle, PROCESS_CREATE_THREAD, PsProcessType, KernelMode,
                                           (PVOID *)&Process, NULL);
        if (!NT_SUCCESS(Status))
            return Status;
    } else {
        Process = PsInitialSystemProcess;
        ObReferenceObject(Process);
    }
    Status = ObCreateObject(KernelMode, PsThreadType, ObjectAttributes, KernelMode, NULL, sizeof(ETHREAD), 0, 0,
                            (PVOID *)&Thread);
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(Process);
        return Status;
    }
    /* From here the thread's delete procedure gives back whatever it holds: the process reference, the stack. */
    memset(Thread, 0, sizeof(*Thread));
    Thread->Tcb.Process = &Process->Pcb;
    if (!PspInitializeThread(Thread, Process, FALSE, StartRoutine, StartContext, NULL, NULL)) {
        ObDereferenceObject(Thread);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    /* The pointer bias is the thread's reference on itself while it runs (the reaper drops it). */
    Status = ObInsertObject(Thread, NULL, DesiredAccess, 1, NULL, ThreadHandle);
    if (!NT_SUCCESS(Status))
        return Status;
    if (ClientId)
        *ClientId = Thread->Cid;
    PspStartThread(Thread);
    return STATUS_SUCCESS;
}

NTSTATUS PspCreateProcessObject(POBJECT_ATTRIBUTES ObjectAttributes, PCSTR ImageFileName, BOOLEAN LargeAddressAware,
                                PEPROCESS *NewProcess)
{
    PEPROCESS Process;
    NTSTATUS Status = ObCreateObject(ExGetPreviousMode(), PsProcessType, ObjectAttributes, KernelMode, NULL,
                                     sizeof(EPROCESS), 0, 0, (PVOID *)&Process);
    if (!NT_SUCCESS(Status))
        return Status;
    memset(Process, 0, sizeof(*Process));
    InitializeListHead(&Process->ThreadListHead);
    Process->LargeAddressAware = LargeAddressAware;
    Status = MmCreateProcessAddressSpace(Process);
    if (NT_SUCCESS(Status)) {
        KeInitializeProcess(&Process->Pcb, SYSTEM_THREAD_PRIORITY,
                            Process->AddressSpace.PageDirectoryPfn << PAGE_SHIFT);
        Process->UniqueProcessId = PspAllocateClientId();
        Process->InheritedFromUniqueProcessId = PsGetCurrentProcess()->UniqueProcessId;   /* its creator */
        Process->ExitStatus = STATUS_PENDING;       /* NT's "still active" until it exits */
        KeQuerySystemTime(&Process->CreateTime);
        strlcpy(Process->ImageFileName, ImageFileName, sizeof(Process->ImageFileName));
        Status = ObInitProcess(NULL, Process);
    }
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(Process);
        return Status;
    }
    *NewProcess = Process;
    return STATUS_SUCCESS;
}

void PspInsertProcess(PEPROCESS Process)
{
    KIRQL OldIrql;
    KeAcquireSpinLock(&PspActiveProcessLock, &OldIrql);
    InsertTailList(&PsActiveProcessHead, &Process->ActiveProcessLinks);
    KeReleaseSpinLock(&PspActiveProcessLock, OldIrql);
}

NTSTATUS PsCreateSystemProcess(PHANDLE ProcessHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)
{
    PEPROCESS Process;
    NTSTATUS Status = PspCreateProcessObject(ObjectAttributes, "SystemProcess", FALSE, &Process);
    if (!NT_SUCCESS(Status))
        return Status;
    PspInsertProcess(Process);
    return ObInsertObject(Process, NULL, DesiredAccess, 0, NULL, ProcessHandle);
}

NTSTATUS PspCreateUserThread(PEPROCESS Process, POBJECT_ATTRIBUTES ObjectAttributes, ACCESS_MASK DesiredAccess,
                             const CONTEXT *Context, const INITIAL_TEB *InitialTeb, PHANDLE ThreadHandle,
                             PETHREAD *NewThread)
{
    PETHREAD Thread;
    KAPC_STATE ApcState;
    CONTEXT Start = *Context;
    PTEB Teb;

    if (Process->ProcessExiting || Process->Peb == NULL)
        return Process->ProcessExiting ? STATUS_PROCESS_IS_TERMINATING : STATUS_INVALID_PARAMETER;
    NTSTATUS Status = ObCreateObject(ExGetPreviousMode(), PsThreadType, ObjectAttributes, KernelMode, NULL,
                                     sizeof(ETHREAD), 0, 0, (PVOID *)&Thread);
    if (!NT_SUCCESS(Status))
        return Status;
    memset(Thread, 0, sizeof(*Thread));
    ObReferenceObject(Process);                 /* the thread's on its process, dropped by PspDeleteThread */
    Thread->Tcb.Process = &Process->Pcb;
    Thread->Cid.UniqueProcess = (HANDLE)Process->UniqueProcessId;
    Thread->Cid.UniqueThread = (HANDLE)PspAllocateClientId();

    KeStackAttachProcess(&Process->Pcb, &ApcState);
    Status = MmCreateTeb(Process->Peb, &Thread->Cid, InitialTeb, &Teb);
    KeUnstackDetachProcess(&ApcState);
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(Thread);
        return Status;
    }
    Start.ContextFlags = CONTEXT_FULL;
    if (!PspInitializeThread(Thread, Process, FALSE, NULL, NULL, &Start, Teb)) {
        KeStackAttachProcess(&Process->Pcb, &ApcState);
        MmDeleteTeb(Teb);
        KeUnstackDetachProcess(&ApcState);
        ObDereferenceObject(Thread);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    /* Referenced for the caller first: ObInsertObject's bias is the thread's own reference while it runs. */
    ObReferenceObject(Thread);
    Status = ObInsertObject(Thread, NULL, DesiredAccess, 1, NULL, ThreadHandle);
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(Thread);
        return Status;
    }
    *NewThread = Thread;
    return STATUS_SUCCESS;
}

/* Copies a ring-3 caller's Length bytes from Source (probed at Alignment): the fault's status if it cannot. */
static NTSTATUS PspCopyFromUser(PVOID Copy, const void *Source, ULONG Length, ULONG Alignment)
{
    NTSTATUS Status;
    EX_TRY {
        ProbeForRead(Source, Length, Alignment);
        memcpy(Copy, Source, Length);
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

NTSTATUS PspCopyToUser(PVOID Target, const void *Value, ULONG Length, KPROCESSOR_MODE PreviousMode)
{
    NTSTATUS Status;
    if (PreviousMode == KernelMode) {
        memcpy(Target, Value, Length);
        return STATUS_SUCCESS;
    }
    EX_TRY {
        ProbeForWrite(Target, Length, sizeof(ULONG));
        memcpy(Target, Value, Length);
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

NTSTATUS NtCreateThread(PHANDLE ThreadHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                        HANDLE ProcessHandle, PCLIENT_ID ClientId, PCONTEXT ThreadContext, PINITIAL_TEB InitialTeb,
                        BOOLEAN CreateSuspended)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    HANDLE NullHandle = NULL;
    CONTEXT Context;
    INITIAL_TEB Stack;
    PEPROCESS Process;
    PETHREAD Thread;
    HANDLE Handle;

    NTSTATUS Status = PspCopyToUser(ThreadHandle, &NullHandle, sizeof(HANDLE), PreviousMode);
    if (!NT_SUCCESS(Status))
        return Status;
    if (!ThreadContext || !InitialTeb)
        return STATUS_INVALID_PARAMETER;
    if (PreviousMode == UserMode) {
        Status = PspCopyFromUser(&Context, ThreadContext, sizeof(CONTEXT), sizeof(ULONG));
        if (NT_SUCCESS(Status))
            Status = PspCopyFromUser(&Stack, InitialTeb, sizeof(INITIAL_TEB), sizeof(ULONG));
        if (!NT_SUCCESS(Status))
            return Status;
    } else {
        Context = *ThreadContext;
        Stack = *InitialTeb;
    }
    if (CreateSuspended)
        return STATUS_NOT_SUPPORTED;                /* no suspension in mm386 yet */
    Status = ObReferenceObjectByHandle(ProcessHandle, PROCESS_CREATE_THREAD, PsProcessType, PreviousMode,
                                       (PVOID *)&Process, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = PspCreateUserThread(Process, ObjectAttributes, DesiredAccess, &Context, &Stack, &Handle, &Thread);
    ObDereferenceObject(Process);
    if (!NT_SUCCESS(Status))
        return Status;
    CLIENT_ID Cid = Thread->Cid;
    PspStartThread(Thread);
    ObDereferenceObject(Thread);
    /* The thread runs whatever happens now; a caller whose pointers fail loses the values, as in NT. */
    Status = PspCopyToUser(ThreadHandle, &Handle, sizeof(HANDLE), PreviousMode);
    if (NT_SUCCESS(Status) && ClientId)
        Status = PspCopyToUser(ClientId, &Cid, sizeof(CLIENT_ID), PreviousMode);
    return Status;
}
