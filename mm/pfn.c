/*
 * mm/pfn.c — the page lists, page allocation, and each page's counts.
 *
 * NT knows every physical page by its state, and keeps the pages that are
 * not in use on doubly linked lists threaded through their PFN entries (the
 * links are PFN indices, not pointers): zeroed, free, standby, modified,
 * modified-no-write and bad. A page in use is ActiveAndValid and on no list.
 * MmAvailablePages counts the pages that can be handed out right away:
 * zeroed + free + standby.
 *
 * Handing out: MiRemoveAnyPage takes from the free list, then the zeroed
 * list, then standby (NT's order: a caller that does not need zeroes should
 * not use up pages someone already zeroed). A standby page still belongs, in
 * a way, to the PTE it left: that PTE is in transition, naming the page, so
 * before the page is reused the PTE is put back to the software format the
 * PFN entry kept (OriginalPte) — reached through hyperspace, since it may be
 * another address space's. MiRemoveZeroPage takes a zeroed page, or another
 * that it zeroes. When nothing is left both return MI_NO_PAGE.
 *
 * Who holds a page, NT's way: the share count is how many PTEs map it, the
 * reference count how many reasons it has to stay — one for all its PTEs
 * together, one per MDL lock. A page handed out has neither; its owner
 * takes them (MiInitializePfn* when a PTE maps it, an MDL lock). Ending a
 * mapping (MiDeletePageMapping, MiDeleteValidPte) marks the page deleted and
 * drops its share; the last share drops the PTEs' reference; the last
 * reference sends the page to the free list — or, for a page not deleted,
 * to the standby or modified list, its PTE in transition. So a page leaves
 * for a list only when nothing holds it. Giving back a page that is still
 * referenced is PFN_LIST_CORRUPT (0x4E) 0x9A, one already on a list (freed
 * twice) 0x99, a count dropped below zero 0x07 — NT's parameters — and a
 * frame that is not RAM MEMORY_MANAGEMENT (0x1A). Every write to an entry
 * happens under the PFN lock, a spin lock at DISPATCH_LEVEL.
 */
#include "mi.h"

PMMPFN MmPfnDatabase;
KSPIN_LOCK MmPfnLock;
PFN_NUMBER MmAvailablePages;
ULONG MmSystemLockPagesCount;

MMPFNLIST MmZeroedPageListHead = { 0, ZeroedPageList, MM_EMPTY_LIST, MM_EMPTY_LIST };
MMPFNLIST MmFreePageListHead = { 0, FreePageList, MM_EMPTY_LIST, MM_EMPTY_LIST };
MMPFNLIST MmStandbyPageListHead = { 0, StandbyPageList, MM_EMPTY_LIST, MM_EMPTY_LIST };
MMPFNLIST MmModifiedPageListHead = { 0, ModifiedPageList, MM_EMPTY_LIST, MM_EMPTY_LIST };
MMPFNLIST MmModifiedNoWritePageListHead = { 0, ModifiedNoWritePageList, MM_EMPTY_LIST, MM_EMPTY_LIST };
MMPFNLIST MmBadPageListHead = { 0, BadPageList, MM_EMPTY_LIST, MM_EMPTY_LIST };

PMMPFNLIST MmPageLocationList[BadPageList + 1] = {
    &MmZeroedPageListHead, &MmFreePageListHead, &MmStandbyPageListHead,
    &MmModifiedPageListHead, &MmModifiedNoWritePageListHead, &MmBadPageListHead,
};

#define PFN_U3 MI_PFN_U3

static inline bool CountsAsAvailable(MMLISTS List)
{
    return List <= StandbyPageList;
}

static inline bool OnAList(MMLISTS Location)
{
    return Location <= BadPageList;
}

static NORETURN __attribute__((cold, noinline)) void NotAPage(PFN_NUMBER Pfn)
{
    KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_NOT_A_PAGE, Pfn, MmHighestPhysicalPage, 0);
}

__attribute__((cold, noinline)) void MiCorruptPageState(PFN_NUMBER Pfn)
{
    KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_PAGE_STATE, Pfn, MI_PFN_ELEMENT(Pfn)->u3.e2.e1.PageLocation, 0);
}

__attribute__((cold, noinline)) void MiPfnLockNotHeld(PFN_NUMBER Pfn)
{
    KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_PFN_LOCK_NOT_HELD, Pfn, 0, 0);
}

/* A count dropped below zero. On a list the share count's word is a link: it is reported as 0. */
static NORETURN __attribute__((cold, noinline)) void CountUnderflow(PFN_NUMBER Pfn)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    ULONG Share = Pfn1->u3.e2.e1.PageLocation <= BadPageList ? 0 : Pfn1->u2.ShareCount;
    KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_COUNT_UNDERFLOW, Pfn, Share, 0);
}

/* Bugchecks unless Pfn is a page of RAM. Most pages are in the last run: it is tried first. */
static inline void CheckFrame(PFN_NUMBER Pfn)
{
    const PHYSICAL_MEMORY_RUN *Last = &MmPhysicalMemoryBlock.Run[MmPhysicalMemoryBlock.NumberOfRuns - 1];
    if (Pfn - Last->BasePage < Last->PageCount)
        return;
    if (!MiIsPhysicalPage(Pfn))
        NotAPage(Pfn);
}

/* The page leaves the lists: in use, nothing holding it yet, no PTE, no working set entry (no list link). */
static inline void MakeActiveUnreferenced(PMMPFN Pfn1)
{
    Pfn1->u3.Long = PFN_U3(ActiveAndValid, 0);
    Pfn1->u1.WsIndex = 0;
    Pfn1->u2.ShareCount = 0;
    Pfn1->PteAddress = NULL;
}

/* Unlinks Pfn from the list it is on. PFN lock held. */
static inline void Unlink(PMMPFNLIST ListHead, MMLISTS List, PFN_NUMBER Pfn)
{
    PMMPFN Database = MmPfnDatabase;
    PMMPFN Pfn1 = &Database[Pfn];
    PFN_NUMBER Next = Pfn1->u1.Flink, Previous = Pfn1->u2.Blink;

    if (Previous == MM_EMPTY_LIST)
        ListHead->Flink = Next;
    else
        Database[Previous].u1.Flink = Next;
    if (Next == MM_EMPTY_LIST)
        ListHead->Blink = Previous;
    else
        Database[Next].u2.Blink = Previous;
    ListHead->Total--;
    if (CountsAsAvailable(List))
        MmAvailablePages--;
}

__attribute__((cold, noinline)) void MiCorruptListHead(PMMPFNLIST ListHead)
{
    KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_LIST_HEAD, (ULONG_PTR)ListHead, ListHead->Total,
                 ListHead->Flink);
}

/*
 * A standby page is about to be reused: the PTE it left (in transition,
 * naming the page) gets back the software PTE it held before (OriginalPte),
 * and the page table holding it loses the share that PTE held. The page
 * table is reached through hyperspace by its frame (PteFrame), so this
 * works for any address space. PFN lock held. A PTE that is not this page's
 * transition PTE is PFN_LIST_CORRUPT 0x99.
 */
static void MiRestoreTransitionPte(PMMPFN Pfn1, PFN_NUMBER Pfn)
{
    PFN_NUMBER TableFrame = Pfn1->u4.PteFrame;
    KIRQL HyperIrql;
    PMMPTE Table = MiMapPageInHyperSpace(TableFrame, &HyperIrql);
    PMMPTE Pte = Table + BYTE_OFFSET(Pfn1->PteAddress) / sizeof(MMPTE);
    MMPTE Value = MiReadPte(Pte);

    if (Value.u.Hard.Valid || !Value.u.Trans.Transition || Value.u.Trans.Prototype ||
        Value.u.Trans.PageFrameNumber != Pfn) {
        MiUnmapPageInHyperSpace(Table, HyperIrql);
        MiCorruptPageState(Pfn);
    }
    MiWritePte(Pte, Pfn1->OriginalPte);
    MiUnmapPageInHyperSpace(Table, HyperIrql);
    MiDecrementShareCount(MI_PFN_ELEMENT(TableFrame), TableFrame);
}

/*
 * Takes the first page off the standby list and returns it, unreferenced:
 * the PTE it left is given back its software form first
 * (MiRestoreTransitionPte). The head has no predecessor, so only its
 * successor's back link changes. PFN lock held.
 */
static PFN_NUMBER RemoveStandbyHead(void)
{
    PMMPFNLIST ListHead = &MmStandbyPageListHead;
    PMMPFN Database = MmPfnDatabase;
    PFN_NUMBER Pfn = ListHead->Flink;
    if (Pfn == MM_EMPTY_LIST)
        MiCorruptListHead(ListHead);
    PMMPFN Pfn1 = &Database[Pfn];
    PFN_NUMBER Next = Pfn1->u1.Flink;

    ListHead->Flink = Next;
    if (Next == MM_EMPTY_LIST)
        ListHead->Blink = MM_EMPTY_LIST;
    else
        Database[Next].u2.Blink = MM_EMPTY_LIST;
    ListHead->Total--;
    MmAvailablePages--;
    MiRestoreTransitionPte(Pfn1, Pfn);
    MakeActiveUnreferenced(Pfn1);
    return Pfn;
}

/* MiRemoveAnyPageLocked's path when the free list is empty: zeroed, then standby. */
PFN_NUMBER MiRemovePageFromOtherLists(void)
{
    if (MmZeroedPageListHead.Total)
        return MiRemoveZeroPageIfAnyLocked();
    if (MmStandbyPageListHead.Total)
        return RemoveStandbyHead();
    return MI_NO_PAGE;
}

PFN_NUMBER MiRemoveAnyPage(void)
{
    KIRQL OldIrql;
    LOCK_PFN(OldIrql);
    PFN_NUMBER Pfn = MiRemoveAnyPageLocked();
    UNLOCK_PFN(OldIrql);
    return Pfn;
}

PFN_NUMBER MiRemoveZeroPage(void)
{
    KIRQL OldIrql;
    PFN_NUMBER Pfn;

    LOCK_PFN(OldIrql);
    Pfn = MiRemoveZeroPageIfAnyLocked();
    if (Pfn != MI_NO_PAGE) {
        UNLOCK_PFN(OldIrql);
        return Pfn;
    }
    Pfn = MiRemoveAnyPageLocked();
    UNLOCK_PFN(OldIrql);
    if (Pfn != MI_NO_PAGE)
        MiZeroPhysicalPage(Pfn);
    return Pfn;
}

/*
 * Links a page nothing holds into a list. Zeroed and free pages go to the
 * head (the most recently freed is the warmest) and forget their PTE;
 * standby and modified pages go to the tail and keep PteAddress,
 * OriginalPte, PteFrame and their flags: their PTE is in transition and
 * may take them back. PFN lock held; List is ListHead's name.
 */
static void LinkPage(PMMPFNLIST ListHead, MMLISTS List, PFN_NUMBER Pfn)
{
    PMMPFN Database = MmPfnDatabase;
    PMMPFN Pfn1 = &Database[Pfn];

    if (List <= FreePageList) {
        Pfn1->u3.Long = PFN_U3(List, 0);
        Pfn1->PteAddress = NULL;
        PFN_NUMBER First = ListHead->Flink;
        Pfn1->u1.Flink = First;
        Pfn1->u2.Blink = MM_EMPTY_LIST;
        if (First == MM_EMPTY_LIST)
            ListHead->Blink = Pfn;
        else
            Database[First].u2.Blink = Pfn;
        ListHead->Flink = Pfn;
    } else {
        Pfn1->u3.e2.ReferenceCount = 0;
        Pfn1->u3.e2.e1.PageLocation = List;
        PFN_NUMBER Last = ListHead->Blink;
        Pfn1->u1.Flink = MM_EMPTY_LIST;
        Pfn1->u2.Blink = Last;
        if (Last == MM_EMPTY_LIST)
            ListHead->Flink = Pfn;
        else
            Database[Last].u1.Flink = Pfn;
        ListHead->Blink = Pfn;
    }
    ListHead->Total++;
    if (CountsAsAvailable(List))
        MmAvailablePages++;
    if (List == FreePageList && !MmZeroingPageThreadActive && ListHead->Total >= MI_FREE_PAGES_TO_ZERO)
        MiWakeZeroPageThread();
}

/*
 * Bugchecks unless Pfn may be given to a list by its holder: RAM, in use,
 * no reference, no share. PFN lock held.
 */
static void CheckPageToInsert(PFN_NUMBER Pfn)
{
    CheckFrame(Pfn);
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    MMLISTS Location = Pfn1->u3.e2.e1.PageLocation;

    if (OnAList(Location))
        MiCorruptPageState(Pfn);
    if (Pfn1->u3.e2.ReferenceCount != 0)
        KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_PAGE_REFERENCED, Pfn, Location, Pfn1->u3.e2.ReferenceCount);
    if (Pfn1->u2.ShareCount != 0)
        CountUnderflow(Pfn);
    if (Location != ActiveAndValid)
        MiCorruptPageState(Pfn);
}

void MiInsertPageInList(PMMPFNLIST ListHead, PFN_NUMBER Pfn)
{
    CheckPageToInsert(Pfn);
    LinkPage(ListHead, ListHead->ListName, Pfn);
}

/* MiInsertPageInFreeListLocked for pages its fast check does not cover: every check, then the insert. */
void MiInsertPageInFreeListChecked(PFN_NUMBER Pfn)
{
    CheckPageToInsert(Pfn);
    LinkPage(&MmFreePageListHead, FreePageList, Pfn);
}

void MiInsertPageInFreeList(PFN_NUMBER Pfn)
{
    KIRQL OldIrql;
    LOCK_PFN(OldIrql);
    MiInsertPageInFreeListLocked(Pfn);
    UNLOCK_PFN(OldIrql);
}

void MiUnlinkPageFromList(PFN_NUMBER Pfn)
{
    CheckFrame(Pfn);
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    MMLISTS List = Pfn1->u3.e2.e1.PageLocation;
    if (List != ZeroedPageList && List != FreePageList)
        MiCorruptPageState(Pfn);
    Unlink(MmPageLocationList[List], List, Pfn);
    MakeActiveUnreferenced(Pfn1);
}

/* ------------------------------------------------------------------ counts */

/*
 * MiPageTableFrame's path when PointerPte's PDE is not valid here: a system
 * PDE this address space lacks is copied from the master; no page table at
 * all is MEMORY_MANAGEMENT 0x61940 (NT's).
 */
__attribute__((noinline)) PFN_NUMBER MiPageTableFrameNotPresent(PMMPTE PointerPte)
{
    PMMPTE Pde = MiAddressToPte(PointerPte);
    MiSyncSystemPde(MiPteToAddress(PointerPte));
    MMPTE Value = MiReadPte(Pde);
    if (!Value.u.Hard.Valid)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_PDE_INVALIDATED, (ULONG_PTR)PointerPte, Value.u.Long,
                     (ULONG_PTR)MiPteToAddress(PointerPte));
    return Value.u.Hard.PageFrameNumber;
}

void MiInitializePfnAndMakePteValid(PFN_NUMBER Pfn, PMMPTE PointerPte, MMPTE TempPte)
{
    PFN_NUMBER PteFrame = MiPageTableFrame(PointerPte);
    MiInitializeActivePfn(Pfn, PointerPte, MiMakeDemandZeroPte(MM_READWRITE), PteFrame, true);
    MiWritePte(PointerPte, TempPte);
}

void MiInitializePfnForOtherProcess(PFN_NUMBER Pfn, PMMPTE PointerPte, PFN_NUMBER PteFrame)
{
    MiInitializeActivePfn(Pfn, PointerPte, MiMakeDemandZeroPte(MM_READWRITE), PteFrame, true);
}

/* A section's page left by its last PTE: its prototype PTE (resident, in paged pool) goes into transition. */
static __attribute__((noinline)) void MiPrototypePteToTransition(PMMPFN Pfn1, PFN_NUMBER Pfn)
{
    if (!MI_IS_PFN_DELETED(Pfn1))
        MiWritePte(Pfn1->PteAddress, MiMakeTransitionPte(Pfn, Pfn1->OriginalPte.u.Soft.Protection));
}

/* MayBePrototype false: a page table's or a private page's (faster where that is known). */
static inline __attribute__((always_inline)) void DecrementShareCount(PMMPFN Pfn1, PFN_NUMBER Pfn, bool MayBePrototype)
{
    if (Pfn1->u3.e2.e1.PageLocation != ActiveAndValid)
        MiCorruptPageState(Pfn);
    if (Pfn1->u2.ShareCount == 0)
        CountUnderflow(Pfn);
    if (--Pfn1->u2.ShareCount != 0)
        return;
    /*
     * No PTE maps it now; the reference they held goes. A section's page
     * keeps its data: its prototype PTE (in paged pool, resident) goes into
     * transition, naming the page, which goes to the standby or modified list.
     */
    if (MayBePrototype && UNLIKELY(Pfn1->u3.e2.e1.PrototypePte))
        MiPrototypePteToTransition(Pfn1, Pfn);
    Pfn1->u3.e2.e1.PageLocation = TransitionPage;
    MiDecrementReferenceCount(Pfn1, Pfn);
}

void MiDecrementShareCount(PMMPFN Pfn1, PFN_NUMBER Pfn)
{
    DecrementShareCount(Pfn1, Pfn, true);
}

void MiUnlinkTransitionPage(PFN_NUMBER Pfn)
{
    CheckFrame(Pfn);
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    MMLISTS List = Pfn1->u3.e2.e1.PageLocation;
    if (List != StandbyPageList && List != ModifiedPageList)
        MiCorruptPageState(Pfn);
    Unlink(MmPageLocationList[List], List, Pfn);
    Pfn1->u3.e2.e1.PageLocation = ActiveAndValid;
    Pfn1->u3.e2.ReferenceCount = 0;
    Pfn1->u2.ShareCount = 0;
    Pfn1->u1.WsIndex = 0;
}

void MiDeleteTransitionPage(PFN_NUMBER Pfn, PMMPTE PointerPte)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    if (Pfn1->PteAddress != PointerPte)
        MiCorruptPageState(Pfn);
    MiWritePte(PointerPte, (MMPTE){ .u.Long = 0 });
    PFN_NUMBER PteFrame = Pfn1->u4.PteFrame;
    MiDecrementShareCount(MI_PFN_ELEMENT(PteFrame), PteFrame);
    if (Pfn1->u3.e2.e1.PageLocation == TransitionPage) {
        /* Off every list, an MDL lock still holds it: it goes free when the lock does. */
        MI_SET_PFN_DELETED(Pfn1);
        return;
    }
    MiUnlinkTransitionPage(Pfn);
    Pfn1->PteAddress = NULL;
    MiInsertPageInFreeListLocked(Pfn);
}

void MiDecrementReferenceCount(PMMPFN Pfn1, PFN_NUMBER Pfn)
{
    if (Pfn1->u3.e2.ReferenceCount == 0)
        CountUnderflow(Pfn);
    if (--Pfn1->u3.e2.ReferenceCount != 0)
        return;
    if (Pfn1->u2.ShareCount != 0)
        CountUnderflow(Pfn);
    if (OnAList(Pfn1->u3.e2.e1.PageLocation))
        MiCorruptPageState(Pfn);
    /* A page its owner released, or that no PTE ever mapped, has nothing to go back to. */
    if (MI_IS_PFN_DELETED(Pfn1) || Pfn1->PteAddress == NULL)
        LinkPage(&MmFreePageListHead, FreePageList, Pfn);
    else if (Pfn1->u3.e2.e1.Modified)
        LinkPage(&MmModifiedPageListHead, ModifiedPageList, Pfn);
    else
        LinkPage(&MmStandbyPageListHead, StandbyPageList, Pfn);
}

void MiDeletePageMapping(PFN_NUMBER Pfn)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);

    if (Pfn1->PteAddress == NULL || MI_IS_PFN_DELETED(Pfn1))
        MiCorruptPageState(Pfn);
    PFN_NUMBER PteFrame = Pfn1->u4.PteFrame;
    DecrementShareCount(MI_PFN_ELEMENT(PteFrame), PteFrame, false);
    MI_SET_PFN_DELETED(Pfn1);
    DecrementShareCount(Pfn1, Pfn, false);      /* deleted: a prototype PTE, if any, is left alone */
}

void MiDeleteValidPte(PMMPTE PointerPte)
{
    MMPTE Pte = MiReadPte(PointerPte);
    PFN_NUMBER Pfn = Pte.u.Hard.PageFrameNumber;

    if (!Pte.u.Hard.Valid || !MiIsPhysicalPage(Pfn))
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_PTE_CORRUPT, (ULONG_PTR)PointerPte, Pte.u.Long, 0);
    if (MI_PFN_ELEMENT(Pfn)->PteAddress != PointerPte)
        MiCorruptPageState(Pfn);
    MiWritePte(PointerPte, (MMPTE){ .u.Long = 0 });
    /* Before the frame can be reused: no stale translation may reach it. */
    HalInvalidatePage(MiPteToAddress(PointerPte));
    MiDeletePageMapping(Pfn);
}

void MiReferenceUnusedPageAndBumpLockCount(PFN_NUMBER Pfn)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    if (Pfn1->u3.e2.e1.PageLocation != ActiveAndValid || Pfn1->u3.e2.ReferenceCount != 0)
        MiCorruptPageState(Pfn);
    Pfn1->u3.e2.ReferenceCount = 1;
    MmSystemLockPagesCount++;
}

void MiReferenceUsedPageAndBumpLockCount(PFN_NUMBER Pfn)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    if (OnAList(Pfn1->u3.e2.e1.PageLocation) || Pfn1->u3.e2.ReferenceCount == 0 ||
        Pfn1->u3.e2.ReferenceCount == 0xFFFF)
        MiCorruptPageState(Pfn);
    Pfn1->u3.e2.ReferenceCount++;
    MmSystemLockPagesCount++;
}

void MiDereferencePfnAndDropLockCount(PFN_NUMBER Pfn)
{
    if (MmSystemLockPagesCount == 0)
        CountUnderflow(Pfn);
    MmSystemLockPagesCount--;
    MiDecrementReferenceCount(MI_PFN_ELEMENT(Pfn), Pfn);
}

void MiZeroPhysicalPage(PFN_NUMBER Pfn)
{
    KIRQL OldIrql;
    PVOID Va = MiMapPageInHyperSpace(Pfn, &OldIrql);
    RtlFillMemoryUlong(Va, PAGE_SIZE, 0);
    MiUnmapPageInHyperSpace(Va, OldIrql);
}
