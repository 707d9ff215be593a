/*
 * mm/mmsup.c — small queries over the page tables: is an address mapped,
 * and to which physical address; and NT's two queries drivers still call,
 * MmIsNonPagedSystemAddressValid (which region an address is in) and
 * MmGetVirtualForPhysical (which address maps a physical page, through the
 * PTE its PFN entry records, checked against the page tables).
 *
 * Both read the current address space's tables through the self-map: the
 * PDE first (a PDE that is not present means the page table does not exist,
 * and reading its PTE through the self-map would fault), then the PTE, unless
 * the PDE maps a 4 MB page. For a system address whose page table another
 * address space made, both first copy the PDE from the master (what the
 * fault handler would do on an access), so the answer is the same in every
 * address space.
 */
#include "mi.h"

/*
 * The translation of Va in the current address space: the PTE (or, for a
 * 4 MB page, the PDE) that maps it, as a value; not valid if nothing does.
 */
static MMPTE MiTranslate(PVOID Va, bool *LargePage)
{
    /*
     * A system page table made in another address space counts: sync it
     * now. For an address in the page tables themselves, the PDE that
     * matters is that of the address the page table maps.
     */
    ULONG Needs = (ULONG)Va;
    if (Needs >= PTE_BASE && Needs <= PTE_TOP)
        Needs = (ULONG)MiPteToAddress(Needs);
    if (Needs >= (ULONG)MmSystemRangeStart)
        MiSyncSystemPde((PVOID)Needs);
    MMPTE Pde = MiReadPte(MiAddressToPde(Va));
    *LargePage = Pde.u.Hard.Valid && Pde.u.Hard.LargePage;
    if (!Pde.u.Hard.Valid || *LargePage)
        return Pde;
    return MiReadPte(MiAddressToPte(Va));
}

BOOLEAN MmIsAddressValid(PVOID VirtualAddress)
{
    bool Large;
    return MiTranslate(VirtualAddress, &Large).u.Hard.Valid;
}

PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress)
{
    bool Large;
    MMPTE Pte = MiTranslate(BaseAddress, &Large);
    if (!Pte.u.Hard.Valid)
        return 0;
    if (Large)
        return (Pte.u.Long & LARGE_PAGE_FRAME_MASK) | ((ULONG)BaseAddress & LARGE_PAGE_OFFSET_MASK);
    return ((PHYSICAL_ADDRESS)Pte.u.Hard.PageFrameNumber << PAGE_SHIFT) | BYTE_OFFSET(BaseAddress);
}

/*
 * The regions of system space whose pages may be paged (or, for the system
 * cache and views, unmapped at will): paged pool, the system cache, session
 * space, system views. NT's test is by region, not by PTE.
 */
static bool MiIsPageableSystemAddress(ULONG Va)
{
    return MiIsPagedPoolAddress((PVOID)Va) ||
           (Va >= (ULONG)MmSystemCacheStart && Va <= (ULONG)MmSystemCacheEnd) ||
           (MmSessionSize && Va - (ULONG)MmSessionBase < MmSessionSize) ||
           (MmSystemViewSize && Va - (ULONG)MiSystemViewStart < MmSystemViewSize);
}

BOOLEAN MmIsNonPagedSystemAddressValid(PVOID VirtualAddress)
{
    ULONG Va = (ULONG)VirtualAddress;
    POOL_BLOCK_INFORMATION Block;

    if (Va < (ULONG)MmSystemRangeStart || MiIsPageableSystemAddress(Va))
        return FALSE;
    /* Special pool holds both kinds: a live allocation says which it is. */
    if (MiIsSpecialPoolAddress(VirtualAddress) && MiQuerySpecialPoolBlock(VirtualAddress, &Block))
        return (Block.PoolType & BASE_POOL_TYPE_MASK) == NonPagedPool;
    return TRUE;
}

PVOID MmGetVirtualForPhysical(PHYSICAL_ADDRESS PhysicalAddress)
{
    PFN_NUMBER Pfn = (PFN_NUMBER)(PhysicalAddress >> PAGE_SHIFT);

    if (PhysicalAddress >> PAGE_SHIFT > MmHighestPhysicalPage || !MiIsPhysicalPage(Pfn))
        return NULL;
    PMMPTE Pte = MI_PFN_ELEMENT(Pfn)->PteAddress;
    if (MI_PFN_ELEMENT(Pfn)->u3.e2.e1.PageLocation != ActiveAndValid || (ULONG)Pte < PTE_BASE ||
        (ULONG)Pte > PTE_TOP || ((ULONG)Pte & (sizeof(MMPTE) - 1)))
        return NULL;
    /* The recorded PTE must map this page now, in this address space. */
    PVOID Va = MiPteToAddress(Pte);
    if (MmGetPhysicalAddress(Va) >> PAGE_SHIFT != Pfn)
        return NULL;
    return (char *)Va + BYTE_OFFSET(PhysicalAddress);
}
