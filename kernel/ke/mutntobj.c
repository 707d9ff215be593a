/*
 * kernel/ke/mutntobj.c — mutant objects (and KMUTEX, the kernel's mutex).
 *
 * A mutant is a lock a thread owns and may take again recursively. Its
 * signal state is 1 when free and 1 - n while its owner holds it n times;
 * it is signalled for any thread when free and always for its owner (wait.c).
 * The first acquisition makes the thread its OwnerThread and puts it on the
 * thread's MutantListHead; the release that brings the state back to 1
 * frees it and readies the waiters it satisfies. A KMUTEX is a mutant with
 * ApcDisable set: holding one disables the owner's normal kernel APCs.
 *
 * Misuse, NT's way: releasing a mutant or a KMUTEX the thread does not own
 * changes nothing and raises STATUS_ABANDONED if the mutant was abandoned,
 * STATUS_MUTANT_NOT_OWNED otherwise (NT 5.2's KeReleaseMutant, which
 * KeReleaseMutex calls, does the same: no bugcheck); a thread that dies
 * owning a mutant abandons it — the next owner's wait returns
 * STATUS_ABANDONED_WAIT_0 + n — and one that dies owning a KMUTEX stops the
 * machine with THREAD_TERMINATE_HELD_MUTEX (0x46).
 */
#include <ex.h>
#include "kernel/ke/ki.h"

void KeInitializeMutant(PKMUTANT Mutant, BOOLEAN InitialOwner)
{
    KiInitializeDispatcherHeader(&Mutant->Header, MutantObject, sizeof(KMUTANT), 1);
    Mutant->OwnerThread = NULL;
    Mutant->Abandoned = FALSE;
    Mutant->ApcDisable = 0;
    if (InitialOwner) {
        PKTHREAD Thread = KeGetCurrentThread();
        KIRQL OldIrql = KiAcquireDispatcherLock();
        Mutant->Header.SignalState = 0;
        Mutant->OwnerThread = Thread;
        InsertHeadList(&Thread->MutantListHead, &Mutant->MutantListEntry);
        KiReleaseDispatcherLock(OldIrql);
    }
}

void KeInitializeMutex(PKMUTEX Mutex, ULONG Level)
{
    KeInitializeMutant(Mutex, FALSE);
    Mutex->ApcDisable = 1;
}

/* The mutant is free again: it leaves its owner (whose kernel APCs it may re-enable) and satisfies waiters. */
static void KiFreeMutant(PKMUTANT Mutant, LONG Previous, KPRIORITY Increment)
{
    if (Previous <= 0) {
        PKTHREAD Owner = Mutant->OwnerThread;
        RemoveEntryList(&Mutant->MutantListEntry);
        Owner->KernelApcDisable -= Mutant->ApcDisable;
        if (Mutant->ApcDisable && Owner->KernelApcDisable == 0 && Owner == KeGetCurrentThread() &&
            !IsListEmpty(&Owner->ApcState.ApcListHead[KernelMode]))
            HalRequestSoftwareInterrupt(APC_LEVEL);
    }
    Mutant->OwnerThread = NULL;
    if (!IsListEmpty(&Mutant->Header.WaitListHead))
        KiWaitTest(&Mutant->Header, Increment);
}

/*
 * Releases the mutant once (Abandoned: frees it outright, for a dying
 * owner) and returns its previous signal state. Wait: return at
 * DISPATCH_LEVEL holding the dispatcher lock for a KeWait call to follow.
 * A caller that does not own it gets STATUS_MUTANT_NOT_OWNED (or
 * STATUS_ABANDONED) raised and the mutant unchanged. IRQL <= DISPATCH_LEVEL.
 */
LONG KeReleaseMutant(PKMUTANT Mutant, KPRIORITY Increment, BOOLEAN Abandoned, BOOLEAN Wait)
{
    PKTHREAD Thread = KeGetCurrentThread();
    KIRQL OldIrql = KiAcquireDispatcherLock();
    LONG Previous = Mutant->Header.SignalState;

    if (Abandoned) {
        Mutant->Header.SignalState = 1;
        Mutant->Abandoned = TRUE;
    } else {
        if (Mutant->OwnerThread != Thread) {
            KiReleaseDispatcherLock(OldIrql);
            ExRaiseStatus(Mutant->Abandoned ? STATUS_ABANDONED : STATUS_MUTANT_NOT_OWNED);
        }
        Mutant->Header.SignalState++;
    }
    if (Mutant->Header.SignalState == 1)
        KiFreeMutant(Mutant, Previous, Increment);
    if (Wait) {
        Thread->WaitNext = TRUE;
        Thread->WaitIrql = OldIrql;
    } else {
        KiReleaseDispatcherLock(OldIrql);
    }
    return Previous;
}

LONG KeReleaseMutex(PKMUTEX Mutex, BOOLEAN Wait)
{
    return KeReleaseMutant(Mutex, MUTANT_INCREMENT, FALSE, Wait);
}

void KiAbandonMutant(PKMUTANT Mutant)
{
    LONG Previous = Mutant->Header.SignalState;
    Mutant->Header.SignalState = 1;
    Mutant->Abandoned = TRUE;
    KiFreeMutant(Mutant, Previous, MUTANT_INCREMENT);
}

LONG KeReadStateMutant(PKMUTANT Mutant)
{
    return Mutant->Header.SignalState;
}
