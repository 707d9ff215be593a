/*
 * tests/ex/wait.c — waiting by handle: NtWaitForSingleObject,
 * NtWaitForMultipleObjects, NtSignalAndWaitForSingleObject (kernel/ob/obwait.c).
 *
 * NT's rules, written out: SYNCHRONIZE is needed from user mode
 * (STATUS_ACCESS_DENIED); 1..64 handles (else STATUS_INVALID_PARAMETER_1);
 * WaitAll or WaitAny (else STATUS_INVALID_PARAMETER_3); an object twice in
 * a WaitAll is STATUS_INVALID_PARAMETER_MIX, in a WaitAny it is fine; the
 * pseudo-handles are no handles to NtWaitForMultipleObjects; a WaitAny
 * returns STATUS_WAIT_0 + the index of the object that satisfied it;
 * processes and threads are waited on like any dispatcher object; the
 * signal and the wait of NtSignalAndWaitForSingleObject happen with nothing
 * in between. mm386's own rule: an object with no dispatcher object in its
 * body is STATUS_OBJECT_TYPE_MISMATCH.
 */
#include "extest.h"

static HANDLE CreateEvent(EVENT_TYPE Type, BOOLEAN State)
{
    HANDLE Handle = NULL;
    OBJECT_ATTRIBUTES Attributes;
    NtCreateEvent(&Handle, EVENT_ALL_ACCESS, ExtKernelAttributes(&Attributes), Type, State);
    return Handle;
}

/* A zero timeout tests the state; a signalled object satisfies the wait; a process and a thread can be waited on. */
KTEST(obwait, single_object_states_and_kinds)
{
    LARGE_INTEGER Zero = { .QuadPart = 0 }, Short = ExtTicks(2);
    HANDLE Set = CreateEvent(NotificationEvent, TRUE), Reset = CreateEvent(NotificationEvent, FALSE);
    ASSERT_NOT_NULL(Set);
    ASSERT_NOT_NULL(Reset);
    EXPECT_EQ(NtWaitForSingleObject(Set, FALSE, &Zero), STATUS_WAIT_0);
    EXPECT_EQ(NtWaitForSingleObject(Set, FALSE, NULL), STATUS_WAIT_0);
    EXPECT_EQ(NtWaitForSingleObject(Reset, FALSE, &Zero), STATUS_TIMEOUT);
    EXPECT_EQ(NtWaitForSingleObject(Reset, FALSE, &Short), STATUS_TIMEOUT);
    /* The current process lives on; the current thread is running: neither is signalled. */
    EXPECT_EQ(NtWaitForSingleObject(NtCurrentProcess(), FALSE, &Zero), STATUS_TIMEOUT);
    EXPECT_EQ(NtWaitForSingleObject(NtCurrentThread(), FALSE, &Zero), STATUS_TIMEOUT);
    NtClose(Set);
    NtClose(Reset);
}

static void Nothing(PVOID Context)
{
}

/* A thread's handle is signalled when the thread ends: a wait on it returns then. */
KTEST(obwait, wait_for_a_thread_by_handle)
{
    HANDLE Handle;
    OBJECT_ATTRIBUTES Attributes;
    LARGE_INTEGER Timeout = ExtTicks(50);
    ASSERT_EQ(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, ExtKernelAttributes(&Attributes), NULL, NULL, Nothing,
                                   NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Timeout), STATUS_WAIT_0);
    NtClose(Handle);
}

/* A handle to an object that is no dispatcher object: STATUS_OBJECT_TYPE_MISMATCH, single or multiple. */
KTEST(obwait, a_plain_object_cannot_be_waited_on)
{
    HANDLE Plain, Event = CreateEvent(NotificationEvent, TRUE);
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    ASSERT_EQ(ExtCreatePlainObject(&Plain), STATUS_SUCCESS);
    PVOID Object = ExtObject(Plain);
    EXPECT_EQ(NtWaitForSingleObject(Plain, FALSE, &Zero), STATUS_OBJECT_TYPE_MISMATCH);
    HANDLE Both[2] = { Event, Plain };
    EXPECT_EQ(NtWaitForMultipleObjects(2, Both, WaitAny, FALSE, &Zero), STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 1u);         /* every reference taken was given back */
    EXPECT_EQ(NtSignalAndWaitForSingleObject(Event, Plain, FALSE, &Zero), STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(NtSignalAndWaitForSingleObject(Plain, Event, FALSE, &Zero), STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 1u);
    NtClose(Plain);
    NtClose(Event);
}

/* From user mode a handle needs SYNCHRONIZE to be waited on; from kernel mode it does not. */
KTEST(obwait, user_mode_needs_synchronize)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    PLARGE_INTEGER Zero = (PLARGE_INTEGER)(User.Buffer + 16);
    Zero->QuadPart = 0;
    EXPECT_EQ(EXT_USER_CALL(NtCreateEvent(&Handles[0], EVENT_MODIFY_STATE, NULL, NotificationEvent, TRUE)),
              STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtCreateEvent(&Handles[1], SYNCHRONIZE, NULL, NotificationEvent, TRUE)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtWaitForSingleObject(Handles[0], FALSE, Zero)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtWaitForMultipleObjects(2, Handles, WaitAny, FALSE, Zero)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtWaitForSingleObject(Handles[1], FALSE, Zero)), STATUS_WAIT_0);
    EXPECT_EQ(ZwWaitForSingleObject(Handles[0], FALSE, Zero), STATUS_WAIT_0);
    ExtLeaveUserProcess(&User);
}

/* The count, the wait type, duplicates in a WaitAll, pseudo-handles, closed handles: each refused NT's way. */
KTEST(obwait, multiple_checks_its_arguments)
{
    HANDLE A = CreateEvent(NotificationEvent, TRUE), B = CreateEvent(NotificationEvent, TRUE);
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    HANDLE Handles[MAXIMUM_WAIT_OBJECTS + 1];
    for (ULONG i = 0; i < ARRAY_SIZE(Handles); i++)
        Handles[i] = A;
    EXPECT_EQ(NtWaitForMultipleObjects(0, Handles, WaitAny, FALSE, &Zero), STATUS_INVALID_PARAMETER_1);
    EXPECT_EQ(NtWaitForMultipleObjects(65, Handles, WaitAny, FALSE, &Zero), STATUS_INVALID_PARAMETER_1);
    EXPECT_EQ(NtWaitForMultipleObjects(2, Handles, (WAIT_TYPE)2, FALSE, &Zero), STATUS_INVALID_PARAMETER_3);
    EXPECT_EQ(NtWaitForMultipleObjects(64, Handles, WaitAny, FALSE, &Zero), STATUS_WAIT_0);
    EXPECT_EQ(NtWaitForMultipleObjects(2, Handles, WaitAll, FALSE, &Zero), STATUS_INVALID_PARAMETER_MIX);
    HANDLE Pseudo[2] = { A, NtCurrentProcess() };
    EXPECT_EQ(NtWaitForMultipleObjects(2, Pseudo, WaitAny, FALSE, &Zero), STATUS_INVALID_HANDLE);
    Pseudo[1] = NtCurrentThread();
    EXPECT_EQ(NtWaitForMultipleObjects(2, Pseudo, WaitAny, FALSE, &Zero), STATUS_INVALID_HANDLE);
    HANDLE Pair[2] = { A, B };
    EXPECT_EQ(NtWaitForMultipleObjects(2, Pair, WaitAll, FALSE, &Zero), STATUS_WAIT_0);
    NtClose(B);
    EXPECT_EQ(NtWaitForMultipleObjects(2, Pair, WaitAll, FALSE, &Zero), STATUS_INVALID_HANDLE);
    EXPECT_EQ(ObGetObjectPointerCount(ExtObject(A)), 1u);
    NtClose(A);
}

/* A WaitAny names the object that satisfied it; a WaitAll waits for all, then takes from each. */
KTEST(obwait, wait_any_index_and_wait_all_consumption)
{
    HANDLE Handles[5];
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    for (int i = 0; i < 5; i++)
        Handles[i] = CreateEvent(SynchronizationEvent, FALSE);
    NtSetEvent(Handles[3], NULL);
    EXPECT_EQ(NtWaitForMultipleObjects(5, Handles, WaitAny, FALSE, &Zero), STATUS_WAIT_0 + 3);
    EXPECT_EQ(NtWaitForMultipleObjects(5, Handles, WaitAny, FALSE, &Zero), STATUS_TIMEOUT);   /* it reset */
    for (int i = 0; i < 4; i++)
        NtSetEvent(Handles[i], NULL);
    EXPECT_EQ(NtWaitForMultipleObjects(5, Handles, WaitAll, FALSE, &Zero), STATUS_TIMEOUT);
    for (int i = 0; i < 4; i++)                                 /* a WaitAll that fails takes nothing */
        EXPECT_EQ(KeReadStateEvent(ExtObject(Handles[i])), 1);
    NtSetEvent(Handles[4], NULL);
    EXPECT_EQ(NtWaitForMultipleObjects(5, Handles, WaitAll, FALSE, &Zero), STATUS_WAIT_0);
    for (int i = 0; i < 5; i++) {
        EXPECT_EQ(KeReadStateEvent(ExtObject(Handles[i])), 0);
        NtClose(Handles[i]);
    }
}

typedef struct _MULTI_WAITER {
    HANDLE *Handles;
    ULONG Count;
    WAIT_TYPE WaitType;
    volatile NTSTATUS Status;
} MULTI_WAITER;

static void WaitForMany(PVOID Context)
{
    MULTI_WAITER *Waiter = Context;
    LARGE_INTEGER Timeout = ExtTicks(100);
    Waiter->Status = NtWaitForMultipleObjects(Waiter->Count, Waiter->Handles, Waiter->WaitType, FALSE, &Timeout);
}

/*
 * 64 objects (more than a thread's built-in wait blocks: an array from pool,
 * tag 'Wait', given back after) waited on by another thread, released by the
 * last one being set; the waiter's WaitAny names it.
 */
KTEST(obwait, sixty_four_objects_across_threads)
{
    HANDLE Handles[MAXIMUM_WAIT_OBJECTS];
    SIZE_T WaitBlocks = TestTagBytes(MAKE_TAG('W', 'a', 'i', 't'), NonPagedPool);
    for (int i = 0; i < MAXIMUM_WAIT_OBJECTS; i++)
        ASSERT_NOT_NULL(Handles[i] = CreateEvent(NotificationEvent, FALSE));
    MULTI_WAITER Any = { Handles, MAXIMUM_WAIT_OBJECTS, WaitAny, STATUS_PENDING };
    PETHREAD Thread = TestStartThread(WaitForMany, &Any, 10);
    EXPECT_GT(TestTagBytes(MAKE_TAG('W', 'a', 'i', 't'), NonPagedPool), WaitBlocks);
    NtSetEvent(Handles[63], NULL);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(Any.Status, STATUS_WAIT_0 + 63);

    MULTI_WAITER All = { Handles, MAXIMUM_WAIT_OBJECTS, WaitAll, STATUS_PENDING };
    Thread = TestStartThread(WaitForMany, &All, 10);
    for (int i = 0; i < MAXIMUM_WAIT_OBJECTS - 1; i++)
        NtSetEvent(Handles[i], NULL);
    EXPECT_EQ(All.Status, STATUS_WAIT_0);           /* 63 were already set, the 64th just now */
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(TestTagBytes(MAKE_TAG('W', 'a', 'i', 't'), NonPagedPool), WaitBlocks);
    for (int i = 0; i < MAXIMUM_WAIT_OBJECTS; i++)
        NtClose(Handles[i]);
}

typedef struct _PING {
    HANDLE Ping, Pong;
    PKTHREAD Main;
    volatile UCHAR MainState;           /* the main thread's KTHREAD.State when the partner got the ping */
    volatile NTSTATUS Status;
} PING;

/* The partner: waits for the ping, notes what the main thread is doing, answers with a pong. */
static void Partner(PVOID Context)
{
    PING *Ping = Context;
    LARGE_INTEGER Timeout = ExtTicks(50);
    Ping->Status = NtWaitForSingleObject(Ping->Ping, FALSE, &Timeout);
    Ping->MainState = Ping->Main->State;
    NtSetEvent(Ping->Pong, NULL);
}

/* One ping-pong with a partner above our priority: signal and wait in one call, or in two. */
static UCHAR PingPong(KTEST_CONTEXT *t, bool Atomic)
{
    PING Ping = { .Ping = CreateEvent(SynchronizationEvent, FALSE), .Pong = CreateEvent(SynchronizationEvent, FALSE),
                  .Main = KeGetCurrentThread(), .MainState = 0xFF, .Status = STATUS_PENDING };
    LARGE_INTEGER Timeout = ExtTicks(50);
    PETHREAD Thread = TestStartThread(Partner, &Ping, 12);
    if (Atomic) {
        EXPECT_EQ(NtSignalAndWaitForSingleObject(Ping.Ping, Ping.Pong, FALSE, &Timeout), STATUS_WAIT_0);
    } else {
        EXPECT_EQ(NtSetEvent(Ping.Ping, NULL), STATUS_SUCCESS);
        EXPECT_EQ(NtWaitForSingleObject(Ping.Pong, FALSE, &Timeout), STATUS_WAIT_0);
    }
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(Ping.Status, STATUS_WAIT_0);
    NtClose(Ping.Ping);
    NtClose(Ping.Pong);
    /* The pong (NtSetEvent: NT's EVENT_INCREMENT) boosted this thread: the tests after it start unboosted. */
    KeSetPriorityThread(Ping.Main, Ping.Main->BasePriority);
    return Ping.MainState;
}

/*
 * NtSignalAndWaitForSingleObject: the partner, above our priority, is
 * readied by the signal but runs only once we are waiting, so it finds us
 * Waiting. Signalling and then waiting in two calls lets it preempt us in
 * between: it finds us Ready (the control that shows the test can tell).
 */
KTEST(obwait, signal_and_wait_is_atomic)
{
    EXPECT_EQ(PingPong(t, true), Waiting);
    EXPECT_EQ(PingPong(t, false), Ready);
}

/* The signal may be a mutant the caller owns (released) or a semaphore (released by one); each refusal is NT's. */
KTEST(obwait, signal_and_wait_signal_kinds)
{
    HANDLE Mutant, Semaphore, Full, Target = CreateEvent(NotificationEvent, TRUE), Timer;
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    ASSERT_EQ(NtCreateMutant(&Mutant, MUTANT_ALL_ACCESS, NULL, TRUE), STATUS_SUCCESS);
    ASSERT_EQ(NtCreateSemaphore(&Semaphore, SEMAPHORE_ALL_ACCESS, NULL, 0, 2), STATUS_SUCCESS);
    ASSERT_EQ(NtCreateSemaphore(&Full, SEMAPHORE_ALL_ACCESS, NULL, 1, 1), STATUS_SUCCESS);
    ASSERT_EQ(NtCreateTimer(&Timer, TIMER_ALL_ACCESS, NULL, NotificationTimer), STATUS_SUCCESS);

    EXPECT_EQ(NtSignalAndWaitForSingleObject(Mutant, Target, FALSE, &Zero), STATUS_WAIT_0);
    EXPECT_EQ(KeReadStateMutant(ExtObject(Mutant)), 1);                  /* released */
    EXPECT_EQ(NtSignalAndWaitForSingleObject(Mutant, Target, FALSE, &Zero), STATUS_MUTANT_NOT_OWNED);
    EXPECT_EQ(NtSignalAndWaitForSingleObject(Semaphore, Target, FALSE, &Zero), STATUS_WAIT_0);
    EXPECT_EQ(KeReadStateSemaphore(ExtObject(Semaphore)), 1);
    EXPECT_EQ(NtSignalAndWaitForSingleObject(Full, Target, FALSE, &Zero), STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    /* A timer cannot be signalled this way. */
    EXPECT_EQ(NtSignalAndWaitForSingleObject(Timer, Target, FALSE, &Zero), STATUS_OBJECT_TYPE_MISMATCH);
    /* Signal and wait on one synchronization object: the wait takes what the signal gave. */
    HANDLE Self = CreateEvent(SynchronizationEvent, FALSE);
    EXPECT_EQ(NtSignalAndWaitForSingleObject(Self, Self, FALSE, &Zero), STATUS_WAIT_0);
    EXPECT_EQ(KeReadStateEvent(ExtObject(Self)), 0);
    NtClose(Self);
    NtClose(Mutant);
    NtClose(Semaphore);
    NtClose(Full);
    NtClose(Target);
    NtClose(Timer);
}

/* From user mode the signal handle needs its modify right, the wait handle SYNCHRONIZE. */
KTEST(obwait, signal_and_wait_access_from_user_mode)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    PLARGE_INTEGER Zero = (PLARGE_INTEGER)(User.Buffer + 32);
    Zero->QuadPart = 0;
    EXT_USER_CALL(NtCreateEvent(&Handles[0], SYNCHRONIZE, NULL, NotificationEvent, FALSE));
    EXT_USER_CALL(NtCreateEvent(&Handles[1], EVENT_MODIFY_STATE, NULL, NotificationEvent, TRUE));
    EXT_USER_CALL(NtCreateSemaphore(&Handles[2], SYNCHRONIZE, NULL, 0, 1));
    EXT_USER_CALL(NtCreateEvent(&Handles[3], EVENT_ALL_ACCESS, NULL, NotificationEvent, TRUE));
    EXPECT_EQ(EXT_USER_CALL(NtSignalAndWaitForSingleObject(Handles[0], Handles[3], FALSE, Zero)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(KeReadStateEvent(ExtObject(Handles[0])), 0);             /* not signalled */
    EXPECT_EQ(EXT_USER_CALL(NtSignalAndWaitForSingleObject(Handles[2], Handles[3], FALSE, Zero)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtSignalAndWaitForSingleObject(Handles[3], Handles[1], FALSE, Zero)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtSignalAndWaitForSingleObject(Handles[1], Handles[3], FALSE, Zero)), STATUS_WAIT_0);
    ExtLeaveUserProcess(&User);
}

/*
 * A mutant taken MUTANT_LIMIT times cannot be taken again: the kernel
 * raises STATUS_MUTANT_LIMIT_EXCEEDED and the service returns it, from
 * either mode (NT's filter takes it whatever the mode). The count is set by
 * hand to one acquisition short of the limit, and restored.
 */
KTEST(obwait, mutant_limit_is_a_status)
{
    HANDLE Handle;
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    ASSERT_EQ(NtCreateMutant(&Handle, MUTANT_ALL_ACCESS, NULL, TRUE), STATUS_SUCCESS);
    PKMUTANT Mutant = ExtObject(Handle);
    Mutant->Header.SignalState = (LONG)MUTANT_LIMIT;
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, &Zero), STATUS_MUTANT_LIMIT_EXCEEDED);
    EXPECT_EQ(NtWaitForMultipleObjects(1, &Handle, WaitAny, FALSE, &Zero), STATUS_MUTANT_LIMIT_EXCEEDED);
    EXPECT_EQ(Mutant->Header.SignalState, (LONG)MUTANT_LIMIT);
    EXPECT_EQ(ObGetObjectPointerCount(Mutant), 1u);
    Mutant->Header.SignalState = 0;
    EXPECT_EQ(NtReleaseMutant(Handle, NULL), STATUS_SUCCESS);
    NtClose(Handle);
}

/*
 * An alertable user-mode wait ends with STATUS_USER_APC when a user APC is
 * queued to the thread; a non-alertable one does not. (A user-mode timer
 * routine is the user APC here.)
 */
KTEST(obwait, alertable_user_wait_ends_with_user_apc)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    PLARGE_INTEGER Due = (PLARGE_INTEGER)(User.Buffer + 16);
    PLARGE_INTEGER Timeout = (PLARGE_INTEGER)(User.Buffer + 24);
    *Due = ExtTicks(1);
    *Timeout = ExtTicks(6);
    EXT_USER_CALL(NtCreateEvent(&Handles[0], EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE));
    EXT_USER_CALL(NtCreateTimer(&Handles[1], TIMER_ALL_ACCESS, NULL, NotificationTimer));
    EXPECT_EQ(EXT_USER_CALL(NtSetTimer(Handles[1], Due, (PTIMER_APC_ROUTINE)0x10000, NULL, FALSE, 0, NULL)),
              STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtWaitForSingleObject(Handles[0], FALSE, Timeout)), STATUS_TIMEOUT);
    EXPECT_EQ(EXT_USER_CALL(NtWaitForMultipleObjects(1, Handles, WaitAny, TRUE, Timeout)), STATUS_USER_APC);
    EXPECT_EQ(EXT_USER_CALL(NtCancelTimer(Handles[1], NULL)), STATUS_SUCCESS);
    ExtLeaveUserProcess(&User);
}
