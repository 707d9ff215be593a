/*
 * include/mm.h — the memory manager's public interface.
 *
 * What the rest of the kernel and drivers call: NT's Mm* routines with NT's
 * signatures, the layout variables NT exports (MmSystemRangeStart ...), and
 * MmInitSystem. mm/mi.h holds the internal Mi* interface between mm/ files.
 */
#ifndef MM386_MM_H
#define MM386_MM_H

#include <ke.h>
#include <layout.h>

/* The layout of the running split (mm/mminit.c computes it at boot). */
extern PVOID MmSystemRangeStart;
extern PVOID MmHighestUserAddress;
extern PVOID MmUserProbeAddress;

/* Phase 0: layout, PFN database, page tables, pools. Phase 1: what needs interrupts. */
void MmInitSystem(ULONG Phase);

/* True if a reference to VirtualAddress would not fault right now. */
BOOLEAN MmIsAddressValid(PVOID VirtualAddress);
/* The physical address VirtualAddress maps to, or 0 if it maps nothing. */
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress);

/*
 * The page-fault handler: resolves the fault and returns STATUS_SUCCESS, or
 * returns the exception status for the trap handler to raise, or bugchecks
 * as NT does for faults on system addresses that nothing may take.
 */
NTSTATUS MmAccessFault(ULONG FaultStatus, PVOID VirtualAddress, KPROCESSOR_MODE PreviousMode,
                       PVOID TrapInformation);

/* Names the kernel stack (from MmCreateKernelStack) that Address, or its guard page, lies on. */
bool MmIdentifyKernelStack(ULONG Address, KE_STACK_INFO *Info);

#endif
