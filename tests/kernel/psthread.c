/*
 * tests/kernel/psthread.c — threads and processes as objects: created with
 * PsCreateSystemThread and PsCreateSystemProcess, waited on through their
 * handles, gone with their last reference.
 *
 * NT's rules: a thread object is signalled when the thread ends; the
 * thread's ETHREAD and kernel stack stay until the last reference to the
 * object goes and no longer; a thread created in another process runs in
 * that process's address space, its kernel stack mapped there however
 * young the page table holding it; NtCurrentThread() names the caller.
 */
#include "../testlib.h"

#define TEST_PRIORITY   8

static void Nothing(PVOID Context)
{
}

static void ExitWithStatus(PVOID Context)
{
    PsTerminateSystemThread((NTSTATUS)(ULONG_PTR)Context);
}

static NTSTATUS CreateKernelThread(PHANDLE Handle, PKSTART_ROUTINE Routine, PVOID Context, HANDLE Process)
{
    OBJECT_ATTRIBUTES Attributes;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    return PsCreateSystemThread(Handle, THREAD_ALL_ACCESS, &Attributes, Process, NULL, Routine, Context);
}

/* A thread made through the handle API ends, is waited on through its handle, and goes when the handle closes. */
KTEST(psthread, create_wait_close)
{
    HANDLE Handle;
    PETHREAD Thread;
    CLIENT_ID Cid;
    OBJECT_ATTRIBUTES Attributes;
    ULONG Threads = PsThreadType->TotalNumberOfObjects;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    ASSERT_EQ(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, &Attributes, NULL, &Cid, ExitWithStatus,
                                   (PVOID)0x1234), STATUS_SUCCESS);
    EXPECT_TRUE(ObIsKernelHandle(Handle));
    EXPECT_EQ(Cid.UniqueProcess, (HANDLE)4);
    EXPECT_EQ((ULONG)Cid.UniqueThread % 4, 0);
    ASSERT_EQ(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, PsThreadType, KernelMode, (PVOID *)&Thread, NULL),
              STATUS_SUCCESS);
    EXPECT_EQ(Thread->Cid.UniqueThread, Cid.UniqueThread);
    EXPECT_EQ(PsThreadType->TotalNumberOfObjects, Threads + 1);
    EXPECT_EQ(KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Thread->ExitStatus, 0x1234);
    EXPECT_TRUE(Thread->Terminated);
    EXPECT_EQ(Thread->Tcb.State, Terminated);
    EXPECT_EQ(ObGetObjectPointerCount(Thread), 2);      /* the handle's and ours: the reaper dropped its own */
    ObDereferenceObject(Thread);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    EXPECT_EQ(PsThreadType->TotalNumberOfObjects, Threads);
}

/* The ETHREAD and its stack outlive the thread while a handle is open, and go with it. */
KTEST(psthread, ended_thread_lives_until_its_last_reference)
{
    HANDLE Handle;
    ULONG Threads = PsThreadType->TotalNumberOfObjects;
    ULONG StacksInUse = MmTotalSystemPtes - MmTotalFreeSystemPtes;
    ASSERT_EQ(CreateKernelThread(&Handle, Nothing, NULL, NULL), STATUS_SUCCESS);
    TestSleepTicks(2);                          /* it has run and ended */
    EXPECT_EQ(PsThreadType->TotalNumberOfObjects, Threads + 1);
    EXPECT_GT(MmTotalSystemPtes - MmTotalFreeSystemPtes, StacksInUse);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    EXPECT_EQ(PsThreadType->TotalNumberOfObjects, Threads);
    MiDrainSystemPteCaches();
    EXPECT_EQ(MmTotalSystemPtes - MmTotalFreeSystemPtes, StacksInUse);
}

/* A thousand threads created and joined one after another: nothing is left (the leak guards count). */
KTEST(psthread, thousand_threads_created_and_joined)
{
    for (ULONG i = 0; i < 1000; i++) {
        HANDLE Handle;
        ASSERT_EQ(CreateKernelThread(&Handle, Nothing, NULL, NULL), STATUS_SUCCESS);
        PETHREAD Thread;
        ASSERT_EQ(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, PsThreadType, KernelMode, (PVOID *)&Thread, NULL),
                  STATUS_SUCCESS);
        KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(Thread);
        ASSERT_EQ(NtClose(Handle), STATUS_SUCCESS);
    }
}

/* NtCurrentThread() names the calling thread; NtCurrentProcess() its process. */
KTEST(psthread, pseudo_handles_name_the_caller)
{
    PETHREAD Thread;
    PEPROCESS Process;
    ASSERT_EQ(ObReferenceObjectByHandle(NtCurrentThread(), 0, PsThreadType, KernelMode, (PVOID *)&Thread, NULL),
              STATUS_SUCCESS);
    EXPECT_EQ(Thread, PsGetCurrentThread());
    ObDereferenceObject(Thread);
    ASSERT_EQ(ObReferenceObjectByHandle(NtCurrentProcess(), 0, PsProcessType, KernelMode, (PVOID *)&Process, NULL),
              STATUS_SUCCESS);
    EXPECT_EQ(Process, PsInitialSystemProcess);
    ObDereferenceObject(Process);
    EXPECT_EQ(ObReferenceObjectByHandle(NtCurrentThread(), 0, PsProcessType, KernelMode, (PVOID *)&Process, NULL),
              STATUS_OBJECT_TYPE_MISMATCH);
}

typedef struct _IN_PROCESS {
    volatile ULONG Cr3;
    volatile PEPROCESS Process;
} IN_PROCESS;

static void RecordWhere(PVOID Context)
{
    IN_PROCESS *Where = Context;
    Where->Cr3 = HalReadCr3();
    Where->Process = PsGetCurrentProcess();
}

/*
 * A thread created in another process runs in that process's address space
 * — even when the page table holding its kernel stack is younger than the
 * process: the test removes that PDE from the process's directory and marks
 * the directory older than the newest system page table, as if it were, and
 * the switch to the thread must put the PDE back (else the first push on
 * the stack double-faults).
 */
KTEST(psthread, thread_in_another_process_runs_there)
{
    HANDLE ProcessHandle, ThreadHandle;
    PEPROCESS Process;
    PETHREAD Thread;
    IN_PROCESS Where = { 0 };
    OBJECT_ATTRIBUTES Attributes;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    ASSERT_EQ(PsCreateSystemProcess(&ProcessHandle, PROCESS_ALL_ACCESS, &Attributes), STATUS_SUCCESS);
    ASSERT_EQ(ObReferenceObjectByHandle(ProcessHandle, 0, PsProcessType, KernelMode, (PVOID *)&Process, NULL),
              STATUS_SUCCESS);
    EXPECT_NE(Process->UniqueProcessId, 4);

    KPRIORITY Own = KeSetPriorityThread(KeGetCurrentThread(), HIGH_PRIORITY);
    NTSTATUS Status = CreateKernelThread(&ThreadHandle, RecordWhere, &Where, ProcessHandle);
    if (NT_SUCCESS(Status)) {
        ObReferenceObjectByHandle(ThreadHandle, 0, PsThreadType, KernelMode, (PVOID *)&Thread, NULL);
        KIRQL OldIrql;
        ULONG StackPde = MiGetPdeIndex((ULONG)Thread->Tcb.KernelStack);
        PMMPTE Pd = MiMapPageInHyperSpace(Process->AddressSpace.PageDirectoryPfn, &OldIrql);
        Pd[StackPde].u.Long = 0;
        MiUnmapPageInHyperSpace(Pd, OldIrql);
        Process->AddressSpace.SystemPdeGeneration = MmSystemPdeGeneration - 1;
    }
    KeSetPriorityThread(KeGetCurrentThread(), Own);
    ASSERT_EQ(Status, STATUS_SUCCESS);
    KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL);
    EXPECT_EQ(Where.Cr3 >> PAGE_SHIFT, Process->AddressSpace.PageDirectoryPfn);
    EXPECT_EQ(Where.Process, Process);
    EXPECT_EQ(Thread->Cid.UniqueProcess, (HANDLE)Process->UniqueProcessId);
    ObDereferenceObject(Thread);
    NtClose(ThreadHandle);
    ObDereferenceObject(Process);
    EXPECT_EQ(NtClose(ProcessHandle), STATUS_SUCCESS);
}

/* The process a thread is made in is named by a process handle: a bad one or another type's is refused. */
KTEST(psthread, create_thread_in_a_bad_process_handle)
{
    HANDLE ThreadHandle, Other;
    ULONG Threads = PsThreadType->TotalNumberOfObjects;
    EXPECT_EQ(CreateKernelThread(&ThreadHandle, Nothing, NULL, (HANDLE)0x7FFC), STATUS_INVALID_HANDLE);
    ASSERT_EQ(CreateKernelThread(&Other, Nothing, NULL, NULL), STATUS_SUCCESS);
    EXPECT_EQ(CreateKernelThread(&ThreadHandle, Nothing, NULL, Other), STATUS_OBJECT_TYPE_MISMATCH);
    PETHREAD Thread;
    ASSERT_EQ(ObReferenceObjectByHandle(Other, SYNCHRONIZE, PsThreadType, KernelMode, (PVOID *)&Thread, NULL),
              STATUS_SUCCESS);
    KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Thread);
    EXPECT_EQ(NtClose(Other), STATUS_SUCCESS);
    EXPECT_EQ(PsThreadType->TotalNumberOfObjects, Threads);
}

/* Create a system thread, let it run to its end, wait for it through its handle, close it. */
KBENCH(thread_create_terminate_join)
{
    const ULONG Count = 500;
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++) {
        HANDLE Handle;
        PETHREAD Thread;
        if (!NT_SUCCESS(CreateKernelThread(&Handle, Nothing, NULL, NULL)))
            return;
        ObReferenceObjectByHandle(Handle, SYNCHRONIZE, PsThreadType, KernelMode, (PVOID *)&Thread, NULL);
        KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(Thread);
        NtClose(Handle);
    }
    KbenchStop(b);
    KbenchReport(b, "thread_create_terminate_join", Count);
}
