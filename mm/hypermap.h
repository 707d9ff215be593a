/*
 * mm/hypermap.h — hyperspace's interface: mapping any physical page for a
 * moment (mm/hypermap.c describes the mechanism). The map and unmap are
 * inline here: they are on the path of every page zeroed or copied. The
 * rest of the memory manager uses exactly what this header declares, and
 * the hyperspace lab (docs/labs/hyperspace.md) replaces this header and
 * mm/hypermap.c with its own.
 */
#ifndef MM386_MM_HYPERMAP_H
#define MM386_MM_HYPERMAP_H

/*
 * Hyperspace mapping slots, NT's scheme. PTE 0 of the hyperspace page table
 * holds the countdown of free slots (in its frame-number field; it is never
 * valid); slots 1..MI_HYPERSPACE_PTES are used in turn and left valid on
 * unmap. When fewer than MI_HYPERSPACE_MAX_NESTING slots remain, the next
 * outermost map zeroes them all and flushes the TLB once.
 */
#define MI_HYPERSPACE_PTES          255
#define MI_HYPERSPACE_MAX_NESTING   2
/*
 * Maps Pfn at a hyperspace address and raises to DISPATCH_LEVEL (the
 * mapping belongs to this processor and this address space, so nothing may
 * switch either while it is held). Callable at IRQL <= DISPATCH_LEVEL; at
 * most MI_HYPERSPACE_MAX_NESTING mappings at once.
 */
static inline PVOID MiMapPageInHyperSpace(PFN_NUMBER Pfn, PKIRQL OldIrql);
static inline void MiUnmapPageInHyperSpace(PVOID Va, KIRQL OldIrql);
/* Prepares a fresh hyperspace page table (the countdown in PTE 0) at a mapped address. */
void MiInitializeHyperSpacePage(PMMPTE HyperPte);
/* Slot bookkeeping for tests and !vm: how many TLB flushes the scheme has needed. */
extern ULONG MiHyperSpaceFlushes;
extern ULONG MiHyperSpaceDepth;
NORETURN void MiHyperSpaceMisuse(ULONG_PTR What);
ULONG MiFlushHyperSpace(PMMPTE Counter);

/* The map and unmap are inline: they are on the path of every page zeroed or copied. */
static inline PVOID MiMapPageInHyperSpace(PFN_NUMBER Pfn, PKIRQL OldIrql)
{
    PMMPTE Counter = MiAddressToPte(HYPER_SPACE);
    ULONG Depth = MiHyperSpaceDepth;

    if (KeGetCurrentIrql() > DISPATCH_LEVEL || Depth >= MI_HYPERSPACE_MAX_NESTING)
        MiHyperSpaceMisuse(Pfn);
    KeRaiseIrql(DISPATCH_LEVEL, OldIrql);

    ULONG Free = Counter->u.Long >> PAGE_SHIFT;
    if (Free < MI_HYPERSPACE_MAX_NESTING && Depth == 0)
        Free = MiFlushHyperSpace(Counter);
    Counter->u.Long = (Free - 1) << PAGE_SHIFT;
    MiHyperSpaceDepth = Depth + 1;
    Counter[Free].u.Long = (Pfn << PAGE_SHIFT) | MI_PTE_PRIVATE_READWRITE;
    return (PVOID)(HYPER_SPACE + (Free << PAGE_SHIFT));
}

static inline void MiUnmapPageInHyperSpace(PVOID Va, KIRQL OldIrql)
{
    ULONG Slot = ((ULONG)Va - HYPER_SPACE) >> PAGE_SHIFT;

    if (Slot - 1 >= MI_HYPERSPACE_PTES || MiHyperSpaceDepth == 0 ||
        KeGetCurrentIrql() != DISPATCH_LEVEL || OldIrql > DISPATCH_LEVEL)
        MiHyperSpaceMisuse((ULONG_PTR)Va);
    MiHyperSpaceDepth--;
    KeLowerIrql(OldIrql);
}

#endif
