/*
 * kernel/ke/spinlock.c — spin locks, NT's way, on one processor.
 *
 * Acquiring raises the IRQL to DISPATCH_LEVEL (so the holder cannot be
 * preempted) and then takes the lock word with an atomic exchange (inline in
 * include/ke.h). On SMP the exchange would spin while another processor held
 * the lock; mm386 has one processor, so a lock that is already held when
 * acquired can only be a recursive acquisition, which would spin forever. It
 * is caught at once (SPIN_LOCK_ALREADY_OWNED, 0x0F), and so is releasing a
 * lock nobody holds (SPIN_LOCK_NOT_OWNED, 0x10).
 */
#include <ke.h>

/*
 * Reason 1: acquired while held (recursion): SPIN_LOCK_ALREADY_OWNED.
 * Reason 2: released while free: SPIN_LOCK_NOT_OWNED. The lock is parameter 1.
 */
NORETURN void KiSpinLockMisuse(PKSPIN_LOCK SpinLock, ULONG Reason)
{
    KeBugCheckEx(Reason == 1 ? SPIN_LOCK_ALREADY_OWNED : SPIN_LOCK_NOT_OWNED, (ULONG_PTR)SpinLock,
                 KeGetCurrentIrql(), 0, 0);
}
