/*
 * kernel/ke/trap.c — what happens on every interrupt and exception.
 *
 * hal/trap.asm hands each vector to KiDispatchTrap with a KTRAP_FRAME:
 *
 *   page fault (14)     first the SLIST pop's hook (include/slist.h): a pop
 *                       whose entry was popped and freed under it restarts;
 *                       then MmAccessFault resolves it or decides: it bugchecks
 *                       for system addresses as NT does (0x50, 0xBE, 0x0A),
 *                       and returns STATUS_ACCESS_VIOLATION for the rest,
 *                       which here — kernel mode, no handler — becomes
 *                       KMODE_EXCEPTION_NOT_HANDLED (0x1E), NT's verdict on
 *                       an unhandled kernel exception such as a NULL
 *                       dereference.
 *   breakpoint (3)      the kernel debugger's (KiDebugRoutine, NT's name:
 *                       kernel/kd/kdtrap.c) when it planted that int3;
 *                       else reported, and execution continues after it.
 *   debug (1)           KiDebugTrapRoutine's, when one is set (a test that
 *                       single-steps); then the kernel debugger's (its
 *                       steps and data breakpoints); otherwise unexpected,
 *                       as below.
 *   NMI (2)             NMI_HARDWARE_FAILURE (0x80).
 *   other exceptions    UNEXPECTED_KERNEL_MODE_TRAP (0x7F) with the trap
 *                       number, as NT raises for traps the kernel never
 *                       expects (divide error, invalid opcode, #GP ...).
 *   0x2A                KiGetTickCount: the tick count in EAX.
 *   0x2E                the system-service gate: not here, its own entry
 *                       (kernel/ke/syscall.asm).
 *
 * An exception in ring 3 is never the kernel's to judge: it becomes an
 * EXCEPTION_RECORD for the program (kernel/ke/except.c), which handles it
 * or dies of it. A page fault there is MmAccessFault's first, as in the
 * kernel; only what it cannot resolve becomes an exception.
 *   0x30..0x3F          device interrupts, routed by the HAL.
 *   anything else       TRAP_CAUSE_UNKNOWN (0x12).
 *
 * Before any of those verdicts, an armed fault catcher (include/ke.h) takes
 * the exception: the innermost catcher gets the vector and addresses and
 * resumes where it was armed — if the fault is the arming code's own, not
 * that of an interrupt handler running meanwhile (KPCR.InterruptNesting).
 * The double fault arrives on its own task (hal/gdt.c) at KiDoubleFault.
 */
#include <hal.h>
#include <ke.h>
#include <mm.h>
#include <rtl.h>
#include <slist.h>
#include "kernel/ke/ki.h"

ULONG KiBreakpointCount;
PKDEBUG_TRAP_ROUTINE KiDebugTrapRoutine;
PKDEBUG_TRAP_ROUTINE KiDebugRoutine;
void KiFastCallEntry(void);
void KiSystemServiceCopyArguments(void), KiSystemServiceCopyEnd(void), KiSystemServiceCopyFault(void);

/*
 * The catchers of the running thread are a chain whose head is the KPCR's
 * exception list, fs:[0], as NT keeps a thread's exception registrations;
 * KiSwapContext saves and restores it with each thread. A catcher records
 * how many device interrupts were in progress when it was armed, so a fault
 * in an interrupt handler that runs meanwhile does not resume it. Arming
 * and disarming are inline (include/ke.h).
 */
bool KeFaultCatcherActive(void)
{
    PKFAULT_CATCHER Catcher = KeGetPcr()->ExceptionList;
    return Catcher != NULL && Catcher->Nesting == KeGetPcr()->InterruptNesting;
}

PKFAULT_CATCHER KiGetFaultCatcher(void)
{
    return KeGetPcr()->ExceptionList;
}

void KiSetFaultCatcher(PKFAULT_CATCHER Catcher)
{
    KeGetPcr()->ExceptionList = Catcher;
}

NORETURN void KiRaiseToCatcher(ULONG Vector, ULONG ErrorCode, ULONG Eip)
{
    PKFAULT_CATCHER Catcher = KeGetPcr()->ExceptionList;
    KeGetPcr()->ExceptionList = Catcher->Previous;
    Catcher->Vector = Vector;
    Catcher->ErrorCode = ErrorCode;
    Catcher->FaultAddress = 0;
    Catcher->FaultEip = Eip;
    Catcher->ExceptionCode = Vector == KI_RAISED_STATUS ? (NTSTATUS)ErrorCode : STATUS_SUCCESS;
    if (KeGetCurrentIrql() > Catcher->Irql)
        KeLowerIrql(Catcher->Irql);
    KiResumeFaultContext(Catcher);
}

/* Abandons the trap frame and resumes the innermost catcher; Status is a page fault's (else 0). */
static NORETURN void KiResumeCatcher(const KTRAP_FRAME *TrapFrame, ULONG FaultAddress, NTSTATUS Status)
{
    PKFAULT_CATCHER Catcher = KeGetPcr()->ExceptionList;
    KeGetPcr()->ExceptionList = Catcher->Previous;
    Catcher->ExceptionCode = Status;
    Catcher->Vector = TrapFrame->Vector;
    Catcher->ErrorCode = TrapFrame->ErrCode;
    Catcher->FaultAddress = FaultAddress;
    Catcher->FaultEip = TrapFrame->Eip;
    if (KeGetCurrentIrql() > Catcher->Irql)
        KeLowerIrql(Catcher->Irql);
    KiResumeFaultContext(Catcher);
}

/*
 * The page fault. CR2 is read first, with interrupts still off (a fault in
 * an interrupt handler would overwrite it); then, as NT's KiTrap0E, the
 * interrupt flag of the faulting code is restored, so resolving the fault
 * — zeroing or copying a page — does not hold interrupts off. Code that
 * faults with interrupts off has broken NT's rule (no pageable access with
 * interrupts disabled): IRQL_NOT_LESS_OR_EQUAL with 0xFF for the IRQL, as
 * KiTrap0E stops — unless the system is already stopping (the bugcheck
 * screen), or a fault catcher expects faults (the debugger's stopped
 * prompt runs its commands under one, with interrupts off: mm386's).
 */
static void KiPageFault(KTRAP_FRAME *TrapFrame)
{
    KPROCESSOR_MODE Mode = KiTrapFromUserMode(TrapFrame) ? UserMode : KernelMode;
    if (Mode == KernelMode && ExpResumeInterruptedSListPop(TrapFrame))
        return;
    ULONG Address = HalReadCr2();
    if (TrapFrame->EFlags & EFLAGS_IF)
        HalEnableInterrupts();
    else if (!KiBugCheckInProgress() && !KeFaultCatcherActive())
        KiBugCheckWithTrapFrame(IRQL_NOT_LESS_OR_EQUAL, Address, 0xFF, (TrapFrame->ErrCode & PF_WRITE) ? 1 : 0,
                                TrapFrame->Eip, TrapFrame);
    NTSTATUS Status = MmAccessFault(TrapFrame->ErrCode, (PVOID)Address, Mode, TrapFrame);
    HalDisableInterrupts();

    if (NT_SUCCESS(Status))
        return;
    if (Mode == UserMode) {
        KiDispatchUserTrap(TrapFrame, Status, Address);
        return;
    }
    /* The system-service gate copying a ring-3 caller's arguments from a bad stack: the service fails instead. */
    if (TrapFrame->Eip >= (ULONG)KiSystemServiceCopyArguments && TrapFrame->Eip < (ULONG)KiSystemServiceCopyEnd &&
        Address < (ULONG)MmSystemRangeStart) {
        TrapFrame->Eip = (ULONG)KiSystemServiceCopyFault;
        return;
    }
    if (KeFaultCatcherActive())
        KiResumeCatcher(TrapFrame, Address, Status);
    KiBugCheckWithTrapFrame(KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)Status, TrapFrame->Eip,
                            (TrapFrame->ErrCode & PF_WRITE) ? 1 : 0, Address, TrapFrame);
}

static void KiBreakpoint(KTRAP_FRAME *TrapFrame)
{
    ULONG Offset = 0;
    ULONG At = TrapFrame->Eip - 1;      /* the int3 itself */
    const char *Name = KiSymbolize(At, &Offset);
    KiBreakpointCount++;
    DbgPrint("*** Breakpoint (int3) at %08x %s+0x%x, continuing\n", At, Name ? Name : "?", Offset);
}

void KiDispatchTrap(KTRAP_FRAME *TrapFrame)
{
    ULONG Vector = TrapFrame->Vector;

    if (Vector >= PRIMARY_VECTOR_BASE && Vector < PRIMARY_VECTOR_BASE + PIC_IRQ_COUNT) {
        HalDispatchInterrupt(Vector - PRIMARY_VECTOR_BASE, TrapFrame);
        return;
    }
    switch (Vector) {
    case TRAP_PAGE_FAULT:
        KiPageFault(TrapFrame);
        return;
    case VECTOR_GET_TICK_COUNT:
        TrapFrame->Eax = KeGetTickCount();
        return;
    case TRAP_NMI:
        KiBugCheckWithTrapFrame(NMI_HARDWARE_FAILURE, 0, 0, 0, 0, TrapFrame);
    default:
        break;
    }
    if (Vector < TRAP_EXCEPTION_COUNT && KiTrapFromUserMode(TrapFrame)) {
        KiDispatchUserTrap(TrapFrame, STATUS_SUCCESS, 0);
        return;
    }
    if (Vector == TRAP_DEBUG && TrapFrame->Eip == (ULONG)KiFastCallEntry) {
        /* sysenter keeps TF: the single step lands on the kernel's first instruction. It goes on without it. */
        TrapFrame->EFlags &= ~EFLAGS_TF;
        return;
    }
    switch (Vector) {
    case TRAP_BREAKPOINT:
        if (KiDebugRoutine && KiDebugRoutine(TrapFrame))
            return;
        KiBreakpoint(TrapFrame);
        return;
    default:
        break;
    }
    if (Vector < TRAP_EXCEPTION_COUNT) {
        if (Vector == TRAP_DEBUG && KiDebugTrapRoutine && KiDebugTrapRoutine(TrapFrame))
            return;
        if (Vector == TRAP_DEBUG && KiDebugRoutine && KiDebugRoutine(TrapFrame))
            return;
        if (KeFaultCatcherActive())
            KiResumeCatcher(TrapFrame, 0, STATUS_SUCCESS);
        KiBugCheckWithTrapFrame(UNEXPECTED_KERNEL_MODE_TRAP, Vector, TrapFrame->ErrCode,
                                TrapFrame->Eip, 0, TrapFrame);
    }
    KiBugCheckWithTrapFrame(TRAP_CAUSE_UNKNOWN, Vector, TrapFrame->Eip, 0, 0, TrapFrame);
}

extern char __boot_stack_guard[], __boot_stack_limit[], __boot_stack_base[];

bool KeIdentifyStack(ULONG Address, KE_STACK_INFO *Info)
{
    if (Address >= (ULONG)__boot_stack_guard && Address < (ULONG)__boot_stack_base) {
        Info->Name = "the boot stack";
        Info->Limit = (ULONG)__boot_stack_limit;
        Info->Base = (ULONG)__boot_stack_base;
        return true;
    }
    return MmIdentifyKernelStack(Address, Info);
}

/*
 * The double fault, on the double-fault task. The CPU saved the faulting
 * context into the main TSS when it switched tasks; that context becomes the
 * trap frame of the bugcheck. UNEXPECTED_KERNEL_MODE_TRAP with parameter 1 =
 * 8 as in NT; mm386 adds the faulting ESP (2), EIP (3) and the base of the
 * overflowed stack when it knows it (4), and names that stack.
 */
void KiDoubleFault(void)
{
    const KTSS *Tss = HalGetMainTss();
    KTRAP_FRAME Tf = { 0 };
    KE_STACK_INFO Stack;

    Tf.Eax = Tss->Eax; Tf.Ebx = Tss->Ebx; Tf.Ecx = Tss->Ecx; Tf.Edx = Tss->Edx;
    Tf.Esi = Tss->Esi; Tf.Edi = Tss->Edi; Tf.Ebp = Tss->Ebp;
    Tf.Eip = Tss->Eip; Tf.EFlags = Tss->EFlags;
    Tf.SegCs = Tss->Cs; Tf.SegDs = Tss->Ds; Tf.SegEs = Tss->Es;
    Tf.TempEsp = Tss->Esp - KTRAP_FRAME_ESP_BIAS;
    Tf.Vector = TRAP_DOUBLE_FAULT;

    bool Known = KeIdentifyStack(Tss->Esp, &Stack);
    if (Known)
        DbgPrint("\n*** Double fault: kernel stack overflow on %s (stack %08x..%08x, esp=%08x)\n",
                 Stack.Name, Stack.Limit, Stack.Base, Tss->Esp);
    else
        DbgPrint("\n*** Double fault: esp=%08x is on no known kernel stack\n", Tss->Esp);
    KiBugCheckWithTrapFrame(UNEXPECTED_KERNEL_MODE_TRAP, TRAP_DOUBLE_FAULT, Tss->Esp, Tss->Eip,
                            Known ? Stack.Base : 0, &Tf);
}
