/*
 * mm/pagfault.c — MmAccessFault: the memory manager's page-fault handler.
 *
 * Every #PF comes here from kernel/ke/trap.c with the CPU's error code and the
 * faulting address (CR2). First the faults the memory manager resolves:
 *
 *   a system address whose page table exists in the master copy of the
 *   system PDEs but not yet in this address space's directory — including a
 *   read of such a page table through the self-map: the PDE is copied
 *   (lazy synchronisation, mm/pagetab.c) and the access retried. This works
 *   at any IRQL: no page is brought in.
 *
 *   a paged pool page whose PTE is demand-zero (allocated, never touched):
 *   a zeroed page is mapped (MiResolveDemandZeroFault). Only at IRQL <=
 *   APC_LEVEL: bringing a page in is exactly what DISPATCH_LEVEL code may
 *   not need, so there the fault falls through to the 0x0A verdict below.
 *
 * Then, for what remains, the verdict NT gives:
 *
 *   special pool: a guard page       PAGE_FAULT_BEYOND_END_OF_ALLOCATION (0xCD)
 *   special pool: a freed page        PAGE_FAULT_IN_FREED_SPECIAL_POOL (0xCC)
 *                                     (both even under a fault catcher, as in NT)
 *   write to a present read-only system page  ATTEMPTED_WRITE_TO_READONLY_MEMORY (0xBE)
 *   any unresolved fault at IRQL > APC_LEVEL   IRQL_NOT_LESS_OR_EQUAL (0x0A)
 *   not-present system address                 PAGE_FAULT_IN_NONPAGED_AREA (0x50)
 *   user address (no process owns one yet)     STATUS_ACCESS_VIOLATION, which the
 *                                              trap handler raises as an exception
 *
 * As in NT, when a handler is armed (a fault catcher: probing, tests) the
 * handler returns STATUS_ACCESS_VIOLATION instead of bugchecking, and the
 * trap handler resumes the catcher.
 */
#include "mi.h"

/* The system address whose PDE a fault at Address needs, or 0 if none. */
static ULONG SystemAddressNeedingPde(ULONG Address)
{
    if (Address >= PTE_BASE && Address <= PTE_TOP)
        Address = (ULONG)MiPteToAddress(Address);
    return Address >= (ULONG)MmSystemRangeStart ? Address : 0;
}

NTSTATUS MmAccessFault(ULONG FaultStatus, PVOID VirtualAddress, KPROCESSOR_MODE PreviousMode,
                       PVOID TrapInformation)
{
    const KTRAP_FRAME *TrapFrame = TrapInformation;
    ULONG Address = (ULONG)VirtualAddress;
    bool Write = (FaultStatus & PF_WRITE) != 0;
    KIRQL Irql = KeGetCurrentIrql();

    if (!(FaultStatus & PF_PRESENT)) {
        ULONG Needs = SystemAddressNeedingPde(Address);
        if (Needs && !MiReadPte(MiAddressToPde(Needs)).u.Hard.Valid && MiSyncSystemPde((PVOID)Needs))
            return STATUS_SUCCESS;
        if (MiIsPagedPoolAddress(VirtualAddress) && Irql <= APC_LEVEL &&
            MiReadPte(MiAddressToPde(Address)).u.Hard.Valid &&
            MiIsDemandZeroPte(MiReadPte(MiAddressToPte(Address))))
            return MiResolveDemandZeroFault(MiAddressToPte(Address));
        if (MiIsSpecialPoolAddress(VirtualAddress))
            MiSpecialPoolFault(VirtualAddress, Write, TrapFrame);
    }

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

NTSTATUS MiResolveDemandZeroFault(PMMPTE PointerPte)
{
    KIRQL OldIrql;
    PFN_NUMBER Pfn = MiRemoveZeroPage();

    if (Pfn == MI_NO_PAGE)
        KeBugCheckEx(NO_PAGES_AVAILABLE, MmModifiedPageListHead.Total, 0, MmNumberOfFreeNonPagedPool, 0);
    LOCK_PFN(OldIrql);
    if (!MiIsDemandZeroPte(MiReadPte(PointerPte))) {
        /* Resolved meanwhile (another processor, one day): this page is not needed. */
        MiInsertPageInFreeListLocked(Pfn);
        UNLOCK_PFN(OldIrql);
        return STATUS_SUCCESS;
    }
    /* Share 1, reference 1, the page table a share more; the demand-zero PTE becomes OriginalPte. */
    MiInitializePfn(Pfn, PointerPte, true);
    MiWritePte(PointerPte, MiMakeValidPte(Pfn, MI_PTE_KERNEL_READWRITE));
    UNLOCK_PFN(OldIrql);
    return STATUS_SUCCESS;
}
