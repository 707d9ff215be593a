/*
 * mm/mapview.c — views of a section in a process: NtMapViewOfSection,
 * NtUnmapViewOfSection and their kernel forms.
 *
 * A view is a range of a process's user addresses that shows a run of a
 * section's pages. NT makes it a VAD of its own (MMVAD, 'Vad '), not
 * private memory, pointing at the section's control area and at the
 * prototype PTE of the view's first page, with the protection the view was
 * mapped with. Nothing else is done at map time: no PTE is written, no page
 * is touched. The first access to each page faults, and the fault handler
 * resolves it through the VAD and the prototype PTE (mm/protofault.c). So a
 * 1 GB view costs a VAD, as a 1 GB reservation does.
 *
 * NT's rules, in its order (the statuses are tabulated in docs/SECTIONS.md):
 * the view's base and its offset into the section on the allocation
 * granularity (64 KB; 4 KB with MEM_DOS_LIM), else STATUS_MAPPED_ALIGNMENT;
 * a protection the section's allows (STATUS_SECTION_PROTECTION); the view
 * inside the section (STATUS_INVALID_VIEW_SIZE; a ViewSize of 0 means "to
 * the section's end"); a free range at the base asked for
 * (STATUS_CONFLICTING_ADDRESSES), or anywhere below the ZeroBits limit,
 * bottom-up or with MEM_TOP_DOWN from the top. A write-copy view charges
 * the process's commit for every page now, as NT does, since each may
 * become a private copy; the page tables it spans are charged as any
 * VAD's. For a SEC_RESERVE section CommitSize commits the view's first
 * pages in the section.
 *
 * Unmapping (any address inside the view, as NT accepts) takes the VAD
 * out, clears the PTEs — a shared page loses one share and keeps its data
 * through its prototype PTE, a private copy is freed — returns the
 * commit and drops the view's reference on the control area, which may be
 * the last one (mm/section.c). Anything else is STATUS_NOT_MAPPED_VIEW.
 */
#include <ex.h>
#include <ntimage.h>
#include "section.h"

/* The section access a view's protection needs (NT's MmMakeSectionAccess). */
static const ACCESS_MASK MiMakeSectionAccess[8] = {
    SECTION_MAP_READ,
    SECTION_MAP_READ,
    SECTION_MAP_EXECUTE,
    SECTION_MAP_EXECUTE | SECTION_MAP_READ,
    SECTION_MAP_WRITE,
    SECTION_MAP_READ,
    SECTION_MAP_EXECUTE | SECTION_MAP_WRITE,
    SECTION_MAP_EXECUTE | SECTION_MAP_READ,
};

void MiReleaseViewVad(PMMVAD Vad)
{
    if (Vad->PageProtection) {
        ExFreePoolWithTag(Vad->PageProtection, MM_VIEW_PROTECTION_TAG);
        Vad->PageProtection = NULL;
    }
    MiDereferenceControlAreaForView(Vad->ControlArea);
}

/* Whether Size bytes at Start are free user addresses in Process (address creation lock held). */
static bool MiIsRangeFree(PEPROCESS Process, ULONG Start, ULONG Size)
{
    ULONG End = Start + Size - 1;
    return Start >= MM_LOWEST_USER_ADDRESS && End >= Start && End <= MiHighestVadAddress(Process) &&
           !MiCheckForConflictingVad((PVOID)Start, (PVOID)End, Process);
}

/*
 * The view's VAD in Process (current): placed, charged, committed,
 * inserted. PageOffset and Pages say which pages of the segment it shows.
 * On success *Base is where.
 */
static NTSTATUS MiMapViewOfDataSection(PSECTION Section, PEPROCESS Process, ULONG *Base, ULONG PageOffset,
                                       ULONG Pages, ULONG_PTR ZeroBits, SIZE_T CommitSize,
                                       SECTION_INHERIT InheritDisposition, ULONG AllocationType,
                                       ULONG ProtectionMask)
{
    PCONTROL_AREA ControlArea = Section->Segment->ControlArea;
    PSEGMENT Segment = ControlArea->Segment;
    ULONG Size = Pages << PAGE_SHIFT, StartVa, EndVa;
    bool Image = ControlArea->u.Flags.Image;
    /* Copy-on-write commit: a write-copy data view's every page; an image view's write-copy pages. */
    ULONG CowPages = Image ? Segment->ImageCommitment : MiIsCopyOnWriteProtection(ProtectionMask) ? Pages : 0;
    NTSTATUS Status = STATUS_SUCCESS;

    PMMVAD Vad = MiAllocateVad(true);
    if (!Vad)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (MiIsGuardProtection(ProtectionMask)) {
        /* Each page's guard is cleared by itself: the view needs its protection map from the start. */
        Vad->PageProtection = ExAllocatePoolWithTag(PagedPool, Pages, MM_VIEW_PROTECTION_TAG);
        if (!Vad->PageProtection) {
            MiFreeVad(Vad);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        memset(Vad->PageProtection, 0, Pages);
    }

    MiLockAddressSpace(Process);
    if (Image && !*Base && MiIsRangeFree(Process, (ULONG)Segment->BasedAddress, Size)) {
        StartVa = (ULONG)Segment->BasedAddress;     /* an image goes to its preferred base when it can */
        EndVa = StartVa + Size - 1;
    } else if (*Base) {
        StartVa = *Base;
        EndVa = StartVa + Size - 1;
        if (StartVa < MM_LOWEST_USER_ADDRESS || EndVa < StartVa || EndVa > MiHighestVadAddress(Process))
            Status = STATUS_INVALID_PARAMETER_3;
        else if (MiCheckForConflictingVad((PVOID)StartVa, (PVOID)EndVa, Process))
            Status = STATUS_CONFLICTING_ADDRESSES;
    } else {
        ULONG Highest = MiHighestVadAddress(Process);
        PVOID Found;
        if (ZeroBits)
            Highest = MIN(0xFFFFFFFFu >> ZeroBits, Highest);
        Status = MiFindEmptyAddressRange(Process, Size, Highest, (AllocationType & MEM_TOP_DOWN) != 0, &Found);
        StartVa = (ULONG)Found;
        EndVa = StartVa + Size - 1;
    }
    if (NT_SUCCESS(Status) && Image && StartVa != (ULONG)Segment->BasedAddress) {
        /* Elsewhere than its base: the loader relocates it, which an image without relocations cannot be. */
        const MM_IMAGE_INFORMATION *Info = Segment->ImageInformation;
        if ((Info->Characteristics & IMAGE_FILE_RELOCS_STRIPPED) || Info->RelocationSize == 0)
            Status = STATUS_CONFLICTING_ADDRESSES;
        else
            Status = STATUS_IMAGE_NOT_AT_BASE;
    }
    NTSTATUS Placed = Status;       /* STATUS_IMAGE_NOT_AT_BASE is a success, and what the caller hears */
    if (NT_SUCCESS(Status) && !MiChargeVadCommitment(Process, StartVa, EndVa, CowPages))
        Status = STATUS_COMMITMENT_LIMIT;
    if (NT_SUCCESS(Status) && CommitSize && !ControlArea->FilePointer) {
        /* A SEC_RESERVE section's first CommitSize bytes of the view, committed in the section. */
        ULONG CommitPages = BYTES_TO_PAGES(CommitSize);
        Status = MiCommitPrototypePtes(Segment, Segment->PrototypePte + PageOffset,
                                       Segment->PrototypePte + PageOffset + CommitPages - 1);
        if (!NT_SUCCESS(Status)) {
            MiReturnPageTableCommitment(Process, StartVa, EndVa);
            MiReturnProcessCommitment(Process, CowPages);
        }
    }
    if (!NT_SUCCESS(Status)) {
        MiUnlockAddressSpace(Process);
        if (Vad->PageProtection)
            ExFreePoolWithTag(Vad->PageProtection, MM_VIEW_PROTECTION_TAG);
        MiFreeVad(Vad);
        return Status;
    }

    Vad->StartingVpn = MI_VA_TO_VPN(StartVa);
    Vad->EndingVpn = MI_VA_TO_VPN(EndVa);
    Vad->u.VadFlags.Protection = ProtectionMask;
    Vad->u.VadFlags.VadType = ControlArea->u.Flags.Image ? VadImageMap : VadNone;
    Vad->u.VadFlags.NoChange = Section->u.Flags.NoChange;
    Vad->u2.VadFlags2.SecNoChange = Section->u.Flags.NoChange;
    Vad->u2.VadFlags2.Inherit = InheritDisposition == ViewShare;
    Vad->u2.VadFlags2.CopyOnWrite = !Image && CowPages != 0;   /* every page charged: an image view's are not */
    Vad->CommitCharge = CowPages;
    Vad->ControlArea = ControlArea;
    Vad->FirstPrototypePte = Segment->PrototypePte + PageOffset;
    Vad->LastContiguousPte = Vad->FirstPrototypePte + Pages - 1;
    MiReferenceControlAreaForView(ControlArea);
    MiLockWorkingSet(Process);
    MiInsertVad(Vad, Process);
    MiUnlockWorkingSet(Process);
    Process->VirtualSize += Size;
    if (Process->VirtualSize > Process->PeakVirtualSize)
        Process->PeakVirtualSize = Process->VirtualSize;
    MiUnlockAddressSpace(Process);
    *Base = StartVa;
    return Placed;
}

/*
 * An image's view (NT's MiMapViewOfImageSection): always the whole image,
 * whatever the offset and size asked (written back as 0 and the image's
 * size), with the image's own protections page by page — the view's is
 * execute/write-copy, as NT reports it — at *BaseAddress, or with none at
 * the image's preferred base if that range is free, else wherever there is
 * room: then STATUS_IMAGE_NOT_AT_BASE, for the loader to relocate it
 * (STATUS_CONFLICTING_ADDRESSES if it has no relocations). A section made
 * over another processor's image maps with NT's warning
 * STATUS_IMAGE_MACHINE_TYPE_MISMATCH.
 */
static NTSTATUS MiMapViewOfImageSection(PSECTION Section, PEPROCESS Process, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                                        PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
                                        SECTION_INHERIT InheritDisposition, ULONG AllocationType)
{
    PSEGMENT Segment = Section->Segment;
    KAPC_STATE ApcState;

    if (((ULONG)*BaseAddress & (PAGE_SIZE - 1)) != 0)
        return STATUS_MAPPED_ALIGNMENT;
    if (AllocationType & MEM_RESERVE)
        return STATUS_INVALID_PARAMETER_9;
    bool Attached = Process != PsGetCurrentProcess();
    if (Attached)
        KeStackAttachProcess(&Process->Pcb, &ApcState);
    ULONG Base = (ULONG)*BaseAddress;
    NTSTATUS Status = MiMapViewOfDataSection(Section, Process, &Base, 0, Segment->TotalNumberOfPtes, ZeroBits, 0,
                                             InheritDisposition, AllocationType, MM_EXECUTE_WRITECOPY);
    if (Attached)
        KeUnstackDetachProcess(&ApcState);
    if (!NT_SUCCESS(Status))
        return Status;
    *BaseAddress = (PVOID)Base;
    *ViewSize = (SIZE_T)Segment->TotalNumberOfPtes << PAGE_SHIFT;
    if (SectionOffset)
        SectionOffset->QuadPart = 0;
    if (Status == STATUS_SUCCESS && Segment->ImageInformation->Machine != IMAGE_FILE_MACHINE_I386)
        Status = STATUS_IMAGE_MACHINE_TYPE_MISMATCH;
    return Status;
}

NTSTATUS MmMapViewOfSection(PVOID SectionObject, PEPROCESS Process, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                            SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
                            SECTION_INHERIT InheritDisposition, ULONG AllocationType, ULONG Protect)
{
    PSECTION Section = SectionObject;
    ULONGLONG Offset = SectionOffset ? (ULONGLONG)SectionOffset->QuadPart : 0;
    ULONGLONG SizeOfSection = (ULONGLONG)Section->SizeOfSection.QuadPart;
    ULONGLONG Requested = *ViewSize;
    KAPC_STATE ApcState;

    ULONG ProtectionMask = MiMakeProtectionMask(Protect);
    if (ProtectionMask == MM_INVALID_PROTECTION)
        return STATUS_INVALID_PAGE_PROTECTION;
    if (Section->u.Flags.Image)
        return MiMapViewOfImageSection(Section, Process, BaseAddress, ZeroBits, SectionOffset, ViewSize,
                                       InheritDisposition, AllocationType);
    if (!MiIsProtectionCompatible(Section->InitialPageProtection, Protect))
        return STATUS_SECTION_PROTECTION;
    if (Offset + Requested < Offset || Offset + Requested > SizeOfSection)
        return STATUS_INVALID_VIEW_SIZE;
    if (Requested == 0) {
        Requested = SizeOfSection - Offset;
        if (Requested == 0 || (ULONGLONG)MiHighestVadAddress(Process) - (ULONG)*BaseAddress < Requested)
            return STATUS_INVALID_VIEW_SIZE;
    }
    if (CommitSize > Requested)
        return STATUS_INVALID_PARAMETER_5;
    if (Protect & PAGE_WRITECOMBINE)
        return STATUS_INVALID_PARAMETER_10;
    if (AllocationType & MEM_RESERVE)
        return STATUS_INVALID_PARAMETER_9;          /* NT's reserved views are not provided */
    if (Section->u.Flags.NoCache)
        ProtectionMask |= MM_NOCACHE;

    /* The view starts on the offset's page; its size covers the offset's start within it. */
    ULONG PageOffset = (ULONG)(Offset >> PAGE_SHIFT);
    ULONG Pages = BYTES_TO_PAGES((ULONG)Requested + (ULONG)(Offset & (PAGE_SIZE - 1)));
    if ((ULONGLONG)PageOffset + Pages > Section->Segment->TotalNumberOfPtes)
        return STATUS_INVALID_VIEW_SIZE;
    if (((ULONG)*BaseAddress & (PAGE_SIZE - 1)) != 0)
        return STATUS_MAPPED_ALIGNMENT;

    bool Attached = Process != PsGetCurrentProcess();
    if (Attached)
        KeStackAttachProcess(&Process->Pcb, &ApcState);
    ULONG Base = (ULONG)*BaseAddress;
    NTSTATUS Status = MiMapViewOfDataSection(Section, Process, &Base, PageOffset, Pages, ZeroBits, CommitSize,
                                             InheritDisposition, AllocationType, ProtectionMask);
    if (Attached)
        KeUnstackDetachProcess(&ApcState);
    if (!NT_SUCCESS(Status))
        return Status;
    *BaseAddress = (PVOID)Base;
    *ViewSize = (SIZE_T)Pages << PAGE_SHIFT;
    if (SectionOffset)
        SectionOffset->QuadPart = (LONGLONG)PageOffset << PAGE_SHIFT;
    return STATUS_SUCCESS;
}

/*
 * The process a view service names: NtCurrentProcess() is the current
 * process (which need not be an object: a test's process is not); any
 * other handle is referenced with PROCESS_VM_OPERATION (*Referenced set).
 */
static NTSTATUS MiReferenceViewProcess(HANDLE ProcessHandle, KPROCESSOR_MODE PreviousMode, PEPROCESS *Process,
                                       bool *Referenced)
{
    *Referenced = false;
    if (ProcessHandle == NtCurrentProcess()) {
        *Process = PsGetCurrentProcess();
        return STATUS_SUCCESS;
    }
    NTSTATUS Status = ObReferenceObjectByHandle(ProcessHandle, PROCESS_VM_OPERATION, PsProcessType, PreviousMode,
                                                (PVOID *)Process, NULL);
    *Referenced = NT_SUCCESS(Status);
    return Status;
}

NTSTATUS NtMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                            SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
                            SECTION_INHERIT InheritDisposition, ULONG AllocationType, ULONG Win32Protect)
{
    const ULONG Valid = MEM_TOP_DOWN | MEM_LARGE_PAGES | MEM_DOS_LIM | SEC_NO_CHANGE | MEM_RESERVE;
    const ULONG HighestVad = (ULONG)MmHighestUserAddress - MM_ALLOCATION_GRANULARITY;
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    LARGE_INTEGER Offset = { .QuadPart = 0 };
    PVOID Base = NULL;
    SIZE_T Size = 0;
    PEPROCESS Process;
    PSECTION Section;
    bool Referenced;
    NTSTATUS Status = STATUS_SUCCESS;

    if (InheritDisposition < ViewShare || InheritDisposition > ViewUnmap)
        return STATUS_INVALID_PARAMETER_8;
    if (AllocationType & ~Valid)
        return STATUS_INVALID_PARAMETER_9;
    ULONG ProtectionMask = MiMakeProtectionMask(Win32Protect);
    if (ProtectionMask == MM_INVALID_PROTECTION)
        return STATUS_INVALID_PAGE_PROTECTION;
    EX_TRY {
        if (PreviousMode != KernelMode) {
            ProbeForWrite(BaseAddress, sizeof(PVOID), 1);
            ProbeForWrite(ViewSize, sizeof(SIZE_T), 1);
            if (SectionOffset)
                ProbeForWrite(SectionOffset, sizeof(LARGE_INTEGER), 1);
        }
        if (SectionOffset)
            Offset = *SectionOffset;
        Base = *BaseAddress;
        Size = *ViewSize;
    } EX_EXCEPT(Status) {
    } EX_END;
    if (!NT_SUCCESS(Status))
        return Status;
    if ((ULONG)Base > HighestVad || HighestVad - (ULONG)Base < Size)
        return STATUS_INVALID_PARAMETER_3;
    if (ZeroBits) {
        if (ZeroBits > MM_MAXIMUM_ZERO_BITS)
            return STATUS_INVALID_PARAMETER_4;
        if ((((ULONG)Base << ZeroBits) >> ZeroBits) != (ULONG)Base ||
            ((((ULONG)Base + Size) << ZeroBits) >> ZeroBits) != (ULONG)Base + Size)
            return STATUS_INVALID_PARAMETER_4;
    }
    Status = MiReferenceViewProcess(ProcessHandle, PreviousMode, &Process, &Referenced);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(SectionHandle, MiMakeSectionAccess[ProtectionMask & 7], MmSectionObjectType,
                                       PreviousMode, (PVOID *)&Section, NULL);
    if (NT_SUCCESS(Status)) {
        ULONG Granularity = (AllocationType & MEM_DOS_LIM) ? PAGE_SIZE : MM_ALLOCATION_GRANULARITY;
        if (((ULONG)Base & (Granularity - 1)) || (Offset.LowPart & (Granularity - 1)))
            Status = STATUS_MAPPED_ALIGNMENT;
        else if ((ULONG)Base && (ULONG)Base + Size - 1 > MiHighestVadAddress(Process))
            Status = STATUS_INVALID_PARAMETER_3;    /* above a process that is not large address aware */
        else
            Status = MmMapViewOfSection(Section, Process, &Base, ZeroBits, CommitSize, &Offset, &Size,
                                        InheritDisposition, AllocationType, Win32Protect);
        ObDereferenceObject(Section);
    }
    if (Referenced)
        ObDereferenceObject(Process);
    if (!NT_SUCCESS(Status))
        return Status;
    NTSTATUS Ignored;
    EX_TRY {
        *BaseAddress = Base;
        *ViewSize = Size;
        if (SectionOffset)
            *SectionOffset = Offset;
    } EX_EXCEPT(Ignored) {
        (void)Ignored;      /* the view is made: NT does not undo it for a result it cannot write */
    } EX_END;
    return Status;          /* STATUS_SUCCESS, or an image's STATUS_IMAGE_NOT_AT_BASE */
}

NTSTATUS ZwMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                            SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
                            SECTION_INHERIT InheritDisposition, ULONG AllocationType, ULONG Win32Protect)
{
    return EX_CALL_AS_KERNEL_MODE(NtMapViewOfSection(SectionHandle, ProcessHandle, BaseAddress, ZeroBits, CommitSize,
                                                     SectionOffset, ViewSize, InheritDisposition, AllocationType,
                                                     Win32Protect));
}

/* Unmaps the view holding BaseAddress in Process, the current process. */
static NTSTATUS MiUnmapViewOfSection(PEPROCESS Process, PVOID BaseAddress)
{
    MiLockAddressSpace(Process);
    PMMVAD Vad = MiLocateAddress(BaseAddress, Process);
    if (!Vad || !MiIsViewVad(Vad)) {
        MiUnlockAddressSpace(Process);
        return STATUS_NOT_MAPPED_VIEW;
    }
    ULONG Start = (ULONG)MI_VPN_TO_VA(Vad->StartingVpn), End = (ULONG)MI_VPN_TO_VA_ENDING(Vad->EndingVpn);
    MiLockWorkingSet(Process);
    MiRemoveVad(Vad, Process);
    MiDeleteUserRange(Process, Start, End, MiDeleteShared);
    MiUnlockWorkingSet(Process);
    MiReturnPageTableCommitment(Process, Start, End);
    MiReturnProcessCommitment(Process, Vad->CommitCharge);
    Process->VirtualSize -= End - Start + 1;
    MiUnlockAddressSpace(Process);
    MiReleaseViewVad(Vad);
    MiFreeVad(Vad);
    return STATUS_SUCCESS;
}

NTSTATUS MmUnmapViewOfSection(PEPROCESS Process, PVOID BaseAddress)
{
    KAPC_STATE ApcState;
    bool Attached = Process != PsGetCurrentProcess();

    if (Attached)
        KeStackAttachProcess(&Process->Pcb, &ApcState);
    NTSTATUS Status = MiUnmapViewOfSection(Process, BaseAddress);
    if (Attached)
        KeUnstackDetachProcess(&ApcState);
    return Status;
}

NTSTATUS NtUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    PEPROCESS Process;
    bool Referenced;

    if (PreviousMode == UserMode && (ULONG)BaseAddress > (ULONG)MmHighestUserAddress)
        return STATUS_NOT_MAPPED_VIEW;
    NTSTATUS Status = MiReferenceViewProcess(ProcessHandle, PreviousMode, &Process, &Referenced);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = MmUnmapViewOfSection(Process, BaseAddress);
    if (Referenced)
        ObDereferenceObject(Process);
    return Status;
}

NTSTATUS ZwUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress)
{
    return EX_CALL_AS_KERNEL_MODE(NtUnmapViewOfSection(ProcessHandle, BaseAddress));
}
