/*
 * kernel/ps/psinit.c — the system process.
 *
 * NT's PspInitPhase0 makes the system process out of the boot address
 * space: the page directory the kernel already runs on becomes its
 * directory, the boot flow becomes its first thread, and the kernel's own
 * handles live in its handle table. mm386 does the same, in two steps:
 * before the memory manager starts, the process's dispatcher part (its
 * KPROCESS with the boot page directory as DirectoryTableBase) so the boot
 * flow can be a thread of it; once the memory manager has built the system
 * address space, the process takes a copy of its description.
 */
#include <ps.h>
#include <rtl.h>
#include <layout.h>
#include <x86.h>
#include "kernel/ps/psp.h"

static EPROCESS PspSystemProcess;
PEPROCESS PsInitialSystemProcess = &PspSystemProcess;
POBJECT_TYPE PsProcessType;
POBJECT_TYPE PsThreadType;

extern uint32_t KiBootPageDirectory[];

static void PspInitPhase0(void)
{
    KeInitializeProcess(&PspSystemProcess.Pcb, SYSTEM_THREAD_PRIORITY,
                        (ULONG)KiBootPageDirectory - KERNEL_VA_OFFSET);
    PspSystemProcess.UniqueProcessId = 4;       /* NT's System process id */
    InitializeListHead(&PspSystemProcess.ThreadListHead);
    strlcpy(PspSystemProcess.ImageFileName, "System", sizeof(PspSystemProcess.ImageFileName));
}

void PsInitSystem(ULONG Phase)
{
    switch (Phase) {
    case 0:
        PspInitPhase0();
        break;
    case 1:
        PspSystemProcess.AddressSpace = MmSystemAddressSpace;
        PspInitializeReaper();
        break;
    case 2:
        if (!NT_SUCCESS(PspStartReaper()))
            KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 2, 0, 0, 0);
        break;
    default:
        break;
    }
}
