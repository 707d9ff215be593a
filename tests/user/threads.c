/*
 * tests/user/threads.c — threads of a ring-3 process, and the waits between them.
 *
 * RtlCreateUserThread (user/ntdll/rtl.c) over NtCreateThread: a new thread
 * has its own TEB, ids and stack, runs its routine, and its exit status is
 * its routine's value; waiting on its handle returns when it has ended.
 * Events and waits work across threads from ring 3 (NT's semantics: a
 * synchronization event releases one waiter; a timeout is STATUS_TIMEOUT).
 * Ending another thread that is blocked in a wait ends it there.
 */
#include <utest.h>

static NTSTATUS NTAPI ReturnParameter(PVOID Parameter)
{
    return (NTSTATUS)(ULONG)Parameter;
}

static ULONG ThreadExitStatus(HANDLE Thread)
{
    THREAD_BASIC_INFORMATION Basic;
    Basic.ExitStatus = 0xDEADBEEF;
    NtQueryInformationThread(Thread, ThreadBasicInformation, &Basic, sizeof(Basic), NULL);
    return (ULONG)Basic.ExitStatus;
}

UTEST(thread_runs_and_its_routine_value_is_its_exit_status)
{
    HANDLE Thread;
    CLIENT_ID Id;
    UTEST_ASSERT_EQ(RtlCreateUserThread(NtCurrentProcess(), NULL, FALSE, 0, 0, 0, ReturnParameter, (PVOID)0x1234,
                                        &Thread, &Id), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtWaitForSingleObject(Thread, FALSE, NULL), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(ThreadExitStatus(Thread), 0x1234);
    UTEST_EXPECT_EQ(Id.UniqueProcess, NtCurrentTeb()->ClientId.UniqueProcess);
    UTEST_EXPECT(Id.UniqueThread != NtCurrentTeb()->ClientId.UniqueThread, "the new thread has an id of its own");
    UTEST_EXPECT_EQ(NtClose(Thread), STATUS_SUCCESS);
}

/* What the new thread saw of itself: its TEB goes when it ends, so it is copied while it runs. */
static PTEB SeenTeb;
static TEB SeenTebCopy;
static ULONG SeenStack;

static NTSTATUS NTAPI RecordTeb(PVOID Parameter)
{
    ULONG Local;
    SeenTeb = NtCurrentTeb();
    SeenTebCopy = *SeenTeb;
    SeenStack = (ULONG)&Local;
    return STATUS_SUCCESS;
}

UTEST(each_thread_has_its_own_teb_and_stack)
{
    HANDLE Thread;
    UTEST_ASSERT_EQ(RtlCreateUserThread(NtCurrentProcess(), NULL, FALSE, 0, 0x20000, 0x2000, RecordTeb, NULL,
                                        &Thread, NULL), STATUS_SUCCESS);
    NtWaitForSingleObject(Thread, FALSE, NULL);
    NtClose(Thread);
    UTEST_ASSERT(SeenTeb != NULL, "the thread ran");
    UTEST_EXPECT(SeenTeb != NtCurrentTeb(), "a TEB of its own");
    UTEST_EXPECT_EQ(SeenTebCopy.NtTib.Self, &SeenTeb->NtTib);
    UTEST_EXPECT_EQ(SeenTebCopy.ProcessEnvironmentBlock, NtCurrentPeb());
    UTEST_EXPECT(SeenStack < (ULONG)SeenTebCopy.NtTib.StackBase && SeenStack >= (ULONG)SeenTebCopy.NtTib.StackLimit,
                 "its locals lie on the stack its TEB describes");
    UTEST_EXPECT((ULONG)SeenTebCopy.NtTib.StackBase - (ULONG)SeenTebCopy.DeallocationStack == 0x20000,
                 "the reservation it asked for");
    MEMORY_BASIC_INFORMATION Info;
    NtQueryVirtualMemory(NtCurrentProcess(), SeenTeb, MemoryBasicInformation, &Info, sizeof(Info), NULL);
    UTEST_EXPECT_EQ(Info.State, MEM_FREE);                  /* its TEB went with it */
    NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)SeenStack, MemoryBasicInformation, &Info, sizeof(Info), NULL);
    UTEST_EXPECT_EQ(Info.State, MEM_FREE);                  /* and its stack */
}

typedef struct _PING {
    HANDLE Ping, Pong;
    ULONG Rounds;
} PING;

static NTSTATUS NTAPI Ponger(PVOID Parameter)
{
    PING *Game = Parameter;
    for (ULONG i = 0; i < Game->Rounds; i++) {
        NtWaitForSingleObject(Game->Ping, FALSE, NULL);
        NtSetEvent(Game->Pong, NULL);
    }
    return STATUS_SUCCESS;
}

UTEST(two_threads_alternate_through_synchronization_events)
{
    PING Game = { .Rounds = 100 };
    HANDLE Thread;
    UTEST_ASSERT_EQ(NtCreateEvent(&Game.Ping, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE), STATUS_SUCCESS);
    UTEST_ASSERT_EQ(NtCreateEvent(&Game.Pong, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE), STATUS_SUCCESS);
    UTEST_ASSERT_EQ(RtlCreateUserThread(NtCurrentProcess(), NULL, FALSE, 0, 0, 0, Ponger, &Game, &Thread, NULL),
                    STATUS_SUCCESS);
    ULONG Answered = 0;
    for (ULONG i = 0; i < Game.Rounds; i++) {
        NtSetEvent(Game.Ping, NULL);
        Answered += NtWaitForSingleObject(Game.Pong, FALSE, NULL) == STATUS_SUCCESS;
    }
    UTEST_EXPECT_EQ(Answered, Game.Rounds);
    UTEST_EXPECT_EQ(NtWaitForSingleObject(Thread, FALSE, NULL), STATUS_SUCCESS);
    NtClose(Thread);
    NtClose(Game.Ping);
    NtClose(Game.Pong);
}

UTEST(a_wait_times_out)
{
    HANDLE Event;
    LARGE_INTEGER Timeout = { .QuadPart = -20 * 10000 };       /* 20 ms, relative */
    UTEST_ASSERT_EQ(NtCreateEvent(&Event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtWaitForSingleObject(Event, FALSE, &Timeout), STATUS_TIMEOUT);
    NtClose(Event);
}

static NTSTATUS NTAPI WaitForever(PVOID Parameter)
{
    NtWaitForSingleObject((HANDLE)Parameter, FALSE, NULL);
    return STATUS_UNSUCCESSFUL;                 /* never: the event is never set */
}

UTEST(terminating_a_waiting_thread_ends_it_with_the_status_given)
{
    HANDLE Event, Thread;
    LARGE_INTEGER Tick = { .QuadPart = -10 * 10000 };
    UTEST_ASSERT_EQ(NtCreateEvent(&Event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    UTEST_ASSERT_EQ(RtlCreateUserThread(NtCurrentProcess(), NULL, FALSE, 0, 0, 0, WaitForever, Event, &Thread, NULL),
                    STATUS_SUCCESS);
    NtDelayExecution(FALSE, &Tick);             /* it is in its wait by now */
    UTEST_EXPECT_EQ(NtTerminateThread(Thread, 0xC0DE), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtWaitForSingleObject(Thread, FALSE, NULL), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(ThreadExitStatus(Thread), 0xC0DE);
    NtClose(Thread);
    NtClose(Event);
}

UTEST(the_last_thread_cannot_end_itself_with_a_null_handle)
{
    UTEST_EXPECT_EQ(NtTerminateThread(NULL, 0), STATUS_CANT_TERMINATE_SELF);
}
