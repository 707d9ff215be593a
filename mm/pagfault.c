/*
 * mm/pagfault.c — MmAccessFault: the memory manager's page-fault handler.
 *
 * Every #PF comes here from kernel/trap.c with the CPU's error code and the
 * faulting address (CR2). For now mm386 has no pageable memory to bring in,
 * so the handler decides only what NT would decide about the fault:
 *
 *   write to a present read-only system page  ATTEMPTED_WRITE_TO_READONLY_MEMORY (0xBE)
 *   any unresolvable fault at IRQL > APC_LEVEL IRQL_NOT_LESS_OR_EQUAL (0x0A)
 *   not-present system address                 PAGE_FAULT_IN_NONPAGED_AREA (0x50)
 *   user address (no process owns one yet)     STATUS_ACCESS_VIOLATION, which the
 *                                              trap handler raises as an exception
 *
 * As in NT, when a handler is armed (a fault catcher: probing, tests) the
 * handler returns STATUS_ACCESS_VIOLATION instead of bugchecking, and the
 * trap handler resumes the catcher.
 */
#include <hal.h>
#include <mm.h>
#include "pte.h"

NTSTATUS MmAccessFault(ULONG FaultStatus, PVOID VirtualAddress, KPROCESSOR_MODE PreviousMode,
                       PVOID TrapInformation)
{
    const KTRAP_FRAME *TrapFrame = TrapInformation;
    ULONG Address = (ULONG)VirtualAddress;
    bool Write = (FaultStatus & PF_WRITE) != 0;
    KIRQL Irql = KeGetCurrentIrql();

    if (KeFaultCatcherActive())
        return STATUS_ACCESS_VIOLATION;

    if ((FaultStatus & PF_PRESENT) && Write && Address >= (ULONG)MmSystemRangeStart)
        KiBugCheckWithTrapFrame(ATTEMPTED_WRITE_TO_READONLY_MEMORY, Address,
                                MiReadPte(MiAddressToPte(Address)).u.Long, 0, 0, TrapFrame);
    if (Irql > APC_LEVEL)
        KiBugCheckWithTrapFrame(IRQL_NOT_LESS_OR_EQUAL, Address, Irql, Write, TrapFrame->Eip, TrapFrame);
    if (Address >= (ULONG)MmSystemRangeStart)
        KiBugCheckWithTrapFrame(PAGE_FAULT_IN_NONPAGED_AREA, Address, Write, TrapFrame->Eip, 0, TrapFrame);
    return STATUS_ACCESS_VIOLATION;
}
