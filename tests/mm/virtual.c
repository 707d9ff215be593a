/*
 * tests/mm/virtual.c — NtAllocateVirtualMemory and NtFreeVirtualMemory:
 * every status code each returns, NT's rounding, and nothing written back
 * on failure. The expected values are NT's (its documentation and the
 * behaviour Windows Server 2003 shows), written out here, not computed the
 * way mm/virtual.c computes them.
 */
#include "virtual_test.h"

#define SENTINEL_BASE   0x5A5A5000u
#define SENTINEL_SIZE   0x00A5A5A5u

/*
 * Allocates with every argument explicit. On failure the caller's base and
 * size must be left as they were (NT writes nothing back); on success the
 * range is returned in *Base and *Size.
 */
static NTSTATUS AllocateRaw(KTEST_CONTEXT *t, HANDLE Handle, ULONG *Base, ULONG ZeroBits, SIZE_T *Size, ULONG Type,
                            ULONG Protect)
{
    PVOID B = (PVOID)*Base;
    SIZE_T S = *Size;
    NTSTATUS Status = ZwAllocateVirtualMemory(Handle, &B, ZeroBits, &S, Type, Protect);
    if (!NT_SUCCESS(Status)) {
        EXPECT_EQ((ULONG)B, *Base);
        EXPECT_EQ(S, *Size);
    }
    *Base = (ULONG)B;
    *Size = S;
    return Status;
}

/* The status of one allocation that must fail; its outputs must stay untouched. */
static NTSTATUS AllocateFails(KTEST_CONTEXT *t, ULONG Base, ULONG ZeroBits, SIZE_T Size, ULONG Type, ULONG Protect)
{
    ULONG B = Base;
    SIZE_T S = Size;
    NTSTATUS Status = AllocateRaw(t, NtCurrentProcess(), &B, ZeroBits, &S, Type, Protect);
    if (NT_SUCCESS(Status))
        TestFree(B, 0, MEM_RELEASE);
    return Status;
}

/* The status of one free that must fail, outputs untouched. */
static NTSTATUS FreeFails(KTEST_CONTEXT *t, HANDLE Handle, ULONG Base, SIZE_T Size, ULONG Type)
{
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;
    NTSTATUS Status = ZwFreeVirtualMemory(Handle, &B, &S, Type);
    EXPECT_EQ((ULONG)B, Base);
    EXPECT_EQ(S, Size);
    return Status;
}

/* A process attached for the test's body; Detach restores the system address space and deletes it. */
#define ATTACH_TEST_PROCESS(LargeAddressAware)                                  \
    PEPROCESS Process = TestCreateUserProcess(LargeAddressAware);                  \
    ASSERT_NOT_NULL(Process);                                                  \
    PKAPC_STATE Previous = TestAttach(Process)
#define DETACH_TEST_PROCESS()                                                   \
    do {                                                                        \
        TestDetach(Previous);                                                   \
        TestDeleteUserProcess(Process);                                             \
    } while (0)

/* A handle other than NtCurrentProcess(): STATUS_INVALID_HANDLE, checked after the arguments. */
KTEST(virtual, allocate_invalid_handle)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0;
    SIZE_T Size = 0x1000;
    EXPECT_EQ(AllocateRaw(t, NULL, &Base, 0, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_HANDLE);
    EXPECT_EQ(AllocateRaw(t, (HANDLE)0x1234, &Base, 0, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_HANDLE);
    /* The argument checks come first. */
    EXPECT_EQ(AllocateRaw(t, NULL, &Base, 22, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_3);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 0);
    DETACH_TEST_PROCESS();
}

/* Base addresses outside what VADs may cover: system space, the first 64 KB, the top 64 KB. */
KTEST(virtual, allocate_invalid_parameter_2)
{
    ATTACH_TEST_PROCESS(false);
    EXPECT_EQ(AllocateFails(t, (ULONG)MmSystemRangeStart + 200, 0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
              STATUS_INVALID_PARAMETER_2);
    EXPECT_EQ(AllocateFails(t, (ULONG)KtestRun, 0, 0x1000, MEM_COMMIT, PAGE_READWRITE), STATUS_INVALID_PARAMETER_2);
    EXPECT_EQ(AllocateFails(t, 0xF000, 0, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_2);
    EXPECT_EQ(AllocateFails(t, 0x1, 0, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_2);
    EXPECT_EQ(AllocateFails(t, 0x7FFE0000, 0, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_2);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 0);
    DETACH_TEST_PROCESS();
}

/* ZeroBits above 21 (NT's x86 limit). */
KTEST(virtual, allocate_invalid_parameter_3)
{
    ATTACH_TEST_PROCESS(false);
    EXPECT_EQ(AllocateFails(t, 0, 22, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_3);
    EXPECT_EQ(AllocateFails(t, 0, 0xFFFFFFFF, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_3);
    EXPECT_EQ(AllocateFails(t, 0, 3, 0x1000, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    DETACH_TEST_PROCESS();
}

/* A size of 0, or one reaching past the highest VAD address. */
KTEST(virtual, allocate_invalid_parameter_4)
{
    ATTACH_TEST_PROCESS(false);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0xFFFFFFFF, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0x7FFE0001, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);
    EXPECT_EQ(AllocateFails(t, 0x7FFD0000, 0, 0x10001, MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);
    /* Up to the highest VAD address itself is allowed. */
    EXPECT_EQ(AllocateFails(t, 0x7FFD0000, 0, 0x10000, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    DETACH_TEST_PROCESS();
}

/* AllocationType: unknown bits, none of commit/reserve/reset, MEM_RESET with others, AWE misuse. */
KTEST(virtual, allocate_invalid_parameter_5)
{
    static const ULONG Types[] = {
        0, MEM_TOP_DOWN, MEM_PHYSICAL, MEM_COMMIT | MEM_RESET, MEM_TOP_DOWN | MEM_RESET,
        MEM_RESET | MEM_COMMIT | MEM_RESERVE, MEM_PHYSICAL | MEM_COMMIT, 0xFFFFFFFF, MEM_COMMIT | MEM_DECOMMIT,
        MEM_RESERVE | MEM_RELEASE, MEM_WRITE_WATCH | MEM_COMMIT, MEM_LARGE_PAGES | MEM_RESERVE,
    };
    ATTACH_TEST_PROCESS(false);
    for (ULONG i = 0; i < ARRAY_SIZE(Types); i++)
        EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, Types[i], PAGE_READWRITE), STATUS_INVALID_PARAMETER_5);
    DETACH_TEST_PROCESS();
}

/*
 * MEM_PHYSICAL (AWE) memory is always read/write: another protection is
 * STATUS_INVALID_PARAMETER_6. mm386 has no AWE: the valid request is
 * STATUS_NOT_SUPPORTED, after every check NT makes.
 */
KTEST(virtual, allocate_invalid_parameter_6)
{
    ATTACH_TEST_PROCESS(false);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, MEM_PHYSICAL | MEM_RESERVE, PAGE_READONLY), STATUS_INVALID_PARAMETER_6);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, MEM_PHYSICAL | MEM_RESERVE, PAGE_NOACCESS), STATUS_INVALID_PARAMETER_6);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, MEM_PHYSICAL | MEM_RESERVE, PAGE_READWRITE), STATUS_NOT_SUPPORTED);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 0);
    DETACH_TEST_PROCESS();
}

/* Protections NT refuses: none, two accesses, guard or nocache on no-access, write-copy for private memory. */
KTEST(virtual, allocate_invalid_page_protection)
{
    static const ULONG Protections[] = {
        0, 0xFFFFFFFF, PAGE_READONLY | PAGE_READWRITE, PAGE_READONLY | PAGE_EXECUTE, PAGE_NOACCESS | PAGE_GUARD,
        PAGE_NOACCESS | PAGE_NOCACHE, PAGE_NOACCESS | PAGE_WRITECOMBINE, PAGE_READWRITE | PAGE_GUARD | PAGE_NOCACHE,
        PAGE_READWRITE | PAGE_NOCACHE | PAGE_WRITECOMBINE, PAGE_GUARD, PAGE_READWRITE | 0x800, 0x03,
    };
    ATTACH_TEST_PROCESS(false);
    for (ULONG i = 0; i < ARRAY_SIZE(Protections); i++)
        EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, MEM_RESERVE | MEM_COMMIT, Protections[i]),
                  STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, MEM_RESERVE, PAGE_WRITECOPY), STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, MEM_RESERVE, PAGE_EXECUTE_WRITECOPY), STATUS_INVALID_PAGE_PROTECTION);
    /* Committing inside a reservation checks write-copy too. */
    ULONG Base = 0x50000000;
    SIZE_T Size = 0x10000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS);
    EXPECT_EQ(AllocateFails(t, 0x50001000, 0, 0x1000, MEM_COMMIT, PAGE_WRITECOPY), STATUS_INVALID_PAGE_PROTECTION);
    /* Valid modifiers: read-only write-combined, read/write guard, uncached. */
    EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY | PAGE_WRITECOMBINE),
              STATUS_SUCCESS);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD), STATUS_SUCCESS);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READ | PAGE_NOCACHE),
              STATUS_SUCCESS);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 1);
    DETACH_TEST_PROCESS();
}

/*
 * Reserving over a reservation, committing where nothing is reserved or
 * across two reservations: STATUS_CONFLICTING_ADDRESSES, nothing changed.
 */
KTEST(virtual, allocate_conflicting_addresses)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0x50001010;
    SIZE_T Size = 0x1000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS);
    EXPECT_EQ(Base, 0x50000000);
    EXPECT_EQ(Size, 0x3000);
    /* The same 64 KB again, though past the first reservation's end. */
    EXPECT_EQ(AllocateFails(t, 0x50008000, 0, 0x1000, MEM_RESERVE, PAGE_NOACCESS), STATUS_CONFLICTING_ADDRESSES);
    /* Committing past the reservation's end, or where none is. */
    EXPECT_EQ(AllocateFails(t, 0x50003000, 0, 0x1000, MEM_COMMIT, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    EXPECT_EQ(AllocateFails(t, 0x50002000, 0, 0x2000, MEM_COMMIT, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    EXPECT_EQ(AllocateFails(t, 0x60000000, 0, 0x1000, MEM_COMMIT, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    /* Across two adjacent reservations. */
    Base = 0x50010000;
    Size = 0x10000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS);
    EXPECT_EQ(AllocateFails(t, 0x5000F000, 0, 0x2000, MEM_COMMIT, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    EXPECT_EQ(Process->CommitCharge, 1);    /* one page table, no page committed */
    DETACH_TEST_PROCESS();
}

/* No room below the ZeroBits limit (21 leaves 2 KB), or nowhere at all: STATUS_NO_MEMORY. */
KTEST(virtual, allocate_no_memory)
{
    ATTACH_TEST_PROCESS(false);
    EXPECT_EQ(AllocateFails(t, 0, 21, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_NO_MEMORY);
    /* ZeroBits 12: below 1 MB; 15 of the 16 granules above 64 KB fit, the 16th does not. */
    EXPECT_EQ(AllocateFails(t, 0, 12, 0xF0000, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(AllocateFails(t, 0, 12, 0xF0001, MEM_RESERVE, PAGE_READWRITE), STATUS_NO_MEMORY);
    /* A reservation of (almost) everything, then a second one. */
    ULONG Base = 0;
    SIZE_T Size = 0x7FFE0000 - 0x10000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS);
    EXPECT_EQ(Base, 0x10000);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, MEM_RESERVE, PAGE_NOACCESS), STATUS_NO_MEMORY);
    EXPECT_EQ(AllocateFails(t, 0, 0, 0x1000, MEM_RESERVE | MEM_TOP_DOWN, PAGE_NOACCESS), STATUS_NO_MEMORY);
    DETACH_TEST_PROCESS();
}

/*
 * Sizes and bases as NT rounds them: a reservation starts on the 64 KB
 * below its base and ends with the page holding base + size - 1 (values
 * Windows returns, from ReactOS's NtAllocateVirtualMemory test); a commit
 * is rounded to pages; no base means a size rounded up to pages.
 */
KTEST(virtual, allocate_rounds_as_nt)
{
    static const struct {
        ULONG Base;
        SIZE_T Size, ExpectedSize;
    } Reserve[] = {
        { 0x50000000, 0x0001, 0x1000 }, { 0x50008000, 0x0001, 0x9000 }, { 0x50000010, 0x1000, 0x2000 },
        { 0x50010000, 0x2000, 0x2000 }, { 0x5000FFFF, 0x3000, 0x13000 }, { 0x50001010, 0x7000, 0x9000 },
        { 0x50001010, 0xC000, 0xE000 },
    };
    ATTACH_TEST_PROCESS(false);
    for (ULONG i = 0; i < ARRAY_SIZE(Reserve); i++) {
        ULONG Base = Reserve[i].Base;
        SIZE_T Size = Reserve[i].Size;
        EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS);
        EXPECT_EQ(Base, Reserve[i].Base & ~0xFFFFu);
        EXPECT_EQ(Size, Reserve[i].ExpectedSize);
        EXPECT_EQ(TestFree(Base, Size, MEM_RELEASE), STATUS_SUCCESS);
    }
    ULONG Base = 0x50004080;
    SIZE_T Size = 0x1000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(Base, 0x50000000);
    EXPECT_EQ(Size, 0x6000);
    Base = 0x50002FFF;
    Size = 2;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);
    EXPECT_EQ(Base, 0x50002000);
    EXPECT_EQ(Size, 0x2000);
    EXPECT_EQ(TestFree(0x50000000, 0, MEM_RELEASE), STATUS_SUCCESS);
    Base = 0;
    Size = 200;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(Size, PAGE_SIZE);
    EXPECT_EQ(Base & 0xFFFF, 0);
    DETACH_TEST_PROCESS();
}

/*
 * A UserMode caller's argument pointers are probed and read under a
 * handler: one into system space, or onto a page that is reserved but not
 * committed, is STATUS_ACCESS_VIOLATION; a misaligned one is
 * STATUS_DATATYPE_MISALIGNMENT; a good one is read, and written back.
 */
KTEST(virtual, allocate_access_violation_for_bad_argument_pointers)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Args = 0, Reserved = 0;
    SIZE_T Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Args, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Reserved, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    PVOID *UserBase = (PVOID *)Args;
    PSIZE_T UserSize = (PSIZE_T)(Args + 8);
    PVOID KernelBase = NULL;
    SIZE_T KernelSize = PAGE_SIZE;
    *UserBase = NULL;
    *UserSize = PAGE_SIZE;

    KPROCESSOR_MODE Old = ExpSetPreviousMode(UserMode);
    NTSTATUS InSystem = NtAllocateVirtualMemory(NtCurrentProcess(), &KernelBase, 0, UserSize, MEM_RESERVE,
                                                PAGE_READWRITE);
    NTSTATUS SizeInSystem = NtAllocateVirtualMemory(NtCurrentProcess(), UserBase, 0, &KernelSize, MEM_RESERVE,
                                                    PAGE_READWRITE);
    NTSTATUS NotCommitted = NtAllocateVirtualMemory(NtCurrentProcess(), (PVOID *)Reserved, 0, UserSize, MEM_RESERVE,
                                                    PAGE_READWRITE);
    NTSTATUS Misaligned = NtAllocateVirtualMemory(NtCurrentProcess(), (PVOID *)(Args + 2), 0, UserSize, MEM_RESERVE,
                                                  PAGE_READWRITE);
    NTSTATUS Good = NtAllocateVirtualMemory(NtCurrentProcess(), UserBase, 0, UserSize, MEM_RESERVE, PAGE_READWRITE);
    ExpSetPreviousMode(Old);

    EXPECT_EQ(InSystem, STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(SizeInSystem, STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(NotCommitted, STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(Misaligned, STATUS_DATATYPE_MISALIGNMENT);
    EXPECT_EQ(KernelBase, NULL);
    EXPECT_EQ(Good, STATUS_SUCCESS);
    EXPECT_NE(*UserBase, NULL);
    EXPECT_EQ(*UserSize, PAGE_SIZE);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 3);
    DETACH_TEST_PROCESS();
}

/* FreeType: none, both, or anything but MEM_DECOMMIT and MEM_RELEASE. */
KTEST(virtual, free_invalid_parameter_4)
{
    static const ULONG Types[] = { 0, MEM_DECOMMIT | MEM_RELEASE, MEM_COMMIT, MEM_RELEASE | MEM_RESERVE, 0xFFFFFFFF };
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0;
    SIZE_T Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    for (ULONG i = 0; i < ARRAY_SIZE(Types); i++)
        EXPECT_EQ(FreeFails(t, NtCurrentProcess(), Base, 0, Types[i]), STATUS_INVALID_PARAMETER_4);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 1);
    DETACH_TEST_PROCESS();
}

/* A base above the highest user address (2), a size reaching past it (3), an unknown handle. */
KTEST(virtual, free_invalid_parameters_2_3_and_handle)
{
    ATTACH_TEST_PROCESS(false);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), (ULONG)MmSystemRangeStart + 200, 0, MEM_RELEASE),
              STATUS_INVALID_PARAMETER_2);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), 0x7FFF0000, 0, MEM_RELEASE), STATUS_INVALID_PARAMETER_2);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), 0x7FFEF000, 0x1001, MEM_RELEASE), STATUS_INVALID_PARAMETER_3);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), 0x10000, 0x7FFF0000, MEM_DECOMMIT), STATUS_INVALID_PARAMETER_3);
    EXPECT_EQ(FreeFails(t, NULL, 0x10000, 0, MEM_RELEASE), STATUS_INVALID_HANDLE);
    DETACH_TEST_PROCESS();
}

/*
 * Freeing where no reservation starts or lies (STATUS_MEMORY_NOT_ALLOCATED),
 * a range past a reservation's end (STATUS_UNABLE_TO_FREE_VM), or a size of
 * 0 from the middle (STATUS_FREE_VM_NOT_AT_BASE): ReactOS's test of NT.
 */
KTEST(virtual, free_status_codes)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0x50000000;
    SIZE_T Size = 0x3000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_NOACCESS), STATUS_SUCCESS);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), 0, 0, MEM_RELEASE), STATUS_MEMORY_NOT_ALLOCATED);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), 0x50010000, 0x1000, MEM_RELEASE), STATUS_MEMORY_NOT_ALLOCATED);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), 0x50008000, 0x1000, MEM_DECOMMIT), STATUS_MEMORY_NOT_ALLOCATED);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), 0x50000000, 0x4000, MEM_RELEASE), STATUS_UNABLE_TO_FREE_VM);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), 0x50002000, 0x2000, MEM_DECOMMIT), STATUS_UNABLE_TO_FREE_VM);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), 0x50001000, 0, MEM_RELEASE), STATUS_FREE_VM_NOT_AT_BASE);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), 0x50002000, 0, MEM_DECOMMIT), STATUS_FREE_VM_NOT_AT_BASE);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 1);
    /* Decommitting pages never committed is allowed; a size of 0 at the base releases the whole. */
    PVOID B = (PVOID)0x50000000;
    SIZE_T S = 0x3000;
    EXPECT_EQ(ZwFreeVirtualMemory(NtCurrentProcess(), &B, &S, MEM_DECOMMIT), STATUS_SUCCESS);
    B = (PVOID)0x50000FFF;
    S = 0;
    EXPECT_EQ(ZwFreeVirtualMemory(NtCurrentProcess(), &B, &S, MEM_RELEASE), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)B, 0x50000000);
    EXPECT_EQ(S, 0x3000);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 0);
    EXPECT_EQ(Process->VirtualSize, 0);
    DETACH_TEST_PROCESS();
}

/*
 * Releasing part of a reservation: its start or end shrinks the VAD, its
 * middle splits it in two; the commit of what went is returned, and the
 * rest is still committed, with its data.
 */
KTEST(virtual, release_shrinks_and_splits_the_vad)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0x50000000;
    SIZE_T Size = 0x10000;
    ULONG Value;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    for (ULONG i = 0; i < 16; i++)
        EXPECT_EQ(TestWrite(Base + i * PAGE_SIZE, 0xC0DE0000 + i, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Process->CommitCharge, 16 + 1);
    EXPECT_EQ(TestFree(0x50000000, 0x2000, MEM_RELEASE), STATUS_SUCCESS);     /* the start */
    EXPECT_EQ(TestFree(0x5000E000, 0x2000, MEM_RELEASE), STATUS_SUCCESS);     /* the end */
    EXPECT_EQ(TestFree(0x50006000, 0x1000, MEM_RELEASE), STATUS_SUCCESS);     /* the middle: a split */
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 2);
    EXPECT_EQ(Process->CommitCharge, 11 + 1);
    EXPECT_EQ(Process->Vm.WorkingSetSize, 11);
    EXPECT_EQ(Process->VirtualSize, 11 * PAGE_SIZE);
    for (ULONG i = 0; i < 16; i++) {
        bool Kept = i >= 2 && i < 14 && i != 6;
        EXPECT_EQ(TestRead(Base + i * PAGE_SIZE, &Value, NULL), Kept ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION);
        if (Kept)
            EXPECT_EQ(Value, 0xC0DE0000 + i);
    }
    /* Each piece is a reservation of its own now, and releases at its own base. */
    EXPECT_EQ(TestFree(0x50002000, 0, MEM_RELEASE), STATUS_SUCCESS);
    EXPECT_EQ(FreeFails(t, NtCurrentProcess(), 0x50008000, 0, MEM_RELEASE), STATUS_FREE_VM_NOT_AT_BASE);
    EXPECT_EQ(TestFree(0x50007000, 0, MEM_RELEASE), STATUS_SUCCESS);
    EXPECT_EQ(Process->CommitCharge, 0);
    EXPECT_EQ(Process->WorkingSetList.NumberOfPageTables, 0);
    DETACH_TEST_PROCESS();
}

/* Committing what is committed succeeds and sets the new protection; decommitted pages read zero again. */
KTEST(virtual, recommit_changes_protection_and_decommit_drops_data)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0, Value = 1;
    SIZE_T Size = 0x4000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    ULONG B = Base;
    Size = 0x4000;
    EXPECT_EQ(TestAllocate(&B, &Size, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(TestWrite(Base, 0x1111, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Process->CommitCharge, 4 + 1);
    Size = 0x2000;
    EXPECT_EQ(TestAllocate(&B, &Size, MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);
    EXPECT_EQ(Process->CommitCharge, 4 + 1);        /* nothing new charged */
    EXPECT_EQ(TestRead(Base, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0x1111);                        /* the data stays */
    EXPECT_EQ(TestWrite(Base, 0x2222, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(TestFree(Base, 0x1000, MEM_DECOMMIT), STATUS_SUCCESS);
    EXPECT_EQ(Process->CommitCharge, 3 + 1);
    EXPECT_EQ(TestRead(Base, &Value, NULL), STATUS_ACCESS_VIOLATION);
    Size = 0x1000;
    EXPECT_EQ(TestAllocate(&B, &Size, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(TestRead(Base, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0);
    DETACH_TEST_PROCESS();
}

/* MEM_RESET: the whole pages inside the range keep their state; the dirty bits go; no whole page is conflicting. */
KTEST(virtual, reset_clears_dirty_bits_of_whole_pages)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0;
    SIZE_T Size = 0x3000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    for (ULONG i = 0; i < 3; i++)
        EXPECT_EQ(TestWrite(Base + i * PAGE_SIZE, i + 1, NULL), STATUS_SUCCESS);
    ULONG B = Base + 0x800;
    Size = 0x2000;          /* whole pages inside: only the second */
    EXPECT_EQ(TestAllocate(&B, &Size, MEM_RESET, PAGE_NOACCESS), STATUS_SUCCESS);
    EXPECT_EQ(B, Base + 0x1000);
    EXPECT_EQ(Size, 0x1000);
    EXPECT_TRUE(MiReadPte(MiAddressToPte(Base)).u.Hard.Dirty);
    EXPECT_FALSE(MiReadPte(MiAddressToPte(Base + 0x1000)).u.Hard.Dirty);
    EXPECT_TRUE(MiReadPte(MiAddressToPte(Base + 0x1000)).u.Hard.Valid);
    EXPECT_TRUE(MiReadPte(MiAddressToPte(Base + 0x2000)).u.Hard.Dirty);
    EXPECT_EQ(AllocateFails(t, Base + 0x800, 0, 0x800, MEM_RESET, PAGE_NOACCESS), STATUS_CONFLICTING_ADDRESSES);
    EXPECT_EQ(AllocateFails(t, 0x60000000, 0, 0x1000, MEM_RESET, PAGE_NOACCESS), STATUS_CONFLICTING_ADDRESSES);
    EXPECT_EQ(AllocateFails(t, Base, 0, 0x1000, MEM_RESET, 0), STATUS_INVALID_PAGE_PROTECTION);
    DETACH_TEST_PROCESS();
}

/*
 * NtFreeVirtualMemory and NtProtectVirtualMemory from a UserMode caller:
 * argument pointers into system space, or onto a reserved page (and, for
 * protect, OldProtect there too), are STATUS_ACCESS_VIOLATION with nothing
 * done; good ones are read and written back.
 */
KTEST(virtual, free_and_protect_access_violation_for_bad_argument_pointers)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Args = 0, Reserved = 0, Memory = 0;
    SIZE_T Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Args, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(TestAllocate(&Reserved, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    Size = 2 * PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Memory, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    PVOID *UserBase = (PVOID *)Args;
    PSIZE_T UserSize = (PSIZE_T)(Args + 8);
    PULONG UserOld = (PULONG)(Args + 16);
    SIZE_T KernelSize = PAGE_SIZE;
    ULONG KernelOld;
    *UserBase = (PVOID)Memory;
    *UserSize = PAGE_SIZE;
    *UserOld = 0;

    KPROCESSOR_MODE Old = ExpSetPreviousMode(UserMode);
    NTSTATUS FreeSystem = NtFreeVirtualMemory(NtCurrentProcess(), UserBase, &KernelSize, MEM_DECOMMIT);
    NTSTATUS FreeReserved = NtFreeVirtualMemory(NtCurrentProcess(), (PVOID *)Reserved, UserSize, MEM_DECOMMIT);
    NTSTATUS ProtectSystem = NtProtectVirtualMemory(NtCurrentProcess(), UserBase, UserSize, PAGE_READONLY, &KernelOld);
    NTSTATUS ProtectReserved = NtProtectVirtualMemory(NtCurrentProcess(), UserBase, UserSize, PAGE_READONLY,
                                                      (PULONG)Reserved);
    NTSTATUS ProtectGood = NtProtectVirtualMemory(NtCurrentProcess(), UserBase, UserSize, PAGE_READONLY, UserOld);
    NTSTATUS FreeGood = NtFreeVirtualMemory(NtCurrentProcess(), UserBase, UserSize, MEM_DECOMMIT);
    ExpSetPreviousMode(Old);

    EXPECT_EQ(FreeSystem, STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(FreeReserved, STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(ProtectSystem, STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(ProtectReserved, STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(ProtectGood, STATUS_SUCCESS);
    EXPECT_EQ(*UserOld, PAGE_READWRITE);
    EXPECT_EQ(FreeGood, STATUS_SUCCESS);
    EXPECT_EQ(Process->CommitCharge, 1 + 1 + 1);    /* the argument page, the second page, one page table */
    DETACH_TEST_PROCESS();
}

/*
 * Each service acts on the process its handle names, as NT's do: from the
 * test's own thread (its process the System process), a handle to a test
 * process reserves, commits, protects, queries and frees there — the
 * thread attached for the work and back after — and the System process's
 * own range does not change. A handle to a thread is no process:
 * STATUS_OBJECT_TYPE_MISMATCH.
 */
KTEST(virtual, services_act_on_the_process_a_handle_names)
{
    HANDLE Handle, ThreadHandle;
    OBJECT_ATTRIBUTES Attributes;
    PEPROCESS Process;
    ULONG SystemVads = PsGetCurrentProcess()->VadRoot.NumberGenericTableElements;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    ASSERT_EQ(PsCreateSystemProcess(&Handle, PROCESS_ALL_ACCESS, &Attributes), STATUS_SUCCESS);
    ASSERT_EQ(ObReferenceObjectByHandle(Handle, 0, PsProcessType, KernelMode, (PVOID *)&Process, NULL),
              STATUS_SUCCESS);

    PVOID Base = NULL;
    SIZE_T Size = 3 * PAGE_SIZE;
    ULONG Old;
    MEMORY_BASIC_INFORMATION Info;
    EXPECT_EQ(ZwAllocateVirtualMemory(Handle, &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
              STATUS_SUCCESS);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 1);
    EXPECT_EQ(PsGetCurrentProcess()->VadRoot.NumberGenericTableElements, SystemVads);
    EXPECT_EQ(Process->CommitCharge >= 3, true);
    EXPECT_EQ(ZwProtectVirtualMemory(Handle, &Base, &Size, PAGE_READONLY, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_READWRITE);
    EXPECT_EQ(ZwQueryVirtualMemory(Handle, Base, MemoryBasicInformation, &Info, sizeof(Info), NULL), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)Info.AllocationBase, (ULONG)Base);
    EXPECT_EQ(Info.State, MEM_COMMIT);
    EXPECT_EQ(Info.Protect, PAGE_READONLY);
    EXPECT_EQ(ZwQueryVirtualMemory(NtCurrentProcess(), Base, MemoryBasicInformation, &Info, sizeof(Info), NULL),
              STATUS_SUCCESS);
    EXPECT_EQ(Info.State, MEM_FREE);                    /* not in the System process */
    Size = 0;
    EXPECT_EQ(ZwFreeVirtualMemory(Handle, &Base, &Size, MEM_RELEASE), STATUS_SUCCESS);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 0);
    EXPECT_EQ(KeGetCurrentThread()->ApcStateIndex, OriginalApcEnvironment);   /* detached again */

    ASSERT_EQ(ObOpenObjectByPointer(PsGetCurrentThread(), OBJ_KERNEL_HANDLE, NULL, THREAD_ALL_ACCESS, PsThreadType,
                                    KernelMode, &ThreadHandle), STATUS_SUCCESS);
    Base = NULL;
    Size = PAGE_SIZE;
    EXPECT_EQ(ZwAllocateVirtualMemory(ThreadHandle, &Base, 0, &Size, MEM_RESERVE, PAGE_READWRITE),
              STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(ThreadHandle);
    ObDereferenceObject(Process);
    NtClose(Handle);
}
