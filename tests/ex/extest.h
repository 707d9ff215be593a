/*
 * tests/ex/extest.h — what the executive's service tests share: a user-mode
 * caller simulated in a process of its own, bad user pointers of every kind,
 * a type whose objects cannot be waited on, small helpers for handles.
 *
 * A user-mode caller is the test thread attached (KeStackAttachProcess) to a
 * process made with PsCreateSystemProcess — a real Process object with its
 * own address space and handle table — with its previous mode set to
 * UserMode around each call (EXT_USER_CALL), as the system-service gate
 * will set it. Handles such a call creates land in that process's table;
 * the process's death (ExtLeaveUserProcess) closes whatever a test left
 * there. User buffers are pages committed in the process's user range.
 */
#ifndef MM386_TESTS_EXTEST_H
#define MM386_TESTS_EXTEST_H

#include <ntexapi.h>
#include <ktest.h>
#include <ps.h>
#include <rtl.h>
#include "../testlib.h"

/* Evaluates Call with the previous mode UserMode and restores it: the service as ring 3 will call it. */
#define EXT_USER_CALL(Call)                                                     \
    ({                                                                          \
        KPROCESSOR_MODE _ExtOld = ExpSetPreviousMode(UserMode);                 \
        NTSTATUS _ExtStatus = (Call);                                           \
        ExpSetPreviousMode(_ExtOld);                                            \
        _ExtStatus;                                                             \
    })

/* The user process and the pages a test gets in it. */
typedef struct _EXT_USER {
    HANDLE ProcessHandle;           /* a kernel handle */
    PEPROCESS Process;
    KAPC_STATE ApcState;
    ULONG Buffer;                   /* two committed read-write pages */
    ULONG ReadOnly;                 /* a committed read-only page */
    ULONG Reserved;                 /* a reserved, uncommitted page */
} EXT_USER;

#define EXT_BUFFER_SIZE (2 * PAGE_SIZE)

static inline NTSTATUS ExtAllocate(ULONG *Base, SIZE_T Size, ULONG Type, ULONG Protect)
{
    PVOID B = NULL;
    SIZE_T S = Size;
    NTSTATUS Status = ZwAllocateVirtualMemory(NtCurrentProcess(), &B, 0, &S, Type, Protect);
    *Base = (ULONG)B;
    return Status;
}

/*
 * Creates the process, attaches to it and commits its pages; false (nothing
 * left behind) if any step failed.
 */
static inline bool ExtEnterUserProcess(EXT_USER *User)
{
    OBJECT_ATTRIBUTES Attributes;
    memset(User, 0, sizeof(*User));
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    if (!NT_SUCCESS(PsCreateSystemProcess(&User->ProcessHandle, PROCESS_ALL_ACCESS, &Attributes)))
        return false;
    ObReferenceObjectByHandle(User->ProcessHandle, 0, PsProcessType, KernelMode, (PVOID *)&User->Process, NULL);
    KeStackAttachProcess(&User->Process->Pcb, &User->ApcState);
    if (NT_SUCCESS(ExtAllocate(&User->Buffer, EXT_BUFFER_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE)) &&
        NT_SUCCESS(ExtAllocate(&User->ReadOnly, PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY)) &&
        NT_SUCCESS(ExtAllocate(&User->Reserved, PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE)))
        return true;
    KeUnstackDetachProcess(&User->ApcState);
    ObDereferenceObject(User->Process);
    NtClose(User->ProcessHandle);
    return false;
}

/* Detaches and lets the process die: its handles close, its address space goes. */
static inline void ExtLeaveUserProcess(EXT_USER *User)
{
    KeUnstackDetachProcess(&User->ApcState);
    ObDereferenceObject(User->Process);
    NtClose(User->ProcessHandle);
}

#define EXT_ENTER_USER_PROCESS(User)    ASSERT_TRUE(ExtEnterUserProcess(User))

/*
 * The output pointers a UserMode caller may get wrong, each of which NT's
 * x86 services refuse with STATUS_ACCESS_VIOLATION: NULL (page 0 is never
 * mapped; only for a pointer that is not optional), a kernel address, a
 * pointer whose bytes cross MmUserProbeAddress (aligned for a structure, so
 * the range is what is wrong), a read-only page, a reserved page with
 * nothing committed. ExtBadPointers fills them for User.
 */
typedef struct _EXT_BAD_POINTER {
    const char *What;
    ULONG Address;
} EXT_BAD_POINTER;

#define EXT_BAD_POINTERS 5

static inline void ExtBadPointers(const EXT_USER *User, PVOID KernelAddress, ULONG Size,
                                  EXT_BAD_POINTER Bad[EXT_BAD_POINTERS])
{
    Bad[0] = (EXT_BAD_POINTER){ "NULL", 0 };
    Bad[1] = (EXT_BAD_POINTER){ "a kernel address", (ULONG)KernelAddress };
    ULONG Across = (ULONG)MmUserProbeAddress - Size / 2;
    Bad[2] = (EXT_BAD_POINTER){ "across MmUserProbeAddress", Size >= 8 ? Across & ~3u : Across };
    Bad[3] = (EXT_BAD_POINTER){ "a read-only page", User->ReadOnly };
    Bad[4] = (EXT_BAD_POINTER){ "a reserved page", User->Reserved };
}

/* A plain object type ("ExTestPlain", tag 'ExTp') whose bodies are no dispatcher object: never waitable. */
#define EXT_PLAIN_TAG   MAKE_TAG('E', 'x', 'T', 'p')
static inline POBJECT_TYPE ExtPlainType(void)
{
    static POBJECT_TYPE Type;
    static const OBJECT_TYPE_INITIALIZER Initializer = {
        .Length = sizeof(OBJECT_TYPE_INITIALIZER),
        .GenericMapping = { STANDARD_RIGHTS_READ | 1, STANDARD_RIGHTS_WRITE | 2, STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
                            STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 3 },
        .ValidAccessMask = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 3,
        .PoolType = NonPagedPool,
        .PoolTag = EXT_PLAIN_TAG,
    };
    if (!Type)
        ObCreateObjectType("ExTestPlain", &Initializer, NULL, &Type);
    return Type;
}

/* A handle (kernel handle table) to a new plain object with every right, SYNCHRONIZE included. */
static inline NTSTATUS ExtCreatePlainObject(PHANDLE Handle)
{
    PVOID Object;
    OBJECT_ATTRIBUTES Attributes;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    NTSTATUS Status = ObCreateObject(KernelMode, ExtPlainType(), &Attributes, KernelMode, NULL, 16, 0, 0, &Object);
    if (!NT_SUCCESS(Status))
        return Status;
    return ObInsertObject(Object, NULL, GENERIC_ALL, 0, NULL, Handle);
}

/* A kernel handle's attributes for the services' ObjectAttributes argument. */
static inline POBJECT_ATTRIBUTES ExtKernelAttributes(POBJECT_ATTRIBUTES Attributes)
{
    InitializeObjectAttributes(Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    return Attributes;
}

/* The access a handle of the current process (or a kernel handle) was granted, or 0xFFFFFFFF if none. */
static inline ACCESS_MASK ExtGrantedAccess(HANDLE Handle)
{
    PVOID Object;
    OBJECT_HANDLE_INFORMATION Information;
    if (!NT_SUCCESS(ObReferenceObjectByHandle(Handle, 0, NULL, KernelMode, &Object, &Information)))
        return 0xFFFFFFFF;
    ObDereferenceObject(Object);
    return Information.GrantedAccess;
}

/* The object a handle names (no reference kept: the handle holds one), or NULL. */
static inline PVOID ExtObject(HANDLE Handle)
{
    PVOID Object;
    if (!NT_SUCCESS(ObReferenceObjectByHandle(Handle, 0, NULL, KernelMode, &Object, NULL)))
        return NULL;
    ObDereferenceObject(Object);
    return Object;
}

/* Relative times in clock ticks, for timeouts and due times. */
static inline LARGE_INTEGER ExtTicks(LONG Count)
{
    return (LARGE_INTEGER){ .QuadPart = -(LONGLONG)Count * KeQueryTimeIncrement() };
}

#endif
