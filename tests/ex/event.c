/*
 * tests/ex/event.c — the Event object type and its services: NtCreateEvent,
 * NtSetEvent, NtResetEvent, NtPulseEvent, NtClearEvent, NtQueryEvent.
 *
 * Expected values are NT's documented ones, written out: the rights
 * (winnt.h's EVENT_ALL_ACCESS 0x1F0003 ...), the generic mapping NT's
 * ExpEventMapping gives, the previous states KeSetEvent & co. report, the
 * statuses in the order NT's event.c checks them. Calls made "from user
 * mode" run in a process of their own (extest.h).
 */
#include "extest.h"
#include <kd.h>

/* The type ExInitSystem made: NT's name, tag, rights, generic mapping, pool, invalid attributes. */
KTEST(exevent, type_is_nt_event)
{
    ASSERT_NOT_NULL(ExEventObjectType);
    EXPECT_STREQ(ExEventObjectType->Name, "Event");
    EXPECT_EQ(ExEventObjectType->Key, MAKE_TAG('E', 'v', 'e', 'n'));
    EXPECT_EQ(ExEventObjectType->TypeInfo.ValidAccessMask, 0x1F0003u);
    EXPECT_EQ(ExEventObjectType->TypeInfo.GenericMapping.GenericRead, 0x00020001u);
    EXPECT_EQ(ExEventObjectType->TypeInfo.GenericMapping.GenericWrite, 0x00020002u);
    EXPECT_EQ(ExEventObjectType->TypeInfo.GenericMapping.GenericExecute, 0x00120000u);
    EXPECT_EQ(ExEventObjectType->TypeInfo.GenericMapping.GenericAll, 0x001F0003u);
    EXPECT_EQ(ExEventObjectType->TypeInfo.PoolType, NonPagedPool);
    EXPECT_EQ(ExEventObjectType->TypeInfo.InvalidAttributes, 0x100u);     /* OBJ_OPENLINK */
    EXPECT_EQ(EVENT_ALL_ACCESS, 0x1F0003u);
    EXPECT_EQ(EVENT_QUERY_STATE, 1u);
    EXPECT_EQ(EVENT_MODIFY_STATE, 2u);
}

/* An event is born with the type and state asked for, in a block tagged 'Even', and dies with its handle. */
KTEST(exevent, create_sets_type_and_initial_state)
{
    HANDLE Notification, Synchronization;
    EVENT_BASIC_INFORMATION Info;
    ULONG Length = 0;
    LONG Objects = ExEventObjectType->TotalNumberOfObjects;
    SIZE_T Bytes = TestTagBytes(MAKE_TAG('E', 'v', 'e', 'n'), NonPagedPool);

    ASSERT_EQ(NtCreateEvent(&Notification, EVENT_ALL_ACCESS, NULL, NotificationEvent, TRUE), STATUS_SUCCESS);
    ASSERT_EQ(NtCreateEvent(&Synchronization, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE), STATUS_SUCCESS);
    EXPECT_EQ(ExEventObjectType->TotalNumberOfObjects, Objects + 2);
    EXPECT_GT(TestTagBytes(MAKE_TAG('E', 'v', 'e', 'n'), NonPagedPool), Bytes);

    EXPECT_EQ(NtQueryEvent(Notification, EventBasicInformation, &Info, sizeof(Info), &Length), STATUS_SUCCESS);
    EXPECT_EQ(Info.EventType, NotificationEvent);
    EXPECT_EQ(Info.EventState, 1);
    EXPECT_EQ(Length, 8u);
    EXPECT_EQ(NtQueryEvent(Synchronization, EventBasicInformation, &Info, sizeof(Info), NULL), STATUS_SUCCESS);
    EXPECT_EQ(Info.EventType, SynchronizationEvent);
    EXPECT_EQ(Info.EventState, 0);

    EXPECT_EQ(NtClose(Notification), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Synchronization), STATUS_SUCCESS);
    EXPECT_EQ(ExEventObjectType->TotalNumberOfObjects, Objects);
    EXPECT_EQ(TestTagBytes(MAKE_TAG('E', 'v', 'e', 'n'), NonPagedPool), Bytes);
}

/* An event type that is neither notification nor synchronization: STATUS_INVALID_PARAMETER, nothing made. */
KTEST(exevent, create_rejects_an_unknown_event_type)
{
    HANDLE Handle = (HANDLE)0x1234;
    LONG Objects = ExEventObjectType->TotalNumberOfObjects;
    EXPECT_EQ(NtCreateEvent(&Handle, EVENT_ALL_ACCESS, NULL, (EVENT_TYPE)2, FALSE), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(Handle, (HANDLE)0x1234);
    EXPECT_EQ(ExEventObjectType->TotalNumberOfObjects, Objects);
}

/* The generic rights become NT's event rights; MAXIMUM_ALLOWED is all of them. */
KTEST(exevent, generic_rights_map_to_event_rights)
{
    static const struct { ACCESS_MASK Asked, Granted; } Cases[] = {
        { GENERIC_READ, 0x00020001 },
        { GENERIC_WRITE, 0x00020002 },
        { GENERIC_EXECUTE, 0x00120000 },
        { GENERIC_ALL, 0x001F0003 },
        { MAXIMUM_ALLOWED, 0x001F0003 },
        { EVENT_QUERY_STATE | 0x8000, 0x00000001 },     /* rights the type lacks are masked off */
    };
    for (ULONG i = 0; i < ARRAY_SIZE(Cases); i++) {
        HANDLE Handle;
        ASSERT_EQ(NtCreateEvent(&Handle, Cases[i].Asked, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
        EXPECT_EQ(ExtGrantedAccess(Handle), Cases[i].Granted);
        NtClose(Handle);
    }
}

/* Set, reset, pulse and clear, each followed by the state before it (NT's previous-state rule). */
KTEST(exevent, state_changes_report_the_previous_state)
{
    HANDLE Handle;
    EVENT_BASIC_INFORMATION Info;
    LONG Previous = 7;
    ASSERT_EQ(NtCreateEvent(&Handle, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);

    EXPECT_EQ(NtSetEvent(Handle, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, 0);
    EXPECT_EQ(NtSetEvent(Handle, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, 1);
    EXPECT_EQ(NtResetEvent(Handle, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, 1);
    EXPECT_EQ(NtResetEvent(Handle, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, 0);
    EXPECT_EQ(NtPulseEvent(Handle, &Previous), STATUS_SUCCESS);         /* reset: pulsed and reset again */
    EXPECT_EQ(Previous, 0);
    NtQueryEvent(Handle, EventBasicInformation, &Info, sizeof(Info), NULL);
    EXPECT_EQ(Info.EventState, 0);
    EXPECT_EQ(NtSetEvent(Handle, NULL), STATUS_SUCCESS);                /* PreviousState is optional */
    EXPECT_EQ(NtPulseEvent(Handle, &Previous), STATUS_SUCCESS);         /* set: a pulse leaves it reset */
    EXPECT_EQ(Previous, 1);
    NtQueryEvent(Handle, EventBasicInformation, &Info, sizeof(Info), NULL);
    EXPECT_EQ(Info.EventState, 0);
    EXPECT_EQ(NtSetEvent(Handle, NULL), STATUS_SUCCESS);
    EXPECT_EQ(NtClearEvent(Handle), STATUS_SUCCESS);
    NtQueryEvent(Handle, EventBasicInformation, &Info, sizeof(Info), NULL);
    EXPECT_EQ(Info.EventState, 0);
    NtClose(Handle);
}

typedef struct _EVENT_WAITER {
    HANDLE Handle;
    volatile NTSTATUS Status;
} EVENT_WAITER;

static void WaitOnEventHandle(PVOID Context)
{
    EVENT_WAITER *Waiter = Context;
    LARGE_INTEGER Timeout = ExtTicks(50);
    Waiter->Status = NtWaitForSingleObject(Waiter->Handle, FALSE, &Timeout);
}

/* A pulse releases the threads already waiting on a notification event, and leaves it reset. */
KTEST(exevent, pulse_releases_the_waiters_of_the_moment)
{
    HANDLE Handle;
    EVENT_BASIC_INFORMATION Info;
    OBJECT_ATTRIBUTES Attributes;
    ASSERT_EQ(NtCreateEvent(&Handle, EVENT_ALL_ACCESS, ExtKernelAttributes(&Attributes), NotificationEvent, FALSE),
              STATUS_SUCCESS);
    EVENT_WAITER Waiters[2] = { { Handle, STATUS_PENDING }, { Handle, STATUS_PENDING } };
    PETHREAD Threads[2];
    for (int i = 0; i < 2; i++)
        Threads[i] = TestStartThread(WaitOnEventHandle, &Waiters[i], 10);
    EXPECT_EQ(NtPulseEvent(Handle, NULL), STATUS_SUCCESS);
    for (int i = 0; i < 2; i++) {
        EXPECT_TRUE(TestJoinThread(Threads[i]));
        EXPECT_EQ(Waiters[i].Status, STATUS_WAIT_0);
    }
    NtQueryEvent(Handle, EventBasicInformation, &Info, sizeof(Info), NULL);
    EXPECT_EQ(Info.EventState, 0);
    NtClose(Handle);
}

/* Setting a synchronization event with a thread waiting on it releases that thread, and the event stays reset. */
KTEST(exevent, set_releases_a_waiter_and_autoresets)
{
    HANDLE Handle;
    LONG Previous;
    EVENT_BASIC_INFORMATION Info;
    OBJECT_ATTRIBUTES Attributes;
    ASSERT_EQ(NtCreateEvent(&Handle, EVENT_ALL_ACCESS, ExtKernelAttributes(&Attributes), SynchronizationEvent,
                            FALSE), STATUS_SUCCESS);
    EVENT_WAITER Waiter = { Handle, STATUS_PENDING };
    PETHREAD Thread = TestStartThread(WaitOnEventHandle, &Waiter, 10);
    EXPECT_EQ(NtSetEvent(Handle, &Previous), STATUS_SUCCESS);
    EXPECT_EQ(Previous, 0);
    EXPECT_TRUE(TestJoinThread(Thread));
    EXPECT_EQ(Waiter.Status, STATUS_WAIT_0);
    NtQueryEvent(Handle, EventBasicInformation, &Info, sizeof(Info), NULL);
    EXPECT_EQ(Info.EventState, 0);
    NtClose(Handle);
}

/* NtQueryEvent checks the class first, then the exact length; nothing is written either way. */
KTEST(exevent, query_checks_class_then_length)
{
    HANDLE Handle;
    UCHAR Buffer[12];
    ULONG Length = 0x5A5A;
    ASSERT_EQ(NtCreateEvent(&Handle, EVENT_ALL_ACCESS, NULL, NotificationEvent, TRUE), STATUS_SUCCESS);
    memset(Buffer, 0xCC, sizeof(Buffer));
    EXPECT_EQ(NtQueryEvent(Handle, (EVENT_INFORMATION_CLASS)1, Buffer, 7, &Length), STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(NtQueryEvent(Handle, EventBasicInformation, Buffer, 7, &Length), STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(NtQueryEvent(Handle, EventBasicInformation, Buffer, 12, &Length), STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(Length, 0x5A5Au);
    for (ULONG i = 0; i < sizeof(Buffer); i++)
        EXPECT_EQ(Buffer[i], 0xCC);
    NtClose(Handle);
}

/* Another type's handle is STATUS_OBJECT_TYPE_MISMATCH, a closed one STATUS_INVALID_HANDLE, for every service. */
KTEST(exevent, services_refuse_other_handles)
{
    HANDLE Semaphore, Event;
    EVENT_BASIC_INFORMATION Info;
    ASSERT_EQ(NtCreateSemaphore(&Semaphore, SEMAPHORE_ALL_ACCESS, NULL, 0, 1), STATUS_SUCCESS);
    EXPECT_EQ(NtSetEvent(Semaphore, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(NtResetEvent(Semaphore, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(NtPulseEvent(Semaphore, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(NtClearEvent(Semaphore), STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(NtQueryEvent(Semaphore, EventBasicInformation, &Info, sizeof(Info), NULL), STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(Semaphore);
    ASSERT_EQ(NtCreateEvent(&Event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    NtClose(Event);
    EXPECT_EQ(NtSetEvent(Event, NULL), STATUS_INVALID_HANDLE);
    EXPECT_EQ(NtClearEvent(Event), STATUS_INVALID_HANDLE);
    EXPECT_EQ(NtQueryEvent(Event, EventBasicInformation, &Info, sizeof(Info), NULL), STATUS_INVALID_HANDLE);
}

/*
 * From user mode each service needs its right (EVENT_MODIFY_STATE to change
 * the state, EVENT_QUERY_STATE to query); a refused call changes nothing.
 * From kernel mode (the Zw forms) NT checks no access at all.
 */
KTEST(exevent, user_mode_needs_the_right_for_each_service)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    PEVENT_BASIC_INFORMATION Info = (PEVENT_BASIC_INFORMATION)(User.Buffer + 16);
    PLONG Previous = (PLONG)(User.Buffer + 32);

    EXPECT_EQ(EXT_USER_CALL(NtCreateEvent(&Handles[0], EVENT_QUERY_STATE, NULL, NotificationEvent, FALSE)),
              STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtCreateEvent(&Handles[1], EVENT_MODIFY_STATE, NULL, NotificationEvent, FALSE)),
              STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtSetEvent(Handles[0], Previous)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtPulseEvent(Handles[0], NULL)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtResetEvent(Handles[0], NULL)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtClearEvent(Handles[0])), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtQueryEvent(Handles[0], EventBasicInformation, Info, 8, NULL)), STATUS_SUCCESS);
    EXPECT_EQ(Info->EventState, 0);
    EXPECT_EQ(EXT_USER_CALL(NtQueryEvent(Handles[1], EventBasicInformation, Info, 8, NULL)), STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtSetEvent(Handles[1], Previous)), STATUS_SUCCESS);
    EXPECT_EQ(*Previous, 0);
    /* The kernel-mode form with the query-only handle: not access-checked. */
    EXPECT_EQ(ZwResetEvent(Handles[0], NULL), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtClose(Handles[0])), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtClose(Handles[1])), STATUS_SUCCESS);
    ExtLeaveUserProcess(&User);
}

/*
 * A user-mode creator's handle goes in its own process's table, even when
 * it asks for OBJ_KERNEL_HANDLE: NT drops the attribute for a user-mode
 * creator (ObpCaptureObjectCreateInformation). The kernel handle table is
 * untouched, and a kernel handle's value means nothing from user mode.
 */
KTEST(exevent, user_mode_handles_go_in_the_process_table)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handle = (PHANDLE)User.Buffer;
    POBJECT_ATTRIBUTES Attributes = (POBJECT_ATTRIBUTES)(User.Buffer + 8);
    ULONG InProcess = ObGetProcessHandleCount(User.Process);
    ULONG InKernel = ObGetProcessHandleCount(PsInitialSystemProcess);
    HANDLE KernelEvent;
    OBJECT_ATTRIBUTES KernelAttributes;

    InitializeObjectAttributes(Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    EXPECT_EQ(EXT_USER_CALL(NtCreateEvent(Handle, EVENT_ALL_ACCESS, Attributes, NotificationEvent, FALSE)),
              STATUS_SUCCESS);
    EXPECT_EQ((ULONG)*Handle & KERNEL_HANDLE_MASK, 0u);
    EXPECT_EQ(ObGetProcessHandleCount(User.Process), InProcess + 1);
    EXPECT_EQ(ObGetProcessHandleCount(PsInitialSystemProcess), InKernel);

    ASSERT_EQ(ZwCreateEvent(&KernelEvent, EVENT_ALL_ACCESS, ExtKernelAttributes(&KernelAttributes), NotificationEvent,
                            FALSE), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)KernelEvent & KERNEL_HANDLE_MASK, KERNEL_HANDLE_MASK);
    EXPECT_EQ(EXT_USER_CALL(NtSetEvent(KernelEvent, NULL)), STATUS_INVALID_HANDLE);
    EXPECT_EQ(EXT_USER_CALL(NtClose(KernelEvent)), STATUS_INVALID_HANDLE);
    EXPECT_EQ(NtClose(KernelEvent), STATUS_SUCCESS);
    ExtLeaveUserProcess(&User);
}

/* !handle names an event's kind and state, and !object its type: the kd> prompt sees what the services made. */
KTEST(exevent, kd_handle_shows_the_event_state)
{
    static char Output[2048];
    char Line[32];
    HANDLE Handle;
    OBJECT_ATTRIBUTES Attributes;
    ASSERT_EQ(NtCreateEvent(&Handle, EVENT_ALL_ACCESS, ExtKernelAttributes(&Attributes), NotificationEvent, TRUE),
              STATUS_SUCCESS);
    snprintf(Line, sizeof(Line), "!handle %x", (ULONG)Handle);
    TestBeginCapture(Output, sizeof(Output));
    KdExecute(Line);
    TestEndCapture();
    EXPECT_TRUE(TestContains(Output, "Type: "));
    EXPECT_TRUE(TestContains(Output, ") Event\n"));
    EXPECT_TRUE(TestContains(Output, "Event: notification (manual reset), signalled"));

    NtResetEvent(Handle, NULL);
    TestBeginCapture(Output, sizeof(Output));
    KdExecute(Line);
    TestEndCapture();
    EXPECT_TRUE(TestContains(Output, "Event: notification (manual reset), not signalled"));

    snprintf(Line, sizeof(Line), "!object %x", (ULONG)ExtObject(Handle));
    TestBeginCapture(Output, sizeof(Output));
    KdExecute(Line);
    TestEndCapture();
    EXPECT_TRUE(TestContains(Output, ") Event\n"));
    EXPECT_TRUE(TestContains(Output, "tag Even"));
    NtClose(Handle);
}
