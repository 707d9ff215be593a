/*
 * tests/testlib.h — helpers several test files share.
 *
 * Small and static inline: each test file that includes this gets its own
 * copy, so the tests stay independent of one another's link order.
 */
#ifndef MM386_TESTLIB_H
#define MM386_TESTLIB_H

#include <ktest.h>
#include <pool.h>
#include "../mm/mi.h"

/* Fills a physical page with Value, through hyperspace. */
static inline void TestFillPage(PFN_NUMBER Pfn, ULONG Value)
{
    KIRQL OldIrql;
    PVOID Va = MiMapPageInHyperSpace(Pfn, &OldIrql);
    RtlFillMemoryUlong(Va, PAGE_SIZE, Value);
    MiUnmapPageInHyperSpace(Va, OldIrql);
}

/* True if every word of a physical page holds Value. */
static inline bool TestPageIsFilledWith(PFN_NUMBER Pfn, ULONG Value)
{
    KIRQL OldIrql;
    const ULONG *Words = MiMapPageInHyperSpace(Pfn, &OldIrql);
    bool Same = true;
    for (ULONG i = 0; i < PAGE_SIZE / 4; i++)
        Same &= Words[i] == Value;
    MiUnmapPageInHyperSpace((PVOID)Words, OldIrql);
    return Same;
}

/* Recurses until the stack runs out: the road to a kernel stack's guard page. */
extern volatile int TestStopRecursion;
static int __attribute__((noinline, unused)) TestRecurseForever(int Depth)
{
    volatile char Frame[256];
    Frame[0] = (char)Depth;
    if (TestStopRecursion)
        return 0;
    return TestRecurseForever(Depth + 1) + Frame[0];
}

/* Bytes in use by Tag in one pool, from the tag table (0 if the tag has none). */
static inline SIZE_T TestTagBytes(ULONG Tag, POOL_TYPE PoolType)
{
    SYSTEM_POOLTAG Info;
    if (!NT_SUCCESS(ExQueryPoolTagInformation(Tag, &Info)))
        return 0;
    return PoolType == PagedPool ? Info.PagedUsed : Info.NonPagedUsed;
}

/*
 * A death test's precondition failed: stop with a code no death test
 * expects, so the test fails instead of passing by accident.
 */
static inline NORETURN void TestPreconditionFailed(ULONG_PTR Line)
{
    KeBugCheckEx(MANUALLY_INITIATED_CRASH, 0x7E57, Line, 0, 0);
}
#define TEST_REQUIRE(e) ((e) ? (void)0 : TestPreconditionFailed(__LINE__))

/*
 * Output capture, for tests of what the kernel says: between
 * TestBeginCapture and TestEndCapture, DbgPrint's text goes into Buffer
 * (kept NUL-terminated, the excess dropped) instead of COM1 and the VGA
 * console. Call nothing that can end the test (ASSERT_*) in between.
 */
void TestBeginCapture(char *Buffer, size_t Size);
void TestEndCapture(void);

/* True if Needle occurs in Text. */
static inline bool TestContains(const char *Text, const char *Needle)
{
    size_t n = strlen(Needle);
    for (; *Text; Text++) {
        if (strncmp(Text, Needle, n) == 0)
            return true;
    }
    return n == 0;
}

/*
 * Gives back the system page table a test made for Va in a region nothing
 * else uses (tests/testlib.c says why a test may), so that the suite can
 * run again and again without using up that region's PDEs.
 */
void TestGiveBackSystemPageTable(PVOID Va);

#endif
