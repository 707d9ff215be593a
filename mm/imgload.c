/*
 * mm/imgload.c — an image copied into a process: the loader before image sections.
 *
 * NT maps a program through an image section: the file's pages, shared by
 * every process running it, copy-on-write where it writes. mm386 has no
 * sections yet (issue 13 brings them), so process creation copies the image
 * into private memory of the new process instead, with the same result as
 * far as the program can tell: the image is reserved and committed at its
 * preferred base — or, when something is there already and the image
 * carries base relocations, wherever there is room, and relocated — its
 * headers and each section's raw data copied to their RVAs (the rest of
 * each section stays demand-zero: uninitialised data), and then each range
 * given the protection its section asks for (IMAGE_SCN_MEM_*: code
 * execute-read, read-only data read-only, data read/write), the headers
 * read-only. An image whose section alignment is below a page shares pages
 * between sections and stays execute-read/write, as NT maps it.
 *
 * The caller is attached to the new process and the copying uses the Zw
 * services, so the memory manager's own rules (VADs, commit, page tables)
 * account for the image like any allocation; it shows in NtQueryVirtualMemory
 * as MEM_PRIVATE until sections make it MEM_IMAGE. On any failure the
 * image's memory is released again.
 */
#include <ex.h>
#include <ntimage.h>
#include "mi.h"
#include "virtual.h"

/* The file offset of Rva's byte, or ~0 when Rva is in no section's raw data (nor the headers). */
static ULONG MiRvaToFileOffset(const MM_IMAGE_INFORMATION *Info, ULONG Rva, ULONG Length)
{
    if (Rva < Info->SizeOfHeaders && Length <= Info->SizeOfHeaders - Rva)
        return Rva;
    for (ULONG i = 0; i < Info->NumberOfSections; i++) {
        const IMAGE_SECTION_HEADER *s = &Info->Sections[i];
        if (Rva >= s->VirtualAddress && Rva - s->VirtualAddress < s->SizeOfRawData &&
            Length <= s->SizeOfRawData - (Rva - s->VirtualAddress))
            return s->PointerToRawData + (Rva - s->VirtualAddress);
    }
    return ~0u;
}

ULONG MmFindImageExport(const void *File, const MM_IMAGE_INFORMATION *Info, const char *Name)
{
    const UCHAR *Bytes = File;
    if (Info->ExportSize < sizeof(IMAGE_EXPORT_DIRECTORY))
        return 0;
    ULONG At = MiRvaToFileOffset(Info, Info->ExportRva, sizeof(IMAGE_EXPORT_DIRECTORY));
    if (At == ~0u)
        return 0;
    const IMAGE_EXPORT_DIRECTORY *Exports = (const void *)(Bytes + At);
    ULONG Names = MiRvaToFileOffset(Info, Exports->AddressOfNames, Exports->NumberOfNames * sizeof(ULONG));
    ULONG Ordinals = MiRvaToFileOffset(Info, Exports->AddressOfNameOrdinals, Exports->NumberOfNames * sizeof(USHORT));
    ULONG Functions = MiRvaToFileOffset(Info, Exports->AddressOfFunctions, Exports->NumberOfFunctions * sizeof(ULONG));
    if (Names == ~0u || Ordinals == ~0u || Functions == ~0u || Exports->NumberOfNames > 0x10000)
        return 0;
    ULONG Length = strlen(Name) + 1;
    for (ULONG i = 0; i < Exports->NumberOfNames; i++) {
        ULONG NameAt = MiRvaToFileOffset(Info, ((const ULONG *)(Bytes + Names))[i], Length);
        if (NameAt == ~0u || memcmp(Bytes + NameAt, Name, Length) != 0)
            continue;
        USHORT Ordinal = ((const USHORT *)(Bytes + Ordinals))[i];
        if (Ordinal >= Exports->NumberOfFunctions)
            return 0;
        ULONG Rva = ((const ULONG *)(Bytes + Functions))[Ordinal];
        return Rva < Info->SizeOfImage ? Rva : 0;
    }
    return 0;
}

/* Applies the image's base relocations for a load Delta bytes from its preferred base. */
static NTSTATUS MiRelocateImage(const void *File, const MM_IMAGE_INFORMATION *Info, UCHAR *Base, ULONG Delta)
{
    const UCHAR *Bytes = File;
    ULONG Offset = 0;

    while (Offset + sizeof(IMAGE_BASE_RELOCATION) <= Info->RelocationSize) {
        ULONG At = MiRvaToFileOffset(Info, Info->RelocationRva + Offset, sizeof(IMAGE_BASE_RELOCATION));
        if (At == ~0u)
            return STATUS_INVALID_IMAGE_FORMAT;
        const IMAGE_BASE_RELOCATION *Block = (const void *)(Bytes + At);
        if (Block->SizeOfBlock < sizeof(IMAGE_BASE_RELOCATION) || Block->SizeOfBlock % 2 ||
            Block->SizeOfBlock > Info->RelocationSize - Offset ||
            MiRvaToFileOffset(Info, Info->RelocationRva + Offset, Block->SizeOfBlock) == ~0u)
            return STATUS_INVALID_IMAGE_FORMAT;
        const USHORT *Entry = (const USHORT *)(Block + 1);
        ULONG Count = (Block->SizeOfBlock - sizeof(IMAGE_BASE_RELOCATION)) / sizeof(USHORT);
        for (ULONG i = 0; i < Count; i++) {
            ULONG Type = Entry[i] >> 12, Rva = Block->VirtualAddress + (Entry[i] & 0xFFF);
            if (Type == IMAGE_REL_BASED_ABSOLUTE)
                continue;
            if (Type != IMAGE_REL_BASED_HIGHLOW || Rva > Info->SizeOfImage - sizeof(ULONG))
                return STATUS_INVALID_IMAGE_FORMAT;
            *(ULONG *)(Base + Rva) += Delta;
        }
        Offset += Block->SizeOfBlock;
    }
    return STATUS_SUCCESS;
}

/* The Win32 protection a section's characteristics ask for. */
static ULONG MiSectionProtection(ULONG Characteristics)
{
    bool Execute = Characteristics & IMAGE_SCN_MEM_EXECUTE, Write = Characteristics & IMAGE_SCN_MEM_WRITE;
    bool Read = Characteristics & IMAGE_SCN_MEM_READ;
    if (Execute)
        return Write ? PAGE_EXECUTE_READWRITE : Read ? PAGE_EXECUTE_READ : PAGE_EXECUTE;
    return Write ? PAGE_READWRITE : Read ? PAGE_READONLY : PAGE_NOACCESS;
}

static NTSTATUS MiProtectImageRange(ULONG Start, ULONG Length, ULONG Protect)
{
    PVOID Base = (PVOID)Start;
    SIZE_T Size = Length;
    ULONG Old;
    return Length ? ZwProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, Protect, &Old) : STATUS_SUCCESS;
}

/* Copies the headers and sections and relocates: the user pages are fresh, but written under a handler all the same. */
static NTSTATUS MiFillImage(const void *File, const MM_IMAGE_INFORMATION *Info, UCHAR *Base)
{
    NTSTATUS Status;
    EX_TRY {
        memcpy(Base, File, Info->SizeOfHeaders);
        for (ULONG i = 0; i < Info->NumberOfSections; i++) {
            const IMAGE_SECTION_HEADER *s = &Info->Sections[i];
            ULONG Raw = s->VirtualSize ? MIN(s->SizeOfRawData, s->VirtualSize) : s->SizeOfRawData;
            memcpy(Base + s->VirtualAddress, (const UCHAR *)File + s->PointerToRawData, Raw);
        }
        if ((ULONG)Base != Info->ImageBase)
            return MiRelocateImage(File, Info, Base, (ULONG)Base - Info->ImageBase);
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

NTSTATUS MmCopyImageIntoProcess(const void *File, const MM_IMAGE_INFORMATION *Info, PVOID *ImageBase)
{
    PVOID Base = (PVOID)Info->ImageBase;
    SIZE_T Size = Info->SizeOfImage;
    bool Relocatable = !(Info->Characteristics & IMAGE_FILE_RELOCS_STRIPPED) && Info->RelocationSize != 0;

    NTSTATUS Status = ZwAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                              PAGE_READWRITE);
    if (!NT_SUCCESS(Status)) {
        if (!Relocatable)
            return STATUS_CONFLICTING_ADDRESSES;
        Base = NULL;
        Size = Info->SizeOfImage;
        Status = ZwAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                         PAGE_READWRITE);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    Status = MiFillImage(File, Info, Base);
    if (NT_SUCCESS(Status) && Info->SectionAlignment >= PAGE_SIZE) {
        Status = MiProtectImageRange((ULONG)Base, Info->SizeOfHeaders, PAGE_READONLY);
        for (ULONG i = 0; i < Info->NumberOfSections && NT_SUCCESS(Status); i++) {
            const IMAGE_SECTION_HEADER *s = &Info->Sections[i];
            ULONG Span = ROUND_UP(MAX(s->VirtualSize, s->SizeOfRawData), Info->SectionAlignment);
            Status = MiProtectImageRange((ULONG)Base + s->VirtualAddress, Span, MiSectionProtection(s->Characteristics));
        }
    } else if (NT_SUCCESS(Status)) {
        Status = MiProtectImageRange((ULONG)Base, Info->SizeOfImage, PAGE_EXECUTE_READWRITE);
    }
    if (!NT_SUCCESS(Status)) {
        Size = 0;
        ZwFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE);
        return Status;
    }
    *ImageBase = Base;
    return STATUS_SUCCESS;
}
