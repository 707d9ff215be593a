/*
 * mm/usermdl.c — mapping an MDL's locked pages into the current process.
 *
 * MmMapLockedPagesSpecifyCache with UserMode gives the current process a
 * user address for the pages an MDL describes (a driver sharing a buffer
 * with its application). NT makes the range a VAD of its own — not private
 * memory the process could free or protect (NtFreeVirtualMemory answers
 * STATUS_UNABLE_TO_DELETE_SECTION, NtProtectVirtualMemory
 * STATUS_CONFLICTING_ADDRESSES), VadType VadDevicePhysicalMemory — and
 * fills its PTEs at once, valid, user, read/write, with the caching type's
 * bits. The frames stay the MDL's: unmapping (MmUnmapLockedPages with the
 * user address) or the process's end clears the PTEs without freeing them.
 * The VAD's page tables are charged as any VAD's are. Failure raises an
 * exception, as NT's does, with nothing left behind.
 */
#include "virtual.h"

/* Everything the mapping needs, or the status to raise; address creation lock held. */
static NTSTATUS MiInsertMdlVad(PEPROCESS Process, PMMVAD Vad, ULONG Requested, ULONG Pages, ULONG *Start)
{
    ULONG Highest = MiHighestVadAddress(Process), Size = Pages * PAGE_SIZE;
    NTSTATUS Status = STATUS_SUCCESS;

    if (Requested) {
        if (BYTE_OFFSET(Requested) || Requested < MM_LOWEST_USER_ADDRESS || Requested > Highest ||
            Highest - Requested + 1 < Size)
            return STATUS_INVALID_PARAMETER_4;
        if (MiCheckForConflictingVad((PVOID)Requested, (PVOID)(Requested + Size - 1), Process))
            return STATUS_CONFLICTING_ADDRESSES;
        *Start = Requested;
    } else {
        PVOID Found;
        Status = MiFindEmptyAddressRange(Process, Size, Highest, false, &Found);
        if (!NT_SUCCESS(Status))
            return Status;
        *Start = (ULONG)Found;
    }
    if (!MiChargeVadCommitment(Process, *Start, *Start + Size - 1, 0))
        return STATUS_COMMITMENT_LIMIT;
    MiLockWorkingSet(Process);
    if (!MiMakeUserPageTables(Process, *Start, *Start + Size - 1)) {
        MiUnlockWorkingSet(Process);
        MiReturnPageTableCommitment(Process, *Start, *Start + Size - 1);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Vad->StartingVpn = MI_VA_TO_VPN(*Start);
    Vad->EndingVpn = MI_VA_TO_VPN(*Start + Size - 1);
    Vad->u.VadFlags.VadType = VadDevicePhysicalMemory;
    Vad->u.VadFlags.PrivateMemory = 1;
    Vad->u.VadFlags.Protection = MM_READWRITE;
    MiInsertVad(Vad, Process);
    MiUnlockWorkingSet(Process);
    Process->VirtualSize += Size;
    return STATUS_SUCCESS;
}

PVOID MiMapLockedPagesInUserSpace(PMDL Mdl, MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress)
{
    ULONG Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);
    PEPROCESS Process = MiGetCurrentProcess();
    ULONG Bits, Start;

    if (!MiCachingBits(CacheType, &Bits))
        ExRaiseStatus(STATUS_INVALID_PARAMETER_3);
    if (Pages == 0 || !Process)
        ExRaiseStatus(STATUS_INVALID_PARAMETER_1);
    MiCheckMdlPages(Mdl, Pages);
    PMMVAD Vad = MiAllocateVad(true);
    if (!Vad)
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    MiLockAddressSpace(Process);
    NTSTATUS Status = MiInsertMdlVad(Process, Vad, (ULONG)RequestedAddress, Pages, &Start);
    if (!NT_SUCCESS(Status)) {
        MiUnlockAddressSpace(Process);
        MiFreeVad(Vad);
        ExRaiseStatus(Status);
    }

    /* The PTEs, page table by page table. */
    const PFN_NUMBER *Frames = MmGetMdlPfnArray(Mdl);
    MiLockWorkingSet(Process);
    for (ULONG i = 0; i < Pages;) {
        ULONG Va = Start + i * PAGE_SIZE;
        ULONG InTable = MIN(Pages - i, PTE_PER_PAGE - MiGetPteOffset(Va));
        PMMPTE Pte = MiAddressToPte(Va);
        for (ULONG k = 0; k < InTable; k++)
            MiWritePte(Pte + k, MiMakeValidPte(Frames[i + k], PTE_VALID | PTE_OWNER | PTE_WRITE | PTE_ACCESSED |
                                                                  PTE_DIRTY | Bits));
        MiAdjustUsedPtes(Process, Va, (LONG)InTable);
        i += InTable;
    }
    MiUnlockWorkingSet(Process);
    MiUnlockAddressSpace(Process);
    return (PVOID)(Start + Mdl->ByteOffset);
}

void MiUnmapLockedPagesInUserSpace(PVOID BaseAddress, PMDL Mdl)
{
    ULONG Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);
    PEPROCESS Process = MiGetCurrentProcess();
    PMMVAD Vad = NULL;

    if (Process) {
        MiLockAddressSpace(Process);
        Vad = MiLocateAddress(BaseAddress, Process);
    }
    if (!Vad || Vad->u.VadFlags.VadType != VadDevicePhysicalMemory ||
        Vad->StartingVpn != MI_VA_TO_VPN(BaseAddress) || Vad->EndingVpn - Vad->StartingVpn + 1 != Pages)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_NOT_A_USER_MAPPING, (ULONG_PTR)BaseAddress, (ULONG_PTR)Mdl, Pages);
    ULONG Start = (ULONG)MI_VPN_TO_VA(Vad->StartingVpn), End = (ULONG)MI_VPN_TO_VA_ENDING(Vad->EndingVpn);
    MiLockWorkingSet(Process);
    MiRemoveVad(Vad, Process);
    MiDeleteUserRange(Process, Start, End, MiDeleteNotOwned);
    MiUnlockWorkingSet(Process);
    MiReturnPageTableCommitment(Process, Start, End);
    Process->VirtualSize -= End - Start + 1;
    MiUnlockAddressSpace(Process);
    MiFreeVad(Vad);
}
