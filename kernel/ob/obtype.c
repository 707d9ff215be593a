/*
 * kernel/ob/obtype.c — object types (NT's ObCreateObjectType) and the rights
 * a handle of each type can carry.
 *
 * A type is the object manager's knowledge of one kind of object: its name
 * ("Event", "Process" ...), the pool its bodies come from and the tag they
 * carry, the specific rights that exist (ValidAccessMask) and how the four
 * generic rights map onto them (GENERIC_MAPPING), the procedures to call when
 * a handle closes and when the last reference goes, and counters of live
 * objects and handles. The owner of each kind creates its type once, at
 * startup; types are never deleted. NT makes a type an object of the type
 * "Type", so that it has a header and could have a name in \ObjectTypes;
 * mm386 does the same, with one difference: the type objects live in a
 * static table of OBP_MAX_OBJECT_TYPES slots (a header and an OBJECT_TYPE
 * each), where NT allocates them from nonpaged pool with the tag 'ObjT'. A
 * type is never freed, and a fixed table lets ObpIsObjectType tell a real
 * type from a stray pointer by its address alone, which kd> relies on.
 *
 * Object bodies carry the type's Key as their pool tag. NT takes it from the
 * first four characters of the name ('Even', 'Proc', 'Thre', 'Muta', 'Sema',
 * 'Time', 'Sect'), blank-padded for shorter names ('Job '); mm386's
 * initializer may name another (PoolTag), for test types that share a prefix.
 */
#include "obp.h"
#include <rtl.h>

#define OBJECT_TYPE_CREATE          0x0001u
#define OBJECT_TYPE_ALL_ACCESS      (STANDARD_RIGHTS_REQUIRED | OBJECT_TYPE_CREATE)
#define OBP_TYPE_OBJECT_TAG         MAKE_TAG('O', 'b', 'j', 'T')   /* NT's tag for type objects */

/* A type object: its header, and the OBJECT_TYPE where the header's Body begins. */
typedef union ALIGNED(8) _OBP_TYPE_SLOT {
    OBJECT_HEADER Header;
    struct {
        UCHAR HeaderBytes[FIELD_OFFSET(OBJECT_HEADER, Body)];
        OBJECT_TYPE Type;
    };
} OBP_TYPE_SLOT;

_Static_assert(offsetof(OBP_TYPE_SLOT, Type) == offsetof(OBJECT_HEADER, Body),
               "a type object's body is where its header says");

static OBP_TYPE_SLOT ObpTypeSlots[OBP_MAX_OBJECT_TYPES];
static FAST_MUTEX ObpTypeLock;

POBJECT_TYPE ObpObjectTypes[OBP_MAX_OBJECT_TYPES];
volatile ULONG ObpObjectTypeCount;
POBJECT_TYPE ObpTypeObjectType;

void RtlMapGenericMask(PACCESS_MASK AccessMask, const GENERIC_MAPPING *GenericMapping)
{
    ACCESS_MASK Mask = *AccessMask;
    if (Mask & GENERIC_READ)
        Mask |= GenericMapping->GenericRead;
    if (Mask & GENERIC_WRITE)
        Mask |= GenericMapping->GenericWrite;
    if (Mask & GENERIC_EXECUTE)
        Mask |= GenericMapping->GenericExecute;
    if (Mask & GENERIC_ALL)
        Mask |= GenericMapping->GenericAll;
    *AccessMask = Mask & ~GENERIC_ACCESS;
}

/* ObpMapDesiredAccess's slow path: a request with generic rights or MAXIMUM_ALLOWED in it. */
ACCESS_MASK ObpMapGenericAccess(const OBJECT_TYPE *Type, ACCESS_MASK DesiredAccess)
{
    /* An unnamed object has no security descriptor to ask: "as much as allowed" is everything. */
    if (DesiredAccess & MAXIMUM_ALLOWED)
        DesiredAccess = (DesiredAccess & ~MAXIMUM_ALLOWED) | GENERIC_ALL;
    RtlMapGenericMask(&DesiredAccess, &Type->TypeInfo.GenericMapping);
    return DesiredAccess & Type->TypeInfo.ValidAccessMask;
}

BOOLEAN ObpIsObjectType(const OBJECT_TYPE *Type)
{
    ULONG_PTR Offset = (ULONG_PTR)Type - (ULONG_PTR)&ObpTypeSlots[0].Type;
    return Offset % sizeof(OBP_TYPE_SLOT) == 0 && Offset / sizeof(OBP_TYPE_SLOT) < ObpObjectTypeCount;
}

POBJECT_TYPE ObpLookupObjectType(PCSTR Name)
{
    size_t Length = strlen(Name);
    for (ULONG i = 0; i < ObpObjectTypeCount; i++) {
        POBJECT_TYPE Type = ObpObjectTypes[i];
        if (strlen(Type->Name) == Length && RtlCompareStringInsensitive(Type->Name, Name, Length) == 0)
            return Type;
    }
    return NULL;
}

POBJECT_TYPE ObGetObjectType(PVOID Object)
{
    return OBJECT_TO_OBJECT_HEADER(Object)->Type;
}

/* NT's Key: the name's first four characters, blank-padded. */
static ULONG ObpTagFromName(PCSTR Name)
{
    UCHAR c[4] = { ' ', ' ', ' ', ' ' };
    for (ULONG i = 0; i < 4 && Name[i]; i++)
        c[i] = (UCHAR)Name[i];
    return MAKE_TAG(c[0], c[1], c[2], c[3]);
}

NTSTATUS ObCreateObjectType(PCSTR TypeName, const OBJECT_TYPE_INITIALIZER *Initializer,
                            PVOID SecurityDescriptor, POBJECT_TYPE *ObjectType)
{
    if (!TypeName || !Initializer || !ObjectType || SecurityDescriptor)
        return STATUS_INVALID_PARAMETER;
    *ObjectType = NULL;
    size_t Length = strnlen(TypeName, OB_TYPE_NAME_LENGTH);
    if (Length == 0 || Length == OB_TYPE_NAME_LENGTH || strchr(TypeName, '\\'))
        return STATUS_OBJECT_NAME_INVALID;
    if (Initializer->Length != sizeof(*Initializer) ||
        (Initializer->PoolType != NonPagedPool && Initializer->PoolType != PagedPool) ||
        (Initializer->InvalidAttributes & ~OBJ_VALID_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;

    ExAcquireFastMutex(&ObpTypeLock);
    if (ObpLookupObjectType(TypeName)) {
        ExReleaseFastMutex(&ObpTypeLock);
        return STATUS_OBJECT_NAME_COLLISION;
    }
    ULONG Slot = ObpObjectTypeCount;
    if (Slot == OBP_MAX_OBJECT_TYPES) {
        ExReleaseFastMutex(&ObpTypeLock);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    OBP_TYPE_SLOT *TypeObject = &ObpTypeSlots[Slot];
    POBJECT_TYPE Type = &TypeObject->Type;
    memset(TypeObject, 0, sizeof(*TypeObject));
    strlcpy(Type->Name, TypeName, sizeof(Type->Name));
    Type->Index = Slot + 1;
    Type->TypeInfo = *Initializer;
    Type->Key = Initializer->PoolTag ? Initializer->PoolTag : ObpTagFromName(TypeName);

    /* The object manager's own reference keeps a type alive for good. */
    TypeObject->Header.PointerCount = 1;
    TypeObject->Header.Type = ObpTypeObjectType ? ObpTypeObjectType : Type;    /* "Type" is its own type */
    TypeObject->Header.Flags = OB_FLAG_KERNEL_OBJECT;

    ObpObjectTypes[Slot] = Type;
    __atomic_store_n(&ObpObjectTypeCount, Slot + 1, __ATOMIC_RELEASE);
    POBJECT_TYPE TypeType = TypeObject->Header.Type;
    TypeType->TotalNumberOfObjects++;
    TypeType->HighWaterNumberOfObjects = MAX(TypeType->HighWaterNumberOfObjects, TypeType->TotalNumberOfObjects);
    ExReleaseFastMutex(&ObpTypeLock);
    *ObjectType = Type;
    return STATUS_SUCCESS;
}

void ObpCreateTypeObjectType(void)
{
    OBJECT_TYPE_INITIALIZER Initializer = {
        .Length = sizeof(Initializer),
        .GenericMapping = { STANDARD_RIGHTS_READ, STANDARD_RIGHTS_WRITE, STANDARD_RIGHTS_EXECUTE,
                            OBJECT_TYPE_ALL_ACCESS },
        .ValidAccessMask = OBJECT_TYPE_ALL_ACCESS,
        .PoolType = NonPagedPool,
        .PoolTag = OBP_TYPE_OBJECT_TAG,
    };
    ExInitializeFastMutex(&ObpTypeLock);
    if (!NT_SUCCESS(ObCreateObjectType("Type", &Initializer, NULL, &ObpTypeObjectType)))
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0x4F62, 0, 0, 0);   /* 'Ob' */
}
