/*
 * kernel/ob/obguard.c — the test harness's leak guard for objects and handles.
 *
 * Around every test the harness takes a snapshot and compares (include/
 * ktest.h). This guard's snapshot is the number of live objects of each type
 * (TotalNumberOfObjects) and the handles open in the kernel handle table and
 * in the current process's table when that is another one: each handle's
 * value and object. After the test it names what changed: "1 object of type
 * 'Event' left behind", "handle 0x10 (kernel handle 0x80000010) left open:
 * object e1034018 of type 'Event'", and a handle that was open before and is
 * gone. Types themselves are not counted: like NT's, they live for good.
 *
 * The snapshot lists at most OB_LEAK_MAX_HANDLES handles; past that, handles
 * are compared by count only. Before each reading the guard deletes objects
 * waiting on the deferred-deletion queue (NT's worker thread would have by
 * then) and gives back the kernel table's trailing empty pages (a test that
 * opened 600 handles and closed them all leaves no handle and no pool).
 * Those frees happen after the pool's own guard has drained its lookaside
 * lists (guards run in registration order, and the memory manager's register
 * first): a block freed here may sit in a lookaside list while the page
 * guards read, so the deferred queue should normally be empty by the end of
 * a test, as it is when tests drop their last references at PASSIVE_LEVEL.
 */
#include "obp.h"
#include <ktest.h>
#include <rtl.h>

#define OBP_LEAK_LINE 192

/* The tables the guard watches: the kernel handle table, and the current process's if it is another. */
static ULONG ObpWatchedTables(PHANDLE_TABLE Tables[2])
{
    ULONG Count = 0;
    Tables[Count++] = ObpKernelHandleTable;
    PHANDLE_TABLE Current = PsGetCurrentProcess()->ObjectTable;
    if (Current && Current != ObpKernelHandleTable)
        Tables[Count++] = Current;
    return Count;
}

void ObpTakeLeakSnapshot(OB_LEAK_SNAPSHOT *Snapshot)
{
    PHANDLE_TABLE Tables[2];
    ULONG TableCount = ObpWatchedTables(Tables);

    Snapshot->TypeCount = ObpObjectTypeCount;
    for (ULONG i = 0; i < Snapshot->TypeCount; i++)
        Snapshot->Objects[i] = ObpObjectTypes[i]->TotalNumberOfObjects;
    Snapshot->HandleCount = 0;
    Snapshot->Recorded = 0;
    for (ULONG t = 0; t < TableCount; t++) {
        for (ULONG Value = 0;; Value += HANDLE_VALUE_INC) {
            PHANDLE_TABLE_ENTRY Entry = ExpMapNextHandleToPointer(Tables[t], &Value);
            if (!Entry)
                break;
            POBJECT_HEADER Header = ObpEntryHeader(Entry);
            ExUnlockHandleTableEntry(Tables[t], Entry);
            Snapshot->HandleCount++;
            if (Snapshot->Recorded < OB_LEAK_MAX_HANDLES)
                Snapshot->Handles[Snapshot->Recorded++] = (OB_LEAK_HANDLE){ Tables[t], Value, Header };
        }
    }
}

static bool ObpSnapshotHas(const OB_LEAK_SNAPSHOT *Snapshot, const OB_LEAK_HANDLE *Handle)
{
    for (ULONG i = 0; i < Snapshot->Recorded; i++) {
        const OB_LEAK_HANDLE *h = &Snapshot->Handles[i];
        if (h->Table == Handle->Table && h->Value == Handle->Value && h->Header == Handle->Header)
            return true;
    }
    return false;
}

/* How a handle value reads in a report: the table's value, and the kernel handle it is from kernel mode. */
static void ObpDescribeHandle(char *Text, size_t Size, const OB_LEAK_HANDLE *Handle)
{
    if (Handle->Table == ObpKernelHandleTable)
        snprintf(Text, Size, "handle 0x%x (kernel handle 0x%08x) in the kernel handle table", Handle->Value,
                 Handle->Value | KERNEL_HANDLE_MASK);
    else
        snprintf(Text, Size, "handle 0x%x in %s's handle table", Handle->Value, PsGetCurrentProcess()->ImageFileName);
}

ULONG ObpCompareLeakSnapshot(const OB_LEAK_SNAPSHOT *Before, POB_LEAK_REPORT Report, PVOID Context)
{
    static OB_LEAK_SNAPSHOT Now;        /* 1 KB: kept off the caller's stack */
    char Line[OBP_LEAK_LINE], Handle[96];
    ULONG Problems = 0;

    ObpTakeLeakSnapshot(&Now);
    for (ULONG i = 0; i < Now.TypeCount; i++) {
        POBJECT_TYPE Type = ObpObjectTypes[i];
        LONG Was = i < Before->TypeCount ? Before->Objects[i] : 0, Is = Now.Objects[i];
        if (Type == ObpTypeObjectType || Was == Is)
            continue;
        if (Is > Was)
            snprintf(Line, sizeof(Line), "%d object%s of type '%s' left behind (%d before the test, %d after)",
                     Is - Was, Is - Was == 1 ? "" : "s", Type->Name, Was, Is);
        else
            snprintf(Line, sizeof(Line), "%d object%s of type '%s' that existed before the test deleted (%d before, %d after)",
                     Was - Is, Was - Is == 1 ? "" : "s", Type->Name, Was, Is);
        Report(Context, Line);
        Problems++;
    }

    bool Listed = Before->Recorded == Before->HandleCount && Now.Recorded == Now.HandleCount;
    if (!Listed) {
        if (Before->HandleCount != Now.HandleCount) {
            snprintf(Line, sizeof(Line), "%u handles open before the test, %u after (too many to list)",
                     Before->HandleCount, Now.HandleCount);
            Report(Context, Line);
            Problems++;
        }
        return Problems;
    }
    for (ULONG i = 0; i < Now.Recorded; i++) {
        const OB_LEAK_HANDLE *h = &Now.Handles[i];
        if (ObpSnapshotHas(Before, h))
            continue;
        ObpDescribeHandle(Handle, sizeof(Handle), h);
        snprintf(Line, sizeof(Line), "%s left open: object %08x of type '%s'", Handle,
                 (ULONG)OBJECT_HEADER_TO_OBJECT(h->Header), h->Header->Type->Name);
        Report(Context, Line);
        Problems++;
    }
    for (ULONG i = 0; i < Before->Recorded; i++) {
        const OB_LEAK_HANDLE *h = &Before->Handles[i];
        if (ObpSnapshotHas(&Now, h))
            continue;
        /* The object may be gone with the handle: its address is all that can be said safely. */
        ObpDescribeHandle(Handle, sizeof(Handle), h);
        snprintf(Line, sizeof(Line), "%s, open before the test (object %08x), was closed by it", Handle,
                 (ULONG)OBJECT_HEADER_TO_OBJECT(h->Header));
        Report(Context, Line);
        Problems++;
    }
    return Problems;
}

static OB_LEAK_SNAPSHOT ObpGuardBefore;

static void ObpGuardQuiesce(void)
{
    PHANDLE_TABLE Tables[2];
    ObpProcessRemoveObjectQueue();
    for (ULONG i = 0, n = ObpWatchedTables(Tables); i < n; i++)
        ExpCompactHandleTable(Tables[i]);
}

static void ObpGuardSnapshot(void)
{
    ObpTakeLeakSnapshot(&ObpGuardBefore);
}

static void ObpReportToTest(PVOID Context, const char *Line)
{
    KTEST_CONTEXT *t = Context;
    KtestFail(t, t->Test->File, t->Test->Line, "leak guard: %s", Line);
}

static bool ObpGuardCheck(KTEST_CONTEXT *t)
{
    return ObpCompareLeakSnapshot(&ObpGuardBefore, ObpReportToTest, t) == 0;
}

static const KTEST_GUARD ObpLeakGuard = {
    .Name = "objects by type and handles",
    .Snapshot = ObpGuardSnapshot,
    .Check = ObpGuardCheck,
    .Quiesce = ObpGuardQuiesce,
};

void ObpRegisterLeakGuard(void)
{
    KtestRegisterGuard(&ObpLeakGuard);
}
