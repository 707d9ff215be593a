/*
 * tests/ob/ref.c — objects and types: the header in front of the body,
 * creation, pointer references, deletion (at once and deferred), types and
 * their access mappings; and the two REFERENCE_BY_POINTER death tests.
 *
 * The expectations are NT's documented values: the x86 header is 0x18 bytes
 * (the body follows it), a pool block is an 8-byte POOL_HEADER plus the
 * request rounded up to 8, a type's tag is its name's first four characters.
 */
#include "obtest.h"
#include <pool.h>
#include <rtl.h>

/* The body is 0x18 bytes after the header, and the header says what NT's would. */
KTEST(obref, header_precedes_body_at_nt_offset)
{
    PVOID Object;
    ObtInitialize();
    ASSERT_EQ(ObtCreate(ObtType, 0, &Object), STATUS_SUCCESS);
    POBJECT_HEADER Header = (POBJECT_HEADER)((PUCHAR)Object - 0x18);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object), Header);
    EXPECT_EQ(OBJECT_HEADER_TO_OBJECT(Header), Object);
    EXPECT_EQ(Header->Type, ObtType);
    EXPECT_EQ(ObGetObjectType(Object), ObtType);
    EXPECT_EQ(Header->PointerCount, 1);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 1u);
    EXPECT_EQ(Header->HandleCount, 0);
    EXPECT_EQ(Header->Flags, OB_FLAG_NEW_OBJECT | OB_FLAG_KERNEL_OBJECT);
    EXPECT_EQ((ULONG_PTR)Object % 8, 0u);
    EXPECT_EQ(((OBT_BODY *)Object)->Magic, 0x0B7E57u);
    ObDereferenceObject(Object);
}

/* Bodies come from the type's pool with the type's tag; the block is the pool header + 0x18 + body. */
KTEST(obref, body_comes_from_pool_with_type_tag)
{
    SYSTEM_POOLTAG Before = { 0 }, During, After;
    PVOID Object, Paged;
    ObtInitialize();
    ExQueryPoolTagInformation(OBT_TAG, &Before);
    ASSERT_EQ(ObtCreate(ObtType, 0, &Object), STATUS_SUCCESS);
    ASSERT_EQ(ExQueryPoolTagInformation(OBT_TAG, &During), STATUS_SUCCESS);
    EXPECT_EQ(During.NonPagedAllocs - During.NonPagedFrees, Before.NonPagedAllocs - Before.NonPagedFrees + 1);
    EXPECT_EQ(During.NonPagedUsed - Before.NonPagedUsed, (SIZE_T)ROUND_UP(8 + 0x18 + sizeof(OBT_BODY), 8));
    EXPECT_TRUE(MmIsAddressValid(Object));
    ObDereferenceObject(Object);
    ExQueryPoolTagInformation(OBT_TAG, &After);
    EXPECT_EQ(After.NonPagedUsed, Before.NonPagedUsed);

    SYSTEM_POOLTAG PagedBefore = { 0 }, PagedDuring;
    ExQueryPoolTagInformation(OBT_PAGED_TAG, &PagedBefore);
    ASSERT_EQ(ObtCreate(ObtPagedType, 0, &Paged), STATUS_SUCCESS);
    ASSERT_EQ(ExQueryPoolTagInformation(OBT_PAGED_TAG, &PagedDuring), STATUS_SUCCESS);
    EXPECT_EQ(PagedDuring.PagedAllocs, PagedBefore.PagedAllocs + 1);
    EXPECT_EQ(PagedDuring.NonPagedAllocs, PagedBefore.NonPagedAllocs);
    ObDereferenceObject(Paged);
}

/* The delete procedure runs exactly once, when the last of several references goes, and not before. */
KTEST(obref, delete_procedure_runs_once_at_zero)
{
    PVOID Object;
    ObtInitialize();
    LONG Live = ObtType->TotalNumberOfObjects;
    ASSERT_EQ(ObtCreate(ObtType, 0, &Object), STATUS_SUCCESS);
    EXPECT_EQ(ObtType->TotalNumberOfObjects, Live + 1);
    ULONG Deletes = ObtDeleteCalls;
    EXPECT_EQ(ObReferenceObject(Object), 2);
    EXPECT_EQ(ObReferenceObject(Object), 3);
    EXPECT_EQ(ObReferenceObject(Object), 4);
    EXPECT_EQ(ObDereferenceObject(Object), 3);
    EXPECT_EQ(ObDereferenceObject(Object), 2);
    EXPECT_EQ(ObDereferenceObject(Object), 1);
    EXPECT_EQ(ObtDeleteCalls, Deletes);
    EXPECT_EQ(ObDereferenceObject(Object), 0);
    EXPECT_EQ(ObtDeleteCalls, Deletes + 1);
    EXPECT_EQ(ObtLastDeleted, Object);
    EXPECT_EQ(ObtType->TotalNumberOfObjects, Live);
}

static volatile BOOLEAN SafeDuringDelete = TRUE;
static volatile LONG CountDuringDelete = -1;

static void TrySafeReferenceWhileDeleting(PVOID Object)
{
    SafeDuringDelete = ObReferenceObjectSafe(Object);
    CountDuringDelete = (LONG)ObGetObjectPointerCount(Object);
}

/*
 * ObReferenceObjectSafe takes a reference while one is held, and refuses an
 * object whose count has reached zero — as its delete procedure sees it
 * (a list walker meeting an object on its way out) — leaving the count at
 * zero, so the object is deleted once.
 */
KTEST(obref, safe_reference_refuses_an_object_being_deleted)
{
    PVOID Object;
    ObtInitialize();
    ASSERT_EQ(ObtCreate(ObtType, 0, &Object), STATUS_SUCCESS);
    EXPECT_TRUE(ObReferenceObjectSafe(Object));
    EXPECT_EQ(ObGetObjectPointerCount(Object), 2u);
    EXPECT_EQ(ObDereferenceObject(Object), 1);
    ULONG Deletes = ObtDeleteCalls;
    ObtDeleteHook = TrySafeReferenceWhileDeleting;
    EXPECT_EQ(ObDereferenceObject(Object), 0);
    ObtDeleteHook = NULL;
    EXPECT_FALSE(SafeDuringDelete);
    EXPECT_EQ(CountDuringDelete, 0);
    EXPECT_EQ(ObtDeleteCalls, Deletes + 1);
}

/* NT checks the type of a pointer reference from user mode only; kernel mode is trusted. */
KTEST(obref, reference_by_pointer_checks_type_from_user_mode_only)
{
    PVOID Object;
    ObtInitialize();
    ASSERT_EQ(ObtCreate(ObtType, 0, &Object), STATUS_SUCCESS);
    EXPECT_EQ(ObReferenceObjectByPointer(Object, 0, ObtOtherType, UserMode), STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(ObReferenceObjectByPointer(Object, 0, NULL, UserMode), STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 1u);
    EXPECT_EQ(ObReferenceObjectByPointer(Object, OBT_MODIFY, ObtType, UserMode), STATUS_SUCCESS);
    EXPECT_EQ(ObReferenceObjectByPointer(Object, 0, ObtOtherType, KernelMode), STATUS_SUCCESS);
    EXPECT_EQ(ObReferenceObjectByPointer(Object, 0, NULL, KernelMode), STATUS_SUCCESS);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 4u);
    for (int i = 0; i < 4; i++)
        ObDereferenceObject(Object);
}

/* Names, security and attributes mm386 cannot honour are refused, and nothing is allocated. */
KTEST(obref, create_refuses_what_it_cannot_honour)
{
    OBJECT_ATTRIBUTES Attributes;
    PVOID Object = (PVOID)1;
    ObtInitialize();
    SIZE_T Bytes = ObtPoolBytes(OBT_TAG);
    LONG Live = ObtType->TotalNumberOfObjects;

    InitializeObjectAttributes(&Attributes, (struct _UNICODE_STRING *)&Attributes, 0, NULL, NULL);
    EXPECT_EQ(ObCreateObject(KernelMode, ObtType, &Attributes, KernelMode, NULL, 16, 0, 0, &Object),
              STATUS_OBJECT_NAME_INVALID);
    EXPECT_NULL(Object);
    InitializeObjectAttributes(&Attributes, NULL, 0, (HANDLE)4, NULL);
    EXPECT_EQ(ObCreateObject(KernelMode, ObtType, &Attributes, KernelMode, NULL, 16, 0, 0, &Object),
              STATUS_OBJECT_NAME_INVALID);
    InitializeObjectAttributes(&Attributes, NULL, 0, NULL, &Attributes);
    EXPECT_EQ(ObCreateObject(KernelMode, ObtType, &Attributes, KernelMode, NULL, 16, 0, 0, &Object),
              STATUS_NOT_IMPLEMENTED);
    InitializeObjectAttributes(&Attributes, NULL, OBJ_PERMANENT, NULL, NULL);
    EXPECT_EQ(ObCreateObject(KernelMode, ObtType, &Attributes, KernelMode, NULL, 16, 0, 0, &Object),
              STATUS_NOT_IMPLEMENTED);
    InitializeObjectAttributes(&Attributes, NULL, 0x1, NULL, NULL);
    EXPECT_EQ(ObCreateObject(KernelMode, ObtType, &Attributes, KernelMode, NULL, 16, 0, 0, &Object),
              STATUS_INVALID_PARAMETER);
    InitializeObjectAttributes(&Attributes, NULL, OBJ_INHERIT, NULL, NULL);
    EXPECT_EQ(ObCreateObject(KernelMode, ObtOtherType, &Attributes, KernelMode, NULL, 16, 0, 0, &Object),
              STATUS_INVALID_PARAMETER);             /* ObTestB declares OBJ_INHERIT invalid */
    Attributes.Length = sizeof(Attributes) - 4;
    EXPECT_EQ(ObCreateObject(KernelMode, ObtType, &Attributes, KernelMode, NULL, 16, 0, 0, &Object),
              STATUS_INVALID_PARAMETER);
    EXPECT_EQ(ObCreateObject(KernelMode, NULL, NULL, KernelMode, NULL, 16, 0, 0, &Object),
              STATUS_INVALID_PARAMETER);
    EXPECT_EQ(ObCreateObject(KernelMode, ObtType, NULL, KernelMode, NULL, 0xFFFFFFF0u, 0, 0, &Object),
              STATUS_INSUFFICIENT_RESOURCES);
    EXPECT_NULL(Object);
    EXPECT_EQ(ObtPoolBytes(OBT_TAG), Bytes);
    EXPECT_EQ(ObtType->TotalNumberOfObjects, Live);

    /* User ownership: no KERNEL_OBJECT flag. */
    ASSERT_EQ(ObCreateObject(UserMode, ObtType, NULL, UserMode, NULL, 16, 0, 0, &Object), STATUS_SUCCESS);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->Flags, OB_FLAG_NEW_OBJECT);
    ObDereferenceObject(Object);
}

/* ObCreateObjectType refuses what NT refuses; "Type" is the type of every type, its own included. */
KTEST(obref, object_type_creation_validates)
{
    OBJECT_TYPE_INITIALIZER Initializer = { .Length = sizeof(Initializer), .PoolType = NonPagedPool };
    POBJECT_TYPE Type = (POBJECT_TYPE)1;
    ObtInitialize();
    EXPECT_EQ(ObCreateObjectType("obtesta", &Initializer, NULL, &Type), STATUS_OBJECT_NAME_COLLISION);
    EXPECT_NULL(Type);
    EXPECT_EQ(ObCreateObjectType("", &Initializer, NULL, &Type), STATUS_OBJECT_NAME_INVALID);
    EXPECT_EQ(ObCreateObjectType("Ob\\Test", &Initializer, NULL, &Type), STATUS_OBJECT_NAME_INVALID);
    EXPECT_EQ(ObCreateObjectType("ObTestNameOfTwentyFour24", &Initializer, NULL, &Type),
              STATUS_OBJECT_NAME_INVALID);
    EXPECT_EQ(ObCreateObjectType("ObTestX", &Initializer, &Initializer, &Type), STATUS_INVALID_PARAMETER);
    Initializer.Length = 4;
    EXPECT_EQ(ObCreateObjectType("ObTestX", &Initializer, NULL, &Type), STATUS_INVALID_PARAMETER);
    Initializer.Length = sizeof(Initializer);
    Initializer.PoolType = NonPagedPoolMustSucceed;
    EXPECT_EQ(ObCreateObjectType("ObTestX", &Initializer, NULL, &Type), STATUS_INVALID_PARAMETER);
    Initializer.PoolType = NonPagedPool;
    Initializer.InvalidAttributes = 0x1;
    EXPECT_EQ(ObCreateObjectType("ObTestX", &Initializer, NULL, &Type), STATUS_INVALID_PARAMETER);
    EXPECT_NULL(ObpLookupObjectType("ObTestX"));

    POBJECT_TYPE TypeType = ObpLookupObjectType("Type");
    ASSERT_NOT_NULL(TypeType);
    EXPECT_EQ(TypeType->Index, 1u);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(TypeType)->Type, TypeType);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(ObtType)->Type, TypeType);
    EXPECT_EQ(TypeType->TotalNumberOfObjects, (LONG)ObpObjectTypeCount);
    EXPECT_TRUE(ObpIsObjectType(ObtType));
    EXPECT_FALSE(ObpIsObjectType((POBJECT_TYPE)((PUCHAR)ObtType + 4)));
}

/* NT's tag: the first four characters, blank-padded ('Job '); an explicit PoolTag wins. */
KTEST(obref, type_tag_is_first_four_characters_of_the_name)
{
    OBJECT_TYPE_INITIALIZER Initializer = { .Length = sizeof(Initializer), .PoolType = NonPagedPool,
                                            .ValidAccessMask = SPECIFIC_RIGHTS_ALL };
    POBJECT_TYPE Long = ObtEnsureType("ObtKeyTest", &Initializer);
    POBJECT_TYPE Short = ObtEnsureType("Ob", &Initializer);
    ASSERT_NOT_NULL(Long);
    ASSERT_NOT_NULL(Short);
    EXPECT_EQ(Long->Key, MAKE_TAG('O', 'b', 't', 'K'));
    EXPECT_EQ(Short->Key, MAKE_TAG('O', 'b', ' ', ' '));
    ObtInitialize();
    EXPECT_EQ(ObtType->Key, OBT_TAG);
    EXPECT_STREQ(ObtType->Name, "ObTestA");
}

/* RtlMapGenericMask and a new handle's rights, against hand-computed masks. */
KTEST(obref, generic_rights_map_through_the_type)
{
    static const GENERIC_MAPPING Mapping = { 0x00020001, 0x00020002, 0x00120000, 0x001F0003 };
    ACCESS_MASK Mask = GENERIC_READ | 0x8;
    RtlMapGenericMask(&Mask, &Mapping);
    EXPECT_EQ(Mask, 0x00020009u);
    Mask = GENERIC_WRITE | GENERIC_EXECUTE;
    RtlMapGenericMask(&Mask, &Mapping);
    EXPECT_EQ(Mask, 0x00120002u);
    Mask = GENERIC_ALL;
    RtlMapGenericMask(&Mask, &Mapping);
    EXPECT_EQ(Mask, 0x001F0003u);

    ObtInitialize();
    EXPECT_EQ(ObpMapDesiredAccess(ObtType, MAXIMUM_ALLOWED), 0x001F0003u);
    EXPECT_EQ(ObpMapDesiredAccess(ObtType, GENERIC_READ), 0x00020001u);
    EXPECT_EQ(ObpMapDesiredAccess(ObtType, OBT_QUERY | 0x0100), OBT_QUERY);   /* 0x100 is no right of the type */
    EXPECT_EQ(ObpMapDesiredAccess(ObtType, ACCESS_SYSTEM_SECURITY), 0u);
}

/* A last reference dropped at DISPATCH_LEVEL waits for PASSIVE_LEVEL; the next dereference there deletes it. */
KTEST(obref, last_reference_above_passive_is_deferred)
{
    PVOID First, Second;
    ObtInitialize();
    ULONG Deletes = ObtDeleteCalls;
    ASSERT_EQ(ObtCreate(ObtType, 0, &First), STATUS_SUCCESS);
    ASSERT_EQ(ObtCreate(ObtType, 0, &Second), STATUS_SUCCESS);
    ObReferenceObject(Second);

    KIRQL OldIrql = KeRaiseIrqlToDpcLevel();
    EXPECT_EQ(ObDereferenceObject(First), 0);
    KeLowerIrql(OldIrql);
    EXPECT_EQ(ObtDeleteCalls, Deletes);
    EXPECT_TRUE(ObpRemoveObjectQueuePending());

    EXPECT_EQ(ObDereferenceObject(Second), 1);          /* at PASSIVE_LEVEL: the queue empties */
    EXPECT_FALSE(ObpRemoveObjectQueuePending());
    EXPECT_EQ(ObtDeleteCalls, Deletes + 1);
    EXPECT_EQ(ObtLastDeleted, First);

    OldIrql = KeRaiseIrqlToDpcLevel();
    ObDereferenceObject(Second);
    KeLowerIrql(OldIrql);
    EXPECT_EQ(ObtDeleteCalls, Deletes + 1);
    ObpProcessRemoveObjectQueue();
    EXPECT_EQ(ObtDeleteCalls, Deletes + 2);
    EXPECT_EQ(ObtLastDeleted, Second);
}

static void ObtDereferenceSelf(PVOID Object)
{
    ObDereferenceObject(Object);
}

/* A reference given back twice: the delete procedure drops one it does not hold. REFERENCE_BY_POINTER, count -1. */
KTEST_DEATH(obref, dereference_past_zero, REFERENCE_BY_POINTER)
{
    PVOID Object;
    ObtInitialize();
    ASSERT_EQ(ObtCreate(ObtType, 0, &Object), STATUS_SUCCESS);
    KtestExpectBugCheckParameter(t, 1, (ULONG_PTR)ObtType);
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)Object);
    KtestExpectBugCheckParameter(t, 3, 0);
    KtestExpectBugCheckParameter(t, 4, (ULONG)-1);
    ObtDeleteHook = ObtDereferenceSelf;
    ObDereferenceObject(Object);
}

/* The last pointer reference goes while a handle still names the object: REFERENCE_BY_POINTER, 1 handle. */
KTEST_DEATH(obref, dereference_to_zero_with_open_handle, REFERENCE_BY_POINTER)
{
    PVOID Object;
    HANDLE Handle;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, OBJ_KERNEL_HANDLE, OBT_ALL_ACCESS, &Object, &Handle), STATUS_SUCCESS);
    KtestExpectBugCheckParameter(t, 1, (ULONG_PTR)ObtType);
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)Object);
    KtestExpectBugCheckParameter(t, 3, 1);
    KtestExpectBugCheckParameter(t, 4, 0);
    ObDereferenceObject(Object);        /* the handle's reference, which is not ours */
}
