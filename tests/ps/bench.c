/*
 * tests/ps/bench.c — the figures of ring 3: system calls through each gate,
 * a demand-zero fault taken in ring 3, a process started, ended and waited for.
 *
 * The loops that must run in ring 3 run in user/programs/ubench.c, which
 * counts their instructions itself (the TSC in ring 3) and exits with the
 * count. Each figure runs it twice, with no operations and with N, and
 * takes the TLB flushes of the second run minus those of the first: what
 * the loop itself flushed, not the process's creation or end.
 */
#include <ktest.h>
#include <rtl.h>
#include "kernel/ke/ki.h"

static void ReadFlushes(KBENCH_SAMPLE *Sample)
{
    Sample->EntireFlushes = HalTbFlushCounts.EntireFlushes;
    Sample->ProcessFlushes = HalTbFlushCounts.ProcessFlushes;
    Sample->SingleFlushes = HalTbFlushCounts.SingleFlushes;
}

/* One run of ubench.exe Mode Count: its instructions, the flushes during it; false if it could not run. */
static bool RunUbench(const char *Mode, ULONG Count, ULONG *Instructions, KBENCH_SAMPLE *Flushes)
{
    char Line[48];
    NTSTATUS ExitStatus;
    KBENCH_SAMPLE Before, After;

    snprintf(Line, sizeof(Line), "ubench.exe %s %u", Mode, Count);
    ReadFlushes(&Before);
    if (!NT_SUCCESS(KtestRunProgram(Line, &ExitStatus)) || (LONG)ExitStatus < 0) {
        DbgPrint("# bench: %s could not run (0x%08x)\n", Line, (ULONG)ExitStatus);
        return false;
    }
    ReadFlushes(&After);
    *Instructions = (ULONG)ExitStatus;
    Flushes->EntireFlushes = After.EntireFlushes - Before.EntireFlushes;
    Flushes->ProcessFlushes = After.ProcessFlushes - Before.ProcessFlushes;
    Flushes->SingleFlushes = After.SingleFlushes - Before.SingleFlushes;
    return true;
}

/* Figure: ubench Mode's Count iterations, which are Operations of what the figure counts. */
static void MeasureInRing3(KBENCH_CONTEXT *b, const char *Figure, const char *Mode, ULONG Count, ULONG Operations)
{
    ULONG Idle, Instructions;
    KBENCH_SAMPLE Baseline, Run, Loop;

    if (!RunUbench(Mode, 0, &Idle, &Baseline) || !RunUbench(Mode, Count, &Instructions, &Run))
        return;
    Loop.EntireFlushes = Run.EntireFlushes - Baseline.EntireFlushes;
    Loop.ProcessFlushes = Run.ProcessFlushes - Baseline.ProcessFlushes;
    Loop.SingleFlushes = Run.SingleFlushes - Baseline.SingleFlushes;
    KbenchAddMeasured(b, Instructions, &Loop);
    KbenchReport(b, Figure, Operations);
}

KBENCH(null_syscall_int2e)
{
    MeasureInRing3(b, "null_syscall_int2e", "int2e", 20000, 20000);
}

KBENCH(null_syscall_sysenter)
{
    if (!KiFastSystemCallEnabled) {
        DbgPrint("# bench: null_syscall_sysenter: the processor has no SEP; not measured\n");
        return;
    }
    MeasureInRing3(b, "null_syscall_sysenter", "sysenter", 20000, 20000);
}

KBENCH(demand_zero_fault_ring3)
{
    MeasureInRing3(b, "demand_zero_fault_ring3", "fault", 2000, 2000);
}

/*
 * The user range's figures (tests/mm/virtual_bench.c) from ring 3, each
 * service through sysenter, in a process made busy the same way: what a
 * program pays, as Linux's figures beside them are what its programs pay.
 * The reserve loop reads the TSC around each call alone (the release after
 * it is not counted): about six instructions of its figure are the reading.
 */
KBENCH(reserve_commit_4mb_ring3)
{
    MeasureInRing3(b, "reserve_commit_4mb_ring3", "reserve", 500, 500);
}

KBENCH(alloc_touch_free_1page_ring3)
{
    MeasureInRing3(b, "alloc_touch_free_1page_ring3", "alloc", 1000, 1000);
}

KBENCH(protect_64_pages_ring3)
{
    MeasureInRing3(b, "protect_64_pages_ring3", "protect", 1000, 1000);
}

KBENCH(query_region_ring3)
{
    MeasureInRing3(b, "query_region_ring3", "query", 10000, 10000);
}

/*
 * Two threads of one process handing the processor to each other through
 * two auto-reset events; ubench counts round trips, each two switches.
 */
KBENCH(user_event_pingpong)
{
    MeasureInRing3(b, "user_event_pingpong", "event", 5000, 2 * 5000);
}

/* NtCreateUserProcess's work from the kernel (the same PsCreateUserProcess), the process's life, its end and the wait. */
KBENCH(process_spawn_exit_wait)
{
    const ULONG Runs = 20;
    NTSTATUS ExitStatus;
    for (ULONG i = 0; i < Runs; i++) {
        KbenchStart(b);
        NTSTATUS Status = KtestRunProgram("exit0.exe", &ExitStatus);
        KbenchStop(b);
        if (!NT_SUCCESS(Status) || ExitStatus != STATUS_SUCCESS) {
            DbgPrint("# bench: exit0.exe could not run (0x%08x, 0x%08x)\n", (ULONG)Status, (ULONG)ExitStatus);
            return;
        }
    }
    KbenchReport(b, "process_spawn_exit_wait", Runs);
}
