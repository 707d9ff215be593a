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

bool PspInitializeThread(PETHREAD Thread, PEPROCESS Process, BOOLEAN LargeStack, PKSTART_ROUTINE StartRoutine,
                         PVOID StartContext)
{
    PVOID Stack = MmCreateKernelStack(LargeStack, 0);
    if (Stack == NULL)
        return false;
    ULONG Size = LargeStack ? KERNEL_LARGE_STACK_SIZE : KERNEL_STACK_SIZE;
    KeInitializeThread(&Thread->Tcb, Stack, (char *)Stack - Size, PspSystemThreadStartup, StartRoutine,
                       StartContext, &Process->Pcb);
    Thread->Tcb.SystemThread = TRUE;
    Thread->LargeStack = LargeStack;
    Thread->StartAddress = (PVOID)StartRoutine;
    Thread->StartContext = StartContext;
    Thread->Cid.UniqueProcess = (HANDLE)Process->UniqueProcessId;
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
    if (!PspInitializeThread(BootThread, PsInitialSystemProcess, TRUE, StartRoutine, StartContext))
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
    if (!PspInitializeThread(Thread, Process, FALSE, StartRoutine, StartContext)) {
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

NTSTATUS PsCreateSystemProcess(PHANDLE ProcessHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)
{
    PEPROCESS Process;
    NTSTATUS Status = ObCreateObject(KernelMode, PsProcessType, ObjectAttributes, KernelMode, NULL,
                                     sizeof(EPROCESS), 0, 0, (PVOID *)&Process);
    if (!NT_SUCCESS(Status))
        return Status;
    memset(Process, 0, sizeof(*Process));
    InitializeListHead(&Process->ThreadListHead);
    Status = MmCreateProcessAddressSpace(Process);
    if (NT_SUCCESS(Status)) {
        KeInitializeProcess(&Process->Pcb, SYSTEM_THREAD_PRIORITY,
                            Process->AddressSpace.PageDirectoryPfn << PAGE_SHIFT);
        Process->UniqueProcessId = PspAllocateClientId();
        Process->InheritedFromUniqueProcessId = PsInitialSystemProcess->UniqueProcessId;   /* NT's parent: System */
        Process->ExitStatus = STATUS_PENDING;       /* NT's "still active" until it exits */
        strlcpy(Process->ImageFileName, "SystemProcess", sizeof(Process->ImageFileName));
        Status = ObInitProcess(NULL, Process);
    }
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(Process);
        return Status;
    }
    KIRQL OldIrql;
    KeAcquireSpinLock(&PspActiveProcessLock, &OldIrql);
    InsertTailList(&PsActiveProcessHead, &Process->ActiveProcessLinks);
    KeReleaseSpinLock(&PspActiveProcessLock, OldIrql);
    return ObInsertObject(Process, NULL, DesiredAccess, 0, NULL, ProcessHandle);
}
