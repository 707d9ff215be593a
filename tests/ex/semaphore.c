/*
 * tests/ex/semaphore.c — the Semaphore object type and its services:
 * NtCreateSemaphore, NtReleaseSemaphore, NtQuerySemaphore.
 *
 * NT's rules, written out: a maximum of at least 1 and an initial count
 * between 0 and it (else STATUS_INVALID_PARAMETER); a release count above 0
 * (else STATUS_INVALID_PARAMETER); a release past the maximum changes
 * nothing and is STATUS_SEMAPHORE_LIMIT_EXCEEDED — returned to a user-mode
 * caller, raised to a kernel-mode one (NT's ExSystemExceptionFilter), which
 * without a handler of its own is KMODE_EXCEPTION_NOT_HANDLED.
 */
#include "extest.h"

static SEMAPHORE_BASIC_INFORMATION QuerySemaphore(HANDLE Handle)
{
    SEMAPHORE_BASIC_INFORMATION Info = { -1, -1 };
    NtQuerySemaphore(Handle, SemaphoreBasicInformation, &Info, sizeof(Info), NULL);
    return Info;
}

KTEST(exsemaphore, type_is_nt_semaphore)
{
    ASSERT_NOT_NULL(ExSemaphoreObjectType);
    EXPECT_STREQ(ExSemaphoreObjectType->Name, "Semaphore");
    EXPECT_EQ(ExSemaphoreObjectType->Key, MAKE_TAG('S', 'e', 'm', 'a'));
    EXPECT_EQ(ExSemaphoreObjectType->TypeInfo.ValidAccessMask, 0x1F0003u);
    EXPECT_EQ(ExSemaphoreObjectType->TypeInfo.GenericMapping.GenericRead, 0x00020001u);
    EXPECT_EQ(ExSemaphoreObjectType->TypeInfo.GenericMapping.GenericWrite, 0x00020002u);
    EXPECT_EQ(ExSemaphoreObjectType->TypeInfo.GenericMapping.GenericExecute, 0x00120000u);
    EXPECT_EQ(ExSemaphoreObjectType->TypeInfo.GenericMapping.GenericAll, 0x001F0003u);
    EXPECT_EQ(ExSemaphoreObjectType->TypeInfo.PoolType, NonPagedPool);
    EXPECT_EQ(SEMAPHORE_ALL_ACCESS, 0x1F0003u);
    EXPECT_EQ(SEMAPHORE_MODIFY_STATE, 2u);
}

/* The counts NtCreateSemaphore refuses, and the ones it takes (0 and the maximum included). */
KTEST(exsemaphore, create_checks_the_counts)
{
    static const struct { LONG Initial, Maximum; NTSTATUS Status; } Cases[] = {
        { 0, 0, STATUS_INVALID_PARAMETER },
        { 0, -1, STATUS_INVALID_PARAMETER },
        { -1, 5, STATUS_INVALID_PARAMETER },
        { 6, 5, STATUS_INVALID_PARAMETER },
        { 0x80000000, 0x7FFFFFFF, STATUS_INVALID_PARAMETER },
        { 0, 1, STATUS_SUCCESS },
        { 5, 5, STATUS_SUCCESS },
        { 0x7FFFFFFF, 0x7FFFFFFF, STATUS_SUCCESS },
    };
    LONG Objects = ExSemaphoreObjectType->TotalNumberOfObjects;
    for (ULONG i = 0; i < ARRAY_SIZE(Cases); i++) {
        HANDLE Handle = NULL;
        NTSTATUS Status = NtCreateSemaphore(&Handle, SEMAPHORE_ALL_ACCESS, NULL, Cases[i].Initial, Cases[i].Maximum);
        EXPECT_EQ(Status, Cases[i].Status);
        if (NT_SUCCESS(Status)) {
            SEMAPHORE_BASIC_INFORMATION Info = QuerySemaphore(Handle);
            EXPECT_EQ(Info.CurrentCount, Cases[i].Initial);
            EXPECT_EQ(Info.MaximumCount, Cases[i].Maximum);
            NtClose(Handle);
        } else {
            EXPECT_NULL(Handle);
        }
    }
    EXPECT_EQ(ExSemaphoreObjectType->TotalNumberOfObjects, Objects);
}

/* A release adds to the count and reports the count before; waits take one each. */
KTEST(exsemaphore, release_adds_and_reports_the_count_before)
{
    HANDLE Handle;
    LONG Previous = -1;
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    ASSERT_EQ(NtCreateSemaphore(&Handle, SEMAPHORE_ALL_ACCESS, NULL, 1, 4), STATUS_SUCCESS);
    EXPECT_EQ(NtReleaseSemaphore(Handle, 2, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, 1);
    EXPECT_EQ(QuerySemaphore(Handle).CurrentCount, 3);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Zero), STATUS_WAIT_0);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Zero), STATUS_WAIT_0);
    EXPECT_EQ(NtReleaseSemaphore(Handle, 1, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, 1);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Zero), STATUS_WAIT_0);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Zero), STATUS_WAIT_0);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Zero), STATUS_TIMEOUT);
    EXPECT_EQ(NtReleaseSemaphore(Handle, 4, NULL), STATUS_SUCCESS);      /* up to the maximum exactly */
    EXPECT_EQ(QuerySemaphore(Handle).CurrentCount, 4);
    NtClose(Handle);
}

/* A release count of 0 or less: STATUS_INVALID_PARAMETER (checked before the handle), nothing changes. */
KTEST(exsemaphore, release_count_must_be_positive)
{
    HANDLE Handle;
    LONG Previous = 0x5A5A;
    ASSERT_EQ(NtCreateSemaphore(&Handle, SEMAPHORE_ALL_ACCESS, NULL, 1, 4), STATUS_SUCCESS);
    EXPECT_EQ(NtReleaseSemaphore(Handle, 0, &Previous), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(NtReleaseSemaphore(Handle, -1, &Previous), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(NtReleaseSemaphore((HANDLE)0x7FF8, 0, &Previous), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(Previous, 0x5A5A);
    EXPECT_EQ(QuerySemaphore(Handle).CurrentCount, 1);
    NtClose(Handle);
}

/* Past the maximum from user mode: STATUS_SEMAPHORE_LIMIT_EXCEEDED, the count and *PreviousCount untouched. */
KTEST(exsemaphore, release_past_the_limit_from_user_mode_is_a_status)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handle = (PHANDLE)User.Buffer;
    PLONG Previous = (PLONG)(User.Buffer + 8);
    PSEMAPHORE_BASIC_INFORMATION Info = (PSEMAPHORE_BASIC_INFORMATION)(User.Buffer + 16);
    *Previous = 0x5A5A;
    EXPECT_EQ(EXT_USER_CALL(NtCreateSemaphore(Handle, SEMAPHORE_ALL_ACCESS, NULL, 3, 4)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtReleaseSemaphore(*Handle, 2, Previous)), STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    EXPECT_EQ(EXT_USER_CALL(NtReleaseSemaphore(*Handle, 0x7FFFFFFF, Previous)), STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    EXPECT_EQ(*Previous, 0x5A5A);
    EXPECT_EQ(EXT_USER_CALL(NtQuerySemaphore(*Handle, SemaphoreBasicInformation, Info, 8, NULL)), STATUS_SUCCESS);
    EXPECT_EQ(Info->CurrentCount, 3);
    EXPECT_EQ(EXT_USER_CALL(NtReleaseSemaphore(*Handle, 1, Previous)), STATUS_SUCCESS);
    EXPECT_EQ(*Previous, 3);
    ExtLeaveUserProcess(&User);
}

/* Past the maximum from kernel mode: raised, as NT raises it; the count is untouched and the reference dropped. */
KTEST(exsemaphore, release_past_the_limit_from_kernel_mode_raises)
{
    HANDLE Handle;
    volatile NTSTATUS Raised = STATUS_SUCCESS;
    ASSERT_EQ(NtCreateSemaphore(&Handle, SEMAPHORE_ALL_ACCESS, NULL, 4, 4), STATUS_SUCCESS);
    PVOID Object = ExtObject(Handle);
    ULONG References = ObGetObjectPointerCount(Object);
    EX_TRY {
        ZwReleaseSemaphore(Handle, 1, NULL);
    } EX_EXCEPT(Raised) {
    } EX_END;
    EXPECT_EQ(Raised, STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    EXPECT_EQ(ObGetObjectPointerCount(Object), References);
    EXPECT_EQ(QuerySemaphore(Handle).CurrentCount, 4);
    NtClose(Handle);
}

/* ... and with no handler of the caller's, the machine stops as NT's does: KMODE_EXCEPTION_NOT_HANDLED, the status. */
KTEST_DEATH_P1(exsemaphore, unhandled_limit_raise_in_kernel_mode, KMODE_EXCEPTION_NOT_HANDLED,
               STATUS_SEMAPHORE_LIMIT_EXCEEDED)
{
    HANDLE Handle;
    TEST_REQUIRE(NT_SUCCESS(NtCreateSemaphore(&Handle, SEMAPHORE_ALL_ACCESS, NULL, 1, 1)));
    ZwReleaseSemaphore(Handle, 1, NULL);
}

/* Releasing needs SEMAPHORE_MODIFY_STATE and querying SEMAPHORE_QUERY_STATE, from user mode. */
KTEST(exsemaphore, user_mode_needs_the_right_for_each_service)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    PSEMAPHORE_BASIC_INFORMATION Info = (PSEMAPHORE_BASIC_INFORMATION)(User.Buffer + 16);
    EXPECT_EQ(EXT_USER_CALL(NtCreateSemaphore(&Handles[0], SEMAPHORE_QUERY_STATE, NULL, 0, 2)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtCreateSemaphore(&Handles[1], SEMAPHORE_MODIFY_STATE, NULL, 0, 2)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtReleaseSemaphore(Handles[0], 1, NULL)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtQuerySemaphore(Handles[0], SemaphoreBasicInformation, Info, 8, NULL)), STATUS_SUCCESS);
    EXPECT_EQ(Info->CurrentCount, 0);
    EXPECT_EQ(EXT_USER_CALL(NtReleaseSemaphore(Handles[1], 1, NULL)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtQuerySemaphore(Handles[1], SemaphoreBasicInformation, Info, 8, NULL)),
              STATUS_ACCESS_DENIED);
    ExtLeaveUserProcess(&User);
}

/* NtQuerySemaphore: the class, then the exact length of 8. */
KTEST(exsemaphore, query_checks_class_then_length)
{
    HANDLE Handle;
    ULONG Buffer[3] = { 0xCCCCCCCC, 0xCCCCCCCC, 0xCCCCCCCC };
    ULONG Length = 0;
    ASSERT_EQ(NtCreateSemaphore(&Handle, SEMAPHORE_ALL_ACCESS, NULL, 2, 9), STATUS_SUCCESS);
    EXPECT_EQ(NtQuerySemaphore(Handle, (SEMAPHORE_INFORMATION_CLASS)1, Buffer, 8, NULL), STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(NtQuerySemaphore(Handle, SemaphoreBasicInformation, Buffer, 4, NULL), STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(NtQuerySemaphore(Handle, SemaphoreBasicInformation, Buffer, 12, NULL), STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(Buffer[0], 0xCCCCCCCCu);
    EXPECT_EQ(NtQuerySemaphore(Handle, SemaphoreBasicInformation, Buffer, 8, &Length), STATUS_SUCCESS);
    EXPECT_EQ(Buffer[0], 2u);
    EXPECT_EQ(Buffer[1], 9u);
    EXPECT_EQ(Buffer[2], 0xCCCCCCCCu);
    EXPECT_EQ(Length, 8u);
    NtClose(Handle);
}
