/*
 * kernel/ex/timer.c — the executive's timer object (NT's ex\timer.c): a
 * waitable timer with an optional completion routine.
 *
 * A Timer object's body is an ETIMER. Its first member is a KTIMER
 * (kernel/ke/timerobj.c), so waiting on the object waits on the kernel
 * timer: signalled when it expires, for good (notification) or for one
 * waiter (synchronization), again every Period milliseconds if periodic.
 * The rest carries the completion routine NtSetTimer may name:
 *
 *   expiry ──► TimerDpc (DISPATCH_LEVEL) ──► TimerApc queued to the thread
 *              that set the timer ──► that thread runs ExpTimerApcRoutine,
 *              then the caller's routine (TimerContext, expiry system time)
 *
 * The APC is a kernel-mode caller's normal kernel APC (its routine runs at
 * PASSIVE_LEVEL the next time the thread can take one) or a user-mode
 * caller's user APC (run by ring 3 when the thread next returns there, or
 * ending an alertable user-mode wait with STATUS_USER_APC).
 *
 * While a routine is associated (ApcAssociated), the timer is on its
 * thread's ActiveTimerListHead and holds a reference on itself, so it
 * outlives its handles until it is cancelled, set again, or the thread ends
 * (ExTimerRundown, called as the thread exits, cancels them all: the APC
 * must never reach a dead thread). A queued APC holds one more reference,
 * dropped by the APC routine or by whoever takes it off the queue. Locks:
 * the timer's spin lock, then the thread's ActiveTimerListLock, then (inside
 * the kernel's routines) the dispatcher lock; the APC routine re-checks under
 * the first two that the timer still belongs to its thread, since a timer
 * can be cancelled or set again between the DPC and the APC.
 *
 * WakeTimer (wake the machine from sleep at expiry) has nothing to act on:
 * mm386 has no power management. The timer is set all the same and the
 * status is STATUS_TIMER_RESUME_IGNORED, NT's answer where wake timers are
 * not supported.
 */
#include "exp.h"
#include <ps.h>

#define TIMER_APC_INCREMENT 0           /* NT's: the completion routine's thread gets no boost */

typedef struct _ETIMER {
    KTIMER KeTimer;                     /* first: waits on the object wait on it */
    KAPC TimerApc;
    KDPC TimerDpc;
    LIST_ENTRY ActiveTimerListEntry;    /* in the APC's thread's ActiveTimerListHead while ApcAssociated */
    KSPIN_LOCK Lock;
    LONG Period;                        /* milliseconds, 0: one-shot */
    BOOLEAN ApcAssociated;
} ETIMER, *PETIMER;

POBJECT_TYPE ExTimerObjectType;

/*
 * The system time of an expiry at InterruptTime: mm386's timer expiry hands
 * a DPC the interrupt time (NT hands it the system time, which the
 * completion routine is documented to get). The two clocks differ by the
 * boot time; it is read between two equal readings of interrupt time so no
 * clock tick falls in between.
 */
static LARGE_INTEGER ExpSystemTimeOfExpiry(ULONGLONG InterruptTime)
{
    ULONGLONG Before, After;
    LARGE_INTEGER Now;
    do {
        Before = KeQueryInterruptTime();
        KeQuerySystemTime(&Now);
        After = KeQueryInterruptTime();
    } while (Before != After);
    Now.QuadPart = Now.QuadPart - (LONGLONG)Before + (LONGLONG)InterruptTime;
    return Now;
}

/*
 * The APC's kernel routine, in the thread the routine is for, at APC_LEVEL.
 * A one-shot timer is done with its thread: it leaves the thread's list and
 * drops the association's reference. A timer no longer associated with this
 * thread (cancelled, or set again by someone else, after the DPC queued the
 * APC) runs no routine.
 */
static void ExpTimerApcRoutine(PKAPC Apc, PKNORMAL_ROUTINE *NormalRoutine, PVOID *NormalContext,
                               PVOID *SystemArgument1, PVOID *SystemArgument2)
{
    PETIMER Timer = CONTAINING_RECORD(Apc, ETIMER, TimerApc);
    PETHREAD Thread = PsGetCurrentThread();
    ULONG Dereferences = 1;             /* the queued APC's reference */
    KIRQL OldIrql;

    KeAcquireSpinLock(&Timer->Lock, &OldIrql);
    KeAcquireSpinLockAtDpcLevel(&Thread->ActiveTimerListLock);
    if (Timer->ApcAssociated && Timer->TimerApc.Thread == &Thread->Tcb) {
        if (Timer->Period == 0) {
            RemoveEntryList(&Timer->ActiveTimerListEntry);
            Timer->ApcAssociated = FALSE;
            Dereferences++;
        }
    } else {
        *NormalRoutine = NULL;
    }
    KeReleaseSpinLockFromDpcLevel(&Thread->ActiveTimerListLock);
    KeReleaseSpinLock(&Timer->Lock, OldIrql);
    while (Dereferences--)
        ObDereferenceObject(Timer);
}

/* The timer expired with a routine associated: queue the APC (with a reference for it) unless it is queued already. */
static void ExpTimerDpcRoutine(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PETIMER Timer = DeferredContext;
    ULONGLONG InterruptTime = ((ULONGLONG)(ULONG)SystemArgument2 << 32) | (ULONG)SystemArgument1;
    LARGE_INTEGER Expiry = ExpSystemTimeOfExpiry(InterruptTime);
    BOOLEAN Queued = TRUE;

    KeAcquireSpinLockAtDpcLevel(&Timer->Lock);
    if (Timer->ApcAssociated) {
        ObReferenceObject(Timer);
        Queued = KeInsertQueueApc(&Timer->TimerApc, (PVOID)Expiry.LowPart, (PVOID)Expiry.HighPart,
                                  TIMER_APC_INCREMENT);
    }
    KeReleaseSpinLockFromDpcLevel(&Timer->Lock);
    if (!Queued)
        ObDereferenceObject(Timer);     /* never the last: the association holds one */
}

/*
 * Stops Timer and whatever routine it would run: off its thread's list, the
 * kernel timer cancelled, its DPC and APC unqueued. Returns the references
 * that freed (the association's, a queued APC's) for the caller to drop.
 * Timer's lock held.
 */
static ULONG ExpCancelTimerLocked(PETIMER Timer)
{
    ULONG Dereferences = 0;
    if (Timer->ApcAssociated) {
        PETHREAD Thread = CONTAINING_RECORD(Timer->TimerApc.Thread, ETHREAD, Tcb);
        KeAcquireSpinLockAtDpcLevel(&Thread->ActiveTimerListLock);
        RemoveEntryList(&Timer->ActiveTimerListEntry);
        Timer->ApcAssociated = FALSE;
        KeReleaseSpinLockFromDpcLevel(&Thread->ActiveTimerListLock);
        KeCancelTimer(&Timer->KeTimer);
        KeRemoveQueueDpc(&Timer->TimerDpc);
        if (KeRemoveQueueApc(&Timer->TimerApc))
            Dereferences++;
        Dereferences++;
    } else {
        KeCancelTimer(&Timer->KeTimer);
    }
    return Dereferences;
}

/*
 * The delete procedure: the last reference is gone, so no routine is
 * associated and no APC is queued (each holds one). The kernel timer may
 * still be in the timer table (set, never waited for): it must leave before
 * the memory does. With one processor no DPC of the timer can be queued or
 * running while this runs at PASSIVE_LEVEL, which NT makes sure of with
 * KeFlushQueuedDpcs.
 */
static void ExpDeleteTimer(PVOID Object)
{
    PETIMER Timer = Object;
    KeCancelTimer(&Timer->KeTimer);
}

static const OBJECT_TYPE_INITIALIZER ExpTimerTypeInfo = {
    .Length = sizeof(OBJECT_TYPE_INITIALIZER),
    .InvalidAttributes = OBJ_OPENLINK,
    .GenericMapping = {
        STANDARD_RIGHTS_READ | TIMER_QUERY_STATE,
        STANDARD_RIGHTS_WRITE | TIMER_MODIFY_STATE,
        STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
        TIMER_ALL_ACCESS,
    },
    .ValidAccessMask = TIMER_ALL_ACCESS,
    .PoolType = NonPagedPool,
    .DeleteProcedure = ExpDeleteTimer,
};

bool ExpTimerInitialization(void)
{
    return NT_SUCCESS(ObCreateObjectType("Timer", &ExpTimerTypeInfo, NULL, &ExTimerObjectType));
}

void ExTimerRundown(void)
{
    PETHREAD Thread = PsGetCurrentThread();
    KIRQL OldIrql;

    KeAcquireSpinLock(&Thread->ActiveTimerListLock, &OldIrql);
    while (!IsListEmpty(&Thread->ActiveTimerListHead)) {
        PETIMER Timer = CONTAINING_RECORD(Thread->ActiveTimerListHead.Flink, ETIMER, ActiveTimerListEntry);
        /* Hold it while the list lock is dropped to take the timer's lock first (the lock order). */
        ObReferenceObject(Timer);
        KeReleaseSpinLock(&Thread->ActiveTimerListLock, OldIrql);

        ULONG Dereferences = 1;
        KeAcquireSpinLock(&Timer->Lock, &OldIrql);
        if (Timer->ApcAssociated && Timer->TimerApc.Thread == &Thread->Tcb)
            Dereferences += ExpCancelTimerLocked(Timer);
        KeReleaseSpinLock(&Timer->Lock, OldIrql);
        while (Dereferences--)
            ObDereferenceObject(Timer);

        KeAcquireSpinLock(&Thread->ActiveTimerListLock, &OldIrql);
    }
    KeReleaseSpinLock(&Thread->ActiveTimerListLock, OldIrql);
}

NTSTATUS NtCreateTimer(PHANDLE TimerHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                       TIMER_TYPE TimerType)
{
    KPROCESSOR_MODE PreviousMode;
    NTSTATUS Status;
    PETIMER Timer;
    HANDLE Handle;

    if (TimerType != NotificationTimer && TimerType != SynchronizationTimer)
        return STATUS_INVALID_PARAMETER_4;
    PreviousMode = ExGetPreviousMode();
    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteHandle(TimerHandle);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    Status = ObCreateObject(PreviousMode, ExTimerObjectType, ObjectAttributes, PreviousMode, NULL, sizeof(ETIMER),
                            0, 0, (PVOID *)&Timer);
    if (!NT_SUCCESS(Status))
        return Status;
    KeInitializeTimerEx(&Timer->KeTimer, TimerType);
    KeInitializeDpc(&Timer->TimerDpc, ExpTimerDpcRoutine, Timer);
    KeInitializeSpinLock(&Timer->Lock);
    Timer->Period = 0;
    Timer->ApcAssociated = FALSE;
    Status = ObInsertObject(Timer, NULL, DesiredAccess, 0, NULL, &Handle);
    if (NT_SUCCESS(Status))
        EXP_STORE_RESULT(PreviousMode, TimerHandle, Handle);
    return Status;
}

NTSTATUS NtSetTimer(HANDLE TimerHandle, PLARGE_INTEGER DueTime, PTIMER_APC_ROUTINE TimerApcRoutine,
                    PVOID TimerContext, BOOLEAN WakeTimer, LONG Period, PBOOLEAN PreviousState)
{
    KPROCESSOR_MODE PreviousMode;
    volatile LARGE_INTEGER Expiration;
    NTSTATUS Status;
    PETIMER Timer;
    KIRQL OldIrql;

    if (Period < 0)
        return STATUS_INVALID_PARAMETER_6;
    PreviousMode = ExGetPreviousMode();
    if (PreviousMode != KernelMode) {
        EX_TRY {
            if (PreviousState)
                ProbeForWriteBoolean(PreviousState);
            ProbeForReadSmallStructure(DueTime, sizeof(LARGE_INTEGER), sizeof(ULONG));
            Expiration.LowPart = ((volatile LARGE_INTEGER *)DueTime)->LowPart;
            Expiration.HighPart = ((volatile LARGE_INTEGER *)DueTime)->HighPart;
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    } else {
        Expiration.QuadPart = DueTime->QuadPart;
    }
    Status = ObReferenceObjectByHandle(TimerHandle, TIMER_MODIFY_STATE, ExTimerObjectType, PreviousMode,
                                       (PVOID *)&Timer, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    if (WakeTimer)
        Status = STATUS_TIMER_RESUME_IGNORED;

    ULONG Dereferences = 1;             /* the reference by handle */
    KeAcquireSpinLock(&Timer->Lock, &OldIrql);
    Dereferences += ExpCancelTimerLocked(Timer);
    BOOLEAN State = KeReadStateTimer(&Timer->KeTimer);
    Timer->Period = Period;
    LARGE_INTEGER Due = { .QuadPart = Expiration.QuadPart };
    if (TimerApcRoutine) {
        PETHREAD Thread = PsGetCurrentThread();
        /* The routine is the APC's normal routine: (TimerContext, the expiry's low and high halves) on x86. */
        KeInitializeApc(&Timer->TimerApc, &Thread->Tcb, CurrentApcEnvironment, ExpTimerApcRoutine, NULL,
                        (PKNORMAL_ROUTINE)(void (*)(void))TimerApcRoutine, PreviousMode, TimerContext);
        KeAcquireSpinLockAtDpcLevel(&Thread->ActiveTimerListLock);
        InsertTailList(&Thread->ActiveTimerListHead, &Timer->ActiveTimerListEntry);
        Timer->ApcAssociated = TRUE;
        KeReleaseSpinLockFromDpcLevel(&Thread->ActiveTimerListLock);
        KeSetTimerEx(&Timer->KeTimer, Due, Period, &Timer->TimerDpc);
        Dereferences--;                 /* the reference by handle becomes the association's */
    } else {
        KeSetTimerEx(&Timer->KeTimer, Due, Period, NULL);
    }
    KeReleaseSpinLock(&Timer->Lock, OldIrql);
    while (Dereferences--)
        ObDereferenceObject(Timer);
    if (PreviousState)
        EXP_STORE_RESULT(PreviousMode, PreviousState, State);
    return Status;
}

NTSTATUS NtCancelTimer(HANDLE TimerHandle, PBOOLEAN CurrentState)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    NTSTATUS Status;
    PETIMER Timer;
    KIRQL OldIrql;

    if (CurrentState && PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteBoolean(CurrentState);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    Status = ObReferenceObjectByHandle(TimerHandle, TIMER_MODIFY_STATE, ExTimerObjectType, PreviousMode,
                                       (PVOID *)&Timer, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    KeAcquireSpinLock(&Timer->Lock, &OldIrql);
    ULONG Dereferences = 1 + ExpCancelTimerLocked(Timer);
    KeReleaseSpinLock(&Timer->Lock, OldIrql);
    BOOLEAN State = KeReadStateTimer(&Timer->KeTimer);
    while (Dereferences--)
        ObDereferenceObject(Timer);
    if (CurrentState)
        EXP_STORE_RESULT(PreviousMode, CurrentState, State);
    return STATUS_SUCCESS;
}

NTSTATUS NtQueryTimer(HANDLE TimerHandle, TIMER_INFORMATION_CLASS TimerInformationClass, PVOID TimerInformation,
                      ULONG TimerInformationLength, PULONG ReturnLength)
{
    KPROCESSOR_MODE PreviousMode;
    NTSTATUS Status;
    PETIMER Timer;

    if (TimerInformationClass != TimerBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (TimerInformationLength != sizeof(TIMER_BASIC_INFORMATION))
        return STATUS_INFO_LENGTH_MISMATCH;
    PreviousMode = ExGetPreviousMode();
    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteSmallStructure(TimerInformation, sizeof(TIMER_BASIC_INFORMATION), sizeof(ULONG));
            if (ReturnLength)
                ProbeForWriteUlong(ReturnLength);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    Status = ObReferenceObjectByHandle(TimerHandle, TIMER_QUERY_STATE, ExTimerObjectType, PreviousMode,
                                       (PVOID *)&Timer, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    TIMER_BASIC_INFORMATION Information;
    memset(&Information, 0, sizeof(Information));
    Information.TimerState = KeReadStateTimer(&Timer->KeTimer);
    Information.RemainingTime.QuadPart = (LONGLONG)Timer->KeTimer.DueTime.QuadPart - (LONGLONG)KeQueryInterruptTime();
    ObDereferenceObject(Timer);
    ExpStoreInformation(PreviousMode, TimerInformation, &Information, sizeof(Information), ReturnLength);
    return STATUS_SUCCESS;
}

NTSTATUS ZwCreateTimer(PHANDLE TimerHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                       TIMER_TYPE TimerType)
{
    return EX_CALL_AS_KERNEL_MODE(NtCreateTimer(TimerHandle, DesiredAccess, ObjectAttributes, TimerType));
}

NTSTATUS ZwSetTimer(HANDLE TimerHandle, PLARGE_INTEGER DueTime, PTIMER_APC_ROUTINE TimerApcRoutine,
                    PVOID TimerContext, BOOLEAN WakeTimer, LONG Period, PBOOLEAN PreviousState)
{
    return EX_CALL_AS_KERNEL_MODE(NtSetTimer(TimerHandle, DueTime, TimerApcRoutine, TimerContext, WakeTimer, Period,
                                             PreviousState));
}

NTSTATUS ZwCancelTimer(HANDLE TimerHandle, PBOOLEAN CurrentState)
{
    return EX_CALL_AS_KERNEL_MODE(NtCancelTimer(TimerHandle, CurrentState));
}

NTSTATUS ZwQueryTimer(HANDLE TimerHandle, TIMER_INFORMATION_CLASS TimerInformationClass, PVOID TimerInformation,
                      ULONG TimerInformationLength, PULONG ReturnLength)
{
    return EX_CALL_AS_KERNEL_MODE(NtQueryTimer(TimerHandle, TimerInformationClass, TimerInformation,
                                               TimerInformationLength, ReturnLength));
}
