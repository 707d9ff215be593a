/*
 * include/ob.h — the object manager (NT's Ob*): objects, object types, handles.
 *
 * Everything the executive hands out by handle (processes, threads, events,
 * semaphores, mutants, timers, later sections) is an object: a body of the
 * owner's own structure (EPROCESS, KEVENT ...) with an OBJECT_HEADER in front
 * of it. The header counts two kinds of users. The pointer count is every
 * reference anybody holds: the creator's, one per handle, one per
 * ObReferenceObject*; when it falls to zero the type's delete procedure runs
 * once and the memory goes back to pool. The handle count is the handles
 * alone. A handle is an index into a per-process handle table whose entry
 * holds the object and the access the handle was granted; handle values are
 * multiples of 4 and never 0. The system process's table is the kernel
 * handle table: a handle created with OBJ_KERNEL_HANDLE lives there and has
 * its top bit set (KERNEL_HANDLE_MASK), so kernel code in any process can
 * use it and user mode never can. Each object belongs to an object type
 * (ObCreateObjectType) that says which pool its bodies come from and with
 * which tag, which access rights exist and how GENERIC_* map onto them, and
 * what to do when a handle closes or the object dies.
 *
 * Names (the \BaseNamedObjects namespace, directories, symbolic links) and
 * security descriptors are out of scope: objects are unnamed, and a name is
 * refused with STATUS_OBJECT_NAME_INVALID. docs/OBJECTS.md describes the
 * mechanism with a kd> walkthrough; the code is in kernel/ob/.
 */
#ifndef MM386_OB_H
#define MM386_OB_H

#include <ke.h>
#include <pool.h>

struct _EPROCESS;


/* Replaces each GENERIC_* bit of *AccessMask with what GenericMapping maps it to. Any IRQL. */
void RtlMapGenericMask(PACCESS_MASK AccessMask, const GENERIC_MAPPING *GenericMapping);


/* ------------------------------------------------------------------------
 * Handles.
 */
/* Pseudo-handles (include/ntdef.h): never in a table, they name the caller's own process and thread. */
/* A kernel handle is a handle of the kernel handle table with this bit set (x86 NT's value). */
#define KERNEL_HANDLE_MASK      0x80000000u
/* The handle attributes kept in a handle table entry and reported by ObReferenceObjectByHandle. */
#define OBJ_PROTECT_CLOSE       0x00000001u
#define OBJ_AUDIT_OBJECT_CLOSE  0x00000004u
#define OBJ_HANDLE_ATTRIBUTES   (OBJ_INHERIT | OBJ_AUDIT_OBJECT_CLOSE)


typedef struct _OBJECT_HANDLE_INFORMATION {
    ULONG HandleAttributes;             /* OBJ_INHERIT ... of the handle */
    ACCESS_MASK GrantedAccess;          /* what the handle was granted */
} OBJECT_HANDLE_INFORMATION, *POBJECT_HANDLE_INFORMATION;

/* True for a kernel handle (top bit set), false for a process handle and for -1/-2. Any IRQL. */
BOOLEAN ObIsKernelHandle(HANDLE Handle);

/* ------------------------------------------------------------------------
 * Object types.
 */
/* Called once, when the last reference goes, before the body is freed. PASSIVE_LEVEL. */
typedef void (*OB_DELETE_METHOD)(PVOID Object);
/*
 * Called for every handle closed, after it left the table. SystemHandleCount
 * is the object's handle count before this close (1: the last handle).
 * ProcessHandleCount is 0: mm386 keeps no per-process handle counts (NT's
 * MaintainHandleCount). PASSIVE_LEVEL.
 */
typedef void (*OB_CLOSE_METHOD)(struct _EPROCESS *Process, PVOID Object, ACCESS_MASK GrantedAccess,
                                ULONG ProcessHandleCount, ULONG SystemHandleCount);

/*
 * What a type's owner says about it. NT's structure has more members (open,
 * parse, security and query-name procedures, quota charges, the type list);
 * these are the ones mm386 honours. PoolTag is mm386's: NT takes the tag from
 * the type name's first four characters, which PoolTag 0 asks for too.
 */
typedef struct _OBJECT_TYPE_INITIALIZER {
    USHORT Length;                      /* sizeof(OBJECT_TYPE_INITIALIZER) */
    ULONG InvalidAttributes;            /* OBJ_* a creator may not give */
    GENERIC_MAPPING GenericMapping;
    ACCESS_MASK ValidAccessMask;        /* every right a handle of this type can have */
    POOL_TYPE PoolType;                 /* NonPagedPool or PagedPool, for the bodies */
    ULONG PoolTag;                      /* 0: the name's first four characters, blank-padded */
    OB_CLOSE_METHOD CloseProcedure;     /* may be NULL */
    OB_DELETE_METHOD DeleteProcedure;   /* may be NULL */
} OBJECT_TYPE_INITIALIZER, *POBJECT_TYPE_INITIALIZER;

#define OB_TYPE_NAME_LENGTH 24          /* name characters + the terminator */

/*
 * A type is itself an object, of the type "Type" (ObpTypeObjectType), so
 * !object shows it like any other. Types are never deleted.
 */
typedef struct _OBJECT_TYPE {
    char Name[OB_TYPE_NAME_LENGTH];     /* NT: a UNICODE_STRING; mm386 has no Unicode strings */
    ULONG Index;                        /* 1-based, in creation order ("Type" is 1) */
    volatile LONG TotalNumberOfObjects;
    volatile LONG TotalNumberOfHandles;
    LONG HighWaterNumberOfObjects;
    LONG HighWaterNumberOfHandles;
    OBJECT_TYPE_INITIALIZER TypeInfo;
    ULONG Key;                          /* the pool tag of its bodies */
} OBJECT_TYPE, *POBJECT_TYPE;

/*
 * Creates a type named TypeName (1..23 characters, no '\\', unique ignoring
 * case: else STATUS_OBJECT_NAME_INVALID / STATUS_OBJECT_NAME_COLLISION).
 * SecurityDescriptor must be NULL. STATUS_INVALID_PARAMETER for a bad
 * initializer (length, pool type, attributes), STATUS_INSUFFICIENT_RESOURCES
 * when all OBP_MAX_OBJECT_TYPES are made. IRQL <= APC_LEVEL.
 */
NTSTATUS ObCreateObjectType(PCSTR TypeName, const OBJECT_TYPE_INITIALIZER *ObjectTypeInitializer,
                            PVOID SecurityDescriptor, POBJECT_TYPE *ObjectType);

/* ------------------------------------------------------------------------
 * The object header, NT's x86 layout: the body starts at +0x18.
 */
typedef union _QUAD {
    ULONGLONG UseThisFieldToCopy;
} QUAD;

#define OB_FLAG_NEW_OBJECT      0x01    /* created, not yet given to ObInsertObject */
#define OB_FLAG_KERNEL_OBJECT   0x02    /* created with OwnershipMode KernelMode */

typedef struct _OBJECT_HEADER {
    volatile LONG PointerCount;         /* references, handles' included */
    union {
        volatile LONG HandleCount;      /* handles */
        struct _OBJECT_HEADER *NextToFree;  /* on the deferred-deletion queue (count is 0 then) */
    };
    POBJECT_TYPE Type;
    UCHAR NameInfoOffset;               /* 0: no name (names are out of scope) */
    UCHAR HandleInfoOffset;             /* 0: no per-process handle counts */
    UCHAR QuotaInfoOffset;              /* 0: no quota */
    UCHAR Flags;                        /* OB_FLAG_* */
    union {
        ULONG ObjectCreateAttributes;   /* NT: ObjectCreateInfo; mm386 keeps the OBJ_* until ObInsertObject */
        PVOID QuotaBlockCharged;
    };
    PVOID SecurityDescriptor;           /* always NULL */
    QUAD Body;
} OBJECT_HEADER, *POBJECT_HEADER;

_Static_assert(offsetof(OBJECT_HEADER, Body) == 0x18, "NT's x86 object body starts 0x18 bytes after its header");

#define OBJECT_TO_OBJECT_HEADER(o)  CONTAINING_RECORD((o), OBJECT_HEADER, Body)
#define OBJECT_HEADER_TO_OBJECT(h)  ((PVOID)&(h)->Body)

/* ------------------------------------------------------------------------
 * Creating and inserting an object.
 */
/*
 * Allocates an object of ObjectType with an ObjectBodySize-byte body (not
 * zeroed: the caller initialises it) from the type's pool with its tag, and
 * returns the body in *Object with a pointer count of 1 (the caller's) and no
 * handle. ObjectAttributes may be NULL; OBJ_KERNEL_HANDLE and OBJ_INHERIT in
 * it describe the handle ObInsertObject will make. For a UserMode ProbeMode
 * the OBJECT_ATTRIBUTES is probed and read under a handler (a bad pointer is
 * STATUS_ACCESS_VIOLATION or STATUS_DATATYPE_MISALIGNMENT); for an
 * OwnershipMode other than KernelMode OBJ_KERNEL_HANDLE is dropped, as NT
 * drops it, so user mode's handle goes in its own process's table. A name or a root directory
 * is STATUS_OBJECT_NAME_INVALID; a security descriptor, OBJ_PERMANENT or
 * OBJ_EXCLUSIVE STATUS_NOT_IMPLEMENTED; attributes outside
 * OBJ_VALID_ATTRIBUTES or in the type's InvalidAttributes, a wrong Length or
 * a NULL type STATUS_INVALID_PARAMETER; no pool STATUS_INSUFFICIENT_RESOURCES.
 * ParseContext and the two pool charges are accepted and ignored (no names,
 * no quota). The caller gives the object up with ObInsertObject or, before
 * that, ObDereferenceObject. IRQL <= APC_LEVEL (PASSIVE_LEVEL for paged types).
 */
NTSTATUS ObCreateObject(KPROCESSOR_MODE ProbeMode, POBJECT_TYPE ObjectType, POBJECT_ATTRIBUTES ObjectAttributes,
                        KPROCESSOR_MODE OwnershipMode, PVOID ParseContext, ULONG ObjectBodySize,
                        ULONG PagedPoolCharge, ULONG NonPagedPoolCharge, PVOID *Object);

/*
 * Storage for an object that lives outside pool for the whole life of the
 * system (the system process, the threads startup makes before the object
 * manager runs): its header and then its body. ObInitializeStaticObject
 * gives it a header of ObjectType with one reference that is never dropped,
 * so it is never deleted; the body is returned. IRQL <= APC_LEVEL.
 */
#define OB_STATIC_OBJECT(BodyType) \
    union { ULONGLONG Align; UCHAR Bytes[FIELD_OFFSET(OBJECT_HEADER, Body) + sizeof(BodyType)]; }
#define OB_STATIC_OBJECT_BODY(Storage) ((PVOID)((Storage)->Bytes + FIELD_OFFSET(OBJECT_HEADER, Body)))
PVOID ObInitializeStaticObject(PVOID Storage, POBJECT_TYPE ObjectType);

/*
 * Makes a handle for a new object with DesiredAccess (MAXIMUM_ALLOWED is
 * GENERIC_ALL; generic rights are mapped; the result is masked with the
 * type's ValidAccessMask) in the current process's table, or the kernel
 * handle table for OBJ_KERNEL_HANDLE (which ObCreateObject keeps only for a
 * KernelMode owner). It consumes the
 * creator's reference, success or failure: on success the object holds
 * 1 + ObjectPointerBias references (the handle's and ObjectPointerBias for
 * the caller, who then gets the body in *NewObject); on failure the object is
 * dereferenced, which deletes it, and *Handle is NULL. Handle NULL, a
 * PassedAccessState (mm386 has none) or an object already inserted is
 * STATUS_INVALID_PARAMETER; a full table STATUS_INSUFFICIENT_RESOURCES.
 * IRQL <= APC_LEVEL.
 */
NTSTATUS ObInsertObject(PVOID Object, PVOID PassedAccessState, ACCESS_MASK DesiredAccess,
                        ULONG ObjectPointerBias, PVOID *NewObject, PHANDLE Handle);

/*
 * A new handle to an existing object, as ObInsertObject would make one:
 * type-checked as ObReferenceObjectByPointer does, HandleAttributes
 * OBJ_INHERIT and OBJ_KERNEL_HANDLE (kernel mode only), the access mapped
 * and masked the same way (there are no security descriptors to check it
 * against). PassedAccessState must be NULL. IRQL <= APC_LEVEL.
 */
NTSTATUS ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes, PVOID PassedAccessState,
                               ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                               PHANDLE Handle);

/* ------------------------------------------------------------------------
 * References.
 */
#ifndef FASTCALL
#define FASTCALL __attribute__((fastcall))     /* NT's __fastcall: the first two arguments in ECX, EDX */
#endif

/* Adds a reference; returns the new pointer count. Any IRQL. */
LONG FASTCALL ObfReferenceObject(PVOID Object);
/*
 * Drops a reference; returns the new pointer count. At zero the type's
 * delete procedure runs once and the body is freed: right away at
 * PASSIVE_LEVEL, else (APC_LEVEL, DISPATCH_LEVEL) from the deferred-deletion
 * queue, as NT hands it to a worker thread. Reaching zero while handles
 * remain, or going below zero, is REFERENCE_BY_POINTER (0x18): type, object,
 * handle count, the new pointer count. IRQL <= DISPATCH_LEVEL.
 */
LONG FASTCALL ObfDereferenceObject(PVOID Object);
#define ObReferenceObject(o)    ObfReferenceObject(o)
/*
 * NT's ObReferenceObjectSafe: a reference only if the object still has one
 * (its pointer count above zero) — for walking a list whose entries may be
 * on their way to deletion (their count reached zero, their delete
 * procedure not yet run to unlink them). TRUE if the reference was taken.
 */
BOOLEAN ObReferenceObjectSafe(PVOID Object);
#define ObDereferenceObject(o)  ObfDereferenceObject(o)

/*
 * Adds a reference to Object. From UserMode the type must be ObjectType
 * (STATUS_OBJECT_TYPE_MISMATCH otherwise); from KernelMode NT trusts the
 * caller and does not look. DesiredAccess is not checked (NT neither).
 * Any IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                    KPROCESSOR_MODE AccessMode);

/*
 * The object Handle names, referenced, in *Object (NULL on failure).
 * STATUS_INVALID_HANDLE for a handle not in the table (0, closed, out of
 * range, a kernel handle from UserMode); STATUS_OBJECT_TYPE_MISMATCH when
 * ObjectType is given and differs; STATUS_ACCESS_DENIED, from UserMode only,
 * when DesiredAccess asks for a right the handle was not granted (generic
 * rights are not mapped here). NtCurrentProcess() is the current process when
 * the Process type exists (PsProcessType), else STATUS_INVALID_HANDLE; so is
 * NtCurrentThread() until the Thread type exists. HandleInformation, if
 * given, receives the handle's attributes and granted access. The caller
 * drops the reference with ObDereferenceObject. IRQL <= APC_LEVEL.
 */
NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                   KPROCESSOR_MODE AccessMode, PVOID *Object,
                                   POBJECT_HANDLE_INFORMATION HandleInformation);

/* The object's pointer count, and its type. Any IRQL. */
ULONG ObGetObjectPointerCount(PVOID Object);
POBJECT_TYPE ObGetObjectType(PVOID Object);

/* ------------------------------------------------------------------------
 * Closing and duplicating handles.
 */
/*
 * Closes Handle for a caller in PreviousMode: the entry leaves the table, the
 * type's close procedure runs, the handle's reference is dropped (which may
 * delete the object). STATUS_INVALID_HANDLE for a handle that is not open
 * (closed already, 0, the pseudo-handles, a kernel handle from UserMode). NT
 * can be told to bugcheck (INVALID_KERNEL_HANDLE, 0x93) for a bad kernel-mode
 * close; by default it returns the status, as mm386 always does. PASSIVE_LEVEL.
 */
NTSTATUS ObCloseHandle(HANDLE Handle, KPROCESSOR_MODE PreviousMode);
/* ObCloseHandle for the caller's previous mode (ExGetPreviousMode). */
NTSTATUS NtClose(HANDLE Handle);

/*
 * A second handle to SourceHandle's object, in TargetProcess's table (the
 * kernel handle table for OBJ_KERNEL_HANDLE from kernel mode into the system
 * process). DUPLICATE_SAME_ACCESS copies the source's access, else
 * DesiredAccess is mapped and masked as ObInsertObject does; asking for a
 * right the source handle lacks is STATUS_ACCESS_DENIED (NT would ask the
 * object's security descriptor, and mm386 has none). DUPLICATE_SAME_ATTRIBUTES
 * copies OBJ_INHERIT from the source. DUPLICATE_CLOSE_SOURCE closes the
 * source handle whether or not the duplicate could be made; with no
 * TargetProcess that is all it does (STATUS_INVALID_PARAMETER without it).
 * STATUS_PROCESS_IS_TERMINATING if the target has no handle table.
 * PASSIVE_LEVEL.
 */
NTSTATUS ObDuplicateObject(struct _EPROCESS *SourceProcess, HANDLE SourceHandle, struct _EPROCESS *TargetProcess,
                           PHANDLE TargetHandle, ACCESS_MASK DesiredAccess, ULONG HandleAttributes, ULONG Options,
                           KPROCESSOR_MODE PreviousMode);
/*
 * ObDuplicateObject with the processes named by handles (PROCESS_DUP_HANDLE
 * access to each). Until the Process type exists, NtCurrentProcess() is the
 * only process handle there is. PASSIVE_LEVEL.
 */
NTSTATUS NtDuplicateObject(HANDLE SourceProcessHandle, HANDLE SourceHandle, HANDLE TargetProcessHandle,
                           PHANDLE TargetHandle, ACCESS_MASK DesiredAccess, ULONG HandleAttributes, ULONG Options);

/* ------------------------------------------------------------------------
 * Waiting on objects by handle (kernel/ob/obwait.c): NT's wait services.
 */
/*
 * Waits, for the caller's previous mode, on the object Handle names: the
 * handle needs SYNCHRONIZE (checked for a UserMode caller, as every access
 * is), the object must be waitable — its body a dispatcher object: an
 * event, semaphore, mutant, timer, process or thread — else
 * STATUS_OBJECT_TYPE_MISMATCH. *Timeout as KeWaitForSingleObject takes it
 * (probed and read once for a UserMode caller), NULL for no timeout. Returns
 * KeWaitForSingleObject's status (STATUS_WAIT_0, STATUS_ABANDONED_WAIT_0,
 * STATUS_TIMEOUT, STATUS_USER_APC ...), or STATUS_MUTANT_LIMIT_EXCEEDED.
 * PASSIVE_LEVEL.
 */
NTSTATUS NtWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout);
/*
 * The same for Count handles (1..MAXIMUM_WAIT_OBJECTS, else
 * STATUS_INVALID_PARAMETER_1), WaitAll or WaitAny (else
 * STATUS_INVALID_PARAMETER_3); one object twice in a WaitAll is
 * STATUS_INVALID_PARAMETER_MIX. The handle array is probed and copied once
 * for a UserMode caller. STATUS_WAIT_0 + n names the object that satisfied
 * a WaitAny. PASSIVE_LEVEL.
 */
NTSTATUS NtWaitForMultipleObjects(ULONG Count, HANDLE Handles[], WAIT_TYPE WaitType, BOOLEAN Alertable,
                                  PLARGE_INTEGER Timeout);
/*
 * Signals SignalHandle's object — sets an event (EVENT_MODIFY_STATE),
 * releases a semaphore by one (SEMAPHORE_MODIFY_STATE) or a mutant the
 * caller owns — and waits on WaitHandle's as NtWaitForSingleObject does,
 * with no other thread able to run in between. Another type of signal
 * object is STATUS_OBJECT_TYPE_MISMATCH, a right missing (UserMode)
 * STATUS_ACCESS_DENIED, a release the kernel refuses its status
 * (STATUS_MUTANT_NOT_OWNED, STATUS_SEMAPHORE_LIMIT_EXCEEDED). PASSIVE_LEVEL.
 */
NTSTATUS NtSignalAndWaitForSingleObject(HANDLE SignalHandle, HANDLE WaitHandle, BOOLEAN Alertable,
                                        PLARGE_INTEGER Timeout);
NTSTATUS ZwWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NTSTATUS ZwWaitForMultipleObjects(ULONG Count, HANDLE Handles[], WAIT_TYPE WaitType, BOOLEAN Alertable,
                                  PLARGE_INTEGER Timeout);
NTSTATUS ZwSignalAndWaitForSingleObject(HANDLE SignalHandle, HANDLE WaitHandle, BOOLEAN Alertable,
                                        PLARGE_INTEGER Timeout);

/* ------------------------------------------------------------------------
 * Processes' handle tables, and startup.
 */
/*
 * Gives NewProcess an empty handle table. Inheriting a parent's OBJ_INHERIT
 * handles is beyond mm386 (it has no handle inheritance): a Parent is
 * STATUS_NOT_IMPLEMENTED.
 * STATUS_INSUFFICIENT_RESOURCES without pool. PASSIVE_LEVEL.
 */
NTSTATUS ObInitProcess(struct _EPROCESS *Parent, struct _EPROCESS *NewProcess);
/* How many handles Process's table holds (0 without a table). Any IRQL <= DISPATCH_LEVEL; a moment's view. */
ULONG ObGetProcessHandleCount(struct _EPROCESS *Process);
/* Closes every handle Process holds and frees its table. Not for the system process. PASSIVE_LEVEL. */
void ObKillProcess(struct _EPROCESS *Process);

/*
 * Deletes the objects whose last reference went above PASSIVE_LEVEL. NT's
 * worker thread does this; mm386 calls it from the next dereference at
 * PASSIVE_LEVEL and from the leak guard, and a worker thread can call it
 * when one exists. PASSIVE_LEVEL.
 */
void ObpProcessRemoveObjectQueue(void);

/* Phase 1, after PsInitSystem: the "Type" type, the kernel handle table, the leak guard. */
void ObInitSystem(void);

#endif
