/*
 * mm/pfn.c — the page lists and page allocation.
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
 * not use up pages someone already zeroed). MiRemoveZeroPage takes a zeroed
 * page, or a free page that it zeroes through hyperspace. When nothing is
 * left both return MI_NO_PAGE, which callers test for.
 *
 * Giving back: MiInsertPageInFreeList. Inserting a page that is already on a
 * list — freeing it twice — is PFN_LIST_CORRUPT (0x4E, 0x99, PFN, state); a
 * frame that is not RAM is MEMORY_MANAGEMENT (0x1A). All of it under the
 * PFN lock, a spin lock at DISPATCH_LEVEL.
 */
#include "mi.h"

PMMPFN MmPfnDatabase;
KSPIN_LOCK MmPfnLock;
PFN_NUMBER MmAvailablePages;

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

static NORETURN void NotAPage(PFN_NUMBER Pfn)
{
    KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_NOT_A_PAGE, Pfn, MmHighestPhysicalPage, 0);
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

/* Unlinks Pfn from the list it is on; it becomes active with References references. PFN lock held. */
static inline void Unlink(PMMPFNLIST ListHead, MMLISTS List, PFN_NUMBER Pfn, USHORT References)
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

    Pfn1->u3.Long = PFN_U3(ActiveAndValid, References);
    Pfn1->u2.ShareCount = 0;
    Pfn1->PteAddress = NULL;
}

static NORETURN __attribute__((cold, noinline)) void CorruptListHead(PMMPFNLIST ListHead)
{
    KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_LIST_HEAD, (ULONG_PTR)ListHead, ListHead->Total,
                 ListHead->Flink);
}

/*
 * Takes the first page off a list and returns it referenced once. The head
 * has no predecessor, so only its successor's back link changes. List is a
 * constant at every call, so the bookkeeping folds away.
 */
static inline PFN_NUMBER RemoveHead(PMMPFNLIST ListHead, MMLISTS List)
{
    PMMPFN Database = MmPfnDatabase;
    PFN_NUMBER Pfn = ListHead->Flink;
    if (Pfn == MM_EMPTY_LIST)
        CorruptListHead(ListHead);
    PMMPFN Pfn1 = &Database[Pfn];
    PFN_NUMBER Next = Pfn1->u1.Flink;

    ListHead->Flink = Next;
    if (Next == MM_EMPTY_LIST)
        ListHead->Blink = MM_EMPTY_LIST;
    else
        Database[Next].u2.Blink = MM_EMPTY_LIST;
    ListHead->Total--;
    if (CountsAsAvailable(List))
        MmAvailablePages--;

    Pfn1->u3.Long = PFN_U3(ActiveAndValid, 1);
    Pfn1->u2.ShareCount = 0;
    Pfn1->PteAddress = NULL;
    return Pfn;
}

/* MiRemoveAnyPageLocked's path when the free list is empty: zeroed, then standby. */
PFN_NUMBER MiRemovePageFromOtherLists(void)
{
    if (MmZeroedPageListHead.Total)
        return RemoveHead(&MmZeroedPageListHead, ZeroedPageList);
    if (MmStandbyPageListHead.Total)
        return RemoveHead(&MmStandbyPageListHead, StandbyPageList);
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
    if (MmZeroedPageListHead.Total) {
        Pfn = RemoveHead(&MmZeroedPageListHead, ZeroedPageList);
        UNLOCK_PFN(OldIrql);
        return Pfn;
    }
    Pfn = MiRemoveAnyPageLocked();
    UNLOCK_PFN(OldIrql);
    if (Pfn != MI_NO_PAGE)
        MiZeroPhysicalPage(Pfn);
    return Pfn;
}

/* Links an active page into a list. PFN lock held; List is ListHead's name. */
static inline void InsertPage(PMMPFNLIST ListHead, MMLISTS List, PFN_NUMBER Pfn)
{
    CheckFrame(Pfn);
    PMMPFN Database = MmPfnDatabase;
    PMMPFN Pfn1 = &Database[Pfn];
    if (Pfn1->u3.e2.e1.PageLocation != ActiveAndValid)
        KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_PAGE_STATE, Pfn,
                     Pfn1->u3.e2.e1.PageLocation, ActiveAndValid);

    Pfn1->u3.Long = PFN_U3(List, 0);
    Pfn1->PteAddress = NULL;
    if (List <= FreePageList) {
        /* Zeroed and free pages go to the head: the most recently freed is the warmest. */
        PFN_NUMBER First = ListHead->Flink;
        Pfn1->u1.Flink = First;
        Pfn1->u2.Blink = MM_EMPTY_LIST;
        if (First == MM_EMPTY_LIST)
            ListHead->Blink = Pfn;
        else
            Database[First].u2.Blink = Pfn;
        ListHead->Flink = Pfn;
    } else {
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
}

void MiInsertPageInList(PMMPFNLIST ListHead, PFN_NUMBER Pfn)
{
    InsertPage(ListHead, ListHead->ListName, Pfn);
}

/* MiInsertPageInFreeListLocked for pages its fast check does not cover: every check, then the insert. */
void MiInsertPageInFreeListChecked(PFN_NUMBER Pfn)
{
    InsertPage(&MmFreePageListHead, FreePageList, Pfn);
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
    MMLISTS List = MI_PFN_ELEMENT(Pfn)->u3.e2.e1.PageLocation;
    if (List > BadPageList)
        KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_PAGE_STATE, Pfn, List, FreePageList);
    Unlink(MmPageLocationList[List], List, Pfn, 0);
}

void MiInitializePfn(PFN_NUMBER Pfn, PMMPTE PointerPte, bool Modified)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    Pfn1->PteAddress = PointerPte;
    Pfn1->u2.ShareCount = 1;
    Pfn1->u3.e2.ReferenceCount = 1;
    Pfn1->u3.e2.e1.PageLocation = ActiveAndValid;
    Pfn1->u3.e2.e1.Modified = Modified;
    /* The page table holding PointerPte, found through the self-map. */
    Pfn1->u4.PteFrame = MiReadPte(MiAddressToPte(PointerPte)).u.Hard.PageFrameNumber;
}

void MiZeroPhysicalPage(PFN_NUMBER Pfn)
{
    KIRQL OldIrql;
    PVOID Va = MiMapPageInHyperSpace(Pfn, &OldIrql);
    RtlFillMemoryUlong(Va, PAGE_SIZE, 0);
    MiUnmapPageInHyperSpace(Va, OldIrql);
}
