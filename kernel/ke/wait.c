/*
 * kernel/ke/wait.c — waiting on dispatcher objects.
 *
 * Every waitable object begins with a DISPATCHER_HEADER: a type, a signal
 * state and a list of wait blocks. A thread that must wait links one
 * KWAIT_BLOCK per object into that object's wait list (the blocks of one
 * wait also form a ring through NextWaitBlock), marks itself Waiting and
 * switches away (KiSwapThread). When an object is signalled, KiWaitTest
 * walks its wait list in order: a WaitAny block is satisfied by this object
 * alone, a WaitAll block only if every object of that wait is signalled at
 * that moment, and then all of them are satisfied together. Satisfying
 * consumes what the object's type says (NT's KiWaitSatisfy*): a
 * synchronization event or timer resets, a semaphore counts down, a mutant
 * becomes the thread's; notification events and timers, threads and
 * processes stay signalled. The satisfied thread is unwaited
 * (KiUnwaitThread): its blocks leave every list, its timeout timer is
 * cancelled, it is boosted by the setter's increment and readied.
 *
 * A timeout is one more wait block, on the thread's own timer (WaitKey
 * STATUS_TIMEOUT): the timer's expiry satisfies it like any object. A wait
 * returns STATUS_WAIT_0 + n for the nth object of a WaitAny (with
 * STATUS_ABANDONED_WAIT_0 + n for a mutant whose owner died), STATUS_WAIT_0
 * for a WaitAll, STATUS_TIMEOUT, or STATUS_KERNEL_APC internally when a
 * kernel APC interrupted it — the wait then starts over with the time left.
 *
 * IRQL: a wait that may block needs IRQL <= APC_LEVEL; at DISPATCH_LEVEL only
 * a zero timeout (a test of the state) is allowed. A blocking wait at
 * DISPATCH_LEVEL is IRQL_NOT_LESS_OR_EQUAL (0x0A) — from a DPC routine
 * KiSwapThread names it ATTEMPTED_SWITCH_FROM_DPC (0xB8) as NT does.
 */
#include <ex.h>
#include "kernel/ke/ki.h"

void KiInitializeDispatcherHeader(PDISPATCHER_HEADER Header, KOBJECTS Type, ULONG SizeInBytes, LONG SignalState)
{
    Header->Type = (UCHAR)Type;
    Header->Absolute = FALSE;
    Header->Size = (UCHAR)(SizeInBytes / sizeof(ULONG));
    Header->Inserted = FALSE;
    Header->SignalState = SignalState;
    InitializeListHead(&Header->WaitListHead);
}

bool KiIsObjectSignalled(PDISPATCHER_HEADER Object, PKTHREAD Thread)
{
    if (Object->Type == MutantObject)
        return Object->SignalState > 0 || ((PKMUTANT)Object)->OwnerThread == Thread;
    return Object->SignalState > 0;
}

/*
 * Takes a mutant for Thread: the first acquisition makes Thread its owner
 * (a KMUTEX also disables the owner's normal kernel APCs). Returns
 * STATUS_ABANDONED_WAIT_0 if its previous owner died holding it, else 0.
 */
static NTSTATUS KiWaitSatisfyMutant(PKMUTANT Mutant, PKTHREAD Thread)
{
    NTSTATUS Abandoned = 0;
    if (--Mutant->Header.SignalState == 0) {
        Mutant->OwnerThread = Thread;
        Thread->KernelApcDisable += Mutant->ApcDisable;
        if (Mutant->Abandoned) {
            Mutant->Abandoned = FALSE;
            Abandoned = STATUS_ABANDONED_WAIT_0;
        }
        InsertHeadList(&Thread->MutantListHead, &Mutant->MutantListEntry);
    }
    return Abandoned;
}

/* Consumes what a satisfied wait takes from Object; returns the abandoned adjustment. */
static inline NTSTATUS KiWaitSatisfy(PDISPATCHER_HEADER Object, PKTHREAD Thread)
{
    switch (Object->Type) {
    case EventSynchronizationObject:
    case TimerSynchronizationObject:
        Object->SignalState = 0;
        return 0;
    case SemaphoreObject:
        Object->SignalState--;
        return 0;
    case MutantObject:
        return KiWaitSatisfyMutant((PKMUTANT)Object, Thread);
    default:
        return 0;
    }
}

/* Whether every object of Thread's WaitAll is signalled for it (the timer's block excepted). */
static bool KiAllSignalled(PKTHREAD Thread)
{
    PKWAIT_BLOCK WaitBlock = Thread->WaitBlockList;
    do {
        if (WaitBlock->WaitKey != (USHORT)STATUS_TIMEOUT && !KiIsObjectSignalled(WaitBlock->Object, Thread))
            return false;
        WaitBlock = WaitBlock->NextWaitBlock;
    } while (WaitBlock != Thread->WaitBlockList);
    return true;
}

/* Satisfies every object of Thread's WaitAll; returns STATUS_ABANDONED_WAIT_0 if any mutant was abandoned. */
static NTSTATUS KiSatisfyAll(PKTHREAD Thread)
{
    NTSTATUS Abandoned = 0;
    PKWAIT_BLOCK WaitBlock = Thread->WaitBlockList;
    do {
        if (WaitBlock->WaitKey != (USHORT)STATUS_TIMEOUT)
            Abandoned |= KiWaitSatisfy(WaitBlock->Object, Thread);
        WaitBlock = WaitBlock->NextWaitBlock;
    } while (WaitBlock != Thread->WaitBlockList);
    return Abandoned;
}

void KiUnwaitThread(PKTHREAD Thread, LONG_PTR WaitStatus, KPRIORITY Increment)
{
    PKWAIT_BLOCK WaitBlock = Thread->WaitBlockList;
    do {
        RemoveEntryList(&WaitBlock->WaitListEntry);
        WaitBlock = WaitBlock->NextWaitBlock;
    } while (WaitBlock != Thread->WaitBlockList);
    if (Thread->Timer.Header.Inserted)
        KiRemoveTimer(&Thread->Timer);
    Thread->WaitStatus = WaitStatus;

    /* NT's boost: a variable-priority thread runs at least at base + increment (at most 15) until it decays. */
    if (Thread->Priority < LOW_REALTIME_PRIORITY && Increment > 0) {
        KPRIORITY Boosted = MIN(Thread->BasePriority + Increment, LOW_REALTIME_PRIORITY - 1);
        if (Boosted > Thread->Priority) {
            Thread->Priority = (SCHAR)Boosted;
            Thread->PriorityDecrement = (SCHAR)(Boosted - Thread->BasePriority);
        }
    }
    KiReadyThread(Thread);
}

void KiWaitTest(PDISPATCHER_HEADER Object, KPRIORITY Increment)
{
    PLIST_ENTRY Entry = Object->WaitListHead.Flink;

    while (Object->SignalState > 0 && Entry != &Object->WaitListHead) {
        PKWAIT_BLOCK WaitBlock = CONTAINING_RECORD(Entry, KWAIT_BLOCK, WaitListEntry);
        PKTHREAD Thread = WaitBlock->Thread;
        NTSTATUS Status;

        if (WaitBlock->WaitType == WaitAny) {
            Status = WaitBlock->WaitKey | KiWaitSatisfy(Object, Thread);
        } else if (KiAllSignalled(Thread)) {
            Status = STATUS_WAIT_0 | KiSatisfyAll(Thread);
        } else {
            Entry = Entry->Flink;
            continue;
        }
        KiUnwaitThread(Thread, Status, Increment);
        /* The unwait took this thread's blocks off every list, perhaps the next one here too. */
        Entry = Object->WaitListHead.Flink;
    }
}

/*
 * NT's test before an alertable user-mode wait blocks: a user APC already
 * queued to the thread (while it ran, or waited without being alertable)
 * ends the wait at once with STATUS_USER_APC, and is marked pending for the
 * return to user mode. Dispatcher lock held.
 */
static inline bool KiUserApcQueued(PKTHREAD Thread)
{
    if (IsListEmpty(&Thread->ApcState.ApcListHead[UserMode]))
        return false;
    KiSetUserApcPending(Thread);
    return true;
}

/*
 * Whether a user-mode wait ends at once with STATUS_USER_APC (NT's order):
 * alertable, when a user APC is queued; alertable or not, when a user APC
 * was forced pending (a termination: KeForceUserApc). Dispatcher lock held.
 */
static inline bool KiUserApcEndsWait(PKTHREAD Thread, BOOLEAN Alertable)
{
    return Thread->ApcState.UserApcPending || (Alertable && KiUserApcQueued(Thread));
}

/* A wait that could block, at DISPATCH_LEVEL or above: ATTEMPTED_SWITCH_FROM_DPC in a DPC routine, else 0x0A. */
static NORETURN __attribute__((noinline)) void KiWaitAtRaisedIrql(PKTHREAD Thread, PVOID Object, KIRQL Irql)
{
    if (KeGetCurrentPrcb()->DpcRoutineActive)
        KeBugCheckEx(ATTEMPTED_SWITCH_FROM_DPC, (ULONG_PTR)Thread, 0, (ULONG_PTR)__builtin_frame_address(0), 0);
    KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)Object, Irql, 0, (ULONG_PTR)__builtin_return_address(0));
}

/*
 * The due time of a wait's timeout, as interrupt time: a negative Timeout is
 * relative, a positive one an absolute system time (1601-based). A due time
 * beyond what interrupt time can reach saturates at MAXLONGLONG, a timer
 * that never expires: 0x8000000000000000, the longest relative interval,
 * is what Win32's Sleep(INFINITE) passes to NtDelayExecution, and NT waits
 * for ever on it (its unsigned due-time arithmetic cannot come round).
 */
static LARGE_INTEGER KiDueTime(PLARGE_INTEGER Timeout)
{
    ULONGLONG Now = KeQueryInterruptTime(), Interval;
    LARGE_INTEGER Due;
    if (Timeout->QuadPart < 0) {
        Interval = 0 - (ULONGLONG)Timeout->QuadPart;        /* 2^63 for the most negative */
    } else {
        LARGE_INTEGER SystemNow;
        KeQuerySystemTime(&SystemNow);
        if (Timeout->QuadPart <= SystemNow.QuadPart) {
            Due.QuadPart = (LONGLONG)Now;                    /* already past: due now */
            return Due;
        }
        Interval = (ULONGLONG)(Timeout->QuadPart - SystemNow.QuadPart);
    }
    Due.QuadPart = Interval > (ULONGLONG)MAXLONGLONG - Now ? MAXLONGLONG : (LONGLONG)(Now + Interval);
    return Due;
}

/*
 * The general wait, entered with the dispatcher lock held at OldIrql (the
 * caller's IRQL). Returns with it released.
 */
static NTSTATUS KiWaitForObjects(ULONG Count, PVOID Objects[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason,
                                 KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                 PKWAIT_BLOCK WaitBlocks, KIRQL OldIrql)
{
    PKTHREAD Thread = KeGetCurrentThread();
    bool ZeroTimeout = Timeout != NULL && Timeout->QuadPart == 0;
    LARGE_INTEGER DueTime = { .QuadPart = 0 };

    if (OldIrql > APC_LEVEL && !ZeroTimeout)
        KiWaitAtRaisedIrql(Thread, Objects[0], OldIrql);
    if (Timeout != NULL && !ZeroTimeout)
        DueTime = KiDueTime(Timeout);

    for (;;) {
        NTSTATUS Status;

        /* Can the wait be satisfied now? */
        if (WaitType == WaitAny) {
            for (ULONG i = 0; i < Count; i++) {
                PDISPATCHER_HEADER Object = Objects[i];
                if (!KiIsObjectSignalled(Object, Thread))
                    continue;
                if (Object->Type == MutantObject && Object->SignalState == (LONG)MUTANT_LIMIT) {
                    KiReleaseDispatcherLock(OldIrql);
                    ExRaiseStatus(STATUS_MUTANT_LIMIT_EXCEEDED);
                }
                Status = (NTSTATUS)i | KiWaitSatisfy(Object, Thread);
                KiReleaseDispatcherLock(OldIrql);
                return Status;
            }
        } else {
            bool All = true;
            for (ULONG i = 0; i < Count && All; i++) {
                PDISPATCHER_HEADER Object = Objects[i];
                All = KiIsObjectSignalled(Object, Thread);
                if (All && Object->Type == MutantObject && Object->SignalState == (LONG)MUTANT_LIMIT) {
                    KiReleaseDispatcherLock(OldIrql);
                    ExRaiseStatus(STATUS_MUTANT_LIMIT_EXCEEDED);
                }
            }
            if (All) {
                NTSTATUS Abandoned = 0;
                for (ULONG i = 0; i < Count; i++)
                    Abandoned |= KiWaitSatisfy(Objects[i], Thread);
                KiReleaseDispatcherLock(OldIrql);
                return STATUS_WAIT_0 | Abandoned;
            }
        }
        if (WaitMode == UserMode && KiUserApcEndsWait(Thread, Alertable)) {
            KiReleaseDispatcherLock(OldIrql);
            return STATUS_USER_APC;
        }
        if (ZeroTimeout) {
            KiReleaseDispatcherLock(OldIrql);
            return STATUS_TIMEOUT;
        }

        /* Wait: a block per object, in each object's wait list, the blocks in a ring. */
        for (ULONG i = 0; i < Count; i++) {
            PKWAIT_BLOCK WaitBlock = &WaitBlocks[i];
            WaitBlock->Thread = Thread;
            WaitBlock->Object = Objects[i];
            WaitBlock->WaitKey = (USHORT)i;
            WaitBlock->WaitType = (USHORT)WaitType;
            WaitBlock->NextWaitBlock = &WaitBlocks[i + 1 < Count ? i + 1 : 0];
            InsertTailList(&((PDISPATCHER_HEADER)Objects[i])->WaitListHead, &WaitBlock->WaitListEntry);
        }
        Thread->WaitBlockList = &WaitBlocks[0];
        if (Timeout != NULL) {
            PKWAIT_BLOCK TimerBlock = &Thread->WaitBlock[TIMER_WAIT_BLOCK];
            if (!KiInsertTimer(&Thread->Timer, DueTime)) {
                for (ULONG i = 0; i < Count; i++)
                    RemoveEntryList(&WaitBlocks[i].WaitListEntry);
                KiReleaseDispatcherLock(OldIrql);
                return STATUS_TIMEOUT;
            }
            TimerBlock->NextWaitBlock = &WaitBlocks[0];
            WaitBlocks[Count - 1].NextWaitBlock = TimerBlock;
            InsertTailList(&Thread->Timer.Header.WaitListHead, &TimerBlock->WaitListEntry);
        }
        Thread->State = Waiting;
        Thread->WaitReason = (UCHAR)WaitReason;
        Thread->WaitMode = (UCHAR)WaitMode;
        Thread->Alertable = Alertable;
        Thread->WaitIrql = OldIrql;
        Thread->WaitStatus = 0;
        Status = (NTSTATUS)KiSwapThread(Thread);
        if (Status != STATUS_KERNEL_APC)
            return Status;
        OldIrql = KiAcquireDispatcherLock();
    }
}

static void KiTakeDispatcherLockForWait(PKTHREAD Thread, PKIRQL OldIrql)
{
    if (Thread->WaitNext) {
        /* KeSetEvent(..., Wait = TRUE) and friends left the lock held for this wait. */
        Thread->WaitNext = FALSE;
        *OldIrql = Thread->WaitIrql;
    } else {
        *OldIrql = KiAcquireDispatcherLock();
    }
}

/* The object kinds a wait takes without making its thread an owner: every waitable kind but the mutant. */
#define KI_PLAIN_WAITABLE   ((1u << EventNotificationObject) | (1u << EventSynchronizationObject) |  \
                             (1u << ProcessObject) | (1u << SemaphoreObject) | (1u << ThreadObject) |   \
                             (1u << TimerNotificationObject) | (1u << TimerSynchronizationObject))

/* The kinds a satisfied wait takes nothing from: notification events and timers, threads, processes. */
#define KI_NOTIFICATION_WAITABLE ((1u << EventNotificationObject) | (1u << ProcessObject) |          \
                                  (1u << ThreadObject) | (1u << TimerNotificationObject))

/*
 * One object: the common cases first. A signalled notification object is
 * satisfied without the dispatcher lock: the wait takes nothing from it, so
 * seeing it signalled is the whole of the wait, on one processor or many. A
 * signalled synchronization event or timer, semaphore — anything a wait
 * consumes — is taken under the lock, still without a wait block. Then NT's
 * loop for one object: satisfy, or queue one wait block (and the timer's),
 * switch away, and start over if a kernel APC was the reason to come back.
 */
NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                               BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
    PKTHREAD Thread = KeGetCurrentThread();
    PDISPATCHER_HEADER Header = Object;
    KIRQL OldIrql;

    if (LIKELY(!Thread->WaitNext)) {
        ULONG Kind = Header->Type;
        if (Kind < 32 && (KI_NOTIFICATION_WAITABLE >> Kind) & 1 && Header->SignalState > 0)
            return STATUS_WAIT_0;
    }
    KiTakeDispatcherLockForWait(Thread, &OldIrql);
    ULONG Type = Header->Type;
    LONG State = Header->SignalState;
    if (LIKELY(State > 0 && Type < 32 && (KI_PLAIN_WAITABLE >> Type) & 1)) {
        if (Type == SemaphoreObject)
            Header->SignalState = State - 1;
        else if ((Type & 7) == EventSynchronizationObject)
            Header->SignalState = 0;
        KiReleaseDispatcherLock(OldIrql);
        return STATUS_WAIT_0;
    }
    if (!KiIsDispatcherObject(Header)) {
        KiReleaseDispatcherLock(OldIrql);
        return STATUS_INVALID_PARAMETER_1;
    }

    bool ZeroTimeout = Timeout != NULL && Timeout->QuadPart == 0;
    LARGE_INTEGER DueTime = { .QuadPart = 0 };
    if (OldIrql > APC_LEVEL && !ZeroTimeout)
        KiWaitAtRaisedIrql(Thread, Object, OldIrql);
    if (Timeout != NULL && !ZeroTimeout)
        DueTime = KiDueTime(Timeout);
    for (;;) {
        if (KiIsObjectSignalled(Header, Thread)) {
            if (Header->Type == MutantObject && Header->SignalState == (LONG)MUTANT_LIMIT) {
                KiReleaseDispatcherLock(OldIrql);
                ExRaiseStatus(STATUS_MUTANT_LIMIT_EXCEEDED);
            }
            NTSTATUS Status = STATUS_WAIT_0 | KiWaitSatisfy(Header, Thread);
            KiReleaseDispatcherLock(OldIrql);
            return Status;
        }
        if (WaitMode == UserMode && KiUserApcEndsWait(Thread, Alertable)) {
            KiReleaseDispatcherLock(OldIrql);
            return STATUS_USER_APC;
        }
        if (ZeroTimeout) {
            KiReleaseDispatcherLock(OldIrql);
            return STATUS_TIMEOUT;
        }
        PKWAIT_BLOCK WaitBlock = &Thread->WaitBlock[0];
        WaitBlock->Thread = Thread;
        WaitBlock->Object = Header;
        WaitBlock->WaitKey = 0;
        WaitBlock->WaitType = WaitAny;
        WaitBlock->NextWaitBlock = WaitBlock;
        Thread->WaitBlockList = WaitBlock;
        if (Timeout != NULL) {
            PKWAIT_BLOCK TimerBlock = &Thread->WaitBlock[TIMER_WAIT_BLOCK];
            if (!KiInsertTimer(&Thread->Timer, DueTime)) {
                KiReleaseDispatcherLock(OldIrql);
                return STATUS_TIMEOUT;
            }
            WaitBlock->NextWaitBlock = TimerBlock;
            TimerBlock->NextWaitBlock = WaitBlock;
            InsertTailList(&Thread->Timer.Header.WaitListHead, &TimerBlock->WaitListEntry);
        }
        InsertTailList(&Header->WaitListHead, &WaitBlock->WaitListEntry);
        Thread->State = Waiting;
        Thread->WaitReason = (UCHAR)WaitReason;
        Thread->WaitMode = (UCHAR)WaitMode;
        Thread->Alertable = Alertable;
        Thread->WaitIrql = OldIrql;
        Thread->WaitStatus = 0;
        NTSTATUS Status = (NTSTATUS)KiSwapThread(Thread);
        if (Status != STATUS_KERNEL_APC)
            return Status;
        OldIrql = KiAcquireDispatcherLock();
    }
}

NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
                                  KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                  PLARGE_INTEGER Timeout, PKWAIT_BLOCK WaitBlockArray)
{
    PKTHREAD Thread = KeGetCurrentThread();
    KIRQL OldIrql;

    if (Count > MAXIMUM_WAIT_OBJECTS || (WaitBlockArray == NULL && Count > THREAD_WAIT_OBJECTS))
        KeBugCheckEx(MAXIMUM_WAIT_OBJECTS_EXCEEDED, Count, (ULONG_PTR)WaitBlockArray, 0, 0);
    if (Count == 0)
        return STATUS_INVALID_PARAMETER_1;
    if (WaitType != WaitAny && WaitType != WaitAll)
        return STATUS_INVALID_PARAMETER_3;
    for (ULONG i = 0; i < Count; i++) {
        if (!KiIsDispatcherObject(Object[i]))
            return STATUS_INVALID_PARAMETER_2;
    }
    KiTakeDispatcherLockForWait(Thread, &OldIrql);
    return KiWaitForObjects(Count, Object, WaitType, WaitReason, WaitMode, Alertable, Timeout,
                            WaitBlockArray ? WaitBlockArray : Thread->WaitBlock, OldIrql);
}

NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)
{
    PKTHREAD Thread = KeGetCurrentThread();
    KIRQL OldIrql;

    if (Interval->QuadPart == 0) {
        KeYieldExecution();
        return STATUS_SUCCESS;
    }
    KiTakeDispatcherLockForWait(Thread, &OldIrql);
    if (OldIrql > APC_LEVEL)
        KiWaitAtRaisedIrql(Thread, NULL, OldIrql);
    LARGE_INTEGER DueTime = KiDueTime(Interval);
    for (;;) {
        if (WaitMode == UserMode && KiUserApcEndsWait(Thread, Alertable)) {
            KiReleaseDispatcherLock(OldIrql);
            return STATUS_USER_APC;
        }
        if (!KiInsertTimer(&Thread->Timer, DueTime)) {
            KiReleaseDispatcherLock(OldIrql);
            return STATUS_SUCCESS;
        }
        PKWAIT_BLOCK TimerBlock = &Thread->WaitBlock[TIMER_WAIT_BLOCK];
        TimerBlock->NextWaitBlock = TimerBlock;
        InsertTailList(&Thread->Timer.Header.WaitListHead, &TimerBlock->WaitListEntry);
        Thread->WaitBlockList = TimerBlock;
        Thread->State = Waiting;
        Thread->WaitReason = DelayExecution;
        Thread->WaitMode = (UCHAR)WaitMode;
        Thread->Alertable = Alertable;
        Thread->WaitIrql = OldIrql;
        Thread->WaitStatus = 0;
        NTSTATUS Status = (NTSTATUS)KiSwapThread(Thread);
        if (Status == STATUS_TIMEOUT)
            return STATUS_SUCCESS;
        if (Status != STATUS_KERNEL_APC)
            return Status;
        OldIrql = KiAcquireDispatcherLock();
    }
}
