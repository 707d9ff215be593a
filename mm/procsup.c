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
 * The system address space is the boot page directory. Every EPROCESS owns
 * one (include/ps.h); the dispatcher loads a process's directory when it
 * switches to one of its threads, or when a thread attaches to it
 * (KeStackAttachProcess), after MmPrepareAddressSpaceSwitch has made sure
 * the directory maps every kernel stack.
 */
#include <ps.h>
#include "mi.h"

MMADDRESS_SPACE MmSystemAddressSpace;

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
    AddressSpace->SystemPdeGeneration = MmSystemPdeGeneration;
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

    ASSERT(AddressSpace->PageDirectoryPfn != MmSystemPageDirectoryPfn &&
           AddressSpace->PageDirectoryPfn != MmGetCurrentAddressSpace()->PageDirectoryPfn);
    LOCK_PFN(OldIrql);
    MiDeletePageMapping(AddressSpace->HyperSpacePfn);
    MiDeletePageMapping(AddressSpace->PageDirectoryPfn);
    UNLOCK_PFN(OldIrql);
    AddressSpace->PageDirectoryPfn = AddressSpace->HyperSpacePfn = 0;
}

/*
 * A thread's kernel stack must be mapped in whatever address space the
 * thread runs in: a fault on the very stack the fault would be delivered
 * on is a double fault, so the lazy PDE synchronisation (mm/pagetab.c)
 * cannot cover stacks. Every system page table made bumps
 * MmSystemPdeGeneration; a directory whose generation is older than that
 * gets every master system PDE it lacks (through hyperspace: it is not
 * mapped anywhere else) before it is loaded. Dispatcher lock held, at
 * DISPATCH_LEVEL; a hyperspace mapping held across the switch would show
 * the other address space's slot, which is MEMORY_MANAGEMENT (0x1A).
 */
ULONG MmPrepareAddressSpaceSwitch(PMMADDRESS_SPACE AddressSpace)
{
    if (MiHyperSpaceDepth != 0)
        MiHyperSpaceMisuse(AddressSpace->PageDirectoryPfn);
    ULONG Generation = MmSystemPdeGeneration;
    if (AddressSpace->SystemPdeGeneration != Generation && AddressSpace->PageDirectoryPfn != MmSystemPageDirectoryPfn) {
        KIRQL OldIrql;
        PMMPTE Pd = MiMapPageInHyperSpace(AddressSpace->PageDirectoryPfn, &OldIrql);
        for (ULONG Index = MiGetPdeIndex(MmSystemRangeStart); Index < PTE_PER_PAGE; Index++) {
            if (Index == SELF_MAP_PDE || Index == HYPER_SPACE_PDE)
                continue;
            if (!Pd[Index].u.Hard.Valid && MmSystemPagePtes[Index].u.Hard.Valid)
                Pd[Index] = MmSystemPagePtes[Index];
        }
        MiUnmapPageInHyperSpace(Pd, OldIrql);
        AddressSpace->SystemPdeGeneration = Generation;
    }
    return AddressSpace->PageDirectoryPfn << PAGE_SHIFT;
}

PMMADDRESS_SPACE MmGetCurrentAddressSpace(void)
{
    return &CONTAINING_RECORD(KeGetCurrentProcess(), EPROCESS, Pcb)->AddressSpace;
}
