/*
 * kernel/ktest/kbench.c — benchmarks, run by a `/BENCH` boot under QEMU -icount.
 *
 * With `-icount shift=0,sleep=off` the guest's time-stamp counter advances by
 * exactly one per executed instruction, so a TSC difference is an instruction
 * count, independent of the host. Instruction counts do not see what a TLB
 * flush costs afterwards (the refills), so each figure also carries the
 * flushes its loop made: KbenchStart and KbenchStop (include/ktest.h)
 * snapshot the TSC and HalTbFlushCounts around the measured loop, or around
 * each measured piece of it, and KbenchReport prints the sums
 * (`bench NAME ins_per_op=N ... invlpg=N`); tools/bench.py turns the flush
 * counts into flushes per 1,000 operations. `/BENCH=GLOB` selects
 * benchmarks by name.
 */
#include <hal.h>
#include <ktest.h>
#include <loader.h>
#include <rtl.h>
#include "kernel/ke/ki.h"

extern const KBENCH __kbench_start[], __kbench_end[];

static void ReadFlushCounts(KBENCH_SAMPLE *s)
{
    s->EntireFlushes = HalTbFlushCounts.EntireFlushes;
    s->ProcessFlushes = HalTbFlushCounts.ProcessFlushes;
    s->SingleFlushes = HalTbFlushCounts.SingleFlushes;
}

/* Prints the intervals measured since the last report, and starts a new sum. */
static void Print(KBENCH_CONTEXT *b, const char *Kind, const char *Figure, uint64_t Operations)
{
    ASSERT(!b->Running);
    uint64_t Instructions = b->Total.Tsc;
    uint64_t PerOp = Operations ? (Instructions + Operations / 2) / Operations : 0;
    DbgPrint("%s %s ins_per_op=%llu ops=%llu ins=%llu entire_flushes=%u process_flushes=%u invlpg=%u\n",
             Kind, Figure, PerOp, Operations, Instructions,
             b->Total.EntireFlushes, b->Total.ProcessFlushes, b->Total.SingleFlushes);
    b->Total = (KBENCH_SAMPLE){ 0 };
}

void KbenchReport(KBENCH_CONTEXT *b, const char *Figure, uint64_t Operations)
{
    Print(b, "bench", Figure, Operations);
}

void KbenchAddMeasured(KBENCH_CONTEXT *b, uint64_t Instructions, const KBENCH_SAMPLE *Flushes)
{
    ASSERT(!b->Running);
    b->Total.Tsc += Instructions;
    b->Total.EntireFlushes += Flushes->EntireFlushes;
    b->Total.ProcessFlushes += Flushes->ProcessFlushes;
    b->Total.SingleFlushes += Flushes->SingleFlushes;
}

void KbenchReportHarness(KBENCH_CONTEXT *b, const char *Figure, uint64_t Operations)
{
    Print(b, "bench-harness", Figure, Operations);
}

NORETURN void KbenchRunFromBoot(void)
{
    KBENCH_CONTEXT b = { 0 };
    uint64_t Now = HalReadTsc();

    DbgPrint("# bench: %llu instructions from kernel entry to the first benchmark (%llu from reset)\n",
             Now - KiTscAtKernelEntry, Now);
    /* The boot path as one operation: from kernel entry (no flush had happened yet) to here. */
    ReadFlushCounts(&b.Total);
    b.Total.Tsc = Now - KiTscAtKernelEntry;
    KbenchReport(&b, "boot_to_first_test", 1);
    for (const KBENCH *Bench = __kbench_start; Bench < __kbench_end; Bench++) {
        if (KeBootOptions.BenchGlob[0] && !RtlMatchGlob(KeBootOptions.BenchGlob, Bench->Name))
            continue;
        b = (KBENCH_CONTEXT){ .Bench = Bench };     /* nothing left over from one that ended early */
        Bench->Routine(&b);
    }
    DbgPrint("# bench: done\n");
    HalQemuExit(KTEST_EXIT_SUCCESS);
}
