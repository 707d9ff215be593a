/*
 * tests/testlib.h — helpers several test files share.
 *
 * Small and static inline: each test file that includes this gets its own
 * copy, so the tests stay independent of one another's link order.
 */
#ifndef MM386_TESTLIB_H
#define MM386_TESTLIB_H

#include <ex.h>
#include <ktest.h>
#include <pool.h>
#include <ps.h>
#include "../mm/mi.h"
#include "../kernel/ps/psp.h"

/* Fills a physical page with Value, through hyperspace. */
static inline void TestFillPage(PFN_NUMBER Pfn, ULONG Value)
{
    KIRQL OldIrql;
    PVOID Va = MiMapPageInHyperSpace(Pfn, &OldIrql);
    RtlFillMemoryUlong(Va, PAGE_SIZE, Value);
    MiUnmapPageInHyperSpace(Va, OldIrql);
}

/* True if every word of a physical page holds Value. */
static inline bool TestPageIsFilledWith(PFN_NUMBER Pfn, ULONG Value)
{
    KIRQL OldIrql;
    const ULONG *Words = MiMapPageInHyperSpace(Pfn, &OldIrql);
    bool Same = true;
    for (ULONG i = 0; i < PAGE_SIZE / 4; i++)
        Same &= Words[i] == Value;
    MiUnmapPageInHyperSpace((PVOID)Words, OldIrql);
    return Same;
}

/*
 * A process that is nothing but an address space, for tests that run code
 * in another address space: KeStackAttachProcess(&Process->Pcb, ...) makes
 * it the current one. Process is the caller's storage.
 */
static inline NTSTATUS TestCreateProcess(PEPROCESS Process)
{
    memset(Process, 0, sizeof(*Process));
    NTSTATUS Status = MmCreateProcessAddressSpace(Process);
    if (NT_SUCCESS(Status))
        KeInitializeProcess(&Process->Pcb, 8, Process->AddressSpace.PageDirectoryPfn << PAGE_SHIFT);
    return Status;
}

static inline void TestDeleteProcess(PEPROCESS Process)
{
    MmDeleteAddressSpace(&Process->AddressSpace);
}

/*
 * A system thread for a test, running Routine(Context) at Priority, made
 * with PsCreateSystemThread; the test holds one reference to it (the handle
 * is closed at once). NULL if it could not be made. TestJoinThread waits
 * for it to end and drops the reference, which frees it: the reaper, which
 * drops the thread's own reference, runs above every test thread, so by
 * the time the joiner runs again only the joiner's reference is left
 * (TestJoinThread says whether it was).
 */
static inline PETHREAD TestStartThread(PKSTART_ROUTINE Routine, PVOID Context, KPRIORITY Priority)
{
    HANDLE Handle;
    PETHREAD Thread;
    OBJECT_ATTRIBUTES Attributes;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    KPRIORITY Own = KeSetPriorityThread(KeGetCurrentThread(), HIGH_PRIORITY);  /* it starts only once it has its priority */
    NTSTATUS Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, &Attributes, NULL, NULL, Routine, Context);
    if (!NT_SUCCESS(Status)) {
        KeSetPriorityThread(KeGetCurrentThread(), Own);
        return NULL;
    }
    Status = ObReferenceObjectByHandle(Handle, 0, PsThreadType, KernelMode, (PVOID *)&Thread, NULL);
    NtClose(Handle);
    if (NT_SUCCESS(Status))
        KeSetPriorityThread(&Thread->Tcb, Priority);
    KeSetPriorityThread(KeGetCurrentThread(), Own);
    return NT_SUCCESS(Status) ? Thread : NULL;
}

/* Waits for Thread to terminate and drops the test's reference; false if another reference was still held then. */
static inline bool TestJoinThread(PETHREAD Thread)
{
    KeWaitForSingleObject(&Thread->Tcb, Executive, KernelMode, FALSE, NULL);
    bool OnlyOurs = ObGetObjectPointerCount(Thread) == 1;
    ObDereferenceObject(Thread);
    return OnlyOurs;
}

/* Sleeps for Ticks clock ticks (relative to now). */
static inline void TestSleepTicks(ULONG Ticks)
{
    LARGE_INTEGER Interval = { .QuadPart = -(LONGLONG)Ticks * KeQueryTimeIncrement() };
    KeDelayExecutionThread(KernelMode, FALSE, &Interval);
}

/* Recurses until the stack runs out: the road to a kernel stack's guard page. */
extern volatile int TestStopRecursion;
static int __attribute__((noinline, unused)) TestRecurseForever(int Depth)
{
    volatile char Frame[256];
    Frame[0] = (char)Depth;
    if (TestStopRecursion)
        return 0;
    return TestRecurseForever(Depth + 1) + Frame[0];
}

/* Bytes in use by Tag in one pool, from the tag table (0 if the tag has none). */
static inline SIZE_T TestTagBytes(ULONG Tag, POOL_TYPE PoolType)
{
    SYSTEM_POOLTAG Info;
    if (!NT_SUCCESS(ExQueryPoolTagInformation(Tag, &Info)))
        return 0;
    return PoolType == PagedPool ? Info.PagedUsed : Info.NonPagedUsed;
}

/* ProbeForWrite under a handler: STATUS_SUCCESS, or the status it raised. */
static inline NTSTATUS TestProbeForWrite(volatile void *Address, SIZE_T Length, ULONG Alignment)
{
    NTSTATUS Status;
    EX_TRY {
        ProbeForWrite((void *)Address, Length, Alignment);
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    return Status;
}

/*
 * A death test's precondition failed: stop with a code no death test
 * expects, so the test fails instead of passing by accident.
 */
static inline NORETURN void TestPreconditionFailed(ULONG_PTR Line)
{
    KeBugCheckEx(MANUALLY_INITIATED_CRASH, 0x7E57, Line, 0, 0);
}
#define TEST_REQUIRE(e) ((e) ? (void)0 : TestPreconditionFailed(__LINE__))

/*
 * Output capture, for tests of what the kernel says: between
 * TestBeginCapture and TestEndCapture, DbgPrint's text goes into Buffer
 * (kept NUL-terminated, the excess dropped) instead of COM1 and the VGA
 * console. Call nothing that can end the test (ASSERT_*) in between.
 */
void TestBeginCapture(char *Buffer, size_t Size);
void TestEndCapture(void);

/* True if Needle occurs in Text. */
static inline bool TestContains(const char *Text, const char *Needle)
{
    size_t n = strlen(Needle);
    for (; *Text; Text++) {
        if (strncmp(Text, Needle, n) == 0)
            return true;
    }
    return n == 0;
}

/*
 * Puts Count zeroed pages on the zeroed list, as NT's zero page thread
 * keeps it stocked between bursts of demand-zero faults (the benchmarks of
 * those faults measure the fault, not the zeroing, which has its own
 * figure). Returns how many it put there.
 */
static inline ULONG TestStockZeroedPages(ULONG Count)
{
    KIRQL OldIrql;
    ULONG Stocked = 0;
    for (; Stocked < Count; Stocked++) {
        PFN_NUMBER Pfn = MiRemoveAnyPage();
        if (Pfn == MI_NO_PAGE)
            break;
        MiZeroPhysicalPage(Pfn);
        LOCK_PFN(OldIrql);
        MiInsertPageInList(&MmZeroedPageListHead, Pfn);
        UNLOCK_PFN(OldIrql);
    }
    return Stocked;
}

/*
 * Gives back the system page table a test made for Va in a region nothing
 * else uses (tests/testlib.c says why a test may), so that the suite can
 * run again and again without using up that region's PDEs.
 */
void TestGiveBackSystemPageTable(PVOID Va);

#endif
