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
volatile PFN_NUMBER MmAvailablePages;

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

static inline bool CountsAsAvailable(MMLISTS List)
{
    return List <= StandbyPageList;
}

static void CheckFrame(PFN_NUMBER Pfn)
{
    if (Pfn > MmHighestPhysicalPage || !MiIsPhysicalPage(Pfn))
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_NOT_A_PAGE, Pfn, MmHighestPhysicalPage, 0);
}

/* Unlinks Pfn from the list it is on. PFN lock held. */
static void Unlink(PMMPFNLIST ListHead, PFN_NUMBER Pfn)
{
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    PFN_NUMBER Next = Pfn1->u1.Flink, Previous = Pfn1->u2.Blink;

    if (ListHead->Total == 0)
        KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_LIST_HEAD, (ULONG_PTR)ListHead, ListHead->Total, Pfn);
    if (Previous == MM_EMPTY_LIST)
        ListHead->Flink = Next;
    else
        MI_PFN_ELEMENT(Previous)->u1.Flink = Next;
    if (Next == MM_EMPTY_LIST)
        ListHead->Blink = Previous;
    else
        MI_PFN_ELEMENT(Next)->u2.Blink = Previous;
    ListHead->Total--;
    if (CountsAsAvailable(ListHead->ListName))
        MmAvailablePages--;

    Pfn1->u3.e2.e1.PageLocation = ActiveAndValid;
    Pfn1->u3.e2.ReferenceCount = 0;
    Pfn1->u2.ShareCount = 0;
    Pfn1->u1.Flink = 0;
    Pfn1->PteAddress = NULL;
}

/* Takes the first page off ListHead and returns it referenced once. PFN lock held. */
static PFN_NUMBER RemoveHead(PMMPFNLIST ListHead)
{
    PFN_NUMBER Pfn = ListHead->Flink;
    Unlink(ListHead, Pfn);
    MI_PFN_ELEMENT(Pfn)->u3.e2.ReferenceCount = 1;
    return Pfn;
}

PFN_NUMBER MiRemoveAnyPageLocked(void)
{
    if (MmFreePageListHead.Total)
        return RemoveHead(&MmFreePageListHead);
    if (MmZeroedPageListHead.Total)
        return RemoveHead(&MmZeroedPageListHead);
    if (MmStandbyPageListHead.Total)
        return RemoveHead(&MmStandbyPageListHead);
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
        Pfn = RemoveHead(&MmZeroedPageListHead);
        UNLOCK_PFN(OldIrql);
        return Pfn;
    }
    Pfn = MiRemoveAnyPageLocked();
    UNLOCK_PFN(OldIrql);
    if (Pfn != MI_NO_PAGE)
        MiZeroPhysicalPage(Pfn);
    return Pfn;
}

void MiInsertPageInList(PMMPFNLIST ListHead, PFN_NUMBER Pfn)
{
    CheckFrame(Pfn);
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    if (Pfn1->u3.e2.e1.PageLocation != ActiveAndValid)
        KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_PAGE_STATE, Pfn,
                     Pfn1->u3.e2.e1.PageLocation, ActiveAndValid);

    Pfn1->u3.e2.e1.PageLocation = ListHead->ListName;
    Pfn1->u3.e2.ReferenceCount = 0;
    Pfn1->PteAddress = NULL;
    if (ListHead->ListName <= FreePageList) {
        /* Zeroed and free pages go to the head: the most recently freed is the warmest. */
        Pfn1->u1.Flink = ListHead->Flink;
        Pfn1->u2.Blink = MM_EMPTY_LIST;
        if (ListHead->Flink == MM_EMPTY_LIST)
            ListHead->Blink = Pfn;
        else
            MI_PFN_ELEMENT(ListHead->Flink)->u2.Blink = Pfn;
        ListHead->Flink = Pfn;
    } else {
        Pfn1->u1.Flink = MM_EMPTY_LIST;
        Pfn1->u2.Blink = ListHead->Blink;
        if (ListHead->Blink == MM_EMPTY_LIST)
            ListHead->Flink = Pfn;
        else
            MI_PFN_ELEMENT(ListHead->Blink)->u1.Flink = Pfn;
        ListHead->Blink = Pfn;
    }
    ListHead->Total++;
    if (CountsAsAvailable(ListHead->ListName))
        MmAvailablePages++;
}

void MiInsertPageInFreeListLocked(PFN_NUMBER Pfn)
{
    MiInsertPageInList(&MmFreePageListHead, Pfn);
}

void MiInsertPageInFreeList(PFN_NUMBER Pfn)
{
    KIRQL OldIrql;
    LOCK_PFN(OldIrql);
    MiInsertPageInList(&MmFreePageListHead, Pfn);
    UNLOCK_PFN(OldIrql);
}

void MiUnlinkPageFromList(PFN_NUMBER Pfn)
{
    CheckFrame(Pfn);
    MMLISTS List = MI_PFN_ELEMENT(Pfn)->u3.e2.e1.PageLocation;
    if (List > BadPageList)
        KeBugCheckEx(PFN_LIST_CORRUPT, PFN_CORRUPT_PAGE_STATE, Pfn, List, FreePageList);
    Unlink(MmPageLocationList[List], Pfn);
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
