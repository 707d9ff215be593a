/*
 * tests/mm/section_cow.c — copy-on-write views, file-backed sections, and
 * the protection of a view's pages.
 *
 * Copy-on-write, NT's rules: a write-copy view charges the process's commit
 * for every page when it is mapped; the first write to a page gives the
 * writer a private copy (CopyOnWriteCount), every other view keeps the
 * original; the copy is the process's own and goes with the view.
 * File-backed sections read their pages from the boot module (PageReadCount)
 * and share one control area per file. A view's pages can be protected
 * within what the view allows (STATUS_SECTION_PROTECTION otherwise).
 */
#include "section_test.h"

static ULONG MapHere(HANDLE Handle, ULONG Base, SIZE_T Size, ULONG Protect)
{
    return NT_SUCCESS(TestMapView(Handle, &Base, 0, &Size, Protect)) ? Base : 0;
}

static ULONG QueryProtect(ULONG Va)
{
    MEMORY_BASIC_INFORMATION Info;
    return NT_SUCCESS(TestQuery(Va, &Info)) ? Info.Protect : 0xFFFFFFFF;
}

/* The writer gets a private copy; the other view sees the original; the copy goes with the view. */
KTEST(section_cow, the_writer_gets_a_private_copy)
{
    PEPROCESS A = TestCreateUserProcess(false), B = TestCreateUserProcess(false);
    HANDLE Handle;
    ULONG Value;
    ASSERT_NOT_NULL(A);
    ASSERT_NOT_NULL(B);
    ASSERT_EQ(TestCreateSection(&Handle, 0x4000, SEC_COMMIT, PAGE_READWRITE, NULL), STATUS_SUCCESS);

    PKAPC_STATE Apc = TestAttach(A);
    ULONG InA = MapHere(Handle, 0, 0, PAGE_READWRITE);
    EXPECT_EQ(TestWrite(InA + 0x1000, 0x0A0A0A0A, NULL), STATUS_SUCCESS);
    PFN_NUMBER Shared = TestFrameOf(InA + 0x1000);
    EXPECT_EQ(A->NumberOfPrivatePages, 0);      /* a section's page, not one of the process's own */
    TestDetach(Apc);

    Apc = TestAttach(B);
    ULONG Charge = B->CommitCharge;
    ULONG InB = MapHere(Handle, 0, 0, PAGE_WRITECOPY);
    ASSERT_NE(InB, 0);
    /* NT: the view's size is charged to the process when it is mapped write-copy (plus its page table). */
    EXPECT_EQ(B->CommitCharge, Charge + 4 + 1);
    EXPECT_EQ(TestRead(InB + 0x1000, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0x0A0A0A0A);
    EXPECT_EQ(TestFrameOf(InB + 0x1000), Shared);
    EXPECT_TRUE(MiReadPte(MiAddressToPte(InB + 0x1000)).u.Hard.CopyOnWrite);
    EXPECT_EQ(QueryProtect(InB + 0x1000), PAGE_WRITECOPY);
    ULONG Copies = MmInfoCounters.CopyOnWriteCount, PrivatePages = B->NumberOfPrivatePages;
    EXPECT_EQ(TestWrite(InB + 0x1000, 0x0B0B0B0B, NULL), STATUS_SUCCESS);
    EXPECT_EQ(MmInfoCounters.CopyOnWriteCount, Copies + 1);
    EXPECT_EQ(B->NumberOfPrivatePages, PrivatePages + 1);        /* the copy is the process's own page */
    EXPECT_EQ(TestRead(InB + 0x1000, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0x0B0B0B0B);
    PFN_NUMBER Private = TestFrameOf(InB + 0x1000);
    EXPECT_NE(Private, Shared);
    EXPECT_FALSE(MI_PFN_ELEMENT(Private)->u3.e2.e1.PrototypePte);
    EXPECT_EQ(QueryProtect(InB + 0x1000), PAGE_READWRITE);      /* a private copy now */
    EXPECT_EQ(QueryProtect(InB), PAGE_WRITECOPY);
    EXPECT_EQ(B->CommitCharge, Charge + 4 + 1);                 /* charged at map time, not again */
    /* A first touch that writes: the fault maps the shared page and copies it at once. */
    EXPECT_EQ(TestWrite(InB + 0x2000, 0x0C0C0C0C, NULL), STATUS_SUCCESS);
    EXPECT_EQ(MmInfoCounters.CopyOnWriteCount, Copies + 2);
    EXPECT_EQ(B->NumberOfPrivatePages, PrivatePages + 2);
    TestDetach(Apc);

    Apc = TestAttach(A);
    EXPECT_EQ(TestRead(InA + 0x1000, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0x0A0A0A0A);
    EXPECT_EQ(TestRead(InA + 0x2000, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0);
    EXPECT_EQ(MI_PFN_ELEMENT(Shared)->u2.ShareCount, 1);        /* B's PTE went to its copy */
    TestDetach(Apc);

    Apc = TestAttach(B);
    ULONG Available = MmAvailablePages;
    EXPECT_EQ(TestUnmapView(InB), STATUS_SUCCESS);
    EXPECT_EQ(B->CommitCharge, Charge);
    EXPECT_EQ(B->NumberOfPrivatePages, PrivatePages);
    /* The two private copies are free again (the shared pages stay: A maps one, the other is the section's). */
    EXPECT_GE(MmAvailablePages, Available + 2);
    EXPECT_EQ(MI_PFN_ELEMENT(Private)->u3.e2.e1.PageLocation <= FreePageList, 1);
    TestDetach(Apc);

    Apc = TestAttach(A);
    EXPECT_EQ(TestUnmapView(InA), STATUS_SUCCESS);
    TestDetach(Apc);
    NtClose(Handle);
    TestDeleteUserProcess(A);
    TestDeleteUserProcess(B);
}

/* A file-backed view reads the module's bytes, zero past its end; a second section shares its pages. */
KTEST(section_cow, a_file_view_reads_the_boot_module)
{
    const void *Data;
    SIZE_T FileSize;
    UNICODE_STRING Path;
    WCHAR Name[] = { '\\', 'B', 'o', 'o', 't', '\\', 'b', 'o', 'o', 't', 'm', 'o', 'd', '.', 't', 'x', 't' };
    Path.Buffer = Name;
    Path.Length = Path.MaximumLength = sizeof(Name);
    if (!NT_SUCCESS(IoFindBootFile(&Path, &Data, &FileSize)))
        KTEST_SKIP("no boot module bootmod.txt");

    PEPROCESS Process = TestCreateUserProcess(false);
    HANDLE File, First, Second;
    ASSERT_NOT_NULL(Process);
    ASSERT_EQ(TestOpenBootFile("bootmod.txt", FILE_GENERIC_READ, &File), STATUS_SUCCESS);
    PFILE_OBJECT FileObject = NULL;
    EXPECT_EQ(ObReferenceObjectByHandle(File, 0, IoFileObjectType, KernelMode, (PVOID *)&FileObject, NULL),
              STATUS_SUCCESS);
    if (FileObject) {
        EXPECT_EQ(FileObject->BootData, Data);
        EXPECT_EQ(FileObject->FileSize, FileSize);
        EXPECT_FALSE(FileObject->WriteAccess);
        ObDereferenceObject(FileObject);
    }
    ASSERT_EQ(TestCreateSection(&First, 0, SEC_COMMIT, PAGE_READONLY, File), STATUS_SUCCESS);
    ASSERT_EQ(TestCreateSection(&Second, FileSize, SEC_COMMIT, PAGE_WRITECOPY, File), STATUS_SUCCESS);
    PSECTION S1 = TestSectionObject(First), S2 = TestSectionObject(Second);
    EXPECT_EQ(S1->Segment, S2->Segment);                        /* one control area per file */
    EXPECT_EQ(S1->SizeOfSection.QuadPart, (LONGLONG)FileSize);
    SECTION_BASIC_INFORMATION Info;
    EXPECT_EQ(ZwQuerySection(First, SectionBasicInformation, &Info, sizeof(Info), NULL), STATUS_SUCCESS);
    EXPECT_EQ(Info.Attributes, SEC_COMMIT | SEC_FILE);

    PKAPC_STATE Apc = TestAttach(Process);
    ULONG View = MapHere(First, 0, 0, PAGE_READONLY);
    ULONG Copy = MapHere(Second, 0, 0, PAGE_WRITECOPY);
    ASSERT_NE(View, 0);
    ULONG Reads = MmInfoCounters.PageReadCount, Value;
    EXPECT_EQ(memcmp((const void *)View, Data, FileSize), 0);
    EXPECT_EQ(MmInfoCounters.PageReadCount, Reads + BYTES_TO_PAGES(FileSize));
    for (ULONG i = FileSize; i < ROUND_UP(FileSize, PAGE_SIZE); i++)
        EXPECT_EQ(((volatile UCHAR *)View)[i], 0);
    EXPECT_EQ(TestRead(Copy, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(TestFrameOf(Copy), TestFrameOf(View));           /* the same page, through both sections */
    EXPECT_EQ(MmInfoCounters.PageReadCount, Reads + BYTES_TO_PAGES(FileSize));
    EXPECT_EQ(TestWrite(View, 1, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(TestWrite(Copy, 0x31415926, NULL), STATUS_SUCCESS);  /* a private copy; the file's page unchanged */
    EXPECT_EQ(TestRead(View, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, *(const ULONG *)Data);
    /* A file's pages are committed already (NT: only pagefile-backed sections commit on demand). */
    ULONG Base = View;
    SIZE_T Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READONLY), STATUS_ALREADY_COMMITTED);
    EXPECT_EQ(TestUnmapView(View), STATUS_SUCCESS);
    EXPECT_EQ(TestUnmapView(Copy), STATUS_SUCCESS);
    /* The file's page is clean: standby. Mapped again, it comes back without a read. */
    View = MapHere(First, 0, 0, PAGE_READONLY);
    EXPECT_EQ(TestRead(View, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, *(const ULONG *)Data);
    EXPECT_EQ(MmInfoCounters.PageReadCount, Reads + BYTES_TO_PAGES(FileSize));
    EXPECT_EQ(TestUnmapView(View), STATUS_SUCCESS);
    TestDetach(Apc);

    NtClose(First);
    NtClose(Second);
    NtClose(File);
    TestDeleteUserProcess(Process);
}

/* The boot files are read-only: what would write is refused, as NT refuses it; sizes are the file's. */
KTEST(section_cow, a_file_section_cannot_write_or_grow_its_file)
{
    HANDLE File, Handle;
    if (!NT_SUCCESS(TestOpenBootFile("bootmod.txt", FILE_GENERIC_READ, &File)))
        KTEST_SKIP("no boot module bootmod.txt");
    EXPECT_EQ(TestOpenBootFile("bootmod.txt", FILE_GENERIC_READ | FILE_WRITE_DATA, &Handle), STATUS_ACCESS_DENIED);
    EXPECT_EQ(TestOpenBootFile("bootmod.txt", GENERIC_WRITE, &Handle), STATUS_ACCESS_DENIED);
    EXPECT_EQ(TestOpenBootFile("nosuch.txt", FILE_GENERIC_READ, &Handle), STATUS_OBJECT_NAME_NOT_FOUND);
    EXPECT_EQ(TestOpenBootFile("a\\b", FILE_GENERIC_READ, &Handle), STATUS_OBJECT_NAME_INVALID);
    EXPECT_EQ(TestCreateSection(&Handle, 0, SEC_COMMIT, PAGE_READWRITE, File), STATUS_ACCESS_DENIED);
    EXPECT_EQ(TestCreateSection(&Handle, 0, SEC_COMMIT, PAGE_EXECUTE_READWRITE, File), STATUS_ACCESS_DENIED);
    /* NT: a size beyond a file that cannot be extended. */
    EXPECT_EQ(TestCreateSection(&Handle, 0x100000, SEC_COMMIT, PAGE_READONLY, File), STATUS_SECTION_TOO_BIG);
    /* A handle that is no file. */
    HANDLE Other;
    ASSERT_EQ(TestCreateSection(&Other, PAGE_SIZE, SEC_COMMIT, PAGE_READWRITE, NULL), STATUS_SUCCESS);
    EXPECT_EQ(TestCreateSection(&Handle, 0, SEC_COMMIT, PAGE_READONLY, Other), STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(Other);
    EXPECT_EQ(TestCreateSection(&Handle, 0, SEC_IMAGE, PAGE_READONLY, File), STATUS_INVALID_IMAGE_NOT_MZ);  /* text, no image */
    NtClose(File);
}

/*
 * NtProtectVirtualMemory in a view: within what the view allows (NT's
 * conformance test: a no-access view cannot become readable), on committed
 * pages; a resident page made no-access loses its mapping, not its data.
 */
KTEST(section_cow, protecting_a_views_pages)
{
    PEPROCESS Process = TestCreateUserProcess(false);
    HANDLE Handle, NoChange;
    ULONG Old, Value;
    ASSERT_NOT_NULL(Process);
    ASSERT_EQ(TestCreateSection(&Handle, 0x4000, SEC_RESERVE, PAGE_READWRITE, NULL), STATUS_SUCCESS);
    ASSERT_EQ(TestCreateSection(&NoChange, 0x1000, SEC_COMMIT | SEC_NO_CHANGE, PAGE_READWRITE, NULL),
              STATUS_SUCCESS);
    PKAPC_STATE Apc = TestAttach(Process);

    ULONG None = MapHere(Handle, 0, 0, PAGE_NOACCESS);
    EXPECT_EQ(TestProtect(None, PAGE_SIZE, PAGE_READWRITE, &Old), STATUS_SECTION_PROTECTION);
    EXPECT_EQ(TestProtect(None, PAGE_SIZE, PAGE_READONLY, &Old), STATUS_SECTION_PROTECTION);
    EXPECT_EQ(TestRead(None, &Value, NULL), STATUS_ACCESS_VIOLATION);
    /* NT's conformance test: committing in it sets the page's protection, whatever the view's. */
    ULONG Base = None;
    SIZE_T Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);
    EXPECT_EQ(TestRead(None, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(TestWrite(None, 1, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(TestWrite(None, 0x600D, NULL), STATUS_SUCCESS);
    EXPECT_EQ(TestUnmapView(None), STATUS_SUCCESS);

    ULONG View = MapHere(Handle, 0, 0, PAGE_READWRITE);
    EXPECT_EQ(TestProtect(View + PAGE_SIZE, PAGE_SIZE, PAGE_READONLY, &Old), STATUS_NOT_COMMITTED);
    EXPECT_EQ(TestRead(View, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0x600D);
    EXPECT_EQ(TestProtect(View, PAGE_SIZE, PAGE_NOACCESS, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_READWRITE);
    PMMPTE Pte = MiUserPteIfPresent(View);                      /* its page table may have gone with it */
    EXPECT_TRUE(!Pte || MiReadPte(Pte).u.Long == 0);            /* the shared page left this PTE */
    EXPECT_EQ(TestRead(View, &Value, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(QueryProtect(View), PAGE_NOACCESS);
    EXPECT_EQ(TestProtect(View, PAGE_SIZE, PAGE_READONLY | PAGE_GUARD, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Old, PAGE_NOACCESS);
    EXPECT_EQ(TestRead(View, &Value, NULL), STATUS_GUARD_PAGE_VIOLATION);
    EXPECT_EQ(TestRead(View, &Value, NULL), STATUS_SUCCESS);    /* one shot */
    EXPECT_EQ(Value, 0x600D);
    EXPECT_EQ(QueryProtect(View), PAGE_READONLY);
    EXPECT_EQ(TestWrite(View, 1, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(TestProtect(View, PAGE_SIZE, PAGE_EXECUTE_READ, &Old), STATUS_SECTION_PROTECTION);

    /* Write-copy on a page of a read/write view: NT charges its copy now, once. */
    ULONG Charge = Process->CommitCharge;
    EXPECT_EQ(TestProtect(View, PAGE_SIZE, PAGE_WRITECOPY, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Process->CommitCharge, Charge + 1);
    EXPECT_EQ(TestProtect(View, PAGE_SIZE, PAGE_WRITECOPY, &Old), STATUS_SUCCESS);
    EXPECT_EQ(Process->CommitCharge, Charge + 1);
    EXPECT_EQ(TestWrite(View, 0xC0FFEE, NULL), STATUS_SUCCESS);
    EXPECT_FALSE(MI_PFN_ELEMENT(TestFrameOf(View))->u3.e2.e1.PrototypePte);
    ULONG Other = MapHere(Handle, 0, 0, PAGE_READONLY);
    EXPECT_EQ(TestRead(Other, &Value, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0x600D);
    EXPECT_EQ(TestUnmapView(Other), STATUS_SUCCESS);
    EXPECT_EQ(TestUnmapView(View), STATUS_SUCCESS);
    EXPECT_EQ(Process->CommitCharge, Charge - 1);               /* the copy's charge and the page table's */

    /* SEC_NO_CHANGE: a view's protection cannot change. */
    ULONG Fixed = MapHere(NoChange, 0, 0, PAGE_READWRITE);
    EXPECT_EQ(TestProtect(Fixed, PAGE_SIZE, PAGE_READONLY, &Old), STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(TestUnmapView(Fixed), STATUS_SUCCESS);
    TestDetach(Apc);
    NtClose(Handle);
    NtClose(NoChange);
    TestDeleteUserProcess(Process);
}
