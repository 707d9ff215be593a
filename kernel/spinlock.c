/*
 * kernel/spinlock.c — spin locks, NT's way, on one processor.
 *
 * Acquiring raises the IRQL to DISPATCH_LEVEL (so the holder cannot be
 * preempted) and then takes the lock word with an atomic exchange, spinning
 * while another processor holds it. mm386 has one processor, so a lock that
 * is already held when acquired can only be a recursive acquisition, which
 * would spin forever: it is caught at once and bugchecks. Releasing a lock
 * that is not held bugchecks too.
 */
#include <hal.h>
#include <ke.h>

#define SPIN_LOCK_OWNED 1

void KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
    *SpinLock = 0;
}

void KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    ASSERT(KeGetCurrentIrql() >= DISPATCH_LEVEL);
    if (__atomic_exchange_n(SpinLock, SPIN_LOCK_OWNED, __ATOMIC_ACQUIRE) != 0) {
        /* One processor: the holder is this code path. */
        KeBugCheckEx(IRQL_NOT_GREATER_OR_EQUAL, (ULONG_PTR)SpinLock, KeGetCurrentIrql(), 1, 0);
    }
}

void KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    if (__atomic_exchange_n(SpinLock, 0, __ATOMIC_RELEASE) != SPIN_LOCK_OWNED)
        KeBugCheckEx(IRQL_NOT_GREATER_OR_EQUAL, (ULONG_PTR)SpinLock, KeGetCurrentIrql(), 2, 0);
}

void KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)
{
    KeRaiseIrql(DISPATCH_LEVEL, OldIrql);
    KeAcquireSpinLockAtDpcLevel(SpinLock);
}

void KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    KeReleaseSpinLockFromDpcLevel(SpinLock);
    KeLowerIrql(NewIrql);
}
