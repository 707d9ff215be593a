/*
 * kernel/ex/delay.c — the delay execution service (NT's ex\delay.c).
 *
 * NtDelayExecution is Sleep: the calling thread waits on nothing but its
 * own timer (KeDelayExecutionThread, kernel/ke/wait.c) for the interval the
 * caller gives — negative for a relative time in 100 ns units, else an
 * absolute system time. An alertable delay in user mode ends early,
 * STATUS_USER_APC, when a user APC is queued to the thread. A UserMode
 * caller's interval is probed (4-byte alignment, below MmUserProbeAddress)
 * and read once.
 *
 * A zero interval asks only to give up the rest of the quantum. For a
 * user-mode caller that is not alertable and has no user APC waiting, NT's
 * KeDelayExecutionThread answers with NtYieldExecution — so Sleep(0) can
 * return STATUS_NO_YIELD_PERFORMED. mm386's KeDelayExecutionThread always
 * yields and says STATUS_SUCCESS, so the service makes that case itself.
 */
#include "exp.h"

NTSTATUS NtDelayExecution(BOOLEAN Alertable, PLARGE_INTEGER DelayInterval)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    LARGE_INTEGER Interval;
    NTSTATUS Status;

    if (PreviousMode != KernelMode) {
        EX_TRY {
            ProbeForReadSmallStructure(DelayInterval, sizeof(LARGE_INTEGER), sizeof(ULONG));
            Interval = *(volatile LARGE_INTEGER *)DelayInterval;
        } EX_EXCEPT(Status) {
            return Status;
        } EX_END;
        if (Interval.QuadPart == 0 && !Alertable && !KeGetCurrentThread()->ApcState.UserApcPending)
            return NtYieldExecution();
    } else {
        Interval = *DelayInterval;
    }
    return KeDelayExecutionThread(PreviousMode, Alertable, &Interval);
}

NTSTATUS ZwDelayExecution(BOOLEAN Alertable, PLARGE_INTEGER DelayInterval)
{
    return EX_CALL_AS_KERNEL_MODE(NtDelayExecution(Alertable, DelayInterval));
}
