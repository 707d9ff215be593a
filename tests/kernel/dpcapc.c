/*
 * tests/kernel/dpcapc.c — DPCs, APCs, attaching to another address space,
 * fast mutexes that block.
 *
 * NT's rules: a DPC runs at DISPATCH_LEVEL as soon as the IRQL falls below
 * it, once however often it was queued meanwhile; a kernel APC runs in its
 * target thread, at once if that thread runs below APC_LEVEL, when it
 * leaves a critical region if it is in one, and interrupts a wait at
 * PASSIVE_LEVEL without ending it; an attached thread runs in the other
 * process's address space until it detaches, across thread switches.
 */
#include "../testlib.h"

#define TEST_PRIORITY   8

typedef struct _DPC_RECORD {
    KDPC Dpc;
    volatile ULONG Runs;
    volatile KIRQL Irql;
    PVOID Argument1;
} DPC_RECORD;

static void RecordDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    DPC_RECORD *Record = Context;
    Record->Runs++;
    Record->Irql = KeGetCurrentIrql();
    Record->Argument1 = Argument1;
}

/* Queued at PASSIVE_LEVEL, a DPC runs at DISPATCH_LEVEL before KeInsertQueueDpc returns. */
KTEST(dpcapc, dpc_runs_when_irql_allows)
{
    DPC_RECORD Record = { .Runs = 0 };
    KeInitializeDpc(&Record.Dpc, RecordDpc, &Record);
    EXPECT_TRUE(KeInsertQueueDpc(&Record.Dpc, (PVOID)0x1234, NULL));
    EXPECT_EQ(Record.Runs, 1);
    EXPECT_EQ(Record.Irql, DISPATCH_LEVEL);
    EXPECT_EQ(Record.Argument1, (PVOID)0x1234);
}

/* Queued at DISPATCH_LEVEL it waits for the IRQL to fall; queued twice meanwhile it runs once. */
KTEST(dpcapc, dpc_deferred_and_queued_once)
{
    DPC_RECORD Record = { .Runs = 0 };
    KIRQL OldIrql;
    KeInitializeDpc(&Record.Dpc, RecordDpc, &Record);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    EXPECT_TRUE(KeInsertQueueDpc(&Record.Dpc, NULL, NULL));
    EXPECT_FALSE(KeInsertQueueDpc(&Record.Dpc, NULL, NULL));
    ULONG RunsAtDispatch = Record.Runs;
    KeLowerIrql(OldIrql);
    EXPECT_EQ(RunsAtDispatch, 0);
    EXPECT_EQ(Record.Runs, 1);
}

/* A DPC removed from the queue before it ran never runs. */
KTEST(dpcapc, dpc_removed_before_it_runs)
{
    DPC_RECORD Record = { .Runs = 0 };
    KIRQL OldIrql;
    KeInitializeDpc(&Record.Dpc, RecordDpc, &Record);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    KeInsertQueueDpc(&Record.Dpc, NULL, NULL);
    EXPECT_TRUE(KeRemoveQueueDpc(&Record.Dpc));
    EXPECT_FALSE(KeRemoveQueueDpc(&Record.Dpc));
    KeLowerIrql(OldIrql);
    EXPECT_EQ(Record.Runs, 0);
}

typedef struct _APC_RECORD {
    KAPC Apc;
    volatile ULONG KernelRuns, NormalRuns;
    volatile KIRQL KernelIrql, NormalIrql;
    PKTHREAD RanIn;
} APC_RECORD;

static void ApcKernelRoutine(PKAPC Apc, PKNORMAL_ROUTINE *NormalRoutine, PVOID *NormalContext,
                             PVOID *SystemArgument1, PVOID *SystemArgument2)
{
    APC_RECORD *Record = CONTAINING_RECORD(Apc, APC_RECORD, Apc);
    Record->KernelRuns++;
    Record->KernelIrql = KeGetCurrentIrql();
    Record->RanIn = KeGetCurrentThread();
}

static void ApcNormalRoutine(PVOID NormalContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    APC_RECORD *Record = NormalContext;
    Record->NormalRuns++;
    Record->NormalIrql = KeGetCurrentIrql();
}

/* A normal kernel APC to the running thread: its kernel routine at APC_LEVEL, its normal routine at PASSIVE_LEVEL, at once. */
KTEST(dpcapc, kernel_apc_to_self)
{
    APC_RECORD Record = { .KernelRuns = 0 };
    KeInitializeApc(&Record.Apc, KeGetCurrentThread(), OriginalApcEnvironment, ApcKernelRoutine, NULL,
                    ApcNormalRoutine, KernelMode, &Record);
    EXPECT_TRUE(KeInsertQueueApc(&Record.Apc, NULL, NULL, 0));
    EXPECT_EQ(Record.KernelRuns, 1);
    EXPECT_EQ(Record.KernelIrql, APC_LEVEL);
    EXPECT_EQ(Record.NormalRuns, 1);
    EXPECT_EQ(Record.NormalIrql, PASSIVE_LEVEL);
    EXPECT_FALSE(Record.Apc.Inserted);
}

/* In a critical region a normal kernel APC waits; a special one (no normal routine) does not. */
KTEST(dpcapc, critical_region_defers_normal_apcs)
{
    APC_RECORD Normal = { .KernelRuns = 0 }, Special = { .KernelRuns = 0 };
    KeInitializeApc(&Normal.Apc, KeGetCurrentThread(), OriginalApcEnvironment, ApcKernelRoutine, NULL,
                    ApcNormalRoutine, KernelMode, &Normal);
    KeInitializeApc(&Special.Apc, KeGetCurrentThread(), OriginalApcEnvironment, ApcKernelRoutine, NULL,
                    NULL, KernelMode, NULL);
    KeEnterCriticalRegion();
    KeInsertQueueApc(&Normal.Apc, NULL, NULL, 0);
    KeInsertQueueApc(&Special.Apc, NULL, NULL, 0);
    EXPECT_EQ(Normal.KernelRuns, 0);
    EXPECT_EQ(Special.KernelRuns, 1);
    KeLeaveCriticalRegion();
    EXPECT_EQ(Normal.KernelRuns, 1);
    EXPECT_EQ(Normal.NormalRuns, 1);
}

/* In a guarded region even special kernel APCs wait. */
KTEST(dpcapc, guarded_region_defers_all_apcs)
{
    APC_RECORD Special = { .KernelRuns = 0 };
    KeInitializeApc(&Special.Apc, KeGetCurrentThread(), OriginalApcEnvironment, ApcKernelRoutine, NULL,
                    NULL, KernelMode, NULL);
    KeEnterGuardedRegion();
    KeInsertQueueApc(&Special.Apc, NULL, NULL, 0);
    EXPECT_EQ(Special.KernelRuns, 0);
    KeLeaveGuardedRegion();
    EXPECT_EQ(Special.KernelRuns, 1);
}

typedef struct _APC_WAITER {
    KEVENT Event;
    volatile NTSTATUS Status;
} APC_WAITER;

static void WaitForEvent(PVOID Context)
{
    APC_WAITER *Waiter = Context;
    Waiter->Status = KeWaitForSingleObject(&Waiter->Event, Executive, KernelMode, FALSE, NULL);
}

/*
 * A kernel APC for a thread waiting at PASSIVE_LEVEL runs in that thread,
 * and the thread goes back to its wait: the wait ends only when its object
 * is signalled, with the object's status.
 */
KTEST(dpcapc, kernel_apc_interrupts_a_wait_without_ending_it)
{
    APC_WAITER Waiter = { .Status = -1 };
    APC_RECORD Record = { .KernelRuns = 0 };
    KeInitializeEvent(&Waiter.Event, NotificationEvent, FALSE);
    PETHREAD Thread = TestStartThread(WaitForEvent, &Waiter, TEST_PRIORITY + 2);
    ASSERT_NOT_NULL(Thread);
    ASSERT_EQ(Thread->Tcb.State, Waiting);
    KeInitializeApc(&Record.Apc, &Thread->Tcb, OriginalApcEnvironment, ApcKernelRoutine, NULL, ApcNormalRoutine,
                    KernelMode, &Record);
    EXPECT_TRUE(KeInsertQueueApc(&Record.Apc, NULL, NULL, 0));
    EXPECT_EQ(Record.KernelRuns, 1);
    EXPECT_EQ(Record.NormalRuns, 1);
    EXPECT_EQ(Record.RanIn, &Thread->Tcb);
    EXPECT_EQ(Thread->Tcb.State, Waiting);
    EXPECT_EQ(Waiter.Status, -1);
    KeSetEvent(&Waiter.Event, 0, FALSE);
    EXPECT_EQ(Waiter.Status, STATUS_SUCCESS);
    EXPECT_TRUE(TestJoinThread(Thread));
}

/* An attached thread runs in the other address space: its CR3, its hyperspace, MmGetCurrentAddressSpace. */
KTEST(dpcapc, stack_attach_switches_address_space)
{
    EPROCESS B, C;
    KAPC_STATE Outer, Inner, Self;
    ULONG SystemCr3 = HalReadCr3();
    ASSERT_EQ(TestCreateProcess(&B), STATUS_SUCCESS);
    ASSERT_EQ(TestCreateProcess(&C), STATUS_SUCCESS);
    KeStackAttachProcess(&B.Pcb, &Outer);
    EXPECT_EQ(HalReadCr3() >> PAGE_SHIFT, B.AddressSpace.PageDirectoryPfn);
    EXPECT_EQ(KeGetCurrentProcess(), &B.Pcb);
    EXPECT_EQ(PsGetCurrentProcess(), &B);                           /* NT's: the process it is attached to */
    EXPECT_EQ(PsGetCurrentThreadProcess(), PsInitialSystemProcess); /* the thread's own process is unchanged */
    KeStackAttachProcess(&B.Pcb, &Self);                            /* to the same process: nothing */
    EXPECT_EQ(Self.Process, (PKPROCESS)1);
    KeUnstackDetachProcess(&Self);
    KeStackAttachProcess(&C.Pcb, &Inner);                           /* nested */
    EXPECT_EQ(HalReadCr3() >> PAGE_SHIFT, C.AddressSpace.PageDirectoryPfn);
    EXPECT_EQ(MmGetCurrentAddressSpace(), &C.AddressSpace);
    KeUnstackDetachProcess(&Inner);
    EXPECT_EQ(HalReadCr3() >> PAGE_SHIFT, B.AddressSpace.PageDirectoryPfn);
    KeUnstackDetachProcess(&Outer);
    EXPECT_EQ(HalReadCr3(), SystemCr3);
    EXPECT_EQ(KeGetCurrentThread()->ApcStateIndex, OriginalApcEnvironment);
    TestDeleteProcess(&B);
    TestDeleteProcess(&C);
}

static void RecordCr3(PVOID Context)
{
    *(volatile ULONG *)Context = HalReadCr3();
}

/*
 * Attached, the thread keeps its address space across switches: another
 * thread runs in its own process's, and the attached one comes back to the
 * attached directory.
 */
KTEST(dpcapc, attachment_survives_thread_switches)
{
    EPROCESS B;
    KAPC_STATE ApcState;
    volatile ULONG OtherCr3 = 0;
    ULONG SystemCr3 = HalReadCr3();
    ASSERT_EQ(TestCreateProcess(&B), STATUS_SUCCESS);
    KeStackAttachProcess(&B.Pcb, &ApcState);
    PETHREAD Thread = TestStartThread(RecordCr3, (PVOID)&OtherCr3, TEST_PRIORITY);
    ASSERT_NOT_NULL(Thread);
    EXPECT_EQ(KeYieldExecution(), STATUS_SUCCESS);
    EXPECT_EQ(OtherCr3, SystemCr3);
    EXPECT_EQ(HalReadCr3() >> PAGE_SHIFT, B.AddressSpace.PageDirectoryPfn);
    KeUnstackDetachProcess(&ApcState);
    EXPECT_TRUE(TestJoinThread(Thread));
    TestDeleteProcess(&B);
}

/* Detaching a thread that is not attached: INVALID_PROCESS_DETACH_ATTEMPT. */
KTEST_DEATH(dpcapc, detach_when_not_attached, INVALID_PROCESS_DETACH_ATTEMPT)
{
    static KAPC_STATE ApcState;
    ApcState.Process = NULL;
    KeUnstackDetachProcess(&ApcState);
}

static void AttachInDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    static KAPC_STATE ApcState;
    KeStackAttachProcess(Context, &ApcState);
}

/* Attaching from a DPC routine: INVALID_PROCESS_ATTACH_ATTEMPT with the process. */
KTEST_DEATH(dpcapc, attach_from_dpc, INVALID_PROCESS_ATTACH_ATTEMPT)
{
    static EPROCESS B;
    static KDPC Dpc;
    TEST_REQUIRE(TestCreateProcess(&B) == STATUS_SUCCESS);
    KtestExpectBugCheckParameter(t, 1, (ULONG_PTR)&B.Pcb);
    KeInitializeDpc(&Dpc, AttachInDpc, &B.Pcb);
    KeInsertQueueDpc(&Dpc, NULL, NULL);
}

typedef struct _MUTEX_CONTEXT {
    FAST_MUTEX Mutex;
    volatile LONG Inside;
    volatile LONG MaxInside;
    volatile ULONG Done;
} MUTEX_CONTEXT;

static void HoldMutexAcrossSleeps(PVOID Context)
{
    MUTEX_CONTEXT *Ctx = Context;
    for (int i = 0; i < 3; i++) {
        ExAcquireFastMutex(&Ctx->Mutex);
        LONG Inside = __atomic_add_fetch(&Ctx->Inside, 1, __ATOMIC_RELAXED);
        if (Inside > Ctx->MaxInside)
            Ctx->MaxInside = Inside;
        TestSleepTicks(1);              /* a wait at APC_LEVEL, where a fast mutex's holder runs */
        __atomic_sub_fetch(&Ctx->Inside, 1, __ATOMIC_RELAXED);
        ExReleaseFastMutex(&Ctx->Mutex);
    }
    __atomic_add_fetch(&Ctx->Done, 1, __ATOMIC_RELAXED);
}

/* Three threads contending for a fast mutex that is held across sleeps: one holder at a time, waiters block. */
KTEST(dpcapc, fast_mutex_blocks_contenders)
{
    static MUTEX_CONTEXT Ctx;
    PETHREAD Threads[3];
    memset((void *)&Ctx, 0, sizeof(Ctx));
    ExInitializeFastMutex(&Ctx.Mutex);
    for (int i = 0; i < 3; i++) {
        Threads[i] = TestStartThread(HoldMutexAcrossSleeps, &Ctx, TEST_PRIORITY);
        ASSERT_NOT_NULL(Threads[i]);
    }
    for (int i = 0; i < 3; i++)
        EXPECT_TRUE(TestJoinThread(Threads[i]));
    EXPECT_EQ(Ctx.Done, 3);
    EXPECT_EQ(Ctx.MaxInside, 1);
    EXPECT_GT(Ctx.Mutex.Contention, 0);
    EXPECT_EQ(Ctx.Mutex.Count, 1);
    EXPECT_NULL(Ctx.Mutex.Owner);
}

/* Acquiring a fast mutex the thread already holds would deadlock: SPIN_LOCK_ALREADY_OWNED with the mutex. */
KTEST_DEATH(dpcapc, fast_mutex_recursion, SPIN_LOCK_ALREADY_OWNED)
{
    static FAST_MUTEX Mutex;
    ExInitializeFastMutex(&Mutex);
    KtestExpectBugCheckParameter(t, 1, (ULONG_PTR)&Mutex);
    ExAcquireFastMutex(&Mutex);
    ExAcquireFastMutex(&Mutex);
}

/* Two threads alternating through two synchronization events: the cost of one thread switch, waits included. */
typedef struct _PINGPONG {
    KEVENT Ping, Pong;
    ULONG Rounds;
} PINGPONG;

static void Ponger(PVOID Context)
{
    PINGPONG *Game = Context;
    for (ULONG i = 0; i < Game->Rounds; i++) {
        KeWaitForSingleObject(&Game->Ping, Executive, KernelMode, FALSE, NULL);
        KeSetEvent(&Game->Pong, 0, FALSE);
    }
}

KBENCH(thread_switch_event_pingpong)
{
    static PINGPONG Game;
    Game.Rounds = 20000;
    KeInitializeEvent(&Game.Ping, SynchronizationEvent, FALSE);
    KeInitializeEvent(&Game.Pong, SynchronizationEvent, FALSE);
    PETHREAD Thread = TestStartThread(Ponger, &Game, TEST_PRIORITY);
    if (Thread == NULL)
        return;
    TestSleepTicks(1);
    KbenchStart(b);
    for (ULONG i = 0; i < Game.Rounds; i++) {
        KeSetEvent(&Game.Ping, 0, FALSE);
        KeWaitForSingleObject(&Game.Pong, Executive, KernelMode, FALSE, NULL);
    }
    KbenchStop(b);
    KbenchReport(b, "thread_switch_event_pingpong", 2ull * Game.Rounds);
    TestJoinThread(Thread);
}

/*
 * KeWaitForSingleObject on an event that is already signalled: no wait
 * block, no switch. A notification event (the figure the issue names):
 * the wait takes nothing from it. A synchronization event is consumed by
 * the wait, under the dispatcher lock: that figure is the pair, KeSetEvent
 * then the satisfied wait.
 */
KBENCH(wait_satisfied_no_switch)
{
    static KEVENT Event;
    const ULONG Count = 100000;
    KeInitializeEvent(&Event, NotificationEvent, TRUE);
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++)
        KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL);
    KbenchStop(b);
    KbenchReport(b, "wait_satisfied_no_switch", Count);

    KeInitializeEvent(&Event, SynchronizationEvent, FALSE);
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++) {
        KeSetEvent(&Event, 0, FALSE);
        KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL);
    }
    KbenchStop(b);
    KbenchReport(b, "event_set_then_wait_synchronization", Count);
}
