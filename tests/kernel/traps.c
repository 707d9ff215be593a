/*
 * tests/kernel/traps.c — exceptions, fault catchers, IRQL and backtraces.
 */
#include <hal.h>
#include <ktest.h>
#include <layout.h>
#include <rtl.h>
#include "kernel/ke/ki.h"
#include "../testlib.h"

/* int3 is reported and execution continues with the next instruction. */
KTEST(traps, int3_continues)
{
    ULONG Before = KiBreakpointCount;
    volatile int After = 0;
    __asm__ volatile("int3");
    After = 1;
    EXPECT_EQ(KiBreakpointCount, Before + 1);
    EXPECT_EQ(After, 1);
}

static volatile int Zero;

/* A divide error inside a catcher comes back as vector 0 instead of a bugcheck. */
KTEST(traps, divide_error_caught)
{
    volatile int Result = 0;
    EXPECT_FAULT(TRAP_DIVIDE_ERROR, Result = 100 / Zero);
    EXPECT_EQ(Result, 0);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* Loading a selector past the GDT's limit raises #GP with that selector as the error code. */
KTEST(traps, general_protection_caught)
{
    EXPECT_FAULT(TRAP_GENERAL_PROTECTION,
                 __asm__ volatile("movw $0x1230, %%ax\n\tmovw %%ax, %%fs" ::: "eax"));
    EXPECT_EQ(KtestLastFault(t)->ErrorCode, 0x1230);
}

/* ud2 raises #UD. */
KTEST(traps, invalid_opcode_caught)
{
    EXPECT_FAULT(TRAP_INVALID_OPCODE, __asm__ volatile("ud2"));
}

/* A read of an unmapped system address faults with CR2 = the address. */
KTEST(traps, page_fault_caught_with_address)
{
    volatile ULONG *Unmapped = (volatile ULONG *)(BOOT_IMAGE_END - PAGE_SIZE);
    volatile ULONG Value = 0;
    EXPECT_FAULT(TRAP_PAGE_FAULT, Value = *Unmapped);
    EXPECT_EQ(KtestLastFault(t)->FaultAddress, (ULONG)Unmapped);
    EXPECT_EQ(KtestLastFault(t)->ErrorCode & PF_PRESENT, 0);
    EXPECT_EQ(Value, 0);
}

/* The identity map is gone: NULL is not mapped in the kernel. */
KTEST(traps, null_is_unmapped)
{
    volatile ULONG *Null = NULL;
    volatile ULONG Value;
    EXPECT_FAULT(TRAP_PAGE_FAULT, Value = *Null);
    (void)Value;
    EXPECT_EQ(KtestLastFault(t)->FaultAddress, 0);
}

/* A catcher armed at DISPATCH_LEVEL comes back at DISPATCH_LEVEL; nested catchers unwind in order. */
KTEST(traps, nested_catchers_restore_irql)
{
    volatile KIRQL Old;         /* kept across the catchers' resumptions */
    KFAULT_CATCHER Outer, Inner;
    volatile int Path = 0;

    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    if (KeTryFault(&Outer)) {
        if (KeTryFault(&Inner)) {
            __asm__ volatile("ud2");
            KePopFaultCatcher(&Inner);
        } else {
            Path = 1;
        }
        EXPECT_EQ(Inner.Vector, TRAP_INVALID_OPCODE);
        EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
        KePopFaultCatcher(&Outer);
    } else {
        Path = 2;
    }
    KeLowerIrql(Old);
    EXPECT_EQ(Path, 1);
    EXPECT_FALSE(KeFaultCatcherActive());
}

/* Raising and lowering IRQL nests, and spin locks run at DISPATCH_LEVEL. */
KTEST(traps, irql_and_spinlocks)
{
    KIRQL a, b, c;
    KSPIN_LOCK Lock;

    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeRaiseIrql(APC_LEVEL, &a);
    KeRaiseIrql(DEVICE_IRQL(4), &b);
    EXPECT_EQ(KeGetCurrentIrql(), DEVICE_IRQL(4));
    KeLowerIrql(b);
    EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
    KeLowerIrql(a);
    EXPECT_EQ(a, PASSIVE_LEVEL);

    KIRQL d = KeRaiseIrqlToDpcLevel();
    EXPECT_EQ(d, PASSIVE_LEVEL);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(d);

    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLock(&Lock, &c);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    EXPECT_EQ(Lock, 1);
    KeReleaseSpinLock(&Lock, c);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_EQ(Lock, 0);
}

/* The clock interrupt runs: the tick count moves while interrupts are on. */
KTEST(traps, clock_ticks)
{
    ULONG Start = KeGetTickCount();
    for (int i = 0; i < 1000 && KeGetTickCount() == Start; i++)
        HalHalt();
    EXPECT_GT(KeGetTickCount(), Start);
}

/* int 0x2A (KiGetTickCount) returns the tick count in EAX; with interrupts off the count cannot move in between. */
KTEST(traps, int2a_returns_tick_count)
{
    ULONG Ticks;
    bool Enabled = HalSaveAndDisableInterrupts();
    __asm__ volatile("int $0x2a" : "=a"(Ticks) : : "memory");
    ULONG Now = KeGetTickCount();
    HalRestoreInterrupts(Enabled);
    EXPECT_EQ(Ticks, Now);
}

static ULONG __attribute__((noinline)) BacktraceLeaf(ULONG *Frames, ULONG Max)
{
    ULONG n = KeCaptureBacktrace((ULONG)__builtin_frame_address(0), Frames, Max);
    __asm__ volatile("" ::: "memory");
    return n;
}

static ULONG __attribute__((noinline)) BacktraceMiddle(ULONG *Frames, ULONG Max)
{
    ULONG n = BacktraceLeaf(Frames, Max);
    __asm__ volatile("" ::: "memory");
    return n;
}

/* The backtrace walks the frame chain and the symbol table names each function. */
KTEST(traps, backtrace_resolves_names)
{
    ULONG Frames[8];
    ULONG n = BacktraceMiddle(Frames, ARRAY_SIZE(Frames));
    ASSERT_GE(n, 2);
    ULONG Offset;
    EXPECT_STREQ(KiSymbolize(Frames[0] - 1, &Offset), "BacktraceMiddle");
    EXPECT_STREQ(KiSymbolize(Frames[1] - 1, &Offset), "ktest_traps_backtrace_resolves_names");
    ULONG Address = KiLookupSymbol("KeBugCheckEx");
    EXPECT_NE(Address, 0);
    EXPECT_STREQ(KiSymbolize(Address + 3, &Offset), "KeBugCheckEx");
    EXPECT_EQ(Offset, 3);
    EXPECT_NULL(KiSymbolize(0x1000, &Offset));
}

/*
 * A fixture laid out in assembly, so that its layout is certain: a function
 * whose last instruction is a call to KeBugCheckEx (MANUALLY_INITIATED_CRASH,
 * 0xF0), and another function right after it. The call's return address is
 * therefore KtestTrapsAfterCallAtEnd's first byte; looked up as it is, it
 * would name the wrong function.
 */
void KtestTrapsCallAtEnd(void);
void KtestTrapsAfterCallAtEnd(void);
__asm__(".pushsection .text\n"
        ".globl KtestTrapsCallAtEnd\n"
        ".type KtestTrapsCallAtEnd, @function\n"
        "KtestTrapsCallAtEnd:\n"
        "    pushl %ebp\n"
        "    movl %esp, %ebp\n"
        "    pushl $0\n"
        "    pushl $0\n"
        "    pushl $0\n"
        "    pushl $0xF0\n"
        "    pushl $0xE2\n"
        "    call KeBugCheckEx\n"
        ".size KtestTrapsCallAtEnd, . - KtestTrapsCallAtEnd\n"
        ".globl KtestTrapsAfterCallAtEnd\n"
        ".type KtestTrapsAfterCallAtEnd, @function\n"
        "KtestTrapsAfterCallAtEnd:\n"
        "    ret\n"
        ".size KtestTrapsAfterCallAtEnd, . - KtestTrapsAfterCallAtEnd\n"
        ".popsection\n");

/*
 * Frame 0 of a bugcheck is KeBugCheckEx's return address: it names the
 * function that made the call even when the call is its last instruction;
 * a trap's EIP (an instruction's own address) is looked up as it is.
 */
KTEST(traps, return_address_names_the_calling_function)
{
    ULONG Return = (ULONG)KtestTrapsAfterCallAtEnd, Call = (ULONG)KtestTrapsCallAtEnd;
    char Said[128], Expected[96];

    ASSERT_EQ(KiLookupSymbol("KtestTrapsAfterCallAtEnd"), Return);
    TestBeginCapture(Said, sizeof(Said));
    KeDumpCallerBacktrace(Return, 0, 1);
    TestEndCapture();
    snprintf(Expected, sizeof(Expected), "  #0  %08x KtestTrapsCallAtEnd+0x%x\n", Return, Return - Call);
    EXPECT_STREQ(Said, Expected);

    TestBeginCapture(Said, sizeof(Said));
    KeDumpBacktrace(Return, 0, 1);
    TestEndCapture();
    snprintf(Expected, sizeof(Expected), "  #0  %08x KtestTrapsAfterCallAtEnd+0x0\n", Return);
    EXPECT_STREQ(Said, Expected);
}

/* The same through KeBugCheckEx itself: the STOP screen's frame 0 names KtestTrapsCallAtEnd. */
KTEST_DEATH_P1(traps, bugcheck_call_is_last_instruction, MANUALLY_INITIATED_CRASH, 0xF0)
{
    KtestTrapsCallAtEnd();
}

/* Writing to the kernel's own code is ATTEMPTED_WRITE_TO_READONLY_MEMORY (.text is mapped read-only, CR0.WP is on). */
KTEST_DEATH(traps, write_to_kernel_text, ATTEMPTED_WRITE_TO_READONLY_MEMORY)
{
    volatile uint8_t *Code = (volatile uint8_t *)(uintptr_t)&KeBugCheckEx;
    *Code = 0xCC;
}

/* A read of an unmapped system address is PAGE_FAULT_IN_NONPAGED_AREA. */
KTEST_DEATH(traps, read_unmapped_system_address, PAGE_FAULT_IN_NONPAGED_AREA)
{
    volatile ULONG *Unmapped = (volatile ULONG *)(BOOT_IMAGE_END - PAGE_SIZE);
    KtestExpectBugCheckParameter(t, 1, (ULONG_PTR)Unmapped);
    (void)*Unmapped;
}

/* A NULL dereference is an unhandled kernel access violation: KMODE_EXCEPTION_NOT_HANDLED. */
KTEST_DEATH(traps, null_dereference, KMODE_EXCEPTION_NOT_HANDLED)
{
    volatile ULONG *Null = NULL;
    (void)*Null;
}

/* Unbounded recursion on the initial thread's stack (MmCreateKernelStack) hits its guard page; the double fault task reports it (0x7F, 8). */
KTEST_DEATH_P1(traps, kernel_stack_overflow, UNEXPECTED_KERNEL_MODE_TRAP, TRAP_DOUBLE_FAULT)
{
    TestRecurseForever(0);
}

/* Acquiring a spin lock this processor already holds would spin forever: SPIN_LOCK_ALREADY_OWNED. */
KTEST_DEATH(traps, spin_lock_acquired_twice, SPIN_LOCK_ALREADY_OWNED)
{
    static KSPIN_LOCK Lock;
    KIRQL a, b;
    KeAcquireSpinLock(&Lock, &a);
    KeAcquireSpinLock(&Lock, &b);
}

/* Releasing a spin lock nobody holds: SPIN_LOCK_NOT_OWNED. */
KTEST_DEATH(traps, spin_lock_released_unowned, SPIN_LOCK_NOT_OWNED)
{
    static KSPIN_LOCK Lock;
    KIRQL Old;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeReleaseSpinLock(&Lock, Old);
}

static volatile int CatcherSeenFromInterrupt = -1;

/* An interrupt routine that records whether a fault here would go to the interrupted code's catcher. */
static void RecordCatcherState(KTRAP_FRAME *TrapFrame, PVOID Context)
{
    CatcherSeenFromInterrupt = KeFaultCatcherActive();
}

/*
 * A catcher belongs to the code that armed it: inside an interrupt that
 * arrives meanwhile (here, IRQ 5 raised in software through its vector),
 * KeFaultCatcherActive is false, so a fault in the handler gets the usual
 * verdict instead of abandoning the handler without its end-of-interrupt.
 */
KTEST(traps, catcher_belongs_to_the_code_that_armed_it)
{
    KFAULT_CATCHER Catcher;
    const ULONG Irq = 5;

    HalConnectInterrupt(Irq, RecordCatcherState, NULL);
    if (KeTryFault(&Catcher)) {
        EXPECT_TRUE(KeFaultCatcherActive());
        __asm__ volatile("int %0" : : "i"(PRIMARY_VECTOR_BASE + 5) : "memory");
        KePopFaultCatcher(&Catcher);
    }
    HalDisconnectInterrupt(Irq);
    EXPECT_EQ(CatcherSeenFromInterrupt, 0);
    EXPECT_FALSE(KeFaultCatcherActive());
}
