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
 * behaviour (a stale translation planted on purpose is gone after the
 * scheme's flush). QEMU drops every translation on any CR3 load, so only
 * the structural checks can fail there; an emulator that keeps global
 * entries across CR3 loads, as the hardware does (Bochs), fails the
 * behavioural ones too if a scheme used the wrong flush.
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
 * CR3 load. A stale translation of a released run is planted, and the
 * pool's own flush must be counted as the full kind.
 */
KTEST(tlb, system_pte_scheme_uses_the_full_flush)
{
    PMMPTE Pte = MiReserveSystemPtes(1, SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    PFN_NUMBER A = MiRemoveAnyPage();
    ASSERT_NE(A, MI_NO_PAGE);
    TestFillPage(A, 0x11111111);
    volatile ULONG *Va = MiPteToAddress(Pte);
    MiWritePte(Pte, MiMakeValidPte(A, MI_PTE_KERNEL_READWRITE));
    EXPECT_EQ(*Va, 0x11111111);
    MiReleaseSystemPtes(Pte, 1, SystemPteSpace);    /* zeroed, not flushed: the translation of A stays */

    ULONG Entire = HalTbFlushCounts.EntireFlushes, Process = HalTbFlushCounts.ProcessFlushes;
    MiDrainSystemPteCaches();                       /* the pool's own flush */
    EXPECT_GT(HalTbFlushCounts.EntireFlushes, Entire);
    EXPECT_EQ(HalTbFlushCounts.ProcessFlushes, Process);
    MiInsertPageInFreeList(A);
}

/* Hyperspace's lazy scheme: its slots are never global, so the wrap's CR3 load is enough, and that is what it uses. */
KTEST(tlb, hyperspace_scheme_uses_the_address_space_flush)
{
    KIRQL OldIrql;
    ULONG Wraps = MiHyperSpaceFlushes;
    ULONG Entire = HalTbFlushCounts.EntireFlushes, Process = HalTbFlushCounts.ProcessFlushes;
    for (ULONG i = 0; i <= MI_HYPERSPACE_PTES && MiHyperSpaceFlushes == Wraps; i++) {
        PVOID Va = MiMapPageInHyperSpace(MmSystemAddressSpace.HyperSpacePfn, &OldIrql);
        MiUnmapPageInHyperSpace(Va, OldIrql);
    }
    ASSERT_EQ(MiHyperSpaceFlushes, Wraps + 1);
    EXPECT_EQ(HalTbFlushCounts.ProcessFlushes, Process + 1);
    EXPECT_EQ(HalTbFlushCounts.EntireFlushes, Entire);
}
