/*
 * mm/section.c — section objects: NtCreateSection, segments, control areas.
 *
 * A section is memory that can be seen through many address spaces at
 * once. NT builds it in layers (mm/section.h draws them): the SECTION
 * object a handle names; the SEGMENT, an array of prototype PTEs in paged
 * pool, one per page, the single record of where each page is; the
 * CONTROL_AREA, whose counts decide how long the segment lives; and its
 * SUBSECTIONs, which say where each run of pages comes from in the file.
 * Views (mm/mapview.c, mm/sysview.c) map the pages; faults
 * (mm/protofault.c) bring them in through the prototype PTEs.
 *
 * Two kinds are made here, NT's two kinds of data section:
 *
 *   backed by the paging file (no file handle): MaximumSize rounded up to
 *   pages. SEC_COMMIT charges the whole size to the system's commit now
 *   (not to any process: NT's MmSharedCommit) and every prototype PTE
 *   starts demand-zero; SEC_RESERVE charges nothing and leaves the
 *   prototype PTEs zero until NtAllocateVirtualMemory(MEM_COMMIT) inside a
 *   view commits them (MiCommitPrototypePtes). The commit goes back when
 *   the segment goes.
 *
 *   backed by a file (a File object from NtOpenFile: a boot module): one
 *   control area per file, found through the file's
 *   SECTION_OBJECT_POINTERS, so every section over one file shares its
 *   pages. Its prototype PTEs start in subsection format (the page is in
 *   the file) and a fault copies the page from the module. The files are
 *   read-only: a writable protection is refused as NT refuses it for a
 *   handle without write access (STATUS_ACCESS_DENIED), and a size beyond
 *   the file's, which NT would meet by extending a writable file, is
 *   STATUS_SECTION_TOO_BIG.
 *
 * The counts, NT's: NumberOfSectionReferences (section objects),
 * NumberOfMappedViews (views, in processes and system space),
 * NumberOfUserReferences (both). When the last goes — the last handle and
 * reference to the last section object, the last view — the segment is
 * deleted (MiSegmentDelete): pages still on the standby or modified list
 * for its prototype PTEs are freed, the commit is returned, the file's
 * pointer to the control area is cleared. A page mapped by any view keeps
 * its control area alive, since the view counts.
 *
 * Image sections (SEC_IMAGE over a PE file) are the same structures with a
 * subsection for the headers and one per PE section, in a control area of
 * their own per file (SECTION_OBJECT_POINTERS.ImageSectionObject): mm/imagesec.c
 * builds them; everything else here treats them as any file's.
 */
#include <ex.h>
#include "section.h"

POBJECT_TYPE MmSectionObjectType;
FAST_MUTEX MiSectionMutex;
LIST_ENTRY MiControlAreaList;

/* The PAGE_* a view may ask for, by the section's protection's access (NT's MmCompatibleProtectionMask). */
static const ULONG MiCompatibleProtectionMask[8] = {
    PAGE_NOACCESS,
    PAGE_NOACCESS | PAGE_READONLY | PAGE_WRITECOPY,
    PAGE_NOACCESS | PAGE_EXECUTE,
    PAGE_NOACCESS | PAGE_READONLY | PAGE_WRITECOPY | PAGE_EXECUTE | PAGE_EXECUTE_READ,
    PAGE_NOACCESS | PAGE_READONLY | PAGE_WRITECOPY | PAGE_READWRITE,
    PAGE_NOACCESS | PAGE_READONLY | PAGE_WRITECOPY,
    PAGE_NOACCESS | PAGE_READONLY | PAGE_WRITECOPY | PAGE_READWRITE | PAGE_EXECUTE | PAGE_EXECUTE_READ |
        PAGE_EXECUTE_READWRITE | PAGE_EXECUTE_WRITECOPY,
    PAGE_NOACCESS | PAGE_READONLY | PAGE_WRITECOPY | PAGE_EXECUTE | PAGE_EXECUTE_READ | PAGE_EXECUTE_WRITECOPY,
};

/* The file access a section's protection needs (NT's MmMakeFileAccess). */
static const ACCESS_MASK MiMakeFileAccess[8] = {
    FILE_READ_DATA,
    FILE_READ_DATA,
    FILE_EXECUTE,
    FILE_EXECUTE | FILE_READ_DATA,
    FILE_WRITE_DATA | FILE_READ_DATA,
    FILE_READ_DATA,
    FILE_EXECUTE | FILE_WRITE_DATA | FILE_READ_DATA,
    FILE_EXECUTE | FILE_READ_DATA,
};

bool MiIsProtectionCompatible(ULONG SectionProtect, ULONG NewProtect)
{
    ULONG Mask = MiMakeProtectionMask(SectionProtect);
    if (Mask == MM_INVALID_PROTECTION)
        return false;
    ULONG Compatible = MiCompatibleProtectionMask[Mask & 7] | PAGE_GUARD | PAGE_NOCACHE | PAGE_WRITECOMBINE;
    return (Compatible | NewProtect) == Compatible;
}

/* ------------------------------------------------------- control areas */

/* Counts going below zero: a reference given back twice. */
static NORETURN void MiControlAreaCountsBroken(PCONTROL_AREA ControlArea, ULONG Which)
{
    KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_CONTROL_AREA_COUNTS, (ULONG_PTR)ControlArea, Which, 0);
}

/*
 * The segment's pages and the structures go: MiSectionMutex held, every
 * count zero. A page still mapped is a view the counts did not see
 * (MEMORY_MANAGEMENT 0x4180); a page in transition (on the standby or
 * modified list) is taken off its list and freed, its page of prototype
 * PTEs losing the share it held. Batches of 256 prototype PTEs per hold of
 * the PFN lock.
 */
static void MiSegmentDelete(PCONTROL_AREA ControlArea)
{
    PSEGMENT Segment = ControlArea->Segment;
    KIRQL OldIrql;

    ControlArea->u.Flags.BeingDeleted = 1;
    RemoveEntryList(&ControlArea->ControlAreaLinks);
    if (ControlArea->FilePointer) {
        PSECTION_OBJECT_POINTERS Pointers = ControlArea->FilePointer->SectionObjectPointer;
        if (ControlArea->u.Flags.Image)
            Pointers->ImageSectionObject = NULL;
        else
            Pointers->DataSectionObject = NULL;
    }
    for (ULONG First = 0; First < Segment->TotalNumberOfPtes; First += 256) {
        ULONG Last = MIN(Segment->TotalNumberOfPtes, First + 256);
        LOCK_PFN(OldIrql);
        for (ULONG i = First; i < Last; i++) {
            PMMPTE Proto = &Segment->PrototypePte[i];
            MMPTE Value = MiReadPte(Proto);
            if (Value.u.Hard.Valid)
                KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_SEGMENT_PAGE_MAPPED, (ULONG_PTR)Proto, Value.u.Long, 0);
            if (!Value.u.Soft.Prototype && Value.u.Soft.Transition)
                MiDeleteTransitionPage(Value.u.Trans.PageFrameNumber, Proto);
        }
        UNLOCK_PFN(OldIrql);
    }
    if (Segment->NumberOfCommittedPages)
        MiReturnCommitment(Segment->NumberOfCommittedPages);
    if (ControlArea->FilePointer)
        ObDereferenceObject(ControlArea->FilePointer);
    ExFreePoolWithTag(Segment, MM_SEGMENT_TAG);
    ExFreePoolWithTag(ControlArea, ControlArea->u.Flags.Image ? MM_IMAGE_CONTROL_AREA_TAG : MM_CONTROL_AREA_TAG);
}

/* MiSectionMutex held: deletes the control area if nothing refers to it any more (NT's MiCheckControlArea). */
static void MiCheckControlArea(PCONTROL_AREA ControlArea)
{
    if (ControlArea->NumberOfSectionReferences == 0 && ControlArea->NumberOfMappedViews == 0 &&
        ControlArea->NumberOfUserReferences == 0)
        MiSegmentDelete(ControlArea);
}

void MiReferenceControlAreaForView(PCONTROL_AREA ControlArea)
{
    ExAcquireFastMutex(&MiSectionMutex);
    ControlArea->NumberOfMappedViews++;
    ControlArea->NumberOfUserReferences++;
    ExReleaseFastMutex(&MiSectionMutex);
}

void MiDereferenceControlAreaForView(PCONTROL_AREA ControlArea)
{
    ExAcquireFastMutex(&MiSectionMutex);
    if (ControlArea->NumberOfMappedViews == 0 || ControlArea->NumberOfUserReferences == 0)
        MiControlAreaCountsBroken(ControlArea, 2);
    ControlArea->NumberOfMappedViews--;
    ControlArea->NumberOfUserReferences--;
    MiCheckControlArea(ControlArea);
    ExReleaseFastMutex(&MiSectionMutex);
}

/* The section object's last reference went (its type's delete procedure). PASSIVE_LEVEL. */
static void MiSectionDelete(PVOID Object)
{
    PSECTION Section = Object;
    PCONTROL_AREA ControlArea = Section->Segment->ControlArea;

    ExAcquireFastMutex(&MiSectionMutex);
    if (ControlArea->NumberOfSectionReferences == 0 || ControlArea->NumberOfUserReferences == 0)
        MiControlAreaCountsBroken(ControlArea, 1);
    ControlArea->NumberOfSectionReferences--;
    ControlArea->NumberOfUserReferences--;
    MiCheckControlArea(ControlArea);
    ExReleaseFastMutex(&MiSectionMutex);
}

PSUBSECTION MiLocateSubsection(PCONTROL_AREA ControlArea, PMMPTE ProtoPte)
{
    for (PSUBSECTION Subsection = MiFirstSubsection(ControlArea); Subsection; Subsection = Subsection->NextSubsection) {
        if (ProtoPte >= Subsection->SubsectionBase &&
            ProtoPte < Subsection->SubsectionBase + Subsection->PtesInSubsection)
            return Subsection;
    }
    KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_NO_SUBSECTION, (ULONG_PTR)ControlArea, (ULONG_PTR)ProtoPte, 0);
}

/* ------------------------------------------------------------ segments */

/*
 * A segment of Pages prototype PTEs, each set to Initial (in paged pool:
 * writing them makes every page of it resident, as the fault paths need),
 * and a control area with one subsection covering them all, on
 * MiControlAreaList with no references yet. False if pool ran out.
 */
static bool MiCreateSegment(ULONG Pages, MMPTE Initial, MMPTE Template, ULONG SubsectionProtection,
                            PCONTROL_AREA *Result)
{
    PSEGMENT Segment = ExAllocatePoolWithTag(PagedPool, offsetof(SEGMENT, ThePtes) + Pages * sizeof(MMPTE),
                                             MM_SEGMENT_TAG);
    if (!Segment)
        return false;
    PCONTROL_AREA ControlArea = ExAllocatePoolWithTag(NonPagedPool, sizeof(CONTROL_AREA) + sizeof(SUBSECTION),
                                                      MM_CONTROL_AREA_TAG);
    if (!ControlArea) {
        ExFreePoolWithTag(Segment, MM_SEGMENT_TAG);
        return false;
    }
    memset(Segment, 0, offsetof(SEGMENT, ThePtes));
    Segment->ControlArea = ControlArea;
    Segment->TotalNumberOfPtes = Segment->NonExtendedPtes = Pages;
    Segment->SizeOfSegment = (ULONGLONG)Pages << PAGE_SHIFT;
    Segment->SegmentPteTemplate = Template;
    Segment->PrototypePte = Segment->ThePtes;
    for (ULONG i = 0; i < Pages; i++)
        MiWritePte(&Segment->ThePtes[i], Initial);

    memset(ControlArea, 0, sizeof(CONTROL_AREA) + sizeof(SUBSECTION));
    ControlArea->Segment = Segment;
    PSUBSECTION Subsection = MiFirstSubsection(ControlArea);
    Subsection->ControlArea = ControlArea;
    Subsection->u.SubsectionFlags.Protection = SubsectionProtection;
    Subsection->u.SubsectionFlags.ReadWrite = MiIsWritableProtection(SubsectionProtection);
    Subsection->u.SubsectionFlags.ReadOnly = !Subsection->u.SubsectionFlags.ReadWrite;
    Subsection->SubsectionBase = Segment->PrototypePte;
    Subsection->PtesInSubsection = Pages;
    *Result = ControlArea;
    return true;
}

/*
 * A pagefile-backed segment of SizeOfSection bytes (x86 NT: at most 4 GB,
 * else STATUS_SECTION_TOO_BIG), SEC_COMMIT's pages charged now.
 */
static NTSTATUS MiCreatePagingFileMap(ULONGLONG SizeOfSection, ULONG ProtectionMask, ULONG AllocationAttributes,
                                      PCONTROL_AREA *Result)
{
    if (SizeOfSection >> 32)
        return STATUS_SECTION_TOO_BIG;
    if (SizeOfSection == 0)
        return STATUS_INVALID_PARAMETER_4;
    ULONG Pages = BYTES_TO_PAGES((ULONG)SizeOfSection);
    bool Commit = (AllocationAttributes & SEC_COMMIT) != 0;
    if (Commit && !MiChargeCommitment(Pages))
        return STATUS_COMMITMENT_LIMIT;
    MMPTE Template = MiMakeDemandZeroPte(ProtectionMask);
    PCONTROL_AREA ControlArea;
    if (!MiCreateSegment(Pages, Commit ? Template : (MMPTE){ .u.Long = 0 }, Template, ProtectionMask, &ControlArea)) {
        if (Commit)
            MiReturnCommitment(Pages);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ControlArea->Segment->NumberOfCommittedPages = Commit ? Pages : 0;
    ControlArea->u.Flags.Commit = Commit;
    ControlArea->u.Flags.Reserve = !Commit;
    *Result = ControlArea;
    return STATUS_SUCCESS;
}

/*
 * The control area every data section over File shares: the existing one,
 * or a new one whose prototype PTEs are all in subsection format (NT gives
 * a data file's prototype PTEs execute-read-write: a view's own protection
 * decides). MiSectionMutex held. A new one holds a reference on the file.
 */
static NTSTATUS MiCreateDataFileMap(PFILE_OBJECT File, PCONTROL_AREA *Result)
{
    PSECTION_OBJECT_POINTERS Pointers = File->SectionObjectPointer;
    PCONTROL_AREA ControlArea = Pointers->DataSectionObject;

    if (ControlArea && !ControlArea->u.Flags.BeingDeleted) {
        *Result = ControlArea;
        return STATUS_SUCCESS;
    }
    ULONG Pages = BYTES_TO_PAGES(File->FileSize);
    MMPTE InFile = MiMakeSubsectionPte(MM_EXECUTE_READWRITE);
    if (!MiCreateSegment(Pages, InFile, InFile, MM_EXECUTE_READWRITE, &ControlArea))
        return STATUS_INSUFFICIENT_RESOURCES;
    PSUBSECTION Subsection = MiFirstSubsection(ControlArea);
    Subsection->StartingSector = 0;
    Subsection->NumberOfFullSectors = File->FileSize / MI_SECTOR_SIZE;
    Subsection->u.SubsectionFlags.SectorEndOffset = File->FileSize % MI_SECTOR_SIZE;
    ControlArea->Segment->SizeOfSegment = File->FileSize;
    ControlArea->u.Flags.File = 1;
    ControlArea->FilePointer = File;
    ObReferenceObject(File);
    Pointers->DataSectionObject = ControlArea;
    InsertTailList(&MiControlAreaList, &ControlArea->ControlAreaLinks);
    *Result = ControlArea;
    return STATUS_SUCCESS;
}

/* What NtQuerySection reports as the section's attributes, from its flags. */
static __attribute__((noinline)) ULONG MiSectionAttributes(const SECTION *Section)
{
    ULONG Attributes = 0;
    if (Section->u.Flags.Commit)
        Attributes |= SEC_COMMIT;
    if (Section->u.Flags.Reserve)
        Attributes |= SEC_RESERVE;
    if (Section->u.Flags.File)
        Attributes |= SEC_FILE;
    if (Section->u.Flags.Image)
        Attributes |= SEC_IMAGE;
    if (Section->u.Flags.NoCache)
        Attributes |= SEC_NOCACHE;
    if (Section->u.Flags.NoChange)
        Attributes |= SEC_NO_CHANGE;
    return Attributes;
}

NTSTATUS MmCreateSection(PVOID *SectionObject, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                         PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection, ULONG AllocationAttributes,
                         HANDLE FileHandle, PFILE_OBJECT FileObject)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    ULONGLONG Size = (ULONGLONG)MaximumSize->QuadPart;
    PCONTROL_AREA ControlArea = NULL;
    PFILE_OBJECT File = NULL;
    PSECTION Section;
    NTSTATUS Status;

    ULONG ProtectionMask = MiMakeProtectionMask(SectionPageProtection);
    if (ProtectionMask == MM_INVALID_PROTECTION)
        return STATUS_INVALID_PAGE_PROTECTION;
    bool Image = (AllocationAttributes & SEC_IMAGE) != 0;
    if (Image && !FileHandle && !FileObject)
        return STATUS_INVALID_FILE_FOR_SECTION;
    if (AllocationAttributes & (SEC_BASED | SEC_LARGE_PAGES))
        return STATUS_NOT_SUPPORTED;            /* no based sections, no large pages */

    if (FileHandle || FileObject) {
        if (FileObject) {
            File = FileObject;
            ObReferenceObject(File);
        } else {
            Status = ObReferenceObjectByHandle(FileHandle, MiMakeFileAccess[ProtectionMask & 7], IoFileObjectType,
                                               PreviousMode, (PVOID *)&File, NULL);
            if (!NT_SUCCESS(Status))
                return Status;
        }
        if (Image) {
            /* The image's own layout and protections; MaximumSize means nothing for it (NT ignores it). */
            ExAcquireFastMutex(&MiSectionMutex);
            Status = MiCreateImageFileMap(File, &ControlArea);
            if (NT_SUCCESS(Status)) {
                ControlArea->NumberOfSectionReferences++;
                ControlArea->NumberOfUserReferences++;
                Size = ControlArea->Segment->SizeOfSegment;
            }
            ExReleaseFastMutex(&MiSectionMutex);
        } else if (MiIsWritableProtection(ProtectionMask) && !MiIsCopyOnWriteProtection(ProtectionMask) &&
                   !File->WriteAccess) {
            Status = STATUS_ACCESS_DENIED;      /* the boot files are read-only: no data view could be written back */
        } else if (Size == 0 && File->FileSize == 0) {
            Status = STATUS_MAPPED_FILE_SIZE_ZERO;
        } else if (Size > File->FileSize) {
            Status = STATUS_SECTION_TOO_BIG;    /* NT extends a writable file; these never are */
        } else {
            if (Size == 0)
                Size = File->FileSize;
            ExAcquireFastMutex(&MiSectionMutex);
            Status = MiCreateDataFileMap(File, &ControlArea);
            if (NT_SUCCESS(Status)) {
                ControlArea->NumberOfSectionReferences++;
                ControlArea->NumberOfUserReferences++;
            }
            ExReleaseFastMutex(&MiSectionMutex);
        }
        ObDereferenceObject(File);
    } else {
        Status = MiCreatePagingFileMap(Size, ProtectionMask, AllocationAttributes, &ControlArea);
        if (NT_SUCCESS(Status)) {
            Size = (ULONGLONG)ControlArea->Segment->TotalNumberOfPtes << PAGE_SHIFT;
            ControlArea->NumberOfSectionReferences = ControlArea->NumberOfUserReferences = 1;
            ControlArea->u.Flags.NoCache = (AllocationAttributes & SEC_NOCACHE) != 0;
            ExAcquireFastMutex(&MiSectionMutex);
            InsertTailList(&MiControlAreaList, &ControlArea->ControlAreaLinks);
            ExReleaseFastMutex(&MiSectionMutex);
        }
    }
    if (!NT_SUCCESS(Status))
        return Status;
    NTSTATUS Warning = Status;      /* STATUS_IMAGE_MACHINE_TYPE_MISMATCH: the section is made all the same */

    /* The object: its own reference on the control area is the one counted above. */
    Status = ObCreateObject(PreviousMode, MmSectionObjectType, ObjectAttributes, PreviousMode, NULL, sizeof(SECTION),
                            0, 0, (PVOID *)&Section);
    if (!NT_SUCCESS(Status)) {
        ExAcquireFastMutex(&MiSectionMutex);
        ControlArea->NumberOfSectionReferences--;
        ControlArea->NumberOfUserReferences--;
        MiCheckControlArea(ControlArea);
        ExReleaseFastMutex(&MiSectionMutex);
        return Status;
    }
    memset(Section, 0, sizeof(*Section));
    Section->Segment = ControlArea->Segment;
    Section->SizeOfSection.QuadPart = (LONGLONG)Size;
    Section->InitialPageProtection = SectionPageProtection;
    Section->u.Flags.File = ControlArea->u.Flags.File;
    Section->u.Flags.Image = ControlArea->u.Flags.Image;
    Section->u.Flags.Commit = (AllocationAttributes & SEC_COMMIT) != 0;
    Section->u.Flags.Reserve = (AllocationAttributes & SEC_RESERVE) != 0;
    Section->u.Flags.NoCache = (AllocationAttributes & SEC_NOCACHE) != 0;
    Section->u.Flags.NoChange = (AllocationAttributes & SEC_NO_CHANGE) != 0;
    *SectionObject = Section;
    return Warning;
}

NTSTATUS NtCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                         PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection, ULONG AllocationAttributes,
                         HANDLE FileHandle)
{
    const ULONG Known = SEC_COMMIT | SEC_RESERVE | SEC_BASED | SEC_LARGE_PAGES | SEC_IMAGE | SEC_NOCACHE |
                        SEC_NO_CHANGE;
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    LARGE_INTEGER Size = { .QuadPart = 0 };
    PVOID Section;
    HANDLE Handle;
    NTSTATUS Status = STATUS_SUCCESS;

    /* NT's checks of the attributes, then of the protection, in its order. */
    if ((AllocationAttributes & ~Known) || !(AllocationAttributes & (SEC_COMMIT | SEC_RESERVE | SEC_IMAGE)))
        return STATUS_INVALID_PARAMETER_6;
    if ((AllocationAttributes & SEC_IMAGE) &&
        (AllocationAttributes & (SEC_COMMIT | SEC_RESERVE | SEC_LARGE_PAGES | SEC_NOCACHE | SEC_NO_CHANGE)))
        return STATUS_INVALID_PARAMETER_6;
    if ((AllocationAttributes & SEC_COMMIT) && (AllocationAttributes & SEC_RESERVE))
        return STATUS_INVALID_PARAMETER_6;
    if (SectionPageProtection & (PAGE_NOCACHE | PAGE_WRITECOMBINE | PAGE_GUARD | PAGE_NOACCESS))
        return STATUS_INVALID_PAGE_PROTECTION;

    if (PreviousMode != KernelMode) {
        EX_TRY {
            if (MaximumSize)
                Size = ProbeAndReadLargeInteger(MaximumSize);
            ProbeForWriteHandle(SectionHandle);
        } EX_EXCEPT(Status) {
        } EX_END;
        if (!NT_SUCCESS(Status))
            return Status;
    } else if (MaximumSize) {
        Size = *MaximumSize;
    }
    if (!FileHandle && Size.QuadPart == 0)
        return STATUS_INVALID_PARAMETER_4;

    Status = MmCreateSection(&Section, DesiredAccess, ObjectAttributes, &Size, SectionPageProtection,
                             AllocationAttributes, FileHandle, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    NTSTATUS Warning = Status;
    Status = ObInsertObject(Section, NULL, DesiredAccess, 0, NULL, &Handle);
    if (!NT_SUCCESS(Status))
        return Status;
    if (PreviousMode == KernelMode) {
        *SectionHandle = Handle;
    } else {
        NTSTATUS Ignored;
        EX_TRY {
            *SectionHandle = Handle;
        } EX_EXCEPT(Ignored) {
            (void)Ignored;      /* probed: only a buffer unmapped meanwhile faults, and NT ignores that */
        } EX_END;
    }
    return Warning;
}

NTSTATUS ZwCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                         PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection, ULONG AllocationAttributes,
                         HANDLE FileHandle)
{
    return EX_CALL_AS_KERNEL_MODE(NtCreateSection(SectionHandle, DesiredAccess, ObjectAttributes, MaximumSize,
                                                  SectionPageProtection, AllocationAttributes, FileHandle));
}

NTSTATUS NtQuerySection(HANDLE SectionHandle, SECTION_INFORMATION_CLASS SectionInformationClass,
                        PVOID SectionInformation, SIZE_T SectionInformationLength, PSIZE_T ResultLength)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    union {
        SECTION_BASIC_INFORMATION Basic;
        SECTION_IMAGE_INFORMATION Image;
    } Answer;
    PSECTION Section;
    NTSTATUS Status = STATUS_SUCCESS;

    if (SectionInformationClass != SectionBasicInformation && SectionInformationClass != SectionImageInformation)
        return STATUS_INVALID_INFO_CLASS;
    volatile ULONG Length =             /* read again after the handler (setjmp) */
        SectionInformationClass == SectionBasicInformation ? sizeof(Answer.Basic) : sizeof(Answer.Image);
    if (SectionInformationLength < Length)
        return STATUS_INFO_LENGTH_MISMATCH;
    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWrite(SectionInformation, SectionInformationLength, sizeof(ULONG));
            if (ResultLength)
                ProbeForWrite(ResultLength, sizeof(SIZE_T), sizeof(ULONG));
        } EX_EXCEPT(Status) {
        } EX_END;
        if (!NT_SUCCESS(Status))
            return Status;
    }
    Status = ObReferenceObjectByHandle(SectionHandle, SECTION_QUERY, MmSectionObjectType, PreviousMode,
                                       (PVOID *)&Section, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    if (SectionInformationClass == SectionImageInformation) {
        if (!Section->u.Flags.Image) {
            ObDereferenceObject(Section);
            return STATUS_SECTION_NOT_IMAGE;
        }
        MiQueryImageInformation(Section->Segment, &Answer.Image);
    } else {
        Answer.Basic.BaseAddress = NULL;
        Answer.Basic.Attributes = MiSectionAttributes(Section);
        Answer.Basic.Size = Section->SizeOfSection;
    }
    ObDereferenceObject(Section);
    EX_TRY {
        memcpy(SectionInformation, &Answer, Length);
        if (ResultLength)
            *ResultLength = Length;
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    return Status;
}

NTSTATUS ZwQuerySection(HANDLE SectionHandle, SECTION_INFORMATION_CLASS SectionInformationClass,
                        PVOID SectionInformation, SIZE_T SectionInformationLength, PSIZE_T ResultLength)
{
    return EX_CALL_AS_KERNEL_MODE(NtQuerySection(SectionHandle, SectionInformationClass, SectionInformation,
                                                 SectionInformationLength, ResultLength));
}

/* ------------------------------------------------------------- commit */

NTSTATUS MiCommitPrototypePtes(PSEGMENT Segment, PMMPTE First, PMMPTE Last)
{
    ULONG Charge = 0;
    KIRQL OldIrql;

    ExAcquireFastMutex(&MiSectionMutex);
    for (PMMPTE Proto = First; Proto <= Last; Proto++)
        Charge += MiReadPte(Proto).u.Long == 0;
    if (Charge && !MiChargeCommitment(Charge)) {
        ExReleaseFastMutex(&MiSectionMutex);
        return STATUS_COMMITMENT_LIMIT;
    }
    LOCK_PFN(OldIrql);
    for (PMMPTE Proto = First; Proto <= Last; Proto++) {
        if (MiReadPte(Proto).u.Long == 0)
            MiWritePte(Proto, Segment->SegmentPteTemplate);
    }
    UNLOCK_PFN(OldIrql);
    Segment->NumberOfCommittedPages += Charge;
    ExReleaseFastMutex(&MiSectionMutex);
    return STATUS_SUCCESS;
}

/* --------------------------------------------------------------- start */

static const OBJECT_TYPE_INITIALIZER MiSectionTypeInfo = {
    .Length = sizeof(OBJECT_TYPE_INITIALIZER),
    .InvalidAttributes = OBJ_OPENLINK,
    .GenericMapping = {
        STANDARD_RIGHTS_READ | SECTION_MAP_READ | SECTION_QUERY,
        STANDARD_RIGHTS_WRITE | SECTION_MAP_WRITE,
        STANDARD_RIGHTS_EXECUTE | SECTION_MAP_EXECUTE,
        SECTION_ALL_ACCESS,
    },
    .ValidAccessMask = SECTION_ALL_ACCESS,
    .PoolType = PagedPool,
    .DeleteProcedure = MiSectionDelete,
};

void MiInitializeSections(void)
{
    ExInitializeFastMutex(&MiSectionMutex);
    InitializeListHead(&MiControlAreaList);
    MiInitializeSystemViewSpace();
    MiInitializeViewFaults();
    if (!NT_SUCCESS(ObCreateObjectType("Section", &MiSectionTypeInfo, NULL, &MmSectionObjectType)))
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0x4D6D, 2, 0, 0);     /* 'Mm' */
}
