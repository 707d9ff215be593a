/*
 * tests/mm/virtual_query.c — NtQueryVirtualMemory and NtProtectVirtualMemory:
 * MEMORY_BASIC_INFORMATION field by field after each step of a scripted
 * sequence (the expected values written out by hand from NT's documented
 * behaviour), and every status code of both services.
 */
#include "virtual_test.h"

#define ATTACH_TEST_PROCESS(LargeAddressAware)                                  \
    PEPROCESS Process = TestCreateUserProcess(LargeAddressAware);                  \
    ASSERT_NOT_NULL(Process);                                                  \
    PKAPC_STATE Previous = TestAttach(Process)
#define DETACH_TEST_PROCESS()                                                   \
    do {                                                                        \
        TestDetach(Previous);                                                   \
        TestDeleteUserProcess(Process);                                             \
    } while (0)

/* One expected answer: the queried address, then the seven fields. */
typedef struct {
    ULONG Query;
    ULONG BaseAddress, AllocationBase, AllocationProtect, RegionSize, State, Protect, Type;
} EXPECTED_MBI;

#define FREE_MBI(Query, Base, Size) { Query, Base, 0, 0, Size, MEM_FREE, PAGE_NOACCESS, 0 }

static void ExpectQueries(KTEST_CONTEXT *t, ULONG Step, const EXPECTED_MBI *Expected, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++) {
        const EXPECTED_MBI *e = &Expected[i];
        MEMORY_BASIC_INFORMATION Info;
        memset(&Info, 0xCC, sizeof(Info));
        NTSTATUS Status = TestQuery(e->Query, &Info);
        if (Status != STATUS_SUCCESS || (ULONG)Info.BaseAddress != e->BaseAddress ||
            (ULONG)Info.AllocationBase != e->AllocationBase || Info.AllocationProtect != e->AllocationProtect ||
            Info.RegionSize != e->RegionSize || Info.State != e->State || Info.Protect != e->Protect ||
            Info.Type != e->Type)
            KtestFail(t, __FILE__, __LINE__,
                      "step %u, query %08x: status %x base %08x alloc %08x/%x size %x state %x protect %x type %x; "
                      "expected base %08x alloc %08x/%x size %x state %x protect %x type %x",
                      Step, e->Query, Status, (ULONG)Info.BaseAddress, (ULONG)Info.AllocationBase,
                      Info.AllocationProtect, Info.RegionSize, Info.State, Info.Protect, Info.Type,
                      e->BaseAddress, e->AllocationBase, e->AllocationProtect, e->RegionSize, e->State,
                      e->Protect, e->Type);
        t->Checks++;
    }
}

#define EXPECT_QUERIES(Step, ...)                                               \
    do {                                                                        \
        static const EXPECTED_MBI _e[] = { __VA_ARGS__ };                       \
        ExpectQueries(t, Step, _e, ARRAY_SIZE(_e));                             \
    } while (0)

#define R 0x50000000
#define TOP 0x7FFE0000      /* the highest VAD address + 1 of a process that is not large address aware */

/*
 * A reservation taken through its states: commit, protect, touch,
 * no-access, guard, decommit, release. After each step, every field of
 * the answer for the pages around it is what NT answers.
 */
KTEST(virtual_query, basic_information_through_a_scripted_sequence)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base, Old, Value;
    SIZE_T Size;

    Base = R;
    Size = 0x10000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS);
    EXPECT_QUERIES(1,
                   { R, R, R, PAGE_NOACCESS, 0x10000, MEM_RESERVE, 0, MEM_PRIVATE },
                   { R + 0xFFFF, R + 0xF000, R, PAGE_NOACCESS, 0x1000, MEM_RESERVE, 0, MEM_PRIVATE },
                   FREE_MBI(R - 0x1000, R - 0x1000, 0x1000),
                   FREE_MBI(0x10000, 0x10000, R - 0x10000),
                   FREE_MBI(R + 0x10000, R + 0x10000, TOP - R - 0x10000),
                   FREE_MBI(0x7FFDFFFF, 0x7FFDF000, 0x1000));

    Base = R + 0x2000;
    Size = 0x2000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_QUERIES(2,
                   { R, R, R, PAGE_NOACCESS, 0x2000, MEM_RESERVE, 0, MEM_PRIVATE },
                   { R + 0x2800, R + 0x2000, R, PAGE_NOACCESS, 0x2000, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE },
                   { R + 0x4000, R + 0x4000, R, PAGE_NOACCESS, 0xC000, MEM_RESERVE, 0, MEM_PRIVATE });

    EXPECT_EQ(TestProtect(R + 0x3000, 1, PAGE_READONLY, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_READWRITE);
    EXPECT_QUERIES(3,
                   { R + 0x2000, R + 0x2000, R, PAGE_NOACCESS, 0x1000, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE },
                   { R + 0x3FFC, R + 0x3000, R, PAGE_NOACCESS, 0x1000, MEM_COMMIT, PAGE_READONLY, MEM_PRIVATE });

    EXPECT_EQ(TestWrite(R + 0x2000, 0xFEEDC0DE, NULL), STATUS_SUCCESS);   /* now resident */
    EXPECT_QUERIES(4, { R + 0x2000, R + 0x2000, R, PAGE_NOACCESS, 0x1000, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE });

    EXPECT_EQ(TestProtect(R + 0x2000, 0x1000, PAGE_NOACCESS, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_READWRITE);
    EXPECT_EQ(TestRead(R + 0x2000, &Value, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_QUERIES(5, { R + 0x2000, R + 0x2000, R, PAGE_NOACCESS, 0x1000, MEM_COMMIT, PAGE_NOACCESS, MEM_PRIVATE });

    EXPECT_EQ(TestProtect(R + 0x2000, 0x2000, PAGE_EXECUTE_READ, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_NOACCESS);
    EXPECT_EQ(TestRead(R + 0x2000, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0xFEEDC0DE);               /* the page kept its data while no-access */
    EXPECT_QUERIES(6,
                   { R + 0x2000, R + 0x2000, R, PAGE_NOACCESS, 0x2000, MEM_COMMIT, PAGE_EXECUTE_READ, MEM_PRIVATE });

    Base = R + 0xF000;
    Size = 0x1000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD), STATUS_SUCCESS);
    EXPECT_QUERIES(7,
                   { R + 0x4000, R + 0x4000, R, PAGE_NOACCESS, 0xB000, MEM_RESERVE, 0, MEM_PRIVATE },
                   { R + 0xF000, R + 0xF000, R, PAGE_NOACCESS, 0x1000, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD,
                     MEM_PRIVATE });

    EXPECT_EQ(TestRead(R + 0xF000, &Value, NULL), STATUS_GUARD_PAGE_VIOLATION);
    EXPECT_QUERIES(8, { R + 0xF000, R + 0xF000, R, PAGE_NOACCESS, 0x1000, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE });

    EXPECT_EQ(TestFree(R + 0x2000, 0x1000, MEM_DECOMMIT), STATUS_SUCCESS);
    EXPECT_QUERIES(9,
                   { R, R, R, PAGE_NOACCESS, 0x3000, MEM_RESERVE, 0, MEM_PRIVATE },
                   { R + 0x3000, R + 0x3000, R, PAGE_NOACCESS, 0x1000, MEM_COMMIT, PAGE_EXECUTE_READ, MEM_PRIVATE });

    Base = R + 0x20000;
    Size = 0x3000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_NOCACHE), STATUS_SUCCESS);
    EXPECT_QUERIES(10,
                   { R + 0x21000, R + 0x21000, R + 0x20000, PAGE_READWRITE | PAGE_NOCACHE, 0x2000, MEM_COMMIT,
                     PAGE_READWRITE | PAGE_NOCACHE, MEM_PRIVATE },
                   FREE_MBI(R + 0x10000, R + 0x10000, 0x10000),
                   FREE_MBI(R + 0x23000, R + 0x23000, TOP - R - 0x23000));

    EXPECT_EQ(TestFree(R, 0, MEM_RELEASE), STATUS_SUCCESS);
    EXPECT_QUERIES(11, FREE_MBI(R + 0x1234, R + 0x1000, 0x1F000), FREE_MBI(0x10000, 0x10000, R + 0x10000));

    /* Above the highest VAD address: NT's reserved, no-access area up to the highest user address. */
    EXPECT_QUERIES(12,
                   { TOP, TOP, TOP, PAGE_READONLY, 0x10000, MEM_RESERVE, PAGE_NOACCESS, MEM_PRIVATE },
                   { 0x7FFEF123, 0x7FFEF000, TOP, PAGE_READONLY, 0x1000, MEM_RESERVE, PAGE_NOACCESS, MEM_PRIVATE });
    DETACH_TEST_PROCESS();
}

/*
 * A reservation committed whole reports one region until a page differs;
 * its zero PTEs never need reading. 16 MB (8 MB, or 4 MB, where the commit
 * limit of a small machine has no room for more, twice over): four (two,
 * one) page tables, none made. The page touched and the page protected lie
 * under the same page table.
 */
KTEST(virtual_query, committed_whole_reservation_is_one_region)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0x40000000, Old;
    ULONG Headroom = MmTotalCommitLimit - MmTotalCommittedPages;
    SIZE_T Size = Headroom > 8192 ? 0x1000000 : Headroom > 4096 ? 0x800000 : 0x400000;
    ULONG Touched = Base + Size / 2, Protected = Touched + MIN(0x200000, Size / 4);
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(Process->WorkingSetList.NumberOfPageTables, 0);
    EXPECTED_MBI Whole[] = {
        { Base, Base, Base, PAGE_READWRITE, Size, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE },
    };
    ExpectQueries(t, 1, Whole, ARRAY_SIZE(Whole));
    EXPECT_EQ(TestWrite(Touched, 1, NULL), STATUS_SUCCESS);
    EXPECT_EQ(TestProtect(Protected, 0x1000, PAGE_READONLY, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_READWRITE);
    EXPECT_EQ(Process->WorkingSetList.NumberOfPageTables, 1);
    EXPECTED_MBI Split[] = {
        { Base, Base, Base, PAGE_READWRITE, Protected - Base, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE },
        { Protected, Protected, Base, PAGE_READWRITE, 0x1000, MEM_COMMIT, PAGE_READONLY, MEM_PRIVATE },
        { Protected + 0x1000, Protected + 0x1000, Base, PAGE_READWRITE, Base + Size - Protected - 0x1000,
          MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE },
    };
    ExpectQueries(t, 2, Split, ARRAY_SIZE(Split));
    DETACH_TEST_PROCESS();
}

/* Query's own statuses: the class, the length, an address above the highest user address, the handle. */
KTEST(virtual_query, query_status_codes)
{
    ATTACH_TEST_PROCESS(false);
    MEMORY_BASIC_INFORMATION Info;
    SIZE_T Returned = 0x1234;
    EXPECT_EQ(ZwQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x10000, MemoryWorkingSetInformation, &Info,
                                   sizeof(Info), NULL), STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(ZwQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x10000, MemoryBasicInformation, &Info,
                                   sizeof(Info) - 1, &Returned), STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(Returned, 0x1234);
    EXPECT_EQ(ZwQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x7FFF0000, MemoryBasicInformation, &Info,
                                   sizeof(Info), NULL), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(ZwQueryVirtualMemory(NtCurrentProcess(), MmSystemRangeStart, MemoryBasicInformation, &Info,
                                   sizeof(Info), NULL), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(ZwQueryVirtualMemory((HANDLE)8, (PVOID)0x10000, MemoryBasicInformation, &Info, sizeof(Info), NULL),
              STATUS_INVALID_HANDLE);
    EXPECT_EQ(ZwQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x10000, MemoryBasicInformation, &Info,
                                   sizeof(Info) + 4, &Returned), STATUS_SUCCESS);
    EXPECT_EQ(Returned, sizeof(MEMORY_BASIC_INFORMATION));
    DETACH_TEST_PROCESS();
}

/* A UserMode caller's output buffer in system space, or on a read-only page: STATUS_ACCESS_VIOLATION. */
KTEST(virtual_query, query_access_violation_for_bad_buffer)
{
    ATTACH_TEST_PROCESS(false);
    MEMORY_BASIC_INFORMATION Info;
    ULONG ReadOnly = 0;
    SIZE_T Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&ReadOnly, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);
    KPROCESSOR_MODE Old = ExpSetPreviousMode(UserMode);
    NTSTATUS InSystem = NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x10000, MemoryBasicInformation, &Info,
                                             sizeof(Info), NULL);
    NTSTATUS OnReadOnly = NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x10000, MemoryBasicInformation,
                                               (PVOID)ReadOnly, sizeof(Info), NULL);
    ExpSetPreviousMode(Old);
    EXPECT_EQ(InSystem, STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(OnReadOnly, STATUS_ACCESS_VIOLATION);
    DETACH_TEST_PROCESS();
}

/* Calls ZwProtectVirtualMemory; on failure the caller's base, size and old protection must be untouched. */
static NTSTATUS ProtectFails(KTEST_CONTEXT *t, HANDLE Handle, ULONG Base, SIZE_T Size, ULONG Protect)
{
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;
    ULONG Old = 0xABCD;
    NTSTATUS Status = ZwProtectVirtualMemory(Handle, &B, &S, Protect, &Old);
    if (!NT_SUCCESS(Status)) {
        EXPECT_EQ((ULONG)B, Base);
        EXPECT_EQ(S, Size);
        EXPECT_EQ(Old, 0xABCD);
    }
    return Status;
}

/* Protections NT refuses, and write-copy, which private memory never takes. */
KTEST(virtual_query, protect_invalid_page_protection)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0;
    SIZE_T Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), Base, PAGE_SIZE, 0), STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), Base, PAGE_SIZE, PAGE_NOACCESS | PAGE_GUARD),
              STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), Base, PAGE_SIZE, PAGE_READONLY | PAGE_EXECUTE_READ),
              STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), Base, PAGE_SIZE, PAGE_WRITECOPY), STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), Base, PAGE_SIZE, PAGE_EXECUTE_WRITECOPY),
              STATUS_INVALID_PAGE_PROTECTION);
    DETACH_TEST_PROCESS();
}

/* Base above the highest user address (2); size 0 or reaching past it (3); another handle. */
KTEST(virtual_query, protect_invalid_parameters_and_handle)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0;
    SIZE_T Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), 0x7FFF0000, PAGE_SIZE, PAGE_READONLY), STATUS_INVALID_PARAMETER_2);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), (ULONG)MmSystemRangeStart, 1, PAGE_READONLY),
              STATUS_INVALID_PARAMETER_2);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), Base, 0, PAGE_READONLY), STATUS_INVALID_PARAMETER_3);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), 0x7FFEF000, 0x1001, PAGE_READONLY), STATUS_INVALID_PARAMETER_3);
    EXPECT_EQ(ProtectFails(t, NULL, Base, PAGE_SIZE, PAGE_READONLY), STATUS_INVALID_HANDLE);
    DETACH_TEST_PROCESS();
}

/* Free addresses, or a range across two reservations: STATUS_CONFLICTING_ADDRESSES. */
KTEST(virtual_query, protect_conflicting_addresses)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = R;
    SIZE_T Size = 0x10000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    Base = R + 0x10000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), 0x60000000, PAGE_SIZE, PAGE_READONLY), STATUS_CONFLICTING_ADDRESSES);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), R + 0xF000, 0x2000, PAGE_READONLY), STATUS_CONFLICTING_ADDRESSES);
    DETACH_TEST_PROCESS();
}

/* A page in the range reserved, or decommitted, and nothing changes: STATUS_NOT_COMMITTED. */
KTEST(virtual_query, protect_not_committed)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = R, Old;
    SIZE_T Size = 0x4000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    Size = 0x2000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), R, 0x3000, PAGE_READONLY), STATUS_NOT_COMMITTED);
    Base = R + 0x10000;
    Size = 0x4000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(TestFree(R + 0x13000, 0x1000, MEM_DECOMMIT), STATUS_SUCCESS);
    EXPECT_EQ(ProtectFails(t, NtCurrentProcess(), R + 0x10000, 0x4000, PAGE_READONLY), STATUS_NOT_COMMITTED);
    /* Nothing changed: the first pages are still read/write. */
    EXPECT_EQ(TestProtect(R, 0x1000, PAGE_READONLY, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_READWRITE);
    EXPECT_EQ(TestProtect(R + 0x10000, 0x1000, PAGE_READONLY, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_READWRITE);
    DETACH_TEST_PROCESS();
}

/* The old protection is the first page's; the range returned is rounded out to pages. */
KTEST(virtual_query, protect_returns_first_page_protection_and_range)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = R, Value;
    SIZE_T Size = 0x3000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE), STATUS_SUCCESS);
    ULONG Old;
    EXPECT_EQ(TestProtect(R + 0x1000, 0x1000, PAGE_READONLY, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_EXECUTE_READWRITE);
    PVOID B = (PVOID)(R + 0xFFF);
    SIZE_T S = 2;
    EXPECT_EQ(ZwProtectVirtualMemory(NtCurrentProcess(), &B, &S, PAGE_NOACCESS, &Old), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)B, R);
    EXPECT_EQ(S, 0x2000);
    EXPECT_EQ(Old, PAGE_EXECUTE_READWRITE);
    EXPECT_EQ(TestRead(R + 0x1000, &Value, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(TestProtect(R + 0x1000, 0x1000, PAGE_READWRITE, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_NOACCESS);
    EXPECT_EQ(TestWrite(R + 0x1000, 5, NULL), STATUS_SUCCESS);
    DETACH_TEST_PROCESS();
}
