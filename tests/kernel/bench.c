/*
 * tests/kernel/bench.c — the foundation's benchmarks (make bench).
 */
#include <hal.h>
#include <ktest.h>

/* A software interrupt into the kernel and back: int 0x2A (KiGetTickCount) through the full trap path. */
KBENCH(trap_roundtrip)
{
    const uint32_t Count = 10000;
    KbenchStart(b);
    for (uint32_t i = 0; i < Count; i++)
        __asm__ volatile("int $0x2a" ::: "eax", "memory");
    KbenchStop(b);
    KbenchReport(b, "trap_roundtrip", Count);
}

/* One 40-character line through DbgPrint, to COM1 and the VGA console. */
KBENCH(serial_print_line)
{
    const uint32_t Count = 100;
    KbenchStart(b);
    for (uint32_t i = 0; i < Count; i++)
        DbgPrint("bench: a line of forty characters #%04u\n", i);
    KbenchStop(b);
    KbenchReport(b, "serial_print_line", Count);
}
