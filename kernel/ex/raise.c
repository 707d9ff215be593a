/*
 * kernel/ex/raise.c — raising exceptions, and the runtime of EX_TRY.
 *
 * NT raises a status with RtlRaiseStatus: the exception dispatcher walks
 * the handlers registered on the stack and gives the exception to the
 * first that accepts it; with none in kernel mode the machine stops with
 * KMODE_EXCEPTION_NOT_HANDLED. mm386's handlers are fault catchers (the
 * innermost armed one, include/ke.h), so raising is: record the status in
 * that catcher (Vector KI_RAISED_STATUS, the status in ErrorCode and
 * ExceptionCode), unlink it, return to the IRQL it was armed at and resume
 * it (KiRaiseToCatcher) — exactly what the trap dispatcher does for a CPU
 * exception, which records the page fault's status (or the vector, mapped
 * here to NT's exception code) the same way.
 */
#include <ex.h>
#include <hal.h>
#include <mm.h>
#include "kernel/ke/ki.h"

NORETURN __attribute__((noinline)) void ExRaiseStatus(NTSTATUS Status)
{
    ULONG Caller = (ULONG)__builtin_return_address(0);

    /* A catcher armed below an interrupt in progress is not this code's handler. */
    if (!KeFaultCatcherActive())
        KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)Status, Caller, 0, 0);
    KiRaiseToCatcher(KI_RAISED_STATUS, (ULONG)Status, Caller);
}

NORETURN void ExRaiseAccessViolation(void)
{
    ExRaiseStatus(STATUS_ACCESS_VIOLATION);
}

NORETURN void ExRaiseDatatypeMisalignment(void)
{
    ExRaiseStatus(STATUS_DATATYPE_MISALIGNMENT);
}

/* NT's exception code for a CPU exception other than a page fault, as its trap handlers raise it. */
static NTSTATUS ExpCodeForVector(ULONG Vector)
{
    switch (Vector) {
    case TRAP_DIVIDE_ERROR:
        return STATUS_INTEGER_DIVIDE_BY_ZERO;
    case TRAP_DEBUG:
        return STATUS_SINGLE_STEP;
    case TRAP_OVERFLOW:
        return STATUS_INTEGER_OVERFLOW;
    case TRAP_BOUND:
        return STATUS_ARRAY_BOUNDS_EXCEEDED;
    case TRAP_INVALID_OPCODE:
        return STATUS_ILLEGAL_INSTRUCTION;
    case TRAP_ALIGNMENT_CHECK:
        return STATUS_DATATYPE_MISALIGNMENT;
    default:
        return STATUS_ACCESS_VIOLATION;     /* #GP, #SS, #NP: NT raises an access violation */
    }
}

NTSTATUS ExpExceptionCode(const KFAULT_CATCHER *Catcher)
{
    if (Catcher->Vector == KI_RAISED_STATUS || Catcher->Vector == TRAP_PAGE_FAULT)
        return Catcher->ExceptionCode;
    return ExpCodeForVector(Catcher->Vector);
}

void ExpExceptionRecord(const KFAULT_CATCHER *Catcher, PEXCEPTION_RECORD Record)
{
    Record->ExceptionCode = ExpExceptionCode(Catcher);
    Record->ExceptionFlags = 0;
    Record->ExceptionRecord = NULL;
    Record->ExceptionAddress = (PVOID)Catcher->FaultEip;
    Record->NumberParameters = 0;
    Record->ExceptionInformation[0] = Record->ExceptionInformation[1] = 0;
    if (Catcher->Vector == TRAP_PAGE_FAULT) {
        Record->NumberParameters = 2;
        Record->ExceptionInformation[0] = (Catcher->ErrorCode & PF_WRITE) ? 1 : 0;
        Record->ExceptionInformation[1] = Catcher->FaultAddress;
    }
}
