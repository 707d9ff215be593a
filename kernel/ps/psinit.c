/*
 * kernel/ps/psinit.c — the system process.
 *
 * NT's PspInitPhase0 makes the system process out of the boot address
 * space: the page directory the kernel already runs on becomes its
 * directory, and the kernel's own handles live in its handle table. mm386
 * does the same. Until there are threads every piece of code runs on
 * behalf of the system process, so it is also the current process.
 */
#include <ps.h>
#include <rtl.h>

static EPROCESS PspSystemProcess;
PEPROCESS PsInitialSystemProcess;
POBJECT_TYPE PsProcessType;
POBJECT_TYPE PsThreadType;

PEPROCESS PsGetCurrentProcess(void)
{
    return PsInitialSystemProcess;
}

void PsInitSystem(void)
{
    PspSystemProcess.AddressSpace = MmSystemAddressSpace;
    PspSystemProcess.UniqueProcessId = 4;       /* NT's System process id */
    strlcpy(PspSystemProcess.ImageFileName, "System", sizeof(PspSystemProcess.ImageFileName));
    PsInitialSystemProcess = &PspSystemProcess;
}
