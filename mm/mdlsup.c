/*
 * mm/mdlsup.c — MDLs: describing a buffer by its physical pages.
 *
 * A memory descriptor list (MDL, include/mm.h) describes a buffer the way
 * hardware and the memory manager need it: the virtual address it starts at
 * (StartVa, page aligned, plus ByteOffset), its length (ByteCount), and
 * after the structure an array with the physical page (PFN) behind each page
 * the buffer spans. The flags say where those pages came from and whether
 * the buffer has a system address: MDL_SOURCE_IS_NONPAGED_POOL (resident
 * system memory, MappedSystemVa is the buffer itself), MDL_PAGES_LOCKED (the
 * pages are held for the MDL: MmAllocatePagesForMdl, and later
 * MmProbeAndLockPages for user buffers, which will also set Process),
 * MDL_MAPPED_TO_SYSTEM_VA (mm/iosup.c mapped them at MappedSystemVa),
 * MDL_IO_SPACE (some page is not RAM).
 *
 * This file makes and fills MDLs: IoAllocateMdl/IoFreeMdl (NT's I/O manager
 * routines, here until there is one), MmBuildMdlForNonPagedPool for memory
 * that is already resident, and MmAllocatePagesForMdl/MmFreePagesFromMdl
 * for fresh physical pages that need no virtual address until someone maps
 * them. Mapping MDLs is mm/iosup.c's.
 *
 * Memory for the MDL itself comes from nonpaged pool with NT's tag 'Mdl ',
 * so an MDL that is never freed shows up in !poolused under that tag.
 */
#include <pool.h>
#include "mi.h"

#define MM_MDL_TAG  MAKE_TAG('M', 'd', 'l', ' ')

/* The most pages one MDL can describe: its size must fit the 16-bit Size field. */
#define MI_MAXIMUM_MDL_PAGES    ((0xFFFF - sizeof(MDL)) / sizeof(PFN_NUMBER))

/* Bytes for an MDL from nonpaged pool; NULL if the pool is exhausted. */
static PMDL MiAllocateMdlStorage(ULONG Bytes)
{
    return ExAllocatePoolWithTag(NonPagedPool, Bytes, MM_MDL_TAG);
}

static void MiFreeMdlStorage(PMDL Mdl)
{
    ExFreePoolWithTag(Mdl, MM_MDL_TAG);
}

SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length)
{
    return sizeof(MDL) + ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length) * sizeof(PFN_NUMBER);
}

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                   BOOLEAN ChargeQuota, struct _IRP *Irp)
{
    if (Length == 0 || Length > MM_MAXIMUM_MDL_BUFFER_SIZE || Irp != NULL)
        return NULL;
    SIZE_T Size = MmSizeOfMdl(VirtualAddress, Length);
    if (Size > 0xFFFF)
        return NULL;                /* the longest buffer, if unaligned, spans one page too many */
    PMDL Mdl = MiAllocateMdlStorage(Size);
    if (Mdl)
        MmInitializeMdl(Mdl, VirtualAddress, Length);
    return Mdl;
}

VOID IoFreeMdl(PMDL Mdl)
{
    MiFreeMdlStorage(Mdl);
}

VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList)
{
    PMDL Mdl = MemoryDescriptorList;
    PPFN_NUMBER Pfns = MmGetMdlPfnArray(Mdl);
    ULONG Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);
    ULONG Va = (ULONG)Mdl->StartVa;
    bool IoSpace = false;

    for (ULONG i = 0; i < Pages; i++, Va += PAGE_SIZE) {
        if (Va < (ULONG)MmSystemRangeStart || !MmIsAddressValid((PVOID)Va))
            KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_MDL_NOT_RESIDENT, (ULONG_PTR)Mdl, Va, 0);
        Pfns[i] = (PFN_NUMBER)(MmGetPhysicalAddress((PVOID)Va) >> PAGE_SHIFT);
        IoSpace |= !MiIsPhysicalPage(Pfns[i]);
    }
    Mdl->MappedSystemVa = MmGetMdlVirtualAddress(Mdl);
    Mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL | (IoSpace ? MDL_IO_SPACE : 0);
}

/* First and last PFN whose whole page lies in [Low, High]; false if none does. */
static bool MiPhysicalRangeToPfns(PHYSICAL_ADDRESS Low, PHYSICAL_ADDRESS High,
                                  PFN_NUMBER *First, PFN_NUMBER *Last)
{
    uint64_t FirstPage = (Low + PAGE_SIZE - 1) >> PAGE_SHIFT;
    if (High < PAGE_SIZE - 1 || FirstPage > MmHighestPhysicalPage)
        return false;
    uint64_t LastPage = (High - (PAGE_SIZE - 1)) >> PAGE_SHIFT;
    LastPage = MIN(LastPage, (uint64_t)MmHighestPhysicalPage);
    if (LastPage < FirstPage)
        return false;
    *First = (PFN_NUMBER)FirstPage;
    *Last = (PFN_NUMBER)LastPage;
    return true;
}

/*
 * Takes Pfn off the zeroed or free list if it is on one, zeroes it if it
 * was not zeroed, and returns true; false if the page is in use or not RAM.
 */
static bool MiClaimPageForMdl(PFN_NUMBER Pfn)
{
    KIRQL OldIrql;

    if (!MiIsPhysicalPage(Pfn))
        return false;
    LOCK_PFN(OldIrql);
    MMLISTS Location = MI_PFN_ELEMENT(Pfn)->u3.e2.e1.PageLocation;
    if (Location != ZeroedPageList && Location != FreePageList) {
        UNLOCK_PFN(OldIrql);
        return false;
    }
    MiUnlinkPageFromList(Pfn);
    MI_PFN_ELEMENT(Pfn)->u3.e2.ReferenceCount = 1;
    UNLOCK_PFN(OldIrql);
    if (Location == FreePageList)
        MiZeroPhysicalPage(Pfn);
    return true;
}

PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                           PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes)
{
    PFN_NUMBER First, Last;

    if (TotalBytes == 0 || (SkipBytes & (PAGE_SIZE - 1)) != 0 ||
        !MiPhysicalRangeToPfns(LowAddress, HighAddress, &First, &Last))
        return NULL;
    ULONG Wanted = MIN((ULONG)BYTES_TO_PAGES(TotalBytes), (ULONG)MI_MAXIMUM_MDL_PAGES);
    PMDL Mdl = MiAllocateMdlStorage(sizeof(MDL) + Wanted * sizeof(PFN_NUMBER));
    if (!Mdl)
        return NULL;

    PPFN_NUMBER Pfns = MmGetMdlPfnArray(Mdl);
    uint64_t SkipPages = SkipBytes >> PAGE_SHIFT;
    ULONG Got = 0;
    for (;;) {
        for (PFN_NUMBER Pfn = First; Pfn <= Last && Got < Wanted; Pfn++) {
            if (MiClaimPageForMdl(Pfn))
                Pfns[Got++] = Pfn;
        }
        /* Not enough: the next range up, SkipBytes further. */
        if (Got == Wanted || SkipPages == 0 || First + SkipPages > MmHighestPhysicalPage)
            break;
        First += (PFN_NUMBER)SkipPages;
        Last = (PFN_NUMBER)MIN((uint64_t)Last + SkipPages, (uint64_t)MmHighestPhysicalPage);
    }
    if (Got == 0) {
        MiFreeMdlStorage(Mdl);
        return NULL;
    }
    MmInitializeMdl(Mdl, NULL, Got * PAGE_SIZE);
    Mdl->MdlFlags = MDL_PAGES_LOCKED;
    return Mdl;
}

VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList)
{
    PMDL Mdl = MemoryDescriptorList;
    PPFN_NUMBER Pfns = MmGetMdlPfnArray(Mdl);
    ULONG Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);

    /*
     * Only pages MmAllocatePagesForMdl handed out may go back: its MDLs are
     * locked, have no virtual address and no process. Freeing the pages of
     * a nonpaged pool buffer or device memory would corrupt the page lists.
     */
    if ((Mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_IO_SPACE)) != MDL_PAGES_LOCKED ||
        Mdl->StartVa != NULL || Mdl->Process != NULL)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_MDL_NOT_ALLOCATED, (ULONG_PTR)Mdl, Mdl->MdlFlags, 0);
    if (Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_MDL_STILL_MAPPED, (ULONG_PTR)Mdl,
                     (ULONG_PTR)Mdl->MappedSystemVa, 0);
    for (ULONG i = 0; i < Pages; i++)
        MiInsertPageInFreeList(Pfns[i]);
    Mdl->MdlFlags &= ~MDL_PAGES_LOCKED;
}
