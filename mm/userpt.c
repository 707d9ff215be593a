/*
 * mm/userpt.c — user page tables: made on demand, counted, freed when empty.
 *
 * The system range's page tables are shared and never freed (pagetab.c).
 * The user range's belong to one process and come and go with what it
 * uses, NT's way: a page table is made the first time one of its PTEs must
 * hold something (a fault, a commit that writes demand-zero PTEs, a change
 * of protection), and the process counts, per page table, how many of its
 * 1,024 PTEs are not zero (NT's UsedPageTableEntries, in the working set
 * list). Every routine that turns a zero PTE into something else or back
 * adjusts the count; when it falls to zero the page table is freed, after
 * the translations made through it were flushed. The PDE of a user page
 * table carries the owner bit and, like every PDE, never the global bit.
 *
 * A page table is charged to the process's commit when the first VAD
 * spanning it is inserted, and the charge returned when no VAD spans it any
 * more (NT's CommittedPageTables bitmap): so making one later, on a fault,
 * never fails for commit, only — rarely — for want of a page.
 *
 * Deleting user pages goes in two steps, through a batch: the PTEs are
 * cleared, the TLB is flushed for them (one invlpg each for a few, a CR3
 * reload for more: user translations are never global), and only then are
 * the pages released, so no stale translation can reach a page that is
 * handed out again. A section's page mapped by a view is not the process's
 * to free: it loses this PTE's share (and the page table the share this
 * PTE held), and keeps its data through its prototype PTE.
 */
#include "virtual.h"

#define MI_PDE_USER         (PTE_VALID | PTE_WRITE | PTE_OWNER | PTE_ACCESSED | PTE_DIRTY)
#define MI_FLUSH_ENTIRE_THRESHOLD   16      /* more pages than this: reload CR3 instead of invlpg each */

bool MiMakeUserPageTable(PEPROCESS Process, ULONG Va)
{
    PMMPTE Pde = MiAddressToPde(Va);
    KIRQL OldIrql;

    if (MiReadPte(Pde).u.Hard.Valid)
        return true;
    /* Taken and its entry filled in one hold of the PFN lock; a page not yet zeroed is zeroed before the PDE. */
    LOCK_PFN(OldIrql);
    PFN_NUMBER Pfn = MiRemoveZeroPageIfAnyLocked();
    bool NeedToZero = Pfn == MI_NO_PAGE;
    if (NeedToZero)
        Pfn = MiRemoveAnyPageLocked();
    if (Pfn == MI_NO_PAGE) {
        UNLOCK_PFN(OldIrql);
        return false;
    }
    MiInitializePfn(Pfn, Pde, true);
    UNLOCK_PFN(OldIrql);
    if (NeedToZero)
        MiZeroPhysicalPage(Pfn);
    MiWritePte(Pde, MiMakeValidPte(Pfn, MI_PDE_USER));
    Process->WorkingSetList.NumberOfPageTables++;
    return true;
}

/* Frees the page table of user address Va: every PTE in it is zero and flushed. */
static void MiDeleteUserPageTable(PEPROCESS Process, ULONG Va)
{
    PMMPTE Pde = MiAddressToPde(Va);
    PFN_NUMBER Pfn = MiReadPte(Pde).u.Hard.PageFrameNumber;
    KIRQL OldIrql;

    MiWritePte(Pde, (MMPTE){ .u.Long = 0 });
    /* The page table's own translation through the self-map, and any cached walk through the PDE. */
    HalInvalidatePage(PAGE_ALIGN(MiAddressToPte(Va)));
    HalInvalidatePage((PVOID)Va);
    LOCK_PFN(OldIrql);
    MiDeletePageMapping(Pfn);           /* the directory's share goes; the page table is freed */
    UNLOCK_PFN(OldIrql);
    Process->WorkingSetList.NumberOfPageTables--;
}

bool MiMakeUserPageTables(PEPROCESS Process, ULONG StartVa, ULONG EndVa)
{
    for (ULONG Index = MI_PDE_INDEX(StartVa); Index <= MI_PDE_INDEX(EndVa); Index++) {
        if (MiMakeUserPageTable(Process, Index << PDE_SHIFT))
            continue;
        /* Undo: the ones made here have no PTE in use yet (a kept page table always has one). */
        for (ULONG Made = MI_PDE_INDEX(StartVa); Made < Index; Made++) {
            if (Process->WorkingSetList.UsedPageTableEntries[Made] == 0 &&
                MiReadPte(MiAddressToPde(Made << PDE_SHIFT)).u.Hard.Valid)
                MiDeleteUserPageTable(Process, Made << PDE_SHIFT);
        }
        return false;
    }
    return true;
}

void MiAdjustUsedPtesSlow(PEPROCESS Process, ULONG Va, LONG Delta)
{
    USHORT *Used = &Process->WorkingSetList.UsedPageTableEntries[MI_PDE_INDEX(Va)];
    LONG Count = (LONG)*Used + Delta;

    if (Delta == 0)
        return;
    if (Count < 0 || Count > PTE_PER_PAGE)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_USED_PTE_COUNT, Va, *Used, (ULONG_PTR)Delta);
    *Used = (USHORT)Count;
    if (Count == 0)
        MiDeleteUserPageTable(Process, Va);
}

static inline bool MiTestCommittedPageTable(const PEPROCESS Process, ULONG Index)
{
    return (Process->WorkingSetList.CommittedPageTables[Index / 32] >> (Index % 32)) & 1;
}

bool MiChargeVadCommitment(PEPROCESS Process, ULONG StartVa, ULONG EndVa, ULONG AdditionalPages)
{
    ULONG New = 0;

    for (ULONG Index = MI_PDE_INDEX(StartVa); Index <= MI_PDE_INDEX(EndVa); Index++)
        New += !MiTestCommittedPageTable(Process, Index);
    if (!MiChargeProcessCommitment(Process, New + AdditionalPages))
        return false;
    for (ULONG Index = MI_PDE_INDEX(StartVa); Index <= MI_PDE_INDEX(EndVa); Index++)
        Process->WorkingSetList.CommittedPageTables[Index / 32] |= 1u << (Index % 32);
    Process->WorkingSetList.NumberOfCommittedPageTables += New;
    return true;
}

void MiReturnPageTableCommitment(PEPROCESS Process, ULONG StartVa, ULONG EndVa)
{
    ULONG Returned = 0;

    for (ULONG Index = MI_PDE_INDEX(StartVa); Index <= MI_PDE_INDEX(EndVa); Index++) {
        ULONG First = Index << PDE_SHIFT, Last = First | ((1u << PDE_SHIFT) - 1);
        if (!MiTestCommittedPageTable(Process, Index) ||
            MiCheckForConflictingVad((PVOID)First, (PVOID)Last, Process) != NULL)
            continue;
        Process->WorkingSetList.CommittedPageTables[Index / 32] &= ~(1u << (Index % 32));
        Returned++;
    }
    Process->WorkingSetList.NumberOfCommittedPageTables -= Returned;
    MiReturnProcessCommitment(Process, Returned);
}

/* A view's resident page: a section's loses this PTE's share (and its page table's), a private copy is freed. */
static __attribute__((noinline)) void MiQueueViewPage(MI_DELETE_BATCH *Batch, ULONG i, MMPTE Old, ULONG Va)
{
    if (Old.u.Hard.Valid && MI_PFN_ELEMENT(Batch->Pfn[i])->u3.e2.e1.PrototypePte) {
        Batch->Kind[i] = Old.u.Hard.Dirty ? MiDeleteSharedDirty : MiDeleteShared;
        Batch->PageTable[i] = MiReadPte(MiAddressToPde(Va)).u.Hard.PageFrameNumber;
    } else {
        Batch->Kind[i] = MiDeletePrivate;
    }
}

static inline __attribute__((always_inline)) LONG
DeleteUserPte(PEPROCESS Process, PMMPTE Pte, ULONG Va, MI_DELETE_BATCH *Batch, MI_DELETE_KIND Range)
{
    MMPTE Old = MiReadPte(Pte);

    if (Old.u.Long == 0)
        return 0;
    MiWritePte(Pte, (MMPTE){ .u.Long = 0 });
    if (Old.u.Hard.Valid || MiIsUserTransitionPte(Old)) {
        /* The process's own resident pages, and the sections' it maps, are its working set; an MDL's are not. */
        if (Old.u.Hard.Valid && Range != MiDeleteNotOwned)
            Process->Vm.WorkingSetSize--;
        if (Batch->Count == MI_DELETE_BATCH_PAGES)
            MiFlushDeleteBatch(Process, Batch);
        ULONG i = Batch->Count++;
        Batch->Va[i] = Va;
        Batch->Pfn[i] = Old.u.Hard.Valid ? Old.u.Hard.PageFrameNumber : Old.u.Trans.PageFrameNumber;
        Batch->Kind[i] = (UCHAR)Range;
        if (UNLIKELY(Range == MiDeleteShared))
            MiQueueViewPage(Batch, i, Old, Va);
    }
    return -1;
}

LONG MiDeleteUserPte(PEPROCESS Process, PMMPTE Pte, ULONG Va, MI_DELETE_BATCH *Batch, MI_DELETE_KIND Range)
{
    return DeleteUserPte(Process, Pte, Va, Batch, Range);
}

void MiFlushDeleteBatch(PEPROCESS Process, MI_DELETE_BATCH *Batch)
{
    KIRQL OldIrql;

    if (Batch->Count == 0)
        return;
    if (Batch->Count > MI_FLUSH_ENTIRE_THRESHOLD) {
        KeFlushProcessTb();
    } else {
        for (ULONG i = 0; i < Batch->Count; i++)
            HalInvalidatePage((PVOID)Batch->Va[i]);
    }
    LOCK_PFN(OldIrql);
    for (ULONG i = 0; i < Batch->Count; i++) {
        PFN_NUMBER Pfn = Batch->Pfn[i];
        switch (Batch->Kind[i]) {
        case MiDeletePrivate:
            MiDeletePageMapping(Pfn);           /* freed now, or when the last MDL lock on it goes */
            Process->NumberOfPrivatePages--;
            break;
        case MiDeleteSharedDirty:
            MI_PFN_ELEMENT(Pfn)->u3.e2.e1.Modified = 1;
            /* fall through */
        case MiDeleteShared:
            MiDecrementShareCount(MI_PFN_ELEMENT(Batch->PageTable[i]), Batch->PageTable[i]);
            MiDecrementShareCount(MI_PFN_ELEMENT(Pfn), Pfn);   /* the last share puts it on a list */
            break;
        default:
            break;
        }
    }
    UNLOCK_PFN(OldIrql);
    Batch->Count = 0;
}

void MiDeleteUserRange(PEPROCESS Process, ULONG StartVa, ULONG EndVa, MI_DELETE_KIND Range)
{
    MI_DELETE_BATCH Batch;

    Batch.Count = 0;
    for (ULONG Chunk = StartVa; Chunk <= EndVa;) {
        ULONG ChunkEnd = MIN(EndVa, Chunk | ((1u << PDE_SHIFT) - 1));
        if (MiUserPteIfPresent(Chunk)) {
            LONG Delta = 0;
            PMMPTE Pte = MiAddressToPte(Chunk);
            for (ULONG Va = Chunk; Va <= ChunkEnd; Va += PAGE_SIZE, Pte++)
                Delta += DeleteUserPte(Process, Pte, Va, &Batch, Range);
            MiFlushDeleteBatch(Process, &Batch);
            MiAdjustUsedPtes(Process, Chunk, Delta);
        }
        if (ChunkEnd == EndVa)
            break;
        Chunk = ChunkEnd + 1;
    }
}
