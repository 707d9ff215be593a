/*
 * user/utest/utest.c — main() of every user-mode test program (user/include/utest.h).
 *
 * `NAME.exe CASE` runs one case and exits with its number of failed checks
 * (0: passed), which is what the kernel's harness reads. `NAME.exe` alone
 * runs every case and prints KTAP, for a run by hand from the prompt. The
 * cases are the UTEST_CASE entries between the markers of the .utest section.
 */
#include <utest.h>

__attribute__((used, section(".utest$a"))) static const UTEST_CASE UtestFirst = { NULL, NULL, 0 };
__attribute__((used, section(".utest$z"))) static const UTEST_CASE UtestLast = { NULL, NULL, 0 };

ULONG UtestFailures;

/* The first and one past the last case: the markers' neighbours, laundered so the compiler sees one array. */
static const UTEST_CASE *UtestCases(const UTEST_CASE **End)
{
    const UTEST_CASE *First = &UtestFirst + 1, *Last = &UtestLast;
    __asm__("" : "+r"(First), "+r"(Last));
    *End = Last;
    return First;
}

void UtestFail(const char *File, int Line, const char *Format, ...)
{
    char Text[256];
    va_list Args;
    va_start(Args, Format);
    vsnprintf(Text, sizeof(Text), Format, Args);
    va_end(Args);
    printf("    # %s:%d: %s\n", File, Line, Text);
    UtestFailures++;
}

/* Ends the running case at once (an ASSERT failed): a breakpoint exception its runner's RTL_TRY takes. */
NORETURN void UtestEnd(void)
{
    EXCEPTION_RECORD Record = { .ExceptionCode = STATUS_ASSERTION_FAILURE, .ExceptionFlags = EXCEPTION_NONCONTINUABLE };
    RtlRaiseException(&Record);
    for (;;)
        ;
}

static void UtestCall(PVOID Context)
{
    ((const UTEST_CASE *)Context)->Routine();
}

NTSTATUS UtestCatch(void (*Statement)(PVOID Context), PVOID Context, ULONG_PTR *Address)
{
    volatile NTSTATUS Code = STATUS_SUCCESS;
    RTL_TRY {
        Statement(Context);
    } RTL_EXCEPT(Code) {
        if (Address)
            *Address = RTL_EXCEPTION_RECORD->NumberParameters >= 2 ? RTL_EXCEPTION_RECORD->ExceptionInformation[1] : 0;
    } RTL_END;
    return Code;
}

/* Runs one case; its failures (an exception it did not catch is one). */
static ULONG UtestRun(const UTEST_CASE *Case)
{
    UtestFailures = 0;
    NTSTATUS Code = UtestCatch(UtestCall, (PVOID)Case, NULL);
    if (Code != STATUS_SUCCESS && Code != STATUS_ASSERTION_FAILURE) {
        printf("    # %s: exception 0x%08x (%s) not caught by the case\n", Case->Name, (ULONG)Code,
               RtlNtStatusName(Code) ? RtlNtStatusName(Code) : "?");
        UtestFailures++;
    }
    return UtestFailures;
}

int main(int argc, char **argv)
{
    const UTEST_CASE *Case, *End, *First = UtestCases(&End);
    ULONG Count = 0, Failed = 0;

    if (argc > 1) {
        for (Case = First; Case < End; Case++) {
            if (strcmp(Case->Name, argv[1]) == 0)
                return (int)UtestRun(Case);
        }
        printf("    # no case named %s\n", argv[1]);
        return -1;
    }
    for (Case = First; Case < End; Case++)
        Count++;
    printf("1..%u\n", Count);
    Count = 0;
    for (Case = First; Case < End; Case++) {
        ULONG Failures = UtestRun(Case);
        printf("%s %u %s\n", Failures ? "not ok" : "ok", ++Count, Case->Name);
        Failed += Failures != 0;
    }
    return (int)Failed;
}
