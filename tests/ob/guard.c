/*
 * tests/ob/guard.c — the object and handle leak guard catches what it must.
 *
 * Each test takes the guard's snapshot itself, leaks on purpose, asks the
 * guard to compare and reads its report, then cleans up and checks the
 * guard is quiet again, so the harness's own guard around the test (the
 * same code) sees nothing.
 */
#include "obtest.h"
#include <rtl.h>

typedef struct _OBT_REPORT {
    ULONG Lines;
    char Text[1024];
} OBT_REPORT;

static void ObtCollect(PVOID Context, const char *Line)
{
    OBT_REPORT *Report = Context;
    size_t Used = strlen(Report->Text);
    Report->Lines++;
    snprintf(Report->Text + Used, sizeof(Report->Text) - Used, "%s\n", Line);
}

static OB_LEAK_SNAPSHOT ObtBefore;
static OBT_REPORT ObtReport;

static ULONG ObtCompare(void)
{
    memset(&ObtReport, 0, sizeof(ObtReport));
    return ObpCompareLeakSnapshot(&ObtBefore, ObtCollect, &ObtReport);
}

/* An object nobody dropped: the guard names its type and the count. */
KTEST(obguard, names_a_leaked_object)
{
    PVOID Object;
    ObtInitialize();
    ObpTakeLeakSnapshot(&ObtBefore);
    EXPECT_EQ(ObtCompare(), 0u);
    ASSERT_EQ(ObtCreate(ObtOtherType, 0, &Object), STATUS_SUCCESS);
    EXPECT_EQ(ObtCompare(), 1u);
    EXPECT_TRUE(ObtContains(ObtReport.Text, "1 object of type 'ObTestB' left behind"));
    ObDereferenceObject(Object);
    EXPECT_EQ(ObtCompare(), 0u);
}

/* A handle nobody closed: the guard names the handle value, the kernel handle value, the object and its type. */
KTEST(obguard, names_a_leaked_handle)
{
    PVOID Object;
    HANDLE Handle;
    char Expected[96];
    ObtInitialize();
    ObpTakeLeakSnapshot(&ObtBefore);
    ASSERT_EQ(ObtCreateHandle(ObtOtherType, OBJ_KERNEL_HANDLE, OBT_ALL_ACCESS, &Object, &Handle), STATUS_SUCCESS);
    EXPECT_EQ(ObtCompare(), 2u);            /* the object, and its handle */
    snprintf(Expected, sizeof(Expected), "handle 0x%x (kernel handle 0x%08x) in the kernel handle table left open",
             (ULONG)Handle & ~KERNEL_HANDLE_MASK, (ULONG)Handle);
    EXPECT_TRUE(ObtContains(ObtReport.Text, Expected));
    snprintf(Expected, sizeof(Expected), "object %08x of type 'ObTestB'", (ULONG)Object);
    EXPECT_TRUE(ObtContains(ObtReport.Text, Expected));
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    EXPECT_EQ(ObtCompare(), 0u);
}

/* A test that closes a handle it did not open, deleting an object that was there before, is named too. */
KTEST(obguard, names_a_handle_closed_that_was_open_before)
{
    PVOID Object;
    HANDLE Handle;
    char Expected[96];
    ObtInitialize();
    ASSERT_EQ(ObtCreateHandle(ObtOtherType, 0, OBT_ALL_ACCESS, &Object, &Handle), STATUS_SUCCESS);
    ObpTakeLeakSnapshot(&ObtBefore);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    EXPECT_EQ(ObtCompare(), 2u);
    snprintf(Expected, sizeof(Expected), "handle 0x%x (kernel handle 0x%08x) in the kernel handle table, open before",
             (ULONG)Handle, (ULONG)Handle | KERNEL_HANDLE_MASK);
    EXPECT_TRUE(ObtContains(ObtReport.Text, Expected));
    EXPECT_TRUE(ObtContains(ObtReport.Text, "1 object of type 'ObTestB' that existed before the test deleted"));
}

/* Objects and handles made and given back between the two readings leave the guard quiet. */
KTEST(obguard, quiet_when_everything_is_given_back)
{
    PVOID Object;
    HANDLE Handle, Copy;
    ObtInitialize();
    ObpTakeLeakSnapshot(&ObtBefore);
    ASSERT_EQ(ObtCreateHandle(ObtType, 0, OBT_ALL_ACCESS, &Object, &Handle), STATUS_SUCCESS);
    ASSERT_EQ(NtDuplicateObject(NtCurrentProcess(), Handle, NtCurrentProcess(), &Copy, 0, 0, DUPLICATE_SAME_ACCESS),
              STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    EXPECT_EQ(NtClose(Copy), STATUS_SUCCESS);
    EXPECT_EQ(ObtCompare(), 0u);
    EXPECT_EQ(ObtReport.Lines, 0u);
}
