/*
 * kernel/ex/event.c — the executive's event object (NT's ex\event.c).
 *
 * An Event object's body is a KEVENT, nothing more: the kernel's dispatcher
 * object (kernel/ke/eventobj.c) given a name in the object manager's world,
 * so a program can hold it by handle, share it, wait on it
 * (NtWaitForSingleObject, kernel/ob/obwait.c) and let it die with its last
 * handle. The services translate: a handle with the right access becomes a
 * referenced KEVENT, the kernel routine runs, the reference goes, the result
 * goes back to the caller. Setting is EVENT_MODIFY_STATE, querying
 * EVENT_QUERY_STATE; a handle also needs SYNCHRONIZE to be waited on. An
 * event needs no delete procedure: nothing can wait on it once it is gone,
 * since every waiter holds a reference for the length of its wait.
 */
#include "exp.h"

POBJECT_TYPE ExEventObjectType;

static const OBJECT_TYPE_INITIALIZER ExpEventTypeInfo = {
    .Length = sizeof(OBJECT_TYPE_INITIALIZER),
    .InvalidAttributes = OBJ_OPENLINK,
    .GenericMapping = {
        STANDARD_RIGHTS_READ | EVENT_QUERY_STATE,
        STANDARD_RIGHTS_WRITE | EVENT_MODIFY_STATE,
        STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
        EVENT_ALL_ACCESS,
    },
    .ValidAccessMask = EVENT_ALL_ACCESS,
    .PoolType = NonPagedPool,               /* a dispatcher object is touched at DISPATCH_LEVEL */
};

bool ExpEventInitialization(void)
{
    return NT_SUCCESS(ObCreateObjectType("Event", &ExpEventTypeInfo, NULL, &ExEventObjectType));
}

NTSTATUS NtCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                       EVENT_TYPE EventType, BOOLEAN InitialState)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    NTSTATUS Status;
    PKEVENT Event;
    HANDLE Handle;

    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteHandle(EventHandle);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    if (EventType != NotificationEvent && EventType != SynchronizationEvent)
        return STATUS_INVALID_PARAMETER;

    Status = ObCreateObject(PreviousMode, ExEventObjectType, ObjectAttributes, PreviousMode, NULL, sizeof(KEVENT),
                            0, 0, (PVOID *)&Event);
    if (!NT_SUCCESS(Status))
        return Status;
    KeInitializeEvent(Event, EventType, InitialState);
    Status = ObInsertObject(Event, NULL, DesiredAccess, 0, NULL, &Handle);
    if (NT_SUCCESS(Status))
        EXP_STORE_RESULT(PreviousMode, EventHandle, Handle);
    return Status;
}

/* The three ways to change an event's state and report the state before. */
typedef enum _EXP_EVENT_OPERATION { ExpSet, ExpReset, ExpPulse } EXP_EVENT_OPERATION;

static NTSTATUS ExpChangeEvent(HANDLE EventHandle, PLONG PreviousState, EXP_EVENT_OPERATION Operation)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    NTSTATUS Status;
    PKEVENT Event;
    LONG State;

    if (PreviousState && PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteLong(PreviousState);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    Status = ObReferenceObjectByHandle(EventHandle, EVENT_MODIFY_STATE, ExEventObjectType, PreviousMode,
                                       (PVOID *)&Event, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    switch (Operation) {
    case ExpSet:
        State = KeSetEvent(Event, EVENT_INCREMENT, FALSE);
        break;
    case ExpReset:
        State = KeResetEvent(Event);
        break;
    default:
        State = KePulseEvent(Event, EVENT_INCREMENT, FALSE);
        break;
    }
    ObDereferenceObject(Event);
    if (PreviousState)
        EXP_STORE_RESULT(PreviousMode, PreviousState, State);
    return STATUS_SUCCESS;
}

NTSTATUS NtSetEvent(HANDLE EventHandle, PLONG PreviousState)
{
    return ExpChangeEvent(EventHandle, PreviousState, ExpSet);
}

NTSTATUS NtResetEvent(HANDLE EventHandle, PLONG PreviousState)
{
    return ExpChangeEvent(EventHandle, PreviousState, ExpReset);
}

NTSTATUS NtPulseEvent(HANDLE EventHandle, PLONG PreviousState)
{
    return ExpChangeEvent(EventHandle, PreviousState, ExpPulse);
}

NTSTATUS NtClearEvent(HANDLE EventHandle)
{
    PKEVENT Event;
    NTSTATUS Status = ObReferenceObjectByHandle(EventHandle, EVENT_MODIFY_STATE, ExEventObjectType,
                                                ExGetPreviousMode(), (PVOID *)&Event, NULL);
    if (NT_SUCCESS(Status)) {
        KeClearEvent(Event);
        ObDereferenceObject(Event);
    }
    return Status;
}

NTSTATUS NtQueryEvent(HANDLE EventHandle, EVENT_INFORMATION_CLASS EventInformationClass, PVOID EventInformation,
                      ULONG EventInformationLength, PULONG ReturnLength)
{
    KPROCESSOR_MODE PreviousMode;
    NTSTATUS Status;
    PKEVENT Event;

    if (EventInformationClass != EventBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (EventInformationLength != sizeof(EVENT_BASIC_INFORMATION))
        return STATUS_INFO_LENGTH_MISMATCH;
    PreviousMode = ExGetPreviousMode();
    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWrite(EventInformation, sizeof(EVENT_BASIC_INFORMATION), sizeof(ULONG));
            if (ReturnLength)
                ProbeForWriteUlong(ReturnLength);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    Status = ObReferenceObjectByHandle(EventHandle, EVENT_QUERY_STATE, ExEventObjectType, PreviousMode,
                                       (PVOID *)&Event, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    /* The header's Type is the event's kind: EventNotificationObject 0, EventSynchronizationObject 1, as EVENT_TYPE. */
    EVENT_BASIC_INFORMATION Information = {
        .EventType = (EVENT_TYPE)Event->Header.Type,
        .EventState = KeReadStateEvent(Event),
    };
    ObDereferenceObject(Event);
    ExpStoreInformation(PreviousMode, EventInformation, &Information, sizeof(Information), ReturnLength);
    return STATUS_SUCCESS;
}

NTSTATUS ZwCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                       EVENT_TYPE EventType, BOOLEAN InitialState)
{
    return EX_CALL_AS_KERNEL_MODE(NtCreateEvent(EventHandle, DesiredAccess, ObjectAttributes, EventType,
                                                InitialState));
}

NTSTATUS ZwSetEvent(HANDLE EventHandle, PLONG PreviousState)
{
    return EX_CALL_AS_KERNEL_MODE(NtSetEvent(EventHandle, PreviousState));
}

NTSTATUS ZwResetEvent(HANDLE EventHandle, PLONG PreviousState)
{
    return EX_CALL_AS_KERNEL_MODE(NtResetEvent(EventHandle, PreviousState));
}

NTSTATUS ZwPulseEvent(HANDLE EventHandle, PLONG PreviousState)
{
    return EX_CALL_AS_KERNEL_MODE(NtPulseEvent(EventHandle, PreviousState));
}

NTSTATUS ZwClearEvent(HANDLE EventHandle)
{
    return EX_CALL_AS_KERNEL_MODE(NtClearEvent(EventHandle));
}

NTSTATUS ZwQueryEvent(HANDLE EventHandle, EVENT_INFORMATION_CLASS EventInformationClass, PVOID EventInformation,
                      ULONG EventInformationLength, PULONG ReturnLength)
{
    return EX_CALL_AS_KERNEL_MODE(NtQueryEvent(EventHandle, EventInformationClass, EventInformation,
                                               EventInformationLength, ReturnLength));
}
