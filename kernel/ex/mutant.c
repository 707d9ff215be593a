/*
 * kernel/ex/mutant.c — the executive's mutant object (NT's ex\mutant.c;
 * Win32 calls it a mutex).
 *
 * A Mutant object's body is a KMUTANT (kernel/ke/mutntobj.c): a lock owned
 * by a thread, which may take it again recursively, signalled while free.
 * Waiting on it takes ownership; NtReleaseMutant gives one level of it back.
 * Only the owner may release, so the release needs no access right at all,
 * and anyone else's attempt makes the kernel raise STATUS_MUTANT_NOT_OWNED
 * (STATUS_ABANDONED if the owner died holding it): the service returns that
 * status to a user-mode caller and lets the raise go on to a kernel-mode one,
 * as NT's exception filter does. The rights are MUTANT_QUERY_STATE,
 * SYNCHRONIZE and the standard ones (MUTANT_ALL_ACCESS is 0x1F0001).
 *
 * A mutant may die owned: its last handle closed by its owner, or by another
 * thread while the owner still holds it. The delete procedure (NT's
 * ExpDeleteMutant) releases it as abandoned, which takes it off its owner's
 * list of owned mutants — else the owner's exit would walk into freed memory.
 */
#include "exp.h"

POBJECT_TYPE ExMutantObjectType;

/* Released as abandoned: off its owner's MutantListHead if it has one. No one waits (waiters hold references). */
static void ExpDeleteMutant(PVOID Object)
{
    KeReleaseMutant(Object, MUTANT_INCREMENT, TRUE, FALSE);
}

static const OBJECT_TYPE_INITIALIZER ExpMutantTypeInfo = {
    .Length = sizeof(OBJECT_TYPE_INITIALIZER),
    .InvalidAttributes = OBJ_OPENLINK,
    .GenericMapping = {
        STANDARD_RIGHTS_READ | MUTANT_QUERY_STATE,
        STANDARD_RIGHTS_WRITE,
        STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
        MUTANT_ALL_ACCESS,
    },
    .ValidAccessMask = MUTANT_ALL_ACCESS,
    .PoolType = NonPagedPool,
    .DeleteProcedure = ExpDeleteMutant,
};

bool ExpMutantInitialization(void)
{
    return NT_SUCCESS(ObCreateObjectType("Mutant", &ExpMutantTypeInfo, NULL, &ExMutantObjectType));
}

NTSTATUS NtCreateMutant(PHANDLE MutantHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                        BOOLEAN InitialOwner)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    NTSTATUS Status;
    PKMUTANT Mutant;
    HANDLE Handle;

    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteHandle(MutantHandle);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    Status = ObCreateObject(PreviousMode, ExMutantObjectType, ObjectAttributes, PreviousMode, NULL, sizeof(KMUTANT),
                            0, 0, (PVOID *)&Mutant);
    if (!NT_SUCCESS(Status))
        return Status;
    KeInitializeMutant(Mutant, InitialOwner);
    Status = ObInsertObject(Mutant, NULL, DesiredAccess, 0, NULL, &Handle);
    if (NT_SUCCESS(Status))
        EXP_STORE_RESULT(PreviousMode, MutantHandle, Handle);
    return Status;
}

NTSTATUS NtReleaseMutant(HANDLE MutantHandle, PLONG PreviousCount)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    PKMUTANT Mutant;
    NTSTATUS Status;
    volatile LONG Count = 0;

    if (PreviousCount && PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteLong(PreviousCount);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    Status = ObReferenceObjectByHandle(MutantHandle, 0, ExMutantObjectType, PreviousMode, (PVOID *)&Mutant, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    EX_TRY {
        Count = KeReleaseMutant(Mutant, MUTANT_INCREMENT, FALSE, FALSE);
    } EX_EXCEPT(Status) {
        ObDereferenceObject(Mutant);
        if (PreviousMode == KernelMode)
            ExRaiseStatus(Status);
        return Status;
    } EX_END;
    ObDereferenceObject(Mutant);
    if (PreviousCount)
        EXP_STORE_RESULT(PreviousMode, PreviousCount, Count);
    return STATUS_SUCCESS;
}

NTSTATUS NtQueryMutant(HANDLE MutantHandle, MUTANT_INFORMATION_CLASS MutantInformationClass,
                       PVOID MutantInformation, ULONG MutantInformationLength, PULONG ReturnLength)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    PKMUTANT Mutant;
    NTSTATUS Status;

    /* As NtQuerySemaphore: the buffers are probed before the class and length are looked at. */
    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForWriteSmallStructure(MutantInformation, sizeof(MUTANT_BASIC_INFORMATION), sizeof(ULONG));
            if (ReturnLength)
                ProbeForWriteUlong(ReturnLength);
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
    }
    if (MutantInformationClass != MutantBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (MutantInformationLength != sizeof(MUTANT_BASIC_INFORMATION))
        return STATUS_INFO_LENGTH_MISMATCH;
    Status = ObReferenceObjectByHandle(MutantHandle, MUTANT_QUERY_STATE, ExMutantObjectType, PreviousMode,
                                       (PVOID *)&Mutant, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    MUTANT_BASIC_INFORMATION Information = {
        .CurrentCount = KeReadStateMutant(Mutant),
        .OwnedByCaller = Mutant->OwnerThread == KeGetCurrentThread(),
        .AbandonedState = Mutant->Abandoned,
    };
    ObDereferenceObject(Mutant);
    ExpStoreInformation(PreviousMode, MutantInformation, &Information, sizeof(Information), ReturnLength);
    return STATUS_SUCCESS;
}

NTSTATUS ZwCreateMutant(PHANDLE MutantHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                        BOOLEAN InitialOwner)
{
    return EX_CALL_AS_KERNEL_MODE(NtCreateMutant(MutantHandle, DesiredAccess, ObjectAttributes, InitialOwner));
}

NTSTATUS ZwReleaseMutant(HANDLE MutantHandle, PLONG PreviousCount)
{
    return EX_CALL_AS_KERNEL_MODE(NtReleaseMutant(MutantHandle, PreviousCount));
}

NTSTATUS ZwQueryMutant(HANDLE MutantHandle, MUTANT_INFORMATION_CLASS MutantInformationClass,
                       PVOID MutantInformation, ULONG MutantInformationLength, PULONG ReturnLength)
{
    return EX_CALL_AS_KERNEL_MODE(NtQueryMutant(MutantHandle, MutantInformationClass, MutantInformation,
                                                MutantInformationLength, ReturnLength));
}
