/*
 * kernel/ps/process.c — a process from a PE image, NT's way, in one service.
 *
 * NT 5 built a process from user mode in several calls (NtCreateSection
 * over the file, NtCreateProcess, then NtCreateThread with a stack the
 * caller made); NT 6 does it in one, NtCreateUserProcess, and so does
 * mm386, simplified (include/ps.h says how). The steps, each NT's:
 *
 *   the image        the boot module \Boot\NAME opened (NtOpenFile,
 *                    kernel/io/iofile.c) and an image section made over
 *                    it (NtCreateSection with SEC_IMAGE, mm/imagesec.c:
 *                    its headers checked there, with NT's statuses); the
 *                    process holds the section (EPROCESS.SectionObject)
 *   the process      an object with an address space, a handle table, an
 *                    id; large-address-aware if the image says so (from
 *                    then on its VADs may reach above 2 GB under /3GB)
 *   its user range   KUSER_SHARED_DATA mapped at 0x7FFE0000; a view of the
 *                    image section, at the image's preferred base or, when
 *                    that is taken, elsewhere (STATUS_IMAGE_NOT_AT_BASE:
 *                    the loader in ntdll relocates it, as NT's does);
 *                    ntdll.dll's image section at its fixed base
 *                    (kernel/ps/sysdll.c); the PEB and the process
 *                    parameters with the image path and command line
 *                    (mm/pebteb.c); the first thread's stack, reserved
 *                    with SizeOfStackReserve and committed with
 *                    SizeOfStackCommit plus a guard page below, as NT's
 *                    RtlCreateUserStack does
 *   the thread       a user thread whose start context is the image's
 *                    entry point, called as NtProcessStartup(PPEB): a zero
 *                    return address and the PEB on its stack; its TEB made
 *                    as it is created. Before that context runs, the
 *                    thread runs ntdll's loader (LdrInitializeThunk, as a
 *                    user APC), which snaps the image's imports
 *
 * All of it happens attached to the new process, through the memory
 * manager's own services called as from kernel mode (Zw), so the new
 * process's VADs, commit and page tables account for every page. When a
 * step fails, dropping the process object undoes everything before it.
 */
#include <ex.h>
#include <io.h>
#include <ntimage.h>
#include <pool.h>
#include <ps.h>
#include <rtl.h>
#include "kernel/ps/psp.h"

#define PSP_STRING_TAG          MAKE_TAG('P', 's', 'S', 't')
#define PSP_MAXIMUM_STRING      0x8000      /* bytes of an image path or command line (NT's UNICODE_STRING limit) */
#define PSP_DEFAULT_STACK       0x100000    /* NT's default reservation when the image asks for none */

/* The process's name: NAME of \Boot\NAME, its first 15 characters, as NT's ImageFileName keeps them. */
static void PspImageFileName(PCUNICODE_STRING Path, char *Name, ULONG Size)
{
    ULONG Characters = Path->Length / sizeof(WCHAR), Start = 0, n = 0;
    for (ULONG i = 0; i < Characters; i++) {
        if (Path->Buffer[i] == '\\')
            Start = i + 1;
    }
    for (ULONG i = Start; i < Characters && n + 1 < Size; i++)
        Name[n++] = Path->Buffer[i] < 0x80 ? (char)Path->Buffer[i] : '?';
    Name[n] = 0;
}

/* The first thread's stack in the current (new) process: reserved, its top committed, a guard page below. */
static NTSTATUS PspCreateUserStack(const MM_IMAGE_INFORMATION *Info, PINITIAL_TEB Stack)
{
    /* The header's sizes rounded in 64 bits: values near 4 GB must not wrap to small ones. */
    ULONGLONG WantReserve = ROUND_UP((ULONGLONG)(Info->StackReserve ? Info->StackReserve : PSP_DEFAULT_STACK), 0x10000);
    ULONGLONG WantCommit = ROUND_UP((ULONGLONG)MAX(Info->StackCommit, (ULONG)PAGE_SIZE), PAGE_SIZE);
    PVOID Base = NULL;

    if (WantReserve > (ULONG)MmHighestUserAddress)
        return STATUS_NO_MEMORY;                /* no user range holds such a reservation */
    SIZE_T Reserve = (SIZE_T)WantReserve;
    SIZE_T Commit = WantCommit + PAGE_SIZE > Reserve ? Reserve - PAGE_SIZE : (SIZE_T)WantCommit;
    NTSTATUS Status = ZwAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Reserve, MEM_RESERVE, PAGE_READWRITE);
    if (!NT_SUCCESS(Status))
        return Status;
    ULONG StackBase = (ULONG)Base + Reserve, Guard = StackBase - Commit - PAGE_SIZE;
    PVOID CommitBase = (PVOID)Guard;
    SIZE_T CommitSize = Commit + PAGE_SIZE;
    Status = ZwAllocateVirtualMemory(NtCurrentProcess(), &CommitBase, 0, &CommitSize, MEM_COMMIT, PAGE_READWRITE);
    if (NT_SUCCESS(Status)) {
        PVOID GuardBase = (PVOID)Guard;
        SIZE_T GuardSize = PAGE_SIZE;
        ULONG Old;
        Status = ZwProtectVirtualMemory(NtCurrentProcess(), &GuardBase, &GuardSize, PAGE_READWRITE | PAGE_GUARD,
                                        &Old);
    }
    if (!NT_SUCCESS(Status)) {
        SIZE_T Zero = 0;
        ZwFreeVirtualMemory(NtCurrentProcess(), &Base, &Zero, MEM_RELEASE);
        return Status;
    }
    memset(Stack, 0, sizeof(*Stack));
    Stack->StackBase = (PVOID)StackBase;
    Stack->StackLimit = (PVOID)(StackBase - Commit);
    Stack->AllocatedStackBase = Base;
    return STATUS_SUCCESS;
}

/* NtProcessStartup(PPEB)'s frame at the top of the new stack: a zero return address, then the argument. */
static NTSTATUS PspPushStartArguments(ULONG StackBase, PPEB Peb)
{
    NTSTATUS Status;
    EX_TRY {
        ((ULONG *)StackBase)[-2] = 0;
        ((ULONG *)StackBase)[-1] = (ULONG)Peb;
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

/*
 * The image section of the program ImagePath names, as NT's CreateProcess
 * makes it: the file opened to execute, a SEC_IMAGE section over it, the
 * file's handle closed again (the section's control area holds the file).
 * *Section holds the caller's reference. The open's statuses, the
 * section's; a DLL or an image for another processor is
 * STATUS_INVALID_IMAGE_FORMAT (NT: ERROR_BAD_EXE_FORMAT).
 */
static NTSTATUS PspCreateImageSection(PCUNICODE_STRING ImagePath, PVOID *Section)
{
    OBJECT_ATTRIBUTES Attributes;
    IO_STATUS_BLOCK Io;
    HANDLE File;
    LARGE_INTEGER Zero = { .QuadPart = 0 };

    InitializeObjectAttributes(&Attributes, (PUNICODE_STRING)ImagePath, OBJ_KERNEL_HANDLE, NULL, NULL);
    NTSTATUS Status = ZwOpenFile(&File, SYNCHRONIZE | FILE_EXECUTE, &Attributes, &Io, FILE_SHARE_READ, 0);
    if (!NT_SUCCESS(Status))
        return Status;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    /* From kernel mode: the handles are kernel handles, whoever asked for the process. */
    Status = EX_CALL_AS_KERNEL_MODE(MmCreateSection(Section, SECTION_ALL_ACCESS, &Attributes, &Zero, PAGE_EXECUTE,
                                                    SEC_IMAGE, File, NULL));
    ObCloseHandle(File, KernelMode);
    if (!NT_SUCCESS(Status))
        return Status;
    const MM_IMAGE_INFORMATION *Info = MmGetImageInformation(*Section);
    if (Status != STATUS_SUCCESS || (Info->Characteristics & IMAGE_FILE_DLL)) {
        ObDereferenceObject(*Section);
        return STATUS_INVALID_IMAGE_FORMAT;     /* another processor's image, or a DLL: no program */
    }
    return STATUS_SUCCESS;
}

/* Everything in the new process's user range; attached to it. */
static NTSTATUS PspBuildUserRange(PEPROCESS Process, const MM_IMAGE_INFORMATION *Info, PCUNICODE_STRING ImagePath,
                                  PCUNICODE_STRING CommandLine, PINITIAL_TEB Stack)
{
    PVOID ImageBase = NULL;
    SIZE_T ViewSize = 0;
    NTSTATUS Status = MmMapSharedUserData(Process);
    if (NT_SUCCESS(Status))
        Status = MmMapViewOfSection(Process->SectionObject, Process, &ImageBase, 0, 0, NULL, &ViewSize, ViewShare, 0,
                                    PAGE_EXECUTE_WRITECOPY);
    if (!NT_SUCCESS(Status))
        return Status;                          /* STATUS_IMAGE_NOT_AT_BASE is a success: ntdll relocates it */
    Process->SectionBaseAddress = ImageBase;
    Status = PspMapSystemDll();
    if (NT_SUCCESS(Status))
        Status = MmCreatePeb(Info, ImageBase, ImagePath, CommandLine, &Process->Peb);
    if (NT_SUCCESS(Status))
        Status = PspCreateUserStack(Info, Stack);
    if (NT_SUCCESS(Status))
        Status = PspPushStartArguments((ULONG)Stack->StackBase, Process->Peb);
    return Status;
}

NTSTATUS PsCreateUserProcess(PCUNICODE_STRING ImagePath, PCUNICODE_STRING CommandLine,
                             POBJECT_ATTRIBUTES ProcessObjectAttributes, POBJECT_ATTRIBUTES ThreadObjectAttributes,
                             ACCESS_MASK ProcessDesiredAccess, ACCESS_MASK ThreadDesiredAccess,
                             PHANDLE ProcessHandle, PHANDLE ThreadHandle)
{
    char Name[sizeof(((EPROCESS *)0)->ImageFileName)];
    PEPROCESS Process;
    PETHREAD Thread;
    PVOID Section;
    INITIAL_TEB Stack;
    KAPC_STATE ApcState;
    HANDLE NewThread, NewProcess;

    NTSTATUS Status = PspCreateImageSection(ImagePath, &Section);
    if (!NT_SUCCESS(Status))
        return Status;
    const MM_IMAGE_INFORMATION *Info = MmGetImageInformation(Section);
    PspImageFileName(ImagePath, Name, sizeof(Name));
    Status = PspCreateProcessObject(ProcessObjectAttributes, Name,
                                    (Info->Characteristics & IMAGE_FILE_LARGE_ADDRESS_AWARE) != 0, &Process);
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(Section);
        return Status;
    }
    Process->SectionObject = Section;           /* the process's reference from now on */
    KeStackAttachProcess(&Process->Pcb, &ApcState);
    Status = PspBuildUserRange(Process, Info, ImagePath, CommandLine, &Stack);
    KeUnstackDetachProcess(&ApcState);
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(Process);
        return Status;
    }

    CONTEXT Context;
    memset(&Context, 0, sizeof(Context));
    Context.ContextFlags = CONTEXT_FULL;
    Context.Eip = (ULONG)Process->SectionBaseAddress + Info->EntryPoint;
    Context.Esp = (ULONG)Stack.StackBase - 2 * sizeof(ULONG);
    Context.EFlags = EFLAGS_IF;
    Context.SegCs = KGDT_R3_CODE | 3;
    Context.SegSs = Context.SegDs = Context.SegEs = KGDT_R3_DATA | 3;
    Context.SegFs = KGDT_R3_TEB | 3;
    PspInsertProcess(Process);
    Status = PspCreateUserThread(Process, ThreadObjectAttributes, ThreadDesiredAccess, &Context, &Stack, &NewThread,
                                 &Thread);
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(Process);
        return Status;
    }
    /* The creator's reference becomes the process handle's (dropped by ObInsertObject if it fails). */
    Status = ObInsertObject(Process, NULL, ProcessDesiredAccess, 0, NULL, &NewProcess);
    if (!NT_SUCCESS(Status)) {
        ObCloseHandle(NewThread, ExGetPreviousMode());
        ObDereferenceObject(Thread);
        return Status;
    }
    PspStartThread(Thread);
    ObDereferenceObject(Thread);
    *ProcessHandle = NewProcess;
    *ThreadHandle = NewThread;
    return STATUS_SUCCESS;
}

/* Text widened into Buffer (Capacity WCHARs, the terminator included) as String. */
static void PspWiden(PUNICODE_STRING String, PWSTR Buffer, ULONG Capacity, const char *Text)
{
    ULONG n = 0;
    while (Text[n] && n + 1 < Capacity) {
        Buffer[n] = (UCHAR)Text[n];
        n++;
    }
    Buffer[n] = 0;
    String->Buffer = Buffer;
    String->Length = (USHORT)(n * sizeof(WCHAR));
    String->MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
}

NTSTATUS PsStartBootProgram(const char *CommandLine, PHANDLE ProcessHandle, PHANDLE ThreadHandle)
{
    WCHAR PathBuffer[PS_BOOT_COMMAND_LINE], LineBuffer[PS_BOOT_COMMAND_LINE];
    char Path[PS_BOOT_COMMAND_LINE];
    UNICODE_STRING ImagePath, Line;
    OBJECT_ATTRIBUTES Attributes;

    ULONG NameLength = 0;
    while (CommandLine[NameLength] && CommandLine[NameLength] != ' ')
        NameLength++;
    if (NameLength == 0)
        return STATUS_OBJECT_NAME_INVALID;
    if (strlen(CommandLine) >= PS_BOOT_COMMAND_LINE ||
        snprintf(Path, sizeof(Path), "\\Boot\\%.*s", (int)NameLength, CommandLine) >= (int)sizeof(Path))
        return STATUS_NAME_TOO_LONG;
    PspWiden(&ImagePath, PathBuffer, ARRAY_SIZE(PathBuffer), Path);
    PspWiden(&Line, LineBuffer, ARRAY_SIZE(LineBuffer), CommandLine);
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    return PsCreateUserProcess(&ImagePath, &Line, &Attributes, &Attributes, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
                               ProcessHandle, ThreadHandle);
}

/*
 * A caller's UNICODE_STRING (its buffer at an offset from Parameters when
 * they are not normalized) copied into pool: Copy->Buffer is freed with
 * PSP_STRING_TAG. The fault's status, STATUS_INVALID_PARAMETER for an odd
 * or too long length, STATUS_INSUFFICIENT_RESOURCES.
 */
static NTSTATUS PspCaptureString(const UNICODE_STRING *String, ULONG_PTR Offset, KPROCESSOR_MODE Mode,
                                 PUNICODE_STRING Copy)
{
    UNICODE_STRING Source;
    NTSTATUS Status;

    Copy->Buffer = NULL;
    EX_TRY {
        Source = *String;
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    if (Source.Length % sizeof(WCHAR) || Source.Length > PSP_MAXIMUM_STRING)
        return STATUS_INVALID_PARAMETER;
    PWSTR Buffer = ExAllocatePoolWithTag(PagedPool, Source.Length + sizeof(WCHAR), PSP_STRING_TAG);
    if (!Buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    const WCHAR *From = (const WCHAR *)((ULONG_PTR)Source.Buffer + Offset);
    EX_TRY {
        if (Mode == UserMode)
            ProbeForRead(From, Source.Length, sizeof(WCHAR));
        memcpy(Buffer, From, Source.Length);
    } EX_EXCEPT(Status) {
        ExFreePoolWithTag(Buffer, PSP_STRING_TAG);
        return Status;
    } EX_END;
    Buffer[Source.Length / sizeof(WCHAR)] = 0;
    Copy->Buffer = Buffer;
    Copy->Length = Source.Length;
    Copy->MaximumLength = Source.Length + sizeof(WCHAR);
    return STATUS_SUCCESS;
}

/* The parameters' Flags, probed: a ring-3 caller's structure must be readable whole. */
static NTSTATUS PspReadParameterFlags(const RTL_USER_PROCESS_PARAMETERS *Parameters, KPROCESSOR_MODE Mode,
                                      ULONG *Flags)
{
    NTSTATUS Status;
    EX_TRY {
        if (Mode == UserMode)
            ProbeForRead(Parameters, sizeof(RTL_USER_PROCESS_PARAMETERS), sizeof(ULONG));
        *Flags = Parameters->Flags;
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

NTSTATUS NtCreateUserProcess(PHANDLE ProcessHandle, PHANDLE ThreadHandle, ACCESS_MASK ProcessDesiredAccess,
                             ACCESS_MASK ThreadDesiredAccess, POBJECT_ATTRIBUTES ProcessObjectAttributes,
                             POBJECT_ATTRIBUTES ThreadObjectAttributes, ULONG ProcessFlags, ULONG ThreadFlags,
                             PRTL_USER_PROCESS_PARAMETERS ProcessParameters, PPS_CREATE_INFO CreateInfo,
                             PPS_ATTRIBUTE_LIST AttributeList)
{
    KPROCESSOR_MODE Mode = ExGetPreviousMode();
    HANDLE Null = NULL, NewProcess, NewThread;
    UNICODE_STRING ImagePath, CommandLine;
    ULONG Flags;

    NTSTATUS Status = PspCopyToUser(ProcessHandle, &Null, sizeof(HANDLE), Mode);
    if (NT_SUCCESS(Status))
        Status = PspCopyToUser(ThreadHandle, &Null, sizeof(HANDLE), Mode);
    if (!NT_SUCCESS(Status))
        return Status;
    if (ProcessFlags || ThreadFlags || CreateInfo || AttributeList || !ProcessParameters)
        return STATUS_INVALID_PARAMETER;
    Status = PspReadParameterFlags(ProcessParameters, Mode, &Flags);
    if (!NT_SUCCESS(Status))
        return Status;
    ULONG_PTR Offset = Flags & RTL_USER_PROC_PARAMS_NORMALIZED ? 0 : (ULONG_PTR)ProcessParameters;
    Status = PspCaptureString(&ProcessParameters->ImagePathName, Offset, Mode, &ImagePath);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = PspCaptureString(&ProcessParameters->CommandLine, Offset, Mode, &CommandLine);
    if (NT_SUCCESS(Status)) {
        Status = PsCreateUserProcess(&ImagePath, &CommandLine, ProcessObjectAttributes, ThreadObjectAttributes,
                                     ProcessDesiredAccess, ThreadDesiredAccess, &NewProcess, &NewThread);
        ExFreePoolWithTag(CommandLine.Buffer, PSP_STRING_TAG);
    }
    ExFreePoolWithTag(ImagePath.Buffer, PSP_STRING_TAG);
    if (!NT_SUCCESS(Status))
        return Status;
    /* The process runs whatever happens now; a caller whose pointers fail loses the handles, as in NT. */
    Status = PspCopyToUser(ProcessHandle, &NewProcess, sizeof(HANDLE), Mode);
    if (NT_SUCCESS(Status))
        Status = PspCopyToUser(ThreadHandle, &NewThread, sizeof(HANDLE), Mode);
    return Status;
}
