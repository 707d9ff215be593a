/*
 * kernel/ob/obdup.c — duplicating a handle (NT's NtDuplicateObject and
 * ObDuplicateObject).
 *
 * A duplicate is a second handle to the object a source handle names, in the
 * same process or another, with the same rights (DUPLICATE_SAME_ACCESS) or
 * with rights of its own. Granting a right the source handle does not have
 * would let anyone holding a weak handle mint a strong one; NT allows it only
 * after checking the object's security descriptor (for types using the
 * default security procedure) and refuses it otherwise. mm386 has no
 * security descriptors, so widening is always STATUS_ACCESS_DENIED; narrowing
 * and keeping are always allowed.
 *
 * DUPLICATE_CLOSE_SOURCE closes the source handle as part of the call, after
 * the duplicate exists (so a close procedure never sees the count touch zero
 * in between) and whether or not the duplicate could be made; with no target
 * process it is the way to close a handle in another process.
 *
 * The source handle is looked up in the source process's table, or the
 * kernel handle table for a kernel handle from kernel mode; the duplicate is
 * a kernel handle only if asked for (OBJ_KERNEL_HANDLE), from kernel mode,
 * into the system process. The work is done with each table locked in turn,
 * never both: the source's to take a reference, the target's to make the
 * entry, the source's again to close it.
 */
#include "obp.h"

NTSTATUS ObDuplicateObject(PEPROCESS SourceProcess, HANDLE SourceHandle, PEPROCESS TargetProcess,
                           PHANDLE TargetHandle, ACCESS_MASK DesiredAccess, ULONG HandleAttributes, ULONG Options,
                           KPROCESSOR_MODE PreviousMode)
{
    PEPROCESS SourceOwner = SourceProcess;
    PHANDLE_TABLE SourceTable = SourceProcess->ObjectTable;
    POBJECT_HEADER Header;
    ACCESS_MASK SourceAccess;
    ULONG SourceAttributes = 0;
    bool Pseudo = false;

    if (TargetHandle)
        *TargetHandle = NULL;
    if ((SourceHandle == NtCurrentProcess() || SourceHandle == NtCurrentThread()) &&
        SourceProcess == PsGetCurrentProcess() && PsProcessType) {
        /* A pseudo-handle names the caller's own process or thread, with every right: NT duplicates it so. */
        PVOID Self = SourceHandle == NtCurrentProcess() ? (PVOID)PsGetCurrentProcess() : (PVOID)PsGetCurrentThread();
        Header = OBJECT_TO_OBJECT_HEADER(Self);
        SourceAccess = SourceHandle == NtCurrentProcess() ? PROCESS_ALL_ACCESS : THREAD_ALL_ACCESS;
        ObReferenceObject(Self);
        Pseudo = true;
    } else {
        if (ObpIsKernelHandle(SourceHandle, PreviousMode)) {
            SourceHandle = ObpDecodeKernelHandle(SourceHandle);
            SourceTable = ObpKernelHandleTable;
            SourceOwner = PsInitialSystemProcess;
        }
        if (!SourceTable)
            return STATUS_PROCESS_IS_TERMINATING;
        PHANDLE_TABLE_ENTRY Entry = ExMapHandleToPointer(SourceTable, SourceHandle);
        if (!Entry)
            return STATUS_INVALID_HANDLE;
        Header = ObpEntryHeader(Entry);
        SourceAccess = Entry->GrantedAccess;
        SourceAttributes = Entry->Value & OBJ_HANDLE_ATTRIBUTES;
        __atomic_add_fetch(&Header->PointerCount, 1, __ATOMIC_RELAXED);    /* ours until the duplicate owns it */
        ExUnlockHandleTableEntry(SourceTable, Entry);
    }
    PVOID Object = OBJECT_HEADER_TO_OBJECT(Header);

    NTSTATUS Status;
    HANDLE NewHandle = NULL;
    PHANDLE_TABLE TargetTable = TargetProcess ? TargetProcess->ObjectTable : NULL;
    if (!TargetProcess) {
        Status = (Options & DUPLICATE_CLOSE_SOURCE) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    } else if (!TargetTable) {
        Status = STATUS_PROCESS_IS_TERMINATING;
    } else {
        BOOLEAN KernelHandle = PreviousMode == KernelMode && (HandleAttributes & OBJ_KERNEL_HANDLE) &&
                               TargetProcess == PsInitialSystemProcess;
        ULONG Attributes = (Options & DUPLICATE_SAME_ATTRIBUTES)
                               ? SourceAttributes
                               : (HandleAttributes & OBJ_HANDLE_ATTRIBUTES) | (SourceAttributes & OBJ_AUDIT_OBJECT_CLOSE);
        ACCESS_MASK TargetAccess = (Options & DUPLICATE_SAME_ACCESS) ? SourceAccess
                                                                     : ObpMapDesiredAccess(Header->Type, DesiredAccess);
        if (TargetAccess & ~SourceAccess)
            Status = STATUS_ACCESS_DENIED;
        else
            Status = ObpCreateHandle(KernelHandle ? ObpKernelHandleTable : TargetTable, Header, TargetAccess,
                                     Attributes, KernelHandle, &NewHandle);
    }

    if ((Options & DUPLICATE_CLOSE_SOURCE) && !Pseudo)
        ObpCloseHandleInTable(SourceOwner, SourceTable, SourceHandle);
    if (!NT_SUCCESS(Status) || !NewHandle) {
        ObDereferenceObject(Object);
        return Status;
    }
    if (TargetHandle)
        *TargetHandle = NewHandle;
    return STATUS_SUCCESS;
}

/*
 * The process a process handle names, referenced. Until ps creates
 * PsProcessType no process is an object, and NtCurrentProcess() (taken
 * without a reference) is the only process handle there can be.
 */
static NTSTATUS ObpReferenceProcessHandle(HANDLE ProcessHandle, KPROCESSOR_MODE PreviousMode, PEPROCESS *Process)
{
    if (!PsProcessType) {
        PVOID Object;
        if (ProcessHandle == NtCurrentProcess()) {
            *Process = PsGetCurrentProcess();
            return STATUS_SUCCESS;
        }
        NTSTATUS Status = ObReferenceObjectByHandle(ProcessHandle, 0, NULL, PreviousMode, &Object, NULL);
        if (!NT_SUCCESS(Status))
            return Status;
        ObDereferenceObject(Object);
        return STATUS_OBJECT_TYPE_MISMATCH;     /* a handle, but not to a process */
    }
    return ObReferenceObjectByHandle(ProcessHandle, PROCESS_DUP_HANDLE, PsProcessType, PreviousMode,
                                     (PVOID *)Process, NULL);
}

static void ObpDereferenceProcess(PEPROCESS Process)
{
    if (PsProcessType)
        ObDereferenceObject(Process);
}

/* Writes Value to a caller's HANDLE: probed and under a handler when the caller is in ring 3. */
static NTSTATUS ObpWriteHandle(PHANDLE Target, HANDLE Value, KPROCESSOR_MODE PreviousMode)
{
    NTSTATUS Status;
    if (PreviousMode == KernelMode) {
        *Target = Value;
        return STATUS_SUCCESS;
    }
    EX_TRY {
        ProbeForWrite(Target, sizeof(HANDLE), sizeof(ULONG));
        *Target = Value;
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

NTSTATUS NtDuplicateObject(HANDLE SourceProcessHandle, HANDLE SourceHandle, HANDLE TargetProcessHandle,
                           PHANDLE TargetHandle, ACCESS_MASK DesiredAccess, ULONG HandleAttributes, ULONG Options)
{
    KPROCESSOR_MODE PreviousMode = ObpGetPreviousMode();
    PEPROCESS SourceProcess, TargetProcess = NULL;
    HANDLE NewHandle = NULL;
    NTSTATUS Status;

    /* A caller in ring 3 gets the handle through a pointer that must be its own and writable (NT's probe). */
    if (TargetHandle) {
        Status = ObpWriteHandle(TargetHandle, NULL, PreviousMode);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    Status = ObpReferenceProcessHandle(SourceProcessHandle, PreviousMode, &SourceProcess);
    if (!NT_SUCCESS(Status))
        return Status;
    if (TargetProcessHandle) {
        Status = ObpReferenceProcessHandle(TargetProcessHandle, PreviousMode, &TargetProcess);
        if (!NT_SUCCESS(Status)) {
            ObpDereferenceProcess(SourceProcess);
            return Status;
        }
    }
    Status = ObDuplicateObject(SourceProcess, SourceHandle, TargetProcess, TargetHandle ? &NewHandle : NULL,
                               DesiredAccess, HandleAttributes, Options, PreviousMode);
    if (TargetProcess)
        ObpDereferenceProcess(TargetProcess);
    ObpDereferenceProcess(SourceProcess);
    if (TargetHandle && NT_SUCCESS(Status))
        return ObpWriteHandle(TargetHandle, NewHandle, PreviousMode);  /* failing, the handle stays, as in NT */
    return Status;
}
