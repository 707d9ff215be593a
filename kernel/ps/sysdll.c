/*
 * kernel/ps/sysdll.c — the system DLL: ntdll.dll in every process.
 *
 * NT maps one DLL into every process, at the same address in all of them:
 * ntdll.dll, the user half of the kernel. The kernel knows three of its
 * routines by name and finds them once, at boot (NT's PspInitializeSystemDll
 * and PspLookupSystemDllEntryPoint): KiUserExceptionDispatcher, where a
 * thread resumes in ring 3 to handle an exception (KeUserExceptionDispatcher);
 * KiUserApcDispatcher, where it runs a user APC (KeUserApcDispatcher); and
 * LdrInitializeThunk, the loader, which every new user thread runs first as
 * a user APC queued before its first entry to ring 3 (PspUserThreadStartup,
 * kernel/ps/create.c) and which, in a process's first thread, snaps the
 * image's imports (user/ntdll/ldr.c).
 *
 * mm386's ntdll.dll is the boot module \Boot\ntdll.dll, a PE DLL linked at
 * NT's fixed base (0x7C900000). As NT's PspInitializeSystemDll does, boot
 * makes one image section over it (mm/imagesec.c) and keeps it, referenced,
 * for the system's life; each process gets a view of it right after its
 * image (PspMapSystemDll), at that base or not at all: the addresses above
 * are the same in every process, and every process shares the DLL's code
 * and read-only pages (its data is copy-on-write, each process's own once
 * written). A boot without it (or with a DLL lacking one
 * of the three exports) says so once, and every process creation then
 * fails with STATUS_DLL_NOT_FOUND (or STATUS_ENTRYPOINT_NOT_FOUND); NT
 * would not boot at all, but mm386's system space works without programs.
 */
#include <io.h>
#include <ntimage.h>
#include <ob.h>
#include <ps.h>
#include <rtl.h>
#include "kernel/ps/psp.h"

static struct {
    NTSTATUS Status;                    /* whether processes can have it; STATUS_DLL_NOT_FOUND before boot looks */
    const void *File;
    MM_IMAGE_INFORMATION Info;
    PVOID Section;                      /* its image section, referenced for good */
    PVOID Base;                         /* where it goes in every process */
    PKNORMAL_ROUTINE LoaderInitRoutine; /* LdrInitializeThunk */
} PspSystemDll = { .Status = STATUS_DLL_NOT_FOUND };

/* The address of export Name in the mapped DLL, or 0. */
static ULONG PspLookupSystemDllEntryPoint(const char *Name)
{
    ULONG Rva = MmFindImageExport(PspSystemDll.File, &PspSystemDll.Info, Name);
    return Rva ? (ULONG)PspSystemDll.Base + Rva : 0;
}

/* The DLL's image section, kept in PspSystemDll.Section; a warning (another processor's image) keeps none. */
static NTSTATUS PspCreateSystemDllSection(PUNICODE_STRING Path)
{
    OBJECT_ATTRIBUTES Attributes;
    IO_STATUS_BLOCK Io;
    HANDLE File;
    LARGE_INTEGER Zero = { .QuadPart = 0 };

    InitializeObjectAttributes(&Attributes, Path, OBJ_KERNEL_HANDLE, NULL, NULL);
    NTSTATUS Status = ZwOpenFile(&File, SYNCHRONIZE | FILE_EXECUTE, &Attributes, &Io, FILE_SHARE_READ, 0);
    if (!NT_SUCCESS(Status))
        return Status;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = MmCreateSection(&PspSystemDll.Section, SECTION_ALL_ACCESS, &Attributes, &Zero, PAGE_EXECUTE, SEC_IMAGE,
                             File, NULL);
    ObCloseHandle(File, KernelMode);
    if (NT_SUCCESS(Status) && Status != STATUS_SUCCESS) {
        ObDereferenceObject(PspSystemDll.Section);
        PspSystemDll.Section = NULL;
        return STATUS_INVALID_IMAGE_FORMAT;
    }
    return Status;
}

void PspInitializeSystemDll(void)
{
    static const char Path[] = "\\Boot\\ntdll.dll";
    WCHAR Wide[sizeof(Path)];
    UNICODE_STRING Name = { sizeof(Wide) - sizeof(WCHAR), sizeof(Wide), Wide };
    SIZE_T Size;

    for (ULONG i = 0; i < sizeof(Path); i++)
        Wide[i] = (UCHAR)Path[i];

    NTSTATUS Status = IoFindBootFile(&Name, &PspSystemDll.File, &Size);
    if (NT_SUCCESS(Status))
        Status = PspCreateSystemDllSection(&Name);
    if (Status == STATUS_SUCCESS)
        PspSystemDll.Info = *MmGetImageInformation(PspSystemDll.Section);
    if (Status == STATUS_SUCCESS && !(PspSystemDll.Info.Characteristics & IMAGE_FILE_DLL))
        Status = STATUS_INVALID_IMAGE_FORMAT;
    if (Status != STATUS_SUCCESS) {
        PspSystemDll.Status = Status == STATUS_OBJECT_NAME_NOT_FOUND ? STATUS_DLL_NOT_FOUND : Status;
        DbgPrint("ps: no usable \\Boot\\ntdll.dll (0x%08x): user processes cannot be created\n", (ULONG)Status);
        return;
    }
    PspSystemDll.Base = (PVOID)PspSystemDll.Info.ImageBase;
    ULONG Exception = PspLookupSystemDllEntryPoint("KiUserExceptionDispatcher");
    ULONG Apc = PspLookupSystemDllEntryPoint("KiUserApcDispatcher");
    ULONG Loader = PspLookupSystemDllEntryPoint("LdrInitializeThunk");
    if (!Exception || !Apc || !Loader) {
        PspSystemDll.Status = STATUS_ENTRYPOINT_NOT_FOUND;
        DbgPrint("ps: \\Boot\\ntdll.dll lacks KiUserExceptionDispatcher, KiUserApcDispatcher or LdrInitializeThunk: "
                 "user processes cannot be created\n");
        return;
    }
    KeUserExceptionDispatcher = (PVOID)Exception;
    KeUserApcDispatcher = (PVOID)Apc;
    PspSystemDll.LoaderInitRoutine = (PKNORMAL_ROUTINE)Loader;
    PspSystemDll.Status = STATUS_SUCCESS;
}

NTSTATUS PspMapSystemDll(void)
{
    PVOID Base = PspSystemDll.Base;
    SIZE_T ViewSize = 0;
    if (!NT_SUCCESS(PspSystemDll.Status))
        return PspSystemDll.Status;
    /* At its base or nowhere (STATUS_CONFLICTING_ADDRESSES: the process's image took its place; the process goes). */
    return MmMapViewOfSection(PspSystemDll.Section, PsGetCurrentProcess(), &Base, 0, 0, NULL, &ViewSize, ViewShare, 0,
                              PAGE_EXECUTE_WRITECOPY);
}

PVOID PsGetSystemDllBase(void)
{
    return NT_SUCCESS(PspSystemDll.Status) ? PspSystemDll.Base : NULL;
}

/* The loader APC's kernel routine: nothing to free (the APC is part of the ETHREAD). */
static void PspLoaderApcKernelRoutine(PKAPC Apc, PKNORMAL_ROUTINE *NormalRoutine, PVOID *NormalContext,
                                      PVOID *SystemArgument1, PVOID *SystemArgument2)
{
}

void PspQueueLoaderApc(PETHREAD Thread)
{
    KeInitializeApc(&Thread->LoaderApc, &Thread->Tcb, OriginalApcEnvironment, PspLoaderApcKernelRoutine, NULL,
                    PspSystemDll.LoaderInitRoutine, UserMode, NULL);
    KeInsertQueueApc(&Thread->LoaderApc, PspSystemDll.Base, NULL, IO_NO_INCREMENT);
    KeForceUserApc(&Thread->Tcb);
}
