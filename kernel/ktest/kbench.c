/*
 * kernel/ktest/kbench.c — benchmarks, run by a `/BENCH` boot under QEMU -icount.
 *
 * With `-icount shift=0,sleep=off` the guest's time-stamp counter advances by
 * exactly one per executed instruction, so a TSC difference is an instruction
 * count, independent of the host. Each benchmark measures its own loop and
 * reports `bench NAME ins_per_op=N`; tools/bench.py collects the lines into a
 * table. `/BENCH=GLOB` selects benchmarks by name.
 */
#include <hal.h>
#include <ktest.h>
#include <loader.h>
#include <rtl.h>
#include "kernel/ke/ki.h"

extern const KBENCH __kbench_start[], __kbench_end[];

struct _KBENCH_CONTEXT {
    const KBENCH *Bench;
};

void KbenchReport(KBENCH_CONTEXT *b, const char *Figure, uint64_t Instructions, uint64_t Operations)
{
    uint64_t PerOp = Operations ? (Instructions + Operations / 2) / Operations : 0;
    DbgPrint("bench %s ins_per_op=%llu ops=%llu ins=%llu\n", Figure, PerOp, Operations, Instructions);
}

NORETURN void KbenchRunFromBoot(void)
{
    KBENCH_CONTEXT b;
    uint64_t Now = HalReadTsc();

    DbgPrint("# bench: %llu instructions from kernel entry to the first benchmark (%llu from reset)\n",
             Now - KiTscAtKernelEntry, Now);
    KbenchReport(&b, "boot_to_first_test", Now - KiTscAtKernelEntry, 1);
    for (const KBENCH *Bench = __kbench_start; Bench < __kbench_end; Bench++) {
        if (KeBootOptions.BenchGlob[0] && !RtlMatchGlob(KeBootOptions.BenchGlob, Bench->Name))
            continue;
        b.Bench = Bench;
        Bench->Routine(&b);
    }
    DbgPrint("# bench: done\n");
    HalQemuExit(KTEST_EXIT_SUCCESS);
}
