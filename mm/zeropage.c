/*
 * mm/zeropage.c — the zero page thread.
 *
 * Most pages the memory manager hands out must be zeroed first (a process
 * must never see another's data), and zeroing a page costs a thousand
 * instructions. NT does that work ahead of time, when nothing else wants
 * the processor: MmZeroPageThread runs at priority 0, below every other
 * thread, and moves pages from the free list to the zeroed list, zeroing
 * each through hyperspace, so that MiRemoveZeroPage usually finds one
 * ready. Whenever the free list grows to MI_FREE_PAGES_TO_ZERO pages and
 * the thread is idle, MiInsertPageInFreeList sets MmZeroingPageEvent to
 * wake it (NT's MmZeroingPageEvent and MmMinimumFreePagesToZero); it works
 * until the free list is empty, then waits again.
 *
 * Each page is taken, zeroed and put on the zeroed list at DISPATCH_LEVEL,
 * so the thread is never preempted with a page in hand: a page is always
 * on one of the two lists whenever anything else runs, and the available
 * page count never moves. Between pages it drops to PASSIVE_LEVEL, where
 * any ready thread preempts it.
 */
#include <ps.h>
#include "mi.h"

KEVENT MmZeroingPageEvent;
/* True while the thread works (or before it exists): nobody needs to wake it. Changed under the PFN lock. */
volatile BOOLEAN MmZeroingPageThreadActive = TRUE;
ULONG MmZeroPageThreadPages;                /* pages it has zeroed since boot */

/* PFN lock held: the free list has grown and the thread waits. */
void MiWakeZeroPageThread(void)
{
    MmZeroingPageThreadActive = TRUE;
    KeSetEvent(&MmZeroingPageEvent, 0, FALSE);
}

/* Takes one page off the free list, zeroes it and puts it on the zeroed list; false if the free list is empty. */
static bool MiZeroOneFreePage(void)
{
    KIRQL OldIrql = KeRaiseIrqlToDpcLevel();
    LOCK_PFN_AT_DPC();
    if (MmFreePageListHead.Total == 0) {
        MmZeroingPageThreadActive = FALSE;
        UNLOCK_PFN_FROM_DPC();
        KeLowerIrql(OldIrql);
        return false;
    }
    PFN_NUMBER Pfn = MiRemoveAnyPageLocked();
    UNLOCK_PFN_FROM_DPC();
    MiZeroPhysicalPage(Pfn);
    LOCK_PFN_AT_DPC();
    MiInsertPageInList(&MmZeroedPageListHead, Pfn);
    MmZeroPageThreadPages++;
    UNLOCK_PFN_FROM_DPC();
    KeLowerIrql(OldIrql);
    return true;
}

static void MmZeroPageThread(PVOID Context)
{
    for (;;) {
        while (MiZeroOneFreePage())
            ;
        KeWaitForSingleObject(&MmZeroingPageEvent, WrFreePage, KernelMode, FALSE, NULL);
    }
}

void MiInitializeZeroPageThread(void)
{
    KeInitializeEvent(&MmZeroingPageEvent, SynchronizationEvent, FALSE);
}

void MiStartZeroPageThread(void)
{
    HANDLE Handle;
    OBJECT_ATTRIBUTES Attributes;
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    PETHREAD Thread;
    if (!NT_SUCCESS(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, &Attributes, NULL, NULL, MmZeroPageThread,
                                         NULL)) ||
        !NT_SUCCESS(ObReferenceObjectByHandle(Handle, THREAD_SET_INFORMATION, PsThreadType, KernelMode,
                                              (PVOID *)&Thread, NULL)))
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0x4D6D, 2, 0, 0);     /* 'Mm' */
    /* Made ready at the system's base priority, it is moved below everything before it first runs. */
    KeSetPriorityThread(&Thread->Tcb, LOW_PRIORITY);
    ObDereferenceObject(Thread);
    NtClose(Handle);
}
