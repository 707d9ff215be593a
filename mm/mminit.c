/*
 * mm/mminit.c — MmInitSystem: bringing up the memory manager.
 */
#include <loader.h>
#include <mm.h>

PVOID MmSystemRangeStart = (PVOID)MM_SYSTEM_RANGE_START_2GB;
PVOID MmHighestUserAddress = (PVOID)(MM_SYSTEM_RANGE_START_2GB - MM_USER_PROBE_GAP - 1);
PVOID MmUserProbeAddress = (PVOID)(MM_SYSTEM_RANGE_START_2GB - MM_USER_PROBE_GAP);

void MmInitSystem(ULONG Phase)
{
    if (Phase == 0 && KeBootOptions.ThreeGb) {
        MmSystemRangeStart = (PVOID)MM_SYSTEM_RANGE_START_3GB;
        MmUserProbeAddress = (PVOID)(MM_SYSTEM_RANGE_START_3GB - MM_USER_PROBE_GAP);
        MmHighestUserAddress = (PVOID)((ULONG)MmUserProbeAddress - 1);
    }
}

bool MmIdentifyKernelStack(ULONG Address, KE_STACK_INFO *Info)
{
    return false;
}
