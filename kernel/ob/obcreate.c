/*
 * kernel/ob/obcreate.c — how an object is born (NT's ObCreateObject).
 *
 * ObCreateObject allocates one pool block for the header and the body, from
 * the type's pool and with the type's tag, so that !poolused counts a type's
 * objects under its name ('Even', 'Proc' ...). The header starts with a
 * pointer count of 1, the creator's reference, and no handle; the flag
 * OB_FLAG_NEW_OBJECT says ObInsertObject has yet to make its first handle.
 * What the creator said about that handle (OBJ_KERNEL_HANDLE, OBJ_INHERIT)
 * waits in the header until then: NT keeps it in an OBJECT_CREATE_INFORMATION
 * block the header points to (with the name, the security descriptor and the
 * quota charges, none of which mm386 has); mm386 keeps the attribute bits in
 * the same slot. The body is the creator's to initialise: like NT, the object
 * manager does not zero it.
 *
 * Until ObInsertObject runs the object is private to its creator, who may
 * also abandon it with ObDereferenceObject (the delete procedure then runs on
 * whatever the creator initialised, as in NT).
 */
#include "obp.h"
#include <ex.h>
#include <rtl.h>

/* OBJ_* for which mm386 has no meaning yet: both concern how others may open a (named) object. */
#define OBP_UNSUPPORTED_ATTRIBUTES  (OBJ_PERMANENT | OBJ_EXCLUSIVE)

/*
 * Checks what the creator passed and returns the attributes to keep. A
 * UserMode ProbeMode's OBJECT_ATTRIBUTES is probed (pointer-aligned, below
 * MmUserProbeAddress) and copied under a handler first, so it is read once
 * and a bad pointer is STATUS_ACCESS_VIOLATION or
 * STATUS_DATATYPE_MISALIGNMENT. OBJ_KERNEL_HANDLE is dropped for an owner
 * that is not KernelMode, as NT drops it: user mode may pass it, and gets a
 * handle in its own process's table.
 */
static NTSTATUS ObpProbeAndCopyAttributes(const OBJECT_ATTRIBUTES *UserAttributes, POBJECT_ATTRIBUTES Captured)
{
    NTSTATUS Status;
    EX_TRY {
        ProbeForReadSmallStructure(UserAttributes, sizeof(OBJECT_ATTRIBUTES), sizeof(ULONG_PTR));
        memcpy(Captured, UserAttributes, sizeof(*Captured));
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    return Status;
}

static NTSTATUS ObpCaptureObjectAttributes(const OBJECT_TYPE *Type, KPROCESSOR_MODE ProbeMode,
                                           KPROCESSOR_MODE OwnershipMode, const OBJECT_ATTRIBUTES *ObjectAttributes,
                                           PULONG Attributes)
{
    OBJECT_ATTRIBUTES Captured;

    *Attributes = 0;
    if (!ObjectAttributes)
        return STATUS_SUCCESS;
    if (ProbeMode != KernelMode) {
        NTSTATUS Status = ObpProbeAndCopyAttributes(ObjectAttributes, &Captured);
        if (!NT_SUCCESS(Status))
            return Status;
        ObjectAttributes = &Captured;
    }
    if (ObjectAttributes->Length != sizeof(OBJECT_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    if (ObjectAttributes->ObjectName || ObjectAttributes->RootDirectory)
        return STATUS_OBJECT_NAME_INVALID;      /* names are out of scope */
    if (ObjectAttributes->SecurityDescriptor || ObjectAttributes->SecurityQualityOfService)
        return STATUS_NOT_IMPLEMENTED;          /* there is no security to describe */
    ULONG Requested = ObjectAttributes->Attributes;
    if ((Requested & ~OBJ_VALID_ATTRIBUTES) || (Requested & Type->TypeInfo.InvalidAttributes))
        return STATUS_INVALID_PARAMETER;
    if (Requested & OBP_UNSUPPORTED_ATTRIBUTES)
        return STATUS_NOT_IMPLEMENTED;
    if (OwnershipMode != KernelMode)
        Requested &= ~OBJ_KERNEL_HANDLE;
    *Attributes = Requested;
    return STATUS_SUCCESS;
}

NTSTATUS ObCreateObject(KPROCESSOR_MODE ProbeMode, POBJECT_TYPE ObjectType, POBJECT_ATTRIBUTES ObjectAttributes,
                        KPROCESSOR_MODE OwnershipMode, PVOID ParseContext, ULONG ObjectBodySize,
                        ULONG PagedPoolCharge, ULONG NonPagedPoolCharge, PVOID *Object)
{
    ULONG Attributes;
    const ULONG HeaderSize = FIELD_OFFSET(OBJECT_HEADER, Body);

    *Object = NULL;
    if (!ObjectType)
        return STATUS_INVALID_PARAMETER;
    NTSTATUS Status = ObpCaptureObjectAttributes(ObjectType, ProbeMode, OwnershipMode, ObjectAttributes, &Attributes);
    if (!NT_SUCCESS(Status))
        return Status;
    if (ObjectBodySize > ~0u - HeaderSize)
        return STATUS_INSUFFICIENT_RESOURCES;

    POBJECT_HEADER Header = ExAllocatePoolWithTag(ObjectType->TypeInfo.PoolType, HeaderSize + ObjectBodySize,
                                                  ObjectType->Key);
    if (!Header)
        return STATUS_INSUFFICIENT_RESOURCES;
    Header->PointerCount = 1;
    Header->HandleCount = 0;
    Header->Type = ObjectType;
    Header->NameInfoOffset = 0;
    Header->HandleInfoOffset = 0;
    Header->QuotaInfoOffset = 0;
    Header->Flags = OB_FLAG_NEW_OBJECT | (OwnershipMode == KernelMode ? OB_FLAG_KERNEL_OBJECT : 0);
    Header->ObjectCreateAttributes = Attributes;
    Header->SecurityDescriptor = NULL;

    LONG Live = __atomic_add_fetch(&ObjectType->TotalNumberOfObjects, 1, __ATOMIC_RELAXED);
    if (Live > ObjectType->HighWaterNumberOfObjects)
        ObjectType->HighWaterNumberOfObjects = Live;
    *Object = OBJECT_HEADER_TO_OBJECT(Header);
    return STATUS_SUCCESS;
}

PVOID ObInitializeStaticObject(PVOID Storage, POBJECT_TYPE ObjectType)
{
    POBJECT_HEADER Header = Storage;
    Header->PointerCount = 1;               /* the system's own, never dropped */
    Header->HandleCount = 0;
    Header->Type = ObjectType;
    Header->NameInfoOffset = Header->HandleInfoOffset = Header->QuotaInfoOffset = 0;
    Header->Flags = OB_FLAG_KERNEL_OBJECT;
    Header->ObjectCreateAttributes = 0;
    Header->SecurityDescriptor = NULL;
    LONG Live = __atomic_add_fetch(&ObjectType->TotalNumberOfObjects, 1, __ATOMIC_RELAXED);
    if (Live > ObjectType->HighWaterNumberOfObjects)
        ObjectType->HighWaterNumberOfObjects = Live;
    return OBJECT_HEADER_TO_OBJECT(Header);
}
