/*
 * tests/ob/dup.c — NtDuplicateObject and ObDuplicateObject: same, narrowed
 * and widened access, closing the source, attributes and kernel handles,
 * bad process handles; a second process's table, filled past two pages and
 * past NT's second level, closed handle by handle and killed.
 *
 * NT's rules pinned here: DUPLICATE_SAME_ACCESS copies the source's rights;
 * a right the source lacks is STATUS_ACCESS_DENIED (for a type without a
 * security procedure, which every mm386 type is); DUPLICATE_CLOSE_SOURCE
 * closes the source even when the duplicate fails; no target process without
 * DUPLICATE_CLOSE_SOURCE is STATUS_INVALID_PARAMETER.
 */
#include "obtest.h"
#include <rtl.h>
#include "../../mm/mi.h"

static NTSTATUS Duplicate(HANDLE Source, ACCESS_MASK Access, ULONG Attributes, ULONG Options, PHANDLE Target)
{
    return NtDuplicateObject(NtCurrentProcess(), Source, NtCurrentProcess(), Target, Access, Attributes, Options);
}

/* DUPLICATE_SAME_ACCESS: a second handle with the source's rights; two handles, two references. */
KTEST(obdup, same_access)
{
    PVOID Object;
    HANDLE Source, Copy;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_QUERY | SYNCHRONIZE, &Object, &Source), STATUS_SUCCESS);
    ASSERT_EQ(Duplicate(Source, OBT_MODIFY, 0, DUPLICATE_SAME_ACCESS, &Copy), STATUS_SUCCESS);
    EXPECT_NE(Copy, Source);
    EXPECT_EQ(ObtGrantedAccess(Copy), OBT_QUERY | SYNCHRONIZE);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 2);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 2u);
    EXPECT_EQ(NtClose(Source), STATUS_SUCCESS);
    EXPECT_EQ(ObtGrantedAccess(Copy), OBT_QUERY | SYNCHRONIZE);
    EXPECT_EQ(NtClose(Copy), STATUS_SUCCESS);
}

/* A narrower duplicate: user mode gets less through it than through the source. */
KTEST(obdup, narrowed_access)
{
    PVOID Object, Found;
    HANDLE Source, Narrow;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Source), STATUS_SUCCESS);
    ASSERT_EQ(Duplicate(Source, GENERIC_READ, 0, 0, &Narrow), STATUS_SUCCESS);
    EXPECT_EQ(ObtGrantedAccess(Narrow), READ_CONTROL | OBT_QUERY);
    EXPECT_EQ(ObReferenceObjectByHandle(Narrow, OBT_MODIFY, ObtType, UserMode, &Found, NULL), STATUS_ACCESS_DENIED);
    EXPECT_EQ(ObReferenceObjectByHandle(Source, OBT_MODIFY, ObtType, UserMode, &Found, NULL), STATUS_SUCCESS);
    ObDereferenceObject(Found);
    EXPECT_EQ(NtClose(Narrow), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Source), STATUS_SUCCESS);
}

/* Asking for a right the source lacks is STATUS_ACCESS_DENIED; nothing is made, nothing leaks. */
KTEST(obdup, widened_access_is_denied)
{
    PVOID Object;
    HANDLE Source, Wide = (HANDLE)1;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_QUERY, &Object, &Source), STATUS_SUCCESS);
    EXPECT_EQ(Duplicate(Source, OBT_QUERY | OBT_MODIFY, 0, 0, &Wide), STATUS_ACCESS_DENIED);
    EXPECT_NULL(Wide);
    EXPECT_EQ(Duplicate(Source, GENERIC_ALL, 0, 0, &Wide), STATUS_ACCESS_DENIED);
    EXPECT_EQ(Duplicate(Source, MAXIMUM_ALLOWED, 0, 0, &Wide), STATUS_ACCESS_DENIED);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 1);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 1u);
    EXPECT_EQ(Duplicate(Source, OBT_QUERY, 0, 0, &Wide), STATUS_SUCCESS);    /* the same rights are no widening */
    EXPECT_EQ(NtClose(Wide), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Source), STATUS_SUCCESS);
}

/* DUPLICATE_CLOSE_SOURCE moves a handle; the source closes even when the duplicate is refused. */
KTEST(obdup, close_source)
{
    PVOID Object;
    HANDLE Source, Moved;
    ObtInitialize();
    ULONG Deletes = ObtDeleteCalls;
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_QUERY, &Object, &Source), STATUS_SUCCESS);
    ASSERT_EQ(Duplicate(Source, 0, 0, DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE, &Moved), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Source), STATUS_INVALID_HANDLE);
    EXPECT_EQ(ObtGrantedAccess(Moved), OBT_QUERY);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 1);
    EXPECT_EQ(ObtLastCloseHandleCount, 2u);     /* the source closed after the duplicate existed */

    EXPECT_EQ(Duplicate(Moved, OBT_MODIFY, 0, DUPLICATE_CLOSE_SOURCE, &Source), STATUS_ACCESS_DENIED);
    EXPECT_EQ(NtClose(Moved), STATUS_INVALID_HANDLE);
    EXPECT_EQ(ObtDeleteCalls, Deletes + 1);
}

/* With no target process, DUPLICATE_CLOSE_SOURCE just closes; without it the call is invalid. */
KTEST(obdup, no_target_process)
{
    PVOID Object;
    HANDLE Source, Target = (HANDLE)1;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_QUERY, &Object, &Source), STATUS_SUCCESS);
    EXPECT_EQ(NtDuplicateObject(NtCurrentProcess(), Source, NULL, &Target, 0, 0, DUPLICATE_SAME_ACCESS),
              STATUS_INVALID_PARAMETER);
    EXPECT_NULL(Target);
    EXPECT_EQ(ObtGrantedAccess(Source), OBT_QUERY);
    EXPECT_EQ(NtDuplicateObject(NtCurrentProcess(), Source, NULL, NULL, 0, 0, DUPLICATE_CLOSE_SOURCE),
              STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Source), STATUS_INVALID_HANDLE);
}

/* Attributes: OBJ_INHERIT given or copied (DUPLICATE_SAME_ATTRIBUTES); OBJ_KERNEL_HANDLE into the system process. */
KTEST(obdup, attributes_and_kernel_handles)
{
    PVOID Object;
    HANDLE Source, Same, Plain, Kernel, FromKernel;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, OBJ_INHERIT, OBT_ALL_ACCESS, &Object, &Source), STATUS_SUCCESS);
    ASSERT_EQ(Duplicate(Source, 0, 0, DUPLICATE_SAME_ACCESS | DUPLICATE_SAME_ATTRIBUTES, &Same), STATUS_SUCCESS);
    ASSERT_EQ(Duplicate(Source, 0, 0, DUPLICATE_SAME_ACCESS, &Plain), STATUS_SUCCESS);
    EXPECT_EQ(ObtHandleAttributes(Same), OBJ_INHERIT);
    EXPECT_EQ(ObtHandleAttributes(Plain), 0u);
    ASSERT_EQ(Duplicate(Source, 0, OBJ_KERNEL_HANDLE, DUPLICATE_SAME_ACCESS, &Kernel), STATUS_SUCCESS);
    EXPECT_TRUE(ObIsKernelHandle(Kernel));
    ASSERT_EQ(Duplicate(Kernel, OBT_QUERY, 0, 0, &FromKernel), STATUS_SUCCESS);
    EXPECT_FALSE(ObIsKernelHandle(FromKernel));
    EXPECT_EQ(ObtGrantedAccess(FromKernel), OBT_QUERY);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 5);
    HANDLE All[] = { Source, Same, Plain, Kernel, FromKernel };
    for (ULONG i = 0; i < ARRAY_SIZE(All); i++)
        EXPECT_EQ(NtClose(All[i]), STATUS_SUCCESS);
}

/* A bad source handle, and process handles that are not processes. */
KTEST(obdup, bad_handles)
{
    PVOID Object;
    HANDLE Source, Target;
    ObtInitialize();
    EXPECT_EQ(Duplicate((HANDLE)0x7FFC, 0, 0, DUPLICATE_SAME_ACCESS, &Target), STATUS_INVALID_HANDLE);
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Source), STATUS_SUCCESS);
    /* A handle, but to an ObTestA object, not to a process. */
    EXPECT_EQ(NtDuplicateObject(Source, Source, NtCurrentProcess(), &Target, 0, 0, DUPLICATE_SAME_ACCESS),
              STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(NtDuplicateObject((HANDLE)0x7FFC, Source, NtCurrentProcess(), &Target, 0, 0, DUPLICATE_SAME_ACCESS),
              STATUS_INVALID_HANDLE);
    EXPECT_EQ(NtDuplicateObject(NtCurrentProcess(), Source, (HANDLE)0x7FFC, &Target, 0, 0, DUPLICATE_SAME_ACCESS),
              STATUS_INVALID_HANDLE);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 1);
    EXPECT_EQ(NtClose(Source), STATUS_SUCCESS);
}

/* Handles in another process's table; ObKillProcess closes them all (close procedure told which process). */
KTEST(obdup, another_process_and_its_death)
{
    EPROCESS Process = { .UniqueProcessId = 0x7E57 }, Parent = { 0 };
    PVOID Object;
    HANDLE Source, There[2];
    ObtInitialize();
    EXPECT_EQ(ObInitProcess(&Parent, &Process), STATUS_NOT_IMPLEMENTED);
    ASSERT_EQ(ObInitProcess(NULL, &Process), STATUS_SUCCESS);
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Source), STATUS_SUCCESS);
    for (ULONG i = 0; i < 2; i++)
        ASSERT_EQ(ObDuplicateObject(PsInitialSystemProcess, Source, &Process, &There[i], OBT_QUERY, 0, 0, KernelMode),
                  STATUS_SUCCESS);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 3);
    /* Not in the current process: the current table does not have them. */
    EXPECT_EQ((ULONG)There[1], 8u);
    ULONG Closes = ObtCloseCalls;
    ObKillProcess(&Process);
    EXPECT_EQ(ObtCloseCalls, Closes + 2);
    EXPECT_EQ(ObtLastCloseProcess, &Process);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 1);
    EXPECT_NULL(Process.ObjectTable);
    /* A process without a table: nothing can be made there. */
    EXPECT_EQ(ObDuplicateObject(PsInitialSystemProcess, Source, &Process, &There[0], 0, 0, DUPLICATE_SAME_ACCESS,
                                KernelMode), STATUS_PROCESS_IS_TERMINATING);
    EXPECT_EQ(NtClose(Source), STATUS_SUCCESS);
}

/*
 * 1,100 handles in a second process: three low-level pages under a mid-level
 * page; each is closed on its own (DUPLICATE_CLOSE_SOURCE with no target,
 * NT's way to close another process's handle) and is then gone; the dead
 * process's table gives every page back.
 */
KTEST(obdup, another_table_grows_and_every_handle_closes)
{
    static HANDLE Handles[1100];
    EPROCESS Process = { .UniqueProcessId = 0x7E57 };
    PVOID Object, Found;
    HANDLE Source;
    ObtInitialize();
    SIZE_T TableBytes = ObtPoolBytes(OBP_HANDLE_TABLE_TAG);
    ASSERT_EQ(ObInitProcess(NULL, &Process), STATUS_SUCCESS);
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Source), STATUS_SUCCESS);
    for (ULONG i = 0; i < ARRAY_SIZE(Handles); i++) {
        ASSERT_EQ(ObDuplicateObject(PsInitialSystemProcess, Source, &Process, &Handles[i], 0, 0,
                                    DUPLICATE_SAME_ACCESS, KernelMode), STATUS_SUCCESS);
        /* Ascending from 4, 511 to a page: entry 0 of each page (0x800, 0x1000) is NT's reserved one. */
        EXPECT_EQ((ULONG)Handles[i], (i + 1 + i / 511) * 4);
    }
    EXPECT_EQ(ExpHandleTablePages(Process.ObjectTable), 3u);
    EXPECT_EQ(ExpHandleTableLevel(Process.ObjectTable), 1u);
    EXPECT_EQ(Process.ObjectTable->HandleCount, (LONG)ARRAY_SIZE(Handles));
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, (LONG)ARRAY_SIZE(Handles) + 1);
    for (ULONG i = 0; i < ARRAY_SIZE(Handles); i++) {
        EXPECT_EQ(ObDuplicateObject(&Process, Handles[i], NULL, NULL, 0, 0, DUPLICATE_CLOSE_SOURCE, KernelMode),
                  STATUS_SUCCESS);
        EXPECT_EQ(ObDuplicateObject(&Process, Handles[i], NULL, NULL, 0, 0, DUPLICATE_CLOSE_SOURCE, KernelMode),
                  STATUS_INVALID_HANDLE);
    }
    EXPECT_EQ(Process.ObjectTable->HandleCount, 0);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 1);
    ObKillProcess(&Process);
    EXPECT_EQ(ObtPoolBytes(OBP_HANDLE_TABLE_TAG), TableBytes);
    EXPECT_EQ(ObReferenceObjectByHandle(Source, 0, ObtType, KernelMode, &Found, NULL), STATUS_SUCCESS);
    ObDereferenceObject(Found);
    EXPECT_EQ(NtClose(Source), STATUS_SUCCESS);
}

/*
 * Past 523,264 handles (1,024 low-level pages of 511) the mid-level page is
 * full and NT's third level appears: a top-level array over two mid-level
 * pages. About 4 MB of paged pool; a machine without it skips.
 */
KTEST(obdup, another_table_reaches_the_third_level)
{
    const ULONG Level1Handles = 1024 * 511;
    EPROCESS Process = { .UniqueProcessId = 0x7E57 };
    PVOID Object;
    HANDLE Source, Handle = NULL;
    ULONG Made = 0;
    ObtInitialize();
    if (MmAvailablePages < 8192)
        KTEST_SKIP("needs 32 MB of free memory for 4 MB of handle table");
    SIZE_T TableBytes = ObtPoolBytes(OBP_HANDLE_TABLE_TAG);
    ASSERT_EQ(ObInitProcess(NULL, &Process), STATUS_SUCCESS);
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Source), STATUS_SUCCESS);
    NTSTATUS Status = STATUS_SUCCESS;
    while (Made < Level1Handles + 2 && NT_SUCCESS(Status)) {
        Status = ObDuplicateObject(PsInitialSystemProcess, Source, &Process, &Handle, 0, 0, DUPLICATE_SAME_ACCESS,
                                   KernelMode);
        Made += NT_SUCCESS(Status);
        if (Made == Level1Handles)
            EXPECT_EQ(ExpHandleTableLevel(Process.ObjectTable), 1u);
    }
    EXPECT_EQ(Status, STATUS_SUCCESS);
    EXPECT_EQ(Made, Level1Handles + 2);
    EXPECT_EQ(ExpHandleTableLevel(Process.ObjectTable), 2u);
    EXPECT_EQ(ExpHandleTablePages(Process.ObjectTable), 1025u);
    /* The last two: index 524,289 and 524,290 (524,288 is a reserved entry). */
    EXPECT_EQ((ULONG)Handle, (1024u * 512 + 2) * 4);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, (LONG)Made + 1);
    ObKillProcess(&Process);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 1);
    EXPECT_EQ(ObtPoolBytes(OBP_HANDLE_TABLE_TAG), TableBytes);
    EXPECT_EQ(NtClose(Source), STATUS_SUCCESS);
}
