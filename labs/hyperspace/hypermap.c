/*
 * mm/hypermap.c — hyperspace: mapping any physical page for a moment.
 * THE LAB'S VERSION (docs/labs/hyperspace.md): the contracts are in
 * mm/hypermap.h and here, the bodies are yours. `make grade
 * LAB=hyperspace` scores it; `make lab-reset LAB=hyperspace` puts the
 * reference back (your files are saved first).
 *
 * mm386, like NT, has no permanent map of physical memory. To touch a page
 * that is not mapped — to zero it before handing it out, to build a new
 * page directory — the kernel maps it for a moment in hyperspace: 4 MB at
 * HYPER_SPACE whose page table (PDE 0x301) belongs to each address space,
 * reached through the self-map as MiAddressToPte(HYPER_SPACE) and on. The
 * zero page thread and every demand-zero fault come here; so does the boot,
 * long before anything else works, so the kernel does not start until this
 * does.
 *
 * The design is yours. The simplest correct one maps with a PTE write and
 * unmaps with the PTE cleared and HalInvalidatePage; NT's (the reference's)
 * leaves unmapped PTEs valid and flushes the whole TLB once every 255
 * mappings, never reusing a slot in between. Whichever: a mapping must
 * never show a page other than the one just mapped (a stale TLB entry for
 * a reused address would), two mappings held at once must not share an
 * address, and a mapping is private to the address space that made it.
 * Hyperspace PTEs must not be global (MmPteGlobal): the page table differs
 * between address spaces, and a CR3 reload must drop its translations.
 */
#include "mi.h"

ULONG MiHyperSpaceFlushes;
ULONG MiHyperSpaceDepth;

NORETURN __attribute__((cold)) void MiHyperSpaceMisuse(ULONG_PTR What)
{
    KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_HYPERSPACE, What, MiHyperSpaceDepth, KeGetCurrentIrql());
}

void MiInitializeHyperSpacePage(PMMPTE HyperPte)
{
}

PVOID MiMapPageInHyperSpace(PFN_NUMBER Pfn, PKIRQL OldIrql)
{
    return NULL;
}

void MiUnmapPageInHyperSpace(PVOID Va, KIRQL OldIrql)
{
}
