/*
 * tests/kernel/kdthread.c — kd>'s thread views: !thread, !ready, k THREAD.
 *
 * What a reader of WinDbg's output expects to find: the thread's address
 * and Cid, its state — for a waiting thread the wait reason, the mode and
 * every object it waits on with its kind — its owning process, its stack
 * bounds and its priorities; !ready lists a ready thread under its
 * priority; k of a thread that waits walks its own stack, through the
 * routine it waits in.
 */
#include <kd.h>
#include "../testlib.h"

typedef struct _PARKED {
    KEVENT Event;
    KSEMAPHORE Semaphore;
} PARKED;

static void WaitParked(PVOID Context)
{
    PARKED *Parked = Context;
    PVOID Objects[2] = { &Parked->Event, &Parked->Semaphore };
    LARGE_INTEGER Timeout = { .QuadPart = -1000LL * KeQueryTimeIncrement() };
    KeWaitForMultipleObjects(2, Objects, WaitAny, UserRequest, KernelMode, FALSE, &Timeout, NULL);
}

static char KdOutput[4096];

static void Run(const char *Format, ULONG Argument)
{
    char Line[64];
    snprintf(Line, sizeof(Line), Format, Argument);
    TestBeginCapture(KdOutput, sizeof(KdOutput));
    KdExecute(Line);
    TestEndCapture();
}

/* A thread waiting on two objects with a timeout: !thread names its wait and all three objects. */
KTEST(kdthread, thread_shows_a_wait)
{
    static PARKED Parked;
    char Expect[64];
    KeInitializeEvent(&Parked.Event, SynchronizationEvent, FALSE);
    KeInitializeSemaphore(&Parked.Semaphore, 0, 1);
    PETHREAD Thread = TestStartThread(WaitParked, &Parked, 10);
    ASSERT_NOT_NULL(Thread);
    ASSERT_EQ(Thread->Tcb.State, Waiting);

    Run("!thread %x", (ULONG)Thread);
    snprintf(Expect, sizeof(Expect), "THREAD %08x  Cid 0004.%04x", (ULONG)Thread, (ULONG)Thread->Cid.UniqueThread);
    EXPECT_TRUE(TestContains(KdOutput, Expect));
    EXPECT_TRUE(TestContains(KdOutput, "WAIT: (UserRequest) KernelMode Non-Alertable"));
    snprintf(Expect, sizeof(Expect), "%08x  SynchronizationEvent", (ULONG)&Parked.Event);
    EXPECT_TRUE(TestContains(KdOutput, Expect));
    snprintf(Expect, sizeof(Expect), "%08x  Semaphore", (ULONG)&Parked.Semaphore);
    EXPECT_TRUE(TestContains(KdOutput, Expect));
    snprintf(Expect, sizeof(Expect), "%08x  NotificationTimer (the wait's timeout)", (ULONG)&Thread->Tcb.Timer);
    EXPECT_TRUE(TestContains(KdOutput, Expect));
    EXPECT_TRUE(TestContains(KdOutput, "Image:         System"));
    EXPECT_TRUE(TestContains(KdOutput, "Priority 10 BasePriority 10"));
    EXPECT_TRUE(TestContains(KdOutput, "WaitParked"));
    EXPECT_TRUE(TestContains(KdOutput, "KeWaitForMultipleObjects"));

    Run("k %x", (ULONG)Thread);
    EXPECT_TRUE(TestContains(KdOutput, "KiSwapThread"));
    EXPECT_TRUE(TestContains(KdOutput, "WaitParked"));

    KeSetEvent(&Parked.Event, 0, FALSE);
    EXPECT_TRUE(TestJoinThread(Thread));
}

/* !thread of the running thread says so; of something that is not a thread, says that. */
KTEST(kdthread, thread_of_self_and_of_garbage)
{
    Run("!thread", 0);
    EXPECT_TRUE(TestContains(KdOutput, "RUNNING on processor 0"));
    EXPECT_TRUE(TestContains(KdOutput, "kdcmd_thread"));
    static ULONG NotAThread[64] = { 0xFF };
    Run("!thread %x", (ULONG)NotAThread);
    EXPECT_TRUE(TestContains(KdOutput, "is not a thread"));
    Run("!thread %x", 0x1000);
    EXPECT_TRUE(TestContains(KdOutput, "is not a thread"));
}

/* A thread made ready but not yet run is listed under its priority. */
static void Nothing(PVOID Context)
{
}

KTEST(kdthread, ready_lists_a_ready_thread)
{
    PETHREAD Thread = TestStartThread(Nothing, NULL, 3);
    ASSERT_NOT_NULL(Thread);
    ASSERT_EQ(Thread->Tcb.State, Ready);
    char Expect[64];
    Run("!ready", 0);
    EXPECT_TRUE(TestContains(KdOutput, "Ready Threads at priority 3"));
    snprintf(Expect, sizeof(Expect), "THREAD %08x", (ULONG)Thread);
    EXPECT_TRUE(TestContains(KdOutput, Expect));
    EXPECT_TRUE(TestJoinThread(Thread));
}
