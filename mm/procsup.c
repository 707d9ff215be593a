/*
 * mm/procsup.c — address spaces: a page directory and a hyperspace page each.
 *
 * An address space is what a process's page directory makes of the 4 GB:
 * its own user range, the shared system range, its own page tables (the
 * self-map at PDE 0x300 points at its own directory) and its own hyperspace
 * (PDE 0x301). NT builds one in MmCreateProcessAddressSpace; mm386 does it
 * the same way: take a page for the directory and one for the hyperspace
 * page table, reach both through hyperspace (they are mapped nowhere else
 * yet), copy the master's system PDEs into the directory, point 0x300 at the
 * directory and 0x301 at the hyperspace page, and zero the user range.
 *
 * The system address space is the boot page directory. Processes come
 * later; for now address spaces exist so that per-address-space behaviour
 * (hyperspace, lazy PDE synchronisation) can be exercised by switching CR3.
 */
#include "mi.h"

MMADDRESS_SPACE MmSystemAddressSpace;
static PMMADDRESS_SPACE MiCurrentAddressSpace = &MmSystemAddressSpace;

NTSTATUS MmCreateAddressSpace(PMMADDRESS_SPACE AddressSpace)
{
    KIRQL OldIrql;
    PFN_NUMBER Directory = MiRemoveAnyPage();
    if (Directory == MI_NO_PAGE)
        return STATUS_INSUFFICIENT_RESOURCES;
    PFN_NUMBER Hyper = MiRemoveAnyPage();
    if (Hyper == MI_NO_PAGE) {
        MiInsertPageInFreeList(Directory);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    PMMPTE HyperPte = MiMapPageInHyperSpace(Hyper, &OldIrql);
    MiInitializeHyperSpacePage(HyperPte);
    MiUnmapPageInHyperSpace(HyperPte, OldIrql);

    ULONG FirstSystemPde = MiGetPdeIndex(MmSystemRangeStart);
    PMMPTE Pd = MiMapPageInHyperSpace(Directory, &OldIrql);
    RtlFillMemoryUlong(Pd, FirstSystemPde * sizeof(MMPTE), 0);
    memcpy(&Pd[FirstSystemPde], &MmSystemPagePtes[FirstSystemPde],
           (PTE_PER_PAGE - FirstSystemPde) * sizeof(MMPTE));
    Pd[SELF_MAP_PDE] = MiMakeValidPte(Directory, MI_PDE_KERNEL);
    Pd[HYPER_SPACE_PDE] = MiMakeValidPte(Hyper, MI_PDE_KERNEL);
    MiUnmapPageInHyperSpace(Pd, OldIrql);

    /*
     * Each page is mapped by an entry of the new directory (its PDE 0x300
     * and 0x301), so each is held by the directory, NT's way: the directory
     * counts a share for its self-map and one for the hyperspace page table,
     * plus its own mapping (share count 3); the hyperspace page 1.
     */
    LOCK_PFN(OldIrql);
    MiInitializePfnForOtherProcess(Directory, MiAddressToPde(PTE_BASE), Directory);
    MiInitializePfnForOtherProcess(Hyper, MiAddressToPde(HYPER_SPACE), Directory);
    UNLOCK_PFN(OldIrql);

    AddressSpace->PageDirectoryPfn = Directory;
    AddressSpace->HyperSpacePfn = Hyper;
    return STATUS_SUCCESS;
}

/*
 * The directory is not current, so nothing maps through it: its entries for
 * the hyperspace page and for itself end, and each page goes free with its
 * last share (the directory last: its self-map share goes with the second).
 */
void MmDeleteAddressSpace(PMMADDRESS_SPACE AddressSpace)
{
    KIRQL OldIrql;

    ASSERT(AddressSpace != MiCurrentAddressSpace && AddressSpace != &MmSystemAddressSpace);
    LOCK_PFN(OldIrql);
    MiDeletePageMapping(AddressSpace->HyperSpacePfn);
    MiDeletePageMapping(AddressSpace->PageDirectoryPfn);
    UNLOCK_PFN(OldIrql);
    AddressSpace->PageDirectoryPfn = AddressSpace->HyperSpacePfn = 0;
}

/*
 * The stack this code runs on must stay reachable after the switch. System
 * page tables reach other address spaces lazily, on a fault; but a fault on
 * the very stack the fault would be delivered on is a double fault. So
 * before loading CR3, the PDEs covering the current kernel stack are copied
 * from the master into the new directory (through hyperspace: it is not
 * mapped anywhere else).
 */
static void MiSyncStackPdes(PMMADDRESS_SPACE AddressSpace)
{
    KE_STACK_INFO Stack;
    KIRQL OldIrql;
    ULONG Esp = (ULONG)__builtin_frame_address(0);

    if (!KeIdentifyStack(Esp, &Stack))
        return;
    PMMPTE Pd = MiMapPageInHyperSpace(AddressSpace->PageDirectoryPfn, &OldIrql);
    for (ULONG Index = MiGetPdeIndex(Stack.Limit - PAGE_SIZE); Index <= MiGetPdeIndex(Stack.Base - 1); Index++)
        Pd[Index] = MmSystemPagePtes[Index];
    MiUnmapPageInHyperSpace(Pd, OldIrql);
}

/*
 * Loading CR3 also flushes every (non-global) translation, which is what
 * keeps hyperspace slots and stale user mappings of the old address space
 * out of the new one. Interrupts stay as they were.
 */
PMMADDRESS_SPACE MmSwitchAddressSpace(PMMADDRESS_SPACE AddressSpace)
{
    PMMADDRESS_SPACE Previous = MiCurrentAddressSpace;
    /* A hyperspace mapping belongs to one address space: it would show the other's slot. */
    if (MiHyperSpaceDepth != 0)
        MiHyperSpaceMisuse(AddressSpace->PageDirectoryPfn);
    MiSyncStackPdes(AddressSpace);
    bool Enabled = HalSaveAndDisableInterrupts();
    MiCurrentAddressSpace = AddressSpace;
    HalWriteCr3(AddressSpace->PageDirectoryPfn << PAGE_SHIFT);
    HalRestoreInterrupts(Enabled);
    return Previous;
}

PMMADDRESS_SPACE MmGetCurrentAddressSpace(void)
{
    return MiCurrentAddressSpace;
}
