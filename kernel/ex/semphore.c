/*
 * kernel/ex/semphore.c — the executive's semaphore object (NT's
 * ex\semphore.c; NT spells the file without the second 'a').
 *
 * A Semaphore object's body is a KSEMAPHORE (kernel/ke/semphobj.c): a count
 * between 0 and a maximum fixed at creation, signalled while above 0, each
 * satisfied wait taking one. NtReleaseSemaphore adds to the count
 * (SEMAPHORE_MODIFY_STATE); the kernel refuses a release past the maximum by
 * raising STATUS_SEMAPHORE_LIMIT_EXCEEDED with nothing changed. The service
 * catches the raise for a user-mode caller and returns it as its status;
 * NT's handler (ExSystemExceptionFilter) lets it go on to a kernel-mode
 * caller, whose bug it is, and so does mm386 — after dropping the reference
 * the service took, which NT's filter leaves behind.
 */
#include "exp.h"

POBJECT_TYPE ExSemaphoreObjectType;

static const OBJECT_TYPE_INITIALIZER ExpSemaphoreTypeInfo = {
    .Length = sizeof(OBJECT_TYPE_INITIALIZER),
    .InvalidAttributes = OBJ_OPENLINK,
    .GenericMapping = {
        STANDARD_RIGHTS_READ | SEMAPHORE_QUERY_STATE,
        STANDARD_RIGHTS_WRITE | SEMAPHORE_MODIFY_STATE,
        STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
        SEMAPHORE_ALL_ACCESS,
    },
    .ValidAccessMask = SEMAPHORE_ALL_ACCESS,
    .PoolType = NonPagedPool,
};

bool ExpSemaphoreInitialization(void)
{
    return NT_SUCCESS(ObCreateObjectType("Semaphore", &ExpSemaphoreTypeInfo, NULL, &ExSemaphoreObjectType));
}

NTSTATUS NtCreateSemaphore(PHANDLE SemaphoreHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                           LONG InitialCount, LONG MaximumCount)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    NTSTATUS Status;
    PKSEMAPHORE Semaphore;
    HANDLE Handle;

    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteHandle(SemaphoreHandle);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    if (MaximumCount <= 0 || InitialCount < 0 || InitialCount > MaximumCount)
        return STATUS_INVALID_PARAMETER;

    Status = ObCreateObject(PreviousMode, ExSemaphoreObjectType, ObjectAttributes, PreviousMode, NULL,
                            sizeof(KSEMAPHORE), 0, 0, (PVOID *)&Semaphore);
    if (!NT_SUCCESS(Status))
        return Status;
    KeInitializeSemaphore(Semaphore, InitialCount, MaximumCount);
    Status = ObInsertObject(Semaphore, NULL, DesiredAccess, 0, NULL, &Handle);
    if (NT_SUCCESS(Status))
        EXP_STORE_RESULT(PreviousMode, SemaphoreHandle, Handle);
    return Status;
}

NTSTATUS NtReleaseSemaphore(HANDLE SemaphoreHandle, LONG ReleaseCount, PLONG PreviousCount)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    PKSEMAPHORE Semaphore;
    NTSTATUS Status;
    volatile LONG Count = 0;

    if (PreviousCount && PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteLong(PreviousCount);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    if (ReleaseCount <= 0)
        return STATUS_INVALID_PARAMETER;
    Status = ObReferenceObjectByHandle(SemaphoreHandle, SEMAPHORE_MODIFY_STATE, ExSemaphoreObjectType, PreviousMode,
                                       (PVOID *)&Semaphore, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    EX_TRY {
        Count = KeReleaseSemaphore(Semaphore, SEMAPHORE_INCREMENT, ReleaseCount, FALSE);
    } EX_EXCEPT(Status) {
        ObDereferenceObject(Semaphore);
        if (PreviousMode == KernelMode)
            ExRaiseStatus(Status);
        return Status;
    } EX_END;
    ObDereferenceObject(Semaphore);
    if (PreviousCount)
        EXP_STORE_RESULT(PreviousMode, PreviousCount, Count);
    return STATUS_SUCCESS;
}

NTSTATUS NtQuerySemaphore(HANDLE SemaphoreHandle, SEMAPHORE_INFORMATION_CLASS SemaphoreInformationClass,
                          PVOID SemaphoreInformation, ULONG SemaphoreInformationLength, PULONG ReturnLength)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    PKSEMAPHORE Semaphore;
    NTSTATUS Status;

    /* NT probes before it looks at the class and length here (the event's service checks them first). */
    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteSmallStructure(SemaphoreInformation, sizeof(SEMAPHORE_BASIC_INFORMATION), sizeof(ULONG));
            if (ReturnLength)
                ProbeForWriteUlong(ReturnLength);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    if (SemaphoreInformationClass != SemaphoreBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (SemaphoreInformationLength != sizeof(SEMAPHORE_BASIC_INFORMATION))
        return STATUS_INFO_LENGTH_MISMATCH;
    Status = ObReferenceObjectByHandle(SemaphoreHandle, SEMAPHORE_QUERY_STATE, ExSemaphoreObjectType, PreviousMode,
                                       (PVOID *)&Semaphore, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    SEMAPHORE_BASIC_INFORMATION Information = {
        .CurrentCount = KeReadStateSemaphore(Semaphore),
        .MaximumCount = Semaphore->Limit,
    };
    ObDereferenceObject(Semaphore);
    ExpStoreInformation(PreviousMode, SemaphoreInformation, &Information, sizeof(Information), ReturnLength);
    return STATUS_SUCCESS;
}

NTSTATUS ZwCreateSemaphore(PHANDLE SemaphoreHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                           LONG InitialCount, LONG MaximumCount)
{
    return EX_CALL_AS_KERNEL_MODE(NtCreateSemaphore(SemaphoreHandle, DesiredAccess, ObjectAttributes, InitialCount,
                                                    MaximumCount));
}

NTSTATUS ZwReleaseSemaphore(HANDLE SemaphoreHandle, LONG ReleaseCount, PLONG PreviousCount)
{
    return EX_CALL_AS_KERNEL_MODE(NtReleaseSemaphore(SemaphoreHandle, ReleaseCount, PreviousCount));
}

NTSTATUS ZwQuerySemaphore(HANDLE SemaphoreHandle, SEMAPHORE_INFORMATION_CLASS SemaphoreInformationClass,
                          PVOID SemaphoreInformation, ULONG SemaphoreInformationLength, PULONG ReturnLength)
{
    return EX_CALL_AS_KERNEL_MODE(NtQuerySemaphore(SemaphoreHandle, SemaphoreInformationClass, SemaphoreInformation,
                                                   SemaphoreInformationLength, ReturnLength));
}
