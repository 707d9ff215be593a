/*
 * kernel/ke/except.c — exceptions in ring 3, handed to the program NT's way.
 *
 * When user-mode code faults (an access violation, a guard page, a
 * breakpoint, a divide by zero, a privileged instruction) the trap handler
 * (kernel/ke/trap.c) describes it in an EXCEPTION_RECORD (include/ntexcept.h)
 * and calls KiDispatchException. As NT's: the first chance goes to the
 * program. Its registers become a CONTEXT; the CONTEXT and the record are
 * copied onto the thread's user stack, below the stack pointer it had, with
 * their two addresses on top; and the thread goes back to ring 3 not where
 * it faulted but at KiUserExceptionDispatcher, ntdll.dll's, at the same
 * address in every process (KeUserExceptionDispatcher: kernel/ps/sysdll.c). That routine, in user mode, walks the
 * handlers on fs:[0] and either resumes a context with NtContinue or, when
 * no handler takes the exception, asks for the second chance with
 * NtRaiseException(FirstChance = FALSE). The second chance — or a first
 * one that cannot be delivered: no dispatcher, or a user stack that cannot
 * take the record — ends the process with the exception code as its exit
 * status, after NT's message on the console.
 *
 * A context that comes back from ring 3 (NtContinue, NtRaiseException) is
 * sanitized before it reaches a trap frame, so no context can make the
 * kernel's own exit fault: CS and SS are always ring 3's, each data segment
 * is ring 3's data, TEB or null selector, and EFLAGS keeps only the flags a
 * program may set, with interrupts on.
 */
#include <ex.h>
#include <hal.h>
#include <mm.h>
#include <ps.h>
#include <rtl.h>
#include "kernel/ke/ki.h"

PVOID KeUserExceptionDispatcher;
PVOID KeUserApcDispatcher;

/* CF PF AF ZF SF TF DF OF AC ID: what a program may set in EFLAGS (no IOPL, NT, VM, RF, VIF, VIP). */
#define EFLAGS_USER_SANITIZE    0x00240DD5u

/* The user-mode selector a context's segment register may hold: SegmentOk's, else Default. */
static ULONG KiSanitizeSelector(ULONG Selector, ULONG SegmentOk, ULONG Default)
{
    Selector &= 0xFFFF;
    if (Selector == (SegmentOk | 3) || (Selector & ~3u) == 0)
        return Selector & ~3u ? Selector : 0;
    return Default;
}

/* Copies Length bytes to user address To: STATUS_ACCESS_VIOLATION (or the fault's status) if it cannot be written. */
static NTSTATUS KiCopyToUser(PVOID To, const void *From, ULONG Length)
{
    NTSTATUS Status;
    EX_TRY {
        ProbeForWrite(To, Length, sizeof(UCHAR));
        memcpy(To, From, Length);
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

/* Copies Length bytes from user address From: the fault's status if it cannot be read. */
static NTSTATUS KiCopyFromUser(PVOID To, const void *From, ULONG Length, ULONG Alignment)
{
    NTSTATUS Status;
    EX_TRY {
        ProbeForRead(From, Length, Alignment);
        memcpy(To, From, Length);
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

void KeTrapFrameToContext(const KTRAP_FRAME *TrapFrame, PCONTEXT Context)
{
    memset(Context, 0, sizeof(*Context));
    Context->ContextFlags = CONTEXT_FULL;
    Context->SegGs = TrapFrame->SegGs & 0xFFFF;
    Context->SegFs = TrapFrame->SegFs & 0xFFFF;
    Context->SegEs = TrapFrame->SegEs & 0xFFFF;
    Context->SegDs = TrapFrame->SegDs & 0xFFFF;
    Context->Edi = TrapFrame->Edi;
    Context->Esi = TrapFrame->Esi;
    Context->Ebx = TrapFrame->Ebx;
    Context->Edx = TrapFrame->Edx;
    Context->Ecx = TrapFrame->Ecx;
    Context->Eax = TrapFrame->Eax;
    Context->Ebp = TrapFrame->Ebp;
    Context->Eip = TrapFrame->Eip;
    Context->SegCs = TrapFrame->SegCs & 0xFFFF;
    Context->EFlags = TrapFrame->EFlags;
    Context->Esp = TrapFrame->HardwareEsp;
    Context->SegSs = TrapFrame->HardwareSegSs & 0xFFFF;
}

void KeContextToTrapFrame(const CONTEXT *Context, PKTRAP_FRAME TrapFrame)
{
    ULONG Flags = Context->ContextFlags;

    if ((Flags & CONTEXT_CONTROL) == CONTEXT_CONTROL) {
        TrapFrame->Ebp = Context->Ebp;
        TrapFrame->Eip = Context->Eip;
        TrapFrame->EFlags = (Context->EFlags & EFLAGS_USER_SANITIZE) | EFLAGS_IF | EFLAGS_RESERVED1;
        TrapFrame->HardwareEsp = Context->Esp;
    }
    TrapFrame->SegCs = KGDT_R3_CODE | 3;
    TrapFrame->HardwareSegSs = KGDT_R3_DATA | 3;
    if ((Flags & CONTEXT_INTEGER) == CONTEXT_INTEGER) {
        TrapFrame->Edi = Context->Edi;
        TrapFrame->Esi = Context->Esi;
        TrapFrame->Ebx = Context->Ebx;
        TrapFrame->Edx = Context->Edx;
        TrapFrame->Ecx = Context->Ecx;
        TrapFrame->Eax = Context->Eax;
    }
    if ((Flags & CONTEXT_SEGMENTS) == CONTEXT_SEGMENTS) {
        TrapFrame->SegDs = KiSanitizeSelector(Context->SegDs, KGDT_R3_DATA, KGDT_R3_DATA | 3);
        TrapFrame->SegEs = KiSanitizeSelector(Context->SegEs, KGDT_R3_DATA, KGDT_R3_DATA | 3);
        TrapFrame->SegFs = KiSanitizeSelector(Context->SegFs, KGDT_R3_TEB, KGDT_R3_TEB | 3);
        TrapFrame->SegGs = KiSanitizeSelector(Context->SegGs, KGDT_R3_DATA, 0);
    }
    TrapFrame->ErrCode = 0;                 /* rewritten: leaves by iretd, never by sysexit */
}

/* NT's console message for an exception no handler took (the text of STATUS_ACCESS_VIOLATION and its kin). */
static void KiPrintUnhandledException(const EXCEPTION_RECORD *Record, const char *Why)
{
    PEPROCESS Process = PsGetCurrentProcess();
    const char *Name = RtlNtStatusName(Record->ExceptionCode);

    if ((Record->ExceptionCode == STATUS_ACCESS_VIOLATION || Record->ExceptionCode == STATUS_IN_PAGE_ERROR) &&
        Record->NumberParameters >= 2)
        DbgPrint("%s: The instruction at \"0x%08x\" referenced memory at \"0x%08x\". The memory could not be "
                 "\"%s\".\n", Process->ImageFileName, (ULONG)Record->ExceptionAddress,
                 Record->ExceptionInformation[1], Record->ExceptionInformation[0] ? "written" : "read");
    else
        DbgPrint("%s: The exception %s (0x%08x) occurred in the application at location 0x%08x.\n",
                 Process->ImageFileName, Name ? Name : "unknown software exception",
                 (ULONG)Record->ExceptionCode, (ULONG)Record->ExceptionAddress);
    DbgPrint("%s: process %u ends with status 0x%08x (%s)\n", Process->ImageFileName,
             (ULONG)Process->UniqueProcessId, (ULONG)Record->ExceptionCode, Why);
}

/*
 * Copies Context and Record onto the user stack below Esp, with their
 * addresses on top as KiUserExceptionDispatcher expects them ([esp] the
 * record, [esp+4] the context). Returns the new stack pointer, or 0 when the
 * stack cannot take them.
 */
static ULONG KiPushExceptionFrame(ULONG Esp, const EXCEPTION_RECORD *Record, const CONTEXT *Context)
{
    ULONG RecordLength = ROUND_UP(offsetof(EXCEPTION_RECORD, ExceptionInformation) +
                                  Record->NumberParameters * sizeof(ULONG_PTR), 4);
    ULONG ContextAt = (Esp - sizeof(CONTEXT)) & ~3u;
    ULONG RecordAt = ContextAt - RecordLength;
    ULONG Top = RecordAt - 2 * sizeof(ULONG);
    ULONG Pointers[2] = { RecordAt, ContextAt };

    if (Esp > (ULONG)MmUserProbeAddress || Top > Esp ||
        !NT_SUCCESS(KiCopyToUser((PVOID)ContextAt, Context, sizeof(CONTEXT))) ||
        !NT_SUCCESS(KiCopyToUser((PVOID)RecordAt, Record, RecordLength)) ||
        !NT_SUCCESS(KiCopyToUser((PVOID)Top, Pointers, sizeof(Pointers))))
        return 0;
    return Top;
}

void KiDispatchException(PEXCEPTION_RECORD Record, PKTRAP_FRAME TrapFrame, BOOLEAN FirstChance)
{
    CONTEXT Context;

    ASSERT(KiTrapFromUserMode(TrapFrame));
    if (FirstChance && KeUserExceptionDispatcher) {
        KeTrapFrameToContext(TrapFrame, &Context);
        ULONG Esp = KiPushExceptionFrame(TrapFrame->HardwareEsp, Record, &Context);
        if (Esp) {
            TrapFrame->HardwareEsp = Esp;
            TrapFrame->Eip = (ULONG)KeUserExceptionDispatcher;
            TrapFrame->EFlags &= ~EFLAGS_TF;
            TrapFrame->SegCs = KGDT_R3_CODE | 3;
            TrapFrame->HardwareSegSs = KGDT_R3_DATA | 3;
            TrapFrame->SegDs = TrapFrame->SegEs = KGDT_R3_DATA | 3;
            TrapFrame->SegFs = KGDT_R3_TEB | 3;
            TrapFrame->SegGs = 0;
            TrapFrame->ErrCode = 0;
            return;
        }
        KiPrintUnhandledException(Record, "its stack cannot take the exception record");
    } else {
        KiPrintUnhandledException(Record, FirstChance ? "it has no exception dispatcher"
                                                      : "no handler took the exception");
    }
    HalEnableInterrupts();
    NtTerminateProcess(NtCurrentProcess(), Record->ExceptionCode);
    KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)Record->ExceptionCode, TrapFrame->Eip, 0, 0);
}

void KiInitializeUserApc(PKTRAP_FRAME TrapFrame, PKNORMAL_ROUTINE NormalRoutine, PVOID NormalContext,
                         PVOID Argument1, PVOID Argument2)
{
    CONTEXT Context;

    if (!KeUserApcDispatcher) {
        DbgPrint("%s: a user APC for %p, and no KiUserApcDispatcher to run it: dropped\n",
                 PsGetCurrentProcess()->ImageFileName,
                 (PVOID)NormalRoutine);
        return;
    }
    KeTrapFrameToContext(TrapFrame, &Context);
    ULONG ContextAt = (TrapFrame->HardwareEsp - sizeof(CONTEXT)) & ~3u;
    ULONG Top = ContextAt - 4 * sizeof(ULONG);
    ULONG Words[4] = { (ULONG)NormalRoutine, (ULONG)NormalContext, (ULONG)Argument1, (ULONG)Argument2 };
    if (TrapFrame->HardwareEsp > (ULONG)MmUserProbeAddress || Top > TrapFrame->HardwareEsp ||
        !NT_SUCCESS(KiCopyToUser((PVOID)ContextAt, &Context, sizeof(CONTEXT))) ||
        !NT_SUCCESS(KiCopyToUser((PVOID)Top, Words, sizeof(Words)))) {
        /* As NT: the stack cannot take it; the thread takes an access violation instead. */
        EXCEPTION_RECORD Record = { .ExceptionCode = STATUS_ACCESS_VIOLATION, .NumberParameters = 2,
                                    .ExceptionAddress = (PVOID)TrapFrame->Eip,
                                    .ExceptionInformation = { 1, Top } };
        KiDispatchException(&Record, TrapFrame, TRUE);
        return;
    }
    TrapFrame->HardwareEsp = Top;
    TrapFrame->Eip = (ULONG)KeUserApcDispatcher;
    TrapFrame->EFlags &= ~EFLAGS_TF;
    TrapFrame->ErrCode = 0;
}

/*
 * NtContinue: the thread resumes in ring 3 with ContextRecord's registers.
 * The return value is the new EAX, which the dispatcher writes back: a
 * successful NtContinue "returns" into the context it was given. With
 * TestAlert (KiUserApcDispatcher's), a user APC still queued is delivered
 * on the way back (mm386's threads keep no alerts: that part of NT's test
 * has nothing to find).
 */
NTSTATUS NtContinue(PCONTEXT ContextRecord, BOOLEAN TestAlert)
{
    PKTHREAD Thread = KeGetCurrentThread();
    CONTEXT Context;

    if (ExGetPreviousMode() != UserMode || Thread->TrapFrame == NULL)
        return STATUS_NOT_IMPLEMENTED;
    NTSTATUS Status = KiCopyFromUser(&Context, ContextRecord, sizeof(CONTEXT), sizeof(ULONG));
    if (!NT_SUCCESS(Status))
        return Status;
    KeContextToTrapFrame(&Context, Thread->TrapFrame);
    if (TestAlert && !IsListEmpty(&Thread->ApcState.ApcListHead[UserMode]))
        KeForceUserApc(Thread);
    return (NTSTATUS)Thread->TrapFrame->Eax;
}

/*
 * NtRaiseException: a program raises an exception itself (RtlRaiseException),
 * or asks for the second chance (FirstChance FALSE) when no handler took
 * one: the record and context are captured, the context becomes the
 * thread's, and the exception is dispatched as if the CPU had raised it.
 */
NTSTATUS NtRaiseException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT ContextRecord, BOOLEAN FirstChance)
{
    PKTHREAD Thread = KeGetCurrentThread();
    EXCEPTION_RECORD Record;
    CONTEXT Context;

    if (ExGetPreviousMode() != UserMode || Thread->TrapFrame == NULL)
        return STATUS_NOT_IMPLEMENTED;
    memset(&Record, 0, sizeof(Record));
    NTSTATUS Status = KiCopyFromUser(&Record, ExceptionRecord, offsetof(EXCEPTION_RECORD, ExceptionInformation),
                                     sizeof(ULONG));
    if (NT_SUCCESS(Status) && Record.NumberParameters > EXCEPTION_MAXIMUM_PARAMETERS)
        Status = STATUS_INVALID_PARAMETER;
    if (NT_SUCCESS(Status))
        Status = KiCopyFromUser(&Record, ExceptionRecord, offsetof(EXCEPTION_RECORD, ExceptionInformation) +
                                Record.NumberParameters * sizeof(ULONG_PTR), sizeof(ULONG));
    if (NT_SUCCESS(Status) && Record.NumberParameters > EXCEPTION_MAXIMUM_PARAMETERS)
        Status = STATUS_INVALID_PARAMETER;      /* it changed between the two reads */
    if (NT_SUCCESS(Status))
        Status = KiCopyFromUser(&Context, ContextRecord, sizeof(CONTEXT), sizeof(ULONG));
    if (!NT_SUCCESS(Status))
        return Status;
    Record.ExceptionRecord = NULL;
    KeContextToTrapFrame(&Context, Thread->TrapFrame);
    KiDispatchException(&Record, Thread->TrapFrame, FirstChance);
    return (NTSTATUS)Thread->TrapFrame->Eax;
}

/* Whether the instruction at Eip (ring 3's) is one only ring 0 may execute: NT's KiTrap0D's test. */
static bool KiIsPrivilegedInstruction(ULONG Eip)
{
    UCHAR Code[16];

    if (Eip > (ULONG)MmUserProbeAddress - sizeof(Code) ||
        !NT_SUCCESS(KiCopyFromUser(Code, (const void *)Eip, sizeof(Code), sizeof(UCHAR))))
        return false;
    ULONG i = 0;
    while (i < 8 && (Code[i] == 0x66 || Code[i] == 0x67 || Code[i] == 0xF0 || Code[i] == 0xF2 ||
                     Code[i] == 0xF3 || Code[i] == 0x26 || Code[i] == 0x2E || Code[i] == 0x36 ||
                     Code[i] == 0x3E || Code[i] == 0x64 || Code[i] == 0x65))
        i++;
    UCHAR Op = Code[i];
    if (Op == 0xFA || Op == 0xFB || Op == 0xF4 ||                  /* cli, sti, hlt */
        (Op >= 0xE4 && Op <= 0xE7) || (Op >= 0xEC && Op <= 0xEF) ||  /* in, out */
        (Op >= 0x6C && Op <= 0x6F))                                  /* ins, outs */
        return true;
    if (Op != 0x0F)
        return false;
    UCHAR Op2 = Code[i + 1], Reg = (Code[i + 2] >> 3) & 7;
    switch (Op2) {
    case 0x00:                                      /* lldt, ltr */
        return Reg == 2 || Reg == 3;
    case 0x01:                                      /* lgdt, lidt, lmsw, invlpg */
        return Reg == 2 || Reg == 3 || Reg == 6 || Reg == 7;
    case 0x06: case 0x08: case 0x09:                /* clts, invd, wbinvd */
    case 0x20: case 0x21: case 0x22: case 0x23:     /* mov to or from a control or debug register */
    case 0x30: case 0x32: case 0x33:                /* wrmsr, rdmsr, rdpmc */
        return true;
    default:
        return false;
    }
}

void KiDispatchUserTrap(PKTRAP_FRAME TrapFrame, NTSTATUS PageFaultStatus, ULONG FaultAddress)
{
    EXCEPTION_RECORD Record;

    memset(&Record, 0, sizeof(Record));
    Record.ExceptionAddress = (PVOID)TrapFrame->Eip;
    switch (TrapFrame->Vector) {
    case TRAP_PAGE_FAULT:
        Record.ExceptionCode = PageFaultStatus;
        Record.NumberParameters = 2;
        Record.ExceptionInformation[0] = (TrapFrame->ErrCode & PF_WRITE) ? 1 : 0;
        Record.ExceptionInformation[1] = FaultAddress;
        break;
    case TRAP_BREAKPOINT:
        /* NT reports the int3 itself, and the context points at it. */
        TrapFrame->Eip--;
        Record.ExceptionAddress = (PVOID)TrapFrame->Eip;
        Record.ExceptionCode = STATUS_BREAKPOINT;
        Record.NumberParameters = 1;
        break;
    case TRAP_DEBUG:
        TrapFrame->EFlags &= ~EFLAGS_TF;
        Record.ExceptionCode = STATUS_SINGLE_STEP;
        break;
    case TRAP_DIVIDE_ERROR:
        Record.ExceptionCode = STATUS_INTEGER_DIVIDE_BY_ZERO;
        break;
    case TRAP_OVERFLOW:
        /* A trap: EIP is past the into; NT reports the into itself (the context keeps EIP). */
        Record.ExceptionAddress = (PVOID)(TrapFrame->Eip - 1);
        Record.ExceptionCode = STATUS_INTEGER_OVERFLOW;
        break;
    case TRAP_BOUND:
        Record.ExceptionCode = STATUS_ARRAY_BOUNDS_EXCEEDED;
        break;
    case TRAP_INVALID_OPCODE:
    case TRAP_NO_FPU:                               /* CR0.EM: no floating point in ring 3 yet */
        Record.ExceptionCode = STATUS_ILLEGAL_INSTRUCTION;
        break;
    case TRAP_ALIGNMENT_CHECK:
        Record.ExceptionCode = STATUS_DATATYPE_MISALIGNMENT;
        break;
    case TRAP_GENERAL_PROTECTION:
        if (KiIsPrivilegedInstruction(TrapFrame->Eip)) {
            Record.ExceptionCode = STATUS_PRIVILEGED_INSTRUCTION;
            break;
        }
        /* A bad selector, an int to a ring-0 gate ...: an access violation. */
        __attribute__((fallthrough));
    default:
        Record.ExceptionCode = STATUS_ACCESS_VIOLATION;
        Record.NumberParameters = 2;
        Record.ExceptionInformation[0] = 0;
        Record.ExceptionInformation[1] = 0xFFFFFFFF;
        break;
    }
    TrapFrame->ErrCode = 0;
    HalEnableInterrupts();
    KiDispatchException(&Record, TrapFrame, TRUE);
    HalDisableInterrupts();
}
