/*
 * mm/commit.c — commit charge: the promise of backing store.
 *
 * NT counts every page it has promised to back — committed private memory,
 * paged pool, pagefile-backed sections — in MmTotalCommittedPages, and
 * refuses a new promise (STATUS_COMMITMENT_LIMIT) that would pass
 * MmTotalCommitLimit: the pages of RAM it can give out plus the paging
 * files. mm386 has no paging file yet, so the limit is computed at boot from
 * the RAM left available after the kernel's own structures, minus a reserve
 * NT also keeps for itself; it is computed, never a constant. Paged pool is
 * charged when it is allocated; nonpaged pool is charged as it expands, as
 * NT charges it (its pages can never be paged, so they use up what the
 * limit promises); the initial nonpaged pool was taken before the limit was
 * computed and stays outside it.
 *
 * Private memory is charged to the process that commits it as well
 * (EPROCESS.CommitCharge, with its peak): MiChargeProcessCommitment charges
 * both at once, at commit time, and MiReturnProcessCommitment gives both
 * back at decommit, release and teardown. A process's charge also counts
 * the page tables its reservations span (mm/userpt.c).
 */
#include "mi.h"
#include "virtual.h"

volatile ULONG MmTotalCommittedPages;
ULONG MmTotalCommitLimit;
volatile ULONG MmPeakCommitment;       /* the highest MmTotalCommittedPages has been (NT's name) */

/* Pages kept out of the commit limit so the kernel can still run when it is reached. */
#define MI_COMMIT_RESERVE_PAGES 256

void MiInitializeCommitment(void)
{
    ULONG Available = MmAvailablePages;
    MmTotalCommitLimit = Available > 2 * MI_COMMIT_RESERVE_PAGES ? Available - MI_COMMIT_RESERVE_PAGES
                                                                  : Available / 2;
}

bool MiChargeCommitment(ULONG Pages)
{
    ULONG Old = MmTotalCommittedPages;
    do {
        if (Pages > MmTotalCommitLimit || Old > MmTotalCommitLimit - Pages)
            return false;
    } while (!__atomic_compare_exchange_n(&MmTotalCommittedPages, &Old, Old + Pages, false,
                                          __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    ULONG Peak = MmPeakCommitment;
    while (Old + Pages > Peak &&
           !__atomic_compare_exchange_n(&MmPeakCommitment, &Peak, Old + Pages, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
        ;
    return true;
}

void MiReturnCommitment(ULONG Pages)
{
    ULONG Old = __atomic_fetch_sub(&MmTotalCommittedPages, Pages, __ATOMIC_SEQ_CST);
    if (Old < Pages)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_COMMIT_UNDERFLOW, Pages, Old, 0);
}

bool MiChargeProcessCommitment(PEPROCESS Process, ULONG Pages)
{
    if (Pages == 0)
        return true;
    if (!MiChargeCommitment(Pages))
        return false;
    Process->CommitCharge += Pages;
    if (Process->CommitCharge > Process->PeakCommitCharge)
        Process->PeakCommitCharge = Process->CommitCharge;
    return true;
}

void MiReturnProcessCommitment(PEPROCESS Process, ULONG Pages)
{
    if (Pages == 0)
        return;
    if (Process->CommitCharge < Pages)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_COMMIT_UNDERFLOW, Pages, Process->CommitCharge,
                     (ULONG_PTR)Process);
    Process->CommitCharge -= Pages;
    MiReturnCommitment(Pages);
}
