/*
 * hal/reboot.c — stopping the machine: reboot, halt, and leaving QEMU.
 *
 * QEMU's isa-debug-exit device (iobase 0xf4) ends the emulator when a value
 * is written to it; QEMU's exit status is then (value << 1) | 1. The ktest
 * harness uses it to report its verdict (kernel/ktest/ktest.c).
 */
#include <hal.h>

#define KBC_COMMAND         0x64
#define KBC_PULSE_RESET     0xFE
#define QEMU_DEBUG_EXIT     0xF4

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
    /* Not under QEMU, or the device is absent: stop here. */
    HalHaltSystem();
}
