/*
 * mm/virtual.c — NtAllocateVirtualMemory: reserving and committing the user range.
 *
 * NT's two steps. Reserving takes a range of the user address space for
 * later and costs a VAD: with no base address given, the first free range
 * that fits (bottom-up, or top-down with MEM_TOP_DOWN, below the ZeroBits
 * limit), else the range from the base rounded down to 64 KB to the end
 * of the last page the size reaches, which must be free. Committing
 * promises backing store for pages of a reservation: the commit is charged
 * to the process and the system now (STATUS_COMMITMENT_LIMIT, with nothing
 * changed, when the system's limit would be passed), but no page is taken
 * until one is touched (mm/pagfault.c). A reservation committed whole when
 * it is made (MEM_RESERVE | MEM_COMMIT) writes no PTE at all: the VAD says
 * MemCommit, and a zero PTE in it means "committed with the VAD's
 * protection"; committing inside a reservation writes demand-zero PTEs
 * carrying the protection. Committing pages that are already committed
 * succeeds and gives them the new protection. MEM_RESET says the contents
 * of committed pages are no longer needed: their dirty bits are cleared
 * (with no paging file, the pages simply stay).
 *
 * The page tables a reservation spans are charged to the process with it
 * (mm/userpt.c). Committing inside a view of a section commits the
 * section's pages instead (mm/viewprot.c). The rules and status codes, in NT's order of checking, are
 * tabulated in docs/VAD.md. Arguments from a UserMode caller are probed and
 * read under a handler; nothing is written back on failure.
 */
#include "section.h"

/*
 * ProbeForWrite(Address, 4, 4) of one of the 4-byte values a range service
 * writes back (a base, a size, a protection), inline: the same checks and
 * exceptions in the same order, and the one byte it touches (an aligned
 * 4-byte value lies in one page). Inside EX_TRY, for a UserMode caller.
 */
static inline void MiProbeForWriteUlong(volatile void *Address)
{
    if ((ULONG)Address & (sizeof(ULONG) - 1))
        ExRaiseDatatypeMisalignment();
    if ((ULONG)Address >= (ULONG)MmUserProbeAddress - (sizeof(ULONG) - 1))
        ExRaiseAccessViolation();
    *(volatile UCHAR *)Address = *(volatile UCHAR *)Address;
}

NTSTATUS MiCaptureRangeArguments(KPROCESSOR_MODE PreviousMode, PVOID *BaseAddress, PSIZE_T RegionSize,
                                 PULONG OldProtect, ULONG *Base, SIZE_T *Size)
{
    NTSTATUS Status;

    if (PreviousMode == KernelMode) {
        *Base = (ULONG)*BaseAddress;
        *Size = *RegionSize;
        return STATUS_SUCCESS;
    }
    EX_TRY {
        MiProbeForWriteUlong(BaseAddress);
        MiProbeForWriteUlong(RegionSize);
        if (OldProtect)
            MiProbeForWriteUlong(OldProtect);
        *Base = (ULONG)*BaseAddress;
        *Size = *RegionSize;
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    return Status;
}

void MiWriteBackRange(PVOID *BaseAddress, PSIZE_T RegionSize, ULONG Base, SIZE_T Size)
{
    NTSTATUS Ignored;
    EX_TRY {
        *RegionSize = Size;
        *BaseAddress = (PVOID)Base;
    } EX_EXCEPT(Ignored) {
        (void)Ignored;
    } EX_END;
}

ULONG MiCalculatePageCommitment(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa)
{
    const ULONG Decommitted = MiMakeUserSoftPte(MM_DECOMMIT).u.Long;
    const bool MemCommit = Vad->u.VadFlags.MemCommit;
    ULONG Committed = 0;

    for (ULONG Chunk = StartVa;;) {
        ULONG ChunkEnd = MIN(EndVa, Chunk | ((1u << PDE_SHIFT) - 1));
        ULONG Count = ((ChunkEnd - Chunk) >> PAGE_SHIFT) + 1;
        if (!MiUserPteIfPresent(Chunk)) {
            Committed += MemCommit ? Count : 0;     /* no page table: every PTE is zero */
        } else {
            const MMPTE *Pte = MiAddressToPte(Chunk);
            for (ULONG i = 0; i < Count; i++) {
                ULONG Value = MiReadPte(Pte + i).u.Long;
                Committed += Value == 0 ? MemCommit : Value != Decommitted;
            }
        }
        if (ChunkEnd == EndVa)
            break;
        Chunk = ChunkEnd + 1;
    }
    return Committed;
}

/* Whether any PTE of [Pte, Last] holds Value (a tight loop: a range check reads every PTE of it). */
static inline bool MiPtesInclude(const MMPTE *Pte, const MMPTE *Last, ULONG Value)
{
    for (; Pte <= Last; Pte++) {
        if (MiReadPte(Pte).u.Long == Value)
            return true;
    }
    return false;
}

bool MiIsEntireRangeCommitted(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa)
{
    const ULONG Decommitted = MiMakeUserSoftPte(MM_DECOMMIT).u.Long;

    for (ULONG Chunk = StartVa;;) {
        ULONG ChunkEnd = MIN(EndVa, Chunk | ((1u << PDE_SHIFT) - 1));
        if (!MiUserPteIfPresent(Chunk)) {
            if (!Vad->u.VadFlags.MemCommit)
                return false;
        } else if (Vad->u.VadFlags.MemCommit) {
            /* Committed whole: a zero PTE is committed, and a decommitted one is the only gap. */
            if (MiPtesInclude(MiAddressToPte(Chunk), MiAddressToPte(ChunkEnd), Decommitted))
                return false;
        } else {
            /* Committed page by page: a zero PTE is a gap too. */
            for (const MMPTE *Pte = MiAddressToPte(Chunk); Pte <= MiAddressToPte(ChunkEnd); Pte++) {
                ULONG Value = MiReadPte(Pte).u.Long;
                if (Value == 0 || Value == Decommitted)
                    return false;
            }
        }
        if (ChunkEnd == EndVa)
            break;
        Chunk = ChunkEnd + 1;
    }
    return true;
}

/*
 * NT's checks of AllocationType and Protect, in its order: a status, or
 * STATUS_SUCCESS with the protection mask in *ProtectionMask.
 */
static NTSTATUS MiCheckAllocationArguments(ULONG AllocationType, ULONG Protect, ULONG *ProtectionMask)
{
    const ULONG Known = MEM_COMMIT | MEM_RESERVE | MEM_PHYSICAL | MEM_LARGE_PAGES | MEM_TOP_DOWN | MEM_RESET |
                        MEM_WRITE_WATCH;

    if ((AllocationType & ~Known) != 0 || (AllocationType & (MEM_COMMIT | MEM_RESERVE | MEM_RESET)) == 0)
        return STATUS_INVALID_PARAMETER_5;
    if ((AllocationType & MEM_RESET) && AllocationType != MEM_RESET)
        return STATUS_INVALID_PARAMETER_5;      /* MEM_RESET goes alone */
    if ((AllocationType & MEM_LARGE_PAGES) &&
        (!(AllocationType & MEM_COMMIT) || (AllocationType & (MEM_PHYSICAL | MEM_WRITE_WATCH))))
        return STATUS_INVALID_PARAMETER_5;
    if ((AllocationType & MEM_WRITE_WATCH) && !(AllocationType & MEM_RESERVE))
        return STATUS_INVALID_PARAMETER_5;
    if (AllocationType & MEM_PHYSICAL) {
        if (!(AllocationType & MEM_RESERVE) || (AllocationType & ~(MEM_RESERVE | MEM_TOP_DOWN | MEM_PHYSICAL)))
            return STATUS_INVALID_PARAMETER_5;
        if (Protect != PAGE_READWRITE)
            return STATUS_INVALID_PARAMETER_6;  /* AWE memory is always read/write */
    }
    *ProtectionMask = MiMakeProtectionMask(Protect);
    return *ProtectionMask == MM_INVALID_PROTECTION ? STATUS_INVALID_PAGE_PROTECTION : STATUS_SUCCESS;
}

/*
 * Reserves [*Base, *Base + *Size) — or, with *Base NULL, a free range of
 * *Size bytes below HighestAddress — committing it whole with MEM_COMMIT.
 * On success *Base and *Size are the range reserved.
 */
static NTSTATUS MiReserveVirtualMemory(PEPROCESS Process, ULONG *Base, SIZE_T *Size, ULONG HighestAddress,
                                       ULONG AllocationType, ULONG ProtectionMask)
{
    ULONG StartVa = 0, EndVa = 0;
    NTSTATUS Status = STATUS_SUCCESS;

    PMMVAD Vad = MiAllocateVad(false);
    if (!Vad)
        return STATUS_INSUFFICIENT_RESOURCES;
    MiLockAddressSpace(Process);
    if (*Base == 0) {
        SIZE_T Bytes = ROUND_TO_PAGES(*Size);
        PVOID Found;
        Status = MiFindEmptyAddressRange(Process, Bytes, HighestAddress, (AllocationType & MEM_TOP_DOWN) != 0,
                                         &Found);
        StartVa = (ULONG)Found;
        EndVa = StartVa + Bytes - 1;
    } else {
        StartVa = ROUND_DOWN(*Base, MM_ALLOCATION_GRANULARITY);
        EndVa = (*Base + *Size - 1) | (PAGE_SIZE - 1);
        if (MiCheckForConflictingVad((PVOID)StartVa, (PVOID)EndVa, Process))
            Status = STATUS_CONFLICTING_ADDRESSES;
    }
    ULONG Pages = ((EndVa - StartVa) >> PAGE_SHIFT) + 1;
    ULONG Commit = (AllocationType & MEM_COMMIT) ? Pages : 0;
    if (NT_SUCCESS(Status) && !MiChargeVadCommitment(Process, StartVa, EndVa, Commit))
        Status = STATUS_COMMITMENT_LIMIT;
    if (!NT_SUCCESS(Status)) {
        MiUnlockAddressSpace(Process);
        MiFreeVad(Vad);
        return Status;
    }

    Vad->StartingVpn = MI_VA_TO_VPN(StartVa);
    Vad->EndingVpn = MI_VA_TO_VPN(EndVa);
    Vad->u.VadFlags.Protection = ProtectionMask;
    Vad->u.VadFlags.PrivateMemory = 1;
    Vad->u.VadFlags.MemCommit = Commit != 0;
    Vad->CommitCharge = Commit;
    MiLockWorkingSet(Process);
    MiInsertVad(Vad, Process);
    MiUnlockWorkingSet(Process);
    Process->VirtualSize += EndVa - StartVa + 1;
    if (Process->VirtualSize > Process->PeakVirtualSize)
        Process->PeakVirtualSize = Process->VirtualSize;
    MiUnlockAddressSpace(Process);
    *Base = StartVa;
    *Size = EndVa - StartVa + 1;
    return STATUS_SUCCESS;
}

/* The VAD (private memory, or a view) holding all of [StartVa, EndVa], or NULL (STATUS_CONFLICTING_ADDRESSES). */
static PMMVAD MiFindPrivateVadForRange(PEPROCESS Process, ULONG StartVa, ULONG EndVa)
{
    PMMVAD Vad = MiCheckForConflictingVad((PVOID)StartVa, (PVOID)EndVa, Process);
    if (!Vad || MI_VA_TO_VPN(StartVa) < Vad->StartingVpn || MI_VA_TO_VPN(EndVa) > Vad->EndingVpn ||
        Vad->u.VadFlags.VadType == VadDevicePhysicalMemory)
        return NULL;
    return Vad;
}

/* Commits [*Base, *Base + *Size) rounded out to pages, inside one reservation, with ProtectionMask. */
static NTSTATUS MiCommitVirtualMemory(PEPROCESS Process, ULONG *Base, SIZE_T *Size, ULONG Protect,
                                      ULONG ProtectionMask)
{
    ULONG StartVa = (ULONG)PAGE_ALIGN(*Base);
    ULONG EndVa = (*Base + *Size - 1) | (PAGE_SIZE - 1);
    NTSTATUS Status = STATUS_SUCCESS;

    MiLockAddressSpace(Process);
    PMMVAD Vad = MiFindPrivateVadForRange(Process, StartVa, EndVa);
    if (!Vad) {
        Status = STATUS_CONFLICTING_ADDRESSES;
    } else if (MiIsViewVad(Vad)) {
        Status = MiCommitViewPages(Process, Vad, StartVa, EndVa, Protect, ProtectionMask);
    } else if (Protect & (PAGE_WRITECOPY | PAGE_EXECUTE_WRITECOPY)) {
        Status = STATUS_INVALID_PAGE_PROTECTION;
    } else {
        MiLockWorkingSet(Process);
        ULONG Pages = ((EndVa - StartVa) >> PAGE_SHIFT) + 1;
        ULONG Charge = Pages - MiCalculatePageCommitment(Process, Vad, StartVa, EndVa);
        if (!MiChargeProcessCommitment(Process, Charge)) {
            Status = STATUS_COMMITMENT_LIMIT;
        } else if (MiRangeNeedsPageTables(Vad, ProtectionMask) && !MiMakeUserPageTables(Process, StartVa, EndVa)) {
            MiReturnProcessCommitment(Process, Charge);
            Status = STATUS_INSUFFICIENT_RESOURCES;
        } else {
            ULONG Committed = MiSetProtectionOnRange(Process, Vad, StartVa, EndVa, ProtectionMask, true);
            ASSERT(Committed == Charge);
            Vad->CommitCharge += Committed;
        }
        MiUnlockWorkingSet(Process);
    }
    MiUnlockAddressSpace(Process);
    if (NT_SUCCESS(Status)) {
        *Base = StartVa;
        *Size = EndVa - StartVa + 1;
    }
    return Status;
}

/* MEM_RESET: the whole pages inside [*Base, *Base + *Size) no longer need their contents. */
static NTSTATUS MiResetVirtualMemory(PEPROCESS Process, ULONG *Base, SIZE_T *Size)
{
    ULONG StartVa = ROUND_UP(*Base, PAGE_SIZE);
    ULONG EndVa = (ULONG)PAGE_ALIGN(*Base + *Size) - 1;
    NTSTATUS Status = STATUS_SUCCESS;

    if (StartVa > EndVa || EndVa + 1 == 0)
        return STATUS_CONFLICTING_ADDRESSES;    /* no whole page inside */
    MiLockAddressSpace(Process);
    PMMVAD Vad = MiFindPrivateVadForRange(Process, StartVa, EndVa);
    if (!Vad) {
        Status = STATUS_CONFLICTING_ADDRESSES;
    } else {
        MiLockWorkingSet(Process);
        for (ULONG Va = StartVa; Va <= EndVa; Va += PAGE_SIZE) {
            PMMPTE Pte = MiUserPteIfPresent(Va);
            if (!Pte) {
                Va |= (1u << PDE_SHIFT) - PAGE_SIZE;        /* the rest of this page table's range */
                continue;
            }
            MMPTE Value = MiReadPte(Pte);
            if (Value.u.Hard.Valid && Value.u.Hard.Dirty) {
                KIRQL OldIrql;
                Value.u.Hard.Dirty = 0;
                MiWritePte(Pte, Value);
                HalInvalidatePage((PVOID)Va);
                LOCK_PFN(OldIrql);                  /* every MMPFN write under the PFN lock */
                MI_PFN_ELEMENT(Value.u.Hard.PageFrameNumber)->u3.e2.e1.Modified = 0;
                UNLOCK_PFN(OldIrql);
            }
        }
        MiUnlockWorkingSet(Process);
    }
    MiUnlockAddressSpace(Process);
    if (NT_SUCCESS(Status)) {
        *Base = StartVa;
        *Size = EndVa - StartVa + 1;
    }
    return Status;
}

NTSTATUS MiReferenceProcessByRealHandle(HANDLE ProcessHandle, ACCESS_MASK Access, MI_PROCESS_REFERENCE *Reference)
{
    Reference->Referenced = Reference->Attached = FALSE;
    NTSTATUS Status = ObReferenceObjectByHandle(ProcessHandle, Access, PsProcessType, ExGetPreviousMode(),
                                                (PVOID *)&Reference->Process, NULL);
    Reference->Referenced = NT_SUCCESS(Status);
    return Status;
}

void MiAttachOtherProcess(MI_PROCESS_REFERENCE *Reference)
{
    KeStackAttachProcess(&Reference->Process->Pcb, &Reference->ApcState);
    Reference->Attached = TRUE;
}

void MiDetachAndDereferenceOtherProcess(MI_PROCESS_REFERENCE *Reference)
{
    if (Reference->Attached)
        KeUnstackDetachProcess(&Reference->ApcState);
    if (Reference->Referenced)
        ObDereferenceObject(Reference->Process);
}

NTSTATUS NtAllocateVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                                 PSIZE_T RegionSize, ULONG AllocationType, ULONG Protect)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    NTSTATUS Status = STATUS_SUCCESS;
    ULONG ProtectionMask, CapturedBase;
    SIZE_T CapturedRegionSize;

    if (ZeroBits > MM_MAXIMUM_ZERO_BITS)
        return STATUS_INVALID_PARAMETER_3;
    Status = MiCheckAllocationArguments(AllocationType, Protect, &ProtectionMask);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = MiCaptureRangeArguments(PreviousMode, BaseAddress, RegionSize, NULL, &CapturedBase, &CapturedRegionSize);
    if (!NT_SUCCESS(Status))
        return Status;

    /* The range against the system's user range, then the handle, then against the process's own. */
    ULONG HighestVad = (ULONG)MmHighestUserAddress - MM_ALLOCATION_GRANULARITY;
    if (CapturedBase > HighestVad || (CapturedBase != 0 && CapturedBase < MM_LOWEST_USER_ADDRESS))
        return STATUS_INVALID_PARAMETER_2;
    if (HighestVad + 1 - CapturedBase < CapturedRegionSize || CapturedRegionSize == 0)
        return STATUS_INVALID_PARAMETER_4;
    MI_PROCESS_REFERENCE Reference;
    Status = MiReferenceProcessByHandle(ProcessHandle, PROCESS_VM_OPERATION, &Reference);
    if (!NT_SUCCESS(Status))
        return Status;
    PEPROCESS Process = Reference.Process;
    HighestVad = MiHighestVadAddress(Process);
    if (CapturedBase > HighestVad)
        Status = STATUS_INVALID_PARAMETER_2;
    else if (HighestVad + 1 - CapturedBase < CapturedRegionSize)
        Status = STATUS_INVALID_PARAMETER_4;
    else if (AllocationType & (MEM_PHYSICAL | MEM_LARGE_PAGES | MEM_WRITE_WATCH))
        Status = STATUS_NOT_SUPPORTED;      /* checked as NT checks them, but not provided: AWE, large pages, write watch */
    else if ((CapturedBase == 0 || (AllocationType & MEM_RESERVE)) && AllocationType != MEM_RESET &&
             (Protect & (PAGE_WRITECOPY | PAGE_EXECUTE_WRITECOPY)))
        Status = STATUS_INVALID_PAGE_PROTECTION;    /* private memory is never copy-on-write */
    if (!NT_SUCCESS(Status)) {
        MiDetachAndDereferenceProcess(&Reference);
        return Status;
    }

    MiAttachReferencedProcess(&Reference);
    if (AllocationType == MEM_RESET) {
        Status = MiResetVirtualMemory(Process, &CapturedBase, &CapturedRegionSize);
    } else if (CapturedBase == 0 || (AllocationType & MEM_RESERVE)) {
        /* With no base address, MEM_COMMIT alone reserves too. */
        ULONG Highest = ZeroBits ? MIN(0xFFFFFFFFu >> ZeroBits, HighestVad) : HighestVad;
        Status = MiReserveVirtualMemory(Process, &CapturedBase, &CapturedRegionSize, Highest, AllocationType,
                                        ProtectionMask);
    } else {
        Status = MiCommitVirtualMemory(Process, &CapturedBase, &CapturedRegionSize, Protect, ProtectionMask);
    }
    MiDetachAndDereferenceProcess(&Reference);
    if (!NT_SUCCESS(Status))
        return Status;

    MiWriteBackRange(BaseAddress, RegionSize, CapturedBase, CapturedRegionSize);
    return STATUS_SUCCESS;
}

NTSTATUS ZwAllocateVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                                 PSIZE_T RegionSize, ULONG AllocationType, ULONG Protect)
{
    KPROCESSOR_MODE Old = ExpSetPreviousMode(KernelMode);
    NTSTATUS Status = NtAllocateVirtualMemory(ProcessHandle, BaseAddress, ZeroBits, RegionSize, AllocationType,
                                              Protect);
    ExpSetPreviousMode(Old);
    return Status;
}
