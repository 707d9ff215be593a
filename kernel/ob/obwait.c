/*
 * kernel/ob/obwait.c — waiting on objects by handle (NT's ob\obwait.c):
 * NtWaitForSingleObject, NtWaitForMultipleObjects,
 * NtSignalAndWaitForSingleObject.
 *
 * A program waits on handles; the kernel waits on dispatcher objects
 * (kernel/ke/wait.c). These services translate one into the other: each
 * handle is referenced with SYNCHRONIZE access (a UserMode caller's handle
 * must have been granted it), the object found behind it must be one whose
 * body is a dispatcher object, and the kernel's wait runs on those bodies in
 * the caller's previous mode (a UserMode wait can be ended by a user APC).
 * The references are held for the length of the wait, so no object dies
 * while a thread waits on it, and dropped after.
 *
 * Which objects can be waited on: NT asks the type for its DefaultObject —
 * the body itself for the dispatcher types, an event inside the body for a
 * file, and for the other types a global event that is always signalled, so
 * a wait on a section or a key returns at once. mm386's waitable types are
 * the six whose bodies begin with a DISPATCHER_HEADER: Event, Semaphore,
 * Mutant, Timer (kernel/ex), Process and Thread (kernel/ps). A handle to any
 * other object is refused with STATUS_OBJECT_TYPE_MISMATCH rather than
 * waited on.
 *
 * NtWaitForMultipleObjects looks each handle up in a table, as NT's does, so
 * the pseudo-handles NtCurrentProcess() and NtCurrentThread(), which are in
 * no table, are STATUS_INVALID_HANDLE there (NtWaitForSingleObject takes
 * them). A WaitAll may not name one object twice (it could never be
 * satisfied for a synchronization object): STATUS_INVALID_PARAMETER_MIX.
 * More objects than a thread's built-in wait blocks (THREAD_WAIT_OBJECTS)
 * take an array of wait blocks from nonpaged pool, tag 'Wait' as NT's.
 *
 * The only status a kernel wait raises, STATUS_MUTANT_LIMIT_EXCEEDED (a
 * mutant taken 2^31 times), is caught and returned, whatever the mode; so
 * are the refusals of NtSignalAndWaitForSingleObject's release. Anything
 * else caught there is a kernel bug NT's filters would not handle either:
 * it is raised on, after the references are dropped.
 */
#include "obp.h"
#include <ntexapi.h>
#include <pool.h>
#include <rtl.h>

#define OBP_WAIT_BLOCK_TAG  MAKE_TAG('W', 'a', 'i', 't')

/* The dispatcher object to wait on for the object whose header is Header, or NULL if it has none. */
static inline PVOID ObpWaitObject(POBJECT_HEADER Header)
{
    POBJECT_TYPE Type = Header->Type;
    if (Type == ExEventObjectType || Type == ExSemaphoreObjectType || Type == ExMutantObjectType ||
        Type == ExTimerObjectType || Type == PsProcessType || Type == PsThreadType)
        return OBJECT_HEADER_TO_OBJECT(Header);
    return NULL;
}

/* Statuses the services' handlers return; any other is raised on (see above). */
static inline bool ObpIsWaitRaise(NTSTATUS Status)
{
    return Status == STATUS_MUTANT_LIMIT_EXCEEDED;
}

static inline bool ObpIsSignalRaise(NTSTATUS Status)
{
    return Status == STATUS_MUTANT_NOT_OWNED || Status == STATUS_ABANDONED ||
           Status == STATUS_SEMAPHORE_LIMIT_EXCEEDED || ObpIsWaitRaise(Status);
}

/* Copies a UserMode caller's timeout into *Captured and points *Timeout at it; the probe's status if it is bad. */
static inline NTSTATUS ObpCaptureTimeout(KPROCESSOR_MODE PreviousMode, PLARGE_INTEGER *Timeout,
                                         PLARGE_INTEGER Captured)
{
    NTSTATUS Status;
    if (!*Timeout || PreviousMode == KernelMode)
        return STATUS_SUCCESS;
    EX_TRY {
        *Captured = ProbeAndReadLargeInteger(*Timeout);
        *Timeout = Captured;
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    return Status;
}

NTSTATUS NtWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    LARGE_INTEGER CapturedTimeout;
    volatile NTSTATUS Status;
    PVOID Object;

    Status = ObpCaptureTimeout(PreviousMode, &Timeout, &CapturedTimeout);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(Handle, SYNCHRONIZE, NULL, PreviousMode, &Object, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    PVOID WaitObject = ObpWaitObject(OBJECT_TO_OBJECT_HEADER(Object));
    if (!WaitObject) {
        ObDereferenceObject(Object);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    EX_TRY {
        Status = KeWaitForSingleObject(WaitObject, UserRequest, PreviousMode, Alertable, Timeout);
    } EX_EXCEPT(Status) {
        if (!ObpIsWaitRaise(Status)) {
            ObDereferenceObject(Object);
            ExRaiseStatus(Status);
        }
    } EX_END;
    ObDereferenceObject(Object);
    return Status;
}

NTSTATUS NtWaitForMultipleObjects(ULONG Count, HANDLE Handles[], WAIT_TYPE WaitType, BOOLEAN Alertable,
                                  PLARGE_INTEGER Timeout)
{
    HANDLE CapturedHandles[MAXIMUM_WAIT_OBJECTS];
    PVOID Objects[MAXIMUM_WAIT_OBJECTS];
    PVOID WaitObjects[MAXIMUM_WAIT_OBJECTS];
    PKWAIT_BLOCK WaitBlockArray = NULL;
    LARGE_INTEGER CapturedTimeout;
    KPROCESSOR_MODE PreviousMode;
    volatile NTSTATUS Status;
    ULONG Referenced = 0;

    if (Count == 0 || Count > MAXIMUM_WAIT_OBJECTS)
        return STATUS_INVALID_PARAMETER_1;
    if (WaitType != WaitAny && WaitType != WaitAll)
        return STATUS_INVALID_PARAMETER_3;

    /* NT copies the handles under its handler for a kernel-mode caller too: a bad array is a status, not a crash. */
    PreviousMode = ExGetPreviousMode();
    Status = ObpCaptureTimeout(PreviousMode, &Timeout, &CapturedTimeout);
    if (!NT_SUCCESS(Status))
        return Status;
    EX_TRY {
        if (PreviousMode != KernelMode)
            ProbeForRead(Handles, Count * sizeof(HANDLE), sizeof(HANDLE));
        memcpy(CapturedHandles, Handles, Count * sizeof(HANDLE));
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;

    if (Count > THREAD_WAIT_OBJECTS) {
        WaitBlockArray = ExAllocatePoolWithTag(NonPagedPool, Count * sizeof(KWAIT_BLOCK), OBP_WAIT_BLOCK_TAG);
        if (!WaitBlockArray)
            return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (; Referenced < Count; Referenced++) {
        HANDLE Handle = CapturedHandles[Referenced];
        if (Handle == NtCurrentProcess() || Handle == NtCurrentThread()) {
            Status = STATUS_INVALID_HANDLE;
            goto Done;
        }
        Status = ObReferenceObjectByHandle(Handle, SYNCHRONIZE, NULL, PreviousMode, &Objects[Referenced], NULL);
        if (!NT_SUCCESS(Status))
            goto Done;
        WaitObjects[Referenced] = ObpWaitObject(OBJECT_TO_OBJECT_HEADER(Objects[Referenced]));
        if (!WaitObjects[Referenced]) {
            Referenced++;               /* the reference is taken: drop it with the others */
            Status = STATUS_OBJECT_TYPE_MISMATCH;
            goto Done;
        }
    }
    if (WaitType == WaitAll) {
        for (ULONG i = 0; i < Count; i++) {
            for (ULONG j = i + 1; j < Count; j++) {
                if (WaitObjects[i] == WaitObjects[j]) {
                    Status = STATUS_INVALID_PARAMETER_MIX;
                    goto Done;
                }
            }
        }
    }
    EX_TRY {
        Status = KeWaitForMultipleObjects(Count, WaitObjects, WaitType, UserRequest, PreviousMode, Alertable, Timeout,
                                          WaitBlockArray);
    } EX_EXCEPT(Status) {
        if (!ObpIsWaitRaise(Status)) {
            while (Referenced > 0)
                ObDereferenceObject(Objects[--Referenced]);
            if (WaitBlockArray)
                ExFreePoolWithTag(WaitBlockArray, OBP_WAIT_BLOCK_TAG);
            ExRaiseStatus(Status);
        }
    } EX_END;

Done:
    while (Referenced > 0)
        ObDereferenceObject(Objects[--Referenced]);
    if (WaitBlockArray)
        ExFreePoolWithTag(WaitBlockArray, OBP_WAIT_BLOCK_TAG);
    return Status;
}

NTSTATUS NtSignalAndWaitForSingleObject(HANDLE SignalHandle, HANDLE WaitHandle, BOOLEAN Alertable,
                                        PLARGE_INTEGER Timeout)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    OBJECT_HANDLE_INFORMATION SignalInformation;
    LARGE_INTEGER CapturedTimeout;
    PVOID SignalObject, Object;
    volatile NTSTATUS Status;

    Status = ObpCaptureTimeout(PreviousMode, &Timeout, &CapturedTimeout);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(SignalHandle, 0, NULL, PreviousMode, &SignalObject, &SignalInformation);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(WaitHandle, SYNCHRONIZE, NULL, PreviousMode, &Object, NULL);
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(SignalObject);
        return Status;
    }

    PVOID WaitObject = ObpWaitObject(OBJECT_TO_OBJECT_HEADER(Object));
    POBJECT_TYPE SignalType = OBJECT_TO_OBJECT_HEADER(SignalObject)->Type;
    bool UserMode = PreviousMode != KernelMode;
    if (!WaitObject || (SignalType != ExEventObjectType && SignalType != ExMutantObjectType &&
                        SignalType != ExSemaphoreObjectType)) {
        Status = STATUS_OBJECT_TYPE_MISMATCH;
    } else if (UserMode && SignalType == ExEventObjectType &&
               !(SignalInformation.GrantedAccess & EVENT_MODIFY_STATE)) {
        Status = STATUS_ACCESS_DENIED;
    } else if (UserMode && SignalType == ExSemaphoreObjectType &&
               !(SignalInformation.GrantedAccess & SEMAPHORE_MODIFY_STATE)) {
        Status = STATUS_ACCESS_DENIED;
    } else {
        /*
         * The signal leaves the dispatcher lock held (Wait = TRUE) for the
         * wait that follows, so no thread it readies runs before this one
         * waits. A refused release raises with the lock released.
         */
        EX_TRY {
            if (SignalType == ExEventObjectType)
                KeSetEvent(SignalObject, EVENT_INCREMENT, TRUE);
            else if (SignalType == ExMutantObjectType)
                KeReleaseMutant(SignalObject, MUTANT_INCREMENT, FALSE, TRUE);
            else
                KeReleaseSemaphore(SignalObject, SEMAPHORE_INCREMENT, 1, TRUE);
            Status = KeWaitForSingleObject(WaitObject, UserRequest, PreviousMode, Alertable, Timeout);
        } EX_EXCEPT(Status) {
            if (!ObpIsSignalRaise(Status)) {
                ObDereferenceObject(Object);
                ObDereferenceObject(SignalObject);
                ExRaiseStatus(Status);
            }
        } EX_END;
    }
    ObDereferenceObject(Object);
    ObDereferenceObject(SignalObject);
    return Status;
}

NTSTATUS ZwWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
    return EX_CALL_AS_KERNEL_MODE(NtWaitForSingleObject(Handle, Alertable, Timeout));
}

NTSTATUS ZwWaitForMultipleObjects(ULONG Count, HANDLE Handles[], WAIT_TYPE WaitType, BOOLEAN Alertable,
                                  PLARGE_INTEGER Timeout)
{
    return EX_CALL_AS_KERNEL_MODE(NtWaitForMultipleObjects(Count, Handles, WaitType, Alertable, Timeout));
}

NTSTATUS ZwSignalAndWaitForSingleObject(HANDLE SignalHandle, HANDLE WaitHandle, BOOLEAN Alertable,
                                        PLARGE_INTEGER Timeout)
{
    return EX_CALL_AS_KERNEL_MODE(NtSignalAndWaitForSingleObject(SignalHandle, WaitHandle, Alertable, Timeout));
}
