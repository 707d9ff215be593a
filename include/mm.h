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
#include <x86.h>

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

/*
 * Kernel stacks: NT's x86 sizes. mm386 commits a large stack whole (NT
 * commits KERNEL_LARGE_STACK_COMMIT and grows it on demand).
 */
#define KERNEL_STACK_SIZE           0x3000      /* 12 KB */
#define KERNEL_LARGE_STACK_SIZE     0xF000      /* 60 KB */
#define KERNEL_LARGE_STACK_COMMIT   KERNEL_STACK_SIZE

/*
 * Makes a kernel stack in system PTEs, with a no-access guard page below it,
 * and returns its base (one past its highest byte; the stack grows down from
 * there). Charges commit for its pages. NULL if commit, pages or system PTEs
 * run out. Node is accepted for NT's signature (one node). IRQL <= APC_LEVEL.
 */
PVOID MmCreateKernelStack(BOOLEAN LargeStack, UCHAR Node);
/* Frees a stack from MmCreateKernelStack; a pointer that is not one is SYSTEM_PTE_MISUSE (0xDA, 0x301). */
VOID MmDeleteKernelStack(PVOID PointerKernelStack, BOOLEAN LargeStack);

/*
 * Names the kernel stack (from MmCreateKernelStack) that Address, or its
 * guard page, lies on. Takes no lock and never faults: the double-fault
 * handler calls it.
 */
bool MmIdentifyKernelStack(ULONG Address, KE_STACK_INFO *Info);

#endif
