/*
 * tests/ex/delay.c — NtDelayExecution and NtYieldExecution.
 *
 * NT's rules, written out: a relative interval (negative, 100 ns units) or
 * an absolute system time; STATUS_SUCCESS once it has passed, no earlier;
 * an alertable user-mode delay ends with STATUS_USER_APC when a user APC is
 * queued; a zero delay from user mode, not alertable, is a yield, and a
 * yield with nothing else ready is STATUS_NO_YIELD_PERFORMED.
 */
#include "extest.h"

/* A relative delay lasts at least its interval; an absolute one ends no earlier than its time. */
KTEST(exdelay, relative_and_absolute_intervals)
{
    LARGE_INTEGER Interval = ExtTicks(3), Before, After;
    KeQuerySystemTime(&Before);
    EXPECT_EQ(NtDelayExecution(FALSE, &Interval), STATUS_SUCCESS);
    KeQuerySystemTime(&After);
    EXPECT_GE(After.QuadPart - Before.QuadPart, 3 * (LONGLONG)KeQueryTimeIncrement());

    Interval.QuadPart = After.QuadPart + 2 * (LONGLONG)KeQueryTimeIncrement();
    EXPECT_EQ(ZwDelayExecution(FALSE, &Interval), STATUS_SUCCESS);
    KeQuerySystemTime(&After);
    EXPECT_GE(After.QuadPart, Interval.QuadPart);
}

static void Nothing(PVOID Context)
{
}

/*
 * Yielding with no other thread ready: STATUS_NO_YIELD_PERFORMED, from
 * NtYieldExecution and from a user-mode zero delay. With a thread of the
 * same priority ready, it runs (and ends) before the yield returns
 * STATUS_SUCCESS.
 */
KTEST(exdelay, yield_with_and_without_a_ready_thread)
{
    EXT_USER User;
    EXPECT_EQ(NtYieldExecution(), STATUS_NO_YIELD_PERFORMED);
    EXT_ENTER_USER_PROCESS(&User);
    PLARGE_INTEGER Zero = (PLARGE_INTEGER)User.Buffer;
    Zero->QuadPart = 0;
    EXPECT_EQ(EXT_USER_CALL(NtDelayExecution(FALSE, Zero)), STATUS_NO_YIELD_PERFORMED);
    EXPECT_EQ(EXT_USER_CALL(NtYieldExecution()), STATUS_NO_YIELD_PERFORMED);
    ExtLeaveUserProcess(&User);

    KPRIORITY Own = KeQueryPriorityThread(KeGetCurrentThread());
    PETHREAD Thread = TestStartThread(Nothing, NULL, Own);
    EXPECT_NE(Thread->Tcb.State, Terminated);                   /* ready behind us, not run yet */
    EXPECT_EQ(ZwYieldExecution(), STATUS_SUCCESS);
    EXPECT_EQ(Thread->Tcb.State, Terminated);
    EXPECT_TRUE(TestJoinThread(Thread));
}

/* An alertable user-mode delay is ended by a user APC (a user-mode timer's routine), a non-alertable one is not. */
KTEST(exdelay, alertable_delay_ends_with_a_user_apc)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Timer = (PHANDLE)User.Buffer;
    PLARGE_INTEGER Due = (PLARGE_INTEGER)(User.Buffer + 8);
    PLARGE_INTEGER Delay = (PLARGE_INTEGER)(User.Buffer + 16);
    *Due = ExtTicks(1);
    *Delay = ExtTicks(4);
    EXPECT_EQ(EXT_USER_CALL(NtCreateTimer(Timer, TIMER_ALL_ACCESS, NULL, NotificationTimer)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtSetTimer(*Timer, Due, (PTIMER_APC_ROUTINE)0x10000, NULL, FALSE, 0, NULL)),
              STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtDelayExecution(FALSE, Delay)), STATUS_SUCCESS);
    *Delay = ExtTicks(50);
    EXPECT_EQ(EXT_USER_CALL(NtDelayExecution(TRUE, Delay)), STATUS_USER_APC);
    EXPECT_EQ(EXT_USER_CALL(NtCancelTimer(*Timer, NULL)), STATUS_SUCCESS);
    ExtLeaveUserProcess(&User);
}
