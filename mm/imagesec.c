/*
 * mm/imagesec.c — image sections: a PE file's segment, built the way NT's
 * MiCreateImageFileMap builds it.
 *
 * An image section (NtCreateSection with SEC_IMAGE over a file) shows the
 * file not as its bytes lie on disk but as the loader would lay it out in
 * memory: each PE section at its RVA, SizeOfImage bytes in all. NT builds
 * one segment per image file, found through the file's
 * SECTION_OBJECT_POINTERS.ImageSectionObject (separate from the data
 * control area of DataSectionObject, since the two lay the same bytes out
 * differently), so every process running the program maps the same
 * prototype PTEs and shares every page it does not write.
 *
 * The segment has one prototype PTE per page of SizeOfImage. The control
 * area is followed by its subsections, NT's layout:
 *
 *   the headers      SizeOfHeaders bytes from offset 0, read-only, up to
 *                    the first section
 *   each PE section  its raw data (PointerToRawData, min(SizeOfRawData,
 *                    VirtualSize) bytes) and its pages up to the next
 *                    section, with the protection its characteristics ask
 *                    for (NT's MiGetImageProtection): code execute-read,
 *                    read-only data read-only, writable data write-copy
 *                    (PAGE_WRITECOPY / PAGE_EXECUTE_WRITECOPY: each
 *                    process that writes gets its own copy), a section
 *                    marked IMAGE_SCN_MEM_SHARED read/write for real.
 *
 * A page holding raw data starts in subsection format (the page is in the
 * file: a fault copies it from the boot module, and the part past the raw
 * data reads zero); a page wholly past the raw data — the uninitialised
 * tail of .data, all of .bss — is demand zero with the section's
 * protection. Those demand-zero pages are charged to the system's commit
 * when they are not copy-on-write (a page every process shares); the
 * write-copy ones are charged to each process that maps a view, as the
 * segment's ImageCommitment (mm/mapview.c), since a write makes them that
 * process's own. An image whose section alignment is below a page lays its
 * sections out in the file exactly as in memory, so NT maps it as one
 * subsection of the whole file, execute/write-copy: so does mm386.
 *
 * The checks are NT's: the headers (mm/imagehdr.c, its statuses), then
 * the section table — sections contiguous from the headers' end
 * (VirtualAddress where the previous one ended, rounded to the section
 * alignment) and raw data on 512-byte sectors, since a subsection counts
 * its file offset in sectors — else STATUS_INVALID_IMAGE_FORMAT. An image
 * for another processor is made all the same and NtCreateSection answers
 * the warning STATUS_IMAGE_MACHINE_TYPE_MISMATCH, as NT does.
 */
#include <ntimage.h>
#include "section.h"

/* NT's MiGetImageProtection: IMAGE_SCN_MEM_EXECUTE, _READ, _WRITE (bits 29-31) to a protection. */
static const UCHAR MiImageProtection[8] = {
    MM_NOACCESS,            /* none */
    MM_EXECUTE,             /* execute */
    MM_READONLY,            /* read */
    MM_EXECUTE_READ,        /* read, execute */
    MM_WRITECOPY,           /* write */
    MM_EXECUTE_WRITECOPY,   /* write, execute */
    MM_WRITECOPY,           /* write, read */
    MM_EXECUTE_WRITECOPY,   /* write, read, execute */
};

static ULONG MiGetImageProtection(ULONG Characteristics)
{
    ULONG Protection = MiImageProtection[Characteristics >> 29];
    if ((Characteristics & IMAGE_SCN_MEM_SHARED) && MiIsCopyOnWriteProtection(Protection))
        Protection = MiMakeProtectNotWriteCopy(Protection);     /* shared by every process: no copies */
    return Protection;
}

/* A section's bytes in memory: its VirtualSize, or (0, as old linkers leave it) its raw size. */
static ULONG MiSectionVirtualSize(const IMAGE_SECTION_HEADER *Section)
{
    return Section->VirtualSize ? Section->VirtualSize : Section->SizeOfRawData;
}

/*
 * The section table NT would map: contiguous sections, raw data on sectors.
 * Info comes from MmVerifyImageHeader (every section inside the image and,
 * its raw data, inside the file).
 */
static NTSTATUS MiCheckImageSections(const MM_IMAGE_INFORMATION *Info)
{
    ULONG Next = ROUND_UP(Info->SizeOfHeaders, Info->SectionAlignment);
    for (ULONG i = 0; i < Info->NumberOfSections; i++) {
        const IMAGE_SECTION_HEADER *Section = &Info->Sections[i];
        if (Section->VirtualAddress != Next)
            return STATUS_INVALID_IMAGE_FORMAT;
        if (Section->SizeOfRawData && Section->PointerToRawData % MI_SECTOR_SIZE)
            return STATUS_INVALID_IMAGE_FORMAT;
        Next += ROUND_UP(MAX(MiSectionVirtualSize(Section), 1u), Info->SectionAlignment);
    }
    return Next <= Info->SizeOfImage ? STATUS_SUCCESS : STATUS_INVALID_IMAGE_FORMAT;
}

/*
 * One subsection: Pages prototype PTEs from First, of which the first
 * DataBytes' worth hold the file's bytes from FileOffset (subsection format)
 * and the rest are demand zero; all with Protection. Counts the pages the
 * segment's commit and the views' copy-on-write charge need.
 */
static void MiInitializeImageSubsection(PSUBSECTION Subsection, PCONTROL_AREA ControlArea, PMMPTE First, ULONG Pages,
                                        ULONG FileOffset, ULONG DataBytes, ULONG Protection, PSEGMENT Segment)
{
    ULONG DataPages = BYTES_TO_PAGES(DataBytes);
    memset(Subsection, 0, sizeof(*Subsection));
    Subsection->ControlArea = ControlArea;
    Subsection->u.SubsectionFlags.Protection = Protection;
    Subsection->u.SubsectionFlags.ReadWrite = MiIsWritableProtection(Protection);
    Subsection->u.SubsectionFlags.ReadOnly = !Subsection->u.SubsectionFlags.ReadWrite;
    Subsection->StartingSector = FileOffset / MI_SECTOR_SIZE;
    Subsection->NumberOfFullSectors = DataBytes / MI_SECTOR_SIZE;
    Subsection->u.SubsectionFlags.SectorEndOffset = DataBytes % MI_SECTOR_SIZE;
    Subsection->SubsectionBase = First;
    Subsection->PtesInSubsection = Pages;
    for (ULONG i = 0; i < Pages; i++) {
        if (i < DataPages) {
            MiWritePte(&First[i], MiMakeSubsectionPte(Protection));
        } else {
            MiWritePte(&First[i], MiMakeDemandZeroPte(Protection));
            if (!MiIsCopyOnWriteProtection(Protection))
                Segment->NumberOfCommittedPages++;
        }
        if (MiIsCopyOnWriteProtection(Protection))
            Segment->ImageCommitment++;
    }
}

NTSTATUS MiCreateImageFileMap(PFILE_OBJECT File, PCONTROL_AREA *Result)
{
    PSECTION_OBJECT_POINTERS Pointers = File->SectionObjectPointer;
    PCONTROL_AREA ControlArea = Pointers->ImageSectionObject;
    MM_IMAGE_INFORMATION Info;

    if (ControlArea && !ControlArea->u.Flags.BeingDeleted) {
        *Result = ControlArea;      /* the same warning as when it was made: the caller decides on it each time */
        return ControlArea->Segment->ImageInformation->Machine == IMAGE_FILE_MACHINE_I386
                   ? STATUS_SUCCESS : STATUS_IMAGE_MACHINE_TYPE_MISMATCH;
    }
    if (File->FileSize == 0)
        return STATUS_INVALID_FILE_FOR_SECTION;
    NTSTATUS Status = MmVerifyImageHeader(File->BootData, File->FileSize, &Info);
    if (!NT_SUCCESS(Status))
        return Status;
    NTSTATUS Warning = Status;                  /* STATUS_IMAGE_MACHINE_TYPE_MISMATCH, or success */
    bool Whole = Info.SectionAlignment < PAGE_SIZE;
    if (!Whole) {
        Status = MiCheckImageSections(&Info);
        if (!NT_SUCCESS(Status))
            return Status;
    } else {
        /* Mapped as the file is, so each section must sit in the file where it sits in memory (NT's rule). */
        for (ULONG i = 0; i < Info.NumberOfSections; i++) {
            if (Info.Sections[i].SizeOfRawData && Info.Sections[i].PointerToRawData != Info.Sections[i].VirtualAddress)
                return STATUS_INVALID_IMAGE_FORMAT;
        }
    }

    ULONG Pages = BYTES_TO_PAGES(Info.SizeOfImage);
    ULONG Subsections = Whole ? 1 : 1 + Info.NumberOfSections;
    ULONG PtesBytes = offsetof(SEGMENT, ThePtes) + Pages * sizeof(MMPTE);
    PSEGMENT Segment = ExAllocatePoolWithTag(PagedPool, PtesBytes + sizeof(MM_IMAGE_INFORMATION), MM_SEGMENT_TAG);
    if (!Segment)
        return STATUS_INSUFFICIENT_RESOURCES;
    ControlArea = ExAllocatePoolWithTag(NonPagedPool, sizeof(CONTROL_AREA) + Subsections * sizeof(SUBSECTION),
                                        MM_IMAGE_CONTROL_AREA_TAG);
    if (!ControlArea) {
        ExFreePoolWithTag(Segment, MM_SEGMENT_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memset(Segment, 0, offsetof(SEGMENT, ThePtes));
    memset(ControlArea, 0, sizeof(CONTROL_AREA));
    Segment->ControlArea = ControlArea;
    Segment->TotalNumberOfPtes = Segment->NonExtendedPtes = Pages;
    Segment->SizeOfSegment = (ULONGLONG)Pages << PAGE_SHIFT;
    Segment->BasedAddress = (PVOID)Info.ImageBase;
    Segment->PrototypePte = Segment->ThePtes;
    Segment->ImageInformation = (MM_IMAGE_INFORMATION *)((UCHAR *)Segment + PtesBytes);
    *Segment->ImageInformation = Info;
    ControlArea->Segment = Segment;

    PSUBSECTION Subsection = MiFirstSubsection(ControlArea);
    if (Whole) {
        MiInitializeImageSubsection(Subsection, ControlArea, Segment->ThePtes, Pages, 0,
                                    MIN((ULONG)File->FileSize, Info.SizeOfImage), MM_EXECUTE_WRITECOPY, Segment);
    } else {
        ULONG HeaderPages = BYTES_TO_PAGES(ROUND_UP(Info.SizeOfHeaders, Info.SectionAlignment));
        MiInitializeImageSubsection(Subsection, ControlArea, Segment->ThePtes, HeaderPages, 0, Info.SizeOfHeaders,
                                    MM_READONLY, Segment);
        for (ULONG i = 0; i < Info.NumberOfSections; i++) {
            const IMAGE_SECTION_HEADER *Section = &Info.Sections[i];
            ULONG Start = Section->VirtualAddress >> PAGE_SHIFT;
            ULONG End = i + 1 < Info.NumberOfSections ? Info.Sections[i + 1].VirtualAddress >> PAGE_SHIFT : Pages;
            ULONG Data = MIN(Section->SizeOfRawData, MiSectionVirtualSize(Section));
            Subsection[i].NextSubsection = &Subsection[i + 1];
            MiInitializeImageSubsection(&Subsection[i + 1], ControlArea, &Segment->ThePtes[Start], End - Start,
                                        Section->PointerToRawData, Data,
                                        MiGetImageProtection(Section->Characteristics), Segment);
        }
    }
    if (Segment->NumberOfCommittedPages && !MiChargeCommitment(Segment->NumberOfCommittedPages)) {
        ExFreePoolWithTag(ControlArea, MM_IMAGE_CONTROL_AREA_TAG);
        ExFreePoolWithTag(Segment, MM_SEGMENT_TAG);
        return STATUS_COMMITMENT_LIMIT;
    }
    ControlArea->u.Flags.Image = 1;
    ControlArea->u.Flags.File = 1;
    ControlArea->FilePointer = File;
    ObReferenceObject(File);
    Pointers->ImageSectionObject = ControlArea;
    InsertTailList(&MiControlAreaList, &ControlArea->ControlAreaLinks);
    *Result = ControlArea;
    return Warning;
}

void MiQueryImageInformation(PSEGMENT Segment, PSECTION_IMAGE_INFORMATION Information)
{
    const MM_IMAGE_INFORMATION *Info = Segment->ImageInformation;
    bool Code = Info->SizeOfCode != 0;
    for (ULONG i = 0; i < Info->NumberOfSections && !Code; i++)
        Code = (Info->Sections[i].Characteristics & (IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_EXECUTE)) != 0;

    memset(Information, 0, sizeof(*Information));
    Information->TransferAddress = (PVOID)(Info->ImageBase + Info->EntryPoint);
    Information->MaximumStackSize = Info->StackReserve;
    Information->CommittedStackSize = Info->StackCommit;
    Information->SubSystemType = Info->Subsystem;
    Information->SubSystemMajorVersion = Info->SubsystemMajorVersion;
    Information->SubSystemMinorVersion = Info->SubsystemMinorVersion;
    Information->ImageCharacteristics = Info->Characteristics;
    Information->DllCharacteristics = Info->DllCharacteristics;
    Information->Machine = Info->Machine;
    Information->ImageContainsCode = Code;
    Information->LoaderFlags = Info->LoaderFlags;
    Information->ImageFileSize = Info->FileSize;
}

const MM_IMAGE_INFORMATION *MmGetImageInformation(PVOID SectionObject)
{
    PSECTION Section = SectionObject;
    return Section->u.Flags.Image ? Section->Segment->ImageInformation : NULL;
}
