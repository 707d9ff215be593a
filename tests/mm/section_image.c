/*
 * tests/mm/section_image.c — image sections: a PE file laid out as the
 * loader would lay it, shared page by page by every process that maps it.
 *
 * Each test checks what NT guarantees against values taken from the file
 * itself (its section table, its bytes), never from the segment the code
 * built: the code page a process reads is the file's bytes and is the same
 * frame in every process; a write to writable data gives the writer its own
 * copy and the others still read the file; what lies past a section's raw
 * data reads zero; an image goes to its preferred base when it can and
 * elsewhere with STATUS_IMAGE_NOT_AT_BASE, unless it has no relocations;
 * ntdll.dll's code is one set of frames in every running process; every
 * header fault is refused with the status NT gives; and the image's control
 * area lives exactly as long as its last section object or view.
 *
 * Damaged images are files the test makes: a File object over a pool copy
 * of a real program with one field changed, with SECTION_OBJECT_POINTERS
 * of its own, so nothing is shared with the boot module's sections.
 */
#include <ntimage.h>
#include <ps.h>
#include "section_test.h"

#define IMAGE_TEST_TAG  MAKE_TAG('T', 'i', 'm', 'g')

typedef struct {
    PFILE_OBJECT File;
    UCHAR *Bytes;
    SIZE_T Size;
    PSECTION_OBJECT_POINTERS Pointers;
} TEST_FILE;

/* A File object over a pool copy of the boot file Name (its first Size bytes; all if Size is 0). */
static bool MakeTestFile(TEST_FILE *t, const char *Name, SIZE_T Size)
{
    char Path[64];
    WCHAR Wide[64];
    UNICODE_STRING String;
    const void *Data;
    SIZE_T FileSize;
    ULONG n = 0;

    memset(t, 0, sizeof(*t));
    snprintf(Path, sizeof(Path), "\\Boot\\%s", Name);
    for (; Path[n] && n < ARRAY_SIZE(Wide); n++)
        Wide[n] = (UCHAR)Path[n];
    String.Buffer = Wide;
    String.Length = String.MaximumLength = (USHORT)(n * sizeof(WCHAR));
    if (!NT_SUCCESS(IoFindBootFile(&String, &Data, &FileSize)))
        return false;
    t->Size = Size ? MIN(Size, FileSize) : FileSize;
    t->Bytes = ExAllocatePoolWithTag(NonPagedPool, MAX(t->Size, (SIZE_T)1), IMAGE_TEST_TAG);
    t->Pointers = ExAllocatePoolWithTag(NonPagedPool, sizeof(*t->Pointers), IMAGE_TEST_TAG);
    OBJECT_ATTRIBUTES Attributes;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    if (!t->Bytes || !t->Pointers ||
        !NT_SUCCESS(ObCreateObject(KernelMode, IoFileObjectType, &Attributes, KernelMode, NULL, sizeof(FILE_OBJECT),
                                   0, 0, (PVOID *)&t->File)))
        return false;
    memcpy(t->Bytes, Data, t->Size);
    memset(t->Pointers, 0, sizeof(*t->Pointers));
    memset(t->File, 0, sizeof(*t->File));
    t->File->Type = IO_TYPE_FILE;
    t->File->Size = sizeof(FILE_OBJECT);
    t->File->SectionObjectPointer = t->Pointers;
    t->File->ReadAccess = TRUE;
    t->File->BootData = t->Bytes;
    t->File->FileSize = t->Size;
    strlcpy(t->File->FileName, "test image", sizeof(t->File->FileName));
    return true;
}

/* The File object goes (the last section over it has gone: it holds no control area), then its bytes. */
static void DeleteTestFile(TEST_FILE *t)
{
    if (t->File)
        ObDereferenceObject(t->File);
    if (t->Bytes)
        ExFreePoolWithTag(t->Bytes, IMAGE_TEST_TAG);
    if (t->Pointers)
        ExFreePoolWithTag(t->Pointers, IMAGE_TEST_TAG);
}

static IMAGE_NT_HEADERS32 *NtHeaders(UCHAR *Bytes)
{
    return (IMAGE_NT_HEADERS32 *)(Bytes + ((IMAGE_DOS_HEADER *)Bytes)->e_lfanew);
}

static IMAGE_SECTION_HEADER *SectionTable(UCHAR *Bytes)
{
    IMAGE_NT_HEADERS32 *Nt = NtHeaders(Bytes);
    return (IMAGE_SECTION_HEADER *)((UCHAR *)&Nt->OptionalHeader + Nt->FileHeader.SizeOfOptionalHeader);
}

/* The first section of the file whose characteristics have all of Want and none of Not; NULL if none. */
static IMAGE_SECTION_HEADER *FindSection(UCHAR *Bytes, ULONG Want, ULONG Not)
{
    IMAGE_SECTION_HEADER *s = SectionTable(Bytes);
    for (ULONG i = 0; i < NtHeaders(Bytes)->FileHeader.NumberOfSections; i++) {
        if ((s[i].Characteristics & Want) == Want && !(s[i].Characteristics & Not))
            return &s[i];
    }
    return NULL;
}

/* An image section over t's file: the status, the section object (the caller's reference) in *Section. */
static NTSTATUS CreateImage(TEST_FILE *t, PVOID *Section)
{
    LARGE_INTEGER Zero = { .QuadPart = 0 };
    *Section = NULL;
    return MmCreateSection(Section, SECTION_ALL_ACCESS, NULL, &Zero, PAGE_EXECUTE_WRITECOPY, SEC_IMAGE, NULL,
                           t->File);
}

/* A view of the image in Process at Base (0: where the image wants); the status, the base in *Base. */
static NTSTATUS MapImage(PVOID Section, PEPROCESS Process, ULONG *Base)
{
    PVOID B = (PVOID)*Base;
    SIZE_T Size = 0;
    NTSTATUS Status = MmMapViewOfSection(Section, Process, &B, 0, 0, NULL, &Size, ViewShare, 0,
                                         PAGE_EXECUTE_WRITECOPY);
    *Base = (ULONG)B;
    return Status;
}

static NTSTATUS InProcess(PEPROCESS Process, ULONG Va, ULONG *Value, bool Write)
{
    PKAPC_STATE Apc = TestAttach(Process);
    NTSTATUS Status = Write ? TestWrite(Va, *Value, NULL) : TestRead(Va, Value, NULL);
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

static MEMORY_BASIC_INFORMATION QueryIn(PEPROCESS Process, ULONG Va)
{
    MEMORY_BASIC_INFORMATION Info;
    memset(&Info, 0xEE, sizeof(Info));
    PKAPC_STATE Apc = TestAttach(Process);
    TestQuery(Va, &Info);
    TestDetach(Apc);
    return Info;
}

static ULONG FileWord(TEST_FILE *t, const IMAGE_SECTION_HEADER *s, ULONG Offset)
{
    return *(const ULONG *)(t->Bytes + s->PointerToRawData + Offset);
}

/*
 * Two processes map one image: each code page is the file's bytes, one
 * frame shared by both (its share count counts both PTEs); a write to
 * writable data gives the writer its own copy while the other still reads
 * the file; NtQueryVirtualMemory says MEM_IMAGE, execute/write-copy for the
 * allocation, and each page's own protection.
 */
KTEST(section_image, two_processes_share_code_and_split_data)
{
    TEST_FILE Img;
    PVOID Section;
    PEPROCESS A = TestCreateUserProcess(false), B = TestCreateUserProcess(false);
    ASSERT_NOT_NULL(A);
    ASSERT_NOT_NULL(B);
    ASSERT_TRUE(MakeTestFile(&Img, "hello.exe", 0));
    IMAGE_SECTION_HEADER *Text = FindSection(Img.Bytes, IMAGE_SCN_MEM_EXECUTE, IMAGE_SCN_MEM_WRITE);
    IMAGE_SECTION_HEADER *Data = FindSection(Img.Bytes, IMAGE_SCN_MEM_WRITE | IMAGE_SCN_CNT_INITIALIZED_DATA, 0);
    ASSERT_NOT_NULL(Text);
    ASSERT_NOT_NULL(Data);
    ULONG Preferred = NtHeaders(Img.Bytes)->OptionalHeader.ImageBase;
    *(ULONG *)(Img.Bytes + Data->PointerToRawData) = 0xDA7A0001;     /* a value the file alone has */
    ASSERT_EQ(CreateImage(&Img, &Section), STATUS_SUCCESS);

    ULONG InA = 0, InB = 0, Value = 0;
    EXPECT_EQ(MapImage(Section, A, &InA), STATUS_SUCCESS);
    EXPECT_EQ(MapImage(Section, B, &InB), STATUS_SUCCESS);
    EXPECT_EQ(InA, Preferred);
    EXPECT_EQ(InB, Preferred);

    for (ULONG Page = 0; Page < BYTES_TO_PAGES(Text->VirtualSize); Page++) {
        ULONG Va = Preferred + Text->VirtualAddress + Page * PAGE_SIZE;
        EXPECT_EQ(InProcess(A, Va, &Value, false), STATUS_SUCCESS);
        EXPECT_EQ(Value, FileWord(&Img, Text, Page * PAGE_SIZE));
        EXPECT_EQ(InProcess(B, Va, &Value, false), STATUS_SUCCESS);
        PFN_NUMBER Frame = FrameIn(A, Va);
        EXPECT_NE(Frame, 0);
        EXPECT_EQ(FrameIn(B, Va), Frame);
        EXPECT_EQ(MI_PFN_ELEMENT(Frame)->u2.ShareCount, 2u);
        EXPECT_EQ(MI_PFN_ELEMENT(Frame)->u3.e2.e1.PrototypePte, 1u);
    }
    /* A write to code is refused (execute-read); a write to data copies. */
    ULONG Code = Preferred + Text->VirtualAddress, DataVa = Preferred + Data->VirtualAddress;
    Value = 1;
    EXPECT_EQ(InProcess(A, Code, &Value, true), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(InProcess(B, DataVa, &Value, false), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0xDA7A0001u);
    PFN_NUMBER Shared = FrameIn(B, DataVa);
    ULONG Copies = MmInfoCounters.CopyOnWriteCount;
    Value = 0x0A0A0A0A;
    EXPECT_EQ(InProcess(A, DataVa, &Value, true), STATUS_SUCCESS);
    EXPECT_EQ(MmInfoCounters.CopyOnWriteCount, Copies + 1);
    EXPECT_NE(FrameIn(A, DataVa), Shared);
    EXPECT_EQ(FrameIn(B, DataVa), Shared);
    EXPECT_EQ(InProcess(A, DataVa, &Value, false), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0x0A0A0A0Au);
    EXPECT_EQ(InProcess(B, DataVa, &Value, false), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0xDA7A0001u);

    MEMORY_BASIC_INFORMATION Info = QueryIn(B, Code);
    EXPECT_EQ(Info.Type, MEM_IMAGE);
    EXPECT_EQ(Info.AllocationBase, (PVOID)Preferred);
    EXPECT_EQ(Info.AllocationProtect, PAGE_EXECUTE_WRITECOPY);
    EXPECT_EQ(Info.Protect, PAGE_EXECUTE_READ);
    EXPECT_EQ(QueryIn(B, Preferred).Protect, PAGE_READONLY);                /* the headers */
    EXPECT_EQ(QueryIn(B, DataVa).Protect, PAGE_WRITECOPY);
    EXPECT_EQ(QueryIn(A, DataVa).Protect, PAGE_READWRITE);                  /* A's own copy now */

    TestDeleteUserProcess(A);
    TestDeleteUserProcess(B);
    ObDereferenceObject(Section);
    DeleteTestFile(&Img);
}

/*
 * What lies past a section's raw data reads zero even where the file has
 * other bytes there (the rest of a page partly filled from the file), and
 * an uninitialised section (.bss, no raw data) is demand zero.
 */
KTEST(section_image, uninitialised_data_reads_zero)
{
    TEST_FILE Img;
    PVOID Section;
    PEPROCESS A = TestCreateUserProcess(false);
    ASSERT_NOT_NULL(A);
    ASSERT_TRUE(MakeTestFile(&Img, "hello.exe", 0));
    IMAGE_SECTION_HEADER *Data = FindSection(Img.Bytes, IMAGE_SCN_MEM_WRITE | IMAGE_SCN_CNT_INITIALIZED_DATA, 0);
    IMAGE_SECTION_HEADER *Bss = FindSection(Img.Bytes, IMAGE_SCN_CNT_UNINITIALIZED_DATA, 0);
    ASSERT_NOT_NULL(Data);
    ASSERT_NOT_NULL(Bss);
    ASSERT_EQ(Bss->SizeOfRawData, 0u);
    /* The section's raw data ends at 8 bytes: the file's next bytes (its padding) are made non-zero. */
    ASSERT_TRUE(Data->SizeOfRawData >= 16);
    Data->VirtualSize = 8;
    memset(Img.Bytes + Data->PointerToRawData + 8, 0xAA, 8);
    ULONG Demand = MmInfoCounters.DemandZeroCount;
    ASSERT_EQ(CreateImage(&Img, &Section), STATUS_SUCCESS);
    ULONG Base = 0, Value = 0;
    ASSERT_EQ(MapImage(Section, A, &Base), STATUS_SUCCESS);

    EXPECT_EQ(InProcess(A, Base + Data->VirtualAddress + 4, &Value, false), STATUS_SUCCESS);
    EXPECT_EQ(Value, *(ULONG *)(Img.Bytes + Data->PointerToRawData + 4));
    EXPECT_EQ(InProcess(A, Base + Data->VirtualAddress + 8, &Value, false), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0u);
    EXPECT_EQ(InProcess(A, Base + Data->VirtualAddress + 12, &Value, false), STATUS_SUCCESS);
    EXPECT_EQ(Value, 0u);
    for (ULONG Offset = 0; Offset < Bss->VirtualSize; Offset += PAGE_SIZE) {
        Value = 0xFFFFFFFF;
        EXPECT_EQ(InProcess(A, Base + Bss->VirtualAddress + Offset, &Value, false), STATUS_SUCCESS);
        EXPECT_EQ(Value, 0u);
    }
    EXPECT_GE(MmInfoCounters.DemandZeroCount, Demand + 1);              /* .bss came from a zeroed page */
    Value = 7;
    EXPECT_EQ(InProcess(A, Base + Bss->VirtualAddress, &Value, true), STATUS_SUCCESS);
    EXPECT_EQ(QueryIn(A, Base + Bss->VirtualAddress).Protect, PAGE_READWRITE);

    TestDeleteUserProcess(A);
    ObDereferenceObject(Section);
    DeleteTestFile(&Img);
}

/*
 * The preferred base when it is free; when it is taken, elsewhere with
 * STATUS_IMAGE_NOT_AT_BASE (a success: the view is made); an image without
 * relocations cannot be moved: STATUS_CONFLICTING_ADDRESSES. A base asked
 * for is honoured, and is not the image's: STATUS_IMAGE_NOT_AT_BASE.
 */
KTEST(section_image, an_image_not_at_its_base_needs_relocations)
{
    TEST_FILE Img;
    PVOID Section;
    PEPROCESS A = TestCreateUserProcess(false);
    ASSERT_NOT_NULL(A);
    ASSERT_TRUE(MakeTestFile(&Img, "hello.exe", 0));
    ULONG Preferred = NtHeaders(Img.Bytes)->OptionalHeader.ImageBase;
    ASSERT_NE(NtHeaders(Img.Bytes)->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_BASERELOC].Size, 0u);
    ASSERT_EQ(CreateImage(&Img, &Section), STATUS_SUCCESS);

    ULONG First = 0, Second = 0, Third = 0x20000000;
    EXPECT_EQ(MapImage(Section, A, &First), STATUS_SUCCESS);
    EXPECT_EQ(First, Preferred);
    EXPECT_EQ(MapImage(Section, A, &Second), STATUS_IMAGE_NOT_AT_BASE);
    EXPECT_NE(Second, 0u);
    EXPECT_NE(Second, Preferred);
    EXPECT_EQ(MapImage(Section, A, &Third), STATUS_IMAGE_NOT_AT_BASE);
    EXPECT_EQ(Third, 0x20000000u);
    EXPECT_EQ(QueryIn(A, Second).Type, MEM_IMAGE);
    ObDereferenceObject(Section);

    /* The same image with its relocations stripped: the second view is refused. */
    TEST_FILE Fixed;
    ASSERT_TRUE(MakeTestFile(&Fixed, "hello.exe", 0));
    NtHeaders(Fixed.Bytes)->FileHeader.Characteristics |= IMAGE_FILE_RELOCS_STRIPPED;
    ASSERT_EQ(CreateImage(&Fixed, &Section), STATUS_SUCCESS);
    ULONG Elsewhere = 0;
    EXPECT_EQ(MapImage(Section, A, &Elsewhere), STATUS_CONFLICTING_ADDRESSES);
    Elsewhere = 0x30000000;
    EXPECT_EQ(MapImage(Section, A, &Elsewhere), STATUS_CONFLICTING_ADDRESSES);

    TestDeleteUserProcess(A);
    ObDereferenceObject(Section);
    DeleteTestFile(&Fixed);
    DeleteTestFile(&Img);
}

/* One damage to a copy of hello.exe, and the status NtCreateSection(SEC_IMAGE) must give for it. */
typedef enum { BadMz, BadLfanewPastEnd, BadLfanewOdd, BadSignatureNe, BadSignatureLe, BadSignature, BadDosAsPe,
               BadNotExecutable, BadPe32Plus, BadMagic, BadAlignment, BadBase, BadSectionGap, BadRawOffset,
               BadRawPastEnd, BadEntry, BadTooBig, BadTruncated, BadSmallAlignmentLayout, BadCount } IMAGE_DAMAGE;

static const struct {
    const char *What;
    NTSTATUS Status;
} Damages[BadCount] = {
    [BadMz] = { "no MZ", STATUS_INVALID_IMAGE_NOT_MZ },
    [BadLfanewPastEnd] = { "e_lfanew past the end", STATUS_INVALID_IMAGE_PROTECT },
    [BadLfanewOdd] = { "e_lfanew not on 4 bytes", STATUS_INVALID_IMAGE_PROTECT },
    [BadSignatureNe] = { "an NE signature", STATUS_INVALID_IMAGE_NE_FORMAT },
    [BadSignatureLe] = { "an LE signature", STATUS_INVALID_IMAGE_LE_FORMAT },
    [BadSignature] = { "no PE signature", STATUS_INVALID_IMAGE_PROTECT },
    [BadDosAsPe] = { "machine 0 and no optional header", STATUS_INVALID_IMAGE_PROTECT },
    [BadNotExecutable] = { "not executable", STATUS_INVALID_IMAGE_FORMAT },
    [BadPe32Plus] = { "PE32+", STATUS_INVALID_IMAGE_WIN_64 },
    [BadMagic] = { "an unknown optional header", STATUS_INVALID_IMAGE_FORMAT },
    [BadAlignment] = { "section alignment not a power of two", STATUS_INVALID_IMAGE_FORMAT },
    [BadBase] = { "a base not on 64 KB", STATUS_INVALID_IMAGE_FORMAT },
    [BadSectionGap] = { "a gap between sections", STATUS_INVALID_IMAGE_FORMAT },
    [BadRawOffset] = { "raw data not on a sector", STATUS_INVALID_IMAGE_FORMAT },
    [BadRawPastEnd] = { "raw data past the end", STATUS_INVALID_IMAGE_FORMAT },
    [BadEntry] = { "an entry point outside the image", STATUS_INVALID_IMAGE_FORMAT },
    [BadTooBig] = { "larger than any user range", STATUS_SECTION_TOO_BIG },
    [BadTruncated] = { "too short for an MS-DOS header", STATUS_INVALID_IMAGE_NOT_MZ },
    [BadSmallAlignmentLayout] = { "alignment below a page, sections not where the file has them",
                                  STATUS_INVALID_IMAGE_FORMAT },
};

static void Damage(TEST_FILE *t, IMAGE_DAMAGE Which)
{
    IMAGE_DOS_HEADER *Dos = (IMAGE_DOS_HEADER *)t->Bytes;
    IMAGE_NT_HEADERS32 *Nt = NtHeaders(t->Bytes);
    IMAGE_SECTION_HEADER *Sections = SectionTable(t->Bytes);
    switch (Which) {
    case BadMz: Dos->e_magic = 0x4D5A; break;
    case BadLfanewPastEnd: Dos->e_lfanew = (LONG)t->Size; break;
    case BadLfanewOdd: Dos->e_lfanew += 2; break;
    case BadSignatureNe: Nt->Signature = 0x454E; break;
    case BadSignatureLe: Nt->Signature = 0x454C; break;
    case BadSignature: Nt->Signature = 0x12345678; break;
    case BadDosAsPe: Nt->FileHeader.Machine = 0; Nt->FileHeader.SizeOfOptionalHeader = 0; break;
    case BadNotExecutable: Nt->FileHeader.Characteristics &= ~IMAGE_FILE_EXECUTABLE_IMAGE; break;
    case BadPe32Plus: Nt->OptionalHeader.Magic = 0x20B; break;
    case BadMagic: Nt->OptionalHeader.Magic = 0x107; break;
    case BadAlignment: Nt->OptionalHeader.SectionAlignment = 0x3000; break;
    case BadBase: Nt->OptionalHeader.ImageBase += 0x1000; break;
    case BadSectionGap:
        for (ULONG i = 1; i < Nt->FileHeader.NumberOfSections; i++)
            Sections[i].VirtualAddress += PAGE_SIZE;
        Nt->OptionalHeader.SizeOfImage += PAGE_SIZE;   /* section 1 now starts a page after section 0 ends */
        break;
    case BadRawOffset: Sections[0].PointerToRawData += 4; Sections[0].SizeOfRawData -= 4; break;
    case BadRawPastEnd: Sections[0].PointerToRawData = (ULONG)t->Size; break;
    case BadEntry: Nt->OptionalHeader.AddressOfEntryPoint = Nt->OptionalHeader.SizeOfImage; break;
    case BadTooBig: Nt->OptionalHeader.SizeOfImage = 0xC0000000; break;
    case BadTruncated: t->File->FileSize = 16; break;
    case BadSmallAlignmentLayout: Nt->OptionalHeader.SectionAlignment = Nt->OptionalHeader.FileAlignment; break;
    case BadCount: break;
    }
}

/*
 * Every header fault NtCreateSection(SEC_IMAGE) refuses, each with NT's
 * status, and nothing made (the leak guards: no pool, no control area);
 * an empty file and no file at all are STATUS_INVALID_FILE_FOR_SECTION,
 * a file that is no image (the boot text file) STATUS_INVALID_IMAGE_NOT_MZ.
 */
KTEST(section_image, every_refused_image_gets_nts_status)
{
    for (ULONG Which = 0; Which < BadCount; Which++) {
        TEST_FILE Img;
        PVOID Section;
        ASSERT_TRUE(MakeTestFile(&Img, "hello.exe", 0));
        Damage(&Img, (IMAGE_DAMAGE)Which);
        NTSTATUS Status = CreateImage(&Img, &Section);
        if (Status != Damages[Which].Status)
            KtestFail(t, __FILE__, __LINE__, "%s: expected 0x%08x, got 0x%08x", Damages[Which].What,
                      (ULONG)Damages[Which].Status, (ULONG)Status);
        EXPECT_NULL(Img.Pointers->ImageSectionObject);
        if (NT_SUCCESS(Status))
            ObDereferenceObject(Section);
        DeleteTestFile(&Img);
    }

    TEST_FILE Empty;
    PVOID Section;
    ASSERT_TRUE(MakeTestFile(&Empty, "hello.exe", 0));
    Empty.File->FileSize = 0;
    EXPECT_EQ(CreateImage(&Empty, &Section), STATUS_INVALID_FILE_FOR_SECTION);
    DeleteTestFile(&Empty);

    HANDLE Handle, Text;
    EXPECT_EQ(TestCreateSection(&Handle, PAGE_SIZE, SEC_IMAGE, PAGE_EXECUTE_WRITECOPY, NULL),
              STATUS_INVALID_FILE_FOR_SECTION);
    ASSERT_EQ(TestOpenBootFile("bootmod.txt", FILE_READ_DATA | FILE_EXECUTE, &Text), STATUS_SUCCESS);
    EXPECT_EQ(TestCreateSection(&Handle, 0, SEC_IMAGE, PAGE_EXECUTE_WRITECOPY, Text), STATUS_INVALID_IMAGE_NOT_MZ);
    NtClose(Text);
}

/*
 * An image for another processor is made, as NT makes it, and both
 * NtCreateSection and NtMapViewOfSection answer the warning
 * STATUS_IMAGE_MACHINE_TYPE_MISMATCH; the image information names its
 * machine. A process cannot be made from it (no such program is a boot
 * module, so that half is process creation's own check: kernel/ps).
 */
KTEST(section_image, another_processors_image_is_made_with_nts_warning)
{
    TEST_FILE Img;
    PVOID Section;
    PEPROCESS A = TestCreateUserProcess(false);
    ASSERT_NOT_NULL(A);
    ASSERT_TRUE(MakeTestFile(&Img, "hello.exe", 0));
    NtHeaders(Img.Bytes)->FileHeader.Machine = 0x8664;
    ASSERT_EQ(CreateImage(&Img, &Section), STATUS_IMAGE_MACHINE_TYPE_MISMATCH);
    EXPECT_EQ(MmGetImageInformation(Section)->Machine, 0x8664);
    /* A second section over the file finds its control area made: the warning again (process creation relies on it). */
    PVOID Second;
    EXPECT_EQ(CreateImage(&Img, &Second), STATUS_IMAGE_MACHINE_TYPE_MISMATCH);
    EXPECT_EQ(((PSECTION)Second)->Segment, ((PSECTION)Section)->Segment);
    ObDereferenceObject(Second);
    ULONG Base = 0;
    EXPECT_EQ(MapImage(Section, A, &Base), STATUS_IMAGE_MACHINE_TYPE_MISMATCH);
    EXPECT_EQ(QueryIn(A, Base).Type, MEM_IMAGE);
    TestDeleteUserProcess(A);
    ObDereferenceObject(Section);
    DeleteTestFile(&Img);
}

/*
 * NtQuerySection: the basic class says SEC_IMAGE and SEC_FILE and the
 * image's size; the image class gives what the file's headers say.
 */
KTEST(section_image, query_reports_the_images_headers)
{
    HANDLE File, Handle;
    SECTION_BASIC_INFORMATION Basic;
    SECTION_IMAGE_INFORMATION Image;
    SIZE_T Length = 0;
    TEST_FILE Img;

    ASSERT_TRUE(MakeTestFile(&Img, "hello.exe", 0));
    const IMAGE_OPTIONAL_HEADER32 *Opt = &NtHeaders(Img.Bytes)->OptionalHeader;
    ASSERT_EQ(TestOpenBootFile("hello.exe", FILE_READ_DATA | FILE_EXECUTE, &File), STATUS_SUCCESS);
    ASSERT_EQ(TestCreateSection(&Handle, 0, SEC_IMAGE, PAGE_EXECUTE_WRITECOPY, File), STATUS_SUCCESS);
    NtClose(File);
    EXPECT_EQ(ZwQuerySection(Handle, SectionBasicInformation, &Basic, sizeof(Basic), &Length), STATUS_SUCCESS);
    EXPECT_EQ(Basic.Attributes, SEC_IMAGE | SEC_FILE);
    EXPECT_EQ(Basic.Size.QuadPart, (LONGLONG)Opt->SizeOfImage);
    EXPECT_EQ(ZwQuerySection(Handle, SectionImageInformation, &Image, sizeof(Image), &Length), STATUS_SUCCESS);
    EXPECT_EQ(Length, sizeof(Image));
    EXPECT_EQ(Image.TransferAddress, (PVOID)(Opt->ImageBase + Opt->AddressOfEntryPoint));
    EXPECT_EQ(Image.MaximumStackSize, Opt->SizeOfStackReserve);
    EXPECT_EQ(Image.CommittedStackSize, Opt->SizeOfStackCommit);
    EXPECT_EQ(Image.SubSystemType, IMAGE_SUBSYSTEM_NATIVE);
    EXPECT_EQ(Image.ImageCharacteristics, NtHeaders(Img.Bytes)->FileHeader.Characteristics);
    EXPECT_EQ(Image.Machine, IMAGE_FILE_MACHINE_I386);
    EXPECT_TRUE(Image.ImageContainsCode);
    EXPECT_EQ(Image.ImageFileSize, (ULONG)Img.Size);
    EXPECT_EQ(ZwQuerySection(Handle, SectionImageInformation, &Image, sizeof(Image) - 1, NULL),
              STATUS_INFO_LENGTH_MISMATCH);
    NtClose(Handle);
    DeleteTestFile(&Img);
}

/*
 * The image control area (the file's ImageSectionObject, apart from its
 * data control area) lives while a section object or a view does: the
 * handle closed first, it stays for the view, with its pages; the view
 * unmapped last, it goes, and its pages with it (the leak guards count
 * pages, pool and commit against the start).
 */
KTEST(section_image, the_image_goes_with_its_last_handle_and_view)
{
    TEST_FILE Img;
    PVOID Section;
    HANDLE Data;
    PEPROCESS A = TestCreateUserProcess(false);
    ASSERT_NOT_NULL(A);
    ASSERT_TRUE(MakeTestFile(&Img, "hello.exe", 0));
    ASSERT_EQ(CreateImage(&Img, &Section), STATUS_SUCCESS);
    PCONTROL_AREA Image = Img.Pointers->ImageSectionObject;
    ASSERT_NOT_NULL(Image);
    EXPECT_TRUE(Image->u.Flags.Image);
    EXPECT_NULL(Img.Pointers->DataSectionObject);
    /* A data section over the same file has a control area of its own. */
    HANDLE FileHandle;
    ASSERT_EQ(ObOpenObjectByPointer(Img.File, OBJ_KERNEL_HANDLE, NULL, FILE_READ_DATA | FILE_EXECUTE, IoFileObjectType,
                                    KernelMode, &FileHandle), STATUS_SUCCESS);
    ASSERT_EQ(TestCreateSection(&Data, 0, SEC_COMMIT, PAGE_READONLY, FileHandle), STATUS_SUCCESS);
    NtClose(FileHandle);
    EXPECT_NOT_NULL(Img.Pointers->DataSectionObject);
    EXPECT_NE((PVOID)Img.Pointers->DataSectionObject, (PVOID)Image);
    NtClose(Data);
    EXPECT_NULL(Img.Pointers->DataSectionObject);

    ULONG Base = 0, Value;
    ASSERT_EQ(MapImage(Section, A, &Base), STATUS_SUCCESS);
    EXPECT_EQ(InProcess(A, Base, &Value, false), STATUS_SUCCESS);
    EXPECT_EQ(Value, *(ULONG *)Img.Bytes);
    EXPECT_EQ(Image->NumberOfSectionReferences, 1u);
    EXPECT_EQ(Image->NumberOfMappedViews, 1u);
    ObDereferenceObject(Section);
    EXPECT_EQ(Img.Pointers->ImageSectionObject, (PVOID)Image);
    EXPECT_EQ(Image->NumberOfSectionReferences, 0u);
    EXPECT_EQ(InProcess(A, Base, &Value, false), STATUS_SUCCESS);
    PKAPC_STATE Apc = TestAttach(A);
    EXPECT_EQ(TestUnmapView(Base), STATUS_SUCCESS);
    TestDetach(Apc);
    EXPECT_NULL(Img.Pointers->ImageSectionObject);
    TestDeleteUserProcess(A);
    DeleteTestFile(&Img);
}

/*
 * ntdll.dll's image section, the one boot made and keeps (a new section over
 * the file finds its control area), mapped into three processes at its
 * fixed base: its code is one frame in all three, the frame of the section
 * boot keeps; and a program run meanwhile leaves that frame where it was.
 */
KTEST(section_image, ntdll_code_is_one_frame_in_every_process)
{
    HANDLE File, Handle;
    PEPROCESS P[3] = { 0 };
    PFN_NUMBER Frames[3] = { 0 };
    NTSTATUS ExitStatus;
    ULONG Code = 0, Value;

    ASSERT_EQ(TestOpenBootFile("ntdll.dll", FILE_READ_DATA | FILE_EXECUTE, &File), STATUS_SUCCESS);
    ASSERT_EQ(TestCreateSection(&Handle, 0, SEC_IMAGE, PAGE_EXECUTE_WRITECOPY, File), STATUS_SUCCESS);
    NtClose(File);
    PSECTION Section = TestSectionObject(Handle);
    const MM_IMAGE_INFORMATION *Info = MmGetImageInformation(Section);
    EXPECT_EQ(Section->Segment->ControlArea->NumberOfSectionReferences, 2u);    /* boot's and this one */
    for (ULONG i = 0; i < Info->NumberOfSections && !Code; i++) {
        if (Info->Sections[i].Characteristics & IMAGE_SCN_MEM_EXECUTE)
            Code = Info->ImageBase + Info->Sections[i].VirtualAddress;
    }
    ASSERT_NE(Code, 0u);
    EXPECT_EQ(KtestRunProgram("exit0.exe", &ExitStatus), STATUS_SUCCESS);    /* a program used it meanwhile */
    for (ULONG i = 0; i < 3; i++) {
        ULONG Base = 0;
        P[i] = TestCreateUserProcess(false);
        ASSERT_NOT_NULL(P[i]);
        EXPECT_EQ(MapImage(Section, P[i], &Base), STATUS_SUCCESS);
        EXPECT_EQ(Base, 0x7C900000u);
        EXPECT_EQ(InProcess(P[i], Code, &Value, false), STATUS_SUCCESS);
        Frames[i] = FrameIn(P[i], Code);
    }
    for (ULONG i = 0; i < 3; i++) {
        EXPECT_NE(Frames[i], 0);
        EXPECT_EQ(Frames[i], Frames[0]);
    }
    EXPECT_EQ(MI_PFN_ELEMENT(Frames[0])->u2.ShareCount, 3u);
    EXPECT_EQ(MI_PFN_ELEMENT(Frames[0])->PteAddress,
              Section->Segment->PrototypePte + ((Code - Info->ImageBase) >> PAGE_SHIFT));
    for (ULONG i = 0; i < 3; i++)
        TestDeleteUserProcess(P[i]);
    NtClose(Handle);
}

/*
 * The same with three running programs (waiter.exe, alive until ended):
 * ntdll's first code page, which every program has executed, is one frame
 * in the three of them, and the frame of the section boot keeps; the
 * program's own code page is one frame too. Ending them leaves ntdll's
 * page with its section (on the standby list, found again through its
 * prototype PTE).
 */
/* Reads Va in a running program (not a test process: TestAttach's APC state lives beside those only). */
static PFN_NUMBER ReadAndFrameInProgram(PEPROCESS Process, ULONG Va)
{
    KAPC_STATE ApcState;
    ULONG Value;
    KeStackAttachProcess(&Process->Pcb, &ApcState);
    PFN_NUMBER Pfn = NT_SUCCESS(TestRead(Va, &Value, NULL)) ? TestFrameOf(Va) : 0;
    KeUnstackDetachProcess(&ApcState);
    return Pfn;
}

KTEST(section_image, ntdll_and_program_code_one_frame_in_three_running_programs)
{
    HANDLE Processes[3], Threads[3];
    PEPROCESS P[3];
    PFN_NUMBER Ntdll[3], Program[3];
    for (ULONG i = 0; i < 3; i++) {
        NTSTATUS Status = PsStartBootProgram("waiter.exe 1", &Processes[i], &Threads[i]);
        if (Status == STATUS_OBJECT_NAME_NOT_FOUND)
            KTEST_SKIP("waiter.exe is not among the boot modules");
        ASSERT_EQ(Status, STATUS_SUCCESS);
        ASSERT_EQ(ObReferenceObjectByHandle(Processes[i], 0, PsProcessType, KernelMode, (PVOID *)&P[i], NULL),
                  STATUS_SUCCESS);
    }
    TestSleepTicks(3);          /* each has run its loader and main up to its wait */
    ULONG NtdllCode = 0, ProgramCode = 0;
    for (ULONG i = 0; i < 3; i++) {
        PSECTION Image = P[i]->SectionObject;
        ASSERT_NOT_NULL(Image);
        const MM_IMAGE_INFORMATION *Info = MmGetImageInformation(Image);
        ProgramCode = Info->ImageBase + Info->EntryPoint;
        NtdllCode = (ULONG)PsGetSystemDllBase() + PAGE_SIZE;       /* .text follows the headers */
        Ntdll[i] = ReadAndFrameInProgram(P[i], NtdllCode);
        Program[i] = ReadAndFrameInProgram(P[i], ProgramCode);
    }
    for (ULONG i = 0; i < 3; i++) {
        EXPECT_NE(Ntdll[i], 0);
        EXPECT_EQ(Ntdll[i], Ntdll[0]);
        EXPECT_NE(Program[i], 0);
        EXPECT_EQ(Program[i], Program[0]);
    }
    EXPECT_NE(Ntdll[0], Program[0]);
    EXPECT_GE(MI_PFN_ELEMENT(Ntdll[0])->u2.ShareCount, 3u);
    EXPECT_EQ(MI_PFN_ELEMENT(Program[0])->u2.ShareCount, 3u);
    PMMPTE NtdllPrototype = MI_PFN_ELEMENT(Ntdll[0])->PteAddress;
    for (ULONG i = 0; i < 3; i++) {
        EXPECT_EQ(NtTerminateProcess(Processes[i], STATUS_SUCCESS), STATUS_SUCCESS);
        EXPECT_EQ(NtWaitForSingleObject(Processes[i], FALSE, NULL), STATUS_WAIT_0);
        ObDereferenceObject(P[i]);
        EXPECT_EQ(NtClose(Threads[i]), STATUS_SUCCESS);
        EXPECT_EQ(NtClose(Processes[i]), STATUS_SUCCESS);
    }
    /* No view maps it now (unless another program runs): it waits on the standby list, still the section's. */
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Ntdll[0]);
    EXPECT_EQ(Pfn1->PteAddress, NtdllPrototype);
    if (Pfn1->u3.e2.e1.PageLocation != ActiveAndValid)
        EXPECT_EQ(Pfn1->u3.e2.e1.PageLocation, StandbyPageList);
}

/*
 * An image view's pages take any protection (NT checks the view's, which is
 * execute-write-copy): execute-read/write on code becomes
 * execute-write-copy, execute-read on writable data is allowed.
 */
KTEST(section_image, image_pages_take_any_protection)
{
    TEST_FILE Img;
    PVOID Section;
    PEPROCESS A = TestCreateUserProcess(false);
    ASSERT_NOT_NULL(A);
    ASSERT_TRUE(MakeTestFile(&Img, "hello.exe", 0));
    IMAGE_SECTION_HEADER *Text = FindSection(Img.Bytes, IMAGE_SCN_MEM_EXECUTE, IMAGE_SCN_MEM_WRITE);
    IMAGE_SECTION_HEADER *Data = FindSection(Img.Bytes, IMAGE_SCN_MEM_WRITE | IMAGE_SCN_CNT_INITIALIZED_DATA, 0);
    ASSERT_NOT_NULL(Text);
    ASSERT_NOT_NULL(Data);
    ASSERT_EQ(CreateImage(&Img, &Section), STATUS_SUCCESS);
    ULONG Base = 0;
    ASSERT_EQ(MapImage(Section, A, &Base), STATUS_SUCCESS);
    PKAPC_STATE Apc = TestAttach(A);
    PVOID Va = (PVOID)(Base + Text->VirtualAddress);
    SIZE_T Size = PAGE_SIZE;
    ULONG Old;
    NTSTATUS S1 = ZwProtectVirtualMemory(NtCurrentProcess(), &Va, &Size, PAGE_EXECUTE_READWRITE, &Old);
    Va = (PVOID)(Base + Data->VirtualAddress);
    Size = PAGE_SIZE;
    NTSTATUS S2 = ZwProtectVirtualMemory(NtCurrentProcess(), &Va, &Size, PAGE_EXECUTE_READ, &Old);
    ULONG TextProtect = QueryIn(A, Base + Text->VirtualAddress).Protect;
    ULONG DataProtect = QueryIn(A, Base + Data->VirtualAddress).Protect;
    TestDetach(Apc);
    EXPECT_EQ(S1, STATUS_SUCCESS);
    EXPECT_EQ(S2, STATUS_SUCCESS);
    EXPECT_EQ(TextProtect, PAGE_EXECUTE_WRITECOPY);
    EXPECT_EQ(DataProtect, PAGE_EXECUTE_READ);
    TestDeleteUserProcess(A);
    ObDereferenceObject(Section);
    DeleteTestFile(&Img);
}

static ULONG RvaToOffset(const MM_IMAGE_INFORMATION *Info, ULONG Rva)
{
    for (ULONG i = 0; i < Info->NumberOfSections; i++) {
        const IMAGE_SECTION_HEADER *s = &Info->Sections[i];
        if (Rva >= s->VirtualAddress && Rva - s->VirtualAddress < s->SizeOfRawData)
            return s->PointerToRawData + (Rva - s->VirtualAddress);
    }
    return ~0u;
}

/*
 * A damaged export table never makes the lookup read past the file: a
 * function count whose size overflows 32 bits (0x40000001 * 4 == 4) and
 * name ordinals of 0xFFFF, with what lies past the file made to look like
 * an answer, find nothing.
 */
KTEST(section_image, export_lookup_stays_inside_the_file)
{
    TEST_FILE Dll;
    ASSERT_TRUE(MakeTestFile(&Dll, "ntdll.dll", 0));
    SIZE_T Slack = 0x40000 + PAGE_SIZE;
    UCHAR *Big = ExAllocatePoolWithTag(NonPagedPool, Dll.Size + Slack, IMAGE_TEST_TAG);
    ASSERT_NOT_NULL(Big);
    memcpy(Big, Dll.Bytes, Dll.Size);
    for (SIZE_T i = Dll.Size; i + 4 <= Dll.Size + Slack; i += 4)
        *(ULONG *)(Big + i) = 0x1000;               /* past the file: an RVA inside the image */
    MM_IMAGE_INFORMATION Info;
    ASSERT_EQ(MmVerifyImageHeader(Big, Dll.Size, &Info), STATUS_SUCCESS);
    ULONG At = RvaToOffset(&Info, Info.ExportRva);
    ASSERT_NE(At, ~0u);
    IMAGE_EXPORT_DIRECTORY *Exports = (IMAGE_EXPORT_DIRECTORY *)(Big + At);
    ULONG Ordinals = RvaToOffset(&Info, Exports->AddressOfNameOrdinals);
    ULONG Functions = RvaToOffset(&Info, Exports->AddressOfFunctions);
    ASSERT_NE(Ordinals, ~0u);
    for (ULONG i = 0; i < Exports->NumberOfNames; i++)
        ((USHORT *)(Big + Ordinals))[i] = 0xFFFF;
    Exports->NumberOfFunctions = 0x40000001;        /* * 4 == 4 in 32 bits */
    ASSERT_NE(Functions, ~0u);
    EXPECT_EQ(MmFindImageExport(Big, &Info, "LdrInitializeThunk"), 0u);
    ExFreePoolWithTag(Big, IMAGE_TEST_TAG);
    DeleteTestFile(&Dll);
}
