/*
 * kernel/io/bootfile.c — the boot modules as read-only files named \Boot\NAME.
 *
 * mm386 has no disk. What it can open is what the boot loader brought: each
 * GRUB `module` line on the ISO, or each file of QEMU's `-initrd a,b,c`,
 * copied into the loader block (boot/multiboot.c) and mapped read-only in
 * the boot-image block (mm/mminit.c). A module is named by the last path
 * component of its command line's first word (`/boot/hello.exe hello.exe`
 * and `build/user/hello.exe` are both hello.exe), and opened as
 * \Boot\hello.exe, case-insensitively as NT's object names are. This is the
 * one place the rest of the kernel finds a file: process creation reads
 * images through it (kernel/ps/process.c), and NtOpenFile (iofile.c) opens
 * one for a file-backed section. Each module has one SECTION_OBJECT_POINTERS
 * (NT keeps them in the file system's per-file control block), shared by
 * every open of it, so every section over one file finds the same control area.
 */
#include <io.h>
#include <loader.h>
#include <rtl.h>

#define IO_BOOT_DIRECTORY       "\\Boot\\"

/* The module's name: the last path component of the first word of its command line. */
static void IopModuleName(const LOADER_MODULE *Module, const char **Name, ULONG *Length)
{
    const char *Start = Module->Name, *End = Module->Name;
    while (*End && *End != ' ')
        End++;
    for (const char *p = Start; p < End; p++) {
        if (*p == '/' || *p == '\\')
            Start = p + 1;
    }
    *Name = Start;
    *Length = (ULONG)(End - Start);
}

static bool IopSameCharacter(WCHAR Wide, char Narrow)
{
    return Wide < 0x80 && RtlUpperChar((char)Wide) == RtlUpperChar(Narrow);
}

static SECTION_OBJECT_POINTERS IopBootSectionPointers[LOADER_MAX_MODULES];

/* The index of the module Path names, or the status of a path that names none. */
static NTSTATUS IopFindBootModule(PCUNICODE_STRING Path, ULONG *Index)
{
    const ULONG Prefix = sizeof(IO_BOOT_DIRECTORY) - 1;
    ULONG Characters = Path->Length / sizeof(WCHAR);

    if (Characters == 0 || Path->Buffer[0] != '\\')
        return STATUS_OBJECT_PATH_SYNTAX_BAD;
    if (Characters <= Prefix)
        return STATUS_OBJECT_PATH_NOT_FOUND;
    for (ULONG i = 0; i < Prefix; i++) {
        if (!IopSameCharacter(Path->Buffer[i], IO_BOOT_DIRECTORY[i]))
            return STATUS_OBJECT_PATH_NOT_FOUND;
    }
    const WCHAR *Wanted = Path->Buffer + Prefix;
    ULONG WantedLength = Characters - Prefix;
    for (ULONG i = 0; i < WantedLength; i++) {
        if (Wanted[i] == '\\' || Wanted[i] == 0)
            return STATUS_OBJECT_NAME_INVALID;
    }
    for (ULONG m = 0; m < KeLoaderBlock.ModuleCount; m++) {
        const LOADER_MODULE *Module = &KeLoaderBlock.Modules[m];
        const char *Name;
        ULONG Length, i;
        IopModuleName(Module, &Name, &Length);
        if (Length != WantedLength || Module->VirtualBase == NULL)
            continue;
        for (i = 0; i < Length && IopSameCharacter(Wanted[i], Name[i]); i++)
            ;
        if (i == Length) {
            *Index = m;
            return STATUS_SUCCESS;
        }
    }
    return STATUS_OBJECT_NAME_NOT_FOUND;
}

NTSTATUS IoFindBootFile(PCUNICODE_STRING Path, const void **Data, SIZE_T *Size)
{
    ULONG Index;
    NTSTATUS Status = IopFindBootModule(Path, &Index);
    if (!NT_SUCCESS(Status))
        return Status;
    const LOADER_MODULE *Module = &KeLoaderBlock.Modules[Index];
    *Data = Module->VirtualBase;
    *Size = Module->PhysicalEnd - Module->PhysicalStart;
    return STATUS_SUCCESS;
}

NTSTATUS IoLookupBootFile(PCUNICODE_STRING Path, const void **Data, SIZE_T *Size,
                          PSECTION_OBJECT_POINTERS *SectionObjectPointer, char *Name, ULONG NameSize)
{
    ULONG Index, Length;
    const char *Component;
    NTSTATUS Status = IopFindBootModule(Path, &Index);
    if (!NT_SUCCESS(Status))
        return Status;
    const LOADER_MODULE *Module = &KeLoaderBlock.Modules[Index];
    *Data = Module->VirtualBase;
    *Size = Module->PhysicalEnd - Module->PhysicalStart;
    *SectionObjectPointer = &IopBootSectionPointers[Index];
    IopModuleName(Module, &Component, &Length);
    snprintf(Name, NameSize, "%.*s", (int)Length, Component);
    return STATUS_SUCCESS;
}

ULONG IoEnumerateBootFiles(ULONG Index, char *Name, ULONG NameSize, SIZE_T *Size)
{
    for (; Index < KeLoaderBlock.ModuleCount; Index++) {
        const LOADER_MODULE *Module = &KeLoaderBlock.Modules[Index];
        const char *Component;
        ULONG Length;
        if (Module->VirtualBase == NULL)
            continue;
        IopModuleName(Module, &Component, &Length);
        snprintf(Name, NameSize, "%.*s", (int)Length, Component);
        *Size = Module->PhysicalEnd - Module->PhysicalStart;
        return Index + 1;
    }
    return 0;
}
