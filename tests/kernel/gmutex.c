/*
 * tests/kernel/gmutex.c — guarded mutexes (KeAcquireGuardedMutex and its
 * family, kernel/ke/fmutex.c).
 *
 * NT's rules for a KGUARDED_MUTEX: one holder at a time, the others wait on
 * it; the holder (and a thread waiting to become one) is inside a guarded
 * region, so no kernel APC — normal or special — is delivered to it until
 * it releases, and its IRQL is not raised; KeTryToAcquireGuardedMutex takes
 * a free mutex and returns TRUE, or returns FALSE at once, the guarded
 * region left again, when it is held (by anyone, its caller included).
 * Recursion would deadlock in NT: mm386 stops with SPIN_LOCK_ALREADY_OWNED,
 * and a release by a thread that does not hold it with SPIN_LOCK_NOT_OWNED.
 */
#include "../testlib.h"

#define TEST_PRIORITY   8

typedef struct _GUARDED_CONTEXT {
    KGUARDED_MUTEX Mutex;
    volatile LONG Inside;
    volatile LONG MaxInside;
    volatile ULONG Done;
    volatile ULONG BadState;            /* a holder found not in a guarded region, or above PASSIVE_LEVEL */
} GUARDED_CONTEXT;

static void HoldGuardedMutexAcrossSleeps(PVOID Context)
{
    GUARDED_CONTEXT *Ctx = Context;
    PKTHREAD Thread = KeGetCurrentThread();
    for (int i = 0; i < 3; i++) {
        KeAcquireGuardedMutex(&Ctx->Mutex);
        if (Thread->SpecialApcDisable != 1 || KeGetCurrentIrql() != PASSIVE_LEVEL || Ctx->Mutex.Owner != Thread)
            Ctx->BadState++;
        LONG Inside = __atomic_add_fetch(&Ctx->Inside, 1, __ATOMIC_RELAXED);
        if (Inside > Ctx->MaxInside)
            Ctx->MaxInside = Inside;
        TestSleepTicks(1);              /* the holder waits: the others run and contend */
        __atomic_sub_fetch(&Ctx->Inside, 1, __ATOMIC_RELAXED);
        KeReleaseGuardedMutex(&Ctx->Mutex);
        if (Thread->SpecialApcDisable != 0)
            Ctx->BadState++;
    }
    __atomic_add_fetch(&Ctx->Done, 1, __ATOMIC_RELAXED);
}

/* Three threads contending for a guarded mutex held across sleeps: one holder at a time, the others block. */
KTEST(gmutex, excludes_contenders)
{
    static GUARDED_CONTEXT Ctx;
    PETHREAD Threads[3];
    memset((void *)&Ctx, 0, sizeof(Ctx));
    KeInitializeGuardedMutex(&Ctx.Mutex);
    for (int i = 0; i < 3; i++) {
        Threads[i] = TestStartThread(HoldGuardedMutexAcrossSleeps, &Ctx, TEST_PRIORITY);
        ASSERT_NOT_NULL(Threads[i]);
    }
    for (int i = 0; i < 3; i++)
        EXPECT_TRUE(TestJoinThread(Threads[i]));
    EXPECT_EQ(Ctx.Done, 3);
    EXPECT_EQ(Ctx.MaxInside, 1);
    EXPECT_EQ(Ctx.BadState, 0);
    EXPECT_GT(Ctx.Mutex.Contention, 0);
    EXPECT_EQ(Ctx.Mutex.Count, 1);
    EXPECT_NULL(Ctx.Mutex.Owner);
}

typedef struct _TRY_CONTEXT {
    PKGUARDED_MUTEX Mutex;
    volatile BOOLEAN Acquired;
    volatile LONG SpecialApcDisableAfter;
    volatile BOOLEAN OwnerWasSelf;
} TRY_CONTEXT;

static void TryGuardedMutex(PVOID Context)
{
    TRY_CONTEXT *Ctx = Context;
    PKTHREAD Thread = KeGetCurrentThread();
    Ctx->Acquired = KeTryToAcquireGuardedMutex(Ctx->Mutex);
    Ctx->SpecialApcDisableAfter = Thread->SpecialApcDisable;
    Ctx->OwnerWasSelf = Ctx->Mutex->Owner == Thread;
    if (Ctx->Acquired)
        KeReleaseGuardedMutex(Ctx->Mutex);
}

/*
 * KeTryToAcquireGuardedMutex fails at once, leaving its caller outside any
 * guarded region, while another thread holds the mutex (or the caller does),
 * and succeeds, inside the region, once it is free.
 */
KTEST(gmutex, try_acquire_fails_while_held)
{
    KGUARDED_MUTEX Mutex;
    TRY_CONTEXT Ctx = { .Mutex = &Mutex };
    PKTHREAD Self = KeGetCurrentThread();
    KeInitializeGuardedMutex(&Mutex);

    KeAcquireGuardedMutex(&Mutex);
    EXPECT_EQ(Self->SpecialApcDisable, 1);
    EXPECT_FALSE(KeTryToAcquireGuardedMutex(&Mutex));
    EXPECT_EQ(Self->SpecialApcDisable, 1);
    Ctx.Acquired = TRUE;
    Ctx.SpecialApcDisableAfter = -1;
    PETHREAD Thread = TestStartThread(TryGuardedMutex, &Ctx, TEST_PRIORITY + 2);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_FALSE(Ctx.Acquired);
    EXPECT_EQ(Ctx.SpecialApcDisableAfter, 0);
    EXPECT_EQ(Mutex.Owner, Self);
    EXPECT_EQ(Mutex.Count, 0);
    KeReleaseGuardedMutex(&Mutex);
    EXPECT_EQ(Self->SpecialApcDisable, 0);

    Ctx.SpecialApcDisableAfter = -1;
    Thread = TestStartThread(TryGuardedMutex, &Ctx, TEST_PRIORITY + 2);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_TRUE(Ctx.Acquired);
    EXPECT_TRUE(Ctx.OwnerWasSelf);
    EXPECT_EQ(Ctx.SpecialApcDisableAfter, 1);
    EXPECT_EQ(Mutex.Count, 1);
    EXPECT_NULL(Mutex.Owner);

    EXPECT_TRUE(KeTryToAcquireGuardedMutex(&Mutex));
    EXPECT_EQ(Mutex.Owner, Self);
    EXPECT_EQ(Self->SpecialApcDisable, 1);
    KeReleaseGuardedMutex(&Mutex);
    EXPECT_EQ(Self->SpecialApcDisable, 0);
}

typedef struct _APC_RECORD {
    KAPC Apc;
    volatile ULONG KernelRuns;
    volatile ULONG NormalRuns;
} APC_RECORD;

static void CountKernelRoutine(PKAPC Apc, PKNORMAL_ROUTINE *NormalRoutine, PVOID *NormalContext,
                               PVOID *SystemArgument1, PVOID *SystemArgument2)
{
    CONTAINING_RECORD(Apc, APC_RECORD, Apc)->KernelRuns++;
}

static void CountNormalRoutine(PVOID NormalContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    ((APC_RECORD *)NormalContext)->NormalRuns++;
}

static void QueueApcs(PKTHREAD Thread, APC_RECORD *Normal, APC_RECORD *Special)
{
    KeInitializeApc(&Normal->Apc, Thread, OriginalApcEnvironment, CountKernelRoutine, NULL, CountNormalRoutine,
                    KernelMode, Normal);
    KeInitializeApc(&Special->Apc, Thread, OriginalApcEnvironment, CountKernelRoutine, NULL, NULL, KernelMode,
                    NULL);
    KeInsertQueueApc(&Normal->Apc, NULL, NULL, 0);
    KeInsertQueueApc(&Special->Apc, NULL, NULL, 0);
}

/*
 * The holder of a guarded mutex runs at PASSIVE_LEVEL but inside a guarded
 * region: neither a normal nor a special kernel APC queued to it runs until
 * the release, which delivers both.
 */
KTEST(gmutex, holder_gets_no_apcs_until_release)
{
    KGUARDED_MUTEX Mutex;
    APC_RECORD Normal = { .KernelRuns = 0 }, Special = { .KernelRuns = 0 };
    KeInitializeGuardedMutex(&Mutex);
    KeAcquireGuardedMutex(&Mutex);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_TRUE(KeAreApcsDisabled());
    QueueApcs(KeGetCurrentThread(), &Normal, &Special);
    EXPECT_EQ(Normal.KernelRuns, 0);
    EXPECT_EQ(Special.KernelRuns, 0);
    TestSleepTicks(1);                  /* a wait in the guarded region delivers nothing either */
    EXPECT_EQ(Normal.KernelRuns, 0);
    EXPECT_EQ(Special.KernelRuns, 0);
    KeReleaseGuardedMutex(&Mutex);
    EXPECT_FALSE(KeAreApcsDisabled());
    EXPECT_EQ(Special.KernelRuns, 1);
    EXPECT_EQ(Normal.KernelRuns, 1);
    EXPECT_EQ(Normal.NormalRuns, 1);
}

typedef struct _BLOCKED_CONTEXT {
    PKGUARDED_MUTEX Mutex;
    volatile LONG Stage;                /* 1 about to acquire, 2 acquired, 3 released */
    volatile ULONG ApcRunsWhileHolding;
    APC_RECORD *Normal, *Special;
} BLOCKED_CONTEXT;

static void AcquireAfterBlocking(PVOID Context)
{
    BLOCKED_CONTEXT *Ctx = Context;
    Ctx->Stage = 1;
    KeAcquireGuardedMutex(Ctx->Mutex);
    Ctx->Stage = 2;
    Ctx->ApcRunsWhileHolding = Ctx->Normal->KernelRuns + Ctx->Special->KernelRuns;
    KeReleaseGuardedMutex(Ctx->Mutex);
    Ctx->Stage = 3;
}

/*
 * A thread blocked in KeAcquireGuardedMutex is already in its guarded
 * region: APCs queued to it neither run in its wait nor end it; it takes
 * the mutex when the holder releases, and gets the APCs at its own release.
 */
KTEST(gmutex, waiter_gets_no_apcs_until_its_release)
{
    static KGUARDED_MUTEX Mutex;
    static APC_RECORD Normal, Special;
    static BLOCKED_CONTEXT Ctx;
    memset(&Normal, 0, sizeof(Normal));
    memset(&Special, 0, sizeof(Special));
    memset((void *)&Ctx, 0, sizeof(Ctx));
    Ctx.Mutex = &Mutex;
    Ctx.Normal = &Normal;
    Ctx.Special = &Special;
    Ctx.ApcRunsWhileHolding = 99;
    KeInitializeGuardedMutex(&Mutex);
    KeAcquireGuardedMutex(&Mutex);
    PETHREAD Thread = TestStartThread(AcquireAfterBlocking, &Ctx, TEST_PRIORITY + 2);
    if (Thread == NULL) {
        KeReleaseGuardedMutex(&Mutex);
        ASSERT_NOT_NULL(Thread);
    }
    /* The higher-priority thread ran at once and is now waiting on the mutex. */
    EXPECT_EQ(Ctx.Stage, 1);
    EXPECT_EQ(Thread->Tcb.State, Waiting);
    EXPECT_EQ(Thread->Tcb.SpecialApcDisable, 1);
    QueueApcs(&Thread->Tcb, &Normal, &Special);
    TestSleepTicks(1);
    EXPECT_EQ(Ctx.Stage, 1);
    EXPECT_EQ(Normal.KernelRuns, 0);
    EXPECT_EQ(Special.KernelRuns, 0);
    KeReleaseGuardedMutex(&Mutex);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(Ctx.Stage, 3);
    EXPECT_EQ(Ctx.ApcRunsWhileHolding, 0);
    EXPECT_EQ(Special.KernelRuns, 1);
    EXPECT_EQ(Normal.KernelRuns, 1);
    EXPECT_EQ(Normal.NormalRuns, 1);
    EXPECT_EQ(Mutex.Count, 1);
}

/* Acquiring a guarded mutex the thread already holds would deadlock: SPIN_LOCK_ALREADY_OWNED with the mutex. */
KTEST_DEATH(gmutex, recursion, SPIN_LOCK_ALREADY_OWNED)
{
    static KGUARDED_MUTEX Mutex;
    KeInitializeGuardedMutex(&Mutex);
    KtestExpectBugCheckParameter(t, 1, (ULONG_PTR)&Mutex);
    KeAcquireGuardedMutex(&Mutex);
    KeAcquireGuardedMutex(&Mutex);
}

static void ReleaseGuardedNotHeld(PVOID Context)
{
    KeReleaseGuardedMutex(Context);
}

/* Releasing a guarded mutex another thread holds: SPIN_LOCK_NOT_OWNED with the mutex. */
KTEST_DEATH(gmutex, release_by_non_holder, SPIN_LOCK_NOT_OWNED)
{
    static KGUARDED_MUTEX Mutex;
    KeInitializeGuardedMutex(&Mutex);
    KtestExpectBugCheckParameter(t, 1, (ULONG_PTR)&Mutex);
    KeAcquireGuardedMutex(&Mutex);
    TEST_REQUIRE(TestStartThread(ReleaseGuardedNotHeld, &Mutex, TEST_PRIORITY + 2) != NULL);
}
