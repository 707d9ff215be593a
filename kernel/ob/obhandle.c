/*
 * kernel/ob/obhandle.c — handles: made for a new object, opened on an
 * existing one, closed, and every one of a process closed when it dies
 * (NT's obhandle.c and obclose.c).
 *
 * A handle is an entry in a process's handle table (exhandle.c) naming an
 * object and the rights granted through it, and it owns one pointer
 * reference. Making one counts it in the header's handle count and the
 * type's handle total; closing one takes the entry out of the table under
 * the table's lock, then, unlocked, counts it down, calls the type's close
 * procedure and drops the handle's reference, which deletes the object if it
 * was the last.
 *
 * Which table: a handle made from kernel mode with OBJ_KERNEL_HANDLE goes in
 * the kernel handle table, the system process's own, and its value carries
 * KERNEL_HANDLE_MASK; any other goes in the current process's table. A value
 * with the top bit set is looked up in the kernel table only for a kernel-mode
 * caller; from user mode it is just a handle its own table does not have.
 * While the system process is the only process, its table is both: a handle
 * made without OBJ_KERNEL_HANDLE also lands there, with the bit clear.
 *
 * The rights a new handle gets: the creator asks for DesiredAccess;
 * MAXIMUM_ALLOWED becomes GENERIC_ALL (an unnamed object has no security
 * descriptor to limit it, so NT grants everything the type has), the
 * generic rights are mapped with the type's GENERIC_MAPPING, and what is
 * left is masked with the type's ValidAccessMask.
 *
 * ObInsertObject consumes the creator's reference, success or failure, the
 * way NT does: on success it becomes the handle's (ObjectPointerBias more,
 * for the caller, are added before the handle becomes visible, so a close
 * racing with the insert cannot free the object under the caller); on
 * failure it is dropped, and the object dies.
 */
#include "obp.h"

PHANDLE_TABLE ObpKernelHandleTable;

NTSTATUS ObpCreateHandle(PHANDLE_TABLE Table, POBJECT_HEADER Header, ACCESS_MASK GrantedAccess,
                         ULONG HandleAttributes, BOOLEAN KernelHandle, PHANDLE Handle)
{
    POBJECT_TYPE Type = Header->Type;
    HANDLE_TABLE_ENTRY Template;

    ASSERT(((ULONG_PTR)Header & OBP_ENTRY_ATTRIBUTES) == 0);
    Template.Value = (ULONG_PTR)Header | (HandleAttributes & OBJ_HANDLE_ATTRIBUTES);
    Template.GrantedAccess = GrantedAccess;

    /* Counted before the handle is visible: a close racing with us must find the counts to take down. */
    __atomic_add_fetch(&Header->HandleCount, 1, __ATOMIC_RELAXED);
    LONG Handles = __atomic_add_fetch(&Type->TotalNumberOfHandles, 1, __ATOMIC_RELAXED);
    if (Handles > Type->HighWaterNumberOfHandles)
        Type->HighWaterNumberOfHandles = Handles;

    HANDLE NewHandle = ExCreateHandle(Table, &Template);
    if (!NewHandle) {
        /* No handle ever existed: take the counts back without a close procedure. */
        __atomic_sub_fetch(&Header->HandleCount, 1, __ATOMIC_RELAXED);
        __atomic_sub_fetch(&Type->TotalNumberOfHandles, 1, __ATOMIC_RELAXED);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    *Handle = KernelHandle ? ObpEncodeKernelHandle(NewHandle) : NewHandle;
    return STATUS_SUCCESS;
}

NTSTATUS ObInsertObject(PVOID Object, PVOID PassedAccessState, ACCESS_MASK DesiredAccess,
                        ULONG ObjectPointerBias, PVOID *NewObject, PHANDLE Handle)
{
    POBJECT_HEADER Header = OBJECT_TO_OBJECT_HEADER(Object);

    if (Handle)
        *Handle = NULL;
    if (NewObject)
        *NewObject = NULL;
    if (!(Header->Flags & OB_FLAG_NEW_OBJECT) || PassedAccessState || !Handle) {
        ObDereferenceObject(Object);
        return STATUS_INVALID_PARAMETER;
    }
    Header->Flags &= ~OB_FLAG_NEW_OBJECT;
    ULONG Attributes = Header->ObjectCreateAttributes;
    Header->ObjectCreateAttributes = 0;

    /* ObCreateObject kept OBJ_KERNEL_HANDLE only for a KernelMode owner (NT's rule). */
    BOOLEAN KernelHandle = (Attributes & OBJ_KERNEL_HANDLE) != 0;
    PHANDLE_TABLE Table = KernelHandle ? ObpKernelHandleTable : PsGetCurrentProcess()->ObjectTable;
    NTSTATUS Status = STATUS_PROCESS_IS_TERMINATING;
    if (Table) {
        /* The creator's reference becomes the handle's; the bias is added before anyone can close it. */
        if (ObjectPointerBias)
            __atomic_add_fetch(&Header->PointerCount, ObjectPointerBias, __ATOMIC_RELAXED);
        Status = ObpCreateHandle(Table, Header, ObpMapDesiredAccess(Header->Type, DesiredAccess), Attributes,
                                 KernelHandle, Handle);
        if (NT_SUCCESS(Status)) {
            if (NewObject)
                *NewObject = Object;
            return Status;
        }
        if (ObjectPointerBias)
            __atomic_sub_fetch(&Header->PointerCount, ObjectPointerBias, __ATOMIC_RELAXED);
    }
    ObDereferenceObject(Object);        /* the creator's reference, and with it the object */
    return Status;
}

NTSTATUS ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes, PVOID PassedAccessState,
                               ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                               PHANDLE Handle)
{
    *Handle = NULL;
    if (PassedAccessState || (HandleAttributes & ~OBJ_VALID_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    NTSTATUS Status = ObReferenceObjectByPointer(Object, 0, ObjectType, AccessMode);
    if (!NT_SUCCESS(Status))
        return Status;

    POBJECT_HEADER Header = OBJECT_TO_OBJECT_HEADER(Object);
    BOOLEAN KernelHandle = (HandleAttributes & OBJ_KERNEL_HANDLE) && AccessMode == KernelMode;
    PHANDLE_TABLE Table = KernelHandle ? ObpKernelHandleTable : PsGetCurrentProcess()->ObjectTable;
    Status = Table ? ObpCreateHandle(Table, Header, ObpMapDesiredAccess(Header->Type, DesiredAccess),
                                     HandleAttributes, KernelHandle, Handle)
                   : STATUS_PROCESS_IS_TERMINATING;
    if (!NT_SUCCESS(Status))
        ObDereferenceObject(Object);    /* else the reference is the handle's */
    return Status;
}

/* Closes Handle (decoded) in Table, which belongs to Process; inline in each way of closing below. */
static inline NTSTATUS ObpCloseTableHandle(PEPROCESS Process, PHANDLE_TABLE Table, HANDLE Handle)
{
    PHANDLE_TABLE_ENTRY Entry = ExMapHandleToPointer(Table, Handle);
    if (!Entry)
        return STATUS_INVALID_HANDLE;
    POBJECT_HEADER Header = ObpEntryHeader(Entry);
    ACCESS_MASK GrantedAccess = Entry->GrantedAccess;
    ExDestroyHandle(Table, Handle, Entry);

    ObpDecrementHandleCount(Process, Header, GrantedAccess);
    ObDereferenceObject(OBJECT_HEADER_TO_OBJECT(Header));
    return STATUS_SUCCESS;
}

NTSTATUS ObpCloseHandleInTable(PEPROCESS Process, PHANDLE_TABLE Table, HANDLE Handle)
{
    return ObpCloseTableHandle(Process, Table, Handle);
}

static inline NTSTATUS ObpCloseHandle(HANDLE Handle, KPROCESSOR_MODE PreviousMode)
{
    PEPROCESS Process;
    PHANDLE_TABLE Table = ObpHandleTableForHandle(&Handle, PreviousMode, &Process);
    if (!Table)
        return STATUS_INVALID_HANDLE;
    return ObpCloseTableHandle(Process, Table, Handle);
}

NTSTATUS ObCloseHandle(HANDLE Handle, KPROCESSOR_MODE PreviousMode)
{
    return ObpCloseHandle(Handle, PreviousMode);
}

NTSTATUS NtClose(HANDLE Handle)
{
    return ObpCloseHandle(Handle, ObpGetPreviousMode());
}

NTSTATUS ObInitProcess(PEPROCESS Parent, PEPROCESS NewProcess)
{
    if (Parent)
        return STATUS_NOT_IMPLEMENTED;          /* no handle inheritance yet */
    PHANDLE_TABLE Table = ExCreateHandleTable(NewProcess);
    if (!Table)
        return STATUS_INSUFFICIENT_RESOURCES;
    NewProcess->ObjectTable = Table;
    return STATUS_SUCCESS;
}

void ObKillProcess(PEPROCESS Process)
{
    PHANDLE_TABLE Table = Process->ObjectTable;
    ASSERT(Process != PsInitialSystemProcess);
    if (!Table)
        return;
    for (ULONG Value = 0;; Value += HANDLE_VALUE_INC) {
        PHANDLE_TABLE_ENTRY Entry = ExpMapNextHandleToPointer(Table, &Value);
        if (!Entry)
            break;
        POBJECT_HEADER Header = ObpEntryHeader(Entry);
        ACCESS_MASK GrantedAccess = Entry->GrantedAccess;
        ExDestroyHandle(Table, (HANDLE)Value, Entry);
        ObpDecrementHandleCount(Process, Header, GrantedAccess);
        ObDereferenceObject(OBJECT_HEADER_TO_OBJECT(Header));
    }
    Process->ObjectTable = NULL;
    ExDestroyHandleTable(Table);
}

ULONG ObGetProcessHandleCount(PEPROCESS Process)
{
    PHANDLE_TABLE Table = Process->ObjectTable;
    return Table ? (ULONG)Table->HandleCount : 0;
}
