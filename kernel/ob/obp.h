/*
 * kernel/ob/obp.h — what one kernel/ob file offers another (NT's obp.h), and
 * the executive handle table (NT's ex\handle.c interface, kept beside its
 * one user until kernel/ex exists).
 *
 * Lock order: a handle table's lock is taken alone. Nothing is called out of
 * kernel/ob (close and delete procedures, pool frees of objects) while one is
 * held, so a procedure may itself open and close handles.
 */
#ifndef MM386_OBP_H
#define MM386_OBP_H

#include <ex.h>
#include <ob.h>
#include <ps.h>
#include <ex.h>

/* ------------------------------------------------------------------------
 * The handle table (exhandle.c).
 *
 * A handle value is an index times 4 (the two low "tag" bits are ignored, as
 * NT ignores them). Entries sit in page-sized low-level tables of
 * LOWLEVEL_COUNT entries; entry 0 of every low-level table is reserved, so
 * handle 0 and every multiple of 2048 never exist. The table grows NT's way,
 * a level at a time: one low-level page (level 0); a mid-level page of
 * pointers to up to MIDLEVEL_COUNT low-level pages (level 1); a top-level
 * array of pointers to up to HIGHLEVEL_COUNT mid-level pages (level 2), for
 * MAX_HANDLES entries. TableCode holds the top table's address with the level
 * in its two low bits. Free entries are chained through NextFreeTableEntry
 * from FirstFree (0 ends the chain); a closed handle is the next one reused.
 */
#define HANDLE_VALUE_INC        4
#define LOWLEVEL_COUNT          (PAGE_SIZE / sizeof(HANDLE_TABLE_ENTRY))        /* 512 */
#define MIDLEVEL_COUNT          (PAGE_SIZE / sizeof(PHANDLE_TABLE_ENTRY))       /* 1024 */
#define MAX_HANDLES             (1u << 24)
#define HIGHLEVEL_COUNT         (MAX_HANDLES / (LOWLEVEL_COUNT * MIDLEVEL_COUNT)) /* 32 */
#define LEVEL_CODE_MASK         3
/* Entry 0 of each low-level table carries NT's mark of a reserved entry. */
#define EX_ADDITIONAL_INFO_SIGNATURE (-2)
/* The pool tag of handle tables and their pages: NT's 'Obtb'. */
#define OBP_HANDLE_TABLE_TAG    MAKE_TAG('O', 'b', 't', 'b')

typedef struct _HANDLE_TABLE_ENTRY {
    union {
        PVOID Object;               /* the object's header, OBJ_HANDLE_ATTRIBUTES in the low 3 bits; NULL: free */
        ULONG_PTR Value;
    };
    union {
        ACCESS_MASK GrantedAccess;  /* in use */
        LONG NextFreeTableEntry;    /* free: the next free handle value, 0 at the end */
    };
} HANDLE_TABLE_ENTRY, *PHANDLE_TABLE_ENTRY;

_Static_assert(sizeof(HANDLE_TABLE_ENTRY) == 8, "NT's x86 handle table entry is 8 bytes");

#define OBP_ENTRY_ATTRIBUTES    7u  /* the low bits of Object that are attributes, not address */

static inline POBJECT_HEADER ObpEntryHeader(const HANDLE_TABLE_ENTRY *Entry)
{
    return (POBJECT_HEADER)(Entry->Value & ~(ULONG_PTR)OBP_ENTRY_ATTRIBUTES);
}

/*
 * The lock: one FAST_MUTEX per table around every change and every lookup
 * that takes a reference (NT locks each entry with its bit 0 and uses push
 * locks for growth). Handle operations run at IRQL <= APC_LEVEL; the holder
 * runs at APC_LEVEL, where the paged-pool table pages may fault.
 */
typedef struct _HANDLE_TABLE {
    ULONG_PTR TableCode;                /* top table | level */
    struct _EPROCESS *QuotaProcess;     /* the owner (no quota is charged) */
    ULONG_PTR UniqueProcessId;
    FAST_MUTEX HandleTableLock;
    ULONG FirstFree;                    /* the first free handle value, 0 if none */
    ULONG NextHandleNeedingPool;        /* the first handle value no page backs */
    LONG HandleCount;                   /* entries in use */
} HANDLE_TABLE, *PHANDLE_TABLE;

/* An empty table (one low-level page) for Process, or NULL without pool. PASSIVE_LEVEL. */
PHANDLE_TABLE ExCreateHandleTable(struct _EPROCESS *Process);
/* Frees a table that holds no handle (anything else is a bug: ASSERT). PASSIVE_LEVEL. */
void ExDestroyHandleTable(PHANDLE_TABLE HandleTable);
/* The lowest open handle value >= *Value, its entry returned with the table locked and *Value updated; NULL if none. */
PHANDLE_TABLE_ENTRY ExpMapNextHandleToPointer(PHANDLE_TABLE HandleTable, PULONG Value);

/* The entry of handle value Value in a table of level 1 or 2 (exhandle.c), or NULL beyond the table. */
PHANDLE_TABLE_ENTRY ExpLookupHandleTableEntrySlow(const HANDLE_TABLE *HandleTable, ULONG Value);
/*
 * Backs the next LOWLEVEL_COUNT handle values with a new page, adding a level
 * when the current top is full. FALSE, with nothing changed, when pool runs
 * out or the table holds MAX_HANDLES entries. Table locked.
 */
BOOLEAN ExpAllocateHandleTableEntrySlow(PHANDLE_TABLE HandleTable);

/*
 * The entry for handle value Value (tag bits ignored), or NULL beyond the
 * table. Inline for a one-page table, the usual case; the table is locked
 * (or not shared yet).
 */
static inline PHANDLE_TABLE_ENTRY ExpLookupHandleTableEntry(const HANDLE_TABLE *HandleTable, ULONG Value)
{
    ULONG_PTR Code = HandleTable->TableCode;
    if (Value >= HandleTable->NextHandleNeedingPool)
        return NULL;
    if ((Code & LEVEL_CODE_MASK) == 0)
        return &((PHANDLE_TABLE_ENTRY)Code)[Value / HANDLE_VALUE_INC];
    return ExpLookupHandleTableEntrySlow(HandleTable, Value);
}

/* The entry of an open handle, returned with the table locked; NULL (unlocked) if Handle is not open. */
static inline PHANDLE_TABLE_ENTRY ExMapHandleToPointer(PHANDLE_TABLE HandleTable, HANDLE Handle)
{
    ULONG Value = (ULONG_PTR)Handle & ~(ULONG)(HANDLE_VALUE_INC - 1);
    if ((Value / HANDLE_VALUE_INC) % LOWLEVEL_COUNT == 0)
        return NULL;                                    /* 0 and the reserved entries */
    ExAcquireFastMutex(&HandleTable->HandleTableLock);
    PHANDLE_TABLE_ENTRY Entry = ExpLookupHandleTableEntry(HandleTable, Value);
    if (Entry && Entry->Object)
        return Entry;
    ExReleaseFastMutex(&HandleTable->HandleTableLock);
    return NULL;
}

static inline void ExUnlockHandleTableEntry(PHANDLE_TABLE HandleTable, PHANDLE_TABLE_ENTRY Entry)
{
    ExReleaseFastMutex(&HandleTable->HandleTableLock);
}

/*
 * Copies *Template into a free entry, growing the table if needed; the
 * handle, or NULL when the table is full or pool ran out.
 */
static inline HANDLE ExCreateHandle(PHANDLE_TABLE HandleTable, const HANDLE_TABLE_ENTRY *Template)
{
    ExAcquireFastMutex(&HandleTable->HandleTableLock);
    if (UNLIKELY(HandleTable->FirstFree == 0) && !ExpAllocateHandleTableEntrySlow(HandleTable)) {
        ExReleaseFastMutex(&HandleTable->HandleTableLock);
        return NULL;
    }
    ULONG Value = HandleTable->FirstFree;
    PHANDLE_TABLE_ENTRY Entry = ExpLookupHandleTableEntry(HandleTable, Value);
    HandleTable->FirstFree = Entry->NextFreeTableEntry;
    Entry->GrantedAccess = Template->GrantedAccess;
    Entry->Value = Template->Value;
    HandleTable->HandleCount++;
    ExReleaseFastMutex(&HandleTable->HandleTableLock);
    return (HANDLE)Value;
}

/* Frees the locked Entry of Handle (its chain link is the freed handle's value) and unlocks the table. */
static inline void ExDestroyHandle(PHANDLE_TABLE HandleTable, HANDLE Handle, PHANDLE_TABLE_ENTRY Entry)
{
    Entry->Object = NULL;
    Entry->NextFreeTableEntry = HandleTable->FirstFree;
    HandleTable->FirstFree = (ULONG_PTR)Handle & ~(ULONG)(HANDLE_VALUE_INC - 1);
    HandleTable->HandleCount--;
    ExReleaseFastMutex(&HandleTable->HandleTableLock);
}
/*
 * mm386's: frees the table's trailing low-level pages that hold no handle
 * (and a level of pointers that no longer needs to exist). NT keeps a grown
 * table until its process dies; the leak guard calls this between tests so a
 * test that grew the kernel handle table and closed what it opened leaves the
 * pool as it found it. Returns the pages freed. PASSIVE_LEVEL.
 */
ULONG ExpCompactHandleTable(PHANDLE_TABLE HandleTable);
/* How many low-level pages back the table now, and its level (0, 1, 2). Any IRQL <= APC_LEVEL. */
ULONG ExpHandleTablePages(PHANDLE_TABLE HandleTable);
static inline ULONG ExpHandleTableLevel(const HANDLE_TABLE *HandleTable)
{
    return HandleTable->TableCode & LEVEL_CODE_MASK;
}

/* ------------------------------------------------------------------------
 * Object types (obtype.c).
 */
#define OBP_MAX_OBJECT_TYPES 48         /* NT 5.2's OBP_MAX_DEFINED_OBJECT_TYPES */

extern POBJECT_TYPE ObpObjectTypes[OBP_MAX_OBJECT_TYPES];
extern volatile ULONG ObpObjectTypeCount;
extern POBJECT_TYPE ObpTypeObjectType;      /* the type "Type" */

/* True if Type is one ObCreateObjectType made. Any IRQL. */
BOOLEAN ObpIsObjectType(const OBJECT_TYPE *Type);
/* The type named Name (ignoring case), or NULL. Any IRQL. */
POBJECT_TYPE ObpLookupObjectType(PCSTR Name);
/* Creates the "Type" type (obinit.c, once). */
void ObpCreateTypeObjectType(void);

ACCESS_MASK ObpMapGenericAccess(const OBJECT_TYPE *Type, ACCESS_MASK DesiredAccess);

/* The access a new handle gets for DesiredAccess: MAXIMUM_ALLOWED and generic rights mapped, masked to the type's. */
static inline ACCESS_MASK ObpMapDesiredAccess(const OBJECT_TYPE *Type, ACCESS_MASK DesiredAccess)
{
    if (DesiredAccess & (GENERIC_ACCESS | MAXIMUM_ALLOWED))
        return ObpMapGenericAccess(Type, DesiredAccess);
    return DesiredAccess & Type->TypeInfo.ValidAccessMask;
}

/* ------------------------------------------------------------------------
 * Handles (obhandle.c, obref.c, obdup.c).
 */
extern PHANDLE_TABLE ObpKernelHandleTable;  /* the system process's table */

static inline HANDLE ObpEncodeKernelHandle(HANDLE Handle)
{
    return (HANDLE)((ULONG_PTR)Handle | KERNEL_HANDLE_MASK);
}

static inline HANDLE ObpDecodeKernelHandle(HANDLE Handle)
{
    return (HANDLE)((ULONG_PTR)Handle & ~KERNEL_HANDLE_MASK);
}

/* NT's IsKernelHandle: the top bit, from kernel mode, and not one of the pseudo-handles. */
static inline BOOLEAN ObpIsKernelHandle(HANDLE Handle, KPROCESSOR_MODE PreviousMode)
{
    return ((ULONG_PTR)Handle & KERNEL_HANDLE_MASK) && PreviousMode == KernelMode &&
           Handle != NtCurrentProcess() && Handle != NtCurrentThread();
}

/*
 * The mode an Nt* routine's caller ran in: the current thread's
 * PreviousMode, as NT reads it (ExGetPreviousMode) — UserMode when the call
 * came through the system-service gate from ring 3 (or a test says so with
 * ExpSetPreviousMode), KernelMode for kernel code.
 */
static inline KPROCESSOR_MODE ObpGetPreviousMode(void)
{
    return ExGetPreviousMode();
}

/*
 * The table Handle lives in for a caller in PreviousMode, with Handle decoded
 * (the kernel bit cleared) and the owning process in *Process: the kernel
 * handle table for a kernel handle, else the current process's. NULL if the
 * process has no table.
 */
static inline PHANDLE_TABLE ObpHandleTableForHandle(PHANDLE Handle, KPROCESSOR_MODE PreviousMode, PEPROCESS *Process)
{
    if (ObpIsKernelHandle(*Handle, PreviousMode)) {
        *Handle = ObpDecodeKernelHandle(*Handle);
        *Process = PsInitialSystemProcess;
        return ObpKernelHandleTable;
    }
    *Process = PsGetCurrentProcess();
    return (*Process)->ObjectTable;
}

/*
 * Puts Header in Table with GrantedAccess and HandleAttributes and returns
 * the handle in *Handle (the kernel bit set if KernelHandle). The caller has
 * already added the pointer reference the handle will own; on failure
 * (STATUS_INSUFFICIENT_RESOURCES) nothing changed and that reference is
 * still the caller's.
 */
NTSTATUS ObpCreateHandle(PHANDLE_TABLE Table, POBJECT_HEADER Header, ACCESS_MASK GrantedAccess,
                         ULONG HandleAttributes, BOOLEAN KernelHandle, PHANDLE Handle);
/*
 * A handle left Process's table: counts it down and runs the type's close
 * procedure with the handle count before this close. The caller then drops
 * the handle's reference. PASSIVE_LEVEL.
 */
static inline void ObpDecrementHandleCount(PEPROCESS Process, POBJECT_HEADER Header, ACCESS_MASK GrantedAccess)
{
    POBJECT_TYPE Type = Header->Type;
    LONG SystemHandleCount = __atomic_fetch_sub(&Header->HandleCount, 1, __ATOMIC_RELAXED);
    ASSERT(SystemHandleCount > 0);
    __atomic_sub_fetch(&Type->TotalNumberOfHandles, 1, __ATOMIC_RELAXED);
    if (Type->TypeInfo.CloseProcedure)
        Type->TypeInfo.CloseProcedure(Process, OBJECT_HEADER_TO_OBJECT(Header), GrantedAccess, 0,
                                      (ULONG)SystemHandleCount);
}
/* Closes Handle (already decoded) in Table, which belongs to Process. */
NTSTATUS ObpCloseHandleInTable(PEPROCESS Process, PHANDLE_TABLE Table, HANDLE Handle);

/* ------------------------------------------------------------------------
 * Deletion (obdelete.c).
 */
/* Runs the delete procedure and frees the object. PASSIVE_LEVEL. */
void ObpRemoveObjectRoutine(POBJECT_HEADER Header);
/* Queues an object whose last reference went above PASSIVE_LEVEL. Any IRQL. */
void ObpDeferObjectDeletion(POBJECT_HEADER Header);
/* The deferred-deletion queue, linked through NextToFree. */
extern POBJECT_HEADER volatile ObpRemoveObjectList;
/* True while objects wait on the deferred-deletion queue. Any IRQL. */
static inline BOOLEAN ObpRemoveObjectQueuePending(void)
{
    return ObpRemoveObjectList != NULL;
}

/* ------------------------------------------------------------------------
 * The leak guard (obguard.c): objects by type, handles in the kernel table
 * and the current process's.
 */
#define OB_LEAK_MAX_HANDLES 64

typedef struct _OB_LEAK_HANDLE {
    PHANDLE_TABLE Table;
    ULONG Value;                    /* the table's handle value (no kernel bit) */
    POBJECT_HEADER Header;
} OB_LEAK_HANDLE;

typedef struct _OB_LEAK_SNAPSHOT {
    LONG Objects[OBP_MAX_OBJECT_TYPES];     /* live objects per type index - 1 */
    ULONG TypeCount;
    ULONG HandleCount;                      /* every handle in the watched tables */
    ULONG Recorded;                         /* how many of them Handles[] lists */
    OB_LEAK_HANDLE Handles[OB_LEAK_MAX_HANDLES];
} OB_LEAK_SNAPSHOT;

typedef void (*POB_LEAK_REPORT)(PVOID Context, const char *Line);

void ObpTakeLeakSnapshot(OB_LEAK_SNAPSHOT *Snapshot);
/* Compares now with Before; calls Report once per difference and returns how many there were. */
ULONG ObpCompareLeakSnapshot(const OB_LEAK_SNAPSHOT *Before, POB_LEAK_REPORT Report, PVOID Context);
void ObpRegisterLeakGuard(void);

#endif
