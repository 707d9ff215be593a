/*
 * kernel/ke/timerobj.c — timer objects and the timer table.
 *
 * A timer is a dispatcher object that becomes signalled at its due time
 * (and, periodic, every Period milliseconds after): a notification timer
 * stays signalled, a synchronization timer satisfies one waiter and resets.
 * Setting one may also name a DPC, queued when it expires. Every wait with
 * a timeout uses a timer too: the thread's own (KTHREAD.Timer, wait.c).
 *
 * Due times are interrupt time (100 ns since boot). NT keeps inserted
 * timers in a hash table of TIMER_TABLE_SIZE lists indexed by the clock
 * tick a timer is due on, each list sorted by due time, so the clock
 * interrupt looks at one list per tick: if its first timer is due, it
 * queues KiTimerExpireDpc. That DPC, at DISPATCH_LEVEL with the dispatcher
 * lock, expires every due timer of the ticks since it last ran: signals
 * it, satisfies its waiters, re-inserts it if periodic, and queues its DPC.
 * A timer is therefore late by less than one clock tick.
 */
#include "kernel/ke/ki.h"

#define TIMER_TABLE_SIZE    256
#define TIMER_EXPIRE_INCREMENT 0

static LIST_ENTRY KiTimerTableListHead[TIMER_TABLE_SIZE];
static KDPC KiTimerExpireDpc;
static ULONGLONG KiTimerProcessedTick;      /* the last tick whose list the expiry DPC examined */

/* The tick a due time falls on: the first tick whose interrupt time reaches it. */
static inline ULONGLONG KiDueTick(ULONGLONG DueTime)
{
    return (DueTime + KI_TIME_INCREMENT - 1) / KI_TIME_INCREMENT;
}

bool KiInsertTimer(PKTIMER Timer, LARGE_INTEGER DueTime)
{
    if (DueTime.QuadPart <= (LONGLONG)KeQueryInterruptTime())
        return false;
    PLIST_ENTRY Head = &KiTimerTableListHead[KiDueTick((ULONGLONG)DueTime.QuadPart) % TIMER_TABLE_SIZE];
    PLIST_ENTRY Before = Head->Blink;
    while (Before != Head &&
           CONTAINING_RECORD(Before, KTIMER, TimerListEntry)->DueTime.QuadPart > (ULONGLONG)DueTime.QuadPart)
        Before = Before->Blink;
    Timer->DueTime.QuadPart = (ULONGLONG)DueTime.QuadPart;
    Timer->Header.SignalState = 0;
    Timer->Header.Inserted = TRUE;
    InsertHeadList(Before, &Timer->TimerListEntry);
    return true;
}

void KiRemoveTimer(PKTIMER Timer)
{
    RemoveEntryList(&Timer->TimerListEntry);
    Timer->Header.Inserted = FALSE;
}

/* Due now: signalled, waiters satisfied, re-armed if periodic, its DPC queued. Lock held. */
static void KiExpireTimer(PKTIMER Timer, ULONGLONG Now)
{
    if (Timer->Header.Inserted)
        KiRemoveTimer(Timer);
    Timer->Header.SignalState = 1;
    if (!IsListEmpty(&Timer->Header.WaitListHead))
        KiWaitTest(&Timer->Header, TIMER_EXPIRE_INCREMENT);
    if (Timer->Period) {
        ULONGLONG Period = (ULONGLONG)Timer->Period * 10000;
        LARGE_INTEGER Next = { .QuadPart = (LONGLONG)(Timer->DueTime.QuadPart + Period) };
        if ((ULONGLONG)Next.QuadPart <= Now)
            Next.QuadPart = (LONGLONG)(Now + Period);
        LONG State = Timer->Header.SignalState;
        KiInsertTimer(Timer, Next);
        Timer->Header.SignalState = State;
    }
    if (Timer->Dpc)
        KeInsertQueueDpc(Timer->Dpc, (PVOID)(ULONG)Now, (PVOID)(ULONG)(Now >> 32));
}

static void KiTimerExpiration(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    KIRQL OldIrql = KiAcquireDispatcherLock();
    LARGE_INTEGER Ticks;
    KeQueryTickCount(&Ticks);
    ULONGLONG Tick = (ULONGLONG)Ticks.QuadPart;
    ULONGLONG Now = Tick * KI_TIME_INCREMENT;       /* interrupt time advances with the tick count */
    ULONGLONG From = KiTimerProcessedTick + 1;
    if (Tick - KiTimerProcessedTick >= TIMER_TABLE_SIZE)
        From = Tick - TIMER_TABLE_SIZE + 1;
    for (ULONGLONG t = From; t <= Tick; t++) {
        PLIST_ENTRY Head = &KiTimerTableListHead[t % TIMER_TABLE_SIZE];
        while (!IsListEmpty(Head)) {
            PKTIMER Timer = CONTAINING_RECORD(Head->Flink, KTIMER, TimerListEntry);
            if (Timer->DueTime.QuadPart > Now)
                break;
            KiExpireTimer(Timer, Now);
        }
    }
    KiTimerProcessedTick = Tick;
    KiReleaseDispatcherLock(OldIrql);
}

void KiCheckTimerTable(ULONGLONG InterruptTime)
{
    PLIST_ENTRY Head = &KiTimerTableListHead[KeTickCount64 % TIMER_TABLE_SIZE];
    if (!IsListEmpty(Head) &&
        CONTAINING_RECORD(Head->Flink, KTIMER, TimerListEntry)->DueTime.QuadPart <= InterruptTime)
        KeInsertQueueDpc(&KiTimerExpireDpc, NULL, NULL);
}

void KiInitializeTimerTable(void)
{
    for (ULONG i = 0; i < TIMER_TABLE_SIZE; i++)
        InitializeListHead(&KiTimerTableListHead[i]);
    KeInitializeDpc(&KiTimerExpireDpc, KiTimerExpiration, NULL);
    KeSetImportanceDpc(&KiTimerExpireDpc, HighImportance);
}

void KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type)
{
    KiInitializeDispatcherHeader(&Timer->Header,
                                 Type == NotificationTimer ? TimerNotificationObject : TimerSynchronizationObject,
                                 sizeof(KTIMER), 0);
    Timer->DueTime.QuadPart = 0;
    Timer->Period = 0;
    Timer->Dpc = NULL;
}

void KeInitializeTimer(PKTIMER Timer)
{
    KeInitializeTimerEx(Timer, NotificationTimer);
}

BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)
{
    KIRQL OldIrql = KiAcquireDispatcherLock();
    BOOLEAN WasInserted = Timer->Header.Inserted;
    LARGE_INTEGER Due;

    if (WasInserted)
        KiRemoveTimer(Timer);
    Timer->Dpc = Dpc;
    Timer->Period = Period;
    Timer->Header.SignalState = 0;
    Timer->Header.Absolute = DueTime.QuadPart >= 0;
    if (DueTime.QuadPart < 0) {
        Due.QuadPart = (LONGLONG)KeQueryInterruptTime() - DueTime.QuadPart;
    } else {
        LARGE_INTEGER Now;
        KeQuerySystemTime(&Now);
        Due.QuadPart = (LONGLONG)KeQueryInterruptTime() + (DueTime.QuadPart - Now.QuadPart);
    }
    if (!KiInsertTimer(Timer, Due)) {
        Timer->DueTime.QuadPart = (ULONGLONG)Due.QuadPart;
        KiExpireTimer(Timer, KeQueryInterruptTime());
    }
    KiReleaseDispatcherLock(OldIrql);
    return WasInserted;
}

BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)
{
    return KeSetTimerEx(Timer, DueTime, 0, Dpc);
}

BOOLEAN KeCancelTimer(PKTIMER Timer)
{
    KIRQL OldIrql = KiAcquireDispatcherLock();
    BOOLEAN WasInserted = Timer->Header.Inserted;
    if (WasInserted)
        KiRemoveTimer(Timer);
    KiReleaseDispatcherLock(OldIrql);
    return WasInserted;
}

BOOLEAN KeReadStateTimer(PKTIMER Timer)
{
    return Timer->Header.SignalState != 0;
}
