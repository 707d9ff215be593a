/*
 * tests/mm/section_share.c — one set of pages seen through many address
 * spaces: views in two processes and in system space, SEC_RESERVE pages
 * committed inside a view, the pages' life after their views go, and the
 * section's life after its handle goes.
 *
 * Each test checks what NT guarantees from outside (the data one view
 * writes is what another reads, at another address) and what its PFN
 * database says inside (one frame, its share count the number of PTEs
 * mapping it, its PteAddress the prototype PTE), against counts the test
 * makes itself.
 */
#include "section_test.h"

#define STAMP(page)     (0x5EC70000u + (page))

typedef struct {
    PEPROCESS A, B;
    HANDLE Section;
} TWO_PROCESSES;

static bool MakeTwo(TWO_PROCESSES *Two, ULONG Size, ULONG Attributes)
{
    Two->A = TestCreateUserProcess(false);
    Two->B = TestCreateUserProcess(false);
    return Two->A && Two->B &&
           NT_SUCCESS(TestCreateSection(&Two->Section, Size, Attributes, PAGE_READWRITE, NULL));
}

static void DeleteTwo(TWO_PROCESSES *Two)
{
    if (Two->Section)
        NtClose(Two->Section);
    if (Two->A)
        TestDeleteUserProcess(Two->A);
    if (Two->B)
        TestDeleteUserProcess(Two->B);
}

/* Maps Handle into Process at Base (0: anywhere) with Protect; the view's base, or 0. */
static ULONG MapInto(PEPROCESS Process, HANDLE Handle, ULONG Base, SIZE_T Size, ULONG Protect)
{
    PKAPC_STATE Apc = TestAttach(Process);
    NTSTATUS Status = TestMapView(Handle, &Base, 0, &Size, Protect);
    TestDetach(Apc);
    return NT_SUCCESS(Status) ? Base : 0;
}

static NTSTATUS UnmapFrom(PEPROCESS Process, ULONG Base)
{
    PKAPC_STATE Apc = TestAttach(Process);
    NTSTATUS Status = TestUnmapView(Base);
    TestDetach(Apc);
    return Status;
}

/* Reads (or writes) a word in Process; the status, the value read in *Value. */
static NTSTATUS ReadIn(PEPROCESS Process, ULONG Va, ULONG *Value)
{
    PKAPC_STATE Apc = TestAttach(Process);
    NTSTATUS Status = TestRead(Va, Value, NULL);
    TestDetach(Apc);
    return Status;
}

static NTSTATUS WriteIn(PEPROCESS Process, ULONG Va, ULONG Value)
{
    PKAPC_STATE Apc = TestAttach(Process);
    NTSTATUS Status = TestWrite(Va, Value, NULL);
    TestDetach(Apc);
    return Status;
}

static PFN_NUMBER FrameIn(PEPROCESS Process, ULONG Va)
{
    PKAPC_STATE Apc = TestAttach(Process);
    PFN_NUMBER Pfn = TestFrameOf(Va);
    TestDetach(Apc);
    return Pfn;
}

/*
 * Data written through a view in A is read through a view in B at another
 * address and through a view in system space: the same frame behind three
 * PTEs, share count 3, its PTE the prototype PTE.
 */
KTEST(section_share, written_in_one_process_read_in_another_and_in_system_space)
{
    TWO_PROCESSES Two = { 0 };
    ASSERT_TRUE(MakeTwo(&Two, 0x10000, SEC_COMMIT));
    PSECTION Section = TestSectionObject(Two.Section);
    ULONG InA = MapInto(Two.A, Two.Section, 0, 0, PAGE_READWRITE);
    ULONG InB = MapInto(Two.B, Two.Section, 0x20000000, 0, PAGE_READWRITE);
    PVOID System = NULL;
    SIZE_T SystemSize = 0;
    EXPECT_NE(InA, 0);
    EXPECT_EQ(InB, 0x20000000);
    EXPECT_EQ(MmMapViewInSystemSpace(Section, &System, &SystemSize), STATUS_SUCCESS);
    EXPECT_EQ(SystemSize, 0x10000);
    EXPECT_TRUE(MiIsSystemViewAddress((ULONG)System));

    for (ULONG Page = 0; Page < 16; Page++)
        EXPECT_EQ(WriteIn(Two.A, InA + Page * PAGE_SIZE, STAMP(Page)), STATUS_SUCCESS);
    for (ULONG Page = 0; Page < 16; Page++) {
        ULONG Value = 0;
        EXPECT_EQ(ReadIn(Two.B, InB + Page * PAGE_SIZE, &Value), STATUS_SUCCESS);
        EXPECT_EQ(Value, STAMP(Page));
        EXPECT_EQ(((volatile ULONG *)System)[Page * PAGE_SIZE / 4], STAMP(Page));
    }
    PFN_NUMBER Pfn = FrameIn(Two.A, InA + 0x3000);
    EXPECT_EQ(FrameIn(Two.B, InB + 0x3000), Pfn);
    EXPECT_EQ(TestFrameOf((ULONG)System + 0x3000), Pfn);
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    EXPECT_EQ(Pfn1->u2.ShareCount, 3);
    EXPECT_EQ(Pfn1->u3.e2.ReferenceCount, 1);
    EXPECT_TRUE(Pfn1->u3.e2.e1.PrototypePte);
    EXPECT_EQ(Pfn1->PteAddress, Section->Segment->PrototypePte + 3);

    /* Each unmap takes one share away; the page stays (the section holds it through its prototype PTE). */
    EXPECT_EQ(UnmapFrom(Two.B, InB), STATUS_SUCCESS);
    EXPECT_EQ(Pfn1->u2.ShareCount, 2);
    EXPECT_EQ(MmUnmapViewInSystemSpace(System), STATUS_SUCCESS);
    EXPECT_EQ(Pfn1->u2.ShareCount, 1);
    EXPECT_EQ(UnmapFrom(Two.A, InA), STATUS_SUCCESS);
    EXPECT_EQ(Pfn1->u3.e2.e1.PageLocation, ModifiedPageList);   /* written, and no paging file */
    DeleteTwo(&Two);
}

/* A page nobody maps keeps its data while the section lives: the next view gets it back (a transition fault). */
KTEST(section_share, a_page_keeps_its_data_between_views)
{
    TWO_PROCESSES Two = { 0 };
    ASSERT_TRUE(MakeTwo(&Two, 0x4000, SEC_COMMIT));
    ULONG InA = MapInto(Two.A, Two.Section, 0, 0, PAGE_READWRITE);
    EXPECT_EQ(WriteIn(Two.A, InA + 0x1000, 0xFEEDFACE), STATUS_SUCCESS);
    PFN_NUMBER Pfn = FrameIn(Two.A, InA + 0x1000);
    ULONG Untouched;
    EXPECT_EQ(ReadIn(Two.A, InA + 0x2000, &Untouched), STATUS_SUCCESS);     /* read only: not modified */
    PFN_NUMBER Clean = FrameIn(Two.A, InA + 0x2000);
    EXPECT_EQ(UnmapFrom(Two.A, InA), STATUS_SUCCESS);
    EXPECT_EQ(MI_PFN_ELEMENT(Pfn)->u3.e2.e1.PageLocation, ModifiedPageList);
    EXPECT_EQ(MI_PFN_ELEMENT(Clean)->u3.e2.e1.PageLocation, StandbyPageList);

    ULONG Transitions = MmInfoCounters.TransitionCount;
    ULONG InB = MapInto(Two.B, Two.Section, 0, 0, PAGE_READONLY);
    ULONG Value = 0;
    EXPECT_EQ(ReadIn(Two.B, InB + 0x1000, &Value), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0xFEEDFACE);
    EXPECT_EQ(FrameIn(Two.B, InB + 0x1000), Pfn);
    EXPECT_EQ(MmInfoCounters.TransitionCount, Transitions + 1);
    EXPECT_EQ(UnmapFrom(Two.B, InB), STATUS_SUCCESS);
    DeleteTwo(&Two);
}

/* The section outlives its handle while a view holds it; its control area goes with the last view. */
KTEST(section_share, the_section_lives_until_its_last_view_goes)
{
    TWO_PROCESSES Two = { 0 };
    ASSERT_TRUE(MakeTwo(&Two, 0x2000, SEC_COMMIT));
    PCONTROL_AREA ControlArea = TestSectionObject(Two.Section)->Segment->ControlArea;
    ULONG InA = MapInto(Two.A, Two.Section, 0, 0, PAGE_READWRITE);
    ULONG InB = MapInto(Two.B, Two.Section, 0, 0, PAGE_READWRITE);
    EXPECT_EQ(WriteIn(Two.A, InA, 42), STATUS_SUCCESS);
    EXPECT_EQ(ControlArea->NumberOfSectionReferences, 1);
    EXPECT_EQ(ControlArea->NumberOfMappedViews, 2);
    EXPECT_EQ(ControlArea->NumberOfUserReferences, 3);
    EXPECT_EQ(NtClose(Two.Section), STATUS_SUCCESS);
    Two.Section = NULL;
    EXPECT_TRUE(TestControlAreaExists(ControlArea));
    EXPECT_EQ(ControlArea->NumberOfSectionReferences, 0);
    ULONG Value = 0;
    EXPECT_EQ(ReadIn(Two.B, InB, &Value), STATUS_SUCCESS);
    EXPECT_EQ(Value, 42);
    EXPECT_EQ(UnmapFrom(Two.A, InA), STATUS_SUCCESS);
    EXPECT_TRUE(TestControlAreaExists(ControlArea));
    /* The last view: the process's end takes it (MmCleanProcessAddressSpace), and the section with it. */
    TestDeleteUserProcess(Two.B);
    Two.B = NULL;
    EXPECT_FALSE(TestControlAreaExists(ControlArea));
    DeleteTwo(&Two);
}

/*
 * SEC_RESERVE: pages are committed inside a view (NtAllocateVirtualMemory),
 * for every view; the charge is the system's, not the process's (NT's
 * shared commit); committing twice is allowed; decommitting is not.
 */
KTEST(section_share, sec_reserve_pages_are_committed_inside_a_view)
{
    TWO_PROCESSES Two = { 0 };
    ASSERT_TRUE(MakeTwo(&Two, 0x20000, SEC_RESERVE));
    PSECTION Section = TestSectionObject(Two.Section);
    ULONG InA = MapInto(Two.A, Two.Section, 0x30000000, 0x2000, PAGE_READWRITE);
    ULONG InB = MapInto(Two.B, Two.Section, 0, 0x2000, PAGE_READWRITE);
    ULONG Value;
    ASSERT_NE(InA, 0);
    ASSERT_NE(InB, 0);
    EXPECT_EQ(ReadIn(Two.A, InA + 0x1000, &Value), STATUS_ACCESS_VIOLATION);     /* reserved */

    PKAPC_STATE Apc = TestAttach(Two.A);
    ULONG ProcessCharge = Two.A->CommitCharge, SystemCharge = MmTotalCommittedPages;
    ULONG Base = InA + 0x1000;
    SIZE_T Size = 0x1000;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);
    EXPECT_EQ(Base, InA + 0x1000);
    EXPECT_EQ(Two.A->CommitCharge, ProcessCharge);
    EXPECT_EQ(MmTotalCommittedPages, SystemCharge + 1);
    EXPECT_EQ(Section->Segment->NumberOfCommittedPages, 1);
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);    /* again: no charge */
    EXPECT_EQ(MmTotalCommittedPages, SystemCharge + 1);
    EXPECT_EQ(TestRead(InA + 0x1000, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(TestWrite(InA + 0x1000, 1, NULL), STATUS_ACCESS_VIOLATION);     /* committed read-only here */
    /* NT's conformance tests: more than the view, or past it, conflicts; decommitting a view is refused. */
    ULONG Beyond = InA;
    SIZE_T BeyondSize = 0x3000;
    EXPECT_EQ(TestAllocate(&Beyond, &BeyondSize, MEM_COMMIT, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    Beyond = InA + 0x2000;
    BeyondSize = 0x1000;
    EXPECT_EQ(TestAllocate(&Beyond, &BeyondSize, MEM_COMMIT, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    EXPECT_EQ(TestFree(InA + 0x1000, 0x1000, MEM_DECOMMIT), STATUS_UNABLE_TO_DELETE_SECTION);
    TestDetach(Apc);

    /* The other view sees it committed, with the view's own protection: it may write. */
    EXPECT_EQ(WriteIn(Two.B, InB + 0x1000, 77), STATUS_SUCCESS);
    EXPECT_EQ(ReadIn(Two.A, InA + 0x1000, &Value), STATUS_SUCCESS);
    EXPECT_EQ(Value, 77);
    EXPECT_EQ(UnmapFrom(Two.A, InA), STATUS_SUCCESS);
    EXPECT_EQ(UnmapFrom(Two.B, InB), STATUS_SUCCESS);
    ULONG BeforeClose = MmTotalCommittedPages;
    NtClose(Two.Section);
    Two.Section = NULL;
    EXPECT_LE(MmTotalCommittedPages + 1, BeforeClose);      /* the committed page's charge went with the section */
    DeleteTwo(&Two);
}

/* A system view: its size checked against the section, its PTEs prototype-format until touched. */
KTEST(section_share, system_view_ptes_point_at_the_prototype_ptes)
{
    HANDLE Handle;
    PVOID Base = NULL;
    SIZE_T Size = 0x30000;
    ASSERT_EQ(TestCreateSection(&Handle, 0x20000, SEC_COMMIT, PAGE_READONLY, NULL), STATUS_SUCCESS);
    PSECTION Section = TestSectionObject(Handle);
    EXPECT_EQ(MmMapViewInSystemSpace(Section, &Base, &Size), STATUS_INVALID_VIEW_SIZE);
    Size = 0x3000;
    ASSERT_EQ(MmMapViewInSystemSpace(Section, &Base, &Size), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)Base % MI_SYSTEM_VIEW_BUCKET_SIZE, 0);
    MMPTE Pte = MiReadPte(MiAddressToPte((ULONG)Base + 0x2000));
    EXPECT_FALSE(Pte.u.Hard.Valid);
    EXPECT_TRUE(Pte.u.Proto.Prototype);
    EXPECT_TRUE(Pte.u.Proto.ReadOnly);                      /* the section is read-only */
    EXPECT_EQ(MiPteToProto(Pte), Section->Segment->PrototypePte + 2);
    EXPECT_EQ(MiReadPte(MiAddressToPte((ULONG)Base + 0x3000)).u.Long, 0);    /* past the view */
    EXPECT_EQ(((volatile ULONG *)Base)[0x2000 / 4], 0);     /* demand zero through the prototype PTE */
    Pte = MiReadPte(MiAddressToPte((ULONG)Base + 0x2000));
    EXPECT_TRUE(Pte.u.Hard.Valid);
    EXPECT_FALSE(Pte.u.Hard.Write);
    EXPECT_EQ(MiSystemViewCount(), 1);
    EXPECT_EQ(MmUnmapViewInSystemSpace(Base), STATUS_SUCCESS);
    EXPECT_EQ(MiSystemViewCount(), 0);
    EXPECT_EQ(MiReadPte(MiAddressToPte((ULONG)Base + 0x2000)).u.Long, 0);
    NtClose(Handle);
}

/* NT's verdict on unmapping from system space what is not a view: parameter 1 the address. */
KTEST_DEATH(section_share, unmapping_no_system_view_bugchecks, DRIVER_UNMAPPING_INVALID_VIEW)
{
    PVOID NoView = (PVOID)((ULONG)MiSystemViewStart + 0x10000);
    KtestExpectBugCheckParameter(t, 1, (ULONG_PTR)NoView);
    MmUnmapViewInSystemSpace(NoView);
}

/*
 * A broken count: a segment deleted while a view still maps a page of it.
 * NT stops the machine rather than free a page a PTE still maps.
 */
KTEST_DEATH_P1(section_share, segment_deleted_under_a_mapped_page_bugchecks, MEMORY_MANAGEMENT,
               MM_BUGCHECK_SEGMENT_PAGE_MAPPED)
{
    TWO_PROCESSES Two = { 0 };
    TEST_REQUIRE(MakeTwo(&Two, 0x1000, SEC_COMMIT));
    PCONTROL_AREA ControlArea = TestSectionObject(Two.Section)->Segment->ControlArea;
    ULONG InA = MapInto(Two.A, Two.Section, 0, 0, PAGE_READWRITE);
    TEST_REQUIRE(InA && NT_SUCCESS(WriteIn(Two.A, InA, 1)));
    /* Forget the view in the counts; the handle's close then deletes the segment under it. */
    ControlArea->NumberOfMappedViews--;
    ControlArea->NumberOfUserReferences--;
    NtClose(Two.Section);
}

/*
 * A view's page locked by an MDL outlives the view: unmapped, it is in
 * transition on no list (the lock holds it); a new view's fault takes it
 * back as it is; and when the section goes while it is still locked, the
 * page is freed only with the lock (the leak guards see nothing left).
 */
KTEST(section_share, a_locked_page_outlives_its_view_and_its_section)
{
    TWO_PROCESSES Two = { 0 };
    ASSERT_TRUE(MakeTwo(&Two, 0x2000, SEC_COMMIT));
    PMMPTE Proto = TestSectionObject(Two.Section)->Segment->PrototypePte;
    PKAPC_STATE Apc = TestAttach(Two.A);
    ULONG Base = 0;
    SIZE_T Size = 0;
    ASSERT_EQ(TestMapView(Two.Section, &Base, 0, &Size, PAGE_READWRITE), STATUS_SUCCESS);
    PMDL Mdl = IoAllocateMdl((PVOID)Base, PAGE_SIZE, FALSE, FALSE, NULL);
    NTSTATUS Status;
    EX_TRY {
        MmProbeAndLockPages(Mdl, KernelMode, IoWriteAccess);
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    EXPECT_EQ(Status, STATUS_SUCCESS);
    EXPECT_EQ(TestWrite(Base, 0xB0B0, NULL), STATUS_SUCCESS);
    PFN_NUMBER Pfn = MmGetMdlPfnArray(Mdl)[0];
    EXPECT_EQ(TestUnmapView(Base), STATUS_SUCCESS);
    TestDetach(Apc);
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    EXPECT_EQ(Pfn1->u3.e2.e1.PageLocation, TransitionPage);     /* no PTE, but locked: on no list */
    EXPECT_EQ(Pfn1->u3.e2.ReferenceCount, 1);
    EXPECT_TRUE(MiReadPte(Proto).u.Soft.Transition);

    ULONG Value = 0, InB = MapInto(Two.B, Two.Section, 0, 0, PAGE_READONLY);
    EXPECT_EQ(ReadIn(Two.B, InB, &Value), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0xB0B0);
    EXPECT_EQ(FrameIn(Two.B, InB), Pfn);
    EXPECT_EQ(Pfn1->u3.e2.ReferenceCount, 2);                   /* the lock's and the PTEs' */
    EXPECT_EQ(UnmapFrom(Two.B, InB), STATUS_SUCCESS);

    /* The section goes while the page is locked: it is marked deleted, freed with the lock. */
    NtClose(Two.Section);
    Two.Section = NULL;
    EXPECT_EQ(Pfn1->u3.e2.e1.PageLocation, TransitionPage);
    MmUnlockPages(Mdl);
    IoFreeMdl(Mdl);
    EXPECT_TRUE(Pfn1->u3.e2.e1.PageLocation <= FreePageList);
    DeleteTwo(&Two);
}
