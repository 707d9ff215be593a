/*
 * mm/freevm.c — NtFreeVirtualMemory: decommitting and releasing.
 *
 * Both act inside one VAD: the one holding the base address, which must
 * also hold the last page (else STATUS_UNABLE_TO_FREE_VM); an address in
 * no VAD is STATUS_MEMORY_NOT_ALLOCATED. A size of 0 means the whole VAD,
 * and then the base must be where the VAD starts (STATUS_FREE_VM_NOT_AT_BASE).
 *
 * MEM_DECOMMIT returns pages to the reserved state: resident ones are
 * freed, and the PTEs say "reserved" — zero, or in a VAD committed whole
 * (where a zero PTE means committed) the decommitted marker, which needs
 * the page table even for pages never touched. Decommitting what is not
 * committed is allowed. MEM_RELEASE gives the range back to the address
 * space: the whole VAD, or a piece of it — its start or its end (the VAD
 * shrinks), or its middle (the VAD is split in two, as NT splits it, the
 * new VAD taken from pool first so that nothing has changed if there is
 * none). Pages and page tables left empty are freed; commit is returned
 * for every page that was committed, and for each page table no VAD spans
 * any more.
 */
#include "virtual.h"

/* Decommits [StartVa, EndVa] of Vad; the page tables a committed-whole VAD needs exist. */
static void MiDecommitPages(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa)
{
    MI_DELETE_BATCH Batch;
    bool MemCommit = Vad->u.VadFlags.MemCommit;

    Batch.Count = 0;
    for (ULONG Chunk = StartVa;;) {
        ULONG ChunkEnd = MIN(EndVa, Chunk | ((1u << PDE_SHIFT) - 1));
        if (MiUserPteIfPresent(Chunk)) {
            PMMPTE Pte = MiAddressToPte(Chunk);
            LONG Delta = 0;
            for (ULONG Va = Chunk; Va <= ChunkEnd; Va += PAGE_SIZE, Pte++) {
                MMPTE Old = MiReadPte(Pte);
                if (MiIsDecommittedPte(Old))
                    continue;
                Delta += MiDeleteUserPte(Process, Pte, Va, &Batch, MiDeletePrivate);
                if (MemCommit) {
                    MiWritePte(Pte, MiMakeUserSoftPte(MM_DECOMMIT));
                    Delta++;
                }
            }
            MiFlushDeleteBatch(Process, &Batch);
            MiAdjustUsedPtes(Process, Chunk, Delta);
        }
        if (ChunkEnd == EndVa)
            break;
        Chunk = ChunkEnd + 1;
    }
}

/*
 * Releases [StartVa, EndVa] of Vad: removes, shrinks or splits it (NewVad is
 * the upper half of a split, else NULL), deletes the pages and returns the
 * commit. Address creation lock held; frees Vad if it went entirely.
 */
static void MiReleaseRange(PEPROCESS Process, PMMVAD Vad, PMMVAD NewVad, ULONG StartVa, ULONG EndVa)
{
    ULONG VadStart = (ULONG)MI_VPN_TO_VA(Vad->StartingVpn), VadEnd = (ULONG)MI_VPN_TO_VA_ENDING(Vad->EndingVpn);
    ULONG Released = MiCalculatePageCommitment(Process, Vad, StartVa, EndVa);
    bool Whole = StartVa == VadStart && EndVa == VadEnd;

    MiLockWorkingSet(Process);
    if (Whole) {
        MiRemoveVad(Vad, Process);
    } else if (StartVa == VadStart) {
        Vad->StartingVpn = MI_VA_TO_VPN(EndVa + 1);
    } else if (EndVa == VadEnd) {
        Vad->EndingVpn = MI_VA_TO_VPN(StartVa) - 1;
    } else {
        NewVad->StartingVpn = MI_VA_TO_VPN(EndVa + 1);
        NewVad->EndingVpn = Vad->EndingVpn;
        NewVad->u.VadFlags = Vad->u.VadFlags;
        NewVad->CommitCharge = MiCalculatePageCommitment(Process, Vad, EndVa + 1, VadEnd);
        Vad->EndingVpn = MI_VA_TO_VPN(StartVa) - 1;
        Vad->CommitCharge -= NewVad->CommitCharge;
        MiInsertVad(NewVad, Process);
    }
    Vad->CommitCharge -= Released;
    MiDeleteUserRange(Process, StartVa, EndVa, MiDeletePrivate);
    MiUnlockWorkingSet(Process);
    if (Whole)
        MiFreeVad(Vad);
    MiReturnPageTableCommitment(Process, StartVa, EndVa);
    MiReturnProcessCommitment(Process, Released);
    Process->VirtualSize -= EndVa - StartVa + 1;
}

NTSTATUS NtFreeVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize, ULONG FreeType)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    NTSTATUS Status = STATUS_SUCCESS;
    ULONG CapturedBase;
    SIZE_T CapturedRegionSize;

    if ((FreeType & ~(MEM_DECOMMIT | MEM_RELEASE)) != 0 || (FreeType & (MEM_DECOMMIT | MEM_RELEASE)) == 0 ||
        (FreeType & (MEM_DECOMMIT | MEM_RELEASE)) == (MEM_DECOMMIT | MEM_RELEASE))
        return STATUS_INVALID_PARAMETER_4;
    Status = MiCaptureRangeArguments(PreviousMode, BaseAddress, RegionSize, NULL, &CapturedBase, &CapturedRegionSize);
    if (!NT_SUCCESS(Status))
        return Status;

    /* The range against the system's user range, then the handle, then against the process's own. */
    ULONG Highest = (ULONG)MmHighestUserAddress;
    if (CapturedBase > Highest)
        return STATUS_INVALID_PARAMETER_2;
    if (Highest - CapturedBase < CapturedRegionSize)
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
    PMMVAD NewVad = NULL;
    MiLockAddressSpace(Process);
    PMMVAD Vad = MiLocateAddress((PVOID)StartVa, Process);
    if (!Vad) {
        Status = STATUS_MEMORY_NOT_ALLOCATED;
    } else if (CapturedRegionSize != 0 && Vad->EndingVpn < MI_VA_TO_VPN(EndVa)) {
        Status = STATUS_UNABLE_TO_FREE_VM;          /* the range runs past this reservation */
    } else if (!Vad->u.VadFlags.PrivateMemory || Vad->u.VadFlags.VadType == VadDevicePhysicalMemory) {
        Status = STATUS_UNABLE_TO_DELETE_SECTION;   /* a mapping: MmUnmapLockedPages (later NtUnmapViewOfSection) */
    } else if (CapturedRegionSize == 0 && MI_VA_TO_VPN(CapturedBase) != Vad->StartingVpn) {
        Status = STATUS_FREE_VM_NOT_AT_BASE;
    } else {
        if (CapturedRegionSize == 0) {
            StartVa = (ULONG)MI_VPN_TO_VA(Vad->StartingVpn);
            EndVa = (ULONG)MI_VPN_TO_VA_ENDING(Vad->EndingVpn);
        }
        bool Middle = StartVa > (ULONG)MI_VPN_TO_VA(Vad->StartingVpn) && MI_VA_TO_VPN(EndVa) < Vad->EndingVpn;
        if (FreeType & MEM_RELEASE) {
            if (Middle && (NewVad = MiAllocateVad(false)) == NULL)
                Status = STATUS_INSUFFICIENT_RESOURCES;
            else
                MiReleaseRange(Process, Vad, NewVad, StartVa, EndVa);
        } else {
            ULONG Released = MiCalculatePageCommitment(Process, Vad, StartVa, EndVa);
            MiLockWorkingSet(Process);
            if (Vad->u.VadFlags.MemCommit && !MiMakeUserPageTables(Process, StartVa, EndVa)) {
                Status = STATUS_INSUFFICIENT_RESOURCES;
            } else {
                MiDecommitPages(Process, Vad, StartVa, EndVa);
                Vad->CommitCharge -= Released;
            }
            MiUnlockWorkingSet(Process);
            if (NT_SUCCESS(Status))
                MiReturnProcessCommitment(Process, Released);
        }
    }
    MiUnlockAddressSpace(Process);
    MiDetachAndDereferenceProcess(&Reference);
    if (!NT_SUCCESS(Status))
        return Status;

    MiWriteBackRange(BaseAddress, RegionSize, StartVa, EndVa - StartVa + 1);
    return STATUS_SUCCESS;
}

NTSTATUS ZwFreeVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize, ULONG FreeType)
{
    KPROCESSOR_MODE Old = ExpSetPreviousMode(KernelMode);
    NTSTATUS Status = NtFreeVirtualMemory(ProcessHandle, BaseAddress, RegionSize, FreeType);
    ExpSetPreviousMode(Old);
    return Status;
}
