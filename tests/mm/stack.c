/*
 * tests/mm/stack.c — kernel stacks from system PTEs (mm/stack.c): layout,
 * guard page, identification, running on one, and overflowing one.
 */
#include <hal.h>
#include <ktest.h>
#include "kernel/ke/ki.h"
#include "mm/mi.h"
#include "../testlib.h"

static ULONG StackPages(BOOLEAN Large)
{
    return (Large ? KERNEL_LARGE_STACK_SIZE : KERNEL_STACK_SIZE) / PAGE_SIZE;
}

/* A read of the guard page below a stack must fault. */
static void ExpectGuardFaults(KTEST_CONTEXT *t, ULONG Guard)
{
    volatile ULONG Value = 0;
    EXPECT_FAULT(TRAP_PAGE_FAULT, Value = *(volatile ULONG *)(Guard + 0x100));
    EXPECT_EQ(KtestLastFault(t)->FaultAddress, Guard + 0x100);
    (void)Value;
}

static void CheckStack(KTEST_CONTEXT *t, BOOLEAN Large)
{
    ULONG Pages = StackPages(Large);
    ULONG CommitBefore = MmTotalCommittedPages;
    PVOID Base = MmCreateKernelStack(Large, 0);
    ASSERT_NOT_NULL(Base);
    ULONG Top = (ULONG)Base, Limit = Top - Pages * PAGE_SIZE, Guard = Limit - PAGE_SIZE;

    EXPECT_EQ(BYTE_OFFSET(Base), 0);
    EXPECT_EQ(MmTotalCommittedPages, CommitBefore + Pages);
    for (ULONG Va = Limit; Va < Top; Va += PAGE_SIZE) {
        EXPECT_TRUE(MmIsAddressValid((PVOID)Va));
        *(volatile ULONG *)(Va + PAGE_SIZE - 4) = Va;
        EXPECT_EQ(*(volatile ULONG *)(Va + PAGE_SIZE - 4), Va);
    }
    EXPECT_FALSE(MmIsAddressValid((PVOID)Guard));
    ExpectGuardFaults(t, Guard);

    KE_STACK_INFO Info;
    EXPECT_TRUE(MmIdentifyKernelStack(Top - 4, &Info));
    EXPECT_EQ(Info.Base, Top);
    EXPECT_EQ(Info.Limit, Limit);
    EXPECT_TRUE(MmIdentifyKernelStack(Guard + 8, &Info));
    EXPECT_EQ(Info.Base, Top);
    EXPECT_TRUE(!MmIdentifyKernelStack(Guard - 4, &Info) || Info.Base != Top);

    MmDeleteKernelStack(Base, Large);
    EXPECT_EQ(MmTotalCommittedPages, CommitBefore);
    /* Its pages went back to the free list: no translation to them may be left in the TLB. */
    volatile ULONG Word = 0;
    EXPECT_FAULT(TRAP_PAGE_FAULT, Word = *(volatile ULONG *)(Top - 4));
    (void)Word;
    EXPECT_TRUE(!MmIdentifyKernelStack(Top - 4, &Info) || Info.Base != Top);
}

/*
 * A small and a large stack: page-aligned base, every page mapped and
 * writable, a guard page below that faults and still names the stack,
 * commit charged while it lives; deleting gives it all back. Else threads
 * get unusable stacks or an overflow corrupts memory silently.
 */
KTEST(stack, create_use_delete)
{
    CheckStack(t, FALSE);
    CheckStack(t, TRUE);
}

/* An address on no stack — four system PTEs that are not a stack, any other address — is not named; else a double fault could blame the wrong stack. */
KTEST(stack, identifies_only_stacks)
{
    KE_STACK_INFO Info;
    PMMPTE Four = MiReserveSystemPtes(4, SystemPteSpace);
    ASSERT_NOT_NULL(Four);
    EXPECT_FALSE(MmIdentifyKernelStack((ULONG)MiPteToAddress(Four + 1), &Info));
    EXPECT_FALSE(MmIdentifyKernelStack((ULONG)&Info - 0x10000000, &Info));
    EXPECT_FALSE(MmIdentifyKernelStack(0, &Info));
    MiReleaseSystemPtes(Four, 4, SystemPteSpace);
}

/* The initial thread runs on a large MmCreateKernelStack stack, not the boot stack; else the boot stack's small fixed size is all tests get. */
KTEST(stack, initial_thread_runs_on_kernel_stack)
{
    KE_STACK_INFO Info;
    ULONG Esp = (ULONG)__builtin_frame_address(0);
    ASSERT_TRUE(MmIdentifyKernelStack(Esp, &Info));
    EXPECT_EQ(Info.Base - Info.Limit, KERNEL_LARGE_STACK_SIZE);
    EXPECT_ULE(Info.Limit, Esp);
    EXPECT_ULT(Esp, Info.Base);
}

static ULONG WhereAmI(PVOID Context)
{
    volatile ULONG Local = 0x5AC5;
    *(ULONG *)Context = (ULONG)&Local;
    return Local;
}

/* KiCallOnStack runs a routine on a fresh stack and comes back; else startup could not leave the boot stack. */
KTEST(stack, call_on_new_stack)
{
    PVOID Base = MmCreateKernelStack(FALSE, 0);
    ULONG Where = 0;
    ASSERT_NOT_NULL(Base);
    EXPECT_EQ(KiCallOnStack(Base, WhereAmI, &Where), 0x5AC5);
    EXPECT_ULT(Where, (ULONG)Base);
    EXPECT_UGE(Where, (ULONG)Base - KERNEL_STACK_SIZE);
    MmDeleteKernelStack(Base, FALSE);
}

static ULONG RecurseForever(PVOID Context)
{
    return (ULONG)TestRecurseForever(0);
}

/* Overflowing a stack from MmCreateKernelStack hits its guard page: a double fault, 0x7F with parameter 8; else a runaway thread corrupts what lies below. */
KTEST_DEATH_P1(stack, overflow_created_stack, UNEXPECTED_KERNEL_MODE_TRAP, TRAP_DOUBLE_FAULT)
{
    PVOID Base = MmCreateKernelStack(FALSE, 0);
    TEST_REQUIRE(Base != NULL);     /* with no stack, ESP 0 would double-fault too */
    KtestExpectBugCheckParameter(t, 4, (ULONG_PTR)Base);   /* the overflowed stack, named */
    KiCallOnStack(Base, RecurseForever, NULL);
}
