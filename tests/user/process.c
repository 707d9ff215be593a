/*
 * tests/user/process.c — a program starts programs, waits for them, ends them.
 *
 * NtCreateUserProcess from ring 3 (through RtlStartProgram), the process
 * object signalled when it ends, its exit status and parent id through
 * NtQueryInformationProcess, NtTerminateProcess of a child that never ends
 * by itself, an unhandled exception ending a child with its code, handles
 * that mean nothing in another process, and the statuses of a program that
 * is not there or not an image.
 */
#include <utest.h>
#include <ntimage.h>

static NTSTATUS RunChild(const char *CommandLine)
{
    HANDLE Process, Thread;
    NTSTATUS ExitStatus = 0x12345678;
    NTSTATUS Status = RtlStartProgram(CommandLine, &Process, &Thread);
    if (!NT_SUCCESS(Status))
        return Status;
    UTEST_EXPECT_EQ(RtlWaitForProgram(Process, &ExitStatus), STATUS_SUCCESS);
    NtClose(Thread);
    NtClose(Process);
    return ExitStatus;
}

UTEST(a_child_runs_and_its_exit_status_is_read)
{
    UTEST_EXPECT_EQ(RunChild("exit0.exe"), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(RunChild("probe.exe read 7ffe0000"), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(RunChild("probe.exe write 7ffe0000"), STATUS_ACCESS_VIOLATION);
}

UTEST(a_child_knows_its_parent)
{
    HANDLE Process, Thread;
    PROCESS_BASIC_INFORMATION Child, Self;
    UTEST_ASSERT_EQ(RtlStartProgram("spin.exe", &Process, &Thread), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtQueryInformationProcess(Process, ProcessBasicInformation, &Child, sizeof(Child), NULL),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation, &Self, sizeof(Self), NULL),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Child.InheritedFromUniqueProcessId, Self.UniqueProcessId);
    UTEST_EXPECT_EQ(Child.ExitStatus, STATUS_PENDING);                  /* NT's value for a running process */
    UTEST_EXPECT(Child.PebBaseAddress != NULL, "it has a PEB");
    UTEST_EXPECT_EQ(NtTerminateProcess(Process, 0xABCD), STATUS_SUCCESS);
    NTSTATUS ExitStatus = 0;
    UTEST_EXPECT_EQ(RtlWaitForProgram(Process, &ExitStatus), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(ExitStatus, 0xABCD);
    UTEST_EXPECT_EQ(NtTerminateProcess(Process, 1), STATUS_PROCESS_IS_TERMINATING);
    NtClose(Thread);
    NtClose(Process);
}

UTEST(an_unhandled_exception_ends_the_child_with_its_code)
{
    UTEST_EXPECT_EQ(RunChild("crash.exe read"), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(RunChild("crash.exe int3"), STATUS_BREAKPOINT);
    UTEST_EXPECT_EQ(RunChild("crash.exe divide"), STATUS_INTEGER_DIVIDE_BY_ZERO);
}

UTEST(my_handle_means_nothing_in_another_process)
{
    HANDLE Event;
    char Line[48];
    UTEST_ASSERT_EQ(NtCreateEvent(&Event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    snprintf(Line, sizeof(Line), "usehandle.exe %x", (ULONG)Event);
    UTEST_EXPECT_EQ(RunChild(Line), STATUS_INVALID_HANDLE);
    UTEST_EXPECT_EQ(NtSetEvent(Event, NULL), STATUS_SUCCESS);           /* and it still works here */
    NtClose(Event);
    UTEST_EXPECT_EQ(RunChild("usehandle.exe 80000004"), STATUS_INVALID_HANDLE);
}

UTEST(a_missing_program_or_a_file_that_is_no_image_is_refused)
{
    HANDLE Process = (HANDLE)1, Thread = (HANDLE)1;
    UTEST_EXPECT_EQ(RtlStartProgram("nosuch.exe", &Process, &Thread), STATUS_OBJECT_NAME_NOT_FOUND);
    UTEST_EXPECT_EQ(RtlStartProgram("bootmod.txt", &Process, &Thread), STATUS_INVALID_IMAGE_NOT_MZ);
    UTEST_EXPECT_EQ(Process, NULL);
    UTEST_EXPECT_EQ(Thread, NULL);
}

/* The image's headers at Base (a mapped image: headers in its first page). */
static const IMAGE_NT_HEADERS32 *MappedHeaders(ULONG Base)
{
    return (const IMAGE_NT_HEADERS32 *)(Base + ((const IMAGE_DOS_HEADER *)Base)->e_lfanew);
}

/*
 * ntdll.dll is in this process as NT maps it: a DLL image at the base its
 * own header asks for, and this program's every import was snapped by the
 * loader before main to an address inside it.
 */
UTEST(every_import_was_snapped_into_ntdll_at_its_own_base)
{
    ULONG Image = (ULONG)NtCurrentPeb()->ImageBaseAddress;
    const IMAGE_DATA_DIRECTORY *Imports =
        &MappedHeaders(Image)->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
    UTEST_ASSERT(Imports->VirtualAddress != 0, "this program imports nothing");
    const IMAGE_IMPORT_DESCRIPTOR *First = (const void *)(Image + Imports->VirtualAddress);

    /* Whatever the first import points at is in an image: it must be ntdll.dll, a DLL at its own base. */
    MEMORY_BASIC_INFORMATION Info;
    UTEST_ASSERT_EQ(NtQueryVirtualMemory(NtCurrentProcess(), *(PVOID *)(Image + First->FirstThunk),
                                         MemoryBasicInformation, &Info, sizeof(Info), NULL), STATUS_SUCCESS);
    ULONG Ntdll = (ULONG)Info.AllocationBase;
    const IMAGE_NT_HEADERS32 *Dll = MappedHeaders(Ntdll);
    UTEST_EXPECT(Dll->FileHeader.Characteristics & IMAGE_FILE_DLL, "no DLL at %08x", Ntdll);
    UTEST_EXPECT_EQ(Dll->OptionalHeader.ImageBase, Ntdll);
    UTEST_EXPECT(Ntdll != Image, "ntdll is the image itself");

    ULONG Snapped = 0;
    for (const IMAGE_IMPORT_DESCRIPTOR *Descriptor = First; Descriptor->Name; Descriptor++) {
        UTEST_EXPECT(strcmp((const char *)Image + Descriptor->Name, "ntdll.dll") == 0, "imports from %s",
                     (const char *)Image + Descriptor->Name);
        for (const ULONG *Iat = (const ULONG *)(Image + Descriptor->FirstThunk); *Iat; Iat++, Snapped++)
            UTEST_EXPECT(*Iat >= Ntdll && *Iat < Ntdll + Dll->OptionalHeader.SizeOfImage,
                         "import %u at %08x, outside ntdll", Snapped, *Iat);
    }
    UTEST_EXPECT(Snapped >= 10, "only %u imports", Snapped);
}
