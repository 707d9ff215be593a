/*
 * kernel/ke/bugcheck.c — KeBugCheckEx: stopping the machine, NT style.
 *
 * A broken invariant stops the kernel with one of NT's bugcheck codes and
 * four parameters whose meaning NT documents per code. The screen goes to
 * COM1 and to the VGA console (white on blue): the code and its name, the
 * parameters, the registers of the trap (or of the caller), the control
 * registers and IRQL, and a symbolised backtrace. Then the registered hook
 * runs (the ktest harness turns a bugcheck into a verdict for the host); in
 * an interactive boot the kernel debugger takes the machine, as NT's does
 * when one is attached (kd> with !analyze -v, kernel/kd/kdtrap.c); else
 * the processor halts. A bugcheck raised by a command typed at a stopped
 * kd> prompt ends that command instead. A fault while printing the screen is a recursive
 * bugcheck: it prints one line and halts, so a broken console cannot loop.
 */
#include <drivers.h>
#include <hal.h>
#include <kd.h>
#include <ke.h>

static volatile LONG KiBugCheckActive;

bool KiBugCheckInProgress(void)
{
    return KiBugCheckActive != 0;
}
static PKBUGCHECK_HOOK KiBugCheckHook;

static const struct {
    ULONG Code;
    const char *Name;
} KiBugCheckNames[] = {
#define B(x) { x, #x }
    B(APC_INDEX_MISMATCH), B(INVALID_PROCESS_ATTACH_ATTEMPT), B(INVALID_PROCESS_DETACH_ATTEMPT),
    B(MAXIMUM_WAIT_OBJECTS_EXCEEDED), B(THREAD_NOT_MUTEX_OWNER), B(THREAD_TERMINATE_HELD_MUTEX), B(IRQL_GT_ZERO_AT_SYSTEM_SERVICE),
    B(ATTEMPTED_SWITCH_FROM_DPC), B(KERNEL_APC_PENDING_DURING_EXIT),
    B(IRQL_NOT_GREATER_OR_EQUAL), B(IRQL_NOT_LESS_OR_EQUAL), B(SPIN_LOCK_ALREADY_OWNED),
    B(SPIN_LOCK_NOT_OWNED), B(TRAP_CAUSE_UNKNOWN),
    B(BAD_POOL_HEADER), B(MEMORY_MANAGEMENT), B(KMODE_EXCEPTION_NOT_HANDLED),
    B(PHASE0_INITIALIZATION_FAILED), B(PHASE1_INITIALIZATION_FAILED),
    B(NO_MORE_SYSTEM_PTES), B(NO_PAGES_AVAILABLE), B(PFN_LIST_CORRUPT),
    B(REFERENCE_BY_POINTER), B(PAGE_FAULT_IN_NONPAGED_AREA), B(UNSUPPORTED_PROCESSOR), B(INSTALL_MORE_MEMORY),
    B(PROCESS_HAS_LOCKED_PAGES),
    B(NMI_HARDWARE_FAILURE), B(DRIVER_UNMAPPING_INVALID_VIEW), B(UNEXPECTED_KERNEL_MODE_TRAP),
    B(ATTEMPTED_WRITE_TO_READONLY_MEMORY), B(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION),
    B(BAD_POOL_CALLER),
    B(PAGE_FAULT_IN_FREED_SPECIAL_POOL), B(PAGE_FAULT_BEYOND_END_OF_ALLOCATION),
    B(SYSTEM_PTE_MISUSE), B(MANUALLY_INITIATED_CRASH),
#undef B
};

const char *KiBugCheckName(ULONG BugCheckCode)
{
    for (size_t i = 0; i < ARRAY_SIZE(KiBugCheckNames); i++) {
        if (KiBugCheckNames[i].Code == BugCheckCode)
            return KiBugCheckNames[i].Name;
    }
    return "UNKNOWN_BUGCHECK_CODE";
}

void KeSetBugCheckHook(PKBUGCHECK_HOOK Hook)
{
    KiBugCheckHook = Hook;
}

/* The screen and the stop. Tf->Eip is a return address when KeBugCheckEx built the frame from its call. */
static NORETURN void KiBugCheck(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4,
                                const KTRAP_FRAME *Tf, bool EipIsReturnAddress)
{
    const ULONG_PTR Parameters[4] = { P1, P2, P3, P4 };

    HalDisableInterrupts();
    KdBugCheckDuringCommand(BugCheckCode, Parameters);      /* a command at the stopped kd> prompt: it ends */
    if (__atomic_fetch_add(&KiBugCheckActive, 1, __ATOMIC_SEQ_CST) != 0) {
        DbgPrint("\n*** STOP 0x%08X during bugcheck: recursive bugcheck, halting\n", BugCheckCode);
        HalHaltSystem();
    }

    VgaClear(VGA_COLOR_BUGCHECK);
    DbgPrint("\n*** STOP: 0x%08X (0x%08X,0x%08X,0x%08X,0x%08X)\n%s\n\n",
             BugCheckCode, P1, P2, P3, P4, KiBugCheckName(BugCheckCode));
    DbgPrint("eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x\n",
             Tf->Eax, Tf->Ebx, Tf->Ecx, Tf->Edx, Tf->Esi, Tf->Edi);
    DbgPrint("eip=%08x esp=%08x ebp=%08x efl=%08x cs=%04x ds=%04x\n",
             Tf->Eip, KiTrapFrameEsp(Tf), Tf->Ebp, Tf->EFlags, Tf->SegCs & 0xFFFF,
             Tf->SegDs & 0xFFFF);
    DbgPrint("cr0=%08x cr2=%08x cr3=%08x cr4=%08x irql=%u\n",
             HalReadCr0(), HalReadCr2(), HalReadCr3(), HalReadCr4(), KeGetCurrentIrql());
    DbgPrint("\nBacktrace:\n");
    if (EipIsReturnAddress)
        KeDumpCallerBacktrace(Tf->Eip, Tf->Ebp, 24);
    else
        KeDumpBacktrace(Tf->Eip, Tf->Ebp, 24);

    if (KiBugCheckHook)
        KiBugCheckHook(BugCheckCode, Parameters);
    KdEnterDebuggerAfterBugCheck(BugCheckCode, Parameters, Tf, EipIsReturnAddress);   /* interactive boots */
    DbgPrint("\nSystem halted.\n");
    HalHaltSystem();
}

NORETURN void KiBugCheckWithTrapFrame(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                                      ULONG_PTR P3, ULONG_PTR P4, const KTRAP_FRAME *Tf)
{
    KiBugCheck(BugCheckCode, P1, P2, P3, P4, Tf, false);
}

/* Builds a trap frame for the caller's context: its EIP (the return address) and EBP, its registers. */
NORETURN void KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                           ULONG_PTR P3, ULONG_PTR P4)
{
    KTRAP_FRAME Tf = { 0 };
    __asm__ volatile("movl %%ebx, %0\n\tmovl %%esi, %1\n\tmovl %%edi, %2"
                     : "=m"(Tf.Ebx), "=m"(Tf.Esi), "=m"(Tf.Edi));
    Tf.Eip = (ULONG)__builtin_return_address(0);
    Tf.Ebp = *(ULONG *)__builtin_frame_address(0);
    Tf.TempEsp = (ULONG)__builtin_frame_address(0) + 8 - KTRAP_FRAME_ESP_BIAS;
    Tf.SegCs = KGDT_R0_CODE;
    Tf.SegDs = KGDT_R0_DATA;
    Tf.EFlags = HalReadEflags();
    KiBugCheck(BugCheckCode, P1, P2, P3, P4, &Tf, true);
}

/*
 * A failed ASSERT. With no debugger attached, NT raises the assertion as an
 * exception that no kernel handler takes: KMODE_EXCEPTION_NOT_HANDLED with
 * STATUS_ASSERTION_FAILURE. mm386 does the same, and prints the expression.
 */
NORETURN void RtlAssert(const char *Expression, const char *File, int Line)
{
    DbgPrint("\n*** Assertion failed: %s\n***   Source File: %s, line %d\n", Expression, File, Line);
    KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)STATUS_ASSERTION_FAILURE,
                 (ULONG_PTR)__builtin_return_address(0), (ULONG_PTR)File, (ULONG_PTR)Line);
}
