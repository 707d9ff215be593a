/*
 * mm/sysview.c — views of sections in system space: MmMapViewInSystemSpace
 * and MmUnmapViewInSystemSpace.
 *
 * A driver, or the kernel itself, can see a section's pages at a system
 * address, the same pages processes see through their views. NT sets aside
 * a region of system space for this (MiSystemViewStart, MmSystemViewSize:
 * 16 MB here, placed by the layout, mm/mminit.c) and hands it out in 64 KB
 * buckets from a bitmap (NT's MMSESSION for system space), recording each
 * view — its base, its bucket count, its control area — in a table (NT's
 * MMVIEW entries). Unlike a process's view, whose PTEs start zero and are
 * resolved through the VAD, a system view has no VAD: its PTEs are written
 * at once in prototype format, each pointing at its page's prototype PTE
 * (NT's MiAddMappedPtes), with the ReadOnly bit when the section cannot be
 * written. The first touch of a page faults, and MmAccessFault resolves it
 * through the prototype PTE (mm/protofault.c), at IRQL <= APC_LEVEL as any
 * pageable memory. Unmapping clears the PTEs — the resident pages lose a
 * share each and keep their data — and drops the view's reference on the
 * control area. Unmapping an address that starts no view is NT's
 * DRIVER_UNMAPPING_INVALID_VIEW (0x81).
 *
 * The page tables of the region are made when a view first needs them
 * (system page tables are never freed). MiSystemViewLock guards the bitmap
 * and the table; it is taken before MiSectionMutex. A fault reads the table
 * without it: the caller that touches a view keeps it mapped meanwhile.
 */
#include "section.h"

#define MI_SYSTEM_VIEW_MAX_BUCKETS  256         /* 16 MB in 64 KB buckets */
#define MI_NO_VIEW                  0xFFFF

typedef struct _MMVIEW {
    ULONG_PTR Entry;                /* NT's packing: the base address with the bucket count in its low 16 bits */
    PCONTROL_AREA ControlArea;
} MMVIEW;

static FAST_MUTEX MiSystemViewLock;
static RTL_BITMAP MiSystemViewBitmap;
static ULONG MiSystemViewBits[MI_SYSTEM_VIEW_MAX_BUCKETS / 32];
static MMVIEW MiSystemViews[MI_SYSTEM_VIEW_MAX_BUCKETS];            /* by first bucket */
static USHORT MiSystemViewOfBucket[MI_SYSTEM_VIEW_MAX_BUCKETS];     /* each bucket's view's first bucket */
static ULONG MiSystemViewsMapped;

void MiInitializeSystemViewSpace(void)
{
    ULONG Buckets = MIN(MmSystemViewSize / MI_SYSTEM_VIEW_BUCKET_SIZE, (ULONG)MI_SYSTEM_VIEW_MAX_BUCKETS);
    ExInitializeFastMutex(&MiSystemViewLock);
    RtlInitializeBitMap(&MiSystemViewBitmap, MiSystemViewBits, Buckets);
    RtlClearAllBits(&MiSystemViewBitmap);
    for (ULONG i = 0; i < MI_SYSTEM_VIEW_MAX_BUCKETS; i++)
        MiSystemViewOfBucket[i] = MI_NO_VIEW;
}

PCONTROL_AREA MiSystemViewControlArea(ULONG Va, ULONG *Base, ULONG *Size)
{
    if (!MiIsSystemViewAddress(Va))
        return NULL;
    ULONG First = MiSystemViewOfBucket[(Va - (ULONG)MiSystemViewStart) / MI_SYSTEM_VIEW_BUCKET_SIZE];
    if (First == MI_NO_VIEW)
        return NULL;
    const MMVIEW *View = &MiSystemViews[First];
    *Base = View->Entry & ~0xFFFFu;
    *Size = (View->Entry & 0xFFFFu) * MI_SYSTEM_VIEW_BUCKET_SIZE;
    return View->ControlArea;
}

ULONG MiSystemViewCount(void)
{
    return MiSystemViewsMapped;
}

NTSTATUS MmMapViewInSystemSpace(PVOID SectionObject, PVOID *MappedBase, PSIZE_T ViewSize)
{
    PSECTION Section = SectionObject;
    PCONTROL_AREA ControlArea = Section->Segment->ControlArea;
    PSEGMENT Segment = Section->Segment;
    ULONGLONG Size = *ViewSize ? *ViewSize : (ULONGLONG)Section->SizeOfSection.QuadPart;

    if (Size > (ULONGLONG)Section->SizeOfSection.QuadPart || Size > MmSystemViewSize)
        return STATUS_INVALID_VIEW_SIZE;
    ULONG Pages = BYTES_TO_PAGES((ULONG)Size);
    ULONG Buckets = ROUND_UP((ULONG)Size, MI_SYSTEM_VIEW_BUCKET_SIZE) / MI_SYSTEM_VIEW_BUCKET_SIZE;
    ULONG Mask = MiMakeProtectionMask(Section->InitialPageProtection);
    bool ReadOnly = !MiIsWritableProtection(Mask) || MiIsCopyOnWriteProtection(Mask);

    ExAcquireFastMutex(&MiSystemViewLock);
    ULONG First = RtlFindClearBitsAndSet(&MiSystemViewBitmap, Buckets, 0);
    if (First == 0xFFFFFFFF) {
        ExReleaseFastMutex(&MiSystemViewLock);
        return STATUS_NO_MEMORY;
    }
    ULONG Base = (ULONG)MiSystemViewStart + First * MI_SYSTEM_VIEW_BUCKET_SIZE;
    for (ULONG Va = Base; Va < Base + Buckets * MI_SYSTEM_VIEW_BUCKET_SIZE; Va += 1u << PDE_SHIFT) {
        if (!MiEnsureSystemPageTable((PVOID)Va)) {
            RtlClearBits(&MiSystemViewBitmap, First, Buckets);
            ExReleaseFastMutex(&MiSystemViewLock);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        Va &= ~((1u << PDE_SHIFT) - 1);
    }
    /* NT's MiAddMappedPtes: every page's PTE points at its prototype PTE. */
    for (ULONG i = 0; i < Pages; i++)
        MiWritePte(MiAddressToPte(Base + i * PAGE_SIZE), MiMakePrototypePte(Segment->PrototypePte + i, ReadOnly));
    MiReferenceControlAreaForView(ControlArea);
    MiSystemViews[First].Entry = Base | Buckets;
    MiSystemViews[First].ControlArea = ControlArea;
    for (ULONG i = 0; i < Buckets; i++)
        MiSystemViewOfBucket[First + i] = (USHORT)First;
    MiSystemViewsMapped++;
    ExReleaseFastMutex(&MiSystemViewLock);
    *MappedBase = (PVOID)Base;
    *ViewSize = (SIZE_T)Pages << PAGE_SHIFT;
    return STATUS_SUCCESS;
}

NTSTATUS MmUnmapViewInSystemSpace(PVOID MappedBase)
{
    ULONG Base = (ULONG)MappedBase;
    KIRQL OldIrql;

    ExAcquireFastMutex(&MiSystemViewLock);
    ULONG First = MiIsSystemViewAddress(Base) ? (Base - (ULONG)MiSystemViewStart) / MI_SYSTEM_VIEW_BUCKET_SIZE : 0;
    if (!MiIsSystemViewAddress(Base) || MiSystemViewOfBucket[First] != First ||
        (MiSystemViews[First].Entry & ~0xFFFFu) != Base)
        KeBugCheckEx(DRIVER_UNMAPPING_INVALID_VIEW, Base, 1, 0, 0);
    MMVIEW View = MiSystemViews[First];
    ULONG Buckets = View.Entry & 0xFFFFu;
    for (ULONG Va = Base; Va < Base + Buckets * MI_SYSTEM_VIEW_BUCKET_SIZE; Va += PAGE_SIZE) {
        PMMPTE Pte = MiAddressToPte(Va);
        MMPTE Old = MiReadPte(Pte);
        if (Old.u.Long == 0)
            continue;
        MiWritePte(Pte, (MMPTE){ .u.Long = 0 });
        if (!Old.u.Hard.Valid)
            continue;
        /* Gone from every TLB (the translation may be global) before the page can go to a list. */
        HalInvalidatePage((PVOID)Va);
        PFN_NUMBER Pfn = Old.u.Hard.PageFrameNumber, PageTable = MiReadPte(MiAddressToPde(Va)).u.Hard.PageFrameNumber;
        LOCK_PFN(OldIrql);
        if (Old.u.Hard.Dirty)
            MI_PFN_ELEMENT(Pfn)->u3.e2.e1.Modified = 1;
        MiDecrementShareCount(MI_PFN_ELEMENT(PageTable), PageTable);
        MiDecrementShareCount(MI_PFN_ELEMENT(Pfn), Pfn);
        UNLOCK_PFN(OldIrql);
    }
    for (ULONG i = 0; i < Buckets; i++)
        MiSystemViewOfBucket[First + i] = MI_NO_VIEW;
    MiSystemViews[First].Entry = 0;
    MiSystemViews[First].ControlArea = NULL;
    RtlClearBits(&MiSystemViewBitmap, First, Buckets);
    MiSystemViewsMapped--;
    MiDereferenceControlAreaForView(View.ControlArea);
    ExReleaseFastMutex(&MiSystemViewLock);
    return STATUS_SUCCESS;
}
