/*
 * mm/imagehdr.c — is this file a PE image mm386 can run? NT's MiVerifyImageHeader.
 *
 * Before a byte of an image is mapped its headers are checked against the
 * file they came in, the way NT checks them when it makes an image
 * section: the MS-DOS header's signature (else STATUS_INVALID_IMAGE_NOT_MZ),
 * e_lfanew inside the file and the "PE\0\0" signature there, a PE32
 * optional header, the machine (an image for another processor is
 * STATUS_IMAGE_MACHINE_TYPE_MISMATCH), alignments that are powers of two
 * with the section alignment no smaller than the file alignment (at least
 * 512 bytes unless both are below a page), a 64 KB-aligned preferred base,
 * headers and every section's raw data inside the file, sections in
 * ascending order inside SizeOfImage without overlapping, the entry point
 * inside the image; anything else is STATUS_INVALID_IMAGE_FORMAT. An image
 * larger than a user range can hold is STATUS_SECTION_TOO_BIG. Every
 * offset is checked before it is followed, so a corrupt or hostile file
 * cannot make the check itself read outside the file.
 *
 * The result, MM_IMAGE_INFORMATION (include/mm.h), is what an image
 * section (mm/imagesec.c) and process creation (kernel/ps/process.c) need:
 * base, sizes, entry point, stack and heap sizes, subsystem, flags, the
 * section table and the relocation and export directories. The kernel finds
 * ntdll.dll's exports in its file (MmFindImageExport, below).
 */
#include <ntimage.h>
#include "mi.h"
#include "vad.h"

#define MI_MAXIMUM_IMAGE_SECTIONS   96      /* NT's loader refuses more */
#define MI_OS2_SIGNATURE            0x454E  /* "NE": a 16-bit Windows or OS/2 program */
#define MI_OS2_SIGNATURE_LE         0x454C  /* "LE": a VxD */
#define MI_NT_OPTIONAL_HDR64_MAGIC  0x20B   /* PE32+: a 64-bit image */

static bool MiIsPowerOfTwo(ULONG Value)
{
    return Value != 0 && (Value & (Value - 1)) == 0;
}

/* Whether [Offset, Offset + Length) lies inside a file of Size bytes. */
static bool MiInFile(ULONG Offset, ULONG Length, SIZE_T Size)
{
    return Offset <= Size && Length <= Size - Offset;
}

NTSTATUS MmVerifyImageHeader(const void *File, SIZE_T FileSize, PMM_IMAGE_INFORMATION Info)
{
    const UCHAR *Bytes = File;
    const IMAGE_DOS_HEADER *Dos = File;

    if (FileSize < sizeof(IMAGE_DOS_HEADER) || Dos->e_magic != IMAGE_DOS_SIGNATURE)
        return STATUS_INVALID_IMAGE_NOT_MZ;
    /* An MS-DOS program (no protected-mode header where e_lfanew says) is NT's "invalid protect-mode image". */
    if (Dos->e_lfanew < 0 || (Dos->e_lfanew & 3) ||
        !MiInFile((ULONG)Dos->e_lfanew, offsetof(IMAGE_NT_HEADERS32, OptionalHeader), FileSize))
        return STATUS_INVALID_IMAGE_PROTECT;
    const IMAGE_NT_HEADERS32 *Nt = (const void *)(Bytes + Dos->e_lfanew);
    if (Nt->Signature != IMAGE_NT_SIGNATURE) {
        if ((USHORT)Nt->Signature == MI_OS2_SIGNATURE)
            return STATUS_INVALID_IMAGE_NE_FORMAT;
        if ((USHORT)Nt->Signature == MI_OS2_SIGNATURE_LE)
            return STATUS_INVALID_IMAGE_LE_FORMAT;
        return STATUS_INVALID_IMAGE_PROTECT;
    }
    if (Nt->FileHeader.Machine == 0 && Nt->FileHeader.SizeOfOptionalHeader == 0)
        return STATUS_INVALID_IMAGE_PROTECT;       /* a DOS program dressed as a PE one, NT's special case */
    if (!(Nt->FileHeader.Characteristics & IMAGE_FILE_EXECUTABLE_IMAGE))
        return STATUS_INVALID_IMAGE_FORMAT;
    ULONG OptionalSize = Nt->FileHeader.SizeOfOptionalHeader;
    if (OptionalSize < offsetof(IMAGE_OPTIONAL_HEADER32, DataDirectory) ||
        !MiInFile((ULONG)Dos->e_lfanew + offsetof(IMAGE_NT_HEADERS32, OptionalHeader), OptionalSize, FileSize))
        return STATUS_INVALID_IMAGE_FORMAT;
    const IMAGE_OPTIONAL_HEADER32 *Opt = &Nt->OptionalHeader;
    if (Opt->Magic == MI_NT_OPTIONAL_HDR64_MAGIC)
        return STATUS_INVALID_IMAGE_WIN_64;
    if (Opt->Magic != IMAGE_NT_OPTIONAL_HDR32_MAGIC)
        return STATUS_INVALID_IMAGE_FORMAT;

    ULONG SectionAlignment = Opt->SectionAlignment, FileAlignment = Opt->FileAlignment;
    if (!MiIsPowerOfTwo(SectionAlignment) || !MiIsPowerOfTwo(FileAlignment) || SectionAlignment < FileAlignment)
        return STATUS_INVALID_IMAGE_FORMAT;
    if (SectionAlignment >= PAGE_SIZE ? FileAlignment < 512 : FileAlignment != SectionAlignment)
        return STATUS_INVALID_IMAGE_FORMAT;
    if (Opt->ImageBase % MM_ALLOCATION_GRANULARITY || Opt->SizeOfImage == 0 ||
        Opt->SizeOfImage % SectionAlignment)
        return STATUS_INVALID_IMAGE_FORMAT;
    if (Opt->SizeOfImage > (ULONG)MmHighestUserAddress - MM_ALLOCATION_GRANULARITY)
        return STATUS_SECTION_TOO_BIG;
    if (Opt->SizeOfHeaders == 0 || Opt->SizeOfHeaders > Opt->SizeOfImage || Opt->SizeOfHeaders > FileSize)
        return STATUS_INVALID_IMAGE_FORMAT;
    if (Opt->AddressOfEntryPoint >= Opt->SizeOfImage)
        return STATUS_INVALID_IMAGE_FORMAT;
    ULONG Directories = MIN(Opt->NumberOfRvaAndSizes, (ULONG)IMAGE_NUMBEROF_DIRECTORY_ENTRIES);
    if (OptionalSize < offsetof(IMAGE_OPTIONAL_HEADER32, DataDirectory) + Directories * sizeof(IMAGE_DATA_DIRECTORY))
        return STATUS_INVALID_IMAGE_FORMAT;

    ULONG Sections = Nt->FileHeader.NumberOfSections;
    ULONG TableOffset = (ULONG)Dos->e_lfanew + offsetof(IMAGE_NT_HEADERS32, OptionalHeader) + OptionalSize;
    if (Sections == 0 || Sections > MI_MAXIMUM_IMAGE_SECTIONS ||
        !MiInFile(TableOffset, Sections * sizeof(IMAGE_SECTION_HEADER), MIN(FileSize, Opt->SizeOfHeaders)))
        return STATUS_INVALID_IMAGE_FORMAT;
    const IMAGE_SECTION_HEADER *Section = (const void *)(Bytes + TableOffset);
    ULONG NextFree = ROUND_UP(Opt->SizeOfHeaders, SectionAlignment);
    for (ULONG i = 0; i < Sections; i++) {
        const IMAGE_SECTION_HEADER *s = &Section[i];
        ULONG Span = MAX(s->VirtualSize, s->SizeOfRawData);
        if (s->VirtualAddress % SectionAlignment || s->VirtualAddress < NextFree ||
            Span > Opt->SizeOfImage || s->VirtualAddress > Opt->SizeOfImage - Span)
            return STATUS_INVALID_IMAGE_FORMAT;
        if (s->SizeOfRawData && !MiInFile(s->PointerToRawData, s->SizeOfRawData, FileSize))
            return STATUS_INVALID_IMAGE_FORMAT;
        NextFree = s->VirtualAddress + ROUND_UP(MAX(Span, 1u), SectionAlignment);
    }

    memset(Info, 0, sizeof(*Info));
    Info->ImageBase = Opt->ImageBase;
    Info->SizeOfImage = Opt->SizeOfImage;
    Info->SizeOfHeaders = Opt->SizeOfHeaders;
    Info->EntryPoint = Opt->AddressOfEntryPoint;
    Info->SectionAlignment = SectionAlignment;
    Info->StackReserve = Opt->SizeOfStackReserve;
    Info->StackCommit = Opt->SizeOfStackCommit;
    Info->HeapReserve = Opt->SizeOfHeapReserve;
    Info->HeapCommit = Opt->SizeOfHeapCommit;
    Info->Subsystem = Opt->Subsystem;
    Info->SubsystemMajorVersion = Opt->MajorSubsystemVersion;
    Info->SubsystemMinorVersion = Opt->MinorSubsystemVersion;
    Info->Characteristics = Nt->FileHeader.Characteristics;
    Info->Machine = Nt->FileHeader.Machine;
    Info->DllCharacteristics = Opt->DllCharacteristics;
    Info->SizeOfCode = Opt->SizeOfCode;
    Info->LoaderFlags = Opt->LoaderFlags;
    Info->FileSize = FileSize;
    Info->NumberOfSections = Sections;
    Info->Sections = Section;
    if (Directories > IMAGE_DIRECTORY_ENTRY_EXPORT) {
        Info->ExportRva = Opt->DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT].VirtualAddress;
        Info->ExportSize = Opt->DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT].Size;
    }
    if (Directories > IMAGE_DIRECTORY_ENTRY_BASERELOC) {
        Info->RelocationRva = Opt->DataDirectory[IMAGE_DIRECTORY_ENTRY_BASERELOC].VirtualAddress;
        Info->RelocationSize = Opt->DataDirectory[IMAGE_DIRECTORY_ENTRY_BASERELOC].Size;
    }
    if ((Info->ExportSize && (Info->ExportRva > Info->SizeOfImage ||
                              Info->ExportSize > Info->SizeOfImage - Info->ExportRva)) ||
        (Info->RelocationSize && (Info->RelocationRva > Info->SizeOfImage ||
                                  Info->RelocationSize > Info->SizeOfImage - Info->RelocationRva)))
        return STATUS_INVALID_IMAGE_FORMAT;
    /* Sound, but for another processor: NT's warning, with everything filled in (a section can still be made). */
    return Info->Machine == IMAGE_FILE_MACHINE_I386 ? STATUS_SUCCESS : STATUS_IMAGE_MACHINE_TYPE_MISMATCH;
}

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
    /* Ordinals are 16 bits: more names or functions than that is a damaged table (and would overflow below). */
    if (Exports->NumberOfNames > 0x10000 || Exports->NumberOfFunctions > 0x10000)
        return 0;
    ULONG Names = MiRvaToFileOffset(Info, Exports->AddressOfNames, Exports->NumberOfNames * sizeof(ULONG));
    ULONG Ordinals = MiRvaToFileOffset(Info, Exports->AddressOfNameOrdinals, Exports->NumberOfNames * sizeof(USHORT));
    ULONG Functions = MiRvaToFileOffset(Info, Exports->AddressOfFunctions, Exports->NumberOfFunctions * sizeof(ULONG));
    if (Names == ~0u || Ordinals == ~0u || Functions == ~0u)
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
