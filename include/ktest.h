/*
 * include/ktest.h — the in-kernel test harness and benchmarks.
 *
 * A test is a function registered with KTEST(suite, name) in the .ktest
 * section (KUnit's trick: no list to maintain). Booting with `ktest` runs
 * every test, `ktest=GLOB` the ones whose "suite.name" matches; results go
 * to COM1 as KTAP version 1. Inside a test:
 *
 *   EXPECT_EQ(a, b) ...   record a failure (file:line, both values) and go on
 *   ASSERT_EQ(a, b) ...   record a failure and end the test
 *   EXPECT_FAULT(vector, statement)
 *                         the statement must raise that CPU exception; the
 *                         harness catches it and the test carries on
 *
 * Around every test a leak guard snapshots the counters that subsystems
 * register (available pages, pool bytes by tag, free system PTEs, commit,
 * IRQL ...) and fails the test with the difference if one changed.
 *
 * KTEST_DEATH(suite, name, CODE) declares a test whose expected outcome is a
 * bugcheck with CODE. It runs in a boot of its own (`ktest.death=suite.name`,
 * driven by tools/runtests.py); a normal run only lists it.
 * KTEST_DEATH_SWITCHES(suite, name, CODE, "/SWITCH ...") is a death test
 * whose boot needs switches of its own (special pool, say): the listing
 * carries them and the runner adds them to that test's command line.
 *
 * KBENCH(name) registers a benchmark for `/BENCH` boots: it brackets its
 * measured loop with KbenchStart/KbenchStop and reports guest instructions
 * and TLB flushes per operation with KbenchReport.
 */
#ifndef MM386_KTEST_H
#define MM386_KTEST_H

#include <hal.h>
#include <ke.h>

typedef struct _KTEST_CONTEXT KTEST_CONTEXT;
typedef void (*PKTEST_ROUTINE)(KTEST_CONTEXT *t);

typedef struct _KTEST {
    const char *Suite;
    const char *Name;
    PKTEST_ROUTINE Routine;
    ULONG ExpectedBugCheck;         /* nonzero: a death test */
    bool CheckParameter1;           /* a death test that also pins parameter 1 */
    ULONG_PTR ExpectedParameter1;
    const char *BootSwitches;       /* a death test's own boot switches, or NULL */
    const char *File;
    int Line;
} KTEST;

struct _KTEST_CONTEXT {
    const KTEST *Test;
    bool Failed;
    const char *SkipReason;         /* set by KTEST_SKIP: the test does not apply here */
    ULONG Checks;                   /* expectations evaluated */
    KFAULT_CATCHER AbortContext;    /* where ASSERT_* resumes the harness */
};

#define KTEST_REGISTER(suite, name, code, checkp1, p1, switches)                \
    static void ktest_##suite##_##name(KTEST_CONTEXT *t);                      \
    static const KTEST ktest_entry_##suite##_##name                            \
        __attribute__((section(".ktest"), used, aligned(4))) = {               \
            #suite, #name, ktest_##suite##_##name, (code), (checkp1), (p1),    \
            (switches), __FILE__, __LINE__                                     \
        };                                                                     \
    static void ktest_##suite##_##name(KTEST_CONTEXT *t UNUSED)

/*
 * Inside a death test: the bugcheck must carry Value as parameter Index
 * (1..4), for values known only at run time (an address the test allocated).
 */
void KtestExpectBugCheckParameter(KTEST_CONTEXT *t, ULONG Index, ULONG_PTR Value);

#define KTEST(suite, name)                      KTEST_REGISTER(suite, name, 0, false, 0, NULL)
#define KTEST_DEATH(suite, name, code)          KTEST_REGISTER(suite, name, code, false, 0, NULL)
#define KTEST_DEATH_P1(suite, name, code, p1)   KTEST_REGISTER(suite, name, code, true, p1, NULL)
#define KTEST_DEATH_SWITCHES(suite, name, code, switches) \
    KTEST_REGISTER(suite, name, code, false, 0, switches)

/* Converts any integer or pointer to long long for reporting, without warnings. */
static inline long long KtestSigned(long long v) { return v; }
static inline long long KtestUnsigned(unsigned long long v) { return (long long)v; }
static inline long long KtestPointer(const volatile void *v) { return (long long)(uintptr_t)v; }
#define KTEST_VALUE(x) _Generic((x) + 0,                                         \
    _Bool: KtestSigned, char: KtestSigned, signed char: KtestSigned,            \
    unsigned char: KtestSigned, short: KtestSigned, unsigned short: KtestSigned,\
    int: KtestSigned, unsigned int: KtestUnsigned, long: KtestSigned,           \
    unsigned long: KtestUnsigned, long long: KtestSigned,                       \
    unsigned long long: KtestUnsigned, default: KtestPointer)(x)

/*
 * Ends the test as skipped: it does not apply to this boot (a boot with no
 * module, for a test of modules). KTAP reports "ok N name # SKIP reason".
 */
NORETURN void KtestSkip(KTEST_CONTEXT *t, const char *Reason);
#define KTEST_SKIP(reason)  KtestSkip(t, (reason))

void KtestFailCompare(KTEST_CONTEXT *t, const char *File, int Line, const char *Expression,
                      const char *A, long long ValueA, const char *B, long long ValueB);
void KtestFail(KTEST_CONTEXT *t, const char *File, int Line, const char *Format, ...) PRINTF_LIKE(4, 5);
NORETURN void KtestAbort(KTEST_CONTEXT *t);

#define KTEST_COMPARE(fatal, a, op, b)                                          \
    do {                                                                        \
        long long _ka = KTEST_VALUE(a), _kb = KTEST_VALUE(b);                   \
        t->Checks++;                                                            \
        if (!(_ka op _kb)) {                                                    \
            KtestFailCompare(t, __FILE__, __LINE__, #a " " #op " " #b,          \
                             #a, _ka, #b, _kb);                                 \
            if (fatal)                                                          \
                KtestAbort(t);                                                  \
        }                                                                       \
    } while (0)

/* Unsigned comparison, for addresses and sizes above 2 GB. */
#define KTEST_COMPARE_U(fatal, a, op, b)                                        \
    do {                                                                        \
        unsigned long long _ka = (unsigned long long)KTEST_VALUE(a);            \
        unsigned long long _kb = (unsigned long long)KTEST_VALUE(b);            \
        t->Checks++;                                                            \
        if (!(_ka op _kb)) {                                                    \
            KtestFailCompare(t, __FILE__, __LINE__, #a " " #op " " #b,          \
                             #a, (long long)_ka, #b, (long long)_kb);           \
            if (fatal)                                                          \
                KtestAbort(t);                                                  \
        }                                                                       \
    } while (0)

#define EXPECT_EQ(a, b)     KTEST_COMPARE(false, a, ==, b)
#define EXPECT_NE(a, b)     KTEST_COMPARE(false, a, !=, b)
#define EXPECT_LT(a, b)     KTEST_COMPARE(false, a, <, b)
#define EXPECT_LE(a, b)     KTEST_COMPARE(false, a, <=, b)
#define EXPECT_GT(a, b)     KTEST_COMPARE(false, a, >, b)
#define EXPECT_GE(a, b)     KTEST_COMPARE(false, a, >=, b)
#define EXPECT_ULT(a, b)    KTEST_COMPARE_U(false, a, <, b)
#define EXPECT_ULE(a, b)    KTEST_COMPARE_U(false, a, <=, b)
#define EXPECT_UGT(a, b)    KTEST_COMPARE_U(false, a, >, b)
#define EXPECT_UGE(a, b)    KTEST_COMPARE_U(false, a, >=, b)
#define EXPECT_TRUE(x)      KTEST_COMPARE(false, !!(x), ==, 1)
#define EXPECT_FALSE(x)     KTEST_COMPARE(false, !!(x), ==, 0)
#define EXPECT_NULL(p)      KTEST_COMPARE(false, (const void *)(p), ==, NULL)
#define EXPECT_NOT_NULL(p)  KTEST_COMPARE(false, (const void *)(p), !=, NULL)

#define ASSERT_EQ(a, b)     KTEST_COMPARE(true, a, ==, b)
#define ASSERT_NE(a, b)     KTEST_COMPARE(true, a, !=, b)
#define ASSERT_LT(a, b)     KTEST_COMPARE(true, a, <, b)
#define ASSERT_LE(a, b)     KTEST_COMPARE(true, a, <=, b)
#define ASSERT_GT(a, b)     KTEST_COMPARE(true, a, >, b)
#define ASSERT_GE(a, b)     KTEST_COMPARE(true, a, >=, b)
#define ASSERT_TRUE(x)      KTEST_COMPARE(true, !!(x), ==, 1)
#define ASSERT_FALSE(x)     KTEST_COMPARE(true, !!(x), ==, 0)
#define ASSERT_NULL(p)      KTEST_COMPARE(true, (const void *)(p), ==, NULL)
#define ASSERT_NOT_NULL(p)  KTEST_COMPARE(true, (const void *)(p), !=, NULL)

void KtestCompareStrings(KTEST_CONTEXT *t, bool Fatal, const char *File, int Line,
                         const char *ExpressionA, const char *A,
                         const char *ExpressionB, const char *B);
#define EXPECT_STREQ(a, b)  KtestCompareStrings(t, false, __FILE__, __LINE__, #a, (a), #b, (b))
#define ASSERT_STREQ(a, b)  KtestCompareStrings(t, true, __FILE__, __LINE__, #a, (a), #b, (b))

/*
 * The statement must raise CPU exception `vector`. The harness resumes after
 * it either way; a different exception or none at all fails the test. After
 * the macro, KtestLastFault(t) gives the catcher's record of the fault.
 */
#define EXPECT_FAULT(vector, statement)                                         \
    do {                                                                        \
        KFAULT_CATCHER _kc;                                                     \
        t->Checks++;                                                            \
        if (KeTryFault(&_kc)) {                                                 \
            statement;                                                          \
            KePopFaultCatcher(&_kc);                                            \
            KtestFail(t, __FILE__, __LINE__, "expected trap 0x%x from `%s`, it completed", \
                      (unsigned)(vector), #statement);                          \
        } else if (_kc.Vector != (ULONG)(vector)) {                             \
            KtestFail(t, __FILE__, __LINE__, "expected trap 0x%x from `%s`, got trap 0x%x at %08x", \
                      (unsigned)(vector), #statement, (unsigned)_kc.Vector, (unsigned)_kc.FaultEip); \
        }                                                                       \
        KtestRecordFault(t, &_kc);                                              \
    } while (0)
void KtestRecordFault(KTEST_CONTEXT *t, const KFAULT_CATCHER *Catcher);
const KFAULT_CATCHER *KtestLastFault(KTEST_CONTEXT *t);

/*
 * The leak guard. A subsystem registers a counter once at boot. Read returns
 * a value that must be equal before and after each test; for richer state
 * (pool bytes per tag) Snapshot captures it before and Check compares after,
 * reporting through KtestFail and returning false on a difference. Quiesce,
 * if present, is called before every reading to flush caches that may
 * legitimately hold resources (lookaside lists, deferred frees).
 */
typedef struct _KTEST_GUARD {
    const char *Name;
    long long (*Read)(void);
    void (*Snapshot)(void);
    bool (*Check)(KTEST_CONTEXT *t);
    void (*Quiesce)(void);
} KTEST_GUARD;
void KtestRegisterGuard(const KTEST_GUARD *Guard);

/*
 * For ktest and /BENCH boots: a bugcheck during initialisation reports itself
 * and exits QEMU with KTEST_EXIT_FAILURE instead of halting (the host would
 * only see a timeout).
 */
void KtestInstallBootHook(void);
/* Runs the tests the boot options select, prints KTAP, exits QEMU with the verdict. */
NORETURN void KtestRunFromBoot(void);
/*
 * Runs tests matching Glob (from the kd> prompt); returns the number that
 * failed. A Glob that matches no test at all is reported and counts as one
 * failure.
 */
ULONG KtestRun(const char *Glob);
/* Lists the tests matching Glob (all if NULL or empty), death tests with their code; returns how many. */
ULONG KtestList(const char *Glob);
/*
 * Runs the death test NAME (suite.name) from the kd> prompt, where its
 * bugcheck stops at the debugger; prints what it expects first. Returns
 * only if it did not bugcheck. PASSIVE_LEVEL, the prompt's thread.
 */
void KtestRunDeathTestAtPrompt(const char *Name);

/*
 * Every test starts on a thread at this priority with no boost left over
 * (the harness sets it before each test and gives the thread its own base
 * priority back after the run), whether the run came from the boot line or
 * from the kd> prompt, whose thread a keystroke may have boosted: tests
 * that schedule threads against their own may count on it.
 */
#define KTEST_THREAD_PRIORITY   8

/* Exit values for isa-debug-exit; QEMU's exit status becomes (value << 1) | 1. */
#define KTEST_EXIT_SUCCESS  0x10    /* status 33 */
#define KTEST_EXIT_FAILURE  0x11    /* status 35 */

/* Benchmarks. */
typedef struct _KBENCH_SAMPLE {
    uint64_t Tsc;
    ULONG EntireFlushes, ProcessFlushes, SingleFlushes;
} KBENCH_SAMPLE;
typedef struct _KBENCH_CONTEXT {
    const struct _KBENCH *Bench;
    KBENCH_SAMPLE Start;            /* at the last KbenchStart */
    KBENCH_SAMPLE Total;            /* the measured intervals since the last report, summed */
    bool Running;
} KBENCH_CONTEXT;
typedef struct _KBENCH {
    const char *Name;
    void (*Routine)(KBENCH_CONTEXT *b);
} KBENCH;
#define KBENCH(name)                                                            \
    static void kbench_##name(KBENCH_CONTEXT *b);                              \
    static const KBENCH kbench_entry_##name                                    \
        __attribute__((section(".kbench"), used, aligned(4))) = { #name, kbench_##name }; \
    static void kbench_##name(KBENCH_CONTEXT *b UNUSED)
/*
 * A benchmark's measured loop sits between KbenchStart and KbenchStop, which
 * read the TSC (guest instructions under -icount) and the TLB flush counters
 * (HalTbFlushCounts); setup and teardown stay outside. A loop measured in
 * pieces (an operation timed inside a loop with untimed work around it)
 * brackets each piece: the intervals add up. Both are inline and read the
 * TSC last and first, so an interval holds a few instructions of its own
 * at most. KbenchReport then prints the sum for Operations operations and
 * starts a new one:
 *
 *   bench NAME ins_per_op=N ops=N ins=N entire_flushes=N process_flushes=N invlpg=N
 *
 * KbenchReportHarness reports, for figure NAME, the cost of the same loop
 * with the measured operation taken out (its bookkeeping, random choices,
 * calls), measured the same way; tools/bench.py prints it beside the figure.
 */
static inline void KbenchStart(KBENCH_CONTEXT *b)
{
    b->Start.EntireFlushes = HalTbFlushCounts.EntireFlushes;
    b->Start.ProcessFlushes = HalTbFlushCounts.ProcessFlushes;
    b->Start.SingleFlushes = HalTbFlushCounts.SingleFlushes;
    b->Running = true;
    b->Start.Tsc = HalReadTsc();
}

static inline void KbenchStop(KBENCH_CONTEXT *b)
{
    uint64_t Now = HalReadTsc();
    b->Total.Tsc += Now - b->Start.Tsc;
    b->Total.EntireFlushes += HalTbFlushCounts.EntireFlushes - b->Start.EntireFlushes;
    b->Total.ProcessFlushes += HalTbFlushCounts.ProcessFlushes - b->Start.ProcessFlushes;
    b->Total.SingleFlushes += HalTbFlushCounts.SingleFlushes - b->Start.SingleFlushes;
    b->Running = false;
}

void KbenchReport(KBENCH_CONTEXT *b, const char *Figure, uint64_t Operations);
/*
 * For a loop measured elsewhere — in ring 3, by the program itself —
 * adds its instructions and the TLB flushes it made to the next report.
 */
void KbenchAddMeasured(KBENCH_CONTEXT *b, uint64_t Instructions, const KBENCH_SAMPLE *Flushes);
void KbenchReportHarness(KBENCH_CONTEXT *b, const char *Figure, uint64_t Operations);
NORETURN void KbenchRunFromBoot(void);

/*
 * The user-mode tests' cases (kernel/ktest/ktestuser.c): found once in the
 * boot modules (the first call, before any test's guards look), then by
 * index, in boot-module order and each program's order.
 */
ULONG KtestDiscoverUserTests(void);
const KTEST *KtestUserTest(ULONG Index);
/*
 * Runs a program from the boot modules — CommandLine's first word is its
 * name, NAME.exe of \Boot\NAME.exe — and waits for it to end:
 * *ExitStatus is its exit status. STATUS_TIMEOUT (and the process ended)
 * if it still ran after a minute; process creation's statuses.
 * PASSIVE_LEVEL.
 */
NTSTATUS KtestRunProgram(const char *CommandLine, NTSTATUS *ExitStatus);

#endif
