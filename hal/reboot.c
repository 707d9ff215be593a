/*
 * hal/reboot.c — stopping the machine: reboot, halt, and leaving the emulator.
 *
 * QEMU's isa-debug-exit device (iobase 0xf4) ends the emulator when a value
 * is written to it; QEMU's exit status is then (value << 1) | 1. The ktest
 * harness uses it to report its verdict (kernel/ktest/ktest.c). Bochs has
 * no such device: it leaves when the string "Shutdown" is written to port
 * 0x8900, one byte at a time, and its exit status carries no verdict (the
 * harness prints its verdict on COM1 first, and tools/bochs.py reads it
 * there). HalQemuExit writes both: QEMU ignores port 0x8900 and Bochs port
 * 0xf4, so one kernel leaves either emulator.
 */
#include <hal.h>

#define KBC_COMMAND         0x64
#define KBC_PULSE_RESET     0xFE
#define QEMU_DEBUG_EXIT     0xF4
#define BOCHS_SHUTDOWN_PORT 0x8900

NORETURN void HalHaltSystem(void)
{
    for (;;) {
        HalDisableInterrupts();
        HalHalt();
    }
}

NORETURN void HalReboot(void)
{
    HalDisableInterrupts();
    HalWritePortUchar(KBC_COMMAND, KBC_PULSE_RESET);
    /* Should the keyboard controller not reset us, a triple fault will. */
    struct {
        uint16_t Limit;
        uint32_t Base;
    } __attribute__((packed)) NullIdt = { 0, 0 };
    __asm__ volatile("lidt %0\n\tint3" : : "m"(NullIdt));
    HalHaltSystem();
}

NORETURN void HalQemuExit(uint32_t Code)
{
    HalWritePortUlong(QEMU_DEBUG_EXIT, Code);
    /* Still running: not QEMU, or no isa-debug-exit. Bochs's shutdown port next. */
    for (const char *p = "Shutdown"; *p; p++)
        HalWritePortUchar(BOCHS_SHUTDOWN_PORT, (UCHAR)*p);
    /* Neither emulator: stop here. */
    HalHaltSystem();
}
