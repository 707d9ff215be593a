/*
 * mm/mmdbg.c — the memory manager's service to the kernel debugger:
 * MmDbgCopyMemory and the debugger's own mapping PTE.
 *
 * NT's kernel debugger never touches memory the plain way. It asks the
 * memory manager to copy at most eight bytes at a time, through
 * MmDbgCopyMemory, which first checks that a valid PTE maps the address
 * (so a bad address is an error, never a fault inside the debugger) and
 * reaches a physical address, or a virtual one that is read-only, through
 * one PTE kept for the purpose, MmDebugPte: it maps the frame there,
 * writable, copies, and unmaps. That is how a breakpoint's int3 gets into
 * read-only kernel code and how !db reads a physical page.
 *
 * mm386 does the same. MmDebugPte is one system PTE reserved at boot; the
 * kernel debugger is the only user, and it runs with interrupts off on a
 * stopped kernel or on the prompt's thread, so nothing else ever uses the
 * PTE and no lock is taken — the routine can run whatever the stopped code
 * held. Not hyperspace: its slots, its nesting depth and its IRQL rule
 * belong to whatever code the debugger stopped, possibly in the middle of
 * a mapping. The PTE is kernel-only and never global, and it is cleared
 * and its translation invalidated after every copy.
 *
 * The stopped prompt's `.process` (kernel/kd/kdprocess.c) loads another
 * process's page directory into CR3 for the length of a command. Before
 * it does, MmDbgPrepareAddressSpace brings that directory's system PDEs up
 * to date from the master — what MmPrepareAddressSpaceSwitch does on a
 * thread switch, done here through MmDebugPte for the same reason as
 * above: hyperspace belongs to the stopped code.
 */
#include "mi.h"

PMMPTE MmDebugPte;

/* Reserves the debugger's PTE (MmInitSystem, phase 0, once system PTEs exist). Without one, physical copies fail. */
void MiInitializeDebugPte(void)
{
    MmDebugPte = MiReserveSystemPtes(1, SystemPteSpace);
}

/* Maps the frame of Physical at MmDebugPte; returns the address of Physical there, or NULL. */
static PVOID MiDbgTranslatePhysicalAddress(uint64_t Physical, ULONG Flags)
{
    PFN_NUMBER Pfn = (PFN_NUMBER)(Physical >> PAGE_SHIFT);
    ULONG Bits = PTE_VALID | PTE_WRITE | PTE_ACCESSED | PTE_DIRTY;

    if (!MmDebugPte || Physical >> 32)
        return NULL;
    if (Flags & (MMDBG_COPY_UNCACHED | MMDBG_COPY_WRITE_COMBINED))
        Bits |= PTE_CACHE_DISABLE;
    else if (!MiIsPhysicalPage(Pfn))
        return NULL;            /* not RAM: device memory is read only when the caller says how (uncached) */
    PVOID Va = MiPteToAddress(MmDebugPte);
    MiWritePte(MmDebugPte, MiMakeValidPte(Pfn, Bits));
    HalInvalidatePage(Va);
    return (PUCHAR)Va + BYTE_OFFSET((ULONG)Physical);
}

static void MiDbgUnTranslatePhysicalAddress(void)
{
    PVOID Va = MiPteToAddress(MmDebugPte);
    MmDebugPte->u.Long = 0;
    HalInvalidatePage(Va);
}

/*
 * Copies Size bytes (1, 2, 4 or 8, at an address aligned to Size, so never
 * across a page) between Buffer and Address: a virtual address of the
 * current address space, or a physical one with MMDBG_COPY_PHYSICAL; into
 * Address with MMDBG_COPY_WRITE. Returns STATUS_SUCCESS;
 * STATUS_INVALID_PARAMETER_3 for a bad size or alignment,
 * STATUS_INVALID_PARAMETER_4 for unknown flags; STATUS_UNSUCCESSFUL when
 * no valid PTE maps the virtual address, or the physical page cannot be
 * mapped (not RAM and not asked uncached, above 4 GB, or before boot
 * reserved MmDebugPte). A write to a read-only page goes through the frame.
 * Any IRQL, interrupts off: the kernel debugger's routine; it takes no lock.
 */
NTSTATUS MmDbgCopyMemory(uint64_t Address, PVOID Buffer, ULONG Size, ULONG Flags)
{
    const ULONG Known = MMDBG_COPY_WRITE | MMDBG_COPY_PHYSICAL | MMDBG_COPY_UNSAFE | MMDBG_COPY_CACHED |
                        MMDBG_COPY_UNCACHED | MMDBG_COPY_WRITE_COMBINED;
    PVOID Target;

    if (Size != 1 && Size != 2 && Size != 4 && Size != 8)
        return STATUS_INVALID_PARAMETER_3;
    if (Address & (Size - 1))
        return STATUS_INVALID_PARAMETER_3;
    if (Flags & ~Known)
        return STATUS_INVALID_PARAMETER_4;
    if (Flags & MMDBG_COPY_PHYSICAL) {
        Target = MiDbgTranslatePhysicalAddress(Address, Flags);
        if (!Target)
            return STATUS_UNSUCCESSFUL;
    } else {
        if (Address >> 32 || !MmIsAddressValid((PVOID)(ULONG)Address))
            return STATUS_UNSUCCESSFUL;
        Target = (PVOID)(ULONG)Address;
        MMPTE Pde = MiReadPte(MiAddressToPde(Target));
        bool Writable = Pde.u.Hard.LargePage ? Pde.u.Hard.Write : MiReadPte(MiAddressToPte(Target)).u.Hard.Write;
        if ((Flags & MMDBG_COPY_WRITE) && !Writable) {
            /* Read-only (kernel code): write through the frame, as NT's debugger plants int3s. */
            PHYSICAL_ADDRESS Physical = MmGetPhysicalAddress(Target);
            Flags |= MMDBG_COPY_PHYSICAL;
            Target = MiDbgTranslatePhysicalAddress(Physical, Flags & ~(MMDBG_COPY_UNCACHED | MMDBG_COPY_WRITE_COMBINED));
            if (!Target)
                return STATUS_UNSUCCESSFUL;
        }
    }

    volatile UCHAR *From = (Flags & MMDBG_COPY_WRITE) ? Buffer : Target;
    volatile UCHAR *To = (Flags & MMDBG_COPY_WRITE) ? Target : Buffer;
    switch (Size) {
    case 1: *(volatile UCHAR *)To = *(volatile UCHAR *)From; break;
    case 2: *(volatile USHORT *)To = *(volatile USHORT *)From; break;
    case 4: *(volatile ULONG *)To = *(volatile ULONG *)From; break;
    default: *(volatile uint64_t *)To = *(volatile uint64_t *)From; break;
    }
    if (Flags & MMDBG_COPY_PHYSICAL)
        MiDbgUnTranslatePhysicalAddress();
    return STATUS_SUCCESS;
}

/*
 * The CR3 value of AddressSpace's page directory, after copying into it
 * every system PDE the master has and it lacks, so that once it is loaded
 * nothing in the system range faults for want of a page table: not the
 * debugger's stack, nor its code, nor the structures it reads (a fault on
 * the stack itself, with no PDE to push the fault's frame through, would
 * be a double fault). The copy is the lazy synchronisation a fault would
 * make, made ahead; system page tables are never freed, so it never goes
 * stale. Returns 0 for an address space with no directory, or before boot
 * reserved MmDebugPte. Interrupts off, any IRQL, no lock: the debugger's.
 */
ULONG MmDbgPrepareAddressSpace(PMMADDRESS_SPACE AddressSpace)
{
    PFN_NUMBER Directory = AddressSpace->PageDirectoryPfn;

    if (Directory == 0 || !MiIsPhysicalPage(Directory))
        return 0;
    if (Directory == MmSystemPageDirectoryPfn)
        return Directory << PAGE_SHIFT;
    PMMPTE Pd = MiDbgTranslatePhysicalAddress((uint64_t)Directory << PAGE_SHIFT, 0);
    if (!Pd)
        return 0;
    for (ULONG Index = MiGetPdeIndex(MmSystemRangeStart); Index < PTE_PER_PAGE; Index++) {
        if (Index == SELF_MAP_PDE || Index == HYPER_SPACE_PDE)
            continue;
        if (!Pd[Index].u.Hard.Valid && MmSystemPagePtes[Index].u.Hard.Valid)
            Pd[Index] = MmSystemPagePtes[Index];
    }
    MiDbgUnTranslatePhysicalAddress();
    return Directory << PAGE_SHIFT;
}
