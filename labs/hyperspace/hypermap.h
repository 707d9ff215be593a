/*
 * mm/hypermap.h — hyperspace's interface, THE LAB'S VERSION
 * (docs/labs/hyperspace.md). The rest of the memory manager uses exactly
 * what is declared here; mm/hypermap.c (yours) implements it. The
 * reference has the map and unmap inline in this header (they are on the
 * path of every page zeroed); here they are ordinary functions, which
 * changes their speed, not their contract. `make lab-reset LAB=hyperspace`
 * puts the reference back.
 */
#ifndef MM386_MM_HYPERMAP_H
#define MM386_MM_HYPERMAP_H

/*
 * Hyperspace is HYPER_SPACE..HYPER_SPACE_END (4 MB, PDE 0x301): one page
 * table per address space, so a PTE written there maps a page only in the
 * current address space. Its 1,024 PTEs are yours to use as you like; the
 * reference uses PTE 0 as a counter and 255 of the rest as slots
 * (MI_HYPERSPACE_PTES, which the debugger's data block and the reference's
 * own tests name; keep it).
 */
#define MI_HYPERSPACE_PTES          255
#define MI_HYPERSPACE_MAX_NESTING   2       /* mappings that may be held at once */

/*
 * Maps Pfn at a page-aligned hyperspace address and returns it, raising
 * the IRQL to DISPATCH_LEVEL (*OldIrql gets the IRQL to go back to): the
 * mapping belongs to this processor and this address space, so nothing may
 * switch threads or address spaces while it is held. Callable at IRQL <=
 * DISPATCH_LEVEL with fewer than MI_HYPERSPACE_MAX_NESTING mappings held;
 * otherwise MiHyperSpaceMisuse(Pfn). The page must read as itself even if
 * the address was mapping another page a moment ago: no stale translation.
 */
PVOID MiMapPageInHyperSpace(PFN_NUMBER Pfn, PKIRQL OldIrql);
/*
 * Ends the mapping at Va and lowers the IRQL to OldIrql. Misuse — Va not a
 * mapping held, no mapping held, an IRQL other than DISPATCH_LEVEL — is
 * MiHyperSpaceMisuse(Va).
 */
void MiUnmapPageInHyperSpace(PVOID Va, KIRQL OldIrql);
/*
 * Prepares a fresh hyperspace page table, at a mapped address HyperPte,
 * for a new address space (mm/procsup.c calls it, through hyperspace
 * itself, before the new page directory points at the page).
 */
void MiInitializeHyperSpacePage(PMMPTE HyperPte);
/* Whole-TLB flushes the scheme has needed (!vm prints it). */
extern ULONG MiHyperSpaceFlushes;
/* Mappings held now: 0, 1 or 2. mm/procsup.c refuses an address-space switch while it is not 0. */
extern ULONG MiHyperSpaceDepth;
/* MEMORY_MANAGEMENT (0x1A) with MM_BUGCHECK_HYPERSPACE, What, the depth and the IRQL. Given. */
NORETURN void MiHyperSpaceMisuse(ULONG_PTR What);

#endif
