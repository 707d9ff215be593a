/*
 * kernel/ke/fmutex.c — fast mutexes and guarded mutexes.
 *
 * NT's FAST_MUTEX is a lock that costs one interlocked instruction when
 * nobody else holds it: Count is 1 when free; an acquirer decrements it,
 * and if it was not 1 the mutex is held and the acquirer waits on the
 * mutex's synchronization event. The releaser increments it and, if it
 * does not come back to 1, someone is waiting: it sets the event, which
 * wakes exactly one waiter (a synchronization event satisfies one), and
 * that waiter now owns the mutex. The holder runs at APC_LEVEL (so no
 * normal kernel APC runs while it is held and it may still take page
 * faults); a guarded mutex is the same lock held inside a guarded region
 * instead (all APCs disabled, IRQL unchanged).
 *
 * Recursion deadlocks in NT; mm386 catches it: acquiring a mutex the
 * current thread owns is SPIN_LOCK_ALREADY_OWNED (0x0F), releasing one it
 * does not own SPIN_LOCK_NOT_OWNED (0x10), with the mutex as parameter 1.
 */
#include "kernel/ke/ki.h"

void ExInitializeFastMutex(PFAST_MUTEX FastMutex)
{
    FastMutex->Count = 1;
    FastMutex->Owner = NULL;
    FastMutex->Contention = 0;
    KeInitializeEvent(&FastMutex->Event, SynchronizationEvent, FALSE);
}

/*
 * The acquire found the mutex held: by the caller (the deadlock NT would
 * walk into; Count not yet decremented) or by another thread, whose release
 * will set the event (Count decremented: the caller is counted as waiting).
 */
void ExpAcquireFastMutexContended(PFAST_MUTEX FastMutex, PKTHREAD Thread)
{
    if (FastMutex->Owner == Thread)
        KiSpinLockMisuse((PKSPIN_LOCK)FastMutex, 1);
    FastMutex->Contention++;
    KeWaitForSingleObject(&FastMutex->Event, WrExecutive, KernelMode, FALSE, NULL);
}

/* The release found waiters: the event hands the mutex to one of them. */
void ExpReleaseFastMutexContended(PFAST_MUTEX FastMutex)
{
    KeSetEvent(&FastMutex->Event, EVENT_INCREMENT, FALSE);
}

NORETURN void ExpFastMutexNotOwned(PFAST_MUTEX FastMutex)
{
    KiSpinLockMisuse((PKSPIN_LOCK)FastMutex, 2);
}

static void AcquireMutex(PFAST_MUTEX FastMutex)
{
    PKTHREAD Thread = KeGetCurrentThread();
    if (FastMutex->Owner == Thread || __atomic_sub_fetch(&FastMutex->Count, 1, __ATOMIC_ACQUIRE) != 0)
        ExpAcquireFastMutexContended(FastMutex, Thread);
    FastMutex->Owner = Thread;
}

static void ReleaseMutex(PFAST_MUTEX FastMutex)
{
    if (FastMutex->Owner != KeGetCurrentThread())
        ExpFastMutexNotOwned(FastMutex);
    FastMutex->Owner = NULL;
    if (__atomic_add_fetch(&FastMutex->Count, 1, __ATOMIC_RELEASE) != 1)
        ExpReleaseFastMutexContended(FastMutex);
}

BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    KIRQL OldIrql;
    KeRaiseIrql(APC_LEVEL, &OldIrql);
    LONG Free = 1;
    if (!__atomic_compare_exchange_n(&FastMutex->Count, &Free, 0, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        KeLowerIrql(OldIrql);
        return FALSE;
    }
    FastMutex->Owner = KeGetCurrentThread();
    FastMutex->OldIrql = OldIrql;
    return TRUE;
}

void ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    AcquireMutex(FastMutex);
}

void ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    ReleaseMutex(FastMutex);
}

void KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    ExInitializeFastMutex(Mutex);
}

void KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    KeEnterGuardedRegion();
    AcquireMutex(Mutex);
}

void KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    ReleaseMutex(Mutex);
    KeLeaveGuardedRegion();
}

BOOLEAN KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    KeEnterGuardedRegion();
    LONG Free = 1;
    if (!__atomic_compare_exchange_n(&Mutex->Count, &Free, 0, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        KeLeaveGuardedRegion();
        return FALSE;
    }
    Mutex->Owner = KeGetCurrentThread();
    return TRUE;
}
