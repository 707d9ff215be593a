/*
 * tests/ob/kd.c — !object and !handle print what the object manager knows.
 *
 * Each command's output is captured (an extra output sink) and checked for
 * the values the test set up itself: the object's address and type, the
 * counts it arranged, the handle values ObInsertObject returned, the access
 * it asked for.
 */
#include "obtest.h"
#include <kd.h>
#include <pool.h>
#include <rtl.h>

static char ObtOutput[8192];
static size_t ObtOutputLength;

static void ObtCapture(const char *Text, size_t Length)
{
    size_t Room = sizeof(ObtOutput) - 1 - ObtOutputLength;
    Length = MIN(Length, Room);
    memcpy(ObtOutput + ObtOutputLength, Text, Length);
    ObtOutputLength += Length;
    ObtOutput[ObtOutputLength] = '\0';
}

/* Runs a kd> command line and returns what it printed. */
static const char *ObtRun(const char *Format, ...) PRINTF_LIKE(1, 2);
static const char *ObtRun(const char *Format, ...)
{
    char Line[96];
    va_list Args;
    va_start(Args, Format);
    vsnprintf(Line, sizeof(Line), Format, Args);
    va_end(Args);
    ObtOutputLength = 0;
    ObtOutput[0] = '\0';
    KeRegisterOutput(ObtCapture);
    KdExecute(Line);
    KeUnregisterOutput(ObtCapture);
    return ObtOutput;
}

/* !object: type with its address, counts, flags, the body's size, pool and tag. */
KTEST(obkd, object_shows_header_counts_and_pool_block)
{
    PVOID Object;
    HANDLE Handle;
    char Expected[96];
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Handle), STATUS_SUCCESS);
    ObReferenceObject(Object);
    const char *Out = ObtRun("!object %x", (ULONG)Object);
    snprintf(Expected, sizeof(Expected), "Object: %08x  Type: (%08x) ObTestA", (ULONG)Object, (ULONG)ObtType);
    EXPECT_TRUE(ObtContains(Out, Expected));
    snprintf(Expected, sizeof(Expected), "ObjectHeader: %08x", (ULONG)OBJECT_TO_OBJECT_HEADER(Object));
    EXPECT_TRUE(ObtContains(Out, Expected));
    EXPECT_TRUE(ObtContains(Out, "HandleCount: 1  PointerCount: 2"));
    EXPECT_TRUE(ObtContains(Out, "Flags: 02 KERNEL_OBJECT"));
    snprintf(Expected, sizeof(Expected), "Body: 0x%x bytes;", (ULONG)sizeof(OBT_BODY));
    EXPECT_TRUE(ObtContains(Out, Expected));
    EXPECT_TRUE(ObtContains(Out, "Nonpaged pool, tag ObTa"));
    ObDereferenceObject(Object);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);

    /* A new object: no handle yet. A type: an object of type "Type". */
    ASSERT_EQ(ObtCreate(ObtPagedType, 0, &Object), STATUS_SUCCESS);
    Out = ObtRun("!object %x", (ULONG)Object);
    EXPECT_TRUE(ObtContains(Out, "HandleCount: 0  PointerCount: 1"));
    EXPECT_TRUE(ObtContains(Out, "NEW_OBJECT"));
    EXPECT_TRUE(ObtContains(Out, "Paged pool, tag ObTp"));
    ObDereferenceObject(Object);
    /* Deleted: the freed block may still hold the header, but it is no object. */
    Out = ObtRun("!object %x", (ULONG)Object);
    EXPECT_TRUE(ObtContains(Out, "the object was deleted") || ObtContains(Out, "is not an object"));
    EXPECT_FALSE(ObtContains(Out, "HandleCount"));
    Out = ObtRun("!object %x", (ULONG)ObtType);
    snprintf(Expected, sizeof(Expected), "Type: (%08x) Type", (ULONG)ObpTypeObjectType);
    EXPECT_TRUE(ObtContains(Out, Expected));
    EXPECT_TRUE(ObtContains(Out, "static type table (its objects' tag: ObTa)"));
}

/* !object refuses what is not an object: a plain pool block, an unmapped address, a stray argument. */
KTEST(obkd, object_refuses_what_is_not_an_object)
{
    PULONG Block = ExAllocatePoolWithTag(NonPagedPool, 64, MAKE_TAG('O', 'b', 'T', 'k'));
    ASSERT_NOT_NULL(Block);
    memset(Block, 0x5A, 64);
    EXPECT_TRUE(ObtContains(ObtRun("!object %x", (ULONG)(Block + 8)), "is not an object"));
    ExFreePoolWithTag(Block, MAKE_TAG('O', 'b', 'T', 'k'));
    EXPECT_TRUE(ObtContains(ObtRun("!object 1000"), "is not an object"));
    EXPECT_TRUE(ObtContains(ObtRun("!object 1000 2000"), "unexpected argument '2000'"));
    EXPECT_TRUE(ObtContains(ObtRun("!object"), "usage: !object ADDR"));
}

/* !handle lists every open handle with its object, access and type; !handle HANDLE shows one. */
KTEST(obkd, handle_lists_open_handles)
{
    PVOID First, Second;
    HANDLE Plain, Kernel;
    char Expected[96];
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_QUERY, &First, &Plain), STATUS_SUCCESS);
    ASSERT_EQ(ObtCreateHandle(ObtOtherType, OBJ_KERNEL_HANDLE, GENERIC_READ, &Second, &Kernel), STATUS_SUCCESS);
    const char *Out = ObtRun("!handle");
    EXPECT_TRUE(ObtContains(Out, "Image: System"));
    EXPECT_TRUE(ObtContains(Out, "Kernel handle table at"));
    snprintf(Expected, sizeof(Expected), "%04x: Object: %08x  GrantedAccess: %08x", (ULONG)Plain, (ULONG)First,
             OBT_QUERY);
    EXPECT_TRUE(ObtContains(Out, Expected));
    snprintf(Expected, sizeof(Expected), "%04x: Object: %08x  GrantedAccess: %08x",
             (ULONG)Kernel & ~KERNEL_HANDLE_MASK, (ULONG)Second, READ_CONTROL | OBT_QUERY);
    EXPECT_TRUE(ObtContains(Out, Expected));
    snprintf(Expected, sizeof(Expected), "Type: (%08x) ObTestB", (ULONG)ObtOtherType);
    EXPECT_TRUE(ObtContains(Out, Expected));

    Out = ObtRun("!handle %x", (ULONG)Kernel);
    snprintf(Expected, sizeof(Expected), "%04x: Object: %08x", (ULONG)Kernel & ~KERNEL_HANDLE_MASK, (ULONG)Second);
    EXPECT_TRUE(ObtContains(Out, Expected));
    snprintf(Expected, sizeof(Expected), "Object: %08x  Type", (ULONG)First);
    EXPECT_FALSE(ObtContains(Out, Expected));
    EXPECT_TRUE(ObtContains(Out, "HandleCount: 1  PointerCount: 1"));

    EXPECT_EQ(NtClose(Plain), STATUS_SUCCESS);
    EXPECT_TRUE(ObtContains(ObtRun("!handle %x", (ULONG)Plain), "is not open"));
    EXPECT_TRUE(ObtContains(ObtRun("!handle 4 8"), "unexpected argument '8'"));
    EXPECT_EQ(NtClose(Kernel), STATUS_SUCCESS);
}
