/*
 * kernel/ps/psinit.c — the system process, the Process and Thread types.
 *
 * NT's PspInitPhase0 makes the system process out of the boot address
 * space: the page directory the kernel already runs on becomes its
 * directory, the boot flow becomes its first thread, and the kernel's own
 * handles live in its handle table. mm386 does the same, in three steps:
 *
 *   phase 0  before the memory manager starts: the process's dispatcher
 *            part (its KPROCESS, with the boot page directory as
 *            DirectoryTableBase) so the boot flow can be a thread of it;
 *   phase 1  once the memory manager has built the system address space:
 *            the process takes its description, and the reaper's list;
 *   phase 2  in the phase-1 thread, once the object manager runs: the
 *            Process and Thread types, the system process and the boot
 *            thread made objects of them (both are static storage with room
 *            for an object header), the reaper thread.
 */
#include <ps.h>
#include <rtl.h>
#include <layout.h>
#include <x86.h>
#include "kernel/ps/psp.h"

static OB_STATIC_OBJECT(EPROCESS) PspSystemProcessStorage;
PEPROCESS PsInitialSystemProcess = OB_STATIC_OBJECT_BODY(&PspSystemProcessStorage);
POBJECT_TYPE PsProcessType;
LIST_ENTRY PsActiveProcessHead;
KSPIN_LOCK PspActiveProcessLock;
POBJECT_TYPE PsThreadType;

extern uint32_t KiBootPageDirectory[];

static void PspInitPhase0(void)
{
    PEPROCESS System = PsInitialSystemProcess;
    KeInitializeProcess(&System->Pcb, SYSTEM_THREAD_PRIORITY, (ULONG)KiBootPageDirectory - KERNEL_VA_OFFSET);
    System->UniqueProcessId = 4;                /* NT's System process id */
    System->ExitStatus = STATUS_PENDING;        /* NT's "still active": the System process never exits */
    InitializeListHead(&System->ThreadListHead);
    strlcpy(System->ImageFileName, "System", sizeof(System->ImageFileName));
    InitializeListHead(&PsActiveProcessHead);
    InsertTailList(&PsActiveProcessHead, &System->ActiveProcessLinks);
}

/* NT's generic mappings and full access for processes and threads. */
static const OBJECT_TYPE_INITIALIZER PspProcessTypeInfo = {
    .Length = sizeof(OBJECT_TYPE_INITIALIZER),
    .GenericMapping = {
        STANDARD_RIGHTS_READ | PROCESS_VM_READ | PROCESS_QUERY_INFORMATION,
        STANDARD_RIGHTS_WRITE | PROCESS_CREATE_PROCESS | PROCESS_CREATE_THREAD | PROCESS_VM_OPERATION |
            PROCESS_VM_WRITE | PROCESS_DUP_HANDLE | PROCESS_TERMINATE | PROCESS_SET_INFORMATION,
        STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
        PROCESS_ALL_ACCESS,
    },
    .ValidAccessMask = PROCESS_ALL_ACCESS,
    .PoolType = NonPagedPool,
    .PoolTag = MAKE_TAG('P', 'r', 'o', 'c'),
    .DeleteProcedure = PspDeleteProcess,
};

static const OBJECT_TYPE_INITIALIZER PspThreadTypeInfo = {
    .Length = sizeof(OBJECT_TYPE_INITIALIZER),
    .GenericMapping = {
        STANDARD_RIGHTS_READ | THREAD_GET_CONTEXT | THREAD_QUERY_INFORMATION,
        STANDARD_RIGHTS_WRITE | THREAD_TERMINATE | THREAD_SUSPEND_RESUME | THREAD_SET_INFORMATION |
            THREAD_SET_CONTEXT,
        STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
        THREAD_ALL_ACCESS,
    },
    .ValidAccessMask = THREAD_ALL_ACCESS,
    .PoolType = NonPagedPool,
    .PoolTag = MAKE_TAG('T', 'h', 'r', 'e'),
    .DeleteProcedure = PspDeleteThread,
};

static void PspInitPhase2(void)
{
    if (!NT_SUCCESS(ObCreateObjectType("Process", &PspProcessTypeInfo, NULL, &PsProcessType)) ||
        !NT_SUCCESS(ObCreateObjectType("Thread", &PspThreadTypeInfo, NULL, &PsThreadType)))
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0x5073, 1, 0, 0);      /* 'Ps' */
    ObInitializeStaticObject(&PspSystemProcessStorage, PsProcessType);
    MmInitializeProcessAddressSpace(PsInitialSystemProcess);     /* its user range, for the prompt's `vm` */
    PspInitializeStaticThreads();
    if (!NT_SUCCESS(PspStartReaper()))
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0x5073, 2, 0, 0);
}

void PsInitSystem(ULONG Phase)
{
    switch (Phase) {
    case 0:
        PspInitPhase0();
        break;
    case 1:
        PsInitialSystemProcess->AddressSpace = MmSystemAddressSpace;
        PspInitializeReaper();
        break;
    case 3:
        PspInitializeSystemDll();       /* after the memory manager's phase 2: image sections */
        break;
    case 2:
        PspInitPhase2();
        break;
    default:
        break;
    }
}
