/*
 * tests/user/sections.c — sections from ring 3: pages shared with another
 * running process through a section handle, a boot file mapped, a
 * copy-on-write view, and every pointer of the services probed.
 *
 * The sharing case runs two programs at once: this one creates a section,
 * writes a stamp into each page of its view, starts user/programs/mapshare.c
 * and duplicates the section's handle into it (NT's way to hand a child an
 * object without a name); the child maps its own view, checks the stamps and
 * writes its own, and this one reads them back through its view.
 */
#include <utest.h>

#define KERNEL_ADDRESS          ((PVOID)0x80001000)
#define PARENT_STAMP(page)      (0x9A7E0000u + (page))
#define CHILD_STAMP(page)       (0xC41D0000u + (page))
#define SHARED_PAGES            4

static ULONG *WordOfPage(PVOID Base, ULONG Page)
{
    return (ULONG *)((char *)Base + Page * PAGE_SIZE);
}

UTEST(a_child_process_sees_and_changes_the_pages)
{
    HANDLE Section, Process, Thread, InChild = NULL;
    LARGE_INTEGER Size = { .QuadPart = SHARED_PAGES * PAGE_SIZE };
    PVOID Base = NULL;
    SIZE_T ViewSize = 0;
    NTSTATUS ExitStatus = 1;

    UTEST_ASSERT_EQ(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Size, PAGE_READWRITE, SEC_COMMIT, NULL),
                    STATUS_SUCCESS);
    UTEST_ASSERT_EQ(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize, ViewShare, 0,
                                       PAGE_READWRITE), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(ViewSize, SHARED_PAGES * PAGE_SIZE);
    for (ULONG Page = 0; Page < SHARED_PAGES; Page++)
        *WordOfPage(Base, Page) = PARENT_STAMP(Page);
    UTEST_ASSERT_EQ(RtlStartProgram("mapshare.exe 4", &Process, &Thread), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtDuplicateObject(NtCurrentProcess(), Section, Process, &InChild, 0, 0, DUPLICATE_SAME_ACCESS),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(RtlWaitForProgram(Process, &ExitStatus), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(ExitStatus, STATUS_SUCCESS);
    for (ULONG Page = 0; Page < SHARED_PAGES; Page++)
        UTEST_EXPECT_EQ(*WordOfPage(Base, Page), CHILD_STAMP(Page));
    UTEST_EXPECT_EQ(NtUnmapViewOfSection(NtCurrentProcess(), Base), STATUS_SUCCESS);
    NtClose(Thread);
    NtClose(Process);
    NtClose(Section);
}

static void WriteFirstWord(PVOID Address)
{
    *(volatile ULONG *)Address = 0xDEAD;
}

/* A boot file: its bytes through a read-only view; writing faults; write access is refused, as NT refuses it. */
UTEST(a_boot_file_is_mapped_read_only)
{
    static const char Expected[] = "mm386 boot module";
    WCHAR Buffer[32];
    UNICODE_STRING Name;
    OBJECT_ATTRIBUTES Attributes;
    IO_STATUS_BLOCK Io = { .Information = 0 };
    HANDLE File, ReadOnly, Section, Refused = (HANDLE)1;
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    PVOID Base = NULL;
    SIZE_T ViewSize = 0;
    ULONG_PTR Address = 0;

    RtlInitUnicodeStringFromAscii(&Name, Buffer, ARRAY_SIZE(Buffer), "\\Boot\\bootmod.txt");
    InitializeObjectAttributes(&Attributes, &Name, 0, NULL, NULL);
    UTEST_EXPECT_EQ(NtOpenFile(&Refused, FILE_GENERIC_READ | FILE_WRITE_DATA, &Attributes, &Io, FILE_SHARE_READ, 0),
                    STATUS_ACCESS_DENIED);
    UTEST_EXPECT_EQ(Refused, 1);
    UTEST_ASSERT_EQ(NtOpenFile(&File, FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, &Attributes, &Io, FILE_SHARE_READ, 0),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Io.Status, STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Io.Information, FILE_OPENED);
    UTEST_ASSERT_EQ(NtOpenFile(&ReadOnly, FILE_READ_DATA, &Attributes, &Io, FILE_SHARE_READ, 0), STATUS_SUCCESS);
    /* The handle's access decides what the section may be (NT's MmMakeFileAccess). */
    UTEST_EXPECT_EQ(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Zero, PAGE_READWRITE, SEC_COMMIT, File),
                    STATUS_ACCESS_DENIED);
    UTEST_EXPECT_EQ(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Zero, PAGE_EXECUTE_READ, SEC_COMMIT,
                                    ReadOnly), STATUS_ACCESS_DENIED);
    UTEST_ASSERT_EQ(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Zero, PAGE_EXECUTE_READ, SEC_COMMIT, File),
                    STATUS_SUCCESS);
    UTEST_ASSERT_EQ(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize, ViewShare, 0,
                                       PAGE_READONLY), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(memcmp(Base, Expected, sizeof(Expected) - 1), 0);
    UTEST_EXPECT_EQ(UtestCatch(WriteFirstWord, Base, &Address), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(Address, (ULONG_PTR)Base);
    MEMORY_BASIC_INFORMATION Info;
    UTEST_EXPECT_EQ(NtQueryVirtualMemory(NtCurrentProcess(), Base, MemoryBasicInformation, &Info, sizeof(Info), NULL),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Info.Type, MEM_MAPPED);
    UTEST_EXPECT_EQ(Info.Protect, PAGE_READONLY);
    UTEST_EXPECT_EQ(NtUnmapViewOfSection(NtCurrentProcess(), Base), STATUS_SUCCESS);
    NtClose(Section);
    NtClose(ReadOnly);
    NtClose(File);
}

/* Two views of one section, one write-copy: its write is its own. */
UTEST(a_write_copy_view_writes_a_private_copy)
{
    HANDLE Section;
    LARGE_INTEGER Size = { .QuadPart = PAGE_SIZE };
    PVOID Shared = NULL, Copy = NULL;
    SIZE_T ViewSize = 0;
    MEMORY_BASIC_INFORMATION Info;

    UTEST_ASSERT_EQ(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Size, PAGE_READWRITE, SEC_COMMIT, NULL),
                    STATUS_SUCCESS);
    UTEST_ASSERT_EQ(NtMapViewOfSection(Section, NtCurrentProcess(), &Shared, 0, 0, NULL, &ViewSize, ViewShare, 0,
                                       PAGE_READWRITE), STATUS_SUCCESS);
    ViewSize = 0;
    UTEST_ASSERT_EQ(NtMapViewOfSection(Section, NtCurrentProcess(), &Copy, 0, 0, NULL, &ViewSize, ViewUnmap, 0,
                                       PAGE_WRITECOPY), STATUS_SUCCESS);
    *(volatile ULONG *)Shared = 1;
    UTEST_EXPECT_EQ(*(volatile ULONG *)Copy, 1);
    *(volatile ULONG *)Copy = 2;
    UTEST_EXPECT_EQ(*(volatile ULONG *)Shared, 1);
    UTEST_EXPECT_EQ(*(volatile ULONG *)Copy, 2);
    UTEST_EXPECT_EQ(NtQueryVirtualMemory(NtCurrentProcess(), Copy, MemoryBasicInformation, &Info, sizeof(Info), NULL),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Info.Protect, PAGE_READWRITE);
    UTEST_EXPECT_EQ(Info.AllocationProtect, PAGE_WRITECOPY);
    UTEST_EXPECT_EQ(NtUnmapViewOfSection(NtCurrentProcess(), Copy), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtUnmapViewOfSection(NtCurrentProcess(), Shared), STATUS_SUCCESS);
    NtClose(Section);
}

/* Every pointer the section services take is probed: a bad one is its fault's status, nothing done. */
UTEST(the_section_services_refuse_bad_pointers)
{
    HANDLE Section;
    LARGE_INTEGER Size = { .QuadPart = PAGE_SIZE };
    PVOID Base = NULL;
    SIZE_T ViewSize = 0;
    LARGE_INTEGER Offset = { .QuadPart = 0 };
    SECTION_BASIC_INFORMATION Info;
    IO_STATUS_BLOCK Io;
    OBJECT_ATTRIBUTES Attributes;

    UTEST_EXPECT_EQ(NtCreateSection(NULL, SECTION_ALL_ACCESS, NULL, &Size, PAGE_READWRITE, SEC_COMMIT, NULL),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, KERNEL_ADDRESS, PAGE_READWRITE, SEC_COMMIT,
                                    NULL), STATUS_ACCESS_VIOLATION);
    UTEST_ASSERT_EQ(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Size, PAGE_READWRITE, SEC_COMMIT, NULL),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtMapViewOfSection(Section, NtCurrentProcess(), NULL, 0, 0, &Offset, &ViewSize, ViewShare, 0,
                                       PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, &Offset, KERNEL_ADDRESS, ViewShare,
                                       0, PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, KERNEL_ADDRESS, &ViewSize, ViewShare,
                                       0, PAGE_READWRITE), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(Base, NULL);
    UTEST_EXPECT_EQ(NtUnmapViewOfSection(NtCurrentProcess(), KERNEL_ADDRESS), STATUS_NOT_MAPPED_VIEW);
    UTEST_EXPECT_EQ(NtQuerySection(Section, SectionBasicInformation, KERNEL_ADDRESS, sizeof(Info), NULL),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtQuerySection(Section, SectionBasicInformation, &Info, sizeof(Info), KERNEL_ADDRESS),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtQuerySection(Section, SectionBasicInformation, &Info, sizeof(Info), NULL), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Info.Size.QuadPart, PAGE_SIZE);
    UTEST_EXPECT_EQ(Info.Attributes, SEC_COMMIT);
    InitializeObjectAttributes(&Attributes, NULL, 0, NULL, NULL);
    UTEST_EXPECT_EQ(NtOpenFile(NULL, FILE_GENERIC_READ, &Attributes, &Io, FILE_SHARE_READ, 0),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtOpenFile(&Section, FILE_GENERIC_READ, KERNEL_ADDRESS, &Io, FILE_SHARE_READ, 0),
                    STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(NtOpenFile(&Section, FILE_GENERIC_READ, &Attributes, &Io, FILE_SHARE_READ, 0),
                    STATUS_OBJECT_NAME_INVALID);
    NtClose(Section);
}
