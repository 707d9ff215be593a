/*
 * mm/queryvm.c — NtQueryVirtualMemory: what an address of the user range is.
 *
 * NT answers MemoryBasicInformation from the VAD tree and the PTEs. An
 * address in no VAD is free: the region runs to the next VAD (or to the top
 * of what VADs may cover). In a VAD, each page is committed or reserved,
 * with a protection (mm/virtual.h tells it from the PTE and the VAD), and
 * the region is the run of pages from the queried one with the same state
 * and protection, ending at the VAD's end at the latest. AllocationBase and
 * AllocationProtect are the VAD's start and the protection it was reserved
 * with. Above the highest VAD address (the last 64 KB below
 * MmUserProbeAddress, where KUSER_SHARED_DATA will live) NT reports one
 * reserved, no-access region without looking further.
 *
 * A run is found page by page, but a missing page table says "all zero" for
 * its 4 MB at once, so a large reservation never touched costs a few steps.
 */
#include "virtual.h"

/* The state of a page of Vad whose PTE holds Pte (zero when its page table is missing). */
static ULONG MiPteState(PMMVAD Vad, MMPTE Pte, ULONG *Protection)
{
    if (Pte.u.Long == 0) {
        *Protection = Vad->u.VadFlags.MemCommit ? Vad->u.VadFlags.Protection : 0;
        return Vad->u.VadFlags.MemCommit ? MEM_COMMIT : MEM_RESERVE;
    }
    if (MiIsDecommittedPte(Pte)) {
        *Protection = 0;
        return MEM_RESERVE;
    }
    if (Pte.u.Hard.Valid)
        *Protection = Vad->u.VadFlags.VadType == VadDevicePhysicalMemory
                          ? Vad->u.VadFlags.Protection
                          : MI_PFN_ELEMENT(Pte.u.Hard.PageFrameNumber)->OriginalPte.u.Soft.Protection;
    else
        *Protection = Pte.u.Soft.Protection;      /* demand zero, or transition: same field */
    return MEM_COMMIT;
}

ULONG MiQueryPageState(PEPROCESS Process, PMMVAD Vad, ULONG Va, ULONG *Protection)
{
    PMMPTE Pte = MiUserPteIfPresent(Va);
    return MiPteState(Vad, Pte ? MiReadPte(Pte) : (MMPTE){ .u.Long = 0 }, Protection);
}

/* Bytes from Va (a page of Vad in State with Protection) to the end of the run of pages like it. */
static ULONG MiQueryRegionSize(PMMVAD Vad, ULONG Va, ULONG State, ULONG Protection)
{
    ULONG End = (ULONG)MI_VPN_TO_VA_ENDING(Vad->EndingVpn);
    ULONG Next = Va + PAGE_SIZE;

    while (Next <= End) {
        ULONG ChunkEnd = MIN(End, Next | ((1u << PDE_SHIFT) - 1));
        ULONG PageState, PageProtection;
        if (!MiUserPteIfPresent(Next)) {
            PageState = MiPteState(Vad, (MMPTE){ .u.Long = 0 }, &PageProtection);
            if (PageState != State || PageProtection != Protection)
                break;
            Next = ChunkEnd + 1;
            continue;
        }
        for (PMMPTE Pte = MiAddressToPte(Next); Next <= ChunkEnd; Next += PAGE_SIZE, Pte++) {
            PageState = MiPteState(Vad, MiReadPte(Pte), &PageProtection);
            if (PageState != State || PageProtection != Protection)
                return Next - Va;
        }
        if (ChunkEnd == End)
            break;
    }
    return MIN(Next, End + 1) - Va;
}

/* Fills Info for Va (page aligned, at most the highest VAD address) from the VAD tree and the PTEs. */
static void MiQueryAddress(PEPROCESS Process, ULONG Va, PMEMORY_BASIC_INFORMATION Info)
{
    ULONG HighestVad = MiHighestVadAddress(Process);
    PMMVAD Vad = MiLocateAddress((PVOID)Va, Process);

    Info->BaseAddress = (PVOID)Va;
    if (!Vad) {
        PMMVAD Next = MiCheckForConflictingVad((PVOID)Va, (PVOID)HighestVad, Process);
        Info->AllocationBase = NULL;
        Info->AllocationProtect = 0;
        Info->RegionSize = (Next ? (ULONG)MI_VPN_TO_VA(Next->StartingVpn) : HighestVad + 1) - Va;
        Info->State = MEM_FREE;
        Info->Protect = PAGE_NOACCESS;
        Info->Type = 0;
        return;
    }
    ULONG Protection;
    ULONG State = MiQueryPageState(Process, Vad, Va, &Protection);
    Info->AllocationBase = MI_VPN_TO_VA(Vad->StartingVpn);
    Info->AllocationProtect = MiProtectionToWin32(Vad->u.VadFlags.Protection);
    Info->RegionSize = MiQueryRegionSize(Vad, Va, State, Protection);
    Info->State = State;
    Info->Protect = State == MEM_COMMIT ? MiProtectionToWin32(Protection) : 0;
    Info->Type = MEM_PRIVATE;
}

NTSTATUS NtQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress,
                              MEMORY_INFORMATION_CLASS MemoryInformationClass, PVOID MemoryInformation,
                              SIZE_T MemoryInformationLength, PSIZE_T ReturnLength)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    MEMORY_BASIC_INFORMATION Info;
    NTSTATUS Status = STATUS_SUCCESS;

    /* mm386 answers MemoryBasicInformation; the working-set and section classes come with their mechanisms. */
    if (MemoryInformationClass != MemoryBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (MemoryInformationLength < sizeof(MEMORY_BASIC_INFORMATION))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWrite(MemoryInformation, MemoryInformationLength, sizeof(ULONG_PTR));
            if (ReturnLength)
                ProbeForWrite(ReturnLength, sizeof(SIZE_T), sizeof(SIZE_T));
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }

    PEPROCESS Process = MiReferenceProcessByHandle(ProcessHandle);
    ULONG Highest = Process ? MiHighestUserAddress(Process) : (ULONG)MmHighestUserAddress;
    ULONG Va = (ULONG)PAGE_ALIGN(BaseAddress);
    if ((ULONG)BaseAddress > Highest)
        return STATUS_INVALID_PARAMETER;
    if (!Process)
        return STATUS_INVALID_HANDLE;
    if (Va > MiHighestVadAddress(Process)) {
        Info.BaseAddress = (PVOID)Va;
        Info.AllocationBase = (PVOID)(MiHighestVadAddress(Process) + 1);
        Info.AllocationProtect = PAGE_READONLY;
        Info.RegionSize = Highest + 1 - Va;
        Info.State = MEM_RESERVE;
        Info.Protect = PAGE_NOACCESS;
        Info.Type = MEM_PRIVATE;
    } else {
        MiLockAddressSpace(Process);
        MiLockWorkingSet(Process);
        MiQueryAddress(Process, Va, &Info);
        MiUnlockWorkingSet(Process);
        MiUnlockAddressSpace(Process);
    }

    EX_TRY {
        *(PMEMORY_BASIC_INFORMATION)MemoryInformation = Info;
        if (ReturnLength)
            *ReturnLength = sizeof(MEMORY_BASIC_INFORMATION);
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

NTSTATUS ZwQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress,
                              MEMORY_INFORMATION_CLASS MemoryInformationClass, PVOID MemoryInformation,
                              SIZE_T MemoryInformationLength, PSIZE_T ReturnLength)
{
    KPROCESSOR_MODE Old = ExpSetPreviousMode(KernelMode);
    NTSTATUS Status = NtQueryVirtualMemory(ProcessHandle, BaseAddress, MemoryInformationClass, MemoryInformation,
                                           MemoryInformationLength, ReturnLength);
    ExpSetPreviousMode(Old);
    return Status;
}
