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

/*
 * The memory services act on the process a handle names (a child here),
 * with the access the handle grants: PROCESS_VM_OPERATION to change its
 * range, PROCESS_QUERY_INFORMATION to query it; a handle without the right
 * is STATUS_ACCESS_DENIED, as NT's ObReferenceObjectByHandle decides.
 */
UTEST(memory_services_act_on_a_childs_range_with_the_handles_rights)
{
    HANDLE Process, Thread, QueryOnly, OperateOnly;
    MEMORY_BASIC_INFORMATION Info;
    UTEST_ASSERT_EQ(RtlStartProgram("spin.exe", &Process, &Thread), STATUS_SUCCESS);

    PVOID Base = NULL;
    SIZE_T Size = 2 * PAGE_SIZE;
    UTEST_EXPECT_EQ(NtAllocateVirtualMemory(Process, &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtQueryVirtualMemory(Process, Base, MemoryBasicInformation, &Info, sizeof(Info), NULL),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Info.State, MEM_COMMIT);
    UTEST_EXPECT_EQ(Info.RegionSize, 2 * PAGE_SIZE);
    /* The same address here is the parent's own, and tells nothing of the child's. */
    UTEST_EXPECT_EQ(NtQueryVirtualMemory(NtCurrentProcess(), Base, MemoryBasicInformation, &Info, sizeof(Info), NULL),
                    STATUS_SUCCESS);
    UTEST_EXPECT(Info.AllocationBase != Base || Info.RegionSize != 2 * PAGE_SIZE, "the parent has the same region");

    UTEST_ASSERT_EQ(NtDuplicateObject(NtCurrentProcess(), Process, NtCurrentProcess(), &QueryOnly,
                                      PROCESS_QUERY_INFORMATION, 0, 0), STATUS_SUCCESS);
    UTEST_ASSERT_EQ(NtDuplicateObject(NtCurrentProcess(), Process, NtCurrentProcess(), &OperateOnly,
                                      PROCESS_VM_OPERATION, 0, 0), STATUS_SUCCESS);
    PVOID Other = NULL;
    Size = PAGE_SIZE;
    UTEST_EXPECT_EQ(NtAllocateVirtualMemory(QueryOnly, &Other, 0, &Size, MEM_RESERVE, PAGE_READWRITE),
                    STATUS_ACCESS_DENIED);
    UTEST_EXPECT_EQ(NtQueryVirtualMemory(QueryOnly, Base, MemoryBasicInformation, &Info, sizeof(Info), NULL),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtQueryVirtualMemory(OperateOnly, Base, MemoryBasicInformation, &Info, sizeof(Info), NULL),
                    STATUS_ACCESS_DENIED);
    ULONG Old;
    Size = PAGE_SIZE;
    UTEST_EXPECT_EQ(NtProtectVirtualMemory(QueryOnly, &Base, &Size, PAGE_READONLY, &Old), STATUS_ACCESS_DENIED);
    UTEST_EXPECT_EQ(NtProtectVirtualMemory(OperateOnly, &Base, &Size, PAGE_READONLY, &Old), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Old, PAGE_READWRITE);
    Size = 0;
    UTEST_EXPECT_EQ(NtFreeVirtualMemory(QueryOnly, &Base, &Size, MEM_RELEASE), STATUS_ACCESS_DENIED);
    UTEST_EXPECT_EQ(NtFreeVirtualMemory(OperateOnly, &Base, &Size, MEM_RELEASE), STATUS_SUCCESS);

    NtTerminateProcess(Process, 0);
    NTSTATUS ExitStatus;
    UTEST_EXPECT_EQ(RtlWaitForProgram(Process, &ExitStatus), STATUS_SUCCESS);
    NtClose(QueryOnly);
    NtClose(OperateOnly);
    NtClose(Thread);
    NtClose(Process);
}

/*
 * ProcessVmCounters, as NT answers it: committing 64 pages adds 256 KB to
 * the virtual size and to the page-file usage (the commit charge) but no
 * working set; touching them adds 64 faults and 256 KB of working set; the
 * _EX form's PrivateUsage is the commit charge too; another length is
 * STATUS_INFO_LENGTH_MISMATCH. mm386 charges no pool quota: those are 0.
 */
UTEST(vm_counters_follow_commit_and_touch)
{
    VM_COUNTERS_EX Before, Committed, Touched;
    ULONG Length = 0;
    UTEST_ASSERT_EQ(NtQueryInformationProcess(NtCurrentProcess(), ProcessVmCounters, &Before, sizeof(Before),
                                              &Length), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Length, sizeof(VM_COUNTERS_EX));
    PVOID Base = NULL;
    SIZE_T Size = 64 * PAGE_SIZE;
    UTEST_ASSERT_EQ(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                            PAGE_READWRITE), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtQueryInformationProcess(NtCurrentProcess(), ProcessVmCounters, &Committed,
                                              sizeof(VM_COUNTERS), &Length), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Length, sizeof(VM_COUNTERS));
    UTEST_EXPECT_EQ(Committed.Counters.VirtualSize, Before.Counters.VirtualSize + 64 * PAGE_SIZE);
    UTEST_EXPECT(Committed.Counters.PagefileUsage >= Before.Counters.PagefileUsage + 64 * PAGE_SIZE,
                 "the 64 pages charged (and a page table's commit, if it needed a new one)");
    UTEST_EXPECT(Committed.Counters.PagefileUsage <= Before.Counters.PagefileUsage + 65 * PAGE_SIZE,
                 "at most one page table more");
    UTEST_EXPECT_EQ(Committed.Counters.WorkingSetSize, Before.Counters.WorkingSetSize);
    for (ULONG i = 0; i < 64; i++)
        ((volatile ULONG *)Base)[i * (PAGE_SIZE / sizeof(ULONG))] = i;
    UTEST_EXPECT_EQ(NtQueryInformationProcess(NtCurrentProcess(), ProcessVmCounters, &Touched, sizeof(Touched),
                                              NULL), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Touched.Counters.PageFaultCount, Committed.Counters.PageFaultCount + 64);
    UTEST_EXPECT_EQ(Touched.Counters.WorkingSetSize, Committed.Counters.WorkingSetSize + 64 * PAGE_SIZE);
    UTEST_EXPECT(Touched.Counters.PeakWorkingSetSize >= Touched.Counters.WorkingSetSize, "the peak is a peak");
    UTEST_EXPECT_EQ(Touched.Counters.PagefileUsage, Committed.Counters.PagefileUsage);
    UTEST_EXPECT_EQ(Touched.PrivateUsage, Touched.Counters.PagefileUsage);
    UTEST_EXPECT_EQ(Touched.Counters.QuotaPagedPoolUsage, 0);
    Size = 0;
    UTEST_EXPECT_EQ(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtQueryInformationProcess(NtCurrentProcess(), ProcessVmCounters, &Touched,
                                              sizeof(VM_COUNTERS) - 4, NULL), STATUS_INFO_LENGTH_MISMATCH);
    UTEST_EXPECT_EQ(NtQueryInformationProcess(NtCurrentProcess(), ProcessVmCounters, &Touched, sizeof(Touched),
                                              NULL), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Touched.Counters.WorkingSetSize, Before.Counters.WorkingSetSize);
    UTEST_EXPECT_EQ(Touched.Counters.VirtualSize, Before.Counters.VirtualSize);
    UTEST_EXPECT(Touched.Counters.PeakWorkingSetSize >= Before.Counters.WorkingSetSize + 64 * PAGE_SIZE,
                 "the peak stays");
}
