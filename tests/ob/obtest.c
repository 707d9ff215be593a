/*
 * tests/ob/obtest.c — the object manager tests' types and helpers (obtest.h).
 */
#include "obtest.h"
#include <rtl.h>

POBJECT_TYPE ObtType, ObtOtherType, ObtPagedType;
volatile ULONG ObtDeleteCalls, ObtCloseCalls;
PVOID volatile ObtLastDeleted;
volatile ULONG ObtLastCloseHandleCount;
volatile ACCESS_MASK ObtLastCloseAccess;
PEPROCESS volatile ObtLastCloseProcess;
void (*volatile ObtDeleteHook)(PVOID Object);

static void ObtClose(PEPROCESS Process, PVOID Object, ACCESS_MASK GrantedAccess, ULONG ProcessHandleCount,
                     ULONG SystemHandleCount)
{
    ObtCloseCalls++;
    ObtLastCloseHandleCount = SystemHandleCount;
    ObtLastCloseAccess = GrantedAccess;
    ObtLastCloseProcess = Process;
}

static void ObtDelete(PVOID Object)
{
    ObtDeleteCalls++;
    ObtLastDeleted = Object;
    if (ObtDeleteHook)
        ObtDeleteHook(Object);
}

POBJECT_TYPE ObtEnsureType(PCSTR Name, const OBJECT_TYPE_INITIALIZER *Initializer)
{
    POBJECT_TYPE Type = ObpLookupObjectType(Name);
    if (!Type && !NT_SUCCESS(ObCreateObjectType(Name, Initializer, NULL, &Type)))
        return NULL;
    return Type;
}

void ObtInitialize(void)
{
    OBJECT_TYPE_INITIALIZER Initializer = {
        .Length = sizeof(Initializer),
        .GenericMapping = { STANDARD_RIGHTS_READ | OBT_QUERY, STANDARD_RIGHTS_WRITE | OBT_MODIFY,
                            STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, OBT_ALL_ACCESS },
        .ValidAccessMask = OBT_ALL_ACCESS,
        .PoolType = NonPagedPool,
        .PoolTag = OBT_TAG,
        .CloseProcedure = ObtClose,
        .DeleteProcedure = ObtDelete,
    };
    if (ObtType)
        return;
    ObtType = ObtEnsureType("ObTestA", &Initializer);

    Initializer.PoolTag = OBT_OTHER_TAG;
    Initializer.CloseProcedure = NULL;
    Initializer.DeleteProcedure = NULL;
    Initializer.InvalidAttributes = OBJ_INHERIT;
    ObtOtherType = ObtEnsureType("ObTestB", &Initializer);

    Initializer.PoolType = PagedPool;
    Initializer.PoolTag = OBT_PAGED_TAG;
    Initializer.InvalidAttributes = 0;
    Initializer.DeleteProcedure = ObtDelete;
    ObtPagedType = ObtEnsureType("ObTestPaged", &Initializer);
}

NTSTATUS ObtCreate(POBJECT_TYPE Type, ULONG Attributes, PVOID *Object)
{
    OBJECT_ATTRIBUTES ObjectAttributes;
    InitializeObjectAttributes(&ObjectAttributes, NULL, Attributes, NULL, NULL);
    NTSTATUS Status = ObCreateObject(KernelMode, Type, &ObjectAttributes, KernelMode, NULL, sizeof(OBT_BODY), 0, 0,
                                     Object);
    if (NT_SUCCESS(Status)) {
        OBT_BODY *Body = *Object;
        Body->Magic = 0x0B7E57;
        Body->Value = 0;
    }
    return Status;
}

NTSTATUS ObtCreateHandle(POBJECT_TYPE Type, ULONG Attributes, ACCESS_MASK Access, PVOID *Object, PHANDLE Handle)
{
    *Handle = NULL;
    NTSTATUS Status = ObtCreate(Type, Attributes, Object);
    if (!NT_SUCCESS(Status))
        return Status;
    return ObInsertObject(*Object, NULL, Access, 0, NULL, Handle);
}

ACCESS_MASK ObtGrantedAccess(HANDLE Handle)
{
    OBJECT_HANDLE_INFORMATION Information;
    PVOID Object;
    if (!NT_SUCCESS(ObReferenceObjectByHandle(Handle, 0, NULL, KernelMode, &Object, &Information)))
        return 0xFFFFFFFF;
    ObDereferenceObject(Object);
    return Information.GrantedAccess;
}

ULONG ObtHandleAttributes(HANDLE Handle)
{
    OBJECT_HANDLE_INFORMATION Information;
    PVOID Object;
    if (!NT_SUCCESS(ObReferenceObjectByHandle(Handle, 0, NULL, KernelMode, &Object, &Information)))
        return 0xFFFFFFFF;
    ObDereferenceObject(Object);
    return Information.HandleAttributes;
}

SIZE_T ObtPoolBytes(ULONG Tag)
{
    SYSTEM_POOLTAG Info;
    if (!NT_SUCCESS(ExQueryPoolTagInformation(Tag, &Info)))
        return 0;
    return Info.NonPagedUsed + Info.PagedUsed;
}

bool ObtContains(const char *Text, const char *Needle)
{
    size_t Length = strlen(Needle);
    for (; *Text; Text++) {
        if (strncmp(Text, Needle, Length) == 0)
            return true;
    }
    return false;
}
