/*
 * tests/user/exceptions.c — exceptions in ring 3, NT's way (kernel/ke/except.c,
 * user/ntdll/except.c).
 *
 * Each fault a program can take arrives at its handler as the exception NT
 * documents for it — code, address, parameters — and a handler that resumes
 * gets the program back where it said. The expected codes are winnt.h's.
 */
#include <utest.h>

/* Through a volatile pointer: the compiler may not see what the address is. */
static void ReadAddress(PVOID Address)
{
    volatile ULONG *volatile Pointer = Address;
    (void)*Pointer;
}

static void WriteAddress(PVOID Address)
{
    volatile ULONG *volatile Pointer = Address;
    *Pointer = 0x12345678;
}

UTEST(null_read_is_an_access_violation_with_its_address)
{
    ULONG_PTR Address = 1;
    UTEST_EXPECT_EQ(UtestCatch(ReadAddress, NULL, &Address), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(Address, 0);
}

UTEST(write_to_shared_user_data_is_refused)
{
    ULONG_PTR Address = 0;
    UTEST_EXPECT_EQ(UtestCatch(WriteAddress, (PVOID)MM_SHARED_USER_DATA_VA, &Address), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(Address, MM_SHARED_USER_DATA_VA);
    UTEST_EXPECT_EQ(UtestCatch(ReadAddress, (PVOID)MM_SHARED_USER_DATA_VA, NULL), STATUS_SUCCESS);
}

/* The record the dispatcher delivered, seen from inside a registration of the test's own. */
static EXCEPTION_RECORD SeenRecord;
static CONTEXT SeenContext;
static ULONG ResumeAt;

static EXCEPTION_DISPOSITION Recorder(PEXCEPTION_RECORD Record, PEXCEPTION_REGISTRATION_RECORD Frame,
                                      PCONTEXT Context, PVOID DispatcherContext)
{
    SeenRecord = *Record;
    SeenContext = *Context;
    Context->Eip = ResumeAt;
    return ExceptionContinueExecution;
}

/* Runs Trigger with Recorder registered; Trigger sets ResumeAt itself (the label after its faulting instruction). */
static void WithRecorder(void (*Trigger)(void))
{
    EXCEPTION_REGISTRATION_RECORD Registration;
    Registration.Handler = Recorder;
    __asm__ volatile("movl %%fs:0, %0" : "=r"(Registration.Next));
    __asm__ volatile("movl %0, %%fs:0" : : "r"(&Registration) : "memory");
    memset(&SeenRecord, 0, sizeof(SeenRecord));
    Trigger();
    __asm__ volatile("movl %0, %%fs:0" : : "r"(Registration.Next) : "memory");
}

static void Breakpoint(void)
{
    __asm__ volatile("movl $1f, %0\n\tint3\n1:" : "=m"(ResumeAt));
}

UTEST(int3_is_a_breakpoint_at_the_int3_and_resumes)
{
    WithRecorder(Breakpoint);
    UTEST_EXPECT_EQ(SeenRecord.ExceptionCode, STATUS_BREAKPOINT);
    UTEST_EXPECT_EQ((ULONG)SeenRecord.ExceptionAddress, ResumeAt - 1);
    UTEST_EXPECT_EQ(SeenContext.Eip, ResumeAt - 1);         /* NT: the context points at the int3 */
    UTEST_EXPECT_EQ(SeenContext.SegCs, KGDT_R3_CODE | 3);
}

static void DivideByZero(void)
{
    __asm__ volatile("movl $2f, %0\n\tmovl $1, %%eax\n\txorl %%edx, %%edx\n\txorl %%ecx, %%ecx\n"
                     "1:\tdivl %%ecx\n2:" : "=m"(ResumeAt) : : "eax", "ecx", "edx");
}

UTEST(divide_by_zero_is_integer_divide_by_zero)
{
    WithRecorder(DivideByZero);
    UTEST_EXPECT_EQ(SeenRecord.ExceptionCode, STATUS_INTEGER_DIVIDE_BY_ZERO);
    UTEST_EXPECT_EQ((ULONG)SeenRecord.ExceptionAddress, ResumeAt - 2);     /* divl %ecx is two bytes */
}

#define PRIVILEGED_CASE(name, instruction)                                                  \
    static void Privileged_##name(void)                                                     \
    {                                                                                       \
        __asm__ volatile("movl $2f, %0\n1:\t" instruction "\n2:" : "=m"(ResumeAt) : : "eax", "ecx", "edx", "memory"); \
    }                                                                                       \
    UTEST(privileged_instruction_##name)                                                    \
    {                                                                                       \
        WithRecorder(Privileged_##name);                                                    \
        UTEST_EXPECT_EQ(SeenRecord.ExceptionCode, STATUS_PRIVILEGED_INSTRUCTION);           \
    }

PRIVILEGED_CASE(cli, "cli")
PRIVILEGED_CASE(hlt, "hlt")
PRIVILEGED_CASE(mov_cr3, "movl %%cr3, %%eax")
PRIVILEGED_CASE(out, "outb %%al, $0x80")
PRIVILEGED_CASE(in, "inb $0x60, %%al")
PRIVILEGED_CASE(lgdt, "lgdt (%%esp)")
PRIVILEGED_CASE(wrmsr, "xorl %%ecx, %%ecx\n\twrmsr")

static void LoadKernelSelector(void)
{
    __asm__ volatile("movl $2f, %0\n\tmovw %%ds, %%dx\n1:\tmovw %1, %%ax\n\tmovw %%ax, %%ds\n2:\tmovw %%dx, %%ds"
                     : "=m"(ResumeAt) : "i"(KGDT_R0_DATA) : "eax", "edx");
}

UTEST(kernel_selector_in_a_segment_register_is_an_access_violation)
{
    WithRecorder(LoadKernelSelector);
    UTEST_EXPECT_EQ(SeenRecord.ExceptionCode, STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(SeenRecord.NumberParameters, 2);
    UTEST_EXPECT_EQ(SeenRecord.ExceptionInformation[1], 0xFFFFFFFF);       /* NT's #GP: no address */
}

static void Overflow(void)
{
    __asm__ volatile("movl $2f, %0\n\tmovl $0x7fffffff, %%eax\n\taddl $1, %%eax\n1:\tinto\n2:"
                     : "=m"(ResumeAt) : : "eax", "cc");
}

UTEST(into_after_an_overflow_is_integer_overflow_at_the_into)
{
    WithRecorder(Overflow);
    UTEST_EXPECT_EQ(SeenRecord.ExceptionCode, STATUS_INTEGER_OVERFLOW);
    UTEST_EXPECT_EQ((ULONG)SeenRecord.ExceptionAddress, ResumeAt - 1);     /* into is one byte */
    UTEST_EXPECT_EQ(SeenContext.Eip, ResumeAt);                             /* a trap: after it */
}

static ULONG Bounds[2] = { 0, 1 };

static void OutOfBounds(void)
{
    __asm__ volatile("movl $2f, %0\n\tmovl $5, %%eax\n1:\tboundl %%eax, %1\n2:"
                     : "=m"(ResumeAt) : "m"(Bounds) : "eax");
}

UTEST(bound_outside_its_limits_is_array_bounds_exceeded)
{
    WithRecorder(OutOfBounds);
    UTEST_EXPECT_EQ(SeenRecord.ExceptionCode, STATUS_ARRAY_BOUNDS_EXCEEDED);
    UTEST_EXPECT_EQ(SeenContext.Eip, (ULONG)SeenRecord.ExceptionAddress);    /* a fault: at the bound */
    UTEST_EXPECT_EQ(SeenContext.Eax, 5);
}

static void InvalidOpcode(void)
{
    __asm__ volatile("movl $2f, %0\n1:\tud2\n2:" : "=m"(ResumeAt));
}

UTEST(ud2_is_illegal_instruction_at_the_ud2)
{
    WithRecorder(InvalidOpcode);
    UTEST_EXPECT_EQ(SeenRecord.ExceptionCode, STATUS_ILLEGAL_INSTRUCTION);
    UTEST_EXPECT_EQ((ULONG)SeenRecord.ExceptionAddress, ResumeAt - 2);     /* ud2 is two bytes */
}

static ULONG StepTarget;

/* TF set by popf: the instruction after it runs, then the single-step trap. */
static void SingleStep(void)
{
    __asm__ volatile("movl $2f, %0\n\tmovl $3f, %1\n\tpushfl\n\torl $0x100, (%%esp)\n\tpopfl\n"
                     "\tnop\n3:\tnop\n2:" : "=m"(ResumeAt), "=m"(StepTarget) : : "memory", "cc");
}

UTEST(trap_flag_is_single_step_after_one_instruction_and_is_cleared)
{
    WithRecorder(SingleStep);
    UTEST_EXPECT_EQ(SeenRecord.ExceptionCode, STATUS_SINGLE_STEP);
    UTEST_EXPECT_EQ((ULONG)SeenRecord.ExceptionAddress, StepTarget);
    UTEST_EXPECT_EQ(SeenContext.EFlags & 0x100, 0);                        /* NT clears TF for the handler */
}

/*
 * NT leaves CR0.AM clear (its CR0 is 0x8001003B), so EFLAGS.AC has no
 * effect in ring 3: a misaligned read with AC set is an ordinary read.
 */
static void MisalignedWithAc(PVOID Context)
{
    static UCHAR Buffer[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    ULONG Value;
    __asm__ volatile("pushfl\n\torl $0x40000, (%%esp)\n\tpopfl\n\tmovl 1(%1), %0\n"
                     "\tpushfl\n\tandl $~0x40000, (%%esp)\n\tpopfl"
                     : "=r"(Value) : "r"(Buffer) : "memory", "cc");
    *(ULONG *)Context = Value;
}

UTEST(alignment_check_flag_has_no_effect_as_in_nt)
{
    ULONG Value = 0;
    UTEST_EXPECT_EQ(UtestCatch(MisalignedWithAc, &Value, NULL), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Value, 0x05040302);
}

/* A guard page: the first touch is STATUS_GUARD_PAGE_VIOLATION at its address; the guard is gone after. */
UTEST(guard_page_violation_once_then_the_page_is_ordinary)
{
    PVOID Base = NULL;
    SIZE_T Size = PAGE_SIZE;
    ULONG_PTR Address = 0;
    UTEST_ASSERT_EQ(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                            PAGE_READWRITE | PAGE_GUARD), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(UtestCatch(WriteAddress, Base, &Address), STATUS_GUARD_PAGE_VIOLATION);
    UTEST_EXPECT_EQ(Address, (ULONG_PTR)Base);
    UTEST_EXPECT_EQ(UtestCatch(WriteAddress, Base, NULL), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(*(volatile ULONG *)Base, 0x12345678);
    Size = 0;
    UTEST_EXPECT_EQ(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE), STATUS_SUCCESS);
}

static volatile ULONG RecursionLimit = 0xFFFFFFFF;

/* Deeper and deeper, a kilobyte a call, until the stack ends (the limit is never reached). */
static ULONG Recurse(ULONG Depth)
{
    volatile UCHAR Frame[1024];
    Frame[0] = (UCHAR)Depth;
    if (Depth == RecursionLimit)
        return 0;
    return Recurse(Depth + 1) + Frame[0];
}

static NTSTATUS NTAPI OverflowThread(PVOID Parameter)
{
    volatile NTSTATUS Caught = STATUS_SUCCESS;
    RTL_TRY {
        Recurse(0);
    } RTL_EXCEPT(Caught) {
    } RTL_END;
    return Caught;
}

/*
 * A thread with a 64 KB stack grows it page by page through its guard page
 * (the program never sees those faults), then, at the reservation's end,
 * takes STATUS_STACK_OVERFLOW — with the last page left for its handler,
 * as NT leaves it.
 */
UTEST(stack_grows_through_its_guard_page_until_stack_overflow)
{
    HANDLE Thread;
    THREAD_BASIC_INFORMATION Info;
    UTEST_ASSERT_EQ(RtlCreateUserThread(NtCurrentProcess(), NULL, FALSE, 0, 64 * 1024, PAGE_SIZE, OverflowThread,
                                        NULL, &Thread, NULL), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtWaitForSingleObject(Thread, FALSE, NULL), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(NtQueryInformationThread(Thread, ThreadBasicInformation, &Info, sizeof(Info), NULL),
                    STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Info.ExitStatus, STATUS_STACK_OVERFLOW);
    NtClose(Thread);
}

static void RaiseCustom(PVOID Context)
{
    EXCEPTION_RECORD Record = { .ExceptionCode = (NTSTATUS)0xE0001234, .NumberParameters = 1,
                                .ExceptionInformation = { 42 } };
    RtlRaiseException(&Record);
}

UTEST(raised_exception_reaches_the_handler_with_its_code)
{
    UTEST_EXPECT_EQ(UtestCatch(RaiseCustom, NULL, NULL), 0xE0001234);
}

static void Nested(PVOID Context)
{
    volatile NTSTATUS Inner = 0;
    RTL_TRY {
        ReadAddress(NULL);
    } RTL_EXCEPT(Inner) {
    } RTL_END;
    *(NTSTATUS *)Context = Inner;
    WriteAddress((PVOID)4);
}

UTEST(nested_handlers_take_the_innermost_first)
{
    NTSTATUS Inner = 0;
    ULONG_PTR Address = 0;
    UTEST_EXPECT_EQ(UtestCatch(Nested, &Inner, &Address), STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(Inner, STATUS_ACCESS_VIOLATION);
    UTEST_EXPECT_EQ(Address, 4);
}

static void Syscall(PVOID Context)
{
    ULONG Number = (ULONG)Context, Result;
    __asm__ volatile("int $0x2e" : "=a"(Result) : "a"(Number), "d"(0) : "ecx", "memory");
    SeenRecord.ExceptionCode = (NTSTATUS)Result;
}

UTEST(unknown_service_number_is_invalid_system_service)
{
    UTEST_EXPECT_EQ(UtestCatch(Syscall, (PVOID)0x7FFF, NULL), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(SeenRecord.ExceptionCode, STATUS_INVALID_SYSTEM_SERVICE);
}
