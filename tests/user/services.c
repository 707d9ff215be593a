/*
 * tests/user/services.c — every system service refuses a bad pointer from ring 3.
 *
 * The kernel trusts nothing a program passes: each pointer is probed before
 * it is used and used under a handler (include/ex.h). Given NULL, a kernel
 * address, or a buffer that runs past MmUserProbeAddress (0x7FFF0000 on the
 * 2 GB split, 0xBFFF0000 with /3GB: the test reads it from the system's basic
 * information), each service returns the failure NT returns — never a fault
 * in the kernel — and changes nothing. Also: a closed handle, a kernel
 * handle's value and an unknown service number.
 */
#include <utest.h>

/*
 * MmUserProbeAddress, for the split this boot has: one above the highest
 * user address NtQuerySystemInformation reports (0x7FFF0000 with 2 GB,
 * 0xBFFF0000 with /3GB); the system range starts 64 KB above it.
 */
static ULONG UserProbeAddress(void)
{
    static ULONG Cached;
    SYSTEM_BASIC_INFORMATION Info;
    if (!Cached && NT_SUCCESS(NtQuerySystemInformation(SystemBasicInformation, &Info, sizeof(Info), NULL)))
        Cached = Info.MaximumUserModeAddress + 1;
    return Cached;
}

#define KERNEL_ADDRESS      ((PVOID)(UserProbeAddress() + 0x10000 + 0x1000))
/* A structure, aligned, that starts in the user range and ends beyond MmUserProbeAddress. */
#define SPANNING(type)      ((type *)(UserProbeAddress() - 16))

UTEST(the_probe_address_is_the_splits)
{
    UTEST_EXPECT(UserProbeAddress() == 0x7FFF0000 || UserProbeAddress() == 0xBFFF0000 ||
                 (UserProbeAddress() > 0x7FFF0000 && UserProbeAddress() < 0xBFFF0000 &&
                  UserProbeAddress() % 0x10000 == 0), "MmUserProbeAddress %08x", UserProbeAddress());
}

UTEST(allocate_refuses_bad_base_and_size_pointers)
{
    SIZE_T Size = PAGE_SIZE;
    PVOID Base = NULL;
    UTEST_EXPECT_EQ(NtAllocateVirtualMemory(NtCurrentProcess(), NULL, 0, &Size, MEM_RESERVE, PAGE_READWRITE),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtAllocateVirtualMemory(NtCurrentProcess(), KERNEL_ADDRESS, 0, &Size, MEM_RESERVE,
                                            PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, NULL, MEM_RESERVE, PAGE_READWRITE),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, KERNEL_ADDRESS, MEM_RESERVE,
                                            PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtAllocateVirtualMemory(NtCurrentProcess(), (PVOID *)((ULONG)&Base + 1), 0, &Size, MEM_RESERVE,
                                            PAGE_READWRITE), STATUS_DATATYPE_MISALIGNMENT);
    UTEST_EXPECT_EQ(Base, NULL);
}

UTEST(free_and_protect_refuse_bad_pointers)
{
    PVOID Base = NULL;
    SIZE_T Size = PAGE_SIZE;
    ULONG Old = 0x1234;
    UTEST_ASSERT_EQ(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                            PAGE_READWRITE), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtFreeVirtualMemory(NtCurrentProcess(), NULL, &Size, MEM_RELEASE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtFreeVirtualMemory(NtCurrentProcess(), &Base, KERNEL_ADDRESS, MEM_RELEASE),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READONLY, NULL),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READONLY, KERNEL_ADDRESS),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(Old, 0x1234);
    *(volatile ULONG *)Base = 7;        /* still read/write: the refused protect changed nothing */
    Size = 0;
    UTEST_EXPECT_EQ(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE), STATUS_SUCCESS);
}

UTEST(query_refuses_a_buffer_beyond_the_user_range)
{
    MEMORY_BASIC_INFORMATION Info;
    SIZE_T Returned = 0;
    UTEST_EXPECT_EQ(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x400000, MemoryBasicInformation, NULL,
                                         sizeof(Info), &Returned), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x400000, MemoryBasicInformation,
                                         KERNEL_ADDRESS, sizeof(Info), &Returned), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x400000, MemoryBasicInformation,
                                         SPANNING(MEMORY_BASIC_INFORMATION), sizeof(Info), &Returned),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x400000, MemoryBasicInformation, &Info,
                                         sizeof(Info), KERNEL_ADDRESS), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(Returned, 0);
    UTEST_EXPECT_EQ(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x400000, MemoryBasicInformation, &Info,
                                         sizeof(Info), &Returned), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Returned, sizeof(Info));
    UTEST_EXPECT_EQ((ULONG)Info.AllocationBase, 0x400000);
}

UTEST(display_string_refuses_bad_strings)
{
    UNICODE_STRING String = { .Length = 8, .MaximumLength = 8, .Buffer = KERNEL_ADDRESS };
    UTEST_EXPECT_EQ(NtDisplayString(NULL), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtDisplayString(KERNEL_ADDRESS), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtDisplayString(&String), STATUS_ACCESS_VIOLATION);
    String.Buffer = (PWSTR)(UserProbeAddress() - 4);
    UTEST_EXPECT_EQ(NtDisplayString(&String), STATUS_ACCESS_VIOLATION);     /* 8 bytes from 4 below the limit */
    String.Buffer = (PWSTR)((ULONG)L"odd" + 1);
    UTEST_EXPECT_EQ(NtDisplayString(&String), STATUS_DATATYPE_MISALIGNMENT);
}

UTEST(continue_and_raise_refuse_bad_records)
{
    UTEST_EXPECT_EQ(NtContinue(NULL, FALSE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtContinue(KERNEL_ADDRESS, FALSE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtContinue(SPANNING(CONTEXT), FALSE), STATUS_ACCESS_VIOLATION);
    CONTEXT Context;
    memset(&Context, 0, sizeof(Context));
    UTEST_EXPECT_EQ(NtRaiseException(NULL, &Context, TRUE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtRaiseException(KERNEL_ADDRESS, &Context, TRUE), STATUS_ACCESS_VIOLATION);
    EXCEPTION_RECORD Record = { .ExceptionCode = 0xE0000001, .NumberParameters = 16 };
    UTEST_EXPECT_EQ(NtRaiseException(&Record, &Context, TRUE), STATUS_INVALID_PARAMETER);
    Record.NumberParameters = 0;
    UTEST_EXPECT_EQ(NtRaiseException(&Record, NULL, TRUE), STATUS_ACCESS_VIOLATION);
}

UTEST(thread_and_process_creation_refuse_bad_pointers)
{
    HANDLE Thread = (HANDLE)1, Process = (HANDLE)1;
    CONTEXT Context;
    INITIAL_TEB Stack;
    memset(&Context, 0, sizeof(Context));
    memset(&Stack, 0, sizeof(Stack));
    UTEST_EXPECT_EQ(NtCreateThread(NULL, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(), NULL, &Context, &Stack, FALSE),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtCreateThread(&Thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(), NULL, KERNEL_ADDRESS,
                                   &Stack, FALSE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtCreateThread(&Thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(), NULL, &Context,
                                   KERNEL_ADDRESS, FALSE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtCreateThread(&Thread, THREAD_ALL_ACCESS, KERNEL_ADDRESS, NtCurrentProcess(), NULL, &Context,
                                   &Stack, FALSE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(Thread, NULL);      /* the handle was set to NULL before anything else */
    UTEST_EXPECT_EQ(NtCreateUserProcess(&Process, &Thread, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS, NULL, NULL, 0, 0,
                                        KERNEL_ADDRESS, NULL, NULL), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtCreateUserProcess(KERNEL_ADDRESS, &Thread, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS, NULL, NULL, 0,
                                        0, NtCurrentPeb()->ProcessParameters, NULL, NULL), STATUS_ACCESS_VIOLATION);
    RTL_USER_PROCESS_PARAMETERS Parameters;
    memset(&Parameters, 0, sizeof(Parameters));
    Parameters.Flags = RTL_USER_PROC_PARAMS_NORMALIZED;
    Parameters.ImagePathName.Length = 16;
    Parameters.ImagePathName.Buffer = KERNEL_ADDRESS;
    UTEST_EXPECT_EQ(NtCreateUserProcess(&Process, &Thread, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS, NULL, NULL, 0, 0,
                                        &Parameters, NULL, NULL), STATUS_ACCESS_VIOLATION);
}

UTEST(duplicate_refuses_a_bad_target_pointer)
{
    HANDLE Copy = (HANDLE)1;
    UTEST_EXPECT_EQ(NtDuplicateObject(NtCurrentProcess(), NtCurrentProcess(), NtCurrentProcess(), KERNEL_ADDRESS, 0,
                                      0, DUPLICATE_SAME_ACCESS), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtDuplicateObject(NtCurrentProcess(), NtCurrentProcess(), NtCurrentProcess(), &Copy, 0, 0, DUPLICATE_SAME_ACCESS),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtClose(Copy), STATUS_SUCCESS);
}

UTEST(closed_and_kernel_handles_are_invalid)
{
    HANDLE Copy;
    UTEST_ASSERT_EQ(NtDuplicateObject(NtCurrentProcess(), NtCurrentProcess(), NtCurrentProcess(), &Copy, 0, 0, DUPLICATE_SAME_ACCESS),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtClose(Copy), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtClose(Copy), STATUS_INVALID_HANDLE);
    UTEST_EXPECT_EQ(NtClose((HANDLE)0x80000004), STATUS_INVALID_HANDLE);    /* a kernel handle's value */
    UTEST_EXPECT_EQ(NtTerminateThread((HANDLE)0x80000004, 0), STATUS_INVALID_HANDLE);
    UTEST_EXPECT_EQ(NtClose((HANDLE)0x12345678), STATUS_INVALID_HANDLE);
}
