/*
 * tests/kernel/wait.c — dispatcher objects and waits: events, semaphores,
 * mutants, timers, WaitAny and WaitAll, timeouts.
 *
 * Each behaviour is NT's documented one: a notification event releases
 * every waiter and stays set, a synchronization event releases one and
 * resets; a semaphore counts; a mutant is owned, taken recursively,
 * abandoned when its owner dies; WaitAll takes all its objects at one
 * moment or none; WaitAny returns STATUS_WAIT_0 + the index of the object
 * that satisfied it; a timeout is STATUS_TIMEOUT, no earlier than asked and
 * at most one clock tick later.
 */
#include <ex.h>
#include "../testlib.h"

#define TEST_PRIORITY   8

static LARGE_INTEGER Ticks(LONG Count)
{
    return (LARGE_INTEGER){ .QuadPart = -(LONGLONG)Count * KeQueryTimeIncrement() };
}

typedef struct _WAITER_CONTEXT {
    PVOID Object;
    volatile LONG Woken;
    volatile NTSTATUS Status;
} WAITER_CONTEXT;

static void WaitOnce(PVOID Context)
{
    WAITER_CONTEXT *Ctx = Context;
    LARGE_INTEGER Timeout = Ticks(20);
    Ctx->Status = KeWaitForSingleObject(Ctx->Object, Executive, KernelMode, FALSE, &Timeout);
    if (Ctx->Status == STATUS_SUCCESS)
        __atomic_fetch_add(&Ctx->Woken, 1, __ATOMIC_RELAXED);
}

/* Starts Count waiters on Object (above our priority, so they are all waiting on return). */
static void StartWaiters(PETHREAD *Threads, int Count, WAITER_CONTEXT *Ctx)
{
    for (int i = 0; i < Count; i++)
        Threads[i] = TestStartThread(WaitOnce, Ctx, TEST_PRIORITY + 2);
}

/* Setting a notification event releases every waiter, and it stays set. */
KTEST(wait, notification_event_releases_all)
{
    KEVENT Event;
    PETHREAD Threads[3];
    WAITER_CONTEXT Ctx = { .Object = &Event };
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    StartWaiters(Threads, 3, &Ctx);
    EXPECT_EQ(KeSetEvent(&Event, 0, FALSE), 0);
    EXPECT_EQ(Ctx.Woken, 3);
    EXPECT_EQ(KeReadStateEvent(&Event), 1);
    for (int i = 0; i < 3; i++)
        EXPECT_TRUE(TestJoinThread(Threads[i]));
}

/* Setting a synchronization event releases one waiter and resets; three sets release all three. */
KTEST(wait, synchronization_event_releases_one)
{
    KEVENT Event;
    PETHREAD Threads[3];
    WAITER_CONTEXT Ctx = { .Object = &Event };
    KeInitializeEvent(&Event, SynchronizationEvent, FALSE);
    StartWaiters(Threads, 3, &Ctx);
    KeSetEvent(&Event, 0, FALSE);
    EXPECT_EQ(Ctx.Woken, 1);
    EXPECT_EQ(KeReadStateEvent(&Event), 0);
    KeSetEvent(&Event, 0, FALSE);
    KeSetEvent(&Event, 0, FALSE);
    EXPECT_EQ(Ctx.Woken, 3);
    for (int i = 0; i < 3; i++)
        EXPECT_TRUE(TestJoinThread(Threads[i]));
}

/* KePulseEvent releases the threads already waiting and leaves the event reset; KeResetEvent returns the old state. */
KTEST(wait, pulse_and_reset)
{
    KEVENT Event;
    PETHREAD Threads[2];
    WAITER_CONTEXT Ctx = { .Object = &Event };
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    StartWaiters(Threads, 2, &Ctx);
    EXPECT_EQ(KePulseEvent(&Event, 0, FALSE), 0);
    EXPECT_EQ(Ctx.Woken, 2);
    EXPECT_EQ(KeReadStateEvent(&Event), 0);
    KeSetEvent(&Event, 0, FALSE);
    EXPECT_EQ(KeResetEvent(&Event), 1);
    EXPECT_EQ(KeReadStateEvent(&Event), 0);
    KeSetEvent(&Event, 0, FALSE);
    KeClearEvent(&Event);
    EXPECT_EQ(KeReadStateEvent(&Event), 0);
    for (int i = 0; i < 2; i++)
        EXPECT_TRUE(TestJoinThread(Threads[i]));
}

/* A signalled object satisfies at once; a zero timeout on an unsignalled one is STATUS_TIMEOUT without waiting. */
KTEST(wait, zero_timeout_tests_the_state)
{
    KEVENT Event;
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    KeInitializeEvent(&Event, SynchronizationEvent, TRUE);
    EXPECT_EQ(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero), STATUS_SUCCESS);
    EXPECT_EQ(KeReadStateEvent(&Event), 0);
    ULONG Before = KeGetCurrentThread()->ContextSwitches;
    EXPECT_EQ(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    EXPECT_EQ(KeGetCurrentThread()->ContextSwitches, Before);
}

/* A relative timeout fires no earlier than asked and at most one clock tick late. */
KTEST(wait, relative_timeout_fires_within_a_tick)
{
    KEVENT Event;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    for (LONG Wanted = 1; Wanted <= 7; Wanted += 3) {
        LARGE_INTEGER Timeout = Ticks(Wanted);
        ULONGLONG Start = KeQueryInterruptTime();
        EXPECT_EQ(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Timeout), STATUS_TIMEOUT);
        ULONGLONG Elapsed = KeQueryInterruptTime() - Start;
        EXPECT_GE(Elapsed, (ULONGLONG)Wanted * KeQueryTimeIncrement());
        EXPECT_LE(Elapsed, (ULONGLONG)(Wanted + 1) * KeQueryTimeIncrement());
    }
}

/* An absolute timeout is a system time (100 ns since 1601): it fires when system time reaches it. */
KTEST(wait, absolute_timeout_and_delay)
{
    KEVENT Event;
    LARGE_INTEGER Now, Due, After;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    KeQuerySystemTime(&Now);
    EXPECT_GT(Now.QuadPart, 0x01D0000000000000LL);     /* after 2014: read from the CMOS clock */
    Due.QuadPart = Now.QuadPart + 3 * (LONGLONG)KeQueryTimeIncrement();
    EXPECT_EQ(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Due), STATUS_TIMEOUT);
    KeQuerySystemTime(&After);
    EXPECT_GE(After.QuadPart, Due.QuadPart);
    EXPECT_LE(After.QuadPart, Due.QuadPart + (LONGLONG)KeQueryTimeIncrement());

    Due.QuadPart = After.QuadPart + 2 * (LONGLONG)KeQueryTimeIncrement();
    EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &Due), STATUS_SUCCESS);
    KeQuerySystemTime(&After);
    EXPECT_GE(After.QuadPart, Due.QuadPart);
    EXPECT_LE(After.QuadPart, Due.QuadPart + (LONGLONG)KeQueryTimeIncrement());
}

typedef struct {
    PKEVENT Event;
    LONGLONG Timeout;
    volatile bool Done;
    NTSTATUS Status;
} LONG_WAIT_CONTEXT;

static void WaitWithTimeout(PVOID Context)
{
    LONG_WAIT_CONTEXT *Ctx = Context;
    LARGE_INTEGER Timeout = { .QuadPart = Ctx->Timeout };
    Ctx->Status = KeWaitForSingleObject(Ctx->Event, Executive, KernelMode, FALSE, &Timeout);
    Ctx->Done = true;
}

/*
 * The longest timeouts wait for ever rather than wrapping round to "already
 * due": 0x8000000000000000 (the most negative relative interval, what
 * Sleep(INFINITE) passes) and MAXLONGLONG as an absolute time. Each waiter
 * is still waiting five ticks later and is released by its event.
 */
KTEST(wait, longest_timeouts_wait_for_ever)
{
    static const LONGLONG Timeouts[] = { (LONGLONG)0x8000000000000000ULL, MAXLONGLONG, -MAXLONGLONG };
    for (ULONG i = 0; i < ARRAY_SIZE(Timeouts); i++) {
        KEVENT Event;
        KeInitializeEvent(&Event, NotificationEvent, FALSE);
        LONG_WAIT_CONTEXT Ctx = { .Event = &Event, .Timeout = Timeouts[i] };
        PETHREAD Thread = TestStartThread(WaitWithTimeout, &Ctx, TEST_PRIORITY + 2);
        ASSERT_NOT_NULL(Thread);
        TestSleepTicks(5);
        EXPECT_FALSE(Ctx.Done);
        EXPECT_EQ(Thread->Tcb.State, Waiting);
        KeSetEvent(&Event, 0, FALSE);
        EXPECT_TRUE(Ctx.Done);
        EXPECT_EQ(Ctx.Status, STATUS_WAIT_0);
        EXPECT_TRUE(TestJoinThread(Thread));
    }
}

/* Tick count, interrupt time and system time advance together, one increment per tick. */
/* The four clocks read with no tick between them: interrupts off for the reading. */
static void ReadClocks(LARGE_INTEGER *Tick, LARGE_INTEGER *System, ULONGLONG *Interrupt, ULONG *TickCount)
{
    bool Enabled = HalSaveAndDisableInterrupts();
    KeQueryTickCount(Tick);
    KeQuerySystemTime(System);
    *Interrupt = KeQueryInterruptTime();
    *TickCount = KeGetTickCount();
    HalRestoreInterrupts(Enabled);
}

KTEST(wait, clocks_agree)
{
    LARGE_INTEGER Tick0, Tick1, Sys0, Sys1;
    ULONGLONG Interrupt0, Interrupt1;
    ULONG Count0, Count1;
    ReadClocks(&Tick0, &Sys0, &Interrupt0, &Count0);
    EXPECT_EQ(KeQueryTimeIncrement(), 100000);          /* 10 ms, NT's x86 clock */
    TestSleepTicks(5);
    ReadClocks(&Tick1, &Sys1, &Interrupt1, &Count1);
    LONGLONG TickDelta = Tick1.QuadPart - Tick0.QuadPart;
    EXPECT_GE(TickDelta, 5);
    EXPECT_EQ(Interrupt1 - Interrupt0, (ULONGLONG)TickDelta * KeQueryTimeIncrement());
    EXPECT_EQ(Sys1.QuadPart - Sys0.QuadPart, (LONGLONG)(Interrupt1 - Interrupt0));
    EXPECT_EQ((ULONG)Tick0.QuadPart, Count0);
    EXPECT_EQ((ULONG)Tick1.QuadPart, Count1);
}

/* WaitAny returns STATUS_WAIT_0 + the index of a signalled object and takes only that one. */
KTEST(wait, wait_any_returns_the_index)
{
    KEVENT A, B, C;
    PVOID Objects[3] = { &A, &B, &C };
    KeInitializeEvent(&A, SynchronizationEvent, FALSE);
    KeInitializeEvent(&B, SynchronizationEvent, FALSE);
    KeInitializeEvent(&C, SynchronizationEvent, TRUE);
    EXPECT_EQ(KeWaitForMultipleObjects(3, Objects, WaitAny, Executive, KernelMode, FALSE, NULL, NULL),
              STATUS_WAIT_0 + 2);
    KeSetEvent(&B, 0, FALSE);
    KeSetEvent(&C, 0, FALSE);
    EXPECT_EQ(KeWaitForMultipleObjects(3, Objects, WaitAny, Executive, KernelMode, FALSE, NULL, NULL),
              STATUS_WAIT_0 + 1);
    EXPECT_EQ(KeReadStateEvent(&C), 1);
    LARGE_INTEGER Timeout = Ticks(1);
    KeClearEvent(&C);
    EXPECT_EQ(KeWaitForMultipleObjects(3, Objects, WaitAny, Executive, KernelMode, FALSE, &Timeout, NULL),
              STATUS_TIMEOUT);
}

typedef struct _WAIT_ALL_CONTEXT {
    PVOID Objects[2];
    volatile NTSTATUS Status;
    volatile bool Done;
} WAIT_ALL_CONTEXT;

static void WaitAllThread(PVOID Context)
{
    WAIT_ALL_CONTEXT *Ctx = Context;
    Ctx->Status = KeWaitForMultipleObjects(2, Ctx->Objects, WaitAll, Executive, KernelMode, FALSE, NULL, NULL);
    Ctx->Done = true;
}

/*
 * WaitAll is satisfied atomically: with one of its two objects signalled it
 * takes nothing (the event stays set for anyone else), and when the second
 * comes it takes both at once.
 */
KTEST(wait, wait_all_is_atomic)
{
    KEVENT Event;
    KSEMAPHORE Semaphore;
    WAIT_ALL_CONTEXT Ctx = { .Objects = { &Event, &Semaphore } };
    KeInitializeEvent(&Event, SynchronizationEvent, FALSE);
    KeInitializeSemaphore(&Semaphore, 0, 5);
    PETHREAD Thread = TestStartThread(WaitAllThread, &Ctx, TEST_PRIORITY + 2);
    ASSERT_NOT_NULL(Thread);
    KeSetEvent(&Event, 0, FALSE);
    EXPECT_FALSE(Ctx.Done);
    EXPECT_EQ(KeReadStateEvent(&Event), 1);
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    EXPECT_EQ(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero), STATUS_SUCCESS);
    EXPECT_FALSE(Ctx.Done);
    KeReleaseSemaphore(&Semaphore, 0, 1, FALSE);
    EXPECT_FALSE(Ctx.Done);                     /* the event was taken meanwhile */
    EXPECT_EQ(KeReadStateSemaphore(&Semaphore), 1);
    KeSetEvent(&Event, 0, FALSE);
    EXPECT_TRUE(Ctx.Done);
    EXPECT_EQ(Ctx.Status, STATUS_WAIT_0);
    EXPECT_EQ(KeReadStateEvent(&Event), 0);
    EXPECT_EQ(KeReadStateSemaphore(&Semaphore), 0);
    EXPECT_TRUE(TestJoinThread(Thread));
}

/*
 * WaitAll with a timeout, some of its objects signalled and one not: the
 * wait ends STATUS_TIMEOUT after the timeout (no earlier, at most a tick
 * later, counted in clock ticks) and has taken nothing — the signalled
 * synchronization event is still set, the free mutant still free and
 * unowned, the semaphore's count what it was.
 */
KTEST(wait, wait_all_times_out_taking_nothing)
{
    KEVENT Event;
    KMUTANT Mutant;
    KSEMAPHORE Semaphore;
    PVOID Objects[3] = { &Event, &Mutant, &Semaphore };
    const LONG Wanted = 3;

    KeInitializeEvent(&Event, SynchronizationEvent, TRUE);
    KeInitializeMutant(&Mutant, FALSE);
    KeInitializeSemaphore(&Semaphore, 0, 5);
    LARGE_INTEGER Timeout = Ticks(Wanted), Before, After;
    KeQueryTickCount(&Before);
    EXPECT_EQ(KeWaitForMultipleObjects(3, Objects, WaitAll, Executive, KernelMode, FALSE, &Timeout, NULL),
              STATUS_TIMEOUT);
    KeQueryTickCount(&After);
    EXPECT_GE(After.QuadPart - Before.QuadPart, Wanted);
    EXPECT_LE(After.QuadPart - Before.QuadPart, Wanted + 1);
    EXPECT_EQ(KeReadStateEvent(&Event), 1);
    EXPECT_EQ(KeReadStateMutant(&Mutant), 1);
    EXPECT_NULL(Mutant.OwnerThread);
    EXPECT_EQ(KeReadStateSemaphore(&Semaphore), 0);

    /* The other way round: the semaphore has a count, the event is clear. */
    PVOID Pair[2] = { &Semaphore, &Event };
    KeClearEvent(&Event);
    KeReleaseSemaphore(&Semaphore, 0, 2, FALSE);
    KeQueryTickCount(&Before);
    EXPECT_EQ(KeWaitForMultipleObjects(2, Pair, WaitAll, Executive, KernelMode, FALSE, &Timeout, NULL),
              STATUS_TIMEOUT);
    KeQueryTickCount(&After);
    EXPECT_GE(After.QuadPart - Before.QuadPart, Wanted);
    EXPECT_LE(After.QuadPart - Before.QuadPart, Wanted + 1);
    EXPECT_EQ(KeReadStateSemaphore(&Semaphore), 2);
    EXPECT_EQ(KeReadStateEvent(&Event), 0);

    /* And the same objects, once all are signalled, satisfy it at once and are all taken. */
    KeSetEvent(&Event, 0, FALSE);
    EXPECT_EQ(KeWaitForMultipleObjects(2, Pair, WaitAll, Executive, KernelMode, FALSE, &Timeout, NULL),
              STATUS_WAIT_0);
    EXPECT_EQ(KeReadStateSemaphore(&Semaphore), 1);
    EXPECT_EQ(KeReadStateEvent(&Event), 0);
}

/* A semaphore counts up to its limit; each satisfied wait takes one. */
KTEST(wait, semaphore_counts)
{
    KSEMAPHORE Semaphore;
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    KeInitializeSemaphore(&Semaphore, 2, 3);
    EXPECT_EQ(KeWaitForSingleObject(&Semaphore, Executive, KernelMode, FALSE, &Zero), STATUS_SUCCESS);
    EXPECT_EQ(KeWaitForSingleObject(&Semaphore, Executive, KernelMode, FALSE, &Zero), STATUS_SUCCESS);
    EXPECT_EQ(KeWaitForSingleObject(&Semaphore, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    EXPECT_EQ(KeReleaseSemaphore(&Semaphore, 0, 3, FALSE), 0);
    EXPECT_EQ(KeReadStateSemaphore(&Semaphore), 3);
}

/* A release past the limit raises STATUS_SEMAPHORE_LIMIT_EXCEEDED and changes nothing. */
KTEST(wait, semaphore_limit_raises)
{
    KSEMAPHORE Semaphore;
    KFAULT_CATCHER Catcher;
    KeInitializeSemaphore(&Semaphore, 2, 3);
    t->Checks++;
    if (KeTryFault(&Catcher)) {
        KeReleaseSemaphore(&Semaphore, 0, 2, FALSE);
        KePopFaultCatcher(&Catcher);
        KtestFail(t, __FILE__, __LINE__, "a release past the limit returned");
    }
    EXPECT_EQ(Catcher.Vector, KI_RAISED_STATUS);
    EXPECT_EQ(Catcher.ErrorCode, (ULONG)STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    EXPECT_EQ(KeReadStateSemaphore(&Semaphore), 2);
}

/* A mutant is taken recursively by its owner; its state counts the holds: 1 free, 1 - n held n times. */
KTEST(wait, mutant_recursion)
{
    KMUTANT Mutant;
    KeInitializeMutant(&Mutant, FALSE);
    EXPECT_EQ(KeReadStateMutant(&Mutant), 1);
    for (int i = 0; i < 3; i++)
        EXPECT_EQ(KeWaitForSingleObject(&Mutant, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    EXPECT_EQ(KeReadStateMutant(&Mutant), -2);
    EXPECT_EQ(Mutant.OwnerThread, KeGetCurrentThread());
    EXPECT_EQ(KeReleaseMutant(&Mutant, 0, FALSE, FALSE), -2);
    EXPECT_EQ(KeReleaseMutant(&Mutant, 0, FALSE, FALSE), -1);
    EXPECT_EQ(KeReleaseMutant(&Mutant, 0, FALSE, FALSE), 0);
    EXPECT_EQ(KeReadStateMutant(&Mutant), 1);
    EXPECT_NULL(Mutant.OwnerThread);
    EXPECT_TRUE(IsListEmpty(&KeGetCurrentThread()->MutantListHead));
}

static void ReleaseMutant(PVOID Context)
{
    KFAULT_CATCHER Catcher;
    WAITER_CONTEXT *Ctx = Context;
    if (KeTryFault(&Catcher)) {
        KeReleaseMutant(Ctx->Object, 0, FALSE, FALSE);
        KePopFaultCatcher(&Catcher);
        Ctx->Status = STATUS_SUCCESS;
    } else {
        Ctx->Status = Catcher.Vector == KI_RAISED_STATUS ? (NTSTATUS)Catcher.ErrorCode : STATUS_UNSUCCESSFUL;
    }
}

/* Releasing a mutant another thread owns raises STATUS_MUTANT_NOT_OWNED and leaves it owned. */
KTEST(wait, mutant_release_by_non_owner_raises)
{
    KMUTANT Mutant;
    WAITER_CONTEXT Ctx = { .Object = &Mutant, .Status = -1 };
    KeInitializeMutant(&Mutant, TRUE);
    PETHREAD Thread = TestStartThread(ReleaseMutant, &Ctx, TEST_PRIORITY + 2);
    ASSERT_NOT_NULL(Thread);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(Ctx.Status, STATUS_MUTANT_NOT_OWNED);
    EXPECT_EQ(Mutant.OwnerThread, KeGetCurrentThread());
    EXPECT_EQ(KeReleaseMutant(&Mutant, 0, FALSE, FALSE), 0);
}

static void TakeMutantAndDie(PVOID Context)
{
    KeWaitForSingleObject(Context, Executive, KernelMode, FALSE, NULL);
}

/* A thread that ends owning a mutant abandons it: the next wait gets STATUS_ABANDONED_WAIT_0 and the mutant. */
KTEST(wait, mutant_abandoned_by_dying_owner)
{
    KMUTANT Mutant;
    KeInitializeMutant(&Mutant, FALSE);
    PETHREAD Thread = TestStartThread(TakeMutantAndDie, &Mutant, TEST_PRIORITY + 2);
    ASSERT_NOT_NULL(Thread);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_TRUE(Mutant.Abandoned);
    EXPECT_EQ(KeWaitForSingleObject(&Mutant, Executive, KernelMode, FALSE, NULL), STATUS_ABANDONED_WAIT_0);
    EXPECT_FALSE(Mutant.Abandoned);
    EXPECT_EQ(Mutant.OwnerThread, KeGetCurrentThread());
    EXPECT_EQ(KeReleaseMutant(&Mutant, 0, FALSE, FALSE), 0);
}

/* Holding a KMUTEX disables normal kernel APCs; releasing it enables them again. */
KTEST(wait, kmutex_disables_kernel_apcs)
{
    KMUTEX Mutex;
    KeInitializeMutex(&Mutex, 0);
    EXPECT_FALSE(KeAreApcsDisabled());
    EXPECT_EQ(KeWaitForMutexObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    EXPECT_TRUE(KeAreApcsDisabled());
    EXPECT_EQ(KeReleaseMutex(&Mutex, FALSE), 0);
    EXPECT_FALSE(KeAreApcsDisabled());
}

typedef struct _NOT_OWNER_CONTEXT {
    PKMUTEX Mutex;
    volatile NTSTATUS Status;
    volatile LONG ApcDisableChange;
} NOT_OWNER_CONTEXT;

static void ReleaseMutexNotOwned(PVOID Context)
{
    NOT_OWNER_CONTEXT *Ctx = Context;
    PKTHREAD Thread = KeGetCurrentThread();
    LONG Before = Thread->KernelApcDisable;
    volatile NTSTATUS Status = STATUS_SUCCESS;
    EX_TRY {
        KeReleaseMutex(Ctx->Mutex, FALSE);
    } EX_EXCEPT(Status) {
    } EX_END;
    Ctx->Status = Status;
    Ctx->ApcDisableChange = Thread->KernelApcDisable - Before;
}

/*
 * Releasing a KMUTEX the thread does not own: NT's KeReleaseMutex (through
 * KeReleaseMutant) raises STATUS_MUTANT_NOT_OWNED and changes nothing — the
 * owner still holds it as many times as before, with its kernel APCs still
 * disabled, and the releaser's APC state is untouched.
 */
KTEST(wait, kmutex_release_by_non_owner_raises)
{
    KMUTEX Mutex;
    NOT_OWNER_CONTEXT Ctx = { .Mutex = &Mutex, .Status = -1, .ApcDisableChange = -99 };
    PKTHREAD Self = KeGetCurrentThread();
    LONG ApcDisable = Self->KernelApcDisable;
    KeInitializeMutex(&Mutex, 0);
    ASSERT_EQ(KeWaitForMutexObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    ASSERT_EQ(KeWaitForMutexObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    PETHREAD Thread = TestStartThread(ReleaseMutexNotOwned, &Ctx, TEST_PRIORITY + 2);
    ASSERT_NOT_NULL(Thread);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(Ctx.Status, STATUS_MUTANT_NOT_OWNED);
    EXPECT_EQ(Ctx.ApcDisableChange, 0);
    EXPECT_EQ(Mutex.OwnerThread, Self);
    EXPECT_EQ(KeReadStateMutex(&Mutex), -1);
    EXPECT_EQ(Self->MutantListHead.Flink, &Mutex.MutantListEntry);
    EXPECT_TRUE(KeAreApcsDisabled());
    EXPECT_EQ(KeReleaseMutex(&Mutex, FALSE), -1);
    EXPECT_EQ(KeReleaseMutex(&Mutex, FALSE), 0);
    EXPECT_EQ(KeReadStateMutex(&Mutex), 1);
    EXPECT_NULL(Mutex.OwnerThread);
    EXPECT_EQ(Self->KernelApcDisable, ApcDisable);
}

/* Releasing an abandoned mutant one does not own raises STATUS_ABANDONED and leaves it free and abandoned. */
KTEST(wait, abandoned_mutant_release_by_non_owner_raises_abandoned)
{
    KMUTANT Mutant;
    volatile NTSTATUS Status = STATUS_SUCCESS;
    KeInitializeMutant(&Mutant, FALSE);
    PETHREAD Thread = TestStartThread(TakeMutantAndDie, &Mutant, TEST_PRIORITY + 2);
    ASSERT_NOT_NULL(Thread);
    EXPECT_TRUE(TestJoinThread(Thread));
    ASSERT_TRUE(Mutant.Abandoned);
    EX_TRY {
        KeReleaseMutant(&Mutant, 0, FALSE, FALSE);
    } EX_EXCEPT(Status) {
    } EX_END;
    EXPECT_EQ(Status, STATUS_ABANDONED);
    EXPECT_TRUE(Mutant.Abandoned);
    EXPECT_NULL(Mutant.OwnerThread);
    EXPECT_EQ(KeReadStateMutant(&Mutant), 1);
    EXPECT_EQ(KeWaitForSingleObject(&Mutant, Executive, KernelMode, FALSE, NULL), STATUS_ABANDONED_WAIT_0);
    EXPECT_EQ(KeReleaseMutant(&Mutant, 0, FALSE, FALSE), 0);
}

static void TakeKmutexAndDie(PVOID Context)
{
    KeWaitForMutexObject(Context, Executive, KernelMode, FALSE, NULL);
}

/*
 * A thread that ends holding a KMUTEX: holding it disables kernel APCs, so
 * the exit stops with KERNEL_APC_PENDING_DURING_EXIT and the disable count
 * (1) as parameter 2, as NT's documentation of 0x20 describes.
 */
KTEST_DEATH(wait, thread_exits_holding_kmutex, KERNEL_APC_PENDING_DURING_EXIT)
{
    static KMUTEX Mutex;
    KeInitializeMutex(&Mutex, 0);
    KtestExpectBugCheckParameter(t, 2, 1);
    TEST_REQUIRE(TestStartThread(TakeKmutexAndDie, &Mutex, TEST_PRIORITY + 2) != NULL);
}

static void TakeKmutexBalanceAndDie(PVOID Context)
{
    KeWaitForMutexObject(Context, Executive, KernelMode, FALSE, NULL);
    KeLeaveCriticalRegion();
}

/*
 * ... and one whose APC disable count was balanced behind the mutex's back
 * still cannot leave it held: the rundown of its mutants finds it,
 * THREAD_TERMINATE_HELD_MUTEX with the thread and the mutex.
 */
KTEST_DEATH(wait, rundown_finds_held_kmutex, THREAD_TERMINATE_HELD_MUTEX)
{
    static KMUTEX Mutex;
    KeInitializeMutex(&Mutex, 0);
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)&Mutex);
    TEST_REQUIRE(TestStartThread(TakeKmutexBalanceAndDie, &Mutex, TEST_PRIORITY + 2) != NULL);
}

typedef struct _DPC_COUNT {
    KDPC Dpc;
    volatile ULONG Count;
    volatile ULONG LastTick;
} DPC_COUNT;

static void CountDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    DPC_COUNT *Counter = Context;
    Counter->Count++;
    Counter->LastTick = KeGetTickCount();
}

/* A one-shot timer signals once, at its due time, and queues its DPC once. */
KTEST(wait, one_shot_timer)
{
    KTIMER Timer;
    DPC_COUNT Counter = { .Count = 0 };
    KeInitializeTimer(&Timer);
    KeInitializeDpc(&Counter.Dpc, CountDpc, &Counter);
    ULONG Start = KeGetTickCount();
    EXPECT_FALSE(KeSetTimer(&Timer, Ticks(3), &Counter.Dpc));
    EXPECT_FALSE(KeReadStateTimer(&Timer));
    EXPECT_EQ(KeWaitForSingleObject(&Timer, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    EXPECT_TRUE(KeReadStateTimer(&Timer));      /* a notification timer stays signalled */
    EXPECT_EQ(Counter.Count, 1);
    EXPECT_GE(Counter.LastTick - Start, 3);
    EXPECT_LE(Counter.LastTick - Start, 4);
    TestSleepTicks(4);
    EXPECT_EQ(Counter.Count, 1);
    EXPECT_FALSE(KeCancelTimer(&Timer));
}

/* A periodic timer fires every period; a synchronization timer satisfies one wait each time and resets. */
KTEST(wait, periodic_timer)
{
    KTIMER Timer;
    DPC_COUNT Counter = { .Count = 0 };
    KeInitializeTimerEx(&Timer, SynchronizationTimer);
    KeInitializeDpc(&Counter.Dpc, CountDpc, &Counter);
    ULONG Period = 2 * KeQueryTimeIncrement() / 10000;     /* milliseconds: two ticks */
    ULONG Start = KeGetTickCount();
    KeSetTimerEx(&Timer, Ticks(2), (LONG)Period, &Counter.Dpc);
    for (int i = 0; i < 4; i++)
        EXPECT_EQ(KeWaitForSingleObject(&Timer, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    EXPECT_FALSE(KeReadStateTimer(&Timer));
    EXPECT_TRUE(KeCancelTimer(&Timer));
    EXPECT_GE(Counter.Count, 4);
    EXPECT_LE(Counter.Count, 5);
    EXPECT_GE(KeGetTickCount() - Start, 8);
    ULONG Count = Counter.Count;
    TestSleepTicks(5);
    EXPECT_EQ(Counter.Count, Count);            /* cancelled: no more expiries */
}

/* A timer set again before it expires is moved: KeSetTimer says it was in the table. */
KTEST(wait, timer_reset_and_cancel)
{
    KTIMER Timer;
    KeInitializeTimer(&Timer);
    EXPECT_FALSE(KeSetTimer(&Timer, Ticks(100), NULL));
    EXPECT_TRUE(KeSetTimer(&Timer, Ticks(2), NULL));
    EXPECT_EQ(KeWaitForSingleObject(&Timer, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    EXPECT_FALSE(KeSetTimer(&Timer, Ticks(100), NULL));
    EXPECT_TRUE(KeCancelTimer(&Timer));
    EXPECT_FALSE(KeCancelTimer(&Timer));
}

/* Waiting on something that is not a dispatcher object is refused with a status, before any wait. */
KTEST(wait, not_a_dispatcher_object)
{
    KDPC Dpc;
    KeInitializeDpc(&Dpc, CountDpc, NULL);
    EXPECT_EQ(KeWaitForSingleObject(&Dpc, Executive, KernelMode, FALSE, NULL), STATUS_INVALID_PARAMETER_1);
    KEVENT Event;
    KeInitializeEvent(&Event, NotificationEvent, TRUE);
    PVOID Objects[2] = { &Event, &Dpc };
    EXPECT_EQ(KeWaitForMultipleObjects(2, Objects, WaitAny, Executive, KernelMode, FALSE, NULL, NULL),
              STATUS_INVALID_PARAMETER_2);
    EXPECT_EQ(KeWaitForMultipleObjects(0, Objects, WaitAny, Executive, KernelMode, FALSE, NULL, NULL),
              STATUS_INVALID_PARAMETER_1);
}

/* Up to 64 objects with the caller's wait blocks: WaitAll over 64 semaphores. */
KTEST(wait, sixty_four_objects_with_caller_blocks)
{
    static KSEMAPHORE Semaphores[MAXIMUM_WAIT_OBJECTS];
    static KWAIT_BLOCK Blocks[MAXIMUM_WAIT_OBJECTS];
    PVOID Objects[MAXIMUM_WAIT_OBJECTS];
    for (int i = 0; i < MAXIMUM_WAIT_OBJECTS; i++) {
        KeInitializeSemaphore(&Semaphores[i], 1, 1);
        Objects[i] = &Semaphores[i];
    }
    EXPECT_EQ(KeWaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, Objects, WaitAll, Executive, KernelMode, FALSE, NULL,
                                       Blocks), STATUS_WAIT_0);
    ULONG Taken = 0;
    for (int i = 0; i < MAXIMUM_WAIT_OBJECTS; i++)
        Taken += KeReadStateSemaphore(&Semaphores[i]) == 0;
    EXPECT_EQ(Taken, MAXIMUM_WAIT_OBJECTS);
}

/* More than three objects without wait blocks: MAXIMUM_WAIT_OBJECTS_EXCEEDED. */
KTEST_DEATH_P1(wait, four_objects_without_wait_blocks, MAXIMUM_WAIT_OBJECTS_EXCEEDED, 4)
{
    static KEVENT Events[4];
    PVOID Objects[4];
    for (int i = 0; i < 4; i++) {
        KeInitializeEvent(&Events[i], NotificationEvent, TRUE);
        Objects[i] = &Events[i];
    }
    KeWaitForMultipleObjects(4, Objects, WaitAny, Executive, KernelMode, FALSE, NULL, NULL);
}

/* A wait that could block, at DISPATCH_LEVEL: IRQL_NOT_LESS_OR_EQUAL with the object and the IRQL. */
KTEST_DEATH(wait, blocking_wait_at_dispatch_level, IRQL_NOT_LESS_OR_EQUAL)
{
    static KEVENT Event;
    KIRQL OldIrql;
    LARGE_INTEGER Timeout = Ticks(1);
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    KtestExpectBugCheckParameter(t, 1, (ULONG_PTR)&Event);
    KtestExpectBugCheckParameter(t, 2, DISPATCH_LEVEL);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Timeout);
}

/* ... but a zero timeout at DISPATCH_LEVEL is a legal test of the state. */
KTEST(wait, zero_timeout_at_dispatch_level)
{
    KEVENT Event;
    KIRQL OldIrql;
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    NTSTATUS Status = KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero);
    KeLowerIrql(OldIrql);
    EXPECT_EQ(Status, STATUS_TIMEOUT);
}

static void WaitInDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    LARGE_INTEGER Timeout = Ticks(1);
    KeWaitForSingleObject(Context, Executive, KernelMode, FALSE, &Timeout);
}

/* A wait from a DPC routine: ATTEMPTED_SWITCH_FROM_DPC, the waiting thread as parameter 1. */
KTEST_DEATH(wait, wait_from_dpc, ATTEMPTED_SWITCH_FROM_DPC)
{
    static KDPC Dpc;
    static KEVENT Event;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    KeInitializeDpc(&Dpc, WaitInDpc, &Event);
    KtestExpectBugCheckParameter(t, 1, (ULONG_PTR)KeGetCurrentThread());
    KeInsertQueueDpc(&Dpc, NULL, NULL);
}
