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
 * The system address space is the boot page directory. A process's address
 * space (MmCreateProcessAddressSpace) is one of these plus an empty user
 * range: the VAD tree and counters in its EPROCESS. Deleting it releases the
 * user range first (MmCleanProcessAddressSpace: every VAD, page, page table
 * and commit charge), then the directory and hyperspace page.
 *
 * Which process is current: NT asks the current thread (its APC state's
 * process, which KeStackAttachProcess changes). Until the dispatcher has
 * threads, mm386 asks the current address space which process owns it
 * (MiGetCurrentProcess), so making a process's address space current with
 * MmSwitchAddressSpace is attaching to it.
 */
#include "mi.h"
#include "virtual.h"

MMADDRESS_SPACE MmSystemAddressSpace;
PMMADDRESS_SPACE MiCurrentAddressSpace = &MmSystemAddressSpace;
LIST_ENTRY MmProcessList = { &MmProcessList, &MmProcessList };
static KSPIN_LOCK MiProcessListLock;

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

    /* Each page is mapped by the new directory's own self-map entries. */
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Directory);
    Pfn1->PteAddress = MiAddressToPde(PTE_BASE);
    Pfn1->u2.ShareCount = 1;
    Pfn1->u4.PteFrame = Directory;
    Pfn1 = MI_PFN_ELEMENT(Hyper);
    Pfn1->PteAddress = MiAddressToPde(HYPER_SPACE);
    Pfn1->u2.ShareCount = 1;
    Pfn1->u4.PteFrame = Directory;

    AddressSpace->PageDirectoryPfn = Directory;
    AddressSpace->HyperSpacePfn = Hyper;
    AddressSpace->Process = NULL;
    return STATUS_SUCCESS;
}

NTSTATUS MmCreateProcessAddressSpace(PEPROCESS Process)
{
    KIRQL OldIrql;

    memset(&Process->VadRoot, 0, sizeof(Process->VadRoot));
    ExInitializeFastMutex(&Process->AddressCreationLock);
    ExInitializeFastMutex(&Process->WorkingSetMutex);
    Process->VirtualSize = Process->PeakVirtualSize = 0;
    Process->CommitCharge = Process->PeakCommitCharge = 0;
    Process->NumberOfLockedPages = 0;
    memset(&Process->Vm, 0, sizeof(Process->Vm));
    memset(&Process->WorkingSetList, 0, sizeof(Process->WorkingSetList));
    NTSTATUS Status = MmCreateAddressSpace(&Process->AddressSpace);
    if (!NT_SUCCESS(Status))
        return Status;
    Process->AddressSpace.Process = Process;
    KeAcquireSpinLock(&MiProcessListLock, &OldIrql);
    InsertTailList(&MmProcessList, &Process->MmProcessLinks);
    KeReleaseSpinLock(&MiProcessListLock, OldIrql);
    return STATUS_SUCCESS;
}

void MmCleanProcessAddressSpace(PEPROCESS Process)
{
    PMMADDRESS_SPACE Previous = NULL;
    ULONG Charged = 0;
    PMMVAD Vad;

    if (MiGetCurrentProcess() != Process)
        Previous = MmSwitchAddressSpace(&Process->AddressSpace);
    MiLockAddressSpace(Process);
    MiLockWorkingSet(Process);
    while ((Vad = MiGetFirstVad(Process)) != NULL) {
        MiRemoveVad(Vad, Process);
        MiDeleteUserRange(Process, (ULONG)MI_VPN_TO_VA(Vad->StartingVpn), (ULONG)MI_VPN_TO_VA_ENDING(Vad->EndingVpn),
                          Vad->u.VadFlags.VadType != VadDevicePhysicalMemory);
        Charged += Vad->CommitCharge;
        MiFreeVad(Vad);
    }
    MiUnlockWorkingSet(Process);
    MiReturnPageTableCommitment(Process, 0, (ULONG)MmHighestUserAddress);
    MiReturnProcessCommitment(Process, Charged);
    Process->VirtualSize = 0;
    /* What a process still holds once its last VAD is gone is a leak of the memory manager's, or a lock. */
    if (Process->NumberOfLockedPages != 0)
        KeBugCheckEx(PROCESS_HAS_LOCKED_PAGES, 0, (ULONG_PTR)Process, Process->NumberOfLockedPages, 0);
    if (Process->CommitCharge != 0 || Process->WorkingSetList.NumberOfPageTables != 0 ||
        Process->Vm.WorkingSetSize != 0)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_PROCESS_LEFTOVERS, (ULONG_PTR)Process, Process->CommitCharge,
                     Process->WorkingSetList.NumberOfPageTables);
    MiUnlockAddressSpace(Process);
    if (Previous)
        MmSwitchAddressSpace(Previous);
}

/* A user page table still in a directory that is being freed: its pages would leak. */
static void MiCheckNoUserPageTables(PMMADDRESS_SPACE AddressSpace)
{
    KIRQL OldIrql;
    ULONG Found = PTE_PER_PAGE;
    const MMPTE *Pd = MiMapPageInHyperSpace(AddressSpace->PageDirectoryPfn, &OldIrql);
    for (ULONG Index = 0; Index < MiGetPdeIndex(MmSystemRangeStart) && Found == PTE_PER_PAGE; Index++) {
        if (Pd[Index].u.Hard.Valid)
            Found = Index;
    }
    MiUnmapPageInHyperSpace((PVOID)Pd, OldIrql);
    if (Found != PTE_PER_PAGE)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_USER_PAGE_TABLE_LEFT, AddressSpace->PageDirectoryPfn, Found, 0);
}

void MmDeleteAddressSpace(PMMADDRESS_SPACE AddressSpace)
{
    PEPROCESS Process = AddressSpace->Process;
    KIRQL OldIrql;

    ASSERT(AddressSpace != MiCurrentAddressSpace && AddressSpace != &MmSystemAddressSpace);
    if (Process) {
        MmCleanProcessAddressSpace(Process);
        KeAcquireSpinLock(&MiProcessListLock, &OldIrql);
        RemoveEntryList(&Process->MmProcessLinks);
        KeReleaseSpinLock(&MiProcessListLock, OldIrql);
        AddressSpace->Process = NULL;
    }
    MiCheckNoUserPageTables(AddressSpace);
    MiInsertPageInFreeList(AddressSpace->HyperSpacePfn);
    MiInsertPageInFreeList(AddressSpace->PageDirectoryPfn);
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

