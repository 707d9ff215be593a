/*
 * kernel/ke/yield.c — the yield execution service (NT's ke\yield.c).
 *
 * NtYieldExecution (SwitchToThread) gives the processor to another ready
 * thread, the caller going to the back of its ready queue; if there is none
 * it keeps running and the answer is STATUS_NO_YIELD_PERFORMED, a success
 * status. The work is the dispatcher's (KeYieldExecution, thrdschd.c);
 * there are no arguments to probe.
 *
 * NOTE: mm386's KeYieldExecution considers only threads of the caller's
 * priority or higher. NT 5.2's NtYieldExecution takes any ready thread above
 * priority 0 (and takes a step off the caller's boost), so a lower-priority
 * ready thread gets the processor there and not here.
 */
#include <ntexapi.h>

NTSTATUS NtYieldExecution(void)
{
    return KeYieldExecution();
}

NTSTATUS ZwYieldExecution(void)
{
    return EX_CALL_AS_KERNEL_MODE(NtYieldExecution());
}
