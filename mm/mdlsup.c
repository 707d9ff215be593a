/*
 * mm/mdlsup.c — MDLs: describing a buffer by its physical pages.
 *
 * A memory descriptor list (MDL, include/mm.h) describes a buffer the way
 * hardware and the memory manager need it: the virtual address it starts at
 * (StartVa, page aligned, plus ByteOffset), its length (ByteCount), and
 * after the structure an array with the physical page (PFN) behind each page
 * the buffer spans. The flags say where those pages came from and whether
 * the buffer has a system address: MDL_SOURCE_IS_NONPAGED_POOL (resident
 * system memory, MappedSystemVa is the buffer itself; its pages are held by
 * their mapping, so the MDL takes no reference, as in NT), MDL_PAGES_LOCKED
 * (each page holds one reference for the MDL, counted in
 * MmSystemLockPagesCount: MmAllocatePagesForMdl, and later
 * MmProbeAndLockPages for user buffers, which will also set Process),
 * MDL_MAPPED_TO_SYSTEM_VA (mm/iosup.c mapped them at MappedSystemVa),
 * MDL_IO_SPACE (some page is not RAM).
 *
 * This file makes and fills MDLs: IoAllocateMdl/IoFreeMdl (NT's I/O manager
 * routines, here until there is one), MmBuildMdlForNonPagedPool for memory
 * that is already resident, and MmAllocatePagesForMdl(Ex)/MmFreePagesFromMdl
 * for fresh physical pages that need no virtual address until someone maps
 * them: each page is locked once for the MDL (reference 1, share 0: no PTE
 * maps it) and remembers the cache type it was allocated for; freeing marks
 * it deleted and drops the lock, so it goes back to the free list unless
 * something else still holds it. Mapping MDLs is mm/iosup.c's.
 *
 * Memory for the MDL itself comes from nonpaged pool with NT's tag 'Mdl ',
 * so an MDL that is never freed shows up in !poolused under that tag.
 */
#include <pool.h>
#include "mi.h"

#define MM_MDL_TAG  MAKE_TAG('M', 'd', 'l', ' ')

/* The most pages one MDL can describe: its size must fit the 16-bit Size field. */
#define MI_MAXIMUM_MDL_PAGES    ((0xFFFF - sizeof(MDL)) / sizeof(PFN_NUMBER))

/*
 * The MM_ALLOCATE_* flags MmAllocatePagesForMdlEx accepts. One node and no
 * waiting hold anyway; PREFER_CONTIGUOUS is a hint NT itself may ignore.
 * The rest (large pages, trimming, hot removal) are refused: NULL.
 */
#define MI_ALLOCATE_FLAGS_HONOURED (MM_DONT_ZERO_ALLOCATION | MM_ALLOCATE_FROM_LOCAL_NODE_ONLY | \
                                    MM_ALLOCATE_FULLY_REQUIRED | MM_ALLOCATE_NO_WAIT |           \
                                    MM_ALLOCATE_PREFER_CONTIGUOUS | MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS)

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
 * PFN lock held: Pfn, just taken off its list, becomes the MDL's: locked
 * once (the MDL's reference), no PTE, the cache type it may be mapped with.
 */
static void MiLockPageForMdl(PFN_NUMBER Pfn, MI_PFN_CACHE_ATTRIBUTE CacheAttribute)
{
    MiReferenceUnusedPageAndBumpLockCount(Pfn);
    MI_PFN_ELEMENT(Pfn)->u3.e2.e1.CacheAttribute = CacheAttribute;
}

/*
 * Takes Pfn off the zeroed or free list if it is on one and locks it for
 * the MDL; true if it did (*Zeroed: it came from the zeroed list), false if
 * the page is in use or not RAM.
 */
static bool MiClaimPageForMdl(PFN_NUMBER Pfn, MI_PFN_CACHE_ATTRIBUTE CacheAttribute, bool *Zeroed)
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
    MiLockPageForMdl(Pfn, CacheAttribute);
    UNLOCK_PFN(OldIrql);
    *Zeroed = Location == ZeroedPageList;
    return true;
}

/*
 * A physically contiguous run of Pages pages in [First, Last] that crosses
 * no multiple of Boundary pages (0: any), locked for the MDL into Pfns;
 * false if there is none.
 */
static bool MiClaimContiguousPagesForMdl(PFN_NUMBER First, PFN_NUMBER Last, ULONG Boundary, ULONG Pages,
                                         MI_PFN_CACHE_ATTRIBUTE CacheAttribute, PPFN_NUMBER Pfns)
{
    KIRQL OldIrql;
    PFN_NUMBER Run = MiFindContiguousPages(First, Last, Boundary, Pages);

    if (Run == MI_NO_PAGE)
        return false;
    LOCK_PFN(OldIrql);
    for (ULONG i = 0; i < Pages; i++) {
        MiLockPageForMdl(Run + i, CacheAttribute);
        Pfns[i] = Run + i;
    }
    UNLOCK_PFN(OldIrql);
    return true;
}

/* The pages one call fills: the caller's byte count, at most what an MDL can describe. */
static ULONG MiPagesWanted(SIZE_T TotalBytes)
{
    return MIN((ULONG)(TotalBytes >> PAGE_SHIFT) + ((TotalBytes & (PAGE_SIZE - 1)) != 0),
               (ULONG)MI_MAXIMUM_MDL_PAGES);
}

/* NT's MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS: one block (SkipBytes 0), or whole SkipBytes-aligned chunks. */
static ULONG MiAllocateContiguousChunksForMdl(PFN_NUMBER First, PFN_NUMBER Last, PHYSICAL_ADDRESS SkipBytes,
                                              ULONG Wanted, MI_PFN_CACHE_ATTRIBUTE CacheAttribute,
                                              PPFN_NUMBER Pfns)
{
    if (SkipBytes == 0)
        return MiClaimContiguousPagesForMdl(First, Last, 0, Wanted, CacheAttribute, Pfns) ? Wanted : 0;
    ULONG Chunk = (ULONG)(SkipBytes >> PAGE_SHIFT), Got = 0;
    while (Got + Chunk <= Wanted &&
           MiClaimContiguousPagesForMdl(First, Last, Chunk, Chunk, CacheAttribute, Pfns + Got))
        Got += Chunk;
    return Got;
}

/* Any free pages in [First, Last], then in that range moved up by SkipBytes, and so on. */
static ULONG MiAllocateScatteredPagesForMdl(PFN_NUMBER First, PFN_NUMBER Last, PHYSICAL_ADDRESS SkipBytes,
                                            ULONG Wanted, MI_PFN_CACHE_ATTRIBUTE CacheAttribute,
                                            bool ZeroPages, PPFN_NUMBER Pfns)
{
    uint64_t SkipPages = SkipBytes >> PAGE_SHIFT;
    ULONG Got = 0;

    for (;;) {
        for (PFN_NUMBER Pfn = First; Pfn <= Last && Got < Wanted; Pfn++) {
            bool Zeroed;
            if (!MiClaimPageForMdl(Pfn, CacheAttribute, &Zeroed))
                continue;
            if (ZeroPages && !Zeroed)
                MiZeroPhysicalPage(Pfn);
            Pfns[Got++] = Pfn;
        }
        if (Got == Wanted || SkipPages == 0 || First + SkipPages > MmHighestPhysicalPage)
            return Got;
        First += (PFN_NUMBER)SkipPages;
        Last = (PFN_NUMBER)MIN((uint64_t)Last + SkipPages, (uint64_t)MmHighestPhysicalPage);
    }
}

/* Gives back Count pages locked for an MDL. PFN lock taken. */
static void MiReleaseMdlPages(const PFN_NUMBER *Pfns, ULONG Count)
{
    KIRQL OldIrql;

    LOCK_PFN(OldIrql);
    for (ULONG i = 0; i < Count; i++) {
        MI_SET_PFN_DELETED(MI_PFN_ELEMENT(Pfns[i]));
        MiDereferencePfnAndDropLockCount(Pfns[i]);
    }
    UNLOCK_PFN(OldIrql);
}

PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                             PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
                             MEMORY_CACHING_TYPE CacheType, ULONG Flags)
{
    PFN_NUMBER First, Last;
    MI_PFN_CACHE_ATTRIBUTE CacheAttribute;
    bool Contiguous = (Flags & MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS) != 0;

    if (TotalBytes == 0 || (SkipBytes & (PAGE_SIZE - 1)) != 0 || (Flags & ~MI_ALLOCATE_FLAGS_HONOURED) ||
        !MiPhysicalRangeToPfns(LowAddress, HighAddress, &First, &Last))
        return NULL;
    /* Chunks are a power of two of at least a page, and the request a whole number of them. */
    if (Contiguous && SkipBytes != 0 &&
        ((SkipBytes & (SkipBytes - 1)) != 0 || SkipBytes > (PHYSICAL_ADDRESS)TotalBytes ||
         (TotalBytes & (SkipBytes - 1)) != 0))
        return NULL;
    if (!MiCacheAttributeOf(CacheType, &CacheAttribute))
        CacheAttribute = MiNotMapped;       /* not a caching type: as if none was asked for (NT) */
    /* More than one MDL describes is a partial allocation: refused where partial is not allowed. */
    ULONG Wanted = MiPagesWanted(TotalBytes);
    if (Wanted < BYTES_TO_PAGES(TotalBytes) &&
        ((Flags & MM_ALLOCATE_FULLY_REQUIRED) || (Contiguous && SkipBytes == 0)))
        return NULL;
    PMDL Mdl = MiAllocateMdlStorage(sizeof(MDL) + Wanted * sizeof(PFN_NUMBER));
    if (!Mdl)
        return NULL;

    PPFN_NUMBER Pfns = MmGetMdlPfnArray(Mdl);
    bool ZeroPages = !(Flags & MM_DONT_ZERO_ALLOCATION);
    ULONG Got = Contiguous ?
        MiAllocateContiguousChunksForMdl(First, Last, SkipBytes, Wanted, CacheAttribute, Pfns) :
        MiAllocateScatteredPagesForMdl(First, Last, SkipBytes, Wanted, CacheAttribute, ZeroPages, Pfns);
    if (Got != 0 && Contiguous && ZeroPages) {
        for (ULONG i = 0; i < Got; i++)
            MiZeroPhysicalPage(Pfns[i]);
    }
    if (Got == 0 || (Got < Wanted && (Flags & MM_ALLOCATE_FULLY_REQUIRED))) {
        MiReleaseMdlPages(Pfns, Got);
        MiFreeMdlStorage(Mdl);
        return NULL;
    }
    MmInitializeMdl(Mdl, NULL, Got * PAGE_SIZE);
    Mdl->MdlFlags = MDL_PAGES_LOCKED;
    return Mdl;
}

PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                           PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes)
{
    /* MmMaximumCacheType is no caching type: the pages may be mapped with any. */
    return MmAllocatePagesForMdlEx(LowAddress, HighAddress, SkipBytes, TotalBytes, MmMaximumCacheType, 0);
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
    /* Each page loses the MDL's lock; it goes free now, or when another lock on it goes. */
    MiReleaseMdlPages(Pfns, Pages);
    Mdl->MdlFlags &= ~MDL_PAGES_LOCKED;
}
