/*
 * kernel/ktest/ktestuser.c — the user-mode tests as tests of the kernel's run.
 *
 * A user-mode test program (tests/user/NAME.c, user/include/utest.h) is a
 * boot module NAME.exe whose .utest section lists its cases: each entry a
 * pointer to the case's name, one to its routine and its source line,
 * between two empty markers. At the first run the harness finds every boot file that has such
 * a section, reads the names out of the image file itself (a pointer is an
 * address at the image's preferred base: minus ImageBase it is an RVA, and
 * the section table maps that to the file), and makes each case a KTEST of
 * suite user_NAME, so it is planned, run, reported and leak-guarded like a
 * kernel test (kernel/ktest/ktest.c iterates these after its own).
 *
 * Running one case starts `NAME.exe CASE` as a process of its own
 * (PsCreateUserProcess) and waits for it: it passed if it exited with 0.
 * Its messages reach the KTAP stream as comments (the program prints
 * `    # ...`). The guards then check that the process, its threads, its
 * address space, handles and commit all went away with it.
 */
#include <io.h>
#include <ktest.h>
#include <mm.h>
#include <ntimage.h>
#include <pool.h>
#include <ps.h>
#include <rtl.h>

#define KTEST_USER_TAG          MAKE_TAG('K', 't', 's', 'U')
#define KTEST_USER_NAME         72              /* a case's or a program's name, the NUL included */
#define KTEST_USER_CASE_WORDS   3               /* UTEST_CASE: name, routine, line (user/include/utest.h) */
#define KTEST_USER_TIMEOUT_S    60              /* a case still running after this is a hang: ended, failed */

typedef struct _KTEST_USER_CASE {
    KTEST Test;                                 /* first: the harness passes &Test */
    char Suite[KTEST_USER_NAME];                /* user_NAME */
    char Name[KTEST_USER_NAME];
    char Program[KTEST_USER_NAME];              /* NAME.exe */
} KTEST_USER_CASE;

static KTEST_USER_CASE *KtestUserCases;
static ULONG KtestUserCaseCount;

static const IMAGE_SECTION_HEADER *KtestFindSection(const MM_IMAGE_INFORMATION *Info, const char *Name)
{
    for (ULONG i = 0; i < Info->NumberOfSections; i++) {
        if (strncmp((const char *)Info->Sections[i].Name, Name, IMAGE_SIZEOF_SHORT_NAME) == 0)
            return &Info->Sections[i];
    }
    return NULL;
}

/* The file bytes at a pointer the image holds (an address at its preferred base), or NULL outside its raw data. */
static const char *KtestImageString(const UCHAR *File, SIZE_T Size, const MM_IMAGE_INFORMATION *Info, ULONG Pointer)
{
    ULONG Rva = Pointer - Info->ImageBase;
    for (ULONG i = 0; i < Info->NumberOfSections; i++) {
        const IMAGE_SECTION_HEADER *s = &Info->Sections[i];
        if (Rva >= s->VirtualAddress && Rva - s->VirtualAddress < s->SizeOfRawData) {
            ULONG At = s->PointerToRawData + (Rva - s->VirtualAddress);
            ULONG Left = s->PointerToRawData + s->SizeOfRawData - At;
            return At < Size && strnlen((const char *)File + At, Left) < Left ? (const char *)File + At : NULL;
        }
    }
    return NULL;
}

static void KtestRunUserCase(KTEST_CONTEXT *t);

static void KtestWiden(PUNICODE_STRING String, PWSTR Buffer, ULONG Capacity, const char *Text)
{
    ULONG n = 0;
    while (Text[n] && n + 1 < Capacity) {
        Buffer[n] = (UCHAR)Text[n];
        n++;
    }
    String->Buffer = Buffer;
    String->Length = String->MaximumLength = (USHORT)(n * sizeof(WCHAR));
}

/* Counts — and with Store, adds — the cases of one boot file, if it is a test program. */
static ULONG KtestAddProgram(const char *Program, const UCHAR *File, SIZE_T Size, bool Store)
{
    ULONG Count = 0;
    MM_IMAGE_INFORMATION Info;
    if (MmVerifyImageHeader(File, Size, &Info) != STATUS_SUCCESS)
        return 0;
    const IMAGE_SECTION_HEADER *Section = KtestFindSection(&Info, ".utest");
    if (!Section || Section->PointerToRawData + Section->SizeOfRawData > Size)
        return 0;
    const ULONG *Entry = (const ULONG *)(File + Section->PointerToRawData);
    ULONG Entries = MIN(Section->VirtualSize, Section->SizeOfRawData) / (KTEST_USER_CASE_WORDS * sizeof(ULONG));
    for (ULONG i = 0; i < Entries; i++, Entry += KTEST_USER_CASE_WORDS) {
        const char *Name = Entry[0] ? KtestImageString(File, Size, &Info, Entry[0]) : NULL;
        if (!Name)
            continue;
        Count++;
        if (!Store)
            continue;
        KTEST_USER_CASE *Case = &KtestUserCases[KtestUserCaseCount++];
        snprintf(Case->Program, sizeof(Case->Program), "%s", Program);
        snprintf(Case->Suite, sizeof(Case->Suite), "user_%.*s", (int)(strlen(Program) - 4), Program);
        snprintf(Case->Name, sizeof(Case->Name), "%s", Name);
        Case->Test = (KTEST){ .Suite = Case->Suite, .Name = Case->Name, .Routine = KtestRunUserCase,
                              .File = Case->Program, .Line = (int)Entry[2] };
    }
    return Count;
}

/* Each boot file named *.exe, with its bytes: Visit(Program, File, Size, Store), the counts added up. */
static ULONG KtestForEachProgram(bool Store)
{
    char Program[KTEST_USER_NAME];
    ULONG Count = 0;
    SIZE_T Size;

    for (ULONG Next = IoEnumerateBootFiles(0, Program, sizeof(Program), &Size); Next;
         Next = IoEnumerateBootFiles(Next, Program, sizeof(Program), &Size)) {
        size_t Length = strlen(Program);
        if (Length <= 4 || RtlCompareStringInsensitive(Program + Length - 4, ".exe", 4) != 0)
            continue;
        char Full[KTEST_USER_NAME + 8];
        WCHAR Buffer[KTEST_USER_NAME + 8];
        UNICODE_STRING Path;
        const void *File;
        snprintf(Full, sizeof(Full), "\\Boot\\%s", Program);
        KtestWiden(&Path, Buffer, ARRAY_SIZE(Buffer), Full);
        if (NT_SUCCESS(IoFindBootFile(&Path, &File, &Size)))
            Count += KtestAddProgram(Program, File, Size, Store);
    }
    return Count;
}

ULONG KtestDiscoverUserTests(void)
{
    static bool Discovered;
    if (!Discovered) {
        Discovered = true;
        ULONG Count = KtestForEachProgram(false);
        if (Count)
            KtestUserCases = ExAllocatePoolWithTag(NonPagedPool, Count * sizeof(KTEST_USER_CASE), KTEST_USER_TAG);
        if (KtestUserCases)
            KtestForEachProgram(true);
    }
    return KtestUserCaseCount;
}

const KTEST *KtestUserTest(ULONG Index)
{
    return Index < KtestUserCaseCount ? &KtestUserCases[Index].Test : NULL;
}

NTSTATUS KtestRunProgram(const char *CommandLine, NTSTATUS *ExitStatus)
{
    HANDLE Process, Thread;
    PEPROCESS Object;

    NTSTATUS Status = PsStartBootProgram(CommandLine, &Process, &Thread);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(Process, SYNCHRONIZE, PsProcessType, KernelMode, (PVOID *)&Object, NULL);
    if (NT_SUCCESS(Status)) {
        LARGE_INTEGER Timeout = { .QuadPart = -(LONGLONG)KTEST_USER_TIMEOUT_S * 10000000 };
        Status = KeWaitForSingleObject(Object, Executive, KernelMode, FALSE, &Timeout);
        if (Status == STATUS_TIMEOUT) {
            NtTerminateProcess(Process, STATUS_TIMEOUT);
            KeWaitForSingleObject(Object, Executive, KernelMode, FALSE, NULL);
        }
        *ExitStatus = Object->ExitStatus;
        ObDereferenceObject(Object);
    }
    NtClose(Thread);
    NtClose(Process);
    return Status;
}

static void KtestRunUserCase(KTEST_CONTEXT *t)
{
    const KTEST_USER_CASE *Case = CONTAINING_RECORD(t->Test, KTEST_USER_CASE, Test);
    char Line[2 * KTEST_USER_NAME];
    NTSTATUS ExitStatus = STATUS_UNSUCCESSFUL;

    snprintf(Line, sizeof(Line), "%s %s", Case->Program, Case->Name);
    NTSTATUS Status = KtestRunProgram(Line, &ExitStatus);
    if (Status == STATUS_TIMEOUT)
        KtestFail(t, Case->Program, 0, "%s still ran after %u s: ended", Line, KTEST_USER_TIMEOUT_S);
    else if (NT_SUCCESS(Status) && ExitStatus != STATUS_SUCCESS)
        KtestFail(t, Case->Program, 0, "%s exited with 0x%08x (the case's failed checks, or the exception that "
                  "ended it)", Line, (ULONG)ExitStatus);
    EXPECT_EQ(Status, STATUS_SUCCESS);
    EXPECT_EQ(ExitStatus, STATUS_SUCCESS);
}
