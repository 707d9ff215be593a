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
 * with. A view of a section is MEM_MAPPED (MEM_IMAGE for an image's),
 * its pages committed unless a SEC_RESERVE section's page is not, each
 * with its protection in the view (mm/viewprot.c). Above the highest VAD
 * address (the last 64 KB below MmUserProbeAddress, where
 * KUSER_SHARED_DATA will live) NT reports one reserved, no-access region
 * without looking further.
 *
 * A run is found page by page, but a missing page table says "all zero" for
 * its 4 MB at once, so a large reservation never touched costs a few steps.
 */
#include <kusd.h>
#include "section.h"

/*
 * A page's state and protection as one value, for comparing runs quickly:
 * MI_QUERY_COMMITTED | protection, or MI_QUERY_RESERVED. ZeroClass is what
 * a zero PTE means in the page's VAD.
 */
#define MI_QUERY_COMMITTED  0x100
#define MI_QUERY_RESERVED   0x200

static inline ULONG MiPteClass(PMMVAD Vad, MMPTE Pte, ULONG ZeroClass)
{
    if (Pte.u.Long == 0)
        return ZeroClass;
    if (Pte.u.Hard.Valid)
        return MI_QUERY_COMMITTED | (Vad->u.VadFlags.VadType == VadDevicePhysicalMemory
                                         ? Vad->u.VadFlags.Protection
                                         : MI_PFN_ELEMENT(Pte.u.Hard.PageFrameNumber)->OriginalPte.u.Soft.Protection);
    if (MiIsDecommittedPte(Pte))
        return MI_QUERY_RESERVED;
    return MI_QUERY_COMMITTED | Pte.u.Soft.Protection;     /* demand zero, or transition: same field */
}

static inline ULONG MiZeroPteClass(PMMVAD Vad)
{
    return Vad->u.VadFlags.MemCommit ? MI_QUERY_COMMITTED | Vad->u.VadFlags.Protection : MI_QUERY_RESERVED;
}

ULONG MiQueryPageState(PEPROCESS Process, PMMVAD Vad, ULONG Va, ULONG *Protection)
{
    if (MiIsViewVad(Vad))
        return MiQueryViewPage(Process, Vad, Va, Protection);
    PMMPTE Pte = MiUserPteIfPresent(Va);
    ULONG Class = MiPteClass(Vad, Pte ? MiReadPte(Pte) : (MMPTE){ .u.Long = 0 }, MiZeroPteClass(Vad));
    *Protection = Class & MI_QUERY_COMMITTED ? Class & 0x1F : 0;
    return Class & MI_QUERY_COMMITTED ? MEM_COMMIT : MEM_RESERVE;
}

/*
 * Bytes from Va (a page of Vad whose class is Class) to the end of the run
 * of pages like it. A PTE equal to the last one seen (and not valid) is
 * like it without decoding; a missing page table is 4 MB of zero PTEs.
 */
static ULONG MiQueryRegionSize(PMMVAD Vad, ULONG Va, ULONG Class)
{
    ULONG End = (ULONG)MI_VPN_TO_VA_ENDING(Vad->EndingVpn), ZeroClass = MiZeroPteClass(Vad);
    ULONG Next = Va + PAGE_SIZE;

    while (Next <= End) {
        ULONG ChunkEnd = MIN(End, Next | ((1u << PDE_SHIFT) - 1));
        if (!MiUserPteIfPresent(Next)) {
            if (ZeroClass != Class)
                break;
            Next = ChunkEnd + 1;
            continue;
        }
        const MMPTE *Pte = MiAddressToPte(Next);
        ULONG Same = 1;         /* a valid PTE's value: never skipped undecoded */
        for (; Next <= ChunkEnd; Next += PAGE_SIZE, Pte++) {
            MMPTE Value = MiReadPte(Pte);
            if (Value.u.Long == Same)
                continue;
            if (MiPteClass(Vad, Value, ZeroClass) != Class)
                return Next - Va;
            if (!Value.u.Hard.Valid)
                Same = Value.u.Long;
        }
        if (ChunkEnd == End)
            break;
    }
    return MIN(Next, End + 1) - Va;
}

/*
 * A view's region from Va: the run of pages with the same state and
 * protection (mm/viewprot.c says each), to the view's end at the latest.
 */
static void MiQueryViewRegion(PEPROCESS Process, PMMVAD Vad, ULONG Va, PMEMORY_BASIC_INFORMATION Info)
{
    ULONG End = (ULONG)MI_VPN_TO_VA_ENDING(Vad->EndingVpn), Protection, Next;
    ULONG State = MiQueryViewPage(Process, Vad, Va, &Protection);

    for (Next = Va + PAGE_SIZE; Next <= End; Next += PAGE_SIZE) {
        ULONG Other;
        if (MiQueryViewPage(Process, Vad, Next, &Other) != State || Other != Protection)
            break;
    }
    Info->RegionSize = Next - Va;
    Info->State = State;
    Info->Protect = State == MEM_COMMIT ? MiProtectionToWin32(Protection) : 0;
    Info->Type = Vad->u.VadFlags.VadType == VadImageMap ? MEM_IMAGE : MEM_MAPPED;
}

/* Fills Info for Va (page aligned, at most the highest VAD address) from the VAD tree and the PTEs. */
static void MiQueryAddress(PEPROCESS Process, ULONG Va, PMEMORY_BASIC_INFORMATION Info)
{
    bool Contains;
    PMMVAD Vad = (PMMVAD)MiLocateAddressOrNextInTree(MI_VA_TO_VPN(Va), &Process->VadRoot, &Contains);

    Info->BaseAddress = (PVOID)Va;
    if (!Contains) {
        Info->AllocationBase = NULL;
        Info->AllocationProtect = 0;
        Info->RegionSize = (Vad ? (ULONG)MI_VPN_TO_VA(Vad->StartingVpn) : MiHighestVadAddress(Process) + 1) - Va;
        Info->State = MEM_FREE;
        Info->Protect = PAGE_NOACCESS;
        Info->Type = 0;
        return;
    }
    Info->AllocationBase = MI_VPN_TO_VA(Vad->StartingVpn);
    Info->AllocationProtect = MiProtectionToWin32(Vad->u.VadFlags.Protection);
    if (MiIsViewVad(Vad)) {
        MiQueryViewRegion(Process, Vad, Va, Info);
        return;
    }
    PMMPTE Pte = MiUserPteIfPresent(Va);
    ULONG Class = MiPteClass(Vad, Pte ? MiReadPte(Pte) : (MMPTE){ .u.Long = 0 }, MiZeroPteClass(Vad));
    Info->RegionSize = MiQueryRegionSize(Vad, Va, Class);
    Info->State = Class & MI_QUERY_COMMITTED ? MEM_COMMIT : MEM_RESERVE;
    Info->Protect = Class & MI_QUERY_COMMITTED ? MiProtectionToWin32(Class & 0x1F) : 0;
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

    /* The address against the system's user range, then the handle, then against the process's own. */
    ULONG Va = (ULONG)PAGE_ALIGN(BaseAddress);
    if ((ULONG)BaseAddress > (ULONG)MmHighestUserAddress)
        return STATUS_INVALID_PARAMETER;
    MI_PROCESS_REFERENCE Reference;
    Status = MiReferenceProcessByHandle(ProcessHandle, PROCESS_QUERY_INFORMATION, &Reference);
    if (!NT_SUCCESS(Status))
        return Status;
    PEPROCESS Process = Reference.Process;
    ULONG Highest = MiHighestUserAddress(Process);
    if ((ULONG)BaseAddress > Highest) {
        MiDetachAndDereferenceProcess(&Reference);
        return STATUS_INVALID_PARAMETER;
    }
    MiAttachReferencedProcess(&Reference);
    if (Va == MM_SHARED_USER_DATA_VA && Process->SharedUserDataMapped) {
        /* KUSER_SHARED_DATA: one committed read-only page, as NT reports it. */
        Info.BaseAddress = Info.AllocationBase = (PVOID)Va;
        Info.AllocationProtect = Info.Protect = PAGE_READONLY;
        Info.RegionSize = PAGE_SIZE;
        Info.State = MEM_COMMIT;
        Info.Type = MEM_PRIVATE;
    } else if (Va > MiHighestVadAddress(Process)) {
        Info.BaseAddress = (PVOID)Va;
        Info.AllocationBase = (PVOID)(MiHighestVadAddress(Process) + 1);
        Info.AllocationProtect = PAGE_READONLY;
        Info.RegionSize = Highest + 1 - Va;
        Info.State = MEM_RESERVE;
        Info.Protect = PAGE_NOACCESS;
        Info.Type = MEM_PRIVATE;
    } else {
        /* The VAD tree and the PTEs both change only under the working set mutex: it is enough to read them. */
        MiLockWorkingSet(Process);
        MiQueryAddress(Process, Va, &Info);
        MiUnlockWorkingSet(Process);
    }
    MiDetachAndDereferenceProcess(&Reference);

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
