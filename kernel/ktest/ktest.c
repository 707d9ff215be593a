/*
 * kernel/ktest/ktest.c — the in-kernel test harness (see include/ktest.h).
 *
 * Tests live in the .ktest section in link order; consecutive entries with
 * the same suite (one suite per file) form a KTAP subtest block, run in
 * source-line order. Each test runs at PASSIVE_LEVEL
 * between two readings of the leak guards. ASSERT_* failures resume the
 * harness through a saved context (the same mechanism as fault catchers), so
 * a failed test never takes the run down; a bugcheck does, and the bugcheck
 * hook then reports which test caused it before the emulator exits.
 *
 * A boot's run names every test it is about to run (`# plan: suite.name`)
 * before the first one, so the host runner can name, one by one, the tests a
 * crash kept from running. Every run ends with `# ktest: verdict pass|fail`
 * on COM1 and the same verdict through the emulator's exit (hal/reboot.c).
 *
 * Death tests run one per boot: the bugcheck hook compares the code with the
 * expected one and exits with the verdict.
 */
#include <hal.h>
#include <ktest.h>
#include <pool.h>
#include <loader.h>
#include <rtl.h>
#include "kernel/ke/ki.h"

#define MAX_GUARDS 12

extern const KTEST __ktest_start[], __ktest_end[];

static const KTEST_GUARD *KiGuards[MAX_GUARDS];
static long long KiGuardBefore[MAX_GUARDS];
static ULONG KiGuardCount;

static KTEST_CONTEXT *KiCurrentTest;
static ULONG KiCurrentIndex;
static const KTEST *KiDeathTest;
static KFAULT_CATCHER KiLastFault;

void KtestRegisterGuard(const KTEST_GUARD *Guard)
{
    ASSERT(KiGuardCount < MAX_GUARDS);
    KiGuards[KiGuardCount++] = Guard;
}

void KtestFail(KTEST_CONTEXT *t, const char *File, int Line, const char *Format, ...)
{
    va_list Args;
    t->Failed = true;
    DbgPrint("    # %s:%d: ", File, Line);
    va_start(Args, Format);
    vDbgPrint(Format, Args);
    va_end(Args);
    DbgPrint("\n");
}

void KtestFailCompare(KTEST_CONTEXT *t, const char *File, int Line, const char *Expression,
                      const char *A, long long ValueA, const char *B, long long ValueB)
{
    KtestFail(t, File, Line, "expected %s, but %s == %lld (0x%llx), %s == %lld (0x%llx)",
              Expression, A, ValueA, (unsigned long long)ValueA, B, ValueB, (unsigned long long)ValueB);
}

void KtestCompareStrings(KTEST_CONTEXT *t, bool Fatal, const char *File, int Line,
                         const char *ExpressionA, const char *A,
                         const char *ExpressionB, const char *B)
{
    t->Checks++;
    if (A && B && strcmp(A, B) == 0)
        return;
    KtestFail(t, File, Line, "expected %s == %s, but \"%s\" != \"%s\"", ExpressionA, ExpressionB,
              A ? A : "(null)", B ? B : "(null)");
    if (Fatal)
        KtestAbort(t);
}

NORETURN void KtestSkip(KTEST_CONTEXT *t, const char *Reason)
{
    t->SkipReason = Reason;
    KiResumeFaultContext(&t->AbortContext);
}

NORETURN void KtestAbort(KTEST_CONTEXT *t)
{
    KiResumeFaultContext(&t->AbortContext);
}

void KtestRecordFault(KTEST_CONTEXT *t, const KFAULT_CATCHER *Catcher)
{
    KiLastFault = *Catcher;
}

const KFAULT_CATCHER *KtestLastFault(KTEST_CONTEXT *t)
{
    return &KiLastFault;
}

static void QuiesceGuards(void)
{
    for (ULONG i = 0; i < KiGuardCount; i++) {
        if (KiGuards[i]->Quiesce)
            KiGuards[i]->Quiesce();
    }
}

static void SnapshotGuards(void)
{
    QuiesceGuards();
    for (ULONG i = 0; i < KiGuardCount; i++) {
        if (KiGuards[i]->Read)
            KiGuardBefore[i] = KiGuards[i]->Read();
        if (KiGuards[i]->Snapshot)
            KiGuards[i]->Snapshot();
    }
}

static void CheckGuards(KTEST_CONTEXT *t)
{
    QuiesceGuards();
    for (ULONG i = 0; i < KiGuardCount; i++) {
        const KTEST_GUARD *g = KiGuards[i];
        if (g->Read) {
            long long After = g->Read();
            if (After != KiGuardBefore[i])
                KtestFail(t, t->Test->File, t->Test->Line,
                          "leak guard: %s was %lld before the test and %lld after (%+lld)",
                          g->Name, KiGuardBefore[i], After, After - KiGuardBefore[i]);
        }
        if (g->Check && !g->Check(t))
            t->Failed = true;
    }
}

typedef enum { TEST_PASSED, TEST_FAILED, TEST_SKIPPED } TEST_OUTCOME;

/* Runs one test under the leak guard. */
static TEST_OUTCOME RunOne(const KTEST *Test, const char **SkipReason)
{
    KTEST_CONTEXT t = { .Test = Test };
    PKFAULT_CATCHER Catchers = KiGetFaultCatcher();

    SnapshotGuards();
    KiCurrentTest = &t;
    t.AbortContext.Irql = KeGetCurrentIrql();
    if (KiSaveFaultContext(&t.AbortContext) == 0) {
        Test->Routine(&t);
    } else {
        /* An ASSERT ended the test: undo what it left half done. */
        KiSetFaultCatcher(Catchers);
        if (KeGetCurrentIrql() > t.AbortContext.Irql)
            KeLowerIrql(t.AbortContext.Irql);
    }
    /* A test that returns at a raised IRQL fails here, before the guards (which may block) run. */
    if (KeGetCurrentIrql() > t.AbortContext.Irql) {
        KtestFail(&t, Test->File, Test->Line, "the test returned at IRQL %u, not %u",
                  KeGetCurrentIrql(), t.AbortContext.Irql);
        KeLowerIrql(t.AbortContext.Irql);
    }
    if (t.Checks == 0 && !t.SkipReason)
        KtestFail(&t, Test->File, Test->Line, "the test checked nothing");
    CheckGuards(&t);
    KiCurrentTest = NULL;
    *SkipReason = t.SkipReason;
    if (t.Failed)
        return TEST_FAILED;
    return t.SkipReason ? TEST_SKIPPED : TEST_PASSED;
}

static bool Selected(const KTEST *Test, const char *Glob)
{
    char Name[128];
    snprintf(Name, sizeof(Name), "%s.%s", Test->Suite, Test->Name);
    return !Glob || !*Glob || RtlMatchGlob(Glob, Name);
}

/*
 * Leaves the emulator with the run's verdict. The verdict is printed first:
 * QEMU's exit status carries it too, Bochs's does not (tools/bochs.py reads
 * this line instead).
 */
static NORETURN void KtestExit(bool Passed)
{
    DbgPrint("# ktest: verdict %s\n", Passed ? "pass" : "fail");
    HalQemuExit(Passed ? KTEST_EXIT_SUCCESS : KTEST_EXIT_FAILURE);
}

/* A bugcheck before the first test: the boot itself failed. */
static void OnBugCheckDuringBoot(ULONG Code, const ULONG_PTR Parameters[4])
{
    DbgPrint("# ktest: bugcheck 0x%08X (%s) during boot, before any test\n", Code, KiBugCheckName(Code));
    KtestExit(false);
}

void KtestInstallBootHook(void)
{
    KeSetBugCheckHook(OnBugCheckDuringBoot);
}

static void OnBugCheckDuringRun(ULONG Code, const ULONG_PTR Parameters[4])
{
    if (KiCurrentTest) {
        const KTEST *Test = KiCurrentTest->Test;
        DbgPrint("    # bugcheck 0x%08X (%s) during %s.%s\n", Code, KiBugCheckName(Code),
                 Test->Suite, Test->Name);
        DbgPrint("    not ok %u %s\n", KiCurrentIndex, Test->Name);
    }
    DbgPrint("# ktest: the run ended with bugcheck 0x%08X\n", Code);
    KtestExit(false);
}

/*
 * The tests a run goes through: the kernel's own (.ktest), then the
 * user-mode tests' cases found in the boot modules (ktestuser.c), as one
 * table of pointers for the run. A suite's entries are contiguous in it.
 */
typedef struct _KTEST_TABLE {
    const KTEST **Entry;
    ULONG Count;
} KTEST_TABLE;

#define KTEST_TABLE_TAG     MAKE_TAG('K', 't', 's', 'T')

static bool BuildTable(KTEST_TABLE *Table)
{
    ULONG Kernel = (ULONG)(__ktest_end - __ktest_start), User = KtestDiscoverUserTests();
    Table->Count = Kernel + User;
    Table->Entry = ExAllocatePoolWithTag(NonPagedPool, Table->Count * sizeof(const KTEST *), KTEST_TABLE_TAG);
    if (!Table->Entry)
        return false;
    for (ULONG i = 0; i < Kernel; i++)
        Table->Entry[i] = &__ktest_start[i];
    for (ULONG i = 0; i < User; i++)
        Table->Entry[Kernel + i] = KtestUserTest(i);
    return true;
}

/* One past the last entry of the suite that begins at First (a file's entries are contiguous). */
static ULONG SuiteEnd(const KTEST_TABLE *Table, ULONG First)
{
    ULONG End = First;
    while (End < Table->Count && strcmp(Table->Entry[End]->Suite, Table->Entry[First]->Suite) == 0)
        End++;
    return End;
}

/*
 * The compiler emits a file's entries in no promised order, so a suite runs
 * in source order: the entry of First..End with the smallest line after
 * Line, or NULL.
 */
static const KTEST *NextByLine(const KTEST_TABLE *Table, ULONG First, ULONG End, int Line)
{
    const KTEST *Next = NULL;
    for (ULONG i = First; i < End; i++) {
        const KTEST *t = Table->Entry[i];
        if (t->Line > Line && (!Next || t->Line < Next->Line))
            Next = t;
    }
    return Next;
}

static bool Runs(const KTEST *Test, const char *Glob)
{
    return !Test->ExpectedBugCheck && Selected(Test, Glob);
}

/*
 * Runs the tests Glob selects and prints KTAP, each test on this thread at
 * KTEST_THREAD_PRIORITY (the thread's own base priority back at the end).
 * From a boot (FromBoot), death tests it selects are listed (`# death: NAME
 * CODE [SWITCHES]`) for the runner to boot one by one, and every test about
 * to run is named first (`# plan: suite.name`), so a boot that dies
 * part-way leaves a record of what never ran; at the prompt neither is
 * printed (`ktest -l` lists the tests). A Glob that selects nothing is a failure (a typo must not pass), and
 * counts as one; a Glob that selects only death tests runs nothing here and
 * says so. Returns the number of failures.
 */
static ULONG RunTests(const char *Glob, bool FromBoot)
{
    ULONG Passed = 0, Failed = 0, Skipped = 0, Suites = 0, SuiteNumber = 0, Planned = 0, Deaths = 0;
    PKTHREAD Me = KeGetCurrentThread();
    KTEST_TABLE Table;
    KPRIORITY OwnPriority = Me->BasePriority;

    if (!BuildTable(&Table)) {
        DbgPrint("# ktest: no pool for the table of tests\n");
        return 1;
    }
    for (ULONG i = 0; i < Table.Count; i++) {
        const KTEST *Test = Table.Entry[i];
        if (!Test->ExpectedBugCheck || !Selected(Test, Glob))
            continue;
        if (FromBoot)
            DbgPrint("# death: %s.%s 0x%08X%s%s\n", Test->Suite, Test->Name, Test->ExpectedBugCheck,
                     Test->BootSwitches ? " " : "", Test->BootSwitches ? Test->BootSwitches : "");
        Deaths++;
    }
    for (ULONG First = 0; First < Table.Count;) {
        ULONG End = SuiteEnd(&Table, First);
        ULONG Count = 0;
        for (const KTEST *t = NextByLine(&Table, First, End, -1); t; t = NextByLine(&Table, First, End, t->Line)) {
            if (!Runs(t, Glob))
                continue;
            if (FromBoot)
                DbgPrint("# plan: %s.%s\n", t->Suite, t->Name);
            Count++;
        }
        Suites += Count != 0;
        Planned += Count;
        First = End;
    }
    DbgPrint("1..%u\n", Suites);
    if (Planned == 0) {
        if (Deaths) {
            DbgPrint("# ktest: '%s' selects only death tests; each runs in a boot of its own "
                     "(ktest.death=SUITE.NAME)\n", Glob);
            ExFreePoolWithTag(Table.Entry, KTEST_TABLE_TAG);
            return 0;
        }
        DbgPrint("# ktest: no test matches '%s' (counted as one failure)\n", Glob);
        ExFreePoolWithTag(Table.Entry, KTEST_TABLE_TAG);
        return 1;
    }

    for (ULONG First = 0; First < Table.Count;) {
        ULONG End = SuiteEnd(&Table, First), Count = 0;
        const char *Suite = Table.Entry[First]->Suite;
        for (ULONG i = First; i < End; i++)
            Count += Runs(Table.Entry[i], Glob);
        ULONG Begin = First;
        First = End;
        if (!Count)
            continue;

        DbgPrint("    KTAP version 1\n    # Subtest: %s\n    1..%u\n", Suite, Count);
        bool SuiteOk = true;
        KiCurrentIndex = 0;
        for (const KTEST *Next = NextByLine(&Table, Begin, End, -1); Next;
             Next = NextByLine(&Table, Begin, End, Next->Line)) {
            if (!Runs(Next, Glob))
                continue;
            KiCurrentIndex++;
            const char *SkipReason;
            KeSetPriorityThread(Me, KTEST_THREAD_PRIORITY);
            TEST_OUTCOME Outcome = RunOne(Next, &SkipReason);
            if (Outcome == TEST_SKIPPED) {
                DbgPrint("    ok %u %s # SKIP %s\n", KiCurrentIndex, Next->Name, SkipReason);
                Skipped++;
                continue;
            }
            DbgPrint("    %s %u %s\n", Outcome == TEST_PASSED ? "ok" : "not ok", KiCurrentIndex, Next->Name);
            Outcome == TEST_PASSED ? Passed++ : Failed++;
            SuiteOk &= Outcome == TEST_PASSED;
        }
        DbgPrint("%s %u %s\n", SuiteOk ? "ok" : "not ok", ++SuiteNumber, Suite);
    }
    ExFreePoolWithTag(Table.Entry, KTEST_TABLE_TAG);
    KeSetPriorityThread(Me, OwnPriority);
    DbgPrint("# ktest: %u passed, %u failed, %u skipped\n", Passed, Failed, Skipped);
    return Failed;
}

ULONG KtestRun(const char *Glob)
{
    return RunTests(Glob, false);
}

ULONG KtestList(const char *Glob)
{
    ULONG Tests = 0, Deaths = 0;
    KTEST_TABLE Table;

    if (!BuildTable(&Table)) {
        DbgPrint("ktest: no pool for the table of tests\n");
        return 0;
    }
    for (ULONG First = 0; First < Table.Count;) {
        ULONG End = SuiteEnd(&Table, First);
        for (const KTEST *t = NextByLine(&Table, First, End, -1); t; t = NextByLine(&Table, First, End, t->Line)) {
            if (!Selected(t, Glob))
                continue;
            if (t->ExpectedBugCheck) {
                DbgPrint("  %s.%s  (death test: bugcheck 0x%X %s%s%s; a boot of its own, ktest.death=%s.%s)\n",
                         t->Suite, t->Name, t->ExpectedBugCheck, KiBugCheckName(t->ExpectedBugCheck),
                         t->BootSwitches ? ", with " : "", t->BootSwitches ? t->BootSwitches : "", t->Suite, t->Name);
                Deaths++;
            } else {
                DbgPrint("  %s.%s\n", t->Suite, t->Name);
                Tests++;
            }
        }
        First = End;
    }
    ExFreePoolWithTag(Table.Entry, KTEST_TABLE_TAG);
    if (Tests + Deaths == 0)
        DbgPrint("no test matches '%s'\n", Glob && *Glob ? Glob : "*");
    else
        DbgPrint("%u test(s)%s, %u death test(s)\n", Tests, Glob && *Glob ? " match" : "", Deaths);
    return Tests + Deaths;
}

/* Parameters a death test said, while running, that its bugcheck must carry. */
static ULONG_PTR KiDeathParameters[4];
static ULONG KiDeathParameterMask;

static bool KiDeathAtPrompt;

void KtestExpectBugCheckParameter(KTEST_CONTEXT *t, ULONG Index, ULONG_PTR Value)
{
    ASSERT(Index >= 1 && Index <= 4 && t->Test->ExpectedBugCheck);
    KiDeathParameters[Index - 1] = Value;
    KiDeathParameterMask |= 1u << (Index - 1);
    if (KiDeathAtPrompt)
        DbgPrint("# ktest: expects parameter %u 0x%08X\n", Index, Value);
}

static void OnBugCheckDuringDeathTest(ULONG Code, const ULONG_PTR Parameters[4])
{
    const KTEST *Test = KiDeathTest;
    bool Ok = Code == Test->ExpectedBugCheck;

    if (Test->CheckParameter1)
        KiDeathParameters[0] = Test->ExpectedParameter1, KiDeathParameterMask |= 1;
    DbgPrint("# ktest: bugcheck 0x%08X, expected 0x%08X\n", Code, Test->ExpectedBugCheck);
    for (ULONG i = 0; i < 4; i++) {
        if (!(KiDeathParameterMask & (1u << i)))
            continue;
        DbgPrint("# ktest: parameter %u 0x%08X, expected 0x%08X\n", i + 1, Parameters[i], KiDeathParameters[i]);
        Ok &= Parameters[i] == KiDeathParameters[i];
    }
    DbgPrint("%s 1 %s.%s\n", Ok ? "ok" : "not ok", Test->Suite, Test->Name);
    KtestExit(Ok);
}

static const KTEST *FindDeathTest(const char *Name)
{
    for (const KTEST *Test = __ktest_start; Test < __ktest_end; Test++) {
        char Full[128];
        snprintf(Full, sizeof(Full), "%s.%s", Test->Suite, Test->Name);
        if (Test->ExpectedBugCheck && strcmp(Full, Name) == 0)
            return Test;
    }
    return NULL;
}

/*
 * Runs one death test. The only good ending is the bugcheck hook's; a test
 * that returns, or that an ASSERT or KTEST_SKIP ends, has failed.
 */
static NORETURN void RunDeathTest(const char *Name)
{
    static KTEST_CONTEXT t;

    KiDeathTest = FindDeathTest(Name);
    if (!KiDeathTest) {
        DbgPrint("1..0\n# ktest: no death test named %s\n", Name);
        KtestExit(false);
    }
    DbgPrint("1..1\n# death test %s expects bugcheck 0x%08X (%s)\n", Name,
             KiDeathTest->ExpectedBugCheck, KiBugCheckName(KiDeathTest->ExpectedBugCheck));
    KeSetBugCheckHook(OnBugCheckDuringDeathTest);
    t.Test = KiDeathTest;
    if (KiSaveFaultContext(&t.AbortContext) == 0)
        KiDeathTest->Routine(&t);
    else
        DbgPrint("# ktest: %s ended early (%s)\n", Name, t.SkipReason ? t.SkipReason : "an ASSERT failed");
    DbgPrint("# ktest: %s did not bugcheck\nnot ok 1 %s\n", Name, Name);
    KtestExit(false);
}

/*
 * Runs one death test at the kd> prompt (ktest -d NAME), in the prompt's
 * thread and with no bugcheck hook, so its bugcheck stops the machine at
 * the debugger as any other does, for !analyze and the rest to look at.
 * What it expects is printed first: the code, parameter 1 when it pins it,
 * and each parameter it pins while it runs ("# ktest: expects parameter N
 * VALUE"), so what the debugger says can be held against what the test
 * did. Returns only when the test did not bugcheck, which it says.
 */
void KtestRunDeathTestAtPrompt(const char *Name)
{
    static KTEST_CONTEXT t;

    KiDeathTest = FindDeathTest(Name);
    if (!KiDeathTest) {
        DbgPrint("ktest: no death test named %s (ktest -l lists them)\n", Name);
        return;
    }
    DbgPrint("# death test %s expects bugcheck 0x%08X (%s)\n", Name, KiDeathTest->ExpectedBugCheck,
             KiBugCheckName(KiDeathTest->ExpectedBugCheck));
    if (KiDeathTest->CheckParameter1)
        DbgPrint("# ktest: expects parameter 1 0x%08X\n", KiDeathTest->ExpectedParameter1);
    memset(&t, 0, sizeof(t));
    t.Test = KiDeathTest;
    KiDeathParameterMask = 0;
    KiDeathAtPrompt = true;
    if (KiSaveFaultContext(&t.AbortContext) == 0)
        KiDeathTest->Routine(&t);
    else
        DbgPrint("# ktest: %s ended early (%s)\n", Name, t.SkipReason ? t.SkipReason : "an ASSERT failed");
    KiDeathAtPrompt = false;
    DbgPrint("# ktest: %s did not bugcheck\n", Name);
}

NORETURN void KtestRunFromBoot(void)
{
    uint64_t Now = HalReadTsc();
    DbgPrint("KTAP version 1\n");
    DbgPrint("# ktest: %llu instructions from kernel entry to the first test (%llu from reset)\n",
             Now - KiTscAtKernelEntry, Now);
    if (KeBootOptions.KTestDeath[0])
        RunDeathTest(KeBootOptions.KTestDeath);

    KeSetBugCheckHook(OnBugCheckDuringRun);
    KtestExit(RunTests(KeBootOptions.KTestGlob, true) == 0);
}

static long long ReadIrql(void)
{
    return KeGetCurrentIrql();
}

static long long ReadCatcher(void)
{
    return (long long)(uintptr_t)KiGetFaultCatcher();
}

static const KTEST_GUARD KiIrqlGuard = { .Name = "IRQL", .Read = ReadIrql };
static const KTEST_GUARD KiCatcherGuard = { .Name = "innermost fault catcher", .Read = ReadCatcher };

void KiInitializeTestGuards(void)
{
    KtestRegisterGuard(&KiIrqlGuard);
    KtestRegisterGuard(&KiCatcherGuard);
}
