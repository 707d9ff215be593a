/*
 * kernel/ex/raise.c — ExRaiseStatus: an NTSTATUS raised as an exception.
 *
 * NT's kernel raises a status (a semaphore released past its limit, a
 * mutant released by a thread that does not own it, a failed allocation
 * with POOL_RAISE_IF_ALLOCATION_FAILURE) as an exception that the caller's
 * __try/__except takes. mm386's stand-in for __try is the fault catcher
 * (include/ke.h): the innermost one armed by the raising code resumes with
 * Vector KI_RAISED_STATUS and the status in ErrorCode. Unhandled, the
 * exception is KMODE_EXCEPTION_NOT_HANDLED (0x1E): the status, the address
 * that raised it.
 */
#include <ex.h>
#include "kernel/ke/ki.h"

NORETURN void ExRaiseStatus(NTSTATUS Status)
{
    ULONG Caller = (ULONG)__builtin_return_address(0);
    if (KeFaultCatcherActive())
        KiRaiseToCatcher(KI_RAISED_STATUS, (ULONG)Status, Caller);
    KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)Status, Caller, 0, 0);
}
