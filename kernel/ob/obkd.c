/*
 * kernel/ob/obkd.c — objects and handles seen from the kd> prompt: !object,
 * !handle, and `ob`, which walks an object through its life for a learner.
 *
 * !object ADDR prints what WinDbg's !object prints for the object whose body
 * is at ADDR: its type, its header, the handle and pointer counts, and, which
 * WinDbg leaves to !pool, the pool block it lives in and the block's tag. An
 * address is taken for an object only if the header in front of it is
 * readable, names a type ObCreateObjectType made and starts an allocated pool
 * block (or is one of the type objects); a deleted object, whose freed block
 * may still hold its old header, is reported as deleted, never trusted.
 *
 * !handle [HANDLE] prints the current process's handle table the way WinDbg's
 * !handle does: one block per open handle with its value, object, granted
 * access and entry, then the object's type and counts, and for an event
 * (which WinDbg's kernel !handle leaves to !object's body) its kind and state. A kernel handle
 * (0x80000004) is entry 4 of the kernel handle table, which is the system
 * process's table; the listing shows table values, as WinDbg does. Entries
 * are read with the table locked, one at a time, and printed after the lock
 * is dropped.
 *
 * `ob` is not WinDbg's. It creates objects of a type of its own, "Demo"
 * (tag 'Demo'), and calls the object manager's routines on them, nothing
 * less: ObCreateObject, ObInsertObject, ObReferenceObjectByHandle,
 * ObDereferenceObject, NtDuplicateObject, NtClose. The Demo type's close and
 * delete procedures say when they run. A mistake a driver could make (a
 * dereference too many) stops the machine exactly as it would anywhere else.
 */
#include "obp.h"
#include <kd.h>
#include <ntexapi.h>
#include <mm.h>
#include <rtl.h>

#define OBP_POOL_HEADER_SIZE 8      /* a small pool block's POOL_HEADER (include/pool.h) */

/* Reports a first argument past the ones a command takes; true if there was one. */
static bool KdExtraArgument(const char *Command, int Argc, char **Argv, int Expected)
{
    if (Argc <= Expected)
        return false;
    DbgPrint("%s: unexpected argument '%s'\n", Command, Argv[Expected]);
    return true;
}

/* ------------------------------------------------------------------ !object */

/* Where the object at an address lives, as ObpLocateObject finds it. */
typedef enum _OBP_OBJECT_PLACE {
    ObpNotAnObject,         /* no readable header naming an object type */
    ObpTypeObject,          /* a type, in the static type table */
    ObpPoolObject,          /* a live object: an allocated pool block starts at its header */
    ObpFreedObject,         /* the header still names a type, but its pool block is free: deleted */
} OBP_OBJECT_PLACE;

typedef struct _OBP_POOL_MATCH {
    ULONG_PTR ObjectHeader;
    BOOLEAN Found;
    POOL_BLOCK_INFORMATION Block;
} OBP_POOL_MATCH;

/* ExpWalkPoolPage's callback, with the pool locked: remembers the block that starts at the object's header. */
static void ObpMatchPoolBlock(const POOL_BLOCK_INFORMATION *Block, PVOID Context)
{
    OBP_POOL_MATCH *Match = Context;
    ULONG_PTR Start = (ULONG_PTR)Block->Header + (Block->BigAllocation ? 0 : OBP_POOL_HEADER_SIZE);
    if (Start == Match->ObjectHeader && !Block->Free && !Block->Cached) {
        Match->Found = TRUE;
        Match->Block = *Block;
    }
}

/*
 * What is at Address, the body of an object if anything: the header in front
 * of it must be readable and name a type ObCreateObjectType made, and, but
 * for a type, be the start of an allocated pool block. Nothing unmapped is
 * read; *Header and *Block are filled as far as they apply. PASSIVE_LEVEL.
 */
static OBP_OBJECT_PLACE ObpLocateObject(ULONG_PTR Address, POBJECT_HEADER *Header, POOL_BLOCK_INFORMATION *Block)
{
    const ULONG HeaderSize = FIELD_OFFSET(OBJECT_HEADER, Body);
    if (Address < HeaderSize || (Address & 7))
        return ObpNotAnObject;
    *Header = OBJECT_TO_OBJECT_HEADER((PVOID)Address);
    if (!MmIsAddressValid(*Header) || !MmIsAddressValid((PVOID)(Address - 1)) || !ObpIsObjectType((*Header)->Type))
        return ObpNotAnObject;
    if ((*Header)->Type == ObpTypeObjectType && ObpIsObjectType((POBJECT_TYPE)Address))
        return ObpTypeObject;
    OBP_POOL_MATCH Match = { .ObjectHeader = (ULONG_PTR)*Header };
    ExpWalkPoolPage(*Header, ObpMatchPoolBlock, &Match);
    if (!Match.Found)
        return ObpFreedObject;
    *Block = Match.Block;
    return ObpPoolObject;
}

static void ObpPrintObject(ULONG_PTR Address)
{
    const ULONG HeaderSize = FIELD_OFFSET(OBJECT_HEADER, Body);
    POBJECT_HEADER Header;
    POOL_BLOCK_INFORMATION Block;
    char Tag[5];

    OBP_OBJECT_PLACE Place = ObpLocateObject(Address, &Header, &Block);
    if (Place == ObpNotAnObject) {
        DbgPrint("%08x is not an object: the header before it is unmapped or names no object type\n", Address);
        return;
    }
    if (Place == ObpFreedObject) {
        DbgPrint("%08x is no object now: its header (%08x) still names type %s, but no allocated pool block "
                 "starts there; the object was deleted\n", Address, (ULONG)Header, Header->Type->Name);
        return;
    }
    POBJECT_TYPE Type = Header->Type;
    DbgPrint("Object: %08x  Type: (%08x) %s\n", Address, (ULONG)Type, Type->Name);
    DbgPrint("    ObjectHeader: %08x\n", (ULONG)Header);
    DbgPrint("    HandleCount: %d  PointerCount: %d\n", Header->HandleCount, Header->PointerCount);
    DbgPrint("    Flags: %02x%s%s\n", Header->Flags,
             Header->Flags & OB_FLAG_NEW_OBJECT ? " NEW_OBJECT (no handle made yet)" : "",
             Header->Flags & OB_FLAG_KERNEL_OBJECT ? " KERNEL_OBJECT" : "");
    if (Place == ObpTypeObject) {
        RtlTagToString(((POBJECT_TYPE)Address)->Key, Tag);
        DbgPrint("    Body: an OBJECT_TYPE in the object manager's static type table (its objects' tag: %s)\n", Tag);
        return;
    }
    ULONG BlockBytes = Block.Size - (Block.BigAllocation ? 0 : OBP_POOL_HEADER_SIZE);
    RtlTagToString(Block.Tag, Tag);
    DbgPrint("    Body: 0x%x bytes; pool block %08x, 0x%x bytes, %s pool, tag %s\n", BlockBytes - HeaderSize,
             (ULONG)Block.Header, Block.Size, Block.PoolType == PagedPool ? "Paged" : "Nonpaged", Tag);
}

KD_COMMAND(object, "!object", "ADDR", "an object's header: type, handle and pointer counts, flags, its pool block and tag")
{
    ULONG Address;
    if (!KdCheckArgumentCount(Argc, Argv, 1, 1) || !KdParseAddress(Argv[1], "ADDR", &Address))
        return;
    ObpPrintObject(Address);
}

/* ------------------------------------------------------------------ !handle */

/* One handle as read under the table's lock. */
typedef struct _OBP_HANDLE_VIEW {
    ULONG Value;
    PHANDLE_TABLE_ENTRY Entry;
    POBJECT_HEADER Header;
    ACCESS_MASK GrantedAccess;
    ULONG Attributes;
    POBJECT_TYPE Type;
    LONG HandleCount, PointerCount;
    UCHAR EventKind;                    /* an event's DISPATCHER_HEADER.Type: notification or synchronization */
    LONG EventState;                    /* an event's signal state */
} OBP_HANDLE_VIEW;

static void ObpCaptureHandle(PHANDLE_TABLE Table, PHANDLE_TABLE_ENTRY Entry, ULONG Value, OBP_HANDLE_VIEW *View)
{
    View->Value = Value;
    View->Entry = Entry;
    View->Header = ObpEntryHeader(Entry);
    View->GrantedAccess = Entry->GrantedAccess;
    View->Attributes = Entry->Value & OBJ_HANDLE_ATTRIBUTES;
    View->Type = View->Header->Type;
    View->HandleCount = View->Header->HandleCount;
    View->PointerCount = View->Header->PointerCount;
    if (View->Type == ExEventObjectType) {
        /* The handle holds a reference: the body is there to read while the entry is locked. */
        const KEVENT *Event = OBJECT_HEADER_TO_OBJECT(View->Header);
        View->EventKind = Event->Header.Type;
        View->EventState = Event->Header.SignalState;
    }
    ExUnlockHandleTableEntry(Table, Entry);
}

static void ObpPrintHandle(const OBP_HANDLE_VIEW *View)
{
    DbgPrint("%04x: Object: %08x  GrantedAccess: %08x%s Entry: %08x\n", View->Value,
             (ULONG)OBJECT_HEADER_TO_OBJECT(View->Header), View->GrantedAccess,
             View->Attributes & OBJ_INHERIT ? " (Inherit)" : "", (ULONG)View->Entry);
    DbgPrint("Object: %08x  Type: (%08x) %s\n", (ULONG)OBJECT_HEADER_TO_OBJECT(View->Header), (ULONG)View->Type,
             View->Type->Name);
    DbgPrint("    ObjectHeader: %08x\n", (ULONG)View->Header);
    DbgPrint("        HandleCount: %d  PointerCount: %d\n", View->HandleCount, View->PointerCount);
    if (View->Type == ExEventObjectType)
        DbgPrint("        Event: %s, %s\n",
                 View->EventKind == EventNotificationObject ? "notification (manual reset)"
                                                            : "synchronization (auto reset)",
                 View->EventState ? "signalled" : "not signalled");
    DbgPrint("\n");
}

KD_COMMAND(handle, "!handle", "[HANDLE]", "the current process's open handles (or one): object, granted access, type, counts")
{
    PEPROCESS Process = PsGetCurrentProcess();
    OBP_HANDLE_VIEW View;
    ULONG Requested = 0;

    if (!KdCheckArgumentCount(Argc, Argv, 0, 1) || (Argc == 2 && !KdParseNumber(Argv[1], "HANDLE", &Requested)))
        return;
    if (Argc == 2 && Requested == 0) {
        DbgPrint("!handle: 0 is never a handle\n");
        return;
    }
    PHANDLE_TABLE Table = Process->ObjectTable;
    DbgPrint("PROCESS %08x  Cid: %04x  Image: %s\n", (ULONG)Process, Process->UniqueProcessId,
             Process->ImageFileName);
    DbgPrint("    ObjectTable: %08x  HandleCount: %d.\n\n", (ULONG)Table, Table ? Table->HandleCount : 0);
    if (!Table)
        return;

    if (Argc == 2) {
        HANDLE Handle = (HANDLE)Requested;
        PEPROCESS Owner;
        Table = ObpHandleTableForHandle(&Handle, KernelMode, &Owner);
        PHANDLE_TABLE_ENTRY Entry = ExMapHandleToPointer(Table, Handle);
        if (!Entry) {
            DbgPrint("Handle %x is not open in %s (the table backs values below %x)\n", Requested,
                     Table == ObpKernelHandleTable ? "the kernel handle table" : "this process's table",
                     Table->NextHandleNeedingPool);
            return;
        }
        ObpCaptureHandle(Table, Entry, (ULONG)Handle & ~(ULONG)(HANDLE_VALUE_INC - 1), &View);
        ObpPrintHandle(&View);
        return;
    }
    DbgPrint("%s handle table at %08x with %d entries in use\n\n",
             Table == ObpKernelHandleTable ? "Kernel" : "Process", (ULONG)Table, Table->HandleCount);
    for (ULONG Value = 0;; Value += HANDLE_VALUE_INC) {
        PHANDLE_TABLE_ENTRY Entry = ExpMapNextHandleToPointer(Table, &Value);
        if (!Entry)
            break;
        ObpCaptureHandle(Table, Entry, Value, &View);
        ObpPrintHandle(&View);
    }
}

/* ----------------------------------------------------------------------- ob */

#define DEMO_QUERY_STATE    0x0001u
#define DEMO_MODIFY_STATE   0x0002u
#define DEMO_ALL_ACCESS     (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | DEMO_QUERY_STATE | DEMO_MODIFY_STATE)

typedef struct _KD_DEMO_OBJECT {
    ULONG Serial;
    ULONG CreatedAtTick;
} KD_DEMO_OBJECT;

static POBJECT_TYPE KdDemoObjectType;
static ULONG KdDemoSerial;

static void KdDemoClose(PEPROCESS Process, PVOID Object, ACCESS_MASK GrantedAccess, ULONG ProcessHandleCount,
                        ULONG SystemHandleCount)
{
    DbgPrint("Demo %08x: close procedure (a handle with access %08x closed; %u handle%s before)\n", (ULONG)Object,
             GrantedAccess, SystemHandleCount, SystemHandleCount == 1 ? "" : "s");
}

static void KdDemoDelete(PVOID Object)
{
    DbgPrint("Demo %08x: delete procedure (object #%u, the last reference is gone)\n", (ULONG)Object,
             ((KD_DEMO_OBJECT *)Object)->Serial);
}

static bool KdDemoType(void)
{
    OBJECT_TYPE_INITIALIZER Initializer = {
        .Length = sizeof(Initializer),
        .GenericMapping = { STANDARD_RIGHTS_READ | DEMO_QUERY_STATE, STANDARD_RIGHTS_WRITE | DEMO_MODIFY_STATE,
                            STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, DEMO_ALL_ACCESS },
        .ValidAccessMask = DEMO_ALL_ACCESS,
        .PoolType = NonPagedPool,
        .CloseProcedure = KdDemoClose,
        .DeleteProcedure = KdDemoDelete,
    };
    if (KdDemoObjectType)
        return true;
    NTSTATUS Status = ObCreateObjectType("Demo", &Initializer, NULL, &KdDemoObjectType);
    if (!NT_SUCCESS(Status))
        DbgPrint("ob: ObCreateObjectType(\"Demo\") = %s\n", RtlNtStatusName(Status));
    return NT_SUCCESS(Status);
}

/* The Demo object whose body is at Text, or NULL after saying why not. */
static PVOID KdDemoObject(const char *Text)
{
    ULONG Address;
    POBJECT_HEADER Header;
    POOL_BLOCK_INFORMATION Block;
    if (!KdParseAddress(Text, "ADDR", &Address))
        return NULL;
    if (ObpLocateObject(Address, &Header, &Block) != ObpPoolObject || Header->Type != KdDemoObjectType) {
        DbgPrint("ob: %08x is not a Demo object (`ob` works on the objects `ob create` makes)\n", Address);
        return NULL;
    }
    return OBJECT_HEADER_TO_OBJECT(Header);
}

/* A handle to a Demo object, or false after saying why not: `ob` touches no other handle. */
static bool KdDemoHandle(const char *Text, HANDLE *Handle)
{
    ULONG Value;
    PVOID Object;
    if (!KdParseHex(Text, &Value)) {
        DbgPrint("ob: '%s' is not a hex handle value\n", Text);
        return false;
    }
    NTSTATUS Status = ObReferenceObjectByHandle((HANDLE)Value, 0, KdDemoObjectType, KernelMode, &Object, NULL);
    if (!NT_SUCCESS(Status)) {
        DbgPrint("ob: handle %x names no Demo object (%s)\n", Value, RtlNtStatusName(Status));
        return false;
    }
    ObDereferenceObject(Object);
    *Handle = (HANDLE)Value;
    return true;
}

static void KdObCreate(int Argc, char **Argv)
{
    OBJECT_ATTRIBUTES Attributes;
    PVOID Object;
    bool Kernel = Argc == 3 && strcmp(Argv[2], "kernel") == 0;

    if (Argc > 3 || (Argc == 3 && !Kernel)) {
        DbgPrint("usage: ob create [kernel]\n");
        return;
    }
    InitializeObjectAttributes(&Attributes, NULL, Kernel ? OBJ_KERNEL_HANDLE : 0, NULL, NULL);
    NTSTATUS Status = ObCreateObject(KernelMode, KdDemoObjectType, &Attributes, KernelMode, NULL,
                                     sizeof(KD_DEMO_OBJECT), 0, 0, &Object);
    DbgPrint("ObCreateObject(Demo, %s, 0x%x bytes) = %s, object %08x\n", Kernel ? "OBJ_KERNEL_HANDLE" : "0",
             (ULONG)sizeof(KD_DEMO_OBJECT), RtlNtStatusName(Status), (ULONG)Object);
    if (NT_SUCCESS(Status)) {
        KD_DEMO_OBJECT *Demo = Object;
        Demo->Serial = ++KdDemoSerial;
        Demo->CreatedAtTick = KeGetTickCount();
    }
}

static void KdObInsert(int Argc, char **Argv)
{
    ULONG Access = DEMO_ALL_ACCESS;
    HANDLE Handle;
    PVOID Object;

    if (Argc < 3 || KdExtraArgument("ob insert", Argc, Argv, 4) ||
        (Argc == 4 && !KdParseHex(Argv[3], &Access))) {
        DbgPrint("usage: ob insert ADDR [ACCESS]   (ACCESS in hex, default %08x)\n", DEMO_ALL_ACCESS);
        return;
    }
    if (!(Object = KdDemoObject(Argv[2])))
        return;
    NTSTATUS Status = ObInsertObject(Object, NULL, Access, 0, NULL, &Handle);
    DbgPrint("ObInsertObject(%08x, access %08x) = %s, handle %x\n", (ULONG)Object, Access,
             RtlNtStatusName(Status), (ULONG)Handle);
}

static void KdObReference(int Argc, char **Argv)
{
    HANDLE Handle;
    PVOID Object;
    OBJECT_HANDLE_INFORMATION Information = { 0, 0 };

    if (Argc != 3) {
        if (!KdExtraArgument("ob ref", Argc, Argv, 3))
            DbgPrint("usage: ob ref HANDLE\n");
        return;
    }
    if (!KdDemoHandle(Argv[2], &Handle))
        return;
    NTSTATUS Status = ObReferenceObjectByHandle(Handle, 0, KdDemoObjectType, KernelMode, &Object, &Information);
    DbgPrint("ObReferenceObjectByHandle(%x, Demo, KernelMode) = %s, object %08x, granted access %08x\n",
             (ULONG)Handle, RtlNtStatusName(Status), (ULONG)Object, Information.GrantedAccess);
}

static void KdObDereference(int Argc, char **Argv)
{
    PVOID Object;
    if (Argc != 3) {
        if (!KdExtraArgument("ob deref", Argc, Argv, 3))
            DbgPrint("usage: ob deref ADDR\n");
        return;
    }
    if (!(Object = KdDemoObject(Argv[2])))
        return;
    LONG Count = ObDereferenceObject(Object);
    DbgPrint("ObDereferenceObject(%08x) = %d\n", (ULONG)Object, Count);
}

static void KdObDuplicate(int Argc, char **Argv)
{
    HANDLE Handle, Duplicate;
    ULONG Access = 0;

    if (Argc < 3 || KdExtraArgument("ob dup", Argc, Argv, 4) || (Argc == 4 && !KdParseHex(Argv[3], &Access))) {
        DbgPrint("usage: ob dup HANDLE [ACCESS]   (no ACCESS: DUPLICATE_SAME_ACCESS)\n");
        return;
    }
    if (!KdDemoHandle(Argv[2], &Handle))
        return;
    ULONG Attributes = ObIsKernelHandle(Handle) ? OBJ_KERNEL_HANDLE : 0;
    NTSTATUS Status = NtDuplicateObject(NtCurrentProcess(), Handle, NtCurrentProcess(), &Duplicate, Access,
                                        Attributes, Argc == 4 ? 0 : DUPLICATE_SAME_ACCESS);
    DbgPrint("NtDuplicateObject(%x, %s) = %s, handle %x\n", (ULONG)Handle,
             Argc == 4 ? Argv[3] : "DUPLICATE_SAME_ACCESS", RtlNtStatusName(Status), (ULONG)Duplicate);
}

static void KdObClose(int Argc, char **Argv)
{
    HANDLE Handle;
    if (Argc != 3) {
        if (!KdExtraArgument("ob close", Argc, Argv, 3))
            DbgPrint("usage: ob close HANDLE\n");
        return;
    }
    if (!KdDemoHandle(Argv[2], &Handle))
        return;
    NTSTATUS Status = NtClose(Handle);
    DbgPrint("NtClose(%x) = %s\n", (ULONG)Handle, RtlNtStatusName(Status));
}

KD_COMMAND_FLAGS(ob, "ob", "create [kernel] | insert ADDR [ACCESS] | ref HANDLE | deref ADDR | dup HANDLE [ACCESS] | close HANDLE",
           "a teaching aid: a Demo object through ObCreateObject, ObInsertObject, references, NtDuplicateObject, NtClose",
           KD_RUNNING_ONLY)
{
    static const struct {
        const char *Name;
        void (*Routine)(int Argc, char **Argv);
    } Verbs[] = {
        { "create", KdObCreate }, { "insert", KdObInsert }, { "ref", KdObReference },
        { "deref", KdObDereference }, { "dup", KdObDuplicate }, { "close", KdObClose },
    };
    if (Argc >= 2 && KdDemoType()) {
        for (ULONG i = 0; i < ARRAY_SIZE(Verbs); i++) {
            if (strcmp(Argv[1], Verbs[i].Name) == 0) {
                Verbs[i].Routine(Argc, Argv);
                return;
            }
        }
    }
    DbgPrint("usage: ob create [kernel] | insert ADDR [ACCESS] | ref HANDLE | deref ADDR | dup HANDLE [ACCESS] | close HANDLE\n");
}
