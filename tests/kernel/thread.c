/*
 * tests/kernel/thread.c — threads and the scheduler: birth, death, the
 * reaper, preemption, round robin, priority boosts and their decay.
 *
 * The expectations are NT's documented scheduling rules: a thread whose
 * priority is higher than the running one's runs at once; threads of one
 * priority share the processor a quantum each (two clock ticks, NT's
 * workstation quantum); a wait satisfied by KeSetEvent(..., EVENT_INCREMENT)
 * raises a variable-priority thread one level above its base, and the
 * boost decays by one at each quantum end.
 */
#include "../testlib.h"

#define QUANTUM_TICKS   2       /* NT's workstation quantum: two clock ticks */
#define TEST_PRIORITY   8       /* the test harness's own thread (the system process's base) */

static void SetFlag(PVOID Context)
{
    *(volatile LONG *)Context = 1;
}

/* A thread runs its routine, ends, wakes its joiner; its stack and ETHREAD go back (the leak guards check). */
KTEST(thread, runs_terminates_and_is_reaped)
{
    volatile LONG Ran = 0;
    PETHREAD Thread = TestStartThread(SetFlag, (PVOID)&Ran, TEST_PRIORITY);
    ASSERT_NOT_NULL(Thread);
    EXPECT_EQ(Thread->Tcb.State, Ready);
    EXPECT_EQ(Ran, 0);                          /* same priority: it waits for the processor */
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(Ran, 1);
}

/* The thread object is a dispatcher object, signalled from the moment the thread ends. */
KTEST(thread, terminated_thread_is_signalled)
{
    volatile LONG Ran = 0;
    PETHREAD Thread = TestStartThread(SetFlag, (PVOID)&Ran, TEST_PRIORITY);
    ASSERT_NOT_NULL(Thread);
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    EXPECT_EQ(KeWaitForSingleObject(&Thread->Tcb, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    EXPECT_TRUE(TestJoinThread(Thread));
}

typedef struct _PREEMPT_CONTEXT {
    KEVENT Go;
    volatile LONG Ran;
} PREEMPT_CONTEXT;

static void WaitThenSetFlag(PVOID Context)
{
    PREEMPT_CONTEXT *Ctx = Context;
    KeWaitForSingleObject(&Ctx->Go, Executive, KernelMode, FALSE, NULL);
    Ctx->Ran = 1;
}

/* A priority-20 thread made ready by a priority-8 thread runs before the setter's call returns. */
KTEST(thread, higher_priority_thread_preempts_at_once)
{
    PREEMPT_CONTEXT Ctx = { .Ran = 0 };
    KeInitializeEvent(&Ctx.Go, SynchronizationEvent, FALSE);
    PETHREAD Thread = TestStartThread(WaitThenSetFlag, &Ctx, 20);
    ASSERT_NOT_NULL(Thread);
    /* Started above us, it has already run up to its wait. */
    EXPECT_EQ(Thread->Tcb.State, Waiting);
    KeSetEvent(&Ctx.Go, 0, FALSE);
    EXPECT_EQ(Ctx.Ran, 1);
    EXPECT_TRUE(TestJoinThread(Thread));
}

/* A lower-priority thread made ready does not run until the higher one waits. */
KTEST(thread, lower_priority_thread_waits_its_turn)
{
    PREEMPT_CONTEXT Ctx = { .Ran = 0 };
    KeInitializeEvent(&Ctx.Go, SynchronizationEvent, FALSE);
    PETHREAD Thread = TestStartThread(WaitThenSetFlag, &Ctx, 4);
    ASSERT_NOT_NULL(Thread);
    TestSleepTicks(1);                          /* let it reach its wait */
    KeSetEvent(&Ctx.Go, 0, FALSE);
    EXPECT_EQ(Ctx.Ran, 0);
    EXPECT_EQ(Thread->Tcb.State, Ready);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(Ctx.Ran, 1);
}

#define SPINNERS 3

typedef struct _SPIN_CONTEXT {
    KEVENT Go;
    volatile bool Stop;
    volatile ULONG Turns[SPINNERS];             /* quantum ends each spinner saw between its own runs */
    volatile ULONG LongestWait[SPINNERS];       /* the most quantum ends between two of its turns */
    volatile ULONG FirstTurn[SPINNERS];         /* quantum ends before its first turn */
    ULONG Start;
    volatile LONG Index;
} SPIN_CONTEXT;

static void Spin(PVOID Context)
{
    SPIN_CONTEXT *Ctx = Context;
    volatile ULONG *QuantumEnds = &KeGetCurrentPrcb()->QuantumEnds;
    KeWaitForSingleObject(&Ctx->Go, Executive, KernelMode, FALSE, NULL);
    LONG Me = __atomic_fetch_add(&Ctx->Index, 1, __ATOMIC_RELAXED);
    ULONG Last = *QuantumEnds;
    Ctx->FirstTurn[Me] = Last - Ctx->Start;
    while (!Ctx->Stop) {
        ULONG Now = *QuantumEnds;
        if (Now != Last) {
            if (Now - Last > Ctx->LongestWait[Me])
                Ctx->LongestWait[Me] = Now - Last;
            Ctx->Turns[Me]++;
            Last = Now;
        }
    }
}

/*
 * Three threads of one priority spinning, released together: each gets the
 * processor back after at most one quantum of each of the others (its own
 * quantum end included, three quantum ends; one more for the test's own
 * thread, which may use a quantum on its way to its sleep or waking from
 * it), over and over, and its first turn comes after at most one quantum
 * of each one ahead of it (and the test's). Counted in the quantums the
 * clock ends, not in wall time. Fails if the clock does not end quantums,
 * or a thread that used its quantum is not put behind the others.
 */
KTEST(thread, round_robin_among_equal_priorities)
{
    static SPIN_CONTEXT Ctx;
    PETHREAD Threads[SPINNERS];
    memset((void *)&Ctx, 0, sizeof(Ctx));
    KeInitializeEvent(&Ctx.Go, NotificationEvent, FALSE);
    for (int i = 0; i < SPINNERS; i++) {
        Threads[i] = TestStartThread(Spin, &Ctx, TEST_PRIORITY);
        ASSERT_NOT_NULL(Threads[i]);
    }
    TestSleepTicks(1);                          /* every spinner waits for Go */
    Ctx.Start = KeGetCurrentPrcb()->QuantumEnds;
    KeSetEvent(&Ctx.Go, 0, FALSE);
    TestSleepTicks(30);
    Ctx.Stop = true;
    for (int i = 0; i < SPINNERS; i++)
        EXPECT_TRUE(TestJoinThread(Threads[i]));
    for (int i = 0; i < SPINNERS; i++) {
        EXPECT_GE(Ctx.Turns[i], 3);
        EXPECT_LE(Ctx.FirstTurn[i], SPINNERS);
        EXPECT_LE(Ctx.LongestWait[i], SPINNERS + 1);
    }
}

typedef struct _BOOST_CONTEXT {
    KEVENT Go;
    volatile KPRIORITY AfterWake;
    volatile KPRIORITY AfterDecay;
    volatile ULONG DecayTicks;
} BOOST_CONTEXT;

static void Boosted(PVOID Context)
{
    BOOST_CONTEXT *Ctx = Context;
    PKTHREAD Me = KeGetCurrentThread();
    KeWaitForSingleObject(&Ctx->Go, Executive, KernelMode, FALSE, NULL);
    Ctx->AfterWake = KeQueryPriorityThread(Me);
    ULONG Start = KeGetTickCount();
    while (KeQueryPriorityThread(Me) != Me->BasePriority && KeGetTickCount() - Start < 50)
        ;
    Ctx->AfterDecay = KeQueryPriorityThread(Me);
    Ctx->DecayTicks = KeGetTickCount() - Start;
}

/* KeSetEvent's increment lifts the waiter to base + 1; one quantum end brings it back. */
KTEST(thread, event_boost_and_decay)
{
    BOOST_CONTEXT Ctx = { .AfterWake = -1, .AfterDecay = -1 };
    KeInitializeEvent(&Ctx.Go, SynchronizationEvent, FALSE);
    PETHREAD Thread = TestStartThread(Boosted, &Ctx, TEST_PRIORITY);
    ASSERT_NOT_NULL(Thread);
    TestSleepTicks(1);
    ASSERT_EQ(Thread->Tcb.State, Waiting);
    KeSetEvent(&Ctx.Go, EVENT_INCREMENT, FALSE);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(Ctx.AfterWake, TEST_PRIORITY + 1);
    EXPECT_EQ(Ctx.AfterDecay, TEST_PRIORITY);
    EXPECT_LE(Ctx.DecayTicks, QUANTUM_TICKS + 1);
}

/* Boosts stop at 15, the top of the variable class, and never touch real-time threads. */
KTEST(thread, boost_stays_in_the_variable_class)
{
    BOOST_CONTEXT Ctx = { .AfterWake = -1 };
    KeInitializeEvent(&Ctx.Go, SynchronizationEvent, FALSE);
    PETHREAD Thread = TestStartThread(Boosted, &Ctx, 14);
    ASSERT_NOT_NULL(Thread);
    KeSetEvent(&Ctx.Go, 5, FALSE);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(Ctx.AfterWake, 15);

    KeInitializeEvent(&Ctx.Go, SynchronizationEvent, FALSE);
    Thread = TestStartThread(Boosted, &Ctx, 20);
    ASSERT_NOT_NULL(Thread);
    KeSetEvent(&Ctx.Go, 5, FALSE);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(Ctx.AfterWake, 20);
}

/* KeYieldExecution hands the processor to a ready thread of the same priority, and says when there is none. */
KTEST(thread, yield_runs_an_equal_thread_or_reports_none)
{
    volatile LONG Ran = 0;
    EXPECT_EQ(KeYieldExecution(), STATUS_NO_YIELD_PERFORMED);
    PETHREAD Thread = TestStartThread(SetFlag, (PVOID)&Ran, TEST_PRIORITY);
    ASSERT_NOT_NULL(Thread);
    EXPECT_EQ(KeYieldExecution(), STATUS_SUCCESS);
    EXPECT_EQ(Ran, 1);
    EXPECT_TRUE(TestJoinThread(Thread));
}

/* KeSetPriorityThread returns the old priority; lowering the running thread below a ready one switches. */
KTEST(thread, set_priority_reschedules)
{
    volatile LONG Ran = 0;
    PKTHREAD Me = KeGetCurrentThread();
    PETHREAD Thread = TestStartThread(SetFlag, (PVOID)&Ran, 6);
    ASSERT_NOT_NULL(Thread);
    EXPECT_EQ(Ran, 0);
    EXPECT_EQ(KeSetPriorityThread(Me, 5), TEST_PRIORITY);
    EXPECT_EQ(Ran, 1);                          /* the 6 ran as soon as we dropped below it */
    EXPECT_EQ(KeSetPriorityThread(Me, TEST_PRIORITY), 5);
    EXPECT_TRUE(TestJoinThread(Thread));
}

/* A thread that returns at DISPATCH_LEVEL (a spin lock held, say): KERNEL_APC_PENDING_DURING_EXIT, the IRQL as parameter 3. */
static void ExitHoldingSpinLock(PVOID Context)
{
    static KSPIN_LOCK Lock;
    KIRQL OldIrql;
    KeAcquireSpinLock(&Lock, &OldIrql);
}

KTEST_DEATH(thread, exit_holding_spin_lock, KERNEL_APC_PENDING_DURING_EXIT)
{
    KtestExpectBugCheckParameter(t, 3, DISPATCH_LEVEL);
    TEST_REQUIRE(TestStartThread(ExitHoldingSpinLock, NULL, 20) != NULL);
}

/* A thread that returns inside a critical region: the same code, parameter 2 the disable count. */
static void ExitInCriticalRegion(PVOID Context)
{
    KeEnterCriticalRegion();
}

KTEST_DEATH(thread, exit_in_critical_region, KERNEL_APC_PENDING_DURING_EXIT)
{
    KtestExpectBugCheckParameter(t, 2, 1);
    KtestExpectBugCheckParameter(t, 3, PASSIVE_LEVEL);
    TEST_REQUIRE(TestStartThread(ExitInCriticalRegion, NULL, 20) != NULL);
}
