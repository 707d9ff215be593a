/*
 * kernel/ke/semphobj.c — semaphore objects.
 *
 * A semaphore's signal state is a count between 0 and its Limit: it is
 * signalled while the count is above 0, and each satisfied wait takes one
 * (KiWaitSatisfy in wait.c). KeReleaseSemaphore adds Adjustment and readies
 * as many waiters as the new count allows. A release that would take the
 * count past the limit (or overflow it) changes nothing and raises
 * STATUS_SEMAPHORE_LIMIT_EXCEEDED, as NT's does.
 */
#include <ex.h>
#include "kernel/ke/ki.h"

void KeInitializeSemaphore(PKSEMAPHORE Semaphore, LONG Count, LONG Limit)
{
    KiInitializeDispatcherHeader(&Semaphore->Header, SemaphoreObject, sizeof(KSEMAPHORE), Count);
    Semaphore->Limit = Limit;
}

LONG KeReleaseSemaphore(PKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait)
{
    KIRQL OldIrql = KiAcquireDispatcherLock();
    LONG Previous = Semaphore->Header.SignalState;
    LONG Count = Previous + Adjustment;

    if (Adjustment <= 0 || Count > Semaphore->Limit || Count < Previous) {
        KiReleaseDispatcherLock(OldIrql);
        ExRaiseStatus(STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    }
    Semaphore->Header.SignalState = Count;
    if (Previous == 0 && !IsListEmpty(&Semaphore->Header.WaitListHead))
        KiWaitTest(&Semaphore->Header, Increment);
    if (Wait) {
        PKTHREAD Thread = KeGetCurrentThread();
        Thread->WaitNext = TRUE;
        Thread->WaitIrql = OldIrql;
    } else {
        KiReleaseDispatcherLock(OldIrql);
    }
    return Previous;
}

LONG KeReadStateSemaphore(PKSEMAPHORE Semaphore)
{
    return Semaphore->Header.SignalState;
}
