/*
 * mm/hypermap.c — hyperspace: mapping any physical page for a moment.
 *
 * mm386, like NT, has no permanent map of physical memory. To touch a page
 * that is not mapped — to zero it, to build a new page directory — the
 * kernel maps it briefly in hyperspace: 4 MB at HYPER_SPACE (0xC0400000)
 * whose page table (PDE 0x301) belongs to each address space, so a mapping
 * made there is private to the current address space.
 *
 * The mapping PTEs use NT's flush-counter scheme. PTE 0 of the hyperspace
 * page table is never valid; its frame-number field counts the slots still
 * unused. A map takes slot N (N counting down from MI_HYPERSPACE_PTES) and
 * an unmap does nothing to the PTE: a slot is never reused while it might
 * still be in the TLB. When the slots run out, the next map zeroes all of
 * them and flushes the TLB once (MiHyperSpaceFlushes counts these) — one
 * flush per 254 mappings (fewer when maps nest) instead of an invlpg per
 * unmap. That flush is KeFlushProcessTb, a CR3 reload: hyperspace PTEs are
 * never global (MI_PTE_PRIVATE_READWRITE, no MmPteGlobal), so the reload
 * drops every stale slot and keeps the kernel's global translations;
 * KeFlushCurrentTb (CR4.PGE toggled), which system PTEs need, is not
 * needed here.
 *
 * The rule: a hyperspace mapping lives only at DISPATCH_LEVEL. The map
 * raises the IRQL (so no thread switch or address-space switch can happen
 * while the mapping is used) and the unmap lowers it back; callers must be
 * at DISPATCH_LEVEL or below. Mappings may nest MI_HYPERSPACE_MAX_NESTING
 * deep (copying a page maps two): the flush happens at an outermost map as
 * soon as fewer slots remain than a full nest needs, so an inner map always
 * finds a slot and never flushes a mapping still in use. Breaking the rule
 * is MEMORY_MANAGEMENT (0x1A). The map and unmap themselves are inline
 * (mm/mi.h): this file holds the slot page's setup and the cold paths.
 */
#include "mi.h"

ULONG MiHyperSpaceFlushes;
ULONG MiHyperSpaceDepth;

void MiInitializeHyperSpacePage(PMMPTE HyperPte)
{
    RtlFillMemoryUlong(HyperPte, PAGE_SIZE, 0);
    HyperPte[0].u.Long = (ULONG)MI_HYPERSPACE_PTES << PAGE_SHIFT;
}

NORETURN __attribute__((cold)) void MiHyperSpaceMisuse(ULONG_PTR What)
{
    KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_HYPERSPACE, What, MiHyperSpaceDepth, KeGetCurrentIrql());
}

/*
 * The wrap: clears every slot and flushes the TLB once; returns the new count
 * of free slots. Runs at DISPATCH_LEVEL from an outermost map.
 */
__attribute__((cold)) ULONG MiFlushHyperSpace(PMMPTE Counter)
{
    RtlFillMemoryUlong(Counter + 1, MI_HYPERSPACE_PTES * sizeof(MMPTE), 0);
    KeFlushProcessTb();
    MiHyperSpaceFlushes++;
    return MI_HYPERSPACE_PTES;
}
