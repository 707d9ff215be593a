/*
 * mm/mi.h — the memory manager's internal interface (Mi* routines).
 *
 * Everything one mm/ file offers another: the layout variables, the PFN
 * database and its lists, page allocation, kernel page tables, hyperspace,
 * address spaces and commit charge. Grouped by the file that implements it,
 * in the order the system brings them up. Public routines are in
 * include/mm.h.
 */
#ifndef MM386_MM_MI_H
#define MM386_MM_MI_H

#include <hal.h>
#include <mm.h>
#include <rtl.h>
#include <loader.h>
#include <pool.h>
#include "pte.h"

/* ------------------------------------------------------------------ mminit.c */

/*
 * NT's layout variables for the running split. "End" variables follow NT:
 * MmSystemCacheEnd and MmPagedPoolEnd are the last byte of their region;
 * MiSystemCacheEndExtra and MmNonPagedPoolEnd are one past it.
 */
extern PVOID MmSystemCacheWorkingSetList;
extern PVOID MmSystemCacheStart, MmSystemCacheEnd;
extern PVOID MiSystemCacheStartExtra, MiSystemCacheEndExtra;
extern PVOID MiSystemViewStart;
extern ULONG MmSystemViewSize;
extern PVOID MmSessionBase;
extern ULONG MmSessionSize;
extern PVOID MmPagedPoolStart, MmPagedPoolEnd;
extern PVOID MmNonPagedSystemStart;
extern PVOID MmNonPagedPoolStart, MmNonPagedPoolExpansionStart, MmNonPagedPoolEnd;
extern ULONG MmSizeOfPagedPoolInBytes;          /* the paged pool region */
extern ULONG MmSizeOfNonPagedPoolInBytes;       /* the initial nonpaged pool */
extern ULONG MmMaximumNonPagedPoolInBytes;      /* initial + expansion may not exceed this */
extern ULONG MmNumberOfSystemPtes;              /* in the base region at MmNonPagedSystemStart */
extern ULONG MmNumberOfExtraSystemPtes;         /* in the extension (MiSystemCacheStartExtra) */

/* One row of the layout table the boot log prints and !address shows. */
typedef struct _MI_REGION {
    const char *Variable;       /* NT's (or mm386's) name for its start */
    const char *Description;    /* what lives there */
    ULONG Start;
    ULONG Size;                 /* bytes; a region never wraps past 4 GB */
} MI_REGION;

/*
 * The system range start a set of boot options asks for: 2 GB without /3GB,
 * /USERVA=N rounded down to 4 MB when 2048 <= N <= 3072, else 3 GB. Reports
 * ignored values when Report is true.
 */
ULONG MiSystemRangeStartForOptions(const KE_BOOT_OPTIONS *Options, bool Report);

#define MI_MAX_REGIONS 24
/* Fills Regions (sorted by address, gaps omitted) and returns how many. */
ULONG MiGetLayout(MI_REGION *Regions, ULONG Max);
void MiPrintLayout(void);
/* Writes Bytes as the layout table shows sizes: "64 KB", "4 MB", "2047.9 MB". */
void MiFormatSize(char *Buffer, size_t Length, ULONG Bytes);
/* The table as computed at boot, kept for !address and for gdb (tools/gdb/), which cannot call MiGetLayout. */
extern MI_REGION MiLayout[MI_MAX_REGIONS];
extern ULONG MiLayoutCount;

/* ----------------------------------------------------------------- pfninit.c */

/* Physical memory as runs of pages (NT's PHYSICAL_MEMORY_DESCRIPTOR). */
#define MI_MAX_PHYSICAL_RUNS 32
typedef struct _PHYSICAL_MEMORY_RUN {
    PFN_NUMBER BasePage;
    PFN_NUMBER PageCount;
} PHYSICAL_MEMORY_RUN;
typedef struct _PHYSICAL_MEMORY_DESCRIPTOR {
    ULONG NumberOfRuns;
    PFN_NUMBER NumberOfPages;
    PHYSICAL_MEMORY_RUN Run[MI_MAX_PHYSICAL_RUNS];
} PHYSICAL_MEMORY_DESCRIPTOR;

extern PHYSICAL_MEMORY_DESCRIPTOR MmPhysicalMemoryBlock;
extern PFN_NUMBER MmLowestPhysicalPage, MmHighestPhysicalPage;

/* The smallest amount of RAM mm386 runs in; less stops with INSTALL_MORE_MEMORY. */
#define MM_MINIMUM_PHYSICAL_PAGES   2048    /* 8 MB */

/* Reads the loader's memory map into MmPhysicalMemoryBlock (honours /MAXMEM). */
void MiBuildPhysicalMemoryBlock(void);
/* A page taken during phase 0, before the PFN database exists (NT's MxGetNextPage). */
PFN_NUMBER MxGetNextPage(void);
/* Builds and fills the PFN database; afterwards page allocation works. */
void MiInitializePfnDatabase(void);
bool MiIsPhysicalPage(PFN_NUMBER Pfn);
/* False until MiInitializePfnDatabase has run: until then pages come from MxGetNextPage. */
extern bool MmPfnDatabaseReady;
/* The pure part of MiBuildPhysicalMemoryBlock, for tests: a map in, runs out. */
void MiComputePhysicalRuns(const LOADER_MEMORY_DESCRIPTOR *Map, ULONG Count,
                           PFN_NUMBER MaxMemPages, PHYSICAL_MEMORY_DESCRIPTOR *Block);
/* /MAXMEM=N MB as the first page it cuts, computed in 64 bits; 0 (no limit) from 4 GB up. */
PFN_NUMBER MiMaxMemPages(ULONG MaxMemMb);
/* Bytes of RAM the map puts above 4 GB, which mm386 without PAE does not use. */
uint64_t MiRamAbove4Gb(const LOADER_MEMORY_DESCRIPTOR *Map, ULONG Count);
/* For the INSTALL_MORE_MEMORY advice, from the runs without /MAXMEM: the smallest /MAXMEM
 * that leaves MM_MINIMUM_PHYSICAL_PAGES (0 if none does), and the RAM in MB a machine with
 * this map's holes needs. */
ULONG MiMinimumMaxMemMb(const PHYSICAL_MEMORY_DESCRIPTOR *Full);
ULONG MiMinimumRamMb(const PHYSICAL_MEMORY_DESCRIPTOR *Full);

/* --------------------------------------------------------------------- pfn.c */

typedef enum _MMLISTS {
    ZeroedPageList = 0,
    FreePageList = 1,
    StandbyPageList = 2,
    ModifiedPageList = 3,
    ModifiedNoWritePageList = 4,
    BadPageList = 5,
    ActiveAndValid = 6,
    TransitionPage = 7,         /* off every list: its last PTE went, a reference still holds it */
} MMLISTS;

/*
 * How a page may be mapped (NT's MI_PFN_CACHE_ATTRIBUTE): set when the page
 * is handed to an owner that chose a cache type (MiCached for every mapping
 * MiInitializePfn records), MiNotMapped while nobody has. Mapping an MDL
 * refuses to alias a page with another cache type (mm/iosup.c).
 */
typedef enum _MI_PFN_CACHE_ATTRIBUTE {
    MiNonCached = 0,
    MiCached = 1,
    MiWriteCombined = 2,
    MiNotMapped = 3,
} MI_PFN_CACHE_ATTRIBUTE;

typedef struct _MMPFNENTRY {
    USHORT PageLocation : 3;    /* an MMLISTS value */
    USHORT WriteInProgress : 1;
    USHORT Modified : 1;
    USHORT ReadInProgress : 1;
    USHORT CacheAttribute : 2;  /* an MI_PFN_CACHE_ATTRIBUTE value */
    USHORT PrototypePte : 1;
    USHORT RemovalRequested : 1;
    USHORT InPageError : 1;
    USHORT StartOfAllocation : 1;   /* nonpaged pool, contiguous memory: first page of an allocation */
    USHORT EndOfAllocation : 1;     /* nonpaged pool, contiguous memory: last page of an allocation */
    USHORT Reserved : 3;
} MMPFNENTRY;

/*
 * One entry per physical page (NT's MMPFN, 24 bytes). On a list, u1/u2 are
 * the links (PFN indices). Off the lists the counts are NT's:
 *
 *   u2.ShareCount            how many PTEs map the page: 1 for its own PTE
 *                            (PteAddress), plus, for a page table or page
 *                            directory, one per page whose PteFrame it is.
 *                            (A system-space mapping of an MDL does not
 *                            count, as in NT: the MDL's lock holds the page.)
 *   u3.e2.ReferenceCount     how many reasons the page has to stay: one for
 *                            all its PTEs together (ShareCount > 0), one per
 *                            MDL lock.
 *
 * A page leaves for a list only when its reference count reaches 0: to the
 * free list if it was deleted (MI_SET_PFN_DELETED: its owner released it),
 * else to the modified or standby list, its PTE in transition, OriginalPte
 * holding what that PTE is put back to when the page is reused. PteAddress
 * is the PTE that maps the page (bit 0 set once deleted); u4.PteFrame the
 * page table holding that PTE.
 */
typedef struct _MMPFN {
    union {
        PFN_NUMBER Flink;
        ULONG WsIndex;
    } u1;
    PMMPTE PteAddress;
    union {
        PFN_NUMBER Blink;
        ULONG ShareCount;
    } u2;
    union {
        struct {
            USHORT ReferenceCount;
            MMPFNENTRY e1;
        } e2;
        ULONG Long;
    } u3;
    MMPTE OriginalPte;
    union {
        PFN_NUMBER PteFrame;
        ULONG Long;
    } u4;
} MMPFN, *PMMPFN;

_Static_assert(sizeof(MMPFN) == 24, "NT's x86 MMPFN is 24 bytes");

typedef struct _MMPFNLIST {
    PFN_NUMBER Total;
    MMLISTS ListName;
    PFN_NUMBER Flink;
    PFN_NUMBER Blink;
} MMPFNLIST, *PMMPFNLIST;

#define MM_EMPTY_LIST   ((PFN_NUMBER)0xFFFFFFFF)
/* What MiRemoveAnyPage and MiRemoveZeroPage return when memory is exhausted. */
#define MI_NO_PAGE      ((PFN_NUMBER)0xFFFFFFFF)

extern PMMPFN MmPfnDatabase;
extern MMPFNLIST MmZeroedPageListHead, MmFreePageListHead, MmStandbyPageListHead;
extern MMPFNLIST MmModifiedPageListHead, MmModifiedNoWritePageListHead, MmBadPageListHead;
extern PMMPFNLIST MmPageLocationList[BadPageList + 1];
extern PFN_NUMBER MmAvailablePages;   /* zeroed + free + standby; changed under the PFN lock */
extern ULONG MmSystemLockPagesCount;  /* MDL lock references held (NT's name); under the PFN lock */
extern KSPIN_LOCK MmPfnLock;

#define MI_PFN_ELEMENT(Pfn) (&MmPfnDatabase[(Pfn)])

/* The PFN lock guards the database and the lists; it is a spin lock (DISPATCH_LEVEL). */
#define LOCK_PFN(OldIrql)   KeAcquireSpinLock(&MmPfnLock, &(OldIrql))
#define UNLOCK_PFN(OldIrql) KeReleaseSpinLock(&MmPfnLock, (OldIrql))
/* The same for a caller already at DISPATCH_LEVEL (holding another spin lock). */
#define LOCK_PFN_AT_DPC()       KeAcquireSpinLockAtDpcLevel(&MmPfnLock)
#define UNLOCK_PFN_FROM_DPC()   KeReleaseSpinLockFromDpcLevel(&MmPfnLock)

/* PFN_LIST_CORRUPT (0x4E) parameter 1 values, NT's (bug check 0x4E reference). */
#define PFN_CORRUPT_LIST_HEAD       0x01    /* p2 = list head, p3 = its count, p4 = its first PFN */
#define PFN_CORRUPT_COUNT_UNDERFLOW 0x07    /* a count dropped more often than taken: p2 = PFN, p3 = share count */
#define PFN_CORRUPT_PAGE_STATE      0x99    /* p2 = PFN, p3 = its state: on a list where it must be in use, or the reverse */
#define PFN_CORRUPT_PAGE_REFERENCED 0x9A    /* freed while still referenced: p2 = PFN, p3 = state, p4 = reference count */
/* MEMORY_MANAGEMENT (0x1A) parameter 1 values: NT's first, then mm386's own. */
#define MM_BUGCHECK_PTE_CORRUPT     0x411   /* NT's: a PTE is not what it must be; p2 = PTE, p3 = its contents */
#define MM_BUGCHECK_PDE_INVALIDATED 0x61940 /* NT's: a PTE's page table is missing; p2 = PTE, p3 = PDE, p4 = VA */
#define MM_BUGCHECK_NOT_A_PAGE      0x4150  /* p2 = PFN that is not RAM */
#define MM_BUGCHECK_NO_PAGE_TABLE   0x4151  /* p2 = VA whose page table could not be made */
#define MM_BUGCHECK_HYPERSPACE      0x4152  /* p2 = PFN or VA, p3 = mappings outstanding, p4 = IRQL */
#define MM_BUGCHECK_COMMIT_UNDERFLOW 0x4155  /* p2 = pages returned, p3 = pages charged */
#define MM_BUGCHECK_PFN_LOCK_NOT_HELD 0x4156 /* an entry initialised without the PFN lock: p2 = PFN */
#define MM_BUGCHECK_POOL_FREE_RUN   0x4160  /* p2 = free nonpaged run, p3 = its signature, p4 = expected */
#define MM_BUGCHECK_PAGED_POOL_MAP  0x4161  /* p2 = VA, p3 = first page index, p4 = end bit found */
#define MM_BUGCHECK_BIG_PAGES_MISMATCH 0x4162 /* p2 = VA, p3 = pages recorded, p4 = pages freed */

/*
 * Page allocation. MiRemoveAnyPage, MiRemoveZeroPage and MiInsertPageInFreeList
 * take the PFN lock themselves; the "Locked" forms (NT's own routines, which
 * run under the caller's PFN lock) expect it held. A page handed out is
 * ActiveAndValid with no reference and no share and no PTE, as in NT: its
 * owner references it (MiInitializePfn* when a PTE maps it, an MDL lock),
 * or gives it back unreferenced with MiInsertPageInFreeList. A page taken
 * from the standby list first has its old PTE put back to OriginalPte.
 * Giving back a page that is referenced or mapped is PFN_LIST_CORRUPT 0x9A
 * (0x07 for a share count without a reference), one already on a list 0x99,
 * a frame that is not RAM MEMORY_MANAGEMENT 0x4150.
 */
PFN_NUMBER MiRemoveAnyPage(void);
PFN_NUMBER MiRemoveZeroPage(void);
void MiInsertPageInFreeList(PFN_NUMBER Pfn);
/* PFN lock held: puts an unreferenced active page onto the head (Zeroed, Free) or tail of a list. */
void MiInsertPageInList(PMMPFNLIST ListHead, PFN_NUMBER Pfn);
/*
 * PFN lock held: takes a page off the free or zeroed list (a particular
 * page: an MDL's range, a contiguous run); it becomes ActiveAndValid,
 * unreferenced. A page on any other list is PFN_LIST_CORRUPT 0x99: a
 * standby or modified page's PTE still names it, so it leaves through
 * MiRemoveAnyPage (which restores that PTE) or, once there are working
 * sets, NT's transition fault (which gives it back to that PTE).
 */
void MiUnlinkPageFromList(PFN_NUMBER Pfn);

/*
 * u3 as one word: ReferenceCount in the low half, the MMPFNENTRY flags above
 * it (PageLocation in bits 16-18, CacheAttribute in 22-23, MiNotMapped: a
 * page on a list or just handed out has no mapping to agree with).
 */
#define MI_PFN_U3(Location, References) \
    (((ULONG)MiNotMapped << 22) | ((ULONG)(Location) << 16) | (References))
/* The part of u3 that says "in use and unreferenced": PageLocation and ReferenceCount. */
#define MI_PFN_U3_STATE_MASK    0x0007FFFFu

/*
 * The zero page thread (mm/zeropage.c): woken whenever the free list holds
 * MI_FREE_PAGES_TO_ZERO pages (NT's MmMinimumFreePagesToZero) and it is
 * idle. MmZeroingPageThreadActive is changed under the PFN lock.
 */
#define MI_FREE_PAGES_TO_ZERO   8
extern volatile BOOLEAN MmZeroingPageThreadActive;
extern ULONG MmZeroPageThreadPages;
/* PFN lock held: wakes the zero page thread. */
void MiWakeZeroPageThread(void);
/* Phase 0: its event. Phase 2: the thread. */
void MiInitializeZeroPageThread(void);
void MiStartZeroPageThread(void);

/* The out-of-line halves of the inline routines below. */
PFN_NUMBER MiRemovePageFromOtherLists(void);
void MiInsertPageInFreeListChecked(PFN_NUMBER Pfn);
/* PFN_LIST_CORRUPT 0x01: ListHead's count and its links disagree. */
NORETURN void MiCorruptListHead(PMMPFNLIST ListHead);

/*
 * PFN lock held: takes Pfn, the first page of ListHead (the zeroed or the
 * free list), off it; the page becomes ActiveAndValid with no reference, no
 * share and no PTE. The head has no predecessor; only its successor's link
 * changes. ListHead is a constant at every call, so its fields are direct.
 */
static inline PFN_NUMBER MiUnlinkFirstPageLocked(PMMPFNLIST ListHead, PFN_NUMBER Pfn)
{
    PMMPFN Database = MmPfnDatabase;
    PMMPFN Pfn1 = &Database[Pfn];
    PFN_NUMBER Next = Pfn1->u1.Flink;
    ListHead->Flink = Next;
    if (Next == MM_EMPTY_LIST)
        ListHead->Blink = MM_EMPTY_LIST;
    else
        Database[Next].u2.Blink = MM_EMPTY_LIST;
    ListHead->Total--;
    MmAvailablePages--;
    Pfn1->u3.Long = MI_PFN_U3(ActiveAndValid, 0);
    Pfn1->u1.WsIndex = 0;
    Pfn1->u2.ShareCount = 0;
    Pfn1->PteAddress = NULL;
    return Pfn;
}

/*
 * PFN lock held: the page at the head of the free list (else zeroed, else
 * standby), or MI_NO_PAGE. Inline: it is the hottest path of the memory
 * manager.
 */
static inline PFN_NUMBER MiRemoveAnyPageLocked(void)
{
    PFN_NUMBER Pfn = MmFreePageListHead.Flink;
    if (Pfn == MM_EMPTY_LIST)
        return MiRemovePageFromOtherLists();
    return MiUnlinkFirstPageLocked(&MmFreePageListHead, Pfn);
}

/*
 * PFN lock held: the page at the head of the zeroed list, or MI_NO_PAGE if
 * the list is empty (NT's MiRemoveZeroPageIfAny). A demand-zero fault takes
 * its page with this and initialises the page's entry in the same hold of
 * the lock; only when it finds none does it take any page and zero it.
 */
static inline PFN_NUMBER MiRemoveZeroPageIfAnyLocked(void)
{
    if (MmZeroedPageListHead.Total == 0)
        return MI_NO_PAGE;
    PFN_NUMBER Pfn = MmZeroedPageListHead.Flink;
    if (UNLIKELY(Pfn == MM_EMPTY_LIST))
        MiCorruptListHead(&MmZeroedPageListHead);
    return MiUnlinkFirstPageLocked(&MmZeroedPageListHead, Pfn);
}

/*
 * PFN lock held: gives back an active, unreferenced, unmapped page to the
 * head of the free list. Pages outside the last (largest) run of RAM, and
 * pages that fail the check, take the out-of-line path, which bugchecks
 * for a frame that is not RAM, a page still referenced or mapped, or a page
 * already on a list (a double free).
 */
static inline void MiInsertPageInFreeListLocked(PFN_NUMBER Pfn)
{
    const PHYSICAL_MEMORY_RUN *Last = &MmPhysicalMemoryBlock.Run[MmPhysicalMemoryBlock.NumberOfRuns - 1];
    PMMPFN Database = MmPfnDatabase;
    PMMPFN Pfn1 = &Database[Pfn];
    if (Pfn - Last->BasePage >= Last->PageCount ||
        (Pfn1->u3.Long & MI_PFN_U3_STATE_MASK) != (MI_PFN_U3(ActiveAndValid, 0) & MI_PFN_U3_STATE_MASK) ||
        Pfn1->u2.ShareCount != 0) {
        MiInsertPageInFreeListChecked(Pfn);
        return;
    }
    PFN_NUMBER First = MmFreePageListHead.Flink;
    Pfn1->u3.Long = MI_PFN_U3(FreePageList, 0);
    Pfn1->PteAddress = NULL;
    Pfn1->u1.Flink = First;
    Pfn1->u2.Blink = MM_EMPTY_LIST;
    if (First == MM_EMPTY_LIST)
        MmFreePageListHead.Blink = Pfn;
    else
        Database[First].u2.Blink = Pfn;
    MmFreePageListHead.Flink = Pfn;
    MmFreePageListHead.Total++;
    MmAvailablePages++;
    if (UNLIKELY(!MmZeroingPageThreadActive) && MmFreePageListHead.Total >= MI_FREE_PAGES_TO_ZERO)
        MiWakeZeroPageThread();
}

/*
 * The deleted mark: bit 0 of PteAddress, as NT's MI_SET_PFN_DELETED. Its
 * owner has released the page, so when its last reference goes it is
 * freed, not kept on standby for a PTE that no longer wants it.
 */
static inline void MI_SET_PFN_DELETED(PMMPFN Pfn1)
{
    Pfn1->PteAddress = (PMMPTE)((ULONG)Pfn1->PteAddress | 1);
}

static inline bool MI_IS_PFN_DELETED(const MMPFN *Pfn1)
{
    return ((ULONG)Pfn1->PteAddress & 1) != 0;
}

/*
 * Shares and references, NT's routines. All run with the PFN lock held.
 *
 * MiInitializePfn: a page just handed out (unreferenced) is about to be
 * mapped by PointerPte, which is not valid yet and holds the software PTE
 * the page stands for (kept as OriginalPte). Share 1, reference 1, cached;
 * the page table holding PointerPte (found through the self-map, its PDE
 * copied from the master if this address space lacks it) gains a share.
 * MiInitializePfnAndMakePteValid: the same for system memory (OriginalPte a
 * demand-zero read/write PTE) and writes TempPte. MiInitializePfnForOtherProcess:
 * the PTE is in a page table that is not mapped here (another directory, or
 * a PDE); PteFrame names that page table.
 *
 * MiDecrementShareCount: a PTE no longer maps the page. At 0 the page is in
 * transition and loses the reference its PTEs held (MiDecrementReferenceCount).
 * MiDecrementReferenceCount: at 0 the page goes to the free list if deleted,
 * else to the modified or standby list by its Modified bit. Dropping a count
 * that is already 0, or reaching reference 0 with shares left, is
 * PFN_LIST_CORRUPT 0x07; a page on a list, 0x99.
 */
void MiInitializePfnAndMakePteValid(PFN_NUMBER Pfn, PMMPTE PointerPte, MMPTE TempPte);
void MiInitializePfnForOtherProcess(PFN_NUMBER Pfn, PMMPTE PointerPte, PFN_NUMBER PteFrame);
void MiDecrementShareCount(PMMPFN Pfn1, PFN_NUMBER Pfn);
void MiDecrementReferenceCount(PMMPFN Pfn1, PFN_NUMBER Pfn);

/* PFN_LIST_CORRUPT 0x99: the page is not in the state the caller needs (pfn.c). */
NORETURN void MiCorruptPageState(PFN_NUMBER Pfn);
/* MEMORY_MANAGEMENT 0x4156: Pfn's entry was about to be written without the PFN lock (pfn.c). */
NORETURN void MiPfnLockNotHeld(PFN_NUMBER Pfn);
/* The page table of PointerPte when its PDE is not valid here: a system PDE copied from the master, or 0x61940. */
PFN_NUMBER MiPageTableFrameNotPresent(PMMPTE PointerPte);

/* The page table holding PointerPte, by its PDE in this address space (found there: one read). */
static inline PFN_NUMBER MiPageTableFrame(PMMPTE PointerPte)
{
    MMPTE Value = MiReadPte(MiAddressToPte(PointerPte));
    if (UNLIKELY(!Value.u.Hard.Valid))
        return MiPageTableFrameNotPresent(PointerPte);
    return Value.u.Hard.PageFrameNumber;
}

/*
 * The shared part of the MiInitializePfn* routines: a page just handed out
 * becomes mapped once. The PFN lock is checked, not assumed: a caller that
 * fills the entry without it is MEMORY_MANAGEMENT 0x4156 before anything
 * is written (mm386 runs on one processor, so a held lock is the caller's).
 */
static inline void MiInitializeActivePfn(PFN_NUMBER Pfn, PMMPTE PointerPte, MMPTE OriginalPte, PFN_NUMBER PteFrame,
                                         bool Modified)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);

    if (UNLIKELY(MmPfnLock == 0))
        MiPfnLockNotHeld(Pfn);
    if (Pfn1->u3.e2.e1.PageLocation != ActiveAndValid || Pfn1->u3.e2.ReferenceCount != 0 ||
        Pfn1->u2.ShareCount != 0)
        MiCorruptPageState(Pfn);
    Pfn1->PteAddress = PointerPte;
    Pfn1->OriginalPte = OriginalPte;
    Pfn1->u2.ShareCount = 1;
    Pfn1->u3.e2.ReferenceCount = 1;
    Pfn1->u3.e2.e1.Modified = Modified;
    Pfn1->u3.e2.e1.CacheAttribute = MiCached;
    Pfn1->u4.PteFrame = PteFrame;
    MI_PFN_ELEMENT(PteFrame)->u2.ShareCount++;
}

/* Inline: every demand-zero fault and every page table made calls it under the PFN lock. */
static inline void MiInitializePfn(PFN_NUMBER Pfn, PMMPTE PointerPte, bool Modified)
{
    PFN_NUMBER PteFrame = MiPageTableFrame(PointerPte);
    MiInitializeActivePfn(Pfn, PointerPte, MiReadPte(PointerPte), PteFrame, Modified);
}

/*
 * Pages on the standby and modified lists that a prototype PTE still names
 * in transition (mm/section.h), PFN lock held. MiUnlinkTransitionPage: a
 * transition fault takes the page back — off its list, ActiveAndValid with
 * no reference and no share yet, PteAddress, OriginalPte, PteFrame and its
 * flags kept. MiDeleteTransitionPage: its segment is going — PointerPte
 * (the page's PteAddress) is zeroed, the page of prototype PTEs loses the
 * share the page held, and the page is freed. A page on another list, or
 * one PointerPte does not name, is PFN_LIST_CORRUPT 0x99. A page in
 * transition but on no list (TransitionPage: an MDL lock holds it) is not
 * unlinked: a transition fault takes it back as it is, and its segment's
 * deletion marks it deleted, freed when the lock goes.
 */
void MiUnlinkTransitionPage(PFN_NUMBER Pfn);
void MiDeleteTransitionPage(PFN_NUMBER Pfn, PMMPTE PointerPte);

/*
 * PFN lock held. The PTE recorded in Pfn's entry no longer maps it (the
 * caller cleared it and flushed it, or is deleting the page table holding
 * it): the page table loses a share, the page is marked deleted and loses
 * its share — freed now, or when the last MDL lock on it goes. NT open-codes
 * these steps in each caller (MI_SET_PFN_DELETED, two MiDecrementShareCount).
 */
void MiDeletePageMapping(PFN_NUMBER Pfn);
/*
 * PFN lock held. PointerPte (valid, in this address space) maps a page that
 * MiInitializePfn* recorded there: the PTE is zeroed and its translation
 * flushed, then MiDeletePageMapping. A PTE the page's entry does not name is
 * PFN_LIST_CORRUPT 0x99.
 */
void MiDeleteValidPte(PMMPTE PointerPte);

/*
 * MDL locks (ReactOS ARM3's names for NT's MI_ADD_LOCKED_PAGE_CHARGE and its
 * inverse), PFN lock held. Each reference is counted in
 * MmSystemLockPagesCount. Unused: a page just handed out (it must be active
 * and unreferenced): MmAllocatePagesForMdl's. Used: a page in use (at least
 * one reference already) — MmProbeAndLockPages' case, which comes with
 * processes; until then only the tests lock a mapped page this way.
 * MiDereferencePfnAndDropLockCount drops one (MiDecrementReferenceCount).
 */
void MiReferenceUnusedPageAndBumpLockCount(PFN_NUMBER Pfn);
void MiReferenceUsedPageAndBumpLockCount(PFN_NUMBER Pfn);
void MiDereferencePfnAndDropLockCount(PFN_NUMBER Pfn);

/*
 * A transition PTE (NT's x86 format): the page is still in memory on a
 * standby or modified list; Protection is what the PTE allowed.
 */
static inline MMPTE MiMakeTransitionPte(PFN_NUMBER Pfn, ULONG Protection)
{
    MMPTE Pte;
    Pte.u.Long = 0;
    Pte.u.Trans.Transition = 1;
    Pte.u.Trans.Protection = Protection;
    Pte.u.Trans.PageFrameNumber = Pfn;
    return Pte;
}

/* Zeroes a physical page through hyperspace. */
void MiZeroPhysicalPage(PFN_NUMBER Pfn);

/* ---------------------------------------------------------------- pagetab.c */

/*
 * The master copy of the system PDEs: the boot page directory (the system
 * process's), mapped in every address space as part of the kernel image.
 */
extern PMMPTE MmSystemPagePtes;
extern PFN_NUMBER MmSystemPageDirectoryPfn;
extern volatile ULONG MmSystemPageTablePages;   /* system page tables made since boot */

/*
 * Makes sure the page table for system address Va exists: from the master
 * copy if another address space made it, else a new zeroed page, entered in
 * the master and the current directory. Returns false if no page was free.
 * Any IRQL up to DISPATCH_LEVEL.
 */
bool MiEnsureSystemPageTable(PVOID Va);
/* Copies the master PDE for Va into the current directory if it is missing there (lazy sync). */
bool MiSyncSystemPde(PVOID Va);
/*
 * Maps Pfn at system address Va with Bits (page table made if needed); false
 * if none could be. Raw: the PFN entry is not touched — for boot, before the
 * database exists, and for frames their owner accounts for itself.
 */
bool MiMapSystemPage(PVOID Va, PFN_NUMBER Pfn, ULONG Bits);
/* Clears the valid PTE for system address Va, flushes it from the TLB, returns the frame. Raw too. */
PFN_NUMBER MiUnmapSystemPage(PVOID Va);
/*
 * Takes a page (its old contents left in it) and maps it at system address
 * Va, read/write, accounted: share 1, reference 1, its page table one share
 * more (MiInitializePfnAndMakePteValid). Returns the page, or MI_NO_PAGE if
 * no page or no page table could be had. IRQL <= DISPATCH_LEVEL; takes the
 * page-table lock if it makes a page table, then the PFN lock.
 */
PFN_NUMBER MiMapNewSystemPage(PVOID Va);
/* Unmaps the page MiMapNewSystemPage put at Va and releases it (MiDeleteValidPte). Takes the PFN lock. */
void MiFreeSystemPage(PVOID Va);

/* --------------------------------------------------------------- hypermap.c */

/* Hyperspace: mapping a physical page for a moment (mm/hypermap.h has the interface and the inline map). */
#include "hypermap.h"

/* Address spaces (MMADDRESS_SPACE and its routines) are public: include/mm.h. */

/* ---------------------------------------------------------------- syspte.c */

/*
 * The system PTE pool (see mm/syspte.c). NT has a second pool type for
 * nonpaged pool expansion; mm386's nonpaged pool manages its own expansion
 * region, so every caller passes SystemPteSpace.
 */
typedef enum _MMSYSTEM_PTE_POOL_TYPE {
    SystemPteSpace,
    NonPagedPoolExpansion,
    MaximumPtePoolTypes
} MMSYSTEM_PTE_POOL_TYPE;

/* SYSTEM_PTE_MISUSE (0xDA) parameter 1 values, NT's (bug check 0xDA reference). */
#define PTE_MAPPING_NONE                0x100   /* reserved mapping of 0 pages: p2 pages, p3 tag, p4 caller */
#define PTE_MAPPING_NOT_OWNED           0x101   /* free with another tag: p2 VA, p3 tag, p4 owner's tag */
#define PTE_MAPPING_EMPTY               0x102   /* free of a VA that is no reservation: p2 VA, p3 tag */
#define PTE_MAPPING_RESERVED            0x103   /* free while still mapped: p2 mapped VA, p3 tag, p4 pages */
#define PTE_MAPPING_ADDRESS_NOT_OWNED   0x104   /* map with another tag: p2 VA, p3 tag, p4 owner's tag */
#define PTE_MAPPING_ADDRESS_INVALID     0x105   /* map into a VA that is no reservation: p2 VA, p3 tag */
#define PTE_MAPPING_ADDRESS_IN_USE      0x107   /* map over a mapping: p2 VA, p3 mapped VA, p4 last VA */
#define PTE_UNMAPPING_ADDRESS_NOT_OWNED 0x108   /* unmap with another tag: p2 VA, p3 tag, p4 owner's tag */
#define PTE_MAPPING_ADDRESS_EMPTY       0x109   /* unmap a VA that is no reservation: p2 VA, p3 tag */
#define PTE_UNMAPPING_TOO_MANY          0x10A   /* p2 VA, p3 pages reserved, p4 pages to unmap */
#define PTE_UNMAPPING_NOT_MAPPED        0x10B   /* p2 VA, p3 tag, p4 pages to unmap */
#define PTE_UNMAPPING_PARTIAL           0x10C   /* pages beyond the MDL still mapped: p2 VA, p3 tag, p4 pages */
#define PTE_RESERVE_NONE                0x200   /* MiReserveSystemPtes of 0 PTEs */
#define PTE_RELEASE_NONE                0x300   /* MiReleaseSystemPtes of 0 PTEs: p2 VA */
#define PTE_RELEASE_NOT_PERMITTED       0x301   /* not system PTEs (or not a kernel stack): p2 VA, p3 count */
#define PTE_RELEASE_MIDDLE              0x304   /* starts inside another allocation: p2 VA, p3 count */
#define PTE_RELEASE_WRONG_COUNT         0x305   /* p2 VA, p3 count released, p4 count reserved */
#define PTE_RELEASE_ALREADY_FREE        0x306   /* not reserved (freed twice): p2 VA, p3 free VA, p4 count */
#define PTE_UNMAP_IO_SPACE_UNKNOWN      0x400   /* MmUnmapIoSpace of no mapping: p2 VA, p3 pages */
#define PTE_MDL_ALREADY_MAPPED          0x401   /* mm386's: mapping a mapped MDL; p2 MDL, p3 its VA, p4 pages */
/* MEMORY_MANAGEMENT (0x1A) parameter 1 values NT defines for MDLs. */
#define MM_BUGCHECK_MAP_UNLOCKED_PAGE   0x1233  /* p2 PFN, p3 MDL */
#define MM_BUGCHECK_MDL_NOT_RESIDENT    0x1240  /* p2 MDL, p3 VA that is not resident */
/* mm386's own: freeing the pages of an MDL that is still mapped. p2 MDL, p3 its system VA. */
#define MM_BUGCHECK_MDL_STILL_MAPPED    0x4153
/* mm386's own: MmFreePagesFromMdl of an MDL MmAllocatePagesForMdl did not fill. p2 MDL, p3 its flags. */
#define MM_BUGCHECK_MDL_NOT_ALLOCATED   0x4154

/* mm/iosup.c: the PTE bits of a caching type (false for none); MEMORY_MANAGEMENT 0x1233 unless every RAM page of Mdl is in use. */
bool MiCachingBits(MEMORY_CACHING_TYPE CacheType, ULONG *Bits);
void MiCheckMdlPages(PMDL Mdl, ULONG Pages);
/* mm/usermdl.c: MmMapLockedPagesSpecifyCache / MmUnmapLockedPages for UserMode. */
PVOID MiMapLockedPagesInUserSpace(PMDL Mdl, MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress);
void MiUnmapLockedPagesInUserSpace(PVOID BaseAddress, PMDL Mdl);

/* Builds the pool over MmNonPagedSystemStart's region. Phase 0, before the PFN database (its page tables come from MxGetNextPage). */
void MiInitializeSystemPtes(void);
/* mm/mmdbg.c: the kernel debugger's mapping PTE (MmDbgCopyMemory), reserved in phase 1 (system PTEs need IRQL <= DISPATCH_LEVEL). */
extern PMMPTE MmDebugPte;
void MiInitializeDebugPte(void);
/* Registers the pool's leak guard (PTEs in use) with the test harness. Phase 1. */
void MiRegisterSystemPteGuard(void);

/*
 * Reserves NumberOfPtes contiguous system PTEs, all zero, and returns the
 * first; NULL when the pool (and its extension) cannot supply them. Counts
 * up to 16 are rounded up to 1, 2, 4, 8 or 16 and served from per-size
 * caches; MiReleaseSystemPtes rounds the same way. IRQL <= DISPATCH_LEVEL;
 * takes the system PTE lock, and may take the page-table and PFN locks to
 * add an extension piece. 0 PTEs is SYSTEM_PTE_MISUSE (0xDA, 0x200).
 */
PMMPTE MiReserveSystemPtes(ULONG NumberOfPtes, MMSYSTEM_PTE_POOL_TYPE SystemPtePoolType);
/*
 * Gives back PTEs from MiReserveSystemPtes: the same first PTE and count.
 * The PTEs are zeroed here; their old translations are flushed from the TLB
 * lazily, before the addresses are handed out again (mm/syspte.c). Releasing
 * PTEs that are not reserved, twice, from the middle of a reservation or
 * with the wrong count is SYSTEM_PTE_MISUSE (0xDA, 0x300..0x306).
 * IRQL <= DISPATCH_LEVEL.
 */
void MiReleaseSystemPtes(PMMPTE StartingPte, ULONG NumberOfPtes, MMSYSTEM_PTE_POOL_TYPE SystemPtePoolType);
/* How many PTEs a reservation of NumberOfPtes really takes (the per-size rounding). */
ULONG MiSystemPteAllocationSize(ULONG NumberOfPtes);
/*
 * The reservation Pte lies in: stores its first PTE in *Start and returns
 * its length (rounded), or returns 0 if Pte is free or not a system PTE.
 * Reads the pool's bitmaps without its lock and touches no PTE, so the
 * double-fault handler may call it; a caller asking about a reservation it
 * does not own gets an answer that may already be stale.
 */
ULONG MiQuerySystemPteAllocation(PMMPTE Pte, PMMPTE *Start);
/* Flushes the TLB and returns every cached and waiting PTE to the free list. For tests and !sysptes. */
void MiDrainSystemPteCaches(void);

/* A snapshot of the pool, for tests and the debugger. */
typedef struct _MI_SYSTEM_PTE_INFO {
    ULONG Total;                /* PTEs in the pool: the base region plus extension pieces added */
    ULONG Free;                 /* not reserved: on the free list, in the caches, or waiting for a flush */
    ULONG InUse;                /* reserved by callers */
    ULONG FreeRuns;             /* runs on the address-ordered free list */
    ULONG LargestFreeRun;
    ULONG FreeStretches;        /* gaps between reservations: FreeRuns once all is merged and drained */
    ULONG LargestFreeStretch;
    ULONG Cached;               /* PTEs held by the per-size caches */
    ULONG WaitingForFlush;      /* released since the last TLB flush, not yet reusable */
    ULONG ExtraAdded;           /* PTEs of the extension added so far */
    ULONG Flushes;              /* whole-TLB flushes the pool has done */
    ULONG Failures;             /* reservations that returned NULL */
} MI_SYSTEM_PTE_INFO;
void MiQuerySystemPtes(MI_SYSTEM_PTE_INFO *Info);

/* The pool's free runs in detail, for !sysptes (mm/kdexts.c). */
#define MI_SYSTEM_PTE_CACHES        5       /* cached run sizes: 1, 2, 4, 8, 16 */
#define MI_SYSTEM_PTE_RUN_CLASSES   20      /* free runs of 1, 2-3, 4-7 ... 2^19 PTEs or more */
#define MI_SYSTEM_PTE_LISTED_RUNS   16      /* free runs listed one by one, lowest first */
typedef struct _MI_SYSTEM_PTE_RUNS {
    struct {
        PMMPTE Run;
        ULONG Size;
    } Listed[MI_SYSTEM_PTE_LISTED_RUNS];        /* the first runs of the free list */
    ULONG FreeRuns;                             /* runs on the free list */
    ULONG Runs[MI_SYSTEM_PTE_RUN_CLASSES];      /* free-list runs of 2^i .. 2^(i+1) - 1 PTEs */
    ULONG Ptes[MI_SYSTEM_PTE_RUN_CLASSES];      /* the PTEs in those runs */
    ULONG CacheSize[MI_SYSTEM_PTE_CACHES];      /* PTEs in each run of the cache */
    ULONG CacheUsable[MI_SYSTEM_PTE_CACHES];    /* runs a reservation may take now */
    ULONG CacheWaiting[MI_SYSTEM_PTE_CACHES];   /* runs released since the last TLB flush */
    ULONG WaitingRuns, WaitingPtes;             /* the waiting list (sizes the caches do not keep) */
    PMMPTE BaseFirst, BaseEnd;                  /* the base region */
    PMMPTE ExtraFirst, ExtraEnd, ExtraLimit;    /* the extension: added so far, and its limit */
} MI_SYSTEM_PTE_RUNS;
void MiQuerySystemPteRuns(MI_SYSTEM_PTE_RUNS *Runs);

/* Where a free system PTE waits, as MiQueryFreeSystemPte finds it. */
typedef enum _MI_FREE_SYSTEM_PTE_LIST {
    MiPteOnFreeList,            /* the address-ordered free list */
    MiPteOnWaitingList,         /* released, an uncached size: merges into the free list at the next flush */
    MiPteInCache,               /* a usable run of a per-size cache */
    MiPteInCacheWaiting,        /* a cache's run released since the last flush */
} MI_FREE_SYSTEM_PTE_LIST;
typedef struct _MI_FREE_SYSTEM_PTE {
    PMMPTE Run;                 /* the run's first PTE: its list link (MMPTE_LIST) */
    ULONG Size;                 /* PTEs in the run */
    MI_FREE_SYSTEM_PTE_LIST List;
} MI_FREE_SYSTEM_PTE;
/* Finds the free run that holds Pte; false if Pte is reserved or not a system PTE, or on a kernel stopped in the debugger whose code holds the pool's lock. Takes the lock. */
bool MiQueryFreeSystemPte(PMMPTE Pte, MI_FREE_SYSTEM_PTE *Info);

extern ULONG MmTotalSystemPtes, MmTotalFreeSystemPtes;

/* ----------------------------------------------------------------- stack.c */

/*
 * Backs Count reserved system PTEs with fresh pages (MiRemoveAnyPage), mapped
 * read/write. False, with nothing backed, if memory ran out.
 */
bool MiFillSystemPtesWithPages(PMMPTE FirstPte, ULONG Count);
/* Unmaps the valid PTEs among Count and frees their pages; the PTEs stay reserved. */
void MiFreeSystemPtePages(PMMPTE FirstPte, ULONG Count);

/* ----------------------------------------------------------------- iosup.c */

/* The PFN cache attribute a caching type asks for; false for a value that is not a caching type. */
bool MiCacheAttributeOf(MEMORY_CACHING_TYPE CacheType, MI_PFN_CACHE_ATTRIBUTE *CacheAttribute);
/* The PTE bits (PCD, PWT) that give a cache attribute; none for MiCached and MiNotMapped. */
ULONG MiCacheAttributeBits(MI_PFN_CACHE_ATTRIBUTE CacheAttribute);
/* NT's: mapping a cached page uncached was refused and the caller asked to bugcheck. p2 MDL, p3 PFN, p4 cache type. */
#define MM_BUGCHECK_CACHE_CONFLICT      0x1000

/* ---------------------------------------------------------------- contig.c */

/*
 * Finds SizeInPages physically contiguous pages in [LowestPfn, HighestPfn],
 * all on the free or zeroed list, whose run crosses no multiple of
 * BoundaryPfn pages (0: no boundary; a power of two), takes them off their
 * lists (active, unreferenced, contents stale) and returns the first; or
 * MI_NO_PAGE. Scans the database under the PFN lock: the cost grows with
 * the range, as NT's documentation warns. IRQL <= DISPATCH_LEVEL.
 */
PFN_NUMBER MiFindContiguousPages(PFN_NUMBER LowestPfn, PFN_NUMBER HighestPfn, PFN_NUMBER BoundaryPfn,
                                 PFN_NUMBER SizeInPages);

/* The highest IRQL a pool may be used at: DISPATCH_LEVEL for nonpaged, APC_LEVEL for paged. */
static inline KIRQL MiPoolMaximumIrql(POOL_TYPE BasePoolType)
{
    return BasePoolType == NonPagedPool ? DISPATCH_LEVEL : APC_LEVEL;
}

/* A free above the pool's IRQL: BAD_POOL_CALLER 0x09 (IRQL, pool type, address). */
static inline void MiCheckPoolFreeIrql(POOL_TYPE BasePoolType, PVOID P)
{
    if (UNLIKELY(KeGetCurrentIrql() > MiPoolMaximumIrql(BasePoolType)))
        KeBugCheckEx(BAD_POOL_CALLER, 0x09, KeGetCurrentIrql(), BasePoolType, (ULONG_PTR)P);
}

/* ----------------------------------------------------------------- commit.c */

extern volatile ULONG MmTotalCommittedPages;
extern ULONG MmTotalCommitLimit;
extern volatile ULONG MmPeakCommitment;
/* Sets the limit from the pages available once phase 0 has built its structures. */
void MiInitializeCommitment(void);
/* Charges Pages of commit; false (nothing charged) if that would pass the limit. */
bool MiChargeCommitment(ULONG Pages);
void MiReturnCommitment(ULONG Pages);

/* --------------------------------------------------------------- pagfault.c */

/*
 * Gives the demand-zero PTE PointerPte (of a system address) a zeroed page.
 * IRQL <= APC_LEVEL (the caller checks). No page at all, though commit was
 * charged for it, is NO_PAGES_AVAILABLE (0x4D).
 */
NTSTATUS MiResolveDemandZeroFault(PMMPTE PointerPte);

/* ---------------------------------------------------------------- poolpage.c */

/*
 * Page-granular pool allocation (NT's MiAllocatePoolPages/MiFreePoolPages).
 * Nonpaged pool: the initial region [MmNonPagedPoolStart,
 * MmNonPagedPoolExpansionStart), mapped at boot, kept as free runs of pages;
 * then the expansion region, one page of RAM mapped per page as needed, up
 * to MiMaximumNonPagedExpansionPages. Paged pool: MmPagedPoolStart..End,
 * allocated in a bitmap, each page demand-zero until touched.
 */
typedef struct _MM_PAGED_POOL_INFO {
    RTL_BITMAP PagedPoolAllocationMap;      /* a set bit: the page is allocated */
    RTL_BITMAP EndOfPagedPoolBitmap;        /* a set bit: the last page of an allocation */
    ULONG PagedPoolHint;                    /* where the next search starts */
    ULONG AllocatedPagedPool;               /* pages allocated */
} MM_PAGED_POOL_INFO;

extern MM_PAGED_POOL_INFO MmPagedPoolInfo;
extern volatile ULONG MmAllocatedNonPagedPool;      /* pages in use, initial + expansion */
extern volatile ULONG MmNumberOfFreeNonPagedPool;   /* free pages in the initial region */
extern volatile ULONG MiNonPagedExpansionPagesInUse;
extern ULONG MiMaximumNonPagedExpansionPages;

static inline bool MiIsNonPagedPoolAddress(const void *Va)
{
    return (ULONG)Va >= (ULONG)MmNonPagedPoolStart && (ULONG)Va < (ULONG)MmNonPagedPoolEnd;
}

static inline bool MiIsPagedPoolAddress(const void *Va)
{
    return (ULONG)Va >= (ULONG)MmPagedPoolStart && (ULONG)Va <= (ULONG)MmPagedPoolEnd;
}

/* Phase 0, before the PFN database: maps the initial nonpaged pool with boot pages. */
void MiMapInitialNonPagedPool(void);
/*
 * Phase 0, after it: builds the initial region's free run and the
 * allocation bitmaps. Takes no locks (one processor, interrupts off).
 */
void MiInitializePoolPages(void);
/* How many free runs the initial nonpaged pool has, and the largest (pages). Any IRQL <= DISPATCH. */
void MiQueryInitialNonPagedRuns(ULONG *Runs, ULONG *LargestRun);
/* Registers nonpaged pool's pages in use with the ktest leak guard (phase 1). */
void MiRegisterPoolPagesGuard(void);
/* Phase 0 only, no locks: Pages taken from the initial region for the pool's own tables. */
PVOID MiAllocatePoolPagesAtBoot(ULONG Pages);
/*
 * Whole pages of pool: nonpaged at IRQL <= DISPATCH_LEVEL, paged at
 * <= APC_LEVEL. Commit is charged for every page except the initial
 * nonpaged region's. Returns NULL when the region, the maximum, the commit
 * limit or RAM is exhausted.
 */
PVOID MiAllocatePoolPages(POOL_TYPE PoolType, SIZE_T SizeInBytes);
/*
 * Frees the allocation that starts at StartingAddress and returns its size
 * in pages. Freeing what is not the start of an allocation is
 * BAD_POOL_CALLER (0x41 nonpaged, 0x50 paged, 0x41286 inside an allocation).
 */
ULONG MiFreePoolPages(PVOID StartingAddress);
/*
 * NT's MmResourcesAvailable, for ExAllocatePoolWithTagPriority: whether
 * NumberOfBytes of new pages of BasePoolType's pool would still leave
 * ReservePages of its address space unallocated — and, for nonpaged pages
 * beyond the initial region's free ones, that many pages of RAM available;
 * for paged pool, that much commit. A snapshot, without locks.
 */
bool MiPoolResourcesAvailable(POOL_TYPE BasePoolType, SIZE_T NumberOfBytes, ULONG ReservePages);
/* True if Va's page is a whole one-page allocation of either pool (a page of small blocks, say). */
bool MiIsSinglePagePoolAllocation(PVOID Va);
/*
 * The verdict on freeing Va as if it began a pool allocation when it does
 * not: BAD_POOL_CALLER 0x50/0x41286 (paged), 0x44/0x41 (nonpaged), 0x42
 * (no pool), 0x99 (an allocation that is not the caller's to free this way).
 */
NORETURN void MiBadPoolPagesFree(PVOID Va);

/* ------------------------------------------------------------------- pool.c */

/*
 * NT's x86 POOL_HEADER: 8 bytes in front of every small block. Sizes are in
 * 8-byte units: PreviousSize is the size of the block just before this one
 * in the same page (0 for the first), BlockSize this block's own size with
 * the header. PoolType is 0 for a free block and the pool type + 1 for an
 * allocated one; PoolIndex says which descriptor of that type owns it.
 */
typedef struct _POOL_HEADER {
    union {
        struct {
            USHORT PreviousSize : 9;
            USHORT PoolIndex : 7;
            USHORT BlockSize : 9;
            USHORT PoolType : 7;
        };
        ULONG Ulong1;
    };
    ULONG PoolTag;
} POOL_HEADER, *PPOOL_HEADER;

_Static_assert(sizeof(POOL_HEADER) == 8, "NT's x86 POOL_HEADER is 8 bytes");

#define POOL_BLOCK_SHIFT        3
#define POOL_SMALLEST_BLOCK     8                                   /* bytes in one unit */
#define POOL_OVERHEAD           ((ULONG)sizeof(POOL_HEADER))
#define POOL_PAGE_SIZE          PAGE_SIZE
#define POOL_LIST_HEADS         (POOL_PAGE_SIZE / POOL_SMALLEST_BLOCK) /* 512: one per block size */
#define POOL_BUDDY_MAX          (POOL_PAGE_SIZE - (POOL_OVERHEAD + POOL_SMALLEST_BLOCK)) /* 4080 */
#define POOL_SMALL_LISTS        32      /* lookaside lists for blocks of 1..32 units */
#define POOL_FREE_BLOCK         0       /* PoolType of a free block */
/* mm386: a freed block waiting in a pool lookaside list keeps this bit in PoolType. */
#define POOL_IN_LOOKASIDE       0x40

/* A pool (NT's POOL_DESCRIPTOR): free lists per block size and counters. */
typedef struct _POOL_DESCRIPTOR {
    POOL_TYPE PoolType;
    ULONG PoolIndex;
    ULONG RunningAllocs;        /* small blocks handed out from the lists (not lookaside hits) */
    ULONG RunningDeAllocs;
    ULONG TotalPages;           /* pages split into small blocks */
    volatile ULONG TotalBigPages;
    ULONG ListsInUse[POOL_LIST_HEADS / 32];     /* mm386: bit n set when ListHeads[n] is not empty */
    ULONG ListsInUseSummary;                    /* mm386: bit w set when ListsInUse[w] is not 0 */
    LIST_ENTRY ListHeads[POOL_LIST_HEADS];      /* free blocks of n units on ListHeads[n] */
} POOL_DESCRIPTOR, *PPOOL_DESCRIPTOR;

extern POOL_DESCRIPTOR NonPagedPoolDescriptor, PagedPoolDescriptor;

/* Sizes are in units: a page holds this many. */
#define POOL_UNITS_PER_PAGE     (POOL_PAGE_SIZE >> POOL_BLOCK_SHIFT)
/* Where PoolType starts in the header's upper 16 bits (above the 9 bits of BlockSize). */
#define POOL_TYPE_SHIFT         9
/* Extra units a cache-aligned request needs so an aligned body fits somewhere in its block. */
#define POOL_CACHE_ALIGN_UNITS  ((POOL_CACHE_ALIGNMENT - POOL_SMALLEST_BLOCK) >> POOL_BLOCK_SHIFT)

/* The header Units units after Entry (before it, for a negative count). */
static inline PPOOL_HEADER ExpBlockAt(PPOOL_HEADER Entry, LONG Units)
{
    return (PPOOL_HEADER)((char *)Entry + Units * POOL_SMALLEST_BLOCK);
}

/* Where a block starts within its page, in units. */
static inline ULONG ExpPageOffset(const POOL_HEADER *Entry)
{
    return BYTE_OFFSET(Entry) >> POOL_BLOCK_SHIFT;
}

static inline PPOOL_DESCRIPTOR ExpPoolDescriptor(POOL_TYPE BasePoolType)
{
    return BasePoolType == NonPagedPool ? &NonPagedPoolDescriptor : &PagedPoolDescriptor;
}

/* The units of a small block holding NumberOfBytes (1..4080) with its header. */
static inline ULONG ExpBytesToUnits(SIZE_T NumberOfBytes)
{
    return (NumberOfBytes + POOL_OVERHEAD + POOL_SMALLEST_BLOCK - 1) >> POOL_BLOCK_SHIFT;
}

/*
 * The header's lower half, PreviousSize | PoolIndex << 9, read as one
 * 16-bit word (mm386 has one descriptor per pool, so PoolIndex is 0). The
 * pool is compiled with -fno-strict-aliasing.
 */
static inline ULONG ExpPreviousAndIndex(const POOL_HEADER *Entry)
{
    return ((const USHORT *)Entry)[0];
}

/* The block's size in bytes, its header included: BlockSize in units. */
static inline ULONG ExpBlockBytes(const POOL_HEADER *Entry)
{
    return (ULONG)Entry->BlockSize << POOL_BLOCK_SHIFT;
}

/*
 * The header's last byte is BlockSize's top bit and PoolType above it. A
 * block of up to 32 units (a lookaside list's) has that bit clear, so the
 * byte is its PoolType << 1 and one store marks it allocated in its pool
 * (clearing POOL_IN_LOOKASIDE) or cached in a lookaside list.
 */
static inline void ExpSetAllocatedType(PPOOL_HEADER Entry, POOL_TYPE BasePoolType)
{
    ((UCHAR *)Entry)[3] = (UCHAR)((BasePoolType + 1) << 1);
}

static inline void ExpMarkInLookaside(PPOOL_HEADER Entry)
{
    ((UCHAR *)Entry)[3] |= POOL_IN_LOOKASIDE << 1;
}

/*
 * Small blocks (poolblk.c), for pool.c's paths. They take and release the
 * pool's lock. regparm(3), as a call to a static function would be: every
 * allocation and free on the free lists passes through them.
 *
 * A block of Units units for Tag from nonpaged or paged pool, or a
 * cache-aligned one (Units plus slack), counted against Tag: the body, or
 * NULL when the pool is exhausted. IRQL as the pool allows.
 */
__attribute__((regparm(3))) PVOID ExpAllocateNonPagedBlock(ULONG Units, ULONG Tag);
__attribute__((regparm(3))) PVOID ExpAllocatePagedBlock(ULONG Units, ULONG Tag);
__attribute__((regparm(3))) PVOID ExpAllocateAlignedBlock(POOL_TYPE BasePoolType, ULONG Units, ULONG Tag);
/* A block of Units units for Tag from the free lists only, counted; NULL if it would need a new page. */
PVOID ExpAllocateBlockWithoutNewPage(POOL_TYPE BasePoolType, ULONG Units, ULONG Tag);
/*
 * Frees an allocated block of Units units whose type, index and tag the
 * caller checked, to the free lists (checked against both neighbours,
 * BAD_POOL_HEADER otherwise), and counts the free against Tag.
 */
__attribute__((regparm(3))) void ExpFreeNonPagedListBlock(PPOOL_HEADER Entry, ULONG Tag, ULONG Units);
__attribute__((regparm(3))) void ExpFreePagedListBlock(PPOOL_HEADER Entry, ULONG Tag, ULONG Units);
/* The same without counting: for a block the caller counts itself, or one leaving a lookaside list. */
void ExpFreeSmallBlock(POOL_TYPE BasePoolType, PPOOL_HEADER Entry);
/* BAD_POOL_HEADER (0x19) unless Entry's size agrees with its page and both neighbours' headers. */
void ExpCheckBlockNeighbours(PPOOL_HEADER Entry);
/* Phase 0: the descriptors and their locks. */
void ExpInitializePoolDescriptors(void);

/* Phase 0 (after MiInitializeCommitment): every pool structure; no locks taken. */
void MiInitializePool(void);
/* Phase 1: special pool (it needs system PTEs, which need locks), the pool's leak guard. */
void MiInitializePoolPhase1(void);
/*
 * Frees a small block that sits in a lookaside list (POOL_IN_LOOKASIDE set)
 * to its pool's free lists. For the lookaside code draining a list.
 */
void ExpFreeCachedPoolBlock(PPOOL_HEADER Entry);

/* ---------------------------------------------------------------- pooltag.c */

/*
 * Pool tracking: per-tag counters (poolmon) and the big-page table (VA ->
 * tag, size). A tag's row is NT's POOL_TRACKER_TABLE: the tag and its
 * allocations, frees and bytes for each pool type (indexed by pool type
 * here). Counting is on every allocation and free, so the common case — the
 * tag sits in its home slot — is inline; the rest of the probe, and
 * claiming a row for a new tag, are in pooltag.c. Any IRQL <= DISPATCH_LEVEL.
 */
typedef struct _POOL_TRACKER_COUNTS {
    volatile ULONG Allocs;
    volatile ULONG Frees;
    volatile SIZE_T Bytes;
} POOL_TRACKER_COUNTS;

typedef struct _POOL_TRACKER_TABLE {
    volatile ULONG Key;                         /* 0: the row is unused */
    POOL_TRACKER_COUNTS Pool[2];                /* [NonPagedPool], [PagedPool] */
    ULONG Reserved;                             /* to 32 bytes: a row is found with one shift */
} POOL_TRACKER_TABLE, *PPOOL_TRACKER_TABLE;

_Static_assert(sizeof(POOL_TRACKER_TABLE) == 32, "a tag row is 32 bytes");

#define POOL_TRACK_TABLE_SHIFT  10
#define POOL_TRACK_TABLE_SIZE   (1u << POOL_TRACK_TABLE_SHIFT)
/* One more row at the end: 'Ovfl', for tags that find the table full. */
extern POOL_TRACKER_TABLE PoolTrackTable[POOL_TRACK_TABLE_SIZE + 1];

/* A tag's home row: the top bits of a multiplicative hash (pool.c's fast paths compute it in assembly). */
#define POOL_TAG_HASH_MULTIPLIER    0x9E3779B1u

static inline ULONG ExpTagHash(ULONG Key)
{
    return (Key * POOL_TAG_HASH_MULTIPLIER) >> (32 - POOL_TRACK_TABLE_SHIFT);
}

/* Key's row, found past its home slot or claimed now. */
PPOOL_TRACKER_TABLE ExpFindPoolTracker(ULONG Key);
/* ExpInsertPoolTracker / ExpRemovePoolTracker for a tag that is not in its home row. */
void ExpUpdatePoolTrackerElsewhere(ULONG Key, LONG Allocs, LONG Frees, SIZE_T NumberOfBytes, POOL_TYPE PoolType);

static inline POOL_TRACKER_COUNTS *ExpPoolTrackerCounts(ULONG Key, POOL_TYPE PoolType)
{
    PPOOL_TRACKER_TABLE Row = &PoolTrackTable[ExpTagHash(Key)];
    if (UNLIKELY(Row->Key != Key))
        Row = ExpFindPoolTracker(Key);
    return &Row->Pool[PoolType];
}

/*
 * Counts an allocation (a free) of NumberOfBytes against Key. The home row
 * is updated here, inline; any other row by ExpUpdatePoolTrackerElsewhere,
 * so the common case addresses its counters straight from the hash.
 */
static inline void ExpInsertPoolTracker(ULONG Key, SIZE_T NumberOfBytes, POOL_TYPE PoolType)
{
    PPOOL_TRACKER_TABLE Row = &PoolTrackTable[ExpTagHash(Key)];
    if (UNLIKELY(Row->Key != Key)) {
        ExpUpdatePoolTrackerElsewhere(Key, 1, 0, NumberOfBytes, PoolType);
        return;
    }
    __atomic_fetch_add(&Row->Pool[PoolType].Allocs, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&Row->Pool[PoolType].Bytes, NumberOfBytes, __ATOMIC_RELAXED);
}

static inline void ExpRemovePoolTracker(ULONG Key, SIZE_T NumberOfBytes, POOL_TYPE PoolType)
{
    PPOOL_TRACKER_TABLE Row = &PoolTrackTable[ExpTagHash(Key)];
    if (UNLIKELY(Row->Key != Key)) {
        ExpUpdatePoolTrackerElsewhere(Key, 0, 1, -NumberOfBytes, PoolType);
        return;
    }
    __atomic_fetch_add(&Row->Pool[PoolType].Frees, 1, __ATOMIC_RELAXED);
    __atomic_fetch_sub(&Row->Pool[PoolType].Bytes, NumberOfBytes, __ATOMIC_RELAXED);
}

void ExpInitializePoolTracking(void);
/* Records a big allocation; false if the table is full and cannot grow. */
bool ExpAddTagForBigPages(PVOID Va, ULONG Key, ULONG NumberOfPages);
/*
 * Removes the big allocation at Va and returns its page count and tag, or 0
 * if Va starts none. A nonzero CheckTag that differs from the recorded tag
 * is BAD_POOL_CALLER (0x0A), and the entry stays.
 */
ULONG ExpFindAndRemoveTagBigPages(PVOID Va, ULONG CheckTag, PULONG Key);
/* Finds the big allocation containing Va: its start, tag and pages; false if none. */
bool ExpFindBigPages(PVOID Va, PVOID *Start, PULONG Key, PULONG NumberOfPages);
/*
 * The leak guard on the tag table (Snapshot before a test, Check after,
 * naming every tag whose live allocations or bytes changed; Quiesce drains
 * the pool's lookaside lists), and its registration with the harness.
 */
extern const struct _KTEST_GUARD ExpPoolTagGuard;
void ExpRegisterPoolTagGuard(void);
/* Entries in the big-page table now, and its capacity (for tests and !vm). */
void ExpQueryBigPageTable(PULONG Used, PULONG Size);

/* ---------------------------------------------------------------- lookasid.c */

/*
 * The pool's own per-size lookaside lists (NT's per-processor
 * PPNPagedLookasideList and PPPagedLookasideList), indexed by pool type and
 * block size - 1.
 */
extern GENERAL_LOOKASIDE ExpSmallPoolLookasideLists[PagedPool + 1][POOL_SMALL_LISTS];
#define POOL_SMALL_LOOKASIDE_DEPTH  32
void ExpInitializePoolLookasideLists(void);
/* Empties the pool's own lookaside lists back into the pool. IRQL <= APC_LEVEL. */
void ExpDrainPoolLookasideLists(void);

/*
 * One lookaside list as the debugger sees it (kd>'s !lookaside,
 * mm/kdpool.c): where it is, a copy of it, how many entries wait on it now,
 * and whether it is one of the pool's own lists.
 */
typedef struct _EXP_LOOKASIDE_SNAPSHOT {
    PGENERAL_LOOKASIDE Address;
    GENERAL_LOOKASIDE List;
    USHORT CurrentDepth;
    BOOLEAN PoolOwn;
} EXP_LOOKASIDE_SNAPSHOT;

/*
 * Copies up to Count lists into Out — nonpaged first, then paged, each in
 * the order they were made (the pool's own lists by size, then the
 * clients') — and sets *Total to how many there are. STATUS_DEVICE_BUSY on
 * a kernel stopped in the debugger whose stopped code holds the lists'
 * lock. IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS ExpSnapshotLookasideLists(EXP_LOOKASIDE_SNAPSHOT *Out, ULONG Count, ULONG *Total);

/* ---------------------------------------------------------------- specpool.c */

/*
 * Special pool (/SPECIALPOOL=TAG): MmSpecialPoolStart..MmSpecialPoolEnd,
 * pairs of a data page and a no-access guard page. NULL when not enabled.
 */
extern PVOID MmSpecialPoolStart, MmSpecialPoolEnd;
extern ULONG MmSpecialPoolTag;              /* 0 when special pool is off */

static inline bool MiIsSpecialPoolAddress(const void *Va)
{
    return (ULONG)Va >= (ULONG)MmSpecialPoolStart && (ULONG)Va < (ULONG)MmSpecialPoolEnd;
}

/* Phase 1: reserves special pool's system PTEs when /SPECIALPOOL is given. */
void MiInitializeSpecialPool(void);
/*
 * An allocation with the special tag, placed against the guard page after
 * it, or (Underrun) against the one before it; NULL if it cannot be made
 * (the caller falls back to the normal pool).
 */
PVOID MmAllocateSpecialPool(SIZE_T NumberOfBytes, ULONG Tag, POOL_TYPE PoolType, bool Underrun);
/* Frees a special pool allocation; checks the bytes around it (0xC1) and the tag (0xC2, 0x0A). */
void MmFreeSpecialPool(PVOID P, ULONG Tag);
SIZE_T MmQuerySpecialPoolBlockSize(PVOID P);
/* Describes the special pool allocation on Va's page for ExpWalkPoolPage; false if there is none. */
bool MiQuerySpecialPoolBlock(PVOID Va, PPOOL_BLOCK_INFORMATION Block);
/* The verdict on a fault in special pool: 0xCD on a guard page, 0xCC on a freed page. */
NORETURN void MiSpecialPoolFault(PVOID Va, bool Write, const KTRAP_FRAME *TrapFrame);

/* ----------------------------------------------------------------- kdexts.c */

#define MI_PTE_DESCRIPTION_LINES    4
#define MI_PTE_DESCRIPTION_LENGTH   48
/*
 * The lines !pte prints under "contains" for the entry at PointerPte that
 * holds Pte: the frame and WinDbg's flags when it is valid, else "not valid"
 * and its software format. Returns how many lines it wrote.
 */
ULONG MiDescribePte(char Lines[MI_PTE_DESCRIPTION_LINES][MI_PTE_DESCRIPTION_LENGTH], PMMPTE PointerPte,
                    MMPTE Pte);

/* ------------------------------------------------------------------ kdvad.c */

/* !address's user regions of the current process, and !address -summary. */
void MiKdPrintUserRegions(void);
void MiKdPrintAddressSummary(void);
/* !vm's last section: each process's commit charge. */
void MiKdPrintProcessCommit(void);
/* !pte's last line for a user address whose PTE is zero: what its VAD says. */
void MiKdDescribeZeroUserPte(ULONG Va);

#endif
