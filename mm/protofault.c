/*
 * mm/protofault.c — faults through prototype PTEs, and copy-on-write.
 *
 * A page of a section has one home: its prototype PTE in the segment
 * (mm/section.h). A process's view starts with zero PTEs, so the first
 * touch of a page faults; the fault handler finds the view's VAD, and the
 * VAD gives the prototype PTE (NT's MiResolveProtoPteFault). What happens
 * then depends on what the prototype PTE holds:
 *
 *   valid         the page is in memory, mapped by someone already: the
 *                 process's PTE is made to map the same frame, and the
 *                 frame's share count rises (NT: a soft fault)
 *   transition    the page is on the standby or modified list, its data
 *                 intact: it comes back (MiUnlinkTransitionPage),
 *                 counted in MmInfoCounters.TransitionCount
 *   demand zero   committed, never touched: a zeroed page (DemandZeroCount)
 *   subsection    the page is in the file: a page is filled with its bytes,
 *                 copied from the boot module (NT's page read: a hard
 *                 fault, PageReadCount and PageReadIoCount)
 *   zero          not committed: STATUS_ACCESS_VIOLATION
 *
 * In each case the prototype PTE ends valid, naming the frame, whose PFN
 * entry records the prototype PTE as its PteAddress, the page of prototype
 * PTEs as its PteFrame, and PrototypePte set. The process's PTE gets the
 * page with the page's protection in the view (mm/viewprot.c): a write-copy
 * page read-only with the CopyOnWrite bit.
 *
 * Copy-on-write (NT's MiCopyOnWrite): a write to such a page faults on a
 * valid, read-only PTE. The process gets a private copy — a new page with
 * the shared page's bytes, read/write, its PFN entry the process's own —
 * and the shared page loses this PTE's share. The copy was charged to the
 * process's commit when the view (or the page) became write-copy. Every
 * other view still sees the original. When the first touch of such a page
 * is a write, the copy is made straight from the prototype PTE's page,
 * held by a share while it is copied, without mapping it here first
 * (MiCopyOnFirstWrite).
 *
 * The fault's decisions about a protection (accessible, writable,
 * copy-on-write, guard) and the hardware bits a shared page's PTE gets
 * are tables computed once (MiInitializeViewFaults), and a resident page
 * is taken with one hold of the PFN lock: the common case — a page some
 * other view already brought in — is the fast one.
 *
 * Views in system space (mm/sysview.c) have PTEs in prototype format from
 * the start; their faults come here through MmAccessFault the same way.
 *
 * The page is found (or made) under the PFN lock; when a new page must be
 * taken and filled, the lock is dropped for that, and the prototype PTE
 * read again afterwards: another thread may have brought the page in
 * meanwhile, and then the new page goes back.
 */
#include "section.h"

/* The frame of the page table holding the PTE Pte (its PDE is valid: the PTE was just read through it). */
static inline PFN_NUMBER MiPageTableFrameOf(PMMPTE Pte)
{
    return MiReadPte(MiAddressToPte(Pte)).u.Hard.PageFrameNumber;
}

void MiReadSubsectionPage(PSUBSECTION Subsection, PMMPTE ProtoPte, PFN_NUMBER Pfn)
{
    PFILE_OBJECT File = Subsection->ControlArea->FilePointer;
    ULONG Start = (ULONG)(ProtoPte - Subsection->SubsectionBase) * PAGE_SIZE;
    ULONG Data = MiSubsectionDataBytes(Subsection), FileOffset = MiSubsectionFileOffset(Subsection) + Start;
    ULONG Bytes = Start < Data ? MIN((ULONG)PAGE_SIZE, Data - Start) : 0;
    KIRQL OldIrql;

    /* What lies past the end of the file reads zero, whatever the subsection says. */
    if (FileOffset >= File->FileSize)
        Bytes = 0;
    else if (Bytes > File->FileSize - FileOffset)
        Bytes = File->FileSize - FileOffset;
    UCHAR *Page = MiMapPageInHyperSpace(Pfn, &OldIrql);
    memcpy(Page, File->BootData + FileOffset, Bytes);
    memset(Page + Bytes, 0, PAGE_SIZE - Bytes);
    MiUnmapPageInHyperSpace(Page, OldIrql);
    MmInfoCounters.PageReadCount++;
    MmInfoCounters.PageReadIoCount++;
}

/*
 * Makes the page behind ProtoPte (of ControlArea's segment) resident and
 * takes a share of it for one more PTE: the PFN lock held (*OldIrql), and
 * held again on return with STATUS_SUCCESS and the frame in *Result; for a
 * page not committed, STATUS_ACCESS_VIOLATION with the lock released. The
 * lock is dropped while a new page is taken and filled. Modified: the
 * caller is about to write it. IRQL <= APC_LEVEL (before the lock).
 */
static NTSTATUS MiMakeProtoPageResident(PCONTROL_AREA ControlArea, PMMPTE ProtoPte, bool Modified,
                                        PFN_NUMBER *Result, KIRQL *OldIrql)
{
    PFN_NUMBER NewPage = MI_NO_PAGE;
    ULONG Prepared = 0;             /* the prototype PTE NewPage was filled for */

    for (;;) {
        MMPTE Proto = MiReadPte(ProtoPte);
        if (NewPage != MI_NO_PAGE && Proto.u.Long != Prepared) {
            /* Resolved or changed while the lock was dropped: this page is not needed. */
            MiInsertPageInFreeListLocked(NewPage);
            NewPage = MI_NO_PAGE;
        }
        if (Proto.u.Hard.Valid) {
            PFN_NUMBER Pfn = Proto.u.Hard.PageFrameNumber;
            MI_PFN_ELEMENT(Pfn)->u2.ShareCount++;
            *Result = Pfn;
            return STATUS_SUCCESS;
        }
        if (Proto.u.Long == 0) {
            UNLOCK_PFN(*OldIrql);
            return STATUS_ACCESS_VIOLATION;         /* a SEC_RESERVE page not committed */
        }
        if (!Proto.u.Soft.Prototype && Proto.u.Soft.Transition) {
            PFN_NUMBER Pfn = Proto.u.Trans.PageFrameNumber;
            PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
            if (Pfn1->u3.e2.e1.PageLocation == TransitionPage) {
                /* On no list: an MDL lock holds it. The PTEs' reference is added to the lock's. */
                Pfn1->u3.e2.e1.PageLocation = ActiveAndValid;
                Pfn1->u3.e2.ReferenceCount++;
            } else {
                MiUnlinkTransitionPage(Pfn);
                Pfn1->u3.e2.ReferenceCount = 1;
            }
            Pfn1->u2.ShareCount = 1;
            Pfn1->u3.e2.e1.Modified |= Modified;
            MiWritePte(ProtoPte, MiMakeValidProtoPte(Pfn, Pfn1->OriginalPte.u.Soft.Protection));
            MmInfoCounters.TransitionCount++;
            *Result = Pfn;
            return STATUS_SUCCESS;
        }
        if (NewPage == MI_NO_PAGE && !Proto.u.Soft.Prototype) {
            /* Demand zero: a page already zeroed, if the zero page thread left one, without dropping the lock. */
            NewPage = MiRemoveZeroPageIfAnyLocked();
            Prepared = Proto.u.Long;
        }
        if (NewPage != MI_NO_PAGE) {
            /* Demand zero or in the file, and NewPage holds what it needs. */
            MiInitializePfn(NewPage, ProtoPte, Modified);
            PMMPFN Pfn1 = MI_PFN_ELEMENT(NewPage);
            Pfn1->u3.e2.e1.PrototypePte = 1;
            MiWritePte(ProtoPte, MiMakeValidProtoPte(NewPage, Proto.u.Soft.Protection));
            if (!Proto.u.Soft.Prototype)
                MmInfoCounters.DemandZeroCount++;
            *Result = NewPage;
            return STATUS_SUCCESS;
        }
        UNLOCK_PFN(*OldIrql);
        if (Proto.u.Soft.Prototype) {
            NewPage = MiRemoveAnyPage();
            if (NewPage != MI_NO_PAGE)
                MiReadSubsectionPage(MiLocateSubsection(ControlArea, ProtoPte), ProtoPte, NewPage);
        } else {
            NewPage = MiRemoveZeroPage();
        }
        /* Commit was charged for the page (the section's, or the file's pages are always backed). */
        if (NewPage == MI_NO_PAGE)
            KeBugCheckEx(NO_PAGES_AVAILABLE, MmModifiedPageListHead.Total, 0, MmNumberOfFreeNonPagedPool, 0);
        Prepared = Proto.u.Long;
        LOCK_PFN(*OldIrql);
    }
}

/*
 * What a fault needs to know of a protection, and the hardware bits a
 * shared page's valid PTE gets with it: computed once from the rules
 * (mm/section.h, mm/protect.c), read by every view fault.
 */
#define MI_VIEW_ACCESSIBLE      0x01
#define MI_VIEW_WRITABLE        0x02
#define MI_VIEW_COPY_ON_WRITE   0x04
#define MI_VIEW_GUARD           0x08
static UCHAR MiViewProtectionFlags[32];
static ULONG MiSharedPteBits[32];

void MiInitializeViewFaults(void)
{
    for (ULONG Protection = 0; Protection < 32; Protection++) {
        MiViewProtectionFlags[Protection] = (MiIsAccessibleProtection(Protection) ? MI_VIEW_ACCESSIBLE : 0) |
                                            (MiIsWritableProtection(Protection) ? MI_VIEW_WRITABLE : 0) |
                                            (MiIsCopyOnWriteProtection(Protection) ? MI_VIEW_COPY_ON_WRITE : 0) |
                                            (MiIsGuardProtection(Protection) ? MI_VIEW_GUARD : 0);
        MiSharedPteBits[Protection] = MiMakeSharedValidPte(0, Protection).u.Long;
    }
}

/* Makes the page table for a fault's address; no page at all is NT's verdict. */
static void MiMakePageTableForViewFault(PEPROCESS Process, ULONG Address)
{
    if (!MiMakeUserPageTable(Process, Address))
        KeBugCheckEx(NO_PAGES_AVAILABLE, MmModifiedPageListHead.Total, 0, MmNumberOfFreeNonPagedPool, 0);
}

/* Copies page Source into page Target, both through hyperspace (neither need be mapped here). */
static void MiCopyPhysicalPage(PFN_NUMBER Target, PFN_NUMBER Source)
{
    KIRQL SourceIrql, TargetIrql;
    const void *From = MiMapPageInHyperSpace(Source, &SourceIrql);
    void *To = MiMapPageInHyperSpace(Target, &TargetIrql);
    memcpy(To, From, PAGE_SIZE);
    MiUnmapPageInHyperSpace(To, TargetIrql);
    MiUnmapPageInHyperSpace((PVOID)From, SourceIrql);
}

/* A new page for a private copy; commit for it was charged, so none at all is NT's verdict. */
static PFN_NUMBER MiTakePageForCopy(void)
{
    PFN_NUMBER Pfn = MiRemoveAnyPage();
    if (Pfn == MI_NO_PAGE)
        KeBugCheckEx(NO_PAGES_AVAILABLE, MmModifiedPageListHead.Total, 0, MmNumberOfFreeNonPagedPool, 0);
    return Pfn;
}

/*
 * The first access to a write-copy page is a write: the process's copy is
 * made straight from the shared page (held by a share while it is copied),
 * never mapping the shared page here. The PTE was zero.
 */
static NTSTATUS MiCopyOnFirstWrite(PEPROCESS Process, PMMVAD Vad, ULONG Address, PMMPTE Pte, PMMPTE ProtoPte,
                                   ULONG Protection)
{
    PFN_NUMBER Shared, Copy;
    KIRQL OldIrql;

    LOCK_PFN(OldIrql);
    Copy = MiRemoveAnyPageLocked();
    if (Copy == MI_NO_PAGE) {
        UNLOCK_PFN(OldIrql);
        Copy = MiTakePageForCopy();
        LOCK_PFN(OldIrql);
    }
    MMPTE Proto = MiReadPte(ProtoPte);
    if (LIKELY(Proto.u.Hard.Valid)) {
        /* The shared page is resident (the usual case): a share held while it is copied, as below. */
        Shared = Proto.u.Hard.PageFrameNumber;
        MI_PFN_ELEMENT(Shared)->u2.ShareCount++;
    } else if (!NT_SUCCESS(MiMakeProtoPageResident(Vad->ControlArea, ProtoPte, false, &Shared, &OldIrql))) {
        MiInsertPageInFreeList(Copy);
        return STATUS_ACCESS_VIOLATION;
    }
    UNLOCK_PFN(OldIrql);
    MiCopyPhysicalPage(Copy, Shared);
    ULONG Private = MiMakeProtectNotWriteCopy(Protection);
    LOCK_PFN(OldIrql);
    MiInitializePfn(Copy, Pte, true);
    MI_PFN_ELEMENT(Copy)->OriginalPte = MiMakeUserSoftPte(Private);
    MiWritePte(Pte, MiMakeUserValidPte(Copy, Private, true));
    MiDecrementShareCount(MI_PFN_ELEMENT(Shared), Shared);     /* the hold taken for the copy */
    UNLOCK_PFN(OldIrql);
    MiAdjustUsedPtes(Process, Address, 1);
    Process->Vm.WorkingSetSize++;
    if (Process->Vm.WorkingSetSize > Process->Vm.PeakWorkingSetSize)
        Process->Vm.PeakWorkingSetSize = Process->Vm.WorkingSetSize;
    Process->NumberOfPrivatePages++;
    MmInfoCounters.CopyOnWriteCount++;
    return STATUS_SUCCESS;
}

NTSTATUS MiResolveViewFault(PEPROCESS Process, PMMVAD Vad, ULONG Address, PMMPTE Pte, bool Write)
{
    ULONG Index = MI_VA_TO_VPN(Address) - Vad->StartingVpn;
    PMMPTE ProtoPte = Vad->FirstPrototypePte + Index;
    PFN_NUMBER Pfn;
    KIRQL OldIrql;

    if (MiReadPte(ProtoPte).u.Long == 0)
        return STATUS_ACCESS_VIOLATION;             /* not committed */
    /* A data view's pages have the view's protection unless one was given its own. */
    ULONG Protection = Vad->PageProtection || Vad->u.VadFlags.VadType == VadImageMap
                           ? MiViewPageProtection(Vad, Index) : Vad->u.VadFlags.Protection;
    ULONG Flags = MiViewProtectionFlags[Protection];
    if (Flags & MI_VIEW_GUARD) {
        MiSetViewPageProtection(Vad, Index, Protection & ~MM_GUARD_PAGE);    /* one shot */
        return STATUS_GUARD_PAGE_VIOLATION;
    }
    if (!(Flags & MI_VIEW_ACCESSIBLE) || (Write && !(Flags & MI_VIEW_WRITABLE)))
        return STATUS_ACCESS_VIOLATION;
    if (!Pte) {
        MiMakePageTableForViewFault(Process, Address);
        Pte = MiAddressToPte(Address);
    }
    if (Write && (Flags & MI_VIEW_COPY_ON_WRITE))
        return MiCopyOnFirstWrite(Process, Vad, Address, Pte, ProtoPte, Protection);

    LOCK_PFN(OldIrql);
    MMPTE Proto = MiReadPte(ProtoPte);
    if (LIKELY(Proto.u.Hard.Valid)) {
        /* The page is resident: one share more (NT's soft fault through the prototype PTE). */
        Pfn = Proto.u.Hard.PageFrameNumber;
        MI_PFN_ELEMENT(Pfn)->u2.ShareCount++;
    } else if (!NT_SUCCESS(MiMakeProtoPageResident(Vad->ControlArea, ProtoPte, Write, &Pfn, &OldIrql))) {
        return STATUS_ACCESS_VIOLATION;
    }
    MI_PFN_ELEMENT(MiPageTableFrameOf(Pte))->u2.ShareCount++;
    MiWritePte(Pte, (MMPTE){ .u.Long = (Pfn << PAGE_SHIFT) | MiSharedPteBits[Protection] | (Write ? PTE_DIRTY : 0) });
    UNLOCK_PFN(OldIrql);
    MiAdjustUsedPtes(Process, Address, 1);
    Process->Vm.WorkingSetSize++;
    if (Process->Vm.WorkingSetSize > Process->Vm.PeakWorkingSetSize)
        Process->Vm.PeakWorkingSetSize = Process->Vm.WorkingSetSize;
    return STATUS_SUCCESS;
}

NTSTATUS MiCopyOnWrite(PEPROCESS Process, ULONG Address, PMMPTE Pte)
{
    MMPTE Old = MiReadPte(Pte);
    PFN_NUMBER Shared = Old.u.Hard.PageFrameNumber;
    PMMVAD Vad = MiLocateAddress((PVOID)Address, Process);
    KIRQL OldIrql;

    if (!Vad || !MiIsViewVad(Vad))
        return STATUS_ACCESS_VIOLATION;
    ULONG Protection = MiMakeProtectNotWriteCopy(MiViewPageProtection(Vad, MI_VA_TO_VPN(Address) - Vad->StartingVpn));
    PFN_NUMBER Copy = MiTakePageForCopy();
    /* This PTE's share holds the shared page while it is copied. */
    MiCopyPhysicalPage(Copy, Shared);

    LOCK_PFN(OldIrql);
    /* The copy is the process's own page: its PTE is this one, it goes back to demand zero if ever trimmed. */
    MiInitializePfn(Copy, Pte, true);
    MI_PFN_ELEMENT(Copy)->OriginalPte = MiMakeUserSoftPte(Protection);
    MiWritePte(Pte, MiMakeUserValidPte(Copy, Protection, true));
    /* No translation of the shared page may survive before its share goes (it may go to a list). */
    HalInvalidatePage((PVOID)Address);
    PFN_NUMBER PageTable = MiPageTableFrameOf(Pte);
    MiDecrementShareCount(MI_PFN_ELEMENT(PageTable), PageTable);
    MiDecrementShareCount(MI_PFN_ELEMENT(Shared), Shared);
    UNLOCK_PFN(OldIrql);
    Process->NumberOfPrivatePages++;
    MmInfoCounters.CopyOnWriteCount++;
    return STATUS_SUCCESS;
}

NTSTATUS MiResolveSystemViewFault(ULONG Address, bool Write)
{
    PMMPTE Pte = MiAddressToPte(Address);
    MMPTE Value = MiReadPte(Pte);
    ULONG Base, Size;
    PFN_NUMBER Pfn;
    KIRQL OldIrql;

    if (Value.u.Hard.Valid)
        return STATUS_SUCCESS;                      /* resolved meanwhile: retry */
    PCONTROL_AREA ControlArea = MiSystemViewControlArea(Address, &Base, &Size);
    if (!Value.u.Proto.Prototype || !ControlArea)
        return STATUS_ACCESS_VIOLATION;
    bool ReadOnly = Value.u.Proto.ReadOnly;
    /* A write to a read-only view maps the page read-only; the retried write is then NT's 0xBE. */
    LOCK_PFN(OldIrql);
    if (!NT_SUCCESS(MiMakeProtoPageResident(ControlArea, MiPteToProto(Value), Write && !ReadOnly, &Pfn, &OldIrql)))
        return STATUS_ACCESS_VIOLATION;
    ULONG Bits = PTE_VALID | PTE_ACCESSED | MmPteGlobal;
    if (!ReadOnly)
        Bits |= PTE_WRITE | (Write ? PTE_DIRTY : 0);
    PFN_NUMBER PageTable = MiPageTableFrameOf(Pte);
    MI_PFN_ELEMENT(PageTable)->u2.ShareCount++;
    MiWritePte(Pte, MiMakeValidPte(Pfn, Bits));
    UNLOCK_PFN(OldIrql);
    return STATUS_SUCCESS;
}
