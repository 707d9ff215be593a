/*
 * kernel/ob/obref.c — references: by pointer, by handle, and letting go
 * (NT's obref.c).
 *
 * A pointer reference is one increment of the header's pointer count, and
 * whoever holds one may use the body until they give it back with
 * ObDereferenceObject. The counts are changed with locked instructions, so
 * references may be taken and dropped at any IRQL up to DISPATCH_LEVEL; the
 * last one runs the deletion (obdelete.c), deferred above PASSIVE_LEVEL.
 *
 * ObReferenceObjectByHandle turns a handle into a reference: it finds the
 * entry in the caller's handle table (or the kernel handle table, for a
 * kernel handle from kernel mode), checks the object's type against the one
 * the caller expects and, for a caller from user mode, the rights it asks for
 * against the rights the handle was granted, and adds a reference while the
 * table is locked, so a concurrent NtClose cannot free the object in between.
 * Kernel-mode callers are trusted with the access, exactly as in NT: the
 * access check protects the kernel from user mode, not from itself.
 *
 * The pseudo-handles NtCurrentProcess() (-1) and NtCurrentThread() (-2) are in
 * no table. -1 names PsGetCurrentProcess() once ps has created PsProcessType
 * and made its processes objects; until then it names nothing and the
 * answer is STATUS_INVALID_HANDLE (or STATUS_OBJECT_TYPE_MISMATCH for a
 * caller expecting another type). -2 needs the current thread's object,
 * which comes with kernel/ps's threads; until then it is answered the same
 * way.
 *
 * Breaking the count is NT's REFERENCE_BY_POINTER (0x18): the last pointer
 * reference going while a handle still names the object (the handle would
 * point at freed memory), or a dereference below zero (a reference given back
 * twice). Parameter 1 is the object's type and 2 the object, as NT documents;
 * 3 and 4, reserved in NT's documentation, are the handle count and the new
 * pointer count here, which tell the two cases apart.
 */
#include "obp.h"

LONG FASTCALL ObfReferenceObject(PVOID Object)
{
    return __atomic_add_fetch(&OBJECT_TO_OBJECT_HEADER(Object)->PointerCount, 1, __ATOMIC_RELAXED);
}

BOOLEAN ObReferenceObjectSafe(PVOID Object)
{
    volatile LONG *Count = &OBJECT_TO_OBJECT_HEADER(Object)->PointerCount;
    LONG Seen = *Count;
    while (Seen > 0) {
        if (__atomic_compare_exchange_n(Count, &Seen, Seen + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return TRUE;
    }
    return FALSE;
}

LONG FASTCALL ObfDereferenceObject(PVOID Object)
{
    POBJECT_HEADER Header = OBJECT_TO_OBJECT_HEADER(Object);
    LONG Result = __atomic_sub_fetch(&Header->PointerCount, 1, __ATOMIC_ACQ_REL);

    if (LIKELY(Result > 0)) {
        if (UNLIKELY(ObpRemoveObjectQueuePending()) && KeGetCurrentIrql() == PASSIVE_LEVEL)
            ObpProcessRemoveObjectQueue();
        return Result;
    }
    if (Result < 0 || Header->HandleCount != 0)
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG_PTR)Header->Type, (ULONG_PTR)Object, (ULONG)Header->HandleCount,
                     (ULONG)Result);
    if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
        ObpDeferObjectDeletion(Header);
        return 0;
    }
    ObpRemoveObjectRoutine(Header);
    if (UNLIKELY(ObpRemoveObjectQueuePending()))
        ObpProcessRemoveObjectQueue();
    return 0;
}

ULONG ObGetObjectPointerCount(PVOID Object)
{
    return OBJECT_TO_OBJECT_HEADER(Object)->PointerCount;
}

NTSTATUS ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                    KPROCESSOR_MODE AccessMode)
{
    POBJECT_HEADER Header = OBJECT_TO_OBJECT_HEADER(Object);
    if (Header->Type != ObjectType && AccessMode != KernelMode)
        return STATUS_OBJECT_TYPE_MISMATCH;
    __atomic_add_fetch(&Header->PointerCount, 1, __ATOMIC_RELAXED);
    return STATUS_SUCCESS;
}

BOOLEAN ObIsKernelHandle(HANDLE Handle)
{
    return ObpIsKernelHandle(Handle, KernelMode);
}

/* NtCurrentProcess() and NtCurrentThread(): see the paragraph at the top. */
static NTSTATUS ObpReferencePseudoHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                         KPROCESSOR_MODE AccessMode, PVOID *Object,
                                         POBJECT_HANDLE_INFORMATION HandleInformation)
{
    if (Handle == NtCurrentThread()) {
        if (ObjectType && ObjectType != PsThreadType)
            return STATUS_OBJECT_TYPE_MISMATCH;
        PETHREAD Thread = PsGetCurrentThread();
        if (!PsThreadType || OBJECT_TO_OBJECT_HEADER(Thread)->Type != PsThreadType)
            return STATUS_INVALID_HANDLE;       /* the idle thread is no object */
        if (AccessMode != KernelMode && (DesiredAccess & ~THREAD_ALL_ACCESS))
            return STATUS_ACCESS_DENIED;
        ObfReferenceObject(Thread);
        if (HandleInformation) {
            HandleInformation->HandleAttributes = 0;
            HandleInformation->GrantedAccess = THREAD_ALL_ACCESS;
        }
        *Object = Thread;
        return STATUS_SUCCESS;
    }

    if (ObjectType && ObjectType != PsProcessType)
        return STATUS_OBJECT_TYPE_MISMATCH;
    PEPROCESS Process = PsGetCurrentProcess();
    if (!PsProcessType || OBJECT_TO_OBJECT_HEADER(Process)->Type != PsProcessType)
        return STATUS_INVALID_HANDLE;           /* the current process is not an object (yet) */
    if (AccessMode != KernelMode && (DesiredAccess & ~PROCESS_ALL_ACCESS))
        return STATUS_ACCESS_DENIED;
    ObfReferenceObject(Process);
    if (HandleInformation) {
        HandleInformation->HandleAttributes = 0;
        HandleInformation->GrantedAccess = PROCESS_ALL_ACCESS;
    }
    *Object = Process;
    return STATUS_SUCCESS;
}

NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                   KPROCESSOR_MODE AccessMode, PVOID *Object,
                                   POBJECT_HANDLE_INFORMATION HandleInformation)
{
    PEPROCESS Process;

    *Object = NULL;
    if (Handle == NtCurrentProcess() || Handle == NtCurrentThread())
        return ObpReferencePseudoHandle(Handle, DesiredAccess, ObjectType, AccessMode, Object, HandleInformation);

    PHANDLE_TABLE Table = ObpHandleTableForHandle(&Handle, AccessMode, &Process);
    if (!Table)
        return STATUS_INVALID_HANDLE;
    PHANDLE_TABLE_ENTRY Entry = ExMapHandleToPointer(Table, Handle);
    if (!Entry)
        return STATUS_INVALID_HANDLE;

    POBJECT_HEADER Header = ObpEntryHeader(Entry);
    ACCESS_MASK GrantedAccess = Entry->GrantedAccess;
    ULONG Attributes = Entry->Value & OBJ_HANDLE_ATTRIBUTES;
    NTSTATUS Status;
    if (ObjectType && Header->Type != ObjectType) {
        Status = STATUS_OBJECT_TYPE_MISMATCH;
    } else if (AccessMode != KernelMode && (DesiredAccess & ~GrantedAccess)) {
        Status = STATUS_ACCESS_DENIED;
    } else {
        __atomic_add_fetch(&Header->PointerCount, 1, __ATOMIC_RELAXED);
        Status = STATUS_SUCCESS;
    }
    ExUnlockHandleTableEntry(Table, Entry);
    if (!NT_SUCCESS(Status))
        return Status;

    if (HandleInformation) {
        HandleInformation->HandleAttributes = Attributes;
        HandleInformation->GrantedAccess = GrantedAccess;
    }
    *Object = OBJECT_HEADER_TO_OBJECT(Header);
    return STATUS_SUCCESS;
}
