/*
 * tests/mm/virtual_fuzz.c — the user range under 100,000 random operations
 * checked against an oracle.
 *
 * The oracle is a model of every page of a 64 MB window: free, reserved or
 * committed, its protection, the reservation it belongs to (NT's
 * allocation base and protection, split as NT splits a release), whether
 * it is resident, and the stamp last written into it. Each operation —
 * reserve (at a base, or bottom-up or top-down with none), commit,
 * decommit, release, protect, reset, query, touch — is applied to the
 * model by NT's rules, written here independently of mm/, and the
 * service's status and results must match. After every operation the
 * process's commit charge, resident pages and private pages (NT's
 * NumberOfPrivatePages) must equal the model's, and
 * the regions around the operation are queried and compared field by
 * field (an operation that changed pages further away is caught by the
 * next whole-window comparison, every 250 operations: comparing the whole
 * window after every one would take minutes); every 2,000 operations every
 * resident page's stamps are read back. A touch checks the page's data (zero for a
 * page never written). The window is walled in by two reservations, so
 * placement without a base lands inside it. The run ends by releasing
 * everything, with zero leaks (the guards).
 *
 * The seed is printed; the 3 GB configuration (MmSystemRangeStart =
 * 0xC0000000) runs a second one. Commit is kept within a cap below the
 * system's limit (nonpaged pool, which the VADs come from, charges commit
 * as it grows, so the limit itself is tested elsewhere).
 */
#include "virtual_test.h"

#define WINDOW          0x20000000u
#define WINDOW_PAGES    16384u                  /* 64 MB */
#define OPERATIONS      100000u
#define SWEEP_EVERY     2000u                   /* the whole window's data and bookkeeping */
#define COMPARE_EVERY   250u                    /* the whole window's regions */
#define MAX_ALLOCATIONS 4096u

enum { PageFree, PageReserved, PageCommitted };

typedef struct {
    UCHAR State;
    UCHAR Resident;             /* has a frame (touched since committed) */
    USHORT Allocation;          /* index into Allocations, 0 when free */
    ULONG Protect;              /* PAGE_* when committed */
    ULONG Stamp;                /* first word; the last word holds ~Stamp; 0: never written */
} MODEL_PAGE;

typedef struct {
    ULONG BasePage;             /* NT's AllocationBase, as a window page index */
    ULONG Protect;              /* AllocationProtect */
} MODEL_ALLOCATION;

static MODEL_PAGE Model[WINDOW_PAGES];
static MODEL_ALLOCATION Allocations[MAX_ALLOCATIONS];
static ULONG AllocationCount;
static ULONG ModelCommitted, ModelResident, ModelPrivate;  /* ModelPrivate: pages with a frame */
static USHORT PagesInPageTable[WINDOW_PAGES / 1024];   /* allocated (reserved or committed) pages per page table */
static ULONG CommitCap;
static ULONG RandomState;

static ULONG Random(void)
{
    RandomState = RandomState * 1103515245u + 12345u;
    return RandomState >> 8;
}

static inline ULONG PageVa(ULONG Page)
{
    return WINDOW + Page * PAGE_SIZE;
}

static bool Accessible(ULONG Protect)
{
    return !(Protect & PAGE_GUARD) && Protect != PAGE_NOACCESS;
}

static bool Writable(ULONG Protect)
{
    ULONG Access = Protect & 0xFF;
    return Access == PAGE_READWRITE || Access == PAGE_EXECUTE_READWRITE;
}

static bool InWorkingSet(const MODEL_PAGE *Page)
{
    return Page->State == PageCommitted && Page->Resident && Accessible(Page->Protect);
}

/* Model bookkeeping that every change of a page goes through. */
static void SetPage(ULONG Page, UCHAR State, USHORT Allocation, ULONG Protect)
{
    MODEL_PAGE *p = &Model[Page];
    ModelResident -= InWorkingSet(p);
    ModelPrivate -= p->State == PageCommitted && p->Resident;
    ModelCommitted -= p->State == PageCommitted;
    PagesInPageTable[Page / 1024] -= p->State != PageFree;
    if (State != PageCommitted) {
        p->Resident = 0;
        p->Stamp = 0;
    }
    p->State = State;
    p->Allocation = Allocation;
    p->Protect = State == PageCommitted ? Protect : 0;
    ModelResident += InWorkingSet(p);
    ModelPrivate += p->State == PageCommitted && p->Resident;
    ModelCommitted += State == PageCommitted;
    PagesInPageTable[Page / 1024] += State != PageFree;
}

static ULONG ModelPageTables(void)
{
    ULONG Count = 0;
    for (ULONG i = 0; i < ARRAY_SIZE(PagesInPageTable); i++)
        Count += PagesInPageTable[i] != 0;
    return Count;
}

static bool RangeFree(ULONG First, ULONG Last)
{
    for (ULONG p = First; p <= Last; p++) {
        if (Model[p].State != PageFree)
            return false;
    }
    return true;
}

static ULONG CountCommitted(ULONG First, ULONG Last)
{
    ULONG n = 0;
    for (ULONG p = First; p <= Last; p++)
        n += Model[p].State == PageCommitted;
    return n;
}

/* The last page of the allocation page First belongs to. */
static ULONG AllocationEnd(ULONG First)
{
    ULONG p = First;
    while (p + 1 < WINDOW_PAGES && Model[p + 1].Allocation == Model[First].Allocation)
        p++;
    return p;
}

/* What NtQueryVirtualMemory must say of the window page Page. */
static void ModelQuery(ULONG Page, PMEMORY_BASIC_INFORMATION Info)
{
    const MODEL_PAGE *p = &Model[Page];
    ULONG End = Page;
    while (End + 1 < WINDOW_PAGES && Model[End + 1].State == p->State && Model[End + 1].Allocation == p->Allocation &&
           Model[End + 1].Protect == p->Protect)
        End++;
    Info->BaseAddress = (PVOID)PageVa(Page);
    Info->RegionSize = (End - Page + 1) * PAGE_SIZE;
    if (p->State == PageFree) {
        Info->AllocationBase = NULL;
        Info->AllocationProtect = 0;
        Info->State = MEM_FREE;
        Info->Protect = PAGE_NOACCESS;
        Info->Type = 0;
        return;
    }
    Info->AllocationBase = (PVOID)PageVa(Allocations[p->Allocation].BasePage);
    Info->AllocationProtect = Allocations[p->Allocation].Protect;
    Info->State = p->State == PageCommitted ? MEM_COMMIT : MEM_RESERVE;
    Info->Protect = p->State == PageCommitted ? p->Protect : 0;
    Info->Type = MEM_PRIVATE;
}

/* Queries from page First to page Last, region by region; false after reporting a difference. */
static bool CompareRegions(KTEST_CONTEXT *t, ULONG Operation, ULONG First, ULONG Last)
{
    for (ULONG Page = First; Page <= Last;) {
        MEMORY_BASIC_INFORMATION Got, Want;
        NTSTATUS Status = TestQuery(PageVa(Page) + (Random() & (PAGE_SIZE - 1)), &Got);
        ModelQuery(Page, &Want);
        t->Checks++;
        if (Status != STATUS_SUCCESS || memcmp(&Got, &Want, sizeof(Got)) != 0) {
            KtestFail(t, __FILE__, __LINE__,
                      "operation %u, page %08x: got %x base %p alloc %p/%x size %x state %x protect %x type %x; "
                      "model base %p alloc %p/%x size %x state %x protect %x type %x",
                      Operation, PageVa(Page), Status, Got.BaseAddress, Got.AllocationBase, Got.AllocationProtect,
                      Got.RegionSize, Got.State, Got.Protect, Got.Type, Want.BaseAddress, Want.AllocationBase,
                      Want.AllocationProtect, Want.RegionSize, Want.State, Want.Protect, Want.Type);
            return false;
        }
        Page += Want.RegionSize / PAGE_SIZE;
    }
    return true;
}

/* Reads back the stamps of every resident, accessible page. */
static bool CheckResidentData(KTEST_CONTEXT *t, ULONG Operation)
{
    for (ULONG Page = 0; Page < WINDOW_PAGES; Page++) {
        const MODEL_PAGE *p = &Model[Page];
        if (!InWorkingSet(p))
            continue;
        const volatile ULONG *Words = (const volatile ULONG *)PageVa(Page);
        ULONG First = Words[0], Last = Words[PAGE_SIZE / 4 - 1];
        t->Checks++;
        if (First != p->Stamp || Last != (p->Stamp ? ~p->Stamp : 0)) {
            KtestFail(t, __FILE__, __LINE__, "operation %u, page %08x holds %08x..%08x, stamped %08x", Operation,
                      PageVa(Page), First, Last, p->Stamp);
            return false;
        }
    }
    return true;
}

/*
 * The kernel's own bookkeeping against the model: the VADs of the window
 * charge as many pages as the model has committed, and each page table's
 * count of PTEs in use is the number of its PTEs that are not zero.
 */
static bool CheckBookkeeping(KTEST_CONTEXT *t, PEPROCESS Process, ULONG Operation)
{
    ULONG Charged = 0;
    for (PMMVAD Vad = MiGetFirstVad(Process); Vad; Vad = MiGetNextVad(Vad)) {
        if ((ULONG)MI_VPN_TO_VA(Vad->StartingVpn) >= WINDOW && (ULONG)MI_VPN_TO_VA(Vad->StartingVpn) < PageVa(WINDOW_PAGES))
            Charged += Vad->CommitCharge;
    }
    t->Checks++;
    if (Charged != ModelCommitted) {
        KtestFail(t, __FILE__, __LINE__, "operation %u: the VADs charge %u pages, model %u", Operation, Charged,
                  ModelCommitted);
        return false;
    }
    for (ULONG Table = 0; Table < WINDOW_PAGES / 1024; Table++) {
        ULONG Va = PageVa(Table * 1024), InUse = 0;
        if (MiUserPteIfPresent(Va)) {
            for (ULONG i = 0; i < PTE_PER_PAGE; i++)
                InUse += MiReadPte(MiAddressToPte(Va) + i).u.Long != 0;
        }
        t->Checks++;
        if (InUse != Process->WorkingSetList.UsedPageTableEntries[MI_PDE_INDEX(Va)]) {
            KtestFail(t, __FILE__, __LINE__, "operation %u: page table of %08x has %u PTEs in use, counted %u", Operation,
                      Va, InUse, Process->WorkingSetList.UsedPageTableEntries[MI_PDE_INDEX(Va)]);
            return false;
        }
    }
    return true;
}

static ULONG RandomProtection(void)
{
    static const ULONG Access[] = {
        PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_READWRITE, PAGE_READWRITE, PAGE_EXECUTE,
        PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE,
    };
    ULONG Protect = Access[Random() % ARRAY_SIZE(Access)];
    ULONG Modifier = Random() % 20;
    if (Protect == PAGE_NOACCESS)
        return Protect;
    if (Modifier < 3)
        Protect |= PAGE_GUARD;
    else if (Modifier == 3)
        Protect |= PAGE_NOCACHE;
    else if (Modifier == 4)
        Protect |= PAGE_WRITECOMBINE;
    else if (Modifier == 5)
        Protect = Random() % 2 ? PAGE_WRITECOPY : PAGE_EXECUTE_WRITECOPY;
    return Protect;
}

static bool IsWriteCopy(ULONG Protect)
{
    return (Protect & (PAGE_WRITECOPY | PAGE_EXECUTE_WRITECOPY)) != 0;
}

/* Pages in a random range: mostly a few, sometimes up to 256, rarely up to 2,048. */
static ULONG RandomPages(void)
{
    ULONG Kind = Random() % 100;
    if (Kind < 80)
        return 1 + Random() % 8;
    if (Kind < 98)
        return 1 + Random() % 256;
    return 1 + Random() % 2048;
}

/* A random page in the state wanted (else any page), found by sampling. */
static ULONG RandomPageIn(UCHAR State)
{
    ULONG Page = Random() % WINDOW_PAGES;
    for (ULONG Try = 0; Try < 32 && Model[Page].State != State; Try++)
        Page = Random() % WINDOW_PAGES;
    return Page;
}

static ULONG AllocationEnd(ULONG First);

/*
 * A byte range [*Base, *Base + *Size) inside the window, not page aligned:
 * for three operations in four it starts on a reserved or committed page
 * and stays in its reservation (where operations succeed), else anywhere.
 */
static void RandomRange(ULONG *Base, SIZE_T *Size)
{
    ULONG Pages = RandomPages();
    ULONG First = Random() % WINDOW_PAGES, Limit = WINDOW_PAGES;
    if (Random() % 4 != 0) {
        First = RandomPageIn(Random() % 2 ? PageCommitted : PageReserved);
        if (Model[First].State != PageFree)
            Limit = AllocationEnd(First) + 1;
    }
    if (First + Pages > Limit)
        Pages = Limit - First;
    ULONG Offset = Random() % 4 == 0 ? Random() & (PAGE_SIZE - 1) : 0;
    *Base = PageVa(First) + Offset;
    *Size = Pages * PAGE_SIZE - Offset - (Random() % 4 == 0 && Pages * PAGE_SIZE - Offset > 1 ? 1 : 0);
}

/* What a service returned: status, base and size (and the old protection), or what the model says it must. */
typedef struct {
    NTSTATUS Status;
    ULONG Base;
    SIZE_T Size;
    ULONG Old;
} RESULT;

/* The range of pages an operation touched, for the comparison after it, and whether it succeeded. */
static ULONG ChangedFirst, ChangedLast;
static bool Succeeded;

static void Changed(ULONG First, ULONG Last)
{
    ChangedFirst = MIN(First, WINDOW_PAGES - 1);
    ChangedLast = MIN(Last, WINDOW_PAGES - 1);
}

/* Got must equal Want field by field (on failure, the outputs are the inputs: nothing written back). */
static bool Same(KTEST_CONTEXT *t, ULONG Operation, const char *What, RESULT Got, RESULT Want)
{
    t->Checks++;
    Succeeded = Got.Status == STATUS_SUCCESS;
    if (Got.Status == Want.Status && Got.Base == Want.Base && Got.Size == Want.Size && Got.Old == Want.Old)
        return true;
    KtestFail(t, __FILE__, __LINE__, "operation %u (%s): got %x base %08x size %x old %x; model %x base %08x size %x old %x",
              Operation, What, Got.Status, Got.Base, Got.Size, Got.Old, Want.Status, Want.Base, Want.Size, Want.Old);
    return false;
}

/* A new allocation in the model over [First, Last]. */
static void ModelReserve(ULONG First, ULONG Last, ULONG Protect, bool Commit)
{
    USHORT Id = (USHORT)++AllocationCount;
    Allocations[Id].BasePage = First;
    Allocations[Id].Protect = Protect;
    for (ULONG p = First; p <= Last; p++)
        SetPage(p, Commit ? PageCommitted : PageReserved, Id, Protect);
}

/* Reserve at a base, or with none bottom-up or top-down; committing all of it or not. */
static bool OpReserve(KTEST_CONTEXT *t, ULONG Operation)
{
    ULONG Protect = RandomProtection(), Base, Type, First = 0, Last = 0;
    SIZE_T Size;
    ULONG Kind = Random() % 4;
    RESULT Want;

    RandomRange(&Base, &Size);
    Type = MEM_RESERVE | (Random() % 2 ? MEM_COMMIT : 0);
    if (Kind <= 1) {
        Base = 0;
        Type |= Kind == 1 ? MEM_TOP_DOWN : 0;
        if (Random() % 3 == 0)
            Type = (Type & ~MEM_RESERVE) | MEM_COMMIT;      /* no base: MEM_COMMIT alone reserves too */
        ULONG Pages = (ULONG)((Size + PAGE_SIZE - 1) / PAGE_SIZE);
        bool Found = false;
        if (Type & MEM_TOP_DOWN) {
            for (LONG Start = (LONG)ROUND_DOWN(WINDOW_PAGES - Pages, 16); Start >= 0 && !Found; Start -= 16) {
                Found = RangeFree(Start, Start + Pages - 1);
                First = Start;
            }
        } else {
            for (ULONG Start = 0; Start + Pages <= WINDOW_PAGES && !Found; Start += 16) {
                Found = RangeFree(Start, Start + Pages - 1);
                First = Start;
            }
        }
        Last = First + Pages - 1;
        Want.Status = Found ? STATUS_SUCCESS : STATUS_NO_MEMORY;
    } else {
        First = ((Base & ~0xFFFFu) - WINDOW) / PAGE_SIZE;
        Last = ((Base + Size - 1) - WINDOW) / PAGE_SIZE;
        Want.Status = RangeFree(First, Last) ? STATUS_SUCCESS : STATUS_CONFLICTING_ADDRESSES;
    }
    bool Commit = (Type & MEM_COMMIT) != 0;
    if (IsWriteCopy(Protect))
        Want.Status = STATUS_INVALID_PAGE_PROTECTION;
    if (Want.Status == STATUS_SUCCESS &&
        ((Commit && ModelCommitted + (Last - First + 1) > CommitCap) || AllocationCount + 2 >= MAX_ALLOCATIONS))
        return true;            /* over the commit cap, or the model is full: not this one */

    Want.Base = Want.Status == STATUS_SUCCESS ? PageVa(First) : Base;
    Want.Size = Want.Status == STATUS_SUCCESS ? (Last - First + 1) * PAGE_SIZE : Size;
    Want.Old = 0;
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;
    RESULT Got = { ZwAllocateVirtualMemory(NtCurrentProcess(), &B, 0, &S, Type, Protect), (ULONG)B, S, 0 };
    if (Want.Status == STATUS_SUCCESS)
        ModelReserve(First, Last, Protect, Commit);
    Changed(First >= WINDOW_PAGES ? 0 : First, Last);
    return Same(t, Operation, "reserve", Got, Want);
}

/*
 * The checks commit, protect, decommit and release share: the pages
 * [First, Last] all in the allocation of First (else the status the caller
 * gives for that), which must exist.
 */
static bool InOneAllocation(ULONG First, ULONG Last)
{
    if (Model[First].State == PageFree)
        return false;
    for (ULONG p = First; p <= Last; p++) {
        if (Model[p].Allocation != Model[First].Allocation)
            return false;
    }
    return true;
}

/* Sets a committed page's protection, keeping the model's resident count right. */
static void ProtectPage(ULONG Page, ULONG Protect)
{
    SetPage(Page, PageCommitted, Model[Page].Allocation, Protect);
}

static bool OpCommit(KTEST_CONTEXT *t, ULONG Operation)
{
    ULONG Base, Protect = RandomProtection();
    SIZE_T Size;
    RESULT Want = { 0 };

    RandomRange(&Base, &Size);
    ULONG First = (Base - WINDOW) / PAGE_SIZE, Last = (Base + Size - 1 - WINDOW) / PAGE_SIZE;
    if (!InOneAllocation(First, Last))
        Want.Status = STATUS_CONFLICTING_ADDRESSES;
    else if (IsWriteCopy(Protect))
        Want.Status = STATUS_INVALID_PAGE_PROTECTION;
    else if (ModelCommitted + (Last - First + 1) - CountCommitted(First, Last) > CommitCap)
        return true;
    Want.Base = Want.Status == STATUS_SUCCESS ? PageVa(First) : Base;
    Want.Size = Want.Status == STATUS_SUCCESS ? (Last - First + 1) * PAGE_SIZE : Size;
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;
    RESULT Got = { ZwAllocateVirtualMemory(NtCurrentProcess(), &B, 0, &S, MEM_COMMIT, Protect), (ULONG)B, S, 0 };
    if (Want.Status == STATUS_SUCCESS) {
        for (ULONG p = First; p <= Last; p++)
            ProtectPage(p, Protect);    /* new pages come zeroed; committed ones keep their data */
    }
    Changed(First, Last);
    return Same(t, Operation, "commit", Got, Want);
}

/* Decommit or release: a range, or (size 0) the whole allocation from its base. */
static bool OpFree(KTEST_CONTEXT *t, ULONG Operation, ULONG FreeType)
{
    ULONG Base;
    SIZE_T Size;
    RESULT Want = { 0 };

    RandomRange(&Base, &Size);
    ULONG First = (Base - WINDOW) / PAGE_SIZE, Last = (Base + Size - 1 - WINDOW) / PAGE_SIZE;
    if (Random() % 4 == 0) {
        Size = 0;
        if (Model[First].State != PageFree && Random() % 4 != 0)
            Base = PageVa(Allocations[Model[First].Allocation].BasePage) + (Random() & (PAGE_SIZE - 1));
        First = (Base - WINDOW) / PAGE_SIZE;
        Last = First;
    }
    USHORT Id = Model[First].Allocation;
    if (Model[First].State == PageFree) {
        Want.Status = STATUS_MEMORY_NOT_ALLOCATED;
    } else if (Size != 0 && Last > AllocationEnd(First)) {
        Want.Status = STATUS_UNABLE_TO_FREE_VM;
    } else if (Size == 0 && First != Allocations[Id].BasePage) {
        Want.Status = STATUS_FREE_VM_NOT_AT_BASE;
    } else if (Size == 0) {
        Last = AllocationEnd(First);
    }
    if (Want.Status == STATUS_SUCCESS && FreeType == MEM_RELEASE && First > Allocations[Id].BasePage &&
        Last < AllocationEnd(First) && AllocationCount + 2 >= MAX_ALLOCATIONS)
        return true;            /* a split would need a model slot we do not have */
    Want.Base = Want.Status == STATUS_SUCCESS ? PageVa(First) : Base;
    Want.Size = Want.Status == STATUS_SUCCESS ? (Last - First + 1) * PAGE_SIZE : Size;

    if (Want.Status == STATUS_SUCCESS) {
        ULONG AllocEnd = AllocationEnd(First);
        if (FreeType == MEM_DECOMMIT) {
            for (ULONG p = First; p <= Last; p++)
                SetPage(p, PageReserved, Id, 0);
        } else {
            for (ULONG p = First; p <= Last; p++)
                SetPage(p, PageFree, 0, 0);
            if (Last < AllocEnd) {
                /* What stays above the hole: the VAD's new start, or (a split) a VAD of its own. */
                USHORT Upper = Id;
                if (First > Allocations[Id].BasePage) {
                    Upper = (USHORT)++AllocationCount;
                    Allocations[Upper].Protect = Allocations[Id].Protect;
                }
                Allocations[Upper].BasePage = Last + 1;
                for (ULONG p = Last + 1; p <= AllocEnd; p++)
                    Model[p].Allocation = Upper;
            }
        }
    }
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;
    RESULT Got = { ZwFreeVirtualMemory(NtCurrentProcess(), &B, &S, FreeType), (ULONG)B, S, 0 };
    Changed(First, Last);
    return Same(t, Operation, FreeType == MEM_DECOMMIT ? "decommit" : "release", Got, Want);
}

static bool OpProtect(KTEST_CONTEXT *t, ULONG Operation)
{
    ULONG Base, Protect = RandomProtection(), Old = 0xCCCC;
    SIZE_T Size;
    RESULT Want = { 0 };

    RandomRange(&Base, &Size);
    ULONG First = (Base - WINDOW) / PAGE_SIZE, Last = (Base + Size - 1 - WINDOW) / PAGE_SIZE;
    if (!InOneAllocation(First, Last))
        Want.Status = STATUS_CONFLICTING_ADDRESSES;
    else if (IsWriteCopy(Protect))
        Want.Status = STATUS_INVALID_PAGE_PROTECTION;
    else if (CountCommitted(First, Last) != Last - First + 1)
        Want.Status = STATUS_NOT_COMMITTED;
    Want.Base = Want.Status == STATUS_SUCCESS ? PageVa(First) : Base;
    Want.Size = Want.Status == STATUS_SUCCESS ? (Last - First + 1) * PAGE_SIZE : Size;
    Want.Old = Want.Status == STATUS_SUCCESS ? Model[First].Protect : 0xCCCC;
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;
    RESULT Got = { ZwProtectVirtualMemory(NtCurrentProcess(), &B, &S, Protect, &Old), (ULONG)B, S, Old };
    if (Want.Status == STATUS_SUCCESS) {
        for (ULONG p = First; p <= Last; p++)
            ProtectPage(p, Protect);
    }
    Changed(First, Last);
    return Same(t, Operation, "protect", Got, Want);
}

/* MEM_RESET: the whole pages inside the range, in one allocation; nothing visible changes (no paging file). */
static bool OpReset(KTEST_CONTEXT *t, ULONG Operation)
{
    ULONG Base;
    SIZE_T Size;
    RESULT Want = { 0 };

    RandomRange(&Base, &Size);
    ULONG First = (ROUND_UP(Base, PAGE_SIZE) - WINDOW) / PAGE_SIZE;
    ULONG End = ROUND_DOWN(Base + Size, PAGE_SIZE);
    if (End <= WINDOW + First * PAGE_SIZE || !InOneAllocation(First, (End - WINDOW) / PAGE_SIZE - 1)) {
        Want.Status = STATUS_CONFLICTING_ADDRESSES;
        Want.Base = Base;
        Want.Size = Size;
    } else {
        Want.Base = PageVa(First);
        Want.Size = End - Want.Base;
    }
    PVOID B = (PVOID)Base;
    SIZE_T S = Size;
    RESULT Got = { ZwAllocateVirtualMemory(NtCurrentProcess(), &B, 0, &S, MEM_RESET, PAGE_NOACCESS), (ULONG)B, S, 0 };
    Changed(First < WINDOW_PAGES ? First : 0, First < WINDOW_PAGES ? First : 0);
    return Same(t, Operation, "reset", Got, Want);
}

/*
 * Reads a random page, first and last word, and perhaps writes it: a free,
 * reserved or no-access page is an access violation; a guard page is one
 * guard violation; a readable page shows its stamp (zero if never written)
 * and is resident from then on; a write to a page that is not writable is
 * an access violation, else it stamps the page anew.
 */
static bool OpTouch(KTEST_CONTEXT *t, ULONG Operation)
{
    ULONG Page = Random() % 4 ? RandomPageIn(PageCommitted) : Random() % WINDOW_PAGES, Va = PageVa(Page);
    bool Write = Random() % 2;
    MODEL_PAGE *p = &Model[Page];
    NTSTATUS WantRead, WantWrite = STATUS_SUCCESS;

    if (p->State != PageCommitted || p->Protect == PAGE_NOACCESS)
        WantRead = STATUS_ACCESS_VIOLATION;
    else if (p->Protect & PAGE_GUARD)
        WantRead = STATUS_GUARD_PAGE_VIOLATION;
    else
        WantRead = STATUS_SUCCESS;
    if (WantRead == STATUS_SUCCESS && Write && !Writable(p->Protect))
        WantWrite = STATUS_ACCESS_VIOLATION;
    ULONG First = 0, Last = 0, Stamp = (Random() << 1) | 1;
    NTSTATUS Read = TestRead(Va, &First, NULL), Written = STATUS_SUCCESS;
    if (Read == STATUS_SUCCESS)
        Read = TestRead(Va + PAGE_SIZE - 4, &Last, NULL);
    if (Read == STATUS_SUCCESS && Write) {
        Written = TestWrite(Va, Stamp, NULL);
        if (Written == STATUS_SUCCESS)
            Written = TestWrite(Va + PAGE_SIZE - 4, ~Stamp, NULL);
    }
    Changed(Page, Page);
    t->Checks++;
    Succeeded = Read == STATUS_SUCCESS && Written == STATUS_SUCCESS;
    if (Read != WantRead || Written != WantWrite) {
        KtestFail(t, __FILE__, __LINE__, "operation %u: %s of %08x: %x/%x, model %x/%x", Operation,
                  Write ? "write" : "read", Va, Read, Written, WantRead, WantWrite);
        return false;
    }
    if (WantRead == STATUS_GUARD_PAGE_VIOLATION) {
        ProtectPage(Page, p->Protect & ~PAGE_GUARD);
        return true;
    }
    if (WantRead != STATUS_SUCCESS)
        return true;
    if (First != p->Stamp || Last != (p->Stamp ? ~p->Stamp : 0)) {
        KtestFail(t, __FILE__, __LINE__, "operation %u: page %08x holds %08x..%08x, stamped %08x", Operation, Va, First,
                  Last, p->Stamp);
        return false;
    }
    ModelResident -= InWorkingSet(p);
    ModelPrivate += !p->Resident;
    p->Resident = 1;
    ModelResident += InWorkingSet(p);
    if (Write && WantWrite == STATUS_SUCCESS)
        p->Stamp = Stamp;
    return true;
}

/* Walls the window in: a reservation below it from 64 KB, and one above it to the highest VAD address. */
static bool BuildWalls(PEPROCESS Process, ULONG *Below, ULONG *Above)
{
    ULONG Base = 0x10000;
    SIZE_T Size = WINDOW - Base;
    if (TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_NOACCESS) != STATUS_SUCCESS)
        return false;
    *Below = Base;
    Base = WINDOW + WINDOW_PAGES * PAGE_SIZE;
    Size = MiHighestVadAddress(Process) + 1 - Base;
    if (TestAllocate(&Base, &Size, MEM_RESERVE, PAGE_NOACCESS) != STATUS_SUCCESS)
        return false;
    *Above = Base;
    return true;
}

static void RunFuzz(KTEST_CONTEXT *t, ULONG Seed)
{
    PEPROCESS Process = TestCreateUserProcess(false);
    ASSERT_NOT_NULL(Process);
    memset(Model, 0, sizeof(Model));
    memset(Allocations, 0, sizeof(Allocations));
    memset(PagesInPageTable, 0, sizeof(PagesInPageTable));
    AllocationCount = ModelCommitted = ModelResident = ModelPrivate = 0;
    RandomState = Seed;
    ULONG Headroom = MmTotalCommitLimit - MmTotalCommittedPages;
    CommitCap = MIN(Headroom / 2, WINDOW_PAGES / 2);
    DbgPrint("    # seed %08x, %u operations over %u pages, commit cap %u pages\n", Seed, OPERATIONS, WINDOW_PAGES,
             CommitCap);

    PKAPC_STATE Previous = TestAttach(Process);
    ULONG Below = 0, Above = 0;
    bool Ok = BuildWalls(Process, &Below, &Above);
    EXPECT_TRUE(Ok);
    ULONG WallCharge = Process->CommitCharge;      /* the walls' page tables */
    static const char *const Names[8] = {
        "reserves", "commits", "decommits", "releases", "protects", "resets", "queries", "touches",
    };
    ULONG Counts[8] = { 0 }, Successes[8] = { 0 };
    for (ULONG Operation = 0; Ok && Operation < OPERATIONS; Operation++) {
        ULONG Kind = Random() % 100, Which;
        Changed(0, 0);
        Succeeded = false;
        if (Kind < 12) {
            Which = 0;
            Ok = OpReserve(t, Operation);
        } else if (Kind < 32) {
            Which = 1;
            Ok = OpCommit(t, Operation);
        } else if (Kind < 40) {
            Which = 2;
            Ok = OpFree(t, Operation, MEM_DECOMMIT);
        } else if (Kind < 50) {
            Which = 3;
            Ok = OpFree(t, Operation, MEM_RELEASE);
        } else if (Kind < 62) {
            Which = 4;
            Ok = OpProtect(t, Operation);
        } else if (Kind < 64) {
            Which = 5;
            Ok = OpReset(t, Operation);
        } else if (Kind < 75) {
            ULONG Page = Random() % WINDOW_PAGES;
            Which = 6;
            Changed(Page, Page);
            Succeeded = true;       /* the comparison below is the query */
        } else {
            Which = 7;
            Ok = OpTouch(t, Operation);
        }
        Counts[Which]++;
        Successes[Which] += Succeeded;
        /* The neighbourhood of what changed, then the counters. */
        Ok = Ok && CompareRegions(t, Operation, ChangedFirst ? ChangedFirst - 1 : 0,
                                  MIN(ChangedLast + 1, WINDOW_PAGES - 1));
        t->Checks += 2;
        if (Ok && Process->CommitCharge != ModelCommitted + ModelPageTables() + WallCharge) {
            KtestFail(t, __FILE__, __LINE__, "operation %u: commit charge %u, model %u + %u page tables", Operation,
                      Process->CommitCharge, ModelCommitted, ModelPageTables());
            Ok = false;
        }
        if (Ok && Process->Vm.WorkingSetSize != ModelResident) {
            KtestFail(t, __FILE__, __LINE__, "operation %u: %u pages resident, model %u", Operation,
                      Process->Vm.WorkingSetSize, ModelResident);
            Ok = false;
        }
        t->Checks++;
        if (Ok && Process->NumberOfPrivatePages != ModelPrivate) {      /* made inaccessible, a page keeps its frame */
            KtestFail(t, __FILE__, __LINE__, "operation %u: %u private pages, model %u", Operation,
                      Process->NumberOfPrivatePages, ModelPrivate);
            Ok = false;
        }
        if (Ok && (Operation + 1) % COMPARE_EVERY == 0)
            Ok = CompareRegions(t, Operation, 0, WINDOW_PAGES - 1);
        if (Ok && (Operation + 1) % SWEEP_EVERY == 0)
            Ok = CheckResidentData(t, Operation) && CheckBookkeeping(t, Process, Operation);
    }
    for (ULONG i = 0; i < ARRAY_SIZE(Counts); i++)
        DbgPrint("    # %6u %-9s (%u succeeded)\n", Counts[i], Names[i], Successes[i]);
    EXPECT_TRUE(Ok);

    /* Everything goes, and the process is empty again. */
    for (ULONG Page = 0; Page < WINDOW_PAGES; Page++) {
        if (Model[Page].State != PageFree && Allocations[Model[Page].Allocation].BasePage == Page)
            EXPECT_EQ(TestFree(PageVa(Page), 0, MEM_RELEASE), STATUS_SUCCESS);
    }
    EXPECT_EQ(TestFree(Below, 0, MEM_RELEASE), STATUS_SUCCESS);
    EXPECT_EQ(TestFree(Above, 0, MEM_RELEASE), STATUS_SUCCESS);
    EXPECT_EQ(Process->VadRoot.NumberGenericTableElements, 0);
    EXPECT_EQ(Process->CommitCharge, 0);
    EXPECT_EQ(Process->WorkingSetList.NumberOfPageTables, 0);
    EXPECT_EQ(Process->Vm.WorkingSetSize, 0);
    TestDetach(Previous);
    TestDeleteUserProcess(Process);
}

/*
 * 100,000 random operations against the oracle: any difference in a
 * status, a result, a region, a page's data, the commit charge or the
 * resident count fails, naming the operation.
 */
KTEST(virtual_fuzz, random_operations_match_the_model)
{
    RunFuzz(t, (ULONG)MmSystemRangeStart == MM_SYSTEM_RANGE_START_3GB ? 0x3C0FFEE5 : 0x1D00D1E5);
}
