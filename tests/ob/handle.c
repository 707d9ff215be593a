/*
 * tests/ob/handle.c — handles: their values, closing, the type and access
 * checks of ObReferenceObjectByHandle, what ObInsertObject grants and
 * consumes, kernel handles, the pseudo-handles, close procedures, and the
 * kernel table growing past one page and giving the page back.
 *
 * Expectations are NT's: values are multiples of 4, never 0 and never a
 * multiple of 0x800 (entry 0 of each 512-entry page is reserved), the two low
 * bits are ignored, a kernel handle is a kernel-table value with bit 31 set,
 * kernel-mode callers are not access-checked, NtCurrentProcess() is -1.
 */
#include "obtest.h"
#include <rtl.h>

/* Forty handles: distinct, multiples of 4, never 0, none on a reserved entry. */
KTEST(obhandle, values_are_multiples_of_four_never_zero)
{
    static HANDLE Handles[40];
    PVOID Object;
    ObtInitialize();
    ULONG Deletes = ObtDeleteCalls;
    for (ULONG i = 0; i < ARRAY_SIZE(Handles); i++) {
        ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Handles[i]), STATUS_SUCCESS);
        ULONG Value = (ULONG)Handles[i];
        EXPECT_NE(Value, 0u);
        EXPECT_EQ(Value % 4, 0u);
        EXPECT_NE(Value % 0x800, 0u);
        EXPECT_EQ(Value & KERNEL_HANDLE_MASK, 0u);
        for (ULONG j = 0; j < i; j++)
            EXPECT_NE(Handles[j], Handles[i]);
    }
    for (ULONG i = 0; i < ARRAY_SIZE(Handles); i++)
        EXPECT_EQ(NtClose(Handles[i]), STATUS_SUCCESS);
    EXPECT_EQ(ObtDeleteCalls, Deletes + ARRAY_SIZE(Handles));
}

/* A fresh table hands out 4, 8, 0xC ...; the handle closed last is the one reused first. */
KTEST(obhandle, fresh_table_starts_at_four_and_reuses_the_last_closed)
{
    EPROCESS Process = { .UniqueProcessId = 0x7E57 };
    HANDLE Source, Handle[3], Again;
    PVOID Object;
    ObtInitialize();
    ASSERT_EQ(ObInitProcess(NULL, &Process), STATUS_SUCCESS);
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Source), STATUS_SUCCESS);
    for (ULONG i = 0; i < 3; i++)
        EXPECT_EQ(ObDuplicateObject(PsInitialSystemProcess, Source, &Process, &Handle[i], 0, 0,
                                    DUPLICATE_SAME_ACCESS, KernelMode), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)Handle[0], 4u);
    EXPECT_EQ((ULONG)Handle[1], 8u);
    EXPECT_EQ((ULONG)Handle[2], 0xCu);
    EXPECT_EQ(ObDuplicateObject(&Process, Handle[1], NULL, NULL, 0, 0, DUPLICATE_CLOSE_SOURCE, KernelMode),
              STATUS_SUCCESS);
    EXPECT_EQ(ObDuplicateObject(PsInitialSystemProcess, Source, &Process, &Again, 0, 0, DUPLICATE_SAME_ACCESS,
                                KernelMode), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)Again, 8u);
    ObKillProcess(&Process);
    EXPECT_NULL(Process.ObjectTable);
    EXPECT_EQ(NtClose(Source), STATUS_SUCCESS);
}

/* A closed handle is gone: closing or using it again is STATUS_INVALID_HANDLE. */
KTEST(obhandle, closing_twice_is_invalid_handle)
{
    PVOID Object, Found = (PVOID)1;
    HANDLE Handle;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Handle), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Handle), STATUS_INVALID_HANDLE);
    EXPECT_EQ(ObReferenceObjectByHandle(Handle, 0, ObtType, KernelMode, &Found, NULL), STATUS_INVALID_HANDLE);
    EXPECT_NULL(Found);
}

/* Handles that were never open: 0, a reserved entry, beyond the table, the pseudo-handles, a stray kernel handle. */
KTEST(obhandle, handles_never_opened_are_invalid)
{
    static const ULONG Bad[] = { 0, 0x800, 0x1000, 0x7FFFFFFC, 0xFFFFFFFF, 0xFFFFFFFE, 0x80000800, 0xC0000000 };
    PVOID Object;
    for (ULONG i = 0; i < ARRAY_SIZE(Bad); i++) {
        EXPECT_EQ(NtClose((HANDLE)Bad[i]), STATUS_INVALID_HANDLE);
        if (Bad[i] != 0xFFFFFFFF && Bad[i] != 0xFFFFFFFE)
            EXPECT_EQ(ObReferenceObjectByHandle((HANDLE)Bad[i], 0, NULL, KernelMode, &Object, NULL),
                      STATUS_INVALID_HANDLE);
    }
}

/* The two low bits of a handle value are tag bits NT ignores: 5, 6 and 7 name handle 4. */
KTEST(obhandle, tag_bits_are_ignored)
{
    PVOID Object, Found;
    HANDLE Handle;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Handle), STATUS_SUCCESS);
    for (ULONG Tag = 1; Tag < 4; Tag++) {
        EXPECT_EQ(ObReferenceObjectByHandle((HANDLE)((ULONG)Handle | Tag), 0, ObtType, KernelMode, &Found, NULL),
                  STATUS_SUCCESS);
        EXPECT_EQ(Found, Object);
        ObDereferenceObject(Found);
    }
    EXPECT_EQ(NtClose((HANDLE)((ULONG)Handle | 3)), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Handle), STATUS_INVALID_HANDLE);
}

/* A handle to one type asked for as another: STATUS_OBJECT_TYPE_MISMATCH, no reference taken. */
KTEST(obhandle, wrong_type_is_a_mismatch)
{
    PVOID Object, Found = (PVOID)1;
    HANDLE Handle;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Handle), STATUS_SUCCESS);
    EXPECT_EQ(ObReferenceObjectByHandle(Handle, 0, ObtOtherType, KernelMode, &Found, NULL),
              STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_NULL(Found);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 1u);
    EXPECT_EQ(ObReferenceObjectByHandle(Handle, 0, NULL, KernelMode, &Found, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Found, Object);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 2u);
    ObDereferenceObject(Found);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
}

/* User mode gets only the rights its handle was granted; kernel mode is not checked (NT). */
KTEST(obhandle, access_is_checked_from_user_mode_only)
{
    PVOID Object, Found = (PVOID)1;
    HANDLE Handle;
    OBJECT_HANDLE_INFORMATION Information;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_QUERY, &Object, &Handle), STATUS_SUCCESS);
    EXPECT_EQ(ObReferenceObjectByHandle(Handle, OBT_MODIFY, ObtType, UserMode, &Found, NULL), STATUS_ACCESS_DENIED);
    EXPECT_NULL(Found);
    EXPECT_EQ(ObReferenceObjectByHandle(Handle, OBT_QUERY | OBT_MODIFY, ObtType, UserMode, &Found, NULL),
              STATUS_ACCESS_DENIED);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 1u);
    EXPECT_EQ(ObReferenceObjectByHandle(Handle, OBT_QUERY, ObtType, UserMode, &Found, &Information), STATUS_SUCCESS);
    EXPECT_EQ(Information.GrantedAccess, OBT_QUERY);
    ObDereferenceObject(Found);
    EXPECT_EQ(ObReferenceObjectByHandle(Handle, OBT_MODIFY, ObtType, KernelMode, &Found, NULL), STATUS_SUCCESS);
    ObDereferenceObject(Found);
    /* Type before access: a wrong type with a wrong right is a mismatch. */
    EXPECT_EQ(ObReferenceObjectByHandle(Handle, OBT_MODIFY, ObtOtherType, UserMode, &Found, NULL),
              STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
}

/* The rights a new handle gets: generic ones mapped, MAXIMUM_ALLOWED is everything, others dropped. */
KTEST(obhandle, insert_maps_the_desired_access)
{
    static const struct { ACCESS_MASK Desired, Granted; } Cases[] = {
        { GENERIC_READ, READ_CONTROL | OBT_QUERY },
        { GENERIC_WRITE | SYNCHRONIZE, READ_CONTROL | OBT_MODIFY | SYNCHRONIZE },
        { MAXIMUM_ALLOWED, OBT_ALL_ACCESS },
        { GENERIC_ALL | 0x8000, OBT_ALL_ACCESS },
        { 0x0100, 0 },
        { OBT_QUERY, OBT_QUERY },
    };
    PVOID Object;
    HANDLE Handle;
    ObtInitialize();
    for (ULONG i = 0; i < ARRAY_SIZE(Cases); i++) {
        ASSERT_EQ(ObtCreateHandle(ObtType, 0, Cases[i].Desired, &Object, &Handle), STATUS_SUCCESS);
        EXPECT_EQ(ObtGrantedAccess(Handle), Cases[i].Granted);
        EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    }
}

/* ObInsertObject consumes the creator's reference even when it fails: the object is deleted. */
KTEST(obhandle, insert_consumes_the_reference_when_it_fails)
{
    PVOID Object, Back = (PVOID)1;
    HANDLE Handle = (HANDLE)1;
    ObtInitialize();
    ULONG Deletes = ObtDeleteCalls;
    ASSERT_EQ(ObtCreate(ObtType, 0, &Object), STATUS_SUCCESS);
    EXPECT_EQ(ObInsertObject(Object, NULL, OBT_ALL_ACCESS, 0, &Back, NULL), STATUS_INVALID_PARAMETER);
    EXPECT_NULL(Back);
    EXPECT_EQ(ObtDeleteCalls, Deletes + 1);
    ASSERT_EQ(ObtCreate(ObtType, 0, &Object), STATUS_SUCCESS);
    EXPECT_EQ(ObInsertObject(Object, (PVOID)&Handle, OBT_ALL_ACCESS, 0, NULL, &Handle), STATUS_INVALID_PARAMETER);
    EXPECT_NULL(Handle);
    EXPECT_EQ(ObtDeleteCalls, Deletes + 2);

    /* Inserting twice: the second call is refused and takes the reference it was given. */
    ASSERT_EQ(ObtCreate(ObtType, 0, &Object), STATUS_SUCCESS);
    ASSERT_EQ(ObInsertObject(Object, NULL, OBT_ALL_ACCESS, 1, NULL, &Handle), STATUS_SUCCESS);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 2u);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->Flags & OB_FLAG_NEW_OBJECT, 0);
    HANDLE Second;
    EXPECT_EQ(ObInsertObject(Object, NULL, OBT_ALL_ACCESS, 0, NULL, &Second), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 1u);
    EXPECT_EQ(ObtDeleteCalls, Deletes + 2);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    EXPECT_EQ(ObtDeleteCalls, Deletes + 3);
}

/* ObjectPointerBias references are the caller's, given back in *NewObject; the handle holds one more. */
KTEST(obhandle, insert_pointer_bias_goes_to_the_caller)
{
    PVOID Object, Back;
    HANDLE Handle;
    ObtInitialize();
    ULONG Deletes = ObtDeleteCalls;
    ASSERT_EQ(ObtCreate(ObtType, 0, &Object), STATUS_SUCCESS);
    ASSERT_EQ(ObInsertObject(Object, NULL, OBT_ALL_ACCESS, 2, &Back, &Handle), STATUS_SUCCESS);
    EXPECT_EQ(Back, Object);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 3u);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 1);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 2u);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 0);
    ObDereferenceObject(Object);
    EXPECT_EQ(ObtDeleteCalls, Deletes);
    ObDereferenceObject(Object);
    EXPECT_EQ(ObtDeleteCalls, Deletes + 1);
}

/* OBJ_INHERIT is a handle attribute: ObReferenceObjectByHandle reports it. */
KTEST(obhandle, handle_attributes_are_reported)
{
    PVOID Object;
    HANDLE Inherited, Plain;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, OBJ_INHERIT, OBT_ALL_ACCESS, &Object, &Inherited), STATUS_SUCCESS);
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Plain), STATUS_SUCCESS);
    EXPECT_EQ(ObtHandleAttributes(Inherited), OBJ_INHERIT);
    EXPECT_EQ(ObtHandleAttributes(Plain), 0u);
    EXPECT_EQ(NtClose(Inherited), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Plain), STATUS_SUCCESS);
}

/* OBJ_KERNEL_HANDLE from kernel mode: the value has bit 31 set, and only kernel mode can use it. */
KTEST(obhandle, kernel_handles_carry_the_top_bit)
{
    PVOID Object, Found;
    HANDLE Kernel, Plain;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, OBJ_KERNEL_HANDLE, OBT_ALL_ACCESS, &Object, &Kernel), STATUS_SUCCESS);
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Found, &Plain), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)Kernel & KERNEL_HANDLE_MASK, KERNEL_HANDLE_MASK);
    EXPECT_EQ((ULONG)Kernel % 4, 0u);
    EXPECT_NE((ULONG)Kernel & ~KERNEL_HANDLE_MASK, 0u);
    EXPECT_TRUE(ObIsKernelHandle(Kernel));
    EXPECT_FALSE(ObIsKernelHandle(Plain));
    EXPECT_FALSE(ObIsKernelHandle(NtCurrentProcess()));
    EXPECT_FALSE(ObIsKernelHandle(NtCurrentThread()));

    EXPECT_EQ(ObReferenceObjectByHandle(Kernel, 0, ObtType, KernelMode, &Found, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Found, Object);
    ObDereferenceObject(Found);
    EXPECT_EQ(ObReferenceObjectByHandle(Kernel, 0, ObtType, UserMode, &Found, NULL), STATUS_INVALID_HANDLE);
    EXPECT_EQ(ObCloseHandle(Kernel, UserMode), STATUS_INVALID_HANDLE);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 1);

    /* The kernel table is the system process's: while it is the current process, the bare value is the same entry. */
    HANDLE Bare = (HANDLE)((ULONG)Kernel & ~KERNEL_HANDLE_MASK);
    ASSERT_EQ(PsGetCurrentProcess(), PsInitialSystemProcess);
    EXPECT_EQ(ObReferenceObjectByHandle(Bare, 0, ObtType, UserMode, &Found, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Found, Object);
    ObDereferenceObject(Found);

    EXPECT_EQ(NtClose(Kernel), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Bare), STATUS_INVALID_HANDLE);
    EXPECT_EQ(NtClose(Plain), STATUS_SUCCESS);
}

/* -1 and -2 are in no table: never closable; typed as something else, a mismatch; untyped, nothing yet. */
KTEST(obhandle, pseudo_handles)
{
    PVOID Object;
    ObtInitialize();
    EXPECT_EQ((LONG)NtCurrentProcess(), -1);
    EXPECT_EQ((LONG)NtCurrentThread(), -2);
    EXPECT_EQ(NtClose(NtCurrentProcess()), STATUS_INVALID_HANDLE);
    EXPECT_EQ(NtClose(NtCurrentThread()), STATUS_INVALID_HANDLE);
    EXPECT_EQ(ObReferenceObjectByHandle(NtCurrentProcess(), 0, ObtType, KernelMode, &Object, NULL),
              STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(ObReferenceObjectByHandle(NtCurrentThread(), 0, ObtType, KernelMode, &Object, NULL),
              STATUS_OBJECT_TYPE_MISMATCH);
    NTSTATUS Status = ObReferenceObjectByHandle(NtCurrentProcess(), 0, NULL, KernelMode, &Object, NULL);
    if (PsProcessType) {
        EXPECT_EQ(Status, STATUS_SUCCESS);
        EXPECT_EQ(Object, PsGetCurrentProcess());
        if (NT_SUCCESS(Status))
            ObDereferenceObject(Object);
    } else {
        EXPECT_EQ(Status, STATUS_INVALID_HANDLE);   /* no Process type: the process is not an object yet */
        EXPECT_NULL(Object);
    }
}

/* The close procedure runs for every handle, after it left the table, with the count before the close. */
KTEST(obhandle, close_procedure_sees_every_close)
{
    PVOID Object;
    HANDLE Handle[3];
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_QUERY, &Object, &Handle[0]), STATUS_SUCCESS);
    ASSERT_EQ(ObOpenObjectByPointer(Object, 0, NULL, OBT_MODIFY, ObtType, KernelMode, &Handle[1]), STATUS_SUCCESS);
    ASSERT_EQ(ObOpenObjectByPointer(Object, OBJ_KERNEL_HANDLE, NULL, SYNCHRONIZE, ObtType, KernelMode, &Handle[2]),
              STATUS_SUCCESS);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 3);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 3u);
    static const ACCESS_MASK Access[3] = { OBT_QUERY, OBT_MODIFY, SYNCHRONIZE };
    ULONG Closes = ObtCloseCalls, Deletes = ObtDeleteCalls;
    for (ULONG i = 0; i < 3; i++) {
        EXPECT_EQ(NtClose(Handle[i]), STATUS_SUCCESS);
        EXPECT_EQ(ObtCloseCalls, Closes + i + 1);
        EXPECT_EQ(ObtLastCloseHandleCount, 3 - i);
        EXPECT_EQ(ObtLastCloseAccess, Access[i]);
        EXPECT_EQ(ObtLastCloseProcess, PsInitialSystemProcess);
        EXPECT_EQ(ObtDeleteCalls, Deletes + (i == 2));
    }
}

/* ObOpenObjectByPointer: type-checked from user mode, no access state, a reference that becomes the handle's. */
KTEST(obhandle, open_by_pointer)
{
    PVOID Object;
    HANDLE Handle = (HANDLE)1, Opened;
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Handle), STATUS_SUCCESS);
    EXPECT_EQ(ObOpenObjectByPointer(Object, 0, NULL, OBT_QUERY, ObtOtherType, UserMode, &Opened),
              STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_NULL(Opened);
    EXPECT_EQ(ObOpenObjectByPointer(Object, 0, (PVOID)&Opened, OBT_QUERY, ObtType, KernelMode, &Opened),
              STATUS_INVALID_PARAMETER);
    EXPECT_EQ(ObOpenObjectByPointer(Object, 0x1, NULL, OBT_QUERY, ObtType, KernelMode, &Opened),
              STATUS_INVALID_PARAMETER);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 1u);
    /* From user mode OBJ_KERNEL_HANDLE is not honoured: the handle goes to the process's table. */
    ASSERT_EQ(ObOpenObjectByPointer(Object, OBJ_KERNEL_HANDLE, NULL, GENERIC_READ, ObtType, UserMode, &Opened),
              STATUS_SUCCESS);
    EXPECT_FALSE(ObIsKernelHandle(Opened));
    EXPECT_EQ(ObtGrantedAccess(Opened), READ_CONTROL | OBT_QUERY);
    EXPECT_EQ(ObGetObjectPointerCount(Object), 2u);
    EXPECT_EQ(NtClose(Opened), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
}

/*
 * 600 handles to one object: the kernel table grows a second low-level page
 * and a mid-level page (level 1), none of the values repeats or falls on a
 * reserved entry; closing them all and compacting gives both pages back.
 */
KTEST(obhandle, kernel_table_grows_past_one_page_and_gives_it_back)
{
    static HANDLE Handles[600];
    static ULONG Seen[0x1000 / 4 / 32 + 1];
    PVOID Object;
    HANDLE First;
    ObtInitialize();
    PHANDLE_TABLE Table = ObpKernelHandleTable;
    ASSERT_EQ(ExpHandleTablePages(Table), 1u);
    ASSERT_EQ(ExpHandleTableLevel(Table), 0u);
    SIZE_T TableBytes = ObtPoolBytes(OBP_HANDLE_TABLE_TAG);
    LONG Open = Table->HandleCount;

    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &First), STATUS_SUCCESS);
    memset(Seen, 0, sizeof(Seen));
    for (ULONG i = 0; i < ARRAY_SIZE(Handles); i++) {
        ASSERT_EQ(ObOpenObjectByPointer(Object, 0, NULL, OBT_QUERY, ObtType, KernelMode, &Handles[i]),
                  STATUS_SUCCESS);
        ULONG Value = (ULONG)Handles[i];
        ASSERT_LT(Value, 0x1000u);
        EXPECT_EQ(Value % 4, 0u);
        EXPECT_NE(Value % 0x800, 0u);
        EXPECT_EQ(Seen[Value / 4 / 32] & (1u << (Value / 4 % 32)), 0u);
        Seen[Value / 4 / 32] |= 1u << (Value / 4 % 32);
    }
    EXPECT_EQ(ExpHandleTablePages(Table), 2u);
    EXPECT_EQ(ExpHandleTableLevel(Table), 1u);
    EXPECT_EQ(ObtPoolBytes(OBP_HANDLE_TABLE_TAG), TableBytes + 2 * PAGE_SIZE);
    EXPECT_EQ(Table->HandleCount, Open + 601);
    EXPECT_EQ(OBJECT_TO_OBJECT_HEADER(Object)->HandleCount, 601);

    for (ULONG i = 0; i < ARRAY_SIZE(Handles); i++)
        EXPECT_EQ(NtClose(Handles[i]), STATUS_SUCCESS);
    for (ULONG i = 0; i < ARRAY_SIZE(Handles); i += 97)
        EXPECT_EQ(NtClose(Handles[i]), STATUS_INVALID_HANDLE);
    EXPECT_EQ(ExpHandleTablePages(Table), 2u);          /* NT keeps a grown table */
    EXPECT_EQ(ExpCompactHandleTable(Table), 1u);
    EXPECT_EQ(ExpHandleTablePages(Table), 1u);
    EXPECT_EQ(ExpHandleTableLevel(Table), 0u);
    EXPECT_EQ(ObtPoolBytes(OBP_HANDLE_TABLE_TAG), TableBytes);
    EXPECT_EQ(ObtGrantedAccess(First), OBT_ALL_ACCESS);  /* the table still works: the surviving handle */
    EXPECT_EQ(NtClose(First), STATUS_SUCCESS);
    EXPECT_EQ(Table->HandleCount, Open);
}
