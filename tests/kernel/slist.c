/*
 * tests/kernel/slist.c — NT's interlocked singly linked lists (include/slist.h,
 * kernel/ex/slist.asm): what push, pop, push-list and flush do to the head,
 * and the pop that survives its entry being popped and unmapped under it.
 *
 * The race a pop must survive needs someone to run between the pop's read
 * of the head and its read of the first entry's link. A second processor or
 * a preempting thread would do that by chance; these tests do it on
 * purpose, by single-stepping the pop (EFLAGS.TF) until it stands on that
 * read (ExpInterlockedPopEntrySListFault) and then, from the debug trap,
 * doing what the other path would: pop the same entry and unmap its page.
 */
#include <hal.h>
#include <ktest.h>
#include <slist.h>
#include "kernel/ke/ki.h"
#include "../../mm/mi.h"

typedef struct _TEST_ENTRY {
    SLIST_ENTRY Link;
    ULONG Value;
} TEST_ENTRY;

/* Push, pop, push-list and flush move Depth and Sequence as NT's do; a wrong step would show in Depth or order. */
KTEST(slist, push_pop_flush_keep_depth_and_sequence)
{
    static TEST_ENTRY Entries[5];
    SLIST_HEADER Head;

    InitializeSListHead(&Head);
    EXPECT_NULL(InterlockedPopEntrySList(&Head));
    EXPECT_NULL(InterlockedFlushSList(&Head));
    EXPECT_EQ(Head.Alignment, 0);

    /* Push: depth and sequence both step by one; the previous first entry is returned. */
    EXPECT_NULL(InterlockedPushEntrySList(&Head, &Entries[0].Link));
    EXPECT_EQ(InterlockedPushEntrySList(&Head, &Entries[1].Link), &Entries[0].Link);
    EXPECT_EQ(ExQueryDepthSList(&Head), 2);
    EXPECT_EQ(Head.Sequence, 2);
    EXPECT_EQ(RtlFirstEntrySList(&Head), &Entries[1].Link);
    EXPECT_EQ(Entries[1].Link.Next, &Entries[0].Link);

    /* Pop: last in, first out; depth down, sequence unchanged. */
    EXPECT_EQ(InterlockedPopEntrySList(&Head), &Entries[1].Link);
    EXPECT_EQ(ExQueryDepthSList(&Head), 1);
    EXPECT_EQ(Head.Sequence, 2);

    /* Push-list: a chain of three in one exchange, first of the chain first; depth + 3, sequence + 1. */
    Entries[2].Link.Next = &Entries[3].Link;
    Entries[3].Link.Next = &Entries[4].Link;
    EXPECT_EQ(InterlockedPushListSList(&Head, &Entries[2].Link, &Entries[4].Link, 3), &Entries[0].Link);
    EXPECT_EQ(ExQueryDepthSList(&Head), 4);
    EXPECT_EQ(Head.Sequence, 3);
    EXPECT_EQ(Entries[4].Link.Next, &Entries[0].Link);

    /* Flush: the whole chain, in list order; depth 0, sequence kept. */
    PSLIST_ENTRY Chain = InterlockedFlushSList(&Head);
    static const ULONG Order[] = { 2, 3, 4, 0 };
    for (ULONG i = 0; i < ARRAY_SIZE(Order); i++) {
        ASSERT_EQ(Chain, &Entries[Order[i]].Link);
        Chain = Chain->Next;
    }
    EXPECT_NULL(Chain);
    EXPECT_NULL(RtlFirstEntrySList(&Head));
    EXPECT_EQ(ExQueryDepthSList(&Head), 0);
    EXPECT_EQ(Head.Sequence, 3);
}

/* The list, pages and progress of the race below, shared with the debug-trap routine. */
static struct {
    PSLIST_HEADER List;
    PVOID Page;                 /* where the first entry lives, mapped on a system PTE */
    PFN_NUMBER Pfn;             /* its frame once the "other path" has unmapped it */
    PSLIST_ENTRY Stolen;        /* what the other path popped */
    ULONG Steps;
    bool Interfered;
} Race;

#define RACE_STEP_LIMIT     200

/*
 * The debug trap while the pop is single-stepped: once it stands on the read
 * of the first entry's link, do what another processor would — pop that
 * entry and free its page — and stop stepping.
 */
static bool StepUntilTheLinkRead(PKTRAP_FRAME TrapFrame)
{
    if (TrapFrame->Eip != (ULONG)ExpInterlockedPopEntrySListFault && ++Race.Steps < RACE_STEP_LIMIT)
        return true;
    TrapFrame->EFlags &= ~EFLAGS_TF;
    if (TrapFrame->Eip == (ULONG)ExpInterlockedPopEntrySListFault) {
        Race.Stolen = InterlockedPopEntrySList(Race.List);
        Race.Pfn = MiUnmapSystemPage(Race.Page);
        Race.Interfered = true;
    }
    return true;
}

/* Sets EFLAGS.TF: the instruction after the next one traps to KiDebugTrapRoutine. */
static inline void StartSingleStepping(void)
{
    __asm__ volatile("pushfl\n\torl %0, (%%esp)\n\tpopfl" : : "i"(EFLAGS_TF) : "memory", "cc");
}

/*
 * A pop whose first entry is popped and its page unmapped between the pop's
 * read of the head and its read of the entry's link restarts and returns the
 * next entry. Without the page-fault hook the link read faults: the catcher
 * below turns that into a failure (it would be a bugcheck 0x50 otherwise).
 */
KTEST(slist, pop_restarts_when_its_entry_is_popped_and_unmapped)
{
    static SLIST_HEADER List;
    static TEST_ENTRY Second = { .Value = 2 };
    PMMPTE Pte = MiReserveSystemPtes(1, SystemPteSpace);
    PFN_NUMBER Pfn = MiRemoveAnyPage();
    ASSERT_NOT_NULL(Pte);
    ASSERT_NE(Pfn, MI_NO_PAGE);
    MiWritePte(Pte, MiMakeValidPte(Pfn, MI_PTE_KERNEL_READWRITE));
    TEST_ENTRY *First = MiPteToAddress(Pte);
    First->Value = 1;

    InitializeSListHead(&List);
    InterlockedPushEntrySList(&List, &Second.Link);
    InterlockedPushEntrySList(&List, &First->Link);
    Race = (typeof(Race)){ .List = &List, .Page = First };

    KFAULT_CATCHER Catcher;
    PSLIST_ENTRY Popped = NULL;
    KiDebugTrapRoutine = StepUntilTheLinkRead;
    if (KeTryFault(&Catcher)) {
        StartSingleStepping();
        Popped = InterlockedPopEntrySList(&List);
        KePopFaultCatcher(&Catcher);
    } else {
        KtestFail(t, __FILE__, __LINE__, "the pop faulted (trap 0x%x at %08x, address %08x) instead of restarting",
                  Catcher.Vector, Catcher.FaultEip, Catcher.FaultAddress);
    }
    KiDebugTrapRoutine = NULL;

    EXPECT_TRUE(Race.Interfered);
    EXPECT_EQ(Race.Stolen, &First->Link);
    EXPECT_EQ(Popped, &Second.Link);
    EXPECT_NULL(RtlFirstEntrySList(&List));
    EXPECT_EQ(ExQueryDepthSList(&List), 0);

    if (!Race.Interfered)
        Race.Pfn = MiUnmapSystemPage(First);
    MiInsertPageInFreeList(Race.Pfn);
    MiReleaseSystemPtes(Pte, 1, SystemPteSpace);
}

/*
 * A first entry on an unmapped page while the head has not changed is a bad
 * list, not a race: the fault goes on to the memory manager (here, to the
 * catcher) instead of restarting the pop forever.
 */
KTEST(slist, fault_on_an_unchanged_head_is_not_restarted)
{
    static SLIST_HEADER List;
    PMMPTE Pte = MiReserveSystemPtes(1, SystemPteSpace);
    ASSERT_NOT_NULL(Pte);
    PSLIST_ENTRY Unmapped = MiPteToAddress(Pte);

    InitializeSListHead(&List);
    List.Next.Next = Unmapped;              /* built by hand: the entry's page is not there */
    List.Depth = 1;
    SLIST_HEADER Before = List;
    EXPECT_FAULT(TRAP_PAGE_FAULT, InterlockedPopEntrySList(&List));
    EXPECT_EQ(KtestLastFault(t)->FaultEip, (ULONG)ExpInterlockedPopEntrySListFault);
    EXPECT_EQ(KtestLastFault(t)->FaultAddress, (ULONG)Unmapped);
    EXPECT_EQ(List.Alignment, Before.Alignment);
    MiReleaseSystemPtes(Pte, 1, SystemPteSpace);
}
