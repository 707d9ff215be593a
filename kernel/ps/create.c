/*
 * kernel/ps/create.c — creating system threads.
 *
 * A system thread is an ETHREAD of the system process running a kernel
 * routine on a kernel stack of its own (MmCreateKernelStack: system PTEs
 * with a guard page below). The thread starts in PspSystemThreadStartup,
 * which lowers to PASSIVE_LEVEL, calls the start routine, and terminates
 * the thread if the routine returns.
 */
#include <ps.h>
#include <pool.h>
#include <rtl.h>
#include "kernel/ke/ki.h"
#include "kernel/ps/psp.h"

static volatile ULONG PspNextThreadId = 8;      /* NT's ids are multiples of 4; 4 is the System process */

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
    Thread->Cid.UniqueThread = (HANDLE)__atomic_fetch_add(&PspNextThreadId, 4, __ATOMIC_RELAXED);
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
 * Phase1Initialization thread. It never ends: it becomes the test run, the
 * benchmarks or the kd> prompt, so its ETHREAD is a static one.
 */
NTSTATUS PspCreateBootThread(PKSTART_ROUTINE StartRoutine, PVOID StartContext)
{
    static ETHREAD BootThread;
    if (!PspInitializeThread(&BootThread, PsInitialSystemProcess, TRUE, StartRoutine, StartContext))
        return STATUS_INSUFFICIENT_RESOURCES;
    PspStartThread(&BootThread);
    return STATUS_SUCCESS;
}
