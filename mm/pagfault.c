/*
 * mm/pagfault.c — MmAccessFault: the memory manager's page-fault handler.
 *
 * Every #PF comes here from kernel/ke/trap.c with the CPU's error code and the
 * faulting address (CR2), and the mode of the code that faulted. Ring 3
 * touching a system address gets STATUS_ACCESS_VIOLATION at once: the trap
 * handler raises it in the program (kernel/ke/except.c). Then the faults
 * the memory manager resolves:
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
 *   a user address of the current process, at IRQL <= APC_LEVEL
 *   (MiResolveUserFault, below): the PTE decides when it says enough, else
 *   the VAD does. Committed and never touched: a zeroed page, mapped with
 *   the page's protection (MmInfoCounters.DemandZeroCount and the process's
 *   Vm.PageFaultCount count it). A guard page: the guard is cleared and
 *   STATUS_GUARD_PAGE_VIOLATION raised, unless the page is the guard of the
 *   current thread's stack: then a new guard page is committed below and
 *   the access retried (STATUS_STACK_OVERFLOW when the reservation has no
 *   room left). A write to a read-only page, a touch of a no-access,
 *   reserved or free page: STATUS_ACCESS_VIOLATION, raised to the faulting
 *   code (docs/FAULTS.md). A page of a section's view: resolved through
 *   its prototype PTE (mm/protofault.c: the shared page, a zeroed page, a
 *   page read from the file), and a write to a copy-on-write page makes
 *   the process a private copy (MiCopyOnWrite).
 *
 *   a system view's page (mm/sysview.c) whose PTE is in prototype format,
 *   at IRQL <= APC_LEVEL: resolved through its prototype PTE too.
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
#include "section.h"

static NTSTATUS MiResolveUserFault(ULONG FaultStatus, ULONG Address);

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

    MmInfoCounters.PageFaultCount++;        /* every fault handed to the memory manager, resolved or not */
    /* Ring 3 touching system space is the program's error, never the kernel's verdict (NT's first test). */
    if (PreviousMode == UserMode && Address >= (ULONG)MmSystemRangeStart)
        return STATUS_ACCESS_VIOLATION;
    /* A user address first, as NT's MmAccessFault splits: none of the system-space cases below can apply to it. */
    if (Address < (ULONG)MmSystemRangeStart) {
        if (Irql <= APC_LEVEL)
            return MiResolveUserFault(FaultStatus, Address);
    } else if (!(FaultStatus & PF_PRESENT)) {
        ULONG Needs = SystemAddressNeedingPde(Address);
        if (Needs && !MiReadPte(MiAddressToPde(Needs)).u.Hard.Valid && MiSyncSystemPde((PVOID)Needs))
            return STATUS_SUCCESS;
        if (MiIsPagedPoolAddress(VirtualAddress) && Irql <= APC_LEVEL &&
            MiReadPte(MiAddressToPde(Address)).u.Hard.Valid &&
            MiIsDemandZeroPte(MiReadPte(MiAddressToPte(Address))))
            return MiResolveDemandZeroFault(MiAddressToPte(Address));
        if (MiIsSpecialPoolAddress(VirtualAddress))
            MiSpecialPoolFault(VirtualAddress, Write, TrapFrame);
        if (MiIsSystemViewAddress(Address) && Irql <= APC_LEVEL && MiReadPte(MiAddressToPde(Address)).u.Hard.Valid &&
            MiReadPte(MiAddressToPte(Address)).u.Soft.Prototype &&
            NT_SUCCESS(MiResolveSystemViewFault(Address, Write)))
            return STATUS_SUCCESS;
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

    /* A zeroed page is taken and mapped in one hold of the PFN lock; any other page is zeroed outside it first. */
    LOCK_PFN(OldIrql);
    PFN_NUMBER Pfn = MiRemoveZeroPageIfAnyLocked();
    if (Pfn == MI_NO_PAGE) {
        UNLOCK_PFN(OldIrql);
        Pfn = MiRemoveZeroPage();
        if (Pfn == MI_NO_PAGE)
            KeBugCheckEx(NO_PAGES_AVAILABLE, MmModifiedPageListHead.Total, 0, MmNumberOfFreeNonPagedPool, 0);
        LOCK_PFN(OldIrql);
    }
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

/* ------------------------------------------------------------ user faults */

MMINFO_COUNTERS MmInfoCounters;

/*
 * Gives the demand-zero page at Address (its page table present) a zeroed
 * page, valid with Protection. OldPte is what the PTE held (zero: a page
 * committed by its VAD, which now uses an entry of the page table).
 */
static void MiResolveUserDemandZero(PEPROCESS Process, ULONG Address, MMPTE OldPte, ULONG Protection, bool Write)
{
    PMMPTE Pte = MiAddressToPte(Address);
    KIRQL OldIrql;

    /*
     * NT's order: the page is taken and its entry filled in one hold of the
     * PFN lock — a zeroed page if there is one, else any page, zeroed after
     * the lock is dropped (it is referenced by then, and its PTE is not
     * valid until it is zeroed).
     */
    LOCK_PFN(OldIrql);
    PFN_NUMBER Pfn = MiRemoveZeroPageIfAnyLocked();
    bool NeedToZero = Pfn == MI_NO_PAGE;
    if (NeedToZero)
        Pfn = MiRemoveAnyPageLocked();
    if (Pfn == MI_NO_PAGE)
        KeBugCheckEx(NO_PAGES_AVAILABLE, MmModifiedPageListHead.Total, 0, MmNumberOfFreeNonPagedPool, 0);
    MiInitializePfn(Pfn, Pte, Write);
    MI_PFN_ELEMENT(Pfn)->OriginalPte = MiMakeUserSoftPte(Protection);
    UNLOCK_PFN(OldIrql);
    if (NeedToZero)
        MiZeroPhysicalPage(Pfn);
    MiWritePte(Pte, MiMakeUserValidPte(Pfn, Protection, Write));
    if (OldPte.u.Long == 0)
        MiAdjustUsedPtes(Process, Address, 1);
    Process->Vm.WorkingSetSize++;
    if (Process->Vm.WorkingSetSize > Process->Vm.PeakWorkingSetSize)
        Process->Vm.PeakWorkingSetSize = Process->Vm.WorkingSetSize;
    Process->NumberOfPrivatePages++;
    MmInfoCounters.DemandZeroCount++;
}

/* The page table for Address must exist now: a fault that needs a page and finds none. */
static void MiMakeUserPageTableForFault(PEPROCESS Process, ULONG Address)
{
    if (!MiMakeUserPageTable(Process, Address))
        KeBugCheckEx(NO_PAGES_AVAILABLE, MmModifiedPageListHead.Total, 0, MmNumberOfFreeNonPagedPool, 0);
}

/*
 * The fault at Address decided under the working set mutex: resolved
 * (STATUS_SUCCESS), a guard page just cleared (STATUS_GUARD_PAGE_VIOLATION),
 * or STATUS_ACCESS_VIOLATION.
 */
static NTSTATUS MiResolveUserFaultLocked(PEPROCESS Process, ULONG Address, bool Write)
{
    PMMPTE Pte = MiUserPteIfPresent(Address);
    MMPTE Value = Pte ? MiReadPte(Pte) : (MMPTE){ .u.Long = 0 };
    ULONG Protection;

    if (Value.u.Hard.Valid) {
        /* Present: a copy-on-write page written, a write the page does not allow, or a stale TLB entry. */
        if (Write && !Value.u.Hard.Write)
            return Value.u.Hard.CopyOnWrite ? MiCopyOnWrite(Process, Address, Pte) : STATUS_ACCESS_VIOLATION;
        return STATUS_SUCCESS;
    }
    if (Value.u.Long == 0) {
        PMMVAD Vad = MiLocateAddress((PVOID)Address, Process);
        if (Vad && MiIsViewVad(Vad))
            return MiResolveViewFault(Process, Vad, Address, Pte, Write);     /* through the prototype PTE */
        if (!Vad || !Vad->u.VadFlags.MemCommit)
            return STATUS_ACCESS_VIOLATION;         /* free, or reserved */
        Protection = Vad->u.VadFlags.Protection;
    } else if (MiIsDecommittedPte(Value)) {
        return STATUS_ACCESS_VIOLATION;
    } else {
        Protection = Value.u.Soft.Protection;       /* demand zero, or transition: same field */
    }

    if (MiIsGuardProtection(Protection)) {
        /* One shot: the page keeps the rest of its protection. */
        ULONG Unguarded = Protection & ~MM_GUARD_PAGE;
        if (!Pte) {
            MiMakeUserPageTableForFault(Process, Address);
            Pte = MiAddressToPte(Address);
        }
        if (MiIsUserTransitionPte(Value)) {
            /* A resident page made guard keeps its frame in a transition PTE (mm/protect.c). */
            PFN_NUMBER Pfn = Value.u.Trans.PageFrameNumber;
            KIRQL OldIrql;
            LOCK_PFN(OldIrql);
            MI_PFN_ELEMENT(Pfn)->OriginalPte.u.Soft.Protection = Unguarded;
            UNLOCK_PFN(OldIrql);
            MiWritePte(Pte, MiMakeUserValidPte(Pfn, Unguarded, false));
            Process->Vm.WorkingSetSize++;
        } else {
            MiWritePte(Pte, MiMakeUserSoftPte(Unguarded));
            if (Value.u.Long == 0)
                MiAdjustUsedPtes(Process, Address, 1);
        }
        return STATUS_GUARD_PAGE_VIOLATION;
    }
    if (!MiIsAccessibleProtection(Protection) || (Write && !MiIsWritableProtection(Protection)))
        return STATUS_ACCESS_VIOLATION;
    if (!Pte)
        MiMakeUserPageTableForFault(Process, Address);
    MiResolveUserDemandZero(Process, Address, Value, Protection, Write);
    return STATUS_SUCCESS;
}

/*
 * NT's MiCheckForUserStackOverflow: Address is a guard page just cleared.
 * If it lies in the current thread's stack (its TEB says where), commit
 * the page below as the new guard page, move the stack limit down and
 * have the access retried (STATUS_PAGE_FAULT_GUARD_PAGE); when only the
 * reservation's last page would be left below, commit the page above it
 * without a guard and report STATUS_STACK_OVERFLOW. A guard page anywhere
 * else is STATUS_GUARD_PAGE_VIOLATION.
 */
static NTSTATUS MiCheckForUserStackOverflow(ULONG Address)
{
    PTEB Teb = PsGetCurrentThreadTeb();
    ULONG StackBase, DeallocationStack;
    NTSTATUS Status;

    if (!Teb)
        return STATUS_GUARD_PAGE_VIOLATION;
    EX_TRY {
        StackBase = (ULONG)Teb->NtTib.StackBase;
        DeallocationStack = (ULONG)Teb->DeallocationStack;
    } EX_EXCEPT(Status) {
        return STATUS_GUARD_PAGE_VIOLATION;         /* the TEB itself is not readable */
    } EX_END;
    if (Address >= StackBase || Address < DeallocationStack)
        return STATUS_GUARD_PAGE_VIOLATION;

    PVOID NextPage = (PVOID)((ULONG)PAGE_ALIGN(Address) - PAGE_SIZE);
    SIZE_T Size = PAGE_SIZE;
    if ((ULONG)NextPage - PAGE_SIZE <= (ULONG)PAGE_ALIGN(DeallocationStack) ||
        (ULONG)NextPage < PAGE_SIZE) {
        /* No room for another guard page: the last page below stays reserved. */
        NextPage = (PVOID)((ULONG)PAGE_ALIGN(DeallocationStack) + PAGE_SIZE);
        Status = ZwAllocateVirtualMemory(NtCurrentProcess(), &NextPage, 0, &Size, MEM_COMMIT, PAGE_READWRITE);
        if (NT_SUCCESS(Status)) {
            EX_TRY {
                Teb->NtTib.StackLimit = NextPage;
            } EX_EXCEPT(Status) {
                (void)Status;
            } EX_END;
        }
        return STATUS_STACK_OVERFLOW;
    }
    EX_TRY {
        Teb->NtTib.StackLimit = (PVOID)((ULONG)NextPage + PAGE_SIZE);
    } EX_EXCEPT(Status) {
        return STATUS_GUARD_PAGE_VIOLATION;
    } EX_END;
    Status = ZwAllocateVirtualMemory(NtCurrentProcess(), &NextPage, 0, &Size, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    return NT_SUCCESS(Status) ? STATUS_PAGE_FAULT_GUARD_PAGE : STATUS_STACK_OVERFLOW;
}

static NTSTATUS MiResolveUserFault(ULONG FaultStatus, ULONG Address)
{
    PEPROCESS Process = MiGetCurrentProcess();

    if (!Process || Address > MiHighestUserAddress(Process))
        return STATUS_ACCESS_VIOLATION;
    MiLockWorkingSet(Process);
    NTSTATUS Status = MiResolveUserFaultLocked(Process, Address, (FaultStatus & PF_WRITE) != 0);
    if (Status == STATUS_SUCCESS || Status == STATUS_GUARD_PAGE_VIOLATION)
        Process->Vm.PageFaultCount++;
    MiUnlockWorkingSet(Process);
    if (Status == STATUS_GUARD_PAGE_VIOLATION)
        Status = MiCheckForUserStackOverflow(Address);
    return Status;
}
