/*
 * kernel/ktest/kbench.c — benchmarks, run by a `/BENCH` boot under QEMU -icount.
 *
 * With `-icount shift=0,sleep=off` the guest's time-stamp counter advances by
 * exactly one per executed instruction, so a TSC difference is an instruction
 * count, independent of the host. Instruction counts do not see what a TLB
 * flush costs afterwards (the refills), so each figure also carries the
 * flushes its loop made: KbenchStart and KbenchStop snapshot the TSC and
 * HalTbFlushCounts around the measured loop, and KbenchReport prints both
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

typedef struct _KBENCH_SAMPLE {
    uint64_t Tsc;
    ULONG EntireFlushes, ProcessFlushes, SingleFlushes;
} KBENCH_SAMPLE;

struct _KBENCH_CONTEXT {
    const KBENCH *Bench;
    KBENCH_SAMPLE Start, Stop;
    bool Started, Stopped;
};

static void ReadFlushCounts(KBENCH_SAMPLE *s)
{
    s->EntireFlushes = HalTbFlushCounts.EntireFlushes;
    s->ProcessFlushes = HalTbFlushCounts.ProcessFlushes;
    s->SingleFlushes = HalTbFlushCounts.SingleFlushes;
}

/* The counters first and the TSC last, so the loop's figure holds none of the reading. */
void KbenchStart(KBENCH_CONTEXT *b)
{
    ReadFlushCounts(&b->Start);
    b->Started = true;
    b->Stopped = false;
    b->Start.Tsc = HalReadTsc();
}

/* The TSC first, then the counters. */
void KbenchStop(KBENCH_CONTEXT *b)
{
    b->Stop.Tsc = HalReadTsc();
    ReadFlushCounts(&b->Stop);
    ASSERT(b->Started);
    b->Stopped = true;
}

static void Print(KBENCH_CONTEXT *b, const char *Kind, const char *Figure, uint64_t Operations)
{
    ASSERT(b->Started && b->Stopped);
    uint64_t Instructions = b->Stop.Tsc - b->Start.Tsc;
    uint64_t PerOp = Operations ? (Instructions + Operations / 2) / Operations : 0;
    DbgPrint("%s %s ins_per_op=%llu ops=%llu ins=%llu entire_flushes=%u process_flushes=%u invlpg=%u\n",
             Kind, Figure, PerOp, Operations, Instructions,
             b->Stop.EntireFlushes - b->Start.EntireFlushes,
             b->Stop.ProcessFlushes - b->Start.ProcessFlushes,
             b->Stop.SingleFlushes - b->Start.SingleFlushes);
    b->Started = b->Stopped = false;
}

void KbenchReport(KBENCH_CONTEXT *b, const char *Figure, uint64_t Operations)
{
    Print(b, "bench", Figure, Operations);
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
    b.Start = (KBENCH_SAMPLE){ .Tsc = KiTscAtKernelEntry };
    b.Stop.Tsc = Now;
    ReadFlushCounts(&b.Stop);
    b.Started = b.Stopped = true;
    KbenchReport(&b, "boot_to_first_test", 1);
    for (const KBENCH *Bench = __kbench_start; Bench < __kbench_end; Bench++) {
        if (KeBootOptions.BenchGlob[0] && !RtlMatchGlob(KeBootOptions.BenchGlob, Bench->Name))
            continue;
        b.Bench = Bench;
        Bench->Routine(&b);
    }
    DbgPrint("# bench: done\n");
    HalQemuExit(KTEST_EXIT_SUCCESS);
}
