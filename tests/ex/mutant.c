/*
 * tests/ex/mutant.c — the Mutant object type and its services:
 * NtCreateMutant, NtReleaseMutant, NtQueryMutant, and its delete procedure.
 *
 * NT's rules, written out: a mutant's count is 1 free and 1 - n held n
 * times; NtReleaseMutant needs no access right but ownership, and reports
 * the count before; anyone else's release is STATUS_MUTANT_NOT_OWNED (to a
 * user-mode caller; raised to a kernel-mode one); a mutant whose owner died
 * holding it is abandoned — the next wait returns STATUS_ABANDONED_WAIT_0
 * and the query says AbandonedState; a mutant deleted while owned is
 * released as abandoned (NT's ExpDeleteMutant), off its owner's list.
 */
#include "extest.h"

static MUTANT_BASIC_INFORMATION QueryMutant(HANDLE Handle)
{
    MUTANT_BASIC_INFORMATION Info = { -99, 0xCC, 0xCC };
    NtQueryMutant(Handle, MutantBasicInformation, &Info, sizeof(Info), NULL);
    return Info;
}

KTEST(exmutant, type_is_nt_mutant)
{
    ASSERT_NOT_NULL(ExMutantObjectType);
    EXPECT_STREQ(ExMutantObjectType->Name, "Mutant");
    EXPECT_EQ(ExMutantObjectType->Key, MAKE_TAG('M', 'u', 't', 'a'));
    EXPECT_EQ(ExMutantObjectType->TypeInfo.ValidAccessMask, 0x1F0001u);
    EXPECT_EQ(ExMutantObjectType->TypeInfo.GenericMapping.GenericRead, 0x00020001u);
    EXPECT_EQ(ExMutantObjectType->TypeInfo.GenericMapping.GenericWrite, 0x00020000u);
    EXPECT_EQ(ExMutantObjectType->TypeInfo.GenericMapping.GenericExecute, 0x00120000u);
    EXPECT_EQ(ExMutantObjectType->TypeInfo.GenericMapping.GenericAll, 0x001F0001u);
    EXPECT_NOT_NULL(ExMutantObjectType->TypeInfo.DeleteProcedure);
    EXPECT_EQ(MUTANT_ALL_ACCESS, 0x1F0001u);
    EXPECT_EQ(MUTANT_QUERY_STATE, 1u);
}

/* Created free or owned; taken again recursively; each release reports the count before. */
KTEST(exmutant, ownership_counts_and_previous_count)
{
    HANDLE Free, Owned;
    LONG Previous = 99;
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    ASSERT_EQ(NtCreateMutant(&Free, MUTANT_ALL_ACCESS, NULL, FALSE), STATUS_SUCCESS);
    ASSERT_EQ(NtCreateMutant(&Owned, MUTANT_ALL_ACCESS, NULL, TRUE), STATUS_SUCCESS);

    MUTANT_BASIC_INFORMATION Info = QueryMutant(Free);
    EXPECT_EQ(Info.CurrentCount, 1);
    EXPECT_FALSE(Info.OwnedByCaller);
    EXPECT_FALSE(Info.AbandonedState);
    Info = QueryMutant(Owned);
    EXPECT_EQ(Info.CurrentCount, 0);
    EXPECT_TRUE(Info.OwnedByCaller);

    EXPECT_EQ(NtWaitForSingleObject(Owned, FALSE, &Zero), STATUS_WAIT_0);     /* recursive */
    EXPECT_EQ(QueryMutant(Owned).CurrentCount, -1);
    EXPECT_EQ(NtReleaseMutant(Owned, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, -1);
    EXPECT_EQ(NtReleaseMutant(Owned, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, 0);
    Info = QueryMutant(Owned);
    EXPECT_EQ(Info.CurrentCount, 1);
    EXPECT_FALSE(Info.OwnedByCaller);
    NtClose(Free);
    NtClose(Owned);
}

/* A release by one who does not own it, from user mode: STATUS_MUTANT_NOT_OWNED, nothing changes. */
KTEST(exmutant, release_not_owned_from_user_mode_is_a_status)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handle = (PHANDLE)User.Buffer;
    PLONG Previous = (PLONG)(User.Buffer + 8);
    *Previous = 0x5A5A;
    /* The release needs no right at all: a handle with none is enough for the owner, and refuses the others. */
    EXPECT_EQ(EXT_USER_CALL(NtCreateMutant(Handle, 0, NULL, FALSE)), STATUS_SUCCESS);
    EXPECT_EQ(ExtGrantedAccess(*Handle), 0u);
    EXPECT_EQ(EXT_USER_CALL(NtReleaseMutant(*Handle, Previous)), STATUS_MUTANT_NOT_OWNED);
    EXPECT_EQ(*Previous, 0x5A5A);
    EXPECT_EQ(KeReadStateMutant(ExtObject(*Handle)), 1);
    ExtLeaveUserProcess(&User);
}

/* From kernel mode the refusal is raised, as NT raises it. */
KTEST(exmutant, release_not_owned_from_kernel_mode_raises)
{
    HANDLE Handle;
    volatile NTSTATUS Raised = STATUS_SUCCESS;
    ASSERT_EQ(NtCreateMutant(&Handle, MUTANT_ALL_ACCESS, NULL, FALSE), STATUS_SUCCESS);
    EX_TRY {
        ZwReleaseMutant(Handle, NULL);
    } EX_EXCEPT(Raised) {
    } EX_END;
    EXPECT_EQ(Raised, STATUS_MUTANT_NOT_OWNED);
    EXPECT_EQ(QueryMutant(Handle).CurrentCount, 1);
    NtClose(Handle);
}

typedef struct _MUTANT_TASK {
    HANDLE Handle;
    volatile NTSTATUS Status;
    LONG Previous;
} MUTANT_TASK;

static void TakeAndExit(PVOID Context)
{
    MUTANT_TASK *Task = Context;
    Task->Status = NtWaitForSingleObject(Task->Handle, FALSE, NULL);
}

/* A kernel-mode release by a thread that does not own the mutant: the raised status. */
static void TryToRelease(PVOID Context)
{
    MUTANT_TASK *Task = Context;
    volatile NTSTATUS Raised;
    EX_TRY {
        Raised = NtReleaseMutant(Task->Handle, NULL);
    } EX_EXCEPT(Raised) {
    } EX_END;
    Task->Status = Raised;
}

/*
 * A thread that ends owning a mutant abandons it: the next owner's wait
 * returns STATUS_ABANDONED_WAIT_0, the query says abandoned until then, and
 * a release by a non-owner meanwhile is STATUS_ABANDONED (NT's status for
 * releasing an abandoned mutant one does not own).
 */
KTEST(exmutant, owner_death_abandons)
{
    HANDLE Handle;
    OBJECT_ATTRIBUTES Attributes;
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    ASSERT_EQ(NtCreateMutant(&Handle, MUTANT_ALL_ACCESS, ExtKernelAttributes(&Attributes), FALSE), STATUS_SUCCESS);
    MUTANT_TASK Task = { Handle, STATUS_PENDING, 0 };
    EXPECT_TRUE(TestJoinThread(TestStartThread(TakeAndExit, &Task, 9)));
    EXPECT_EQ(Task.Status, STATUS_WAIT_0);

    MUTANT_BASIC_INFORMATION Info = QueryMutant(Handle);
    EXPECT_EQ(Info.CurrentCount, 1);
    EXPECT_TRUE(Info.AbandonedState);
    Task.Status = STATUS_PENDING;
    EXPECT_TRUE(TestJoinThread(TestStartThread(TryToRelease, &Task, 9)));
    EXPECT_EQ(Task.Status, STATUS_ABANDONED);

    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Zero), STATUS_ABANDONED_WAIT_0);
    Info = QueryMutant(Handle);
    EXPECT_EQ(Info.CurrentCount, 0);
    EXPECT_TRUE(Info.OwnedByCaller);
    EXPECT_FALSE(Info.AbandonedState);
    EXPECT_EQ(NtReleaseMutant(Handle, NULL), STATUS_SUCCESS);
    NtClose(Handle);
}

/*
 * Closing the last handle of a mutant the thread owns deletes it: the
 * delete procedure releases it as abandoned, which takes it off the
 * thread's list of owned mutants (else the thread's exit would walk freed
 * memory). The list is back as it was, and the object is gone.
 */
KTEST(exmutant, delete_while_owned_leaves_the_owner_list)
{
    HANDLE Handle;
    PKTHREAD Thread = KeGetCurrentThread();
    PLIST_ENTRY Before = Thread->MutantListHead.Flink;
    LONG Objects = ExMutantObjectType->TotalNumberOfObjects;
    ASSERT_EQ(NtCreateMutant(&Handle, MUTANT_ALL_ACCESS, NULL, TRUE), STATUS_SUCCESS);
    PKMUTANT Mutant = ExtObject(Handle);
    EXPECT_EQ(Thread->MutantListHead.Flink, &Mutant->MutantListEntry);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    EXPECT_EQ(ExMutantObjectType->TotalNumberOfObjects, Objects);
    EXPECT_EQ(Thread->MutantListHead.Flink, Before);
}

/* NtQueryMutant probes first, then checks the class and the exact length (8); MUTANT_QUERY_STATE from user mode. */
KTEST(exmutant, query_checks_class_length_and_access)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    PMUTANT_BASIC_INFORMATION Info = (PMUTANT_BASIC_INFORMATION)(User.Buffer + 16);
    EXPECT_EQ(EXT_USER_CALL(NtCreateMutant(&Handles[0], MUTANT_QUERY_STATE, NULL, TRUE)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtCreateMutant(&Handles[1], SYNCHRONIZE, NULL, FALSE)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtQueryMutant(Handles[0], (MUTANT_INFORMATION_CLASS)1, Info, 8, NULL)),
              STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(EXT_USER_CALL(NtQueryMutant(Handles[0], MutantBasicInformation, Info, 6, NULL)),
              STATUS_INFO_LENGTH_MISMATCH);
    /* The probe comes first: a bad buffer wins over a bad class. */
    EXPECT_EQ(EXT_USER_CALL(NtQueryMutant(Handles[0], (MUTANT_INFORMATION_CLASS)1, NULL, 8, NULL)),
              STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(EXT_USER_CALL(NtQueryMutant(Handles[0], MutantBasicInformation, Info, 8, NULL)), STATUS_SUCCESS);
    EXPECT_EQ(Info->CurrentCount, 0);
    EXPECT_TRUE(Info->OwnedByCaller);
    EXPECT_EQ(EXT_USER_CALL(NtQueryMutant(Handles[1], MutantBasicInformation, Info, 8, NULL)),
              STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtReleaseMutant(Handles[0], NULL)), STATUS_SUCCESS);
    ExtLeaveUserProcess(&User);
}
