/*
 * tests/mm/virtual_fault.c — page faults in the user range: demand-zero
 * pages, access violations with their address and direction, guard pages,
 * a stack growing to overflow; user page tables made and freed; placement
 * (top-down, ZeroBits, large address awareness); the commit limit.
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

/* Fills Count free pages with garbage and gives them back: a page not zeroed again would show it. */
static void DirtyFreePages(ULONG Count)
{
    PFN_NUMBER Pages[64];
    Count = MIN(Count, ARRAY_SIZE(Pages));
    for (ULONG i = 0; i < Count; i++) {
        Pages[i] = MiRemoveAnyPage();
        if (Pages[i] != MI_NO_PAGE)
            TestFillPage(Pages[i], 0xDEADBEEF);
    }
    for (ULONG i = 0; i < Count; i++) {
        if (Pages[i] != MI_NO_PAGE)
            MiInsertPageInFreeList(Pages[i]);
    }
}

/*
 * Committed pages never touched read as zero, whatever their frames held
 * before; each first touch is one demand-zero fault, counted system-wide
 * and for the process, and maps a user, non-global page.
 */
KTEST(virtual_fault, demand_zero_pages_read_as_zero)
{
    ATTACH_TEST_PROCESS(false);
    const ULONG Pages = 40;
    ULONG Base = 0, Value, NonZero = 0;
    SIZE_T Size = Pages * PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    DirtyFreePages(64);
    ULONG DemandZero = MmInfoCounters.DemandZeroCount, Faults = Process->Vm.PageFaultCount;
    for (ULONG Va = Base; Va < Base + Size; Va += sizeof(ULONG)) {
        if (TestRead(Va, &Value, NULL) != STATUS_SUCCESS || Value != 0)
            NonZero++;
    }
    EXPECT_EQ(NonZero, 0);
    EXPECT_EQ(MmInfoCounters.DemandZeroCount - DemandZero, Pages);
    EXPECT_EQ(Process->Vm.PageFaultCount - Faults, Pages);
    EXPECT_EQ(Process->Vm.WorkingSetSize, Pages);
    MMPTE Pte = MiReadPte(MiAddressToPte(Base));
    MMPTE Pde = MiReadPte(MiAddressToPde(Base));
    EXPECT_TRUE(Pte.u.Hard.Valid);
    EXPECT_TRUE(Pte.u.Hard.Owner);
    EXPECT_FALSE(Pte.u.Hard.Global);
    EXPECT_FALSE(Pte.u.Hard.Write && !Pte.u.Hard.Valid);
    EXPECT_TRUE(Pde.u.Hard.Owner);
    EXPECT_FALSE(Pde.u.Hard.Global);
    EXPECT_EQ(Process->WorkingSetList.UsedPageTableEntries[MI_PDE_INDEX(Base)], Pages);
    DETACH_TEST_PROCESS();
}

/*
 * Reserved, free, no-access and decommitted pages, and a write to a
 * read-only page: each is STATUS_ACCESS_VIOLATION, with the address and
 * whether it was a write (NT's ExceptionInformation[0] and [1]).
 */
KTEST(virtual_fault, bad_touches_are_access_violations_with_address_and_direction)
{
    ATTACH_TEST_PROCESS(false);
    EXCEPTION_RECORD Record;
    ULONG Base = 0x50000000, Value;
    SIZE_T Size = 0x5000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    ULONG B = Base + 0x1000;
    Size = 0x1000;
    EXPECT_EQ(TestAllocate(&B, &Size, MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);
    B = Base + 0x2000;
    EXPECT_EQ(TestAllocate(&B, &Size, MEM_COMMIT, PAGE_NOACCESS), STATUS_SUCCESS);
    B = Base + 0x3000;
    EXPECT_EQ(TestAllocate(&B, &Size, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(TestFree(B, 0x1000, MEM_DECOMMIT), STATUS_SUCCESS);

    static const struct {
        ULONG Offset;
        bool Write;
    } Touches[] = {
        { 0x0010, false }, { 0x0ffc, true },    /* reserved */
        { 0x1008, true },                       /* read-only, written */
        { 0x2000, false }, { 0x2100, true },    /* no access */
        { 0x3004, false },                      /* decommitted */
        { 0x10000, false }, { 0x10000, true },  /* free */
    };
    for (ULONG i = 0; i < ARRAY_SIZE(Touches); i++) {
        ULONG Va = Base + Touches[i].Offset;
        memset(&Record, 0, sizeof(Record));
        NTSTATUS Status = Touches[i].Write ? TestWrite(Va, 1, &Record) : TestRead(Va, &Value, &Record);
        EXPECT_EQ(Status, STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(Record.ExceptionCode, STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(Record.NumberParameters, 2);
        EXPECT_EQ(Record.ExceptionInformation[0], Touches[i].Write ? 1 : 0);
        EXPECT_EQ(Record.ExceptionInformation[1], Va);
    }
    /* The read-only page reads (zero); nothing was mapped for the failed touches. */
    EXPECT_EQ(TestRead(Base + 0x1000, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0);
    EXPECT_EQ(Process->Vm.WorkingSetSize, 1);
    DETACH_TEST_PROCESS();
}

/*
 * A guard page raises STATUS_GUARD_PAGE_VIOLATION once: the first touch
 * clears the guard, the second works. So on a page already resident
 * (guarded by NtProtectVirtualMemory), whose data survives.
 */
KTEST(virtual_fault, guard_page_is_one_shot)
{
    ATTACH_TEST_PROCESS(false);
    EXCEPTION_RECORD Record;
    ULONG Base = 0, Value = 1, Old;
    SIZE_T Size = 0x2000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD), STATUS_SUCCESS);
    EXPECT_EQ(TestWrite(Base + 8, 7, &Record), STATUS_GUARD_PAGE_VIOLATION);
    EXPECT_EQ(Record.ExceptionInformation[0], 1);
    EXPECT_EQ(Record.ExceptionInformation[1], Base + 8);
    EXPECT_EQ(TestRead(Base + 8, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0);                        /* the write that hit the guard did not happen */
    EXPECT_EQ(TestWrite(Base + 8, 7, NULL), STATUS_SUCCESS);
    /* The second page is still guarded: each page has its own. */
    EXPECT_EQ(TestRead(Base + 0x1000, &Value, NULL), STATUS_GUARD_PAGE_VIOLATION);
    EXPECT_EQ(TestRead(Base + 0x1000, &Value, NULL), STATUS_SUCCESS);
    /* Guard a resident page: its data stays behind the guard. */
    EXPECT_EQ(TestProtect(Base, 0x1000, PAGE_READONLY | PAGE_GUARD, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_READWRITE);
    EXPECT_EQ(TestRead(Base + 8, &Value, NULL), STATUS_GUARD_PAGE_VIOLATION);
    EXPECT_EQ(TestRead(Base + 8, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 7);
    EXPECT_EQ(TestWrite(Base + 8, 8, NULL), STATUS_ACCESS_VIOLATION);     /* read-only once unguarded */
    DETACH_TEST_PROCESS();
}

/*
 * NT's user stack: a reservation, its top page committed and a guard page
 * below. Touching the guard commits a new one below and moves the TEB's
 * StackLimit down, transparently, until only the reservation's last page
 * would be left: then the page above it is committed without a guard and
 * STATUS_STACK_OVERFLOW is raised; the last page stays reserved.
 */
KTEST(virtual_fault, stack_grows_down_to_overflow)
{
    ATTACH_TEST_PROCESS(false);
    const ULONG Pages = 16;
    ULONG Stack = 0, TebVa = 0, Value;
    SIZE_T Size = Pages * PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Stack, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    ULONG Top = Stack + (Pages - 1) * PAGE_SIZE, Guard = Top - PAGE_SIZE;
    Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Top, &Size, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(TestAllocate(&Guard, &Size, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD), STATUS_SUCCESS);
    Size = sizeof(TEB);
    EXPECT_EQ(TestAllocate(&TebVa, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    PTEB Teb = (PTEB)TebVa;
    Teb->NtTib.StackBase = (PVOID)(Stack + Size * 0 + Pages * PAGE_SIZE);
    Teb->NtTib.StackLimit = (PVOID)Top;
    Teb->DeallocationStack = (PVOID)Stack;
    PTEB OldTeb = PspSetCurrentThreadTeb(Teb);

    /* Pages 14 down to 3: each a guard page when touched, each touch succeeding. */
    for (ULONG Page = Pages - 2; Page >= 3; Page--) {
        ULONG Va = Stack + Page * PAGE_SIZE + 0x10;
        EXPECT_EQ(TestWrite(Va, Page, NULL), STATUS_SUCCESS);
        EXPECT_EQ((ULONG)Teb->NtTib.StackLimit, Stack + Page * PAGE_SIZE);
    }
    /* Page 2 is the guard now: no room below for another. */
    EXPECT_EQ(TestWrite(Stack + 2 * PAGE_SIZE, 2, NULL), STATUS_STACK_OVERFLOW);
    EXPECT_EQ((ULONG)Teb->NtTib.StackLimit, Stack + PAGE_SIZE);
    EXPECT_EQ(TestWrite(Stack + 2 * PAGE_SIZE, 2, NULL), STATUS_SUCCESS);
    EXPECT_EQ(TestWrite(Stack + PAGE_SIZE, 1, NULL), STATUS_SUCCESS);
    EXPECT_EQ(TestRead(Stack, &Value, NULL), STATUS_ACCESS_VIOLATION);
    for (ULONG Page = 3; Page < Pages - 1; Page++) {
        EXPECT_EQ(TestRead(Stack + Page * PAGE_SIZE + 0x10, &Value, NULL), STATUS_SUCCESS);
        EXPECT_EQ(Value, Page);
    }
    /* A guard page outside the stack is just a guard page. */
    ULONG Other = 0;
    Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Other, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD), STATUS_SUCCESS);
    EXPECT_EQ(TestRead(Other, &Value, NULL), STATUS_GUARD_PAGE_VIOLATION);
    PspSetCurrentThreadTeb(OldTeb);
    DETACH_TEST_PROCESS();
}

/* Counts the PTEs that are not zero in the page table of Va (it must exist). */
static ULONG NonZeroPtes(ULONG Va)
{
    ULONG Count = 0;
    PMMPTE Pte = MiAddressToPte(Va & ~((1u << PDE_SHIFT) - 1));
    for (ULONG i = 0; i < PTE_PER_PAGE; i++)
        Count += MiReadPte(Pte + i).u.Long != 0;
    return Count;
}

/*
 * User page tables are made when a PTE must hold something and freed when
 * the last one goes: after releasing a range spanning six page tables, the
 * available pages are back where they started. The used counts always equal
 * the PTEs that are not zero.
 */
KTEST(virtual_fault, page_tables_freed_when_empty)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0x40200000, Old;     /* 20 MB from 2 MB into a page table: six page tables */
    SIZE_T Size = 20 << 20;
    PFN_NUMBER Available = MmAvailablePages;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(Process->CommitCharge, 6);
    EXPECT_EQ(Process->WorkingSetList.NumberOfPageTables, 0);
    for (ULONG Va = Base; Va < Base + Size; Va += 2 << 20) {
        ULONG B = Va;
        SIZE_T S = 3 * PAGE_SIZE;
        EXPECT_EQ(TestAllocate(&B, &S, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
        EXPECT_EQ(TestWrite(Va + PAGE_SIZE, Va, NULL), STATUS_SUCCESS);
    }
    EXPECT_EQ(TestProtect(Base, PAGE_SIZE, PAGE_NOACCESS, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Process->WorkingSetList.NumberOfPageTables, 6);
    for (ULONG Va = Base; Va < Base + Size; Va += 4 << 20)
        EXPECT_EQ(Process->WorkingSetList.UsedPageTableEntries[MI_PDE_INDEX(Va)], NonZeroPtes(Va));
    EXPECT_EQ(MmAvailablePages, Available - 6 - 10);
    /* Decommitting one page table's pages frees it; releasing the rest frees them all. */
    EXPECT_EQ(TestFree(0x40200000, 0x200000, MEM_DECOMMIT), STATUS_SUCCESS);
    EXPECT_EQ(Process->WorkingSetList.NumberOfPageTables, 5);
    EXPECT_EQ(TestFree(Base, 0, MEM_RELEASE), STATUS_SUCCESS);
    EXPECT_EQ(Process->WorkingSetList.NumberOfPageTables, 0);
    EXPECT_EQ(Process->CommitCharge, 0);
    EXPECT_EQ(MmAvailablePages, Available);
    DETACH_TEST_PROCESS();
}

/*
 * Top-down placement starts at the highest VAD address and goes down;
 * bottom-up starts at 64 KB; ZeroBits caps the address.
 */
KTEST(virtual_fault, top_down_placement_and_zero_bits)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Base = 0;
    SIZE_T Size = 0x3000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(Base, 0x7FFD0000);
    Base = 0;
    Size = 0x18000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(Base, 0x7FFB0000);        /* 96 KB below 0x7FFD0000, on 64 KB */
    Base = 0;
    Size = 0x1000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(Base, 0x10000);
    for (ULONG ZeroBits = 8; ZeroBits <= 12; ZeroBits += 2) {
        PVOID B = NULL;
        SIZE_T S = 0x10000;
        EXPECT_EQ(ZwAllocateVirtualMemory(NtCurrentProcess(), &B, ZeroBits, &S, MEM_RESERVE | MEM_TOP_DOWN,
                                          PAGE_READWRITE), STATUS_SUCCESS);
        EXPECT_EQ((ULONG)B, ((0xFFFFFFFFu >> ZeroBits) + 1) - 0x10000);
        B = NULL;
        EXPECT_EQ(ZwAllocateVirtualMemory(NtCurrentProcess(), &B, ZeroBits, &S, MEM_RESERVE, PAGE_READWRITE),
                  STATUS_SUCCESS);
        EXPECT_EQ((ULONG)B, 0x20000 + (ZeroBits - 8) / 2 * 0x10000);
    }
    DETACH_TEST_PROCESS();
}

/*
 * NT's rule under /3GB (and /USERVA): only a large-address-aware process
 * reaches above 2 GB. In the 2 GB split both are the same.
 */
KTEST(virtual_fault, large_address_awareness_sets_the_highest_address)
{
    PEPROCESS Aware = TestCreateUserProcess(true), Unaware = TestCreateUserProcess(false);
    ASSERT_NOT_NULL(Aware);
    ASSERT_NOT_NULL(Unaware);
    ULONG Highest = (ULONG)MmHighestUserAddress, Value;
    ULONG AwareTop, UnawareTop;
    NTSTATUS AwareHigh = STATUS_SUCCESS, UnawareHigh = STATUS_SUCCESS, UnawareQuery = STATUS_SUCCESS;
    NTSTATUS UnawareTouch = STATUS_SUCCESS;
    MEMORY_BASIC_INFORMATION Info;
    SIZE_T Size = 0x10000;

    PKAPC_STATE Previous = TestAttach(Aware);
    AwareTop = 0;
    EXPECT_EQ(TestAllocate(&AwareTop, &Size, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE), STATUS_SUCCESS);
    if (Highest > 0x80000000) {
        ULONG B = 0x80000000;
        AwareHigh = TestAllocate(&B, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        if (NT_SUCCESS(AwareHigh))
            AwareHigh = TestWrite(0x80000000, 1, NULL);
    }
    TestDetach(Previous);

    Previous = TestAttach(Unaware);
    UnawareTop = 0;
    EXPECT_EQ(TestAllocate(&UnawareTop, &Size, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE), STATUS_SUCCESS);
    if (Highest > 0x80000000) {
        ULONG B = 0x80000000;
        UnawareHigh = TestAllocate(&B, &Size, MEM_RESERVE, PAGE_READWRITE);
        UnawareQuery = TestQuery(0x80000000, &Info);
        UnawareTouch = TestRead(0x80000000, &Value, NULL);
    }
    TestDetach(Previous);

    EXPECT_EQ(AwareTop, Highest + 1 - 2 * 0x10000);
    EXPECT_EQ(UnawareTop, 0x7FFD0000);
    if (Highest > 0x80000000) {
        EXPECT_EQ(AwareHigh, STATUS_SUCCESS);
        EXPECT_EQ(UnawareHigh, STATUS_INVALID_PARAMETER_2);
        EXPECT_EQ(UnawareQuery, STATUS_INVALID_PARAMETER);
        EXPECT_EQ(UnawareTouch, STATUS_ACCESS_VIOLATION);
    }
    TestDeleteUserProcess(Aware);
    TestDeleteUserProcess(Unaware);
}

/*
 * Committing past the system commit limit is STATUS_COMMITMENT_LIMIT with
 * nothing changed (no VAD, no charge); with the limit reached, one more
 * page fails; after a release, it succeeds.
 */
/* How many page tables Pages pages from Base span (each maps 4 MB). */
static ULONG TablesSpanned(ULONG Base, ULONG Pages)
{
    return ((Base + Pages * PAGE_SIZE - 1) >> 22) - (Base >> 22) + 1;
}

KTEST(virtual_fault, commit_limit_reached_and_recovered)
{
    ATTACH_TEST_PROCESS(true);
    ULONG Remaining = MmTotalCommitLimit - MmTotalCommittedPages;
    /*
     * Committed pages need their page tables charged too (NT charges one per
     * page table a VAD spans). The reservation goes bottom-up from the
     * lowest address NT hands out, 0x10000: the most pages that fit there
     * with their page tables, leaving one page of commit at most.
     */
    ULONG Fit = Remaining - (Remaining + 1023) / 1024 - 1;
    while (Fit + TablesSpanned(0x10000, Fit) < Remaining - 1)
        Fit++;
    while (Fit + TablesSpanned(0x10000, Fit) > Remaining - 1)
        Fit--;
    ULONG Committed = MmTotalCommittedPages;
    ULONG Base = 0;
    SIZE_T Size = (SIZE_T)Remaining << PAGE_SHIFT;
    if (Size > MiHighestVadAddress(Process) - 0x10000 - 0x100000) {
        DETACH_TEST_PROCESS();      /* a skip ends the test here: the process goes first */
        KTEST_SKIP("the commit limit is larger than the user range");
    }

    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_COMMITMENT_LIMIT);
    EXPECT_EQ(Base, 0);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 0);
    EXPECT_EQ(Process->CommitCharge, 0);
    EXPECT_EQ(Process->VirtualSize, 0);
    EXPECT_EQ(MmTotalCommittedPages, Committed);

    /* Reserve first, then commit: the same limit at commit time. */
    Base = 0;
    Size = (SIZE_T)Fit << PAGE_SHIFT;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(Base, 0x10000);
    ULONG Reserved = Base;
    SIZE_T Commit = Size;
    EXPECT_EQ(TestAllocate(&Base, &Commit, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_LE(MmTotalCommitLimit - MmTotalCommittedPages, 1);
    ULONG Second = 0;
    SIZE_T Two = 2 * PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Second, &Two, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_COMMITMENT_LIMIT);
    ULONG Last = Reserved + Size - PAGE_SIZE;
    EXPECT_EQ(TestFree(Last, PAGE_SIZE, MEM_DECOMMIT), STATUS_SUCCESS);
    Commit = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Last, &Commit, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(TestFree(Reserved, 0, MEM_RELEASE), STATUS_SUCCESS);
    EXPECT_EQ(MmTotalCommittedPages, Committed);
    Second = 0;
    EXPECT_EQ(TestAllocate(&Second, &Two, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    DETACH_TEST_PROCESS();
}

/*
 * Deleting an address space gives back everything its process held: VADs
 * of every kind of state, resident and no-access pages, page tables,
 * commit. The leak guards check pages, pool ('VadS') and commit after.
 */
KTEST(virtual_fault, teardown_releases_everything)
{
    ATTACH_TEST_PROCESS(false);
    ULONG Old;
    for (ULONG i = 0; i < 20; i++) {
        ULONG Base = 0;
        SIZE_T Size = (i + 1) * 0x3000;
        EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | (i % 3 ? MEM_COMMIT : 0), PAGE_READWRITE), STATUS_SUCCESS);
        if (i % 3 == 0) {
            SIZE_T Half = Size / 2;
            EXPECT_EQ(TestAllocate(&Base, &Half, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
        }
        EXPECT_EQ(TestWrite(Base, i, NULL), STATUS_SUCCESS);
        if (i % 4 == 1)
            EXPECT_EQ(TestProtect(Base, PAGE_SIZE, PAGE_NOACCESS, &Old), STATUS_SUCCESS);
        if (i % 5 == 2)
            EXPECT_EQ(TestFree(Base + PAGE_SIZE, PAGE_SIZE, MEM_DECOMMIT), STATUS_SUCCESS);
    }
    /* 32 MB reserved, a page committed and touched in each of its page tables. */
    ULONG Big = 0;
    SIZE_T Size = 0x2000000;
    EXPECT_EQ(TestAllocate(&Big, &Size, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE), STATUS_SUCCESS);
    for (ULONG Va = Big; Va < Big + Size; Va += 0x400000) {
        ULONG B = Va;
        SIZE_T S = PAGE_SIZE;
        EXPECT_EQ(TestAllocate(&B, &S, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
        EXPECT_EQ(TestWrite(Va, Va, NULL), STATUS_SUCCESS);
    }
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 21);
    EXPECT_GT(Process->WorkingSetList.NumberOfPageTables, 8);
    DETACH_TEST_PROCESS();
}

/* A user address that faults in kernel code with no handler: NT's KMODE_EXCEPTION_NOT_HANDLED with the status. */
KTEST_DEATH_P1(virtual_fault, unhandled_user_fault_in_kernel_mode, KMODE_EXCEPTION_NOT_HANDLED, STATUS_ACCESS_VIOLATION)
{
    PEPROCESS Process = TestCreateUserProcess(false);
    TEST_REQUIRE(Process != NULL);
    TestAttach(Process);
    ULONG Base = 0;
    SIZE_T Size = PAGE_SIZE;
    TEST_REQUIRE(TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_READWRITE) == STATUS_SUCCESS);
    KtestExpectBugCheckParameter(t, 4, Base);
    *(volatile ULONG *)Base = 1;
}
