/*
 * tests/mm/section_fuzz.c — sections under 20,000 random operations in
 * three processes, checked against an oracle.
 *
 * The oracle is a model of each section (its kind — SEC_COMMIT or
 * SEC_RESERVE over the paging file, or a data section over a boot file —,
 * which of its pages are committed, and the first word of each page), of
 * each view (its process, base, offset, size and protection, each page's own
 * protection if one was set, each page's private copy if it was written
 * copy-on-write) and of each process's commit charge (the page tables its
 * views span, the pages charged for copy-on-write). The operations —
 * create, close, map (at a base or anywhere, at random offsets and sizes,
 * with random protections), unmap, write, read, protect, commit, query, and
 * a view in system space — are applied to the model by NT's rules, written
 * here independently of mm/, and each service's status and results, each
 * word read, each query and each process's commit charge must match. Every
 * 2,000 operations every page of every view is read back. The run ends by
 * unmapping and closing everything: the processes are empty and every
 * control area is gone; the harness's guards then check that no page, pool
 * block or commit was left behind.
 *
 * The seed is printed; the 3 GB configuration runs another.
 */
#include "section_test.h"

#define OPERATIONS          20000u
#define SWEEP_EVERY         2000u
#define PROCESSES           3u
#define MAX_SECTIONS        5u
#define MAX_VIEWS           18u
#define MAX_PAGES           32u                     /* a section's pages: offsets 0 and 64 KB */
#define WINDOW              0x10000000u             /* fixed bases: WINDOW + slot * 64 KB */
#define WINDOW_SLOTS        48u
#define FILE_NAME           "hello.exe"

enum { KindCommit, KindReserve, KindFile };

typedef struct {
    bool Live;                  /* the kernel's section exists: its handle is open or a view holds it */
    bool HandleOpen;
    HANDLE Handle;
    ULONG Kind, Pages, Protect;
    ULONG Bytes;                /* its size: pages for the paging file's, the file's size */
    ULONG Content[MAX_PAGES];   /* each page's first word */
    bool Committed[MAX_PAGES];
    PCONTROL_AREA ControlArea;
    ULONG Views;
} MODEL_SECTION;

typedef struct {
    bool Live;
    ULONG Process, Section;
    ULONG Base, FirstPage, Pages, Protect;
    ULONG PageProtect[MAX_PAGES];       /* 0: the view's */
    bool Private[MAX_PAGES];            /* copied on write */
    ULONG PrivateWord[MAX_PAGES];
    bool CowCharged[MAX_PAGES];         /* a page made write-copy in a view that was not */
} MODEL_VIEW;

static MODEL_SECTION Sections[MAX_SECTIONS];
static MODEL_VIEW Views[MAX_VIEWS];
static PEPROCESS Processes[PROCESSES];
static const UCHAR *FileData;
static ULONG FileSize;
static ULONG RandomState;
static PVOID SystemView;
static ULONG SystemViewSection;
static bool Succeeded;          /* the last operation's service succeeded */

static ULONG Random(void)
{
    RandomState = RandomState * 1103515245u + 12345u;
    return RandomState >> 8;
}

/* ----------------------------------------------------------- the model's rules */

/* NT's compatibility of a request with a view's protection (written out, not mm/'s table). */
static bool Compatible(ULONG Base, ULONG Request)
{
    switch (Base) {
    case PAGE_READWRITE:
        return Request == PAGE_NOACCESS || Request == PAGE_READONLY || Request == PAGE_WRITECOPY ||
               Request == PAGE_READWRITE;
    case PAGE_READONLY:
    case PAGE_WRITECOPY:
        return Request == PAGE_NOACCESS || Request == PAGE_READONLY || Request == PAGE_WRITECOPY;
    default:
        return Request == PAGE_NOACCESS;
    }
}

static ULONG NotWriteCopy(ULONG Protect)
{
    return Protect == PAGE_WRITECOPY ? PAGE_READWRITE : Protect;
}

static ULONG PageProtect(const MODEL_VIEW *View, ULONG i)
{
    ULONG Protect = View->PageProtect[i] ? View->PageProtect[i] : View->Protect;
    return View->Private[i] ? NotWriteCopy(Protect) : Protect;
}

static bool PageCommitted(const MODEL_VIEW *View, ULONG i)
{
    const MODEL_SECTION *Section = &Sections[View->Section];
    return Section->Kind != KindReserve || Section->Committed[View->FirstPage + i];
}

static ULONG PageWord(const MODEL_VIEW *View, ULONG i)
{
    return View->Private[i] ? View->PrivateWord[i] : Sections[View->Section].Content[View->FirstPage + i];
}

/* What a process's commit charge must be: the page tables its views span, and copy-on-write's pages. */
static ULONG ModelCharge(ULONG Process)
{
    ULONG Charge = 0;
    bool Table[1024 / 2] = { 0 };
    for (ULONG v = 0; v < MAX_VIEWS; v++) {
        const MODEL_VIEW *View = &Views[v];
        if (!View->Live || View->Process != Process)
            continue;
        for (ULONG Index = View->Base >> PDE_SHIFT; Index <= (View->Base + View->Pages * PAGE_SIZE - 1) >> PDE_SHIFT;
             Index++)
            Table[Index] = true;
        for (ULONG i = 0; i < View->Pages; i++)
            Charge += View->Protect == PAGE_WRITECOPY || View->CowCharged[i];
    }
    for (ULONG i = 0; i < ARRAY_SIZE(Table); i++)
        Charge += Table[i];
    return Charge;
}

static bool Overlaps(ULONG Process, ULONG Base, ULONG Pages)
{
    for (ULONG v = 0; v < MAX_VIEWS; v++) {
        const MODEL_VIEW *View = &Views[v];
        if (View->Live && View->Process == Process && Base < View->Base + View->Pages * PAGE_SIZE &&
            View->Base < Base + Pages * PAGE_SIZE)
            return true;
    }
    return false;
}

static ULONG PickLive(const void *Array, ULONG Count, size_t Stride)
{
    ULONG Start = Random() % Count;
    for (ULONG k = 0; k < Count; k++) {
        ULONG i = (Start + k) % Count;
        if (*(const bool *)((const char *)Array + i * Stride))
            return i;
    }
    return Count;
}

/* A section whose handle and views are all gone has gone: its control area too. */
static bool SettleSection(KTEST_CONTEXT *t, ULONG Operation, ULONG s)
{
    MODEL_SECTION *Section = &Sections[s];
    if (!Section->Live || Section->HandleOpen || Section->Views != 0 || SystemViewSection == s + 1)
        return true;
    Section->Live = false;
    for (ULONG Other = 0; Other < MAX_SECTIONS; Other++) {
        if (Sections[Other].Live && Sections[Other].ControlArea == Section->ControlArea)
            return true;                /* another section over the same file: one control area per file */
    }
    t->Checks++;
    if (TestControlAreaExists(Section->ControlArea)) {
        KtestFail(t, __FILE__, __LINE__, "operation %u: section %u's control area outlived it", Operation, s);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------- operations */

#define EXPECT_STATUS(got, want, what)                                                                  \
    do {                                                                                                \
        t->Checks++;                                                                                    \
        if ((got) != (want)) {                                                                          \
            KtestFail(t, __FILE__, __LINE__, "operation %u: %s: %s, model %s", Operation, what,         \
                      RtlNtStatusName(got), RtlNtStatusName(want));                                     \
            return false;                                                                               \
        }                                                                                               \
    } while (0)

static bool OpCreate(KTEST_CONTEXT *t, ULONG Operation)
{
    ULONG Free;
    for (Free = 0; Free < MAX_SECTIONS && Sections[Free].Live; Free++)
        ;
    if (Free == MAX_SECTIONS)
        return true;
    MODEL_SECTION *Section = &Sections[Free];
    memset(Section, 0, sizeof(*Section));
    Section->Kind = FileData ? Random() % 3 : Random() % 2;
    HANDLE File = NULL;
    NTSTATUS Status;
    if (Section->Kind == KindFile) {
        Section->Protect = Random() % 2 ? PAGE_READONLY : PAGE_WRITECOPY;
        Section->Bytes = FileSize;
        Section->Pages = BYTES_TO_PAGES(FileSize);
        for (ULONG i = 0; i < Section->Pages; i++)
            Section->Content[i] = i * PAGE_SIZE + 4 <= FileSize ? *(const ULONG *)(FileData + i * PAGE_SIZE) : 0;
        if (!NT_SUCCESS(TestOpenBootFile(FILE_NAME, FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, &File)))
            return false;
        Status = TestCreateSection(&Section->Handle, 0, SEC_COMMIT, Section->Protect, File);
        NtClose(File);
    } else {
        Section->Protect = PAGE_READWRITE;
        Section->Pages = 1 + Random() % MAX_PAGES;
        Section->Bytes = Section->Pages * PAGE_SIZE - Random() % PAGE_SIZE;
        for (ULONG i = 0; i < Section->Pages; i++)
            Section->Committed[i] = Section->Kind == KindCommit;
        Status = TestCreateSection(&Section->Handle, Section->Bytes,
                                   Section->Kind == KindCommit ? SEC_COMMIT : SEC_RESERVE, PAGE_READWRITE, NULL);
        Section->Bytes = Section->Pages * PAGE_SIZE;        /* rounded up to pages, as NT rounds it */
    }
    EXPECT_STATUS(Status, STATUS_SUCCESS, "create");
    Succeeded = true;
    Section->Live = Section->HandleOpen = true;
    Section->ControlArea = TestSectionObject(Section->Handle)->Segment->ControlArea;
    return true;
}

static bool OpClose(KTEST_CONTEXT *t, ULONG Operation)
{
    ULONG s = PickLive(&Sections[0].HandleOpen, MAX_SECTIONS, sizeof(MODEL_SECTION));
    if (s == MAX_SECTIONS)
        return true;
    EXPECT_STATUS(NtClose(Sections[s].Handle), STATUS_SUCCESS, "close");
    Succeeded = true;
    Sections[s].HandleOpen = false;
    return SettleSection(t, Operation, s);
}

static bool OpMap(KTEST_CONTEXT *t, ULONG Operation)
{
    static const ULONG Protections[] = {
        PAGE_READWRITE, PAGE_READWRITE, PAGE_READWRITE, PAGE_READONLY, PAGE_WRITECOPY, PAGE_WRITECOPY, PAGE_NOACCESS,
    };
    ULONG s = PickLive(&Sections[0].HandleOpen, MAX_SECTIONS, sizeof(MODEL_SECTION));
    ULONG v;
    for (v = 0; v < MAX_VIEWS && Views[v].Live; v++)
        ;
    if (s == MAX_SECTIONS || v == MAX_VIEWS)
        return true;
    MODEL_SECTION *Section = &Sections[s];
    ULONG Process = Random() % PROCESSES, Protect = Protections[Random() % ARRAY_SIZE(Protections)];
    ULONG Offset = Random() % 4 == 0 ? 0x10000 : 0;
    ULONG Size = Random() % 3 == 0 ? 0 : (1 + Random() % MAX_PAGES) * PAGE_SIZE - Random() % 2 * 0x800;
    ULONG Base = Random() % 2 ? WINDOW + (Random() % WINDOW_SLOTS) * MM_ALLOCATION_GRANULARITY : 0;
    ULONG AllocationType = Base == 0 && Random() % 4 == 0 ? MEM_TOP_DOWN : 0;

    /* The model's verdict, in NT's order. */
    NTSTATUS Expected = STATUS_SUCCESS;
    ULONG Pages = 0;
    if (!Compatible(Section->Protect, Protect))
        Expected = STATUS_SECTION_PROTECTION;
    else if (Offset + Size > Section->Bytes || (Size == 0 && Offset >= Section->Bytes))
        Expected = STATUS_INVALID_VIEW_SIZE;
    else {
        Pages = BYTES_TO_PAGES(Size ? Size : Section->Bytes - Offset);
        if (Base && Overlaps(Process, Base, Pages))
            Expected = STATUS_CONFLICTING_ADDRESSES;
    }

    PKAPC_STATE Apc = TestAttach(Processes[Process]);
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;
    LARGE_INTEGER O = { .QuadPart = Offset };
    NTSTATUS Status = ZwMapViewOfSection(Section->Handle, NtCurrentProcess(), &B, 0, 0, &O, &S, ViewShare,
                                         AllocationType, Protect);
    TestDetach(Apc);
    EXPECT_STATUS(Status, Expected, "map");
    Succeeded = NT_SUCCESS(Status);
    if (!NT_SUCCESS(Status))
        return true;
    t->Checks++;
    if (S != Pages * PAGE_SIZE || (Base && (ULONG)B != Base) || ((ULONG)B & (MM_ALLOCATION_GRANULARITY - 1)) ||
        (!Base && Overlaps(Process, (ULONG)B, Pages))) {
        KtestFail(t, __FILE__, __LINE__, "operation %u: map gave %08x size %x; model %u pages", Operation, (ULONG)B,
                  S, Pages);
        return false;
    }
    MODEL_VIEW *View = &Views[v];
    memset(View, 0, sizeof(*View));
    View->Live = true;
    View->Process = Process;
    View->Section = s;
    View->Base = (ULONG)B;
    View->FirstPage = Offset / PAGE_SIZE;
    View->Pages = Pages;
    View->Protect = Protect;
    Section->Views++;
    return true;
}

static bool OpUnmap(KTEST_CONTEXT *t, ULONG Operation)
{
    ULONG v = PickLive(&Views[0].Live, MAX_VIEWS, sizeof(MODEL_VIEW));
    if (v == MAX_VIEWS || Random() % 10 == 0) {
        PKAPC_STATE Apc = TestAttach(Processes[Random() % PROCESSES]);
        NTSTATUS Status = TestUnmapView(WINDOW - MM_ALLOCATION_GRANULARITY);
        TestDetach(Apc);
        EXPECT_STATUS(Status, STATUS_NOT_MAPPED_VIEW, "unmap of no view");
        return true;
    }
    MODEL_VIEW *View = &Views[v];
    PKAPC_STATE Apc = TestAttach(Processes[View->Process]);
    NTSTATUS Status = TestUnmapView(View->Base + (Random() % View->Pages) * PAGE_SIZE);
    TestDetach(Apc);
    EXPECT_STATUS(Status, STATUS_SUCCESS, "unmap");
    Succeeded = true;
    View->Live = false;
    Sections[View->Section].Views--;
    return SettleSection(t, Operation, View->Section);
}

static bool OpTouch(KTEST_CONTEXT *t, ULONG Operation, bool Write)
{
    ULONG v = PickLive(&Views[0].Live, MAX_VIEWS, sizeof(MODEL_VIEW));
    if (v == MAX_VIEWS)
        return true;
    MODEL_VIEW *View = &Views[v];
    ULONG i = Random() % View->Pages, Protect = PageProtect(View, i), Stamp = 0x51C70000 + Operation, Value = 0;
    NTSTATUS Expected = STATUS_SUCCESS;
    if (!PageCommitted(View, i) || Protect == PAGE_NOACCESS || (Write && Protect == PAGE_READONLY))
        Expected = STATUS_ACCESS_VIOLATION;

    PKAPC_STATE Apc = TestAttach(Processes[View->Process]);
    NTSTATUS Status = Write ? TestWrite(View->Base + i * PAGE_SIZE, Stamp, NULL)
                            : TestRead(View->Base + i * PAGE_SIZE, &Value, NULL);
    TestDetach(Apc);
    EXPECT_STATUS(Status, Expected, Write ? "write" : "read");
    Succeeded = NT_SUCCESS(Status);
    if (!NT_SUCCESS(Status))
        return true;
    if (!Write) {
        t->Checks++;
        if (Value != PageWord(View, i)) {
            KtestFail(t, __FILE__, __LINE__, "operation %u: read %08x at %08x, model %08x", Operation, Value,
                      View->Base + i * PAGE_SIZE, PageWord(View, i));
            return false;
        }
    } else if (View->Private[i]) {
        View->PrivateWord[i] = Stamp;
    } else if (Protect == PAGE_WRITECOPY) {
        View->Private[i] = true;
        View->PrivateWord[i] = Stamp;
    } else {
        Sections[View->Section].Content[View->FirstPage + i] = Stamp;
    }
    return true;
}

/* Protect (NtProtectVirtualMemory) or commit (NtAllocateVirtualMemory MEM_COMMIT) a few pages of a view. */
static bool OpProtect(KTEST_CONTEXT *t, ULONG Operation, bool Commit)
{
    static const ULONG Protections[] = { PAGE_READWRITE, PAGE_READONLY, PAGE_WRITECOPY, PAGE_NOACCESS };
    ULONG v = PickLive(&Views[0].Live, MAX_VIEWS, sizeof(MODEL_VIEW));
    if (v == MAX_VIEWS)
        return true;
    MODEL_VIEW *View = &Views[v];
    ULONG First = Random() % View->Pages, Count = 1 + Random() % MIN(3u, View->Pages - First);
    ULONG Request = Protections[Random() % (Commit ? 2 : ARRAY_SIZE(Protections))];
    ULONG Effective = View->Protect == PAGE_WRITECOPY && Request == PAGE_READWRITE ? PAGE_WRITECOPY : Request;

    NTSTATUS Expected = STATUS_SUCCESS;
    ULONG OldModel = PageProtect(View, First);
    if (Commit) {
        if (Sections[View->Section].Kind == KindFile)
            Expected = STATUS_ALREADY_COMMITTED;
    } else {
        if (!Compatible(View->Protect, Effective))
            Expected = STATUS_SECTION_PROTECTION;
        for (ULONG i = First; Expected == STATUS_SUCCESS && i < First + Count; i++) {
            if (!PageCommitted(View, i))
                Expected = STATUS_NOT_COMMITTED;
        }
    }
    PKAPC_STATE Apc = TestAttach(Processes[View->Process]);
    ULONG Base = View->Base + First * PAGE_SIZE, Old = 0;
    SIZE_T Size = Count * PAGE_SIZE;
    NTSTATUS Status = Commit ? TestAllocate(&Base, &Size, MEM_COMMIT, Request)
                             : TestProtect(Base, Size, Request, &Old);
    TestDetach(Apc);
    EXPECT_STATUS(Status, Expected, Commit ? "commit" : "protect");
    Succeeded = NT_SUCCESS(Status);
    if (!NT_SUCCESS(Status))
        return true;
    t->Checks++;
    if (!Commit && Old != (PageCommitted(View, First) ? OldModel : 0)) {
        KtestFail(t, __FILE__, __LINE__, "operation %u: old protection %x, model %x", Operation, Old, OldModel);
        return false;
    }
    for (ULONG i = First; i < First + Count; i++) {
        View->PageProtect[i] = Effective;
        if (Effective == PAGE_WRITECOPY && View->Protect != PAGE_WRITECOPY)
            View->CowCharged[i] = true;
        if (Commit)
            Sections[View->Section].Committed[View->FirstPage + i] = true;
    }
    return true;
}

/* A view's page queried: NtQueryVirtualMemory's fields against the model, the region's run included. */
static bool OpQuery(KTEST_CONTEXT *t, ULONG Operation, ULONG v, ULONG i)
{
    const MODEL_VIEW *View = &Views[v];
    MEMORY_BASIC_INFORMATION Info;
    PKAPC_STATE Apc = TestAttach(Processes[View->Process]);
    NTSTATUS Status = TestQuery(View->Base + i * PAGE_SIZE, &Info);
    TestDetach(Apc);
    EXPECT_STATUS(Status, STATUS_SUCCESS, "query");
    Succeeded = true;
    bool Committed = PageCommitted(View, i);
    ULONG Protect = Committed ? PageProtect(View, i) : 0, Run = 1;
    while (i + Run < View->Pages && PageCommitted(View, i + Run) == Committed &&
           (Committed ? PageProtect(View, i + Run) : 0) == Protect)
        Run++;
    t->Checks++;
    if ((ULONG)Info.AllocationBase != View->Base || Info.AllocationProtect != View->Protect ||
        Info.State != (Committed ? MEM_COMMIT : MEM_RESERVE) || Info.Protect != Protect || Info.Type != MEM_MAPPED ||
        Info.RegionSize != Run * PAGE_SIZE) {
        KtestFail(t, __FILE__, __LINE__,
                  "operation %u: query %08x: base %08x/%x state %x protect %x type %x size %x; model %08x/%x %x %x %x",
                  Operation, View->Base + i * PAGE_SIZE, (ULONG)Info.AllocationBase, Info.AllocationProtect,
                  Info.State, Info.Protect, Info.Type, Info.RegionSize, View->Base, View->Protect,
                  Committed ? MEM_COMMIT : MEM_RESERVE, Protect, Run * PAGE_SIZE);
        return false;
    }
    return true;
}

/* A view in system space: mapped, read (and, for a writable section, written) through, unmapped. */
static bool OpSystemView(KTEST_CONTEXT *t, ULONG Operation)
{
    Succeeded = true;
    if (SystemView) {
        MODEL_SECTION *Section = &Sections[SystemViewSection - 1];
        ULONG i = Random() % Section->Pages, Value = 0;
        NTSTATUS Status = TestRead((ULONG)SystemView + i * PAGE_SIZE, &Value, NULL);
        EXPECT_STATUS(Status, Section->Kind != KindReserve || Section->Committed[i] ? STATUS_SUCCESS
                                                                                      : STATUS_ACCESS_VIOLATION,
                      "system view read");
        t->Checks++;
        if (NT_SUCCESS(Status) && Value != Section->Content[i]) {
            KtestFail(t, __FILE__, __LINE__, "operation %u: system view read %08x, model %08x", Operation, Value,
                      Section->Content[i]);
            return false;
        }
        if (NT_SUCCESS(Status) && Section->Kind != KindFile && Random() % 2) {
            EXPECT_STATUS(TestWrite((ULONG)SystemView + i * PAGE_SIZE, 0x5A5A0000 + Operation, NULL),
                          STATUS_SUCCESS, "system view write");
            Section->Content[i] = 0x5A5A0000 + Operation;
        }
        if (Random() % 3 == 0) {
            EXPECT_STATUS(MmUnmapViewInSystemSpace(SystemView), STATUS_SUCCESS, "system view unmap");
            SystemView = NULL;
            ULONG s = SystemViewSection - 1;
            SystemViewSection = 0;
            return SettleSection(t, Operation, s);
        }
        return true;
    }
    ULONG s = PickLive(&Sections[0].HandleOpen, MAX_SECTIONS, sizeof(MODEL_SECTION));
    if (s == MAX_SECTIONS)
        return true;
    SIZE_T Size = 0;
    EXPECT_STATUS(MmMapViewInSystemSpace(TestSectionObject(Sections[s].Handle), &SystemView, &Size),
                  STATUS_SUCCESS, "system view map");
    SystemViewSection = s + 1;
    return true;
}

/* Every page of every view read back, and each section's commit as its segment counts it. */
static bool Sweep(KTEST_CONTEXT *t, ULONG Operation)
{
    for (ULONG v = 0; v < MAX_VIEWS; v++) {
        const MODEL_VIEW *View = &Views[v];
        if (!View->Live)
            continue;
        PKAPC_STATE Apc = TestAttach(Processes[View->Process]);
        for (ULONG i = 0; i < View->Pages; i++) {
            ULONG Value = 0, Protect = PageProtect(View, i);
            bool Readable = PageCommitted(View, i) && Protect != PAGE_NOACCESS;
            NTSTATUS Status = TestRead(View->Base + i * PAGE_SIZE, &Value, NULL);
            t->Checks++;
            if (Status != (Readable ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION) ||
                (Readable && Value != PageWord(View, i))) {
                TestDetach(Apc);
                KtestFail(t, __FILE__, __LINE__, "operation %u: sweep %08x: %s %08x, model %08x", Operation,
                          View->Base + i * PAGE_SIZE, RtlNtStatusName(Status), Value, PageWord(View, i));
                return false;
            }
        }
        TestDetach(Apc);
    }
    for (ULONG s = 0; s < MAX_SECTIONS; s++) {
        const MODEL_SECTION *Section = &Sections[s];
        if (!Section->Live || Section->Kind == KindFile)
            continue;
        ULONG Committed = 0;
        for (ULONG i = 0; i < Section->Pages; i++)
            Committed += Section->Committed[i];
        t->Checks++;
        if (Section->ControlArea->Segment->NumberOfCommittedPages != Committed) {
            KtestFail(t, __FILE__, __LINE__, "operation %u: section %u has %u pages committed, model %u", Operation, s,
                      Section->ControlArea->Segment->NumberOfCommittedPages, Committed);
            return false;
        }
    }
    return true;
}

static void RunFuzz(KTEST_CONTEXT *t, ULONG Seed)
{
    static const char *const Names[10] = {
        "creates", "closes", "maps", "unmaps", "writes", "reads", "protects", "commits", "queries", "sysviews",
    };
    ULONG Counts[10] = { 0 }, Successes[10] = { 0 };
    UNICODE_STRING Path;
    WCHAR Name[] = { '\\', 'B', 'o', 'o', 't', '\\', 'h', 'e', 'l', 'l', 'o', '.', 'e', 'x', 'e' };
    const void *Data;
    SIZE_T Size;

    memset(Sections, 0, sizeof(Sections));
    memset(Views, 0, sizeof(Views));
    SystemView = NULL;
    SystemViewSection = 0;
    Path.Buffer = Name;
    Path.Length = Path.MaximumLength = sizeof(Name);
    FileData = NT_SUCCESS(IoFindBootFile(&Path, &Data, &Size)) && Size <= MAX_PAGES * PAGE_SIZE ? Data : NULL;
    FileSize = FileData ? Size : 0;
    for (ULONG p = 0; p < PROCESSES; p++) {
        Processes[p] = TestCreateUserProcess(false);
        ASSERT_NOT_NULL(Processes[p]);
    }
    RandomState = Seed;
    DbgPrint("    # seed %08x, %u operations, %u processes, file %s (%u bytes)\n", Seed, OPERATIONS, PROCESSES,
             FileData ? FILE_NAME : "none", FileSize);

    bool Ok = true;
    for (ULONG Operation = 0; Ok && Operation < OPERATIONS; Operation++) {
        ULONG Kind = Random() % 100, Which;
        Succeeded = false;
        if (Kind < 5) {
            Which = 0;
            Ok = OpCreate(t, Operation);
        } else if (Kind < 9) {
            Which = 1;
            Ok = OpClose(t, Operation);
        } else if (Kind < 23) {
            Which = 2;
            Ok = OpMap(t, Operation);
        } else if (Kind < 33) {
            Which = 3;
            Ok = OpUnmap(t, Operation);
        } else if (Kind < 55) {
            Which = 4;
            Ok = OpTouch(t, Operation, true);
        } else if (Kind < 74) {
            Which = 5;
            Ok = OpTouch(t, Operation, false);
        } else if (Kind < 84) {
            Which = 6;
            Ok = OpProtect(t, Operation, false);
        } else if (Kind < 90) {
            Which = 7;
            Ok = OpProtect(t, Operation, true);
        } else if (Kind < 96) {
            ULONG v = PickLive(&Views[0].Live, MAX_VIEWS, sizeof(MODEL_VIEW));
            Which = 8;
            Ok = v == MAX_VIEWS || OpQuery(t, Operation, v, Random() % Views[v].Pages);
        } else {
            Which = 9;
            Ok = OpSystemView(t, Operation);
        }
        Counts[Which]++;
        Successes[Which] += Succeeded;
        for (ULONG p = 0; Ok && p < PROCESSES; p++) {
            t->Checks++;
            if (Processes[p]->CommitCharge != ModelCharge(p)) {
                KtestFail(t, __FILE__, __LINE__, "operation %u (%s): process %u charged %u, model %u", Operation,
                          Names[Which], p, Processes[p]->CommitCharge, ModelCharge(p));
                Ok = false;
            }
        }
        if (Ok && (Operation + 1) % SWEEP_EVERY == 0)
            Ok = Sweep(t, Operation);
    }
    for (ULONG i = 0; i < ARRAY_SIZE(Counts); i++)
        DbgPrint("    # %6u %-8s (%u succeeded)\n", Counts[i], Names[i], Successes[i]);
    EXPECT_TRUE(Ok);

    /* Everything goes: the processes empty, every section's control area gone. */
    if (SystemView)
        EXPECT_EQ(MmUnmapViewInSystemSpace(SystemView), STATUS_SUCCESS);
    SystemViewSection = 0;
    for (ULONG v = 0; v < MAX_VIEWS; v++) {
        if (!Views[v].Live)
            continue;
        PKAPC_STATE Apc = TestAttach(Processes[Views[v].Process]);
        EXPECT_EQ(TestUnmapView(Views[v].Base), STATUS_SUCCESS);
        TestDetach(Apc);
        Views[v].Live = false;
        Sections[Views[v].Section].Views--;
    }
    for (ULONG s = 0; s < MAX_SECTIONS; s++) {
        if (Sections[s].HandleOpen)
            EXPECT_EQ(NtClose(Sections[s].Handle), STATUS_SUCCESS);
    }
    /* Only after every handle is closed: sections over the one file share a control area. */
    for (ULONG s = 0; s < MAX_SECTIONS; s++) {
        if (Sections[s].Live)
            EXPECT_FALSE(TestControlAreaExists(Sections[s].ControlArea));
    }
    for (ULONG p = 0; p < PROCESSES; p++) {
        EXPECT_EQ(Processes[p]->CommitCharge, 0);
        EXPECT_EQ(Processes[p]->Vm.WorkingSetSize, 0);
        EXPECT_EQ(Processes[p]->WorkingSetList.NumberOfPageTables, 0);
        TestDeleteUserProcess(Processes[p]);
    }
}

/*
 * 20,000 random operations on sections and views in three processes against
 * the oracle: any difference in a status, a word read, a query, a commit
 * charge or a segment's commit fails, naming the operation.
 */
KTEST(section_fuzz, random_operations_match_the_model)
{
    RunFuzz(t, (ULONG)MmSystemRangeStart == MM_SYSTEM_RANGE_START_3GB ? 0x5EC7F00D : 0x0BADCAFE);
}
