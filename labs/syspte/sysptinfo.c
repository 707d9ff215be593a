/*
 * mm/sysptinfo.c — the system PTE lab's queries (docs/labs/syspte.md).
 *
 * The reference's sysptinfo.c reads its own allocator's free list, caches
 * and bitmaps to fill !sysptes's histogram and !pte's description of a free
 * PTE. Your allocator keeps whatever it likes, so in the lab these queries
 * say only what the interface promises: the totals, from MmTotalSystemPtes
 * and MmTotalFreeSystemPtes (keep them true: !vm prints them, and the test
 * harness's leak guard compares them around every test). !sysptes then
 * shows the totals and no runs. This file is given; you need not change it.
 */
#include <ktest.h>
#include "syspte.h"

void MiQuerySystemPtes(MI_SYSTEM_PTE_INFO *Info)
{
    *Info = (MI_SYSTEM_PTE_INFO){
        .Total = MmTotalSystemPtes,
        .Free = MmTotalFreeSystemPtes,
        .InUse = MmTotalSystemPtes - MmTotalFreeSystemPtes,
    };
}

void MiQuerySystemPteRuns(MI_SYSTEM_PTE_RUNS *Runs)
{
    memset(Runs, 0, sizeof(*Runs));
    Runs->BaseFirst = MiAddressToPte(MmNonPagedSystemStart);
    Runs->BaseEnd = Runs->BaseFirst + MmNumberOfSystemPtes;
    Runs->ExtraFirst = Runs->ExtraEnd = MiAddressToPte(MiSystemCacheStartExtra);
    Runs->ExtraLimit = Runs->ExtraFirst + MmNumberOfExtraSystemPtes;
    for (ULONG i = 0; i < MI_SYSTEM_PTE_CACHES; i++)
        Runs->CacheSize[i] = 1u << i;
}

bool MiQueryFreeSystemPte(PMMPTE Pte, MI_FREE_SYSTEM_PTE *Info)
{
    return false;       /* the lab's allocator does not say where its free PTEs wait */
}

static long long ReadSystemPtesInUse(void)
{
    return (long long)MmTotalSystemPtes - MmTotalFreeSystemPtes;
}

static const KTEST_GUARD MiSystemPteGuard = {
    .Name = "system PTEs in use", .Read = ReadSystemPtesInUse,
};

void MiRegisterSystemPteGuard(void)
{
    KtestRegisterGuard(&MiSystemPteGuard);
}
