/*
 * mm/pagetab.c — kernel page tables: made on demand, kept in a master copy,
 * synchronised lazily.
 *
 * System space is the same in every address space, but each address space
 * has its own page directory, so the PDEs that cover system space must agree
 * everywhere. NT's x86 solution, and mm386's: the system process's page
 * directory (the boot page directory, MmSystemPagePtes) is the master copy.
 * A new address space copies the master's system PDEs when it is created
 * (procsup.c). A page table made later — paged pool growing, a new system
 * PTE region being touched — is entered in the master and in the current
 * directory only. Another address space that reaches that region faults on
 * the missing PDE; MmAccessFault sees the master has it, copies it
 * (MiSyncSystemPde) and the access is retried. System page tables are never
 * freed, so a copied PDE can never go stale.
 *
 * Before the PFN database exists, page-table pages come from MxGetNextPage
 * and are zeroed through the self-map; afterwards they are zeroed pages from
 * MiRemoveZeroPage, so a page table is never live with garbage in it. A
 * page table's PFN entry counts its shares as NT's does: one for its PDE,
 * one for each page mapped in it (MiInitializePfn adds them), so the system
 * page directory's share count is one plus the system page tables.
 *
 * The page-level helpers live here too: MiMapSystemPage/MiUnmapSystemPage
 * write and clear a PTE without touching the PFN database (boot, and frames
 * their owner accounts for), MiMapNewSystemPage/MiFreeSystemPage take and
 * release an accounted page (pool expansion, special pool).
 */
#include "mi.h"

extern MMPTE KiBootPageDirectory[];

PMMPTE MmSystemPagePtes = KiBootPageDirectory;
PFN_NUMBER MmSystemPageDirectoryPfn;
volatile ULONG MmSystemPageTablePages;
volatile ULONG MmSystemPdeGeneration;
static KSPIN_LOCK MiSystemPageTableLock;

bool MiSyncSystemPde(PVOID Va)
{
    PMMPTE Pde = MiAddressToPde(Va);
    MMPTE Master = MiReadPte(&MmSystemPagePtes[MiGetPdeIndex(Va)]);

    if (MiReadPte(Pde).u.Hard.Valid)
        return true;
    if (!Master.u.Hard.Valid)
        return false;
    MiWritePte(Pde, Master);
    return true;
}

bool MiEnsureSystemPageTable(PVOID Va)
{
    KIRQL OldIrql;
    PMMPTE Pde = MiAddressToPde(Va);
    PMMPTE Master = &MmSystemPagePtes[MiGetPdeIndex(Va)];

    ASSERT((ULONG)Va >= (ULONG)MmSystemRangeStart);
    if (MiReadPte(Pde).u.Hard.Valid || MiSyncSystemPde(Va))
        return true;

    if (!MmPfnDatabaseReady) {
        /* Phase 0: one processor, no interrupts, no PFN database yet. */
        PFN_NUMBER Pfn = MxGetNextPage();
        MiWritePte(Master, MiMakeValidPte(Pfn, MI_PDE_KERNEL));
        MiWritePte(Pde, MiMakeValidPte(Pfn, MI_PDE_KERNEL));
        RtlFillMemoryUlong(MiPdeToPte(Pde), PAGE_SIZE, 0);
        KeFlushProcessTb();
        MmSystemPageTablePages++;
        MmSystemPdeGeneration++;
        return true;
    }

    PFN_NUMBER Pfn = MiRemoveZeroPage();
    if (Pfn == MI_NO_PAGE)
        return false;
    KeAcquireSpinLock(&MiSystemPageTableLock, &OldIrql);
    if (MiReadPte(Master).u.Hard.Valid) {
        /* Someone made it while we were getting the page. */
        KeReleaseSpinLock(&MiSystemPageTableLock, OldIrql);
        MiInsertPageInFreeList(Pfn);
        return MiSyncSystemPde(Va);
    }
    /*
     * The page table's one mapping is its PDE in the master directory (the
     * copies in other directories are the same entry, synchronised): share
     * 1, held by the system page directory, which gains a share.
     */
    KIRQL PfnIrql;
    LOCK_PFN(PfnIrql);
    MiInitializePfnForOtherProcess(Pfn, Pde, MmSystemPageDirectoryPfn);
    UNLOCK_PFN(PfnIrql);
    MMPTE NewPde = MiMakeValidPte(Pfn, MI_PDE_KERNEL);
    MiWritePte(Master, NewPde);
    MiWritePte(Pde, NewPde);
    MmSystemPageTablePages++;
    MmSystemPdeGeneration++;
    KeReleaseSpinLock(&MiSystemPageTableLock, OldIrql);
    return true;
}

bool MiMapSystemPage(PVOID Va, PFN_NUMBER Pfn, ULONG Bits)
{
    if (!MiEnsureSystemPageTable(Va))
        return false;
    PMMPTE Pte = MiAddressToPte(Va);
    ASSERT(!MiReadPte(Pte).u.Hard.Valid);
    MiWritePte(Pte, MiMakeValidPte(Pfn, Bits));
    return true;
}

PFN_NUMBER MiUnmapSystemPage(PVOID Va)
{
    PMMPTE Pte = MiAddressToPte(Va);
    MMPTE Old = MiReadPte(Pte);
    ASSERT(Old.u.Hard.Valid);
    MiWritePte(Pte, (MMPTE){ .u.Long = 0 });
    HalInvalidatePage(Va);
    return Old.u.Hard.PageFrameNumber;
}

PFN_NUMBER MiMapNewSystemPage(PVOID Va)
{
    KIRQL OldIrql;

    if (!MiEnsureSystemPageTable(Va))
        return MI_NO_PAGE;
    LOCK_PFN(OldIrql);
    PFN_NUMBER Pfn = MiRemoveAnyPageLocked();
    if (Pfn != MI_NO_PAGE)
        MiInitializePfnAndMakePteValid(Pfn, MiAddressToPte(Va), MiMakeValidPte(Pfn, MI_PTE_KERNEL_READWRITE));
    UNLOCK_PFN(OldIrql);
    return Pfn;
}

void MiFreeSystemPage(PVOID Va)
{
    KIRQL OldIrql;
    LOCK_PFN(OldIrql);
    MiDeleteValidPte(MiAddressToPte(Va));
    UNLOCK_PFN(OldIrql);
}
