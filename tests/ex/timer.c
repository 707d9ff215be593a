/*
 * tests/ex/timer.c — the Timer object type and its services: NtCreateTimer,
 * NtSetTimer, NtCancelTimer, NtQueryTimer, the completion routine (the
 * timer's DPC queueing its APC to the thread that set it), ExTimerRundown
 * and the delete procedure.
 *
 * NT's rules, written out: a timer is created reset; NtSetTimer cancels
 * whatever was set, reports the state before and resets it; a notification
 * timer stays signalled once due, a synchronization timer releases one
 * waiter; a periodic timer fires every Period ms; the completion routine
 * runs in the setting thread with its context and the expiry's system time,
 * once for a one-shot timer, every period for a periodic one, never after a
 * cancel or a new set; a thread's end cancels the routines it would run.
 * Times are checked against the clock read independently around each step
 * (a timer fires at the first clock tick at or after its due time).
 */
#include "extest.h"

static BOOLEAN TimerState(HANDLE Handle)
{
    TIMER_BASIC_INFORMATION Info;
    memset(&Info, 0xCC, sizeof(Info));
    NtQueryTimer(Handle, TimerBasicInformation, &Info, sizeof(Info), NULL);
    return Info.TimerState;
}

static LONGLONG Now(void)
{
    LARGE_INTEGER Time;
    KeQuerySystemTime(&Time);
    return Time.QuadPart;
}

KTEST(extimer, type_is_nt_timer)
{
    ASSERT_NOT_NULL(ExTimerObjectType);
    EXPECT_STREQ(ExTimerObjectType->Name, "Timer");
    EXPECT_EQ(ExTimerObjectType->Key, MAKE_TAG('T', 'i', 'm', 'e'));
    EXPECT_EQ(ExTimerObjectType->TypeInfo.ValidAccessMask, 0x1F0003u);
    EXPECT_EQ(ExTimerObjectType->TypeInfo.GenericMapping.GenericRead, 0x00020001u);
    EXPECT_EQ(ExTimerObjectType->TypeInfo.GenericMapping.GenericWrite, 0x00020002u);
    EXPECT_EQ(ExTimerObjectType->TypeInfo.GenericMapping.GenericExecute, 0x00120000u);
    EXPECT_EQ(ExTimerObjectType->TypeInfo.GenericMapping.GenericAll, 0x001F0003u);
    EXPECT_NOT_NULL(ExTimerObjectType->TypeInfo.DeleteProcedure);
    EXPECT_EQ(TIMER_QUERY_STATE, 1u);
    EXPECT_EQ(TIMER_MODIFY_STATE, 2u);
}

/* A timer type other than notification or synchronization: STATUS_INVALID_PARAMETER_4, checked before the probe. */
KTEST(extimer, create_checks_the_type_first)
{
    EXT_USER User;
    HANDLE Handle;
    EXPECT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, (TIMER_TYPE)2), STATUS_INVALID_PARAMETER_4);
    EXT_ENTER_USER_PROCESS(&User);
    EXPECT_EQ(EXT_USER_CALL(NtCreateTimer(NULL, TIMER_ALL_ACCESS, NULL, (TIMER_TYPE)7)), STATUS_INVALID_PARAMETER_4);
    EXPECT_EQ(EXT_USER_CALL(NtCreateTimer(NULL, TIMER_ALL_ACCESS, NULL, NotificationTimer)), STATUS_ACCESS_VIOLATION);
    ExtLeaveUserProcess(&User);
}

/* A notification timer is signalled once due and stays so; a set resets it and reports it was signalled. */
KTEST(extimer, notification_timer_signals_and_stays_signalled)
{
    HANDLE Handle;
    BOOLEAN Previous = 0xCC;
    LARGE_INTEGER Due = ExtTicks(2), Timeout = ExtTicks(50), Zero = { .QuadPart = 0 };
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);
    EXPECT_FALSE(TimerState(Handle));
    EXPECT_EQ(NtSetTimer(Handle, &Due, NULL, NULL, FALSE, 0, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, FALSE);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Timeout), STATUS_WAIT_0);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Zero), STATUS_WAIT_0);
    EXPECT_TRUE(TimerState(Handle));
    Due = ExtTicks(100);
    EXPECT_EQ(NtSetTimer(Handle, &Due, NULL, NULL, FALSE, 0, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, TRUE);
    EXPECT_FALSE(TimerState(Handle));
    EXPECT_EQ(NtCancelTimer(Handle, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, FALSE);
    NtClose(Handle);
}

/* A synchronization timer releases one wait and resets. */
KTEST(extimer, synchronization_timer_releases_one_wait)
{
    HANDLE Handle;
    LARGE_INTEGER Due = ExtTicks(1), Timeout = ExtTicks(50), Zero = { .QuadPart = 0 };
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, SynchronizationTimer), STATUS_SUCCESS);
    EXPECT_EQ(NtSetTimer(Handle, &Due, NULL, NULL, FALSE, 0, NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Timeout), STATUS_WAIT_0);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Zero), STATUS_TIMEOUT);
    EXPECT_FALSE(TimerState(Handle));
    NtClose(Handle);
}

/* An absolute due time (a system time) a few ticks ahead: due then, not before. */
KTEST(extimer, absolute_due_time)
{
    HANDLE Handle;
    LARGE_INTEGER Timeout = ExtTicks(50), Zero = { .QuadPart = 0 };
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);
    LONGLONG Set = Now();
    LARGE_INTEGER Due = { .QuadPart = Set + 3 * (LONGLONG)KeQueryTimeIncrement() };
    EXPECT_EQ(NtSetTimer(Handle, &Due, NULL, NULL, FALSE, 0, NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Zero), STATUS_TIMEOUT);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Timeout), STATUS_WAIT_0);
    EXPECT_GE(Now(), Due.QuadPart);
    NtClose(Handle);
}

/* A cancelled timer never fires; a negative period is STATUS_INVALID_PARAMETER_6 and sets nothing. */
KTEST(extimer, cancel_and_bad_period)
{
    HANDLE Handle;
    LARGE_INTEGER Due = ExtTicks(2), Timeout = ExtTicks(6);
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);
    EXPECT_EQ(NtSetTimer(Handle, &Due, NULL, NULL, FALSE, -1, NULL), STATUS_INVALID_PARAMETER_6);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Timeout), STATUS_TIMEOUT);
    EXPECT_EQ(NtSetTimer(Handle, &Due, NULL, NULL, FALSE, 0, NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtCancelTimer(Handle, NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Timeout), STATUS_TIMEOUT);
    NtClose(Handle);
}

/* A periodic synchronization timer fires again and again, every period. */
KTEST(extimer, periodic_timer_fires_every_period)
{
    HANDLE Handle;
    LARGE_INTEGER Due = ExtTicks(1), Timeout = ExtTicks(20);
    ULONG Period = KeQueryTimeIncrement() / 10000 * 2;      /* two clock ticks, in ms */
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, SynchronizationTimer), STATUS_SUCCESS);
    EXPECT_EQ(NtSetTimer(Handle, &Due, NULL, NULL, FALSE, Period, NULL), STATUS_SUCCESS);
    LONGLONG Start = Now();
    for (int i = 0; i < 4; i++)
        EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Timeout), STATUS_WAIT_0);
    /* Four expiries: the first after a tick, three more a period apart. */
    EXPECT_GE(Now() - Start, 3 * (LONGLONG)Period * 10000);
    EXPECT_EQ(NtCancelTimer(Handle, NULL), STATUS_SUCCESS);
    NtClose(Handle);
}

/* NtQueryTimer: class, exact length (NT's 16, not a packed 12), the state and the time left to the due time. */
KTEST(extimer, query_reports_state_and_remaining_time)
{
    HANDLE Handle;
    TIMER_BASIC_INFORMATION Info;
    ULONG Length = 0;
    LARGE_INTEGER Due = ExtTicks(100);
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);
    EXPECT_EQ(NtQueryTimer(Handle, (TIMER_INFORMATION_CLASS)1, &Info, 16, NULL), STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(NtQueryTimer(Handle, TimerBasicInformation, &Info, 12, NULL), STATUS_INFO_LENGTH_MISMATCH);
    ULONGLONG Before = KeQueryInterruptTime();
    EXPECT_EQ(NtSetTimer(Handle, &Due, NULL, NULL, FALSE, 0, NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtQueryTimer(Handle, TimerBasicInformation, &Info, 16, &Length), STATUS_SUCCESS);
    ULONGLONG After = KeQueryInterruptTime();
    EXPECT_EQ(Length, 16u);
    EXPECT_FALSE(Info.TimerState);
    /* Due at set time + 100 ticks; queried at most (After - Before) later. */
    EXPECT_LE(Info.RemainingTime.QuadPart, 100 * (LONGLONG)KeQueryTimeIncrement());
    EXPECT_GE(Info.RemainingTime.QuadPart, 100 * (LONGLONG)KeQueryTimeIncrement() - (LONGLONG)(After - Before));
    NtCancelTimer(Handle, NULL);
    NtClose(Handle);
}

/* A wake timer is set like any other, with NT's answer for a machine that cannot wake on one. */
KTEST(extimer, wake_timer_is_set_and_reported_ignored)
{
    HANDLE Handle;
    LARGE_INTEGER Due = ExtTicks(1), Timeout = ExtTicks(50);
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);
    EXPECT_EQ(NtSetTimer(Handle, &Due, NULL, NULL, TRUE, 0, NULL), STATUS_TIMER_RESUME_IGNORED);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Timeout), STATUS_WAIT_0);
    NtClose(Handle);
}

/* What a completion routine saw. */
typedef struct _TIMER_CALLS {
    volatile ULONG Calls;
    PVOID Context;
    PKTHREAD Thread;
    KIRQL Irql;
    LONGLONG Time;                      /* the expiry's system time, as the routine got it */
} TIMER_CALLS;

static void CountCall(PVOID TimerContext, ULONG TimerLowValue, LONG TimerHighValue)
{
    TIMER_CALLS *Calls = TimerContext;
    Calls->Context = TimerContext;
    Calls->Thread = KeGetCurrentThread();
    Calls->Irql = KeGetCurrentIrql();
    Calls->Time = ((LONGLONG)TimerHighValue << 32) | TimerLowValue;
    Calls->Calls++;
}

/*
 * A kernel-mode caller's routine runs once, in the thread that set the
 * timer, at PASSIVE_LEVEL, with its context and the system time the timer
 * expired at. Afterwards only the handle holds the timer, and the thread's
 * list of timers is empty again.
 */
KTEST(extimer, completion_routine_runs_once_in_the_setting_thread)
{
    HANDLE Handle;
    TIMER_CALLS Calls = { 0 };
    LARGE_INTEGER Due = ExtTicks(2), Sleep = ExtTicks(6);
    PETHREAD Thread = PsGetCurrentThread();
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);
    LONGLONG Set = Now();
    EXPECT_EQ(NtSetTimer(Handle, &Due, CountCall, &Calls, FALSE, 0, NULL), STATUS_SUCCESS);
    EXPECT_FALSE(IsListEmpty(&Thread->ActiveTimerListHead));
    EXPECT_EQ(ObGetObjectPointerCount(ExtObject(Handle)), 2u);        /* the handle's and the routine's */
    KeDelayExecutionThread(KernelMode, FALSE, &Sleep);
    EXPECT_EQ(Calls.Calls, 1u);
    EXPECT_EQ(Calls.Context, &Calls);
    EXPECT_EQ(Calls.Thread, &Thread->Tcb);
    EXPECT_EQ(Calls.Irql, PASSIVE_LEVEL);
    EXPECT_GE(Calls.Time, Set + 2 * (LONGLONG)KeQueryTimeIncrement());
    EXPECT_LE(Calls.Time, Now());
    EXPECT_TRUE(IsListEmpty(&Thread->ActiveTimerListHead));
    EXPECT_EQ(ObGetObjectPointerCount(ExtObject(Handle)), 1u);
    EXPECT_TRUE(TimerState(Handle));
    NtClose(Handle);
}

/* A periodic timer's routine runs every period until the timer is cancelled, and never after. */
KTEST(extimer, periodic_routine_runs_until_cancelled)
{
    HANDLE Handle;
    TIMER_CALLS Calls = { 0 };
    LARGE_INTEGER Due = ExtTicks(1), Sleep = ExtTicks(8);
    ULONG Period = KeQueryTimeIncrement() / 10000;          /* one tick, in ms */
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);
    EXPECT_EQ(NtSetTimer(Handle, &Due, CountCall, &Calls, FALSE, Period, NULL), STATUS_SUCCESS);
    KeDelayExecutionThread(KernelMode, FALSE, &Sleep);
    EXPECT_GE(Calls.Calls, 3u);
    EXPECT_EQ(NtCancelTimer(Handle, NULL), STATUS_SUCCESS);
    ULONG Seen = Calls.Calls;
    KeDelayExecutionThread(KernelMode, FALSE, &Sleep);
    EXPECT_EQ(Calls.Calls, Seen);
    EXPECT_TRUE(IsListEmpty(&PsGetCurrentThread()->ActiveTimerListHead));
    EXPECT_EQ(ObGetObjectPointerCount(ExtObject(Handle)), 1u);
    NtClose(Handle);
}

/* Set again with another routine before it was due: only the new routine runs. Cancelled: none does. */
KTEST(extimer, set_again_or_cancel_replaces_the_routine)
{
    HANDLE Handle;
    TIMER_CALLS First = { 0 }, Second = { 0 };
    LARGE_INTEGER Due = ExtTicks(3), Sleep = ExtTicks(8);
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);
    EXPECT_EQ(NtSetTimer(Handle, &Due, CountCall, &First, FALSE, 0, NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtSetTimer(Handle, &Due, CountCall, &Second, FALSE, 0, NULL), STATUS_SUCCESS);
    KeDelayExecutionThread(KernelMode, FALSE, &Sleep);
    EXPECT_EQ(First.Calls, 0u);
    EXPECT_EQ(Second.Calls, 1u);
    EXPECT_EQ(NtSetTimer(Handle, &Due, CountCall, &First, FALSE, 0, NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtCancelTimer(Handle, NULL), STATUS_SUCCESS);
    KeDelayExecutionThread(KernelMode, FALSE, &Sleep);
    EXPECT_EQ(First.Calls, 0u);
    EXPECT_EQ(ObGetObjectPointerCount(ExtObject(Handle)), 1u);
    NtClose(Handle);
}

/*
 * A cancel after the timer expired but before its routine could run (the
 * thread holds kernel APCs off): the queued APC is taken back, the routine
 * never runs, and both references it held come back.
 */
KTEST(extimer, cancel_takes_back_a_queued_routine)
{
    HANDLE Handle;
    TIMER_CALLS Calls = { 0 };
    LARGE_INTEGER Due = ExtTicks(1), Timeout = ExtTicks(50);
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);
    KeEnterCriticalRegion();
    EXPECT_EQ(NtSetTimer(Handle, &Due, CountCall, &Calls, FALSE, 0, NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Timeout), STATUS_WAIT_0);
    EXPECT_EQ(ObGetObjectPointerCount(ExtObject(Handle)), 3u);        /* handle, association, queued APC */
    EXPECT_EQ(NtCancelTimer(Handle, NULL), STATUS_SUCCESS);
    KeLeaveCriticalRegion();
    EXPECT_EQ(Calls.Calls, 0u);
    EXPECT_EQ(ObGetObjectPointerCount(ExtObject(Handle)), 1u);
    NtClose(Handle);
}

/* The last handle closed while a routine is due: the timer lives on until the routine has run, then dies. */
KTEST(extimer, routine_keeps_a_closed_timer_until_it_runs)
{
    HANDLE Handle;
    TIMER_CALLS Calls = { 0 };
    LARGE_INTEGER Due = ExtTicks(2), Sleep = ExtTicks(6);
    LONG Objects = ExTimerObjectType->TotalNumberOfObjects;
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);
    EXPECT_EQ(NtSetTimer(Handle, &Due, CountCall, &Calls, FALSE, 0, NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    EXPECT_EQ(ExTimerObjectType->TotalNumberOfObjects, Objects + 1);
    KeDelayExecutionThread(KernelMode, FALSE, &Sleep);
    EXPECT_EQ(Calls.Calls, 1u);
    ObpProcessRemoveObjectQueue();      /* the last reference went at APC_LEVEL: a deferred deletion */
    EXPECT_EQ(ExTimerObjectType->TotalNumberOfObjects, Objects);
}

typedef struct _TIMER_SETTER {
    HANDLE Handle;
    TIMER_CALLS Calls;
    volatile NTSTATUS Status;
} TIMER_SETTER;

static void SetTimerAndExit(PVOID Context)
{
    TIMER_SETTER *Setter = Context;
    LARGE_INTEGER Due = ExtTicks(3);
    Setter->Status = NtSetTimer(Setter->Handle, &Due, CountCall, &Setter->Calls, FALSE, 0, NULL);
}

/* A thread that ends with a routine still due: its end cancels the timer (ExTimerRundown); nothing runs. */
KTEST(extimer, thread_end_cancels_its_routines)
{
    OBJECT_ATTRIBUTES Attributes;
    TIMER_SETTER Setter = { .Status = STATUS_PENDING };
    LARGE_INTEGER Timeout = ExtTicks(8);
    ASSERT_EQ(NtCreateTimer(&Setter.Handle, TIMER_ALL_ACCESS, ExtKernelAttributes(&Attributes), NotificationTimer),
              STATUS_SUCCESS);
    EXPECT_TRUE(TestJoinThread(TestStartThread(SetTimerAndExit, &Setter, 9)));
    EXPECT_EQ(Setter.Status, STATUS_SUCCESS);
    EXPECT_EQ(ObGetObjectPointerCount(ExtObject(Setter.Handle)), 1u);
    EXPECT_EQ(NtWaitForSingleObject(Setter.Handle, FALSE, &Timeout), STATUS_TIMEOUT);
    EXPECT_EQ(Setter.Calls.Calls, 0u);
    NtClose(Setter.Handle);
}

/*
 * Closing a set timer deletes it, and the delete procedure takes it out of
 * the kernel's timer table first: the block is given out again and zeroed,
 * and the due time passes without anything touching it (a timer left in
 * the table would be expired there, in memory that is no longer its own).
 */
KTEST(extimer, delete_takes_a_set_timer_out_of_the_timer_table)
{
    HANDLE Handle;
    BOOLEAN Quota;
    LARGE_INTEGER Due = ExtTicks(2), Sleep = ExtTicks(5);
    ASSERT_EQ(NtCreateTimer(&Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);
    PVOID Header = OBJECT_TO_OBJECT_HEADER(ExtObject(Handle));
    SIZE_T Size = ExQueryPoolBlockSize(Header, &Quota);
    EXPECT_EQ(NtSetTimer(Handle, &Due, NULL, NULL, FALSE, 0, NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    PUCHAR Block = ExAllocatePoolWithTag(NonPagedPool, Size, MAKE_TAG('T', 'm', 'r', 'T'));
    ASSERT_NOT_NULL(Block);
    if (Block != Header) {
        ExFreePoolWithTag(Block, MAKE_TAG('T', 'm', 'r', 'T'));
        KTEST_SKIP("the pool did not hand the timer's block back at once");
    }
    memset(Block, 0, Size);
    KeDelayExecutionThread(KernelMode, FALSE, &Sleep);
    ULONG Touched = 0;
    for (SIZE_T i = 0; i < Size; i++)
        Touched += Block[i] != 0;
    EXPECT_EQ(Touched, 0u);
    ExFreePoolWithTag(Block, MAKE_TAG('T', 'm', 'r', 'T'));
}

/*
 * A user-mode caller's routine is a user APC: ring 3 runs it, and until
 * then it ends an alertable user-mode wait with STATUS_USER_APC. Cancelling
 * takes it back off the thread's user APC queue.
 */
KTEST(extimer, user_mode_routine_is_a_user_apc)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    PLARGE_INTEGER Due = (PLARGE_INTEGER)(User.Buffer + 16);
    PLARGE_INTEGER Timeout = (PLARGE_INTEGER)(User.Buffer + 24);
    PKTHREAD Thread = KeGetCurrentThread();
    *Due = ExtTicks(2);
    *Timeout = ExtTicks(50);
    EXPECT_EQ(EXT_USER_CALL(NtCreateTimer(&Handles[0], TIMER_ALL_ACCESS, NULL, NotificationTimer)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtCreateEvent(&Handles[1], EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)),
              STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtSetTimer(Handles[0], Due, (PTIMER_APC_ROUTINE)0x10000, (PVOID)0x1234, FALSE, 0, NULL)),
              STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtWaitForSingleObject(Handles[1], TRUE, Timeout)), STATUS_USER_APC);
    EXPECT_TRUE(Thread->ApcState.UserApcPending);
    EXPECT_FALSE(IsListEmpty(&Thread->ApcState.ApcListHead[UserMode]));
    EXPECT_EQ(EXT_USER_CALL(NtCancelTimer(Handles[0], NULL)), STATUS_SUCCESS);
    EXPECT_FALSE(Thread->ApcState.UserApcPending);
    EXPECT_TRUE(IsListEmpty(&Thread->ApcState.ApcListHead[UserMode]));
    EXPECT_EQ(ObGetObjectPointerCount(ExtObject(Handles[0])), 1u);
    ExtLeaveUserProcess(&User);
}

/* From user mode NtSetTimer needs TIMER_MODIFY_STATE, NtQueryTimer TIMER_QUERY_STATE; a refusal sets nothing. */
KTEST(extimer, user_mode_needs_the_right_for_each_service)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    PLARGE_INTEGER Due = (PLARGE_INTEGER)(User.Buffer + 16);
    PTIMER_BASIC_INFORMATION Info = (PTIMER_BASIC_INFORMATION)(User.Buffer + 32);
    *Due = ExtTicks(1);
    EXPECT_EQ(EXT_USER_CALL(NtCreateTimer(&Handles[0], TIMER_QUERY_STATE | SYNCHRONIZE, NULL, NotificationTimer)),
              STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtCreateTimer(&Handles[1], TIMER_MODIFY_STATE, NULL, NotificationTimer)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtSetTimer(Handles[0], Due, NULL, NULL, FALSE, 0, NULL)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtCancelTimer(Handles[0], NULL)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtQueryTimer(Handles[0], TimerBasicInformation, Info, 16, NULL)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtQueryTimer(Handles[1], TimerBasicInformation, Info, 16, NULL)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtSetTimer(Handles[1], Due, NULL, NULL, FALSE, 0, NULL)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtCancelTimer(Handles[1], NULL)), STATUS_SUCCESS);
    ExtLeaveUserProcess(&User);
}
