/*
 * mm/viewprot.c — the pages of a view: their protection, their commit,
 * what NtQueryVirtualMemory reports of them.
 *
 * A view is mapped with one protection (the VAD's), which NT checks
 * against the section's. After that each page can differ: in this process
 * NtProtectVirtualMemory may change it (to a protection the view's allows:
 * NT's MmCompatibleProtectionMask, else STATUS_SECTION_PROTECTION), and
 * NtAllocateVirtualMemory(MEM_COMMIT) inside a view of a SEC_RESERVE
 * section commits the section's pages and gives them the protection asked
 * for. NT keeps a changed protection in the PTE while the page is not
 * resident (a prototype PTE with the protection and "look it up in the
 * VAD") and in the page's working-set list entry while it is; mm386 has no
 * working-set list, so it keeps every changed protection in one place, a
 * byte per page of the view (MMVAD.PageProtection, made the first time one
 * changes), and a view's PTEs are only ever zero or valid (or, for a page
 * privately copied and then made inaccessible, in transition, as private
 * memory's are).
 *
 * A page's protection is then: its own byte if set, else the view's (an
 * image view: the subsection's, in its prototype PTE). A page already
 * copied (copy-on-write done) is private memory: its protection is in its
 * PFN entry like any private page's, and write-copy means read/write for it.
 *
 * Copy-on-write commit, NT's rule: a view mapped write-copy charged the
 * process for every page when it was mapped; a page of another view made
 * write-copy later is charged then, once (the byte's COW-charged bit), and
 * the charge goes with the view.
 */
#include "section.h"

/* The protection a page of the view has by the view alone: the VAD's, or for an image view its prototype PTE's. */
static ULONG MiViewBaseProtection(PMMVAD Vad, ULONG Index)
{
    if (Vad->u.VadFlags.VadType == VadImageMap) {
        MMPTE Proto = MiReadPte(Vad->FirstPrototypePte + Index);
        if (Proto.u.Hard.Valid)
            return MI_PFN_ELEMENT(Proto.u.Hard.PageFrameNumber)->OriginalPte.u.Soft.Protection;
        return Proto.u.Soft.Protection;             /* demand zero, subsection, transition: one field */
    }
    return Vad->u.VadFlags.Protection;
}

ULONG MiViewPageProtection(PMMVAD Vad, ULONG Index)
{
    if (Vad->PageProtection && (Vad->PageProtection[Index] & MI_VIEW_PROTECTION_SET))
        return Vad->PageProtection[Index] & MI_VIEW_PROTECTION_MASK;
    return MiViewBaseProtection(Vad, Index);
}

void MiSetViewPageProtection(PMMVAD Vad, ULONG Index, ULONG Protection)
{
    UCHAR *Entry = &Vad->PageProtection[Index];
    *Entry = (UCHAR)((*Entry & MI_VIEW_COW_CHARGED) | MI_VIEW_PROTECTION_SET | Protection);
}

/* The view's protection map, made (every page "the view's") if it has none; false if pool ran out. */
static bool MiEnsureViewProtectionMap(PMMVAD Vad)
{
    if (Vad->PageProtection)
        return true;
    ULONG Pages = Vad->EndingVpn - Vad->StartingVpn + 1;
    UCHAR *Map = ExAllocatePoolWithTag(PagedPool, Pages, MM_VIEW_PROTECTION_TAG);
    if (!Map)
        return false;
    memset(Map, 0, Pages);
    Vad->PageProtection = Map;
    return true;
}

ULONG MiQueryViewPage(PEPROCESS Process, PMMVAD Vad, ULONG Va, ULONG *Protection)
{
    ULONG Index = MI_VA_TO_VPN(Va) - Vad->StartingVpn;
    PMMPTE Pte = MiUserPteIfPresent(Va);
    MMPTE Value = Pte ? MiReadPte(Pte) : (MMPTE){ .u.Long = 0 };

    if (Value.u.Hard.Valid) {
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Value.u.Hard.PageFrameNumber);
        *Protection = Pfn1->u3.e2.e1.PrototypePte ? MiViewPageProtection(Vad, Index)
                                                  : Pfn1->OriginalPte.u.Soft.Protection;
        return MEM_COMMIT;
    }
    if (MiIsUserTransitionPte(Value)) {
        *Protection = Value.u.Trans.Protection;     /* a private copy made inaccessible */
        return MEM_COMMIT;
    }
    if (MiReadPte(Vad->FirstPrototypePte + Index).u.Long == 0) {
        *Protection = 0;
        return MEM_RESERVE;                         /* a SEC_RESERVE page not committed */
    }
    *Protection = MiViewPageProtection(Vad, Index);
    return MEM_COMMIT;
}

LONG MiUnmapSharedPte(PEPROCESS Process, PMMPTE Pte, ULONG Va)
{
    MMPTE Old = MiReadPte(Pte);
    PFN_NUMBER Pfn = Old.u.Hard.PageFrameNumber;
    PFN_NUMBER PageTable = MiReadPte(MiAddressToPde(Va)).u.Hard.PageFrameNumber;
    KIRQL OldIrql;

    MiWritePte(Pte, (MMPTE){ .u.Long = 0 });
    HalInvalidatePage((PVOID)Va);
    LOCK_PFN(OldIrql);
    if (Old.u.Hard.Dirty)
        MI_PFN_ELEMENT(Pfn)->u3.e2.e1.Modified = 1;
    MiDecrementShareCount(MI_PFN_ELEMENT(PageTable), PageTable);
    MiDecrementShareCount(MI_PFN_ELEMENT(Pfn), Pfn);
    UNLOCK_PFN(OldIrql);
    Process->Vm.WorkingSetSize--;
    return -1;
}

/*
 * Gives the resident page behind Pte (at Va, a page of the view) the new
 * protection Mask: a shared page keeps its frame with new hardware bits,
 * or leaves this PTE if Mask allows no access; a private copy changes like
 * private memory (mm/protect.c), write-copy meaning read/write for it.
 * Returns the change in the page table's used count.
 */
static LONG MiChangeResidentViewPage(PEPROCESS Process, PMMPTE Pte, ULONG Va, ULONG Mask)
{
    MMPTE Old = MiReadPte(Pte), New;

    if (Old.u.Hard.Valid && MI_PFN_ELEMENT(Old.u.Hard.PageFrameNumber)->u3.e2.e1.PrototypePte) {
        if (!MiIsAccessibleProtection(Mask))
            return MiUnmapSharedPte(Process, Pte, Va);
        New = MiMakeSharedValidPte(Old.u.Hard.PageFrameNumber, Mask);
        New.u.Hard.Dirty = Old.u.Hard.Dirty;
    } else {
        ULONG Private = MiMakeProtectNotWriteCopy(Mask);
        PFN_NUMBER Pfn = Old.u.Hard.Valid ? Old.u.Hard.PageFrameNumber : Old.u.Trans.PageFrameNumber;
        MI_PFN_ELEMENT(Pfn)->OriginalPte.u.Soft.Protection = Private;
        if (MiIsAccessibleProtection(Private)) {
            New = MiMakeUserValidPte(Pfn, Private, Old.u.Hard.Valid && Old.u.Hard.Dirty);
            Process->Vm.WorkingSetSize += !Old.u.Hard.Valid;
        } else {
            New = MiMakeUserTransitionPte(Pfn, Private);
            Process->Vm.WorkingSetSize -= Old.u.Hard.Valid;
        }
    }
    if (New.u.Long != Old.u.Long) {
        MiWritePte(Pte, New);
        if (Old.u.Hard.Valid)
            HalInvalidatePage((PVOID)Va);
    }
    return 0;
}

/*
 * Every page of [StartVa, EndVa] gets Mask in this view (the map exists);
 * CowCharged marks them charged for copy-on-write. Working set mutex held.
 */
static void MiApplyViewProtection(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa, ULONG Mask,
                                  bool CowCharged)
{
    for (ULONG Chunk = StartVa;;) {
        ULONG ChunkEnd = MIN(EndVa, Chunk | ((1u << PDE_SHIFT) - 1));
        bool HasPageTable = MiUserPteIfPresent(Chunk) != NULL;
        LONG Delta = 0;
        for (ULONG Va = Chunk; Va <= ChunkEnd; Va += PAGE_SIZE) {
            ULONG Index = MI_VA_TO_VPN(Va) - Vad->StartingVpn;
            MiSetViewPageProtection(Vad, Index, Mask);
            if (CowCharged)
                Vad->PageProtection[Index] |= MI_VIEW_COW_CHARGED;
            PMMPTE Pte = HasPageTable ? MiAddressToPte(Va) : NULL;
            if (Pte && MiReadPte(Pte).u.Long != 0)
                Delta += MiChangeResidentViewPage(Process, Pte, Va, Mask);
        }
        if (HasPageTable)
            MiAdjustUsedPtes(Process, Chunk, Delta);
        if (ChunkEnd == EndVa)
            break;
        Chunk = ChunkEnd + 1;
    }
}

/*
 * The commit a change to Mask needs for copy-on-write in [StartVa, EndVa]:
 * none unless Mask copies on write in a view not mapped that way; then one
 * page per page not charged yet. Charged to the process now (false at the
 * commit limit, nothing charged); *Charged says whether pages were marked.
 */
static bool MiChargeViewCopyOnWrite(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa, ULONG Mask,
                                    bool *Charged)
{
    ULONG Pages = 0;

    *Charged = false;
    if (!MiIsCopyOnWriteProtection(Mask) || Vad->u2.VadFlags2.CopyOnWrite)
        return true;
    for (ULONG Va = StartVa; Va <= EndVa; Va += PAGE_SIZE) {
        ULONG Index = MI_VA_TO_VPN(Va) - Vad->StartingVpn;
        /* An image's write-copy pages were charged with the view (the segment's ImageCommitment). */
        if (Vad->u.VadFlags.VadType == VadImageMap && MiIsCopyOnWriteProtection(MiViewBaseProtection(Vad, Index)))
            continue;
        Pages += !(Vad->PageProtection[Index] & MI_VIEW_COW_CHARGED);
    }
    if (!MiChargeProcessCommitment(Process, Pages))
        return false;
    Vad->CommitCharge += Pages;
    *Charged = true;
    return true;
}

/* NT: a write-copy view (and an image's) takes read/write as write-copy. */
static ULONG MiWriteCopyForReadWrite(PMMVAD Vad, ULONG NewProtect)
{
    if (!Vad->u2.VadFlags2.CopyOnWrite && Vad->u.VadFlags.VadType != VadImageMap)
        return NewProtect;
    if (NewProtect & PAGE_READWRITE)
        NewProtect = (NewProtect & ~PAGE_READWRITE) | PAGE_WRITECOPY;
    if (NewProtect & PAGE_EXECUTE_READWRITE)
        NewProtect = (NewProtect & ~PAGE_EXECUTE_READWRITE) | PAGE_EXECUTE_WRITECOPY;
    return NewProtect;
}

NTSTATUS MiProtectViewPages(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa, ULONG NewProtect,
                            ULONG ProtectionMask, ULONG *OldProtect)
{
    bool Charged;

    if (Vad->u2.VadFlags2.SecNoChange)
        return STATUS_INVALID_PAGE_PROTECTION;
    NewProtect = MiWriteCopyForReadWrite(Vad, NewProtect);
    ProtectionMask = MiMakeProtectionMask(NewProtect);
    /*
     * Compatible with the view's protection, then committed. As in NT, that
     * is the VAD's: for an image view execute-write-copy, which allows any
     * protection on any page (a debugger's or a hot-patcher's execute-read/
     * write on code becomes execute-write-copy above), whatever the page's
     * own section asked for.
     */
    ULONG Base = Vad->u.VadFlags.VadType == VadImageMap ? Vad->u.VadFlags.Protection
                                                         : MiViewBaseProtection(Vad, MI_VA_TO_VPN(StartVa) -
                                                                                     Vad->StartingVpn);
    if (!MiIsProtectionCompatible(MiProtectionToWin32(Base), NewProtect))
        return STATUS_SECTION_PROTECTION;
    for (PMMPTE Proto = MiGetProtoPteAddress(Vad, MI_VA_TO_VPN(StartVa));
         Proto <= MiGetProtoPteAddress(Vad, MI_VA_TO_VPN(EndVa)); Proto++) {
        if (MiReadPte(Proto).u.Long == 0)
            return STATUS_NOT_COMMITTED;
    }
    if (!MiEnsureViewProtectionMap(Vad))
        return STATUS_INSUFFICIENT_RESOURCES;
    if (!MiChargeViewCopyOnWrite(Process, Vad, StartVa, EndVa, ProtectionMask, &Charged))
        return STATUS_COMMITMENT_LIMIT;
    MiLockWorkingSet(Process);
    MiQueryViewPage(Process, Vad, StartVa, OldProtect);
    MiApplyViewProtection(Process, Vad, StartVa, EndVa, ProtectionMask, Charged);
    MiUnlockWorkingSet(Process);
    return STATUS_SUCCESS;
}

NTSTATUS MiCommitViewPages(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa, ULONG Protect,
                           ULONG ProtectionMask)
{
    PCONTROL_AREA ControlArea = Vad->ControlArea;
    bool Charged;

    if (Protect & PAGE_NOCACHE)
        return STATUS_INVALID_PAGE_PROTECTION;
    ProtectionMask = MiMakeProtectionMask(MiWriteCopyForReadWrite(Vad, Protect));
    if (ControlArea->u.Flags.File || ControlArea->u.Flags.Image)
        return STATUS_ALREADY_COMMITTED;        /* only the paging file's sections commit on demand */
    if (Vad->u2.VadFlags2.SecNoChange && ProtectionMask != Vad->u.VadFlags.Protection)
        return STATUS_INVALID_PAGE_PROTECTION;
    if (!MiEnsureViewProtectionMap(Vad))
        return STATUS_INSUFFICIENT_RESOURCES;
    if (!MiChargeViewCopyOnWrite(Process, Vad, StartVa, EndVa, ProtectionMask, &Charged))
        return STATUS_COMMITMENT_LIMIT;
    NTSTATUS Status = MiCommitPrototypePtes(ControlArea->Segment, MiGetProtoPteAddress(Vad, MI_VA_TO_VPN(StartVa)),
                                            MiGetProtoPteAddress(Vad, MI_VA_TO_VPN(EndVa)));
    if (!NT_SUCCESS(Status)) {
        if (Charged) {
            ULONG Pages = 0;
            for (ULONG Va = StartVa; Va <= EndVa; Va += PAGE_SIZE)
                Pages += !(Vad->PageProtection[MI_VA_TO_VPN(Va) - Vad->StartingVpn] & MI_VIEW_COW_CHARGED);
            Vad->CommitCharge -= Pages;
            MiReturnProcessCommitment(Process, Pages);
        }
        return Status;
    }
    MiLockWorkingSet(Process);
    MiApplyViewProtection(Process, Vad, StartVa, EndVa, ProtectionMask, Charged);
    MiUnlockWorkingSet(Process);
    return STATUS_SUCCESS;
}
