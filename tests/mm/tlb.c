/*
 * tests/mm/tlb.c — TLB discipline: which translations are global, and
 * which flush each lazy scheme relies on.
 *
 * The architecture's rules (Intel SDM vol. 3, 4.10): with CR4.PGE set, a
 * translation whose PTE has the G bit survives a CR3 load; toggling
 * CR4.PGE, or invlpg, drops it. So kernel pages may be global, but what
 * differs between address spaces — the self-map, hyperspace, the user
 * range — must never be, and a lazy scheme that leaves global translations
 * behind must flush with KeFlushCurrentTb, not a CR3 load.
 *
 * Each scheme is checked two ways: structurally (the flush it performs is
 * the kind it must perform: HalTbFlushCounts says which ran), and by
 * behaviour: a translation is planted (the page read through the address,
 * so the TLB holds it), the scheme releases the address and hands it out
 * again for another page, and a read through it must see the new page.
 * QEMU caches translations too but drops all of them, global or not, on
 * any CR3 load: there the read catches a scheme that does not flush at
 * all. Bochs keeps global entries across a CR3 load, as the hardware does:
 * there it also catches a scheme whose flush is of the wrong kind. The
 * counters catch the wrong kind on both.
 */
#include "../testlib.h"

/* Kernel pages carry G when the CPU has PGE; a hyperspace slot and the self-map's entries never do. */
KTEST(tlb, global_only_where_the_address_space_does_not_matter)
{
    extern char __kernel_start[];
    KIRQL OldIrql;
    MMPTE Kernel = MiReadPte(MiAddressToPte(__kernel_start));
    EXPECT_EQ((Kernel.u.Long & PTE_GLOBAL) != 0, HalGlobalPagesEnabled);
    EXPECT_EQ(MmPteGlobal, HalGlobalPagesEnabled ? PTE_GLOBAL : 0);
    EXPECT_EQ((HalReadCr4() & CR4_PGE) != 0, HalGlobalPagesEnabled);

    PVOID Slot = MiMapPageInHyperSpace(MmSystemAddressSpace.HyperSpacePfn, &OldIrql);
    MMPTE Hyper = MiReadPte(MiAddressToPte(Slot));
    MiUnmapPageInHyperSpace(Slot, OldIrql);
    EXPECT_TRUE(Hyper.u.Hard.Valid);
    EXPECT_EQ(Hyper.u.Long & PTE_GLOBAL, 0);

    /* PDEs: the self-map reads them as the PTEs of the page tables. */
    ULONG GlobalPdes = 0;
    for (ULONG i = 0; i < PTE_PER_PAGE; i++)
        GlobalPdes += (MiReadPte(MiAddressToPde(i << PDE_SHIFT)).u.Long & (PTE_VALID | PTE_GLOBAL)) ==
                      (PTE_VALID | PTE_GLOBAL);
    EXPECT_EQ(GlobalPdes, 0);
}

/* KeFlushCurrentTb drops a global translation; the flush is counted as the full kind. */
KTEST(tlb, full_flush_drops_global_translations)
{
    PMMPTE Pte = MiReserveSystemPtes(1, SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    PFN_NUMBER A = MiRemoveAnyPage(), B = MiRemoveAnyPage();
    ASSERT_NE(A, MI_NO_PAGE);
    ASSERT_NE(B, MI_NO_PAGE);
    TestFillPage(A, 0xAAAAAAAA);
    TestFillPage(B, 0xBBBBBBBB);
    volatile ULONG *Va = MiPteToAddress(Pte);

    MiWritePte(Pte, MiMakeValidPte(A, MI_PTE_KERNEL_READWRITE));
    EXPECT_EQ(*Va, 0xAAAAAAAA);                     /* the translation is cached now, global if PGE */
    MiWritePte(Pte, MiMakeValidPte(B, MI_PTE_KERNEL_READWRITE));
    ULONG Entire = HalTbFlushCounts.EntireFlushes, Process = HalTbFlushCounts.ProcessFlushes;
    KeFlushCurrentTb();
    EXPECT_EQ(HalTbFlushCounts.EntireFlushes, Entire + 1);
    EXPECT_EQ(HalTbFlushCounts.ProcessFlushes, Process);
    EXPECT_EQ(*Va, 0xBBBBBBBB);

    MiWritePte(Pte, (MMPTE){ .u.Long = 0 });
    HalInvalidatePage((PVOID)Va);
    MiReleaseSystemPtes(Pte, 1, SystemPteSpace);
    MiInsertPageInFreeList(A);
    MiInsertPageInFreeList(B);
}

/*
 * The system PTE pool's lazy scheme: a released run waits for a whole-TLB
 * flush before it is handed out again. Its translations are kernel ones,
 * global when the CPU has PGE, so the flush must be the full kind — which
 * full_flush_drops_global_translations shows drops them — never only a
 * CR3 load. With the caches drained, a one-PTE reservation cuts a fresh
 * cache of runs; the run is mapped to page A and read,
 * released (it waits, its translation of A possibly still cached), and
 * reservations are taken until the pool hands that same address out again
 * (after the cache's other runs, through the flush). Mapped to page B, it
 * must read B; and the flush that let it out must have been the full kind.
 */
#define TLB_MAX_RESERVATIONS    256     /* well over what a size's cache holds: the run comes back before */

KTEST(tlb, system_pte_scheme_uses_the_full_flush)
{
    static PMMPTE Held[TLB_MAX_RESERVATIONS];
    ULONG HeldCount = 0;
    PFN_NUMBER A = MiRemoveAnyPage(), B = MiRemoveAnyPage();
    ASSERT_NE(A, MI_NO_PAGE);
    ASSERT_NE(B, MI_NO_PAGE);
    TestFillPage(A, 0x11111111);
    TestFillPage(B, 0x22222222);

    MiDrainSystemPteCaches();
    PMMPTE Pte = MiReserveSystemPtes(1, SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    volatile ULONG *Va = MiPteToAddress(Pte);
    MiWritePte(Pte, MiMakeValidPte(A, MI_PTE_KERNEL_READWRITE));
    EXPECT_EQ(*Va, 0x11111111);                     /* the translation of A is cached now, global if PGE */
    MiReleaseSystemPtes(Pte, 1, SystemPteSpace);    /* zeroed, not flushed */

    ULONG Entire = HalTbFlushCounts.EntireFlushes, Process = HalTbFlushCounts.ProcessFlushes;
    PMMPTE Again = NULL;
    while (HeldCount < TLB_MAX_RESERVATIONS) {
        PMMPTE Next = MiReserveSystemPtes(1, SystemPteSpace);
        if (Next == NULL)
            break;
        if (Next == Pte) {
            Again = Next;
            break;
        }
        Held[HeldCount++] = Next;
    }
    EXPECT_EQ(Again, Pte);
    if (Again) {
        EXPECT_GT(HalTbFlushCounts.EntireFlushes, Entire);  /* it came back through the pool's flush */
        EXPECT_EQ(HalTbFlushCounts.ProcessFlushes, Process);
        MiWritePte(Again, MiMakeValidPte(B, MI_PTE_KERNEL_READWRITE));
        EXPECT_EQ(*Va, 0x22222222);                 /* a stale translation would still read A */
        MiWritePte(Again, (MMPTE){ .u.Long = 0 });
        MiReleaseSystemPtes(Again, 1, SystemPteSpace);
    }
    for (ULONG i = 0; i < HeldCount; i++)
        MiReleaseSystemPtes(Held[i], 1, SystemPteSpace);
    MiInsertPageInFreeList(A);
    MiInsertPageInFreeList(B);
}

/*
 * Hyperspace's lazy scheme: a slot is not reused until the slots wrap, and
 * the wrap flushes. Its slots are never global, so the wrap's CR3 load is
 * enough, and that is what it uses. Page A is mapped in a slot and read
 * (the TLB holds the slot's translation); page B is then mapped again and
 * again until the slots wrap and B lands in that same slot, where a read
 * must see B.
 */
KTEST(tlb, hyperspace_scheme_uses_the_address_space_flush)
{
    KIRQL OldIrql;
    PFN_NUMBER A = MiRemoveAnyPage(), B = MiRemoveAnyPage();
    ASSERT_NE(A, MI_NO_PAGE);
    ASSERT_NE(B, MI_NO_PAGE);
    TestFillPage(A, 0x33333333);
    TestFillPage(B, 0x44444444);

    volatile ULONG *First = MiMapPageInHyperSpace(A, &OldIrql);
    ULONG ReadA = *First;                           /* cached now */
    MiUnmapPageInHyperSpace((PVOID)First, OldIrql);
    EXPECT_EQ(ReadA, 0x33333333);

    ULONG Wraps = MiHyperSpaceFlushes;
    ULONG Entire = HalTbFlushCounts.EntireFlushes, Process = HalTbFlushCounts.ProcessFlushes;
    bool Reused = false;
    ULONG ReadB = 0;
    for (ULONG i = 0; i <= 2 * MI_HYPERSPACE_PTES && !Reused; i++) {
        volatile ULONG *Va = MiMapPageInHyperSpace(B, &OldIrql);
        if (Va == First) {
            ReadB = *Va;
            Reused = true;
        }
        MiUnmapPageInHyperSpace((PVOID)Va, OldIrql);
    }
    ASSERT_TRUE(Reused);
    EXPECT_EQ(ReadB, 0x44444444);                   /* a stale translation would still read A */
    EXPECT_EQ(MiHyperSpaceFlushes, Wraps + 1);
    EXPECT_EQ(HalTbFlushCounts.ProcessFlushes, Process + 1);
    EXPECT_EQ(HalTbFlushCounts.EntireFlushes, Entire);
    MiInsertPageInFreeList(A);
    MiInsertPageInFreeList(B);
}
