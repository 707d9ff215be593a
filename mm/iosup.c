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
 *   reserved mappings      MmAllocateMappingAddress reserves the PTEs ahead of
 *                          time, so MmMapLockedPagesWithReservedMapping cannot
 *                          fail for lack of them. NT's layout: two PTEs in
 *                          front of the returned address hold the reservation's
 *                          size (a list PTE, NextEntry = pages) and its owner's
 *                          tag (valid bit cleared); the rest stay zero until
 *                          mapped, and are zeroed again, with their TLB entries
 *                          flushed, on unmap — the addresses stay reserved, so
 *                          the pool's lazy flush cannot cover them.
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
 * Unmapping an MDL or I/O space releases its PTEs; the pool zeroes them and
 * flushes the TLB lazily before the addresses are reused. Misuse (unmapping
 * what was not mapped, the wrong count, another owner's reservation) is
 * SYSTEM_PTE_MISUSE (0xDA) with NT's parameters.
 */
#include "mi.h"

/* The PTE bits for CacheType; false for a value that is not a caching type. */
bool MiCachingBits(MEMORY_CACHING_TYPE CacheType, ULONG *Bits)
{
    switch (CacheType) {
    case MmCached:
    case MmHardwareCoherentCached:
        *Bits = 0;
        return true;
    case MmNonCached:
    case MmNonCachedUnordered:
        *Bits = PTE_CACHE_DISABLE | PTE_WRITE_THROUGH;
        return true;
    case MmWriteCombined:
    case MmUSWCCached:
        *Bits = PTE_CACHE_DISABLE;
        return true;
    default:
        return false;
    }
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

/* Writes valid PTEs for the MDL's pages at Pte. */
static void MiMapMdlPages(PMMPTE Pte, PMDL Mdl, ULONG Pages, ULONG CachingBits)
{
    const PFN_NUMBER *Pfns = MmGetMdlPfnArray(Mdl);
    for (ULONG i = 0; i < Pages; i++)
        MiWritePte(Pte + i, MiMakeValidPte(Pfns[i], MI_PTE_KERNEL_READWRITE | CachingBits));
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
    ULONG Bits, Pages = MiMdlPages(Mdl);

    if (AccessMode == UserMode)
        return MiMapLockedPagesInUserSpace(Mdl, CacheType, RequestedAddress);      /* mm/usermdl.c */
    if (AccessMode != KernelMode || RequestedAddress != NULL || Pages == 0 ||
        !MiCachingBits(CacheType, &Bits))
        return NULL;
    if (Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_MDL_ALREADY_MAPPED, (ULONG_PTR)Mdl,
                     (ULONG_PTR)Mdl->MappedSystemVa, Pages);
    MiCheckMdlPages(Mdl, Pages);
    PMMPTE Pte = MiReserveSystemPtes(Pages, SystemPteSpace);
    if (!Pte) {
        if (BugCheckOnFailure && !(Mdl->MdlFlags & MDL_MAPPING_CAN_FAIL))
            KeBugCheckEx(NO_MORE_SYSTEM_PTES, SystemPteSpace, Pages, MmTotalFreeSystemPtes,
                         MmTotalSystemPtes);
        return NULL;
    }
    MiMapMdlPages(Pte, Mdl, Pages, Bits);
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
 * Checks that MappingAddress is a reservation from MmAllocateMappingAddress
 * owned by PoolTag and returns its size in pages. Not a reservation:
 * SYSTEM_PTE_MISUSE with NotReserved; another tag: with NotOwned.
 */
static ULONG MiCheckReservation(PVOID MappingAddress, ULONG PoolTag, ULONG NotOwned, ULONG NotReserved)
{
    PMMPTE Header = MiAddressToPte(MappingAddress) - MI_RESERVATION_HEADER, Start;
    ULONG Length = BYTE_OFFSET(MappingAddress) == 0 ? MiQuerySystemPteAllocation(Header, &Start) : 0;
    MMPTE Size = { .u.Long = 0 }, Tag = { .u.Long = 0 };

    if (Length && Start == Header) {
        Size = MiReadPte(Header);
        Tag = MiReadPte(Header + 1);
    }
    ULONG Pages = Size.u.List.NextEntry;
    if (Pages == 0 || Size.u.Hard.Valid || Tag.u.Hard.Valid ||
        MiSystemPteAllocationSize(Pages + MI_RESERVATION_HEADER) != Length)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, NotReserved, (ULONG_PTR)MappingAddress, PoolTag, 0);
    if (Tag.u.Long != MiTagPte(PoolTag))
        KeBugCheckEx(SYSTEM_PTE_MISUSE, NotOwned, (ULONG_PTR)MappingAddress, PoolTag, Tag.u.Long);
    return Pages;
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
    MMPTE Size = { .u.Long = 0 }, Tag = { .u.Long = MiTagPte(PoolTag) };
    Size.u.List.NextEntry = Pages;
    MiWritePte(Header, Size);
    MiWritePte(Header + 1, Tag);
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
    ULONG Bits, Pages = MiMdlPages(Mdl);
    PMMPTE Pte = MiAddressToPte(MappingAddress);

    if (Pages == 0 || Pages > Reserved || !MiCachingBits(CacheType, &Bits))
        return NULL;
    if (Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_MDL_ALREADY_MAPPED, (ULONG_PTR)Mdl,
                     (ULONG_PTR)Mdl->MappedSystemVa, Pages);
    PMMPTE Mapped = MiFindNonZeroPte(Pte, Reserved);
    if (Mapped)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_MAPPING_ADDRESS_IN_USE, (ULONG_PTR)MappingAddress,
                     (ULONG_PTR)MiPteToAddress(Mapped), (ULONG_PTR)MiPteToAddress(Pte + Reserved - 1));
    MiCheckMdlPages(Mdl, Pages);
    MiMapMdlPages(Pte, Mdl, Pages, Bits);
    /* NT's documented quirk: MappedSystemVa is the reservation, without the byte offset. */
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
        HalInvalidatePage((char *)BaseAddress + i * PAGE_SIZE);
    }
    Mdl->MdlFlags &= ~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
    /* A nonpaged pool buffer's system address is the buffer again, as after MmUnmapLockedPages. */
    if (Mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL)
        Mdl->MappedSystemVa = MmGetMdlVirtualAddress(Mdl);
}
