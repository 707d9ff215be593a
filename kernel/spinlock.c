/*
 * kernel/spinlock.c — spin locks, NT's way, on one processor.
 *
 * Acquiring raises the IRQL to DISPATCH_LEVEL (so the holder cannot be
 * preempted) and then takes the lock word with an atomic exchange (inline in
 * include/ke.h). On SMP the exchange would spin while another processor held
 * the lock; mm386 has one processor, so a lock that is already held when
 * acquired can only be a recursive acquisition, which would spin forever. It
 * is caught at once, and so is releasing a lock nobody holds.
 */
#include <ke.h>

/* Reason 1: acquired while held (recursion). Reason 2: released while free. */
NORETURN void KiSpinLockMisuse(PKSPIN_LOCK SpinLock, ULONG Reason)
{
    KeBugCheckEx(IRQL_NOT_GREATER_OR_EQUAL, (ULONG_PTR)SpinLock, KeGetCurrentIrql(), Reason, 0);
}
