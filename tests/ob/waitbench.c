/*
 * tests/ob/waitbench.c — waiting on the executive's objects through their
 * handles (make bench): guest instructions per operation.
 *
 * nt_set_event_wait_handle is thread_switch_event_pingpong
 * (tests/kernel/dpcapc.c) played through the system services: two kernel
 * threads alternate, each setting the other's synchronization event with
 * NtSetEvent and waiting on its own with NtWaitForSingleObject, on kernel
 * handles. One operation is one half-round: a set, a wait, a thread switch.
 * The difference from the kernel-object figure is the handle path: two
 * handle lookups with their references, the access checks, the wait's
 * handler. Ring 3's user_event_pingpong will add the system-call entry and
 * exit on top; it can only be measured once the gate exists.
 *
 * It is linked last of the benchmarks (tests/ob sorts after tests/mm): the
 * thread it starts and ends leaves the page lists in another order, which
 * moves pfn_remove_insert's figure when it runs first.
 */
#include <hal.h>
#include <ktest.h>
#include <ntexapi.h>
#include <ps.h>
#include "../testlib.h"

typedef struct _HANDLE_PINGPONG {
    HANDLE Ping, Pong;
    ULONG Rounds;
} HANDLE_PINGPONG;

static void HandlePonger(PVOID Context)
{
    HANDLE_PINGPONG *Game = Context;
    for (ULONG i = 0; i < Game->Rounds; i++) {
        NtWaitForSingleObject(Game->Ping, FALSE, NULL);
        NtSetEvent(Game->Pong, NULL);
    }
}

KBENCH(nt_set_event_wait_handle)
{
    static HANDLE_PINGPONG Game;
    OBJECT_ATTRIBUTES Attributes;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Game.Rounds = 20000;
    if (!NT_SUCCESS(NtCreateEvent(&Game.Ping, EVENT_ALL_ACCESS, &Attributes,
                                  SynchronizationEvent, FALSE)) ||
        !NT_SUCCESS(NtCreateEvent(&Game.Pong, EVENT_ALL_ACCESS, &Attributes,
                                  SynchronizationEvent, FALSE)))
        return;
    PETHREAD Thread = TestStartThread(HandlePonger, &Game, KeQueryPriorityThread(KeGetCurrentThread()));
    if (Thread == NULL)
        return;
    TestSleepTicks(1);
    KbenchStart(b);
    for (ULONG i = 0; i < Game.Rounds; i++) {
        NtSetEvent(Game.Ping, NULL);
        NtWaitForSingleObject(Game.Pong, FALSE, NULL);
    }
    KbenchStop(b);
    KbenchReport(b, "nt_set_event_wait_handle", 2ull * Game.Rounds);
    TestJoinThread(Thread);
    NtClose(Game.Ping);
    NtClose(Game.Pong);
}
