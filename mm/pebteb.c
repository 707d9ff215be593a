/*
 * mm/pebteb.c — the PEB, the process parameters and each thread's TEB:
 * user-mode pages the kernel writes for a new process and thread.
 *
 * NT's MmCreatePeb and MmCreateTeb allocate these at the top of the user
 * range and fill them before the first instruction of ring 3 runs; the
 * program then reads them through fs:[0x18] (include/ntpeb.h). mm386 does
 * the same, attached to the process, through ZwAllocateVirtualMemory
 * top-down: the PEB, then the process parameters (RTL_USER_PROCESS_PARAMETERS
 * with the image path and the command line after it, normalized: its
 * UNICODE_STRINGs hold pointers), then one TEB per thread. NT places these
 * at page granularity just below 0x7FFE0000 (PEB 0x7FFDF000, TEBs below);
 * mm386's reservations are the services' 64 KB ones, so each lands 64 KB
 * apart — the same pages, more address space.
 *
 * Writing them from the kernel touches fresh demand-zero pages of the
 * process; it is done under a handler all the same, since a thread made
 * by NtCreateThread gets its TEB in a process whose other threads run.
 */
#include <ex.h>
#include <ps.h>
#include "mi.h"

/* A fresh read/write region of Size bytes, top-down in the current process. */
static NTSTATUS MiAllocateTop(SIZE_T Size, PVOID *Base)
{
    *Base = NULL;
    return ZwAllocateVirtualMemory(NtCurrentProcess(), Base, 0, &Size, MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN,
                                   PAGE_READWRITE);
}

static void MiFreeRegion(PVOID Base)
{
    SIZE_T Size = 0;
    ZwFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE);
}

/* A UNICODE_STRING of Source's text at *Next in the user buffer (NUL-terminated), *Next moved past it. */
static void MiPlaceString(PUNICODE_STRING Target, PCUNICODE_STRING Source, UCHAR **Next)
{
    Target->Length = Source->Length;
    Target->MaximumLength = Source->Length + sizeof(WCHAR);
    Target->Buffer = (PWSTR)*Next;
    memcpy(*Next, Source->Buffer, Source->Length);
    ((PWSTR)*Next)[Source->Length / sizeof(WCHAR)] = 0;
    *Next += ROUND_UP(Target->MaximumLength, sizeof(ULONG));
}

static NTSTATUS MiFillPeb(PPEB Peb, PRTL_USER_PROCESS_PARAMETERS Parameters, ULONG ParametersSize,
                          const MM_IMAGE_INFORMATION *Info, PVOID ImageBase, PCUNICODE_STRING ImagePath,
                          PCUNICODE_STRING CommandLine)
{
    NTSTATUS Status;
    EX_TRY {
        UCHAR *Next = (UCHAR *)(Parameters + 1);
        Parameters->MaximumLength = Parameters->Length = ParametersSize;
        Parameters->Flags = RTL_USER_PROC_PARAMS_NORMALIZED;
        MiPlaceString(&Parameters->ImagePathName, ImagePath, &Next);
        MiPlaceString(&Parameters->CommandLine, CommandLine, &Next);

        Peb->ImageBaseAddress = ImageBase;
        Peb->ProcessParameters = Parameters;
        Peb->NumberOfProcessors = 1;
        Peb->OSMajorVersion = 5;
        Peb->OSMinorVersion = 2;
        Peb->OSBuildNumber = 3790;
        Peb->OSPlatformId = 2;                          /* VER_PLATFORM_WIN32_NT */
        Peb->ImageSubsystem = Info->Subsystem;
        Peb->ImageSubsystemMajorVersion = Info->SubsystemMajorVersion;
        Peb->ImageSubsystemMinorVersion = Info->SubsystemMinorVersion;
        Peb->HeapSegmentReserve = Info->HeapReserve;
        Peb->HeapSegmentCommit = Info->HeapCommit;
        Peb->CriticalSectionTimeout.QuadPart = -2592000LL * 10000000;    /* NT's 30 days */
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

NTSTATUS MmCreatePeb(const MM_IMAGE_INFORMATION *Info, PVOID ImageBase, PCUNICODE_STRING ImagePath,
                     PCUNICODE_STRING CommandLine, PPEB *Peb)
{
    PVOID PebBase, ParametersBase;
    ULONG ParametersSize = sizeof(RTL_USER_PROCESS_PARAMETERS) + ROUND_UP(ImagePath->Length + sizeof(WCHAR), 4) +
                           ROUND_UP(CommandLine->Length + sizeof(WCHAR), 4);

    NTSTATUS Status = MiAllocateTop(PAGE_SIZE, &PebBase);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = MiAllocateTop(ParametersSize, &ParametersBase);
    if (!NT_SUCCESS(Status)) {
        MiFreeRegion(PebBase);
        return Status;
    }
    Status = MiFillPeb(PebBase, ParametersBase, ParametersSize, Info, ImageBase, ImagePath, CommandLine);
    if (!NT_SUCCESS(Status)) {
        MiFreeRegion(ParametersBase);
        MiFreeRegion(PebBase);
        return Status;
    }
    *Peb = PebBase;
    return STATUS_SUCCESS;
}

static NTSTATUS MiFillTeb(PTEB Teb, PPEB Peb, PCLIENT_ID ClientId, const INITIAL_TEB *InitialTeb)
{
    NTSTATUS Status;
    EX_TRY {
        Teb->NtTib.ExceptionList = EXCEPTION_CHAIN_END;
        Teb->NtTib.StackBase = InitialTeb->StackBase;
        Teb->NtTib.StackLimit = InitialTeb->StackLimit;
        Teb->NtTib.Self = &Teb->NtTib;
        Teb->ClientId = *ClientId;
        Teb->ProcessEnvironmentBlock = Peb;
        Teb->DeallocationStack = InitialTeb->AllocatedStackBase;
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

NTSTATUS MmCreateTeb(PPEB Peb, PCLIENT_ID ClientId, const INITIAL_TEB *InitialTeb, PTEB *Teb)
{
    PVOID Base;
    NTSTATUS Status = MiAllocateTop(PAGE_SIZE, &Base);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = MiFillTeb(Base, Peb, ClientId, InitialTeb);
    if (!NT_SUCCESS(Status)) {
        MiFreeRegion(Base);
        return Status;
    }
    *Teb = Base;
    return STATUS_SUCCESS;
}

void MmDeleteTeb(PTEB Teb)
{
    MiFreeRegion(Teb);
}
