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
 * the directory maps every kernel stack. A process's address space
 * (MmCreateProcessAddressSpace) is one of these plus an empty user range:
 * the VAD tree and counters in its EPROCESS. Deleting it releases the user
 * range first (MmCleanProcessAddressSpace: every VAD, page, page table and
 * commit charge; a view's shared pages lose their shares and its control
 * area its reference), then the directory and hyperspace page.
 */
#include <ps.h>
#include "mi.h"
#include "section.h"

MMADDRESS_SPACE MmSystemAddressSpace;
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
    AddressSpace->Process = NULL;
    return STATUS_SUCCESS;
}

/* An empty user range for Process, listed on MmProcessList; its address space already made. */
static void MiInitializeUserRange(PEPROCESS Process)
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
    Process->AddressSpace.Process = Process;
    KeAcquireSpinLock(&MiProcessListLock, &OldIrql);
    InsertTailList(&MmProcessList, &Process->MmProcessLinks);
    KeReleaseSpinLock(&MiProcessListLock, OldIrql);
}

NTSTATUS MmCreateProcessAddressSpace(PEPROCESS Process)
{
    NTSTATUS Status = MmCreateAddressSpace(&Process->AddressSpace);
    if (!NT_SUCCESS(Status))
        return Status;
    MiInitializeUserRange(Process);
    return STATUS_SUCCESS;
}

void MmInitializeProcessAddressSpace(PEPROCESS SystemProcess)
{
    SystemProcess->AddressSpace = MmSystemAddressSpace;
    MiInitializeUserRange(SystemProcess);
}

void MmCleanProcessAddressSpace(PEPROCESS Process)
{
    KAPC_STATE ApcState;
    ULONG Charged = 0;
    PMMVAD Vad;

    KeStackAttachProcess(&Process->Pcb, &ApcState);
    MiLockAddressSpace(Process);
    MiLockWorkingSet(Process);
    while ((Vad = MiGetFirstVad(Process)) != NULL) {
        MiRemoveVad(Vad, Process);
        MiDeleteUserRange(Process, (ULONG)MI_VPN_TO_VA(Vad->StartingVpn), (ULONG)MI_VPN_TO_VA_ENDING(Vad->EndingVpn),
                          Vad->u.VadFlags.VadType == VadDevicePhysicalMemory ? MiDeleteNotOwned :
                          MiIsViewVad(Vad) ? MiDeleteShared : MiDeletePrivate);
        Charged += Vad->CommitCharge;
        if (MiIsViewVad(Vad))
            MiReleaseViewVad(Vad);      /* the view's reference on its control area, perhaps the last */
        MiFreeVad(Vad);
    }
    MiUnmapSharedUserData(Process);
    MiUnlockWorkingSet(Process);
    MiReturnPageTableCommitment(Process, 0, (ULONG)MmHighestUserAddress);
    MiReturnProcessCommitment(Process, Charged);
    Process->VirtualSize = 0;
    /* What a process still holds once its last VAD is gone is a leak of the memory manager's, or a lock. */
    if (Process->NumberOfLockedPages != 0)
        KeBugCheckEx(PROCESS_HAS_LOCKED_PAGES, 0, (ULONG_PTR)Process, Process->NumberOfLockedPages, 0);
    if (Process->CommitCharge != 0 || Process->WorkingSetList.NumberOfPageTables != 0 ||
        Process->Vm.WorkingSetSize != 0 || Process->NumberOfPrivatePages != 0)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_PROCESS_LEFTOVERS, (ULONG_PTR)Process, Process->CommitCharge,
                     Process->WorkingSetList.NumberOfPageTables);
    MiUnlockAddressSpace(Process);
    KeUnstackDetachProcess(&ApcState);
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

/*
 * The directory is not current, so nothing maps through it. A process's
 * user range goes first (MmCleanProcessAddressSpace); then the directory's
 * entries for the hyperspace page and for itself end, and each page goes
 * free with its last share (the directory last: its self-map share goes
 * with the second).
 */
void MmDeleteAddressSpace(PMMADDRESS_SPACE AddressSpace)
{
    PEPROCESS Process = AddressSpace->Process;
    KIRQL OldIrql;

    ASSERT(AddressSpace->PageDirectoryPfn != MmSystemPageDirectoryPfn &&
           AddressSpace->PageDirectoryPfn != MmGetCurrentAddressSpace()->PageDirectoryPfn);
    if (Process) {
        MmCleanProcessAddressSpace(Process);
        KeAcquireSpinLock(&MiProcessListLock, &OldIrql);
        RemoveEntryList(&Process->MmProcessLinks);
        KeReleaseSpinLock(&MiProcessListLock, OldIrql);
        AddressSpace->Process = NULL;
    }
    MiCheckNoUserPageTables(AddressSpace);
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

