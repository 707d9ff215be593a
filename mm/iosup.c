/*
 * mm/iosup.c — mapping into system PTEs: I/O space, MDLs, reserved mappings.
 *
 * Three ways a driver gets a system address for physical pages, all built on
 * the system PTE pool (mm/syspte.c):
 *
 *   MmMapIoSpace           device memory by physical address: reserve PTEs,
 *                          fill them with consecutive frames, return the VA
 *                          plus the address's byte offset.
 *   MmMapLockedPagesSpecifyCache
 *                          the pages an MDL describes (mm/mdlsup.c), at new
 *                          PTEs; the MDL records the address (MappedSystemVa,
 *                          MDL_MAPPED_TO_SYSTEM_VA) until MmUnmapLockedPages.
 *                          As in NT, a system-space mapping of an MDL changes
 *                          no PFN count: the MDL's lock (or, for nonpaged
 *                          pool, the pool's own mapping) is what holds the
 *                          pages, so the mapping must go before they do.
 *   reserved mappings      MmAllocateMappingAddress reserves the PTEs ahead of
 *                          time, so MmMapLockedPagesWithReservedMapping cannot
 *                          fail for lack of them. NT's layout: two PTEs in
 *                          front of the returned address hold the reservation's
 *                          size (a list PTE whose NextEntry counts the pages
 *                          plus these two: (pages + 2) << PAGE_SHIFT) and its
 *                          owner's tag (valid bit cleared); the rest stay zero
 *                          until mapped, and are zeroed again, with their TLB
 *                          entries flushed, on unmap — the addresses stay
 *                          reserved, so the pool's lazy flush cannot cover
 *                          them. Any address in the reservation's first page
 *                          names it, as in NT.
 *
 * The cache type becomes the PTE's PCD (cache disable) and PWT (write
 * through) bits. mm386 leaves the PAT at its power-on value, so the four
 * PAT entries a non-PAE PTE can pick are WB, WT, UC-, UC:
 *
 *   MmCached, MmHardwareCoherentCached     neither bit: write-back
 *   MmNonCached, MmNonCachedUnordered      PCD | PWT: uncacheable (UC)
 *   MmWriteCombined, MmUSWCCached          PCD: UC-, which an MTRR that marks
 *                                          the range write-combining turns into
 *                                          WC (NT's choice without PAT support)
 *
 * A RAM page remembers the cache type it was allocated for (its PFN's
 * CacheAttribute): mapping an MDL maps such a page with that type whatever
 * the caller asked, and refuses to map a page in use as cached memory
 * uncached (NT's MEMORY_MANAGEMENT 0x1000 case) — two translations of one
 * page with different cache types are undefined on x86.
 *
 * Unmapping an MDL or I/O space releases its PTEs; the pool zeroes them and
 * flushes the TLB lazily before the addresses are reused. Misuse (unmapping
 * what was not mapped, the wrong count, another owner's reservation) is
 * SYSTEM_PTE_MISUSE (0xDA) with NT's parameters.
 */
#include "mi.h"

bool MiCacheAttributeOf(MEMORY_CACHING_TYPE CacheType, MI_PFN_CACHE_ATTRIBUTE *CacheAttribute)
{
    switch (CacheType) {
    case MmCached:
    case MmHardwareCoherentCached:
        *CacheAttribute = MiCached;
        return true;
    case MmNonCached:
    case MmNonCachedUnordered:
        *CacheAttribute = MiNonCached;
        return true;
    case MmWriteCombined:
    case MmUSWCCached:
        *CacheAttribute = MiWriteCombined;
        return true;
    default:
        return false;
    }
}

ULONG MiCacheAttributeBits(MI_PFN_CACHE_ATTRIBUTE CacheAttribute)
{
    switch (CacheAttribute) {
    case MiNonCached:
        return PTE_CACHE_DISABLE | PTE_WRITE_THROUGH;
    case MiWriteCombined:
        return PTE_CACHE_DISABLE;
    default:
        return 0;
    }
}

/* The PTE bits for CacheType; false for a value that is not a caching type. */
bool MiCachingBits(MEMORY_CACHING_TYPE CacheType, ULONG *Bits)
{
    MI_PFN_CACHE_ATTRIBUTE CacheAttribute;
    if (!MiCacheAttributeOf(CacheType, &CacheAttribute))
        return false;
    *Bits = MiCacheAttributeBits(CacheAttribute);
    return true;
}

PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
                   MEMORY_CACHING_TYPE CacheType)
{
    ULONG Bits;

    if (NumberOfBytes == 0 || !MiCachingBits(CacheType, &Bits) ||
        PhysicalAddress + NumberOfBytes - 1 > 0xFFFFFFFFull)
        return NULL;
    ULONG Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES((ULONG)PhysicalAddress, NumberOfBytes);
    PMMPTE Pte = MiReserveSystemPtes(Pages, SystemPteSpace);
    if (!Pte)
        return NULL;
    PFN_NUMBER Pfn = (PFN_NUMBER)(PhysicalAddress >> PAGE_SHIFT);
    for (ULONG i = 0; i < Pages; i++)
        MiWritePte(Pte + i, MiMakeValidPte(Pfn + i, MI_PTE_KERNEL_READWRITE | Bits));
    return (char *)MiPteToAddress(Pte) + BYTE_OFFSET(PhysicalAddress);
}

VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes)
{
    ULONG Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(BaseAddress, NumberOfBytes);

    if (NumberOfBytes == 0 || !MmIsAddressValid(BaseAddress))
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_UNMAP_IO_SPACE_UNKNOWN, (ULONG_PTR)BaseAddress, Pages, 0);
    MiReleaseSystemPtes(MiAddressToPte(BaseAddress), Pages, SystemPteSpace);
}

/*
 * Every RAM page an MDL names must be in use — held by whoever built the
 * MDL — or the mapping would let the kernel write a page someone else may
 * get. Pages that are not RAM (device memory) are not checked.
 */
void MiCheckMdlPages(PMDL Mdl, ULONG Pages)
{
    const PFN_NUMBER *Pfns = MmGetMdlPfnArray(Mdl);

    for (ULONG i = 0; i < Pages; i++) {
        if (!MiIsPhysicalPage(Pfns[i]))
            continue;
        const MMPFN *Pfn1 = MI_PFN_ELEMENT(Pfns[i]);
        if (Pfn1->u3.e2.e1.PageLocation != ActiveAndValid || Pfn1->u3.e2.ReferenceCount == 0)
            KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_MAP_UNLOCKED_PAGE, Pfns[i], (ULONG_PTR)Mdl, 0);
    }
}

/*
 * The cache attribute RAM page Pfn is mapped with when the caller asks for
 * Requested. A page allocated for a cache type (contiguous or noncached
 * memory, MmAllocatePagesForMdlEx) is always mapped with it, so that no two
 * mappings of it disagree; a page in use as cached memory (pool, stacks)
 * may not be mapped uncached at all — NT's refusal, MEMORY_MANAGEMENT
 * 0x1000's case: false.
 */
static bool MiMappingAttribute(PFN_NUMBER Pfn, MI_PFN_CACHE_ATTRIBUTE Requested, MI_PFN_CACHE_ATTRIBUTE *Used)
{
    MI_PFN_CACHE_ATTRIBUTE Page = MiIsPhysicalPage(Pfn) ? MI_PFN_ELEMENT(Pfn)->u3.e2.e1.CacheAttribute : MiNotMapped;

    if (Page == MiNotMapped) {
        *Used = Requested;
        return true;
    }
    *Used = Page;
    return !(Page == MiCached && Requested != MiCached);
}

/* The first page of the MDL that may not be mapped with Requested, or MI_NO_PAGE if all may. */
static PFN_NUMBER MiFindCacheConflict(PMDL Mdl, ULONG Pages, MI_PFN_CACHE_ATTRIBUTE Requested)
{
    const PFN_NUMBER *Pfns = MmGetMdlPfnArray(Mdl);
    MI_PFN_CACHE_ATTRIBUTE Used;

    for (ULONG i = 0; i < Pages; i++) {
        if (!MiMappingAttribute(Pfns[i], Requested, &Used))
            return Pfns[i];
    }
    return MI_NO_PAGE;
}

/* Writes valid PTEs for the MDL's pages at Pte, each with the cache type it may have. */
static void MiMapMdlPages(PMMPTE Pte, PMDL Mdl, ULONG Pages, MI_PFN_CACHE_ATTRIBUTE Requested)
{
    const PFN_NUMBER *Pfns = MmGetMdlPfnArray(Mdl);
    MI_PFN_CACHE_ATTRIBUTE Used;

    for (ULONG i = 0; i < Pages; i++) {
        MiMappingAttribute(Pfns[i], Requested, &Used);
        MiWritePte(Pte + i, MiMakeValidPte(Pfns[i], MI_PTE_KERNEL_READWRITE | MiCacheAttributeBits(Used)));
    }
}

static inline ULONG MiMdlPages(PMDL Mdl)
{
    return ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);
}

PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                   ULONG BugCheckOnFailure, ULONG Priority)
{
    PMDL Mdl = MemoryDescriptorList;
    ULONG Pages = MiMdlPages(Mdl);
    MI_PFN_CACHE_ATTRIBUTE CacheAttribute;
    bool MayBugCheck = BugCheckOnFailure && !(Mdl->MdlFlags & MDL_MAPPING_CAN_FAIL);

    if (AccessMode == UserMode)
        return MiMapLockedPagesInUserSpace(Mdl, CacheType, RequestedAddress);      /* mm/usermdl.c */
    /* In kernel mode NT ignores RequestedAddress: the mapping goes where system PTEs are free. */
    if (AccessMode != KernelMode || Pages == 0 || !MiCacheAttributeOf(CacheType, &CacheAttribute))
        return NULL;
    if (Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_MDL_ALREADY_MAPPED, (ULONG_PTR)Mdl,
                     (ULONG_PTR)Mdl->MappedSystemVa, Pages);
    MiCheckMdlPages(Mdl, Pages);
    PFN_NUMBER Conflict = MiFindCacheConflict(Mdl, Pages, CacheAttribute);
    if (Conflict != MI_NO_PAGE) {
        if (MayBugCheck)
            KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_CACHE_CONFLICT, (ULONG_PTR)Mdl, Conflict, CacheType);
        return NULL;
    }
    PMMPTE Pte = MiReserveSystemPtes(Pages, SystemPteSpace);
    if (!Pte) {
        if (MayBugCheck)
            KeBugCheckEx(NO_MORE_SYSTEM_PTES, SystemPteSpace, Pages, MmTotalFreeSystemPtes,
                         MmTotalSystemPtes);
        return NULL;
    }
    MiMapMdlPages(Pte, Mdl, Pages, CacheAttribute);
    Mdl->MappedSystemVa = (char *)MiPteToAddress(Pte) + Mdl->ByteOffset;
    Mdl->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
    if (Mdl->MdlFlags & MDL_PARTIAL)
        Mdl->MdlFlags |= MDL_PARTIAL_HAS_BEEN_MAPPED;
    return Mdl->MappedSystemVa;
}

VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)
{
    PMDL Mdl = MemoryDescriptorList;
    ULONG Pages = MiMdlPages(Mdl);

    if ((ULONG)BaseAddress < (ULONG)MmSystemRangeStart) {
        MiUnmapLockedPagesInUserSpace(BaseAddress, Mdl);                            /* mm/usermdl.c */
        return;
    }
    /* NT's 0x06 "never mapped" and 0x03 "the wrong address", the MDL in place of its tracker. */
    if (!(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA))
        KeBugCheckEx(SYSTEM_PTE_MISUSE, 0x06, (ULONG_PTR)Mdl, (ULONG_PTR)BaseAddress, Pages);
    if (BaseAddress != Mdl->MappedSystemVa)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, 0x03, (ULONG_PTR)Mdl, (ULONG_PTR)Mdl->MappedSystemVa,
                     (ULONG_PTR)BaseAddress);
    /*
     * The pages may go back to the free list as soon as this returns
     * (MmFreePagesFromMdl), so no stale translation of them may survive:
     * the TLB rule of the system PTE pool protects the addresses, not the
     * frames. The release clears the PTEs; only then is each translation
     * dropped, so the CPU cannot load it again in between.
     */
    MiReleaseSystemPtes(MiAddressToPte(BaseAddress), Pages, SystemPteSpace);
    for (ULONG i = 0; i < Pages; i++)
        HalInvalidatePage((char *)PAGE_ALIGN(BaseAddress) + i * PAGE_SIZE);
    Mdl->MdlFlags &= ~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
    if (Mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL)
        Mdl->MappedSystemVa = MmGetMdlVirtualAddress(Mdl);
}

/* ------------------------------------------------------------ reserved mappings */

#define MI_RESERVATION_HEADER   2       /* PTEs before the mapping: its size, its tag */

static inline ULONG MiTagPte(ULONG PoolTag)
{
    return PoolTag & ~(ULONG)PTE_VALID;
}

/*
 * The size PTE, NT's encoding: a list PTE whose NextEntry (the frame field)
 * holds the whole reservation, the two header PTEs included.
 */
static inline MMPTE MiReservationSizePte(ULONG Pages)
{
    MMPTE Size = { .u.Long = 0 };
    Size.u.List.NextEntry = Pages + MI_RESERVATION_HEADER;
    return Size;
}

/*
 * Checks that MappingAddress lies in the first page of a reservation from
 * MmAllocateMappingAddress owned by PoolTag (a byte offset into that page
 * is accepted, as NT accepts it) and returns its size in pages. Not a
 * reservation: SYSTEM_PTE_MISUSE with NotReserved; another tag: NotOwned.
 */
static ULONG MiCheckReservation(PVOID MappingAddress, ULONG PoolTag, ULONG NotOwned, ULONG NotReserved)
{
    PMMPTE Header = MiAddressToPte(MappingAddress) - MI_RESERVATION_HEADER, Start;
    ULONG Length = MiQuerySystemPteAllocation(Header, &Start);
    MMPTE Size = { .u.Long = 0 }, Tag = { .u.Long = 0 };

    if (Length && Start == Header) {
        Size = MiReadPte(Header);
        Tag = MiReadPte(Header + 1);
    }
    ULONG Total = Size.u.List.NextEntry;
    if (Total <= MI_RESERVATION_HEADER || Size.u.Long != MiReservationSizePte(Total - MI_RESERVATION_HEADER).u.Long ||
        Tag.u.Hard.Valid || MiSystemPteAllocationSize(Total) != Length)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, NotReserved, (ULONG_PTR)MappingAddress, PoolTag, 0);
    if (Tag.u.Long != MiTagPte(PoolTag))
        KeBugCheckEx(SYSTEM_PTE_MISUSE, NotOwned, (ULONG_PTR)MappingAddress, PoolTag, Tag.u.Long);
    return Total - MI_RESERVATION_HEADER;
}

/* The first nonzero PTE among Count from Pte, or NULL. */
static PMMPTE MiFindNonZeroPte(PMMPTE Pte, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++) {
        if (MiReadPte(Pte + i).u.Long != 0)
            return Pte + i;
    }
    return NULL;
}

PVOID MmAllocateMappingAddress(SIZE_T NumberOfBytes, ULONG PoolTag)
{
    ULONG Pages = BYTES_TO_PAGES(NumberOfBytes);

    if (PoolTag == 0)
        return NULL;
    if (Pages == 0)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_MAPPING_NONE, 0, PoolTag,
                     (ULONG_PTR)__builtin_return_address(0));
    if (Pages >= MM_EMPTY_PTE_LIST - MI_RESERVATION_HEADER)
        return NULL;                /* more than any pool holds, and than the size PTE can say */
    PMMPTE Header = MiReserveSystemPtes(Pages + MI_RESERVATION_HEADER, SystemPteSpace);
    if (!Header)
        return NULL;
    MiWritePte(Header, MiReservationSizePte(Pages));
    MiWritePte(Header + 1, (MMPTE){ .u.Long = MiTagPte(PoolTag) });
    return MiPteToAddress(Header + MI_RESERVATION_HEADER);
}

VOID MmFreeMappingAddress(PVOID BaseAddress, ULONG PoolTag)
{
    ULONG Pages = MiCheckReservation(BaseAddress, PoolTag, PTE_MAPPING_NOT_OWNED, PTE_MAPPING_EMPTY);
    PMMPTE Pte = MiAddressToPte(BaseAddress);
    PMMPTE Mapped = MiFindNonZeroPte(Pte, Pages);

    if (Mapped)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_MAPPING_RESERVED, (ULONG_PTR)MiPteToAddress(Mapped),
                     PoolTag, Pages);
    MiReleaseSystemPtes(Pte - MI_RESERVATION_HEADER, Pages + MI_RESERVATION_HEADER, SystemPteSpace);
}

PVOID MmMapLockedPagesWithReservedMapping(PVOID MappingAddress, ULONG PoolTag,
                                          PMDL MemoryDescriptorList, MEMORY_CACHING_TYPE CacheType)
{
    PMDL Mdl = MemoryDescriptorList;
    ULONG Reserved = MiCheckReservation(MappingAddress, PoolTag, PTE_MAPPING_ADDRESS_NOT_OWNED,
                                        PTE_MAPPING_ADDRESS_INVALID);
    ULONG Pages = MiMdlPages(Mdl);
    PMMPTE Pte = MiAddressToPte(MappingAddress);
    MI_PFN_CACHE_ATTRIBUTE CacheAttribute;

    if (Pages == 0 || Pages > Reserved || !MiCacheAttributeOf(CacheType, &CacheAttribute))
        return NULL;
    if (Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_MDL_ALREADY_MAPPED, (ULONG_PTR)Mdl,
                     (ULONG_PTR)Mdl->MappedSystemVa, Pages);
    PMMPTE Mapped = MiFindNonZeroPte(Pte, Reserved);
    if (Mapped)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_MAPPING_ADDRESS_IN_USE, (ULONG_PTR)MappingAddress,
                     (ULONG_PTR)MiPteToAddress(Mapped), (ULONG_PTR)MiPteToAddress(Pte + Reserved - 1));
    MiCheckMdlPages(Mdl, Pages);
    if (MiFindCacheConflict(Mdl, Pages, CacheAttribute) != MI_NO_PAGE)
        return NULL;
    MiMapMdlPages(Pte, Mdl, Pages, CacheAttribute);
    /*
     * NT's behaviour, as ReactOS's conformance tests pin it: MappedSystemVa
     * is the address the caller gave, without the MDL's byte offset; the
     * address returned adds that offset to it, whatever offset the caller's
     * address already had.
     */
    Mdl->MappedSystemVa = MappingAddress;
    Mdl->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
    if (Mdl->MdlFlags & MDL_PARTIAL)
        Mdl->MdlFlags |= MDL_PARTIAL_HAS_BEEN_MAPPED;
    return (char *)MappingAddress + Mdl->ByteOffset;
}

VOID MmUnmapReservedMapping(PVOID BaseAddress, ULONG PoolTag, PMDL MemoryDescriptorList)
{
    PMDL Mdl = MemoryDescriptorList;
    ULONG Reserved = MiCheckReservation(BaseAddress, PoolTag, PTE_UNMAPPING_ADDRESS_NOT_OWNED,
                                        PTE_MAPPING_ADDRESS_EMPTY);
    ULONG Pages = MiMdlPages(Mdl);
    PMMPTE Pte = MiAddressToPte(BaseAddress);
    char *Page = PAGE_ALIGN(BaseAddress);

    if (Pages > Reserved)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_UNMAPPING_TOO_MANY, (ULONG_PTR)BaseAddress, Reserved, Pages);
    for (ULONG i = 0; i < Pages; i++) {
        if (!MiReadPte(Pte + i).u.Hard.Valid)
            KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_UNMAPPING_NOT_MAPPED, (ULONG_PTR)BaseAddress, PoolTag, Pages);
    }
    if (MiFindNonZeroPte(Pte + Pages, Reserved - Pages))
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_UNMAPPING_PARTIAL, (ULONG_PTR)BaseAddress, PoolTag, Pages);
    for (ULONG i = 0; i < Pages; i++) {
        MiWritePte(Pte + i, (MMPTE){ .u.Long = 0 });
        HalInvalidatePage(Page + i * PAGE_SIZE);
    }
    Mdl->MdlFlags &= ~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
    /* A nonpaged pool buffer's system address is the buffer again, as after MmUnmapLockedPages. */
    if (Mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL)
        Mdl->MappedSystemVa = MmGetMdlVirtualAddress(Mdl);
}
