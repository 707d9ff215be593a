/*
 * tests/mm/virtual_test.h — what the user-range tests share: a test process
 * to attach to, and touching user memory under a handler.
 *
 * A test process is an EPROCESS from nonpaged pool with an address space of
 * its own (MmCreateProcessAddressSpace). Attaching (KeStackAttachProcess)
 * makes it the current process, so the services' NtCurrentProcess() and
 * page faults act on it. A test detaches
 * and deletes it before it ends (the leak guards check that everything
 * came back); checks made while attached use EXPECT, never ASSERT, so the
 * test always gets back to the system address space.
 */
#ifndef MM386_TESTS_VIRTUAL_TEST_H
#define MM386_TESTS_VIRTUAL_TEST_H

#include <ex.h>
#include <ktest.h>
#include <pool.h>
#include <ps.h>
#include "../../mm/mi.h"
#include "../../mm/virtual.h"
#include "../testlib.h"

#define TEST_PROCESS_TAG    MAKE_TAG('T', 'P', 'r', 'c')

/* A test process and the state its attachment saves (one attachment at a time per process). */
typedef struct _TEST_USER_PROCESS {
    EPROCESS Process;
    KAPC_STATE ApcState;
} TEST_USER_PROCESS;

/* A process with an empty user range, or NULL if memory ran out. */
static inline PEPROCESS TestCreateUserProcess(bool LargeAddressAware)
{
    TEST_USER_PROCESS *Test = ExAllocatePoolWithTag(NonPagedPool, sizeof(*Test), TEST_PROCESS_TAG);
    if (!Test)
        return NULL;
    if (!NT_SUCCESS(TestCreateProcess(&Test->Process))) {
        ExFreePoolWithTag(Test, TEST_PROCESS_TAG);
        return NULL;
    }
    Test->Process.LargeAddressAware = LargeAddressAware;
    strlcpy(Test->Process.ImageFileName, "ktest", sizeof(Test->Process.ImageFileName));
    return &Test->Process;
}

/*
 * Attaches to Process (KeStackAttachProcess) and returns what TestDetach
 * needs to come back. Process must come from TestCreateUserProcess: the
 * saved state lives beside its EPROCESS, so another process (a running
 * program's) would have memory past its object written — that stops the
 * machine here instead (attach with a KAPC_STATE of the test's own).
 */
static inline PKAPC_STATE TestAttach(PEPROCESS Process)
{
    TEST_REQUIRE(strcmp(Process->ImageFileName, "ktest") == 0);
    PKAPC_STATE ApcState = &CONTAINING_RECORD(Process, TEST_USER_PROCESS, Process)->ApcState;
    KeStackAttachProcess(&Process->Pcb, ApcState);
    return ApcState;
}

static inline void TestDetach(PKAPC_STATE Previous)
{
    KeUnstackDetachProcess(Previous);
}

/* Deletes a process that is not current: its user range, then its address space. */
static inline void TestDeleteUserProcess(PEPROCESS Process)
{
    TestDeleteProcess(Process);
    ExFreePoolWithTag(CONTAINING_RECORD(Process, TEST_USER_PROCESS, Process), TEST_PROCESS_TAG);
}

/* ZwAllocateVirtualMemory with the base and size passed by value; results in *Base and *Size. */
static inline NTSTATUS TestAllocate(ULONG *Base, SIZE_T *Size, ULONG Type, ULONG Protect)
{
    PVOID B = (PVOID)*Base;
    SIZE_T S = *Size;
    NTSTATUS Status = ZwAllocateVirtualMemory(NtCurrentProcess(), &B, 0, &S, Type, Protect);
    *Base = (ULONG)B;
    *Size = S;
    return Status;
}

static inline NTSTATUS TestFree(ULONG Base, SIZE_T Size, ULONG Type)
{
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;
    return ZwFreeVirtualMemory(NtCurrentProcess(), &B, &S, Type);
}

static inline NTSTATUS TestProtect(ULONG Base, SIZE_T Size, ULONG Protect, ULONG *Old)
{
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;
    return ZwProtectVirtualMemory(NtCurrentProcess(), &B, &S, Protect, Old);
}

static inline NTSTATUS TestQuery(ULONG Va, PMEMORY_BASIC_INFORMATION Info)
{
    return ZwQueryVirtualMemory(NtCurrentProcess(), (PVOID)Va, MemoryBasicInformation, Info, sizeof(*Info), NULL);
}

/*
 * Reads or writes a word of user memory under a handler: STATUS_SUCCESS or
 * the exception; *Record (if given) gets what the handler saw.
 */
static inline NTSTATUS TestRead(ULONG Va, ULONG *Value, PEXCEPTION_RECORD Record)
{
    NTSTATUS Status;
    EX_TRY {
        *Value = *(volatile ULONG *)Va;
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
        if (Record)
            EX_GET_EXCEPTION_RECORD(Record);
    } EX_END;
    return Status;
}

static inline NTSTATUS TestWrite(ULONG Va, ULONG Value, PEXCEPTION_RECORD Record)
{
    NTSTATUS Status;
    EX_TRY {
        *(volatile ULONG *)Va = Value;
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
        if (Record)
            EX_GET_EXCEPTION_RECORD(Record);
    } EX_END;
    return Status;
}

#endif
