/*
 * tests/kernel/ex.c — the executive's exceptions (kernel/ex): ExRaiseStatus,
 * EX_TRY / EX_EXCEPT with CPU exceptions and raised statuses, nesting,
 * leaving a protected body early, and ProbeForRead/ProbeForWrite's checks of
 * range and alignment (their touching of user pages is in tests/mm/virtual_mdl.c).
 */
#include <ex.h>
#include <ktest.h>
#include <mm.h>
#include "../testlib.h"

static NTSTATUS __attribute__((noinline)) RaiseInTry(NTSTATUS Raised, EXCEPTION_RECORD *Record)
{
    NTSTATUS Status;
    EX_TRY {
        ExRaiseStatus(Raised);
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
        EX_GET_EXCEPTION_RECORD(Record);
    } EX_END;
    return Status;
}

/* A raised status reaches the handler as its exception code, with where it was raised. */
KTEST(ex, raised_status_reaches_the_handler)
{
    EXCEPTION_RECORD Record;
    EXPECT_EQ(RaiseInTry(STATUS_INSUFFICIENT_RESOURCES, &Record), STATUS_INSUFFICIENT_RESOURCES);
    EXPECT_EQ(Record.ExceptionCode, STATUS_INSUFFICIENT_RESOURCES);
    EXPECT_EQ(Record.NumberParameters, 0);
    ULONG Offset;
    const char *Name = KiSymbolize((ULONG)Record.ExceptionAddress, &Offset);
    EXPECT_STREQ(Name, "RaiseInTry");
    EXPECT_EQ(RaiseInTry(STATUS_DATATYPE_MISALIGNMENT, &Record), STATUS_DATATYPE_MISALIGNMENT);
}

static NTSTATUS __attribute__((noinline)) TouchInTry(volatile ULONG *Address, bool Write, EXCEPTION_RECORD *Record)
{
    NTSTATUS Status;
    EX_TRY {
        if (Write)
            *Address = 1;
        else
            (void)*Address;
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
        EX_GET_EXCEPTION_RECORD(Record);
    } EX_END;
    return Status;
}

static volatile int Divisor;

/* CPU exceptions become NT's exception codes: a bad address an access violation, #DE a divide by zero, #UD an illegal instruction. */
KTEST(ex, cpu_exceptions_become_exception_codes)
{
    EXCEPTION_RECORD Record;
    NTSTATUS Status;
    EXPECT_EQ(TouchInTry((volatile ULONG *)0x10, false, &Record), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(Record.ExceptionInformation[0], 0);
    EXPECT_EQ(Record.ExceptionInformation[1], 0x10);
    EXPECT_EQ(TouchInTry((volatile ULONG *)0x2004, true, &Record), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(Record.ExceptionInformation[0], 1);
    EXPECT_EQ(Record.ExceptionInformation[1], 0x2004);
    Divisor = 0;
    EX_TRY {
        Divisor = 10 / Divisor;
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    EXPECT_EQ(Status, STATUS_INTEGER_DIVIDE_BY_ZERO);
    EX_TRY {
        __asm__ volatile("ud2");
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    EXPECT_EQ(Status, STATUS_ILLEGAL_INSTRUCTION);
}

/*
 * Handlers nest: the innermost gets the exception; after it, the outer one
 * is armed again. (Inner is volatile: the outer handler's resumption, like
 * longjmp, restores registers to what they were when the outer was armed.)
 */
KTEST(ex, handlers_nest_innermost_first)
{
    NTSTATUS Outer = STATUS_SUCCESS;
    volatile NTSTATUS Inner = STATUS_SUCCESS;
    volatile int Reached = 0;
    EX_TRY {
        EX_TRY {
            ExRaiseStatus(STATUS_NO_MEMORY);
        } EX_EXCEPT(Inner) {
            Reached = 1;
        } EX_END;
        ExRaiseStatus(STATUS_STACK_OVERFLOW);
    } EX_EXCEPT(Outer) {
        Reached += 10;
    } EX_END;
    EXPECT_EQ(Inner, STATUS_NO_MEMORY);
    EXPECT_EQ(Outer, STATUS_STACK_OVERFLOW);
    EXPECT_EQ(Reached, 11);
}

static int __attribute__((noinline)) ReturnFromTry(int Value)
{
    NTSTATUS Status;
    EX_TRY {
        if (Value > 0)
            return Value;           /* leaves the body: the handler must be disarmed */
    } EX_EXCEPT(Status) {
        return Status == STATUS_SUCCESS ? -2 : -1;
    } EX_END;
    return 0;
}

/*
 * Leaving a body by return disarms its handler: a later exception goes to
 * the handler still armed, not to the stack frame that is gone.
 */
KTEST(ex, leaving_the_body_early_disarms_the_handler)
{
    NTSTATUS Status = STATUS_SUCCESS;
    volatile int Returned = 0;
    EX_TRY {
        Returned = ReturnFromTry(5);
        ExRaiseStatus(STATUS_UNSUCCESSFUL);
    } EX_EXCEPT(Status) {
    } EX_END;
    EXPECT_EQ(Returned, 5);
    EXPECT_EQ(Status, STATUS_UNSUCCESSFUL);
    EXPECT_FALSE(KeFaultCatcherActive());
}

/* A handler runs at the IRQL it was armed at, whatever the body raised it to. */
KTEST(ex, handler_runs_at_the_irql_it_was_armed_at)
{
    NTSTATUS Status = STATUS_SUCCESS;
    KIRQL Old;
    EX_TRY {
        KeRaiseIrql(DISPATCH_LEVEL, &Old);
        ExRaiseStatus(STATUS_ACCESS_VIOLATION);
    } EX_EXCEPT(Status) {
        EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    } EX_END;
    EXPECT_EQ(Status, STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static NTSTATUS ProbeRead(const void *Address, SIZE_T Length, ULONG Alignment)
{
    NTSTATUS Status;
    EX_TRY {
        ProbeForRead(Address, Length, Alignment);
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    return Status;
}

/*
 * NT's probe rules without touching memory: length 0 checks nothing; the
 * alignment first (STATUS_DATATYPE_MISALIGNMENT), then the range, which may
 * end at MmUserProbeAddress but not pass it or wrap (STATUS_ACCESS_VIOLATION).
 */
KTEST(ex, probe_checks_alignment_then_range)
{
    ULONG Probe = (ULONG)MmUserProbeAddress;
    EXPECT_EQ(ProbeRead((PVOID)(Probe + 3), 0, 4), STATUS_SUCCESS);
    EXPECT_EQ(TestProbeForWrite((PVOID)(Probe + 3), 0, 4), STATUS_SUCCESS);
    EXPECT_EQ(ProbeRead((PVOID)0x10002, 4, 4), STATUS_DATATYPE_MISALIGNMENT);
    EXPECT_EQ(ProbeRead((PVOID)(Probe + 2), 4, 4), STATUS_DATATYPE_MISALIGNMENT);
    EXPECT_EQ(TestProbeForWrite((PVOID)(Probe + 2), 4, 4), STATUS_DATATYPE_MISALIGNMENT);
    EXPECT_EQ(ProbeRead((PVOID)0x10001, 8, 1), STATUS_SUCCESS);
    EXPECT_EQ(ProbeRead((PVOID)(Probe - 8), 8, 8), STATUS_SUCCESS);
    EXPECT_EQ(ProbeRead((PVOID)(Probe - 8), 9, 8), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(ProbeRead((PVOID)Probe, 1, 1), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(ProbeRead((PVOID)0x10000, 0xFFFFFFF0, 1), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(TestProbeForWrite((PVOID)(Probe - 4), 8, 4), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(TestProbeForWrite((PVOID)0x10000, 0xFFFFFFFF, 1), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(TestProbeForWrite((PVOID)&Divisor, sizeof(Divisor), 4), STATUS_ACCESS_VIOLATION);
}

/* Until threads exist the previous mode is a single value, KernelMode unless a service entry set it. */
KTEST(ex, previous_mode_is_kernel_by_default)
{
    EXPECT_EQ(ExGetPreviousMode(), KernelMode);
    KPROCESSOR_MODE Old = ExpSetPreviousMode(UserMode);
    EXPECT_EQ(Old, KernelMode);
    EXPECT_EQ(ExGetPreviousMode(), UserMode);
    ExpSetPreviousMode(Old);
}

/* A status raised with no handler armed: NT's KMODE_EXCEPTION_NOT_HANDLED, the status first. */
KTEST_DEATH_P1(ex, unhandled_raise_stops_the_machine, KMODE_EXCEPTION_NOT_HANDLED, STATUS_COMMITMENT_LIMIT)
{
    ExRaiseStatus(STATUS_COMMITMENT_LIMIT);
}
