/*
 * mm/mmsup.c — small queries over the page tables: is an address mapped,
 * and to which physical address.
 *
 * Both read the current address space's tables through the self-map: the
 * PDE first (a PDE that is not present means the page table does not exist,
 * and reading its PTE through the self-map would fault), then the PTE, unless
 * the PDE maps a 4 MB page. For a system address whose page table another
 * address space made, MmIsAddressValid first copies the PDE from the master
 * (what the fault handler would do on an access), so the answer is the same
 * in every address space.
 */
#include "mi.h"

BOOLEAN MmIsAddressValid(PVOID VirtualAddress)
{
    /* A system page table made in another address space counts: sync it now. */
    if ((ULONG)VirtualAddress >= (ULONG)MmSystemRangeStart)
        MiSyncSystemPde(VirtualAddress);
    MMPTE Pde = MiReadPte(MiAddressToPde(VirtualAddress));
    if (!Pde.u.Hard.Valid)
        return FALSE;
    if (Pde.u.Hard.LargePage)
        return TRUE;
    return MiReadPte(MiAddressToPte(VirtualAddress)).u.Hard.Valid;
}

PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress)
{
    MMPTE Pde = MiReadPte(MiAddressToPde(BaseAddress));
    if (!Pde.u.Hard.Valid)
        return 0;
    if (Pde.u.Hard.LargePage)
        return (Pde.u.Long & 0xFFC00000) | ((ULONG)BaseAddress & 0x003FFFFF);
    MMPTE Pte = MiReadPte(MiAddressToPte(BaseAddress));
    if (!Pte.u.Hard.Valid)
        return 0;
    return ((PHYSICAL_ADDRESS)Pte.u.Hard.PageFrameNumber << PAGE_SHIFT) | BYTE_OFFSET(BaseAddress);
}
