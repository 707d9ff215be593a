/*
 * mm/stack.c — kernel stacks: pages in system PTEs above a guard page.
 *
 * Every thread runs kernel code on a kernel stack of its own. NT takes them
 * from system PTEs: MmCreateKernelStack reserves the stack's pages plus one
 * PTE below them, backs the pages with fresh physical pages, and leaves the
 * lowest PTE not valid — the guard page. A stack grows down; code that
 * overflows it touches the guard page, and the page fault cannot even be
 * delivered (it needs the stack), so the CPU raises a double fault, which
 * arrives on its own task (hal/gdt.c) and bugchecks UNEXPECTED_KERNEL_MODE_TRAP
 * (0x7F, parameter 1 = 8). A small stack is 3 pages (12 KB), a large one 15
 * (60 KB); with the guard that is 4 or 16 PTEs, two of the system PTE
 * cache's sizes, so stacks come and go without walking the free list.
 *
 * The guard PTE holds a software PTE with the no-access protection
 * (MM_NOACCESS): not valid for the MMU, recognisable to a reader. That, and
 * the system PTE pool's record of where each reservation starts and ends,
 * is how MmIdentifyKernelStack names the stack an address (or a fault in a
 * guard page) belongs to — without a lock, since the double-fault handler
 * asks. NT charges commit for a stack's pages, and so does mm386. NT commits
 * only 12 KB of a large stack and grows it on demand (MmGrowKernelStack);
 * mm386 commits a large stack whole.
 *
 * Each stack page is accounted as NT accounts a system page: share 1 (its
 * PTE), reference 1, its page table one share more; deleting the stack
 * marks each page deleted and drops its share, which frees it. The helpers
 * that back reserved PTEs with fresh pages, and free them, are here.
 */
#include "mi.h"

/* What the guard PTE below every kernel stack holds. */
static inline MMPTE MiKernelStackGuardPte(void)
{
    return MiMakeDemandZeroPte(MM_NOACCESS);
}

static inline ULONG MiKernelStackPages(BOOLEAN LargeStack)
{
    return (LargeStack ? KERNEL_LARGE_STACK_SIZE : KERNEL_STACK_SIZE) >> PAGE_SHIFT;
}

bool MiFillSystemPtesWithPages(PMMPTE FirstPte, ULONG Count)
{
    KIRQL OldIrql;

    LOCK_PFN(OldIrql);
    for (ULONG i = 0; i < Count; i++) {
        PFN_NUMBER Pfn = MiRemoveAnyPageLocked();
        if (Pfn == MI_NO_PAGE) {
            UNLOCK_PFN(OldIrql);
            MiFreeSystemPtePages(FirstPte, i);
            return false;
        }
        MiInitializePfnAndMakePteValid(Pfn, FirstPte + i, MiMakeValidPte(Pfn, MI_PTE_KERNEL_READWRITE));
    }
    UNLOCK_PFN(OldIrql);
    return true;
}

/*
 * Each translation is dropped from the TLB before its frame goes back
 * (MiDeleteValidPte): the frame may be handed out at once, and a stray
 * access through a stale translation would then write someone else's page
 * instead of faulting. (The addresses themselves are protected by the
 * system PTE pool's own TLB rule.)
 */
void MiFreeSystemPtePages(PMMPTE FirstPte, ULONG Count)
{
    KIRQL OldIrql;

    LOCK_PFN(OldIrql);
    for (ULONG i = 0; i < Count; i++) {
        if (MiReadPte(FirstPte + i).u.Hard.Valid)
            MiDeleteValidPte(FirstPte + i);
    }
    UNLOCK_PFN(OldIrql);
}

PVOID MmCreateKernelStack(BOOLEAN LargeStack, UCHAR Node)
{
    ULONG Pages = MiKernelStackPages(LargeStack);

    if (!MiChargeCommitment(Pages))
        return NULL;
    PMMPTE Guard = MiReserveSystemPtes(Pages + 1, SystemPteSpace);
    if (!Guard) {
        MiReturnCommitment(Pages);
        return NULL;
    }
    if (!MiFillSystemPtesWithPages(Guard + 1, Pages)) {
        MiReleaseSystemPtes(Guard, Pages + 1, SystemPteSpace);
        MiReturnCommitment(Pages);
        return NULL;
    }
    MiWritePte(Guard, MiKernelStackGuardPte());
    return MiPteToAddress(Guard + 1 + Pages);
}

/* The guard PTE of the kernel stack whose base is Stack, or NULL if Stack is not one's base. */
static PMMPTE MiKernelStackGuard(PVOID Stack, ULONG Pages)
{
    PMMPTE Guard = MiAddressToPte(Stack) - Pages - 1;
    PMMPTE Start;

    if (BYTE_OFFSET(Stack) != 0 || MiQuerySystemPteAllocation(Guard, &Start) != Pages + 1 ||
        Start != Guard || MiReadPte(Guard).u.Long != MiKernelStackGuardPte().u.Long)
        return NULL;
    return Guard;
}

VOID MmDeleteKernelStack(PVOID PointerKernelStack, BOOLEAN LargeStack)
{
    ULONG Pages = MiKernelStackPages(LargeStack);
    PMMPTE Guard = MiKernelStackGuard(PointerKernelStack, Pages);

    if (!Guard)
        KeBugCheckEx(SYSTEM_PTE_MISUSE, PTE_RELEASE_NOT_PERMITTED, (ULONG_PTR)PointerKernelStack,
                     Pages + 1, 0);
    MiFreeSystemPtePages(Guard + 1, Pages);
    MiReleaseSystemPtes(Guard, Pages + 1, SystemPteSpace);
    MiReturnCommitment(Pages);
}

bool MmIdentifyKernelStack(ULONG Address, KE_STACK_INFO *Info)
{
    PMMPTE Start;
    ULONG Count = MiQuerySystemPteAllocation(MiAddressToPte(Address), &Start);

    if (Count != MiKernelStackPages(FALSE) + 1 && Count != MiKernelStackPages(TRUE) + 1)
        return false;
    if (MiReadPte(Start).u.Long != MiKernelStackGuardPte().u.Long)
        return false;
    Info->Name = Count == MiKernelStackPages(TRUE) + 1 ? "a large kernel stack" : "a kernel stack";
    Info->Limit = (ULONG)MiPteToAddress(Start + 1);
    Info->Base = (ULONG)MiPteToAddress(Start + Count);
    return true;
}
