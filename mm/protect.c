/*
 * mm/protect.c — page protections, and NtProtectVirtualMemory.
 *
 * The Win32 protections (PAGE_READONLY ... PAGE_EXECUTE_READWRITE, with
 * PAGE_GUARD, PAGE_NOCACHE or PAGE_WRITECOMBINE) become NT's 5-bit
 * protection (mm/pte.h's MM_*): the access in the low three bits, the
 * modifier above (nocache 0x08, guard 0x10, write-combine 0x18). Exactly
 * one access may be given; a guard page must be accessible and not
 * uncached; no-access takes no modifier. The same 5 bits live in every
 * software user PTE, in a VAD, and — for a valid page — in its PFN's
 * OriginalPte, since a hardware PTE cannot tell read-only from execute.
 * A valid PTE carries the owner bit, the write bit for writable
 * protections, and PCD/PWT for nocache (PCD alone for write-combine, as
 * mm/iosup.c maps device memory). Without PAE there is no execute bit.
 *
 * NtProtectVirtualMemory changes the protection of committed pages, all
 * inside one VAD, and returns the old protection of the first page. A page
 * made no-access or guard while resident keeps its frame in a transition
 * PTE (mm/virtual.h); made accessible again, it becomes valid again. Pages
 * of a section's view follow the view's rules (mm/viewprot.c).
 */
#include "section.h"

/* PAGE_NOACCESS .. PAGE_WRITECOPY (bits 0-3) and PAGE_EXECUTE .. (bits 4-7): each field takes one bit. */
static const ULONG MiUserProtectionToMask1[16] = {
    0, MM_NOACCESS, MM_READONLY, MM_INVALID_PROTECTION, MM_READWRITE,
    MM_INVALID_PROTECTION, MM_INVALID_PROTECTION, MM_INVALID_PROTECTION, MM_WRITECOPY,
    MM_INVALID_PROTECTION, MM_INVALID_PROTECTION, MM_INVALID_PROTECTION, MM_INVALID_PROTECTION,
    MM_INVALID_PROTECTION, MM_INVALID_PROTECTION, MM_INVALID_PROTECTION,
};
static const ULONG MiUserProtectionToMask2[16] = {
    0, MM_EXECUTE, MM_EXECUTE_READ, MM_INVALID_PROTECTION, MM_EXECUTE_READWRITE,
    MM_INVALID_PROTECTION, MM_INVALID_PROTECTION, MM_INVALID_PROTECTION, MM_EXECUTE_WRITECOPY,
    MM_INVALID_PROTECTION, MM_INVALID_PROTECTION, MM_INVALID_PROTECTION, MM_INVALID_PROTECTION,
    MM_INVALID_PROTECTION, MM_INVALID_PROTECTION, MM_INVALID_PROTECTION,
};

ULONG MiMakeProtectionMask(ULONG Protect)
{
    ULONG Field1 = Protect & 0xF, Field2 = (Protect >> 4) & 0xF, Mask;

    if (Protect >= PAGE_WRITECOMBINE * 2)
        return MM_INVALID_PROTECTION;
    if ((Field1 == 0) == (Field2 == 0))
        return MM_INVALID_PROTECTION;       /* no access given, or two */
    Mask = Field1 ? MiUserProtectionToMask1[Field1] : MiUserProtectionToMask2[Field2];
    if (Mask == MM_INVALID_PROTECTION)
        return MM_INVALID_PROTECTION;
    if (Protect & PAGE_GUARD) {
        if (Mask == MM_NOACCESS || (Protect & (PAGE_NOCACHE | PAGE_WRITECOMBINE)))
            return MM_INVALID_PROTECTION;
        Mask |= MM_GUARD_PAGE;
    }
    if (Protect & PAGE_NOCACHE) {
        if (Mask == MM_NOACCESS || (Protect & PAGE_WRITECOMBINE))
            return MM_INVALID_PROTECTION;
        Mask |= MM_NOCACHE;
    }
    if (Protect & PAGE_WRITECOMBINE) {
        if (Mask == MM_NOACCESS)
            return MM_INVALID_PROTECTION;
        Mask |= MM_WRITECOMBINE;
    }
    return Mask;
}

const ULONG MiProtectToWin32Access[8] = {
    PAGE_NOACCESS, PAGE_READONLY, PAGE_EXECUTE, PAGE_EXECUTE_READ,
    PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY,
};
const ULONG MiProtectToWin32Modifier[4] = { 0, PAGE_NOCACHE, PAGE_GUARD, PAGE_WRITECOMBINE };

/*
 * Sets Protection on every page of one page table's part of the range
 * (Pte onwards, Count PTEs; the page table exists). What the pages become
 * is computed once: the software PTE, whether the page may be valid, and
 * a valid PTE's bits (the frame and the dirty bit are added per page).
 * Valid PTEs that change are counted in *Flushes (the first 16 of their
 * addresses kept in FlushVa) for the caller to flush. Returns the change
 * in the page table's used count; *Committed counts pages committed here.
 * Working set mutex and PFN lock held (the OriginalPte of resident pages).
 */
static LONG MiSetProtectionOnPtes(PEPROCESS Process, PMMVAD Vad, PMMPTE Pte, ULONG Va, ULONG Count,
                                  ULONG Protection, bool Commit, ULONG *Committed, ULONG *Flushes, ULONG FlushVa[16])
{
    const MMPTE Soft = MiMakeUserSoftPte(Protection), Decommitted = MiMakeUserSoftPte(MM_DECOMMIT);
    const bool Accessible = MiIsAccessibleProtection(Protection);
    const ULONG ValidBits = Accessible ? MiMakeUserValidPte(0, Protection, false).u.Long : 0;
    /* A zero PTE is committed with the VAD's protection if the VAD was committed whole, else not at all. */
    const bool ZeroNeedsWrite = Vad->u.VadFlags.MemCommit ? Protection != Vad->u.VadFlags.Protection : Commit;
    const bool ZeroIsCommitted = Vad->u.VadFlags.MemCommit;
    PMMPFN Database = MmPfnDatabase;
    LONG Delta = 0;

    for (ULONG i = 0; i < Count; i++, Pte++, Va += PAGE_SIZE) {
        MMPTE Old = MiReadPte(Pte);
        if (Old.u.Hard.Valid) {
            PFN_NUMBER Pfn = Old.u.Hard.PageFrameNumber;
            MMPTE New;
            Database[Pfn].OriginalPte.u.Soft.Protection = Protection;
            if (Accessible) {
                New.u.Long = (Pfn << PAGE_SHIFT) | ValidBits | (Old.u.Long & PTE_DIRTY);
            } else {
                New = MiMakeUserTransitionPte(Pfn, Protection);
                Process->Vm.WorkingSetSize--;
            }
            if (New.u.Long != Old.u.Long) {
                MiWritePte(Pte, New);
                if (*Flushes < 16)
                    FlushVa[*Flushes] = Va;
                (*Flushes)++;
            }
        } else if (Old.u.Long == 0) {
            if (ZeroNeedsWrite) {
                MiWritePte(Pte, Soft);
                Delta++;
                *Committed += !ZeroIsCommitted;
            }
        } else if (MiIsUserTransitionPte(Old)) {
            PFN_NUMBER Pfn = Old.u.Trans.PageFrameNumber;
            Database[Pfn].OriginalPte.u.Soft.Protection = Protection;
            if (Accessible) {
                MiWritePte(Pte, MiMakeValidPte(Pfn, ValidBits));
                Process->Vm.WorkingSetSize++;
            } else {
                MiWritePte(Pte, MiMakeUserTransitionPte(Pfn, Protection));
            }
        } else if (Old.u.Long == Decommitted.u.Long) {
            if (Commit) {
                MiWritePte(Pte, Soft);
                (*Committed)++;
            }
        } else {
            MiWritePte(Pte, Soft);      /* demand zero: a new protection */
        }
    }
    return Delta;
}

ULONG MiSetProtectionOnRange(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa, ULONG Protection,
                             bool Commit)
{
    ULONG Committed = 0, Flushes = 0, FlushVa[16];

    for (ULONG Chunk = StartVa;;) {
        ULONG ChunkEnd = MIN(EndVa, Chunk | ((1u << PDE_SHIFT) - 1));
        /* No page table: every PTE is zero; the caller made the page tables a change needs. */
        if (MiUserPteIfPresent(Chunk)) {
            /* The PFN lock: a resident or transition page's OriginalPte takes the new protection. */
            KIRQL OldIrql;
            LOCK_PFN(OldIrql);
            LONG Delta = MiSetProtectionOnPtes(Process, Vad, MiAddressToPte(Chunk), Chunk,
                                               ((ChunkEnd - Chunk) >> PAGE_SHIFT) + 1, Protection, Commit,
                                               &Committed, &Flushes, FlushVa);
            UNLOCK_PFN(OldIrql);
            MiAdjustUsedPtes(Process, Chunk, Delta);
        }
        if (ChunkEnd == EndVa)
            break;
        Chunk = ChunkEnd + 1;
    }
    /* The changed translations: one invlpg each for a few, a CR3 reload for more (user PTEs are never global). */
    if (Flushes > ARRAY_SIZE(FlushVa)) {
        KeFlushProcessTb();
    } else {
        for (ULONG i = 0; i < Flushes; i++)
            HalInvalidatePage((PVOID)FlushVa[i]);
    }
    return Committed;
}

/* The results, under one handler; results that cannot be written are ignored, as NT ignores them. */
static void MiWriteBackProtection(PVOID *BaseAddress, PSIZE_T RegionSize, PULONG OldProtect, ULONG Base,
                                  SIZE_T Size, ULONG Protect)
{
    NTSTATUS Ignored;
    EX_TRY {
        *RegionSize = Size;
        *BaseAddress = (PVOID)Base;
        *OldProtect = Protect;
    } EX_EXCEPT(Ignored) {
        (void)Ignored;
    } EX_END;
}

NTSTATUS NtProtectVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                                ULONG NewProtect, PULONG OldProtect)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    NTSTATUS Status = STATUS_SUCCESS;
    ULONG CapturedBase;
    SIZE_T CapturedRegionSize;

    ULONG ProtectionMask = MiMakeProtectionMask(NewProtect);
    if (ProtectionMask == MM_INVALID_PROTECTION)
        return STATUS_INVALID_PAGE_PROTECTION;
    /* OldProtect is not optional in NT: a caller in ring 3 that passes NULL gets its probe's verdict. */
    if (!OldProtect)
        return PreviousMode == UserMode ? STATUS_ACCESS_VIOLATION : STATUS_INVALID_PARAMETER_5;
    Status = MiCaptureRangeArguments(PreviousMode, BaseAddress, RegionSize, OldProtect, &CapturedBase,
                                     &CapturedRegionSize);
    if (!NT_SUCCESS(Status))
        return Status;

    /* The range against the system's user range, then the handle, then against the process's own. */
    ULONG Highest = (ULONG)MmHighestUserAddress;
    if (CapturedBase > Highest)
        return STATUS_INVALID_PARAMETER_2;
    if (Highest - CapturedBase < CapturedRegionSize || CapturedRegionSize == 0)
        return STATUS_INVALID_PARAMETER_3;
    MI_PROCESS_REFERENCE Reference;
    Status = MiReferenceProcessByHandle(ProcessHandle, PROCESS_VM_OPERATION, &Reference);
    if (!NT_SUCCESS(Status))
        return Status;
    PEPROCESS Process = Reference.Process;
    Highest = MiHighestUserAddress(Process);
    if (CapturedBase > Highest || Highest - CapturedBase < CapturedRegionSize) {
        MiDetachAndDereferenceProcess(&Reference);
        return CapturedBase > Highest ? STATUS_INVALID_PARAMETER_2 : STATUS_INVALID_PARAMETER_3;
    }
    MiAttachReferencedProcess(&Reference);

    ULONG StartVa = (ULONG)PAGE_ALIGN(CapturedBase);
    ULONG EndVa = (CapturedBase + CapturedRegionSize - 1) | (PAGE_SIZE - 1);
    ULONG LastProtect = 0;
    MiLockAddressSpace(Process);
    PMMVAD Vad = MiCheckForConflictingVad((PVOID)StartVa, (PVOID)EndVa, Process);
    if (!Vad || MI_VA_TO_VPN(StartVa) < Vad->StartingVpn || MI_VA_TO_VPN(EndVa) > Vad->EndingVpn ||
        Vad->u.VadFlags.VadType == VadDevicePhysicalMemory) {
        Status = STATUS_CONFLICTING_ADDRESSES;      /* not all inside one reservation or view */
    } else if (MiIsViewVad(Vad)) {
        Status = MiProtectViewPages(Process, Vad, StartVa, EndVa, NewProtect, ProtectionMask, &LastProtect);
    } else if (NewProtect & (PAGE_WRITECOPY | PAGE_EXECUTE_WRITECOPY)) {
        Status = STATUS_INVALID_PAGE_PROTECTION;    /* never for private memory */
    } else {
        MiLockWorkingSet(Process);
        if (!MiIsEntireRangeCommitted(Process, Vad, StartVa, EndVa)) {
            Status = STATUS_NOT_COMMITTED;
        } else if (MiRangeNeedsPageTables(Vad, ProtectionMask) && !MiMakeUserPageTables(Process, StartVa, EndVa)) {
            Status = STATUS_INSUFFICIENT_RESOURCES;
        } else {
            MiQueryPageState(Process, Vad, StartVa, &LastProtect);
            MiSetProtectionOnRange(Process, Vad, StartVa, EndVa, ProtectionMask, false);
        }
        MiUnlockWorkingSet(Process);
    }
    MiUnlockAddressSpace(Process);
    MiDetachAndDereferenceProcess(&Reference);
    if (!NT_SUCCESS(Status))
        return Status;

    MiWriteBackProtection(BaseAddress, RegionSize, OldProtect, StartVa, EndVa - StartVa + 1,
                          MiProtectionToWin32(LastProtect));
    return STATUS_SUCCESS;
}

NTSTATUS ZwProtectVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                                ULONG NewProtect, PULONG OldProtect)
{
    KPROCESSOR_MODE Old = ExpSetPreviousMode(KernelMode);
    NTSTATUS Status = NtProtectVirtualMemory(ProcessHandle, BaseAddress, RegionSize, NewProtect, OldProtect);
    ExpSetPreviousMode(Old);
    return Status;
}
