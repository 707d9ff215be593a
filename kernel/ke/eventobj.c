/*
 * kernel/ke/eventobj.c — event objects.
 *
 * An event is the simplest dispatcher object: its signal state is 1 (set)
 * or 0 (reset). A notification event, once set, satisfies every waiter and
 * stays set until someone resets it; a synchronization event satisfies one
 * waiter and resets itself in doing so (KiWaitSatisfy in wait.c). Setting
 * an event readies the threads it satisfies, each boosted by Increment
 * (EVENT_INCREMENT is NT's +1); KePulseEvent sets and resets at once, so
 * only threads already waiting are released. With Wait = TRUE the setter
 * keeps the dispatcher lock for the wait it calls next, as NT's
 * KeSetEvent does, so nothing can run between the set and the wait.
 */
#include "kernel/ke/ki.h"

void KeInitializeEvent(PKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
    KiInitializeDispatcherHeader(&Event->Header,
                                 Type == NotificationEvent ? EventNotificationObject : EventSynchronizationObject,
                                 sizeof(KEVENT), State ? 1 : 0);
}

static inline __attribute__((always_inline)) LONG SetEventLocked(PKEVENT Event, KPRIORITY Increment)
{
    LONG Previous = Event->Header.SignalState;
    PLIST_ENTRY First = Event->Header.WaitListHead.Flink;
    /*
     * NT's shortcut: a synchronization event whose first waiter waits for
     * any one object is taken by that waiter at once; the event never
     * becomes signalled.
     */
    if (Previous == 0 && Event->Header.Type == EventSynchronizationObject && First != &Event->Header.WaitListHead) {
        PKWAIT_BLOCK WaitBlock = CONTAINING_RECORD(First, KWAIT_BLOCK, WaitListEntry);
        if (WaitBlock->WaitType == WaitAny) {
            KiUnwaitThread(WaitBlock->Thread, WaitBlock->WaitKey, Increment);
            return 0;
        }
    }
    if (Previous == 0) {
        Event->Header.SignalState = 1;
        if (!IsListEmpty(&Event->Header.WaitListHead))
            KiWaitTest(&Event->Header, Increment);
    }
    return Previous;
}

LONG KiSetEventLocked(PKEVENT Event, KPRIORITY Increment)
{
    return SetEventLocked(Event, Increment);
}

/* Keeps the dispatcher lock for the wait the caller makes next (Wait = TRUE), else releases it. */
static void KiEndSet(KIRQL OldIrql, BOOLEAN Wait)
{
    if (Wait) {
        PKTHREAD Thread = KeGetCurrentThread();
        Thread->WaitNext = TRUE;
        Thread->WaitIrql = OldIrql;
    } else {
        KiReleaseDispatcherLock(OldIrql);
    }
}

LONG KeSetEvent(PKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    KIRQL OldIrql = KiAcquireDispatcherLock();
    LONG Previous = SetEventLocked(Event, Increment);
    KiEndSet(OldIrql, Wait);
    return Previous;
}

LONG KePulseEvent(PKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    KIRQL OldIrql = KiAcquireDispatcherLock();
    LONG Previous = KiSetEventLocked(Event, Increment);
    Event->Header.SignalState = 0;
    KiEndSet(OldIrql, Wait);
    return Previous;
}

LONG KeResetEvent(PKEVENT Event)
{
    KIRQL OldIrql = KiAcquireDispatcherLock();
    LONG Previous = Event->Header.SignalState;
    Event->Header.SignalState = 0;
    KiReleaseDispatcherLock(OldIrql);
    return Previous;
}

void KeClearEvent(PKEVENT Event)
{
    Event->Header.SignalState = 0;
}

LONG KeReadStateEvent(PKEVENT Event)
{
    return Event->Header.SignalState;
}
