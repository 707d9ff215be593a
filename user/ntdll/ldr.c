/*
 * user/ntdll/ldr.c — the image loader's first act in every thread:
 * LdrInitializeThunk.
 *
 * NT maps ntdll.dll into every process at the same address and, before a
 * new thread runs its first instruction, queues it a user APC whose normal
 * routine is ntdll's LdrInitializeThunk (NT's PspUserThreadStartup). The
 * APC runs first, through KiUserApcDispatcher; when it returns, the
 * dispatcher's NtContinue resumes the thread's real start context. In the
 * process's first thread the loader initialises the process: it snaps the
 * image's imports — for each IMAGE_IMPORT_DESCRIPTOR, each entry of its
 * lookup table found by name (the hint first, then a binary search of the
 * DLL's sorted name table) or by ordinal among the DLL's exports, its
 * address written into the import address table, which is made writable
 * for the writing and given its protection back after. Later threads find
 * the process initialised and go on.
 *
 * Before that, an image the kernel could not map at its preferred base
 * (NtMapViewOfSection said STATUS_IMAGE_NOT_AT_BASE, and the PEB's
 * ImageBaseAddress is not the headers' ImageBase) is relocated, as NT 5's
 * LdrpInitializeProcess relocates it: each block of the base relocation
 * directory names a page, the page is made writable (in an image view that
 * is write-copy: the first write gives this process its own copy, the
 * other processes keep the file's page), every IMAGE_REL_BASED_HIGHLOW
 * entry in it gets the difference between where the image is and where it
 * was linked for, and the page gets its protection back. Relocation is
 * done here and not by the kernel at map time because that is where NT 5.2
 * does it: the kernel maps the view and reports where, the loader fixes
 * the image up; only the pages that hold addresses become private.
 *
 * mm386 has one DLL, ntdll.dll itself (the kernel maps it; nothing maps
 * another yet). An image that imports from any other DLL cannot start
 * (STATUS_DLL_NOT_FOUND), one that imports a routine ntdll does not export
 * neither (STATUS_ENTRYPOINT_NOT_FOUND, or STATUS_ORDINAL_NOT_FOUND): the
 * loader says which, on the console, as NT's loader does in its message
 * box, and the process ends with that status before the program's first
 * instruction.
 */
#include <ntdll.h>
#include <ntimage.h>

static LONG LdrpProcessInitialized;     /* 0; 1 while the first thread initializes the process; 2 after */

static const IMAGE_NT_HEADERS32 *LdrpNtHeaders(PVOID Base)
{
    const IMAGE_DOS_HEADER *Dos = Base;
    return (const IMAGE_NT_HEADERS32 *)((ULONG)Base + Dos->e_lfanew);
}

static PVOID LdrpDirectory(PVOID Base, ULONG Entry, ULONG *Size)
{
    const IMAGE_OPTIONAL_HEADER32 *Optional = &LdrpNtHeaders(Base)->OptionalHeader;
    if (Entry >= Optional->NumberOfRvaAndSizes || Optional->DataDirectory[Entry].VirtualAddress == 0)
        return NULL;
    *Size = Optional->DataDirectory[Entry].Size;
    return (PVOID)((ULONG)Base + Optional->DataDirectory[Entry].VirtualAddress);
}

/* The address of the export Name of the DLL at Base (Hint: where in its name table to try first), or NULL. */
static PVOID LdrpFindExportByName(PVOID Base, const IMAGE_EXPORT_DIRECTORY *Exports, USHORT Hint, const char *Name)
{
    const ULONG *Names = (const ULONG *)((ULONG)Base + Exports->AddressOfNames);
    const USHORT *Ordinals = (const USHORT *)((ULONG)Base + Exports->AddressOfNameOrdinals);
    const ULONG *Functions = (const ULONG *)((ULONG)Base + Exports->AddressOfFunctions);
    ULONG Low = 0, High = Exports->NumberOfNames;

    if (Hint < Exports->NumberOfNames && strcmp((const char *)Base + Names[Hint], Name) == 0)
        return (PVOID)((ULONG)Base + Functions[Ordinals[Hint]]);
    while (Low < High) {
        ULONG Middle = (Low + High) / 2;
        int Order = strcmp(Name, (const char *)Base + Names[Middle]);
        if (Order == 0)
            return (PVOID)((ULONG)Base + Functions[Ordinals[Middle]]);
        if (Order < 0)
            High = Middle;
        else
            Low = Middle + 1;
    }
    return NULL;
}

#define LDRP_MESSAGE 256

/* Ends the process before its first instruction because its image cannot be relocated. */
static NORETURN void LdrpFailRelocation(NTSTATUS Status)
{
    char Text[LDRP_MESSAGE];
    WCHAR Wide[LDRP_MESSAGE];
    UNICODE_STRING Message;
    snprintf(Text, sizeof(Text), "the program cannot start: its image cannot be relocated (0x%08x)\n",
             (ULONG)Status);
    RtlInitUnicodeStringFromAscii(&Message, Wide, LDRP_MESSAGE, Text);
    NtDisplayString(&Message);
    NtTerminateProcess(NtCurrentProcess(), Status);
    for (;;)
        ;
}

/* Makes the page at Page writable (write-copy in an image view); its protection before in *OldProtect. */
static NTSTATUS LdrpUnprotectPage(PVOID Page, ULONG *OldProtect)
{
    SIZE_T Size = PAGE_SIZE;
    return NtProtectVirtualMemory(NtCurrentProcess(), &Page, &Size, PAGE_READWRITE, OldProtect);
}

static void LdrpReprotectPage(PVOID Page, ULONG Protect)
{
    SIZE_T Size = PAGE_SIZE;
    ULONG Ignored;
    NtProtectVirtualMemory(NtCurrentProcess(), &Page, &Size, Protect, &Ignored);
}

/*
 * Applies one relocation block to the image at Base, Delta bytes from its
 * link base: the block's page — and the next, if an entry's last bytes
 * reach it — made writable for the writing, each given its own protection
 * back after.
 */
static NTSTATUS LdrpRelocateBlock(PUCHAR Base, ULONG SizeOfImage, const IMAGE_BASE_RELOCATION *Block, ULONG Delta)
{
    const USHORT *Entry = (const USHORT *)(Block + 1);
    ULONG Count = (Block->SizeOfBlock - sizeof(IMAGE_BASE_RELOCATION)) / sizeof(USHORT);
    PUCHAR Page = Base + Block->VirtualAddress;
    ULONG Protect, NextProtect = 0;
    bool Crosses = false;

    for (ULONG i = 0; i < Count; i++) {
        ULONG Type = Entry[i] >> 12, Rva = Block->VirtualAddress + (Entry[i] & 0xFFF);
        if (Type != IMAGE_REL_BASED_ABSOLUTE && (Type != IMAGE_REL_BASED_HIGHLOW || Rva > SizeOfImage - sizeof(ULONG)))
            return STATUS_INVALID_IMAGE_FORMAT;
        Crosses |= Type == IMAGE_REL_BASED_HIGHLOW && (Entry[i] & 0xFFF) > PAGE_SIZE - sizeof(ULONG);
    }
    NTSTATUS Status = LdrpUnprotectPage(Page, &Protect);
    if (NT_SUCCESS(Status) && Crosses) {
        Status = LdrpUnprotectPage(Page + PAGE_SIZE, &NextProtect);
        if (!NT_SUCCESS(Status))
            LdrpReprotectPage(Page, Protect);
    }
    if (!NT_SUCCESS(Status))
        return Status;
    for (ULONG i = 0; i < Count; i++) {
        if (Entry[i] >> 12 == IMAGE_REL_BASED_HIGHLOW)
            *(ULONG *)(Page + (Entry[i] & 0xFFF)) += Delta;
    }
    LdrpReprotectPage(Page, Protect);
    if (Crosses)
        LdrpReprotectPage(Page + PAGE_SIZE, NextProtect);
    return STATUS_SUCCESS;
}

/* The image at Base is not where it was linked for: every base relocation applied (NT's LdrRelocateImage). */
static void LdrpRelocateImage(PVOID Base)
{
    const IMAGE_NT_HEADERS32 *Nt = LdrpNtHeaders(Base);
    ULONG Delta = (ULONG)Base - Nt->OptionalHeader.ImageBase, Size = 0, Offset = 0;
    const UCHAR *Directory = LdrpDirectory(Base, IMAGE_DIRECTORY_ENTRY_BASERELOC, &Size);

    if (!Directory || (Nt->FileHeader.Characteristics & IMAGE_FILE_RELOCS_STRIPPED))
        LdrpFailRelocation(STATUS_CONFLICTING_ADDRESSES);
    while (Offset + sizeof(IMAGE_BASE_RELOCATION) <= Size) {
        const IMAGE_BASE_RELOCATION *Block = (const IMAGE_BASE_RELOCATION *)(Directory + Offset);
        /* A block covers one page: its VirtualAddress is a page's (the entries hold the offset in it). */
        if (Block->SizeOfBlock < sizeof(IMAGE_BASE_RELOCATION) || Block->SizeOfBlock > Size - Offset ||
            Block->VirtualAddress >= Nt->OptionalHeader.SizeOfImage || (Block->VirtualAddress & (PAGE_SIZE - 1)))
            LdrpFailRelocation(STATUS_INVALID_IMAGE_FORMAT);
        NTSTATUS Status = LdrpRelocateBlock(Base, Nt->OptionalHeader.SizeOfImage, Block, Delta);
        if (!NT_SUCCESS(Status))
            LdrpFailRelocation(Status);
        Offset += Block->SizeOfBlock;
    }
}

/* Ends the process before its first instruction, saying why on the console, as NT's loader does. */
static NORETURN void LdrpFailProcessStart(NTSTATUS Status, const char *Dll, const char *What)
{
    char Image[64], Text[LDRP_MESSAGE];
    WCHAR Wide[LDRP_MESSAGE];
    UNICODE_STRING Message;
    const UNICODE_STRING *Path = &NtCurrentPeb()->ProcessParameters->ImagePathName;
    ULONG n = 0;
    for (ULONG i = 0; i < Path->Length / sizeof(WCHAR) && n + 1 < sizeof(Image); i++)
        Image[n++] = (char)Path->Buffer[i];
    Image[n] = 0;
    if (Status == STATUS_DLL_NOT_FOUND)
        snprintf(Text, sizeof(Text), "%s: the program cannot start: the DLL %s was not found (0x%08x)\n", Image,
                 Dll, (ULONG)Status);
    else
        snprintf(Text, sizeof(Text), "%s: the procedure entry point %s could not be located in the dynamic link "
                 "library %s (0x%08x)\n", Image, What, Dll, (ULONG)Status);
    RtlInitUnicodeStringFromAscii(&Message, Wide, LDRP_MESSAGE, Text);
    NtDisplayString(&Message);
    NtTerminateProcess(NtCurrentProcess(), Status);
    for (;;)
        ;
}

/* Writes Count addresses into the import address table at Iat, lifting its protection for the writing. */
static NTSTATUS LdrpWriteImportAddressTable(PVOID *Iat, PVOID const *Addresses, ULONG Count)
{
    PVOID Base = Iat;
    SIZE_T Size = Count * sizeof(PVOID);
    ULONG OldProtect, Ignored;
    NTSTATUS Status = NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READWRITE, &OldProtect);
    if (!NT_SUCCESS(Status))
        return Status;
    for (ULONG i = 0; i < Count; i++)
        Iat[i] = Addresses[i];
    Base = Iat;
    Size = Count * sizeof(PVOID);
    return NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, OldProtect, &Ignored);
}

#define LDRP_SNAP_BATCH 64

/* Snaps one descriptor's imports from the DLL at DllBase. */
static void LdrpSnapDescriptor(PVOID Image, const IMAGE_IMPORT_DESCRIPTOR *Descriptor, PVOID DllBase,
                               const char *DllName)
{
    ULONG ExportSize;
    const IMAGE_EXPORT_DIRECTORY *Exports = LdrpDirectory(DllBase, IMAGE_DIRECTORY_ENTRY_EXPORT, &ExportSize);
    const ULONG *Lookup = (const ULONG *)((ULONG)Image + (Descriptor->OriginalFirstThunk
                                                              ? Descriptor->OriginalFirstThunk
                                                              : Descriptor->FirstThunk));
    PVOID *Iat = (PVOID *)((ULONG)Image + Descriptor->FirstThunk);
    PVOID Batch[LDRP_SNAP_BATCH];
    ULONG Done = 0, Count = 0;

    for (;; Count++) {
        ULONG Entry = Lookup[Count];
        PVOID Address = NULL;
        if (Count - Done == LDRP_SNAP_BATCH || Entry == 0) {
            NTSTATUS Status = Count > Done ? LdrpWriteImportAddressTable(Iat + Done, Batch, Count - Done)
                                           : STATUS_SUCCESS;
            if (!NT_SUCCESS(Status))
                LdrpFailProcessStart(Status, DllName, "(the import address table)");
            Done = Count;
            if (Entry == 0)
                return;
        }
        if (Entry & IMAGE_ORDINAL_FLAG32) {
            ULONG Index = (Entry & 0xFFFF) - (Exports ? Exports->Base : 0);
            if (Exports && Index < Exports->NumberOfFunctions)
                Address = (PVOID)((ULONG)DllBase + ((const ULONG *)((ULONG)DllBase + Exports->AddressOfFunctions))[Index]);
            if (!Address) {
                char Ordinal[16];
                snprintf(Ordinal, sizeof(Ordinal), "#%u", Entry & 0xFFFF);
                LdrpFailProcessStart(STATUS_ORDINAL_NOT_FOUND, DllName, Ordinal);
            }
        } else {
            const IMAGE_IMPORT_BY_NAME *ByName = (const IMAGE_IMPORT_BY_NAME *)((ULONG)Image + Entry);
            if (Exports)
                Address = LdrpFindExportByName(DllBase, Exports, ByName->Hint, ByName->Name);
            if (!Address)
                LdrpFailProcessStart(STATUS_ENTRYPOINT_NOT_FOUND, DllName, ByName->Name);
        }
        Batch[Count - Done] = Address;
    }
}

/* The process's first thread: every import of the image, from ntdll.dll (at NtdllBase). */
static void LdrpInitializeProcess(PVOID NtdllBase)
{
    PVOID Image = NtCurrentPeb()->ImageBaseAddress;
    ULONG Size;

    if ((ULONG)Image != LdrpNtHeaders(Image)->OptionalHeader.ImageBase)
        LdrpRelocateImage(Image);
    const IMAGE_IMPORT_DESCRIPTOR *Descriptor = LdrpDirectory(Image, IMAGE_DIRECTORY_ENTRY_IMPORT, &Size);

    for (; Descriptor && Descriptor->Name; Descriptor++) {
        const char *Name = (const char *)Image + Descriptor->Name;
        if (strlen(Name) != 9 || RtlCompareStringInsensitive(Name, "ntdll.dll", 9) != 0)
            LdrpFailProcessStart(STATUS_DLL_NOT_FOUND, Name, NULL);
        LdrpSnapDescriptor(Image, Descriptor, NtdllBase, Name);
    }
}

/*
 * The normal routine of the APC every new thread runs first (NormalContext
 * unused, SystemArgument1 ntdll's base, as NT passes them). Returns to
 * KiUserApcDispatcher, which resumes the thread's start context.
 */
void NTAPI LdrInitializeThunk(PVOID NormalContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    /*
     * The first thread initializes the process (0 -> 1, then 2 when done);
     * any other thread that starts meanwhile — one another process created
     * in it, say — waits for that instead of relocating and snapping twice.
     */
    LONG Expected = 0;
    if (__atomic_compare_exchange_n(&LdrpProcessInitialized, &Expected, 1, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        LdrpInitializeProcess(SystemArgument1);
        __atomic_store_n(&LdrpProcessInitialized, 2, __ATOMIC_RELEASE);
        return;
    }
    LARGE_INTEGER Wait = { .QuadPart = -10000 };        /* 1 ms */
    while (__atomic_load_n(&LdrpProcessInitialized, __ATOMIC_ACQUIRE) != 2)
        NtDelayExecution(FALSE, &Wait);
}
