/*
 * tests/ps/process.c — processes from images: what is refused, how they end,
 * and that nothing of them stays behind.
 *
 * The image checks are driven with real images from the boot modules,
 * copied and damaged one field at a time, each against the status NT gives
 * (STATUS_INVALID_IMAGE_NOT_MZ, STATUS_INVALID_IMAGE_PROTECT,
 * STATUS_INVALID_IMAGE_NE_FORMAT, STATUS_INVALID_IMAGE_WIN_64,
 * STATUS_INVALID_IMAGE_FORMAT, STATUS_IMAGE_MACHINE_TYPE_MISMATCH,
 * STATUS_SECTION_TOO_BIG). Process
 * creation refuses a missing module, a file that is no image and a DLL,
 * and leaves nothing behind (the leak guards); ntdll's loader ends a
 * program whose imports cannot be satisfied with NT's status; an unhandled exception ends a program
 * with its code and NT's message; two hundred programs started and ended
 * leave every page, pool block, handle and commit charge as they were.
 */
#include <io.h>
#include <ktest.h>
#include <ntimage.h>
#include <pool.h>
#include <ps.h>
#include <rtl.h>
#include "../testlib.h"

#define TEST_IMAGE_TAG  MAKE_TAG('T', 'I', 'm', 'g')

/* A pool copy of boot file NAME (the caller frees it with TEST_IMAGE_TAG), or NULL when there is none. */
static UCHAR *CopyBootFile(const char *Name, SIZE_T *Size)
{
    WCHAR Buffer[64];
    UNICODE_STRING Path = { .Buffer = Buffer };
    const void *File;
    char Full[64];
    snprintf(Full, sizeof(Full), "\\Boot\\%s", Name);
    ULONG n = 0;
    for (; Full[n]; n++)
        Buffer[n] = (UCHAR)Full[n];
    Path.Length = Path.MaximumLength = (USHORT)(n * sizeof(WCHAR));
    if (!NT_SUCCESS(IoFindBootFile(&Path, &File, Size)))
        return NULL;
    UCHAR *Copy = ExAllocatePoolWithTag(NonPagedPool, *Size, TEST_IMAGE_TAG);
    if (Copy)
        memcpy(Copy, File, *Size);
    return Copy;
}

static IMAGE_NT_HEADERS32 *Headers(UCHAR *Image)
{
    return (IMAGE_NT_HEADERS32 *)(Image + ((IMAGE_DOS_HEADER *)Image)->e_lfanew);
}

KTEST(process, image_header_checks_give_nts_statuses)
{
    SIZE_T Size;
    MM_IMAGE_INFORMATION Info;
    UCHAR *Image = CopyBootFile("hello.exe", &Size);
    if (!Image)
        KTEST_SKIP("hello.exe is not among the boot modules");

    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_SUCCESS);
    EXPECT_EQ(Info.ImageBase, 0x400000u);                               /* the Makefile's --image-base */
    EXPECT_EQ(Info.Subsystem, IMAGE_SUBSYSTEM_NATIVE);

    Image[0] = 'N';
    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_INVALID_IMAGE_NOT_MZ);
    Image[0] = 'M';
    EXPECT_EQ(MmVerifyImageHeader(Image, 16, &Info), STATUS_INVALID_IMAGE_NOT_MZ);     /* too short for a header */

    LONG Lfanew = ((IMAGE_DOS_HEADER *)Image)->e_lfanew;
    ((IMAGE_DOS_HEADER *)Image)->e_lfanew = (LONG)Size;
    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_INVALID_IMAGE_PROTECT);  /* PE header past the end */
    ((IMAGE_DOS_HEADER *)Image)->e_lfanew = Lfanew;

    IMAGE_NT_HEADERS32 *Nt = Headers(Image);
    Nt->Signature = 0x454E;                                                  /* "NE": not a PE image */
    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_INVALID_IMAGE_NE_FORMAT);
    Nt->Signature = IMAGE_NT_SIGNATURE;

    Nt->FileHeader.Machine = 0x8664;                                         /* an x64 image */
    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_IMAGE_MACHINE_TYPE_MISMATCH);
    Nt->FileHeader.Machine = IMAGE_FILE_MACHINE_I386;

    Nt->OptionalHeader.Magic = 0x20B;                                        /* PE32+ */
    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_INVALID_IMAGE_WIN_64);
    Nt->OptionalHeader.Magic = IMAGE_NT_OPTIONAL_HDR32_MAGIC;

    Nt->OptionalHeader.ImageBase = 0x401000;                                 /* not on 64 KB */
    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_INVALID_IMAGE_FORMAT);
    Nt->OptionalHeader.ImageBase = 0x400000;

    ULONG Alignment = Nt->OptionalHeader.SectionAlignment;
    Nt->OptionalHeader.SectionAlignment = 0x3000;                            /* not a power of two */
    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_INVALID_IMAGE_FORMAT);
    Nt->OptionalHeader.SectionAlignment = Alignment;

    ULONG SizeOfImage = Nt->OptionalHeader.SizeOfImage;
    Nt->OptionalHeader.SizeOfImage = 0xC0000000;                             /* more than any user range */
    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_SECTION_TOO_BIG);
    Nt->OptionalHeader.SizeOfImage = SizeOfImage;

    IMAGE_SECTION_HEADER *Section = (IMAGE_SECTION_HEADER *)((UCHAR *)&Nt->OptionalHeader +
                                                             Nt->FileHeader.SizeOfOptionalHeader);
    ULONG Raw = Section->PointerToRawData;
    Section->PointerToRawData = (ULONG)Size;                                 /* raw data past the end */
    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_INVALID_IMAGE_FORMAT);
    Section->PointerToRawData = Raw;

    ULONG Entry = Nt->OptionalHeader.AddressOfEntryPoint;
    Nt->OptionalHeader.AddressOfEntryPoint = SizeOfImage;                   /* outside the image */
    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_INVALID_IMAGE_FORMAT);
    Nt->OptionalHeader.AddressOfEntryPoint = Entry;

    EXPECT_EQ(MmVerifyImageHeader(Image, Size, &Info), STATUS_SUCCESS);     /* all put back */
    ExFreePoolWithTag(Image, TEST_IMAGE_TAG);
}

/* Process creation's refusals leave nothing: the leak guards look at pages, pool, handles, objects and commit. */
KTEST(process, refused_programs_leave_nothing_behind)
{
    NTSTATUS ExitStatus;
    EXPECT_EQ(KtestRunProgram("nosuch.exe", &ExitStatus), STATUS_OBJECT_NAME_NOT_FOUND);
    EXPECT_EQ(KtestRunProgram("bootmod.txt", &ExitStatus), STATUS_INVALID_IMAGE_NOT_MZ);
}

/*
 * Stack sizes near 4 GB in the header (exit0.exe linked with --stack):
 * a commit larger than the reservation is the whole reservation but its
 * guard page, and the program runs and ends with 0; a reservation no user
 * range can hold is STATUS_NO_MEMORY, with nothing left behind (the
 * sizes were rounded in 32 bits once, and wrapped round to small ones).
 */
KTEST(process, stack_sizes_near_4gb_in_the_header)
{
    NTSTATUS ExitStatus = STATUS_UNSUCCESSFUL;
    NTSTATUS Status = KtestRunProgram("hugecommit.exe", &ExitStatus);
    if (Status == STATUS_OBJECT_NAME_NOT_FOUND)
        KTEST_SKIP("hugecommit.exe is not among the boot modules");
    EXPECT_EQ(Status, STATUS_SUCCESS);
    EXPECT_EQ(ExitStatus, STATUS_SUCCESS);
    EXPECT_EQ(KtestRunProgram("hugereserve.exe", &ExitStatus), STATUS_NO_MEMORY);
}

/* A DLL is no program: NT refuses to run one as a process's image (ERROR_BAD_EXE_FORMAT). */
KTEST(process, a_dll_is_refused_as_a_program)
{
    NTSTATUS ExitStatus;
    EXPECT_EQ(KtestRunProgram("ntdll.dll", &ExitStatus), STATUS_INVALID_IMAGE_FORMAT);
}

/*
 * NT's loader ends a program whose imports it cannot satisfy before its
 * first instruction, with NT's status and message (user/broken/images.c
 * says what each image imports).
 */
static void ExpectLoaderRefusal(KTEST_CONTEXT *t, const char *Program, NTSTATUS Expected, const char *Message)
{
    char Said[512];
    NTSTATUS ExitStatus = STATUS_SUCCESS;
    TestBeginCapture(Said, sizeof(Said));
    NTSTATUS Status = KtestRunProgram(Program, &ExitStatus);
    TestEndCapture();
    EXPECT_EQ(Status, STATUS_SUCCESS);
    EXPECT_EQ(ExitStatus, Expected);
    EXPECT_TRUE(TestContains(Said, Message));
}

KTEST(process, loader_refuses_an_import_ntdll_lacks)
{
    ExpectLoaderRefusal(t, "missingimport.exe", STATUS_ENTRYPOINT_NOT_FOUND,
                        "the procedure entry point NtNoSuchService could not be located in the dynamic link library "
                        "ntdll.dll (0xc0000139)");
}

KTEST(process, loader_refuses_an_ordinal_ntdll_lacks)
{
    ExpectLoaderRefusal(t, "missingordinal.exe", STATUS_ORDINAL_NOT_FOUND,
                        "the procedure entry point #999 could not be located in the dynamic link library ntdll.dll");
}

KTEST(process, loader_refuses_a_dll_no_process_has)
{
    ExpectLoaderRefusal(t, "missingdll.exe", STATUS_DLL_NOT_FOUND, "the DLL nosuch.dll was not found (0xc0000135)");
}

KTEST(process, unhandled_exception_ends_the_program_with_nts_message)
{
    char Said[512];
    NTSTATUS ExitStatus = STATUS_SUCCESS;
    TestBeginCapture(Said, sizeof(Said));
    NTSTATUS Status = KtestRunProgram("crash.exe write", &ExitStatus);
    TestEndCapture();
    if (Status == STATUS_OBJECT_NAME_NOT_FOUND)
        KTEST_SKIP("crash.exe is not among the boot modules");
    EXPECT_EQ(Status, STATUS_SUCCESS);
    EXPECT_EQ(ExitStatus, STATUS_ACCESS_VIOLATION);
    EXPECT_TRUE(TestContains(Said, "referenced memory at \"0x00000000\". The memory could not be \"written\""));
    EXPECT_TRUE(TestContains(Said, "ends with status 0xc0000005"));
}

/* Two hundred processes, each with its address space, PEB, TEB, stack, image and handles: none of it stays. */
KTEST(process, two_hundred_programs_start_and_end_leaving_nothing)
{
    NTSTATUS ExitStatus = STATUS_UNSUCCESSFUL;
    ULONG Ran = 0;
    for (ULONG i = 0; i < 200; i++) {
        if (KtestRunProgram("exit0.exe", &ExitStatus) == STATUS_OBJECT_NAME_NOT_FOUND)
            KTEST_SKIP("exit0.exe is not among the boot modules");
        Ran += ExitStatus == STATUS_SUCCESS;
    }
    EXPECT_EQ(Ran, 200);        /* and the leak guards: every page, pool block, object, handle and charge back */
}

/*
 * Three instances of one program alive at once (waiter.exe: two threads
 * each, waiting for ever), ended from outside with NtTerminateProcess, in
 * the order they started and then in reverse: each ends with the status
 * given, and the image they shared goes with the last of them (the leak
 * guards: its control area, pages and commit).
 */
KTEST(process, three_instances_of_one_image_live_and_end_together)
{
    for (ULONG Round = 0; Round < 2; Round++) {
        HANDLE Processes[3], Threads[3];
        for (ULONG i = 0; i < 3; i++) {
            NTSTATUS Status = PsStartBootProgram("waiter.exe 1", &Processes[i], &Threads[i]);
            if (Status == STATUS_OBJECT_NAME_NOT_FOUND)
                KTEST_SKIP("waiter.exe is not among the boot modules");
            ASSERT_EQ(Status, STATUS_SUCCESS);
        }
        TestSleepTicks(3);      /* each gets to its wait */
        for (ULONG k = 0; k < 3; k++) {
            ULONG i = Round == 0 ? k : 2 - k;
            EXPECT_EQ(NtTerminateProcess(Processes[i], (NTSTATUS)(0x1230 + i)), STATUS_SUCCESS);
            EXPECT_EQ(NtWaitForSingleObject(Processes[i], FALSE, NULL), STATUS_WAIT_0);
            PROCESS_BASIC_INFORMATION Info;
            EXPECT_EQ(NtQueryInformationProcess(Processes[i], ProcessBasicInformation, &Info, sizeof(Info), NULL),
                      STATUS_SUCCESS);
            EXPECT_EQ(Info.ExitStatus, (NTSTATUS)(0x1230 + i));
        }
        for (ULONG i = 0; i < 3; i++) {
            EXPECT_EQ(NtClose(Threads[i]), STATUS_SUCCESS);
            EXPECT_EQ(NtClose(Processes[i]), STATUS_SUCCESS);
        }
    }
}
