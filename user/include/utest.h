/*
 * user/include/utest.h — tests that run in ring 3, counted in the kernel's KTAP.
 *
 * A user-mode test program (tests/user/NAME.c, built as NAME.exe and booted
 * as a module) defines its cases with UTEST(case). Each case is entered in
 * the image's .utest section (the linker orders .utest$a, $b, $z, so the
 * cases lie between two empty markers); the kernel's harness reads that
 * section from the boot module at boot (kernel/ktest/ktestuser.c) and makes
 * each case a test of its own, user_NAME.case, in the plan and the KTAP
 * stream like any kernel test. To run one it starts `NAME.exe case` as a
 * new process and waits: the case passed when the process exits with 0,
 * and the kernel's leak guards then check that the whole process — pages,
 * page tables, pool, handles, commit — went away.
 *
 * Inside a case the checks print `# file:line: ...` (a KTAP comment) and
 * count a failure; UTEST_ASSERT_* also end the case. Run by hand without
 * an argument (`start NAME.exe` at kd>), the program runs every case and
 * prints its own KTAP.
 */
#ifndef MM386_USER_UTEST_H
#define MM386_USER_UTEST_H

#include <ntdll.h>

/* One case: three words the kernel reads from the image (kernel/ktest/ktestuser.c). */
typedef struct _UTEST_CASE {
    const char *Name;
    void (*Routine)(void);
    ULONG Line;                 /* its line in the source: cases run in source order */
} UTEST_CASE;

#define UTEST(name)                                                                         \
    static void utest_##name(void);                                                         \
    __attribute__((used, section(".utest$b"))) static const UTEST_CASE utest_case_##name =  \
        { #name, utest_##name, __LINE__ };                                                  \
    static void utest_##name(void)

extern ULONG UtestFailures;
void UtestFail(const char *File, int Line, const char *Format, ...) __attribute__((format(printf, 3, 4)));
NORETURN void UtestEnd(void);

#define UTEST_EXPECT(cond, ...)                                                             \
    do {                                                                                    \
        if (!(cond))                                                                        \
            UtestFail(__FILE__, __LINE__, __VA_ARGS__);                                     \
    } while (0)

/* a == b as unsigned 32-bit values, both printed on failure. */
#define UTEST_EXPECT_EQ(a, b)                                                               \
    do {                                                                                    \
        ULONG _A = (ULONG)(a), _B = (ULONG)(b);                                             \
        if (_A != _B)                                                                       \
            UtestFail(__FILE__, __LINE__, "expected %s == %s, but %s == 0x%x, %s == 0x%x",   \
                      #a, #b, #a, _A, #b, _B);                                               \
    } while (0)

#define UTEST_ASSERT(cond, ...)                                                             \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            UtestFail(__FILE__, __LINE__, __VA_ARGS__);                                     \
            UtestEnd();                                                                     \
        }                                                                                   \
    } while (0)

#define UTEST_ASSERT_EQ(a, b)                                                               \
    do {                                                                                    \
        ULONG _Before = UtestFailures;                                                      \
        UTEST_EXPECT_EQ(a, b);                                                              \
        if (UtestFailures != _Before)                                                       \
            UtestEnd();                                                                     \
    } while (0)

/*
 * Runs Statement and yields the NTSTATUS of the exception it raised, or
 * STATUS_SUCCESS if it raised none: RTL_TRY around one statement. *Address
 * gets the faulting address of an access violation (ExceptionInformation[1]).
 */
NTSTATUS UtestCatch(void (*Statement)(PVOID Context), PVOID Context, ULONG_PTR *Address);

#endif
