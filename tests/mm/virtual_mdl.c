/*
 * tests/mm/virtual_mdl.c — user buffers from kernel code: MmProbeAndLockPages
 * and MmUnlockPages on valid, partially invalid and read-only buffers, user
 * and kernel; locked pages outliving their release; an MDL mapped into a
 * process (MmMapLockedPagesSpecifyCache with UserMode); ProbeForWrite
 * touching user pages.
 */
#include "virtual_test.h"
#include "../testlib.h"

#define ATTACH_TEST_PROCESS(LargeAddressAware)                                  \
    PEPROCESS Process = TestCreateUserProcess(LargeAddressAware);                  \
    ASSERT_NOT_NULL(Process);                                                  \
    PKAPC_STATE Previous = TestAttach(Process)
#define DETACH_TEST_PROCESS()                                                   \
    do {                                                                        \
        TestDetach(Previous);                                                   \
        TestDeleteUserProcess(Process);                                             \
    } while (0)

/* MmProbeAndLockPages under a handler: STATUS_SUCCESS, or the status it raised. */
static NTSTATUS ProbeAndLock(PMDL Mdl, KPROCESSOR_MODE Mode, LOCK_OPERATION Operation)
{
    NTSTATUS Status;
    EX_TRY {
        MmProbeAndLockPages(Mdl, Mode, Operation);
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    return Status;
}

static USHORT References(PFN_NUMBER Pfn)
{
    return MI_PFN_ELEMENT(Pfn)->u3.e2.ReferenceCount;
}

static PFN_NUMBER FrameOf(ULONG Va)
{
    return MiReadPte(MiAddressToPte(Va)).u.Hard.PageFrameNumber;
}

/*
 * A valid user buffer spanning three pages, never touched: locking faults
 * them in, records their frames and the process, and holds a reference on
 * each; through a system mapping of the MDL the kernel writes what the
 * user address reads. Unlocking gives every reference back.
 */
KTEST(virtual_mdl, lock_valid_user_buffer)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0, Value = 0;
    SIZE_T Size = 3 * PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    PMDL Mdl = IoAllocateMdl((PVOID)(Base + 0x100), 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    EXPECT_NOT_NULL(Mdl);
    if (Mdl) {
        EXPECT_EQ(ProbeAndLock(Mdl, UserMode, IoWriteAccess), STATUS_SUCCESS);
        EXPECT_EQ(Mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_WRITE_OPERATION), MDL_PAGES_LOCKED | MDL_WRITE_OPERATION);
        EXPECT_EQ(Mdl->Process, Process);
        EXPECT_EQ(Process->NumberOfLockedPages, 3);
        EXPECT_EQ(Process->Vm.WorkingSetSize, 3);
        for (ULONG i = 0; i < 3; i++) {
            EXPECT_EQ(MmGetMdlPfnArray(Mdl)[i], FrameOf(Base + i * PAGE_SIZE));
            EXPECT_EQ(References(MmGetMdlPfnArray(Mdl)[i]), 2);
        }
        ULONG *System = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority);
        EXPECT_NOT_NULL(System);
        if (System) {
            System[PAGE_SIZE / 4] = 0x600DCAFE;
            EXPECT_EQ(TestRead(Base + 0x100 + PAGE_SIZE, &Value, NULL), STATUS_SUCCESS);
            EXPECT_EQ(Value, 0x600DCAFE);
        }
        PFN_NUMBER First = MmGetMdlPfnArray(Mdl)[0];
        MmUnlockPages(Mdl);         /* unmaps the system mapping too */
        EXPECT_EQ(Mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA | MDL_WRITE_OPERATION), 0);
        EXPECT_EQ(References(First), 1);
        EXPECT_EQ(Process->NumberOfLockedPages, 0);
        IoFreeMdl(Mdl);
    }
    DETACH_TEST_PROCESS();
}

/*
 * A locked page outlives the memory it belonged to: released while
 * locked, it stays allocated; the unlock frees it.
 */
KTEST(virtual_mdl, locked_pages_outlive_their_release)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0;
    SIZE_T Size = 2 * PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    PMDL Mdl = IoAllocateMdl((PVOID)Base, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    EXPECT_NOT_NULL(Mdl);
    if (Mdl) {
        EXPECT_EQ(ProbeAndLock(Mdl, UserMode, IoReadAccess), STATUS_SUCCESS);
        PFN_NUMBER Page = MmGetMdlPfnArray(Mdl)[1];
        TestFillPage(Page, 0x12345678);
        PFN_NUMBER Available = MmAvailablePages;
        EXPECT_EQ(TestFree(Base, 0, MEM_RELEASE), STATUS_SUCCESS);
        /*
         * The page table went (its last PTEs did); the locked pages did not:
         * no PTE maps them (share count 0), so NT calls them in transition,
         * held by the lock's reference alone.
         */
        EXPECT_EQ(MmAvailablePages, Available + 1);
        EXPECT_EQ(MI_PFN_ELEMENT(Page)->u3.e2.e1.PageLocation, TransitionPage);
        EXPECT_EQ(MI_PFN_ELEMENT(Page)->u2.ShareCount, 0);
        EXPECT_EQ(References(Page), 1);
        EXPECT_TRUE(TestPageIsFilledWith(Page, 0x12345678));
        MmUnlockPages(Mdl);
        EXPECT_EQ(MmAvailablePages, Available + 3);
        EXPECT_EQ(MI_PFN_ELEMENT(Page)->u3.e2.e1.PageLocation, FreePageList);
        IoFreeMdl(Mdl);
    }
    DETACH_TEST_PROCESS();
}

/*
 * A buffer whose second page is only reserved: the lock raises
 * STATUS_ACCESS_VIOLATION and leaves nothing locked behind; one through a
 * guard page raises STATUS_GUARD_PAGE_VIOLATION (and the guard is gone).
 */
KTEST(virtual_mdl, lock_partially_invalid_buffer_raises)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0;
    SIZE_T Size = 2 * PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    ULONG Guarded = 0;
    Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Guarded, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD), STATUS_SUCCESS);
    PMDL Mdl = IoAllocateMdl((PVOID)(Base + 0xF00), 0x200, FALSE, FALSE, NULL);
    PMDL GuardMdl = IoAllocateMdl((PVOID)Guarded, 16, FALSE, FALSE, NULL);
    EXPECT_NOT_NULL(Mdl);
    EXPECT_NOT_NULL(GuardMdl);
    if (Mdl && GuardMdl) {
        EXPECT_EQ(ProbeAndLock(Mdl, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(Mdl->MdlFlags & MDL_PAGES_LOCKED, 0);
        EXPECT_EQ(References(FrameOf(Base)), 1);
        EXPECT_EQ(Process->NumberOfLockedPages, 0);
        EXPECT_EQ(ProbeAndLock(GuardMdl, UserMode, IoReadAccess), STATUS_GUARD_PAGE_VIOLATION);
        EXPECT_EQ(ProbeAndLock(GuardMdl, UserMode, IoReadAccess), STATUS_SUCCESS);
        MmUnlockPages(GuardMdl);
    }
    if (Mdl)
        IoFreeMdl(Mdl);
    if (GuardMdl)
        IoFreeMdl(GuardMdl);
    DETACH_TEST_PROCESS();
}

/* A read-only buffer locks for reading only: IoWriteAccess and IoModifyAccess raise STATUS_ACCESS_VIOLATION. */
KTEST(virtual_mdl, lock_read_only_buffer)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0;
    SIZE_T Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);
    PMDL Mdl = IoAllocateMdl((PVOID)Base, 64, FALSE, FALSE, NULL);
    EXPECT_NOT_NULL(Mdl);
    if (Mdl) {
        EXPECT_EQ(ProbeAndLock(Mdl, UserMode, IoWriteAccess), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(ProbeAndLock(Mdl, UserMode, IoModifyAccess), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(Mdl->MdlFlags & MDL_PAGES_LOCKED, 0);
        EXPECT_EQ(ProbeAndLock(Mdl, UserMode, IoReadAccess), STATUS_SUCCESS);
        EXPECT_EQ(Mdl->MdlFlags & MDL_WRITE_OPERATION, 0);
        EXPECT_EQ(References(FrameOf(Base)), 2);
        MmUnlockPages(Mdl);
        EXPECT_EQ(References(FrameOf(Base)), 1);
        IoFreeMdl(Mdl);
    }
    DETACH_TEST_PROCESS();
}

/*
 * Kernel buffers: a user-mode caller may not lock one (STATUS_ACCESS_VIOLATION),
 * the kernel may; the MDL then names no process.
 */
KTEST(virtual_mdl, lock_kernel_buffer)
{
    PUCHAR Buffer = ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, MAKE_TAG('L', 'o', 'c', 'k'));
    ASSERT_NOT_NULL(Buffer);
    PMDL Mdl = IoAllocateMdl(Buffer + 16, PAGE_SIZE, FALSE, FALSE, NULL);
    ASSERT_NOT_NULL(Mdl);
    EXPECT_EQ(ProbeAndLock(Mdl, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
    PFN_NUMBER Frame = (PFN_NUMBER)(MmGetPhysicalAddress(Buffer) >> PAGE_SHIFT);
    USHORT Before = References(Frame);
    EXPECT_EQ(ProbeAndLock(Mdl, KernelMode, IoModifyAccess), STATUS_SUCCESS);
    EXPECT_NULL(Mdl->Process);
    EXPECT_EQ(MmGetMdlPfnArray(Mdl)[0], Frame);
    EXPECT_EQ(References(Frame), Before + 1);
    MmUnlockPages(Mdl);
    EXPECT_EQ(References(Frame), Before);
    IoFreeMdl(Mdl);
    ExFreePoolWithTag(Buffer, MAKE_TAG('L', 'o', 'c', 'k'));
}

/* MmMapLockedPagesSpecifyCache under a handler: the address, or NULL with *Status what it raised. */
static PVOID MapInUser(PMDL Mdl, PVOID Requested, NTSTATUS *Status)
{
    PVOID Va;
    EX_TRY {
        Va = MmMapLockedPagesSpecifyCache(Mdl, UserMode, MmCached, Requested, FALSE, NormalPagePriority);
        *Status = STATUS_SUCCESS;
    } EX_EXCEPT(*Status) {
        Va = NULL;
    } EX_END;
    return Va;
}

/*
 * An MDL mapped into the process: its own VAD, read/write, the MDL's
 * frames; the process can neither free nor protect it; unmapping clears
 * it and its page table, and the frames stay the MDL's.
 */
KTEST(virtual_mdl, map_locked_pages_into_user_space)
{
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, 3 * PAGE_SIZE);
    ASSERT_NOT_NULL(Mdl);
    ATTACH_TEST_PROCESS(false);
    NTSTATUS Status;
    ULONG Value, Old;
    PVOID User = MapInUser(Mdl, NULL, &Status);
    EXPECT_EQ(Status, STATUS_SUCCESS);
    EXPECT_NOT_NULL(User);
    if (User) {
        ULONG Va = (ULONG)User;
        EXPECT_EQ(Va, 0x10000);
        EXPECT_EQ(TestWrite(Va + 2 * PAGE_SIZE, 0xABCD, NULL), STATUS_SUCCESS);
        EXPECT_TRUE(MiReadPte(MiAddressToPte(Va)).u.Hard.Owner);
        MEMORY_BASIC_INFORMATION Info;
        EXPECT_EQ(TestQuery(Va + 4, &Info), STATUS_SUCCESS);
        EXPECT_EQ((ULONG)Info.AllocationBase, Va);
        EXPECT_EQ(Info.RegionSize, 3 * PAGE_SIZE);
        EXPECT_EQ(Info.State, MEM_COMMIT);
        EXPECT_EQ(Info.Protect, PAGE_READWRITE);
        EXPECT_EQ(TestFree(Va, 0, MEM_RELEASE), STATUS_UNABLE_TO_DELETE_SECTION);
        EXPECT_EQ(TestFree(Va, PAGE_SIZE, MEM_DECOMMIT), STATUS_UNABLE_TO_DELETE_SECTION);
        EXPECT_EQ(TestProtect(Va, PAGE_SIZE, PAGE_READONLY, &Old), STATUS_CONFLICTING_ADDRESSES);
        /* A requested address that is taken, or misaligned, raises. */
        EXPECT_NULL(MapInUser(Mdl, (PVOID)(Va + PAGE_SIZE), &Status));
        EXPECT_EQ(Status, STATUS_CONFLICTING_ADDRESSES);
        EXPECT_NULL(MapInUser(Mdl, (PVOID)0x40000010, &Status));
        EXPECT_EQ(Status, STATUS_INVALID_PARAMETER_4);
        PVOID Second = MapInUser(Mdl, (PVOID)0x40000000, &Status);
        EXPECT_EQ((ULONG)Second, 0x40000000);
        EXPECT_EQ(TestRead(0x40000000 + 2 * PAGE_SIZE, &Value, NULL), STATUS_SUCCESS);
        EXPECT_EQ(Value, 0xABCD);
        if (Second)
            MmUnmapLockedPages(Second, Mdl);
        MmUnmapLockedPages(User, Mdl);
        EXPECT_EQ(TestRead(Va, &Value, NULL), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 0);
        EXPECT_EQ(Process->WorkingSetList.NumberOfPageTables, 0);
        EXPECT_EQ(Process->CommitCharge, 0);
    }
    /* One left mapped when the process goes: its frames are not the process's to free. */
    EXPECT_NOT_NULL(MapInUser(Mdl, NULL, &Status));
    DETACH_TEST_PROCESS();
    EXPECT_TRUE(TestPageIsFilledWith(MmGetMdlPfnArray(Mdl)[1], 0));
    EXPECT_EQ(MI_PFN_ELEMENT(MmGetMdlPfnArray(Mdl)[2])->u3.e2.e1.PageLocation, ActiveAndValid);
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);
}

/*
 * ProbeForWrite touches each page of the buffer for writing: pages come
 * in, their contents unchanged; a read-only or reserved page raises
 * STATUS_ACCESS_VIOLATION, a guard page STATUS_GUARD_PAGE_VIOLATION.
 */
KTEST(virtual_mdl, probe_for_write_touches_user_pages)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0, ReadOnly = 0, Guard = 0, Value;
    SIZE_T Size = 4 * PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    Size = 3 * PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(TestWrite(Base + PAGE_SIZE + 4, 77, NULL), STATUS_SUCCESS);
    Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&ReadOnly, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);
    EXPECT_EQ(TestAllocate(&Guard, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD), STATUS_SUCCESS);
    EXPECT_EQ(TestProbeForWrite((PVOID)(Base + 0x800), 2 * PAGE_SIZE, 4), STATUS_SUCCESS);
    EXPECT_EQ(Process->Vm.WorkingSetSize, 3);
    EXPECT_EQ(TestRead(Base + PAGE_SIZE + 4, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 77);
    EXPECT_EQ(TestProbeForWrite((PVOID)(Base + 2 * PAGE_SIZE), 2 * PAGE_SIZE, 1), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(TestProbeForWrite((PVOID)ReadOnly, 4, 4), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(TestProbeForWrite((PVOID)Guard, 4, 4), STATUS_GUARD_PAGE_VIOLATION);
    EXPECT_EQ(TestProbeForWrite((PVOID)Guard, 4, 4), STATUS_SUCCESS);
    DETACH_TEST_PROCESS();
}

/* A process torn down with user pages still locked: NT's PROCESS_HAS_LOCKED_PAGES (0x76). */
KTEST_DEATH(virtual_mdl, teardown_with_locked_pages, PROCESS_HAS_LOCKED_PAGES)
{
    PEPROCESS Process = TestCreateUserProcess(false);
    TEST_REQUIRE(Process != NULL);
    PKAPC_STATE Previous = TestAttach(Process);
    ULONG Base = 0;
    SIZE_T Size = PAGE_SIZE;
    TEST_REQUIRE(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == STATUS_SUCCESS);
    PMDL Mdl = IoAllocateMdl((PVOID)Base, PAGE_SIZE, FALSE, FALSE, NULL);
    TEST_REQUIRE(Mdl != NULL);
    TEST_REQUIRE(ProbeAndLock(Mdl, UserMode, IoReadAccess) == STATUS_SUCCESS);
    TestDetach(Previous);
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)Process);
    TestDeleteUserProcess(Process);
}

/* MmUnlockPages of an MDL that is not locked would drop references nobody took. */
KTEST_DEATH_P1(virtual_mdl, unlock_of_unlocked_mdl, MEMORY_MANAGEMENT, MM_BUGCHECK_UNLOCK_NOT_LOCKED)
{
    PUCHAR Buffer = ExAllocatePoolWithTag(NonPagedPool, 64, MAKE_TAG('L', 'o', 'c', 'k'));
    TEST_REQUIRE(Buffer != NULL);
    PMDL Mdl = IoAllocateMdl(Buffer, 64, FALSE, FALSE, NULL);
    TEST_REQUIRE(Mdl != NULL);
    MmBuildMdlForNonPagedPool(Mdl);
    MmUnlockPages(Mdl);
}
