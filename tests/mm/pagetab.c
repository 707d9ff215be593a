/*
 * tests/mm/pagetab.c — kernel page tables on demand, the master copy and lazy
 * synchronisation; address spaces; MmIsAddressValid and MmGetPhysicalAddress.
 */
#include <ktest.h>
#include "../testlib.h"

/*
 * A system address in a region nothing else uses yet (the system cache) and
 * whose page table does not exist in the master copy.
 */
static PVOID FreshSystemPde(void)
{
    for (ULONG Va = (ULONG)MmSystemCacheStart; Va < (ULONG)MmSystemCacheEnd; Va += 1u << PDE_SHIFT) {
        if (!MiReadPte(&MmSystemPagePtes[MiGetPdeIndex(Va)]).u.Hard.Valid)
            return (PVOID)Va;
    }
    return NULL;
}

/*
 * A kernel page table made while address space A is current is usable from
 * B, which was created before it existed: B faults on the missing PDE and
 * MmAccessFault copies it from the master. Fails if the PDE is not synced
 * (the read would bugcheck 0x50) or if it is synced wrongly.
 */
KTEST(pagetab, lazy_pde_sync_between_address_spaces)
{
    EPROCESS A, B;
    KAPC_STATE ApcState;
    PVOID Va = FreshSystemPde();
    ASSERT_NOT_NULL(Va);
    ASSERT_EQ(TestCreateProcess(&A), STATUS_SUCCESS);
    ASSERT_EQ(TestCreateProcess(&B), STATUS_SUCCESS);
    PFN_NUMBER Page = MiRemoveAnyPage();
    ASSERT_NE(Page, MI_NO_PAGE);
    ULONG Tables = MmSystemPageTablePages;

    KeStackAttachProcess(&A.Pcb, &ApcState);
    ASSERT_TRUE(MiMapSystemPage(Va, Page, MI_PTE_KERNEL_READWRITE));
    EXPECT_EQ(MmSystemPageTablePages, Tables + 1);
    *(volatile ULONG *)Va = 0x5EED5EED;
    KeUnstackDetachProcess(&ApcState);

    /* B was made before the page table: its generation is older, the switch fills the PDE in. */
    KeStackAttachProcess(&B.Pcb, &ApcState);
    EXPECT_TRUE(MiReadPte(MiAddressToPde(Va)).u.Hard.Valid);
    /* As if the switch had not filled it in: only the fault can sync it now. */
    MiWritePte(MiAddressToPde(Va), (MMPTE){ .u.Long = 0 });
    KeFlushCurrentTb();
    /* The queries see the mapping before any access has synced the PDE. */
    EXPECT_EQ(MmGetPhysicalAddress(Va), (PHYSICAL_ADDRESS)Page << PAGE_SHIFT);
    EXPECT_EQ(*(volatile ULONG *)Va, 0x5EED5EED);      /* faults, syncs, retries */
    EXPECT_TRUE(MiReadPte(MiAddressToPde(Va)).u.Hard.Valid);
    EXPECT_EQ(MiReadPte(MiAddressToPde(Va)).u.Long, MiReadPte(&MmSystemPagePtes[MiGetPdeIndex(Va)]).u.Long);
    KeUnstackDetachProcess(&ApcState);

    EXPECT_EQ(*(volatile ULONG *)Va, 0x5EED5EED);
    EXPECT_EQ(MiUnmapSystemPage(Va), Page);
    MiInsertPageInFreeList(Page);
    TestDeleteProcess(&A);
    TestDeleteProcess(&B);
    TestGiveBackSystemPageTable(Va);
}

/* Reading a PTE through the self-map also syncs a missing system PDE (NT's fault on a page-table address). */
KTEST(pagetab, self_map_read_syncs_pde)
{
    EPROCESS B;
    KAPC_STATE ApcState;
    PVOID Va = FreshSystemPde();
    ASSERT_NOT_NULL(Va);
    ASSERT_EQ(TestCreateProcess(&B), STATUS_SUCCESS);
    PFN_NUMBER Page = MiRemoveAnyPage();
    ASSERT_NE(Page, MI_NO_PAGE);
    ASSERT_TRUE(MiMapSystemPage(Va, Page, MI_PTE_KERNEL_READWRITE));

    KeStackAttachProcess(&B.Pcb, &ApcState);
    MiWritePte(MiAddressToPde(Va), (MMPTE){ .u.Long = 0 });     /* as if B predated the page table */
    KeFlushCurrentTb();
    /* The query answers for the page table as an access would: it is there. */
    EXPECT_TRUE(MmIsAddressValid(MiAddressToPte(Va)));
    MiWritePte(MiAddressToPde(Va), (MMPTE){ .u.Long = 0 });
    KeFlushCurrentTb();
    MMPTE Pte = MiReadPte(MiAddressToPte(Va));              /* faults in the PTE region */
    EXPECT_TRUE(Pte.u.Hard.Valid);
    EXPECT_EQ(Pte.u.Hard.PageFrameNumber, Page);
    KeUnstackDetachProcess(&ApcState);

    MiUnmapSystemPage(Va);
    MiInsertPageInFreeList(Page);
    TestDeleteProcess(&B);
    TestGiveBackSystemPageTable(Va);
}

/* A new address space: user PDEs empty, system PDEs from the master, its own self-map and hyperspace. */
KTEST(pagetab, new_address_space_layout)
{
    EPROCESS B;
    KAPC_STATE ApcState;
    ASSERT_EQ(TestCreateProcess(&B), STATUS_SUCCESS);
    KeStackAttachProcess(&B.Pcb, &ApcState);
    ULONG FirstSystem = MiGetPdeIndex(MmSystemRangeStart);
    ULONG UserMapped = 0, SystemDifferent = 0;
    PMMPTE Pd = (PMMPTE)PDE_BASE;
    for (ULONG i = 0; i < FirstSystem; i++)
        UserMapped += Pd[i].u.Long != 0;
    for (ULONG i = FirstSystem; i < PTE_PER_PAGE; i++) {
        if (i != SELF_MAP_PDE && i != HYPER_SPACE_PDE && MmSystemPagePtes[i].u.Long &&
            Pd[i].u.Long != MmSystemPagePtes[i].u.Long)
            SystemDifferent++;
    }
    EXPECT_EQ(UserMapped, 0);
    EXPECT_EQ(SystemDifferent, 0);
    EXPECT_EQ(Pd[SELF_MAP_PDE].u.Hard.PageFrameNumber, B.AddressSpace.PageDirectoryPfn);
    EXPECT_EQ(Pd[HYPER_SPACE_PDE].u.Hard.PageFrameNumber, B.AddressSpace.HyperSpacePfn);
    EXPECT_EQ(HalReadCr3() >> PAGE_SHIFT, B.AddressSpace.PageDirectoryPfn);
    EXPECT_EQ(MmGetCurrentAddressSpace(), &B.AddressSpace);
    KeUnstackDetachProcess(&ApcState);
    EXPECT_EQ(HalReadCr3() >> PAGE_SHIFT, MmSystemPageDirectoryPfn);
    EXPECT_EQ(MI_PFN_ELEMENT(B.AddressSpace.PageDirectoryPfn)->u3.e2.e1.PageLocation, ActiveAndValid);
    TestDeleteProcess(&B);
}

/* MmIsAddressValid and MmGetPhysicalAddress agree with the page tables. */
KTEST(pagetab, address_queries)
{
    extern char __kernel_start[];
    EXPECT_TRUE(MmIsAddressValid(__kernel_start));
    EXPECT_EQ(MmGetPhysicalAddress(__kernel_start + 0x123), (ULONG)__kernel_start + 0x123 - KERNEL_VA_OFFSET);
    EXPECT_FALSE(MmIsAddressValid(NULL));
    EXPECT_EQ(MmGetPhysicalAddress(NULL), 0);
    EXPECT_FALSE(MmIsAddressValid((PVOID)(BOOT_IMAGE_END - PAGE_SIZE)));
    EXPECT_TRUE(MmIsAddressValid((PVOID)PDE_BASE));
    EXPECT_EQ(MmGetPhysicalAddress((PVOID)PDE_BASE) >> PAGE_SHIFT, MmSystemPageDirectoryPfn);
}

/* Creating address spaces until memory runs out fails cleanly with STATUS_INSUFFICIENT_RESOURCES. */
KTEST(pagetab, address_space_creation_fails_cleanly_without_memory)
{
    PFN_NUMBER Chain = MM_EMPTY_LIST;
    MMADDRESS_SPACE B;
    for (;;) {
        PFN_NUMBER Pfn = MiRemoveAnyPage();
        if (Pfn == MI_NO_PAGE)
            break;
        MI_PFN_ELEMENT(Pfn)->u1.Flink = Chain;
        Chain = Pfn;
    }
    EXPECT_EQ(MmCreateAddressSpace(&B), STATUS_INSUFFICIENT_RESOURCES);
    /* With one page left, the second allocation fails and the first is given back. */
    PFN_NUMBER One = Chain;
    Chain = MI_PFN_ELEMENT(One)->u1.Flink;
    MiInsertPageInFreeList(One);
    EXPECT_EQ(MmCreateAddressSpace(&B), STATUS_INSUFFICIENT_RESOURCES);
    EXPECT_EQ(MmAvailablePages, 1);
    while (Chain != MM_EMPTY_LIST) {
        PFN_NUMBER Next = MI_PFN_ELEMENT(Chain)->u1.Flink;
        MiInsertPageInFreeList(Chain);
        Chain = Next;
    }
}

/*
 * Switching to an address space whose directory lacks the PDE of the stack
 * we run on must copy it first: a fault on the current stack could not be
 * delivered (double fault). The test removes that PDE from B and marks B as
 * older than the newest system page table, as if B predated the stack's
 * page table, then attaches to B and back.
 */
KTEST(pagetab, switch_keeps_current_stack_reachable)
{
    EPROCESS B;
    KAPC_STATE ApcState;
    KE_STACK_INFO Stack;
    KIRQL OldIrql;
    ULONG Esp = (ULONG)__builtin_frame_address(0);

    ASSERT_TRUE(KeIdentifyStack(Esp, &Stack));
    ASSERT_EQ(TestCreateProcess(&B), STATUS_SUCCESS);
    PMMPTE Pd = MiMapPageInHyperSpace(B.AddressSpace.PageDirectoryPfn, &OldIrql);
    Pd[MiGetPdeIndex(Esp)].u.Long = 0;
    MiUnmapPageInHyperSpace(Pd, OldIrql);
    B.AddressSpace.SystemPdeGeneration = MmSystemPdeGeneration - 1;

    KeStackAttachProcess(&B.Pcb, &ApcState);
    EXPECT_TRUE(MiReadPte(MiAddressToPde(Esp)).u.Hard.Valid);
    KeUnstackDetachProcess(&ApcState);
    TestDeleteProcess(&B);
}
