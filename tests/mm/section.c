/*
 * tests/mm/section.c — NtCreateSection, NtMapViewOfSection,
 * NtUnmapViewOfSection and NtQuerySection: every status in NT's order, the
 * commit each kind of section charges, what a view's query says.
 *
 * The expected statuses are NT's: its documentation and what its own
 * conformance tests (ReactOS's NtMapViewOfSection and ZwCreateSection tests,
 * run against Windows) observed. Where mm386 differs on purpose (no image
 * sections yet, no based sections, no large pages) the test says so.
 */
#include "section_test.h"

/* NtCreateSection: attributes first, then the protection, then the size, as NT checks them. */
KTEST(section, create_checks_arguments_in_nt_order)
{
    HANDLE Handle;
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, 0, PAGE_READWRITE, NULL), STATUS_INVALID_PARAMETER_6);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_COMMIT | SEC_RESERVE, PAGE_READWRITE, NULL),
              STATUS_INVALID_PARAMETER_6);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, 0xFFFFFFFF, PAGE_READWRITE, NULL), STATUS_INVALID_PARAMETER_6);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_IMAGE | SEC_COMMIT, PAGE_READWRITE, NULL),
              STATUS_INVALID_PARAMETER_6);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_LARGE_PAGES, PAGE_READWRITE, NULL), STATUS_INVALID_PARAMETER_6);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_NOCACHE, PAGE_READWRITE, NULL), STATUS_INVALID_PARAMETER_6);
    /* The attributes before the protection; the protection before the size. */
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, 0, PAGE_NOACCESS, NULL), STATUS_INVALID_PARAMETER_6);
    EXPECT_EQ(TestCreateSection(&Handle, 0, SEC_COMMIT, PAGE_NOACCESS, NULL), STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_COMMIT, PAGE_READWRITE | PAGE_GUARD, NULL),
              STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_COMMIT, PAGE_READWRITE | PAGE_NOCACHE, NULL),
              STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_COMMIT, 0, NULL), STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_COMMIT, 0xFFFFFFFF, NULL), STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_COMMIT, PAGE_READONLY | PAGE_READWRITE, NULL),
              STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(TestCreateSection(&Handle, 0, SEC_COMMIT, PAGE_READWRITE, NULL), STATUS_INVALID_PARAMETER_4);
    /* x86 NT: a pagefile-backed section is at most 4 GB; -1 is far more. */
    EXPECT_EQ(TestCreateSection(&Handle, 0xFFFFFFFFFFFFFFFFull, SEC_COMMIT, PAGE_READWRITE, NULL),
              STATUS_SECTION_TOO_BIG);
    EXPECT_EQ(TestCreateSection(&Handle, 0x100000000ull, SEC_RESERVE, PAGE_READWRITE, NULL), STATUS_SECTION_TOO_BIG);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_IMAGE, PAGE_READWRITE, NULL), STATUS_INVALID_FILE_FOR_SECTION);
    /* Valid requests mm386 does not provide. */
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_COMMIT | SEC_BASED, PAGE_READWRITE, NULL),
              STATUS_NOT_SUPPORTED);
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_COMMIT | SEC_LARGE_PAGES, PAGE_READWRITE, NULL),
              STATUS_NOT_SUPPORTED);
}

/* Every protection NT accepts for a section over the paging file, and the handle's object is a Section. */
KTEST(section, create_accepts_nt_protections)
{
    static const ULONG Protections[] = {
        PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ,
        PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY,
    };
    for (ULONG i = 0; i < ARRAY_SIZE(Protections); i++) {
        HANDLE Handle;
        EXPECT_EQ(TestCreateSection(&Handle, 0x3000, SEC_COMMIT, Protections[i], NULL), STATUS_SUCCESS);
        EXPECT_EQ(ObGetObjectType(TestSectionObject(Handle)), MmSectionObjectType);
        EXPECT_EQ(NtClose(Handle), STATUS_SUCCESS);
    }
}

static SIZE_T QueriedSize(HANDLE Handle, ULONG *Attributes)
{
    SECTION_BASIC_INFORMATION Info;
    SIZE_T Length = 0;
    memset(&Info, 0xCC, sizeof(Info));
    if (!NT_SUCCESS(ZwQuerySection(Handle, SectionBasicInformation, &Info, sizeof(Info), &Length)) ||
        Length != sizeof(Info) || Info.BaseAddress != NULL)
        return 0;
    *Attributes = Info.Attributes;
    return (SIZE_T)Info.Size.QuadPart;
}

/* A pagefile-backed section's size is rounded up to pages; NtQuerySection reports it and its attributes. */
KTEST(section, query_reports_size_rounded_and_attributes)
{
    HANDLE Commit, Reserve;
    ULONG Attributes = 0;
    SECTION_BASIC_INFORMATION Info;

    ASSERT_EQ(TestCreateSection(&Commit, 1, SEC_COMMIT, PAGE_READWRITE, NULL), STATUS_SUCCESS);
    ASSERT_EQ(TestCreateSection(&Reserve, 0x12345, SEC_RESERVE, PAGE_READONLY, NULL), STATUS_SUCCESS);
    EXPECT_EQ(QueriedSize(Commit, &Attributes), PAGE_SIZE);
    EXPECT_EQ(Attributes, SEC_COMMIT);
    EXPECT_EQ(QueriedSize(Reserve, &Attributes), 0x13000);
    EXPECT_EQ(Attributes, SEC_RESERVE);
    EXPECT_EQ(ZwQuerySection(Commit, SectionImageInformation, &Info, sizeof(Info), NULL),
              STATUS_INFO_LENGTH_MISMATCH);                 /* the image class's answer is larger */
    SECTION_IMAGE_INFORMATION Image;
    EXPECT_EQ(ZwQuerySection(Commit, SectionImageInformation, &Image, sizeof(Image), NULL), STATUS_SECTION_NOT_IMAGE);
    EXPECT_EQ(ZwQuerySection(Commit, (SECTION_INFORMATION_CLASS)2, &Image, sizeof(Image), NULL),
              STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(ZwQuerySection(Commit, SectionBasicInformation, &Info, sizeof(Info) - 1, NULL),
              STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(ZwQuerySection((HANDLE)0x7FF0, SectionBasicInformation, &Info, sizeof(Info), NULL),
              STATUS_INVALID_HANDLE);
    NtClose(Commit);
    NtClose(Reserve);
}

/*
 * NT charges a SEC_COMMIT section's whole size to the system's commit when
 * it is made, a SEC_RESERVE one's nothing (the prototype PTEs' pool is
 * charged the same for both); closing gives it all back.
 */
KTEST(section, sec_commit_charges_its_size_at_creation_sec_reserve_nothing)
{
    const ULONG Pages = 1024;
    HANDLE Handle;

    /* Once first, so the pool blocks of a section's object and control area need no new pool page below. */
    ASSERT_EQ(TestCreateSection(&Handle, Pages * PAGE_SIZE, SEC_COMMIT, PAGE_READWRITE, NULL), STATUS_SUCCESS);
    NtClose(Handle);
    ULONG Before = MmTotalCommittedPages;
    ASSERT_EQ(TestCreateSection(&Handle, Pages * PAGE_SIZE, SEC_RESERVE, PAGE_READWRITE, NULL), STATUS_SUCCESS);
    ULONG ReserveCharge = MmTotalCommittedPages - Before;
    NtClose(Handle);
    EXPECT_EQ(MmTotalCommittedPages, Before);
    ASSERT_EQ(TestCreateSection(&Handle, Pages * PAGE_SIZE, SEC_COMMIT, PAGE_READWRITE, NULL), STATUS_SUCCESS);
    EXPECT_EQ(MmTotalCommittedPages - Before, ReserveCharge + Pages);
    NtClose(Handle);
    EXPECT_EQ(MmTotalCommittedPages, Before);
}

/* More than the commit limit allows: NT's STATUS_COMMITMENT_LIMIT, nothing left behind. */
KTEST(section, sec_commit_beyond_the_limit_is_refused)
{
    HANDLE Handle;
    ULONG Pages = MmTotalCommitLimit - MmTotalCommittedPages + 1;
    EXPECT_EQ(TestCreateSection(&Handle, (ULONGLONG)Pages * PAGE_SIZE, SEC_COMMIT, PAGE_READWRITE, NULL),
              STATUS_COMMITMENT_LIMIT);
    EXPECT_NULL(Handle);
}

/* NtMapViewOfSection's checks, in NT's order (its conformance tests' values). */
KTEST(section, map_checks_arguments_in_nt_order)
{
    PEPROCESS Process = TestCreateUserProcess(false);
    HANDLE Handle, Event;
    ASSERT_NOT_NULL(Process);
    ASSERT_EQ(TestCreateSection(&Handle, 0x20000, SEC_COMMIT, PAGE_READWRITE, NULL), STATUS_SUCCESS);
    OBJECT_ATTRIBUTES Kernel;
    InitializeObjectAttributes(&Kernel, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    ASSERT_EQ(ZwCreateEvent(&Event, EVENT_ALL_ACCESS, &Kernel, NotificationEvent, FALSE), STATUS_SUCCESS);
    PKAPC_STATE Apc = TestAttach(Process);

    PVOID Base = (PVOID)0x30000000;
    SIZE_T Size = 0x1000;
    LARGE_INTEGER Offset = { .QuadPart = 0 };
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &Offset, &Size, 0, 0, PAGE_READWRITE),
              STATUS_INVALID_PARAMETER_8);
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &Offset, &Size, 3, 0, PAGE_READWRITE),
              STATUS_INVALID_PARAMETER_8);
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &Offset, &Size, ViewShare, MEM_COMMIT,
                                 PAGE_READWRITE), STATUS_INVALID_PARAMETER_9);
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &Offset, &Size, ViewShare, 0, 0),
              STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &Offset, &Size, ViewShare, 0,
                                 PAGE_READWRITE | PAGE_READONLY), STATUS_INVALID_PAGE_PROTECTION);
    /* The range, before the handles are looked at. */
    SIZE_T Huge = 0xFFFFFFFF;
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &Offset, &Huge, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_INVALID_PARAMETER_3);
    PVOID High = (PVOID)((ULONG)MmHighestUserAddress - 0x8000);     /* above the highest VAD address */
    EXPECT_EQ(ZwMapViewOfSection((HANDLE)0x7FF0, NtCurrentProcess(), &High, 0, 0, &Offset, &Size, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_INVALID_PARAMETER_3);
    if ((ULONG)MmSystemRangeStart > MM_SYSTEM_RANGE_START_2GB) {
        /* /3GB: above 2 GB in a process that is not large address aware, once the process is known. */
        PVOID Above2Gb = (PVOID)0x90000000;
        EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Above2Gb, 0, 0, &Offset, &Size, ViewShare, 0,
                                     PAGE_READWRITE), STATUS_INVALID_PARAMETER_3);
    }
    EXPECT_EQ(ZwMapViewOfSection((HANDLE)0x7FF0, NtCurrentProcess(), &Base, 22, 0, &Offset, &Size, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);
    EXPECT_EQ(ZwMapViewOfSection((HANDLE)0x7FF0, NtCurrentProcess(), &Base, 4, 0, &Offset, &Size, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);     /* 0x30000000 needs bit 29 */
    EXPECT_EQ(ZwMapViewOfSection((HANDLE)0x7FF0, NtCurrentProcess(), &Base, 0, 0, &Offset, &Size, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_INVALID_HANDLE);
    EXPECT_EQ(ZwMapViewOfSection(Event, NtCurrentProcess(), &Base, 0, 0, &Offset, &Size, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_OBJECT_TYPE_MISMATCH);
    /* Alignment: the base and the offset on 64 KB (4 KB with MEM_DOS_LIM). */
    PVOID Unaligned = (PVOID)0x30001000;
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Unaligned, 0, 0, &Offset, &Size, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_MAPPED_ALIGNMENT);
    LARGE_INTEGER PageOffset = { .QuadPart = 0x1000 };
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &PageOffset, &Size, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_MAPPED_ALIGNMENT);
    /* The protection against the section's, then the size against the section. */
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &Offset, &Size, ViewShare, 0,
                                 PAGE_EXECUTE_READWRITE), STATUS_SECTION_PROTECTION);
    SIZE_T TooBig = 0x21000;
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &Offset, &TooBig, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_INVALID_VIEW_SIZE);
    LARGE_INTEGER Past = { .QuadPart = 0x30000 };
    SIZE_T Zero = 0;
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &Past, &Zero, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_INVALID_VIEW_SIZE);
    LARGE_INTEGER AtEnd = { .QuadPart = 0x20000 };
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &AtEnd, &Zero, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_INVALID_VIEW_SIZE);
    LARGE_INTEGER Second = { .QuadPart = 0x10000 };
    SIZE_T Overlong = 0x11000;
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &Second, &Overlong, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_INVALID_VIEW_SIZE);
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0x2000, &Offset, &Size, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_INVALID_PARAMETER_5);
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0, &Offset, &Size, ViewShare, 0,
                                 PAGE_READWRITE | PAGE_WRITECOMBINE), STATUS_INVALID_PARAMETER_10);
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, PAGE_SIZE, &Offset, &Size, ViewShare,
                                 MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_9);
    /* Nothing was written back by any failure. */
    EXPECT_EQ((ULONG)Base, 0x30000000);
    EXPECT_EQ(Size, 0x1000);
    EXPECT_EQ(Process->VirtualSize, 0);

    TestDetach(Apc);
    NtClose(Event);
    NtClose(Handle);
    TestDeleteUserProcess(Process);
}

/* What a successful map writes back: the base, the size in pages, the offset; ViewSize 0 is "to the end". */
KTEST(section, map_writes_back_base_size_and_offset)
{
    PEPROCESS Process = TestCreateUserProcess(false);
    HANDLE Handle;
    ASSERT_NOT_NULL(Process);
    ASSERT_EQ(TestCreateSection(&Handle, 0x25000, SEC_COMMIT, PAGE_READWRITE, NULL), STATUS_SUCCESS);
    PKAPC_STATE Apc = TestAttach(Process);

    ULONG Base = 0x30000000;
    SIZE_T Size = 0x1234;
    EXPECT_EQ(TestMapView(Handle, &Base, 0, &Size, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(Base, 0x30000000);
    EXPECT_EQ(Size, 0x2000);
    ULONG Rest = 0;
    SIZE_T RestSize = 0;
    EXPECT_EQ(TestMapView(Handle, &Rest, 0x20000, &RestSize, PAGE_READONLY), STATUS_SUCCESS);
    EXPECT_EQ(RestSize, 0x5000);                    /* from the offset to the section's end */
    EXPECT_EQ(Rest, MM_LOWEST_USER_ADDRESS);        /* NT's first fit, bottom-up */
    ULONG Top = 0;
    SIZE_T TopSize = 0;
    PVOID TopBase = NULL;
    LARGE_INTEGER Offset = { .QuadPart = 0 };
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &TopBase, 0, 0, &Offset, &TopSize, ViewUnmap,
                                 MEM_TOP_DOWN, PAGE_READONLY), STATUS_SUCCESS);
    Top = (ULONG)TopBase;
    EXPECT_EQ(Top + ROUND_UP(TopSize, MM_ALLOCATION_GRANULARITY), MiHighestVadAddress(Process) + 1);
    EXPECT_EQ(TopSize, 0x25000);
    /* MEM_DOS_LIM: a base and offset on 4 KB (x86 only); the offset is written back as mapped. */
    PVOID Dos = (PVOID)0x40001000;
    SIZE_T DosSize = 0x1000;
    LARGE_INTEGER DosOffset = { .QuadPart = 0x3000 };
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Dos, 0, 0, &DosOffset, &DosSize, ViewShare,
                                 MEM_DOS_LIM, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)Dos, 0x40001000);
    EXPECT_EQ(DosOffset.QuadPart, 0x3000);
    EXPECT_EQ(Process->VirtualSize, 0x2000 + 0x5000 + 0x25000 + 0x1000);

    EXPECT_EQ(TestUnmapView(Base), STATUS_SUCCESS);
    EXPECT_EQ(TestUnmapView(Rest + 0x4FFF), STATUS_SUCCESS);     /* any address in the view, as NT takes it */
    EXPECT_EQ(TestUnmapView(Top), STATUS_SUCCESS);
    EXPECT_EQ(TestUnmapView((ULONG)Dos), STATUS_SUCCESS);
    EXPECT_EQ(Process->VirtualSize, 0);
    TestDetach(Apc);
    NtClose(Handle);
    TestDeleteUserProcess(Process);
}

/* A view where something is already, and unmapping what is not a view. */
KTEST(section, map_over_a_vad_conflicts_and_unmap_of_no_view_is_refused)
{
    PEPROCESS Process = TestCreateUserProcess(false);
    HANDLE Handle;
    ASSERT_NOT_NULL(Process);
    ASSERT_EQ(TestCreateSection(&Handle, 0x20000, SEC_COMMIT, PAGE_READWRITE, NULL), STATUS_SUCCESS);
    PKAPC_STATE Apc = TestAttach(Process);

    ULONG Private = 0x30010000;
    SIZE_T PrivateSize = 0x1000;
    ASSERT_EQ(TestAllocate(&Private, &PrivateSize, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    ULONG Base = 0x30000000;
    SIZE_T Size = 0x20000;                          /* reaches 0x30010000 */
    EXPECT_EQ(TestMapView(Handle, &Base, 0, &Size, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    Size = 0x10000;
    EXPECT_EQ(TestMapView(Handle, &Base, 0, &Size, PAGE_READWRITE), STATUS_SUCCESS);
    ULONG Again = 0x30000000;
    SIZE_T AgainSize = 0x1000;
    EXPECT_EQ(TestMapView(Handle, &Again, 0, &AgainSize, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    /* Reserving over the view conflicts too; freeing it is refused (NT's statuses). */
    ULONG Over = 0x30000000;
    SIZE_T OverSize = 0x1000;
    EXPECT_EQ(TestAllocate(&Over, &OverSize, MEM_RESERVE, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    EXPECT_EQ(TestFree(0x30000000, 0x1000, MEM_RELEASE), STATUS_UNABLE_TO_DELETE_SECTION);
    EXPECT_EQ(TestFree(0x30000000, 0x1000, MEM_DECOMMIT), STATUS_UNABLE_TO_DELETE_SECTION);
    EXPECT_EQ(TestUnmapView(Private), STATUS_NOT_MAPPED_VIEW);
    EXPECT_EQ(TestUnmapView(0x50000000), STATUS_NOT_MAPPED_VIEW);
    EXPECT_EQ(ZwUnmapViewOfSection((HANDLE)0x7FF0, (PVOID)Base), STATUS_INVALID_HANDLE);
    EXPECT_EQ(TestUnmapView(Base + 0x8000), STATUS_SUCCESS);
    EXPECT_EQ(TestUnmapView(Base), STATUS_NOT_MAPPED_VIEW);
    EXPECT_EQ(TestFree(Private, 0, MEM_RELEASE), STATUS_SUCCESS);
    TestDetach(Apc);
    NtClose(Handle);
    TestDeleteUserProcess(Process);
}

/* NT's compatibility table: a view may not ask for more than the section was made with. */
KTEST(section, map_protection_must_be_compatible_with_the_section)
{
    static const struct {
        ULONG Section, View;
        NTSTATUS Status;
    } Cases[] = {
        { PAGE_READONLY, PAGE_READWRITE, STATUS_SECTION_PROTECTION },
        { PAGE_READONLY, PAGE_READONLY, STATUS_SUCCESS },
        { PAGE_READONLY, PAGE_WRITECOPY, STATUS_SUCCESS },
        { PAGE_READONLY, PAGE_EXECUTE, STATUS_SECTION_PROTECTION },
        { PAGE_READONLY, PAGE_NOACCESS, STATUS_SUCCESS },
        { PAGE_READWRITE, PAGE_READWRITE, STATUS_SUCCESS },
        { PAGE_READWRITE, PAGE_WRITECOPY, STATUS_SUCCESS },
        { PAGE_READWRITE, PAGE_EXECUTE_READ, STATUS_SECTION_PROTECTION },
        { PAGE_READWRITE, PAGE_READONLY | PAGE_GUARD, STATUS_SUCCESS },
        { PAGE_WRITECOPY, PAGE_READWRITE, STATUS_SECTION_PROTECTION },
        { PAGE_WRITECOPY, PAGE_WRITECOPY, STATUS_SUCCESS },
        { PAGE_EXECUTE, PAGE_READONLY, STATUS_SECTION_PROTECTION },
        { PAGE_EXECUTE, PAGE_EXECUTE, STATUS_SUCCESS },
        { PAGE_EXECUTE_READ, PAGE_EXECUTE_READ, STATUS_SUCCESS },
        { PAGE_EXECUTE_READ, PAGE_READWRITE, STATUS_SECTION_PROTECTION },
        { PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, STATUS_SUCCESS },
        { PAGE_EXECUTE_WRITECOPY, PAGE_EXECUTE_READWRITE, STATUS_SECTION_PROTECTION },
        { PAGE_EXECUTE_WRITECOPY, PAGE_EXECUTE_WRITECOPY, STATUS_SUCCESS },
    };
    PEPROCESS Process = TestCreateUserProcess(false);
    ASSERT_NOT_NULL(Process);
    for (ULONG i = 0; i < ARRAY_SIZE(Cases); i++) {
        HANDLE Handle;
        ASSERT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_COMMIT, Cases[i].Section, NULL), STATUS_SUCCESS);
        PKAPC_STATE Apc = TestAttach(Process);
        ULONG Base = 0;
        SIZE_T Size = 0;
        NTSTATUS Status = TestMapView(Handle, &Base, 0, &Size, Cases[i].View);
        if (Status != Cases[i].Status)
            KtestFail(t, __FILE__, __LINE__, "section %x, view %x: %s", Cases[i].Section, Cases[i].View,
                      RtlNtStatusName(Status));
        if (NT_SUCCESS(Status))
            EXPECT_EQ(TestUnmapView(Base), STATUS_SUCCESS);
        TestDetach(Apc);
        NtClose(Handle);
    }
    TestDeleteUserProcess(Process);
}

/* What NtQueryVirtualMemory says of a view: MEM_MAPPED, the view's base and protection, per-page state. */
KTEST(section, query_reports_a_view_as_mapped)
{
    PEPROCESS Process = TestCreateUserProcess(false);
    MEMORY_BASIC_INFORMATION Info;
    HANDLE Handle;
    ASSERT_NOT_NULL(Process);
    ASSERT_EQ(TestCreateSection(&Handle, 0x8000, SEC_RESERVE, PAGE_READWRITE, NULL), STATUS_SUCCESS);
    PKAPC_STATE Apc = TestAttach(Process);

    PVOID Base = (PVOID)0x30000000;
    SIZE_T Size = 0x8000;
    LARGE_INTEGER Offset = { .QuadPart = 0 };
    /* CommitSize commits the view's first pages in the section (NT's conformance test: the first page works). */
    EXPECT_EQ(ZwMapViewOfSection(Handle, NtCurrentProcess(), &Base, 0, 0x2000, &Offset, &Size, ViewShare, 0,
                                 PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(TestQuery(0x30001000, &Info), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)Info.BaseAddress, 0x30001000);
    EXPECT_EQ((ULONG)Info.AllocationBase, 0x30000000);
    EXPECT_EQ(Info.AllocationProtect, PAGE_READWRITE);
    EXPECT_EQ(Info.RegionSize, 0x1000);
    EXPECT_EQ(Info.State, MEM_COMMIT);
    EXPECT_EQ(Info.Protect, PAGE_READWRITE);
    EXPECT_EQ(Info.Type, MEM_MAPPED);
    EXPECT_EQ(TestQuery(0x30002000, &Info), STATUS_SUCCESS);
    EXPECT_EQ(Info.RegionSize, 0x6000);
    EXPECT_EQ(Info.State, MEM_RESERVE);
    EXPECT_EQ(Info.Protect, 0);
    EXPECT_EQ(Info.Type, MEM_MAPPED);
    ULONG Value;
    EXPECT_EQ(TestWrite(0x30000000, 1, NULL), STATUS_SUCCESS);
    EXPECT_EQ(TestRead(0x30002000, &Value, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(TestUnmapView(0x30000000), STATUS_SUCCESS);
    EXPECT_EQ(TestQuery(0x30000000, &Info), STATUS_SUCCESS);
    EXPECT_EQ(Info.State, MEM_FREE);
    TestDetach(Apc);
    NtClose(Handle);
    TestDeleteUserProcess(Process);
}
